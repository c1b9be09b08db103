//! A simulator as a command: `NAME [--port N]`, its settings from the environment, until Ctrl-C.

use std::net::SocketAddr;
use std::process::ExitCode;

use crate::Sim;

/// Reads `--port` (default `default_port`, 0 for a free one), builds the simulator (`build` reads
/// its settings; an error names the setting), listens on 127.0.0.1, prints `banner` and serves
/// until Ctrl-C.
pub fn main<S: Sim>(
    name: &str,
    default_port: u16,
    build: impl FnOnce() -> Result<S, String>,
    banner: impl FnOnce(&S, SocketAddr) -> String,
) -> ExitCode {
    tracing_subscriber::fmt().with_target(false).compact().init();
    let Some(port) = port(std::env::args().skip(1), default_port) else {
        eprintln!("usage: {name} [--port N]   (N = 0 picks a free port; default {default_port})");
        return ExitCode::from(2);
    };
    let simulator = match build() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a Tokio runtime starts");
    runtime.block_on(async {
        let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("cannot listen on 127.0.0.1:{port}: {e} (pick another with --port)");
                return ExitCode::FAILURE;
            }
        };
        let addr = listener.local_addr().expect("a bound listener has an address");
        println!("{}", banner(&simulator, addr));
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match crate::serve(simulator, listener, shutdown).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("simulator stopped: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// The port `--port N` names, `default` without it; none for anything else.
fn port(mut args: impl Iterator<Item = String>, default: u16) -> Option<u16> {
    let mut port = default;
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next().map(|v| v.parse::<u16>())) {
            ("--port", Some(Ok(p))) => port = p,
            _ => return None,
        }
    }
    Some(port)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> impl Iterator<Item = String> {
        line.split_whitespace().map(str::to_owned).collect::<Vec<_>>().into_iter()
    }

    #[test]
    fn takes_a_port_or_the_default_and_nothing_else() {
        assert_eq!(port(args(""), 4010), Some(4010));
        assert_eq!(port(args("--port 0"), 4010), Some(0));
        assert_eq!(port(args("--port 70000"), 4010), None);
        assert_eq!(port(args("--port"), 4010), None);
        assert_eq!(port(args("--verbose 1"), 4010), None);
    }
}
