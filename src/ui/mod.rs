//! The cockpit's panes, popups and layout. Rendering is a pure function of `&Store`, the view
//! state and the theme; the only thing a draw writes is the layout it used (pane rectangles,
//! row counts and scroll offsets, kept in cells of the view state) so that mouse input and
//! paging know what is on screen.
//!
//! The app calls [`draw`] each frame, [`handle_key`] with each key press first (the order
//! ticket and popups take keys while open), then [`handle_action`] with the keymap's
//! [`Action`]s (`crate::config::keymap`), [`handle_tick`] on the tick, and [`handle_mouse`]
//! with mouse events. [`ActionOutcome::Trade`] carries the ticket's requests (see [`ticket`]).
//! Build the view with [`ViewState::with_keymap`] so the help overlay and the status bar show
//! the active keymap.
//!
//! Adding a pane: a `PaneId` variant, a module in `panes/` with its `*Pane` widget, a slot in
//! `layout::cockpit`, a `focus_pane_N` row in the default keymap, and tests with snapshots.
//!
//! While [`ViewState::is_typing`] (the positions filter after `/`), the app hands each key to
//! [`handle_key`] first and to the keymap only when that returns `Ignored`.
//!
//! The read-only monitor draws with [`draw_monitor`]; `robo-tui snapshot` renders either
//! screen to text with [`render_text`].
//!
//! [`Action`]: crate::config::keymap::Action

pub mod format;
mod help;
mod input;
pub mod layout;
pub mod monitor;
pub mod panes;
pub mod sparkline;
mod status_bar;
pub mod text;
pub mod ticket;
mod view_state;

#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_trading;

pub use input::{handle_action, handle_filter_key, handle_mouse, ActionOutcome};
pub use monitor::{
    draw_monitor, monitor_key_message, monitor_key_press_message, render_monitor, MonitorContext, MonitorLayout,
    READ_ONLY_MESSAGE,
};
pub use text::render_text;
pub use ticket::{TicketSeed, TradeRequest};
pub use view_state::{FilterState, PaneId, PaneViewState, SortState, ViewState};

use crate::config::theme::Theme;
use crate::store::Store;
use chrono::{DateTime, Utc};
use layout::Screen;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::widgets::{Paragraph, Widget, Wrap};
use ratatui::Frame;

/// What a frame needs besides the store and the view: the clock, the theme and the log tail.
pub struct RenderContext<'a> {
    pub now: DateTime<Utc>,
    pub theme: &'a Theme,
    /// The newest log lines, oldest first.
    pub log_tail: &'a [String],
}

/// Draw the whole cockpit into the frame.
pub fn draw(frame: &mut Frame, store: &Store, view: &ViewState, ctx: &RenderContext) {
    let area = frame.area();
    render(area, frame.buffer_mut(), store, view, ctx);
}

/// Draw the whole cockpit into `buf` over `area` (what [`draw`] does; benches and tests call it
/// without a terminal).
pub fn render(area: Rect, buf: &mut Buffer, store: &Store, view: &ViewState, ctx: &RenderContext) {
    let zoom = view.zoomed.then_some(view.focus);
    match layout::cockpit(area, zoom, view.main_slot) {
        Screen::TooSmall => {
            view.forget_layout();
            too_small(area, buf, ctx);
        }
        Screen::Cockpit { panes, status } => {
            view.forget_layout();
            for (pane, rect) in panes {
                let pane_ctx = panes::PaneCtx {
                    store,
                    theme: ctx.theme,
                    now: ctx.now,
                    log_tail: ctx.log_tail,
                    focused: pane == view.focus,
                    view: view.pane(pane),
                    cockpit: view,
                };
                let drawn = panes::render(pane, rect, buf, &pane_ctx);
                view.remember(pane, rect, drawn);
            }
            status_bar::render(status, buf, store, view, ctx);
            ticket::render(area, buf, store, &view.ticket, ctx.theme, ctx.now);
            if view.help_open {
                help::render(area, buf, view, ctx.theme);
            }
        }
    }
}

/// A key press, before the keymap: while an order popup is open it takes every key (typing,
/// Tab, Enter, Esc) and answers `Some`; otherwise `None` and the app looks the key up in the
/// keymap and calls [`handle_action`]. `now` is the clock the ticket's checks use.
pub fn handle_key(
    view: &mut ViewState,
    key: &crossterm::event::KeyEvent,
    store: &Store,
    now: DateTime<Utc>,
) -> Option<ActionOutcome> {
    if let Some(outcome) = view.ticket.handle_key(key, store, now) {
        return Some(outcome);
    }
    match input::handle_filter_key(view, key) {
        ActionOutcome::Ignored => None,
        outcome => Some(outcome),
    }
}

/// The tick: the ticket asks to resolve a symbol the trader paused on.
pub fn handle_tick(view: &mut ViewState, store: &Store, now: DateTime<Utc>) -> Option<ActionOutcome> {
    view.ticket.handle_tick(store, now)
}

fn too_small(area: Rect, buf: &mut Buffer, ctx: &RenderContext) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let text = format!(
        "terminal too small: need {}x{} (now {}x{})",
        layout::MIN_WIDTH,
        layout::MIN_HEIGHT,
        area.width,
        area.height
    );
    let y = area.y + area.height.saturating_sub(1) / 2;
    let line = Rect { x: area.x, y, width: area.width, height: area.height - (y - area.y) };
    Paragraph::new(text)
        .style(ctx.theme.roles.warning)
        .alignment(Alignment::Center)
        .wrap(Wrap { trim: true })
        .render(line, buf);
}
