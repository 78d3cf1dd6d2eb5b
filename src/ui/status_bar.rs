//! The bottom line: account and PAPER/LIVE, connection state, time since the last message,
//! the focused pane and the keys for help and quit.

use super::format;
use super::panes::health::state_short;
use super::{RenderContext, ViewState};
use crate::config::keymap::Action;
use crate::store::{AccountKind, Store};
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

pub fn render(area: Rect, buf: &mut Buffer, store: &Store, view: &ViewState, ctx: &RenderContext) {
    let roles = &ctx.theme.roles;
    let bar = roles.status_bar;
    buf.set_style(area, bar);
    let mut left = Vec::new();
    match view.shown_account(store).map(|account| (account, AccountKind::of(account))) {
        Some((account, kind)) => {
            let badge = if kind == AccountKind::Live { roles.live_badge } else { roles.paper_badge };
            left.push(Span::styled(format!(" {account} "), bar));
            left.push(Span::styled(format!(" {} ", kind.label()), badge));
        }
        None => left.push(Span::styled(" no account ", bar)),
    }
    // A bracket interrupted between legs: first, where it cannot be missed.
    if let Some(alert) = &store.trading.group_alert {
        left.push(Span::styled(format!(" ⚠ {} ", format::printable(alert)), roles.live_badge));
    }
    let state = &store.connection.state;
    let state_style = crate::ui::panes::health::state_role(state, ctx.theme);
    left.push(Span::styled(" │ ", bar));
    left.push(Span::styled(state_short(state, ctx.now), bar.patch(state_style)));
    let last =
        store.connection.last_message_at.map_or_else(|| format::MISSING.to_string(), |at| format::age(ctx.now, at));
    left.push(Span::styled(format!(" │ last msg {last} │ {} ", view.focus.title()), bar));
    if view.zoomed {
        left.push(Span::styled("(zoomed) ", bar));
    }
    if view.is_typing() {
        let text = format::printable(&view.positions_filter.text);
        left.push(Span::styled(format!("│ filter /{text} (enter keeps, esc clears) "), bar.patch(roles.warning)));
    }

    let keymap = view.keymap();
    let key = |action| keymap.keys_for(action).first().map_or_else(String::new, |k| (*k).to_string());
    let mut hints = Vec::new();
    for (action, word) in [(Action::ToggleHelp, "help"), (Action::Quit, "quit")] {
        let k = key(action);
        if !k.is_empty() {
            hints.push(format!("{k} {word}"));
        }
    }
    let right = format!("{} ", hints.join("  "));
    let right_width = u16::try_from(right.chars().count()).unwrap_or(u16::MAX).min(area.width);
    let left_area = Rect { width: area.width.saturating_sub(right_width), ..area };
    let right_area = Rect { x: area.x + left_area.width, width: right_width, ..area };
    Paragraph::new(Line::from(left)).style(bar).render(left_area, buf);
    Paragraph::new(right).style(bar).alignment(Alignment::Right).render(right_area, buf);
}
