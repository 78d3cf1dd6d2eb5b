//! `robo-tui snapshot`: connect, wait until accounts, positions and quotes are in, print the
//! cockpit (or the monitor) once as text at a given size, or the store as JSON, and exit.
//! Works with no terminal attached: for scripts, cron jobs and README captures.

use super::core::{Core, CoreOptions};
use super::timeline::Timeline;
use crate::config::theme::Theme;
use crate::store::Store;
use crate::ui::{self, MonitorContext, RenderContext, ViewState};
use chrono::Utc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy)]
pub struct SnapshotOptions {
    pub format: SnapshotFormat,
    pub width: u16,
    pub height: u16,
    pub monitor: bool,
    /// Print where the time went (ms since `main`) to stderr, as `check` does.
    pub timeline: bool,
}

/// `120x40` → (120, 40).
pub fn parse_size(text: &str) -> Result<(u16, u16), String> {
    let (w, h) =
        text.split_once(['x', 'X']).ok_or_else(|| format!("size {text:?}: expected WIDTHxHEIGHT, e.g. 120x40"))?;
    let parse = |part: &str, what: &str| {
        part.trim()
            .parse::<u16>()
            .ok()
            .filter(|v| (1..=1000).contains(v))
            .ok_or_else(|| format!("size {text:?}: {what} must be a whole number from 1 to 1000"))
    };
    Ok((parse(w, "width")?, parse(h, "height")?))
}

/// The screen as text, or the store as JSON.
fn render(store: &Store, snapshot: &SnapshotOptions) -> String {
    match snapshot.format {
        SnapshotFormat::Json => {
            let mut json = serde_json::to_string_pretty(store).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
            json.push('\n');
            json
        }
        SnapshotFormat::Text => {
            let theme = Theme::fallback().without_color();
            let now = Utc::now();
            if snapshot.monitor {
                let ctx = MonitorContext::new(now, &theme, false);
                ui::render_text(snapshot.width, snapshot.height, |frame| ui::draw_monitor(frame, store, &ctx))
            } else {
                let view = ViewState::new();
                let ctx = RenderContext { now, theme: &theme, log_tail: &[] };
                ui::render_text(snapshot.width, snapshot.height, |frame| ui::draw(frame, store, &view, &ctx))
            }
        }
    }
}

/// Everything a snapshot waits for: live, the account summary and positions complete, and a
/// quote (or the reason there is none) for every watched symbol.
fn ready(store: &Store) -> bool {
    let live = store.connection.state.is_live();
    let summary = store.accounts.values().any(|a| a.summary_complete);
    let quoted = store.watchlist.iter().chain(store.positions.values().map(|p| &p.symbol)).all(|symbol| {
        store.quotes.get(symbol).is_some_and(|q| q.last.is_some() || q.bid.is_some() || q.problem.is_some())
    });
    let pnl = store.positions.values().all(|p| p.daily_pnl.is_some() || p.unrealized_pnl.is_some());
    live && summary && store.positions_complete && quoted && pnl
}

/// Run the snapshot. Returns the text to print and the exit code (0, or 1 when the data never
/// arrived — the output then says what is missing).
pub async fn run(options: CoreOptions, snapshot: SnapshotOptions) -> (String, i32) {
    let mut timeline = Timeline::default();
    timeline.mark("runtime");
    let mut core = Core::start(CoreOptions { reconnect: false, ..options }).await;
    timeline.mark("started");
    let deadline = Duration::from_secs(core.config.broker.connect_timeout_secs + 10);
    let mut store = Store::new();
    let arrived = tokio::time::timeout(deadline, async {
        while let Some(event) = core.events.recv().await {
            store.apply(Utc::now(), event);
            if ready(&store) || matches!(store.connection.state, crate::store::ConnectionState::Down { .. }) {
                break;
            }
        }
    })
    .await
    .is_ok()
        && ready(&store);
    timeline.mark("ready");
    // The frame is drawn from the store as it is now, before anything shuts down: this is the
    // cockpit's first complete frame.
    let text = render(&store, &snapshot);
    timeline.mark("rendered");
    core.shutdown().await;
    timeline.mark("stopped");
    if snapshot.timeline {
        eprintln!("ms since start: {}", timeline.line());
    }
    if arrived {
        (text, 0)
    } else {
        let reason = match &store.connection.state {
            crate::store::ConnectionState::Down { reason } => reason.clone(),
            state => {
                format!("the data did not all arrive within {}s (connection {})", deadline.as_secs(), state.label())
            }
        };
        (format!("{text}snapshot: incomplete: {reason}\n"), 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_bad_ones_say_why() {
        assert_eq!(parse_size("120x40"), Ok((120, 40)));
        assert_eq!(parse_size("80X24"), Ok((80, 24)));
        assert!(parse_size("120").unwrap_err().contains("WIDTHxHEIGHT"));
        assert!(parse_size("0x10").unwrap_err().contains("width"));
        assert!(parse_size("10xabc").unwrap_err().contains("height"));
    }
}
