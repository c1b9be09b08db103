//! A simulator on a loopback port: in the background for tests and in-process hosts, or until a
//! signal for the command. The port follows the outage: closed while the simulator is down, with
//! every open connection closed too, and bound again, the same port, when it comes back.

use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use crate::outage::Attached;
use crate::{Outage, Sim};

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

impl<S: Sim> Running<S> {
    /// Sets the outage, and returns once the server has acted on it: after [`Outage::Down`] the
    /// port refuses connections and those open are closed; after leaving it the port is bound
    /// again.
    pub async fn set_outage(&self, outage: Outage) {
        self.simulator.outages().set(outage).await;
    }

    pub fn outage(&self) -> Outage {
        self.simulator.outages().current()
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
) -> io::Result<()> {
    run(crate::router(&simulator), simulator.outages().attach(), listener, shutdown).await
}

/// Starts `simulator` on a free loopback port in the background.
pub async fn spawn<S: Sim>(simulator: S) -> io::Result<Running<S>> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    // Counted in before the task runs, so that an outage set at once waits for it.
    let attached = simulator.outages().attach();
    let router = crate::router(&simulator);
    tokio::spawn(async move {
        if let Err(e) = run(router, attached, listener, std::future::pending()).await {
            tracing::error!(error = %e, "simulator stopped");
        }
    });
    Ok(Running { addr, simulator })
}

/// Serves `router` while the simulator is not down, and tells `attached` each time it has acted
/// on an outage.
async fn run(
    router: Router,
    attached: Attached,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let addr = listener.local_addr()?;
    let mut listener = Some(listener);
    let mut wanted = attached.outages().watch();
    let mut shutdown = pin!(shutdown);
    loop {
        let now = *wanted.borrow_and_update();
        if now.outage == Outage::Down {
            listener = None;
            attached.acted_on(now.generation);
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                _ = wanted.changed() => continue,
            }
        }
        let bound = match listener.take() {
            Some(listener) => listener,
            None => bind_again(addr).await?,
        };
        attached.acted_on(now.generation);
        let connections = Connections::new();
        let stopped = loop {
            tokio::select! {
                () = &mut shutdown => break true,
                _ = wanted.changed() => {
                    let now = *wanted.borrow_and_update();
                    if now.outage == Outage::Down {
                        break false;
                    }
                    attached.acted_on(now.generation);
                }
                accepted = bound.accept() => match accepted {
                    Ok((stream, _)) => connections.serve(stream, router.clone()),
                    Err(e) => accept_failed(e).await,
                },
            }
        };
        drop(bound);
        connections.close().await;
        if stopped {
            return Ok(());
        }
    }
}

/// The port the simulator had. The connections it just closed may hold it a moment longer.
async fn bind_again(addr: SocketAddr) -> io::Result<TcpListener> {
    let mut tries = 0;
    loop {
        match TcpListener::bind(addr).await {
            Err(e) if e.kind() == io::ErrorKind::AddrInUse && tries < 100 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            bound => return bound,
        }
    }
}

/// As axum's own server does: a connection that failed before it was accepted is its client's
/// business; anything else (out of file descriptors) is waited out.
async fn accept_failed(e: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if !matches!(e.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        tracing::error!(error = %e, "accepting a connection failed");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The connections accepted while up, each served in a task of its own.
struct Connections {
    /// Dropped to tell every connection to close.
    close: watch::Sender<()>,
    /// Each connection holds a clone until it has closed, or has been told to and is finishing
    /// an answer: the receiver ends when none is left.
    open: mpsc::Sender<()>,
    closing: mpsc::Receiver<()>,
}

impl Connections {
    fn new() -> Self {
        let (close, _) = watch::channel(());
        let (open, closing) = mpsc::channel(1);
        Self { close, open, closing }
    }

    fn serve(&self, stream: TcpStream, router: Router) {
        let mut close = self.close.subscribe();
        let open = self.open.clone();
        tokio::spawn(async move {
            // Declared before the connection, so dropped after it: closed, then counted out.
            let open = open;
            let io = TokioIo::new(stream);
            let mut connection =
                pin!(hyper::server::conn::http1::Builder::new().serve_connection(io, TowerToHyperService::new(router)));
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = close.changed() => {}
            }
            connection.as_mut().graceful_shutdown();
            // An idle connection closes on this poll (so does one whose request is not read yet:
            // its client sees it closed); one in the middle of an answer finishes it first.
            let closed = std::future::poll_fn(|cx| Poll::Ready(connection.as_mut().poll(cx).is_ready())).await;
            if !closed {
                drop(open);
                let _ = connection.await;
            }
        });
    }

    /// Tells every connection to close, and returns once each has closed or is finishing its
    /// last answer.
    async fn close(self) {
        let Self { close, open, mut closing } = self;
        drop(close);
        drop(open);
        let _ = closing.recv().await;
    }
}
