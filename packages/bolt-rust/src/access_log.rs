//! The access log: decided once at start-up, formatted in Rust, written by Python off the
//! request path.
//!
//! With the log off nothing here runs. With it on, each response adds one formatted line to
//! a bounded channel (never blocking a worker: when the channel is full the line is dropped
//! and counted); a Python thread drains it in batches into `logging` (logger
//! `django.server`, django-bolt's). The line is the combined log format plus the duration:
//! `client - - [time] "METHOD target HTTP/1.1" status size "referer" "user-agent" 1.234ms`,
//! with control characters, quotes and backslashes escaped as `\xHH`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::header::{HeaderValue, REFERER, USER_AGENT};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use pyo3::prelude::*;

/// Lines buffered between the workers and the Python writer.
const CAPACITY: usize = 8192;
/// Lines handed to Python per drain call at most.
const BATCH: usize = 512;

/// The client as resolved behind a trusted proxy, put in the request's extensions by the
/// server; the line shows it instead of the TCP peer.
pub struct Client(pub String);

/// The writing side, held by the server.
pub struct AccessLog {
    tx: SyncSender<String>,
    dropped: AtomicU64,
}

/// The reading side, handed to Python.
#[pyclass(frozen, module = "bolt_rust._bolt")]
pub struct AccessLogReader {
    rx: Mutex<Receiver<String>>,
}

/// A new access log and its reader.
pub fn channel() -> (AccessLog, AccessLogReader) {
    let (tx, rx) = sync_channel(CAPACITY);
    (
        AccessLog {
            tx,
            dropped: AtomicU64::new(0),
        },
        AccessLogReader { rx: Mutex::new(rx) },
    )
}

#[pymethods]
impl AccessLogReader {
    /// Wait up to `timeout` seconds for lines; `None` once the server is gone.
    fn drain(&self, py: Python<'_>, timeout: f64) -> Option<Vec<String>> {
        let wait = Duration::try_from_secs_f64(timeout).unwrap_or(Duration::ZERO);
        py.detach(|| {
            let rx = match self.rx.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            let mut lines = Vec::new();
            match rx.recv_timeout(wait) {
                Ok(line) => lines.push(line),
                Err(RecvTimeoutError::Timeout) => return Some(lines),
                Err(RecvTimeoutError::Disconnected) => return None,
            }
            while lines.len() < BATCH {
                match rx.try_recv() {
                    Ok(line) => lines.push(line),
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            }
            Some(lines)
        })
    }
}

impl AccessLog {
    /// Record one response (never blocks; a full channel drops the line).
    pub fn record(&self, req: &HttpRequest, response: &HttpResponse, elapsed: Duration) {
        let line = format_line(req, response, elapsed);
        if self.tx.try_send(line).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                eprintln!("bolt: access log behind; {dropped} line(s) dropped so far");
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
pub fn format_line(req: &HttpRequest, response: &HttpResponse, elapsed: Duration) -> String {
    let mut out = String::with_capacity(160);
    let resolved = req.extensions().get::<Client>().map(|c| c.0.clone());
    match (resolved, req.peer_addr()) {
        (Some(host), _) => escape_into(&mut out, host.as_bytes()),
        (None, Some(addr)) => {
            let _ = write!(out, "{}", addr.ip());
        }
        (None, None) => out.push('-'),
    }
    let _ = write!(out, " - - [{}] \"{} ", clf_time(SystemTime::now()), req.method());
    let target = req
        .uri()
        .path_and_query()
        .map_or(req.uri().path(), |pq| pq.as_str());
    escape_into(&mut out, target.as_bytes());
    let _ = write!(out, " {:?}\" {} ", req.version(), response.status().as_u16());
    match response.body().size() {
        BodySize::Sized(n) => {
            let _ = write!(out, "{n}");
        }
        BodySize::None | BodySize::Stream => out.push('-'),
    }
    out.push_str(" \"");
    header_or_dash(&mut out, req.headers().get(REFERER).map(HeaderValue::as_bytes));
    out.push_str("\" \"");
    header_or_dash(&mut out, req.headers().get(USER_AGENT).map(HeaderValue::as_bytes));
    let _ = write!(out, "\" {:.3}ms", elapsed.as_secs_f64() * 1000.0);
    out
}
