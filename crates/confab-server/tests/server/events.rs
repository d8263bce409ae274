//! The event streams (an extension): every change arrives once, in the dialect's shape, with an
//! id to resume from; a reconnect with `Last-Event-ID` replays exactly what was missed.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};

use crate::common::{portal_conversation, Api, TestServer};

/// One server-sent event.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: i64,
    pub event: String,
    pub data: Value,
}

/// Reads events from a stream response.
pub struct Stream {
    body: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buffer: String,
}

impl Stream {
    pub async fn open(api: &Api, path: &str, last_event_id: Option<i64>) -> Self {
        let mut request = api
            .http
            .get(format!("{}{path}", api.url))
            .bearer_auth(api.key.as_deref().unwrap_or_default());
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id.to_string());
        }
        let response = request.send().await.expect("stream opens");
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap_or("")
                .starts_with("text/event-stream"),
            "an event stream"
        );
        Self {
            body: Box::pin(response.bytes_stream()),
            buffer: String::new(),
        }
    }

    /// The next event, or `None` if none arrives within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (None, String::new(), String::new());
                for line in frame.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                match id {
                    Some(id) => {
                        return Some(Received {
                            id,
                            event,
                            data: serde_json::from_str(&data).expect("event data is JSON"),
                        })
                    }
                    None => continue, // a keep-alive comment
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next()).await.ok()??;
            self.buffer
                .push_str(&String::from_utf8_lossy(&chunk.expect("stream chunk")));
        }
    }

    /// Collects events until `n` have arrived.
    pub async fn take(&mut self, n: usize) -> Vec<Received> {
        let mut out = Vec::new();
        while out.len() < n {
            match self.next(Duration::from_secs(5)).await {
                Some(event) => out.push(event),
                None => panic!("only {} of {n} events arrived: {out:?}", out.len()),
            }
        }
        out
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_dialect_streams_changes_in_its_own_shape() {
    let server = TestServer::start().await;
    let (a, b) = (server.person("a"), server.person("b"));
    let id = portal_conversation(&a, &[&b], "opening").await;
    let mut portal = Stream::open(&b, "/api/events", None).await;
    let mut protocol = Stream::open(&b, "/v1/events", None).await;
    let mut managem = Stream::open(&b, "/events", None).await;

    a.post_json(&format!("/api/messages/{id}"), json!({ "body": "live" }))
        .await
        .expect(201);

    let event = portal.next(Duration::from_secs(5)).await.expect("portal event");
    assert_eq!(event.event, "message.created");
    assert_eq!(event.data["message"]["body"], "live");
    assert!(
        event.data["message"]["created_at"]
            .as_i64()
            .is_some_and(|t| t > 1_000_000_000_000),
        "portal: ms"
    );
    let event = protocol.next(Duration::from_secs(5)).await.expect("protocol event");
    assert_eq!(event.data["message"]["message"], "live");
    assert!(
        event.data["message"]["created_at"]
            .as_i64()
            .is_some_and(|t| t < 100_000_000_000),
        "protocol: seconds"
    );
    let event = managem.next(Duration::from_secs(5)).await.expect("managem event");
    assert_eq!(event.data["message"]["body"], "live");
    assert!(event.data["message"]["createdAt"].is_string(), "managem: ISO");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_of_change_is_announced() {
    let server = TestServer::start().await;
    let (a, b, c) = (server.person("a"), server.person("b"), server.person("c"));
    let mut stream = Stream::open(&b, "/api/events", None).await;
    let id = portal_conversation(&a, &[&b, &c], "opening").await;
    let created = stream.take(2).await;
    assert_eq!(
        created.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(),
        ["conversation.created", "message.created"]
    );
    let message_id = created[1].data["message"]["id"].as_str().expect("id").to_string();

    c.post_json(
        &format!("/api/messages/{id}/react"),
        json!({ "message_id": message_id, "emoji": "🎉" }),
    )
    .await
    .expect(200);
    let protocol_id = a.get(&format!("/v1/messages/{message_id}")).await.expect(200)["id"].clone();
    a.put_form(&format!("/v1/messages/{message_id}"), &[("message", "edited")])
        .await
        .expect(200);
    b.put_form(&format!("/v1/conversations/{id}"), &[("is_muted", "true")])
        .await
        .expect(200);
    c.post_json(&format!("/api/messages/{id}/leave"), json!({}))
        .await
        .expect(204);
    a.delete(&format!("/v1/messages/{message_id}")).await.expect(204);
    assert_eq!(protocol_id, message_id.as_str());

    let events = stream.take(5).await;
    let kinds: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "message.reaction",
            "message.edited",
            "conversation.updated",
            "member.left",
            "message.deleted"
        ]
    );
    assert_eq!(events[0].data["message"]["reactions"], json!({ "🎉": [c.id] }));
    assert_eq!(events[1].data["message"]["body"], "edited");
    assert_eq!(events[3].data["person_id"], c.id.as_str());
    assert_eq!(events[4].data["message_id"], message_id.as_str());
    assert!(events.windows(2).all(|w| w[0].id < w[1].id), "ids increase");
    assert!(
        stream.next(Duration::from_millis(300)).await.is_none(),
        "nothing is announced twice"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn someone_elses_mute_is_not_announced_to_you() {
    let server = TestServer::start().await;
    let (a, b) = (server.person("a"), server.person("b"));
    let id = portal_conversation(&a, &[&b], "hi").await;
    let mut stream = Stream::open(&b, "/v1/events", None).await;
    a.put_form(&format!("/v1/conversations/{id}"), &[("is_muted", "true")])
        .await
        .expect(200);
    assert!(
        stream.next(Duration::from_millis(500)).await.is_none(),
        "a's mute is a's business"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cut_stream_resumes_from_last_event_id_without_loss_or_repeat() {
    let server = TestServer::start().await;
    let (a, b) = (server.person("a"), server.person("b"));
    let id = portal_conversation(&a, &[&b], "m0").await;
    let mut stream = Stream::open(&b, "/v1/events", None).await;
    for i in 1..=3 {
        a.post_json(&format!("/api/messages/{id}"), json!({ "body": format!("m{i}") }))
            .await
            .expect(201);
    }
    let before_cut = stream.take(3).await;
    let last = before_cut[2].id;
    drop(stream); // the connection is cut

    for i in 4..=8 {
        a.post_json(&format!("/api/messages/{id}"), json!({ "body": format!("m{i}") }))
            .await
            .expect(201);
    }
    let mut resumed = Stream::open(&b, "/v1/events", Some(last)).await;
    let missed = resumed.take(5).await;
    let bodies: Vec<&str> = missed
        .iter()
        .map(|e| e.data["message"]["message"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        bodies,
        ["m4", "m5", "m6", "m7", "m8"],
        "exactly what was missed, in order"
    );
    a.post_json(&format!("/api/messages/{id}"), json!({ "body": "m9" }))
        .await
        .expect(201);
    let live = resumed
        .next(Duration::from_secs(5))
        .await
        .expect("live after catching up");
    assert_eq!(live.data["message"]["message"], "m9");
    assert!(resumed.next(Duration::from_millis(300)).await.is_none());
}
