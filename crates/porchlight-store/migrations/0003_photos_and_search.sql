-- Photos as a case manager handles them (checked, upright, with thumbnails and who added them)
-- and the full-text search index over every case.

-- The EXIF orientation the original file carries (1 = upright as stored). The original bytes
-- stay exactly as received, so their SHA-256 keeps proving what the family handed over; what is
-- shown and printed is upright (see `upright_images`). `width` and `height` of rows added from
-- now on are the upright size.
ALTER TABLE blobs ADD COLUMN orientation INTEGER NOT NULL DEFAULT 1 CHECK (orientation BETWEEN 1 AND 8);

-- A small JPEG of each stored image, at most 320 pixels a side, already upright, for lists and
-- tiles: showing a case never decodes a full-size photo.
CREATE TABLE thumbnails (
    sha256 TEXT PRIMARY KEY REFERENCES blobs (sha256),
    bytes  BLOB NOT NULL,
    width  INTEGER NOT NULL CHECK (width BETWEEN 1 AND 320),
    height INTEGER NOT NULL CHECK (height BETWEEN 1 AND 320)
) STRICT;

-- The image turned upright, for an original whose EXIF orientation is not 1. Anything that
-- shows or prints a photo reads this when it exists, so no viewer has to know about EXIF.
CREATE TABLE upright_images (
    sha256 TEXT PRIMARY KEY REFERENCES blobs (sha256),
    bytes  BLOB NOT NULL,
    mime   TEXT NOT NULL
) STRICT;

-- What the user says about a photo beyond 0001's columns, and who added it under which name.
ALTER TABLE case_photos ADD COLUMN child_age INTEGER CHECK (child_age BETWEEN 0 AND 25);
ALTER TABLE case_photos ADD COLUMN added_by TEXT NOT NULL DEFAULT '';
ALTER TABLE case_photos ADD COLUMN file_name TEXT NOT NULL DEFAULT '';
ALTER TABLE case_photos ADD COLUMN updated_at TEXT;
-- Photos attached before this migration: the history knows who added them.
UPDATE case_photos SET added_by = coalesce(
    (SELECT e.actor FROM case_events e
     WHERE e.case_seq = case_photos.case_seq AND e.kind = 'photo' AND json_extract(e.new, '$.sha256') = case_photos.sha256
     ORDER BY e.seq LIMIT 1),
    '');

-- One search document per case, its rowid the case's `cases.seq`, rewritten in the same
-- transaction as every change to what it holds (`search::reindex_case`). Columns, in the order
-- of their weight: the child's names and nicknames; the case, agency and NCIC numbers; places;
-- circumstances; current note texts; current contact names. `facets` holds one token per
-- filter value (status, type, state, missing from care, archived, birth year, has a photo),
-- each starting with U+F8F0, a private-use character nobody types, so that filters are answered
-- inside the index together with the words. Diacritics are folded, so "Nunez" finds "Núñez".
-- The word being typed is matched as a prefix of up to 8 characters (`search` cuts longer
-- ones): a prefix index per length lets FTS5 read the matches in order and stop early, where
-- an unindexed prefix makes it gather every match of every term first (10 ms for a word in
-- every case). They cost about a third more index.
CREATE VIRTUAL TABLE case_search USING fts5 (
    names, numbers, places, circumstances, notes, contacts, facets,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3 4 5 6 7 8'
);
-- Ranking: bm25 with names far above numbers, numbers above places, places above the longer
-- texts; facets never count.
INSERT INTO case_search (case_search, rank) VALUES ('rank', 'bm25(10.0, 6.0, 3.0, 1.5, 1.0, 2.0, 0.0)');

-- The facet tokens of each case, written once here and read both by `reindex_case` and by the
-- trigger below.
CREATE VIEW case_facets (seq, facets) AS
SELECT c.seq,
       char(63728) || 'status' || replace(c.status, '_', '') || ' '
       || char(63728) || 'type' || lower(c.case_type) || ' '
       || CASE WHEN c.state IS NULL THEN '' ELSE char(63728) || 'state' || lower(c.state) || ' ' END
       || CASE WHEN c.missing_from_care = 1 THEN char(63728) || 'care ' ELSE '' END
       || CASE WHEN c.archived_at IS NULL THEN '' ELSE char(63728) || 'archived ' END
       || CASE WHEN c.birth_on IS NULL THEN '' ELSE char(63728) || 'born' || substr(c.birth_on, 1, 4) || ' ' END
       || CASE WHEN EXISTS (SELECT 1 FROM case_photos p WHERE p.case_seq = c.seq) THEN char(63728) || 'photo' ELSE '' END
FROM cases c;

-- A status change, an archive or an edit of a filtered column moves the case between filters
-- at once, whichever use case wrote it.
CREATE TRIGGER case_search_follows_filters AFTER UPDATE OF status, case_type, state, missing_from_care, archived_at, birth_on ON cases
WHEN OLD.status IS NOT NEW.status OR OLD.case_type IS NOT NEW.case_type OR OLD.state IS NOT NEW.state
  OR OLD.missing_from_care IS NOT NEW.missing_from_care OR OLD.archived_at IS NOT NEW.archived_at OR OLD.birth_on IS NOT NEW.birth_on
BEGIN
    UPDATE case_search SET facets = (SELECT facets FROM case_facets WHERE seq = NEW.seq) WHERE rowid = NEW.seq;
END;
