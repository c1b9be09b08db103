//! The AWS JSON 1.0 shapes of the two operations and of their errors.
//!
//! Sources: the service model (botocore's `data/pinpoint-sms-voice-v2/2022-03-31/service-2.json`:
//! `"protocol": "json"`, `"jsonVersion": "1.0"`, `"targetPrefix": "PinpointSMSVoiceV2"`, every
//! operation `POST /`; the members and error shapes below), the API reference pages
//! `API_SendTextMessage.html` and `API_SendVoiceMessage.html` of
//! <https://docs.aws.amazon.com/pinpoint/latest/apireference_smsvoicev2/>, and how the SDKs read an
//! error: `aws-sdk-pinpointsmsvoicev2`'s `json_errors.rs` takes the code from the
//! `x-amzn-errortype` header or the body's `__type` (dropping any `namespace#` prefix) and the
//! message from `message`, `Message` or `errorMessage`; its generated deserializers read the
//! modelled members `Message`, `Reason`, `Fields`, `ResourceType`, `ResourceId`; botocore's
//! `BaseJSONParser._do_error_parse` reads `__type` the same way and `message`, then `Message`.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

/// `Content-Type` of every request and answer.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";
/// `X-Amz-Target` is this prefix, a dot and the operation's name.
pub const TARGET_PREFIX: &str = "PinpointSMSVoiceV2";
/// The Smithy namespace AWS puts before `#` in `__type`; both SDKs drop it.
const NAMESPACE: &str = "com.amazonaws.pinpointsmsvoicev2";

/// `SendTextMessageRequest`. Only `DestinationPhoneNumber` is required.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendTextMessage {
    pub destination_phone_number: Option<String>,
    pub origination_identity: Option<String>,
    pub message_body: Option<String>,
    pub message_type: Option<String>,
    pub keyword: Option<String>,
    pub configuration_set_name: Option<String>,
    pub max_price: Option<String>,
    pub time_to_live: Option<i64>,
    pub context: Option<BTreeMap<String, String>>,
    pub destination_country_parameters: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub dry_run: bool,
    pub protect_configuration_id: Option<String>,
    pub message_feedback_enabled: Option<bool>,
}

/// `SendVoiceMessageRequest`. `DestinationPhoneNumber` and `OriginationIdentity` are required.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendVoiceMessage {
    pub destination_phone_number: Option<String>,
    pub origination_identity: Option<String>,
    pub message_body: Option<String>,
    pub message_body_text_type: Option<String>,
    pub voice_id: Option<String>,
    pub configuration_set_name: Option<String>,
    pub max_price_per_minute: Option<String>,
    pub time_to_live: Option<i64>,
    pub context: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub dry_run: bool,
    pub protect_configuration_id: Option<String>,
    pub message_feedback_enabled: Option<bool>,
}

/// `SendTextMessageResult` and `SendVoiceMessageResult`: `{"MessageId": "..."}`.
pub fn sent(message_id: &str) -> Response {
    with_content_type(Json(json!({ "MessageId": message_id })).into_response())
}

/// The errors both operations may answer (the model's `errors` list), and the one a request
/// without credentials gets before any operation runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsError {
    /// `ValidationException` with its `Reason` (the `ValidationExceptionReason` enum) and the
    /// `Fields` that failed, each `{Name, Message}`.
    Validation {
        reason: String,
        message: String,
        fields: Vec<(String, String)>,
    },
    /// `ResourceNotFoundException` with `ResourceType` (e.g. `phone-number`) and `ResourceId`.
    ResourceNotFound {
        resource_type: String,
        resource_id: String,
    },
    Throttling,
    /// `ServiceQuotaExceededException` with its `Reason`, e.g. `MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT`.
    ServiceQuotaExceeded {
        reason: String,
    },
    /// `ConflictException` with its `Reason`, e.g. `DESTINATION_PHONE_NUMBER_OPTED_OUT`.
    Conflict {
        reason: String,
    },
    /// `AccessDeniedException` with its `Reason`: `INSUFFICIENT_ACCOUNT_REPUTATION` or `ACCOUNT_DISABLED`.
    AccessDenied {
        reason: String,
    },
    InternalServer,
    /// No `Authorization` header. Not in the model: the common error `MissingAuthenticationToken`
    /// (HTTP 403) of the AWS API references' "Common Errors" page.
    MissingAuthenticationToken,
}

/// The names a fault may ask for, as `__type` spells them.
pub const ERROR_NAMES: &[&str] = &[
    "ValidationException",
    "ResourceNotFoundException",
    "ThrottlingException",
    "ServiceQuotaExceededException",
    "ConflictException",
    "AccessDeniedException",
    "InternalServerException",
    "MissingAuthenticationToken",
];

impl AwsError {
    /// The error `name` with `reason` where its shape has one (else a typical one).
    pub fn named(name: &str, reason: Option<&str>) -> Option<Self> {
        let reason = |default: &str| reason.unwrap_or(default).to_owned();
        Some(match name {
            "ValidationException" => Self::Validation {
                reason: reason("INVALID_PARAMETER"),
                message: "Simulated validation failure".into(),
                fields: Vec::new(),
            },
            "ResourceNotFoundException" => {
                Self::ResourceNotFound { resource_type: "phone-number".into(), resource_id: "simulated".into() }
            }
            "ThrottlingException" => Self::Throttling,
            "ServiceQuotaExceededException" => {
                Self::ServiceQuotaExceeded { reason: reason("MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT") }
            }
            "ConflictException" => Self::Conflict { reason: reason("DESTINATION_PHONE_NUMBER_OPTED_OUT") },
            "AccessDeniedException" => Self::AccessDenied { reason: reason("ACCOUNT_DISABLED") },
            "InternalServerException" => Self::InternalServer,
            "MissingAuthenticationToken" => Self::MissingAuthenticationToken,
            _ => return None,
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Validation { .. } => "ValidationException",
            Self::ResourceNotFound { .. } => "ResourceNotFoundException",
            Self::Throttling => "ThrottlingException",
            Self::ServiceQuotaExceeded { .. } => "ServiceQuotaExceededException",
            Self::Conflict { .. } => "ConflictException",
            Self::AccessDenied { .. } => "AccessDeniedException",
            Self::InternalServer => "InternalServerException",
            Self::MissingAuthenticationToken => "MissingAuthenticationToken",
        }
    }

    /// The model gives these errors no `httpError` status; AWS JSON 1.0 answers a client error
    /// (`"exception": true`) with 400 and a server fault (`"fault": true`, only
    /// `InternalServerException` here) with 500, as the API reference lists them (e.g.
    /// `API_TagResource.html`: AccessDeniedException, HTTP Status Code 400). The SDKs pick the
    /// error by `__type`, and retry `ThrottlingException` by that name, whatever the status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InternalServer => StatusCode::INTERNAL_SERVER_ERROR,
            Self::MissingAuthenticationToken => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn body(&self, request_id: &str) -> Value {
        let name = self.name();
        let mut body = json!({ "__type": format!("{NAMESPACE}#{name}") });
        let fields = match self {
            Self::Validation { reason, message, fields } => {
                let fields: Vec<Value> = fields.iter().map(|(n, m)| json!({"Name": n, "Message": m})).collect();
                json!({"Message": message, "Reason": reason, "Fields": fields})
            }
            Self::ResourceNotFound { resource_type, resource_id } => json!({
                "Message": format!("No {resource_type} found with id {resource_id}"),
                "ResourceType": resource_type,
                "ResourceId": resource_id,
            }),
            Self::Throttling => json!({"Message": "Rate exceeded"}),
            Self::ServiceQuotaExceeded { reason } => json!({"Message": "Service quota exceeded", "Reason": reason}),
            Self::Conflict { reason } => {
                json!({"Message": "The request conflicts with the resource's state", "Reason": reason})
            }
            Self::AccessDenied { reason } => json!({"Message": "Access denied", "Reason": reason}),
            Self::InternalServer => json!({"Message": "Internal server error", "RequestId": request_id}),
            Self::MissingAuthenticationToken => {
                body = json!({"__type": name});
                json!({"message": "Missing Authentication Token"})
            }
        };
        if let (Some(body), Value::Object(fields)) = (body.as_object_mut(), fields) {
            body.extend(fields);
        }
        body
    }
}

impl IntoResponse for AwsError {
    fn into_response(self) -> Response {
        let request_id = uuid::Uuid::new_v4().to_string();
        let mut response = (self.status(), Json(self.body(&request_id))).into_response();
        if let Ok(id) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert("x-amzn-requestid", id);
        }
        with_content_type(response)
    }
}

fn with_content_type(mut response: Response) -> Response {
    response.headers_mut().insert(axum::http::header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// A `ValidationException` for one field.
pub fn invalid(reason: &str, field: &str, message: impl Into<String>) -> AwsError {
    let message = message.into();
    AwsError::Validation { reason: reason.into(), message: message.clone(), fields: vec![(field.into(), message)] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_validation_error_carries_its_reason_and_fields() {
        let body = invalid("INVALID_PARAMETER", "DestinationPhoneNumber", "not E.164").body("r");
        assert_eq!(body["__type"], "com.amazonaws.pinpointsmsvoicev2#ValidationException");
        assert_eq!(body["Reason"], "INVALID_PARAMETER");
        assert_eq!(body["Fields"][0]["Name"], "DestinationPhoneNumber");
    }

    #[test]
    fn every_fault_name_is_an_error() {
        for name in ERROR_NAMES {
            assert_eq!(AwsError::named(name, None).map(|e| e.name()), Some(*name));
        }
    }
}
