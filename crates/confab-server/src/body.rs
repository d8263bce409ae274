//! Request bodies, read the way each seed sends them.
//!
//! `Input<T>` accepts JSON and `application/x-www-form-urlencoded` alike (protocol's examples
//! are `curl -d` forms, including bracketed keys such as `reactions[red_angry_face][]=Kate`).
//! A form is first turned into a JSON tree whose leaves are strings, so one `Deserialize` type
//! serves both encodings; `Flex*` and `Patch` read a value whether it came as JSON or as text.
//! Every failure is a 4xx that names the offending field, never a 500.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{header::CONTENT_TYPE, StatusCode},
};
use serde::{de::DeserializeOwned, Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// A request body decoded from JSON or a form into `T`.
#[derive(Debug)]
pub struct Input<T>(pub T);

impl<S, T> FromRequest<S> for Input<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(|value| value.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the request body is too large",
                )
            } else {
                ApiError::bad_request(format!("could not read the request body: {rejection}"))
            }
        })?;
        decode(content_type.as_deref(), &bytes).map(Input)
    }
}

/// Decodes a body by its content type; an empty body reads as `{}`.
pub fn decode<T: DeserializeOwned>(content_type: Option<&str>, bytes: &[u8]) -> Result<T, ApiError> {
    let value = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        match content_type {
            Some("application/json") | Some("text/json") => parse_json(bytes)?,
            Some("application/x-www-form-urlencoded") | None => {
                if content_type.is_none() && looks_like_json(bytes) {
                    parse_json(bytes)?
                } else {
                    parse_form(bytes)?
                }
            }
            Some(other) => {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    format!("bodies must be application/json or application/x-www-form-urlencoded, not {other}"),
                ))
            }
        }
    };
    if !value.is_object() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "the request body must be a JSON object",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let field = if path == "." { "body".to_string() } else { path };
        ApiError::invalid_field(&field, error.inner())
    })
}

fn looks_like_json(bytes: &[u8]) -> bool {
    matches!(bytes.iter().find(|b| !b.is_ascii_whitespace()), Some(b'{') | Some(b'['))
}

fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the body is not valid JSON: {error}"),
        )
    })
}

/// Turns `a=1&b[c][]=x&b[c][]=y&d[]=z` into `{"a":"1","b":{"c":["x","y"]},"d":["z"]}`.
pub fn parse_form(bytes: &[u8]) -> Result<Value, ApiError> {
    let mut root = Map::new();
    for (key, value) in form_urlencoded::parse(bytes) {
        let path = split_key(&key).ok_or_else(|| ApiError::bad_request(format!("malformed form key `{key}`")))?;
        insert(&mut root, &path, value.into_owned())
            .map_err(|()| ApiError::bad_request(format!("form key `{key}` conflicts with another key")))?;
    }
    Ok(Value::Object(root))
}

/// `reactions[red_angry_face][]` -> `["reactions", "red_angry_face", ""]`; `""` means "append".
fn split_key(key: &str) -> Option<Vec<String>> {
    let (head, mut rest) = match key.find('[') {
        Some(at) => (&key[..at], &key[at..]),
        None => (key, ""),
    };
    if head.is_empty() {
        return None;
    }
    let mut parts = vec![head.to_string()];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let close = inner.find(']')?;
        let part = &inner[..close];
        // A numeric index behaves like `[]`: values are appended in the order they arrive.
        let part = if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
            ""
        } else {
            part
        };
        parts.push(part.to_string());
        rest = &inner[close + 1..];
    }
    Some(parts)
}

fn insert(map: &mut Map<String, Value>, path: &[String], value: String) -> Result<(), ()> {
    let (first, rest) = path.split_first().ok_or(())?;
    if rest.is_empty() {
        // A repeated plain key keeps its last value, like most form decoders.
        map.insert(first.clone(), Value::String(value));
        return Ok(());
    }
    let slot = map.entry(first.clone()).or_insert_with(|| {
        if rest[0].is_empty() {
            Value::Array(Vec::new())
        } else {
            Value::Object(Map::new())
        }
    });
    insert_into(slot, rest, value)
}

fn insert_into(slot: &mut Value, path: &[String], value: String) -> Result<(), ()> {
    let (first, rest) = path.split_first().ok_or(())?;
    if first.is_empty() {
        let Value::Array(items) = slot else { return Err(()) };
        if rest.is_empty() {
            items.push(Value::String(value));
            return Ok(());
        }
        let mut child = if rest[0].is_empty() {
            Value::Array(Vec::new())
        } else {
            Value::Object(Map::new())
        };
        insert_into(&mut child, rest, value)?;
        items.push(child);
        Ok(())
    } else {
        let Value::Object(map) = slot else { return Err(()) };
        insert(map, path, value)
    }
}

/// A boolean sent as JSON `true` or as form text `true`/`false`/`1`/`0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlexBool(pub bool);

impl<'de> Deserialize<'de> for FlexBool {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Bool(b) => Ok(FlexBool(b)),
            Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(FlexBool(true)),
                "false" | "0" | "no" | "off" => Ok(FlexBool(false)),
                _ => Err(serde::de::Error::custom(format!("expected a boolean, got `{s}`"))),
            },
            Value::Number(n) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => Ok(FlexBool(n.as_i64() == Some(1))),
            other => Err(serde::de::Error::custom(format!(
                "expected a boolean, got {}",
                kind(&other)
            ))),
        }
    }
}

/// An integer sent as a JSON number or as form text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlexInt(pub i64);

impl<'de> Deserialize<'de> for FlexInt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Number(n) => n
                .as_i64()
                .map(FlexInt)
                .ok_or_else(|| serde::de::Error::custom(format!("expected an integer, got {n}"))),
            Value::String(s) => s
                .trim()
                .parse()
                .map(FlexInt)
                .map_err(|_| serde::de::Error::custom(format!("expected an integer, got `{s}`"))),
            other => Err(serde::de::Error::custom(format!(
                "expected an integer, got {}",
                kind(&other)
            ))),
        }
    }
}

/// A field of a partial update: absent (leave alone), null (clear), or a new value.
/// In forms, an empty value or the text `null` means null.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Null => Ok(Patch::Null),
            Value::String(s) if s.is_empty() || s == "null" => Ok(Patch::Null),
            value => T::deserialize(value)
                .map(Patch::Value)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// A list of strings sent as a JSON array, a form `key[]=` list, or one plain value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StringList(pub Vec<String>);

impl<'de> Deserialize<'de> for StringList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Array(items) => items
                .into_iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s),
                    // Attachment objects may be passed whole; their id is what counts.
                    Value::Object(map) => match map.get("id") {
                        Some(Value::String(id)) => Ok(id.clone()),
                        _ => Err(serde::de::Error::custom("expected objects with a string `id`")),
                    },
                    other => Err(serde::de::Error::custom(format!(
                        "expected strings, got {}",
                        kind(&other)
                    ))),
                })
                .collect::<Result<_, _>>()
                .map(StringList),
            Value::String(s) if s.is_empty() => Ok(StringList(Vec::new())),
            Value::String(s) => Ok(StringList(vec![s])),
            Value::Null => Ok(StringList(Vec::new())),
            other => Err(serde::de::Error::custom(format!(
                "expected a list of strings, got {}",
                kind(&other)
            ))),
        }
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bracketed_form_keys_nest_like_the_protocol_seed() {
        let value = parse_form(b"reactions[red_angry_face][]=KateMcCallister&reactions[red_angry_face][]=Kevin&x=1")
            .expect("form parses");
        assert_eq!(
            value,
            json!({"reactions": {"red_angry_face": ["KateMcCallister", "Kevin"]}, "x": "1"})
        );
    }

    #[test]
    fn numeric_indexes_append_in_order() {
        let value = parse_form(b"attachments[0]=a&attachments[1]=b").expect("form parses");
        assert_eq!(value, json!({"attachments": ["a", "b"]}));
    }

    #[test]
    fn conflicting_form_keys_are_refused() {
        assert!(parse_form(b"a=1&a[b]=2").is_err(), "a scalar cannot also be a map");
        assert!(parse_form(b"[x]=1").is_err(), "a key needs a name before its brackets");
    }

    #[derive(Debug, Deserialize)]
    struct Update {
        #[serde(default)]
        is_muted: Option<FlexBool>,
        #[serde(default)]
        archived_at: Patch<FlexInt>,
    }

    #[test]
    fn form_and_json_read_the_same() {
        let from_form: Update = decode(None, b"is_muted=true&archived_at=").expect("form decodes");
        let from_json: Update =
            decode(Some("application/json"), br#"{"is_muted": true, "archived_at": null}"#).expect("json decodes");
        assert_eq!(from_form.is_muted, Some(FlexBool(true)));
        assert_eq!(from_json.is_muted, Some(FlexBool(true)));
        assert_eq!(from_form.archived_at, Patch::Null);
        assert_eq!(from_json.archived_at, Patch::Null);
        let absent: Update = decode(None, b"").expect("empty body decodes");
        assert_eq!(absent.archived_at, Patch::Absent);
    }

    #[test]
    fn a_wrong_type_names_its_field() {
        let error = decode::<Update>(Some("application/json"), br#"{"is_muted": "maybe"}"#).expect_err("refused");
        assert_eq!(error.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            error.message.starts_with("is_muted"),
            "message names the field: {}",
            error.message
        );
    }

    #[test]
    fn malformed_json_is_a_400() {
        let error = decode::<Update>(Some("application/json"), b"{\"is_muted\": tru").expect_err("refused");
        assert_eq!((error.status, error.code), (StatusCode::BAD_REQUEST, "invalid_json"));
    }
}
