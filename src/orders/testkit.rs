//! Shared test fixtures for the orders modules.

use super::ticket::{ContractInfo, MarketContext};
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use std::str::FromStr;
use std::time::Duration;

/// A `Decimal` from a literal (panics on a typo, tests only).
pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

pub fn aapl() -> ContractInfo {
    ContractInfo {
        con_id: 265598,
        symbol: "AAPL".into(),
        exchange: "SMART".into(),
        currency: "USD".into(),
        min_tick: dec("0.01"),
        multiplier: Decimal::ONE,
    }
}

/// AAPL quoted 149.98 / 150.02, last 150.00, live and one second old; two paper accounts.
pub fn market() -> MarketContext {
    MarketContext {
        contract: Some(aapl()),
        managed_accounts: vec!["DU111111".into(), "DU222222".into()],
        bid: Some(dec("149.98")),
        ask: Some(dec("150.02")),
        last: Some(dec("150.00")),
        quote_age: Some(Duration::from_secs(1)),
        quote_live: true,
        position: Some(dec("200")),
        now: Some(now()),
    }
}

/// The clock of the orders tests: 2026-11-28 15:00:00 UTC.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 15, 0, 0).single().unwrap()
}
