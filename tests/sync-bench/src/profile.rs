//! Where the time of one sync goes (`--profile`): the same round as the engine's `sync_run`
//! (hello, push in batches, pull every page; the benchmark has no photos), made call by call
//! through the engine's public `Remote` and the workspace's `Replica`, with each phase timed:
//! the service's answer (HTTP, the service's queries, its JSON and compression, and the client
//! decoding it), and the workspace's reads and writes. The cost of the JSON and zstd work inside
//! the round trips is estimated beside it by doing that work again on the same bodies. It does
//! does not replace the engine: without `--profile` every figure comes from `sync_run` itself.

use crate::device::{wall, Device};
use crate::report::{bytes, ms};
use crate::BenchError;
use porchlight_sync::{Change, Outcome, PushRequest, Replica, MAX_PULL_LIMIT, MAX_PUSH_OPS};
use std::time::{Duration, Instant};

#[derive(Debug, Default, Clone)]
pub struct Phases {
    pub hello: Duration,
    pub outbox: Duration,
    /// Push round trips: the client's encoding, the service's work and the client's decoding.
    pub push_http: Duration,
    pub apply_push: Duration,
    pub pull_http: Duration,
    pub apply_pull: Duration,
    pub total: Duration,
    pub pushes: usize,
    pub pulls: usize,
    pub ops: usize,
    pub changes: usize,
    /// Re-done beside the round: serde_json of the push bodies, zstd (level 3) of them.
    pub push_encode: Duration,
    pub push_compress: Duration,
    pub push_json_bytes: u64,
    /// Re-done beside the round: JSON text of the pull pages, reading it back, zstd of it.
    pub page_encode: Duration,
    pub page_decode: Duration,
    pub page_compress: Duration,
    pub page_json_bytes: u64,
    pub page_zstd_bytes: u64,
    /// How many changes of each kind the pages held.
    pub records: usize,
    pub appended: usize,
    pub conflicts: usize,
}

/// One sync, phase by phase.
pub fn sync(device: &mut Device) -> Result<Phases, BenchError> {
    let mut p = Phases::default();
    let all = Instant::now();
    let t = Instant::now();
    let hello = device.remote.hello()?;
    device.ws.observe_server(&hello, wall())?;
    p.hello = t.elapsed();
    loop {
        let t = Instant::now();
        let ops = device.ws.outbox(MAX_PUSH_OPS)?;
        p.outbox += t.elapsed();
        if ops.is_empty() {
            break;
        }
        let t = Instant::now();
        let response = device.remote.push(&ops)?;
        p.push_http += t.elapsed();
        let t = Instant::now();
        device.ws.apply_push(&ops, &response, wall())?;
        p.apply_push += t.elapsed();
        if let Some(refused) = response.results.iter().find(|r| matches!(r.outcome, Outcome::Rejected { .. })) {
            return Err(BenchError::Check(format!("the service refused a change of valid, in-scope casework: {:?}", refused.outcome)));
        }
        p.pushes += 1;
        p.ops += ops.len();
        // Beside the round, not inside it: what writing the body costs the client.
        let t = Instant::now();
        let json = serde_json::to_vec(&PushRequest { ops }).map_err(|e| BenchError::Check(e.to_string()))?;
        p.push_encode += t.elapsed();
        let t = Instant::now();
        let _ = zstd::bulk::compress(&json, 3).map_err(BenchError::Io)?;
        p.push_compress += t.elapsed();
        p.push_json_bytes += json.len() as u64;
    }
    let mut cursor = device.ws.cursor()?;
    loop {
        let t = Instant::now();
        let page = device.remote.pull(cursor, MAX_PULL_LIMIT)?;
        p.pull_http += t.elapsed();
        let t = Instant::now();
        device.ws.apply_pull(&page, wall())?;
        p.apply_pull += t.elapsed();
        p.pulls += 1;
        p.changes += page.changes.len();
        for change in &page.changes {
            match change {
                Change::Record(_) => p.records += 1,
                Change::Appended(_) => p.appended += 1,
                Change::Conflict(_) => p.conflicts += 1,
            }
        }
        let t = Instant::now();
        let json = serde_json::to_vec(&page).map_err(|e| BenchError::Check(e.to_string()))?;
        p.page_encode += t.elapsed();
        let t = Instant::now();
        let _: porchlight_sync::PullPage = serde_json::from_slice(&json).map_err(|e| BenchError::Check(e.to_string()))?;
        p.page_decode += t.elapsed();
        let t = Instant::now();
        let packed = zstd::bulk::compress(&json, 3).map_err(BenchError::Io)?;
        p.page_compress += t.elapsed();
        p.page_json_bytes += json.len() as u64;
        p.page_zstd_bytes += packed.len() as u64;
        cursor = page.cursor;
        if !page.has_more {
            break;
        }
    }
    // The side measurements above are not part of the round; take them out of its total.
    p.total = all.elapsed() - (p.push_encode + p.push_compress + p.page_encode + p.page_decode + p.page_compress);
    Ok(p)
}

impl Phases {
    /// The breakdown, one phase a line.
    pub fn lines(&self, title: &str) -> String {
        let mut out = format!("  profile of {title}: {} in all\n", ms(self.total));
        let mut line = |name: &str, d: Duration, extra: String| {
            let share = if self.total.is_zero() { 0.0 } else { 100.0 * d.as_secs_f64() / self.total.as_secs_f64() };
            out.push_str(&format!("    {name:<34} {:>10} {share:>5.1}%  {extra}\n", ms(d)));
        };
        line("hello", self.hello, String::new());
        line("workspace: read the outbox", self.outbox, format!("{} ops", self.ops));
        line("push round trips", self.push_http, format!("{} pushes", self.pushes));
        line("workspace: apply push answers", self.apply_push, String::new());
        line("pull round trips", self.pull_http, format!("{} pages, {} changes", self.pulls, self.changes));
        line("workspace: apply pages", self.apply_pull, format!("{} records, {} appended, {} conflicts", self.records, self.appended, self.conflicts));
        out.push_str(&format!(
            "    beside the round: push JSON {} ({}) + zstd {}; pages JSON {} → zstd {}, writing {} + reading {} + zstd {}\n",
            bytes(self.push_json_bytes),
            ms(self.push_encode),
            ms(self.push_compress),
            bytes(self.page_json_bytes),
            bytes(self.page_zstd_bytes),
            ms(self.page_encode),
            ms(self.page_decode),
            ms(self.page_compress)
        ));
        out
    }
}
