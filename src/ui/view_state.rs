//! UI-only state: focus, zoom, per-pane selection and scroll, the help overlay, and the
//! layout of the last frame (for mouse input and paging).

use crate::config::keymap::Keymap;
use ratatui::layout::Rect;
use std::cell::Cell;

/// The panes, numbered as the number keys reach them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaneId {
    Accounts,
    Positions,
    Health,
    Signals,
    Diagnostics,
    Watchlist,
    Orders,
}

/// How many panes there are.
pub const PANE_COUNT: usize = 7;

impl PaneId {
    /// Focus order (Tab).
    pub const ALL: [PaneId; PANE_COUNT] = [
        PaneId::Accounts,
        PaneId::Positions,
        PaneId::Health,
        PaneId::Signals,
        PaneId::Diagnostics,
        PaneId::Watchlist,
        PaneId::Orders,
    ];

    pub fn index(self) -> usize {
        match self {
            PaneId::Accounts => 0,
            PaneId::Positions => 1,
            PaneId::Health => 2,
            PaneId::Signals => 3,
            PaneId::Diagnostics => 4,
            PaneId::Watchlist => 5,
            PaneId::Orders => 6,
        }
    }

    /// The panes that share the top-right slot on screens too small for all seven.
    pub fn shares_the_main_slot(self) -> bool {
        matches!(self, PaneId::Positions | PaneId::Watchlist | PaneId::Orders)
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
            PaneId::Watchlist => "Watchlist",
            PaneId::Orders => "Orders",
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

/// A sortable table's sort: a column index (into the pane's columns) and its direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SortState {
    pub column: usize,
    pub reverse: bool,
}

/// A table's filter: the text typed after `/`, and whether keys still go into it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterState {
    pub text: String,
    pub editing: bool,
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
    /// Which of Positions, Watchlist and Orders the shared slot shows on small screens (the
    /// last of them focused).
    pub main_slot: PaneId,
    /// The account the panes show, chosen with `next_account`; `None` is the primary account.
    pub account: Option<String>,
    /// The Positions table's sort and filter.
    pub positions_sort: SortState,
    pub positions_filter: FilterState,
    panes: [PaneViewState; PANE_COUNT],
    keymap: Keymap,
    layout: Cell<[Option<PaneMemo>; PANE_COUNT]>,
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
            main_slot: PaneId::Positions,
            account: None,
            positions_sort: SortState::default(),
            positions_filter: FilterState::default(),
            panes: Default::default(),
            keymap,
            layout: Cell::new([None; PANE_COUNT]),
            help_page: Cell::new(10),
        }
    }

    pub fn set_keymap(&mut self, keymap: Keymap) {
        self.keymap = keymap;
    }

    pub fn keymap(&self) -> &Keymap {
        &self.keymap
    }

    /// The account the panes show: the chosen one while the gateway still manages it (or has
    /// data for it), else the primary account.
    pub fn shown_account<'a>(&'a self, store: &'a crate::store::Store) -> Option<&'a str> {
        let known =
            |id: &str| store.connection.managed_accounts.iter().any(|a| a == id) || store.accounts.contains_key(id);
        match &self.account {
            Some(id) if known(id) => Some(id.as_str()),
            _ => store.primary_account(),
        }
    }

    /// Whether keys go into a text field (the filter) rather than the keymap.
    pub fn is_typing(&self) -> bool {
        self.positions_filter.editing
    }

    /// Focus `pane`, remembering it for the shared slot.
    pub fn focus_on(&mut self, pane: PaneId) {
        self.focus = pane;
        if pane.shares_the_main_slot() {
            self.main_slot = pane;
        }
    }

    pub fn pane(&self, pane: PaneId) -> &PaneViewState {
        &self.panes[pane.index()]
    }

    pub fn pane_mut(&mut self, pane: PaneId) -> &mut PaneViewState {
        &mut self.panes[pane.index()]
    }

    pub(super) fn forget_layout(&self) {
        self.layout.set([None; PANE_COUNT]);
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
