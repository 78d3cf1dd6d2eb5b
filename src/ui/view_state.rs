//! UI-only state: focus, zoom, per-pane selection and scroll, the help overlay, and the
//! layout of the last frame (for mouse input and paging).

use crate::config::keymap::Keymap;
use ratatui::layout::Rect;
use std::cell::Cell;

/// The panes, numbered as the number keys reach them (6 and 7 are reserved for the watchlist
/// and orders).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaneId {
    Accounts,
    Positions,
    Health,
    Signals,
    Diagnostics,
}

impl PaneId {
    /// Focus order (Tab).
    pub const ALL: [PaneId; 5] =
        [PaneId::Accounts, PaneId::Positions, PaneId::Health, PaneId::Signals, PaneId::Diagnostics];

    pub fn index(self) -> usize {
        match self {
            PaneId::Accounts => 0,
            PaneId::Positions => 1,
            PaneId::Health => 2,
            PaneId::Signals => 3,
            PaneId::Diagnostics => 4,
        }
    }

    /// The number key that focuses the pane.
    pub fn number(self) -> u8 {
        self.index() as u8 + 1
    }

    pub fn from_number(number: u8) -> Option<PaneId> {
        PaneId::ALL.get(usize::from(number).checked_sub(1)?).copied()
    }

    pub fn title(self) -> &'static str {
        match self {
            PaneId::Accounts => "Accounts",
            PaneId::Positions => "Positions",
            PaneId::Health => "Connection",
            PaneId::Signals => "Signals",
            PaneId::Diagnostics => "Diagnostics",
        }
    }

    pub fn next(self) -> PaneId {
        PaneId::ALL[(self.index() + 1) % PaneId::ALL.len()]
    }

    pub fn prev(self) -> PaneId {
        PaneId::ALL[(self.index() + PaneId::ALL.len() - 1) % PaneId::ALL.len()]
    }
}

/// One pane's selection (a row index, or the first line shown for text panes) and the scroll
/// offset the last frame used.
#[derive(Debug, Clone, Default)]
pub struct PaneViewState {
    pub selected: usize,
    pub(super) offset: Cell<usize>,
    /// What the pane's last render drew.
    pub(super) drawn: Cell<Drawn>,
}

impl PaneViewState {
    pub fn offset(&self) -> usize {
        self.offset.get()
    }
}

/// What the last frame drew for a pane: where, how many rows it has, how many fit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drawn {
    pub rows: usize,
    pub page: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct PaneMemo {
    pub rect: Rect,
    pub drawn: Drawn,
}

/// Everything about the view that is not domain data.
#[derive(Debug, Clone)]
pub struct ViewState {
    pub focus: PaneId,
    /// The focused pane fills the screen.
    pub zoomed: bool,
    pub help_open: bool,
    /// The first help line shown.
    pub help_scroll: usize,
    /// The order ticket and the order popups.
    pub ticket: super::ticket::TicketView,
    panes: [PaneViewState; 5],
    keymap: Keymap,
    layout: Cell<[Option<PaneMemo>; 5]>,
    help_page: Cell<usize>,
}

impl Default for ViewState {
    fn default() -> Self {
        ViewState::new()
    }
}

impl ViewState {
    /// Focus on Accounts, nothing zoomed, help closed, the default keymap in the help.
    pub fn new() -> Self {
        ViewState::with_keymap(Keymap::default_keymap())
    }

    /// A view whose help overlay and status bar show `keymap` (the active, possibly remapped one).
    pub fn with_keymap(keymap: Keymap) -> Self {
        ViewState {
            focus: PaneId::Accounts,
            zoomed: false,
            help_open: false,
            help_scroll: 0,
            ticket: Default::default(),
            panes: Default::default(),
            keymap,
            layout: Cell::new([None; 5]),
            help_page: Cell::new(10),
        }
    }

    pub fn set_keymap(&mut self, keymap: Keymap) {
        self.keymap = keymap;
    }

    pub fn keymap(&self) -> &Keymap {
        &self.keymap
    }

    pub fn pane(&self, pane: PaneId) -> &PaneViewState {
        &self.panes[pane.index()]
    }

    pub fn pane_mut(&mut self, pane: PaneId) -> &mut PaneViewState {
        &mut self.panes[pane.index()]
    }

    pub(super) fn forget_layout(&self) {
        self.layout.set([None; 5]);
    }

    pub(super) fn remember(&self, pane: PaneId, rect: Rect, drawn: Drawn) {
        let mut layout = self.layout.get();
        layout[pane.index()] = Some(PaneMemo { rect, drawn });
        self.layout.set(layout);
    }

    /// Where the last frame drew `pane`, if it did.
    pub fn last_rect(&self, pane: PaneId) -> Option<Rect> {
        self.layout.get()[pane.index()].map(|m| m.rect)
    }

    pub(super) fn last_drawn(&self, pane: PaneId) -> Option<Drawn> {
        self.layout.get()[pane.index()].map(|m| m.drawn)
    }

    /// The pane the last frame drew at this cell.
    pub(super) fn pane_at(&self, column: u16, row: u16) -> Option<PaneId> {
        let position = ratatui::layout::Position { x: column, y: row };
        PaneId::ALL.into_iter().find(|p| self.last_rect(*p).is_some_and(|r| r.contains(position)))
    }

    pub(super) fn set_help_page(&self, page: usize) {
        self.help_page.set(page);
    }

    pub(super) fn help_page(&self) -> usize {
        self.help_page.get()
    }
}
