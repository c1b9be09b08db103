//! The suite's conditions these modules run, each a function named as its Java class is
//! (`ValidateIdToken` is `validate_id_token`), taking what the condition reads from the suite's
//! environment and answering `Err` with the condition's own message where it would fail. Where
//! a port leaves part of a condition out, its comment says which part.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

pub type Outcome = Result<(), String>;

/// How far the suite lets a token's times stray from its own clock: five minutes.
pub const TIME_SKEW_SECONDS: i64 = 5 * 60;

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A compact JWS taken apart: the header's and the payload's JSON, the signed bytes, the signature.
#[derive(Clone, Debug)]
pub struct Jwt {
    pub value: String,
    pub header: Value,
    pub claims: Value,
    pub signing_input: String,
    pub signature: Vec<u8>,
}

impl Jwt {
    pub fn parse(value: &str) -> Result<Self, String> {
        let parts: Vec<&str> = value.split('.').collect();
        let [header, payload, signature] = parts[..] else {
            return Err(format!("not a compact JWS of three parts ({} parts)", parts.len()));
        };
        let json = |part: &str, name: &str| -> Result<Value, String> {
            let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|e| format!("{name} is not base64url: {e}"))?;
            serde_json::from_slice(&bytes).map_err(|e| format!("{name} is not JSON: {e}"))
        };
        Ok(Self {
            value: value.to_owned(),
            header: json(header, "header")?,
            claims: json(payload, "payload")?,
            signing_input: format!("{header}.{payload}"),
            signature: URL_SAFE_NO_PAD.decode(signature).map_err(|e| format!("signature is not base64url: {e}"))?,
        })
    }

    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }
}

fn string_array<'a>(document: &'a Value, field: &str) -> Result<Vec<&'a str>, String> {
    match document.get(field) {
        None => Err(format!("{field}: not found")),
        Some(Value::Array(values)) => Ok(values.iter().filter_map(Value::as_str).collect()),
        Some(_) => Err(format!("'{field}' should be an array")),
    }
}

/// `AbstractValidateJsonArray`: at least `minimum` of `expected` in the server's array `field`.
fn validate_json_array(server: &Value, field: &str, expected: &[&str], minimum: usize, not_enough: &str) -> Outcome {
    let values = string_array(server, field)?;
    let found = expected.iter().filter(|e| values.contains(e)).count();
    if found < minimum {
        return Err(format!("{not_enough} (expected {expected:?}, actual {values:?})"));
    }
    Ok(())
}

/// `AbstractJsonUriIsValidAndHttps`.
fn json_uri_is_valid_and_https(server: &Value, field: &str) -> Outcome {
    let Some(value) = server.get(field) else { return Err(format!("{field}: URL not found")) };
    let Some(url) = value.as_str() else { return Err(format!("{field} is expected to be a string containing a URL")) };
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{field} is not a valid URL ({url}: {e})"))?;
    if parsed.scheme() != "https" {
        return Err(format!("{field} must use the https scheme (actual {url})"));
    }
    Ok(())
}

// ---- Discovery (oidcc-discovery-endpoint-verification, and the configuration every module reads)

/// `EnsureDiscoveryEndpointResponseStatusCodeIs200`.
pub fn ensure_discovery_endpoint_response_status_code_is_200(status: u16) -> Outcome {
    if status == 200 {
        Ok(())
    } else {
        Err(format!("Discovery endpoint did not return HTTP status 200 (got {status})"))
    }
}

/// `CheckDiscoveryEndpointReturnedJsonContentType`.
pub fn check_discovery_endpoint_returned_json_content_type(content_type: Option<&str>) -> Outcome {
    match content_type {
        Some(t) if t.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json")) => Ok(()),
        other => Err(format!("Content-Type is not application/json ({other:?})")),
    }
}

/// `CheckServerConfiguration`: the endpoints every module needs.
pub fn check_server_configuration(server: &Value) -> Outcome {
    for field in ["authorization_endpoint", "token_endpoint", "issuer"] {
        if server.get(field).and_then(Value::as_str).is_none_or(str::is_empty) {
            return Err(format!("Couldn't find required component {field}"));
        }
    }
    Ok(())
}

/// `OIDCCCheckDiscEndpointResponseTypesSupported`.
pub fn oidcc_check_disc_endpoint_response_types_supported(server: &Value) -> Outcome {
    let defined = ["code", "code id_token", "id_token", "token id_token", "code id_token token", "code token"];
    let values = string_array(server, "response_types_supported")?;
    // AbstractValidateResponseTypesArray compares the types as sets of words.
    let words = |t: &str| {
        let mut w: Vec<String> = t.split(' ').map(str::to_owned).collect();
        w.sort();
        w
    };
    if !defined.iter().any(|d| values.iter().any(|v| words(v) == words(d))) {
        return Err("The server must support at least one of the response types defined in OpenID Connect.".into());
    }
    Ok(())
}

/// `CheckDiscEndpointDiscoveryUrl`.
pub fn check_disc_endpoint_discovery_url(discovery_url: &str) -> Outcome {
    let url = reqwest::Url::parse(discovery_url).map_err(|_| "Invalid URL. Unable to parse.".to_owned())?;
    if !url.path().ends_with("/.well-known/openid-configuration") {
        return Err(format!("discoveryUrl is missing '/.well-known/openid-configuration' ({discovery_url})"));
    }
    if url.scheme() != "https" {
        return Err(format!("Expected https protocol for server.discoveryUrl (actual {})", url.scheme()));
    }
    Ok(())
}

/// `CheckDiscEndpointIssuer`.
pub fn check_disc_endpoint_issuer(server: &Value, discovery_url: &str) -> Outcome {
    let Some(issuer) = server.get("issuer").and_then(Value::as_str) else {
        return Err("issuer is missing from discovery endpoint document".into());
    };
    let expected = discovery_url.strip_suffix(".well-known/openid-configuration").unwrap_or(discovery_url);
    if issuer.trim_end_matches('/') != expected.trim_end_matches('/') {
        return Err(format!(
            "issuer listed in the discovery document is not consistent with the location the discovery document \
             was retrieved from. These must match to prevent impersonation attacks. (discovery_url {expected}, issuer {issuer})"
        ));
    }
    Ok(())
}

/// `CheckDiscEndpointIssuerIsValidUrl` (RFC 8414 §2).
pub fn check_disc_endpoint_issuer_is_valid_url(server: &Value) -> Outcome {
    let Some(issuer) = server.get("issuer").and_then(Value::as_str) else {
        return Err("issuer is missing or not a string in the authorization server metadata".into());
    };
    let url = reqwest::Url::parse(issuer).map_err(|e| format!("issuer is not a valid URL: {e}"))?;
    let mut issues = Vec::new();
    if url.scheme() != "https" {
        issues.push("scheme is not https");
    }
    if url.host_str().is_none_or(str::is_empty) {
        issues.push("no host");
    }
    if url.query().is_some() {
        issues.push("has a query");
    }
    if url.fragment().is_some() {
        issues.push("has a fragment");
    }
    if !url.username().is_empty() || url.password().is_some() {
        issues.push("has userinfo");
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(format!("issuer is not a valid RFC 8414 issuer identifier URL ({issuer}: {issues:?})"))
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Strings,
    Bool,
    Object,
    Any,
}
use Kind::{Any, Bool, Object, Str, Strings};

/// The properties of the suite's `json-schemas/rfc8414/oauth_authorization_server_metadata.json`
/// and their types.
const METADATA_FIELDS: &[(&str, Kind)] = &[
    ("issuer", Str),
    ("authorization_endpoint", Str),
    ("token_endpoint", Str),
    ("jwks_uri", Str),
    ("registration_endpoint", Str),
    ("scopes_supported", Strings),
    ("response_types_supported", Strings),
    ("response_modes_supported", Strings),
    ("grant_types_supported", Strings),
    ("token_endpoint_auth_methods_supported", Strings),
    ("token_endpoint_auth_signing_alg_values_supported", Strings),
    ("service_documentation", Str),
    ("ui_locales_supported", Strings),
    ("op_policy_uri", Str),
    ("op_tos_uri", Str),
    ("revocation_endpoint", Str),
    ("revocation_endpoint_auth_methods_supported", Strings),
    ("revocation_endpoint_auth_signing_alg_values_supported", Strings),
    ("global_token_revocation_endpoint", Str),
    ("global_token_revocation_endpoint_auth_methods_supported", Strings),
    ("introspection_endpoint", Str),
    ("introspection_endpoint_auth_methods_supported", Strings),
    ("introspection_endpoint_auth_signing_alg_values_supported", Strings),
    ("code_challenge_methods_supported", Strings),
    ("userinfo_endpoint", Str),
    ("end_session_endpoint", Str),
    ("check_session_iframe", Str),
    ("subject_types_supported", Strings),
    ("id_token_signing_alg_values_supported", Strings),
    ("id_token_encryption_alg_values_supported", Strings),
    ("id_token_encryption_enc_values_supported", Strings),
    ("userinfo_signing_alg_values_supported", Strings),
    ("userinfo_encryption_alg_values_supported", Strings),
    ("userinfo_encryption_enc_values_supported", Strings),
    ("request_object_signing_alg_values_supported", Strings),
    ("request_object_encryption_alg_values_supported", Strings),
    ("request_object_encryption_enc_values_supported", Strings),
    ("display_values_supported", Strings),
    ("claim_types_supported", Strings),
    ("claims_supported", Strings),
    ("claims_locales_supported", Strings),
    ("claims_parameter_supported", Bool),
    ("request_parameter_supported", Bool),
    ("request_uri_parameter_supported", Bool),
    ("require_request_uri_registration", Bool),
    ("acr_values_supported", Strings),
    ("frontchannel_logout_supported", Bool),
    ("frontchannel_logout_session_supported", Bool),
    ("backchannel_logout_supported", Bool),
    ("backchannel_logout_session_supported", Bool),
    ("dpop_signing_alg_values_supported", Strings),
    ("pushed_authorization_request_endpoint", Str),
    ("require_pushed_authorization_requests", Bool),
    ("authorization_details_types_supported", Strings),
    ("authorization_challenge_endpoint", Str),
    ("backchannel_authentication_endpoint", Str),
    ("backchannel_token_delivery_modes_supported", Strings),
    ("backchannel_authentication_request_signing_alg_values_supported", Strings),
    ("backchannel_user_code_parameter_supported", Bool),
    ("authorization_signing_alg_values_supported", Strings),
    ("authorization_encryption_alg_values_supported", Strings),
    ("authorization_encryption_enc_values_supported", Strings),
    ("client_attestation_signing_alg_values_supported", Strings),
    ("client_attestation_pop_signing_alg_values_supported", Strings),
    ("challenge_endpoint", Str),
    ("mtls_endpoint_aliases", Object),
    ("tls_client_certificate_bound_access_tokens", Bool),
    ("signed_metadata", Str),
    ("pre-authorized_grant_anonymous_access_supported", Bool),
    ("authorization_response_iss_parameter_supported", Bool),
    ("device_authorization_endpoint", Str),
    ("require_signed_request_object", Bool),
    ("introspection_signing_alg_values_supported", Strings),
    ("introspection_encryption_alg_values_supported", Strings),
    ("introspection_encryption_enc_values_supported", Strings),
    ("prompt_values_supported", Strings),
    ("signed_jwks_uri", Str),
    ("jwks", Object),
    ("organization_name", Str),
    ("organization_uri", Str),
    ("display_name", Str),
    ("description", Str),
    ("keywords", Strings),
    ("contacts", Strings),
    ("logo_uri", Str),
    ("information_uri", Str),
    ("federation_registration_endpoint", Str),
    ("client_registration_types_supported", Strings),
    ("client_id_metadata_document_supported", Bool),
    ("trust_frameworks_supported", Strings),
    ("evidence_supported", Strings),
    ("documents_supported", Strings),
    ("documents_check_methods_supported", Strings),
    ("documents_methods_supported", Strings),
    ("electronic_records_supported", Strings),
    ("attachments_supported", Strings),
    ("claims_in_verified_claims_supported", Strings),
    ("transformed_claims_functions_supported", Strings),
    ("transformed_claims_predefined", Any),
    ("grant_management_endpoint", Str),
    ("grant_management_actions_supported", Strings),
    ("grant_management_action_required", Bool),
    ("request_authentication_methods_supported", Any),
    ("request_authentication_signing_alg_values_supported", Strings),
    ("protected_resources", Strings),
    ("status_list_aggregation_endpoint", Str),
];

/// `ValidateServerMetadataAgainstSchema`: each known field of the type the schema gives it
/// (the schema's types only; its formats, such as URI syntax, are left to the URL checks).
pub fn validate_server_metadata_against_schema(server: &Value) -> Outcome {
    let mut errors = Vec::new();
    for (field, kind) in METADATA_FIELDS {
        let Some(value) = server.get(*field) else { continue };
        let ok = match kind {
            Str => value.is_string(),
            Strings => value.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            Bool => value.is_boolean(),
            Object => value.is_object(),
            Any => true,
        };
        if !ok {
            errors.push(format!("{field}: {value}"));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(format!("metadata does not match the schema: {errors:?}")) }
}

/// `CheckForUnexpectedParametersInServerMetadata` (a warning).
pub fn check_for_unexpected_parameters_in_server_metadata(server: &Value) -> Outcome {
    let unexpected: Vec<&String> = server
        .as_object()
        .map(|o| o.keys().filter(|k| !METADATA_FIELDS.iter().any(|(f, _)| f == k)).collect())
        .unwrap_or_default();
    if unexpected.is_empty() {
        Ok(())
    } else {
        Err(format!("unexpected parameters in server metadata: {unexpected:?}"))
    }
}

/// `CheckDiscEndpointSubjectTypesSupported`.
pub fn check_disc_endpoint_subject_types_supported(server: &Value) -> Outcome {
    validate_json_array(
        server,
        "subject_types_supported",
        &["public", "pairwise"],
        1,
        "subject_types_supported is required to contain at least one of public or pairwise",
    )
}

/// `OIDCCCheckDiscEndpointIdTokenSigningAlgValuesSupported`.
pub fn oidcc_check_disc_endpoint_id_token_signing_alg_values_supported(server: &Value) -> Outcome {
    validate_json_array(
        server,
        "id_token_signing_alg_values_supported",
        &["RS256"],
        1,
        "RS256 support is required, but the server does not list it in id_token_signing_alg_values_supported",
    )
}

/// `OIDCCCheckDiscEndpointUserinfoSigningAlgValuesSupported` (run only when the field is there).
pub fn oidcc_check_disc_endpoint_userinfo_signing_alg_values_supported(server: &Value) -> Outcome {
    string_array(server, "userinfo_signing_alg_values_supported").map(|_| ())
}

/// `CheckDiscEndpointAuthorizationEndpoint`.
pub fn check_disc_endpoint_authorization_endpoint(server: &Value) -> Outcome {
    json_uri_is_valid_and_https(server, "authorization_endpoint")
}

/// `CheckDiscEndpointTokenEndpoint`.
pub fn check_disc_endpoint_token_endpoint(server: &Value) -> Outcome {
    json_uri_is_valid_and_https(server, "token_endpoint")
}

/// `CheckDiscEndpointUserinfoEndpoint`.
pub fn check_disc_endpoint_userinfo_endpoint(server: &Value) -> Outcome {
    json_uri_is_valid_and_https(server, "userinfo_endpoint")
}

/// `CheckDiscEndpointRegistrationEndpoint`.
pub fn check_disc_endpoint_registration_endpoint(server: &Value) -> Outcome {
    json_uri_is_valid_and_https(server, "registration_endpoint")
}

/// `CheckJwksUri`.
pub fn check_jwks_uri(server: &Value) -> Outcome {
    json_uri_is_valid_and_https(server, "jwks_uri")
}

/// `AbstractValidateJsonBoolean`: `field` (or its default when absent) is `required`.
fn validate_json_boolean(server: &Value, field: &str, default: bool, required: bool) -> Outcome {
    let value = match server.get(field) {
        None => default,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(format!("{field} is not a boolean ({other})")),
    };
    if value == required { Ok(()) } else { Err(format!("{field} is {value}, expected {required}")) }
}

/// `CheckDiscEndpointRequestParameterSupported` (information only).
pub fn check_disc_endpoint_request_parameter_supported(server: &Value) -> Outcome {
    validate_json_boolean(server, "request_parameter_supported", false, true)
}

/// `CheckDiscEndpointRequestUriParameterSupported` (information only).
pub fn check_disc_endpoint_request_uri_parameter_supported(server: &Value) -> Outcome {
    validate_json_boolean(server, "request_uri_parameter_supported", true, true)
}

/// `CheckDiscEndpointClaimsParameterSupported` (information only).
pub fn check_disc_endpoint_claims_parameter_supported(server: &Value) -> Outcome {
    validate_json_boolean(server, "claims_parameter_supported", false, true)
}

/// `CheckDiscEndpointRequestObjectSigningAlgValuesSupportedIncludesRS256` (when the field is there).
pub fn check_disc_endpoint_request_object_signing_alg_values_supported_includes_rs256(server: &Value) -> Outcome {
    validate_json_array(
        server,
        "request_object_signing_alg_values_supported",
        &["RS256"],
        1,
        "request_object_signing_alg_values_supported does not include RS256",
    )
}

/// `OIDCCCheckDiscEndpointClaimsSupported` (a warning: recommended, not required).
pub fn oidcc_check_disc_endpoint_claims_supported(server: &Value) -> Outcome {
    string_array(server, "claims_supported").map(|_| ())
}

/// `OIDCCCheckDiscEndpointGrantTypesSupported`.
pub fn oidcc_check_disc_endpoint_grant_types_supported(server: &Value) -> Outcome {
    match server.get("grant_types_supported") {
        None => Ok(()),
        Some(Value::Array(a)) if a.is_empty() => {
            Err("grant_types_supported in discovery document must not be an empty array.".into())
        }
        Some(Value::Array(_)) => Ok(()),
        Some(_) => Err("grant_types_supported in discovery document, if present, must be an array.".into()),
    }
}

/// `CheckDiscEndpointScopesSupportedContainsOpenId` (run when the field is there).
pub fn check_disc_endpoint_scopes_supported_contains_open_id(server: &Value) -> Outcome {
    validate_json_array(
        server,
        "scopes_supported",
        &["openid"],
        1,
        "scopes_supported in the server's discovery document does not contain 'openid'.",
    )
}

/// `CheckDiscEndpointScopesSupportedSyntax`: RFC 6749 Appendix A.4 scope-tokens.
pub fn check_disc_endpoint_scopes_supported_syntax(server: &Value) -> Outcome {
    let Some(scopes) = server.get("scopes_supported") else { return Ok(()) };
    let Some(scopes) = scopes.as_array() else { return Err("scopes_supported is not a JSON array".into()) };
    let bad: Vec<&Value> = scopes
        .iter()
        .filter(|s| {
            s.as_str().is_none_or(|s| {
                s.is_empty() || s.chars().any(|c| !matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E'))
            })
        })
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!("Invalid scope syntax in authorization server scopes_supported: {bad:?}"))
    }
}

/// The locales of `ui_locales_supported` and `claims_locales_supported`.
fn locales(server: &Value) -> Vec<(String, Value)> {
    ["ui_locales_supported", "claims_locales_supported"]
        .iter()
        .filter_map(|f| server.get(*f).map(|v| ((*f).to_owned(), v.clone())))
        .collect()
}

/// `CheckDiscEndpointLocalesSyntax`: each a well-formed BCP 47 tag. (The suite also looks each
/// subtag up in the IANA registry; this port checks the tag's shape only: a language of 2–3
/// letters, then subtags of 1–8 letters or digits.)
pub fn check_disc_endpoint_locales_syntax(server: &Value) -> Outcome {
    let mut issues = Vec::new();
    for (field, values) in locales(server) {
        let Some(values) = values.as_array() else {
            issues.push(format!("{field}: expected JSON array"));
            continue;
        };
        for (i, tag) in values.iter().enumerate() {
            let well_formed = tag.as_str().is_some_and(|t| {
                let mut subtags = t.split('-');
                let language = subtags.next().unwrap_or_default();
                (2..=3).contains(&language.len())
                    && language.chars().all(|c| c.is_ascii_alphabetic())
                    && subtags.all(|s| (1..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric()))
            });
            if !well_formed {
                issues.push(format!("{field}[{i}]: {tag}"));
            }
        }
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(format!("Invalid BCP47 language tag(s) in authorization server metadata: {issues:?}"))
    }
}

/// `CheckDiscEndpointLocalesCanonicalCasing` (a warning): lowercase language, Title-case script,
/// uppercase region.
pub fn check_disc_endpoint_locales_canonical_casing(server: &Value) -> Outcome {
    let mut issues = Vec::new();
    for (field, values) in locales(server) {
        for tag in values.as_array().into_iter().flatten().filter_map(Value::as_str) {
            let canonical: Vec<String> = tag
                .split('-')
                .enumerate()
                .map(|(i, s)| match (i, s.len()) {
                    (0, _) => s.to_ascii_lowercase(),
                    (_, 4) if s.chars().all(|c| c.is_ascii_alphabetic()) => {
                        let lower = s.to_ascii_lowercase();
                        lower[..1].to_ascii_uppercase() + &lower[1..]
                    }
                    (_, 2) => s.to_ascii_uppercase(),
                    _ => s.to_ascii_lowercase(),
                })
                .collect();
            if canonical.join("-") != tag {
                issues.push(format!("{field}: '{tag}' should be '{}'", canonical.join("-")));
            }
        }
    }
    if issues.is_empty() { Ok(()) } else { Err(format!("locale tags deviate from BCP47 canonical casing: {issues:?}")) }
}

/// `CheckDiscEndpointAllEndpointsAreHttps`: every `*_endpoint`.
pub fn check_disc_endpoint_all_endpoints_are_https(server: &Value) -> Outcome {
    for field in server.as_object().into_iter().flat_map(|o| o.keys()).filter(|k| k.ends_with("_endpoint")) {
        json_uri_is_valid_and_https(server, field)?;
    }
    Ok(())
}

/// `EnsureServerConfigurationCodeChallengeMethodsSupportedIsAnArray`.
pub fn ensure_server_configuration_code_challenge_methods_supported_is_an_array(server: &Value) -> Outcome {
    match server.get("code_challenge_methods_supported") {
        None => Ok(()),
        Some(Value::Array(a)) if a.is_empty() => Ok(()),
        Some(_) => validate_json_array(
            server,
            "code_challenge_methods_supported",
            &["S256", "plain"],
            1,
            "No matching value from server",
        ),
    }
}

/// `EnsureServerConfigurationSupportsClientSecretBasic`.
pub fn ensure_server_configuration_supports_client_secret_basic(server: &Value) -> Outcome {
    if server.get("token_endpoint_auth_methods_supported").is_none() {
        return Ok(());
    }
    validate_json_array(
        server,
        "token_endpoint_auth_methods_supported",
        &["client_secret_basic"],
        1,
        "server discovery document contains token_endpoint_auth_methods_supported which does not contain client_secret_basic",
    )
}

/// `EnsureServerConfigurationSupportsClientSecretPost`.
pub fn ensure_server_configuration_supports_client_secret_post(server: &Value) -> Outcome {
    validate_json_array(
        server,
        "token_endpoint_auth_methods_supported",
        &["client_secret_post"],
        1,
        "server discovery document does not contain client_secret_post in token_endpoint_auth_methods_supported",
    )
}

/// `OIDCCCheckScopesSupportedContainScopeTest`: whether the server lists every scope the module
/// asks for (when it does not, the module is skipped).
pub fn oidcc_check_scopes_supported_contain_scope_test(server: &Value, scope: &str) -> Outcome {
    let supported = string_array(server, "scopes_supported")?;
    let missing: Vec<&str> = scope.split(' ').filter(|s| !supported.contains(s)).collect();
    if missing.is_empty() { Ok(()) } else { Err(format!("scopes_supported does not contain {missing:?}")) }
}

/// `EnsureServerConfigurationDoesNotSupportRefreshToken`.
pub fn ensure_server_configuration_does_not_support_refresh_token(server: &Value) -> Outcome {
    let Some(grants) = server.get("grant_types_supported") else { return Ok(()) };
    let Some(grants) = grants.as_array() else {
        return Err("supported_grant_types is present in the discovery document but is not an array".into());
    };
    if grants.iter().any(|g| g == "refresh_token") {
        return Err("The server supports refresh tokens, but did not issue one.".into());
    }
    Ok(())
}

// ---- The key set

fn keys(jwks: &Value) -> Result<&Vec<Value>, String> {
    match jwks.get("keys") {
        None => Err("keys entry not found in JWKs".into()),
        Some(Value::Array(keys)) => Ok(keys),
        Some(other) => Err(format!("keys entry in JWKs is not an array ({other})")),
    }
}

/// `CheckServerKeysIsValid` and `ValidateJwksSequence`: a parseable set of public keys of known
/// types (no private or symmetric key material).
pub fn validate_jwks(jwks: &Value) -> Outcome {
    for key in keys(jwks)? {
        let kty = key.get("kty").and_then(Value::as_str).ok_or_else(|| format!("a key has no kty: {key}"))?;
        let (required, private): (&[&str], &[&str]) = match kty {
            "RSA" => (&["n", "e"], &["d", "p", "q", "dp", "dq", "qi"]),
            "EC" => (&["crv", "x", "y"], &["d"]),
            "oct" => return Err(format!("the server's JWKS holds a symmetric key: {key}")),
            other => return Err(format!("unknown key type {other}")),
        };
        if let Some(missing) = required.iter().find(|f| key.get(**f).and_then(Value::as_str).is_none()) {
            return Err(format!("a {kty} key has no {missing}: {key}"));
        }
        if let Some(found) = private.iter().find(|f| key.get(**f).is_some()) {
            return Err(format!("the server's JWKS holds private key material ({found})"));
        }
    }
    Ok(())
}

/// `CheckForKeyIdInServerJWKs`.
pub fn check_for_key_id_in_server_jwks(jwks: &Value) -> Outcome {
    for key in keys(jwks)? {
        if key.get("kid").and_then(Value::as_str).is_none_or(|k| k.trim().is_empty()) {
            return Err(format!("kid not found in key {key}"));
        }
    }
    Ok(())
}

/// `CheckDistinctKeyIdValueInServerJWKs`.
pub fn check_distinct_key_id_value_in_server_jwks(jwks: &Value) -> Outcome {
    let mut seen = Vec::new();
    for kid in keys(jwks)?.iter().filter_map(|k| k.get("kid").and_then(Value::as_str)) {
        if seen.contains(&kid) {
            return Err(format!("'kid' value is used more than once in server_jwks: {kid}"));
        }
        seen.push(kid);
    }
    Ok(())
}

// ---- The authorization endpoint's answer

/// The parameters of an answer, by name.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// `CheckMatchingCallbackParameters`: the registered redirect URI's own query parameters are
/// kept in the answer.
pub fn check_matching_callback_parameters(redirect_uri: &str, params: &[(String, String)]) -> Outcome {
    let url = reqwest::Url::parse(redirect_uri).map_err(|e| e.to_string())?;
    for (name, expected) in url.query_pairs() {
        if param(params, &name) != Some(expected.as_ref()) {
            return Err(format!("the redirect URI's parameter {name}={expected} is not in the callback"));
        }
    }
    Ok(())
}

/// `ValidateIssIfPresentInAuthorizationResponse`.
pub fn validate_iss_if_present_in_authorization_response(issuer: &str, params: &[(String, String)]) -> Outcome {
    match param(params, "iss") {
        None => Ok(()),
        Some(iss) if iss == issuer => Ok(()),
        Some(iss) => Err(format!(
            "'iss' parameter in authorization response does not match server's issuer value. (expected {issuer}, actual {iss})"
        )),
    }
}

/// `CheckIfAuthorizationEndpointError`.
pub fn check_if_authorization_endpoint_error(params: &[(String, String)]) -> Outcome {
    match param(params, "error") {
        Some(error) if !error.is_empty() => Err(format!(
            "The authorization was expected to succeed, but the server returned an error from the authorization endpoint: {params:?}"
        )),
        _ => Ok(()),
    }
}

/// `CheckStateInAuthorizationResponse`.
pub fn check_state_in_authorization_response(expected: Option<&str>, params: &[(String, String)]) -> Outcome {
    let actual = param(params, "state").filter(|s| !s.is_empty());
    match (expected, actual) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err("No state value was sent, but a state in response was returned".into()),
        (Some(e), Some(a)) if e == a => Ok(()),
        (Some(_), None) if matches!(param(params, "error"), Some("invalid_request_object" | "invalid_request_uri")) => {
            Ok(())
        }
        (Some(_), None) => {
            Err("State was passed in request, but is missing from response (or returned in the wrong place)".into())
        }
        (Some(e), Some(a)) => Err(format!("State in response did not match (expected {e}, actual {a})")),
    }
}

/// `ExtractAuthorizationCodeFromAuthorizationResponse`.
pub fn extract_authorization_code_from_authorization_response(params: &[(String, String)]) -> Result<String, String> {
    param(params, "code")
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| format!("Couldn't find authorization code in {params:?}"))
}

/// `EnsureMinimumAuthorizationCodeLength`: 128 bits.
pub fn ensure_minimum_authorization_code_length(code: &str) -> Outcome {
    let bits = code.len() * 8;
    if bits >= 128 { Ok(()) } else { Err(format!("Authorization code is not long enough ({bits} bits)")) }
}

/// `AbstractEnsureMinimumEntropy`'s Shannon entropy of `s`, in bits.
pub fn shannon_entropy(s: &str) -> f64 {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len() as f64;
    let mut counts = std::collections::HashMap::new();
    for c in &chars {
        *counts.entry(c).or_insert(0_u32) += 1;
    }
    let per_char: f64 = counts.values().map(|&k| f64::from(k) / n).map(|p| -p * p.log2()).sum();
    per_char * n
}

/// `EnsureMinimumAuthorizationCodeEntropy`: more than 96 bits (128 meant, some slop allowed).
pub fn ensure_minimum_authorization_code_entropy(code: &str) -> Outcome {
    let entropy = shannon_entropy(code);
    if entropy > 96.0 {
        Ok(())
    } else {
        Err(format!(
            "Calculated shannon entropy does not seem to meet minimum required entropy (i.e. item is too short, or not random enough): {entropy:.1} bits"
        ))
    }
}

// ---- An error from the authorization endpoint

/// `EnsureErrorFromAuthorizationEndpointResponse`.
pub fn ensure_error_from_authorization_endpoint_response(params: &[(String, String)]) -> Outcome {
    if param(params, "error").is_some() {
        Ok(())
    } else {
        Err(format!("Authorization server was expected to return an error but did not: {params:?}"))
    }
}

/// `RejectAuthCodeInAuthorizationEndpointResponse`.
pub fn reject_auth_code_in_authorization_endpoint_response(params: &[(String, String)]) -> Outcome {
    if param(params, "code").is_some() {
        Err("Authorization code is present in URL query but an error was expected".into())
    } else {
        Ok(())
    }
}

/// `CheckForUnexpectedParametersInErrorResponseFromAuthorizationEndpoint` (a warning).
pub fn check_for_unexpected_parameters_in_error_response_from_authorization_endpoint(
    params: &[(String, String)],
) -> Outcome {
    let expected = ["error", "error_description", "error_uri", "state", "session_state", "iss"];
    let unexpected: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).filter(|n| !expected.contains(n)).collect();
    if unexpected.is_empty() {
        Ok(())
    } else {
        Err(format!("error response includes unexpected parameters: {unexpected:?}"))
    }
}

/// `AbstractCheckErrorDescriptionContainsCRLFTAB` (a warning).
pub fn check_error_description_contains_crlftab(description: Option<&str>) -> Outcome {
    if description.is_some_and(|d| d.contains(['\n', '\r', '\t'])) {
        Err("'error_description' field includes characters CR, LF or TAB, these are not recommended to include".into())
    } else {
        Ok(())
    }
}

/// `AbstractValidateErrorDescriptionFromResponseError`: RFC 6749's character set.
pub fn validate_error_description(description: Option<&str>) -> Outcome {
    let Some(description) = description.filter(|d| !d.is_empty()) else { return Ok(()) };
    if description
        .chars()
        .all(|c| matches!(c, '\x09' | '\x0A' | '\x0D' | '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E'))
    {
        Ok(())
    } else {
        Err(format!(
            "'error_description' field MUST NOT include characters outside the set %09-0A (Tab and LF) / %x0D (CR) / %x20-21 / %x23-5B / %x5D-7E: {description}"
        ))
    }
}

/// `AbstractValidateErrorUriFromResponseError`.
pub fn validate_error_uri(uri: Option<&str>) -> Outcome {
    let Some(uri) = uri.filter(|u| !u.is_empty()) else { return Ok(()) };
    if reqwest::Url::parse(uri).is_err() {
        return Err(format!("'error_uri' field MUST conform to the URI-reference syntax: {uri}"));
    }
    if uri.chars().all(|c| matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')) {
        Ok(())
    } else {
        Err(format!("'error_uri' field MUST NOT include characters outside the set %x21 / %x23-5B / %x5D-7E: {uri}"))
    }
}

/// `CheckErrorFromAuthorizationEndpointIsOneThatRequiredAUserInterface`.
pub fn check_error_from_authorization_endpoint_is_one_that_required_a_user_interface(
    params: &[(String, String)],
) -> Outcome {
    let permitted = ["interaction_required", "login_required", "account_selection_required", "consent_required"];
    match param(params, "error") {
        None | Some("") => Err("Expected 'error' field not found".into()),
        Some(e) if permitted.contains(&e) => Ok(()),
        Some(e) => Err(format!("'error' field has an unexpected value (permitted {permitted:?}, actual {e})")),
    }
}

/// `CheckErrorFromAuthorizationEndpointErrorInvalidRequestOrUnsupportedResponseType`.
pub fn check_error_from_authorization_endpoint_error_invalid_request_or_unsupported_response_type(
    params: &[(String, String)],
) -> Outcome {
    let expected = ["unsupported_response_type", "invalid_request"];
    match param(params, "error") {
        None | Some("") => Err("Expected 'error' field not found".into()),
        Some(e) if expected.contains(&e) => Ok(()),
        Some(e) => Err(format!("'error' field has unexpected value (expected {expected:?}, actual {e})")),
    }
}

// ---- The token endpoint

/// `CheckTokenEndpointHttpStatus200`.
pub fn check_token_endpoint_http_status_200(status: u16, body: &str) -> Outcome {
    if status == 200 { Ok(()) } else { Err(format!("Token endpoint returned HTTP {status}, not 200: {body}")) }
}

/// `CheckIfTokenEndpointResponseError`.
pub fn check_if_token_endpoint_response_error(response: &Value) -> Outcome {
    match response.get("error") {
        Some(error) => Err(format!("Token endpoint error response: {error}")),
        None => Ok(()),
    }
}

/// `CheckForAccessTokenValue`.
pub fn check_for_access_token_value(response: &Value) -> Outcome {
    if response.get("access_token").and_then(Value::as_str).is_none_or(str::is_empty) {
        return Err("access_token is missing or empty in token endpoint response".into());
    }
    if response.get("token_type").and_then(Value::as_str).is_none_or(str::is_empty) {
        return Err("token_type is missing or empty in token endpoint response".into());
    }
    Ok(())
}

/// `ExtractExpiresInFromTokenEndpointResponse` (information; a warning in oidcc-server).
pub fn extract_expires_in_from_token_endpoint_response(response: &Value) -> Outcome {
    if response.get("expires_in").is_some() { Ok(()) } else { Err("expires_in not present".into()) }
}

/// `ValidateExpiresIn`.
pub fn validate_expires_in(expires_in: &Value) -> Outcome {
    let Some(n) = expires_in.as_f64() else { return Err("expires_in is not a number".into()) };
    if n <= 0.0 {
        return Err("expires_in must be positive".into());
    }
    if n > 31_536_000.0 {
        return Err("expires_in is unreasonably large (more than 1 year)".into());
    }
    Ok(())
}

/// `CheckForRefreshTokenValue` (information).
pub fn check_for_refresh_token_value(response: &Value) -> Outcome {
    if response.get("refresh_token").is_some() { Ok(()) } else { Err("refresh_token not present".into()) }
}

/// `ExtractIdTokenFromTokenResponse`.
pub fn extract_id_token_from_token_response(response: &Value) -> Result<Jwt, String> {
    let value =
        response.get("id_token").and_then(Value::as_str).ok_or("Couldn't find an ID Token in token response")?;
    Jwt::parse(value).map_err(|e| format!("Couldn't parse the ID Token: {e}"))
}

/// `CheckTokenEndpointHttpStatus400`.
pub fn check_token_endpoint_http_status_400(status: u16) -> Outcome {
    if status == 400 { Ok(()) } else { Err(format!("Token endpoint returned HTTP {status}, not 400")) }
}

/// `CheckTokenEndpointReturnedJsonContentType`.
pub fn check_token_endpoint_returned_json_content_type(content_type: Option<&str>) -> Outcome {
    check_discovery_endpoint_returned_json_content_type(content_type)
}

/// `CheckErrorFromTokenEndpointResponseErrorInvalidGrant`.
pub fn check_error_from_token_endpoint_response_error_invalid_grant(response: &Value) -> Outcome {
    match response.get("error").and_then(Value::as_str) {
        Some("invalid_grant") => Ok(()),
        other => Err(format!("'error' field has unexpected value (expected invalid_grant, actual {other:?})")),
    }
}

/// `ValidateErrorFromTokenEndpointResponseError`.
pub fn validate_error_from_token_endpoint_response_error(response: &Value) -> Outcome {
    let Some(error) = response.get("error").and_then(Value::as_str).filter(|e| !e.is_empty()) else {
        return Err("The authorization server was expected to return an error, but the 'error' field in the response is either null or empty".into());
    };
    if error.chars().all(|c| matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')) {
        Ok(())
    } else {
        Err(format!("'error' field MUST NOT include characters outside the set %x20-21 / %x23-5B / %x5D-7E: {error}"))
    }
}

/// `ServerAllowedReusingAuthorizationCode` (a warning, oidcc-codereuse): the second redemption
/// succeeded.
pub fn server_allowed_reusing_authorization_code(status: u16) -> Outcome {
    if status == 200 {
        Err("The authorization server allowed the authorization code to be used twice".into())
    } else {
        Ok(())
    }
}

// ---- The ID token (PerformStandardIdTokenChecks)

fn as_i64(value: Option<&Value>) -> Option<i64> {
    value.and_then(Value::as_i64)
}

/// `ValidateIdToken`: iss, aud, exp, iat, auth_time, acr and nbf.
pub fn validate_id_token(id_token: &Jwt, client_id: &str, issuer: &str) -> Outcome {
    let now = now();
    match id_token.claim("iss").and_then(Value::as_str) {
        None => return Err("'iss' claim missing".into()),
        Some(iss) if iss != issuer => return Err(format!("Issuer mismatch (expected {issuer}, actual {iss})")),
        Some(_) => {}
    }
    match id_token.claim("aud") {
        None => return Err("'aud' claim missing".into()),
        Some(Value::Array(auds)) if !auds.iter().any(|a| a == client_id) => {
            return Err(format!("'aud' array does not contain our client id (expected {client_id}, actual {auds:?})"));
        }
        Some(Value::Array(_)) => {}
        Some(aud) if aud.as_str() != Some(client_id) => {
            return Err(format!("'aud' is not our client id (expected {client_id}, actual {aud})"));
        }
        Some(_) => {}
    }
    let Some(exp) = as_i64(id_token.claim("exp")) else { return Err("'exp' claim missing".into()) };
    if now - TIME_SKEW_SECONDS > exp {
        return Err(format!("Token expired (exp {exp}, now {now})"));
    }
    if exp > now + 50 * 365 * 86_400 {
        return Err("'exp' is unreasonably far in the future (more than 50 years)".into());
    }
    let Some(iat) = as_i64(id_token.claim("iat")) else { return Err("'iat' claim missing".into()) };
    if now + TIME_SKEW_SECONDS < iat {
        return Err(format!("Token 'iat' in the future (iat {iat}, now {now})"));
    }
    if now - TIME_SKEW_SECONDS > iat {
        return Err(format!("Token 'iat' more than 5 minutes in the past (iat {iat}, now {now})"));
    }
    if let Some(auth_time) = as_i64(id_token.claim("auth_time")) {
        if now - 365 * 86_400 > auth_time {
            return Err("id_token auth_time is over a year in the past".into());
        }
        if now + TIME_SKEW_SECONDS < auth_time {
            return Err(format!("id_token auth_time is in the future (auth_time {auth_time}, now {now})"));
        }
    }
    if id_token.claim("acr").and_then(Value::as_str) == Some("") {
        return Err("id_token acr is an empty string".into());
    }
    Ok(())
}

/// OpenID Connect Core §3.1.3.7 steps 4–5 (not one of the suite's conditions): with more than one
/// audience `azp` should be there, and when it is, it is this client.
pub fn validate_id_token_azp(id_token: &Jwt, client_id: &str) -> Outcome {
    let several = id_token.claim("aud").and_then(Value::as_array).is_some_and(|a| a.len() > 1);
    match id_token.claim("azp").and_then(Value::as_str) {
        Some(azp) if azp != client_id => {
            Err(format!("'azp' is not our client id (expected {client_id}, actual {azp})"))
        }
        None if several => Err("several audiences but no 'azp'".into()),
        _ => Ok(()),
    }
}

/// The standard claims' types (`AbstractValidateOpenIdStandardClaims`, for the claims this port
/// can meet: strings, booleans, `updated_at` and `address`).
fn standard_claims_are_valid(claims: &Value, location: &str) -> Outcome {
    let strings = [
        "sub",
        "name",
        "given_name",
        "family_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "email",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "phone_number",
    ];
    let mut errors = Vec::new();
    for (name, value) in claims.as_object().into_iter().flatten() {
        let ok = match name.as_str() {
            n if strings.contains(&n) => {
                value.as_str().is_some_and(|s| !s.trim().is_empty() && !s.eq_ignore_ascii_case("null"))
            }
            "email_verified" | "phone_number_verified" => value.is_boolean(),
            "updated_at" => value.is_number(),
            "address" => value.is_object(),
            _ => true,
        };
        if !ok {
            errors.push(format!("{name}: {value}"));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(format!("{location} claims are not valid: {errors:?}")) }
}

/// `ValidateIdTokenStandardClaims`: the identity claims (all but the token's own).
pub fn validate_id_token_standard_claims(id_token: &Jwt) -> Outcome {
    let mut identity = id_token.claims.clone();
    if let Some(o) = identity.as_object_mut() {
        for own in [
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "acr",
            "amr",
            "azp",
            "c_hash",
            "at_hash",
            "s_hash",
            "jti",
            "nbf",
            "verified_claims",
        ] {
            o.remove(own);
        }
    }
    standard_claims_are_valid(&identity, "id_token")
}

/// `ValidateIdTokenNonce`.
pub fn validate_id_token_nonce(id_token: &Jwt, expected: Option<&str>) -> Outcome {
    let actual = id_token.claim("nonce").and_then(Value::as_str);
    match (actual, expected) {
        (None, None) => Ok(()),
        (a, Some(e)) if a == Some(e) => Ok(()),
        (a, e) => Err(format!("Nonce values mismatch (actual {a:?}, expected {e:?})")),
    }
}

/// `ValidateIdTokenACRClaimAgainstRequest`: these modules ask for no `acr` in `claims`, so only
/// its type is checked.
pub fn validate_id_token_acr_claim_against_request(id_token: &Jwt) -> Outcome {
    match id_token.claim("acr") {
        Some(acr) if !acr.is_string() => Err("acr value in id_token must be a string".into()),
        _ => Ok(()),
    }
}

/// `CheckForSubjectInIdToken`.
pub fn check_for_subject_in_id_token(id_token: &Jwt) -> Outcome {
    let Some(sub) = id_token.claim("sub").and_then(Value::as_str).filter(|s| !s.is_empty()) else {
        return Err("id_token does not contain 'sub'".into());
    };
    if sub.len() > 255 {
        return Err("id_token 'sub' exceeds 255 ASCII characters".into());
    }
    if let Some((i, c)) = sub.char_indices().find(|(_, c)| (*c as u32) < 0x20 || (*c as u32) >= 0x7F) {
        return Err(format!("id_token 'sub' contains a non-printable or non-ASCII character {c:?} at offset {i}"));
    }
    Ok(())
}

/// `AbstractUpdatedAtValid`: if there, not in the future and not before 1990.
pub fn updated_at_valid(claims: &Value, location: &str) -> Outcome {
    let Some(updated_at) = as_i64(claims.get("updated_at")) else { return Ok(()) };
    if now() + TIME_SKEW_SECONDS < updated_at {
        return Err(format!("updated_at in {location} appears to be in the future"));
    }
    if updated_at < 631_152_000 {
        return Err(format!("updated_at in {location} appears to be prior to the year 1990"));
    }
    Ok(())
}

/// `EnsureIdTokenUpdatedAtValid`.
pub fn ensure_id_token_updated_at_valid(id_token: &Jwt) -> Outcome {
    updated_at_valid(&id_token.claims, "id_token")
}

/// The `kty` an algorithm's key has.
fn key_type(alg: &str) -> Option<&'static str> {
    match alg {
        "RS256" => Some("RSA"),
        "ES256" => Some("EC"),
        _ => None,
    }
}

fn b64(key: &Value, field: &str) -> Result<Vec<u8>, String> {
    let value = key.get(field).and_then(Value::as_str).ok_or_else(|| format!("key has no {field}"))?;
    URL_SAFE_NO_PAD.decode(value).map_err(|e| format!("key's {field} is not base64url: {e}"))
}

/// Whether `key` verifies the JWS's signature, with `ring` (RS256: PKCS#1 v1.5 with SHA-256;
/// ES256: P-256 with SHA-256, the signature as r‖s).
fn verify_with(key: &Value, alg: &str, jwt: &Jwt) -> Result<bool, String> {
    use ring::signature;
    let message = jwt.signing_input.as_bytes();
    Ok(match alg {
        "RS256" => {
            let public = signature::RsaPublicKeyComponents { n: b64(key, "n")?, e: b64(key, "e")? };
            public.verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, &jwt.signature).is_ok()
        }
        "ES256" => {
            if key.get("crv").and_then(Value::as_str) != Some("P-256") {
                return Ok(false);
            }
            let mut point = vec![0x04];
            point.extend(b64(key, "x")?);
            point.extend(b64(key, "y")?);
            signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(message, &jwt.signature)
                .is_ok()
        }
        other => return Err(format!("this port verifies RS256 and ES256, not {other}")),
    })
}

/// `AbstractVerifyJwsSignature`'s key selection: the key's type fits the algorithm, its `alg`
/// (if any) is the header's, its `use` (if any) is `sig`.
fn is_selected_key(key: &Value, alg: &str, kty: &str) -> bool {
    key.get("kty").and_then(Value::as_str) == Some(kty)
        && key.get("alg").and_then(Value::as_str).is_none_or(|a| a == alg)
        && key.get("use").and_then(Value::as_str).is_none_or(|u| u == "sig")
}

/// `ValidateIdTokenSignature`: the signature checked with the server's key the header names
/// (by `kid`), or with any key that fits when it names none.
pub fn validate_id_token_signature(id_token: &Jwt, server_jwks: &Value) -> Outcome {
    let alg = id_token.header.get("alg").and_then(Value::as_str).unwrap_or_default();
    let kty = key_type(alg).ok_or_else(|| format!("Error validating id_token signature: alg {alg:?}"))?;
    let keys = keys(server_jwks)?;
    let kid = id_token.header.get("kid").and_then(Value::as_str).filter(|k| !k.is_empty());
    if let Some(kid) = kid {
        let exact = keys
            .iter()
            .filter(|k| {
                k.get("kid").and_then(Value::as_str) == Some(kid)
                    && k.get("alg").and_then(Value::as_str) == Some(alg)
                    && k.get("use").and_then(Value::as_str) == Some("sig")
                    && k.get("kty").and_then(Value::as_str) == Some(kty)
            })
            .count();
        if exact > 1 {
            return Err(
                "Found more than one key in server JWKS that has the right kid, kty, alg and 'use':'sig'".into()
            );
        }
        for key in keys.iter().filter(|k| k.get("kid").and_then(Value::as_str) == Some(kid)) {
            if !is_selected_key(key, alg, kty) {
                continue;
            }
            return if verify_with(key, alg, id_token)? {
                Ok(())
            } else {
                Err("Unable to verify id_token signature based on server key with the correct kid, kty that also matches (or does not have) alg/x5t#S256/'use':'sig'".into())
            };
        }
        return Err(format!(
            "server JWKS does not contain a key with the correct kid, kty that also matches (or does not have) alg/x5t#S256/'use':'sig' (kid {kid}, alg {alg})"
        ));
    }
    let candidates: Vec<&Value> = keys.iter().filter(|k| is_selected_key(k, alg, kty)).collect();
    if candidates.is_empty() {
        return Err("server JWKS does not contain a key with the correct kty that also matches (or does not have) alg/x5t#S256/'use':'sig'".into());
    }
    for key in candidates {
        if verify_with(key, alg, id_token)? {
            return Ok(());
        }
    }
    Err("Unable to verify id_token signature based on server keys".into())
}

/// `EnsureIdTokenSignatureIsRS256` (which oidcc-idtoken-signature runs for a client that names
/// no algorithm), for the algorithm a static client registered: RS256 unless it registered
/// `id_token_signed_response_alg` (Core §3.1.3.7 step 7; Registration §2).
pub fn ensure_id_token_signature_is_registered_alg(id_token: &Jwt, registered: Option<&str>) -> Outcome {
    let expected = registered.unwrap_or("RS256");
    match id_token.header.get("alg").and_then(Value::as_str) {
        Some(alg) if alg == expected => Ok(()),
        other => Err(format!("id_token was signed with {other:?}, but the client expects {expected}")),
    }
}

/// `EnsureIdTokenDoesNotContainName` (a warning).
pub fn ensure_id_token_does_not_contain_name(id_token: &Jwt) -> Outcome {
    if id_token.claim("name").is_some() { Err("Unexpectedly found name in id_token.".into()) } else { Ok(()) }
}

/// The claims each scope stands for (`AbstractVerifyScopesReturnedInClaims`).
fn scope_claims(scope: &str) -> Option<&'static [&'static str]> {
    Some(match scope {
        "openid" => &["sub"],
        "profile" => &[
            "name",
            "given_name",
            "family_name",
            "middle_name",
            "nickname",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
            "preferred_username",
        ],
        "email" => &["email", "email_verified"],
        "address" => &["address"],
        "phone" => &["phone_number", "phone_number_verified"],
        "offline_access" => &[],
        _ => return None,
    })
}

/// `EnsureIdTokenDoesNotContainNonRequestedClaims` (a warning).
pub fn ensure_id_token_does_not_contain_non_requested_claims(id_token: &Jwt, scope: &str) -> Outcome {
    let mut valid: Vec<&str> = vec![
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "acr",
        "amr",
        "azp",
        "at_hash",
        "c_hash",
        "nbf",
        "jti",
        "sid",
        "s_hash",
        "openbanking_intent_id",
        "txn",
    ];
    let scopes: Vec<&str> = scope.split(' ').collect();
    if scopes.contains(&"openid") {
        valid.extend(scopes.iter().filter_map(|s| scope_claims(s)).flatten());
    }
    let extra: Vec<&String> = id_token
        .claims
        .as_object()
        .into_iter()
        .flat_map(|o| o.keys())
        .filter(|k| !valid.contains(&k.as_str()))
        .collect();
    if extra.is_empty() { Ok(()) } else { Err(format!("id_token contains non-requested claims: {extra:?}")) }
}

/// `CheckIdTokenAuthTimeClaimsSameIfPresent`.
pub fn check_id_token_auth_time_claims_same_if_present(first: &Jwt, second: &Jwt) -> Outcome {
    match (as_i64(first.claim("auth_time")), as_i64(second.claim("auth_time"))) {
        (Some(a), Some(b)) if a != b => Err(format!(
            "The id_tokens contain different auth_time claims, but must contain the same auth_time. (first {a}, second {b})"
        )),
        _ => Ok(()),
    }
}

/// `CheckIdTokenSubConsistentForSecondAuthorization`.
pub fn check_id_token_sub_consistent_for_second_authorization(first: &Jwt, second: &Jwt) -> Outcome {
    if first.claim("sub") == second.claim("sub") {
        Ok(())
    } else {
        Err("The id_token from the first and second authorization contain different sub claims, but must contain the same sub.".into())
    }
}

/// `CheckSecondIdTokenAuthTimeIsLaterIfPresent`.
pub fn check_second_id_token_auth_time_is_later_if_present(first: &Jwt, second: &Jwt) -> Outcome {
    match (as_i64(first.claim("auth_time")), as_i64(second.claim("auth_time"))) {
        (Some(a), Some(b)) if a == b => Err("prompt=login means the server was required to reauthenticate the user, the id_token from the second authorization incorrectly has the same auth_time as the id_token from the first authorization".into()),
        (Some(a), Some(b)) if a > b => Err("The id_token from the second authorization incorrectly has an earlier auth_time than the id_token from the first authorization".into()),
        _ => Ok(()),
    }
}

/// `CheckIdTokenAuthTimeClaimPresentDueToMaxAge`.
pub fn check_id_token_auth_time_claim_present_due_to_max_age(id_token: &Jwt) -> Outcome {
    if id_token.claim("auth_time").is_some() {
        Ok(())
    } else {
        Err("auth_time claim is missing from the id_token, but it is required for a authentication where the max_age parameter was used".into())
    }
}

/// `CheckIdTokenAuthTimeIsRecentIfPresent`: within a second, allowing the five minutes of skew.
pub fn check_id_token_auth_time_is_recent_if_present(id_token: &Jwt) -> Outcome {
    match as_i64(id_token.claim("auth_time")) {
        Some(t) if now() - TIME_SKEW_SECONDS - 1 > t => {
            Err("id_token auth_time is older than 1 second (allowing 5 minutes skews)".into())
        }
        _ => Ok(()),
    }
}

/// `ValidateIdTokenACRClaimAgainstAcrValuesRequest` (a warning): one of the values asked for.
pub fn validate_id_token_acr_claim_against_acr_values_request(id_token: &Jwt, acr_values: &str) -> Outcome {
    match id_token.claim("acr").and_then(Value::as_str) {
        Some(acr) if acr_values.split(' ').any(|v| v == acr) => Ok(()),
        other => Err(format!("acr in the id_token ({other:?}) is not one of the requested values {acr_values}")),
    }
}

// ---- Userinfo

/// `EnsureHttpStatusCodeIs200`.
pub fn ensure_http_status_code_is_200(status: u16, body: &str) -> Outcome {
    if status == 200 { Ok(()) } else { Err(format!("endpoint returned HTTP {status}, not 200: {body}")) }
}

/// `EnsureHttpStatusCodeIs4xx` (a warning in oidcc-codereuse-30seconds).
pub fn ensure_http_status_code_is_4xx(status: u16) -> Outcome {
    if (400..500).contains(&status) { Ok(()) } else { Err(format!("endpoint returned HTTP {status}, not 4xx")) }
}

/// `EnsureContentTypeJson`.
pub fn ensure_content_type_json(content_type: Option<&str>) -> Outcome {
    check_discovery_endpoint_returned_json_content_type(content_type)
}

/// `ExtractUserInfoFromUserInfoEndpointResponse`.
pub fn extract_user_info_from_user_info_endpoint_response(body: &str) -> Result<Value, String> {
    match serde_json::from_str::<Value>(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(format!("userinfo response is not a JSON object: {body}")),
    }
}

/// `ValidateUserInfoStandardClaims`.
pub fn validate_user_info_standard_claims(userinfo: &Value) -> Outcome {
    standard_claims_are_valid(userinfo, "userinfo")
}

/// `EnsureUserInfoContainsSub`.
pub fn ensure_user_info_contains_sub(userinfo: &Value) -> Outcome {
    if userinfo.get("sub").and_then(Value::as_str).is_some_and(|s| !s.is_empty()) {
        Ok(())
    } else {
        Err("sub not found in userinfo".into())
    }
}

/// `EnsureUserInfoUpdatedAtValid`.
pub fn ensure_user_info_updated_at_valid(userinfo: &Value) -> Outcome {
    updated_at_valid(userinfo, "userinfo")
}

/// `EnsureMemberValuesInClaimNameReferenceToMemberNamesInClaimSources`: each `_claim_names`
/// member names a `_claim_sources` member.
pub fn ensure_member_values_in_claim_name_reference_to_member_names_in_claim_sources(userinfo: &Value) -> Outcome {
    let Some(names) = userinfo.get("_claim_names").and_then(Value::as_object) else { return Ok(()) };
    let sources = userinfo.get("_claim_sources").and_then(Value::as_object);
    for (claim, source) in names {
        let source = source.as_str().unwrap_or_default();
        if sources.is_none_or(|s| !s.contains_key(source)) {
            return Err(format!("_claim_names.{claim} names {source}, which is not in _claim_sources"));
        }
    }
    Ok(())
}

/// `VerifyUserInfoAndIdTokenInTokenEndpointSameSub`.
pub fn verify_user_info_and_id_token_in_token_endpoint_same_sub(userinfo: &Value, id_token: &Jwt) -> Outcome {
    if userinfo.get("sub") == id_token.claim("sub") {
        Ok(())
    } else {
        Err(format!("sub in userinfo ({:?}) is not the id_token's ({:?})", userinfo.get("sub"), id_token.claim("sub")))
    }
}

/// `VerifyScopesReturnedInUserInfoClaims` (a warning).
pub fn verify_scopes_returned_in_user_info_claims(userinfo: &Value, scope: &str) -> Outcome {
    let claims: Vec<&str> = scope.split(' ').filter_map(scope_claims).flatten().copied().collect();
    let missing: Vec<&&str> = claims.iter().filter(|c| userinfo.get(**c).is_none()).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "'claims' in userinfo doesn't contain all scope items of scope in authorization request: missing {missing:?}"
        ))
    }
}

/// `EnsureUserInfoContainsName` (a warning).
pub fn ensure_user_info_contains_name(userinfo: &Value) -> Outcome {
    if userinfo.get("name").is_some() { Ok(()) } else { Err("name not found in userinfo".into()) }
}
