//! robo-tui: a terminal trading cockpit for Interactive Brokers.
//!
//! Module map (arrows point one way): `ui` reads `store`; `broker` and `strategy` send events
//! to the app; `store`, `broker`, `strategy` and `gateway` never import ratatui; `gateway`
//! shares no types with `broker`.

pub mod app;
pub mod broker;
pub mod config;
pub mod diagnostics;
pub mod gateway;
pub mod orders;
pub mod store;
pub mod ui;
