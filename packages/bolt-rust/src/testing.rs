//! Test hooks: the engine's request parsing, run without a socket.
//!
//! The protocol tables (`tests/protocol/*.json`, run by `tests/test_protocol_tables.py`) pin
//! the parsing rules both engines implement — the head checks, headers, query, cookies. To
//! check them row by row without a server, [`request_from_head`] hands raw request bytes to
//! the very HTTP/1 dispatcher the server runs (the patched actix-http's, with the connection
//! policy [`Limits`] builds from the `ServerConfig` limits), over an in-memory connection
//! whose client sends the bytes and then half-closes. A head the dispatcher refuses gives the
//! status it answers; a head it accepts gives the [`Request`] the server would hand to
//! bolt-api, built from the decoded head by the same functions (`limits::split_raw_target`,
//! `limits::target_parts`, `Request::new`) and read by the same getters.
//!
//! [`bound_query`] runs the `ParamSpec` fast path's reading of a query string, which must give
//! what `Request.query` gives.
//!
//! Nothing here runs while serving: the server never calls this module.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_http::h1::RawTarget;
use actix_http::{HttpMessage, HttpService, KeepAlive, Response};
use actix_web::dev::{fn_service, Service, ServiceFactory};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::IntoPyObjectExt;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::limits::{self, Limits};
use crate::params::{ParamSpec, Params};
use crate::request::Request;
use crate::response::ErrorResponses;

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

/// The request object the server builds for a decoded request (with every part: a route
/// that takes the request reads them all).
fn to_request(req: &actix_http::Request, body: Bytes) -> Request {
    let raw = req
        .extensions()
        .get::<RawTarget>()
        .and_then(limits::split_raw_target);
    let (path, query) = limits::target_parts(req.uri(), raw.as_ref());
    Request::new(
        req.method().clone(),
        path.to_owned(),
        query.to_owned(),
        None,
        Some(req.headers().clone()),
        body,
        None,
    )
}

/// Serve one connection that sends `input`: the request the service saw (if any) and every
/// byte written back.
fn serve_one(input: Bytes, limits: &Limits) -> PyResult<(Option<Request>, Vec<u8>)> {
    let seen: Rc<RefCell<Option<Request>>> = Rc::default();
    let output: Rc<RefCell<Vec<u8>>> = Rc::default();
    let policy = limits.policy.clone();
    let sink = Rc::clone(&seen);
    let connection = Loopback {
        input,
        output: Rc::clone(&output),
    };
    // the service's date timer is spawned on the runtime: built inside it
    actix_rt::Runtime::new()?.block_on(async move {
        let factory = HttpService::build()
            // one request per connection; the whole head is there at once: no timer matters
            .keep_alive(KeepAlive::Disabled)
            .client_request_timeout(Duration::ZERO)
            .on_connect_ext(move |_: &Loopback, extensions| {
                extensions.insert(policy.clone());
            })
            .h1(fn_service(move |mut req: actix_http::Request| {
                let sink = Rc::clone(&sink);
                async move {
                    // the whole request reaches the app, or none of it: a broken body is the
                    // 400 the server answers (`server::read_body`)
                    let mut payload = req.take_payload();
                    let mut body = BytesMut::new();
                    while let Some(chunk) = payload.next().await {
                        match chunk {
                            Ok(chunk) => body.extend_from_slice(&chunk),
                            Err(_) => return Ok(Response::bad_request()),
                        }
                    }
                    *sink.borrow_mut() = Some(to_request(&req, body.freeze()));
                    Ok::<_, actix_http::Error>(Response::ok())
                }
            }));
        let service = factory
            .new_service(())
            .await
            .map_err(|()| PyRuntimeError::new_err("the HTTP/1 service did not start"))?;
        // a dispatch error (the connection closed after an error response) is expected: what
        // was written back is the answer
        let _ = service.call((connection, None)).await;
        Ok::<_, PyErr>(())
    })?;
    let request = seen.borrow_mut().take();
    let written = output.borrow().clone();
    Ok((request, written))
}

/// The status of the last response in `written` (after any `100 Continue`).
fn final_status(written: &[u8]) -> Option<u16> {
    String::from_utf8_lossy(written)
        .split("\r\n\r\n")
        .filter_map(|head| head.strip_prefix("HTTP/1.1 "))
        .filter_map(|line| line.get(..3)?.parse::<u16>().ok())
        .last()
}

/// Run `raw` (a request head, and its body if it declares one) through the server's HTTP/1
/// dispatcher and its checks with these limits: the `Request` the server would hand to
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
        &errors,
    )?;
    let (request, written) = serve_one(Bytes::copy_from_slice(raw), &limits)?;
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
