//! The ticket being edited and its preview: text fields as typed, the focused field and its
//! cursor, and the mode (editing, previewing a request, sending it, refused).

use super::{TicketSeed, TradeRequest};
use crate::orders::{
    confirm_live, entry_allowed, preflight, EntryMode, GuardBlock, GuardContext, MarketContext, OrderAction, OrderType,
    Preflight, Refusal, StopKind, Ticket, TicketField, TimeInForce,
};
use crate::store::{OrderTerms, Store};
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rust_decimal::Decimal;

/// How long the trader must pause on the symbol before it is resolved.
pub const RESOLVE_PAUSE_MS: i64 = 600;

/// A confirm this soon after the preview opened is ignored: a key repeat or an impatient
/// double Enter on the ticket must not go straight through the preview.
pub const CONFIRM_DELAY_MS: i64 = 400;

/// The longest text a field takes (far beyond any valid value; validation reports the rest).
const MAX_FIELD_CHARS: usize = 24;

/// Where the ticket is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Editing,
    /// The preview of `request` is shown; `y`/Enter transmits it.
    Previewing {
        request: u64,
    },
    /// `request` was transmitted; further confirms are ignored until its outcome arrives.
    Sending {
        request: u64,
    },
    /// The app refused the confirmed ticket; the reason is shown until Esc/Enter.
    Refused {
        reason: String,
    },
}

/// Which preview input takes the keys when both are asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    Override,
    Account,
}

/// The ticket popup's state.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketState {
    pub ticket: Ticket,
    pub focus: TicketField,
    /// The cursor in the focused text field, in characters.
    pub cursor: usize,
    /// `Some(order id)` when modifying a working order.
    pub modify: Option<i32>,
    pub mode: Mode,
    /// What the trader typed for the override word, in the preview.
    pub override_typed: String,
    /// What the trader typed for the account id (live accounts), in the preview.
    pub account_typed: String,
    pub prompt: Prompt,
    /// Why the last Enter or confirm did nothing.
    pub hint: Option<String>,
    resolve_asked: Option<String>,
    symbol_typed_at: Option<DateTime<Utc>>,
    previewed_at: Option<DateTime<Utc>>,
    /// The exit prices the preview showed (they move with the market for a market entry
    /// given offsets): a confirm sends only those.
    previewed_exits: (Option<Decimal>, Option<Decimal>),
}

/// What a key did to the ticket.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum KeyAnswer {
    Consumed,
    Close,
    CloseWith(String),
    Request(TradeRequest),
}

pub(super) enum Synced {
    Unchanged,
    /// The order went: close with this notice.
    Sent(String),
}

/// The fields in focus order (the ticket draws them in this order too).
pub(super) const FIELDS: [TicketField; 15] = [
    TicketField::Symbol,
    TicketField::Action,
    TicketField::Quantity,
    TicketField::OrderType,
    TicketField::LimitPrice,
    TicketField::StopPrice,
    TicketField::Trail,
    TicketField::LimitOffset,
    TicketField::TimeInForce,
    TicketField::GoodTill,
    TicketField::OutsideRth,
    TicketField::Account,
    TicketField::TakeProfit,
    TicketField::StopLoss,
    TicketField::StopKind,
];

/// The exit fields: the ticket's "attach exits" section.
pub fn is_exit_field(field: TicketField) -> bool {
    matches!(field, TicketField::TakeProfit | TicketField::StopLoss | TicketField::StopKind)
}

/// Fields a modification keeps as they are (IB modifies an order's size, prices and TIF).
fn fixed_for_modify(field: TicketField) -> bool {
    matches!(field, TicketField::Symbol | TicketField::Action | TicketField::Account)
}

pub fn is_text_field(field: TicketField) -> bool {
    matches!(
        field,
        TicketField::Symbol
            | TicketField::Quantity
            | TicketField::LimitPrice
            | TicketField::StopPrice
            | TicketField::Trail
            | TicketField::LimitOffset
            | TicketField::GoodTill
            | TicketField::TakeProfit
            | TicketField::StopLoss
    )
}

fn plain_char(key: &KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c) if !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) && !c.is_control() => {
            Some(c)
        }
        _ => None,
    }
}

fn decimal_text(value: Decimal) -> String {
    value.normalize().to_string()
}

/// A price as the trader would type it: at least two decimals (`149.50`), more if it has them.
fn price_text(value: Decimal) -> String {
    let mut value = value.normalize();
    if value.scale() < 2 {
        value.rescale(2);
    }
    value.to_string()
}

impl TicketState {
    /// A ticket prefilled from `seed`, focused on the first field the trader still has to fill.
    pub fn from_seed(seed: TicketSeed) -> Self {
        let mut ticket = Ticket::new(seed.symbol.trim(), seed.action, &seed.account);
        ticket.symbol = ticket.symbol.to_ascii_uppercase();
        ticket.quantity = seed.quantity.map(decimal_text).unwrap_or_default();
        ticket.limit_price = seed.limit.map(price_text).unwrap_or_default();
        let focus = if ticket.symbol.is_empty() {
            TicketField::Symbol
        } else if ticket.quantity.is_empty() {
            TicketField::Quantity
        } else {
            TicketField::LimitPrice
        };
        TicketState::editing(ticket, focus, None)
    }

    /// A ticket being edited from its start: focused on `focus` with the cursor at its end.
    fn editing(ticket: Ticket, focus: TicketField, modify: Option<i32>) -> Self {
        let mut state = TicketState {
            ticket,
            focus,
            cursor: 0,
            modify,
            mode: Mode::Editing,
            override_typed: String::new(),
            account_typed: String::new(),
            prompt: Prompt::Override,
            hint: None,
            resolve_asked: None,
            symbol_typed_at: None,
            previewed_at: None,
            previewed_exits: (None, None),
        };
        state.cursor = state.focused_len();
        state
    }

    /// A ticket holding a working order's terms, to modify it (same order id).
    pub fn from_order(order_id: i32, terms: &OrderTerms) -> Result<Self, String> {
        let action = match terms.action.as_str() {
            "BUY" => OrderAction::Buy,
            "SELL" => OrderAction::Sell,
            other => return Err(format!("order {order_id} is a {other} order: the ticket modifies BUY and SELL only")),
        };
        // The order's terms carry no trailing amount or GTD time: those are not modified here.
        let order_type = OrderType::from_code(&terms.order_type).filter(|t| !t.needs_trail()).ok_or_else(|| {
            format!(
                "order {order_id} is a {} order: the ticket modifies MKT, LMT, STP and STP LMT only",
                terms.order_type
            )
        })?;
        let tif = TimeInForce::from_code(&terms.tif).filter(|t| *t != TimeInForce::Gtd).ok_or_else(|| {
            format!("order {order_id} has time in force {}: the ticket modifies DAY, GTC and IOC only", terms.tif)
        })?;
        let ticket = Ticket {
            symbol: terms.symbol.to_ascii_uppercase(),
            action,
            quantity: decimal_text(terms.quantity),
            order_type,
            limit_price: terms.limit_price.map(price_text).unwrap_or_default(),
            stop_price: terms.stop_price.map(price_text).unwrap_or_default(),
            tif,
            outside_rth: terms.outside_rth,
            account: terms.account.clone(),
            ..Ticket::new("", action, "")
        };
        Ok(TicketState::editing(ticket, TicketField::Quantity, Some(order_id)))
    }

    /// Focus the price a modification usually changes: the stop of a stop order, else the
    /// limit (the quantity for a market order).
    pub fn focus_price(&mut self) {
        self.focus = if self.ticket.order_type.needs_stop() {
            TicketField::StopPrice
        } else if self.ticket.order_type.needs_limit() {
            TicketField::LimitPrice
        } else {
            TicketField::Quantity
        };
        self.cursor = self.focused_len();
    }

    /// The fields Tab visits, in order.
    pub fn fields(&self) -> Vec<TicketField> {
        self.shown_fields().into_iter().filter(|f| self.modify.is_none() || !fixed_for_modify(*f)).collect()
    }

    /// The fields drawn, in order: the trailing fields only for the trailing types, the
    /// good-till time only for GTD.
    pub fn shown_fields(&self) -> Vec<TicketField> {
        let t = &self.ticket;
        FIELDS
            .into_iter()
            .filter(|f| match f {
                TicketField::Trail => t.order_type.needs_trail(),
                TicketField::LimitOffset => t.order_type.needs_limit_offset(),
                TicketField::GoodTill => t.tif == TimeInForce::Gtd,
                // A modification changes one order; exits are attached to new orders only.
                f if is_exit_field(*f) => self.modify.is_none(),
                _ => true,
            })
            .collect()
    }

    pub fn market(&self, store: &Store, now: DateTime<Utc>) -> MarketContext {
        store.market_context(&self.ticket.symbol, self.ticket.account.trim(), now)
    }

    /// The guard's verdict for this ticket's account.
    pub fn guard(&self, store: &Store) -> Result<EntryMode, GuardBlock> {
        entry_allowed(&GuardContext { ticket_account: Some(self.ticket.account.trim()), ..store.guard_context() })
    }

    /// Every check the app will run before sending, as of `now`.
    pub fn preflight(&self, store: &Store, now: DateTime<Utc>) -> Result<Preflight, Refusal> {
        preflight(
            &self.ticket,
            &self.market(store, now),
            &store.guard_context(),
            &store.trading.precautions,
            &store.trading.recent,
            now,
        )
    }

    /// The mode as the store has it now: a sending ticket whose refusal arrived shows it.
    pub fn shown_mode(&self, store: &Store) -> Mode {
        if let Mode::Sending { request } = self.mode {
            if let Some(outcome) = store.trading.outcome.as_ref().filter(|o| o.request == request) {
                if let Err(reason) = &outcome.result {
                    return Mode::Refused { reason: reason.clone() };
                }
            }
        }
        self.mode.clone()
    }

    /// Whether the outcome of the request being sent says it went.
    pub fn sent<'a>(&self, store: &'a Store) -> Option<&'a str> {
        let Mode::Sending { request } = self.mode else { return None };
        let outcome = store.trading.outcome.as_ref().filter(|o| o.request == request)?;
        outcome.result.as_deref().ok()
    }

    pub(super) fn sync(&mut self, store: &Store) -> Synced {
        if let Some(intent) = self.sent(store) {
            let what = match self.modify {
                Some(id) => format!("modification of order {id} sent"),
                None => format!("order sent: {}", self.summary()),
            };
            return Synced::Sent(format!("{what} (intent {intent})"));
        }
        self.mode = self.shown_mode(store);
        Synced::Unchanged
    }

    /// `BUY 100 AAPL LMT 150.00 DAY` as typed.
    pub fn summary(&self) -> String {
        let t = &self.ticket;
        let mut s = format!("{} {} {} {}", t.action.code(), t.quantity.trim(), t.symbol.trim(), t.order_type.code());
        if t.order_type.needs_stop() {
            s.push_str(&format!(" stop {}", t.stop_price.trim()));
        }
        if t.order_type.needs_limit() {
            s.push_str(&format!(" limit {}", t.limit_price.trim()));
        }
        if t.order_type.needs_trail() {
            s.push_str(&format!(" trail {}", t.trail.trim()));
        }
        if t.order_type.needs_limit_offset() {
            s.push_str(&format!(" offset {}", t.limit_offset.trim()));
        }
        s.push(' ');
        s.push_str(t.tif.code());
        if t.tif == TimeInForce::Gtd {
            s.push_str(&format!(" till {} UTC", t.good_till.trim()));
        }
        if t.outside_rth {
            s.push_str(" outside RTH");
        }
        if !t.take_profit.trim().is_empty() {
            s.push_str(&format!(" · TP {}", t.take_profit.trim()));
        }
        if !t.stop_loss.trim().is_empty() {
            let kind = if t.stop_kind == StopKind::Trail { "trailing " } else { "" };
            s.push_str(&format!(" · {kind}SL {}", t.stop_loss.trim()));
        }
        s
    }

    /// The symbol to resolve, when the store has no answer for it and it was not asked yet.
    pub fn resolve_needed(&self, store: &Store) -> Option<String> {
        let symbol = self.ticket.symbol.trim().to_ascii_uppercase();
        if symbol.is_empty()
            || store.trading.contracts.contains_key(&symbol)
            || self.resolve_asked.as_deref() == Some(symbol.as_str())
        {
            return None;
        }
        Some(symbol)
    }

    pub(super) fn mark_resolve_asked(&mut self, symbol: &str) {
        self.resolve_asked = Some(symbol.to_string());
        self.symbol_typed_at = None;
    }

    /// The symbol to resolve once the trader paused typing it.
    pub(super) fn paused_symbol(&mut self, store: &Store, now: DateTime<Utc>) -> Option<String> {
        let typed_at = self.symbol_typed_at?;
        if (now - typed_at).num_milliseconds() < RESOLVE_PAUSE_MS || self.mode != Mode::Editing {
            return None;
        }
        self.symbol_typed_at = None;
        let symbol = self.resolve_needed(store)?;
        self.mark_resolve_asked(&symbol);
        Some(symbol)
    }

    fn text(&self, field: TicketField) -> Option<&String> {
        let t = &self.ticket;
        match field {
            TicketField::Symbol => Some(&t.symbol),
            TicketField::Quantity => Some(&t.quantity),
            TicketField::LimitPrice => Some(&t.limit_price),
            TicketField::StopPrice => Some(&t.stop_price),
            TicketField::Trail => Some(&t.trail),
            TicketField::LimitOffset => Some(&t.limit_offset),
            TicketField::GoodTill => Some(&t.good_till),
            TicketField::TakeProfit => Some(&t.take_profit),
            TicketField::StopLoss => Some(&t.stop_loss),
            _ => None,
        }
    }

    fn text_mut(&mut self, field: TicketField) -> Option<&mut String> {
        let t = &mut self.ticket;
        match field {
            TicketField::Symbol => Some(&mut t.symbol),
            TicketField::Quantity => Some(&mut t.quantity),
            TicketField::LimitPrice => Some(&mut t.limit_price),
            TicketField::StopPrice => Some(&mut t.stop_price),
            TicketField::Trail => Some(&mut t.trail),
            TicketField::LimitOffset => Some(&mut t.limit_offset),
            TicketField::GoodTill => Some(&mut t.good_till),
            TicketField::TakeProfit => Some(&mut t.take_profit),
            TicketField::StopLoss => Some(&mut t.stop_loss),
            _ => None,
        }
    }

    fn focused_len(&self) -> usize {
        self.text(self.focus).map_or(0, |s| s.chars().count())
    }

    /// The text shown for a field (choices as their codes).
    pub fn value(&self, field: TicketField) -> String {
        let t = &self.ticket;
        match field {
            TicketField::Action => t.action.code().to_string(),
            TicketField::OrderType => t.order_type.code().to_string(),
            TicketField::TimeInForce => t.tif.code().to_string(),
            TicketField::StopKind => t.stop_kind.code().to_string(),
            TicketField::OutsideRth => if t.outside_rth { "yes" } else { "no" }.to_string(),
            TicketField::Account => t.account.clone(),
            other => self.text(other).cloned().unwrap_or_default(),
        }
    }

    /// One key. `last_request` is the session's preview counter.
    pub(super) fn handle_key(
        &mut self,
        key: &KeyEvent,
        store: &Store,
        now: DateTime<Utc>,
        last_request: &mut u64,
    ) -> KeyAnswer {
        match self.mode.clone() {
            Mode::Editing => self.key_editing(key, store, now, last_request),
            Mode::Previewing { request } => self.key_preview(key, request, store, now),
            Mode::Sending { request } => match key.code {
                KeyCode::Esc => KeyAnswer::CloseWith(format!(
                    "ticket closed while request {request} was being sent: check the orders for what happened"
                )),
                // The popup says "sending…"; nothing more goes out until the outcome arrives.
                _ => KeyAnswer::Consumed,
            },
            Mode::Refused { .. } => {
                if matches!(key.code, KeyCode::Esc | KeyCode::Enter) {
                    self.back_to_editing();
                }
                KeyAnswer::Consumed
            }
        }
    }

    fn back_to_editing(&mut self) {
        self.mode = Mode::Editing;
        self.override_typed.clear();
        self.account_typed.clear();
        self.hint = None;
    }

    fn key_editing(&mut self, key: &KeyEvent, store: &Store, now: DateTime<Utc>, last_request: &mut u64) -> KeyAnswer {
        match key.code {
            KeyCode::Esc => return KeyAnswer::Close,
            KeyCode::Tab | KeyCode::Down => return self.move_focus(1, store),
            KeyCode::BackTab | KeyCode::Up => return self.move_focus(-1, store),
            KeyCode::Enter => return self.try_preview(store, now, last_request),
            _ => {}
        }
        if is_text_field(self.focus) {
            self.edit_text(key, now);
        } else {
            let step = match key.code {
                KeyCode::Char(' ') | KeyCode::Right => 1,
                KeyCode::Left => -1,
                _ => return KeyAnswer::Consumed,
            };
            self.cycle(step, store);
        }
        self.hint = None;
        KeyAnswer::Consumed
    }

    fn move_focus(&mut self, step: i32, store: &Store) -> KeyAnswer {
        let fields = self.fields();
        let at = fields.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = fields.len() as i32;
        let next = (at as i32 + step).rem_euclid(n.max(1)) as usize;
        let leaving = self.focus;
        self.focus = fields.get(next).copied().unwrap_or(TicketField::Quantity);
        self.cursor = self.focused_len();
        if leaving == TicketField::Symbol {
            if let Some(symbol) = self.resolve_needed(store) {
                self.mark_resolve_asked(&symbol);
                return KeyAnswer::Request(TradeRequest::Resolve { symbol });
            }
        }
        KeyAnswer::Consumed
    }

    fn edit_text(&mut self, key: &KeyEvent, now: DateTime<Utc>) {
        let field = self.focus;
        let cursor = self.cursor.min(self.focused_len());
        let Some(text) = self.text_mut(field) else { return };
        let byte_at = |s: &str, chars: usize| s.char_indices().nth(chars).map_or(s.len(), |(i, _)| i);
        let mut cursor_after = cursor;
        let mut changed = false;
        match key.code {
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                text.clear();
                cursor_after = 0;
                changed = true;
            }
            KeyCode::Backspace if cursor > 0 => {
                let from = byte_at(text, cursor - 1);
                let to = byte_at(text, cursor);
                text.replace_range(from..to, "");
                cursor_after = cursor - 1;
                changed = true;
            }
            KeyCode::Delete if cursor < text.chars().count() => {
                let from = byte_at(text, cursor);
                let to = byte_at(text, cursor + 1);
                text.replace_range(from..to, "");
                changed = true;
            }
            KeyCode::Left => cursor_after = cursor.saturating_sub(1),
            KeyCode::Right => cursor_after = (cursor + 1).min(text.chars().count()),
            KeyCode::Home => cursor_after = 0,
            KeyCode::End => cursor_after = text.chars().count(),
            _ => {
                if let Some(c) = plain_char(key) {
                    if text.chars().count() < MAX_FIELD_CHARS {
                        let c = if field == TicketField::Symbol { c.to_ascii_uppercase() } else { c };
                        let at = byte_at(text, cursor);
                        text.insert(at, c);
                        cursor_after = cursor + 1;
                        changed = true;
                    }
                }
            }
        }
        self.cursor = cursor_after;
        if changed && field == TicketField::Symbol {
            self.symbol_typed_at = Some(now);
        }
    }

    fn cycle(&mut self, step: i32, store: &Store) {
        fn turn<T: Copy + PartialEq>(all: &[T], current: T, step: i32) -> T {
            let n = all.len() as i32;
            let at = all.iter().position(|x| *x == current).unwrap_or(0) as i32;
            all.get((at + step).rem_euclid(n.max(1)) as usize).copied().unwrap_or(current)
        }
        let t = &mut self.ticket;
        match self.focus {
            TicketField::Action => t.action = turn(&[OrderAction::Buy, OrderAction::Sell], t.action, step),
            TicketField::OrderType => t.order_type = turn(&OrderType::ALL, t.order_type, step),
            TicketField::TimeInForce => t.tif = turn(&TimeInForce::ALL, t.tif, step),
            TicketField::StopKind => t.stop_kind = turn(&StopKind::ALL, t.stop_kind, step),
            TicketField::OutsideRth => t.outside_rth = !t.outside_rth,
            TicketField::Account => {
                let accounts = &store.connection.managed_accounts;
                let current = accounts.iter().position(|a| *a == t.account.trim());
                let next = match current {
                    Some(at) => (at as i32 + step).rem_euclid(accounts.len().max(1) as i32) as usize,
                    None => 0,
                };
                if let Some(account) = accounts.get(next) {
                    t.account = account.clone();
                }
            }
            _ => {}
        }
    }

    fn try_preview(&mut self, store: &Store, now: DateTime<Utc>, last_request: &mut u64) -> KeyAnswer {
        if self.guard(store).is_err() {
            // The Entry line says why; Enter does nothing.
            self.hint = None;
            return KeyAnswer::Consumed;
        }
        match self.ticket.validate_group(&self.market(store, now)) {
            Err(errors) => {
                if let Some(symbol) = self.resolve_needed(store) {
                    self.mark_resolve_asked(&symbol);
                    self.hint = Some(format!("resolving {symbol}…"));
                    return KeyAnswer::Request(TradeRequest::Resolve { symbol });
                }
                let n = errors.len();
                self.hint = Some(format!(
                    "fix {n} field{} before the preview; nothing was sent",
                    if n == 1 { "" } else { "s" }
                ));
                KeyAnswer::Consumed
            }
            Ok(_) => {
                *last_request += 1;
                let request = *last_request;
                self.back_to_editing();
                self.mode = Mode::Previewing { request };
                self.prompt = Prompt::Override;
                self.previewed_at = Some(now);
                self.previewed_exits = self.ticket.preview_exits(&self.market(store, now));
                KeyAnswer::Request(TradeRequest::Preview {
                    request,
                    ticket: Box::new(self.ticket.clone()),
                    modify: self.modify,
                })
            }
        }
    }

    /// The inputs the preview asks for: the override word and/or the live account id.
    pub fn prompts(&self, store: &Store, now: DateTime<Utc>) -> (Option<String>, Option<String>) {
        match self.preflight(store, now) {
            Ok(pre) => (
                pre.override_word(&store.trading.precautions).map(str::to_string),
                pre.live_account().map(str::to_string),
            ),
            Err(_) => (None, None),
        }
    }

    /// The prompt typing goes to, if any.
    pub fn active_prompt(&self, store: &Store, now: DateTime<Utc>) -> Option<Prompt> {
        match self.prompts(store, now) {
            (Some(_), Some(_)) => Some(self.prompt),
            (Some(_), None) => Some(Prompt::Override),
            (None, Some(_)) => Some(Prompt::Account),
            (None, None) => None,
        }
    }

    fn key_preview(&mut self, key: &KeyEvent, request: u64, store: &Store, now: DateTime<Utc>) -> KeyAnswer {
        let active = self.active_prompt(store, now);
        match key.code {
            KeyCode::Esc => {
                self.back_to_editing();
                return KeyAnswer::Consumed;
            }
            KeyCode::Enter => return self.confirm(request, store, now),
            KeyCode::Tab | KeyCode::BackTab => {
                self.prompt = if self.prompt == Prompt::Override { Prompt::Account } else { Prompt::Override };
                return KeyAnswer::Consumed;
            }
            _ => {}
        }
        let typed = match active {
            Some(Prompt::Override) => Some(&mut self.override_typed),
            Some(Prompt::Account) => Some(&mut self.account_typed),
            None => None,
        };
        match (typed, key.code, plain_char(key)) {
            (Some(typed), KeyCode::Backspace, _) => {
                typed.pop();
            }
            (Some(typed), _, Some(c)) if typed.chars().count() < 32 => typed.push(c),
            (None, _, Some('y' | 'Y')) => return self.confirm(request, store, now),
            (None, _, Some('n' | 'N')) => self.back_to_editing(),
            _ => {}
        }
        KeyAnswer::Consumed
    }

    fn confirm(&mut self, request: u64, store: &Store, now: DateTime<Utc>) -> KeyAnswer {
        if self.previewed_at.is_some_and(|at| (now - at).num_milliseconds() < CONFIRM_DELAY_MS) {
            self.hint = Some("not sent: too soon after the preview opened; read it, then confirm".into());
            return KeyAnswer::Consumed;
        }
        let pre = match self.preflight(store, now) {
            Ok(pre) => pre,
            Err(refusal) => {
                self.hint = Some(format!("not sent: {refusal}"));
                return KeyAnswer::Consumed;
            }
        };
        let exits = self.ticket.preview_exits(&self.market(store, now));
        if exits != self.previewed_exits {
            let shown = |p: Option<Decimal>| p.map_or_else(|| "--".to_string(), |p| p.normalize().to_string());
            self.hint = Some(format!(
                "not sent: the market moved the exits (take profit {} → {}, stop loss {} → {}): esc, then preview again",
                shown(self.previewed_exits.0),
                shown(exits.0),
                shown(self.previewed_exits.1),
                shown(exits.1)
            ));
            return KeyAnswer::Consumed;
        }
        match store.trading.what_if.as_ref().filter(|w| w.request == request).map(|w| &w.result) {
            None => {
                self.hint = Some("not sent: waiting for the gateway's what-if; confirm once it is shown".into());
                return KeyAnswer::Consumed;
            }
            Some(Err(text)) => {
                self.hint = Some(format!("not sent: the gateway refused the what-if: {text}"));
                return KeyAnswer::Consumed;
            }
            Some(Ok(_)) => {}
        }
        if let Some(word) = pre.override_word(&store.trading.precautions) {
            if self.override_typed.trim() != word {
                self.hint = Some(format!("not sent: type {word} to override the checks above"));
                return KeyAnswer::Consumed;
            }
        }
        if let Some(account) = pre.live_account() {
            if !confirm_live(account, &self.account_typed) {
                self.hint = Some(format!("not sent: LIVE account {account}: type the account id to confirm"));
                return KeyAnswer::Consumed;
            }
        }
        self.mode = Mode::Sending { request };
        self.hint = None;
        KeyAnswer::Request(TradeRequest::Transmit {
            request,
            ticket: Box::new(self.ticket.clone()),
            modify: self.modify,
            override_word: self.override_typed.trim().to_string(),
            typed_account: self.account_typed.trim().to_string(),
        })
    }
}
