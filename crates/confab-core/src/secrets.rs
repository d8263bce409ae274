//! API keys live only in the OS keyring (Secret Service on Linux, Keychain on macOS, the
//! Credential Manager on Windows), filed under the account id. Never in SQLite, files, logs
//! or `Debug` output.

use std::{collections::HashMap, sync::Mutex};

use crate::error::{Error, Result};

/// An API key. Its `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Where keys are kept.
pub trait SecretStore: Send + Sync {
    fn set(&self, account_id: &str, key: &ApiKey) -> Result<()>;
    fn get(&self, account_id: &str) -> Result<Option<ApiKey>>;
    fn delete(&self, account_id: &str) -> Result<()>;
}

/// The OS keyring.
#[derive(Debug, Clone)]
pub struct Keyring {
    service: String,
}

impl Keyring {
    /// Keys are filed under `service` (the app's identifier) and the account id.
    pub fn new(service: &str) -> Self {
        Self {
            service: service.to_string(),
        }
    }

    fn entry(&self, account_id: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, account_id).map_err(|e| Error::Keyring(e.to_string()))
    }
}

impl SecretStore for Keyring {
    fn set(&self, account_id: &str, key: &ApiKey) -> Result<()> {
        self.entry(account_id)?
            .set_password(key.expose())
            .map_err(|e| Error::Keyring(e.to_string()))
    }

    fn get(&self, account_id: &str) -> Result<Option<ApiKey>> {
        match self.entry(account_id)?.get_password() {
            Ok(key) => Ok(Some(ApiKey(key))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(Error::Keyring(e.to_string())),
        }
    }

    fn delete(&self, account_id: &str) -> Result<()> {
        match self.entry(account_id)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(Error::Keyring(e.to_string())),
        }
    }
}

/// Keys in memory, for tests of other parts and for the demo, which has throwaway keys.
#[derive(Debug, Default)]
pub struct MemorySecrets {
    keys: Mutex<HashMap<String, ApiKey>>,
}

impl SecretStore for MemorySecrets {
    fn set(&self, account_id: &str, key: &ApiKey) -> Result<()> {
        self.keys
            .lock()
            .map_err(|_| Error::Keyring("poisoned".into()))?
            .insert(account_id.to_string(), key.clone());
        Ok(())
    }

    fn get(&self, account_id: &str) -> Result<Option<ApiKey>> {
        Ok(self
            .keys
            .lock()
            .map_err(|_| Error::Keyring("poisoned".into()))?
            .get(account_id)
            .cloned())
    }

    fn delete(&self, account_id: &str) -> Result<()> {
        self.keys
            .lock()
            .map_err(|_| Error::Keyring("poisoned".into()))?
            .remove(account_id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let key = ApiKey::new("ck_supersecret");
        assert!(!format!("{key:?}").contains("supersecret"));
    }
}
