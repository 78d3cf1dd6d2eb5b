//! The reducer: `Store::apply(at, event)` is the only way state changes.

use super::account::{AccountFigure, AccountKind, AccountPnl, AccountState, NET_LIQ_HISTORY};
use super::connection::{farm_of, ConnectionHealth, ConnectionState, FarmState, NoticeRecord, NOTICE_HISTORY};
use super::event::{BrokerEvent, Effects, SessionEvent, StoreEvent, StrategyEvent, SubsystemEvent, TradingEvent};
use super::health::{Health, SubsystemStatus};
use super::order::{ExecutionRow, OrderRow};
use super::position::{PositionKey, PositionRow};
use super::quote::Quote;
use super::signal::Signal;
use super::trading::{TicketOutcome, TradingState, WhatIfAnswer};
use crate::orders::{Commission, OrderLifecycle};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::str::FromStr;

/// How many signals the store keeps.
pub const SIGNAL_HISTORY: usize = 500;

/// All domain state the cockpit shows. Owned by the app task.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Store {
    pub connection: ConnectionHealth,
    pub accounts: BTreeMap<String, AccountState>,
    #[serde(serialize_with = "positions_as_list")]
    pub positions: BTreeMap<PositionKey, PositionRow>,
    /// True once the first PositionEnd arrived on the current connection.
    pub positions_complete: bool,
    /// Market data per symbol, for the watchlist and order tickets.
    pub quotes: BTreeMap<String, Quote>,
    /// Orders by order id: this session's and, for reading, other clients'.
    pub orders: BTreeMap<i32, OrderRow>,
    /// Today's executions by exec id (each fill counted once).
    pub executions: BTreeMap<String, ExecutionRow>,
    /// Commissions that arrived before their execution, by exec id.
    pub pending_commissions: BTreeMap<String, (Option<Decimal>, String, Option<Decimal>)>,
    /// Order entry: halt, journal, contracts, what-if answers.
    pub trading: TradingState,
    /// The configured watchlist symbols, in order (position symbols are added when shown).
    pub watchlist: Vec<String>,
    /// Newest last.
    pub signals: VecDeque<Signal>,
    /// Whether any strategy is configured (the Signals pane says so when none is).
    pub strategies_configured: usize,
    pub subsystems: BTreeMap<String, SubsystemStatus>,
    /// Bumped on every applied event that changed something.
    pub revision: u64,
}

impl Store {
    pub fn new() -> Self {
        Store::default()
    }

    /// Apply one event that arrived at `at`. Returns what the loop should do next.
    pub fn apply(&mut self, at: DateTime<Utc>, event: StoreEvent) -> Effects {
        let effects = match event {
            StoreEvent::Broker(event) => self.apply_broker(at, event),
            StoreEvent::Strategy(StrategyEvent::Signal(signal)) => {
                self.signals.push_back(signal);
                while self.signals.len() > SIGNAL_HISTORY {
                    self.signals.pop_front();
                }
                Effects::redraw()
            }
            StoreEvent::Session(SessionEvent::Configured { watchlist, strategies }) => {
                self.watchlist = watchlist;
                self.strategies_configured = strategies;
                Effects::redraw()
            }
            StoreEvent::Trading(event) => {
                match event {
                    TradingEvent::Configured { session, allow_live, precautions } => {
                        self.trading.session = Some(session);
                        self.trading.allow_live = allow_live;
                        self.trading.precautions = precautions;
                    }
                    TradingEvent::Halted(halted) => {
                        self.trading.halted = halted;
                        // Resuming is the re-arm after a long outage too.
                        if !halted {
                            self.trading.rearm_after_outage = None;
                        }
                    }
                    TradingEvent::Journal(error) => self.trading.journal_error = error,
                    TradingEvent::Sent(order) => self.trading.remember(order, at),
                    TradingEvent::GroupAlert(alert) => self.trading.group_alert = alert,
                    TradingEvent::Outcome { request, result } => {
                        self.trading.outcome = Some(TicketOutcome { request, result, at });
                    }
                }
                Effects::redraw()
            }
            StoreEvent::Subsystem(SubsystemEvent { id, status }) => {
                let previous = self.subsystems.get(&id);
                let restarts = previous.map_or(0, |s| s.restarts);
                // The load time is how long the subsystem took to settle the first time: a
                // later update (the pacer's each second, a subscription's progress) keeps it.
                let load_time = match previous {
                    Some(p)
                        if p.health != Health::Pending && p.load_time.is_some() && p.restarts == status.restarts =>
                    {
                        p.load_time
                    }
                    _ => status.load_time,
                };
                let status = SubsystemStatus { restarts: status.restarts.max(restarts), load_time, ..status };
                self.subsystems.insert(id, status);
                Effects::redraw()
            }
        };
        if effects.redraw {
            self.revision += 1;
        }
        effects
    }

    fn apply_broker(&mut self, at: DateTime<Utc>, event: BrokerEvent) -> Effects {
        let connection = &mut self.connection;
        match event {
            BrokerEvent::Connecting { address, gateway_origin, client_id, attempt } => {
                connection.address = address;
                connection.gateway_origin = gateway_origin;
                connection.client_id = client_id;
                connection.state = ConnectionState::Connecting { attempt };
            }
            BrokerEvent::Handshaking { attempt } => {
                connection.state = ConnectionState::Handshaking { attempt };
            }
            BrokerEvent::Connected { server_version, connection_time, managed_accounts } => {
                if let Some(since) = connection.outage_since.take() {
                    let outage = at - since;
                    if outage > crate::orders::guard::REARM_AFTER_OUTAGE {
                        self.trading.rearm_after_outage = Some(outage.num_minutes());
                    }
                }
                connection.server_version = Some(server_version);
                connection.connection_time = connection_time;
                connection.connected_at = Some(at);
                connection.last_message_at = Some(at);
                connection.state = ConnectionState::Reconciling;
                for account in &managed_accounts {
                    self.accounts.entry(account.clone()).or_default();
                }
                connection.managed_accounts = managed_accounts;
                // A new connection starts a new snapshot of positions.
                self.positions_complete = false;
            }
            BrokerEvent::Reconciling => {
                if matches!(connection.state, ConnectionState::Live | ConnectionState::Degraded { .. }) {
                    connection.state = ConnectionState::Reconciling;
                }
            }
            BrokerEvent::Reconciled => {
                if matches!(connection.state, ConnectionState::Reconciling) {
                    connection.state = ConnectionState::Live;
                }
            }
            BrokerEvent::Stale { reason } => {
                connection.state = ConnectionState::Stale { since: at };
                push_notice(&mut connection.notices, NoticeRecord { at, id: -1, code: 0, text: reason });
            }
            BrokerEvent::Disconnected { kind, reason, next_try_at, attempt } => {
                connection.last_failure = Some(kind);
                // An outage starts when a working connection goes; failed first attempts are not one.
                if connection.connected_at.is_some() && connection.outage_since.is_none() {
                    connection.outage_since = Some(at);
                }
                connection.state = match next_try_at {
                    Some(next_try_at) => ConnectionState::Reconnecting { attempt, next_try_at, reason: reason.clone() },
                    None => ConnectionState::Down { reason: reason.clone() },
                };
                let text = format!("disconnected: {reason}");
                push_notice(&mut connection.notices, NoticeRecord { at, id: -1, code: 0, text });
            }
            BrokerEvent::AccountValue { account, tag, value, currency } => {
                connection.last_message_at = Some(at);
                let figure = AccountFigure { value: parse_decimal(&value), text: value, currency, at };
                let state = self.accounts.entry(account).or_default();
                if tag == "NetLiquidation" {
                    if let Some(value) = figure.value {
                        if state.net_liq_history.back() != Some(&value) {
                            if state.net_liq_history.len() == NET_LIQ_HISTORY {
                                state.net_liq_history.pop_front();
                            }
                            state.net_liq_history.push_back(value);
                        }
                    }
                }
                state.figures.insert(tag, figure);
            }
            BrokerEvent::AccountSummaryEnd => {
                connection.last_message_at = Some(at);
                for account in self.accounts.values_mut() {
                    account.summary_complete = true;
                }
            }
            BrokerEvent::Position { account, con_id, symbol, currency, quantity, average_cost } => {
                connection.last_message_at = Some(at);
                if let Some(row) = self.position_row(account, con_id, &symbol, &currency, quantity, at) {
                    row.symbol = symbol;
                    row.currency = currency;
                    row.average_cost = average_cost.or(row.average_cost);
                }
            }
            BrokerEvent::PositionsEnd => {
                connection.last_message_at = Some(at);
                self.positions_complete = true;
            }
            BrokerEvent::Portfolio {
                account,
                con_id,
                symbol,
                currency,
                quantity,
                market_price,
                market_value,
                average_cost,
                // reqPnLSingle owns a position's P&L; the portfolio's copy is not used.
                unrealized_pnl: _,
                realized_pnl: _,
            } => {
                connection.last_message_at = Some(at);
                if let Some(row) = self.position_row(account, con_id, &symbol, &currency, quantity, at) {
                    row.market_price = market_price.or(row.market_price);
                    row.market_value = market_value.or(row.market_value);
                    row.average_cost = average_cost.or(row.average_cost);
                }
            }
            BrokerEvent::Notice { id, code, text } => {
                connection.last_message_at = Some(at);
                if let Some(order) = self.orders.get_mut(&id) {
                    order.lifecycle.apply_code(code, &text, at);
                    order.updated_at = at;
                }
                if let Some((farm, ok)) = farm_of(code, &text) {
                    connection.farms.insert(farm, FarmState { code, ok, text: text.clone(), at });
                }
                match code {
                    1100 => {
                        if !matches!(connection.state, ConnectionState::Degraded { .. }) {
                            connection.degraded_since = Some(at);
                        }
                        connection.state = ConnectionState::Degraded { code };
                    }
                    // 1101/1102: the broker fetches the gateway's state again and says
                    // Reconciling, then Reconciled; entry stays closed until then.
                    1101 | 1102 if matches!(connection.state, ConnectionState::Degraded { .. }) => {
                        connection.state = ConnectionState::Reconciling;
                    }
                    _ => {}
                }
                push_notice(&mut connection.notices, NoticeRecord { at, id, code, text });
            }
            BrokerEvent::Pnl { account, daily, unrealized, realized } => {
                connection.last_message_at = Some(at);
                self.accounts.entry(account).or_default().pnl = Some(AccountPnl { daily, unrealized, realized, at });
            }
            BrokerEvent::PnlSingle { account, con_id, daily, unrealized, realized } => {
                connection.last_message_at = Some(at);
                // P&L for a position we no longer hold (or not yet) has no row to go to.
                let Some(row) = self.positions.get_mut(&PositionKey { account, con_id }) else {
                    return Effects::default();
                };
                row.daily_pnl = daily.or(row.daily_pnl);
                row.unrealized_pnl = unrealized.or(row.unrealized_pnl);
                row.realized_pnl = realized.or(row.realized_pnl);
            }
            BrokerEvent::Tick { symbol, field, value } => {
                connection.last_message_at = Some(at);
                self.quotes.entry(symbol).or_default().set(field, value, at);
            }
            BrokerEvent::MarketDataType { symbol, kind } => {
                self.quotes.entry(symbol).or_default().kind = Some(kind);
            }
            BrokerEvent::Bar { symbol, close, .. } => {
                connection.last_message_at = Some(at);
                self.quotes.entry(symbol).or_default().push_bar(close);
            }
            BrokerEvent::QuoteProblem { symbol, text } => {
                self.quotes.entry(symbol).or_default().problem = Some(text);
            }
            BrokerEvent::RoundTrip { micros } => {
                connection.last_message_at = Some(at);
                connection.round_trip = Some(std::time::Duration::from_micros(micros));
            }
            BrokerEvent::ContractResolved { symbol, result } => {
                self.trading.contracts.insert(symbol, result);
            }
            BrokerEvent::WhatIf { request, result } => {
                self.trading.what_if = Some(WhatIfAnswer { request, result, at });
            }
            BrokerEvent::OrderSubmitted { order_id, intent_id, terms } => {
                let client_id = connection.client_id;
                let row = self.orders.entry(order_id).or_insert_with(|| OrderRow {
                    order_id,
                    client_id,
                    perm_id: None,
                    own: true,
                    terms: None,
                    lifecycle: OrderLifecycle::new(order_id, &intent_id, terms.quantity, at),
                    updated_at: at,
                });
                row.terms = Some(terms);
                row.own = true;
            }
            BrokerEvent::OpenOrder { order_id, client_id, perm_id, terms, status } => {
                connection.last_message_at = Some(at);
                let own = client_id == connection.client_id;
                let row = self.orders.entry(order_id).or_insert_with(|| OrderRow {
                    order_id,
                    client_id,
                    perm_id,
                    own,
                    terms: None,
                    lifecycle: OrderLifecycle::new(order_id, &terms.order_ref, terms.quantity, at),
                    updated_at: at,
                });
                row.perm_id = perm_id.or(row.perm_id);
                row.terms = Some(terms);
                row.lifecycle.apply_ib_status(&status, at);
                row.updated_at = at;
            }
            BrokerEvent::OrderStatus { order_id, client_id, perm_id, status, filled, remaining } => {
                connection.last_message_at = Some(at);
                let own = client_id == connection.client_id;
                let quantity = filled.unwrap_or_default() + remaining.unwrap_or_default();
                let row = self.orders.entry(order_id).or_insert_with(|| OrderRow {
                    order_id,
                    client_id,
                    perm_id,
                    own,
                    terms: None,
                    lifecycle: OrderLifecycle::new(order_id, "", quantity, at),
                    updated_at: at,
                });
                row.perm_id = perm_id.or(row.perm_id);
                row.lifecycle.apply_ib_status(&status, at);
                row.updated_at = at;
            }
            BrokerEvent::Execution { exec_id, order_id, client_id, account, symbol, side, shares, price, time } => {
                connection.last_message_at = Some(at);
                if self.executions.contains_key(&exec_id) {
                    // The same execution again (a replay after reconnect, a duplicate): once only.
                    if let Some(order) = self.orders.get_mut(&order_id) {
                        order.lifecycle.apply_fill(&exec_id, shares, price, at);
                    }
                    return Effects::default();
                }
                if let Some(order) = self.orders.get_mut(&order_id) {
                    order.lifecycle.apply_fill(&exec_id, shares, price, at);
                    order.updated_at = at;
                }
                let mut row = ExecutionRow {
                    exec_id: exec_id.clone(),
                    order_id,
                    client_id,
                    account,
                    symbol,
                    side,
                    shares,
                    price,
                    time,
                    commission: None,
                    commission_currency: None,
                    realized_pnl: None,
                    at,
                };
                if let Some((amount, currency, realized)) = self.pending_commissions.remove(&exec_id) {
                    attach_commission(&mut row, self.orders.get_mut(&order_id), amount, currency, realized, at);
                }
                self.executions.insert(exec_id, row);
            }
            BrokerEvent::Commission { exec_id, amount, currency, realized_pnl } => {
                connection.last_message_at = Some(at);
                match self.executions.get_mut(&exec_id) {
                    Some(row) => {
                        let order = self.orders.get_mut(&row.order_id);
                        attach_commission(row, order, amount, currency, realized_pnl, at);
                    }
                    None => {
                        self.pending_commissions.insert(exec_id, (amount, currency, realized_pnl));
                    }
                }
            }
            BrokerEvent::Heartbeat => {
                connection.last_message_at = Some(at);
                // Ages are redrawn by the one-second tick; a heartbeat alone draws nothing.
                return Effects::default();
            }
        }
        Effects::redraw()
    }

    /// The row for a position report with its new quantity and time, created when new; a zero
    /// quantity removes the position and gives `None`.
    fn position_row(
        &mut self,
        account: String,
        con_id: i32,
        symbol: &str,
        currency: &str,
        quantity: Decimal,
        at: DateTime<Utc>,
    ) -> Option<&mut PositionRow> {
        let key = PositionKey { account, con_id };
        if quantity.is_zero() {
            self.positions.remove(&key);
            return None;
        }
        let row = self.positions.entry(key).or_insert_with(|| PositionRow::new(symbol, currency, quantity, at));
        row.quantity = quantity;
        row.updated_at = at;
        Some(row)
    }

    /// The account the panes show: the first managed account, or the first one with data.
    pub fn primary_account(&self) -> Option<&str> {
        self.connection.managed_accounts.first().or_else(|| self.accounts.keys().next()).map(String::as_str)
    }

    /// PAPER or LIVE for the primary account; `None` while no account is known.
    pub fn account_kind(&self) -> Option<AccountKind> {
        self.primary_account().map(AccountKind::of)
    }

    /// Positions of one account, in symbol order.
    pub fn positions_of<'a>(
        &'a self,
        account: &'a str,
    ) -> impl Iterator<Item = (&'a PositionKey, &'a PositionRow)> + 'a {
        self.positions.iter().filter(move |(key, _)| key.account == account)
    }

    /// True when every registered subsystem is Ok.
    pub fn all_subsystems_ok(&self) -> bool {
        self.subsystems.values().all(|s| s.health == Health::Ok)
    }
}

fn attach_commission(
    row: &mut ExecutionRow,
    order: Option<&mut OrderRow>,
    amount: Option<Decimal>,
    currency: String,
    realized: Option<Decimal>,
    at: DateTime<Utc>,
) {
    row.commission = amount;
    row.commission_currency = Some(currency.clone());
    row.realized_pnl = realized;
    if let (Some(order), Some(amount)) = (order, amount) {
        order.lifecycle.apply_commission(&row.exec_id, Commission { amount, currency }, at);
    }
}

/// JSON maps need string keys: positions go out as a list of rows that carry their key.
fn positions_as_list<S: serde::Serializer>(
    positions: &BTreeMap<PositionKey, PositionRow>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Entry<'a> {
        account: &'a str,
        con_id: i32,
        #[serde(flatten)]
        row: &'a PositionRow,
    }
    serializer.collect_seq(positions.iter().map(|(key, row)| Entry { account: &key.account, con_id: key.con_id, row }))
}

/// Keeps a notice, dropping the oldest beyond [`NOTICE_HISTORY`].
fn push_notice(notices: &mut VecDeque<NoticeRecord>, notice: NoticeRecord) {
    notices.push_back(notice);
    while notices.len() > NOTICE_HISTORY {
        notices.pop_front();
    }
}

/// Account values arrive as strings; numbers become `Decimal`, anything else stays text only.
fn parse_decimal(value: &str) -> Option<Decimal> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    Decimal::from_str(value).or_else(|_| Decimal::from_scientific(value)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{DisconnectKind, SignalSide};
    use chrono::TimeZone;
    use std::time::Duration;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, 14, 30, 0).single().expect("valid time") + chrono::Duration::seconds(secs)
    }

    fn broker(store: &mut Store, secs: i64, event: BrokerEvent) -> Effects {
        store.apply(t(secs), StoreEvent::Broker(event))
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal literal")
    }

    fn connected(store: &mut Store) {
        broker(
            store,
            0,
            BrokerEvent::Connecting {
                address: "127.0.0.1:4710".into(),
                gateway_origin: "embedded".into(),
                client_id: 7,
                attempt: 1,
            },
        );
        broker(
            store,
            0,
            BrokerEvent::Connected {
                server_version: 226,
                connection_time: None,
                managed_accounts: vec!["DU1234567".into()],
            },
        );
    }

    #[test]
    fn a_value_that_has_not_arrived_is_none_not_zero() {
        let mut store = Store::new();
        connected(&mut store);
        let account = &store.accounts["DU1234567"];
        assert_eq!(account.value("NetLiquidation"), None);
        assert!(!account.summary_complete);
    }

    #[test]
    fn account_values_parse_to_decimal_and_keep_text_and_age() {
        let mut store = Store::new();
        connected(&mut store);
        broker(
            &mut store,
            3,
            BrokerEvent::AccountValue {
                account: "DU1234567".into(),
                tag: "NetLiquidation".into(),
                value: "1000123.45".into(),
                currency: "USD".into(),
            },
        );
        broker(
            &mut store,
            4,
            BrokerEvent::AccountValue {
                account: "DU1234567".into(),
                tag: "AccountType".into(),
                value: "INDIVIDUAL".into(),
                currency: String::new(),
            },
        );
        let account = &store.accounts["DU1234567"];
        let net = account.figure("NetLiquidation").expect("arrived");
        assert_eq!(net.value, Some(dec("1000123.45")));
        assert_eq!(net.currency, "USD");
        assert_eq!(net.at, t(3));
        let kind = account.figure("AccountType").expect("arrived");
        assert_eq!(kind.value, None);
        assert_eq!(kind.text, "INDIVIDUAL");
        assert_eq!(store.connection.last_message_at, Some(t(4)));
    }

    #[test]
    fn connection_moves_from_connecting_to_reconciling_to_live() {
        let mut store = Store::new();
        broker(
            &mut store,
            0,
            BrokerEvent::Connecting {
                address: "127.0.0.1:4710".into(),
                gateway_origin: "embedded".into(),
                client_id: 7,
                attempt: 1,
            },
        );
        assert_eq!(store.connection.state, ConnectionState::Connecting { attempt: 1 });
        assert_eq!(store.connection.client_id, 7);
        broker(
            &mut store,
            0,
            BrokerEvent::Connected {
                server_version: 226,
                connection_time: Some("20261128 09:30:00 US/Eastern".into()),
                managed_accounts: vec!["DU1234567".into()],
            },
        );
        assert_eq!(store.connection.state, ConnectionState::Reconciling);
        assert_eq!(store.connection.server_version, Some(226));
        broker(&mut store, 1, BrokerEvent::Reconciled);
        assert!(store.connection.state.is_live());
        assert_eq!(store.account_kind(), Some(AccountKind::Paper));
    }

    #[test]
    fn reconciled_does_not_revive_a_connection_that_dropped() {
        let mut store = Store::new();
        connected(&mut store);
        broker(
            &mut store,
            1,
            BrokerEvent::Disconnected {
                kind: DisconnectKind::Lost,
                reason: "gateway closed the connection".into(),
                next_try_at: Some(t(3)),
                attempt: 1,
            },
        );
        broker(&mut store, 2, BrokerEvent::Reconciled);
        assert_eq!(
            store.connection.state,
            ConnectionState::Reconnecting {
                attempt: 1,
                next_try_at: t(3),
                reason: "gateway closed the connection".into()
            }
        );
    }

    fn lost_at(store: &mut Store, secs: i64, attempt: u32) {
        let event = BrokerEvent::Disconnected {
            kind: DisconnectKind::Unreachable,
            reason: "connection refused".into(),
            next_try_at: Some(t(secs + 30)),
            attempt,
        };
        broker(store, secs, event);
    }

    fn back_at(store: &mut Store, secs: i64) {
        let event =
            BrokerEvent::Connected { server_version: 226, connection_time: None, managed_accounts: vec!["DU1".into()] };
        broker(store, secs, event);
        broker(store, secs, BrokerEvent::Reconciled);
    }

    #[test]
    fn an_outage_over_five_minutes_disarms_entry_until_the_trader_rearms() {
        let mut store = Store::new();
        let configured = TradingEvent::Configured {
            session: crate::orders::SessionKind::Trading,
            allow_live: false,
            precautions: Default::default(),
        };
        store.apply(t(0), StoreEvent::Trading(configured));
        connected(&mut store);
        broker(&mut store, 0, BrokerEvent::Reconciled);
        // A short outage (retries included) needs nothing.
        lost_at(&mut store, 10, 1);
        lost_at(&mut store, 100, 2);
        back_at(&mut store, 250);
        assert_eq!(store.trading.rearm_after_outage, None);
        assert!(crate::orders::entry_allowed(&store.guard_context()).is_ok());
        // Twelve minutes away, counted from the first failure, not the last retry.
        lost_at(&mut store, 1000, 1);
        for (i, at) in (1030..1700).step_by(30).enumerate() {
            lost_at(&mut store, at, i as u32 + 2);
        }
        back_at(&mut store, 1000 + 12 * 60);
        assert_eq!(store.trading.rearm_after_outage, Some(12));
        assert_eq!(
            crate::orders::entry_allowed(&store.guard_context()),
            Err(crate::orders::GuardBlock::Rearm(12)),
            "live and reconciled, yet disarmed"
        );
        store.apply(t(2000), StoreEvent::Trading(TradingEvent::Halted(false)));
        assert_eq!(store.trading.rearm_after_outage, None);
        assert!(crate::orders::entry_allowed(&store.guard_context()).is_ok(), "re-armed");
    }

    #[test]
    fn a_first_connection_that_takes_long_is_no_outage() {
        let mut store = Store::new();
        lost_at(&mut store, 0, 1);
        lost_at(&mut store, 900, 30);
        back_at(&mut store, 1000);
        assert_eq!(store.trading.rearm_after_outage, None);
    }

    #[test]
    fn disconnect_without_retry_is_down_with_reason() {
        let mut store = Store::new();
        connected(&mut store);
        broker(
            &mut store,
            1,
            BrokerEvent::Disconnected {
                kind: DisconnectKind::Handshake,
                reason: "server version 200 is too old".into(),
                next_try_at: None,
                attempt: 1,
            },
        );
        assert_eq!(store.connection.state, ConnectionState::Down { reason: "server version 200 is too old".into() });
    }

    #[test]
    fn positions_merge_quantity_and_portfolio_values_and_zero_removes() {
        let mut store = Store::new();
        connected(&mut store);
        broker(
            &mut store,
            1,
            BrokerEvent::Position {
                account: "DU1234567".into(),
                con_id: 265598,
                symbol: "AAPL".into(),
                currency: "USD".into(),
                quantity: dec("100"),
                average_cost: Some(dec("150.25")),
            },
        );
        let key = PositionKey { account: "DU1234567".into(), con_id: 265598 };
        assert_eq!(store.positions[&key].market_value, None);
        broker(
            &mut store,
            2,
            BrokerEvent::Portfolio {
                account: "DU1234567".into(),
                con_id: 265598,
                symbol: "AAPL".into(),
                currency: "USD".into(),
                quantity: dec("100"),
                market_price: Some(dec("151")),
                market_value: Some(dec("15100")),
                average_cost: Some(dec("150.25")),
                unrealized_pnl: Some(dec("75")),
                realized_pnl: None,
            },
        );
        let row = &store.positions[&key];
        assert_eq!(row.market_value, Some(dec("15100")));
        // The portfolio's P&L is not used: reqPnLSingle owns a position's P&L.
        assert_eq!(row.unrealized_pnl, None);
        broker(
            &mut store,
            2,
            BrokerEvent::PnlSingle {
                account: "DU1234567".into(),
                con_id: 265598,
                daily: Some(dec("-12.5")),
                unrealized: Some(dec("75")),
                realized: None,
            },
        );
        let row = &store.positions[&key];
        assert_eq!(row.unrealized_pnl, Some(dec("75")));
        assert_eq!(row.daily_pnl, Some(dec("-12.5")));
        assert_eq!(row.realized_pnl, None);
        broker(
            &mut store,
            3,
            BrokerEvent::Position {
                account: "DU1234567".into(),
                con_id: 265598,
                symbol: "AAPL".into(),
                currency: "USD".into(),
                quantity: Decimal::ZERO,
                average_cost: None,
            },
        );
        assert!(store.positions.is_empty());
    }

    #[test]
    fn positions_of_two_accounts_never_mix() {
        let mut store = Store::new();
        for account in ["DU1", "DU2"] {
            broker(
                &mut store,
                1,
                BrokerEvent::Position {
                    account: account.into(),
                    con_id: 1,
                    symbol: "SPY".into(),
                    currency: "USD".into(),
                    quantity: dec("5"),
                    average_cost: None,
                },
            );
        }
        assert_eq!(store.positions_of("DU1").count(), 1);
        assert_eq!(store.positions_of("DU2").count(), 1);
        assert_eq!(store.positions.len(), 2);
    }

    #[test]
    fn farm_notices_update_farms_and_never_the_connection_state() {
        let mut store = Store::new();
        connected(&mut store);
        broker(&mut store, 1, BrokerEvent::Reconciled);
        broker(
            &mut store,
            2,
            BrokerEvent::Notice { id: -1, code: 2103, text: "Market data farm connection is broken:usfarm".into() },
        );
        assert!(!store.connection.farms["usfarm"].ok);
        assert!(store.connection.state.is_live());
        broker(
            &mut store,
            3,
            BrokerEvent::Notice { id: -1, code: 2104, text: "Market data farm connection is OK:usfarm".into() },
        );
        assert!(store.connection.farms["usfarm"].ok);
        assert_eq!(store.connection.notices.len(), 2);
    }

    #[test]
    fn link_loss_degrades_and_restore_returns_to_live() {
        let mut store = Store::new();
        connected(&mut store);
        broker(&mut store, 1, BrokerEvent::Reconciled);
        broker(
            &mut store,
            2,
            BrokerEvent::Notice {
                id: -1,
                code: 1100,
                text: "Connectivity between IB and Trader Workstation has been lost.".into(),
            },
        );
        assert_eq!(store.connection.state, ConnectionState::Degraded { code: 1100 });
        assert_eq!(store.connection.degraded_since, Some(t(2)));
        // A repeated 1100 keeps the start of the gap.
        broker(&mut store, 3, BrokerEvent::Notice { id: -1, code: 1100, text: "lost again".into() });
        assert_eq!(store.connection.degraded_since, Some(t(2)));
        broker(&mut store, 3, BrokerEvent::Notice { id: -1, code: 1102, text: "restored - data maintained".into() });
        assert_eq!(store.connection.state, ConnectionState::Reconciling, "not live before reconciling");
        broker(&mut store, 4, BrokerEvent::Reconciled);
        assert!(store.connection.state.is_live());
    }

    #[test]
    fn net_liquidation_history_records_changes_only() {
        let mut store = Store::new();
        for (i, value) in ["100", "100", "101", "99.5"].iter().enumerate() {
            broker(
                &mut store,
                i as i64,
                BrokerEvent::AccountValue {
                    account: "DU1".into(),
                    tag: "NetLiquidation".into(),
                    value: value.to_string(),
                    currency: "USD".into(),
                },
            );
        }
        let history: Vec<_> = store.accounts["DU1"].net_liq_history.iter().copied().collect();
        assert_eq!(history, vec![dec("100"), dec("101"), dec("99.5")]);
    }

    #[test]
    fn account_pnl_keeps_unknown_parts_unknown() {
        let mut store = Store::new();
        broker(
            &mut store,
            1,
            BrokerEvent::Pnl {
                account: "DU1".into(),
                daily: Some(dec("12.5")),
                unrealized: None,
                realized: Some(Decimal::ZERO),
            },
        );
        let pnl = store.accounts["DU1"].pnl.as_ref().expect("pnl");
        assert_eq!((pnl.daily, pnl.unrealized, pnl.realized), (Some(dec("12.5")), None, Some(Decimal::ZERO)));
    }

    #[test]
    fn ticks_bars_and_data_type_build_a_quote() {
        use crate::store::{MarketDataKind, TickField};
        let mut store = Store::new();
        broker(&mut store, 1, BrokerEvent::Tick { symbol: "SPY".into(), field: TickField::Bid, value: dec("561.01") });
        broker(&mut store, 2, BrokerEvent::MarketDataType { symbol: "SPY".into(), kind: MarketDataKind::Live });
        broker(
            &mut store,
            3,
            BrokerEvent::Bar {
                symbol: "SPY".into(),
                time: t(3),
                open: dec("1"),
                high: dec("2"),
                low: dec("0.5"),
                close: dec("1.5"),
                volume: dec("10"),
            },
        );
        let quote = &store.quotes["SPY"];
        assert_eq!(quote.bid, Some(dec("561.01")));
        assert_eq!(quote.ask, None);
        assert_eq!(quote.kind, Some(MarketDataKind::Live));
        assert_eq!(quote.bars.back(), Some(&dec("1.5")));
        assert_eq!(quote.updated_at, Some(t(1)));
    }

    #[test]
    fn pnl_for_an_unknown_position_changes_nothing() {
        let mut store = Store::new();
        let before = store.clone();
        let effects = broker(
            &mut store,
            1,
            BrokerEvent::PnlSingle {
                account: "DU1".into(),
                con_id: 9,
                daily: Some(dec("1")),
                unrealized: None,
                realized: None,
            },
        );
        assert!(!effects.redraw);
        assert_eq!(store.positions, before.positions);
    }

    fn terms(qty: &str) -> crate::store::OrderTerms {
        crate::store::OrderTerms {
            account: "DU1234567".into(),
            symbol: "AAPL".into(),
            con_id: 265598,
            action: "BUY".into(),
            quantity: dec(qty),
            order_type: "LMT".into(),
            limit_price: Some(dec("150")),
            stop_price: None,
            trail_stop_price: None,
            tif: "DAY".into(),
            outside_rth: false,
            order_ref: "rt-1".into(),
        }
    }

    fn execution(exec_id: &str, shares: &str) -> BrokerEvent {
        BrokerEvent::Execution {
            exec_id: exec_id.into(),
            order_id: 5,
            client_id: 7,
            account: "DU1234567".into(),
            symbol: "AAPL".into(),
            side: "BOT".into(),
            shares: dec(shares),
            price: dec("150"),
            time: "20261128 09:31:00 US/Eastern".into(),
        }
    }

    #[test]
    fn an_execution_seen_twice_counts_once_and_commission_joins_by_exec_id() {
        use crate::orders::OrderStatus;
        let mut store = Store::new();
        connected(&mut store);
        broker(
            &mut store,
            1,
            BrokerEvent::OrderSubmitted { order_id: 5, intent_id: "rt-1".into(), terms: terms("100") },
        );
        broker(
            &mut store,
            2,
            BrokerEvent::OpenOrder {
                order_id: 5,
                client_id: 7,
                perm_id: Some(9001),
                terms: terms("100"),
                status: "Submitted".into(),
            },
        );
        // The commission arrives before its execution.
        broker(
            &mut store,
            3,
            BrokerEvent::Commission {
                exec_id: "e1".into(),
                amount: Some(dec("0.50")),
                currency: "USD".into(),
                realized_pnl: None,
            },
        );
        broker(&mut store, 3, execution("e1", "60"));
        let again = broker(&mut store, 4, execution("e1", "60"));
        assert!(!again.redraw, "a duplicate execution changes nothing");
        broker(&mut store, 5, execution("e2", "40"));
        broker(
            &mut store,
            6,
            BrokerEvent::OrderStatus {
                order_id: 5,
                client_id: 7,
                perm_id: Some(9001),
                status: "Filled".into(),
                filled: Some(dec("100")),
                remaining: Some(Decimal::ZERO),
            },
        );
        // Out of order: a late Submitted never moves a filled order back.
        broker(
            &mut store,
            7,
            BrokerEvent::OrderStatus {
                order_id: 5,
                client_id: 7,
                perm_id: Some(9001),
                status: "Submitted".into(),
                filled: Some(dec("40")),
                remaining: Some(dec("60")),
            },
        );
        let order = &store.orders[&5];
        assert!(order.own);
        assert_eq!(order.lifecycle.filled_quantity(), dec("100"));
        assert_eq!(order.lifecycle.status(), OrderStatus::Filled);
        assert_eq!(store.executions.len(), 2);
        assert_eq!(store.executions["e1"].commission, Some(dec("0.50")));
        assert!(store.pending_commissions.is_empty());
    }

    #[test]
    fn an_order_code_lands_on_that_order_and_orders_of_other_clients_are_not_own() {
        let mut store = Store::new();
        connected(&mut store);
        broker(
            &mut store,
            1,
            BrokerEvent::OpenOrder {
                order_id: 8,
                client_id: 99,
                perm_id: None,
                terms: terms("10"),
                status: "Submitted".into(),
            },
        );
        broker(&mut store, 2, BrokerEvent::Notice { id: 8, code: 202, text: "Order Canceled - reason:".into() });
        let order = &store.orders[&8];
        assert!(!order.own);
        let timeline = order.lifecycle.timeline();
        assert!(
            timeline.iter().any(|e| matches!(e.event, crate::orders::TimelineEvent::Code { code: 202, .. })),
            "{timeline:?}"
        );
        assert_eq!(order.lifecycle.status(), crate::orders::OrderStatus::Cancelled);
    }

    #[test]
    fn notice_history_is_bounded() {
        let mut store = Store::new();
        for i in 0..(NOTICE_HISTORY as i64 + 10) {
            broker(&mut store, i, BrokerEvent::Notice { id: -1, code: 2104, text: format!("n{i}") });
        }
        assert_eq!(store.connection.notices.len(), NOTICE_HISTORY);
        assert_eq!(store.connection.notices.back().map(|n| n.text.as_str()), Some("n59"));
    }

    #[test]
    fn heartbeat_ages_without_asking_for_a_frame() {
        let mut store = Store::new();
        let before = store.revision;
        let effects = broker(&mut store, 9, BrokerEvent::Heartbeat);
        assert!(!effects.redraw);
        assert_eq!(store.revision, before);
        assert_eq!(store.connection.last_message_at, Some(t(9)));
    }

    #[test]
    fn subsystem_reports_keep_the_highest_restart_count() {
        let mut store = Store::new();
        let status = |health, restarts| SubsystemStatus {
            health,
            load_time: Some(Duration::from_millis(3)),
            detail: String::new(),
            errors: vec![],
            restarts,
            since: t(0),
        };
        store.apply(
            t(0),
            StoreEvent::Subsystem(SubsystemEvent { id: "strategy".into(), status: status(Health::Failed, 2) }),
        );
        store.apply(
            t(1),
            StoreEvent::Subsystem(SubsystemEvent { id: "strategy".into(), status: status(Health::Ok, 0) }),
        );
        assert_eq!(store.subsystems["strategy"].restarts, 2);
        assert_eq!(store.subsystems["strategy"].health, Health::Ok);
        assert!(store.all_subsystems_ok());
        store.apply(
            t(2),
            StoreEvent::Subsystem(SubsystemEvent { id: "theme".into(), status: status(Health::Degraded, 0) }),
        );
        assert!(!store.all_subsystems_ok());
    }

    #[test]
    fn a_subsystem_keeps_the_load_time_of_its_first_settled_report() {
        let mut store = Store::new();
        let report = |health, ms, restarts| {
            StoreEvent::Subsystem(SubsystemEvent {
                id: "pacer".into(),
                status: SubsystemStatus {
                    health,
                    load_time: (health != Health::Pending).then(|| Duration::from_millis(ms)),
                    detail: String::new(),
                    errors: vec![],
                    restarts,
                    since: t(0),
                },
            })
        };
        store.apply(t(0), report(Health::Pending, 0, 0));
        store.apply(t(0), report(Health::Ok, 2, 0));
        // Updates every second for minutes: still the 2 ms it took to load.
        store.apply(t(180), report(Health::Ok, 180_000, 0));
        store.apply(t(181), report(Health::Degraded, 181_000, 0));
        assert_eq!(store.subsystems["pacer"].load_time, Some(Duration::from_millis(2)));
        // A restart loads again and times again.
        store.apply(t(182), report(Health::Pending, 0, 1));
        store.apply(t(182), report(Health::Ok, 5, 1));
        assert_eq!(store.subsystems["pacer"].load_time, Some(Duration::from_millis(5)));
    }

    #[test]
    fn signals_are_kept_newest_last_and_bounded() {
        let mut store = Store::new();
        for i in 0..(SIGNAL_HISTORY as i64 + 5) {
            let signal = Signal {
                at: t(i),
                symbol: "SPY".into(),
                strategy: "sma".into(),
                side: SignalSide::Buy,
                strength: Decimal::ONE,
                reason: format!("s{i}"),
            };
            store.apply(t(i), StoreEvent::Strategy(StrategyEvent::Signal(signal)));
        }
        assert_eq!(store.signals.len(), SIGNAL_HISTORY);
        assert_eq!(store.signals.back().map(|s| s.reason.as_str()), Some("s504"));
    }
}
