-- A new case's first op sets every field of its form, which the case's `create` history row
-- already holds word for word. Rather than store the form twice (it doubled the size of a large
-- import), the op names that row, and the outbox reads the fields from it when the op is sent.
-- History rows are never changed, and leave the device only with their case and its ops.
ALTER TABLE outbox ADD COLUMN fields_from INTEGER REFERENCES case_events (seq);
