//! `portal` (`/api/messages`): times in milliseconds, reactions as emoji -> person ids.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::atomic::{AtomicBool, Ordering},
};

use async_trait::async_trait;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    http::encode,
    http::{parse, Body, Lenient},
    invalid, Api, Context, Created, Listing, Page,
};
use crate::{
    error::RemoteError,
    model::{ConversationKind, Dialect, Feature, Message, MessagePreview, Origin, Person, Source},
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
    /// Shown by the document; a server that leaves it out or null costs nothing but the time.
    #[serde(default)]
    pub created_at: Option<i64>,
}

/// An answer to a react: the documents show none, so any 2xx body is accepted.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ReactAnswer {
    Message(WireMessage),
    #[allow(dead_code)]
    Other(Value),
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
    messages: Lenient<WireMessage>,
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
        created_at: wire.created_at.unwrap_or(0),
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

fn person(p: WirePerson) -> Person {
    Person {
        id: p.id,
        name: p.name,
        username: p.username,
        avatar_url: None,
        extra: json!({ "language": p.language }),
    }
}

/// Someone known only by id (portal's documented answers carry no names).
fn anonymous(id: &str) -> Person {
    Person {
        id: id.to_string(),
        name: id.to_string(),
        username: None,
        avatar_url: None,
        extra: Value::Null,
    }
}

/// One conversation as the listing shows it, if it lists it (the listing marks nothing read).
async fn listed(cx: &Context, conversation_id: &str) -> Result<Option<WireConversation>, RemoteError> {
    let list: Lenient<WireConversation> = cx.http.get("/api/messages").await?;
    Ok(list.items.into_iter().find(|c| c.id == conversation_id))
}

/// The unread count the listing shows for one conversation (0 when it is not listed).
async fn listed_unread(cx: &Context, conversation_id: &str) -> Result<i64, RemoteError> {
    Ok(listed(cx, conversation_id).await?.and_then(|c| c.unread).unwrap_or(0))
}

/// The portal dialect (seed 000).
#[derive(Debug, Default)]
pub struct Portal {
    /// The read route answered 404 once: mark read the documented way from then on.
    no_read_route: AtomicBool,
}

const FEATURES: &[(Feature, Origin)] = &[
    (Feature::Listing, Origin::Documented),
    (Feature::Reading, Origin::Documented),
    (Feature::Sending, Origin::Documented),
    (Feature::Create, Origin::Documented),
    (Feature::React, Origin::Documented),
    // Reading a conversation marks it read (inferred from the seed), and the full read is
    // documented, so marking read always has a way.
    (Feature::MarkRead, Origin::Documented),
    // The seed documents leaving a group but shows no route; the route is inferred.
    (Feature::Leave, Origin::Extension),
    (Feature::Identity, Origin::Extension),
    (Feature::Directory, Origin::Extension),
    (Feature::QuietRead, Origin::Extension),
    (Feature::Unreact, Origin::Extension),
    (Feature::Live, Origin::Extension),
];

#[async_trait]
impl Api for Portal {
    fn dialect(&self) -> Dialect {
        Dialect::Portal
    }

    fn features(&self) -> &'static [(Feature, Origin)] {
        FEATURES
    }

    fn create_group(&self) -> bool {
        true
    }

    fn counts_unread(&self) -> bool {
        true
    }

    fn events_path(&self) -> &'static str {
        "/api/events"
    }

    async fn check_key(&self, cx: &Context) -> Result<(), RemoteError> {
        if let Some(me) = cx.offered(Feature::Identity, cx.http.get::<WirePerson>("/api/me").await)? {
            cx.learn_me(person(me));
            return Ok(());
        }
        self.conversations(cx).await.map(|_| ())
    }

    async fn people(&self, cx: &Context) -> Result<Vec<Person>, RemoteError> {
        let people: Lenient<WirePerson> = cx.extension(Feature::Directory, cx.http.get("/api/people").await)?;
        Ok(cx.kept("person", people).into_iter().map(person).collect())
    }

    async fn conversations(&self, cx: &Context) -> Result<Listing, RemoteError> {
        let list: Lenient<WireConversation> = cx.http.get("/api/messages").await?;
        let list = cx.kept("conversation", list);
        // Every conversation has the account among its participants: when exactly one
        // person is in all of them, that is who the account is.
        if cx.me_id().is_none() {
            let mut common: Option<BTreeSet<&String>> = None;
            for c in &list {
                let these: BTreeSet<&String> = c.participants.iter().collect();
                common = Some(match common {
                    None => these,
                    Some(before) => before.intersection(&these).copied().collect(),
                });
            }
            if let Some(common) = common.filter(|c| c.len() == 1) {
                if let Some(me) = common.into_iter().next() {
                    cx.learn_me(anonymous(me));
                }
            }
        }
        // Without a directory, people are known by id only; with one, by its names.
        let people = if cx.has(Feature::Directory) == Some(false) {
            list.iter()
                .flat_map(|c| c.participants.iter())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .map(|id| anonymous(id))
                .collect()
        } else {
            Vec::new()
        };
        Ok(Listing {
            conversations: list.into_iter().map(conversation).collect(),
            people,
            complete: true,
        })
    }

    /// A page of messages, newest first. Uses the paging extension when the server has it
    /// (those reads do not mark the conversation read); a server without it answers with
    /// every message, which is then paged here.
    async fn messages(
        &self,
        cx: &Context,
        conversation_id: &str,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Page, RemoteError> {
        let mut path = format!("/api/messages/{}?limit={limit}", encode(conversation_id));
        if let Some(before) = before {
            path.push_str(&format!("&before={}", encode(before)));
        }
        let detail: WireDetail = cx.http.get(&path).await?;
        // A paged answer is the extension, whose reads are quiet. A whole read says nothing
        // either way: whether it marked the conversation read is learned when the user opens
        // one (see `mark_read`).
        let paged = detail.has_more.is_some();
        if paged {
            cx.note(Feature::QuietRead, true);
        }
        let mut messages: Vec<Message> = cx
            .kept("message", detail.messages)
            .into_iter()
            .map(|m| message(&cx.account_id, conversation_id, m))
            .collect();
        messages.sort_by_key(|m| std::cmp::Reverse(m.created_at));
        if !paged {
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
                people: Vec::new(),
            });
        }
        Ok(Page {
            messages,
            has_more: detail.has_more.unwrap_or(false),
            people: Vec::new(),
        })
    }

    async fn send(
        &self,
        cx: &Context,
        conversation_id: &str,
        body: &str,
        _attachments: &[String],
        key: &str,
    ) -> Result<Message, RemoteError> {
        let wire: WireMessage = cx
            .http
            .json(
                Method::POST,
                &format!("/api/messages/{}", encode(conversation_id)),
                Body::Json(json!({ "body": body })),
                Some(key),
            )
            .await?;
        // The answer is the account's own message: its sender is the account.
        cx.learn_me(anonymous(&wire.sender_id));
        Ok(message(&cx.account_id, conversation_id, wire))
    }

    async fn create(
        &self,
        cx: &Context,
        participants: &[String],
        body: &str,
        _source: Option<&Source>,
        key: &str,
    ) -> Result<Created, RemoteError> {
        if participants.is_empty() {
            return Err(invalid("a conversation needs at least one other person"));
        }
        let created: WireCreated = cx
            .http
            .json(
                Method::POST,
                "/api/messages",
                Body::Json(json!({ "participants": participants, "body": body })),
                Some(key),
            )
            .await?;
        // The answer's participants are those asked for plus the account itself.
        let added: Vec<&String> = created
            .participants
            .iter()
            .filter(|p| !participants.contains(p))
            .collect();
        if let [me] = added.as_slice() {
            cx.learn_me(anonymous(me));
        }
        Ok(Created {
            conversation: conversation(WireConversation {
                id: created.id,
                district_id: created.district_id,
                participants: created.participants,
                last_message: None,
                unread: Some(0),
                created_at: Some(created.created_at),
            }),
            opening: None,
            people: Vec::new(),
        })
    }

    async fn react(
        &self,
        cx: &Context,
        target: &Message,
        emoji: &str,
        on: bool,
        key: &str,
    ) -> Result<Message, RemoteError> {
        let path = format!("/api/messages/{}/react", encode(&target.conversation_id));
        let body = Body::Json(json!({ "message_id": target.id, "emoji": emoji }));
        let bytes = if on {
            cx.http.send(Method::POST, &path, body, Some(key)).await?
        } else {
            cx.extension(Feature::Unreact, cx.http.send(Method::DELETE, &path, body, None).await)?
        };
        // The document shows no answer: a message is taken as the truth; anything else means
        // it worked, and the change is applied to what is known.
        match parse::<ReactAnswer>(&bytes) {
            Ok(ReactAnswer::Message(wire)) => Ok(message(&cx.account_id, &target.conversation_id, wire)),
            _ => {
                let mut updated = target.clone();
                if let Some(me) = cx.me_id() {
                    let people = updated.reactions.entry(emoji.to_string()).or_default();
                    people.retain(|p| *p != me);
                    if on {
                        people.push(me);
                    }
                    updated.reactions.retain(|_, people| !people.is_empty());
                }
                Ok(updated)
            }
        }
    }

    async fn leave(&self, cx: &Context, conversation_id: &str, key: &str) -> Result<(), RemoteError> {
        let left = cx
            .http
            .send(
                Method::POST,
                &format!("/api/messages/{}/leave", encode(conversation_id)),
                Body::Json(json!({})),
                Some(key),
            )
            .await;
        match left {
            Ok(_) => {
                cx.note(Feature::Leave, true);
                Ok(())
            }
            // Either the conversation is gone (then leaving is moot) or the route is: the
            // listing, which does not mark anything read, tells which.
            Err(error) if error.means_absent() => {
                if listed(cx, conversation_id).await?.is_some() {
                    cx.extension(Feature::Leave, Err(error))
                } else {
                    Err(RemoteError::NotFound)
                }
            }
            Err(error) => Err(error),
        }
    }

    /// The read route (an extension), or the seed's own way, reading the whole conversation.
    /// Whether that way marks read is not written anywhere, so the first time it is used on a
    /// conversation the listing shows unread, the listing is looked at again: cleared means
    /// reads mark read; still unread means they do not, and then this server has no way to
    /// mark read at all (read state stays on this device). This is a read the user asked for
    /// (they opened the conversation): nothing else is read to find it out.
    async fn mark_read(&self, cx: &Context, conversation_id: &str) -> Result<(), RemoteError> {
        if !self.no_read_route.load(Ordering::Relaxed) {
            let read = cx
                .http
                .send(
                    Method::POST,
                    &format!("/api/messages/{}/read", encode(conversation_id)),
                    Body::Json(json!({})),
                    None,
                )
                .await;
            match read {
                Err(error) if error.means_absent() => self.no_read_route.store(true, Ordering::Relaxed),
                other => return other.map(|_| ()),
            }
        }
        if cx.has(Feature::QuietRead) == Some(true) {
            cx.note(Feature::MarkRead, false);
            return Err(RemoteError::Missing(Feature::MarkRead));
        }
        let probe = cx.has(Feature::QuietRead).is_none();
        let before = if probe {
            listed_unread(cx, conversation_id).await?
        } else {
            0
        };
        cx.http
            .send(
                Method::GET,
                &format!("/api/messages/{}", encode(conversation_id)),
                Body::None,
                None,
            )
            .await?;
        if before > 0 {
            let after = listed_unread(cx, conversation_id).await?;
            if after == 0 {
                cx.note(Feature::QuietRead, false);
            } else if after >= before {
                // Messages arriving meanwhile only add to the count; a smaller one that is not
                // zero could be either, and is not taken as an answer.
                cx.note(Feature::QuietRead, true);
                cx.note(Feature::MarkRead, false);
                return Err(RemoteError::Missing(Feature::MarkRead));
            }
        }
        Ok(())
    }

    fn event_message(&self, cx: &Context, conversation_id: &str, value: Value) -> Result<Message, RemoteError> {
        let wire: WireMessage = super::http::from_value(value)?;
        Ok(message(&cx.account_id, conversation_id, wire))
    }

    fn event_conversation(&self, _cx: &Context, value: Value) -> Result<Option<ConversationUpdate>, RemoteError> {
        let wire: WireConversation = super::http::from_value(value)?;
        Ok(Some(conversation(wire)))
    }
}
