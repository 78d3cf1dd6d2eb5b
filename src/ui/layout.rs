//! Where each pane goes. One arrangement from 80x24 to wide screens:
//!
//! ```text
//! ┌ Accounts ─┐┌ Positions ──────────────┐
//! └───────────┘└─────────────────────────┘
//! ┌ Connection ┐┌ Signals ──┐┌ Diagnostics┐
//! └────────────┘└───────────┘└────────────┘
//!  status bar
//! ```
//! Accounts keeps the width its figures need; Positions takes the rest of the top row. The
//! top row grows with the screen. Zoom gives the focused pane everything above the status bar.
//!
//! Below [`FULL_WIDTH`]x[`FULL_HEIGHT`] the Positions slot is shared: it shows whichever of
//! Positions, Watchlist (6) and Orders (7) was focused last. From that size on a middle row
//! holds the Watchlist and Orders beside each other:
//!
//! ```text
//! ┌ Accounts ─┐┌ Positions ──────────────┐
//! ┌ Watchlist ──────────┐┌ Orders ───────┐
//! ┌ Connection ┐┌ Signals ──┐┌ Diagnostics┐
//! ```

use super::view_state::PaneId;
use ratatui::layout::{Constraint, Layout, Rect};

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// The accounts pane: 12 figures, a header and the borders.
const TOP_MIN_HEIGHT: u16 = 15;
/// Label, value, currency and age columns plus borders.
const ACCOUNTS_MIN_WIDTH: u16 = 44;
/// From this size every pane has its own place.
pub const FULL_WIDTH: u16 = 120;
pub const FULL_HEIGHT: u16 = 40;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// Below 80x24: only a message.
    TooSmall,
    Cockpit {
        panes: Vec<(PaneId, Rect)>,
        status: Rect,
    },
}

/// Where each pane goes; `main_slot` is the pane the shared slot shows on smaller screens.
pub fn cockpit(area: Rect, zoom: Option<PaneId>, main_slot: PaneId) -> Screen {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return Screen::TooSmall;
    }
    let [body, status] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
    if let Some(pane) = zoom {
        return Screen::Cockpit { panes: vec![(pane, body)], status };
    }
    if area.width >= FULL_WIDTH && area.height >= FULL_HEIGHT {
        return full(area, body, status);
    }
    let slot = if main_slot.shares_the_main_slot() { main_slot } else { PaneId::Positions };
    let top_height = u16::try_from(u32::from(body.height) * 45 / 100).unwrap_or(u16::MAX).max(TOP_MIN_HEIGHT);
    let [top, bottom] = Layout::vertical([Constraint::Length(top_height), Constraint::Min(0)]).areas(body);
    let accounts_width = (area.width / 4).max(ACCOUNTS_MIN_WIDTH);
    let [accounts, positions] = Layout::horizontal([Constraint::Length(accounts_width), Constraint::Min(0)]).areas(top);
    let [health, signals, diagnostics] =
        Layout::horizontal([Constraint::Ratio(1, 3), Constraint::Ratio(1, 3), Constraint::Ratio(1, 3)]).areas(bottom);
    Screen::Cockpit {
        panes: vec![
            (PaneId::Accounts, accounts),
            (slot, positions),
            (PaneId::Health, health),
            (PaneId::Signals, signals),
            (PaneId::Diagnostics, diagnostics),
        ],
        status,
    }
}

/// All seven panes: accounts and positions, watchlist and orders, then the three small ones.
fn full(area: Rect, body: Rect, status: Rect) -> Screen {
    let percent = |value: u16, pct: u32| u16::try_from(u32::from(value) * pct / 100).unwrap_or(u16::MAX);
    let top_height = percent(body.height, 35).max(TOP_MIN_HEIGHT);
    let middle_height = percent(body.height.saturating_sub(top_height), 55);
    let [top, middle, bottom] =
        Layout::vertical([Constraint::Length(top_height), Constraint::Length(middle_height), Constraint::Min(0)])
            .areas(body);
    let accounts_width = (area.width / 4).max(ACCOUNTS_MIN_WIDTH);
    let [accounts, positions] = Layout::horizontal([Constraint::Length(accounts_width), Constraint::Min(0)]).areas(top);
    let [watchlist, orders] = Layout::horizontal([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(middle);
    let [health, signals, diagnostics] =
        Layout::horizontal([Constraint::Ratio(1, 3), Constraint::Ratio(1, 3), Constraint::Ratio(1, 3)]).areas(bottom);
    Screen::Cockpit {
        panes: vec![
            (PaneId::Accounts, accounts),
            (PaneId::Positions, positions),
            (PaneId::Watchlist, watchlist),
            (PaneId::Orders, orders),
            (PaneId::Health, health),
            (PaneId::Signals, signals),
            (PaneId::Diagnostics, diagnostics),
        ],
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_the_minimum_there_is_only_a_message() {
        for (w, h) in [(0, 0), (79, 24), (80, 23), (200, 10), (79, u16::MAX)] {
            assert_eq!(cockpit(Rect::new(0, 0, w, h), None, PaneId::Positions), Screen::TooSmall, "{w}x{h}");
        }
    }

    #[test]
    fn at_80x24_every_pane_is_on_screen_without_overlap() {
        let area = Rect::new(0, 0, 80, 24);
        let Screen::Cockpit { panes, status } = cockpit(area, None, PaneId::Positions) else { panic!("fits") };
        assert_eq!(status, Rect::new(0, 23, 80, 1));
        assert_eq!(panes.len(), 5);
        for (i, (a, ra)) in panes.iter().enumerate() {
            assert!(area.contains((ra.x, ra.y).into()) && ra.bottom() <= 23 && ra.right() <= 80, "{a:?} {ra:?}");
            assert!(ra.height >= 3 && ra.width >= 10, "{a:?} too small: {ra:?}");
            for (b, rb) in &panes[i + 1..] {
                assert!(!ra.intersects(*rb), "{a:?} {ra:?} overlaps {b:?} {rb:?}");
            }
        }
        let accounts = panes[0].1;
        assert_eq!((accounts.width, accounts.height), (44, 15));
    }

    #[test]
    fn very_tall_and_very_wide_screens_do_not_overflow() {
        for (w, h) in [(u16::MAX, u16::MAX), (80, u16::MAX), (u16::MAX, 24)] {
            let Screen::Cockpit { panes, status } = cockpit(Rect::new(0, 0, w, h), None, PaneId::Positions) else {
                panic!("fits")
            };
            assert_eq!(status.y, h - 1);
            assert!(panes.iter().all(|(_, r)| r.bottom() < h && r.right() <= w));
        }
    }

    #[test]
    fn small_screens_share_the_positions_slot_and_large_ones_show_all_seven_without_overlap() {
        let area = Rect::new(0, 0, 80, 24);
        for slot in [PaneId::Watchlist, PaneId::Orders, PaneId::Positions] {
            let Screen::Cockpit { panes, .. } = cockpit(area, None, slot) else { panic!("fits") };
            assert_eq!(panes.len(), 5);
            assert_eq!(panes[1], (slot, Rect::new(44, 0, 36, 15)), "{slot:?}");
        }
        // A pane that does not share the slot leaves Positions there.
        let Screen::Cockpit { panes, .. } = cockpit(area, None, PaneId::Signals) else { panic!("fits") };
        assert_eq!(panes[1].0, PaneId::Positions);
        for (w, h) in [(120, 40), (160, 48), (200, 50), (300, 100)] {
            let area = Rect::new(0, 0, w, h);
            let Screen::Cockpit { panes, .. } = cockpit(area, None, PaneId::Orders) else { panic!("fits") };
            assert_eq!(panes.len(), 7, "{w}x{h}");
            for (i, (a, ra)) in panes.iter().enumerate() {
                assert!(ra.bottom() < h && ra.right() <= w && ra.height >= 5, "{a:?} {ra:?} at {w}x{h}");
                for (b, rb) in &panes[i + 1..] {
                    assert!(!ra.intersects(*rb), "{a:?} {ra:?} overlaps {b:?} {rb:?}");
                }
            }
        }
    }

    #[test]
    fn zoom_gives_the_focused_pane_everything_above_the_status_bar() {
        let Screen::Cockpit { panes, .. } = cockpit(Rect::new(0, 0, 160, 48), Some(PaneId::Signals), PaneId::Positions)
        else {
            panic!("fits")
        };
        assert_eq!(panes, vec![(PaneId::Signals, Rect::new(0, 0, 160, 47))]);
    }
}
