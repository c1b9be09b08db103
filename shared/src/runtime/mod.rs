//! A process at its start: the settings, read and checked, and the wiring of a cold start.

pub mod bootstrap;
pub mod config;
