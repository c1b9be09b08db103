//! Logging, set up once per process.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt;
use tracing_subscriber::prelude::*;

/// Crates that can log request and response bodies at debug or trace level. Bodies carry phone
/// numbers and codes, so these stay at `info` whatever level is asked for.
const BODY_LOGGING_CRATES: &[&str] = &[
    "aws_smithy_runtime",
    "aws_smithy_http",
    "aws_smithy_http_client",
    "hyper",
    "hyper_util",
    "reqwest",
    "h2",
    "rustls",
];

/// JSON lines in Lambda (one object per event, easy to query in CloudWatch Logs Insights), plain
/// text elsewhere. The level comes from `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG` (a level name such
/// as `debug`), `info` by default.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|l| l.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let in_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
    let text_asked = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("text"));
    let logs = tracing_subscriber::registry().with(filter(level));
    let result = if in_lambda && !text_asked {
        // Lambda stamps every line itself.
        logs.with(fmt::layer().json().without_time().with_current_span(true).with_target(false)).try_init()
    } else {
        logs.with(fmt::layer().compact().with_target(false)).try_init()
    };
    // A second call (tests, a process hosting both handlers) keeps the first subscriber.
    drop(result);
}

/// `level` for everything, but never more than `info` for the crates that can log bodies. (A
/// `Targets` filter rather than `EnvFilter`: no regular-expression engine for per-crate levels.)
pub fn filter(level: LevelFilter) -> Targets {
    Targets::new()
        .with_default(level)
        .with_targets(BODY_LOGGING_CRATES.iter().map(|name| (*name, level.min(LevelFilter::INFO))))
}
