-- The first schema of a Porchlight workspace: cases with their edit and status history, and a
-- content-addressed photo store. Migrations are append-only: never edit this file once shipped;
-- add 0002_….sql instead.

-- Marks the file as a Porchlight workspace, so a stray SQLCipher file is told apart from ours.
CREATE TABLE workspace_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- One row per case, holding only what the case list shows, filters and sorts on. The full form
-- lives in the case's history (`case_events`): keeping the large JSON out of this table keeps
-- it small enough to stay in the page cache, so a list page costs a few index steps and no
-- disk reads. The list columns are copies of values inside the fields, kept in step in the
-- same transaction.
CREATE TABLE cases (
    seq               INTEGER PRIMARY KEY,
    id                BLOB NOT NULL UNIQUE CHECK (length(id) = 16),
    case_number       TEXT NOT NULL UNIQUE,
    given_name        TEXT NOT NULL,
    family_name       TEXT NOT NULL,
    -- Lower-cased "given family" and "family given": the search keys for names, and (the
    -- second) the sort key, family name first.
    name_key          TEXT NOT NULL,
    family_key        TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('intake', 'active', 'located_alive', 'located_deceased', 'recovered', 'resolved', 'closed')),
    case_type         TEXT NOT NULL CHECK (case_type IN ('ERU', 'FA', 'NFA', 'LIM', 'CMYA')),
    -- USPS code; NULL when the child went missing outside the US.
    state             TEXT,
    city              TEXT NOT NULL,
    missing_date      TEXT NOT NULL,
    date_of_birth     TEXT,
    missing_from_care INTEGER NOT NULL CHECK (missing_from_care IN (0, 1)),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    archived_at       TEXT,
    version           INTEGER NOT NULL CHECK (version >= 1)
) STRICT;

-- One index per sort key. Each ends in the id, so that equal keys come back in one stable
-- order, and then carries the filter columns, so that a filtered page is found by walking the
-- index alone and only the rows shown are read from the table.
CREATE INDEX cases_by_name ON cases (family_key, id, archived_at, status, case_type, state);
CREATE INDEX cases_by_case_number ON cases (case_number, id, archived_at, status, case_type, state);
CREATE INDEX cases_by_missing_date ON cases (missing_date, id, archived_at, status, case_type, state);
CREATE INDEX cases_by_status ON cases (status, id, archived_at, case_type, state);
CREATE INDEX cases_by_state ON cases (state, id, archived_at, status, case_type);
CREATE INDEX cases_by_case_type ON cases (case_type, id, archived_at, status, state);
CREATE INDEX cases_by_updated_at ON cases (updated_at, id, archived_at, status, case_type, state);
-- Search matches the start of "given family" (and so the given name alone); the family name
-- and the case number are searched on the indexes above.
CREATE INDEX cases_by_name_key ON cases (name_key);

-- Every create, edit and archive of a case, with the fields before and after, written in the
-- same transaction as the change itself. The `new` of a case's latest `create` or `edit` row is
-- its current, normalised form (`CaseFields` as JSON): the form is stored once per version,
-- never once more beside the history. History refers to its case by `cases.seq`: an integer
-- key keeps these indexes small and appends to them in order during an import. Rows are never
-- changed or deleted, so `seq` only grows and orders the history.
CREATE TABLE case_events (
    seq      INTEGER PRIMARY KEY,
    case_seq INTEGER NOT NULL REFERENCES cases (seq),
    kind     TEXT NOT NULL CHECK (kind IN ('create', 'edit', 'archive', 'unarchive', 'photo')),
    version  INTEGER NOT NULL,
    actor    TEXT NOT NULL,
    at       TEXT NOT NULL,
    previous TEXT,
    new      TEXT,
    -- A create holds the first form, an edit the form before and after.
    CHECK (kind NOT IN ('create', 'edit') OR new IS NOT NULL),
    CHECK (kind <> 'create' OR previous IS NULL),
    CHECK (kind <> 'edit' OR previous IS NOT NULL)
) STRICT;
CREATE INDEX case_events_by_case ON case_events (case_seq, seq);

-- The status history; the current status in `cases.status` is its latest `to_status`.
CREATE TABLE status_events (
    seq         INTEGER PRIMARY KEY,
    case_seq    INTEGER NOT NULL REFERENCES cases (seq),
    from_status TEXT,
    to_status   TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL
) STRICT;
CREATE INDEX status_events_by_case ON status_events (case_seq, seq);

-- Image bytes, stored once however many cases or photos refer to them.
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    bytes  BLOB NOT NULL,
    mime   TEXT NOT NULL,
    width  INTEGER NOT NULL,
    height INTEGER NOT NULL,
    size   INTEGER NOT NULL
) STRICT;

-- A photo attached to a case: which image, what it shows, and whether it may be published.
CREATE TABLE case_photos (
    id                 BLOB PRIMARY KEY CHECK (length(id) = 16),
    case_seq           INTEGER NOT NULL REFERENCES cases (seq),
    sha256             TEXT NOT NULL REFERENCES blobs (sha256),
    kind               TEXT NOT NULL CHECK (kind IN ('photo', 'age_progressed', 'companion', 'vehicle')),
    -- The age shown, for an age-progressed image.
    age_progressed_to  INTEGER CHECK ((kind = 'age_progressed') = (age_progressed_to IS NOT NULL)),
    taken_on           TEXT,
    source             TEXT NOT NULL,
    consent_to_publish INTEGER NOT NULL CHECK (consent_to_publish IN (0, 1)),
    is_primary         INTEGER NOT NULL CHECK (is_primary IN (0, 1)),
    created_at         TEXT NOT NULL,
    UNIQUE (case_seq, sha256)
) STRICT, WITHOUT ROWID;
CREATE INDEX case_photos_by_blob ON case_photos (sha256);
-- A case has at most one primary photo, the one a poster and the case header lead with.
CREATE UNIQUE INDEX case_photos_one_primary ON case_photos (case_seq) WHERE is_primary = 1;
