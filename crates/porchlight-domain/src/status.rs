//! How a case moves between statuses. Every change is an append-only event (who, when, from,
//! to, reason); the current status is derived from the latest event. Only the moves that make
//! sense for a missing child are allowed, and reopening a resolved or closed case is allowed
//! and recorded like any other move.

use crate::codes::CaseStatus;
use crate::error::FieldError;
use crate::ids::CaseId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How a resolved case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Outcome {
    ReturnedHome,
    InCare,
    LocatedByLawEnforcement,
    ReturnedOnOwn,
    Deceased,
    Other,
}

impl Outcome {
    pub const ALL: &'static [Outcome] = &[
        Outcome::ReturnedHome,
        Outcome::InCare,
        Outcome::LocatedByLawEnforcement,
        Outcome::ReturnedOnOwn,
        Outcome::Deceased,
        Outcome::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Outcome::ReturnedHome => "Returned home",
            Outcome::InCare => "Placed in care",
            Outcome::LocatedByLawEnforcement => "Located by law enforcement",
            Outcome::ReturnedOnOwn => "Returned on their own",
            Outcome::Deceased => "Deceased",
            Outcome::Other => "Other",
        }
    }
}

/// A request to move a case to another status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StatusChange {
    pub to: CaseStatus,
    /// Why; required, because the next person on the case will ask.
    pub reason: String,
    /// Required when resolving; absent otherwise.
    pub outcome: Option<Outcome>,
}

/// One entry of a case's status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StatusEvent {
    /// Position in the workspace's history; later events have larger numbers.
    #[ts(type = "number")]
    pub seq: i64,
    pub case_id: CaseId,
    /// None for the first status of a new case.
    pub from: Option<CaseStatus>,
    pub to: CaseStatus,
    pub reason: String,
    pub outcome: Option<Outcome>,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// The statuses a case may move to from `from`.
pub fn allowed_next(from: CaseStatus) -> &'static [CaseStatus] {
    use CaseStatus::*;
    match from {
        Intake => &[Active, LocatedAlive, Recovered, Closed],
        Active => &[LocatedAlive, LocatedDeceased, Recovered, Resolved, Closed],
        LocatedAlive => &[Recovered, Resolved, Active],
        LocatedDeceased => &[Resolved, Active],
        Recovered => &[Resolved, Active],
        // Reopening: a child who goes missing again, or a closure that was a mistake.
        Resolved => &[Active],
        Closed => &[Active],
    }
}

impl StatusChange {
    /// Checks a move from `from`; errors name the field (`to`, `reason`, `outcome`) and the fix.
    pub fn validate(&self, from: CaseStatus) -> Result<StatusChange, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.to == from {
            errors.push(FieldError::new("to", format!("The case is already {}.", from.label())));
        } else if !allowed_next(from).contains(&self.to) {
            let options: Vec<&str> = allowed_next(from).iter().map(|s| s.label()).collect();
            errors.push(FieldError::new(
                "to",
                format!(
                    "A case cannot go from {} to {}; from {} it can go to {}.",
                    from.label(),
                    self.to.label(),
                    from.label(),
                    options.join(", ")
                ),
            ));
        }
        let reason = self.reason.trim().to_owned();
        if reason.is_empty() {
            errors.push(FieldError::new("reason", "Say why the status is changing."));
        } else if reason.chars().count() > 2000 {
            errors.push(FieldError::new("reason", "Shorten the reason to 2000 characters or fewer."));
        }
        match (self.to, self.outcome) {
            (CaseStatus::Resolved, None) => errors.push(FieldError::new("outcome", "Choose how the case was resolved.")),
            (to, Some(_)) if to != CaseStatus::Resolved => {
                errors.push(FieldError::new("outcome", "An outcome is recorded only when resolving a case."))
            }
            _ => {}
        }
        if errors.is_empty() {
            Ok(StatusChange { to: self.to, reason, outcome: self.outcome })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseStatus::*;

    fn change(to: CaseStatus) -> StatusChange {
        StatusChange { to, reason: "Confirmed by the investigator".into(), outcome: (to == Resolved).then_some(Outcome::ReturnedHome) }
    }

    #[test]
    fn every_move_is_allowed_or_refused_as_the_table_says() {
        for &from in CaseStatus::ALL {
            for &to in CaseStatus::ALL {
                let result = change(to).validate(from);
                let allowed = allowed_next(from).contains(&to);
                assert_eq!(result.is_ok(), allowed, "{from:?} -> {to:?}");
                if let Err(errors) = result {
                    assert_eq!(errors[0].field, "to");
                    assert!(!errors[0].message.is_empty());
                }
            }
        }
    }

    #[test]
    fn reopening_is_allowed() {
        assert!(change(Active).validate(Resolved).is_ok());
        assert!(change(Active).validate(Closed).is_ok());
    }

    #[test]
    fn a_reason_is_required_and_resolution_needs_an_outcome() {
        let mut c = change(Active);
        c.reason = "  ".into();
        assert_eq!(c.validate(Intake).unwrap_err()[0].field, "reason");
        let mut r = change(Resolved);
        r.outcome = None;
        assert_eq!(r.validate(Recovered).unwrap_err()[0].field, "outcome");
        let mut a = change(Active);
        a.outcome = Some(Outcome::InCare);
        assert_eq!(a.validate(Intake).unwrap_err()[0].field, "outcome");
    }
}
