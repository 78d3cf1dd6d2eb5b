//! The monitor's pieces: status line, account figures, positions and signals, each drawn to
//! fit the room it gets, in Unicode or plain ASCII.

use super::MonitorContext;
use crate::store::{AccountKind, AccountState, PositionRow, Store};
use crate::ui::format::{self, MISSING};
use crate::ui::panes::health::{state_role, state_short};
use crate::ui::sparkline::sparkline;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::symbols::border;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};
use rust_decimal::Decimal;

const ASCII_BORDER: border::Set = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

/// `text` made safe to draw: control characters become spaces and, in ASCII mode, anything
/// outside ASCII becomes `?`.
fn clean(text: &str, ascii: bool) -> String {
    let text = format::printable(text);
    if ascii {
        text.chars().map(|c| if c.is_ascii() { c } else { '?' }).collect()
    } else {
        text
    }
}

/// `text` cut to `width` characters, marking the cut (`~` in ASCII, `…` otherwise).
fn fit(text: &str, width: usize, ascii: bool) -> String {
    if ascii && text.chars().count() > width {
        if width == 0 {
            return String::new();
        }
        let mut out: String = text.chars().take(width - 1).collect();
        out.push('~');
        return out;
    }
    format::truncate(text, width)
}

fn sep(ascii: bool) -> &'static str {
    if ascii {
        " | "
    } else {
        " │ "
    }
}

/// Spans drawn on one row of `area` at `y`, cut to its width.
fn put(area: Rect, y: u16, buf: &mut Buffer, spans: Vec<Span>, ascii: bool) {
    if y >= area.bottom() || area.width == 0 {
        return;
    }
    let mut room = usize::from(area.width);
    let mut out = Vec::new();
    for span in spans {
        if room == 0 {
            break;
        }
        let text = fit(&clean(&span.content, ascii), room, ascii);
        room = room.saturating_sub(text.chars().count());
        out.push(Span::styled(text, span.style));
    }
    Line::from(out).render(Rect { y, height: 1, ..area }, buf);
}

struct Summary<'a> {
    account: Option<&'a str>,
    kind: Option<AccountKind>,
    state: &'a AccountState,
}

fn summary(store: &Store) -> Option<Summary<'_>> {
    let account = store.primary_account();
    let state = account.and_then(|a| store.accounts.get(a))?;
    Some(Summary { account, kind: store.account_kind(), state })
}

fn net_liq_text(state: Option<&AccountState>) -> (String, String) {
    let figure = state.and_then(|s| s.figure("NetLiquidation"));
    match figure.and_then(|f| f.value.map(|v| (v, f.currency.clone()))) {
        Some((value, currency)) => (format::money(value), currency),
        None => (MISSING.to_string(), String::new()),
    }
}

/// `(label, value)` spans of the account P&L, each signed.
fn pnl_spans<'a>(state: Option<&AccountState>, ctx: &MonitorContext, with_realized: bool) -> Vec<Span<'a>> {
    let roles = &ctx.theme.roles;
    let pnl = state.and_then(|s| s.pnl.as_ref());
    let mut figures = vec![("day ", pnl.and_then(|p| p.daily)), ("unrl ", pnl.and_then(|p| p.unrealized))];
    if with_realized {
        figures.push(("real ", pnl.and_then(|p| p.realized)));
    }
    let mut spans = Vec::new();
    for (i, (label, value)) in figures.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(label, roles.muted));
        spans.push(match value {
            Some(v) => Span::styled(format::signed_money(v), ctx.theme.pnl(v)),
            None => Span::styled(MISSING, roles.muted),
        });
    }
    spans
}

/// Account, PAPER/LIVE, connection state, last update age, then "read-only" (or the notice).
fn status_line(area: Rect, buf: &mut Buffer, store: &Store, ctx: &MonitorContext, long: bool) {
    let roles = &ctx.theme.roles;
    let bar = roles.status_bar;
    buf.set_style(Rect { height: 1, ..area }, bar);
    let mut spans = Vec::new();
    match (store.primary_account(), store.account_kind()) {
        (Some(account), Some(kind)) => {
            let badge = if kind == AccountKind::Live { roles.live_badge } else { roles.paper_badge };
            spans.push(Span::styled(format!("{account} "), bar));
            spans.push(Span::styled(kind.label(), badge));
        }
        _ => spans.push(Span::styled("no account", bar)),
    }
    spans.push(Span::styled(sep(ctx.ascii), bar));
    let state = &store.connection.state;
    spans.push(Span::styled(state_short(state, ctx.now), bar.patch(state_role(state, ctx.theme))));
    let age = store.connection.last_message_at.map_or_else(|| MISSING.to_string(), |at| format::age(ctx.now, at));
    spans.push(Span::styled(format!("{}upd {age}", sep(ctx.ascii)), bar));
    match ctx.notice {
        Some(notice) => {
            spans.push(Span::styled(sep(ctx.ascii), bar));
            spans.push(Span::styled(notice.to_string(), bar.patch(roles.warning)));
        }
        None if long => spans.push(Span::styled(format!("{}read-only monitor", sep(ctx.ascii)), bar)),
        None => {}
    }
    put(area, area.y, buf, spans, ctx.ascii);
}

fn framed(area: Rect, buf: &mut Buffer, title: &str, ctx: &MonitorContext) -> Rect {
    let mut block = Block::default().borders(Borders::ALL).border_style(ctx.theme.roles.border).title(Span::styled(
        format!(" {} ", fit(title, usize::from(area.width.saturating_sub(4)), ctx.ascii)),
        ctx.theme.roles.title,
    ));
    if ctx.ascii {
        block = block.border_set(ASCII_BORDER);
    }
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}

/// NetLiq, P&L and the NetLiq sparkline over `area`'s rows (as many as fit).
fn account_lines(area: Rect, buf: &mut Buffer, store: &Store, ctx: &MonitorContext, wide: bool) {
    let roles = &ctx.theme.roles;
    let found = summary(store);
    let state = found.as_ref().map(|s| s.state);
    if found.is_none() {
        put(area, area.y, buf, vec![Span::styled("waiting for an account", roles.muted)], ctx.ascii);
        return;
    }
    let (value, currency) = net_liq_text(state);
    let loading = state.is_some_and(|s| !s.summary_complete);
    let mut first = vec![
        Span::styled("Net Liq ", roles.muted),
        Span::styled(value, roles.text),
        Span::styled(format!(" {currency}"), roles.muted),
    ];
    if loading {
        first.push(Span::styled("  (loading)", roles.muted));
    }
    put(area, area.y, buf, first, ctx.ascii);
    put(area, area.y + 1, buf, pnl_spans(state, ctx, wide), ctx.ascii);
    if area.height >= 3 {
        let history = state.map(|s| &s.net_liq_history);
        let label = "NetLiq trend ";
        let width = usize::from(area.width).saturating_sub(label.len());
        let line = history.map(|h| sparkline(h.iter(), width, ctx.ascii)).unwrap_or_default();
        let (text, style) = if line.is_empty() { (MISSING.to_string(), roles.muted) } else { (line, roles.text) };
        put(area, area.y + 2, buf, vec![Span::styled(label, roles.muted), Span::styled(text, style)], ctx.ascii);
    }
}

/// A positions column: header, width, and the cell of a row.
struct Col {
    header: &'static str,
    width: usize,
    right: bool,
    cell: fn(&PositionRow) -> (String, Option<Decimal>),
}

fn pnl_cell(value: Option<Decimal>) -> (String, Option<Decimal>) {
    (format::or_missing(value, format::signed_money), value)
}

const COLS: [Col; 6] = [
    Col { header: "Symbol", width: 7, right: false, cell: |r| (r.symbol.clone(), None) },
    Col { header: "Qty", width: 8, right: true, cell: |r| (format::quantity(r.quantity), None) },
    Col { header: "Unrl P&L", width: 12, right: true, cell: |r| pnl_cell(r.unrealized_pnl) },
    Col { header: "Day P&L", width: 11, right: true, cell: |r| pnl_cell(r.daily_pnl) },
    Col {
        header: "Mkt Px",
        width: 10,
        right: true,
        cell: |r| (format::or_missing(r.market_price, format::price), None),
    },
    Col {
        header: "Mkt Value",
        width: 13,
        right: true,
        cell: |r| (format::or_missing(r.market_value, format::money), None),
    },
];

/// The columns that fit `width`, in the order above (most important first).
fn cols_for(width: usize, most: usize) -> Vec<&'static Col> {
    let mut used = 0;
    let mut out = Vec::new();
    for col in COLS.iter().take(most) {
        let need = col.width + usize::from(!out.is_empty());
        if used + need > width {
            break;
        }
        used += need;
        out.push(col);
    }
    out
}

fn pad(text: &str, width: usize, right: bool, ascii: bool) -> String {
    let text = fit(&clean(text, ascii), width, ascii);
    if right {
        format!("{text:>width$}")
    } else {
        format!("{text:<width$}")
    }
}

/// A header and as many position rows as fit, or why there are none.
fn positions(area: Rect, buf: &mut Buffer, store: &Store, ctx: &MonitorContext, most: usize, header: bool) {
    let roles = &ctx.theme.roles;
    if area.height == 0 {
        return;
    }
    let mut rows: Vec<&PositionRow> = match store.primary_account() {
        Some(account) => store.positions_of(account).map(|(_, r)| r).collect(),
        None => store.positions.values().collect(),
    };
    rows.sort_by(|a, b| a.symbol.cmp(&b.symbol));
    if rows.is_empty() {
        let text = if store.positions_complete { "flat: no open positions" } else { "waiting for positions" };
        put(area, area.y, buf, vec![Span::styled(text, roles.muted)], ctx.ascii);
        return;
    }
    let cols = cols_for(usize::from(area.width), most);
    let mut y = area.y;
    if header {
        let spans: Vec<Span> = cols
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let text = pad(c.header, c.width, c.right, ctx.ascii);
                Span::styled(if i > 0 { format!(" {text}") } else { text }, roles.header)
            })
            .collect();
        put(area, y, buf, spans, ctx.ascii);
        y += 1;
    }
    let room = usize::from(area.bottom().saturating_sub(y));
    let more = rows.len().saturating_sub(room);
    let shown = if more > 0 { room.saturating_sub(1) } else { room };
    for row in rows.iter().take(shown) {
        let spans: Vec<Span> = cols
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (text, sign) = (c.cell)(row);
                let style = match sign {
                    Some(v) => ctx.theme.pnl(v),
                    None if text == MISSING => roles.muted,
                    None => roles.text,
                };
                let text = pad(&text, c.width, c.right, ctx.ascii);
                Span::styled(if i > 0 { format!(" {text}") } else { text }, style)
            })
            .collect();
        put(area, y, buf, spans, ctx.ascii);
        y += 1;
    }
    if more > 0 && y < area.bottom() {
        let hidden = rows.len() - shown;
        let text = if shown == 0 { format!("{hidden} positions") } else { format!("+{hidden} more") };
        put(area, y, buf, vec![Span::styled(text, roles.muted)], ctx.ascii);
    }
}

/// The newest signals, newest first.
fn signals(area: Rect, buf: &mut Buffer, store: &Store, ctx: &MonitorContext) {
    let roles = &ctx.theme.roles;
    if store.signals.is_empty() {
        let text = if store.strategies_configured == 0 { "no strategy configured" } else { "no signals yet" };
        put(area, area.y, buf, vec![Span::styled(text, roles.muted)], ctx.ascii);
        return;
    }
    for (i, signal) in store.signals.iter().rev().take(usize::from(area.height)).enumerate() {
        let y = area.y + u16::try_from(i).unwrap_or(u16::MAX);
        let side_style = match signal.side {
            crate::store::SignalSide::Buy => roles.gain,
            crate::store::SignalSide::Sell => roles.loss,
            crate::store::SignalSide::Flat => roles.text,
        };
        let spans = vec![
            Span::styled(format!("{} ", signal.at.format("%H:%M:%S")), roles.muted),
            Span::styled(format!("{:<4} ", signal.side.label()), side_style),
            Span::styled(format!("{:<7} ", signal.symbol), roles.text),
            Span::styled(format!("{} ", format::grouped(signal.strength, 2)), roles.text),
            Span::styled(format!("{} ", signal.strategy), roles.muted),
            Span::styled(signal.reason.clone(), roles.muted),
        ];
        put(area, y, buf, spans, ctx.ascii);
    }
}

/// Below 20x5: one line with what matters most, the longest form that fits: account kind,
/// connection state, NetLiquidation and the day's P&L, dropping words before figures.
pub fn one_line(area: Rect, buf: &mut Buffer, store: &Store, ctx: &MonitorContext) {
    let roles = &ctx.theme.roles;
    let found = summary(store);
    let state = found.as_ref().map(|s| s.state);
    let kind = found.as_ref().and_then(|s| s.kind).map(|k| Span::styled(format!("{} ", k.label()), roles.text));
    let conn = &store.connection.state;
    let conn = Span::styled(format!("{} ", conn.label()), state_role(conn, ctx.theme));
    let net_liq = state.and_then(|s| s.value("NetLiquidation"));
    let nl = |dp| Span::styled(format::or_missing(net_liq, |v| format::grouped(v, dp)), roles.text);
    let daily = state.and_then(|s| s.pnl.as_ref()).and_then(|p| p.daily);
    let day = match daily {
        Some(v) => Span::styled(format::signed_money(v), ctx.theme.pnl(v)),
        None => Span::styled(MISSING, roles.muted),
    };
    let label = |text: &'static str| Span::styled(text, roles.muted);
    let mut full = Vec::new();
    full.extend(kind);
    full.extend([conn.clone(), label("NL "), nl(2), label(" day "), day.clone()]);
    let candidates = [
        full,
        vec![conn, label("NL "), nl(2), label(" day "), day.clone()],
        vec![label("NL "), nl(2), label(" "), day.clone()],
        vec![nl(2), label(" "), day.clone()],
        vec![nl(0), label(" "), day],
    ];
    let width = usize::from(area.width);
    let fits = |spans: &Vec<Span>| spans.iter().map(|s| s.content.chars().count()).sum::<usize>() <= width;
    let last = candidates.len() - 1;
    let chosen = candidates.into_iter().enumerate().find(|(i, c)| *i == last || fits(c)).map(|(_, c)| c);
    put(area, area.y, buf, chosen.unwrap_or_default(), ctx.ascii);
}

/// 20x5 to 40x10: status, NetLiq, P&L one per line, then positions without a header.
pub fn tiny(area: Rect, buf: &mut Buffer, store: &Store, ctx: &MonitorContext) {
    let roles = &ctx.theme.roles;
    // No room for the account id: kind, state and age.
    let bar = roles.status_bar;
    buf.set_style(Rect { height: 1, ..area }, bar);
    let conn = &store.connection.state;
    let age = store.connection.last_message_at.map_or_else(|| MISSING.to_string(), |at| format::age(ctx.now, at));
    let kind = match store.account_kind() {
        Some(kind) => {
            let badge = if kind == AccountKind::Live { roles.live_badge } else { roles.paper_badge };
            Span::styled(kind.label(), badge)
        }
        None => Span::styled("no account", bar),
    };
    let status = match ctx.notice {
        Some(_) => vec![kind, Span::styled(" read-only", bar.patch(roles.warning))],
        None => vec![
            kind,
            Span::styled(" ", bar),
            Span::styled(state_short(conn, ctx.now), bar.patch(state_role(conn, ctx.theme))),
            Span::styled(format!(" {age}"), bar),
        ],
    };
    put(area, area.y, buf, status, ctx.ascii);
    let found = summary(store);
    let state = found.as_ref().map(|s| s.state);
    let (value, _) = net_liq_text(state);
    put(area, area.y + 1, buf, vec![Span::styled("NL ", roles.muted), Span::styled(value, roles.text)], ctx.ascii);
    let pnl = pnl_spans(state, ctx, false);
    // Two figures on their own lines: day, then unrealized.
    let (day, unrl) = pnl.split_at(pnl.len().min(2));
    put(area, area.y + 2, buf, day.to_vec(), ctx.ascii);
    put(area, area.y + 3, buf, unrl.iter().skip(1).cloned().collect(), ctx.ascii);
    let rest = Rect { y: area.y + 4, height: area.height - 4, ..area };
    positions(rest, buf, store, ctx, 3, false);
}

/// 40x10 to 60x15: no borders; status, NetLiq, P&L, sparkline, positions with three columns.
pub fn small(area: Rect, buf: &mut Buffer, store: &Store, ctx: &MonitorContext) {
    status_line(area, buf, store, ctx, false);
    let account = Rect { y: area.y + 1, height: 3, ..area };
    account_lines(account, buf, store, ctx, false);
    let rest = Rect { y: area.y + 4, height: area.height - 4, ..area };
    positions(rest, buf, store, ctx, 3, true);
}

/// 60x15 and up: framed account and positions; from 80x24 (`full`) more columns and the
/// last signals.
pub fn boxed(area: Rect, buf: &mut Buffer, store: &Store, ctx: &MonitorContext, full: bool) {
    status_line(area, buf, store, ctx, true);
    let body = Rect { y: area.y + 1, height: area.height - 1, ..area };
    let account_height = 5;
    let signals_height = if full { (body.height / 4).clamp(6, 12) } else { 0 };
    let positions_height = body.height.saturating_sub(account_height + signals_height);
    let account_area = Rect { height: account_height, ..body };
    let title = match summary(store).and_then(|s| s.account) {
        Some(account) => format!("Account {account}"),
        None => "Account".to_string(),
    };
    let inner = framed(account_area, buf, &title, ctx);
    account_lines(inner, buf, store, ctx, full);
    let positions_area = Rect { y: body.y + account_height, height: positions_height, ..body };
    let inner = framed(positions_area, buf, "Positions", ctx);
    positions(inner, buf, store, ctx, if full { COLS.len() } else { 4 }, true);
    if full {
        let signals_area =
            Rect { y: positions_area.bottom(), height: body.bottom().saturating_sub(positions_area.bottom()), ..body };
        let inner = framed(signals_area, buf, "Last signals (UTC)", ctx);
        signals(inner, buf, store, ctx);
    }
}
