//! `porchlight cases set CASE FIELD VALUE`: one field of a case changed from the command line,
//! named by its dotted path in the case form (the same paths sync stamps and merges). It reads
//! the value, puts it in place and saves the case through the store's ordinary edit, so the
//! domain's rules check it as they check any edit; it has no rules of its own.

use crate::args::Cli;
use crate::commands::{open, resolve};
use porchlight_domain::{AppError, CaseFields, ErrorCode, FieldError, Moment};
use porchlight_sync::fields;
use serde_json::Value;

pub fn set(cli: &Cli, case: &str, field: &str, raw: &str) -> Result<String, AppError> {
    let field = field.trim();
    let mut workspace = open(cli)?;
    let id = resolve(&workspace, case)?;
    let record = workspace.get_case(id)?;
    let current = serde_json::to_value(&record.fields).map_err(internal)?;
    let known = fields::flatten(&current);
    let Some(old) = known.get(field) else {
        return Err(unknown_field(field, known.keys()));
    };
    // The JSON reading is preferred; a bare number typed for a text field (a phone number, an
    // agency case number) is taken as the text it was meant as.
    let mut refusal = None;
    let mut chosen = None;
    for value in candidates(raw) {
        match with_value(&current, field, &value) {
            Ok(edited) => {
                chosen = Some((value, edited));
                break;
            }
            Err(e) => {
                refusal.get_or_insert(e);
            }
        }
    }
    let Some((value, new_fields)) = chosen else {
        return Err(refusal.expect("every reading was refused, so one refusal is kept"));
    };
    if &value == old {
        return Ok(format!("{field} of case {} already is {value}; nothing changed.\n", record.case_number));
    }
    let saved = workspace.update_case(id, record.version, &new_fields, Moment::now())?;
    let stored = fields::get_path(&serde_json::to_value(&saved.fields).map_err(internal)?, field).cloned().unwrap_or(Value::Null);
    Ok(format!("Set {field} of case {} to {stored} (was {old}).\n", saved.case_number))
}

/// The values VALUE may mean: its JSON reading when it is JSON, then the text itself.
fn candidates(raw: &str) -> Vec<Value> {
    let text = Value::String(raw.to_owned());
    match serde_json::from_str::<Value>(raw) {
        Ok(json) if json != text => vec![json, text],
        _ => vec![text],
    }
}

/// The case form with `value` at `field`, read back as a form: a value of the wrong shape is
/// refused naming the field.
fn with_value(current: &Value, field: &str, value: &Value) -> Result<CaseFields, AppError> {
    let mut edited = current.clone();
    fields::set_path(&mut edited, field, value.clone());
    serde_json::from_value::<CaseFields>(edited).map_err(|e| {
        let why = e.to_string();
        let why = why.split(" at line ").next().unwrap_or(&why);
        AppError::validation(vec![FieldError::new(field, format!("{value} does not fit this field: {why}."))])
    })
}

fn unknown_field<'a>(field: &str, known: impl Iterator<Item = &'a String>) -> AppError {
    let last = field.rsplit('.').next().unwrap_or(field);
    let near: Vec<&String> = known.filter(|k| k.rsplit('.').next() == Some(last) || k.starts_with(&format!("{field}."))).take(5).collect();
    let hint = if near.is_empty() {
        "fields are dotted paths such as child.given_name, event.city or description.hair; `porchlight cases show --json` shows them all".to_owned()
    } else {
        format!("did you mean {}?", near.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" or "))
    };
    AppError::validation(vec![FieldError::new(field, format!("a case has no field \"{field}\"; {hint}"))])
}

fn internal(e: serde_json::Error) -> AppError {
    AppError::new(ErrorCode::Internal, format!("Could not read the case as JSON: {e}."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_json_first_then_text() {
        assert_eq!(candidates("152"), vec![Value::from(152), Value::from("152")]);
        assert_eq!(candidates("Ana"), vec![Value::from("Ana")]);
        assert_eq!(candidates("\"Ana\""), vec![Value::from("Ana"), Value::from("\"Ana\"")]);
        assert_eq!(candidates("null"), vec![Value::Null, Value::from("null")]);
    }

    #[test]
    fn a_wrong_path_is_named_with_the_paths_it_may_have_meant() {
        let current = serde_json::to_value(CaseFields::default()).unwrap();
        let known = fields::flatten(&current);
        let e = unknown_field("hair", known.keys());
        assert_eq!(e.fields[0].field, "hair");
        assert!(e.fields[0].message.contains("description.hair"), "{}", e.fields[0].message);
        let e = unknown_field("nothing.like.it", known.keys());
        assert!(e.fields[0].message.contains("child.given_name"), "{}", e.fields[0].message);
    }

    #[test]
    fn a_value_of_the_wrong_shape_names_the_field() {
        let current = serde_json::to_value(CaseFields::default()).unwrap();
        let e = with_value(&current, "child.sex", &Value::from("Q")).unwrap_err();
        assert_eq!(e.fields[0].field, "child.sex");
        assert!(with_value(&current, "child.given_name", &Value::from("Ana")).is_ok());
    }
}
