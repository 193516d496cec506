//! Bolt patch: request limits, stricter request checks, and the responses the dispatcher sends
//! for the errors it detects itself.
//!
//! Bolt serves one API with two engines (this one and a pure-Python one built on llhttp) that
//! must answer every request identically, including malformed ones. The checks here make this
//! decoder agree with llhttp's strict mode and with Bolt's engine contract
//! (`packages/bolt-api/ENGINE_CONTRACT.md`, "Limits and hardening").
//!
//! An application opts in to its own limits and error responses by inserting a
//! [`ConnectionPolicy`] into each connection's extensions (`HttpServer::on_connect`). Without
//! one, the limits are upstream's (96 headers, 128 KiB of head) and error responses are empty.

use std::{fmt, sync::Arc};

use bytes::Bytes;
use http::{Method, StatusCode, Uri};

use super::decoder::MAX_BUFFER_SIZE;
use crate::{body::BoxBody, error::ParseError, Response};

/// Builds the response for an error the h1 dispatcher answers itself (a malformed request,
/// a head too large, a request head not received in time, ...).
pub trait ErrorResponder: Send + Sync + 'static {
    /// The full response for `status`; the dispatcher adds `connection: close`.
    fn error_response(&self, status: StatusCode) -> Response<BoxBody>;
}

/// Per-connection request limits and error responses (see the module documentation).
#[derive(Clone)]
pub struct ConnectionPolicy {
    /// Longest accepted request target, in bytes (414 beyond).
    pub max_uri_size: usize,
    /// Most bytes of header field names and values (values without surrounding whitespace)
    /// in one request head, and in one trailer section (431 beyond; 400 for trailers).
    pub max_header_size: usize,
    /// Most header fields in one request head, and in one trailer section.
    pub max_header_count: usize,
    /// Largest accepted `Content-Length` (413 beyond, before any of the body is read).
    pub max_body_size: u64,
    /// The responses for the errors the dispatcher answers itself.
    pub errors: Option<Arc<dyn ErrorResponder>>,
}

impl fmt::Debug for ConnectionPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionPolicy")
            .field("max_uri_size", &self.max_uri_size)
            .field("max_header_size", &self.max_header_size)
            .field("max_header_count", &self.max_header_count)
            .field("max_body_size", &self.max_body_size)
            .finish_non_exhaustive()
    }
}

impl ConnectionPolicy {
    pub(crate) fn limits(&self) -> Limits {
        Limits {
            max_uri: self.max_uri_size,
            max_header_size: self.max_header_size,
            max_header_count: self.max_header_count.max(1),
            max_body: self.max_body_size,
        }
    }

    /// The response for `status`: the application's, or an empty one.
    pub(crate) fn response(policy: Option<&Self>, status: StatusCode) -> Response<BoxBody> {
        match policy.and_then(|p| p.errors.as_ref()) {
            Some(errors) => errors.error_response(status),
            None => Response::with_body(status, BoxBody::new(())),
        }
    }
}

/// The limits the request decoder enforces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_uri: usize,
    pub(crate) max_header_size: usize,
    pub(crate) max_header_count: usize,
    pub(crate) max_body: u64,
}

impl Default for Limits {
    /// Upstream's: 96 headers and a 128 KiB head, nothing more specific.
    fn default() -> Self {
        Limits {
            max_uri: usize::MAX,
            max_header_size: usize::MAX,
            max_header_count: 96,
            max_body: u64::MAX,
        }
    }
}

impl Limits {
    /// Most bytes of an incomplete request head kept while waiting for the rest: enough for
    /// the longest accepted target and header fields, their separators and a little padding.
    pub(crate) fn partial_head(&self) -> usize {
        if self.max_header_size == usize::MAX {
            return MAX_BUFFER_SIZE;
        }
        self.max_uri
            .saturating_add(self.max_header_size)
            .saturating_add(self.max_header_count.saturating_mul(8))
            .saturating_add(1024)
    }
}

/// The methods llhttp accepts in HTTP requests; anything else is a 400.
const METHODS: [&str; 35] = [
    "DELETE", "GET", "HEAD", "POST", "PUT", "CONNECT", "OPTIONS", "TRACE", "COPY", "LOCK",
    "MKCOL", "MOVE", "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK", "BIND", "REBIND", "UNBIND",
    "ACL", "REPORT", "MKACTIVITY", "CHECKOUT", "MERGE", "M-SEARCH", "NOTIFY", "SUBSCRIBE",
    "UNSUBSCRIBE", "PATCH", "PURGE", "MKCALENDAR", "LINK", "UNLINK", "SOURCE", "QUERY",
];

/// `method` is one llhttp knows.
pub(crate) fn known_method(method: &str) -> bool {
    METHODS.contains(&method)
}

/// Whether `head` holds an LF not preceded by CR (a bare LF ends no line here).
pub(crate) fn has_bare_lf(head: &[u8]) -> bool {
    let mut prev = 0u8;
    for &b in head {
        if b == b'\n' && prev != b'\r' {
            return true;
        }
        prev = b;
    }
    false
}

/// The request target of an incomplete or malformed head, when its request line shows it:
/// everything after the method and its spaces, up to the next space or line end.
pub(crate) fn partial_target_len(src: &[u8]) -> usize {
    let line_end = src
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(src.len());
    let line = &src[..line_end];
    let Some(first_space) = line.iter().position(|&b| b == b' ') else {
        return 0;
    };
    let rest = &line[first_space..];
    let start = rest.iter().position(|&b| b != b' ').unwrap_or(rest.len());
    let target = &rest[start..];
    target.iter().position(|&b| b == b' ').unwrap_or(target.len())
}

/// The raw request target of an origin-form request whose target `http::Uri` refuses (it
/// holds `"`, `<`, `>`, `` ` ``, ...) but llhttp accepts; the handler reads path and query
/// from it instead of from the (percent-encoded) `Uri`.
#[derive(Debug, Clone)]
pub struct RawTarget(pub Bytes);

/// Parse the request target for `method` (RFC 9112 §3.2): origin-form (`/path?query`),
/// absolute-form (`scheme://authority/path`), or `*` for `OPTIONS`. `CONNECT` (authority-form)
/// is not implemented: 501.
pub(crate) fn parse_target(
    method: &Method,
    target: &str,
) -> Result<(Uri, Option<RawTarget>), ParseError> {
    if method == Method::CONNECT {
        return Err(ParseError::NotImplemented);
    }
    if target.starts_with('/') {
        if let Ok(uri) = Uri::try_from(target) {
            return Ok((uri, None));
        }
        // visible ASCII that `http` refuses: percent-encode it for the `Uri`, keep the raw
        // target for the application (llhttp accepts these bytes, so must we)
        if !target.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(ParseError::Header);
        }
        let raw = match target.find('#') {
            Some(fragment) => &target[..fragment],
            None => target,
        };
        let mut encoded = String::with_capacity(raw.len() + 16);
        for c in raw.chars() {
            match c {
                '"' | '<' | '>' | '`' | '{' | '}' | '|' | '\\' | '^' => {
                    encoded.push_str(&format!("%{:02X}", c as u32));
                }
                c => encoded.push(c),
            }
        }
        let uri = Uri::try_from(encoded.as_str())?;
        return Ok((uri, Some(RawTarget(Bytes::copy_from_slice(raw.as_bytes())))));
    }
    if target == "*" {
        return if method == Method::OPTIONS {
            Ok((Uri::try_from(target)?, None))
        } else {
            Err(ParseError::Header)
        };
    }
    if target.contains("://") {
        let uri = Uri::try_from(target)?;
        if uri.scheme().is_some() && uri.authority().is_some() {
            return Ok((uri, None));
        }
    }
    Err(ParseError::Header)
}

/// Check `Transfer-Encoding` (all its fields, in order, as one list): `chunked` must be the
/// last coding and appear once (400 otherwise); any other coding is not implemented (501).
/// Empty list elements are ignored, except that the list must end with `chunked`.
pub(crate) fn check_transfer_codings<'a>(
    values: impl Iterator<Item = &'a [u8]>,
) -> Result<(), ParseError> {
    let mut last: &[u8] = b"";
    let mut chunked_before_last = false;
    let mut unknown = false;
    let mut any = false;
    for value in values {
        for item in value.split(|&b| b == b',') {
            let item = item.trim_ascii();
            if any && last.eq_ignore_ascii_case(b"chunked") {
                chunked_before_last = true;
            } else if any && !last.is_empty() {
                unknown = true;
            }
            last = item;
            any = true;
        }
    }
    if !last.eq_ignore_ascii_case(b"chunked") || chunked_before_last {
        return Err(ParseError::Header);
    }
    if unknown {
        return Err(ParseError::NotImplemented);
    }
    Ok(())
}
