//! `sms-sim [--port N]`: a local AWS End User Messaging SMS and voice for tests and local runs.

use std::process::ExitCode;

use sms_sim::{SimConfig, Simulator};

const USAGE: &str = "usage: sms-sim [--port N]   (N = 0 picks a free port; default 4020)";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_target(false).compact().init();
    let mut port: u16 = 4020;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next().map(|v| v.parse::<u16>())) {
            ("--port", Some(Ok(p))) => port = p,
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let config = match SimConfig::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {e} (pick another with --port)");
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().expect("a bound listener has an address");
    println!(
        "AWS End User Messaging SMS simulator on http://{addr} (origination identities {:?}); messages at http://{addr}/_simulator/messages",
        config.origination_identities
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match Simulator::new(config).serve(listener, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("simulator stopped: {e}");
            ExitCode::FAILURE
        }
    }
}
