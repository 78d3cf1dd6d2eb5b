//! The strategy task and its indicators.
//!
//! The app forwards the broker's real-time bars (and ticks) as [`MarketData`] over a bounded
//! channel to [`run`]. A router fans them out by symbol to one supervised task per configured
//! strategy; each strategy turns bars into [`Signal`](crate::store::Signal)s, sent to the app as
//! `StoreEvent::Strategy(StrategyEvent::Signal(..))`, only when its state changes. Each instance
//! is its own diagnostics subsystem (`strategy:sma_cross:SPY`): a panic or an error marks it
//! Failed and it restarts with fresh state after a backoff while the others keep running.
//!
//! Config rows (`[[strategy]]`) are [`StrategySpecFile`]s; [`parse_strategies`] validates them
//! one by one so that a bad row is reported on its own and the good ones still run.
//!
//! Wiring, in the app:
//! ```ignore
//! let (specs, rejected) = strategy::parse_strategies(config.strategy.clone());
//! let (market_tx, market_rx) = mpsc::channel(strategy::INPUT_CAPACITY);
//! let reporter = Reporter::register("strategy", events_tx.clone());
//! tokio::spawn(strategy::run(specs, rejected, market_rx, events_tx.clone(), reporter));
//! // for each 5-second bar from the broker:
//! let _ = market_tx.try_send(strategy::Bar { symbol, time, open, high, low, close, volume }.into());
//! ```

pub mod indicators;
mod market_data;
mod router;
mod rsi_threshold;
mod sma_cross;
mod spec;
#[allow(clippy::module_inception)]
mod strategy;
mod task;
#[cfg(test)]
mod test_support;
mod zscore_reversion;

pub use market_data::{is_usable_price, Bar, MarketData, Tick, MAX_PRICE};
pub use router::DROP_REPORT_EVERY;
pub use rsi_threshold::RsiThreshold;
pub use sma_cross::SmaCross;
pub use spec::{
    parse_strategies, SpecProblem, StrategyConfigError, StrategyParams, StrategySpec, StrategySpecFile, MAX_PERIOD,
};
pub use strategy::{checked_close, SignalDraft, Strategy, StrategyError};
pub use task::{run, INBOX_CAPACITY, INPUT_CAPACITY, RESTART_POLICY};
pub use zscore_reversion::ZScoreReversion;
