//! User actions and mouse input applied to the view state.

use super::help;
use super::panes;
use super::panes::positions;
use super::view_state::{PaneId, ViewState};
use crate::config::keymap::Action;
use crate::store::Store;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

/// What the app should do after an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionOutcome {
    /// The view changed: draw.
    Consumed,
    /// Nothing to do with this action here.
    Ignored,
    Quit,
    /// The app switches to the next theme (`embedded_theme_names`).
    CycleTheme,
}

/// How many rows a wheel notch moves.
const WHEEL_STEP: usize = 3;

pub fn handle_action(view: &mut ViewState, action: Action, store: &Store) -> ActionOutcome {
    use ActionOutcome::{Consumed, Ignored};
    match action {
        Action::Quit => return ActionOutcome::Quit,
        Action::CycleTheme => return ActionOutcome::CycleTheme,
        Action::None => return Ignored,
        Action::ToggleHelp => {
            view.help_open = !view.help_open;
            view.help_scroll = 0;
            return Consumed;
        }
        Action::Back if view.help_open => {
            view.help_open = false;
            return Consumed;
        }
        Action::Back
            if !view.help_open && view.focus == PaneId::Positions && !view.positions_filter.text.is_empty() =>
        {
            view.positions_filter = Default::default();
            view.pane_mut(PaneId::Positions).selected = 0;
            return Consumed;
        }
        Action::Back if view.zoomed => {
            view.zoomed = false;
            return Consumed;
        }
        Action::Back => return Ignored,
        _ => {}
    }
    if view.help_open {
        // The help overlay is on top: it takes the movement keys; the rest wait until it closes.
        let rows = help::line_count(view.keymap());
        let page = view.help_page();
        let before = view.help_scroll;
        view.help_scroll = moved(before, rows.saturating_sub(page) + 1, action, page).unwrap_or(before);
        return if view.help_scroll == before { Ignored } else { Consumed };
    }
    match action {
        Action::FocusNext => view.focus_on(view.focus.next()),
        Action::FocusPrev => view.focus_on(view.focus.prev()),
        Action::FocusPane(n) => match PaneId::from_number(n) {
            Some(pane) => view.focus_on(pane),
            None => return Ignored,
        },
        Action::SortNext | Action::SortPrev if view.focus == PaneId::Positions => {
            let count = positions::COLUMN_COUNT;
            let column = view.positions_sort.column % count;
            view.positions_sort.column =
                if action == Action::SortNext { (column + 1) % count } else { (column + count - 1) % count };
        }
        Action::SortReverse if view.focus == PaneId::Positions => {
            view.positions_sort.reverse = !view.positions_sort.reverse;
        }
        Action::Filter => {
            view.focus_on(PaneId::Positions);
            view.positions_filter.editing = true;
        }
        Action::NextAccount => {
            let accounts: Vec<&String> = if store.connection.managed_accounts.is_empty() {
                store.accounts.keys().collect()
            } else {
                store.connection.managed_accounts.iter().collect()
            };
            if accounts.len() < 2 {
                return Ignored;
            }
            let shown = view.shown_account(store).map(str::to_string);
            let at = accounts
                .iter()
                .position(|a| Some(a.as_str()) == shown.as_deref())
                .map_or(0, |i| (i + 1) % accounts.len());
            view.account = Some(accounts[at].clone());
            // Rows of another account: start at the top of each table.
            for pane in [PaneId::Positions, PaneId::Orders, PaneId::Watchlist] {
                view.pane_mut(pane).selected = 0;
            }
        }
        Action::ToggleZoom => view.zoomed = !view.zoomed,
        Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom => {
            let pane = view.focus;
            let last = view.last_drawn(pane);
            let page = last.map_or(10, |d| d.page.max(1));
            let rows = panes::selectable_rows(pane, store, view, last);
            let before = view.pane(pane).selected.min(rows.saturating_sub(1));
            let Some(after) = moved(before, rows, action, page) else { return Ignored };
            view.pane_mut(pane).selected = after;
            if after == before {
                return Ignored;
            }
        }
        _ => return Ignored,
    }
    ActionOutcome::Consumed
}

/// Keys typed into a text field (the positions filter while it is being edited): characters
/// go into it, backspace deletes, enter keeps the filter, esc clears it. Returns `Ignored`
/// for everything else (and whenever nothing is being typed), so the keymap gets those keys;
/// the app calls this before the keymap.
pub fn handle_key(view: &mut ViewState, key: &KeyEvent) -> ActionOutcome {
    if !view.positions_filter.editing || view.help_open {
        return ActionOutcome::Ignored;
    }
    if key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
        return ActionOutcome::Ignored;
    }
    let filter = &mut view.positions_filter;
    match key.code {
        KeyCode::Char(c) if !c.is_control() => filter.text.push(c),
        KeyCode::Backspace => {
            filter.text.pop();
        }
        KeyCode::Enter => filter.editing = false,
        KeyCode::Esc => *filter = Default::default(),
        _ => return ActionOutcome::Ignored,
    }
    view.pane_mut(PaneId::Positions).selected = 0;
    ActionOutcome::Consumed
}

/// The selection after a movement action over `rows` rows with `page` rows per page.
fn moved(selected: usize, rows: usize, action: Action, page: usize) -> Option<usize> {
    let last = rows.saturating_sub(1);
    let page = page.max(1);
    let next = match action {
        Action::Up => selected.saturating_sub(1),
        Action::Down => selected.saturating_add(1),
        Action::PageUp => selected.saturating_sub(page),
        Action::PageDown => selected.saturating_add(page),
        Action::Top => 0,
        Action::Bottom => last,
        _ => return None,
    };
    Some(next.min(last))
}

/// A left click focuses the pane under it (and closes the help); the wheel scrolls the pane
/// under the pointer. Returns whether anything changed. Uses the layout of the last frame.
pub fn handle_mouse(view: &mut ViewState, mouse: MouseEvent) -> bool {
    match mouse.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            if view.help_open {
                view.help_open = false;
                return true;
            }
            let Some(pane) = view.pane_at(mouse.column, mouse.row) else { return false };
            let changed = pane != view.focus;
            view.focus_on(pane);
            // A click on a row of a table selects it (tables have a border and a header line).
            let (Some(rect), Some(drawn)) = (view.last_rect(pane), view.last_drawn(pane)) else { return changed };
            if pane == PaneId::Health {
                return changed;
            }
            // The orders table sits under the order entry line.
            let above = if pane == PaneId::Orders { 3 } else { 2 };
            let Some(line) = usize::from(mouse.row).checked_sub(usize::from(rect.y) + above) else { return changed };
            let row = view.pane(pane).offset() + line;
            if line < drawn.page && row < drawn.rows && row != view.pane(pane).selected {
                view.pane_mut(pane).selected = row;
                return true;
            }
            changed
        }
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            let down = matches!(mouse.kind, MouseEventKind::ScrollDown);
            if view.help_open {
                let before = view.help_scroll;
                let limit = help::line_count(view.keymap()).saturating_sub(view.help_page());
                view.help_scroll =
                    if down { (before + WHEEL_STEP).min(limit) } else { before.saturating_sub(WHEEL_STEP) };
                return view.help_scroll != before;
            }
            let Some(pane) = view.pane_at(mouse.column, mouse.row) else { return false };
            let Some(drawn) = view.last_drawn(pane) else { return false };
            let before = view.pane(pane).selected.min(drawn.rows.saturating_sub(1));
            let after = if down {
                (before + WHEEL_STEP).min(drawn.rows.saturating_sub(1))
            } else {
                before.saturating_sub(WHEEL_STEP)
            };
            view.pane_mut(pane).selected = after;
            after != before
        }
        _ => false,
    }
}
