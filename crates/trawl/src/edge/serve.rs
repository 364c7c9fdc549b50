//! The connection loop. `axum::serve` gives no way to tune hyper's HTTP/1 parser, and
//! without a timer hyper never enforces its header read timeout, so a client that
//! trickles header bytes (slowloris) could hold a connection and a task for ever. Here
//! every connection gets a deadline for its request head and a parser that accepts
//! enough headers for the limits middleware to answer an oversize request in the
//! error envelope rather than hyper's bare 431.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::serve::Listener;
use axum::Router;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tower::ServiceExt;

/// Parser settings for each connection.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Longest wait for a complete request head (request line and headers).
    pub header_read_timeout: Duration,
    /// Most headers hyper parses. Above the configured `header_count` and below this,
    /// the limits middleware answers 431 in the envelope; beyond it hyper answers 431
    /// with no body, as no handler can run for a head it refused to parse.
    pub parser_max_headers: usize,
}

impl ConnLimits {
    pub fn from_config(limits: &crate::config::LimitsConfig) -> Self {
        ConnLimits {
            header_read_timeout: Duration::from_secs(limits.header_timeout_secs),
            parser_max_headers: (limits.header_count * 2).max(200),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting and
/// waits for open connections to finish their in-flight requests (the caller bounds
/// that wait with its grace period).
pub async fn serve<L>(
    mut listener: L,
    router: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()>
where
    L: Listener<Addr = SocketAddr>,
{
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(limits.parser_max_headers);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let app = router.clone();
        // What `into_make_service_with_connect_info` would give each request: the
        // client-IP logic reads the socket peer from `ConnectInfo`.
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req.map(Body::new))
        });
        let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
        let conn = graceful.watch(conn.into_owned());
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    graceful.shutdown().await;
    Ok(())
}
