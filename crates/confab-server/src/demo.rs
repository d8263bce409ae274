//! The demo: people, conversations in every dialect, and a bot that answers.
//!
//! Three people are "you", one per dialect, as if a user had an account on three services:
//! `sam` (portal), `riley` (protocol), `jordan` (managem). Each has direct and group
//! conversations (managem: order conversations, one of them locked), one conversation holds
//! 600 messages, and each has a direct conversation with the bot, which answers anything sent
//! to it within about a second.

use std::time::Duration;

use serde::Serialize;

use crate::{
    error::{ApiError, ApiResult},
    store::{self, now_ms, Kind, NewConversation, NewPerson, Store},
};

/// The bot's username.
pub const BOT: &str = "confab-bot";

/// A person of the demo and a key that signs in as them.
#[derive(Clone, Serialize)]
pub struct DemoPerson {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub language: String,
    pub key: String,
}

impl std::fmt::Debug for DemoPerson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoPerson")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Which demo person is "you" in which dialect.
#[derive(Debug, Clone, Serialize)]
pub struct DemoAccount {
    pub dialect: &'static str,
    pub username: &'static str,
}

/// The demo's people with fresh keys, and the account to use per dialect.
#[derive(Debug, Clone, Serialize)]
pub struct Demo {
    pub people: Vec<DemoPerson>,
    pub accounts: Vec<DemoAccount>,
}

impl Demo {
    pub fn person(&self, username: &str) -> Option<&DemoPerson> {
        self.people.iter().find(|p| p.username == username)
    }

    /// The "you" of a dialect.
    pub fn account(&self, dialect: &str) -> Option<&DemoPerson> {
        let account = self.accounts.iter().find(|a| a.dialect == dialect)?;
        self.person(account.username)
    }
}

const PEOPLE: &[(&str, &str, &str)] = &[
    ("sam", "Sam Rivera", "en"),
    ("riley", "Riley Chen", "en"),
    ("jordan", "Jordan Blake", "en"),
    ("ada", "Ada Okafor", "en"),
    ("grace", "Grace Moreau", "fr"),
    ("linus", "Linus Berg", "de"),
    ("maria", "Maria Souza", "pt"),
    (BOT, "Confab Bot", "en"),
];

const ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        dialect: "portal",
        username: "sam",
    },
    DemoAccount {
        dialect: "protocol",
        username: "riley",
    },
    DemoAccount {
        dialect: "managem",
        username: "jordan",
    },
];

/// Seeds the demo into an empty store, or, if it is already there, issues fresh keys for its
/// people (keys are kept only hashed, so earlier ones cannot be shown again).
pub fn ensure(store: &Store) -> ApiResult<Demo> {
    store.write_blocking(|tx| {
        let seeded = store::people(tx)?.iter().any(|p| p.username == "sam");
        let mut people = Vec::new();
        for (username, display_name, language) in PEOPLE {
            let (id, key) = if seeded {
                let person = store::person_by_id_or_username(tx, username)?
                    .ok_or_else(|| ApiError::bad_request(format!("the demo person {username} is missing")))?;
                (person.id.clone(), store::add_key(tx, &person.id)?)
            } else {
                let (person, key) = store::create_person(
                    tx,
                    &NewPerson {
                        username: (*username).to_string(),
                        display_name: (*display_name).to_string(),
                        language: (*language).to_string(),
                        is_bot: *username == BOT,
                    },
                )?;
                (person.id, key)
            };
            people.push(DemoPerson {
                id,
                username: (*username).to_string(),
                display_name: (*display_name).to_string(),
                language: (*language).to_string(),
                key,
            });
        }
        let demo = Demo {
            people,
            accounts: ACCOUNTS.to_vec(),
        };
        if !seeded {
            seed_conversations(tx, &demo)?;
        }
        Ok(demo)
    })
}

const PACKING_LIST: &str = "Water (2 l)\nSandwiches\nRain jacket\nSun cream\nFirst-aid kit\n";

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

fn seed_conversations(tx: &rusqlite::Transaction<'_>, demo: &Demo) -> ApiResult<()> {
    let id = |name: &str| demo.person(name).map(|p| p.id.clone()).ok_or_else(ApiError::internal);
    let now = now_ms();
    let (sam, riley, jordan) = (id("sam")?, id("riley")?, id("jordan")?);
    let (ada, grace, linus, maria, bot) = (id("ada")?, id("grace")?, id("linus")?, id("maria")?, id(BOT)?);

    for (person, phone, stats) in [
        (&jordan, "1-800-555-0101", (12, 96, 96, 31, 7)),
        (&maria, "1-800-555-0144", (58, 98, 120, 210, 12)),
        (&linus, "1-800-555-0190", (3, 74, 40, 2, 19)),
    ] {
        store::update_profile(tx, person, Some(phone), stats)?;
    }

    let conversation =
        |kind, title: Option<&str>, creator: &str, members: Vec<String>, source: Option<(&str, &str)>, at| {
            store::create_conversation(
                tx,
                &NewConversation {
                    kind,
                    title: title.map(str::to_string),
                    created_by: creator.to_string(),
                    members,
                    source: source.map(|(a, b)| (a.to_string(), b.to_string())),
                    locked: false,
                    created_at: at,
                },
            )
        };
    let say = |conversation: &str, sender: &str, body: &str, at: i64| -> ApiResult<String> {
        Ok(store::insert_message(tx, conversation, sender, body, &[], at)?.id)
    };

    // portal: Sam
    let c = conversation(
        Kind::Direct,
        None,
        &sam,
        vec![sam.clone(), ada.clone()],
        None,
        now - 3 * DAY,
    )?;
    say(
        &c,
        &sam,
        "Hi Ada, looking forward to your interview next week.",
        now - 3 * DAY,
    )?;
    say(
        &c,
        &ada,
        "Thanks Sam! Is there anything I should prepare?",
        now - 3 * DAY + 20 * MINUTE,
    )?;
    say(&c, &sam, "Please bring your completed quiz form.", now - 2 * DAY)?;
    say(&c, &ada, "Will do. See you at the meeting.", now - 2 * HOUR)?;

    let c = conversation(
        Kind::Group,
        Some("Interview panel"),
        &sam,
        vec![sam.clone(), ada.clone(), grace.clone(), linus.clone()],
        None,
        now - 5 * DAY,
    )?;
    say(&c, &sam, "Panel for Thursday: Ada, Grace, Linus and me.", now - 5 * DAY)?;
    say(&c, &grace, "Parfait, je serai là à 10 heures.", now - 5 * DAY + HOUR)?;
    say(&c, &linus, "Ich bringe die Fragebögen mit.", now - 4 * DAY)?;
    let m = say(&c, &ada, "Room 4B is booked.", now - 90 * MINUTE)?;
    store::set_reaction(tx, &m, &sam, "👍", true)?;
    store::set_reaction(tx, &m, &grace, "👍", true)?;
    store::set_pinned_message(tx, &c, Some(&m))?;

    let c = conversation(
        Kind::Direct,
        None,
        &grace,
        vec![grace.clone(), sam.clone()],
        None,
        now - DAY,
    )?;
    say(&c, &grace, "Bonjour Sam ! As-tu reçu mon dossier ?", now - DAY)?;
    say(&c, &sam, "Yes, thank you, it all looks good.", now - DAY + 10 * MINUTE)?;
    say(&c, &grace, "Merci beaucoup, à bientôt.", now - 30 * MINUTE)?;

    let c = conversation(
        Kind::Group,
        Some("Book club"),
        &ada,
        vec![ada.clone(), sam.clone(), linus.clone()],
        None,
        now - 40 * DAY,
    )?;
    let lines = [
        "Has everyone finished chapter {n}?",
        "Almost, two pages to go.",
        "The ending of chapter {n} surprised me.",
        "Same here. Next week: chapter {m}?",
        "Sounds good to me.",
    ];
    let speakers = [&ada, &sam, &linus, &ada, &sam];
    for i in 0..600_i64 {
        let n = i / 5 + 1;
        let line = lines[usize::try_from(i % 5).unwrap_or(0)]
            .replace("{n}", &n.to_string())
            .replace("{m}", &(n + 1).to_string());
        let speaker = speakers[usize::try_from(i % 5).unwrap_or(0)];
        say(&c, speaker, &line, now - 40 * DAY + i * 90 * MINUTE)?;
    }
    store::mark_read(tx, &c, &sam, None)?;

    let c = conversation(
        Kind::Direct,
        None,
        &bot,
        vec![bot.clone(), sam.clone()],
        None,
        now - 6 * DAY,
    )?;
    say(
        &c,
        &bot,
        "Hi Sam, I'm the Confab bot. Send me anything and I'll answer.",
        now - 6 * DAY,
    )?;

    // protocol: Riley
    let c = conversation(
        Kind::Direct,
        None,
        &riley,
        vec![riley.clone(), ada.clone()],
        None,
        now - 2 * DAY,
    )?;
    say(&c, &ada, "It's a nice night for a walk.", now - 2 * DAY)?;
    say(
        &c,
        &riley,
        "Agreed. Meet at the corner at eight?",
        now - 2 * DAY + 5 * MINUTE,
    )?;
    say(&c, &ada, "See you there.", now - 3 * HOUR)?;

    let c = conversation(
        Kind::Group,
        Some("Weekend hike"),
        &riley,
        vec![riley.clone(), linus.clone(), maria.clone(), ada.clone()],
        None,
        now - 4 * DAY,
    )?;
    let m = say(&c, &riley, "Trailhead at 7:30 on Saturday. Bring water.", now - 4 * DAY)?;
    store::set_pinned_message(tx, &c, Some(&m))?;
    say(&c, &maria, "Vou levar o lanche!", now - 4 * DAY + HOUR)?;
    let map = store::create_attachment(
        tx,
        &linus,
        "route-map.png",
        "image/png",
        include_bytes!("../assets/map.png"),
    )?;
    store::insert_message(tx, &c, &linus, "Here is the route.", &[map.id], now - 3 * DAY)?;
    let list = store::create_attachment(tx, &maria, "packing-list.txt", "text/plain", PACKING_LIST.as_bytes())?;
    store::insert_message(tx, &c, &maria, "And what to bring.", &[list.id], now - 3 * DAY + HOUR)?;
    say(&c, &linus, "Bin dabei.", now - 50 * MINUTE)?;
    store::change_membership(
        tx,
        &c,
        &riley,
        &store::MembershipChange {
            is_pinned: Some(true),
            ..Default::default()
        },
    )?;

    let c = conversation(
        Kind::Direct,
        None,
        &bot,
        vec![bot.clone(), riley.clone()],
        None,
        now - 6 * DAY,
    )?;
    say(
        &c,
        &bot,
        "Hi Riley, I'm the Confab bot. Send me anything and I'll answer.",
        now - 6 * DAY,
    )?;

    // managem: Jordan
    let c = conversation(
        Kind::Direct,
        None,
        &jordan,
        vec![jordan.clone(), maria.clone()],
        Some(("ORDER", "1042")),
        now - 2 * DAY,
    )?;
    say(
        &c,
        &jordan,
        "Hello, is the lamp from order 1042 still available?",
        now - 2 * DAY,
    )?;
    say(&c, &maria, "Yes! It ships on Monday.", now - 2 * DAY + 2 * HOUR)?;
    say(&c, &maria, "Tracking number to follow.", now - 20 * MINUTE)?;

    let c = conversation(
        Kind::Direct,
        None,
        &linus,
        vec![linus.clone(), jordan.clone()],
        Some(("ORDER", "981")),
        now - 30 * DAY,
    )?;
    say(&c, &linus, "Your order 981 has been delivered.", now - 30 * DAY)?;
    say(&c, &jordan, "Received, thank you.", now - 29 * DAY)?;
    store::mark_read(tx, &c, &jordan, None)?;
    store::set_locked(tx, &c, true)?;

    let c = conversation(
        Kind::Direct,
        None,
        &bot,
        vec![bot.clone(), jordan.clone()],
        Some(("ORDER", "1077")),
        now - 6 * DAY,
    )?;
    say(
        &c,
        &bot,
        "Hi Jordan, questions about order 1077? Ask me anything.",
        now - 6 * DAY,
    )?;
    Ok(())
}

/// Answers every message sent to the bot by someone else, about half a second later.
pub async fn run_bot(store: Store) {
    let mut wake = store.subscribe();
    let mut bot: Option<(String, i64)> = None;
    loop {
        if bot.is_none() {
            // The demo may be seeded after the server starts; answer only what comes after.
            let found = store
                .read(|conn| {
                    Ok((
                        store::person_by_id_or_username(conn, BOT)?,
                        store::newest_event_id(conn)?,
                    ))
                })
                .await;
            if let Ok((Some(person), newest)) = found {
                bot = Some((person.id, newest));
            }
        }
        let mut answered_any = false;
        if let Some((bot_id, last)) = &mut bot {
            let (person, after) = (bot_id.clone(), *last);
            match store
                .read(move |conn| store::events_for(conn, &person, after, 200))
                .await
            {
                Ok(events) => {
                    answered_any = !events.is_empty();
                    for event in events {
                        *last = event.id;
                        if event.kind != store::EventKind::MessageCreated {
                            continue;
                        }
                        let Some(message_id) = event.subject_id else { continue };
                        tokio::spawn(answer(store.clone(), bot_id.clone(), message_id));
                    }
                }
                Err(error) => tracing::warn!(%error, "the bot could not read events"),
            }
        }
        if !answered_any {
            match wake.recv().await {
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    }
}

async fn answer(store: Store, bot: String, message_id: String) {
    let id = message_id.clone();
    let Ok(Some(message)) = store.read(move |conn| store::message(conn, &id)).await else {
        return;
    };
    if message.sender_id == bot {
        return;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let reply = reply_to(&message.body);
    let result = store
        .write(move |tx| store::insert_message(tx, &message.conversation_id, &bot, &reply, &[], now_ms()))
        .await;
    if let Err(error) = result {
        tracing::info!(%error, "the bot could not answer");
    }
}

fn reply_to(body: &str) -> String {
    let snippet: String = body.chars().take(80).collect();
    let ellipsis = if body.chars().count() > 80 { "…" } else { "" };
    let lower = body.to_lowercase();
    if lower.contains("hello") || lower.starts_with("hi") || lower.contains("hey") {
        "Hello! Nice to hear from you.".to_string()
    } else if body.trim_end().ends_with('?') {
        format!("Good question. You asked: \"{snippet}{ellipsis}\". I'm only a demo bot, but I read every word.")
    } else {
        format!("Got it: \"{snippet}{ellipsis}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::reply_to;

    #[test]
    fn replies_quote_what_they_answer() {
        assert_eq!(reply_to("ship it"), "Got it: \"ship it\"");
        assert!(reply_to("when?").contains("when?"));
        assert_eq!(reply_to("hello there"), "Hello! Nice to hear from you.");
    }
}
