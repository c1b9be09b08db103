//! `otp-local [--create-table]`: the page and both functions on http://localhost:3000.

use std::process::ExitCode;

const USAGE: &str = "usage: otp-local [--create-table] | --new-signing-key

Serves the built page and both API endpoints on http://localhost:$PORT (default 3000).
Without VONAGE_API_KEY the Vonage Verify simulator runs in-process and prints each SMS;
without TABLE_NAME records are kept in memory. --create-table creates TABLE_NAME (with TTL)
if it is missing, e.g. on a local DynamoDB-compatible server named by AWS_ENDPOINT_URL_DYNAMODB.
Tokens are signed with TOKEN_SIGNING_KEYS, or keys made for the run (the RSA key with openssl).
--new-signing-key prints a new RSA key and a new P-256 key (PKCS#8 PEM) for TOKEN_SIGNING_KEYS
and exits.";

fn main() -> ExitCode {
    match otp_local::runtime() {
        Ok(runtime) => runtime.block_on(serve()),
        Err(e) => {
            eprintln!("otp-local: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> ExitCode {
    shared::telemetry::init();
    let mut create_table = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--create-table" => create_table = true,
            "--new-signing-key" => {
                return match otp_local::new_signing_keys() {
                    Ok(keys) => {
                        print!("{keys}");
                        ExitCode::SUCCESS
                    }
                    Err(e) => {
                        eprintln!("{e}");
                        ExitCode::FAILURE
                    }
                };
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let running = match otp_local::start(|name| std::env::var(name).ok(), create_table, shutdown_signal()).await {
        Ok(running) => running,
        Err(e) => {
            eprintln!("otp-local: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("\nPhone verification is running on http://localhost:{}\n", running.addr.port());
    for line in &running.summary {
        println!("  {line}");
    }
    println!("\nPress Ctrl-C to stop.\n");
    match running.serve().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("otp-local stopped: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a process can listen for SIGTERM");
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate.recv() => {},
    }
    println!("\nStopping.");
}
