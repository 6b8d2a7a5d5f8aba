-- Offline sync (see src/sync/mod.rs): per-field stamps of mutable records, status events, the
-- change log devices pull from, the ops already answered, conflicts, what each device holds, and
-- blob uploads in progress. Append-only like 0001: a released file is never edited.

-- Every mutable record keeps its sync state beside the columns the case endpoints read:
-- `sync_state` is the record as one pull change (`porchlight_sync::Change::Record` as JSON text:
-- every field flattened to its dotted path, with the stamp of its last write), so a first sync
-- sends stored text instead of rebuilding thousands of records. The code writes both together.
ALTER TABLE cases ADD COLUMN sync_state text;
-- The stamp of the status event in force: the newest by stamp, whose `to` is `cases.status`
-- (null until a case synced from a device has its first status event).
ALTER TABLE cases ADD COLUMN status_stamp text;
ALTER TABLE contacts ADD COLUMN sync_state text;
-- A removed contact stays, with why it was removed: removal is a field write, never a delete.
ALTER TABLE contacts ADD COLUMN removed_reason text;
ALTER TABLE photos ADD COLUMN sync_state text;
-- A deleted photo stays as a tombstone until its case is purged.
ALTER TABLE photos ADD COLUMN deleted boolean NOT NULL DEFAULT false;
-- A photo's metadata may arrive (from a device that synced it) before or without its bytes.
ALTER TABLE photos DROP CONSTRAINT photos_sha256_fkey;
-- Note versions: `note_id` is the note all versions share, `change` the version as one pull change.
ALTER TABLE notes ADD COLUMN note_id uuid;
ALTER TABLE notes ADD COLUMN version integer;
ALTER TABLE notes ADD COLUMN change text;

-- The stamp that stands for writes made before sync existed: their time, on replica 1. (A stamp's
-- time is uhlc's NTP64: seconds since 1970 in the high 32 bits, the fraction in the low ones.)
CREATE FUNCTION sync_legacy_stamp(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT floor(extract(epoch FROM t) * 4294967296)::numeric(20, 0)::text || '/1' $$;

-- The leaves of a JSON object keyed by dotted paths, as porchlight_sync::fields::flatten makes them.
CREATE FUNCTION sync_flatten(j jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    WITH RECURSIVE leaf(path, value) AS (
        SELECT key, value FROM jsonb_each(j)
        UNION ALL
        SELECT leaf.path || '.' || e.key, e.value
        FROM leaf, jsonb_each(leaf.value) e
        WHERE jsonb_typeof(leaf.value) = 'object' AND leaf.value <> '{}'::jsonb
    )
    SELECT coalesce(jsonb_object_agg(path, value), '{}'::jsonb)
    FROM leaf WHERE jsonb_typeof(value) <> 'object' OR value = '{}'::jsonb
$$;

-- Contacts move to the app's form (porchlight_domain::ContactFields), so a contact typed on a
-- laptop and one entered at the service are the same record.
UPDATE contacts SET fields = jsonb_build_object(
    'name', coalesce(fields->>'name', ''),
    'relationship', CASE lower(coalesce(fields->>'relationship', ''))
        WHEN '' THEN NULL
        WHEN 'mother' THEN 'mother' WHEN 'father' THEN 'father' WHEN 'guardian' THEN 'guardian'
        WHEN 'foster parent' THEN 'foster_parent' WHEN 'foster_parent' THEN 'foster_parent'
        WHEN 'sibling' THEN 'sibling' WHEN 'grandparent' THEN 'grandparent'
        ELSE 'other' END,
    'relationship_detail', CASE WHEN lower(coalesce(fields->>'relationship', '')) IN
        ('', 'mother', 'father', 'guardian', 'foster parent', 'foster_parent', 'sibling', 'grandparent')
        THEN '' ELSE fields->>'relationship' END,
    'primary', coalesce((fields->>'primary')::boolean, false),
    'phones', CASE WHEN coalesce(fields->>'phone', '') = '' THEN '[]'::jsonb ELSE jsonb_build_array(fields->>'phone') END,
    'email', coalesce(fields->>'email', ''),
    'address', coalesce(fields->>'address', ''),
    'preferred_language', coalesce(fields->>'language', ''),
    'best_time_to_call', coalesce(fields->>'best_time', ''),
    'notes', coalesce(fields->>'notes', ''),
    'do_not_disclose', do_not_disclose
);

UPDATE cases SET
    status_stamp = sync_legacy_stamp(created_at),
    sync_state = json_build_object(
        'type', 'record', 'entity', 'case', 'case_id', id, 'record_id', id,
        'stamp', sync_legacy_stamp(created_at),
        'fields', sync_flatten(fields) || jsonb_build_object('case_number', case_number, 'archived', archived_at IS NOT NULL)
    )::text;

UPDATE contacts SET sync_state = json_build_object(
    'type', 'record', 'entity', 'contact', 'case_id', case_id, 'record_id', id,
    'stamp', sync_legacy_stamp(created_at),
    'fields', sync_flatten(fields) || jsonb_build_object('removed_reason', NULL)
)::text;

UPDATE photos SET sync_state = json_build_object(
    'type', 'record', 'entity', 'photo', 'case_id', case_id, 'record_id', id,
    'stamp', sync_legacy_stamp(created_at),
    'fields', jsonb_build_object(
        'sha256', encode(sha256, 'hex'), 'mime', content_type, 'kind', kind,
        'age_progressed_to', NULL, 'taken_on', coalesce(to_char(taken_on, 'YYYY-MM-DD'), ''),
        'source', '', 'consent_to_publish', consent_to_publish, 'is_primary', false, 'deleted', false)
)::text;

WITH RECURSIVE chain(id, root, depth) AS (
    SELECT id, id, 1 FROM notes WHERE supersedes IS NULL
    UNION ALL
    SELECT n.id, chain.root, chain.depth + 1 FROM notes n JOIN chain ON n.supersedes = chain.id
)
UPDATE notes SET note_id = chain.root, version = chain.depth FROM chain WHERE chain.id = notes.id;

UPDATE notes n SET change = json_build_object(
    'type', 'appended', 'entity', 'note', 'case_id', n.case_id, 'record_id', n.id,
    'stamp', sync_legacy_stamp(n.created_at),
    'record', json_build_object(
        'note_id', n.note_id, 'version', n.version,
        'category', CASE n.category WHEN 'lead' THEN 'lead_tip' ELSE n.category END,
        'body', n.body, 'author', coalesce((SELECT display_name FROM users u WHERE u.id = n.author_id), ''),
        'written_at', n.created_at)
)::text;

ALTER TABLE cases ALTER COLUMN sync_state SET NOT NULL;
ALTER TABLE contacts ALTER COLUMN sync_state SET NOT NULL;
ALTER TABLE photos ALTER COLUMN sync_state SET NOT NULL;
ALTER TABLE notes ALTER COLUMN note_id SET NOT NULL;
ALTER TABLE notes ALTER COLUMN version SET NOT NULL;
ALTER TABLE notes ALTER COLUMN change SET NOT NULL;
CREATE INDEX notes_note ON notes (note_id, version);

-- Status history. The status in force is the `to` of the newest event by stamp (ties cannot
-- happen: stamps are unique), kept in `cases.status`; `change` is the event as one pull change.
CREATE TABLE status_events (
    id          uuid PRIMARY KEY,
    case_id     uuid NOT NULL REFERENCES cases (id),
    stamp       text NOT NULL,
    to_status   text NOT NULL CHECK (to_status IN ('intake', 'active', 'located_alive', 'located_deceased', 'recovered', 'resolved', 'closed')),
    actor_id    uuid REFERENCES users (id),
    device_id   uuid,
    change      text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX status_events_case ON status_events (case_id);

-- Every case so far gets the event that gave it its present status.
WITH c AS (SELECT gen_random_uuid() AS event_id, * FROM cases)
INSERT INTO status_events (id, case_id, stamp, to_status, actor_id, change, created_at)
SELECT c.event_id, c.id, c.status_stamp, c.status, c.created_by,
       json_build_object('type', 'appended', 'entity', 'status_event', 'case_id', c.id, 'record_id', c.event_id,
           'stamp', c.status_stamp,
           'record', json_build_object('from', NULL, 'to', c.status, 'reason', '', 'outcome', NULL,
               'actor', coalesce((SELECT display_name FROM users u WHERE u.id = c.created_by), ''), 'at', c.created_at))::text,
       c.created_at
FROM c;

-- One sequence numbers the change log and the scope marks, in commit order: every taker holds
-- the advisory lock 7306142512 from taking numbers to its commit, so a transaction that takes
-- numbers later also commits later, and a reader never sees seq N+1 without seq N.
CREATE SEQUENCE sync_seq;

CREATE FUNCTION sync_take_seqs(n integer) RETURNS SETOF bigint
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7306142512);
    RETURN QUERY SELECT nextval('sync_seq') FROM generate_series(1, n);
END
$$;

-- What devices pull: one row per change, as the full view's `porchlight_sync::Change` JSON text
-- (each caller gets it redacted for its role). `entity` and `kind` let a pull skip what a role may
-- not see without reading the text.
CREATE TABLE change_log (
    seq         bigint PRIMARY KEY,
    case_id     uuid NOT NULL,
    entity      text NOT NULL,
    record_id   uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('record', 'appended', 'conflict')),
    body        text NOT NULL,
    at          timestamptz NOT NULL
);
CREATE INDEX change_log_case ON change_log (case_id, seq);

-- Something that changes which cases someone may see happened (an assignment, a share, a new
-- case, a status or office change...). A device re-checks its cases only when a mark newer than
-- its last check exists, so a pull with nothing new does not compare thousands of cases.
CREATE TABLE scope_marks (
    seq  bigint PRIMARY KEY,
    at   timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION sync_mark_scope() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7306142512);
    INSERT INTO scope_marks (seq) VALUES (nextval('sync_seq'));
    RETURN NULL;
END
$$;

CREATE TRIGGER case_access_scope AFTER INSERT OR UPDATE OR DELETE ON case_access
    FOR EACH STATEMENT EXECUTE FUNCTION sync_mark_scope();
CREATE TRIGGER cases_scope_insert AFTER INSERT ON cases
    FOR EACH STATEMENT EXECUTE FUNCTION sync_mark_scope();
CREATE TRIGGER cases_scope_update AFTER UPDATE OF status, archived_at, office_id ON cases
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.archived_at IS DISTINCT FROM NEW.archived_at
                       OR OLD.office_id IS DISTINCT FROM NEW.office_id)
    EXECUTE FUNCTION sync_mark_scope();
CREATE TRIGGER users_scope AFTER UPDATE OF role, office_id, disabled_at ON users
    FOR EACH STATEMENT EXECUTE FUNCTION sync_mark_scope();
CREATE TRIGGER offices_scope AFTER UPDATE OF region ON offices
    FOR EACH STATEMENT EXECUTE FUNCTION sync_mark_scope();

-- Every op received, with the answer given, so a repeated op gets the same answer, and every
-- write's author, found by its stamp when a conflict names who wrote each side. Writes made
-- through the case endpoints are here too (`result` NULL).
CREATE TABLE sync_ops (
    op_id        uuid PRIMARY KEY,
    device_id    uuid,
    user_id      uuid,
    case_id      uuid,
    stamp        text NOT NULL,
    applied      boolean NOT NULL,
    result       text,
    received_at  timestamptz NOT NULL
);
CREATE INDEX sync_ops_stamp ON sync_ops (stamp) WHERE applied;

-- Two writes of one field made without seeing each other; `record` is the
-- `porchlight_sync::ConflictRecord` JSON, with its resolution once a person settled it.
CREATE TABLE sync_conflicts (
    id           uuid PRIMARY KEY,
    case_id      uuid NOT NULL REFERENCES cases (id),
    entity       text NOT NULL,
    record_id    uuid NOT NULL,
    field        text NOT NULL,
    record       text NOT NULL,
    created_at   timestamptz NOT NULL,
    resolved_at  timestamptz
);
CREATE INDEX sync_conflicts_case ON sync_conflicts (case_id);

-- Per device, where its scope stands. `scope_seq`: the newest scope mark its cases were checked
-- against, as of the page of epoch `scope_epoch`. A check spanning pages keeps its place in
-- `scan_after` (cases are walked by id), started at mark `scan_seq` on the page of `scan_epoch`.
CREATE TABLE sync_devices (
    device_id    uuid PRIMARY KEY REFERENCES devices (id),
    scope_seq    bigint,
    scope_epoch  bigint NOT NULL DEFAULT 0,
    scan_after   uuid,
    scan_seq     bigint,
    scan_epoch   bigint NOT NULL DEFAULT 0,
    last_pull_at timestamptz
);

-- The cases a device holds: added on the page of `added_epoch` (its snapshot read when the log
-- stood at `snap_seq`), removed on the page of `removed_epoch`. A pull whose cursor names an
-- older epoch undoes the later pages' rows first: those pages never reached the device.
CREATE TABLE device_cases (
    device_id      uuid NOT NULL,
    case_id        uuid NOT NULL,
    added_epoch    bigint NOT NULL,
    removed_epoch  bigint,
    snap_seq       bigint NOT NULL,
    PRIMARY KEY (device_id, case_id)
);
CREATE INDEX device_cases_added ON device_cases (device_id, added_epoch);
CREATE INDEX device_cases_removed ON device_cases (device_id, removed_epoch) WHERE removed_epoch IS NOT NULL;

-- Blob uploads in progress, one row per chunk, per device, so an upload cut off resumes where
-- it stopped and two devices sending the same photo do not mix their bytes.
CREATE TABLE blob_chunks (
    sha256     bytea NOT NULL CHECK (length(sha256) = 32),
    device_id  uuid NOT NULL,
    "offset"   bigint NOT NULL,
    content    bytea NOT NULL,
    at         timestamptz NOT NULL,
    PRIMARY KEY (sha256, device_id, "offset")
);

GRANT SELECT, INSERT, UPDATE ON sync_conflicts, sync_devices TO porchlight_service;
-- Append-only for the service, like notes: history is added to, never changed.
GRANT SELECT, INSERT ON status_events, change_log, scope_marks, sync_ops TO porchlight_service;
GRANT SELECT, INSERT, UPDATE, DELETE ON device_cases, blob_chunks TO porchlight_service;
GRANT USAGE, SELECT ON SEQUENCE sync_seq TO porchlight_service;
GRANT EXECUTE ON FUNCTION sync_take_seqs(integer), sync_mark_scope(), sync_legacy_stamp(timestamptz), sync_flatten(jsonb) TO porchlight_service;
