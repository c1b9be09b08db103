//! AWS End User Messaging SMS and voice (`pinpoint-sms-voice-v2`): `SendTextMessage` and
//! `SendVoiceMessage` from the configured origination identity, on the SDK's client. It owns no
//! code: [`super::owned_codes`] writes the service's into the text.
//!
//! It branches on the error's shape and its `Reason`, never on message text. A refusal of the
//! number (invalid, opted out, its country blocked, dearer than the price allowed) is one for
//! every provider; the account's own trouble (throttling, a quota, the sandbox, a missing
//! identity, a 5xx) is the provider's, so the code may go elsewhere ([`ProviderError::moves_on`]).

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_pinpointsmsvoicev2::Client;
use aws_sdk_pinpointsmsvoicev2::config::retry::RetryConfig;
use aws_sdk_pinpointsmsvoicev2::config::timeout::TimeoutConfig;
use aws_sdk_pinpointsmsvoicev2::error::{ProvideErrorMetadata, SdkError};

use aws_sdk_pinpointsmsvoicev2::types::{MessageType, VoiceMessageBodyTextType};

use crate::domain::channel::{Channel, Delivery};
use crate::domain::phone::PhoneNumber;
use crate::domain::price::{MicroUsd, PriceTable};
use crate::domain::provider::ProviderName;
use crate::ports::{MessageCarrier, ProviderError};

/// The modelled errors both operations share, read into one shape.
macro_rules! answered {
    ($error:expr, $module:ident :: $error_type:ident) => {{
        use aws_sdk_pinpointsmsvoicev2::operation::$module::$error_type as op;
        let e = $error;
        let code = e.code().unwrap_or("an unnamed error").to_owned();
        match e {
            op::ValidationException(v) => Answered {
                code,
                reason: v.reason().map(|r| r.as_str().to_owned()).unwrap_or_default(),
                fields: v.fields().iter().map(|f| f.name().to_owned()).collect(),
            },
            op::ConflictException(c) => {
                Answered { code, reason: c.reason().map(|r| r.as_str().to_owned()).unwrap_or_default(), fields: vec![] }
            }
            op::ServiceQuotaExceededException(q) => {
                Answered { code, reason: q.reason().map(|r| r.as_str().to_owned()).unwrap_or_default(), fields: vec![] }
            }
            op::AccessDeniedException(a) => {
                Answered { code, reason: a.reason().map(|r| r.as_str().to_owned()).unwrap_or_default(), fields: vec![] }
            }
            _ => Answered { code, ..Answered::default() },
        }
    }};
}

/// The key of a message's context that names its language (`es-es`).
pub const LOCALE_CONTEXT: &str = "locale";

#[derive(Debug, Clone)]
pub struct AwsSmsSettings {
    /// The phone number, sender ID or pool (its ARN or id) every message goes from.
    pub origination_identity: String,
    /// A protect configuration (countries it blocks) each send names, where one is set.
    pub protect_configuration_id: Option<String>,
    /// What a send costs, per country: AWS refuses one dearer than twice this
    /// (`PRICE_OVER_THRESHOLD`) rather than send it, so that a premium-rate range costs nothing.
    pub max_sms_price: PriceTable,
    pub max_call_price: PriceTable,
    pub timeout: Duration,
}

/// The AWS SDK's client for End User Messaging SMS and voice.
#[derive(Debug, Clone)]
pub struct AwsSms {
    client: Client,
    settings: AwsSmsSettings,
}

impl AwsSms {
    /// The client on the function's SDK configuration (credentials, region, endpoint), with the
    /// send's own timeout and no retries: a retried send is a second message, and a failed one
    /// goes to the next provider instead.
    pub fn new(sdk: &aws_config::SdkConfig, settings: AwsSmsSettings) -> Self {
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(settings.timeout.min(Duration::from_secs(3)))
            .operation_attempt_timeout(settings.timeout)
            .operation_timeout(settings.timeout)
            .build();
        let config = aws_sdk_pinpointsmsvoicev2::config::Builder::from(sdk)
            .retry_config(RetryConfig::disabled())
            .timeout_config(timeouts)
            .build();
        Self { client: Client::from_conf(config), settings }
    }
}

impl AwsSms {
    /// The client of a stand-in at `endpoint` (the local server's simulator, the tests'), with
    /// its own region and placeholder credentials: nothing of this machine's AWS settings.
    pub fn on_endpoint(endpoint: &str, settings: AwsSmsSettings) -> Self {
        use aws_sdk_pinpointsmsvoicev2::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};
        let credentials = Credentials::new("simulated", "simulated", None, None, "simulator");
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .http_client(crate::adapters::tls::aws_http_client())
            .build();
        Self::new(&sdk, settings)
    }
}

/// The most AWS may charge for a send to `to`: twice the table's price for its country (room for
/// a carrier's fee that changed; a premium range at ten times the price is still refused).
fn max_price(table: &PriceTable, to: &PhoneNumber) -> String {
    MicroUsd(table.price(to.region()).0.saturating_mul(2)).as_max_price()
}

/// How long AWS may keep trying to deliver: a code's life, within AWS's 5 s to 72 h.
fn time_to_live(ttl_seconds: u32) -> i32 {
    i32::try_from(ttl_seconds.clamp(5, 259_200)).unwrap_or(259_200)
}

impl MessageCarrier for AwsSms {
    fn name(&self) -> ProviderName {
        ProviderName::Aws
    }

    async fn send(&self, to: &PhoneNumber, how: Delivery, text: &str, ttl_seconds: u32) -> Result<(), ProviderError> {
        let s = &self.settings;
        // The language, as the message's context: AWS logs it with the delivery events.
        let context = how.locale.map(|l| HashMap::from([(LOCALE_CONTEXT.to_owned(), l.as_str().to_owned())]));
        let channel = how.channel();
        let result = match channel {
            // Never asked: `OwnedCodes::carry` keeps WhatsApp steps from this carrier.
            Channel::WhatsApp => {
                return Err(ProviderError::Failed("AWS End User Messaging SMS carries no WhatsApp".into()));
            }
            Channel::Sms => self
                .client
                .send_text_message()
                .destination_phone_number(to.e164())
                .origination_identity(&s.origination_identity)
                .message_body(text)
                .message_type(MessageType::Transactional)
                .max_price(max_price(&s.max_sms_price, to))
                .time_to_live(time_to_live(ttl_seconds))
                .set_protect_configuration_id(s.protect_configuration_id.clone())
                .set_context(context)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| classify(failure(e, |e| answered!(e, send_text_message::SendTextMessageError)))),
            Channel::Voice => self
                .client
                .send_voice_message()
                .destination_phone_number(to.e164())
                .origination_identity(&s.origination_identity)
                .message_body(text)
                .message_body_text_type(VoiceMessageBodyTextType::Text)
                .max_price_per_minute(max_price(&s.max_call_price, to))
                .time_to_live(time_to_live(ttl_seconds))
                .set_protect_configuration_id(s.protect_configuration_id.clone())
                .set_context(context)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| classify(failure(e, |e| answered!(e, send_voice_message::SendVoiceMessageError)))),
        };
        tracing::debug!(channel = channel.as_str(), ok = result.is_ok(), "aws end user messaging answered");
        result
    }
}

/// What an SDK error was: an answer from AWS (its error's name, reason and the fields it names),
/// or none.
#[derive(Debug, Default)]
struct Answered {
    code: String,
    reason: String,
    fields: Vec<String>,
}

enum Failure {
    Answered(Answered),
    /// Never reached AWS (no connection): nothing went.
    Unreached(String),
    /// Sent, and no answer in time: it may have gone.
    Unanswered,
}

fn failure<E, R>(error: SdkError<E, R>, answered: impl FnOnce(E) -> Answered) -> Failure {
    match error {
        SdkError::ServiceError(e) => Failure::Answered(answered(e.into_err())),
        SdkError::DispatchFailure(d) if d.is_timeout() => Failure::Unanswered,
        // An I/O failure may have come after the request was written: its outcome is unknown.
        SdkError::DispatchFailure(d) if d.is_io() => Failure::Unanswered,
        SdkError::DispatchFailure(_) => Failure::Unreached("the request could not be sent".into()),
        SdkError::ConstructionFailure(_) => Failure::Unreached("the request could not be built".into()),
        // No answer in time, or one that could not be read: it may have gone.
        _ => Failure::Unanswered,
    }
}

/// The port's error for `failure`.
fn classify(failure: Failure) -> ProviderError {
    let answered = match failure {
        Failure::Answered(answered) => answered,
        Failure::Unreached(why) => return ProviderError::Failed(why),
        Failure::Unanswered => return ProviderError::Timeout,
    };
    let names_the_number = answered.fields.iter().any(|f| f == "DestinationPhoneNumber");
    match (answered.code.as_str(), answered.reason.as_str()) {
        ("ThrottlingException", _) => ProviderError::Throttled { retry_after_seconds: None },
        // AWS's own error, which may come after the message was queued.
        ("InternalServerException", _) => ProviderError::Unknown("send answered InternalServerException".into()),
        ("ValidationException", "INVALID_PARAMETER" | "FIELD_VALIDATION_FAILED") if names_the_number => {
            ProviderError::InvalidNumber
        }
        // The number itself: its country blocked (by the account or its protect configuration),
        // dearer than the price allowed, opted out of this sender's messages (which no other
        // sender may route around), or called too often today.
        ("ValidationException", "DESTINATION_COUNTRY_BLOCKED" | "PRICE_OVER_THRESHOLD")
        | (
            "ConflictException",
            "DESTINATION_COUNTRY_BLOCKED_BY_PROTECT_CONFIGURATION" | "DESTINATION_PHONE_NUMBER_OPTED_OUT",
        )
        | ("ServiceQuotaExceededException", "DAILY_DESTINATION_CALL_LIMIT") => ProviderError::UnsupportedNumber,
        (code, reason) => {
            let reason = if reason.is_empty() { String::new() } else { format!(" ({reason})") };
            ProviderError::Failed(format!("send answered {code}{reason}"))
        }
    }
}
