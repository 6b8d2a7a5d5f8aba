-- The case list's indexes set aside while thousands of cases arrive whole from the central
-- service (a new device's first sync, a large reassignment). Keeping twelve indexes up to date
-- one case at a time was about a fifth of the time a first sync spent writing; building them
-- once when the cases are in takes a small part of that. Each index's own definition is kept
-- here, in the transaction that drops it, so that it comes back exactly as it was, after the
-- last page of the arrival or, if the sync was cut off, when the workspace is next opened.
CREATE TABLE indexes_set_aside (
    name TEXT PRIMARY KEY,
    sql  TEXT NOT NULL
) STRICT;
