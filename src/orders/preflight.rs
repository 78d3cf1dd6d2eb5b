//! Every check an order passes, in order, as one call: the guard, ticket validation, the
//! precautions, the override word and live-account confirmation, and the submit gate.
//!
//! The lead's flow:
//! 1. The trader presses submit: [`preflight`] with the current state. `Err` is shown; `Ok`
//!    opens the confirmation popup with its violations and an intent id from
//!    [`IntentIdGen`](super::submit::IntentIdGen), kept in the popup's view state.
//! 2. The trader confirms: [`preflight`] again (the market has moved on), then
//!    [`Preflight::confirm`] with what was typed and the popup's intent id.
//! 3. Journal [`ConfirmedOrder::journal_intent`], then `Submitted` with the order id, each
//!    fsynced, then place the order with `order_ref` = the intent id. Any journal error: do
//!    not send.

use super::group::GroupIntent;
use super::guard::{confirm_live, entry_allowed, EntryMode, GuardBlock, GuardContext};
use super::journal::{ChecksRecord, IntentRecord, JournalBody, LegRecord};
use super::precautions::{Blocked, Precautions, RecentOrder, Violation};
use super::submit::{AlreadySubmitted, SubmitGate};
use super::ticket::{FieldError, MarketContext, OrderIntent, Ticket};
use chrono::{DateTime, Utc};

/// Why an order cannot go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("order entry disabled: {0}")]
    Guard(#[from] GuardBlock),
    #[error("ticket invalid: {}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Blocked(#[from] Blocked),
    #[error("LIVE account {account}: type the account id to confirm the order")]
    LiveNotConfirmed { account: String },
    #[error(transparent)]
    AlreadySubmitted(#[from] AlreadySubmitted),
}

/// A ticket that passed the guard and validation, with the precautions it breaks (all
/// overridable; a non-overridable one is a [`Refusal`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preflight {
    /// The entry (the whole order when nothing is attached).
    pub intent: OrderIntent,
    /// The entry with its exits.
    pub group: GroupIntent,
    pub entry: EntryMode,
    pub violations: Vec<Violation>,
}

/// An order cleared to be journaled and sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmedOrder {
    /// The order's intent id; for a group, the group's (each leg's is derived from it).
    pub intent_id: String,
    /// The entry.
    pub intent: OrderIntent,
    pub group: GroupIntent,
    pub checks: ChecksRecord,
}

/// Runs the guard (for the ticket's account), validation and the precautions.
pub fn preflight(
    ticket: &Ticket,
    market: &MarketContext,
    guard: &GuardContext<'_>,
    precautions: &Precautions,
    recent: &[RecentOrder],
    now: DateTime<Utc>,
) -> Result<Preflight, Refusal> {
    let guard = GuardContext { ticket_account: Some(ticket.account.trim()), ..guard.clone() };
    let entry = entry_allowed(&guard)?;
    let group = ticket.validate_group(market).map_err(Refusal::Invalid)?;
    let violations = precautions.check_group(&group, market, recent, now);
    let hard: Vec<Violation> = violations.iter().filter(|v| !v.overridable).cloned().collect();
    if !hard.is_empty() {
        return Err(Blocked::NotOverridable(hard).into());
    }
    Ok(Preflight { intent: group.entry().clone(), group, entry, violations })
}

impl Preflight {
    /// The word the trader must type, when a violation needs overriding.
    pub fn override_word<'a>(&self, precautions: &'a Precautions) -> Option<&'a str> {
        (!self.violations.is_empty()).then(|| precautions.override_word.trim())
    }

    /// The account id the trader must type, for a live account.
    pub fn live_account(&self) -> Option<&str> {
        match &self.entry {
            EntryMode::Live { account } => Some(account),
            EntryMode::Paper | EntryMode::LiveAccountsPresent => None,
        }
    }

    /// Checks what the trader typed and claims the intent id at the gate (a second confirm of
    /// the same intent is refused).
    pub fn confirm(
        self,
        precautions: &Precautions,
        typed_override: &str,
        typed_account: &str,
        intent_id: &str,
        gate: &mut SubmitGate,
    ) -> Result<ConfirmedOrder, Refusal> {
        let overridden = precautions.accept_overrides(&self.violations, typed_override)?;
        if let Some(account) = self.live_account() {
            if !confirm_live(account, typed_account) {
                return Err(Refusal::LiveNotConfirmed { account: account.to_string() });
            }
        }
        // A group claims its id and every leg's: none of them can ever go twice.
        if self.group.has_exits() {
            let legs: Vec<String> = self.group.legs().iter().map(|(role, _)| role.leg_id(intent_id)).collect();
            gate.claim_all(intent_id, &legs)?;
        } else {
            gate.claim(intent_id)?;
        }
        let checks = ChecksRecord::new(precautions, overridden);
        Ok(ConfirmedOrder { intent_id: intent_id.to_string(), intent: self.intent, group: self.group, checks })
    }
}

impl ConfirmedOrder {
    /// The journal's `intent` line (a `group_intent` with every leg when exits are
    /// attached), to append (fsynced) before anything is sent.
    pub fn journal_intent(&self) -> JournalBody {
        if self.group.has_exits() {
            return JournalBody::GroupIntent {
                group_id: self.intent_id.clone(),
                legs: self
                    .group
                    .legs()
                    .into_iter()
                    .map(|(role, leg)| LegRecord {
                        role,
                        intent_id: role.leg_id(&self.intent_id),
                        ticket: IntentRecord::from(leg),
                    })
                    .collect(),
                checks: self.checks.clone(),
            };
        }
        JournalBody::Intent {
            intent_id: self.intent_id.clone(),
            ticket: IntentRecord::from(&self.intent),
            checks: self.checks.clone(),
        }
    }

    /// The `recent` entry for the rate and duplicate rules, once sent at `at`.
    pub fn recent(&self, at: DateTime<Utc>) -> RecentOrder {
        RecentOrder::of(&self.intent, at)
    }

    /// One `recent` entry per leg (every leg counts for the rate rule).
    pub fn recent_legs(&self, at: DateTime<Utc>) -> Vec<RecentOrder> {
        self.group.legs().into_iter().map(|(_, leg)| RecentOrder::of(leg, at)).collect()
    }

    /// The legs with their intent ids, in sending order (just the order for a single one).
    pub fn legs(&self) -> Vec<(String, &OrderIntent)> {
        if !self.group.has_exits() {
            return vec![(self.intent_id.clone(), &self.intent)];
        }
        self.group.legs().into_iter().map(|(role, leg)| (role.leg_id(&self.intent_id), leg)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::guard::{Link, SessionKind};
    use crate::orders::precautions::Rule;
    use crate::orders::testkit::market;
    use crate::orders::ticket::{OrderAction, OrderType};
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 15, 0, 0).unwrap()
    }

    fn guard(managed: &[String]) -> GuardContext<'_> {
        GuardContext {
            managed_accounts: managed,
            ticket_account: None,
            link: Link::Live,
            reconciled: true,
            halted: false,
            rearm_after_outage: None,
            journal_error: None,
            allow_live: false,
            session: SessionKind::Trading,
        }
    }

    fn ticket(qty: &str, limit: &str) -> Ticket {
        Ticket { quantity: qty.into(), limit_price: limit.into(), ..Ticket::new("AAPL", OrderAction::Buy, "DU111111") }
    }

    #[test]
    fn a_clean_order_goes_through_once() {
        let m = market();
        let p = Precautions::default();
        let mut gate = SubmitGate::default();
        let pre = preflight(&ticket("100", "150.00"), &m, &guard(&m.managed_accounts), &p, &[], now()).unwrap();
        assert_eq!(pre.override_word(&p), None);
        assert_eq!(pre.live_account(), None);
        let confirmed = pre.clone().confirm(&p, "", "", "rt-1", &mut gate).unwrap();
        assert_eq!(confirmed.checks.overridden, vec![]);
        assert_eq!(confirmed.checks.passed, p.active_rules());
        assert!(matches!(confirmed.journal_intent(), JournalBody::Intent { intent_id, .. } if intent_id == "rt-1"));
        // A double Enter: the same intent again.
        assert_eq!(
            pre.confirm(&p, "", "", "rt-1", &mut gate),
            Err(Refusal::AlreadySubmitted(AlreadySubmitted("rt-1".into())))
        );
    }

    #[test]
    fn a_bracket_is_checked_journaled_and_claimed_as_a_whole() {
        let m = market();
        let p = Precautions::default();
        let t = Ticket { take_profit: "151.00".into(), stop_loss: "1%".into(), ..ticket("100", "150.00") };
        let pre = preflight(&t, &m, &guard(&m.managed_accounts), &p, &[], now()).unwrap();
        assert_eq!(pre.group.legs().len(), 3);
        assert_eq!(pre.intent, *pre.group.entry());
        let mut gate = SubmitGate::with_known(["rt-7.sl"]);
        // A leg id already journaled refuses the whole group, and claims none of it.
        assert_eq!(
            pre.clone().confirm(&p, "", "", "rt-7", &mut gate),
            Err(Refusal::AlreadySubmitted(AlreadySubmitted("rt-7.sl".into())))
        );
        assert!(!gate.knows("rt-7") && !gate.knows("rt-7.entry"));
        let confirmed = pre.clone().confirm(&p, "", "", "rt-8", &mut gate).unwrap();
        for id in ["rt-8", "rt-8.entry", "rt-8.tp", "rt-8.sl"] {
            assert!(gate.knows(id), "{id} not claimed");
        }
        assert_eq!(
            pre.confirm(&p, "", "", "rt-8", &mut gate),
            Err(Refusal::AlreadySubmitted(AlreadySubmitted("rt-8".into())))
        );
        let JournalBody::GroupIntent { group_id, legs, .. } = confirmed.journal_intent() else {
            panic!("a bracket journals a group intent")
        };
        assert_eq!(group_id, "rt-8");
        let ids: Vec<&str> = legs.iter().map(|l| l.intent_id.as_str()).collect();
        assert_eq!(ids, vec!["rt-8.entry", "rt-8.tp", "rt-8.sl"]);
        assert_eq!(legs[2].ticket.stop_price, Some(crate::orders::testkit::dec("148.5")));
        let sent: Vec<String> = confirmed.legs().into_iter().map(|(id, _)| id).collect();
        assert_eq!(sent, ids);
        assert_eq!(confirmed.recent_legs(now()).len(), 3);
        // Invalid exits refuse at preflight, naming the field.
        let bad = Ticket { stop_loss: "151".into(), ..ticket("100", "150.00") };
        let r = preflight(&bad, &m, &guard(&m.managed_accounts), &p, &[], now()).unwrap_err();
        assert_eq!(r.to_string(), "ticket invalid: stop loss 151 must be below the entry 150 for a BUY");
    }

    #[test]
    fn the_guard_comes_first_then_validation() {
        let m = market();
        let p = Precautions::default();
        let halted = GuardContext { halted: true, ..guard(&m.managed_accounts) };
        let r = preflight(&ticket("1.5", ""), &m, &halted, &p, &[], now()).unwrap_err();
        assert_eq!(r.to_string(), "order entry disabled: halted by the trader: cancels only");
        let r = preflight(&ticket("1.5", ""), &m, &guard(&m.managed_accounts), &p, &[], now()).unwrap_err();
        assert_eq!(
            r.to_string(),
            "ticket invalid: quantity must be a whole number of shares, got 1.5; limit price required for LMT"
        );
        // The ticket's account is what the guard checks.
        let mut t = ticket("1", "150");
        t.account = "DU999".into();
        let r = preflight(&t, &m, &guard(&m.managed_accounts), &p, &[], now()).unwrap_err();
        assert!(matches!(r, Refusal::Guard(GuardBlock::AccountNotManaged { .. })), "{r:?}");
    }

    #[test]
    fn overridable_violations_need_the_word_and_are_journaled_as_overridden() {
        let m = market();
        let p = Precautions::default();
        let mut gate = SubmitGate::default();
        let pre = preflight(&ticket("1500", "150.00"), &m, &guard(&m.managed_accounts), &p, &[], now()).unwrap();
        assert_eq!(pre.override_word(&p), Some("OVERRIDE"));
        let wrong = pre.clone().confirm(&p, "yes", "", "rt-1", &mut gate).unwrap_err();
        assert!(matches!(wrong, Refusal::Blocked(Blocked::OverrideWordRequired { .. })));
        // A refused confirm does not burn the intent id.
        let ok = pre.confirm(&p, "OVERRIDE", "", "rt-1", &mut gate).unwrap();
        let rules: Vec<Rule> = ok.checks.overridden.iter().map(|v| v.rule).collect();
        assert_eq!(rules, vec![Rule::MaxQuantity, Rule::MaxNotional]);
        assert!(!ok.checks.passed.contains(&Rule::MaxQuantity));
    }

    #[test]
    fn a_hard_violation_refuses_at_preflight() {
        let m = market();
        let p = Precautions { max_orders_per_minute: 1, ..Precautions::default() };
        let t = ticket("10", "150.00");
        let sent = preflight(&t, &m, &guard(&m.managed_accounts), &p, &[], now()).unwrap();
        let recent = RecentOrder { quantity: 1.into(), ..RecentOrder::of(&sent.intent, now()) };
        let r = preflight(&t, &m, &guard(&m.managed_accounts), &p, &[recent], now()).unwrap_err();
        assert!(matches!(r, Refusal::Blocked(Blocked::NotOverridable(ref v)) if v[0].rule == Rule::OrdersPerMinute));
    }

    #[test]
    fn a_live_account_needs_its_id_typed() {
        let mut m = market();
        m.managed_accounts = vec!["U7654321".into()];
        let p = Precautions::default();
        let mut gate = SubmitGate::default();
        let live = GuardContext { allow_live: true, ..guard(&m.managed_accounts) };
        let mut t = ticket("10", "150.00");
        t.account = "U7654321".into();
        let pre = preflight(&t, &m, &live, &p, &[], now()).unwrap();
        assert_eq!(pre.live_account(), Some("U7654321"));
        let r = pre.clone().confirm(&p, "", "U765432", "rt-9", &mut gate).unwrap_err();
        assert_eq!(r.to_string(), "LIVE account U7654321: type the account id to confirm the order");
        assert!(pre.confirm(&p, "", "U7654321", "rt-9", &mut gate).is_ok());
        // Without allow_live the same ticket never gets this far.
        let r = preflight(&t, &m, &guard(&m.managed_accounts), &p, &[], now()).unwrap_err();
        assert_eq!(r, Refusal::Guard(GuardBlock::LiveAccount("U7654321".into())));
    }

    #[test]
    fn a_market_order_on_a_stale_quote_needs_the_override() {
        let m = crate::orders::ticket::MarketContext { quote_live: false, ..market() };
        let p = Precautions::default();
        let t = Ticket { order_type: OrderType::Market, ..ticket("10", "") };
        let pre = preflight(&t, &m, &guard(&m.managed_accounts), &p, &[], now()).unwrap();
        assert_eq!(pre.violations.iter().map(|v| v.rule).collect::<Vec<_>>(), vec![Rule::LiveQuote]);
    }
}
