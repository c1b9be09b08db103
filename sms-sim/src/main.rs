//! `sms-sim [--port N]`: a local AWS End User Messaging SMS and voice for tests and local runs.

use std::process::ExitCode;

use sms_sim::{SimConfig, Simulator};

fn main() -> ExitCode {
    sim_kit::main(
        "sms-sim",
        4020,
        || SimConfig::from_env().map(Simulator::new),
        |sim, addr| {
            format!(
                "AWS End User Messaging SMS simulator on http://{addr} (origination identities {:?}); messages at http://{addr}/_simulator/messages",
                sim.config().origination_identities
            )
        },
    )
}
