//! The per-field merge rule, in one place for the server that applies it and the tests that
//! check it. Higher stamp wins; a write whose author had not seen the stored value (its `base`
//! is not the stored stamp) and that differs from it is a conflict, whichever side wins, so a
//! lost write is never dropped silently.

use crate::stamp::Stamp;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merge {
    /// The write becomes the value in force.
    Take { conflict: bool },
    /// The stored value stays in force.
    Keep { conflict: bool },
}

impl Merge {
    pub fn conflict(self) -> bool {
        match self {
            Merge::Take { conflict } | Merge::Keep { conflict } => conflict,
        }
    }

    pub fn takes(self) -> bool {
        matches!(self, Merge::Take { .. })
    }
}

/// Decides one field. `stored` is the value in force with its stamp (`None` for a field never
/// written); the write is `value`, stamped `stamp`, by an author who last saw `base`.
pub fn merge_field(stored: Option<(&Value, Stamp)>, value: &Value, base: Option<Stamp>, stamp: Stamp) -> Merge {
    let Some((stored_value, stored_stamp)) = stored else {
        return Merge::Take { conflict: false };
    };
    if stored_stamp == stamp {
        // The same write again (a repeated op): nothing to do.
        return Merge::Keep { conflict: false };
    }
    let saw_stored = base == Some(stored_stamp);
    let conflict = !saw_stored && stored_value != value;
    if stamp > stored_stamp {
        Merge::Take { conflict }
    } else {
        Merge::Keep { conflict }
    }
}

/// Two status events conflict when the later one's author had not seen the newest event that
/// the server holds: `base` is the stamp of the newest event the author saw.
pub fn status_races(newest_stored: Option<Stamp>, base: Option<Stamp>) -> bool {
    newest_stored.is_some() && newest_stored != base
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stamp::ReplicaId;
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    fn s(sec: i64, replica: u128) -> Stamp {
        Stamp::at(Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap() + chrono::Duration::seconds(sec), ReplicaId(replica))
    }

    #[test]
    fn a_first_write_is_taken() {
        assert_eq!(merge_field(None, &json!("Ana"), None, s(1, 1)), Merge::Take { conflict: false });
    }

    #[test]
    fn an_edit_made_after_seeing_the_stored_value_wins_quietly() {
        let stored = json!("Ana");
        let m = merge_field(Some((&stored, s(1, 1))), &json!("Anna"), Some(s(1, 1)), s(2, 2));
        assert_eq!(m, Merge::Take { conflict: false });
    }

    #[test]
    fn two_edits_made_without_seeing_each_other_conflict_whichever_wins() {
        let stored = json!("Ana");
        // Later stamp: the write wins, and the stored value is kept as the other side.
        assert_eq!(merge_field(Some((&stored, s(5, 1))), &json!("Anna"), Some(s(1, 9)), s(6, 2)), Merge::Take { conflict: true });
        // Earlier stamp: the stored value stays, and the write is kept as the other side.
        assert_eq!(merge_field(Some((&stored, s(5, 1))), &json!("Anna"), Some(s(1, 9)), s(4, 2)), Merge::Keep { conflict: true });
        // Never saw any value at all, and differs: a conflict too.
        assert_eq!(merge_field(Some((&stored, s(5, 1))), &json!("Anna"), None, s(4, 2)), Merge::Keep { conflict: true });
    }

    #[test]
    fn concurrent_writes_of_the_same_value_do_not_conflict() {
        let stored = json!("Ana");
        assert_eq!(merge_field(Some((&stored, s(5, 1))), &json!("Ana"), None, s(6, 2)), Merge::Take { conflict: false });
    }

    #[test]
    fn the_same_write_twice_changes_nothing() {
        let stored = json!("Ana");
        assert_eq!(merge_field(Some((&stored, s(5, 1))), &json!("Ana"), None, s(5, 1)), Merge::Keep { conflict: false });
    }

    #[test]
    fn status_changes_race_unless_the_author_saw_the_newest() {
        assert!(!status_races(None, None));
        assert!(!status_races(Some(s(1, 1)), Some(s(1, 1))));
        assert!(status_races(Some(s(2, 1)), Some(s(1, 1))));
        assert!(status_races(Some(s(2, 1)), None));
    }
}
