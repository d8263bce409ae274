//! The engine of one account: the sync loop (`sync`), the outbox worker (`outbox`) and the
//! backoff they share (`backoff`); and, for all accounts, the task that ends snoozes, shows
//! reminders and sums up quiet hours (`attention`).
//!
//! Sync: list conversations, catch each one up from its newest message down to what the cache
//! already has (all pages of one catch-up are written in one transaction, so a crash never
//! leaves a gap), then follow the server's event stream, or poll when it has none. Failures
//! back off with jitter, honour `Retry-After`, and show as the account's state.
//!
//! Outbox: deliver operations in order per conversation, each with its client id as the
//! `Idempotency-Key`; transient failures retry with backoff, final ones are kept with their
//! reason. Before re-sending a message whose earlier attempt may have reached the server, look
//! for it there first, so a server without idempotency never gets it twice.

mod attention;
mod backoff;
mod outbox;
mod sync;

pub use attention::{fire_due, run_attention, Due};
pub use outbox::{deliver_due, release_scheduled, run_outbox, DeliveryReport};
pub(crate) use outbox::{release_one, remove_outgoing};
pub use sync::{load_older, run_sync, sync_once};
