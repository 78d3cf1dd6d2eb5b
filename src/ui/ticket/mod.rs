//! The order ticket and every order popup: the ticket itself, its preview and confirmation,
//! cancel, cancel-all and halt confirmations, and the transient notices they leave behind.
//!
//! Nothing here sends anything: every order-related intent leaves as a [`TradeRequest`] inside
//! [`ActionOutcome::Trade`](super::ActionOutcome::Trade), for the app to carry out. The state
//! machine guarantees what reaches the app:
//! * a [`TradeRequest::Preview`] only for a ticket that validates, with the guard open;
//! * a [`TradeRequest::Transmit`] only from the preview of that same request, after `y` or
//!   Enter, once its what-if answer is in (and not a refusal), at least [`CONFIRM_DELAY_MS`]
//!   after the preview opened (a double Enter cannot run through the preview), with the
//!   override word / live account id typed when the checks ask for them, and only once per
//!   request (the popup shows "sending…" until the outcome for that request is in the store);
//! * cancels, cancel-all and halt only after their confirmation.
//!
//! Feeding it (the app): route every key press to [`super::handle_key`] first (it answers
//! `None` when no popup is open, and the keymap then applies); call [`super::handle_tick`] on
//! the tick (it asks to resolve a symbol the trader paused on); put the answers in the store
//! (`ContractResolved`, `WhatIf`, `TradingEvent::Outcome`, `TradingEvent::Halted`).

mod confirm;
mod form;
mod render;
mod seed;

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;

pub use confirm::OrderPick;
pub use form::{Mode, Prompt, TicketState, CONFIRM_DELAY_MS, RESOLVE_PAUSE_MS};
pub use render::render;
pub use seed::TicketSeed;

use super::view_state::ViewState;
use super::ActionOutcome;
use crate::config::keymap::Action;
use crate::orders::{OrderAction, SessionKind, Ticket};
use crate::store::Store;
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// An order-related request for the app to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TradeRequest {
    /// The ticket's symbol changed (after a short pause or on leaving the field): resolve it
    /// (contract details → `store.trading.contracts[symbol]`).
    Resolve {
        symbol: String,
    },
    /// Enter on a ticket that validates: ask the gateway for what-if. The answer is shown when
    /// `store.trading.what_if.request` matches.
    Preview {
        request: u64,
        ticket: Box<Ticket>,
        modify: Option<i32>,
    },
    /// Confirmed in the preview (`y`/Enter), with what the trader typed for the override word
    /// and (live accounts) the account id. The app re-runs preflight + confirm and answers in
    /// `store.trading.outcome` for `request`.
    Transmit {
        request: u64,
        ticket: Box<Ticket>,
        modify: Option<i32>,
        override_word: String,
        typed_account: String,
    },
    Cancel {
        order_id: i32,
    },
    /// Cancel these working legs of one bracket (confirmed in the popup).
    CancelGroup {
        group_id: String,
        order_ids: Vec<i32>,
    },
    CancelAll,
    Halt(bool),
}

/// The text typed to confirm a global cancel.
pub const CANCEL_ALL_WORD: &str = "CANCEL ALL";

/// What a monitor session says instead of opening any order popup.
pub const MONITOR_NOTICE: &str = "read-only monitor: this session never sends orders";

/// The popup on top, if any.
#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    Ticket(Box<TicketState>),
    /// Pick a working order to cancel (`c`) or to modify (`m`).
    Pick(OrderPick),
    /// Cancel every open order: the trader types [`CANCEL_ALL_WORD`].
    CancelAll {
        typed: String,
        hint: Option<String>,
    },
    /// Halt (or resume) order entry.
    Halt,
    /// Cancel every working leg of a bracket: `y` confirms.
    CancelGroup {
        group_id: String,
        order_ids: Vec<i32>,
    },
}

/// The order-entry part of the view state: the popup on top, a transient notice, and the
/// per-session preview counter.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TicketView {
    popup: Option<Popup>,
    notice: Option<String>,
    /// The last preview request number handed out (a new one per preview).
    last_request: u64,
}

impl TicketView {
    pub fn popup(&self) -> Option<&Popup> {
        self.popup.as_ref()
    }

    /// Whether an order popup is open (it then takes every key).
    pub fn is_open(&self) -> bool {
        self.popup.is_some()
    }

    /// The transient message shown until the next key (e.g. "read-only monitor").
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// The ticket being edited, if the ticket is open.
    pub fn ticket(&self) -> Option<&TicketState> {
        match &self.popup {
            Some(Popup::Ticket(t)) => Some(t),
            _ => None,
        }
    }

    /// Opens the ticket prefilled from `seed`; asks to resolve its symbol if the store does
    /// not know it yet. Refused (with a notice) in a monitor session.
    pub fn open_ticket(&mut self, seed: TicketSeed, store: &Store) -> ActionOutcome {
        if is_monitor(store) {
            self.notice = Some(MONITOR_NOTICE.into());
            return ActionOutcome::Consumed;
        }
        let state = TicketState::from_seed(seed);
        let resolve = state.resolve_needed(store);
        let mut state = Box::new(state);
        if let Some(symbol) = &resolve {
            state.mark_resolve_asked(symbol);
        }
        self.popup = Some(Popup::Ticket(state));
        self.notice = None;
        match resolve {
            Some(symbol) => ActionOutcome::Trade(TradeRequest::Resolve { symbol }),
            None => ActionOutcome::Consumed,
        }
    }

    /// Opens the order picker to cancel (`modify == false`) or modify a working order,
    /// preselecting `selected` (the Orders pane's selection) when given.
    pub fn open_pick(&mut self, modify: bool, selected: Option<i32>, store: &Store) -> ActionOutcome {
        if is_monitor(store) {
            self.notice = Some(MONITOR_NOTICE.into());
            return ActionOutcome::Consumed;
        }
        self.popup = Some(Popup::Pick(OrderPick::new(modify, selected, store)));
        self.notice = None;
        ActionOutcome::Consumed
    }

    /// The ticket modifying `order_id` directly, its price focused (the stop for stop orders).
    pub fn open_modify(&mut self, order_id: Option<i32>, store: &Store) -> ActionOutcome {
        if is_monitor(store) {
            self.notice = Some(MONITOR_NOTICE.into());
            return ActionOutcome::Consumed;
        }
        let Some(order) = order_id.and_then(|id| store.orders.get(&id)) else {
            self.notice = Some("select an order in the Orders pane (7), then e edits its price".into());
            return ActionOutcome::Consumed;
        };
        let opened = match (confirm::not_actionable(order), order.lifecycle.status().is_final(), &order.terms) {
            (Some(why), _, _) => Err(why),
            (None, true, _) => {
                Err(format!("order {} is {}: nothing to modify", order.order_id, order.lifecycle.status().label()))
            }
            (None, false, None) => Err(format!("order {}: its terms have not arrived yet", order.order_id)),
            (None, false, Some(terms)) => TicketState::from_order(order.order_id, terms),
        };
        match opened {
            Ok(mut state) => {
                state.focus_price();
                let resolve = state.resolve_needed(store);
                if let Some(symbol) = &resolve {
                    state.mark_resolve_asked(symbol);
                }
                self.popup = Some(Popup::Ticket(Box::new(state)));
                self.notice = None;
                match resolve {
                    Some(symbol) => ActionOutcome::Trade(TradeRequest::Resolve { symbol }),
                    None => ActionOutcome::Consumed,
                }
            }
            Err(why) => {
                self.notice = Some(why);
                ActionOutcome::Consumed
            }
        }
    }

    /// Asks to cancel every working leg of the selected order's bracket (just the order when it
    /// is not part of one).
    pub fn open_cancel_group(&mut self, order_id: Option<i32>, store: &Store) -> ActionOutcome {
        if is_monitor(store) {
            self.notice = Some(MONITOR_NOTICE.into());
            return ActionOutcome::Consumed;
        }
        let Some(order) = order_id.and_then(|id| store.orders.get(&id)) else {
            self.notice = Some("select a bracket's order in the Orders pane (7), then X cancels the bracket".into());
            return ActionOutcome::Consumed;
        };
        if let Some(why) = confirm::not_actionable(order) {
            self.notice = Some(why);
            return ActionOutcome::Consumed;
        }
        if let Err(block) = crate::orders::cancel_allowed(&store.guard_context()) {
            self.notice = Some(format!("cannot cancel: {block}"));
            return ActionOutcome::Consumed;
        }
        let all: Vec<&crate::store::OrderRow> = store.orders.values().collect();
        let (group_id, legs) = match super::panes::orders::leg_of(order) {
            Some((group, _)) => (group.to_string(), super::panes::orders::legs_of(&all, group)),
            None => (order.order_id.to_string(), vec![order]),
        };
        let order_ids: Vec<i32> =
            legs.iter().filter(|o| o.own && !o.lifecycle.status().is_final()).map(|o| o.order_id).collect();
        if order_ids.is_empty() {
            self.notice = Some(format!("bracket {group_id} has no working leg to cancel"));
            return ActionOutcome::Consumed;
        }
        self.popup = Some(Popup::CancelGroup { group_id, order_ids });
        self.notice = None;
        ActionOutcome::Consumed
    }

    pub fn open_cancel_all(&mut self, store: &Store) -> ActionOutcome {
        if is_monitor(store) {
            self.notice = Some(MONITOR_NOTICE.into());
            return ActionOutcome::Consumed;
        }
        self.popup = Some(Popup::CancelAll { typed: String::new(), hint: None });
        self.notice = None;
        ActionOutcome::Consumed
    }

    pub fn open_halt(&mut self, store: &Store) -> ActionOutcome {
        if is_monitor(store) {
            self.notice = Some(MONITOR_NOTICE.into());
            return ActionOutcome::Consumed;
        }
        self.popup = Some(Popup::Halt);
        self.notice = None;
        ActionOutcome::Consumed
    }

    /// Takes in what the store says about the request being sent: on `Ok` the ticket closes
    /// with a notice, on `Err` the ticket shows the reason. Called before every key; the app
    /// may also call it after applying events (rendering already reflects it).
    pub fn sync(&mut self, store: &Store) {
        let Some(Popup::Ticket(state)) = &mut self.popup else { return };
        match state.sync(store) {
            form::Synced::Unchanged => {}
            form::Synced::Sent(notice) => {
                self.popup = None;
                self.notice = Some(notice);
            }
        }
    }

    /// One key press while an order popup is open or a notice shows. `None`: not ours (no
    /// popup), let the keymap have it.
    pub fn handle_key(&mut self, key: &KeyEvent, store: &Store, now: DateTime<Utc>) -> Option<ActionOutcome> {
        self.sync(store);
        // A notice goes away with the next key, which then does what it always does.
        self.notice = None;
        let popup = self.popup.as_mut()?;
        // Ctrl-C still quits from anywhere: leave it to the keymap.
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return None;
        }
        let outcome = match popup {
            Popup::Ticket(state) => {
                let answer = state.handle_key(key, store, now, &mut self.last_request);
                match answer {
                    form::KeyAnswer::Close => {
                        self.popup = None;
                        ActionOutcome::Consumed
                    }
                    form::KeyAnswer::CloseWith(notice) => {
                        self.popup = None;
                        self.notice = Some(notice);
                        ActionOutcome::Consumed
                    }
                    form::KeyAnswer::Consumed => ActionOutcome::Consumed,
                    form::KeyAnswer::Request(request) => ActionOutcome::Trade(request),
                }
            }
            Popup::Pick(pick) => match pick.handle_key(key, store) {
                confirm::PickAnswer::Stay => ActionOutcome::Consumed,
                confirm::PickAnswer::Close => {
                    self.popup = None;
                    ActionOutcome::Consumed
                }
                confirm::PickAnswer::Cancel(order_id) => {
                    self.popup = None;
                    self.notice = Some(format!("cancel requested for order {order_id}"));
                    ActionOutcome::Trade(TradeRequest::Cancel { order_id })
                }
                confirm::PickAnswer::Modify(state) => {
                    let resolve = state.resolve_needed(store);
                    let mut state = state;
                    if let Some(symbol) = &resolve {
                        state.mark_resolve_asked(symbol);
                    }
                    self.popup = Some(Popup::Ticket(state));
                    match resolve {
                        Some(symbol) => ActionOutcome::Trade(TradeRequest::Resolve { symbol }),
                        None => ActionOutcome::Consumed,
                    }
                }
            },
            Popup::CancelAll { typed, hint } => match confirm::cancel_all_key(key, typed, hint, store) {
                confirm::ConfirmAnswer::Stay => ActionOutcome::Consumed,
                confirm::ConfirmAnswer::Close => {
                    self.popup = None;
                    ActionOutcome::Consumed
                }
                confirm::ConfirmAnswer::Confirmed => {
                    self.popup = None;
                    self.notice = Some("global cancel requested: every open order".into());
                    ActionOutcome::Trade(TradeRequest::CancelAll)
                }
            },
            Popup::CancelGroup { group_id, order_ids } => match confirm::halt_key(key) {
                confirm::ConfirmAnswer::Stay => ActionOutcome::Consumed,
                confirm::ConfirmAnswer::Close => {
                    self.popup = None;
                    ActionOutcome::Consumed
                }
                confirm::ConfirmAnswer::Confirmed => {
                    let request =
                        TradeRequest::CancelGroup { group_id: group_id.clone(), order_ids: order_ids.clone() };
                    self.notice = Some(format!("cancel requested for bracket {group_id}: every working leg"));
                    self.popup = None;
                    ActionOutcome::Trade(request)
                }
            },
            Popup::Halt => match confirm::halt_key(key) {
                confirm::ConfirmAnswer::Stay => ActionOutcome::Consumed,
                confirm::ConfirmAnswer::Close => {
                    self.popup = None;
                    ActionOutcome::Consumed
                }
                confirm::ConfirmAnswer::Confirmed => {
                    // Halted or disarmed after an outage: confirming resumes (re-arms).
                    let halt = !store.trading.halted && store.trading.rearm_after_outage.is_none();
                    self.popup = None;
                    self.notice = Some(if halt {
                        "halt requested: no new orders or modifications; cancels still allowed".into()
                    } else {
                        "resume requested: order entry opens again if the guard allows".into()
                    });
                    ActionOutcome::Trade(TradeRequest::Halt(halt))
                }
            },
        };
        Some(outcome)
    }

    /// The tick: asks to resolve the ticket's symbol once the trader paused typing it.
    pub fn handle_tick(&mut self, store: &Store, now: DateTime<Utc>) -> Option<ActionOutcome> {
        let Some(Popup::Ticket(state)) = &mut self.popup else { return None };
        state.paused_symbol(store, now).map(|symbol| ActionOutcome::Trade(TradeRequest::Resolve { symbol }))
    }

    /// The keymap's order actions (`b`, `s`, `o`, `m`, `c`, `C`, `H`) open their popups; `Back`
    /// closes an open popup. `None` for every other action when no popup is open.
    /// `seed` is the ticket `b`/`s` open (the focused pane's selection, see
    /// [`TicketSeed::from_selection`]); it is ignored for every other action.
    /// `selected_order` is the order selected in the Orders pane when it has the focus (for
    /// `modify_leg` and `cancel_group`).
    pub fn handle_action(
        &mut self,
        seed: Option<TicketSeed>,
        selected_order: Option<i32>,
        action: Action,
        store: &Store,
    ) -> Option<ActionOutcome> {
        if self.popup.is_some() {
            // With keys routed through handle_key this is not reached; without it, Back at
            // least closes the popup and nothing reaches the panes underneath.
            return match action {
                Action::Quit => None,
                Action::Back => {
                    self.popup = None;
                    Some(ActionOutcome::Consumed)
                }
                _ => Some(ActionOutcome::Ignored),
            };
        }
        self.notice = None;
        let outcome = match action {
            Action::BuyTicket | Action::SellTicket => {
                let side = if action == Action::BuyTicket { OrderAction::Buy } else { OrderAction::Sell };
                let seed = seed.filter(|s| s.action == side).unwrap_or_else(|| TicketSeed::blank(side, store));
                self.open_ticket(seed, store)
            }
            Action::NewTicket => self.open_ticket(TicketSeed::blank(OrderAction::Buy, store), store),
            Action::CancelOrder => self.open_pick(false, None, store),
            Action::ModifyOrder => self.open_pick(true, None, store),
            Action::CancelAllOrders => self.open_cancel_all(store),
            Action::ToggleHalt => self.open_halt(store),
            Action::ModifyLeg => self.open_modify(selected_order, store),
            Action::CancelGroup => self.open_cancel_group(selected_order, store),
            _ => return None,
        };
        Some(outcome)
    }
}

/// A `robo-tui monitor` session never opens an order popup. (A session whose kind is not known
/// yet opens the ticket, where the guard shows why entry is blocked.)
fn is_monitor(store: &Store) -> bool {
    store.trading.session == Some(SessionKind::Monitor)
}

/// The order popups' part of [`ViewState`], for the routing in `ui`.
pub(super) fn route_action(view: &mut ViewState, action: Action, store: &Store) -> Option<ActionOutcome> {
    if view.help_open && !view.ticket.is_open() {
        return None;
    }
    let seed = match action {
        Action::BuyTicket if !view.ticket.is_open() => Some(TicketSeed::from_selection(view, OrderAction::Buy, store)),
        Action::SellTicket if !view.ticket.is_open() => {
            Some(TicketSeed::from_selection(view, OrderAction::Sell, store))
        }
        _ => None,
    };
    let selected_order = (view.focus == super::view_state::PaneId::Orders)
        .then(|| {
            let rows = super::panes::orders::rows_of(store, view.shown_account(store));
            let index = view.pane(view.focus).selected.min(rows.len().saturating_sub(1));
            rows.get(index).map(|r| r.order_id)
        })
        .flatten();
    view.ticket.handle_action(seed, selected_order, action, store)
}
