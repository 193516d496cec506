//! The Actix server: socket set-up, body reading, routing and the call into Python.
//!
//! A sync route costs one GIL acquisition: build the request object, call the compiled
//! route callable, convert its tuple. Routing, percent-decoding and body reading happen
//! before the GIL is taken.
//!
//! Why one module of over 800 lines: it is the Actix glue — socket set-up, the app factory,
//! the request handler and the graceful stop share Actix's types and this file's state —
//! and it is replaced as a whole when the engine moves off the forked actix crates onto an
//! upstream HTTP library (the issue "The Rust engine on upstream crates"), which splits it
//! by concern (listener, connection, dispatch, drain).

use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::os::fd::{FromRawFd, RawFd};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_rt::signal::unix::{signal, Signal, SignalKind};
use actix_rt::System;
use actix_web::http::header::{HeaderMap, ACCEPT_ENCODING, CONTENT_LENGTH, HOST};
use actix_web::http::{KeepAlive, Method};
use actix_web::{web, App, HttpMessage, HttpRequest, HttpResponse, HttpServer};
use bytes::BytesMut;
use futures_util::StreamExt;
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::sync::Notify;

#[cfg(feature = "ablation")]
use crate::ablation::Ablation;
use crate::access_log::{self, AccessLog};
use crate::bridge::Completion;
use crate::contract::{BoltApi, CompiledApp, NeedsBits, RouteSpec, ServerConfig};
use crate::limits::{self, Limits};
use crate::log::Logger;
use crate::params::{Converted, Params};
use crate::request::{percent_decode, resolved_host, Forwarded, Request, RequestMethods};
use crate::response::{BodyTypes, Cached, ErrorResponses, ResponseReader, StaticHeaders};
use crate::router::Router;

/// Logged when bolt-api's callable raises although the contract says it never does.
const RAISED: &str = "a bolt-api callable raised instead of answering; answered 500";

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
fn request_headers(headers: &HeaderMap, needs: u32, bits: NeedsBits) -> Option<HeaderMap> {
    if needs & (bits.headers | bits.cookies) != 0 {
        Some(headers.clone())
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

struct Route {
    call: Py<PyAny>,
    is_async: bool,
    needs: u32,
    /// The contract's `ParamSpec` fast path (sync routes with plain path/query parameters):
    /// converted values reach bolt-api as `request.bound`.
    params: Option<Params>,
}

struct AppState {
    routes: Vec<Route>,
    router: Router,
    fallback: Py<PyAny>,
    submit: Py<PyAny>,
    errors: ErrorResponses,
    /// `CompiledApp.not_found`, rendered once: a plain miss answered without Python.
    not_found: Option<Cached>,
    /// Reads response tuples: `CompiledApp.static_headers` (converted once) and bolt-api's
    /// body classes.
    responses: ResponseReader,
    /// The `Needs` bits, as bolt-api numbers them.
    needs: NeedsBits,
    /// bolt-api's helpers behind `Request.get_full_path()`/`build_absolute_uri()`.
    methods: Arc<RequestMethods>,
    /// Where engine errors go (`crate::log`).
    log: Logger,
    max_body: usize,
    /// Request limits and the dispatcher's error responses (`crate::limits`).
    limits: Limits,
    /// Requests being handled right now; reported when a graceful stop runs out of time.
    in_flight: AtomicUsize,
    /// `None` when the access log is off (decided once, at start).
    access_log: Option<AccessLog>,
    /// `bolt_api.proxies.TrustedProxies`, or `None` when no proxy is trusted.
    proxies: Option<Arc<Py<PyAny>>>,
    /// The benchmark's switches (`crate::ablation`), in a build with that feature only.
    #[cfg(feature = "ablation")]
    ablate: Ablation,
}

/// Give this Actix worker thread a Python thread state for its whole life, so a request's
/// `Python::attach` only takes the GIL instead of creating and destroying a thread state.
fn pin_thread_state() {
    thread_local! {
        static PINNED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    PINNED.with(|pinned| {
        if !pinned.get() {
            pinned.set(true);
            // SAFETY: the interpreter is initialised (this extension runs inside it).
            // `PyGILState_Ensure` creates this thread's state and takes the GIL;
            // `PyEval_SaveThread` releases the GIL but keeps the state, and the counter
            // left at one stops later `PyGILState_Release` calls from deleting it.
            unsafe {
                let _ = pyo3::ffi::PyGILState_Ensure();
                let _ = pyo3::ffi::PyEval_SaveThread();
            }
        }
    });
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

async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<ReadBody, BodyError> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(BodyError::TooLarge);
    }
    // A body that arrives in one chunk (every small one: it came in the read that brought
    // the head) is handed over as it is, without a copy: a slice of the connection's read
    // buffer (`ReadBody::sliced`, see `dispatch`).
    let first = match payload.next().await {
        None => {
            return Ok(ReadBody {
                bytes: bytes::Bytes::new(),
                sliced: false,
            })
        }
        Some(chunk) => chunk.map_err(|_| BodyError::Broken)?,
    };
    if first.len() > limit {
        return Err(BodyError::TooLarge);
    }
    let Some(second) = payload.next().await else {
        return Ok(ReadBody {
            bytes: first,
            sliced: true,
        });
    };
    let mut buf = BytesMut::with_capacity(declared.unwrap_or(0).max(first.len()));
    buf.extend_from_slice(&first);
    let mut next = Some(second);
    while let Some(chunk) = next {
        let chunk = chunk.map_err(|_| BodyError::Broken)?;
        if buf.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
        next = payload.next().await;
    }
    Ok(ReadBody {
        bytes: buf.freeze(),
        sliced: false,
    })
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

/// [`handle`], with a panic logged and answered by the cached 500 (`limits::guarded`).
async fn guarded(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let shared = state.clone();
    limits::guarded(handle(req, payload, state), move |panic| {
        let message = format!("bolt: a request handler panicked ({panic}); answered 500");
        Python::attach(|py| shared.log.error(py, &message));
        shared.errors.internal()
    })
    .await
}

async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(log) = &state.access_log else {
        return dispatch(req, payload, state.clone()).await;
    };
    let start = Instant::now();
    let response = dispatch(req.clone(), payload, state.clone()).await;
    if let Some(proxies) = &state.proxies {
        if let Some(host) = resolved_host(proxies, req.peer_addr(), req.headers()) {
            req.extensions_mut().insert(access_log::Client(host));
        }
    }
    log.record(&req, &response, start.elapsed());
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

async fn dispatch(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let _in_flight = InFlight::new(&state.in_flight);
    let read = match read_body(&req, payload, state.max_body).await {
        Ok(read) => read,
        Err(BodyError::TooLarge) => return state.errors.get(413, true),
        Err(BodyError::Broken) => return state.errors.get(400, true),
    };
    let head = req.method() == Method::HEAD;
    let raw_target = limits::raw_target(&req);
    let (path, query) = limits::path_and_query(&req, raw_target.as_ref());
    let hit = state.router.at(req.method(), path);
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
    let bits = state.needs;
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
    let request = Request::new(
        req.method().clone(),
        path.to_owned(),
        if needs & bits.query != 0 {
            query.to_owned()
        } else {
            String::new()
        },
        params,
        request_headers(req.headers(), needs, bits),
        body,
        if needs & bits.client != 0 {
            req.peer_addr()
        } else {
            None
        },
    )
    .with_methods(&state.methods)
    .with_forwarded(match &state.proxies {
        Some(proxies) if needs & bits.client != 0 => {
            Some(Forwarded::capture(proxies, req.headers()))
        }
        _ => None,
    });
    let Some(route) = route else {
        return answer_miss(&state, request, path, head);
    };
    if !route.is_async {
        return call_sync(&state, route, request, converted, head);
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
        Ok(result) => Python::attach(|py| respond(&state, py, result, head)),
        // the loop thread let go of the task unfinished (a forced stop)
        Err(_) => state.errors.internal(),
    }
}

fn bind(host: &str, port: u16, backlog: i32, reuse_port: bool) -> PyResult<TcpListener> {
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
fn adopt(fd: RawFd) -> PyResult<TcpListener> {
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

/// The route table: the router, and per route what a request needs of it.
fn route_table(specs: Vec<RouteSpec>) -> PyResult<(Router, Vec<Route>)> {
    let mut router = Router::default();
    let mut table = Vec::with_capacity(specs.len());
    for (index, spec) in specs.into_iter().enumerate() {
        let RouteSpec {
            method,
            path,
            call,
            is_async,
            needs,
            params,
        } = spec;
        router
            .insert(&method, &path, index)
            .map_err(PyValueError::new_err)?;
        // bolt-api publishes `ParamSpec`s for sync routes only; decided here, not per request
        let params = params
            .filter(|_| !is_async)
            .map(Params::new)
            .transpose()
            .map_err(|e| PyValueError::new_err(format!("{method} {path}: {e}")))?;
        table.push(Route {
            call,
            is_async,
            needs,
            params,
        });
    }
    Ok((router, table))
}

/// The engine's own error responses: `render_error(status)` for every status of
/// `engine_error_statuses`, rendered once.
fn render_errors(app: &CompiledApp<'_>) -> PyResult<ErrorResponses> {
    let rendered = app
        .engine_error_statuses
        .iter()
        .map(|&status| Ok((status, app.render_error.call1((status,))?)))
        .collect::<PyResult<Vec<_>>>()?;
    ErrorResponses::new(&rendered)
}

/// The access log, decided here, once (off: nothing runs per request): to `file` by a Rust
/// thread (returned, to be joined), or to `logging` by the writer `start` starts, or off.
fn start_access_log_for(
    py: Python<'_>,
    start: Option<Py<PyAny>>,
    file: Option<&str>,
    log: &Logger,
) -> PyResult<(Option<AccessLog>, Option<std::thread::JoinHandle<()>>)> {
    match (start, file) {
        (_, Some(path)) => {
            let (access_log, reader) = access_log::channel(log.clone());
            let writer = access_log::spawn_file_writer(reader, path, log.clone()).map_err(|e| {
                PyOSError::new_err(format!("cannot open the access log {path:?}: {e}"))
            })?;
            Ok((Some(access_log), Some(writer)))
        }
        (Some(start), None) => {
            let (access_log, reader) = access_log::channel(log.clone());
            start.call1(py, (reader,))?;
            Ok((Some(access_log), None))
        }
        (None, None) => Ok((None, None)),
    }
}

/// A `StopHandle` subscribed to `ServerConfig.stop_token`, when there is one.
fn subscribe(
    py: Python<'_>,
    stop_token: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Arc<Notify>>> {
    let Some(token) = stop_token else {
        return Ok(None);
    };
    let handle = Bound::new(py, StopHandle::default())?;
    token.call_method1(
        intern!(py, "subscribe"),
        (handle.getattr(intern!(py, "stop"))?,),
    )?;
    Ok(Some(Arc::clone(&handle.get().notify)))
}

/// Serve `app` as `config` says until SIGINT/SIGTERM (or `config.stop_token`); returns after a
/// graceful stop.
///
/// `bolt_api` holds the bolt-api objects the engine uses (`crate::contract::BoltApi`);
/// `submit(coro, completion)` runs a coroutine on the asyncio loop thread; with
/// `start_access_log`, the access log goes through `logging`: it is called once with the
/// reader of the lines; `trusted_proxies` is the `bolt_api.proxies.TrustedProxies` of
/// `config.trusted_proxies`, `None` when that is empty.
///
/// The first SIGINT or SIGTERM closes the listener, closes idle keep-alive connections and
/// lets requests in flight finish (answered with `connection: close`) for up to
/// `graceful_timeout` seconds; then the rest are cut. A second SIGINT cuts them at once.
#[pyfunction]
#[pyo3(signature = (app, config, bolt_api, *, submit, start_access_log, trusted_proxies))]
pub fn serve(
    py: Python<'_>,
    app: CompiledApp<'_>,
    config: ServerConfig<'_>,
    bolt_api: BoltApi,
    submit: Py<PyAny>,
    start_access_log: Option<Py<PyAny>>,
    trusted_proxies: Option<Py<PyAny>>,
) -> PyResult<()> {
    // First, so the descriptor is owned (and closed) whatever fails next.
    let adopted = config.listen_fd.map(adopt).transpose()?;
    if config.workers == 0 {
        return Err(PyValueError::new_err("workers must be at least 1"));
    }
    let graceful = Duration::try_from_secs_f64(config.graceful_timeout).map_err(|_| {
        PyValueError::new_err(format!(
            "graceful_timeout must be >= 0, got {}",
            config.graceful_timeout
        ))
    })?;
    let errors = render_errors(&app)?;
    let CompiledApp {
        routes: specs,
        fallback,
        static_headers,
        not_found,
        ..
    } = app;
    let (router, table) = route_table(specs)?;
    let log = bolt_api.logger;
    let (access_log, file_writer) = start_access_log_for(
        py,
        start_access_log,
        config.access_log_file.as_deref(),
        &log,
    )?;
    let not_found = not_found
        .map(|obj| {
            Cached::render(&obj).ok_or_else(|| {
                PyValueError::new_err("not_found is not a valid (status, headers, bytes)")
            })
        })
        .transpose()?;
    let responses = ResponseReader::new(
        StaticHeaders::new(static_headers)?,
        BodyTypes {
            stream: bolt_api.stream_body,
            file: bolt_api.file_body,
        },
    );
    let limits = Limits::new(
        config.header_timeout,
        config.max_uri_size,
        config.max_header_size,
        config.max_header_count,
        config.max_body_size,
        &errors,
    )?;
    let stop_notify = subscribe(py, config.stop_token.as_ref())?;
    let state = web::Data::new(AppState {
        routes: table,
        router,
        fallback,
        submit,
        errors,
        not_found,
        responses,
        needs: bolt_api.needs,
        methods: Arc::new(RequestMethods {
            get_full_path: bolt_api.get_full_path,
            build_absolute_uri: bolt_api.build_absolute_uri,
            user: bolt_api.request_user,
            auser: bolt_api.arequest_user,
            meta: bolt_api.request_meta,
        }),
        log,
        max_body: config.max_body_size,
        limits,
        in_flight: AtomicUsize::new(0),
        access_log,
        proxies: trusted_proxies.map(Arc::new),
        #[cfg(feature = "ablation")]
        ablate: Ablation::from_env(),
    });
    let listener = match adopted {
        Some(listener) => listener,
        None => bind(&config.host, config.port, config.backlog, config.reuse_port)?,
    };
    let keep_alive = if config.keep_alive > 0.0 {
        KeepAlive::Timeout(Duration::try_from_secs_f64(config.keep_alive).map_err(|_| {
            PyValueError::new_err(format!("keep_alive is too large: {}", config.keep_alive))
        })?)
    } else {
        KeepAlive::Disabled
    };
    let serving = Serving {
        workers: config.workers,
        keep_alive,
        graceful,
        on_ready: config.on_ready,
        handle_signals: config.handle_signals,
        stop_notify,
    };
    py.detach(move || {
        let served = run(state, listener, serving);
        // The server (and with it the log's sender) is gone: the writer ends after the
        // last line.
        if let Some(writer) = file_writer {
            let _ = writer.join();
        }
        served
    })
}

fn server_error(err: std::io::Error) -> PyErr {
    PyOSError::new_err(format!("server error: {err}"))
}

/// Asks a running `serve` to stop gracefully, from another thread: `serve` subscribes one to
/// `ServerConfig.stop_token` (the test client's way to stop it).
#[pyclass(frozen, module = "bolt_rust._bolt")]
#[derive(Default)]
pub struct StopHandle {
    notify: Arc<Notify>,
}

#[pymethods]
impl StopHandle {
    /// Start the graceful stop (a stored permit if the server is not waiting yet).
    fn stop(&self) {
        self.notify.notify_one();
    }
}

/// Waits for `signal` when signals are handled, forever otherwise.
async fn next_signal(signal: &mut Option<Signal>) {
    match signal {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}

/// Waits for the stop handle, forever when there is none.
async fn stop_requested(notify: Option<&Notify>) {
    match notify {
        Some(n) => n.notified().await,
        None => std::future::pending::<()>().await,
    }
}

/// How [`run`] serves, from `ServerConfig` (checked and converted).
struct Serving {
    workers: usize,
    keep_alive: KeepAlive,
    graceful: Duration,
    on_ready: Option<Py<PyAny>>,
    handle_signals: bool,
    stop_notify: Option<Arc<Notify>>,
}

fn run(state: web::Data<AppState>, listener: TcpListener, serving: Serving) -> PyResult<()> {
    let Serving {
        workers,
        keep_alive,
        graceful,
        on_ready,
        handle_signals,
        stop_notify,
    } = serving;
    let watched = state.clone();
    let local = listener.local_addr()?;
    System::new().block_on(async move {
        // Our own signal handling instead of Actix's: SIGINT stops gracefully too (Actix
        // would drop every connection), a second SIGINT stops at once, and the graceful
        // timeout is exact, not rounded up to Actix's whole seconds.
        let (mut sigterm, mut sigint) = if handle_signals {
            (
                Some(signal(SignalKind::terminate()).map_err(server_error)?),
                Some(signal(SignalKind::interrupt()).map_err(server_error)?),
            )
        } else {
            (None, None)
        };
        #[cfg(feature = "ablation")]
        let pin = !state.ablate.pin_thread;
        #[cfg(not(feature = "ablation"))]
        let pin = true;
        let policy = state.limits.policy.clone();
        let header_timeout = state.limits.header_timeout;
        let server = HttpServer::new(move || {
            if pin {
                pin_thread_state();
            }
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(usize::MAX))
                .default_service(web::to(guarded))
        })
        .workers(workers)
        .keep_alive(keep_alive)
        // A request head must arrive in full within it (408), for every request of a
        // connection (patched actix-http); 0 disables it.
        .client_request_timeout(header_timeout)
        // Our limits and error responses for what the h1 dispatcher answers itself.
        .on_connect(move |_, extensions| {
            extensions.insert(policy.clone());
        })
        .tcp_nodelay(true)
        .disable_signals()
        // A backstop only: the timer below cuts the stop at `graceful` itself.
        .shutdown_timeout(graceful.as_secs().saturating_add(5))
        .listen(listener)
        .map_err(server_error)?
        .run();
        // Ready only now that a signal finds its handler: a supervisor may stop us at once.
        // (The server starts when first polled, below; connections wait in the backlog.)
        if let Some(callback) = on_ready {
            Python::attach(|py| callback.call1(py, (local.ip().to_string(), local.port())))?;
        }
        let handle = server.handle();
        let mut server = pin!(server);
        tokio::select! {
            result = &mut server => return result.map_err(server_error),
            () = next_signal(&mut sigterm) => {}
            () = next_signal(&mut sigint) => {}
            () = stop_requested(stop_notify.as_deref()) => {}
        }
        // Stop accepting (the listener closes), close idle connections, let requests in
        // flight finish with `connection: close`.
        actix_rt::spawn(handle.stop(true));
        tokio::select! {
            result = &mut server => return result.map_err(server_error),
            () = actix_rt::time::sleep(graceful) => {
                let cut = watched.in_flight.load(Ordering::Relaxed);
                if cut > 0 {
                    let message = format!(
                        "bolt: graceful timeout ({}s) expired; cutting {cut} request(s) in flight",
                        graceful.as_secs_f64()
                    );
                    Python::attach(|py| watched.log.warning(py, &message));
                }
            }
            () = next_signal(&mut sigint) => {
                Python::attach(|py| watched.log.warning(py, "bolt: second SIGINT; stopping now"));
            }
        }
        // Forced: stopping the worker arbiters drops their connections.
        System::current().stop();
        let _ = actix_rt::time::timeout(Duration::from_secs(2), &mut server).await;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::{plain_miss, Router};

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
