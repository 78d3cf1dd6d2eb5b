//! What a new ticket is prefilled with: the selected row of the focused pane (a position, a
//! watchlist symbol, a signal or an order), read from the same row list the pane draws, so the
//! ticket is always for the symbol the trader sees highlighted.

use crate::orders::OrderAction;
use crate::store::Store;
use crate::ui::panes;
use crate::ui::view_state::{PaneId, ViewState};
use rust_decimal::Decimal;

/// A ticket's prefill. The pane selection code produces one; `b`/`s` pick the action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketSeed {
    pub symbol: String,
    pub action: OrderAction,
    pub quantity: Option<Decimal>,
    pub limit: Option<Decimal>,
    pub account: String,
}

impl TicketSeed {
    /// No symbol, in the primary account.
    pub fn blank(action: OrderAction, store: &Store) -> Self {
        TicketSeed::symbol("", action, store)
    }

    /// `symbol` in the primary account, nothing else filled.
    pub fn symbol(symbol: &str, action: OrderAction, store: &Store) -> Self {
        TicketSeed {
            symbol: symbol.trim().to_ascii_uppercase(),
            action,
            quantity: None,
            limit: None,
            account: store.primary_account().unwrap_or_default().to_string(),
        }
    }

    /// `symbol` in the account the panes show (the primary account unless another was chosen).
    fn shown(symbol: &str, action: OrderAction, store: &Store, view: &ViewState) -> Self {
        let mut seed = TicketSeed::symbol(symbol, action, store);
        if let Some(account) = view.shown_account(store) {
            seed.account = account.to_string();
        }
        seed
    }

    /// The Positions pane's row `index`, in the order the pane draws it (shown account,
    /// filter, sort). Selling a long or buying a short prefills the whole position, to close it.
    pub fn from_position(store: &Store, view: &ViewState, index: usize, action: OrderAction) -> Option<Self> {
        let lines = panes::positions::rows_of(store, view);
        let row = lines.get(index)?.row;
        // The row's own account (the pane lists every account's while none is known).
        let account = store
            .positions
            .iter()
            .find(|(_, r)| std::ptr::eq(*r, row))
            .map(|(key, _)| key.account.clone())
            .or_else(|| view.shown_account(store).map(str::to_string))
            .unwrap_or_default();
        let closing = match action {
            OrderAction::Sell => row.quantity > Decimal::ZERO,
            OrderAction::Buy => row.quantity < Decimal::ZERO,
        };
        let quantity = Some(row.quantity.abs()).filter(|q| closing && q.fract().is_zero());
        Some(TicketSeed { symbol: row.symbol.trim().to_ascii_uppercase(), action, quantity, limit: None, account })
    }

    /// The Signals pane's row `index` (newest first).
    pub fn from_signal(store: &Store, view: &ViewState, index: usize, action: OrderAction) -> Option<Self> {
        let signal = store.signals.iter().rev().nth(index)?;
        Some(TicketSeed::shown(&signal.symbol, action, store, view))
    }

    /// The Watchlist pane's row `index`: the configured symbols, then the shown account's
    /// holdings, as the pane draws them.
    pub fn from_watchlist(store: &Store, view: &ViewState, index: usize, action: OrderAction) -> Option<Self> {
        let symbols = panes::watchlist::symbols(store, view.shown_account(store));
        let symbol = symbols.get(index)?;
        Some(TicketSeed::shown(symbol, action, store, view))
    }

    /// The Orders pane's row `index`: a ticket for the order's symbol in the order's account
    /// (nothing else is copied: a new order, not a modification). `None` for an order whose
    /// terms have not arrived.
    pub fn from_order(store: &Store, view: &ViewState, index: usize, action: OrderAction) -> Option<Self> {
        let rows = panes::orders::rows_of(store, view.shown_account(store));
        let terms = rows.get(index)?.terms.as_ref()?;
        let mut seed = TicketSeed::symbol(&terms.symbol, action, store);
        seed.account = terms.account.clone();
        Some(seed)
    }

    /// From the focused pane's selection (clamped to its rows, as the pane draws it); a blank
    /// ticket when the pane has no rows to trade.
    pub fn from_selection(view: &ViewState, action: OrderAction, store: &Store) -> Self {
        let focus = view.focus;
        let rows = panes::selectable_rows(focus, store, view, None);
        let index = view.pane(focus).selected.min(rows.saturating_sub(1));
        let seed = match focus {
            PaneId::Positions => TicketSeed::from_position(store, view, index, action),
            PaneId::Signals => TicketSeed::from_signal(store, view, index, action),
            PaneId::Watchlist => TicketSeed::from_watchlist(store, view, index, action),
            PaneId::Orders => TicketSeed::from_order(store, view, index, action),
            // No symbol on these panes' rows.
            PaneId::Accounts | PaneId::Health | PaneId::Diagnostics => None,
        };
        seed.unwrap_or_else(|| TicketSeed::blank(action, store))
    }
}
