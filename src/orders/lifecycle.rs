//! One order's life: a forward-only status machine, fills deduplicated by execution id,
//! commissions joined by execution id whenever they arrive, every code classified, and the
//! whole history kept as a timeline for the Orders pane.

use super::codes::{classify, CodeClass, CodeOutcome};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;

/// An order's status as IB reports it (`ApiPending` is folded into `PendingSubmit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderStatus {
    PendingSubmit,
    PreSubmitted,
    Submitted,
    PendingCancel,
    Inactive,
    ApiCancelled,
    Cancelled,
    Rejected,
    Filled,
}

impl OrderStatus {
    /// Parses IB's status text; `None` for a status this code does not know.
    pub fn from_ib(text: &str) -> Option<OrderStatus> {
        Some(match text {
            "ApiPending" | "PendingSubmit" => OrderStatus::PendingSubmit,
            "PreSubmitted" => OrderStatus::PreSubmitted,
            "Submitted" => OrderStatus::Submitted,
            "PendingCancel" => OrderStatus::PendingCancel,
            "Inactive" => OrderStatus::Inactive,
            "ApiCancelled" => OrderStatus::ApiCancelled,
            "Cancelled" => OrderStatus::Cancelled,
            "Filled" => OrderStatus::Filled,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::PendingSubmit => "PendingSubmit",
            OrderStatus::PreSubmitted => "PreSubmitted",
            OrderStatus::Submitted => "Submitted",
            OrderStatus::PendingCancel => "PendingCancel",
            OrderStatus::Inactive => "Inactive",
            OrderStatus::ApiCancelled => "ApiCancelled",
            OrderStatus::Cancelled => "Cancelled",
            OrderStatus::Rejected => "Rejected",
            OrderStatus::Filled => "Filled",
        }
    }

    /// The order of progress. A status is applied only if its rank is higher than the current
    /// one; Filled is the top (a fill is the truth), the other final states share a rank so
    /// the first one to arrive stays.
    pub fn rank(self) -> u8 {
        match self {
            // Inactive: a leg staged with transmit=false (or an order IB holds back), not
            // working yet; whatever follows it (PreSubmitted when its group is sent) is progress.
            OrderStatus::PendingSubmit => 0,
            OrderStatus::Inactive => 1,
            OrderStatus::PreSubmitted => 2,
            OrderStatus::Submitted => 3,
            OrderStatus::PendingCancel => 4,
            OrderStatus::ApiCancelled | OrderStatus::Cancelled | OrderStatus::Rejected => 5,
            OrderStatus::Filled => 6,
        }
    }

    pub fn is_final(self) -> bool {
        self.rank() >= 5
    }
}

/// What the Orders pane shows as the order's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ShownStatus {
    Status(OrderStatus),
    /// Sent, never acknowledged within the timeout: check TWS. Never resent automatically.
    Unconfirmed,
}

impl ShownStatus {
    pub fn label(self) -> &'static str {
        match self {
            ShownStatus::Status(s) => s.label(),
            ShownStatus::Unconfirmed => "UNCONFIRMED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commission {
    pub amount: Decimal,
    pub currency: String,
}

/// One execution, with its commission once that has arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fill {
    pub exec_id: String,
    pub quantity: Decimal,
    pub price: Decimal,
    pub at: DateTime<Utc>,
    pub commission: Option<Commission>,
}

/// One thing that happened to the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum TimelineEvent {
    Submitted,
    /// A status report; `applied` is false when it would have moved the order backwards.
    Status {
        status: OrderStatus,
        applied: bool,
    },
    Fill {
        exec_id: String,
        quantity: Decimal,
        price: Decimal,
    },
    /// The same execution id again: ignored.
    DuplicateFill {
        exec_id: String,
    },
    Commission {
        exec_id: String,
        amount: Decimal,
        currency: String,
    },
    Code {
        code: i32,
        text: String,
        class: CodeClass,
        label: &'static str,
    },
    /// A report that makes no sense (unknown status text, non-positive fill, overfill).
    DataError {
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub event: TimelineEvent,
}

/// The state of one submitted order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderLifecycle {
    order_id: i32,
    intent_id: String,
    quantity: Decimal,
    submitted_at: DateTime<Utc>,
    status: OrderStatus,
    acknowledged: bool,
    fills: Vec<Fill>,
    pending_commissions: HashMap<String, Commission>,
    timeline: Vec<TimelineEntry>,
}

impl OrderLifecycle {
    /// An order just handed to the gateway: PendingSubmit, not acknowledged.
    pub fn new(order_id: i32, intent_id: &str, quantity: Decimal, submitted_at: DateTime<Utc>) -> Self {
        OrderLifecycle {
            order_id,
            intent_id: intent_id.to_string(),
            quantity,
            submitted_at,
            status: OrderStatus::PendingSubmit,
            acknowledged: false,
            fills: Vec::new(),
            pending_commissions: HashMap::new(),
            timeline: vec![TimelineEntry { at: submitted_at, event: TimelineEvent::Submitted }],
        }
    }

    pub fn order_id(&self) -> i32 {
        self.order_id
    }
    pub fn intent_id(&self) -> &str {
        &self.intent_id
    }
    pub fn quantity(&self) -> Decimal {
        self.quantity
    }
    pub fn status(&self) -> OrderStatus {
        self.status
    }
    pub fn acknowledged(&self) -> bool {
        self.acknowledged
    }
    pub fn fills(&self) -> &[Fill] {
        &self.fills
    }
    pub fn timeline(&self) -> &[TimelineEntry] {
        &self.timeline
    }

    /// The sum over unique executions.
    pub fn filled_quantity(&self) -> Decimal {
        // Saturates rather than panics on absurd broker data.
        self.fills.iter().fold(Decimal::ZERO, |sum, f| sum.checked_add(f.quantity).unwrap_or(Decimal::MAX))
    }

    /// What is left to fill; zero (never negative) once filled.
    pub fn remaining(&self) -> Decimal {
        self.quantity.checked_sub(self.filled_quantity()).unwrap_or(Decimal::ZERO).max(Decimal::ZERO)
    }

    /// Quantity-weighted average fill price; `None` before any fill.
    pub fn average_price(&self) -> Option<Decimal> {
        let filled = self.filled_quantity();
        if filled.is_zero() {
            return None;
        }
        let value = self
            .fills
            .iter()
            .try_fold(Decimal::ZERO, |sum, f| f.quantity.checked_mul(f.price).and_then(|v| sum.checked_add(v)))?;
        value.checked_div(filled)
    }

    /// The status to show: UNCONFIRMED once `ack_timeout` has passed since the submit without
    /// any acknowledgement. A pure function of the state and `now`.
    pub fn shown_status(&self, now: DateTime<Utc>, ack_timeout: Duration) -> ShownStatus {
        let waited = (now - self.submitted_at).to_std().unwrap_or(Duration::ZERO);
        if !self.acknowledged && self.status == OrderStatus::PendingSubmit && waited >= ack_timeout {
            ShownStatus::Unconfirmed
        } else {
            ShownStatus::Status(self.status)
        }
    }

    /// Applies a status if it moves the order forward; returns whether it did. Every report is
    /// kept in the timeline.
    pub fn apply_status(&mut self, status: OrderStatus, at: DateTime<Utc>) -> bool {
        if status != OrderStatus::PendingSubmit {
            self.acknowledged = true;
        }
        let applied = status.rank() > self.status.rank();
        if applied {
            self.status = status;
        }
        self.timeline.push(TimelineEntry { at, event: TimelineEvent::Status { status, applied } });
        applied
    }

    /// Applies IB's status text; an unknown text is recorded as a data error and changes
    /// nothing.
    pub fn apply_ib_status(&mut self, text: &str, at: DateTime<Utc>) -> bool {
        match OrderStatus::from_ib(text) {
            Some(status) => self.apply_status(status, at),
            None => {
                self.data_error(format!("unknown order status {text:?}"), at);
                false
            }
        }
    }

    /// Records an execution once per execution id; returns whether it was new. A commission
    /// that arrived earlier is attached. When the executions add up to the order quantity the
    /// order is Filled, whatever the status reports said.
    pub fn apply_fill(&mut self, exec_id: &str, quantity: Decimal, price: Decimal, at: DateTime<Utc>) -> bool {
        if self.fills.iter().any(|f| f.exec_id == exec_id) {
            self.timeline
                .push(TimelineEntry { at, event: TimelineEvent::DuplicateFill { exec_id: exec_id.to_string() } });
            return false;
        }
        if quantity <= Decimal::ZERO {
            self.data_error(format!("execution {exec_id} has quantity {quantity}"), at);
            return false;
        }
        self.acknowledged = true;
        let commission = self.pending_commissions.remove(exec_id);
        self.fills.push(Fill { exec_id: exec_id.to_string(), quantity, price, at, commission });
        self.timeline
            .push(TimelineEntry { at, event: TimelineEvent::Fill { exec_id: exec_id.to_string(), quantity, price } });
        let filled = self.filled_quantity();
        if filled > self.quantity {
            self.data_error(
                format!("executions add up to {filled}, more than the order quantity {}", self.quantity),
                at,
            );
        }
        if filled >= self.quantity {
            self.apply_status(OrderStatus::Filled, at);
        }
        true
    }

    /// Joins a commission report to its execution, now or when the execution arrives. The
    /// first report per execution id is kept; returns whether this one was.
    pub fn apply_commission(&mut self, exec_id: &str, commission: Commission, at: DateTime<Utc>) -> bool {
        let slot = match self.fills.iter_mut().find(|f| f.exec_id == exec_id) {
            Some(fill) if fill.commission.is_some() => return false,
            Some(fill) => &mut fill.commission,
            None if self.pending_commissions.contains_key(exec_id) => return false,
            None => {
                self.pending_commissions.insert(exec_id.to_string(), commission.clone());
                self.push_commission(exec_id, &commission, at);
                return true;
            }
        };
        *slot = Some(commission.clone());
        self.push_commission(exec_id, &commission, at);
        true
    }

    /// Classifies an error/notice code on this order and applies it: a rejection or 202 ends
    /// the order (unless a fill already did), a warning acknowledges it, anything else only
    /// goes into the timeline.
    pub fn apply_code(&mut self, code: i32, text: &str, at: DateTime<Utc>) -> CodeOutcome {
        let outcome = classify(code, text, self.acknowledged);
        self.timeline.push(TimelineEntry {
            at,
            event: TimelineEvent::Code { code, text: text.to_string(), class: outcome.class, label: outcome.label },
        });
        match outcome.class {
            CodeClass::Rejection => {
                self.apply_status(OrderStatus::Rejected, at);
            }
            CodeClass::Cancelled => {
                self.apply_status(OrderStatus::Cancelled, at);
            }
            CodeClass::Warning => self.acknowledged = true,
            CodeClass::Info | CodeClass::Unknown => {}
        }
        outcome
    }

    fn push_commission(&mut self, exec_id: &str, c: &Commission, at: DateTime<Utc>) {
        self.timeline.push(TimelineEntry {
            at,
            event: TimelineEvent::Commission {
                exec_id: exec_id.to_string(),
                amount: c.amount,
                currency: c.currency.clone(),
            },
        });
    }

    fn data_error(&mut self, message: String, at: DateTime<Utc>) {
        self.timeline.push(TimelineEntry { at, event: TimelineEvent::DataError { message } });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::testkit::dec;
    use chrono::{TimeDelta, TimeZone};
    use proptest::prelude::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 15, 0, 0).unwrap()
    }

    fn at(secs: i64) -> DateTime<Utc> {
        t0() + TimeDelta::seconds(secs)
    }

    fn order(qty: &str) -> OrderLifecycle {
        OrderLifecycle::new(7, "rt-1", dec(qty), t0())
    }

    fn usd(amount: &str) -> Commission {
        Commission { amount: dec(amount), currency: "USD".into() }
    }

    #[test]
    fn statuses_only_move_forward() {
        let mut o = order("100");
        assert!(o.apply_status(OrderStatus::Submitted, at(1)));
        assert!(!o.apply_status(OrderStatus::PreSubmitted, at(2)));
        assert_eq!(o.status(), OrderStatus::Submitted);
        assert!(o.apply_status(OrderStatus::Filled, at(3)));
        assert!(!o.apply_status(OrderStatus::Submitted, at(4)));
        assert!(!o.apply_status(OrderStatus::Cancelled, at(5)));
        assert_eq!(o.status(), OrderStatus::Filled);
        let applied: Vec<bool> = o
            .timeline()
            .iter()
            .filter_map(|e| match e.event {
                TimelineEvent::Status { applied, .. } => Some(applied),
                _ => None,
            })
            .collect();
        assert_eq!(applied, vec![true, false, true, false, false]);
    }

    #[test]
    fn a_staged_bracket_leg_moves_on_from_inactive_when_its_group_is_sent() {
        let mut o = order("100");
        assert!(o.apply_status(OrderStatus::Inactive, at(1)));
        assert!(o.apply_status(OrderStatus::PreSubmitted, at(2)), "held child after the last leg went");
        assert!(o.apply_status(OrderStatus::Submitted, at(3)), "working after the entry's fill");
        assert!(!o.status().is_final());
        assert!(!o.apply_status(OrderStatus::Inactive, at(4)), "never back to staged");
        assert_eq!(o.status(), OrderStatus::Submitted);
    }

    #[test]
    fn the_first_final_state_stays_but_a_fill_overrides_it() {
        let mut o = order("10");
        o.apply_status(OrderStatus::Cancelled, at(1));
        assert!(!o.apply_status(OrderStatus::Rejected, at(2)));
        assert_eq!(o.status(), OrderStatus::Cancelled);
        assert!(o.apply_status(OrderStatus::Filled, at(3)));
    }

    #[test]
    fn ib_status_text_is_parsed_and_unknown_text_is_a_data_error() {
        let mut o = order("10");
        assert!(o.apply_ib_status("PreSubmitted", at(1)));
        assert!(!o.apply_ib_status("Bogus", at(2)));
        assert_eq!(o.status(), OrderStatus::PreSubmitted);
        assert!(
            matches!(&o.timeline().last().unwrap().event, TimelineEvent::DataError { message } if message == "unknown order status \"Bogus\"")
        );
        assert_eq!(OrderStatus::from_ib("ApiPending"), Some(OrderStatus::PendingSubmit));
    }

    #[test]
    fn duplicate_executions_count_once_and_fill_the_order() {
        let mut o = order("100");
        assert!(o.apply_fill("e1", dec("40"), dec("150.00"), at(1)));
        assert!(!o.apply_fill("e1", dec("40"), dec("150.00"), at(2)));
        assert_eq!(o.filled_quantity(), dec("40"));
        assert_eq!(o.remaining(), dec("60"));
        assert_eq!(o.status(), OrderStatus::PendingSubmit);
        assert!(o.apply_fill("e2", dec("60"), dec("150.10"), at(3)));
        assert_eq!(o.status(), OrderStatus::Filled);
        assert_eq!(o.average_price(), Some(dec("150.06")));
        // A late Submitted does not undo it.
        assert!(!o.apply_status(OrderStatus::Submitted, at(4)));
        assert_eq!(o.status(), OrderStatus::Filled);
    }

    #[test]
    fn commissions_join_by_exec_id_before_or_after_the_fill() {
        let mut o = order("100");
        assert!(o.apply_commission("e2", usd("1.10"), at(1)));
        o.apply_fill("e1", dec("50"), dec("150"), at(2));
        o.apply_fill("e2", dec("50"), dec("150"), at(3));
        assert!(o.apply_commission("e1", usd("1.00"), at(4)));
        assert!(!o.apply_commission("e1", usd("9.99"), at(5)));
        let commissions: Vec<_> = o.fills().iter().map(|f| f.commission.clone()).collect();
        assert_eq!(commissions, vec![Some(usd("1.00")), Some(usd("1.10"))]);
    }

    #[test]
    fn an_overfill_or_empty_execution_is_flagged() {
        let mut o = order("10");
        assert!(!o.apply_fill("e0", dec("0"), dec("1"), at(1)));
        o.apply_fill("e1", dec("15"), dec("1"), at(2));
        assert_eq!(o.filled_quantity(), dec("15"));
        assert_eq!(o.remaining(), Decimal::ZERO);
        let errors = o.timeline().iter().filter(|e| matches!(e.event, TimelineEvent::DataError { .. })).count();
        assert_eq!(errors, 2);
    }

    #[test]
    fn an_unacknowledged_order_turns_unconfirmed_after_the_timeout() {
        let five = Duration::from_secs(5);
        let mut o = order("10");
        assert_eq!(o.shown_status(at(4), five), ShownStatus::Status(OrderStatus::PendingSubmit));
        assert_eq!(o.shown_status(at(5), five), ShownStatus::Unconfirmed);
        assert_eq!(o.shown_status(at(5), five).label(), "UNCONFIRMED");
        // A clock that went backwards is not a timeout.
        assert_eq!(o.shown_status(at(-10), five), ShownStatus::Status(OrderStatus::PendingSubmit));
        // An unknown code does not acknowledge; a warning does.
        o.apply_code(12345, "?", at(6));
        assert_eq!(o.shown_status(at(7), five), ShownStatus::Unconfirmed);
        o.apply_code(10349, "Order TIF was set to DAY based on order preset.", at(8));
        assert_eq!(o.shown_status(at(9), five), ShownStatus::Status(OrderStatus::PendingSubmit));
    }

    #[test]
    fn codes_reject_cancel_or_leave_the_order_live() {
        let mut o = order("10");
        assert_eq!(o.apply_code(10349, "Order TIF was set to DAY", at(1)).class, CodeClass::Warning);
        o.apply_fill("e1", dec("10"), dec("1"), at(2));
        assert_eq!(o.status(), OrderStatus::Filled);

        let mut o = order("10");
        assert_eq!(o.apply_code(451, "exceeds the Total Value Limit", at(1)).label, "gateway precaution");
        assert_eq!(o.status(), OrderStatus::Rejected);

        let mut o = order("10");
        o.apply_code(2109, "Outside RTH ignored", at(1));
        o.apply_code(100, "Max rate exceeded", at(2));
        assert_eq!(o.status(), OrderStatus::PendingSubmit);
        o.apply_code(202, "Order Canceled - reason:", at(3));
        assert_eq!(o.status(), OrderStatus::Cancelled);

        // 110 after an acknowledgement (a modify) does not reject the working order.
        let mut o = order("10");
        o.apply_status(OrderStatus::Submitted, at(1));
        assert_eq!(o.apply_code(110, "price does not conform", at(2)).class, CodeClass::Unknown);
        assert_eq!(o.status(), OrderStatus::Submitted);
    }

    #[derive(Debug, Clone)]
    enum Event {
        Fill(usize),
        Status(OrderStatus),
        Commission(usize),
    }

    fn any_status() -> impl Strategy<Value = OrderStatus> {
        prop::sample::select(vec![
            OrderStatus::PendingSubmit,
            OrderStatus::PreSubmitted,
            OrderStatus::Submitted,
            OrderStatus::PendingCancel,
            OrderStatus::Inactive,
            OrderStatus::ApiCancelled,
            OrderStatus::Cancelled,
            OrderStatus::Rejected,
            OrderStatus::Filled,
        ])
    }

    proptest! {
        /// Any order, duplication and interleaving of a set of executions, statuses and
        /// commissions: filled = sum over unique exec ids, never above the order quantity,
        /// and the status rank never decreases.
        #[test]
        fn fills_and_statuses_in_any_order(
            sizes in prop::collection::vec(1u32..50, 1..8),
            extra in 0u32..100,
            events in prop::collection::vec(
                prop_oneof![
                    (0usize..8).prop_map(Event::Fill),
                    any_status().prop_map(Event::Status),
                    (0usize..8).prop_map(Event::Commission),
                ],
                0..60,
            ),
        ) {
            let total: u32 = sizes.iter().sum();
            let mut o = OrderLifecycle::new(1, "rt", Decimal::from(total + extra), t0());
            let mut seen = std::collections::BTreeSet::new();
            let mut rank = o.status().rank();
            for (i, event) in events.iter().enumerate() {
                let when = at(i as i64);
                match event {
                    Event::Fill(k) => {
                        let k = k % sizes.len();
                        let new = o.apply_fill(&format!("e{k}"), Decimal::from(sizes[k]), dec("10"), when);
                        prop_assert_eq!(new, seen.insert(k));
                    }
                    Event::Status(s) => { o.apply_status(*s, when); }
                    Event::Commission(k) => {
                        o.apply_commission(&format!("e{}", k % sizes.len()), usd("1"), when);
                    }
                }
                prop_assert!(o.status().rank() >= rank, "regressed to {:?}", o.status());
                rank = o.status().rank();
                let expected: u32 = seen.iter().map(|k| sizes[*k]).sum();
                prop_assert_eq!(o.filled_quantity(), Decimal::from(expected));
                prop_assert!(o.filled_quantity() <= o.quantity());
            }
            if !seen.is_empty() && seen.len() == sizes.len() && extra == 0 {
                prop_assert_eq!(o.status(), OrderStatus::Filled);
            }
            // Every commission for an execution that arrived is attached, once.
            for fill in o.fills() {
                let k: usize = fill.exec_id[1..].parse().unwrap();
                let commissioned = events.iter().any(|e| matches!(e, Event::Commission(c) if c % sizes.len() == k));
                prop_assert_eq!(fill.commission.is_some(), commissioned);
            }
        }
    }
}
