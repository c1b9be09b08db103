//! One TLS handshake, measured: what verify-otp's secret read costs in AWS on top of what moto
//! (plain HTTP on loopback) shows. A rustls server with an RSA-2048 chain (`bench/tls`) on
//! loopback, and a client on ring, as the functions' AWS SDK client is.

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};

use super::*;

/// Handshakes measured by `make bench` (the quick run makes a few).
pub(crate) const HANDSHAKES: usize = 200;

const ROOT: &[u8] = include_bytes!("../../../tls/ca.pem");
const CHAIN: &[u8] = include_bytes!("../../../tls/server-chain.pem");
const KEY: &[u8] = include_bytes!("../../../tls/server.key");

pub(crate) struct Handshakes {
    /// Each handshake's time, TCP connect included, in order (the first with cold caches).
    pub(crate) samples: Vec<Duration>,
}

pub(crate) fn measure_tls_handshakes(count: usize) -> Result<Handshakes, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = CertificateDer::pem_slice_iter(CHAIN).collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())?;
    let key = PrivateKeyDer::from_pem_slice(KEY).map_err(|e| e.to_string())?;
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
    for root in CertificateDer::pem_slice_iter(ROOT) {
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
