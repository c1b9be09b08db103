//! moto's DynamoDB-compatible server, and the tables the functions use.

use super::*;

pub(crate) async fn create_table(endpoint: &str, table: &str) -> Result<(), String> {
    shared::adapters::DynamoStore::on_local_server(endpoint, table, otp_bench::record_cipher())
        .create_table()
        .await
        .map_err(|e| format!("creating the table: {e}"))
}

/// moto's DynamoDB-compatible server, as the test command runs it, on a free loopback port.
pub(crate) struct Moto {
    pub(crate) addr: SocketAddr,
    pub(crate) child: Child,
}

impl Moto {
    pub(crate) fn start() -> Result<Self, String> {
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let child = Command::new("python3")
            .args(["scripts/dynamodb-server", "127.0.0.1", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("moto: {e}"))?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        // A bound against a hang: moto starts in seconds, more beside the test command.
        for _ in 0..1200 {
            if std::net::TcpStream::connect(addr).is_ok() {
                return Ok(Self { addr, child });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err("moto did not start (run through `make bench`, which installs it)".into())
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
