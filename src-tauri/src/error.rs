//! The one error shape that crosses IPC: `{code, message}`, codes from a closed set the UI
//! branches on.

use confab_core::ErrorCode;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ErrorPayload {
    pub code: ErrorCode,
    pub message: String,
}

impl ErrorPayload {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::Invalid,
            message: message.into(),
        }
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self {
            code: ErrorCode::Internal,
            message: message.to_string(),
        }
    }
}

impl From<confab_core::Error> for ErrorPayload {
    fn from(error: confab_core::Error) -> Self {
        Self {
            code: error.code(),
            message: error.to_string(),
        }
    }
}

pub type CommandResult<T> = Result<T, ErrorPayload>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_shape_is_pinned() {
        let payload = ErrorPayload::from(confab_core::Error::Invalid("a message needs some text".into()));
        assert_eq!(
            serde_json::to_value(&payload).expect("serializes"),
            serde_json::json!({ "code": "invalid", "message": "a message needs some text" })
        );
        let offline = ErrorPayload::from(confab_core::Error::Remote(confab_core::RemoteError::Timeout));
        assert_eq!(offline.code, ErrorCode::Offline);
    }
}
