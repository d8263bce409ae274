//! The dialect clients. Each dialect is one implementation of [`Api`], which maps its JSON to
//! the unified model and declares its [`Feature`]s, each documented or an extension. The rest
//! of Confab talks to a server only through [`Remote`], which asks features rather than
//! dialect names.
//!
//! A server may implement only what its dialect's document shows. So:
//! - an extension route answered 404, 405 or 501 becomes [`RemoteError::Missing`], and the
//!   feature is remembered as missing for the account ([`Context::extension`]);
//! - who the key belongs to comes from an identity route where there is one, and otherwise
//!   from documented answers, learned as they arrive ([`Context::learn_me`]); until then
//!   nothing is attributed to the account;
//! - the documented contact and profile objects in answers fill the people cache, so no
//!   directory is needed for names.

pub mod http;
pub mod managem;
pub mod portal;
pub mod protocol;

use std::{
    collections::{BTreeMap, HashMap},
    sync::RwLock,
    time::Duration,
};

use async_trait::async_trait;
use serde_json::Value;

use crate::{
    error::RemoteError,
    model::{Capabilities, Dialect, Feature, Message, Origin, Person, Source},
    store::ConversationUpdate,
};

pub use http::EventStream;

/// A file to upload, with what to tell about its progress.
pub struct Upload {
    pub name: String,
    pub content_type: String,
    pub bytes: bytes::Bytes,
    /// Called with the bytes sent so far.
    pub progress: std::sync::Arc<dyn Fn(u64) + Send + Sync>,
}

impl Upload {
    /// Hands the bytes to the HTTP client (they are read once).
    pub(crate) async fn post(&self, cx: &Context, path: &str) -> Result<Vec<u8>, RemoteError> {
        cx.extension(
            Feature::Uploads,
            cx.http
                .upload(
                    path,
                    &self.name,
                    &self.content_type,
                    self.bytes.clone(),
                    self.progress.clone(),
                )
                .await,
        )
    }
}

/// The id in an upload's answer, which both dialects give as `{"id": ...}`.
pub(crate) fn uploaded_id(bytes: &[u8]) -> Result<String, RemoteError> {
    #[derive(serde::Deserialize)]
    struct Uploaded {
        id: String,
    }
    Ok(http::parse::<Uploaded>(bytes)?.id)
}

/// A page of messages from a server, newest first, and the people its answer described.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub messages: Vec<Message>,
    pub has_more: bool,
    pub people: Vec<Person>,
}

/// Every conversation a server lists, and the people the listing describes.
#[derive(Debug, Clone)]
pub struct Listing {
    pub conversations: Vec<ConversationUpdate>,
    pub people: Vec<Person>,
    /// False when the server would not page past some point: conversations absent from the
    /// listing may still exist, so nothing is removed for being absent.
    pub complete: bool,
}

/// A conversation the server just created, with its opening message when the answer has it.
#[derive(Debug, Clone)]
pub struct Created {
    pub conversation: ConversationUpdate,
    pub opening: Option<Message>,
    pub people: Vec<Person>,
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

/// The most pages any paging loop follows before it stops and says the history is partial.
pub const MAX_PAGES: usize = 1000;

/// What every dialect works with: the connection, and what has been learned about the server
/// and the account.
pub struct Context {
    pub http: http::Http,
    pub account_id: String,
    me: RwLock<Option<Person>>,
    features: RwLock<BTreeMap<Feature, bool>>,
}

impl Context {
    /// The account's person id, once known.
    pub fn me_id(&self) -> Option<String> {
        self.me().map(|p| p.id)
    }

    pub fn me(&self) -> Option<Person> {
        self.me.read().ok().and_then(|me| me.clone())
    }

    /// Takes what an answer says about who the account is. The first such answer settles the
    /// id; later ones may only fill in a better name.
    pub fn learn_me(&self, person: Person) {
        if let Ok(mut me) = self.me.write() {
            match me.as_mut() {
                None => {
                    tracing::debug!(account = %self.account_id, person = %person.id, "the account's identity is known");
                    *me = Some(person);
                }
                Some(known) if known.id == person.id && known.name == known.id && person.name != person.id => {
                    *known = person;
                }
                Some(_) => {}
            }
        }
    }

    /// Whether the server has a feature: `None` while not yet found out.
    pub fn has(&self, feature: Feature) -> Option<bool> {
        self.features.read().ok().and_then(|f| f.get(&feature).copied())
    }

    pub fn note(&self, feature: Feature, present: bool) {
        if let Ok(mut features) = self.features.write() {
            if features.insert(feature, present) != Some(present) && !present {
                tracing::info!(account = %self.account_id, "the server does not offer {}", feature.describe());
            }
        }
    }

    /// The outcome of a request to an extension's route: an answer that says the route does
    /// not exist becomes [`RemoteError::Missing`] and is remembered; an answer is proof it does.
    pub fn extension<T>(&self, feature: Feature, result: Result<T, RemoteError>) -> Result<T, RemoteError> {
        match result {
            Err(error) if error.means_absent() => {
                self.note(feature, false);
                Err(RemoteError::Missing(feature))
            }
            Ok(value) => {
                self.note(feature, true);
                Ok(value)
            }
            Err(error) => Err(error),
        }
    }

    /// Logs what a list left out (see [`http::Lenient`]): the account, what kind of item, and
    /// each one's id and why. Returns the items kept.
    pub fn kept<T>(&self, what: &str, list: http::Lenient<T>) -> Vec<T> {
        if !list.skipped.is_empty() {
            tracing::warn!(
                account = %self.account_id,
                "skipped {} unreadable {what}(s) from the server: {}",
                list.skipped.len(),
                list.skipped.join("; ")
            );
        }
        list.items
    }

    /// [`Context::extension`], with the route's absence as `None` rather than an error.
    pub fn offered<T>(&self, feature: Feature, result: Result<T, RemoteError>) -> Result<Option<T>, RemoteError> {
        match self.extension(feature, result) {
            Ok(value) => Ok(Some(value)),
            Err(RemoteError::Missing(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Fails at once, without a request, when the feature is known to be missing.
    pub fn require(&self, feature: Feature) -> Result<(), RemoteError> {
        match self.has(feature) {
            Some(false) => Err(RemoteError::Missing(feature)),
            _ => Ok(()),
        }
    }
}

/// One dialect. Implementations are stateless apart from what they learn about their server
/// (such as protocol's usernames); everything account-wide is in the [`Context`].
#[async_trait]
pub trait Api: Send + Sync {
    fn dialect(&self) -> Dialect;

    /// Every feature the dialect can use, and whether its document shows it.
    fn features(&self) -> &'static [(Feature, Origin)];

    /// New conversations may have several people.
    fn create_group(&self) -> bool {
        false
    }

    /// New conversations need a source (managem's order).
    fn needs_source(&self) -> bool {
        false
    }

    /// Messages can carry files.
    fn attachments(&self) -> bool {
        false
    }

    /// Reactions are named on the wire (`thumbs_up`); Confab keeps and shows the character and
    /// names it when sending (the table is `confab-emoji`).
    fn reactions_by_name(&self) -> bool {
        false
    }

    /// Whether a body the server stored is the one that was sent. Exact by default; a dialect
    /// whose servers rewrite bodies (managem sanitizes) compares loosely.
    fn same_body(&self, sent: &str, stored: &str) -> bool {
        sent == stored
    }

    /// The listing carries each conversation's unread count; otherwise it is counted here.
    fn counts_unread(&self) -> bool {
        false
    }

    /// The event stream's path (an extension in every dialect).
    fn events_path(&self) -> &'static str;

    /// Proves the URL, the dialect and the key: the identity route where the server has one,
    /// otherwise a documented request (401 means a wrong key, any other answer does not).
    async fn check_key(&self, cx: &Context) -> Result<(), RemoteError>;

    async fn people(&self, _cx: &Context) -> Result<Vec<Person>, RemoteError> {
        Err(RemoteError::Missing(Feature::Directory))
    }

    async fn conversations(&self, cx: &Context) -> Result<Listing, RemoteError>;

    /// Up to `limit` messages older than the message `before` (or the newest), newest first.
    async fn messages(
        &self,
        cx: &Context,
        conversation_id: &str,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Page, RemoteError>;

    async fn send(
        &self,
        cx: &Context,
        conversation_id: &str,
        body: &str,
        attachments: &[String],
        key: &str,
    ) -> Result<Message, RemoteError>;

    /// Uploads a file to attach to a message; returns the attachment's id. An extension in
    /// every dialect (the documents show attachments on messages, never how to make one).
    async fn upload(&self, _cx: &Context, _file: &Upload) -> Result<String, RemoteError> {
        Err(RemoteError::Missing(Feature::Uploads))
    }

    async fn create(
        &self,
        cx: &Context,
        participants: &[String],
        body: &str,
        source: Option<&Source>,
        key: &str,
    ) -> Result<Created, RemoteError>;

    /// Adds or removes the account's reaction; returns the message as it now is.
    async fn react(
        &self,
        _cx: &Context,
        _message: &Message,
        _emoji: &str,
        _on: bool,
        _key: &str,
    ) -> Result<Message, RemoteError> {
        Err(RemoteError::Missing(Feature::React))
    }

    async fn edit(&self, _cx: &Context, _message_id: &str, _body: &str) -> Result<Message, RemoteError> {
        Err(RemoteError::Missing(Feature::Edit))
    }

    async fn delete(&self, _cx: &Context, _message_id: &str) -> Result<(), RemoteError> {
        Err(RemoteError::Missing(Feature::Delete))
    }

    async fn leave(&self, _cx: &Context, _conversation_id: &str, _key: &str) -> Result<(), RemoteError> {
        Err(RemoteError::Missing(Feature::Leave))
    }

    async fn delete_conversation(&self, _cx: &Context, _conversation_id: &str) -> Result<(), RemoteError> {
        Err(RemoteError::Missing(Feature::DeleteConversation))
    }

    /// Pin, mute or archive on the server.
    async fn set_flags(&self, _cx: &Context, _conversation_id: &str, _flags: &Flags) -> Result<(), RemoteError> {
        Err(RemoteError::Missing(Feature::ServerFlags))
    }

    async fn mark_read(&self, _cx: &Context, _conversation_id: &str) -> Result<(), RemoteError> {
        Err(RemoteError::Missing(Feature::MarkRead))
    }

    /// One message as the event stream carries it.
    fn event_message(&self, cx: &Context, conversation_id: &str, value: Value) -> Result<Message, RemoteError>;

    /// One conversation as the event stream carries it; `None` when the event does not say
    /// enough and the listing must be read again.
    fn event_conversation(&self, cx: &Context, value: Value) -> Result<Option<ConversationUpdate>, RemoteError>;
}

/// Pin, mute and archive changes; `None` leaves a flag as it is.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub pinned: Option<bool>,
    pub muted: Option<bool>,
    /// `Some(None)` unarchives.
    pub archived_at: Option<Option<i64>>,
}

/// The implementation of a dialect.
pub fn api(dialect: Dialect) -> Box<dyn Api> {
    match dialect {
        Dialect::Portal => Box::new(portal::Portal::default()),
        Dialect::Protocol => Box::new(protocol::Protocol::default()),
        Dialect::Managem => Box::new(managem::Managem),
    }
}

/// Whether reading a conversation may mark it read on the server: the dialect reads quietly
/// only through something a server may lack (portal's paged read), and the server has not
/// shown that its reads leave unread messages unread.
fn reads_may_mark_read(declared: &[(Feature, Origin)], known: &BTreeMap<Feature, bool>) -> bool {
    declared.contains(&(Feature::QuietRead, Origin::Extension)) && known.get(&Feature::QuietRead) != Some(&true)
}

/// Whether the account's unread counts are kept here rather than taken from the server's
/// listing, which counts them but stops telling the truth: where reading cannot mark read
/// (reads are quiet and there is no other way), the server's count only grows; where Confab
/// reads in the background and reading marks read, Confab's own reads clear it.
fn counts_unread_here(
    api: &dyn Api,
    declared: &[(Feature, Origin)],
    known: &BTreeMap<Feature, bool>,
    background_reads: bool,
) -> bool {
    if !api.counts_unread() {
        return true;
    }
    let reads_mark_read = reads_may_mark_read(declared, known);
    (!reads_mark_read && known.get(&Feature::MarkRead) == Some(&false)) || (reads_mark_read && background_reads)
}

/// [`counts_unread_here`] for an account's dialect and what is known of its server.
pub(crate) fn unread_counted_here(dialect: Dialect, known: &BTreeMap<Feature, bool>, background_reads: bool) -> bool {
    let api = api(dialect);
    counts_unread_here(&*api, api.features(), known, background_reads)
}

/// What an account can do: its dialect's features less those its server lacks.
pub fn capabilities(dialect: Dialect, known: &BTreeMap<Feature, bool>, identity_known: bool) -> Capabilities {
    let api = api(dialect);
    let declared = api.features();
    let has = |f: Feature| declared.iter().any(|(d, _)| *d == f) && known.get(&f) != Some(&false);
    let missing = declared
        .iter()
        .filter(|(f, _)| known.get(f) == Some(&false))
        .map(|(f, _)| format!("this server does not offer {}", f.describe()))
        .collect();
    Capabilities {
        edit: has(Feature::Edit),
        delete: has(Feature::Delete),
        react: has(Feature::React),
        unreact: has(Feature::React) && has(Feature::Unreact),
        reactions_by_name: api.reactions_by_name(),
        leave: has(Feature::Leave),
        server_pin: has(Feature::ServerFlags),
        server_mute: has(Feature::ServerFlags),
        server_archive: has(Feature::ServerFlags),
        pin_message: has(Feature::PinMessage),
        delete_conversation: has(Feature::DeleteConversation),
        attachments: api.attachments(),
        uploads: has(Feature::Uploads),
        send: has(Feature::Sending),
        create: has(Feature::Create),
        create_group: api.create_group(),
        needs_source: api.needs_source(),
        directory: has(Feature::Directory),
        mark_read: has(Feature::MarkRead),
        reads_mark_read: reads_may_mark_read(declared, known),
        live: has(Feature::Live),
        identity_known,
        missing,
    }
}

/// One account's connection to its server.
pub struct Remote {
    api: Box<dyn Api>,
    cx: Context,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("dialect", &self.api.dialect())
            .field("http", &self.cx.http)
            .finish_non_exhaustive()
    }
}

impl Remote {
    /// A connection for an account: `me` as far as known, `known` the features found out so far.
    pub fn new(
        dialect: Dialect,
        server_url: &str,
        key: &str,
        account_id: &str,
        me: Option<Person>,
        known: BTreeMap<Feature, bool>,
        timeout: Duration,
    ) -> Result<Self, RemoteError> {
        Ok(Self {
            api: api(dialect),
            cx: Context {
                http: http::Http::new(server_url, key, timeout)?,
                account_id: account_id.to_string(),
                me: RwLock::new(me),
                features: RwLock::new(known),
            },
        })
    }

    /// Checks a key before an account is added: who it belongs to, if the server says, and
    /// what was found out about the server on the way.
    pub async fn sign_in(
        dialect: Dialect,
        server_url: &str,
        key: &str,
    ) -> Result<(Option<Person>, BTreeMap<Feature, bool>), RemoteError> {
        let remote = Self::new(dialect, server_url, key, "", None, BTreeMap::new(), REQUEST_TIMEOUT)?;
        remote.api.check_key(&remote.cx).await?;
        Ok((remote.cx.me(), remote.known()))
    }

    /// The account's person, once known.
    pub fn me(&self) -> Option<Person> {
        self.cx.me()
    }

    pub fn me_id(&self) -> Option<String> {
        self.cx.me_id()
    }

    /// Every feature found out so far: present or missing.
    pub fn known(&self) -> BTreeMap<Feature, bool> {
        self.cx.features.read().map(|f| f.clone()).unwrap_or_default()
    }

    pub fn has(&self, feature: Feature) -> Option<bool> {
        self.cx.has(feature)
    }

    pub fn declares(&self, feature: Feature) -> bool {
        self.api.features().iter().any(|(f, _)| *f == feature)
    }

    /// The server's time now, to about a second (from its `Date` headers).
    pub fn server_now(&self) -> i64 {
        self.cx.http.server_now()
    }

    pub fn clock_offset(&self) -> i64 {
        self.cx.http.clock_offset()
    }

    pub fn set_clock_offset(&self, offset_ms: i64) {
        self.cx.http.set_clock_offset(offset_ms);
    }

    /// Whether a stored body is the one sent, for a server that may rewrite bodies.
    pub fn same_body(&self, sent: &str, stored: &str) -> bool {
        self.api.same_body(sent, stored)
    }

    /// Usable as far as known: declared by the dialect and not found missing.
    pub fn offers(&self, feature: Feature) -> bool {
        self.declares(feature) && self.has(feature) != Some(false)
    }

    pub fn note(&self, feature: Feature, present: bool) {
        self.cx.note(feature, present);
    }

    /// The dialect's listing carries unread counts.
    pub fn server_counts_unread(&self) -> bool {
        self.api.counts_unread()
    }

    /// Whether unread counts are counted here (see [`counts_unread_here`]) rather than taken
    /// from the server's listing; `background_reads` is the account's choice.
    pub fn counts_unread_here(&self, background_reads: bool) -> bool {
        counts_unread_here(&*self.api, self.api.features(), &self.known(), background_reads)
    }

    /// Whether reading a conversation may mark it read on the server (see
    /// [`reads_may_mark_read`]).
    pub fn reads_may_mark_read(&self) -> bool {
        reads_may_mark_read(self.api.features(), &self.known())
    }

    /// Whether conversations the user has not opened may be read now: where reading does not
    /// mark read, or where the user chose to download in the background anyway.
    pub fn reads_in_background(&self, background_reads: bool) -> bool {
        background_reads || !self.reads_may_mark_read()
    }

    /// The account's directory: the people one can write to.
    pub async fn people(&self) -> Result<Vec<Person>, RemoteError> {
        self.gate(Feature::Directory)?;
        self.api.people(&self.cx).await
    }

    pub async fn conversations(&self) -> Result<Listing, RemoteError> {
        self.gate(Feature::Listing)?;
        self.api.conversations(&self.cx).await
    }

    pub async fn messages(
        &self,
        conversation_id: &str,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Page, RemoteError> {
        self.gate(Feature::Reading)?;
        self.api.messages(&self.cx, conversation_id, before, limit).await
    }

    pub async fn send(
        &self,
        conversation_id: &str,
        body: &str,
        attachments: &[String],
        key: &str,
    ) -> Result<Message, RemoteError> {
        self.gate(Feature::Sending)?;
        self.api.send(&self.cx, conversation_id, body, attachments, key).await
    }

    pub async fn upload(&self, file: &Upload) -> Result<String, RemoteError> {
        self.gate(Feature::Uploads)?;
        self.api.upload(&self.cx, file).await
    }

    pub async fn create(
        &self,
        participants: &[String],
        body: &str,
        source: Option<&Source>,
        key: &str,
    ) -> Result<Created, RemoteError> {
        self.gate(Feature::Create)?;
        self.api.create(&self.cx, participants, body, source, key).await
    }

    pub async fn react(&self, message: &Message, emoji: &str, on: bool, key: &str) -> Result<Message, RemoteError> {
        self.gate(if on { Feature::React } else { Feature::Unreact })?;
        self.api.react(&self.cx, message, emoji, on, key).await
    }

    pub async fn edit(&self, message_id: &str, body: &str) -> Result<Message, RemoteError> {
        self.gate(Feature::Edit)?;
        self.api.edit(&self.cx, message_id, body).await
    }

    pub async fn delete(&self, message_id: &str) -> Result<(), RemoteError> {
        self.gate(Feature::Delete)?;
        self.api.delete(&self.cx, message_id).await
    }

    pub async fn leave(&self, conversation_id: &str, key: &str) -> Result<(), RemoteError> {
        self.gate(Feature::Leave)?;
        self.api.leave(&self.cx, conversation_id, key).await
    }

    pub async fn delete_conversation(&self, conversation_id: &str) -> Result<(), RemoteError> {
        self.gate(Feature::DeleteConversation)?;
        self.api.delete_conversation(&self.cx, conversation_id).await
    }

    pub async fn set_flags(&self, conversation_id: &str, flags: &Flags) -> Result<(), RemoteError> {
        self.gate(Feature::ServerFlags)?;
        self.api.set_flags(&self.cx, conversation_id, flags).await
    }

    pub async fn mark_read(&self, conversation_id: &str) -> Result<(), RemoteError> {
        self.gate(Feature::MarkRead)?;
        self.api.mark_read(&self.cx, conversation_id).await
    }

    /// A feature the dialect lacks, or the server was found to lack, fails without a request.
    fn gate(&self, feature: Feature) -> Result<(), RemoteError> {
        if !self.declares(feature) {
            return Err(RemoteError::Missing(feature));
        }
        self.cx.require(feature)
    }

    /// Downloads an attachment. The API key goes only to this account's own server; a file on
    /// another host (the documents put assets on `assets.protocol.chat`) is fetched without it,
    /// and only over http(s).
    pub async fn download(&self, url: &str, max_bytes: usize) -> Result<(Vec<u8>, Option<String>), RemoteError> {
        let base = self.cx.http.base();
        let same_origin = url.strip_prefix(base).is_some_and(|rest| rest.starts_with('/'));
        let web = reqwest::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !web {
            return Err(RemoteError::Rejected {
                status: 400,
                code: "not_a_web_url".into(),
                message: "attachments are fetched over http and https only".into(),
            });
        }
        self.cx.http.download(url, max_bytes, same_origin).await
    }

    /// The server's event stream (an extension); `None` when it has none.
    pub async fn events(&self, last_event_id: Option<&str>) -> Result<Option<EventStream>, RemoteError> {
        if self.has(Feature::Live) == Some(false) {
            return Ok(None);
        }
        let stream = self.cx.http.events(self.api.events_path(), last_event_id).await?;
        self.note(Feature::Live, stream.is_some());
        Ok(stream)
    }

    /// Reads one event. Every dialect's events have the same envelope (`type`, the
    /// conversation's id, and a message, a message id, a conversation or a person id, in the
    /// dialect's own casing); the dialect decodes what they carry.
    pub fn parse_event(&self, data: &str) -> Result<RemoteEvent, RemoteError> {
        let mut envelope: serde_json::Map<String, Value> = http::parse(data.as_bytes())?;
        let mut take = |names: &[&str]| names.iter().find_map(|n| envelope.remove(*n)).filter(|v| !v.is_null());
        let kind = take(&["type"])
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let text = |v: Option<Value>| v.and_then(|v| v.as_str().map(str::to_string));
        let conversation_id = text(take(&["conversation_id", "conversationId"]))
            .ok_or_else(|| RemoteError::Malformed("an event without its conversation's id".into()))?;
        let message = take(&["message"]);
        let message_id = text(take(&["message_id", "messageId"]));
        let conversation = take(&["conversation"]);
        let person_id = text(take(&["person_id", "contact_id", "personId"]));
        Ok(match (kind.as_str(), message, conversation) {
            ("message.created" | "message.edited" | "message.reaction", Some(m), _) => {
                RemoteEvent::Message(self.api.event_message(&self.cx, &conversation_id, m)?)
            }
            ("message.deleted", _, _) => RemoteEvent::MessageDeleted {
                conversation_id,
                message_id: message_id.unwrap_or_default(),
            },
            ("conversation.created" | "conversation.updated", _, Some(c)) => {
                match self.api.event_conversation(&self.cx, c)? {
                    Some(update) => RemoteEvent::Conversation(update),
                    None => RemoteEvent::Refresh,
                }
            }
            ("conversation.deleted", _, _) => RemoteEvent::ConversationDeleted { conversation_id },
            ("member.left", _, _) => RemoteEvent::MemberLeft {
                conversation_id,
                person_id: person_id.unwrap_or_default(),
            },
            _ => RemoteEvent::Other,
        })
    }
}

/// Follows a cursor-paged listing to its end, or as far as the server pages: stops when a
/// page repeats an id already seen (the server ignored the cursor) or after [`MAX_PAGES`].
/// Returns the items and whether the listing is known to be complete.
pub async fn follow_pages<T, F, Fut>(mut page: F, id_of: impl Fn(&T) -> &str) -> Result<(Vec<T>, bool), RemoteError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, bool), RemoteError>>,
{
    let mut out: Vec<T> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let (items, more) = page(cursor.take()).await?;
        let fresh = items.iter().filter(|i| !seen.contains(id_of(i))).count();
        if fresh < items.len() {
            // The cursor was not honoured: what is new in this page is kept, and paging stops.
            for item in items {
                if seen.insert(id_of(&item).to_string()) {
                    out.push(item);
                }
            }
            return Ok((out, false));
        }
        let last = items.last().map(|i| id_of(i).to_string());
        for item in items {
            seen.insert(id_of(&item).to_string());
            out.push(item);
        }
        match (more, last) {
            (true, Some(last)) => cursor = Some(last),
            (true, None) => return Ok((out, false)),
            (false, _) => return Ok((out, true)),
        }
    }
    Ok((out, false))
}

/// Usernames to person ids, learned from answers (protocol names reactions by username).
#[derive(Debug, Default)]
pub struct Usernames(RwLock<HashMap<String, String>>);

impl Usernames {
    pub fn learn(&self, people: &[Person]) {
        if let Ok(mut ids) = self.0.write() {
            for p in people {
                if let Some(username) = &p.username {
                    ids.insert(username.clone(), p.id.clone());
                }
            }
        }
    }

    pub fn id_of(&self, username: &str) -> Option<String> {
        self.0.read().ok().and_then(|ids| ids.get(username).cloned())
    }

    pub fn username_of(&self, id: &str) -> Option<String> {
        self.0
            .read()
            .ok()
            .and_then(|ids| ids.iter().find(|(_, v)| *v == id).map(|(k, _)| k.clone()))
    }
}

/// A 4xx answer to a request the client itself refuses to make.
pub fn invalid(message: &str) -> RemoteError {
    RemoteError::Rejected {
        status: 422,
        code: "invalid".into(),
        message: message.into(),
    }
}
