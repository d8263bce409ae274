//! `protocol` (`/v1`): times in seconds, `{has_more, data}` lists, form bodies, reactions as
//! `[{name: [usernames]}]`.

use std::{
    collections::{BTreeMap, HashMap},
    sync::RwLock,
};

use async_trait::async_trait;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    follow_pages,
    http::encode,
    http::{Body, Lenient},
    invalid, Api, Context, Created, Flags, Listing, Page, Upload, Usernames,
};
use crate::{
    error::RemoteError,
    model::{Attachment, ConversationKind, Dialect, Feature, Message, Origin, Person, Source},
    store::ConversationUpdate,
};

fn ms(seconds: i64) -> i64 {
    seconds.saturating_mul(1000)
}

#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "T: serde::de::DeserializeOwned"))]
pub struct List<T> {
    pub has_more: bool,
    pub data: Lenient<T>,
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
    /// The sender; null for a sender whose contact was deleted.
    #[serde(default)]
    pub contact: Option<WireContact>,
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

pub fn conversation(me: Option<&str>, wire: WireConversation, groups: &Groups) -> ConversationUpdate {
    let mine: Vec<String> = me.map(str::to_string).into_iter().collect();
    let (kind, title, participants) = match (&wire.group_id, &wire.contact_id) {
        (Some(group), _) => {
            let (name, members) = groups.get(group).cloned().unwrap_or((None, mine));
            (ConversationKind::Group, name, members)
        }
        (None, Some(contact)) => {
            let mut people = mine;
            people.push(contact.clone());
            (ConversationKind::Direct, None, people)
        }
        (None, None) => (ConversationKind::Direct, None, mine),
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

/// Usernames in reactions become person ids where they are known.
pub fn message(account_id: &str, wire: WireMessage, usernames: &Usernames) -> Message {
    let mut reactions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for object in wire.reactions {
        for (emoji, names) in object {
            // Stored as the character, as every dialect's reactions are; named back on sending.
            let people = reactions.entry(confab_emoji::canonical(&emoji)).or_default();
            people.extend(names.into_iter().map(|n| usernames.id_of(&n).unwrap_or(n)));
        }
    }
    Message {
        account_id: account_id.to_string(),
        conversation_id: wire.conversation_id,
        id: wire.id,
        client_id: None,
        sender_id: wire
            .contact
            .map_or_else(|| crate::model::UNKNOWN_SENDER.to_string(), |c| c.id),
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

fn person(c: &WireContact) -> Person {
    Person {
        id: c.id.clone(),
        name: c.username.clone(),
        username: Some(c.username.clone()),
        avatar_url: c.avatar_url.clone(),
        extra: json!({ "phone_number": c.phone_number }),
    }
}

/// The protocol dialect (seeds 001, 002, 003).
#[derive(Debug, Default)]
pub struct Protocol {
    usernames: Usernames,
    /// The other person of each direct conversation, from the listing: a message whose
    /// contact is someone else was sent by the account.
    contacts: RwLock<HashMap<String, String>>,
}

const FEATURES: &[(Feature, Origin)] = &[
    (Feature::Listing, Origin::Documented),
    (Feature::Reading, Origin::Documented),
    (Feature::QuietRead, Origin::Documented),
    (Feature::Sending, Origin::Documented),
    (Feature::Create, Origin::Documented),
    (Feature::React, Origin::Documented),
    // Documented as an update of the whole reaction set; a server that only adds needs the
    // removal route, an extension.
    (Feature::Unreact, Origin::Documented),
    (Feature::Edit, Origin::Documented),
    (Feature::Delete, Origin::Documented),
    (Feature::ServerFlags, Origin::Documented),
    (Feature::PinMessage, Origin::Documented),
    (Feature::DeleteConversation, Origin::Documented),
    (Feature::Identity, Origin::Extension),
    (Feature::Directory, Origin::Extension),
    (Feature::History, Origin::Extension),
    (Feature::MarkRead, Origin::Extension),
    (Feature::Uploads, Origin::Extension),
    (Feature::Live, Origin::Extension),
];

impl Protocol {
    /// Reads one message answer: learns its contact, and the account's identity when the
    /// contact is not the other person of a direct conversation.
    fn read_message(&self, cx: &Context, wire: WireMessage, people: &mut Vec<Person>) -> Message {
        if let Some(contact) = wire.contact.as_ref().map(person) {
            self.usernames.learn(std::slice::from_ref(&contact));
            let other = self
                .contacts
                .read()
                .ok()
                .and_then(|c| c.get(&wire.conversation_id).cloned());
            if other.is_some_and(|other| other != contact.id) {
                cx.learn_me(contact.clone());
            }
            if !people.iter().any(|p| p.id == contact.id) {
                people.push(contact);
            }
        }
        message(&cx.account_id, wire, &self.usernames)
    }

    async fn groups(&self, cx: &Context) -> Result<Groups, RemoteError> {
        let (groups, _) = every_page(cx, "/v1/groups", |g: &WireGroup| g.id.as_str(), None).await?;
        Ok(groups.into_iter().map(|g| (g.id, (g.name, g.member_ids))).collect())
    }

    async fn put_message(
        &self,
        cx: &Context,
        message_id: &str,
        form: Vec<(&str, String)>,
    ) -> Result<Message, RemoteError> {
        let wire: WireMessage = cx
            .http
            .json(
                Method::PUT,
                &format!("/v1/messages/{}", encode(message_id)),
                Body::Form(form),
                None,
            )
            .await?;
        Ok(self.read_message(cx, wire, &mut Vec::new()))
    }
}

#[async_trait]
impl Api for Protocol {
    fn dialect(&self) -> Dialect {
        Dialect::Protocol
    }

    fn features(&self) -> &'static [(Feature, Origin)] {
        FEATURES
    }

    fn attachments(&self) -> bool {
        true
    }

    fn reactions_by_name(&self) -> bool {
        true
    }

    fn events_path(&self) -> &'static str {
        "/v1/events"
    }

    async fn check_key(&self, cx: &Context) -> Result<(), RemoteError> {
        if let Some(me) = cx.offered(Feature::Identity, cx.http.get::<WireContact>("/v1/me").await)? {
            let me = person(&me);
            self.usernames.learn(std::slice::from_ref(&me));
            cx.learn_me(me);
            return Ok(());
        }
        cx.http
            .get::<List<WireConversation>>("/v1/conversations?limit=1")
            .await
            .map(|_| ())
    }

    async fn people(&self, cx: &Context) -> Result<Vec<Person>, RemoteError> {
        let (contacts, _) = every_page(
            cx,
            "/v1/contacts",
            |c: &WireContact| c.id.as_str(),
            Some(Feature::Directory),
        )
        .await?;
        let people: Vec<Person> = contacts.iter().map(person).collect();
        self.usernames.learn(&people);
        Ok(people)
    }

    async fn conversations(&self, cx: &Context) -> Result<Listing, RemoteError> {
        let groups = match self.groups(cx).await {
            Ok(groups) => groups,
            Err(error) if error.means_absent() => Groups::new(),
            Err(error) => return Err(error),
        };
        let (list, complete) = every_page(cx, "/v1/conversations", |c: &WireConversation| c.id.as_str(), None).await?;
        if !complete {
            cx.note(Feature::History, false);
        }
        if let Ok(mut contacts) = self.contacts.write() {
            for c in &list {
                if let (None, Some(contact)) = (&c.group_id, &c.contact_id) {
                    contacts.insert(c.id.clone(), contact.clone());
                }
            }
        }
        let me = cx.me_id();
        Ok(Listing {
            conversations: list
                .into_iter()
                .map(|c| conversation(me.as_deref(), c, &groups))
                .collect(),
            people: Vec::new(),
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
            "/v1/messages?conversation_id={}&limit={}",
            encode(conversation_id),
            limit.min(100)
        );
        if let Some(before) = before {
            path.push_str(&format!("&starting_after={}", encode(before)));
        }
        let page: List<WireMessage> = cx.http.get(&path).await?;
        let mut people = Vec::new();
        let messages = cx
            .kept("message", page.data)
            .into_iter()
            .map(|m| self.read_message(cx, m, &mut people))
            .collect();
        Ok(Page {
            messages,
            has_more: page.has_more,
            people,
        })
    }

    async fn upload(&self, cx: &Context, file: &Upload) -> Result<String, RemoteError> {
        super::uploaded_id(&file.post(cx, "/v1/attachments").await?)
    }

    async fn send(
        &self,
        cx: &Context,
        conversation_id: &str,
        body: &str,
        attachments: &[String],
        key: &str,
    ) -> Result<Message, RemoteError> {
        let mut form = vec![
            ("conversation_id", conversation_id.to_string()),
            ("message", body.to_string()),
        ];
        form.extend(attachments.iter().map(|a| ("attachments[]", a.clone())));
        let wire: WireMessage = cx
            .http
            .json(Method::POST, "/v1/messages", Body::Form(form), Some(key))
            .await?;
        // The answer's contact is whoever sent it: the account.
        if let Some(me) = wire.contact.as_ref().map(person) {
            self.usernames.learn(std::slice::from_ref(&me));
            cx.learn_me(me);
        }
        Ok(self.read_message(cx, wire, &mut Vec::new()))
    }

    async fn create(
        &self,
        cx: &Context,
        participants: &[String],
        body: &str,
        _source: Option<&Source>,
        key: &str,
    ) -> Result<Created, RemoteError> {
        let [contact] = participants else {
            return Err(invalid("a protocol conversation is with exactly one contact"));
        };
        let wire: WireConversation = cx
            .http
            .json(
                Method::POST,
                "/v1/conversations",
                Body::Form(vec![("contact_id", contact.to_string())]),
                Some(key),
            )
            .await?;
        if let Ok(mut contacts) = self.contacts.write() {
            contacts.insert(wire.id.clone(), contact.clone());
        }
        let id = wire.id.clone();
        let opening = self.send(cx, &id, body, &[], &format!("{key}:message")).await?;
        let me = cx.me_id();
        Ok(Created {
            conversation: conversation(me.as_deref(), wire, &Groups::new()),
            opening: Some(opening),
            people: Vec::new(),
        })
    }

    /// Sends the whole set of reactions the message should have, everyone's, as the
    /// document's example does: right whether the server adds what it is given or replaces
    /// the set with it. A server that only adds cannot remove that way; then the removal
    /// route (an extension) is tried.
    async fn react(
        &self,
        cx: &Context,
        target: &Message,
        emoji: &str,
        on: bool,
        _key: &str,
    ) -> Result<Message, RemoteError> {
        let Some(me) = cx.me() else {
            return Err(invalid(
                "Confab does not know your username on this server yet (it learns it from your first sent message)",
            ));
        };
        let mine = me.username.clone().unwrap_or_else(|| me.id.clone());
        let mut set: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, people) in &target.reactions {
            let names = set.entry(name.clone()).or_default();
            for id in people {
                let username = if *id == me.id {
                    mine.clone()
                } else {
                    self.usernames.username_of(id).unwrap_or_else(|| id.clone())
                };
                if !names.contains(&username) {
                    names.push(username);
                }
            }
        }
        let names = set.entry(emoji.to_string()).or_default();
        names.retain(|n| *n != mine);
        if on {
            names.push(mine.clone());
        }
        set.retain(|_, names| !names.is_empty());
        let keys: Vec<(String, String)> = set
            .iter()
            .flat_map(|(emoji, people)| {
                let name = confab_emoji::to_name(emoji);
                people.iter().map(move |p| (format!("reactions[{name}][]"), p.clone()))
            })
            .collect();
        let mut form: Vec<(&str, String)> = keys.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        if form.is_empty() {
            // No reactions left: an empty value is the empty set.
            form.push(("reactions", String::new()));
        }
        let updated = self.put_message(cx, &target.id, form).await?;
        let still = updated.reactions.get(emoji).is_some_and(|p| p.contains(&me.id));
        if on || !still {
            if !on {
                cx.note(Feature::Unreact, true);
            }
            return Ok(updated);
        }
        // The server only adds: remove through the removal route, if it has one.
        let name: String = form_urlencoded::byte_serialize(confab_emoji::to_name(emoji).as_bytes()).collect();
        let wire: WireMessage = cx.extension(
            Feature::Unreact,
            cx.http
                .json(
                    Method::DELETE,
                    &format!("/v1/messages/{}/reactions/{name}", encode(&target.id)),
                    Body::None,
                    None,
                )
                .await,
        )?;
        Ok(self.read_message(cx, wire, &mut Vec::new()))
    }

    async fn edit(&self, cx: &Context, message_id: &str, body: &str) -> Result<Message, RemoteError> {
        self.put_message(cx, message_id, vec![("message", body.to_string())])
            .await
    }

    async fn delete(&self, cx: &Context, message_id: &str) -> Result<(), RemoteError> {
        cx.http
            .send(
                Method::DELETE,
                &format!("/v1/messages/{}", encode(message_id)),
                Body::None,
                None,
            )
            .await
            .map(|_| ())
    }

    async fn delete_conversation(&self, cx: &Context, conversation_id: &str) -> Result<(), RemoteError> {
        cx.http
            .send(
                Method::DELETE,
                &format!("/v1/conversations/{}", encode(conversation_id)),
                Body::None,
                None,
            )
            .await
            .map(|_| ())
    }

    async fn set_flags(&self, cx: &Context, conversation_id: &str, flags: &Flags) -> Result<(), RemoteError> {
        let mut fields = Vec::new();
        if let Some(pinned) = flags.pinned {
            fields.push(("is_pinned", pinned.to_string()));
        }
        if let Some(muted) = flags.muted {
            fields.push(("is_muted", muted.to_string()));
        }
        if let Some(archived_at) = flags.archived_at {
            fields.push(("archived_at", archive_field(archived_at)));
        }
        update(cx, conversation_id, fields).await.map(|_| ())
    }

    /// Marks a conversation read with `last_opened_at` (an extension). A server that ignores
    /// the field answers with the old value: then it has no read state to tell.
    async fn mark_read(&self, cx: &Context, conversation_id: &str) -> Result<(), RemoteError> {
        let now = crate::now_ms() / 1000;
        let answer = cx.extension(
            Feature::MarkRead,
            update(cx, conversation_id, vec![("last_opened_at", now.to_string())]).await,
        )?;
        if answer.last_opened_at.is_some_and(|at| at >= now - 5) {
            Ok(())
        } else {
            cx.note(Feature::MarkRead, false);
            Err(RemoteError::Missing(Feature::MarkRead))
        }
    }

    fn event_message(&self, cx: &Context, _conversation_id: &str, value: Value) -> Result<Message, RemoteError> {
        let wire: WireMessage = super::http::from_value(value)?;
        Ok(self.read_message(cx, wire, &mut Vec::new()))
    }

    /// Group names and members are not in the event: the listing is read again to learn them.
    fn event_conversation(&self, cx: &Context, value: Value) -> Result<Option<ConversationUpdate>, RemoteError> {
        let wire: WireConversation = super::http::from_value(value)?;
        if wire.group_id.is_some() {
            return Ok(None);
        }
        let me = cx.me_id();
        Ok(Some(conversation(me.as_deref(), wire, &Groups::new())))
    }
}

/// Every page of a list (`limit=100`, then `starting_after` the last id), as far as the server
/// pages (see [`follow_pages`]); whether it was followed to its end. With `extension`, the list
/// itself is an extension: its absence is [`RemoteError::Missing`].
async fn every_page<T: serde::de::DeserializeOwned>(
    cx: &Context,
    path: &str,
    id_of: impl Fn(&T) -> &str,
    extension: Option<Feature>,
) -> Result<(Vec<T>, bool), RemoteError> {
    follow_pages(
        |cursor| async move {
            let url = match &cursor {
                Some(after) => format!("{path}?limit=100&starting_after={}", encode(after)),
                None => format!("{path}?limit=100"),
            };
            let answer = cx.http.get::<List<T>>(&url).await;
            let page = match (extension, &cursor) {
                (Some(feature), None) => cx.extension(feature, answer)?,
                _ => answer?,
            };
            Ok((cx.kept("item", page.data), page.has_more))
        },
        id_of,
    )
    .await
}

/// Updates conversation fields and returns the conversation as the server now has it.
async fn update(
    cx: &Context,
    conversation_id: &str,
    fields: Vec<(&str, String)>,
) -> Result<WireConversation, RemoteError> {
    cx.http
        .json(
            Method::PUT,
            &format!("/v1/conversations/{}", encode(conversation_id)),
            Body::Form(fields),
            None,
        )
        .await
}

/// The JSON value of an archive time for a form: seconds, or empty to unarchive.
pub fn archive_field(archived_at: Option<i64>) -> String {
    archived_at.map(|t| (t / 1000).to_string()).unwrap_or_default()
}
