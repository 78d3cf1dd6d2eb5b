//! The subsystem registry and supervisor. Every subsystem (config, theme, logging, gateway,
//! broker connection, each subscription, strategy, UI) reports `Pending/Ok/Degraded/Failed`
//! with its load time and error chain. A subsystem that fails or panics is reported and the
//! rest keep running.

mod log_ring;
mod reporter;
mod supervisor;

pub use log_ring::{LogRing, LogRingLayer};
pub use reporter::{error_chain, Reporter};
pub use supervisor::{panic_message, spawn_supervised, RestartPolicy};
