//! Connection health: where the gateway is, the session state, the handshake facts, each data
//! farm's last notice, time since the last message and the last notices with their codes.

use super::{pane_block, PaneCtx};
use crate::config::theme::Theme;
use crate::store::{ConnectionState, Store};
use crate::ui::format::{self, MISSING};
use crate::ui::view_state::{Drawn, PaneId};
use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// How many of the newest notices the pane lists.
const NOTICES_SHOWN: usize = 20;

/// The session state in words, and the role it is shown in.
pub fn state_text(state: &ConnectionState, now: DateTime<Utc>, theme: &Theme) -> (String, Style) {
    let roles = &theme.roles;
    match state {
        ConnectionState::Idle => ("idle: not connected yet".to_string(), roles.health_pending),
        ConnectionState::Connecting { attempt } => (format!("connecting (attempt {attempt})"), roles.health_pending),
        ConnectionState::Handshaking { attempt } => (format!("handshaking (attempt {attempt})"), roles.health_pending),
        ConnectionState::Reconciling => {
            ("reconciling: fetching account and positions".to_string(), roles.health_pending)
        }
        ConnectionState::Live => ("live".to_string(), roles.health_ok),
        ConnectionState::Degraded { code } => {
            (format!("degraded (code {code}): the gateway lost its link to IB"), roles.health_degraded)
        }
        ConnectionState::Reconnecting { attempt, next_try_at } => {
            let wait = (*next_try_at - now).num_seconds().max(0);
            (format!("reconnecting (attempt {attempt}), next try in {wait}s"), roles.health_degraded)
        }
        ConnectionState::Down { reason } => (format!("down: {reason}"), roles.health_failed),
    }
}

/// A short state for the status bar.
pub fn state_short(state: &ConnectionState, now: DateTime<Utc>) -> String {
    match state {
        ConnectionState::Connecting { attempt } | ConnectionState::Handshaking { attempt } if *attempt > 1 => {
            format!("{} #{attempt}", state.label())
        }
        ConnectionState::Degraded { code } => format!("degraded {code}"),
        ConnectionState::Reconnecting { attempt, next_try_at } => {
            format!("reconnecting #{attempt} in {}s", (*next_try_at - now).num_seconds().max(0))
        }
        other => other.label().to_string(),
    }
}

fn lines<'a>(store: &'a Store, now: DateTime<Utc>, theme: &Theme) -> Vec<Line<'a>> {
    let c = &store.connection;
    let roles = &theme.roles;
    let field = |name: &'static str, value: String, style: Style| {
        Line::from(vec![Span::styled(format!("{name:<10}"), roles.muted), Span::styled(value, style)])
    };
    let or_missing = |text: String| if text.is_empty() { MISSING.to_string() } else { text };
    let mut out = Vec::new();
    let origin = if c.gateway_origin.is_empty() { String::new() } else { format!(" ({})", c.gateway_origin) };
    out.push(field("Gateway", format!("{}{origin}", or_missing(c.address.clone())), roles.text));
    let (state, state_style) = state_text(&c.state, now, theme);
    out.push(field("Session", state, state_style));
    let server = c.server_version.map_or_else(|| MISSING.to_string(), |v| format!("v{v}"));
    let client = if c.address.is_empty() { MISSING.to_string() } else { c.client_id.to_string() };
    out.push(field("Server", format!("{server} · client id {client}"), roles.text));
    let connected = match (&c.connection_time, c.connected_at) {
        (Some(text), Some(at)) => format!("{text} ({} ago)", format::age(now, at)),
        (None, Some(at)) => format!("{} UTC ({} ago)", at.format("%H:%M:%S"), format::age(now, at)),
        (Some(text), None) => text.clone(),
        (None, None) => MISSING.to_string(),
    };
    out.push(field("Connected", connected, roles.text));
    let last = c.last_message_at.map_or_else(|| MISSING.to_string(), |at| format!("{} ago", format::age(now, at)));
    out.push(field("Last msg", last, roles.text));
    let round_trip =
        c.round_trip.map_or_else(|| MISSING.to_string(), |d| format!("{:.1} ms", d.as_secs_f64() * 1000.0));
    out.push(field("RTT", round_trip, roles.text));
    if !c.managed_accounts.is_empty() {
        out.push(field("Accounts", c.managed_accounts.join(", "), roles.text));
    }
    out.push(Line::from(Span::styled("Data farms", roles.header)));
    if c.farms.is_empty() {
        out.push(Line::from(Span::styled("  no farm notices yet", roles.muted)));
    }
    for (name, farm) in &c.farms {
        let (word, style) = if farm.ok { ("OK", roles.health_ok) } else { ("broken", roles.health_failed) };
        out.push(Line::from(vec![
            Span::styled(format!("  {name:<10} "), roles.text),
            Span::styled(format!("{word:<7}"), style),
            Span::styled(format!("{:>5} ", farm.code), roles.muted),
            Span::styled(format::age(now, farm.at), roles.muted),
        ]));
    }
    out.push(Line::from(Span::styled("Notices (UTC, newest first)", roles.header)));
    if c.notices.is_empty() {
        out.push(Line::from(Span::styled("  none yet", roles.muted)));
    }
    for notice in c.notices.iter().rev().take(NOTICES_SHOWN) {
        let style = match notice.code {
            1100 | 2103 | 2105 | 2157 | 0 => roles.warning,
            _ => roles.text,
        };
        out.push(Line::from(vec![
            Span::styled(format!("  {} ", notice.at.format("%H:%M:%S")), roles.muted),
            Span::styled(format!("{:>5} ", notice.code), roles.muted),
            Span::styled(notice.text.as_str(), style),
        ]));
    }
    out
}

pub fn line_count(store: &Store) -> usize {
    let c = &store.connection;
    7 - usize::from(c.managed_accounts.is_empty())
        + 1
        + c.farms.len().max(1)
        + 1
        + c.notices.len().clamp(1, NOTICES_SHOWN)
}

pub fn render(area: Rect, buf: &mut Buffer, ctx: &PaneCtx) -> Drawn {
    let store = ctx.store;
    let extra = store.connection.state.label();
    let block = pane_block(PaneId::Health, extra, None, ctx);
    let inner = block.inner(area);
    block.render(area, buf);
    let lines = lines(store, ctx.now, ctx.theme);
    let page = usize::from(inner.height).max(1);
    let scrollable = lines.len().saturating_sub(page) + 1;
    let first = ctx.view.selected.min(scrollable - 1);
    ctx.view.offset.set(first);
    let scroll = u16::try_from(first).unwrap_or(u16::MAX);
    Paragraph::new(lines).style(ctx.theme.roles.text).scroll((scroll, 0)).render(inner, buf);
    Drawn { rows: scrollable, page }
}
