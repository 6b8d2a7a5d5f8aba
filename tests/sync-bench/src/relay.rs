//! A loopback TCP relay between a device and the central service that counts the bytes going
//! each way. It sees exactly what a network would carry (HTTP headers, compressed bodies), so the
//! "bytes on the wire" figure does not depend on the sync engine counting itself. It does not
//! parse, change or delay what it carries beyond one copy.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

#[derive(Default)]
struct Counts {
    up: AtomicU64,
    down: AtomicU64,
}

/// Bytes carried since the relay started or was last reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Traffic {
    /// Device to service.
    pub up: u64,
    /// Service to device.
    pub down: u64,
}

impl Traffic {
    pub fn total(&self) -> u64 {
        self.up + self.down
    }
}

pub struct Relay {
    /// `http://127.0.0.1:PORT`: give this to a device instead of the service's own address.
    pub url: String,
    counts: Arc<Counts>,
    task: JoinHandle<()>,
}

impl Relay {
    /// Listens on a new loopback port and relays every connection to `target`.
    pub fn start(runtime: &Handle, target: SocketAddr) -> std::io::Result<Relay> {
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0"))?;
        let url = format!("http://{}", listener.local_addr()?);
        let counts = Arc::new(Counts::default());
        let shared = counts.clone();
        let task = runtime.spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let counts = shared.clone();
                tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(target).await else { return };
                    let _ = inbound.set_nodelay(true);
                    let _ = outbound.set_nodelay(true);
                    let (in_read, in_write) = inbound.into_split();
                    let (out_read, out_write) = outbound.into_split();
                    let up = tokio::spawn(pipe(in_read, out_write, counts.clone(), true));
                    let down = tokio::spawn(pipe(out_read, in_write, counts, false));
                    let _ = tokio::join!(up, down);
                });
            }
        });
        Ok(Relay { url, counts, task })
    }

    pub fn traffic(&self) -> Traffic {
        Traffic { up: self.counts.up.load(Ordering::SeqCst), down: self.counts.down.load(Ordering::SeqCst) }
    }

    /// Starts counting from zero again.
    pub fn reset(&self) {
        self.counts.up.store(0, Ordering::SeqCst);
        self.counts.down.store(0, Ordering::SeqCst);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copies one direction, counting each chunk before it is forwarded. A closed side ends the
/// copy and closes the other side's writing half, as a TCP proxy should.
async fn pipe(mut from: tokio::net::tcp::OwnedReadHalf, mut to: tokio::net::tcp::OwnedWriteHalf, counts: Arc<Counts>, up: bool) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let counter = if up { &counts.up } else { &counts.down };
        counter.fetch_add(n as u64, Ordering::SeqCst);
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relay_forwards_both_ways_and_counts_every_byte() {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        // An echo server that answers each message with the same bytes twice.
        let echo = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let target = echo.local_addr().unwrap();
        runtime.spawn(async move {
            let (mut s, _) = echo.accept().await.unwrap();
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).await.unwrap();
            s.write_all(&[buf, buf].concat()).await.unwrap();
        });
        let relay = Relay::start(runtime.handle(), target).unwrap();
        let addr = relay.url.trim_start_matches("http://").to_owned();
        let got = runtime.block_on(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(b"hello").await.unwrap();
            let mut back = [0u8; 10];
            s.read_exact(&mut back).await.unwrap();
            back
        });
        assert_eq!(&got, b"hellohello");
        assert_eq!(relay.traffic(), Traffic { up: 5, down: 10 });
        relay.reset();
        assert_eq!(relay.traffic().total(), 0);
    }
}
