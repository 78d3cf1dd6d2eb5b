//! The application: start-up of every subsystem (`core`), the cockpit's event loop and
//! terminal guard, and the headless `check` command.

pub mod check;
pub mod core;
pub mod logging;
pub mod monitor;
pub mod snapshot;
pub mod terminal;
pub mod timeline;
pub mod trading;
pub mod tui;

pub use self::core::{Core, CoreOptions};

/// When `main` began: the zero of `check`'s and `snapshot`'s timelines.
static PROCESS_START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Note the start of `main`; call it first thing (later calls keep the first instant).
pub fn mark_process_start() {
    PROCESS_START.get_or_init(std::time::Instant::now);
}

/// The instant `main` began, or now when [`mark_process_start`] was never called (tests).
pub fn process_start() -> std::time::Instant {
    *PROCESS_START.get_or_init(std::time::Instant::now)
}
