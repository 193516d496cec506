//! One connection: the gate over the socket, hyper's HTTP/1.1 on top, Bolt's handler inside.
//!
//! hyper answers pipelined requests in order (a `HEAD` frames its response as one), sends
//! `100 Continue`, keeps the connection alive or closes it as the request and the response
//! say; the gate (`crate::server::gate`) supplies the head policy, the timers and the drain.
//! A WebSocket handshake that a route accepts (`crate::websocket`) ends hyper's part once it
//! has written the 101: the connection takes the socket back from hyper (`into_parts`, hyper's
//! manual upgrade — `with_upgrades()` wants a `Send` socket, and the gate shares `Rc` state
//! with its connection) and runs the WebSocket on it, without the gate and its timers.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::dispatch::{self, AppState};
use crate::head_policy::HeadLimits;
use crate::response::ErrorReplies;
use crate::server::drain::Drain;
use crate::server::gate::{ConnState, Gate, Timeouts};

/// What every connection of one worker thread shares.
pub struct Worker {
    pub app: Arc<AppState>,
    pub http: http1::Builder,
    pub limits: HeadLimits,
    pub timeouts: Timeouts,
    pub replies: Rc<ErrorReplies>,
    pub drain: Arc<Drain>,
}

/// hyper's HTTP/1.1 settings for these limits (`keep_alive`: whether connections persist).
pub fn http_builder(limits: &HeadLimits, keep_alive: bool) -> http1::Builder {
    let mut builder = http1::Builder::new();
    // the gate has checked every head against the same limits; hyper's own must not be
    // tighter (its buffer holds a head and the body bytes read with it)
    let head = limits.partial_head();
    builder
        .keep_alive(keep_alive)
        // answer what was received when the client closes its side (a pipelining client
        // may half-close after its last request); the gate ends a half-received request
        .half_close(true)
        .allow_multiple_spaces_in_request_line_delimiters(true)
        .max_headers(limits.max_header_count.max(100))
        .max_buf_size(head.saturating_add(64 * 1024).max(8192))
        // also hyper's bound on a trailer section, which the gate bounds tighter
        .max_header_size(head)
        // the gate times heads (with a 408) and idle connections
        .header_read_timeout(None);
    builder
}

/// Serve one accepted connection to its end.
pub async fn serve(worker: &Worker, stream: TcpStream, peer: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let state = Rc::new(ConnState::default());
    let gate = Gate::new(
        stream,
        worker.limits,
        worker.timeouts,
        Rc::clone(&state),
        Rc::clone(&worker.replies),
    );
    let app = Arc::clone(&worker.app);
    let shared = Rc::clone(&state);
    let service = service_fn(move |req| {
        let app = Arc::clone(&app);
        let conn = Rc::clone(&shared);
        async move { Ok::<_, Infallible>(dispatch::serve(app, conn, Some(peer), req).await) }
    });
    // `Unpin` (hyper boxes the handler's future), so that it can be taken apart afterwards
    let mut connection = worker.http.serve_connection(TokioIo::new(gate), service);
    let mut stop = worker.drain.subscribe();
    // an error ends this connection only (the client went away, a cut body, ...)
    let served = tokio::select! {
        served = &mut connection => served,
        () = Drain::stopped(&mut stop) => {
            state.stop();
            (&mut connection).await
        }
    };
    // hyper shuts the socket down itself unless an upgrade was pending: an HTTP/1.1 head
    // with an `Upgrade` field, answered 101 or not
    if served.is_err() || !state.upgrade_seen() {
        if let Some(accepted) = state.take_upgraded() {
            accepted.abandon();
        }
        return;
    }
    let parts = connection.into_parts();
    let mut gate = parts.io.into_inner();
    if let Some(accepted) = state.take_upgraded() {
        let (stream, unread) = gate.into_parts();
        // what hyper and the gate had read past the handshake head: the first frames
        let mut prefix = Vec::with_capacity(parts.read_buf.len() + unread.len());
        prefix.extend_from_slice(&parts.read_buf);
        prefix.extend_from_slice(&unread);
        crate::websocket::run(&worker.app, accepted, stream, prefix, &worker.drain).await;
        return;
    }
    // not upgraded: the shutdown hyper skipped (the gate's pending reply, FIN, linger)
    let _ = tokio::io::AsyncWriteExt::shutdown(&mut gate).await;
}
