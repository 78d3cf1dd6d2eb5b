//! Idempotent submission: every confirmed ticket gets an intent id (carried in the order's
//! `order_ref` and the journal), and the [`SubmitGate`] lets each intent be sent once only,
//! so a double Enter or a restart can never send an order twice.

use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// Makes intent ids unique across runs without a UUID crate: the run's start time to the
/// millisecond, the process id and a counter, e.g. `rt-20261127T150000123-1f2e-1`.
#[derive(Debug, Clone)]
pub struct IntentIdGen {
    prefix: String,
    counter: u64,
}

impl IntentIdGen {
    pub fn new(run_started: DateTime<Utc>) -> Self {
        IntentIdGen::with_pid(run_started, std::process::id())
    }

    fn with_pid(run_started: DateTime<Utc>, pid: u32) -> Self {
        IntentIdGen { prefix: format!("rt-{}-{pid:x}", run_started.format("%Y%m%dT%H%M%S%3f")), counter: 0 }
    }

    /// The next intent id (put it in the order's `order_ref`).
    pub fn next_id(&mut self) -> String {
        self.counter += 1;
        format!("{}-{}", self.prefix, self.counter)
    }

    /// The part shared by this run's ids: a good `run_id` for the journal.
    pub fn run_id(&self) -> &str {
        &self.prefix
    }
}

/// An intent id that was already submitted (or journaled by an earlier run).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("intent {0} was already submitted: not sending it again")]
pub struct AlreadySubmitted(pub String);

/// Refuses a second submit of the same intent.
#[derive(Debug, Clone, Default)]
pub struct SubmitGate {
    used: HashSet<String>,
}

impl SubmitGate {
    /// A gate that already knows every intent id in the journal (seed it after a restart, so
    /// nothing journaled is ever resent).
    pub fn with_known<'a>(intent_ids: impl IntoIterator<Item = &'a str>) -> Self {
        SubmitGate { used: intent_ids.into_iter().map(str::to_string).collect() }
    }

    /// Claims a group's id and its legs' ids together: all or none (a leg id seen before
    /// refuses the whole group).
    pub fn claim_all(&mut self, group_id: &str, leg_ids: &[String]) -> Result<(), AlreadySubmitted> {
        let all = std::iter::once(group_id).chain(leg_ids.iter().map(String::as_str));
        if let Some(used) = all.clone().find(|id| self.used.contains(*id)) {
            return Err(AlreadySubmitted(used.to_string()));
        }
        self.used.extend(all.map(str::to_string));
        Ok(())
    }

    /// Whether `intent_id` was claimed (or journaled by an earlier run).
    pub fn knows(&self, intent_id: &str) -> bool {
        self.used.contains(intent_id)
    }

    /// Claims `intent_id` for submission; the second claim of the same id fails.
    pub fn claim(&mut self, intent_id: &str) -> Result<(), AlreadySubmitted> {
        if self.used.insert(intent_id.to_string()) {
            Ok(())
        } else {
            Err(AlreadySubmitted(intent_id.to_string()))
        }
    }

    pub fn is_used(&self, intent_id: &str) -> bool {
        self.used.contains(intent_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ids_are_distinct_and_carry_the_run() {
        let start = Utc.with_ymd_and_hms(2026, 11, 27, 15, 0, 0).unwrap();
        let mut g = IntentIdGen::with_pid(start, 0x1f2e);
        assert_eq!(g.run_id(), "rt-20261127T150000000-1f2e");
        assert_eq!(g.next_id(), "rt-20261127T150000000-1f2e-1");
        assert_eq!(g.next_id(), "rt-20261127T150000000-1f2e-2");
        let mut other_run = IntentIdGen::with_pid(start + chrono::TimeDelta::milliseconds(1), 0x1f2e);
        assert_ne!(other_run.next_id(), "rt-20261127T150000000-1f2e-1");
        let ids: HashSet<String> = (0..1000).map(|_| g.next_id()).collect();
        assert_eq!(ids.len(), 1000);
    }

    #[test]
    fn the_same_intent_passes_the_gate_once() {
        let mut gate = SubmitGate::default();
        assert_eq!(gate.claim("rt-1"), Ok(()));
        assert_eq!(gate.claim("rt-1"), Err(AlreadySubmitted("rt-1".into())));
        assert_eq!(gate.claim("rt-2"), Ok(()));
        assert_eq!(
            AlreadySubmitted("rt-1".into()).to_string(),
            "intent rt-1 was already submitted: not sending it again"
        );
    }

    #[test]
    fn intents_from_the_journal_are_never_claimed_again() {
        let mut gate = SubmitGate::with_known(["rt-old-1", "rt-old-2"]);
        assert!(gate.is_used("rt-old-1"));
        assert!(gate.claim("rt-old-2").is_err());
        assert!(gate.claim("rt-new-1").is_ok());
    }
}
