//! The HTTP edge both functions share, a module per job: the error table ([`error`]), the
//! request rules ([`request`]), the CloudFront edge ([`edge`]) and CORS ([`cors`]), which the
//! sign-in part's endpoints stand behind too (their OAuth errors are theirs); here, the
//! mapping from the service's failures to API errors and [`serve_json`], which runs an endpoint
//! through all of them.

mod cors;
mod edge;
mod error;
pub(crate) mod events;
pub(crate) mod request;

use std::future::Future;

use lambda_http::http::header::{CONTENT_TYPE, HeaderValue};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::Value;

pub use cors::Cors;
pub use edge::{Edge, ORIGIN_VERIFY_HEADER, VIEWER_ADDRESS_HEADER};
pub use error::ApiError;
pub use request::{JsonRequest, MAX_BODY_BYTES, body_bytes};

use crate::adapters::turnstile::BotCheckError;
use crate::domain::phone::PhoneError;
use crate::domain::rule::Rule;
use crate::domain::verification::AttemptDenied;
use crate::ports::{ProviderError, StoreError};
use crate::service::{CheckCodeError, RequestCodeError};
use crate::telemetry::Event;
use crate::telemetry::metrics;

/// What to tell a client to wait when the provider throttles without saying for how long.
const DEFAULT_PROVIDER_RETRY_SECONDS: u64 = 5;
/// What to tell a client to wait when the store is throttled or out of reach.
const STORE_RETRY_SECONDS: u64 = 2;
/// What to tell a client to wait when the bot check's siteverify does not answer.
const BOT_CHECK_RETRY_SECONDS: u64 = 5;

impl From<PhoneError> for ApiError {
    fn from(e: PhoneError) -> Self {
        match e {
            PhoneError::Invalid => Self::InvalidPhoneNumber,
            PhoneError::Unsupported => Self::UnsupportedNumber,
            PhoneError::CountryNotAllowed => Self::CountryNotAllowed,
        }
    }
}

/// What a refused request tells the client: one answer a rule, and how long to wait where the
/// rule knows (the switch's wait is the error table's).
fn refusal_answer(rule: Rule, retry_after_seconds: Option<u64>) -> ApiError {
    let retry_after_seconds = retry_after_seconds.unwrap_or(1).max(1);
    match rule {
        Rule::Cooldown | Rule::ProviderBusy => ApiError::ResendTooSoon { retry_after_seconds },
        Rule::NumberCap | Rule::ClientCap => ApiError::RateLimited { retry_after_seconds },
        // A test number whose guesses are spent reads as any paused destination: no code until
        // the day ends.
        Rule::DestinationBudget | Rule::TestGuesses => ApiError::DestinationPaused { retry_after_seconds },
        Rule::SpendBudget => ApiError::SendingPaused { retry_after_seconds },
        Rule::Stopped => ApiError::SendingStopped,
        Rule::CallsOff => ApiError::CallsUnavailable,
        Rule::ChannelNotOffered => ApiError::ChannelNotOffered,
        Rule::BotCheck => ApiError::BotCheckFailed,
        Rule::TestNumberRefused => ApiError::TestNumberRefused,
    }
}

/// What a failed provider call tells the client.
fn provider_answer(e: &ProviderError) -> ApiError {
    match e {
        ProviderError::Timeout => ApiError::ProviderTimeout,
        ProviderError::Throttled { retry_after_seconds } => ApiError::ProviderUnavailable {
            retry_after_seconds: retry_after_seconds.unwrap_or(DEFAULT_PROVIDER_RETRY_SECONDS).max(1),
        },
        ProviderError::InvalidNumber => ApiError::InvalidPhoneNumber,
        ProviderError::UnsupportedNumber => ApiError::UnsupportedNumber,
        ProviderError::Failed(_) | ProviderError::Unknown(_) => ApiError::ProviderError,
    }
}

/// What a failed store call tells the client.
fn store_answer(e: &StoreError) -> ApiError {
    match e {
        StoreError::Unavailable(_) => ApiError::ServiceUnavailable { retry_after_seconds: STORE_RETRY_SECONDS },
        StoreError::Failed(_) => ApiError::Internal,
    }
}

/// A code checked in a sign-in it was not asked for in: the page asks for a new one there.
pub const NOT_THIS_FLOW: &str = "This code was not asked for in this sign-in: ask for a new one here.";

impl From<AttemptDenied> for ApiError {
    fn from(d: AttemptDenied) -> Self {
        match d {
            AttemptDenied::NotFound => Self::NotFound,
            AttemptDenied::Expired => Self::Expired,
            AttemptDenied::AlreadyVerified => Self::AlreadyVerified,
            AttemptDenied::TooManyAttempts => Self::TooManyAttempts,
            AttemptDenied::OtherFlow => Self::invalid_request(NOT_THIS_FLOW),
        }
    }
}

/// An endpoint's failure: the answer the client gets and, when a dependency failed, that failure
/// whole, for the one log line [`serve_json`] writes. Conversions never log.
#[derive(Debug)]
pub struct Failure {
    answer: ApiError,
    cause: Option<Cause>,
}

#[derive(Debug)]
enum Cause {
    Provider(ProviderError),
    Store(StoreError),
    BotCheck(BotCheckError),
}

impl Failure {
    fn provider(e: ProviderError) -> Self {
        Self { answer: provider_answer(&e), cause: Some(Cause::Provider(e)) }
    }

    fn store(e: StoreError) -> Self {
        Self { answer: store_answer(&e), cause: Some(Cause::Store(e)) }
    }

    /// The failure's one log line and its metric ([`events`]).
    fn report(&self) {
        match &self.cause {
            Some(Cause::Provider(e)) => events::ProviderFailed(e).emit(),
            Some(Cause::Store(e)) => events::StoreFailed(e).emit(),
            Some(Cause::BotCheck(e)) => events::BotCheckFailed(e).emit(),
            None => {}
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Self::store(e)
    }
}

impl From<ApiError> for Failure {
    fn from(answer: ApiError) -> Self {
        Self { answer, cause: None }
    }
}

impl From<PhoneError> for Failure {
    fn from(e: PhoneError) -> Self {
        ApiError::from(e).into()
    }
}

/// A refused token is the client's (403); siteverify out of reach is worth a retry shortly (503);
/// a secret siteverify refuses is ours (500).
impl From<BotCheckError> for Failure {
    fn from(e: BotCheckError) -> Self {
        let answer = match &e {
            BotCheckError::Refused(_) => refusal_answer(Rule::BotCheck, None),
            BotCheckError::Unavailable(_) => {
                ApiError::ServiceUnavailable { retry_after_seconds: BOT_CHECK_RETRY_SECONDS }
            }
            BotCheckError::Misconfigured(_) => ApiError::Internal,
        };
        Self { answer, cause: Some(Cause::BotCheck(e)) }
    }
}

impl From<RequestCodeError> for Failure {
    fn from(e: RequestCodeError) -> Self {
        match e {
            RequestCodeError::Refused { rule, retry_after_seconds } => refusal_answer(rule, retry_after_seconds).into(),
            RequestCodeError::Provider(e) => Self::provider(e),
            RequestCodeError::Store(e) => Self::store(e),
        }
    }
}

impl From<CheckCodeError> for Failure {
    fn from(e: CheckCodeError) -> Self {
        match e {
            CheckCodeError::IncorrectCode { attempts_remaining } => {
                ApiError::IncorrectCode { attempts_remaining }.into()
            }
            CheckCodeError::Denied(d) => ApiError::from(d).into(),
            CheckCodeError::Provider(e) => Self::provider(e),
            CheckCodeError::Store(e) => Self::store(e),
        }
    }
}

pub fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    let mut response = Response::new(Body::Text(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Runs one JSON endpoint: answers CORS preflights, applies the request rules, hands the parsed
/// request to `endpoint`, maps any error to its response (with `error_fields` added to the body),
/// writes what the request measured (`telemetry::metrics`), and puts CORS and caching headers on
/// whatever comes back. A panic inside `endpoint` (a bug)
/// is answered as any unexpected error, 500 `internal_error`, and logged by the panic hook that
/// [`crate::telemetry::init`] installs.
pub async fn serve_json<F, Fut>(
    req: Request,
    edge: &Edge,
    error_fields: &[(&str, Value)],
    endpoint: F,
) -> Response<Body>
where
    F: FnOnce(JsonRequest) -> Fut,
    Fut: Future<Output = Result<Response<Body>, Failure>>,
{
    let mut response = if req.method() == Method::OPTIONS {
        edge.cors.preflight(&req)
    } else {
        // What a panic that aborts the process (the release build) answers: see `panic_answer`.
        let _in_flight = req.lambda_context_ref().map(|context| {
            let mut answer = ApiError::Internal.into_response_with(error_fields);
            edge.cors.decorate(&req, &mut answer);
            crate::telemetry::panic_answer::register(&context.request_id, answer)
        });
        metrics::scope(async {
            let outcome = match edge.client_ip(&req).and_then(|client_ip| JsonRequest::parse(&req, client_ip)) {
                Ok(parsed) => catch_panic(endpoint(parsed)).await.unwrap_or_else(|()| Err(ApiError::Internal.into())),
                Err(e) => Err(e.into()),
            };
            outcome.unwrap_or_else(|failure| {
                failure.report();
                failure.answer.into_response_with(error_fields)
            })
        })
        .await
    };
    edge.cors.decorate(&req, &mut response);
    response
}

/// Runs `future`, with a panic in any of its polls ending it as `Err(())` instead of unwinding
/// further (into the Lambda runtime, which would answer with its own error, or the process).
pub(crate) async fn catch_panic<F: Future>(future: F) -> Result<F::Output, ()> {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(move |cx| {
        // A future that panicked is never polled again: it is dropped with this one.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(std::task::Poll::Ready(output)) => std::task::Poll::Ready(Ok(output)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(_) => std::task::Poll::Ready(Err(())),
        }
    })
    .await
}

/// An RFC 3339 UTC timestamp, as every time in the API is written.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).expect("UTC times within range format")
}

#[cfg(test)]
mod tests {
    use super::edge::tests::request_with;
    use super::*;

    #[test]
    fn each_rule_has_one_answer_with_the_wait_it_knows() {
        let answers: Vec<_> = Rule::ALL
            .iter()
            .map(|rule| {
                let answer = refusal_answer(*rule, Some(42));
                (rule.name(), answer.code(), answer.body().get("retryAfter").and_then(Value::as_u64))
            })
            .collect();
        let expected = [
            ("cooldown", "resend_too_soon", Some(42)),
            ("number_cap", "rate_limited", Some(42)),
            ("client_cap", "rate_limited", Some(42)),
            ("destination_budget", "destination_paused", Some(42)),
            ("spend_budget", "sending_paused", Some(42)),
            ("stopped", "sending_stopped", Some(300)),
            ("calls_off", "calls_unavailable", None),
            ("provider_busy", "resend_too_soon", Some(42)),
            ("bot_check", "bot_check_failed", None),
            ("test_guesses", "destination_paused", Some(42)),
            ("test_number_refused", "test_number_refused", None),
            ("channel_not_offered", "channel_not_offered", None),
        ];
        assert_eq!(answers, expected);
        // A rule that knows no end still never asks for a wait of 0.
        assert_eq!(refusal_answer(Rule::Cooldown, None), ApiError::ResendTooSoon { retry_after_seconds: 1 });
    }

    #[tokio::test]
    async fn while_a_lambda_invocation_is_served_the_answer_a_panic_would_get_is_registered() {
        let mut context = lambda_http::Context::default();
        context.request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd".into();
        let req = request_with(&[("origin", "https://verify.example.com")]).with_lambda_context(context);
        let edge = Edge::new(Cors::parse("https://verify.example.com").unwrap(), None);
        let response = serve_json(req, &edge, &[("verified", Value::Bool(false))], |_| async {
            let (request_id, posted) =
                crate::telemetry::panic_answer::registered().expect("registered during the call");
            assert_eq!(request_id, "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
            let posted: Value = serde_json::from_slice(&posted).unwrap();
            assert_eq!(posted["statusCode"], 500);
            assert_eq!(posted["headers"]["access-control-allow-origin"], "https://verify.example.com");
            assert_eq!(posted["headers"]["cache-control"], "no-store");
            let body: Value = serde_json::from_str(posted["body"].as_str().unwrap()).unwrap();
            assert_eq!((&body["code"], &body["verified"]), (&Value::from("internal_error"), &Value::Bool(false)));
            Ok(json_response(StatusCode::OK, &Value::Null))
        })
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(crate::telemetry::panic_answer::registered().is_none(), "cleared when the call ends");
    }

    #[tokio::test]
    async fn a_panic_in_an_endpoint_is_answered_with_the_apis_500() {
        let req = request_with(&[]);
        let edge = Edge::new(Cors::default(), None);
        let response = serve_json(req, &edge, &[("verified", Value::Bool(false))], |_| async {
            let empty: Vec<u8> = std::hint::black_box(Vec::new());
            Ok(json_response(StatusCode::OK, &Value::from(empty[0]))) // a bug: out of bounds
        })
        .await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = crate::testing::json_body(&response);
        assert_eq!(body["code"], "internal_error", "{body}");
        assert_eq!(body["verified"], false, "{body}");
        assert_eq!(response.headers()["cache-control"], "no-store");
    }

    /// The log lines `f` writes, at every level.
    fn logged(f: impl FnOnce()) -> Vec<String> {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Lines(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Lines {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
        tracing::subscriber::with_default(subscriber, f);
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn a_failure_is_logged_once_where_it_is_answered_with_its_whole_chain() {
        #[derive(Debug, thiserror::Error)]
        #[error("AccessDeniedException: not authorized to perform dynamodb:GetItem")]
        struct Denied;
        #[derive(Debug, thiserror::Error)]
        #[error("DynamoDB GetItem")]
        struct Call(#[source] Denied);

        let converted = logged(|| {
            let _ = Failure::from(RequestCodeError::Store(StoreError::Failed(Box::new(Call(Denied)))));
            let _ = Failure::from(CheckCodeError::Provider(ProviderError::Timeout));
        });
        assert!(converted.is_empty(), "a conversion logs nothing: {converted:?}");

        let lines = logged(|| {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let response = runtime.block_on(serve_json(request_with(&[]), &Edge::default(), &[], |_| async {
                Err(RequestCodeError::Store(StoreError::Failed(Box::new(Call(Denied)))).into())
            }));
            assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        });
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("ERROR"), "{}", lines[0]);
        assert!(
            lines[0].contains("store failure: DynamoDB GetItem: AccessDeniedException: not authorized"),
            "the whole chain: {}",
            lines[0]
        );
    }

    #[test]
    fn a_throttled_provider_is_a_503() {
        assert_eq!(
            provider_answer(&ProviderError::Throttled { retry_after_seconds: None }).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
