//! `managem` (`/conversations`): ISO-8601 times that may be null, camelCase, two people per
//! conversation tied to a source (an order), sanitized bodies, locked conversations.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{
    http::{Body, Http},
    Page, RemoteEvent,
};
use crate::{
    error::RemoteError,
    model::{Attachment, ConversationKind, Message, MessagePreview, Person, Source},
    store::ConversationUpdate,
};

/// Milliseconds from an ISO-8601 time; `None` for null or unparseable text.
pub fn parse_time(text: Option<&str>) -> Option<i64> {
    let at = OffsetDateTime::parse(text?, &Rfc3339).ok()?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

#[derive(Debug, Deserialize)]
pub struct WireSource {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireProfile {
    pub id: String,
    pub username: String,
    #[serde(default)]
    pub reviews: Option<f64>,
    #[serde(default)]
    pub rating: Option<f64>,
    #[serde(default)]
    pub score: Option<f64>,
    #[serde(default)]
    pub sales: Option<f64>,
    #[serde(default)]
    pub purchases: Option<f64>,
    #[serde(default)]
    pub joined: Option<String>,
    #[serde(default)]
    pub avatar: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireAttachment {
    pub id: String,
    #[serde(default)]
    pub image_id: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireMessage {
    pub id: String,
    pub conversation_id: String,
    pub sender: WireProfile,
    pub body: String,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub viewed_at: Option<String>,
    #[serde(default)]
    pub attachments: Vec<WireAttachment>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireConversation {
    pub id: String,
    pub source: WireSource,
    pub user_a: WireProfile,
    pub user_b: WireProfile,
    pub locked: bool,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub last_message: Option<WireMessage>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct List<T> {
    data: Vec<T>,
    #[serde(default)]
    next_cursor: Option<String>,
}

pub fn person(p: &WireProfile) -> Person {
    Person {
        id: p.id.clone(),
        name: p.username.clone(),
        username: Some(p.username.clone()),
        avatar_url: p.avatar.clone(),
        extra: json!({
            "reviews": p.reviews, "rating": p.rating, "score": p.score, "sales": p.sales,
            "purchases": p.purchases, "joined": parse_time(p.joined.as_deref()),
        }),
    }
}

pub fn message(account_id: &str, wire: WireMessage) -> Message {
    let created_at = parse_time(wire.created_at.as_deref()).unwrap_or(0);
    Message {
        account_id: account_id.to_string(),
        conversation_id: wire.conversation_id,
        id: wire.id,
        client_id: None,
        sender_id: wire.sender.id,
        body: wire.body,
        reactions: Default::default(),
        attachments: wire
            .attachments
            .into_iter()
            .map(|a| Attachment {
                url: a.url.unwrap_or_default(),
                content_type: a.image_id.as_ref().map(|_| "image/*".to_string()),
                id: a.id,
                name: None,
                size: None,
            })
            .collect(),
        read_at: parse_time(wire.viewed_at.as_deref()),
        created_at,
        edited_at: None,
        delivery: crate::model::Delivery::Sent,
    }
}

pub fn conversation(wire: WireConversation) -> (ConversationUpdate, Vec<Person>) {
    let people = vec![person(&wire.user_a), person(&wire.user_b)];
    let last = wire.last_message.as_ref().map(|m| MessagePreview {
        id: m.id.clone(),
        sender_id: m.sender.id.clone(),
        body: m.body.clone(),
        created_at: parse_time(m.created_at.as_deref()).unwrap_or(0),
    });
    let created_at = parse_time(wire.created_at.as_deref()).unwrap_or(0);
    let update = ConversationUpdate {
        id: wire.id,
        kind: ConversationKind::Direct,
        title: None,
        participants: vec![wire.user_a.id.clone(), wire.user_b.id.clone()],
        source: Some(Source {
            kind: wire.source.kind,
            id: wire.source.id,
        }),
        locked: wire.locked,
        pinned: None,
        muted: None,
        archived_at: None,
        pinned_message_id: None,
        unread: None,
        sync_marker: last.as_ref().map(|m| m.id.clone()),
        last_activity_at: last
            .as_ref()
            .map(|m| m.created_at)
            .or(parse_time(wire.updated_at.as_deref())),
        last_message: last,
        created_at,
        extra: json!({}),
    };
    (update, people)
}

pub async fn me(http: &Http) -> Result<Person, RemoteError> {
    let profile: WireProfile = http.get("/users/me").await?;
    Ok(person(&profile))
}

pub async fn people(http: &Http) -> Result<Vec<Person>, RemoteError> {
    let list: List<WireProfile> = http.get("/users").await?;
    Ok(list.data.iter().map(person).collect())
}

pub async fn conversations(http: &Http) -> Result<(Vec<ConversationUpdate>, Vec<Person>), RemoteError> {
    let (mut updates, mut people) = (Vec::new(), Vec::new());
    let mut path = "/conversations?limit=100".to_string();
    loop {
        let page: List<WireConversation> = http.get(&path).await?;
        for wire in page.data {
            let (update, who) = conversation(wire);
            updates.push(update);
            people.extend(who);
        }
        match page.next_cursor {
            Some(cursor) => path = format!("/conversations?limit=100&cursor={cursor}"),
            None => return Ok((updates, people)),
        }
    }
}

pub async fn messages(
    http: &Http,
    account_id: &str,
    conversation_id: &str,
    before: Option<&str>,
    limit: usize,
) -> Result<Page, RemoteError> {
    let mut path = format!("/conversations/{conversation_id}/messages?limit={}", limit.min(100));
    if let Some(before) = before {
        path.push_str(&format!("&cursor={before}"));
    }
    let page: List<WireMessage> = http.get(&path).await?;
    let has_more = page.next_cursor.is_some();
    Ok(Page {
        messages: page.data.into_iter().map(|m| message(account_id, m)).collect(),
        has_more,
    })
}

pub async fn send(
    http: &Http,
    account_id: &str,
    conversation_id: &str,
    body: &str,
    attachments: &[String],
    key: &str,
) -> Result<Message, RemoteError> {
    let wire: WireMessage = http
        .json(
            Method::POST,
            &format!("/conversations/{conversation_id}/messages"),
            Body::Json(json!({ "body": body, "attachments": attachments })),
            Some(key),
        )
        .await?;
    Ok(message(account_id, wire))
}

pub async fn create(
    http: &Http,
    recipient: &str,
    source: &Source,
    body: &str,
    key: &str,
) -> Result<(ConversationUpdate, Vec<Person>), RemoteError> {
    let wire: WireConversation = http
        .json(
            Method::POST,
            "/conversations",
            Body::Json(
                json!({ "source": { "type": source.kind, "id": source.id }, "recipientId": recipient, "body": body }),
            ),
            Some(key),
        )
        .await?;
    Ok(conversation(wire))
}

pub async fn mark_read(http: &Http, conversation_id: &str) -> Result<(), RemoteError> {
    http.send(
        Method::POST,
        &format!("/conversations/{conversation_id}/viewed"),
        Body::Json(json!({})),
        None,
    )
    .await
    .map(|_| ())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
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
}

pub fn event(account_id: &str, data: &str) -> Result<RemoteEvent, RemoteError> {
    let wire: WireEvent = super::http::parse(data.as_bytes())?;
    Ok(match (wire.kind.as_str(), wire.message, wire.conversation) {
        ("message.created" | "message.edited" | "message.reaction", Some(m), _) => {
            RemoteEvent::Message(message(account_id, m))
        }
        ("message.deleted", _, _) => RemoteEvent::MessageDeleted {
            conversation_id: wire.conversation_id,
            message_id: wire.message_id.unwrap_or_default(),
        },
        ("conversation.created" | "conversation.updated", _, Some(c)) => RemoteEvent::Conversation(conversation(c).0),
        ("conversation.deleted", _, _) => RemoteEvent::ConversationDeleted {
            conversation_id: wire.conversation_id,
        },
        _ => RemoteEvent::Other,
    })
}
