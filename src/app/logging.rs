//! Logs go through `tracing` to a rolling file, never to the terminal the TUI draws on.

use crate::diagnostics::LogRing;
use std::path::{Path, PathBuf};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::prelude::*;
use tracing_subscriber::EnvFilter;

/// Log lines queued for the writer thread before new ones are dropped (and counted).
const LOG_QUEUE_LINES: usize = 4096;

/// Keeps the log writer alive; logs are flushed when it drops.
pub struct LogHandle {
    pub _guard: Option<WorkerGuard>,
    pub file: Option<PathBuf>,
    pub ring: LogRing,
    /// Why the file could not be opened, if it could not.
    pub error: Option<String>,
}

/// Install the global subscriber: a daily rolling file in `dir` plus the in-memory ring the
/// diagnostics pane shows. `ROBO_TUI_LOG` or `RUST_LOG` override `default_level`.
pub fn init(dir: &Path, default_level: &str) -> LogHandle {
    let filter = std::env::var("ROBO_TUI_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|spec| EnvFilter::try_new(spec).ok())
        .unwrap_or_else(|| EnvFilter::new(format!("{default_level},ibapi=warn")));
    let ring = LogRing::new(200);
    let (writer, guard, file, error) = match std::fs::create_dir_all(dir) {
        Ok(()) => {
            match tracing_appender::rolling::Builder::new()
                .rotation(tracing_appender::rolling::Rotation::DAILY)
                .filename_prefix("robo-tui")
                .filename_suffix("log")
                .max_log_files(7)
                .build(dir)
            {
                Ok(appender) => {
                    // The default queue (128,000 lines) is allocated and touched up front, several
                    // MB of resident memory; a few thousand lines is plenty for robo-tui.
                    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
                        .buffered_lines_limit(LOG_QUEUE_LINES)
                        .finish(appender);
                    (Some(writer), Some(guard), Some(dir.join("robo-tui.<date>.log")), None)
                }
                Err(error) => (None, None, None, Some(format!("cannot open a log file in {}: {error}", dir.display()))),
            }
        }
        Err(error) => (None, None, None, Some(format!("cannot create {}: {error}", dir.display()))),
    };
    let file_layer = writer.map(|writer| tracing_subscriber::fmt::layer().with_ansi(false).with_writer(writer));
    // A second init (tests running several commands in one process) keeps the first one.
    let _ = tracing_subscriber::registry().with(filter).with(file_layer).with(ring.layer()).try_init();
    LogHandle { _guard: guard, file, ring, error }
}
