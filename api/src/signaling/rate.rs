//! A connection's rate limit, the same for every dialect.

use super::connection::ConnectionLimits;
use std::time::Instant;

/// The connection's rate limit; its rate and burst are the node's [`ConnectionLimits`].
pub struct TokenBucket {
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(limits: &ConnectionLimits) -> Self {
        Self { tokens: limits.burst as f64, last: Instant::now() }
    }

    pub fn take(&mut self, limits: &ConnectionLimits) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * limits.messages_per_second as f64;
        self.tokens = (self.tokens + refill).min(limits.burst as f64);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
