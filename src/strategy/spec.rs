//! `[[strategy]]` rows: the file struct, the resolved spec, and validation that reports each bad
//! row on its own so the good rows still run.

use super::rsi_threshold::RsiThreshold;
use super::sma_cross::SmaCross;
use super::strategy::Strategy;
use super::zscore_reversion::ZScoreReversion;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;

/// The longest period or window a row may ask for (about 14 hours of 5-second bars).
pub const MAX_PERIOD: i64 = 10_000;

const KINDS: &str = "\"sma_cross\", \"rsi\" or \"zscore\"";

/// One `[[strategy]]` row as written in the config file. Every field is optional here so that
/// a row missing something is reported on its own instead of failing the whole file.
///
/// ```toml
/// [[strategy]]
/// kind = "sma_cross"   # or "rsi", "zscore"
/// symbol = "SPY"
/// fast = 20
/// slow = 50
/// # rsi: period = 14, oversold = 30, overbought = 70
/// # zscore: window = 20, entry = 2.0, exit = 0.5
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategySpecFile {
    pub kind: Option<String>,
    pub symbol: Option<String>,
    pub fast: Option<i64>,
    pub slow: Option<i64>,
    pub period: Option<i64>,
    pub oversold: Option<Decimal>,
    pub overbought: Option<Decimal>,
    pub window: Option<i64>,
    pub entry: Option<Decimal>,
    pub exit: Option<Decimal>,
}

/// A validated strategy row.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategySpec {
    /// The diagnostics subsystem id, `strategy:<kind>:<symbol>` (with `#2`, `#3`, … when the
    /// same kind runs more than once on a symbol).
    pub id: String,
    /// Trimmed and upper-cased, as IB spells symbols.
    pub symbol: String,
    pub params: StrategyParams,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StrategyParams {
    SmaCross { fast: usize, slow: usize },
    Rsi { period: usize, oversold: Decimal, overbought: Decimal },
    ZScore { window: usize, entry: Decimal, exit: Decimal },
}

impl StrategySpec {
    pub fn kind(&self) -> &'static str {
        match self.params {
            StrategyParams::SmaCross { .. } => "sma_cross",
            StrategyParams::Rsi { .. } => "rsi",
            StrategyParams::ZScore { .. } => "zscore",
        }
    }

    /// A fresh instance, indicators empty.
    pub fn build(&self) -> Box<dyn Strategy> {
        match self.params {
            StrategyParams::SmaCross { fast, slow } => Box::new(SmaCross::new(fast, slow)),
            StrategyParams::Rsi { period, oversold, overbought } => {
                Box::new(RsiThreshold::new(period, oversold, overbought))
            }
            StrategyParams::ZScore { window, entry, exit } => Box::new(ZScoreReversion::new(window, entry, exit)),
        }
    }
}

/// A row that did not validate: which one, and everything wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrategyConfigError {
    /// 1-based position among the `[[strategy]]` rows.
    pub row: usize,
    /// The diagnostics subsystem id the row is reported under.
    pub id: String,
    pub kind: Option<String>,
    pub symbol: Option<String>,
    pub problems: Vec<SpecProblem>,
}

impl fmt::Display for StrategyConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[[strategy]] row {}", self.row)?;
        match (&self.kind, &self.symbol) {
            (Some(kind), Some(symbol)) => write!(f, " ({kind} on {symbol})")?,
            (Some(kind), None) => write!(f, " ({kind})")?,
            (None, Some(symbol)) => write!(f, " (on {symbol})")?,
            (None, None) => {}
        }
        let problems: Vec<String> = self.problems.iter().map(ToString::to_string).collect();
        write!(f, ": {}", problems.join("; "))
    }
}

impl std::error::Error for StrategyConfigError {}

/// One thing wrong with a row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecProblem {
    #[error("`kind` is missing: expected {KINDS}")]
    MissingKind,
    #[error("unknown kind {0:?}: expected {KINDS}")]
    UnknownKind(String),
    #[error("`symbol` is missing or empty")]
    MissingSymbol,
    #[error("`{field}` is missing: {kind} needs {needs}")]
    Missing { kind: &'static str, field: &'static str, needs: &'static str },
    #[error("`{field}` does not apply to {kind}, which takes {needs}")]
    NotApplicable { kind: &'static str, field: &'static str, needs: &'static str },
    #[error("`{field}` is {value}: expected a period of at least 2")]
    PeriodTooShort { field: &'static str, value: i64 },
    #[error("`{field}` is {value}: expected a period of at most {MAX_PERIOD}")]
    PeriodTooLong { field: &'static str, value: i64 },
    #[error("`fast` ({fast}) must be less than `slow` ({slow})")]
    FastNotBelowSlow { fast: i64, slow: i64 },
    #[error("expected 0 < oversold < overbought < 100, got oversold {oversold} and overbought {overbought}")]
    RsiThresholds { oversold: Decimal, overbought: Decimal },
    #[error("expected entry > exit > 0, got entry {entry} and exit {exit}")]
    ZScoreThresholds { entry: Decimal, exit: Decimal },
}

/// Validate every row. Good rows become specs, bad rows errors; one bad row never stops the
/// others. Ids are assigned over all rows, so a bad row keeps its own diagnostics entry.
pub fn parse_strategies(rows: Vec<StrategySpecFile>) -> (Vec<StrategySpec>, Vec<StrategyConfigError>) {
    let mut specs = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, row) in rows.into_iter().enumerate() {
        let kind = row.kind.as_deref().map(|k| k.trim().to_ascii_lowercase()).filter(|k| !k.is_empty());
        let symbol = row.symbol.as_deref().map(|s| s.trim().to_ascii_uppercase()).filter(|s| !s.is_empty());
        let base = format!("strategy:{}:{}", kind.as_deref().unwrap_or("?"), symbol.as_deref().unwrap_or("?"));
        let count = seen.entry(base.clone()).or_insert(0);
        *count += 1;
        let id = if *count == 1 { base } else { format!("{base}#{count}") };
        match validate(kind.as_deref(), symbol.as_deref(), &row) {
            Ok(params) => specs.push(StrategySpec { id, symbol: symbol.unwrap_or_default(), params }),
            Err(problems) => errors.push(StrategyConfigError { row: index + 1, id, kind, symbol, problems }),
        }
    }
    (specs, errors)
}

fn validate(
    kind: Option<&str>,
    symbol: Option<&str>,
    row: &StrategySpecFile,
) -> Result<StrategyParams, Vec<SpecProblem>> {
    let mut problems = Vec::new();
    if symbol.is_none() {
        problems.push(SpecProblem::MissingSymbol);
    }
    let params = match kind {
        None => {
            problems.push(SpecProblem::MissingKind);
            None
        }
        Some("sma_cross") => sma_cross(row, &mut problems),
        Some("rsi") => rsi(row, &mut problems),
        Some("zscore") => zscore(row, &mut problems),
        Some(other) => {
            problems.push(SpecProblem::UnknownKind(other.to_string()));
            None
        }
    };
    match params {
        Some(params) if problems.is_empty() => Ok(params),
        _ => Err(problems),
    }
}

/// Which fields each kind takes, in the order messages list them.
const SMA_FIELDS: &[&str] = &["fast", "slow"];
const RSI_FIELDS: &[&str] = &["period", "oversold", "overbought"];
const ZSCORE_FIELDS: &[&str] = &["window", "entry", "exit"];

/// Report every parameter that is set but belongs to another kind.
fn reject_others(
    kind: &'static str,
    needs: &'static str,
    takes: &[&str],
    row: &StrategySpecFile,
    problems: &mut Vec<SpecProblem>,
) {
    let set = [
        ("fast", row.fast.is_some()),
        ("slow", row.slow.is_some()),
        ("period", row.period.is_some()),
        ("oversold", row.oversold.is_some()),
        ("overbought", row.overbought.is_some()),
        ("window", row.window.is_some()),
        ("entry", row.entry.is_some()),
        ("exit", row.exit.is_some()),
    ];
    for (field, is_set) in set {
        if is_set && !takes.contains(&field) {
            problems.push(SpecProblem::NotApplicable { kind, field, needs });
        }
    }
}

fn required<T: Copy>(
    value: Option<T>,
    kind: &'static str,
    field: &'static str,
    needs: &'static str,
    problems: &mut Vec<SpecProblem>,
) -> Option<T> {
    if value.is_none() {
        problems.push(SpecProblem::Missing { kind, field, needs });
    }
    value
}

/// A period between 2 and [`MAX_PERIOD`].
fn period(value: Option<i64>, field: &'static str, problems: &mut Vec<SpecProblem>) -> Option<usize> {
    let value = value?;
    if value < 2 {
        problems.push(SpecProblem::PeriodTooShort { field, value });
        None
    } else if value > MAX_PERIOD {
        problems.push(SpecProblem::PeriodTooLong { field, value });
        None
    } else {
        usize::try_from(value).ok()
    }
}

fn sma_cross(row: &StrategySpecFile, problems: &mut Vec<SpecProblem>) -> Option<StrategyParams> {
    const KIND: &str = "sma_cross";
    const NEEDS: &str = "`fast` and `slow` (e.g. fast = 20, slow = 50)";
    reject_others(KIND, NEEDS, SMA_FIELDS, row, problems);
    let fast = required(row.fast, KIND, "fast", NEEDS, problems);
    let slow = required(row.slow, KIND, "slow", NEEDS, problems);
    let fast_period = period(fast, "fast", problems);
    let slow_period = period(slow, "slow", problems);
    if let (Some(fast), Some(slow)) = (fast, slow) {
        if fast >= slow {
            problems.push(SpecProblem::FastNotBelowSlow { fast, slow });
        }
    }
    Some(StrategyParams::SmaCross { fast: fast_period?, slow: slow_period? })
}

fn rsi(row: &StrategySpecFile, problems: &mut Vec<SpecProblem>) -> Option<StrategyParams> {
    const KIND: &str = "rsi";
    const NEEDS: &str = "`period`, `oversold` and `overbought` (e.g. period = 14, oversold = 30, overbought = 70)";
    reject_others(KIND, NEEDS, RSI_FIELDS, row, problems);
    let period_value = required(row.period, KIND, "period", NEEDS, problems);
    let oversold = required(row.oversold, KIND, "oversold", NEEDS, problems);
    let overbought = required(row.overbought, KIND, "overbought", NEEDS, problems);
    let period = period(period_value, "period", problems);
    let (oversold, overbought) = (oversold?, overbought?);
    if !(Decimal::ZERO < oversold && oversold < overbought && overbought < Decimal::ONE_HUNDRED) {
        problems.push(SpecProblem::RsiThresholds { oversold, overbought });
    }
    Some(StrategyParams::Rsi { period: period?, oversold, overbought })
}

fn zscore(row: &StrategySpecFile, problems: &mut Vec<SpecProblem>) -> Option<StrategyParams> {
    const KIND: &str = "zscore";
    const NEEDS: &str = "`window`, `entry` and `exit` (e.g. window = 20, entry = 2.0, exit = 0.5)";
    reject_others(KIND, NEEDS, ZSCORE_FIELDS, row, problems);
    let window_value = required(row.window, KIND, "window", NEEDS, problems);
    let entry = required(row.entry, KIND, "entry", NEEDS, problems);
    let exit = required(row.exit, KIND, "exit", NEEDS, problems);
    let window = period(window_value, "window", problems);
    let (entry, exit) = (entry?, exit?);
    if !(entry > exit && exit > Decimal::ZERO) {
        problems.push(SpecProblem::ZScoreThresholds { entry, exit });
    }
    Some(StrategyParams::ZScore { window: window?, entry, exit })
}

#[cfg(test)]
mod tests;
