//! Signals from the strategy task, newest first. With no strategy configured it says so.

use super::{empty_state, pane_block, render_table, Column, PaneCtx};
use crate::store::{SignalSide, Store};
use crate::ui::format;
use crate::ui::view_state::{Drawn, PaneId};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;
use rust_decimal::RoundingStrategy;

/// What the pane says when no strategy is configured and no signal came.
pub const NO_STRATEGIES: &str =
    "No strategies configured — signals appear here when a strategy in the config emits one.";

const COLUMNS: [Column; 6] = [
    Column { header: "Time", width: 8, priority: 0, right: false },
    Column { header: "Symbol", width: 7, priority: 1, right: false },
    Column { header: "Strategy", width: 10, priority: 4, right: false },
    Column { header: "Side", width: 4, priority: 2, right: false },
    Column { header: "Strength", width: 8, priority: 3, right: true },
    Column { header: "Reason", width: 10, priority: 5, right: false },
];

pub fn row_count(store: &Store) -> usize {
    store.signals.len()
}

fn render(area: Rect, buf: &mut Buffer, ctx: &PaneCtx) -> Drawn {
    let store = ctx.store;
    let theme = ctx.theme;
    let extra = match store.strategies_configured {
        0 => String::new(),
        1 => "1 strategy".to_string(),
        n => format!("{n} strategies"),
    };
    let block = pane_block(PaneId::Signals, &extra, None, ctx);
    let inner = block.inner(area);
    block.render(area, buf);
    if store.signals.is_empty() {
        if store.strategies_configured == 0 {
            empty_state(inner, buf, NO_STRATEGIES, theme.roles.muted);
        } else {
            empty_state(inner, buf, "No signals yet.", theme.roles.muted);
        }
        return Drawn { rows: 0, page: usize::from(inner.height) };
    }
    let count = store.signals.len();
    let row = |index: usize| {
        // Newest first.
        let Some(signal) = store.signals.get(count - 1 - index) else { return Vec::new() };
        let side_style = match signal.side {
            SignalSide::Buy => theme.roles.gain,
            SignalSide::Sell => theme.roles.loss,
            SignalSide::Flat => theme.roles.text,
        };
        let strength = signal.strength.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        vec![
            (signal.at.format("%H:%M:%S").to_string(), theme.roles.muted),
            (format::printable(&signal.symbol), theme.roles.text),
            (format::printable(&signal.strategy), theme.roles.text),
            (signal.side.label().to_string(), side_style),
            (format!("{strength:.2}"), theme.roles.text),
            (format::printable(&signal.reason), theme.roles.muted),
        ]
    };
    render_table(inner, buf, &COLUMNS, count, row, ctx)
}

/// The signals pane as a widget, built each frame from the pane context.
pub struct SignalsPane<'a> {
    pub ctx: &'a PaneCtx<'a>,
}

impl Widget for SignalsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let drawn = render(area, buf, self.ctx);
        self.ctx.view.drawn.set(drawn);
    }
}
