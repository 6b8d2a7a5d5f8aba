//! TLS on and off: with a certificate configured the service speaks only HTTPS (rustls), and a
//! client that trusts the certificate logs in and reads a case through it.

use super::harness::{json, state_for, world, TestServer};
use crate::test_db;
use porchlight_server::Listener;

#[tokio::test]
async fn the_service_serves_https_when_given_a_certificate() {
    let db = test_db!();
    let w = world(&db).await;
    let dir = std::env::temp_dir().join(format!("porchlight-tls-{}", db.name));
    std::fs::create_dir_all(&dir).unwrap();
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();

    let config = porchlight_server::tls_config(&cert, &key).unwrap();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let http = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(
            reqwest::Certificate::from_pem(generated.cert.pem().as_bytes()).unwrap(),
        )
        .resolve("localhost", addr)
        .build()
        .unwrap();
    let server = TestServer::start_on(
        Listener::tls(tcp, config).unwrap(),
        state_for(&db),
        format!("https://localhost:{}", addr.port()),
        http,
    )
    .await;

    let token = server.login(w.person("cm_assigned")).await;
    let (status, text) = server.get(&format!("/v1/cases/{}", w.case_a), &token).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(json(&text)["fields"]["child"]["given_name"], "Maya");

    // Plain HTTP to the TLS port gets no answer, and a client that does not trust the
    // certificate cannot connect.
    assert!(reqwest::get(format!("http://{addr}/health")).await.is_err());
    let untrusting = reqwest::Client::builder()
        .use_rustls_tls()
        .resolve("localhost", addr)
        .build()
        .unwrap();
    assert!(untrusting
        .get(format!("https://localhost:{}/health", addr.port()))
        .send()
        .await
        .is_err());

    // A key that does not belong to the certificate is refused at start-up, naming the problem.
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(&key, other.signing_key.serialize_pem()).unwrap();
    let err = porchlight_server::tls_config(&cert, &key).expect_err("a mismatched key is refused");
    assert!(err.to_string().contains("do not work together"), "{err}");
    assert!(porchlight_server::tls_config(&dir.join("missing.pem"), &key).is_err());
    std::fs::remove_dir_all(&dir).ok();
    server.shutdown().await;
}

#[tokio::test]
async fn without_a_certificate_the_service_speaks_plain_http() {
    let db = test_db!();
    let server = TestServer::start(state_for(&db)).await;
    assert!(server.base.starts_with("http://"));
    let (status, _) = server
        .call(reqwest::Method::GET, "/health", None, None)
        .await;
    assert_eq!(status, 200);
}
