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
    store::{self, Event, Person},
    Shared,
};

/// Renders one stored event for one person; `None` skips it (its subject is gone).
pub type Render = Arc<dyn Fn(Shared, Person, Event) -> BoxFuture<'static, ApiResult<Option<Value>>> + Send + Sync>;

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
