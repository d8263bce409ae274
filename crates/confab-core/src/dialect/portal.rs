//! `portal` (`/api/messages`): times in milliseconds, reactions as emoji -> person ids.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::{
    http::{Body, Http},
    Page, RemoteEvent,
};
use crate::{
    error::RemoteError,
    model::{ConversationKind, Message, MessagePreview, Person},
    store::ConversationUpdate,
};

#[derive(Debug, Deserialize)]
pub struct WireConversation {
    pub id: String,
    #[serde(default)]
    pub district_id: Option<String>,
    pub participants: Vec<String>,
    #[serde(default)]
    pub last_message: Option<WirePreview>,
    #[serde(default)]
    pub unread: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Deserialize)]
pub struct WirePreview {
    pub id: String,
    pub body: String,
    pub sender_id: String,
    pub created_at: i64,
}

#[derive(Debug, Deserialize)]
pub struct WireMessage {
    pub id: String,
    pub sender_id: String,
    pub body: String,
    #[serde(default)]
    pub reactions: BTreeMap<String, Vec<String>>,
    pub created_at: i64,
}

#[derive(Debug, Deserialize)]
struct WireDetail {
    messages: Vec<WireMessage>,
    #[serde(default)]
    has_more: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct WireCreated {
    id: String,
    #[serde(default)]
    district_id: Option<String>,
    participants: Vec<String>,
    created_at: i64,
}

#[derive(Debug, Deserialize)]
struct WirePerson {
    id: String,
    name: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    language: Option<String>,
}

pub fn conversation(wire: WireConversation) -> ConversationUpdate {
    let kind = if wire.participants.len() > 2 {
        ConversationKind::Group
    } else {
        ConversationKind::Direct
    };
    let marker = wire.last_message.as_ref().map(|m| m.id.clone());
    ConversationUpdate {
        id: wire.id,
        kind,
        title: None,
        participants: wire.participants,
        source: None,
        locked: false,
        pinned: None,
        muted: None,
        archived_at: None,
        pinned_message_id: None,
        unread: wire.unread,
        last_message: wire.last_message.map(|m| MessagePreview {
            id: m.id,
            sender_id: m.sender_id,
            body: m.body,
            created_at: m.created_at,
        }),
        last_activity_at: None,
        created_at: wire.created_at,
        sync_marker: marker,
        extra: json!({ "district_id": wire.district_id }),
    }
}

pub fn message(account_id: &str, conversation_id: &str, wire: WireMessage) -> Message {
    Message {
        account_id: account_id.to_string(),
        conversation_id: conversation_id.to_string(),
        id: wire.id,
        client_id: None,
        sender_id: wire.sender_id,
        body: wire.body,
        reactions: wire.reactions,
        attachments: Vec::new(),
        read_at: None,
        created_at: wire.created_at,
        edited_at: None,
        delivery: crate::model::Delivery::Sent,
    }
}

pub async fn me(http: &Http) -> Result<Person, RemoteError> {
    let me: WirePerson = http.get("/api/me").await?;
    Ok(person(me))
}

fn person(p: WirePerson) -> Person {
    Person {
        id: p.id,
        name: p.name,
        username: p.username,
        avatar_url: None,
        extra: json!({ "language": p.language }),
    }
}

pub async fn people(http: &Http) -> Result<Vec<Person>, RemoteError> {
    let people: Vec<WirePerson> = http.get("/api/people").await?;
    Ok(people.into_iter().map(person).collect())
}

pub async fn conversations(http: &Http) -> Result<Vec<ConversationUpdate>, RemoteError> {
    let list: Vec<WireConversation> = http.get("/api/messages").await?;
    Ok(list.into_iter().map(conversation).collect())
}

/// A page of messages, newest first. Uses the paging extension when the server has it; a
/// server without it answers with every message, which is then one complete page.
pub async fn messages(
    http: &Http,
    account_id: &str,
    conversation_id: &str,
    before: Option<&str>,
    limit: usize,
) -> Result<Page, RemoteError> {
    let mut path = format!("/api/messages/{conversation_id}?limit={limit}");
    if let Some(before) = before {
        path.push_str(&format!("&before={before}"));
    }
    let detail: WireDetail = http.get(&path).await?;
    let paged = detail.has_more.is_some();
    let mut messages: Vec<Message> = detail
        .messages
        .into_iter()
        .map(|m| message(account_id, conversation_id, m))
        .collect();
    messages.sort_by_key(|m| std::cmp::Reverse(m.created_at));
    if !paged {
        // The whole history came back: keep what is older than `before`, and page locally.
        if let Some(before) = before {
            if let Some(at) = messages.iter().position(|m| m.id == before) {
                messages.drain(..=at);
            }
        }
        let more = messages.len() > limit;
        messages.truncate(limit);
        return Ok(Page {
            messages,
            has_more: more,
        });
    }
    Ok(Page {
        messages,
        has_more: detail.has_more.unwrap_or(false),
    })
}

pub async fn send(
    http: &Http,
    account_id: &str,
    conversation_id: &str,
    body: &str,
    key: &str,
) -> Result<Message, RemoteError> {
    let wire: WireMessage = http
        .json(
            Method::POST,
            &format!("/api/messages/{conversation_id}"),
            Body::Json(json!({ "body": body })),
            Some(key),
        )
        .await?;
    Ok(message(account_id, conversation_id, wire))
}

pub async fn create(
    http: &Http,
    participants: &[String],
    body: &str,
    key: &str,
) -> Result<ConversationUpdate, RemoteError> {
    let created: WireCreated = http
        .json(
            Method::POST,
            "/api/messages",
            Body::Json(json!({ "participants": participants, "body": body })),
            Some(key),
        )
        .await?;
    Ok(conversation(WireConversation {
        id: created.id,
        district_id: created.district_id,
        participants: created.participants,
        last_message: None,
        unread: Some(0),
        created_at: created.created_at,
    }))
}

pub async fn react(
    http: &Http,
    account_id: &str,
    conversation_id: &str,
    message_id: &str,
    emoji: &str,
    on: bool,
    key: &str,
) -> Result<Message, RemoteError> {
    let path = format!("/api/messages/{conversation_id}/react");
    let body = Body::Json(json!({ "message_id": message_id, "emoji": emoji }));
    let wire: WireMessage = if on {
        http.json(Method::POST, &path, body, Some(key)).await?
    } else {
        http.json(Method::DELETE, &path, body, None).await?
    };
    Ok(message(account_id, conversation_id, wire))
}

pub async fn leave(http: &Http, conversation_id: &str, key: &str) -> Result<(), RemoteError> {
    http.send(
        Method::POST,
        &format!("/api/messages/{conversation_id}/leave"),
        Body::Json(json!({})),
        Some(key),
    )
    .await
    .map(|_| ())
}

/// Marks a conversation read: the read route (an extension), or the seed's own way on a server
/// without it.
pub async fn mark_read(http: &Http, conversation_id: &str) -> Result<(), RemoteError> {
    let read = http
        .send(
            Method::POST,
            &format!("/api/messages/{conversation_id}/read"),
            Body::Json(json!({})),
            None,
        )
        .await;
    match read {
        // A server without the read route: reading the whole conversation (the seed's way) marks it.
        Err(RemoteError::NotFound) => http
            .send(
                Method::GET,
                &format!("/api/messages/{conversation_id}"),
                Body::None,
                None,
            )
            .await
            .map(|_| ()),
        other => other.map(|_| ()),
    }
}

#[derive(Deserialize)]
struct WireEvent {
    #[serde(rename = "type")]
    kind: String,
    conversation_id: String,
    #[serde(default)]
    message: Option<WireMessage>,
    #[serde(default)]
    message_id: Option<String>,
    #[serde(default)]
    conversation: Option<WireConversation>,
    #[serde(default)]
    person_id: Option<String>,
}

pub fn event(account_id: &str, data: &str) -> Result<RemoteEvent, RemoteError> {
    let wire: WireEvent = super::http::parse(data.as_bytes())?;
    Ok(match (wire.kind.as_str(), wire.message, wire.conversation) {
        ("message.created" | "message.edited" | "message.reaction", Some(m), _) => {
            RemoteEvent::Message(message(account_id, &wire.conversation_id, m))
        }
        ("message.deleted", _, _) => RemoteEvent::MessageDeleted {
            conversation_id: wire.conversation_id,
            message_id: wire.message_id.unwrap_or_default(),
        },
        ("conversation.created" | "conversation.updated", _, Some(c)) => RemoteEvent::Conversation(conversation(c)),
        ("conversation.deleted", _, _) => RemoteEvent::ConversationDeleted {
            conversation_id: wire.conversation_id,
        },
        ("member.left", _, _) => RemoteEvent::MemberLeft {
            conversation_id: wire.conversation_id,
            person_id: wire.person_id.unwrap_or_default(),
        },
        _ => RemoteEvent::Other,
    })
}
