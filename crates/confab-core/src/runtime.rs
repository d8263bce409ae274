//! What one account holds while the client runs: the connection to its server, its sync
//! state, the signals that wake its tasks, the tasks themselves, and what its sync remembers
//! between passes. Adding an account makes one; removing it stops its tasks and forgets it.

use std::{collections::HashMap, sync::Arc, sync::Mutex, time::Instant};

use tokio::{sync::Notify, task::JoinHandle};

use crate::{dialect::Remote, model::SyncState, shared::lock};

#[derive(Default)]
pub(crate) struct AccountRuntime {
    /// The connection, made on first use with the key from the keyring; dropped when the key
    /// changes.
    remote: Mutex<Option<Arc<Remote>>>,
    state: Mutex<Option<SyncState>>,
    /// Wakes the outbox worker: something was queued, or the connection came back.
    pub outbox: Arc<Notify>,
    /// Wakes the sync task for a pass now.
    pub resync: Arc<Notify>,
    /// The sync engine and the outbox worker, once started.
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// Conversations whose marker changed lately, with the marker and when: read once more a
    /// moment later (see `Inner::recheck`).
    pub recent: Mutex<HashMap<String, (Option<String>, Instant)>>,
    /// The newest preview announced per conversation, so each is announced once.
    pub previews: Mutex<HashMap<String, String>>,
}

impl AccountRuntime {
    pub fn remote(&self) -> Option<Arc<Remote>> {
        lock(&self.remote).clone()
    }

    pub fn set_remote(&self, remote: Option<Arc<Remote>>) {
        *lock(&self.remote) = remote;
    }

    pub fn state(&self) -> SyncState {
        lock(&self.state).clone().unwrap_or(SyncState::Idle)
    }

    /// Sets the state; returns the one before.
    pub fn replace_state(&self, state: SyncState) -> Option<SyncState> {
        lock(&self.state).replace(state)
    }

    /// Starts the account's tasks with `spawn`, unless they run already.
    pub fn start(&self, spawn: impl FnOnce() -> Vec<JoinHandle<()>>) {
        let mut tasks = lock(&self.tasks);
        if tasks.is_empty() {
            *tasks = spawn();
        }
    }

    pub fn stop(&self) {
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
    }
}

impl std::fmt::Debug for AccountRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountRuntime")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}
