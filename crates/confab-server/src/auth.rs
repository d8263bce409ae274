//! Who is calling: `Authorization: Bearer ck_...` resolved to a person.
//!
//! Keys are compared by their SHA-256 only. A missing, malformed or unknown key is a 401 that
//! never echoes the key back.

use axum::{
    extract::FromRequestParts,
    http::{header::AUTHORIZATION, request::Parts, HeaderMap},
};

use crate::{
    error::ApiError,
    store::{self, hash_key, Person},
    Shared,
};

/// The authenticated person making the request.
#[derive(Debug, Clone)]
pub struct Caller(pub Person);

/// The bearer key's hash from the headers, if a well-formed `ck_` key is there.
pub fn bearer_hash(headers: &HeaderMap) -> Result<String, ApiError> {
    let value = headers
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing Authorization header; send `Authorization: Bearer ck_...`"))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthorized("the Authorization header is not text"))?;
    let key = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer ck_...`"))?;
    if !key.starts_with("ck_") || key.len() < 8 {
        return Err(ApiError::unauthorized("that is not a Confab API key"));
    }
    Ok(hash_key(key))
}

/// The person id a key hash belongs to, remembered after the first look-up.
pub async fn person_id_for(state: &Shared, key_hash: String) -> Result<String, ApiError> {
    if let Some(id) = state
        .key_cache
        .read()
        .ok()
        .and_then(|cache| cache.get(&key_hash).cloned())
    {
        return Ok(id);
    }
    let lookup = key_hash.clone();
    let id = state
        .store
        .read(move |conn| store::person_for_key_hash(conn, &lookup))
        .await?
        .ok_or_else(|| ApiError::unauthorized("unknown API key"))?;
    if let Ok(mut cache) = state.key_cache.write() {
        cache.insert(key_hash, id.clone());
    }
    Ok(id)
}

impl FromRequestParts<Shared> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, Self::Rejection> {
        let id = person_id_for(state, bearer_hash(&parts.headers)?).await?;
        let person = state
            .store
            .read(move |conn| store::person(conn, &id))
            .await?
            .ok_or_else(|| ApiError::unauthorized("the key's owner no longer exists"))?;
        Ok(Caller(person))
    }
}
