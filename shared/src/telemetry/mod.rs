//! What every layer reports with: logging (set up once per process, here), metrics
//! ([`metrics`]), [`Event`], and the answer a panic gets in a deployed function
//! ([`panic_answer`]).

pub mod metrics;
pub mod panic_answer;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt;
use tracing_subscriber::prelude::*;

/// Something that happened that the operator reads about: a type of its own a kind, whose
/// `emit` writes its log line (one at most) and records its metrics, so that the code where it
/// happens says only that it happened (vector's `internal_events` are the model). Each layer keeps its
/// events in an `events` module: the service's sends and checks, the HTTP edge's failed calls.
pub trait Event {
    fn emit(self);
}

/// Crates that can log request and response bodies at debug or trace level. Bodies carry phone
/// numbers and codes, so these stay at `info` whatever level is asked for.
const BODY_LOGGING_CRATES: &[&str] = &[
    // A send's input holds the number and the text (the code) in its Debug.
    "aws_sdk_pinpointsmsvoicev2",
    "aws_sigv4",
    "aws_runtime",
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
    std::panic::set_hook(Box::new(log_panic));
}

/// A panic's log line: where it happened, and its message only when that is a literal in the code.
/// A formatted message (`unwrap` on an error, `expect` with `{}`) may carry a number, a code or a
/// secret, so it is left out; the location says which line to read.
fn log_panic(info: &std::panic::PanicHookInfo<'_>) {
    let location = info.location().map_or_else(|| "unknown".to_owned(), |l| format!("{}:{}", l.file(), l.line()));
    tracing::error!(%location, message = panic_message(info.payload()), "panic: a bug; the request is answered with 500 internal_error");
    // Where a panic aborts (the functions' release build), nothing unwinds to answer the call:
    // answer it here, through the Runtime API, before the process ends.
    #[cfg(panic = "abort")]
    if let Ok(runtime_api) = std::env::var("AWS_LAMBDA_RUNTIME_API")
        && let Err(e) = crate::telemetry::panic_answer::answer_in_flight(&runtime_api)
    {
        tracing::error!(error = %e, "could not answer the invocation before the process ends");
    }
}

/// An error and each of its sources, `outer: inner: innermost`: the one line that says why.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut line = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        line.push_str(": ");
        line.push_str(&inner.to_string());
        source = inner.source();
    }
    line
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> &'static str {
    payload.downcast_ref::<&'static str>().copied().unwrap_or("(withheld: a formatted message may hold data)")
}

/// `level` for everything, but never more than `info` for the crates that can log bodies. (A
/// `Targets` filter rather than `EnvFilter`: no regular-expression engine for per-crate levels.)
pub fn filter(level: LevelFilter) -> Targets {
    Targets::new()
        .with_default(level)
        .with_targets(BODY_LOGGING_CRATES.iter().map(|name| (*name, level.min(LevelFilter::INFO))))
}

#[cfg(test)]
mod tests {
    use super::panic_message;

    #[test]
    fn a_panic_message_is_logged_only_when_it_is_a_literal() {
        let literal = std::panic::catch_unwind(|| panic!("the store returned no attributes")).unwrap_err();
        assert_eq!(panic_message(literal.as_ref()), "the store returned no attributes");
        let number = "+14155552671";
        let formatted = std::panic::catch_unwind(|| panic!("bad number {number}")).unwrap_err();
        assert!(!panic_message(formatted.as_ref()).contains("4155552671"));
    }
}
