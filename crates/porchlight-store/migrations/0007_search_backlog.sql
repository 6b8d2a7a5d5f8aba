-- Cases whose search entry is still to be written. Writing the search entries of thousands of
-- cases that arrive at once from the central service (a new device's first sync, a large
-- reassignment) is most of the cost of receiving them: the pages are applied without them, so
-- the cases are listed, opened and edited at once, and their entries are written just after, in
-- short transactions between the person's own commands (`Workspace::index_backlog`). Any write
-- of a case's search entry clears its row here.
CREATE TABLE search_backlog (
    seq INTEGER PRIMARY KEY REFERENCES cases (seq)
) STRICT;
