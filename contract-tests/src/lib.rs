//! No code: this crate holds the tests that span both functions (see `tests/`).
