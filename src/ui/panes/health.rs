//! Connection health: where the gateway is, the session state, the handshake facts, each data
//! farm's last notice, time since the last message and the last notices with their codes.

use super::{pane_block, PaneCtx};
use crate::config::theme::Theme;
use crate::store::{ConnectionHealth, ConnectionState, DisconnectKind, Store};
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
        ConnectionState::Stale { since } => (
            format!("stale since {} UTC: no answer to the liveness probe; reconnecting", since.format("%H:%M:%S")),
            roles.health_degraded,
        ),
        ConnectionState::Reconnecting { attempt, next_try_at, reason } => {
            let wait = (*next_try_at - now).num_seconds().max(0);
            (format!("reconnecting (attempt {attempt}), next try in {wait}s: {reason}"), roles.health_degraded)
        }
        ConnectionState::Down { reason } => (format!("down: {reason}"), roles.health_failed),
    }
}

/// The theme role a session state is drawn in (status bars, monitor, health pane).
pub fn state_role(state: &ConnectionState, theme: &Theme) -> Style {
    let roles = &theme.roles;
    match state {
        ConnectionState::Live => roles.health_ok,
        ConnectionState::Degraded { .. } | ConnectionState::Stale { .. } | ConnectionState::Reconnecting { .. } => {
            roles.health_degraded
        }
        ConnectionState::Down { .. } => roles.health_failed,
        _ => roles.health_pending,
    }
}

/// What the trader can do about a long outage or a gateway that accepts but does not answer.
pub fn outage_hint(c: &ConnectionHealth, now: DateTime<Utc>) -> Option<String> {
    if let (ConnectionState::Degraded { .. }, Some(since)) = (&c.state, c.degraded_since) {
        let minutes = (now - since).num_minutes();
        return (minutes >= 3).then(|| {
            format!(
                "IB unreachable for {minutes} min with the gateway up: another login with this user (TWS, the \
                 mobile app) may have taken over, and IB Gateway then needs a new login"
            )
        });
    }
    let ConnectionState::Reconnecting { reason, .. } = &c.state else { return None };
    if reason.contains("does not finish the handshake") {
        return Some(
            "IB Gateway may be hung (restart it), or a freshly started paper gateway is waiting for its \
             'not a brokerage account' warning to be accepted (IBC: AcceptNonBrokerageAccountWarning=yes)"
                .into(),
        );
    }
    let minutes = c.outage_since.map(|since| (now - since).num_minutes()).unwrap_or(0);
    (minutes >= 2).then(|| {
        format!(
            "away for {minutes} min: IB Gateway may be restarting (daily) or waiting for a login or 2FA; robo-tui \
             keeps trying about every 30 s"
        )
    })
}

/// What kind of failure ended the last attempt or connection, in words.
pub fn failure_text(kind: DisconnectKind) -> &'static str {
    match kind {
        DisconnectKind::Unreachable => "unreachable: nothing listens there, or the network is in the way",
        DisconnectKind::Handshake => "handshake: the gateway answered but the API handshake did not finish",
        DisconnectKind::Lost => "lost: a working connection went away",
    }
}

/// A short state for the status bar.
pub fn state_short(state: &ConnectionState, now: DateTime<Utc>) -> String {
    match state {
        ConnectionState::Connecting { attempt } | ConnectionState::Handshaking { attempt } if *attempt > 1 => {
            format!("{} #{attempt}", state.label())
        }
        ConnectionState::Degraded { code } => format!("degraded {code}"),
        ConnectionState::Reconnecting { attempt, next_try_at, .. } => {
            format!("reconnecting #{attempt} in {}s", (*next_try_at - now).num_seconds().max(0))
        }
        other => other.label().to_string(),
    }
}

/// The label column.
const LABEL: usize = 10;

/// A `Label     value` line, the value wrapped under itself when it is too long.
fn field(out: &mut Vec<Line<'static>>, name: &str, value: &str, style: Style, width: usize, theme: &Theme) {
    for (i, part) in format::wrap(value, width.saturating_sub(LABEL).max(8)).into_iter().enumerate() {
        let label = if i == 0 { format!("{name:<LABEL$}") } else { " ".repeat(LABEL) };
        out.push(Line::from(vec![Span::styled(label, theme.roles.muted), Span::styled(part, style)]));
    }
}

/// Everything the pane shows, wrapped to `width`.
fn lines(store: &Store, now: DateTime<Utc>, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let c = &store.connection;
    let roles = &theme.roles;
    let mut out = Vec::new();
    // The session state first: in a small pane it is what must show.
    let (state, state_style) = state_text(&c.state, now, theme);
    field(&mut out, "Session", &state, state_style, width, theme);
    if let (ConnectionState::Down { .. } | ConnectionState::Reconnecting { .. }, Some(kind)) =
        (&c.state, c.last_failure)
    {
        field(&mut out, "Failure", failure_text(kind), state_style, width, theme);
    }
    let address = if c.address.is_empty() { MISSING } else { c.address.as_str() };
    let origin = if c.gateway_origin.is_empty() { String::new() } else { format!(" ({})", c.gateway_origin) };
    field(&mut out, "Gateway", &format!("{address}{origin}"), roles.text, width, theme);
    let server = c.server_version.map_or_else(|| MISSING.to_string(), |v| format!("v{v}"));
    let client = if c.address.is_empty() { MISSING.to_string() } else { c.client_id.to_string() };
    field(&mut out, "Server", &format!("{server} · client id {client}"), roles.text, width, theme);
    let connected = match (&c.connection_time, c.connected_at) {
        (Some(text), Some(at)) => format!("{text} ({} ago)", format::age(now, at)),
        (None, Some(at)) => format!("{} UTC ({} ago)", at.format("%H:%M:%S"), format::age(now, at)),
        (Some(text), None) => text.clone(),
        (None, None) => MISSING.to_string(),
    };
    field(&mut out, "Connected", &connected, roles.text, width, theme);
    if let Some(since) = c.outage_since {
        let lost = format!("{} UTC ({} ago)", since.format("%H:%M:%S"), format::age(now, since));
        field(&mut out, "Lost", &lost, roles.health_degraded, width, theme);
    }
    if let Some(hint) = outage_hint(c, now) {
        field(&mut out, "Hint", &hint, roles.warning, width, theme);
    }
    let last = c.last_message_at.map_or_else(|| MISSING.to_string(), |at| format!("{} ago", format::age(now, at)));
    field(&mut out, "Last msg", &last, roles.text, width, theme);
    let round_trip =
        c.round_trip.map_or_else(|| MISSING.to_string(), |d| format!("{:.1} ms", d.as_secs_f64() * 1000.0));
    field(&mut out, "RTT", &round_trip, roles.text, width, theme);
    if !c.managed_accounts.is_empty() {
        field(&mut out, "Accounts", &c.managed_accounts.join(", "), roles.text, width, theme);
    }
    subscription_lines(&mut out, store, now, theme);
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
    // Wide panes put the text beside time and code; narrow ones under them.
    let beside = width >= 50;
    let indent = if beside { 17 } else { 4 };
    for notice in c.notices.iter().rev().take(NOTICES_SHOWN) {
        let style = match notice.code {
            1100 | 2103 | 2105 | 2157 | 0 => roles.warning,
            _ => roles.text,
        };
        let head = vec![
            Span::styled(format!("  {} ", notice.at.format("%H:%M:%S")), roles.muted),
            // Code 0 marks robo-tui's own notices (a disconnect), which have no IB code.
            Span::styled(
                if notice.code == 0 { "   -- ".to_string() } else { format!("{:>5} ", notice.code) },
                roles.muted,
            ),
        ];
        let parts = format::wrap(&notice.text, width.saturating_sub(indent).max(8));
        if beside {
            for (i, part) in parts.into_iter().enumerate() {
                let mut spans = if i == 0 { head.clone() } else { vec![Span::raw(" ".repeat(indent))] };
                spans.push(Span::styled(part, style));
                out.push(Line::from(spans));
            }
        } else {
            out.push(Line::from(head));
            for part in parts {
                out.push(Line::from(vec![Span::raw(" ".repeat(indent)), Span::styled(part, style)]));
            }
        }
    }
    out
}

/// How fresh each subscription is: each `subscription:*` subsystem with its state and the
/// age of that state, then the newest quote tick.
fn subscription_lines(out: &mut Vec<Line<'static>>, store: &Store, now: DateTime<Utc>, theme: &Theme) {
    let roles = &theme.roles;
    out.push(Line::from(Span::styled("Subscriptions (age of state)", roles.header)));
    let mut any = false;
    for (id, status) in store.subsystems.iter().filter(|(id, _)| id.starts_with("subscription:")) {
        any = true;
        let name = id.trim_start_matches("subscription:");
        out.push(Line::from(vec![
            Span::styled(format!("  {:<14} ", format::truncate(&format::printable(name), 14)), roles.text),
            Span::styled(format!("{:<9}", status.health.label()), theme.health(status.health)),
            Span::styled(format::age(now, status.since), roles.muted),
        ]));
    }
    if !any {
        out.push(Line::from(Span::styled("  none registered yet", roles.muted)));
    }
    let newest = store.quotes.values().filter_map(|q| q.updated_at).max();
    let quotes = match newest {
        Some(at) => format!("last tick {} ago ({} symbols)", format::age(now, at), store.quotes.len()),
        None if store.quotes.is_empty() => "no quotes".to_string(),
        None => format!("no tick yet ({} symbols)", store.quotes.len()),
    };
    out.push(Line::from(vec![
        Span::styled(format!("  {:<14} ", "quotes"), roles.text),
        Span::styled(quotes, if newest.is_some() { roles.text } else { roles.muted }),
    ]));
}

fn render(area: Rect, buf: &mut Buffer, ctx: &PaneCtx) -> Drawn {
    let store = ctx.store;
    let extra = store.connection.state.label();
    let block = pane_block(PaneId::Health, extra, None, ctx);
    let inner = block.inner(area);
    block.render(area, buf);
    let lines = lines(store, ctx.now, ctx.theme, usize::from(inner.width));
    let page = usize::from(inner.height).max(1);
    let scrollable = lines.len().saturating_sub(page) + 1;
    let first = ctx.view.selected.min(scrollable - 1);
    ctx.view.offset.set(first);
    let scroll = u16::try_from(first).unwrap_or(u16::MAX);
    Paragraph::new(lines).style(ctx.theme.roles.text).scroll((scroll, 0)).render(inner, buf);
    Drawn { rows: scrollable, page }
}

/// The connection health pane as a widget, built each frame from the pane context.
pub struct HealthPane<'a> {
    pub ctx: &'a PaneCtx<'a>,
}

impl Widget for HealthPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let drawn = render(area, buf, self.ctx);
        self.ctx.view.drawn.set(drawn);
    }
}
