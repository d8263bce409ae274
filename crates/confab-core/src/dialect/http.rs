//! HTTP for the dialect clients: bearer auth, `Idempotency-Key`, one mapping from statuses
//! to [`RemoteError`], JSON parsing that names the offending field, and a Server-Sent Events
//! reader.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::{header, Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::RemoteError;

/// A request body.
pub enum Body<'a> {
    None,
    Json(serde_json::Value),
    /// Form pairs, as `curl -d` sends them.
    Form(Vec<(&'a str, String)>),
}

/// One server, one key.
#[derive(Clone)]
pub struct Http {
    base: String,
    key: String,
    client: reqwest::Client,
    streaming: reqwest::Client,
    /// The server's clock less ours, from the `Date` header of its answers (milliseconds).
    clock_offset: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http").field("base", &self.base).finish_non_exhaustive()
    }
}

impl Http {
    pub fn new(base: &str, key: &str, timeout: Duration) -> Result<Self, RemoteError> {
        let build = |total: Option<Duration>| {
            let mut builder = reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .user_agent(concat!("Confab/", env!("CARGO_PKG_VERSION")));
            builder = match total {
                Some(t) => builder.timeout(t),
                // Streams live long; a stream that says nothing for a while is dead (the
                // server sends keep-alives every 15 s).
                None => builder.read_timeout(Duration::from_secs(45)),
            };
            builder.build().map_err(|e| RemoteError::Network(e.to_string()))
        };
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            key: key.to_string(),
            client: build(Some(timeout))?,
            streaming: build(None)?,
            clock_offset: std::sync::Arc::default(),
        })
    }

    /// The server's time now, as far as its `Date` headers tell (to about a second).
    pub fn server_now(&self) -> i64 {
        crate::now_ms().saturating_add(self.clock_offset())
    }

    pub fn clock_offset(&self) -> i64 {
        self.clock_offset.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Starts from an offset learned earlier (the last process's).
    pub fn set_clock_offset(&self, offset_ms: i64) {
        self.clock_offset.store(offset_ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// Reads the `Date` header of an answer. It has whole seconds, so the server's time is
    /// taken as the middle of that second.
    fn observe(&self, response: &Response) {
        let date = response
            .headers()
            .get(header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok());
        if let Some(date) = date {
            let server = date
                .duration_since(std::time::UNIX_EPOCH)
                .ok()
                .and_then(|d| i64::try_from(d.as_millis()).ok());
            if let Some(server) = server {
                self.set_clock_offset(server + 500 - crate::now_ms());
            }
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(
        &self,
        client: &reqwest::Client,
        method: Method,
        path: &str,
        body: Body<'_>,
        idempotency_key: Option<&str>,
    ) -> RequestBuilder {
        let mut request = client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        match body {
            Body::None => request,
            Body::Json(value) => request.json(&value),
            Body::Form(pairs) => {
                let encoded = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
                    .finish();
                request
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(encoded)
            }
        }
    }

    /// Sends a request and returns the body of a 2xx answer.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Body<'_>,
        idempotency_key: Option<&str>,
    ) -> Result<Vec<u8>, RemoteError> {
        let response = self
            .request(&self.client, method, path, body, idempotency_key)
            .send()
            .await
            .map_err(network)?;
        self.observe(&response);
        let response = check(response).await?;
        Ok(response.bytes().await.map_err(network)?.to_vec())
    }

    /// Sends a request and parses the JSON answer.
    pub async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Body<'_>,
        idempotency_key: Option<&str>,
    ) -> Result<T, RemoteError> {
        let bytes = self.send(method, path, body, idempotency_key).await?;
        parse(&bytes)
    }

    /// Downloads a file from this server (an absolute URL on it), with its content type.
    pub async fn download(&self, url: &str, max_bytes: usize) -> Result<(Vec<u8>, Option<String>), RemoteError> {
        let response = self
            .client
            .get(url)
            .bearer_auth(&self.key)
            .send()
            .await
            .map_err(network)?;
        let response = check(response).await?;
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if response.content_length().is_some_and(|n| n > max_bytes as u64) {
            return Err(RemoteError::Rejected {
                status: 413,
                code: "too_large".into(),
                message: format!("the file is larger than {max_bytes} bytes"),
            });
        }
        let bytes = response.bytes().await.map_err(network)?;
        if bytes.len() > max_bytes {
            return Err(RemoteError::Rejected {
                status: 413,
                code: "too_large".into(),
                message: format!("the file is larger than {max_bytes} bytes"),
            });
        }
        Ok((bytes.to_vec(), content_type))
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, RemoteError> {
        self.json(Method::GET, path, Body::None, None).await
    }

    /// Opens an event stream; `Ok(None)` when the server has none (404).
    pub async fn events(&self, path: &str, last_event_id: Option<&str>) -> Result<Option<EventStream>, RemoteError> {
        let mut request = self
            .request(&self.streaming, Method::GET, path, Body::None, None)
            .header(header::ACCEPT, "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.map_err(network)?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let response = check(response).await?;
        let is_stream = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !is_stream {
            return Ok(None);
        }
        Ok(Some(EventStream {
            body: Box::pin(response.bytes_stream()),
            buffer: String::new(),
        }))
    }
}

fn network(error: reqwest::Error) -> RemoteError {
    if error.is_connect() {
        // No connection was made: nothing was sent.
        RemoteError::Refused(error.without_url().to_string())
    } else if error.is_timeout() {
        RemoteError::Timeout
    } else if error.is_decode() || error.is_body() {
        // The connection broke while the answer arrived.
        RemoteError::Network(format!("the answer broke off: {error}"))
    } else {
        RemoteError::Network(error.without_url().to_string())
    }
}

async fn check(response: Response) -> Result<Response, RemoteError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = response.bytes().await.unwrap_or_default();
    Err(match status.as_u16() {
        401 => RemoteError::Unauthorized,
        404 => RemoteError::NotFound,
        429 | 503 => RemoteError::RateLimited { retry_after },
        s if s >= 500 => RemoteError::Server { status: s },
        s => {
            let parsed: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
            let code = parsed
                .as_ref()
                .and_then(|v| v["error"]["code"].as_str())
                .unwrap_or("rejected")
                .to_string();
            let message = parsed
                .as_ref()
                .and_then(|v| v["error"]["message"].as_str().or(v["message"].as_str()))
                .map(str::to_string)
                .unwrap_or_else(|| format!("the server refused the request ({s})"));
            RemoteError::Rejected {
                status: s,
                code,
                message,
            }
        }
    })
}

/// Parses JSON, naming the field that does not fit.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, RemoteError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        if path == "." {
            RemoteError::Malformed(error.inner().to_string())
        } else {
            RemoteError::Malformed(format!("field `{path}`: {}", error.inner()))
        }
    })
}

/// A JSON list read item by item: an item that does not decode is skipped (and named, by its
/// `id` or position, with why), the others are kept. One bad record from a server never costs
/// the rest of the list.
#[derive(Debug)]
pub struct Lenient<T> {
    pub items: Vec<T>,
    pub skipped: Vec<String>,
}

impl<T> Default for Lenient<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

impl<'de, T: DeserializeOwned> serde::Deserialize<'de> for Lenient<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let values = Vec::<serde_json::Value>::deserialize(deserializer)?;
        let mut out = Lenient {
            items: Vec::with_capacity(values.len()),
            skipped: Vec::new(),
        };
        for (index, value) in values.into_iter().enumerate() {
            let name = match value.get("id") {
                Some(serde_json::Value::String(id)) => id.chars().take(64).collect(),
                _ => format!("#{index}"),
            };
            match from_value::<T>(value) {
                Ok(item) => out.items.push(item),
                Err(error) => out.skipped.push(format!("{name}: {error}")),
            }
        }
        Ok(out)
    }
}

impl<T> IntoIterator for Lenient<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// Reads a JSON value already parsed (an event's payload), naming the field that does not fit.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, RemoteError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        if path == "." {
            RemoteError::Malformed(error.inner().to_string())
        } else {
            RemoteError::Malformed(format!("field `{path}`: {}", error.inner()))
        }
    })
}

/// One server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

/// Reads events from an open stream.
pub struct EventStream {
    body: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buffer: String,
}

impl EventStream {
    /// The next event; `Ok(None)` when the server closed the stream.
    pub async fn next(&mut self) -> Result<Option<SseEvent>, RemoteError> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                if let Some(event) = parse_frame(&frame) {
                    return Ok(Some(event));
                }
                continue;
            }
            match self.body.next().await {
                Some(Ok(chunk)) => self
                    .buffer
                    .push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n")),
                Some(Err(error)) => return Err(network(error)),
                None => return Ok(None),
            }
        }
    }
}

fn parse_frame(frame: &str) -> Option<SseEvent> {
    let (mut id, mut event, mut data) = (None, String::from("message"), Vec::new());
    for line in frame.lines() {
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = line
            .split_once(':')
            .map_or((line, ""), |(f, v)| (f, v.strip_prefix(' ').unwrap_or(v)));
        match field {
            "id" => id = Some(value.to_string()),
            "event" => event = value.to_string(),
            "data" => data.push(value),
            _ => {}
        }
    }
    (!data.is_empty()).then(|| SseEvent {
        id,
        event,
        data: data.join("\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_parse_with_ids_and_multiline_data() {
        let event = parse_frame("id: 7\nevent: message.created\ndata: {\"a\":\ndata: 1}\n\n").expect("an event");
        assert_eq!(
            event,
            SseEvent {
                id: Some("7".into()),
                event: "message.created".into(),
                data: "{\"a\":\n1}".into()
            }
        );
        assert_eq!(parse_frame(": keep-alive\n\n"), None, "comments are not events");
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Shape {
        items: Vec<Item>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Item {
        created_at: i64,
    }

    #[test]
    fn a_wrong_type_names_the_field() {
        let error =
            parse::<Shape>(br#"{"items": [{"created_at": 1}, {"created_at": "yesterday"}]}"#).expect_err("refused");
        let RemoteError::Malformed(message) = error else {
            panic!("expected Malformed")
        };
        assert!(message.contains("items[1].created_at"), "{message}");
    }
}
