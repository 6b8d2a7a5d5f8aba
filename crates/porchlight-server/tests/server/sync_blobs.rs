//! Photo bytes over sync: a chunked upload survives a connection cut mid-chunk and resumes where
//! the service says it stands, bytes that do not hash to their name are refused (422) and thrown
//! away, a download resumes from any byte, and only devices whose user may see a photo with
//! those bytes get them.

use super::harness::{json, state_for, world, TestServer, PNG};
use super::sync_kit::*;
use crate::test_db;
use porchlight_sync::{Entity, UploadState, BLOB_CHUNK, PROTOCOL_HEADER};
use reqwest::Method;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An image of `len` bytes: a PNG signature and generated filler (never a real photo).
fn image(len: usize, seed: u8) -> Vec<u8> {
    let mut bytes = PNG.to_vec();
    let mut x = u32::from(seed) | 1;
    while bytes.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.push(x as u8);
    }
    bytes
}

async fn put_chunk(
    server: &TestServer,
    dev: &Device,
    sha: &str,
    offset: usize,
    bytes: Vec<u8>,
) -> (u16, String) {
    let res = server
        .http
        .put(format!(
            "{}/v1/blobs/{sha}/upload?offset={offset}",
            server.base
        ))
        .bearer_auth(&dev.token)
        .header(PROTOCOL_HEADER, "1")
        .body(bytes)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn received(server: &TestServer, dev: &Device, sha: &str) -> u64 {
    let (status, _, text) = call(
        server,
        Method::GET,
        &format!("/v1/blobs/{sha}/upload"),
        &dev.token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str::<UploadState>(&text).unwrap().received
}

async fn complete(server: &TestServer, dev: &Device, sha: &str, size: usize) -> (u16, String) {
    let body = serde_json::to_vec(&json!({ "size": size, "mime": "image/png" })).unwrap();
    let (status, _, text) = call(
        server,
        Method::POST,
        &format!("/v1/blobs/{sha}/complete"),
        &dev.token,
        Some(body),
    )
    .await;
    (status, text)
}

async fn head(server: &TestServer, dev: &Device, sha: &str) -> u16 {
    call(
        server,
        Method::HEAD,
        &format!("/v1/blobs/{sha}"),
        &dev.token,
        None,
    )
    .await
    .0
}

async fn download(
    server: &TestServer,
    dev: &Device,
    sha: &str,
    from: Option<usize>,
) -> (u16, Option<String>, Vec<u8>) {
    let mut req = server
        .http
        .get(format!("{}/v1/blobs/{sha}", server.base))
        .bearer_auth(&dev.token)
        .header(PROTOCOL_HEADER, "1");
    if let Some(n) = from {
        req = req.header("range", format!("bytes={n}-"));
    }
    let res = req.send().await.unwrap();
    let range = res
        .headers()
        .get("content-range")
        .map(|v| v.to_str().unwrap().to_owned());
    (
        res.status().as_u16(),
        range,
        res.bytes().await.unwrap().to_vec(),
    )
}

#[tokio::test]
async fn an_upload_cut_mid_chunk_resumes_and_only_those_who_may_see_the_photo_download_it() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let laptop = Device::enrol(&server, w.person("cm_assigned")).await;
    let bytes = image(2 * BLOB_CHUNK + 12_345, 7);
    let sha = hex(&Sha256::digest(&bytes));
    assert_eq!(head(&server, &laptop, &sha).await, 404, "not held yet");
    assert_eq!(received(&server, &laptop, &sha).await, 0);
    let (status, text) = put_chunk(&server, &laptop, &sha, 0, bytes[..BLOB_CHUNK].to_vec()).await;
    assert_eq!(status, 200, "{text}");

    // The connection drops halfway through the second chunk.
    let half = bytes[BLOB_CHUNK..BLOB_CHUNK + BLOB_CHUNK / 2].to_vec();
    let parts: Vec<Result<Vec<u8>, std::io::Error>> = vec![
        Ok(half),
        Err(std::io::Error::other("the train entered a tunnel")),
    ];
    let cut = server
        .http
        .put(format!(
            "{}/v1/blobs/{sha}/upload?offset={BLOB_CHUNK}",
            server.base
        ))
        .bearer_auth(&laptop.token)
        .header(PROTOCOL_HEADER, "1")
        .header("content-length", BLOB_CHUNK.to_string())
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            parts,
        )))
        .send()
        .await;
    assert!(
        cut.is_err() || !cut.unwrap().status().is_success(),
        "the cut chunk is not taken"
    );
    assert_eq!(
        received(&server, &laptop, &sha).await,
        BLOB_CHUNK as u64,
        "the service still has the first chunk only"
    );
    // A chunk sent for the wrong place is refused with where the upload stands.
    let (status, text) = put_chunk(
        &server,
        &laptop,
        &sha,
        2 * BLOB_CHUNK,
        bytes[2 * BLOB_CHUNK..].to_vec(),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(
        serde_json::from_str::<UploadState>(&text).unwrap().received,
        BLOB_CHUNK as u64
    );
    for start in [BLOB_CHUNK, 2 * BLOB_CHUNK] {
        let end = (start + BLOB_CHUNK).min(bytes.len());
        let (status, text) =
            put_chunk(&server, &laptop, &sha, start, bytes[start..end].to_vec()).await;
        assert_eq!(status, 200, "{text}");
    }
    let (status, text) = complete(&server, &laptop, &sha, bytes.len()).await;
    assert_eq!(status, 201, "{text}");
    assert_eq!(
        db.count("blob_chunks").await,
        0,
        "the chunks are gone once whole"
    );

    // The photo's metadata syncs as a record; then others may fetch the bytes.
    let photo = Uuid::now_v7();
    let a = w.case_a;
    let meta = set(
        &laptop,
        a,
        Entity::Photo,
        photo,
        &[
            ("sha256", json!(sha), None),
            ("mime", json!("image/png"), None),
            ("kind", json!("photo"), None),
            ("age_progressed_to", json!(null), None),
            ("taken_on", json!("2025-06-01"), None),
            ("source", json!("School"), None),
            ("consent_to_publish", json!(false), None),
            ("is_primary", json!(true), None),
            ("deleted", json!(false), None),
        ],
    );
    let first = meta.stamp;
    assert_eq!(
        head(&server, &laptop, &sha).await,
        404,
        "held, but no photo of a case in scope carries it yet"
    );
    push_ok(&server, &laptop, &[meta]).await;
    assert_eq!(head(&server, &laptop, &sha).await, 200);
    let phone = Device::enrol(&server, w.person("cm_shared")).await;
    let (status, _, got) = download(&server, &phone, &sha, None).await;
    assert_eq!(status, 200);
    assert!(got == bytes, "the bytes as sent");
    let (status, range, tail) = download(&server, &phone, &sha, Some(1_500_000)).await;
    assert_eq!(status, 206);
    assert_eq!(
        range.as_deref(),
        Some(format!("bytes 1500000-{}/{}", bytes.len() - 1, bytes.len()).as_str())
    );
    assert!(tail == bytes[1_500_000..], "resumed from byte 1,500,000");
    let (status, _, _) = download(&server, &phone, &sha, Some(bytes.len())).await;
    assert_eq!(status, 416);
    let (_, body) = server
        .get(&format!("/v1/cases/{a}/photos"), &phone.token)
        .await;
    assert!(
        body.contains(&photo.to_string()),
        "the case endpoints list it too"
    );

    // Out of scope, no photo access, or not consented: no bytes, and not even a hint.
    for who in ["cm_other", "vol_here", "poster"] {
        let dev = Device::enrol(&server, w.person(who)).await;
        assert_eq!(download(&server, &dev, &sha, None).await.0, 404, "{who}");
        assert_eq!(head(&server, &dev, &sha).await, 404, "{who}");
    }
    // Once the family consents, poster staff may have it.
    let consent = set(
        &laptop,
        a,
        Entity::Photo,
        photo,
        &[("consent_to_publish", json!(true), Some(first))],
    );
    push_ok(&server, &laptop, &[consent]).await;
    let poster = Device::enrol(&server, w.person("poster")).await;
    assert_eq!(download(&server, &poster, &sha, None).await.0, 200);
    // Only roles that add photos may upload.
    let vol = Device::enrol(&server, w.person("vol_here")).await;
    assert_eq!(
        put_chunk(&server, &vol, &sha, 0, bytes[..10].to_vec())
            .await
            .0,
        403
    );
    let actions = super::harness::audit_actions(&db).await;
    assert!(
        actions.contains(&"blob_uploaded".to_owned())
            && actions.contains(&"photo_downloaded".to_owned())
    );
}

#[tokio::test]
async fn bytes_that_do_not_hash_to_their_name_are_refused_and_thrown_away() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let dev = Device::enrol(&server, w.person("cm_assigned")).await;
    let bytes = image(5000, 3);
    let wrong_name = hex(&Sha256::digest(b"some other photo"));
    let (status, _) = put_chunk(&server, &dev, &wrong_name, 0, bytes.clone()).await;
    assert_eq!(status, 200);
    let (status, text) = complete(&server, &dev, &wrong_name, bytes.len()).await;
    assert_eq!(status, 422, "{text}");
    assert!(
        json(&text)["message"]
            .as_str()
            .unwrap()
            .contains("do not hash"),
        "{text}"
    );
    assert_eq!(
        received(&server, &dev, &wrong_name).await,
        0,
        "the upload was discarded"
    );
    assert_eq!(head(&server, &dev, &wrong_name).await, 404);
    // Not an image at all.
    let text_bytes = b"this is not a photo".to_vec();
    let sha = hex(&Sha256::digest(&text_bytes));
    put_chunk(&server, &dev, &sha, 0, text_bytes.clone()).await;
    assert_eq!(complete(&server, &dev, &sha, text_bytes.len()).await.0, 422);
    // Completing before every byte arrived says where the upload stands.
    let good = image(3000, 5);
    let sha = hex(&Sha256::digest(&good));
    put_chunk(&server, &dev, &sha, 0, good[..1000].to_vec()).await;
    let (status, text) = complete(&server, &dev, &sha, good.len()).await;
    assert_eq!(status, 409, "{text}");
    assert_eq!(
        serde_json::from_str::<UploadState>(&text).unwrap().received,
        1000
    );
    let (status, _) = put_chunk(&server, &dev, "not-a-hash", 0, good.clone()).await;
    assert_eq!(status, 400);
}
