//! The request-target forms a request head may use (RFC 9112 §3.2), checked as llhttp checks
//! them: origin-form (`/path?query`), absolute-form (`scheme://authority/path`), `*` for
//! `OPTIONS` only; `CONNECT`'s authority-form is not implemented.
//!
//! hyper parses the target with `http::Uri`, which refuses some visible ASCII that llhttp
//! takes in origin-form (`<`, `>`, `` ` ``): such a target reaches hyper percent-encoded, and
//! the application the raw form ([`Retarget`]). In absolute-form `http::Uri` is laxer than
//! llhttp about the scheme, host and port: [`check`] refuses what llhttp refuses first.

use std::fmt::Write as _;

use http::uri::PathAndQuery;
use http::Uri;

/// A request target `http::Uri` refuses but llhttp accepts (it holds `<`, `>`, `` ` ``, ...):
/// hyper reads `encoded` in its place; the application gets `raw` (before any `#`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retarget {
    /// Byte range of the target in the head.
    pub start: usize,
    pub end: usize,
    pub encoded: String,
    pub raw: String,
}

/// Check the request target for `method` (RFC 9112 §3.2): origin-form (`/path?query`),
/// absolute-form (`scheme://authority/path`), or `*` for `OPTIONS`. `CONNECT` is not
/// implemented (501). `Some` when hyper must read an encoded form of it.
pub fn check(method: &str, target: &str, start: usize) -> Result<Option<Retarget>, u16> {
    if method == "CONNECT" {
        return Err(501);
    }
    if !target.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(400);
    }
    if target.starts_with('/') {
        if PathAndQuery::try_from(target).is_ok() {
            return Ok(None);
        }
        // visible ASCII that `http` refuses: percent-encode it for hyper, keep the raw
        // target for the application (llhttp accepts these bytes, so must we)
        let raw = target.split_once('#').map_or(target, |(before, _)| before);
        let encoded = encode_refused(target);
        if PathAndQuery::try_from(encoded.as_str()).is_err() {
            return Err(400);
        }
        return Ok(Some(Retarget {
            start,
            end: start + target.len(),
            encoded,
            raw: raw.to_owned(),
        }));
    }
    if target == "*" {
        return if method == "OPTIONS" {
            Ok(None)
        } else {
            Err(400)
        };
    }
    if let Some(path_start) = target
        .contains("://")
        .then(|| absolute_form(target))
        .flatten()
    {
        let absolute = |t: &str| {
            Uri::try_from(t).is_ok_and(|uri| uri.scheme().is_some() && uri.authority().is_some())
        };
        if absolute(target) {
            return Ok(None);
        }
        // the same visible ASCII as in origin-form, in the path or query: encoded for hyper,
        // the path and query kept raw for the application (as llhttp gives them)
        let (authority, rest) = target.split_at(path_start);
        let encoded = format!("{authority}{}", encode_refused(rest));
        if absolute(&encoded) {
            let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
            let raw = if rest.starts_with('/') {
                rest.to_owned()
            } else {
                format!("/{rest}")
            };
            return Ok(Some(Retarget {
                start,
                end: start + target.len(),
                encoded,
                raw,
            }));
        }
    }
    Err(400)
}

/// `target` with the visible ASCII `http::Uri` refuses in a path or query percent-encoded.
fn encode_refused(target: &str) -> String {
    let mut encoded = String::with_capacity(target.len() + 16);
    for c in target.chars() {
        match c {
            '"' | '<' | '>' | '`' | '{' | '}' | '|' | '\\' | '^' => {
                let _ = write!(encoded, "%{:02X}", u32::from(c));
            }
            c => encoded.push(c),
        }
    }
    encoded
}

/// The checks of an absolute-form target (RFC 3986 §3) that `http::Uri` leaves out and
/// llhttp makes: the scheme starts with a letter, the host is not empty, the port is digits,
/// and a fragment does not follow the authority directly (an absolute-URI has none).
/// `Some(where its path or query starts)` when they pass.
fn absolute_form(target: &str) -> Option<usize> {
    let (scheme, rest) = target.split_once("://")?;
    let mut scheme = scheme.bytes();
    let letter_first = scheme.next().is_some_and(|b| b.is_ascii_alphabetic());
    if !letter_first
        || !scheme.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if rest[end..].starts_with('#') {
        return None;
    }
    let authority = &rest[..end];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (host, port) = if host_port.starts_with('[') {
        let close = host_port.find(']')?;
        let (host, after) = host_port.split_at(close + 1);
        match after.strip_prefix(':') {
            Some(port) => (host, port),
            None if after.is_empty() => (host, ""),
            None => return None,
        }
    } else {
        host_port.split_once(':').unwrap_or((host_port, ""))
    };
    (!host.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
        .then_some(target.len() - rest.len() + end)
}

#[cfg(test)]
mod tests {
    use super::Retarget;
    use crate::head_policy::tests::{status, verdict};
    use crate::head_policy::Verdict;

    #[test]
    fn targets_are_origin_absolute_or_an_options_star() {
        assert_eq!(status("GET http://x/a HTTP/1.1\r\nHost: x\r\n\r\n"), None);
        assert_eq!(status("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"), None);
        assert_eq!(status("GET * HTTP/1.1\r\nHost: x\r\n\r\n"), Some(400));
        assert_eq!(status("GET a/b HTTP/1.1\r\nHost: x\r\n\r\n"), Some(400));
        assert_eq!(
            status("CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n"),
            Some(501)
        );
        assert_eq!(status("GET /\x7f HTTP/1.1\r\nHost: x\r\n\r\n"), Some(400));
    }

    #[test]
    fn absolute_form_authorities_follow_rfc_3986() {
        let h = |target: &str| status(&format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n"));
        for good in [
            "http://a/",
            "h://a",
            "http://a:/x",
            "http://a:80/x?y",
            "http://u:p@a/",
            "http://[::1]:8/a",
            "http://[::1]/a",
            "http://a/b#c",
        ] {
            assert_eq!(h(good), None, "{good}");
        }
        for bad in [
            "http://a:b/",
            "http://:80/a",
            "1http://a/",
            "http://a#f",
            "http://a:80:90/",
            "http://a@/",
            "http://[::1/a",
            "http://[::1]x/",
        ] {
            assert_eq!(h(bad), Some(400), "{bad}");
        }
    }

    #[test]
    fn visible_ascii_uri_refuses_is_encoded_for_hyper_and_kept_raw() {
        let head = "GET /a<b>?q=`x` HTTP/1.1\r\nHost: x\r\n\r\n";
        let Verdict::Accept(accepted) = verdict(head) else {
            panic!("refused");
        };
        assert_eq!(
            accepted.retarget,
            Some(Retarget {
                start: 4,
                end: 4 + "/a<b>?q=`x`".len(),
                encoded: "/a%3Cb%3E?q=%60x%60".to_owned(),
                raw: "/a<b>?q=`x`".to_owned(),
            })
        );
        // in absolute-form too: the path and query reach the application raw
        let head = "GET http://a:8/x<y>?q=\"`\" HTTP/1.1\r\nHost: x\r\n\r\n";
        let Verdict::Accept(absolute) = verdict(head) else {
            panic!("refused");
        };
        let encoded = "http://a:8/x%3Cy%3E?q=%22%60%22";
        assert_eq!(
            absolute.retarget.map(|re| (re.encoded, re.raw)),
            Some((encoded.to_owned(), "/x<y>?q=\"`\"".to_owned()))
        );
        let Verdict::Accept(no_path) = verdict("GET http://a?q=<# HTTP/1.1\r\nHost: x\r\n\r\n")
        else {
            panic!("refused");
        };
        assert_eq!(no_path.retarget.map(|re| re.raw), Some("/?q=<".to_owned()));
        // but not in the authority
        assert_eq!(
            status("GET http://a<b/x HTTP/1.1\r\nHost: x\r\n\r\n"),
            Some(400)
        );
        // what `http` takes as it is needs no rewriting
        let Verdict::Accept(plain) = verdict("GET /{\"a\"} HTTP/1.1\r\nHost: x\r\n\r\n") else {
            panic!("refused");
        };
        assert_eq!(plain.retarget, None);
    }
}
