-- Cases a device held once and whose removal the service has since counted as kept. A device asks
-- for its next page while it writes the one before, so the cursor that settles a removal shows
-- that the page reached the device, not that the device kept it: if it crashed while writing,
-- it asks again from an older cursor, still holding its old copy of the case. When such a case
-- is sent whole again, the page names it among the removed cases first, so that the old copy
-- (which may hold a photo whose consent was withdrawn, or a contact deleted, meanwhile) goes
-- before the new one comes. A row costs a few bytes and is kept for the life of the device.
-- Append-only like the files before it: a released file is never edited.
CREATE TABLE device_cases_left (
    device_id  uuid NOT NULL,
    case_id    uuid NOT NULL,
    PRIMARY KEY (device_id, case_id)
);

GRANT SELECT, INSERT ON device_cases_left TO porchlight_service;
