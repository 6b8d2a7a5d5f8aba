-- The people and the paper trail around a case: family contacts with their history, notes
-- kept in every version, the outcome of a resolution, the local audit log, the posters
-- produced, and the sound keys that find a possible duplicate child without reading every case.
-- Append-only tables refuse UPDATE and DELETE in the database itself, so no code path (nor a
-- person with a SQL shell and the key) can quietly rewrite what happened.

-- A family contact of a case, in its current form. Removing a contact sets `removed_at` and a
-- reason; the row stays. `fields` is the normalised `ContactFields` as JSON; `name`,
-- `relationship`, `is_primary` and `do_not_disclose` are copies kept in step in the same
-- transaction, for the case view's order and for search.
CREATE TABLE contacts (
    id              BLOB PRIMARY KEY CHECK (length(id) = 16),
    case_id         BLOB NOT NULL REFERENCES cases (id),
    name            TEXT NOT NULL,
    relationship    TEXT NOT NULL,
    is_primary      INTEGER NOT NULL,
    do_not_disclose INTEGER NOT NULL,
    fields          TEXT NOT NULL CHECK (json_valid(fields)),
    version         INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    removed_at      TEXT,
    removed_reason  TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX contacts_by_case ON contacts (case_id);

-- Every add, edit and removal of a contact with the form as it was after the change, for the
-- timeline ("Contact edited: phone changed"). Never changed or deleted.
CREATE TABLE contact_events (
    seq        INTEGER PRIMARY KEY,
    contact_id BLOB NOT NULL REFERENCES contacts (id),
    case_id    BLOB NOT NULL REFERENCES cases (id),
    kind       TEXT NOT NULL CHECK (kind IN ('added', 'edited', 'removed')),
    version    INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    at         TEXT NOT NULL,
    fields     TEXT NOT NULL CHECK (json_valid(fields)),
    reason     TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX contact_events_by_case ON contact_events (case_id, seq);
CREATE INDEX contact_events_by_contact ON contact_events (contact_id, seq);

-- Every version of every note. A note's current text is its highest version; an edit adds a
-- version and never touches the earlier ones.
CREATE TABLE note_versions (
    note_id  BLOB NOT NULL,
    version  INTEGER NOT NULL,
    case_id  BLOB NOT NULL REFERENCES cases (id),
    category TEXT NOT NULL,
    text     TEXT NOT NULL,
    author   TEXT NOT NULL,
    at       TEXT NOT NULL,
    PRIMARY KEY (note_id, version)
) STRICT;
CREATE INDEX note_versions_by_case ON note_versions (case_id);

-- How a resolved case ended; NULL for every other move.
ALTER TABLE status_events ADD COLUMN outcome TEXT;

-- The local audit log: who opened, viewed, changed or exported what, and when. `detail` holds
-- ids and counts, never a child's personal data, because the log will leave this machine for
-- the central service.
CREATE TABLE audit_log (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id BLOB,
    action  TEXT NOT NULL,
    actor   TEXT NOT NULL,
    at      TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_log_by_case ON audit_log (case_id, seq);

-- Every poster produced (saved, printed, bulk), with the public text as printed that day, so
-- that when a child is found every poster can be taken down.
CREATE TABLE posters (
    id          BLOB PRIMARY KEY,
    produced_at TEXT NOT NULL,
    produced_by TEXT NOT NULL,
    channel     TEXT NOT NULL,
    destination TEXT NOT NULL,
    language    TEXT NOT NULL,
    paper       TEXT NOT NULL,
    -- The photos printed, as a JSON array of ids, main photo first.
    photo_ids   TEXT NOT NULL,
    text        TEXT NOT NULL,
    pdf_sha256  TEXT NOT NULL
) STRICT;
CREATE TABLE poster_cases (
    poster_id BLOB REFERENCES posters (id),
    case_id   BLOB REFERENCES cases (id),
    PRIMARY KEY (poster_id, case_id)
) STRICT;
CREATE INDEX poster_cases_by_case ON poster_cases (case_id, poster_id);

-- Sound keys of the child's names and a birth date (the real one, or one estimated from the
-- age at going missing), so that a possible duplicate is found by an index range: same sound,
-- born within a year. `name_sound()` and `birth_estimate()` are the store's own functions (see
-- `duplicates.rs`), registered on the connection before migrations run; a later change to the
-- key rebuilds these columns in a new migration.
ALTER TABLE cases ADD COLUMN given_sound TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN family_sound TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN birth_on TEXT;
UPDATE cases SET
    given_sound = name_sound(given_name),
    family_sound = name_sound(family_name),
    birth_on = birth_estimate(
        date_of_birth,
        (SELECT json_extract(e.new, '$.child.estimated_age') FROM case_events e
         WHERE e.case_seq = cases.seq AND e.kind IN ('create', 'edit') ORDER BY e.seq DESC LIMIT 1),
        missing_date);
-- The name key rides along, so that names not alike are passed over in the index itself.
CREATE INDEX cases_by_family_sound ON cases (family_sound, birth_on, name_key);
CREATE INDEX cases_by_given_sound ON cases (given_sound, birth_on, name_key);

-- History is appended, never rewritten.
CREATE TRIGGER audit_log_is_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: entries are never changed'); END;
CREATE TRIGGER audit_log_is_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: entries are never deleted'); END;
CREATE TRIGGER note_versions_are_append_only_update BEFORE UPDATE ON note_versions
BEGIN SELECT RAISE(ABORT, 'note versions are never changed: an edit adds a new version'); END;
CREATE TRIGGER note_versions_are_append_only_delete BEFORE DELETE ON note_versions
BEGIN SELECT RAISE(ABORT, 'note versions are never deleted'); END;
CREATE TRIGGER status_events_are_append_only_update BEFORE UPDATE ON status_events
BEGIN SELECT RAISE(ABORT, 'status history is never changed: a new status is a new event'); END;
CREATE TRIGGER status_events_are_append_only_delete BEFORE DELETE ON status_events
BEGIN SELECT RAISE(ABORT, 'status history is never deleted'); END;
CREATE TRIGGER contact_events_are_append_only_update BEFORE UPDATE ON contact_events
BEGIN SELECT RAISE(ABORT, 'contact history is never changed'); END;
CREATE TRIGGER contact_events_are_append_only_delete BEFORE DELETE ON contact_events
BEGIN SELECT RAISE(ABORT, 'contact history is never deleted'); END;
CREATE TRIGGER contacts_are_never_deleted BEFORE DELETE ON contacts
BEGIN SELECT RAISE(ABORT, 'contacts are never deleted: remove them with a reason'); END;
