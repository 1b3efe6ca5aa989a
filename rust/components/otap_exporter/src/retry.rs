//! Exponential backoff with jitter (the Go exporterhelper's shape).

use std::time::Duration;

use crate::config::RetryConfig;

pub(crate) struct Backoff {
    next: Duration,
    cfg: RetryConfig,
    seed: u64,
}

impl Backoff {
    pub fn new(cfg: &RetryConfig) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e3779b97f4a7c15)
            | 1;
        Backoff {
            next: cfg.initial_interval,
            cfg: cfg.clone(),
            seed,
        }
    }

    /// The next delay: the current interval ± randomization, then grow it.
    pub fn next_delay(&mut self) -> Duration {
        // xorshift64: jitter needs spread, not cryptographic randomness.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let unit = (self.seed % 10_000) as f64 / 10_000.0; // [0, 1)
        let rf = self.cfg.randomization_factor;
        let factor = 1.0 - rf + 2.0 * rf * unit;
        let delay = self.next.mul_f64(factor);
        self.next = self.next.mul_f64(self.cfg.multiplier).min(self.cfg.max_interval);
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_cap_within_jitter_bounds() {
        let cfg = RetryConfig {
            initial_interval: Duration::from_millis(100),
            max_interval: Duration::from_millis(300),
            multiplier: 2.0,
            randomization_factor: 0.5,
            ..RetryConfig::default()
        };
        let mut b = Backoff::new(&cfg);
        let expected_base = [100u64, 200, 300, 300];
        for base in expected_base {
            let d = b.next_delay().as_millis() as u64;
            assert!(
                d >= base / 2 && d <= base * 3 / 2,
                "delay {d}ms outside ±50% of {base}ms"
            );
        }
    }
}
