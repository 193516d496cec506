//! What bolt-api hands this engine at start (`bolt_api.engine`, `ENGINE_CONTRACT.md` §1), read
//! straight from the Python objects.
//!
//! `serve` receives the `CompiledApp` and the `ServerConfig` themselves and reads the fields it
//! uses by attribute; the defaults live in the `ServerConfig` dataclass only. The bolt-api
//! objects the engine works with — the body classes, the request helpers, the `Needs` bits, the
//! engine logger — come in one more object (`bolt_rust._engine.BoltApiParts`), so that no
//! bolt-api module is imported by name here and no constant of bolt-api is restated.

use std::os::fd::RawFd;

use pyo3::prelude::*;
use pyo3::types::PyType;

use crate::log::Logger;
use crate::params::ParamSpec;

/// `bolt_api.engine.CompiledApp`: the route table and the responses bolt-api renders.
#[derive(FromPyObject)]
pub struct CompiledApp<'py> {
    pub routes: Vec<RouteSpec>,
    pub fallback: Py<PyAny>,
    /// Called once per status of `engine_error_statuses`, at start.
    pub render_error: Bound<'py, PyAny>,
    pub engine_error_statuses: Vec<u16>,
    pub static_headers: Vec<Bound<'py, PyAny>>,
    pub not_found: Option<Bound<'py, PyAny>>,
}

/// `bolt_api.engine.RouteSpec` (its `name` is for diagnostics in Python only).
#[derive(FromPyObject)]
pub struct RouteSpec {
    pub method: String,
    pub path: String,
    pub call: Py<PyAny>,
    pub is_async: bool,
    /// The `Needs` flags, as their integer value (see [`NeedsBits`]).
    pub needs: u32,
    pub params: Option<Vec<ParamSpec>>,
    /// A WebSocket route (`ENGINE_CONTRACT.md` §8): `call` is a `WebSocketCall`.
    pub websocket: bool,
}

/// `bolt_api.engine.ServerConfig`: the fields this engine reads (`access_log` and
/// `trusted_proxies` reach it through the Python wrapper, as an access log writer and a
/// `TrustedProxies`).
#[derive(FromPyObject)]
pub struct ServerConfig<'py> {
    pub host: String,
    pub port: u16,
    pub workers: usize,
    pub backlog: i32,
    pub keep_alive: f64,
    pub max_body_size: usize,
    pub header_timeout: f64,
    pub body_timeout: f64,
    pub body_min_rate: u64,
    pub body_rate_grace: f64,
    pub max_uri_size: usize,
    pub max_header_size: usize,
    pub max_header_count: usize,
    pub reuse_port: bool,
    pub graceful_timeout: f64,
    pub listen_fd: Option<RawFd>,
    pub on_ready: Option<Py<PyAny>>,
    pub handle_signals: bool,
    /// A `StopToken`: the engine subscribes a `StopHandle` to it.
    pub stop_token: Option<Bound<'py, PyAny>>,
    pub access_log_file: Option<String>,
    pub ws_max_message_size: usize,
    pub ws_max_connections: usize,
    pub ws_heartbeat_interval: f64,
    pub ws_client_timeout: f64,
    pub ws_per_message_deflate: bool,
}

/// The bolt-api objects this engine uses (`bolt_rust._engine.BoltApiParts`).
#[derive(FromPyObject)]
pub struct BoltApi {
    /// `bolt_api.engine.StreamBody`.
    pub stream_body: Py<PyType>,
    /// `bolt_api.engine.FileBody`.
    pub file_body: Py<PyType>,
    /// `bolt_api.engine.get_full_path`, behind `Request.get_full_path()`.
    pub get_full_path: Py<PyAny>,
    /// `bolt_api.engine.build_absolute_uri`, behind `Request.build_absolute_uri()`.
    pub build_absolute_uri: Py<PyAny>,
    /// `bolt_api.engine.request_user`, behind `Request.user`.
    pub request_user: Py<PyAny>,
    /// `bolt_api.engine.arequest_user`, behind `Request.auser()`.
    pub arequest_user: Py<PyAny>,
    /// `bolt_api.engine.request_meta`, behind `Request.META`.
    pub request_meta: Py<PyAny>,
    /// `bolt_api.engine.Needs`.
    pub needs: NeedsBits,
    /// `logging.getLogger(bolt_api.engine.ENGINE_LOGGER)`.
    pub logger: Logger,
}

/// The `Needs` flags the engine acts on, with the values bolt-api gives them.
#[derive(Clone, Copy, FromPyObject)]
pub struct NeedsBits {
    #[pyo3(attribute("QUERY"))]
    pub query: u32,
    #[pyo3(attribute("HEADERS"))]
    pub headers: u32,
    #[pyo3(attribute("COOKIES"))]
    pub cookies: u32,
    #[pyo3(attribute("CLIENT"))]
    pub client: u32,
    #[pyo3(attribute("ACCEPT_ENCODING"))]
    pub accept_encoding: u32,
    #[pyo3(attribute("HOST"))]
    pub host: u32,
}
