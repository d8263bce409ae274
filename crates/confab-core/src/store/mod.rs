//! The local cache: one SQLite file per profile, the source of everything the UI shows.
//!
//! One writer connection and a few readers (WAL), so reads never wait behind a sync. Callers
//! name what they write by what it means (`save_catch_up`, `queue_operation`, ...); each such
//! operation runs its own transaction, and what belongs together (a page of messages and the
//! marker that says it was fetched) shares one, so a crash leaves either both or neither. No
//! transaction or connection leaves this module.
//!
//! The methods are synchronous. A write called on a worker of a multi-threaded tokio runtime
//! (the engine, the app's async commands) first hands that worker's other tasks to another
//! thread (`tokio::task::block_in_place`), so a long write (a 100,000-message catch-up, an
//! fsync of the outbox) never holds up timers, the event stream or the UI's commands; see
//! [`off_workers`] for why this and not the blocking pool.

mod attention;
mod conversations;
mod messages;
mod outbox;
pub(crate) mod owner;
pub(crate) mod recover;
mod saved;
mod scheduled;
mod sync;

use std::{
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex, MutexGuard,
    },
    time::Duration,
};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

pub use conversations::{Change, ConversationFilter, ConversationUpdate};
pub use messages::{fts_query, local_id};

/// Search filters.
pub mod messages_search {
    pub use super::messages::SearchFilter;
}
pub(crate) use outbox::{Delivered, LocalEffect};
pub use outbox::{Operation, OutgoingFile, QueuedOperation};
pub use owner::Owner;
pub use recover::{save_accounts, Recovery};
pub use scheduled::Scheduled;
pub(crate) use sync::{CatchUp, CountHere, Streamed};

use crate::{
    error::{Error, Result},
    model::{Account, Dialect, Person},
};

/// A failure of the local database. What SQLite said is shown, and kept inside the store.
#[derive(Debug)]
pub struct StoreError(rusqlite::Error);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl StoreError {
    /// Whether the file is damaged or not a database: recovery moves it aside
    /// ([`recover`]).
    pub fn is_damage(&self) -> bool {
        matches!(
            &self.0,
            rusqlite::Error::SqliteFailure(e, _)
                if matches!(e.code, rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
        )
    }
}

/// How the store's own code turns SQLite's errors into the core's.
impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Self {
        Error::Store(StoreError(error))
    }
}

/// Runs `f` (a transaction) off the async workers. On a worker of a multi-threaded tokio
/// runtime, `block_in_place` moves the worker's queued tasks to another thread before `f`
/// blocks; on any other thread (the CLI's, the blocking pool's, a test's current-thread
/// runtime) `f` runs where it is.
///
/// Chosen over `spawn_blocking` and over a writer thread of its own: both need the data to be
/// owned by the job (a catch-up's messages copied, or every operation's arguments cloned) and
/// every caller to await, while this keeps the store's calls as they are. What it costs was
/// measured (`cargo bench -p confab-core`, "a one-message write from a tokio worker").
fn off_workers<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_initial", include_str!("migrations/0001_initial.sql")),
    ("0002_settings", include_str!("migrations/0002_settings.sql")),
    (
        "0003_account_features",
        include_str!("migrations/0003_account_features.sql"),
    ),
    ("0004_delivery", include_str!("migrations/0004_delivery.sql")),
    ("0005_message_rows", include_str!("migrations/0005_message_rows.sql")),
    (
        "0006_background_reads",
        include_str!("migrations/0006_background_reads.sql"),
    ),
    ("0007_scheduled", include_str!("migrations/0007_scheduled.sql")),
    ("0008_saved", include_str!("migrations/0008_saved.sql")),
    ("0009_attention", include_str!("migrations/0009_attention.sql")),
    ("0010_notified", include_str!("migrations/0010_notified.sql")),
];
const READERS: usize = 3;

/// The cache of one profile.
pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next: AtomicUsize,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The database's path as SQLite is given it. On Windows a path of 260 characters or more
/// (with SQLite's `-journal` and `-wal` names added) opens only in its verbatim form
/// (`\\?\C:\...`), which SQLite passes through untouched; Rust's own file functions make
/// that form by themselves, SQLite does not.
fn for_sqlite(path: &Path) -> std::path::PathBuf {
    #[cfg(windows)]
    if path.as_os_str().len() + "-journal".len() >= 260 {
        use std::path::{Component, Prefix};
        if let Ok(full) = std::path::absolute(path) {
            let text = full.to_string_lossy().into_owned();
            match full.components().next() {
                Some(Component::Prefix(prefix)) => match prefix.kind() {
                    Prefix::Disk(_) => return format!(r"\\?\{text}").into(),
                    Prefix::UNC(..) => return format!(r"\\?\UNC\{}", &text[2..]).into(),
                    _ => return full,
                },
                _ => return full,
            }
        }
    }
    path.to_path_buf()
}

impl Store {
    /// Opens or creates the cache at `path`, migrating it; refuses a database newer than this
    /// code.
    pub fn open(path: &Path) -> Result<Self> {
        let path = &for_sqlite(path);
        let mut writer = Connection::open(path)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.pragma_update(None, "synchronous", "NORMAL")?;
        writer.pragma_update(None, "foreign_keys", "ON")?;
        writer.busy_timeout(Duration::from_secs(5))?;
        migrate(&mut writer)?;
        let mut readers = Vec::new();
        for _ in 0..READERS {
            let reader =
                Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
            reader.busy_timeout(Duration::from_secs(5))?;
            readers.push(Mutex::new(reader));
        }
        Ok(Self {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            readers,
            next: AtomicUsize::new(0),
        })
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        // A poisoned lock means a panic mid-read; the connection itself is still usable.
        self.readers[index]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` in one write transaction. It takes the write lock at its start (IMMEDIATE), so
    /// under another process's write it waits (`busy_timeout`) instead of failing midway.
    fn write<T>(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
        off_workers(|| self.write_here(f))
    }

    fn write_here<T>(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// [`Store::write`], durable on return: the commit is synced to disk (`synchronous=FULL`),
    /// and with it every commit before it. For what must survive a power cut: the outbox.
    fn write_durable<T>(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
        off_workers(|| self.write_durable_here(f))
    }

    fn write_durable_here<T>(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        conn.pragma_update(None, "synchronous", "FULL")?;
        let result = (|| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        result
    }

    /// Makes the database behave as on a full disk: it may not grow by a page (SQLite's
    /// `max_page_count`), and the free pages it had are used up. Every write that needs space
    /// then fails with `SQLITE_FULL`, as on a real full disk. For tests and benchmarks; returns
    /// how many KiB were used up.
    pub fn simulate_full_disk(&self) -> Result<usize> {
        let conn = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        conn.execute_batch("CREATE TABLE IF NOT EXISTS disk_filler (x BLOB)")?;
        let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))?;
        let mut used = 0;
        while used < 1_000_000 {
            match conn.execute("INSERT INTO disk_filler VALUES (zeroblob(1024))", []) {
                Ok(_) => used += 1,
                Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DiskFull => break,
                Err(error) => return Err(error.into()),
            }
        }
        Ok(used)
    }

    /// Ends [`Store::simulate_full_disk`]: space is back.
    pub fn end_full_disk(&self) -> Result<()> {
        let conn = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        conn.query_row("PRAGMA max_page_count = 4294967294", [], |_| Ok(()))?;
        conn.execute_batch("DROP TABLE IF EXISTS disk_filler")?;
        Ok(())
    }

    /// `PRAGMA integrity_check`: `"ok"` for a sound database.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self.reader().query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    // ---- accounts

    pub fn insert_account(&self, account: &Account) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO accounts (id, server_url, dialect, user_id, user_name, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![account.id, account.server_url, account.dialect.as_str(), account.user_id, account.user_name, account.created_at],
            )?;
            Ok(())
        })
    }

    pub fn accounts(&self) -> Result<Vec<Account>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, server_url, dialect, user_id, user_name, created_at, background_reads FROM accounts ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([], account_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn account(&self, id: &str) -> Result<Account> {
        let conn = self.reader();
        conn.query_row(
            "SELECT id, server_url, dialect, user_id, user_name, created_at, background_reads FROM accounts WHERE id = ?1",
            [id],
            account_row,
        )
        .optional()?
        .ok_or_else(|| Error::UnknownAccount(id.to_string()))
    }

    /// Sets whether new messages are downloaded in the background where reading marks read.
    /// False when the account is unknown or already so.
    pub(crate) fn set_background_reads(&self, account_id: &str, on: bool) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE accounts SET background_reads = ?2 WHERE id = ?1 AND background_reads != ?2",
                params![account_id, on],
            )? > 0)
        })
    }

    /// When the account last finished a sync pass.
    pub(crate) fn set_synced_at(&self, account_id: &str, at: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO sync_state (account_id, synced_at) VALUES (?1, ?2)
                 ON CONFLICT (account_id) DO UPDATE SET synced_at = excluded.synced_at",
                params![account_id, at],
            )?;
            Ok(())
        })
    }

    /// What the account's server was found to offer (`true`) or lack (`false`).
    pub fn account_features(&self, id: &str) -> Result<std::collections::BTreeMap<crate::model::Feature, bool>> {
        let text: Option<String> = self
            .reader()
            .query_row("SELECT features FROM accounts WHERE id = ?1", [id], |r| r.get(0))
            .optional()?;
        let text = text.ok_or_else(|| Error::UnknownAccount(id.to_string()))?;
        // A feature this version does not know (written by a newer one) is skipped.
        let raw: std::collections::BTreeMap<String, bool> = serde_json::from_str(&text).unwrap_or_default();
        Ok(raw
            .into_iter()
            .filter_map(|(k, v)| {
                serde_json::from_value(serde_json::Value::String(k))
                    .ok()
                    .map(|f| (f, v))
            })
            .collect())
    }

    /// The server's clock less this device's, as last seen.
    pub fn clock_offset(&self, id: &str) -> Result<i64> {
        Ok(self
            .reader()
            .query_row("SELECT clock_offset_ms FROM accounts WHERE id = ?1", [id], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }

    pub fn set_clock_offset(&self, id: &str, offset_ms: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE accounts SET clock_offset_ms = ?2 WHERE id = ?1 AND clock_offset_ms != ?2",
                params![id, offset_ms],
            )?;
            Ok(())
        })
    }

    /// Records what was learned about an account's server and identity; true when anything
    /// changed.
    pub fn learn_about_account(
        &self,
        id: &str,
        features: &std::collections::BTreeMap<crate::model::Feature, bool>,
        me: Option<&crate::model::Person>,
    ) -> Result<bool> {
        let features = serde_json::to_string(features).unwrap_or_else(|_| "{}".into());
        self.write(|tx| {
            let mut changed = tx.execute(
                "UPDATE accounts SET features = ?2 WHERE id = ?1 AND features != ?2",
                params![id, features],
            )?;
            if let Some(me) = me {
                let name = me.username.clone().unwrap_or_else(|| me.name.clone());
                changed += tx.execute(
                    "UPDATE accounts SET user_id = ?2, user_name = ?3 WHERE id = ?1 AND (user_id != ?2 OR user_name != ?3)
                     AND (user_id = '' OR user_id = ?2)",
                    params![id, me.id, name],
                )?;
            }
            Ok(changed > 0)
        })
    }

    /// Removes an account and everything cached for it.
    pub fn remove_account(&self, id: &str) -> Result<bool> {
        self.write(|tx| Ok(tx.execute("DELETE FROM accounts WHERE id = ?1", [id])? > 0))
    }

    // ---- people

    pub fn upsert_people(&self, account_id: &str, people: &[Person]) -> Result<()> {
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO people (account_id, id, name, username, avatar_url, extra) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (account_id, id) DO UPDATE SET name = excluded.name, username = excluded.username,
                     avatar_url = excluded.avatar_url, extra = excluded.extra",
            )?;
            for p in people {
                stmt.execute(params![
                    account_id,
                    p.id,
                    p.name,
                    p.username,
                    p.avatar_url,
                    p.extra.to_string()
                ])?;
            }
            Ok(())
        })
    }

    pub fn people(&self, account_id: &str) -> Result<Vec<Person>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, name, username, avatar_url, extra FROM people WHERE account_id = ?1 ORDER BY name COLLATE NOCASE, id",
        )?;
        let rows = stmt
            .query_map([account_id], |r| {
                let extra: String = r.get(4)?;
                Ok(Person {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    username: r.get(2)?,
                    avatar_url: r.get(3)?,
                    extra: serde_json::from_str(&extra).unwrap_or_default(),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    // ---- drafts

    pub fn set_draft(&self, account_id: &str, conversation_id: &str, body: &str) -> Result<()> {
        self.write(|tx| {
            if body.is_empty() {
                tx.execute("DELETE FROM drafts WHERE account_id = ?1 AND conversation_id = ?2", params![account_id, conversation_id])?;
            } else {
                tx.execute(
                    "INSERT INTO drafts (account_id, conversation_id, body, updated_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (account_id, conversation_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                    params![account_id, conversation_id, body, crate::now_ms()],
                )?;
            }
            Ok(())
        })
    }

    pub fn draft(&self, account_id: &str, conversation_id: &str) -> Result<Option<String>> {
        Ok(self
            .reader()
            .query_row(
                "SELECT body FROM drafts WHERE account_id = ?1 AND conversation_id = ?2",
                params![account_id, conversation_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    // ---- settings

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .reader()
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
            Ok(())
        })
    }

    // ---- sync position

    pub fn last_event_id(&self, account_id: &str) -> Result<Option<String>> {
        Ok(self
            .reader()
            .query_row(
                "SELECT last_event_id FROM sync_state WHERE account_id = ?1",
                [account_id],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    /// When the account last completed a sync.
    pub fn last_synced_at(&self, account_id: &str) -> Result<Option<i64>> {
        Ok(self
            .reader()
            .query_row(
                "SELECT synced_at FROM sync_state WHERE account_id = ?1",
                [account_id],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }
}

fn set_last_event_id(tx: &rusqlite::Transaction<'_>, account_id: &str, event_id: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO sync_state (account_id, last_event_id, synced_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (account_id) DO UPDATE SET last_event_id = excluded.last_event_id, synced_at = excluded.synced_at",
        params![account_id, event_id, crate::now_ms()],
    )?;
    Ok(())
}

fn account_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    let dialect: String = r.get(2)?;
    Ok(Account {
        id: r.get(0)?,
        server_url: r.get(1)?,
        dialect: dialect.parse().unwrap_or(Dialect::Portal),
        user_id: r.get(3)?,
        user_name: r.get(4)?,
        created_at: r.get(5)?,
        background_reads: r.get(6)?,
    })
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let found: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > MIGRATIONS.len() {
        return Err(Error::StoreTooNew {
            found,
            known: MIGRATIONS.len(),
        });
    }
    for (index, (_, sql)) in MIGRATIONS.iter().enumerate().skip(found) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// Drops a conversation's draft (its message was sent).
fn clear_draft(tx: &rusqlite::Transaction<'_>, account_id: &str, conversation_id: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM drafts WHERE account_id = ?1 AND conversation_id = ?2",
        params![account_id, conversation_id],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_long_database_path_is_given_to_sqlite_verbatim_on_windows() {
        let root = tempfile::tempdir().expect("tempdir");
        let short = root.path().join("confab.db");
        assert_eq!(super::for_sqlite(&short), short);
        let mut dir = root.path().to_path_buf();
        while dir.as_os_str().len() < 300 {
            dir.push("a folder with a rather long name");
        }
        std::fs::create_dir_all(&dir).expect("deep folder");
        let long = super::for_sqlite(&dir.join("confab.db"));
        assert!(long.ends_with("confab.db"));
        if cfg!(windows) {
            assert!(long.to_string_lossy().starts_with(r"\\?\"), "{}", long.display());
        } else {
            assert_eq!(long, dir.join("confab.db"), "elsewhere paths are not limited");
        }
    }
}
