//! `portal` (seed 000): `/api/messages`, integer milliseconds, reactions as an object of
//! emoji -> person ids, and others' messages translated into the reader's language.
//!
//! Extensions (documented as such): `?limit=&before=&after=` on a conversation's messages
//! (paged reads do not mark read), marking read, removing a reaction, the leave route's path, `/api/people`, `/api/me`, `/api/events`.

use std::collections::HashMap;

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{get, post},
    Json, Router,
};
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::page_limit;
use crate::{
    auth::Caller,
    body::{Input, StringList},
    emoji,
    error::{ApiError, ApiResult},
    store::{self, now_ms, ConversationView, Kind, Message, NewConversation, Page, Person},
    stream, Shared,
};

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/api/messages", get(list).post(create))
        .route("/api/messages/{id}", get(show).post(send))
        .route("/api/messages/{id}/react", post(react).delete(unreact))
        .route("/api/messages/{id}/leave", post(leave))
        .route("/api/messages/{id}/read", post(mark_read))
        .route("/api/people", get(people))
        .route("/api/me", get(me))
        .route("/api/events", get(events))
}

// ---- shapes

fn person_json(person: &Person) -> Value {
    json!({ "id": person.id, "name": person.display_name, "username": person.username, "language": person.language })
}

fn conversation_json(view: &ConversationView, last: Option<Value>, unread: i64) -> Value {
    let c = &view.conversation;
    json!({
        "id": c.id,
        "district_id": c.district_id,
        "participants": c.members,
        "last_message": last,
        "unread": unread,
        "created_at": c.created_at,
    })
}

fn message_json(message: &Message, body: &str, reactions: &[(String, Vec<String>)]) -> Value {
    let mut map = Map::new();
    for (emoji, people) in reactions {
        map.insert(emoji.clone(), json!(people));
    }
    json!({
        "id": message.id,
        "sender_id": message.sender_id,
        "body": body,
        "reactions": map,
        "created_at": message.created_at,
    })
}

/// The bodies of `messages` as `viewer` reads them: their own and same-language messages as
/// written, others' translated when a translator is configured (cached per language).
async fn localized(state: &Shared, viewer: &Person, messages: &[Message]) -> ApiResult<HashMap<String, String>> {
    let mut bodies: HashMap<String, String> = messages.iter().map(|m| (m.id.clone(), m.body.clone())).collect();
    let Some(translator) = state.translator.clone() else {
        return Ok(bodies);
    };
    let wanted: Vec<Message> = messages
        .iter()
        .filter(|m| m.sender_id != viewer.id && m.language != viewer.language)
        .cloned()
        .collect();
    if wanted.is_empty() {
        return Ok(bodies);
    }
    let language = viewer.language.clone();
    let ids: Vec<String> = wanted.iter().map(|m| m.id.clone()).collect();
    let cached = state
        .store
        .read(move |conn| {
            let mut found = HashMap::new();
            for id in ids {
                if let Some(body) = store::translation(conn, &id, &language)? {
                    found.insert(id, body);
                }
            }
            Ok(found)
        })
        .await?;
    let mut fresh = Vec::new();
    for message in &wanted {
        if let Some(body) = cached.get(&message.id) {
            bodies.insert(message.id.clone(), body.clone());
            continue;
        }
        match translator
            .translate(&message.body, &message.language, &viewer.language)
            .await
        {
            Ok(body) => {
                bodies.insert(message.id.clone(), body.clone());
                fresh.push((message.id.clone(), body));
            }
            Err(error) => tracing::warn!(%error, "translation failed; showing the original"),
        }
    }
    if !fresh.is_empty() {
        let language = viewer.language.clone();
        state
            .store
            .write(move |tx| {
                for (id, body) in &fresh {
                    store::save_translation(tx, id, &language, body)?;
                }
                Ok(())
            })
            .await?;
    }
    Ok(bodies)
}

async fn render_messages(state: &Shared, viewer: &Person, messages: Vec<Message>) -> ApiResult<Vec<Value>> {
    let ids: Vec<String> = messages.iter().map(|m| m.id.clone()).collect();
    let reactions = state
        .store
        .read(move |conn| store::reactions(conn, &ids.iter().map(String::as_str).collect::<Vec<_>>()))
        .await?;
    let bodies = localized(state, viewer, &messages).await?;
    Ok(messages
        .iter()
        .map(|m| {
            let body = bodies.get(&m.id).map_or(m.body.as_str(), String::as_str);
            message_json(m, body, reactions.get(&m.id).map_or(&[][..], Vec::as_slice))
        })
        .collect())
}

async fn render_conversation(state: &Shared, viewer: &Person, view: ConversationView) -> ApiResult<Value> {
    let (id, person, seq) = (
        view.conversation.id.clone(),
        viewer.id.clone(),
        view.membership.last_read_seq,
    );
    let (last, unread) = state
        .store
        .read(move |conn| {
            Ok((
                store::last_message(conn, &id)?,
                store::unread_count(conn, &id, &person, seq)?,
            ))
        })
        .await?;
    let last = match last {
        Some(message) => {
            let bodies = localized(state, viewer, std::slice::from_ref(&message)).await?;
            let body = bodies.get(&message.id).cloned().unwrap_or(message.body.clone());
            Some(
                json!({ "id": message.id, "body": body, "sender_id": message.sender_id, "created_at": message.created_at }),
            )
        }
        None => None,
    };
    Ok(conversation_json(&view, last, unread))
}

// ---- handlers

async fn list(State(state): State<Shared>, Caller(me): Caller) -> ApiResult<Json<Vec<Value>>> {
    let person = me.id.clone();
    let views = state
        .store
        .read(move |conn| store::conversations_for(conn, &person))
        .await?;
    let mut out = Vec::with_capacity(views.len());
    for view in views {
        out.push(render_conversation(&state, &me, view).await?);
    }
    Ok(Json(out))
}

#[derive(Deserialize)]
struct CreateBody {
    participants: StringList,
    body: String,
}

async fn create(
    State(state): State<Shared>,
    Caller(me): Caller,
    Input(input): Input<CreateBody>,
) -> ApiResult<impl IntoResponse> {
    let mut members = vec![me.id.clone()];
    for id in input.participants.0 {
        if !members.contains(&id) {
            members.push(id);
        }
    }
    if members.len() < 2 {
        return Err(ApiError::invalid_field(
            "participants",
            "include at least one other person besides yourself",
        ));
    }
    let body = input.body;
    let creator = me.id.clone();
    let view = state
        .store
        .write(move |tx| {
            store::validate_body(&body)?;
            for id in &members {
                if store::person(tx, id)?.is_none() {
                    return Err(ApiError::invalid_field(
                        "participants",
                        format!("no person with id {id}"),
                    ));
                }
            }
            let existing = match members.as_slice() {
                [a, b] => store::find_direct(tx, a, b, None)?,
                _ => None,
            };
            let id = match existing {
                Some(id) => id,
                None => store::create_conversation(
                    tx,
                    &NewConversation {
                        kind: if members.len() == 2 { Kind::Direct } else { Kind::Group },
                        title: None,
                        created_by: creator.clone(),
                        members,
                        source: None,
                        locked: false,
                        created_at: now_ms(),
                    },
                )?,
            };
            store::insert_message(tx, &id, &creator, &body, &[], now_ms())?;
            store::require_conversation(tx, &id, &creator)
        })
        .await?;
    let c = &view.conversation;
    let answer =
        json!({ "id": c.id, "district_id": c.district_id, "participants": c.members, "created_at": c.created_at });
    Ok((StatusCode::CREATED, Json(answer)))
}

#[derive(Deserialize)]
struct ShowQuery {
    limit: Option<String>,
    before: Option<String>,
    after: Option<String>,
}

async fn show(
    State(state): State<Shared>,
    Caller(me): Caller,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> ApiResult<Json<Value>> {
    // Without `limit` the seed's answer: every message. With it, a page (an extension).
    let limit = match &query.limit {
        Some(_) => Some(page_limit(query.limit.as_deref(), 50, 500)?),
        None => None,
    };
    let paged = query.limit.is_some() || query.before.is_some() || query.after.is_some();
    let person = me.id.clone();
    let keep_unread = state.reads_keep_unread;
    let (view, messages, more) = state
        .store
        .write(move |tx| {
            let view = store::require_conversation(tx, &id, &person)?;
            let seq_of = |message_id: &str| -> ApiResult<i64> {
                match store::message(tx, message_id)? {
                    Some(m) if m.conversation_id == id => Ok(m.seq),
                    _ => Err(ApiError::invalid_field(
                        "cursor",
                        format!("no message {message_id} in this conversation"),
                    )),
                }
            };
            let (mut messages, more) = match (&query.before, &query.after) {
                (Some(_), Some(_)) => return Err(ApiError::bad_request("use `before` or `after`, not both")),
                (None, Some(after)) => store::messages_page(
                    tx,
                    &id,
                    Page::Newer {
                        after_seq: seq_of(after)?,
                    },
                    limit.unwrap_or(usize::MAX / 2),
                )?,
                (before, None) => {
                    let before_seq = before.as_deref().map(seq_of).transpose()?;
                    let (mut page, more) =
                        store::messages_page(tx, &id, Page::Older { before_seq }, limit.unwrap_or(usize::MAX / 2))?;
                    page.reverse();
                    (page, more)
                }
            };
            messages.sort_by_key(|m| m.seq);
            // Reading a conversation clears its unread count (inferred from the seed; a server
            // can be started with the other reading). Paged reads are a client's sync, not a
            // person reading, so they leave it alone.
            if !paged && !keep_unread {
                store::mark_read(tx, &id, &person, None)?;
            }
            Ok((view, messages, more))
        })
        .await?;
    let rendered = render_messages(&state, &me, messages).await?;
    let mut answer =
        json!({ "id": view.conversation.id, "participants": view.conversation.members, "messages": rendered });
    if limit.is_some() {
        answer["has_more"] = json!(more);
    }
    Ok(Json(answer))
}

#[derive(Deserialize)]
struct SendBody {
    body: String,
}

async fn send(
    State(state): State<Shared>,
    Caller(me): Caller,
    Path(id): Path<String>,
    Input(input): Input<SendBody>,
) -> ApiResult<impl IntoResponse> {
    let person = me.id.clone();
    let message = state
        .store
        .write(move |tx| store::insert_message(tx, &id, &person, &input.body, &[], now_ms()))
        .await?;
    let mut rendered = render_messages(&state, &me, vec![message]).await?;
    Ok((StatusCode::CREATED, Json(rendered.pop().unwrap_or(Value::Null))))
}

#[derive(Deserialize)]
struct ReactBody {
    message_id: String,
    emoji: String,
}

async fn set_reaction(
    state: Shared,
    me: Person,
    conversation: String,
    input: ReactBody,
    on: bool,
) -> ApiResult<Json<Value>> {
    let person = me.id.clone();
    let message = state
        .store
        .write(move |tx| {
            let (message, _) = store::message_for(tx, &input.message_id, &person)?;
            if message.conversation_id != conversation {
                return Err(ApiError::not_found("message"));
            }
            store::set_reaction(tx, &message.id, &person, &emoji::canonical(&input.emoji), on)?;
            Ok(message)
        })
        .await?;
    let mut rendered = render_messages(&state, &me, vec![message]).await?;
    Ok(Json(rendered.pop().unwrap_or(Value::Null)))
}

async fn react(
    State(state): State<Shared>,
    Caller(me): Caller,
    Path(id): Path<String>,
    Input(input): Input<ReactBody>,
) -> ApiResult<Json<Value>> {
    set_reaction(state, me, id, input, true).await
}

async fn unreact(
    State(state): State<Shared>,
    Caller(me): Caller,
    Path(id): Path<String>,
    Input(input): Input<ReactBody>,
) -> ApiResult<Json<Value>> {
    set_reaction(state, me, id, input, false).await
}

async fn leave(State(state): State<Shared>, Caller(me): Caller, Path(id): Path<String>) -> ApiResult<StatusCode> {
    state.store.write(move |tx| store::leave(tx, &id, &me.id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn mark_read(State(state): State<Shared>, Caller(me): Caller, Path(id): Path<String>) -> ApiResult<StatusCode> {
    state
        .store
        .write(move |tx| {
            store::require_conversation(tx, &id, &me.id)?;
            store::mark_read(tx, &id, &me.id, None)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn people(State(state): State<Shared>, Caller(_me): Caller) -> ApiResult<Json<Vec<Value>>> {
    let people = state.store.read(store::people).await?;
    Ok(Json(people.iter().map(person_json).collect()))
}

async fn me(Caller(me): Caller) -> Json<Value> {
    Json(person_json(&me))
}

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
    Ok(stream::events(
        state,
        me,
        after,
        stream::render(std::sync::Arc::new(Events)),
    ))
}

/// Events in portal's shape: messages and conversations as its other routes render them.
struct Events;

impl stream::EventShape for Events {
    fn member_left_field(&self) -> Option<&'static str> {
        Some("person_id")
    }

    fn message(&self, state: Shared, viewer: Person, message: Message) -> BoxFuture<'static, ApiResult<Value>> {
        Box::pin(async move {
            let mut rendered = render_messages(&state, &viewer, vec![message]).await?;
            Ok(rendered.pop().unwrap_or(Value::Null))
        })
    }

    fn conversation(
        &self,
        state: Shared,
        viewer: Person,
        view: ConversationView,
    ) -> BoxFuture<'static, ApiResult<Value>> {
        Box::pin(async move { render_conversation(&state, &viewer, view).await })
    }
}
