//! The simulated market: a seeded random walk per instrument, on the tick grid, with a
//! realistic spread and a tape of trades. Time is simulated: `step` advances it by a fixed
//! amount, so a seed gives the same tape whatever the wall clock does.

use std::collections::VecDeque;

use rust_decimal::Decimal;

use super::rng::SplitMix64;
use super::universe::Universe;

/// Simulated milliseconds per market step.
pub const STEP_MS: i64 = 250;
/// Real-time bar length, seconds.
pub const BAR_SECONDS: i64 = 5;
const BARS_KEPT: usize = 64;

/// Top of book and day statistics of one instrument.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    pub bid: Decimal,
    pub ask: Decimal,
    pub bid_size: Decimal,
    pub ask_size: Decimal,
    pub last: Decimal,
    pub last_size: Decimal,
    pub last_time_ms: i64,
    pub volume: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub open: Decimal,
    pub close: Decimal,
    /// Increments on every trade print.
    pub trade_seq: u64,
    /// Increments on every change of bid, ask or their sizes.
    pub quote_seq: u64,
}

impl Quote {
    pub fn mid(&self) -> Decimal {
        (self.bid + self.ask) / Decimal::TWO
    }
}

/// OHLC of one 5-second bucket for one price series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ohlc {
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
}

impl Ohlc {
    fn start(p: Decimal) -> Self {
        Self { open: p, high: p, low: p, close: p }
    }
    fn add(&mut self, p: Decimal) {
        self.high = self.high.max(p);
        self.low = self.low.min(p);
        self.close = p;
    }
}

/// A finished 5-second bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub seq: u64,
    /// Bucket start, epoch seconds.
    pub time: i64,
    pub trades: Ohlc,
    pub mid: Ohlc,
    pub bid: Ohlc,
    pub ask: Ohlc,
    pub volume: Decimal,
    pub wap: Decimal,
    pub count: i32,
}

#[derive(Debug, Clone)]
struct BarBuilder {
    bucket: i64,
    trades: Option<Ohlc>,
    mid: Ohlc,
    bid: Ohlc,
    ask: Ohlc,
    volume: Decimal,
    notional: Decimal,
    count: i32,
}

#[derive(Debug, Clone)]
struct InstrumentState {
    tick: Decimal,
    /// Mid price in ticks, continuous.
    mid_ticks: f64,
    sigma_ticks: f64,
    rng: SplitMix64,
    quote: Quote,
    builder: BarBuilder,
    bars: VecDeque<Bar>,
}

#[derive(Debug, Clone)]
pub struct Market {
    states: Vec<InstrumentState>,
    sim_ms: i64,
    steps: u64,
    bar_seq: u64,
}

fn to_ticks(p: Decimal, tick: Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    (p / tick).to_f64().unwrap_or(1.0)
}

impl Market {
    /// A market at the previous close of every instrument, starting at `start_ms` (epoch ms).
    pub fn new(universe: &Universe, seed: u64, start_ms: i64) -> Self {
        let start_ms = start_ms - start_ms.rem_euclid(BAR_SECONDS * 1000);
        let states = universe
            .instruments()
            .iter()
            .map(|inst| {
                let mut rng = SplitMix64::new(seed ^ (inst.con_id as u64).wrapping_mul(0xA24B_AED4_963E_E407));
                let close = inst.close;
                let tick = inst.min_tick;
                let mid_ticks = to_ticks(close, tick);
                // About 1.5% daily volatility spread over a 6.5 h day of 250 ms steps.
                let sigma_ticks = (mid_ticks * 0.000_05).max(0.15);
                let spread = 1 + (rng.below(3) == 0) as i64;
                let bid = close - tick * Decimal::from(spread / 2).max(Decimal::ZERO);
                let bid = if bid <= Decimal::ZERO { tick } else { bid };
                let ask = bid + tick * Decimal::from(spread);
                let bid_size = Decimal::from(100 * (1 + rng.below(10)));
                let ask_size = Decimal::from(100 * (1 + rng.below(10)));
                let quote = Quote {
                    bid,
                    ask,
                    bid_size,
                    ask_size,
                    last: close,
                    last_size: Decimal::from(100),
                    last_time_ms: start_ms,
                    volume: Decimal::ZERO,
                    high: close,
                    low: close,
                    open: close,
                    close,
                    trade_seq: 0,
                    quote_seq: 0,
                };
                let mid = quote.mid();
                InstrumentState {
                    tick,
                    mid_ticks,
                    sigma_ticks,
                    rng,
                    builder: BarBuilder {
                        bucket: start_ms / 1000,
                        trades: None,
                        mid: Ohlc::start(mid),
                        bid: Ohlc::start(bid),
                        ask: Ohlc::start(ask),
                        volume: Decimal::ZERO,
                        notional: Decimal::ZERO,
                        count: 0,
                    },
                    quote,
                    bars: VecDeque::with_capacity(BARS_KEPT),
                }
            })
            .collect();
        Self { states, sim_ms: start_ms, steps: 0, bar_seq: 0 }
    }

    pub fn sim_time_ms(&self) -> i64 {
        self.sim_ms
    }

    pub fn steps(&self) -> u64 {
        self.steps
    }

    pub fn quote(&self, index: usize) -> Option<&Quote> {
        self.states.get(index).map(|s| &s.quote)
    }

    pub fn len(&self) -> usize {
        self.states.len()
    }

    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// Mark price used for valuation: the last trade.
    pub fn mark(&self, index: usize) -> Decimal {
        self.states.get(index).map(|s| s.quote.last).unwrap_or(Decimal::ZERO)
    }

    /// Bars of `index` finished after `after_seq`.
    pub fn bars_since(&self, index: usize, after_seq: u64) -> impl Iterator<Item = &Bar> {
        self.states.get(index).into_iter().flat_map(move |s| s.bars.iter().filter(move |b| b.seq > after_seq))
    }

    /// Latest finished bar sequence number across all instruments (0 = none yet).
    pub fn bar_seq(&self) -> u64 {
        self.bar_seq
    }

    /// Advances simulated time by one step: every instrument may move and print a trade.
    pub fn step(&mut self) {
        self.sim_ms += STEP_MS;
        self.steps += 1;
        let now_ms = self.sim_ms;
        let bucket = (now_ms / 1000) - (now_ms / 1000).rem_euclid(BAR_SECONDS);
        for s in &mut self.states {
            // Finish the bar if this step starts a new bucket.
            if bucket != s.builder.bucket {
                self.bar_seq += 1;
                finish_bar(s, self.bar_seq, bucket);
            }
            let q = &mut s.quote;
            let tick = s.tick;
            let r = s.rng.next_f64();
            if r < 0.6 {
                s.mid_ticks = (s.mid_ticks + s.rng.normal() * s.sigma_ticks).max(2.0);
                let spread: i64 = if s.rng.below(4) == 0 { 2 } else { 1 };
                let bid_ticks = (s.mid_ticks - spread as f64 / 2.0).floor().max(1.0) as i64;
                let bid = tick * Decimal::from(bid_ticks);
                let ask = bid + tick * Decimal::from(spread);
                q.bid = bid;
                q.ask = ask;
                q.bid_size = Decimal::from(100 * (1 + s.rng.below(10)));
                q.ask_size = Decimal::from(100 * (1 + s.rng.below(10)));
                q.quote_seq += 1;
            }
            if s.rng.next_f64() < 0.35 {
                let at_ask = s.rng.below(2) == 0;
                let price = if at_ask { q.ask } else { q.bid };
                let size = Decimal::from(100 * (1 + s.rng.below(5)));
                print_trade(q, &mut s.builder, price, size, now_ms);
            }
            let mid = q.mid();
            s.builder.mid.add(mid);
            s.builder.bid.add(q.bid);
            s.builder.ask.add(q.ask);
        }
    }

    /// Moves `index`'s market by `ticks` at once (a price shock), keeping a one-tick spread, and
    /// prints a trade at the new touch (the ask after a rise, the bid after a fall), so stops
    /// and trailing stops see the move in the last price.
    pub fn shift(&mut self, index: usize, ticks: i64) {
        let now = self.sim_ms;
        let Some(s) = self.states.get_mut(index) else { return };
        s.mid_ticks = (s.mid_ticks + ticks as f64).max(2.0);
        let bid_ticks = (s.mid_ticks - 0.5).floor().max(1.0) as i64;
        s.quote.bid = s.tick * Decimal::from(bid_ticks);
        s.quote.ask = s.quote.bid + s.tick;
        s.quote.quote_seq += 1;
        if ticks != 0 {
            let price = if ticks > 0 { s.quote.ask } else { s.quote.bid };
            print_trade(&mut s.quote, &mut s.builder, price, Decimal::from(100), now);
        }
    }

    /// Moves simulated time forward by `ms` without moving prices (the `advance` knob).
    pub fn advance(&mut self, ms: i64) {
        self.sim_ms += ms.max(0);
    }

    /// Prints a trade on the tape (the gateway's own fills appear here too).
    pub fn record_trade(&mut self, index: usize, price: Decimal, size: Decimal) {
        let now = self.sim_ms;
        if let Some(s) = self.states.get_mut(index) {
            print_trade(&mut s.quote, &mut s.builder, price, size, now);
        }
    }
}

fn print_trade(q: &mut Quote, b: &mut BarBuilder, price: Decimal, size: Decimal, now_ms: i64) {
    q.last = price;
    q.last_size = size;
    q.last_time_ms = now_ms;
    q.volume += size;
    q.high = q.high.max(price);
    q.low = q.low.min(price);
    q.trade_seq += 1;
    match &mut b.trades {
        Some(o) => o.add(price),
        None => b.trades = Some(Ohlc::start(price)),
    }
    b.volume += size;
    b.notional += size * price;
    b.count += 1;
}

fn finish_bar(s: &mut InstrumentState, seq: u64, new_bucket: i64) {
    let b = &mut s.builder;
    let last = s.quote.last;
    let trades = b.trades.unwrap_or(Ohlc::start(last));
    let wap = if b.volume.is_zero() { trades.close } else { (b.notional / b.volume).round_dp(4) };
    let bar =
        Bar { seq, time: b.bucket, trades, mid: b.mid, bid: b.bid, ask: b.ask, volume: b.volume, wap, count: b.count };
    if s.bars.len() == BARS_KEPT {
        s.bars.pop_front();
    }
    s.bars.push_back(bar);
    let mid = s.quote.mid();
    *b = BarBuilder {
        bucket: new_bucket,
        trades: None,
        mid: Ohlc::start(mid),
        bid: Ohlc::start(s.quote.bid),
        ask: Ohlc::start(s.quote.ask),
        volume: Decimal::ZERO,
        notional: Decimal::ZERO,
        count: 0,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seed: u64, steps: usize) -> Vec<(Decimal, Decimal, Decimal)> {
        let u = Universe::embedded().expect("universe");
        let mut m = Market::new(&u, seed, 1_767_268_800_000);
        for _ in 0..steps {
            m.step();
        }
        (0..m.len()).filter_map(|i| m.quote(i).map(|q| (q.bid, q.ask, q.last))).collect()
    }

    #[test]
    fn same_seed_same_market_other_seed_differs() {
        assert_eq!(run(42, 500), run(42, 500));
        assert_ne!(run(42, 500), run(43, 500));
    }

    #[test]
    fn bid_below_ask_and_on_tick_grid_always() {
        let u = Universe::embedded().expect("universe");
        let mut m = Market::new(&u, 3, 0);
        for _ in 0..2_000 {
            m.step();
            for i in 0..m.len() {
                let q = m.quote(i).expect("quote");
                assert!(q.bid < q.ask, "bid {} ask {}", q.bid, q.ask);
                assert!(q.bid > Decimal::ZERO);
                let tick = Decimal::new(1, 2);
                assert!((q.bid % tick).is_zero() && (q.ask % tick).is_zero() && (q.last % tick).is_zero());
                assert!(q.low <= q.last && q.last <= q.high);
            }
        }
    }

    #[test]
    fn bars_finish_every_five_simulated_seconds() {
        let u = Universe::embedded().expect("universe");
        let mut m = Market::new(&u, 3, 1_767_268_800_000);
        for _ in 0..(4 * 5 * 3 + 1) {
            m.step();
        }
        let bars: Vec<&Bar> = m.bars_since(0, 0).collect();
        assert_eq!(bars.len(), 3);
        assert_eq!(bars[1].time - bars[0].time, 5);
        assert!(bars[0].trades.low <= bars[0].trades.high);
    }
}
