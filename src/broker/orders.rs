//! The order desk: the only path from robo-tui to PlaceOrder. A session gets an [`OrderDesk`]
//! only when it is a trading session; a monitor is built without one, so it has no value that
//! could send an order.

use super::convert::decimal_from_f64;
use super::feeds::{Feed, FeedId};
use crate::orders::{
    ConfirmedOrder, ContractInfo, IntentRecord, OrderAction, OrderIntent, OrderType, TimeInForce, Trailing,
    GOOD_TILL_WIRE_FORMAT,
};
use crate::store::{BrokerEvent, OrderTerms, WhatIf};
use ibapi::contracts::Contract;
use ibapi::orders::{Action, ExecutionData, OrderData, OrderStatus, OrderUpdate, Orders};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use tokio::sync::mpsc;

/// An order built only from a confirmed, validated intent ([`ConfirmedOrder`]).
#[derive(Debug, Clone, PartialEq)]
pub struct WireOrder {
    pub intent_id: String,
    pub con_id: i32,
    pub symbol: String,
    pub exchange: String,
    pub currency: String,
    pub action: OrderAction,
    pub quantity: Decimal,
    pub order_type: OrderType,
    pub limit_price: Option<Decimal>,
    pub stop_price: Option<Decimal>,
    /// TRAIL / TRAIL LIMIT: the amount goes as `aux_price`, the percent as `trailing_percent`.
    pub trailing: Option<Trailing>,
    /// TRAIL LIMIT's `limit_price_offset`.
    pub limit_offset: Option<Decimal>,
    pub tif: TimeInForce,
    /// GTD's `good_till_date`, `YYYYMMDD-HH:MM:SS` (IB's UTC form).
    pub good_till: Option<String>,
    pub outside_rth: bool,
    pub account: String,
    /// The parent's order id for an exit leg of a group (set when the parent's id is known).
    pub parent_id: Option<i32>,
    /// `false` stages the order at the gateway until a later order of its group transmits.
    pub transmit: bool,
}

impl WireOrder {
    /// The wire order for a confirmed ticket: the intent id travels as `order_ref`.
    pub fn from_confirmed(order: &ConfirmedOrder) -> WireOrder {
        WireOrder::from_intent(&order.intent, &order.intent_id)
    }

    /// The wire form of a validated intent (what-if previews use it before confirmation).
    pub fn from_intent(intent: &OrderIntent, intent_id: &str) -> WireOrder {
        let contract = intent.contract();
        WireOrder {
            intent_id: intent_id.to_string(),
            con_id: contract.con_id,
            symbol: contract.symbol.clone(),
            exchange: contract.exchange.clone(),
            currency: contract.currency.clone(),
            action: intent.action(),
            quantity: intent.quantity(),
            order_type: intent.order_type(),
            limit_price: intent.limit_price(),
            stop_price: intent.stop_price(),
            trailing: intent.trailing(),
            limit_offset: intent.limit_offset(),
            tif: intent.tif(),
            good_till: intent.good_till().map(|at| at.format(GOOD_TILL_WIRE_FORMAT).to_string()),
            outside_rth: intent.outside_rth(),
            account: intent.account().to_string(),
            parent_id: None,
            transmit: true,
        }
    }

    /// A journaled leg sent again on its own (a repair after reconnect: the stop of a filled
    /// entry), for `quantity`, with its own intent id. Its values were validated when the
    /// group was confirmed; the contract is the journaled con id.
    pub fn from_record(
        record: &IntentRecord,
        intent_id: &str,
        quantity: Decimal,
        contract: Option<&ContractInfo>,
    ) -> WireOrder {
        WireOrder {
            intent_id: intent_id.to_string(),
            con_id: record.con_id,
            symbol: record.symbol.clone(),
            exchange: contract.map_or_else(|| "SMART".to_string(), |c| c.exchange.clone()),
            currency: contract.map_or_else(|| "USD".to_string(), |c| c.currency.clone()),
            action: record.action,
            quantity,
            order_type: record.order_type,
            limit_price: record.limit_price,
            stop_price: record.stop_price,
            trailing: record.trailing,
            limit_offset: record.limit_offset,
            tif: record.tif,
            good_till: record.good_till.map(|at| at.format(GOOD_TILL_WIRE_FORMAT).to_string()),
            outside_rth: record.outside_rth,
            account: record.account.clone(),
            parent_id: None,
            transmit: true,
        }
    }

    pub fn terms(&self) -> OrderTerms {
        OrderTerms {
            account: self.account.clone(),
            symbol: self.symbol.clone(),
            con_id: self.con_id,
            action: self.action.code().to_string(),
            quantity: self.quantity,
            order_type: self.order_type.code().to_string(),
            limit_price: self.limit_price,
            stop_price: self.stop_price.or(match self.trailing {
                Some(Trailing::Amount(amount)) => Some(amount),
                _ => None,
            }),
            trail_stop_price: None,
            tif: self.tif.code().to_string(),
            outside_rth: self.outside_rth,
            order_ref: self.intent_id.clone(),
        }
    }

    pub fn contract(&self) -> Contract {
        let mut contract = Contract::stock(self.symbol.as_str()).build();
        contract.contract_id = self.con_id;
        contract
    }

    /// The ibapi order. Prices and quantity become f64 here, at the wire, once.
    pub fn ib_order(&self, what_if: bool) -> ibapi::orders::Order {
        ibapi::orders::Order {
            action: match self.action {
                OrderAction::Buy => Action::Buy,
                OrderAction::Sell => Action::Sell,
            },
            total_quantity: self.quantity.to_f64().unwrap_or(0.0),
            order_type: self.order_type.code().to_string(),
            limit_price: self.limit_price.and_then(|p| p.to_f64()),
            aux_price: match self.trailing {
                Some(Trailing::Amount(amount)) => amount.to_f64(),
                _ => self.stop_price.and_then(|p| p.to_f64()),
            },
            trailing_percent: match self.trailing {
                Some(Trailing::Percent(percent)) => percent.to_f64(),
                _ => None,
            },
            limit_price_offset: self.limit_offset.and_then(|p| p.to_f64()),
            tif: ibapi::orders::TimeInForce::from(self.tif.code()),
            good_till_date: self.good_till.clone().unwrap_or_default(),
            outside_rth: self.outside_rth,
            account: self.account.clone(),
            order_ref: self.intent_id.clone(),
            parent_id: self.parent_id.unwrap_or(0),
            transmit: self.transmit,
            what_if,
            ..Default::default()
        }
    }
}

/// Requests to the order desk.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderCommand {
    /// Resolve a symbol to a contract (min tick, con id), or learn the gateway has none.
    Resolve {
        symbol: String,
    },
    /// Ask the gateway what the order would do (commission, margin) without placing it.
    WhatIf {
        request: u64,
        order: WireOrder,
    },
    /// Place the order (or modify `modify`, keeping its order id). The journal already holds
    /// the intent; the desk journals the submission before it transmits.
    Place {
        request: u64,
        order: WireOrder,
        modify: Option<i32>,
    },
    /// Place a group's legs, entry first (each journaled as it goes; the journal already holds
    /// the group's intent). The desk sets `parent_id` and `transmit` on each leg.
    PlaceGroup {
        request: u64,
        legs: Vec<WireOrder>,
    },
    Cancel {
        order_id: i32,
    },
    GlobalCancel,
}

/// The sending half of the order desk. Only a trading session creates one.
#[derive(Debug, Clone)]
pub struct OrderDesk {
    tx: mpsc::Sender<OrderCommand>,
}

/// The receiving half, owned by the broker task.
pub struct OrderDeskInbox {
    pub(super) rx: mpsc::Receiver<OrderCommand>,
}

impl OrderDesk {
    /// A desk and its inbox: give the inbox to `broker::run`, keep the desk in the app.
    pub fn open() -> (OrderDesk, OrderDeskInbox) {
        let (tx, rx) = mpsc::channel(64);
        (OrderDesk { tx }, OrderDeskInbox { rx })
    }

    /// Queue a command; `false` when the broker task is gone.
    pub fn send(&self, command: OrderCommand) -> bool {
        self.tx.try_send(command).is_ok()
    }
}

fn terms_of(data: &OrderData) -> OrderTerms {
    let order = &data.order;
    OrderTerms {
        account: order.account.clone(),
        symbol: data.contract.symbol.0.clone(),
        con_id: data.contract.contract_id,
        action: order.action.as_str().to_string(),
        quantity: decimal_from_f64(order.total_quantity).unwrap_or_default(),
        order_type: order.order_type.clone(),
        limit_price: order.limit_price.and_then(decimal_from_f64),
        stop_price: order.aux_price.and_then(decimal_from_f64),
        trail_stop_price: order
            .trail_stop_price
            .and_then(decimal_from_f64)
            .filter(|_| order.order_type.starts_with("TRAIL")),
        tif: order.tif.as_str().to_string(),
        outside_rth: order.outside_rth,
        order_ref: order.order_ref.clone(),
    }
}

/// A what-if answer is not an order: it never becomes a row.
fn is_what_if(data: &OrderData) -> bool {
    data.order.what_if || data.order.order_ref.starts_with(WHAT_IF_PREFIX)
}

/// The `order_ref` of what-if requests.
pub const WHAT_IF_PREFIX: &str = "what-if-";

fn open_order(data: OrderData) -> Feed {
    // Completed orders carry -1 at the top level; the order's own id is inside.
    let order_id = if data.order_id > 0 { data.order_id } else { data.order.order_id };
    Feed::Event(BrokerEvent::OpenOrder {
        order_id,
        client_id: data.order.client_id,
        perm_id: (data.order.perm_id != 0).then_some(data.order.perm_id),
        terms: terms_of(&data),
        status: data.order_state.status.as_str().to_string(),
    })
}

fn order_status(status: OrderStatus) -> Feed {
    Feed::Event(BrokerEvent::OrderStatus {
        order_id: status.order_id,
        client_id: status.client_id,
        perm_id: (status.perm_id != 0).then_some(status.perm_id),
        status: status.status.as_str().to_string(),
        filled: decimal_from_f64(status.filled),
        remaining: decimal_from_f64(status.remaining),
    })
}

fn execution(data: ExecutionData) -> Vec<Feed> {
    let e = data.execution;
    let (Some(shares), Some(price)) = (decimal_from_f64(e.shares), decimal_from_f64(e.price)) else {
        return vec![Feed::Failed(
            FeedId::OrderUpdates,
            vec![format!("execution {} without shares or price", e.execution_id)],
        )];
    };
    let side = match e.side {
        ibapi::orders::ExecutionSide::Bought => "BOT",
        ibapi::orders::ExecutionSide::Sold => "SLD",
    };
    vec![Feed::Event(BrokerEvent::Execution {
        exec_id: e.execution_id,
        order_id: e.order_id,
        client_id: e.client_id,
        account: e.account_number,
        symbol: data.contract.symbol.0,
        side: side.to_string(),
        shares,
        price,
        time: e.time,
    })]
}

fn commission(report: ibapi::orders::CommissionReport) -> Feed {
    Feed::Event(BrokerEvent::Commission {
        exec_id: report.execution_id,
        amount: decimal_from_f64(report.commission),
        currency: report.currency,
        realized_pnl: report.realized_pnl.and_then(decimal_from_f64),
    })
}

pub fn order_updates(update: OrderUpdate) -> Vec<Feed> {
    match update {
        OrderUpdate::OpenOrder(data) if is_what_if(&data) => Vec::new(),
        OrderUpdate::OpenOrder(data) => vec![open_order(data)],
        OrderUpdate::OrderStatus(status) => vec![order_status(status)],
        OrderUpdate::ExecutionData(data) => execution(data),
        OrderUpdate::CommissionReport(report) => vec![commission(report)],
        OrderUpdate::OrderBound(_) => Vec::new(),
    }
}

pub fn orders(item: Orders) -> Vec<Feed> {
    match item {
        Orders::OrderData(data) if is_what_if(&data) => Vec::new(),
        Orders::OrderData(data) => vec![open_order(data)],
        Orders::OrderStatus(status) => vec![order_status(status)],
    }
}

pub fn executions(item: ibapi::orders::Executions) -> Vec<Feed> {
    match item {
        ibapi::orders::Executions::ExecutionData(data) => execution(data),
        ibapi::orders::Executions::CommissionReport(report) => vec![commission(report)],
    }
}

/// The contract info a ticket validates against, from contract details.
pub fn contract_info(details: &ibapi::contracts::ContractDetails) -> Option<ContractInfo> {
    let min_tick = decimal_from_f64(details.min_tick).filter(|t| *t > Decimal::ZERO)?;
    Some(ContractInfo {
        con_id: details.contract.contract_id,
        symbol: details.contract.symbol.0.clone(),
        exchange: details.contract.exchange.0.clone(),
        currency: details.contract.currency.0.clone(),
        min_tick,
        multiplier: Decimal::ONE,
    })
}

/// The what-if figures from an OpenOrder's order state.
pub fn what_if(data: &OrderData) -> WhatIf {
    let state = &data.order_state;
    let dec = |v: Option<f64>| v.and_then(decimal_from_f64);
    WhatIf {
        commission: dec(state.commission),
        commission_currency: state.commission_currency.clone(),
        init_margin_before: dec(state.initial_margin_before),
        init_margin_after: dec(state.initial_margin_after),
        maint_margin_before: dec(state.maintenance_margin_before),
        maint_margin_after: dec(state.maintenance_margin_after),
        equity_with_loan_after: dec(state.equity_with_loan_after),
        warning: Some(state.warning_text.clone()).filter(|w| !w.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::{ContractInfo, MarketContext, Ticket};
    use chrono::TimeZone;
    use std::str::FromStr;

    fn market() -> MarketContext {
        MarketContext {
            contract: Some(ContractInfo {
                con_id: 265598,
                symbol: "AAPL".into(),
                exchange: "SMART".into(),
                currency: "USD".into(),
                min_tick: Decimal::from_str("0.01").unwrap(),
                multiplier: Decimal::ONE,
            }),
            managed_accounts: vec!["DU111111".into()],
            now: Utc.with_ymd_and_hms(2026, 11, 28, 15, 0, 0).single(),
            ..MarketContext::default()
        }
    }

    fn wire(t: Ticket) -> ibapi::orders::Order {
        let intent = Ticket { quantity: "10".into(), ..t }.validate(&market()).expect("valid");
        WireOrder::from_intent(&intent, "rt-1").ib_order(false)
    }

    use chrono::Utc;

    #[test]
    fn trailing_stops_and_gtd_map_to_their_ib_fields() {
        let base = Ticket::new("AAPL", OrderAction::Sell, "DU111111");
        let amount = wire(Ticket { order_type: OrderType::Trail, trail: "0.50".into(), ..base.clone() });
        assert_eq!((amount.order_type.as_str(), amount.aux_price, amount.trailing_percent), ("TRAIL", Some(0.5), None));
        assert_eq!((amount.limit_price, amount.limit_price_offset), (None, None));
        let percent = wire(Ticket { order_type: OrderType::Trail, trail: "1.5%".into(), ..base.clone() });
        assert_eq!((percent.aux_price, percent.trailing_percent), (None, Some(1.5)));
        let limit = wire(Ticket {
            order_type: OrderType::TrailLimit,
            trail: "0.25".into(),
            limit_offset: "0.10".into(),
            ..base.clone()
        });
        assert_eq!(
            (limit.order_type.as_str(), limit.aux_price, limit.limit_price_offset),
            ("TRAIL LIMIT", Some(0.25), Some(0.1))
        );
        let gtd = wire(Ticket {
            limit_price: "150".into(),
            tif: TimeInForce::Gtd,
            good_till: "20261128 21:00".into(),
            ..base.clone()
        });
        assert_eq!(gtd.tif, ibapi::orders::TimeInForce::GoodTillDate);
        assert_eq!(gtd.good_till_date, "20261128-21:00:00", "UTC, in IB's UTC form");
        // A single order transmits and has no parent.
        assert!(gtd.transmit);
        assert_eq!(gtd.parent_id, 0);
        let day = wire(Ticket { limit_price: "150".into(), ..base });
        assert_eq!(day.good_till_date, "");
    }
}
