-- The central service's schema: people, devices, cases and who may see them, and the audit log.
-- Migrations are append-only: a released file is never edited; a change is a new file.

-- The role the running service uses. It may read and write the working tables but can only
-- append to the audit log. Roles are cluster-wide, so creating it must tolerate another
-- database (or a concurrent migration) having created it first; an owner without the right to
-- create roles needs it made beforehand (scripts/pg.sh does).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'porchlight_service') THEN
        CREATE ROLE porchlight_service NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

CREATE TABLE offices (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    region      text NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE users (
    id              uuid PRIMARY KEY,
    username        text NOT NULL UNIQUE CHECK (username = lower(username)),
    display_name    text NOT NULL,
    role            text NOT NULL CHECK (role IN ('admin', 'supervisor', 'case_manager', 'poster_staff', 'volunteer')),
    office_id       uuid REFERENCES offices (id),
    password_hash   text NOT NULL,
    totp_secret     bytea,
    -- The last TOTP time step accepted, so a code cannot be replayed within its window.
    totp_last_step  bigint,
    disabled_at     timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CONSTRAINT office_for_field_roles CHECK (role IN ('admin', 'poster_staff') OR office_id IS NOT NULL),
    CONSTRAINT second_factor_for_privileged CHECK (role NOT IN ('admin', 'supervisor') OR totp_secret IS NOT NULL)
);
CREATE INDEX users_office ON users (office_id);

-- A device is one enrolled copy of the app. Only the SHA-256 of its bearer token is kept.
CREATE TABLE devices (
    id                  uuid PRIMARY KEY,
    user_id             uuid NOT NULL REFERENCES users (id),
    name                text NOT NULL,
    token_hash          bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    enrolled_at         timestamptz NOT NULL,
    last_seen_at        timestamptz NOT NULL,
    revoked_at          timestamptz,
    wipe_requested_at   timestamptz,
    wiped_at            timestamptz
);
CREATE INDEX devices_user ON devices (user_id);

-- Login throttling lives here, not in a process, so it holds across every instance behind a
-- load balancer. One row per address (`ip:...`) and per account (`user:...`).
CREATE TABLE login_throttle (
    key              text PRIMARY KEY,
    failures         integer NOT NULL,
    last_failure_at  timestamptz NOT NULL,
    locked_until     timestamptz
);

-- A case: the form as JSON (porchlight_domain::CaseFields) plus the columns every scope
-- rule filters on. The sync change log and per-field stamps build on this table.
CREATE TABLE cases (
    id           uuid PRIMARY KEY,
    case_number  text NOT NULL UNIQUE,
    office_id    uuid NOT NULL REFERENCES offices (id),
    status       text NOT NULL CHECK (status IN ('intake', 'active', 'located_alive', 'located_deceased', 'recovered', 'resolved', 'closed')),
    fields       jsonb NOT NULL,
    version      bigint NOT NULL,
    created_by   uuid REFERENCES users (id),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    archived_at  timestamptz
);
CREATE INDEX cases_office ON cases (office_id);
CREATE INDEX cases_status ON cases (status);

-- Who works on which case: one assigned case manager at most, and any number of others it is
-- shared with. Supervisors, poster staff and volunteers reach cases by office, status and
-- region instead (see src/rules.rs).
CREATE TABLE case_access (
    case_id     uuid NOT NULL REFERENCES cases (id),
    user_id     uuid NOT NULL REFERENCES users (id),
    kind        text NOT NULL CHECK (kind IN ('assigned', 'shared')),
    granted_by  uuid REFERENCES users (id),
    granted_at  timestamptz NOT NULL,
    PRIMARY KEY (case_id, user_id)
);
CREATE UNIQUE INDEX case_access_one_assignee ON case_access (case_id) WHERE kind = 'assigned';
CREATE INDEX case_access_user ON case_access (user_id);

CREATE TABLE contacts (
    id               uuid PRIMARY KEY,
    case_id          uuid NOT NULL REFERENCES cases (id),
    fields           jsonb NOT NULL,
    -- Never told of case updates (e.g. a suspected abducting parent).
    do_not_disclose  boolean NOT NULL,
    created_by       uuid REFERENCES users (id),
    created_at       timestamptz NOT NULL
);
CREATE INDEX contacts_case ON contacts (case_id);

-- Notes are never changed: an edit is a new row that names the one it supersedes.
CREATE TABLE notes (
    id          uuid PRIMARY KEY,
    case_id     uuid NOT NULL REFERENCES cases (id),
    author_id   uuid REFERENCES users (id),
    category    text NOT NULL CHECK (category IN ('call', 'lead', 'family_contact', 'law_enforcement', 'media', 'internal')),
    body        text NOT NULL,
    supersedes  uuid REFERENCES notes (id),
    created_at  timestamptz NOT NULL
);
CREATE INDEX notes_case ON notes (case_id);

-- Photo bytes, addressed by their SHA-256 so a photo is stored once however often it is sent.
CREATE TABLE blobs (
    sha256      bytea PRIMARY KEY CHECK (length(sha256) = 32),
    content     bytea NOT NULL,
    size        integer NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE photos (
    id                  uuid PRIMARY KEY,
    case_id             uuid NOT NULL REFERENCES cases (id),
    sha256              bytea NOT NULL REFERENCES blobs (sha256),
    content_type        text NOT NULL,
    kind                text NOT NULL CHECK (kind IN ('photo', 'age_progressed', 'companion', 'vehicle')),
    taken_on            date,
    age_in_photo        smallint,
    consent_to_publish  boolean NOT NULL,
    created_by          uuid REFERENCES users (id),
    created_at          timestamptz NOT NULL
);
CREATE INDEX photos_case ON photos (case_id);

-- The audit log. Each row carries the hash of the row before it, so a changed or removed row
-- breaks the chain (`porchlight-server audit verify`). `detail` is JSON kept as text so the
-- hashed bytes are exactly the stored bytes.
CREATE TABLE audit_log (
    seq           bigint PRIMARY KEY CHECK (seq > 0),
    at            timestamptz NOT NULL,
    actor         text NOT NULL,
    actor_user    uuid,
    actor_device  uuid,
    action        text NOT NULL,
    case_id       uuid,
    subject       text,
    address       text,
    detail        text NOT NULL,
    prev_hash     bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash          bytea NOT NULL CHECK (length(hash) = 32)
);
CREATE INDEX audit_log_case ON audit_log (case_id) WHERE case_id IS NOT NULL;

-- Appends one entry. `body` is the canonical text of the entry's columns, built by the service
-- (src/audit.rs); the hash covers the previous hash, the sequence number and that text. The
-- advisory lock orders appenders, so the chain never forks; it is held to the end of the
-- caller's transaction, which is why writers append their audit entry last.
CREATE FUNCTION audit_append(
    p_at timestamptz, p_actor text, p_actor_user uuid, p_actor_device uuid, p_action text,
    p_case_id uuid, p_subject text, p_address text, p_detail text, p_body text
) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    v_prev_seq  bigint;
    v_prev_hash bytea;
    v_seq       bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(7306142511);
    SELECT seq, hash INTO v_prev_seq, v_prev_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
    IF NOT FOUND THEN
        v_prev_seq := 0;
        v_prev_hash := decode(repeat('00', 32), 'hex');
    END IF;
    v_seq := v_prev_seq + 1;
    INSERT INTO audit_log (seq, at, actor, actor_user, actor_device, action, case_id, subject, address, detail, prev_hash, hash)
    VALUES (v_seq, p_at, p_actor, p_actor_user, p_actor_device, p_action, p_case_id, p_subject, p_address, p_detail,
            v_prev_hash, sha256(v_prev_hash || int8send(v_seq) || convert_to(p_body, 'UTF8')));
    RETURN v_seq;
END
$$;

GRANT SELECT, INSERT, UPDATE ON offices, users, devices, cases, contacts, photos TO porchlight_service;
GRANT SELECT, INSERT, UPDATE, DELETE ON login_throttle, case_access TO porchlight_service;
GRANT SELECT, INSERT ON notes, blobs TO porchlight_service;
-- Append-only for the service: no UPDATE, DELETE or TRUNCATE.
GRANT SELECT, INSERT ON audit_log TO porchlight_service;
GRANT SELECT ON schema_migrations TO porchlight_service;
GRANT EXECUTE ON FUNCTION audit_append(timestamptz, text, uuid, uuid, text, uuid, text, text, text, text) TO porchlight_service;
