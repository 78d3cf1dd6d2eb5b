//! Pushes of a session: market data, bars, tick-by-tick and historical updates on market
//! changes; account-level subscriptions on account changes; answers to data requests that
//! need the market (market data, historical bars).

use rust_decimal::Decimal;

use super::super::clock;
use super::super::history;
use super::super::report::{self, f, q};
use super::super::subscriptions::*;
use super::super::wire::codec::Outbound;
use super::super::wire::messages as m;
use super::Session;

impl Session {
    /// reqHistoricalData: deterministic bars ending at the current price, then the window.
    pub(super) fn historical_data(&mut self, r: m::HistoricalDataRequest) {
        let req_id = r.req_id.unwrap_or(0);
        let contract = r.contract.clone().unwrap_or_default();
        let bar = r.bar_size_setting.as_deref().and_then(history::bar_seconds);
        let duration = r.duration.as_deref().and_then(history::duration_seconds);
        let now_ms = clock::now_ms();
        let end = history::parse_end(r.end_date_time.as_deref().unwrap_or(""), now_ms);
        let (Some(bar), Some(duration), Some(end)) = (bar, duration, end) else {
            self.push(&report::error(
                req_id,
                321,
                "Error validating request.-'bP' : cause - Historical data query: invalid bar size, duration or end date",
            ));
            return;
        };
        let eng = self.shared.engine();
        let Some((inst, mark)) =
            eng.resolve(&contract).and_then(|i| Some((eng.universe.get(i)?.clone(), eng.market.mark(i))))
        else {
            drop(eng);
            self.push(&no_security(req_id));
            return;
        };
        let seed = eng.seed();
        let inst_index = eng.universe.index_of_con_id(inst.con_id).unwrap_or(0);
        drop(eng);
        let count = usize::try_from((duration / bar).max(1)).unwrap_or(1);
        let bars = history::bars(inst.con_id, seed, mark, inst.min_tick, end.min(now_ms / 1000), bar, count);
        let daily = bar >= 86_400;
        let wire_bars = bars
            .iter()
            .map(|b| m::HistoricalDataBar {
                date: Some(if daily { clock::eastern_date(b.time * 1000) } else { b.time.to_string() }),
                open: Some(f(b.open)),
                high: Some(f(b.high)),
                low: Some(f(b.low)),
                close: Some(f(b.close)),
                volume: Some(q(b.volume)),
                wap: Some(q(b.wap)),
                bar_count: Some(b.count),
            })
            .collect();
        let start = bars.first().map(|b| b.time).unwrap_or(end);
        if r.keep_up_to_date == Some(true) {
            if let Some(last) = bars.last() {
                let last_seq = self.shared.engine().market.bar_seq();
                let current = (last.time, last.open, last.high, last.low, last.close, last.volume, last.count);
                self.subs
                    .hist_streams
                    .insert(req_id, HistStreamSub { index: inst_index, bar_secs: bar, daily, current, last_seq });
            }
        }
        self.push(&Outbound::HistoricalData(m::HistoricalData {
            req_id: Some(req_id),
            historical_data_bars: wire_bars,
        }));
        self.push(&Outbound::HistoricalDataEnd(m::HistoricalDataEnd {
            req_id: Some(req_id),
            start_date_str: Some(clock::eastern_timestamp(start * 1000)),
            end_date_str: Some(clock::eastern_timestamp(end * 1000)),
        }));
    }

    pub(super) fn market_data(&mut self, r: m::MarketDataRequest) {
        let req_id = r.req_id.unwrap_or(0);
        let contract = r.contract.unwrap_or_default();
        let eng = self.shared.engine();
        let Some((index, quote, tick)) =
            eng.resolve(&contract).and_then(|i| Some((i, eng.market.quote(i)?.clone(), eng.universe.get(i)?.min_tick)))
        else {
            drop(eng);
            self.push(&no_security(req_id));
            return;
        };
        drop(eng);
        let id = Some(req_id);
        self.push(&Outbound::MarketDataType(m::MarketDataType { req_id: id, market_data_type: Some(1) }));
        self.push(&Outbound::TickReqParams(m::TickReqParams {
            req_id: id,
            min_tick: Some(q(tick)),
            bbo_exchange: Some("9c0001".into()),
            snapshot_permissions: Some(3),
        }));
        for o in full_ticks(req_id, &quote) {
            self.push(&o);
        }
        if r.snapshot == Some(true) || r.regulatory_snapshot == Some(true) {
            self.push(&Outbound::TickSnapshotEnd(m::EndByReqId { req_id: id }));
        } else {
            self.subs.market.insert(req_id, MktSub { index, last: quote });
        }
    }

    pub(super) fn on_market(&mut self) {
        let shared = self.shared.clone();
        let eng = shared.engine();
        let mut out = Vec::new();
        for (&req_id, sub) in self.subs.market.iter_mut() {
            let Some(qt) = eng.market.quote(sub.index) else {
                continue;
            };
            diff_ticks(req_id, &sub.last, qt, &mut out);
            sub.last = qt.clone();
        }
        for (&req_id, sub) in self.subs.bars.iter_mut() {
            for bar in eng.market.bars_since(sub.index, sub.last_seq) {
                let o = match sub.what.as_str() {
                    "MIDPOINT" => bar.mid,
                    "BID" => bar.bid,
                    "ASK" => bar.ask,
                    _ => bar.trades,
                };
                out.push(Outbound::RealTimeBar(m::RealTimeBarTick {
                    req_id: Some(req_id),
                    time: Some(bar.time),
                    open: Some(f(o.open)),
                    high: Some(f(o.high)),
                    low: Some(f(o.low)),
                    close: Some(f(o.close)),
                    volume: Some(q(bar.volume)),
                    wap: Some(q(bar.wap)),
                    count: Some(bar.count),
                }));
                sub.last_seq = sub.last_seq.max(bar.seq);
            }
        }
        for (&req_id, sub) in self.subs.hist_streams.iter_mut() {
            let mut changed = false;
            for bar in eng.market.bars_since(sub.index, sub.last_seq) {
                let bucket = bar.time - bar.time.rem_euclid(sub.bar_secs);
                let t = bar.trades;
                let c = &mut sub.current;
                if bucket == c.0 {
                    c.2 = c.2.max(t.high);
                    c.3 = c.3.min(t.low);
                    c.4 = t.close;
                    c.5 += bar.volume;
                    c.6 += bar.count;
                } else if bucket > c.0 {
                    *c = (bucket, t.open, t.high, t.low, t.close, bar.volume, bar.count);
                }
                sub.last_seq = sub.last_seq.max(bar.seq);
                changed = true;
            }
            if changed {
                let c = sub.current;
                out.push(Outbound::HistoricalDataUpdate(m::HistoricalDataUpdate {
                    req_id: Some(req_id),
                    historical_data_bar: Some(m::HistoricalDataBar {
                        date: Some(if sub.daily { clock::eastern_date(c.0 * 1000) } else { c.0.to_string() }),
                        open: Some(f(c.1)),
                        high: Some(f(c.2)),
                        low: Some(f(c.3)),
                        close: Some(f(c.4)),
                        volume: Some(q(c.5)),
                        wap: Some(q(((c.2 + c.3 + c.4) / Decimal::from(3)).round_dp(4))),
                        bar_count: Some(c.6),
                    }),
                }));
            }
        }
        for (&req_id, sub) in self.subs.tbt.iter_mut() {
            let Some(qt) = eng.market.quote(sub.index) else {
                continue;
            };
            let time = Some(qt.last_time_ms / 1000);
            let now = Some(eng.market.sim_time_ms() / 1000);
            match sub.kind {
                TbtKind::Last | TbtKind::AllLast => {
                    if qt.trade_seq != sub.trade_seq {
                        sub.trade_seq = qt.trade_seq;
                        let exchange = eng.universe.get(sub.index).map(|i| i.primary_exchange.clone());
                        out.push(Outbound::TickByTick(m::TickByTickData {
                            req_id: Some(req_id),
                            tick_type: Some(if sub.kind == TbtKind::Last { 1 } else { 2 }),
                            tick: Some(m::TickByTickBody::Last(m::HistoricalTickLast {
                                time,
                                tick_attrib_last: Some(m::TickAttribLast {
                                    past_limit: Some(false),
                                    unreported: Some(false),
                                }),
                                price: Some(f(qt.last)),
                                size: Some(q(qt.last_size)),
                                exchange,
                                special_conditions: None,
                            })),
                        }));
                    }
                }
                TbtKind::BidAsk => {
                    if qt.quote_seq != sub.quote_seq {
                        sub.quote_seq = qt.quote_seq;
                        out.push(Outbound::TickByTick(m::TickByTickData {
                            req_id: Some(req_id),
                            tick_type: Some(3),
                            tick: Some(m::TickByTickBody::BidAsk(m::HistoricalTickBidAsk {
                                time: now,
                                tick_attrib_bid_ask: Some(m::TickAttribBidAsk {
                                    bid_past_low: Some(false),
                                    ask_past_high: Some(false),
                                }),
                                price_bid: Some(f(qt.bid)),
                                price_ask: Some(f(qt.ask)),
                                size_bid: Some(q(qt.bid_size)),
                                size_ask: Some(q(qt.ask_size)),
                            })),
                        }));
                    }
                }
                TbtKind::MidPoint => {
                    let mid = qt.mid();
                    if mid != sub.mid {
                        sub.mid = mid;
                        out.push(Outbound::TickByTick(m::TickByTickData {
                            req_id: Some(req_id),
                            tick_type: Some(4),
                            tick: Some(m::TickByTickBody::MidPoint(m::HistoricalTick {
                                time: now,
                                price: Some(f(mid)),
                                size: Some("0".into()),
                            })),
                        }));
                    }
                }
            }
        }
        drop(eng);
        for o in out {
            self.push(&o);
        }
    }

    /// Pushes whatever changed in account-level subscriptions.
    pub(super) fn on_account(&mut self) {
        let shared = self.shared.clone();
        let mut out = Vec::new();
        {
            let eng = shared.engine();
            for (&req_id, sub) in self.subs.summary.iter_mut() {
                for (acct, tag, value, ccy) in summary_diff(&eng, sub) {
                    out.push(summary_msg(req_id, acct, tag, value, ccy));
                }
            }
            if let Some(sent) = self.subs.positions.as_mut() {
                out.extend(positions_diff(&eng, sent, false));
            }
            if let Some(sub) = self.subs.account_updates.as_mut() {
                out.extend(account_updates_diff(&eng, sub));
            }
            for (&req_id, sub) in self.subs.positions_multi.iter_mut() {
                out.extend(positions_multi_diff(&eng, req_id, sub));
            }
            for (&req_id, sub) in self.subs.account_multi.iter_mut() {
                out.extend(account_multi_diff(&eng, req_id, sub));
            }
        }
        for o in out {
            self.push(&o);
        }
        self.push_pnl();
    }

    pub(super) fn push_pnl(&mut self) {
        let shared = self.shared.clone();
        let eng = shared.engine();
        let mut out = Vec::new();
        for (&req_id, (account, last)) in self.subs.pnl.iter_mut() {
            let Some(a) = eng.account(account) else {
                continue;
            };
            let mt = eng.metrics(a);
            let now = (mt.daily_pnl.round_dp(2), mt.unrealized_pnl.round_dp(2), mt.realized_pnl.round_dp(2));
            if *last != Some(now) {
                *last = Some(now);
                out.push(Outbound::PnL(m::PnL {
                    req_id: Some(req_id),
                    daily_pnl: Some(f(now.0)),
                    unrealized_pnl: Some(f(now.1)),
                    realized_pnl: Some(f(now.2)),
                }));
            }
        }
        for (&req_id, (account, con_id, last)) in self.subs.pnl_single.iter_mut() {
            let Some(a) = eng.account(account) else {
                continue;
            };
            let mark = eng.mark_con_id(*con_id);
            let qty = a.quantity(*con_id);
            let (u, r, d) = a.position_pnl(*con_id, mark);
            let now = (qty, d.round_dp(2), u.round_dp(2), r.round_dp(2));
            if *last != Some(now) {
                *last = Some(now);
                out.push(Outbound::PnLSingle(m::PnLSingle {
                    req_id: Some(req_id),
                    position: Some(q(qty)),
                    daily_pnl: Some(f(now.1)),
                    unrealized_pnl: Some(f(now.2)),
                    realized_pnl: Some(f(now.3)),
                    value: Some(f((qty * mark).round_dp(2))),
                }));
            }
        }
        drop(eng);
        for o in out {
            self.push(&o);
        }
    }
}
