//! Server-Sent Events (an extension to all three dialects): one stream per person, each event
//! rendered in the dialect's own shape, with `id:` set to the event's sequence number so a
//! client resumes with `Last-Event-ID` (header, or `last_event_id` query) and misses nothing.

use std::{collections::VecDeque, convert::Infallible, sync::Arc, time::Duration};

use axum::{
    http::HeaderMap,
    response::sse::{Event as SseEvent, KeepAlive, Sse},
};
use futures_util::{future::BoxFuture, stream::Stream};
use serde_json::Value;
use tokio::sync::broadcast::{error::RecvError, Receiver};

use crate::{
    error::ApiResult,
    store::{self, ConversationView, Event, EventKind, Message, Person},
    Shared,
};

/// Renders one stored event for one person; `None` skips it (its subject is gone).
pub type Render = Arc<dyn Fn(Shared, Person, Event) -> BoxFuture<'static, ApiResult<Option<Value>>> + Send + Sync>;

/// How one dialect shapes its events. The envelope is the same in all three (`type`, the
/// conversation's id, and a message, a message id, a conversation or who left); a dialect
/// gives its casing and renders the message and conversation as its other routes do.
pub trait EventShape: Send + Sync + 'static {
    /// `conversationId` rather than `conversation_id`.
    fn camel_case(&self) -> bool {
        false
    }

    /// The field that names who left; `None` when the dialect has no such event.
    fn member_left_field(&self) -> Option<&'static str>;

    /// Whether events of this conversation belong in the dialect (managem shows no groups).
    fn shows(&self, _state: Shared, _conversation_id: String) -> BoxFuture<'static, ApiResult<bool>> {
        Box::pin(async { Ok(true) })
    }

    fn message(&self, state: Shared, viewer: Person, message: Message) -> BoxFuture<'static, ApiResult<Value>>;

    fn conversation(
        &self,
        state: Shared,
        viewer: Person,
        view: ConversationView,
    ) -> BoxFuture<'static, ApiResult<Value>>;
}

/// The one event renderer, for any dialect's [`EventShape`].
pub fn render(shape: Arc<dyn EventShape>) -> Render {
    Arc::new(move |state, viewer, event| {
        let shape = Arc::clone(&shape);
        Box::pin(async move {
            let name = |snake: &'static str, camel: &'static str| if shape.camel_case() { camel } else { snake };
            if !shape.shows(state.clone(), event.conversation_id.clone()).await? {
                return Ok(None);
            }
            let mut data = serde_json::Map::new();
            data.insert("type".into(), Value::from(event.kind.as_str()));
            data.insert(
                name("conversation_id", "conversationId").into(),
                Value::from(event.conversation_id.clone()),
            );
            match event.kind {
                EventKind::MessageCreated | EventKind::MessageEdited | EventKind::MessageReaction => {
                    let id = event.subject_id.unwrap_or_default();
                    let Some(message) = state.store.read(move |conn| store::message(conn, &id)).await? else {
                        return Ok(None);
                    };
                    data.insert("message".into(), shape.message(state, viewer, message).await?);
                }
                EventKind::MessageDeleted => {
                    data.insert(name("message_id", "messageId").into(), Value::from(event.subject_id));
                }
                EventKind::ConversationCreated | EventKind::ConversationUpdated => {
                    let (id, person) = (event.conversation_id.clone(), viewer.id.clone());
                    let Some(view) = state
                        .store
                        .read(move |conn| store::conversation_for(conn, &id, &person))
                        .await?
                    else {
                        return Ok(None);
                    };
                    data.insert("conversation".into(), shape.conversation(state, viewer, view).await?);
                }
                EventKind::ConversationDeleted => {}
                EventKind::MemberLeft => match shape.member_left_field() {
                    Some(field) => {
                        data.insert(field.into(), Value::from(event.subject_id));
                    }
                    None => return Ok(None),
                },
            }
            Ok(Some(Value::Object(data)))
        })
    })
}

/// Where a stream starts: after the client's `Last-Event-ID`, or now.
pub async fn start_after(state: &Shared, headers: &HeaderMap, query: Option<i64>) -> ApiResult<i64> {
    let from_header = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    match from_header.or(query) {
        Some(id) => Ok(id.max(0)),
        None => state.store.read(store::newest_event_id).await,
    }
}

struct Cursor {
    state: Shared,
    person: Person,
    last: i64,
    wake: Receiver<i64>,
    pending: VecDeque<Event>,
    render: Render,
}

/// The SSE response for `person`, starting after event `after`.
pub fn events(
    state: Shared,
    person: Person,
    after: i64,
    render: Render,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let wake = state.store.subscribe();
    let state_closing = state.closing.clone();
    let cursor = Cursor {
        state,
        person,
        last: after,
        wake,
        pending: VecDeque::new(),
        render,
    };
    let stream = futures_util::stream::unfold(cursor, |mut cursor| async move {
        loop {
            if let Some(event) = cursor.pending.pop_front() {
                cursor.last = event.id;
                let rendered = (cursor.render)(cursor.state.clone(), cursor.person.clone(), event.clone()).await;
                match rendered {
                    Ok(Some(data)) => {
                        let sse = SseEvent::default()
                            .id(event.id.to_string())
                            .event(event.kind.as_str())
                            .data(data.to_string());
                        return Some((Ok(sse), cursor));
                    }
                    Ok(None) => continue,
                    Err(error) => {
                        tracing::warn!(%error, "could not render an event; the stream ends so the client resumes");
                        return None;
                    }
                }
            }
            let (person, last) = (cursor.person.id.clone(), cursor.last);
            match cursor
                .state
                .store
                .read(move |conn| store::events_for(conn, &person, last, 200))
                .await
            {
                Ok(batch) if !batch.is_empty() => {
                    cursor.pending.extend(batch);
                    continue;
                }
                Ok(_) => {}
                Err(_) => return None,
            }
            match cursor.wake.recv().await {
                Ok(_) | Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let mut closing = state_closing;
    let stream = futures_util::StreamExt::take_until(stream, async move {
        let _ = closing.wait_for(|closed| *closed).await;
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
