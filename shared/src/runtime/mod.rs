//! A process at its start: the settings, read and checked, the wiring of a cold start, and the
//! routes it serves.

pub mod bootstrap;
pub mod config;
pub mod routes;
