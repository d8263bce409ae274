//! A loopback proxy in front of the real server that injects faults on request: error
//! statuses, `Retry-After`, malformed JSON, slowness, lost responses, and cut event streams.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Router,
};
use futures_util::StreamExt;
use tokio::sync::watch;

/// What the proxy does to the next requests.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    None,
    /// Answer this status (with `Retry-After` if given) to the next `count` requests.
    Status {
        status: u16,
        retry_after: Option<u64>,
        count: usize,
    },
    /// Answer 200 with a body that is not JSON to the next `count` requests.
    Malformed {
        count: usize,
    },
    /// Wait this long before forwarding each request.
    Slow(Duration),
    /// Forward the next `count` POSTs, then answer 502 as if the response was lost.
    LoseResponses {
        count: usize,
    },
    /// Forward each request at once, and hold its answer this long (the server has done the
    /// work; the client has not heard yet).
    SlowAnswers(Duration),
    /// Answer this status (with `Retry-After` if given) to the next POST, without forwarding
    /// it; other requests pass.
    RefusePost {
        status: u16,
        retry_after: Option<u64>,
    },
    /// Hold the next POST this long before forwarding it, whether or not the client is still
    /// waiting (the server gets it after the client gave up); other requests pass at once.
    LatePost(Duration),
}

#[derive(Clone)]
struct Shared {
    upstream: String,
    fault: Arc<Mutex<Fault>>,
    cut: watch::Sender<u64>,
    http: reqwest::Client,
    seen: Arc<Mutex<Vec<String>>>,
}

pub struct Proxy {
    pub addr: SocketAddr,
    shared: Shared,
}

impl Proxy {
    pub async fn start(upstream: &str) -> Self {
        let (cut, _) = watch::channel(0);
        let shared = Shared {
            upstream: upstream.to_string(),
            fault: Arc::new(Mutex::new(Fault::None)),
            cut,
            http: confab_server::http_client(),
            seen: Arc::default(),
        };
        let app = Router::new().fallback(forward).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, shared }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set(&self, fault: Fault) {
        *self.shared.fault.lock().expect("fault lock") = fault;
    }

    /// Ends every event stream open through the proxy, mid-stream.
    pub fn cut_streams(&self) {
        self.shared.cut.send_modify(|n| *n += 1);
    }

    /// `METHOD path` of every request forwarded so far.
    pub fn seen(&self) -> Vec<String> {
        self.shared.seen.lock().expect("seen lock").clone()
    }
}

fn take(fault: &Mutex<Fault>, method: &str) -> Fault {
    let mut fault = fault.lock().expect("fault lock");
    let current = fault.clone();
    match &mut *fault {
        Fault::Status { count, .. } | Fault::Malformed { count } => {
            *count -= 1;
            if *count == 0 {
                *fault = Fault::None;
            }
            current
        }
        Fault::LoseResponses { count } if method == "POST" => {
            *count -= 1;
            if *count == 0 {
                *fault = Fault::None;
            }
            current
        }
        Fault::LoseResponses { .. } => Fault::None,
        Fault::LatePost(_) | Fault::RefusePost { .. } if method == "POST" => {
            *fault = Fault::None;
            current
        }
        Fault::LatePost(_) | Fault::RefusePost { .. } => Fault::None,
        _ => current,
    }
}

async fn forward(State(shared): State<Shared>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let is_stream = path.ends_with("/events") || path.contains("/events?");
    let fault = if is_stream {
        Fault::None
    } else {
        take(&shared.fault, method.as_str())
    };
    match &fault {
        Fault::Status {
            status, retry_after, ..
        }
        | Fault::RefusePost { status, retry_after } => {
            let mut response = (
                StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                "injected",
            )
                .into_response();
            if let Some(after) = retry_after {
                response.headers_mut().insert("retry-after", HeaderValue::from(*after));
            }
            return response;
        }
        Fault::Malformed { .. } => {
            return (
                StatusCode::OK,
                [("content-type", "application/json")],
                "{\"data\": [oops",
            )
                .into_response()
        }
        Fault::Slow(delay) => tokio::time::sleep(*delay).await,
        Fault::LatePost(delay) => {
            // Forwarded from a task of its own, so that the client going away does not stop it.
            let shared = shared.clone();
            let delay = *delay;
            return tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                relay(shared, request, method, path, is_stream, Fault::None).await
            })
            .await
            .unwrap_or_else(|_| (StatusCode::BAD_GATEWAY, "proxy task failed").into_response());
        }
        _ => {}
    }
    relay(shared, request, method, path, is_stream, fault).await
}

async fn relay(
    shared: Shared,
    request: Request,
    method: axum::http::Method,
    path: String,
    is_stream: bool,
    fault: Fault,
) -> Response {
    shared.seen.lock().expect("seen lock").push(format!("{method} {path}"));

    let (parts, body) = request.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let mut upstream = shared
        .http
        .request(method.clone(), format!("{}{path}", shared.upstream))
        .body(bytes);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            upstream = upstream.header(name, value);
        }
    }
    let Ok(answer) = upstream.send().await else {
        return (StatusCode::BAD_GATEWAY, "upstream down").into_response();
    };
    if matches!(fault, Fault::LoseResponses { .. }) {
        return (StatusCode::BAD_GATEWAY, "response lost").into_response();
    }
    if let Fault::SlowAnswers(delay) = &fault {
        tokio::time::sleep(*delay).await;
    }
    let status = answer.status();
    let headers: HeaderMap = answer.headers().clone();
    let body = if is_stream {
        let mut cut = shared.cut.subscribe();
        let stream = answer.bytes_stream().take_until(async move {
            let _ = cut.changed().await;
        });
        Body::from_stream(stream)
    } else {
        Body::from(answer.bytes().await.unwrap_or_default())
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    for (name, value) in &headers {
        if name != "content-length" && name != "transfer-encoding" {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
}
