//! Cold starts and warm invocations, interleaved across sides, and the checks that the peer and
//! the baseline do our work.

use super::*;

/// One cold start (init, then one call), with its traffic when it is the first; the process, kept
/// for the warm invocations after the last, and its first answer.
pub(crate) async fn cold_start(
    unit: &Unit,
    first: bool,
    backends: &Backends,
    f: &mut Figures,
    events: &mut Events,
) -> Result<(Process, Value), String> {
    let function = unit.function;
    let before = (backends.dynamodb.traffic(), backends.vonage.traffic());
    let secrets_before = backends.secrets.traffic();
    let api = RuntimeApi::start().await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    let child = unit.spawn(&api, backends)?;
    let process = Process { function, label: unit.label, side: unit.side, child, api, limit: backends.limit };
    let init = process.api.first_poll(backends.limit).await.map_err(|e| format!("{}: {e}", unit.label))? - started;
    let at_init = (backends.dynamodb.traffic(), backends.vonage.traffic());
    let (latency, answer) = invoke(&process, &events.next(function)?).await?;
    events.answered(function, backends, &answer);
    let after_first = (backends.dynamodb.traffic(), backends.vonage.traffic());
    f.init.push(init);
    f.first.push(latency);
    if first {
        f.secrets_at_init = requests(&secrets_before, &backends.secrets.traffic());
        f.connections_at_init = (connections(&before.0, &at_init.0), connections(&before.1, &at_init.1));
        f.connections_in_first_call =
            (connections(&at_init.0, &after_first.0), connections(&at_init.1, &after_first.1));
        f.dynamodb_calls = requests(&at_init.0, &after_first.0);
        f.vonage_calls = requests(&at_init.1, &after_first.1);
    }
    Ok((process, answer))
}

/// The peer answers what ours answers: the same status, headers that matter and body fields, each
/// of the same JSON type, and the same number.
pub(crate) fn same_answers(units: &[Unit], answers: &HashMap<&str, Value>) -> Result<(), String> {
    for ours in units.iter().filter(|u| u.side == Side::Ours) {
        let others = units.iter().filter(|u| u.side != Side::Ours && u.function == ours.function);
        for peer in others {
            let (a, b) = (&answers[ours.label], &answers[peer.label]);
            let body =
                |v: &Value| serde_json::from_str::<Value>(v["body"].as_str().unwrap_or("{}")).unwrap_or_default();
            let shape = |v: &Value| -> Vec<(String, &'static str)> {
                let kind = |x: &Value| match x {
                    Value::String(_) => "string",
                    Value::Number(_) => "number",
                    Value::Bool(_) => "bool",
                    _ => "other",
                };
                v.as_object().map(|o| o.iter().map(|(k, x)| (k.clone(), kind(x))).collect()).unwrap_or_default()
            };
            let (ours_body, peer_body) = (body(a), body(b));
            let same = a["statusCode"] == b["statusCode"]
                && a["headers"]["content-type"] == b["headers"]["content-type"]
                && shape(&ours_body) == shape(&peer_body)
                && ours_body["phoneNumber"].as_str().map(str::len) == peer_body["phoneNumber"].as_str().map(str::len);
            if !same {
                return Err(format!("{} answered {a}, {} answered {b}: not the same work", ours.label, peer.label));
            }
        }
    }
    Ok(())
}

/// The peer and the baseline make the same calls as ours: as many DynamoDB requests, and the
/// same Vonage ones.
pub(crate) fn same_round_trips(units: &[Unit], figures: &HashMap<&str, Figures>) -> Result<(), String> {
    for ours in units.iter().filter(|u| u.side == Side::Ours) {
        for other in units.iter().filter(|u| u.side != Side::Ours && u.function == ours.function) {
            let (a, b) = (&figures[ours.label], &figures[other.label]);
            let vonage = |f: &Figures| -> Vec<String> {
                f.vonage_calls.iter().map(|l| l.split('/').take(3).collect::<Vec<_>>().join("/")).collect()
            };
            // The peer reads the sign-in secret as ours does (the baseline may hold it in its environment).
            let secret_read_differs = other.side == Side::Peer && a.secrets_at_init != b.secrets_at_init;
            if secret_read_differs {
                return Err(format!(
                    "{} asked Secrets Manager for {:?} during init, {} for {:?}: not the same work",
                    ours.label, a.secrets_at_init, other.label, b.secrets_at_init
                ));
            }
            if a.dynamodb_calls.len() != b.dynamodb_calls.len() || vonage(a) != vonage(b) {
                return Err(format!(
                    "{} called DynamoDB ({}) and Vonage ({}), {} called DynamoDB ({}) and Vonage ({}): not the same work",
                    ours.label,
                    a.dynamodb_calls.join(", "),
                    a.vonage_calls.join(", "),
                    other.label,
                    b.dynamodb_calls.join(", "),
                    b.vonage_calls.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// Warm invocations as people make them: a code request, then its check, `options.warm` times,
/// each function in its own warm process. The table is emptied every [`FLOWS_PER_TABLE`] flows:
/// moto copies the whole table for every transaction, so a growing table would make each
/// request-otp call wait longer and longer on a busy moto (DynamoDB's latency does not grow with
/// a table), and those waits and moto's work on the other core would show in the functions' CPU.
pub(crate) async fn warm_invocations(
    options: &Options,
    backends: &Backends,
    processes: &[Process],
    figures: &mut HashMap<&str, Figures>,
    events: &mut [Events; 3],
) -> Result<(), String> {
    let store = |table| {
        shared::adapters::DynamoStore::on_local_server(&backends.dynamodb.url(), table, otp_bench::record_cipher())
    };
    let stores = [store(TABLE), store(PEER_TABLE)];
    let mut cpu_before = Vec::new();
    for p in processes {
        cpu_before.push(cpu_time(p.child.id())?);
    }
    for i in 1..=options.warm {
        for p in processes {
            let f = figures.get_mut(p.label).expect("a figure per function");
            let events = &mut events[p.side as usize];
            let backend_before = backends.dynamodb.upstream_time() + backends.vonage.upstream_time();
            let (latency, answer) = invoke(p, &events.next(p.function)?).await?;
            let backend = backends.dynamodb.upstream_time() + backends.vonage.upstream_time() - backend_before;
            events.answered(p.function, backends, &answer);
            f.warm.push(latency);
            f.warm_own.push(latency.saturating_sub(backend));
            if i == options.warm / 10 || i == options.warm / 2 || i == options.warm {
                f.rss_kib.push(status_kib(p.child.id(), "VmRSS")?);
            }
        }
        if i % FLOWS_PER_TABLE == 0 {
            for store in &stores {
                empty_table(store).await?;
            }
        }
    }
    for (p, before) in processes.iter().zip(cpu_before) {
        let f = figures.get_mut(p.label).expect("a figure per function");
        f.cpu_per_warm = (cpu_time(p.child.id())? - before) / u32::try_from(options.warm).unwrap();
        f.peak_rss_kib = status_kib(p.child.id(), "VmHWM")?;
    }
    Ok(())
}

/// Flows between two resets of the table.
pub(crate) const FLOWS_PER_TABLE: usize = 25;

pub(crate) async fn empty_table(store: &shared::adapters::DynamoStore) -> Result<(), String> {
    store
        .client()
        .delete_table()
        .table_name(store.table())
        .send()
        .await
        .map_err(|e| format!("emptying the table: {e}"))?;
    store.create_table().await.map_err(|e| format!("creating the table: {e}"))
}

/// The same Runtime API exchange around a handler that does nothing: the share of each warm
/// invocation that is lambda_runtime's own (two HTTP exchanges with the Runtime API, the event's
/// JSON), whatever the function does.
pub(crate) async fn measure_empty_function(options: &Options) -> Result<Duration, String> {
    let binary = std::env::current_exe().map_err(|e| e.to_string())?.with_file_name("empty-function");
    let api = RuntimeApi::start().await.map_err(|e| e.to_string())?;
    let endpoints = Endpoints { dynamodb: String::new(), table: String::new(), vonage: String::new() };
    let child = lambda_command(&binary, "empty-function", &api, &endpoints)
        .spawn()
        .map_err(|e| format!("{}: {e} (built with otp-bench)", binary.display()))?;
    let (function, label, limit) = ("empty-function", "empty-function", options.limit);
    let process = Process { function, label, side: Side::Ours, api, child, limit };
    process.api.first_poll(limit).await?;
    let mut events = Events::default();
    invoke(&process, &events.next("request-otp")?).await?;
    let before = cpu_time(process.child.id())?;
    for _ in 0..options.warm {
        invoke(&process, &events.next("request-otp")?).await?;
    }
    Ok((cpu_time(process.child.id())? - before) / u32::try_from(options.warm).unwrap())
}
