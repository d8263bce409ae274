//! Conversations: creating and leaving them, their flags and their read state.

use super::*;

impl Client {
    /// Leaves a group conversation of three or more.
    pub fn leave(&self, account_id: &str, conversation_id: &str) -> Result<()> {
        self.require(account_id, self.capabilities(account_id)?.leave, "leave conversations")?;
        let conversation = self.conversation(account_id, conversation_id)?;
        if conversation.kind == ConversationKind::Direct {
            return Err(Error::Invalid("you cannot leave a direct (1-on-1) conversation".into()));
        }
        if conversation.participants.len() < 3 {
            return Err(Error::Invalid(
                "you can only leave group conversations with 3 or more participants".into(),
            ));
        }
        self.remove_conversation(account_id, conversation_id, Operation::Leave)
    }

    /// Deletes a conversation and its messages for everyone (where the dialect allows).
    pub fn delete_conversation(&self, account_id: &str, conversation_id: &str) -> Result<()> {
        self.require(
            account_id,
            self.capabilities(account_id)?.delete_conversation,
            "delete conversations",
        )?;
        self.conversation(account_id, conversation_id)?;
        self.remove_conversation(account_id, conversation_id, Operation::DeleteConversation)
    }

    pub(super) fn remove_conversation(
        &self,
        account_id: &str,
        conversation_id: &str,
        operation: Operation,
    ) -> Result<()> {
        self.queue(
            account_id,
            conversation_id,
            &new_client_id(),
            operation,
            LocalEffect::DeleteConversation,
        )?;
        self.inner.bus.publish(Event::ConversationsChanged {
            account_id: account_id.into(),
            ids: vec![],
            removed: vec![conversation_id.into()],
        });
        Ok(())
    }

    /// Starts a conversation with an opening message. It shows at once under a local id and
    /// takes the server's id once delivered.
    pub fn create_conversation(
        &self,
        account_id: &str,
        participants: &[String],
        body: &str,
        source: Option<Source>,
    ) -> Result<Conversation> {
        let account = self.inner.store.account(account_id)?;
        let caps = self.capabilities(account_id)?;
        if !caps.create {
            return Err(Error::Unsupported(
                "this server does not offer starting conversations".into(),
            ));
        }
        let others: Vec<String> = participants
            .iter()
            .filter(|p| **p != account.user_id)
            .cloned()
            .collect();
        if others.is_empty() {
            return Err(Error::Invalid("include at least one other person".into()));
        }
        if others.len() > 1 && !caps.create_group {
            return Err(Error::Unsupported(
                "conversations on this server are with one person".into(),
            ));
        }
        if caps.needs_source && source.is_none() {
            return Err(Error::Invalid(
                "a conversation on this server needs a source, such as an order: give its id".into(),
            ));
        }
        if body.trim().is_empty() {
            return Err(Error::Invalid("a conversation starts with a message".into()));
        }
        let now = now_ms();
        let mut members: Vec<String> = account.me().map(str::to_string).into_iter().collect();
        members.extend(others.iter().cloned());
        let operation = Operation::CreateConversation {
            participants: others.clone(),
            body: body.into(),
            source: source.clone(),
        };
        // The conversation's local id is derived from its operation's client id.
        let client_id = new_client_id();
        let conversation_id = local_id(&client_id);
        let update = crate::store::ConversationUpdate {
            id: conversation_id.clone(),
            kind: if others.len() > 1 {
                ConversationKind::Group
            } else {
                ConversationKind::Direct
            },
            title: None,
            participants: members.clone(),
            source: source.clone(),
            locked: false,
            pinned: None,
            muted: None,
            archived_at: None,
            pinned_message_id: None,
            unread: Some(0),
            last_message: None,
            last_activity_at: Some(now),
            created_at: now,
            sync_marker: None,
            extra: serde_json::Value::Null,
        };
        let opening = Message {
            account_id: account_id.into(),
            conversation_id: conversation_id.clone(),
            id: local_id(&client_id),
            client_id: Some(client_id.clone()),
            sender_id: account.user_id.clone(),
            body: body.into(),
            reactions: Default::default(),
            attachments: Vec::new(),
            read_at: None,
            created_at: now,
            edited_at: None,
            delivery: Delivery::Pending,
        };
        self.inner.store.queue_operation(
            account_id,
            &conversation_id,
            &client_id,
            &operation,
            LocalEffect::NewConversation {
                update: &update,
                opening: &opening,
            },
        )?;
        self.inner.bus.publish(Event::ConversationsChanged {
            account_id: account_id.into(),
            ids: vec![conversation_id.clone()],
            removed: vec![],
        });
        self.inner.bus.publish(Event::OutboxChanged {
            account_id: account_id.into(),
        });
        self.inner.outbox_signal(account_id).notify_one();
        self.conversation(account_id, &conversation_id)
    }

    pub(super) fn set_flag(
        &self,
        account_id: &str,
        conversation_id: &str,
        pinned: Option<bool>,
        muted: Option<bool>,
        archived: Option<bool>,
    ) -> Result<()> {
        let caps = self.capabilities(account_id)?;
        self.conversation(account_id, conversation_id)?;
        let archived_at = archived.map(|a| a.then(now_ms));
        let on_server = (pinned.is_some() && caps.server_pin)
            || (muted.is_some() && caps.server_mute)
            || (archived.is_some() && caps.server_archive);
        if on_server {
            let operation = match (pinned, muted, archived) {
                (Some(p), _, _) => Operation::SetPinned { pinned: p },
                (_, Some(m), _) => Operation::SetMuted { muted: m },
                (_, _, Some(a)) => Operation::SetArchived { archived: a },
                _ => return Ok(()),
            };
            self.inner
                .store
                .set_flags(account_id, conversation_id, pinned, muted, archived_at, false)?;
            self.queue(
                account_id,
                conversation_id,
                &new_client_id(),
                operation,
                LocalEffect::None,
            )?;
        } else {
            self.inner
                .store
                .set_flags(account_id, conversation_id, pinned, muted, archived_at, true)?;
        }
        self.inner.bus.publish(Event::ConversationsChanged {
            account_id: account_id.into(),
            ids: vec![conversation_id.into()],
            removed: vec![],
        });
        Ok(())
    }

    /// Pins a conversation (on the server where the dialect keeps it, else on this device).
    pub fn set_pinned(&self, account_id: &str, conversation_id: &str, pinned: bool) -> Result<()> {
        self.set_flag(account_id, conversation_id, Some(pinned), None, None)
    }

    pub fn set_muted(&self, account_id: &str, conversation_id: &str, muted: bool) -> Result<()> {
        self.set_flag(account_id, conversation_id, None, Some(muted), None)
    }

    pub fn set_archived(&self, account_id: &str, conversation_id: &str, archived: bool) -> Result<()> {
        self.set_flag(account_id, conversation_id, None, None, Some(archived))
    }

    /// Marks a conversation read here at once, and on the server through the outbox.
    pub fn mark_read(&self, account_id: &str, conversation_id: &str) -> Result<()> {
        self.conversation(account_id, conversation_id)?;
        self.inner.mark_read(account_id, conversation_id)
    }
}
