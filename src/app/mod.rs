//! The application: start-up of every subsystem (`core`), the cockpit's event loop and
//! terminal guard, and the headless `check` command.

pub mod check;
pub mod core;
pub mod logging;
pub mod monitor;
pub mod snapshot;
pub mod terminal;
pub mod trading;
pub mod tui;

pub use self::core::{Core, CoreOptions};
