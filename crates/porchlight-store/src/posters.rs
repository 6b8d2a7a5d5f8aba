//! The record of every poster produced (saved, printed or made in bulk): when, by whom, for
//! which children, with which photos and which public text, so that when a child is found every
//! poster can be listed and taken down. It does not render posters or decide what may be
//! printed; the poster crate does.

use crate::audit;
use crate::cases::blob;
use crate::error::StoreError;
use crate::workspace::Workspace;
use porchlight_domain::{AuditAction, CaseId, Moment, PaperSize, PosterLanguage, PosterOptions, PosterRecord, RecordId};
use rusqlite::{Row, TransactionBehavior};

/// The ways a poster leaves the app.
const CHANNELS: &[&str] = &["saved", "printed", "bulk"];

impl Workspace {
    /// Records a poster of one or more children (siblings share one poster), and appends a
    /// `poster_produced` audit line to each child's case, all in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub fn record_poster(
        &mut self,
        cases: &[CaseId],
        channel: &str,
        destination: &str,
        options: &PosterOptions,
        photo_ids: &[RecordId],
        text: &str,
        pdf_sha256: &str,
        now: Moment,
    ) -> Result<PosterRecord, StoreError> {
        let mut unique: Vec<CaseId> = Vec::with_capacity(cases.len());
        for case in cases {
            if !unique.contains(case) {
                unique.push(*case);
            }
        }
        if unique.is_empty() {
            return Err(StoreError::field("case_ids", "Choose at least one case for the poster."));
        }
        if !CHANNELS.contains(&channel) {
            return Err(StoreError::field("channel", format!("Say how the poster was produced: one of {}.", CHANNELS.join(", "))));
        }
        if pdf_sha256.len() != 64 || !pdf_sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::field("pdf_sha256", "Give the SHA-256 of the poster's PDF as 64 hexadecimal digits."));
        }
        let change = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for case in &unique {
            let known = tx.prepare_cached("SELECT 1 FROM cases WHERE id = ?1")?.exists([blob(*case)])?;
            if !known {
                return Err(StoreError::NotFound(*case));
            }
        }
        let id = RecordId::new(now.utc);
        let photos: Vec<String> = photo_ids.iter().map(RecordId::to_string).collect();
        let photos_json = serde_json::to_string(&photos).map_err(|e| StoreError::Corrupt(format!("poster photo ids could not be written: {e}")))?;
        tx.prepare_cached(
            "INSERT INTO posters (id, produced_at, produced_by, channel, destination, language, paper, photo_ids, text, pdf_sha256)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(rusqlite::params![
            id.as_uuid().as_bytes(),
            change.at,
            change.actor,
            channel,
            destination,
            language_code(options.language),
            paper_code(options.paper),
            photos_json,
            text,
            pdf_sha256.to_ascii_lowercase(),
        ])?;
        let out = crate::sync::outbox::Outbox::new(&tx, &self.clock, &change)?;
        for case in &unique {
            tx.prepare_cached("INSERT INTO poster_cases (poster_id, case_id) VALUES (?1, ?2)")?
                .execute(rusqlite::params![id.as_uuid().as_bytes(), blob(*case)])?;
            let detail = format!("poster {id}; {channel}; {} child(ren); {} photo(s)", unique.len(), photo_ids.len());
            audit::append(&out, Some(*case), AuditAction::PosterProduced, &detail)?;
        }
        tx.commit()?;
        Ok(PosterRecord {
            id,
            case_ids: unique,
            produced_at: crate::parse_stamp(&change.at)?,
            produced_by: change.actor,
            channel: channel.to_owned(),
            destination: destination.to_owned(),
            language: options.language,
            paper: options.paper,
            photo_ids: photo_ids.to_vec(),
            text: text.to_owned(),
            pdf_sha256: pdf_sha256.to_ascii_lowercase(),
        })
    }

    /// Every poster produced for a case, the newest first.
    pub fn posters_for_case(&self, case: CaseId) -> Result<Vec<PosterRecord>, StoreError> {
        self.get_case(case)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.id, p.produced_at, p.produced_by, p.channel, p.destination, p.language, p.paper, p.photo_ids, p.text, p.pdf_sha256
             FROM poster_cases c JOIN posters p ON p.id = c.poster_id
             WHERE c.case_id = ?1 ORDER BY p.produced_at DESC, p.id DESC",
        )?;
        let raws = stmt.query_map([blob(case)], raw_poster)?.collect::<Result<Vec<_>, _>>()?;
        let mut children = self.conn.prepare_cached("SELECT case_id FROM poster_cases WHERE poster_id = ?1 ORDER BY rowid")?;
        let mut posters = Vec::with_capacity(raws.len());
        for raw in raws {
            let case_ids = children
                .query_map([raw.id], |row| Ok(CaseId::from_uuid(uuid::Uuid::from_bytes(row.get(0)?))))?
                .collect::<Result<Vec<_>, _>>()?;
            posters.push(raw.into_record(case_ids)?);
        }
        Ok(posters)
    }
}

struct RawPoster {
    id: [u8; 16],
    produced_at: String,
    produced_by: String,
    channel: String,
    destination: String,
    language: String,
    paper: String,
    photo_ids: String,
    text: String,
    pdf_sha256: String,
}

fn raw_poster(row: &Row) -> rusqlite::Result<RawPoster> {
    Ok(RawPoster {
        id: row.get(0)?,
        produced_at: row.get(1)?,
        produced_by: row.get(2)?,
        channel: row.get(3)?,
        destination: row.get(4)?,
        language: row.get(5)?,
        paper: row.get(6)?,
        photo_ids: row.get(7)?,
        text: row.get(8)?,
        pdf_sha256: row.get(9)?,
    })
}

impl RawPoster {
    fn into_record(self, case_ids: Vec<CaseId>) -> Result<PosterRecord, StoreError> {
        let id = RecordId::from_uuid(uuid::Uuid::from_bytes(self.id));
        let damaged = |what: &str| StoreError::Corrupt(format!("the {what} of poster {id} cannot be read"));
        let photo_ids: Vec<String> = serde_json::from_str(&self.photo_ids).map_err(|_| damaged("photo list"))?;
        Ok(PosterRecord {
            id,
            case_ids,
            produced_at: crate::parse_stamp(&self.produced_at)?,
            produced_by: self.produced_by,
            channel: self.channel,
            destination: self.destination,
            language: match self.language.as_str() {
                "en" => PosterLanguage::En,
                "es" => PosterLanguage::Es,
                _ => return Err(damaged("language")),
            },
            paper: match self.paper.as_str() {
                "letter" => PaperSize::Letter,
                "a4" => PaperSize::A4,
                _ => return Err(damaged("paper size")),
            },
            photo_ids: photo_ids.iter().map(|p| p.parse().map_err(|_| damaged("photo list"))).collect::<Result<_, _>>()?,
            text: self.text,
            pdf_sha256: self.pdf_sha256,
        })
    }
}

fn language_code(language: PosterLanguage) -> &'static str {
    match language {
        PosterLanguage::En => "en",
        PosterLanguage::Es => "es",
    }
}

fn paper_code(paper: PaperSize) -> &'static str {
    match paper {
        PaperSize::Letter => "letter",
        PaperSize::A4 => "a4",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_and_papers_are_stored_as_their_wire_words() {
        for language in [PosterLanguage::En, PosterLanguage::Es] {
            assert_eq!(serde_json::to_value(language).unwrap().as_str(), Some(language_code(language)));
        }
        for paper in [PaperSize::Letter, PaperSize::A4] {
            assert_eq!(serde_json::to_value(paper).unwrap().as_str(), Some(paper_code(paper)));
        }
    }
}
