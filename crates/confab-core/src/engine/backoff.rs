//! Exponential backoff with full jitter, for every retry of the engine.

use std::time::Duration;

/// Exponential backoff with full jitter.
#[derive(Debug, Clone)]
pub struct Backoff {
    attempt: u32,
    max: Duration,
}

impl Backoff {
    pub fn new(max: Duration) -> Self {
        Self { attempt: 0, max }
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The next wait: random within [half, all] of min(max, 1 s * 2^attempt).
    pub fn next(&mut self) -> Duration {
        let delay = delay_for(self.attempt, self.max);
        self.attempt = self.attempt.saturating_add(1);
        delay
    }
}

/// The jittered wait before attempt `attempt` (0-based).
pub fn delay_for(attempt: u32, max: Duration) -> Duration {
    use rand::Rng;
    let full = Duration::from_secs(1)
        .saturating_mul(2u32.saturating_pow(attempt.min(16)))
        .min(max);
    let millis = u64::try_from(full.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::rng().random_range(millis / 2..=millis.max(1)))
}
