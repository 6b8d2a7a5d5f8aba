//! The central service as seen from a device: enrolment (log in, then hello), and each sync
//! endpoint as one method that sends the protocol's request and returns its typed answer or a
//! `SyncError` that says what went wrong. Photos travel here too: uploads resume where the
//! service stopped receiving, downloads resume with a range and are checked by SHA-256. It does
//! not decide what to send or when (`engine`), nor how bytes cross the wire (`transport`).

use crate::error::SyncError;
use crate::transport::{Call, FaultHook, Payload, Phase, Reply, Transport};
use porchlight_domain::EnrolForm;
use porchlight_sync::{
    BlobRef, CompleteUpload, Cursor, Hello, Op, PullPage, PushResponse, UploadState, VersionMismatch, BLOB_CHUNK,
    MAX_PULL_LIMIT, MAX_PUSH_OPS,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use ureq::http::{Method, Uri};
use uuid::Uuid;

/// How many times a download that keeps being cut is resumed before the sync gives up on it.
const DOWNLOAD_ATTEMPTS: u32 = 5;

/// The central service at one address, reached with one device's token.
pub struct Remote {
    base: String,
    token: String,
    transport: Transport,
}

impl fmt::Debug for Remote {
    // The token is a password: it never reaches a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Remote").field("base", &self.base).finish_non_exhaustive()
    }
}

/// What a successful enrolment gives the workspace to keep (inside its encryption).
#[derive(Debug, Clone, PartialEq)]
pub struct Enrolment {
    pub device_id: Uuid,
    pub token: String,
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub hello: Hello,
}

#[derive(Serialize)]
struct LoginRequest<'a> {
    username: &'a str,
    password: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    totp: Option<&'a str>,
    device_name: &'a str,
}

#[derive(Deserialize)]
struct LoginResponse {
    token: String,
    device_id: Uuid,
    user: LoginUser,
}

#[derive(Deserialize)]
struct LoginUser {
    id: Uuid,
    username: String,
    display_name: String,
    role: String,
}

#[derive(Serialize)]
struct PushBody<'a> {
    ops: &'a [Op],
}

impl Remote {
    /// The service at `server_url`, reached with a device `token` from an earlier enrolment.
    pub fn new(server_url: &str, token: &str) -> Result<Remote, SyncError> {
        let base = server_address(server_url)?;
        if token.trim().is_empty() {
            return Err(SyncError::Invalid {
                field: "token",
                message: "this device has no token for the service; enrol it again".into(),
            });
        }
        Ok(Remote { base, token: token.trim().to_owned(), transport: Transport::new() })
    }

    /// Logs in as the person in `form` (which enrols this device and issues its token), then
    /// says hello with the new token to learn the service's clock and protocol.
    pub fn enrol(server_url: &str, form: &EnrolForm) -> Result<(Remote, Enrolment), SyncError> {
        let base = server_address(server_url)?;
        let (username, device_name, totp) = (form.username.trim(), form.device_name.trim(), form.totp.trim());
        if username.is_empty() {
            return Err(SyncError::Invalid { field: "username", message: "give the user name an administrator created for you".into() });
        }
        if form.password.is_empty() {
            return Err(SyncError::Invalid { field: "password", message: "give the password of your account on the service".into() });
        }
        if device_name.is_empty() || device_name.chars().count() > 100 || device_name.chars().any(char::is_control) {
            return Err(SyncError::Invalid {
                field: "device_name",
                message: "give 1 to 100 printable characters naming this computer, e.g. \"Field laptop 3\"".into(),
            });
        }
        let six_digits = totp.len() == 6 && totp.bytes().all(|b| b.is_ascii_digit());
        if !totp.is_empty() && !six_digits {
            return Err(SyncError::Invalid { field: "totp", message: "give the six digits your authenticator app shows now".into() });
        }
        let body = LoginRequest { username, password: &form.password, totp: (!totp.is_empty()).then_some(totp), device_name };
        let json = serde_json::to_vec(&body).map_err(|e| SyncError::Server { status: 0, message: format!("the login could not be written: {e}") })?;
        let transport = Transport::new();
        let call = Call { phase: Phase::Login, method: Method::POST, path: "/v1/login".into(), token: None, payload: Payload::Json(json), range_from: None };
        let reply = transport.exchange(&base, &call)?;
        let login: LoginResponse = match reply.status {
            200..=299 => parse(&reply)?,
            401 if api_code(&reply.body).as_deref() == Some("totp_required") => return Err(SyncError::SecondFactorRequired),
            401 | 403 | 422 | 429 => return Err(SyncError::Refused { status: reply.status, message: api_message(&reply) }),
            300..=399 => return Err(redirected(&base, &reply)),
            404 | 405 => {
                return Err(SyncError::Invalid {
                    field: "server_url",
                    message: format!("{base} answers, but is not a Porchlight central service; check the address"),
                })
            }
            _ => return Err(SyncError::Server { status: reply.status, message: api_message(&reply) }),
        };
        let remote = Remote { base, token: login.token.clone(), transport };
        let hello = remote.hello()?;
        let enrolment = Enrolment {
            device_id: login.device_id,
            token: login.token,
            user_id: login.user.id,
            username: login.user.username,
            display_name: login.user.display_name,
            role: login.user.role,
            hello,
        };
        Ok((remote, enrolment))
    }

    /// Asks that every later request go through `hook`, which may inject a fault into it (see
    /// `Fault`). For simulations and tests; the app never sets one.
    pub fn with_fault_hook(mut self, hook: FaultHook) -> Remote {
        self.transport.set_hook(Some(hook));
        self
    }

    /// Announces protocol `version` instead of this build's, to test how the service and the
    /// messages handle an app that is too old or too new. The app never calls it.
    pub fn with_protocol_version(mut self, version: u32) -> Remote {
        self.transport.protocol = version;
        self
    }

    /// The service's address, as requests use it (no trailing slash).
    pub fn server_url(&self) -> &str {
        &self.base
    }

    /// Who this device is to the service, the service's clock and the versions it speaks.
    pub fn hello(&self) -> Result<Hello, SyncError> {
        let reply = self.exchange(Phase::Hello, Method::GET, "/v1/sync/hello".into(), Payload::None)?;
        if reply.status == 404 {
            return Err(SyncError::ProtocolMismatch { min: 0, max: 0 });
        }
        let hello: Hello = parse(&self.check(reply)?)?;
        let ours = self.transport.protocol;
        if ours < hello.min_protocol || ours > hello.protocol {
            return Err(SyncError::ProtocolMismatch { min: hello.min_protocol, max: hello.protocol });
        }
        Ok(hello)
    }

    /// Sends at most `MAX_PUSH_OPS` ops; the answer has one result per op, in order.
    pub fn push(&self, ops: &[Op]) -> Result<PushResponse, SyncError> {
        if ops.len() > MAX_PUSH_OPS {
            return Err(SyncError::Invalid {
                field: "ops",
                message: format!("one push carries at most {MAX_PUSH_OPS} changes, not {}; send them in several pushes", ops.len()),
            });
        }
        let json = serde_json::to_vec(&PushBody { ops })
            .map_err(|e| SyncError::Server { status: 0, message: format!("the changes could not be written: {e}") })?;
        let reply = self.exchange(Phase::Push, Method::POST, "/v1/sync/push".into(), Payload::PackedJson(json))?;
        let response: PushResponse = parse(&self.check(reply)?)?;
        let answered: Vec<Uuid> = response.results.iter().map(|r| r.op_id).collect();
        let sent: Vec<Uuid> = ops.iter().map(|o| o.id).collect();
        if answered != sent {
            return Err(SyncError::Server {
                status: 200,
                message: format!("it answered {} results for the {} changes sent, or in another order", answered.len(), sent.len()),
            });
        }
        Ok(response)
    }

    /// The page of changes after `cursor`, at most `limit` of them (capped by the protocol).
    pub fn pull(&self, cursor: Cursor, limit: u32) -> Result<PullPage, SyncError> {
        let limit = limit.clamp(1, MAX_PULL_LIMIT);
        let path = format!("/v1/sync/pull?cursor={cursor}&limit={limit}");
        let reply = self.check(self.exchange(Phase::Pull, Method::GET, path, Payload::None)?)?;
        if reply.content_type.as_deref().is_some_and(porchlight_sync::columns::is_columns_media_type) {
            return read_text(&reply, porchlight_sync::columns::from_columns);
        }
        parse(&reply)
    }

    /// Puts a photo's bytes on the service unless it holds them already: asks, resumes from
    /// what the service received of an earlier try, sends the rest in chunks, and asks it to
    /// check the whole against the SHA-256.
    pub fn upload_blob(&self, blob: &BlobRef, bytes: &[u8]) -> Result<(), SyncError> {
        let sha = blob_name(blob)?;
        if sha256_hex(bytes) != sha {
            return Err(SyncError::Integrity(format!("the photo {sha} held on this computer does not match its SHA-256 and was not sent")));
        }
        let head = self.exchange(Phase::BlobCheck, Method::HEAD, format!("/v1/blobs/{sha}"), Payload::None)?;
        if (200..300).contains(&head.status) {
            return Ok(());
        }
        if head.status != 404 {
            self.check(head)?;
        }
        // A second round follows only when the service found the assembled bytes damaged and
        // threw them away.
        for _round in 0..2 {
            let state = self.exchange(Phase::BlobState, Method::GET, format!("/v1/blobs/{sha}/upload"), Payload::None)?;
            let mut offset = parse::<UploadState>(&self.check(state)?)?.received;
            let mut stalled = 0;
            while offset < bytes.len() as u64 {
                let end = (offset as usize + BLOB_CHUNK).min(bytes.len());
                let chunk = &bytes[offset as usize..end];
                let reply = self.exchange(Phase::BlobChunk, Method::PUT, format!("/v1/blobs/{sha}/upload?offset={offset}"), Payload::Raw(chunk))?;
                let received = if reply.status == 409 || (200..300).contains(&reply.status) {
                    match serde_json::from_slice::<UploadState>(&reply.body) {
                        Ok(state) => state.received,
                        Err(_) => return Err(self.check(reply).err().unwrap_or_else(|| unreadable(200, "an upload state"))),
                    }
                } else {
                    return Err(self.check(reply).err().unwrap_or_else(|| unreadable(200, "an upload state")));
                };
                stalled = if received <= offset { stalled + 1 } else { 0 };
                if stalled > 2 {
                    return Err(SyncError::Server { status: 409, message: format!("it keeps refusing the photo {sha} at byte {offset}") });
                }
                offset = received;
            }
            let complete = CompleteUpload { size: bytes.len() as u64, mime: blob.mime.clone() };
            let json = serde_json::to_vec(&complete).map_err(|e| SyncError::Server { status: 0, message: e.to_string() })?;
            let reply = self.exchange(Phase::BlobComplete, Method::POST, format!("/v1/blobs/{sha}/complete"), Payload::Json(json))?;
            match reply.status {
                200..=299 => return Ok(()),
                422 => continue,
                _ => {
                    self.check(reply)?;
                }
            }
        }
        Err(SyncError::Integrity(format!("the service received the photo {sha} damaged twice; it is sent again at the next sync")))
    }

    /// Fetches a photo's bytes, resuming with a range request when the connection drops, and
    /// refuses them unless they hash to the photo's name.
    pub fn download_blob(&self, blob: &BlobRef) -> Result<Vec<u8>, SyncError> {
        let sha = blob_name(blob)?;
        let mut data: Vec<u8> = Vec::with_capacity(blob.size.min(64 << 20) as usize);
        let mut attempts = 0;
        loop {
            let call = Call {
                phase: Phase::BlobDownload,
                method: Method::GET,
                path: format!("/v1/blobs/{sha}"),
                token: Some(&self.token),
                payload: Payload::None,
                range_from: (!data.is_empty()).then_some(data.len() as u64),
            };
            let answer = self.transport.download(&self.base, &call)?;
            let cut = answer.cut;
            match answer.status {
                // The whole photo (none was asked for, or the service ignored the range).
                200 => data = answer.body,
                206 => data.extend_from_slice(&answer.body),
                // Asked past the end: what is held already is the whole photo.
                416 if !data.is_empty() => {}
                status => {
                    self.check(Reply { status, body: answer.body, content_type: None, location: None })?;
                    return Err(unreadable(status, "the photo"));
                }
            }
            match cut {
                Some(e) => {
                    attempts += 1;
                    if attempts >= DOWNLOAD_ATTEMPTS {
                        return Err(e);
                    }
                }
                None => break,
            }
        }
        if blob.size > 0 && data.len() as u64 != blob.size {
            return Err(SyncError::Integrity(format!(
                "the photo {sha} arrived with {} bytes instead of {}",
                data.len(),
                blob.size
            )));
        }
        if sha256_hex(&data) != sha {
            return Err(SyncError::Integrity(format!("the photo {sha} arrived damaged (its bytes do not match its SHA-256)")));
        }
        Ok(data)
    }

    /// Tells the service that this device deleted its workspace after a remote-wipe request;
    /// the token stops working with this call.
    pub fn report_wiped(&self) -> Result<(), SyncError> {
        let reply = self.exchange(Phase::Wiped, Method::POST, "/v1/device/wiped".into(), Payload::None)?;
        self.check(reply).map(|_| ())
    }

    /// Body bytes sent and received so far, compressed, as they crossed the wire (headers
    /// left out): for the benchmark's "bytes on the wire".
    pub fn bytes_on_wire(&self) -> (u64, u64) {
        self.transport.bytes_on_wire()
    }

    fn exchange(&self, phase: Phase, method: Method, path: String, payload: Payload<'_>) -> Result<Reply, SyncError> {
        let call = Call { phase, method, path, token: Some(&self.token), payload, range_from: None };
        self.transport.exchange(&self.base, &call)
    }

    /// Turns every answer but a success into the error that says what the service meant.
    fn check(&self, reply: Reply) -> Result<Reply, SyncError> {
        match reply.status {
            200..=299 => Ok(reply),
            300..=399 => Err(redirected(&self.base, &reply)),
            401 => Err(SyncError::Revoked { message: api_message(&reply) }),
            410 => Err(SyncError::WipeRequested),
            409 => match serde_json::from_slice::<VersionMismatch>(&reply.body) {
                Ok(v) => Err(SyncError::ProtocolMismatch { min: v.min_protocol, max: v.max_protocol }),
                Err(_) => Err(SyncError::Server { status: 409, message: api_message(&reply) }),
            },
            403 | 429 => Err(SyncError::Refused { status: reply.status, message: api_message(&reply) }),
            status => Err(SyncError::Server { status, message: api_message(&reply) }),
        }
    }
}

/// The service's address from what a person typed: http or https, a host, no query; the
/// trailing slash dropped so paths can be appended.
pub fn server_address(raw: &str) -> Result<String, SyncError> {
    let text = raw.trim();
    let refuse = |why: &str| SyncError::Invalid {
        field: "server_url",
        message: format!("\"{text}\" {why}; give e.g. https://sync.example.org"),
    };
    if text.is_empty() {
        return Err(SyncError::Invalid { field: "server_url", message: "give the address of the central service, e.g. https://sync.example.org".into() });
    }
    let uri: Uri = text.parse().map_err(|_| refuse("is not an http(s) address"))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => return Err(refuse("is not an http(s) address")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(refuse("has no host name"));
    }
    if uri.query().is_some() || text.contains('#') {
        return Err(refuse("must not have a query or fragment"));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

/// The lower-case hex SHA-256 a blob is named by, checked so that it is safe in a path.
fn blob_name(blob: &BlobRef) -> Result<&str, SyncError> {
    let sha = blob.sha256.as_str();
    if sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        Ok(sha)
    } else {
        Err(SyncError::Invalid { field: "sha256", message: format!("\"{sha}\" is not a SHA-256 in lower-case hex (64 characters)") })
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn parse<T: DeserializeOwned>(reply: &Reply) -> Result<T, SyncError> {
    read_text(reply, |text| serde_json::from_str(text))
}

/// Reads an answer's body with `read`, naming why it could not be read.
fn read_text<T>(reply: &Reply, read: impl FnOnce(&str) -> Result<T, serde_json::Error>) -> Result<T, SyncError> {
    let unreadable = |e: &dyn std::fmt::Display| SyncError::Server { status: reply.status, message: format!("its answer could not be read ({e})") };
    // The text is checked as UTF-8 once, in one pass, and then read as text: read as bytes,
    // serde_json checks each string on its own, a quarter of the time a page of thousands of
    // cases took to read.
    let text = std::str::from_utf8(&reply.body).map_err(|e| unreadable(&e))?;
    read(text).map_err(|e| unreadable(&e))
}

fn unreadable(status: u16, what: &str) -> SyncError {
    SyncError::Server { status, message: format!("it did not send {what}") }
}

fn redirected(base: &str, reply: &Reply) -> SyncError {
    let to = reply.location.as_deref().unwrap_or("another address");
    SyncError::Invalid { field: "server_url", message: format!("{base} sends requests on to {to}; enrol with that address instead") }
}

/// The sentence in the service's error body (`{"code", "message", "fields"}`), or the start of
/// whatever it sent.
fn api_message(reply: &Reply) -> String {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&reply.body) {
        if let Some(message) = value.get("message").and_then(|m| m.as_str()) {
            return message.to_owned();
        }
    }
    let text = String::from_utf8_lossy(&reply.body);
    let text: String = text.trim().chars().take(200).collect();
    if text.is_empty() {
        format!("HTTP status {} with no explanation", reply.status)
    } else {
        text
    }
}

fn api_code(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(body).ok()?.get("code")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_and_the_refusal_names_the_field_and_the_fix() {
        assert_eq!(server_address(" https://sync.example.org/ ").unwrap(), "https://sync.example.org");
        assert_eq!(server_address("http://127.0.0.1:8443").unwrap(), "http://127.0.0.1:8443");
        assert_eq!(server_address("https://example.org/porchlight/").unwrap(), "https://example.org/porchlight");
        for bad in ["", "sync.example.org", "ftp://example.org", "https://", "https://example.org/?x=1", "http://exa mple.org"] {
            let e = server_address(bad).unwrap_err();
            let SyncError::Invalid { field, message } = &e else { panic!("{bad:?} gave {e:?}") };
            assert_eq!(*field, "server_url");
            assert!(message.contains("https://sync.example.org"), "{bad:?}: {message}");
        }
    }

    #[test]
    fn blob_names_must_be_sha256_hex() {
        let ok = BlobRef { sha256: sha256_hex(b"x"), mime: "image/png".into(), size: 1 };
        assert!(blob_name(&ok).is_ok());
        for bad in ["../../etc/passwd", "ABC", &"A".repeat(64)] {
            let blob = BlobRef { sha256: bad.to_string(), mime: "image/png".into(), size: 1 };
            assert!(matches!(blob_name(&blob), Err(SyncError::Invalid { field: "sha256", .. })), "{bad}");
        }
    }

    #[test]
    fn an_answer_that_is_not_text_or_not_the_json_asked_for_is_refused_with_its_status() {
        let reply = |body: &[u8]| Reply { status: 200, body: body.to_vec(), content_type: None, location: None };
        let page: PullPage = parse(&reply(br#"{"changes":[],"cursor":"7.1","has_more":false,"server_time":"2026-12-07T10:00:00Z","server_stamp":"7716568991654914295/22f6077881644be9a699b0628b456f21"}"#)).unwrap();
        assert_eq!((page.cursor, page.changes.len()), (Cursor { seq: 7, epoch: 1 }, 0));
        for bad in [&b"{\"changes\": [\xff\xfe]}"[..], b"<html>proxy login</html>", b"{\"changes\": 12}"] {
            let e = parse::<PullPage>(&reply(bad)).unwrap_err();
            assert!(matches!(&e, SyncError::Server { status: 200, message } if message.starts_with("its answer could not be read (")), "{e:?}");
        }
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let remote = Remote::new("https://sync.example.org", "secret-token-value").unwrap();
        assert!(!format!("{remote:?}").contains("secret-token-value"));
        assert!(matches!(Remote::new("https://sync.example.org", " "), Err(SyncError::Invalid { field: "token", .. })));
    }
}
