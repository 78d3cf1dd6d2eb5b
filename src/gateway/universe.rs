//! The tradable universe and the starting accounts, read from `assets/` (embedded) or from a
//! user file given with `--universe`.

use std::collections::HashMap;
use std::path::Path;

use rust_decimal::Decimal;
use serde::Deserialize;

use super::error::GatewayError;

pub const EMBEDDED_UNIVERSE: &str = include_str!("../../assets/universe.toml");
pub const EMBEDDED_ACCOUNT: &str = include_str!("../../assets/account.toml");

/// One tradable contract.
#[derive(Debug, Clone, PartialEq)]
pub struct Instrument {
    pub symbol: String,
    pub con_id: i32,
    pub sec_type: String,
    pub exchange: String,
    pub primary_exchange: String,
    pub currency: String,
    pub long_name: String,
    pub industry: String,
    pub category: String,
    pub stock_type: String,
    pub min_tick: Decimal,
    /// Previous close: where the simulated market starts.
    pub close: Decimal,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UniverseFile {
    instrument: Vec<InstrumentFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InstrumentFile {
    symbol: String,
    con_id: i32,
    primary_exchange: String,
    long_name: String,
    #[serde(default)]
    industry: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    stock_type: Option<String>,
    #[serde(default)]
    sec_type: Option<String>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    min_tick: Option<Decimal>,
    close: Decimal,
}

/// The set of instruments, looked up by symbol or contract id.
#[derive(Debug, Clone)]
pub struct Universe {
    instruments: Vec<Instrument>,
    by_symbol: HashMap<String, usize>,
    by_con_id: HashMap<i32, usize>,
}

impl Universe {
    /// The universe embedded from `assets/universe.toml`.
    pub fn embedded() -> Result<Self, GatewayError> {
        Self::parse(EMBEDDED_UNIVERSE, "assets/universe.toml")
    }

    pub fn load(path: &Path) -> Result<Self, GatewayError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| GatewayError::Io { what: format!("reading universe file {}", path.display()), source })?;
        Self::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, file: &str) -> Result<Self, GatewayError> {
        let parsed: UniverseFile =
            toml::from_str(text).map_err(|e| GatewayError::BadAsset { file: file.to_string(), what: e.to_string() })?;
        let mut instruments = Vec::with_capacity(parsed.instrument.len());
        let mut by_symbol = HashMap::new();
        let mut by_con_id = HashMap::new();
        for (i, f) in parsed.instrument.into_iter().enumerate() {
            let bad = |what: String| GatewayError::BadAsset {
                file: file.to_string(),
                what: format!("instrument #{} ({}): {what}", i + 1, f.symbol),
            };
            let min_tick = f.min_tick.unwrap_or(Decimal::new(1, 2));
            if min_tick <= Decimal::ZERO {
                return Err(bad("min_tick must be positive".into()));
            }
            if f.close <= Decimal::ZERO || (f.close % min_tick) != Decimal::ZERO {
                return Err(bad(format!("close {} must be positive and on the tick grid", f.close)));
            }
            if f.con_id <= 0 {
                return Err(bad("con_id must be positive".into()));
            }
            let symbol = f.symbol.to_ascii_uppercase();
            if by_symbol.insert(symbol.clone(), i).is_some() {
                return Err(bad("duplicate symbol".into()));
            }
            if by_con_id.insert(f.con_id, i).is_some() {
                return Err(bad("duplicate con_id".into()));
            }
            instruments.push(Instrument {
                symbol,
                con_id: f.con_id,
                sec_type: f.sec_type.unwrap_or_else(|| "STK".into()),
                exchange: "SMART".into(),
                primary_exchange: f.primary_exchange,
                currency: f.currency.unwrap_or_else(|| "USD".into()),
                long_name: f.long_name,
                industry: f.industry,
                category: f.category,
                stock_type: f.stock_type.unwrap_or_else(|| "COMMON".into()),
                min_tick,
                close: f.close,
            });
        }
        if instruments.is_empty() {
            return Err(GatewayError::BadAsset { file: file.to_string(), what: "no instruments".into() });
        }
        Ok(Self { instruments, by_symbol, by_con_id })
    }

    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }

    pub fn index_of_symbol(&self, symbol: &str) -> Option<usize> {
        self.by_symbol.get(&symbol.to_ascii_uppercase()).copied()
    }

    pub fn index_of_con_id(&self, con_id: i32) -> Option<usize> {
        self.by_con_id.get(&con_id).copied()
    }

    pub fn get(&self, index: usize) -> Option<&Instrument> {
        self.instruments.get(index)
    }

    pub fn len(&self) -> usize {
        self.instruments.len()
    }

    pub fn is_empty(&self) -> bool {
        self.instruments.is_empty()
    }
}

/// Starting state of one account.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountSeed {
    pub id: String,
    pub account_type: String,
    pub cash: Decimal,
    /// (symbol, quantity, average cost per share)
    pub positions: Vec<(String, Decimal, Decimal)>,
}

/// Starting accounts and precautionary settings from `assets/account.toml`.
#[derive(Debug, Clone)]
pub struct AccountBook {
    pub default_cash: Decimal,
    pub accounts: Vec<AccountSeed>,
    pub total_value_limit: Decimal,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountFile {
    default: DefaultFile,
    #[serde(default)]
    account: Vec<AccountEntryFile>,
    precautions: PrecautionsFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultFile {
    cash: Decimal,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountEntryFile {
    id: String,
    #[serde(default)]
    account_type: Option<String>,
    cash: Decimal,
    #[serde(default)]
    position: Vec<PositionFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PositionFile {
    symbol: String,
    quantity: Decimal,
    avg_cost: Decimal,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PrecautionsFile {
    total_value_limit: Decimal,
}

impl AccountBook {
    pub fn embedded() -> Result<Self, GatewayError> {
        Self::parse(EMBEDDED_ACCOUNT, "assets/account.toml")
    }

    pub fn parse(text: &str, file: &str) -> Result<Self, GatewayError> {
        let parsed: AccountFile =
            toml::from_str(text).map_err(|e| GatewayError::BadAsset { file: file.to_string(), what: e.to_string() })?;
        let accounts = parsed
            .account
            .into_iter()
            .map(|a| AccountSeed {
                id: a.id,
                account_type: a.account_type.unwrap_or_else(|| "INDIVIDUAL".into()),
                cash: a.cash,
                positions: a
                    .position
                    .into_iter()
                    .map(|p| (p.symbol.to_ascii_uppercase(), p.quantity, p.avg_cost))
                    .collect(),
            })
            .collect();
        Ok(Self {
            default_cash: parsed.default.cash,
            accounts,
            total_value_limit: parsed.precautions.total_value_limit,
        })
    }

    /// The seed for `id`: its own section, or default cash and no positions.
    pub fn seed_for(&self, id: &str) -> AccountSeed {
        self.accounts.iter().find(|a| a.id == id).cloned().unwrap_or_else(|| AccountSeed {
            id: id.to_string(),
            account_type: "INDIVIDUAL".into(),
            cash: self.default_cash,
            positions: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_universe_has_thirty_plus_instruments_on_the_tick_grid() {
        let u = Universe::embedded().expect("embedded universe parses");
        assert!(u.len() >= 30, "only {} instruments", u.len());
        for i in u.instruments() {
            assert_eq!(i.min_tick, Decimal::new(1, 2));
            assert!(i.close > Decimal::ZERO);
        }
        let aapl = u.index_of_symbol("aapl").and_then(|i| u.get(i)).expect("AAPL");
        assert_eq!(aapl.con_id, 265598);
        assert_eq!(u.index_of_con_id(756733).and_then(|i| u.get(i)).map(|i| i.symbol.as_str()), Some("SPY"));
    }

    #[test]
    fn embedded_accounts_parse_and_unknown_account_gets_default_cash() {
        let book = AccountBook::embedded().expect("embedded accounts parse");
        let du = book.seed_for("DU1234567");
        assert_eq!(du.cash, Decimal::new(1_000_000, 0));
        assert!(!du.positions.is_empty());
        let other = book.seed_for("DU7654321");
        assert_eq!(other.cash, book.default_cash);
        assert!(other.positions.is_empty());
    }

    #[test]
    fn bad_universe_names_file_and_problem() {
        let err = Universe::parse("[[instrument]]\nsymbol = \"X\"\n", "u.toml").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("u.toml"), "{text}");
        let off_grid =
            "[[instrument]]\nsymbol=\"X\"\ncon_id=1\nprimary_exchange=\"NYSE\"\nlong_name=\"X\"\nclose=\"1.005\"\n";
        let text = Universe::parse(off_grid, "u.toml").unwrap_err().to_string();
        assert!(text.contains("tick grid"), "{text}");
    }
}
