//! What the suite provides around its conditions: the provider (otp-local in-process, its issuer
//! an https name mapped to the local server), a browser that keeps cookies, the person who
//! types the number and the code the simulator sent, and the relying party's steps of
//! `AbstractOIDCCServerTest` (configure, authorize, callback, token, userinfo), each step's
//! conditions logged as the suite logs them: a failure that stops the module, a failure it
//! continues past, a warning, or information.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::conditions::{self, Jwt, Outcome, param};

/// The provider's issuer: https, as the suite requires, served by otp-local on 127.0.0.1.
pub const ISSUER: &str = "https://op.example.test";
/// The suite's redirect URI (`CreateRedirectUri`: its base URL and `/callback`).
pub const REDIRECT_URI: &str = "https://rp.example.test/callback";
/// Where every address of the client starts.
const CLIENT_ORIGIN: &str = "https://rp.example.test/";
/// The number the person proves.
pub const PHONE: &str = "+14155552671";
/// The registration field naming a client's ID token algorithm (the contract's name).
pub const ID_TOKEN_ALG_FIELD: &str = "id_token_signed_response_alg";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    SecretBasic,
    SecretPost,
}

/// A statically registered client, as the suite's configuration names it.
#[derive(Clone, Copy, Debug)]
pub struct StaticClient {
    pub id: &'static str,
    pub secret: &'static str,
    pub auth: ClientAuth,
    /// Its `id_token_signed_response_alg`, when it registers one.
    pub alg: Option<&'static str>,
}

/// The suite's `client` for every module of the Basic plan's client_secret_basic variant: no
/// algorithm registered, so its ID tokens are RS256.
pub const CLIENT: StaticClient = StaticClient {
    id: "conformance-basic",
    secret: "basic-secret-0123456789abcdef0123456789",
    auth: ClientAuth::SecretBasic,
    alg: None,
};

/// The suite's `client_secret_post` client (oidcc-server-client-secret-post), registered for
/// ES256 so that the other algorithm is checked too.
pub const CLIENT_SECRET_POST: StaticClient = StaticClient {
    id: "conformance-post",
    secret: "post-secret-0123456789abcdef0123456789ab",
    auth: ClientAuth::SecretPost,
    alg: Some("ES256"),
};

/// The signing keys: a P-256 key first (what a deployment signed with before RS256), then the
/// RFC 9500 test RSA key, so that both algorithms are on offer.
fn signing_keys() -> String {
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    let document = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &ring::rand::SystemRandom::new())
        .expect("a P-256 key");
    let body = STANDARD.encode(document.as_ref());
    let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    let p256 = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", lines.join("\n"));
    let rsa = include_str!("../../../shared/tests/rfc9500-test-rsa2048.pem");
    let rsa = &rsa[rsa.find("-----BEGIN").expect("a PEM block")..];
    format!("{p256}{rsa}")
}

fn page_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("oidcc-page-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>Sign in</title>").unwrap();
    dir
}

/// Runs a module on otp-local's own runtime, whose workers' stacks are as deep as otp-local's.
pub fn on_the_local_runtime<F: std::future::Future>(module: F) -> F::Output {
    otp_local::runtime().unwrap().block_on(module)
}

/// An HTTP answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// A browser's cookie jar for the provider's origin. A `__Host-` cookie is kept only as a browser
/// keeps it: `Secure`, `Path=/` and no `Domain` (RFC 6265bis §4.1.3.2).
#[derive(Default)]
struct CookieJar(Vec<(String, String)>);

impl CookieJar {
    fn store(&mut self, set_cookie: &str) {
        let mut parts = set_cookie.split(';').map(str::trim);
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else { return };
        let attributes: Vec<(String, String)> = parts
            .map(|a| a.split_once('=').map_or((a, ""), |(k, v)| (k, v)))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
            .collect();
        let has = |name: &str| attributes.iter().any(|(k, _)| k == name);
        let get = |name: &str| attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        if name.starts_with("__Host-") && (!has("secure") || get("path") != Some("/") || has("domain")) {
            return;
        }
        self.0.retain(|(n, _)| n != name);
        let expired = get("max-age").and_then(|v| v.parse::<i64>().ok()).is_some_and(|age| age <= 0);
        if !expired && !value.is_empty() {
            self.0.push((name.to_owned(), value.to_owned()));
        }
    }

    fn header(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| self.0.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; "))
    }
}

/// Where the browser ended up after the authorization endpoint.
#[derive(Debug)]
pub enum Landing {
    /// Back at the client (an address of its origin), with the query's parameters.
    Callback(String, Vec<(String, String)>),
    /// On the provider's error page (`/sign-in?error=…`), never sent back to the client.
    ErrorPage(String),
    /// Anything else: an answer that was neither.
    Elsewhere(String),
}

/// A browser's visit to the authorization endpoint: where it ended, and whether the person was
/// asked for a code on the way.
#[derive(Debug)]
pub struct Visit {
    pub landing: Landing,
    pub asked_for_a_code: bool,
}

/// The provider, running, and the one browser that talks to it.
pub struct Op {
    local: String,
    http: reqwest::Client,
    jar: Mutex<CookieJar>,
    _serving: otp_local::Serving,
}

impl Op {
    /// otp-local with the simulator and the in-memory store, `clients` registered.
    pub async fn start(clients: &[StaticClient]) -> Self {
        shared::adapters::tls::install_crypto_provider();
        let registrations: Vec<Value> = clients
            .iter()
            .map(|c| {
                let mut r = json!({"clientId": c.id, "name": "Conformance client", "redirectUris": [REDIRECT_URI]});
                if let Some(alg) = c.alg {
                    r[ID_TOKEN_ALG_FIELD] = alg.into();
                }
                r
            })
            .collect();
        let secrets: serde_json::Map<String, Value> =
            clients.iter().map(|c| (c.id.to_owned(), c.secret.into())).collect();
        let env: HashMap<String, String> = [
            ("PORT", "0".to_owned()),
            ("FRONTEND_DIST", page_dir().display().to_string()),
            ("OTP_LOCAL_PRINT_SMS", "false".to_owned()),
            ("TOKEN_ISSUER", ISSUER.to_owned()),
            ("TOKEN_SIGNING_KEYS", signing_keys()),
            ("RELYING_PARTIES", Value::Array(registrations).to_string()),
            ("RELYING_PARTY_SECRETS", Value::Object(secrets).to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let serving = otp_local::serve_here(move |name| env.get(name).cloned(), false)
            .await
            .unwrap_or_else(|e| panic!("the provider did not start: {e}"));
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { local: serving.url.clone(), http, jar: Mutex::default(), _serving: serving }
    }

    /// The local address an address of the issuer is served at.
    fn local(&self, url: &str) -> String {
        match url.strip_prefix(ISSUER) {
            Some(rest) => format!("{}{rest}", self.local),
            None => panic!("{url} is not at the issuer {ISSUER}"),
        }
    }

    /// A request to an address of the issuer, cookies and all, as a browser or the client sends it.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<(&str, String)>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self.http.request(method, self.local(url));
        if let Some(cookies) = self.jar.lock().unwrap().header() {
            request = request.header("cookie", cookies);
        }
        if let Some((content_type, body)) = body {
            request = request.header("content-type", content_type).body(body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for set in headers.get_all("set-cookie") {
            self.jar.lock().unwrap().store(set.to_str().unwrap_or_default());
        }
        Answer { status, headers, body: response.text().await.unwrap_or_default() }
    }

    pub async fn get(&self, url: &str) -> Answer {
        self.send(Method::GET, url, None, &[]).await
    }

    pub async fn post_json(&self, url: &str, body: &Value) -> Answer {
        self.send(Method::POST, url, Some(("application/json", body.to_string())), &[]).await
    }

    /// The person waits `seconds` (the simulator's clock and the provider's move together).
    pub async fn wait(&self, seconds: u64) {
        let moved = self.post_json(&format!("{ISSUER}/api/dev/clock"), &json!({"advanceSeconds": seconds})).await;
        assert_eq!(moved.status, 200, "moving the clock: {}", moved.body);
    }

    /// The browser goes to the authorization endpoint (`GET url`, or a form `POST` of `form`
    /// to it) and follows where it is sent; on the sign-in page the person proves the number.
    pub async fn browse(&self, method: Method, url: &str, form: Option<String>) -> Visit {
        let mut asked_for_a_code = false;
        let mut answer = self.send(method, url, form.map(|f| ("application/x-www-form-urlencoded", f)), &[]).await;
        for _ in 0..5 {
            let location = match (answer.status, answer.header("location")) {
                (301 | 302 | 303 | 307 | 308, Some(location)) => absolute(location),
                _ => {
                    let landing =
                        Landing::Elsewhere(format!("HTTP {} without a redirect: {:.200}", answer.status, answer.body));
                    return Visit { landing, asked_for_a_code };
                }
            };
            if location.starts_with(CLIENT_ORIGIN) {
                return Visit { landing: Landing::Callback(location.clone(), query(&location)), asked_for_a_code };
            }
            let Some(page) = location.strip_prefix(&format!("{ISSUER}/sign-in")) else {
                answer = self.get(&location).await;
                continue;
            };
            let params = query(page);
            if let Some(flow) = param(&params, "flow") {
                asked_for_a_code = true;
                let back = self.sign_in(&location, flow).await;
                if back.starts_with(CLIENT_ORIGIN) {
                    return Visit { landing: Landing::Callback(back.clone(), query(&back)), asked_for_a_code };
                }
                answer = self.get(&back).await;
                continue;
            }
            return Visit { landing: Landing::ErrorPage(location), asked_for_a_code };
        }
        Visit { landing: Landing::Elsewhere(format!("redirected too often, last at {url}")), asked_for_a_code }
    }

    /// The person on the sign-in page of `flow`: the page opens it, a code is sent to the
    /// number (after the resend gap, when the last one was too recent), the code is typed.
    /// Returns where the page sends the browser.
    async fn sign_in(&self, page: &str, flow: &str) -> String {
        let shown = self.get(page).await;
        assert_eq!(shown.status, 200, "the sign-in page: {}", shown.body);
        let opened = self.post_json(&format!("{ISSUER}/api/authorize"), &json!({"flowId": flow})).await;
        assert_eq!(opened.status, 200, "the page opens its flow: {}", opened.body);
        let ask = json!({"phoneNumber": PHONE, "flowId": flow});
        let mut sent = self.post_json(&format!("{ISSUER}/api/request-otp"), &ask).await;
        if sent.status == 429 {
            let wait = sent.header("retry-after").and_then(|s| s.parse().ok()).unwrap_or(60);
            self.wait(wait).await;
            sent = self.post_json(&format!("{ISSUER}/api/request-otp"), &ask).await;
        }
        assert_eq!(sent.status, 200, "a code is sent: {}", sent.body);
        let to = PHONE.trim_start_matches('+');
        let messages = self.get(&format!("{ISSUER}/api/dev/messages?to={to}")).await.json();
        let code = messages.as_array().and_then(|m| m.last()).and_then(|m| m["code"].as_str()).expect("a message");
        let typed = json!({"requestId": sent.json()["requestId"], "code": code, "flowId": flow});
        let verified = self.post_json(&format!("{ISSUER}/api/verify-otp"), &typed).await;
        assert_eq!(verified.status, 200, "the code is accepted: {}", verified.body);
        verified.json()["redirectTo"].as_str().map(absolute).expect("verify-otp names where the sign-in goes")
    }
}

fn absolute(location: &str) -> String {
    if location.starts_with('/') { format!("{ISSUER}{location}") } else { location.to_owned() }
}

/// The query parameters of an address, decoded, in order.
pub fn query(address: &str) -> Vec<(String, String)> {
    let query = address.split_once('?').map_or("", |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

pub fn form(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// How a condition's failure is taken, as the suite's `callAndStopOnFailure`,
/// `callAndContinueOnFailure(…, FAILURE | WARNING | INFO)`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Then {
    Stop,
    Failure,
    Warning,
    Info,
}

/// The module's log: its failures fail the test (at once for `Stop`, at the end otherwise);
/// warnings and information are printed.
#[derive(Default)]
pub struct Log {
    failures: Vec<String>,
}

impl Log {
    pub fn condition(&mut self, then: Then, name: &str, outcome: Outcome) {
        let Err(why) = outcome else { return };
        let line = format!("{name}: {why}");
        match then {
            Then::Stop => {
                self.failures.push(line);
                panic!("the module stops:\n  {}", self.failures.join("\n  "));
            }
            Then::Failure => self.failures.push(line),
            Then::Warning => eprintln!("warning: {line}"),
            Then::Info => eprintln!("info: {line}"),
        }
    }

    /// `fireTestFinished`: passed unless a condition failed.
    pub fn finish(&self) {
        assert!(self.failures.is_empty(), "the module failed:\n  {}", self.failures.join("\n  "));
    }
}

/// Runs a condition function and logs its outcome under the function's name.
#[macro_export]
macro_rules! call {
    ($log:expr, $then:ident, $f:ident ( $($arg:expr),* $(,)? )) => {
        $log.condition($crate::harness::Then::$then, stringify!($f), $f($($arg),*))
    };
}

/// The authorization request a module builds (`CreateAuthorizationRequestSteps` and what the
/// module adds), its parameters in the order they are sent.
#[derive(Clone, Debug)]
pub struct AuthorizationRequest {
    pub params: Vec<(String, String)>,
    pub code_verifier: Option<String>,
}

impl AuthorizationRequest {
    pub fn get(&self, name: &str) -> Option<&str> {
        param(&self.params, name)
    }

    pub fn set(&mut self, name: &str, value: &str) {
        self.remove(name);
        self.params.push((name.to_owned(), value.to_owned()));
    }

    pub fn remove(&mut self, name: &str) {
        self.params.retain(|(n, _)| n != name);
    }

    /// `SetupPkceAndAddToAuthorizationRequest`: a verifier and its S256 challenge.
    pub fn with_pkce(mut self) -> Self {
        let verifier = random_alphanumeric(43);
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()));
        self.set("code_challenge", &challenge);
        self.set("code_challenge_method", "S256");
        self.code_verifier = Some(verifier);
        self
    }
}

/// `RandomStringUtils.secure().nextAlphanumeric`.
pub fn random_alphanumeric(length: usize) -> String {
    use ring::rand::SecureRandom;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0_u8; length];
    ring::rand::SystemRandom::new().fill(&mut bytes).unwrap();
    bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect()
}

/// What the token endpoint answered, and the ID token in it.
#[derive(Clone, Debug)]
pub struct Tokens {
    pub response: Value,
    pub access_token: String,
    pub id_token: Jwt,
}

/// One module's run: the provider, the suite's environment (the server's metadata and keys, the
/// client, the scope) and its log.
pub struct Module {
    pub op: Op,
    pub log: Log,
    pub server: Value,
    pub server_jwks: Value,
    pub client: StaticClient,
    pub scope: String,
    /// Whether the person was asked for a code in the last visit to the authorization endpoint.
    pub asked_for_a_code: bool,
}

impl Module {
    /// `AbstractOIDCCServerTest.configure` for the discovery and static-client variants.
    pub async fn configure(client: StaticClient) -> Self {
        use conditions::*;
        let op = Op::start(&[client]).await;
        let mut log = Log::default();
        let discovery = op.get(&format!("{ISSUER}/.well-known/openid-configuration")).await;
        let server = discovery.json();
        call!(log, Stop, ensure_discovery_endpoint_response_status_code_is_200(discovery.status));
        call!(log, Stop, check_server_configuration(&server));
        let jwks_uri = server["jwks_uri"].as_str().unwrap_or_default();
        let server_jwks = op.get(jwks_uri).await.json();
        call!(log, Warning, validate_jwks(&server_jwks));
        call!(log, Failure, check_for_key_id_in_server_jwks(&server_jwks));
        call!(log, Failure, check_distinct_key_id_value_in_server_jwks(&server_jwks));
        match client.auth {
            ClientAuth::SecretBasic => {
                call!(log, Failure, ensure_server_configuration_supports_client_secret_basic(&server))
            }
            ClientAuth::SecretPost => {
                call!(log, Failure, ensure_server_configuration_supports_client_secret_post(&server))
            }
        }
        Self { op, log, server, server_jwks, client, scope: "openid".to_owned(), asked_for_a_code: false }
    }

    pub fn issuer(&self) -> &str {
        self.server["issuer"].as_str().unwrap_or_default()
    }

    /// `CreateAuthorizationRequestSteps`: client_id, redirect_uri, scope, a random state and
    /// nonce, response_type=code.
    pub fn create_authorization_request(&self) -> AuthorizationRequest {
        self.create_authorization_request_with_state_length(10)
    }

    pub fn create_authorization_request_with_state_length(&self, state_length: usize) -> AuthorizationRequest {
        let state = if state_length > 10 {
            random_alphanumeric(state_length - 4) + "-._~"
        } else {
            random_alphanumeric(state_length)
        };
        let params = [
            ("client_id", self.client.id.to_owned()),
            ("redirect_uri", REDIRECT_URI.to_owned()),
            ("scope", self.scope.clone()),
            ("state", state),
            ("nonce", random_alphanumeric(10)),
            ("response_type", "code".to_owned()),
        ];
        let params = params.into_iter().map(|(n, v)| (n.to_owned(), v)).collect();
        AuthorizationRequest { params, code_verifier: None }
    }

    fn authorization_endpoint(&self) -> String {
        self.server["authorization_endpoint"].as_str().unwrap_or_default().to_owned()
    }

    /// `BuildPlainRedirectToAuthorizationEndpoint`.
    pub fn build_plain_redirect_to_authorization_endpoint(&self, request: &AuthorizationRequest) -> String {
        format!("{}?{}", self.authorization_endpoint(), form(&request.params))
    }

    /// `performRedirect`: the browser is sent to `url`.
    pub async fn perform_redirect(&self, url: &str) -> Visit {
        self.op.browse(Method::GET, url, None).await
    }

    /// `performRedirect("POST")`: the browser posts the request as a form.
    pub async fn perform_post_redirect(&self, request: &AuthorizationRequest) -> Visit {
        self.op.browse(Method::POST, &self.authorization_endpoint(), Some(form(&request.params))).await
    }

    /// The callback's parameters, or the module stops: the browser was not sent back.
    pub fn callback(&mut self, visit: &Visit) -> Vec<(String, String)> {
        self.asked_for_a_code = visit.asked_for_a_code;
        match &visit.landing {
            Landing::Callback(address, params) if address.split('?').next() == Some(REDIRECT_URI) => params.clone(),
            other => {
                let why = Err(format!("the browser was not sent back to the client: {other:?}"));
                self.log.condition(Then::Stop, "performRedirect", why);
                unreachable!()
            }
        }
    }

    /// `onAuthorizationCallbackResponse` up to the code.
    pub fn on_authorization_callback_response(
        &mut self,
        request: &AuthorizationRequest,
        params: &[(String, String)],
    ) -> String {
        use conditions::*;
        let issuer = self.issuer().to_owned();
        call!(self.log, Failure, check_matching_callback_parameters(REDIRECT_URI, params));
        call!(self.log, Failure, validate_iss_if_present_in_authorization_response(&issuer, params));
        call!(self.log, Stop, check_if_authorization_endpoint_error(params));
        call!(self.log, Failure, check_state_in_authorization_response(request.get("state"), params));
        let code = extract_authorization_code_from_authorization_response(params);
        self.log.condition(
            Then::Stop,
            "extract_authorization_code_from_authorization_response",
            code.clone().map(|_| ()),
        );
        code.unwrap()
    }

    /// `performGenericAuthorizationEndpointErrorResponseValidation`.
    pub fn perform_generic_authorization_endpoint_error_response_validation(
        &mut self,
        request: &AuthorizationRequest,
        params: &[(String, String)],
    ) {
        use conditions::*;
        let issuer = self.issuer().to_owned();
        call!(self.log, Failure, check_state_in_authorization_response(request.get("state"), params));
        call!(self.log, Failure, validate_iss_if_present_in_authorization_response(&issuer, params));
        call!(self.log, Failure, ensure_error_from_authorization_endpoint_response(params));
        call!(self.log, Failure, reject_auth_code_in_authorization_endpoint_response(params));
        call!(self.log, Warning, check_for_unexpected_parameters_in_error_response_from_authorization_endpoint(params));
        call!(self.log, Warning, check_error_description_contains_crlftab(param(params, "error_description")));
        call!(self.log, Failure, validate_error_description(param(params, "error_description")));
        call!(self.log, Failure, validate_error_uri(param(params, "error_uri")));
    }

    /// `CreateTokenEndpointRequestForAuthorizationCodeGrant` with the client's authentication
    /// (`AddBasicAuthClientSecretToRequest`, `AddFormBasedClientSecretToRequest`) and, with
    /// PKCE, `AddCodeVerifierToTokenEndpointRequest`; sent to the token endpoint.
    pub async fn call_token_endpoint(&self, request: &AuthorizationRequest, code: &str) -> Answer {
        let mut body = vec![
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), code.to_owned()),
            ("redirect_uri".to_owned(), REDIRECT_URI.to_owned()),
        ];
        if let Some(verifier) = &request.code_verifier {
            body.push(("code_verifier".to_owned(), verifier.clone()));
        }
        let mut headers = Vec::new();
        let basic;
        match self.client.auth {
            ClientAuth::SecretBasic => {
                let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                let pair = format!("{}:{}", encode(self.client.id), encode(self.client.secret));
                basic = format!("Basic {}", STANDARD.encode(pair));
                headers.push(("authorization", basic.as_str()));
            }
            ClientAuth::SecretPost => {
                body.push(("client_id".to_owned(), self.client.id.to_owned()));
                body.push(("client_secret".to_owned(), self.client.secret.to_owned()));
            }
        }
        let token_endpoint = self.server["token_endpoint"].as_str().unwrap_or_default();
        let form_body = Some(("application/x-www-form-urlencoded", form(&body)));
        self.op.send(Method::POST, token_endpoint, form_body, &headers).await
    }

    /// `requestAuthorizationCode`: the code redeemed, the answer and its ID token checked.
    pub async fn request_authorization_code(&mut self, request: &AuthorizationRequest, code: &str) -> Tokens {
        use conditions::*;
        let answer = self.call_token_endpoint(request, code).await;
        let response = answer.json();
        call!(self.log, Stop, check_token_endpoint_http_status_200(answer.status, &answer.body));
        call!(self.log, Stop, check_if_token_endpoint_response_error(&response));
        call!(self.log, Stop, check_for_access_token_value(&response));
        call!(self.log, Info, extract_expires_in_from_token_endpoint_response(&response));
        if let Some(expires_in) = response.get("expires_in") {
            call!(self.log, Failure, validate_expires_in(expires_in));
        }
        call!(self.log, Info, check_for_refresh_token_value(&response));
        let id_token = extract_id_token_from_token_response(&response);
        self.log.condition(Then::Stop, "extract_id_token_from_token_response", id_token.clone().map(|_| ()));
        let id_token = id_token.unwrap();
        self.perform_id_token_validation(&id_token, request.get("nonce"));
        let access_token = response["access_token"].as_str().unwrap_or_default().to_owned();
        Tokens { response, access_token, id_token }
    }

    /// `PerformStandardIdTokenChecks`, then the algorithm the client registered and `azp`.
    pub fn perform_id_token_validation(&mut self, id_token: &Jwt, nonce: Option<&str>) {
        use conditions::*;
        let (client_id, issuer) = (self.client.id, self.issuer().to_owned());
        call!(self.log, Failure, validate_id_token(id_token, client_id, &issuer));
        call!(self.log, Failure, validate_id_token_standard_claims(id_token));
        call!(self.log, Failure, validate_id_token_nonce(id_token, nonce));
        call!(self.log, Failure, validate_id_token_acr_claim_against_request(id_token));
        call!(self.log, Failure, validate_id_token_signature(id_token, &self.server_jwks));
        call!(self.log, Failure, check_for_subject_in_id_token(id_token));
        call!(self.log, Failure, ensure_id_token_updated_at_valid(id_token));
        call!(self.log, Failure, ensure_id_token_signature_is_registered_alg(id_token, self.client.alg));
        call!(self.log, Failure, validate_id_token_azp(id_token, client_id));
    }

    /// `CallProtectedResource` / `CallUserInfoEndpoint`: userinfo with the access token in the
    /// `Authorization` header, by GET (or POST).
    pub async fn call_user_info_endpoint(&self, method: Method, tokens: &Tokens) -> Answer {
        let userinfo = self.server["userinfo_endpoint"].as_str().unwrap_or_default();
        let bearer = format!("Bearer {}", tokens.access_token);
        self.op.send(method, userinfo, None, &[("authorization", &bearer)]).await
    }

    /// `requestProtectedResource`.
    pub async fn request_protected_resource(&mut self, tokens: &Tokens) -> Answer {
        let answer = self.call_user_info_endpoint(Method::GET, tokens).await;
        let outcome = conditions::ensure_http_status_code_is_200(answer.status, &answer.body);
        self.log.condition(Then::Failure, "ensure_http_status_code_is_200", outcome);
        answer
    }

    /// `performAuthorizationFlow` through `performPostAuthorizationFlow` for a module that
    /// changes nothing on the way: the redirect, the callback, the token, userinfo.
    pub async fn authorization_flow(&mut self, request: &AuthorizationRequest) -> Tokens {
        let url = self.build_plain_redirect_to_authorization_endpoint(request);
        let visit = self.perform_redirect(&url).await;
        let params = self.callback(&visit);
        let code = self.on_authorization_callback_response(request, &params);
        let tokens = self.request_authorization_code(request, &code).await;
        self.request_protected_resource(&tokens).await;
        tokens
    }
}
