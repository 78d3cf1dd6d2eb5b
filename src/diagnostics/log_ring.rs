//! A tracing layer that keeps the last log lines in memory for the diagnostics pane.

use chrono::Utc;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// The last `capacity` log lines, shared between the layer and whoever shows them.
#[derive(Debug, Clone)]
pub struct LogRing {
    lines: Arc<Mutex<VecDeque<String>>>,
    capacity: usize,
}

impl LogRing {
    pub fn new(capacity: usize) -> Self {
        LogRing { lines: Arc::new(Mutex::new(VecDeque::with_capacity(capacity))), capacity }
    }

    pub fn push(&self, line: String) {
        if let Ok(mut lines) = self.lines.lock() {
            if lines.len() == self.capacity {
                lines.pop_front();
            }
            lines.push_back(line);
        }
    }

    /// The newest `n` lines, oldest first.
    pub fn tail(&self, n: usize) -> Vec<String> {
        match self.lines.lock() {
            Ok(lines) => lines.iter().skip(lines.len().saturating_sub(n)).cloned().collect(),
            Err(_) => Vec::new(),
        }
    }

    pub fn layer(&self) -> LogRingLayer {
        LogRingLayer { ring: self.clone() }
    }
}

/// The layer half of [`LogRing`].
pub struct LogRingLayer {
    ring: LogRing,
}

struct LineVisitor(String);

impl Visit for LineVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value}");
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for LogRingLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut visitor =
            LineVisitor(format!("{} {:5} {}:", Utc::now().format("%H:%M:%S"), meta.level(), meta.target()));
        event.record(&mut visitor);
        self.ring.push(visitor.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_newest_lines() {
        let ring = LogRing::new(3);
        for i in 0..5 {
            ring.push(format!("line {i}"));
        }
        assert_eq!(ring.tail(10), vec!["line 2", "line 3", "line 4"]);
        assert_eq!(ring.tail(1), vec!["line 4"]);
    }

    #[test]
    fn the_layer_records_message_and_fields() {
        use tracing_subscriber::prelude::*;
        let ring = LogRing::new(10);
        let subscriber = tracing_subscriber::registry().with(ring.layer());
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(code = 2103, "farm broken");
        });
        let lines = ring.tail(1);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains("WARN"), "{}", lines[0]);
        assert!(lines[0].ends_with("farm broken code=2103"), "{}", lines[0]);
    }
}
