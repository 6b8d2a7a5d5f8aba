-- Edits pushed by devices rewrite a case's form and sync state in place. Two changes make those
-- writes cheaper without changing what is stored.
-- Append-only like the files before it: a released file is never edited.

-- A case row holds its form and the stamp of every field, about 2.5 kB, so a full page had no
-- room for the new version of an edited row, and each edit also wrote a new entry in all four of
-- the table's indexes. With pages filled to half, the new version fits beside the old one and
-- PostgreSQL updates the row in place (a HOT update), leaving the indexes alone. Contacts are
-- edited the same way. Rows already stored gain the room as pages are rewritten.
ALTER TABLE cases SET (fillfactor = 50);
ALTER TABLE contacts SET (fillfactor = 70);

-- The batch append of audit entries computes the chain first, then inserts every entry with one
-- statement instead of one INSERT per entry. The chain is the same as audit_append's: each hash
-- covers the previous hash, the entry's number and its canonical body.
CREATE OR REPLACE FUNCTION audit_append_batch(
    p_at timestamptz[], p_actor text[], p_actor_user uuid[], p_actor_device uuid[], p_action text[],
    p_case_id uuid[], p_subject text[], p_address text[], p_detail text[], p_body text[]
) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    v_seq    bigint;
    v_first  bigint;
    v_prev   bytea;
    v_prevs  bytea[] := '{}';
    v_hashes bytea[] := '{}';
BEGIN
    PERFORM pg_advisory_xact_lock(7306142511);
    SELECT seq, hash INTO v_seq, v_prev FROM audit_log ORDER BY seq DESC LIMIT 1;
    IF NOT FOUND THEN
        v_seq := 0;
        v_prev := decode(repeat('00', 32), 'hex');
    END IF;
    v_first := v_seq + 1;
    FOR i IN 1 .. coalesce(array_length(p_at, 1), 0) LOOP
        v_seq := v_seq + 1;
        v_prevs := v_prevs || v_prev;
        v_prev := sha256(v_prev || int8send(v_seq) || convert_to(p_body[i], 'UTF8'));
        v_hashes := v_hashes || v_prev;
    END LOOP;
    INSERT INTO audit_log (seq, at, actor, actor_user, actor_device, action, case_id, subject, address, detail, prev_hash, hash)
    SELECT v_first + t.n - 1, t.at, t.actor, t.actor_user, t.actor_device, t.action, t.case_id, t.subject, t.address, t.detail,
           t.prev_hash, t.hash
    FROM unnest(p_at, p_actor, p_actor_user, p_actor_device, p_action, p_case_id, p_subject, p_address, p_detail, v_prevs, v_hashes)
         WITH ORDINALITY AS t(at, actor, actor_user, actor_device, action, case_id, subject, address, detail, prev_hash, hash, n);
    RETURN v_seq;
END
$$;
