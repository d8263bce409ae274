//! portal's automatic translation: "Messages from others are automatically translated to the
//! authenticated user's language."
//!
//! The server asks a [`Translator`]; with none configured, bodies are returned unchanged. The
//! shipped one speaks the LibreTranslate HTTP API (`POST /translate`). Translations are cached
//! per message and language; a failing translator never fails a read, the original is shown.

use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum TranslateError {
    #[error("translator unreachable: {0}")]
    Http(#[from] reqwest::Error),
    #[error("translator answered {0}")]
    Status(u16),
}

/// Something that turns text from one language into another.
pub trait Translator: Send + Sync {
    fn translate<'a>(
        &'a self,
        text: &'a str,
        from: &'a str,
        to: &'a str,
    ) -> BoxFuture<'a, Result<String, TranslateError>>;
}

/// A client of a LibreTranslate-compatible server.
pub struct LibreTranslate {
    endpoint: String,
    api_key: Option<String>,
    http: reqwest::Client,
}

impl std::fmt::Debug for LibreTranslate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LibreTranslate")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl LibreTranslate {
    /// `base_url` is the server's root, e.g. `http://127.0.0.1:5000`.
    pub fn new(base_url: &str, api_key: Option<String>) -> Result<Self, TranslateError> {
        crate::install_tls_provider();
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
        Ok(Self {
            endpoint: format!("{}/translate", base_url.trim_end_matches('/')),
            api_key,
            http,
        })
    }
}

#[derive(Deserialize)]
struct Translated {
    #[serde(rename = "translatedText")]
    translated_text: String,
}

impl Translator for LibreTranslate {
    fn translate<'a>(
        &'a self,
        text: &'a str,
        from: &'a str,
        to: &'a str,
    ) -> BoxFuture<'a, Result<String, TranslateError>> {
        Box::pin(async move {
            let mut body = serde_json::json!({ "q": text, "source": from, "target": to, "format": "text" });
            if let Some(key) = &self.api_key {
                body["api_key"] = serde_json::Value::String(key.clone());
            }
            let response = self.http.post(&self.endpoint).json(&body).send().await?;
            if !response.status().is_success() {
                return Err(TranslateError::Status(response.status().as_u16()));
            }
            Ok(response.json::<Translated>().await?.translated_text)
        })
    }
}
