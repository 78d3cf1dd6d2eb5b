//! Order entry end to end: the app's Trader (order core + journal) and the broker's order desk
//! on the real `ibapi` client, against the simulated gateway's matching engine.

use crate::session::Session;
use robo_tui::app::trading::TradeRequest;
use robo_tui::gateway::GatewayConfig;
use robo_tui::orders::{JournalBody, OrderAction, OrderStatus, OrderType, Precautions, Ticket};
use robo_tui::store::{OrderRow, Store};
use rust_decimal::Decimal;
use std::str::FromStr;

pub fn d(text: &str) -> Decimal {
    Decimal::from_str(text).expect("decimal literal")
}

pub fn limit(symbol: &str, action: OrderAction, quantity: &str, price: Decimal) -> Ticket {
    let mut ticket = Ticket::new(symbol, action, "DU1234567");
    ticket.quantity = quantity.into();
    ticket.order_type = OrderType::Limit;
    ticket.limit_price = price.round_dp(2).to_string();
    ticket
}

/// The order a trade request created, found by its intent id (the order ref).
pub fn by_intent<'a>(store: &'a Store, intent: &str) -> Option<&'a OrderRow> {
    store.orders.values().find(|o| o.terms.as_ref().is_some_and(|t| t.order_ref == intent))
}

pub async fn live(session: &mut Session, symbol: &'static str) {
    session
        .until("live with a quote", |s| {
            s.connection.state.is_live() && s.quotes.get(symbol).is_some_and(|q| q.bid.is_some() && q.ask.is_some())
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marketable_limit_buy_fills_and_the_position_cash_and_journal_follow() {
    let mut session = Session::start(&["DU1234567"], Precautions::default()).await;
    live(&mut session, "AAPL").await;
    let cash_before = session.store.accounts["DU1234567"].value("TotalCashValue").expect("cash");
    let held = |s: &Store| s.positions_of("DU1234567").find(|(_, r)| r.symbol == "AAPL").map(|(_, r)| r.quantity);
    let before = held(&session.store).unwrap_or_default();
    let ask = session.store.quotes["AAPL"].ask.expect("ask");
    // A limit a little above the ask is marketable: it fills at once.
    let price = (ask * d("1.01")).round_dp(2);
    let intent = session.place(limit("AAPL", OrderAction::Buy, "10", price), None, "").await.expect("sent");
    session
        .until("the fill", |s| {
            s.orders.values().any(|o| {
                o.terms.as_ref().is_some_and(|t| t.order_ref == intent) && o.lifecycle.status() == OrderStatus::Filled
            })
        })
        .await;
    session.until("the position update", |s| held(s) == Some(before + d("10"))).await;
    session
        .until("cash to drop by the cost", |s| {
            s.accounts["DU1234567"].value("TotalCashValue").is_some_and(|cash| cash < cash_before)
        })
        .await;
    let order = by_intent(&session.store, &intent).expect("order");
    assert!(order.own);
    assert_eq!(order.lifecycle.filled_quantity(), d("10"));
    let fill = order.lifecycle.fills().first().expect("a fill");
    assert!(fill.price <= price, "filled at {} above the limit {price}", fill.price);
    let order_id = order.order_id;
    session
        .until("the commission", |s| s.executions.values().any(|e| e.order_id == order_id && e.commission.is_some()))
        .await;
    // Nothing is lost: intent, submission, statuses, the fill and its commission, in order.
    let kinds = session.journal_kinds();
    let position =
        |kind: &str| kinds.iter().position(|k| k == kind).unwrap_or_else(|| panic!("no {kind} in {kinds:?}"));
    assert!(position("intent") < position("submitted"), "{kinds:?}");
    assert!(position("submitted") < position("fill"), "{kinds:?}");
    assert!(position("fill") < position("commission"), "{kinds:?}");
    assert!(kinds.iter().any(|k| k == "status"), "{kinds:?}");
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resting_limit_is_modified_then_cancelled_and_cancel_all_clears_the_rest() {
    let mut session = Session::start(&["DU1234567"], Precautions::default()).await;
    live(&mut session, "SPY").await;
    let bid = session.store.quotes["SPY"].bid.expect("bid");
    // 3% under the bid rests (within the 5% price band).
    // $3 under the bid rests, inside the price band (5%, 500 ticks).
    let resting = bid - d("3");
    let intent = session.place(limit("SPY", OrderAction::Buy, "5", resting), None, "").await.expect("sent");
    let is_ours = move |o: &robo_tui::store::OrderRow| o.terms.as_ref().is_some_and(|t| t.order_ref == intent);
    session
        .until("the order to rest", |s| {
            s.orders.values().any(|o| is_ours(o) && o.lifecycle.status() == OrderStatus::Submitted)
        })
        .await;
    let order_id = session.store.orders.values().find(|o| is_ours(o)).expect("order").order_id;

    let lower = bid - d("4");
    let modified =
        session.place(limit("SPY", OrderAction::Buy, "5", lower), Some(order_id), "").await.expect("modify sent");
    session
        .until("the modified price", |s| {
            s.orders.get(&order_id).and_then(|o| o.terms.as_ref()).is_some_and(|t| t.limit_price == Some(lower))
        })
        .await;
    assert_eq!(session.store.orders[&order_id].terms.as_ref().map(|t| t.order_ref.clone()), Some(modified));

    session.request(TradeRequest::Cancel { order_id });
    session.until("the cancel", |s| s.orders[&order_id].lifecycle.status() == OrderStatus::Cancelled).await;

    // Two more resting orders, then one global cancel.
    let far = bid - d("3.5");
    session.place(limit("SPY", OrderAction::Buy, "1", far), None, "").await.expect("sent");
    session.place(limit("SPY", OrderAction::Buy, "2", far), None, "").await.expect("sent");
    session
        .until("two working orders", |s| {
            s.orders.values().filter(|o| o.lifecycle.status() == OrderStatus::Submitted).count() == 2
        })
        .await;
    session.request(TradeRequest::CancelAll);
    session.until("everything cancelled", |s| s.orders.values().all(|o| o.lifecycle.status().is_final())).await;
    let kinds = session.journal_kinds();
    assert!(kinds.iter().any(|k| k == "cancel_requested"), "{kinds:?}");
    assert!(kinds.iter().any(|k| k == "cancel_all"), "{kinds:?}");
    session.stop().await;
}

/// The first code on our order with `code`, and its text.
fn code_text(store: &Store, intent: &str, code: i32) -> Option<String> {
    store.orders.values().filter(|o| o.terms.as_ref().is_some_and(|t| t.order_ref == intent)).find_map(|o| {
        o.lifecycle.timeline().iter().find_map(|e| match &e.event {
            robo_tui::orders::TimelineEvent::Code { code: c, text, .. } if *c == code => Some(text.clone()),
            _ => None,
        })
    })
}

/// Precautions opened up so that the gateway's checks are the ones that bite.
fn wide_open() -> Precautions {
    Precautions { max_quantity: d("100000000"), max_notional: d("1000000000000"), ..Precautions::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateways_buying_power_rejection_is_shown_with_its_text() {
    let mut config = GatewayConfig::embedded(0);
    // Above the account's buying power, so 201 (not the 451 precaution) answers.
    config.total_value_limit = Some(d("1000000000"));
    let mut session = Session::start_with(config, wide_open()).await;
    live(&mut session, "AAPL").await;
    let ask = session.store.quotes["AAPL"].ask.expect("ask");
    let intent = session.place(limit("AAPL", OrderAction::Buy, "100000", ask), None, "").await.expect("sent");
    session.until("the 201 rejection", |s| code_text(s, &intent, 201).is_some()).await;
    let text = code_text(&session.store, &intent, 201).expect("201 text");
    assert!(text.to_lowercase().contains("buying power") || text.to_lowercase().contains("margin"), "{text}");
    let order = by_intent(&session.store, &intent).expect("order");
    assert_eq!(order.lifecycle.filled_quantity(), Decimal::ZERO);
    assert!(order.lifecycle.status().is_final(), "{:?}", order.lifecycle.status());
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateways_precaution_451_is_shown_as_such() {
    let mut session = Session::start(&["DU1234567"], wide_open()).await;
    live(&mut session, "AAPL").await;
    let ask = session.store.quotes["AAPL"].ask.expect("ask");
    // About 2M USD: above the gateway's 1M total value limit.
    let quantity = (d("2000000") / ask).round().to_string();
    let intent = session.place(limit("AAPL", OrderAction::Buy, &quantity, ask), None, "").await.expect("sent");
    session.until("the 451", |s| code_text(s, &intent, 451).is_some()).await;
    let text = code_text(&session.store, &intent, 451).expect("451 text");
    assert!(text.contains("Total Value Limit"), "{text}");
    // The preview already showed the gateway's refusal.
    let what_if = session.store.trading.what_if.as_ref().expect("what-if answer");
    assert!(what_if.result.as_ref().is_err_and(|e| e.starts_with("451")), "{what_if:?}");
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_looking_account_disables_order_entry_and_nothing_is_sent() {
    let mut session = Session::start(&["U1234567"], Precautions::default()).await;
    live(&mut session, "AAPL").await;
    let ask = session.store.quotes["AAPL"].ask.expect("ask");
    let mut ticket = limit("AAPL", OrderAction::Buy, "1", ask);
    ticket.account = "U1234567".into();
    let outcome = session.place(ticket, None, "").await;
    let reason = outcome.expect_err("refused");
    assert!(reason.contains("LIVE account U1234567"), "{reason}");
    assert!(session.store.orders.is_empty(), "an order reached the gateway: {:?}", session.store.orders);
    assert!(!session.journal_kinds().iter().any(|k| k == "submitted"));
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_transmit_of_the_same_preview_is_refused() {
    let mut session = Session::start(&["DU1234567"], Precautions::default()).await;
    live(&mut session, "SPY").await;
    let bid = session.store.quotes["SPY"].bid.expect("bid");
    let ticket = limit("SPY", OrderAction::Buy, "1", bid - d("3"));
    session.place(ticket.clone(), None, "").await.expect("first sent");
    // The same ticket again at once trips the duplicate precaution unless overridden.
    let again = session.place(ticket, None, "").await;
    assert!(again.expect_err("duplicate refused").to_lowercase().contains("duplicate"));
    let submitted = session.journal_kinds().iter().filter(|k| *k == "submitted").count();
    assert_eq!(submitted, 1);
    session.stop().await;
}

#[test]
fn journal_entries_are_typed_bodies() {
    // Guard against the journal's tag names drifting from what the tests above read.
    let body = JournalBody::CancelAll;
    assert_eq!(serde_json::to_value(&body).expect("json")["kind"], "cancel_all");
}

/// Random ticket inputs, every one transmitted: nothing invalid ever reaches the gateway, and
/// every refusal says why.
#[test]
// One thread drives the session through `block_on`; nothing else ever borrows it.
#[allow(clippy::await_holding_refcell_ref)]
fn random_tickets_never_put_an_invalid_order_on_the_wire() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    use robo_tui::orders::TimeInForce;
    use std::cell::RefCell;

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let precautions = Precautions {
        off: vec![robo_tui::orders::Rule::OrdersPerMinute, robo_tui::orders::Rule::Duplicate],
        ..Precautions::default()
    };
    let session = RefCell::new(rt.block_on(async {
        let mut session = Session::start(&["DU1234567"], precautions).await;
        live(&mut session, "AAPL").await;
        for symbol in ["AAPL", "ZZZZ"] {
            session.request(TradeRequest::Resolve { symbol: symbol.into() });
            session.until("the contract answer", |s| s.trading.contracts.contains_key(symbol)).await;
        }
        session
    }));
    let ask = session.borrow().store.quotes["AAPL"].ask.expect("ask");
    let quantity = prop_oneof![
        Just("10".to_string()),
        Just("0".into()),
        Just("-3".into()),
        Just("1.5".into()),
        Just("ten".into()),
        Just(String::new()),
        (1u32..2000).prop_map(|n| n.to_string())
    ];
    let price = prop_oneof![
        Just(ask.to_string()),
        Just((ask - d("1")).to_string()),
        Just((ask + d("0.005")).to_string()),
        Just("0".into()),
        Just("-1".into()),
        Just("abc".into()),
        Just(String::new()),
        (1u32..100_000).prop_map(|c| (Decimal::from(c) / Decimal::from(100)).to_string()),
    ];
    let order_type =
        prop_oneof![Just(OrderType::Market), Just(OrderType::Limit), Just(OrderType::Stop), Just(OrderType::StopLimit)];
    let symbol = prop_oneof![Just("AAPL"), Just("ZZZZ"), Just("")];
    let account = prop_oneof![Just("DU1234567"), Just("DU9999999"), Just("")];
    let tif = prop_oneof![Just(TimeInForce::Day), Just(TimeInForce::Gtc), Just(TimeInForce::Ioc)];
    let tickets = (symbol, any::<bool>(), quantity, order_type, price.clone(), price, tif, account).prop_map(
        |(symbol, buy, quantity, order_type, limit, stop, tif, account)| {
            let action = if buy { OrderAction::Buy } else { OrderAction::Sell };
            let mut ticket = Ticket::new(symbol, action, account);
            ticket.quantity = quantity;
            ticket.order_type = order_type;
            ticket.limit_price = limit;
            ticket.stop_price = stop;
            ticket.tif = tif;
            ticket
        },
    );
    let mut runner = TestRunner::new(Config { cases: 48, failure_persistence: None, ..Config::default() });
    runner
        .run(&tickets, |ticket| {
            let outcome = rt.block_on(async {
                let mut session = session.borrow_mut();
                let request = session.next_request();
                session.request(TradeRequest::Transmit {
                    request,
                    ticket: Box::new(ticket.clone()),
                    modify: None,
                    override_word: String::new(),
                    typed_account: String::new(),
                });
                session
                    .until("the outcome", |s| s.trading.outcome.as_ref().is_some_and(|o| o.request == request))
                    .await;
                session.store.trading.outcome.as_ref().map(|o| o.result.clone()).expect("outcome")
            });
            if let Err(reason) = &outcome {
                prop_assert!(!reason.trim().is_empty(), "a refusal without a reason for {ticket:?}");
            }
            Ok(())
        })
        .expect("property holds");
    // Two well-formed tickets as well, so the check below never runs on an empty sample.
    let mut session = session.into_inner();
    rt.block_on(async {
        for order_type in [OrderType::Limit, OrderType::Market] {
            let mut ticket = limit("AAPL", OrderAction::Buy, "3", ask - d("1"));
            ticket.order_type = order_type;
            if order_type == OrderType::Market {
                ticket.limit_price.clear();
            }
            let request = session.next_request();
            session.request(TradeRequest::Transmit {
                request,
                ticket: Box::new(ticket),
                modify: None,
                override_word: String::new(),
                typed_account: String::new(),
            });
            session.until("the outcome", |s| s.trading.outcome.as_ref().is_some_and(|o| o.request == request)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    });
    // What the gateway received: only well-formed orders, ever.
    let received: Vec<_> = session.gateway.received_orders().into_iter().filter(|o| !o.what_if).collect();
    assert!(!received.is_empty(), "no valid ticket in the sample reached the gateway: the check would be empty");
    let tick = |p: f64| ((p * 100.0).round() - p * 100.0).abs() < 1e-6;
    for order in &received {
        let quantity: Decimal = order.total_quantity.as_deref().unwrap_or("").parse().expect("a decimal quantity");
        assert!(quantity > Decimal::ZERO && quantity.fract().is_zero(), "{order:?}");
        assert_eq!(order.account.as_deref(), Some("DU1234567"), "{order:?}");
        assert_eq!(order.symbol.as_deref(), Some("AAPL"), "{order:?}");
        let kind = order.order_type.as_deref().unwrap_or("");
        let needs_limit = kind == "LMT" || kind == "STP LMT";
        let needs_stop = kind == "STP" || kind == "STP LMT";
        assert!(["MKT", "LMT", "STP", "STP LMT"].contains(&kind), "{order:?}");
        assert_eq!(order.lmt_price.is_some(), needs_limit, "{order:?}");
        assert_eq!(order.aux_price.is_some(), needs_stop, "{order:?}");
        for price in order.lmt_price.iter().chain(order.aux_price.iter()) {
            assert!(*price > 0.0 && tick(*price), "{order:?}");
        }
    }
    rt.block_on(session.stop());
}

// ---- brackets: a ticket with exits attached ----

/// A limit entry with a take profit and a stop loss attached, as typed in the ticket.
pub fn bracket(symbol: &str, action: OrderAction, quantity: &str, entry: Decimal, tp: &str, sl: &str) -> Ticket {
    let mut ticket = limit(symbol, action, quantity, entry);
    ticket.take_profit = tp.into();
    ticket.stop_loss = sl.into();
    ticket
}

fn kind_of(body: &JournalBody) -> String {
    serde_json::to_value(body).ok().and_then(|v| v["kind"].as_str().map(str::to_string)).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bracket_goes_out_leg_by_leg_journaled_first_with_leg_ids_in_order_ref() {
    let mut session = Session::start(&["DU1234567"], Precautions::default()).await;
    live(&mut session, "SPY").await;
    let bid = session.store.quotes["SPY"].bid.expect("bid");
    // A resting entry $3 under the bid, its target 1% above the entry, its stop 50 ticks under.
    let entry = (bid - d("3")).round_dp(2);
    let group =
        session.place(bracket("SPY", OrderAction::Buy, "5", entry, "1%", "50t"), None, "").await.expect("bracket sent");
    for leg in ["entry", "tp", "sl"] {
        let intent = format!("{group}.{leg}");
        session.until(&format!("the {leg} acknowledged"), |s| by_intent(s, &intent).is_some()).await;
    }
    let entry_row = by_intent(&session.store, &format!("{group}.entry")).expect("entry");
    let tp = by_intent(&session.store, &format!("{group}.tp")).expect("tp");
    let sl = by_intent(&session.store, &format!("{group}.sl")).expect("sl");
    let terms = |row: &OrderRow| row.terms.clone().expect("terms");
    assert_eq!((terms(entry_row).action.as_str(), terms(entry_row).quantity), ("BUY", d("5")));
    assert_eq!((terms(tp).action.as_str(), terms(tp).order_type.as_str(), terms(tp).quantity), ("SELL", "LMT", d("5")));
    assert_eq!(terms(tp).limit_price, Some((entry * d("1.01")).round_dp(2)));
    assert_eq!((terms(sl).order_type.as_str(), terms(sl).stop_price), ("STP", Some(entry - d("0.50"))));
    assert_eq!((terms(tp).tif.as_str(), terms(sl).tif.as_str()), ("GTC", "GTC"));
    // The entry's id is the lowest: it went first, and its children name it as parent.
    assert!(entry_row.order_id < tp.order_id && tp.order_id < sl.order_id);
    // The journal: the whole group before the first leg, then each leg's submission in order.
    let day = session.journal_day();
    let group_at = day
        .entries
        .iter()
        .position(|e| matches!(&e.body, JournalBody::GroupIntent { group_id, .. } if *group_id == group))
        .expect("group intent journaled");
    let submitted: Vec<(usize, String)> = day
        .entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match &e.body {
            JournalBody::Submitted { intent_id, .. } if intent_id.starts_with(&group) => Some((i, intent_id.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        submitted.iter().map(|(_, id)| id.clone()).collect::<Vec<_>>(),
        vec![format!("{group}.entry"), format!("{group}.tp"), format!("{group}.sl")]
    );
    assert!(
        submitted.iter().all(|(i, _)| *i > group_at),
        "{:?}",
        day.entries.iter().map(|e| kind_of(&e.body)).collect::<Vec<_>>()
    );
    // Each leg counted for the rate rule.
    assert_eq!(session.store.trading.recent.len(), 3);

    // Moving the stop: a modification of that leg keeps its order id and its group.
    let (sl_id, tp_id, entry_id) = (sl.order_id, tp.order_id, entry_row.order_id);
    let moved = entry - d("0.40");
    let mut stop = Ticket::new("SPY", OrderAction::Sell, "DU1234567");
    stop.quantity = "5".into();
    stop.order_type = OrderType::Stop;
    stop.stop_price = moved.to_string();
    stop.tif = robo_tui::orders::TimeInForce::Gtc;
    let modified = session.place(stop, Some(sl_id), "").await.expect("stop moved");
    assert!(modified.starts_with(&format!("{group}.sl~")), "{modified}");
    session
        .until("the stop moved", |s| {
            s.orders[&sl_id].terms.as_ref().is_some_and(|t| t.stop_price == Some(moved) && t.order_ref == modified)
        })
        .await;
    assert_eq!(
        robo_tui::orders::LegRole::parse(&modified),
        Some((group.as_str(), robo_tui::orders::LegRole::StopLoss))
    );
    // A reconnect now finds the bracket whole: nothing repaired, nothing sent twice.
    let orders_before = session.store.orders.len();
    let now = chrono::Utc::now();
    for event in session.trader.reconcile(&session.store, now) {
        session.store.apply(now, event);
    }
    assert_eq!(session.store.trading.group_alert, None);
    session.drain(std::time::Duration::from_millis(200)).await;
    assert_eq!(session.store.orders.len(), orders_before, "no order was sent by the reconciliation");

    // Cancelling the whole bracket: one request, every leg.
    session.request(TradeRequest::CancelGroup { group_id: group.clone(), order_ids: vec![entry_id, tp_id, sl_id] });
    session
        .until("every leg cancelled", |s| {
            [entry_id, tp_id, sl_id].iter().all(|id| s.orders[id].lifecycle.status() == OrderStatus::Cancelled)
        })
        .await;
    session.stop().await;
}

/// Appends what a run that crashed between legs left in the journal: the group's intent,
/// naming `entry_intent` (an order already at the gateway) as the entry leg.
fn journal_interrupted_group(session: &Session, group: &str, entry_intent: &str, entry: Decimal, qty: &str) {
    use robo_tui::orders::{ChecksRecord, IntentRecord, Journal, LegRecord, LegRole};
    let ticket = bracket("SPY", OrderAction::Buy, qty, entry, "1%", "50t");
    let market = session.store.market_context("SPY", "DU1234567", chrono::Utc::now());
    let group_intent = ticket.validate_group(&market).expect("valid bracket");
    let legs = group_intent
        .legs()
        .into_iter()
        .map(|(role, leg)| LegRecord {
            role,
            intent_id: if role == LegRole::Entry { entry_intent.to_string() } else { role.leg_id(group) },
            ticket: IntentRecord::from(leg),
        })
        .collect();
    let mut journal = Journal::open(session.journal_dir.path(), "crashed-run", chrono::Utc::now()).expect("journal");
    let body = JournalBody::GroupIntent {
        group_id: group.into(),
        legs,
        checks: ChecksRecord::new(&Precautions::default(), vec![]),
    };
    journal.append(chrono::Utc::now(), body).expect("journal append");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bracket_interrupted_after_its_entry_is_cancelled_on_reconnect_and_the_trader_told() {
    let mut session = Session::start(&["DU1234567"], Precautions::default()).await;
    live(&mut session, "SPY").await;
    let bid = session.store.quotes["SPY"].bid.expect("bid");
    let entry = (bid - d("3")).round_dp(2);
    // The entry reached the gateway; the run died before the exits.
    let entry_intent = session.place(limit("SPY", OrderAction::Buy, "5", entry), None, "").await.expect("sent");
    session
        .until("the entry working", |s| {
            by_intent(s, &entry_intent).is_some_and(|o| o.lifecycle.status() == OrderStatus::Submitted)
        })
        .await;
    journal_interrupted_group(&session, "crashed-1", &entry_intent, entry, "5");
    let order_id = by_intent(&session.store, &entry_intent).expect("entry").order_id;
    // Reconnect: reconciliation finds the group and cancels the staged entry.
    let now = chrono::Utc::now();
    for event in session.trader.reconcile(&session.store, now) {
        session.store.apply(now, event);
    }
    let alert = session.store.trading.group_alert.clone().expect("the status bar says so");
    assert!(alert.contains("bracket crashed-1 was interrupted (take profit, stop loss never sent)"), "{alert}");
    session.until("the entry cancelled", |s| s.orders[&order_id].lifecycle.status() == OrderStatus::Cancelled).await;
    let kinds = session.journal_kinds();
    assert!(kinds.iter().any(|k| k == "cancel_requested"), "{kinds:?}");
    // Nothing left to repair: a second reconciliation clears the alert and sends nothing.
    let now = chrono::Utc::now();
    for event in session.trader.reconcile(&session.store, now) {
        session.store.apply(now, event);
    }
    assert_eq!(session.store.trading.group_alert, None);
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_filled_without_its_stop_gets_the_stop_on_reconnect_loudly() {
    let mut session = Session::start(&["DU1234567"], Precautions::default()).await;
    live(&mut session, "SPY").await;
    let ask = session.store.quotes["SPY"].ask.expect("ask");
    // A marketable entry: it fills at once; the run died before its exits went.
    let entry = (ask * d("1.002")).round_dp(2);
    let entry_intent = session.place(limit("SPY", OrderAction::Buy, "3", entry), None, "").await.expect("sent");
    session
        .until("the entry filled", |s| {
            by_intent(s, &entry_intent).is_some_and(|o| o.lifecycle.filled_quantity() == d("3"))
        })
        .await;
    journal_interrupted_group(&session, "crashed-2", &entry_intent, entry, "3");
    let now = chrono::Utc::now();
    for event in session.trader.reconcile(&session.store, now) {
        session.store.apply(now, event);
    }
    let alert = session.store.trading.group_alert.clone().expect("the status bar says so");
    assert!(alert.starts_with("UNPROTECTED: bracket crashed-2's entry filled 3 without its stop loss"), "{alert}");
    session.until("the stop at the gateway", |s| by_intent(s, "crashed-2.sl").is_some()).await;
    let stop = by_intent(&session.store, "crashed-2.sl").expect("stop");
    let terms = stop.terms.clone().expect("terms");
    assert_eq!((terms.action.as_str(), terms.quantity, terms.order_type.as_str()), ("SELL", d("3"), "STP"));
    assert_eq!(terms.stop_price, Some(entry - d("0.50")));
    // The entry's timeline says what happened.
    let entry_row = by_intent(&session.store, &entry_intent).expect("entry");
    assert!(
        entry_row.lifecycle.timeline().iter().any(|t| format!("{:?}", t.event).contains("UNPROTECTED")),
        "{:?}",
        entry_row.lifecycle.timeline()
    );
    session.stop().await;
}

/// One paper account on a frozen market (prices move only when a test moves them), the
/// default precautions, live with SPY quoted.
async fn frozen_spy_session() -> Session {
    let mut config = GatewayConfig::embedded(0);
    config.accounts = vec!["DU1234567".into()];
    config.speed = 0.0;
    let mut session = Session::start_with(config, Precautions::default()).await;
    live(&mut session, "SPY").await;
    session
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_brackets_exits_wait_for_the_entry_then_work_and_the_targets_fill_cancels_the_stop() {
    let mut session = frozen_spy_session().await;
    let ask = session.store.quotes["SPY"].ask.expect("ask");
    // Marketable: the entry fills as the last leg transmits the group.
    let entry = ask + d("0.05");
    let group = session
        .place(bracket("SPY", OrderAction::Buy, "4", entry, "20t", "50t"), None, "")
        .await
        .expect("bracket sent");
    let id = |s: &Store, leg: &str| by_intent(s, &format!("{group}.{leg}")).map(|o| o.order_id);
    session
        .until("entry filled, both exits working", |s| {
            let status = |leg| id(s, leg).map(|i| s.orders[&i].lifecycle.status());
            status("entry") == Some(OrderStatus::Filled)
                && status("tp") == Some(OrderStatus::Submitted)
                // An untriggered stop works as PreSubmitted.
                && matches!(status("sl"), Some(OrderStatus::PreSubmitted | OrderStatus::Submitted))
        })
        .await;
    let (tp, sl) = (id(&session.store, "tp").expect("tp"), id(&session.store, "sl").expect("sl"));
    // The market rises through the target: it fills and the gateway cancels the stop.
    let control = session.gateway.control();
    control.move_market("SPY", 60);
    session
        .until("target filled, stop cancelled", |s| {
            s.orders[&tp].lifecycle.status() == OrderStatus::Filled
                && s.orders[&sl].lifecycle.status() == OrderStatus::Cancelled
        })
        .await;
    assert_eq!(session.store.orders[&tp].lifecycle.filled_quantity(), d("4"));
    assert_eq!(session.store.orders[&sl].lifecycle.filled_quantity(), d("0"));
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gtd_order_from_the_ticket_expires_at_its_utc_time_at_the_gateway() {
    let mut session = frozen_spy_session().await;
    let bid = session.store.quotes["SPY"].bid.expect("bid");
    // Two hours from now, typed in UTC.
    let now = chrono::Utc::now();
    let until = now + chrono::Duration::hours(2);
    let mut ticket = limit("SPY", OrderAction::Buy, "2", bid - d("3"));
    ticket.tif = robo_tui::orders::TimeInForce::Gtd;
    ticket.good_till = until.format(robo_tui::orders::GOOD_TILL_FORMAT).to_string();
    let intent = session.place(ticket, None, "").await.expect("GTD sent");
    session
        .until("the GTD order working", |s| {
            by_intent(s, &intent).is_some_and(|o| o.lifecycle.status() == OrderStatus::Submitted)
        })
        .await;
    let order_id = by_intent(&session.store, &intent).expect("order").order_id;
    assert_eq!(session.store.orders[&order_id].terms.as_ref().map(|t| t.tif.clone()), Some("GTD".to_string()));
    // A minute before its time it still works; a minute after, the gateway has expired it. (Had
    // the time gone out without its zone, the gateway would read it as US/Eastern: hours off.)
    let control = session.gateway.control();
    let wall = |at: chrono::DateTime<chrono::Utc>| at.timestamp_millis();
    let sim = session.gateway.sim_time_ms();
    control.advance_clock(std::time::Duration::from_millis((wall(until) - 60_000 - sim).max(0) as u64));
    session.drain(std::time::Duration::from_millis(300)).await;
    assert_eq!(session.store.orders[&order_id].lifecycle.status(), OrderStatus::Submitted);
    control.advance_clock(std::time::Duration::from_secs(120));
    session.until("the GTD expiry", |s| s.orders[&order_id].lifecycle.status() == OrderStatus::Cancelled).await;
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_brackets_trailing_stop_follows_the_market_up_and_the_store_shows_where_it_is() {
    let mut session = frozen_spy_session().await;
    let ask = session.store.quotes["SPY"].ask.expect("ask");
    let mut ticket = bracket("SPY", OrderAction::Buy, "2", ask + d("0.05"), "", "50t");
    ticket.stop_kind = robo_tui::orders::StopKind::Trail;
    let group = session.place(ticket, None, "").await.expect("sent");
    let sl_intent = format!("{group}.sl");
    session
        .until("the entry filled and the trailing stop reported", |s| {
            by_intent(s, &format!("{group}.entry")).is_some_and(|o| o.lifecycle.status() == OrderStatus::Filled)
                && by_intent(s, &sl_intent).and_then(|o| o.terms.as_ref()?.trail_stop_price).is_some()
        })
        .await;
    let sl = by_intent(&session.store, &sl_intent).expect("stop");
    let terms = sl.terms.clone().expect("terms");
    assert_eq!((terms.order_type.as_str(), terms.stop_price), ("TRAIL", Some(d("0.5"))), "trails by 0.50");
    let start = terms.trail_stop_price.expect("trail stop");
    let sl_id = sl.order_id;
    session.gateway.control().move_market("SPY", 100);
    session
        .until("the stop to follow the market up", |s| {
            s.orders[&sl_id].terms.as_ref().and_then(|t| t.trail_stop_price).is_some_and(|p| p > start)
        })
        .await;
    assert!(!session.store.orders[&sl_id].lifecycle.status().is_final(), "it follows, it does not trigger");
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_stop_sent_on_reconnect_is_linked_with_the_working_target_so_its_fill_cancels_it() {
    use robo_tui::orders::{ChecksRecord, IntentRecord, Journal, LegRecord, LegRole};
    let mut session = frozen_spy_session().await;
    let ask = session.store.quotes["SPY"].ask.expect("ask");
    let entry = ask + d("0.05");
    // Entry and target went (a real parent and child at the gateway); the stop never did.
    let sent = session.place(bracket("SPY", OrderAction::Buy, "2", entry, "20t", ""), None, "").await.expect("sent");
    let (entry_leg, tp_leg) = (format!("{sent}.entry"), format!("{sent}.tp"));
    session
        .until("entry filled, target working", |s| {
            by_intent(s, &entry_leg).is_some_and(|o| o.lifecycle.status() == OrderStatus::Filled)
                && by_intent(s, &tp_leg).is_some_and(|o| o.lifecycle.status() == OrderStatus::Submitted)
        })
        .await;
    // What the crashed run journaled: the group with its stop.
    let market = session.store.market_context("SPY", "DU1234567", chrono::Utc::now());
    let group = bracket("SPY", OrderAction::Buy, "2", entry, "20t", "50t").validate_group(&market).expect("valid");
    let legs = group
        .legs()
        .into_iter()
        .map(|(role, leg)| LegRecord {
            role,
            intent_id: match role {
                LegRole::Entry => entry_leg.clone(),
                LegRole::TakeProfit => tp_leg.clone(),
                LegRole::StopLoss => "crashed-3.sl".into(),
            },
            ticket: IntentRecord::from(leg),
        })
        .collect();
    let mut journal = Journal::open(session.journal_dir.path(), "crashed-run", chrono::Utc::now()).expect("journal");
    let body = JournalBody::GroupIntent {
        group_id: "crashed-3".into(),
        legs,
        checks: ChecksRecord::new(&Precautions::default(), vec![]),
    };
    journal.append(chrono::Utc::now(), body).expect("append");
    let now = chrono::Utc::now();
    for event in session.trader.reconcile(&session.store, now) {
        session.store.apply(now, event);
    }
    session
        .until("the stop at the gateway", |s| by_intent(s, "crashed-3.sl").is_some_and(|o| o.lifecycle.acknowledged()))
        .await;
    let stop = by_intent(&session.store, "crashed-3.sl").expect("stop").order_id;
    let tp = by_intent(&session.store, &tp_leg).expect("tp").order_id;
    // The target fills: the stop, linked with it under the same parent, is cancelled.
    session.gateway.control().move_market("SPY", 60);
    session
        .until("target filled, the repaired stop cancelled", |s| {
            s.orders[&tp].lifecycle.status() == OrderStatus::Filled
                && s.orders[&stop].lifecycle.status() == OrderStatus::Cancelled
        })
        .await;
    assert_eq!(session.store.orders[&stop].lifecycle.filled_quantity(), d("0"), "no short was opened");
    session.stop().await;
}
