//! moto's DynamoDB-compatible server, and the tables the functions use.

use super::*;

pub(crate) async fn create_table(endpoint: &str, table: &str) -> Result<(), String> {
    shared::adapters::DynamoStore::on_local_server(endpoint, table, otp_bench::record_cipher())
        .create_table()
        .await
        .map_err(|e| format!("creating the table: {e}"))
}

/// moto's DynamoDB-compatible server, as the test command runs it, on a loopback port it binds
/// itself (one checked free and handed over could be taken by another process first).
pub(crate) struct Moto {
    pub(crate) addr: SocketAddr,
    pub(crate) child: Child,
}

impl Moto {
    pub(crate) fn start() -> Result<Self, String> {
        let mut child = Command::new("python3")
            .args(["scripts/dynamodb-server", "127.0.0.1", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("moto: {e}"))?;
        let stdout = child.stdout.take().expect("piped");
        let (said, heard) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            let mut lines = std::io::BufReader::new(stdout);
            let mut first = String::new();
            let _ = lines.read_line(&mut first);
            let _ = said.send(first);
            // Whatever else it prints, so that a full pipe never stops it.
            let _ = std::io::copy(&mut lines, &mut std::io::sink());
        });
        // A bound against a hang: moto starts in seconds, more beside the test command.
        let first = heard.recv_timeout(Duration::from_secs(120)).unwrap_or_default();
        let addr = first.trim().strip_prefix("on http://").and_then(|a| a.parse::<SocketAddr>().ok());
        match addr {
            Some(addr) => Ok(Self { addr, child }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("moto did not start (run through `make bench`, which installs it): {first:?}"))
            }
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
