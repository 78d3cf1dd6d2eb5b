//! What a new ticket is prefilled with: the selected position, watchlist row or signal.

use crate::orders::OrderAction;
use crate::store::{PositionRow, Store};
use crate::ui::view_state::PaneId;
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

    /// The Positions pane's row `index` (its order: the primary account's positions by
    /// symbol). Selling a long or buying a short prefills the whole position, to close it.
    pub fn from_position(store: &Store, index: usize, action: OrderAction) -> Option<Self> {
        let (account, row) = position_rows(store).into_iter().nth(index)?;
        let closing = match action {
            OrderAction::Sell => row.quantity > Decimal::ZERO,
            OrderAction::Buy => row.quantity < Decimal::ZERO,
        };
        let quantity = Some(row.quantity.abs()).filter(|q| closing && q.fract().is_zero());
        Some(TicketSeed { symbol: row.symbol.to_ascii_uppercase(), action, quantity, limit: None, account })
    }

    /// The Signals pane's row `index` (newest first).
    pub fn from_signal(store: &Store, index: usize, action: OrderAction) -> Option<Self> {
        let signal = store.signals.iter().rev().nth(index)?;
        Some(TicketSeed::symbol(&signal.symbol, action, store))
    }

    /// The watchlist's row `index` (in the configured order).
    pub fn from_watchlist(store: &Store, index: usize, action: OrderAction) -> Option<Self> {
        let symbol = store.watchlist.get(index)?;
        Some(TicketSeed::symbol(symbol, action, store))
    }

    /// From the focused pane's selection; a blank ticket when the pane has no rows to trade.
    pub fn from_selection(focus: PaneId, selected: usize, action: OrderAction, store: &Store) -> Self {
        let seed = match focus {
            PaneId::Positions => TicketSeed::from_position(store, selected, action),
            PaneId::Signals => TicketSeed::from_signal(store, selected, action),
            _ => None,
        };
        seed.unwrap_or_else(|| TicketSeed::blank(action, store))
    }
}

/// The Positions pane's rows with their accounts: the primary account's (all while no account
/// is known), by symbol.
fn position_rows(store: &Store) -> Vec<(String, &PositionRow)> {
    let mut rows: Vec<(String, &PositionRow)> = match store.primary_account() {
        Some(account) => store.positions_of(account).map(|(key, row)| (key.account.clone(), row)).collect(),
        None => store.positions.iter().map(|(key, row)| (key.account.clone(), row)).collect(),
    };
    rows.sort_by(|a, b| a.1.symbol.cmp(&b.1.symbol));
    rows
}
