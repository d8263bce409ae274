//! Writing messages: each goes to the outbox first and shows at once; retrying and
//! discarding what the outbox holds.

use super::*;

impl Client {
    /// Queues an operation under `client_id` with what it does here at once, and wakes the
    /// outbox.
    pub(super) fn queue(
        &self,
        account_id: &str,
        conversation_id: &str,
        client_id: &str,
        operation: Operation,
        effect: LocalEffect<'_>,
    ) -> Result<()> {
        self.inner
            .store
            .queue_operation(account_id, conversation_id, client_id, &operation, effect)?;
        self.inner.bus.publish(Event::OutboxChanged {
            account_id: account_id.to_string(),
        });
        self.inner.outbox_signal(account_id).notify_one();
        Ok(())
    }

    pub(super) fn live_conversation(&self, account_id: &str, conversation_id: &str) -> Result<(Account, Conversation)> {
        let account = self.inner.store.account(account_id)?;
        let conversation = self.conversation(account_id, conversation_id)?;
        Ok((account, conversation))
    }

    /// Sends a message: at once a local echo in state pending, delivered by the outbox.
    pub fn send(&self, account_id: &str, conversation_id: &str, body: &str) -> Result<Message> {
        self.send_files(account_id, conversation_id, body, Vec::new())
    }

    /// Sends a message with files (the text may then be empty). The files are written to the
    /// profile folder first, so they go out with the message however long it waits offline;
    /// the outbox uploads them, then sends.
    pub fn send_files(
        &self,
        account_id: &str,
        conversation_id: &str,
        body: &str,
        files: Vec<NewFile>,
    ) -> Result<Message> {
        let (account, folder, operation) = self.compose(account_id, conversation_id, body, files)?;
        let client_id = new_client_id();
        let echo = echo_of(&account, conversation_id, &client_id, &operation, now_ms());
        let queued = self.queue(
            account_id,
            conversation_id,
            &client_id,
            operation,
            LocalEffect::Echo(&echo),
        );
        if let Err(error) = queued {
            if let Some(folder) = folder {
                let _ = std::fs::remove_dir_all(folder);
            }
            return Err(error);
        }
        self.announce(account_id, conversation_id, vec![local_id(&client_id)], vec![]);
        self.inner
            .store
            .message(account_id, &client_id)?
            .ok_or_else(|| Error::NotFound("the message just written".into()))
    }

    /// Checks a message about to be sent or scheduled and makes its operation, its files kept
    /// in a new folder of the profile (returned, to remove if queuing it fails).
    pub(super) fn compose(
        &self,
        account_id: &str,
        conversation_id: &str,
        body: &str,
        files: Vec<NewFile>,
    ) -> Result<(Account, Option<PathBuf>, Operation)> {
        let (account, conversation) = self.live_conversation(account_id, conversation_id)?;
        if body.trim().is_empty() && files.is_empty() {
            return Err(Error::Invalid("a message needs some text".into()));
        }
        if !files.is_empty() && !self.capabilities(account_id)?.uploads {
            return Err(Error::Unsupported(format!(
                "this server does not offer {}",
                crate::model::Feature::Uploads.describe()
            )));
        }
        if files.len() > MAX_FILES {
            return Err(Error::Invalid(format!("at most {MAX_FILES} files go in one message")));
        }
        for file in &files {
            if file.bytes.is_empty() {
                return Err(Error::Invalid(format!("{} is empty", safe_file_name(&file.name))));
            }
            if file.bytes.len() > MAX_UPLOAD_BYTES {
                return Err(Error::Invalid(format!(
                    "{} is {:.1} MB; files up to {} MB can be sent",
                    safe_file_name(&file.name),
                    file.bytes.len() as f64 / 1_048_576.0,
                    MAX_UPLOAD_BYTES / 1_048_576
                )));
            }
        }
        if !self.capabilities(account_id)?.send {
            return Err(Error::Unsupported(format!(
                "this server does not offer {}",
                crate::model::Feature::Sending.describe()
            )));
        }
        if conversation.locked {
            return Err(Error::Invalid(
                "this conversation is locked: it takes no new messages".into(),
            ));
        }
        // The documents make a message's text required; files alone go with their names as
        // the text, which every server takes and every reader understands.
        let body = if body.trim().is_empty() {
            files
                .iter()
                .map(|f| safe_file_name(&f.name))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            body.to_string()
        };
        let (folder, outgoing) = self.keep_outgoing(&files)?;
        let operation = Operation::Send {
            body,
            attachments: Vec::new(),
            files: outgoing,
        };
        Ok((account, folder, operation))
    }

    /// Writes files to send into a new folder under `outgoing/`, synced to disk before the
    /// message is queued (the queue is durable; so must be what it refers to).
    pub(super) fn keep_outgoing(&self, files: &[NewFile]) -> Result<(Option<PathBuf>, Vec<OutgoingFile>)> {
        if files.is_empty() {
            return Ok((None, Vec::new()));
        }
        let relative = format!("{OUTGOING}/{}", new_client_id());
        let folder = self.inner.config.data_dir.join(&relative);
        let written = (|| -> std::io::Result<Vec<OutgoingFile>> {
            std::fs::create_dir_all(&folder)?;
            let mut outgoing = Vec::new();
            for (i, file) in files.iter().enumerate() {
                let path = folder.join(i.to_string());
                let mut out = std::fs::File::create(&path)?;
                std::io::Write::write_all(&mut out, &file.bytes)?;
                out.sync_all()?;
                outgoing.push(OutgoingFile {
                    path: format!("{relative}/{i}"),
                    name: safe_file_name(&file.name),
                    content_type: sniffed_type(file),
                    size: file.bytes.len() as u64,
                });
            }
            sync_dir(&folder)?;
            Ok(outgoing)
        })();
        match written {
            Ok(outgoing) => Ok((Some(folder), outgoing)),
            Err(error) => {
                let _ = std::fs::remove_dir_all(&folder);
                Err(Error::Io(error))
            }
        }
    }

    pub(super) fn announce(&self, account_id: &str, conversation_id: &str, ids: Vec<String>, removed: Vec<String>) {
        self.inner.bus.publish(Event::MessagesChanged {
            account_id: account_id.into(),
            conversation_id: conversation_id.into(),
            ids,
            removed,
        });
        self.inner.bus.publish(Event::ConversationsChanged {
            account_id: account_id.into(),
            ids: vec![conversation_id.into()],
            removed: vec![],
        });
    }

    pub(super) fn require(&self, account_id: &str, allowed: bool, what: &str) -> Result<Account> {
        let account = self.inner.store.account(account_id)?;
        if allowed {
            Ok(account)
        } else {
            Err(Error::Unsupported(format!(
                "this account's server does not let you {what}"
            )))
        }
    }

    /// Adds (`on`) or removes your reaction.
    pub fn react(&self, account_id: &str, message_id: &str, emoji: &str, on: bool) -> Result<()> {
        let caps = self.capabilities(account_id)?;
        let account = self.require(
            account_id,
            caps.react && (on || caps.unreact),
            if on { "react to messages" } else { "remove a reaction" },
        )?;
        let Some(me) = account.me().map(str::to_string) else {
            return Err(Error::Invalid(
                "Confab does not know yet which person you are on this server; it learns it from your conversations and your first sent message".into(),
            ));
        };
        let message = self
            .inner
            .store
            .message(account_id, message_id)?
            .ok_or_else(|| Error::NotFound(format!("message {message_id}")))?;
        if emoji.trim().is_empty() || emoji.chars().any(char::is_whitespace) {
            return Err(Error::Invalid("an emoji is one short token without spaces".into()));
        }
        // One key per emoji, however it was written (a name, with or without U+FE0F); a key
        // the message already has is taken as it is, so an old or unknown one can be removed.
        let emoji = if message.reactions.contains_key(emoji) {
            emoji.to_string()
        } else {
            confab_emoji::canonical(emoji)
        };
        let emoji = emoji.as_str();
        let key = message.client_id.clone().unwrap_or(message.id.clone());
        let mut reactions = message.reactions.clone();
        let people = reactions.entry(emoji.to_string()).or_default();
        let present = people.contains(&me);
        if present == on {
            return Ok(());
        }
        if on {
            people.push(me.clone());
        } else {
            people.retain(|p| *p != me);
            if people.is_empty() {
                reactions.remove(emoji);
            }
        }
        let operation = if on {
            Operation::React {
                message: key,
                emoji: emoji.into(),
            }
        } else {
            Operation::Unreact {
                message: key,
                emoji: emoji.into(),
            }
        };
        self.queue(
            account_id,
            &message.conversation_id,
            &new_client_id(),
            operation,
            LocalEffect::Reactions {
                message_id: &message.id,
                reactions: &reactions,
            },
        )?;
        self.announce(account_id, &message.conversation_id, vec![message.id], vec![]);
        Ok(())
    }

    /// One of your own messages, for `verb` ("edit", "delete") where the server lets you.
    fn own_message(&self, account_id: &str, message_id: &str, allowed: bool, verb: &str) -> Result<Message> {
        let account = self.require(account_id, allowed, &format!("{verb} messages"))?;
        let message = self
            .inner
            .store
            .message(account_id, message_id)?
            .ok_or_else(|| Error::NotFound(format!("message {message_id}")))?;
        if message.sender_id != account.user_id {
            return Err(Error::Invalid(format!("you can only {verb} your own messages")));
        }
        Ok(message)
    }

    /// Edits one of your messages.
    pub fn edit(&self, account_id: &str, message_id: &str, body: &str) -> Result<()> {
        let message = self.own_message(account_id, message_id, self.capabilities(account_id)?.edit, "edit")?;
        if body.trim().is_empty() {
            return Err(Error::Invalid("a message needs some text".into()));
        }
        let key = message.client_id.clone().unwrap_or(message.id.clone());
        self.queue(
            account_id,
            &message.conversation_id,
            &new_client_id(),
            Operation::Edit {
                message: key,
                body: body.into(),
            },
            LocalEffect::Body {
                message_id: &message.id,
                body,
                edited_at: now_ms(),
            },
        )?;
        self.announce(account_id, &message.conversation_id, vec![message.id], vec![]);
        Ok(())
    }

    /// Deletes one of your messages. One still waiting in the outbox is simply withdrawn.
    pub fn delete(&self, account_id: &str, message_id: &str) -> Result<()> {
        let message = self.own_message(account_id, message_id, self.capabilities(account_id)?.delete, "delete")?;
        if message.delivery != Delivery::Sent {
            if let Some(client_id) = &message.client_id {
                let cancelled = self
                    .inner
                    .store
                    .cancel_message(account_id, client_id, &self.inner.owner)?;
                if !cancelled {
                    return Err(Error::Invalid(
                        "this message is being sent right now (or may already have been): delete it once it shows as sent"
                            .into(),
                    ));
                }
                self.announce(account_id, &message.conversation_id, vec![], vec![message.id]);
                self.inner.bus.publish(Event::OutboxChanged {
                    account_id: account_id.into(),
                });
                return Ok(());
            }
        }
        self.queue(
            account_id,
            &message.conversation_id,
            &new_client_id(),
            Operation::Delete {
                message: message.id.clone(),
            },
            LocalEffect::DeleteMessage {
                message_id: &message.id,
            },
        )?;
        self.announce(account_id, &message.conversation_id, vec![], vec![message.id]);
        Ok(())
    }

    /// Puts a failed operation back in line.
    pub fn retry(&self, client_id: &str) -> Result<()> {
        let item = self
            .outbox(None)?
            .into_iter()
            .find(|i| i.client_id == client_id)
            .ok_or_else(|| Error::NotFound(format!("outbox item {client_id}")))?;
        if !self.inner.store.retry_operation(client_id)? {
            return Err(Error::Invalid("only a failed operation can be retried".into()));
        }
        self.announce(
            &item.account_id,
            &item.conversation_id,
            vec![local_id(client_id)],
            vec![],
        );
        self.inner.bus.publish(Event::OutboxChanged {
            account_id: item.account_id.clone(),
        });
        self.inner.outbox_signal(&item.account_id).notify_one();
        Ok(())
    }

    /// Drops a failed operation; an undelivered message goes with it.
    pub fn discard(&self, client_id: &str) -> Result<()> {
        let files = self.inner.store.outgoing_files(client_id)?;
        let Some((account_id, conversation_id)) = self.inner.store.discard_operation(client_id)? else {
            return Err(Error::Invalid("only a failed operation can be discarded".into()));
        };
        crate::engine::remove_outgoing(&self.inner.config.data_dir, &files);
        self.announce(&account_id, &conversation_id, vec![], vec![local_id(client_id)]);
        self.inner.bus.publish(Event::OutboxChanged { account_id });
        Ok(())
    }
}

/// How a message being sent shows until the server has it: pending, under its local id, its
/// files listed from the profile folder.
pub(crate) fn echo_of(
    account: &Account,
    conversation_id: &str,
    client_id: &str,
    operation: &Operation,
    created_at: i64,
) -> Message {
    let (body, files) = match operation {
        Operation::Send { body, files, .. } => (body.clone(), files.as_slice()),
        _ => (String::new(), &[][..]),
    };
    Message {
        account_id: account.id.clone(),
        conversation_id: conversation_id.to_string(),
        id: local_id(client_id),
        client_id: Some(client_id.to_string()),
        sender_id: account.user_id.clone(),
        body,
        reactions: Default::default(),
        attachments: files
            .iter()
            .enumerate()
            .map(|(i, f)| crate::model::Attachment {
                id: format!("local:{i}"),
                url: String::new(),
                name: Some(f.name.clone()),
                content_type: Some(f.content_type.clone()),
                size: i64::try_from(f.size).ok(),
            })
            .collect(),
        read_at: None,
        created_at,
        edited_at: None,
        delivery: Delivery::Pending,
    }
}
