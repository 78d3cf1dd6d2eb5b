//! Watchlist: the configured symbols, then every symbol the shown account holds, each with its
//! quote, change since the previous close, a sparkline of 5-second bar closes and the market
//! data type the gateway reported. `--` for whatever has not arrived; a symbol whose data
//! cannot be had shows the gateway's reason on its row.

use super::{empty_state, pane_block, render_table, Column, PaneCtx};
use crate::config::theme::Theme;
use crate::store::{MarketDataKind, Quote, Store};
use crate::ui::format::{self, MISSING};
use crate::ui::sparkline::sparkline;
use crate::ui::view_state::{Drawn, PaneId};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;
use rust_decimal::Decimal;
use std::collections::HashSet;

const SYMBOL_WIDTH: u16 = 8;
const TREND_WIDTH: u16 = 12;

const COLUMNS: [Column; 10] = [
    Column { header: "Symbol", width: SYMBOL_WIDTH, priority: 0, right: false },
    Column { header: "Bid", width: 10, priority: 4, right: true },
    Column { header: "Ask", width: 10, priority: 4, right: true },
    Column { header: "Last", width: 10, priority: 1, right: true },
    Column { header: "Chg", width: 9, priority: 3, right: true },
    Column { header: "Chg%", width: 8, priority: 2, right: true },
    Column { header: "Volume", width: 11, priority: 6, right: true },
    Column { header: "Data", width: 7, priority: 1, right: false },
    Column { header: "Age", width: 5, priority: 7, right: true },
    Column { header: "Trend (5s bars)", width: TREND_WIDTH, priority: 5, right: false },
];

/// The index of the trend column (the last: it takes the width that is left).
const TREND: usize = COLUMNS.len() - 1;

/// How many bars the trend column shows at `width`: its own width plus whatever is left over.
fn trend_width(width: u16) -> usize {
    let shown = super::columns_that_fit(&COLUMNS, width);
    if !shown.contains(&TREND) {
        return 0;
    }
    let others: u16 = shown.iter().filter(|&&i| i != TREND).map(|&i| COLUMNS[i].width + 1).sum();
    usize::from(width.saturating_sub(others)).min(crate::store::BAR_HISTORY)
}

/// The symbols shown, in order: the configured watchlist, then the shown account's position
/// symbols (by symbol), each once.
pub fn symbols(store: &Store, account: Option<&str>) -> Vec<String> {
    let mut seen: HashSet<&str> = HashSet::with_capacity(store.watchlist.len());
    let mut out: Vec<String> = Vec::with_capacity(store.watchlist.len());
    for symbol in &store.watchlist {
        if seen.insert(symbol) {
            out.push(symbol.clone());
        }
    }
    let mut held: Vec<&String> = match account {
        Some(account) => store.positions_of(account).map(|(_, row)| &row.symbol).collect(),
        None => store.positions.values().map(|row| &row.symbol).collect(),
    };
    held.sort();
    for symbol in held {
        if seen.insert(symbol) {
            out.push(symbol.clone());
        }
    }
    out
}

pub fn row_count(store: &Store, account: Option<&str>) -> usize {
    symbols(store, account).len()
}

/// The market data type in short, `--` while the gateway has not said (never assumed).
pub fn kind_text(kind: Option<MarketDataKind>, theme: &Theme) -> (String, Style) {
    match kind {
        None => (MISSING.to_string(), theme.roles.muted),
        Some(MarketDataKind::Live) => ("LIVE".to_string(), theme.roles.health_ok),
        Some(MarketDataKind::Frozen) => ("FROZEN".to_string(), theme.roles.warning),
        Some(MarketDataKind::Delayed) => ("DELAYED".to_string(), theme.roles.warning),
        Some(MarketDataKind::DelayedFrozen) => ("DLY-FRZ".to_string(), theme.roles.warning),
    }
}

/// A change with its sign (`+1.25`, `-0.50`), in the gain or loss role.
fn signed(value: Option<Decimal>, f: fn(Decimal) -> String, theme: &Theme) -> (String, Style) {
    match value {
        None => (MISSING.to_string(), theme.roles.muted),
        Some(v) => {
            let text = f(v);
            let text = if v > Decimal::ZERO && !text.starts_with('+') { format!("+{text}") } else { text };
            (text, theme.pnl(v))
        }
    }
}

/// A signed percentage with two decimals (`+1.25%`).
pub fn signed_percent(value: Decimal) -> String {
    format!("{}%", format::signed_money(value))
}

fn cells(symbol: &str, quote: Option<&Quote>, trend_width: usize, ctx: &PaneCtx) -> Vec<(String, Style)> {
    let theme = ctx.theme;
    let roles = &theme.roles;
    let value = |v: Option<Decimal>, f: fn(Decimal) -> String| match v {
        Some(v) => (f(v), roles.text),
        None => (MISSING.to_string(), roles.muted),
    };
    let symbol = (format::printable(symbol), roles.text);
    let Some(quote) = quote else {
        let mut row = vec![symbol];
        row.extend((1..COLUMNS.len()).map(|_| (MISSING.to_string(), roles.muted)));
        // No age for what never arrived.
        row[TREND - 1] = (String::new(), roles.muted);
        return row;
    };
    let trend = sparkline(quote.bars.iter(), trend_width, false);
    vec![
        symbol,
        value(quote.bid, format::price),
        value(quote.ask, format::price),
        value(quote.last, format::price),
        signed(quote.change(), format::price, theme),
        signed(quote.change_pct(), signed_percent, theme),
        value(quote.volume, format::quantity),
        kind_text(quote.kind, theme),
        (quote.updated_at.map(|at| format::age(ctx.now, at)).unwrap_or_default(), roles.muted),
        if trend.is_empty() { (MISSING.to_string(), roles.muted) } else { (trend, roles.text) },
    ]
}

fn render(area: Rect, buf: &mut Buffer, ctx: &PaneCtx) -> Drawn {
    let store = ctx.store;
    let theme = ctx.theme;
    let symbols = symbols(store, ctx.cockpit.shown_account(store));
    let problems = symbols.iter().filter(|s| store.quotes.get(*s).is_some_and(|q| q.problem.is_some())).count();
    let extra = match (symbols.len(), problems) {
        (0, _) => String::new(),
        (n, 0) => n.to_string(),
        (n, p) => format!("{n} · {p} without data"),
    };
    let block = pane_block(PaneId::Watchlist, &extra, None, ctx);
    let inner = block.inner(area);
    block.render(area, buf);
    if symbols.is_empty() {
        empty_state(
            inner,
            buf,
            "No symbols: the watchlist in the config is empty and the account holds no positions.",
            theme.roles.muted,
        );
        return Drawn { rows: 0, page: usize::from(inner.height) };
    }
    let bars = trend_width(inner.width);
    let row = |index: usize| {
        let symbol = &symbols[index];
        cells(symbol, store.quotes.get(symbol), bars, ctx)
    };
    let drawn = render_table(inner, buf, &COLUMNS, symbols.len(), row, ctx);
    // A symbol without data says why across the rest of its row.
    let offset = ctx.view.offset();
    let x = inner.x + SYMBOL_WIDTH + 1;
    let width = inner.right().saturating_sub(x);
    if width == 0 {
        return drawn;
    }
    for (line, symbol) in symbols.iter().enumerate().skip(offset).take(drawn.page) {
        let Some(problem) = store.quotes.get(symbol).and_then(|q| q.problem.as_deref()) else { continue };
        let y = inner.y.saturating_add(1).saturating_add(u16::try_from(line - offset).unwrap_or(u16::MAX));
        if y >= inner.bottom() {
            break;
        }
        let row = Rect { x, y, width, height: 1 };
        let mut style = theme.roles.warning;
        if ctx.focused && line == ctx.view.selected.min(symbols.len() - 1) {
            style = style.patch(theme.roles.selection);
        }
        buf.set_style(row, style);
        let text = format::truncate(&format::printable(problem), usize::from(width));
        buf.set_stringn(x, y, format!("{text:<w$}", w = usize::from(width)), usize::from(width), style);
    }
    drawn
}

/// The watchlist pane as a widget, built each frame from the pane context.
pub struct WatchlistPane<'a> {
    pub ctx: &'a PaneCtx<'a>,
}

impl Widget for WatchlistPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let drawn = render(area, buf, self.ctx);
        self.ctx.view.drawn.set(drawn);
    }
}
