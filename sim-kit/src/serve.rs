//! A simulator on a loopback port: in the background for tests and in-process hosts, or until a
//! signal for the command.

use std::net::SocketAddr;
use std::ops::Deref;

use tokio::net::TcpListener;

use crate::Sim;

/// A simulator serving in the background; derefs to the simulator.
pub struct Running<S> {
    pub addr: SocketAddr,
    pub simulator: S,
}

impl<S> Running<S> {
    /// What to point a client at (`VONAGE_API_BASE_URL`, `AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl<S> Deref for Running<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.simulator
    }
}

/// Serves `simulator` on `listener` until `shutdown` completes.
pub async fn serve<S: Sim>(
    simulator: S,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, crate::router(&simulator)).with_graceful_shutdown(shutdown).await
}

/// Starts `simulator` on a free loopback port in the background.
pub async fn spawn<S: Sim>(simulator: S) -> std::io::Result<Running<S>> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let server = simulator.clone();
    tokio::spawn(async move {
        if let Err(e) = serve(server, listener, std::future::pending()).await {
            tracing::error!(error = %e, "simulator stopped");
        }
    });
    Ok(Running { addr, simulator })
}
