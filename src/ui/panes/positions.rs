//! Positions of the shown account: quantity, costs, last price, value, P&L with its sign and
//! share of NetLiquidation. Sortable by any column (`<`/`>` choose it, `r` reverses) and
//! filtered by symbol (`/`).

use super::{empty_state, pane_block, render_table, Column, PaneCtx};
use crate::store::{PositionRow, Store};
use crate::ui::format::{self, MISSING};
use crate::ui::view_state::{Drawn, FilterState, PaneId, SortState, ViewState};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// How many columns the table has (the sort cycles through them).
pub const COLUMN_COUNT: usize = 11;

const COLUMNS: [Column; COLUMN_COUNT] = [
    Column { header: "Symbol", width: 7, priority: 0, right: false },
    Column { header: "Qty", width: 8, priority: 1, right: true },
    Column { header: "Avg Cost", width: 10, priority: 7, right: true },
    Column { header: "Last", width: 10, priority: 4, right: true },
    Column { header: "Mkt Px", width: 10, priority: 5, right: true },
    Column { header: "Mkt Value", width: 13, priority: 3, right: true },
    Column { header: "Unrl P&L", width: 12, priority: 2, right: true },
    Column { header: "Day P&L", width: 11, priority: 6, right: true },
    Column { header: "Real P&L", width: 11, priority: 8, right: true },
    Column { header: "%NetLiq", width: 7, priority: 9, right: true },
    Column { header: "Ccy", width: 3, priority: 10, right: false },
];

/// One position with what the pane derives for it.
pub struct PositionLine<'a> {
    pub row: &'a PositionRow,
    /// The last trade price from the watchlist quote, if subscribed.
    pub last: Option<Decimal>,
    /// Market value in percent of the account's NetLiquidation.
    pub pct_net_liq: Option<Decimal>,
}

impl PositionLine<'_> {
    /// The value a numeric column sorts by (`None` for Symbol and Ccy).
    fn key(&self, column: usize) -> Option<Decimal> {
        let row = self.row;
        match column {
            1 => Some(row.quantity),
            2 => row.average_cost,
            3 => self.last,
            4 => row.market_price,
            5 => row.market_value,
            6 => row.unrealized_pnl,
            7 => row.daily_pnl,
            8 => row.realized_pnl,
            9 => self.pct_net_liq,
            _ => None,
        }
    }
}

/// Orders two lines by the sort column; values not arrived yet go last in either direction,
/// ties by symbol.
fn compare(a: &PositionLine, b: &PositionLine, sort: SortState) -> Ordering {
    let flip = |o: Ordering| if sort.reverse { o.reverse() } else { o };
    let by_symbol = a.row.symbol.cmp(&b.row.symbol);
    let primary = match sort.column {
        0 => flip(by_symbol),
        10 => flip(a.row.currency.cmp(&b.row.currency)),
        column => match (a.key(column), b.key(column)) {
            (Some(x), Some(y)) => flip(x.cmp(&y)),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
    };
    primary.then(by_symbol)
}

fn matches(row: &PositionRow, filter: &FilterState) -> bool {
    let needle = filter.text.trim();
    needle.is_empty() || row.symbol.to_lowercase().contains(&needle.to_lowercase())
}

/// The rows shown: the shown account's positions (all while no account is known) that match
/// the filter, in the chosen sort.
pub fn rows_of<'a>(store: &'a Store, view: &'a ViewState) -> Vec<PositionLine<'a>> {
    let account = view.shown_account(store);
    let net_liq = account.and_then(|a| store.accounts.get(a)).and_then(|a| a.value("NetLiquidation"));
    let rows: Vec<&PositionRow> = match account {
        Some(account) => store.positions_of(account).map(|(_, row)| row).collect(),
        None => store.positions.values().collect(),
    };
    let mut lines: Vec<PositionLine> = rows
        .into_iter()
        .filter(|row| matches(row, &view.positions_filter))
        .map(|row| PositionLine {
            row,
            last: store.quotes.get(&row.symbol).and_then(|q| q.last),
            pct_net_liq: match (row.market_value, net_liq) {
                (Some(value), Some(net)) if !net.is_zero() => {
                    value.checked_mul(Decimal::ONE_HUNDRED).and_then(|v| v.checked_div(net))
                }
                _ => None,
            },
        })
        .collect();
    lines.sort_by(|a, b| compare(a, b, view.positions_sort));
    lines
}

pub fn row_count(store: &Store, view: &ViewState) -> usize {
    rows_of(store, view).len()
}

/// "sort Unrl P&L ▼" for the title.
pub fn sort_label(sort: SortState) -> String {
    let name = COLUMNS.get(sort.column).map_or("Symbol", |c| c.header);
    format!("sort {name} {}", if sort.reverse { "▼" } else { "▲" })
}

/// The sum of a figure over the rows, or `None` if any row has not got it yet.
fn total(rows: &[PositionLine], figure: impl Fn(&PositionRow) -> Option<Decimal>) -> Option<Decimal> {
    rows.iter().map(|r| figure(r.row)).sum()
}

fn render(area: Rect, buf: &mut Buffer, ctx: &PaneCtx) -> Drawn {
    let store = ctx.store;
    let theme = ctx.theme;
    let view = ctx.cockpit;
    let rows = rows_of(store, view);
    let filter = &view.positions_filter;
    let pnl_cell = |value: Option<Decimal>| match value {
        Some(v) => (format::signed_money(v), theme.pnl(v)),
        None => (MISSING.to_string(), theme.roles.muted),
    };
    let bottom = (!rows.is_empty()).then(|| {
        let value = total(&rows, |r| r.market_value);
        let (pnl, pnl_style) = pnl_cell(total(&rows, |r| r.unrealized_pnl));
        Line::from(vec![
            Span::styled(" value ", theme.roles.muted),
            Span::styled(format::or_missing(value, format::money), theme.roles.text),
            Span::styled("  unrl ", theme.roles.muted),
            Span::styled(pnl, pnl_style),
            Span::raw(" "),
        ])
    });
    let mut parts = Vec::new();
    if !rows.is_empty() {
        parts.push(rows.len().to_string());
    }
    if view.positions_sort != SortState::default() {
        parts.push(sort_label(view.positions_sort));
    }
    if filter.editing {
        parts.push(format!("/{}▏", format::printable(&filter.text)));
    } else if !filter.text.is_empty() {
        parts.push(format!("/{}", format::printable(&filter.text)));
    }
    // P&L has one owner, reqPnLSingle; say so where there is room (ibkr-behaviour.md §2.2).
    if !rows.is_empty() && area.width >= 80 {
        parts.push("P&L from reqPnLSingle".to_string());
    }
    let block = pane_block(PaneId::Positions, &parts.join(" · "), bottom, ctx);
    let inner = block.inner(area);
    block.render(area, buf);
    if rows.is_empty() {
        let account = view.shown_account(store).unwrap_or("the account");
        let (text, style) = if !filter.text.is_empty() {
            (
                format!("No position matches \"{}\" (esc clears the filter).", format::printable(&filter.text)),
                theme.roles.muted,
            )
        } else if store.positions_complete {
            (format!("Flat: no open positions in {account}."), theme.roles.text)
        } else {
            ("No positions yet: waiting for the position snapshot from the gateway.".to_string(), theme.roles.muted)
        };
        empty_state(inner, buf, &text, style);
        return Drawn { rows: 0, page: usize::from(inner.height) };
    }
    let money_cell = |value: Option<Decimal>, f: fn(Decimal) -> String| match value {
        Some(v) => (f(v), theme.roles.text),
        None => (MISSING.to_string(), theme.roles.muted),
    };
    let cells = |index: usize| {
        let line = &rows[index];
        let row = line.row;
        vec![
            (format::printable(&row.symbol), theme.roles.text),
            (format::quantity(row.quantity), theme.roles.text),
            money_cell(row.average_cost, format::price),
            money_cell(line.last, format::price),
            money_cell(row.market_price, format::price),
            money_cell(row.market_value, format::money),
            pnl_cell(row.unrealized_pnl),
            pnl_cell(row.daily_pnl),
            pnl_cell(row.realized_pnl),
            money_cell(line.pct_net_liq, |p| format!("{}%", format::grouped(p, 1))),
            (format::printable(&row.currency), theme.roles.muted),
        ]
    };
    render_table(inner, buf, &COLUMNS, rows.len(), cells, ctx)
}

/// The positions pane as a widget, built each frame from the pane context.
pub struct PositionsPane<'a> {
    pub ctx: &'a PaneCtx<'a>,
}

impl Widget for PositionsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let drawn = render(area, buf, self.ctx);
        self.ctx.view.drawn.set(drawn);
    }
}
