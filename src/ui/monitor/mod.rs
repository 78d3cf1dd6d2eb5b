//! The read-only monitor: one screen, laid out by size, that never offers order entry.
//!
//! ```text
//! 80x24 and up   status line · account (NetLiq, P&L, sparkline) · positions · last signals
//! 60x15          status line · account · positions (fewer columns)
//! 40x10          no borders: status, NetLiq and P&L, sparkline, positions (three columns)
//! 20x5           no borders: status, NetLiq, P&L, a few positions
//! smaller        one summary line
//! ```
//! `ascii` draws with `+-|` borders and a `_.-=#` sparkline, nothing outside ASCII. P&L
//! always carries its sign so it reads without colour.

mod parts;
#[cfg(test)]
mod tests;

use crate::config::keymap::Action;
use crate::config::theme::Theme;
use crate::store::Store;
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::Frame;

/// What the monitor shows when an order key is pressed.
pub const READ_ONLY_MESSAGE: &str = "read-only monitor: this session never sends orders";

/// What a monitor frame needs besides the store.
pub struct MonitorContext<'a> {
    pub now: DateTime<Utc>,
    pub theme: &'a Theme,
    /// Plain ASCII borders and symbols only.
    pub ascii: bool,
    /// A message the app shows on the status line for a while (e.g. [`READ_ONLY_MESSAGE`]
    /// after an order key).
    pub notice: Option<&'a str>,
}

impl<'a> MonitorContext<'a> {
    pub fn new(now: DateTime<Utc>, theme: &'a Theme, ascii: bool) -> Self {
        MonitorContext { now, theme, ascii, notice: None }
    }

    pub fn with_notice(self, notice: Option<&'a str>) -> Self {
        MonitorContext { notice, ..self }
    }
}

/// The arrangement used at a size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonitorLayout {
    /// Nothing to draw on.
    Nothing,
    OneLine,
    Tiny,
    Small,
    Medium,
    Full,
}

impl MonitorLayout {
    pub fn for_size(width: u16, height: u16) -> MonitorLayout {
        match (width, height) {
            (0, _) | (_, 0) => MonitorLayout::Nothing,
            (w, h) if w >= 80 && h >= 24 => MonitorLayout::Full,
            (w, h) if w >= 60 && h >= 15 => MonitorLayout::Medium,
            (w, h) if w >= 40 && h >= 10 => MonitorLayout::Small,
            (w, h) if w >= 20 && h >= 5 => MonitorLayout::Tiny,
            _ => MonitorLayout::OneLine,
        }
    }
}

/// Draw the monitor into the frame.
pub fn draw_monitor(frame: &mut Frame, store: &Store, ctx: &MonitorContext) {
    let area = frame.area();
    render_monitor(area, frame.buffer_mut(), store, ctx);
}

/// Draw the monitor into `buf` over `area` (what [`draw_monitor`] does).
pub fn render_monitor(area: Rect, buf: &mut Buffer, store: &Store, ctx: &MonitorContext) {
    let area = area.intersection(buf.area);
    match MonitorLayout::for_size(area.width, area.height) {
        MonitorLayout::Nothing => {}
        MonitorLayout::OneLine => parts::one_line(area, buf, store, ctx),
        MonitorLayout::Tiny => parts::tiny(area, buf, store, ctx),
        MonitorLayout::Small => parts::small(area, buf, store, ctx),
        MonitorLayout::Medium => parts::boxed(area, buf, store, ctx, false),
        MonitorLayout::Full => parts::boxed(area, buf, store, ctx, true),
    }
}

/// Whether `action` would enter, change or cancel an order; in the monitor such a key only
/// says [`READ_ONLY_MESSAGE`]. Matched by the action's keymap name, so order actions added to
/// the keymap later are covered.
pub fn monitor_key_message(action: Action) -> Option<&'static str> {
    let name = action.name();
    let order_words = ["ticket", "order", "cancel", "modify", "buy", "sell", "flatten", "halt", "resume", "submit"];
    order_words.iter().any(|w| name.contains(w)).then_some(READ_ONLY_MESSAGE)
}

/// The same for a key press the keymap does not bind in the monitor: the order entry keys
/// (`b`, `s`, `o`, `c`, `C`, `m`, `H`) say [`READ_ONLY_MESSAGE`].
pub fn monitor_key_press_message(key: &KeyEvent) -> Option<&'static str> {
    if key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
        return None;
    }
    match key.code {
        KeyCode::Char('b' | 's' | 'o' | 'c' | 'C' | 'm' | 'H') => Some(READ_ONLY_MESSAGE),
        _ => None,
    }
}
