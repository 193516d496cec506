//! WebSocket routes (`ENGINE_CONTRACT.md` §8): the handshake, and the frames after it.
//!
//! A WebSocket request that a WebSocket route matches ([`handshake`]) calls the route on the
//! asyncio loop thread with `receive`/`send` ([`Channel`], ASGI `websocket` messages) and
//! waits for its first answer: `websocket.accept` becomes the 101 (hyper writes it, then hands
//! the socket back: `crate::server::conn`), a `websocket.http.response.*` pair a plain answer
//! with `connection: close`. [`run`] then moves the frames with tungstenite (no frame parser
//! of our own): complete messages to the handler through a small inbox (the socket is not
//! read while it is full), the handler's messages out through tungstenite's write buffer
//! (`send()` resolves once its frame is written, so a client that stops reading stalls the
//! handler, not the server's memory), pings, the client timeout, the close handshake with a
//! bounded wait, and the graceful stop's 1001.
//!
//! Threads: the channel's methods run on the loop thread and settle asyncio futures there;
//! the worker thread never touches a future itself — it schedules the channel's `_wake` /
//! `_settle` with `loop.call_soon_threadsafe`. What both sides share sits behind one mutex,
//! which the worker never holds while it takes the GIL.

use std::cell::Cell;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::header::{
    HeaderName, HeaderValue, CONNECTION, CONTENT_LENGTH, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY,
    SEC_WEBSOCKET_PROTOCOL, TRANSFER_ENCODING, UPGRADE,
};
use http::request::Parts;
use http::StatusCode;
use pyo3::exceptions::{PyBrokenPipeError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Notify};
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

use crate::bridge::{Completion, TaskResult};
use crate::dispatch::{new_request, AppState, Route};
use crate::response::{close, HttpResponse, ResBody};
use crate::server::drain::Drain;
use crate::server::gate::ConnState;

/// Complete messages the handler has not received yet before the socket is no longer read.
const INBOX: usize = 4;
/// How long a closing side waits for the other side's close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(3);
/// tungstenite writes its buffer out once it holds this much (and `send()` waits on that).
const WRITE_BUFFER: usize = 64 * 1024;

/// The `ServerConfig.ws_*` settings, checked once, and the count of open connections.
pub struct Settings {
    max_message: usize,
    max_connections: usize,
    heartbeat: Option<Duration>,
    client_timeout: Option<Duration>,
    open: Arc<AtomicUsize>,
    /// The asyncio loop WebSocket routes run on (their futures belong to it).
    event_loop: Py<PyAny>,
}

fn seconds(name: &str, value: f64) -> PyResult<Option<Duration>> {
    let duration = Duration::try_from_secs_f64(value)
        .map_err(|_| PyValueError::new_err(format!("{name} must be >= 0, got {value}")))?;
    Ok((!duration.is_zero()).then_some(duration))
}

impl Settings {
    pub fn new(
        max_message: usize,
        max_connections: usize,
        heartbeat: f64,
        client_timeout: f64,
        event_loop: Py<PyAny>,
    ) -> PyResult<Self> {
        if max_message == 0 {
            return Err(PyValueError::new_err(
                "ws_max_message_size must be at least 1, got 0",
            ));
        }
        Ok(Self {
            max_message,
            max_connections,
            heartbeat: seconds("ws_heartbeat_interval", heartbeat)?,
            client_timeout: seconds("ws_client_timeout", client_timeout)?,
            open: Arc::new(AtomicUsize::new(0)),
            event_loop,
        })
    }

    /// How many connections are open as `WebSocket`s now (a graceful stop that runs out of
    /// time cuts them).
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    fn config(&self) -> WebSocketConfig {
        WebSocketConfig::default()
            .max_message_size(Some(self.max_message))
            .max_frame_size(Some(self.max_message))
            .write_buffer_size(WRITE_BUFFER)
    }
}

/// One of `ws_max_connections`, held from the handshake to the end of the WebSocket.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(settings: &Settings) -> Option<Self> {
        let open = &settings.open;
        if open.fetch_add(1, Ordering::AcqRel) >= settings.max_connections {
            open.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Self(Arc::clone(open)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Header fields as the route gives them.
type HeaderPairs = Vec<(Vec<u8>, Vec<u8>)>;
/// A denial's status, headers and body so far.
type Denial = (u16, HeaderPairs, Vec<u8>);

/// The route's first answer.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Accept {
        subprotocol: Option<String>,
        headers: Vec<(Vec<u8>, Vec<u8>)>,
    },
    Deny {
        status: u16,
        headers: Vec<(Vec<u8>, Vec<u8>)>,
        body: Vec<u8>,
    },
}

/// A message from the client, kept until the handler receives it.
#[derive(Debug, PartialEq, Eq)]
enum Incoming {
    Text(Utf8Bytes),
    Binary(Bytes),
}

/// What `receive()` returns next.
#[derive(Debug, PartialEq, Eq)]
enum Event {
    Connect,
    Message(Incoming),
    Disconnect(u16, String),
}

impl Event {
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        match self {
            Self::Connect => dict.set_item("type", "websocket.connect")?,
            Self::Message(message) => {
                dict.set_item("type", "websocket.receive")?;
                match message {
                    Incoming::Text(text) => dict.set_item("text", text.as_str())?,
                    Incoming::Binary(bytes) => {
                        dict.set_item("bytes", PyBytes::new(py, bytes))?;
                    }
                }
            }
            Self::Disconnect(code, reason) => {
                dict.set_item("type", "websocket.disconnect")?;
                dict.set_item("code", code)?;
                dict.set_item("reason", reason)?;
            }
        }
        Ok(dict)
    }
}

/// A message from the handler for the writer.
enum Out {
    Frame(Message, Py<PyAny>),
    Close(u16, String, Py<PyAny>),
}

/// The state `receive`/`send` (loop thread) and the connection (worker thread) share.
#[derive(Default)]
struct Inner {
    connected: bool,
    accepted: bool,
    /// Taken by the first answer.
    answer: Option<oneshot::Sender<Answer>>,
    /// A `websocket.http.response.start` waiting for its body.
    deny: Option<Denial>,
    inbox: VecDeque<Incoming>,
    /// The close code and reason, once the connection is closed (or closing).
    closed: Option<(u16, String)>,
    /// `receive()` futures waiting for an event.
    waiters: VecDeque<Py<PyAny>>,
    wake_scheduled: bool,
}

impl Inner {
    fn next_event(&mut self) -> Option<Event> {
        if !self.connected {
            self.connected = true;
            return Some(Event::Connect);
        }
        if let Some(message) = self.inbox.pop_front() {
            return Some(Event::Message(message));
        }
        self.closed
            .as_ref()
            .map(|(code, reason)| Event::Disconnect(*code, reason.clone()))
    }

    /// Whether `_wake` must be scheduled on the loop (a waiter and nothing scheduled yet).
    fn needs_wake(&mut self) -> bool {
        if self.waiters.is_empty() || self.wake_scheduled {
            return false;
        }
        self.wake_scheduled = true;
        true
    }
}

struct Shared {
    inner: Mutex<Inner>,
    /// The handler took a message from a full inbox.
    room: Notify,
    out: mpsc::UnboundedSender<Out>,
    event_loop: Py<PyAny>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn inbox_len(&self) -> usize {
        self.lock().inbox.len()
    }

    /// A message from the client (worker thread).
    fn push(&self, message: Incoming, channel: &Py<Channel>) {
        let wake = {
            let mut inner = self.lock();
            inner.inbox.push_back(message);
            inner.needs_wake()
        };
        if wake {
            self.schedule_wake(channel);
        }
    }

    /// The connection is closed with `code` (worker thread); `false` if it was already.
    fn close(&self, code: u16, reason: &str, channel: &Py<Channel>) -> bool {
        let (first, wake) = {
            let mut inner = self.lock();
            if inner.closed.is_some() {
                (false, false)
            } else {
                inner.closed = Some((code, reason.to_owned()));
                (true, inner.needs_wake())
            }
        };
        if wake {
            self.schedule_wake(channel);
        }
        first
    }

    /// Settle a `send()` future: `None` on success, `BrokenPipeError` when `broken`
    /// (`loop.call_soon_threadsafe(channel._settle, future, broken)`).
    fn settle(&self, channel: &Py<Channel>, future: Py<PyAny>, broken: bool) {
        Python::attach(|py| {
            let scheduled = channel.bind(py).getattr("_settle").and_then(|callback| {
                self.event_loop
                    .bind(py)
                    .call_method1("call_soon_threadsafe", (callback, future, broken))
            });
            // a loop that is gone has no one left to tell
            drop(scheduled);
        });
    }

    /// `loop.call_soon_threadsafe(channel._wake)`, from the worker thread.
    fn schedule_wake(&self, channel: &Py<Channel>) {
        Python::attach(|py| {
            let scheduled = channel.bind(py).getattr("_wake").and_then(|callback| {
                self.event_loop
                    .bind(py)
                    .call_method1("call_soon_threadsafe", (callback,))
            });
            drop(scheduled);
        });
    }
}

/// A WebSocket route's `receive` and `send` (bound methods of one channel).
#[pyclass(frozen, module = "bolt_rust._bolt")]
pub struct Channel {
    shared: Arc<Shared>,
}

fn resolved(
    py: Python<'_>,
    event_loop: &Py<PyAny>,
    value: Bound<'_, PyAny>,
) -> PyResult<Py<PyAny>> {
    let future = event_loop.call_method0(py, "create_future")?;
    future.call_method1(py, "set_result", (value,))?;
    Ok(future)
}

fn closed_error() -> PyErr {
    PyBrokenPipeError::new_err("the WebSocket is closed")
}

/// `[(bytes, bytes), ...]` (a missing key: none).
fn header_list(message: &Bound<'_, PyDict>) -> PyResult<Vec<(Vec<u8>, Vec<u8>)>> {
    match message.get_item("headers")? {
        Some(headers) if !headers.is_none() => headers.extract(),
        _ => Ok(Vec::new()),
    }
}

fn optional<'py, T: for<'a> FromPyObject<'a, 'py>>(
    message: &Bound<'py, PyDict>,
    key: &str,
) -> PyResult<Option<T>> {
    match message.get_item(key)? {
        Some(value) if !value.is_none() => Ok(Some(value.extract().map_err(Into::into)?)),
        _ => Ok(None),
    }
}

#[pymethods]
impl Channel {
    /// The next ASGI `websocket` event (an awaitable).
    fn receive(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let shared = &self.shared;
        let mut inner = shared.lock();
        let Some(event) = inner.next_event() else {
            let future = shared.event_loop.call_method0(py, "create_future")?;
            inner.waiters.push_back(future.clone_ref(py));
            return Ok(future);
        };
        drop(inner);
        shared.room.notify_one();
        resolved(py, &shared.event_loop, event.to_dict(py)?.into_any())
    }

    /// Send an ASGI `websocket` message (an awaitable: done once it is written out).
    #[allow(clippy::too_many_lines)] // one arm per message type
    fn send(&self, py: Python<'_>, message: &Bound<'_, PyDict>) -> PyResult<Py<PyAny>> {
        let kind: String = optional(message, "type")?.unwrap_or_default();
        let shared = &self.shared;
        let done = || resolved(py, &shared.event_loop, py.None().into_bound(py));
        match kind.as_str() {
            "websocket.accept" => {
                let answer = Answer::Accept {
                    subprotocol: optional(message, "subprotocol")?,
                    headers: header_list(message)?,
                };
                let mut inner = shared.lock();
                let sender = inner
                    .answer
                    .take()
                    .filter(|_| inner.deny.is_none())
                    .ok_or_else(|| PyRuntimeError::new_err("the handshake is already answered"))?;
                inner.accepted = true;
                let _ = sender.send(answer);
                drop(inner);
                done()
            }
            "websocket.http.response.start" => {
                let status: u16 = optional(message, "status")?.ok_or_else(|| {
                    PyValueError::new_err("websocket.http.response.start needs a status")
                })?;
                let headers = header_list(message)?;
                let mut inner = shared.lock();
                if inner.answer.is_none() || inner.deny.is_some() {
                    return Err(PyRuntimeError::new_err("the handshake is already answered"));
                }
                inner.deny = Some((status, headers, Vec::new()));
                drop(inner);
                done()
            }
            "websocket.http.response.body" => {
                let body: Vec<u8> = optional(message, "body")?.unwrap_or_default();
                let more: bool = optional(message, "more_body")?.unwrap_or(false);
                let mut inner = shared.lock();
                let Some((_, _, sofar)) = inner.deny.as_mut() else {
                    return Err(PyRuntimeError::new_err(
                        "websocket.http.response.body before websocket.http.response.start",
                    ));
                };
                sofar.extend_from_slice(&body);
                if !more {
                    if let (Some((status, headers, body)), Some(sender)) =
                        (inner.deny.take(), inner.answer.take())
                    {
                        let _ = sender.send(Answer::Deny {
                            status,
                            headers,
                            body,
                        });
                    }
                    inner.closed.get_or_insert((1000, String::new()));
                }
                drop(inner);
                done()
            }
            "websocket.send" | "websocket.close" => {
                let mut inner = shared.lock();
                if !inner.accepted {
                    if kind == "websocket.close" {
                        // ASGI: a close before the accept is a 403
                        if let Some(sender) = inner.answer.take() {
                            let _ = sender.send(Answer::Deny {
                                status: 403,
                                headers: Vec::new(),
                                body: Vec::new(),
                            });
                            inner.closed.get_or_insert((1000, String::new()));
                            drop(inner);
                            return done();
                        }
                    }
                    return Err(PyRuntimeError::new_err(format!(
                        "{kind} before websocket.accept"
                    )));
                }
                if inner.closed.is_some() {
                    if kind == "websocket.close" {
                        drop(inner);
                        return done(); // closing a closed connection: nothing to do
                    }
                    return Err(closed_error());
                }
                drop(inner);
                let future = shared.event_loop.call_method0(py, "create_future")?;
                let out = if kind == "websocket.close" {
                    let code: u16 = optional(message, "code")?.unwrap_or(1000);
                    let reason: String = optional(message, "reason")?.unwrap_or_default();
                    Out::Close(code, reason, future.clone_ref(py))
                } else if let Some(text) = optional::<String>(message, "text")? {
                    Out::Frame(Message::text(text), future.clone_ref(py))
                } else {
                    let bytes: Vec<u8> = optional(message, "bytes")?.unwrap_or_default();
                    Out::Frame(Message::binary(bytes), future.clone_ref(py))
                };
                shared.out.send(out).map_err(|_| closed_error())?;
                Ok(future)
            }
            other => Err(PyValueError::new_err(format!(
                "not a WebSocket message type: {other:?}"
            ))),
        }
    }

    /// Hand the waiting `receive()` futures what has come (scheduled by the worker).
    fn _wake(&self, py: Python<'_>) -> PyResult<()> {
        let shared = &self.shared;
        let mut took = false;
        loop {
            let mut inner = shared.lock();
            inner.wake_scheduled = false;
            // a cancelled receive() takes nothing
            while let Some(waiter) = inner.waiters.front() {
                if waiter.call_method0(py, "done")?.is_truthy(py)? {
                    inner.waiters.pop_front();
                } else {
                    break;
                }
            }
            if inner.waiters.is_empty() {
                break;
            }
            let Some(event) = inner.next_event() else {
                break;
            };
            took |= matches!(event, Event::Message(_));
            let Some(waiter) = inner.waiters.pop_front() else {
                break;
            };
            drop(inner);
            waiter.call_method1(py, "set_result", (event.to_dict(py)?,))?;
        }
        if took {
            shared.room.notify_one();
        }
        Ok(())
    }

    /// Settle a `send()` future (scheduled by the worker).
    #[allow(clippy::unused_self)] // a method, so that the worker can schedule it
    fn _settle(&self, py: Python<'_>, future: &Bound<'_, PyAny>, broken: bool) -> PyResult<()> {
        if future.call_method0("done")?.is_truthy()? {
            return Ok(());
        }
        if broken {
            future.call_method1("set_exception", (closed_error().into_value(py),))?;
        } else {
            future.call_method1("set_result", (py.None(),))?;
        }
        Ok(())
    }
}

/// An accepted WebSocket, kept for the connection to run once hyper has written the 101.
pub struct Accepted {
    channel: Py<Channel>,
    shared: Arc<Shared>,
    out: mpsc::UnboundedReceiver<Out>,
    done: oneshot::Receiver<TaskResult>,
    _slot: Slot,
}

impl Accepted {
    /// The 101 never went out (the client went away first): the handler sees a lost
    /// connection (1006) instead of waiting for one that never opens.
    pub fn abandon(self) {
        self.shared.close(1006, "", &self.channel);
    }
}

/// Whether a handshake request has a body (`ENGINE_CONTRACT.md` §8: answered 400).
fn has_body(parts: &Parts) -> bool {
    parts.headers.contains_key(TRANSFER_ENCODING)
        || parts
            .headers
            .get(CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes().iter().any(|&b| b != b'0'))
}

/// The 101's header fields for an accept (`key`: the request's `Sec-WebSocket-Key`);
/// `None` when the route's subprotocol or headers are not valid header values.
fn switching_headers(
    key: &[u8],
    subprotocol: Option<&str>,
    headers: &[(Vec<u8>, Vec<u8>)],
) -> Option<http::HeaderMap> {
    let mut map = http::HeaderMap::with_capacity(4 + headers.len());
    map.insert(UPGRADE, HeaderValue::from_static("websocket"));
    map.insert(CONNECTION, HeaderValue::from_static("upgrade"));
    map.insert(
        SEC_WEBSOCKET_ACCEPT,
        HeaderValue::from_str(&derive_accept_key(key)).ok()?,
    );
    if let Some(subprotocol) = subprotocol {
        map.insert(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_str(subprotocol).ok()?,
        );
    }
    for (name, value) in headers {
        map.append(
            HeaderName::from_bytes(name).ok()?,
            HeaderValue::from_bytes(value).ok()?,
        );
    }
    Some(map)
}

fn switching(
    key: &[u8],
    subprotocol: Option<&str>,
    headers: &[(Vec<u8>, Vec<u8>)],
) -> Option<HttpResponse> {
    let mut response = http::Response::new(ResBody::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    *response.headers_mut() = switching_headers(key, subprotocol, headers)?;
    Some(response)
}

/// A denial: the route's plain HTTP answer, the last of its connection.
fn denial(status: u16, headers: &[(Vec<u8>, Vec<u8>)], body: Vec<u8>) -> Option<HttpResponse> {
    // a final status: no 1xx (a 101 is the accept's)
    if !(200..=599).contains(&status) {
        return None;
    }
    let mut response = http::Response::new(ResBody::Bytes(Some(Bytes::from(body))));
    *response.status_mut() = StatusCode::from_u16(status).ok()?;
    let map = response.headers_mut();
    for (name, value) in headers {
        map.append(
            HeaderName::from_bytes(name).ok()?,
            HeaderValue::from_bytes(value).ok()?,
        );
    }
    close(&mut response);
    Some(response)
}

/// Answer a WebSocket request that `route` matched: call the route, and turn its first
/// answer into the response (see the module documentation).
pub async fn handshake(
    state: &AppState,
    conn: &ConnState,
    parts: &Parts,
    route: &Route,
    target: (&str, &str),
    params: Option<Vec<(String, String)>>,
    peer: Option<SocketAddr>,
) -> HttpResponse {
    if has_body(parts) {
        return state.errors.get(400, true);
    }
    let settings = &state.websockets;
    let Some(slot) = Slot::take(settings) else {
        return state.errors.get(503, true);
    };
    let (out_tx, out) = mpsc::unbounded_channel();
    let (answer_tx, answer_rx) = oneshot::channel();
    let shared = Arc::new(Shared {
        inner: Mutex::new(Inner {
            answer: Some(answer_tx),
            ..Inner::default()
        }),
        room: Notify::new(),
        out: out_tx,
        event_loop: Python::attach(|py| settings.event_loop.clone_ref(py)),
    });
    let request = new_request(
        state,
        parts,
        target,
        params,
        route.needs,
        Bytes::new(),
        peer,
    );
    let (completion, mut done) = Completion::channel();
    let started = Python::attach(|py| -> PyResult<Py<Channel>> {
        let channel = Py::new(
            py,
            Channel {
                shared: Arc::clone(&shared),
            },
        )?;
        let bound = channel.bind(py);
        let coro = route.call.call1(
            py,
            (request, bound.getattr("receive")?, bound.getattr("send")?),
        )?;
        state.submit.call1(py, (coro, completion))?;
        Ok(channel)
    });
    let channel = match started {
        Ok(channel) => channel,
        Err(err) => {
            let message = "starting a WebSocket route failed; answered 500";
            Python::attach(|py| state.log.exception(py, message, &err));
            return state.errors.get(500, true);
        }
    };
    // the first answer, unless the call ends before giving one
    let answer = tokio::select! {
        biased;
        answer = answer_rx => answer.ok(),
        ended = &mut done => {
            if let Ok(Err(err)) = ended {
                let message = "a WebSocket route raised before answering the handshake; answered 500";
                Python::attach(|py| state.log.exception(py, message, &err));
            }
            None
        }
    };
    let response = match answer {
        None => None,
        Some(Answer::Deny {
            status,
            headers,
            body,
        }) => denial(status, &headers, body),
        Some(Answer::Accept {
            subprotocol,
            headers,
        }) => {
            let key = parts
                .headers
                .get(SEC_WEBSOCKET_KEY)
                .map(HeaderValue::as_bytes);
            let Some(key) = key else {
                // bolt-api checks the handshake first; a raw route may not have
                return state.errors.get(400, true);
            };
            let response = switching(key, subprotocol.as_deref(), &headers);
            if response.is_some() {
                conn.set_upgraded(Accepted {
                    channel,
                    shared,
                    out,
                    done,
                    _slot: slot,
                });
            }
            response
        }
    };
    // returned (or raised) before answering, or answered with what HTTP cannot carry
    response.unwrap_or_else(|| state.errors.get(500, true))
}

/// How the two sides of a running WebSocket tell each other it is closing.
#[derive(Default)]
struct Session {
    /// A close frame of ours to send (the handler's, or the engine's).
    closing: Cell<Option<(u16, String)>>,
    /// We close (or closed): the reader waits for the client's close frame, bounded.
    we_close: Cell<bool>,
    /// The client closed, or the connection is gone: the writer stops.
    ended: Cell<bool>,
    kick_writer: Notify,
    kick_reader: Notify,
}

impl Session {
    /// The engine closes with `code` unless the connection is closed already.
    fn close(&self, shared: &Shared, channel: &Py<Channel>, code: u16, reason: &str) {
        if shared.close(code, reason, channel) {
            self.closing.set(Some((code, reason.to_owned())));
            self.we_close.set(true);
            self.kick_writer.notify_one();
            self.kick_reader.notify_one();
        }
    }

    /// The client closed with `code`, or the connection is gone (1006).
    fn ended(&self, shared: &Shared, channel: &Py<Channel>, code: u16, reason: &str) {
        shared.close(code, reason, channel);
        self.ended.set(true);
        self.kick_writer.notify_one();
    }
}

/// The close code for a read error (RFC 6455 §7.4.1); `None`: the connection is lost (1006).
fn close_code(err: &WsError) -> Option<u16> {
    match err {
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => None,
        WsError::Protocol(_) | WsError::AttackAttempt => Some(1002),
        WsError::Utf8(_) => Some(1007),
        WsError::Capacity(_) => Some(1009),
        _ => None,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

async fn tick(interval: &mut Option<tokio::time::Interval>) {
    match interval {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// Run an accepted WebSocket on `stream` (`prefix`: bytes already read past the handshake)
/// until it is closed and its handler has returned.
#[allow(clippy::too_many_lines)] // the reader, the writer and the handler's end, side by side
pub async fn run(
    app: &AppState,
    accepted: Accepted,
    stream: TcpStream,
    prefix: Vec<u8>,
    drain: &Drain,
) {
    let settings = &app.websockets;
    let Accepted {
        channel,
        shared,
        mut out,
        mut done,
        _slot,
    } = accepted;
    let socket =
        WebSocketStream::from_partially_read(stream, prefix, Role::Server, Some(settings.config()))
            .await;
    let (mut sink, mut frames) = socket.split();
    let session = Session::default();
    let (session, shared, channel) = (&session, &*shared, &channel);

    let reader = async {
        let mut last_seen = Instant::now();
        while !session.we_close.get() {
            if shared.inbox_len() >= INBOX {
                // the handler lags: the socket waits (and so does the client's silence clock)
                tokio::select! {
                    () = shared.room.notified() => {}
                    () = session.kick_reader.notified() => {}
                }
                last_seen = Instant::now();
                continue;
            }
            let deadline = settings.client_timeout.map(|t| last_seen + t);
            let item = tokio::select! {
                item = frames.next() => item,
                () = sleep_until(deadline) => {
                    session.close(shared, channel, 1001, "");
                    break;
                }
                () = session.kick_reader.notified() => continue,
            };
            last_seen = Instant::now();
            match item {
                Some(Ok(Message::Text(text))) => shared.push(Incoming::Text(text), channel),
                Some(Ok(Message::Binary(bytes))) => shared.push(Incoming::Binary(bytes), channel),
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) = frame.map_or((1005, String::new()), |f| {
                        (u16::from(f.code), f.reason.as_str().to_owned())
                    });
                    session.ended(shared, channel, code, &reason);
                    // tungstenite answers it; reading on sends that and sees the end
                    break;
                }
                Some(Err(err)) => {
                    match close_code(&err) {
                        Some(code) => session.close(shared, channel, code, ""),
                        None => session.ended(shared, channel, 1006, ""),
                    }
                    break;
                }
                None => {
                    session.ended(shared, channel, 1006, "");
                    break;
                }
            }
        }
        // the other side's close frame (or the end of the stream), for a bounded time
        let _ = timeout(CLOSE_WAIT, async {
            while let Some(Ok(_)) = frames.next().await {}
        })
        .await;
    };

    let writer = async {
        let mut heartbeat = settings.heartbeat.map(|every| {
            let mut interval = tokio::time::interval_at(Instant::now() + every, every);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            interval
        });
        loop {
            if let Some((code, reason)) = session.closing.take() {
                let frame = CloseFrame {
                    code: CloseCode::from(code),
                    reason: reason.into(),
                };
                let _ = timeout(CLOSE_WAIT, sink.send(Message::Close(Some(frame)))).await;
                session.kick_reader.notify_one();
                break;
            }
            if session.ended.get() {
                break;
            }
            tokio::select! {
                () = session.kick_writer.notified() => {}
                command = out.recv() => match command {
                    Some(Out::Frame(message, future)) => {
                        let sent = tokio::select! {
                            sent = sink.send(message) => sent.is_ok(),
                            () = session.kick_writer.notified() => false,
                        };
                        shared.settle(channel, future, !sent);
                        if !sent && !session.we_close.get() {
                            session.ended(shared, channel, 1006, "");
                        }
                    }
                    Some(Out::Close(code, reason, future)) => {
                        session.close(shared, channel, code, &reason);
                        shared.settle(channel, future, false);
                    }
                    None => break,
                },
                () = tick(&mut heartbeat) => {
                    tokio::select! {
                        _ = sink.send(Message::Ping(Bytes::new())) => {}
                        () = session.kick_writer.notified() => {}
                    }
                }
            }
        }
        // what send() queued that will not go out fails; later sends fail at once
        out.close();
        while let Ok(command) = out.try_recv() {
            let (Out::Frame(_, future) | Out::Close(_, _, future)) = command;
            shared.settle(channel, future, true);
        }
    };

    let handler = async {
        let code = match (&mut done).await {
            Ok(Ok(_)) => 1000,
            Ok(Err(err)) => {
                let message = "a WebSocket route raised; closed with 1011";
                Python::attach(|py| app.log.exception(py, message, &err));
                1011
            }
            // the loop let go of the task (a forced stop)
            Err(_) => 1011,
        };
        session.close(shared, channel, code, "");
    };

    let mut stop = drain.subscribe();
    let all = async { tokio::join!(reader, writer, handler) };
    let mut all = std::pin::pin!(all);
    tokio::select! {
        _ = all.as_mut() => {}
        () = Drain::stopped(&mut stop) => {
            session.close(shared, channel, 1001, "");
            all.await;
        }
    }
}

#[cfg(test)]
mod tests {
    // (nothing here may drop a Python object: the test binary does not link libpython)
    use super::{close_code, has_body, switching_headers};
    use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
    use tokio_tungstenite::tungstenite::Error as WsError;

    #[test]
    fn the_accept_key_is_rfc_6455s() {
        // RFC 6455 §1.3's example
        let extra = [(b"x-a".to_vec(), b"1".to_vec())];
        let headers = switching_headers(b"dGhlIHNhbXBsZSBub25jZQ==", Some("chat"), &extra)
            .expect("valid fields");
        assert_eq!(
            headers["sec-websocket-accept"],
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert_eq!(headers["upgrade"], "websocket");
        assert_eq!(headers["connection"], "upgrade");
        assert_eq!(headers["sec-websocket-protocol"], "chat");
        assert_eq!(headers["x-a"], "1");
        let bad = [(b"bad name".to_vec(), b"1".to_vec())];
        assert!(switching_headers(b"k", None, &bad).is_none());
        assert!(switching_headers(b"k", Some("a\nb"), &[]).is_none());
    }

    #[test]
    fn read_errors_map_to_close_codes() {
        let protocol = WsError::Protocol(ProtocolError::UnmaskedFrameFromClient);
        assert_eq!(close_code(&protocol), Some(1002));
        assert_eq!(close_code(&WsError::Utf8(String::new())), Some(1007));
        let big = WsError::Capacity(CapacityError::MessageTooLong {
            size: 2,
            max_size: 1,
        });
        assert_eq!(close_code(&big), Some(1009));
        let reset = WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake);
        assert_eq!(close_code(&reset), None);
    }

    #[test]
    fn a_handshake_with_a_body_is_told() {
        let parts = |header: Option<(&str, &str)>| {
            let mut builder = http::Request::builder();
            if let Some((name, value)) = header {
                builder = builder.header(name, value);
            }
            builder.body(()).expect("a request").into_parts().0
        };
        assert!(!has_body(&parts(None)));
        assert!(!has_body(&parts(Some(("content-length", "0")))));
        assert!(has_body(&parts(Some(("content-length", "5")))));
        assert!(has_body(&parts(Some(("transfer-encoding", "chunked")))));
    }
}
