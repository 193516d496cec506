//! Turning bolt-api's `(status, headers, body)` tuple into a hyper response.
//!
//! The body is not copied: `PyBackedBytes` keeps the Python `bytes` alive and
//! `Bytes::from_owner` lets hyper write straight from it. Anything malformed — a wrong
//! shape, a status outside 100-599, a header name or value that is not valid HTTP (CR, LF,
//! NUL, ...) — yields `None`, and the caller answers with the cached 500 instead.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::StreamExt;
use http::header::{HeaderName, HeaderValue, CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use http::StatusCode;
use http_body::{Frame, SizeHint};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{PyTuple, PyType};

use crate::body::{async_stream, file_stream, inline_stream, sync_stream, ChunkStream};
use crate::log::Logger;
use crate::server::gate::ConnState;

/// The response the server hands to hyper.
pub type HttpResponse = http::Response<ResBody>;

/// A response body for hyper: bytes in one piece, or a stream of chunks (with its length
/// when it is known: a file).
pub enum ResBody {
    Bytes(Option<Bytes>),
    Stream {
        chunks: ChunkStream,
        length: Option<u64>,
        /// The connection to cut when the stream fails (`ConnState::cut`).
        conn: Option<Rc<ConnState>>,
    },
}

impl ResBody {
    /// No body (a `HEAD` response, a 204, ...).
    pub fn empty() -> Self {
        Self::Bytes(None)
    }

    /// The connection a failing stream cuts (set by the connection's request handler).
    pub fn attach(&mut self, state: &Rc<ConnState>) {
        if let Self::Stream { conn, .. } = self {
            *conn = Some(Rc::clone(state));
        }
    }

    /// The length the access log reports: `None` for a stream of unknown length.
    pub fn logged_len(&self) -> Option<u64> {
        match self {
            Self::Bytes(bytes) => Some(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Self::Stream { length, .. } => *length,
        }
    }
}

impl http_body::Body for ResBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.get_mut() {
            Self::Bytes(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Self::Stream { chunks, conn, .. } => loop {
                if conn.as_ref().is_some_and(|state| state.is_cut()) {
                    // failed already: never an end that would read as a complete body,
                    // whenever hyper polls again before its flush
                    return Poll::Pending;
                }
                return match std::task::ready!(chunks.poll_next_unpin(cx)) {
                    Some(Ok(chunk)) if chunk.is_empty() => continue,
                    Some(Ok(chunk)) => Poll::Ready(Some(Ok(Frame::data(chunk)))),
                    Some(Err(err)) => match conn {
                        // hyper flushes what it has next (its loop always flushes after
                        // polling the body), and the gate fails that flush: the connection
                        // ends, the client sees a body cut short, not a complete one
                        Some(state) => {
                            state.cut();
                            Poll::Pending
                        }
                        None => Poll::Ready(Some(Err(err))),
                    },
                    None => Poll::Ready(None),
                };
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Bytes(bytes) => bytes.as_ref().is_none_or(Bytes::is_empty),
            Self::Stream { .. } => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Bytes(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            Self::Stream {
                length: Some(n), ..
            } => SizeHint::with_exact(*n),
            Self::Stream { .. } => SizeHint::default(),
        }
    }
}

/// A response with `status`, `headers` and `body`.
fn build(status: StatusCode, headers: &[(HeaderName, HeaderValue)], body: ResBody) -> HttpResponse {
    let mut res = http::Response::new(body);
    *res.status_mut() = status;
    if status.canonical_reason().is_none() {
        // hyper would write `<none>`; both engines write no reason for a status without one
        res.extensions_mut()
            .insert(hyper::ext::ReasonPhrase::from_static(b""));
    }
    let map = res.headers_mut();
    map.reserve(headers.len() + 2);
    for (name, value) in headers {
        map.append(name.clone(), value.clone());
    }
    res
}

/// Mark `res` as the last response of its connection.
pub fn close(res: &mut HttpResponse) {
    res.headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
}

/// A response rendered once and replayed: the errors an engine produces itself.
#[derive(Clone)]
pub struct Cached {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

impl Cached {
    /// The response from the cached parts.
    pub fn response(&self, close_after: bool) -> HttpResponse {
        let mut res = build(
            self.status,
            &self.headers,
            ResBody::Bytes(Some(self.body.clone())),
        );
        if close_after {
            close(&mut res);
        }
        res
    }

    /// The response to a `HEAD` request: the headers and `content-length`, no body.
    pub fn head(&self) -> HttpResponse {
        head_response(
            build(self.status, &self.headers, ResBody::empty()),
            self.body.len() as u64,
        )
    }

    /// Render one response tuple from bolt-api once, to replay it (`None`: not a plain
    /// `(status, headers, bytes)` with valid HTTP headers).
    pub fn render(obj: &Bound<'_, PyAny>) -> Option<Self> {
        parse(obj, &StaticHeaders::default(), None)
            .as_ref()
            .and_then(cache)
    }

    /// The response as bytes on the wire, with `connection: close` (what the connection gate
    /// writes itself), without its `date` line and the empty line: see [`ErrorReplies`].
    fn wire_head(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.body.len());
        out.extend_from_slice(b"HTTP/1.1 ");
        out.extend_from_slice(self.status.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.status.canonical_reason().unwrap_or("").as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, value) in &self.headers {
            if name == CONNECTION {
                continue;
            }
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        // hyper's order (the engine's other responses): `connection`, then the framing, then
        // `date` (added per reply)
        out.extend_from_slice(b"connection: close\r\n");
        out.extend_from_slice(format!("content-length: {}\r\n", self.body.len()).as_bytes());
        out
    }
}

/// The error responses the connection gate writes itself (a refused head, a header timeout),
/// serialised once at start; only the `date` is added per reply. (`Default`: bare replies,
/// without bodies.)
#[derive(Default)]
pub struct ErrorReplies {
    by_status: HashMap<u16, (Vec<u8>, Bytes)>,
}

impl ErrorReplies {
    pub fn new(errors: &ErrorResponses) -> Self {
        let by_status = errors
            .by_status
            .iter()
            .map(|(status, cached)| (*status, (cached.wire_head(), cached.body.clone())))
            .collect();
        Self { by_status }
    }

    /// The whole reply for `status` (a bare one when bolt-api rendered none for it); to a
    /// `HEAD` request without its body (RFC 9110 §9.3.2), its `content-length` kept.
    pub fn render(&self, status: u16, to_head: bool) -> Bytes {
        let date = httpdate::fmt_http_date(std::time::SystemTime::now());
        let (head, body) = if let Some((head, body)) = self.by_status.get(&status) {
            (head.clone(), body.clone())
        } else {
            let bare = Cached {
                status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
                headers: Vec::new(),
                body: Bytes::new(),
            };
            (bare.wire_head(), Bytes::new())
        };
        let mut out = head;
        out.extend_from_slice(format!("date: {date}\r\n\r\n").as_bytes());
        if !to_head {
            out.extend_from_slice(&body);
        }
        Bytes::from(out)
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
    pub fn get(&self, status: u16, close_after: bool) -> HttpResponse {
        if let Some(cached) = self.by_status.get(&status) {
            return cached.response(close_after);
        }
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = build(code, &[], ResBody::empty());
        if close_after {
            close(&mut res);
        }
        res
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
    /// A `FileBody`: bytes `offset..offset + length` of `path`, when it is still the file
    /// `identity` (`(st_dev, st_ino)`) names.
    File {
        path: String,
        offset: u64,
        length: u64,
        identity: Option<(u64, u64)>,
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

    /// The response for hyper. For `HEAD`, see [`head_response`]; `submit` runs coroutines
    /// on the asyncio loop (for async streams); failures of a stream body go to `log`.
    pub fn into_response(
        self,
        py: Python<'_>,
        head: bool,
        submit: &Py<PyAny>,
        log: &Logger,
    ) -> HttpResponse {
        let Self {
            status,
            headers,
            body,
        } = self;
        let with = |body: ResBody| build(status, &headers, body);
        match body {
            Body::Bytes(bytes) if head => head_response(with(ResBody::empty()), bytes.len() as u64),
            Body::Bytes(bytes) => with(ResBody::Bytes(Some(bytes))),
            Body::File { length, .. } if head => head_response(with(ResBody::empty()), length),
            Body::File {
                path,
                offset,
                length,
                identity,
            } => with(ResBody::Stream {
                chunks: file_stream(path, offset, length, identity),
                length: Some(length),
                conn: None,
            }),
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
                with(ResBody::empty())
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
                with(ResBody::Stream {
                    chunks: stream,
                    length: None,
                    conn: None,
                })
            }
        }
    }
}

/// A `HEAD` response: the `content-length` of the body that is not sent (hyper sends no body
/// for `HEAD` and keeps the header), none for statuses without a body.
fn head_response(mut res: HttpResponse, length: u64) -> HttpResponse {
    let status = res.status();
    let bodiless = status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    if !bodiless {
        res.headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(length));
    }
    res
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
                identity: body_obj
                    .getattr(intern!(py, "identity"))
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
