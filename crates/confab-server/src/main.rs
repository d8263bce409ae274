//! `confab-server`: run the reference server, or manage its people.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use confab_server::{demo, store, Config, LibreTranslate, Store, Translator};

#[derive(Parser)]
#[command(
    name = "confab-server",
    version,
    about = "The Confab reference server (portal, protocol and managem dialects)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve all three dialects over HTTP.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// SQLite database file (created if missing).
        #[arg(long)]
        db: PathBuf,
        /// Seed demo people and conversations (if not there yet), print their keys, run the bot.
        #[arg(long)]
        demo: bool,
        /// Where `--demo` writes its people and keys as JSON (default: next to the database).
        #[arg(long)]
        keys_file: Option<PathBuf>,
        /// A LibreTranslate-compatible server for portal's automatic translation.
        #[arg(long)]
        translate_url: Option<String>,
        /// The LibreTranslate API key, if that server needs one.
        #[arg(long, env = "CONFAB_TRANSLATE_API_KEY", hide_env_values = true)]
        translate_api_key: Option<String>,
        /// Serve only what the API documents show: no extension routes, parameters, event
        /// streams or `Idempotency-Key` (a stand-in for a third-party server).
        #[arg(long)]
        strict: bool,
        /// Reading a whole portal conversation leaves it unread (the other reading of the
        /// documents; with --strict nothing can mark it read).
        #[arg(long)]
        reads_keep_unread: bool,
    },
    /// Manage people.
    People {
        #[command(subcommand)]
        command: PeopleCommand,
    },
}

#[derive(Subcommand)]
enum PeopleCommand {
    /// Add a person and print their id and a new API key (shown only this once).
    Add {
        #[arg(long)]
        db: PathBuf,
        /// Username (letters, digits, `_`, `-`, `.`).
        #[arg(long)]
        name: String,
        /// Display name (default: the username).
        #[arg(long)]
        display_name: Option<String>,
        /// Language for portal's translation, e.g. `en`, `fr`.
        #[arg(long, default_value = "en")]
        language: String,
    },
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "confab_server=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(error) = run(Cli::parse()) {
        eprintln!("confab-server: {error:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::People {
            command:
                PeopleCommand::Add {
                    db,
                    name,
                    display_name,
                    language,
                },
        } => {
            let store = Store::open(&db)?;
            let new = store::NewPerson {
                display_name: display_name.unwrap_or_else(|| name.clone()),
                username: name,
                language,
                is_bot: false,
            };
            let (person, key) = store.write_blocking(|tx| store::create_person(tx, &new))?;
            println!("id:  {}", person.id);
            println!("key: {key}");
            Ok(())
        }
        Command::Serve {
            bind,
            db,
            demo,
            keys_file,
            translate_url,
            translate_api_key,
            strict,
            reads_keep_unread,
        } => {
            let store = Store::open(&db)?;
            if demo {
                let seeded = demo::ensure(&store)?;
                let path = keys_file.unwrap_or_else(|| db.with_extension("keys.json"));
                write_keys(&path, &seeded)?;
                eprintln!("demo people and their keys are in {}", path.display());
                for account in &seeded.accounts {
                    if let Some(person) = seeded.person(account.username) {
                        eprintln!("  {:<9} {:<7} {}", account.dialect, person.username, person.key);
                    }
                }
            }
            let translator: Option<Arc<dyn Translator>> = match translate_url {
                Some(url) => Some(Arc::new(LibreTranslate::new(&url, translate_api_key)?)),
                None => None,
            };
            let runtime = tokio::runtime::Runtime::new().context("could not start the async runtime")?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(bind)
                    .await
                    .with_context(|| format!("could not listen on {bind}"))?;
                let server = confab_server::start(
                    listener,
                    store,
                    Config {
                        translator,
                        bot: demo,
                        strict,
                        reads_keep_unread,
                    },
                )
                .await?;
                let mode = if strict {
                    " (strict: documented routes only)"
                } else {
                    ""
                };
                eprintln!("confab-server listening on {}{mode}", server.url());
                tokio::signal::ctrl_c().await.context("could not wait for Ctrl-C")?;
                eprintln!("shutting down");
                server.shutdown().await?;
                Ok(())
            })
        }
    }
}

fn write_keys(path: &std::path::Path, demo: &demo::Demo) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(demo)?;
    std::fs::write(path, json).with_context(|| format!("could not write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}
