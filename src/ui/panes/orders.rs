//! Orders: whether order entry is enabled (or the guard's reason it is not), the shown
//! account's orders (this session's and other clients', labelled) with the status to show
//! (UNCONFIRMED once an order went unacknowledged too long), filled/total and the average
//! price; under them the selected order's timeline, then today's executions with commission.

use super::{empty_state, pane_block, render_table, Column, PaneCtx};
use crate::config::theme::Theme;
use crate::orders::{entry_allowed, CodeClass, LegRole, OrderStatus, ShownStatus, TimelineEntry, TimelineEvent};
use crate::store::{ExecutionRow, OrderRow, Store, ACK_TIMEOUT};
use crate::ui::format::{self, MISSING};
use crate::ui::view_state::{Drawn, PaneId};
use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

const COLUMNS: [Column; 10] = [
    Column { header: "Id", width: 7, priority: 0, right: true },
    Column { header: "By", width: 6, priority: 1, right: false },
    Column { header: "Side", width: 4, priority: 0, right: false },
    Column { header: "Symbol", width: 7, priority: 0, right: false },
    Column { header: "Filled/Qty", width: 11, priority: 1, right: true },
    Column { header: "Type", width: 7, priority: 3, right: false },
    Column { header: "Price", width: 10, priority: 3, right: true },
    Column { header: "TIF", width: 4, priority: 5, right: false },
    Column { header: "Avg Fill", width: 10, priority: 2, right: true },
    Column { header: "Status", width: 13, priority: 0, right: false },
];

/// The group (bracket) an order belongs to and its role in it, from its order ref.
pub fn leg_of(row: &OrderRow) -> Option<(&str, LegRole)> {
    row.terms.as_ref().and_then(|t| LegRole::parse(&t.order_ref))
}

/// The legs of `group` among `rows`, in leg order (entry, take profit, stop loss).
pub fn legs_of<'a>(rows: &[&'a OrderRow], group: &str) -> Vec<&'a OrderRow> {
    let mut legs: Vec<&OrderRow> =
        rows.iter().copied().filter(|r| leg_of(r).is_some_and(|(g, _)| g == group)).collect();
    legs.sort_by_key(|r| (leg_of(r).map(|(_, role)| role), r.order_id));
    legs
}

/// The orders shown for `account`: those whose terms name it. An order known only from a
/// status report (no terms, so no account) is shown only while there is one account, so
/// accounts never mix. Working orders (and brackets with a working leg) first, newest first;
/// a bracket's exits right under its entry.
pub fn rows_of<'a>(store: &'a Store, account: Option<&str>) -> Vec<&'a OrderRow> {
    let single = store.connection.managed_accounts.len() <= 1;
    let mut rows: Vec<&OrderRow> = store
        .orders
        .values()
        .filter(|row| match (&row.terms, account) {
            (Some(terms), Some(account)) => terms.account == account,
            (Some(_), None) => true,
            (None, _) => single,
        })
        .collect();
    // Each group sorts as one: by whether any leg works and its first (entry) order id.
    let mut group_key: std::collections::HashMap<&str, (bool, i32)> = std::collections::HashMap::new();
    for row in &rows {
        if let Some((group, _)) = leg_of(row) {
            let key = group_key.entry(group).or_insert((true, row.order_id));
            key.0 &= row.lifecycle.status().is_final();
            key.1 = key.1.min(row.order_id);
        }
    }
    rows.sort_by_key(|row| {
        let (done, id, leg) = match leg_of(row) {
            Some((group, role)) => {
                let (done, id) = group_key.get(group).copied().unwrap_or((true, row.order_id));
                (done, id, Some(role))
            }
            None => (row.lifecycle.status().is_final(), row.order_id, None),
        };
        (done, std::cmp::Reverse(id), leg, row.order_id)
    });
    rows
}

pub fn row_count(store: &Store, account: Option<&str>) -> usize {
    rows_of(store, account).len()
}

/// The shown account's executions, newest first.
pub fn executions_of<'a>(store: &'a Store, account: Option<&str>) -> Vec<&'a ExecutionRow> {
    let mut rows: Vec<&ExecutionRow> =
        store.executions.values().filter(|e| account.is_none_or(|a| e.account == a)).collect();
    rows.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.exec_id.cmp(&a.exec_id)));
    rows
}

/// "order entry enabled: PAPER" or "order entry disabled: <the guard's reason>".
pub fn entry_line(store: &Store, theme: &Theme) -> (String, Style) {
    match entry_allowed(&store.guard_context()) {
        Ok(mode) => (format!("order entry enabled: {mode}"), theme.roles.health_ok),
        Err(block) => (format!("order entry disabled: {block}"), theme.roles.warning),
    }
}

pub fn status_style(status: ShownStatus, theme: &Theme) -> Style {
    let roles = &theme.roles;
    match status {
        ShownStatus::Unconfirmed => roles.health_failed,
        ShownStatus::Status(OrderStatus::Filled) => roles.health_ok,
        ShownStatus::Status(OrderStatus::Rejected) => roles.health_failed,
        ShownStatus::Status(OrderStatus::Cancelled | OrderStatus::ApiCancelled | OrderStatus::Inactive) => roles.muted,
        ShownStatus::Status(OrderStatus::PendingSubmit | OrderStatus::PendingCancel) => roles.health_pending,
        ShownStatus::Status(OrderStatus::PreSubmitted | OrderStatus::Submitted) => roles.text,
    }
}

fn class_text(class: CodeClass) -> &'static str {
    match class {
        CodeClass::Rejection => "rejection",
        CodeClass::Cancelled => "cancelled",
        CodeClass::Warning => "warning",
        CodeClass::Info => "info",
        CodeClass::Unknown => "unknown",
    }
}

/// One timeline entry as text and its role.
/// `current` is the order's status as of this entry (the last status applied before it).
fn timeline_text(
    row: &OrderRow,
    entry: &TimelineEntry,
    current: Option<OrderStatus>,
    theme: &Theme,
) -> (String, Style) {
    let roles = &theme.roles;
    match &entry.event {
        TimelineEvent::Submitted => ("submitted".to_string(), roles.text),
        TimelineEvent::Status { status, applied: true } => (format!("status {}", status.label()), roles.text),
        TimelineEvent::Status { status, applied: false } if Some(*status) == current => {
            (format!("status {} again", status.label()), roles.muted)
        }
        TimelineEvent::Status { status, applied: false } => (
            match current {
                Some(kept) => format!("status {} (kept {}: never backwards)", status.label(), kept.label()),
                None => format!("status {} (not applied: never backwards)", status.label()),
            },
            roles.muted,
        ),
        TimelineEvent::Fill { exec_id, quantity, price } => {
            let commission = row
                .lifecycle
                .fills()
                .iter()
                .find(|f| &f.exec_id == exec_id)
                .and_then(|f| f.commission.as_ref())
                .map_or_else(|| MISSING.to_string(), |c| format!("{} {}", format::money(c.amount), c.currency));
            (
                format!(
                    "fill {} @ {} · commission {commission} · exec {}",
                    format::quantity(*quantity),
                    format::price(*price),
                    format::printable(exec_id)
                ),
                roles.gain,
            )
        }
        TimelineEvent::DuplicateFill { exec_id } => {
            (format!("duplicate execution {} ignored", format::printable(exec_id)), roles.muted)
        }
        TimelineEvent::Commission { exec_id, amount, currency } => (
            format!("commission {} {} for exec {}", format::money(*amount), currency, format::printable(exec_id)),
            roles.text,
        ),
        TimelineEvent::Code { code, text, class, label } => {
            let style = match class {
                CodeClass::Rejection => roles.health_failed,
                CodeClass::Warning | CodeClass::Unknown | CodeClass::Cancelled => roles.warning,
                CodeClass::Info => roles.muted,
            };
            (format!("code {code} {} ({label}): {}", class_text(*class), format::printable(text)), style)
        }
        TimelineEvent::DataError { message } => {
            (format!("data error: {}", format::printable(message)), roles.health_failed)
        }
    }
}

fn time_span<'a>(at: DateTime<Utc>, theme: &Theme) -> Span<'a> {
    Span::styled(format!("{} ", at.format("%H:%M:%S")), theme.roles.muted)
}

/// The selected order's timeline, wrapped to `width`, oldest first.
fn timeline_lines(row: &OrderRow, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    // The same report in a row (IB repeats statuses) is one line with a count.
    let mut entries: Vec<(DateTime<Utc>, String, Style, usize)> = Vec::new();
    let mut current = None;
    for entry in row.lifecycle.timeline() {
        let (text, style) = timeline_text(row, entry, current, theme);
        if let TimelineEvent::Status { status, applied: true } = &entry.event {
            current = Some(*status);
        }
        match entries.last_mut() {
            Some((_, last, _, count)) if *last == text => *count += 1,
            _ => entries.push((entry.at, text, style, 1)),
        }
    }
    let mut out = Vec::new();
    for (at, text, style, count) in entries {
        let text = if count > 1 { format!("{text} ×{count}") } else { text };
        for (i, part) in format::wrap(&text, width.saturating_sub(9).max(8)).into_iter().enumerate() {
            let head = if i == 0 { time_span(at, theme) } else { Span::raw(" ".repeat(9)) };
            out.push(Line::from(vec![head, Span::styled(part, style)]));
        }
    }
    out
}

fn execution_line(row: &ExecutionRow, theme: &Theme) -> Line<'static> {
    let roles = &theme.roles;
    let commission = match (row.commission, &row.commission_currency) {
        (Some(amount), Some(currency)) => format!("{} {currency}", format::money(amount)),
        (Some(amount), None) => format::money(amount),
        (None, _) => MISSING.to_string(),
    };
    let mut spans = vec![
        time_span(row.at, theme),
        Span::styled(format!("{} ", format::printable(&row.side)), roles.text),
        Span::styled(format!("{} ", format::quantity(row.shares)), roles.text),
        Span::styled(format!("{} ", format::printable(&row.symbol)), roles.text),
        Span::styled(format!("@ {} ", format::price(row.price)), roles.text),
        Span::styled("comm ", roles.muted),
        Span::styled(commission, if row.commission.is_some() { roles.text } else { roles.muted }),
    ];
    if let Some(pnl) = row.realized_pnl {
        spans.push(Span::styled(" real ", roles.muted));
        spans.push(Span::styled(format::signed_money(pnl), theme.pnl(pnl)));
    }
    spans.push(Span::styled(format!("  #{} {}", row.order_id, format::printable(&row.exec_id)), roles.muted));
    Line::from(spans)
}

/// `lines` in `area` under a `header`; when they do not fit, the newest (last) ones with a
/// note of how many are above.
fn section(area: Rect, buf: &mut Buffer, header: Line, lines: Vec<Line>, keep_last: bool, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    header.render(Rect { height: 1, ..area }, buf);
    let body = Rect { y: area.y + 1, height: area.height - 1, ..area };
    let room = usize::from(body.height);
    let (skip, note) = if lines.len() > room && room > 0 {
        let hidden = lines.len() - (room - 1);
        if keep_last {
            (hidden, Some(format!("… {hidden} earlier")))
        } else {
            (0, Some(format!("… {hidden} more")))
        }
    } else {
        (0, None)
    };
    let mut y = body.y;
    if keep_last {
        if let Some(note) = &note {
            Line::styled(note.clone(), theme.roles.muted).render(Rect { y, height: 1, ..body }, buf);
            y += 1;
        }
    }
    let take = if note.is_some() { room - 1 } else { room };
    for line in lines.into_iter().skip(skip).take(take) {
        line.render(Rect { y, height: 1, ..body }, buf);
        y += 1;
    }
    if !keep_last {
        if let Some(note) = note {
            Line::styled(note, theme.roles.muted).render(Rect { y, height: 1, ..body }, buf);
        }
    }
}

/// `value * num / den` without overflowing.
fn fraction(value: u16, num: u32, den: u32) -> u16 {
    u16::try_from(u32::from(value) * num / den.max(1)).unwrap_or(u16::MAX)
}

fn render(area: Rect, buf: &mut Buffer, ctx: &PaneCtx) -> Drawn {
    let store = ctx.store;
    let theme = ctx.theme;
    let roles = &theme.roles;
    let account = ctx.cockpit.shown_account(store);
    let rows = rows_of(store, account);
    let working = rows.iter().filter(|r| !r.lifecycle.status().is_final()).count();
    let extra = match (rows.len(), account) {
        (0, Some(account)) => account.to_string(),
        (0, None) => String::new(),
        (n, Some(account)) => format!("{working} working of {n} · {account}"),
        (n, None) => format!("{working} working of {n}"),
    };
    // Other clients' orders are marked in the id too, so the mark stays when the "By" column
    // does not fit; only own orders can be changed from here.
    let others = rows.iter().any(|r| !r.own);
    let legend = others.then(|| Line::from(Span::styled(" * other client: read only ", roles.muted)));
    let block = pane_block(PaneId::Orders, &extra, legend, ctx);
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.height == 0 || inner.width == 0 {
        return Drawn { rows: rows.len(), page: 1 };
    }
    let (entry, entry_style) = entry_line(store, theme);
    Line::styled(format::truncate(&entry, usize::from(inner.width)), entry_style)
        .render(Rect { height: 1, ..inner }, buf);
    let body = Rect { y: inner.y + 1, height: inner.height - 1, ..inner };
    // The table gets what its rows need, up to 40% of the body (at least a header and a row).
    let wanted = u16::try_from(rows.len().max(1) + 1).unwrap_or(u16::MAX);
    let table_height = if body.height < 8 { body.height } else { wanted.min(fraction(body.height, 2, 5).max(3)) };
    let table_area = Rect { height: table_height, ..body };
    let drawn = if rows.is_empty() {
        empty_state(table_area, buf, "No orders today in this account.", roles.muted);
        Drawn { rows: 0, page: usize::from(table_area.height) }
    } else {
        let cells = |index: usize| {
            let row = rows[index];
            let shown = row.lifecycle.shown_status(ctx.now, ACK_TIMEOUT);
            let terms = row.terms.as_ref();
            let text_or_missing = |text: Option<String>| match text {
                Some(text) => (text, roles.text),
                None => (MISSING.to_string(), roles.muted),
            };
            let trailing = terms.is_some_and(|t| t.order_type.starts_with("TRAIL"));
            let price = terms.and_then(|t| match (t.limit_price, t.stop_price) {
                // A trailing stop shows where its stop is now (it follows the market).
                _ if trailing => t.trail_stop_price.map(format::price),
                (Some(limit), Some(stop)) => Some(format!("{}/{}", format::price(stop), format::price(limit))),
                (Some(price), None) | (None, Some(price)) => Some(format::price(price)),
                (None, None) => None,
            });
            let leg = leg_of(row).map(|(_, role)| role);
            let id = match leg {
                Some(LegRole::TakeProfit | LegRole::StopLoss) => format!("└ {}", row.order_id),
                _ => row.order_id.to_string(),
            };
            vec![
                if row.own { (id, roles.text) } else { (format!("*{id}"), roles.warning) },
                match (row.own, leg) {
                    (true, Some(LegRole::Entry)) => ("entry".to_string(), roles.header),
                    // The Id column draws the tree; the role is enough here.
                    (true, Some(LegRole::TakeProfit)) => ("tp".to_string(), roles.muted),
                    (true, Some(LegRole::StopLoss)) => ("sl".to_string(), roles.muted),
                    (true, None) => ("own".to_string(), roles.text),
                    (false, _) => (format!("cl {}", row.client_id), roles.warning),
                },
                text_or_missing(terms.map(|t| format::printable(&t.action))),
                text_or_missing(terms.map(|t| format::printable(&t.symbol))),
                (
                    format!(
                        "{}/{}",
                        format::quantity(row.lifecycle.filled_quantity()),
                        format::quantity(row.lifecycle.quantity())
                    ),
                    roles.text,
                ),
                text_or_missing(terms.map(|t| format::printable(&t.order_type))),
                match (terms, price) {
                    (Some(t), None) if t.order_type == "MKT" => ("MKT".to_string(), roles.muted),
                    (_, price) => text_or_missing(price),
                },
                text_or_missing(terms.map(|t| format::printable(&t.tif))),
                text_or_missing(row.lifecycle.average_price().map(format::price)),
                (shown.label().to_string(), status_style(shown, theme)),
            ]
        };
        render_table(table_area, buf, &COLUMNS, rows.len(), cells, ctx)
    };
    let rest = Rect { y: body.y + table_height, height: body.height - table_height, ..body };
    if rest.height == 0 {
        return drawn;
    }
    let timeline_height = if rest.height < 4 { rest.height } else { fraction(rest.height, 3, 5) };
    let timeline_area = Rect { height: timeline_height, ..rest };
    let executions_area = Rect { y: rest.y + timeline_height, height: rest.height - timeline_height, ..rest };
    let width = usize::from(inner.width);
    match rows.get(ctx.view.selected.min(rows.len().saturating_sub(1))) {
        Some(row) if leg_of(row).is_some() => {
            // A bracket: every leg's statuses, leg by leg.
            let group = leg_of(row).map(|(g, _)| g.to_string()).unwrap_or_default();
            let head = format!("Timeline of bracket {} (UTC)", format::printable(&group));
            let mut lines = Vec::new();
            // The selected leg first, then the others in leg order.
            let mut legs = legs_of(&rows, &group);
            legs.sort_by_key(|l| l.order_id != row.order_id);
            for leg in legs {
                let role = leg_of(leg).map_or("leg", |(_, r)| r.label());
                let terms = leg.terms.as_ref();
                let what = terms.map_or_else(String::new, |t| {
                    format!(" · {} {} {}", t.action, format::quantity(t.quantity), t.order_type)
                });
                let shown = leg.lifecycle.shown_status(ctx.now, ACK_TIMEOUT);
                lines.push(Line::from(vec![
                    Span::styled(format!("{role} #{}{what} · ", leg.order_id), roles.header),
                    Span::styled(shown.label().to_string(), status_style(shown, theme)),
                ]));
                for line in timeline_lines(leg, width.saturating_sub(2), theme) {
                    let mut spans = vec![Span::raw("  ")];
                    spans.extend(line.spans);
                    lines.push(Line::from(spans));
                }
            }
            section(timeline_area, buf, Line::styled(head, roles.header), lines, false, theme);
        }
        Some(row) => {
            let intent = row.lifecycle.intent_id();
            let head = if intent.is_empty() {
                format!("Timeline of order {} (UTC)", row.order_id)
            } else {
                format!("Timeline of order {} · {} (UTC)", row.order_id, format::printable(intent))
            };
            let lines = timeline_lines(row, width, theme);
            section(timeline_area, buf, Line::styled(head, roles.header), lines, true, theme);
        }
        None => {
            let lines = vec![Line::styled("no order selected", roles.muted)];
            section(timeline_area, buf, Line::styled("Timeline", roles.header), lines, true, theme);
        }
    }
    let executions = executions_of(store, account);
    let head = format!("Executions today ({})", executions.len());
    let lines: Vec<Line> = if executions.is_empty() {
        vec![Line::styled("none yet", roles.muted)]
    } else {
        executions.iter().map(|e| execution_line(e, theme)).collect()
    };
    section(executions_area, buf, Line::styled(head, roles.header), lines, false, theme);
    drawn
}

/// The orders pane as a widget, built each frame from the pane context.
pub struct OrdersPane<'a> {
    pub ctx: &'a PaneCtx<'a>,
}

impl Widget for OrdersPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let drawn = render(area, buf, self.ctx);
        self.ctx.view.drawn.set(drawn);
    }
}
