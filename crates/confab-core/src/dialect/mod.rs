//! The three dialect clients behind one facade, [`Remote`]. Each dialect module maps its
//! JSON to the unified model; this module picks the dialect and falls back where a server
//! lacks an extension (no event stream: the sync engine polls).

pub mod http;
pub mod managem;
pub mod portal;
pub mod protocol;

use std::{collections::HashMap, sync::RwLock, time::Duration};

use crate::{
    error::RemoteError,
    model::{Dialect, Message, Person, Source},
    store::ConversationUpdate,
};

pub use http::EventStream;

/// A page of messages from a server, newest first.
#[derive(Debug, Clone)]
pub struct Page {
    pub messages: Vec<Message>,
    pub has_more: bool,
}

/// What a server's event stream announced, in the unified model.
#[derive(Debug, Clone)]
pub enum RemoteEvent {
    Message(Message),
    MessageDeleted {
        conversation_id: String,
        message_id: String,
    },
    Conversation(ConversationUpdate),
    ConversationDeleted {
        conversation_id: String,
    },
    MemberLeft {
        conversation_id: String,
        person_id: String,
    },
    /// Something changed that the event does not fully describe: list conversations again.
    Refresh,
    Other,
}

/// How long a request may take before it counts as failed.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// One account's connection to its server.
pub struct Remote {
    dialect: Dialect,
    http: http::Http,
    account_id: String,
    me: Person,
    ids_by_username: RwLock<HashMap<String, String>>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("dialect", &self.dialect)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

impl Remote {
    pub fn new(
        dialect: Dialect,
        server_url: &str,
        key: &str,
        account_id: &str,
        me: Person,
        timeout: Duration,
    ) -> Result<Self, RemoteError> {
        let mut ids = HashMap::new();
        if let Some(username) = &me.username {
            ids.insert(username.clone(), me.id.clone());
        }
        Ok(Self {
            dialect,
            http: http::Http::new(server_url, key, timeout)?,
            account_id: account_id.to_string(),
            me,
            ids_by_username: RwLock::new(ids),
        })
    }

    /// Who a key belongs to, which also proves the URL, dialect and key are right.
    pub async fn whoami(dialect: Dialect, server_url: &str, key: &str) -> Result<Person, RemoteError> {
        let http = http::Http::new(server_url, key, REQUEST_TIMEOUT)?;
        match dialect {
            Dialect::Portal => portal::me(&http).await,
            Dialect::Protocol => protocol::me(&http).await,
            Dialect::Managem => managem::me(&http).await,
        }
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub fn me(&self) -> &Person {
        &self.me
    }

    fn ids(&self) -> HashMap<String, String> {
        self.ids_by_username.read().map(|m| m.clone()).unwrap_or_default()
    }

    fn learn(&self, people: &[Person]) {
        if let Ok(mut ids) = self.ids_by_username.write() {
            for p in people {
                if let Some(username) = &p.username {
                    ids.insert(username.clone(), p.id.clone());
                }
            }
        }
    }

    /// The account's directory: the people one can write to.
    pub async fn people(&self) -> Result<Vec<Person>, RemoteError> {
        let people = match self.dialect {
            Dialect::Portal => portal::people(&self.http).await,
            Dialect::Protocol => protocol::people(&self.http).await,
            Dialect::Managem => managem::people(&self.http).await,
        };
        // A server without a directory is fine; names come from messages then.
        let people = match people {
            Err(RemoteError::NotFound) => Vec::new(),
            other => other?,
        };
        self.learn(&people);
        Ok(people)
    }

    /// Every conversation, and the people they name when the dialect includes profiles.
    pub async fn conversations(&self) -> Result<(Vec<ConversationUpdate>, Vec<Person>), RemoteError> {
        match self.dialect {
            Dialect::Portal => Ok((portal::conversations(&self.http).await?, Vec::new())),
            Dialect::Protocol => Ok((protocol::conversations(&self.http, &self.me.id).await?, Vec::new())),
            Dialect::Managem => {
                let (updates, people) = managem::conversations(&self.http).await?;
                self.learn(&people);
                Ok((updates, people))
            }
        }
    }

    /// Up to `limit` messages older than the message `before` (or the newest), newest first.
    pub async fn messages(
        &self,
        conversation_id: &str,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Page, RemoteError> {
        match self.dialect {
            Dialect::Portal => portal::messages(&self.http, &self.account_id, conversation_id, before, limit).await,
            Dialect::Protocol => {
                protocol::messages(
                    &self.http,
                    &self.account_id,
                    conversation_id,
                    before,
                    limit,
                    &self.ids(),
                )
                .await
            }
            Dialect::Managem => managem::messages(&self.http, &self.account_id, conversation_id, before, limit).await,
        }
    }

    pub async fn send(
        &self,
        conversation_id: &str,
        body: &str,
        attachments: &[String],
        key: &str,
    ) -> Result<Message, RemoteError> {
        match self.dialect {
            Dialect::Portal => portal::send(&self.http, &self.account_id, conversation_id, body, key).await,
            Dialect::Protocol => {
                protocol::send(
                    &self.http,
                    &self.account_id,
                    conversation_id,
                    body,
                    attachments,
                    key,
                    &self.ids(),
                )
                .await
            }
            Dialect::Managem => {
                managem::send(&self.http, &self.account_id, conversation_id, body, attachments, key).await
            }
        }
    }

    /// Creates a conversation with an opening message. Returns it, and the opening message
    /// when the dialect sends it separately.
    pub async fn create(
        &self,
        participants: &[String],
        body: &str,
        source: Option<&Source>,
        key: &str,
    ) -> Result<(ConversationUpdate, Option<Message>), RemoteError> {
        match self.dialect {
            Dialect::Portal => Ok((portal::create(&self.http, participants, body, key).await?, None)),
            Dialect::Protocol => {
                let [contact] = participants else {
                    return Err(RemoteError::Rejected {
                        status: 422,
                        code: "invalid".into(),
                        message: "a protocol conversation is with exactly one contact".into(),
                    });
                };
                let conversation = protocol::create(&self.http, &self.me.id, contact, key).await?;
                let message = self
                    .send(&conversation.id, body, &[], &format!("{key}:message"))
                    .await?;
                Ok((conversation, Some(message)))
            }
            Dialect::Managem => {
                let ([recipient], Some(source)) = (participants, source) else {
                    return Err(RemoteError::Rejected {
                        status: 422,
                        code: "invalid".into(),
                        message: "a managem conversation is with one person, about a source such as an order".into(),
                    });
                };
                let (conversation, people) = managem::create(&self.http, recipient, source, body, key).await?;
                self.learn(&people);
                Ok((conversation, None))
            }
        }
    }

    pub async fn react(
        &self,
        conversation_id: &str,
        message_id: &str,
        emoji: &str,
        on: bool,
        key: &str,
    ) -> Result<Message, RemoteError> {
        match self.dialect {
            Dialect::Portal => {
                portal::react(
                    &self.http,
                    &self.account_id,
                    conversation_id,
                    message_id,
                    emoji,
                    on,
                    key,
                )
                .await
            }
            Dialect::Protocol => {
                let username = self.me.username.clone().unwrap_or_else(|| self.me.id.clone());
                protocol::react(
                    &self.http,
                    &self.account_id,
                    message_id,
                    emoji,
                    &username,
                    on,
                    &self.ids(),
                )
                .await
            }
            Dialect::Managem => Err(unsupported("reactions")),
        }
    }

    pub async fn edit(&self, message_id: &str, body: &str) -> Result<Message, RemoteError> {
        match self.dialect {
            Dialect::Protocol => protocol::edit(&self.http, &self.account_id, message_id, body, &self.ids()).await,
            _ => Err(unsupported("editing")),
        }
    }

    pub async fn delete(&self, message_id: &str) -> Result<(), RemoteError> {
        match self.dialect {
            Dialect::Protocol => protocol::delete_message(&self.http, message_id).await,
            _ => Err(unsupported("deleting messages")),
        }
    }

    pub async fn leave(&self, conversation_id: &str, key: &str) -> Result<(), RemoteError> {
        match self.dialect {
            Dialect::Portal => portal::leave(&self.http, conversation_id, key).await,
            _ => Err(unsupported("leaving conversations")),
        }
    }

    pub async fn delete_conversation(&self, conversation_id: &str) -> Result<(), RemoteError> {
        match self.dialect {
            Dialect::Protocol => protocol::delete_conversation(&self.http, conversation_id).await,
            _ => Err(unsupported("deleting conversations")),
        }
    }

    /// Pin, mute or archive on the server (protocol keeps these; others do not).
    pub async fn set_flags(
        &self,
        conversation_id: &str,
        pinned: Option<bool>,
        muted: Option<bool>,
        archived_at: Option<Option<i64>>,
    ) -> Result<(), RemoteError> {
        if self.dialect != Dialect::Protocol {
            return Err(unsupported("pin, mute and archive on the server"));
        }
        let mut fields = Vec::new();
        if let Some(pinned) = pinned {
            fields.push(("is_pinned", pinned.to_string()));
        }
        if let Some(muted) = muted {
            fields.push(("is_muted", muted.to_string()));
        }
        if let Some(archived_at) = archived_at {
            fields.push(("archived_at", protocol::archive_field(archived_at)));
        }
        protocol::update(&self.http, conversation_id, fields).await
    }

    pub async fn mark_read(&self, conversation_id: &str) -> Result<(), RemoteError> {
        match self.dialect {
            Dialect::Portal => portal::mark_read(&self.http, conversation_id).await,
            Dialect::Protocol => protocol::mark_read(&self.http, conversation_id).await,
            Dialect::Managem => managem::mark_read(&self.http, conversation_id).await,
        }
    }

    /// Downloads an attachment. Only from this account's own server: the API key must never
    /// be sent anywhere else.
    pub async fn download(&self, url: &str, max_bytes: usize) -> Result<(Vec<u8>, Option<String>), RemoteError> {
        let base = self.http.base();
        let same_origin = url.strip_prefix(base).is_some_and(|rest| rest.starts_with('/'));
        if !same_origin {
            return Err(RemoteError::Rejected {
                status: 400,
                code: "foreign_url".into(),
                message: "attachments are only fetched from the account's own server".into(),
            });
        }
        self.http.download(url, max_bytes).await
    }

    /// The server's event stream (an extension); `None` when it has none.
    pub async fn events(&self, last_event_id: Option<&str>) -> Result<Option<EventStream>, RemoteError> {
        let path = match self.dialect {
            Dialect::Portal => "/api/events",
            Dialect::Protocol => "/v1/events",
            Dialect::Managem => "/events",
        };
        self.http.events(path, last_event_id).await
    }

    pub fn parse_event(&self, data: &str) -> Result<RemoteEvent, RemoteError> {
        match self.dialect {
            Dialect::Portal => portal::event(&self.account_id, data),
            Dialect::Protocol => protocol::event(&self.account_id, &self.me.id, data, &self.ids()),
            Dialect::Managem => managem::event(&self.account_id, data),
        }
    }
}

fn unsupported(what: &str) -> RemoteError {
    RemoteError::Rejected {
        status: 501,
        code: "unsupported".into(),
        message: format!("this dialect has no {what}"),
    }
}
