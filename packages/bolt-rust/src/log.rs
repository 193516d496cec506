//! Engine errors, reported through Python's `logging` so they land where the application's
//! logging configuration (Django's `LOGGING`) sends them.
//!
//! The logger is handed over at start (`bolt_api.engine.ENGINE_LOGGER`, the one both engines
//! use). Only failures are logged — a handler that raised, a body that broke off midway, a
//! panic, a graceful stop that ran out of time — never a request that went well, so the GIL is
//! taken here only on those paths; the callers take it (`Python::attach`) when they do not
//! hold it already. Without any logging configuration, Python's last-resort handler prints
//! warnings and errors on stderr, which is where they went before.

use std::sync::Arc;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};

/// A Python `logging.Logger`, cheap to clone (and to clone without the GIL).
#[derive(Clone)]
pub struct Logger(Arc<Py<PyAny>>);

impl<'a, 'py> FromPyObject<'a, 'py> for Logger {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(Self(Arc::new(obj.to_owned().unbind())))
    }
}

impl Logger {
    /// `logger.warning(message)`.
    pub fn warning(&self, py: Python<'_>, message: &str) {
        self.log(py, intern!(py, "warning"), message, None);
    }

    /// `logger.error(message)`.
    pub fn error(&self, py: Python<'_>, message: &str) {
        self.log(py, intern!(py, "error"), message, None);
    }

    /// `logger.error(message, exc_info=...)`: the message and `err` with its traceback, as
    /// `logger.exception` writes them.
    pub fn exception(&self, py: Python<'_>, message: &str, err: &PyErr) {
        self.log(py, intern!(py, "error"), message, Some(err));
    }

    fn log(&self, py: Python<'_>, level: &Bound<'_, PyString>, message: &str, err: Option<&PyErr>) {
        let logger = self.0.bind(py);
        let kwargs = err.map(|err| exc_info(py, err));
        // the message as it is: `logging` formats with `%` only when given arguments
        let outcome = kwargs
            .transpose()
            .and_then(|kwargs| logger.call_method(level, (message,), kwargs.as_ref()));
        if let Err(failed) = outcome {
            // The logger itself failed (a handler's errors are `logging`'s own business):
            // the last place left to report it is `sys.unraisablehook`.
            failed.write_unraisable(py, Some(logger));
        }
    }
}

/// `{"exc_info": (type, value, traceback)}` for `err`.
fn exc_info<'py>(py: Python<'py>, err: &PyErr) -> PyResult<Bound<'py, PyDict>> {
    let traceback = err
        .traceback(py)
        .map_or_else(|| py.None().into_bound(py), Bound::into_any);
    let info = PyTuple::new(
        py,
        [
            err.get_type(py).into_any(),
            err.value(py).clone().into_any(),
            traceback,
        ],
    )?;
    let kwargs = PyDict::new(py);
    kwargs.set_item(intern!(py, "exc_info"), info)?;
    Ok(kwargs)
}
