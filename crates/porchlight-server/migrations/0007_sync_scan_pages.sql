-- How many pages of the current scan of a device's scope have been made, so that each page of a
-- scan may carry more cases than the one before (see `sync::pull::snapshot_cases`). A device
-- waits for the first page with nothing else to do, and the service makes each later page while
-- the device writes the one before: pages that grow from small to full keep both sides busy from
-- the start, where a small first page followed at once by a full one left the device waiting for
-- the second. Append-only like the files before it: a released file is never edited.
ALTER TABLE sync_devices ADD COLUMN scan_pages integer NOT NULL DEFAULT 0 CHECK (scan_pages >= 0);
