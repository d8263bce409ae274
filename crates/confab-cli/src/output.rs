//! What the CLI prints: plain text for people, JSON Lines and Markdown for export.

use std::{collections::HashMap, io::Write};

use confab_core::{
    model::{Account, Conversation, Delivery, Message, SearchHit, MATCH_END, MATCH_START},
    Client, ConversationFilter,
};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

/// Text from a server, made safe to print: control characters (C0, DEL, C1: escape sequences
/// start with them) and the characters that reorder text (bidi overrides and isolates) become
/// U+FFFD, a tab a space. Nothing a stranger writes can move the cursor, recolour the
/// terminal, set its title, or make text read other than it is.
pub fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() || reorders(c) => '\u{FFFD}',
            c => c,
        })
        .collect()
}

fn reorders(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// JSON as `serde_json` writes it, with DEL, C1 and reordering characters also written as
/// `\uXXXX` escapes (the same JSON, safe on a terminal).
fn json_safe(json: String) -> String {
    if !json.chars().any(|c| c.is_control() || reorders(c)) {
        return json;
    }
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_control() || reorders(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

fn when(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| ms.to_string())
}

/// A UTC instant in the machine's time zone, as people read it: `2026-12-07 09:00 +01:00`.
pub fn local_time(ms: i64) -> String {
    use chrono::TimeZone;
    match chrono::Local.timestamp_millis_opt(ms) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            t.format("%Y-%m-%d %H:%M %:z").to_string()
        }
        chrono::LocalResult::None => when(ms),
    }
}

/// Saved messages: message id, its time, conversation, "gone" if no longer cached, text;
/// tab-separated.
pub fn saved(list: &[confab_core::model::SavedMessage]) {
    for item in list {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            clean(&item.message_id),
            local_time(item.created_at),
            clean(&item.conversation_id),
            if item.gone { "gone" } else { "" },
            clean(&item.body)
        );
    }
}

/// Messages to send later: id, due, conversation, state, text; tab-separated.
pub fn scheduled(list: &[confab_core::model::ScheduledMessage]) {
    for item in list {
        let state = match item.released_at {
            None => "waiting".to_string(),
            Some(at) if at - item.due_at > 60_000 => format!("sent {} (late: Confab was not running)", local_time(at)),
            Some(at) => format!("sent {}", local_time(at)),
        };
        let files = if item.files.is_empty() {
            String::new()
        } else {
            format!(" [+{} file(s)]", item.files.len())
        };
        println!(
            "{}\t{}\t{}\t{}\t{}{}",
            clean(&item.client_id),
            local_time(item.due_at),
            clean(&item.conversation_id),
            state,
            clean(&item.body),
            files
        );
    }
}

pub fn reminders(list: &[confab_core::model::Reminder]) {
    for item in list {
        let state = match item.fired_at {
            None => "waiting".to_string(),
            Some(at) => format!("reminded {}", local_time(at)),
        };
        println!(
            "{}\t{}\t{}\t{}\t{}",
            clean(&item.id),
            local_time(item.due_at),
            clean(&item.conversation_id),
            state,
            clean(&item.body)
        );
    }
}

pub fn quiet(quiet: &confab_core::model::Quiet) {
    match (quiet.paused_until, quiet.quiet_until) {
        (Some(until), _) => println!("paused until {}", local_time(until)),
        (None, Some(until)) => println!("quiet hours until {}", local_time(until)),
        (None, None) => println!("notifications on"),
    }
    let schedule = &quiet.schedule;
    if schedule.enabled {
        const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let days: Vec<&str> = schedule
            .days
            .iter()
            .filter_map(|d| DAYS.get(usize::from(*d)).copied())
            .collect();
        println!(
            "quiet hours: {:02}:{:02} to {:02}:{:02}, starting {}",
            schedule.from / 60,
            schedule.from % 60,
            schedule.to / 60,
            schedule.to % 60,
            days.join(" ")
        );
    }
    if quiet.held > 0 {
        println!("{} message(s) held, summed up when the quiet ends", quiet.held);
    }
}

fn names(client: &Client, account_id: &str) -> HashMap<String, String> {
    client
        .people(account_id)
        .unwrap_or_default()
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect()
}

pub fn title(client: &Client, conversation: &Conversation) -> String {
    if let Some(title) = &conversation.title {
        return title.clone();
    }
    let account = client.account(&conversation.account_id).ok();
    let names = names(client, &conversation.account_id);
    let others: Vec<String> = conversation
        .participants
        .iter()
        .filter(|p| account.as_ref().is_none_or(|a| a.user_id != **p))
        .map(|p| names.get(p).cloned().unwrap_or_else(|| p.clone()))
        .collect();
    let mut title = others.join(", ");
    if let Some(source) = &conversation.source {
        title.push_str(&format!(" ({} {})", source.kind.to_lowercase(), source.id));
    }
    title
}

pub fn conversations(client: &Client, list: &[Conversation]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for c in list {
        let mut marks = String::new();
        if c.pinned {
            marks.push_str(" pinned");
        }
        if c.muted {
            marks.push_str(" muted");
        }
        if c.locked {
            marks.push_str(" locked");
        }
        let unread = if c.unread > 0 {
            format!(" [{} unread]", c.unread)
        } else {
            String::new()
        };
        let last = c.last_message.as_ref().map(|m| preview(&m.body)).unwrap_or_default();
        writeln!(
            out,
            "{}\t{}{unread}{marks}\t{}",
            clean(&c.id),
            clean(&title(client, c)),
            clean(&last)
        )?;
    }
    Ok(())
}

fn preview(body: &str) -> String {
    let line: String = body.lines().next().unwrap_or_default().chars().take(60).collect();
    if line.len() < body.len() {
        format!("{line}…")
    } else {
        line
    }
}

pub fn messages(client: &Client, account: &Account, messages: &[Message]) -> anyhow::Result<()> {
    let names = names(client, &account.id);
    let mut out = std::io::stdout().lock();
    for m in messages {
        let who = names.get(&m.sender_id).cloned().unwrap_or_else(|| m.sender_id.clone());
        let state = match &m.delivery {
            Delivery::Sent => String::new(),
            Delivery::Pending => " (pending)".into(),
            Delivery::Failed { reason } => format!(" (failed: {})", clean(reason)),
        };
        let edited = if m.edited_at.is_some() { " (edited)" } else { "" };
        writeln!(
            out,
            "[{}] {}{edited}{state}  {}",
            when(m.created_at),
            clean(&who),
            clean(&m.id)
        )?;
        for line in m.body.lines() {
            writeln!(out, "    {}", clean(line))?;
        }
        if !m.reactions.is_empty() {
            let reactions: Vec<String> = m
                .reactions
                .iter()
                .map(|(e, who)| format!("{} {}", clean(e), who.len()))
                .collect();
            writeln!(out, "    {}", reactions.join("  "))?;
        }
    }
    Ok(())
}

pub fn hits(hits: &[SearchHit]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for hit in hits {
        writeln!(
            out,
            "{}\t{}\t{}\t{}",
            when(hit.created_at),
            clean(&hit.conversation_id),
            clean(&hit.message_id),
            clean(&hit.snippet.replace(MATCH_START, "[").replace(MATCH_END, "]"))
        )?;
    }
    Ok(())
}

fn all_messages(client: &Client, account: &Account, conversation: &str) -> anyhow::Result<Vec<Message>> {
    let mut cursor = None;
    let mut pages = Vec::new();
    loop {
        let page = client.messages(&account.id, conversation, cursor, 500)?;
        pages.push(page.messages);
        match page.older {
            Some(older) => cursor = Some(older),
            None => break,
        }
    }
    Ok(pages.into_iter().rev().flatten().collect())
}

/// One JSON object per message, oldest first.
pub fn export_jsonl(client: &Client, account: &Account, conversation: &str) -> anyhow::Result<String> {
    let mut text = String::new();
    for message in all_messages(client, account, conversation)? {
        text.push_str(&json_safe(serde_json::to_string(&message)?));
        text.push('\n');
    }
    Ok(text)
}

/// A readable transcript. Message text is quoted so it cannot become Markdown structure.
pub fn export_markdown(client: &Client, account: &Account, conversation: &str) -> anyhow::Result<String> {
    let names = names(client, &account.id);
    let c = client.conversation(&account.id, conversation)?;
    let mut text = format!("# {}\n\n", escape(&clean(&title(client, &c))));
    for m in all_messages(client, account, conversation)? {
        let who = names.get(&m.sender_id).cloned().unwrap_or_else(|| m.sender_id.clone());
        text.push_str(&format!("**{}** · {}\n\n", escape(&clean(&who)), when(m.created_at)));
        for line in m.body.lines() {
            text.push_str(&format!("> {}\n", escape(&clean(line))));
        }
        text.push('\n');
    }
    Ok(text)
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// What downloading in the background means for an account, in a sentence.
pub fn background_reads(on: bool, reads_mark_read: bool) -> &'static str {
    match (on, reads_mark_read) {
        (_, false) => "new messages are downloaded in the background: this server's reads leave them unread",
        (true, true) => {
            "new messages are downloaded in the background; this server shows them read as soon as they are downloaded"
        }
        (false, true) => {
            "new messages are downloaded when their conversation is opened in the app; the server keeps them unread until then"
        }
    }
}

pub fn status(client: &Client) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let outbox = client.outbox(None)?;
    for account in client.accounts()? {
        let synced: Option<i64> = client.store().last_synced_at(&account.id).ok().flatten();
        let conversations = client.conversations(Some(&account.id), ConversationFilter::All)?.len();
        let pending = outbox
            .iter()
            .filter(|i| i.account_id == account.id && i.failure.is_none())
            .count();
        let failed = outbox
            .iter()
            .filter(|i| i.account_id == account.id && i.failure.is_some())
            .count();
        writeln!(
            out,
            "{} {} as {} on {}: {conversations} conversation(s), last synced {}, outbox: {pending} pending, {failed} failed",
            account.id,
            account.dialect.as_str(),
            clean(&account.user_name),
            clean(&account.server_url),
            synced.map_or_else(|| "never".to_string(), when),
        )?;
        let capabilities = client.capabilities(&account.id)?;
        for missing in &capabilities.missing {
            writeln!(out, "  {missing}")?;
        }
        writeln!(
            out,
            "  {}",
            background_reads(account.background_reads, capabilities.reads_mark_read)
        )?;
        for item in outbox
            .iter()
            .filter(|i| i.account_id == account.id && i.failure.is_some())
        {
            writeln!(
                out,
                "  failed {} {} in {}: {}",
                item.operation,
                item.client_id,
                clean(&item.conversation_id),
                clean(item.failure.as_deref().unwrap_or_default())
            )?;
        }
    }
    Ok(())
}

/// A progress bar on a terminal; a line per tenth otherwise.
pub fn progress(label: &str, done: usize, total: usize, terminal: bool) {
    if total == 0 {
        return;
    }
    if terminal {
        let width = 30;
        let filled = done * width / total;
        eprint!(
            "\r{label}: [{}{}] {done}/{total} conversations",
            "#".repeat(filled),
            " ".repeat(width - filled)
        );
    } else if done * 10 / total != (done.saturating_sub(1)) * 10 / total || done == 0 {
        eprintln!("{label}: {done}/{total} conversations");
    }
}

#[cfg(test)]
mod tests {
    use super::{clean, json_safe};

    #[test]
    fn nothing_a_server_sends_reaches_the_terminal_as_a_control() {
        let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[2Jred\u{9b}31m\u{202e}txt.exe\ttab\u{7f}";
        let shown = clean(hostile);
        assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
        assert!(!shown.contains('\u{202e}'));
        assert!(
            shown.contains("pwned") && shown.contains("txt.exe"),
            "the text itself stays readable"
        );
        let json = json_safe(serde_json::to_string(hostile).expect("json"));
        assert!(!json.chars().any(|c| c.is_control() || c == '\u{202e}'), "{json}");
        let back: String = serde_json::from_str(&json).expect("still JSON");
        assert_eq!(back, hostile, "the same data");
    }
}
