//! Rebuilding order state from the journal, and comparing it with what the broker reports
//! after a crash, restart or reconnect (ibkr-behaviour.md §9). Differences are listed, never
//! acted on here: the broker wins, and nothing is ever resent.

use super::group::LegRole;
use super::journal::{IntentRecord, JournalBody, JournalEntry, LegRecord};
use super::lifecycle::{Commission, OrderLifecycle, OrderStatus};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::fmt;

/// An order as the broker reports it (open or completed orders).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerOrder {
    pub order_id: i32,
    /// The order's `order_ref`: the cockpit's intent id for its own orders.
    pub order_ref: String,
    pub client_id: i32,
    pub account: String,
    pub status: OrderStatus,
}

/// An execution as the broker reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerExecution {
    pub exec_id: String,
    pub order_id: i32,
    pub quantity: Decimal,
    pub price: Decimal,
}

/// One way the journal and the broker disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Difference {
    /// An intent with no submission and no broker order carrying its id: it never left.
    IntentNeverSubmitted { intent_id: String },
    /// The broker has an order carrying the intent id, but the journal has no submission
    /// (crash between the two writes).
    SubmittedNotJournaled { intent_id: String, order_id: i32 },
    /// A submitted, unfinished order the broker does not list: UNCONFIRMED until a query of
    /// that one order settles it.
    UnknownToBroker { intent_id: String, order_id: i32, journal: OrderStatus },
    /// The broker's status differs from the journal's; the broker wins.
    StatusDisagrees { order_id: i32, journal: Option<OrderStatus>, broker: OrderStatus },
    /// An execution the journal does not have: to be added exactly once (keyed by exec id).
    MissingFill { order_id: i32, exec_id: String, quantity: Decimal, price: Decimal },
    /// A broker order with no intent: manual TWS order, another client, an earlier run.
    External { order_id: i32, order_ref: String, client_id: i32 },
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::IntentNeverSubmitted { intent_id } => {
                write!(f, "intent {intent_id} was journaled but never submitted (it is not resent)")
            }
            Difference::SubmittedNotJournaled { intent_id, order_id } => {
                write!(f, "order {order_id} carries intent {intent_id}, but its submission was not journaled")
            }
            Difference::UnknownToBroker { intent_id, order_id, journal } => write!(
                f,
                "order {order_id} (intent {intent_id}, last {}) is unknown to the gateway: UNCONFIRMED, check TWS",
                journal.label()
            ),
            Difference::StatusDisagrees { order_id, journal, broker } => write!(
                f,
                "order {order_id}: the journal says {}, the gateway says {}",
                journal.map_or("nothing", |s| s.label()),
                broker.label()
            ),
            Difference::MissingFill { order_id, exec_id, quantity, price } => {
                write!(f, "execution {exec_id} of order {order_id} ({quantity} @ {price}) was missing from the journal")
            }
            Difference::External { order_id, order_ref, client_id } => {
                let order_ref = if order_ref.is_empty() { "none" } else { order_ref };
                write!(f, "order {order_id} (ref {order_ref}, client {client_id}) was not placed by this cockpit")
            }
        }
    }
}

/// The journal replayed: every intent, and the life cycle of every submitted order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replay {
    /// Intents in journal order.
    pub intents: Vec<(String, IntentRecord)>,
    /// Submitted orders by order id.
    pub orders: BTreeMap<i32, OrderLifecycle>,
    /// Every execution id the journal holds.
    pub exec_ids: HashSet<String>,
    /// Order ids of submissions whose intent is missing from the journal (data error).
    pub orphan_submissions: Vec<i32>,
    /// Groups (entries with exits) in journal order: the group id and its legs. Each leg is
    /// also in `intents` under its own intent id.
    pub groups: Vec<(String, Vec<LegRecord>)>,
}

impl Replay {
    /// Replays entries (in journal order) through the same forward-only rules as live.
    pub fn from_entries(entries: &[JournalEntry]) -> Replay {
        let mut r = Replay::default();
        for entry in entries {
            let at: DateTime<Utc> = entry.ts;
            match &entry.body {
                JournalBody::Intent { intent_id, ticket, .. } => r.intents.push((intent_id.clone(), ticket.clone())),
                JournalBody::GroupIntent { group_id, legs, .. } => {
                    for leg in legs {
                        r.intents.push((leg.intent_id.clone(), leg.ticket.clone()));
                    }
                    r.groups.push((group_id.clone(), legs.clone()));
                }
                JournalBody::Submitted { intent_id, order_id, .. } => {
                    match r.intents.iter().find(|(id, _)| id == intent_id) {
                        Some((_, ticket)) => {
                            r.orders.insert(*order_id, OrderLifecycle::new(*order_id, intent_id, ticket.quantity, at));
                        }
                        None => r.orphan_submissions.push(*order_id),
                    }
                }
                JournalBody::Status { order_id, status, .. } => {
                    if let Some(o) = r.orders.get_mut(order_id) {
                        o.apply_ib_status(status, at);
                    }
                }
                JournalBody::Fill { order_id, exec_id, quantity, price } => {
                    r.exec_ids.insert(exec_id.clone());
                    if let Some(o) = r.orders.get_mut(order_id) {
                        o.apply_fill(exec_id, *quantity, *price, at);
                    }
                }
                JournalBody::Commission { exec_id, amount, currency } => {
                    let c = Commission { amount: *amount, currency: currency.clone() };
                    if let Some(o) = r.orders.values_mut().find(|o| o.fills().iter().any(|f| &f.exec_id == exec_id)) {
                        o.apply_commission(exec_id, c, at);
                    }
                }
                JournalBody::Error { order_id: Some(order_id), code, text } => {
                    if let Some(o) = r.orders.get_mut(order_id) {
                        o.apply_code(*code, text, at);
                    }
                }
                JournalBody::Error { order_id: None, .. }
                | JournalBody::CancelRequested { .. }
                | JournalBody::Halt { .. }
                | JournalBody::CancelAll
                | JournalBody::Reconciled { .. } => {}
            }
        }
        r
    }

    /// Every intent id in the journal (submitted or not, groups' and legs'): none may ever be
    /// sent again by a confirm.
    pub fn intent_ids(&self) -> impl Iterator<Item = &str> {
        self.intents.iter().map(|(id, _)| id.as_str()).chain(self.groups.iter().map(|(id, _)| id.as_str()))
    }
}

/// What to do about a group found incomplete after a crash or disconnect between its legs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GroupRepair {
    /// The entry never reached the gateway: nothing is working and nothing is resent.
    NeverSent { group_id: String },
    /// Legs are missing and the entry has not filled: cancel the legs that reached the
    /// gateway (staged with `transmit=false`, so inactive). Sending the missing legs instead
    /// would release an entry the trader confirmed against an older market, unwatched.
    CancelStaged { group_id: String, order_ids: Vec<i32>, missing: Vec<LegRole> },
    /// The entry filled without its stop at the gateway: the stop must go now, for the filled
    /// quantity. While the take profit works, the stop goes as a child of the entry again
    /// (`attach_to` = the entry's order id), so the gateway links it with the target (one
    /// cancels the other) and a target's fill never leaves a stop behind to open a new
    /// position; otherwise on its own.
    SendStop {
        group_id: String,
        entry_order_id: i32,
        intent_id: String,
        stop: IntentRecord,
        filled: Decimal,
        attach_to: Option<i32>,
    },
    /// The entry filled and its stop is in place, but the take-profit never reached the
    /// gateway: the trader is told (a target is not protection; it is not sent unasked).
    TargetMissing { group_id: String, entry_order_id: i32, filled: Decimal },
}

impl fmt::Display for GroupRepair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupRepair::NeverSent { group_id } => {
                write!(f, "bracket {group_id} was interrupted before its entry was sent: nothing is working, nothing resent")
            }
            GroupRepair::CancelStaged { group_id, order_ids, missing } => {
                let ids: Vec<String> = order_ids.iter().map(i32::to_string).collect();
                let missing: Vec<&str> = missing.iter().map(|r| r.label()).collect();
                write!(
                    f,
                    "bracket {group_id} was interrupted ({} never sent) before its entry filled: cancelling its staged orders {} — place it again if still wanted",
                    missing.join(", "),
                    ids.join(", ")
                )
            }
            GroupRepair::SendStop { group_id, stop, filled, .. } => write!(
                f,
                "UNPROTECTED: bracket {group_id}'s entry filled {} without its stop loss at the gateway: sending the stop ({} {} {} {}) now",
                filled.normalize(),
                stop.action.code(),
                filled.normalize(),
                stop.symbol,
                stop.stop_price.map_or_else(|| stop.order_type.code().to_string(), |p| format!("STP {}", p.normalize())),
            ),
            GroupRepair::TargetMissing { group_id, filled, .. } => write!(
                f,
                "bracket {group_id}'s entry filled {} and its stop is working, but its take profit never reached the gateway: place one if wanted",
                filled.normalize()
            ),
        }
    }
}

/// Finds every group whose legs did not all reach the gateway (a crash or disconnect between
/// legs) and says how to resolve each. A leg reached the gateway when the broker lists an
/// order with its intent id (or its journaled order id); a filled entry is known from its
/// executions and the journal's fills.
pub fn resolve_groups(
    entries: &[JournalEntry],
    broker_orders: &[BrokerOrder],
    executions: &[BrokerExecution],
) -> Vec<GroupRepair> {
    let replay = Replay::from_entries(entries);
    let mut out = Vec::new();
    for (group_id, legs) in &replay.groups {
        // A leg is its own intent id, or a later modification of it (`<group>.<leg>~<id>`,
        // which carries the leg's order id and a new order ref).
        let is_leg = |intent_id: &str, leg: &LegRecord| {
            intent_id == leg.intent_id || LegRole::parse(intent_id) == Some((group_id.as_str(), leg.role))
        };
        let at_broker = |leg: &LegRecord| {
            let journaled: Vec<i32> =
                replay.orders.values().filter(|o| is_leg(o.intent_id(), leg)).map(|o| o.order_id()).collect();
            broker_orders.iter().find(|b| is_leg(&b.order_ref, leg) || journaled.contains(&b.order_id))
        };
        let Some(entry) = legs.iter().find(|l| l.role == LegRole::Entry) else { continue };
        let Some(entry_order) = at_broker(entry) else {
            out.push(GroupRepair::NeverSent { group_id: group_id.clone() });
            continue;
        };
        let missing: Vec<&LegRecord> = legs.iter().filter(|l| at_broker(l).is_none()).collect();
        if missing.is_empty() {
            continue;
        }
        let mut seen = HashSet::new();
        let executed: Decimal = executions
            .iter()
            .filter(|e| e.order_id == entry_order.order_id && seen.insert(e.exec_id.as_str()))
            .map(|e| e.quantity)
            .sum();
        let journaled = replay.orders.get(&entry_order.order_id).map_or(Decimal::ZERO, |o| o.filled_quantity());
        let filled = executed.max(journaled);
        if filled > Decimal::ZERO || entry_order.status == OrderStatus::Filled {
            let filled = if filled > Decimal::ZERO { filled } else { entry.ticket.quantity };
            let target_works = legs
                .iter()
                .filter(|l| l.role == LegRole::TakeProfit)
                .filter_map(at_broker)
                .any(|b| !b.status.is_final());
            match missing.iter().find(|l| l.role == LegRole::StopLoss) {
                Some(stop) => out.push(GroupRepair::SendStop {
                    group_id: group_id.clone(),
                    entry_order_id: entry_order.order_id,
                    intent_id: stop.intent_id.clone(),
                    stop: stop.ticket.clone(),
                    filled,
                    attach_to: target_works.then_some(entry_order.order_id),
                }),
                None => out.push(GroupRepair::TargetMissing {
                    group_id: group_id.clone(),
                    entry_order_id: entry_order.order_id,
                    filled,
                }),
            }
            continue;
        }
        let order_ids: Vec<i32> =
            legs.iter().filter_map(at_broker).filter(|b| !b.status.is_final()).map(|b| b.order_id).collect();
        if !order_ids.is_empty() {
            out.push(GroupRepair::CancelStaged {
                group_id: group_id.clone(),
                order_ids,
                missing: missing.iter().map(|l| l.role).collect(),
            });
        }
    }
    out
}

/// Lists the differences between the journal and the broker's open and completed orders and
/// executions. Orders are matched by order id, then by `order_ref` = intent id.
pub fn reconcile(
    entries: &[JournalEntry],
    broker_orders: &[BrokerOrder],
    executions: &[BrokerExecution],
) -> Vec<Difference> {
    let replay = Replay::from_entries(entries);
    let mut out = Vec::new();
    let mut matched_broker = vec![false; broker_orders.len()];

    for (intent_id, _) in &replay.intents {
        let journaled = replay.orders.values().find(|o| o.intent_id() == intent_id);
        let by_id = journaled.and_then(|o| broker_orders.iter().position(|b| b.order_id == o.order_id()));
        let by_ref = || broker_orders.iter().position(|b| &b.order_ref == intent_id);
        match (journaled, by_id.or_else(by_ref)) {
            (None, None) => out.push(Difference::IntentNeverSubmitted { intent_id: intent_id.clone() }),
            (None, Some(i)) => {
                matched_broker[i] = true;
                let b = &broker_orders[i];
                out.push(Difference::SubmittedNotJournaled { intent_id: intent_id.clone(), order_id: b.order_id });
                out.push(Difference::StatusDisagrees { order_id: b.order_id, journal: None, broker: b.status });
            }
            (Some(o), None) => {
                if !o.status().is_final() {
                    out.push(Difference::UnknownToBroker {
                        intent_id: intent_id.clone(),
                        order_id: o.order_id(),
                        journal: o.status(),
                    });
                }
            }
            (Some(o), Some(i)) => {
                matched_broker[i] = true;
                let b = &broker_orders[i];
                if b.status != o.status() {
                    out.push(Difference::StatusDisagrees {
                        order_id: b.order_id,
                        journal: Some(o.status()),
                        broker: b.status,
                    });
                }
            }
        }
    }

    for (b, _) in broker_orders.iter().zip(&matched_broker).filter(|(_, m)| !**m) {
        out.push(Difference::External { order_id: b.order_id, order_ref: b.order_ref.clone(), client_id: b.client_id });
    }

    let mut seen = HashSet::new();
    for e in executions {
        if !replay.exec_ids.contains(&e.exec_id) && seen.insert(e.exec_id.as_str()) {
            out.push(Difference::MissingFill {
                order_id: e.order_id,
                exec_id: e.exec_id.clone(),
                quantity: e.quantity,
                price: e.price,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::journal::tests::{at, sample_intent};
    use crate::orders::journal::ChecksRecord;
    use crate::orders::precautions::Precautions;
    use crate::orders::testkit::dec;

    struct Script(Vec<JournalEntry>);

    impl Script {
        fn push(&mut self, body: JournalBody) -> &mut Self {
            let seq = self.0.len() as u64 + 1;
            self.0.push(JournalEntry { seq, ts: at(14, 0, seq as u32), run_id: "run".into(), body });
            self
        }
        fn intent(&mut self, id: &str) -> &mut Self {
            self.push(JournalBody::Intent {
                intent_id: id.into(),
                ticket: IntentRecord::from(&sample_intent()),
                checks: ChecksRecord::new(&Precautions::default(), vec![]),
            })
        }
        fn submitted(&mut self, id: &str, order_id: i32) -> &mut Self {
            self.push(JournalBody::Submitted {
                intent_id: id.into(),
                order_id,
                client_id: 17,
                account: "DU111111".into(),
            })
        }
        fn status(&mut self, order_id: i32, status: &str) -> &mut Self {
            self.push(JournalBody::Status { order_id, status: status.into(), filled: None, remaining: None })
        }
        fn fill(&mut self, order_id: i32, exec_id: &str, qty: &str) -> &mut Self {
            self.push(JournalBody::Fill { order_id, exec_id: exec_id.into(), quantity: dec(qty), price: dec("150") })
        }
    }

    fn broker(order_id: i32, order_ref: &str, status: OrderStatus) -> BrokerOrder {
        BrokerOrder { order_id, order_ref: order_ref.into(), client_id: 17, account: "DU111111".into(), status }
    }

    fn exec(exec_id: &str, order_id: i32, qty: &str) -> BrokerExecution {
        BrokerExecution { exec_id: exec_id.into(), order_id, quantity: dec(qty), price: dec("150") }
    }

    #[test]
    fn a_journal_that_matches_the_broker_has_no_differences() {
        let mut s = Script(vec![]);
        s.intent("rt-1").submitted("rt-1", 7).status(7, "Submitted").fill(7, "e1", "100");
        let d = reconcile(&s.0, &[broker(7, "rt-1", OrderStatus::Filled)], &[exec("e1", 7, "100")]);
        assert_eq!(d, vec![]);
    }

    #[test]
    fn replay_rebuilds_the_order_state() {
        let mut s = Script(vec![]);
        s.intent("rt-1").submitted("rt-1", 7).status(7, "Submitted").fill(7, "e1", "40").fill(7, "e1", "40");
        s.push(JournalBody::Commission { exec_id: "e1".into(), amount: dec("1"), currency: "USD".into() });
        s.push(JournalBody::Error { order_id: Some(7), code: 202, text: "Order Canceled".into() });
        let r = Replay::from_entries(&s.0);
        let o = &r.orders[&7];
        assert_eq!(o.status(), OrderStatus::Cancelled);
        assert_eq!(o.filled_quantity(), dec("40"));
        assert!(o.fills()[0].commission.is_some());
        assert_eq!(r.intent_ids().collect::<Vec<_>>(), vec!["rt-1"]);
    }

    #[test]
    fn every_kind_of_difference_is_found() {
        let mut s = Script(vec![]);
        s.intent("never") // intent only; broker has nothing
            .intent("crashed") // intent only; broker has it by order_ref
            .intent("lost")
            .submitted("lost", 8) // submitted, broker does not know it
            .intent("moved")
            .submitted("moved", 9)
            .status(9, "Submitted") // broker says Filled
            .intent("done")
            .submitted("done", 10)
            .status(10, "Cancelled") // final, absent at the broker: fine
            .fill(9, "e1", "40");
        let orders = [
            broker(11, "crashed", OrderStatus::Submitted),
            broker(9, "moved", OrderStatus::Filled),
            broker(500, "", OrderStatus::Submitted),
        ];
        let executions = [exec("e1", 9, "40"), exec("e2", 9, "60"), exec("e2", 9, "60")];
        let d = reconcile(&s.0, &orders, &executions);
        assert_eq!(
            d,
            vec![
                Difference::IntentNeverSubmitted { intent_id: "never".into() },
                Difference::SubmittedNotJournaled { intent_id: "crashed".into(), order_id: 11 },
                Difference::StatusDisagrees { order_id: 11, journal: None, broker: OrderStatus::Submitted },
                Difference::UnknownToBroker {
                    intent_id: "lost".into(),
                    order_id: 8,
                    journal: OrderStatus::PendingSubmit
                },
                Difference::StatusDisagrees {
                    order_id: 9,
                    journal: Some(OrderStatus::Submitted),
                    broker: OrderStatus::Filled
                },
                Difference::External { order_id: 500, order_ref: String::new(), client_id: 17 },
                Difference::MissingFill { order_id: 9, exec_id: "e2".into(), quantity: dec("60"), price: dec("150") },
            ]
        );
    }

    #[test]
    fn differences_read_as_sentences() {
        let lines: Vec<String> = [
            Difference::IntentNeverSubmitted { intent_id: "rt-1".into() },
            Difference::SubmittedNotJournaled { intent_id: "rt-2".into(), order_id: 11 },
            Difference::UnknownToBroker { intent_id: "rt-3".into(), order_id: 8, journal: OrderStatus::PendingSubmit },
            Difference::StatusDisagrees { order_id: 9, journal: None, broker: OrderStatus::Filled },
            Difference::MissingFill { order_id: 9, exec_id: "e2".into(), quantity: dec("60"), price: dec("150.25") },
            Difference::External { order_id: 500, order_ref: String::new(), client_id: 0 },
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            lines,
            vec![
                "intent rt-1 was journaled but never submitted (it is not resent)",
                "order 11 carries intent rt-2, but its submission was not journaled",
                "order 8 (intent rt-3, last PendingSubmit) is unknown to the gateway: UNCONFIRMED, check TWS",
                "order 9: the journal says nothing, the gateway says Filled",
                "execution e2 of order 9 (60 @ 150.25) was missing from the journal",
                "order 500 (ref none, client 0) was not placed by this cockpit",
            ]
        );
    }

    #[test]
    fn an_order_matched_by_id_is_not_also_external_even_with_another_ref() {
        let mut s = Script(vec![]);
        s.intent("rt-1").submitted("rt-1", 7).status(7, "Submitted");
        let d = reconcile(&s.0, &[broker(7, "typed-in-tws", OrderStatus::Submitted)], &[]);
        assert_eq!(d, vec![]);
    }

    proptest::proptest! {
        /// Missing fills are exactly the broker's exec ids the journal lacks, each once; once
        /// journaled, a second reconciliation finds none.
        #[test]
        fn missing_fills_are_added_exactly_once(
            journaled in proptest::collection::btree_set(0u8..20, 0..10),
            broker_side in proptest::collection::vec(0u8..20, 0..30),
        ) {
            let mut s = Script(vec![]);
            s.intent("rt-1").submitted("rt-1", 7);
            for k in &journaled {
                s.fill(7, &format!("e{k}"), "1");
            }
            let executions: Vec<BrokerExecution> = broker_side.iter().map(|k| exec(&format!("e{k}"), 7, "1")).collect();
            let orders = [broker(7, "rt-1", OrderStatus::Submitted)];
            let missing: Vec<String> = reconcile(&s.0, &orders, &executions)
                .into_iter()
                .filter_map(|d| match d {
                    Difference::MissingFill { exec_id, .. } => Some(exec_id),
                    _ => None,
                })
                .collect();
            let mut expected: Vec<String> = Vec::new();
            for k in &broker_side {
                let id = format!("e{k}");
                if !journaled.contains(k) && !expected.contains(&id) {
                    expected.push(id);
                }
            }
            proptest::prop_assert_eq!(&missing, &expected);
            for exec_id in &missing {
                s.fill(7, exec_id, "1");
            }
            let again = reconcile(&s.0, &orders, &executions);
            proptest::prop_assert!(!again.iter().any(|d| matches!(d, Difference::MissingFill { .. })), "{:?}", again);
        }
    }

    impl Script {
        /// A bracket's group intent: BUY 100 entry, SELL 100 TP and SL, ids g.entry/.tp/.sl.
        fn group(&mut self, id: &str) -> &mut Self {
            let t = crate::orders::Ticket {
                quantity: "100".into(),
                limit_price: "150.00".into(),
                take_profit: "152".into(),
                stop_loss: "148".into(),
                ..crate::orders::Ticket::new("AAPL", crate::orders::OrderAction::Buy, "DU111111")
            };
            let group = t.validate_group(&crate::orders::testkit::market()).unwrap();
            let legs = group
                .legs()
                .into_iter()
                .map(|(role, leg)| LegRecord { role, intent_id: role.leg_id(id), ticket: IntentRecord::from(leg) })
                .collect();
            self.push(JournalBody::GroupIntent {
                group_id: id.into(),
                legs,
                checks: ChecksRecord::new(&Precautions::default(), vec![]),
            })
        }
    }

    /// The journal and the gateway after a crash at each point of sending a bracket.
    #[test]
    fn a_crash_after_each_leg_is_found_and_resolved() {
        use OrderStatus::*;
        let staged = |id, leg: &str| broker(id, &format!("g.{leg}"), PreSubmitted);
        // 1. After the group intent, before any leg: nothing at the gateway.
        let mut s = Script(vec![]);
        s.group("g");
        assert_eq!(resolve_groups(&s.0, &[], &[]), vec![GroupRepair::NeverSent { group_id: "g".into() }]);
        assert_eq!(Replay::from_entries(&s.0).intent_ids().collect::<Vec<_>>(), vec!["g.entry", "g.tp", "g.sl", "g"]);
        // 2. The entry's submission journaled, the crash before it left.
        s.submitted("g.entry", 20);
        assert_eq!(resolve_groups(&s.0, &[], &[]), vec![GroupRepair::NeverSent { group_id: "g".into() }]);
        assert!(reconcile(&s.0, &[], &[]).contains(&Difference::UnknownToBroker {
            intent_id: "g.entry".into(),
            order_id: 20,
            journal: PendingSubmit
        }));
        // 3. The entry at the gateway (staged, transmit=false), both exits missing: cancel it.
        let repair = resolve_groups(&s.0, &[staged(20, "entry")], &[]);
        assert_eq!(
            repair,
            vec![GroupRepair::CancelStaged {
                group_id: "g".into(),
                order_ids: vec![20],
                missing: vec![LegRole::TakeProfit, LegRole::StopLoss]
            }]
        );
        assert_eq!(
            repair[0].to_string(),
            "bracket g was interrupted (take profit, stop loss never sent) before its entry filled: cancelling its \
             staged orders 20 — place it again if still wanted"
        );
        // 4. The take profit too: cancel both.
        s.submitted("g.tp", 21);
        let orders = [staged(20, "entry"), staged(21, "tp")];
        assert_eq!(
            resolve_groups(&s.0, &orders, &[]),
            vec![GroupRepair::CancelStaged {
                group_id: "g".into(),
                order_ids: vec![20, 21],
                missing: vec![LegRole::StopLoss]
            }]
        );
        // 5. Every leg at the gateway: complete, nothing to do.
        s.submitted("g.sl", 22);
        let all = [broker(20, "g.entry", Submitted), staged(21, "tp"), staged(22, "sl")];
        assert_eq!(resolve_groups(&s.0, &all, &[]), vec![]);
        // Once cancelled, an interrupted group needs nothing more.
        let cancelled = [broker(20, "g.entry", Cancelled), broker(21, "g.tp", Cancelled)];
        assert_eq!(resolve_groups(&s.0[..s.0.len() - 1], &cancelled, &[]), vec![]);
    }

    #[test]
    fn an_entry_filled_without_its_stop_gets_the_stop_and_the_trader_is_told() {
        let mut s = Script(vec![]);
        s.group("g").submitted("g.entry", 20).submitted("g.tp", 21);
        let orders = [broker(20, "g.entry", OrderStatus::Filled), broker(21, "g.tp", OrderStatus::Submitted)];
        // Filled 60 of 100 (an execution the journal does not have yet).
        let repair = resolve_groups(&s.0, &orders, &[exec("x1", 20, "60"), exec("x1", 20, "60")]);
        let [GroupRepair::SendStop { group_id, entry_order_id: 20, intent_id, stop, filled, attach_to: Some(20) }] =
            repair.as_slice()
        else {
            panic!("{repair:?}")
        };
        assert_eq!((group_id.as_str(), intent_id.as_str(), *filled), ("g", "g.sl", dec("60")));
        assert_eq!((stop.action, stop.stop_price), (crate::orders::OrderAction::Sell, Some(dec("148"))));
        assert_eq!(
            repair[0].to_string(),
            "UNPROTECTED: bracket g's entry filled 60 without its stop loss at the gateway: sending the stop (SELL 60 \
             AAPL STP 148) now"
        );
        // With the target done, the stop goes on its own.
        let done = [broker(20, "g.entry", OrderStatus::Filled), broker(21, "g.tp", OrderStatus::Cancelled)];
        let repair = resolve_groups(&s.0, &done, &[exec("x1", 20, "60")]);
        assert!(matches!(repair.as_slice(), [GroupRepair::SendStop { attach_to: None, .. }]), "{repair:?}");
        // Once the stop is at the gateway under its id, nothing more.
        let with_stop = [orders[0].clone(), orders[1].clone(), broker(30, "g.sl", OrderStatus::Submitted)];
        assert_eq!(resolve_groups(&s.0, &with_stop, &[exec("x1", 20, "60")]), vec![]);
        // The stop in place and only the target missing: told, not sent.
        let mut s = Script(vec![]);
        s.group("h").submitted("h.entry", 40).fill(40, "y1", "100");
        let orders = [broker(40, "h.entry", OrderStatus::Filled), broker(42, "h.sl", OrderStatus::Submitted)];
        assert_eq!(
            resolve_groups(&s.0, &orders, &[]),
            vec![GroupRepair::TargetMissing { group_id: "h".into(), entry_order_id: 40, filled: dec("100") }]
        );
    }

    /// A stop moved (modified: a new intent `g.sl~…` for the same order id) is still the
    /// group's stop: no second stop is ever sent for it.
    #[test]
    fn a_moved_stop_is_still_the_groups_stop() {
        let mut s = Script(vec![]);
        s.group("g").submitted("g.entry", 20).submitted("g.tp", 21).submitted("g.sl", 22).fill(20, "x1", "100");
        s.intent("g.sl~rt-9").submitted("g.sl~rt-9", 22);
        let orders = [
            broker(20, "g.entry", OrderStatus::Filled),
            broker(21, "g.tp", OrderStatus::Submitted),
            broker(22, "g.sl~rt-9", OrderStatus::PreSubmitted),
        ];
        assert_eq!(resolve_groups(&s.0, &orders, &[exec("x1", 20, "100")]), vec![]);
        // Known by its order id alone (the gateway reported another ref): still there.
        let by_id = [orders[0].clone(), orders[1].clone(), broker(22, "", OrderStatus::PreSubmitted)];
        assert_eq!(resolve_groups(&s.0, &by_id, &[exec("x1", 20, "100")]), vec![]);
    }

    #[test]
    fn a_submission_without_its_intent_is_an_orphan() {
        let mut s = Script(vec![]);
        s.submitted("ghost", 3);
        assert_eq!(Replay::from_entries(&s.0).orphan_submissions, vec![3]);
    }
}
