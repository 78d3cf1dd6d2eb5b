//! The paper account on disk: written atomically (temp file, fsync, rename) after every change
//! and reloaded at start, so a restarted gateway is the same account.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::account::Account;
use super::engine::{Counters, ExecRecord};
use super::orders::SimOrder;
use super::GatewayError;

const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedState {
    pub accounts: Vec<Account>,
    pub open_orders: Vec<SimOrder>,
    pub executions: Vec<ExecRecord>,
    pub counters: Counters,
    /// Trading day (US/Eastern, YYYYMMDD) the state was written on; a new day starts fresh
    /// day figures and drops DAY orders.
    #[serde(default)]
    pub trading_day: String,
}

#[derive(Serialize, Deserialize)]
struct FileFormat {
    format: u32,
    state: SavedState,
}

/// Writes `state` to `path` atomically.
pub fn save(path: &Path, state: &SavedState) -> Result<(), GatewayError> {
    let io = |what: &str, source| GatewayError::Io { what: format!("{what} {}", path.display()), source };
    let json = serde_json::to_vec_pretty(&FileFormat { format: FORMAT_VERSION, state: state.clone() })
        .map_err(|e| GatewayError::BadState { file: path.to_path_buf(), what: e.to_string() })?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io("creating the folder of", e))?;
    }
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp).map_err(|e| io("creating temp file for", e))?;
        f.write_all(&json).map_err(|e| io("writing temp file for", e))?;
        f.sync_all().map_err(|e| io("syncing temp file for", e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| io("renaming temp file onto", e))?;
    Ok(())
}

/// Reads the state saved at `path`; `Ok(None)` if there is no file yet.
pub fn load(path: &Path) -> Result<Option<SavedState>, GatewayError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(GatewayError::Io { what: format!("reading state file {}", path.display()), source }),
    };
    let parsed: FileFormat = serde_json::from_slice(&bytes).map_err(|e| GatewayError::BadState {
        file: path.to_path_buf(),
        what: format!("line {} column {}: {e}", e.line(), e.column()),
    })?;
    if parsed.format != FORMAT_VERSION {
        return Err(GatewayError::BadState {
            file: path.to_path_buf(),
            what: format!("format {} is not the supported format {FORMAT_VERSION}", parsed.format),
        });
    }
    Ok(Some(parsed.state))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn round_trips_and_reports_bad_files() {
        let dir = std::env::temp_dir().join(format!("robo-gw-persist-{}", std::process::id()));
        let path = dir.join("state.json");
        let state = SavedState {
            accounts: vec![Account::new(
                "DU1",
                "INDIVIDUAL",
                Decimal::new(12345, 2),
                &[(1, Decimal::TEN, Decimal::ONE, Decimal::ONE)],
            )],
            open_orders: vec![],
            executions: vec![],
            counters: Counters { next_order_id: 7, next_perm_id: 9, next_exec: 3 },
            trading_day: "20261127".into(),
        };
        save(&path, &state).expect("save");
        assert_eq!(load(&path).expect("load"), Some(state));
        assert!(!path.with_extension("tmp").exists());
        std::fs::write(&path, b"{ nope").expect("write");
        let err = load(&path).expect_err("bad file").to_string();
        assert!(err.contains("state.json") && err.contains("line 1"), "{err}");
        assert_eq!(load(&dir.join("missing.json")).expect("missing is fine"), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
