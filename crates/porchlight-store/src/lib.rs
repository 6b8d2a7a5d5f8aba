//! The local case workspace: an encrypted SQLite file and the use cases over it.
