//! Turning bolt-api's `(status, headers, body)` tuple into an Actix response.
//!
//! The body is not copied: `PyBackedBytes` keeps the Python `bytes` alive and
//! `Bytes::from_owner` lets Actix write straight from it. Anything malformed — a wrong
//! shape, a status outside 100-599, a header name or value that is not valid HTTP (CR, LF,
//! NUL, ...) — yields `None`, and the caller answers with the cached 500 instead.

use std::collections::HashMap;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};

use actix_web::http::header::{HeaderName, HeaderValue, CONNECTION};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use bytes::Bytes;
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::PyTuple;

/// A response rendered once and replayed: the errors an engine produces itself.
#[derive(Clone)]
pub struct Cached {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

impl Cached {
    /// Build an Actix response from the cached parts.
    pub fn response(&self, close: bool) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        for (name, value) in &self.headers {
            builder.append_header((name.clone(), value.clone()));
        }
        if close {
            builder.insert_header((CONNECTION, HeaderValue::from_static("close")));
        }
        builder.body(self.body.clone())
    }
}

/// The engine's own error responses by status, rendered by bolt-api at start-up.
pub struct ErrorResponses {
    by_status: HashMap<u16, Cached>,
    internal: Cached,
}

impl ErrorResponses {
    /// Render each `(status, response tuple)` pair; the tuples come from bolt-api.
    pub fn new(rendered: &[(u16, Bound<'_, PyAny>)]) -> PyResult<Self> {
        let mut by_status = HashMap::new();
        for (status, obj) in rendered {
            let parts = parse(obj).ok_or_else(|| {
                pyo3::exceptions::PyValueError::new_err(format!(
                    "render_error({status}) did not return a valid (status, headers, body)"
                ))
            })?;
            by_status.insert(*status, cache(&parts));
        }
        let internal = by_status.get(&500).cloned().unwrap_or_else(|| Cached {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            headers: Vec::new(),
            body: Bytes::new(),
        });
        Ok(Self { by_status, internal })
    }

    /// The response for `status` (falls back to a bare response of that status).
    pub fn get(&self, status: u16, close: bool) -> HttpResponse {
        match self.by_status.get(&status) {
            Some(cached) => cached.response(close),
            None => HttpResponse::build(
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            )
            .finish(),
        }
    }

    /// The 500 response for a broken handler result.
    pub fn internal(&self) -> HttpResponse {
        self.internal.response(false)
    }
}

/// A response tuple checked and converted, body still owned by Python.
pub struct Parts {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: PyBackedBytes,
}

impl Parts {
    /// The Actix response (zero-copy body). For `HEAD`, see [`head_response`].
    pub fn into_response(self, head: bool) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        for header in self.headers {
            builder.append_header(header);
        }
        if head {
            return head_response(builder, self.status, self.body.len());
        }
        builder.body(Bytes::from_owner(self.body))
    }
}

/// A `HEAD` response: the `content-length` of the body that is not sent, and no body.
fn head_response(
    mut builder: actix_web::HttpResponseBuilder,
    status: StatusCode,
    length: usize,
) -> HttpResponse {
    let bodiless = status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    if bodiless {
        return builder.finish();
    }
    builder.body(HeadBody(length as u64))
}

/// The body of a `HEAD` response: reports the length of the `GET` body, yields no bytes.
struct HeadBody(u64);

impl MessageBody for HeadBody {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.0)
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(None)
    }
}

fn cache(parts: &Parts) -> Cached {
    Cached {
        status: parts.status,
        headers: parts.headers.clone(),
        body: Bytes::copy_from_slice(&parts.body),
    }
}

/// Check and convert a `(status, headers, body)` tuple; `None` when it is malformed.
pub fn parse(obj: &Bound<'_, PyAny>) -> Option<Parts> {
    let tuple = obj.cast::<PyTuple>().ok()?;
    if tuple.len() != 3 {
        return None;
    }
    let code: u16 = tuple.get_item(0).ok()?.extract().ok()?;
    if !(100..=599).contains(&code) {
        return None;
    }
    let status = StatusCode::from_u16(code).ok()?;
    let raw_headers = tuple.get_item(1).ok()?;
    let mut headers = Vec::with_capacity(raw_headers.len().unwrap_or(0));
    for item in raw_headers.try_iter().ok()? {
        let item = item.ok()?;
        let pair = item.cast::<PyTuple>().ok()?;
        if pair.len() != 2 {
            return None;
        }
        let name: PyBackedStr = pair.get_item(0).ok()?.extract().ok()?;
        let value: PyBackedStr = pair.get_item(1).ok()?.extract().ok()?;
        let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
        let value = HeaderValue::from_str(&value).ok()?;
        headers.push((name, value));
    }
    let body_obj = tuple.get_item(2).ok()?;
    if !body_obj.is_instance_of::<pyo3::types::PyBytes>() {
        return None;
    }
    let body: PyBackedBytes = body_obj.extract().ok()?;
    Some(Parts { status, headers, body })
}
