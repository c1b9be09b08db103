//! The Config plan's one module, and the Basic plan's scope modules the suite skips by the
//! server's `scopes_supported`.

use crate::call;
use crate::conditions::*;
use crate::harness::{CLIENT, ISSUER, Op, Then, on_the_local_runtime};

/// oidcc-discovery-endpoint-verification (static client): the metadata's required values,
/// https endpoints, and the key set.
#[test]
fn oidcc_discovery_endpoint_verification() {
    on_the_local_runtime(async {
        let op = Op::start(&[CLIENT]).await;
        let mut log = crate::harness::Log::default();
        let discovery_url = format!("{ISSUER}/.well-known/openid-configuration");
        let answer = op.get(&discovery_url).await;
        let server = answer.json();
        call!(log, Failure, ensure_discovery_endpoint_response_status_code_is_200(answer.status));
        call!(log, Failure, check_discovery_endpoint_returned_json_content_type(answer.header("content-type")));

        call!(log, Failure, oidcc_check_disc_endpoint_response_types_supported(&server));
        call!(log, Failure, check_disc_endpoint_discovery_url(&discovery_url));
        call!(log, Failure, check_disc_endpoint_issuer(&server, &discovery_url));
        call!(log, Failure, check_disc_endpoint_issuer_is_valid_url(&server));
        call!(log, Failure, validate_server_metadata_against_schema(&server));
        call!(log, Warning, check_for_unexpected_parameters_in_server_metadata(&server));
        call!(log, Failure, check_disc_endpoint_subject_types_supported(&server));
        call!(log, Failure, oidcc_check_disc_endpoint_id_token_signing_alg_values_supported(&server));
        if server.get("userinfo_signing_alg_values_supported").is_some() {
            call!(log, Failure, oidcc_check_disc_endpoint_userinfo_signing_alg_values_supported(&server));
        }
        call!(log, Failure, check_disc_endpoint_authorization_endpoint(&server));
        call!(log, Failure, check_disc_endpoint_token_endpoint(&server));
        if server.get("userinfo_endpoint").is_some() {
            call!(log, Failure, check_disc_endpoint_userinfo_endpoint(&server));
        } else {
            log.condition(
                Then::Warning,
                "check_disc_endpoint_userinfo_endpoint",
                Err("skipped: no userinfo_endpoint".into()),
            );
        }
        if server.get("registration_endpoint").is_some() {
            call!(log, Failure, check_disc_endpoint_registration_endpoint(&server));
        }
        call!(log, Failure, check_jwks_uri(&server));
        let jwks = op.get(server["jwks_uri"].as_str().unwrap_or_default()).await;
        log.condition(
            Then::Stop,
            "fetch_server_keys",
            if jwks.status == 200 { Ok(()) } else { Err(jwks.body.clone()) },
        );
        call!(log, Failure, validate_jwks(&jwks.json()));
        call!(log, Info, check_disc_endpoint_request_parameter_supported(&server));
        call!(log, Info, check_disc_endpoint_request_uri_parameter_supported(&server));
        if server.get("request_object_signing_alg_values_supported").is_some() {
            call!(
                log,
                Warning,
                check_disc_endpoint_request_object_signing_alg_values_supported_includes_rs256(&server)
            );
        }
        call!(log, Info, check_disc_endpoint_claims_parameter_supported(&server));
        call!(log, Warning, oidcc_check_disc_endpoint_claims_supported(&server));
        call!(log, Failure, oidcc_check_disc_endpoint_grant_types_supported(&server));
        if server.get("scopes_supported").is_some() {
            call!(log, Failure, check_disc_endpoint_scopes_supported_contains_open_id(&server));
        } else {
            log.condition(
                Then::Warning,
                "check_disc_endpoint_scopes_supported_contains_open_id",
                Err("skipped: no scopes_supported".into()),
            );
        }
        call!(log, Failure, check_disc_endpoint_scopes_supported_syntax(&server));
        call!(log, Failure, check_disc_endpoint_locales_syntax(&server));
        call!(log, Warning, check_disc_endpoint_locales_canonical_casing(&server));
        call!(log, Failure, check_disc_endpoint_all_endpoints_are_https(&server));
        call!(log, Failure, ensure_server_configuration_code_challenge_methods_supported_is_an_array(&server));
        log.finish();
    })
}

/// oidcc-scope-profile, -email, -address, -all and oidcc-alternate-happy-flow (which extends
/// oidcc-scope-email) are skipped by the suite when `scopes_supported` lacks their scopes
/// (`OIDCCCheckScopesSupportedContainScopeTest`): they stay skipped only while it does.
#[test]
fn the_scope_modules_the_suite_skips_stay_skipped() {
    on_the_local_runtime(async {
        let op = Op::start(&[CLIENT]).await;
        let server = op.get(&format!("{ISSUER}/.well-known/openid-configuration")).await.json();
        for scope in ["openid profile", "openid email", "openid address", "openid email phone address profile"] {
            assert!(
                oidcc_check_scopes_supported_contain_scope_test(&server, scope).is_err(),
                "{scope} is now supported: its module applies and needs porting"
            );
        }
    })
}
