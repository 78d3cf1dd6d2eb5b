//! Configuration: the embedded default laid under the user's file. File structs (all
//! `Option`, unknown keys refused) are kept apart from the resolved [`Config`].

mod file;
pub mod keymap;
mod paths;
pub mod theme;

pub use file::{ConfigError, ConfigFile};
pub use paths::Paths;

use std::path::{Path, PathBuf};

/// The documented default configuration, embedded in the binary.
pub const DEFAULT_CONFIG: &str = include_str!("../../config/default.toml");

/// Where the broker connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokerMode {
    /// The simulated IB Gateway on loopback, hosted here or by another robo-tui.
    Embedded,
    /// A real IB Gateway or TWS.
    External,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BrokerConfig {
    pub mode: BrokerMode,
    pub host: String,
    pub port: u16,
    pub client_id: i32,
    pub monitor_client_id: i32,
    pub embedded_port: u16,
    pub connect_timeout_secs: u64,
    /// The pacer's budget: messages in any one second, shared by every robo-tui process on
    /// the gateway.
    pub messages_per_second: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UiConfig {
    pub theme: String,
    /// Drop every colour (as `NO_COLOR` does).
    pub no_color: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogConfig {
    pub level: String,
}

/// Order entry: live accounts and the cockpit's precautions.
#[derive(Debug, Clone, PartialEq)]
pub struct TradingConfig {
    pub allow_live: bool,
    pub precautions: crate::orders::Precautions,
}

/// The resolved configuration every other module reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub broker: BrokerConfig,
    pub ui: UiConfig,
    pub log: LogConfig,
    /// The embedded default keymap with the config's `[[keymap]]` rows laid over it.
    pub keymap: keymap::Keymap,
    pub trading: TradingConfig,
    /// Symbols quoted in the watchlist besides the positions' symbols.
    pub watchlist: Vec<String>,
    /// `[[strategy]]` rows as written; `strategy::parse_strategies` validates them one by one.
    pub strategies: Vec<crate::strategy::StrategySpecFile>,
    /// The user file laid over the defaults, if one was read.
    pub source: Option<PathBuf>,
}

/// Overrides from the command line (`--host`, `--port`, `--client-id`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CliOverrides {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub client_id: Option<i32>,
}

impl Config {
    /// The embedded defaults alone.
    pub fn defaults() -> Result<Config, ConfigError> {
        let file = ConfigFile::parse(DEFAULT_CONFIG, Path::new("<embedded config/default.toml>"))?;
        file.resolve(None)
    }

    /// The defaults with the file at `path` laid over them.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        Config::from_user_text(&text, path)
    }

    /// The defaults with `text` (read from `path`) laid over them.
    pub fn from_user_text(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let base = ConfigFile::parse(DEFAULT_CONFIG, Path::new("<embedded config/default.toml>"))?;
        let user = ConfigFile::parse(text, path)?;
        base.overlay(user).resolve(Some(path.to_path_buf()))
    }

    /// Apply `--host/--port/--client-id`. A host or port switches the broker to external.
    pub fn apply_overrides(&mut self, overrides: &CliOverrides) {
        if let Some(host) = &overrides.host {
            self.broker.host = host.clone();
            self.broker.mode = BrokerMode::External;
        }
        if let Some(port) = overrides.port {
            self.broker.port = port;
            self.broker.mode = BrokerMode::External;
        }
        if let Some(client_id) = overrides.client_id {
            self.broker.client_id = client_id;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_default_parses_and_is_embedded_mode() {
        let config = Config::defaults().expect("default config parses");
        assert_eq!(config.broker.mode, BrokerMode::Embedded);
        assert_eq!(config.broker.embedded_port, 4710);
        assert!(![4001, 4002, 7496, 7497].contains(&config.broker.embedded_port));
        assert_ne!(config.broker.client_id, config.broker.monitor_client_id);
    }

    #[test]
    fn a_user_file_overrides_only_what_it_sets() {
        let config = Config::from_user_text("[broker]\nclient_id = 5\n", Path::new("/tmp/user.toml")).expect("parses");
        assert_eq!(config.broker.client_id, 5);
        assert_eq!(config.broker.embedded_port, 4710);
        assert_eq!(config.ui.theme, "dark");
        assert_eq!(config.source.as_deref(), Some(Path::new("/tmp/user.toml")));
    }

    #[test]
    fn keymap_rows_are_laid_over_the_default_keymap_and_a_bad_row_names_the_file_and_row() {
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let config = Config::from_user_text(
            "[[keymap]]\non = \"x\"\nrun = \"quit\"\ndesc = \"Leave\"\n\n[[keymap]]\non = \"q\"\nrun = \"none\"\n",
            Path::new("/tmp/user.toml"),
        )
        .expect("parses");
        let x = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE);
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(config.keymap.action_for(&x), Some(keymap::Action::Quit));
        assert_eq!(config.keymap.action_for(&q), None);
        assert_eq!(Config::defaults().expect("defaults").keymap, keymap::Keymap::default_keymap());
        let error = Config::from_user_text("[[keymap]]\non = \"x\"\nrun = \"fly\"\n", Path::new("/tmp/user.toml"))
            .expect_err("unknown action");
        let text = error.to_string();
        assert!(
            text.starts_with("/tmp/user.toml: keymap: keymap row 1 (on = \"x\", run = \"fly\"): unknown action"),
            "{text}"
        );
        let error = Config::from_user_text(
            "[[keymap]]\non = \"x\"\nrun = \"quit\"\nwhen = \"always\"\n",
            Path::new("/tmp/user.toml"),
        )
        .expect_err("unknown key");
        assert!(error.to_string().starts_with("/tmp/user.toml:4:1: unknown field `when`"), "{error}");
    }

    #[test]
    fn no_color_defaults_to_false_and_can_be_set() {
        assert!(!Config::defaults().expect("defaults").ui.no_color);
        let config = Config::from_user_text("[ui]\nno_color = true\n", Path::new("/tmp/user.toml")).expect("parses");
        assert!(config.ui.no_color);
        assert_eq!(config.ui.theme, "dark");
    }

    #[test]
    fn a_bad_watchlist_symbol_is_named() {
        let error = Config::from_user_text("[watchlist]\nsymbols = [\"SPY\", \"spy;rm\"]\n", Path::new("/tmp/w.toml"))
            .expect_err("refused");
        assert_eq!(
            error.to_string(),
            "/tmp/w.toml: watchlist.symbols: \"spy;rm\" is not a ticker symbol (upper-case letters, digits, '.', at most 12)"
        );
    }

    #[test]
    fn messages_per_second_defaults_to_45_and_0_or_above_200_is_refused_by_name() {
        assert_eq!(Config::defaults().expect("defaults").broker.messages_per_second, 45);
        let config =
            Config::from_user_text("[broker]\nmessages_per_second = 120\n", Path::new("/tmp/p.toml")).expect("parses");
        assert_eq!(config.broker.messages_per_second, 120);
        for bad in ["0", "201"] {
            let text = format!("[broker]\nmessages_per_second = {bad}\n");
            let error = Config::from_user_text(&text, Path::new("/tmp/p.toml")).expect_err("refused").to_string();
            assert!(error.contains("/tmp/p.toml"), "{error}");
            assert!(error.contains("broker.messages_per_second"), "{error}");
            assert!(error.contains("expected 1 to 200") && error.contains(bad), "{error}");
        }
        let error = Config::from_user_text("[broker]\nmessages_per_second = -3\n", Path::new("/tmp/p.toml"))
            .expect_err("refused")
            .to_string();
        assert!(error.starts_with("/tmp/p.toml:2:"), "{error}");
    }

    #[test]
    fn unknown_keys_are_refused_with_line_and_column() {
        let error =
            Config::from_user_text("[broker]\nclient_idd = 5\n", Path::new("/tmp/u.toml")).expect_err("refused");
        let text = error.to_string();
        assert!(text.starts_with("/tmp/u.toml:2:1: unknown field `client_idd`"), "{text}");
    }

    #[test]
    fn host_or_port_on_the_command_line_selects_an_external_gateway() {
        let mut config = Config::defaults().expect("defaults");
        config.apply_overrides(&CliOverrides { host: None, port: Some(4002), client_id: Some(3) });
        assert_eq!(config.broker.mode, BrokerMode::External);
        assert_eq!((config.broker.port, config.broker.client_id), (4002, 3));
    }
}
