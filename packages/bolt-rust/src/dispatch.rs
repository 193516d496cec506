//! One request, from hyper's decoded head to bolt-api's answer: body reading, routing, the
//! request object and the call into Python.
//!
//! A sync route costs one GIL acquisition: build the request object, call the compiled
//! route callable, convert its tuple. Routing, percent-decoding and body reading happen
//! before the GIL is taken.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use http::header::{HeaderMap, ACCEPT_ENCODING, CONTENT_LENGTH, HOST};
use http::request::Parts;
use http::Method;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

#[cfg(feature = "ablation")]
use crate::ablation::Ablation;
use crate::access_log::{AccessLog, Client};
use crate::bridge::Completion;
use crate::contract::NeedsBits;
use crate::limits;
use crate::log::Logger;
use crate::params::{Converted, Params};
use crate::request::{percent_decode, resolved_host, Forwarded, Request, RequestMethods};
use crate::response::{Cached, ErrorResponses, HttpResponse, ResponseReader};
use crate::router::Router;
use crate::server::gate::ConnState;

/// Logged when bolt-api's callable raises although the contract says it never does.
const RAISED: &str = "a bolt-api callable raised instead of answering; answered 500";

/// The header fields a request object shows: those whose name holds `_` are dropped (they
/// count towards the limits all the same), so that `x_forwarded_for` cannot pass for
/// `X-Forwarded-For` wherever names are normalised (CGI/WSGI, Django's `META`).
pub fn without_underscores(headers: &HeaderMap) -> HeaderMap {
    if !headers.keys().any(|name| name.as_str().contains('_')) {
        return headers.clone();
    }
    let mut kept = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if !name.as_str().contains('_') {
            kept.append(name.clone(), value.clone());
        }
    }
    kept
}

/// Only the `Accept-Encoding` and/or `Host` headers (what bolt-api's compression and its
/// allowed-hosts check read), without copying the whole header map.
fn selected_headers(headers: &HeaderMap, accept_encoding: bool, host: bool) -> HeaderMap {
    let mut only = HeaderMap::new();
    let names = [(accept_encoding, ACCEPT_ENCODING), (host, HOST)];
    for (_, name) in names.iter().filter(|(wanted, _)| *wanted) {
        for value in headers.get_all(name) {
            only.append(name.clone(), value.clone());
        }
    }
    only
}

/// The headers a route's request carries: all of them, only those its `needs` name
/// (`Accept-Encoding`, `Host`), or none.
pub fn request_headers(headers: &HeaderMap, needs: u32, bits: NeedsBits) -> Option<HeaderMap> {
    if needs & (bits.headers | bits.cookies) != 0 {
        Some(without_underscores(headers))
    } else if needs & (bits.accept_encoding | bits.host) != 0 {
        Some(selected_headers(
            headers,
            needs & bits.accept_encoding != 0,
            needs & bits.host != 0,
        ))
    } else {
        None
    }
}

pub struct Route {
    pub call: Py<PyAny>,
    pub is_async: bool,
    pub needs: u32,
    /// The contract's `ParamSpec` fast path (sync routes with plain path/query parameters):
    /// converted values reach bolt-api as `request.bound`.
    pub params: Option<Params>,
}

pub struct AppState {
    pub routes: Vec<Route>,
    pub router: Router,
    /// The WebSocket routes (`ENGINE_CONTRACT.md` §8), a table of their own.
    pub ws_routes: Vec<Route>,
    pub ws_router: Router,
    pub websockets: crate::websocket::Settings,
    pub fallback: Py<PyAny>,
    pub submit: Py<PyAny>,
    pub errors: ErrorResponses,
    /// `CompiledApp.not_found`, rendered once: a plain miss answered without Python.
    pub not_found: Option<Cached>,
    /// Reads response tuples: `CompiledApp.static_headers` (converted once) and bolt-api's
    /// body classes.
    pub responses: ResponseReader,
    /// The `Needs` bits, as bolt-api numbers them.
    pub needs: NeedsBits,
    /// bolt-api's helpers behind `Request.get_full_path()`/`build_absolute_uri()`.
    pub methods: Arc<RequestMethods>,
    /// Where engine errors go (`crate::log`).
    pub log: Logger,
    pub max_body: usize,
    /// Requests being handled right now; reported when a graceful stop runs out of time.
    pub in_flight: AtomicUsize,
    /// `None` when the access log is off (decided once, at start).
    pub access_log: Option<AccessLog>,
    /// `bolt_api.proxies.TrustedProxies`, or `None` when no proxy is trusted.
    pub proxies: Option<Arc<Py<PyAny>>>,
    /// The benchmark's switches (`crate::ablation`), in a build with that feature only.
    #[cfg(feature = "ablation")]
    pub ablate: Ablation,
}

/// Give this worker thread a Python thread state for its whole life, so a request's
/// `Python::attach` only takes the GIL instead of creating and destroying a thread state.
/// The state is deleted when the returned guard drops, before the thread ends: a state left
/// behind by a finished thread stays in the interpreter's list, and a later server started
/// from a thread pool crashed on it (a test client started from `asyncio.to_thread`).
pub fn pin_thread_state() -> PinnedThreadState {
    // SAFETY: the interpreter is initialised (this extension runs inside it).
    // `PyGILState_Ensure` creates this thread's state and takes the GIL;
    // `PyEval_SaveThread` releases the GIL but keeps the state, and the counter
    // left at one stops later `PyGILState_Release` calls from deleting it.
    unsafe {
        let gil = pyo3::ffi::PyGILState_Ensure();
        let state = pyo3::ffi::PyEval_SaveThread();
        PinnedThreadState { state, gil }
    }
}

/// A worker thread's pinned thread state (see [`pin_thread_state`]); dropped on that thread.
pub struct PinnedThreadState {
    state: *mut pyo3::ffi::PyThreadState,
    gil: pyo3::ffi::PyGILState_STATE,
}

impl Drop for PinnedThreadState {
    fn drop(&mut self) {
        // SAFETY: on the thread that pinned the state (the guard is not `Send`), with the GIL
        // not held: take it back with the state, then the matching release deletes the state
        // (its counter drops to zero) and releases the GIL.
        unsafe {
            pyo3::ffi::PyEval_RestoreThread(self.state);
            pyo3::ffi::PyGILState_Release(self.gil);
        }
    }
}

/// Counts one request in flight for as long as its handler future lives (a forced stop
/// drops the future, which still decrements).
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn new(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Self(counter)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

enum BodyError {
    TooLarge,
    Broken,
}

/// A request body as read: `sliced` when it is a slice of the connection's read buffer (which
/// it then keeps alive as long as it lives).
struct ReadBody {
    bytes: bytes::Bytes,
    sliced: bool,
}

/// The next piece of body data (trailers are skipped: the gate has checked them).
async fn next_data(body: &mut Incoming) -> Option<Result<bytes::Bytes, BodyError>> {
    loop {
        match body.frame().await? {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    return Some(Ok(data));
                }
            }
            Err(_) => return Some(Err(BodyError::Broken)),
        }
    }
}

async fn read_body(
    headers: &HeaderMap,
    mut body: Incoming,
    limit: usize,
) -> Result<ReadBody, BodyError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(BodyError::TooLarge);
    }
    // A body that arrives in one chunk (every small one: it came in the read that brought
    // the head) is handed over as it is, without a copy: a slice of the connection's read
    // buffer (`ReadBody::sliced`, see `dispatch`).
    let Some(first) = next_data(&mut body).await else {
        return Ok(ReadBody {
            bytes: bytes::Bytes::new(),
            sliced: false,
        });
    };
    let first = first?;
    if first.len() > limit {
        return Err(BodyError::TooLarge);
    }
    let Some(second) = next_data(&mut body).await else {
        return Ok(ReadBody {
            bytes: first,
            sliced: true,
        });
    };
    // Room for what has come, not for what is declared: a client that declares 1 MiB and
    // trickles it must not make the server hold 1 MiB per connection before it has sent
    // it (issue 19); the buffer grows (doubling) as the body arrives.
    let arrived = first.len() + second.as_ref().map_or(0, bytes::Bytes::len);
    let mut buf = BytesMut::with_capacity(arrived);
    buf.extend_from_slice(&first);
    let mut next = Some(second);
    while let Some(chunk) = next {
        let chunk = chunk?;
        if buf.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
        next = next_data(&mut body).await;
    }
    Ok(ReadBody {
        bytes: buf.freeze(),
        sliced: false,
    })
}

/// The whole body of a request, or the status the server answers instead (413: over
/// `limit`; 400: cut short or malformed).
pub async fn read_whole_body(
    headers: &HeaderMap,
    body: Incoming,
    limit: usize,
) -> Result<bytes::Bytes, u16> {
    match read_body(headers, body, limit).await {
        Ok(read) => Ok(read.bytes),
        Err(BodyError::TooLarge) => Err(413),
        Err(BodyError::Broken) => Err(400),
    }
}

fn respond(
    state: &AppState,
    py: Python<'_>,
    result: PyResult<Py<PyAny>>,
    head: bool,
) -> HttpResponse {
    match result {
        Ok(obj) => match state.responses.parse(obj.bind(py)) {
            Some(parts) => {
                #[cfg(feature = "ablation")]
                let parts = if state.ablate.zero_copy {
                    parts.copied()
                } else {
                    parts
                };
                parts.into_response(py, head, &state.submit, &state.log)
            }
            None => state.errors.internal(),
        },
        Err(err) => {
            state.log.exception(py, RAISED, &err);
            state.errors.internal()
        }
    }
}

/// Answer one request of a connection: [`handle`] under the panic guard (a panic is logged
/// and answered with the cached 500), with `connection: close` while the server stops.
pub async fn serve(
    state: Arc<AppState>,
    conn: std::rc::Rc<ConnState>,
    peer: Option<SocketAddr>,
    req: http::Request<Incoming>,
) -> HttpResponse {
    let raw_target = conn.next_raw_target();
    let (parts, body) = req.into_parts();
    let shared = Arc::clone(&state);
    let mut response = limits::guarded(
        handle(&state, &conn, &parts, body, peer, raw_target.as_deref()),
        move |panic| {
            let message = format!("bolt: a request handler panicked ({panic}); answered 500");
            Python::attach(|py| shared.log.error(py, &message));
            shared.errors.internal()
        },
    )
    .await;
    if conn.stopping() && response.status() != http::StatusCode::SWITCHING_PROTOCOLS {
        crate::response::close(&mut response);
    }
    response.body_mut().attach(&conn);
    response
}

async fn handle(
    state: &AppState,
    conn: &ConnState,
    parts: &Parts,
    body: Incoming,
    peer: Option<SocketAddr>,
    raw_target: Option<&str>,
) -> HttpResponse {
    let Some(log) = &state.access_log else {
        return dispatch(state, conn, parts, body, peer, raw_target).await;
    };
    let start = Instant::now();
    let response = dispatch(state, conn, parts, body, peer, raw_target).await;
    let resolved = state
        .proxies
        .as_ref()
        .and_then(|proxies| resolved_host(proxies, peer, &parts.headers));
    let client = Client {
        resolved: resolved.as_deref(),
        peer,
    };
    log.record(parts, &client, &response, start.elapsed());
    response
}

/// Whether a miss on `path` can only be bolt-api's plain 404 (the contract's `not_found`
/// rule): no `%` to decode, and neither the path nor its other trailing-slash form is routed
/// under any method (so no 405, no 308).
fn plain_miss(router: &Router, path: &str) -> bool {
    if path.contains('%') || router.routes_any(path) {
        return false;
    }
    match path.strip_suffix('/') {
        Some("") => true, // "/" has no other form
        Some(shorter) => !router.routes_any(shorter),
        None => !router.routes_any(&format!("{path}/")),
    }
}

/// A routing miss: bolt-api's fallback answers (404, 405 with `Allow`, a 308).
fn answer_miss(state: &AppState, request: Request, path: &str, head: bool) -> HttpResponse {
    let allowed = state.router.allowed(path);
    Python::attach(|py| {
        let allowed = if allowed.is_empty() {
            py.None()
        } else {
            match PyTuple::new(py, allowed) {
                Ok(t) => t.into_any().unbind(),
                Err(_) => return state.errors.internal(),
            }
        };
        let result = state.fallback.call1(py, (request, allowed));
        respond(state, py, result, head)
    })
}

/// A sync route: one GIL acquisition, with the parameters Rust converted (if any) handed
/// over as `request.bound`.
fn call_sync(
    state: &AppState,
    route: &Route,
    request: Request,
    converted: Option<Converted>,
    head: bool,
) -> HttpResponse {
    Python::attach(|py| {
        let request = match (converted, &route.params) {
            (Some(values), Some(fast)) => match fast.kwargs(py, values) {
                Ok(kwargs) => request.with_bound(kwargs.unbind()),
                Err(err) => {
                    let message = "handing over the converted parameters failed; \
                                   bolt-api binds the request instead";
                    state.log.exception(py, message, &err);
                    request
                }
            },
            _ => request,
        };
        let result = route.call.call1(py, (request,));
        respond(state, py, result, head)
    })
}

/// The request object of a request to a route needing `needs` (everything: `u32::MAX`).
pub fn new_request(
    state: &AppState,
    parts: &Parts,
    (path, query): (&str, &str),
    params: Option<Vec<(String, String)>>,
    needs: u32,
    body: bytes::Bytes,
    peer: Option<SocketAddr>,
) -> Request {
    let bits = state.needs;
    Request::new(
        parts.method.clone(),
        path.to_owned(),
        if needs & bits.query != 0 {
            query.to_owned()
        } else {
            String::new()
        },
        params,
        request_headers(&parts.headers, needs, bits),
        body,
        if needs & bits.client != 0 { peer } else { None },
    )
    .with_methods(&state.methods)
    .with_forwarded(match &state.proxies {
        Some(proxies) if needs & bits.client != 0 => {
            Some(Forwarded::capture(proxies, &parts.headers))
        }
        _ => None,
    })
}

/// A WebSocket request (`conn` is given only for those): the handshake when a WebSocket
/// route matches its path; `None` when none does (an ordinary request then, the gate reads
/// on).
async fn websocket(
    state: &AppState,
    conn: &ConnState,
    parts: &Parts,
    peer: Option<SocketAddr>,
    raw_target: Option<&str>,
) -> Option<HttpResponse> {
    let (path, query) = limits::target_parts(&parts.uri, raw_target);
    let Some(hit) = state.ws_router.at(&Method::GET, path) else {
        conn.release();
        return None;
    };
    let route = state.ws_routes.get(hit.index)?;
    let params = hit.params.map(|ps| {
        ps.into_iter()
            .map(|(k, v)| (k.to_owned(), percent_decode(v)))
            .collect::<Vec<_>>()
    });
    Some(crate::websocket::handshake(state, conn, parts, route, (path, query), params, peer).await)
}

async fn dispatch(
    state: &AppState,
    conn: &ConnState,
    parts: &Parts,
    body: Incoming,
    peer: Option<SocketAddr>,
    raw_target: Option<&str>,
) -> HttpResponse {
    let _in_flight = InFlight::new(&state.in_flight);
    if conn.is_websocket_request() {
        if let Some(response) = websocket(state, conn, parts, peer, raw_target).await {
            return response;
        }
    }
    let read = match read_body(&parts.headers, body, state.max_body).await {
        Ok(read) => read,
        Err(BodyError::TooLarge) => return state.errors.get(413, true),
        // the gate ended the body because it came too slowly (`body_timeout`, `body_min_rate`)
        Err(BodyError::Broken) if conn.body_timed_out() => return state.errors.get(408, true),
        Err(BodyError::Broken) => return state.errors.get(400, true),
    };
    let head = parts.method == Method::HEAD;
    let (path, query) = limits::target_parts(&parts.uri, raw_target);
    let hit = state.router.at(&parts.method, path);
    let (route, params) = if let Some(hit) = hit {
        let params = hit.params.map(|ps| {
            ps.into_iter()
                .map(|(k, v)| (k.to_owned(), percent_decode(v)))
                .collect::<Vec<_>>()
        });
        (state.routes.get(hit.index), params)
    } else {
        // bolt-api's plain 404, the same for every request: no request object, no GIL
        if let Some(not_found) = &state.not_found {
            if plain_miss(&state.router, path) {
                return if head {
                    not_found.head()
                } else {
                    not_found.response(false)
                };
            }
        }
        (None, None)
    };
    let needs = route.map_or(u32::MAX, |r| r.needs);
    #[cfg(feature = "ablation")]
    let (needs, params) = if state.ablate.lazy_parts {
        (u32::MAX, Some(params.unwrap_or_default()))
    } else {
        (needs, params)
    };
    // Typed path/query values converted here, without the GIL; `None`: bolt-api binds them.
    let converted = route
        .and_then(|r| r.params.as_ref())
        .and_then(|p| p.convert(params.as_deref(), query));
    // A sync call drops the body before the connection reads again; an async one may hold
    // it for long, and a slice would hold the whole read buffer with it: copied then.
    let body = if read.sliced && route.is_some_and(|r| r.is_async) {
        bytes::Bytes::copy_from_slice(&read.bytes)
    } else {
        read.bytes
    };
    let request = new_request(state, parts, (path, query), params, needs, body, peer);
    let Some(route) = route else {
        return answer_miss(state, request, path, head);
    };
    if !route.is_async {
        return call_sync(state, route, request, converted, head);
    }
    let (completion, receiver) = Completion::channel();
    let submitted = Python::attach(|py| -> PyResult<()> {
        let coro = route.call.call1(py, (request,))?;
        state.submit.call1(py, (coro, completion))?;
        Ok(())
    });
    if let Err(err) = submitted {
        let message = "starting an async route failed; answered 500";
        Python::attach(|py| state.log.exception(py, message, &err));
        return state.errors.internal();
    }
    match receiver.await {
        Ok(result) => Python::attach(|py| respond(state, py, result, head)),
        // the loop thread let go of the task unfinished (a forced stop)
        Err(_) => state.errors.internal(),
    }
}

#[cfg(test)]
mod tests {
    use super::plain_miss;
    use crate::router::Router;

    fn table(rows: &[(&str, &str)]) -> Router {
        let mut router = Router::default();
        for (index, (method, path)) in rows.iter().enumerate() {
            router.insert(method, path, index).expect("a valid route");
        }
        router
    }

    #[test]
    fn only_misses_bolt_api_would_answer_with_its_plain_404_are_plain() {
        let r = table(&[("GET", "/items/{id}"), ("POST", "/slashed/"), ("GET", "/")]);
        assert!(plain_miss(&r, "/nowhere"));
        assert!(plain_miss(&r, "/nowhere/"));
        assert!(plain_miss(&r, "/items/5/6"));
        // another method matches: a 405 (or an OPTIONS answer)
        assert!(!plain_miss(&r, "/items/5"));
        // the other trailing-slash form matches: maybe a 308
        assert!(!plain_miss(&r, "/items/5/"));
        assert!(!plain_miss(&r, "/slashed"));
        // percent-encoded: bolt-api decides on the decoded form
        assert!(!plain_miss(&r, "/nowhere%20"));
        // "/" is routed here; without a "/" route it has no other form to try
        assert!(!plain_miss(&r, "/"));
        assert!(plain_miss(&table(&[("GET", "/a")]), "/"));
    }
}
