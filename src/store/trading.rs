//! The trading side of the store: resolved contracts, what-if answers, and whether order
//! entry is possible (halt, journal, session kind, config), plus the contexts the order core
//! (`crate::orders`) takes, built from the store.

use super::connection::ConnectionState;
use super::reducer::Store;
use crate::orders::{ContractInfo, GuardContext, Link, MarketContext, Precautions, RecentOrder, SessionKind};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

/// The gateway's what-if answer for a ticket being previewed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIf {
    pub commission: Option<Decimal>,
    pub commission_currency: String,
    pub init_margin_before: Option<Decimal>,
    pub init_margin_after: Option<Decimal>,
    pub maint_margin_before: Option<Decimal>,
    pub maint_margin_after: Option<Decimal>,
    pub equity_with_loan_after: Option<Decimal>,
    pub warning: Option<String>,
}

/// A what-if request and its answer (or the gateway's refusal, e.g. 201 insufficient funds).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIfAnswer {
    /// Which preview asked: the UI's ticket revision.
    pub request: u64,
    pub result: Result<WhatIf, String>,
    pub at: DateTime<Utc>,
}

/// What became of a ticket the trader confirmed: sent (with its intent id, which is also
/// the order's `order_ref`) or refused with the reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketOutcome {
    pub request: u64,
    pub result: Result<String, String>,
    pub at: DateTime<Utc>,
}

/// Whether and how this session may trade.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TradingState {
    /// Monitor sessions can never send orders.
    #[serde(skip)]
    pub session: Option<SessionKind>,
    pub allow_live: bool,
    pub halted: bool,
    /// Set when the gateway came back after an outage longer than
    /// [`crate::orders::guard::REARM_AFTER_OUTAGE`] (its length in minutes); cleared when the
    /// trader re-arms (resumes).
    pub rearm_after_outage: Option<i64>,
    pub journal_error: Option<String>,
    #[serde(skip)]
    pub precautions: Precautions,
    /// Orders this session sent recently, for the per-minute and duplicate rules.
    #[serde(skip)]
    pub recent: Vec<RecentOrder>,
    /// Symbol → resolved contract, or the gateway's reason it has none.
    pub contracts: std::collections::BTreeMap<String, Result<ContractInfo, String>>,
    pub what_if: Option<WhatIfAnswer>,
    pub outcome: Option<TicketOutcome>,
    /// A group interrupted between legs and how it was resolved, shown in the status bar
    /// until a reconciliation finds nothing wrong.
    pub group_alert: Option<String>,
}

/// How long recent submissions are kept for the rate and duplicate rules.
const RECENT_WINDOW_SECS: i64 = 120;

impl TradingState {
    pub fn remember(&mut self, order: RecentOrder, now: DateTime<Utc>) {
        self.recent.retain(|r| (now - r.at).num_seconds() < RECENT_WINDOW_SECS);
        self.recent.push(order);
    }
}

impl Store {
    /// The link state in the order core's terms.
    pub fn link(&self) -> Link {
        let state = self.connection.state.label().to_string();
        match &self.connection.state {
            ConnectionState::Live => Link::Live,
            ConnectionState::Reconciling | ConnectionState::Degraded { .. } => Link::SocketUp { state },
            _ => Link::Down { state },
        }
    }

    /// What the paper guard looks at. A session whose kind is not configured yet is treated
    /// as a monitor: fail closed.
    pub fn guard_context(&self) -> GuardContext<'_> {
        GuardContext {
            managed_accounts: &self.connection.managed_accounts,
            ticket_account: None,
            link: self.link(),
            reconciled: self.connection.state.is_live(),
            halted: self.trading.halted,
            rearm_after_outage: self.trading.rearm_after_outage,
            journal_error: self.trading.journal_error.as_deref(),
            allow_live: self.trading.allow_live,
            session: self.trading.session.unwrap_or(SessionKind::Monitor),
        }
    }

    /// What a ticket for `symbol` in `account` validates against: the resolved contract, the
    /// quote and its age, the position held.
    pub fn market_context(&self, symbol: &str, account: &str, now: DateTime<Utc>) -> MarketContext {
        let symbol = symbol.trim().to_ascii_uppercase();
        let contract = self.trading.contracts.get(&symbol).and_then(|c| c.as_ref().ok()).cloned();
        let quote = self.quotes.get(&symbol);
        let quote_age = quote
            .and_then(|q| q.updated_at)
            .and_then(|at| (now - at).to_std().ok().or(Some(std::time::Duration::ZERO)));
        let quote_live = quote
            .is_some_and(|q| q.kind.is_none_or(|k| k == super::quote::MarketDataKind::Live) && q.problem.is_none())
            && self.connection.state.is_live();
        let position = self
            .positions
            .iter()
            .find(|(key, row)| key.account == account && row.symbol == symbol)
            .map(|(_, row)| row.quantity);
        MarketContext {
            contract,
            managed_accounts: self.connection.managed_accounts.clone(),
            bid: quote.and_then(|q| q.bid),
            ask: quote.and_then(|q| q.ask),
            last: quote.and_then(|q| q.last),
            quote_age,
            quote_live,
            position,
            now: Some(now),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::entry_allowed;
    use crate::store::{BrokerEvent, StoreEvent, TickField, TradingEvent};
    use chrono::TimeZone;
    use std::str::FromStr;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, 14, 30, 0).single().expect("time") + chrono::Duration::seconds(secs)
    }

    fn live_store(accounts: &[&str]) -> Store {
        let mut store = Store::new();
        let accounts: Vec<String> = accounts.iter().map(|a| a.to_string()).collect();
        store.apply(
            t(0),
            StoreEvent::Broker(BrokerEvent::Connecting {
                address: "a".into(),
                gateway_origin: "o".into(),
                client_id: 1,
                attempt: 1,
            }),
        );
        store.apply(
            t(0),
            StoreEvent::Broker(BrokerEvent::Connected {
                server_version: 226,
                connection_time: None,
                managed_accounts: accounts,
            }),
        );
        store.apply(t(0), StoreEvent::Broker(BrokerEvent::Reconciled));
        store
    }

    #[test]
    fn entry_fails_closed_until_the_session_says_it_trades() {
        let mut store = live_store(&["DU1234567"]);
        assert!(entry_allowed(&store.guard_context()).is_err(), "no session kind yet: treated as a monitor");
        let configured = TradingEvent::Configured {
            session: SessionKind::Trading,
            allow_live: false,
            precautions: Precautions::default(),
        };
        store.apply(t(1), StoreEvent::Trading(configured));
        assert!(entry_allowed(&store.guard_context()).is_ok());
        store.apply(t(2), StoreEvent::Trading(TradingEvent::Halted(true)));
        assert!(entry_allowed(&store.guard_context()).is_err());
    }

    #[test]
    fn a_live_looking_account_blocks_entry() {
        let mut store = live_store(&["U1234567"]);
        let configured = TradingEvent::Configured {
            session: SessionKind::Trading,
            allow_live: false,
            precautions: Precautions::default(),
        };
        store.apply(t(1), StoreEvent::Trading(configured));
        let block = entry_allowed(&store.guard_context()).expect_err("live account");
        assert!(block.to_string().contains("U1234567"), "{block}");
    }

    #[test]
    fn market_context_carries_contract_quote_age_and_position() {
        let mut store = live_store(&["DU1"]);
        let info = ContractInfo {
            con_id: 265598,
            symbol: "AAPL".into(),
            exchange: "SMART".into(),
            currency: "USD".into(),
            min_tick: Decimal::from_str("0.01").expect("d"),
            multiplier: Decimal::ONE,
        };
        store
            .apply(t(1), StoreEvent::Broker(BrokerEvent::ContractResolved { symbol: "AAPL".into(), result: Ok(info) }));
        store.apply(
            t(2),
            StoreEvent::Broker(BrokerEvent::Tick {
                symbol: "AAPL".into(),
                field: TickField::Ask,
                value: Decimal::from(150),
            }),
        );
        let context = store.market_context("aapl", "DU1", t(5));
        assert_eq!(context.contract.map(|c| c.con_id), Some(265598));
        assert_eq!(context.ask, Some(Decimal::from(150)));
        assert_eq!(context.quote_age, Some(std::time::Duration::from_secs(3)));
        assert!(context.quote_live);
        assert_eq!(context.position, None);
        let unknown = store.market_context("ZZZZ", "DU1", t(5));
        assert!(unknown.contract.is_none());
        assert!(!unknown.quote_live);
    }
}
