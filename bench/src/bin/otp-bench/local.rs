//! The local server under load: whole verifications through `otp-local`.

use super::*;

pub(crate) struct Local {
    pub(crate) flows_per_second: f64,
    pub(crate) flow: Vec<Duration>,
    pub(crate) request_otp: Vec<Duration>,
    pub(crate) verify_otp: Vec<Duration>,
}

/// `options.flows` whole verifications at `options.concurrency` against a local server of its own.
pub(crate) async fn measure_local(options: &Options) -> Result<Local, String> {
    let page = std::env::temp_dir().join(format!("otp-bench-page-{}", std::process::id()));
    std::fs::create_dir_all(&page).map_err(|e| e.to_string())?;
    std::fs::write(page.join("index.html"), "<!doctype html><title>bench</title>").map_err(|e| e.to_string())?;
    let url = start_local_server(&page)?;
    let local = load(options, &url).await;
    let _ = std::fs::remove_dir_all(&page);
    local
}

/// otp-local serving `page` on a port of its own, on a runtime of its own (so that the load does not
/// share its threads), with the per-client cap out of the way; its URL once it listens.
fn start_local_server(page: &std::path::Path) -> Result<String, String> {
    let settings: HashMap<&str, String> = HashMap::from([
        // A port it binds itself, and says in its URL.
        ("PORT", "0".to_string()),
        ("FRONTEND_DIST", page.display().to_string()),
        ("OTP_MAX_SENDS_PER_IP_PER_HOUR", "1000000".into()),
        ("OTP_LOCAL_PRINT_SMS", "false".into()),
    ]);
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // Stacks as otp-local's own runtime has them (a debug build's frames are large).
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_stack_size(8 * 1024 * 1024)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let lookup = move |name: &str| settings.get(name).cloned();
            let serving = otp_local::serve_here(lookup, false).await.map_err(|e| e.to_string());
            let _ = ready_tx.send(serving.as_ref().map(|s| s.url.clone()).map_err(Clone::clone));
            // Serves for as long as the benchmark runs.
            std::future::pending::<()>().await;
        });
    });
    ready_rx.recv().map_err(|e| e.to_string())?
}

/// The flows, `options.concurrency` at a time, each worker taking the next number until all are
/// done; every flow's times and the rate of the whole.
async fn load(options: &Options, url: &str) -> Result<Local, String> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..options.concurrency {
        let (client, url, next, flows) = (client.clone(), url.to_owned(), next.clone(), options.flows);
        workers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if n >= flows {
                    return Ok::<_, String>(times);
                }
                times.push(flow(&client, &url, n).await?);
            }
        }));
    }
    let mut local = Local { flows_per_second: 0.0, flow: Vec::new(), request_otp: Vec::new(), verify_otp: Vec::new() };
    for worker in workers {
        for (whole, request, verify) in worker.await.map_err(|e| e.to_string())?? {
            local.flow.push(whole);
            local.request_otp.push(request);
            local.verify_otp.push(verify);
        }
    }
    local.flows_per_second = options.flows as f64 / started.elapsed().as_secs_f64();
    Ok(local)
}

/// One person's verification against the local server: ask for a code, read it from the
/// simulator, check it. Returns the whole flow's time and each API call's.
pub(crate) async fn flow(
    client: &reqwest::Client,
    url: &str,
    n: usize,
) -> Result<(Duration, Duration, Duration), String> {
    let number = format!("+1415556{:04}", n % 10_000);
    let start = Instant::now();
    let sent: Value = post(client, &format!("{url}/api/request-otp"), &json!({"phoneNumber": number})).await?;
    let request_time = start.elapsed();
    let messages: Value = client
        .get(format!("{url}/api/dev/messages?to={}", &number[1..]))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let code = messages[0]["code"].as_str().ok_or("no code in the simulator")?.to_owned();
    let verify_start = Instant::now();
    let verified =
        post(client, &format!("{url}/api/verify-otp"), &json!({"requestId": sent["requestId"], "code": code})).await?;
    if verified["verified"] != true {
        return Err(format!("not verified: {verified}"));
    }
    Ok((start.elapsed(), request_time, verify_start.elapsed()))
}

pub(crate) async fn post(client: &reqwest::Client, url: &str, body: &Value) -> Result<Value, String> {
    let response = client.post(url).json(body).send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{url} answered {status}: {body}"));
    }
    Ok(body)
}
