//! The config file as written: every field optional, unknown keys refused.

use super::keymap::{KeyRowSpec, Keymap};
use super::{BrokerConfig, BrokerMode, Config, LogConfig, UiConfig};
use crate::orders::Precautions;
use crate::strategy::StrategySpecFile;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A config error names the file, the line and column, and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}:{column}: {message}")]
    Syntax { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}: {key}: {message}")]
    Value { path: PathBuf, key: &'static str, message: String },
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(skip)]
    path: PathBuf,
    broker: Option<BrokerFile>,
    ui: Option<UiFile>,
    log: Option<LogFile>,
    /// `[[keymap]]` rows laid over the embedded default keymap.
    keymap: Option<Vec<KeyRowSpec>>,
    watchlist: Option<WatchlistFile>,
    strategy: Option<Vec<StrategySpecFile>>,
    trading: Option<TradingFile>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TradingFile {
    allow_live: Option<bool>,
    precautions: Option<Precautions>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WatchlistFile {
    symbols: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BrokerFile {
    mode: Option<String>,
    host: Option<String>,
    port: Option<u16>,
    client_id: Option<i32>,
    monitor_client_id: Option<i32>,
    embedded_port: Option<u16>,
    connect_timeout_secs: Option<u64>,
    messages_per_second: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UiFile {
    theme: Option<String>,
    no_color: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogFile {
    level: Option<String>,
}

/// `toml`'s error has a byte span; turn it into a 1-based line and column.
pub fn syntax_error(path: &Path, text: &str, error: &toml::de::Error) -> ConfigError {
    let offset = error.span().map_or(0, |span| span.start).min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    ConfigError::Syntax { path: path.to_path_buf(), line, column, message: error.message().trim().to_string() }
}

impl ConfigFile {
    pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
        let mut file: ConfigFile = toml::from_str(text).map_err(|e| syntax_error(path, text, &e))?;
        file.path = path.to_path_buf();
        Ok(file)
    }

    /// `self` with every value `over` sets replaced by it.
    pub fn overlay(self, over: ConfigFile) -> ConfigFile {
        fn pick<T>(over: Option<T>, base: Option<T>) -> Option<T> {
            over.or(base)
        }
        let b = self.broker.unwrap_or_default();
        let o = over.broker.unwrap_or_default();
        let broker = BrokerFile {
            mode: pick(o.mode, b.mode),
            host: pick(o.host, b.host),
            port: pick(o.port, b.port),
            client_id: pick(o.client_id, b.client_id),
            monitor_client_id: pick(o.monitor_client_id, b.monitor_client_id),
            embedded_port: pick(o.embedded_port, b.embedded_port),
            connect_timeout_secs: pick(o.connect_timeout_secs, b.connect_timeout_secs),
            messages_per_second: pick(o.messages_per_second, b.messages_per_second),
        };
        let (bu, ou) = (self.ui.unwrap_or_default(), over.ui.unwrap_or_default());
        let ui = UiFile { theme: pick(ou.theme, bu.theme), no_color: pick(ou.no_color, bu.no_color) };
        let log = LogFile { level: pick(over.log.and_then(|l| l.level), self.log.and_then(|l| l.level)) };
        // Keymap rows accumulate: the user's rows come after (and so win over) the base's.
        let keymap = match (self.keymap, over.keymap) {
            (None, None) => None,
            (base, over) => Some(base.into_iter().chain(over).flatten().collect()),
        };
        let watchlist = WatchlistFile {
            symbols: pick(over.watchlist.and_then(|w| w.symbols), self.watchlist.and_then(|w| w.symbols)),
        };
        let b = self.trading.unwrap_or_default();
        let o = over.trading.unwrap_or_default();
        let trading = TradingFile {
            allow_live: pick(o.allow_live, b.allow_live),
            precautions: pick(o.precautions, b.precautions),
        };
        // A user's `[[strategy]]` rows replace the default ones as a whole.
        let strategy = over.strategy.or(self.strategy);
        ConfigFile {
            path: over.path,
            broker: Some(broker),
            ui: Some(ui),
            log: Some(log),
            watchlist: Some(watchlist),
            strategy,
            keymap,
            trading: Some(trading),
        }
    }

    /// Check every value and produce the resolved config.
    pub fn resolve(self, source: Option<PathBuf>) -> Result<Config, ConfigError> {
        let path = self.path.clone();
        let missing = |key: &'static str| ConfigError::Value { path: path.clone(), key, message: "missing".into() };
        let broker = self.broker.unwrap_or_default();
        let mode = match broker.mode.as_deref() {
            Some("embedded") => BrokerMode::Embedded,
            Some("external") => BrokerMode::External,
            Some(other) => {
                return Err(ConfigError::Value {
                    path,
                    key: "broker.mode",
                    message: format!("expected \"embedded\" or \"external\", found {other:?}"),
                })
            }
            None => return Err(missing("broker.mode")),
        };
        let client_id = broker.client_id.ok_or_else(|| missing("broker.client_id"))?;
        let monitor_client_id = broker.monitor_client_id.ok_or_else(|| missing("broker.monitor_client_id"))?;
        if client_id == monitor_client_id {
            return Err(ConfigError::Value {
                path,
                key: "broker.monitor_client_id",
                message: format!(
                    "must differ from broker.client_id ({client_id}), or the two sessions would take each other's id"
                ),
            });
        }
        let connect_timeout_secs = broker.connect_timeout_secs.ok_or_else(|| missing("broker.connect_timeout_secs"))?;
        if connect_timeout_secs == 0 {
            return Err(ConfigError::Value {
                path,
                key: "broker.connect_timeout_secs",
                message: "expected at least 1 second".into(),
            });
        }
        let messages_per_second = broker.messages_per_second.ok_or_else(|| missing("broker.messages_per_second"))?;
        if !(1..=crate::broker::pacer::MAX_BUDGET).contains(&messages_per_second) {
            return Err(ConfigError::Value {
                path,
                key: "broker.messages_per_second",
                message: format!(
                    "expected 1 to {} (IB allows 50 for all clients of a gateway together; more only with booster \
                     packs), found {messages_per_second}",
                    crate::broker::pacer::MAX_BUDGET
                ),
            });
        }
        let level = self.log.and_then(|l| l.level).ok_or_else(|| missing("log.level"))?;
        if !["error", "warn", "info", "debug", "trace"].contains(&level.as_str()) {
            return Err(ConfigError::Value {
                path,
                key: "log.level",
                message: format!("expected one of error, warn, info, debug, trace; found {level:?}"),
            });
        }
        let keymap = Keymap::default_keymap()
            .overlay(self.keymap.iter().flatten())
            .map_err(|error| ConfigError::Value { path: path.clone(), key: "keymap", message: error.to_string() })?;
        let ui = self.ui.unwrap_or_default();
        let mut symbols = Vec::new();
        for symbol in self.watchlist.and_then(|w| w.symbols).unwrap_or_default() {
            let valid = !symbol.is_empty()
                && symbol.len() <= 12
                && symbol.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '.' || c == ' ');
            if !valid {
                return Err(ConfigError::Value {
                    path,
                    key: "watchlist.symbols",
                    message: format!("{symbol:?} is not a ticker symbol (upper-case letters, digits, '.', at most 12)"),
                });
            }
            if !symbols.contains(&symbol) {
                symbols.push(symbol);
            }
        }
        let trading = self.trading.unwrap_or_default();
        let precautions = trading.precautions.unwrap_or_default();
        precautions.validate().map_err(|message| ConfigError::Value {
            path: path.clone(),
            key: "trading.precautions",
            message,
        })?;
        Ok(Config {
            trading: super::TradingConfig { allow_live: trading.allow_live.unwrap_or(false), precautions },
            watchlist: symbols,
            strategies: self.strategy.unwrap_or_default(),
            broker: BrokerConfig {
                mode,
                host: broker.host.ok_or_else(|| missing("broker.host"))?,
                port: broker.port.ok_or_else(|| missing("broker.port"))?,
                client_id,
                monitor_client_id,
                embedded_port: broker.embedded_port.ok_or_else(|| missing("broker.embedded_port"))?,
                connect_timeout_secs,
                messages_per_second,
            },
            ui: UiConfig {
                theme: ui.theme.ok_or_else(|| missing("ui.theme"))?,
                no_color: ui.no_color.ok_or_else(|| missing("ui.no_color"))?,
            },
            keymap,
            log: LogConfig { level },
            source,
        })
    }
}
