//! The panes. Each is built each frame from `&Store`, the theme and its view state.

pub mod accounts;
mod diagnostics;
pub mod health;
pub mod orders;
pub mod positions;
pub mod signals;
pub mod watchlist;

use super::view_state::{Drawn, PaneId, PaneViewState, ViewState};
use crate::config::theme::Theme;
use crate::store::Store;
use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, StatefulWidget, Table, TableState, Widget, Wrap};

/// Everything a pane reads.
pub struct PaneCtx<'a> {
    pub store: &'a Store,
    pub theme: &'a Theme,
    pub now: DateTime<Utc>,
    pub log_tail: &'a [String],
    pub focused: bool,
    pub view: &'a PaneViewState,
    /// The whole view: the shown account, the positions' sort and filter.
    pub cockpit: &'a ViewState,
}

pub use accounts::AccountsPane;
pub use diagnostics::DiagnosticsPane;
pub use health::HealthPane;
pub use orders::OrdersPane;
pub use positions::PositionsPane;
pub use signals::SignalsPane;
pub use watchlist::WatchlistPane;

/// Draw `pane` into `area`; returns how many rows it has and how many fit.
pub fn render(pane: PaneId, area: Rect, buf: &mut Buffer, ctx: &PaneCtx) -> Drawn {
    match pane {
        PaneId::Accounts => AccountsPane { ctx }.render(area, buf),
        PaneId::Positions => PositionsPane { ctx }.render(area, buf),
        PaneId::Health => HealthPane { ctx }.render(area, buf),
        PaneId::Signals => SignalsPane { ctx }.render(area, buf),
        PaneId::Diagnostics => DiagnosticsPane { ctx }.render(area, buf),
        PaneId::Watchlist => WatchlistPane { ctx }.render(area, buf),
        PaneId::Orders => OrdersPane { ctx }.render(area, buf),
    }
    ctx.view.drawn.get()
}

/// How far the selection of `pane` can move: rows for tables, first lines for text panes.
/// Panes whose lines wrap count what the last frame drew.
pub fn selectable_rows(pane: PaneId, store: &Store, view: &ViewState, last: Option<Drawn>) -> usize {
    let account = view.shown_account(store);
    match (pane, last) {
        (PaneId::Accounts, _) => accounts::row_count(),
        (PaneId::Positions, _) => positions::row_count(store, view),
        (PaneId::Watchlist, _) => watchlist::row_count(store, account),
        (PaneId::Orders, _) => orders::row_count(store, account),
        (PaneId::Signals, _) => signals::row_count(store),
        (PaneId::Health | PaneId::Diagnostics, Some(drawn)) => drawn.rows,
        (PaneId::Health, None) => 1,
        (PaneId::Diagnostics, None) => store.subsystems.len(),
    }
}

/// The pane's frame: numbered title in `title(focused)`, border in `border(focused)`, and an
/// optional summary on the bottom border.
fn pane_block<'a>(pane: PaneId, extra: &str, bottom: Option<Line<'a>>, ctx: &PaneCtx) -> Block<'a> {
    let theme = ctx.theme;
    let title = if extra.is_empty() {
        format!(" {} {} ", pane.number(), pane.title())
    } else {
        format!(" {} {} · {} ", pane.number(), pane.title(), extra)
    };
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(ctx.focused))
        .title(Span::styled(title, theme.title(ctx.focused)));
    if let Some(bottom) = bottom {
        block = block.title_bottom(bottom.alignment(Alignment::Right));
    }
    block
}

/// A text shown in place of an empty table (waiting, flat, nothing configured).
fn empty_state(area: Rect, buf: &mut Buffer, text: &str, style: Style) {
    Paragraph::new(text.to_string()).style(style).wrap(Wrap { trim: true }).render(area, buf);
}

/// Lines under an optional header, the selected one in `selection` when focused, scrolled to
/// keep it in view.
fn render_list(area: Rect, buf: &mut Buffer, header: Option<Line>, lines: Vec<Line>, ctx: &PaneCtx) -> Drawn {
    let mut area = area;
    if let Some(header) = header {
        if area.height > 0 {
            header.render(Rect { height: 1, ..area }, buf);
            area.y += 1;
            area.height -= 1;
        }
    }
    let count = lines.len();
    let page = usize::from(area.height).max(1);
    let selected = ctx.view.selected.min(count.saturating_sub(1));
    let offset =
        ctx.view.offset().min(selected).max((selected + 1).saturating_sub(page)).min(count.saturating_sub(page));
    ctx.view.offset.set(offset);
    for (i, line) in lines.into_iter().skip(offset).take(usize::from(area.height)).enumerate() {
        let row = Rect { y: area.y + i as u16, height: 1, ..area };
        line.render(row, buf);
        if ctx.focused && offset + i == selected {
            buf.set_style(row, ctx.theme.roles.selection);
        }
    }
    Drawn { rows: count, page }
}

/// A column a table may show if there is room; lower `priority` is dropped last.
struct Column {
    header: &'static str,
    width: u16,
    priority: u8,
    right: bool,
}

/// Which columns fit in `width` (one space between columns), keeping their order.
fn columns_that_fit(columns: &[Column], width: u16) -> Vec<usize> {
    let mut by_priority: Vec<usize> = (0..columns.len()).collect();
    by_priority.sort_by_key(|&i| columns[i].priority);
    let mut used = 0u16;
    let mut chosen = Vec::new();
    for i in by_priority {
        let need = columns[i].width + u16::from(!chosen.is_empty());
        if used + need <= width {
            used += need;
            chosen.push(i);
        }
    }
    chosen.sort_unstable();
    chosen
}

fn cell_text<'a>(text: String, style: Style, right: bool) -> Line<'a> {
    let line = Line::from(Span::styled(text, style));
    if right {
        line.alignment(Alignment::Right)
    } else {
        line
    }
}

/// A table of `count` rows, of which only those on screen are built (`row(i)` gives row `i`'s
/// cells, one per column), with the chosen columns, the header in `header` and the selection
/// (when focused) in `selection`. The last column takes what is left.
fn render_table(
    inner: Rect,
    buf: &mut Buffer,
    columns: &[Column],
    count: usize,
    row: impl Fn(usize) -> Vec<(String, Style)>,
    ctx: &PaneCtx,
) -> Drawn {
    let shown = columns_that_fit(columns, inner.width);
    let theme = ctx.theme;
    let header =
        Row::new(shown.iter().map(|&i| cell_text(columns[i].header.to_string(), theme.roles.header, columns[i].right)));
    let page = usize::from(inner.height.saturating_sub(1)).max(1);
    let selected = ctx.view.selected.min(count.saturating_sub(1));
    // Keep the selection in view, moving the window as little as possible; never leave blank
    // rows at the bottom while there are rows above.
    let offset =
        ctx.view.offset().min(selected).max((selected + 1).saturating_sub(page)).min(count.saturating_sub(page));
    ctx.view.offset.set(offset);
    let visible = offset..count.min(offset + page);
    let rows = visible.map(|index| {
        let mut cells: Vec<Option<(String, Style)>> = row(index).into_iter().map(Some).collect();
        Row::new(shown.iter().map(|&i| {
            let (text, style) = cells.get_mut(i).and_then(Option::take).unwrap_or_default();
            cell_text(text, style, columns[i].right)
        }))
    });
    let widths: Vec<Constraint> = shown
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            if n + 1 == shown.len() {
                Constraint::Min(columns[i].width)
            } else {
                Constraint::Length(columns[i].width)
            }
        })
        .collect();
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .style(theme.roles.text)
        .row_highlight_style(theme.roles.selection);
    let mut state = TableState::default();
    if ctx.focused && count > 0 {
        state = state.with_selected(Some(selected - offset));
    }
    StatefulWidget::render(table, inner, buf, &mut state);
    Drawn { rows: count, page }
}
