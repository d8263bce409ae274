//! Errors of the core. `Error::code` gives the closed set of codes the app forwards to the UI.

use std::time::Duration;

/// Why a request to a server failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RemoteError {
    /// No connection to the server could be made: nothing was sent.
    #[error("the server is unreachable: {0}")]
    Refused(String),
    /// The connection broke, possibly after the request was sent.
    #[error("the connection to the server broke: {0}")]
    Network(String),
    #[error("the server did not answer in time")]
    Timeout,
    /// 401: the key is wrong or revoked.
    #[error("the server refused the API key")]
    Unauthorized,
    /// 404: gone, or never visible to this account.
    #[error("not found on the server")]
    NotFound,
    /// 429 or 503: come back later.
    #[error("the server asks to slow down")]
    RateLimited { retry_after: Option<Duration> },
    /// Any other 5xx.
    #[error("the server failed ({status})")]
    Server { status: u16 },
    /// A 4xx that says the request itself is wrong: retrying cannot help.
    #[error("{message}")]
    Rejected { status: u16, code: String, message: String },
    /// The answer is not what the dialect promises.
    #[error("the server's answer is malformed: {0}")]
    Malformed(String),
    /// The server lacks a feature (an extension it does not have, found out from a 404, 405
    /// or 501 on its route). Remembered per account; never retried, never a failure.
    #[error("this server does not offer {}", .0.describe())]
    Missing(crate::model::Feature),
}

impl RemoteError {
    /// Worth retrying later (network trouble, 5xx, 429), as opposed to a final answer.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            RemoteError::Network(_)
                | RemoteError::Refused(_)
                | RemoteError::Timeout
                | RemoteError::RateLimited { .. }
                | RemoteError::Server { .. }
        )
    }

    /// Whether the request certainly did not take effect: nothing left, or the server
    /// answered that it did not do it. Otherwise (a timeout, a broken connection, a 5xx) it
    /// may have.
    pub fn not_received(&self) -> bool {
        matches!(
            self,
            RemoteError::Refused(_)
                | RemoteError::Unauthorized
                | RemoteError::NotFound
                | RemoteError::RateLimited { .. }
                | RemoteError::Rejected { .. }
                | RemoteError::Missing(_)
        )
    }

    /// The answer a server gives to a route it does not have.
    pub fn means_absent(&self) -> bool {
        matches!(
            self,
            RemoteError::NotFound | RemoteError::Rejected { status: 405 | 501, .. }
        )
    }
}

/// The closed set of error codes the UI branches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The key is missing, wrong or revoked: sign in again.
    NeedsSignIn,
    /// The server cannot be reached right now; queued work will be delivered later.
    Offline,
    NotFound,
    /// The request itself is wrong (the message says how).
    Invalid,
    /// The server answered something that is not its dialect.
    BadServer,
    /// The account's dialect cannot do this.
    Unsupported,
    Internal,
}

/// An error of the core's API.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// The local database failed (a full disk, a damaged file, another process holding it).
    #[error("database: {0}")]
    Store(crate::store::StoreError),
    #[error("the local database is newer ({found}) than this version of Confab ({known}); update Confab")]
    StoreTooNew { found: usize, known: usize },
    /// The database is damaged, and another process has the profile open: moving the file
    /// aside now would pull it from under that process (on Linux) or fail (on Windows).
    #[error("the local database is damaged, and another Confab process (the app or confab-cli) has this profile open; close it and start again (nothing was changed)")]
    DamagedInUse,
    #[error("the OS keyring failed: {0}")]
    Keyring(String),
    #[error("no API key for this account in the OS keyring; sign in again")]
    MissingKey,
    #[error("no such account: {0}")]
    UnknownAccount(String),
    #[error("not in the cache: {0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Unsupported(String),
    /// Whether an earlier attempt reached the server cannot be told from its answers.
    #[error("may not have been sent: {0}")]
    Unsettled(String),
    /// An earlier attempt was not found on the server, but may still arrive (the server may
    /// handle a request after the client stopped waiting for it): looked for again later.
    #[error("an earlier attempt may still arrive; looking for it again in {} s", .retry_in.as_secs().max(1))]
    Undecided { retry_in: Duration },
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// A stable code for the UI to branch on.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Remote(RemoteError::Unauthorized) | Error::MissingKey => ErrorCode::NeedsSignIn,
            Error::Remote(e) if e.is_transient() => ErrorCode::Offline,
            Error::Undecided { .. } => ErrorCode::Offline,
            Error::Remote(RemoteError::NotFound) | Error::NotFound(_) | Error::UnknownAccount(_) => ErrorCode::NotFound,
            Error::Remote(RemoteError::Rejected { .. }) | Error::Invalid(_) => ErrorCode::Invalid,
            Error::Remote(RemoteError::Malformed(_)) => ErrorCode::BadServer,
            Error::Unsupported(_) | Error::Remote(RemoteError::Missing(_)) => ErrorCode::Unsupported,
            _ => ErrorCode::Internal,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
