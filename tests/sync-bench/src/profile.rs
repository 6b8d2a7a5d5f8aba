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
use porchlight_sync::{Change, Entity, Outcome, PushRequest, Replica, MAX_PULL_LIMIT, MAX_PUSH_OPS};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[derive(Debug, Default, Clone)]
pub struct Phases {
    pub hello: Duration,
    /// The workspace folding in the service's clock.
    pub observe: Duration,
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
    /// The same pages read as bytes, which checks each string's UTF-8 on its own; the engine
    /// checks the whole text once and reads it as text.
    pub page_decode_bytes: Duration,
    pub page_compress: Duration,
    pub page_json_bytes: u64,
    pub page_zstd_bytes: u64,
    /// How many changes of each kind the pages held.
    pub records: usize,
    pub appended: usize,
    pub conflicts: usize,
    /// The pages' bytes by kind of change: how the wire splits between case records, contacts,
    /// note versions, status events and conflicts, with and without the ids and stamps.
    pub kinds: BTreeMap<&'static str, KindBytes>,
    /// The largest page's JSON, to try compression levels on.
    pub largest_page: Vec<u8>,
}

/// One kind of change's share of the pages, each page's changes of that kind compressed
/// together (zstd level 3, as the service sends them).
#[derive(Debug, Default, Clone, Copy)]
pub struct KindBytes {
    pub count: usize,
    pub json: u64,
    pub zstd: u64,
    /// The same changes' content alone (fields or record, no ids, stamps or tags), compressed:
    /// what no encoding of the envelope could save.
    pub content_zstd: u64,
}

fn kind_of(change: &Change) -> (&'static str, Value) {
    match change {
        Change::Record(r) => {
            let kind = match r.entity {
                Entity::Case => "case records",
                Entity::Contact => "contact records",
                Entity::Photo => "photo records",
                _ => "other records",
            };
            (kind, serde_json::to_value(&r.fields).unwrap_or(Value::Null))
        }
        Change::Appended(a) => {
            let kind = match a.entity {
                Entity::Note => "note versions",
                Entity::StatusEvent => "status events",
                _ => "other appended",
            };
            (kind, a.record.clone())
        }
        Change::Conflict(c) => ("conflicts", Value::Array(vec![c.kept.value.clone(), c.other.value.clone()])),
    }
}

/// Adds one page's changes to the byte counts by kind.
fn count_kinds(kinds: &mut BTreeMap<&'static str, KindBytes>, changes: &[Change]) -> Result<(), BenchError> {
    let mut groups: BTreeMap<&'static str, (Vec<&Change>, Vec<Value>)> = BTreeMap::new();
    for change in changes {
        let (kind, content) = kind_of(change);
        let group = groups.entry(kind).or_default();
        group.0.push(change);
        group.1.push(content);
    }
    for (kind, (full, content)) in groups {
        let full = serde_json::to_vec(&full).map_err(|e| BenchError::Check(e.to_string()))?;
        let content = serde_json::to_vec(&content).map_err(|e| BenchError::Check(e.to_string()))?;
        let entry = kinds.entry(kind).or_default();
        entry.json += full.len() as u64;
        entry.zstd += zstd::bulk::compress(&full, 3).map_err(BenchError::Io)?.len() as u64;
        entry.content_zstd += zstd::bulk::compress(&content, 3).map_err(BenchError::Io)?.len() as u64;
    }
    for change in changes {
        kinds.entry(kind_of(change).0).or_default().count += 1;
    }
    Ok(())
}

/// One sync, phase by phase.
pub fn sync(device: &mut Device) -> Result<Phases, BenchError> {
    let mut p = Phases::default();
    let all = Instant::now();
    // As the engine does: only a device with ops waiting says hello first.
    if device.ws.pending_count()? > 0 {
        let t = Instant::now();
        let hello = device.remote.hello()?;
        p.hello = t.elapsed();
        let t = Instant::now();
        device.ws.observe_server(&hello, wall())?;
        p.observe = t.elapsed();
    }
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
    let mut side = Duration::ZERO;
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
        // The pages themselves, for trying other encodings on them outside the benchmark.
        if let Some(dir) = std::env::var_os("SYNC_BENCH_DUMP_PAGES") {
            static PAGES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = PAGES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            std::fs::write(std::path::Path::new(&dir).join(format!("page-{n:04}.json")), &json)?;
        }
        // Both ways, each first on every other page: the second read of a page finds the
        // memory the first one freed, and would look faster for it.
        let as_text = |json: &[u8]| -> Result<Duration, BenchError> {
            let t = Instant::now();
            let text = std::str::from_utf8(json).map_err(|e| BenchError::Check(e.to_string()))?;
            let _: porchlight_sync::PullPage = serde_json::from_str(text).map_err(|e| BenchError::Check(e.to_string()))?;
            Ok(t.elapsed())
        };
        let as_bytes = |json: &[u8]| -> Result<Duration, BenchError> {
            let t = Instant::now();
            let _: porchlight_sync::PullPage = serde_json::from_slice(json).map_err(|e| BenchError::Check(e.to_string()))?;
            Ok(t.elapsed())
        };
        if p.pulls % 2 == 0 {
            p.page_decode += as_text(&json)?;
            p.page_decode_bytes += as_bytes(&json)?;
        } else {
            p.page_decode_bytes += as_bytes(&json)?;
            p.page_decode += as_text(&json)?;
        }
        let t = Instant::now();
        let packed = zstd::bulk::compress(&json, 3).map_err(BenchError::Io)?;
        p.page_compress += t.elapsed();
        let t = Instant::now();
        count_kinds(&mut p.kinds, &page.changes)?;
        side += t.elapsed();
        p.page_json_bytes += json.len() as u64;
        p.page_zstd_bytes += packed.len() as u64;
        if json.len() > p.largest_page.len() {
            p.largest_page = json;
        }
        cursor = page.cursor;
        if !page.has_more {
            break;
        }
    }
    // The side measurements above are not part of the round; take them out of its total.
    p.total = all.elapsed() - (p.push_encode + p.push_compress + p.page_encode + p.page_decode + p.page_decode_bytes + p.page_compress + side);
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
        line("workspace: fold in the service's clock", self.observe, String::new());
        line("workspace: read the outbox", self.outbox, format!("{} ops", self.ops));
        line("push round trips", self.push_http, format!("{} pushes", self.pushes));
        line("workspace: apply push answers", self.apply_push, String::new());
        line("pull round trips", self.pull_http, format!("{} pages, {} changes", self.pulls, self.changes));
        line("workspace: apply pages", self.apply_pull, format!("{} records, {} appended, {} conflicts", self.records, self.appended, self.conflicts));
        out.push_str(&format!(
            "    beside the round: push JSON {} ({}) + zstd {}; pages JSON {} → zstd {}, writing {} + reading {} (read as bytes: {}) + zstd {}\n",
            bytes(self.push_json_bytes),
            ms(self.push_encode),
            ms(self.push_compress),
            bytes(self.page_json_bytes),
            bytes(self.page_zstd_bytes),
            ms(self.page_encode),
            ms(self.page_decode),
            ms(self.page_decode_bytes),
            ms(self.page_compress)
        ));
        if self.largest_page.len() > 100_000 {
            out.push_str(&format!("    the largest page ({}) at each zstd level, one thread:", bytes(self.largest_page.len() as u64)));
            for level in [1, 3, 6, 9, 12, 19] {
                let t = Instant::now();
                let size = zstd::bulk::compress(&self.largest_page, level).map(|c| c.len() as u64).unwrap_or(0);
                out.push_str(&format!(" {level}: {} in {};", bytes(size), ms(t.elapsed())));
            }
            out.push('\n');
        }
        for (kind, k) in &self.kinds {
            out.push_str(&format!(
                "    pages' {kind:<18} {:>7} × : JSON {:>9} → zstd {:>9} ({:.0} B each); content alone → zstd {:>9} ({:.0} B each)\n",
                k.count,
                bytes(k.json),
                bytes(k.zstd),
                k.zstd as f64 / k.count.max(1) as f64,
                bytes(k.content_zstd),
                k.content_zstd as f64 / k.count.max(1) as f64
            ));
        }
        out
    }
}
