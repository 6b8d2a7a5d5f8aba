//! Integration tests of the central service against a real PostgreSQL (started by
//! `scripts/pg.sh`, named by PORCHLIGHT_TEST_DATABASE_URL). Each test gets its own database and
//! boots the real server on port 0; requests go through a real HTTP client. One binary, with
//! modules, to keep link time down.

mod server {
    pub mod harness;

    mod audit_log;
    mod authorisation;
    mod cases;
    mod cli;
    mod hardening;
    mod sessions;
    mod sync_blobs;
    mod sync_kit;
    mod sync_migration;
    mod sync_push;
    mod sync_scope;
    mod sync_scope_care;
    mod tls;
}
