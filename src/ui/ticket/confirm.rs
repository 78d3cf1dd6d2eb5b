//! The confirmations: cancel one order (`c`), modify one (`m`, picks the order to load into the
//! ticket), cancel all (`C`, typed), halt, resume or re-arm (`H`).

use super::form::TicketState;
use super::CANCEL_ALL_WORD;
use crate::orders::cancel_allowed;
use crate::store::{OrderRow, Store};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Choosing a working order to cancel or to modify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPick {
    /// Modify (`m`) rather than cancel (`c`).
    pub modify: bool,
    /// The order the cursor is on.
    pub selected: Option<i32>,
    /// Why the last confirm did nothing.
    pub hint: Option<String>,
}

pub(super) enum PickAnswer {
    Stay,
    Close,
    Cancel(i32),
    Modify(Box<TicketState>),
}

pub(super) enum ConfirmAnswer {
    Stay,
    Close,
    Confirmed,
}

/// Orders that are still working (not filled, cancelled or rejected), by order id.
pub fn working_orders(store: &Store) -> Vec<&OrderRow> {
    store.orders.values().filter(|o| !o.lifecycle.status().is_final()).collect()
}

/// Why this session may not cancel or modify `order`, if it may not.
pub fn not_actionable(order: &OrderRow) -> Option<String> {
    if !order.own {
        let by =
            if order.client_id == 0 { "TWS (client 0)".to_string() } else { format!("client {}", order.client_id) };
        return Some(format!(
            "order {} was placed by {by}: this session may cancel or modify only its own orders",
            order.order_id
        ));
    }
    None
}

impl OrderPick {
    pub fn new(modify: bool, selected: Option<i32>, store: &Store) -> Self {
        let working = working_orders(store);
        let selected = selected
            .filter(|id| working.iter().any(|o| o.order_id == *id))
            .or_else(|| working.iter().find(|o| o.own).or(working.first()).map(|o| o.order_id));
        OrderPick { modify, selected, hint: None }
    }

    /// The selected order, if it is still working.
    pub fn order<'a>(&self, store: &'a Store) -> Option<&'a OrderRow> {
        let id = self.selected?;
        working_orders(store).into_iter().find(|o| o.order_id == id)
    }

    pub(super) fn handle_key(&mut self, key: &KeyEvent, store: &Store) -> PickAnswer {
        let working = working_orders(store);
        let at = self.selected.and_then(|id| working.iter().position(|o| o.order_id == id));
        let confirm = match key.code {
            KeyCode::Esc | KeyCode::Char('n' | 'N') => return PickAnswer::Close,
            KeyCode::Up | KeyCode::Char('k') => {
                let to = at.map_or(0, |i| i.saturating_sub(1));
                self.selected = working.get(to).map(|o| o.order_id);
                self.hint = None;
                false
            }
            KeyCode::Down | KeyCode::Char('j') => {
                let to = at.map_or(0, |i| (i + 1).min(working.len().saturating_sub(1)));
                self.selected = working.get(to).map(|o| o.order_id);
                self.hint = None;
                false
            }
            KeyCode::Enter | KeyCode::Char('y' | 'Y') => !key.modifiers.contains(KeyModifiers::CONTROL),
            _ => false,
        };
        if !confirm {
            return PickAnswer::Stay;
        }
        let Some(order) = self.order(store) else {
            self.hint = Some("no working order selected".into());
            return PickAnswer::Stay;
        };
        if let Some(why) = not_actionable(order) {
            self.hint = Some(why);
            return PickAnswer::Stay;
        }
        if self.modify {
            let Some(terms) = &order.terms else {
                self.hint = Some(format!("order {}: its terms have not arrived yet", order.order_id));
                return PickAnswer::Stay;
            };
            return match TicketState::from_order(order.order_id, terms) {
                Ok(state) => PickAnswer::Modify(Box::new(state)),
                Err(why) => {
                    self.hint = Some(why);
                    PickAnswer::Stay
                }
            };
        }
        if let Err(block) = cancel_allowed(&store.guard_context()) {
            self.hint = Some(format!("cannot cancel: {block}"));
            return PickAnswer::Stay;
        }
        PickAnswer::Cancel(order.order_id)
    }
}

/// The cancel-all popup: the trader types [`CANCEL_ALL_WORD`] and presses Enter.
pub(super) fn cancel_all_key(
    key: &KeyEvent,
    typed: &mut String,
    hint: &mut Option<String>,
    store: &Store,
) -> ConfirmAnswer {
    match key.code {
        KeyCode::Esc => return ConfirmAnswer::Close,
        KeyCode::Enter => {
            if typed.trim() != CANCEL_ALL_WORD {
                *hint = Some(format!("type {CANCEL_ALL_WORD} exactly, then Enter; Esc leaves nothing cancelled"));
                return ConfirmAnswer::Stay;
            }
            if let Err(block) = cancel_allowed(&store.guard_context()) {
                *hint = Some(format!("cannot cancel: {block}"));
                return ConfirmAnswer::Stay;
            }
            return ConfirmAnswer::Confirmed;
        }
        KeyCode::Backspace => {
            typed.pop();
        }
        KeyCode::Char(c)
            if !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) && typed.chars().count() < 24 =>
        {
            typed.push(c);
        }
        _ => {}
    }
    *hint = None;
    ConfirmAnswer::Stay
}

/// The halt popup: `y`/Enter confirms, `n`/Esc leaves it as it is.
pub(super) fn halt_key(key: &KeyEvent) -> ConfirmAnswer {
    match key.code {
        KeyCode::Char('y' | 'Y') | KeyCode::Enter => ConfirmAnswer::Confirmed,
        KeyCode::Char('n' | 'N') | KeyCode::Esc => ConfirmAnswer::Close,
        _ => ConfirmAnswer::Stay,
    }
}
