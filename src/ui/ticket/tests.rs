//! The ticket and the order popups: keys in, requests out, and what the popups show (insta
//! snapshots with a fixed clock and scripted stores).

use super::form::CONFIRM_DELAY_MS;
use super::*;
use crate::config::keymap::Action;
use crate::config::theme::{load_theme, Theme};
use crate::orders::{ContractInfo, OrderAction, OrderType, Precautions, SessionKind, Ticket, TimeInForce};
use crate::store::{BrokerEvent, DisconnectKind, OrderTerms, StoreEvent, TickField, TradingEvent, WhatIf};
use crate::ui::test_support::*;
use crate::ui::{handle_action, handle_key, handle_tick, ActionOutcome, PaneId, ViewState};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use ratatui::style::{Color, Modifier};
use std::path::Path;

pub(super) fn theme() -> Theme {
    load_theme("dark", Path::new("/nonexistent"), false).expect("embedded theme")
}

pub(super) fn key(code: KeyCode) -> KeyEvent {
    KeyEvent { code, modifiers: KeyModifiers::NONE, kind: KeyEventKind::Press, state: KeyEventState::NONE }
}

pub(super) fn ch(c: char) -> KeyEvent {
    key(KeyCode::Char(c))
}

fn aapl() -> ContractInfo {
    ContractInfo {
        con_id: 265598,
        symbol: "AAPL".into(),
        exchange: "SMART".into(),
        currency: "USD".into(),
        min_tick: d("0.01"),
        multiplier: d("1"),
    }
}

pub(super) fn configure(store: &mut Store, session: SessionKind, allow_live: bool) {
    store.apply(
        t(0),
        StoreEvent::Trading(TradingEvent::Configured { session, allow_live, precautions: Precautions::default() }),
    );
}

pub(super) fn quote(store: &mut Store, secs: i64, symbol: &str, bid: &str, ask: &str, last: &str) {
    for (field, value) in [(TickField::Bid, bid), (TickField::Ask, ask), (TickField::Last, last)] {
        broker(store, secs, BrokerEvent::Tick { symbol: symbol.into(), field, value: d(value) });
    }
}

/// Live paper session with AAPL resolved and quoted 150.00 / 150.02 one second ago.
pub(super) fn trading_store() -> Store {
    let mut store = live_with_data();
    configure(&mut store, SessionKind::Trading, false);
    broker(&mut store, 20, BrokerEvent::ContractResolved { symbol: "AAPL".into(), result: Ok(aapl()) });
    quote(&mut store, 59, "AAPL", "150.00", "150.02", "150.01");
    store
}

/// A store with a live account only (`U1234567`), configured as `allow_live`.
fn live_account_store(allow_live: bool) -> Store {
    let mut store = Store::new();
    connecting(&mut store, 1, 1);
    broker(
        &mut store,
        2,
        BrokerEvent::Connected {
            server_version: 187,
            connection_time: None,
            managed_accounts: vec!["U1234567".into()],
        },
    );
    broker(&mut store, 3, BrokerEvent::Reconciled);
    configure(&mut store, SessionKind::Trading, allow_live);
    broker(&mut store, 20, BrokerEvent::ContractResolved { symbol: "AAPL".into(), result: Ok(aapl()) });
    quote(&mut store, 59, "AAPL", "150.00", "150.02", "150.01");
    store
}

fn what_if(store: &mut Store, request: u64, result: Result<WhatIf, String>) {
    broker(store, 60, BrokerEvent::WhatIf { request, result });
}

fn outcome(store: &mut Store, request: u64, result: Result<String, String>) {
    store.apply(t(60), StoreEvent::Trading(TradingEvent::Outcome { request, result }));
}

fn a_what_if() -> WhatIf {
    WhatIf {
        commission: Some(d("1.00")),
        commission_currency: "USD".into(),
        init_margin_before: Some(d("15111.35")),
        init_margin_after: Some(d("30113.35")),
        maint_margin_before: Some(d("10123.45")),
        maint_margin_after: Some(d("20125.45")),
        equity_with_loan_after: Some(d("1000122.45")),
        warning: None,
    }
}

pub(super) fn press(view: &mut ViewState, store: &Store, k: KeyEvent) -> Option<ActionOutcome> {
    handle_key(view, &k, store, now())
}

/// `now()` plus `ms` milliseconds.
fn at_ms(ms: i64) -> chrono::DateTime<chrono::Utc> {
    now() + chrono::Duration::milliseconds(ms)
}

/// Past the confirm delay after a preview opened at `now()`.
fn later() -> chrono::DateTime<chrono::Utc> {
    at_ms(CONFIRM_DELAY_MS)
}

/// Every trade request that `keys` produce, in order.
fn press_all(view: &mut ViewState, store: &Store, keys: &[KeyEvent]) -> Vec<TradeRequest> {
    press_all_at(view, store, keys, now())
}

/// Every trade request that `keys` pressed at `at` produce, in order.
fn press_all_at(
    view: &mut ViewState,
    store: &Store,
    keys: &[KeyEvent],
    at: chrono::DateTime<chrono::Utc>,
) -> Vec<TradeRequest> {
    keys.iter()
        .filter_map(|k| match handle_key(view, k, store, at) {
            Some(ActionOutcome::Trade(request)) => Some(request),
            _ => None,
        })
        .collect()
}

fn type_text(view: &mut ViewState, store: &Store, text: &str) -> Vec<TradeRequest> {
    let keys: Vec<KeyEvent> = text.chars().map(ch).collect();
    press_all(view, store, &keys)
}

fn screen(store: &Store, view: &ViewState, w: u16, h: u16) -> String {
    text(&render_cockpit(store, view, &theme(), w, h))
}

fn state(view: &ViewState) -> &TicketState {
    view.ticket.ticket().expect("the ticket is open")
}

/// `o`, then symbol AAPL, quantity and limit typed: a valid BUY 100 AAPL LMT 150.00.
fn valid_ticket(view: &mut ViewState, store: &Store, qty: &str) {
    assert_eq!(handle_action(view, Action::NewTicket, store), ActionOutcome::Consumed);
    assert_eq!(type_text(view, store, "aapl"), vec![]);
    // Symbol → Action → Quantity.
    press_all(view, store, &[key(KeyCode::Tab), key(KeyCode::Tab)]);
    type_text(view, store, qty);
    // Quantity → Type → Limit.
    press_all(view, store, &[key(KeyCode::Tab), key(KeyCode::Tab)]);
    type_text(view, store, "150.00");
}

fn expected_ticket(qty: &str) -> Ticket {
    Ticket {
        quantity: qty.into(),
        order_type: OrderType::Limit,
        limit_price: "150.00".into(),
        ..Ticket::new("AAPL", OrderAction::Buy, ACCOUNT)
    }
}

// ---- editing ----

#[test]
fn typing_fills_the_focused_field_and_errors_show_beside_it() {
    let store = trading_store();
    let mut view = ViewState::new();
    handle_action(&mut view, Action::NewTicket, &store);
    type_text(&mut view, &store, "aapl");
    assert_eq!(state(&view).ticket.symbol, "AAPL", "symbols are upper-cased as typed");
    press_all(&mut view, &store, &[key(KeyCode::Tab), key(KeyCode::Tab)]);
    assert_eq!(state(&view).focus, crate::orders::TicketField::Quantity);
    type_text(&mut view, &store, "1.5");
    let text = screen(&store, &view, 120, 40);
    let qty_line = text.lines().find(|l| l.contains("Quantity")).expect("quantity line");
    assert!(
        qty_line.contains("[1.5") && qty_line.contains("quantity must be a whole number of shares, got 1.5"),
        "{text}"
    );
    let limit_line = text.lines().find(|l| l.contains("Limit price")).expect("limit line");
    assert!(limit_line.contains("limit price required for LMT"), "{text}");
    // Backspace, then a whole number: the quantity error goes, nothing was sent meanwhile.
    let sent = press_all(&mut view, &store, &[key(KeyCode::Backspace), key(KeyCode::Backspace)]);
    assert!(sent.is_empty());
    assert_eq!(state(&view).ticket.quantity, "1");
    let text = screen(&store, &view, 120, 40);
    assert!(!text.contains("quantity must"), "{text}");
    // An off-tick price names the tick and the neighbours.
    press_all(&mut view, &store, &[key(KeyCode::Tab), key(KeyCode::Tab)]);
    type_text(&mut view, &store, "150.123");
    let text = screen(&store, &view, 120, 40);
    assert!(text.contains("limit price 150.123 is not on the 0.01 tick (nearest 150.12 or 150.13)"), "{text}");
}

#[test]
fn the_cursor_moves_and_edits_in_the_middle() {
    let store = trading_store();
    let mut view = ViewState::new();
    handle_action(&mut view, Action::NewTicket, &store);
    type_text(&mut view, &store, "APL");
    press_all(&mut view, &store, &[key(KeyCode::Left), key(KeyCode::Left)]);
    type_text(&mut view, &store, "a");
    assert_eq!(state(&view).ticket.symbol, "AAPL");
    press_all(&mut view, &store, &[key(KeyCode::Home), key(KeyCode::Delete)]);
    assert_eq!(state(&view).ticket.symbol, "APL");
    let ctrl_u = KeyEvent { modifiers: KeyModifiers::CONTROL, ..ch('u') };
    press(&mut view, &store, ctrl_u);
    assert_eq!(state(&view).ticket.symbol, "");
}

#[test]
fn choices_cycle_with_space_and_arrows() {
    let mut store = trading_store();
    broker(
        &mut store,
        21,
        BrokerEvent::Connected {
            server_version: 187,
            connection_time: None,
            managed_accounts: vec![ACCOUNT.into(), "DU7654321".into()],
        },
    );
    let mut view = ViewState::new();
    handle_action(&mut view, Action::NewTicket, &store);
    press(&mut view, &store, key(KeyCode::Tab));
    press(&mut view, &store, ch(' '));
    assert_eq!(state(&view).ticket.action, OrderAction::Sell);
    press(&mut view, &store, key(KeyCode::Left));
    assert_eq!(state(&view).ticket.action, OrderAction::Buy);
    press_all(&mut view, &store, &[key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Right)]);
    assert_eq!(state(&view).ticket.order_type, OrderType::Stop);
    press(&mut view, &store, key(KeyCode::Left));
    press(&mut view, &store, key(KeyCode::Left));
    assert_eq!(state(&view).ticket.order_type, OrderType::Market);
    press(&mut view, &store, key(KeyCode::Left));
    assert_eq!(state(&view).ticket.order_type, OrderType::TrailLimit, "wraps around");
    press(&mut view, &store, key(KeyCode::Left));
    assert_eq!(state(&view).ticket.order_type, OrderType::Trail);
    press(&mut view, &store, key(KeyCode::Left));
    assert_eq!(state(&view).ticket.order_type, OrderType::StopLimit);
    press_all(&mut view, &store, &[key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Tab), ch(' ')]);
    assert_eq!(state(&view).ticket.tif, TimeInForce::Gtc);
    press_all(&mut view, &store, &[key(KeyCode::Tab), ch(' ')]);
    assert!(state(&view).ticket.outside_rth);
    press_all(&mut view, &store, &[key(KeyCode::Tab), ch(' ')]);
    assert_eq!(state(&view).ticket.account, "DU7654321");
    press(&mut view, &store, ch(' '));
    assert_eq!(state(&view).ticket.account, ACCOUNT);
    // Shift-Tab goes back; Tab after the last field wraps to the symbol.
    press(&mut view, &store, key(KeyCode::BackTab));
    assert_eq!(state(&view).focus, crate::orders::TicketField::OutsideRth);
    // After the account come the exits, then Tab wraps to the symbol.
    press(&mut view, &store, key(KeyCode::Tab));
    press(&mut view, &store, key(KeyCode::Tab));
    assert_eq!(state(&view).focus, crate::orders::TicketField::TakeProfit);
    press_all(&mut view, &store, &[key(KeyCode::Tab), key(KeyCode::Tab), ch(' ')]);
    assert_eq!(state(&view).ticket.stop_kind, crate::orders::StopKind::Trail);
    press(&mut view, &store, key(KeyCode::Tab));
    assert_eq!(state(&view).focus, crate::orders::TicketField::Symbol);
}

#[test]
fn trailing_and_gtd_fields_show_and_take_keys_only_when_their_choice_needs_them() {
    use crate::orders::TicketField as F;
    let store = trading_store();
    let mut view = ViewState::new();
    handle_action(&mut view, Action::NewTicket, &store);
    let base = vec![
        F::Symbol,
        F::Action,
        F::Quantity,
        F::OrderType,
        F::LimitPrice,
        F::StopPrice,
        F::TimeInForce,
        F::OutsideRth,
        F::Account,
        F::TakeProfit,
        F::StopLoss,
        F::StopKind,
    ];
    assert_eq!(state(&view).fields(), base);
    if let Some(super::Popup::Ticket(t)) = view.ticket.popup.as_mut() {
        t.ticket.order_type = OrderType::TrailLimit;
        t.ticket.tif = crate::orders::TimeInForce::Gtd;
    }
    assert_eq!(
        state(&view).fields(),
        vec![
            F::Symbol,
            F::Action,
            F::Quantity,
            F::OrderType,
            F::LimitPrice,
            F::StopPrice,
            F::Trail,
            F::LimitOffset,
            F::TimeInForce,
            F::GoodTill,
            F::OutsideRth,
            F::Account,
            F::TakeProfit,
            F::StopLoss,
            F::StopKind,
        ]
    );
    // Typing into them: symbol, then 6 tabs to the trail.
    type_text(&mut view, &store, "aapl");
    press_all(&mut view, &store, &[key(KeyCode::Tab), key(KeyCode::Tab)]);
    type_text(&mut view, &store, "10");
    press_all(&mut view, &store, &[key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Tab)]);
    assert_eq!(state(&view).focus, F::Trail);
    type_text(&mut view, &store, "1%");
    press(&mut view, &store, key(KeyCode::Tab));
    type_text(&mut view, &store, "0.05");
    press_all(&mut view, &store, &[key(KeyCode::Tab), key(KeyCode::Tab)]);
    assert_eq!(state(&view).focus, F::GoodTill);
    type_text(&mut view, &store, "20261128 21:00:00");
    let t = &state(&view).ticket;
    assert_eq!((t.trail.as_str(), t.limit_offset.as_str(), t.good_till.as_str()), ("1%", "0.05", "20261128 21:00:00"));
    let intent = t.validate(&state(&view).market(&store, now())).expect("valid TRAIL LIMIT GTD");
    assert_eq!(intent.order_type(), OrderType::TrailLimit);
    assert_eq!(state(&view).summary(), "BUY 10 AAPL TRAIL LIMIT trail 1% offset 0.05 GTD till 20261128 21:00:00 UTC");
    let screen = screen(&store, &view, 100, 34);
    assert!(line_with(&screen, "Trail").contains("[1%"), "{screen}");
    assert!(line_with(&screen, "Good till").contains("[20261128 21:00:00"), "{screen}");
}

#[test]
fn an_unknown_symbol_is_resolved_on_leaving_the_field_and_its_error_shown() {
    let mut store = trading_store();
    let mut view = ViewState::new();
    handle_action(&mut view, Action::NewTicket, &store);
    assert_eq!(type_text(&mut view, &store, "zzzz"), vec![], "nothing is asked while typing");
    let asked = press_all(&mut view, &store, &[key(KeyCode::Tab)]);
    assert_eq!(asked, vec![TradeRequest::Resolve { symbol: "ZZZZ".into() }]);
    // Not asked twice.
    assert_eq!(press_all(&mut view, &store, &[key(KeyCode::BackTab), key(KeyCode::Tab)]), vec![]);
    assert!(screen(&store, &view, 120, 40).contains("resolving ZZZZ…"));
    broker(
        &mut store,
        60,
        BrokerEvent::ContractResolved {
            symbol: "ZZZZ".into(),
            result: Err("No security definition has been found for the request".into()),
        },
    );
    let text = screen(&store, &view, 120, 40);
    assert!(text.contains("unknown symbol ZZZZ: No security definition has been found for the request"), "{text}");
}

#[test]
fn a_pause_on_the_symbol_asks_to_resolve_it_once() {
    let store = trading_store();
    let mut view = ViewState::new();
    handle_action(&mut view, Action::NewTicket, &store);
    handle_key(&mut view, &ch('m'), &store, t(100));
    handle_key(&mut view, &ch('s'), &store, t(100));
    assert_eq!(handle_tick(&mut view, &store, t(100)), None, "no pause yet");
    assert_eq!(
        handle_tick(&mut view, &store, t(101)),
        Some(ActionOutcome::Trade(TradeRequest::Resolve { symbol: "MS".into() }))
    );
    assert_eq!(handle_tick(&mut view, &store, t(102)), None, "asked once");
}

// ---- preview and transmit ----

#[test]
fn enter_on_a_valid_ticket_asks_for_a_preview_of_exactly_that_ticket() {
    let store = trading_store();
    let mut view = ViewState::new();
    valid_ticket(&mut view, &store, "100");
    let sent = press_all(&mut view, &store, &[key(KeyCode::Enter)]);
    assert_eq!(
        sent,
        vec![TradeRequest::Preview { request: 1, ticket: Box::new(expected_ticket("100")), modify: None }]
    );
    assert_eq!(state(&view).mode, Mode::Previewing { request: 1 });
    // Back, and a second preview gets a new request number.
    press(&mut view, &store, key(KeyCode::Esc));
    let sent = press_all(&mut view, &store, &[key(KeyCode::Enter)]);
    assert!(matches!(sent.as_slice(), [TradeRequest::Preview { request: 2, .. }]), "{sent:?}");
}

#[test]
fn enter_on_an_invalid_ticket_sends_nothing_and_says_why() {
    let store = trading_store();
    let mut view = ViewState::new();
    valid_ticket(&mut view, &store, "1.5");
    assert_eq!(press_all(&mut view, &store, &[key(KeyCode::Enter)]), vec![]);
    assert_eq!(state(&view).mode, Mode::Editing);
    assert!(screen(&store, &view, 120, 40).contains("fix 1 field before the preview; nothing was sent"));
}

#[test]
fn the_preview_shows_the_what_if_of_its_own_request_only() {
    let mut store = trading_store();
    let mut view = ViewState::new();
    valid_ticket(&mut view, &store, "100");
    press(&mut view, &store, key(KeyCode::Enter));
    let text = screen(&store, &view, 120, 40);
    assert!(text.contains("waiting for the gateway's what-if…"), "{text}");
    what_if(&mut store, 7, Ok(a_what_if()));
    assert!(screen(&store, &view, 120, 40).contains("waiting for the gateway's what-if…"), "another request's answer");
    what_if(&mut store, 1, Ok(a_what_if()));
    let text = screen(&store, &view, 120, 40);
    assert!(text.contains("Initial margin") && text.contains("15,111.35 → 30,113.35"), "{text}");
    assert!(text.contains("Commission") && text.contains("1.00 USD"), "{text}");
    assert!(text.contains("✓ every precaution passed (7 rules)"), "{text}");
    what_if(&mut store, 1, Err("201 Order rejected - reason: insufficient buying power".into()));
    let text = screen(&store, &view, 120, 40);
    assert!(text.contains("refused by the gateway: 201 Order rejected - reason: insufficient buying power"), "{text}");
    // The refusal blocks the confirm.
    assert_eq!(press_all(&mut view, &store, &[ch('y')]), vec![]);
}

#[test]
fn y_pressed_three_times_transmits_exactly_once() {
    let mut store = trading_store();
    let mut view = ViewState::new();
    valid_ticket(&mut view, &store, "100");
    press(&mut view, &store, key(KeyCode::Enter));
    // An impatient confirm before the what-if is in does nothing.
    assert_eq!(press_all_at(&mut view, &store, &[ch('y')], later()), vec![]);
    assert!(screen(&store, &view, 120, 40).contains("not sent: waiting for the gateway's what-if"));
    what_if(&mut store, 1, Ok(a_what_if()));
    // A key repeat right after the preview opened does nothing either.
    assert_eq!(press_all_at(&mut view, &store, &[key(KeyCode::Enter)], at_ms(50)), vec![]);
    assert!(screen(&store, &view, 120, 40).contains("not sent: too soon after the preview opened"));
    let sent = press_all_at(&mut view, &store, &[ch('y'), ch('y'), key(KeyCode::Enter), ch('y')], later());
    assert_eq!(
        sent,
        vec![TradeRequest::Transmit {
            request: 1,
            ticket: Box::new(expected_ticket("100")),
            modify: None,
            override_word: String::new(),
            typed_account: String::new(),
        }]
    );
    assert!(screen(&store, &view, 120, 40).contains("sending… (request 1) waiting for the answer"));
    // Another request's outcome changes nothing.
    outcome(&mut store, 9, Ok("rt-x-9".into()));
    assert!(view.ticket.is_open());
    outcome(&mut store, 1, Ok("rt-x-1".into()));
    // The popup shows closed at once, and the next key cleans it up and is not swallowed.
    assert!(screen(&store, &view, 120, 40).contains("order sent: BUY 100 AAPL LMT limit 150.00 DAY"));
    assert_eq!(press(&mut view, &store, ch('j')), None);
    assert!(!view.ticket.is_open());
}

#[test]
fn a_refused_transmit_shows_the_reason_and_a_new_preview_gets_a_new_request() {
    let mut store = trading_store();
    let mut view = ViewState::new();
    valid_ticket(&mut view, &store, "100");
    press(&mut view, &store, key(KeyCode::Enter));
    what_if(&mut store, 1, Ok(a_what_if()));
    assert_eq!(press_all_at(&mut view, &store, &[ch('y')], later()).len(), 1);
    outcome(&mut store, 1, Err("journal unwritable: disk full".into()));
    let text = screen(&store, &view, 120, 40);
    assert!(text.contains("REFUSED") && text.contains("journal unwritable: disk full"), "{text}");
    assert_eq!(press_all_at(&mut view, &store, &[ch('y')], later()), vec![], "a refusal is not confirmed again");
    press(&mut view, &store, key(KeyCode::Enter));
    assert_eq!(state(&view).mode, Mode::Editing);
    let mut sent = press_all(&mut view, &store, &[key(KeyCode::Enter)]);
    what_if(&mut store, 2, Ok(a_what_if()));
    sent.extend(press_all_at(&mut view, &store, &[ch('y')], later()));
    assert!(matches!(
        sent.as_slice(),
        [TradeRequest::Preview { request: 2, .. }, TradeRequest::Transmit { request: 2, .. }]
    ));
}

#[test]
fn esc_in_the_preview_goes_back_without_sending_anything() {
    let store = trading_store();
    let mut view = ViewState::new();
    valid_ticket(&mut view, &store, "100");
    press(&mut view, &store, key(KeyCode::Enter));
    assert_eq!(press(&mut view, &store, key(KeyCode::Esc)), Some(ActionOutcome::Consumed));
    assert_eq!(state(&view).mode, Mode::Editing);
    assert_eq!(state(&view).ticket, expected_ticket("100"), "the ticket is kept");
    assert_eq!(press_all(&mut view, &store, &[ch('y')]), vec![], "y in the ticket types, never transmits");
    assert_eq!(press(&mut view, &store, key(KeyCode::Esc)), Some(ActionOutcome::Consumed));
    assert!(!view.ticket.is_open());
    assert_eq!(press(&mut view, &store, ch('y')), None, "closed: keys go to the keymap");
}

#[test]
fn a_blocked_guard_makes_enter_do_nothing_and_shows_the_reason() {
    // Live account without allow_live.
    let store = live_account_store(false);
    let mut view = ViewState::new();
    valid_ticket(&mut view, &store, "100");
    assert_eq!(state(&view).ticket.account, "U1234567");
    assert_eq!(press_all(&mut view, &store, &[key(KeyCode::Enter)]), vec![]);
    let text = screen(&store, &view, 120, 40);
    assert!(text.contains("BLOCKED  LIVE account U1234567 reported by the gateway;"), "{text}");
    assert!(text.contains("trading.allow_live is"), "{text}");

    // Halted.
    let mut store = trading_store();
    store.apply(t(30), StoreEvent::Trading(TradingEvent::Halted(true)));
    let mut view = ViewState::new();
    valid_ticket(&mut view, &store, "100");
    assert_eq!(press_all(&mut view, &store, &[key(KeyCode::Enter)]), vec![]);
    assert!(screen(&store, &view, 120, 40).contains("BLOCKED  halted by the trader: cancels only"));

    // Not live: the cockpit halts by itself while the connection is down.
    let mut store = trading_store();
    broker(
        &mut store,
        30,
        BrokerEvent::Disconnected {
            kind: DisconnectKind::Unreachable,
            reason: "connection reset".into(),
            next_try_at: Some(t(90)),
            attempt: 2,
        },
    );
    let mut view = ViewState::new();
    valid_ticket(&mut view, &store, "100");
    assert_eq!(press_all(&mut view, &store, &[key(KeyCode::Enter)]), vec![]);
    let text = screen(&store, &view, 120, 40);
    assert!(text.contains("BLOCKED  connection is reconnecting"), "{text}");
}

#[test]
fn a_guard_that_closes_during_the_preview_stops_the_transmit() {
    let mut store = trading_store();
    let mut view = ViewState::new();
    valid_ticket(&mut view, &store, "100");
    press(&mut view, &store, key(KeyCode::Enter));
    what_if(&mut store, 1, Ok(a_what_if()));
    store.apply(t(60), StoreEvent::Trading(TradingEvent::Halted(true)));
    assert_eq!(press_all_at(&mut view, &store, &[ch('y'), key(KeyCode::Enter)], later()), vec![]);
    let text = screen(&store, &view, 120, 40);
    assert!(text.contains("not sent: order entry disabled: halted by the trader: cancels only"), "{text}");
}

#[test]
fn an_overridable_violation_needs_the_override_word_typed() {
    let mut store = trading_store();
    let mut view = ViewState::new();
    valid_ticket(&mut view, &store, "1500");
    press(&mut view, &store, key(KeyCode::Enter));
    what_if(&mut store, 1, Ok(a_what_if()));
    let text = screen(&store, &view, 120, 40);
    assert!(text.contains("✗ max_quantity:"), "{text}");
    assert!(text.contains("type OVERRIDE to override"), "{text}");
    // y types into the input: it does not confirm.
    assert_eq!(press_all(&mut view, &store, &[ch('y')]), vec![]);
    assert_eq!(state(&view).override_typed, "y");
    assert_eq!(press_all_at(&mut view, &store, &[key(KeyCode::Enter)], later()), vec![], "wrong word");
    assert!(screen(&store, &view, 120, 40).contains("not sent: type OVERRIDE to override"));
    press(&mut view, &store, key(KeyCode::Backspace));
    type_text(&mut view, &store, "OVERRIDE");
    let sent = press_all_at(&mut view, &store, &[key(KeyCode::Enter), key(KeyCode::Enter)], later());
    assert_eq!(
        sent,
        vec![TradeRequest::Transmit {
            request: 1,
            ticket: Box::new(expected_ticket("1500")),
            modify: None,
            override_word: "OVERRIDE".into(),
            typed_account: String::new(),
        }]
    );
}

#[test]
fn a_live_account_needs_its_id_typed_for_each_order() {
    let mut store = live_account_store(true);
    let mut view = ViewState::new();
    valid_ticket(&mut view, &store, "10");
    let text = screen(&store, &view, 120, 40);
    assert!(text.contains("LIVE  U1234567: each order needs the account id typed to confirm"), "{text}");
    assert!(matches!(press_all(&mut view, &store, &[key(KeyCode::Enter)]).as_slice(), [TradeRequest::Preview { .. }]));
    what_if(&mut store, 1, Ok(a_what_if()));
    assert!(screen(&store, &view, 120, 40).contains("LIVE account U1234567: type the account id to confirm"));
    assert_eq!(press_all_at(&mut view, &store, &[ch('y'), key(KeyCode::Enter)], later()), vec![]);
    assert!(screen(&store, &view, 120, 40).contains("not sent: LIVE account U1234567: type the account id"));
    press(&mut view, &store, key(KeyCode::Backspace));
    type_text(&mut view, &store, "U1234567");
    let sent = press_all_at(&mut view, &store, &[key(KeyCode::Enter)], later());
    assert!(
        matches!(sent.as_slice(), [TradeRequest::Transmit { typed_account, .. }] if typed_account == "U1234567"),
        "{sent:?}"
    );
}

// ---- seeds ----

#[test]
fn buy_and_sell_prefill_from_the_selected_position_or_signal() {
    let store = trading_store();
    let mut view = ViewState::new();
    view.focus = PaneId::Positions;
    // Rows by symbol: AAPL, NVDA, SPY.
    let out = handle_action(&mut view, Action::SellTicket, &store);
    assert_eq!(out, ActionOutcome::Consumed, "AAPL is resolved: nothing to ask");
    let t = &state(&view).ticket;
    assert_eq!((t.symbol.as_str(), t.action, t.quantity.as_str()), ("AAPL", OrderAction::Sell, "100"));
    assert_eq!(state(&view).focus, crate::orders::TicketField::LimitPrice);
    press(&mut view, &store, key(KeyCode::Esc));
    view.pane_mut(PaneId::Positions).selected = 2;
    let out = handle_action(&mut view, Action::BuyTicket, &store);
    assert_eq!(out, ActionOutcome::Trade(TradeRequest::Resolve { symbol: "SPY".into() }));
    let t = &state(&view).ticket;
    assert_eq!(
        (t.symbol.as_str(), t.action, t.quantity.as_str()),
        ("SPY", OrderAction::Buy, "10"),
        "buying covers the short"
    );
    press(&mut view, &store, key(KeyCode::Esc));
    view.pane_mut(PaneId::Positions).selected = 0;
    handle_action(&mut view, Action::BuyTicket, &store);
    assert_eq!(state(&view).ticket.quantity, "", "buying more of a long is not prefilled");
    press(&mut view, &store, key(KeyCode::Esc));
    // Signals, newest first: SPY then AAPL.
    view.focus = PaneId::Signals;
    view.pane_mut(PaneId::Signals).selected = 1;
    handle_action(&mut view, Action::BuyTicket, &store);
    assert_eq!(state(&view).ticket.symbol, "AAPL");
    assert_eq!(state(&view).ticket.account, ACCOUNT);
    press(&mut view, &store, key(KeyCode::Esc));
    // `o` is blank whatever is selected.
    handle_action(&mut view, Action::NewTicket, &store);
    assert_eq!(state(&view).ticket.symbol, "");
    assert_eq!(state(&view).focus, crate::orders::TicketField::Symbol);
}

#[test]
fn seeds_from_the_watchlist() {
    let mut store = trading_store();
    store.apply(
        t(0),
        StoreEvent::Session(crate::store::SessionEvent::Configured {
            watchlist: vec!["msft".into(), "QQQ".into()],
            strategies: 1,
        }),
    );
    let view = ViewState::new();
    let seed = TicketSeed::from_watchlist(&store, &view, 0, OrderAction::Sell).expect("row 0");
    assert_eq!(
        seed,
        TicketSeed {
            symbol: "MSFT".into(),
            action: OrderAction::Sell,
            quantity: None,
            limit: None,
            account: ACCOUNT.into()
        }
    );
    // After the configured symbols come the held ones (AAPL, NVDA, SPY), as the pane draws them.
    let held = TicketSeed::from_watchlist(&store, &view, 3, OrderAction::Buy).expect("row 3");
    assert_eq!(held.symbol, "NVDA");
    assert_eq!(TicketSeed::from_watchlist(&store, &view, 5, OrderAction::Buy), None);
    let mut view = ViewState::new();
    let seeded = TicketSeed { limit: Some(d("412.5")), quantity: Some(d("3")), ..seed };
    assert_eq!(
        view.ticket.open_ticket(seeded, &store),
        ActionOutcome::Trade(TradeRequest::Resolve { symbol: "MSFT".into() })
    );
    assert_eq!(state(&view).ticket.limit_price, "412.50");
    assert_eq!(state(&view).ticket.quantity, "3");
}

/// Whether `b`/`s` on the pane's rows trade the row's symbol. No wildcard: a new pane must say.
fn rows_carry_a_symbol(pane: PaneId) -> bool {
    match pane {
        PaneId::Positions | PaneId::Signals | PaneId::Watchlist | PaneId::Orders => true,
        PaneId::Accounts | PaneId::Health | PaneId::Diagnostics => false,
    }
}

/// The text of the highlighted (selected) row of a rendered pane.
fn highlighted_row(buf: &ratatui::buffer::Buffer, theme: &Theme) -> Option<String> {
    let area = buf.area;
    let selection_bg = theme.roles.selection.bg;
    (area.y..area.y + area.height).find_map(|y| {
        let highlighted =
            (area.x + 1..area.x + area.width - 1).any(|x| buf[(x, y)].bg == selection_bg.unwrap_or_default());
        highlighted.then(|| (area.x..area.x + area.width).map(|x| buf[(x, y)].symbol()).collect::<String>())
    })
}

/// `b` and `s` on every row of every pane open a ticket for the symbol on the highlighted row
/// (in the order, filter and sort the pane draws), and a blank one on panes without symbols.
/// This is the test that would have caught `b` on a Watchlist row opening a blank ticket.
#[test]
fn buy_and_sell_open_the_ticket_for_the_highlighted_row_of_every_pane() {
    let store = with_orders();
    let theme = theme();
    let views: Vec<(&str, ViewState)> = vec![
        ("default", ViewState::new()),
        ("positions sorted by quantity (SPY, NVDA, AAPL)", {
            let mut v = ViewState::new();
            v.positions_sort = crate::ui::SortState { column: 1, reverse: false };
            v
        }),
        ("positions filtered to \"a\"", {
            let mut v = ViewState::new();
            v.positions_filter = crate::ui::FilterState { text: "a".into(), editing: false };
            v
        }),
    ];
    let mut checked = 0;
    for (label, base) in views {
        for pane in PaneId::ALL {
            let rows = crate::ui::panes::selectable_rows(pane, &store, &base, None);
            if rows_carry_a_symbol(pane) {
                assert!(rows > 0, "{label}: the fixture must give {pane:?} rows to check");
            }
            for index in 0..rows {
                for action in [Action::BuyTicket, Action::SellTicket] {
                    let mut view = base.clone();
                    view.focus = pane;
                    view.pane_mut(pane).selected = index;
                    handle_action(&mut view, action, &store);
                    let ticket = &state(&view).ticket;
                    let side = if action == Action::BuyTicket { OrderAction::Buy } else { OrderAction::Sell };
                    assert_eq!(ticket.action, side);
                    let context = format!("{label}: {pane:?} row {index}, {action:?}");
                    if rows_carry_a_symbol(pane) {
                        let buf = crate::ui::test_support::render_pane_view(&store, &view, pane, &theme, 120, 40);
                        let row =
                            highlighted_row(&buf, &theme).unwrap_or_else(|| panic!("{context}: no row highlighted"));
                        assert!(!ticket.symbol.is_empty(), "{context}: blank ticket for row {row:?}");
                        assert!(
                            row.split(|c: char| !c.is_ascii_alphanumeric()).any(|word| word == ticket.symbol),
                            "{context}: ticket for {} but the highlighted row is {row:?}",
                            ticket.symbol
                        );
                        assert_eq!(ticket.account, ACCOUNT, "{context}");
                        checked += 1;
                    } else {
                        assert_eq!(ticket.symbol, "", "{context}: no symbol on this pane's rows");
                    }
                }
            }
        }
    }
    assert!(checked >= 2 * (3 + 2 + 6 + 4), "every symbol row was checked ({checked})");
}

#[test]
fn a_monitor_never_opens_a_popup_and_says_why() {
    let mut store = trading_store();
    configure(&mut store, SessionKind::Monitor, false);
    let mut view = ViewState::new();
    for action in [
        Action::BuyTicket,
        Action::SellTicket,
        Action::NewTicket,
        Action::ModifyOrder,
        Action::CancelOrder,
        Action::CancelAllOrders,
        Action::ToggleHalt,
    ] {
        assert_eq!(handle_action(&mut view, action, &store), ActionOutcome::Consumed, "{action:?}");
        assert!(!view.ticket.is_open(), "{action:?}");
        assert_eq!(view.ticket.notice(), Some(MONITOR_NOTICE));
    }
    assert!(screen(&store, &view, 120, 40).contains(MONITOR_NOTICE));
    // The next key clears the notice and does what it always does.
    assert_eq!(press(&mut view, &store, ch('j')), None);
    assert_eq!(view.ticket.notice(), None);
}

// ---- cancel, cancel all, halt, modify ----

fn terms(symbol: &str, action: &str, qty: &str, order_type: &str, limit: Option<&str>) -> OrderTerms {
    OrderTerms {
        account: ACCOUNT.into(),
        symbol: symbol.into(),
        con_id: 265598,
        action: action.into(),
        quantity: d(qty),
        order_type: order_type.into(),
        limit_price: limit.map(d),
        stop_price: None,
        trail_stop_price: None,
        tif: "DAY".into(),
        outside_rth: false,
        order_ref: "rt-1".into(),
    }
}

/// Own order 12 (BUY 100 AAPL LMT 149.50, working), order 7 placed in TWS, order 3 filled.
fn store_with_orders() -> Store {
    let mut store = trading_store();
    broker(
        &mut store,
        30,
        BrokerEvent::OrderSubmitted {
            order_id: 12,
            intent_id: "rt-1".into(),
            terms: terms("AAPL", "BUY", "100", "LMT", Some("149.50")),
        },
    );
    broker(
        &mut store,
        31,
        BrokerEvent::OrderStatus {
            order_id: 12,
            client_id: 17,
            perm_id: Some(9001),
            status: "Submitted".into(),
            filled: Some(d("0")),
            remaining: Some(d("100")),
        },
    );
    broker(
        &mut store,
        32,
        BrokerEvent::OpenOrder {
            order_id: 7,
            client_id: 0,
            perm_id: Some(9002),
            terms: terms("SPY", "SELL", "5", "MKT", None),
            status: "PreSubmitted".into(),
        },
    );
    broker(
        &mut store,
        33,
        BrokerEvent::OpenOrder {
            order_id: 3,
            client_id: 17,
            perm_id: Some(9003),
            terms: terms("AAPL", "BUY", "1", "MKT", None),
            status: "Filled".into(),
        },
    );
    store
}

#[test]
fn cancel_asks_first_and_only_for_own_working_orders() {
    let store = store_with_orders();
    let mut view = ViewState::new();
    assert_eq!(handle_action(&mut view, Action::CancelOrder, &store), ActionOutcome::Consumed);
    let text = screen(&store, &view, 120, 40);
    assert!(text.contains("Cancel which order?") && text.contains("▶     12  BUY 100 AAPL LMT limit 149.50"), "{text}");
    assert!(!text.contains("    3  BUY 1 AAPL"), "filled orders are not offered: {text}");
    // Move to the TWS order: y says why not.
    press(&mut view, &store, key(KeyCode::Up));
    assert_eq!(press_all(&mut view, &store, &[ch('y')]), vec![]);
    let text = screen(&store, &view, 120, 40);
    assert!(
        text.contains("order 7 was placed by TWS (client 0): this session may cancel or modify only its own orders"),
        "{text}"
    );
    // n closes with nothing sent; then c, y on the own order cancels it.
    assert_eq!(press_all(&mut view, &store, &[ch('n')]), vec![]);
    assert!(!view.ticket.is_open());
    handle_action(&mut view, Action::CancelOrder, &store);
    assert_eq!(press_all(&mut view, &store, &[ch('y')]), vec![TradeRequest::Cancel { order_id: 12 }]);
    assert!(!view.ticket.is_open());
    assert_eq!(view.ticket.notice(), Some("cancel requested for order 12"));
}

#[test]
fn the_orders_pane_selection_preselects_the_order() {
    let store = store_with_orders();
    let mut view = ViewState::new();
    view.ticket.open_pick(false, Some(7), &store);
    assert!(matches!(view.ticket.popup(), Some(Popup::Pick(p)) if p.selected == Some(7)));
    // A filled order cannot be selected: the first own working order is.
    view.ticket.open_pick(false, Some(3), &store);
    assert!(matches!(view.ticket.popup(), Some(Popup::Pick(p)) if p.selected == Some(12)));
}

#[test]
fn cancel_needs_a_connection() {
    let mut store = store_with_orders();
    broker(
        &mut store,
        40,
        BrokerEvent::Disconnected {
            kind: DisconnectKind::Unreachable,
            reason: "refused".into(),
            next_try_at: None,
            attempt: 3,
        },
    );
    let mut view = ViewState::new();
    handle_action(&mut view, Action::CancelOrder, &store);
    assert_eq!(press_all(&mut view, &store, &[ch('y')]), vec![]);
    assert!(screen(&store, &view, 120, 40).contains("cannot cancel: connection is"));
    press(&mut view, &store, key(KeyCode::Esc));
    handle_action(&mut view, Action::CancelAllOrders, &store);
    type_text(&mut view, &store, "CANCEL ALL");
    assert_eq!(press_all(&mut view, &store, &[key(KeyCode::Enter)]), vec![]);
    assert!(view.ticket.is_open());
}

#[test]
fn cancels_stay_allowed_while_halted() {
    let mut store = store_with_orders();
    store.apply(t(40), StoreEvent::Trading(TradingEvent::Halted(true)));
    let mut view = ViewState::new();
    handle_action(&mut view, Action::CancelOrder, &store);
    assert_eq!(press_all(&mut view, &store, &[key(KeyCode::Enter)]), vec![TradeRequest::Cancel { order_id: 12 }]);
}

#[test]
fn cancel_all_needs_the_words_typed() {
    let store = store_with_orders();
    let mut view = ViewState::new();
    handle_action(&mut view, Action::CancelAllOrders, &store);
    assert_eq!(press_all(&mut view, &store, &[ch('y'), key(KeyCode::Enter)]), vec![]);
    assert!(screen(&store, &view, 120, 40).contains("type CANCEL ALL exactly"));
    press(&mut view, &store, key(KeyCode::Backspace));
    assert_eq!(type_text(&mut view, &store, "CANCEL AL"), vec![]);
    assert_eq!(press_all(&mut view, &store, &[key(KeyCode::Enter)]), vec![]);
    type_text(&mut view, &store, "L");
    assert_eq!(press_all(&mut view, &store, &[key(KeyCode::Enter)]), vec![TradeRequest::CancelAll]);
    assert!(!view.ticket.is_open());
    // Esc cancels nothing.
    handle_action(&mut view, Action::CancelAllOrders, &store);
    type_text(&mut view, &store, "CANCEL ALL");
    assert_eq!(press_all(&mut view, &store, &[key(KeyCode::Esc)]), vec![]);
    assert!(!view.ticket.is_open());
}

#[test]
fn halt_and_resume_ask_first() {
    let mut store = trading_store();
    let mut view = ViewState::new();
    handle_action(&mut view, Action::ToggleHalt, &store);
    assert!(screen(&store, &view, 120, 40).contains("Trading is  ACTIVE"));
    assert_eq!(press_all(&mut view, &store, &[ch('x'), ch('n')]), vec![]);
    assert!(!view.ticket.is_open());
    handle_action(&mut view, Action::ToggleHalt, &store);
    assert_eq!(press_all(&mut view, &store, &[ch('y')]), vec![TradeRequest::Halt(true)]);
    store.apply(t(61), StoreEvent::Trading(TradingEvent::Halted(true)));
    handle_action(&mut view, Action::ToggleHalt, &store);
    assert!(screen(&store, &view, 120, 40).contains("Trading is  HALTED"));
    assert_eq!(press_all(&mut view, &store, &[key(KeyCode::Enter)]), vec![TradeRequest::Halt(false)]);
}

#[test]
fn after_a_long_outage_h_offers_the_re_arm_and_confirming_resumes() {
    let mut store = trading_store();
    store.trading.rearm_after_outage = Some(12);
    let mut view = ViewState::new();
    handle_action(&mut view, Action::BuyTicket, &store);
    let text = screen(&store, &view, 120, 40);
    assert!(text.contains("disarmed after a 12-minute outage"), "{text}");
    press_all(&mut view, &store, &[key(KeyCode::Esc)]);
    handle_action(&mut view, Action::ToggleHalt, &store);
    let text = screen(&store, &view, 120, 40);
    assert!(text.contains("Trading is  DISARMED"), "{text}");
    assert!(text.contains("The gateway was away for 12 minutes. Re-arm order entry?"), "{text}");
    assert!(!text.contains("blocked anyway"), "the outage is the reason shown, once: {text}");
    assert_eq!(press_all(&mut view, &store, &[ch('y')]), vec![TradeRequest::Halt(false)]);
}

#[test]
fn modify_loads_the_order_and_sends_it_with_its_id() {
    let mut store = store_with_orders();
    let mut view = ViewState::new();
    handle_action(&mut view, Action::ModifyOrder, &store);
    assert_eq!(press_all(&mut view, &store, &[key(KeyCode::Enter)]), vec![]);
    let st = state(&view);
    assert_eq!(st.modify, Some(12));
    assert_eq!(
        st.ticket,
        Ticket {
            quantity: "100".into(),
            order_type: OrderType::Limit,
            limit_price: "149.50".into(),
            ..Ticket::new("AAPL", OrderAction::Buy, ACCOUNT)
        }
    );
    assert_eq!(st.focus, crate::orders::TicketField::Quantity);
    assert!(!st.fields().contains(&crate::orders::TicketField::Symbol), "symbol, side and account stay");
    assert!(screen(&store, &view, 120, 40).contains("Modify order 12"));
    // Quantity 100 → 50.
    press_all(&mut view, &store, &[key(KeyCode::Backspace), key(KeyCode::Backspace), key(KeyCode::Backspace)]);
    type_text(&mut view, &store, "50");
    let sent = press_all(&mut view, &store, &[key(KeyCode::Enter)]);
    let changed = Ticket { quantity: "50".into(), ..state(&view).ticket.clone() };
    assert_eq!(sent, vec![TradeRequest::Preview { request: 1, ticket: Box::new(changed.clone()), modify: Some(12) }]);
    what_if(&mut store, 1, Ok(a_what_if()));
    let sent = press_all_at(&mut view, &store, &[ch('y')], later());
    assert!(
        matches!(sent.as_slice(), [TradeRequest::Transmit { modify: Some(12), ticket, .. }] if **ticket == changed),
        "{sent:?}"
    );
    outcome(&mut store, 1, Ok("rt-2".into()));
    assert_eq!(press(&mut view, &store, ch('j')), None);
    assert_eq!(view.ticket.notice(), None, "the notice was shown until this key");
}

#[test]
fn modify_refuses_orders_of_other_clients_and_while_halted_enter_does_nothing() {
    let mut store = store_with_orders();
    let mut view = ViewState::new();
    handle_action(&mut view, Action::ModifyOrder, &store);
    press(&mut view, &store, key(KeyCode::Up));
    assert_eq!(press_all(&mut view, &store, &[key(KeyCode::Enter)]), vec![]);
    assert!(view.ticket.ticket().is_none(), "order 7 is not ours");
    press(&mut view, &store, key(KeyCode::Esc));
    store.apply(t(40), StoreEvent::Trading(TradingEvent::Halted(true)));
    handle_action(&mut view, Action::ModifyOrder, &store);
    press(&mut view, &store, key(KeyCode::Enter));
    assert_eq!(state(&view).modify, Some(12));
    assert_eq!(press_all(&mut view, &store, &[key(KeyCode::Enter)]), vec![], "halted: no modifications");
}

#[test]
fn ctrl_c_still_quits_from_an_open_ticket() {
    let store = trading_store();
    let mut view = ViewState::new();
    handle_action(&mut view, Action::NewTicket, &store);
    let ctrl_c = KeyEvent { modifiers: KeyModifiers::CONTROL, ..ch('c') };
    assert_eq!(press(&mut view, &store, ctrl_c), None);
    assert_eq!(handle_action(&mut view, Action::Quit, &store), ActionOutcome::Quit);
}

// ---- snapshots ----

#[test]
fn snapshot_ticket_editing() {
    let store = trading_store();
    let mut view = ViewState::new();
    valid_ticket(&mut view, &store, "1.5");
    insta::assert_snapshot!("ticket_editing_100x32", screen(&store, &view, 100, 32));
    insta::assert_snapshot!("ticket_editing_80x24", screen(&store, &view, 80, 24));
}

/// `valid_ticket`, then Tab past the account into the exits and type them.
fn bracket_ticket(view: &mut ViewState, store: &Store, qty: &str, tp: &str, sl: &str, trail: bool) {
    valid_ticket(view, store, qty);
    // Limit → Stop → TIF → RTH → Account → Take profit.
    press_all(view, store, &[key(KeyCode::Tab); 5]);
    assert_eq!(state(view).focus, crate::orders::TicketField::TakeProfit);
    type_text(view, store, tp);
    press(view, store, key(KeyCode::Tab));
    type_text(view, store, sl);
    if trail {
        press_all(view, store, &[key(KeyCode::Tab), ch(' ')]);
    }
}

#[test]
fn exits_are_typed_in_the_ticket_and_shown_where_they_come_out() {
    let store = trading_store();
    let mut view = ViewState::new();
    bracket_ticket(&mut view, &store, "100", "20t", "1%", false);
    let t = &state(&view).ticket;
    assert_eq!((t.take_profit.as_str(), t.stop_loss.as_str()), ("20t", "1%"));
    let screen = screen(&store, &view, 100, 34);
    assert!(line_with(&screen, "Take profit").contains("→ 150.20 · 0.20 from the entry 150.00"), "{screen}");
    assert!(line_with(&screen, "Stop loss").contains("→ 148.50 · 1.50 from the entry 150.00"), "{screen}");
    assert_eq!(state(&view).summary(), "BUY 100 AAPL LMT limit 150.00 DAY · TP 20t · SL 1%");
    // A stop on the wrong side is an error beside it, and Enter previews nothing.
    press_all(&mut view, &store, &[ctrl('u')]);
    type_text(&mut view, &store, "151");
    let screen2 = screen_of(&store, &view);
    assert!(
        line_with(&screen2, "Stop loss").contains("stop loss 151 must be below the entry 150 for a BUY"),
        "{screen2}"
    );
    assert_eq!(press_all(&mut view, &store, &[key(KeyCode::Enter)]), vec![]);
    assert_eq!(state(&view).hint.as_deref(), Some("fix 1 field before the preview; nothing was sent"));
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent { modifiers: KeyModifiers::CONTROL, ..ch(c) }
}

fn screen_of(store: &Store, view: &ViewState) -> String {
    screen(store, view, 100, 34)
}

#[test]
fn a_market_entrys_exits_that_moved_since_the_preview_are_not_sent() {
    let mut store = trading_store();
    let mut view = ViewState::new();
    bracket_ticket(&mut view, &store, "10", "10t", "10t", false);
    if let Some(super::Popup::Ticket(t)) = view.ticket.popup.as_mut() {
        t.ticket.order_type = OrderType::Market;
        t.ticket.limit_price.clear();
    }
    // Measured from the ask (150.02): 150.12 and 149.92.
    let sent = press_all(&mut view, &store, &[key(KeyCode::Enter)]);
    assert!(matches!(sent.as_slice(), [TradeRequest::Preview { request: 1, .. }]), "{sent:?}");
    what_if(&mut store, 1, Ok(a_what_if()));
    // The ask moves before the confirm: the exits would go elsewhere than previewed.
    quote(&mut store, 60, "AAPL", "150.10", "150.12", "150.11");
    assert_eq!(press_all_at(&mut view, &store, &[ch('y')], later()), vec![]);
    assert_eq!(
        state(&view).hint.as_deref(),
        Some("not sent: the market moved the exits (take profit 150.12 → 150.22, stop loss 149.92 → 150.02): esc, then preview again")
    );
    // A new preview shows the new prices; its confirm goes.
    press(&mut view, &store, key(KeyCode::Esc));
    let sent = press_all_at(&mut view, &store, &[key(KeyCode::Enter)], later());
    assert!(matches!(sent.as_slice(), [TradeRequest::Preview { request: 2, .. }]), "{sent:?}");
    what_if(&mut store, 2, Ok(a_what_if()));
    let sent = press_all_at(&mut view, &store, &[ch('y')], later() + chrono::Duration::seconds(1));
    assert!(matches!(sent.as_slice(), [TradeRequest::Transmit { request: 2, .. }]), "{sent:?}");
}

#[test]
fn snapshot_ticket_with_exits() {
    let store = trading_store();
    let mut view = ViewState::new();
    bracket_ticket(&mut view, &store, "100", "152.50", "25t", true);
    insta::assert_snapshot!("ticket_with_exits_100x34", screen(&store, &view, 100, 34));
    // On a short screen the section unfolds once the trader is in it.
    insta::assert_snapshot!("ticket_with_exits_80x30", screen(&store, &view, 80, 30));
}

#[test]
fn snapshot_bracket_preview() {
    let mut store = trading_store();
    let mut view = ViewState::new();
    bracket_ticket(&mut view, &store, "100", "152.50", "148.00", false);
    let sent = press_all(&mut view, &store, &[key(KeyCode::Enter)]);
    assert!(matches!(sent.as_slice(), [TradeRequest::Preview { request: 1, ticket, .. }] if ticket.has_exits()));
    what_if(&mut store, 1, Ok(a_what_if()));
    let screen = screen(&store, &view, 100, 40);
    assert!(line_with(&screen, "Worst case").contains("-200.00 USD if the stop is hit"), "{screen}");
    assert!(line_with(&screen, "stop loss").contains("SELL 100 AAPL STP stop 148.00 GTC"), "{screen}");
    insta::assert_snapshot!("bracket_preview_100x40", screen);
    // Without a stop the worst case cannot be known.
    let mut view = ViewState::new();
    bracket_ticket(&mut view, &store, "100", "152.50", "", false);
    press(&mut view, &store, key(KeyCode::Enter));
    let screen = screen_of(&store, &view);
    assert!(line_with(&screen, "Worst case").contains("-- (no stop loss attached)"), "{screen}");
}

#[test]
fn snapshot_ticket_preview_with_override() {
    let mut store = trading_store();
    let mut view = ViewState::new();
    valid_ticket(&mut view, &store, "1500");
    press(&mut view, &store, key(KeyCode::Enter));
    what_if(&mut store, 1, Ok(WhatIf { warning: Some("Order value exceeds 100,000 USD".into()), ..a_what_if() }));
    type_text(&mut view, &store, "OVER");
    insta::assert_snapshot!("ticket_preview_override_100x32", screen(&store, &view, 100, 32));
}

#[test]
fn snapshot_ticket_blocked_live() {
    let store = live_account_store(false);
    let mut view = ViewState::new();
    valid_ticket(&mut view, &store, "100");
    press(&mut view, &store, key(KeyCode::Enter));
    insta::assert_snapshot!("ticket_blocked_live_100x32", screen(&store, &view, 100, 32));
}

#[test]
fn snapshot_confirmations() {
    let store = store_with_orders();
    let mut view = ViewState::new();
    handle_action(&mut view, Action::CancelOrder, &store);
    press(&mut view, &store, key(KeyCode::Up));
    press(&mut view, &store, ch('y'));
    insta::assert_snapshot!("cancel_pick_100x30", screen(&store, &view, 100, 30));
    press(&mut view, &store, key(KeyCode::Esc));
    handle_action(&mut view, Action::CancelAllOrders, &store);
    type_text(&mut view, &store, "CANCEL");
    insta::assert_snapshot!("cancel_all_100x30", screen(&store, &view, 100, 30));
    press(&mut view, &store, key(KeyCode::Esc));
    handle_action(&mut view, Action::ToggleHalt, &store);
    insta::assert_snapshot!("halt_100x30", screen(&store, &view, 100, 30));
}

#[test]
fn snapshot_preview_live_account_sending_and_refused() {
    let mut store = live_account_store(true);
    let mut view = ViewState::new();
    valid_ticket(&mut view, &store, "10");
    press(&mut view, &store, key(KeyCode::Enter));
    what_if(&mut store, 1, Ok(a_what_if()));
    type_text(&mut view, &store, "U12");
    insta::assert_snapshot!("ticket_preview_live_100x32", screen(&store, &view, 100, 32));
    type_text(&mut view, &store, "34567");
    assert_eq!(press_all_at(&mut view, &store, &[key(KeyCode::Enter)], later()).len(), 1);
    press_all_at(&mut view, &store, &[ch('y')], later());
    insta::assert_snapshot!("ticket_sending_100x32", screen(&store, &view, 100, 32));
    outcome(
        &mut store,
        1,
        Err("LIVE account U1234567: type the account id to confirm the order (typed \"U1234567 \")".into()),
    );
    insta::assert_snapshot!("ticket_refused_100x32", screen(&store, &view, 100, 32));
}

#[test]
fn snapshot_modify_pick_and_ticket() {
    let store = store_with_orders();
    let mut view = ViewState::new();
    handle_action(&mut view, Action::ModifyOrder, &store);
    insta::assert_snapshot!("modify_pick_100x30", screen(&store, &view, 100, 30));
    press(&mut view, &store, key(KeyCode::Enter));
    insta::assert_snapshot!("modify_ticket_100x32", screen(&store, &view, 100, 32));
}

/// The colours and modifiers of the first cell of `needle` on screen, as `role` would draw
/// them on an empty cell.
fn style_at(buf: &ratatui::buffer::Buffer, needle: &str) -> (Color, Color, Modifier) {
    for (y, line) in text(buf).lines().enumerate() {
        if let Some(byte) = line.find(needle) {
            let x = line[..byte].chars().count();
            let cell = &buf[(x as u16, y as u16)];
            return (cell.fg, cell.bg, cell.modifier);
        }
    }
    panic!("{needle:?} not on screen\n{}", text(buf))
}

fn drawn(role: ratatui::style::Style) -> (Color, Color, Modifier) {
    let mut cell = ratatui::buffer::Cell::default();
    cell.set_style(role);
    (cell.fg, cell.bg, cell.modifier)
}

#[test]
fn a_block_is_loud_and_the_side_is_coloured() {
    let theme = theme();
    let mut store = trading_store();
    store.apply(t(30), StoreEvent::Trading(TradingEvent::Halted(true)));
    let mut view = ViewState::new();
    valid_ticket(&mut view, &store, "100");
    let buf = render_cockpit(&store, &view, &theme, 120, 40);
    assert_eq!(style_at(&buf, "BLOCKED"), drawn(theme.roles.live_badge));
    assert_eq!(style_at(&buf, "halted by the trader"), drawn(theme.roles.health_failed));
    let buy = drawn(theme.roles.gain.add_modifier(Modifier::BOLD));
    assert_eq!(style_at(&buf, "BUY ticket"), buy);
    // Errors beside a field are warnings (the limit price has the focus).
    type_text(&mut view, &store, "3");
    let buf = render_cockpit(&store, &view, &theme, 120, 40);
    assert_eq!(style_at(&buf, "limit price 150.003 is not on"), drawn(theme.roles.warning));
    // A sell ticket is drawn in the loss colour.
    press_all(&mut view, &store, &[key(KeyCode::Esc)]);
    handle_action(&mut view, Action::SellTicket, &store);
    let buf = render_cockpit(&store, &view, &theme, 120, 40);
    assert_eq!(style_at(&buf, "SELL ticket"), drawn(theme.roles.loss.add_modifier(Modifier::BOLD)));
}
