//! Request limits (`ENGINE_CONTRACT.md`, "Limits and hardening") and the panic guard.
//!
//! The limits are checked by the connection gate (`crate::server::gate`, with
//! `crate::head_policy` and `crate::chunked`) before hyper reads a request; this module checks
//! the `ServerConfig` values and converts them once. It also keeps a panic in a handler from
//! costing more than that request's 500.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;
use http::Uri;
use pyo3::exceptions::PyValueError;
use pyo3::PyResult;

use crate::head_policy::HeadLimits;
use crate::response::HttpResponse;
use crate::server::gate::BodyClock;

/// The longest request target `http::Uri` takes.
const MAX_URI: usize = 65_534;

/// The request limits of one server (`ServerConfig` fields of the same names).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A request head must arrive in full within it (408); `None`: no limit.
    pub header_timeout: Option<Duration>,
    /// What the head policy enforces.
    pub head: HeadLimits,
    /// How slowly a body may come (set by [`Limits::with_body_clock`]; off until then).
    pub body: BodyClock,
}

impl Limits {
    /// Check the settings.
    pub fn new(
        header_timeout: f64,
        max_uri_size: usize,
        max_header_size: usize,
        max_header_count: usize,
        max_body_size: usize,
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
        if max_uri_size > MAX_URI {
            // `http::Uri` (under hyper) takes no longer target: refused, not silently capped
            return Err(PyValueError::new_err(format!(
                "max_uri_size must be at most {MAX_URI} on the Rust engine, got {max_uri_size}"
            )));
        }
        Ok(Self {
            header_timeout: (!header_timeout.is_zero()).then_some(header_timeout),
            head: HeadLimits {
                max_uri: max_uri_size,
                max_header_size,
                max_header_count,
                max_body: u64::try_from(max_body_size).unwrap_or(u64::MAX),
            },
            body: BodyClock::OFF,
        })
    }

    /// Check and add the body clock (`body_timeout`, `body_min_rate`, `body_rate_grace`).
    pub fn with_body_clock(mut self, timeout: f64, min_rate: u64, grace: f64) -> PyResult<Self> {
        let seconds = |name: &str, value: f64| {
            Duration::try_from_secs_f64(value)
                .map_err(|_| PyValueError::new_err(format!("{name} must be >= 0, got {value}")))
        };
        let gap = seconds("body_timeout", timeout)?;
        self.body = BodyClock {
            gap: (!gap.is_zero()).then_some(gap),
            min_rate,
            grace: seconds("body_rate_grace", grace)?,
        };
        Ok(self)
    }
}

/// The raw path and query string: from the raw target the gate kept (see
/// `head_policy::Retarget`), or from the request's URI.
pub fn target_parts<'a>(uri: &'a Uri, raw: Option<&'a str>) -> (&'a str, &'a str) {
    match raw {
        Some(target) => target.split_once('?').unwrap_or((target, "")),
        None => (uri.path(), uri.query().unwrap_or_default()),
    }
}

/// Run a request's handler; a panic inside it (in our code or a library's) becomes
/// `on_panic(message)` — the server logs it and answers the cached 500 — instead of unwinding
/// into the worker.
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
            let mut fallback = HttpResponse::new(crate::response::ResBody::empty());
            *fallback.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            fallback
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
        let (response, message) = run(async {
            let mut ok = HttpResponse::new(crate::response::ResBody::empty());
            *ok.status_mut() = http::StatusCode::OK;
            ok
        });
        assert_eq!(response.status(), 200);
        assert_eq!(message, None);
    }
}
