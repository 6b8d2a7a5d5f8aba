//! The figures the benchmark prints: timing statistics, the table of measures against the
//! issue's targets with pass or fail, and the peak memory of a process. It measures nothing
//! itself.

use std::fmt::Write as _;
use std::time::Duration;

/// What a measure must stay under to pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    Time(Duration),
    Bytes(u64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Time(Duration),
    Bytes(u64),
    /// A rate or count, shown as it is, never compared with a target.
    Number(f64, &'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub measure: String,
    pub value: Value,
    pub target: Option<Target>,
}

impl Row {
    pub fn new(measure: impl Into<String>, value: Value, target: Option<Target>) -> Row {
        Row { measure: measure.into(), value, target }
    }

    /// `Some(true)` when the value is within its target, `None` for a figure with no target.
    pub fn passed(&self) -> Option<bool> {
        match (self.value, self.target?) {
            (Value::Time(v), Target::Time(t)) => Some(v <= t),
            (Value::Bytes(v), Target::Bytes(t)) => Some(v <= t),
            _ => Some(false),
        }
    }
}

pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

pub fn bytes(n: u64) -> String {
    const MB: f64 = 1_000_000.0;
    if n as f64 >= MB {
        format!("{:.2} MB", n as f64 / MB)
    } else if n >= 1000 {
        format!("{:.1} kB", n as f64 / 1000.0)
    } else {
        format!("{n} B")
    }
}

fn show(value: Value) -> String {
    match value {
        Value::Time(d) => ms(d),
        Value::Bytes(n) => bytes(n),
        Value::Number(x, unit) => {
            if x >= 100.0 {
                format!("{x:.0} {unit}")
            } else {
                format!("{x:.1} {unit}")
            }
        }
    }
}

fn show_target(target: Target) -> String {
    match target {
        Target::Time(d) => format!("≤ {}", ms(d)),
        Target::Bytes(n) => format!("≤ {}", bytes(n)),
    }
}

/// The table: measure, result, target, pass or fail.
pub fn table(rows: &[Row]) -> String {
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            [
                r.measure.clone(),
                show(r.value),
                r.target.map(show_target).unwrap_or_default(),
                match r.passed() {
                    Some(true) => "pass".to_owned(),
                    Some(false) => "FAIL".to_owned(),
                    None => String::new(),
                },
            ]
        })
        .collect();
    let head = ["measure", "result", "target", ""];
    let mut width = head.map(|h| h.chars().count());
    for row in &cells {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, row: &[String; 4]| {
        let _ = writeln!(
            out,
            "| {:<w0$} | {:>w1$} | {:<w2$} | {:<w3$} |",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = width[0],
            w1 = width[1],
            w2 = width[2],
            w3 = width[3]
        );
    };
    line(&mut out, &head.map(String::from));
    let _ = writeln!(out, "|{}|{}|{}|{}|", "-".repeat(width[0] + 2), "-".repeat(width[1] + 2), "-".repeat(width[2] + 2), "-".repeat(width[3] + 2));
    for row in &cells {
        line(&mut out, row);
    }
    out
}

/// Median and 95th percentile (nearest rank) of some timings.
pub fn median_p95(samples: &[Duration]) -> (Duration, Duration) {
    assert!(!samples.is_empty(), "no samples to summarise");
    let mut sorted = samples.to_vec();
    sorted.sort();
    let median = sorted[(sorted.len() - 1) / 2];
    let rank = ((sorted.len() as f64) * 0.95).ceil() as usize;
    (median, sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The most memory this process has held resident (Linux `VmHWM`), in bytes.
/// The calling thread's time on a core and its time waiting for one, from the kernel's
/// scheduler statistics (`/proc/thread-self/schedstat`); None where the system has none.
pub fn thread_times() -> Option<(Duration, Duration)> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let mut fields = text.split_whitespace().map(|f| f.parse::<u64>().ok());
    Some((Duration::from_nanos(fields.next()??), Duration::from_nanos(fields.next()??)))
}

pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles_take_the_right_ranks() {
        let d = |n: u64| Duration::from_millis(n);
        let samples: Vec<Duration> = (1..=20).rev().map(d).collect();
        assert_eq!(median_p95(&samples), (d(10), d(19)));
        assert_eq!(median_p95(&[d(7)]), (d(7), d(7)));
        assert_eq!(median_p95(&[d(3), d(1), d(2)]), (d(2), d(3)));
    }

    #[test]
    fn the_table_marks_each_measure_against_its_target() {
        let rows = [
            Row::new("no-op sync (median)", Value::Time(Duration::from_micros(2500)), Some(Target::Time(Duration::from_millis(5)))),
            Row::new("first sync bytes", Value::Bytes(7_200_000), Some(Target::Bytes(6_000_000))),
            Row::new("push rate", Value::Number(5123.0, "ops/s"), None),
        ];
        assert_eq!(rows[0].passed(), Some(true));
        assert_eq!(rows[1].passed(), Some(false));
        assert_eq!(rows[2].passed(), None);
        let text = table(&rows);
        assert!(text.contains("| no-op sync (median) |"), "{text}");
        assert!(text.contains("2.50 ms") && text.contains("≤ 5.00 ms") && text.contains("pass"), "{text}");
        assert!(text.contains("7.20 MB") && text.contains("≤ 6.00 MB") && text.contains("FAIL"), "{text}");
        assert!(text.contains("5123 ops/s"), "{text}");
        assert_eq!(text.lines().count(), 5, "a head, a rule and three rows:\n{text}");
    }

    #[test]
    fn peak_memory_is_read_on_linux() {
        let rss = peak_rss().expect("VmHWM in /proc/self/status");
        assert!(rss > 1024 * 1024, "a running test process holds more than 1 MiB: {rss}");
    }
}
