//! `Idempotency-Key` on every POST (an extension to all three dialects).
//!
//! The first response to a (person, key) pair is kept and replayed for every retry, marked
//! with `Idempotent-Replayed: true`; nothing is done twice. Reusing a key for a different
//! request is a 422. Retries of the same key wait for the first attempt to finish. 5xx answers
//! are not kept, so a retry after a server failure runs again.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::{header::CONTENT_TYPE, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

use crate::{
    auth::{bearer_hash, person_id_for},
    error::ApiError,
    store::{self, StoredResponse, MAX_ATTACHMENT_BYTES},
    Shared,
};

pub type Locks = Mutex<HashMap<(String, String), Arc<tokio::sync::Mutex<()>>>>;

const HEADER: &str = "idempotency-key";

pub async fn layer(State(state): State<Shared>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let Some(key) = request.headers().get(HEADER).cloned() else {
        return next.run(request).await;
    };
    let key = match key.to_str() {
        Ok(key) if (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) => key.to_string(),
        _ => return ApiError::bad_request("Idempotency-Key must be 1 to 255 visible ASCII characters").into_response(),
    };
    // Without a valid key the handler answers 401 itself; nothing to remember.
    let Ok(key_hash) = bearer_hash(request.headers()) else {
        return next.run(request).await;
    };
    let Ok(person) = person_id_for(&state, key_hash).await else {
        return next.run(request).await;
    };

    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, MAX_ATTACHMENT_BYTES + 64 * 1024).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large",
            )
            .into_response()
        }
    };
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str());
    hasher.update(b" ");
    hasher.update(parts.uri.to_string());
    hasher.update(b"\n");
    hasher.update(&bytes);
    let fingerprint = hex::encode(hasher.finalize());

    let lock = {
        let Ok(mut locks) = state.idempotency_locks.lock() else {
            return ApiError::internal().into_response();
        };
        Arc::clone(locks.entry((person.clone(), key.clone())).or_default())
    };
    let guard = lock.lock().await;
    let response = replay_or_run(&state, &person, &key, fingerprint, parts, bytes, next).await;
    drop(guard);
    if let Ok(mut locks) = state.idempotency_locks.lock() {
        if Arc::strong_count(&lock) == 2 {
            locks.remove(&(person, key));
        }
    }
    response
}

async fn replay_or_run(
    state: &Shared,
    person: &str,
    key: &str,
    fingerprint: String,
    parts: axum::http::request::Parts,
    bytes: axum::body::Bytes,
    next: Next,
) -> Response {
    let (p, k) = (person.to_string(), key.to_string());
    match state.store.read(move |conn| store::stored_response(conn, &p, &k)).await {
        Ok(Some(stored)) if stored.fingerprint != fingerprint => {
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was already used for a different request",
            )
            .into_response()
        }
        Ok(Some(stored)) => return replay(stored),
        Ok(None) => {}
        Err(error) => return error.into_response(),
    }

    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    if response.status().is_server_error() {
        return response;
    }
    let (mut head, body) = response.into_parts();
    let Ok(body) = to_bytes(body, usize::MAX).await else {
        return ApiError::internal().into_response();
    };
    let stored = StoredResponse {
        fingerprint,
        status: head.status.as_u16(),
        content_type: head
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: body.to_vec(),
    };
    let (p, k) = (person.to_string(), key.to_string());
    if let Err(error) = state
        .store
        .write(move |tx| store::store_response(tx, &p, &k, &stored))
        .await
    {
        tracing::warn!(%error, "could not remember an idempotent response");
    }
    head.headers.remove("idempotent-replayed");
    Response::from_parts(head, Body::from(body))
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body).into_response();
    if let Some(content_type) = stored.content_type.and_then(|v| HeaderValue::from_str(&v).ok()) {
        response.headers_mut().insert(CONTENT_TYPE, content_type);
    }
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
