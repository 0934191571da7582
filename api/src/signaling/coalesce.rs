//! Coalescing a busy hub's wake-ups, as a network card coalesces its interrupts.
//!
//! Relaying a message costs the hub little; being woken for it costs more: a worker thread
//! that runs out of work sleeps in the kernel until the next socket is ready, so under load it
//! is woken for nearly every message and writes one or two per system call. A worker that has
//! just relayed messages therefore waits a short moment before it goes to sleep: what arrives
//! meanwhile is read, relayed and written in one pass. A worker that relayed nothing since it
//! last slept (HTTP, projections, an idle hub) goes to sleep at once, and an event that finds
//! the worker asleep is handled at once: only a message that arrives during the moment waits,
//! and for at most that moment.

use std::cell::Cell;
use std::time::Duration;

thread_local! {
    /// Whether this thread wrote queued messages (relayed signals, notices, pings) since it
    /// last went to sleep.
    static WROTE_SINCE_PARK: Cell<bool> = const { Cell::new(false) };
}

/// Called for each write of queued messages to a client.
pub fn wrote() {
    WROTE_SINCE_PARK.with(|wrote| wrote.set(true));
}

/// The runtime's hook before a worker thread sleeps (`VECHE_SIGNAL_COALESCE_MICROS`).
pub fn before_park(moment: Duration) {
    if wrote_since_last_sleep() && !moment.is_zero() {
        std::thread::sleep(moment);
    }
}

/// Whether this thread wrote queued messages since it last went to sleep (and it goes now).
fn wrote_since_last_sleep() -> bool {
    WROTE_SINCE_PARK.with(|wrote| wrote.replace(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_thread_that_relayed_nothing_goes_to_sleep_at_once() {
        assert!(!wrote_since_last_sleep());
        let started = Instant::now();
        before_park(Duration::from_secs(60));
        assert!(started.elapsed() < Duration::from_secs(30));
    }

    #[test]
    fn a_thread_that_relayed_waits_the_moment_once_then_sleeps_at_once() {
        wrote();
        wrote();
        let started = Instant::now();
        before_park(Duration::from_millis(50));
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert!(!wrote_since_last_sleep(), "the count starts again after each sleep");
    }

    #[test]
    fn a_zero_moment_turns_coalescing_off() {
        wrote();
        let started = Instant::now();
        before_park(Duration::ZERO);
        assert!(started.elapsed() < Duration::from_secs(30));
    }
}
