//! The embedding API: start on a listener, learn the address, shut down gracefully.

use crate::common::TestServer;

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_lets_go_of_the_port_and_keeps_the_data() {
    let server = TestServer::start().await;
    let person = server.person("a");
    assert_eq!(person.get("/health").await.expect(200)["status"], "ok");
    let addr = server.server.addr();
    assert_eq!(server.url, format!("http://{addr}"));
    let TestServer {
        server: running,
        store,
        _dir,
        ..
    } = server;
    running.shutdown().await.expect("clean shutdown");
    assert!(
        reqwest::get(format!("http://{addr}/health")).await.is_err(),
        "nothing listens any more"
    );

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .expect("the port is free again");
    let again = confab_server::start(listener, store, confab_server::Config::default())
        .await
        .expect("restart");
    let person = person.clone();
    assert_eq!(
        person.get("/api/messages").await.expect(200),
        serde_json::json!([]),
        "the same key still works"
    );
    again.shutdown().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_ends_open_event_streams_instead_of_waiting_for_them() {
    let server = TestServer::start().await;
    let person = server.person("a");
    let mut stream = crate::events::Stream::open(&person, "/api/events", None).await;
    let TestServer {
        server: running, _dir, ..
    } = server;
    tokio::time::timeout(std::time::Duration::from_secs(5), running.shutdown())
        .await
        .expect("shutdown does not wait for event streams")
        .expect("clean shutdown");
    assert!(
        stream.next(std::time::Duration::from_secs(2)).await.is_none(),
        "the stream ended"
    );
}
