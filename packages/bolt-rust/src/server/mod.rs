//! The server: start-up from bolt-api's objects, the worker threads, signals and the stop.
//!
//! Bolt owns the accept loop and the shutdown ([`accept`], [`drain`]); hyper runs HTTP/1.1
//! on each connection ([`conn`]) behind Bolt's gate ([`gate`]: the head policy, the timers);
//! `crate::dispatch` answers each request.

pub mod accept;
pub mod conn;
pub mod drain;
pub mod gate;

use std::net::TcpListener;
use std::rc::Rc;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::{mpsc, Notify};

#[cfg(feature = "ablation")]
use crate::ablation::Ablation;
use crate::access_log::{self, AccessLog};
use crate::contract::{BoltApi, CompiledApp, RouteSpec, ServerConfig};
use crate::dispatch::{pin_thread_state, AppState, Route};
use crate::limits::Limits;
use crate::log::Logger;
use crate::params::Params;
use crate::request::RequestMethods;
use crate::response::{
    BodyTypes, Cached, ErrorReplies, ErrorResponses, ResponseReader, StaticHeaders,
};
use crate::router::Router;
use drain::{Drain, Ended};
use gate::Timeouts;

/// The route tables: the HTTP routes and the WebSocket routes (`ENGINE_CONTRACT.md` §8: a
/// separate table), each a router and per route what a request needs of it.
type Tables = ((Router, Vec<Route>), (Router, Vec<Route>));

fn route_table(specs: Vec<RouteSpec>) -> PyResult<Tables> {
    let (mut router, mut ws_router) = (Router::default(), Router::default());
    let mut table = Vec::with_capacity(specs.len());
    let mut ws_table = Vec::new();
    for spec in specs {
        let RouteSpec {
            method,
            path,
            call,
            is_async,
            needs,
            params,
            websocket,
        } = spec;
        if websocket {
            if method != "GET" || !is_async {
                return Err(PyValueError::new_err(format!(
                    "the WebSocket route {path} must be a GET with is_async set"
                )));
            }
            ws_router
                .insert(&method, &path, ws_table.len())
                .map_err(PyValueError::new_err)?;
            ws_table.push(Route {
                call,
                is_async,
                needs,
                params: None,
            });
            continue;
        }
        router
            .insert(&method, &path, table.len())
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
    Ok(((router, table), (ws_router, ws_table)))
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
/// `config.trusted_proxies`, `None` when that is empty; `ws_loop` is the loop `submit` runs
/// coroutines on (WebSocket routes' `receive`/`send` futures belong to it).
///
/// The first SIGINT or SIGTERM closes the listener, closes idle keep-alive connections and
/// lets requests in flight finish (answered with `connection: close`) for up to
/// `graceful_timeout` seconds; then the rest are cut. A second SIGINT cuts them at once.
#[pyfunction]
#[allow(clippy::too_many_arguments, clippy::too_many_lines)] // the Python entry point
#[pyo3(signature = (app, config, bolt_api, *, submit, start_access_log, trusted_proxies, ws_loop))]
pub fn serve(
    py: Python<'_>,
    app: CompiledApp<'_>,
    config: ServerConfig<'_>,
    bolt_api: BoltApi,
    submit: Py<PyAny>,
    start_access_log: Option<Py<PyAny>>,
    trusted_proxies: Option<Py<PyAny>>,
    ws_loop: Py<PyAny>,
) -> PyResult<()> {
    // First, so the descriptor is owned (and closed) whatever fails next.
    let adopted = config.listen_fd.map(accept::adopt).transpose()?;
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
    let ((router, table), (ws_router, ws_table)) = route_table(specs)?;
    let websockets = crate::websocket::Settings::new(
        config.ws_max_message_size,
        config.ws_max_connections,
        config.ws_heartbeat_interval,
        config.ws_client_timeout,
        ws_loop,
    )?;
    if config.ws_per_message_deflate {
        // tungstenite has no RFC 7692: a setting this engine cannot honour is an error
        return Err(PyValueError::new_err(
            "ws_per_message_deflate: the rust engine cannot negotiate permessage-deflate \
             (its WebSocket crate, tungstenite, has no RFC 7692); leave it off or serve \
             with --engine python",
        ));
    }
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
    )?
    .with_body_clock(
        config.body_timeout,
        config.body_min_rate,
        config.body_rate_grace,
    )?;
    let stop_notify = subscribe(py, config.stop_token.as_ref())?;
    let state = Arc::new(AppState {
        routes: table,
        router,
        ws_routes: ws_table,
        ws_router,
        websockets,
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
        in_flight: AtomicUsize::new(0),
        access_log,
        proxies: trusted_proxies.map(Arc::new),
        #[cfg(feature = "ablation")]
        ablate: Ablation::from_env(),
    });
    let listener = match adopted {
        Some(listener) => listener,
        None => accept::bind(&config.host, config.port, config.backlog, config.reuse_port)?,
    };
    let keep_alive = if config.keep_alive > 0.0 {
        Some(Duration::try_from_secs_f64(config.keep_alive).map_err(|_| {
            PyValueError::new_err(format!("keep_alive is too large: {}", config.keep_alive))
        })?)
    } else {
        None
    };
    let serving = Serving {
        workers: config.workers,
        limits,
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
    limits: Limits,
    keep_alive: Option<Duration>,
    graceful: Duration,
    on_ready: Option<Py<PyAny>>,
    handle_signals: bool,
    stop_notify: Option<Arc<Notify>>,
}

/// Tells the main thread a worker has ended, however it ends (panics included).
struct Finished(mpsc::UnboundedSender<()>);

impl Drop for Finished {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// Start worker `index`: its thread, runtime and accept loop.
fn start_worker(
    index: usize,
    listener: TcpListener,
    state: &Arc<AppState>,
    serving: &Serving,
    drain: &Arc<Drain>,
    finished: mpsc::UnboundedSender<()>,
) -> std::io::Result<()> {
    #[cfg(feature = "ablation")]
    let pin = !state.ablate.pin_thread;
    #[cfg(not(feature = "ablation"))]
    let pin = true;
    let app = Arc::clone(state);
    let drain = Arc::clone(drain);
    let limits = serving.limits;
    let keep_alive = serving.keep_alive;
    std::thread::Builder::new()
        .name(format!("bolt-worker-{index}"))
        .spawn(move || {
            let _finished = Finished(finished);
            // dropped before `_finished` reports the end, after the runtime
            let _pinned = pin.then(pin_thread_state);
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let worker = Rc::new(conn::Worker {
                replies: Rc::new(ErrorReplies::new(&app.errors)),
                app,
                http: conn::http_builder(&limits.head, keep_alive.is_some()),
                limits: limits.head,
                timeouts: Timeouts {
                    header: limits.header_timeout,
                    idle: keep_alive,
                    body: limits.body,
                },
                drain: Arc::clone(&drain),
            });
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, accept::run(listener, worker, drain));
            // dropping the set drops the connections a cut left behind
        })?;
    Ok(())
}

/// Waits for `count` workers to report their end.
async fn all_finished(finished: &mut mpsc::UnboundedReceiver<()>, count: usize) {
    for _ in 0..count {
        if finished.recv().await.is_none() {
            return;
        }
    }
}

fn run(state: Arc<AppState>, listener: TcpListener, serving: Serving) -> PyResult<()> {
    let local = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(server_error)?;
    runtime.block_on(async move {
        // SIGINT stops gracefully too, a second SIGINT stops at once, and the graceful
        // timeout is exact
        let (mut sigterm, mut sigint) = if serving.handle_signals {
            (
                Some(signal(SignalKind::terminate()).map_err(server_error)?),
                Some(signal(SignalKind::interrupt()).map_err(server_error)?),
            )
        } else {
            (None, None)
        };
        let drain = Arc::new(Drain::default());
        let (tx, mut finished) = mpsc::unbounded_channel();
        for index in 0..serving.workers {
            let copy = listener.try_clone().map_err(server_error)?;
            if let Err(err) = start_worker(index, copy, &state, &serving, &drain, tx.clone()) {
                drain.stop();
                drain.cut();
                return Err(server_error(err));
            }
        }
        drop(tx);
        // the workers hold their own copies: this one closes now
        drop(listener);
        // Ready only now that a signal finds its handler: a supervisor may stop us at once.
        if let Some(callback) = &serving.on_ready {
            let ready =
                Python::attach(|py| callback.call1(py, (local.ip().to_string(), local.port())));
            if let Err(err) = ready {
                drain.stop();
                drain.cut();
                return Err(err);
            }
        }
        let workers = serving.workers;
        tokio::select! {
            () = all_finished(&mut finished, workers) => return Ok(()),
            () = next_signal(&mut sigterm) => {}
            () = next_signal(&mut sigint) => {}
            () = stop_requested(serving.stop_notify.as_deref()) => {}
        }
        // Stop accepting (the sockets close), close idle connections, let requests in
        // flight finish with `connection: close`.
        drain.stop();
        let graceful = serving.graceful;
        let ended = drain::until_drained(
            all_finished(&mut finished, workers),
            graceful,
            next_signal(&mut sigint),
        )
        .await;
        match ended {
            Ended::Drained => return Ok(()),
            Ended::TimedOut => {
                // open WebSockets are requests in flight too (their handlers still run)
                let cut = state.in_flight.load(std::sync::atomic::Ordering::Relaxed)
                    + state.websockets.open();
                if cut > 0 {
                    let message = drain::timeout_message(graceful, cut);
                    Python::attach(|py| state.log.warning(py, &message));
                }
            }
            Ended::Interrupted => {
                Python::attach(|py| state.log.warning(py, "bolt: second SIGINT; stopping now"));
            }
        }
        // Forced: the workers drop their connections (a worker busy in a sync handler
        // ends when the handler returns; it is not waited for past two seconds).
        drain.cut();
        let _ = tokio::time::timeout(Duration::from_secs(2), all_finished(&mut finished, workers))
            .await;
        Ok(())
    })
}
