//! Per-person limits, per node: how many commands a person sends, and how many emails
//! their commands cause (scheduling with 200 attendees, or moving such a meeting, mails
//! each of them: veche must not be a way to bomb mailboxes). Over a limit a request is
//! answered 429 with `Retry-After`, before anything is recorded.
//!
//! Each limit is a token bucket per person (`sub`). A command needs a token of each bucket
//! to start; once it is recorded, the emails it caused are taken from the email bucket,
//! which may go below zero (a large meeting is accepted, and the next ones wait until the
//! bucket has refilled). Limits are per node: behind a load balancer a person's share is
//! the limit times the nodes they reach.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// People tracked before the full buckets (people idle long enough) are forgotten.
const TRACKED: usize = 10_000;

/// One kind of limit: `per_second` tokens refill each bucket, up to `burst`.
pub struct KeyedBuckets {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl KeyedBuckets {
    /// `per_second` of zero turns the limit off.
    pub fn new(per_second: f64, burst: f64) -> Self {
        Self { per_second, burst: burst.max(1.0), buckets: Mutex::default() }
    }

    fn enabled(&self) -> bool {
        self.per_second > 0.0
    }

    /// Changes `key`'s bucket by `delta` tokens (after refilling it) if that leaves at least
    /// `floor`; otherwise says how long until it would.
    fn adjust(&self, key: &str, delta: f64, floor: f64) -> Result<(), Duration> {
        if !self.enabled() {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= TRACKED && !buckets.contains_key(key) {
            let (per_second, burst) = (self.per_second, self.burst);
            buckets.retain(|_, (tokens, at)| *tokens + at.elapsed().as_secs_f64() * per_second < burst);
        }
        let (tokens, at) = buckets.entry(key.to_string()).or_insert((self.burst, now));
        let refilled = (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        if refilled + delta < floor {
            let missing = floor - (refilled + delta);
            return Err(Duration::from_secs_f64(missing / self.per_second).max(Duration::from_secs(1)));
        }
        (*tokens, *at) = (refilled + delta, now);
        Ok(())
    }

    /// Takes one token, or says how long until there is one.
    pub fn take(&self, key: &str) -> Result<(), Duration> {
        self.adjust(key, -1.0, 0.0)
    }

    /// Whether `key` has a token now (taking none).
    pub fn has_one(&self, key: &str) -> Result<(), Duration> {
        self.adjust(key, 0.0, 1.0)
    }

    /// Takes `n` tokens whatever is left (the bucket may go below zero).
    pub fn charge(&self, key: &str, n: f64) {
        let _ = self.adjust(key, -n, f64::NEG_INFINITY);
    }
}

/// The limits of one node.
pub struct PersonLimits {
    pub commands: KeyedBuckets,
    pub emails: KeyedBuckets,
}

impl PersonLimits {
    /// `commands_per_second` (bursts of ten times that, at least 10) and `emails_per_hour`
    /// (bursts of a quarter of that, at least 400: two meetings of 200 attendees); zero
    /// turns a limit off.
    pub fn new(commands_per_second: f64, emails_per_hour: f64) -> Self {
        Self {
            commands: KeyedBuckets::new(commands_per_second, (commands_per_second * 10.0).max(10.0)),
            emails: KeyedBuckets::new(emails_per_hour / 3600.0, (emails_per_hour / 4.0).max(400.0)),
        }
    }

    /// Lets a command of `person` start, or says how long to wait.
    pub fn admit(&self, person: &str) -> Result<(), Duration> {
        self.emails.has_one(person)?;
        self.commands.take(person)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_holds_and_people_do_not_share_a_bucket() {
        let limits = KeyedBuckets::new(1.0, 3.0);
        for _ in 0..3 {
            assert_eq!(limits.take("ann"), Ok(()));
        }
        let wait = limits.take("ann").unwrap_err();
        assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_secs(2), "{wait:?}");
        assert_eq!(limits.take("bob"), Ok(()), "Bob has a bucket of his own");
    }

    #[test]
    fn emails_caused_are_charged_after_the_fact_and_hold_back_the_next_command() {
        let limits = PersonLimits::new(10.0, 3600.0);
        assert_eq!(limits.admit("ann"), Ok(()));
        limits.emails.charge("ann", 1000.0);
        let wait = limits.admit("ann").unwrap_err();
        assert!(wait > Duration::from_secs(60), "about the time 600 emails take to refill: {wait:?}");
        assert_eq!(limits.admit("bob"), Ok(()));
    }

    #[test]
    fn a_limit_of_zero_is_off() {
        let limits = PersonLimits::new(0.0, 0.0);
        for _ in 0..10_000 {
            assert_eq!(limits.admit("ann"), Ok(()));
        }
    }
}
