//! `vonage-sim [--port N]`: a local Vonage Verify (v2 and v1) for tests and local runs.

use std::process::ExitCode;

use vonage_sim::{SimConfig, Simulator};

fn main() -> ExitCode {
    sim_kit::main(
        "vonage-sim",
        4010,
        || SimConfig::from_env().map(Simulator::new),
        |sim, addr| {
            format!(
                "Vonage Verify simulator on http://{addr} (key `{}`); messages at http://{addr}/_simulator/messages",
                sim.config().api_key
            )
        },
    )
}
