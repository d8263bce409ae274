//! The changes between two reads of a window of the conversation list, so that a list on screen
//! follows the cache with a few rows over IPC instead of the whole window on every event.
//!
//! Rows are matched by key (account and conversation id). The rows the two windows keep in the
//! same order (a longest common subsequence of keys) stay; the others are removed or inserted;
//! a kept row whose content changed is updated. A conversation that moves to the top on a new
//! message is one removal, one insertion. Applied in order, the changes turn the old rows into
//! the new ones: removals by index in the old rows from the last one back, then insertions by
//! index in the new rows from the first one on, then updates by index in the new rows.

use serde::{Deserialize, Serialize};

use crate::model::{Conversation, ConversationWindow};

/// One change to the rows of a [`ConversationWindow`], in the order [`ConversationWindow::changes_to`] gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum WindowChange {
    /// The row at `index` goes.
    Remove { index: usize },
    /// `row` comes in at `index`, moving the rows from there down by one.
    Insert { index: usize, row: Conversation },
    /// The row at `index` is now `row` (the same conversation, changed).
    Update { index: usize, row: Conversation },
}

impl ConversationWindow {
    /// What turns this window's rows into `newer`'s, applied in order.
    pub fn changes_to(&self, newer: &ConversationWindow) -> Vec<WindowChange> {
        let key = |c: &Conversation| (c.account_id.clone(), c.id.clone());
        edits(&self.rows, &newer.rows, key)
            .into_iter()
            .map(|edit| match edit {
                Edit::Remove(index) => WindowChange::Remove { index },
                Edit::Insert(index) => WindowChange::Insert {
                    index,
                    row: newer.rows[index].clone(),
                },
                Edit::Update(index) => WindowChange::Update {
                    index,
                    row: newer.rows[index].clone(),
                },
            })
            .collect()
    }
}

/// An edit of [`edits`]: `Remove` indexes the old rows, `Insert` and `Update` the new ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    Remove(usize),
    Insert(usize),
    Update(usize),
}

/// The edits that turn `old` into `new`, rows matched by `key` (unique within each slice).
/// Quadratic in the window's length, which is a screenful or two of rows.
fn edits<T: PartialEq, K: Eq>(old: &[T], new: &[T], key: impl Fn(&T) -> K) -> Vec<Edit> {
    let old_keys: Vec<K> = old.iter().map(&key).collect();
    let new_keys: Vec<K> = new.iter().map(&key).collect();
    // lcs[i][j]: the longest common subsequence of old_keys[i..] and new_keys[j..].
    let width = new.len() + 1;
    let mut lcs = vec![0u32; (old.len() + 1) * width];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            lcs[i * width + j] = if old_keys[i] == new_keys[j] {
                lcs[(i + 1) * width + j + 1] + 1
            } else {
                lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
            };
        }
    }
    let (mut kept_old, mut kept_new) = (vec![false; old.len()], vec![false; new.len()]);
    let (mut i, mut j) = (0, 0);
    let mut updates = Vec::new();
    while i < old.len() && j < new.len() {
        if old_keys[i] == new_keys[j] {
            kept_old[i] = true;
            kept_new[j] = true;
            if old[i] != new[j] {
                updates.push(Edit::Update(j));
            }
            i += 1;
            j += 1;
        } else if lcs[(i + 1) * width + j] >= lcs[i * width + j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    let removals = (0..old.len()).rev().filter(|&i| !kept_old[i]).map(Edit::Remove);
    let insertions = (0..new.len()).filter(|&j| !kept_new[j]).map(Edit::Insert);
    removals.chain(insertions).chain(updates).collect()
}

#[cfg(test)]
mod tests {
    use super::{edits, Edit};

    /// Rows as (key, content).
    type Row = (u8, u8);

    fn apply(old: &[Row], new: &[Row], edits: &[Edit]) -> Vec<Row> {
        let mut rows = old.to_vec();
        for edit in edits {
            match *edit {
                Edit::Remove(i) => {
                    rows.remove(i);
                }
                Edit::Insert(j) => rows.insert(j, new[j]),
                Edit::Update(j) => rows[j] = new[j],
            }
        }
        rows
    }

    fn check(old: &[Row], new: &[Row]) -> Vec<Edit> {
        let found = edits(old, new, |r| r.0);
        assert_eq!(apply(old, new, &found), new, "{old:?} -> {new:?} by {found:?}");
        found
    }

    #[test]
    fn a_row_moving_to_the_top_is_one_removal_and_one_insertion() {
        let old: Vec<Row> = (0..60).map(|k| (k, 0)).collect();
        let mut new = old.clone();
        let moved = new.remove(41);
        new.insert(0, (moved.0, 1));
        assert_eq!(check(&old, &new), [Edit::Remove(41), Edit::Insert(0)]);
    }

    #[test]
    fn a_changed_row_in_place_is_one_update_and_nothing_else() {
        let old: Vec<Row> = (0..60).map(|k| (k, 0)).collect();
        let mut new = old.clone();
        new[7].1 = 9;
        assert_eq!(check(&old, &new), [Edit::Update(7)]);
        assert_eq!(check(&old, &old), []);
    }

    #[test]
    fn a_window_shifted_by_a_new_conversation_loses_its_last_row() {
        let old: Vec<Row> = (1..61).map(|k| (k, 0)).collect();
        let new: Vec<Row> = (0..60).map(|k| (k, 0)).collect();
        assert_eq!(check(&old, &new), [Edit::Remove(59), Edit::Insert(0)]);
    }

    #[test]
    fn any_two_windows_are_bridged_exactly() {
        // A small deterministic generator: windows of up to 12 rows drawn from 16 keys, with
        // contents that change now and then.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |bound: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % bound
        };
        let window = |next: &mut dyn FnMut(u64) -> u64| {
            let mut keys: Vec<u8> = (0..16).collect();
            for i in (1..keys.len()).rev() {
                keys.swap(i, next(i as u64 + 1) as usize);
            }
            keys.truncate(next(13) as usize);
            keys.into_iter().map(|k| (k, next(3) as u8)).collect::<Vec<Row>>()
        };
        for _ in 0..5_000 {
            let old = window(&mut next);
            let new = window(&mut next);
            let found = check(&old, &new);
            let changed = |j: usize| old.iter().any(|r| r.0 == new[j].0 && r.1 != new[j].1);
            assert!(
                found.iter().all(|e| !matches!(*e, Edit::Update(j) if !changed(j))),
                "an unchanged row updated: {old:?} -> {new:?} by {found:?}"
            );
        }
    }
}
