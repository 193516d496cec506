//! Bolt's Rust engine: Actix Web moves the bytes, bolt-api (Python) decides what they mean.
//!
//! The Python package `bolt_rust` wraps this private module `bolt_rust._bolt`. Its one entry
//! point, [`server::serve`], takes the route table compiled by bolt-api and serves it until a
//! signal stops the server. See `packages/bolt-api/ENGINE_CONTRACT.md` for the contract.

use pyo3::prelude::*;

mod access_log;
mod body;
mod bridge;
mod limits;
mod params;
mod request;
mod response;
mod router;
mod server;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[pymodule]
fn _bolt(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<request::Request>()?;
    m.add_class::<bridge::Completion>()?;
    m.add_class::<server::StopHandle>()?;
    m.add_class::<access_log::AccessLogReader>()?;
    m.add_function(wrap_pyfunction!(server::serve, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
