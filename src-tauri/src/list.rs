//! The conversation list as the UI holds it: the window of rows it last received, so that when
//! the core says something changed, the answer carries only the rows that differ.
//!
//! The UI asks for a stretch of the list and says which version of it it holds. When that is
//! the version kept here, for the same stretch, the answer is the changes from it
//! ([`WindowChange`]); otherwise (first read, scrolled elsewhere, another filter, an answer
//! lost or reordered) it is the whole window. Either way the answer carries the new version.

use std::sync::Mutex;

use confab_core::{model::ConversationWindow, window::WindowChange, ConversationFilter};
use serde::Serialize;

/// The answer to `list_window`.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ListUpdate {
    /// The window, to replace what the UI holds.
    #[serde(rename_all = "camelCase")]
    Whole { version: u64, window: ConversationWindow },
    /// What changed since `from`, which the UI holds, to apply in order.
    #[serde(rename_all = "camelCase")]
    Changes {
        from: u64,
        version: u64,
        total: usize,
        changes: Vec<WindowChange>,
    },
}

#[derive(Debug, PartialEq)]
struct Stretch {
    filter: ConversationFilter,
    offset: usize,
    limit: usize,
}

struct Kept {
    version: u64,
    stretch: Stretch,
    window: ConversationWindow,
}

/// The last window sent to the UI.
#[derive(Default)]
pub struct ListView {
    kept: Mutex<Option<Kept>>,
}

impl ListView {
    /// What to send for a fresh read of a stretch, to a UI that holds version `have`.
    pub fn update(
        &self,
        have: Option<u64>,
        filter: ConversationFilter,
        offset: usize,
        limit: usize,
        window: ConversationWindow,
    ) -> ListUpdate {
        let stretch = Stretch { filter, offset, limit };
        let mut kept = self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let version = kept.as_ref().map_or(1, |k| k.version + 1);
        let update = match kept.as_ref() {
            Some(k) if have == Some(k.version) && k.stretch == stretch => ListUpdate::Changes {
                from: k.version,
                version,
                total: window.total,
                changes: k.window.changes_to(&window),
            },
            _ => ListUpdate::Whole {
                version,
                window: window.clone(),
            },
        };
        *kept = Some(Kept {
            version,
            stretch,
            window,
        });
        update
    }
}

#[cfg(test)]
mod tests {
    use confab_core::{model::ConversationWindow, ConversationFilter};
    use serde_json::json;

    use super::{ListUpdate, ListView};

    fn window(offset: usize, ids: &[&str], total: usize) -> ConversationWindow {
        let rows = ids
            .iter()
            .map(|id| {
                serde_json::from_value(json!({
                    "accountId": "a", "id": id, "kind": "direct", "title": null, "participants": [],
                    "source": null, "locked": false, "pinned": false, "muted": false, "archivedAt": null,
                    "localFlags": { "pinned": false, "muted": false, "archived": false },
                    "pinnedMessageId": null, "unread": 0, "lastMessage": null, "lastActivityAt": 0,
                    "createdAt": 0, "historyComplete": false, "extra": null
                }))
                .expect("a conversation")
            })
            .collect();
        ConversationWindow { total, offset, rows }
    }

    #[test]
    fn changes_only_from_the_version_the_ui_holds_for_the_same_stretch() {
        let view = ListView::default();
        let all = ConversationFilter::All;
        let first = view.update(None, all, 0, 3, window(0, &["x", "y", "z"], 5));
        assert!(matches!(&first, ListUpdate::Whole { version: 1, window } if window.rows.len() == 3));

        // z moved to the top: one removal, one insertion, and the new count.
        let moved = view.update(Some(1), all, 0, 3, window(0, &["z", "x", "y"], 6));
        let ListUpdate::Changes {
            from: 1,
            version: 2,
            total: 6,
            changes,
        } = moved
        else {
            panic!("changes expected: {moved:?}")
        };
        assert_eq!(changes.len(), 2, "{changes:?}");

        // A UI that holds an older version, another stretch or another filter gets the whole window.
        let stale = view.update(Some(1), all, 0, 3, window(0, &["z", "x", "y"], 6));
        assert!(matches!(stale, ListUpdate::Whole { version: 3, .. }), "{stale:?}");
        let scrolled = view.update(Some(3), all, 2, 3, window(2, &["y", "q", "r"], 6));
        assert!(matches!(scrolled, ListUpdate::Whole { version: 4, .. }), "{scrolled:?}");
        let unread = view.update(Some(4), ConversationFilter::Unread, 2, 3, window(2, &["y"], 3));
        assert!(matches!(unread, ListUpdate::Whole { version: 5, .. }), "{unread:?}");
        let same = view.update(Some(5), ConversationFilter::Unread, 2, 3, window(2, &["y"], 3));
        assert_eq!(
            same,
            ListUpdate::Changes {
                from: 5,
                version: 6,
                total: 3,
                changes: vec![]
            }
        );
    }
}
