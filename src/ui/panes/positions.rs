//! Positions of the primary account: quantity, costs, value and P&L with its sign.

use super::{empty_state, pane_block, render_table, Column, PaneCtx};
use crate::store::{PositionRow, Store};
use crate::ui::format::{self, MISSING};
use crate::ui::view_state::{Drawn, PaneId};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use rust_decimal::Decimal;

const COLUMNS: [Column; 8] = [
    Column { header: "Symbol", width: 7, priority: 0, right: false },
    Column { header: "Qty", width: 8, priority: 1, right: true },
    Column { header: "Avg Cost", width: 11, priority: 5, right: true },
    Column { header: "Price", width: 10, priority: 3, right: true },
    Column { header: "Mkt Value", width: 14, priority: 4, right: true },
    Column { header: "Unrl P&L", width: 13, priority: 2, right: true },
    Column { header: "Day P&L", width: 12, priority: 6, right: true },
    Column { header: "Ccy", width: 3, priority: 7, right: false },
];

/// The rows shown: the primary account's positions (all positions while no account is
/// known), by symbol.
pub fn rows_of(store: &Store) -> Vec<&PositionRow> {
    let mut rows: Vec<&PositionRow> = match store.primary_account() {
        Some(account) => store.positions_of(account).map(|(_, row)| row).collect(),
        None => store.positions.values().collect(),
    };
    rows.sort_by(|a, b| a.symbol.cmp(&b.symbol));
    rows
}

pub fn row_count(store: &Store) -> usize {
    match store.primary_account() {
        Some(account) => store.positions_of(account).count(),
        None => store.positions.len(),
    }
}

/// The sum of a figure over the rows, or `None` if any row has not got it yet.
fn total(rows: &[&PositionRow], figure: impl Fn(&PositionRow) -> Option<Decimal>) -> Option<Decimal> {
    rows.iter().map(|r| figure(r)).sum()
}

fn render(area: Rect, buf: &mut Buffer, ctx: &PaneCtx) -> Drawn {
    let store = ctx.store;
    let theme = ctx.theme;
    let rows = rows_of(store);
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
    // P&L has one owner, reqPnLSingle; say so where there is room (ibkr-behaviour.md §2.2).
    let extra = match rows.len() {
        0 => String::new(),
        n if area.width >= 60 => format!("{n} · P&L from reqPnLSingle"),
        n => n.to_string(),
    };
    let block = pane_block(PaneId::Positions, &extra, bottom, ctx);
    let inner = block.inner(area);
    block.render(area, buf);
    if rows.is_empty() {
        let account = store.primary_account().unwrap_or("the account");
        let (text, style) = if store.positions_complete {
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
        let row = rows[index];
        vec![
            (format::printable(&row.symbol), theme.roles.text),
            (format::quantity(row.quantity), theme.roles.text),
            money_cell(row.average_cost, format::price),
            money_cell(row.market_price, format::price),
            money_cell(row.market_value, format::money),
            pnl_cell(row.unrealized_pnl),
            pnl_cell(row.daily_pnl),
            (row.currency.clone(), theme.roles.muted),
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
