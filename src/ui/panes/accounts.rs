//! Accounts: the summary figures of the primary account, `--` until each has arrived.

use super::{pane_block, render_table, Column, PaneCtx};
use crate::store::{AccountFigure, AccountState, SUMMARY_TAGS};
use crate::ui::format::{self, MISSING};
use crate::ui::sparkline::sparkline;
use crate::ui::view_state::{Drawn, PaneId};
use ratatui::buffer::Buffer;
use ratatui::layout::Alignment;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

/// The label each summary tag shows.
fn label(tag: &str) -> &str {
    match tag {
        "NetLiquidation" => "Net Liq",
        "TotalCashValue" => "Total Cash",
        "SettledCash" => "Settled Cash",
        "BuyingPower" => "Buying Power",
        "AvailableFunds" => "Avail Funds",
        "ExcessLiquidity" => "Excess Liq",
        "EquityWithLoanValue" => "Equity w/Loan",
        "GrossPositionValue" => "Gross Pos Val",
        "InitMarginReq" => "Init Margin",
        "MaintMarginReq" => "Maint Margin",
        "Cushion" => "Cushion",
        "DayTradesRemaining" => "Day Trades",
        other => other,
    }
}

const COLUMNS: [Column; 4] = [
    Column { header: "Figure", width: 13, priority: 0, right: false },
    Column { header: "Value", width: 15, priority: 0, right: true },
    Column { header: "Ccy", width: 3, priority: 2, right: false },
    Column { header: "Age", width: 6, priority: 1, right: true },
];

pub fn row_count() -> usize {
    SUMMARY_TAGS.len()
}

/// The figure as text: money for amounts, a percentage for Cushion, a count for day trades,
/// the raw text for values that are not numbers, `--` until it arrived.
type FigureText = (String, Option<String>, Option<chrono::DateTime<chrono::Utc>>);

fn value_text(account: Option<&AccountState>, tag: &str) -> FigureText {
    let Some(figure) = account.and_then(|a| a.figure(tag)) else {
        return (MISSING.to_string(), None, None);
    };
    let (text, currency) = figure_text(tag, figure);
    (text, Some(currency), Some(figure.at))
}

/// One summary figure as the cockpit shows it, and its currency (none for Cushion and day
/// trades, which are not amounts). `robo-tui check` prints the same.
pub fn figure_text(tag: &str, figure: &AccountFigure) -> (String, String) {
    let text = match (figure.value, tag) {
        (Some(value), "Cushion") => format::percent_of_fraction(value),
        // IBKR sends -1 when the pattern-day-trader limit does not apply.
        (Some(value), "DayTradesRemaining") if value.is_sign_negative() => "unlimited".to_string(),
        (Some(value), "DayTradesRemaining") => format::quantity(value),
        (Some(value), _) => format::money(value),
        (None, _) if figure.text.trim().is_empty() => MISSING.to_string(),
        (None, _) => format::printable(&figure.text),
    };
    let currency = match tag {
        "Cushion" | "DayTradesRemaining" => String::new(),
        _ => figure.currency.clone(),
    };
    (text, currency)
}

fn render(area: Rect, buf: &mut Buffer, ctx: &PaneCtx) -> Drawn {
    let store = ctx.store;
    let theme = ctx.theme;
    let shown = ctx.cockpit.shown_account(store);
    let account = shown.and_then(|id| store.accounts.get(id));
    let managed = &store.connection.managed_accounts;
    let mut extra = match shown {
        Some(id) if managed.len() > 1 => {
            let at = managed.iter().position(|a| a == id).map_or(0, |i| i + 1);
            let key = ctx.cockpit.keymap().keys_for(crate::config::keymap::Action::NextAccount).first().copied();
            match key {
                Some(key) => format!("{id} ({at}/{}, {key} switches)", managed.len()),
                None => format!("{id} ({at}/{})", managed.len()),
            }
        }
        Some(id) => id.to_string(),
        None => "waiting for an account".to_string(),
    };
    // Until the first summary batch ended, a `--` may still arrive; after it, it was not sent.
    if account.is_some_and(|a| !a.summary_complete) {
        extra.push_str(" · loading");
    }
    let bottom = account.and_then(|a| a.pnl.as_ref()).map(|pnl| {
        let part = |name: &'static str, value: Option<rust_decimal::Decimal>| {
            let style = value.map_or(theme.roles.muted, |v| theme.pnl(v));
            [
                Span::styled(format!(" {name} "), theme.roles.muted),
                Span::styled(format::or_missing(value, format::signed_money), style),
            ]
        };
        // Name the figure's one source where there is room (ibkr-behaviour.md §2.2).
        let label = if area.width >= 56 { " P&L (reqPnL)" } else { " P&L" };
        let mut spans = vec![Span::styled(label, theme.roles.muted)];
        spans.extend(part("day", pnl.daily));
        spans.extend(part("unrl", pnl.unrealized));
        spans.extend(part("real", pnl.realized));
        spans.push(Span::raw(" "));
        Line::from(spans)
    });
    let mut block = pane_block(PaneId::Accounts, &extra, bottom, ctx);
    // NetLiquidation over the session, on the top border where the title leaves room.
    let title_width = extra.chars().count() + 16;
    let spark_width = usize::from(area.width).saturating_sub(title_width + 3).min(24);
    let spark = account.map(|a| sparkline(a.net_liq_history.iter(), spark_width, false)).unwrap_or_default();
    if spark.chars().count() >= 2 {
        block =
            block.title(Line::from(Span::styled(format!(" {spark} "), theme.roles.text)).alignment(Alignment::Right));
    }
    let inner = block.inner(area);
    block.render(area, buf);
    let row = |index: usize| {
        let tag = SUMMARY_TAGS[index];
        let (value, currency, at) = value_text(account, tag);
        let value_style = if value == MISSING { theme.roles.muted } else { theme.roles.text };
        vec![
            (label(tag).to_string(), theme.roles.text),
            (value, value_style),
            (currency.unwrap_or_default(), theme.roles.muted),
            (at.map(|at| format::age(ctx.now, at)).unwrap_or_default(), theme.roles.muted),
        ]
    };
    render_table(inner, buf, &COLUMNS, SUMMARY_TAGS.len(), row, ctx)
}

/// The accounts pane as a widget, built each frame from the pane context.
pub struct AccountsPane<'a> {
    pub ctx: &'a PaneCtx<'a>,
}

impl Widget for AccountsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let drawn = render(area, buf, self.ctx);
        self.ctx.view.drawn.set(drawn);
    }
}
