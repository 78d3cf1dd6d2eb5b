//! The sliding one-second window the pacer admits messages through: a log of when each
//! recent message went out. One algorithm serves both the in-process window and the one
//! shared through a file by every robo-tui process on a gateway.

use std::time::Duration;

/// How long a message counts against the budget. IB counts 50 a second; the window is a
/// tenth longer than a second so that delays between our send and the gateway's count (the
/// write queued behind others, a loaded machine, the network) never let one of the gateway's
/// seconds see more than the budget. A burst up to the budget still goes at once.
pub const WINDOW: Duration = Duration::from_millis(1100);

/// Room for the highest budget (200) with space to spare.
pub const SLOTS: usize = 256;

/// One sent message: when (nanoseconds on the shared monotonic clock; 0 = empty) and by
/// which process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Slot {
    pub at: u64,
    pub pid: u32,
}

/// What a window answers to "may `n` messages go now?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    Now,
    /// Not yet: the oldest message in the window leaves it after this long.
    Wait(Duration),
}

fn window_nanos() -> u64 {
    u64::try_from(WINDOW.as_nanos()).unwrap_or(u64::MAX)
}

/// Whether a slot counts at `now`. A time in the future cannot have been written by a live
/// process on this clock (messages are only logged as they go): it is stale (another boot, a
/// torn write) and is ignored, so it can never block anyone.
fn live(slot: &Slot, now: u64) -> bool {
    slot.at != 0 && slot.at <= now && now - slot.at < window_nanos()
}

/// Messages in the window at `now`.
pub fn in_window(slots: &[Slot], now: u64) -> u32 {
    u32::try_from(slots.iter().filter(|s| live(s, now)).count()).unwrap_or(u32::MAX)
}

/// Distinct processes with a message in the window at `now`.
pub fn senders(slots: &[Slot], now: u64) -> usize {
    let mut pids: Vec<u32> = slots.iter().filter(|s| live(s, now)).map(|s| s.pid).collect();
    pids.sort_unstable();
    pids.dedup();
    pids.len()
}

/// Admit `n` messages at `now` under `budget` (logging them), or say how long until the
/// oldest leaves the window. `force` logs them regardless (a message already sent).
pub fn admit(slots: &mut [Slot], now: u64, budget: u32, n: u32, pid: u32, force: bool) -> Admit {
    let count = in_window(slots, now);
    if !force && count.saturating_add(n) > budget && count > 0 {
        let oldest = slots.iter().filter(|s| live(s, now)).map(|s| s.at).min().unwrap_or(now);
        let leaves = oldest.saturating_add(window_nanos());
        return Admit::Wait(Duration::from_nanos(leaves.saturating_sub(now).max(1)));
    }
    let mut left = n;
    for slot in slots.iter_mut() {
        if left == 0 {
            break;
        }
        if !live(slot, now) {
            *slot = Slot { at: now.max(1), pid };
            left -= 1;
        }
    }
    // A full log (only with `force`): the oldest entries make room.
    while left > 0 {
        let Some(oldest) = slots.iter_mut().min_by_key(|s| s.at) else { break };
        *oldest = Slot { at: now.max(1), pid };
        left -= 1;
    }
    Admit::Now
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn admits_up_to_the_budget_then_names_when_the_oldest_leaves() {
        let mut slots = vec![Slot::default(); SLOTS];
        for i in 0..45 {
            assert_eq!(admit(&mut slots, 1_000 * MS + i, 45, 1, 7, false), Admit::Now);
        }
        let wait = admit(&mut slots, 1_500 * MS, 45, 1, 7, false);
        assert_eq!(wait, Admit::Wait(Duration::from_nanos(1_000 * MS + window_nanos() - 1_500 * MS)));
        assert_eq!(in_window(&slots, 1_500 * MS), 45);
        // The oldest has left: one more fits.
        assert_eq!(admit(&mut slots, 1_000 * MS + window_nanos(), 45, 1, 7, false), Admit::Now);
    }

    #[test]
    fn stale_slots_from_the_future_or_long_ago_never_count() {
        let mut slots = vec![Slot { at: u64::MAX - 5, pid: 1 }; SLOTS];
        slots[0] = Slot { at: 10, pid: 2 };
        assert_eq!(in_window(&slots, 5_000 * MS), 0);
        assert_eq!(admit(&mut slots, 5_000 * MS, 1, 1, 3, false), Admit::Now);
        assert_eq!(senders(&slots, 5_000 * MS), 1);
    }

    #[test]
    fn a_request_larger_than_the_budget_still_goes_once_the_window_is_empty() {
        let mut slots = vec![Slot::default(); SLOTS];
        assert_eq!(admit(&mut slots, MS, 2, 3, 1, false), Admit::Now);
        assert_eq!(in_window(&slots, MS), 3);
    }
}
