//! Helpers shared by the integration tests.

use std::path::Path;
use std::process::Command;
use tempfile::TempDir;

/// A sandbox for one robo-tui process: its own config, data and log folders, so a test never
/// reads the developer's config or shares a paper account with another test.
pub struct Sandbox {
    pub dir: TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `robo-tui` with the sandbox's folders in its environment.
    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_robo-tui"));
        for (key, value) in self.env() {
            command.env(key, value);
        }
        command.env_remove("RUST_LOG").env_remove("ROBO_TUI_LOG");
        command
    }

    /// The environment variables that point robo-tui at the sandbox.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let root = self.path().display().to_string();
        vec![
            ("ROBO_TUI_CONFIG_DIR", format!("{root}/config")),
            ("ROBO_TUI_DATA_DIR", format!("{root}/data")),
            ("ROBO_TUI_LOG_DIR", format!("{root}/log")),
        ]
    }
}

/// A loopback port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}
