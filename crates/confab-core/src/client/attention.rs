//! What asks for attention later, kept on this device for every account alike: snoozed
//! conversations, reminders on messages, quiet hours and a pause, and a per-conversation limit
//! on notifications. The `attention` engine task fires each at its time.

use super::*;
use crate::{
    model::{Quiet, QuietHours, Reminder},
    shared::{PAUSED_UNTIL, QUIET_HOURS, SNOOZE_ENDS_ON_MESSAGE},
};

/// The longest "at most one notification every ..." limit: a week.
const MAX_NOTIFY_EVERY_SECS: i64 = 7 * 86_400;

impl Client {
    /// Snoozes a conversation until `until` (UTC milliseconds): it leaves the inbox for the
    /// "Snoozed" list and comes back on top, unread, with a notification, at that time (or when
    /// someone writes, if [`Quiet::snooze_ends_on_message`]). A time that has passed is refused.
    pub fn snooze(&self, account_id: &str, conversation_id: &str, until: i64) -> Result<()> {
        crate::when::check_due(until, now_ms())?;
        if !self.inner.store.set_snooze(account_id, conversation_id, Some(until))? {
            return Err(Error::NotFound(format!("conversation {conversation_id}")));
        }
        self.conversation_changed(account_id, conversation_id);
        self.inner.attention.notify_one();
        Ok(())
    }

    /// Ends a snooze now, quietly: the conversation is back in the inbox where its activity
    /// puts it.
    pub fn unsnooze(&self, account_id: &str, conversation_id: &str) -> Result<()> {
        if !self.inner.store.set_snooze(account_id, conversation_id, None)? {
            return Err(Error::NotFound(format!("conversation {conversation_id}")));
        }
        self.conversation_changed(account_id, conversation_id);
        Ok(())
    }

    /// At most one notification every `every_secs` seconds from the conversation; `None`
    /// removes the limit. Unread counts and the badge still count every message.
    pub fn set_notify_every(&self, account_id: &str, conversation_id: &str, every_secs: Option<i64>) -> Result<()> {
        if let Some(every) = every_secs {
            if !(1..=MAX_NOTIFY_EVERY_SECS).contains(&every) {
                return Err(Error::Invalid(
                    "a notification limit is between a second and a week".into(),
                ));
            }
        }
        if !self
            .inner
            .store
            .set_notify_every(account_id, conversation_id, every_secs)?
        {
            return Err(Error::NotFound(format!("conversation {conversation_id}")));
        }
        self.conversation_changed(account_id, conversation_id);
        Ok(())
    }

    /// "Remind me" about a message at `due_at`: a notification then that opens the
    /// conversation at the message. A message still being sent is refused (its id changes when
    /// the server takes it), and so is a time that has passed.
    pub fn remind(&self, account_id: &str, message_id: &str, due_at: i64) -> Result<Reminder> {
        let now = now_ms();
        crate::when::check_due(due_at, now)?;
        let message = self.message(account_id, message_id)?;
        if message.delivery != Delivery::Sent {
            return Err(Error::Invalid("a reminder can be set once the message is sent".into()));
        }
        let reminder = Reminder {
            id: new_client_id(),
            account_id: account_id.to_string(),
            conversation_id: message.conversation_id.clone(),
            message_id: message.id.clone(),
            sender_id: message.sender_id.clone(),
            body: message.body.chars().take(500).collect(),
            due_at,
            created_at: now,
            fired_at: None,
        };
        self.inner.store.add_reminder(&reminder)?;
        self.inner.bus.publish(Event::RemindersChanged);
        self.inner.attention.notify_one();
        Ok(reminder)
    }

    /// Waiting reminders (soonest first), then those shown in the last day.
    pub fn reminders(&self) -> Result<Vec<Reminder>> {
        self.inner.store.reminders(now_ms())
    }

    /// Moves a reminder to `due_at` (one already shown waits again).
    pub fn reschedule_reminder(&self, id: &str, due_at: i64) -> Result<Reminder> {
        crate::when::check_due(due_at, now_ms())?;
        if !self.inner.store.reschedule_reminder(id, due_at)? {
            return Err(Error::NotFound(format!("reminder {id}")));
        }
        self.inner.bus.publish(Event::RemindersChanged);
        self.inner.attention.notify_one();
        self.inner
            .store
            .reminder(id)?
            .ok_or_else(|| Error::NotFound(format!("reminder {id}")))
    }

    pub fn cancel_reminder(&self, id: &str) -> Result<()> {
        if !self.inner.store.delete_reminder(id)? {
            return Err(Error::NotFound(format!("reminder {id}")));
        }
        self.inner.bus.publish(Event::RemindersChanged);
        Ok(())
    }

    /// Quiet hours, any pause, and whether notifications are quiet now.
    pub fn quiet(&self) -> Result<Quiet> {
        self.inner.quiet(now_ms())
    }

    /// Sets the weekly quiet hours.
    pub fn set_quiet_hours(&self, schedule: &QuietHours) -> Result<Quiet> {
        if schedule.days.iter().any(|d| *d > 6) || schedule.from >= 24 * 60 || schedule.to >= 24 * 60 {
            return Err(Error::Invalid(
                "quiet hours need days 0 (Monday) to 6 and times within a day".into(),
            ));
        }
        let mut days = schedule.days.clone();
        days.sort_unstable();
        days.dedup();
        let schedule = QuietHours {
            days,
            ..schedule.clone()
        };
        let json = serde_json::to_string(&schedule).map_err(|e| Error::Invalid(e.to_string()))?;
        self.inner.store.set_setting(QUIET_HOURS, &json)?;
        self.quiet_changed()
    }

    /// Pauses notifications until `until` (UTC milliseconds), or resumes them (`None`). What
    /// arrives meanwhile is summed up in one notification when the pause ends.
    pub fn pause_notifications(&self, until: Option<i64>) -> Result<Quiet> {
        if let Some(until) = until {
            crate::when::check_due(until, now_ms())?;
        }
        let value = until.map_or_else(String::new, |u| u.to_string());
        self.inner.store.set_setting(PAUSED_UNTIL, &value)?;
        self.quiet_changed()
    }

    /// Whether someone else's new message ends a snooze early (on by default).
    pub fn set_snooze_ends_on_message(&self, on: bool) -> Result<Quiet> {
        self.inner
            .store
            .set_setting(SNOOZE_ENDS_ON_MESSAGE, if on { "true" } else { "false" })?;
        self.quiet_changed()
    }

    fn quiet_changed(&self) -> Result<Quiet> {
        self.inner.bus.publish(Event::QuietChanged);
        self.inner.attention.notify_one();
        self.quiet()
    }

    /// Fires what is due at `now` (snoozes ending, reminders, the summary of quiet hours):
    /// what the attention task does at each wake, for tests and the CLI.
    pub fn attention_due_at(&self, now: i64) -> Result<crate::Due> {
        engine::fire_due(&self.inner, now)
    }

    fn conversation_changed(&self, account_id: &str, conversation_id: &str) {
        self.inner.bus.publish(Event::ConversationsChanged {
            account_id: account_id.into(),
            ids: vec![conversation_id.into()],
            removed: vec![],
        });
    }
}
