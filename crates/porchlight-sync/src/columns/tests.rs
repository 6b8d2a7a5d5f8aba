use super::*;
use crate::proto::{AppendedRecord, ConflictRecord, ConflictSide, Cursor, RecordState, Resolution, WholeCases};
use crate::stamp::{ReplicaId, Stamp};
use crate::Entity;
use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n)
}

fn stamp(n: i64) -> Stamp {
    let replica = ReplicaId::from_hex("22f6077881644be9a699b0628b456f21").unwrap();
    Stamp::at(Utc.timestamp_opt(1_780_000_000 + n, 0).unwrap(), replica)
}

fn case(n: u128, name: &str) -> Change {
    let mut fields = BTreeMap::new();
    fields.insert("child.given_name".to_owned(), json!(name));
    fields.insert("child.estimated_age".to_owned(), json!(null));
    fields.insert("description.height_cm".to_owned(), json!(150.5));
    fields.insert("companions".to_owned(), json!([{"name": "A \"quoted\" companion", "relationship": "uncle"}]));
    fields.insert("vehicles".to_owned(), json!([]));
    fields.insert("missing_from_care".to_owned(), json!(n.is_multiple_of(2)));
    let mut stamps = BTreeMap::new();
    if n.is_multiple_of(3) {
        stamps.insert("child.given_name".to_owned(), stamp(n as i64 + 7));
    }
    Change::Record(RecordState { entity: Entity::Case, case_id: id(n), record_id: id(n), stamp: stamp(n as i64), fields, stamps })
}

fn contact(n: u128, case: u128) -> Change {
    let mut fields = BTreeMap::new();
    fields.insert("name".to_owned(), json!(format!("Contact {n}")));
    fields.insert("phones".to_owned(), json!(["(918) 555-0100"]));
    fields.insert("removed_reason".to_owned(), json!(null));
    Change::Record(RecordState {
        entity: Entity::Contact,
        case_id: id(case),
        record_id: id(n),
        stamp: stamp(n as i64),
        fields,
        stamps: BTreeMap::new(),
    })
}

fn note(n: u128, case: u128, body: &str) -> Change {
    Change::Appended(AppendedRecord {
        entity: Entity::Note,
        case_id: id(case),
        record_id: id(n),
        stamp: stamp(n as i64),
        record: json!({"author": "Ana Case", "body": body, "category": "call", "note_id": id(n), "version": 1, "written_at": "2026-12-07T14:28:45.626728558Z"}),
    })
}

fn conflict(n: u128, case: u128, resolved: bool) -> Change {
    let side = |v: Value, s: i64| ConflictSide { value: v, stamp: stamp(s), op_id: id(n + s as u128), device_id: id(900), by: "Ben Field".into() };
    Change::Conflict(ConflictRecord {
        id: id(n),
        case_id: id(case),
        entity: Entity::Case,
        record_id: id(case),
        field: "child.given_name".into(),
        kept: side(json!("Jo"), 1),
        other: side(json!({"nested": ["value", 1]}), 2),
        resolution: resolved.then(|| Resolution { op_id: id(n + 50), by: "Ana Case".into(), at: Utc.timestamp_opt(1_780_000_100, 0).unwrap() }),
    })
}

fn page(changes: Vec<Change>) -> PullPage {
    PullPage {
        removed_cases: vec![id(77)],
        removed_photos: Vec::new(),
        changes,
        cursor: Cursor { seq: 27056, epoch: 1 },
        has_more: true,
        server_time: Utc.timestamp_opt(1_780_000_200, 0).unwrap(),
        server_stamp: stamp(200),
        whole: Some(WholeCases { sent: 2, left: Some(3) }),
    }
}

/// A page of every kind of change, shapes mixed and interleaved, with texts that need escaping.
fn mixed() -> PullPage {
    let mut changes = Vec::new();
    for n in 0..6u128 {
        changes.push(case(n, if n == 4 { "Zoë \"Z\" \\ O'Neil\n\u{1}" } else { "Ahiga" }));
        changes.push(contact(100 + n, n));
        changes.push(contact(200 + n, n));
        changes.push(note(300 + n, n, "Seen near the shelter."));
        if n % 2 == 1 {
            changes.push(conflict(400 + n, n, n == 3));
        }
    }
    // A record with no fields, and one whose field names need escaping.
    let mut odd = BTreeMap::new();
    odd.insert("a \"quoted\" key\\".to_owned(), json!({"x": 1}));
    changes.push(Change::Record(RecordState { entity: Entity::Case, case_id: id(9), record_id: id(9), stamp: stamp(9), fields: BTreeMap::new(), stamps: BTreeMap::new() }));
    changes.push(Change::Record(RecordState { entity: Entity::Case, case_id: id(10), record_id: id(10), stamp: stamp(10), fields: odd, stamps: BTreeMap::new() }));
    page(changes)
}

#[test]
fn a_page_read_back_from_the_column_form_equals_the_page_sent() {
    for original in [mixed(), page(Vec::new())] {
        let text = serde_json::to_string(&original).unwrap();
        let columns = to_columns(&text).unwrap();
        assert_eq!(from_columns(&columns).unwrap(), original);
    }
}

#[test]
fn each_shape_names_its_fields_once_and_the_values_of_a_field_follow_each_other() {
    let changes: Vec<Change> = (0..200u128).map(|n| case(n * 3 + 1, &format!("Child{n:03}"))).collect();
    let original = page(changes);
    let row_form = serde_json::to_string(&original).unwrap();
    let columns = to_columns(&row_form).unwrap();
    assert_eq!(row_form.matches("\"child.given_name\"").count(), 200);
    assert_eq!(columns.matches("\"child.given_name\"").count(), 1, "{}", &columns[..400]);
    assert!(columns.contains("\"Child000\"\n\"Child001\"\n\"Child002\"\n"), "the names are not one column");
    assert!(columns.len() < row_form.len() * 3 / 4, "column form {} bytes against {}", columns.len(), row_form.len());
    assert_eq!(from_columns(&columns).unwrap(), original);
}

#[test]
fn a_page_written_with_line_breaks_keeps_its_header_on_one_line() {
    let original = mixed();
    let pretty = serde_json::to_string_pretty(&original).unwrap();
    let columns = to_columns(&pretty).unwrap();
    let header = columns.split('\n').next().unwrap();
    assert!(header.contains("\"columns\"") && header.contains("\"removed_cases\""), "{header}");
    assert_eq!(from_columns(&columns).unwrap(), original);
}

#[test]
fn the_order_of_changes_of_different_shapes_survives() {
    let original = mixed();
    let back = from_columns(&to_columns(&serde_json::to_string(&original).unwrap()).unwrap()).unwrap();
    let ids = |p: &PullPage| p.changes.iter().map(|c| (c.case_id(), serde_json::to_string(c).unwrap())).collect::<Vec<_>>();
    assert_eq!(ids(&back), ids(&original));
}

#[test]
fn a_column_form_that_does_not_line_up_is_refused_naming_what_is_wrong() {
    let original = page((0..3u128).map(|n| contact(n, n)).collect());
    let columns = to_columns(&serde_json::to_string(&original).unwrap()).unwrap();

    let short = columns.replace("\"order\":[[0,3]]", "\"order\":[[0,4]]");
    let e = from_columns(&short).unwrap_err().to_string();
    assert!(e.contains("do not line up") && e.contains("change 4 of group 0 could not be read"), "{e}");

    let long = columns.replace("\"order\":[[0,3]]", "\"order\":[[0,2]]");
    let e = from_columns(&long).unwrap_err().to_string();
    assert!(e.contains("holds more values than the 2 changes"), "{e}");

    let past_the_end = format!("{}\n", columns.trim_end_matches('\n'));
    let e = from_columns(&format!("{past_the_end}\"extra\"\n")).unwrap_err().to_string();
    assert!(e.contains("bytes follow the last column"), "{e}");
    let e = from_columns(&columns[..columns.len() - 2]).unwrap_err().to_string();
    assert!(e.contains("past the end of the page"), "{e}");

    let e = from_columns(columns.split('\n').next().unwrap()).unwrap_err().to_string();
    assert!(e.contains("no line ends its header"), "{e}");

    // A count no page could hold is refused as the columns run short, never reserved.
    let huge = columns.replace("\"order\":[[0,3]]", "\"order\":[[0,3],[0,18446744073709551615]]");
    let e = from_columns(&huge).unwrap_err().to_string();
    assert!(e.contains("change 4 of group 0 could not be read"), "{e}");

    let unknown_group = columns.replace("\"order\":[[0,3]]", "\"order\":[[0,3],[1,1]]");
    let e = from_columns(&unknown_group).unwrap_err().to_string();
    assert!(e.contains("names group 1 of 1"), "{e}");

    let e = from_columns(&serde_json::to_string(&original).unwrap()).unwrap_err().to_string();
    assert!(e.contains("columns"), "{e}");

    // Of the same length, so that the column's length still holds.
    let bad_value = columns.replacen("\"record\"", "\"recoda\"", 1);
    let e = from_columns(&bad_value).unwrap_err().to_string();
    assert!(e.contains("change 1 of group 0 could not be read") && e.contains("recoda"), "{e}");
}

#[test]
fn the_media_type_is_recognised_with_parameters_and_in_any_case() {
    assert!(is_columns_media_type(COLUMNS_MEDIA_TYPE));
    assert!(is_columns_media_type("Application/Vnd.Porchlight.Columns; charset=utf-8"));
    assert!(!is_columns_media_type("application/json"));
}
