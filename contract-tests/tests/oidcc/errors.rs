//! The Basic plan's modules that expect the authorization endpoint to refuse (or, for request
//! objects and refresh tokens, to answer in the way that makes the suite skip the rest).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::call;
use crate::conditions::*;
use crate::harness::{
    AuthorizationRequest, CLIENT, Landing, Module, REDIRECT_URI, Then, on_the_local_runtime, random_alphanumeric,
};

/// oidcc-response-type-missing: an error back to the client (invalid_request or
/// unsupported_response_type), or an error page.
#[test]
fn oidcc_response_type_missing() {
    on_the_local_runtime(async {
        let mut m = Module::configure(CLIENT).await;
        let mut request = m.create_authorization_request();
        request.remove("response_type");
        let url = m.build_plain_redirect_to_authorization_endpoint(&request);
        let visit = m.perform_redirect(&url).await;
        match &visit.landing {
            Landing::ErrorPage(page) => eprintln!("the error page: {page}"),
            Landing::Callback(..) => {
                let params = m.callback(&visit);
                m.perform_generic_authorization_endpoint_error_response_validation(&request, &params);
                call!(
                    m.log,
                    Failure,
                    check_error_from_authorization_endpoint_error_invalid_request_or_unsupported_response_type(&params)
                );
            }
            Landing::Elsewhere(why) => {
                m.log.condition(Then::Stop, "performRedirectAndWaitForPlaceholdersOrCallback", Err(why.clone()));
            }
        }
        m.log.finish();
    })
}

/// oidcc-ensure-registered-redirect-uri: an unregistered redirect URI gets an error page, never
/// a redirect to it or to the registered one.
#[test]
fn oidcc_ensure_registered_redirect_uri() {
    on_the_local_runtime(async {
        let mut m = Module::configure(CLIENT).await;
        let bad_path = random_alphanumeric(10);
        let mut request = m.create_authorization_request();
        request.set("redirect_uri", &format!("{REDIRECT_URI}/{bad_path}"));
        let url = m.build_plain_redirect_to_authorization_endpoint(&request);
        let visit = m.perform_redirect(&url).await;
        let outcome = match &visit.landing {
            Landing::ErrorPage(page) => {
                eprintln!("the error page: {page}");
                Ok(())
            }
            Landing::Callback(address, _) if address.contains(&bad_path) => Err("The authorization server redirected the user to the requested but randomised/unregistered redirect uri. This must not happen as the provided redirect uri could not have been registered.".to_owned()),
            Landing::Callback(..) => Err("The authorization server called the registered redirect uri. This should not have happened as the client provided a bad redirect_uri in the request.".to_owned()),
            Landing::Elsewhere(why) => Err(format!("no error page was shown: {why}")),
        };
        m.log.condition(Then::Stop, "expect_redirect_uri_error_page", outcome);
        m.log.finish();
    })
}

/// oidcc-prompt-none-not-logged-in: with no session, `prompt=none` is answered with an error
/// that needs a user interface (a 128-character state, which must come back unchanged).
#[test]
fn oidcc_prompt_none_not_logged_in() {
    on_the_local_runtime(async {
        let mut m = Module::configure(CLIENT).await;
        let mut request = m.create_authorization_request_with_state_length(128);
        request.set("prompt", "none");
        let url = m.build_plain_redirect_to_authorization_endpoint(&request);
        let visit = m.perform_redirect(&url).await;
        let params = m.callback(&visit);
        m.perform_generic_authorization_endpoint_error_response_validation(&request, &params);
        call!(m.log, Failure, check_error_from_authorization_endpoint_is_one_that_required_a_user_interface(&params));
        assert!(!visit.asked_for_a_code, "prompt=none shows no sign-in page");
        m.log.finish();
    })
}

/// `AbstractOIDCCServerTest.skipTestIfNoneUnsupported`: the suite skips a request-object module
/// when the server lists `request_object_signing_alg_values_supported` without `none`.
fn none_unsupported(m: &Module) -> bool {
    m.server
        .get("request_object_signing_alg_values_supported")
        .and_then(Value::as_array)
        .is_some_and(|algs| !algs.iter().any(|a| a == "none"))
}

/// `ConvertAuthorizationEndpointRequestToRequestObject`, `SerializeRequestObjectWithNullAlgorithm`
/// and `BuildRequestObjectByValueRedirectToAuthorizationEndpoint`: the request's parameters as
/// an unsigned JWT in `request`, with response_type, client_id, scope and redirect_uri (and any
/// parameter that differs from the object's) beside it.
fn request_object_redirect(m: &Module, claims: &AuthorizationRequest, outside: &AuthorizationRequest) -> String {
    let object: Map<String, Value> = claims.params.iter().map(|(n, v)| (n.clone(), Value::from(v.clone()))).collect();
    let jwt = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(Value::Object(object).to_string())
    );
    let mut params = vec![("request".to_owned(), jwt)];
    for (name, value) in &outside.params {
        let duplicate = ["response_type", "client_id", "scope", "redirect_uri"].contains(&name.as_str());
        if duplicate || claims.get(name) != Some(value.as_str()) {
            params.push((name.clone(), value.clone()));
        }
    }
    params.sort();
    let endpoint = m.server["authorization_endpoint"].as_str().unwrap_or_default();
    format!("{endpoint}?{}", crate::harness::form(&params))
}

/// oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported: the object is
/// processed, or `request_not_supported` comes back (and the suite skips the rest).
#[test]
fn oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported() {
    on_the_local_runtime(async {
        let mut m = Module::configure(CLIENT).await;
        if none_unsupported(&m) {
            return eprintln!("skipped: 'none' is not listed in request_object_signing_alg_values_supported");
        }
        let request = m.create_authorization_request();
        let url = request_object_redirect(&m, &request, &request);
        let visit = m.perform_redirect(&url).await;
        let params = m.callback(&visit);
        if param(&params, "error") == Some("request_not_supported") {
            eprintln!(
                "skipped: The 'request_not_supported' error from the authorization endpoint indicates that it does not support request objects (which is permitted behaviour), so request objects cannot be tested."
            );
            return m.log.finish();
        }
        call!(m.log, Warning, check_disc_endpoint_request_parameter_supported(&m.server));
        let code = m.on_authorization_callback_response(&request, &params);
        let tokens = m.request_authorization_code(&request, &code).await;
        m.request_protected_resource(&tokens).await;
        m.log.finish();
    })
}

/// oidcc-ensure-request-object-with-redirect-uri: a valid redirect URI inside the request object,
/// an invalid one outside it: the object's is used, or an error page is shown; never a
/// `request_not_supported` at the registered address.
#[test]
fn oidcc_ensure_request_object_with_redirect_uri() {
    on_the_local_runtime(async {
        let mut m = Module::configure(CLIENT).await;
        if none_unsupported(&m) {
            return eprintln!("skipped: 'none' is not listed in request_object_signing_alg_values_supported");
        }
        let request = m.create_authorization_request();
        let mut outside = request.clone();
        outside.set("redirect_uri", &format!("{REDIRECT_URI}_invalid"));
        let url = request_object_redirect(&m, &request, &outside);
        let visit = m.perform_redirect(&url).await;
        if let Landing::ErrorPage(page) = &visit.landing {
            eprintln!("the error page: {page}");
            return m.log.finish();
        }
        let params = m.callback(&visit);
        if param(&params, "error") == Some("request_not_supported") {
            let why = Err("An invalid redirect_uri was included in the authorization request but the OP redirected to a default redirect_uri instead of displaying an error page".to_owned());
            m.log.condition(
                Then::Stop,
                "ensure_op_does_not_use_default_redirect_uri_in_case_of_invalid_redirect_uri",
                why,
            );
        }
        call!(m.log, Warning, check_disc_endpoint_request_parameter_supported(&m.server));
        let code = m.on_authorization_callback_response(&request, &params);
        let tokens = m.request_authorization_code(&request, &code).await;
        m.request_protected_resource(&tokens).await;
        m.log.finish();
    })
}

/// oidcc-refresh-token: the flow; no refresh token comes back, so the suite checks that the
/// server does not claim the grant and skips the rest ("Refresh tokens cannot be tested. No
/// refresh token was issued."). The part after a refresh token is not ported: this provider
/// issues none.
#[test]
fn oidcc_refresh_token() {
    on_the_local_runtime(async {
        let mut m = Module::configure(CLIENT).await;
        let offline = m.server["scopes_supported"].as_array().is_some_and(|s| s.iter().any(|s| s == "offline_access"));
        let mut request = m.create_authorization_request();
        if offline {
            request.set("scope", "openid offline_access");
            request.set("prompt", "consent");
        }
        let url = m.build_plain_redirect_to_authorization_endpoint(&request);
        let visit = m.perform_redirect(&url).await;
        let params = m.callback(&visit);
        let code = m.on_authorization_callback_response(&request, &params);
        let tokens = m.request_authorization_code(&request, &code).await;
        if tokens.response.get("refresh_token").is_none() {
            call!(m.log, Warning, ensure_server_configuration_does_not_support_refresh_token(&m.server));
            eprintln!("skipped: Refresh tokens cannot be tested. No refresh token was issued.");
            return m.log.finish();
        }
        let why = Err("a refresh token was issued: the rest of oidcc-refresh-token is not ported".to_owned());
        m.log.condition(Then::Stop, "extract_refresh_token_from_token_response", why);
    })
}
