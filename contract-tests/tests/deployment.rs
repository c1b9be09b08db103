//! Keeps `template.yaml` wired to the code: the functions it deploys are the workspace's binaries,
//! the table's TTL attribute is the one the store writes, the environment it sets is exactly what
//! the code reads (and loads), its routes are the API contract's, and each function may call
//! exactly the DynamoDB actions its code path reaches.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Value, json};
use shared::config::{Config, Settings, StoreConfig};
use syn::visit::Visit;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// The template, with CloudFormation's short tags (`!Ref`, `!Sub`, ...) turned into their long
// form (`{"Ref": ...}`, `{"Fn::Sub": ...}`) so it reads as plain JSON.

fn template() -> Value {
    let yaml: serde_norway::Value = serde_norway::from_str(&read("template.yaml")).expect("template.yaml parses");
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
fn functions(t: &Value) -> BTreeMap<String, (&str, &Value)> {
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
        if let Some(reference) = out.strip_prefix("{{resolve:secretsmanager:").and_then(|r| r.strip_suffix("}}")) {
            let key = reference.rsplit(':').next().unwrap();
            return format!("{key:_<64}").to_lowercase();
        }
        assert!(!out.contains("${"), "unresolved {sub}");
        return out;
    }
    panic!("no resolution for {v}")
}

/// The environment a function starts with: the global variables, then its own.
fn environment(t: &Value, function: &Value) -> BTreeMap<String, String> {
    let global = t["Globals"]["Function"]["Environment"]["Variables"].as_object();
    let own = function["Properties"]["Environment"]["Variables"].as_object();
    global.into_iter().chain(own).flatten().map(|(k, v)| (k.clone(), resolve(t, v))).collect()
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
        json!({"AttributeName": shared::store::dynamo::TTL_ATTRIBUTE, "Enabled": true})
    );
    assert_eq!(table["KeySchema"], json!([{"AttributeName": shared::store::dynamo::PARTITION_KEY, "KeyType": "HASH"}]));
    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    for (_, (name, f)) in functions(&t) {
        assert_eq!(environment(&t, f)["TABLE_NAME"], "Table-physical-id", "{name}");
    }
}

#[test]
fn the_environment_the_template_sets_is_exactly_what_the_code_reads_and_it_loads() {
    let t = template();
    for (binary, (name, f)) in functions(&t) {
        let env = environment(&t, f);
        let asked = Mutex::new(BTreeSet::new());
        let settings = Settings::new(|var: &str| {
            asked.lock().unwrap().insert(var.to_owned());
            env.get(var).cloned()
        });
        let config = Config::from_settings(&settings).unwrap_or_else(|e| panic!("{binary} would not start: {e}"));
        StoreConfig::from_settings(&settings).unwrap_or_else(|e| panic!("{binary} would not start: {e}"));
        let asked = asked.into_inner().unwrap();
        let unread: Vec<_> = env.keys().filter(|k| !asked.contains(*k)).collect();
        assert!(unread.is_empty(), "{name} sets variables the code never reads: {unread:?}");

        // Optional to the code, required behind CloudFront: without it every viewer shares the
        // per-address cap of the CloudFront server that forwarded the request.
        assert!(env.contains_key("ORIGIN_VERIFY_SECRET"), "{name}");
        // Lambda's JSON log format, which the functions' logging follows.
        assert_eq!(property(&t, f, "LoggingConfig")["LogFormat"], "JSON", "{name}");
        // A resend may call Vonage three times (start, cancel, start) between two DynamoDB calls;
        // the function outlives them all, so that its own JSON answers even the slowest call.
        let timeout_ms = property(&t, f, "Timeout").as_u64().unwrap() * 1000;
        let vonage_ms = u64::try_from(config.vonage.timeout.as_millis()).unwrap();
        let store_ms = shared::store::dynamo::timeouts().operation_timeout().expect("bounded").as_millis();
        let store_ms = u64::try_from(store_ms).unwrap();
        assert!(
            timeout_ms >= 3 * vonage_ms + 2 * store_ms + 1000,
            "{name}: Timeout {timeout_ms} ms, Vonage {vonage_ms} ms and DynamoDB {store_ms} ms per call"
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
    let api_behavior = distribution["CacheBehaviors"].as_array().unwrap().iter().find(|b| b["TargetOriginId"] == "api");
    assert_eq!(api_behavior.unwrap()["PathPattern"], "/api/*");
    let policy = &t["Resources"]["ApiOriginRequestPolicy"]["Properties"]["OriginRequestPolicyConfig"];
    let forwarded: BTreeSet<String> = policy["HeadersConfig"]["Headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_lowercase())
        .collect();
    assert!(forwarded.contains(shared::http::VIEWER_ADDRESS_HEADER), "{forwarded:?}");
    assert!(forwarded.contains("content-type") && forwarded.contains("origin"), "{forwarded:?}");
}

#[test]
fn cloudfront_adds_the_security_headers_the_page_is_developed_and_tested_under() {
    let t = template();
    let policy = &t["Resources"]["SecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"];
    let config = &policy["SecurityHeadersConfig"];
    let text = |v: &Value| v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).to_owned();
    let mut deployed = BTreeMap::from([
        ("content-security-policy".to_owned(), text(&config["ContentSecurityPolicy"]["ContentSecurityPolicy"])),
        ("x-frame-options".to_owned(), text(&config["FrameOptions"]["FrameOption"])),
        ("referrer-policy".to_owned(), text(&config["ReferrerPolicy"]["ReferrerPolicy"])),
    ]);
    if config["ContentTypeOptions"]["Override"] == true {
        deployed.insert("x-content-type-options".to_owned(), "nosniff".to_owned());
    }
    let local: BTreeMap<String, String> =
        otp_local::SECURITY_HEADERS.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    assert_eq!(deployed, local);
    let hsts = &config["StrictTransportSecurity"];
    assert!(hsts["AccessControlMaxAgeSec"].as_u64().unwrap() >= 31_536_000, "HSTS for at least a year");
    let distribution = &t["Resources"]["Distribution"]["Properties"]["DistributionConfig"];
    let behaviors =
        distribution["CacheBehaviors"].as_array().unwrap().iter().chain([&distribution["DefaultCacheBehavior"]]);
    for behavior in behaviors {
        assert_eq!(behavior["ResponseHeadersPolicyId"], json!({"Ref": "SecurityHeadersPolicy"}));
        assert_ne!(behavior["ViewerProtocolPolicy"], "allow-all", "HTTPS only");
    }
}

#[test]
fn the_routes_are_the_api_contract_and_the_local_router() {
    let t = template();
    let mut deployed = BTreeMap::new();
    for (binary, (_, f)) in functions(&t) {
        for event in f["Properties"]["Events"].as_object().unwrap().values() {
            assert_eq!(event["Type"], "HttpApi");
            assert_eq!(event["Properties"]["ApiId"], json!({"Ref": "HttpApi"}));
            let method = event["Properties"]["Method"].as_str().unwrap().to_lowercase();
            deployed.insert((event["Properties"]["Path"].as_str().unwrap().to_owned(), method), binary.clone());
        }
    }
    let spec: Value = serde_norway::from_str(&read("openapi.yaml")).unwrap();
    let documented: BTreeSet<(String, String)> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| ops.as_object().unwrap().keys().map(move |m| (path.clone(), m.clone())))
        .collect();
    assert_eq!(deployed.keys().cloned().collect::<BTreeSet<_>>(), documented);

    // `cargo lambda watch` serves the same paths with the same binaries.
    let router = &cargo_metadata()["metadata"]["lambda"]["watch"]["router"];
    let local: BTreeMap<(String, String), String> = router
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, binary)| ((path.clone(), "post".to_owned()), binary.as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(deployed, local);
}

#[test]
fn each_function_may_call_exactly_the_dynamodb_actions_its_code_reaches() {
    let t = template();
    let table_arn = json!({"Fn::GetAtt": ["Table", "Arn"]});
    let service = Source::parse("shared/src/service.rs");
    let store = Source::parse("shared/src/store/dynamo.rs");
    let bootstrap = Source::parse("shared/src/bootstrap.rs");
    for (binary, (name, f)) in functions(&t) {
        let handler = Source::parse(&format!("functions/{binary}/src/lib.rs"));
        let service_methods = handler.reached(&["handle"], "service");
        assert!(!service_methods.is_empty(), "{binary} calls no service method");
        let mut store_methods = service.reached_from(&service_methods, "store");
        // Every cold start connects to DynamoDB ahead of the first call.
        store_methods.extend(bootstrap.reached(&["from_env"], "store"));
        let mut actions = BTreeSet::new();
        for call in store.reached_from(&store_methods, "client") {
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
        for policy in f["Properties"]["Policies"].as_array().unwrap() {
            for statement in policy["Statement"].as_array().expect("inline statements only") {
                assert_eq!(statement["Effect"], "Allow");
                assert_eq!(statement["Resource"], table_arn, "{name}: only the one table");
                for action in statement["Action"].as_array().unwrap() {
                    granted.insert(action.as_str().unwrap().to_owned());
                }
            }
        }
        assert_eq!(granted, actions, "{name}: granted (left) and reached by the code (right)");
    }
}

#[test]
fn the_deploy_role_may_manage_every_kind_of_resource_the_template_creates_and_no_more_broadly() {
    let t = template();
    let policy: Value = serde_json::from_str(&read("deploy/deploy-role-policy.json")).unwrap();
    let mut allowed = BTreeSet::new();
    for statement in policy["Statement"].as_array().unwrap() {
        assert_eq!(statement["Effect"], "Allow");
        for action in statement["Action"].as_array().unwrap() {
            let action = action.as_str().unwrap();
            assert!(!action.contains('*'), "no wildcard actions: {action}");
            allowed.insert(action.split(':').next().unwrap().to_owned());
        }
    }
    let mut needed = BTreeSet::from(["cloudformation".to_owned(), "s3".to_owned()]); // the stack, SAM's artifacts
    for resource in t["Resources"].as_object().unwrap().values() {
        let kind = resource["Type"].as_str().unwrap();
        let services: &[&str] = match kind {
            "AWS::Serverless::Function" => &["lambda", "iam", "logs"],
            "AWS::Serverless::HttpApi" => &["apigateway"],
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

    let trust: Value = serde_json::from_str(&read("deploy/github-oidc-trust.json")).unwrap();
    let condition = &trust["Statement"][0]["Condition"]["StringEquals"];
    assert_eq!(condition["token.actions.githubusercontent.com:aud"], "sts.amazonaws.com");
    let subjects = condition["token.actions.githubusercontent.com:sub"].as_array().unwrap();
    assert!(
        subjects.iter().all(|s| s.as_str().unwrap().contains(":environment:")),
        "only the deploy job's environments"
    );
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
}

#[derive(Default)]
struct Calls {
    /// `(receiver, method)`, with the receiver's last field (`self.store.get()` gives `store`;
    /// `self.helper()` gives `self`), and plain calls to functions as `("", name)`.
    methods: BTreeSet<(String, String)>,
    /// Types whose `builder()` is called (`Update::builder()` gives `Update`).
    builders: BTreeSet<String>,
}

impl<'ast> Visit<'ast> for Calls {
    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
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
            match segments.as_slice() {
                [function] => {
                    self.methods.insert((String::new(), function.clone()));
                }
                [.., ty, method] if method == "builder" => {
                    self.builders.insert(ty.clone());
                }
                _ => {}
            }
        }
        syn::visit::visit_expr_call(self, call);
    }
}

impl Source {
    fn parse(path: &str) -> Self {
        let file = syn::parse_file(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut functions = BTreeMap::new();
        let mut add = |name: String, block: &syn::Block| {
            let mut calls = Calls::default();
            calls.visit_block(block);
            functions.insert(name, calls);
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
        Self { path: path.to_owned(), functions }
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
                if (receiver == "self" || receiver.is_empty()) && self.functions.contains_key(method) {
                    todo.push(method.clone());
                }
            }
        }
        reached
    }

    /// Methods called on a `.{field}` (or a `{field}` variable) by what `start` reaches.
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

    fn builders_reached_from(&self, start: &BTreeSet<String>) -> BTreeSet<String> {
        self.closure(start).iter().flat_map(|f| self.functions[f].builders.iter().cloned()).collect()
    }
}
