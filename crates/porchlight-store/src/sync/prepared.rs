//! A pull page made ready to store without the workspace: each case and contact read from its
//! fields as if new to this device (its form, list columns and JSON), each note version and
//! status event as its row, stamps as the text the tables hold. The sync engine makes it on the
//! thread that fetched the page while the workspace stores the page before; storing then uses
//! what fits where each record stands on the device (every record of a first sync) and reads
//! the rest as usual. In a first sync of 30,000 cases this reading was a fifth of the storing
//! thread's time (perf during `sync-bench`).

use crate::sync::records::{NewCase, NewContact, NoteRow, StatusRow, Update};
use porchlight_sync::{Change, Entity, PullPage, RecordState};
use uuid::Uuid;

/// What was made of each change of one page, in the page's order.
pub struct PreparedPage {
    changes: Vec<(Uuid, Ready)>,
}

/// What was made of one change. Each is boxed, so that the page's list takes 40 bytes a
/// change instead of the 408 of its largest kind: for a page of 2,500 cases, 6 MB in all
/// instead of 9.
pub(crate) enum Ready {
    /// Nothing: the change is read when it is stored.
    Nothing,
    /// A case with every one of its fields, and the text of its record's stamp.
    Case { new: Box<NewCase>, stamp: String },
    /// A contact with every one of its fields, and the text of its record's stamp.
    Contact { new: Box<NewContact>, stamp: String },
    Note(Box<NoteRow>),
    Status(Box<StatusRow>),
}

impl PreparedPage {
    pub(crate) fn of(page: &PullPage) -> PreparedPage {
        PreparedPage { changes: page.changes.iter().map(|change| (record_id(change), Ready::of(change))).collect() }
    }

    /// What was made of the change at `index` of the page, if it is about `record_id`: made of
    /// another page, it is not used.
    pub(crate) fn get(&self, index: usize, record_id: Uuid) -> Option<&Ready> {
        self.changes.get(index).filter(|(id, _)| *id == record_id).map(|(_, ready)| ready)
    }
}

pub(crate) fn record_id(change: &Change) -> Uuid {
    match change {
        Change::Record(state) => state.record_id,
        Change::Appended(appended) => appended.record_id,
        Change::Conflict(conflict) => conflict.id,
    }
}

impl Ready {
    fn of(change: &Change) -> Ready {
        match change {
            // A record without fields writes nothing, wherever it stands.
            Change::Record(state) if state.fields.is_empty() => Ready::Nothing,
            Change::Record(state) => match state.entity {
                Entity::Case => match NewCase::read(state.case_id, updates(state), crate::stamp(state.stamp.time())) {
                    Ok(Some(new)) => Ready::Case { new: Box::new(new), stamp: state.stamp.to_string() },
                    _ => Ready::Nothing,
                },
                Entity::Contact => {
                    // Written at the time of its newest field, as a contact made field by field is.
                    let newest = state.fields.keys().map(|field| state.stamp_of(field)).max().unwrap_or(state.stamp);
                    match NewContact::read(updates(state), crate::stamp(newest.time())) {
                        Some(new) => Ready::Contact { new: Box::new(new), stamp: state.stamp.to_string() },
                        None => Ready::Nothing,
                    }
                }
                _ => Ready::Nothing,
            },
            Change::Appended(appended) => match appended.entity {
                Entity::Note => NoteRow::read(appended.case_id, appended.record_id, appended.stamp, &appended.record).map_or(Ready::Nothing, |row| Ready::Note(Box::new(row))),
                Entity::StatusEvent => StatusRow::read(appended.record_id, appended.stamp, &appended.record).map_or(Ready::Nothing, |row| Ready::Status(Box::new(row))),
                _ => Ready::Nothing,
            },
            Change::Conflict(_) => Ready::Nothing,
        }
    }
}

fn updates(state: &RecordState) -> impl Iterator<Item = Update<'_>> + Clone {
    state.fields.iter().map(|(field, value)| (field.as_str(), value))
}

