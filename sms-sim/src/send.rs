//! `POST /`: the operation named by `X-Amz-Target`, checked as AWS checks it, then recorded (or
//! throttled, or held back, as an outage has it).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use sim_kit::Sim;

use crate::wire::{self, AwsError, SendTextMessage, SendVoiceMessage, invalid};
use crate::{Channel, Message, Simulator};

/// The model's `MessageType` enum.
const MESSAGE_TYPES: &[&str] = &["TRANSACTIONAL", "PROMOTIONAL"];
/// The model's `VoiceMessageBodyTextType` enum.
const VOICE_TEXT_TYPES: &[&str] = &["TEXT", "SSML"];

pub async fn operation(State(sim): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    // The signature itself is not checked: any `Authorization` header passes.
    if !headers.contains_key(axum::http::header::AUTHORIZATION) {
        return AwsError::MissingAuthenticationToken.into_response();
    }
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let operation = target.strip_prefix(wire::TARGET_PREFIX).and_then(|t| t.strip_prefix('.')).unwrap_or_default();
    if !matches!(operation, "SendTextMessage" | "SendVoiceMessage") {
        let message = format!("The simulator answers SendTextMessage and SendVoiceMessage only (got `{target}`)");
        return invalid("UNKNOWN_OPERATION", "X-Amz-Target", message).into_response();
    }
    sim.state().api_calls += 1;
    if let Some(fault) = sim.take_fault(operation) {
        if !fault.delay.is_zero() {
            tokio::time::sleep(fault.delay).await;
        }
        if let Some(answer) = fault.answer {
            return answer;
        }
    }
    let admission = sim.outages().admit();
    let voice = operation == "SendVoiceMessage";
    let send = async move {
        let outcome = if voice {
            parse(&body).and_then(|request| sim.send_voice(request))
        } else {
            parse(&body).and_then(|request| sim.send_text(request))
        };
        outcome.map_or_else(IntoResponse::into_response, |message_id| wire::sent(&message_id))
    };
    admission.answer(send, || AwsError::Throttling.into_response(), || AwsError::InternalServer.into_response()).await
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, AwsError> {
    serde_json::from_slice(body).map_err(|e| AwsError::Validation {
        reason: "CANNOT_PARSE".into(),
        message: format!("The request body is not the operation's JSON: {e}"),
        fields: Vec::new(),
    })
}

impl Simulator {
    fn send_text(&self, request: SendTextMessage) -> Result<String, AwsError> {
        let to = self.destination(request.destination_phone_number.as_deref())?;
        let from = self.origination(request.origination_identity.as_deref(), false)?;
        let body = required_body(request.message_body, 1600)?;
        if let Some(kind) = request.message_type.as_deref().filter(|k| !MESSAGE_TYPES.contains(k)) {
            return Err(invalid(
                "INVALID_PARAMETER",
                "MessageType",
                format!("`{kind}` is not one of {MESSAGE_TYPES:?}"),
            ));
        }
        check_time_to_live(request.time_to_live)?;
        check_max_price(request.max_price.as_deref(), "MaxPrice")?;
        let message = Message {
            message_id: uuid::Uuid::new_v4().to_string(),
            channel: Channel::Sms,
            destination_phone_number: to,
            origination_identity: from,
            message_body: body,
            message_type: request.message_type,
            voice_id: None,
            configuration_set_name: request.configuration_set_name,
            context: request.context.unwrap_or_default(),
            sent_at: String::new(),
        };
        Ok(self.deliver(message, request.dry_run))
    }

    fn send_voice(&self, request: SendVoiceMessage) -> Result<String, AwsError> {
        let to = self.destination(request.destination_phone_number.as_deref())?;
        let from = self.origination(request.origination_identity.as_deref(), true)?;
        let body = required_body(request.message_body, 6000)?;
        if let Some(kind) = request.message_body_text_type.as_deref().filter(|k| !VOICE_TEXT_TYPES.contains(k)) {
            let message = format!("`{kind}` is not one of {VOICE_TEXT_TYPES:?}");
            return Err(invalid("INVALID_PARAMETER", "MessageBodyTextType", message));
        }
        check_time_to_live(request.time_to_live)?;
        check_max_price(request.max_price_per_minute.as_deref(), "MaxPricePerMinute")?;
        let message = Message {
            message_id: uuid::Uuid::new_v4().to_string(),
            channel: Channel::Voice,
            destination_phone_number: to,
            origination_identity: from,
            message_body: body,
            message_type: None,
            voice_id: request.voice_id,
            configuration_set_name: request.configuration_set_name,
            context: request.context.unwrap_or_default(),
            sent_at: String::new(),
        };
        Ok(self.deliver(message, request.dry_run))
    }

    /// The destination in E.164, a valid number (libphonenumber's judgement) in a country not
    /// blocked. The model's pattern is `\+?[1-9][0-9]{1,18}`; AWS documents E.164 with the `+`.
    fn destination(&self, number: Option<&str>) -> Result<String, AwsError> {
        const FIELD: &str = "DestinationPhoneNumber";
        let number = number.ok_or_else(|| invalid("MISSING_PARAMETER", FIELD, "DestinationPhoneNumber is required"))?;
        let digits = number.strip_prefix('+').unwrap_or_default();
        let shaped =
            (2..=19).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        let parsed =
            phonenumber::parse(None, number).ok().filter(|_| shaped).filter(phonenumber::PhoneNumber::is_valid);
        let Some(parsed) = parsed else {
            return Err(invalid("INVALID_PARAMETER", FIELD, "The destination is not a valid E.164 phone number"));
        };
        let country = parsed.country().id().map(|id| id.as_ref().to_owned()).unwrap_or_default();
        if self.config().blocked_countries.iter().any(|c| c.eq_ignore_ascii_case(&country)) {
            let message = format!("Sending to {country} is blocked for this account");
            return Err(invalid("DESTINATION_COUNTRY_BLOCKED", FIELD, message));
        }
        Ok(number.to_owned())
    }

    /// The origination identity, one of those configured. A text may leave it out (AWS then picks
    /// one of the account's); a voice message must name it.
    fn origination(&self, identity: Option<&str>, required: bool) -> Result<String, AwsError> {
        let configured = &self.config().origination_identities;
        match identity {
            Some(identity) if configured.iter().any(|c| c == identity) => Ok(identity.to_owned()),
            Some(identity) => Err(AwsError::ResourceNotFound {
                resource_type: "phone-number".into(),
                resource_id: identity.to_owned(),
            }),
            None if required => {
                Err(invalid("MISSING_PARAMETER", "OriginationIdentity", "OriginationIdentity is required"))
            }
            None => configured
                .first()
                .cloned()
                .ok_or_else(|| AwsError::Conflict { reason: "NO_ORIGINATION_IDENTITIES_FOUND".into() }),
        }
    }
}

fn required_body(body: Option<String>, max: usize) -> Result<String, AwsError> {
    match body {
        Some(body) if !body.trim().is_empty() && body.chars().count() <= max => Ok(body),
        Some(_) => Err(invalid(
            "FIELD_VALIDATION_FAILED",
            "MessageBody",
            format!("MessageBody must be 1 to {max} characters, not only spaces"),
        )),
        None => Err(invalid("MISSING_PARAMETER", "MessageBody", "MessageBody is required")),
    }
}

/// The model's `TimeToLive`: 5 to 259200 seconds.
fn check_time_to_live(ttl: Option<i64>) -> Result<(), AwsError> {
    match ttl {
        Some(ttl) if !(5..=259_200).contains(&ttl) => {
            Err(invalid("FIELD_VALIDATION_FAILED", "TimeToLive", "TimeToLive must be 5 to 259200 seconds"))
        }
        _ => Ok(()),
    }
}

/// The model's `MaxPrice`: `[0-9]{0,2}\.[0-9]{1,5}`, 2 to 8 characters.
fn check_max_price(price: Option<&str>, field: &str) -> Result<(), AwsError> {
    let Some(price) = price else { return Ok(()) };
    let well_formed = price.split_once('.').is_some_and(|(whole, fraction)| {
        whole.len() <= 2
            && (1..=5).contains(&fraction.len())
            && whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit())
    });
    if well_formed { Ok(()) } else { Err(invalid("FIELD_VALIDATION_FAILED", field, "A price is dollars like 0.05")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_price_is_up_to_two_digits_a_point_and_up_to_five() {
        for ok in [".5", "0.05", "10.12345"] {
            assert!(check_max_price(Some(ok), "MaxPrice").is_ok(), "{ok}");
        }
        for bad in ["1", "100.1", "0.123456", "0,05", "a.1"] {
            assert!(check_max_price(Some(bad), "MaxPrice").is_err(), "{bad}");
        }
    }

    #[test]
    fn time_to_live_is_bounded() {
        assert!(check_time_to_live(Some(4)).is_err());
        assert!(check_time_to_live(Some(5)).is_ok());
        assert!(check_time_to_live(Some(259_201)).is_err());
    }
}
