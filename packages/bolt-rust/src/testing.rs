//! Test hooks: the engine's request parsing, run without a socket.
//!
//! The protocol tables (`tests/protocol/*.json`, run by `tests/test_protocol_tables.py`) pin
//! the parsing rules both engines implement — the head checks, headers, query, cookies. To
//! check them row by row without a server, [`request_from_head`] hands raw request bytes to
//! the very connection stack the server runs — the gate with its head policy
//! (`crate::server::gate`) and hyper's HTTP/1.1 over it — through an in-memory connection
//! whose client sends the bytes and then half-closes. A head the gate or hyper refuses gives
//! the status answered; a head accepted gives the [`Request`] the server would hand to
//! bolt-api, built from the decoded head by the same functions (`limits::target_parts`,
//! `Request::new`) and read by the same getters.
//!
//! [`bound_query`] runs the `ParamSpec` fast path's reading of a query string, which must give
//! what `Request.query` gives.
//!
//! Nothing here runs while serving: the server never calls this module.

use std::cell::RefCell;
use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::IntoPyObjectExt;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::dispatch::read_whole_body;
use crate::limits::{self, Limits};
use crate::params::{ParamSpec, Params};
use crate::request::Request;
use crate::response::{ErrorReplies, ErrorResponses, HttpResponse};
use crate::server::conn::http_builder;
use crate::server::gate::{ConnState, Gate, Timeouts};

/// Register the hooks on the native module (the one line in `lib.rs`).
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(request_from_head, m)?)?;
    m.add_function(wrap_pyfunction!(bound_query, m)?)
}

/// One client connection in memory: the client sent `input` and half-closed (a read past
/// it is the end of the stream); what the server writes is kept in `output`.
struct Loopback {
    input: Bytes,
    output: Rc<RefCell<Vec<u8>>>,
}

impl AsyncRead for Loopback {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let n = this.input.len().min(buf.remaining());
        buf.put_slice(&this.input.split_to(n));
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Loopback {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.output.borrow_mut().extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Serve one connection that sends `input`: the request the service saw (if any) and every
/// byte written back.
fn serve_one(
    input: Bytes,
    limits: &Limits,
    errors: &ErrorResponses,
    max_body: usize,
) -> PyResult<(Option<Request>, Vec<u8>)> {
    let seen: Rc<RefCell<Option<Request>>> = Rc::default();
    let output: Rc<RefCell<Vec<u8>>> = Rc::default();
    let state = Rc::new(ConnState::default());
    let sink = Rc::clone(&seen);
    let shared = Rc::clone(&state);
    let errors_owned = errors.clone();
    let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
        let sink = Rc::clone(&sink);
        let conn = Rc::clone(&shared);
        let errors = errors_owned.clone();
        async move {
            let raw = conn.next_raw_target();
            let (parts, body) = req.into_parts();
            // the whole request reaches the app, or none of it: the server's answers to a
            // body too large or broken (`dispatch::read_whole_body`)
            let body = match read_whole_body(&parts.headers, body, max_body).await {
                Ok(body) => body,
                Err(status) => return Ok::<HttpResponse, Infallible>(errors.get(status, true)),
            };
            let (path, query) = limits::target_parts(&parts.uri, raw.as_deref());
            *sink.borrow_mut() = Some(Request::new(
                parts.method.clone(),
                path.to_owned(),
                query.to_owned(),
                None,
                Some(crate::dispatch::without_underscores(&parts.headers)),
                body,
                None,
            ));
            Ok(errors.get(200, true))
        }
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let http = http_builder(&limits.head, false);
    let replies = Rc::new(ErrorReplies::new(errors));
    let sent_back = Rc::clone(&output);
    runtime.block_on(async move {
        // the gate's timer is the runtime's: made inside it
        let gate = Gate::new(
            Loopback {
                input,
                output: sent_back,
            },
            limits.head,
            // one request per connection; the whole head is there at once: no timer matters
            Timeouts {
                header: None,
                idle: None,
                body: crate::server::gate::BodyClock::OFF,
            },
            Rc::clone(&state),
            replies,
        );
        // a connection error (it closed after an error response) is expected: what was
        // written back is the answer
        let _ = http.serve_connection(TokioIo::new(gate), service).await;
    });
    let request = seen.borrow_mut().take();
    let written = output.borrow().clone();
    Ok((request, written))
}

/// The status of the last response in `written` (after any `100 Continue`).
fn final_status(written: &[u8]) -> Option<u16> {
    String::from_utf8_lossy(written)
        .split("\r\n\r\n")
        .filter_map(|head| {
            head.strip_prefix("HTTP/1.1 ")
                .or_else(|| head.strip_prefix("HTTP/1.0 "))
        })
        .filter_map(|line| line.get(..3)?.parse::<u16>().ok())
        .last()
}

/// Run `raw` (a request head, and its body if it declares one) through the server's gate and
/// hyper with these limits: the `Request` the server would hand to
/// bolt-api, the status the engine answers itself (400, 413, 414, 431, 501, ...), or `None` when the
/// connection closes without an answer (a head cut short). Test use only.
#[pyfunction]
#[pyo3(
    name = "_request_from_head",
    signature = (raw, *, max_uri_size=8192, max_header_size=65_536, max_header_count=100,
                 max_body_size=1_048_576)
)]
pub fn request_from_head(
    py: Python<'_>,
    raw: &[u8],
    max_uri_size: usize,
    max_header_size: usize,
    max_header_count: usize,
    max_body_size: usize,
) -> PyResult<Py<PyAny>> {
    let errors = ErrorResponses::new(&[])?;
    let limits = Limits::new(
        0.0,
        max_uri_size,
        max_header_size,
        max_header_count,
        max_body_size,
    )?;
    let (request, written) =
        serve_one(Bytes::copy_from_slice(raw), &limits, &errors, max_body_size)?;
    if let Some(request) = request {
        return Ok(Py::new(py, request)?.into_any());
    }
    final_status(&written).into_py_any(py)
}

/// What the `ParamSpec` fast path (`crate::params`) hands over as `request.bound` for a raw
/// query string and optional `str` parameters named `keys` (absent: `None`), or `None` when it
/// leaves the request to bolt-api. The protocol tables check that it reads the query as
/// `Request.query` does. Test use only.
#[pyfunction]
#[pyo3(name = "_bound_query")]
pub fn bound_query(py: Python<'_>, query: &str, keys: Vec<String>) -> PyResult<Option<Py<PyDict>>> {
    let rows = keys
        .iter()
        .map(|key| ParamSpec::optional_query_str(py, key))
        .collect();
    let params = Params::new(rows).map_err(PyValueError::new_err)?;
    params
        .convert(None, query)
        .map(|converted| params.kwargs(py, converted).map(Bound::unbind))
        .transpose()
}
