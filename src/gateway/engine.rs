//! The paper broker: one owner of accounts, orders, executions and the market. Sessions call
//! into it under a mutex; it delivers order events to the owning client's session.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::time::Duration;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::account::{commission, Account, Metrics};
use super::clock;
use super::groups::{self, Effect, Key};
use super::market::Market;
use super::orders::{validate, OrderKind, Reject, Side, SimOrder, Status, Ticket, Tif};
use super::persist;
use super::report;
use super::tif;
use super::trail;
use super::universe::{AccountBook, Instrument, Universe};
use super::wire::codec::Outbound;
use super::wire::messages as m;

/// What the engine asks a session to do.
#[derive(Debug, Clone)]
pub enum SessionEvent {
    Send(Outbound),
    SendLater(Duration, Outbound),
    /// Bytes written as they are (fault injection: a corrupt frame).
    Raw(Vec<u8>),
    /// Forget the market data subscriptions, silently (fault injection).
    DropMarketData,
    Close,
}

pub type Sink = mpsc::UnboundedSender<SessionEvent>;

/// One execution of the day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecRecord {
    pub exec_id: String,
    pub order_id: i32,
    pub client_id: i32,
    pub perm_id: i64,
    pub account: String,
    pub con_id: i32,
    pub side: Side,
    pub shares: Decimal,
    pub price: Decimal,
    pub cum_qty: Decimal,
    pub avg_price: Decimal,
    pub time_ms: i64,
    pub commission: Decimal,
    pub realized: Option<Decimal>,
    pub order_ref: String,
}

/// One-shot order faults armed by the control interface.
#[derive(Debug, Clone, Default)]
pub struct OrderFaults {
    pub swallow_next: bool,
    pub duplicate_next_execution: bool,
    pub reorder_next_statuses: bool,
    /// The next order status carries the f64::MAX sentinel in filled / remaining.
    pub sentinel_next_status: bool,
    pub late_next_commission: Option<Duration>,
}

/// Counters that must survive a restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    pub next_order_id: i32,
    pub next_perm_id: i64,
    pub next_exec: u64,
}

pub struct Engine {
    pub universe: Universe,
    pub market: Market,
    accounts: BTreeMap<String, Account>,
    account_ids: Vec<String>,
    orders: BTreeMap<(i32, i32), SimOrder>,
    executions: Vec<ExecRecord>,
    counters: Counters,
    total_value_limit: Decimal,
    sinks: HashMap<i32, (u64, Sink)>,
    state_file: Option<PathBuf>,
    pub faults: OrderFaults,
    exec_prefix: String,
    summary: Option<mpsc::UnboundedSender<String>>,
    seed: u64,
    /// Executions limited to the size shown at the touch (off: whole orders fill at once).
    pub partial_fills: bool,
    /// IB's link is down (between 1100 and 1101/1102): order reports are lost.
    pub link_down: bool,
}

/// The result of a state-changing call: whether account figures changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changed {
    pub account: bool,
}

impl Engine {
    pub fn new(
        universe: Universe,
        book: &AccountBook,
        account_ids: &[String],
        seed: u64,
        start_ms: i64,
        state_file: Option<PathBuf>,
        total_value_limit: Option<Decimal>,
    ) -> Result<Self, super::GatewayError> {
        let market = Market::new(&universe, seed, start_ms);
        let mut accounts = BTreeMap::new();
        for id in account_ids {
            let seed = book.seed_for(id);
            let mut positions = Vec::new();
            for (symbol, qty, avg) in &seed.positions {
                match universe.index_of_symbol(symbol).and_then(|i| universe.get(i)) {
                    Some(inst) => positions.push((inst.con_id, *qty, *avg, inst.close)),
                    None => tracing::warn!(
                        account = %id,
                        %symbol,
                        "gateway: starting position in a symbol outside the universe skipped"
                    ),
                }
            }
            accounts.insert(id.clone(), Account::new(id, &seed.account_type, seed.cash, &positions));
        }
        let mut engine = Self {
            universe,
            market,
            accounts,
            account_ids: account_ids.to_vec(),
            orders: BTreeMap::new(),
            executions: Vec::new(),
            counters: Counters { next_order_id: 1, next_perm_id: 1_105_463_041, next_exec: 1 },
            total_value_limit: total_value_limit.unwrap_or(book.total_value_limit),
            sinks: HashMap::new(),
            state_file,
            faults: OrderFaults::default(),
            exec_prefix: format!("0000{:04x}", seed & 0xffff),
            summary: None,
            seed,
            partial_fills: false,
            link_down: false,
        };
        if let Some(path) = engine.state_file.clone() {
            if let Some(saved) = persist::load(&path)? {
                engine.restore(saved, start_ms);
                // Orders whose time ran out while the gateway was down go now (even if the
                // market is frozen and never steps).
                engine.expire_orders();
            }
        }
        Ok(engine)
    }

    fn restore(&mut self, saved: persist::SavedState, now_ms: i64) {
        let today = clock::eastern_date(now_ms);
        let new_day = saved.trading_day != today;
        for mut acct in saved.accounts {
            if !self.account_ids.contains(&acct.id) {
                continue;
            }
            if new_day {
                // A new trading day: day figures start again from the previous close.
                acct.commissions_today = Decimal::ZERO;
                for (con_id, h) in acct.positions.iter_mut() {
                    let close = self.instrument_by_con_id(*con_id).map(|i| i.close).unwrap_or(h.avg_cost);
                    h.realized_today = Decimal::ZERO;
                    h.day_baseline = h.quantity * close;
                }
                acct.positions.retain(|_, h| !h.quantity.is_zero());
            }
            self.accounts.insert(acct.id.clone(), acct);
        }
        for o in saved.open_orders {
            if new_day && o.tif == Tif::Day {
                // DAY orders expire with the session.
                continue;
            }
            self.orders.insert((o.client_id, o.order_id), o);
        }
        self.executions = saved.executions.into_iter().filter(|e| clock::eastern_date(e.time_ms) == today).collect();
        self.counters = saved.counters;
    }

    fn save(&self) {
        let Some(path) = &self.state_file else { return };
        let state = persist::SavedState {
            accounts: self.accounts.values().cloned().collect(),
            open_orders: self.orders.values().filter(|o| o.status.is_open()).cloned().collect(),
            executions: self.executions.clone(),
            counters: self.counters.clone(),
            trading_day: clock::eastern_date(clock::now_ms()),
        };
        if let Err(e) = persist::save(path, &state) {
            tracing::error!(error = %e, "gateway: could not save state");
        }
    }

    /// Where one-line event summaries go (the standalone command's stdout).
    pub fn set_summary(&mut self, tx: Option<mpsc::UnboundedSender<String>>) {
        self.summary = tx;
    }

    fn note(&self, line: String) {
        if let Some(tx) = &self.summary {
            let _ = tx.send(line);
        }
    }

    // ----- sessions -------------------------------------------------------------------------

    /// Registers a client id; false if it is in use (error 326).
    pub fn register(&mut self, client_id: i32, conn_id: u64, sink: Sink) -> bool {
        if let Some((_, existing)) = self.sinks.get(&client_id) {
            if !existing.is_closed() {
                return false;
            }
        }
        self.sinks.insert(client_id, (conn_id, sink));
        true
    }

    pub fn unregister(&mut self, client_id: i32, conn_id: u64) {
        if self.sinks.get(&client_id).map(|(c, _)| *c) == Some(conn_id) {
            self.sinks.remove(&client_id);
        }
    }

    /// Sends `Close` to every session.
    pub fn close_all(&mut self) {
        for (_, sink) in self.sinks.values() {
            let _ = sink.send(SessionEvent::Close);
        }
        self.sinks.clear();
    }

    pub fn client_ids(&self) -> Vec<i32> {
        let mut ids: Vec<i32> = self.sinks.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Writes `bytes` to every session as they are.
    /// Sends a session event to every connection.
    pub fn broadcast_session(&self, event: SessionEvent) {
        for (_, sink) in self.sinks.values() {
            let _ = sink.send(event.clone());
        }
    }

    pub fn broadcast_raw(&self, bytes: &[u8]) {
        self.broadcast_session(SessionEvent::Raw(bytes.to_vec()));
    }

    /// Replaces the managed accounts (new ones start from the asset book) for connections
    /// made from now on.
    pub fn set_managed_accounts(&mut self, ids: &[String], book: &AccountBook) {
        for id in ids {
            if !self.accounts.contains_key(id) {
                let seed = book.seed_for(id);
                let positions: Vec<(i32, Decimal, Decimal, Decimal)> = seed
                    .positions
                    .iter()
                    .filter_map(|(symbol, qty, avg)| {
                        let inst = self.universe.index_of_symbol(symbol).and_then(|i| self.universe.get(i))?;
                        Some((inst.con_id, *qty, *avg, inst.close))
                    })
                    .collect();
                self.accounts.insert(id.clone(), Account::new(id, &seed.account_type, seed.cash, &positions));
            }
        }
        if !ids.is_empty() {
            self.account_ids = ids.to_vec();
        }
    }

    /// Sets the next order id handed out (e.g. above ibapi's 1.5e9 request-id floor).
    pub fn set_next_valid_id(&mut self, id: i32) {
        self.counters.next_order_id = id;
        self.save();
    }

    pub fn broadcast(&self, out: Outbound) {
        self.broadcast_session(SessionEvent::Send(out));
    }

    /// An order report for a client. While IB's link is down the report is lost, as
    /// reports of fills that happen during a 1100 gap can be: only reconciliation finds them.
    fn deliver(&self, client_id: i32, out: Outbound) {
        if !self.link_down {
            self.send_to(client_id, out);
        }
    }

    fn deliver_later(&self, client_id: i32, delay: Duration, out: Outbound) {
        if let Some((_, sink)) = self.sinks.get(&client_id) {
            let _ = sink.send(SessionEvent::SendLater(delay, out));
        }
    }

    pub fn send_to(&self, client_id: i32, out: Outbound) {
        if let Some((_, sink)) = self.sinks.get(&client_id) {
            let _ = sink.send(SessionEvent::Send(out));
        }
    }

    // ----- ids and accounts -----------------------------------------------------------------

    pub fn next_valid_id(&self) -> i32 {
        self.counters.next_order_id
    }

    pub fn bump_next_valid_id(&mut self, by: i32) {
        self.counters.next_order_id = self.counters.next_order_id.saturating_add(by);
        self.save();
    }

    pub fn account_ids(&self) -> &[String] {
        &self.account_ids
    }

    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.get(id)
    }

    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.account_ids.iter().filter_map(|id| self.accounts.get(id))
    }

    pub fn mark_con_id(&self, con_id: i32) -> Decimal {
        self.universe.index_of_con_id(con_id).map(|i| self.market.mark(i)).unwrap_or(Decimal::ZERO)
    }

    pub fn metrics(&self, account: &Account) -> Metrics {
        account.metrics(&|c| self.mark_con_id(c))
    }

    pub fn instrument_by_con_id(&self, con_id: i32) -> Option<&Instrument> {
        self.universe.index_of_con_id(con_id).and_then(|i| self.universe.get(i))
    }

    /// The instrument a request's contract names: by con id, else by symbol (stocks in USD).
    pub fn resolve(&self, c: &m::Contract) -> Option<usize> {
        if let Some(con_id) = c.con_id.filter(|&id| id > 0) {
            return self.universe.index_of_con_id(con_id);
        }
        let symbol = c.symbol.as_deref().unwrap_or("");
        let idx = self.universe.index_of_symbol(symbol)?;
        let inst = self.universe.get(idx)?;
        let sec_ok =
            c.sec_type.as_deref().map(|s| s.is_empty() || s.eq_ignore_ascii_case(&inst.sec_type)).unwrap_or(true);
        let ccy_ok =
            c.currency.as_deref().map(|s| s.is_empty() || s.eq_ignore_ascii_case(&inst.currency)).unwrap_or(true);
        (sec_ok && ccy_ok).then_some(idx)
    }

    // ----- orders ---------------------------------------------------------------------------

    pub fn orders(&self) -> impl Iterator<Item = &SimOrder> {
        self.orders.values()
    }

    pub fn executions(&self) -> &[ExecRecord] {
        &self.executions
    }

    fn reject(&self, client_id: i32, order_id: i32, r: Reject) {
        tracing::info!(client_id, order_id, code = r.code, text = %r.text, "gateway: order rejected");
        self.note(format!("client {client_id}: order {order_id} rejected {} {}", r.code, r.text));
        self.deliver(client_id, report::error(order_id, r.code, &r.text));
    }

    /// PlaceOrder: validate, answer what-if, or accept and try to fill at once.
    pub fn place_order(&mut self, client_id: i32, req: m::PlaceOrderRequest) -> Changed {
        let order_id = req.order_id.unwrap_or(0);
        if std::mem::take(&mut self.faults.swallow_next) {
            tracing::info!(client_id, order_id, "gateway fault: swallowing PlaceOrder");
            return Changed::default();
        }
        let contract = req.contract.unwrap_or_default();
        let wire = req.order.unwrap_or_default();
        let Some(index) = self.resolve(&contract) else {
            self.reject(
                client_id,
                order_id,
                Reject { code: 200, text: "No security definition has been found for the request".into() },
            );
            return Changed::default();
        };
        let Some(inst) = self.universe.get(index).cloned() else {
            return Changed::default();
        };
        let account_id = wire.account.clone().filter(|a| !a.is_empty()).unwrap_or_else(|| self.account_ids[0].clone());
        if !self.accounts.contains_key(&account_id) {
            self.reject(
                client_id,
                order_id,
                Reject {
                    code: 321,
                    text: format!("Error validating request.-'bN' : cause - Invalid account code '{account_id}'."),
                },
            );
            return Changed::default();
        }
        let ticket = Ticket {
            action: wire.action.clone().unwrap_or_default(),
            quantity: wire.total_quantity.clone().unwrap_or_default(),
            order_type: wire.order_type.clone().unwrap_or_default(),
            limit: wire.lmt_price,
            aux: wire.aux_price,
            tif: wire.tif.clone().unwrap_or_default(),
            trailing_percent: wire.trailing_percent,
            trail_stop_price: wire.trail_stop_price,
            lmt_price_offset: wire.lmt_price_offset,
            good_till_date: wire.good_till_date.clone().unwrap_or_default(),
            algo_strategy: wire.algo_strategy.clone().unwrap_or_default(),
        };
        let valid = match validate(&ticket, inst.min_tick) {
            Ok(v) => v,
            Err(r) => {
                self.reject(client_id, order_id, r);
                return Changed::default();
            }
        };
        // Modify of a working order with the same id.
        if let Some(existing) = self.orders.get(&(client_id, order_id)) {
            if existing.status == Status::Filled {
                self.reject(client_id, order_id, Reject { code: 104, text: "Can't modify a filled order.".into() });
                return Changed::default();
            }
            if !existing.status.is_open() || existing.con_id != inst.con_id {
                self.reject(client_id, order_id, Reject { code: 103, text: "Duplicate order id".into() });
                return Changed::default();
            }
        } else if order_id < 1 || self.executions.iter().any(|e| e.client_id == client_id && e.order_id == order_id) {
            self.reject(client_id, order_id, Reject { code: 103, text: "Duplicate order id".into() });
            return Changed::default();
        }
        let parent_id = wire.parent_id.unwrap_or(0);
        let is_new = !self.orders.contains_key(&(client_id, order_id));
        if is_new && parent_id != 0 && !groups::parent_known(&self.orders, client_id, parent_id) {
            let (code, text) = groups::MISSING_PARENT;
            self.reject(client_id, order_id, Reject { code, text: text.into() });
            return Changed::default();
        }
        let now_sim = self.market.sim_time_ms();
        if let Some(until) = valid.good_till_ms.filter(|t| *t <= now_sim) {
            self.reject(
                client_id,
                order_id,
                Reject {
                    code: 201,
                    text: format!(
                        "Order rejected - reason:The good till date {} is in the past.",
                        clock::eastern_timestamp(until)
                    ),
                },
            );
            return Changed::default();
        }
        let quote = self.market.quote(index).cloned();
        let reference = quote
            .as_ref()
            .map(|q| match valid.side {
                Side::Buy => q.ask,
                Side::Sell => q.bid,
            })
            .unwrap_or(inst.close);
        let est_price = match valid.kind {
            OrderKind::Limit { limit } | OrderKind::StopLimit { limit, .. } => limit.max(reference),
            OrderKind::Stop { stop } => stop.max(reference),
            OrderKind::Market | OrderKind::Trail { .. } | OrderKind::TrailLimit { .. } => reference,
        };
        let value = (est_price * valid.quantity).round_dp(0);
        if value > self.total_value_limit {
            self.reject(
                client_id,
                order_id,
                Reject {
                    code: 451,
                    text: format!(
                        "The following order \"ID:{order_id}\" value estimate of {} USD exceeds the Total Value Limit of {} USD. Restriction is specified in Precautionary Settings of Global Configuration/Presets.",
                        group_thousands(value),
                        group_thousands(self.total_value_limit.round_dp(0))
                    ),
                },
            );
            return Changed::default();
        }
        // Margin check on the position after a complete fill at the estimated price.
        let Some(account) = self.accounts.get(&account_id) else {
            return Changed::default();
        };
        let before = self.metrics(account);
        let est_commission = commission(valid.quantity, est_price);
        let mut after_account = account.clone();
        after_account.apply_fill(inst.con_id, valid.side.sign() * valid.quantity, est_price, est_commission);
        let con = inst.con_id;
        let after = after_account.metrics(&|c| {
            if c == con {
                est_price
            } else {
                self.mark_con_id(c)
            }
        });
        // A child closes its parent's position: it needs no margin of its own.
        let increases_exposure = parent_id == 0 && after.gross_position_value > before.gross_position_value;
        if wire.what_if == Some(true) {
            let state = report::what_if_state(&before, &after, est_commission);
            let mut o = self.build_order(client_id, order_id, &account_id, &inst, &valid, &wire);
            o.status = Status::PreSubmitted;
            self.deliver(client_id, report::open_order(&o, &inst, state));
            return Changed::default();
        }
        if increases_exposure && after.equity_with_loan < after.init_margin {
            self.reject(
                client_id,
                order_id,
                Reject {
                    code: 201,
                    text: format!(
                        "Order rejected - reason:YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION YOUR EQUITY WITH LOAN VALUE [{} USD] MUST EXCEED THE INITIAL MARGIN [{} USD]",
                        after.equity_with_loan.round_dp(2),
                        after.init_margin.round_dp(2)
                    ),
                },
            );
            return Changed::default();
        }
        let key = (client_id, order_id);
        let expires_ms = match valid.tif {
            Tif::Day => Some(tif::session_close_after(now_sim)),
            Tif::Gtd => valid.good_till_ms,
            _ => None,
        };
        let transmit = wire.transmit == Some(true);
        let mut order = match self.orders.get(&key).cloned() {
            Some(mut existing) => {
                existing.quantity = valid.quantity.max(existing.filled);
                existing.kind = valid.kind;
                existing.tif = valid.tif;
                existing.expires_ms = expires_ms;
                existing.good_till = wire.good_till_date.clone().unwrap_or_default();
                existing
            }
            None => {
                let mut o = self.build_order(client_id, order_id, &account_id, &inst, &valid, &wire);
                o.parent_id = parent_id;
                o.oca_group = wire.oca_group.clone().unwrap_or_default();
                o.oca_type = wire.oca_type.unwrap_or(0);
                o.staged = !transmit;
                o.held = parent_id != 0 && groups::child_waits(&self.orders, client_id, parent_id);
                o.good_till = wire.good_till_date.clone().unwrap_or_default();
                o.expires_ms = expires_ms;
                self.counters.next_perm_id += 1;
                self.counters.next_order_id = self.counters.next_order_id.max(order_id + 1);
                o
            }
        };
        order.status = order.working_status();
        self.orders.insert(key, order);
        // The last order of a staged family transmits the family: report its earlier legs first.
        let sent = if transmit { groups::transmit(&mut self.orders, key) } else { Vec::new() };
        for k in &sent {
            self.activate(*k);
        }
        if let Some(o) = self.orders.get_mut(&key) {
            o.status = o.working_status();
        }
        self.start_trail(key, index);
        let Some(order) = self.orders.get(&key).cloned() else { return Changed::default() };
        self.deliver(client_id, report::open_order(&order, &inst, report::plain_state(order.status.as_str())));
        let reorder = std::mem::take(&mut self.faults.reorder_next_statuses);
        let mut submitted = report::order_status(&order);
        if std::mem::take(&mut self.faults.sentinel_next_status) {
            if let Outbound::OrderStatus(s) = &mut submitted {
                s.filled = Some("1.7976931348623157E308".into());
                s.remaining = Some("1.7976931348623157E308".into());
            }
        }
        if !reorder {
            self.deliver(client_id, submitted.clone());
        }
        let mut keys = sent;
        keys.push(key);
        keys.sort_unstable();
        let mut changed = self.match_orders(keys);
        let ioc_rest =
            self.orders.get(&key).is_some_and(|o| o.tif == Tif::Ioc && o.status.is_working() && !o.held && !o.staged);
        if ioc_rest {
            self.cancel_open(key, "Cancelled", "Order Canceled - reason:IOC order not filled immediately");
        }
        if reorder {
            // Out of order: the stale Submitted arrives after the final status.
            self.deliver(client_id, submitted);
        }
        changed.account |= true;
        self.save();
        changed
    }

    /// Reports an order that just started working (transmitted, or released by its parent).
    fn activate(&mut self, key: Key) {
        if let Some(o) = self.orders.get_mut(&key) {
            o.status = o.working_status();
        }
        if let Some(index) = self.orders.get(&key).and_then(|o| self.universe.index_of_con_id(o.con_id)) {
            self.start_trail(key, index);
        }
        self.report_order(key);
    }

    /// OpenOrder and OrderStatus of `key` to its client.
    fn report_order(&self, key: Key) {
        let Some(o) = self.orders.get(&key) else { return };
        if let Some(inst) = self.instrument_by_con_id(o.con_id) {
            self.deliver(key.0, report::open_order(o, inst, report::plain_state(o.status.as_str())));
        }
        self.deliver(key.0, report::order_status(o));
    }

    /// A working trailing order's stop starts from (or follows) the last price.
    fn start_trail(&mut self, key: Key, index: usize) {
        let Some(q) = self.market.quote(index).cloned() else { return };
        let Some(inst) = self.universe.get(index) else { return };
        let tick = inst.min_tick;
        if let Some(o) = self.orders.get_mut(&key) {
            if o.is_trailing() && o.status.is_working() && !o.held && !o.staged {
                trail::follow(o, q.last, tick);
            }
        }
    }

    /// Tries to fill `keys` (and the children their fills release) and applies the OCA rules.
    fn match_orders(&mut self, keys: Vec<Key>) -> Changed {
        let mut queue: VecDeque<Key> = keys.into();
        let mut deferred = Vec::new();
        let mut changed = Changed::default();
        while let Some(key) = queue.pop_front() {
            let Some(index) = self.orders.get(&key).and_then(|o| self.universe.index_of_con_id(o.con_id)) else {
                continue;
            };
            let Some(qty) = self.try_fill(key, index) else { continue };
            changed.account = true;
            for child in groups::release_children(&mut self.orders, key) {
                self.activate(child);
                queue.push_back(child);
            }
            // Without block (type 3) the group is reduced only after this pass.
            if self.orders.get(&key).map(groups::oca_type) == Some(3) {
                deferred.push((key, qty));
            } else {
                self.apply_oca(key, qty);
            }
        }
        for (key, qty) in deferred {
            self.apply_oca(key, qty);
        }
        changed
    }

    fn apply_oca(&mut self, key: Key, qty: Decimal) {
        let now = clock::eastern_timestamp(clock::now_ms());
        let effects = groups::after_fill(&mut self.orders, key, qty, &now);
        self.report_effects(effects);
    }

    fn report_effects(&mut self, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::Cancelled(k, reason) => {
                    if let Some(o) = self.orders.get(&k) {
                        self.deliver(k.0, report::order_status(o));
                        self.deliver(k.0, report::error(k.1, 202, &reason));
                        self.note(format!("client {}: order {} cancelled ({reason})", k.0, k.1));
                    }
                    let now = clock::eastern_timestamp(clock::now_ms());
                    let more = groups::parent_done(&mut self.orders, k, &now);
                    self.report_effects(more);
                }
                Effect::Reduced(k) => self.report_order(k),
            }
        }
    }

    /// Cancels an open order: OrderStatus Cancelled, notice 202 with `reason`, and its
    /// children as `groups::parent_done` says.
    fn cancel_open(&mut self, key: Key, completed: &str, reason: &str) {
        let Some(o) = self.orders.get_mut(&key) else { return };
        o.status = Status::Cancelled;
        o.completed_time = Some(clock::eastern_timestamp(clock::now_ms()));
        o.completed_status = Some(completed.into());
        self.report_effects(vec![Effect::Cancelled(key, reason.to_string())]);
    }

    fn build_order(
        &mut self,
        client_id: i32,
        order_id: i32,
        account: &str,
        inst: &Instrument,
        v: &super::orders::ValidTicket,
        wire: &m::Order,
    ) -> SimOrder {
        SimOrder {
            client_id,
            order_id,
            perm_id: self.counters.next_perm_id,
            account: account.to_string(),
            con_id: inst.con_id,
            action: wire.action.clone().unwrap_or_else(|| "BUY".into()).to_ascii_uppercase(),
            side: v.side,
            quantity: v.quantity,
            kind: v.kind,
            tif: v.tif,
            order_ref: wire.order_ref.clone().unwrap_or_default(),
            filled: Decimal::ZERO,
            avg_fill_price: Decimal::ZERO,
            last_fill_price: Decimal::ZERO,
            status: Status::Submitted,
            triggered: false,
            completed_time: None,
            completed_status: None,
            commission_paid: Decimal::ZERO,
            parent_id: 0,
            oca_group: String::new(),
            oca_type: 0,
            staged: false,
            held: false,
            good_till: String::new(),
            expires_ms: None,
        }
    }

    /// Fills order `key` (completely, or what the touch shows with partial fills, or what its
    /// parent released) if the market allows it now; the quantity filled.
    fn try_fill(&mut self, key: Key, index: usize) -> Option<Decimal> {
        let (client_id, order_id) = key;
        let quote = self.market.quote(index).cloned()?;
        let cap = groups::fill_cap(&self.orders, key);
        if cap.is_some_and(|c| c <= Decimal::ZERO) {
            return None;
        }
        let order = self.orders.get_mut(&key)?;
        let was_triggered = order.triggered;
        let Some(price) = order.fill_price(&quote) else {
            if order.triggered && !was_triggered {
                // A stop limit that triggered but cannot fill yet is now working.
                order.status = Status::Submitted;
                let s = report::order_status(order);
                self.deliver(client_id, s);
            }
            return None;
        };
        // With partial fills on, one execution takes at most the size shown at the touch.
        let shown = match order.side {
            Side::Buy => quote.ask_size,
            Side::Sell => quote.bid_size,
        };
        let mut qty =
            if self.partial_fills { order.remaining().min(shown.max(Decimal::ONE)) } else { order.remaining() };
        if let Some(cap) = cap {
            qty = qty.min(cap);
        }
        // The fixed schedule applies to the order: each execution pays the increase.
        let fee = (commission(order.filled + qty, price) - order.commission_paid).max(Decimal::ZERO);
        order.commission_paid += fee;
        let side = order.side;
        let account_id = order.account.clone();
        let con_id = order.con_id;
        order.avg_fill_price = if order.filled.is_zero() {
            price
        } else {
            (order.avg_fill_price * order.filled + price * qty) / (order.filled + qty)
        };
        order.filled += qty;
        order.last_fill_price = price;
        let now = clock::now_ms();
        let complete = order.remaining().is_zero();
        if complete {
            order.status = Status::Filled;
            order.completed_time = Some(clock::eastern_timestamp(now));
            order.completed_status = Some("Filled".into());
        } else {
            order.status = Status::Submitted;
        }
        let order = order.clone();
        let realized = self
            .accounts
            .get_mut(&account_id)
            .map(|a| {
                let had = a.quantity(con_id);
                let r = a.apply_fill(con_id, side.sign() * qty, price, fee);
                // Realized P&L is reported only when the fill reduces a position.
                (had.is_sign_negative() != (side == Side::Sell) && !had.is_zero()).then_some(r)
            })
            .unwrap_or(None);
        self.market.record_trade(index, price, qty);
        let exec_id = format!("{}.{:08x}.01.01", self.exec_prefix, self.counters.next_exec);
        self.counters.next_exec += 1;
        let rec = ExecRecord {
            exec_id,
            order_id,
            client_id,
            perm_id: order.perm_id,
            account: account_id,
            con_id,
            side,
            shares: qty,
            price,
            cum_qty: order.filled,
            avg_price: order.avg_fill_price,
            time_ms: now,
            commission: fee,
            realized,
            order_ref: order.order_ref.clone(),
        };
        tracing::info!(client_id, order_id, exec_id = %rec.exec_id, shares = %qty, %price, "gateway: fill");
        self.note(format!(
            "client {client_id}: order {order_id} {} {} {} @ {price} ({})",
            side.exec_side(),
            qty,
            self.instrument_by_con_id(con_id).map(|i| i.symbol.as_str()).unwrap_or("?"),
            rec.account
        ));
        self.executions.push(rec.clone());
        if let Some(inst) = self.instrument_by_con_id(con_id).cloned() {
            let exec = report::execution(&rec, &inst, -1);
            let comm = report::commission_report(&rec);
            self.deliver(client_id, exec.clone());
            if std::mem::take(&mut self.faults.duplicate_next_execution) {
                self.deliver(client_id, exec);
            }
            match self.faults.late_next_commission.take() {
                Some(delay) => self.deliver_later(client_id, delay, comm),
                None => self.deliver(client_id, comm),
            }
            if complete {
                self.deliver(client_id, report::open_order(&order, &inst, report::plain_state("Filled")));
            }
            self.deliver(client_id, report::order_status(&order));
        }
        Some(qty)
    }

    /// Advances the market one step: trailing stops follow, expired orders go, resting orders
    /// the move made marketable fill.
    pub fn step_market(&mut self) -> Changed {
        self.market.step();
        self.after_market_move()
    }

    /// Moves `symbol`'s market by `ticks` now (with a trade at the new touch) and fills what
    /// that made marketable.
    pub fn shift_market(&mut self, symbol: &str, ticks: i64) -> Option<Changed> {
        let index = self.universe.index_of_symbol(symbol)?;
        self.market.shift(index, ticks);
        Some(self.after_market_move())
    }

    /// Moves the simulated clock forward by `ms` at once (prices stay): DAY and GTD orders
    /// whose time has come expire.
    pub fn advance_clock(&mut self, ms: i64) -> Changed {
        self.market.advance(ms);
        self.after_market_move()
    }

    fn after_market_move(&mut self) -> Changed {
        self.follow_trails();
        self.expire_orders();
        self.fill_working()
    }

    /// Trailing stops follow the last price; a stop that moved is reported in an OpenOrder.
    fn follow_trails(&mut self) {
        let keys: Vec<(Key, i32)> = self
            .orders
            .values()
            .filter(|o| o.is_trailing() && o.status.is_working() && !o.held && !o.staged && !o.triggered)
            .map(|o| ((o.client_id, o.order_id), o.con_id))
            .collect();
        for (key, con_id) in keys {
            let Some(index) = self.universe.index_of_con_id(con_id) else { continue };
            let (Some(q), Some(inst)) = (self.market.quote(index), self.universe.get(index)) else { continue };
            let (last, tick) = (q.last, inst.min_tick);
            let moved = self.orders.get_mut(&key).is_some_and(|o| trail::follow(o, last, tick));
            if moved {
                if let (Some(o), Some(inst)) = (self.orders.get(&key), self.universe.get(index)) {
                    self.deliver(key.0, report::open_order(o, inst, report::plain_state(o.status.as_str())));
                }
            }
        }
    }

    /// DAY orders at their session's close and GTD orders at their time are cancelled.
    fn expire_orders(&mut self) {
        let now = self.market.sim_time_ms();
        let due: Vec<(Key, Tif)> = self
            .orders
            .values()
            .filter(|o| o.status.is_open() && o.expires_ms.is_some_and(|t| t <= now))
            .map(|o| ((o.client_id, o.order_id), o.tif))
            .collect();
        let any = !due.is_empty();
        for (key, tif) in due {
            let reason = format!("Order Canceled - reason:The order's time in force ({}) has expired", tif.as_str());
            self.cancel_open(key, "Cancelled (expired)", &reason);
        }
        if any {
            self.save();
        }
    }

    /// Fills resting orders the market has made marketable.
    fn fill_working(&mut self) -> Changed {
        let working: Vec<Key> =
            self.orders.values().filter(|o| o.status.is_working()).map(|o| (o.client_id, o.order_id)).collect();
        let changed = self.match_orders(working);
        if changed.account {
            self.save();
        }
        changed
    }

    /// CancelOrder from `client_id`: OrderStatus Cancelled then notice 202; unknown or done
    /// orders get 10147 / 10148 like IB.
    pub fn cancel_order(&mut self, client_id: i32, order_id: i32) -> Changed {
        match self.orders.get_mut(&(client_id, order_id)) {
            None => {
                self.deliver(
                    client_id,
                    report::error(
                        order_id,
                        10147,
                        &format!("OrderId {order_id} that needs to be cancelled is not found."),
                    ),
                );
                Changed::default()
            }
            Some(o) if !o.status.is_open() => {
                let text = format!(
                    "OrderId {order_id} that needs to be cancelled cannot be cancelled, state: {}.",
                    o.status.as_str()
                );
                self.deliver(client_id, report::error(order_id, 10148, &text));
                Changed::default()
            }
            Some(_) => {
                self.cancel_open((client_id, order_id), "Cancelled by Trader", "Order Canceled - reason:");
                self.save();
                Changed { account: false }
            }
        }
    }

    /// reqGlobalCancel: cancels every working order, whoever placed it.
    pub fn global_cancel(&mut self) -> Changed {
        let keys: Vec<(i32, i32)> =
            self.orders.values().filter(|o| o.status.is_open()).map(|o| (o.client_id, o.order_id)).collect();
        for (client_id, order_id) in keys {
            // A child may have gone with its parent already.
            if self.orders.get(&(client_id, order_id)).is_some_and(|o| o.status.is_open()) {
                self.cancel_order(client_id, order_id);
            }
        }
        Changed::default()
    }

    // ----- reports --------------------------------------------------------------------------

    /// Today's executions of `client_id` as live fills (req id -1) with their commissions.
    pub fn execution_replay(&self, client_id: i32) -> Vec<Outbound> {
        let mut out = Vec::new();
        for e in self.executions.iter().filter(|e| e.client_id == client_id) {
            if let Some(inst) = self.instrument_by_con_id(e.con_id) {
                out.push(report::execution(e, inst, -1));
                out.push(report::commission_report(e));
            }
        }
        out
    }

    /// OpenOrder + OrderStatus for working orders of `client_id` (or of everyone).
    pub fn open_order_reports(&self, client_id: Option<i32>) -> Vec<Outbound> {
        let mut out = Vec::new();
        for o in self.orders.values().filter(|o| o.status.is_open() && client_id.is_none_or(|c| c == o.client_id)) {
            if let Some(inst) = self.instrument_by_con_id(o.con_id) {
                out.push(report::open_order(o, inst, report::plain_state(o.status.as_str())));
                out.push(report::order_status(o));
            }
        }
        out
    }

    pub fn completed_order_reports(&self) -> Vec<Outbound> {
        self.orders
            .values()
            .filter(|o| !o.status.is_open())
            .filter_map(|o| self.instrument_by_con_id(o.con_id).map(|inst| report::completed_order(o, inst)))
            .collect()
    }

    /// reqExecutions: today's executions matching `filter`. Like IB, a client sees the
    /// executions of its own orders; client 0 (the master client) sees all.
    pub fn execution_reports(&self, requester: i32, req_id: i32, filter: &m::ExecutionFilter) -> Vec<Outbound> {
        let mut out = Vec::new();
        for e in self.executions.iter().filter(|e| requester == 0 || e.client_id == requester) {
            let Some(inst) = self.instrument_by_con_id(e.con_id) else {
                continue;
            };
            if !report::execution_matches(e, inst, filter) {
                continue;
            }
            out.push(report::execution(e, inst, req_id));
            out.push(report::commission_report(e));
        }
        out
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn total_value_limit(&self) -> Decimal {
        self.total_value_limit
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }
}

/// 154990 -> "154,990".
pub fn group_thousands(v: Decimal) -> String {
    let n = v.trunc().to_i128().unwrap_or(0);
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}
