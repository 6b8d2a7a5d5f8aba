-- Offline sync (issue 6): this replica's identity and clock, the outbox every write adds its op
-- to, the stamp of every synced field, the changes the central service refused, conflicts
-- waiting for a person, and which photo bytes still have to travel. Records that arrive from
-- the service need stable ids and stamps, so status events and note versions get them, and
-- photo metadata may now arrive before its bytes.

-- One row: who this replica is and where it stands with the central service. The replica id is
-- made here, once, for new and older workspaces alike (random, never zero); the token is kept
-- only inside this encrypted file.
CREATE TABLE sync_meta (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    replica_id      TEXT NOT NULL,
    -- The largest HLC stamp this replica made or saw, so that a restart never goes back.
    last_stamp      TEXT,
    clock_offset_ms INTEGER NOT NULL DEFAULT 0,
    cursor_seq      INTEGER NOT NULL DEFAULT 0 CHECK (cursor_seq >= 0),
    cursor_epoch    INTEGER NOT NULL DEFAULT 0 CHECK (cursor_epoch >= 0),
    server_url      TEXT,
    device_id       BLOB,
    token           TEXT,
    user_id         BLOB,
    username        TEXT,
    display_name    TEXT,
    role            TEXT,
    last_sync_at    TEXT,
    last_error      TEXT
) STRICT;
INSERT INTO sync_meta (id, replica_id) VALUES (1, '1' || lower(hex(randomblob(15))));

-- Ops waiting for the service, in the order they were made (`porchlight_sync::Op` as JSON).
-- `resolving` marks the few that settle conflicts, so they are found without reading them all.
CREATE TABLE outbox (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id     BLOB NOT NULL UNIQUE CHECK (length(op_id) = 16),
    case_id   BLOB NOT NULL CHECK (length(case_id) = 16),
    op        TEXT NOT NULL,
    made_at   TEXT NOT NULL,
    resolving INTEGER NOT NULL DEFAULT 0 CHECK (resolving IN (0, 1))
) STRICT;
CREATE INDEX outbox_by_case ON outbox (case_id);
CREATE INDEX outbox_resolving ON outbox (seq) WHERE resolving = 1;

-- The stamp of the value this replica holds of each synced field: incoming values older than it
-- are skipped, and the next local write names it as its `base`. `field` '*' stands for every
-- field of the record that has no row of its own, so a new record costs one row, not fifty.
CREATE TABLE field_stamps (
    entity    TEXT NOT NULL,
    record_id BLOB NOT NULL,
    field     TEXT NOT NULL,
    stamp     TEXT NOT NULL,
    case_id   BLOB NOT NULL,
    PRIMARY KEY (entity, record_id, field)
) STRICT, WITHOUT ROWID;
CREATE INDEX field_stamps_by_case ON field_stamps (case_id);

-- Local changes the service refused for good, kept with its reason until the user dismisses
-- them. `case_number` and `what` are written at refusal, so the list reads well even when the
-- case has left the device (then `case_id` is all zeros and `op` holds no values).
CREATE TABLE rejected_ops (
    op_id       BLOB PRIMARY KEY CHECK (length(op_id) = 16),
    case_id     BLOB NOT NULL,
    op          TEXT NOT NULL,
    code        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    case_number TEXT NOT NULL DEFAULT '',
    what        TEXT NOT NULL DEFAULT '',
    made_at     TEXT NOT NULL,
    refused_at  TEXT NOT NULL,
    dismissed   INTEGER NOT NULL DEFAULT 0 CHECK (dismissed IN (0, 1))
) STRICT;
CREATE INDEX rejected_ops_by_case ON rejected_ops (case_id);

-- Conflicts as the service sent them (`porchlight_sync::ConflictRecord` as JSON), replaced
-- whole when a newer copy of the same id arrives; open ones are found per case.
CREATE TABLE conflicts (
    id        BLOB PRIMARY KEY CHECK (length(id) = 16),
    case_id   BLOB NOT NULL,
    entity    TEXT NOT NULL,
    record_id BLOB NOT NULL,
    field     TEXT NOT NULL,
    record    TEXT NOT NULL CHECK (json_valid(record)),
    resolved  INTEGER NOT NULL DEFAULT 0 CHECK (resolved IN (0, 1))
) STRICT;
CREATE INDEX conflicts_open_by_case ON conflicts (case_id) WHERE resolved = 0;

-- Photo bytes that still have to go up (added here) or come down (metadata arrived first).
CREATE TABLE blob_sync (
    sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    state  TEXT NOT NULL CHECK (state IN ('needs_upload', 'uploaded', 'needs_download'))
) STRICT, WITHOUT ROWID;
CREATE INDEX blob_sync_by_state ON blob_sync (state);

-- While a case leaves the device (the service says it is no longer shared with this user), or
-- a refused record is taken back, its id is listed here inside that one transaction; the
-- append-only triggers let exactly those rows go and refuse every other delete as before.
CREATE TABLE sync_purge (
    case_id   BLOB,
    record_id BLOB
) STRICT;

-- Status events get the id and stamp they travel with. The current status is the `to` of the
-- newest event by stamp (`stamp_key` sorts as the stamp does), not the last one inserted: an
-- event made elsewhere may arrive after a later one made here.
DROP TRIGGER status_events_are_append_only_update;
DROP TRIGGER status_events_are_append_only_delete;
ALTER TABLE status_events ADD COLUMN id BLOB;
ALTER TABLE status_events ADD COLUMN stamp TEXT;
ALTER TABLE status_events ADD COLUMN stamp_key BLOB;
CREATE UNIQUE INDEX status_events_by_id ON status_events (id);
CREATE INDEX status_events_by_stamp ON status_events (case_seq, stamp_key);
-- An event from before sync gets its id and stamp once (see `sync::backfill`); nothing else
-- about an event ever changes.
CREATE TRIGGER status_events_are_append_only_update BEFORE UPDATE ON status_events
WHEN OLD.stamp IS NOT NULL OR NEW.case_seq IS NOT OLD.case_seq OR NEW.from_status IS NOT OLD.from_status
  OR NEW.to_status IS NOT OLD.to_status OR NEW.reason IS NOT OLD.reason OR NEW.outcome IS NOT OLD.outcome
  OR NEW.actor IS NOT OLD.actor OR NEW.at IS NOT OLD.at
BEGIN SELECT RAISE(ABORT, 'status history is never changed: a new status is a new event'); END;
CREATE TRIGGER status_events_are_append_only_delete BEFORE DELETE ON status_events
WHEN NOT EXISTS (SELECT 1 FROM sync_purge p WHERE p.record_id = OLD.id
                 OR p.case_id = (SELECT c.id FROM cases c WHERE c.seq = OLD.case_seq))
BEGIN SELECT RAISE(ABORT, 'status history is never deleted'); END;

-- Note versions are keyed by their own id: two people editing one note offline both write a
-- "version 2", and both are kept; the current text is the highest version, the newest by stamp
-- among equals. The table is rebuilt (keeping each row's rowid, which orders the timeline)
-- because its old key refused the second "version 2".
DROP TRIGGER note_versions_are_append_only_update;
DROP TRIGGER note_versions_are_append_only_delete;
CREATE TABLE note_versions_synced (
    note_id   BLOB NOT NULL,
    version   INTEGER NOT NULL,
    case_id   BLOB NOT NULL REFERENCES cases (id),
    category  TEXT NOT NULL,
    text      TEXT NOT NULL,
    author    TEXT NOT NULL,
    at        TEXT NOT NULL,
    id        BLOB,
    stamp     TEXT,
    stamp_key BLOB
) STRICT;
INSERT INTO note_versions_synced (rowid, note_id, version, case_id, category, text, author, at)
SELECT rowid, note_id, version, case_id, category, text, author, at FROM note_versions ORDER BY rowid;
DROP TABLE note_versions;
ALTER TABLE note_versions_synced RENAME TO note_versions;
CREATE INDEX note_versions_by_case ON note_versions (case_id);
CREATE INDEX note_versions_by_note ON note_versions (note_id, version, stamp_key);
CREATE UNIQUE INDEX note_versions_by_id ON note_versions (id);
CREATE TRIGGER note_versions_are_append_only_update BEFORE UPDATE ON note_versions
WHEN OLD.stamp IS NOT NULL OR NEW.note_id IS NOT OLD.note_id OR NEW.version IS NOT OLD.version OR NEW.case_id IS NOT OLD.case_id
  OR NEW.category IS NOT OLD.category OR NEW.text IS NOT OLD.text OR NEW.author IS NOT OLD.author OR NEW.at IS NOT OLD.at
BEGIN SELECT RAISE(ABORT, 'note versions are never changed: an edit adds a new version'); END;
CREATE TRIGGER note_versions_are_append_only_delete BEFORE DELETE ON note_versions
WHEN NOT EXISTS (SELECT 1 FROM sync_purge p WHERE p.case_id = OLD.case_id OR p.record_id = OLD.id)
BEGIN SELECT RAISE(ABORT, 'note versions are never deleted'); END;

-- The audit log, contacts and their history may leave the device only with their case.
DROP TRIGGER audit_log_is_append_only_delete;
CREATE TRIGGER audit_log_is_append_only_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM sync_purge p WHERE p.case_id = OLD.case_id)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: entries are never deleted'); END;
DROP TRIGGER contact_events_are_append_only_delete;
CREATE TRIGGER contact_events_are_append_only_delete BEFORE DELETE ON contact_events
WHEN NOT EXISTS (SELECT 1 FROM sync_purge p WHERE p.case_id = OLD.case_id)
BEGIN SELECT RAISE(ABORT, 'contact history is never deleted'); END;
DROP TRIGGER contacts_are_never_deleted;
CREATE TRIGGER contacts_are_never_deleted BEFORE DELETE ON contacts
WHEN NOT EXISTS (SELECT 1 FROM sync_purge p WHERE p.case_id = OLD.case_id)
BEGIN SELECT RAISE(ABORT, 'contacts are never deleted: remove them with a reason'); END;

-- Photo metadata syncs as a record and may arrive before its bytes, so an attachment no longer
-- needs its image to be stored yet (readers join `blobs` and show only photos they can show).
-- Fields merge one by one, so rules that tie two fields together (one primary photo a case, an
-- age only on age-progressed images, one attachment of a file a case) are kept by the writers
-- and the readers, not by constraints a merge could break. `deleted` is the tombstone; `mime`
-- travels with the record. The view and trigger that read the table are made again after it.
DROP TRIGGER case_search_follows_filters;
DROP VIEW case_facets;
CREATE TABLE case_photos_synced (
    id                 BLOB PRIMARY KEY CHECK (length(id) = 16),
    case_seq           INTEGER NOT NULL REFERENCES cases (seq),
    sha256             TEXT NOT NULL CHECK (length(sha256) = 64),
    kind               TEXT NOT NULL CHECK (kind IN ('photo', 'age_progressed', 'companion', 'vehicle')),
    age_progressed_to  INTEGER,
    taken_on           TEXT,
    source             TEXT NOT NULL,
    consent_to_publish INTEGER NOT NULL CHECK (consent_to_publish IN (0, 1)),
    is_primary         INTEGER NOT NULL CHECK (is_primary IN (0, 1)),
    created_at         TEXT NOT NULL,
    child_age          INTEGER,
    added_by           TEXT NOT NULL DEFAULT '',
    file_name          TEXT NOT NULL DEFAULT '',
    updated_at         TEXT,
    mime               TEXT NOT NULL DEFAULT '',
    deleted            INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1))
) STRICT, WITHOUT ROWID;
INSERT INTO case_photos_synced (id, case_seq, sha256, kind, age_progressed_to, taken_on, source, consent_to_publish, is_primary,
    created_at, child_age, added_by, file_name, updated_at, mime)
SELECT p.id, p.case_seq, p.sha256, p.kind, p.age_progressed_to, p.taken_on, p.source, p.consent_to_publish, p.is_primary,
    p.created_at, p.child_age, p.added_by, p.file_name, p.updated_at, coalesce((SELECT b.mime FROM blobs b WHERE b.sha256 = p.sha256), '')
FROM case_photos p;
DROP TABLE case_photos;
ALTER TABLE case_photos_synced RENAME TO case_photos;
CREATE INDEX case_photos_by_blob ON case_photos (sha256);
CREATE INDEX case_photos_by_case ON case_photos (case_seq, is_primary);
-- Images stored before sync are the server's to receive.
INSERT INTO blob_sync (sha256, state) SELECT sha256, 'needs_upload' FROM blobs;

CREATE VIEW case_facets (seq, facets) AS
SELECT c.seq,
       char(63728) || 'status' || replace(c.status, '_', '') || ' '
       || char(63728) || 'type' || lower(c.case_type) || ' '
       || CASE WHEN c.state IS NULL THEN '' ELSE char(63728) || 'state' || lower(c.state) || ' ' END
       || CASE WHEN c.missing_from_care = 1 THEN char(63728) || 'care ' ELSE '' END
       || CASE WHEN c.archived_at IS NULL THEN '' ELSE char(63728) || 'archived ' END
       || CASE WHEN c.birth_on IS NULL THEN '' ELSE char(63728) || 'born' || substr(c.birth_on, 1, 4) || ' ' END
       || CASE WHEN EXISTS (SELECT 1 FROM case_photos p JOIN blobs b ON b.sha256 = p.sha256 WHERE p.case_seq = c.seq AND p.deleted = 0)
               THEN char(63728) || 'photo' ELSE '' END
FROM cases c;

CREATE TRIGGER case_search_follows_filters AFTER UPDATE OF status, case_type, state, missing_from_care, archived_at, birth_on ON cases
WHEN OLD.status IS NOT NEW.status OR OLD.case_type IS NOT NEW.case_type OR OLD.state IS NOT NEW.state
  OR OLD.missing_from_care IS NOT NEW.missing_from_care OR OLD.archived_at IS NOT NEW.archived_at OR OLD.birth_on IS NOT NEW.birth_on
BEGIN
    UPDATE case_search SET facets = (SELECT facets FROM case_facets WHERE seq = NEW.seq) WHERE rowid = NEW.seq;
END;
