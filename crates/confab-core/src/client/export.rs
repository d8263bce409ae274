//! Export to a readable file: a conversation, or a search's results, as one HTML page with the
//! attachments beside it. The app and the CLI both export through here. Every piece of text
//! from a server (names, titles, bodies, file names) is escaped, so the page shows it and can
//! never run it; the page also forbids scripts outright.

use std::{collections::HashMap, fmt::Write as _, path::Path};

use super::*;

/// The page's name in the export folder.
pub const EXPORT_PAGE: &str = "conversation.html";
/// The folder beside it that holds the attachments.
pub const EXPORT_FILES: &str = "files";
/// The largest attachment an export downloads (as the app's Save does).
const EXPORT_FILE_BYTES: usize = MAX_UPLOAD_BYTES;

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Exported {
    /// The HTML page.
    pub path: String,
    pub messages: usize,
    /// Attachments written beside it.
    pub files: usize,
    /// Attachments that could not be fetched (offline, too large, gone): named on the page.
    pub files_missing: usize,
}

/// One message on the page.
struct Entry {
    /// Where it was said, for a search's results (a conversation's page has one heading).
    context: Option<String>,
    message: Message,
}

impl Client {
    /// Writes a conversation's cached messages, oldest first, to `folder/conversation.html`,
    /// and its attachments to `folder/files/` (fetched from the server where not on this
    /// device; what cannot be fetched is named on the page as missing).
    pub async fn export_html(&self, account_id: &str, conversation_id: &str, folder: &Path) -> Result<Exported> {
        let conversation = self.conversation(account_id, conversation_id)?;
        let title = self.conversation_name(&conversation);
        let mut messages = Vec::new();
        let mut before = None;
        loop {
            let page = self.messages(account_id, conversation_id, before, 500)?;
            messages.push(page.messages);
            match page.older {
                Some(older) => before = Some(older),
                None => break,
            }
        }
        let entries = messages
            .into_iter()
            .rev()
            .flatten()
            .map(|message| Entry { context: None, message })
            .collect();
        self.write_export(&title, entries, folder).await
    }

    /// Writes the messages a search finds (up to `limit`, newest first as search gives them),
    /// each with the conversation it is in, like [`Self::export_html`].
    pub async fn export_search_html(
        &self,
        query: &str,
        filter: &SearchFilter,
        limit: usize,
        folder: &Path,
    ) -> Result<Exported> {
        let hits = self.search(query, filter, limit)?;
        let mut titles: HashMap<(String, String), String> = HashMap::new();
        let mut entries = Vec::with_capacity(hits.len());
        for hit in hits {
            let Ok(message) = self.message(&hit.account_id, &hit.message_id) else {
                continue;
            };
            let key = (hit.account_id.clone(), hit.conversation_id.clone());
            let context = match titles.get(&key) {
                Some(title) => title.clone(),
                None => {
                    let title = self
                        .conversation(&hit.account_id, &hit.conversation_id)
                        .map_or_else(|_| hit.conversation_id.clone(), |c| self.conversation_name(&c));
                    titles.insert(key, title.clone());
                    title
                }
            };
            entries.push(Entry {
                context: Some(context),
                message,
            });
        }
        self.write_export(&format!("Search: {query}"), entries, folder).await
    }

    /// A conversation's title, or the other people's names.
    pub fn conversation_name(&self, conversation: &Conversation) -> String {
        if let Some(title) = conversation.title.as_ref().filter(|t| !t.trim().is_empty()) {
            return title.clone();
        }
        let me = self
            .account(&conversation.account_id)
            .map(|a| a.user_id)
            .unwrap_or_default();
        let people = self.people(&conversation.account_id).unwrap_or_default();
        let names: Vec<String> = conversation
            .participants
            .iter()
            .filter(|p| **p != me)
            .map(|id| {
                people
                    .iter()
                    .find(|p| p.id == *id)
                    .map_or_else(|| id.clone(), |p| p.name.clone())
            })
            .collect();
        if names.is_empty() {
            "Conversation".to_string()
        } else {
            names.join(", ")
        }
    }

    async fn write_export(&self, title: &str, entries: Vec<Entry>, folder: &Path) -> Result<Exported> {
        let files_dir = folder.join(EXPORT_FILES);
        std::fs::create_dir_all(&files_dir)?;
        let mut names: HashMap<String, HashMap<String, String>> = HashMap::new();
        let mut exported = Exported {
            path: folder.join(EXPORT_PAGE).display().to_string(),
            messages: entries.len(),
            files: 0,
            files_missing: 0,
        };
        let mut body = String::new();
        for (index, entry) in entries.iter().enumerate() {
            let m = &entry.message;
            let people = names.entry(m.account_id.clone()).or_insert_with(|| {
                self.people(&m.account_id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| (p.id, p.name))
                    .collect()
            });
            let sender = people.get(&m.sender_id).cloned().unwrap_or_else(|| m.sender_id.clone());
            let _ = write!(
                body,
                "<article><header><strong>{}</strong> <time datetime=\"{}\">{}</time>",
                html(&sender),
                html(&iso(m.created_at)),
                html(&local(m.created_at)),
            );
            if let Some(context) = &entry.context {
                let _ = write!(body, " <span class=\"in\">in {}</span>", html(context));
            }
            if m.edited_at.is_some() {
                body.push_str(" <span class=\"in\">(edited)</span>");
            }
            let _ = write!(
                body,
                "</header><p dir=\"auto\">{}</p>",
                html(&m.body).replace('\n', "<br>")
            );
            for attachment in &m.attachments {
                let name = safe_file_name(attachment.name.as_deref().unwrap_or("attachment"));
                match self
                    .attachment(&m.account_id, &m.id, &attachment.id, EXPORT_FILE_BYTES)
                    .await
                {
                    Ok((bytes, kind, _)) => {
                        let file = format!("{index:05}-{name}");
                        std::fs::write(files_dir.join(&file), bytes)?;
                        exported.files += 1;
                        let href = format!("{EXPORT_FILES}/{}", url_path(&file));
                        if matches!(kind.as_str(), "image/png" | "image/jpeg" | "image/gif" | "image/webp") {
                            let _ = write!(
                                body,
                                "<figure><a href=\"{href}\"><img src=\"{href}\" alt=\"{}\"></a></figure>",
                                html(&name)
                            );
                        } else {
                            let _ = write!(body, "<p class=\"file\">📎 <a href=\"{href}\">{}</a></p>", html(&name));
                        }
                    }
                    Err(error) => {
                        exported.files_missing += 1;
                        tracing::warn!(%error, "an attachment could not be exported");
                        let _ = write!(
                            body,
                            "<p class=\"file missing\">📎 {} (not exported: {})</p>",
                            html(&name),
                            html(&error.to_string())
                        );
                    }
                }
            }
            body.push_str("</article>\n");
        }
        let page = format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' file:\">\n\
             <meta name=\"viewport\" content=\"width=device-width\">\n<title>{title}</title>\n<style>{STYLE}</style></head>\n\
             <body><h1>{title}</h1><p class=\"in\">{count} · exported by Confab {at}</p>\n{body}</body></html>\n",
            title = html(title),
            count = if entries.len() == 1 {
                "1 message".to_string()
            } else {
                format!("{} messages", entries.len())
            },
            at = html(&local(now_ms())),
        );
        let path = folder.join(EXPORT_PAGE);
        std::fs::write(&path, page)?;
        Ok(exported)
    }
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1f2328}\
article{border-top:1px solid #d0d7de;padding:.6rem 0}header{margin-bottom:.2rem}time,.in{color:#57606a;font-size:.85em}\
p{margin:.2rem 0;white-space:normal;overflow-wrap:anywhere}img{max-width:100%;max-height:24rem}.missing{color:#9a6700}\
@media(prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}time,.in{color:#9198a1}article{border-color:#30363d}}";

/// Text as HTML shows it: every character that could start markup is escaped.
fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A file name as a relative URL path: everything but unreserved characters percent-encoded.
fn url_path(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn local(ms: i64) -> String {
    use chrono::TimeZone as _;
    match chrono::Local.timestamp_millis_opt(ms) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.format("%Y-%m-%d %H:%M").to_string(),
        chrono::LocalResult::None => iso(ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_servers_cannot_become_markup() {
        assert_eq!(
            html("<img src=x onerror=\"alert(1)\"> & 'q'"),
            "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#39;q&#39;"
        );
        assert_eq!(html("bell\u{7}"), "bell\u{FFFD}");
        assert_eq!(url_path("00001-map of ü.png"), "00001-map%20of%20%C3%BC.png");
    }
}
