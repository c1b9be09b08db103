//! The OpenID Foundation conformance suite's modules of its Basic OP and Config OP plans
//! (`oidcc-basic-certification-test-plan`, `oidcc-config-certification-test-plan`), ported: one
//! test per module that applies to this provider (the code flow, static clients with
//! client_secret_basic or client_secret_post, pairwise subjects, the `phone` scope), named as
//! the suite names it and running the conditions its Java runs. This is the suite's modules,
//! ported, run against otp-local; it is not a certification. Which modules apply, and the
//! suite's own reason for each that does not: docs/develop/conformance.md.

// The provider's futures (otp-local's routers around the handlers) nest deeply.
#![recursion_limit = "256"]

mod conditions;
mod harness;

mod config;
mod errors;
mod happy;
mod twice;
