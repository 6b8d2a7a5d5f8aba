//! The HTTP exchange under `Remote`: one blocking agent (ureq over rustls) with the protocol
//! header, compression both ways, timeouts and a count of the bytes on the wire; and the fault
//! hook through which a simulation loses replies, repeats requests, cuts transfers or takes the
//! network away. It knows nothing of what the bodies mean: `remote` does.

use crate::error::SyncError;
use porchlight_sync::PROTOCOL_VERSION;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use ureq::http;

/// Waiting longer than this for a connection means the service is out of reach.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest one request may take, answer included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest answer accepted, compressed or not: far above the biggest pull page or photo.
const MAX_BODY: u64 = 512 * 1024 * 1024;
/// The most memory reserved for an answer from the size it announces; past it, the buffer grows
/// as the bytes arrive.
const MAX_RESERVED: u64 = 64 * 1024 * 1024;
/// zstd's level for push bodies: most of the gain at a small cost in time on a slow laptop.
const PUSH_LEVEL: i32 = 3;

/// Which call of the protocol a request is, so that a fault hook can aim at, say, pushes only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// `POST /v1/login`.
    Login,
    /// `GET /v1/sync/hello`.
    Hello,
    /// `POST /v1/sync/push`.
    Push,
    /// `GET /v1/sync/pull`.
    Pull,
    /// `HEAD /v1/blobs/{sha256}`.
    BlobCheck,
    /// `GET /v1/blobs/{sha256}/upload`.
    BlobState,
    /// `PUT /v1/blobs/{sha256}/upload?offset=N`: one chunk.
    BlobChunk,
    /// `POST /v1/blobs/{sha256}/complete`.
    BlobComplete,
    /// `GET /v1/blobs/{sha256}`, asked again for each resumed range.
    BlobDownload,
    /// `POST /v1/device/wiped`.
    Wiped,
}

/// A failure injected into one request by a fault hook. Real networks do each of these; the
/// simulation uses them to prove that nothing is lost or applied twice when they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The request never leaves this computer: the network is down.
    Offline,
    /// The request reaches the service and is answered in full (whatever it changed stays
    /// changed), but the answer is lost on the way back: the caller sees a dropped connection.
    LoseReply,
    /// The request is sent twice, as a retrying proxy might; the second answer is the one used.
    Duplicate,
    /// The transfer breaks after this many body bytes. A blob chunk upload sends only these
    /// bytes, as a complete request (the service keeps what arrived, as it would keep what it
    /// read before a connection dropped), then fails; a blob download stops reading after them
    /// and resumes with a range request. Other requests ignore it.
    CutAfter(u64),
}

/// Asked once before each request with its path (query included) and phase; `None` lets the
/// request through untouched.
pub type FaultHook = Arc<dyn Fn(&str, Phase) -> Option<Fault> + Send + Sync>;

/// A request body and how it travels.
pub(crate) enum Payload<'a> {
    None,
    /// JSON as it is: small bodies, and endpoints that take no compressed bodies (login).
    Json(Vec<u8>),
    /// JSON, zstd-compressed on the wire: pushes, the one large body a device sends.
    PackedJson(Vec<u8>),
    /// Bytes sent as they are (photos are compressed already).
    Raw(&'a [u8]),
}

pub(crate) struct Call<'a> {
    pub phase: Phase,
    pub method: http::Method,
    /// The path after the base address, query included: `/v1/sync/pull?cursor=0.0&limit=10`.
    pub path: String,
    pub token: Option<&'a str>,
    pub payload: Payload<'a>,
    /// `Range: bytes=N-`, for resumed downloads.
    pub range_from: Option<u64>,
}

/// An answer, its body already decoded.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    /// The answer's `Content-Type`, which tells a pull page in the column form from one in rows.
    pub content_type: Option<String>,
    /// The address of a redirect, to name in the error.
    pub location: Option<String>,
}

pub(crate) struct Transport {
    agent: ureq::Agent,
    sent: AtomicU64,
    received: AtomicU64,
    hook: Option<FaultHook>,
    /// The protocol version announced on every request: `PROTOCOL_VERSION`, unless a test of
    /// version negotiation pretends to be another build.
    pub protocol: u32,
}

impl Transport {
    pub fn new() -> Transport {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(REQUEST_TIMEOUT))
            // A redirect would resend a body and a token to an address nobody chose; the
            // error names the address to enrol with instead.
            .max_redirects(0)
            .user_agent(concat!("porchlight/", env!("CARGO_PKG_VERSION")))
            .accept_encoding("zstd, gzip;q=0.5")
            .build();
        Transport {
            agent: ureq::Agent::new_with_config(config),
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
            hook: None,
            protocol: PROTOCOL_VERSION,
        }
    }

    pub fn set_hook(&mut self, hook: Option<FaultHook>) {
        self.hook = hook;
    }

    /// Body bytes sent and received so far, as they crossed the wire (compressed).
    pub fn bytes_on_wire(&self) -> (u64, u64) {
        (self.sent.load(Ordering::Relaxed), self.received.load(Ordering::Relaxed))
    }

    fn fault(&self, call: &Call<'_>) -> Option<Fault> {
        self.hook.as_ref().and_then(|hook| hook(&call.path, call.phase))
    }

    /// Sends one request and reads its whole answer, applying any injected fault.
    pub fn exchange(&self, base: &str, call: &Call<'_>) -> Result<Reply, SyncError> {
        match self.fault(call) {
            None => self.once(base, call, None),
            Some(Fault::Offline) => Err(unreachable(base, "the network is down (injected fault)")),
            Some(Fault::LoseReply) => {
                let _lost = self.once(base, call, None)?;
                Err(unreachable(base, "the connection dropped before the answer arrived (injected fault)"))
            }
            Some(Fault::Duplicate) => {
                let _first = self.once(base, call, None)?;
                self.once(base, call, None)
            }
            Some(Fault::CutAfter(n)) => match call.payload {
                Payload::Raw(bytes) => {
                    let cut = Call {
                        phase: call.phase,
                        method: call.method.clone(),
                        path: call.path.clone(),
                        token: call.token,
                        payload: Payload::Raw(&bytes[..bytes.len().min(n as usize)]),
                        range_from: call.range_from,
                    };
                    let _partial = self.once(base, &cut, None)?;
                    Err(unreachable(base, "the connection dropped during the upload (injected fault)"))
                }
                _ => self.once(base, call, Some(n)),
            },
        }
    }

    /// One request. `cut_after` stops reading the answer's body after that many bytes and fails
    /// as a dropped connection does, keeping what was read in the error's partial body.
    fn once(&self, base: &str, call: &Call<'_>, cut_after: Option<u64>) -> Result<Reply, SyncError> {
        match self.send(base, call)? {
            Sent::Whole(reply) => Ok(reply),
            Sent::Streaming(response) => self.read_whole(base, response, cut_after).map_err(|(e, _)| e),
        }
    }

    /// Sends a download request and reads its body. A connection that drops midway still
    /// answers `Ok`, with what arrived and the failure in `cut`, so the caller can resume.
    pub fn download(&self, base: &str, call: &Call<'_>) -> Result<Download, SyncError> {
        let cut_after = match self.fault(call) {
            Some(Fault::Offline) => return Err(unreachable(base, "the network is down (injected fault)")),
            Some(Fault::CutAfter(n)) => Some(n),
            _ => None,
        };
        match self.send(base, call)? {
            Sent::Whole(reply) => Ok(Download { status: reply.status, body: reply.body, cut: None }),
            Sent::Streaming(response) => {
                let status = response.status().as_u16();
                match self.read_whole(base, response, cut_after) {
                    Ok(reply) => Ok(Download { status, body: reply.body, cut: None }),
                    Err((e, partial)) => Ok(Download { status, body: partial, cut: Some(e) }),
                }
            }
        }
    }

    fn send(&self, base: &str, call: &Call<'_>) -> Result<Sent, SyncError> {
        let url = format!("{base}{}", call.path);
        let mut builder = http::Request::builder()
            .method(call.method.clone())
            .uri(&url)
            .header(porchlight_sync::PROTOCOL_HEADER, self.protocol.to_string());
        if let Some(token) = call.token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        if let Some(from) = call.range_from {
            builder = builder.header("range", format!("bytes={from}-"));
        }
        if call.phase == Phase::Pull {
            // Pages in the column form are smaller and cost the service less to compress; a
            // service that does not speak it answers in rows (`porchlight_sync::columns`).
            builder = builder.header("accept", format!("{}, application/json;q=0.5", porchlight_sync::columns::COLUMNS_MEDIA_TYPE));
        }
        if call.phase == Phase::BlobDownload {
            // Ranges count the photo's own bytes; a compressed answer would count others.
            builder = builder.header("accept-encoding", "identity");
        }
        let result = match &call.payload {
            Payload::None => {
                let request = builder.body(()).map_err(|e| bad_request(base, &e))?;
                self.agent.run(request)
            }
            Payload::Json(json) => {
                self.sent.fetch_add(json.len() as u64, Ordering::Relaxed);
                let request = builder
                    .header("content-type", "application/json")
                    .body(json.as_slice())
                    .map_err(|e| bad_request(base, &e))?;
                self.agent.run(request)
            }
            Payload::PackedJson(json) => {
                let packed = zstd::bulk::compress(json, PUSH_LEVEL).map_err(|e| SyncError::Server {
                    status: 0,
                    message: format!("the request could not be compressed: {e}"),
                })?;
                self.sent.fetch_add(packed.len() as u64, Ordering::Relaxed);
                let request = builder
                    .header("content-type", "application/json")
                    .header("content-encoding", "zstd")
                    .body(packed)
                    .map_err(|e| bad_request(base, &e))?;
                self.agent.run(request)
            }
            Payload::Raw(bytes) => {
                self.sent.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                let request = builder
                    .header("content-type", "application/octet-stream")
                    .body(*bytes)
                    .map_err(|e| bad_request(base, &e))?;
                self.agent.run(request)
            }
        };
        let response = result.map_err(|e| transport_error(base, e))?;
        if call.method == http::Method::HEAD {
            return Ok(Sent::Whole(Reply { status: response.status().as_u16(), body: Vec::new(), content_type: None, location: None }));
        }
        Ok(Sent::Streaming(response))
    }

    /// Reads an answer's body, counts it, and decodes it by its `Content-Encoding`.
    fn read_whole(
        &self,
        base: &str,
        response: http::Response<ureq::Body>,
        cut_after: Option<u64>,
    ) -> Result<Reply, (SyncError, Vec<u8>)> {
        let status = response.status().as_u16();
        let encoding = header(&response, "content-encoding").unwrap_or_default().to_ascii_lowercase();
        let location = header(&response, "location");
        let content_type = header(&response, "content-type");
        let limit = cut_after.unwrap_or(u64::MAX);
        // Sized by the length the service gave, up to `MAX_RESERVED`, for the same reason as the
        // decompressed answer in `decode`.
        let length = header(&response, "content-length").and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
        let mut raw = Vec::with_capacity(length.min(MAX_RESERVED).min(limit) as usize);
        let mut reader = response.into_body().into_with_config().limit(MAX_BODY).reader();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let room = (limit - raw.len() as u64).min(buf.len() as u64) as usize;
            if room == 0 {
                self.received.fetch_add(raw.len() as u64, Ordering::Relaxed);
                return Err((unreachable(base, "the connection dropped during the answer (injected fault)"), raw));
            }
            match reader.read(&mut buf[..room]) {
                Ok(0) => break,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.received.fetch_add(raw.len() as u64, Ordering::Relaxed);
                    return Err((unreachable(base, &format!("the connection dropped during the answer: {e}")), raw));
                }
            }
        }
        self.received.fetch_add(raw.len() as u64, Ordering::Relaxed);
        let body = decode(&encoding, raw).map_err(|e| (e, Vec::new()))?;
        Ok(Reply { status, body, content_type, location })
    }
}

/// A download's answer: its status, the bytes that arrived, and why it stopped early if it did.
pub(crate) struct Download {
    pub status: u16,
    pub body: Vec<u8>,
    pub cut: Option<SyncError>,
}

enum Sent {
    Whole(Reply),
    Streaming(http::Response<ureq::Body>),
}

fn header(response: &http::Response<ureq::Body>, name: &str) -> Option<String> {
    response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// The body as sent by the service, decompressed; a decompressed size past `MAX_BODY` is refused
/// so a hostile answer cannot fill the memory.
fn decode(encoding: &str, raw: Vec<u8>) -> Result<Vec<u8>, SyncError> {
    let unreadable = |what: &str, e: std::io::Error| SyncError::Server {
        status: 0,
        message: format!("its {what}-compressed answer could not be decoded: {e}"),
    };
    let mut out = Vec::new();
    match encoding.trim() {
        "" | "identity" => return Ok(raw),
        "zstd" => {
            // Read to the size the frame gives, when it gives one (the pull pages the service
            // makes ahead do), so that a page of a few megabytes is written once into memory of its size
            // instead of into a buffer that doubles twenty times and is copied each time.
            // The size is the sender's word: a frame claiming far more than a page compresses
            // from is grown to as it is read, never reserved up front.
            if let Ok(Some(size)) = zstd::zstd_safe::get_frame_content_size(&raw) {
                out.reserve_exact(size.min(MAX_RESERVED).min(raw.len() as u64 * 64) as usize);
            }
            let decoder = zstd::stream::read::Decoder::new(raw.as_slice()).map_err(|e| unreadable("zstd", e))?;
            decoder.take(MAX_BODY + 1).read_to_end(&mut out).map_err(|e| unreadable("zstd", e))?;
        }
        "gzip" | "x-gzip" => {
            flate2::read::GzDecoder::new(raw.as_slice())
                .take(MAX_BODY + 1)
                .read_to_end(&mut out)
                .map_err(|e| unreadable("gzip", e))?;
        }
        other => {
            return Err(SyncError::Server {
                status: 0,
                message: format!("it answered in an encoding Porchlight does not read ({other})"),
            })
        }
    }
    if out.len() as u64 > MAX_BODY {
        return Err(SyncError::Server { status: 0, message: "its answer is larger than Porchlight accepts".into() });
    }
    Ok(out)
}

pub(crate) fn unreachable(base: &str, detail: &str) -> SyncError {
    SyncError::Unreachable { server: base.to_owned(), detail: detail.to_owned() }
}

fn bad_request(base: &str, e: &http::Error) -> SyncError {
    SyncError::Invalid { field: "server_url", message: format!("\"{base}\" cannot be used as an address ({e}); give e.g. https://sync.example.org") }
}

/// A failure below HTTP, in words: which part of reaching the service went wrong.
fn transport_error(base: &str, e: ureq::Error) -> SyncError {
    let detail = match &e {
        ureq::Error::HostNotFound => "its host name was not found".to_owned(),
        ureq::Error::ConnectionFailed => "the connection failed".to_owned(),
        ureq::Error::Timeout(t) => format!("it did not answer in time ({t})"),
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "the connection was refused: is the service running at that address?".to_owned(),
            std::io::ErrorKind::TimedOut => "it did not answer in time".to_owned(),
            _ => format!("the connection failed: {io}"),
        },
        ureq::Error::Tls(m) => format!("the secure connection failed: {m}"),
        ureq::Error::Rustls(r) => format!("the secure connection failed: {r}"),
        other => other.to_string(),
    };
    unreachable(base, &detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn answers_are_decoded_by_their_encoding() {
        let text = br#"{"hello":"world"}"#.repeat(50);
        assert_eq!(decode("", text.clone()).unwrap(), text);
        assert_eq!(decode("identity", text.clone()).unwrap(), text);
        assert_eq!(decode("zstd", zstd::bulk::compress(&text, 3).unwrap()).unwrap(), text);
        // A frame that does not say its size (a streaming encoder's) reads the same.
        let mut streamed = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        streamed.write_all(&text).unwrap();
        let streamed = streamed.finish().unwrap();
        assert_eq!(zstd::zstd_safe::get_frame_content_size(&streamed).ok().flatten(), None);
        assert_eq!(decode("zstd", streamed).unwrap(), text);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&text).unwrap();
        assert_eq!(decode("gzip", gz.finish().unwrap()).unwrap(), text);
        let refused = decode("br", text.clone()).unwrap_err();
        assert!(refused.to_string().contains("br"), "{refused}");
        assert!(decode("zstd", b"not zstd at all".to_vec()).is_err());
    }
}
