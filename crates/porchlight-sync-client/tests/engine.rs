//! Integration tests of the sync engine with the real central service on a real PostgreSQL
//! (started by `scripts/pg.sh`, named by PORCHLIGHT_TEST_DATABASE_URL) and real encrypted
//! workspaces. Each test gets its own database and boots the service on port 0. One binary,
//! with modules, to keep link time down.

mod engine {
    pub mod harness;

    mod clock_ahead;
    mod first_enrolment;
    mod round_trips;
}
