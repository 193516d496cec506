//! The connection gate: every byte hyper reads passes through Bolt's head policy first.
//!
//! hyper runs HTTP/1.1 on each connection, but the engine contract asks for more than it
//! offers (`ENGINE_CONTRACT.md` §4–6): llhttp-strict heads, the 414/431/413 limits answered
//! with bolt-api's bodies, a header timeout for every request of a connection with a 408, an
//! idle keep-alive timeout, and a graceful stop that answers a request half received instead
//! of dropping it. The gate wraps the socket and sits between it and hyper:
//!
//! * it holds back each request head until it is complete and [`head_policy::check`] accepts
//!   it, then hands it to hyper (its target percent-encoded where `http::Uri` would refuse it);
//! * it follows the body (by `Content-Length`, or through a [`ChunkedFramer`]) so that it knows
//!   where the next pipelined head begins, refusing a chunked body llhttp would refuse;
//! * a refused head ends hyper's input (hyper sees the end of the stream, answers what was
//!   pipelined before it and shuts the connection down); the gate then writes
//!   `render_error(status)` with `connection: close` and closes — so the error comes after
//!   the answers to the requests before it;
//! * a body it refuses ends hyper's input mid-body, which the request handler answers with a
//!   400 (`crate::dispatch`), as when the client closes its side there;
//! * it runs the header and keep-alive timers, and ends the input of an idle connection when
//!   the server stops;
//! * a response body that fails after its head was sent cuts the connection once hyper has
//!   flushed what it had (`ConnState::cut`).
//! * after a WebSocket request (`head_policy::Upgrade::WebSocket`, `ENGINE_CONTRACT.md` §8)
//!   it hands hyper nothing more until the request's handler decides: an ordinary request
//!   after all (`ConnState::release`: read on), or an accepted handshake, after which the
//!   connection takes the socket and what the gate had read (`Gate::into_parts`) away from
//!   hyper and the gate.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::chunked::ChunkedFramer;
use crate::head_policy::{self, Framing, HeadLimits, Verdict};
use crate::response::ErrorReplies;

/// Bytes asked of the socket per read.
const READ_CHUNK: usize = 8 * 1024;
/// How long a closing connection waits for the client's side to close (see `poll_linger`).
const LINGER: Duration = Duration::from_secs(2);
/// How much a closing connection reads and discards at most meanwhile.
const LINGER_BYTES: usize = 1 << 20;

/// What a connection's gate, its request handler and its task share.
#[derive(Default)]
pub struct ConnState {
    /// The server is stopping: answer with `connection: close`, end an idle connection.
    stopping: Cell<bool>,
    /// The gate's pending read, woken when the server stops.
    reader: Cell<Option<Waker>>,
    /// Raw targets of the heads whose target hyper reads encoded, by request number.
    raw_targets: RefCell<VecDeque<(u64, String)>>,
    /// Requests the handler has taken so far (numbered like the gate's heads).
    taken: Cell<u64>,
    /// A response body failed after its head was sent: close once hyper has flushed.
    cut: Cell<bool>,
    /// The number of the last head that was a WebSocket request (0: none yet).
    websocket_head: Cell<u64>,
    /// The gate holds back what follows a WebSocket request until its handler decides
    /// (`release`: an ordinary request after all; otherwise the connection is upgraded).
    held: Cell<bool>,
    /// hyper keeps an upgrade pending for an HTTP/1.1 head with an `Upgrade` field and then
    /// ends the connection without shutting the socket down (`crate::server::conn` does).
    upgrade_seen: Cell<bool>,
    /// The WebSocket a handshake accepted (a `crate::websocket::Accepted`), run once hyper
    /// has written the 101. Boxed as `Any` so that this state's drop glue holds no Python
    /// object (the unit tests run without libpython).
    upgraded: RefCell<Option<Box<dyn std::any::Any>>>,
    /// The gate ended a request body that came too slowly: the handler answers 408.
    body_timed_out: Cell<bool>,
}

impl ConnState {
    /// Whether the gate ended the current request's body for coming too slowly.
    pub fn body_timed_out(&self) -> bool {
        self.body_timed_out.get()
    }

    /// Start the graceful stop on this connection.
    pub fn stop(&self) {
        self.stopping.set(true);
        if let Some(waker) = self.reader.take() {
            waker.wake();
        }
    }

    pub fn stopping(&self) -> bool {
        self.stopping.get()
    }

    /// Called by the request handler once per request, in order: the raw target, when hyper
    /// read an encoded one.
    pub fn next_raw_target(&self) -> Option<String> {
        let number = self.taken.get() + 1;
        self.taken.set(number);
        let mut queue = self.raw_targets.borrow_mut();
        if queue.front().is_some_and(|(n, _)| *n == number) {
            return queue.pop_front().map(|(_, raw)| raw);
        }
        None
    }

    /// A response body failed midway: the connection is closed after what was sent.
    pub fn cut(&self) {
        self.cut.set(true);
    }

    pub fn is_cut(&self) -> bool {
        self.cut.get()
    }

    /// Whether the request the handler took last ([`Self::next_raw_target`]) is a WebSocket
    /// request (`ENGINE_CONTRACT.md` §8).
    pub fn is_websocket_request(&self) -> bool {
        self.websocket_head.get() == self.taken.get() && self.taken.get() > 0
    }

    /// The WebSocket request was an ordinary request after all: read on.
    pub fn release(&self) {
        if self.held.replace(false) {
            if let Some(waker) = self.reader.take() {
                waker.wake();
            }
        }
    }

    pub fn upgrade_seen(&self) -> bool {
        self.upgrade_seen.get()
    }

    /// Keep the accepted WebSocket for the connection to run after the 101.
    pub fn set_upgraded(&self, accepted: crate::websocket::Accepted) {
        *self.upgraded.borrow_mut() = Some(Box::new(accepted));
    }

    pub fn take_upgraded(&self) -> Option<crate::websocket::Accepted> {
        let upgraded = self.upgraded.borrow_mut().take()?;
        upgraded.downcast().ok().map(|accepted| *accepted)
    }
}

/// The connection timers (`ServerConfig.header_timeout`, `keep_alive`); `None`: off.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub header: Option<Duration>,
    pub idle: Option<Duration>,
    pub body: BodyClock,
}

/// How slowly a request body may arrive (`ServerConfig.body_timeout`, `body_min_rate`,
/// `body_rate_grace`): no pause longer than `gap`, and — once `grace` has passed — at least
/// `min_rate` bytes per second on average; the clock runs while hyper waits for body bytes.
#[derive(Debug, Clone, Copy)]
pub struct BodyClock {
    pub gap: Option<Duration>,
    /// Bytes per second; 0: no minimum.
    pub min_rate: u64,
    pub grace: Duration,
}

impl BodyClock {
    pub const OFF: Self = Self {
        gap: None,
        min_rate: 0,
        grace: Duration::ZERO,
    };

    fn on(&self) -> bool {
        self.gap.is_some() || self.min_rate > 0
    }

    /// When a body whose clock started at `since`, whose last byte came at `last` and of
    /// which `read` bytes came since `since`, is cut.
    fn deadline(&self, since: Instant, last: Instant, read: u64) -> Instant {
        let mut deadline = far_after(since);
        if let Some(gap) = self.gap {
            deadline = deadline.min(last.checked_add(gap).unwrap_or(deadline));
        }
        if self.min_rate > 0 {
            #[allow(clippy::cast_precision_loss)] // seconds: a rounding error is nothing
            let earned = Duration::try_from_secs_f64(read as f64 / self.min_rate as f64)
                .unwrap_or(Duration::MAX);
            let allowed = self.grace.saturating_add(earned);
            deadline = deadline.min(since.checked_add(allowed).unwrap_or(deadline));
        }
        deadline
    }
}

/// An instant no timer reaches (a year on).
fn far_after(from: Instant) -> Instant {
    from + Duration::from_secs(365 * 24 * 3600)
}

#[derive(Debug)]
enum Phase {
    Head,
    Body(u64),
    Chunked(ChunkedFramer),
    /// hyper's input has ended.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    Off,
    /// Waiting for a head (408 if part of it came, a silent close if none did).
    Head,
    /// An idle keep-alive connection.
    Idle,
    /// Waiting for body bytes (`Timeouts::body`).
    Body,
}

/// The socket as hyper sees it (see the module documentation).
pub struct Gate<IO> {
    io: IO,
    /// Read from the socket, not yet handed to hyper.
    unread: BytesMut,
    /// Checked, waiting for hyper to read it.
    ready: Bytes,
    phase: Phase,
    limits: HeadLimits,
    timeouts: Timeouts,
    sleep: Pin<Box<Sleep>>,
    timer: Timer,
    /// Heads handed to hyper.
    heads: u64,
    /// The client closed its side.
    eof: bool,
    state: Rc<ConnState>,
    replies: Rc<ErrorReplies>,
    /// The error response still to write at shutdown, and how much of it is written.
    reply: Option<(Bytes, usize)>,
    /// Our side is shut down: waiting for the client's (`poll_linger`).
    lingering: bool,
    discarded: usize,
    /// The body clock: when it started, the last body byte's time, the bytes since.
    body_since: Instant,
    body_last: Instant,
    body_read: u64,
}

impl<IO> Gate<IO> {
    /// The socket and what was read from it but not handed to hyper (after an upgrade).
    pub fn into_parts(self) -> (IO, BytesMut) {
        (self.io, self.unread)
    }

    pub fn new(
        io: IO,
        limits: HeadLimits,
        timeouts: Timeouts,
        state: Rc<ConnState>,
        replies: Rc<ErrorReplies>,
    ) -> Self {
        let now = Instant::now();
        let mut gate = Self {
            io,
            unread: BytesMut::new(),
            ready: Bytes::new(),
            phase: Phase::Head,
            limits,
            timeouts,
            sleep: Box::pin(tokio::time::sleep_until(now)),
            timer: Timer::Off,
            heads: 0,
            eof: false,
            state,
            replies,
            reply: None,
            lingering: false,
            discarded: 0,
            body_since: now,
            body_last: now,
            body_read: 0,
        };
        // the first head is timed from the connection's start
        gate.arm(Timer::Head, now);
        gate
    }

    fn arm(&mut self, timer: Timer, from: Instant) {
        let limit = match timer {
            // the body clock is armed by `body_waiting`
            Timer::Off | Timer::Body => None,
            Timer::Head => self.timeouts.header,
            Timer::Idle => self.timeouts.idle,
        };
        match limit {
            Some(limit) => {
                self.sleep.as_mut().reset(from + limit);
                self.timer = timer;
            }
            None => self.timer = Timer::Off,
        }
    }

    /// `n` body bytes handed to hyper: the body clock's progress, and its end with the body.
    fn body_came(&mut self, n: usize) {
        if self.timer != Timer::Body {
            return;
        }
        if matches!(self.phase, Phase::Head) {
            self.timer = Timer::Off;
        } else if n > 0 {
            self.body_read += n as u64;
            self.body_last = Instant::now();
        }
    }

    /// hyper waits for body bytes the socket has not brought: the body clock runs (started
    /// now if it was not running), and ends the body with a 408 when it is late.
    fn body_waiting(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let clock = self.timeouts.body;
        if !clock.on() {
            return Poll::Pending;
        }
        if self.timer != Timer::Body {
            let now = Instant::now();
            self.timer = Timer::Body;
            self.body_since = now;
            self.body_last = now;
            self.body_read = 0;
            let deadline = clock.deadline(now, now, 0);
            self.sleep.as_mut().reset(deadline);
        }
        loop {
            if self.sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            let deadline = clock.deadline(self.body_since, self.body_last, self.body_read);
            if Instant::now() < deadline {
                self.sleep.as_mut().reset(deadline);
                continue;
            }
            self.state.body_timed_out.set(true);
            self.close(None); // hyper sees the body end early: the handler answers 408
            return Poll::Ready(());
        }
    }

    /// End hyper's input; with `status`, answer it at shutdown (without a body when the
    /// head being read names the method `HEAD`, as llhttp reads a method).
    fn close(&mut self, status: Option<u16>) {
        self.phase = Phase::Closed;
        self.timer = Timer::Off;
        if let Some(status) = status {
            let head = head_policy::names_head(&self.unread);
            self.reply = Some((self.replies.render(status, head), 0));
        }
        self.unread.clear();
    }

    /// Hand over what the current phase allows of `unread` (into `ready`); `false` when
    /// more must be read first.
    fn advance(&mut self) -> bool {
        if self.unread.is_empty() {
            return matches!(self.phase, Phase::Closed);
        }
        match &mut self.phase {
            Phase::Closed => true,
            Phase::Body(left) => {
                let take = usize::try_from(*left)
                    .map_or(self.unread.len(), |left| left.min(self.unread.len()));
                *left -= take as u64;
                if *left == 0 {
                    self.phase = Phase::Head;
                }
                self.ready = self.unread.split_to(take).freeze();
                self.body_came(take);
                true
            }
            Phase::Chunked(framer) => {
                let mut forward = Vec::with_capacity(self.unread.len());
                let Ok(take) = framer.feed(&self.unread, &mut forward) else {
                    // hyper sees the body end early: the handler answers 400
                    self.close(None);
                    return true;
                };
                if framer.done() {
                    self.phase = Phase::Head;
                }
                self.unread.advance(take);
                self.body_came(take);
                self.ready = Bytes::from(forward);
                // all of it may have been an extension: read on
                !self.ready.is_empty() || !matches!(self.phase, Phase::Chunked(_))
            }
            Phase::Head => match head_policy::check(&self.unread, &self.limits) {
                Verdict::Partial => false,
                Verdict::Reject(status) => {
                    self.close(Some(status));
                    true
                }
                Verdict::Accept(head) => {
                    self.accept(head);
                    true
                }
            },
        }
    }

    /// Hand an accepted head to hyper and follow its body.
    fn accept(&mut self, head: head_policy::Head) {
        self.heads += 1;
        self.timer = Timer::Off;
        let bytes = self.unread.split_to(head.len);
        self.ready = match head.retarget {
            None => bytes.freeze(),
            Some(re) => {
                self.state
                    .raw_targets
                    .borrow_mut()
                    .push_back((self.heads, re.raw));
                let mut out = Vec::with_capacity(bytes.len() + re.encoded.len());
                out.extend_from_slice(&bytes[..re.start]);
                out.extend_from_slice(re.encoded.as_bytes());
                out.extend_from_slice(&bytes[re.end..]);
                Bytes::from(out)
            }
        };
        match head.upgrade {
            head_policy::Upgrade::None => {}
            head_policy::Upgrade::Other => self.state.upgrade_seen.set(true),
            head_policy::Upgrade::WebSocket => {
                self.state.upgrade_seen.set(true);
                self.state.websocket_head.set(self.heads);
                // what follows is WebSocket frames if the handshake is accepted: held back
                // until the handler decides (a handshake with a body is refused, not held)
                if head.framing == Framing::None {
                    self.state.held.set(true);
                }
            }
        }
        self.phase = match head.framing {
            Framing::None => Phase::Head,
            Framing::Length(n) => Phase::Body(n),
            Framing::Chunked => Phase::Chunked(ChunkedFramer::new(
                self.limits.max_header_count,
                self.limits.max_header_size,
            )),
        };
    }
}

impl<IO: AsyncRead + Unpin> Gate<IO> {
    /// Read more from the socket into `unread` (`Ready(Ok(0))`: the client closed its side).
    fn fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        self.unread.reserve(READ_CHUNK);
        let spare = self.unread.spare_capacity_mut();
        let mut buf = ReadBuf::uninit(spare);
        match Pin::new(&mut self.io).poll_read(cx, &mut buf) {
            Poll::Ready(Ok(())) => {
                let n = buf.filled().len();
                // SAFETY: `poll_read` initialised the first `n` bytes of the spare capacity.
                unsafe { self.unread.set_len(self.unread.len() + n) };
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The timers and the stop, while hyper waits for a head or body bytes.
    fn waiting(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match self.phase {
            Phase::Head => {}
            Phase::Body(_) | Phase::Chunked(_) => return self.body_waiting(cx),
            Phase::Closed => return Poll::Pending,
        }
        let idle = self.unread.is_empty();
        if idle && self.heads > 0 {
            // between requests: a stop ends an idle connection at once
            if self.state.stopping() {
                self.close(None);
                return Poll::Ready(());
            }
            if self.timer == Timer::Off {
                self.arm(Timer::Idle, Instant::now());
            }
        } else if !idle && self.timer != Timer::Head {
            // the first byte of the next head starts its clock
            self.arm(Timer::Head, Instant::now());
        }
        if self.timer == Timer::Off || self.sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        match self.timer {
            Timer::Head if !idle => self.close(Some(408)),
            _ => self.close(None), // nothing came: closed without a response
        }
        Poll::Ready(())
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Gate<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.ready.is_empty() && this.state.held.get() {
                // after a WebSocket request: nothing more until `ConnState::release`
                let waker = match this.state.reader.take() {
                    Some(old) if old.will_wake(cx.waker()) => old,
                    _ => cx.waker().clone(),
                };
                this.state.reader.set(Some(waker));
                return Poll::Pending;
            }
            if !this.ready.is_empty() {
                let n = this.ready.len().min(out.remaining());
                out.put_slice(&this.ready[..n]);
                this.ready.advance(n);
                return Poll::Ready(Ok(()));
            }
            if this.advance() {
                if matches!(this.phase, Phase::Closed) && this.ready.is_empty() {
                    return Poll::Ready(Ok(())); // the end of hyper's input
                }
                continue;
            }
            if this.eof {
                // the client closed its side: what is left is an incomplete head or body
                this.close(None);
                return Poll::Ready(Ok(()));
            }
            // what the socket has first: a head half received when the server stops (or
            // when a timer runs out) is read before either is looked at
            match this.fill(cx) {
                Poll::Ready(Ok(0)) => this.eof = true,
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                Poll::Pending => {
                    if this.waiting(cx).is_ready() {
                        continue;
                    }
                    // kept for `ConnState::stop` (cloned only when the task changed)
                    let waker = match this.state.reader.take() {
                        Some(old) if old.will_wake(cx.waker()) => old,
                        _ => cx.waker().clone(),
                    };
                    this.state.reader.set(Some(waker));
                    return Poll::Pending;
                }
            }
        }
    }
}

fn cut_error() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "a response body failed")
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Gate<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, data)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(Pin::new(&mut this.io).poll_flush(cx))?;
        if this.state.cut.get() {
            // what hyper had is sent: now the connection ends, without the last chunk
            return Poll::Ready(Err(cut_error()));
        }
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while let Some((reply, written)) = &mut this.reply {
            if *written == reply.len() {
                this.reply = None;
                break;
            }
            let n = std::task::ready!(Pin::new(&mut this.io).poll_write(cx, &reply[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        if !this.lingering {
            std::task::ready!(Pin::new(&mut this.io).poll_shutdown(cx))?;
            this.lingering = true;
            this.sleep.as_mut().reset(Instant::now() + LINGER);
        }
        this.poll_linger(cx)
    }
}

impl<IO: AsyncRead + Unpin> Gate<IO> {
    /// After our FIN: read and discard what the client still sends until it closes too, for
    /// [`LINGER`] and [`LINGER_BYTES`] at most. Closing a socket with unread input makes the
    /// kernel reset the connection, and a reset can destroy the answer just sent before the
    /// client reads it (a 413 to a client still uploading, a 400 behind pipelined requests).
    fn poll_linger(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.eof && self.discarded < LINGER_BYTES {
            self.unread.clear();
            match self.fill(cx) {
                Poll::Ready(Ok(0) | Err(_)) => break,
                Poll::Ready(Ok(n)) => self.discarded += n,
                Poll::Pending => {
                    if self.sleep.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    break;
                }
            }
        }
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::{ConnState, Gate, Timeouts};
    use crate::head_policy::HeadLimits;
    use crate::response::ErrorReplies;

    const LIMITS: HeadLimits = HeadLimits {
        max_uri: 64,
        max_header_size: 1024,
        max_header_count: 16,
        max_body: 100,
    };

    /// A gate over `server` with the test limits and no timers.
    fn gate(
        server: tokio::io::DuplexStream,
        state: &Rc<ConnState>,
    ) -> Gate<tokio::io::DuplexStream> {
        let timeouts = Timeouts {
            header: None,
            idle: None,
            body: super::BodyClock::OFF,
        };
        let replies = Rc::new(ErrorReplies::default());
        Gate::new(server, LIMITS, timeouts, Rc::clone(state), replies)
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(future)
    }

    /// What hyper would read through a gate from a client that sent `input` and closed its
    /// side, and what the gate writes at shutdown.
    fn through(input: &[u8]) -> (Vec<u8>, Vec<u8>, Rc<ConnState>) {
        block_on(async {
            let (mut client, server) = tokio::io::duplex(1 << 16);
            client.write_all(input).await.expect("written");
            client.shutdown().await.expect("half-closed");
            let state = Rc::new(ConnState::default());
            let mut gate = gate(server, &state);
            let mut seen = Vec::new();
            gate.read_to_end(&mut seen).await.expect("read");
            gate.shutdown().await.expect("shut down");
            drop(gate);
            let mut written = Vec::new();
            client.read_to_end(&mut written).await.expect("read back");
            (seen, written, state)
        })
    }

    /// What hyper reads through a gate of a stopping server from a client that sent `input`
    /// and keeps its side open (the gate must end the input itself, or this never returns).
    fn through_a_stop(input: &[u8]) -> Vec<u8> {
        block_on(async {
            let (mut client, server) = tokio::io::duplex(1 << 16);
            client.write_all(input).await.expect("written");
            let state = Rc::new(ConnState::default());
            state.stop();
            let mut seen = Vec::new();
            gate(server, &state)
                .read_to_end(&mut seen)
                .await
                .expect("read");
            seen
        })
    }

    #[test]
    fn a_stop_ends_the_input_between_requests_and_not_before_the_first() {
        let input = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";
        // both heads pass (the second was received already); then the idle connection ends
        assert_eq!(through_a_stop(input), input.to_vec());
    }

    #[test]
    fn pipelined_requests_pass_as_they_came() {
        let input = b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc\
                      POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
                      1\r\nz\r\n0\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n";
        let (seen, written, _) = through(input);
        assert_eq!(seen, input.to_vec());
        assert!(written.is_empty());
    }

    #[test]
    fn a_refused_head_ends_the_input_and_is_answered_at_shutdown() {
        let good = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
        let mut input = good.clone();
        input.extend_from_slice(b"GET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n");
        let (seen, written, _) = through(&input);
        assert_eq!(seen, good, "nothing after the refused head reaches hyper");
        let reply = String::from_utf8_lossy(&written);
        assert!(reply.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{reply}");
        assert!(reply.contains("\r\nconnection: close\r\n"), "{reply}");
        assert!(reply.contains("\r\ncontent-length: 0\r\n"), "{reply}");
    }

    #[test]
    fn a_declared_body_over_the_limit_is_413_before_any_of_it_passes() {
        let (seen, written, _) =
            through(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\nabc");
        assert!(seen.is_empty());
        assert!(written.starts_with(b"HTTP/1.1 413 "));
    }

    #[test]
    fn a_bad_chunk_ends_the_input_mid_body_with_no_reply_of_its_own() {
        let head = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        let mut input = head.to_vec();
        input.extend_from_slice(b"1 \r\nz\r\n0\r\n\r\n");
        let (seen, written, _) = through(&input);
        // hyper gets the head, then the end: its body fails, the handler answers 400
        assert_eq!(seen, head.to_vec());
        assert!(written.is_empty());
    }

    #[test]
    fn a_head_cut_short_is_closed_without_a_word() {
        let (seen, written, _) = through(b"GET /a HTTP/1.1\r\nHost:");
        assert!(seen.is_empty());
        assert!(written.is_empty());
    }

    #[test]
    fn a_target_uri_refuses_is_encoded_and_its_raw_form_kept_for_its_request() {
        let input = b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\nGET /a<b> HTTP/1.1\r\nHost: x\r\n\r\n";
        let (seen, _, state) = through(input);
        let expected =
            b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\nGET /a%3Cb%3E HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(seen, expected.to_vec());
        assert_eq!(state.next_raw_target(), None);
        assert_eq!(state.next_raw_target().as_deref(), Some("/a<b>"));
    }

    #[test]
    fn a_websocket_request_holds_what_follows_until_released_or_taken() {
        let head =
            b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
        let next = b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
        block_on(async {
            let (mut client, server) = tokio::io::duplex(1 << 16);
            client.write_all(head).await.expect("written");
            client.write_all(next).await.expect("written");
            client.shutdown().await.expect("half-closed");
            let state = Rc::new(ConnState::default());
            let mut gate = gate(server, &state);
            let mut buf = vec![0; 4096];
            let n = gate.read(&mut buf).await.expect("read");
            assert_eq!(&buf[..n], head.as_slice());
            assert!(state.upgrade_seen());
            assert_eq!(state.next_raw_target(), None);
            assert!(state.is_websocket_request());
            // held: nothing more reaches hyper
            let wait = std::time::Duration::from_millis(20);
            assert!(tokio::time::timeout(wait, gate.read(&mut buf))
                .await
                .is_err());
            // an ordinary request after all: the next head passes
            state.release();
            let mut rest = Vec::new();
            gate.read_to_end(&mut rest).await.expect("read");
            assert_eq!(rest, next.to_vec());
            assert_eq!(state.next_raw_target(), None);
            assert!(!state.is_websocket_request());
        });
        // accepted instead: what was read past the head stays for the WebSocket
        block_on(async {
            let (mut client, server) = tokio::io::duplex(1 << 16);
            client.write_all(head).await.expect("written");
            client.write_all(b"\x81\x80frame").await.expect("written");
            let state = Rc::new(ConnState::default());
            let mut gate = gate(server, &state);
            let mut buf = vec![0; 4096];
            let n = gate.read(&mut buf).await.expect("read");
            assert_eq!(&buf[..n], head.as_slice());
            let (_io, unread) = gate.into_parts();
            assert!(unread.is_empty() || unread.as_ref() == b"\x81\x80frame");
        });
    }
}
