//! `POST /api/request-otp {"phoneNumber", "channel"?, "locale"?, "turnstileToken"?, "flowId"?}`: sends a
//! code to a valid number by the channel asked for (`whatsapp`, `sms` or `voice`; the ladder's
//! first when none is), within the application's ladder of channels, or by a call where the
//! number is a landline the operator allows, once the bot check (when one is configured) has
//! passed. The answer names where the code went (`channel`) and what may be asked next
//! (`channels`).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::json;
use shared::clock::Clock;
use shared::domain::channel::Channel;
use shared::domain::locale::Locale;
use shared::domain::phone::PhoneNumber;
use shared::http::{ApiError, Failure, JsonRequest, json_response, rfc3339, serve_json};
use shared::ports::{Providers, VerificationStore};
use shared::runtime::bootstrap::HandlerDeps;
use shared::service::{Ask, deadline};
use shared::sign_in::domain::authorization::FlowId;
use shared::sign_in::service as sign_in;
use shared::sign_in::store::SignInStore;

pub async fn handle<P, S, C>(deps: &HandlerDeps<P, S, C>, req: Request) -> Response<Body>
where
    P: Providers,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    // The invocation's deadline, which a failover must leave time before (the service's deadline).
    let deadline = req.lambda_context_ref().and_then(|context| deadline::from_epoch_millis(context.deadline));
    // On the heap: a debug build's frame would otherwise hold the whole request twice.
    let serving = Box::pin(serve_json(req, &deps.edge, &[], |input| async move { request_otp(deps, &input).await }));
    deadline::within(deadline, serving).await
}

async fn request_otp<P, S, C>(deps: &HandlerDeps<P, S, C>, input: &JsonRequest) -> Result<Response<Body>, Failure>
where
    P: Providers,
    S: VerificationStore + SignInStore,
    C: Clock,
{
    let policy = deps.service.policy();
    let phone =
        PhoneNumber::parse_with(input.string("phoneNumber")?, &deps.allowed_countries, policy.landlines_by_voice)?;
    let channel = match input.optional_string("channel")? {
        None => None,
        Some(name) => Some(
            Channel::from_name(name)
                .ok_or_else(|| ApiError::invalid_request("channel must be \"whatsapp\", \"sms\" or \"voice\"."))?,
        ),
    };
    // The language of the code: a tag Vonage has no template for is left to Vonage, never refused.
    let locale = input.optional_string("locale")?.and_then(Locale::from_tag);
    // In a sign-in: the flow the code is for, the only one it can end.
    let flow = match input.optional_string("flowId")? {
        None => None,
        Some(id) => Some(
            FlowId::parse(id).ok_or_else(|| ApiError::invalid_request("flowId is not a sign-in of this service."))?,
        ),
    };
    if let Some(bot_check) = &deps.bot_check {
        let token = input.optional_string("turnstileToken")?;
        bot_check.verify(token, &input.client_ip).await?;
    }
    let ask = Ask { channel, locale, ladder: None };
    let sent = match flow {
        Some(flow) => sign_in::request_code(&deps.service, phone, &input.client_ip, ask, flow).await?,
        None => deps.service.request_code_within(phone, &input.client_ip, ask, None).await?,
    };
    let channels: Vec<&str> = sent.channels.as_slice().iter().map(|c| c.as_str()).collect();
    // A test number's answer carries no label: verify-otp's answer and the ID token say it.
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "requestId": sent.request_id.as_str(),
            "phoneNumber": sent.phone.e164(),
            "expiresAt": rfc3339(sent.expires_at),
            "resendAvailableAt": rfc3339(sent.resend_available_at),
            "codeLength": sent.code_length,
            "channel": sent.channel.as_str(),
            "channels": channels,
            "callAvailable": sent.call_available,
        }),
    ))
}
