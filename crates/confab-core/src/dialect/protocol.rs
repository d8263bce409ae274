//! `protocol` (`/v1`): times in seconds, `{has_more, data}` lists, form bodies, reactions as
//! `[{name: [usernames]}]`.

use std::collections::{BTreeMap, HashMap};

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::{
    http::{Body, Http},
    Page, RemoteEvent,
};
use crate::{
    error::RemoteError,
    model::{Attachment, ConversationKind, Message, Person},
    store::ConversationUpdate,
};

fn ms(seconds: i64) -> i64 {
    seconds.saturating_mul(1000)
}

#[derive(Debug, Deserialize)]
pub struct List<T> {
    pub has_more: bool,
    pub data: Vec<T>,
}

#[derive(Debug, Deserialize)]
pub struct WireConversation {
    pub id: String,
    #[serde(default)]
    pub contact_id: Option<String>,
    #[serde(default)]
    pub group_id: Option<String>,
    #[serde(default)]
    pub pinned_message_id: Option<String>,
    #[serde(default)]
    pub is_pinned: bool,
    #[serde(default)]
    pub is_muted: bool,
    #[serde(default)]
    pub last_active_at: Option<i64>,
    #[serde(default)]
    pub last_opened_at: Option<i64>,
    pub created_at: i64,
    #[serde(default)]
    pub archived_at: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct WireContact {
    pub id: String,
    pub username: String,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub avatar_url: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct WireAttachment {
    pub id: String,
    #[serde(default)]
    pub filename: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub size: Option<i64>,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct WireMessage {
    pub id: String,
    pub conversation_id: String,
    pub contact: WireContact,
    pub message: String,
    #[serde(default)]
    pub reactions: Vec<BTreeMap<String, Vec<String>>>,
    #[serde(default)]
    pub attachments: Vec<WireAttachment>,
    #[serde(default)]
    pub read_at: Option<i64>,
    pub created_at: i64,
    #[serde(default)]
    pub updated_at: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct WireGroup {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    member_ids: Vec<String>,
}

/// Groups by id: their names and members (an extension; empty without it).
pub type Groups = HashMap<String, (Option<String>, Vec<String>)>;

pub fn conversation(me: &str, wire: WireConversation, groups: &Groups) -> ConversationUpdate {
    let (kind, title, participants) = match (&wire.group_id, &wire.contact_id) {
        (Some(group), _) => {
            let (name, members) = groups.get(group).cloned().unwrap_or((None, vec![me.to_string()]));
            (ConversationKind::Group, name, members)
        }
        (None, Some(contact)) => (ConversationKind::Direct, None, vec![me.to_string(), contact.clone()]),
        (None, None) => (ConversationKind::Direct, None, vec![me.to_string()]),
    };
    ConversationUpdate {
        id: wire.id,
        kind,
        title,
        participants,
        source: None,
        locked: false,
        pinned: Some(wire.is_pinned),
        muted: Some(wire.is_muted),
        archived_at: Some(wire.archived_at.map(ms)),
        pinned_message_id: Some(wire.pinned_message_id),
        unread: None,
        last_message: None,
        last_activity_at: wire.last_active_at.map(ms),
        created_at: ms(wire.created_at),
        sync_marker: wire.last_active_at.map(|t| t.to_string()),
        extra: json!({ "group_id": wire.group_id, "contact_id": wire.contact_id, "last_opened_at": wire.last_opened_at.map(ms) }),
    }
}

/// Usernames in reactions become person ids where the directory knows them.
pub fn message(account_id: &str, wire: WireMessage, ids_by_username: &HashMap<String, String>) -> Message {
    let mut reactions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for object in wire.reactions {
        for (emoji, names) in object {
            let people = reactions.entry(emoji).or_default();
            people.extend(names.into_iter().map(|n| ids_by_username.get(&n).cloned().unwrap_or(n)));
        }
    }
    Message {
        account_id: account_id.to_string(),
        conversation_id: wire.conversation_id,
        id: wire.id,
        client_id: None,
        sender_id: wire.contact.id,
        body: wire.message,
        reactions,
        attachments: wire
            .attachments
            .into_iter()
            .map(|a| Attachment {
                url: a.url.unwrap_or_default(),
                id: a.id,
                name: a.filename,
                content_type: a.content_type,
                size: a.size,
            })
            .collect(),
        read_at: wire.read_at.map(ms),
        created_at: ms(wire.created_at),
        edited_at: wire.updated_at.filter(|u| *u > wire.created_at).map(ms),
        delivery: crate::model::Delivery::Sent,
    }
}

fn person(c: WireContact) -> Person {
    Person {
        id: c.id,
        name: c.username.clone(),
        username: Some(c.username),
        avatar_url: c.avatar_url,
        extra: json!({ "phone_number": c.phone_number }),
    }
}

pub async fn me(http: &Http) -> Result<Person, RemoteError> {
    Ok(person(http.get("/v1/me").await?))
}

pub async fn people(http: &Http) -> Result<Vec<Person>, RemoteError> {
    let mut out = Vec::new();
    let mut path = "/v1/contacts?limit=100".to_string();
    loop {
        let page: List<WireContact> = http.get(&path).await?;
        let last = page.data.last().map(|c| c.id.clone());
        out.extend(page.data.into_iter().map(person));
        match (page.has_more, last) {
            (true, Some(last)) => path = format!("/v1/contacts?limit=100&starting_after={last}"),
            _ => return Ok(out),
        }
    }
}

pub async fn groups(http: &Http) -> Result<Groups, RemoteError> {
    let mut out = Groups::new();
    let mut path = "/v1/groups?limit=100".to_string();
    loop {
        let page: List<WireGroup> = match http.get(&path).await {
            Ok(page) => page,
            Err(RemoteError::NotFound) => return Ok(out),
            Err(e) => return Err(e),
        };
        let last = page.data.last().map(|g| g.id.clone());
        out.extend(page.data.into_iter().map(|g| (g.id, (g.name, g.member_ids))));
        match (page.has_more, last) {
            (true, Some(last)) => path = format!("/v1/groups?limit=100&starting_after={last}"),
            _ => return Ok(out),
        }
    }
}

pub async fn conversations(http: &Http, me: &str) -> Result<Vec<ConversationUpdate>, RemoteError> {
    let groups = groups(http).await?;
    let mut out = Vec::new();
    let mut path = "/v1/conversations?limit=100".to_string();
    loop {
        let page: List<WireConversation> = http.get(&path).await?;
        let last = page.data.last().map(|c| c.id.clone());
        out.extend(page.data.into_iter().map(|c| conversation(me, c, &groups)));
        match (page.has_more, last) {
            (true, Some(last)) => path = format!("/v1/conversations?limit=100&starting_after={last}"),
            _ => return Ok(out),
        }
    }
}

pub async fn messages(
    http: &Http,
    account_id: &str,
    conversation_id: &str,
    before: Option<&str>,
    limit: usize,
    ids: &HashMap<String, String>,
) -> Result<Page, RemoteError> {
    let mut path = format!(
        "/v1/messages?conversation_id={conversation_id}&limit={}",
        limit.min(100)
    );
    if let Some(before) = before {
        path.push_str(&format!("&starting_after={before}"));
    }
    let page: List<WireMessage> = http.get(&path).await?;
    Ok(Page {
        messages: page.data.into_iter().map(|m| message(account_id, m, ids)).collect(),
        has_more: page.has_more,
    })
}

pub async fn send(
    http: &Http,
    account_id: &str,
    conversation_id: &str,
    body: &str,
    attachments: &[String],
    key: &str,
    ids: &HashMap<String, String>,
) -> Result<Message, RemoteError> {
    let mut form = vec![
        ("conversation_id", conversation_id.to_string()),
        ("message", body.to_string()),
    ];
    form.extend(attachments.iter().map(|a| ("attachments[]", a.clone())));
    let wire: WireMessage = http
        .json(Method::POST, "/v1/messages", Body::Form(form), Some(key))
        .await?;
    Ok(message(account_id, wire, ids))
}

pub async fn create(http: &Http, me: &str, contact: &str, key: &str) -> Result<ConversationUpdate, RemoteError> {
    let wire: WireConversation = http
        .json(
            Method::POST,
            "/v1/conversations",
            Body::Form(vec![("contact_id", contact.to_string())]),
            Some(key),
        )
        .await?;
    Ok(conversation(me, wire, &Groups::new()))
}

pub async fn react(
    http: &Http,
    account_id: &str,
    message_id: &str,
    emoji: &str,
    username: &str,
    on: bool,
    ids: &HashMap<String, String>,
) -> Result<Message, RemoteError> {
    let wire: WireMessage = if on {
        let key = format!("reactions[{emoji}][]");
        http.json(
            Method::PUT,
            &format!("/v1/messages/{message_id}"),
            Body::Form(vec![(key.as_str(), username.to_string())]),
            None,
        )
        .await?
    } else {
        let name: String = form_urlencoded::byte_serialize(emoji.as_bytes()).collect();
        http.json(
            Method::DELETE,
            &format!("/v1/messages/{message_id}/reactions/{name}"),
            Body::None,
            None,
        )
        .await?
    };
    Ok(message(account_id, wire, ids))
}

pub async fn edit(
    http: &Http,
    account_id: &str,
    message_id: &str,
    body: &str,
    ids: &HashMap<String, String>,
) -> Result<Message, RemoteError> {
    let wire: WireMessage = http
        .json(
            Method::PUT,
            &format!("/v1/messages/{message_id}"),
            Body::Form(vec![("message", body.to_string())]),
            None,
        )
        .await?;
    Ok(message(account_id, wire, ids))
}

pub async fn delete_message(http: &Http, message_id: &str) -> Result<(), RemoteError> {
    http.send(Method::DELETE, &format!("/v1/messages/{message_id}"), Body::None, None)
        .await
        .map(|_| ())
}

pub async fn delete_conversation(http: &Http, conversation_id: &str) -> Result<(), RemoteError> {
    http.send(
        Method::DELETE,
        &format!("/v1/conversations/{conversation_id}"),
        Body::None,
        None,
    )
    .await
    .map(|_| ())
}

/// Updates conversation fields (`is_pinned`, `is_muted`, `archived_at`, `last_opened_at`).
pub async fn update(http: &Http, conversation_id: &str, fields: Vec<(&str, String)>) -> Result<(), RemoteError> {
    http.send(
        Method::PUT,
        &format!("/v1/conversations/{conversation_id}"),
        Body::Form(fields),
        None,
    )
    .await
    .map(|_| ())
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
    contact_id: Option<String>,
}

pub fn event(
    account_id: &str,
    me: &str,
    data: &str,
    ids: &HashMap<String, String>,
) -> Result<RemoteEvent, RemoteError> {
    let wire: WireEvent = super::http::parse(data.as_bytes())?;
    Ok(match (wire.kind.as_str(), wire.message, wire.conversation) {
        ("message.created" | "message.edited" | "message.reaction", Some(m), _) => {
            RemoteEvent::Message(message(account_id, m, ids))
        }
        ("message.deleted", _, _) => RemoteEvent::MessageDeleted {
            conversation_id: wire.conversation_id,
            message_id: wire.message_id.unwrap_or_default(),
        },
        // Group names and members are not in the event: refresh the list to learn them.
        ("conversation.created" | "conversation.updated", _, Some(c)) if c.group_id.is_some() => RemoteEvent::Refresh,
        ("conversation.created" | "conversation.updated", _, Some(c)) => {
            RemoteEvent::Conversation(conversation(me, c, &Groups::new()))
        }
        ("conversation.deleted", _, _) => RemoteEvent::ConversationDeleted {
            conversation_id: wire.conversation_id,
        },
        ("member.left", _, _) => RemoteEvent::MemberLeft {
            conversation_id: wire.conversation_id,
            person_id: wire.contact_id.unwrap_or_default(),
        },
        _ => RemoteEvent::Other,
    })
}

/// Marks a conversation read (extension: `last_opened_at`).
pub async fn mark_read(http: &Http, conversation_id: &str) -> Result<(), RemoteError> {
    let now = crate::now_ms() / 1000;
    update(http, conversation_id, vec![("last_opened_at", now.to_string())]).await
}

/// The JSON value of an archive time for a form: seconds, or empty to unarchive.
pub fn archive_field(archived_at: Option<i64>) -> String {
    archived_at.map(|t| (t / 1000).to_string()).unwrap_or_default()
}
