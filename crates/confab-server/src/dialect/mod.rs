//! The three dialects. Each is a router over the same store that reads requests and writes
//! answers in its seed's shapes; none holds state of its own.

pub mod managem;
pub mod portal;
pub mod protocol;

use axum::http::{header::HOST, HeaderMap};

use crate::error::{ApiError, ApiResult};

/// Reads a page size: `default` when absent, 1 to `max` otherwise.
pub fn page_limit(given: Option<&str>, default: usize, max: usize) -> ApiResult<usize> {
    match given {
        None => Ok(default),
        Some(text) => match text.trim().parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::invalid_field(
                "limit",
                format!("must be a whole number from 1 to {max}"),
            )),
        },
    }
}

/// The `http://host:port` this request was addressed to, for links back to the server.
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers.get(HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    format!("http://{host}")
}

/// Reads a stored upload request: the bytes, a file name from `?filename=` and the type from
/// `Content-Type`.
pub fn upload_parts(headers: &HeaderMap, filename: Option<String>) -> ApiResult<(String, String)> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let filename = filename.unwrap_or_else(|| "attachment".to_string());
    let ok = !filename.is_empty()
        && filename.len() <= 255
        && !filename.contains(['/', '\\'])
        && !filename.chars().any(char::is_control);
    if !ok {
        return Err(ApiError::invalid_field(
            "filename",
            "a plain file name of at most 255 bytes",
        ));
    }
    Ok((filename, content_type))
}

/// Serves an attachment's bytes; anything but images downloads rather than displays.
pub fn attachment_response(attachment: crate::store::Attachment, data: Vec<u8>) -> axum::response::Response {
    use axum::{http::header, response::IntoResponse};
    let disposition = if attachment.content_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    let safe_name: String = attachment
        .filename
        .chars()
        .map(|c| {
            if c == '"' || !c.is_ascii() || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, attachment.content_type),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"{safe_name}\""),
            ),
            (
                header::HeaderName::from_static("x-content-type-options"),
                "nosniff".to_string(),
            ),
        ],
        data,
    )
        .into_response()
}
