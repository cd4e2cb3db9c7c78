//! Hybrid logical clocks: wall-clock milliseconds plus a counter. Used for display and
//! for deterministic tie-breaks only; causality comes from version vectors (DESIGN §5).

use serde::{Deserialize, Serialize};

use crate::OpError;

/// How far ahead of our clock an incoming op may be (field laptops have wrong clocks,
/// but a clock years ahead would pin every later edit behind it).
pub const MAX_DRIFT_MS: u64 = 24 * 60 * 60 * 1000;

/// A hybrid logical timestamp. Ordered by wall time, then counter.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch, as the writer's clock saw it.
    pub wall_ms: u64,
    /// Tie-breaker within one millisecond.
    pub counter: u32,
}

impl Hlc {
    /// The next timestamp after `last`, given the wall clock `now_ms`.
    pub fn tick(last: Hlc, now_ms: u64) -> Hlc {
        if now_ms > last.wall_ms {
            Hlc {
                wall_ms: now_ms,
                counter: 0,
            }
        } else if last.counter < u32::MAX {
            Hlc {
                wall_ms: last.wall_ms,
                counter: last.counter + 1,
            }
        } else {
            Hlc {
                wall_ms: last.wall_ms.saturating_add(1),
                counter: 0,
            }
        }
    }

    /// Refuses a timestamp too far ahead of `now_ms`.
    pub fn check_drift(self, now_ms: u64) -> Result<(), OpError> {
        if self.wall_ms > now_ms.saturating_add(MAX_DRIFT_MS) {
            return Err(OpError::ClockDrift);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_is_strictly_increasing_even_when_the_clock_goes_back() {
        let mut last = Hlc {
            wall_ms: 1000,
            counter: 0,
        };
        for now in [1001, 900, 900, 1001, 5000] {
            let next = Hlc::tick(last, now);
            assert!(next > last);
            last = next;
        }
        let max = Hlc {
            wall_ms: 7,
            counter: u32::MAX,
        };
        assert!(Hlc::tick(max, 0) > max);
    }

    #[test]
    fn drift_is_bounded() {
        let now = 10_000_000;
        assert!(
            Hlc {
                wall_ms: now + MAX_DRIFT_MS,
                counter: 0
            }
            .check_drift(now)
            .is_ok()
        );
        assert!(
            Hlc {
                wall_ms: now + MAX_DRIFT_MS + 1,
                counter: 0
            }
            .check_drift(now)
            .is_err()
        );
    }
}
