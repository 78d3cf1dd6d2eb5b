//! The app's side of order entry: every trade request from the UI goes through the order core
//! (guard, validation, precautions, confirmation) and the write-ahead journal before the order
//! desk sees it. Only a trading session has a [`Trader`].

use super::core::TradingDesk;
use crate::broker::orders::WHAT_IF_PREFIX;
use crate::broker::{OrderCommand, WireOrder};
use crate::orders::{self, cancel_allowed, preflight, IntentIdGen, JournalBody, Replay, SubmitGate, Ticket};
use crate::store::{BrokerEvent, Store, StoreEvent, TradingEvent};
use chrono::{DateTime, Utc};
use std::path::Path;

/// Trade requests come from the UI's ticket and confirmation popups.
pub use crate::ui::TradeRequest;

pub struct Trader {
    desk: TradingDesk,
    intents: IntentIdGen,
    gate: SubmitGate,
    /// Leg intent ids this run already repaired after a reconnect (a missing stop sent, staged
    /// legs cancelled), so a second reconciliation before the gateway lists them does not
    /// repeat it.
    repaired: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl Trader {
    /// A trader for this session. Intent ids already in today's journal are known to the
    /// gate, so nothing journaled before a restart is ever sent again.
    pub fn new(desk: TradingDesk, journal_dir: &Path, now: DateTime<Utc>) -> Trader {
        let known = orders::Journal::read_day(journal_dir, now.date_naive())
            .map(|day| Replay::from_entries(&day.entries).intent_ids().map(str::to_string).collect::<Vec<_>>())
            .unwrap_or_default();
        let gate = SubmitGate::with_known(known.iter().map(String::as_str));
        Trader { desk, intents: IntentIdGen::new(now), gate, repaired: Default::default() }
    }

    /// Append to the journal; on failure disable entry (the returned event says why).
    fn journal(&self, now: DateTime<Utc>, body: JournalBody) -> Result<(), Box<StoreEvent>> {
        let Some(journal) = &self.desk.journal else {
            return Err(Box::new(journal_failed("journal unavailable".into())));
        };
        let written = match journal.lock() {
            Ok(mut journal) => journal.append(now, body).map(|_| ()).map_err(|e| e.to_string()),
            Err(_) => Err("the journal lock is poisoned".to_string()),
        };
        written.map_err(|error| Box::new(journal_failed(format!("journal unwritable: {error}"))))
    }

    /// Journal what the gateway said about orders: statuses, fills, commissions and order codes.
    /// Returns an event when the journal failed.
    pub fn journal_event(&self, event: &StoreEvent, store: &Store, now: DateTime<Utc>) -> Option<StoreEvent> {
        let StoreEvent::Broker(event) = event else { return None };
        let body = match event {
            BrokerEvent::OrderStatus { order_id, status, filled, remaining, .. } => JournalBody::Status {
                order_id: *order_id,
                status: status.clone(),
                filled: *filled,
                remaining: *remaining,
            },
            BrokerEvent::Execution { exec_id, order_id, shares, price, .. } => {
                if store.executions.contains_key(exec_id) {
                    return None;
                }
                JournalBody::Fill { order_id: *order_id, exec_id: exec_id.clone(), quantity: *shares, price: *price }
            }
            BrokerEvent::Commission { exec_id, amount: Some(amount), currency, .. } => {
                JournalBody::Commission { exec_id: exec_id.clone(), amount: *amount, currency: currency.clone() }
            }
            BrokerEvent::Notice { id, code, text } if store.orders.contains_key(id) => {
                JournalBody::Error { order_id: Some(*id), code: *code, text: text.clone() }
            }
            _ => return None,
        };
        self.journal(now, body).err().map(|event| *event)
    }

    /// After every (re)connect: compare today's journal with the gateway's orders and
    /// executions, journal the differences and the fills that arrived while away (once each,
    /// by exec id), and show the differences.
    pub fn reconcile(&self, store: &Store, now: DateTime<Utc>) -> Vec<StoreEvent> {
        let Some(journal) = &self.desk.journal else { return Vec::new() };
        let dir = match journal.lock() {
            Ok(journal) => journal.dir().to_path_buf(),
            Err(_) => return Vec::new(),
        };
        let entries = match orders::Journal::read_day(&dir, now.date_naive()) {
            Ok(day) => day.entries,
            Err(error) => {
                return vec![StoreEvent::Trading(TradingEvent::Journal(Some(format!("journal unreadable: {error}"))))]
            }
        };
        let broker_orders: Vec<orders::BrokerOrder> = store
            .orders
            .values()
            .map(|o| orders::BrokerOrder {
                order_id: o.order_id,
                order_ref: o.terms.as_ref().map(|t| t.order_ref.clone()).unwrap_or_default(),
                client_id: o.client_id,
                account: o.terms.as_ref().map(|t| t.account.clone()).unwrap_or_default(),
                status: o.lifecycle.status(),
            })
            .collect();
        let executions: Vec<orders::BrokerExecution> = store
            .executions
            .values()
            .map(|e| orders::BrokerExecution {
                exec_id: e.exec_id.clone(),
                order_id: e.order_id,
                quantity: e.shares,
                price: e.price,
            })
            .collect();
        let differences = orders::reconcile(&entries, &broker_orders, &executions);
        // For a group's legs only what the gateway acknowledged counts as there: a leg handed
        // to the socket just before the link went may never have arrived.
        let acknowledged: Vec<orders::BrokerOrder> = broker_orders
            .iter()
            .filter(|b| store.orders.get(&b.order_id).is_some_and(|o| o.lifecycle.acknowledged()))
            .cloned()
            .collect();
        let repairs = orders::resolve_groups(&entries, &acknowledged, &executions);
        let mut events = Vec::new();
        for difference in &differences {
            if let orders::Difference::MissingFill { order_id, exec_id, quantity, price } = difference {
                let fill = JournalBody::Fill {
                    order_id: *order_id,
                    exec_id: exec_id.clone(),
                    quantity: *quantity,
                    price: *price,
                };
                if let Err(event) = self.journal(now, fill) {
                    events.push(*event);
                }
            }
            let text = format!("reconcile: {difference}");
            events.push(StoreEvent::Broker(BrokerEvent::Notice { id: -1, code: 0, text }));
        }
        if let Err(event) = self.journal(now, JournalBody::Reconciled { differences }) {
            events.push(*event);
        }
        events.extend(self.repair_groups(&repairs, store, now));
        events
    }

    /// Carries out what reconciliation found about groups interrupted between legs, and says
    /// so loudly: in the status bar, the notices and the orders' timelines.
    fn repair_groups(&self, repairs: &[orders::GroupRepair], store: &Store, now: DateTime<Utc>) -> Vec<StoreEvent> {
        let mut events = Vec::new();
        let mut alerts = Vec::new();
        let Ok(mut repaired) = self.repaired.lock() else { return events };
        for repair in repairs {
            let mut text = repair.to_string();
            match repair {
                orders::GroupRepair::NeverSent { .. } => {
                    events.push(notice(-1, text));
                    continue;
                }
                orders::GroupRepair::CancelStaged { group_id, order_ids, .. } => {
                    if !repaired.insert(format!("{group_id}.cancel")) {
                        continue;
                    }
                    for order_id in order_ids {
                        if let Err(event) = self.journal(now, JournalBody::CancelRequested { order_id: *order_id }) {
                            events.push(*event);
                        }
                        if !self.desk.desk.send(OrderCommand::Cancel { order_id: *order_id }) {
                            text.push_str(&format!(" — cancel of {order_id} NOT sent: the broker task is not running"));
                        }
                        events.push(notice(*order_id, text.clone()));
                    }
                }
                orders::GroupRepair::SendStop { group_id, entry_order_id, intent_id, stop, filled, attach_to } => {
                    if !repaired.insert(intent_id.clone()) {
                        continue;
                    }
                    let guard =
                        orders::GuardContext { ticket_account: Some(stop.account.as_str()), ..store.guard_context() };
                    let contract = store.trading.contracts.get(&stop.symbol).and_then(|c| c.as_ref().ok());
                    match orders::entry_allowed(&guard) {
                        Ok(_) => {
                            let mut order = WireOrder::from_record(stop, intent_id, *filled, contract);
                            order.parent_id = *attach_to;
                            if !self.desk.desk.send(OrderCommand::Place { request: 0, order, modify: None }) {
                                text = format!("UNPROTECTED: bracket {group_id}'s entry filled without its stop, and the stop could NOT be sent (the broker task is not running): place a stop now");
                                repaired.remove(intent_id);
                            }
                        }
                        Err(block) => {
                            text = format!("UNPROTECTED: bracket {group_id}'s entry filled {} without its stop, and the stop was NOT sent ({block}): place a stop now", filled.normalize());
                            repaired.remove(intent_id);
                        }
                    }
                    events.push(notice(*entry_order_id, text.clone()));
                }
                orders::GroupRepair::TargetMissing { entry_order_id, .. } => {
                    events.push(notice(*entry_order_id, text.clone()));
                }
            }
            alerts.push(text);
        }
        let alert = match alerts.len() {
            0 => None,
            1 => alerts.pop(),
            n => Some(format!("{n} brackets interrupted: {}", alerts.join(" · "))),
        };
        events.push(StoreEvent::Trading(TradingEvent::GroupAlert(alert)));
        events
    }

    /// Carry out a trade request. Returns events for the store (refusals, halts, journal
    /// failures); the desk's answers arrive from the broker task.
    pub fn handle(&mut self, request: TradeRequest, store: &Store, now: DateTime<Utc>) -> Vec<StoreEvent> {
        match request {
            TradeRequest::Resolve { symbol } => {
                let symbol = symbol.trim().to_ascii_uppercase();
                if !symbol.is_empty() && !store.trading.contracts.contains_key(&symbol) {
                    self.desk.desk.send(OrderCommand::Resolve { symbol });
                }
                Vec::new()
            }
            TradeRequest::Preview { request, ticket, .. } => {
                let market = store.market_context(&ticket.symbol, ticket.account.trim(), now);
                let guard = store.guard_context();
                let trading = &store.trading;
                match preflight(&ticket, &market, &guard, &trading.precautions, &trading.recent, now) {
                    Ok(checked) => {
                        let intent_id = format!("{WHAT_IF_PREFIX}{request}");
                        let order = WireOrder::from_intent(&checked.intent, &intent_id);
                        if !self.desk.desk.send(OrderCommand::WhatIf { request, order }) {
                            return vec![what_if_refused(request, "the broker task is not running")];
                        }
                        Vec::new()
                    }
                    Err(refusal) => vec![what_if_refused(request, &refusal.to_string())],
                }
            }
            TradeRequest::Transmit { request, ticket, modify, override_word, typed_account } => {
                self.transmit(request, &ticket, modify, &override_word, &typed_account, store, now)
            }
            TradeRequest::Cancel { order_id } => {
                let own = store.orders.get(&order_id).is_some_and(|o| o.own);
                if !own {
                    let text =
                        format!("order {order_id} was not placed by this session: cancel it where it was placed");
                    return vec![notice(order_id, text)];
                }
                if let Err(block) = cancel_allowed(&store.guard_context()) {
                    return vec![notice(order_id, format!("cancel not sent: {block}"))];
                }
                if let Err(event) = self.journal(now, JournalBody::CancelRequested { order_id }) {
                    return vec![*event];
                }
                self.desk.desk.send(OrderCommand::Cancel { order_id });
                Vec::new()
            }
            TradeRequest::CancelGroup { group_id, order_ids } => {
                if let Err(block) = cancel_allowed(&store.guard_context()) {
                    return vec![notice(-1, format!("cancel of bracket {group_id} not sent: {block}"))];
                }
                let mut events = Vec::new();
                // The children first: they would go with the parent anyway, this leaves none behind.
                for order_id in order_ids.iter().rev() {
                    if !store.orders.get(order_id).is_some_and(|o| o.own) {
                        events
                            .push(notice(*order_id, format!("order {order_id} is not this session's: not cancelled")));
                        continue;
                    }
                    if let Err(event) = self.journal(now, JournalBody::CancelRequested { order_id: *order_id }) {
                        events.push(*event);
                        return events;
                    }
                    self.desk.desk.send(OrderCommand::Cancel { order_id: *order_id });
                }
                events
            }
            TradeRequest::CancelAll => {
                if let Err(block) = cancel_allowed(&store.guard_context()) {
                    return vec![notice(-1, format!("cancel all not sent: {block}"))];
                }
                if let Err(event) = self.journal(now, JournalBody::CancelAll) {
                    return vec![*event];
                }
                self.desk.desk.send(OrderCommand::GlobalCancel);
                Vec::new()
            }
            TradeRequest::Halt(halted) => {
                let mut events = vec![StoreEvent::Trading(TradingEvent::Halted(halted))];
                if let Err(event) = self.journal(now, JournalBody::Halt { halted }) {
                    events.push(*event);
                }
                events
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn transmit(
        &mut self,
        request: u64,
        ticket: &Ticket,
        modify: Option<i32>,
        override_word: &str,
        typed_account: &str,
        store: &Store,
        now: DateTime<Utc>,
    ) -> Vec<StoreEvent> {
        let refuse = |reason: String| vec![StoreEvent::Trading(TradingEvent::Outcome { request, result: Err(reason) })];
        if let Some(order_id) = modify {
            if !store.orders.get(&order_id).is_some_and(|o| o.own && !o.lifecycle.status().is_final()) {
                return refuse(format!("order {order_id} is not a working order of this session"));
            }
        }
        let market = store.market_context(&ticket.symbol, ticket.account.trim(), now);
        let guard = store.guard_context();
        let trading = &store.trading;
        let checked = match preflight(ticket, &market, &guard, &trading.precautions, &trading.recent, now) {
            Ok(checked) => checked,
            Err(refusal) => return refuse(refusal.to_string()),
        };
        if modify.is_some() && checked.group.has_exits() {
            return refuse("not sent: a modification cannot attach exits".into());
        }
        // A bracket's leg keeps its group when modified: `<group>.<leg>~<new id>`, and an exit
        // keeps its parent.
        let leg_of = |o: &crate::store::OrderRow| {
            o.terms.as_ref().and_then(|t| orders::LegRole::parse(&t.order_ref)).map(|(g, r)| (g.to_string(), r))
        };
        let leg = modify.and_then(|id| store.orders.get(&id)).and_then(leg_of);
        let parent = leg.as_ref().filter(|(_, role)| *role != orders::LegRole::Entry).and_then(|(group, _)| {
            store
                .orders
                .values()
                .find(|o| leg_of(o).is_some_and(|(g, r)| g == *group && r == orders::LegRole::Entry))
                .map(|o| o.order_id)
        });
        let intent_id = match &leg {
            Some((group, role)) => format!("{}~{}", role.leg_id(group), self.intents.next_id()),
            None => self.intents.next_id(),
        };
        let confirmed =
            match checked.confirm(&trading.precautions, override_word, typed_account, &intent_id, &mut self.gate) {
                Ok(confirmed) => confirmed,
                Err(refusal) => return refuse(refusal.to_string()),
            };
        // Write-ahead: the intent is on disk before anything leaves.
        if let Err(event) = self.journal(now, confirmed.journal_intent()) {
            let mut events = refuse("not sent: the journal could not be written".into());
            events.push(*event);
            return events;
        }
        if confirmed.group.has_exits() {
            // Every leg, entry first; the desk journals each one's submission as it goes.
            let legs = confirmed.legs().into_iter().map(|(id, leg)| WireOrder::from_intent(leg, &id)).collect();
            if !self.desk.desk.send(OrderCommand::PlaceGroup { request, legs }) {
                return refuse("not sent: the broker task is not running".into());
            }
            return confirmed
                .recent_legs(now)
                .into_iter()
                .map(|r| StoreEvent::Trading(TradingEvent::Sent(r)))
                .collect();
        }
        let mut order = WireOrder::from_confirmed(&confirmed);
        order.parent_id = parent;
        if !self.desk.desk.send(OrderCommand::Place { request, order, modify }) {
            return refuse("not sent: the broker task is not running".into());
        }
        vec![StoreEvent::Trading(TradingEvent::Sent(confirmed.recent(now)))]
    }
}

fn journal_failed(reason: String) -> StoreEvent {
    StoreEvent::Trading(TradingEvent::Journal(Some(reason)))
}

fn what_if_refused(request: u64, reason: &str) -> StoreEvent {
    StoreEvent::Broker(BrokerEvent::WhatIf { request, result: Err(reason.to_string()) })
}

fn notice(id: i32, text: String) -> StoreEvent {
    StoreEvent::Broker(BrokerEvent::Notice { id, code: 0, text })
}
