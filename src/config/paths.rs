//! Where robo-tui keeps its files, per the platform's conventions (XDG on Linux).

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The user's config file (may not exist).
    pub config_file: PathBuf,
    /// The user's theme folder.
    pub theme_dir: PathBuf,
    /// Data: the embedded gateway's state, journals.
    pub data_dir: PathBuf,
    /// Logs.
    pub log_dir: PathBuf,
}

impl Paths {
    /// The platform folders (XDG on Linux), or folders under the temp dir when the platform
    /// has none. `ROBO_TUI_CONFIG_DIR`, `ROBO_TUI_DATA_DIR` and `ROBO_TUI_LOG_DIR` override
    /// them (tests and sandboxes use these).
    pub fn discover() -> Paths {
        let fallback = || std::env::temp_dir().join("robo-tui");
        let from_env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let config_dir = from_env("ROBO_TUI_CONFIG_DIR")
            .or_else(|| dirs::config_dir().map(|d| d.join("robo-tui")))
            .unwrap_or_else(fallback);
        let data_dir =
            from_env("ROBO_TUI_DATA_DIR").or_else(|| dirs::data_dir().map(|d| d.join("robo-tui"))).unwrap_or_else(fallback);
        let log_dir = from_env("ROBO_TUI_LOG_DIR")
            .or_else(|| dirs::state_dir().or_else(dirs::cache_dir).map(|d| d.join("robo-tui")))
            .unwrap_or_else(fallback);
        Paths { config_file: config_dir.join("config.toml"), theme_dir: config_dir.join("themes"), data_dir, log_dir }
    }
}
