//! The server's one store: people, keys, conversations, memberships, messages, reactions,
//! attachments and the event log, in SQLite.
//!
//! Dialects never touch SQL; they call the functions here and shape the records they get back.
//! All writes go through one connection, in one transaction per request; reads use a small
//! pool of their own connections (WAL lets them run beside the writer). Work runs on tokio's
//! blocking pool so a slow disk never stalls the async workers.

mod records;

use std::{
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicI64, AtomicUsize, Ordering},
        Arc, Mutex,
    },
};

use rusqlite::{Connection, OpenFlags, Transaction};
use tokio::sync::broadcast;

pub use records::*;

use crate::error::{ApiError, ApiResult};

/// Migrations in the order they apply; a database records how many it has seen.
const MIGRATIONS: &[(&str, &str)] = &[("0001_initial", include_str!("migrations/0001_initial.sql"))];

const READERS: usize = 4;

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("could not open the database at {path}: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error(
        "the database at {path} is at schema version {found}, newer than this server ({known}); upgrade the server"
    )]
    TooNew { path: PathBuf, found: usize, known: usize },
}

/// A handle to the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    last_event: AtomicI64,
    events: broadcast::Sender<i64>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        let fail = |source| OpenError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let mut writer = Connection::open(path).map_err(fail)?;
        configure(&writer).map_err(fail)?;
        migrate(&mut writer, path)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let reader = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
            )
            .map_err(fail)?;
            configure_reader(&reader).map_err(fail)?;
            readers.push(Mutex::new(reader));
        }
        let last_event = max_event_id(&writer).map_err(fail)?;
        let (events, _) = broadcast::channel(1024);
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
                last_event: AtomicI64::new(last_event),
                events,
            }),
        })
    }

    /// Wakes whenever new events were committed; carries the newest event id.
    pub fn subscribe(&self) -> broadcast::Receiver<i64> {
        self.inner.events.subscribe()
    }

    /// Runs `f` on a reader connection.
    pub async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> ApiResult<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let index = inner.next_reader.fetch_add(1, Ordering::Relaxed) % inner.readers.len();
            let conn = inner.readers[index].lock().map_err(|_| ApiError::internal())?;
            f(&conn)
        })
        .await?
    }

    /// Runs `f` in one write transaction, committed only if `f` succeeds, then wakes the
    /// event streams if `f` recorded events.
    pub async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> ApiResult<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || inner.write_now(f)).await?
    }

    /// The same as [`Store::write`], for callers outside the async runtime (CLI, seeding).
    pub fn write_blocking<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Transaction<'_>) -> ApiResult<T>,
    {
        self.inner.write_now(f)
    }

    /// The same as [`Store::read`], for callers outside the async runtime.
    pub fn read_blocking<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Connection) -> ApiResult<T>,
    {
        let conn = self.inner.readers[0].lock().map_err(|_| ApiError::internal())?;
        f(&conn)
    }
}

impl Inner {
    fn write_now<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Transaction<'_>) -> ApiResult<T>,
    {
        let mut conn = self.writer.lock().map_err(|_| ApiError::internal())?;
        let tx = conn.transaction()?;
        let value = f(&tx)?;
        tx.commit()?;
        let newest = max_event_id(&conn)?;
        if newest > self.last_event.swap(newest, Ordering::SeqCst) {
            // Nobody listening is fine: streams catch up from the log when they connect.
            let _ = self.events.send(newest);
        }
        Ok(value)
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(())
}

fn configure_reader(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(())
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), OpenError> {
    let fail = |source| OpenError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let found: usize = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(fail)?;
    if found > MIGRATIONS.len() {
        return Err(OpenError::TooNew {
            path: path.to_path_buf(),
            found,
            known: MIGRATIONS.len(),
        });
    }
    for (index, (_name, sql)) in MIGRATIONS.iter().enumerate().skip(found) {
        let tx = conn.transaction().map_err(fail)?;
        tx.execute_batch(sql).map_err(fail)?;
        tx.pragma_update(None, "user_version", index + 1).map_err(fail)?;
        tx.commit().map_err(fail)?;
    }
    Ok(())
}

fn max_event_id(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |row| row.get(0))
}

/// Milliseconds since the Unix epoch, UTC.
pub fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

/// A random identifier in the style of the seeds (`xgQQXg3hrtjh7AvZ`).
pub fn new_id() -> String {
    use rand::{distr::Alphanumeric, Rng};
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(16)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_newer_than_the_code_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("server.db");
        drop(Store::open(&path).expect("fresh database opens"));
        let conn = Connection::open(&path).expect("raw open");
        conn.pragma_update(None, "user_version", MIGRATIONS.len() + 1)
            .expect("bump version");
        drop(conn);
        match Store::open(&path) {
            Err(OpenError::TooNew { found, .. }) => assert_eq!(found, MIGRATIONS.len() + 1),
            other => panic!("expected TooNew, got {other:?}"),
        }
    }

    #[test]
    fn reopening_applies_no_migration_twice() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("server.db");
        drop(Store::open(&path).expect("first open"));
        let store = Store::open(&path).expect("second open");
        let version: usize = store
            .read_blocking(|c| Ok(c.pragma_query_value(None, "user_version", |r| r.get(0))?))
            .expect("version");
        assert_eq!(version, MIGRATIONS.len());
    }
}
