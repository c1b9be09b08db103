//! Keeps `template.yaml` wired to the code: the functions it deploys are the workspace's binaries,
//! the table's TTL attribute is the one the store writes, the environment it sets is exactly what
//! the code reads (and loads), its routes are the API contract's, and each function may call
//! exactly the DynamoDB actions its code path reaches.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Value, json};
use shared::adapters::sign_in_secret::{SECRET_HELD, SecretValues, VONAGE_HELD};
use shared::runtime::config::{Config, Settings, StoreConfig, TokenConfig};
use syn::visit::Visit;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

pub(crate) fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// The template, with CloudFormation's short tags (`!Ref`, `!Sub`, ...) turned into their long
// form (`{"Ref": ...}`, `{"Fn::Sub": ...}`) so it reads as plain JSON.

pub(crate) fn template() -> Value {
    template_at("template.yaml")
}

pub(crate) fn template_at(path: &str) -> Value {
    let yaml: serde_norway::Value = serde_norway::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    long_form(yaml)
}

fn long_form(yaml: serde_norway::Value) -> Value {
    use serde_norway::Value as Y;
    match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => b.into(),
        Y::Number(n) => serde_json::to_value(n).unwrap(),
        Y::String(s) => s.into(),
        Y::Sequence(items) => items.into_iter().map(long_form).collect(),
        Y::Mapping(map) => map
            .into_iter()
            .map(|(k, v)| (k.as_str().expect("string keys").to_owned(), long_form(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let value = long_form(tagged.value);
            match name {
                "Ref" | "Condition" => json!({ name: value }),
                "GetAtt" => {
                    let path = value.as_str().expect("!GetAtt Resource.Attribute");
                    let (resource, attribute) = path.split_once('.').unwrap();
                    json!({"Fn::GetAtt": [resource, attribute]})
                }
                _ => json!({ format!("Fn::{name}"): value }),
            }
        }
    }
}

fn resources_of_type<'a>(t: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(name, r)| (name.as_str(), r))
        .collect()
}

/// The functions, by the binary each deploys (its crate's one binary: `CodeUri` is the crate).
pub(crate) fn functions(t: &Value) -> BTreeMap<String, (&str, &Value)> {
    resources_of_type(t, "AWS::Serverless::Function")
        .into_iter()
        .map(|(name, f)| {
            let crate_dir = f["Properties"]["CodeUri"].as_str().expect("CodeUri is a path");
            let binary = Path::new(crate_dir).file_name().unwrap().to_str().unwrap().to_owned();
            (binary, (name, f))
        })
        .collect()
}

/// A value as the deployed function sees it: parameters at their defaults, `Ref`s to resources
/// as placeholders, and each Secrets Manager reference as a 64-character stand-in for its value.
fn resolve(t: &Value, v: &Value) -> String {
    resolve_with(t, v, &[]).unwrap_or_else(|| panic!("{v} is no value with every condition false"))
}

/// `v` with the conditions named in `on` true and every other false; `None` for `AWS::NoValue`.
fn resolve_with(t: &Value, v: &Value, on: &[&str]) -> Option<String> {
    if let Some([condition, then, otherwise]) = v["Fn::If"].as_array().map(Vec::as_slice) {
        let chosen = if on.contains(&condition.as_str().unwrap()) { then } else { otherwise };
        return resolve_with(t, chosen, on);
    }
    if v["Ref"] == "AWS::NoValue" {
        return None;
    }
    Some(resolve_value(t, v))
}

fn resolve_value(t: &Value, v: &Value) -> String {
    if let Some(s) = v.as_str() {
        return s.to_owned();
    }
    if let Some(name) = v["Ref"].as_str() {
        return match &t["Parameters"][name] {
            Value::Null => format!("{name}-physical-id"),
            p => p["Default"].as_str().map_or_else(|| p["Default"].to_string(), str::to_owned),
        };
    }
    if let Some(sub) = v["Fn::Sub"].as_str() {
        let mut out = sub.to_owned();
        for (name, p) in t["Parameters"].as_object().unwrap() {
            out = out.replace(&format!("${{{name}}}"), p["Default"].as_str().unwrap_or_default());
        }
        out = out.replace("${AWS::StackName}", STACK_NAME);
        if let Some(reference) = out.strip_prefix("{{resolve:secretsmanager:").and_then(|r| r.strip_suffix("}}")) {
            let key = reference.rsplit(':').next().unwrap();
            if key == "TOKEN_SIGNING_KEYS" {
                return shared::testing::signing_keys();
            }
            if key == "TEST_NUMBERS" {
                return r#"{"+12015550123": "482916"}"#.to_owned();
            }
            return format!("{key:_<64}").to_lowercase();
        }
        assert!(!out.contains("${"), "unresolved {sub}");
        return out;
    }
    panic!("no resolution for {v}")
}

/// The environment a function starts with: the global variables, then its own.
fn environment(t: &Value, function: &Value) -> BTreeMap<String, String> {
    environment_with(t, function, &[])
}

/// The same, with the conditions named in `on` true.
pub(crate) fn environment_with(t: &Value, function: &Value, on: &[&str]) -> BTreeMap<String, String> {
    let global = t["Globals"]["Function"]["Environment"]["Variables"].as_object();
    let own = function["Properties"]["Environment"]["Variables"].as_object();
    let vars = global.into_iter().chain(own).flatten();
    vars.filter_map(|(k, v)| resolve_with(t, v, on).map(|v| (k.clone(), v))).collect()
}

/// Whether `binary` starts with `env`, and the Vonage and sign-in secrets as the operator fills
/// them when the environment names them; else the error it stops with.
pub(crate) fn starts(t: &Value, binary: &str, env: &BTreeMap<String, String>) -> Result<(), String> {
    let vonage = |var: &str| -> Option<String> {
        env.get("VONAGE_SECRET_ID")?;
        match var {
            "VONAGE_API_KEY" => Some("key".to_owned()),
            "VONAGE_API_SECRET" => Some("secret".to_owned()),
            _ => None,
        }
    };
    let secret = |var: &str| -> Option<String> {
        env.get("SIGN_IN_SECRET_ID")?;
        match var {
            "TOKEN_SIGNING_KEYS" => Some(resolve(
                t,
                &json!({"Fn::Sub": "{{resolve:secretsmanager:${SecretName}:SecretString:TOKEN_SIGNING_KEYS}}"}),
            )),
            "RELYING_PARTIES" => Some(
                r#"[{"clientId": "shop", "name": "Shop", "redirectUris": ["https://shop.example/cb"]}]"#.to_owned(),
            ),
            "RELYING_PARTY_SECRETS" => Some("{}".to_owned()),
            _ => None,
        }
    };
    let settings = Settings::new(|var: &str| env.get(var).cloned().or_else(|| vonage(var)).or_else(|| secret(var)));
    Config::from_settings(&settings).map_err(|e| e.to_string())?;
    StoreConfig::from_settings(&settings).map_err(|e| e.to_string())?;
    if binary == "verify-otp" {
        TokenConfig::from_settings(&settings).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn property<'a>(t: &'a Value, function: &'a Value, name: &str) -> &'a Value {
    match &function["Properties"][name] {
        Value::Null => &t["Globals"]["Function"][name],
        own => own,
    }
}

// ---------------------------------------------------------------------------------------------

#[test]
fn each_function_deploys_a_workspace_binary_and_every_function_crate_is_deployed() {
    let t = template();
    let metadata = cargo_metadata();
    let binaries: BTreeSet<String> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["manifest_path"].as_str().unwrap().contains("/functions/"))
        .flat_map(|p| p["targets"].as_array().unwrap().iter())
        .filter(|target| target["kind"] == json!(["bin"]))
        .map(|target| target["name"].as_str().unwrap().to_owned())
        .collect();
    let deployed = functions(&t);
    assert_eq!(deployed.keys().cloned().collect::<BTreeSet<_>>(), binaries);
    for (binary, (name, f)) in &deployed {
        assert_eq!(f["Metadata"]["BuildMethod"], "rust-cargolambda", "{name}");
        let crate_dir = f["Properties"]["CodeUri"].as_str().unwrap();
        assert!(root().join(crate_dir).join("src/main.rs").exists(), "{name}: {crate_dir} builds {binary}");
    }
    let globals = &t["Globals"]["Function"];
    assert_eq!(
        (&globals["Runtime"], &globals["Handler"], &globals["Architectures"]),
        (&json!("provided.al2023"), &json!("bootstrap"), &json!(["arm64"]))
    );
}

#[test]
fn the_table_is_the_one_the_store_writes() {
    let t = template();
    let table = &t["Resources"]["Table"]["Properties"];
    assert_eq!(
        table["TimeToLiveSpecification"],
        json!({"AttributeName": shared::adapters::dynamo::TTL_ATTRIBUTE, "Enabled": true})
    );
    assert_eq!(
        table["KeySchema"],
        json!([{"AttributeName": shared::adapters::dynamo::PARTITION_KEY, "KeyType": "HASH"}])
    );
    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    for (_, (name, f)) in functions(&t) {
        assert_eq!(environment(&t, f)["TABLE_NAME"], "Table-physical-id", "{name}");
    }
}

/// A code request-otp sent by AWS, judged by providers built from `config` as a cold start builds
/// them.
fn judges_a_code_the_service_owns(config: &Config) {
    use secrecy::ExposeSecret;
    use shared::adapters::vonage::VonageClient;
    use shared::domain::otp_code::OtpCode;
    use shared::domain::owned_code::CodeDigest;
    use shared::domain::provider::ProviderName;
    use shared::domain::request_id::RequestId;
    use shared::domain::verification::ProviderRequestId;
    use shared::ports::{CheckOutcome, Providers};
    use shared::runtime::bootstrap::NoCarrier;

    let vonage = VonageClient::new(config.vonage.clone()).unwrap();
    // As verify-otp's cold start builds them: no carrier.
    let providers = shared::runtime::bootstrap::providers::<NoCarrier>(config, vonage, |_| None);
    let (request, code) = (RequestId::generate(), OtpCode::parse("482916", 6).unwrap());
    let digest = CodeDigest::of(config.phone_hash_key.expose_secret().as_bytes(), &request, &code);
    let id = ProviderRequestId::for_owned(ProviderName::Aws, &digest);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    assert_eq!(runtime.block_on(providers.check(&request, &id, &code)), Ok(CheckOutcome::Verified));
}

#[test]
fn the_environment_the_template_sets_is_exactly_what_the_code_reads_and_it_loads() {
    let t = template();
    for ((binary, (name, f)), on) in functions(&t).into_iter().flat_map(|f| {
        [
            (f.clone(), &[][..]),
            (f.clone(), &["BotCheckOn"][..]),
            (f.clone(), &["TestNumbersOn"][..]),
            (f.clone(), &["AwsSmsOn"][..]),
            (f.clone(), &["AwsSmsOn", "BotCheckOn"][..]),
            (f, &["TokensOn"][..]),
        ]
    }) {
        let mut env = environment_with(&t, f, on);
        if let Some(issuer) = env.get_mut("TOKEN_ISSUER") {
            *issuer = "https://verify.example.com".into(); // the TokenIssuer that turns TokensOn on
        }
        // The parameters that turn AwsSmsOn on, as an operator sets them.
        if let Some(identity) = env.get_mut("AWS_SMS_ORIGINATION_IDENTITY") {
            *identity = format!("arn:aws:sms-voice:us-east-1:{ACCOUNT}:phone-number/phone-0123456789abcdef");
        }
        if let Some(host) = env.get_mut("CODE_MESSAGE_HOST") {
            *host = "verify.example.com".into();
        }
        // The secrets as the operator fills them: both functions read the Vonage account's
        // settings (VONAGE_HELD) from its secret at their start, and verify-otp what the sign-in
        // secret holds (SECRET_HELD), when their environment names them.
        let vonage =
            SecretValues::parse(&json!({"VONAGE_API_KEY": "key", "VONAGE_API_SECRET": "secret"}).to_string()).unwrap();
        let secret = SecretValues::parse(
            &json!({
                "TOKEN_SIGNING_KEYS": shared::testing::signing_keys(),
                "RELYING_PARTIES": r#"[{"clientId": "shop", "name": "Shop", "redirectUris": ["https://shop.example/cb"]}]"#,
                "RELYING_PARTY_SECRETS": "{}",
            })
            .to_string(),
        )
        .unwrap();
        let asked = Mutex::new(BTreeSet::new());
        let settings = Settings::new(|var: &str| {
            asked.lock().unwrap().insert(var.to_owned());
            let from_vonage = || env.get("VONAGE_SECRET_ID").and_then(|_| vonage.lookup_vonage(var));
            let from_secret = || env.get("SIGN_IN_SECRET_ID").and_then(|_| secret.lookup(var));
            env.get(var).cloned().or_else(from_vonage).or_else(from_secret)
        });
        let secret_id = shared::runtime::config::vonage_secret_id(&settings).unwrap();
        assert_eq!(secret_id.as_deref(), env.get("VONAGE_SECRET_ID").map(String::as_str), "{name}");
        assert!(secret_id.is_some(), "{name} reads the Vonage secret");
        let config = Config::from_settings(&settings).unwrap_or_else(|e| panic!("{binary} would not start: {e}"));
        StoreConfig::from_settings(&settings).unwrap_or_else(|e| panic!("{binary} would not start: {e}"));
        // verify-otp holds none of the second provider's settings, and judges its codes all the
        // same: with the hash key both functions have.
        if binary == "verify-otp" && on.contains(&"AwsSmsOn") {
            assert!(config.aws_sms.is_none(), "{name}");
            judges_a_code_the_service_owns(&config);
        }
        // Test numbers reach both functions (one sends nothing to them, the other checks their
        // codes), only where the stage turns them on.
        assert_eq!(config.policy.test_numbers.len(), usize::from(on.contains(&"TestNumbersOn")), "{name}");
        // Tokens are verify-otp's alone: only its main reads them, and only it is given the key.
        if binary == "verify-otp" {
            let secret_id =
                TokenConfig::secret_id(&settings).unwrap_or_else(|e| panic!("{binary} would not start: {e}"));
            let tokens =
                TokenConfig::from_settings(&settings).unwrap_or_else(|e| panic!("{binary} would not start: {e}"));
            assert_eq!(tokens.is_some(), on.contains(&"TokensOn"), "{name}");
            assert_eq!(secret_id.is_some(), on.contains(&"TokensOn"), "{name} reads the sign-in secret");
        } else {
            assert!(!env.contains_key("TOKEN_SIGNING_KEYS"), "{name} holds no signing key");
        }
        // Sign-in's material and the Vonage account's are never in the environment (4 KB for all
        // of it): from the secret, which each role may read, and only that secret.
        for var in SECRET_HELD.iter().chain(&VONAGE_HELD) {
            assert!(!env.contains_key(*var), "{name}: {var} is read from the secret, not the environment");
        }
        let grants: Vec<&Value> = f["Properties"]["Policies"][0]["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s.to_string().contains("secretsmanager:"))
            .collect();
        // The Vonage secret for both; the sign-in secret (its keys) for verify-otp alone, only
        // with sign-in on: request-otp may never read a signing key.
        let secret_arn = |parameter: &str| json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:${{{parameter}}}-??????")});
        let vonage_grant = json!({
            "Sid": "VonageSecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
            "Resource": secret_arn("VonageSecretName"),
        });
        if binary == "verify-otp" {
            let sign_in = json!({"Fn::If": ["TokensOn", {
                "Sid": "SignInSecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                "Resource": secret_arn("SecretName"),
            }, {"Ref": "AWS::NoValue"}]});
            assert_eq!(grants, [&vonage_grant, &sign_in], "{name}");
            let named = &f["Properties"]["Environment"]["Variables"]["SIGN_IN_SECRET_ID"];
            assert_eq!(named, &json!({"Fn::If": ["TokensOn", {"Ref": "SecretName"}, {"Ref": "AWS::NoValue"}]}));
        } else {
            assert_eq!(grants, [&vonage_grant], "{name} reads the Vonage secret and no other");
        }
        let named = &t["Globals"]["Function"]["Environment"]["Variables"]["VONAGE_SECRET_ID"];
        assert_eq!(named, &json!({"Ref": "VonageSecretName"}));
        for stage in STAGES {
            let boundary = deploy_document("deploy/function-permissions-boundary.json", stage);
            let arn = format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:phone-verification/{stage}-AbCdEf");
            let allowed = statements(&boundary, "Allow");
            assert!(allowed.iter().any(|a| covers(a, "secretsmanager:GetSecretValue", &arn)), "{stage}");
            let arn =
                format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:phone-verification/{stage}/vonage-AbCdEf");
            assert!(allowed.iter().any(|a| covers(a, "secretsmanager:GetSecretValue", &arn)), "{stage}: {arn}");
        }
        let asked = asked.into_inner().unwrap();
        let unread: Vec<_> = env.keys().filter(|k| !asked.contains(*k)).collect();
        assert!(unread.is_empty(), "{name} sets variables the code never reads: {unread:?}");
        let from_secret: Vec<_> = SECRET_HELD.iter().filter(|k| asked.contains(**k)).collect();
        let reads_secret = binary == "verify-otp" && on.contains(&"TokensOn");
        assert_eq!(from_secret.len(), if reads_secret { SECRET_HELD.len() } else { 0 }, "{name}: {from_secret:?}");
        assert!(asked.contains("VONAGE_API_KEY") && asked.contains("VONAGE_APPLICATION_ID"), "{name}");

        // Optional to the code, required behind CloudFront: without it every viewer shares the
        // per-address cap of the CloudFront server that forwarded the request.
        assert!(env.contains_key("ORIGIN_VERIFY_SECRET"), "{name}");
        // The bot check is on exactly when its site key is set, and only request-otp holds its secret.
        let checks_bots = on.contains(&"BotCheckOn") && binary == "request-otp";
        assert_eq!(config.bot_check.is_some(), checks_bots, "{name}");
        // Lambda's JSON log format, which the functions' logging follows.
        assert_eq!(property(&t, f, "LoggingConfig")["LogFormat"], "JSON", "{name}");
        // A resend may call Vonage three times (start, cancel, start) after the bot check and
        // around three DynamoDB calls; a check calls Vonage once, between taking an attempt and
        // settling it, and may wait for another check to settle the record (a read in flight
        // when the wait ends). The function outlives them all, so that its own JSON answers even
        // the slowest call, and API Gateway (30 s at most) waits for it.
        let timeout_ms = property(&t, f, "Timeout").as_u64().unwrap() * 1000;
        let vonage_ms = u64::try_from(config.vonage.timeout.as_millis()).unwrap();
        let store_ms = shared::adapters::dynamo::timeouts().operation_timeout().expect("bounded").as_millis();
        let store_ms = u64::try_from(store_ms).unwrap();
        let bot_check_ms = config.bot_check.as_ref().map_or(0, |b| u64::try_from(b.timeout.as_millis()).unwrap());
        let settle_ms = u64::try_from(shared::service::SETTLE_WAIT.as_millis()).unwrap();
        // With the second provider, a resend reads the code it replaces first (a fourth store
        // call). A failover begins only while the invocation has FAILOVER_NEEDS left, which
        // must cover the slowest next provider (Vonage's three calls, or AWS's one) and two
        // store calls (the reservation moved or a new one, and the record).
        let aws_ms = config.aws_sms.as_ref().map(|a| u64::try_from(a.timeout.as_millis()).unwrap());
        assert_eq!(aws_ms.is_some(), on.contains(&"AwsSmsOn") && binary == "request-otp", "{name}");
        let slowest_ms = match (binary.as_str(), aws_ms) {
            ("request-otp", None) => 3 * vonage_ms + 3 * store_ms + bot_check_ms,
            ("request-otp", Some(aws_ms)) => {
                let needs_ms = u64::try_from(shared::service::deadline::FAILOVER_NEEDS.as_millis()).unwrap();
                let next_ms = (3 * vonage_ms).max(aws_ms);
                assert!(
                    needs_ms >= next_ms + 2 * store_ms,
                    "{name}: a failover needs {next_ms} ms and two store calls"
                );
                3 * vonage_ms.max(aws_ms) + 4 * store_ms + bot_check_ms
            }
            _ => vonage_ms + 3 * store_ms + settle_ms,
        };
        assert!(
            timeout_ms >= slowest_ms + 1000 && timeout_ms < 30_000,
            "{name}: Timeout {timeout_ms} ms, Vonage {vonage_ms} ms, AWS {aws_ms:?} ms, DynamoDB {store_ms} ms per call, bot check {bot_check_ms} ms, settle wait {settle_ms} ms"
        );
    }
}

#[test]
fn cloudfront_sends_the_secret_the_functions_expect_and_the_headers_they_read() {
    let t = template();
    let distribution = &t["Resources"]["Distribution"]["Properties"]["DistributionConfig"];
    let api_origin = distribution["Origins"].as_array().unwrap().iter().find(|o| o["Id"] == "api").unwrap();
    let header = &api_origin["OriginCustomHeaders"][0];
    assert_eq!(header["HeaderName"].as_str().unwrap().to_lowercase(), shared::http::ORIGIN_VERIFY_HEADER);
    for (_, (name, f)) in functions(&t) {
        assert_eq!(resolve(&t, &header["HeaderValue"]), environment(&t, f)["ORIGIN_VERIFY_SECRET"], "{name}");
    }
    assert_eq!(behavior(&t, "/api/request-otp")["TargetOriginId"], "api");
    // Every behavior that reaches the API sends the viewer's address, the body's type and Origin.
    let to_api = distribution["CacheBehaviors"].as_array().unwrap().iter().filter(|b| b["TargetOriginId"] == "api");
    for b in to_api {
        let Passed::Only(forwarded) = sent(&t, b).headers else { panic!("{b}: headers by name only") };
        assert!(forwarded.contains(shared::http::VIEWER_ADDRESS_HEADER), "{}: {forwarded:?}", b["PathPattern"]);
        assert!(forwarded.contains("content-type") && forwarded.contains("origin"), "{forwarded:?}");
    }
}

#[test]
fn cloudfront_adds_the_security_headers_the_page_is_developed_and_tested_under() {
    let t = template();
    let policy = &t["Resources"]["SecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"];
    let config = &policy["SecurityHeadersConfig"];
    let text = |v: &Value| v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).to_owned();
    let mut deployed = BTreeMap::from([
        ("x-frame-options".to_owned(), text(&config["FrameOptions"]["FrameOption"])),
        ("referrer-policy".to_owned(), text(&config["ReferrerPolicy"]["ReferrerPolicy"])),
    ]);
    if config["ContentTypeOptions"]["Override"] == true {
        deployed.insert("x-content-type-options".to_owned(), "nosniff".to_owned());
    }
    let local: BTreeMap<String, String> =
        otp_local::SECURITY_HEADERS.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    assert_eq!(deployed, local);
    // The page's policy, without and with the bot check: the local server's, word for word.
    let csp = &config["ContentSecurityPolicy"]["ContentSecurityPolicy"];
    for (on, local) in [
        (&[][..], otp_local::CONTENT_SECURITY_POLICY),
        (&["BotCheckOn"][..], otp_local::CONTENT_SECURITY_POLICY_WITH_TURNSTILE),
    ] {
        assert_eq!(resolve_with(&t, csp, on).as_deref(), Some(local), "bot check conditions {on:?}");
    }
    let hsts = &config["StrictTransportSecurity"];
    assert!(hsts["AccessControlMaxAgeSec"].as_u64().unwrap() >= 31_536_000, "HSTS for at least a year");
    let distribution = &t["Resources"]["Distribution"]["Properties"]["DistributionConfig"];
    let behaviors =
        distribution["CacheBehaviors"].as_array().unwrap().iter().chain([&distribution["DefaultCacheBehavior"]]);
    for behavior in behaviors {
        // The key documents' policy adds CORS to the same security headers.
        let policy = behavior["ResponseHeadersPolicyId"]["Ref"].as_str().unwrap();
        assert!(["SecurityHeadersPolicy", "KeyDocumentsHeadersPolicy"].contains(&policy), "{behavior}");
        let headers = &t["Resources"][policy]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"];
        assert_eq!(headers, config, "{policy}");
        assert_ne!(behavior["ViewerProtocolPolicy"], "allow-all", "HTTPS only");
    }
}

/// The key set and the discovery document are public: every origin gets the same answer, `*`,
/// whatever the API's CORS settings (which API Gateway puts in place of the function's headers)
/// and whichever origin's variant CloudFront cached. The function's own answer is `*` too
/// (verify-otp's tests).
#[test]
fn the_key_documents_are_the_same_for_every_origin() {
    let t = template();
    let distribution = &t["Resources"]["Distribution"]["Properties"]["DistributionConfig"];
    // Managed-CachingOptimized: no header, cookie or query string in the key, Origin included.
    for path in ["/.well-known/jwks.json", "/.well-known/openid-configuration"] {
        let behavior = distribution["CacheBehaviors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["PathPattern"] == path)
            .unwrap_or_else(|| panic!("no behavior for {path}"));
        assert_eq!(behavior["CachePolicyId"], CACHING_OPTIMIZED, "{path}: the cache key leaves Origin out");
        let policy = behavior["ResponseHeadersPolicyId"]["Ref"].as_str().unwrap();
        let cors = &t["Resources"][policy]["Properties"]["ResponseHeadersPolicyConfig"]["CorsConfig"];
        assert_eq!(cors["AccessControlAllowOrigins"]["Items"], json!(["*"]), "{path}");
        assert_eq!(cors["OriginOverride"], true, "{path}: CloudFront's header wins over API Gateway's");
        assert_eq!(cors["AccessControlAllowCredentials"], false, "{path}");
    }
    // The origin request policy forwards Origin (the API's CORS needs it): only the cache key
    // decides what is shared, and the response policy what every viewer sees.
    assert!(t["Conditions"]["HasCors"].is_object(), "the API still has CORS of its own for /api/*");
}

// ---------------------------------------------------------------------------------------------
// The distribution as a viewer meets it: the behavior a path takes, and what that behavior sends
// the origin and keeps.

/// The sign-in session's cookie, as the code names it.
const SESSION_COOKIE: &str = shared::sign_in::domain::session::SESSION_COOKIE;

/// The paths whose answers read or set the session: the authorization endpoint and logout read
/// it, verify-otp sets it when a sign-in ends with a proof.
const SESSION_PATHS: [&str; 3] = ["/authorize", "/oauth/logout", "/api/verify-otp"];

/// AWS's managed cache policies, by the ids the template names them with.
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";

/// The behavior CloudFront applies to a request for `path`: the first cache behavior whose path
/// pattern matches (`*` any run of characters, `?` one, case-sensitive), else the default.
fn behavior<'a>(t: &'a Value, path: &str) -> &'a Value {
    let distribution = &t["Resources"]["Distribution"]["Properties"]["DistributionConfig"];
    distribution["CacheBehaviors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| glob(b["PathPattern"].as_str().unwrap(), path))
        .unwrap_or(&distribution["DefaultCacheBehavior"])
}

/// Every behavior of the distribution, the default last.
fn behaviors(t: &Value) -> Vec<&Value> {
    let distribution = &t["Resources"]["Distribution"]["Properties"]["DistributionConfig"];
    let listed = distribution["CacheBehaviors"].as_array().unwrap().iter();
    listed.chain([&distribution["DefaultCacheBehavior"]]).collect()
}

/// What of one kind (cookies, query strings, headers) a behavior lets through to the origin.
#[derive(Debug, PartialEq)]
enum Passed {
    Nothing,
    /// These names only (headers in lower case).
    Only(BTreeSet<String>),
    /// Every name, or every name but some: a name nobody chose gets through.
    Any,
}

impl Passed {
    /// One policy's list: `{"CookieBehavior": "whitelist", "Cookies": [...]}` and the like.
    fn of(config: &Value, kind: &str, names: &str) -> Self {
        let behavior =
            config[format!("{kind}Behavior")].as_str().unwrap_or_else(|| panic!("no {kind}Behavior: {config}"));
        match behavior {
            "none" => Self::Nothing,
            "whitelist" => Self::Only(
                list(&config[names]).into_iter().map(|n| if kind == "Header" { n.to_lowercase() } else { n }).collect(),
            ),
            "all" | "allExcept" | "allViewer" | "allViewerAndWhitelistCloudFront" => Self::Any,
            other => panic!("unknown {kind}Behavior {other}"),
        }
    }

    /// What a cache policy and an origin request policy let through together: CloudFront sends the
    /// origin what is in the cache key and what the origin request policy adds.
    fn and(self, other: Self) -> Self {
        match (self, other) {
            (Self::Any, _) | (_, Self::Any) => Self::Any,
            (Self::Nothing, x) | (x, Self::Nothing) => x,
            (Self::Only(a), Self::Only(b)) => Self::Only(a.union(&b).cloned().collect()),
        }
    }
}

/// What a behavior sends the origin, and the longest it may keep an answer.
struct Sent {
    cookies: Passed,
    query_strings: Passed,
    headers: Passed,
    max_ttl: u64,
}

/// A cache policy's configuration: the template's own, or what AWS publishes of a managed one.
fn cache_policy(t: &Value, behavior: &Value) -> Value {
    let nothing = json!({
        "CookiesConfig": {"CookieBehavior": "none"},
        "QueryStringsConfig": {"QueryStringBehavior": "none"},
        "HeadersConfig": {"HeaderBehavior": "none"},
    });
    match &behavior["CachePolicyId"] {
        Value::String(id) if id == CACHING_DISABLED => {
            json!({"MinTTL": 0, "DefaultTTL": 0, "MaxTTL": 0, "ParametersInCacheKeyAndForwardedToOrigin": nothing})
        }
        Value::String(id) if id == CACHING_OPTIMIZED => {
            json!({"MinTTL": 1, "DefaultTTL": 86_400, "MaxTTL": 31_536_000, "ParametersInCacheKeyAndForwardedToOrigin": nothing})
        }
        id => {
            let name = id["Ref"].as_str().unwrap_or_else(|| panic!("an unknown cache policy {id}"));
            t["Resources"][name]["Properties"]["CachePolicyConfig"].clone()
        }
    }
}

/// What a behavior sends the origin (AWS's API reference, CachePolicyCookiesConfig: "Even when
/// this field is set to none, any cookies that are listed in an OriginRequestPolicy are included
/// in origin requests"; the same for query strings and headers), and the longest it keeps an answer.
fn sent(t: &Value, behavior: &Value) -> Sent {
    let cache = cache_policy(t, behavior);
    let key = &cache["ParametersInCacheKeyAndForwardedToOrigin"];
    let origin = match &behavior["OriginRequestPolicyId"] {
        Value::Null => json!({
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"},
            "HeadersConfig": {"HeaderBehavior": "none"},
        }),
        id => {
            let name = id["Ref"].as_str().unwrap_or_else(|| panic!("an unknown origin request policy {id}"));
            t["Resources"][name]["Properties"]["OriginRequestPolicyConfig"].clone()
        }
    };
    let both = |config: &str, kind: &str, names: &str| {
        Passed::of(&key[config], kind, names).and(Passed::of(&origin[config], kind, names))
    };
    Sent {
        cookies: both("CookiesConfig", "Cookie", "Cookies"),
        query_strings: both("QueryStringsConfig", "QueryString", "QueryStrings"),
        headers: both("HeadersConfig", "Header", "Headers"),
        max_ttl: cache["MaxTTL"].as_u64().unwrap_or_else(|| panic!("MaxTTL: {cache}")),
    }
}

/// OpenID Connect Core §3.1.2.1: the authorization endpoint takes GET and POST; RP-Initiated
/// Logout 1.0 §2 the same for the end-session endpoint. Both read their parameters from the query
/// (or a form), so each path goes to the API with every query string, and the HTTP API routes both
/// methods to verify-otp.
#[test]
fn the_authorization_and_logout_endpoints_reach_verify_otp_by_get_and_post_with_their_query() {
    let t = template();
    let routes = deployed_routes(&t);
    let api = t["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["Origins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["Id"] == "api")
        .unwrap();
    assert_eq!(api["DomainName"], json!({"Fn::Sub": "${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}));
    for path in ["/authorize", "/oauth/logout"] {
        let b = behavior(&t, path);
        assert_eq!(b["TargetOriginId"], "api", "{path} goes to the API, not the page: {b}");
        let methods = list(&b["AllowedMethods"]);
        assert!(methods.iter().any(|m| m == "GET") && methods.iter().any(|m| m == "POST"), "{path}: {methods:?}");
        // Whatever a relying party sends: the endpoint ignores what it does not know.
        assert_eq!(sent(&t, b).query_strings, Passed::Any, "{path}: the query string");
        for method in ["get", "post"] {
            let route = routes.get(&(path.to_owned(), method.to_owned()));
            assert_eq!(route.map(String::as_str), Some("verify-otp"), "{method} {path}");
        }
    }
    // The page's own calls take no query string, the session's or any other.
    assert_eq!(sent(&t, behavior(&t, "/api/verify-otp")).query_strings, Passed::Nothing);
}

/// The session cookie reaches the endpoints that read it and the one that sets it: CloudFront
/// removes `Set-Cookie` from the answers of a behavior that forwards no cookie ("Cache content
/// based on cookies", CloudFront Developer Guide). No other cookie reaches any origin, and
/// nothing else of the browser's goes with it: those paths get the headers the API gets.
#[test]
fn the_session_cookie_alone_reaches_the_endpoints_that_read_or_set_it() {
    let t = template();
    let session = Passed::Only(BTreeSet::from([SESSION_COOKIE.to_owned()]));
    let api_headers = sent(&t, behavior(&t, "/api/request-otp")).headers;
    for path in SESSION_PATHS {
        let b = behavior(&t, path);
        assert_eq!(b["TargetOriginId"], "api", "{path}");
        assert_eq!(sent(&t, b).cookies, session, "{path}");
        assert_eq!(sent(&t, b).headers, api_headers, "{path}: the API's headers, no more");
    }
    // Logout's "Sign out" counts only from the page's own origin: `Origin` must reach it.
    let Passed::Only(logout_headers) = sent(&t, behavior(&t, "/oauth/logout")).headers else {
        panic!("/oauth/logout: a list of headers")
    };
    assert!(logout_headers.contains("origin"), "{logout_headers:?}");
    let others = [
        "/",
        "/index.html",
        "/sign-in",
        "/signed-out",
        "/api/request-otp",
        "/api/authorize",
        "/oauth/token",
        "/oauth/userinfo",
        "/.well-known/jwks.json",
        "/.well-known/openid-configuration",
    ];
    for path in others {
        assert_eq!(sent(&t, behavior(&t, path)).cookies, Passed::Nothing, "{path}");
    }
    for b in behaviors(&t) {
        let cookies = sent(&t, b).cookies;
        assert!(cookies == Passed::Nothing || cookies == session, "{}: {cookies:?}", b["PathPattern"]);
    }
}

/// An answer that reads or sets the session (a code without an SMS, a new or cleared cookie) is
/// kept for no one: every TTL 0, so neither it nor its `Set-Cookie`, which CloudFront caches with
/// a cached answer, reaches another viewer.
#[test]
fn the_answers_that_read_or_set_the_session_are_never_cached() {
    let t = template();
    for path in SESSION_PATHS {
        let b = behavior(&t, path);
        let cache = cache_policy(&t, b);
        assert_eq!((sent(&t, b).max_ttl, &cache["DefaultTTL"]), (0, &json!(0)), "{path}: {cache}");
    }
}

/// The page's viewer-request function, whose rule `page_object` follows.
const SPA_FALLBACK: &str = "function handler(event) {
  var request = event.request;
  var last = request.uri.substring(request.uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
";

/// The object of the bucket a page request reads: a path whose last part has no dot is the page.
fn page_object(t: &Value, behavior: &Value, path: &str) -> String {
    let functions = behavior["FunctionAssociations"].as_array().expect("the page's function");
    assert_eq!(functions.len(), 1, "{behavior}");
    assert_eq!(functions[0]["EventType"], "viewer-request");
    let name = functions[0]["FunctionARN"]["Fn::GetAtt"][0].as_str().unwrap();
    assert_eq!(t["Resources"][name]["Properties"]["FunctionCode"], SPA_FALLBACK, "{name}");
    let last = &path[path.rfind('/').unwrap() + 1..];
    if last.contains('.') { path.to_owned() } else { "/index.html".to_owned() }
}

/// The page moved from `/authorize`, now the function's, to `/sign-in` (and says so at
/// `/signed-out` after a logout): both are the page, index.html from the bucket.
#[test]
fn the_sign_in_and_signed_out_pages_are_the_page() {
    let t = template();
    for path in ["/sign-in", "/signed-out", "/"] {
        let b = behavior(&t, path);
        assert_eq!(b["TargetOriginId"], "site", "{path}");
        assert_eq!(page_object(&t, b, path), "/index.html", "{path}");
    }
    let b = behavior(&t, "/assets/index-1a2b3c.js");
    assert_eq!(page_object(&t, b, "/assets/index-1a2b3c.js"), "/assets/index-1a2b3c.js");
    assert_ne!(behavior(&t, "/authorize")["TargetOriginId"], "site", "the authorization endpoint is no page");
}

/// Relying parties' back ends redeem codes at one shared route: it has a throttle of its own,
/// larger than the API's default, and the edge holds one address to at most a fifth of it. The
/// authorization endpoint takes as many (with a session, a sign-in is one request there and one
/// code redeemed, no SMS), and logout as many again: the same throttle, the same edge limit.
#[test]
fn the_token_route_has_its_own_throttle_and_one_address_takes_at_most_a_fifth() {
    let t = template();
    let api = &t["Resources"]["HttpApi"]["Properties"];
    let default_rate = resolve(&t, &api["DefaultRouteSettings"]["ThrottlingRateLimit"]).parse::<f64>().unwrap();
    let per_address = resolve(&t, &json!({"Ref": "EdgeOAuthRequestsPerAddress"})).parse::<f64>().unwrap() / 300.0;
    let routes = [
        "POST /oauth/token",
        "GET /oauth/userinfo",
        "POST /oauth/userinfo",
        "GET /authorize",
        "POST /authorize",
        "GET /oauth/logout",
        "POST /oauth/logout",
    ];
    for route in routes {
        let settings = &api["RouteSettings"][route];
        let rate = resolve(&t, &settings["ThrottlingRateLimit"]).parse::<f64>().unwrap();
        let burst = resolve(&t, &settings["ThrottlingBurstLimit"]).parse::<f64>().unwrap();
        assert!(rate > default_rate && burst >= rate, "{route}: {rate}/s, burst {burst}");
        assert!(per_address * 5.0 <= rate, "{route}: one address may send {per_address}/s of {rate}/s");
    }
    // A back end redeeming ten codes a second and reading userinfo for each is not refused.
    assert!(per_address >= 20.0, "{per_address}/s per address");
    let nested = &t["Resources"]["EdgeFirewallStack"]["Properties"]["Parameters"];
    assert_eq!(nested["OAuthRequestsPerAddress"], json!({"Ref": "EdgeOAuthRequestsPerAddress"}));
}

/// The HTTP API's routes, `(path, method)` (the method in lower case) to the binary that answers.
fn deployed_routes(t: &Value) -> BTreeMap<(String, String), String> {
    let mut deployed = BTreeMap::new();
    for (binary, (_, f)) in functions(t) {
        for event in f["Properties"]["Events"].as_object().unwrap().values() {
            assert_eq!(event["Type"], "HttpApi");
            assert_eq!(event["Properties"]["ApiId"], json!({"Ref": "HttpApi"}));
            let method = event["Properties"]["Method"].as_str().unwrap().to_lowercase();
            deployed.insert((event["Properties"]["Path"].as_str().unwrap().to_owned(), method), binary.clone());
        }
    }
    deployed
}

#[test]
fn the_routes_are_the_api_contract_and_the_local_router() {
    let t = template();
    let deployed = deployed_routes(&t);
    // The code's one table of routes (which the functions and otp-local dispatch by) is what
    // API Gateway routes, method for method, to the same function.
    let declared: BTreeMap<(String, String), String> = shared::runtime::routes::ROUTES
        .iter()
        .flat_map(|r| {
            r.methods.iter().map(move |m| ((r.path.to_owned(), m.to_lowercase()), r.function.name().to_owned()))
        })
        .collect();
    assert_eq!(deployed, declared, "the template's routes (left) and the code's (right)");
    let spec: Value = serde_norway::from_str(&read("openapi.yaml")).unwrap();
    let documented: BTreeSet<(String, String)> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| ops.as_object().unwrap().keys().map(move |m| (path.clone(), m.clone())))
        .collect();
    assert_eq!(deployed.keys().cloned().collect::<BTreeSet<_>>(), documented);

    // `cargo lambda watch` serves the same paths with the same binaries (a path's every method).
    let router = &cargo_metadata()["metadata"]["lambda"]["watch"]["router"];
    let local: BTreeMap<String, String> = router
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, binary)| (path.clone(), binary.as_str().unwrap().to_owned()))
        .collect();
    let deployed_paths: BTreeMap<String, String> =
        deployed.into_iter().map(|((path, _method), binary)| (path, binary)).collect();
    assert_eq!(deployed_paths, local);
}

#[test]
fn each_function_may_call_exactly_the_dynamodb_actions_its_code_reaches() {
    let t = template();
    let table_arn = json!({"Fn::GetAtt": ["Table", "Arn"]});
    // The use cases: the verification service, and the sign-in's over it.
    let service = Source::parse_all(&["shared/src/service", "shared/src/sign_in/service.rs"]);
    let store = Source::parse_all(&["shared/src/adapters/dynamo", "shared/src/sign_in/dynamo.rs"]);
    let bootstrap = Source::parse("shared/src/runtime/bootstrap.rs");
    for (binary, (name, f)) in functions(&t) {
        // The handler, and the sign-in's endpoints verify-otp dispatches to.
        let mut handler_paths = vec![format!("functions/{binary}/src")];
        if binary == "verify-otp" {
            handler_paths.push("shared/src/sign_in/endpoints".to_owned());
        }
        let handler = Source::parse_all(&handler_paths.iter().map(String::as_str).collect::<Vec<_>>());
        let start = BTreeSet::from(["handle".to_owned()]);
        // Calls on the verification service, on the sign-in over it, and the use cases' own
        // functions called by name (request-otp's `sign_in::request_code`).
        let mut service_methods = handler.reached_from(&start, "service");
        service_methods.extend(handler.reached_from(&start, "sign_in"));
        service_methods.extend(handler.reached_from(&start, ""));
        // (`sign_in` is an `Option` too where no provider is configured: `.ok_or()` is not a use case.)
        service_methods.retain(|f| service.functions.contains_key(f));
        assert!(!service_methods.is_empty(), "{binary} calls no service method");
        let mut store_methods = service.reached_from(&service_methods, "store");
        // Every cold start connects to DynamoDB ahead of the first call.
        store_methods.extend(bootstrap.reached(&["from_env"], "store"));
        let mut actions = BTreeSet::new();
        // The SDK client's operations (a variable also named `client` holds a client key).
        for call in store
            .reached_from(&store_methods, "client")
            .into_iter()
            .filter(|c| DYNAMODB_OPERATIONS.contains(&c.as_str()))
        {
            if call == "transact_write_items" {
                continue; // authorized per item: see the builders below
            }
            actions.insert(format!("dynamodb:{}", pascal(&call)));
        }
        for builder in store.builders_reached_from(&store_methods) {
            let action = match builder.as_str() {
                "Put" => "PutItem",
                "Update" => "UpdateItem",
                "Delete" => "DeleteItem",
                "ConditionCheck" => "ConditionCheckItem",
                _ => continue,
            };
            actions.insert(format!("dynamodb:{action}"));
        }

        let mut granted = BTreeSet::new();
        for statement in table_statements(f) {
            assert_eq!(statement["Effect"], "Allow");
            assert_eq!(statement["Resource"], table_arn, "{name}: only the one table");
            for action in statement["Action"].as_array().unwrap() {
                granted.insert(action.as_str().unwrap().to_owned());
            }
        }
        assert_eq!(granted, actions, "{name}: granted (left) and reached by the code (right)");

        // The items: each statement limited (dynamodb:LeadingKeys) to the keys the code forms.
        // Writes: the key prefixes formatted (`format!("v#{id}")`) by the store methods that
        // write; reads: those of every store method it reaches, and the keys it names whole (the
        // sending switch, which only the operator writes).
        let prefixes = |methods: &BTreeSet<String>| -> BTreeSet<String> {
            let reached = store.closure(methods);
            reached.iter().flat_map(|f| &store.functions[f].key_prefixes).map(|p| format!("{p}*")).collect()
        };
        let writing: BTreeSet<String> = store_methods.iter().filter(|m| store.writes(m)).cloned().collect();
        let written = prefixes(&writing);
        let deleting: BTreeSet<String> = store_methods.iter().filter(|m| store.deletes(m)).cloned().collect();
        let deleted = prefixes(&deleting);
        let formatted = prefixes(&store_methods);
        let reached = store.closure(&store_methods);
        // Keys written out whole, by a constant or a literal: each needs a pattern of its own
        // unless a prefix above covers it.
        let whole: BTreeSet<String> = reached
            .iter()
            .flat_map(|f| {
                let calls = &store.functions[f];
                let constants = calls.key_constants.iter().filter_map(|c| store.constants.get(c).cloned());
                let constants = constants.filter(|key| key.contains('#'));
                constants.chain(calls.key_literals.iter().cloned()).collect::<Vec<_>>()
            })
            .filter(|key| !formatted.iter().any(|pattern| glob(pattern, key)))
            .collect();
        assert!(written.contains("v#*"), "{name}: {written:?}");
        for statement in table_statements(f) {
            let keys: BTreeSet<String> = leading_keys(&statement).into_iter().collect();
            let actions = list(&statement["Action"]);
            let writes = actions.iter().any(|a| !DYNAMODB_READS.contains(&a.as_str()));
            let reads = actions.iter().any(|a| DYNAMODB_READS.contains(&a.as_str()));
            assert!(!(writes && reads), "{name}: reads and writes in one statement: {actions:?}");
            // Deletes alone: the items a deleting method forms, in a statement of their own.
            let mut expected = if actions == ["dynamodb:DeleteItem"] {
                deleted.clone()
            } else if writes {
                written.clone()
            } else {
                formatted.union(&whole).cloned().collect()
            };
            if actions != ["dynamodb:DeleteItem"] {
                let kept = KEPT_FOR_ONE_DEPLOY.iter().filter(|(function, _)| *function == name);
                expected.extend(kept.map(|(_, key)| (*key).to_owned()));
            }
            assert_eq!(keys, expected, "{name} {actions:?}: keys granted (left) and formed by the code (right)");
        }
    }
}

/// Keys a function's role keeps for one release after its code stopped forming them: CloudFormation
/// updates a role before the function that depends on it, so the previous code runs under the new
/// role until its function is replaced, and must still reach its items (a release before this one
/// kept `country#*` for verify-otp, whose previous code counted verifications on the country
/// shard's item, where a refusal lost the verification). Each goes in the release after.
const KEPT_FOR_ONE_DEPLOY: &[(&str, &str)] = &[];

/// The DynamoDB client's item operations, as the SDK names them.
const DYNAMODB_OPERATIONS: &[&str] = &[
    "get_item",
    "put_item",
    "update_item",
    "delete_item",
    "batch_get_item",
    "batch_write_item",
    "transact_get_items",
    "transact_write_items",
    "query",
    "scan",
];

/// Reads of items (the rest of what the functions are granted writes them).
const DYNAMODB_READS: &[&str] = &["dynamodb:GetItem", "dynamodb:BatchGetItem"];

/// A function's statements on the table (the sign-in secret's grant, an `Fn::If`, is checked
/// with the environment).
fn table_statements(f: &Value) -> Vec<Value> {
    f["Properties"]["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|policy| policy["Statement"].as_array().expect("inline statements only").clone())
        .filter(|s| s["Fn::If"].is_null() && !s.to_string().contains("secretsmanager:"))
        .collect()
}

/// The partition keys a statement allows, as IAM patterns (`ForAllValues:StringLike` on
/// `dynamodb:LeadingKeys`; every key of the request must match one).
fn leading_keys(statement: &Value) -> Vec<String> {
    let condition = statement["Condition"].as_object().expect("every table statement has a condition");
    assert_eq!(condition.keys().collect::<Vec<_>>(), ["ForAllValues:StringLike", "Null"], "{statement}");
    // ForAllValues holds for a request that names no key at all: the keys must be there.
    assert_eq!(condition["Null"], json!({"dynamodb:LeadingKeys": "false"}), "{statement}");
    let keys = &condition["ForAllValues:StringLike"];
    assert_eq!(keys.as_object().unwrap().keys().collect::<Vec<_>>(), ["dynamodb:LeadingKeys"]);
    list(&keys["dynamodb:LeadingKeys"])
}

/// Whether a function's statements let `action` touch the item with partition key `key`.
fn may(f: &Value, action: &str, key: &str) -> bool {
    table_statements(f).iter().any(|s| {
        list(&s["Action"]).iter().any(|a| a == action) && leading_keys(s).iter().any(|pattern| glob(pattern, key))
    })
}

/// The forgery of a sign-in with request-otp's credentials: a `code#` item for a victim's number
/// redeemed at /oauth/token, a session made for a cookie of the forger's, a flow made or changed,
/// the operator's switch turned off. Its role may write none of them, nor read a code or a
/// session; verify-otp's may write and read the sign-in's.
#[test]
fn request_otp_may_write_no_sign_in_item_and_not_the_switch() {
    let t = template();
    let functions = functions(&t);
    let (_, request) = functions["request-otp"];
    let (_, verify) = functions["verify-otp"];
    let code = "code#9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    // A session's item, by the hash of its cookie: one read is a sign-in without an SMS.
    let session = "session#2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
    for action in ["dynamodb:PutItem", "dynamodb:UpdateItem"] {
        for key in [code, session, "flow#AbCdEfGh0123456789", "flows#0a1b2c#1765000000", "switch#sending"] {
            assert!(!may(request, action, key), "request-otp may {action} {key}");
        }
        assert!(may(request, action, "v#0123456789abcdef"), "request-otp creates verifications");
        for key in [code, session, "flow#AbCdEfGh0123456789"] {
            assert!(may(verify, action, key), "verify-otp may {action} {key}");
        }
        assert!(!may(verify, action, "switch#sending"), "verify-otp may {action} the switch");
    }
    assert!(may(request, "dynamodb:BatchGetItem", "switch#sending"), "request-otp reads the switch");
    for key in [code, session] {
        for action in DYNAMODB_READS {
            assert!(!may(request, action, key), "request-otp may {action} {key}");
        }
    }
    assert!(may(verify, "dynamodb:GetItem", session), "verify-otp reads a session");
}

#[test]
fn the_deploy_role_may_manage_every_kind_of_resource_the_template_creates_and_no_more_broadly() {
    let t = template();
    let policy: Value = serde_json::from_str(&read("deploy/deploy-role-policy.json")).unwrap();
    let mut allowed = BTreeSet::new();
    for statement in policy["Statement"].as_array().unwrap().iter().filter(|s| s["Effect"] == "Allow") {
        for action in statement["Action"].as_array().unwrap() {
            let action = action.as_str().unwrap();
            assert!(!action.contains('*'), "no wildcard actions: {action}");
            allowed.insert(action.split(':').next().unwrap().to_owned());
        }
    }
    let mut needed = BTreeSet::from(["cloudformation".to_owned(), "s3".to_owned()]); // the stack, its artifacts
    let nested: Vec<Value> = resources_of_type(&t, "AWS::Serverless::Application")
        .into_iter()
        .map(|(_, app)| {
            template_at(app["Properties"]["Location"].as_str().expect("a nested template in the repository"))
        })
        .collect();
    for resource in [&t].into_iter().chain(&nested).flat_map(|t| t["Resources"].as_object().unwrap().values()) {
        let kind = resource["Type"].as_str().unwrap();
        let services: &[&str] = match kind {
            "AWS::Serverless::Function" => &["lambda", "iam", "logs"],
            "AWS::Serverless::HttpApi" => &["apigateway"],
            "AWS::Serverless::Application" => &["cloudformation"],
            other => &[other.split("::").nth(1).unwrap()],
        };
        for service in services {
            needed.insert(service.to_lowercase());
        }
    }
    if read("template.yaml").contains("{{resolve:secretsmanager:") {
        needed.insert("secretsmanager".to_owned());
    }
    assert_eq!(allowed, needed, "services the deploy role may use (left) and the template needs (right)");
}

fn pascal(snake: &str) -> String {
    snake.split('_').map(|w| w[..1].to_uppercase() + &w[1..]).collect()
}

fn cargo_metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--no-deps", "--format-version", "1", "--offline"])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut metadata: Value = serde_json::from_slice(&out.stdout).unwrap();
    metadata["metadata"] = metadata["metadata"].take();
    metadata
}

// ---------------------------------------------------------------------------------------------
// What code reaches what: the functions of one source file, and the calls each makes.

struct Source {
    path: String,
    functions: BTreeMap<String, Calls>,
    /// String constants (`const NAME: &str = "…"`), by name.
    constants: BTreeMap<String, String>,
}

#[derive(Default)]
struct Calls {
    /// `(receiver, method)`, with the receiver's last field (`self.store.get()` gives `store`;
    /// `self.helper()` gives `self`), and plain calls to functions as `("", name)`.
    methods: BTreeSet<(String, String)>,
    /// Types whose `builder()` is called (`Update::builder()` gives `Update`).
    builders: BTreeSet<String>,
    /// The item-key prefixes formatted (`format!("v#{id}")` gives `v#`).
    key_prefixes: BTreeSet<String>,
    /// Constants named `*_KEY` read (an item key written out whole, such as the sending switch's).
    key_constants: BTreeSet<String>,
    /// Item keys written out whole as literals (`text_value("v#connect")`).
    key_literals: BTreeSet<String>,
}

impl Calls {
    fn merge(&mut self, other: Calls) {
        self.methods.extend(other.methods);
        self.builders.extend(other.builders);
        self.key_prefixes.extend(other.key_prefixes);
        self.key_constants.extend(other.key_constants);
        self.key_literals.extend(other.key_literals);
    }
}

impl<'ast> Visit<'ast> for Calls {
    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        // Whatever is given as the partition key's value (`.key(PARTITION_KEY, text_value("…"))`).
        if call.method == "key"
            && let [syn::Expr::Path(name), syn::Expr::Call(value)] = call.args.iter().collect::<Vec<_>>().as_slice()
            && name.path.is_ident("PARTITION_KEY")
            && let Some(key) = string_literal(value.args.first())
        {
            self.key_literals.insert(key);
        }
        let receiver = match &*call.receiver {
            syn::Expr::Field(field) => match &field.member {
                syn::Member::Named(ident) => ident.to_string(),
                syn::Member::Unnamed(_) => "?".to_owned(),
            },
            syn::Expr::Path(path) => path.path.segments.last().unwrap().ident.to_string(),
            _ => "?".to_owned(),
        };
        self.methods.insert((receiver, call.method.to_string()));
        syn::visit::visit_expr_method_call(self, call);
    }

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let syn::Expr::Path(path) = &*call.func {
            let segments: Vec<String> = path.path.segments.iter().map(|s| s.ident.to_string()).collect();
            // A literal that reads as an item key (`text_value("switch#…")`).
            if segments.last().is_some_and(|f| f == "text_value")
                && let Some(key) = string_literal(call.args.first())
                && key.contains('#')
            {
                self.key_literals.insert(key);
            }
            match segments.as_slice() {
                [function] => {
                    self.methods.insert((String::new(), function.clone()));
                }
                [.., ty, method] if method == "builder" => {
                    self.builders.insert(ty.clone());
                }
                [ty, function] if ty == "Self" => {
                    self.methods.insert(("self".to_owned(), function.clone()));
                }
                // A function of a module (`sign_in::request_code(…)`, `sign_in::token::serve(…)`).
                [.., module, function] if module.chars().next().is_some_and(char::is_lowercase) => {
                    self.methods.insert((String::new(), function.clone()));
                }
                _ => {}
            }
        }
        syn::visit::visit_expr_call(self, call);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // `format!("…", …)` and the like: the format string is the first argument.
        let parser = syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated;
        let Ok(arguments) = mac.parse_body_with(parser) else { return };
        for argument in arguments {
            // Calls inside a macro (`tokio::join!(provider.connect(), store.connect())`) count.
            self.visit_expr(&argument);
            let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }) = argument else { continue };
            let text = text.value();
            if let Some((prefix, _)) = text.split_once('#')
                && !prefix.is_empty()
                && prefix.bytes().all(|b| b.is_ascii_lowercase())
            {
                self.key_prefixes.insert(format!("{prefix}#"));
            }
        }
    }

    fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
        let name = path.path.segments.last().unwrap().ident.to_string();
        if name.ends_with("_KEY") && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
            self.key_constants.insert(name);
        }
        syn::visit::visit_expr_path(self, path);
    }
}

fn string_literal(expr: Option<&syn::Expr>) -> Option<String> {
    match expr {
        Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. })) => Some(text.value()),
        _ => None,
    }
}

/// `path` if it is a Rust file, or the Rust files under it but unit tests' (`tests.rs`).
fn rust_files(path: &std::path::Path, into: &mut Vec<std::path::PathBuf>) {
    if path.is_file() {
        into.push(path.to_owned());
        return;
    }
    let mut entries: Vec<_> = std::fs::read_dir(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            rust_files(&entry, into);
        } else if entry.extension().is_some_and(|e| e == "rs") && entry.file_name().is_some_and(|n| n != "tests.rs") {
            into.push(entry);
        }
    }
}

impl Source {
    /// A file, or every file of a module's folder but its unit tests (`tests.rs`).
    fn parse(path: &str) -> Self {
        let mut files = Vec::new();
        rust_files(&root().join(path), &mut files);
        let mut functions = BTreeMap::new();
        let mut constants = BTreeMap::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
            Self::add_functions(&file, &mut functions);
            for item in &file.items {
                if let syn::Item::Const(c) = item
                    && let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }) = &*c.expr
                {
                    constants.insert(c.ident.to_string(), text.value());
                }
            }
        }
        assert!(!functions.is_empty(), "{path}: no functions");
        Self { path: path.to_owned(), functions, constants }
    }

    /// Several files or folders as one source.
    fn parse_all(paths: &[&str]) -> Self {
        let mut all = Self { path: paths.join(" + "), functions: BTreeMap::new(), constants: BTreeMap::new() };
        for path in paths {
            let one = Self::parse(path);
            for (name, calls) in one.functions {
                all.functions.entry(name).or_default().merge(calls);
            }
            all.constants.extend(one.constants);
        }
        all
    }

    fn add_functions(file: &syn::File, functions: &mut BTreeMap<String, Calls>) {
        // Functions of one name (an endpoint's `serve`, a store's and a use case's `flow`) are
        // taken as one: what any of them reaches, they all may.
        let mut add = |name: String, block: &syn::Block| {
            let mut calls = Calls::default();
            calls.visit_block(block);
            functions.entry(name).or_default().merge(calls);
        };
        for item in &file.items {
            match item {
                syn::Item::Fn(f) => add(f.sig.ident.to_string(), &f.block),
                syn::Item::Impl(i) => {
                    for item in &i.items {
                        if let syn::ImplItem::Fn(f) = item {
                            add(f.sig.ident.to_string(), &f.block);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// The functions of this file reachable from `start` through `self.x()` and `x()` calls.
    fn closure(&self, start: &BTreeSet<String>) -> BTreeSet<String> {
        let mut reached = BTreeSet::new();
        let mut todo: Vec<String> = start.iter().cloned().collect();
        while let Some(name) = todo.pop() {
            let Some(calls) = self.functions.get(&name) else { panic!("{}: no fn {name}", self.path) };
            if !reached.insert(name) {
                continue;
            }
            for (receiver, method) in &calls.methods {
                // Its own methods and functions, and the verification service's, which the
                // sign-in's use case calls through the service it wraps (`self.verification`).
                let own = receiver == "self" || receiver.is_empty() || receiver == "verification";
                if own && self.functions.contains_key(method) {
                    todo.push(method.clone());
                }
            }
        }
        reached
    }

    /// Methods called on a `.{field}` (or a `{field}` variable) by what `start` reaches; with
    /// `field` empty, the functions it calls by name.
    fn reached_from(&self, start: &BTreeSet<String>, field: &str) -> BTreeSet<String> {
        self.closure(start)
            .iter()
            .flat_map(|f| &self.functions[f].methods)
            .filter(|(receiver, _)| receiver == field)
            .map(|(_, method)| method.clone())
            .collect()
    }

    fn reached(&self, start: &[&str], field: &str) -> BTreeSet<String> {
        self.reached_from(&start.iter().map(|s| (*s).to_owned()).collect(), field)
    }

    /// Whether what `method` reaches writes to the table (a write call, or a write in a
    /// transaction).
    fn writes(&self, method: &str) -> bool {
        let start = BTreeSet::from([method.to_owned()]);
        let calls = self.reached_from(&start, "client");
        let calls: BTreeSet<&str> =
            calls.iter().map(String::as_str).filter(|c| DYNAMODB_OPERATIONS.contains(c)).collect();
        let builders = self.builders_reached_from(&start);
        ["put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items"]
            .iter()
            .any(|c| calls.contains(*c))
            || ["Put", "Update", "Delete"].iter().any(|b| builders.contains(*b))
    }

    /// Whether what `method` reaches deletes an item.
    fn deletes(&self, method: &str) -> bool {
        let start = BTreeSet::from([method.to_owned()]);
        self.reached_from(&start, "client").contains("delete_item")
            || self.builders_reached_from(&start).contains("Delete")
    }

    fn builders_reached_from(&self, start: &BTreeSet<String>) -> BTreeSet<String> {
        self.closure(start).iter().flat_map(|f| self.functions[f].builders.iter().cloned()).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The deploy roles (deploy/): one per environment, neither able to raise its own rights or reach
// the other environment; the roles the stack creates held inside a permissions boundary.

const ACCOUNT: &str = "123456789012";
/// The stack a `samconfig.toml` environment deploys (`phone-verification-STAGE`).
pub(crate) const STACK_NAME: &str = "phone-verification-dev";
const STAGES: [&str; 2] = ["dev", "prod"];

/// A file of deploy/ as docs/operate/deploy.md's one-time setup fills it in for `stage`.
fn deploy_document(path: &str, stage: &str) -> Value {
    let text = read(path).replace("ACCOUNT_ID", ACCOUNT).replace("STAGE", stage);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The deploy role's ARN, as docs/operate/deploy.md creates it (under a path no stack role can match).
fn deploy_role(stage: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/phone-verification-deploy/{stage}")
}

fn boundary(stage: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:policy/phone-verification-{stage}-function-boundary")
}

/// IAM's ARN patterns: `*` is any run of characters (`/` and `:` included), `?` any one.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let mut reach = vec![false; t.len() + 1]; // reach[j]: the pattern so far matches text[..j]
    reach[0] = true;
    for c in &p {
        let mut next = vec![false; t.len() + 1];
        for j in 0..=t.len() {
            next[j] = match c {
                '*' => reach[j] || (j > 0 && next[j - 1]),
                '?' => j > 0 && reach[j - 1],
                c => j > 0 && reach[j - 1] && t[j - 1] == *c,
            };
        }
        reach = next;
    }
    reach[t.len()]
}

fn list(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().map(|i| i.as_str().unwrap().to_owned()).collect(),
        Value::Null => vec![],
        other => panic!("not a string or a list: {other}"),
    }
}

fn statements(policy: &Value, effect: &str) -> Vec<Value> {
    policy["Statement"].as_array().unwrap().iter().filter(|s| s["Effect"] == effect).cloned().collect()
}

/// Whether `statement` lets `action` be done on `resource` (its own conditions aside).
fn covers(statement: &Value, action: &str, resource: &str) -> bool {
    list(&statement["Action"]).iter().any(|a| glob(a, action))
        && list(&statement["Resource"]).iter().any(|r| glob(r, resource))
}

#[test]
fn arn_patterns_match_as_iam_matches_them() {
    assert!(glob("arn:aws:iam::1:role/phone-verification-*", "arn:aws:iam::1:role/phone-verification-deploy/dev"));
    assert!(!glob("arn:aws:iam::1:role/phone-verification-dev-*", "arn:aws:iam::1:role/phone-verification-deploy/dev"));
    assert!(glob("a?c*", "abc") && glob("*", "") && !glob("a?c", "ac") && !glob("abc", "abcd"));
}

/// Actions that change what a role may do, or who may use it.
const ROLE_WRITES: &[&str] = &[
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PassRole",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
];

#[test]
fn a_deploy_role_cannot_raise_its_own_rights_or_create_a_role_outside_the_boundary() {
    for stage in STAGES {
        let policy = deploy_document("deploy/deploy-role-policy.json", stage);
        let allows = statements(&policy, "Allow");
        let denies = statements(&policy, "Deny");
        for statement in &allows {
            let sid = &statement["Sid"];
            for action in list(&statement["Action"]) {
                assert!(!action.contains('*'), "{stage} {sid}: wildcard action {action}");
            }
            for deploy in STAGES.map(deploy_role) {
                for action in ROLE_WRITES {
                    assert!(!covers(statement, action, &deploy), "{stage} {sid}: {action} on the deploy role {deploy}");
                }
            }
            for action in list(&statement["Action"]).iter().filter(|a| ROLE_WRITES.contains(&a.as_str())) {
                let condition = &statement["Condition"];
                if action == "iam:PassRole" {
                    assert_eq!(
                        condition["StringEquals"]["iam:PassedToService"], "lambda.amazonaws.com",
                        "{stage} {sid}"
                    );
                    assert_eq!(list(&statement["Action"]), ["iam:PassRole"], "{stage} {sid}: PassRole stands alone");
                } else {
                    assert_eq!(
                        condition["StringEquals"]["iam:PermissionsBoundary"],
                        boundary(stage),
                        "{stage} {sid}: {action} only for roles held in the boundary"
                    );
                }
            }
        }
        // Whatever else is ever attached to it, the role cannot touch itself or the boundary,
        // nor lift a boundary from any role.
        for target in [deploy_role(stage), boundary(stage)] {
            for action in
                ["iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:CreatePolicyVersion", "iam:UpdateAssumeRolePolicy"]
            {
                assert!(
                    denies.iter().any(|d| covers(d, action, &target)),
                    "{stage}: {action} on {target} is not denied"
                );
            }
        }
        let any_role = format!("arn:aws:iam::{ACCOUNT}:role/anything");
        assert!(denies.iter().any(|d| covers(d, "iam:DeleteRolePermissionsBoundary", &any_role)), "{stage}");

        // SAM attaches two AWS-managed policies to a function's role; nothing else may be attached.
        let attach = allows.iter().find(|s| list(&s["Action"]).contains(&"iam:AttachRolePolicy".to_owned())).unwrap();
        let policies = list(&attach["Condition"]["ArnEquals"]["iam:PolicyARN"]);
        assert_eq!(
            policies,
            [
                "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"
            ]
        );
    }
}

#[test]
fn the_boundary_allows_what_the_functions_need_and_nothing_of_iam() {
    let t = template();
    assert_eq!(
        t["Globals"]["Function"]["PermissionsBoundary"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/phone-verification-${Stage}-function-boundary"})
    );
    for stage in STAGES {
        let boundary = deploy_document("deploy/function-permissions-boundary.json", stage);
        let allows = statements(&boundary, "Allow");
        for (_, (name, f)) in functions(&t) {
            // Every statement, those a condition adds (the sign-in secret, the AWS sends) too.
            for statement in granted(f) {
                for action in list(&statement["Action"]) {
                    for resource in examples(stage, &action) {
                        assert!(
                            allows.iter().any(|a| covers(a, &action, &resource)),
                            "{stage} {name}: {action} on {resource} outside the boundary"
                        );
                    }
                }
            }
        }
        let other = if stage == "dev" { "prod" } else { "dev" };
        let other_table = format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/phone-verification-{other}-Table-ABC123");
        assert!(!allows.iter().any(|a| covers(a, "dynamodb:GetItem", &other_table)), "{stage} reaches {other}'s table");
        for statement in &allows {
            assert!(list(&statement["Action"]).iter().all(|a| !a.starts_with("iam:") && !a.contains('*')), "{stage}");
        }
    }
}

/// A function's statements, each one a condition adds (`!If [C, statement, AWS::NoValue]`) as
/// the statement it adds.
fn granted(f: &Value) -> Vec<Value> {
    f["Properties"]["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|policy| policy["Statement"].as_array().expect("inline statements only").clone())
        .map(|s| match s["Fn::If"].as_array().map(Vec::as_slice) {
            Some([_, then, otherwise]) => {
                assert_eq!(otherwise, &json!({"Ref": "AWS::NoValue"}), "{s}");
                then.clone()
            }
            _ => s,
        })
        .collect()
}

/// The resources of `stage`'s environment an action of the functions is done on, as AWS names
/// them: the table, the secret, and for the AWS sends each kind of origination identity and a
/// protect configuration (a text sent with one is authorized against it as well).
fn examples(stage: &str, action: &str) -> Vec<String> {
    match action.split(':').next().unwrap() {
        "dynamodb" => {
            vec![format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/phone-verification-{stage}-Table-ABC123")]
        }
        "secretsmanager" => {
            vec![format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:phone-verification/{stage}-AbCdEf")]
        }
        "sms-voice" => {
            let mut arns = AWS_IDENTITIES.map(|kind| format!("arn:aws:sms-voice:us-east-1:{ACCOUNT}:{kind}")).to_vec();
            if action == "sms-voice:SendTextMessage" {
                arns.push(format!("arn:aws:sms-voice:us-east-1:{ACCOUNT}:protect-configuration/{AWS_PROTECT}"));
            }
            arns
        }
        _ => panic!("{action}: give it an example resource here, and check the boundary allows it"),
    }
}

/// An origination identity of each kind AWS End User Messaging sends from (the Service
/// Authorization Reference's ARN formats: phone-number/ID, sender-id/ID/COUNTRY, pool/ID), and a
/// protect configuration's id.
const AWS_IDENTITIES: [&str; 3] = [
    "phone-number/phone-0123456789abcdef0123456789abcdef",
    "sender-id/Verify/GB",
    "pool/pool-0123456789abcdef0123456789abcdef",
];
const AWS_PROTECT: &str = "protect-0123456789abcdef0123456789abcdef";

/// What request-otp reads of the second provider, AWS End User Messaging SMS and voice.
const AWS_PROVIDER_VARIABLES: [&str; 7] = [
    "AWS_SMS_ORIGINATION_IDENTITY",
    "AWS_SMS_PROTECT_CONFIGURATION_ID",
    "PROVIDER_ORDER",
    "PROVIDER_ORDER_BY_COUNTRY",
    "AWS_SMS_PRICES",
    "AWS_VOICE_PRICES",
    "CODE_MESSAGE_HOST",
];

/// The second provider sends as request-otp and nothing else: only once an origination identity
/// is given (`AwsSmsOn`; off by default), only the two send actions, only from that identity,
/// and for a text also with the protect configuration given beside it; all of it inside the
/// boundary, which allows the two sends on the account's own identities and no other
/// `sms-voice` action. verify-otp is given none of it.
#[test]
fn request_otp_sends_by_aws_only_from_the_identity_it_is_given_and_only_with_it_on() {
    let t = template();
    assert_eq!(t["Parameters"]["AwsSmsOriginationIdentity"]["Default"], "", "off by default");
    assert_eq!(
        t["Conditions"]["AwsSmsOn"],
        json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "AwsSmsOriginationIdentity"}, ""]}]})
    );
    assert_eq!(
        t["Conditions"]["AwsSmsProtectOn"],
        json!({"Fn::And": [{"Condition": "AwsSmsOn"}, {"Fn::Not": [{"Fn::Equals": [{"Ref": "AwsSmsProtectConfigurationId"}, ""]}]}]})
    );
    let sends = json!({"Fn::If": ["AwsSmsOn", {
        "Sid": "SendByAws", "Effect": "Allow",
        "Action": ["sms-voice:SendTextMessage", "sms-voice:SendVoiceMessage"],
        "Resource": {"Ref": "AwsSmsOriginationIdentity"},
    }, {"Ref": "AWS::NoValue"}]});
    let protected = json!({"Fn::If": ["AwsSmsProtectOn", {
        "Sid": "SendByAwsWithItsProtectConfiguration", "Effect": "Allow",
        "Action": "sms-voice:SendTextMessage",
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:sms-voice:${AWS::Region}:${AWS::AccountId}:protect-configuration/${AwsSmsProtectConfigurationId}"},
    }, {"Ref": "AWS::NoValue"}]});
    for (binary, (name, f)) in functions(&t) {
        let grants: Vec<&Value> = f["Properties"]["Policies"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|policy| policy["Statement"].as_array().unwrap())
            .filter(|s| s.to_string().contains("sms-voice:"))
            .collect();
        let on = environment_with(&t, f, &["AwsSmsOn", "AwsSmsProtectOn"]);
        let off = environment_with(&t, f, &[]);
        let set =
            |env: &BTreeMap<String, String>| AWS_PROVIDER_VARIABLES.iter().filter(|v| env.contains_key(**v)).count();
        assert_eq!(set(&off), 0, "{name}: the AWS provider's settings with it off");
        if binary == "request-otp" {
            assert_eq!(grants, [&sends, &protected], "{name}");
            assert_eq!(set(&on), AWS_PROVIDER_VARIABLES.len(), "{name}: {on:?}");
        } else {
            assert!(grants.is_empty(), "{name} sends nothing: {grants:?}");
            assert_eq!(set(&on), 0, "{name}: the AWS provider's settings");
        }
    }

    for stage in STAGES {
        let boundary = deploy_document("deploy/function-permissions-boundary.json", stage);
        let allows = statements(&boundary, "Allow");
        let sms_voice: BTreeSet<String> =
            allows.iter().flat_map(|s| list(&s["Action"])).filter(|a| a.starts_with("sms-voice:")).collect();
        assert_eq!(
            sms_voice,
            BTreeSet::from(["sms-voice:SendTextMessage".into(), "sms-voice:SendVoiceMessage".into()])
        );
        for action in ["sms-voice:SendTextMessage", "sms-voice:SendVoiceMessage"] {
            for kind in AWS_IDENTITIES {
                let mine = format!("arn:aws:sms-voice:eu-west-2:{ACCOUNT}:{kind}");
                assert!(allows.iter().any(|a| covers(a, action, &mine)), "{stage}: {action} on {mine}");
                // Another account's identity (shared with this one) is outside it.
                let theirs = format!("arn:aws:sms-voice:eu-west-2:210987654321:{kind}");
                assert!(!allows.iter().any(|a| covers(a, action, &theirs)), "{stage}: {action} on {theirs}");
            }
            // Neither a configuration set (its event destinations) nor an opt-out list.
            for other in ["configuration-set/otp", "opt-out-list/Default"] {
                let arn = format!("arn:aws:sms-voice:us-east-1:{ACCOUNT}:{other}");
                assert!(!allows.iter().any(|a| covers(a, action, &arn)), "{stage}: {action} on {arn}");
            }
        }
    }
}

/// One resource of each kind the deploy role manages, named as `stage`'s stack names them.
fn resources_of(stage: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "cloudformation:UpdateStack",
            format!("arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/phone-verification-{stage}/1a2b"),
        ),
        (
            "cloudformation:UpdateStack",
            format!(
                "arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/phone-verification-{stage}-EdgeFirewallStack-X1/1a2b"
            ),
        ),
        (
            "s3:PutObject",
            format!("arn:aws:s3:::phone-verification-artifacts-{stage}-{ACCOUNT}/phone-verification-{stage}/abc"),
        ),
        ("s3:PutObject", format!("arn:aws:s3:::phone-verification-{stage}-sitebucket-x1y2/index.html")),
        ("s3:PutBucketPolicy", format!("arn:aws:s3:::phone-verification-{stage}-sitebucket-x1y2")),
        (
            "lambda:UpdateFunctionCode",
            format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:phone-verification-{stage}-RequestOtpFunction-X1"),
        ),
        ("iam:DeleteRole", format!("arn:aws:iam::{ACCOUNT}:role/phone-verification-{stage}-RequestOtpFunctionRole-X1")),
        ("iam:PassRole", format!("arn:aws:iam::{ACCOUNT}:role/phone-verification-{stage}-RequestOtpFunctionRole-X1")),
        (
            "dynamodb:DeleteTable",
            format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/phone-verification-{stage}-Table-X1"),
        ),
        (
            "logs:DeleteLogGroup",
            format!("arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/phone-verification-{stage}-request-otp"),
        ),
        (
            "logs:DeleteLogGroup",
            format!(
                "arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/vendedlogs/phone-verification-{stage}/http-api-access"
            ),
        ),
        (
            "wafv2:UpdateWebACL",
            format!("arn:aws:wafv2:us-east-1:{ACCOUNT}:global/webacl/phone-verification-{stage}-edge/1a2b"),
        ),
        (
            "secretsmanager:GetSecretValue",
            format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:phone-verification/{stage}-AbCdEf"),
        ),
    ]
}

/// Statements whose resources cannot be told apart by name (CloudFront's, API Gateway's and log
/// delivery's ids are random; template validation has no resource): each environment's role
/// shares these.
const ACCOUNT_WIDE: &[&str] = &["TemplateChecks", "HttpApi", "ApiAccessLogDelivery", "DistributionAndThePage"];

#[test]
fn each_environments_deploy_role_reaches_its_own_resources_and_not_the_others() {
    for stage in STAGES {
        let policy = deploy_document("deploy/deploy-role-policy.json", stage);
        let scoped: Vec<Value> = statements(&policy, "Allow")
            .into_iter()
            .filter(|s| !ACCOUNT_WIDE.contains(&s["Sid"].as_str().unwrap()))
            .collect();
        for (action, resource) in resources_of(stage) {
            assert!(
                scoped.iter().any(|s| covers(s, action, &resource)),
                "{stage}: cannot {action} on its own {resource}"
            );
        }
        for other in STAGES.into_iter().filter(|o| *o != stage) {
            for (action, resource) in resources_of(other) {
                assert!(
                    !scoped.iter().any(|s| covers(s, action, &resource)),
                    "{stage}'s role can {action} on {resource}"
                );
            }
        }

        let trust = deploy_document("deploy/github-oidc-trust.json", stage);
        let condition = &trust["Statement"][0]["Condition"]["StringEquals"];
        assert_eq!(condition["token.actions.githubusercontent.com:aud"], "sts.amazonaws.com");
        assert_eq!(
            list(&condition["token.actions.githubusercontent.com:sub"]),
            [format!("repo:OWNER/REPO:environment:{stage}")],
            "only the deploy job of its own GitHub environment"
        );
    }
}

#[test]
fn only_the_deploy_job_holds_credentials_and_it_runs_no_build_tool() {
    let workflow: Value = serde_norway::from_str(&read(".github/workflows/deploy.yml")).unwrap();
    assert_ne!(workflow["permissions"]["id-token"], "write", "not for every job");
    let jobs = workflow["jobs"].as_object().unwrap();
    let credentialed: Vec<&String> =
        jobs.keys().filter(|name| jobs[*name]["permissions"]["id-token"] == "write").collect();
    assert_eq!(credentialed, ["deploy"]);
    let deploy = &jobs["deploy"];
    assert_eq!(deploy["needs"], "build", "it ships what the build job made");
    for step in deploy["steps"].as_array().unwrap() {
        if let Some(action) = step["uses"].as_str() {
            let name = action.split('@').next().unwrap();
            assert!(
                ["actions/checkout", "actions/download-artifact", "aws-actions/configure-aws-credentials"]
                    .contains(&name),
                "{action} runs with deploy credentials"
            );
            assert!(action.split('@').nth(1).is_some_and(|sha| sha.len() == 40), "{action} is pinned by commit");
        }
        let run = step["run"].as_str().unwrap_or_default();
        for tool in ["npm", "npx", "cargo", "rustup", "pip", "sam ", "make", "build-release"] {
            assert!(!run.contains(tool), "`{run}` runs {tool} with deploy credentials");
        }
    }
    let build = &jobs["build"];
    assert!(read(".github/workflows/deploy.yml").contains("scripts/build-release"));
    assert!(
        build["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["run"].as_str().is_some_and(|r| r.contains("build-release")))
    );
    // The scripts the deploy job runs call the AWS CLI, and nothing that builds.
    for script in ["scripts/deploy-stack", "scripts/publish-page", "scripts/samconfig"] {
        let text = read(script);
        for tool in ["npm ", "cargo ", "sam ", "pip "] {
            assert!(
                !text.lines().filter(|l| !l.trim_start().starts_with('#')).any(|l| l.contains(tool)),
                "{script} runs {tool}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The edge firewall: where it is made, when it is on, and what it answers.

/// A stack's inputs: parameters set (others at their defaults) and the region.
struct Inputs<'a> {
    params: &'a [(&'a str, &'a str)],
    region: &'a str,
}

/// A string or a `Ref` as the stack sees it for `inputs`: a parameter set, else its default, or
/// the region.
fn input_value(t: &Value, v: &Value, inputs: &Inputs) -> String {
    if let Some(s) = v.as_str() {
        return s.to_owned();
    }
    let name = v["Ref"].as_str().unwrap_or_else(|| panic!("unsupported value {v}"));
    if name == "AWS::Region" {
        return inputs.region.to_owned();
    }
    if let Some((_, set)) = inputs.params.iter().find(|(n, _)| *n == name) {
        return (*set).to_owned();
    }
    let default = &t["Parameters"][name]["Default"];
    default.as_str().map_or_else(|| default.to_string(), str::to_owned)
}

/// Evaluates a condition expression of the template for `inputs`.
fn holds(t: &Value, e: &Value, inputs: &Inputs) -> bool {
    let value = |v: &Value| input_value(t, v, inputs);
    let args = |name: &str| e[name].as_array().unwrap().clone();
    if let Some(name) = e["Condition"].as_str() {
        return holds(t, &t["Conditions"][name], inputs);
    }
    if e.get("Fn::Equals").is_some() {
        let pair = args("Fn::Equals");
        return value(&pair[0]) == value(&pair[1]);
    }
    if e.get("Fn::Not").is_some() {
        return !holds(t, &args("Fn::Not")[0], inputs);
    }
    if e.get("Fn::And").is_some() {
        return args("Fn::And").iter().all(|c| holds(t, c, inputs));
    }
    if e.get("Fn::Or").is_some() {
        return args("Fn::Or").iter().any(|c| holds(t, c, inputs));
    }
    panic!("unsupported condition {e}")
}

/// What the distribution gets for `inputs`: None, a created web ACL, or the given ARN; or the
/// stack's own rules refuse the inputs.
fn firewall(t: &Value, inputs: &Inputs) -> Result<Option<String>, String> {
    for (name, rule) in t["Rules"].as_object().into_iter().flatten() {
        if holds(t, &rule["RuleCondition"], inputs) {
            for assertion in rule["Assertions"].as_array().unwrap() {
                if !holds(t, &assertion["Assert"], inputs) {
                    return Err(format!("{name}: {}", assertion["AssertDescription"]));
                }
            }
        }
    }
    let config = &t["Resources"]["Distribution"]["Properties"]["DistributionConfig"];
    let choice = config["WebACLId"]["Fn::If"].as_array().expect("WebACLId chosen by a condition");
    if !holds(t, &json!({"Condition": choice[0]}), inputs) {
        return Ok(None);
    }
    let inner = choice[1]["Fn::If"].as_array().unwrap();
    if holds(t, &json!({"Condition": inner[0]}), inputs) {
        return Ok(Some(input_value(t, &inner[1], inputs)));
    }
    let created = &t["Resources"]["EdgeFirewallStack"];
    assert!(holds(t, &json!({"Condition": created["Condition"]}), inputs), "attached but not created");
    assert_eq!(inner[2], json!({"Fn::GetAtt": ["EdgeFirewallStack", "Outputs.WebAclArn"]}));
    Ok(Some("created".to_owned()))
}

#[test]
fn the_edge_firewall_is_on_by_default_in_prod_and_comes_from_us_east_1() {
    let t = template();
    let acl = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/phone-verification-prod-edge/1a2b";
    /// Parameters set, the region, and what the distribution gets (Err: the stack refuses).
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, Result<Option<&'a str>, ()>);
    let cases: &[Case] = &[
        (&[("Stage", "prod")], "us-east-1", Ok(Some("created"))),
        (&[("Stage", "dev")], "us-east-1", Ok(None)),
        (&[("Stage", "dev"), ("EdgeFirewall", "on")], "us-east-1", Ok(Some("created"))),
        (&[("Stage", "prod"), ("EdgeFirewall", "off")], "us-east-1", Ok(None)),
        (&[("Stage", "prod"), ("EdgeFirewallArn", acl)], "us-east-1", Ok(Some(acl))),
        (&[("Stage", "prod"), ("EdgeFirewallArn", acl)], "eu-west-1", Ok(Some(acl))),
        (&[("Stage", "prod")], "eu-west-1", Err(())),
        (&[("Stage", "dev"), ("EdgeFirewall", "on")], "eu-west-1", Err(())),
        (&[("Stage", "dev")], "eu-west-1", Ok(None)),
        (&[("Stage", "prod"), ("EdgeFirewall", "off")], "eu-west-1", Ok(None)),
    ];
    for (params, region, expected) in cases {
        let got = firewall(&t, &Inputs { params, region });
        match (expected, &got) {
            (Ok(want), Ok(have)) => assert_eq!(have.as_deref(), *want, "{params:?} in {region}"),
            (Err(()), Err(why)) => assert!(why.contains("us-east-1"), "{why}"),
            _ => panic!("{params:?} in {region}: expected {expected:?}, got {got:?}"),
        }
    }
    let samconfig = read("samconfig.toml");
    assert!(!samconfig.contains("EdgeFirewall=off"), "prod keeps the default (on)");
}

#[test]
fn the_edge_firewall_limits_api_calls_per_address_and_refuses_in_the_apis_own_words() {
    let t = template();
    let nested = &t["Resources"]["EdgeFirewallStack"]["Properties"];
    assert_eq!(nested["Location"], "deploy/edge-firewall.yaml");
    let acl_template = template_at("deploy/edge-firewall.yaml");
    let acl = &acl_template["Resources"]["WebAcl"]["Properties"];
    assert_eq!(acl["Scope"], "CLOUDFRONT");
    let rules = acl["Rules"].as_array().unwrap();

    let rate = rules.iter().find_map(|r| r["Statement"].get("RateBasedStatement")).expect("a rate-based rule");
    assert_eq!(rate["AggregateKeyType"], "IP");
    let scope = &rate["ScopeDownStatement"]["ByteMatchStatement"];
    assert_eq!((&scope["SearchString"], &scope["PositionalConstraint"]), (&json!("/api/"), &json!("STARTS_WITH")));
    assert_eq!(nested["Parameters"]["ApiRequestsPerAddress"], json!({"Ref": "EdgeRequestsPerAddress"}));

    let groups: BTreeSet<&str> =
        rules.iter().filter_map(|r| r["Statement"]["ManagedRuleGroupStatement"]["Name"].as_str()).collect();
    assert_eq!(groups, BTreeSet::from(["AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesAnonymousIpList"]));

    // Every refusal the edge sends is the API's error shape with a code the contract (and so the
    // page) knows, or, for OAuth clients, RFC 6749's with an error the token endpoint documents.
    let spec: Value = serde_norway::from_str(&read("openapi.yaml")).unwrap();
    let spec_text = spec.to_string();
    let oauth_errors = &spec["components"]["schemas"]["OAuthError"]["properties"]["error"]["enum"];
    for (key, body) in acl["CustomResponseBodies"].as_object().unwrap() {
        assert_eq!(body["ContentType"], "APPLICATION_JSON", "{key}");
        let content: Value = serde_json::from_str(body["Content"].as_str().unwrap()).unwrap();
        if let Some(description) = content.get("error_description") {
            assert!(description.is_string(), "{key}");
            assert!(oauth_errors.as_array().unwrap().contains(&content["error"]), "{key}: not an OAuth error");
            continue;
        }
        let code = content["code"].as_str().unwrap();
        assert!(content["error"].is_string(), "{key}");
        assert!(spec_text.contains(&format!("\"{code}\"")), "{key}: code {code} is not in openapi.yaml");
    }
}

/// Whether a scope-down statement of the web ACL matches a request for `path`.
fn scope_matches(statement: &Value, path: &str) -> bool {
    if let Some(byte) = statement.get("ByteMatchStatement") {
        assert_eq!(byte["FieldToMatch"], json!({"UriPath": {}}), "{byte}");
        assert_eq!(byte["TextTransformations"], json!([{"Priority": 0, "Type": "NONE"}]), "{byte}");
        let wanted = byte["SearchString"].as_str().unwrap();
        return match byte["PositionalConstraint"].as_str().unwrap() {
            "STARTS_WITH" => path.starts_with(wanted),
            "EXACTLY" => path == wanted,
            other => panic!("unsupported constraint {other}"),
        };
    }
    if let Some(or) = statement.get("OrStatement") {
        return or["Statements"].as_array().unwrap().iter().any(|s| scope_matches(s, path));
    }
    if let Some(and) = statement.get("AndStatement") {
        return and["Statements"].as_array().unwrap().iter().all(|s| scope_matches(s, path));
    }
    if let Some(not) = statement.get("NotStatement") {
        return !scope_matches(&not["Statement"], path);
    }
    panic!("unsupported scope-down statement {statement}")
}

/// The requests each rule of the web ACL can refuse, by path.
fn rule_scopes() -> BTreeMap<String, BTreeSet<&'static str>> {
    let acl_template = template_at("deploy/edge-firewall.yaml");
    let rules = acl_template["Resources"]["WebAcl"]["Properties"]["Rules"].as_array().unwrap().clone();
    rules
        .iter()
        .map(|rule| {
            let statement = &rule["Statement"];
            let inner = statement.get("RateBasedStatement").or(statement.get("ManagedRuleGroupStatement"));
            let scope = &inner.expect("a rate-based or managed rule")["ScopeDownStatement"];
            let paths = EDGE_PATHS.iter().copied().filter(|p| scope.is_null() || scope_matches(scope, p)).collect();
            (rule["Name"].as_str().unwrap().to_owned(), paths)
        })
        .collect()
}

const EDGE_PATHS: [&str; 11] = [
    "/",
    "/sign-in",
    "/signed-out",
    "/authorize",
    "/api/request-otp",
    "/api/verify-otp",
    "/oauth/token",
    "/oauth/userinfo",
    "/oauth/logout",
    "/.well-known/openid-configuration",
    "/.well-known/jwks.json",
];

/// A relying party's back end calls the token and userinfo endpoints and reads the key documents
/// from a hosting provider's address: the anonymous-address list (whose HostingProviderIPList
/// blocks such addresses) never applies there, and the API's small per-address limit does not
/// either; their own limit and the reputation list do. The authorization endpoint, where a
/// session signs a person in with no call to the API, is held to the same per-address limit.
#[test]
fn the_sign_in_endpoints_have_their_own_limit_and_no_hosting_provider_block() {
    let scopes = rule_scopes();
    let relying_party: BTreeSet<&str> = [
        "/oauth/token",
        "/oauth/userinfo",
        "/oauth/logout",
        "/.well-known/openid-configuration",
        "/.well-known/jwks.json",
    ]
    .into();
    let sign_in: BTreeSet<&str> = relying_party.iter().copied().chain(["/authorize"]).collect();
    let api: BTreeSet<&str> = ["/api/request-otp", "/api/verify-otp"].into();
    assert_eq!(scopes["aws-anonymous-ip"], api, "the anonymous-address list: the API alone");
    assert_eq!(scopes["api-requests-per-address"], api);
    assert_eq!(scopes["oauth-requests-per-address"], sign_in);
    assert_eq!(scopes["aws-ip-reputation"], api, "in the API's error shape");
    assert_eq!(scopes["aws-ip-reputation-oauth"], relying_party, "in OAuth's error shape");
    // What each rule answers the sign-in's endpoints is OAuth's shape (RFC 6749 §5.2).
    let acl = template_at("deploy/edge-firewall.yaml");
    let acl = &acl["Resources"]["WebAcl"]["Properties"];
    for rule in acl["Rules"].as_array().unwrap() {
        let name = rule["Name"].as_str().unwrap();
        if scopes[name].is_empty() || !scopes[name].is_subset(&sign_in) {
            continue;
        }
        let text = rule.to_string();
        let bodies: Vec<&str> = acl["CustomResponseBodies"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|key| text.contains(&format!("\"CustomResponseBodyKey\":\"{key}\"")))
            .map(String::as_str)
            .collect();
        assert!(!bodies.is_empty(), "{name} answers nothing of its own");
        for key in bodies {
            let body: Value =
                serde_json::from_str(acl["CustomResponseBodies"][key]["Content"].as_str().unwrap()).unwrap();
            assert!(
                body.get("error_description").is_some() && body.get("code").is_none(),
                "{name}: {key} is not OAuth's"
            );
        }
    }
    // The page itself is never refused: a refused visitor still reads why.
    for (rule, paths) in &scopes {
        for page in ["/", "/sign-in", "/signed-out"] {
            assert!(!paths.contains(page), "{rule} refuses the page at {page}");
        }
    }
}

#[test]
fn the_policy_that_hides_the_deployed_secrets_denies_every_action_the_readme_names() {
    let readme = read("docs/operate/deploy.md");
    let table = readme.split("| action | reveals |").nth(1).expect("the deploy page's table of revealing actions");
    let named: BTreeSet<String> = table
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .flat_map(|l| l.split('|').nth(1).unwrap().split(',').map(|a| a.trim().trim_matches('`').to_owned()))
        .collect();
    let policy = deploy_document("deploy/deny-secret-reads.json", "dev");
    let denied: BTreeSet<String> = statements(&policy, "Deny").iter().flat_map(|s| list(&s["Action"])).collect();
    assert_eq!(denied, named, "denied (left) and named in docs/operate/deploy.md (right)");
    assert!(named.contains("lambda:GetFunctionConfiguration") && named.contains("cloudfront:GetDistributionConfig"));
    let exempt = list(&statements(&policy, "Deny")[0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"]);
    for stage in STAGES {
        assert!(exempt.iter().any(|p| glob(p, &deploy_role(stage))), "the {stage} deploy role deploys the functions");
    }
    // Both functions read the deployment's secret at each cold start (the Vonage account's
    // settings): each role, as CloudFormation names it, is exempt from the secret's deny.
    let reads = statements(&policy, "Deny")
        .into_iter()
        .find(|s| list(&s["Action"]).contains(&"secretsmanager:GetSecretValue".to_owned()))
        .expect("a deny of the secret's reads");
    let readers = list(&reads["Condition"]["ArnNotLike"]["aws:PrincipalArn"]);
    for function in ["RequestOtpFunction", "VerifyOtpFunction"] {
        let role = format!("arn:aws:iam::{ACCOUNT}:role/phone-verification-dev-{function}Role-AbC123dEf456");
        assert!(readers.iter().any(|p| glob(p, &role)), "{function}'s role may read the secret: {readers:?}");
    }
}
