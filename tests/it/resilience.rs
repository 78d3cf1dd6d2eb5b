//! The broker task and store through the simulated gateway's faults: the connection life
//! cycle, notices, restarts, and order entry closed while the state is uncertain.

use crate::orders::{by_intent, d, limit, live};
use crate::session::Session;
use futures::StreamExt;
use robo_tui::app::trading::TradeRequest;
use robo_tui::broker::pacer::Clock;
use robo_tui::gateway::{FaultControl, GatewayConfig};
use robo_tui::orders::{entry_allowed, OrderAction, OrderStatus, Precautions};
use robo_tui::store::{ConnectionState, Store};
use rust_decimal::Decimal;
use std::time::Duration;

async fn session(tune: impl FnOnce(&mut robo_tui::broker::BrokerSettings)) -> (Session, FaultControl) {
    let session = Session::start_tuned(GatewayConfig::embedded(0), Precautions::default(), tune).await;
    let control = session.gateway.control();
    (session, control)
}

fn entry_open(store: &Store) -> bool {
    entry_allowed(&store.guard_context()).is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_loss_blocks_entry_and_1102_reconciles_before_it_reopens() {
    let (mut session, control) = session(|_| {}).await;
    live(&mut session, "AAPL").await;
    assert!(entry_open(&session.store));
    let connected_at = session.store.connection.connected_at;
    control.notice(1100);
    session.until("degraded", |s| matches!(s.connection.state, ConnectionState::Degraded { code: 1100 })).await;
    let block = entry_allowed(&session.store.guard_context()).expect_err("entry blocked while IB is unreachable");
    assert!(block.to_string().contains("degraded"), "{block}");
    control.notice(1102);
    session.until("reconciling after 1102", |s| s.connection.state == ConnectionState::Reconciling).await;
    assert!(!entry_open(&session.store), "entry stays closed until the state is fetched again");
    session.until("live again", |s| s.connection.state.is_live()).await;
    assert!(entry_open(&session.store));
    assert_eq!(session.store.connection.connected_at, connected_at, "a notice never reconnects the socket");
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_farm_flap_storm_changes_farms_and_never_the_connection() {
    let (mut session, control) = session(|_| {}).await;
    live(&mut session, "AAPL").await;
    let connected_at = session.store.connection.connected_at;
    for _ in 0..30 {
        control.notice(2103);
        control.notice(2104);
    }
    session
        .until("60 farm notices", |s| {
            s.connection.notices.iter().filter(|n| n.code == 2103 || n.code == 2104).count() >= 45
        })
        .await;
    session.until("the last flap is OK", |s| s.connection.farms.get("usfarm").is_some_and(|f| f.ok)).await;
    assert!(session.store.connection.state.is_live());
    assert_eq!(session.store.connection.connected_at, connected_at, "zero reconnects");
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_restart_reconnects_with_higher_order_ids_and_entry_waits() {
    let (mut session, control) = session(|_| {}).await;
    live(&mut session, "SPY").await;
    let bid = session.store.quotes["SPY"].bid.expect("bid");
    session.place(limit("SPY", OrderAction::Buy, "1", bid - d("3")), None, "").await.expect("first order");
    let first_id = *session.store.orders.keys().max().expect("an order");
    control.restart(Duration::from_secs(2), 1000);
    session.until("the drop", |s| !s.connection.state.is_live()).await;
    assert!(!entry_open(&session.store), "no order entry while reconnecting");
    session.until("live again", |s| s.connection.state.is_live()).await;
    // The resting order survived the restart and is known again after reconciliation.
    assert!(session.store.orders.contains_key(&first_id));
    session.place(limit("SPY", OrderAction::Buy, "2", bid - d("3")), None, "").await.expect("second order");
    let second_id = *session.store.orders.keys().max().expect("an order");
    assert!(second_id >= first_id + 1000, "order ids follow the new NextValidId: {first_id} then {second_id}");
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_open_gateway_times_out_and_the_broker_keeps_trying() {
    let (mut session, control) = session(|s| s.connect_timeout = Duration::from_secs(1)).await;
    live(&mut session, "AAPL").await;
    control.set_silent(true);
    control.restart(Duration::from_millis(200), 0);
    session
        .until("a timed-out attempt", |s| {
            s.connection.notices.iter().any(|n| n.text.contains("does not finish the handshake"))
        })
        .await;
    assert!(!entry_open(&session.store));
    control.set_silent(false);
    session.until("live again", |s| s.connection.state.is_live()).await;
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_gateway_goes_stale_and_is_reconnected() {
    let (mut session, control) = session(|s| {
        s.probe_after = Duration::from_millis(500);
        s.probe_deadline = Duration::from_millis(500);
    })
    .await;
    live(&mut session, "AAPL").await;
    control.set_stall(true);
    session
        .until("stale", |s| {
            s.connection.notices.iter().any(|n| n.text.contains("stale: no answer to the liveness probe"))
        })
        .await;
    control.set_stall(false);
    session.until("live again", |s| s.connection.state.is_live()).await;
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicated_execution_counts_once_and_a_late_commission_still_joins() {
    let (mut session, control) = session(|_| {}).await;
    live(&mut session, "AAPL").await;
    control.duplicate_next_execution();
    control.late_next_commission(Duration::from_millis(500));
    let ask = session.store.quotes["AAPL"].ask.expect("ask");
    let intent = session
        .place(limit("AAPL", OrderAction::Buy, "3", (ask * d("1.01")).round_dp(2)), None, "")
        .await
        .expect("sent");
    let ours = move |s: &Store| by_intent(s, &intent).cloned();
    session.until("filled", |s| ours(s).is_some_and(|o| o.lifecycle.status() == OrderStatus::Filled)).await;
    let order_id = ours(&session.store).expect("order").order_id;
    session
        .until("the late commission", |s| {
            s.executions.values().any(|e| e.order_id == order_id && e.commission.is_some())
        })
        .await;
    let order = ours(&session.store).expect("order");
    assert_eq!(order.lifecycle.filled_quantity(), d("3"), "one fill, not two");
    assert_eq!(session.store.executions.values().filter(|e| e.order_id == order_id).count(), 1);
    session.request(TradeRequest::Halt(true));
    assert!(!entry_open(&session.store));
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sentinel_order_status_makes_the_broker_reconcile_from_scratch() {
    let (mut session, control) = session(|_| {}).await;
    live(&mut session, "AAPL").await;
    let connected_at = session.store.connection.connected_at;
    control.sentinel_next_status();
    let ask = session.store.quotes["AAPL"].ask.expect("ask");
    let intent = session
        .place(limit("AAPL", OrderAction::Buy, "2", (ask * d("1.01")).round_dp(2)), None, "")
        .await
        .expect("sent");
    // The bad status kills ibapi's order stream; the broker reconnects and the gateway's own
    // answer (open, completed orders and executions) settles the order.
    session
        .until("a new connection", |s| s.connection.connected_at != connected_at && s.connection.state.is_live())
        .await;
    session
        .until("the order settled from the gateway's state", |s| {
            s.orders.values().any(|o| {
                o.terms.as_ref().is_some_and(|t| t.order_ref == intent) && o.lifecycle.filled_quantity() == d("2")
            })
        })
        .await;
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swallowed_order_shows_unconfirmed_and_is_never_resent() {
    let (mut session, control) = session(|_| {}).await;
    live(&mut session, "SPY").await;
    control.swallow_next_order();
    let bid = session.store.quotes["SPY"].bid.expect("bid");
    let intent = session.place(limit("SPY", OrderAction::Buy, "1", bid - d("3")), None, "").await.expect("sent");
    let order_id = by_intent(&session.store, &intent).map(|o| o.order_id).expect("the submitted order is tracked");
    let row = &session.store.orders[&order_id];
    let later = chrono::Utc::now() + chrono::Duration::seconds(6);
    assert_eq!(
        row.lifecycle.shown_status(later, robo_tui::store::ACK_TIMEOUT),
        robo_tui::orders::ShownStatus::Unconfirmed
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let submitted = session.journal_kinds().iter().filter(|k| *k == "submitted").count();
    assert_eq!(submitted, 1, "never resent on its own");
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_at_every_handshake_step_the_broker_retries_and_then_connects() {
    use robo_tui::gateway::HandshakeStep;
    let (mut session, control) = session(|s| s.connect_timeout = Duration::from_secs(2)).await;
    live(&mut session, "AAPL").await;
    for step in [
        HandshakeStep::OnAccept,
        HandshakeStep::AfterVersion,
        HandshakeStep::AfterReply,
        HandshakeStep::AfterStartApi,
        HandshakeStep::AfterNextValidId,
    ] {
        let notices_before = session.store.connection.notices.len();
        control.set_close_at(Some(step));
        control.restart(Duration::from_millis(100), 0);
        session
            .until(&format!("a failed attempt closed at {step:?}"), |s| {
                s.connection.notices.iter().skip(notices_before).any(|n| n.text.contains("disconnected"))
                    && matches!(s.connection.state, ConnectionState::Reconnecting { .. })
            })
            .await;
        assert!(!entry_open(&session.store), "{step:?}: entry must be closed");
        control.set_close_at(None);
        session.until(&format!("live again after {step:?}"), |s| s.connection.state.is_live()).await;
    }
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_version_below_213_is_down_with_the_reason_and_no_retry_storm() {
    let (mut session, control) = session(|_| {}).await;
    live(&mut session, "AAPL").await;
    control.set_server_version(Some(200));
    control.restart(Duration::from_millis(100), 0);
    session
        .until("down for an old server", |s| {
            matches!(&s.connection.state, ConnectionState::Down { reason } if reason.contains("server version 200 is too old"))
        })
        .await;
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_id_in_use_is_said_plainly_retried_and_the_same_id_connects_later() {
    let gateway = robo_tui::gateway::spawn(GatewayConfig::embedded(0)).await.expect("gateway");
    let address = gateway.local_addr().to_string();
    // Someone else holds client id 17.
    let other = ibapi::Client::builder()
        .address(address.as_str())
        .client_id(17)
        .max_reconnect_attempts(0)
        .connect()
        .await
        .expect("first client");
    let (tx, mut events) = tokio::sync::mpsc::channel(4096);
    let (stop, mut commands) = tokio::sync::mpsc::channel(4);
    let reporter = robo_tui::diagnostics::Reporter::register("broker", tx.clone());
    let settings = robo_tui::broker::BrokerSettings::new(address, "test".into(), 17, Duration::from_secs(2));
    let task =
        tokio::spawn(async move { robo_tui::broker::run(settings, tx, &mut commands, None, None, reporter).await });
    let mut store = Store::new();
    let said = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(event) = events.recv().await {
            store.apply(chrono::Utc::now(), event);
            if store.connection.notices.iter().any(|n| n.text.contains("client id 17 is already in use")) {
                return;
            }
        }
    })
    .await;
    assert!(said.is_ok(), "{:#?}", store.connection);
    assert_eq!(store.connection.client_id, 17, "never switches to another id");
    other.disconnect().await;
    let live = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(event) = events.recv().await {
            store.apply(chrono::Utc::now(), event);
            if store.connection.state.is_live() {
                return;
            }
        }
    })
    .await;
    assert!(live.is_ok(), "{:#?}", store.connection);
    assert_eq!(store.connection.client_id, 17);
    let _ = stop.send(robo_tui::broker::BrokerCommand::Shutdown).await;
    let _ = task.await;
    gateway.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_out_of_order_never_move_a_filled_order_back() {
    let (mut session, control) = session(|_| {}).await;
    live(&mut session, "AAPL").await;
    control.reorder_next_statuses();
    let ask = session.store.quotes["AAPL"].ask.expect("ask");
    let intent = session
        .place(limit("AAPL", OrderAction::Buy, "4", (ask * d("1.01")).round_dp(2)), None, "")
        .await
        .expect("sent");
    let ours = move |s: &Store| by_intent(s, &intent).cloned();
    session.until("filled", |s| ours(s).is_some_and(|o| o.lifecycle.status() == OrderStatus::Filled)).await;
    // Let the late Submitted arrive and be applied too: the order stays Filled.
    session.drain(Duration::from_millis(500)).await;
    let late = ours(&session.store).expect("order");
    assert!(
        late.lifecycle.timeline().iter().any(|e| matches!(
            e.event,
            robo_tui::orders::TimelineEvent::Status { status: OrderStatus::Submitted, applied: false }
        )),
        "the late Submitted arrived and was not applied: {:?}",
        late.lifecycle.timeline()
    );
    let order = ours(&session.store).expect("order");
    assert_eq!(order.lifecycle.status(), OrderStatus::Filled);
    assert_eq!(order.lifecycle.filled_quantity(), d("4"));
    session.stop().await;
}

/// Gateway restarts at moments chosen by a seeded sequence while orders are placed and fill.
/// At the end the store, the journal and the gateway agree on every execution, nothing was sent
/// while the session was not live, and no second socket of ours was refused (326).
/// `ROBO_TUI_SOAK=N` runs N rounds (the default is a CI-sized 8).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_restarts_while_trading_lose_no_fill_and_send_nothing_while_down() {
    let rounds: u64 = std::env::var("ROBO_TUI_SOAK").ok().and_then(|v| v.parse().ok()).unwrap_or(8);
    let precautions = Precautions {
        off: vec![robo_tui::orders::Rule::OrdersPerMinute, robo_tui::orders::Rule::Duplicate],
        ..Precautions::default()
    };
    let mut session =
        Session::start_tuned(GatewayConfig::embedded(0), precautions, |s| s.connect_timeout = Duration::from_secs(2))
            .await;
    let control = session.gateway.control();
    live(&mut session, "AAPL").await;
    session.request(TradeRequest::Resolve { symbol: "AAPL".into() });
    session.until("the contract", |s| s.trading.contracts.contains_key("AAPL")).await;
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut sent = 0;
    let mut refused_while_down = 0;
    let mut restarts = 0;
    for round in 0..rounds {
        // Up to three orders, then a restart at a random point of the round.
        for _ in 0..(next() % 3 + 1) {
            if !session.store.connection.state.is_live() {
                session.until("live", |s| s.connection.state.is_live()).await;
            }
            let Some(ask) = session.store.quotes.get("AAPL").and_then(|q| q.ask) else { continue };
            let request = session.next_request();
            let mut ticket = limit(
                "AAPL",
                if round % 2 == 0 { OrderAction::Buy } else { OrderAction::Sell },
                "1",
                (ask * d("1.01")).round_dp(2),
            );
            if round % 2 == 1 {
                ticket.limit_price = (ask * d("0.99")).round_dp(2).to_string();
            }
            session.request(TradeRequest::Transmit {
                request,
                ticket: Box::new(ticket),
                modify: None,
                override_word: "OVERRIDE".into(),
                typed_account: String::new(),
            });
            if next() % 4 == 0 {
                control.restart(Duration::from_millis(100 + next() % 400), 10);
                restarts += 1;
            }
            session.until("the outcome", |s| s.trading.outcome.as_ref().is_some_and(|o| o.request == request)).await;
            match &session.store.trading.outcome.as_ref().expect("outcome").result {
                Ok(_) => sent += 1,
                Err(reason)
                    if reason.contains("not live") || reason.contains("disabled") || reason.contains("not sent") =>
                {
                    refused_while_down += 1
                }
                Err(reason) => panic!("refused for another reason: {reason}"),
            }
        }
        control.restart(Duration::from_millis(100 + next() % 300), 10);
        restarts += 1;
        session.until("the drop", |s| !s.connection.state.is_live()).await;
        session.until("live again", |s| s.connection.state.is_live()).await;
    }
    session.drain(Duration::from_millis(500)).await;
    assert!(sent > 0, "no order went through in {rounds} rounds");
    // Every fill the gateway made for us is in the store once, and in the journal once.
    let store_execs: std::collections::BTreeSet<String> = session.store.executions.keys().cloned().collect();
    let journal_execs = journal_fills(&session);
    let journal_set: std::collections::BTreeSet<String> = journal_execs.iter().cloned().collect();
    assert_eq!(journal_execs.len(), journal_set.len(), "a fill journalled twice");
    assert_eq!(store_execs, journal_set, "store and journal disagree");
    assert_eq!(store_execs, gateway_execs(&session, 17), "store and the gateway's executions disagree");
    let filled: Decimal = session.store.orders.values().map(|o| o.lifecycle.filled_quantity()).sum();
    let executed: Decimal = session.store.executions.values().map(|e| e.shares).sum();
    assert_eq!(filled, executed, "orders' fills and executions disagree");
    // An order written just as the gateway went down may never have been read: it must then
    // be the cockpit's unacknowledged (UNCONFIRMED) order, never resent.
    let received = session.gateway.received_orders().into_iter().filter(|o| !o.what_if).count();
    assert!(received <= sent, "the gateway received {received} orders, the cockpit sent only {sent}");
    let unacknowledged = session.store.orders.values().filter(|o| o.own && !o.lifecycle.acknowledged()).count();
    assert_eq!(sent - received, unacknowledged, "lost orders must show as unacknowledged");
    assert!(
        !session.store.connection.notices.iter().any(|n| n.code == 326),
        "the gateway saw a second socket from us (326)"
    );
    eprintln!(
        "soak: {rounds} rounds, {restarts} gateway restarts, {sent} orders sent, {refused_while_down} refused while \
         not live, {} fills, 0 mismatches",
        store_execs.len()
    );
    session.stop().await;
}

/// Every session state seen while waiting for `done`, in order, without repeats.
async fn states_until(session: &mut Session, what: &str, done: impl Fn(&Store) -> bool) -> Vec<String> {
    let seen = std::cell::RefCell::new(Vec::<String>::new());
    session
        .until(what, |s| {
            let label = s.connection.state.label().to_string();
            let mut seen = seen.borrow_mut();
            if seen.last() != Some(&label) {
                seen.push(label);
            }
            done(s)
        })
        .await;
    seen.into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_gateway_is_reconnecting_with_the_reason_and_connects_once_it_listens() {
    let (mut session, control) = session(|_| {}).await;
    live(&mut session, "AAPL").await;
    control.set_refuse(true);
    control.restart(Duration::from_millis(100), 0);
    session
        .until("a refused attempt", |s| {
            matches!(&s.connection.state, ConnectionState::Reconnecting { reason, attempt, .. }
                if reason.contains("connection refused") && *attempt >= 1)
        })
        .await;
    assert!(!entry_open(&session.store), "no order entry while the gateway refuses");
    assert_eq!(session.store.connection.last_failure, Some(robo_tui::store::DisconnectKind::Unreachable));
    let states = states_until(
        &mut session,
        "a second refused attempt",
        |s| matches!(&s.connection.state, ConnectionState::Reconnecting { attempt, .. } if *attempt >= 2),
    )
    .await;
    assert!(!states.contains(&"handshaking".to_string()), "nothing listens: no handshake is tried: {states:?}");
    control.set_refuse(false);
    let states = states_until(&mut session, "live again", |s| s.connection.state.is_live()).await;
    let expected = ["connecting", "handshaking", "reconciling", "live"];
    let tail: Vec<&str> = states.iter().map(String::as_str).skip_while(|s| *s != "connecting").collect();
    assert_eq!(tail, expected, "the life cycle of a successful attempt: {states:?}");
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_gateway_shows_handshaking_then_the_timeout_reason() {
    let (mut session, control) = session(|s| s.connect_timeout = Duration::from_millis(800)).await;
    live(&mut session, "AAPL").await;
    control.set_silent(true);
    control.restart(Duration::from_millis(100), 0);
    let states = states_until(&mut session, "a timed-out handshake", |s| {
        matches!(&s.connection.state, ConnectionState::Reconnecting { reason, .. }
            if reason.contains("does not finish the handshake"))
    })
    .await;
    assert!(states.contains(&"handshaking".to_string()), "TCP was accepted, so the handshake ran: {states:?}");
    assert_eq!(session.store.connection.last_failure, Some(robo_tui::store::DisconnectKind::Handshake));
    control.set_silent(false);
    session.until("live again", |s| s.connection.state.is_live()).await;
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_gateway_is_shown_stale_before_the_fresh_connection() {
    let (mut session, control) = session(|s| {
        s.probe_after = Duration::from_millis(400);
        s.probe_deadline = Duration::from_millis(400);
    })
    .await;
    live(&mut session, "AAPL").await;
    let first = session.store.connection.connected_at;
    control.set_stall(true);
    let states =
        states_until(&mut session, "stale", |s| matches!(s.connection.state, ConnectionState::Stale { .. })).await;
    assert_eq!(states.last().map(String::as_str), Some("stale"));
    assert!(!entry_open(&session.store), "nothing is sent on a stale view");
    control.set_stall(false);
    let states = states_until(&mut session, "live again", |s| s.connection.state.is_live()).await;
    assert!(states.contains(&"reconnecting".to_string()) || states.contains(&"connecting".to_string()), "{states:?}");
    assert_ne!(session.store.connection.connected_at, first, "a fresh connection replaced the stale one");
    session.stop().await;
}

/// The exec ids of the gateway's executions for `client_id`.
fn gateway_execs(session: &Session, client_id: i32) -> std::collections::BTreeSet<String> {
    session.gateway.executions().into_iter().filter(|e| e.client_id == client_id).map(|e| e.exec_id).collect()
}

fn journal_fills(session: &Session) -> Vec<String> {
    session
        .journal_day()
        .entries
        .iter()
        .filter_map(|e| match &e.body {
            robo_tui::orders::JournalBody::Fill { exec_id, .. } => Some(exec_id.clone()),
            _ => None,
        })
        .collect()
}

/// A resting buy of `quantity` 3 dollars under the bid; returns its order id.
async fn resting_buy(session: &mut Session, symbol: &'static str, quantity: &str) -> i32 {
    let bid = session.store.quotes[symbol].bid.expect("bid");
    let ticket = limit(symbol, OrderAction::Buy, quantity, bid - d("3"));
    let intent = session.place(ticket, None, "").await.expect("sent");
    let find = move |s: &Store| by_intent(s, &intent).map(|o| o.order_id);
    session
        .until("working", |s| {
            find(s).and_then(|id| s.orders.get(&id)).is_some_and(|o| o.lifecycle.status() == OrderStatus::Submitted)
        })
        .await;
    find(&session.store).expect("order")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fill_lost_in_a_1100_gap_is_found_by_reconciliation_after_1102_exactly_once() {
    let (mut session, control) = session(|_| {}).await;
    live(&mut session, "SPY").await;
    let order_id = resting_buy(&mut session, "SPY", "2").await;
    control.link_lost();
    session.until("degraded", |s| matches!(s.connection.state, ConnectionState::Degraded { code: 1100 })).await;
    // The market falls through the limit: the gateway fills the order, but its reports are lost.
    control.move_market("SPY", -600);
    for _ in 0..100 {
        if !gateway_execs(&session, 17).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let at_gateway = gateway_execs(&session, 17);
    assert_eq!(at_gateway.len(), 1, "the gateway filled the order during the gap");
    session.drain(Duration::from_millis(300)).await;
    assert!(session.store.executions.is_empty(), "the fill's reports were lost in the gap");
    assert!(!entry_open(&session.store));
    control.link_restored(false);
    session.until("reconciling after 1102", |s| s.connection.state == ConnectionState::Reconciling).await;
    assert!(!entry_open(&session.store), "entry waits for reconciliation");
    session.until("live again", |s| s.connection.state.is_live()).await;
    let found: std::collections::BTreeSet<String> = session.store.executions.keys().cloned().collect();
    assert_eq!(found, at_gateway, "reconciliation found the gap's fill");
    let order = &session.store.orders[&order_id];
    assert_eq!(order.lifecycle.status(), OrderStatus::Filled);
    assert_eq!(order.lifecycle.filled_quantity(), d("2"));
    assert_eq!(journal_fills(&session), at_gateway.iter().cloned().collect::<Vec<_>>(), "journalled once");
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fill_reported_during_a_1100_gap_counts_once_when_1102_reconciles() {
    let (mut session, control) = session(|_| {}).await;
    live(&mut session, "SPY").await;
    let order_id = resting_buy(&mut session, "SPY", "2").await;
    control.notice(1100);
    session.until("degraded", |s| matches!(s.connection.state, ConnectionState::Degraded { code: 1100 })).await;
    control.move_market("SPY", -600);
    session
        .until("the fill, while degraded", |s| {
            s.orders.get(&order_id).is_some_and(|o| o.lifecycle.status() == OrderStatus::Filled)
        })
        .await;
    assert!(matches!(session.store.connection.state, ConnectionState::Degraded { .. }));
    control.notice(1102);
    session.until("reconciling", |s| s.connection.state == ConnectionState::Reconciling).await;
    session.until("live again", |s| s.connection.state.is_live()).await;
    session.drain(Duration::from_millis(200)).await;
    let at_gateway = gateway_execs(&session, 17);
    let found: std::collections::BTreeSet<String> = session.store.executions.keys().cloned().collect();
    assert_eq!(found, at_gateway);
    assert_eq!(session.store.orders[&order_id].lifecycle.filled_quantity(), d("2"), "the re-fetched fill counts once");
    assert_eq!(journal_fills(&session).len(), 1, "journalled once");
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_1101_every_quote_is_requested_again_and_ticks_resume() {
    let (mut session, control) = session(|_| {}).await;
    live(&mut session, "AAPL").await;
    live(&mut session, "SPY").await;
    // Another client that keeps its old subscription: after 1101 it hears nothing more.
    let other = ibapi::Client::builder()
        .address(session.gateway.local_addr().to_string())
        .client_id(99)
        .connect()
        .await
        .expect("second client");
    let mut ticks =
        other.market_data(&ibapi::contracts::Contract::stock("AAPL").build()).subscribe().await.expect("ticks");
    tokio::time::timeout(Duration::from_secs(5), ticks.next()).await.expect("ticks flow before 1101");
    let connected_at = session.store.connection.connected_at;
    control.link_lost();
    control.link_restored(true);
    session.until("reconciling after 1101", |s| s.connection.state == ConnectionState::Reconciling).await;
    session.until("live again", |s| s.connection.state.is_live()).await;
    let restored = chrono::Utc::now();
    for symbol in ["AAPL", "SPY"] {
        session.until("fresh ticks after 1101", |s| s.quotes[symbol].updated_at.is_some_and(|at| at > restored)).await;
    }
    assert_eq!(session.store.connection.connected_at, connected_at, "resubscribed on the same connection");
    // Drain what the other client had buffered, then it stays silent: the gateway did drop
    // the subscriptions, so only a resubscription brings ticks back.
    let quiet_from = tokio::time::Instant::now() + Duration::from_millis(300);
    let end = quiet_from + Duration::from_secs(1);
    let mut late = 0;
    while let Ok(Some(_)) = tokio::time::timeout_at(end, ticks.next()).await {
        if tokio::time::Instant::now() > quiet_from {
            late += 1;
        }
    }
    assert_eq!(late, 0, "the old subscription is dead at the gateway");
    drop(ticks);
    other.disconnect().await;
    session.stop().await;
}

async fn paced_session(pacer: robo_tui::broker::Pacer) -> (Session, FaultControl) {
    let mut config = GatewayConfig::embedded(0);
    config.faults.settings.pacing = true;
    let universe: Vec<String> = robo_tui::gateway::universe::Universe::embedded()
        .expect("universe")
        .instruments()
        .iter()
        .map(|i| i.symbol.clone())
        .collect();
    assert!(universe.len() >= 30, "a full universe to quote: {}", universe.len());
    let session = Session::start_tuned(config, Precautions::default(), move |s| {
        s.watchlist = universe;
        s.pacer = pacer;
    })
    .await;
    let control = session.gateway.control();
    (session, control)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quoting_the_whole_universe_and_resubscribing_it_never_trips_pacing() {
    let (mut session, control) = paced_session(robo_tui::broker::Pacer::local(45, Clock::Monotonic)).await;
    let quoted = session.store.watchlist.len().max(30);
    session
        .until("live with every quote", |s| {
            s.connection.state.is_live() && s.quotes.values().filter(|q| q.bid.is_some()).count() >= quoted
        })
        .await;
    let connected_at = session.store.connection.connected_at;
    // 1101: every quote and bar subscription again, in one go.
    control.link_lost();
    control.link_restored(true);
    session.until("reconciling", |s| s.connection.state == ConnectionState::Reconciling).await;
    session.until("live again", |s| s.connection.state.is_live()).await;
    session.drain(Duration::from_millis(1500)).await;
    let codes: Vec<i32> = session.store.connection.notices.iter().map(|n| n.code).collect();
    assert!(!codes.contains(&100), "pacing violation: {codes:?}");
    let warned = session.store.connection.notices.iter().any(|n| n.text.contains("Approaching max rate"));
    assert!(!warned, "not even near the limit: {:?}", session.store.connection.notices);
    assert_eq!(session.store.connection.connected_at, connected_at, "never dropped for pacing");
    session.stop().await;
}

/// The control experiment: without the pacer the same start trips IB's pacing (error 100
/// and a drop), which the broker survives by reconnecting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_limiter_the_same_burst_trips_pacing_and_the_broker_reconnects() {
    let (mut session, _control) = paced_session(robo_tui::broker::Pacer::unlimited()).await;
    session.until("error 100", |s| s.connection.notices.iter().any(|n| n.code == 100)).await;
    session
        .until("the drop", |s| !matches!(s.connection.state, ConnectionState::Live | ConnectionState::Reconciling))
        .await;
    assert!(!entry_open(&session.store));
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_back_with_a_lower_next_valid_id_never_gets_a_used_order_id() {
    let (mut session, control) = session(|_| {}).await;
    live(&mut session, "SPY").await;
    let first = resting_buy(&mut session, "SPY", "2").await;
    // The gateway comes back handing out ids this client already used: a new order with the
    // id of the working one would modify it, one with a filled order's id would get 103.
    // (Each order's what-if takes the id before it, so `first - 1` puts the next order on `first`.)
    control.set_next_valid_id(first - 1);
    control.restart(Duration::from_millis(200), 0);
    session.until("the drop", |s| !s.connection.state.is_live()).await;
    session.until("live again", |s| s.connection.state.is_live()).await;
    assert!(session.gateway.next_valid_id() <= first, "the gateway really hands out a used id");
    let second = resting_buy(&mut session, "SPY", "3").await;
    assert!(second > first, "new order id {second} is above the working order {first}");
    session.drain(Duration::from_millis(300)).await;
    let working = &session.store.orders[&first];
    assert_eq!(working.lifecycle.status(), OrderStatus::Submitted, "the first order was not modified or replaced");
    assert_eq!(working.lifecycle.quantity(), d("2"));
    let codes: Vec<i32> = session.store.connection.notices.iter().map(|n| n.code).collect();
    assert!(!codes.contains(&103), "no duplicate id reached the gateway: {codes:?}");
    let received: Vec<Option<i32>> =
        session.gateway.received_orders().into_iter().filter(|o| !o.what_if).map(|o| o.order_id).collect();
    assert_eq!(received, vec![Some(first), Some(second)]);
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_103_rejects_that_order_only_journals_it_and_the_next_order_gets_a_higher_id() {
    let (mut session, control) = session(|_| {}).await;
    live(&mut session, "SPY").await;
    control.swallow_next_order();
    let bid = session.store.quotes["SPY"].bid.expect("bid");
    let intent = session.place(limit("SPY", OrderAction::Buy, "1", bid - d("3")), None, "").await.expect("sent");
    let rejected = by_intent(&session.store, &intent).map(|o| o.order_id).expect("order");
    control.notice_for(rejected, 103, Some("Duplicate order id"));
    session
        .until("rejected", |s| s.orders.get(&rejected).is_some_and(|o| o.lifecycle.status() == OrderStatus::Rejected))
        .await;
    let timeline = session.store.orders[&rejected].lifecycle.timeline().to_vec();
    assert!(
        timeline.iter().any(|e| matches!(&e.event, robo_tui::orders::TimelineEvent::Code { code: 103, .. })),
        "{timeline:?}"
    );
    assert!(
        session.journal_day().entries.iter().any(|e| matches!(&e.body,
            robo_tui::orders::JournalBody::Error { order_id: Some(id), code: 103, .. } if *id == rejected)),
        "the 103 is journalled"
    );
    let next = resting_buy(&mut session, "SPY", "3").await;
    assert!(next > rejected, "next id {next} above the rejected {rejected}");
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_frame_drops_the_connection_and_a_fresh_one_reconciles() {
    let (mut session, control) = session(|_| {}).await;
    live(&mut session, "AAPL").await;
    let first = session.store.connection.connected_at;
    control.corrupt_frame();
    session.until("the drop", |s| !s.connection.state.is_live()).await;
    assert!(!entry_open(&session.store), "nothing is sent on a desynchronised stream");
    session.until("live again", |s| s.connection.state.is_live() && s.connection.connected_at != first).await;
    assert!(entry_open(&session.store));
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_gateway_still_goes_live_and_the_round_trip_shows_its_delay() {
    let mut config = GatewayConfig::embedded(0);
    config.faults.settings.delay = Some(Duration::from_millis(150));
    let mut session = Session::start_tuned(config, Precautions::default(), |s| {
        s.probe_after = Duration::from_millis(300);
    })
    .await;
    live(&mut session, "AAPL").await;
    session
        .until("a measured round trip", |s| {
            s.connection.round_trip.is_some_and(|rtt| rtt >= Duration::from_millis(150))
        })
        .await;
    assert!(entry_open(&session.store));
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_gateway_time_zone_connects_and_is_named_in_diagnostics() {
    let mut config = GatewayConfig::embedded(0);
    config.faults.settings.time_zone = Some("Some Standard Time".into());
    let mut session = Session::start_with(config, Precautions::default()).await;
    live(&mut session, "AAPL").await;
    session.until("the time zone report", |s| s.subsystems.contains_key("gateway_time_zone")).await;
    let zone = &session.store.subsystems["gateway_time_zone"];
    assert_eq!(zone.health, robo_tui::store::Health::Degraded, "{zone:?}");
    assert!(zone.detail.contains("time zone is unknown"), "{zone:?}");
    assert_eq!(session.store.connection.connection_time, None, "never a made-up time");
    assert!(entry_open(&session.store), "the zone is cosmetic: trading goes on");
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_account_among_the_managed_ones_disables_entry() {
    let mut session = Session::start(&["DU1234567", "U7654321"], Precautions::default()).await;
    live(&mut session, "AAPL").await;
    let block = entry_allowed(&session.store.guard_context()).expect_err("blocked");
    assert!(block.to_string().contains("LIVE account U7654321"), "{block}");
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_fills_add_up_to_the_order_across_executions() {
    let precautions = Precautions { off: vec![robo_tui::orders::Rule::MaxQuantity], ..Precautions::default() };
    let mut session = Session::start_tuned(GatewayConfig::embedded(0), precautions, |s| {
        s.watchlist = vec!["F".into()];
    })
    .await;
    session.gateway.control().set_partial_fills(true);
    live(&mut session, "F").await;
    let ask = session.store.quotes["F"].ask.expect("ask");
    let intent = session
        .place(limit("F", OrderAction::Buy, "5000", (ask * d("1.01")).round_dp(2)), None, "")
        .await
        .expect("sent");
    let ours = move |s: &Store| by_intent(s, &intent).cloned();
    session.until("filled", |s| ours(s).is_some_and(|o| o.lifecycle.status() == OrderStatus::Filled)).await;
    session.drain(Duration::from_millis(200)).await;
    let order = ours(&session.store).expect("order");
    assert_eq!(order.lifecycle.filled_quantity(), d("5000"));
    let pieces = session.store.executions.values().filter(|e| e.order_id == order.order_id).count();
    assert!(pieces >= 5, "no single touch shows 5000: filled in {pieces} executions");
    assert_eq!(pieces, order.lifecycle.fills().len());
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_sent_during_the_handshake_are_in_the_blotter_before_entry_opens() {
    let (mut session, control) = session(|_| {}).await;
    live(&mut session, "SPY").await;
    let working = resting_buy(&mut session, "SPY", "2").await;
    control.set_orders_at_connect(true);
    control.restart(Duration::from_millis(200), 0);
    session.until("the drop", |s| !s.connection.state.is_live()).await;
    session.until("reconciling", |s| s.connection.state == ConnectionState::Reconciling).await;
    session
        .until("live with the working order known", |s| {
            s.connection.state.is_live()
                && s.orders.get(&working).is_some_and(|o| o.lifecycle.status() == OrderStatus::Submitted)
        })
        .await;
    assert_eq!(session.store.orders.values().filter(|o| o.order_id == working).count(), 1);
    assert!(entry_open(&session.store));
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_next_valid_id_in_ibapis_request_range_says_to_reset_the_order_ids() {
    let (mut session, control) = session(|_| {}).await;
    live(&mut session, "AAPL").await;
    control.set_next_valid_id(1_500_000_000);
    control.restart(Duration::from_millis(100), 0);
    session
        .until("the reason", |s| {
            matches!(&s.connection.state, ConnectionState::Reconnecting { reason, .. }
                if reason.contains("reset the API order id sequence"))
        })
        .await;
    assert!(!entry_open(&session.store));
    // Reset at the gateway: the next attempt connects.
    control.set_next_valid_id(5000);
    session.until("live again", |s| s.connection.state.is_live()).await;
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_port_reset_1300_then_close_is_a_reconnect_that_reconciles() {
    let (mut session, control) = session(|_| {}).await;
    live(&mut session, "AAPL").await;
    let first = session.store.connection.connected_at;
    control.notice(1300);
    control.restart(Duration::from_millis(200), 0);
    session.until("the notice", |s| s.connection.notices.iter().any(|n| n.code == 1300)).await;
    session.until("the drop", |s| !s.connection.state.is_live()).await;
    let states = states_until(&mut session, "live again", |s| s.connection.state.is_live()).await;
    assert!(states.contains(&"reconciling".to_string()), "{states:?}");
    assert_ne!(session.store.connection.connected_at, first);
    session.stop().await;
}

async fn quotes_tick_after(session: &mut Session, symbols: &[&'static str], after: chrono::DateTime<chrono::Utc>) {
    for symbol in symbols {
        session.until("fresh ticks", |s| s.quotes[*symbol].updated_at.is_some_and(|at| at > after)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_1102_quotes_that_stay_silent_are_requested_again() {
    let (mut session, control) = session(|s| s.verify_ticks_after = Duration::from_millis(800)).await;
    live(&mut session, "AAPL").await;
    live(&mut session, "SPY").await;
    // The gateway forgets the subscriptions and says "data maintained".
    control.drop_market_data();
    control.notice(1102);
    session.until("live after 1102", |s| s.connection.state.is_live()).await;
    session
        .until("the re-request", |s| {
            s.connection.notices.iter().any(|n| n.text.contains("no ticks within") && n.text.contains("AAPL"))
        })
        .await;
    quotes_tick_after(&mut session, &["AAPL", "SPY"], chrono::Utc::now()).await;
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_farm_back_after_breaking_gets_its_silent_quotes_requested_again() {
    let (mut session, control) = session(|s| s.verify_ticks_after = Duration::from_millis(800)).await;
    live(&mut session, "AAPL").await;
    let connected_at = session.store.connection.connected_at;
    control.notice(2103);
    control.drop_market_data();
    control.notice(2104);
    session.until("the re-request", |s| s.connection.notices.iter().any(|n| n.text.contains("no ticks within"))).await;
    quotes_tick_after(&mut session, &["AAPL", "SPY"], chrono::Utc::now()).await;
    assert_eq!(session.store.connection.connected_at, connected_at, "the socket is never reconnected for a farm");
    session.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_1102_ticking_quotes_are_left_alone() {
    // Two seconds is eight market steps: every symbol ticks in that time.
    let (mut session, control) = session(|s| s.verify_ticks_after = Duration::from_secs(2)).await;
    live(&mut session, "AAPL").await;
    control.notice(1102);
    session.until("live after 1102", |s| s.connection.state.is_live()).await;
    session.drain(Duration::from_millis(2500)).await;
    assert!(
        !session.store.connection.notices.iter().any(|n| n.text.contains("no ticks within")),
        "nothing to request again: {:?}",
        session.store.connection.notices
    );
    session.stop().await;
}
