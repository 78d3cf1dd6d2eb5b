//! Subsystem health as the diagnostics registry reports it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::time::Duration;

/// The state of one subsystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Health {
    Pending,
    Ok,
    Degraded,
    Failed,
}

impl Health {
    pub fn label(self) -> &'static str {
        match self {
            Health::Pending => "Pending",
            Health::Ok => "Ok",
            Health::Degraded => "Degraded",
            Health::Failed => "Failed",
        }
    }
}

/// A subsystem's name, such as `config`, `gateway` or `subscription:positions`.
pub type SubsystemId = String;

/// What the diagnostics pane shows for one subsystem.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubsystemStatus {
    pub health: Health,
    /// How long loading took, once it finished.
    pub load_time: Option<Duration>,
    /// A short description of what the subsystem is doing or what it loaded.
    pub detail: String,
    /// The error chain, outermost first, when Degraded or Failed.
    pub errors: Vec<String>,
    pub restarts: u32,
    pub since: DateTime<Utc>,
}
