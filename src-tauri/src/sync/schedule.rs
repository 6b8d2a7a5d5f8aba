//! When the background sync runs next: every minute while the service answers, two seconds
//! after the last local write (a steady stream of writes still syncs within ten seconds), at once
//! when the user asks, and, after a failure, only when the back-off (15 s doubling to 5 min) is
//! over. It is a pure function of what happened and the instants it is given; it reads no clock
//! and runs nothing: the worker does both.

use std::time::{Duration, Instant};

/// Between two syncs while everything works.
pub const PERIOD: Duration = Duration::from_secs(60);
/// How long after the last write a sync waits for more writes to join it.
pub const AFTER_WRITE: Duration = Duration::from_secs(2);
/// The longest a write waits while more writes keep coming.
pub const WRITE_CAP: Duration = Duration::from_secs(10);
/// The first wait after a failure; it doubles with each failure in a row.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(15);
/// The longest wait after failures, and the wait after a refusal only a person can fix.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// How an attempt ended, as far as the timing of the next one goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Synced,
    /// The service did not answer: try again after the back-off.
    Unreachable,
    /// The service answered but refused, or the workspace failed: a person may have to act, so
    /// try again only after the longest wait (or when asked).
    Failed,
    /// Nothing was sent: a write-triggered attempt found nothing waiting.
    Skipped,
    /// Nothing to sync with or from: locked, not enrolled, or wiped. Wait until woken.
    Stopped,
}

/// Why an attempt is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The user clicked "Sync now" (or just enrolled, or unlocked).
    Asked,
    /// The minute (or the back-off) is over.
    Periodic,
    /// Local writes settled; worth a sync only if something waits in the outbox.
    Written,
}

/// When the worker should look again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    Now,
    At(Instant),
    /// Only a message can make anything due.
    Never,
}

#[derive(Debug, Clone, Default)]
pub struct Schedule {
    /// The next periodic (or back-off) attempt; None while stopped.
    due: Option<Instant>,
    /// The first write of the current burst, and when its sync is due.
    burst: Option<(Instant, Instant)>,
    asked: bool,
    /// Failed attempts in a row.
    failures: u32,
}

impl Schedule {
    /// Enrolled and unlocked: sync at once, then keep the rhythm.
    pub fn start(&mut self) {
        *self = Schedule {
            asked: true,
            ..Schedule::default()
        };
    }

    pub fn stop(&mut self) {
        *self = Schedule::default();
    }

    pub fn ask(&mut self) {
        self.asked = true;
    }

    /// A local write at `now`. Ignored while stopped, and while backing off: the retry carries
    /// the write, and trying at every keystroke would hammer a service that is down.
    pub fn wrote(&mut self, now: Instant) {
        if self.due.is_none() || self.failures > 0 {
            return;
        }
        let first = self.burst.map_or(now, |(first, _)| first);
        self.burst = Some((first, (now + AFTER_WRITE).min(first + WRITE_CAP)));
    }

    pub fn wake(&self) -> Wake {
        if self.asked {
            return Wake::Now;
        }
        match (self.due, self.burst) {
            (Some(due), Some((_, written))) => Wake::At(due.min(written)),
            (Some(due), None) => Wake::At(due),
            (None, _) => Wake::Never,
        }
    }

    /// Whether an attempt is due at `now`, and why; the strongest reason wins.
    pub fn take(&mut self, now: Instant) -> Option<Reason> {
        if std::mem::take(&mut self.asked) {
            return Some(Reason::Asked);
        }
        if self.due.is_some_and(|due| due <= now) {
            return Some(Reason::Periodic);
        }
        if self.burst.is_some_and(|(_, at)| at <= now) {
            return Some(Reason::Written);
        }
        None
    }

    /// The attempt taken at some point ended at `now` with `outcome`.
    pub fn finished(&mut self, now: Instant, outcome: Outcome) {
        // Writes made while it ran arrive as messages after this, and start a burst of their own.
        self.burst = None;
        match outcome {
            Outcome::Synced => {
                self.failures = 0;
                self.due = Some(now + PERIOD);
            }
            Outcome::Unreachable => {
                self.failures += 1;
                self.due = Some(now + backoff(self.failures));
            }
            Outcome::Failed => {
                self.failures += 1;
                self.due = Some(now + MAX_BACKOFF);
            }
            // A skipped attempt keeps the periodic one where it was; a first one still starts it.
            Outcome::Skipped => {
                self.due.get_or_insert(now + PERIOD);
            }
            Outcome::Stopped => self.stop(),
        }
    }
}

/// The wait after `failures` failures in a row: 15 s, 30 s, 1 min, 2 min, 4 min, then 5 min.
pub fn backoff(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    (FIRST_BACKOFF * 2u32.pow(doublings)).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn running(t0: Instant) -> Schedule {
        let mut s = Schedule::default();
        s.start();
        assert_eq!(s.take(t0), Some(Reason::Asked));
        s.finished(t0, Outcome::Synced);
        s
    }

    #[test]
    fn a_started_schedule_syncs_at_once_then_every_minute() {
        let t0 = Instant::now();
        let mut s = Schedule::default();
        assert_eq!(s.wake(), Wake::Never);
        s.start();
        assert_eq!(s.wake(), Wake::Now);
        assert_eq!(s.take(t0), Some(Reason::Asked));
        assert_eq!(s.take(t0), None, "an answered ask is not due twice");
        s.finished(t0 + secs(1), Outcome::Synced);
        assert_eq!(s.wake(), Wake::At(t0 + secs(61)));
        assert_eq!(s.take(t0 + secs(60)), None);
        assert_eq!(s.take(t0 + secs(61)), Some(Reason::Periodic));
    }

    #[test]
    fn a_write_syncs_two_seconds_after_the_last_write_of_a_burst() {
        let t0 = Instant::now();
        let mut s = running(t0);
        s.wrote(t0 + secs(10));
        s.wrote(t0 + secs(11));
        assert_eq!(s.wake(), Wake::At(t0 + secs(13)));
        assert_eq!(s.take(t0 + secs(12)), None);
        assert_eq!(s.take(t0 + secs(13)), Some(Reason::Written));
    }

    #[test]
    fn a_steady_stream_of_writes_still_syncs_within_ten_seconds() {
        let t0 = Instant::now();
        let mut s = running(t0);
        for second in 10..30 {
            s.wrote(t0 + secs(second));
        }
        assert_eq!(s.wake(), Wake::At(t0 + secs(20)));
    }

    #[test]
    fn the_periodic_sync_wins_over_a_write_due_at_the_same_time() {
        let t0 = Instant::now();
        let mut s = running(t0);
        s.wrote(t0 + secs(59));
        assert_eq!(s.take(t0 + secs(61)), Some(Reason::Periodic));
    }

    #[test]
    fn failures_back_off_from_fifteen_seconds_doubling_to_five_minutes() {
        let waits: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [15, 30, 60, 120, 240, 300, 300, 300]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);

        let t0 = Instant::now();
        let mut s = running(t0);
        s.finished(t0, Outcome::Unreachable);
        assert_eq!(s.wake(), Wake::At(t0 + secs(15)));
        s.finished(t0, Outcome::Unreachable);
        assert_eq!(s.wake(), Wake::At(t0 + secs(30)));
        // One good sync ends the back-off.
        s.finished(t0, Outcome::Synced);
        assert_eq!(s.wake(), Wake::At(t0 + PERIOD));
    }

    #[test]
    fn writes_while_backing_off_wait_for_the_retry_but_sync_now_does_not() {
        let t0 = Instant::now();
        let mut s = running(t0);
        s.finished(t0, Outcome::Unreachable);
        s.wrote(t0 + secs(1));
        assert_eq!(
            s.wake(),
            Wake::At(t0 + secs(15)),
            "a write does not cut the back-off short"
        );
        s.ask();
        assert_eq!(s.take(t0 + secs(2)), Some(Reason::Asked));
    }

    #[test]
    fn a_refusal_waits_the_longest() {
        let t0 = Instant::now();
        let mut s = running(t0);
        s.finished(t0, Outcome::Failed);
        assert_eq!(s.wake(), Wake::At(t0 + MAX_BACKOFF));
    }

    #[test]
    fn a_skipped_attempt_keeps_the_minute_where_it_was() {
        let t0 = Instant::now();
        let mut s = running(t0);
        s.wrote(t0 + secs(5));
        assert_eq!(s.take(t0 + secs(7)), Some(Reason::Written));
        s.finished(t0 + secs(7), Outcome::Skipped);
        assert_eq!(s.wake(), Wake::At(t0 + PERIOD));
    }

    #[test]
    fn stopped_means_nothing_is_due_and_writes_are_ignored() {
        let t0 = Instant::now();
        let mut s = running(t0);
        s.finished(t0, Outcome::Stopped);
        s.wrote(t0 + secs(1));
        assert_eq!(s.wake(), Wake::Never);
        assert_eq!(s.take(t0 + secs(3600)), None);
    }
}
