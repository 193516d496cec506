//! The access log: decided once at start-up, formatted in Rust, written by Python off the
//! request path.
//!
//! With the log off nothing here runs. With it on, each response adds one formatted line to
//! a bounded channel (never blocking a worker: when the channel is full the line is dropped
//! and counted); a Python thread drains it in batches into `logging` (logger
//! `django.server`, django-bolt's) — or, with `access_log_file`, a Rust thread appends the
//! lines to that file (or standard output) with one write per batch and no Python at all. The line is the combined log format plus the duration:
//! `client - - [time] "METHOD target HTTP/1.1" status size "referer" "user-agent" 1.234ms`,
//! with control characters, quotes and backslashes escaped as `\xHH`.

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use std::net::SocketAddr;

use http::header::{HeaderValue, REFERER, USER_AGENT};
use http::request::Parts;
use pyo3::prelude::*;

use crate::log::Logger;
use crate::response::HttpResponse;

/// Lines buffered between the workers and the writer: room for [`INTERVAL`] at well over
/// 100,000 requests/s.
const CAPACITY: usize = 65_536;
/// Lines handed to Python per drain call at most.
const BATCH: usize = 4096;

/// Who sent a request: the client as resolved behind a trusted proxy when there is one
/// (the line shows it instead of the TCP peer), else the peer.
pub struct Client<'a> {
    pub resolved: Option<&'a str>,
    pub peer: Option<SocketAddr>,
}

/// The writing side, held by the server.
pub struct AccessLog {
    tx: SyncSender<String>,
    dropped: AtomicU64,
    /// The engine logger, told when lines are dropped.
    log: Logger,
}

/// The reading side, handed to Python.
#[pyclass(frozen, module = "bolt_rust._bolt")]
pub struct AccessLogReader {
    rx: Mutex<Receiver<String>>,
}

/// A new access log and its reader; `log` hears of lines dropped.
pub fn channel(log: Logger) -> (AccessLog, AccessLogReader) {
    let (tx, rx) = sync_channel(CAPACITY);
    (
        AccessLog {
            tx,
            dropped: AtomicU64::new(0),
            log,
        },
        AccessLogReader { rx: Mutex::new(rx) },
    )
}

#[pymethods]
impl AccessLogReader {
    /// Wait up to `timeout` seconds for lines; `None` once the server is gone.
    fn drain(&self, py: Python<'_>, timeout: f64) -> Option<Vec<String>> {
        let wait = Duration::try_from_secs_f64(timeout).unwrap_or(Duration::ZERO);
        py.detach(|| self.next_batch(wait))
    }
}

/// How long a writer sleeps when the channel had little in it: lines are picked up in
/// batches, so a busy server never wakes the writer once per request.
const INTERVAL: Duration = Duration::from_millis(50);

impl AccessLogReader {
    /// Up to `max` lines already queued, without waiting, and whether every sender is gone
    /// (the server has stopped).
    fn take(&self, max: usize) -> (Vec<String>, bool) {
        let rx = match self.rx.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut lines = Vec::new();
        while lines.len() < max {
            match rx.try_recv() {
                Ok(line) => lines.push(line),
                Err(TryRecvError::Empty) => return (lines, false),
                Err(TryRecvError::Disconnected) => return (lines, true),
            }
        }
        (lines, false)
    }

    /// Lines, waiting up to `wait` (in [`INTERVAL`] steps) when none are queued; `None` once
    /// the server is gone and every line was taken.
    fn next_batch(&self, wait: Duration) -> Option<Vec<String>> {
        let deadline = Instant::now() + wait;
        loop {
            let (lines, gone) = self.take(BATCH);
            if !lines.is_empty() {
                return Some(lines);
            }
            if gone {
                return None;
            }
            let now = Instant::now();
            if now >= deadline {
                return Some(lines);
            }
            std::thread::sleep(INTERVAL.min(deadline - now));
        }
    }
}

/// Append the lines to `path` (`-`: standard output) from a thread of its own, one write
/// per batch; the thread ends once the server is gone and every line is written. A failed
/// write is reported to `log` (the only time this thread takes the GIL).
pub fn spawn_file_writer(
    reader: AccessLogReader,
    path: &str,
    log: Logger,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let mut out: Box<dyn Write + Send> = if path == "-" {
        Box::new(std::io::stdout())
    } else {
        Box::new(OpenOptions::new().create(true).append(true).open(path)?)
    };
    std::thread::Builder::new()
        .name("bolt-access-log".into())
        .spawn(move || {
            let mut buf = Vec::with_capacity(256 * 1024);
            loop {
                let (lines, gone) = reader.take(CAPACITY);
                let full = lines.len() == CAPACITY;
                if !lines.is_empty() {
                    buf.clear();
                    for line in lines {
                        buf.extend_from_slice(line.as_bytes());
                        buf.push(b'\n');
                    }
                    if let Err(err) = out.write_all(&buf).and_then(|()| out.flush()) {
                        let message = format!("bolt: cannot write the access log: {err}");
                        Python::attach(|py| log.error(py, &message));
                    }
                }
                if gone {
                    return;
                }
                if !full {
                    std::thread::sleep(INTERVAL);
                }
            }
        })
}

impl AccessLog {
    /// Record one response (never blocks; a full channel drops the line, and the 1st, 2nd,
    /// 4th, 8th, ... drop is logged as a warning).
    pub fn record(
        &self,
        req: &Parts,
        client: &Client<'_>,
        response: &HttpResponse,
        elapsed: Duration,
    ) {
        let line = format_line(req, client, response, elapsed);
        if self.tx.try_send(line).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                let message = format!("bolt: access log behind; {dropped} line(s) dropped so far");
                Python::attach(|py| self.log.warning(py, &message));
            }
        }
    }
}

fn escape_into(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
}

fn header_or_dash(out: &mut String, value: Option<&[u8]>) {
    match value {
        Some(v) => escape_into(out, v),
        None => out.push('-'),
    }
}

/// `21/Nov/2026:07:10:29 +0000` for `now`.
fn clf_time(now: SystemTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let month_name = usize::try_from(month - 1)
        .ok()
        .and_then(|m| MONTHS.get(m))
        .unwrap_or(&"Jan");
    format!(
        "{day:02}/{month_name}/{year}:{:02}:{:02}:{:02} +0000",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// One combined-log line (see the module doc).
pub fn format_line(
    req: &Parts,
    client: &Client<'_>,
    response: &HttpResponse,
    elapsed: Duration,
) -> String {
    let mut out = String::with_capacity(160);
    match (client.resolved, client.peer) {
        (Some(host), _) => escape_into(&mut out, host.as_bytes()),
        (None, Some(addr)) => {
            let _ = write!(out, "{}", addr.ip());
        }
        (None, None) => out.push('-'),
    }
    let _ = write!(
        out,
        " - - [{}] \"{} ",
        clf_time(SystemTime::now()),
        req.method
    );
    let target = req
        .uri
        .path_and_query()
        .map_or(req.uri.path(), |pq| pq.as_str());
    escape_into(&mut out, target.as_bytes());
    let _ = write!(out, " {:?}\" {} ", req.version, response.status().as_u16());
    // a `HEAD` response has no body but the `content-length` of the one it stands for
    let declared = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared.or_else(|| response.body().logged_len()) {
        Some(n) => {
            let _ = write!(out, "{n}");
        }
        None => out.push('-'),
    }
    out.push_str(" \"");
    header_or_dash(
        &mut out,
        req.headers.get(REFERER).map(HeaderValue::as_bytes),
    );
    out.push_str("\" \"");
    header_or_dash(
        &mut out,
        req.headers.get(USER_AGENT).map(HeaderValue::as_bytes),
    );
    let _ = write!(out, "\" {:.3}ms", elapsed.as_secs_f64() * 1000.0);
    out
}
