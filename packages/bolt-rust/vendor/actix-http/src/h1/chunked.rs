//! The chunked transfer coding of request bodies.
//!
//! Bolt patch: stricter than upstream, to agree byte for byte with llhttp (the parser of Bolt's
//! Python engine) on what is a valid chunked body:
//!
//! * no whitespace after the chunk size (upstream accepted `5 \r\n` and `5 ;ext`);
//! * chunk extensions follow RFC 9112 §7.1.1 without BWS, as llhttp reads them: `;name`,
//!   `;name=token`, `;name="quoted string"`, where llhttp also takes an empty name or value
//!   but not a `;` right before the CR (upstream skipped any bytes up to the CR);
//! * trailer fields are parsed as header fields (token name, `:`, field value), bounded by the
//!   connection's header limits, must not be `Content-Length`, `Transfer-Encoding` or `Host`
//!   (RFC 9110 §6.5.1), and are then discarded (upstream skipped any bytes up to the CR).

use std::{io, task::Poll};

use bytes::{Buf as _, Bytes, BytesMut};
use tracing::{debug, trace};

macro_rules! byte (
    ($rdr:ident) => ({
        if $rdr.len() > 0 {
            let b = $rdr[0];
            $rdr.advance(1);
            b
        } else {
            return Poll::Pending
        }
    })
);

/// Longest trailer field name worth remembering: the longest forbidden one.
const NAME_KEPT: usize = 17; // "transfer-encoding"

/// The trailer field names a request must not carry (RFC 9110 §6.5.1).
const FORBIDDEN_TRAILERS: [&[u8]; 3] = [b"content-length", b"transfer-encoding", b"host"];

/// What the trailer section may still use: fields and bytes (names and trimmed values, as
/// the header limits count them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TrailerBudget {
    pub(crate) fields: usize,
    pub(crate) bytes: usize,
}

impl TrailerBudget {
    fn spend(&mut self, bytes: usize) -> Result<(), io::Error> {
        match self.bytes.checked_sub(bytes) {
            Some(left) => {
                self.bytes = left;
                Ok(())
            }
            None => Err(invalid("Trailer section too large")),
        }
    }
}

/// A trailer field name being read: its length and first bytes, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TrailerName {
    len: usize,
    kept: [u8; NAME_KEPT],
}

impl TrailerName {
    fn push(&mut self, b: u8) {
        if self.len < NAME_KEPT {
            self.kept[self.len] = b.to_ascii_lowercase();
        }
        self.len += 1;
    }

    fn forbidden(&self) -> bool {
        self.len <= NAME_KEPT && FORBIDDEN_TRAILERS.contains(&&self.kept[..self.len])
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ChunkedState {
    SizeFirst,
    SizeRest,
    /// After `;`: an extension name (possibly empty: `=` or `;` may follow, as llhttp reads
    /// RFC 9112 §7.1.1).
    ExtStart,
    ExtName,
    /// After `=`: a token or a quoted string (possibly empty: CR or `;` may follow).
    ExtValueStart,
    ExtValue,
    ExtQuoted,
    ExtQuotedEscape,
    ExtQuotedEnd,
    SizeLf,
    Body,
    BodyCr,
    BodyLf,
    /// After the last chunk or a trailer field: CR (the end) or another trailer field.
    EndCr,
    TrailerName(TrailerName),
    /// In a trailer field value; the count is whitespace not yet known to be inner.
    TrailerValue(usize),
    TrailerLf,
    EndLf,
    End,
}

fn invalid(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

fn hex(b: u8) -> Option<u64> {
    match b {
        b'0'..=b'9' => Some(u64::from(b - b'0')),
        b'a'..=b'f' => Some(u64::from(b + 10 - b'a')),
        b'A'..=b'F' => Some(u64::from(b + 10 - b'A')),
        _ => None,
    }
}

/// RFC 9110 `tchar`.
fn is_token(b: u8) -> bool {
    matches!(b,
        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9'
        | b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_'
        | b'`' | b'|' | b'~')
}

/// RFC 9110 `qdtext` (with obs-text).
fn is_qdtext(b: u8) -> bool {
    matches!(b, b'\t' | b' ' | 0x21 | 0x23..=0x5b | 0x5d..=0x7e | 0x80..=0xff)
}

/// A field value byte (RFC 9110 `field-vchar`, SP and HTAB).
fn is_field_value(b: u8) -> bool {
    matches!(b, b'\t' | b' '..=0x7e | 0x80..=0xff)
}

impl ChunkedState {
    pub(super) fn step(
        &self,
        body: &mut BytesMut,
        size: &mut u64,
        buf: &mut Option<Bytes>,
        trailers: &mut TrailerBudget,
    ) -> Poll<Result<ChunkedState, io::Error>> {
        use self::ChunkedState::*;

        match self {
            SizeFirst => ChunkedState::read_size_first(body, size),
            SizeRest => ChunkedState::read_size_rest(body, size),
            ExtStart | ExtName | ExtValueStart | ExtValue | ExtQuoted | ExtQuotedEscape
            | ExtQuotedEnd => self.read_extension(body),
            SizeLf => ChunkedState::read_size_lf(body, *size),
            Body => ChunkedState::read_body(body, size, buf),
            BodyCr => ChunkedState::read_body_cr(body),
            BodyLf => ChunkedState::read_body_lf(body),
            EndCr => ChunkedState::read_end_cr(body, trailers),
            TrailerName(name) => ChunkedState::read_trailer_name(body, name.clone(), trailers),
            TrailerValue(pending) => ChunkedState::read_trailer_value(body, *pending, trailers),
            TrailerLf => ChunkedState::read_trailer_lf(body),
            EndLf => ChunkedState::read_end_lf(body),
            End => Poll::Ready(Ok(ChunkedState::End)),
        }
    }

    fn read_size_first(
        rdr: &mut BytesMut,
        size: &mut u64,
    ) -> Poll<Result<ChunkedState, io::Error>> {
        match hex(byte!(rdr)) {
            Some(digit) => {
                *size = digit;
                Poll::Ready(Ok(ChunkedState::SizeRest))
            }
            None => Poll::Ready(Err(invalid(
                "Invalid chunk size line: Invalid size first-byte",
            ))),
        }
    }

    fn read_size_rest(rdr: &mut BytesMut, size: &mut u64) -> Poll<Result<ChunkedState, io::Error>> {
        let b = byte!(rdr);
        let Some(digit) = hex(b) else {
            return Poll::Ready(match b {
                b';' => Ok(ChunkedState::ExtStart),
                b'\r' => Ok(ChunkedState::SizeLf),
                _ => Err(invalid("Invalid chunk size line: Invalid size")),
            });
        };
        match size.checked_mul(16) {
            Some(n) => {
                *size = n + digit;
                Poll::Ready(Ok(ChunkedState::SizeRest))
            }
            None => {
                debug!("chunk size would overflow u64");
                Poll::Ready(Err(invalid("Invalid chunk size line: Size is too big")))
            }
        }
    }

    fn read_extension(&self, rdr: &mut BytesMut) -> Poll<Result<ChunkedState, io::Error>> {
        use self::ChunkedState::*;

        // llhttp's grammar, to the byte: an empty name or value is accepted, a `;` just
        // before the CR is not; no whitespace outside quotes
        let b = byte!(rdr);
        let next = match (self, b) {
            (ExtStart | ExtName, b) if is_token(b) => ExtName,
            (ExtStart | ExtName, b'=') => ExtValueStart,
            (ExtValueStart, b'"') => ExtQuoted,
            (ExtValueStart | ExtValue, b) if is_token(b) => ExtValue,
            (ExtQuoted, b'"') => ExtQuotedEnd,
            (ExtQuoted, b'\\') => ExtQuotedEscape,
            (ExtQuoted, b) if is_qdtext(b) => ExtQuoted,
            (ExtQuotedEscape, b'\t' | b' ' | 0x21..=0x7e | 0x80..=0xff) => ExtQuoted,
            (ExtStart | ExtName | ExtValueStart | ExtValue | ExtQuotedEnd, b';') => ExtStart,
            (ExtName | ExtValueStart | ExtValue | ExtQuotedEnd, b'\r') => SizeLf,
            _ => return Poll::Ready(Err(invalid("Invalid character in chunk extension"))),
        };
        Poll::Ready(Ok(next))
    }

    fn read_size_lf(rdr: &mut BytesMut, size: u64) -> Poll<Result<ChunkedState, io::Error>> {
        match byte!(rdr) {
            b'\n' if size > 0 => Poll::Ready(Ok(ChunkedState::Body)),
            b'\n' if size == 0 => Poll::Ready(Ok(ChunkedState::EndCr)),
            _ => Poll::Ready(Err(invalid("Invalid chunk size LF"))),
        }
    }

    fn read_body(
        rdr: &mut BytesMut,
        rem: &mut u64,
        buf: &mut Option<Bytes>,
    ) -> Poll<Result<ChunkedState, io::Error>> {
        trace!("Chunked read, remaining={:?}", rem);

        let len = rdr.len() as u64;
        if len == 0 {
            Poll::Ready(Ok(ChunkedState::Body))
        } else {
            let slice;
            if *rem > len {
                slice = rdr.split().freeze();
                *rem -= len;
            } else {
                slice = rdr.split_to(*rem as usize).freeze();
                *rem = 0;
            }
            *buf = Some(slice);
            if *rem > 0 {
                Poll::Ready(Ok(ChunkedState::Body))
            } else {
                Poll::Ready(Ok(ChunkedState::BodyCr))
            }
        }
    }

    fn read_body_cr(rdr: &mut BytesMut) -> Poll<Result<ChunkedState, io::Error>> {
        match byte!(rdr) {
            b'\r' => Poll::Ready(Ok(ChunkedState::BodyLf)),
            _ => Poll::Ready(Err(invalid("Invalid chunk body CR"))),
        }
    }

    fn read_body_lf(rdr: &mut BytesMut) -> Poll<Result<ChunkedState, io::Error>> {
        match byte!(rdr) {
            b'\n' => Poll::Ready(Ok(ChunkedState::SizeFirst)),
            _ => Poll::Ready(Err(invalid("Invalid chunk body LF"))),
        }
    }

    fn read_end_cr(
        rdr: &mut BytesMut,
        trailers: &mut TrailerBudget,
    ) -> Poll<Result<ChunkedState, io::Error>> {
        match byte!(rdr) {
            b'\r' => Poll::Ready(Ok(ChunkedState::EndLf)),
            b if is_token(b) => {
                let Some(left) = trailers.fields.checked_sub(1) else {
                    return Poll::Ready(Err(invalid("Too many trailer fields")));
                };
                trailers.fields = left;
                let mut name = TrailerName {
                    len: 0,
                    kept: [0; NAME_KEPT],
                };
                name.push(b);
                Poll::Ready(Ok(ChunkedState::TrailerName(name)))
            }
            _ => Poll::Ready(Err(invalid("Invalid trailer field name"))),
        }
    }

    fn read_trailer_name(
        rdr: &mut BytesMut,
        mut name: TrailerName,
        trailers: &mut TrailerBudget,
    ) -> Poll<Result<ChunkedState, io::Error>> {
        loop {
            match byte!(rdr) {
                b if is_token(b) => {
                    name.push(b);
                    if rdr.is_empty() {
                        return Poll::Ready(Ok(ChunkedState::TrailerName(name)));
                    }
                }
                b':' => {
                    if name.forbidden() {
                        return Poll::Ready(Err(invalid("Forbidden trailer field")));
                    }
                    if let Err(err) = trailers.spend(name.len) {
                        return Poll::Ready(Err(err));
                    }
                    // `usize::MAX`: still in the leading whitespace of the value
                    return Poll::Ready(Ok(ChunkedState::TrailerValue(usize::MAX)));
                }
                _ => return Poll::Ready(Err(invalid("Invalid trailer field name"))),
            }
        }
    }

    fn read_trailer_value(
        rdr: &mut BytesMut,
        mut pending: usize,
        trailers: &mut TrailerBudget,
    ) -> Poll<Result<ChunkedState, io::Error>> {
        loop {
            let b = byte!(rdr);
            match b {
                b'\r' => return Poll::Ready(Ok(ChunkedState::TrailerLf)),
                b' ' | b'\t' => {
                    // leading whitespace is not part of the value; inner whitespace is
                    // counted once a visible byte follows it
                    if pending != usize::MAX {
                        pending += 1;
                    }
                }
                b if is_field_value(b) => {
                    let inner = if pending == usize::MAX { 0 } else { pending };
                    if let Err(err) = trailers.spend(inner + 1) {
                        return Poll::Ready(Err(err));
                    }
                    pending = 0;
                }
                _ => return Poll::Ready(Err(invalid("Invalid trailer field value"))),
            }
            if rdr.is_empty() {
                return Poll::Ready(Ok(ChunkedState::TrailerValue(pending)));
            }
        }
    }

    fn read_trailer_lf(rdr: &mut BytesMut) -> Poll<Result<ChunkedState, io::Error>> {
        match byte!(rdr) {
            b'\n' => Poll::Ready(Ok(ChunkedState::EndCr)),
            _ => Poll::Ready(Err(invalid("Invalid chunk trailer LF"))),
        }
    }

    fn read_end_lf(rdr: &mut BytesMut) -> Poll<Result<ChunkedState, io::Error>> {
        match byte!(rdr) {
            b'\n' => Poll::Ready(Ok(ChunkedState::End)),
            _ => Poll::Ready(Err(invalid("Invalid chunk end LF"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_codec::Decoder as _;
    use bytes::{Bytes, BytesMut};
    use http::Method;

    use crate::{
        error::ParseError,
        h1::decoder::{MessageDecoder, PayloadItem},
        HttpMessage as _, Request,
    };

    macro_rules! parse_ready {
        ($e:expr) => {{
            match MessageDecoder::<Request>::default().decode($e) {
                Ok(Some((msg, _))) => msg,
                Ok(_) => unreachable!("Eof during parsing http request"),
                Err(err) => unreachable!("Error during parsing http request: {:?}", err),
            }
        }};
    }

    macro_rules! expect_parse_err {
        ($e:expr) => {{
            match MessageDecoder::<Request>::default().decode($e) {
                Err(err) => match err {
                    ParseError::Io(_) => unreachable!("Parse error expected"),
                    _ => {}
                },
                _ => unreachable!("Error expected"),
            }
        }};
    }

    macro_rules! assert_decode_chunk_eq {
        ($pl:expr, $buf:expr, $expected:expr) => {
            assert_eq!(
                $pl.decode(&mut $buf).unwrap().unwrap().chunk().as_ref(),
                $expected,
            );
        };
    }

    macro_rules! assert_decode_chunked_eof {
        ($pl:expr, $buf:expr) => {
            assert!($pl.decode(&mut $buf).unwrap().unwrap().eof());
        };
    }

    #[test]
    fn test_reject_empty_chunk_size() {
        let mut buf = BytesMut::from(
            "GET /test HTTP/1.1\r\n\
             Host: localhost\r\n\
             transfer-encoding: chunked\r\n\r\n",
        );
        let mut reader = MessageDecoder::<Request>::default();
        let (_req, pl) = reader.decode(&mut buf).unwrap().unwrap();
        let mut pl = pl.unwrap();

        // Empty chunk size before CRLF is illegal under RFC 9112 §7.1
        buf.extend(b"\r\n\r\n");
        assert!(pl.decode(&mut buf).is_err());
    }

    #[test]
    fn test_parse_chunked_payload_chunk_extension() {
        let mut buf = BytesMut::from(
            "GET /test HTTP/1.1\r\n\
            Host: localhost\r\n\
            transfer-encoding: chunked\r\n\
            \r\n",
        );

        let mut reader = MessageDecoder::<Request>::default();
        let (msg, pl) = reader.decode(&mut buf).unwrap().unwrap();
        let mut pl = pl.unwrap();
        assert!(msg.chunked().unwrap());

        buf.extend(b"4;test\r\ndata\r\n4\r\nline\r\n0\r\n\r\n"); // test: test\r\n\r\n")
        let chunk = pl.decode(&mut buf).unwrap().unwrap().chunk();
        assert_eq!(chunk, Bytes::from_static(b"data"));
        let chunk = pl.decode(&mut buf).unwrap().unwrap().chunk();
        assert_eq!(chunk, Bytes::from_static(b"line"));
        let msg = pl.decode(&mut buf).unwrap().unwrap();
        assert!(msg.eof());
    }

    #[test]
    fn test_request_chunked() {
        let mut buf = BytesMut::from(
            "GET /test HTTP/1.1\r\n\
             Host: localhost\r\n\
             transfer-encoding: chunked\r\n\r\n",
        );
        let req = parse_ready!(&mut buf);

        if let Ok(val) = req.chunked() {
            assert!(val);
        } else {
            unreachable!("Error");
        }

        // intentional typo in "chunked"
        let mut buf = BytesMut::from(
            "GET /test HTTP/1.1\r\n\
             Host: localhost\r\n\
             transfer-encoding: chnked\r\n\r\n",
        );
        expect_parse_err!(&mut buf);
    }

    #[test]
    fn test_http_request_chunked_payload() {
        let mut buf = BytesMut::from(
            "GET /test HTTP/1.1\r\n\
             Host: localhost\r\n\
             transfer-encoding: chunked\r\n\r\n",
        );
        let mut reader = MessageDecoder::<Request>::default();
        let (req, pl) = reader.decode(&mut buf).unwrap().unwrap();
        let mut pl = pl.unwrap();
        assert!(req.chunked().unwrap());

        buf.extend(b"4\r\ndata\r\n4\r\nline\r\n0\r\n\r\n");
        assert_eq!(
            pl.decode(&mut buf).unwrap().unwrap().chunk().as_ref(),
            b"data"
        );
        assert_eq!(
            pl.decode(&mut buf).unwrap().unwrap().chunk().as_ref(),
            b"line"
        );
        assert!(pl.decode(&mut buf).unwrap().unwrap().eof());
    }

    #[test]
    fn test_http_request_chunked_payload_and_next_message() {
        let mut buf = BytesMut::from(
            "GET /test HTTP/1.1\r\n\
             Host: localhost\r\n\
             transfer-encoding: chunked\r\n\r\n",
        );
        let mut reader = MessageDecoder::<Request>::default();
        let (req, pl) = reader.decode(&mut buf).unwrap().unwrap();
        let mut pl = pl.unwrap();
        assert!(req.chunked().unwrap());

        buf.extend(
            b"4\r\ndata\r\n4\r\nline\r\n0\r\n\r\n\
              POST /test2 HTTP/1.1\r\n\
              Host: localhost\r\n\
              transfer-encoding: chunked\r\n\r\n"
                .iter(),
        );
        let msg = pl.decode(&mut buf).unwrap().unwrap();
        assert_eq!(msg.chunk().as_ref(), b"data");
        let msg = pl.decode(&mut buf).unwrap().unwrap();
        assert_eq!(msg.chunk().as_ref(), b"line");
        let msg = pl.decode(&mut buf).unwrap().unwrap();
        assert!(msg.eof());

        let (req, _) = reader.decode(&mut buf).unwrap().unwrap();
        assert!(req.chunked().unwrap());
        assert_eq!(*req.method(), Method::POST);
        assert!(req.chunked().unwrap());
    }

    #[test]
    fn test_http_request_chunked_payload_chunks() {
        let mut buf = BytesMut::from(
            "GET /test HTTP/1.1\r\n\
             Host: localhost\r\n\
             transfer-encoding: chunked\r\n\r\n",
        );

        let mut reader = MessageDecoder::<Request>::default();
        let (req, pl) = reader.decode(&mut buf).unwrap().unwrap();
        let mut pl = pl.unwrap();
        assert!(req.chunked().unwrap());

        buf.extend(b"4\r\n1111\r\n");
        let msg = pl.decode(&mut buf).unwrap().unwrap();
        assert_eq!(msg.chunk().as_ref(), b"1111");

        buf.extend(b"4\r\ndata\r");
        let msg = pl.decode(&mut buf).unwrap().unwrap();
        assert_eq!(msg.chunk().as_ref(), b"data");

        buf.extend(b"\n4");
        assert!(pl.decode(&mut buf).unwrap().is_none());

        buf.extend(b"\r");
        assert!(pl.decode(&mut buf).unwrap().is_none());
        buf.extend(b"\n");
        assert!(pl.decode(&mut buf).unwrap().is_none());

        buf.extend(b"li");
        let msg = pl.decode(&mut buf).unwrap().unwrap();
        assert_eq!(msg.chunk().as_ref(), b"li");

        //trailers
        //buf.feed_data("test: test\r\n");
        //not_ready!(reader.parse(&mut buf, &mut readbuf));

        buf.extend(b"ne\r\n0\r\n");
        let msg = pl.decode(&mut buf).unwrap().unwrap();
        assert_eq!(msg.chunk().as_ref(), b"ne");
        assert!(pl.decode(&mut buf).unwrap().is_none());

        buf.extend(b"\r\n");
        assert!(pl.decode(&mut buf).unwrap().unwrap().eof());
    }

    #[test]
    fn chunk_extension_quoted() {
        let mut buf = BytesMut::from(
            "GET /test HTTP/1.1\r\n\
            Host: localhost:8080\r\n\
            Transfer-Encoding: chunked\r\n\
            \r\n\
            2;hello=b;one=\"1 2 3\"\r\n\
            xx",
        );

        let mut reader = MessageDecoder::<Request>::default();
        let (_msg, pl) = reader.decode(&mut buf).unwrap().unwrap();
        let mut pl = pl.unwrap();

        let chunk = pl.decode(&mut buf).unwrap().unwrap();
        assert_eq!(chunk, PayloadItem::Chunk(Bytes::from_static(b"xx")));
    }

    #[test]
    fn hrs_chunk_extension_invalid() {
        let mut buf = BytesMut::from(
            "GET / HTTP/1.1\r\n\
            Host: localhost:8080\r\n\
            Transfer-Encoding: chunked\r\n\
            \r\n\
            2;x\nx\r\n\
            4c\r\n\
            0\r\n",
        );

        let mut reader = MessageDecoder::<Request>::default();
        let (_msg, pl) = reader.decode(&mut buf).unwrap().unwrap();
        let mut pl = pl.unwrap();

        let err = pl.decode(&mut buf).unwrap_err();
        assert!(err
            .to_string()
            .contains("Invalid character in chunk extension"));
    }

    #[test]
    fn hrs_chunk_size_overflow() {
        let mut buf = BytesMut::from(
            "GET / HTTP/1.1\r\n\
            Host: example.com\r\n\
            Transfer-Encoding: chunked\r\n\
            \r\n\
            f0000000000000003\r\n\
            abc\r\n\
            0\r\n",
        );

        let mut reader = MessageDecoder::<Request>::default();
        let (_msg, pl) = reader.decode(&mut buf).unwrap().unwrap();
        let mut pl = pl.unwrap();

        let err = pl.decode(&mut buf).unwrap_err();
        assert!(err
            .to_string()
            .contains("Invalid chunk size line: Size is too big"));
    }

    #[test]
    fn test_parse_chunked_payload_with_trailers() {
        let mut buf = BytesMut::from(
            "GET /test HTTP/1.1\r\n\
             Host: localhost\r\n\
             transfer-encoding: chunked\r\n\r\n\
             4\r\ndata\r\n\
             0\r\n\
             X-Checksum: 12345\r\n\
             Expires: Wed\r\n\r\n",
        );
        let mut reader = MessageDecoder::<Request>::default();
        let mut pl = reader.decode(&mut buf).unwrap().unwrap().1.unwrap();

        assert_decode_chunk_eq!(pl, buf, b"data");
        assert_decode_chunked_eof!(pl, buf);

        let mut buf = BytesMut::from(
            "GET /test HTTP/1.1\r\n\
             Host: localhost\r\n\
             transfer-encoding: chunked\r\n\r\n\
             4\r\ndata\r\n\
             0\r\n\
               X-Checksum: 12345\r\n\
             Expires: Wed  \r\n\r\n",
        );
        let mut reader = MessageDecoder::<Request>::default();
        let mut pl = reader.decode(&mut buf).unwrap().unwrap().1.unwrap();

        assert_decode_chunk_eq!(pl, buf, b"data");
        assert_decode_chunked_eof!(pl, buf);
    }
}
