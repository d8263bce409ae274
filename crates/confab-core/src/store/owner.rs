//! Which process owns an outbox operation while it delivers it. Each client holds an exclusive
//! lock on a file of its own under the profile (`owners/<id>.lock`) for as long as it runs; a
//! claim by an owner whose file is no longer locked is a claim by a process that is gone.

use std::{
    fs::{File, TryLockError},
    path::{Path, PathBuf},
};

/// This process's identity as an owner of outbox operations.
#[derive(Debug)]
pub struct Owner {
    id: String,
    dir: PathBuf,
    file: Option<File>,
}

impl Owner {
    /// A new owner under `data_dir`, its lock held until it is dropped.
    pub fn new(data_dir: &Path) -> std::io::Result<Self> {
        let dir = data_dir.join("owners");
        std::fs::create_dir_all(&dir)?;
        let id = crate::new_client_id();
        let file = File::create(dir.join(format!("{id}.lock")))?;
        file.lock()?;
        Ok(Self {
            id,
            dir,
            file: Some(file),
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether the owner `other` is still running. Its lock file, if it can be locked here, was
    /// left by a process that ended (or was killed); it is removed then.
    pub fn is_alive(&self, other: &str) -> bool {
        if other == self.id {
            return true;
        }
        let safe = !other.is_empty() && other.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !safe {
            return false;
        }
        let path = self.dir.join(format!("{other}.lock"));
        match lock_state(&path) {
            Some(true) => true,
            Some(false) => {
                let _ = std::fs::remove_file(&path);
                false
            }
            None => false,
        }
    }
}

/// Whether another open handle (this process's or a running one's) holds the lock on `path`;
/// `None` when the file cannot be opened or locked at all. The file is closed on return.
fn lock_state(path: &Path) -> Option<bool> {
    let file = File::options().read(true).write(true).open(path).ok()?;
    match file.try_lock() {
        Ok(()) => {
            let _ = file.unlock();
            Some(false)
        }
        Err(TryLockError::WouldBlock) => Some(true),
        Err(TryLockError::Error(_)) => None,
    }
}

/// Whether a running process holds an owner's lock under `data_dir`: the profile is open
/// elsewhere (the app, or `confab-cli`). Files of processes that ended are left alone.
pub fn held_elsewhere(data_dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(data_dir.join("owners")) else {
        return false;
    };
    entries
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .any(|path| path.extension().is_some_and(|ext| ext == "lock") && lock_state(&path) == Some(true))
}

impl Drop for Owner {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            let _ = file.unlock();
            drop(file);
            let _ = std::fs::remove_file(self.dir.join(format!("{}.lock", self.id)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Owner;

    #[test]
    fn an_owner_is_alive_until_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = Owner::new(dir.path()).expect("first");
        let second = Owner::new(dir.path()).expect("second");
        assert!(second.is_alive(first.id()));
        let id = first.id().to_string();
        drop(first);
        assert!(!second.is_alive(&id));
        assert!(!second.is_alive("../escape"), "ids are names, never paths");
    }

    #[test]
    fn a_profile_is_held_elsewhere_while_an_owner_lives() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(!super::held_elsewhere(dir.path()), "no owners yet");
        let owner = Owner::new(dir.path()).expect("owner");
        assert!(super::held_elsewhere(dir.path()));
        drop(owner);
        std::fs::write(dir.path().join("owners").join("gone.lock"), b"").expect("a file left behind");
        assert!(
            !super::held_elsewhere(dir.path()),
            "an unlocked file is a process that ended"
        );
    }
}
