//! Turning bolt-api's `(status, headers, body)` tuple into an Actix response.
//!
//! The body is not copied: `PyBackedBytes` keeps the Python `bytes` alive and
//! `Bytes::from_owner` lets Actix write straight from it. Anything malformed — a wrong
//! shape, a status outside 100-599, a header name or value that is not valid HTTP (CR, LF,
//! NUL, ...) — yields `None`, and the caller answers with the cached 500 instead.

use std::collections::HashMap;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody};

use actix_web::http::header::{HeaderName, HeaderValue, CONTENT_LENGTH, TRANSFER_ENCODING};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use bytes::Bytes;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{PyTuple, PyType};

use crate::body::{async_stream, file_stream, inline_stream, sync_stream, SizedStream};
use crate::log::Logger;

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
            // the connection type, not a header: Actix writes `connection` itself
            builder.force_close();
        }
        builder.body(self.body.clone())
    }

    /// The response to a `HEAD` request: the headers and `content-length`, no body.
    pub fn head(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        for (name, value) in &self.headers {
            builder.append_header((name.clone(), value.clone()));
        }
        head_response(builder, self.status, self.body.len())
    }

    /// Render one response tuple from bolt-api once, to replay it (`None`: not a plain
    /// `(status, headers, bytes)` with valid HTTP headers).
    pub fn render(obj: &Bound<'_, PyAny>) -> Option<Self> {
        parse(obj, &StaticHeaders::default(), None)
            .as_ref()
            .and_then(cache)
    }

    /// The same response for the patched actix-http dispatcher (errors it answers itself).
    fn h1_response(&self) -> actix_http::Response<BoxBody> {
        let mut res = actix_http::Response::with_body(self.status, BoxBody::new(self.body.clone()));
        for (name, value) in &self.headers {
            res.headers_mut().append(name.clone(), value.clone());
        }
        res
    }
}

/// The engine's own error responses by status, rendered by bolt-api at start-up.
#[derive(Clone)]
pub struct ErrorResponses {
    by_status: HashMap<u16, Cached>,
    internal: Cached,
}

impl ErrorResponses {
    /// Render each `(status, response tuple)` pair; the tuples come from bolt-api.
    pub fn new(rendered: &[(u16, Bound<'_, PyAny>)]) -> PyResult<Self> {
        let mut by_status = HashMap::new();
        for (status, obj) in rendered {
            let cached = Cached::render(obj).ok_or_else(|| {
                pyo3::exceptions::PyValueError::new_err(format!(
                    "render_error({status}) did not return a valid (status, headers, bytes)"
                ))
            })?;
            by_status.insert(*status, cached);
        }
        let internal = by_status.get(&500).cloned().unwrap_or_else(|| Cached {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            headers: Vec::new(),
            body: Bytes::new(),
        });
        Ok(Self {
            by_status,
            internal,
        })
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

    /// The response for `status` as the actix-http dispatcher sends it (`crate::limits`).
    pub fn h1_response(&self, status: StatusCode) -> actix_http::Response<BoxBody> {
        match self.by_status.get(&status.as_u16()) {
            Some(cached) => cached.h1_response(),
            None => actix_http::Response::with_body(status, BoxBody::new(Bytes::new())),
        }
    }

    /// The 500 response for a broken handler result.
    pub fn internal(&self) -> HttpResponse {
        self.internal.response(false)
    }
}

/// A response body as bolt-api handed it over.
pub enum Body {
    /// `bytes`, still owned by Python (sent without a copy: `Bytes::from_owner` of a
    /// `PyBackedBytes`).
    Bytes(Bytes),
    /// A `StreamBody`: its chunk iterator, whether it is async, and whether it may be pulled
    /// in place (`inline`).
    Stream {
        chunks: Py<PyAny>,
        is_async: bool,
        inline: bool,
    },
    /// A `FileBody`: bytes `offset..offset + length` of `path`.
    File {
        path: String,
        offset: u64,
        length: u64,
    },
}

/// A response tuple checked and converted.
pub struct Parts {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Body,
}

impl Parts {
    /// The same parts with a `bytes` body copied out of Python: what zero-copy saves, for
    /// the benchmark's ablation table only.
    #[cfg(feature = "ablation")]
    pub fn copied(self) -> Self {
        let body = match self.body {
            Body::Bytes(bytes) => Body::Bytes(Bytes::copy_from_slice(&bytes)),
            other => other,
        };
        Self { body, ..self }
    }

    /// The Actix response. For `HEAD`, see [`head_response`]; `submit` runs coroutines on
    /// the asyncio loop (for async streams); failures of a stream body go to `log`.
    pub fn into_response(
        self,
        py: Python<'_>,
        head: bool,
        submit: &Py<PyAny>,
        log: &Logger,
    ) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        for header in self.headers {
            builder.append_header(header);
        }
        match self.body {
            Body::Bytes(bytes) if head => head_response(builder, self.status, bytes.len()),
            Body::Bytes(bytes) => builder.body(bytes),
            Body::File { length, .. } if head => {
                head_response(builder, self.status, usize::try_from(length).unwrap_or(0))
            }
            Body::File {
                path,
                offset,
                length,
            } => builder.body(SizedStream::new(length, file_stream(path, offset, length))),
            Body::Stream {
                chunks, is_async, ..
            } if head => {
                let closed = if is_async {
                    let (completion, _ignored) = crate::bridge::Completion::channel();
                    chunks
                        .call_method0(py, "aclose")
                        .and_then(|coro| submit.call1(py, (coro, completion)))
                } else {
                    chunks.call_method0(py, "close")
                };
                if let Err(err) = closed {
                    log.exception(py, "closing an unsent response body failed", &err);
                }
                builder.streaming(futures_util::stream::empty::<Result<Bytes, std::io::Error>>())
            }
            Body::Stream {
                chunks,
                is_async,
                inline,
            } => {
                let log = log.clone();
                let stream = if is_async {
                    async_stream(chunks, submit.clone_ref(py), log)
                } else if inline {
                    inline_stream(chunks, log)
                } else {
                    sync_stream(chunks, log)
                };
                builder.streaming(stream)
            }
        }
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

fn cache(parts: &Parts) -> Option<Cached> {
    let Body::Bytes(body) = &parts.body else {
        return None;
    };
    Some(Cached {
        status: parts.status,
        headers: parts.headers.clone(),
        body: Bytes::copy_from_slice(body),
    })
}

/// `bolt_api.engine.StreamBody` and `FileBody`, handed over at start
/// (`crate::contract::BoltApi`).
pub struct BodyTypes {
    pub stream: Py<PyType>,
    pub file: Py<PyType>,
}

/// How a route's response tuples are read: the header tuples converted at start and the
/// body classes.
pub struct ResponseReader {
    statics: StaticHeaders,
    bodies: BodyTypes,
}

impl ResponseReader {
    pub fn new(statics: StaticHeaders, bodies: BodyTypes) -> Self {
        Self { statics, bodies }
    }

    /// Check and convert a `(status, headers, body)` tuple; `None` when it is malformed.
    pub fn parse(&self, obj: &Bound<'_, PyAny>) -> Option<Parts> {
        parse(obj, &self.statics, Some(&self.bodies))
    }
}

/// Header tuples bolt-api reuses across responses (`CompiledApp.static_headers`), converted
/// once at start and recognised by identity; each entry holds its tuple, so the address
/// cannot be reused by another object while the server runs.
#[derive(Default)]
pub struct StaticHeaders(Vec<(Py<PyAny>, HeaderList)>);

/// Converted response headers.
type HeaderList = Vec<(HeaderName, HeaderValue)>;

impl StaticHeaders {
    /// Convert each tuple; a malformed one is a start-up error.
    pub fn new(tuples: Vec<Bound<'_, PyAny>>) -> PyResult<Self> {
        let mut out = Vec::with_capacity(tuples.len());
        for tuple in tuples {
            let converted = parse_headers(&tuple).ok_or_else(|| {
                pyo3::exceptions::PyValueError::new_err(format!(
                    "static_headers: not valid response headers: {tuple}"
                ))
            })?;
            out.push((tuple.unbind(), converted));
        }
        Ok(Self(out))
    }

    fn get(&self, headers: &Bound<'_, PyAny>) -> Option<&HeaderList> {
        self.0
            .iter()
            .find(|(tuple, _)| tuple.as_ptr() == headers.as_ptr())
            .map(|(_, converted)| converted)
    }
}

/// Response headers: `(name, value)` string pairs; `None` when one is not valid HTTP.
fn parse_headers(raw_headers: &Bound<'_, PyAny>) -> Option<HeaderList> {
    // a hint only: a sequence whose `__len__` lies must not make us allocate (or abort)
    let mut headers = Vec::with_capacity(raw_headers.len().unwrap_or(0).min(64));
    for item in raw_headers.try_iter().ok()? {
        let item = item.ok()?;
        let pair = item.cast::<PyTuple>().ok()?;
        if pair.len() != 2 {
            return None;
        }
        let name: PyBackedStr = pair.get_item(0).ok()?.extract().ok()?;
        let value: PyBackedStr = pair.get_item(1).ok()?.extract().ok()?;
        let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
        // UTF-8 bytes, like the Python engine; control characters (CR, LF, NUL, ...) refused
        let value = HeaderValue::from_bytes(value.as_bytes()).ok()?;
        if name == CONTENT_LENGTH || name == TRANSFER_ENCODING {
            continue; // framing is the engine's job
        }
        headers.push((name, value));
    }
    Some(headers)
}

/// Check and convert a `(status, headers, body)` tuple; `None` when it is malformed (or, without
/// `bodies`, when its body is not `bytes`).
fn parse(
    obj: &Bound<'_, PyAny>,
    statics: &StaticHeaders,
    bodies: Option<&BodyTypes>,
) -> Option<Parts> {
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
    let headers = match statics.get(&raw_headers) {
        Some(converted) => converted.clone(),
        None => parse_headers(&raw_headers)?,
    };
    let body_obj = tuple.get_item(2).ok()?;
    let body = if body_obj.is_instance_of::<pyo3::types::PyBytes>() {
        Body::Bytes(Bytes::from_owner(body_obj.extract::<PyBackedBytes>().ok()?))
    } else {
        let py = body_obj.py();
        let bodies = bodies?;
        if body_obj.is_exact_instance(bodies.stream.bind(py)) {
            Body::Stream {
                chunks: body_obj.getattr(intern!(py, "chunks")).ok()?.unbind(),
                is_async: body_obj
                    .getattr(intern!(py, "is_async"))
                    .ok()?
                    .extract()
                    .ok()?,
                inline: body_obj
                    .getattr(intern!(py, "inline"))
                    .ok()?
                    .extract()
                    .ok()?,
            }
        } else if body_obj.is_exact_instance(bodies.file.bind(py)) {
            Body::File {
                path: body_obj.getattr(intern!(py, "path")).ok()?.extract().ok()?,
                offset: body_obj
                    .getattr(intern!(py, "offset"))
                    .ok()?
                    .extract()
                    .ok()?,
                length: body_obj
                    .getattr(intern!(py, "length"))
                    .ok()?
                    .extract()
                    .ok()?,
            }
        } else {
            return None;
        }
    };
    Some(Parts {
        status,
        headers,
        body,
    })
}
