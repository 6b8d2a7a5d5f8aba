//! The moment an action happens, read once at the edge (the app command, the CLI) and passed
//! down, so that business rules never read the clock and tests can choose the time.

use chrono::{DateTime, Local, NaiveDateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    /// When, for ordering and for the record.
    pub utc: DateTime<Utc>,
    /// The user's wall-clock time, for rules such as "not in the future" on local dates.
    pub local: NaiveDateTime,
}

impl Moment {
    /// Reads the system clock. Only front ends call this.
    pub fn now() -> Self {
        let utc = Utc::now();
        Moment { utc, local: utc.with_timezone(&Local).naive_local() }
    }

    /// A fixed moment in UTC, for tests and reproducible tools.
    pub fn at_utc(utc: DateTime<Utc>) -> Self {
        Moment { utc, local: utc.naive_utc() }
    }
}
