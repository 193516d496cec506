//! Async handlers: coroutines run on a Python asyncio loop thread, results come back here.
//!
//! The worker thread makes the coroutine, hands it with a [`Completion`] to the Python-side
//! `submit(coro, completion)` (which schedules it on the loop thread) and awaits a oneshot
//! channel. When the task finishes, asyncio calls the completion with the task, which sends
//! `task.result()` back. Routes whose handlers never await never come here: bolt-api drives
//! them synchronously.

use std::sync::Mutex;

use pyo3::prelude::*;
use tokio::sync::oneshot;

/// What a finished task produced: its result, or the exception it raised.
pub type TaskResult = Result<Py<PyAny>, PyErr>;

/// A one-shot callback for `asyncio.Task.add_done_callback`.
#[pyclass(frozen, module = "bolt_rust._bolt")]
pub struct Completion {
    sender: Mutex<Option<oneshot::Sender<TaskResult>>>,
}

impl Completion {
    /// A completion and the receiver its result arrives on.
    pub fn channel() -> (Self, oneshot::Receiver<TaskResult>) {
        let (tx, rx) = oneshot::channel();
        (
            Self {
                sender: Mutex::new(Some(tx)),
            },
            rx,
        )
    }
}

#[pymethods]
impl Completion {
    /// Called by asyncio with the finished task (or a future).
    fn __call__(&self, task: &Bound<'_, PyAny>) {
        let result = task.call_method0("result").map(Bound::unbind);
        let sender = match self.sender.lock() {
            Ok(mut guard) => guard.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(sender) = sender {
            // The receiver is gone only when the client disconnected: nothing to do.
            let _ = sender.send(result);
        }
    }
}
