//! The request object handed to bolt-api: a frozen pyclass that parses lazily.
//!
//! Construction only moves Rust values in (no Python objects are made). Each part —
//! decoded path, headers, query, cookies, body bytes — becomes a Python object on first
//! access and is cached, so a handler pays only for what it reads. Parts a route does not
//! need (`Needs` flags) are not even copied in; they read as empty.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::HeaderMap;
use http::Method;
use percent_encoding::percent_decode_str;
use pyo3::exceptions::PyRuntimeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use pyo3::IntoPyObjectExt;

/// One HTTP request, as bolt-api's `Request` protocol describes it.
#[pyclass(frozen, module = "bolt_rust._bolt", name = "Request")]
pub struct Request {
    method: Method,
    raw_path: String,
    query_string: String,
    params: Option<Vec<(String, String)>>,
    headers: Option<HeaderMap>,
    body: Bytes,
    client: Option<SocketAddr>,
    /// Set only when trusted proxies are configured (and the route reads the client).
    forwarded: Option<Forwarded>,
    client_cache: PyOnceLock<Py<PyAny>>,
    scheme_cache: PyOnceLock<Py<PyAny>>,
    path_cache: PyOnceLock<Py<PyString>>,
    params_cache: PyOnceLock<Py<PyDict>>,
    headers_cache: PyOnceLock<Py<PyDict>>,
    query_cache: PyOnceLock<Py<PyDict>>,
    query_multi_cache: PyOnceLock<Py<PyDict>>,
    cookies_cache: PyOnceLock<Py<PyDict>>,
    body_cache: PyOnceLock<Py<PyBytes>>,
    state: PyOnceLock<Py<PyDict>>,
    /// The route's parameters converted before the GIL was taken (`crate::params`).
    bound: Option<Py<PyDict>>,
    /// bolt-api's Django-style helpers, from the server that made this request.
    methods: Option<Arc<RequestMethods>>,
}

/// bolt-api's `get_full_path`, `build_absolute_uri`, `request_user`, `arequest_user` and
/// `request_meta` (`bolt_api.engine`), handed over at start: the request's methods of those
/// names (and `user`/`auser()`/`META`) call them, so the rules stay bolt-api's.
pub struct RequestMethods {
    pub get_full_path: Py<PyAny>,
    pub build_absolute_uri: Py<PyAny>,
    pub user: Py<PyAny>,
    pub auser: Py<PyAny>,
    pub meta: Py<PyAny>,
}

/// What resolving the client and scheme behind a trusted proxy needs: the server's
/// `bolt_api.proxies.TrustedProxies` and the two headers, captured when the request arrives
/// (so that it works for routes that do not read headers too).
pub struct Forwarded {
    proxies: Arc<Py<PyAny>>,
    for_header: Option<String>,
    proto_header: Option<String>,
}

impl Forwarded {
    /// Capture `X-Forwarded-For`/`-Proto` (repeats joined with `", "`, like `headers`).
    pub fn capture(proxies: &Arc<Py<PyAny>>, headers: &HeaderMap) -> Self {
        Self {
            proxies: Arc::clone(proxies),
            for_header: joined(headers, "x-forwarded-for"),
            proto_header: joined(headers, "x-forwarded-proto"),
        }
    }
}

/// Every value of header `name` as latin-1 text joined with `", "`; `None` when absent.
fn joined(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut values = headers.get_all(name).iter().map(|v| latin1(v.as_bytes()));
    let first = values.next()?;
    Some(values.fold(first, |acc, v| format!("{acc}, {v}")))
}

/// The client host as bolt-api resolves it behind `proxies` (for the access log), taking the
/// GIL; `None` when unknown or when the lookup fails.
pub fn resolved_host(
    proxies: &Py<PyAny>,
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
) -> Option<String> {
    let peer = peer.map(|a| (a.ip().to_string(), a.port()));
    let forwarded_for = joined(headers, "x-forwarded-for");
    Python::attach(|py| {
        let client = proxies
            .bind(py)
            .call_method1(intern!(py, "client"), (peer, forwarded_for))
            .ok()?;
        client
            .extract::<Option<(String, u16)>>()
            .ok()
            .flatten()
            .map(|(host, _)| host)
    })
}

/// Percent-decode a path or parameter: UTF-8, invalid bytes replaced, `+` kept.
pub fn percent_decode(raw: &str) -> String {
    percent_decode_str(raw).decode_utf8_lossy().into_owned()
}

/// Header bytes as text, one char per byte (latin-1), like the Python engine.
fn latin1(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) if s.is_ascii() => s.to_owned(),
        _ => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

impl Request {
    /// Build a request from the parts the route needs.
    pub fn new(
        method: Method,
        raw_path: String,
        query_string: String,
        params: Option<Vec<(String, String)>>,
        headers: Option<HeaderMap>,
        body: Bytes,
        client: Option<SocketAddr>,
    ) -> Self {
        Self {
            method,
            raw_path,
            query_string,
            params,
            headers,
            body,
            client,
            forwarded: None,
            client_cache: PyOnceLock::new(),
            scheme_cache: PyOnceLock::new(),
            path_cache: PyOnceLock::new(),
            params_cache: PyOnceLock::new(),
            headers_cache: PyOnceLock::new(),
            query_cache: PyOnceLock::new(),
            query_multi_cache: PyOnceLock::new(),
            cookies_cache: PyOnceLock::new(),
            body_cache: PyOnceLock::new(),
            state: PyOnceLock::new(),
            bound: None,
            methods: None,
        }
    }

    /// Give the request bolt-api's helpers behind `get_full_path()` and
    /// `build_absolute_uri()` (a server always does; without them those methods raise).
    pub fn with_methods(mut self, methods: &Arc<RequestMethods>) -> Self {
        self.methods = Some(Arc::clone(methods));
        self
    }

    /// Hand over the route's parameters, already converted (`request.bound`).
    pub fn with_bound(mut self, kwargs: Py<PyDict>) -> Self {
        self.bound = Some(kwargs);
        self
    }

    /// Resolve `client` and `scheme` through trusted proxies (`None`: not configured).
    pub fn with_forwarded(mut self, forwarded: Option<Forwarded>) -> Self {
        self.forwarded = forwarded;
        self
    }

    fn methods(&self) -> PyResult<&RequestMethods> {
        self.methods.as_deref().ok_or_else(|| {
            PyRuntimeError::new_err("this request was not made by a server: no bolt-api helpers")
        })
    }

    fn peer(&self) -> Option<(String, u16)> {
        self.client.map(|a| (a.ip().to_string(), a.port()))
    }

    fn header_dict(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let dict = PyDict::new(py);
        if let Some(map) = &self.headers {
            for (name, value) in map {
                let key = name.as_str();
                let text = latin1(value.as_bytes());
                match dict.get_item(key)? {
                    Some(existing) => {
                        let joined = format!("{}, {text}", existing.extract::<String>()?);
                        dict.set_item(key, joined)?;
                    }
                    None => dict.set_item(key, text)?,
                }
            }
        }
        Ok(dict.unbind())
    }
}

#[pymethods]
impl Request {
    /// Upper-case method.
    #[getter]
    fn method(&self) -> &str {
        self.method.as_str()
    }

    /// Percent-decoded path.
    #[getter]
    fn path(&self, py: Python<'_>) -> Py<PyString> {
        self.path_cache
            .get_or_init(py, || {
                PyString::new(py, &percent_decode(&self.raw_path)).unbind()
            })
            .clone_ref(py)
    }

    /// Raw query string (empty when absent).
    #[getter]
    fn query_string(&self) -> &str {
        &self.query_string
    }

    /// The route's parameters converted by this engine (`ParamSpec`), or `None`: bolt-api
    /// binds the request itself.
    #[getter]
    fn bound(&self, py: Python<'_>) -> Option<Py<PyDict>> {
        self.bound.as_ref().map(|d| d.clone_ref(py))
    }

    /// Decoded path parameters, or `None` for a route without any.
    #[getter]
    fn path_params(&self, py: Python<'_>) -> PyResult<Option<Py<PyDict>>> {
        let Some(params) = &self.params else {
            return Ok(None);
        };
        let dict = self.params_cache.get_or_try_init(py, || -> PyResult<_> {
            let dict = PyDict::new(py);
            for (k, v) in params {
                dict.set_item(k, v)?;
            }
            Ok(dict.unbind())
        })?;
        Ok(Some(dict.clone_ref(py)))
    }

    /// The request body.
    #[getter]
    fn body(&self, py: Python<'_>) -> Py<PyBytes> {
        self.body_cache
            .get_or_init(py, || PyBytes::new(py, &self.body).unbind())
            .clone_ref(py)
    }

    /// `(host, port)` of the client: the peer, or what a trusted proxy's `X-Forwarded-For`
    /// says (`bolt_api.proxies`, called once, on first access).
    #[getter]
    fn client(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let Some(fwd) = &self.forwarded else {
            return self.peer().into_py_any(py);
        };
        Ok(self
            .client_cache
            .get_or_try_init(py, || -> PyResult<_> {
                let args = (self.peer(), fwd.for_header.as_deref());
                Ok(fwd
                    .proxies
                    .bind(py)
                    .call_method1(intern!(py, "client"), args)?
                    .unbind())
            })?
            .clone_ref(py))
    }

    /// `"http"`, or `"https"` from a trusted proxy's `X-Forwarded-Proto` (`bolt_api.proxies`).
    #[getter]
    fn scheme(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let Some(fwd) = &self.forwarded else {
            return Ok(intern!(py, "http").clone().into_any().unbind());
        };
        Ok(self
            .scheme_cache
            .get_or_try_init(py, || -> PyResult<_> {
                let args = (self.peer(), fwd.proto_header.as_deref());
                Ok(fwd
                    .proxies
                    .bind(py)
                    .call_method1(intern!(py, "scheme"), args)?
                    .unbind())
            })?
            .clone_ref(py))
    }

    /// Lower-case header names to latin-1 values; repeats joined with `", "`.
    #[getter]
    fn headers(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        Ok(self
            .headers_cache
            .get_or_try_init(py, || self.header_dict(py))?
            .clone_ref(py))
    }

    /// `headers["accept-encoding"]` or `None`, without building the header dict (what
    /// compression reads for every large response).
    #[getter]
    fn accept_encoding(&self) -> Option<String> {
        self.headers
            .as_ref()
            .and_then(|map| joined(map, "accept-encoding"))
    }

    /// `headers["host"]` or `None`, without building the header dict (what the
    /// allowed-hosts check reads for every request).
    #[getter]
    fn host(&self) -> Option<String> {
        self.headers.as_ref().and_then(|map| joined(map, "host"))
    }

    /// Query parameters; the last repeat wins.
    #[getter]
    fn query(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        Ok(self
            .query_cache
            .get_or_try_init(py, || -> PyResult<_> {
                let dict = PyDict::new(py);
                for (k, v) in form_urlencoded::parse(self.query_string.as_bytes()) {
                    dict.set_item(k.as_ref(), v.as_ref())?;
                }
                Ok(dict.unbind())
            })?
            .clone_ref(py))
    }

    /// Query parameters with every value.
    #[getter]
    fn query_multi(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        Ok(self
            .query_multi_cache
            .get_or_try_init(py, || -> PyResult<_> {
                let dict = PyDict::new(py);
                for (k, v) in form_urlencoded::parse(self.query_string.as_bytes()) {
                    if let Some(list) = dict.get_item(k.as_ref())? {
                        list.cast::<PyList>()?.append(v.as_ref())?;
                    } else {
                        dict.set_item(k.as_ref(), PyList::new(py, [v.as_ref()])?)?;
                    }
                }
                Ok(dict.unbind())
            })?
            .clone_ref(py))
    }

    /// Cookies from the `Cookie` header.
    #[getter]
    fn cookies(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        Ok(self
            .cookies_cache
            .get_or_try_init(py, || -> PyResult<_> {
                let dict = PyDict::new(py);
                let Some(map) = &self.headers else {
                    return Ok(dict.unbind());
                };
                let joined = map
                    .get_all("cookie")
                    .iter()
                    .map(|v| latin1(v.as_bytes()))
                    .collect::<Vec<_>>()
                    .join(", ");
                for part in joined.split(';') {
                    let (key, value) = part.split_once('=').unwrap_or(("", part));
                    let (key, value) = (key.trim(), value.trim());
                    if !(key.is_empty() && value.is_empty()) {
                        dict.set_item(key, value)?;
                    }
                }
                Ok(dict.unbind())
            })?
            .clone_ref(py))
    }

    /// A per-request dict, created on first use.
    #[getter]
    fn state(&self, py: Python<'_>) -> Py<PyDict> {
        self.state
            .get_or_init(py, || PyDict::new(py).unbind())
            .clone_ref(py)
    }

    /// The path and query string, like Django's (`bolt_api.engine.get_full_path`).
    fn get_full_path<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.get()
            .methods()?
            .get_full_path
            .bind(slf.py())
            .call1((slf,))
    }

    /// An absolute URL for `location` or this request (`bolt_api.engine.build_absolute_uri`).
    #[pyo3(signature = (location=None))]
    fn build_absolute_uri<'py>(
        slf: &Bound<'py, Self>,
        location: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        slf.get()
            .methods()?
            .build_absolute_uri
            .bind(slf.py())
            .call1((slf, location))
    }

    /// The Django user the request was authenticated as, lazily (`bolt_api.engine.request_user`).
    #[getter]
    fn user<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.get().methods()?.user.bind(slf.py()).call1((slf,))
    }

    /// A coroutine giving `user` without blocking the event loop (`bolt_api.engine.arequest_user`).
    fn auser<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.get().methods()?.auser.bind(slf.py()).call1((slf,))
    }

    /// The request as Django's `HttpRequest.META` gives it, built on first use
    /// (`bolt_api.engine.request_meta`).
    #[getter]
    #[allow(non_snake_case)]
    fn META<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.get().methods()?.meta.bind(slf.py()).call1((slf,))
    }

    fn __repr__(&self) -> String {
        format!("<Request {} {}>", self.method, self.raw_path)
    }
}
