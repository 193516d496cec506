//! The graceful stop of `ENGINE_CONTRACT.md` §5, as one state every worker and connection
//! watches.
//!
//! The first SIGTERM/SIGINT (or the stop token) sets `stop`: each worker takes in its backlog
//! and closes its socket (`crate::server::accept`), each connection ends its input when idle
//! and answers what it has with `connection: close` (`crate::server::gate`,
//! `crate::dispatch::serve`). The main thread then waits [`until_drained`]: for every worker
//! to report its connections finished, for `graceful_timeout`, or for a second SIGINT —
//! whichever comes first. Past the timeout the engine logs how many requests it cuts, and
//! `cut` makes the workers drop their connections.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

/// The stop and the cut, broadcast to the workers.
pub struct Drain {
    stop: watch::Sender<bool>,
    cut: watch::Sender<bool>,
}

impl Default for Drain {
    fn default() -> Self {
        Self {
            stop: watch::Sender::new(false),
            cut: watch::Sender::new(false),
        }
    }
}

impl Drain {
    /// Watch for the graceful stop.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Watch for the cut (the graceful stop ran out of time).
    pub fn subscribe_cut(&self) -> watch::Receiver<bool> {
        self.cut.subscribe()
    }

    /// Resolves once `flag` (from [`Self::subscribe`] or [`Self::subscribe_cut`]) is set.
    pub async fn stopped(flag: &mut watch::Receiver<bool>) {
        // an error means the `Drain` is gone: the server is over as well
        let _ = flag.wait_for(|set| *set).await;
    }

    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    pub fn cut(&self) {
        self.cut.send_replace(true);
    }
}

/// How a graceful stop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Every connection finished.
    Drained,
    /// `graceful_timeout` passed first.
    TimedOut,
    /// A second SIGINT came first.
    Interrupted,
}

/// Wait for `drained` for at most `graceful`, or until `interrupt` resolves.
pub async fn until_drained(
    drained: impl Future<Output = ()>,
    graceful: Duration,
    interrupt: impl Future<Output = ()>,
) -> Ended {
    tokio::select! {
        biased;
        () = drained => Ended::Drained,
        () = interrupt => Ended::Interrupted,
        () = tokio::time::sleep(graceful) => Ended::TimedOut,
    }
}

/// The warning when the timeout cuts `cut` requests (the Python engine prints the same).
pub fn timeout_message(graceful: Duration, cut: usize) -> String {
    format!(
        "bolt: graceful timeout ({}s) expired; cutting {cut} request(s) in flight",
        graceful.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{timeout_message, until_drained, Drain, Ended};

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("a runtime")
            .block_on(future)
    }

    #[test]
    fn a_stop_that_drains_in_time_is_not_cut() {
        let ended = block_on(async {
            let drained = tokio::time::sleep(Duration::from_secs(2));
            until_drained(drained, Duration::from_secs(30), std::future::pending()).await
        });
        assert_eq!(ended, Ended::Drained);
    }

    #[test]
    fn requests_still_running_at_the_timeout_are_cut() {
        let ended = block_on(async {
            let drained = tokio::time::sleep(Duration::from_secs(31));
            until_drained(drained, Duration::from_secs(30), std::future::pending()).await
        });
        assert_eq!(ended, Ended::TimedOut);
    }

    #[test]
    fn a_second_interrupt_cuts_at_once() {
        let ended = block_on(async {
            let interrupt = tokio::time::sleep(Duration::from_secs(1));
            until_drained(std::future::pending(), Duration::from_secs(30), interrupt).await
        });
        assert_eq!(ended, Ended::Interrupted);
    }

    #[test]
    fn the_cut_is_reported_with_the_timeout_and_the_count() {
        assert_eq!(
            timeout_message(Duration::from_millis(1500), 2),
            "bolt: graceful timeout (1.5s) expired; cutting 2 request(s) in flight"
        );
    }

    #[test]
    fn subscribers_see_a_stop_sent_before_or_after_they_wait() {
        block_on(async {
            let drain = Drain::default();
            let mut early = drain.subscribe();
            drain.stop();
            let mut late = drain.subscribe();
            Drain::stopped(&mut early).await;
            Drain::stopped(&mut late).await;
            let mut cut = drain.subscribe_cut();
            assert!(!*cut.borrow_and_update());
            drain.cut();
            Drain::stopped(&mut cut).await;
        });
    }
}
