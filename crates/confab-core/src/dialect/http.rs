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
        crate::install_tls_provider();
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
        self.answer(self.request(&self.client, method, path, body, idempotency_key))
            .await
    }

    /// Sends a built request and returns the body of a 2xx answer, noting the server's clock.
    async fn answer(&self, request: RequestBuilder) -> Result<Vec<u8>, RemoteError> {
        let response = request.send().await.map_err(network)?;
        self.observe(&response);
        let response = check(response).await?;
        read_capped(response, MAX_BODY_BYTES).await
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

    /// Downloads a file from this server (an absolute URL on it), with its content type. The
    /// size limit holds while the bytes arrive; a slow link may take as long as it needs, as
    /// long as it keeps sending (no total timeout, only the idle one).
    /// `with_key`: this account's own server; the key never goes anywhere else.
    pub async fn download(
        &self,
        url: &str,
        max_bytes: usize,
        with_key: bool,
    ) -> Result<(Vec<u8>, Option<String>), RemoteError> {
        let mut request = self.streaming.get(url);
        if with_key {
            request = request.bearer_auth(&self.key);
        }
        let response = request.send().await.map_err(network)?;
        let response = check(response).await?;
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = read_capped(response, max_bytes).await.map_err(|error| match error {
            RemoteError::Malformed(_) => RemoteError::Rejected {
                status: 413,
                code: "too_large".into(),
                message: format!("the file is larger than {max_bytes} bytes"),
            },
            other => other,
        })?;
        Ok((bytes, content_type))
    }

    /// Uploads a file's bytes as the request body (`Content-Type` the file's type, the name in
    /// `?filename=`), telling `progress` how many bytes have left so far. Like a download it
    /// may take as long as it needs while it keeps moving (no total timeout).
    pub async fn upload(
        &self,
        path: &str,
        name: &str,
        content_type: &str,
        bytes: bytes::Bytes,
        progress: std::sync::Arc<dyn Fn(u64) + Send + Sync>,
    ) -> Result<Vec<u8>, RemoteError> {
        const CHUNK: usize = 64 * 1024;
        let total = bytes.len();
        let chunks = futures_util::stream::iter((0..total.div_ceil(CHUNK)).map(move |i| {
            let end = ((i + 1) * CHUNK).min(total);
            progress(end as u64);
            Ok::<_, std::io::Error>(bytes.slice(i * CHUNK..end))
        }));
        self.answer(
            self.streaming
                .post(format!("{}{path}?filename={}", self.base, encode(name)))
                .bearer_auth(&self.key)
                .header(header::CONTENT_TYPE, content_type)
                .header(header::CONTENT_LENGTH, total)
                .body(reqwest::Body::wrap_stream(chunks)),
        )
        .await
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, RemoteError> {
        self.json(Method::GET, path, Body::None, None).await
    }

    /// Opens an event stream; `Ok(None)` when the server has none (404).
    pub async fn events(&self, path: &str, last_event_id: Option<&str>) -> Result<Option<EventStream>, RemoteError> {
        let mut request = self
            .request(&self.streaming, Method::GET, path, Body::None, None)
            .header(header::ACCEPT, "text/event-stream");
        if let Some(id) = last_event_id.filter(|id| valid_event_id(id)) {
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
            decoder: SseDecoder::default(),
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

/// A path segment or query value from a server's data (an id), percent-encoded: everything
/// but the unreserved characters, so an id can never change the path or add a parameter.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The largest answer read from a server; a larger one is refused as it arrives.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The most of an error answer read (for its message).
const MAX_ERROR_BYTES: usize = 64 * 1024;

/// The longest `Retry-After` taken as given; a longer one waits this long and asks again.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

/// Reads an answer's body, refusing it once it passes `cap` bytes.
async fn read_capped(response: Response, cap: usize) -> Result<Vec<u8>, RemoteError> {
    let too_large = || RemoteError::Malformed(format!("the answer is larger than {} MiB", cap / (1024 * 1024)));
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(network)?;
        if body.len() + chunk.len() > cap {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `Retry-After` in seconds or as an HTTP date, at most [`MAX_RETRY_AFTER`].
fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => httpdate::parse_http_date(value)
            .ok()?
            .duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    };
    Some(wait.min(MAX_RETRY_AFTER))
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
        .and_then(retry_after);
    let body = read_capped(response, MAX_ERROR_BYTES).await.unwrap_or_default();
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

/// The longest event a stream may send (its lines together); a longer one ends the stream
/// with an error, so a server cannot grow the buffer without bound.
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// Reads events from an open stream. Bytes are kept until a whole line has arrived, so a
/// character split across two network chunks is decoded whole.
pub struct EventStream {
    body: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    decoder: SseDecoder,
}

impl EventStream {
    /// The next event; `Ok(None)` when the server closed the stream.
    pub async fn next(&mut self) -> Result<Option<SseEvent>, RemoteError> {
        loop {
            if let Some(event) = self.decoder.next_event()? {
                return Ok(Some(event));
            }
            match self.body.next().await {
                Some(Ok(chunk)) => self.decoder.push(&chunk),
                Some(Err(error)) => return Err(network(error)),
                None => return Ok(None),
            }
        }
    }
}

/// The event-stream format, fed bytes as they come (server-sent events: lines end in CR, LF
/// or CRLF; a blank line ends an event; `data` lines join with LF; comments start with `:`).
#[derive(Debug, Default)]
pub struct SseDecoder {
    pending: Vec<u8>,
    scanned: usize,
    id: Option<String>,
    event: Option<String>,
    data: Vec<String>,
    size: usize,
    ready: std::collections::VecDeque<SseEvent>,
}

impl SseDecoder {
    pub fn push(&mut self, chunk: &[u8]) {
        self.pending.extend_from_slice(chunk);
    }

    /// The next complete event, if one has arrived.
    pub fn next_event(&mut self) -> Result<Option<SseEvent>, RemoteError> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Ok(Some(event));
            }
            // Only the bytes not looked at yet are scanned for a line end.
            let Some(offset) = self.pending[self.scanned..]
                .iter()
                .position(|b| *b == b'\n' || *b == b'\r')
            else {
                self.scanned = self.pending.len();
                if self.pending.len() + self.size > MAX_EVENT_BYTES {
                    return Err(too_long());
                }
                return Ok(None);
            };
            let end = self.scanned + offset;
            // A CR at the very end may be the first half of a CRLF: wait for the next byte.
            if self.pending[end] == b'\r' && end + 1 == self.pending.len() {
                self.scanned = end;
                return Ok(None);
            }
            let skip = if self.pending[end] == b'\r' && self.pending.get(end + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
            let line: Vec<u8> = self.pending.drain(..end + skip).take(end).collect();
            self.scanned = 0;
            self.line(&String::from_utf8_lossy(&line))?;
        }
    }

    fn line(&mut self, line: &str) -> Result<(), RemoteError> {
        if line.is_empty() {
            if !self.data.is_empty() {
                self.ready.push_back(SseEvent {
                    id: self.id.clone(),
                    event: self.event.take().unwrap_or_else(|| "message".into()),
                    data: std::mem::take(&mut self.data).join("\n"),
                });
            }
            self.event = None;
            self.size = 0;
            return Ok(());
        }
        self.size += line.len();
        if self.size > MAX_EVENT_BYTES {
            return Err(too_long());
        }
        if line.starts_with(':') {
            return Ok(());
        }
        let (field, value) = line
            .split_once(':')
            .map_or((line, ""), |(f, v)| (f, v.strip_prefix(' ').unwrap_or(v)));
        match field {
            // An id that could not be sent back as a header is ignored, never stored.
            "id" if valid_event_id(value) => self.id = Some(value.to_string()),
            "event" => self.event = Some(value.to_string()),
            "data" => self.data.push(value.to_string()),
            _ => {}
        }
        Ok(())
    }
}

fn too_long() -> RemoteError {
    RemoteError::Malformed(format!(
        "the server's event stream sent an event over {MAX_EVENT_BYTES} bytes"
    ))
}

/// An event id Confab keeps (to resume with `Last-Event-ID`): 1 to 256 visible ASCII
/// characters, so it is always a valid header value.
pub fn valid_event_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 256 && id.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut decoder = SseDecoder::default();
        let mut out = Vec::new();
        for chunk in chunks {
            decoder.push(chunk);
            while let Some(event) = decoder.next_event().expect("decodes") {
                out.push(event);
            }
        }
        out
    }

    #[test]
    fn events_parse_with_ids_and_multiline_data() {
        let events = decode(&[b"id: 7\nevent: message.created\ndata: {\"a\":\ndata: 1}\n\n: keep-alive\n\n"]);
        assert_eq!(
            events,
            vec![SseEvent {
                id: Some("7".into()),
                event: "message.created".into(),
                data: "{\"a\":\n1}".into()
            }]
        );
    }

    #[test]
    fn a_character_split_across_chunks_is_decoded_whole() {
        let text = "data: caf\u{e9} \u{1f389}\n\n".as_bytes();
        // Every split point, including inside the two-byte é and the four-byte emoji.
        for cut in 1..text.len() {
            let events = decode(&[&text[..cut], &text[cut..]]);
            assert_eq!(events.len(), 1, "cut at {cut}");
            assert_eq!(events[0].data, "caf\u{e9} \u{1f389}", "cut at {cut}");
        }
    }

    #[test]
    fn line_ends_may_be_cr_lf_or_crlf_even_split() {
        let events = decode(&[b"id: 1\r", b"\ndata: a\r\r", b"data: b\n", b"\n"]);
        assert_eq!(events.len(), 2);
        assert_eq!((events[0].id.as_deref(), events[0].data.as_str()), (Some("1"), "a"));
        assert_eq!(events[1].data, "b");
    }

    #[test]
    fn an_id_that_is_no_header_value_is_not_kept() {
        let events = decode(&[b"id: ok-1\ndata: x\n\nid: bad\x01id\ndata: y\n\n"]);
        assert_eq!(events[1].id.as_deref(), Some("ok-1"), "the last good id stays");
        assert!(!valid_event_id(&"x".repeat(300)));
    }

    #[test]
    fn an_endless_event_is_refused_not_buffered() {
        let mut decoder = SseDecoder::default();
        let line = vec![b'a'; 64 * 1024];
        decoder.push(b"data: ");
        let mut failed = false;
        for _ in 0..40 {
            decoder.push(&line);
            if decoder.next_event().is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed, "refused past {MAX_EVENT_BYTES} bytes");
    }

    #[test]
    fn ids_are_encoded_whole() {
        assert_eq!(encode("a b/c?d=e&f#g"), "a%20b%2Fc%3Fd%3De%26f%23g");
        assert_eq!(encode("..%2F"), "..%252F");
        assert_eq!(encode("xgQQXg3hrtjh7AvZ"), "xgQQXg3hrtjh7AvZ");
        assert_eq!(encode("é"), "%C3%A9");
    }

    #[test]
    fn retry_after_is_read_both_ways_and_clamped() {
        assert_eq!(retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(retry_after("999999999"), Some(MAX_RETRY_AFTER));
        let later = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(30));
        let wait = retry_after(&later).expect("a date");
        assert!(
            wait <= Duration::from_secs(30) && wait >= Duration::from_secs(28),
            "{wait:?}"
        );
        assert_eq!(retry_after("soon"), None);
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
