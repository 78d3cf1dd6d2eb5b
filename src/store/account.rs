//! Account figures: one value per account summary tag, each with its currency and age.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// The account summary tags the cockpit requests and shows, in display order.
pub const SUMMARY_TAGS: &[&str] = &[
    "NetLiquidation",
    "TotalCashValue",
    "SettledCash",
    "BuyingPower",
    "AvailableFunds",
    "ExcessLiquidity",
    "EquityWithLoanValue",
    "GrossPositionValue",
    "InitMarginReq",
    "MaintMarginReq",
    "Cushion",
    "DayTradesRemaining",
];

/// One account summary value as it arrived. Text values (such as `AccountType`) keep
/// `value = None` and their text in `text`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountFigure {
    pub value: Option<Decimal>,
    pub text: String,
    pub currency: String,
    pub at: DateTime<Utc>,
}

/// Whether an account id looks like an IBKR paper account (`DU…`/`DF…` followed by digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AccountKind {
    Paper,
    Live,
}

impl AccountKind {
    pub fn of(account_id: &str) -> Self {
        let bytes = account_id.as_bytes();
        let paper = bytes.len() > 2
            && bytes[0] == b'D'
            && (bytes[1] == b'U' || bytes[1] == b'F')
            && bytes[2..].iter().all(u8::is_ascii_digit);
        if paper {
            AccountKind::Paper
        } else {
            AccountKind::Live
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AccountKind::Paper => "PAPER",
            AccountKind::Live => "LIVE",
        }
    }
}

/// How many NetLiquidation values the session sparkline keeps.
pub const NET_LIQ_HISTORY: usize = 240;

/// Account P&L from `reqPnL`, each figure `None` until it arrived.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountPnl {
    pub daily: Option<Decimal>,
    pub unrealized: Option<Decimal>,
    pub realized: Option<Decimal>,
    pub at: DateTime<Utc>,
}

/// Everything known about one managed account. A tag that has not arrived is absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AccountState {
    pub figures: BTreeMap<String, AccountFigure>,
    /// True once the gateway sent the end of the first account summary batch.
    pub summary_complete: bool,
    pub pnl: Option<AccountPnl>,
    /// NetLiquidation over the session, oldest first, one entry per change.
    pub net_liq_history: std::collections::VecDeque<Decimal>,
}

impl AccountState {
    pub fn figure(&self, tag: &str) -> Option<&AccountFigure> {
        self.figures.get(tag)
    }

    /// The numeric value of a tag, `None` until it has arrived.
    pub fn value(&self, tag: &str) -> Option<Decimal> {
        self.figures.get(tag).and_then(|f| f.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_accounts_are_du_or_df_followed_by_digits() {
        assert_eq!(AccountKind::of("DU1234567"), AccountKind::Paper);
        assert_eq!(AccountKind::of("DF998877"), AccountKind::Paper);
        assert_eq!(AccountKind::of("U1234567"), AccountKind::Live);
        assert_eq!(AccountKind::of("DU"), AccountKind::Live);
        assert_eq!(AccountKind::of("DU12A4"), AccountKind::Live);
        assert_eq!(AccountKind::of("du1234567"), AccountKind::Live);
        assert_eq!(AccountKind::of(""), AccountKind::Live);
    }
}
