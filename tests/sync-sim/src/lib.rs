//! The randomized sync simulation of issue 6 (see `shared/SYNC.md`, "What must be proven by
//! tests"): per seed, one real central service on its own PostgreSQL database, several invented
//! people on 3–5 devices with real encrypted workspaces, the real sync engine, skewed clocks,
//! offline spells and injected faults; then every device syncs until quiet and the run is
//! checked against a model of what must hold. It is a test crate: it ships nothing.
//!
//! `run` plays a seed, `model` predicts the service, `served` and `snapshot` read what the
//! service and each device hold, `scan` reads a workspace's raw tables, `check` compares.

pub mod check;
pub mod device;
pub mod model;
pub mod photo;
pub mod rng;
pub mod roster;
pub mod run;
pub mod scan;
pub mod served;
pub mod snapshot;
pub mod world;
