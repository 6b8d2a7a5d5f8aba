//! A tiny HTTP/1.1 server for this crate's unit tests only: it answers each request from a
//! handler, remembers every request it saw (bodies decompressed), and closes each connection
//! after one answer. It knows nothing of the protocol; the round trips with the real service
//! are tested in `tests/` against a real PostgreSQL.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The body as the handler reads it (zstd already undone).
    pub body: Vec<u8>,
    /// The body's length on the wire.
    pub wire_len: usize,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(status: u16, value: &impl serde::Serialize) -> Answer {
        Answer {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(value).unwrap(),
        }
    }

    /// JSON compressed with zstd, as the real service answers a client that accepts it.
    pub fn zstd_json(status: u16, value: &impl serde::Serialize) -> Answer {
        let mut a = Answer::json(status, value);
        a.body = zstd::bulk::compress(&a.body, 3).unwrap();
        a.headers.push(("content-encoding".into(), "zstd".into()));
        a
    }

    pub fn status(status: u16) -> Answer {
        Answer { status, headers: vec![], body: vec![] }
    }

    pub fn bytes(status: u16, body: Vec<u8>) -> Answer {
        Answer { status, headers: vec![("content-type".into(), "application/octet-stream".into())], body }
    }
}

type Handler = Arc<dyn Fn(&Seen) -> Answer + Send + Sync>;

pub struct Stub {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
}

impl Stub {
    pub fn start(handler: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Handler = Arc::new(handler);
        let (seen_t, stop_t) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop_t.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let _ = serve(stream, &handler, &seen_t);
                }
            }
        });
        Stub { url: format!("http://{addr}"), seen, stop, addr }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The paths seen, without their queries.
    pub fn paths(&self) -> Vec<String> {
        self.seen().iter().map(|s| format!("{} {}", s.method, s.path.split('?').next().unwrap())).collect()
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(stream: TcpStream, handler: &Handler, seen: &Mutex<Vec<Seen>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let length: usize = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let wire_len = body.len();
    if headers.iter().any(|(k, v)| k == "content-encoding" && v == "zstd") {
        body = zstd::stream::decode_all(body.as_slice())?;
    }
    let request = Seen { method: method.clone(), path, headers, body, wire_len };
    seen.lock().unwrap().push(request.clone());
    let answer = handler(&request);
    let mut out = stream;
    let mut head = format!("HTTP/1.1 {} X\r\nconnection: close\r\ncontent-length: {}\r\n", answer.status, answer.body.len());
    for (k, v) in &answer.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    if method != "HEAD" {
        out.write_all(&answer.body)?;
    }
    out.flush()
}
