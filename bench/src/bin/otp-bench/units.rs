//! What the benchmark runs: each side's functions (ours, the Node.js peer's, a baseline build's),
//! their processes, and the events they are sent.

use super::*;

/// The events to send: a new number each time for request-otp (so no cooldown or cap applies),
/// then, for verify-otp, the oldest verification request-otp made that is not yet checked, with
/// the code the simulator sent for it.
/// Whose function a unit runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Ours,
    Peer,
    Baseline,
}

impl Side {
    pub(crate) const ALL: [Side; 3] = [Side::Ours, Side::Peer, Side::Baseline];
}

/// Each side's numbers are `+1415555` and four digits from `side × NUMBERS_PER_SIDE` on.
pub(crate) const NUMBERS_PER_SIDE: usize = 3_333;

#[derive(Default)]
pub(crate) struct Events {
    pub(crate) n: usize,
    /// Where this side's numbers start (ours and the peer's never share one).
    pub(crate) numbers: usize,
    pub(crate) verifications: VecDeque<(String, String)>,
}

impl Events {
    pub(crate) fn next(&mut self, function: &str) -> Result<String, String> {
        self.n += 1;
        let (template, body) = if function == "request-otp" {
            (REQUEST_EVENT, json!({"phoneNumber": format!("+1415555{:04}", self.numbers + self.n % NUMBERS_PER_SIDE)}))
        } else {
            let (id, code) = self.verifications.pop_front().ok_or("more verify-otp calls than codes sent")?;
            (VERIFY_EVENT, json!({"requestId": id, "code": code}))
        };
        let mut event: Value = serde_json::from_str(template).expect("events are JSON");
        event["body"] = body.to_string().into();
        let n = self.n;
        event["requestContext"]["http"]["sourceIp"] = format!("198.51.{}.{}", n / 250 % 250, n % 250 + 1).into();
        Ok(event.to_string())
    }

    /// Keeps what a code request answered, with the code the simulator sent for it.
    pub(crate) fn answered(&mut self, function: &str, backends: &Backends, answer: &Value) {
        if function != "request-otp" {
            return;
        }
        let sent: Value = serde_json::from_str(answer["body"].as_str().unwrap_or("{}")).unwrap_or_default();
        let to = sent["phoneNumber"].as_str().unwrap_or_default();
        let code = backends.sim.simulator.messages().into_iter().rev().find(|m| m.to == to).map(|m| m.code);
        if let (Some(id), Some(code)) = (sent["requestId"].as_str(), code) {
            self.verifications.push_back((id.to_owned(), code));
        }
    }
}

/// A function's process, stopped when dropped.
pub(crate) struct Process {
    pub(crate) function: &'static str,
    /// The figures' key: the function, and whose.
    pub(crate) label: &'static str,
    pub(crate) side: Side,
    pub(crate) api: RuntimeApi,
    pub(crate) child: Child,
    pub(crate) limit: Duration,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the benchmark runs: one function, ours (its `bootstrap`), the baseline's (another build's)
/// or the peer's (its bundle under `node` and the peer's runtime loop).
pub(crate) struct Unit {
    pub(crate) function: &'static str,
    pub(crate) label: &'static str,
    pub(crate) side: Side,
    /// Ours: the bootstrap. The peer: the bundle.
    pub(crate) artifact: PathBuf,
    /// The peer's `node` and runtime loop.
    pub(crate) node: Option<(PathBuf, PathBuf)>,
}

impl Unit {
    pub(crate) fn all(options: &Options) -> Result<Vec<Unit>, String> {
        let node = which("node").ok_or("node is not on PATH (the peer runs on Node.js)")?;
        let runtime = options.peer_dir.join("runtime.mjs");
        let mut units = Vec::new();
        let labels = [
            ("request-otp", "request-otp (Node.js)", "request-otp (baseline)"),
            ("verify-otp", "verify-otp (Node.js)", "verify-otp (baseline)"),
        ];
        for (function, peer_label, baseline_label) in labels {
            let bootstrap = if options.plain_binaries {
                options.lambda_dir.join(function)
            } else {
                options.lambda_dir.join(function).join("bootstrap")
            };
            let bundle = options.peer_dir.join(function).join("index.mjs");
            let baseline = options.baseline.as_ref().map(|dir| dir.join(function).join("bootstrap"));
            for path in [Some(&bootstrap), Some(&bundle), Some(&runtime), baseline.as_ref()].into_iter().flatten() {
                if !path.is_file() {
                    return Err(format!("{} is missing: run `make bench`, which builds it", path.display()));
                }
            }
            units.push(Unit { function, label: function, side: Side::Ours, artifact: bootstrap, node: None });
            let node = Some((node.clone(), runtime.clone()));
            units.push(Unit { function, label: peer_label, side: Side::Peer, artifact: bundle, node });
            if let Some(artifact) = baseline {
                units.push(Unit { function, label: baseline_label, side: Side::Baseline, artifact, node: None });
            }
        }
        Ok(units)
    }

    pub(crate) fn size(&self) -> Result<u64, String> {
        Ok(std::fs::metadata(&self.artifact).map_err(|e| format!("{}: {e}", self.artifact.display()))?.len())
    }

    /// The deployment zip: the bootstrap, or the bundle (Lambda's managed runtime brings Node.js).
    pub(crate) fn zip_size(&self) -> Result<u64, String> {
        zip_size(&self.artifact, if self.side == Side::Peer { "index.mjs" } else { "bootstrap" })
    }

    pub(crate) fn spawn(&self, api: &RuntimeApi, backends: &Backends) -> Result<Child, String> {
        let table = if self.side == Side::Peer { PEER_TABLE } else { TABLE };
        let endpoints =
            Endpoints { dynamodb: backends.dynamodb.url(), table: table.into(), vonage: backends.vonage.url() };
        let mut command = match &self.node {
            None => lambda_command(&self.artifact, self.function, api, &endpoints),
            Some((node, runtime)) => {
                // As Lambda's Node.js runtime starts node for 128 MB: the old space at ~90% of it.
                let args = [std::ffi::OsStr::new("--max-old-space-size=115"), runtime.as_os_str()];
                let mut command = lambda_command_with(node, &args, self.function, api, &endpoints);
                command.env("PEER_HANDLER", &self.artifact);
                command
            }
        };
        command.env("OTP_MAX_SENDS_PER_IP_PER_HOUR", "1000000");
        // verify-otp with sign-in on, as deployed: its keys and clients in the secret, read at
        // init. The baseline's are in its environment instead, as they were before the secret
        // (`--baseline` of the same build shows what the read costs).
        if self.function == "verify-otp" {
            command.env("TOKEN_ISSUER", otp_bench::BENCH_ISSUER);
            if self.side == Side::Baseline {
                command.envs(otp_bench::bench_sign_in_material());
            } else {
                command
                    .env("SIGN_IN_SECRET_ID", otp_bench::BENCH_SIGN_IN_SECRET)
                    .env("AWS_ENDPOINT_URL_SECRETS_MANAGER", backends.secrets.url());
            }
        }
        command.spawn().map_err(|e| format!("{}: {e}", self.label))
    }
}

pub(crate) fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(program)).find(|p| p.is_file())
}

pub(crate) async fn invoke(process: &Process, event: &str) -> Result<(Duration, Value), String> {
    let function = process.function;
    let answer = process.api.invoke(event, process.limit).await.map_err(|e| format!("{function}: {e}"))?;
    let body: Value = serde_json::from_slice(&answer.body).unwrap_or_default();
    if answer.kind != "response" || body["statusCode"] != 200 {
        return Err(format!("{function} answered {}: {body}", answer.kind));
    }
    Ok((answer.latency, body))
}
