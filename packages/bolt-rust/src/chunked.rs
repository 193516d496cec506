//! Where a chunked request body ends, and whether it is one llhttp's strict mode accepts.
//!
//! hyper decodes chunked bodies itself, but is laxer than llhttp (the Python engine's parser):
//! it takes whitespace after the chunk size and any bytes in an extension. The connection gate
//! (`crate::server::gate`) runs every chunked body through a [`ChunkedFramer`] on its way to
//! hyper, both to refuse what llhttp refuses (the request then gets a 400) and to know where
//! the next pipelined request head begins. The rules (`ENGINE_CONTRACT.md` §6):
//!
//! * a chunk size is plain hex, followed by CRLF or `;` (no whitespace, sign or `0x`);
//! * chunk extensions follow RFC 9112 §7.1.1 without BWS, as llhttp reads them: `;name`,
//!   `;name=token`, `;name="quoted string"`, where llhttp also takes an empty name or value
//!   but not a `;` right before the CR;
//! * chunk data is followed by CRLF;
//! * trailer fields are header fields (token name, `:`, field value), bounded by the header
//!   limits, and are not `Content-Length`, `Transfer-Encoding` or `Host` (RFC 9110 §6.5.1).

/// Longest trailer field name worth remembering: the longest forbidden one.
const NAME_KEPT: usize = 17; // "transfer-encoding"

/// The trailer field names a request must not carry (RFC 9110 §6.5.1).
const FORBIDDEN_TRAILERS: [&[u8]; 3] = [b"content-length", b"transfer-encoding", b"host"];

/// Why a chunked body is refused (the request is answered 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkError {
    /// A byte out of place in the chunk framing.
    Syntax,
    /// The trailer section is over the header limits.
    TrailersTooLarge,
    /// A trailer field that may not be one.
    ForbiddenTrailer,
}

/// What a trailer section may still use: fields and bytes (names and trimmed values, as the
/// header limits count them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Budget {
    fields: usize,
    bytes: usize,
}

impl Budget {
    fn spend(&mut self, bytes: usize) -> Result<(), ChunkError> {
        self.bytes = self
            .bytes
            .checked_sub(bytes)
            .ok_or(ChunkError::TrailersTooLarge)?;
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    SizeFirst,
    SizeRest,
    /// After `;`: an extension name (possibly empty: `=` or `;` may follow).
    ExtStart,
    ExtName,
    /// After `=`: a token or a quoted string (possibly empty: CR or `;` may follow).
    ExtValueStart,
    ExtValue,
    ExtQuoted,
    ExtQuotedEscape,
    ExtQuotedEnd,
    SizeLf,
    Data,
    DataCr,
    DataLf,
    /// After the last chunk or a trailer field: CR (the end) or another trailer field.
    EndCr,
    TrailerName,
    /// In a trailer field value; `pending` is whitespace not yet known to be inner
    /// (`usize::MAX`: still in the leading whitespace).
    TrailerValue,
    TrailerLf,
    EndLf,
    End,
}

/// Follows one chunked body byte by byte (chunk data in whole slices).
#[derive(Debug, Clone)]
pub struct ChunkedFramer {
    state: State,
    /// The chunk size being read, then the data bytes still to come.
    size: u64,
    budget: Budget,
    name_len: usize,
    name: [u8; NAME_KEPT],
    pending: usize,
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
pub fn is_token(b: u8) -> bool {
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

impl ChunkedFramer {
    /// A framer for one body whose trailer section may hold `max_fields` fields of
    /// `max_bytes` bytes (the header limits).
    pub fn new(max_fields: usize, max_bytes: usize) -> Self {
        Self {
            state: State::SizeFirst,
            size: 0,
            budget: Budget {
                fields: max_fields,
                bytes: max_bytes,
            },
            name_len: 0,
            name: [0; NAME_KEPT],
            pending: 0,
        }
    }

    /// Whether the body has ended (its last CRLF was read).
    pub fn done(&self) -> bool {
        self.state == State::End
    }

    /// Read as much of `input` as belongs to this body: how many bytes it took (all of
    /// `input`, or fewer when the body ended inside it), or why the body is refused. The
    /// bytes taken go to `out`, except chunk extensions: they mean nothing to anyone here,
    /// and hyper bounds them (16 KiB a body) where llhttp does not.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, ChunkError> {
        let mut at = 0;
        while at < input.len() && self.state != State::End {
            if self.state == State::Data {
                let left = input.len() - at;
                let take = usize::try_from(self.size).map_or(left, |size| size.min(left));
                out.extend_from_slice(&input[at..at + take]);
                at += take;
                self.size -= take as u64;
                if self.size == 0 {
                    self.state = State::DataCr;
                }
                continue;
            }
            let b = input[at];
            self.step(b)?;
            if !self.in_extension() {
                out.push(b);
            }
            at += 1;
        }
        Ok(at)
    }

    fn in_extension(&self) -> bool {
        matches!(
            self.state,
            State::ExtStart
                | State::ExtName
                | State::ExtValueStart
                | State::ExtValue
                | State::ExtQuoted
                | State::ExtQuotedEscape
                | State::ExtQuotedEnd
        )
    }

    fn step(&mut self, b: u8) -> Result<(), ChunkError> {
        use State::{
            DataCr, DataLf, End, EndCr, EndLf, ExtName, ExtQuoted, ExtQuotedEnd, ExtQuotedEscape,
            ExtStart, ExtValue, ExtValueStart, SizeFirst, SizeLf, SizeRest, TrailerLf, TrailerName,
            TrailerValue,
        };
        self.state = match (self.state, b) {
            (SizeFirst, b) => {
                self.size = hex(b).ok_or(ChunkError::Syntax)?;
                SizeRest
            }
            (SizeRest, b';') => ExtStart,
            (SizeRest, b'\r') => SizeLf,
            (SizeRest, b) => {
                let digit = hex(b).ok_or(ChunkError::Syntax)?;
                self.size = self
                    .size
                    .checked_mul(16)
                    .and_then(|n| n.checked_add(digit))
                    .ok_or(ChunkError::Syntax)?;
                SizeRest
            }
            // llhttp's grammar, to the byte: an empty name or value is accepted, a `;` just
            // before the CR is not; no whitespace outside quotes
            (ExtStart | ExtName, b) if is_token(b) => ExtName,
            (ExtStart | ExtName, b'=') => ExtValueStart,
            (ExtValueStart | ExtValue, b) if is_token(b) => ExtValue,
            (ExtQuoted, b'"') => ExtQuotedEnd,
            (ExtQuoted, b'\\') => ExtQuotedEscape,
            (ExtQuoted, b) if is_qdtext(b) => ExtQuoted,
            (ExtValueStart, b'"') | (ExtQuotedEscape, b'\t' | b' ' | 0x21..=0x7e | 0x80..=0xff) => {
                ExtQuoted
            }
            (ExtStart | ExtName | ExtValueStart | ExtValue | ExtQuotedEnd, b';') => ExtStart,
            (ExtName | ExtValueStart | ExtValue | ExtQuotedEnd, b'\r') => SizeLf,
            (SizeLf, b'\n') if self.size > 0 => State::Data,
            (SizeLf | TrailerLf, b'\n') => EndCr,
            (DataCr, b'\r') => DataLf,
            (DataLf, b'\n') => SizeFirst,
            (EndCr, b'\r') => EndLf,
            (EndCr, b) if is_token(b) => {
                self.budget.fields = self
                    .budget
                    .fields
                    .checked_sub(1)
                    .ok_or(ChunkError::TrailersTooLarge)?;
                self.name_len = 0;
                self.push_name(b);
                TrailerName
            }
            (TrailerName, b) if is_token(b) => {
                self.push_name(b);
                TrailerName
            }
            (TrailerName, b':') => {
                let kept = &self.name[..self.name_len.min(NAME_KEPT)];
                if self.name_len <= NAME_KEPT && FORBIDDEN_TRAILERS.contains(&kept) {
                    return Err(ChunkError::ForbiddenTrailer);
                }
                self.budget.spend(self.name_len)?;
                self.pending = usize::MAX;
                TrailerValue
            }
            (TrailerValue, b'\r') => TrailerLf,
            (TrailerValue, b' ' | b'\t') => {
                // leading whitespace is not part of the value; inner whitespace is counted
                // once a visible byte follows it
                if self.pending != usize::MAX {
                    self.pending += 1;
                }
                TrailerValue
            }
            (TrailerValue, b) if is_field_value(b) => {
                let inner = if self.pending == usize::MAX {
                    0
                } else {
                    self.pending
                };
                self.budget.spend(inner + 1)?;
                self.pending = 0;
                TrailerValue
            }
            (EndLf, b'\n') => End,
            _ => return Err(ChunkError::Syntax),
        };
        Ok(())
    }

    fn push_name(&mut self, b: u8) {
        if let Some(slot) = self.name.get_mut(self.name_len) {
            *slot = b.to_ascii_lowercase();
        }
        self.name_len += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::{ChunkError, ChunkedFramer};

    /// Feed `body` into a framer with these limits; what it forwards is dropped.
    fn feed(framer: &mut ChunkedFramer, body: &[u8]) -> Result<usize, ChunkError> {
        framer.feed(body, &mut Vec::new())
    }

    /// Feed `body` one byte at a time (the worst split) and whole: both must agree.
    fn run(body: &[u8]) -> Result<usize, ChunkError> {
        let mut whole = ChunkedFramer::new(100, 65_536);
        let mut forwarded = Vec::new();
        let at_once = whole.feed(body, &mut forwarded);
        let mut bytewise = ChunkedFramer::new(100, 65_536);
        let mut forwarded_bytewise = Vec::new();
        let mut taken = 0;
        let mut split = Ok(0);
        for i in 0..body.len() {
            if bytewise.done() {
                break;
            }
            match bytewise.feed(&body[i..=i], &mut forwarded_bytewise) {
                Ok(n) => taken += n,
                Err(e) => {
                    split = Err(e);
                    break;
                }
            }
        }
        if split.is_ok() {
            split = Ok(taken);
        }
        assert_eq!(at_once, split, "split feeding disagrees for {body:?}");
        assert_eq!(forwarded, forwarded_bytewise);
        assert_eq!(whole.done(), bytewise.done());
        at_once.map(|n| if whole.done() { n } else { usize::MAX })
    }

    #[test]
    fn a_valid_body_ends_exactly_after_its_last_crlf() {
        let body = b"5\r\nhello\r\n0\r\n\r\n";
        assert_eq!(run(body), Ok(body.len()));
        let mut pipelined = body.to_vec();
        pipelined.extend_from_slice(b"GET / HTTP/1.1\r\n");
        assert_eq!(run(&pipelined), Ok(body.len()));
    }

    #[test]
    fn an_unfinished_body_takes_everything_and_is_not_done() {
        assert_eq!(run(b"a\r\n01234"), Ok(usize::MAX));
    }

    #[test]
    fn chunk_sizes_are_plain_hex() {
        for bad in [
            &b"5 \r\nhello\r\n0\r\n\r\n"[..],
            b"+5\r\n",
            b"0x5\r\n",
            b"\r\n",
            b"5\n",
        ] {
            assert_eq!(run(bad), Err(ChunkError::Syntax), "{bad:?}");
        }
        assert_eq!(run(b"fffffffffffffffff\r\n"), Err(ChunkError::Syntax));
        assert_eq!(run(b"A\r\n0123456789\r\n0\r\n\r\n"), Ok(20));
    }

    #[test]
    fn extensions_are_read_as_llhttp_reads_them() {
        for good in [
            &b"1;a\r\nx\r\n0\r\n\r\n"[..],
            b"1;a=b\r\nx\r\n0\r\n\r\n",
            b"1;a=\"q \\\" d\"\r\nx\r\n0\r\n\r\n",
            b"1;=b;c\r\nx\r\n0\r\n\r\n",
            b"1;a=\r\nx\r\n0\r\n\r\n",
        ] {
            assert_eq!(run(good), Ok(good.len()), "{good:?}");
        }
        for bad in [&b"1;\r\n"[..], b"1; a\r\n", b"1;a =b\r\n", b"1;a=b c\r\n"] {
            assert_eq!(run(bad), Err(ChunkError::Syntax), "{bad:?}");
        }
    }

    #[test]
    fn extensions_are_not_forwarded_the_rest_is() {
        let mut framer = ChunkedFramer::new(100, 65_536);
        let mut out = Vec::new();
        let body = b"3;a=\"x;y\";b\r\nabc\r\n0;z\r\nT: 1\r\n\r\n";
        assert_eq!(framer.feed(body, &mut out), Ok(body.len()));
        assert_eq!(out, b"3\r\nabc\r\n0\r\nT: 1\r\n\r\n");
    }

    #[test]
    fn chunk_data_must_end_in_crlf() {
        assert_eq!(run(b"1\r\nxy\r\n"), Err(ChunkError::Syntax));
        assert_eq!(run(b"1\r\nx\n0\r\n\r\n"), Err(ChunkError::Syntax));
    }

    #[test]
    fn trailers_are_header_fields_within_the_limits() {
        let ok = b"0\r\nX-Sum: 12  34 \r\n\r\n";
        assert_eq!(run(ok), Ok(ok.len()));
        assert_eq!(run(b"0\r\nX-Sum 1\r\n\r\n"), Err(ChunkError::Syntax));
        assert_eq!(
            run(b"0\r\nContent-Length: 1\r\n\r\n"),
            Err(ChunkError::ForbiddenTrailer)
        );
        assert_eq!(
            run(b"0\r\nhost: a\r\n\r\n"),
            Err(ChunkError::ForbiddenTrailer)
        );
        let mut small = ChunkedFramer::new(1, 7);
        assert_eq!(
            feed(&mut small, b"0\r\nab: cdefgh\r\n\r\n"),
            Err(ChunkError::TrailersTooLarge)
        );
        let mut few = ChunkedFramer::new(1, 100);
        assert_eq!(
            feed(&mut few, b"0\r\na: 1\r\nb: 2\r\n\r\n"),
            Err(ChunkError::TrailersTooLarge)
        );
        // counted like the head: names and values without surrounding whitespace
        let mut exact = ChunkedFramer::new(1, 5);
        assert_eq!(feed(&mut exact, b"0\r\nab:  c d \r\n\r\n"), Ok(16));
    }
}
