//! Every failure a client can see, one row each: its status, its `code`, an English sentence, and
//! the fields it adds to the body. The one place an error kind is added or changed. Clients act
//! on the code; the page has its own sentence for each (it is what gets translated), and shows
//! this one only for `invalid_request`, whose detail only the API knows.

use lambda_http::http::StatusCode;
use lambda_http::http::header::{ALLOW, HeaderValue, RETRY_AFTER};
use lambda_http::{Body, Response};
use serde_json::{Map, Value};

use super::{MAX_BODY_BYTES, json_response};

/// How long a client is told to wait while the operator's switch stops sending: they decide
/// when it ends, so a short poll, not a promise.
const SENDING_STOPPED_RETRY_SECONDS: u64 = 300;

/// The table: `Kind { field: Type = sample } => STATUS, "code", sentence, bodyField = value;`.
/// The sample (1 for a number) is what the contract test shows of a kind; it is compiled only
/// for tests.
macro_rules! api_errors {
    ($(
        $(#[$doc:meta])*
        $kind:ident $({ $($field:ident: $ty:ty = $sample:expr),+ })?
            => $status:ident, $code:literal, $message:expr $(, $json:ident = $value:expr)* ;
    )+) => {
        /// Every failure a client can see. Each has one status, one `code` and one sentence.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum ApiError {
            $( $(#[$doc])* $kind $({ $($field: $ty),+ })?, )+
        }

        impl ApiError {
            pub fn status(&self) -> StatusCode {
                match self { $( Self::$kind { .. } => StatusCode::$status, )+ }
            }

            pub fn code(&self) -> &'static str {
                match self { $( Self::$kind { .. } => $code, )+ }
            }

            /// A sentence for the person in front of the page, saying what to do next.
            #[allow(unused_variables)]
            pub fn message(&self) -> String {
                match self {
                    $( Self::$kind $({ $($field),+ })? => {
                        $($( let $field = $field.clone(); )+)?
                        String::from($message)
                    } )+
                }
            }

            /// The fields this kind adds to `{"error", "code"}`.
            #[allow(unused_variables)]
            fn fields(&self) -> Vec<(&'static str, Value)> {
                match self {
                    $( Self::$kind $({ $($field),+ })? => {
                        $($( let $field = $field.clone(); )+)?
                        vec![$( (stringify!($json), Value::from($value)) ),*]
                    } )+
                }
            }

            /// One of each kind, for the contract test that keeps `openapi.yaml` true.
            #[cfg(any(test, feature = "testing"))]
            pub fn every_kind() -> Vec<Self> {
                vec![$( Self::$kind $({ $($field: $sample),+ })?, )+]
            }
        }
    };
}

api_errors! {
    InvalidRequest { why: String = String::new() } => BAD_REQUEST, "invalid_request", why;
    PayloadTooLarge => PAYLOAD_TOO_LARGE, "payload_too_large",
        format!("The request body is larger than {} KiB.", MAX_BODY_BYTES / 1024);
    UnsupportedMediaType => UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
        "Send the request body as JSON with Content-Type: application/json.";
    MethodNotAllowed => METHOD_NOT_ALLOWED, "method_not_allowed", "This endpoint only accepts POST.";
    /// Deployed behind CloudFront, a request that did not come through it.
    Forbidden => FORBIDDEN, "forbidden", "Call this API through the site's own address.";
    /// The bot check (Cloudflare Turnstile) did not pass: no token, or one siteverify refused.
    BotCheckFailed => FORBIDDEN, "bot_check_failed", "The check that you are not a robot did not pass. Try again.";
    InvalidPhoneNumber => BAD_REQUEST, "invalid_phone_number",
        "That is not a valid phone number. Enter it with + and the country code, like +14155552671.";
    UnsupportedNumber => BAD_REQUEST, "unsupported_number",
        "This number cannot receive text messages. Use a mobile number.";
    /// A call was asked for where the operator sends codes by SMS only (`VOICE_CALLS=off`).
    CallsUnavailable => BAD_REQUEST, "calls_unavailable",
        "Codes cannot be sent by a call here. Use the text message.";
    /// A channel the application's ladder does not offer (`OTP_CHANNELS`, a client's `channels`).
    ChannelNotOffered => BAD_REQUEST, "channel_not_offered",
        "Codes cannot be sent that way here. Choose one of the other ways offered.";
    CountryNotAllowed => BAD_REQUEST, "country_not_allowed", "Phone numbers from this country are not supported here.";
    ResendTooSoon { retry_after_seconds: u64 = 1 } => TOO_MANY_REQUESTS, "resend_too_soon",
        format!("A code was just sent. You can ask for a new one in {}.", wait(retry_after_seconds)),
        retryAfter = retry_after_seconds;
    RateLimited { retry_after_seconds: u64 = 1 } => TOO_MANY_REQUESTS, "rate_limited",
        format!("Too many codes were requested. Try again in {}.", wait(retry_after_seconds)),
        retryAfter = retry_after_seconds;
    /// The number's range or country has used its budget of codes nobody entered.
    DestinationPaused { retry_after_seconds: u64 = 1 } => TOO_MANY_REQUESTS, "destination_paused",
        format!("Codes to numbers like this one are paused for now. Try again in {}, or use another number.", wait(retry_after_seconds)),
        retryAfter = retry_after_seconds;
    /// The day's SMS budget is spent.
    SendingPaused { retry_after_seconds: u64 = 1 } => SERVICE_UNAVAILABLE, "sending_paused",
        format!("Sending codes is paused for now. Try again in {}.", wait(retry_after_seconds)),
        retryAfter = retry_after_seconds;
    /// The operator stopped sending (the switch in docs/operate/operations.md), until they start it again.
    SendingStopped => SERVICE_UNAVAILABLE, "sending_stopped",
        "Sending codes is stopped for now. Try again later.",
        retryAfter = SENDING_STOPPED_RETRY_SECONDS;
    /// A status callback not signed by the provider for this body, lately.
    CallbackUnauthenticated => UNAUTHORIZED, "unauthenticated",
        "The callback is not signed with this deployment's signature secret: nothing was applied.";
    /// A test number, in a sign-in whose application does not accept them (`allowTestNumbers`).
    TestNumberRefused => BAD_REQUEST, "test_number_refused",
        "This application does not accept test numbers. Use a real phone number.";
    /// verify-otp in a sign-in whose flow is over (its ten minutes) or ended already.
    SignInExpired => GONE, "sign_in_expired", "This sign-in has expired. Go back to the application and start again.";
    IncorrectCode { attempts_remaining: u32 = 1 } => BAD_REQUEST, "incorrect_code",
        match attempts_remaining {
            1 => "That code is incorrect. You have 1 attempt left.".to_owned(),
            n => format!("That code is incorrect. You have {n} attempts left."),
        },
        attemptsRemaining = attempts_remaining;
    TooManyAttempts => TOO_MANY_REQUESTS, "too_many_attempts",
        "Too many incorrect codes. Ask for a new code to try again.",
        attemptsRemaining = 0;
    NotFound => NOT_FOUND, "not_found", "This verification does not exist or has been removed. Ask for a new code.";
    Expired => GONE, "expired", "This code has expired. Ask for a new code.";
    AlreadyVerified => CONFLICT, "already_verified", "This code has already been used to verify the number.";
    ProviderError => BAD_GATEWAY, "provider_error", "The text message service failed. Try again in a moment.";
    ProviderTimeout => GATEWAY_TIMEOUT, "provider_timeout",
        "The text message service did not answer in time. Try again in a moment.";
    ProviderUnavailable { retry_after_seconds: u64 = 1 } => SERVICE_UNAVAILABLE, "provider_unavailable",
        format!("The text message service is busy. Try again in {}.", wait(retry_after_seconds)),
        retryAfter = retry_after_seconds;
    ServiceUnavailable { retry_after_seconds: u64 = 1 } => SERVICE_UNAVAILABLE, "service_unavailable",
        format!("The service is busy. Try again in {}.", wait(retry_after_seconds)),
        retryAfter = retry_after_seconds;
    Internal => INTERNAL_SERVER_ERROR, "internal_error", "Something went wrong on our side. Try again in a moment.";
}

impl ApiError {
    pub fn invalid_request(why: impl Into<String>) -> Self {
        Self::InvalidRequest { why: why.into() }
    }

    /// `{"error", "code"}` and the fields this error adds (`retryAfter`, `attemptsRemaining`).
    pub fn body(&self) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("error".into(), self.message().into());
        body.insert("code".into(), self.code().into());
        for (name, value) in self.fields() {
            body.insert(name.into(), value);
        }
        body
    }

    /// The response, with `extra` fields merged into the body; `retryAfter` is also the
    /// `Retry-After` header.
    pub fn into_response_with(self, extra: &[(&str, Value)]) -> Response<Body> {
        let mut body = self.body();
        let retry_after = body.get("retryAfter").and_then(Value::as_u64);
        for (name, value) in extra {
            body.insert((*name).to_owned(), value.clone());
        }
        let mut response = json_response(self.status(), &Value::Object(body));
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self == Self::MethodNotAllowed {
            response.headers_mut().insert(ALLOW, HeaderValue::from_static("POST, OPTIONS"));
        }
        response
    }

    pub fn into_response(self) -> Response<Body> {
        self.into_response_with(&[])
    }
}

fn wait(seconds: u64) -> String {
    match seconds {
        1 => "1 second".into(),
        0..=90 => format!("{seconds} seconds"),
        91..=5400 => format!("{} minutes", seconds.div_ceil(60)),
        _ => format!("{} hours", seconds.div_ceil(3600)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_its_documented_status_and_fields() {
        let e = ApiError::ResendTooSoon { retry_after_seconds: 42 };
        assert_eq!(e.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(e.body()["retryAfter"], 42);
        assert_eq!(e.message(), "A code was just sent. You can ask for a new one in 42 seconds.");
        let response = e.into_response();
        assert_eq!(response.headers()[RETRY_AFTER], "42");
        assert_eq!(
            ApiError::RateLimited { retry_after_seconds: 1800 }.message(),
            "Too many codes were requested. Try again in 30 minutes."
        );
        let wrong = ApiError::IncorrectCode { attempts_remaining: 2 }.body();
        assert_eq!(wrong["attemptsRemaining"], 2);
        assert_eq!(wrong["code"], "incorrect_code");
        assert_eq!(wrong["error"], "That code is incorrect. You have 2 attempts left.");
        assert_eq!(
            ApiError::IncorrectCode { attempts_remaining: 1 }.message(),
            "That code is incorrect. You have 1 attempt left."
        );
        assert_eq!(ApiError::TooManyAttempts.body()["attemptsRemaining"], 0);
        assert_eq!(ApiError::ProviderTimeout.status(), StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(ApiError::invalid_request("code must be 6 digits.").message(), "code must be 6 digits.");
        let not_post = ApiError::MethodNotAllowed.into_response();
        assert_eq!(not_post.headers()[ALLOW], "POST, OPTIONS");
        assert!(not_post.headers().get(RETRY_AFTER).is_none());
        // Extra fields never hide the kind's own.
        let with_extra =
            ApiError::ServiceUnavailable { retry_after_seconds: 2 }.into_response_with(&[("verified", false.into())]);
        assert_eq!(with_extra.headers()[RETRY_AFTER], "2");
    }

    #[test]
    fn each_kind_has_its_own_code_and_a_sentence() {
        let kinds = ApiError::every_kind();
        let codes: std::collections::BTreeSet<_> = kinds.iter().map(ApiError::code).collect();
        assert_eq!(codes.len(), kinds.len(), "one code a kind");
        for kind in kinds.iter().filter(|k| !matches!(k, ApiError::InvalidRequest { .. })) {
            assert!(kind.message().ends_with('.'), "{kind:?}");
        }
    }
}
