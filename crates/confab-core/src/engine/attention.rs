//! The one task that ends snoozes, shows reminders and sums up what quiet hours held, each at
//! its time. It sleeps until the soonest of them, never longer than [`CHECK_EVERY`] while
//! something waits (the wall clock can jump; a sleep follows the monotonic one), and not at
//! all when nothing waits: idle costs nothing.

use std::{sync::Arc, time::Duration};

use crate::{
    error::Result,
    events::{Event, HeldNotifications},
    model::Reminder,
    now_ms,
    shared::Inner,
};

/// The longest sleep while something waits for its time.
const CHECK_EVERY: Duration = Duration::from_secs(30);

/// What came due in one look.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Due {
    /// Conversations whose snooze ended.
    pub woken: Vec<(String, String)>,
    pub reminders: Vec<Reminder>,
    /// What was held while quiet, now that it is not.
    pub held: Vec<HeldNotifications>,
}

pub async fn run_attention(inner: Arc<Inner>) {
    loop {
        // Registered before looking, so a change made while looking wakes the next sleep.
        let changed = inner.attention.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        let now = now_ms();
        if let Err(error) = fire_due(&inner, now) {
            tracing::warn!(%error, "snoozes and reminders could not be checked");
        }
        match next_due(&inner, now) {
            Some(at) => {
                let wait = Duration::from_millis(u64::try_from(at - now).unwrap_or(0)).min(CHECK_EVERY);
                tokio::select! {
                    () = &mut changed => {}
                    () = tokio::time::sleep(wait) => {}
                }
            }
            None => changed.await,
        }
    }
}

/// The soonest time something waits for: a snooze's end, a reminder, the end of a quiet
/// stretch that holds notifications.
fn next_due(inner: &Inner, now: i64) -> Option<i64> {
    let quiet_end = match inner.store.held_count() {
        Ok(held) if held > 0 => Some(inner.quiet_until(now).ok().flatten().unwrap_or(now)),
        _ => None,
    };
    [inner.store.next_wake(), inner.store.next_reminder()]
        .into_iter()
        .filter_map(|at| at.ok().flatten())
        .chain(quiet_end)
        .min()
}

/// Fires what is due at `now` and announces it. Each thing is marked done as it is found, so
/// it fires once whatever the clock does next.
pub fn fire_due(inner: &Inner, now: i64) -> Result<Due> {
    let mut due = Due {
        woken: inner.store.wake_due(now)?,
        reminders: inner.store.fire_due_reminders(now)?,
        held: Vec::new(),
    };
    if inner.store.held_count()? > 0 && inner.quiet_until(now)?.is_none() {
        due.held = inner
            .store
            .take_held()?
            .into_iter()
            .map(|(account_id, conversation_id, messages)| HeldNotifications {
                account_id,
                conversation_id,
                messages,
            })
            .collect();
    }
    for (account_id, conversation_id) in &due.woken {
        inner.bus.publish(Event::ConversationsChanged {
            account_id: account_id.clone(),
            ids: vec![conversation_id.clone()],
            removed: vec![],
        });
        inner.bus.publish(Event::SnoozeEnded {
            account_id: account_id.clone(),
            conversation_id: conversation_id.clone(),
        });
    }
    for reminder in &due.reminders {
        inner.bus.publish(Event::ReminderDue {
            reminder: reminder.clone(),
        });
    }
    if !due.reminders.is_empty() {
        inner.bus.publish(Event::RemindersChanged);
    }
    if !due.held.is_empty() {
        inner.bus.publish(Event::QuietEnded { held: due.held.clone() });
        inner.bus.publish(Event::QuietChanged);
    }
    Ok(due)
}
