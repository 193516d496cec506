//! Which request heads the Rust engine accepts, and how their bodies are framed.
//!
//! Bolt serves one API with two engines that must answer every request the same way,
//! malformed ones included (`ENGINE_CONTRACT.md` §6). The Python engine parses with llhttp in
//! its strict mode; hyper, which runs HTTP/1.1 here, is laxer in places (a bare LF, unknown
//! methods, a missing `Host`, `Transfer-Encoding` lists) and leaves the limits (414, 431, 413
//! by `Content-Length`) to the application. So the connection gate (`crate::server::gate`)
//! runs [`check`] over every request head before hyper reads it: a head that passes reaches
//! hyper unchanged — or with its target percent-encoded where `http::Uri` refuses bytes that
//! llhttp accepts, the raw target kept for the application — and one that fails is answered
//! with bolt-api's `render_error(status)` by the gate.
//!
//! The same `httparse` parser hyper uses reads the head here, so hyper never refuses a head
//! this module accepts (the contract's §6 would list any case where it could). The target
//! forms are `crate::target_form`'s.

use std::mem::MaybeUninit;

use crate::target_form::{self, Retarget};

/// Header slots kept on the stack; more (a higher `max_header_count`) go on the heap.
const STACK_HEADERS: usize = 128;

/// The methods llhttp accepts in HTTP requests; anything else is a 400.
const METHODS: [&str; 35] = [
    "DELETE",
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "CONNECT",
    "OPTIONS",
    "TRACE",
    "COPY",
    "LOCK",
    "MKCOL",
    "MOVE",
    "PROPFIND",
    "PROPPATCH",
    "SEARCH",
    "UNLOCK",
    "BIND",
    "REBIND",
    "UNBIND",
    "ACL",
    "REPORT",
    "MKACTIVITY",
    "CHECKOUT",
    "MERGE",
    "M-SEARCH",
    "NOTIFY",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "PATCH",
    "PURGE",
    "MKCALENDAR",
    "LINK",
    "UNLINK",
    "SOURCE",
    "QUERY",
];

/// The request limits of `ServerConfig` (§6).
#[derive(Debug, Clone, Copy)]
#[allow(clippy::struct_field_names)] // named after the `ServerConfig` fields
pub struct HeadLimits {
    pub max_uri: usize,
    pub max_header_size: usize,
    pub max_header_count: usize,
    pub max_body: u64,
}

impl HeadLimits {
    /// Most bytes of an incomplete request head kept while waiting for the rest: enough for
    /// the longest accepted target and header fields, their separators and a little padding.
    pub fn partial_head(&self) -> usize {
        self.max_uri
            .saturating_add(self.max_header_size)
            .saturating_add(self.max_header_count.saturating_mul(8))
            .saturating_add(1024)
    }
}

/// How the body of an accepted request is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    None,
    Length(u64),
    Chunked,
}

/// An accepted head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Its length in bytes, from the start of the buffer to the end of the empty line.
    pub len: usize,
    pub framing: Framing,
    pub retarget: Option<Retarget>,
    /// How the head asks to change protocols (`ENGINE_CONTRACT.md` §8).
    pub upgrade: Upgrade,
}

/// What a head's `Upgrade` field asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upgrade {
    /// No `Upgrade` field, or one hyper ignores (HTTP/1.0).
    None,
    /// An HTTP/1.1 `Upgrade` field that is not a WebSocket request: hyper keeps an upgrade
    /// pending for it (`crate::server::conn` shuts such a connection down itself).
    Other,
    /// A WebSocket request: an HTTP/1.1 `GET` whose `Upgrade` lists `websocket`. It is
    /// answered as a WebSocket handshake when a WebSocket route matches its path, as an
    /// ordinary request otherwise.
    WebSocket,
}

/// What [`check`] makes of the start of a connection's unread bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The head is not complete yet (and within the limits so far).
    Partial,
    /// Answer with `render_error(status)` and close.
    Reject(u16),
    Accept(Head),
}

/// `method` is one llhttp knows.
pub fn known_method(method: &str) -> bool {
    METHODS.contains(&method)
}

/// Whether `head` holds an LF not preceded by CR (a bare LF ends no line here).
pub fn has_bare_lf(head: &[u8]) -> bool {
    let mut prev = 0u8;
    for &b in head {
        if b == b'\n' && prev != b'\r' {
            return true;
        }
        prev = b;
    }
    false
}

/// The request target of an incomplete or malformed head, as far as its request line shows
/// it: everything after the method and its spaces, up to the next space or line end.
fn partial_target(src: &[u8]) -> &[u8] {
    let line_end = src
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(src.len());
    let line = &src[..line_end];
    let Some(first_space) = line.iter().position(|&b| b == b' ') else {
        return &[];
    };
    let rest = &line[first_space..];
    let start = rest.iter().position(|&b| b != b' ').unwrap_or(rest.len());
    let target = &rest[start..];
    let end = target
        .iter()
        .position(|&b| b == b' ')
        .unwrap_or(target.len());
    &target[..end]
}

/// The length of [`partial_target`].
pub fn partial_target_len(src: &[u8]) -> usize {
    partial_target(src).len()
}

/// Whether a malformed head is refused for its target's length (414) rather than as
/// malformed (400): the target is too long and holds only bytes a target may hold, so what is
/// wrong comes after it. llhttp fails on an invalid target byte before it reports the target,
/// so bolt-py answers 400 there whatever the length; a head with a valid, too long target and
/// a malformed rest gets its 414 from both.
fn too_long_before_the_error(src: &[u8], limits: &HeadLimits) -> bool {
    let target = partial_target(src);
    target.len() > limits.max_uri && target.iter().all(|b| (b'!'..=b'~').contains(b))
}

/// Check `Transfer-Encoding` (all its fields, in order, as one list): `chunked` must be the
/// last coding and appear once (400 otherwise); any other coding is not implemented (501).
pub fn check_transfer_codings<'a>(values: impl Iterator<Item = &'a [u8]>) -> Result<(), u16> {
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
        return Err(400);
    }
    if unknown {
        return Err(501);
    }
    Ok(())
}

/// What one pass over the header fields found.
#[derive(Default)]
#[allow(clippy::struct_excessive_bools)] // independent findings, not states
struct Fields<'h> {
    content_length: Option<u64>,
    host: bool,
    transfer_encoding: Vec<&'h [u8]>,
    upgrade_option: bool,
    upgrade: bool,
    /// An `Upgrade` field lists the token `websocket`.
    websocket: bool,
}

fn scan_fields<'h>(headers: &[httparse::Header<'h>]) -> Result<Fields<'h>, u16> {
    let mut fields = Fields::default();
    for header in headers {
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            if fields.content_length.is_some() {
                return Err(400); // repeated, even with the same value
            }
            let value = std::str::from_utf8(header.value)
                .map_err(|_| 400u16)?
                .trim();
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(400);
            }
            fields.content_length = Some(value.parse::<u64>().map_err(|_| 400u16)?);
        } else if name.eq_ignore_ascii_case("host") {
            if fields.host || !valid_host(header.value) {
                return Err(400);
            }
            fields.host = true;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            fields.transfer_encoding.push(header.value);
        } else if name.eq_ignore_ascii_case("connection") {
            fields.upgrade_option |= header
                .value
                .split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"upgrade"));
        } else if name.eq_ignore_ascii_case("upgrade") {
            fields.upgrade = true;
            fields.websocket |= lists_websocket(header.value);
        }
    }
    Ok(fields)
}

/// Whether an `Upgrade` field value lists the protocol `websocket` (case-insensitive; RFC
/// 9110 §7.8: a comma-separated list of `protocol-name ["/" protocol-version]`).
pub fn lists_websocket(value: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"websocket"))
}

/// RFC 9112 §3.2: `Host = uri-host [ ":" port ]` — RFC 3986's IP literal in brackets, or a
/// reg-name (which covers IPv4) of unreserved, pct-encoded and sub-delims characters; a port
/// of digits — possibly empty. No userinfo, no path, no space. bolt-py's `_HOST_SYNTAX` is
/// the same rule.
fn valid_host(value: &[u8]) -> bool {
    let value = value.trim_ascii();
    let (host_ok, rest) = if let Some(literal) = value.strip_prefix(b"[") {
        match literal.iter().position(|&b| b == b']') {
            Some(end) => (
                end > 0
                    && literal[..end]
                        .iter()
                        .all(|&b| b.is_ascii_alphanumeric() || b":.%_~-".contains(&b)),
                &literal[end + 1..],
            ),
            None => (false, &b""[..]),
        }
    } else {
        let end = value.iter().position(|&b| b == b':').unwrap_or(value.len());
        (
            value[..end]
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b"._~%!$&'()*+,;=-".contains(&b)),
            &value[end..],
        )
    };
    host_ok
        && match rest.split_first() {
            None => true,
            Some((b':', port)) => port.iter().all(u8::is_ascii_digit),
            Some(_) => false,
        }
}

/// Whether the (possibly partial or malformed) head at the start of `src` names the method
/// `HEAD`: the token `HEAD` followed by a space (after the empty lines a server may skip
/// before a request line), as llhttp reads the method before anything after it can fail.
pub fn names_head(src: &[u8]) -> bool {
    let start = src
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(src.len());
    src[start..].starts_with(b"HEAD ")
}

/// Check the request head at the start of `src` against llhttp's strict rules and `limits`.
pub fn check(src: &[u8], limits: &HeadLimits) -> Verdict {
    let count = limits.max_header_count.max(1);
    let mut on_stack = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; STACK_HEADERS];
    let mut on_heap = Vec::new();
    let slots = if count <= STACK_HEADERS {
        &mut on_stack[..count]
    } else {
        on_heap.resize_with(count, MaybeUninit::uninit);
        &mut on_heap[..]
    };
    let mut req = httparse::Request::new(&mut []);
    let mut config = httparse::ParserConfig::default();
    config.allow_multiple_spaces_in_request_line_delimiters(true);
    let status = match config.parse_request_with_uninit_headers(&mut req, src, slots) {
        Ok(status) => status,
        Err(err) => {
            // a target too long is a 414 even when something after it is malformed
            if too_long_before_the_error(src, limits) {
                return Verdict::Reject(414);
            }
            return Verdict::Reject(if err == httparse::Error::TooManyHeaders {
                431
            } else {
                400
            });
        }
    };
    let httparse::Status::Complete(len) = status else {
        if partial_target_len(src) > limits.max_uri {
            return Verdict::Reject(414);
        }
        return if src.len() >= limits.partial_head() {
            Verdict::Reject(431)
        } else {
            Verdict::Partial
        };
    };
    match accept(src, len, &req, limits) {
        Ok(head) => Verdict::Accept(head),
        Err(status) => Verdict::Reject(status),
    }
}

/// The checks of a complete head, in the order the contract's tables pin.
fn accept(
    src: &[u8],
    len: usize,
    req: &httparse::Request<'_, '_>,
    limits: &HeadLimits,
) -> Result<Head, u16> {
    let (Some(method), Some(target), Some(minor)) = (req.method, req.path, req.version) else {
        return Err(400);
    };
    if !known_method(method) {
        return Err(400);
    }
    if target.len() > limits.max_uri {
        return Err(414);
    }
    if has_bare_lf(&src[..len]) {
        return Err(400);
    }
    let field_bytes: usize = req
        .headers
        .iter()
        .map(|h| h.name.len() + h.value.len())
        .sum();
    if field_bytes > limits.max_header_size {
        return Err(431);
    }
    let fields = scan_fields(req.headers)?;
    let http11 = minor == 1;
    if http11 && !fields.host {
        return Err(400);
    }
    // where the target sits in `src` (httparse hands out a slice of it)
    let start = (target.as_ptr() as usize).wrapping_sub(src.as_ptr() as usize);
    let retarget = target_form::check(method, target, start)?;
    // A WebSocket request goes on (a WebSocket route takes it, or it is answered as an
    // ordinary request, its `Upgrade` ignored); any other upgrade (h2c, ...) is refused when
    // the `upgrade` connection option asks for it (llhttp's `should_upgrade`).
    let upgrade = if !fields.upgrade || !http11 {
        Upgrade::None
    } else if fields.websocket && method == "GET" {
        Upgrade::WebSocket
    } else {
        Upgrade::Other
    };
    if fields.upgrade_option && fields.upgrade && upgrade != Upgrade::WebSocket {
        return Err(400);
    }
    let framing = if fields.transfer_encoding.is_empty() {
        match fields.content_length {
            Some(n) if n > limits.max_body => return Err(413),
            Some(0) | None => Framing::None,
            Some(n) => Framing::Length(n),
        }
    } else {
        if !http11 || fields.content_length.is_some() {
            return Err(400);
        }
        check_transfer_codings(fields.transfer_encoding.iter().copied())?;
        Framing::Chunked
    };
    Ok(Head {
        len,
        framing,
        retarget,
        upgrade,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::{check, names_head, valid_host, Framing, HeadLimits, Verdict};

    const LIMITS: HeadLimits = HeadLimits {
        max_uri: 64,
        max_header_size: 256,
        max_header_count: 8,
        max_body: 1000,
    };

    /// What the policy makes of `head` under small test limits (`target_form`'s tests too).
    pub(crate) fn verdict(head: &str) -> Verdict {
        check(head.as_bytes(), &LIMITS)
    }

    /// The status a refused `head` gets; `None` when it is accepted or incomplete.
    pub(crate) fn status(head: &str) -> Option<u16> {
        match verdict(head) {
            Verdict::Reject(status) => Some(status),
            _ => None,
        }
    }

    fn framing(head: &str) -> Framing {
        match verdict(head) {
            Verdict::Accept(h) => h.framing,
            other => panic!("{head:?}: {other:?}"),
        }
    }

    #[test]
    fn a_plain_head_is_accepted_with_its_length() {
        let head = "GET /a?b=c HTTP/1.1\r\nHost: x\r\n\r\nnext";
        assert_eq!(
            verdict(head),
            Verdict::Accept(super::Head {
                len: head.len() - 4,
                framing: Framing::None,
                retarget: None,
                upgrade: super::Upgrade::None,
            })
        );
        assert_eq!(verdict("GET /a HTTP/1.1\r\nHost: x\r\n"), Verdict::Partial);
        assert_eq!(status("GET  /a   HTTP/1.0\r\n\r\n"), None, "several spaces");
    }

    #[test]
    fn the_request_line_and_fields_are_strict() {
        assert_eq!(status("BREW /a HTTP/1.1\r\nHost: x\r\n\r\n"), Some(400));
        assert_eq!(status("GET /a HTTP/1.1\nHost: x\r\n\r\n"), Some(400));
        assert_eq!(status("GET /a HTTP/1.1\r\nHost: x\n\r\n"), Some(400));
        assert_eq!(status("GET /a HTTP/1.1\r\nHost : x\r\n\r\n"), Some(400));
        assert_eq!(
            status("GET /a HTTP/1.1\r\nHost: x\r\n y\r\n\r\n"),
            Some(400)
        );
        assert_eq!(
            status("GET /a HTTP/1.1\r\nA: \x01\r\nHost: x\r\n\r\n"),
            Some(400)
        );
        assert_eq!(status("GET /a HTTP/2.0\r\nHost: x\r\n\r\n"), Some(400));
    }

    #[test]
    fn host_syntax() {
        for good in [
            &b""[..],
            b"x",
            b"x:",
            b"x:99999",
            b"127.0.0.1:80",
            b"[::1]",
            b"[::1]:8000",
            b"[fe80::1%25eth0]",
            b"my_host-1.example.~%41!$&'()*+,;=",
            b" x \t",
        ] {
            assert!(valid_host(good), "{:?}", String::from_utf8_lossy(good));
        }
        for bad in [
            &b"a b"[..],
            b"a:b",
            b"a:1:2",
            b"u@x",
            b"x/y",
            b"[::1",
            b"[]",
            b"[::1]x",
            b"[::1]:a",
            b"x?",
            b"x#",
        ] {
            assert!(!valid_host(bad), "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(status("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), Some(400));
        assert_eq!(status("GET / HTTP/1.0\r\nHost: u@x\r\n\r\n"), Some(400));
    }

    #[test]
    fn host_is_required_once_in_http_1_1() {
        assert_eq!(status("GET / HTTP/1.1\r\n\r\n"), Some(400));
        assert_eq!(
            status("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"),
            Some(400)
        );
        assert_eq!(status("GET / HTTP/1.0\r\n\r\n"), None);
    }

    #[test]
    fn names_head_reads_the_method_token_only() {
        assert!(names_head(b"HEAD / HTTP/1.1\r\n"));
        assert!(names_head(b"\r\nHEAD /\x01"));
        assert!(names_head(b"HEAD "));
        assert!(!names_head(b"HEAD\t/ HTTP/1.1\r\n"));
        assert!(!names_head(b"HEADX / HTTP/1.1\r\n"));
        assert!(!names_head(b"GET / HTTP/1.1\r\n"));
        assert!(!names_head(b"HEA"));
    }

    #[test]
    fn an_invalid_byte_in_a_long_target_is_a_400_as_llhttp_says() {
        let long = "a".repeat(70);
        assert_eq!(
            status(&format!("GET /{long}\x01 HTTP/1.1\r\nHost: x\r\n\r\n")),
            Some(400)
        );
        assert_eq!(
            status(&format!("GET /{long}\x7f HTTP/1.1\r\nHost: x\r\n\r\n")),
            Some(400)
        );
        // what is wrong comes after the target: its length decides
        assert_eq!(
            status(&format!("GET /{long} HTTP/1.1\r\nBad Name: x\r\n\r\n")),
            Some(414)
        );
    }

    #[test]
    fn limits_give_414_and_431() {
        let long = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(64));
        assert_eq!(status(&long), Some(414));
        // a long target is a 414 before the head is complete too
        assert_eq!(status(&format!("GET /{}", "a".repeat(70))), Some(414));
        let big = format!(
            "GET / HTTP/1.1\r\nHost: x\r\nA: {}\r\n\r\n",
            "v".repeat(300)
        );
        assert_eq!(status(&big), Some(431));
        let many = format!("GET / HTTP/1.1\r\nHost: x\r\n{}\r\n", "A: 1\r\n".repeat(8));
        assert_eq!(status(&many), Some(431));
        let endless = format!("GET / HTTP/1.1\r\nHost: x\r\n{}", "A: 1\r\n".repeat(400));
        assert_eq!(status(&endless), Some(431));
    }

    #[test]
    fn content_length_is_one_plain_number_within_the_body_limit() {
        let h = |cl: &str| format!("POST / HTTP/1.1\r\nHost: x\r\n{cl}\r\n\r\n");
        assert_eq!(framing(&h("Content-Length: 5")), Framing::Length(5));
        assert_eq!(framing(&h("Content-Length: 0")), Framing::None);
        for bad in [
            "Content-Length: +5",
            "Content-Length: 5, 5",
            "Content-Length: -1",
        ] {
            assert_eq!(status(&h(bad)), Some(400), "{bad}");
        }
        assert_eq!(
            status(&h("Content-Length: 5\r\nContent-Length: 5")),
            Some(400)
        );
        assert_eq!(status(&h("Content-Length: 1001")), Some(413));
    }

    #[test]
    fn transfer_encoding_must_end_in_one_chunked() {
        let h = |te: &str| format!("POST / HTTP/1.1\r\nHost: x\r\n{te}\r\n\r\n");
        assert_eq!(framing(&h("Transfer-Encoding: chunked")), Framing::Chunked);
        assert_eq!(
            status(&h("Transfer-Encoding: chunked\r\nContent-Length: 1")),
            Some(400)
        );
        assert_eq!(status(&h("Transfer-Encoding: gzip")), Some(400));
        assert_eq!(status(&h("Transfer-Encoding: chunked, chunked")), Some(400));
        assert_eq!(
            status(&h(
                "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked"
            )),
            Some(400)
        );
        assert_eq!(status(&h("Transfer-Encoding: gzip, chunked")), Some(501));
        let old = "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(status(old), Some(400));
    }

    #[test]
    fn upgrades_other_than_websocket_are_refused_but_the_option_alone_is_not() {
        let h2c = "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
        assert_eq!(status(h2c), Some(400));
        // a WebSocket upgrade on another method, or over HTTP/1.0, is no WebSocket request
        let post =
            "POST / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
        assert_eq!(status(post), Some(400));
        let old = "GET / HTTP/1.0\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
        assert_eq!(status(old), Some(400));
        assert_eq!(
            status("GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\n\r\n"),
            None
        );
    }

    fn upgrade_of(head: &str) -> Option<super::Upgrade> {
        match verdict(head) {
            Verdict::Accept(head) => Some(head.upgrade),
            _ => None,
        }
    }

    #[test]
    fn websocket_requests_are_told_apart() {
        use super::Upgrade;
        let ws = "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\n\
                  Upgrade: h2c, WebSocket\r\n\r\n";
        assert_eq!(upgrade_of(ws), Some(Upgrade::WebSocket));
        // several fields form one list; no connection option needed to be one
        let split = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nUpgrade: websocket\r\n\r\n";
        assert_eq!(upgrade_of(split), Some(Upgrade::WebSocket));
        let other = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websockets\r\n\r\n";
        assert_eq!(upgrade_of(other), Some(Upgrade::Other));
        let old = "GET /ws HTTP/1.0\r\nUpgrade: websocket\r\n\r\n";
        assert_eq!(upgrade_of(old), Some(Upgrade::None));
        assert_eq!(
            upgrade_of("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
            Some(Upgrade::None)
        );
    }
}
