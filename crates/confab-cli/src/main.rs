//! `confab-cli`: Confab without a window, over the same core the app uses. For scripting,
//! debugging and export. API keys are read from a prompt or standard input, never from the
//! command line, and kept in the OS keyring.

mod output;

use std::{io::IsTerminal, path::PathBuf, sync::Arc};

use anyhow::{anyhow, bail, Context as _};
use clap::{Parser, Subcommand, ValueEnum};
use confab_core::{
    model::{Account, Dialect},
    secrets::{ApiKey, Keyring},
    Client, ClientConfig, ConversationFilter, Event, SearchFilter,
};

/// The keyring service the desktop app files keys under, so both see the same accounts.
const KEYRING_SERVICE: &str = "app.confab.desktop";

/// The desktop app's identifier (`tauri.conf.json`), which names its data directory.
const APP_IDENTIFIER: &str = "app.confab.desktop";

#[derive(Parser)]
#[command(name = "confab-cli", version, about = "Confab from the command line")]
struct Cli {
    /// The data directory, as the desktop app takes it: the profile is its `profile` folder
    /// (default: the app's own data directory, so both see the same accounts, and can run side
    /// by side; the same value given to both means the same profile).
    #[arg(long, global = true, env = "CONFAB_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// The account to use, by id (needed when there is more than one).
    #[arg(long, global = true)]
    account: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum ScheduledCommand {
    /// Id, due time (local), conversation, state and text of each, soonest first.
    List,
    /// Send one now instead of at its time.
    Now { id: String },
    /// Take one back before its time.
    Cancel { id: String },
}

/// A time given as `--at TIME` or `--in DURATION`.
#[derive(clap::Args)]
struct When {
    /// At a time: `2026-12-07 09:00` or `09:00` (local), or RFC 3339.
    #[arg(long, conflicts_with = "in", required_unless_present = "in")]
    at: Option<String>,
    /// After a while: `90m`, `2h`, `1h30m`, `3d`.
    #[arg(long = "in")]
    r#in: Option<String>,
}

#[derive(Subcommand)]
enum ReminderCommand {
    /// Id, time (local), conversation, state and text of each, soonest first.
    List,
    /// Remove one.
    Cancel { id: String },
}

#[derive(Subcommand)]
enum QuietCommand {
    /// Whether notifications are quiet, until when, and the weekly quiet hours.
    Status,
    /// Pause notifications (`--in 1h`, `--at 09:00`); what arrives is summed up once after.
    Pause {
        #[command(flatten)]
        until: When,
    },
    /// Resume notifications now.
    Resume,
}

#[derive(Subcommand)]
enum Command {
    /// Accounts: add (the key is read from a prompt or stdin), list, remove.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Deliver queued writes, then fetch what is new, with a progress bar.
    Sync,
    /// List conversations.
    Conversations {
        #[arg(long, value_enum, default_value_t = FilterArg::All)]
        filter: FilterArg,
    },
    /// Show a conversation's messages, newest page first.
    Show {
        /// Conversation id (or a unique prefix of it).
        conversation: String,
        /// Which page, 1 being the newest.
        #[arg(long, default_value_t = 1)]
        page: usize,
        #[arg(long, default_value_t = 20)]
        per_page: usize,
    },
    /// Send a message (`-` reads the text from stdin), with files where the server takes them.
    Send {
        conversation: String,
        /// The text; may be left out when files go.
        #[arg(default_value = "")]
        text: String,
        /// A file to attach (repeat for several; up to 10 of 25 MB each).
        #[arg(long = "file")]
        files: Vec<std::path::PathBuf>,
        /// Send later, at a time: `2026-12-07 09:00` or `09:00` (local), or RFC 3339. Kept in
        /// the profile and sent by the app (or the next `confab-cli sync`) at that time.
        #[arg(long, conflicts_with = "in")]
        at: Option<String>,
        /// Send later, after a while: `90m`, `2h`, `1h30m`, `3d`.
        #[arg(long = "in")]
        r#in: Option<String>,
    },
    /// Snooze a conversation: out of the inbox until then, back on top and unread after.
    Snooze {
        conversation: String,
        #[command(flatten)]
        until: When,
    },
    /// End a conversation's snooze now.
    Unsnooze { conversation: String },
    /// Be reminded about a message at a time (a notification from the app, which opens there).
    Remind {
        message: String,
        #[command(flatten)]
        at: When,
    },
    /// Reminders: list them (default), or remove one.
    Reminders {
        #[command(subcommand)]
        command: Option<ReminderCommand>,
    },
    /// Notifications: status (default), pause for a while, or resume.
    Quiet {
        #[command(subcommand)]
        command: Option<QuietCommand>,
    },
    /// Messages to send later: list them (default), send one now, or take one back.
    Scheduled {
        #[command(subcommand)]
        command: Option<ScheduledCommand>,
    },
    /// React to a message, or remove your reaction.
    React {
        message: String,
        emoji: String,
        #[arg(long)]
        remove: bool,
    },
    /// Start a conversation with an opening message (`-` reads it from stdin).
    Create {
        /// Who to write to, by person id (repeat for a group where the server allows it).
        #[arg(long = "with", required = true)]
        with: Vec<String>,
        /// The order the conversation is about (servers whose conversations need a source).
        #[arg(long)]
        order: Option<String>,
        text: String,
    },
    /// Leave a group conversation.
    Leave { conversation: String },
    /// Edit one of your messages.
    Edit { message: String, text: String },
    /// Delete one of your messages.
    Delete { message: String },
    /// Save a message (kept on this device, with a copy of it, across every account).
    Save { message: String },
    /// Remove a message from the saved ones.
    Unsave { message: String },
    /// Saved messages of every account (or `--account`'s), the most recently saved first.
    Saved,
    /// Full-text search over everything cached (words match as prefixes).
    Search {
        query: String,
        #[arg(long)]
        conversation: Option<String>,
        #[arg(long)]
        sender: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Export a conversation's cached messages (`--format html --output DIR`: a page with its
    /// attachments, as the app exports).
    Export {
        conversation: String,
        #[arg(long, value_enum, default_value_t = Format::Jsonl)]
        format: Format,
        /// Write here instead of stdout (for html: the folder to write into).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Accounts, their sync state, and the outbox.
    Status,
}

#[derive(Subcommand)]
enum AccountCommand {
    Add {
        #[arg(long)]
        server: String,
        #[arg(long)]
        dialect: Dialect,
    },
    List,
    Remove {
        id: String,
    },
    /// Download new messages of conversations you have not opened, where the server marks a
    /// conversation read when it is read: `on` keeps every message here to read and search
    /// offline, and the server then shows them read as soon as they are downloaded; `off` (the
    /// default) downloads them when the conversation is opened or shown.
    Background {
        /// The account's id.
        id: String,
        #[arg(value_enum)]
        state: Switch,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Switch {
    On,
    Off,
}

#[derive(Clone, Copy, ValueEnum)]
enum FilterArg {
    All,
    Unread,
    Snoozed,
    Archived,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Jsonl,
    Markdown,
    /// A readable page with the attachments beside it, into the `--output` folder.
    Html,
}

fn main() {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("confab-cli: could not start: {error}");
            std::process::exit(1);
        }
    };
    if let Err(error) = runtime.block_on(run(cli)) {
        // One line: the error and its causes.
        let mut line = error.to_string();
        for cause in error.chain().skip(1) {
            line.push_str(&format!(": {cause}"));
        }
        eprintln!("confab-cli: {}", output::clean(&line.replace('\n', " ")));
        std::process::exit(1);
    }
}

/// The data directory: the one given, or the desktop app's (the OS data directory, then the
/// app's identifier).
fn data_dir(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = given {
        return Ok(dir);
    }
    let base = if cfg!(target_os = "windows") {
        std::env::var_os("APPDATA").map(PathBuf::from)
    } else if cfg!(target_os = "macos") {
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join("Library/Application Support"))
    } else {
        std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
    };
    Ok(base
        .ok_or_else(|| anyhow!("no home directory; pass --data-dir"))?
        .join(APP_IDENTIFIER))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = ClientConfig::in_data_dir(&data_dir(cli.data_dir)?);
    let dir = config.data_dir.clone();
    let client = Client::open(config, Arc::new(Keyring::new(KEYRING_SERVICE)))
        .with_context(|| format!("could not open the profile in {}", dir.display()))?;
    if let Some(recovery) = client.recovery() {
        eprintln!("confab-cli: {}", output::clean(recovery));
    }
    match cli.command {
        Command::Account { command } => account(&client, command).await,
        Command::Sync => {
            let accounts = selected_accounts(&client, cli.account.as_deref())?;
            for account in accounts {
                sync(&client, &account).await?;
            }
            Ok(())
        }
        Command::Conversations { filter } => {
            let account = one_account(&client, cli.account.as_deref()).ok();
            let filter = match filter {
                FilterArg::All => ConversationFilter::All,
                FilterArg::Unread => ConversationFilter::Unread,
                FilterArg::Archived => ConversationFilter::Archived,
                FilterArg::Snoozed => ConversationFilter::Snoozed,
            };
            let list = client.conversations(account.as_ref().map(|a| a.id.as_str()), filter)?;
            output::conversations(&client, &list)
        }
        Command::Show {
            conversation,
            page,
            per_page,
        } => {
            let account = one_account(&client, cli.account.as_deref())?;
            let conversation = resolve_conversation(&client, &account, &conversation)?;
            if page == 0 || per_page == 0 {
                bail!("--page and --per-page start at 1");
            }
            let mut cursor = None;
            let mut messages = Vec::new();
            for _ in 0..page {
                let fetched = client.messages(&account.id, &conversation, cursor, per_page)?;
                messages = fetched.messages;
                cursor = fetched.older;
                if cursor.is_none() {
                    break;
                }
            }
            output::messages(&client, &account, &messages)
        }
        Command::Send {
            conversation,
            text,
            files,
            at,
            r#in,
        } => {
            let account = one_account(&client, cli.account.as_deref())?;
            let conversation = resolve_conversation(&client, &account, &conversation)?;
            let text = if text == "-" { read_stdin()? } else { text };
            let files = files
                .iter()
                .map(|path| {
                    let bytes = std::fs::read(path).with_context(|| format!("could not read {}", path.display()))?;
                    let name = path
                        .file_name()
                        .map_or_else(|| "file".to_string(), |n| n.to_string_lossy().into_owned());
                    // The core tells images from their bytes; anything else goes as bytes.
                    Ok(confab_core::client::NewFile {
                        name,
                        content_type: String::new(),
                        bytes,
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            if let Some(due) = when(at, r#in)? {
                let kept = client.schedule_send(&account.id, &conversation, &text, files, due)?;
                eprintln!("scheduled for {}", output::local_time(due));
                println!("{}", kept.client_id);
                return Ok(());
            }
            let message = client.send_files(&account.id, &conversation, &text, files)?;
            deliver(
                &client,
                &account,
                &format!("message {}", message.client_id.unwrap_or_default()),
            )
            .await
        }
        Command::React { message, emoji, remove } => {
            let account = one_account(&client, cli.account.as_deref())?;
            client.react(&account.id, &message, &emoji, !remove)?;
            deliver(&client, &account, "reaction").await
        }
        Command::Create { with, order, text } => {
            let account = one_account(&client, cli.account.as_deref())?;
            let text = if text == "-" { read_stdin()? } else { text };
            let source = order.map(|id| confab_core::model::Source {
                kind: "ORDER".into(),
                id,
            });
            let created = client.create_conversation(&account.id, &with, &text, source)?;
            let client_id = created.id.trim_start_matches("local:").to_string();
            deliver(&client, &account, "conversation").await?;
            // Delivered: the opening message now names the server's conversation.
            if let Ok(opening) = client.message(&account.id, &client_id) {
                println!("{}", output::clean(&opening.conversation_id));
            }
            Ok(())
        }
        Command::Leave { conversation } => {
            let account = one_account(&client, cli.account.as_deref())?;
            let conversation = resolve_conversation(&client, &account, &conversation)?;
            client.leave(&account.id, &conversation)?;
            deliver(&client, &account, "leaving").await
        }
        Command::Save { message } => {
            let account = one_account(&client, cli.account.as_deref())?;
            client.save_message(&account.id, &message)?;
            eprintln!("saved");
            Ok(())
        }
        Command::Unsave { message } => {
            let account = one_account(&client, cli.account.as_deref())?;
            client.unsave_message(&account.id, &message)?;
            eprintln!("no longer saved");
            Ok(())
        }
        Command::Saved => {
            output::saved(&client.saved_messages(cli.account.as_deref())?);
            Ok(())
        }
        Command::Edit { message, text } => {
            let account = one_account(&client, cli.account.as_deref())?;
            client.edit(&account.id, &message, &text)?;
            deliver(&client, &account, "edit").await
        }
        Command::Delete { message } => {
            let account = one_account(&client, cli.account.as_deref())?;
            client.delete(&account.id, &message)?;
            deliver(&client, &account, "deletion").await
        }
        Command::Search {
            query,
            conversation,
            sender,
            limit,
        } => {
            let account = one_account(&client, cli.account.as_deref()).ok();
            let filter = SearchFilter {
                account_id: account.map(|a| a.id),
                conversation_id: conversation,
                sender_id: sender,
            };
            output::hits(&client.search(&query, &filter, limit)?)
        }
        Command::Export {
            conversation,
            format,
            output: path,
        } => {
            let account = one_account(&client, cli.account.as_deref())?;
            let conversation = resolve_conversation(&client, &account, &conversation)?;
            let text = match format {
                Format::Jsonl => output::export_jsonl(&client, &account, &conversation)?,
                Format::Markdown => output::export_markdown(&client, &account, &conversation)?,
                Format::Html => {
                    let folder = path.context("an HTML export needs --output DIR: the page and its files go there")?;
                    let exported = client.export_html(&account.id, &conversation, &folder).await?;
                    eprintln!(
                        "{} message(s), {} file(s){}",
                        exported.messages,
                        exported.files,
                        if exported.files_missing > 0 {
                            format!(", {} file(s) not exported (named on the page)", exported.files_missing)
                        } else {
                            String::new()
                        }
                    );
                    println!("{}", exported.path);
                    return Ok(());
                }
            };
            match path {
                Some(path) => {
                    std::fs::write(&path, text).with_context(|| format!("could not write {}", path.display()))
                }
                None => {
                    print!("{text}");
                    Ok(())
                }
            }
        }
        Command::Status => output::status(&client),
        Command::Snooze { conversation, until } => {
            let account = one_account(&client, cli.account.as_deref())?;
            let conversation = resolve_conversation(&client, &account, &conversation)?;
            let until = when(until.at, until.r#in)?.context("say when: --at or --in")?;
            client.snooze(&account.id, &conversation, until)?;
            eprintln!("snoozed until {}", output::local_time(until));
            Ok(())
        }
        Command::Unsnooze { conversation } => {
            let account = one_account(&client, cli.account.as_deref())?;
            let conversation = resolve_conversation(&client, &account, &conversation)?;
            client.unsnooze(&account.id, &conversation)?;
            eprintln!("back in the inbox");
            Ok(())
        }
        Command::Remind { message, at } => {
            let account = one_account(&client, cli.account.as_deref())?;
            let due = when(at.at, at.r#in)?.context("say when: --at or --in")?;
            let reminder = client.remind(&account.id, &message, due)?;
            eprintln!("reminder set for {}", output::local_time(due));
            println!("{}", reminder.id);
            Ok(())
        }
        Command::Reminders { command } => match command.unwrap_or(ReminderCommand::List) {
            ReminderCommand::List => {
                output::reminders(&client.reminders()?);
                Ok(())
            }
            ReminderCommand::Cancel { id } => {
                client.cancel_reminder(&id)?;
                eprintln!("removed");
                Ok(())
            }
        },
        Command::Quiet { command } => {
            let quiet = match command.unwrap_or(QuietCommand::Status) {
                QuietCommand::Status => client.quiet()?,
                QuietCommand::Pause { until } => {
                    client.pause_notifications(Some(when(until.at, until.r#in)?.context("say when: --at or --in")?))?
                }
                QuietCommand::Resume => client.pause_notifications(None)?,
            };
            output::quiet(&quiet);
            Ok(())
        }
        Command::Scheduled { command } => match command.unwrap_or(ScheduledCommand::List) {
            ScheduledCommand::List => {
                output::scheduled(&client.scheduled(cli.account.as_deref())?);
                Ok(())
            }
            ScheduledCommand::Cancel { id } => {
                client.cancel_scheduled(&id)?;
                eprintln!("taken back");
                Ok(())
            }
            ScheduledCommand::Now { id } => {
                let message = client.send_scheduled_now(&id)?;
                let account = client
                    .accounts()?
                    .into_iter()
                    .find(|a| a.id == message.account_id)
                    .context("the message's account is gone")?;
                deliver(&client, &account, &format!("message {id}")).await
            }
        },
    }
}

/// The instant `--at` or `--in` names, if either was given.
fn when(at: Option<String>, span: Option<String>) -> anyhow::Result<Option<i64>> {
    let now = confab_core::now_ms();
    Ok(match (at, span) {
        (Some(at), _) => Some(confab_core::when::parse_at(&at, now, &chrono::Local)?),
        (None, Some(span)) => Some(now + confab_core::when::parse_duration(&span)?),
        (None, None) => None,
    })
}

async fn account(client: &Client, command: AccountCommand) -> anyhow::Result<()> {
    match command {
        AccountCommand::Add { server, dialect } => {
            let key = read_key()?;
            let account = client.add_account(&server, dialect, ApiKey::new(key)).await?;
            let who = if account.user_name.is_empty() {
                "you (the server does not say who; Confab learns it from your conversations and first message)"
                    .to_string()
            } else {
                output::clean(&account.user_name)
            };
            println!("added {} ({} as {who})", account.id, account.dialect.as_str());
            for missing in client.capabilities(&account.id)?.missing {
                println!("  {missing}");
            }
            Ok(())
        }
        AccountCommand::List => {
            for account in client.accounts()? {
                println!(
                    "{}\t{}\t{}\t{}",
                    account.id,
                    account.dialect.as_str(),
                    output::clean(&account.user_name),
                    output::clean(&account.server_url)
                );
            }
            Ok(())
        }
        AccountCommand::Remove { id } => {
            client.remove_account(&id)?;
            println!("removed {id} and its key");
            Ok(())
        }
        AccountCommand::Background { id, state } => {
            let on = state == Switch::On;
            client.set_background_reads(&id, on)?;
            let reads_mark_read = client.capabilities(&id)?.reads_mark_read;
            println!("{}", output::background_reads(on, reads_mark_read));
            Ok(())
        }
    }
}

/// The key, from a hidden prompt on a terminal or the first line of stdin otherwise.
fn read_key() -> anyhow::Result<String> {
    let key = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("API key: ").context("could not read the key")?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("could not read the key from stdin")?;
        line
    };
    let key = key.trim().to_string();
    if key.is_empty() {
        bail!("no API key given (type it at the prompt, or pipe it on stdin)");
    }
    Ok(key)
}

fn read_stdin() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).context("could not read stdin")?;
    Ok(text.trim_end_matches('\n').to_string())
}

fn selected_accounts(client: &Client, id: Option<&str>) -> anyhow::Result<Vec<Account>> {
    match id {
        Some(id) => Ok(vec![client.account(id)?]),
        None => {
            let accounts = client.accounts()?;
            if accounts.is_empty() {
                bail!("no accounts yet: add one with `confab-cli account add --server URL --dialect DIALECT`");
            }
            Ok(accounts)
        }
    }
}

fn one_account(client: &Client, id: Option<&str>) -> anyhow::Result<Account> {
    let mut accounts = selected_accounts(client, id)?;
    if accounts.len() > 1 {
        let ids: Vec<String> = accounts
            .iter()
            .map(|a| format!("{} ({})", a.id, a.dialect.as_str()))
            .collect();
        bail!("several accounts: choose one with --account ({})", ids.join(", "));
    }
    accounts.pop().ok_or_else(|| anyhow!("no account"))
}

fn resolve_conversation(client: &Client, account: &Account, given: &str) -> anyhow::Result<String> {
    let mut all: Vec<String> = [
        ConversationFilter::All,
        ConversationFilter::Snoozed,
        ConversationFilter::Archived,
    ]
    .into_iter()
    .map(|f| client.conversations(Some(&account.id), f))
    .collect::<Result<Vec<_>, _>>()?
    .into_iter()
    .flatten()
    .map(|c| c.id)
    .collect();
    // A snoozed conversation may be archived too.
    all.sort_unstable();
    all.dedup();
    if all.iter().any(|id| id == given) {
        return Ok(given.to_string());
    }
    let matches: Vec<&String> = all.iter().filter(|id| id.starts_with(given)).collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => bail!("no conversation {given} in the cache (run `confab-cli sync`?)"),
        _ => bail!("{given} matches {} conversations; give more of the id", matches.len()),
    }
}

async fn deliver(client: &Client, account: &Account, what: &str) -> anyhow::Result<()> {
    let report = client.deliver_reporting(&account.id).await?;
    let stopped = report.stopped;
    let failed = client
        .outbox(Some(&account.id))?
        .into_iter()
        .find(|i| i.failure.is_some());
    match (stopped, failed) {
        (_, Some(item)) => bail!("{what} failed: {}", item.failure.unwrap_or_default()),
        (None, None) if !report.dropped.is_empty() => bail!("{what} not done: {}", report.dropped.join("; ")),
        (Some(reason), None) => {
            println!(
                "{what} queued: {}; it will be delivered on the next `confab-cli sync`",
                output::clean(&reason)
            );
            Ok(())
        }
        (None, None) => {
            println!("{what} delivered");
            Ok(())
        }
    }
}

async fn sync(client: &Client, account: &Account) -> anyhow::Result<()> {
    let label = format!("{} {}", account.dialect.as_str(), output::clean(&account.user_name));
    let (delivered, _) = client.deliver(&account.id).await?;
    if delivered > 0 {
        eprintln!("{label}: delivered {delivered} queued write(s)");
    }
    let mut events = client.subscribe();
    let progress_label = label.clone();
    let progress = tokio::spawn(async move {
        let terminal = std::io::stderr().is_terminal();
        while let Ok(event) = events.recv().await {
            if let Event::SyncStateChanged {
                state: confab_core::model::SyncState::Syncing { done, total },
                ..
            } = event
            {
                output::progress(&progress_label, done, total, terminal);
            }
        }
    });
    let result = client.sync(&account.id).await;
    progress.abort();
    result.with_context(|| format!("{label}: sync failed"))?;
    let count = client.conversations(Some(&account.id), ConversationFilter::All)?.len();
    eprintln!("\r{label}: synced, {count} conversation(s)                    ");
    Ok(())
}
