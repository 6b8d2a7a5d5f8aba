-- The status bar counts the changes waiting for the service after every command, and that count
-- leaves out the audit events queued beside them. Reading each op's JSON to tell them apart
-- costs a full pass over a large outbox (a workspace used for weeks before it is enrolled holds
-- every op it ever made); this index holds only the changes, so the count walks it alone.
CREATE INDEX outbox_changes ON outbox (seq) WHERE json_extract(op, '$.body.entity') IS NOT 'audit_event';
