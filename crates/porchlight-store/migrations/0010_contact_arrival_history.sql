-- A contact that arrives from the central service, new to this device and current, gets no
-- `added` history entry when it arrives: its row holds exactly what that entry would, and a
-- first sync of thousands of cases spent a tenth of its time writing two such entries a case
-- (a copy of each contact's fields with two index entries). The timeline shows the entry from
-- the row while the contact has no history here. Before the row first changes, this trigger
-- writes the entry from the row as it was, so the history keeps the first version and says
-- what every later edit changed. The actor is the one the store names for changes that came
-- from the service (`REMOTE_ACTOR` in sync/records.rs), the only writer that leaves it out.
CREATE TRIGGER contacts_keep_their_first_version BEFORE UPDATE ON contacts
WHEN NOT EXISTS (SELECT 1 FROM contact_events e WHERE e.contact_id = OLD.id)
BEGIN
    INSERT INTO contact_events (contact_id, case_id, kind, version, actor, at, fields, reason)
    VALUES (OLD.id, OLD.case_id, 'added', OLD.version, 'sync', OLD.created_at, OLD.fields, '');
END;
