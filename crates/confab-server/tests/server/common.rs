//! A server per test on a free loopback port, people with keys, and a small HTTP client that
//! speaks JSON and forms; plus the shape comparison used against the seed fixtures.

use confab_server::{
    store::{self, NewPerson},
    Config, RunningServer, Store,
};
use reqwest::{Method, StatusCode};
use serde_json::Value;

#[path = "../../../../fixtures/seeds/load.rs"]
mod load;
pub use load::fixture;

pub struct TestServer {
    pub server: RunningServer,
    pub store: Store,
    pub url: String,
    pub _dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(Config::default()).await
    }

    pub async fn start_with(config: Config) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("server.db")).expect("store opens");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let server = confab_server::start(listener, store.clone(), config)
            .await
            .expect("server starts");
        let url = server.url();
        Self {
            server,
            store,
            url,
            _dir: dir,
        }
    }

    /// Adds a person and returns a client signed in as them.
    pub fn person(&self, username: &str) -> Api {
        self.person_speaking(username, "en")
    }

    pub fn person_speaking(&self, username: &str, language: &str) -> Api {
        let new = NewPerson {
            username: username.to_string(),
            display_name: username.to_string(),
            language: language.to_string(),
            is_bot: false,
        };
        let (person, key) = self
            .store
            .write_blocking(|tx| store::create_person(tx, &new))
            .expect("person added");
        Api::new(&self.url, Some(key), person.id, username)
    }

    pub fn anonymous(&self) -> Api {
        Api::new(&self.url, None, String::new(), "")
    }
}

/// A client for one person.
#[derive(Clone)]
pub struct Api {
    pub url: String,
    pub key: Option<String>,
    pub id: String,
    pub http: reqwest::Client,
}

/// What a request answered.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub json: Value,
}

impl Answer {
    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.json);
        self.json
    }

    /// Asserts an error answer with this status and code.
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> String {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.json);
        assert_eq!(
            self.json["error"]["code"], code,
            "unexpected error code; body: {}",
            self.json
        );
        let message = self.json["error"]["message"].as_str().unwrap_or_default().to_string();
        assert!(!message.is_empty(), "an error always says what went wrong");
        message
    }
}

pub enum Body<'a> {
    None,
    Json(Value),
    Form(&'a [(&'a str, &'a str)]),
    Raw(&'a str, Vec<u8>),
}

impl Api {
    pub fn new(url: &str, key: Option<String>, id: String, username: &str) -> Self {
        let _ = username;
        Self {
            url: url.to_string(),
            key,
            id,
            http: confab_server::http_client(),
        }
    }

    pub fn with_key(&self, key: &str) -> Self {
        Self {
            key: Some(key.to_string()),
            ..self.clone()
        }
    }

    pub async fn send(&self, method: Method, path: &str, body: Body<'_>, headers: &[(&str, &str)]) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(key) = &self.key {
            request = request.bearer_auth(key);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request = match body {
            Body::None => request,
            Body::Json(value) => request.json(&value),
            // What `curl -d a=b -d c=d` sends.
            Body::Form(pairs) => {
                let encoded: String = pairs
                    .iter()
                    .map(|(k, v)| format!("{k}={}", urlencode(v)))
                    .collect::<Vec<_>>()
                    .join("&");
                request
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(encoded)
            }
            Body::Raw(content_type, bytes) => request.header("content-type", content_type).body(bytes),
        };
        let response = request.send().await.expect("request reaches the server");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body arrives");
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Answer { status, headers, json }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, Body::None, &[]).await
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Body::Json(body), &[]).await
    }

    pub async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> Answer {
        self.send(Method::POST, path, Body::Form(pairs), &[]).await
    }

    pub async fn put_form(&self, path: &str, pairs: &[(&str, &str)]) -> Answer {
        self.send(Method::PUT, path, Body::Form(pairs), &[]).await
    }

    pub async fn put_json(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PUT, path, Body::Json(body), &[]).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(Method::DELETE, path, Body::None, &[]).await
    }
}

pub fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Asserts that `actual` has the shape of the seed's `expected`: the same keys at every level
/// (`extra` names keys the server may add), the same JSON types, and for each list, items
/// shaped like the seed's first item. A seed `null` accepts null or a value; `nullable` names
/// keys (anywhere) that may be null where the seed shows a value.
#[track_caller]
pub fn assert_shape(expected: &Value, actual: &Value, nullable: &[&str], extra: &[&str]) {
    let mut problems = Vec::new();
    shape(expected, actual, "$", nullable, extra, &mut problems);
    assert!(
        problems.is_empty(),
        "shape differs from the seed:\n  {}\nactual: {actual:#}",
        problems.join("\n  ")
    );
}

fn shape(expected: &Value, actual: &Value, path: &str, nullable: &[&str], extra: &[&str], problems: &mut Vec<String>) {
    let key = path.rsplit('.').next().unwrap_or(path);
    match (expected, actual) {
        (Value::Null, _) => {}
        (_, Value::Null) if nullable.contains(&key) => {}
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                match a.get(k) {
                    Some(av) => shape(ev, av, &format!("{path}.{k}"), nullable, extra, problems),
                    None => problems.push(format!("{path}.{k} is missing")),
                }
            }
            for k in a.keys() {
                if !e.contains_key(k) && !extra.contains(&k.as_str()) {
                    problems.push(format!("{path}.{k} is not in the seed"));
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if let Some(first) = e.first() {
                for (i, av) in a.iter().enumerate() {
                    shape(first, av, &format!("{path}[{i}]"), nullable, extra, problems);
                }
            }
        }
        (Value::String(_), Value::String(_)) | (Value::Bool(_), Value::Bool(_)) => {}
        (Value::Number(e), Value::Number(a)) => {
            if e.is_i64() && !a.is_i64() {
                problems.push(format!("{path} should be an integer, is {a}"));
            }
        }
        _ => problems.push(format!("{path} should be like {expected}, is {actual}")),
    }
}

/// portal times are milliseconds: later than 2001 when read as ms.
#[track_caller]
pub fn assert_millis(value: &Value) {
    let n = value.as_i64().unwrap_or_else(|| panic!("{value} is not an integer"));
    assert!(n > 1_000_000_000_000, "{n} is not a millisecond timestamp");
}

/// protocol times are seconds.
#[track_caller]
pub fn assert_seconds(value: &Value) {
    let n = value.as_i64().unwrap_or_else(|| panic!("{value} is not an integer"));
    assert!(
        (1_000_000_000..100_000_000_000).contains(&n),
        "{n} is not a seconds timestamp"
    );
}

/// managem times are ISO-8601 strings in UTC.
#[track_caller]
pub fn assert_iso(value: &Value) {
    let text = value.as_str().unwrap_or_else(|| panic!("{value} is not a string"));
    assert!(
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).is_ok(),
        "{text} is not ISO-8601"
    );
    assert!(text.ends_with('Z'), "{text} is not in UTC");
}

/// Creates a portal conversation from `creator` with `others`, returning its id.
pub async fn portal_conversation(creator: &Api, others: &[&Api], body: &str) -> String {
    let participants: Vec<&str> = others.iter().map(|p| p.id.as_str()).collect();
    let created = creator
        .post_json(
            "/api/messages",
            serde_json::json!({ "participants": participants, "body": body }),
        )
        .await
        .expect(201);
    created["id"].as_str().expect("conversation id").to_string()
}
