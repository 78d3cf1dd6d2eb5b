//! Property: whatever keys arrive, in whatever order, with answers arriving in between, a
//! `Transmit` only ever goes out for a request whose `Preview` went out first, for that same
//! ticket, once, from a confirm key, and never for a ticket that fails validation.

use super::form::CONFIRM_DELAY_MS;
use super::tests::{ch, configure, key, trading_store};
use super::*;
use crate::config::keymap::Action;
use crate::orders::{OrderAction, SessionKind};
use crate::store::{BrokerEvent, StoreEvent, TickField, TradingEvent, WhatIf};
use crate::ui::test_support::{d, now, t, ACCOUNT};
use crate::ui::{handle_action, handle_key, handle_tick, ActionOutcome, ViewState};
use crossterm::event::{KeyCode, KeyEvent};
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone)]
enum Op {
    Key(KeyEvent),
    /// The what-if for the latest preview arrives (ok or refused).
    WhatIf(bool),
    /// The outcome of the latest transmit arrives (sent or refused).
    Outcome(bool),
    Halt(bool),
    Open(Action),
    Tick,
    /// The clock moves on by this many milliseconds.
    Wait(i64),
    /// A fresh AAPL quote arrives.
    Quote,
}

fn op() -> impl Strategy<Value = Op> {
    let keys = prop_oneof![
        4 => prop::sample::select("AAPL10.5yYnOVERIDEU1234 ".chars().collect::<Vec<_>>()).prop_map(ch),
        3 => Just(key(KeyCode::Enter)),
        2 => Just(key(KeyCode::Tab)),
        1 => Just(key(KeyCode::BackTab)),
        1 => Just(key(KeyCode::Esc)),
        1 => Just(key(KeyCode::Backspace)),
        1 => Just(key(KeyCode::Left)),
        1 => Just(key(KeyCode::Right)),
    ];
    prop_oneof![
        12 => keys.prop_map(Op::Key),
        2 => prop::bool::weighted(0.8).prop_map(Op::WhatIf),
        1 => any::<bool>().prop_map(Op::Outcome),
        1 => any::<bool>().prop_map(Op::Halt),
        1 => prop::sample::select(vec![Action::NewTicket, Action::BuyTicket, Action::SellTicket, Action::ModifyOrder])
            .prop_map(Op::Open),
        1 => Just(Op::Tick),
        2 => (0i64..800).prop_map(Op::Wait),
        1 => Just(Op::Quote),
    ]
}

fn a_what_if() -> WhatIf {
    WhatIf {
        commission: Some(d("1")),
        commission_currency: "USD".into(),
        init_margin_before: None,
        init_margin_after: None,
        maint_margin_before: None,
        maint_margin_after: None,
        equity_with_loan_after: None,
        warning: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn transmit_only_after_its_preview_and_a_confirm(ops in prop::collection::vec(op(), 0..120), allow_live in any::<bool>()) {
        let mut store = trading_store();
        configure(&mut store, SessionKind::Trading, allow_live);
        let mut view = ViewState::new();
        // Start from a valid ticket, so that previews and transmits are reachable.
        let seed = TicketSeed {
            symbol: "AAPL".into(),
            action: OrderAction::Buy,
            quantity: Some(d("100")),
            limit: Some(d("150")),
            account: ACCOUNT.into(),
        };
        view.ticket.open_ticket(seed, &store);
        let mut previews: HashMap<u64, crate::orders::Ticket> = HashMap::new();
        let mut previewed_at = HashMap::new();
        let mut transmitted: HashSet<u64> = HashSet::new();
        let mut last_preview = 0;
        let mut last_transmit = None;
        let mut clock = now();
        for op in ops {
            let (outcome, confirm_key) = match &op {
                Op::Key(k) => {
                    let confirm = matches!(k.code, KeyCode::Enter | KeyCode::Char('y' | 'Y'));
                    (handle_key(&mut view, k, &store, clock), confirm)
                }
                Op::WhatIf(ok) => {
                    let result = if *ok { Ok(a_what_if()) } else { Err("201 insufficient buying power".into()) };
                    store.apply(t(60), StoreEvent::Broker(BrokerEvent::WhatIf { request: last_preview, result }));
                    (None, false)
                }
                Op::Outcome(ok) => {
                    if let Some(request) = last_transmit {
                        let result = if *ok { Ok(format!("rt-{request}")) } else { Err("refused".into()) };
                        store.apply(t(60), StoreEvent::Trading(TradingEvent::Outcome { request, result }));
                    }
                    (None, false)
                }
                Op::Halt(halted) => {
                    store.apply(t(60), StoreEvent::Trading(TradingEvent::Halted(*halted)));
                    (None, false)
                }
                Op::Open(action) => (Some(handle_action(&mut view, *action, &store)), false),
                Op::Tick => (handle_tick(&mut view, &store, clock), false),
                Op::Quote => {
                    for field in [TickField::Bid, TickField::Ask, TickField::Last] {
                        let tick = BrokerEvent::Tick { symbol: "AAPL".into(), field, value: d("150.01") };
                        store.apply(clock, StoreEvent::Broker(tick));
                    }
                    (None, false)
                }
                Op::Wait(ms) => {
                    clock += chrono::Duration::milliseconds(*ms);
                    (None, false)
                }
            };
            let Some(ActionOutcome::Trade(request)) = outcome else { continue };
            match request {
                TradeRequest::Preview { request, ticket, .. } => {
                    prop_assert!(!previews.contains_key(&request), "preview request {} reused", request);
                    let market = store.market_context(&ticket.symbol, &ticket.account, clock);
                    prop_assert!(ticket.validate_group(&market).is_ok(), "preview of an invalid ticket {:?}", ticket);
                    previews.insert(request, *ticket);
                    previewed_at.insert(request, clock);
                    last_preview = request;
                }
                TradeRequest::Transmit { request, ticket, .. } => {
                    prop_assert!(confirm_key, "transmit from {:?}", op);
                    prop_assert_eq!(previews.get(&request), Some(&*ticket), "transmit without its preview");
                    prop_assert!(transmitted.insert(request), "request {} transmitted twice", request);
                    let market = store.market_context(&ticket.symbol, &ticket.account, clock);
                    prop_assert!(ticket.validate_group(&market).is_ok(), "transmit of an invalid ticket {:?}", ticket);
                    let opened = previewed_at.get(&request).copied().unwrap_or(clock);
                    prop_assert!((clock - opened).num_milliseconds() >= CONFIRM_DELAY_MS, "confirmed too soon");
                    let answered = store.trading.what_if.as_ref().filter(|w| w.request == request);
                    prop_assert!(answered.is_some_and(|w| w.result.is_ok()), "transmit without an ok what-if");
                    prop_assert!(!store.trading.halted, "transmit while halted");
                    last_transmit = Some(request);
                }
                TradeRequest::Cancel { .. }
                | TradeRequest::CancelGroup { .. }
                | TradeRequest::CancelAll
                | TradeRequest::Halt(_) => {
                    prop_assert!(false, "no cancel or halt popup was opened, got {:?}", request);
                }
                TradeRequest::Resolve { .. } => {}
            }
        }
    }
}
