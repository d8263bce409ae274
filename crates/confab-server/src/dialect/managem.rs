//! `managem` (seed 004): `/conversations`, ISO-8601 times that may be null, camelCase, two
//! people per conversation (`userA`, `userB`) tied to a `source` such as an order, 201 on
//! creation, sanitized bodies, and locked conversations that take no new messages.
//!
//! Only direct conversations exist in this dialect; group conversations made through the others
//! are invisible here (404), as a managem client could not show them.
//!
//! Extensions (documented as such): listing and reading conversations, listing and sending
//! messages, marking viewed, `/users`, `/users/me`, `/attachments`, `/events`; lists are
//! `{data, nextCursor}`, newest first.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{json, Value};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{attachment_response, base_url, page_limit, upload_parts};
use crate::{
    auth::Caller,
    body::{Input, StringList},
    error::{ApiError, ApiResult},
    sanitize::sanitize,
    store::{
        self, now_ms, Attachment, ConversationView, Kind, Message, NewConversation, Page, Person, MAX_ATTACHMENT_BYTES,
    },
    stream, Shared,
};

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/conversations", get(list_conversations).post(create_conversation))
        .route("/conversations/{id}", get(get_conversation))
        .route("/conversations/{id}/messages", get(list_messages).post(send_message))
        .route("/conversations/{id}/viewed", post(mark_viewed))
        .route("/users", get(list_users))
        .route("/users/me", get(me))
        .route("/users/{id}", get(get_user))
        .route(
            "/attachments",
            post(upload).layer(DefaultBodyLimit::max(MAX_ATTACHMENT_BYTES)),
        )
        .route("/attachments/{id}", get(download))
        .route("/events", get(events))
}

const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;

/// ISO-8601 in UTC with milliseconds, e.g. `2023-11-07T05:31:56.000Z`.
pub fn iso(ms: i64) -> Option<String> {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()?;
    let text = at.format(&Rfc3339).ok()?;
    // Rfc3339 trims trailing zero fractions; keep exactly three digits for a stable shape.
    let (seconds, _) = text.split_once('Z').map_or((text.as_str(), ""), |(a, b)| (a, b));
    let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
    let millis = format!("{:0<3}", &fraction[..fraction.len().min(3)]);
    Some(format!("{whole}.{millis}Z"))
}

// ---- shapes

fn profile_json(person: &Person, base: &str) -> Value {
    json!({
        "id": person.id,
        "username": person.username,
        "reviews": person.reviews,
        "rating": person.rating,
        "score": person.score,
        "sales": person.sales,
        "purchases": person.purchases,
        "joined": iso(person.created_at),
        "avatar": person.avatar_url,
        "cover": Value::Null,
        "profile": format!("{base}/users/{}", person.id),
    })
}

fn attachment_json(attachment: &Attachment, base: &str) -> Value {
    let image_id = attachment
        .content_type
        .starts_with("image/")
        .then(|| attachment.id.clone());
    json!({ "id": attachment.id, "imageId": image_id, "url": format!("{base}/attachments/{}", attachment.id) })
}

/// Messages as `viewer` sees them, with one batch of look-ups.
async fn render_messages(state: &Shared, viewer: &str, base: &str, messages: Vec<Message>) -> ApiResult<Vec<Value>> {
    let (viewer, base) = (viewer.to_string(), base.to_string());
    state
        .store
        .read(move |conn| {
            let ids: Vec<&str> = messages.iter().map(|m| m.id.as_str()).collect();
            let attachments = store::attachments(conn, &ids)?;
            let senders: Vec<String> = messages.iter().map(|m| m.sender_id.clone()).collect();
            let people = store::people_by_ids(conn, &senders)?;
            let mut out = Vec::with_capacity(messages.len());
            for m in &messages {
                let files: Vec<Value> = attachments
                    .get(&m.id)
                    .map(|list| list.iter().map(|a| attachment_json(a, &base)).collect())
                    .unwrap_or_default();
                out.push(json!({
                    "id": m.id,
                    "conversationId": m.conversation_id,
                    "sender": people.get(&m.sender_id).map(|p| profile_json(p, &base)),
                    "body": m.body,
                    "createdAt": iso(m.created_at),
                    "viewedAt": store::read_at(conn, m, &viewer)?.and_then(iso),
                    "attachments": files,
                }));
            }
            Ok(out)
        })
        .await
}

async fn render_conversation(state: &Shared, viewer: &str, base: &str, view: ConversationView) -> ApiResult<Value> {
    let id = view.conversation.id.clone();
    let (last, people) = state
        .store
        .read(move |conn| {
            let last = store::last_message(conn, &id)?;
            let mut ids = view.conversation.members.clone();
            ids.push(view.conversation.created_by.clone());
            Ok((last, (store::people_by_ids(conn, &ids)?, view)))
        })
        .await?;
    let (people, view) = people;
    let c = &view.conversation;
    let user_a = if c.members.contains(&c.created_by) {
        c.created_by.clone()
    } else {
        c.members[0].clone()
    };
    let user_b = c.members.iter().find(|id| **id != user_a).cloned().unwrap_or_default();
    let last = match last {
        Some(message) => render_messages(state, viewer, base, vec![message]).await?.pop(),
        None => None,
    };
    let source = match &c.source {
        Some((kind, id)) => json!({ "type": kind, "id": id }),
        None => json!({ "type": "DIRECT", "id": c.id }),
    };
    Ok(json!({
        "id": c.id,
        "source": source,
        "userA": people.get(&user_a).map(|p| profile_json(p, base)),
        "userB": people.get(&user_b).map(|p| profile_json(p, base)),
        "locked": c.locked,
        "createdAt": iso(c.created_at),
        "updatedAt": iso(c.updated_at),
        "lastMessage": last,
    }))
}

/// A direct conversation of `person`, or 404 (groups do not exist in this dialect).
fn require_direct(conn: &rusqlite::Connection, id: &str, person: &str) -> ApiResult<ConversationView> {
    match store::conversation_for(conn, id, person)? {
        Some(view) if view.conversation.kind == Kind::Direct && view.conversation.members.len() == 2 => Ok(view),
        _ => Err(ApiError::not_found("conversation")),
    }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    limit: Option<String>,
    cursor: Option<String>,
    last_event_id: Option<i64>,
    filename: Option<String>,
}

fn list_json(data: Vec<Value>, next_cursor: Option<String>) -> Json<Value> {
    Json(json!({ "data": data, "nextCursor": next_cursor }))
}

// ---- conversations

async fn list_conversations(
    State(state): State<Shared>,
    Caller(me): Caller,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let limit = page_limit(query.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let person = me.id.clone();
    let views: Vec<ConversationView> = state
        .store
        .read(move |conn| store::conversations_for(conn, &person))
        .await?
        .into_iter()
        .filter(|v| v.conversation.kind == Kind::Direct && v.conversation.members.len() == 2)
        .collect();
    let from = match &query.cursor {
        Some(cursor) => views
            .iter()
            .position(|v| v.conversation.id == *cursor)
            .map(|at| at + 1)
            .ok_or_else(|| {
                ApiError::invalid_field("cursor", "this cursor is not in the list; start again without one")
            })?,
        None => 0,
    };
    let page: Vec<ConversationView> = views.iter().skip(from).take(limit).cloned().collect();
    let next = (views.len() > from + limit)
        .then(|| page.last().map(|v| v.conversation.id.clone()))
        .flatten();
    let base = base_url(&headers);
    let mut data = Vec::with_capacity(page.len());
    for view in page {
        data.push(render_conversation(&state, &me.id, &base, view).await?);
    }
    Ok(list_json(data, next))
}

#[derive(Deserialize)]
struct Source {
    #[serde(rename = "type")]
    kind: String,
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateConversation {
    source: Source,
    recipient_id: String,
    body: String,
    #[serde(default)]
    attachments: StringList,
}

async fn create_conversation(
    State(state): State<Shared>,
    Caller(me): Caller,
    headers: HeaderMap,
    Input(input): Input<CreateConversation>,
) -> ApiResult<Response> {
    let kind = input.source.kind.trim().to_ascii_uppercase();
    if kind.is_empty() || kind.len() > 32 || !kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(ApiError::invalid_field("source.type", "a short name such as ORDER"));
    }
    if input.source.id.trim().is_empty() || input.source.id.len() > 128 {
        return Err(ApiError::invalid_field("source.id", "1 to 128 characters"));
    }
    let body = sanitize(&input.body);
    if body.is_empty() {
        return Err(ApiError::invalid_field(
            "body",
            "nothing is left of the message once links and emojis are removed",
        ));
    }
    let person = me.id.clone();
    let source = (kind, input.source.id.trim().to_string());
    let (view, created) = state
        .store
        .write(move |tx| {
            if input.recipient_id == person {
                return Err(ApiError::invalid_field(
                    "recipientId",
                    "you cannot start a conversation with yourself",
                ));
            }
            if store::person(tx, &input.recipient_id)?.is_none() {
                return Err(ApiError::invalid_field("recipientId", "no such user"));
            }
            let existing = store::find_direct(tx, &person, &input.recipient_id, Some(&source))?;
            let created = existing.is_none();
            let id = match existing {
                Some(id) => id,
                None => store::create_conversation(
                    tx,
                    &NewConversation {
                        kind: Kind::Direct,
                        title: None,
                        created_by: person.clone(),
                        members: vec![person.clone(), input.recipient_id.clone()],
                        source: Some(source),
                        locked: false,
                        created_at: now_ms(),
                    },
                )?,
            };
            store::insert_message(tx, &id, &person, &body, &input.attachments.0, now_ms())?;
            Ok((store::require_conversation(tx, &id, &person)?, created))
        })
        .await?;
    let rendered = render_conversation(&state, &me.id, &base_url(&headers), view).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(rendered)).into_response())
}

async fn get_conversation(
    State(state): State<Shared>,
    Caller(me): Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let person = me.id.clone();
    let view = state.store.read(move |conn| require_direct(conn, &id, &person)).await?;
    Ok(Json(
        render_conversation(&state, &me.id, &base_url(&headers), view).await?,
    ))
}

// ---- messages

async fn list_messages(
    State(state): State<Shared>,
    Caller(me): Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let limit = page_limit(query.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let person = me.id.clone();
    let (messages, more) = state
        .store
        .read(move |conn| {
            require_direct(conn, &id, &person)?;
            let before_seq = match &query.cursor {
                Some(cursor) => match store::message(conn, cursor)? {
                    Some(m) if m.conversation_id == id => Some(m.seq),
                    _ => {
                        return Err(ApiError::invalid_field(
                            "cursor",
                            "no such message in this conversation",
                        ))
                    }
                },
                None => None,
            };
            store::messages_page(conn, &id, Page::Older { before_seq }, limit)
        })
        .await?;
    let next = if more {
        messages.last().map(|m| m.id.clone())
    } else {
        None
    };
    let data = render_messages(&state, &me.id, &base_url(&headers), messages).await?;
    Ok(list_json(data, next))
}

#[derive(Deserialize)]
struct SendMessage {
    body: String,
    #[serde(default)]
    attachments: StringList,
}

async fn send_message(
    State(state): State<Shared>,
    Caller(me): Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Input(input): Input<SendMessage>,
) -> ApiResult<Response> {
    let body = sanitize(&input.body);
    if body.is_empty() {
        return Err(ApiError::invalid_field(
            "body",
            "nothing is left of the message once links and emojis are removed",
        ));
    }
    let person = me.id.clone();
    let message = state
        .store
        .write(move |tx| {
            require_direct(tx, &id, &person)?;
            store::insert_message(tx, &id, &person, &body, &input.attachments.0, now_ms())
        })
        .await?;
    let rendered = render_messages(&state, &me.id, &base_url(&headers), vec![message]).await?;
    Ok((
        StatusCode::CREATED,
        Json(rendered.into_iter().next().unwrap_or(Value::Null)),
    )
        .into_response())
}

async fn mark_viewed(State(state): State<Shared>, Caller(me): Caller, Path(id): Path<String>) -> ApiResult<StatusCode> {
    state
        .store
        .write(move |tx| {
            require_direct(tx, &id, &me.id)?;
            store::mark_read(tx, &id, &me.id, None)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- directory

async fn list_users(State(state): State<Shared>, Caller(me): Caller, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let base = base_url(&headers);
    let people = state.store.read(store::people).await?;
    let data = people
        .iter()
        .filter(|p| p.id != me.id)
        .map(|p| profile_json(p, &base))
        .collect();
    Ok(list_json(data, None))
}

async fn get_user(
    State(state): State<Shared>,
    Caller(_me): Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let person = state
        .store
        .read(move |conn| store::person(conn, &id))
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    Ok(Json(profile_json(&person, &base_url(&headers))))
}

async fn me(Caller(me): Caller, headers: HeaderMap) -> Json<Value> {
    Json(profile_json(&me, &base_url(&headers)))
}

// ---- attachments

async fn upload(
    State(state): State<Shared>,
    Caller(me): Caller,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Response> {
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
    Ok((
        StatusCode::CREATED,
        Json(attachment_json(&attachment, &base_url(&headers))),
    )
        .into_response())
}

async fn download(State(state): State<Shared>, Caller(me): Caller, Path(id): Path<String>) -> ApiResult<Response> {
    let (attachment, data) = state
        .store
        .read(move |conn| store::attachment_for(conn, &id, &me.id))
        .await?;
    Ok(attachment_response(attachment, data))
}

// ---- events

async fn events(
    State(state): State<Shared>,
    Caller(me): Caller,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> ApiResult<impl IntoResponse> {
    let after = stream::start_after(&state, &headers, query.last_event_id).await?;
    let base = base_url(&headers);
    let render = stream::render(Arc::new(Events { base }));
    Ok(stream::events(state, me, after, render))
}

/// Events in managem's shape (camelCase); groups are not part of this dialect, nor their
/// events.
struct Events {
    base: String,
}

impl stream::EventShape for Events {
    fn camel_case(&self) -> bool {
        true
    }

    fn member_left_field(&self) -> Option<&'static str> {
        None
    }

    fn shows(&self, state: Shared, conversation_id: String) -> BoxFuture<'static, ApiResult<bool>> {
        Box::pin(async move {
            let kind = state
                .store
                .read(move |conn| store::conversation_kind(conn, &conversation_id))
                .await?;
            Ok(kind == Some(Kind::Direct))
        })
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
        state: Shared,
        viewer: Person,
        view: ConversationView,
    ) -> BoxFuture<'static, ApiResult<Value>> {
        let base = self.base.clone();
        Box::pin(async move { render_conversation(&state, &viewer.id, &base, view).await })
    }
}
