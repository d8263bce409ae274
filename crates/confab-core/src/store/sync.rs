//! What syncing writes, as operations named by what they mean. Each runs its own transaction;
//! the engine says what it learned from the server and never holds a transaction itself.

use std::collections::HashSet;

use super::{conversations, messages, Change, ConversationUpdate, Store};
use crate::{error::Result, model::Message};

/// Each message written, with what writing it changed.
pub type MessageChanges = Vec<(String, Change)>;

/// A conversation caught up: the messages fetched from its newest down to what the cache had,
/// written with its new marker in one transaction, so a crash never leaves a gap.
#[derive(Debug)]
pub struct CatchUp<'a> {
    pub account_id: &'a str,
    pub conversation_id: &'a str,
    pub fetched: &'a [Message],
    /// The newest page as the server sent it: cached messages within its span that it lacks
    /// were deleted on the server.
    pub newest_page: &'a [Message],
    /// Whether the history now reaches the conversation's first message (`None`: not known).
    pub complete: Option<bool>,
    /// The listing's marker the messages were fetched for.
    pub marker: Option<&'a str>,
    /// Unread counted here from messages: with whose messages are not unread, and whether the
    /// server's last count is the starting point.
    pub count_here: Option<CountHere<'a>>,
}

#[derive(Debug, Clone, Copy)]
pub struct CountHere<'a> {
    pub me: &'a str,
    pub from_server_count: bool,
}

/// A change the server's event stream told of.
#[derive(Debug)]
pub enum Streamed<'a> {
    /// A new or changed message; `count_unread` when it is someone else's and counts.
    Message {
        message: &'a Message,
        count_unread: bool,
    },
    MessageDeleted {
        message_id: &'a str,
    },
    Conversation(&'a ConversationUpdate),
    ConversationDeleted {
        conversation_id: &'a str,
    },
    /// A member left; `me` when it is this account (the conversation goes).
    MemberLeft {
        conversation_id: &'a str,
        person_id: &'a str,
        me: bool,
    },
    /// Nothing to write but the event's id.
    Nothing,
}

/// What writing a streamed change did.
#[derive(Debug, Default)]
pub struct StreamedChange {
    pub messages: MessageChanges,
    pub conversation: Option<Change>,
    /// Whether something went (a message, a conversation, a member).
    pub removed: bool,
}

impl Store {
    /// This account's identity became known: its earlier messages are attributed to it and,
    /// where unread is counted from messages (`recount`), every count is made again. Returns
    /// the conversations whose count changed.
    pub(crate) fn adopt_identity(&self, account_id: &str, me: &str, recount: bool) -> Result<Vec<String>> {
        self.write(|tx| {
            messages::attribute_unattributed(tx, account_id, me)?;
            if recount {
                conversations::recount_all_unread(tx, account_id, me)
            } else {
                Ok(Vec::new())
            }
        })
    }

    /// Writes a listing of the account's conversations. Where unread is counted here, a
    /// conversation already counted here keeps its count. Only a `complete` listing removes
    /// what is absent from it. Returns the changed and the removed conversations.
    pub(crate) fn save_listing(
        &self,
        account_id: &str,
        updates: &[ConversationUpdate],
        counted_here: bool,
        complete: bool,
    ) -> Result<(Vec<String>, Vec<String>)> {
        let server_ids: HashSet<&str> = updates.iter().map(|u| u.id.as_str()).collect();
        self.write(|tx| {
            let mut changed = Vec::new();
            for update in updates {
                let counted;
                let update = if counted_here && conversations::unread_here(tx, account_id, &update.id)? {
                    counted = ConversationUpdate {
                        unread: None,
                        ..update.clone()
                    };
                    &counted
                } else {
                    update
                };
                if conversations::upsert(tx, account_id, update)? != Change::Unchanged {
                    changed.push(update.id.clone());
                }
            }
            // One absence may be a conversation that moved while the listing was paged: it
            // takes two (see `sweep_absent`).
            let removed = if complete {
                conversations::sweep_absent(tx, account_id, &server_ids)?
            } else {
                Vec::new()
            };
            Ok((changed, removed))
        })
    }

    /// The marker a conversation was last caught up for.
    pub(crate) fn sync_marker(&self, account_id: &str, conversation_id: &str) -> Result<Option<String>> {
        conversations::sync_marker(&self.reader(), account_id, conversation_id)
    }

    /// Whether any message of the conversation came from the server (not only local echoes).
    pub(crate) fn has_sent_messages(&self, account_id: &str, conversation_id: &str) -> Result<bool> {
        messages::has_sent(&self.reader(), account_id, conversation_id)
    }

    /// Whether any of these server ids is cached.
    pub(crate) fn knows_any(&self, account_id: &str, ids: &[String]) -> Result<bool> {
        messages::any_known(&self.reader(), account_id, ids)
    }

    /// The oldest message of the conversation that came from the server.
    pub(crate) fn oldest_sent(&self, account_id: &str, conversation_id: &str) -> Result<Option<Message>> {
        messages::oldest_sent(&self.reader(), account_id, conversation_id)
    }

    /// Removes a conversation the server says is gone; whether it was cached.
    pub(crate) fn forget_conversation(&self, account_id: &str, conversation_id: &str) -> Result<bool> {
        self.write(|tx| conversations::delete(tx, account_id, conversation_id))
    }

    /// Writes a caught-up conversation (see [`CatchUp`]). Returns the messages' changes and
    /// the ids removed because the server no longer has them.
    pub(crate) fn save_catch_up(&self, c: &CatchUp<'_>) -> Result<(MessageChanges, Vec<String>)> {
        self.write(|tx| {
            let changes = messages::upsert(tx, c.account_id, c.fetched)?;
            let keep: Vec<String> = c.newest_page.iter().map(|m| m.id.clone()).collect();
            let removed = match (c.newest_page.last(), c.newest_page.first()) {
                (Some(oldest), Some(newest)) => messages::prune_between(
                    tx,
                    c.account_id,
                    c.conversation_id,
                    oldest.created_at,
                    newest.created_at,
                    &keep,
                )?,
                _ if c.complete == Some(true) => {
                    messages::prune_between(tx, c.account_id, c.conversation_id, i64::MIN, i64::MAX, &keep)?
                }
                _ => Vec::new(),
            };
            if c.marker.is_some() || c.complete.is_some() {
                conversations::set_sync_marker(tx, c.account_id, c.conversation_id, c.marker, c.complete)?;
            }
            if let Some(count) = c.count_here {
                if count.from_server_count {
                    // The listing's count, from before this read, is where counting here starts.
                    conversations::count_here(tx, c.account_id, c.conversation_id, count.me)?;
                }
                conversations::recount_unread(tx, c.account_id, c.conversation_id, count.me)?;
            }
            Ok((changes, removed))
        })
    }

    /// The history of a conversation reaches its first message.
    pub(crate) fn mark_history_complete(&self, account_id: &str, conversation_id: &str) -> Result<()> {
        self.write(|tx| conversations::set_history_complete(tx, account_id, conversation_id))
    }

    /// Writes a page of older history; `complete` when it is the first page of all.
    pub(crate) fn save_older_page(
        &self,
        account_id: &str,
        conversation_id: &str,
        page: &[Message],
        complete: bool,
    ) -> Result<MessageChanges> {
        self.write(|tx| {
            let changes = messages::upsert(tx, account_id, page)?;
            if complete {
                conversations::set_history_complete(tx, account_id, conversation_id)?;
            }
            Ok(changes)
        })
    }

    /// Writes a change from the event stream and the event's id in one transaction, so an
    /// event is applied exactly once across restarts.
    pub(crate) fn save_streamed(
        &self,
        account_id: &str,
        event_id: Option<&str>,
        change: Streamed<'_>,
    ) -> Result<StreamedChange> {
        self.write(|tx| {
            let mut done = StreamedChange::default();
            match change {
                Streamed::Message { message, count_unread } => {
                    done.messages = messages::upsert(tx, account_id, std::slice::from_ref(message))?;
                    if count_unread && done.messages.iter().any(|(_, c)| *c == Change::New) {
                        conversations::add_unread(tx, account_id, &message.conversation_id, message.created_at)?;
                    }
                }
                Streamed::MessageDeleted { message_id } => {
                    done.removed = messages::delete(tx, account_id, message_id)?;
                }
                Streamed::Conversation(update) => {
                    done.conversation = Some(conversations::upsert(tx, account_id, update)?);
                }
                Streamed::ConversationDeleted { conversation_id } => {
                    done.removed = conversations::delete(tx, account_id, conversation_id)?;
                }
                Streamed::MemberLeft {
                    conversation_id,
                    person_id,
                    me,
                } => {
                    done.removed = if me {
                        conversations::delete(tx, account_id, conversation_id)?
                    } else {
                        conversations::remove_participant(tx, account_id, conversation_id, person_id)?
                    };
                }
                Streamed::Nothing => {}
            }
            if let Some(id) = event_id {
                super::set_last_event_id(tx, account_id, id)?;
            }
            Ok(done)
        })
    }

    /// Unread counts of the account come from the server's listings from now on.
    pub(crate) fn count_unread_on_server(&self, account_id: &str) -> Result<()> {
        self.write(|tx| conversations::count_unread_on_server(tx, account_id))
    }

    /// Unread counts of the account are counted here from now on, each conversation starting
    /// from the server's last count. Returns the conversations whose count changed.
    pub(crate) fn count_unread_here(&self, account_id: &str, me: &str) -> Result<Vec<String>> {
        self.write(|tx| conversations::count_unread_here(tx, account_id, me))
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{
            atomic::{AtomicBool, AtomicU64, Ordering},
            Arc,
        },
        time::{Duration, Instant},
    };

    use super::CatchUp;
    use crate::{
        model::{Account, Delivery, Dialect, Message},
        store::Store,
    };

    fn message(n: usize) -> Message {
        Message {
            account_id: "a".into(),
            conversation_id: "c".into(),
            id: format!("m{n:08}"),
            client_id: None,
            sender_id: if n.is_multiple_of(3) { "me" } else { "them" }.into(),
            body: format!("message {n} of a long history, with a few words to index"),
            reactions: Default::default(),
            attachments: Vec::new(),
            read_at: None,
            created_at: 1_700_000_000_000 + n as i64,
            edited_at: None,
            delivery: Delivery::Sent,
        }
    }

    /// A 100,000-message catch-up is written by the engine on a tokio worker. The runtime here
    /// has one worker, so a write that blocked it would stop every other task for as long as
    /// it takes (over a second); a timer ticking every 5 ms meanwhile must keep firing.
    #[test]
    fn a_timer_keeps_firing_while_a_100000_message_catch_up_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(Store::open(&dir.path().join("confab.db")).expect("store"));
        store
            .insert_account(&Account {
                id: "a".into(),
                server_url: "http://127.0.0.1:1".into(),
                dialect: Dialect::Protocol,
                user_id: "me".into(),
                user_name: "Me".into(),
                created_at: 0,
                background_reads: false,
            })
            .expect("account");
        let fetched: Vec<Message> = (0..100_000).rev().map(message).collect();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let (write, latest) = runtime.block_on(async {
            let done = Arc::new(AtomicBool::new(false));
            let latest_us = Arc::new(AtomicU64::new(0));
            let ticker = tokio::spawn({
                let (done, latest_us) = (Arc::clone(&done), Arc::clone(&latest_us));
                async move {
                    let mut ticks = 0u32;
                    while !done.load(Ordering::Acquire) {
                        let due = Instant::now() + Duration::from_millis(5);
                        tokio::time::sleep_until(due.into()).await;
                        let late = u64::try_from(due.elapsed().as_micros()).unwrap_or(u64::MAX);
                        latest_us.fetch_max(late, Ordering::Relaxed);
                        ticks += 1;
                    }
                    ticks
                }
            });
            // Let the ticker start before the write.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let writer = tokio::spawn({
                let store = Arc::clone(&store);
                async move {
                    let started = Instant::now();
                    let newest: Vec<Message> = fetched[..50].to_vec();
                    store
                        .save_catch_up(&CatchUp {
                            account_id: "a",
                            conversation_id: "c",
                            fetched: &fetched,
                            newest_page: &newest,
                            complete: Some(true),
                            marker: Some("m00099999"),
                            count_here: None,
                        })
                        .expect("written");
                    started.elapsed()
                }
            });
            let write = writer.await.expect("writer");
            done.store(true, Ordering::Release);
            let ticks = ticker.await.expect("ticker");
            assert!(ticks > 0, "the timer ran");
            (write, Duration::from_micros(latest_us.load(Ordering::Relaxed)))
        });
        eprintln!("a {write:?} write of 100,000 messages; the 5 ms timer fired at most {latest:?} late");
        assert_eq!(store.messages("a", "c", None, 10).expect("read").messages.len(), 10);
        // Meaningful only if the write takes far longer than the lateness allowed.
        assert!(write > Duration::from_millis(400), "the write took {write:?}");
        // A write holding the runtime would make the timer as late as the write is long; one
        // written in short transactions lets it fire within a transaction's time. Compared with
        // the write, not with a fixed time: on a loaded machine (or under Wine) both stretch.
        assert!(
            latest * 20 < write,
            "a 5 ms timer fired {latest:?} late while a {write:?} write ran: the write held the runtime"
        );
    }
}
