//! The listening socket and the workers that accept on it.
//!
//! Bolt owns its accept loop: `ServerConfig.workers` threads, each a single-threaded Tokio
//! runtime, accept on their own copy of one listening socket — bound here (with
//! `SO_REUSEPORT` when asked) or handed down by the supervisor (`listen_fd`) — and serve
//! each connection on the thread that accepted it (`crate::server::conn`). The kernel spreads
//! the connections over the workers. When the server stops (`crate::server::drain`), each
//! worker first accepts what is already queued in the backlog — those clients connected
//! before the stop and get their answer — then closes its copy of the socket and waits for
//! its connections to finish, or for the cut.

use std::cell::Cell;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::os::fd::{FromRawFd, RawFd};
use std::rc::Rc;
use std::sync::Arc;

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::PyResult;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::sync::Notify;

use crate::server::conn::{self, Worker};
use crate::server::drain::Drain;

/// Bind `host:port` and listen (the engine's own socket, when no `listen_fd` is given).
pub fn bind(host: &str, port: u16, backlog: i32, reuse_port: bool) -> PyResult<TcpListener> {
    let addr: SocketAddr = (host, port)
        .to_socket_addrs()
        .map_err(|e| PyOSError::new_err(format!("cannot resolve {host}:{port}: {e}")))?
        .next()
        .ok_or_else(|| PyOSError::new_err(format!("{host}:{port} resolves to no address")))?;
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    socket
        .bind(&addr.into())
        .map_err(|e| PyOSError::new_err(format!("cannot listen on {host}:{port}: {e}")))?;
    socket.listen(backlog)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// The listening socket a supervisor hands down (already bound and listening).
pub fn adopt(fd: RawFd) -> PyResult<TcpListener> {
    if fd < 0 {
        return Err(PyValueError::new_err(format!(
            "listen_fd must be >= 0, got {fd}"
        )));
    }
    // SAFETY: per the engine contract (`ServerConfig.listen_fd`), the descriptor is an open,
    // listening TCP socket handed over to the engine: nothing else in this process uses or
    // closes it. The listener owns it from here and closes it when the server stops accepting.
    let listener = unsafe { TcpListener::from_raw_fd(fd) };
    listener.set_nonblocking(true)?;
    listener.local_addr()?; // not a bound socket: fail here, with an OSError
    Ok(listener)
}

/// The connections a worker serves, counted so that it knows when the drain is over.
#[derive(Default)]
struct Open {
    count: Cell<usize>,
    none_left: Notify,
}

/// Counts one connection as open while it lives.
struct Counted(Rc<Open>);

impl Counted {
    fn new(open: &Rc<Open>) -> Self {
        open.count.set(open.count.get() + 1);
        Self(Rc::clone(open))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let left = self.0.count.get() - 1;
        self.0.count.set(left);
        if left == 0 {
            self.0.none_left.notify_waiters();
        }
    }
}

fn start(worker: &Rc<Worker>, open: &Rc<Open>, stream: std::net::TcpStream, peer: SocketAddr) {
    let Ok(stream) = tokio::net::TcpStream::from_std(stream) else {
        return;
    };
    spawn(worker, open, stream, peer);
}

fn spawn(worker: &Rc<Worker>, open: &Rc<Open>, stream: tokio::net::TcpStream, peer: SocketAddr) {
    let counted = Counted::new(open);
    let worker = Rc::clone(worker);
    tokio::task::spawn_local(async move {
        conn::serve(&worker, stream, peer).await;
        drop(counted);
    });
}

/// One worker's life: accept until the stop, take in the backlog, close the socket, serve
/// the connections to their end (or until the cut).
pub async fn run(listener: TcpListener, worker: Rc<Worker>, drain: Arc<Drain>) {
    let open = Rc::new(Open::default());
    let mut stop = drain.subscribe();
    match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => {
            loop {
                tokio::select! {
                    biased;
                    () = Drain::stopped(&mut stop) => break,
                    accepted = listener.accept() => {
                        // a failed accept (the peer gave up, no descriptors left) costs
                        // that connection only
                        if let Ok((stream, peer)) = accepted {
                            spawn(&worker, &open, stream, peer);
                        }
                    }
                }
            }
            // connections the kernel completed before the stop: served, not refused
            if let Ok(listener) = listener.into_std() {
                while let Ok((stream, peer)) = listener.accept() {
                    let _ = stream.set_nonblocking(true);
                    start(&worker, &open, stream, peer);
                }
                // `listener` closes here: this worker's copy of the socket
            }
        }
        Err(_) => Drain::stopped(&mut stop).await,
    }
    let mut cut = drain.subscribe_cut();
    loop {
        let notified = open.none_left.notified();
        if open.count.get() == 0 {
            break;
        }
        tokio::select! {
            () = notified => {}
            () = Drain::stopped(&mut cut) => break,
        }
    }
}
