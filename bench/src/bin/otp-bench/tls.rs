//! One TLS handshake, measured: what verify-otp's secret read costs in AWS on top of what moto
//! (plain HTTP on loopback) shows. A rustls server with an RSA-2048 chain on loopback, and a
//! client on ring, as the functions' AWS SDK client is. The chain (a root and a certificate for
//! `localhost`, RSA 2048 as AWS's endpoints present theirs) is made with openssl for each run, in
//! a folder of its own that is removed after: no key is kept anywhere.

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};

use super::*;

/// Handshakes measured by `make bench` (the quick run makes a few).
pub(crate) const HANDSHAKES: usize = 200;

/// A root, a certificate for `localhost` it signed and that certificate's key, in PEM, made with
/// openssl in a folder that is removed after.
struct TestChain {
    root: Vec<u8>,
    chain: Vec<u8>,
    key: Vec<u8>,
}

fn make_test_chain() -> Result<TestChain, String> {
    let dir = std::env::temp_dir().join(format!("otp-bench-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let made = (|| {
        let openssl = |args: &[&str]| -> Result<(), String> {
            let out = std::process::Command::new("openssl")
                .args(args)
                .current_dir(&dir)
                .output()
                .map_err(|e| format!("openssl (for the TLS handshake figure): {e}"))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!("openssl {}: {}", args[0], String::from_utf8_lossy(&out.stderr)))
            }
        };
        std::fs::write(dir.join("leaf.ext"), "subjectAltName=DNS:localhost\nbasicConstraints=critical,CA:FALSE\n")
            .map_err(|e| e.to_string())?;
        #[rustfmt::skip]
        openssl(&[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=otp-bench test root",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
            "-keyout", "ca.key", "-out", "ca.pem",
        ])?;
        #[rustfmt::skip]
        openssl(&[
            "req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-keyout", "server.key", "-out", "server.csr",
        ])?;
        #[rustfmt::skip]
        openssl(&[
            "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "1", "-extfile", "leaf.ext", "-out", "server.pem",
        ])?;
        let read = |name: &str| std::fs::read(dir.join(name)).map_err(|e| format!("{name}: {e}"));
        Ok(TestChain { root: read("ca.pem")?, chain: read("server.pem")?, key: read("server.key")? })
    })();
    let _ = std::fs::remove_dir_all(&dir);
    made
}

pub(crate) struct Handshakes {
    /// Each handshake's time, TCP connect included, in order (the first with cold caches).
    pub(crate) samples: Vec<Duration>,
}

pub(crate) fn measure_tls_handshakes(count: usize) -> Result<Handshakes, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let made = make_test_chain()?;
    let chain =
        CertificateDer::pem_slice_iter(&made.chain).collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())?;
    let key = PrivateKeyDer::from_pem_slice(&made.key).map_err(|e| e.to_string())?;
    let server = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(chain, key))
        .map_err(|e| e.to_string())?;
    let server = Arc::new(server);
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let (Ok(mut tcp), Ok(mut tls)) = (tcp, ServerConnection::new(server.clone())) else { continue };
            while tls.is_handshaking() {
                if tls.complete_io(&mut tcp).is_err() {
                    break;
                }
            }
            // TLS 1.3's session tickets, which the client does not wait for.
            let _ = tls.complete_io(&mut tcp);
        }
    });

    let mut roots = RootCertStore::empty();
    for root in CertificateDer::pem_slice_iter(&made.root) {
        roots.add(root.map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    }
    let client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let client = Arc::new(client);
    let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
    let mut samples = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        let mut tcp = TcpStream::connect(addr).map_err(|e| e.to_string())?;
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        let mut tls = ClientConnection::new(client.clone(), name.clone()).map_err(|e| e.to_string())?;
        while tls.is_handshaking() {
            tls.complete_io(&mut tcp).map_err(|e| format!("TLS handshake: {e}"))?;
        }
        samples.push(started.elapsed());
        let _ = tcp.flush();
    }
    Ok(Handshakes { samples })
}
