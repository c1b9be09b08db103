//! The Basic plan's modules that sign a person in once and expect it to succeed: the happy flow
//! with each client authentication, userinfo three ways, and the authorization request's
//! optional parameters that must not cause an error.

use reqwest::Method;
use serde_json::{Value, json};

use crate::call;
use crate::conditions::*;
use crate::harness::{
    AuthorizationRequest, CLIENT, CLIENT_SECRET_POST, Module, PHONE, Then, Tokens, on_the_local_runtime,
};

/// oidcc-server: the happy flow, the code's length and entropy, and no claims beyond those asked for.
#[test]
fn oidcc_server() {
    on_the_local_runtime(async {
        let mut m = Module::configure(CLIENT).await;
        let request = m.create_authorization_request();
        let url = m.build_plain_redirect_to_authorization_endpoint(&request);
        let visit = m.perform_redirect(&url).await;
        let params = m.callback(&visit);
        let code = m.on_authorization_callback_response(&request, &params);
        call!(m.log, Failure, ensure_minimum_authorization_code_length(&code));
        call!(m.log, Failure, ensure_minimum_authorization_code_entropy(&code));
        let tokens = m.request_authorization_code(&request, &code).await;
        call!(m.log, Warning, ensure_id_token_does_not_contain_name(&tokens.id_token));
        call!(m.log, Warning, extract_expires_in_from_token_endpoint_response(&tokens.response));
        m.request_protected_resource(&tokens).await;
        call!(m.log, Warning, ensure_id_token_does_not_contain_non_requested_claims(&tokens.id_token, &m.scope));
        m.log.finish();
    })
}

/// oidcc-server-client-secret-post: the happy flow with client_secret_post (its own client,
/// registered for ES256).
#[test]
fn oidcc_server_client_secret_post() {
    on_the_local_runtime(async {
        let mut m = Module::configure(CLIENT_SECRET_POST).await;
        let request = m.create_authorization_request();
        m.authorization_flow(&request).await;
        m.log.finish();
    })
}

/// `AbstractOIDCCUserInfoTest.extractUserInfoResponse` and `validateExtractedUserInfoResponse`.
fn validate_user_info(m: &mut Module, answer: &crate::harness::Answer, tokens: &Tokens) -> Value {
    call!(m.log, Failure, ensure_content_type_json(answer.header("content-type")));
    let userinfo = extract_user_info_from_user_info_endpoint_response(&answer.body);
    m.log.condition(Then::Stop, "extract_user_info_from_user_info_endpoint_response", userinfo.clone().map(|_| ()));
    let userinfo = userinfo.unwrap();
    call!(m.log, Failure, validate_user_info_standard_claims(&userinfo));
    call!(m.log, Failure, ensure_user_info_contains_sub(&userinfo));
    call!(m.log, Failure, ensure_user_info_updated_at_valid(&userinfo));
    call!(m.log, Failure, ensure_member_values_in_claim_name_reference_to_member_names_in_claim_sources(&userinfo));
    call!(m.log, Failure, verify_user_info_and_id_token_in_token_endpoint_same_sub(&userinfo, &tokens.id_token));
    userinfo
}

/// The userinfo modules: the flow, then userinfo called as `call` does.
async fn userinfo_module(how: Method, in_body: bool) {
    let mut m = Module::configure(CLIENT).await;
    let request = m.create_authorization_request();
    let tokens = m.authorization_flow(&request).await;
    let answer = if in_body {
        // CallUserInfoEndpointWithBearerTokenInBody
        let userinfo = m.server["userinfo_endpoint"].as_str().unwrap_or_default().to_owned();
        let body = crate::harness::form(&[("access_token".to_owned(), tokens.access_token.clone())]);
        m.op.send(Method::POST, &userinfo, Some(("application/x-www-form-urlencoded", body)), &[]).await
    } else {
        m.call_user_info_endpoint(how, &tokens).await
    };
    if in_body && !(200..300).contains(&answer.status) {
        let why = Err(format!("userinfo answered HTTP {} to a token in the body", answer.status));
        m.log.condition(Then::Warning, "user_info_endpoint_with_access_token_in_body_not_supported", why);
    } else {
        call!(m.log, Failure, ensure_http_status_code_is_200(answer.status, &answer.body));
        validate_user_info(&mut m, &answer, &tokens);
    }
    m.log.finish();
}

/// oidcc-userinfo-get.
#[test]
fn oidcc_userinfo_get() {
    on_the_local_runtime(userinfo_module(Method::GET, false))
}

/// oidcc-userinfo-post-header.
#[test]
fn oidcc_userinfo_post_header() {
    on_the_local_runtime(userinfo_module(Method::POST, false))
}

/// oidcc-userinfo-post-body: support is optional; an error answer is a warning.
#[test]
fn oidcc_userinfo_post_body() {
    on_the_local_runtime(userinfo_module(Method::POST, true))
}

/// oidcc-ensure-request-without-nonce-succeeds-for-code-flow: a code comes back (the module
/// stops at the callback).
#[test]
fn oidcc_ensure_request_without_nonce_succeeds_for_code_flow() {
    on_the_local_runtime(async {
        let mut m = Module::configure(CLIENT).await;
        let mut request = m.create_authorization_request();
        request.remove("nonce");
        let url = m.build_plain_redirect_to_authorization_endpoint(&request);
        let visit = m.perform_redirect(&url).await;
        let params = m.callback(&visit);
        m.on_authorization_callback_response(&request, &params);
        m.log.finish();
    })
}

/// oidcc-scope-phone: the phone scope's claims in userinfo.
#[test]
fn oidcc_scope_phone() {
    on_the_local_runtime(async {
        let mut m = Module::configure(CLIENT).await;
        m.scope = "openid phone".to_owned();
        if oidcc_check_scopes_supported_contain_scope_test(&m.server, &m.scope).is_err() {
            return m.log.condition(
                Then::Stop,
                "oidcc_check_scopes_supported_contain_scope_test",
                Err("skipped: scopes_supported from the discovery endpoint indicates the server doesn't support the scopes required for this test".into()),
            );
        }
        let request = m.create_authorization_request();
        let tokens = m.authorization_flow(&request).await;
        let answer = m.call_user_info_endpoint(Method::GET, &tokens).await;
        call!(m.log, Failure, ensure_http_status_code_is_200(answer.status, &answer.body));
        let userinfo = validate_user_info(&mut m, &answer, &tokens);
        let scope = m.scope.clone();
        call!(m.log, Warning, verify_scopes_returned_in_user_info_claims(&userinfo, &scope));
        assert_eq!(userinfo["phone_number"], PHONE, "the number proved");
        m.log.finish();
    })
}

/// A module that adds `extra` to the authorization request and expects the happy flow.
async fn happy_with(extra: &[(&str, &str)]) -> (Module, AuthorizationRequest, Tokens) {
    let mut m = Module::configure(CLIENT).await;
    let mut request = m.create_authorization_request();
    for (name, value) in extra {
        request.set(name, value);
    }
    let tokens = m.authorization_flow(&request).await;
    (m, request, tokens)
}

/// oidcc-display-page.
#[test]
fn oidcc_display_page() {
    on_the_local_runtime(async { happy_with(&[("display", "page")]).await.0.log.finish() })
}

/// oidcc-display-popup.
#[test]
fn oidcc_display_popup() {
    on_the_local_runtime(async { happy_with(&[("display", "popup")]).await.0.log.finish() })
}

/// oidcc-ensure-request-with-unknown-parameter-succeeds: `extra=foobar` ignored.
#[test]
fn oidcc_ensure_request_with_unknown_parameter_succeeds() {
    on_the_local_runtime(async { happy_with(&[("extra", "foobar")]).await.0.log.finish() })
}

/// oidcc-login-hint: the configured `server.login_hint`, a phone number here.
#[test]
fn oidcc_login_hint() {
    on_the_local_runtime(async { happy_with(&[("login_hint", PHONE)]).await.0.log.finish() })
}

/// oidcc-ui-locales: `ui_locales=se` (the suite's default), not a language the page has.
#[test]
fn oidcc_ui_locales() {
    on_the_local_runtime(async { happy_with(&[("ui_locales", "se")]).await.0.log.finish() })
}

/// oidcc-claims-locales: `claims_locales=se`.
#[test]
fn oidcc_claims_locales() {
    on_the_local_runtime(async { happy_with(&[("claims_locales", "se")]).await.0.log.finish() })
}

/// oidcc-ensure-request-with-acr-values-succeeds: the advertised `acr_values_supported`, or
/// "1 2"; an `acr` among them is only a warning's matter.
#[test]
fn oidcc_ensure_request_with_acr_values_succeeds() {
    on_the_local_runtime(async {
        let m = Module::configure(CLIENT).await;
        let acr_values = match m.server.get("acr_values_supported").and_then(Value::as_array) {
            Some(values) => values.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "),
            None => "1 2".to_owned(),
        };
        drop(m);
        let (mut m, _, tokens) = happy_with(&[("acr_values", &acr_values)]).await;
        call!(m.log, Warning, validate_id_token_acr_claim_against_acr_values_request(&tokens.id_token, &acr_values));
        m.log.finish();
    })
}

/// oidcc-ensure-request-with-valid-pkce-succeeds: S256 PKCE, the verifier at the token endpoint.
#[test]
fn oidcc_ensure_request_with_valid_pkce_succeeds() {
    on_the_local_runtime(async {
        let mut m = Module::configure(CLIENT).await;
        let request = m.create_authorization_request().with_pkce();
        m.authorization_flow(&request).await;
        m.log.finish();
    })
}

/// oidcc-ensure-post-request-succeeds: the authorization request as a form POST.
#[test]
fn oidcc_ensure_post_request_succeeds() {
    on_the_local_runtime(async {
        let mut m = Module::configure(CLIENT).await;
        let request = m.create_authorization_request();
        let visit = m.perform_post_redirect(&request).await;
        let params = m.callback(&visit);
        let code = m.on_authorization_callback_response(&request, &params);
        let tokens = m.request_authorization_code(&request, &code).await;
        m.request_protected_resource(&tokens).await;
        m.log.finish();
    })
}

/// oidcc-claims-essential: `name` asked for as an essential userinfo claim; the sign-in must
/// succeed (a missing name is a warning).
#[test]
fn oidcc_claims_essential() {
    on_the_local_runtime(async {
        let claims = json!({"userinfo": {"name": {"essential": true}}}).to_string();
        let (mut m, request, tokens) = happy_with(&[("claims", &claims)]).await;
        let answer = m.call_user_info_endpoint(Method::GET, &tokens).await;
        call!(m.log, Failure, ensure_http_status_code_is_200(answer.status, &answer.body));
        let userinfo = validate_user_info(&mut m, &answer, &tokens);
        let scope = request.get("scope").unwrap_or_default().to_owned();
        call!(m.log, Warning, verify_scopes_returned_in_user_info_claims(&userinfo, &scope));
        call!(m.log, Warning, ensure_user_info_contains_name(&userinfo));
        call!(m.log, Warning, ensure_id_token_does_not_contain_name(&tokens.id_token));
        m.log.finish();
    })
}

/// `AbstractOIDCCAuthCodeReuse.checkResponse`.
fn check_reuse_refused(m: &mut Module, answer: &crate::harness::Answer) {
    let response = answer.json();
    call!(m.log, Failure, check_token_endpoint_http_status_400(answer.status));
    call!(m.log, Failure, check_token_endpoint_returned_json_content_type(answer.header("content-type")));
    call!(m.log, Failure, check_error_from_token_endpoint_response_error_invalid_grant(&response));
    call!(m.log, Failure, validate_error_from_token_endpoint_response_error(&response));
    let description = response.get("error_description").and_then(Value::as_str);
    call!(m.log, Warning, check_error_description_contains_crlftab(description));
    call!(m.log, Failure, validate_error_description(description));
    call!(m.log, Failure, validate_error_uri(response.get("error_uri").and_then(Value::as_str)));
}

/// The flow, then the same code redeemed again (after `wait` seconds).
async fn code_reused(wait: Option<u64>) -> (Module, Tokens, crate::harness::Answer) {
    let mut m = Module::configure(CLIENT).await;
    let request = m.create_authorization_request();
    let url = m.build_plain_redirect_to_authorization_endpoint(&request);
    let visit = m.perform_redirect(&url).await;
    let params = m.callback(&visit);
    let code = m.on_authorization_callback_response(&request, &params);
    let tokens = m.request_authorization_code(&request, &code).await;
    m.request_protected_resource(&tokens).await;
    if let Some(seconds) = wait {
        m.op.wait(seconds).await;
    }
    let again = m.call_token_endpoint(&request, &code).await;
    (m, tokens, again)
}

/// oidcc-codereuse: a code redeemed twice at once; a second success is a warning.
#[test]
fn oidcc_codereuse() {
    on_the_local_runtime(async {
        let (mut m, _, again) = code_reused(None).await;
        if again.status == 200 {
            call!(m.log, Warning, server_allowed_reusing_authorization_code(again.status));
        } else {
            check_reuse_refused(&mut m, &again);
        }
        m.log.finish();
    })
}

/// oidcc-codereuse-30seconds: a code redeemed again 30 seconds on must be refused; the access
/// token it gave should then be revoked (a warning).
#[test]
fn oidcc_codereuse_30seconds() {
    on_the_local_runtime(async {
        let (mut m, tokens, again) = code_reused(Some(30)).await;
        check_reuse_refused(&mut m, &again);
        let userinfo = m.call_user_info_endpoint(Method::GET, &tokens).await;
        call!(m.log, Warning, ensure_http_status_code_is_4xx(userinfo.status));
        m.log.finish();
    })
}
