//! A handle one subsystem uses to report its state to the store.

use crate::store::{Health, StoreEvent, SubsystemEvent, SubsystemStatus};
use chrono::Utc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Reports one subsystem's state. Cheap to clone; reporting never blocks and never fails the
/// caller (if the app has gone away there is nobody left to tell).
#[derive(Debug, Clone)]
pub struct Reporter {
    id: String,
    tx: mpsc::Sender<StoreEvent>,
    started: Instant,
    restarts: u32,
}

impl Reporter {
    /// Register subsystem `id` as Pending.
    pub fn register(id: impl Into<String>, tx: mpsc::Sender<StoreEvent>) -> Self {
        let reporter = Reporter { id: id.into(), tx, started: Instant::now(), restarts: 0 };
        reporter.send(Health::Pending, "loading", Vec::new(), None);
        reporter
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// A reporter for another subsystem on the same channel.
    pub fn sibling(&self, id: impl Into<String>) -> Reporter {
        Reporter::register(id, self.tx.clone())
    }

    /// Start timing a new load (after a restart, say).
    pub fn restart(&mut self) {
        self.restarts += 1;
        self.started = Instant::now();
        self.send(Health::Pending, "restarting", Vec::new(), None);
    }

    pub fn pending(&self, detail: impl Into<String>) {
        self.send(Health::Pending, detail, Vec::new(), None);
    }

    pub fn ok(&self, detail: impl Into<String>) {
        self.send(Health::Ok, detail, Vec::new(), Some(self.started.elapsed()));
    }

    pub fn degraded(&self, detail: impl Into<String>, errors: Vec<String>) {
        self.send(Health::Degraded, detail, errors, Some(self.started.elapsed()));
    }

    pub fn failed(&self, detail: impl Into<String>, errors: Vec<String>) {
        self.send(Health::Failed, detail, errors, Some(self.started.elapsed()));
    }

    fn send(&self, health: Health, detail: impl Into<String>, errors: Vec<String>, load_time: Option<Duration>) {
        let status = SubsystemStatus {
            health,
            load_time,
            detail: detail.into(),
            errors,
            restarts: self.restarts,
            since: Utc::now(),
        };
        if health >= Health::Degraded {
            tracing::warn!(subsystem = %self.id, health = health.label(), errors = ?status.errors, "{}", status.detail);
        } else {
            tracing::debug!(subsystem = %self.id, health = health.label(), "{}", status.detail);
        }
        // A full channel means the app is far behind; subsystem reports are rare, so wait in a
        // task rather than drop one.
        let event = StoreEvent::Subsystem(SubsystemEvent { id: self.id.clone(), status });
        if let Err(mpsc::error::TrySendError::Full(event)) = self.tx.try_send(event) {
            let tx = self.tx.clone();
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    let _ = tx.send(event).await;
                });
            }
        }
    }
}

/// An error and its causes, outermost first.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut chain = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if chain.last() != Some(&text) {
            chain.push(text);
        }
        source = cause.source();
    }
    chain
}
