//! Capped exponential backoff with jitter for reconnect attempts.

use std::time::Duration;

/// Delays of 1 s, 2 s, 4 s … up to `max`, each with up to 20 % jitter so that several
/// clients of one gateway do not retry in lockstep.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
    seed: u64,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Self {
        let seed = std::process::id() as u64 ^ 0x9e37_79b9_7f4a_7c15;
        Backoff { initial, max, next: initial, seed }
    }

    /// The delay before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.max);
        // splitmix64 step: cheap, deterministic per process, good enough for jitter.
        self.seed = self.seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let jitter = base.mul_f64((z % 1000) as f64 / 1000.0 * 0.2);
        (base + jitter).min(self.max)
    }

    /// After a connection that worked, start again from the initial delay.
    pub fn reset(&mut self) {
        self.next = self.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_to_the_cap_and_reset() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        let delays: Vec<Duration> = (0..8).map(|_| backoff.next_delay()).collect();
        let bases = [1, 2, 4, 8, 16, 30, 30, 30];
        for (delay, base) in delays.iter().zip(bases) {
            let base = Duration::from_secs(base);
            assert!(*delay >= base.min(Duration::from_secs(30)), "{delay:?} < {base:?}");
            assert!(*delay <= (base.mul_f64(1.2)).min(Duration::from_secs(30)), "{delay:?} > {base:?} + 20%");
        }
        backoff.reset();
        assert!(backoff.next_delay() < Duration::from_millis(1200));
    }
}
