//! Request limits and hardening (`ENGINE_CONTRACT.md`, "Limits and hardening").
//!
//! Most of the work happens in the patched actix-http (`vendor/actix-http/src/h1/policy.rs`):
//! this module hands it the limits from `ServerConfig` and bolt-api's rendered error responses
//! (through a [`ConnectionPolicy`] in every connection's extensions), so that the errors the
//! h1 dispatcher answers itself — a malformed request, a head too large or too slow, a target
//! too long — carry the same bodies as the Python engine's. It also keeps a panic in a handler
//! from costing more than that request's 500.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use actix_http::body::BoxBody;
use actix_http::h1::{ConnectionPolicy, ErrorResponder, RawTarget};
use actix_http::{StatusCode, Uri};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use futures_util::FutureExt;
use pyo3::exceptions::PyValueError;
use pyo3::PyResult;

use crate::response::ErrorResponses;

/// The request limits of one server (`ServerConfig` fields of the same names).
pub struct Limits {
    /// `client_request_timeout`: a request head must arrive in full within it (408).
    pub header_timeout: Duration,
    /// Per-connection policy for the h1 dispatcher.
    pub policy: ConnectionPolicy,
}

impl Limits {
    /// Check the settings and build the policy; `errors` are bolt-api's rendered responses.
    pub fn new(
        header_timeout: f64,
        max_uri_size: usize,
        max_header_size: usize,
        max_header_count: usize,
        max_body_size: usize,
        errors: &ErrorResponses,
    ) -> PyResult<Self> {
        let header_timeout = Duration::try_from_secs_f64(header_timeout).map_err(|_| {
            PyValueError::new_err(format!("header_timeout must be >= 0, got {header_timeout}"))
        })?;
        for (name, value) in [
            ("max_uri_size", max_uri_size),
            ("max_header_size", max_header_size),
            ("max_header_count", max_header_count),
        ] {
            if value == 0 {
                return Err(PyValueError::new_err(format!(
                    "{name} must be at least 1, got 0"
                )));
            }
        }
        Ok(Self {
            header_timeout,
            policy: ConnectionPolicy {
                max_uri_size,
                max_header_size,
                max_header_count,
                max_body_size: u64::try_from(max_body_size).unwrap_or(u64::MAX),
                errors: Some(Arc::new(errors.clone())),
            },
        })
    }
}

impl ErrorResponder for ErrorResponses {
    fn error_response(&self, status: StatusCode) -> actix_http::Response<BoxBody> {
        self.h1_response(status)
    }
}

/// The request target when the decoder kept it raw (it holds bytes such as `"` or `<` that
/// `http::Uri` refuses and llhttp accepts): `(path, query)`, both still percent-encoded.
pub fn raw_target(req: &HttpRequest) -> Option<(String, String)> {
    split_raw_target(req.extensions().get::<RawTarget>()?)
}

/// [`raw_target`] of a request's [`RawTarget`] extension (`crate::testing` reads it from an
/// `actix_http::Request`, the server from an `HttpRequest`).
pub fn split_raw_target(raw: &RawTarget) -> Option<(String, String)> {
    let target = std::str::from_utf8(&raw.0).ok()?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Some((path.to_owned(), query.to_owned()))
}

/// The raw path and query string: from `raw` (see [`raw_target`]) or the request's URI.
pub fn path_and_query<'a>(
    req: &'a HttpRequest,
    raw: Option<&'a (String, String)>,
) -> (&'a str, &'a str) {
    target_parts(req.uri(), raw)
}

/// [`path_and_query`] from the decoded `uri` (what `crate::testing` has).
pub fn target_parts<'a>(uri: &'a Uri, raw: Option<&'a (String, String)>) -> (&'a str, &'a str) {
    match raw {
        Some((path, query)) => (path, query),
        None => (uri.path(), uri.query().unwrap_or_default()),
    }
}

/// Run a request's handler; a panic inside it (in our code or a library's) becomes
/// `on_panic(message)` — the server logs it and answers the cached 500 — instead of unwinding
/// into the Actix worker.
///
/// The one wrapper covers both paths: a sync route runs inside the first poll of this
/// future, an async one across several; `FutureExt::catch_unwind` catches a panic in any of
/// them. A panic while the GIL is held releases it on the way out (the `Python::attach`
/// guard drops).
pub async fn guarded<F>(handler: F, on_panic: impl FnOnce(&str) -> HttpResponse) -> HttpResponse
where
    F: Future<Output = HttpResponse>,
{
    match AssertUnwindSafe(handler).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => on_panic(describe(&*panic)),
    }
}

fn describe(panic: &(dyn Any + Send)) -> &str {
    if let Some(text) = panic.downcast_ref::<&str>() {
        text
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text
    } else {
        "no message"
    }
}

/// No request or app data is known to make our code panic: every conversion of request or
/// Python data is checked (nothing is unwrapped), and sizes taken from Python objects are
/// capped. There is no way to provoke a panic from outside short of a bug, so these tests
/// drive the guard with panicking handlers directly.
#[cfg(test)]
mod tests {
    use super::*;

    /// The response, and the panic message the guard handed over (`None`: no panic).
    fn run(handler: impl Future<Output = HttpResponse>) -> (HttpResponse, Option<String>) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime");
        let mut message = None;
        let response = rt.block_on(guarded(handler, |panic| {
            message = Some(panic.to_owned());
            HttpResponse::InternalServerError().finish()
        }));
        (response, message)
    }

    #[test]
    fn a_handler_that_panics_at_once_gets_the_fallback() {
        // a sync route: the panic happens in the future's first poll
        let (response, message) = run(async { panic!("boom") });
        assert_eq!(response.status(), 500);
        assert_eq!(message.as_deref(), Some("boom"));
    }

    #[test]
    fn a_handler_that_panics_after_awaiting_gets_the_fallback() {
        // an async route: the panic happens in a later poll
        let (response, message) = run(async {
            tokio::time::sleep(Duration::from_millis(1)).await;
            panic!("{}", String::from("boom later"))
        });
        assert_eq!(response.status(), 500);
        assert_eq!(message.as_deref(), Some("boom later"));
    }

    #[test]
    fn a_handler_that_does_not_panic_is_untouched() {
        let (response, message) = run(async { HttpResponse::Ok().finish() });
        assert_eq!(response.status(), 200);
        assert_eq!(message, None);
    }
}
