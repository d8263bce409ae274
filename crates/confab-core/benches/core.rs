//! `cargo bench -p confab-core --bench core` (run by `make bench`): the core's figures, each
//! with a baseline measured in the same run, printed as a Markdown table.
//!
//! - ingest: `Store::upsert_messages` of 100k messages vs a raw prepared INSERT of the same
//!   rows into the same schema (FTS triggers included), both in batches of 500;
//! - full sync: 100k messages from the reference server on loopback through `Client` (sync,
//!   then older history until complete) vs a bare HTTP client fetching the same pages plus the
//!   raw insert;
//! - newest page: the newest 50 messages of a 100k-message conversation, p50/p99;
//! - search: FTS over 1M cached messages vs a `LIKE '%term%'` scan, p50/p99;
//! - durable outbox: 1,000 outbox writes, one transaction each, with `synchronous=FULL` (what
//!   the outbox uses, so a power cut loses nothing queued) vs `NORMAL` (the rest of the cache).

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use confab_core::{
    model::{Delivery, Dialect, Message},
    secrets::{ApiKey, MemorySecrets},
    store::Store,
    Client, ClientConfig, ConversationFilter, SearchFilter,
};
use rusqlite::params;

const WORDS: &[&str] = &[
    "meeting",
    "lamp",
    "order",
    "tomorrow",
    "trailhead",
    "chapter",
    "coffee",
    "invoice",
    "deploy",
    "review",
    "ticket",
    "garden",
    "window",
    "paper",
    "river",
    "yellow",
    "planet",
    "ticket",
    "guitar",
    "market",
    "signal",
    "basket",
    "candle",
    "forest",
    "harbor",
    "island",
    "jacket",
    "kitten",
    "ladder",
    "mirror",
    "needle",
    "orange",
    "pepper",
    "quartz",
    "rocket",
    "saddle",
    "tunnel",
    "umbrella",
    "velvet",
    "walnut",
    "zephyr",
    "anchor",
    "bridge",
    "copper",
    "dragon",
    "engine",
];

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ne", "ra", "to", "su", "vi", "be", "do", "fa", "gu", "hi", "jo", "pe", "qu", "se", "ti", "wa",
    "zo", "an", "er", "in", "or", "ul", "ch", "st", "tr", "br", "pl",
];

/// The common words followed by 30,000 made-up ones, so that word frequencies fall off as in
/// a natural language.
fn vocabulary() -> &'static [String] {
    static VOCABULARY: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    VOCABULARY.get_or_init(|| {
        let mut words: Vec<String> = WORDS.iter().map(|w| (*w).to_string()).collect();
        for i in 0..30_000usize {
            let mut word = String::new();
            let mut n = i + 7;
            for _ in 0..3 {
                word.push_str(SYLLABLES[n % SYLLABLES.len()]);
                n /= SYLLABLES.len();
            }
            word.push_str(SYLLABLES[(i * 7) % SYLLABLES.len()]);
            words.push(word);
        }
        words
    })
}

/// A deterministic pseudo-random body of 6 to 17 words, ranks drawn roughly by Zipf's law.
fn body(n: u64) -> String {
    let vocabulary = vocabulary();
    let mut x = n.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let count = 6 + (x >> 60) as usize;
    let mut words = Vec::with_capacity(count);
    for _ in 0..count {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let u = (x % 1_000_000) as f64 / 1_000_000.0;
        let rank = ((vocabulary.len() as f64).powf(u) as usize)
            .saturating_sub(1)
            .min(vocabulary.len() - 1);
        words.push(vocabulary[rank].as_str());
    }
    words.join(" ")
}

fn message(account: &str, conversation: &str, n: u64) -> Message {
    Message {
        account_id: account.into(),
        conversation_id: conversation.into(),
        id: format!("m{n:08}"),
        client_id: None,
        sender_id: if n.is_multiple_of(3) {
            "me".into()
        } else {
            "them".into()
        },
        body: body(n),
        reactions: Default::default(),
        attachments: Vec::new(),
        read_at: None,
        created_at: 1_700_000_000_000 + n as i64 * 1000,
        edited_at: None,
        delivery: Delivery::Sent,
    }
}

fn prepare_account(store_path: &std::path::Path, conversation: &str) {
    let conn = rusqlite::Connection::open(store_path).expect("open");
    conn.execute(
        "INSERT OR IGNORE INTO accounts (id, server_url, dialect, user_id, user_name, created_at) VALUES ('acc', 'http://x', 'portal', 'me', 'me', 0)",
        [],
    )
    .expect("account");
    conn.execute(
        "INSERT OR IGNORE INTO conversations (account_id, id, kind) VALUES ('acc', ?1, 'direct')",
        [conversation],
    )
    .expect("conversation");
}

fn raw_insert(path: &std::path::Path, rows: &[Message], batch: usize) -> Duration {
    let mut conn = rusqlite::Connection::open(path).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL").expect("wal");
    conn.pragma_update(None, "synchronous", "NORMAL").expect("sync");
    let started = Instant::now();
    for chunk in rows.chunks(batch) {
        let tx = conn.transaction().expect("tx");
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO messages (account_id, conversation_id, id, sender_id, body, reactions, attachments, read_at, created_at, edited_at, delivery)
                     VALUES (?1, ?2, ?3, ?4, ?5, '{}', '[]', ?6, ?7, ?8, 'sent')",
                )
                .expect("prepare");
            for m in chunk {
                stmt.execute(params![
                    m.account_id,
                    m.conversation_id,
                    m.id,
                    m.sender_id,
                    m.body,
                    m.read_at,
                    m.created_at,
                    m.edited_at
                ])
                .expect("insert");
            }
        }
        tx.commit().expect("commit");
    }
    started.elapsed()
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rows_out: Vec<String> = Vec::new();

    // ---- ingest
    let n = 100_000u64;
    let rows: Vec<Message> = (0..n).map(|i| message("acc", "c1", i)).collect();
    let ours_path = dir.path().join("ingest-ours.db");
    let raw_path = dir.path().join("ingest-raw.db");
    let ours = Store::open(&ours_path).expect("store");
    drop(Store::open(&raw_path).expect("same schema"));
    prepare_account(&ours_path, "c1");
    prepare_account(&raw_path, "c1");
    let baseline = raw_insert(&raw_path, &rows, 500);
    let started = Instant::now();
    for chunk in rows.chunks(500) {
        ours.upsert_messages("acc", chunk).expect("ingest");
    }
    let ingest = started.elapsed();
    rows_out.push(format!(
        "| store ingest, 100k messages | {} | raw INSERT, same schema: {} | {:.2}x | <= 1.5x |",
        ms(ingest),
        ms(baseline),
        ingest.as_secs_f64() / baseline.as_secs_f64()
    ));

    // ---- newest page of a 100k conversation (the ingest store holds one)
    let mut samples = Vec::new();
    for _ in 0..2000 {
        let started = Instant::now();
        let page = ours.messages("acc", "c1", None, 50).expect("page");
        samples.push(started.elapsed());
        assert_eq!(page.messages.len(), 50);
    }
    let raw = rusqlite::Connection::open(&ours_path).expect("open");
    let mut raw_samples = Vec::new();
    for _ in 0..2000 {
        let started = Instant::now();
        let mut stmt = raw
            .prepare_cached("SELECT row, id, body, created_at FROM messages WHERE account_id = 'acc' AND conversation_id = 'c1' ORDER BY created_at DESC, row DESC LIMIT 50")
            .expect("prepare");
        let count = stmt.query_map([], |r| r.get::<_, i64>(0)).expect("query").count();
        raw_samples.push(started.elapsed());
        assert_eq!(count, 50);
    }
    let (p50, p99) = (percentile(&mut samples, 0.5), percentile(&mut samples, 0.99));
    let raw_p99 = percentile(&mut raw_samples, 0.99);
    rows_out.push(format!(
        "| newest 50 of a 100k-message conversation | p50 {} / p99 {} | raw SELECT p99: {} | {:.2}x | p99 <= 1 ms |",
        ms(p50),
        ms(p99),
        ms(raw_p99),
        p99.as_secs_f64() / raw_p99.as_secs_f64()
    ));

    // ---- a one-message write from a tokio worker (off the workers: `block_in_place`) against
    // the same write from a plain thread
    let one: Vec<Message> = (0..2000u64).map(|i| message("acc", "c1", n + i)).collect();
    let started = Instant::now();
    for m in &one[..1000] {
        ours.upsert_messages("acc", std::slice::from_ref(m)).expect("write");
    }
    let plain = started.elapsed() / 1000;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime");
    let ours = std::sync::Arc::new(ours);
    let rows = one[1000..].to_vec();
    let on_worker = runtime
        .block_on(runtime.spawn({
            let store = std::sync::Arc::clone(&ours);
            async move {
                let started = Instant::now();
                for m in &rows {
                    store.upsert_messages("acc", std::slice::from_ref(m)).expect("write");
                }
                started.elapsed() / 1000
            }
        }))
        .expect("writes on a worker");
    rows_out.push(format!(
        "| a one-message write from a tokio worker | {} | the same from a plain thread: {} | {:.2}x | <= 1.2x |",
        ms(on_worker),
        ms(plain),
        on_worker.as_secs_f64() / plain.as_secs_f64()
    ));
    drop(ours);

    // ---- search over 1M
    let search_path = dir.path().join("search.db");
    drop(Store::open(&search_path).expect("store"));
    prepare_account(&search_path, "c1");
    let million: Vec<Message> = (0..1_000_000u64)
        .map(|i| message("acc", &format!("c{}", i % 1000), i))
        .collect();
    raw_insert(&search_path, &million, 5000);
    drop(million);
    let store = Store::open(&search_path).expect("store");
    // Common words, mid-frequency and rare made-up ones, as prefixes, single and paired, and
    // a word nobody wrote (a scan must read everything to say so).
    let vocabulary = vocabulary();
    let prefix = |rank: usize, len: usize| vocabulary[rank].chars().take(len).collect::<String>();
    let owned: Vec<String> = vec![
        prefix(0, 4),
        prefix(3, 3),
        prefix(10, 5),
        prefix(60, 6),
        prefix(300, 8),
        prefix(3000, 8),
        prefix(20000, 8),
        format!("{} {}", prefix(1, 4), prefix(2, 4)),
        format!("{} {}", prefix(50, 8), prefix(0, 3)),
        format!("{} {}", prefix(500, 8), prefix(800, 8)),
        "xylophone".to_string(),
    ];
    let queries: Vec<&str> = owned.iter().map(String::as_str).collect();
    let mut fts = Vec::new();
    for round in 0..25 {
        for q in &queries {
            let started = Instant::now();
            let hits = store.search(q, &SearchFilter::default(), 50).expect("search");
            fts.push(started.elapsed());
            if round == 0 {
                eprintln!("search `{q}`: {} hits", hits.len());
            }
        }
    }
    let conn = rusqlite::Connection::open(&search_path).expect("open");
    let mut like = Vec::new();
    for q in &queries {
        let terms: Vec<String> = q.split(' ').map(|t| format!("%{t}%")).collect();
        let condition = vec!["body LIKE ?"; terms.len()].join(" AND ");
        let started = Instant::now();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT id, body FROM messages WHERE {condition} ORDER BY row DESC LIMIT 50"
            ))
            .expect("prepare");
        let found = stmt
            .query_map(rusqlite::params_from_iter(terms.iter()), |r| r.get::<_, String>(0))
            .expect("query")
            .count();
        let took = started.elapsed();
        eprintln!("LIKE `{q}`: {found} rows in {}", ms(took));
        like.push(took);
    }
    let (fts_p50, fts_p99) = (percentile(&mut fts, 0.5), percentile(&mut fts, 0.99));
    let (like_p50, like_p99) = (percentile(&mut like, 0.5), percentile(&mut like, 0.99));
    rows_out.push(format!(
        "| full-text search, 1M messages | p50 {} / p99 {} | LIKE scan p50 {} / p99 {} | {:.3}x | p99 <= 10 ms |",
        ms(fts_p50),
        ms(fts_p99),
        ms(like_p50),
        ms(like_p99),
        fts_p99.as_secs_f64() / like_p99.as_secs_f64()
    ));
    drop(store);

    // ---- the cost of a durable outbox
    let (full, normal) = (durable_writes(dir.path(), "FULL"), durable_writes(dir.path(), "NORMAL"));
    rows_out.push(format!(
        "| 1,000 outbox writes, synchronous=FULL | {} ({:.2} ms each) | synchronous=NORMAL: {} | {:.2}x | (cost, no goal) |",
        ms(full),
        full.as_secs_f64() * 1000.0 / 1000.0,
        ms(normal),
        full.as_secs_f64() / normal.as_secs_f64()
    ));

    // ---- full sync from the reference server
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (ours, baseline) = runtime.block_on(full_sync(dir.path()));
    rows_out.push(format!(
        "| full sync, 100k messages over loopback | {} | bare HTTP + raw INSERT: {} | {:.2}x | <= 1.5x |",
        ms(ours),
        ms(baseline),
        ours.as_secs_f64() / baseline.as_secs_f64()
    ));

    println!("| measure | Confab | baseline (same run) | ratio | goal |");
    println!("|---|---:|---:|---:|---|");
    for row in rows_out {
        println!("{row}");
    }
}

/// 1,000 single-row outbox transactions in the cache's schema, WAL, at the given `synchronous`.
fn durable_writes(dir: &std::path::Path, synchronous: &str) -> Duration {
    let path = dir.join(format!("outbox-{synchronous}.db"));
    drop(Store::open(&path).expect("schema"));
    prepare_account(&path, "c1");
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL").expect("wal");
    conn.pragma_update(None, "synchronous", synchronous)
        .expect("synchronous");
    let started = Instant::now();
    for i in 0..1000 {
        conn.execute(
            "INSERT INTO outbox (client_id, account_id, conversation_id, operation, payload, created_at)
             VALUES (?1, 'acc', 'c1', 'send', '{\"op\":\"send\",\"body\":\"hi\",\"attachments\":[]}', ?2)",
            params![format!("c_{i}"), i],
        )
        .expect("insert");
    }
    started.elapsed()
}

const SYNC_CONVERSATIONS: usize = 20;
const SYNC_PER_CONVERSATION: usize = 5_000;

async fn full_sync(dir: &std::path::Path) -> (Duration, Duration) {
    use confab_server::store as server;
    let server_store = confab_server::Store::open(&dir.join("server.db")).expect("server store");
    let key = server_store
        .write_blocking(|tx| {
            let person = |name: &str| server::NewPerson {
                username: name.into(),
                display_name: name.into(),
                language: "en".into(),
                is_bot: false,
            };
            let (me, key) = server::create_person(tx, &person("me"))?;
            for c in 0..SYNC_CONVERSATIONS {
                let (other, _) = server::create_person(tx, &person(&format!("p{c}")))?;
                let id = server::create_conversation(
                    tx,
                    &server::NewConversation {
                        kind: server::Kind::Direct,
                        title: None,
                        created_by: me.id.clone(),
                        members: vec![me.id.clone(), other.id.clone()],
                        source: None,
                        locked: false,
                        created_at: 1_600_000_000_000,
                    },
                )?;
                for m in 0..SYNC_PER_CONVERSATION {
                    let at = 1_600_000_000_000 + (m as i64) * 1000;
                    server::insert_message(
                        tx,
                        &id,
                        if m % 2 == 0 { &me.id } else { &other.id },
                        &body(m as u64),
                        &[],
                        at,
                    )?;
                }
            }
            Ok(key)
        })
        .expect("server data");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let running = confab_server::start(listener, server_store, confab_server::Config::default())
        .await
        .expect("server");
    let url = running.url();

    // Confab: sign in, sync, then fetch older history until every conversation is complete.
    let mut config = ClientConfig::new(dir.join("client"));
    config.page_size = 500;
    let client = Client::open(config, Arc::new(MemorySecrets::default())).expect("client");
    let account = client
        .add_account(&url, Dialect::Portal, ApiKey::new(&key))
        .await
        .expect("account");
    let started = Instant::now();
    client.sync(&account.id).await.expect("sync");
    for conversation in client.conversations(None, ConversationFilter::All).expect("list") {
        while !client
            .conversation(&account.id, &conversation.id)
            .expect("conversation")
            .history_complete
        {
            client.load_older(&account.id, &conversation.id).await.expect("older");
        }
    }
    let ours = started.elapsed();
    let total: i64 = client
        .conversations(None, ConversationFilter::All)
        .expect("list")
        .iter()
        .map(|c| client.store().message_count(&account.id, &c.id).expect("count"))
        .sum();
    assert_eq!(
        total,
        (SYNC_CONVERSATIONS * SYNC_PER_CONVERSATION) as i64,
        "everything synced"
    );

    // Baseline: the same pages with a bare client, rows inserted raw into the same schema.
    let raw_path = dir.join("sync-raw.db");
    drop(Store::open(&raw_path).expect("schema"));
    prepare_account(&raw_path, "x");
    let http = confab_server::http_client();
    let started = Instant::now();
    let list: serde_json::Value = http
        .get(format!("{url}/api/messages"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let mut conn = rusqlite::Connection::open(&raw_path).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL").expect("wal");
    conn.pragma_update(None, "synchronous", "NORMAL").expect("sync");
    for conversation in list.as_array().expect("array") {
        let id = conversation["id"].as_str().expect("id");
        let mut before: Option<String> = None;
        loop {
            let mut path = format!("{url}/api/messages/{id}?limit=500");
            if let Some(b) = &before {
                path.push_str(&format!("&before={b}"));
            }
            let page: serde_json::Value = http
                .get(&path)
                .bearer_auth(&key)
                .send()
                .await
                .expect("page")
                .json()
                .await
                .expect("json");
            let messages = page["messages"].as_array().expect("messages");
            let tx = conn.transaction().expect("tx");
            {
                let mut stmt = tx
                    .prepare_cached(
                        "INSERT INTO messages (account_id, conversation_id, id, sender_id, body, reactions, attachments, created_at, delivery)
                         VALUES ('acc', ?1, ?2, ?3, ?4, ?5, '[]', ?6, 'sent')",
                    )
                    .expect("prepare");
                for m in messages {
                    stmt.execute(params![
                        id,
                        m["id"].as_str(),
                        m["sender_id"].as_str(),
                        m["body"].as_str(),
                        m["reactions"].to_string(),
                        m["created_at"].as_i64()
                    ])
                    .expect("insert");
                }
            }
            tx.commit().expect("commit");
            before = messages.first().and_then(|m| m["id"].as_str()).map(str::to_string);
            if page["has_more"] != true {
                break;
            }
        }
    }
    let baseline = started.elapsed();
    running.shutdown().await.expect("shutdown");
    (ours, baseline)
}
