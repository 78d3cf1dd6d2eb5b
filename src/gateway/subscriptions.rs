//! What each subscription of a session remembers, and the messages that bring a client up
//! to date: ticks for quotes that moved, rows for account figures that changed.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::clock;
use super::engine::Engine;
use super::market::Quote;
use super::report::{self, f, q};
use super::wire::codec::Outbound;
use super::wire::messages as m;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TbtKind {
    Last,
    AllLast,
    BidAsk,
    MidPoint,
}

pub(super) struct MktSub {
    pub(super) index: usize,
    pub(super) last: Quote,
}

pub(super) struct BarSub {
    pub(super) index: usize,
    pub(super) what: String,
    pub(super) last_seq: u64,
}

/// reqHistoricalData with keepUpToDate: the bar in progress, fed by the 5-second bars.
pub(super) struct HistStreamSub {
    pub(super) index: usize,
    pub(super) bar_secs: i64,
    pub(super) daily: bool,
    /// (bar start, open, high, low, close, volume, count)
    pub(super) current: (i64, Decimal, Decimal, Decimal, Decimal, Decimal, i32),
    pub(super) last_seq: u64,
}

pub(super) struct TbtSub {
    pub(super) index: usize,
    pub(super) kind: TbtKind,
    pub(super) trade_seq: u64,
    pub(super) quote_seq: u64,
    pub(super) mid: Decimal,
}

pub(super) struct SummarySub {
    pub(super) tags: Vec<String>,
    pub(super) accounts: Vec<String>,
    pub(super) sent: HashMap<(String, String, String), String>,
}

/// reqPositionsMulti: one account (or all) and what was sent.
pub(super) struct PositionsMultiSub {
    pub(super) account: Option<String>,
    pub(super) sent: HashMap<(String, i32), (Decimal, Decimal)>,
}

/// reqAccountUpdatesMulti: one account (or all) and the values sent.
pub(super) struct AccountMultiSub {
    pub(super) account: Option<String>,
    pub(super) sent: HashMap<(String, String, String), String>,
}

pub(super) struct AccountUpdatesSub {
    pub(super) account: String,
    pub(super) values: HashMap<(String, String), String>,
    pub(super) portfolio: HashMap<i32, (Decimal, Decimal, Decimal)>,
}

/// (daily, unrealized, realized) as last sent.
pub(super) type PnlFigures = (Decimal, Decimal, Decimal);
/// (position, daily, unrealized, realized) as last sent.
pub(super) type PnlSingleFigures = (Decimal, Decimal, Decimal, Decimal);

#[derive(Default)]
pub(super) struct Subs {
    pub(super) market: HashMap<i32, MktSub>,
    pub(super) bars: HashMap<i32, BarSub>,
    pub(super) hist_streams: HashMap<i32, HistStreamSub>,
    pub(super) tbt: HashMap<i32, TbtSub>,
    pub(super) summary: HashMap<i32, SummarySub>,
    pub(super) positions: Option<HashMap<(String, i32), (Decimal, Decimal)>>,
    pub(super) account_updates: Option<AccountUpdatesSub>,
    pub(super) positions_multi: HashMap<i32, PositionsMultiSub>,
    pub(super) account_multi: HashMap<i32, AccountMultiSub>,
    pub(super) pnl: HashMap<i32, (String, Option<PnlFigures>)>,
    pub(super) pnl_single: HashMap<i32, (String, i32, Option<PnlSingleFigures>)>,
}

impl Subs {
    /// 1101 (restored, data lost): IB forgets the market data subscriptions of every client;
    /// clients must request them again. Account, position and P&L subscriptions survive.
    pub(super) fn drop_market_data(&mut self) {
        self.market.clear();
        self.bars.clear();
        self.tbt.clear();
        self.hist_streams.clear();
    }
}

pub(super) fn no_security(req_id: i32) -> Outbound {
    report::error(req_id, 200, "No security definition has been found for the request")
}

pub(super) fn summary_msg(req_id: i32, account: String, tag: String, value: String, currency: String) -> Outbound {
    Outbound::AccountSummary(m::AccountSummary {
        req_id: Some(req_id),
        account: Some(account),
        tag: Some(tag),
        value: Some(value),
        currency: Some(currency),
    })
}

/// Rows whose value changed since last sent (all rows the first time).
pub(super) fn summary_diff(eng: &Engine, sub: &mut SummarySub) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for id in &sub.accounts {
        let Some(a) = eng.account(id) else { continue };
        let mt = eng.metrics(a);
        let start = mt.net_liquidation - mt.daily_pnl;
        for (tag, value, ccy) in report::summary_rows(&sub.tags, a, &mt, start) {
            let key = (id.clone(), tag.clone(), ccy.clone());
            if sub.sent.get(&key) != Some(&value) {
                sub.sent.insert(key, value.clone());
                out.push((id.clone(), tag, value, ccy));
            }
        }
    }
    out
}

pub(super) fn positions_diff(
    eng: &Engine,
    sent: &mut HashMap<(String, i32), (Decimal, Decimal)>,
    all: bool,
) -> Vec<Outbound> {
    let mut out = Vec::new();
    for a in eng.accounts() {
        for (&con_id, h) in &a.positions {
            let key = (a.id.clone(), con_id);
            let now = (h.quantity, h.avg_cost);
            if all || sent.get(&key) != Some(&now) {
                sent.insert(key, now);
                if let Some(inst) = eng.instrument_by_con_id(con_id) {
                    out.push(report::position(a, con_id, inst));
                }
            }
        }
    }
    out
}

pub(super) fn positions_multi_diff(eng: &Engine, req_id: i32, sub: &mut PositionsMultiSub) -> Vec<Outbound> {
    let mut out = Vec::new();
    for a in eng.accounts().filter(|a| sub.account.as_ref().is_none_or(|w| *w == a.id)) {
        for (&con_id, h) in &a.positions {
            let key = (a.id.clone(), con_id);
            let now = (h.quantity, h.avg_cost);
            if sub.sent.get(&key) == Some(&now) {
                continue;
            }
            sub.sent.insert(key, now);
            if let Some(inst) = eng.instrument_by_con_id(con_id) {
                out.push(Outbound::PositionMulti(m::PositionMulti {
                    req_id: Some(req_id),
                    account: Some(a.id.clone()),
                    contract: Some(report::contract(inst)),
                    position: Some(q(h.quantity)),
                    avg_cost: Some(f(h.avg_cost)),
                    model_code: None,
                }));
            }
        }
    }
    out
}

pub(super) fn account_multi_diff(eng: &Engine, req_id: i32, sub: &mut AccountMultiSub) -> Vec<Outbound> {
    let mut out = Vec::new();
    for a in eng.accounts().filter(|a| sub.account.as_ref().is_none_or(|w| *w == a.id)) {
        let mt = eng.metrics(a);
        let start = mt.net_liquidation - mt.daily_pnl;
        for (key, value, ccy) in report::account_values(a, &mt, start) {
            let k = (a.id.clone(), key.clone(), ccy.clone());
            if sub.sent.get(&k) == Some(&value) {
                continue;
            }
            sub.sent.insert(k, value.clone());
            out.push(Outbound::AccountUpdateMulti(m::AccountUpdateMulti {
                req_id: Some(req_id),
                account: Some(a.id.clone()),
                model_code: None,
                key: Some(key),
                value: Some(value),
                currency: Some(ccy),
            }));
        }
    }
    out
}

pub(super) fn account_updates_diff(eng: &Engine, sub: &mut AccountUpdatesSub) -> Vec<Outbound> {
    let mut out = Vec::new();
    let Some(a) = eng.account(&sub.account) else {
        return out;
    };
    let mt = eng.metrics(a);
    let start = mt.net_liquidation - mt.daily_pnl;
    let mut changed = false;
    for row in report::account_values(a, &mt, start) {
        let key = (row.0.clone(), row.2.clone());
        if sub.values.get(&key) != Some(&row.1) {
            sub.values.insert(key, row.1.clone());
            out.push(report::account_value(&a.id, &row));
            changed = true;
        }
    }
    for (&con_id, h) in &a.positions {
        let mark = eng.mark_con_id(con_id);
        let now = (h.quantity, h.avg_cost, mark);
        if sub.portfolio.get(&con_id) != Some(&now) {
            sub.portfolio.insert(con_id, now);
            if let Some(inst) = eng.instrument_by_con_id(con_id) {
                out.push(report::portfolio(a, con_id, inst, mark));
                changed = true;
            }
        }
    }
    if changed {
        out.push(Outbound::AccountUpdateTime(m::AccountUpdateTime {
            time_stamp: Some(clock::eastern_hhmm(clock::now_ms())),
        }));
    }
    out
}

pub(super) fn tick_price(req_id: i32, tick_type: i32, price: Decimal, size: Option<Decimal>) -> Outbound {
    Outbound::TickPrice(m::TickPrice {
        req_id: Some(req_id),
        tick_type: Some(tick_type),
        price: Some(f(price)),
        size: size.map(q),
        attr_mask: Some(if matches!(tick_type, 1 | 2) { 1 } else { 0 }),
    })
}

pub(super) fn tick_size(req_id: i32, tick_type: i32, size: Decimal) -> Outbound {
    Outbound::TickSize(m::TickSize { req_id: Some(req_id), tick_type: Some(tick_type), size: Some(q(size)) })
}

/// Everything a fresh market-data subscription gets.
pub(super) fn full_ticks(req_id: i32, qt: &Quote) -> Vec<Outbound> {
    vec![
        tick_price(req_id, 1, qt.bid, Some(qt.bid_size)),
        tick_size(req_id, 0, qt.bid_size),
        tick_price(req_id, 2, qt.ask, Some(qt.ask_size)),
        tick_size(req_id, 3, qt.ask_size),
        tick_price(req_id, 4, qt.last, Some(qt.last_size)),
        tick_size(req_id, 5, qt.last_size),
        tick_size(req_id, 8, qt.volume),
        tick_price(req_id, 6, qt.high, None),
        tick_price(req_id, 7, qt.low, None),
        tick_price(req_id, 9, qt.close, None),
        tick_price(req_id, 14, qt.open, None),
        Outbound::TickString(m::TickString {
            req_id: Some(req_id),
            tick_type: Some(45),
            value: Some((qt.last_time_ms / 1000).to_string()),
        }),
        Outbound::TickGeneric(m::TickGeneric { req_id: Some(req_id), tick_type: Some(49), value: Some(0.0) }),
    ]
}

/// Ticks for what changed between two quotes.
pub(super) fn diff_ticks(req_id: i32, old: &Quote, new: &Quote, out: &mut Vec<Outbound>) {
    if new.bid != old.bid {
        out.push(tick_price(req_id, 1, new.bid, Some(new.bid_size)));
    } else if new.bid_size != old.bid_size {
        out.push(tick_size(req_id, 0, new.bid_size));
    }
    if new.ask != old.ask {
        out.push(tick_price(req_id, 2, new.ask, Some(new.ask_size)));
    } else if new.ask_size != old.ask_size {
        out.push(tick_size(req_id, 3, new.ask_size));
    }
    if new.trade_seq != old.trade_seq {
        out.push(tick_price(req_id, 4, new.last, Some(new.last_size)));
        out.push(tick_size(req_id, 8, new.volume));
        out.push(Outbound::TickString(m::TickString {
            req_id: Some(req_id),
            tick_type: Some(45),
            value: Some((new.last_time_ms / 1000).to_string()),
        }));
    }
    if new.high != old.high {
        out.push(tick_price(req_id, 6, new.high, None));
    }
    if new.low != old.low {
        out.push(tick_price(req_id, 7, new.low, None));
    }
}
