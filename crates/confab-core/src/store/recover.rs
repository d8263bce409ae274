//! A damaged cache. Damage found when the database opens (it is not a database, or SQLite
//! reports it corrupt) is handled at once: the file is moved aside, a fresh one is made, and
//! what only this device had is rescued from the old one where it can still be read: the
//! accounts (their keys are in the keyring, under the same ids), queued work with its local
//! echoes, conversations still being created, and drafts. Everything else comes back from the
//! servers on the next sync. Damage deeper in the file is looked for after opening, off the
//! startup path (`PRAGMA quick_check`), and handled the same way at the next start.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::Store;
use crate::{
    error::{Error, Result},
    model::Account,
};

/// What happened to a damaged cache, for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    pub moved_to: PathBuf,
    pub accounts: usize,
    pub queued: usize,
    pub drafts: usize,
}

impl Recovery {
    pub fn message(&self) -> String {
        format!(
            "The local database was damaged. It was moved aside to {} and a new one was made; {} account(s), {} queued change(s) and {} draft(s) were rescued, and everything else is being fetched again from the servers.",
            self.moved_to.display(),
            self.accounts,
            self.queued,
            self.drafts
        )
    }
}

fn damaged_marker(path: &Path) -> PathBuf {
    path.with_extension("db.damaged")
}

fn is_damage(error: &Error) -> bool {
    matches!(error, Error::Store(e) if e.is_damage())
}

/// The accounts, without keys, kept beside the database so a profile whose database cannot be
/// read at all can still be rebuilt.
pub fn save_accounts(data_dir: &Path, accounts: &[Account]) -> Result<()> {
    let json = serde_json::to_vec_pretty(accounts).unwrap_or_default();
    let path = data_dir.join("accounts.json");
    // Written at every start: only when the accounts changed.
    if std::fs::read(&path).is_ok_and(|saved| saved == json) {
        return Ok(());
    }
    let temp = data_dir.join("accounts.json.tmp");
    std::fs::write(&temp, json)?;
    std::fs::rename(temp, path)?;
    Ok(())
}

fn saved_accounts(data_dir: &Path) -> Vec<Account> {
    std::fs::read(data_dir.join("accounts.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

impl Store {
    /// Opens the cache, or, if it is damaged, moves it aside, makes a new one and rescues what
    /// it can (see the module's documentation).
    pub fn open_or_recover(path: &Path) -> Result<(Self, Option<Recovery>)> {
        let marked = damaged_marker(path).exists();
        if !marked {
            match Self::open(path).and_then(|store| store.sanity().map(|()| store)) {
                Ok(store) => return Ok((store, None)),
                Err(error) if is_damage(&error) => {
                    tracing::error!(%error, "the local database is damaged; rebuilding it");
                }
                Err(error) => return Err(error),
            }
        }
        let data_dir = path.parent().unwrap_or(Path::new("."));
        if super::owner::held_elsewhere(data_dir) {
            return Err(Error::DamagedInUse);
        }
        let stamp = crate::now_ms();
        let moved_to = path.with_extension(format!("db.damaged-{stamp}"));
        // On Windows a file another program has open (a backup tool, a virus scanner) cannot
        // be renamed: nothing is changed then, and the next start tries again.
        std::fs::rename(path, &moved_to).map_err(|error| {
            std::io::Error::new(
                error.kind(),
                format!(
                    "the local database is damaged and could not be moved aside ({error}); close any program that has {} open and start again (nothing was changed)",
                    path.display()
                ),
            )
        })?;
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", path.display()));
            if side.exists() {
                let _ = std::fs::rename(&side, PathBuf::from(format!("{}{suffix}", moved_to.display())));
            }
        }
        let _ = std::fs::remove_file(damaged_marker(path));
        let store = Self::open(path)?;
        let recovery = store.rescue(&moved_to, data_dir);
        tracing::warn!("{}", recovery.message());
        Ok((store, Some(recovery)))
    }

    /// Cheap reads of the first page of each small table, which fail on a file that is not a
    /// sound database (deeper damage is the background check's).
    fn sanity(&self) -> Result<()> {
        let conn = self.reader();
        for table in ["accounts", "outbox", "drafts", "conversations"] {
            conn.query_row(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), [], |r| {
                r.get::<_, bool>(0)
            })?;
        }
        Ok(())
    }

    fn rescue(&self, old: &Path, data_dir: &Path) -> Recovery {
        let mut recovery = Recovery {
            moved_to: old.to_path_buf(),
            accounts: 0,
            queued: 0,
            drafts: 0,
        };
        let attached = self.write(|tx| {
            tx.execute("ATTACH DATABASE ?1 AS old", [old.display().to_string()])?;
            Ok(())
        });
        // Each part on its own: what cannot be read is skipped, the rest is kept.
        let copy = |sql: &str| -> usize {
            if attached.is_err() {
                return 0;
            }
            self.write(|tx| Ok(tx.execute(sql, [])?)).unwrap_or(0)
        };
        recovery.accounts = copy(
            "INSERT OR IGNORE INTO accounts (id, server_url, dialect, user_id, user_name, created_at)
             SELECT id, server_url, dialect, user_id, user_name, created_at FROM old.accounts",
        );
        copy(
            "INSERT OR IGNORE INTO conversations SELECT * FROM old.conversations WHERE id LIKE 'local:%'
             AND account_id IN (SELECT id FROM accounts)",
        );
        recovery.queued =
            copy("INSERT OR IGNORE INTO outbox SELECT * FROM old.outbox WHERE account_id IN (SELECT id FROM accounts)");
        copy(
            "INSERT OR IGNORE INTO messages (account_id, conversation_id, id, client_id, sender_id, body, reactions,
                 attachments, read_at, created_at, edited_at, delivery, failure)
             SELECT account_id, conversation_id, id, client_id, sender_id, body, reactions, attachments, read_at,
                 created_at, edited_at, delivery, failure
             FROM old.messages WHERE client_id IN (SELECT client_id FROM outbox)",
        );
        recovery.drafts =
            copy("INSERT OR IGNORE INTO drafts SELECT * FROM old.drafts WHERE account_id IN (SELECT id FROM accounts)");
        if attached.is_ok() {
            let _ = self.write(|tx| {
                tx.execute("DETACH DATABASE old", [])?;
                Ok(())
            });
        }
        // The database could not give its accounts: the copy kept beside it can.
        if recovery.accounts == 0 {
            for account in saved_accounts(data_dir) {
                if self.insert_account(&account).is_ok() {
                    recovery.accounts += 1;
                }
            }
        }
        recovery
    }

    /// Looks for damage anywhere in the file, at most once a day, on a thread of its own and
    /// after `delay` (a large cache takes a while, and startup comes first). Damage found is
    /// marked, and handled at the next start.
    pub fn check_in_background(&self, delay: std::time::Duration) {
        const DAY_MS: i64 = 24 * 3600 * 1000;
        let last: i64 = self
            .setting("db_checked_at")
            .ok()
            .flatten()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if crate::now_ms() - last < DAY_MS {
            return;
        }
        let _ = self.set_setting("db_checked_at", &crate::now_ms().to_string());
        let path = self.path.clone();
        let spawned = std::thread::Builder::new()
            .name("confab-db-check".into())
            .spawn(move || {
                std::thread::sleep(delay);
                let Ok(conn) = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
                    return;
                };
                let verdict: rusqlite::Result<String> = conn.query_row("PRAGMA quick_check", [], |r| r.get(0));
                match verdict {
                    Ok(ok) if ok == "ok" => {}
                    other => {
                        tracing::error!(?other, "the local database is damaged; it is rebuilt at the next start");
                        let _ = std::fs::write(damaged_marker(&path), b"");
                    }
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "could not start the database check");
        }
    }
}
