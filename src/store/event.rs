//! Events: facts that came in, and the effects applying them asks for.

use super::connection::DisconnectKind;
use super::health::SubsystemStatus;
use super::order::OrderTerms;
use super::quote::{MarketDataKind, TickField};
use super::signal::Signal;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// Everything that can change the store.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreEvent {
    Broker(BrokerEvent),
    Strategy(StrategyEvent),
    Subsystem(SubsystemEvent),
    Session(SessionEvent),
    Trading(TradingEvent),
}

/// Facts about order entry that come from the trader or the app, not from the gateway.
#[derive(Debug, Clone, PartialEq)]
pub enum TradingEvent {
    /// This session's kind and the `[trading]` config.
    Configured { session: crate::orders::SessionKind, allow_live: bool, precautions: crate::orders::Precautions },
    /// The trader halted (or resumed) trading.
    Halted(bool),
    /// The journal failed (`Some(reason)`) or works again (`None`).
    Journal(Option<String>),
    /// This session sent an order (for the rate and duplicate rules).
    Sent(crate::orders::RecentOrder),
    /// A confirmed ticket was sent (`Ok(intent id)`) or refused (`Err(reason)`).
    Outcome { request: u64, result: Result<String, String> },
    /// What reconnect found about groups interrupted between legs, for the status bar
    /// (`None`: nothing wrong any more).
    GroupAlert(Option<String>),
}

/// Facts about this session that come from configuration, not from a task.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionEvent {
    Configured { watchlist: Vec<String>, strategies: usize },
}

/// Facts from the broker task. Values are already converted from the wire's f64 to `Decimal`.
#[derive(Debug, Clone, PartialEq)]
pub enum BrokerEvent {
    /// The broker task is about to connect to `address` (attempt 1, 2, …).
    Connecting {
        address: String,
        gateway_origin: String,
        client_id: i32,
        attempt: u32,
    },
    Handshaking {
        attempt: u32,
    },
    /// The handshake finished.
    Connected {
        server_version: i32,
        connection_time: Option<String>,
        managed_accounts: Vec<String>,
    },
    /// The initial account summary and positions have all arrived.
    Reconciled,
    /// The gateway's state is being fetched again (after 1101/1102); order entry waits.
    Reconciling,
    /// The gateway did not answer the liveness probe in time; a fresh connection follows.
    Stale {
        reason: String,
    },
    /// The connection is gone; the task will try again at `next_try_at` unless it is `None`.
    Disconnected {
        kind: DisconnectKind,
        reason: String,
        next_try_at: Option<DateTime<Utc>>,
        attempt: u32,
    },
    AccountValue {
        account: String,
        tag: String,
        value: String,
        currency: String,
    },
    AccountSummaryEnd,
    Position {
        account: String,
        con_id: i32,
        symbol: String,
        currency: String,
        quantity: Decimal,
        average_cost: Option<Decimal>,
    },
    PositionsEnd,
    Portfolio {
        account: String,
        con_id: i32,
        symbol: String,
        currency: String,
        quantity: Decimal,
        market_price: Option<Decimal>,
        market_value: Option<Decimal>,
        average_cost: Option<Decimal>,
        unrealized_pnl: Option<Decimal>,
        realized_pnl: Option<Decimal>,
    },
    /// A notice or error from the gateway (global ones have id -1).
    Notice {
        id: i32,
        code: i32,
        text: String,
    },
    /// Account P&L from `reqPnL`.
    Pnl {
        account: String,
        daily: Option<Decimal>,
        unrealized: Option<Decimal>,
        realized: Option<Decimal>,
    },
    /// Position P&L from `reqPnLSingle`; it owns a position's P&L figures.
    PnlSingle {
        account: String,
        con_id: i32,
        daily: Option<Decimal>,
        unrealized: Option<Decimal>,
        realized: Option<Decimal>,
    },
    /// A market data tick for a watched symbol.
    Tick {
        symbol: String,
        field: TickField,
        value: Decimal,
    },
    /// The market data type the gateway reported for a symbol's subscription.
    MarketDataType {
        symbol: String,
        kind: MarketDataKind,
    },
    /// A 5-second real-time bar.
    Bar {
        symbol: String,
        time: DateTime<Utc>,
        open: Decimal,
        high: Decimal,
        low: Decimal,
        close: Decimal,
        volume: Decimal,
    },
    /// A symbol's market data could not be had (unknown symbol, no entitlement, …).
    QuoteProblem {
        symbol: String,
        text: String,
    },
    /// The round trip of a `reqCurrentTime` probe.
    RoundTrip {
        micros: u64,
    },
    /// An open order as the gateway describes it (OpenOrder).
    OpenOrder {
        order_id: i32,
        client_id: i32,
        perm_id: Option<i64>,
        terms: OrderTerms,
        status: String,
    },
    /// An order status report.
    OrderStatus {
        order_id: i32,
        client_id: i32,
        perm_id: Option<i64>,
        status: String,
        filled: Option<Decimal>,
        remaining: Option<Decimal>,
    },
    /// An execution (a fill), keyed by its exec id.
    Execution {
        exec_id: String,
        order_id: i32,
        client_id: i32,
        account: String,
        symbol: String,
        side: String,
        shares: Decimal,
        price: Decimal,
        time: String,
    },
    /// The commission for an execution; may arrive before or after it.
    Commission {
        exec_id: String,
        amount: Option<Decimal>,
        currency: String,
        realized_pnl: Option<Decimal>,
    },
    /// The gateway resolved a symbol to a contract, or has none for it (error 200).
    ContractResolved {
        symbol: String,
        result: Result<crate::orders::ContractInfo, String>,
    },
    /// The gateway's what-if answer for a previewed ticket.
    WhatIf {
        request: u64,
        result: Result<super::trading::WhatIf, String>,
    },
    /// This session handed an order to the gateway.
    OrderSubmitted {
        order_id: i32,
        intent_id: String,
        terms: OrderTerms,
    },
    /// A message arrived (used for "time since last message" when nothing else changed).
    Heartbeat,
}

/// Facts from the strategy task.
#[derive(Debug, Clone, PartialEq)]
pub enum StrategyEvent {
    Signal(Signal),
}

/// A subsystem reports its state to the diagnostics registry.
#[derive(Debug, Clone, PartialEq)]
pub struct SubsystemEvent {
    pub id: String,
    pub status: SubsystemStatus,
}

/// What applying an event asks the loop to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    /// Something a pane shows changed: draw a new frame.
    pub redraw: bool,
}

impl Effects {
    pub fn redraw() -> Self {
        Effects { redraw: true }
    }

    pub fn merge(&mut self, other: Effects) {
        self.redraw |= other.redraw;
    }
}
