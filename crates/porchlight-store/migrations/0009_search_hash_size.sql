-- FTS5 gathers the terms of a transaction in memory and writes them out as a new segment when
-- that memory passes `hashsize` (1 MiB by default). Every word of a case is indexed with its
-- prefixes of one to eight letters, so a thousand cases made searchable at once (after a first
-- sync, or an import) filled it many times over and left as many small segments for FTS5 to
-- merge. At 16 MiB they make a few: the 10,000 cases of `bench_sync` become searchable in
-- about 1.27 s instead of 1.44 s, and `bench_search` queries are as fast as before. The setting
-- is kept in the index's own configuration table, which survives the index being built again.
INSERT INTO case_search (case_search, rank) VALUES ('hashsize', 16777216);
