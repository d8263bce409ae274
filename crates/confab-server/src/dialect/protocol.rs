//! `protocol` (seeds 001-003): `/v1/conversations` and `/v1/messages`, integer seconds,
//! `{has_more, data}` lists (default 10), form-encoded or JSON bodies, reactions as a list of
//! `{name: [usernames]}` objects.
//!
//! Extensions (documented as such): `starting_after` / `ending_before` cursors, marking read
//! with `last_opened_at` on `PUT /v1/conversations/:id`, removing a reaction, `/v1/contacts`,
//! `/v1/groups`, `/v1/me`, `/v1/attachments`, `/v1/events`.

use std::{collections::BTreeMap, sync::Arc};

use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{delete, get, post},
    Json, Router,
};
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{attachment_response, base_url, page_limit, upload_parts};
use crate::{
    auth::Caller,
    body::{FlexBool, FlexInt, Input, Patch, StringList},
    emoji,
    error::{ApiError, ApiResult},
    store::{
        self, now_ms, Attachment, ConversationView, Kind, MembershipChange, Message, NewConversation, Page, Person,
        MAX_ATTACHMENT_BYTES,
    },
    stream, Shared,
};

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/v1/conversations", get(list_conversations).post(create_conversation))
        .route(
            "/v1/conversations/{id}",
            get(get_conversation)
                .put(update_conversation)
                .delete(delete_conversation),
        )
        .route("/v1/messages", get(list_messages).post(send_message))
        .route(
            "/v1/messages/{id}",
            get(get_message).put(update_message).delete(delete_message),
        )
        .route("/v1/messages/{id}/reactions/{emoji}", delete(remove_reaction))
        .route("/v1/contacts", get(list_contacts))
        .route("/v1/groups", get(list_groups).post(create_group))
        .route("/v1/me", get(me))
        .route(
            "/v1/attachments",
            post(upload).layer(DefaultBodyLimit::max(MAX_ATTACHMENT_BYTES)),
        )
        .route("/v1/attachments/{id}", get(download))
        .route("/v1/events", get(events))
}

const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 100;

fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

fn secs_opt(ms: Option<i64>) -> Option<i64> {
    ms.map(secs)
}

// ---- shapes

fn contact_json(person: &Person) -> Value {
    json!({
        "id": person.id,
        "username": person.username,
        "phone_number": person.phone_number,
        "avatar_url": person.avatar_url,
        "last_active_at": secs(person.last_active_at),
        "created_at": secs(person.created_at),
    })
}

fn conversation_json(view: &ConversationView, me: &str) -> Value {
    let c = &view.conversation;
    let m = &view.membership;
    let contact_id = match c.kind {
        Kind::Direct => c.members.iter().find(|id| *id != me).cloned(),
        Kind::Group => None,
    };
    json!({
        "id": c.id,
        "contact_id": contact_id,
        "group_id": c.group_id,
        "pinned_message_id": c.pinned_message_id,
        "is_pinned": m.is_pinned,
        "is_muted": m.is_muted,
        "last_active_at": secs_opt(c.last_active_at),
        "last_opened_at": secs_opt(m.last_opened_at),
        "created_at": secs(c.created_at),
        "archived_at": secs_opt(m.archived_at),
    })
}

fn attachment_json(attachment: &Attachment, base: &str) -> Value {
    json!({
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": format!("{base}/v1/attachments/{}", attachment.id),
        "created_at": secs(attachment.created_at),
    })
}

/// Renders messages for `viewer` with one batch of look-ups.
async fn render_messages(state: &Shared, viewer: &str, base: &str, messages: Vec<Message>) -> ApiResult<Vec<Value>> {
    let viewer = viewer.to_string();
    let base = base.to_string();
    state
        .store
        .read(move |conn| {
            let ids: Vec<&str> = messages.iter().map(|m| m.id.as_str()).collect();
            let reactions = store::reactions(conn, &ids)?;
            let attachments = store::attachments(conn, &ids)?;
            let mut people_ids: Vec<String> = messages.iter().map(|m| m.sender_id.clone()).collect();
            for list in reactions.values() {
                for (_, who) in list {
                    people_ids.extend(who.iter().cloned());
                }
            }
            let people = store::people_by_ids(conn, &people_ids)?;
            let mut out = Vec::with_capacity(messages.len());
            for m in &messages {
                let contact = people.get(&m.sender_id).map(contact_json).unwrap_or(Value::Null);
                let reactions: Vec<Value> = reactions
                    .get(&m.id)
                    .map(|list| {
                        list.iter()
                            .map(|(emoji, who)| {
                                let names: Vec<&str> = who
                                    .iter()
                                    .map(|id| people.get(id).map_or(id.as_str(), |p| p.username.as_str()))
                                    .collect();
                                json!({ emoji::name_of(emoji): names })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let attachments: Vec<Value> = attachments
                    .get(&m.id)
                    .map(|list| list.iter().map(|a| attachment_json(a, &base)).collect())
                    .unwrap_or_default();
                out.push(json!({
                    "id": m.id,
                    "conversation_id": m.conversation_id,
                    "contact": contact,
                    "message": m.body,
                    "reactions": reactions,
                    "attachments": attachments,
                    "read_at": secs_opt(store::read_at(conn, m, &viewer)?),
                    "created_at": secs(m.created_at),
                    "updated_at": secs_opt(m.updated_at),
                }));
            }
            Ok(out)
        })
        .await
}

fn list_json(data: Vec<Value>, has_more: bool) -> Json<Value> {
    Json(json!({ "has_more": has_more, "data": data }))
}

// ---- pagination

#[derive(Deserialize, Default)]
struct ListQuery {
    limit: Option<String>,
    starting_after: Option<String>,
    ending_before: Option<String>,
    conversation_id: Option<String>,
}

/// Pages an in-memory list (already in list order) by object id.
fn page_by_id<T>(items: Vec<T>, id_of: impl Fn(&T) -> &str, query: &ListQuery) -> ApiResult<(Vec<T>, bool)> {
    let limit = page_limit(query.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let position = |cursor: &str, field: &str| {
        items
            .iter()
            .position(|item| id_of(item) == cursor)
            .ok_or_else(|| ApiError::invalid_field(field, format!("no object with id {cursor} in this list")))
    };
    match (&query.starting_after, &query.ending_before) {
        (Some(_), Some(_)) => Err(ApiError::bad_request("use starting_after or ending_before, not both")),
        (Some(after), None) => {
            let from = position(after, "starting_after")? + 1;
            let more = items.len() > from + limit;
            Ok((items.into_iter().skip(from).take(limit).collect(), more))
        }
        (None, Some(before)) => {
            let to = position(before, "ending_before")?;
            let from = to.saturating_sub(limit);
            Ok((items.into_iter().skip(from).take(to - from).collect(), from > 0))
        }
        (None, None) => {
            let more = items.len() > limit;
            Ok((items.into_iter().take(limit).collect(), more))
        }
    }
}

// ---- conversations

async fn list_conversations(
    State(state): State<Shared>,
    Caller(me): Caller,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let person = me.id.clone();
    let views = state
        .store
        .read(move |conn| store::conversations_for(conn, &person))
        .await?;
    let (page, more) = page_by_id(views, |v| v.conversation.id.as_str(), &query)?;
    Ok(list_json(
        page.iter().map(|v| conversation_json(v, &me.id)).collect(),
        more,
    ))
}

#[derive(Deserialize)]
struct CreateConversation {
    contact_id: Option<String>,
    group_id: Option<String>,
}

async fn create_conversation(
    State(state): State<Shared>,
    Caller(me): Caller,
    Input(input): Input<CreateConversation>,
) -> ApiResult<Json<Value>> {
    let person = me.id.clone();
    let view = state
        .store
        .write(move |tx| match (input.contact_id, input.group_id) {
            (Some(contact), None) => {
                if contact == person {
                    return Err(ApiError::invalid_field(
                        "contact_id",
                        "you cannot start a conversation with yourself",
                    ));
                }
                let contact = store::person_by_id_or_username(tx, &contact)?
                    .ok_or_else(|| ApiError::invalid_field("contact_id", "no such contact"))?;
                let id = match store::find_direct(tx, &person, &contact.id, None)? {
                    Some(id) => id,
                    None => store::create_conversation(
                        tx,
                        &NewConversation {
                            kind: Kind::Direct,
                            title: None,
                            created_by: person.clone(),
                            members: vec![person.clone(), contact.id],
                            source: None,
                            locked: false,
                            created_at: now_ms(),
                        },
                    )?,
                };
                store::require_conversation(tx, &id, &person)
            }
            (None, Some(group)) => store::conversation_for_group(tx, &group, &person)?
                .ok_or_else(|| ApiError::invalid_field("group_id", "no such group of yours")),
            _ => Err(ApiError::invalid_field(
                "contact_id",
                "give exactly one of contact_id or group_id",
            )),
        })
        .await?;
    Ok(Json(conversation_json(&view, &me.id)))
}

async fn get_conversation(
    State(state): State<Shared>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let person = me.id.clone();
    let view = state
        .store
        .read(move |conn| store::require_conversation(conn, &id, &person))
        .await?;
    Ok(Json(conversation_json(&view, &me.id)))
}

#[derive(Deserialize)]
struct UpdateConversation {
    #[serde(default)]
    is_pinned: Option<FlexBool>,
    #[serde(default)]
    is_muted: Option<FlexBool>,
    #[serde(default)]
    archived_at: Patch<FlexInt>,
    #[serde(default)]
    pinned_message_id: Patch<String>,
    /// Extension: marks read everything sent up to this time (seconds).
    #[serde(default)]
    last_opened_at: Patch<FlexInt>,
}

async fn update_conversation(
    State(state): State<Shared>,
    Caller(me): Caller,
    Path(id): Path<String>,
    Input(input): Input<UpdateConversation>,
) -> ApiResult<Json<Value>> {
    let strict = state.strict;
    let person = me.id.clone();
    let view = state
        .store
        .write(move |tx| {
            store::require_conversation(tx, &id, &person)?;
            let change = MembershipChange {
                is_pinned: input.is_pinned.map(|b| b.0),
                is_muted: input.is_muted.map(|b| b.0),
                archived_at: match input.archived_at {
                    Patch::Absent => None,
                    Patch::Null => Some(None),
                    Patch::Value(FlexInt(secs)) => Some(Some(secs.saturating_mul(1000))),
                },
            };
            if change.is_pinned.is_some() || change.is_muted.is_some() || change.archived_at.is_some() {
                store::change_membership(tx, &id, &person, &change)?;
            }
            match input.pinned_message_id {
                Patch::Absent => {}
                Patch::Null => store::set_pinned_message(tx, &id, None)?,
                Patch::Value(message) => store::set_pinned_message(tx, &id, Some(&message))?,
            }
            // `last_opened_at` is an extension; a strict server does not take it.
            if let (Patch::Value(FlexInt(secs)), false) = (input.last_opened_at, strict) {
                let upto = store::seq_at(tx, &id, secs.saturating_mul(1000).saturating_add(999))?;
                store::mark_read(tx, &id, &person, Some(upto))?;
            }
            store::require_conversation(tx, &id, &person)
        })
        .await?;
    Ok(Json(conversation_json(&view, &me.id)))
}

async fn delete_conversation(
    State(state): State<Shared>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .store
        .write(move |tx| {
            store::require_conversation(tx, &id, &me.id)?;
            store::delete_conversation(tx, &id)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- messages

async fn list_messages(
    State(state): State<Shared>,
    Caller(me): Caller,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let limit = page_limit(query.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let person = me.id.clone();
    let (messages, more) = state
        .store
        .read(move |conn| {
            if let Some(conversation) = &query.conversation_id {
                store::require_conversation(conn, conversation, &person)?;
            }
            let seq_of = |id: &str, field: &str| -> ApiResult<i64> {
                let found = store::message(conn, id)?;
                match found {
                    Some(m)
                        if query.conversation_id.as_ref().is_none_or(|c| *c == m.conversation_id)
                            && store::conversation_for(conn, &m.conversation_id, &person)?.is_some() =>
                    {
                        Ok(m.seq)
                    }
                    _ => Err(ApiError::invalid_field(field, format!("no message {id} in this list"))),
                }
            };
            let page = match (&query.starting_after, &query.ending_before) {
                (Some(_), Some(_)) => {
                    return Err(ApiError::bad_request("use starting_after or ending_before, not both"))
                }
                (Some(after), None) => Page::Older {
                    before_seq: Some(seq_of(after, "starting_after")?),
                },
                (None, Some(before)) => Page::Newer {
                    after_seq: seq_of(before, "ending_before")?,
                },
                (None, None) => Page::Older { before_seq: None },
            };
            let (mut rows, more) = match &query.conversation_id {
                Some(conversation) => store::messages_page(conn, conversation, page, limit)?,
                None => store::messages_page_for_person(conn, &person, page, limit)?,
            };
            // Lists run newest first; a page fetched towards newer items comes back oldest first.
            if matches!(page, Page::Newer { .. }) {
                rows.reverse();
            }
            Ok((rows, more))
        })
        .await?;
    let data = render_messages(&state, &me.id, &base_url(&headers), messages).await?;
    Ok(list_json(data, more))
}

#[derive(Deserialize)]
struct SendMessage {
    conversation_id: String,
    message: String,
    #[serde(default)]
    attachments: StringList,
}

async fn send_message(
    State(state): State<Shared>,
    Caller(me): Caller,
    headers: HeaderMap,
    Input(input): Input<SendMessage>,
) -> ApiResult<Json<Value>> {
    let person = me.id.clone();
    let message = state
        .store
        .write(move |tx| {
            store::insert_message(
                tx,
                &input.conversation_id,
                &person,
                &input.message,
                &input.attachments.0,
                now_ms(),
            )
        })
        .await?;
    one(render_messages(&state, &me.id, &base_url(&headers), vec![message]).await?)
}

fn one(mut rendered: Vec<Value>) -> ApiResult<Json<Value>> {
    rendered.pop().map(Json).ok_or_else(ApiError::internal)
}

async fn get_message(
    State(state): State<Shared>,
    Caller(me): Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let person = me.id.clone();
    let (message, _) = state
        .store
        .read(move |conn| store::message_for(conn, &id, &person))
        .await?;
    one(render_messages(&state, &me.id, &base_url(&headers), vec![message]).await?)
}

#[derive(Deserialize)]
struct UpdateMessage {
    message: Option<String>,
    #[serde(default)]
    reactions: Option<Value>,
    #[serde(default)]
    attachments: Option<StringList>,
}

/// Reads `reactions` as the seed writes it (`[{"name": ["user"]}]`) or as one object
/// (`{"name": ["user"]}`, which is what the form `reactions[name][]=user` becomes).
fn reaction_lists(value: Value) -> ApiResult<BTreeMap<String, Vec<String>>> {
    let invalid = || ApiError::invalid_field("reactions", "expected {emoji: [usernames]} or a list of such objects");
    let objects = match value {
        Value::Array(items) => items,
        Value::Object(_) => vec![value],
        Value::String(s) if s.is_empty() => Vec::new(),
        Value::Null => Vec::new(),
        _ => return Err(invalid()),
    };
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for object in objects {
        let Value::Object(map) = object else {
            return Err(invalid());
        };
        for (emoji, who) in map {
            let names = match who {
                Value::Array(items) => items
                    .into_iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s),
                        _ => Err(invalid()),
                    })
                    .collect::<ApiResult<Vec<_>>>()?,
                Value::String(s) => vec![s],
                _ => return Err(invalid()),
            };
            out.entry(emoji).or_default().extend(names);
        }
    }
    Ok(out)
}

async fn update_message(
    State(state): State<Shared>,
    Caller(me): Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Input(input): Input<UpdateMessage>,
) -> ApiResult<Json<Value>> {
    let reactions = input.reactions.map(reaction_lists).transpose()?;
    let strict = state.strict;
    let person = me.clone();
    let message = state
        .store
        .write(move |tx| {
            let (message, _) = store::message_for(tx, &id, &person.id)?;
            if let Some(text) = &input.message {
                if *text != message.body {
                    store::edit_message(tx, &id, &person.id, text)?;
                }
            }
            if let Some(ids) = &input.attachments {
                if !ids.0.is_empty() {
                    store::add_attachments(tx, &id, &person.id, &ids.0)?;
                }
            }
            // Nobody can react for someone else, so only the lists naming the caller count.
            // The document leaves open whether `reactions` adds or replaces; this server reads
            // it both ways so clients are tested against both: normally it adds (removing is
            // the DELETE .../reactions/:emoji extension), in strict mode it replaces the
            // caller's reactions with exactly the emoji whose lists name them.
            if let Some(reactions) = reactions {
                let wanted: Vec<String> = reactions
                    .iter()
                    .filter(|(_, who)| who.iter().any(|w| *w == person.username || *w == person.id))
                    .map(|(name, _)| emoji::canonical(name))
                    .collect();
                if strict {
                    let current = store::reactions(tx, &[id.as_str()])?;
                    for (emoji, who) in current.get(&id).cloned().unwrap_or_default() {
                        if who.contains(&person.id) && !wanted.contains(&emoji) {
                            store::set_reaction(tx, &id, &person.id, &emoji, false)?;
                        }
                    }
                }
                for emoji in &wanted {
                    store::set_reaction(tx, &id, &person.id, emoji, true)?;
                }
            }
            store::message(tx, &id)?.ok_or_else(|| ApiError::not_found("message"))
        })
        .await?;
    one(render_messages(&state, &me.id, &base_url(&headers), vec![message]).await?)
}

async fn remove_reaction(
    State(state): State<Shared>,
    Caller(me): Caller,
    headers: HeaderMap,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let person = me.id.clone();
    let message = state
        .store
        .write(move |tx| {
            store::set_reaction(tx, &id, &person, &emoji::canonical(&name), false)?;
            store::message(tx, &id)?.ok_or_else(|| ApiError::not_found("message"))
        })
        .await?;
    one(render_messages(&state, &me.id, &base_url(&headers), vec![message]).await?)
}

async fn delete_message(
    State(state): State<Shared>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .store
        .write(move |tx| store::delete_message(tx, &id, &me.id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- directory

async fn list_contacts(
    State(state): State<Shared>,
    Caller(me): Caller,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let people: Vec<Person> = state
        .store
        .read(store::people)
        .await?
        .into_iter()
        .filter(|p| p.id != me.id)
        .collect();
    let (page, more) = page_by_id(people, |p| p.id.as_str(), &query)?;
    Ok(list_json(page.iter().map(contact_json).collect(), more))
}

async fn me(Caller(me): Caller) -> Json<Value> {
    Json(contact_json(&me))
}

fn group_json(view: &ConversationView) -> Value {
    let c = &view.conversation;
    json!({
        "id": c.group_id,
        "name": c.title,
        "member_ids": c.members,
        "conversation_id": c.id,
        "created_at": secs(c.created_at),
    })
}

async fn list_groups(
    State(state): State<Shared>,
    Caller(me): Caller,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let person = me.id.clone();
    let groups: Vec<ConversationView> = state
        .store
        .read(move |conn| store::conversations_for(conn, &person))
        .await?
        .into_iter()
        .filter(|v| v.conversation.group_id.is_some())
        .collect();
    let (page, more) = page_by_id(
        groups,
        |v| v.conversation.group_id.as_deref().unwrap_or_default(),
        &query,
    )?;
    Ok(list_json(page.iter().map(group_json).collect(), more))
}

#[derive(Deserialize)]
struct CreateGroup {
    name: String,
    member_ids: StringList,
}

async fn create_group(
    State(state): State<Shared>,
    Caller(me): Caller,
    Input(input): Input<CreateGroup>,
) -> ApiResult<Json<Value>> {
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid_field(
            "name",
            "a group needs a name of 1 to 100 characters",
        ));
    }
    let person = me.id.clone();
    let view = state
        .store
        .write(move |tx| {
            let mut members = vec![person.clone()];
            for key in input.member_ids.0 {
                let found = store::person_by_id_or_username(tx, &key)?
                    .ok_or_else(|| ApiError::invalid_field("member_ids", format!("no contact {key}")))?;
                if !members.contains(&found.id) {
                    members.push(found.id);
                }
            }
            if members.len() < 3 {
                return Err(ApiError::invalid_field(
                    "member_ids",
                    "a group needs at least two other people",
                ));
            }
            let id = store::create_conversation(
                tx,
                &NewConversation {
                    kind: Kind::Group,
                    title: Some(name),
                    created_by: person.clone(),
                    members,
                    source: None,
                    locked: false,
                    created_at: now_ms(),
                },
            )?;
            store::require_conversation(tx, &id, &person)
        })
        .await?;
    Ok(Json(group_json(&view)))
}

// ---- attachments

#[derive(Deserialize)]
struct UploadQuery {
    filename: Option<String>,
}

async fn upload(
    State(state): State<Shared>,
    Caller(me): Caller,
    headers: HeaderMap,
    Query(query): Query<UploadQuery>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<Value>> {
    let data = body.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("an attachment is at most {MAX_ATTACHMENT_BYTES} bytes"),
        )
    })?;
    let (filename, content_type) = upload_parts(&headers, query.filename)?;
    let attachment = state
        .store
        .write(move |tx| store::create_attachment(tx, &me.id, &filename, &content_type, &data))
        .await?;
    Ok(Json(attachment_json(&attachment, &base_url(&headers))))
}

async fn download(State(state): State<Shared>, Caller(me): Caller, Path(id): Path<String>) -> ApiResult<Response> {
    let (attachment, data) = state
        .store
        .read(move |conn| store::attachment_for(conn, &id, &me.id))
        .await?;
    Ok(attachment_response(attachment, data))
}

// ---- events

#[derive(Deserialize)]
struct EventsQuery {
    last_event_id: Option<i64>,
}

async fn events(
    State(state): State<Shared>,
    Caller(me): Caller,
    headers: HeaderMap,
    Query(query): Query<EventsQuery>,
) -> ApiResult<impl IntoResponse> {
    let after = stream::start_after(&state, &headers, query.last_event_id).await?;
    // Attachment URLs in events point where the stream was opened.
    let base = base_url(&headers);
    let render = stream::render(Arc::new(Events { base }));
    Ok(stream::events(state, me, after, render))
}

/// Events in protocol's shape; attachment URLs point where the stream was opened.
struct Events {
    base: String,
}

impl stream::EventShape for Events {
    fn member_left_field(&self) -> Option<&'static str> {
        Some("contact_id")
    }

    fn message(&self, state: Shared, viewer: Person, message: Message) -> BoxFuture<'static, ApiResult<Value>> {
        let base = self.base.clone();
        Box::pin(async move {
            let rendered = render_messages(&state, &viewer.id, &base, vec![message]).await?;
            Ok(rendered.into_iter().next().unwrap_or(Value::Null))
        })
    }

    fn conversation(
        &self,
        _state: Shared,
        viewer: Person,
        view: ConversationView,
    ) -> BoxFuture<'static, ApiResult<Value>> {
        Box::pin(async move { Ok(conversation_json(&view, &viewer.id)) })
    }
}
