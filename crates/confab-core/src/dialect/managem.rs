//! `managem` (`/conversations`): ISO-8601 times that may be null, camelCase, two people per
//! conversation tied to a source (an order), sanitized bodies, locked conversations.

use async_trait::async_trait;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{
    http::encode,
    http::{Body, Lenient},
    invalid, Api, Context, Created, Listing, Page, Upload,
};
use crate::{
    error::RemoteError,
    model::{Attachment, ConversationKind, Dialect, Feature, Message, MessagePreview, Origin, Person, Source},
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

#[derive(Debug, Clone, Deserialize)]
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

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireAttachment {
    pub id: String,
    #[serde(default)]
    pub image_id: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
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
#[serde(rename_all = "camelCase", bound(deserialize = "T: serde::de::DeserializeOwned"))]
struct List<T> {
    data: Lenient<T>,
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

/// The managem dialect (seed 004). Its document shows one route, creating a conversation;
/// everything else is an extension.
#[derive(Debug, Default)]
pub struct Managem;

const FEATURES: &[(Feature, Origin)] = &[
    (Feature::Create, Origin::Documented),
    (Feature::Identity, Origin::Extension),
    (Feature::Directory, Origin::Extension),
    (Feature::Listing, Origin::Extension),
    (Feature::Reading, Origin::Extension),
    (Feature::History, Origin::Extension),
    (Feature::Sending, Origin::Extension),
    (Feature::MarkRead, Origin::Extension),
    (Feature::Uploads, Origin::Extension),
    (Feature::Live, Origin::Extension),
];

#[async_trait]
impl Api for Managem {
    fn dialect(&self) -> Dialect {
        Dialect::Managem
    }

    fn features(&self) -> &'static [(Feature, Origin)] {
        FEATURES
    }

    fn needs_source(&self) -> bool {
        true
    }

    /// The server sanitizes links, emojis and profanity (how exactly is its own business), so
    /// bodies are compared on what no sanitizer changes: the words, with links, emoji and
    /// placeholders left out and a masked word (`****`) standing for any word of its length.
    fn same_body(&self, sent: &str, stored: &str) -> bool {
        same_words(sent, stored)
    }

    fn attachments(&self) -> bool {
        true
    }

    fn events_path(&self) -> &'static str {
        "/events"
    }

    /// The identity route, else the listing, both extensions; else the one documented route,
    /// with an empty body that creates nothing: 401 means the key is wrong, a refusal of the
    /// body means it was accepted.
    async fn check_key(&self, cx: &Context) -> Result<(), RemoteError> {
        if let Some(me) = cx.offered(Feature::Identity, cx.http.get::<WireProfile>("/users/me").await)? {
            cx.learn_me(person(&me));
            return Ok(());
        }
        let listing = cx.http.get::<List<WireConversation>>("/conversations?limit=1").await;
        if cx.offered(Feature::Listing, listing)?.is_some() {
            return Ok(());
        }
        match cx
            .http
            .send(Method::POST, "/conversations", Body::Json(json!({})), None)
            .await
        {
            Err(RemoteError::Rejected { status: 400 | 422, .. }) => Ok(()),
            Err(error) => Err(error),
            Ok(_) => Err(RemoteError::Malformed(
                "an empty request to create a conversation was accepted".into(),
            )),
        }
    }

    async fn people(&self, cx: &Context) -> Result<Vec<Person>, RemoteError> {
        let list: List<WireProfile> = cx.extension(Feature::Directory, cx.http.get("/users").await)?;
        Ok(cx.kept("person", list.data).iter().map(person).collect())
    }

    async fn conversations(&self, cx: &Context) -> Result<Listing, RemoteError> {
        let mut page = cx.extension(
            Feature::Listing,
            cx.http.get::<List<WireConversation>>("/conversations?limit=100").await,
        )?;
        let (mut conversations, mut people) = (Vec::new(), Vec::new());
        let mut seen = std::collections::HashSet::new();
        let mut complete = false;
        for _ in 0..super::MAX_PAGES {
            let data = cx.kept("conversation", page.data);
            let repeated = data.iter().any(|c| seen.contains(&c.id));
            for wire in data {
                if seen.insert(wire.id.clone()) {
                    let (update, who) = conversation(wire);
                    conversations.push(update);
                    people.extend(who);
                }
            }
            match page.next_cursor {
                None => {
                    complete = !repeated;
                    break;
                }
                // A server that ignores the cursor sends the same page again: stop there.
                Some(_) if repeated => break,
                Some(cursor) => {
                    page = cx
                        .http
                        .get(&format!("/conversations?limit=100&cursor={}", encode(&cursor)))
                        .await?;
                }
            }
        }
        Ok(Listing {
            conversations,
            people,
            complete,
        })
    }

    async fn messages(
        &self,
        cx: &Context,
        conversation_id: &str,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Page, RemoteError> {
        let mut path = format!(
            "/conversations/{}/messages?limit={}",
            encode(conversation_id),
            limit.min(100)
        );
        if let Some(before) = before {
            path.push_str(&format!("&cursor={}", encode(before)));
        }
        let page: List<WireMessage> = cx.extension(Feature::Reading, cx.http.get(&path).await)?;
        let has_more = page.next_cursor.is_some();
        let data = cx.kept("message", page.data);
        let people = data.iter().map(|m| person(&m.sender)).collect();
        Ok(Page {
            messages: data.into_iter().map(|m| message(&cx.account_id, m)).collect(),
            has_more,
            people,
        })
    }

    async fn upload(&self, cx: &Context, file: &Upload) -> Result<String, RemoteError> {
        super::uploaded_id(&file.post(cx, "/attachments").await?)
    }

    async fn send(
        &self,
        cx: &Context,
        conversation_id: &str,
        body: &str,
        attachments: &[String],
        key: &str,
    ) -> Result<Message, RemoteError> {
        let wire: WireMessage = cx.extension(
            Feature::Sending,
            cx.http
                .json(
                    Method::POST,
                    &format!("/conversations/{}/messages", encode(conversation_id)),
                    Body::Json(json!({ "body": body, "attachments": attachments })),
                    Some(key),
                )
                .await,
        )?;
        cx.learn_me(person(&wire.sender));
        Ok(message(&cx.account_id, wire))
    }

    /// The documented 201 answer has everything: the conversation, both people, and the
    /// opening message as `lastMessage`, sent by the account.
    async fn create(
        &self,
        cx: &Context,
        participants: &[String],
        body: &str,
        source: Option<&Source>,
        key: &str,
    ) -> Result<Created, RemoteError> {
        let ([recipient], Some(source)) = (participants, source) else {
            return Err(invalid(
                "a managem conversation is with one person, about a source such as an order",
            ));
        };
        let wire: WireConversation = cx
            .http
            .json(
                Method::POST,
                "/conversations",
                Body::Json(
                    json!({ "source": { "type": source.kind, "id": source.id }, "recipientId": recipient, "body": body }),
                ),
                Some(key),
            )
            .await?;
        let me = [&wire.user_a, &wire.user_b]
            .into_iter()
            .find(|u| u.id != *recipient)
            .map(person)
            .or_else(|| wire.last_message.as_ref().map(|m| person(&m.sender)));
        if let Some(me) = me {
            cx.learn_me(me);
        }
        let conversation_id = wire.id.clone();
        let opening = wire.last_message.as_ref().map(|m| {
            let mut opening = message(&cx.account_id, m.clone());
            opening.conversation_id = conversation_id.clone();
            opening
        });
        let (conversation, people) = conversation(wire);
        Ok(Created {
            conversation,
            opening,
            people,
        })
    }

    async fn mark_read(&self, cx: &Context, conversation_id: &str) -> Result<(), RemoteError> {
        let viewed = cx
            .http
            .send(
                Method::POST,
                &format!("/conversations/{}/viewed", encode(conversation_id)),
                Body::Json(json!({})),
                None,
            )
            .await;
        cx.extension(Feature::MarkRead, viewed).map(|_| ())
    }

    fn event_message(&self, cx: &Context, _conversation_id: &str, value: Value) -> Result<Message, RemoteError> {
        let wire: WireMessage = super::http::from_value(value)?;
        Ok(message(&cx.account_id, wire))
    }

    fn event_conversation(&self, _cx: &Context, value: Value) -> Result<Option<ConversationUpdate>, RemoteError> {
        let wire: WireConversation = super::http::from_value(value)?;
        Ok(Some(conversation(wire).0))
    }
}

fn loose_words(text: &str, stored: bool) -> Vec<String> {
    text.split_whitespace()
        .filter(|t| {
            let lower = t.to_lowercase();
            let link = ["://", "www.", "mailto:"].iter().any(|m| lower.contains(m));
            let placeholder = stored && (lower.starts_with('[') || lower.ends_with(']'));
            !link && !placeholder
        })
        .map(|t| {
            t.chars()
                .filter(|c| c.is_alphanumeric() || *c == '*')
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether `stored` is `sent` as a sanitizing server may have rewritten it.
pub fn same_words(sent: &str, stored: &str) -> bool {
    if sent == stored {
        return true;
    }
    let (a, b) = (loose_words(sent, false), loose_words(stored, true));
    a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(a, b)| a == b || (b.chars().all(|c| c == '*') && b.chars().count() == a.chars().count()))
}

#[cfg(test)]
mod tests {
    use super::same_words;

    #[test]
    fn sanitized_bodies_match_what_was_sent() {
        assert!(same_words(
            "Great, see https://track.example/1042 thanks 🎉",
            "Great, see [link removed] thanks"
        ));
        assert!(same_words("what the shit", "what the ****"));
        assert!(!same_words("what the shit", "what the ***"));
        assert!(!same_words("order 1042 shipped", "order 1043 shipped"));
        assert!(!same_words("hello there", "hello"));
    }
}
