//! Streamed and file response bodies (`StreamBody`, `FileBody` of the engine contract).
//!
//! * A sync iterator is pulled on Tokio's blocking pool (it may block), one chunk per GIL
//!   acquisition, into a small channel; hyper writes from the channel.
//! * An async iterator is pulled on the asyncio loop thread: each `__anext__()` coroutine is
//!   submitted like an async handler and awaited here.
//! * An inline iterator (it never waits for I/O) is pulled on the worker thread itself.
//! * A file is read on the blocking pool in 64 KiB chunks; its bytes never enter Python.
//!
//! When the client goes away hyper drops the body: the sync pump sees the closed channel
//! and the async stream's guard submits `aclose()`, so the handler's generator runs its
//! `finally` either way. When the iterator raises, the error and its traceback go to the
//! engine logger (`crate::log`) and the body ends without its last chunk, so the client can
//! tell it was cut.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::stream::{self, Stream};
use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use tokio::sync::mpsc;
use tokio::task::spawn_blocking;

use crate::bridge::Completion;
use crate::log::Logger;

/// Bytes read from a file per chunk.
const FILE_CHUNK: usize = 64 * 1024;
/// Chunks buffered between a producer and hyper.
const CHANNEL: usize = 8;
/// What is logged when a body fails after its head was sent (the Python engine's words).
const BROKE_OFF: &str = "error while sending a response body; closing the connection";
/// What is logged when closing an iterator fails.
const CLOSE_FAILED: &str = "closing a response body's iterator failed";

/// A boxed stream of body chunks.
pub type ChunkStream = Pin<Box<dyn Stream<Item = Result<Bytes, io::Error>>>>;

fn broken(err: &PyErr) -> io::Error {
    io::Error::other(format!("response body failed: {err}"))
}

fn receiver_stream(rx: mpsc::Receiver<Result<Bytes, io::Error>>) -> ChunkStream {
    Box::pin(stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

fn close_sync(py: Python<'_>, chunks: &Py<PyAny>, log: &Logger) {
    if let Err(err) = chunks.call_method0(py, "close") {
        log.exception(py, CLOSE_FAILED, &err);
    }
}

/// The next chunk of a sync iterator: `None` at its end, an error (logged) when it failed.
fn next_chunk(
    py: Python<'_>,
    chunks: &Py<PyAny>,
    log: &Logger,
) -> Option<Result<Bytes, io::Error>> {
    match chunks.call_method0(py, pyo3::intern!(py, "__next__")) {
        Ok(obj) => Some(
            obj.extract::<PyBackedBytes>(py)
                .map(Bytes::from_owner)
                .map_err(|err| broken(&err.into())),
        ),
        Err(err) if err.is_instance_of::<PyStopIteration>(py) => None,
        Err(err) => {
            log.exception(py, BROKE_OFF, &err);
            Some(Err(broken(&err)))
        }
    }
}

/// Pull a sync iterator of `bytes` on the blocking pool. The thread keeps one Python thread
/// state for the whole stream (blocking-pool threads come and go, so none is pinned) and
/// lets go of the GIL only while it waits for room in the channel.
pub fn sync_stream(chunks: Py<PyAny>, log: Logger) -> ChunkStream {
    let (tx, rx) = mpsc::channel(CHANNEL);
    spawn_blocking(move || {
        Python::attach(|py| {
            // Ends when the iterator is exhausted or failed, or the client left: then the
            // generator is closed (its `finally` runs).
            while let Some(item) = next_chunk(py, &chunks, &log) {
                let failed = item.is_err();
                if py.detach(|| tx.blocking_send(item)).is_err() || failed {
                    break;
                }
            }
            close_sync(py, &chunks, &log);
        });
    });
    receiver_stream(rx)
}

/// Pull an inline iterator (`StreamBody.inline`: it never waits for I/O, e.g. an async
/// generator without `await` driven by bolt-api) right here on the worker thread, one chunk
/// per GIL acquisition, as hyper asks for them: no thread hop, no channel. (Empty chunks are
/// skipped by `ResBody`, as for every streamed body.)
pub fn inline_stream(chunks: Py<PyAny>, log: Logger) -> ChunkStream {
    Box::pin(InlineStream {
        chunks: Some(chunks),
        log,
    })
}

/// The iterator, until it is exhausted or failed (then closed); closed on drop otherwise.
struct InlineStream {
    chunks: Option<Py<PyAny>>,
    log: Logger,
}

impl Stream for InlineStream {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(chunks) = self.chunks.take() else {
            return Poll::Ready(None);
        };
        let item = Python::attach(|py| {
            let item = next_chunk(py, &chunks, &self.log);
            if !matches!(item, Some(Ok(_))) {
                close_sync(py, &chunks, &self.log); // exhausted or failed: run its `finally` now
            }
            item
        });
        if matches!(item, Some(Ok(_))) {
            self.chunks = Some(chunks);
        }
        Poll::Ready(item)
    }
}

impl Drop for InlineStream {
    fn drop(&mut self) {
        if let Some(chunks) = self.chunks.take() {
            Python::attach(|py| close_sync(py, &chunks, &self.log));
        }
    }
}

/// Closes an async iterator that was not exhausted, when the body is dropped.
struct AsyncGuard {
    chunks: Py<PyAny>,
    submit: Py<PyAny>,
    log: Logger,
    finished: bool,
}

impl AsyncGuard {
    /// The iterator is exhausted or failed: nothing to close on drop.
    fn finish(&mut self) {
        self.finished = true;
    }
}

impl Drop for AsyncGuard {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        Python::attach(|py| {
            let (completion, _ignored) = Completion::channel();
            let closed = self
                .chunks
                .call_method0(py, "aclose")
                .and_then(|coro| self.submit.call1(py, (coro, completion)));
            if let Err(err) = closed {
                self.log.exception(py, CLOSE_FAILED, &err);
            }
        });
    }
}

/// Pull an async iterator of `bytes` on the asyncio loop, one `__anext__` at a time.
pub fn async_stream(chunks: Py<PyAny>, submit: Py<PyAny>, log: Logger) -> ChunkStream {
    let guard = AsyncGuard {
        chunks,
        submit,
        log,
        finished: false,
    };
    Box::pin(stream::unfold(guard, |mut guard| async move {
        if guard.finished {
            return None;
        }
        let (completion, receiver) = Completion::channel();
        let submitted = Python::attach(|py| -> PyResult<()> {
            let coro = guard.chunks.call_method0(py, "__anext__")?;
            guard.submit.call1(py, (coro, completion))?;
            Ok(())
        });
        if let Err(err) = submitted {
            Python::attach(|py| guard.log.exception(py, BROKE_OFF, &err));
            return Some((Err(broken(&err)), guard));
        }
        let item = match receiver.await {
            Ok(Ok(obj)) => Python::attach(|py| match obj.extract::<PyBackedBytes>(py) {
                Ok(chunk) => Ok(Bytes::from_owner(chunk)),
                Err(err) => Err(broken(&err.into())),
            }),
            Ok(Err(err)) => {
                let done = Python::attach(|py| {
                    let done = err.is_instance_of::<PyStopAsyncIteration>(py);
                    if !done {
                        guard.log.exception(py, BROKE_OFF, &err);
                    }
                    done
                });
                guard.finish();
                if done {
                    return None;
                }
                Err(broken(&err))
            }
            Err(_) => Err(io::Error::other("the event loop dropped a stream chunk")),
        };
        Some((item, guard))
    }))
}

/// Read `length` bytes of `path` from `offset` on the blocking pool — none when the file
/// opened is not the one `identity` (`(st_dev, st_ino)`) names: bolt-api checked that one,
/// and the path may have been swapped since (a folder replaced by a symlink).
pub fn file_stream(
    path: String,
    offset: u64,
    length: u64,
    identity: Option<(u64, u64)>,
) -> ChunkStream {
    let (tx, rx) = mpsc::channel(CHANNEL);
    spawn_blocking(move || {
        let opened = File::open(&path).and_then(|mut f| {
            if let Some(expected) = identity {
                let meta = f.metadata()?;
                if (meta.dev(), meta.ino()) != expected {
                    return Err(io::Error::other(format!(
                        "{path} changed after it was checked"
                    )));
                }
            }
            f.seek(SeekFrom::Start(offset))?;
            Ok(f)
        });
        let mut file = match opened {
            Ok(f) => f,
            Err(err) => {
                let _ = tx.blocking_send(Err(err));
                return;
            }
        };
        let mut remaining = length;
        while remaining > 0 {
            let want = usize::try_from(remaining).map_or(FILE_CHUNK, |r| r.min(FILE_CHUNK));
            let mut buf = vec![0; want];
            let item = match file.read(&mut buf) {
                Ok(0) => Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("{path} ended {remaining} bytes early"),
                )),
                Ok(n) => {
                    buf.truncate(n);
                    remaining -= n as u64;
                    Ok(Bytes::from(buf))
                }
                Err(err) => Err(err),
            };
            let failed = item.is_err();
            if tx.blocking_send(item).is_err() || failed {
                return;
            }
        }
    });
    receiver_stream(rx)
}
