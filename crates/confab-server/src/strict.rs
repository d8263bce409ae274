//! Strict mode (`serve --strict`): the server answers only what the seed documents show, so a
//! client can be tested against the kind of server its users really have. Every extension is
//! off: unknown routes are 404, a documented path with another method is 405, query
//! parameters the documents do not show are dropped before the handler sees them, and there
//! is no event stream and no `Idempotency-Key` (the layer is simply not installed).
//!
//! The one route kept that no document shows is portal's leave: the seed documents leaving a
//! group, and without a route that operation would have no path at all.

use axum::{
    extract::Request,
    http::{Method, StatusCode, Uri},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::error::ApiError;

/// One documented route: its method, its path (`*` is one id segment) and the query
/// parameters the document shows for it.
struct Route {
    method: Method,
    path: &'static str,
    query: &'static [&'static str],
}

const fn route(method: Method, path: &'static str, query: &'static [&'static str]) -> Route {
    Route { method, path, query }
}

/// Every route a strict server answers, in the order of `docs/server-api.md`.
fn routes() -> [Route; 17] {
    [
        // portal (seed 000)
        route(Method::GET, "/api/messages", &[]),
        route(Method::POST, "/api/messages", &[]),
        route(Method::GET, "/api/messages/*", &[]),
        route(Method::POST, "/api/messages/*", &[]),
        route(Method::POST, "/api/messages/*/react", &[]),
        route(Method::POST, "/api/messages/*/leave", &[]),
        // protocol (seeds 001, 002, 003)
        route(Method::GET, "/v1/conversations", &["limit"]),
        route(Method::POST, "/v1/conversations", &[]),
        route(Method::GET, "/v1/conversations/*", &[]),
        route(Method::PUT, "/v1/conversations/*", &[]),
        route(Method::DELETE, "/v1/conversations/*", &[]),
        route(Method::GET, "/v1/messages", &["conversation_id", "limit"]),
        route(Method::POST, "/v1/messages", &[]),
        route(Method::GET, "/v1/messages/*", &[]),
        route(Method::PUT, "/v1/messages/*", &[]),
        route(Method::DELETE, "/v1/messages/*", &[]),
        // managem (seed 004)
        route(Method::POST, "/conversations", &[]),
    ]
}

fn matches(pattern: &str, path: &str) -> bool {
    let mut want = pattern.split('/');
    let mut got = path.split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return true,
            (Some("*"), Some(segment)) if !segment.is_empty() => {}
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

/// The middleware: passes documented requests on (with only their documented query
/// parameters), and answers everything else as a server without Confab's extensions would.
pub async fn gate(mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let routes = routes();
    let on_path: Vec<&Route> = routes.iter().filter(|r| matches(r.path, &path)).collect();
    let Some(found) = on_path.iter().find(|r| r.method == request.method()) else {
        return if on_path.is_empty() {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route").into_response()
        } else {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method",
            )
            .into_response()
        };
    };
    if let Some(query) = request.uri().query() {
        let kept: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .filter(|(name, _)| found.query.contains(&name.as_ref()))
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        let mut rebuilt = path.clone();
        if !kept.is_empty() {
            rebuilt.push('?');
            rebuilt.push_str(
                &form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(kept)
                    .finish(),
            );
        }
        match rebuilt.parse::<Uri>() {
            Ok(uri) => *request.uri_mut() = uri,
            Err(_) => return ApiError::bad_request("malformed request URI").into_response(),
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn patterns_match_one_id_segment() {
        assert!(matches("/api/messages/*", "/api/messages/c1"));
        assert!(!matches("/api/messages/*", "/api/messages/"));
        assert!(!matches("/api/messages/*", "/api/messages/c1/read"));
        assert!(matches("/api/messages/*/react", "/api/messages/c1/react"));
        assert!(!matches("/api/messages", "/api/messages/c1"));
        assert!(!matches("/conversations", "/conversations/c1"));
    }
}
