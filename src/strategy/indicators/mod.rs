//! Pure, incremental indicators over `Decimal`. Each one takes values one at a time through
//! `update` and answers `None` until it has enough data: an indicator that has not warmed up is
//! unknown (shown as `--`), never 0.
//!
//! Arithmetic is exact `Decimal` arithmetic (28 significant digits). Inputs are prices: the
//! strategy task rejects bars with a close that is not a positive price below
//! [`MAX_PRICE`](crate::strategy::MAX_PRICE), which keeps every sum and square here far from
//! `Decimal`'s range.

mod rsi;
mod sma;
mod sqrt;
mod zscore;

pub use rsi::Rsi;
pub use sma::Sma;
pub use sqrt::sqrt;
pub use zscore::ZScore;
