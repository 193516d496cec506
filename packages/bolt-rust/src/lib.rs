//! Bolt's Rust engine: hyper moves the bytes, bolt-api (Python) decides what they mean.
//!
//! The Python package `bolt_rust` wraps this private module `bolt_rust._bolt`. Its one entry
//! point, [`server::serve`], takes bolt-api's `CompiledApp` and `ServerConfig` (read in
//! [`contract`]) and serves the app until a signal stops the server; engine errors go to
//! Python's `logging` ([`log`]). See `packages/bolt-api/ENGINE_CONTRACT.md` for the contract.

use pyo3::prelude::*;

#[cfg(feature = "ablation")]
mod ablation;
mod access_log;
mod body;
mod bridge;
mod chunked;
mod contract;
mod dispatch;
mod head_policy;
mod limits;
mod log;
mod params;
mod request;
mod response;
mod router;
mod server;
mod target_form;
mod testing;
mod websocket;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[pymodule]
fn _bolt(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<request::Request>()?;
    m.add_class::<bridge::Completion>()?;
    m.add_class::<server::StopHandle>()?;
    m.add_class::<websocket::Channel>()?;
    m.add_class::<access_log::AccessLogReader>()?;
    m.add_function(wrap_pyfunction!(server::serve, m)?)?;
    testing::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
