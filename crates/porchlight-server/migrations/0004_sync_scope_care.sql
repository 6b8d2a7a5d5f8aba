-- Sync keeps a device's scope true in three more cases: a role change re-scopes the person's
-- devices, old unfinished uploads and scope marks every device has passed are swept away, and
-- (in code, no schema needed) a device that created a case holds it from the push on.
-- Append-only like the files before it: a released file is never edited.

-- A person's role changed, so every case their devices hold was chosen and redacted for the old
-- role. `rescope_epoch` is the pull page that took all of them off the device: a pull whose
-- cursor names an older epoch has not received that page yet and must (re)send it. A role change
-- sets it to the largest bigint, "not sent yet"; a device that never needed it keeps 0.
ALTER TABLE sync_devices ADD COLUMN rescope_epoch bigint NOT NULL DEFAULT 0;

-- Housekeeping deletes scope marks no device still needs; the marks stay append-only otherwise
-- (only the sweep deletes, and only rows older than every device's last check).
GRANT DELETE ON scope_marks TO porchlight_service;
