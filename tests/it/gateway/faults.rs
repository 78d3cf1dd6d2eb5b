//! Every fault knob, each driven through the real ibapi client.

use std::time::{Duration, Instant};

use ibapi::orders::{Action, OrderStatusKind, OrderUpdate, TimeInForce};
use ibapi::prelude::*;
use robo_tui::gateway::{GatewayConfig, HandshakeStep};

use super::orders::{order, place, Seen};
use super::{addr, connect, reconnect, start, start_with, within};

async fn try_connect(
    gw: &robo_tui::gateway::GatewayHandle,
    id: i32,
    limit: Duration,
) -> Option<Result<Client, ibapi::Error>> {
    let fut = Client::builder().address(addr(gw)).client_id(id).max_reconnect_attempts(0).connect();
    tokio::time::timeout(limit, fut).await.ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuse_connections_then_accept_again() {
    let gw = start().await;
    let control = gw.control();
    control.set_refuse(true);
    let mut refused = false;
    for _ in 0..100 {
        match try_connect(&gw, 1, Duration::from_secs(5)).await {
            Some(Err(_)) => {
                refused = true;
                break;
            }
            Some(Ok(c)) => {
                c.disconnect().await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            None => panic!("refused connect must fail fast, not hang"),
        }
    }
    assert!(refused, "connections refused");
    control.set_refuse(false);
    let client = reconnect(&gw, 1).await;
    assert!(within("works", client.server_time()).await.is_ok());
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_at_every_handshake_step_fails_connect_without_hanging() {
    let gw = start().await;
    let control = gw.control();
    for step in [
        HandshakeStep::OnAccept,
        HandshakeStep::AfterVersion,
        HandshakeStep::AfterReply,
        HandshakeStep::AfterStartApi,
        HandshakeStep::AfterNextValidId,
    ] {
        control.set_close_at(Some(step));
        match try_connect(&gw, 1, Duration::from_secs(10)).await {
            Some(Err(_)) => {}
            Some(Ok(_)) => panic!("connect succeeded although the gateway closed at {step:?}"),
            None => panic!("connect hung at {step:?}"),
        }
    }
    control.set_close_at(None);
    let client = reconnect(&gw, 1).await;
    assert!(within("works", client.managed_accounts()).await.is_ok());
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_gateway_leaves_connect_hanging() {
    let gw = start().await;
    gw.control().set_silent(true);
    assert!(
        try_connect(&gw, 1, Duration::from_millis(500)).await.is_none(),
        "connect must hang on a half-open gateway"
    );
    gw.control().set_silent(false);
    let _client = reconnect(&gw, 1).await;
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stall_stops_answers_but_keeps_the_socket() {
    let gw = start().await;
    let client = connect(&gw, 1).await;
    gw.control().set_stall(true);
    let stalled = tokio::time::timeout(Duration::from_millis(500), client.managed_accounts()).await;
    assert!(stalled.is_err(), "no answer while stalled");
    assert!(client.is_connected(), "socket stays up");
    gw.control().set_stall(false);
    assert!(within("answers again", client.managed_accounts()).await.is_ok());
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_holds_every_reply() {
    let gw = start().await;
    let client = connect(&gw, 1).await;
    gw.control().set_delay(Some(Duration::from_millis(300)));
    let t0 = Instant::now();
    within("delayed", client.server_time()).await.expect("answered");
    assert!(t0.elapsed() >= Duration::from_millis(300), "reply came before the delay");
    gw.control().set_delay(None);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_drops_everyone_and_returns_with_a_higher_next_valid_id() {
    let gw = start().await;
    let fut = Client::builder().address(addr(&gw)).client_id(9).max_reconnect_attempts(5).connect_with_notice_stream();
    let (client, mut notices) = within("connect", fut).await.expect("connects");
    let before = gw.next_valid_id();
    gw.control().restart(Duration::from_millis(300), 1000);
    loop {
        let n = within("reconnect notice", notices.next()).await.expect("notices");
        if n.code == ibapi::TRANSPORT_RECONNECT_CODE {
            break;
        }
    }
    assert!(client.next_order_id() >= before + 1000, "client id counter raised from the new NextValidId");
    assert!(within("works after restart", client.server_time()).await.is_ok());
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_go_to_everyone_or_to_an_order() {
    let gw = start().await;
    let fut = Client::builder().address(addr(&gw)).client_id(1).max_reconnect_attempts(0).connect_with_notice_stream();
    let (client, mut notices) = within("connect", fut).await.expect("connects");
    let codes = [1100, 1101, 1102, 1300, 2103, 2104, 2105, 2106, 2157, 2158, 0, 100, 10167];
    for code in codes {
        gw.control().notice(code);
    }
    let mut got = Vec::new();
    // The connect-time farm burst may come first; wait until every injected code arrived.
    while !codes.iter().all(|c| got.contains(c)) {
        let n = within("notice", notices.next()).await.expect("stream open");
        assert_eq!(n.request_id.unwrap_or(-1), -1, "global notice with an id: {n:?}");
        got.push(n.code);
    }
    let system = notices_for(&mut notices, &gw, 1100).await;
    assert!(system.is_system_message());
    // An order-bound notice reaches that order's update stream.
    let contract = Contract::stock("AAPL").build();
    let id = client.next_order_id();
    let mut updates = within("updates", client.order_update_stream()).await.expect("stream");
    let mut sub = within(
        "place",
        client.place_order(id, &contract, &order(Action::Buy, 1.0, "LMT", Some(100.0), None, TimeInForce::Day)),
    )
    .await
    .expect("sent");
    while !matches!(within("status", sub.next()).await, Some(Ok(SubscriptionItem::Data(PlaceOrder::OrderStatus(_))))) {}
    gw.control().notice_for(id, 399, None);
    loop {
        match within("order notice", updates.next()).await {
            Some(Ok(SubscriptionItem::Notice(n))) if n.code == 399 => {
                assert_eq!(n.request_id, Some(id));
                break;
            }
            Some(Err(ibapi::Error::Notice(n))) if n.code == 399 => break,
            Some(_) => {}
            None => panic!("update stream ended"),
        }
    }
    gw.shutdown().await;
}

async fn notices_for(notices: &mut NoticeStream, gw: &robo_tui::gateway::GatewayHandle, code: i32) -> Notice {
    gw.control().notice(code);
    loop {
        let n = within("notice", notices.next()).await.expect("stream open");
        if n.code == code {
            return n;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pacing_warns_near_fifty_then_errors_100_and_disconnects() {
    let gw = start().await;
    gw.control().set_pacing(true);
    let fut = Client::builder().address(addr(&gw)).client_id(1).max_reconnect_attempts(0).connect_with_notice_stream();
    let (client, mut notices) = within("connect", fut).await.expect("connects");
    let mut sent = 0;
    for _ in 0..400 {
        if tokio::time::timeout(Duration::from_secs(5), client.managed_accounts())
            .await
            .map(|r| r.is_err())
            .unwrap_or(true)
        {
            break;
        }
        sent += 1;
    }
    assert!(sent >= 45, "only {sent} requests before the cut");
    let mut codes = Vec::new();
    while !codes.contains(&100) {
        let n = within("pacing notice", notices.next()).await.expect("stream open");
        codes.push(n.code);
    }
    assert!(codes.contains(&0), "warning code 0 before error 100: {codes:?}");
    for _ in 0..200 {
        if !client.is_connected() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!client.is_connected(), "gateway dropped the connection after error 100");
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swallowed_order_gets_no_answer_and_next_order_works() {
    let gw = start().await;
    let client = connect(&gw, 1).await;
    gw.control().swallow_next_order();
    let contract = Contract::stock("AAPL").build();
    let id = client.next_order_id();
    // Let the dispatcher arm the knob before the order arrives.
    within("sync", client.server_time()).await.expect("time");
    let mut sub = within(
        "place",
        client.place_order(id, &contract, &order(Action::Buy, 1.0, "MKT", None, None, TimeInForce::Day)),
    )
    .await
    .expect("sent");
    assert!(
        tokio::time::timeout(Duration::from_millis(500), sub.next()).await.is_err(),
        "swallowed order must get no answer"
    );
    let mut open = within("open", client.all_open_orders()).await.expect("open");
    assert!(!matches!(within("open end", open.next()).await, Some(Ok(SubscriptionItem::Data(Orders::OrderData(_))))));
    let seen =
        place(&client, client.next_order_id(), "AAPL", &order(Action::Buy, 1.0, "MKT", None, None, TimeInForce::Day))
            .await;
    assert!(seen.contains(&Seen::Status(OrderStatusKind::Filled, 1.0, 0.0)));
    gw.shutdown().await;
}

async fn order_updates_until_filled(client: &Client, symbol: &str) -> Vec<OrderUpdate> {
    let mut updates = within("updates", client.order_update_stream()).await.expect("stream");
    let id = client.next_order_id();
    let contract = Contract::stock(symbol).build();
    within("submit", client.submit_order(id, &contract, &order(Action::Buy, 2.0, "MKT", None, None, TimeInForce::Day)))
        .await
        .expect("submitted");
    let mut out = Vec::new();
    let mut filled = false;
    loop {
        let next = if filled {
            // After Filled, keep listening briefly for stragglers (reordered or late frames).
            match tokio::time::timeout(Duration::from_millis(1500), updates.next()).await {
                Ok(v) => v,
                Err(_) => return out,
            }
        } else {
            within("update", updates.next()).await
        };
        match next {
            Some(Ok(SubscriptionItem::Data(u))) => {
                if let OrderUpdate::OrderStatus(s) = &u {
                    filled |= s.status == OrderStatusKind::Filled;
                }
                out.push(u);
            }
            Some(Ok(SubscriptionItem::Notice(_))) => {}
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_execution_repeats_the_exec_id() {
    let gw = start().await;
    let client = connect(&gw, 1).await;
    gw.control().duplicate_next_execution();
    within("sync", client.server_time()).await.expect("time");
    let updates = order_updates_until_filled(&client, "KO").await;
    let ids: Vec<String> = updates
        .iter()
        .filter_map(|u| match u {
            OrderUpdate::ExecutionData(e) => Some(e.execution.execution_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 2, "{updates:?}");
    assert_eq!(ids[0], ids[1]);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_out_of_order_put_submitted_after_filled() {
    let gw = start().await;
    let client = connect(&gw, 1).await;
    gw.control().reorder_next_statuses();
    within("sync", client.server_time()).await.expect("time");
    let updates = order_updates_until_filled(&client, "KO").await;
    let statuses: Vec<OrderStatusKind> = updates
        .iter()
        .filter_map(|u| match u {
            OrderUpdate::OrderStatus(s) => Some(s.status.clone()),
            _ => None,
        })
        .collect();
    let filled = statuses.iter().position(|s| *s == OrderStatusKind::Filled).expect("filled");
    let submitted = statuses.iter().rposition(|s| *s == OrderStatusKind::Submitted).expect("submitted");
    assert!(submitted > filled, "stale Submitted after Filled: {statuses:?}");
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_commission_arrives_after_filled() {
    let gw = start().await;
    let client = connect(&gw, 1).await;
    gw.control().late_next_commission(Duration::from_millis(300));
    within("sync", client.server_time()).await.expect("time");
    let updates = order_updates_until_filled(&client, "KO").await;
    let filled = updates
        .iter()
        .position(|u| matches!(u, OrderUpdate::OrderStatus(s) if s.status == OrderStatusKind::Filled))
        .expect("filled");
    let commission =
        updates.iter().position(|u| matches!(u, OrderUpdate::CommissionReport(_))).expect("commission arrives");
    assert!(commission > filled, "commission after Filled: {updates:?}");
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_from_a_spec_apply_at_start() {
    let mut config = GatewayConfig::embedded(0);
    config.faults = robo_tui::gateway::faults::parse_spec("close-at=start-api").expect("spec");
    let gw = start_with(config).await;
    assert!(matches!(try_connect(&gw, 1, Duration::from_secs(10)).await, Some(Err(_))));
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_server_version_is_refused_by_the_client() {
    let gw = start().await;
    gw.control().set_server_version(Some(200));
    match try_connect(&gw, 1, Duration::from_secs(10)).await {
        Some(Err(ibapi::Error::ServerVersion(..))) => {}
        other => panic!("expected a server version error, got {:?}", other.map(|r| r.err())),
    }
    gw.control().set_server_version(None);
    let client = reconnect(&gw, 1).await;
    assert_eq!(client.server_version(), 226);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_time_zone_connects_without_a_connection_time() {
    let gw = start().await;
    gw.control().set_time_zone(Some("Some Standard Time"));
    let client = connect(&gw, 1).await;
    assert!(client.connection_time().is_none());
    assert!(client.time_zone().is_none());
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_frame_makes_the_client_resync_by_reconnecting() {
    let gw = start().await;
    let fut = Client::builder().address(addr(&gw)).client_id(4).max_reconnect_attempts(5).connect_with_notice_stream();
    let (client, mut notices) = within("connect", fut).await.expect("connects");
    gw.control().corrupt_frame();
    loop {
        let n = within("reconnect notice", notices.next()).await.expect("notices");
        if n.code == ibapi::TRANSPORT_RECONNECT_CODE {
            break;
        }
    }
    assert!(within("works after resync", client.server_time()).await.is_ok());
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_accounts_and_next_valid_id_can_change_between_connections() {
    let gw = start().await;
    let first = connect(&gw, 1).await;
    gw.control().set_accounts(&["DU1234567", "U7654321"]);
    gw.control().set_next_valid_id(5_000);
    within("sync", first.server_time()).await.expect("time");
    let second = connect(&gw, 2).await;
    assert_eq!(second.handshake_managed_accounts(), &["DU1234567".to_string(), "U7654321".to_string()]);
    assert_eq!(second.next_order_id(), 5_000);
    assert_eq!(first.handshake_managed_accounts(), &["DU1234567".to_string()]);
    // An order id floor in ibapi's request-id range makes connect fail.
    gw.control().set_next_valid_id(1_500_000_000);
    within("sync", first.server_time()).await.expect("time");
    assert!(matches!(try_connect(&gw, 3, Duration::from_secs(10)).await, Some(Err(_))));
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_fills_come_as_several_executions_with_growing_cum_qty() {
    let mut config = GatewayConfig::embedded(0);
    config.speed = 50.0;
    let gw = start_with(config).await;
    let client = connect(&gw, 1).await;
    gw.control().set_partial_fills(true);
    within("sync", client.server_time()).await.expect("time");
    let mut updates = within("updates", client.order_update_stream()).await.expect("stream");
    let id = client.next_order_id();
    let contract = Contract::stock("F").build();
    within(
        "submit",
        client.submit_order(id, &contract, &order(Action::Buy, 3000.0, "MKT", None, None, TimeInForce::Day)),
    )
    .await
    .expect("submitted");
    let mut execs = Vec::new();
    let mut fees = 0.0;
    let mut partial_status = false;
    loop {
        match within("update", updates.next()).await {
            Some(Ok(SubscriptionItem::Data(OrderUpdate::ExecutionData(e)))) => {
                execs.push((e.execution.execution_id.clone(), e.execution.shares, e.execution.cumulative_quantity))
            }
            Some(Ok(SubscriptionItem::Data(OrderUpdate::CommissionReport(c)))) => fees += c.commission,
            Some(Ok(SubscriptionItem::Data(OrderUpdate::OrderStatus(s)))) => {
                if s.status == OrderStatusKind::Submitted && s.filled > 0.0 && s.remaining > 0.0 {
                    partial_status = true;
                }
                if s.status == OrderStatusKind::Filled {
                    assert_eq!((s.filled, s.remaining), (3000.0, 0.0));
                    break;
                }
            }
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(execs.len() >= 3, "3000 shares against at most 1000 shown: {execs:?}");
    assert!(partial_status, "a Submitted status with partial fill arrives between executions");
    let ids: std::collections::HashSet<_> = execs.iter().map(|e| e.0.clone()).collect();
    assert_eq!(ids.len(), execs.len(), "exec ids unique");
    let mut cum = 0.0;
    for (_, shares, cum_qty) in &execs {
        cum += shares;
        assert_eq!(*cum_qty, cum);
    }
    assert_eq!(cum, 3000.0);
    // Let the last commission report arrive.
    while fees < 15.0 - 1e-9 {
        match within("commission", updates.next()).await {
            Some(Ok(SubscriptionItem::Data(OrderUpdate::CommissionReport(c)))) => fees += c.commission,
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    assert!((fees - 15.0).abs() < 1e-9, "3000 x USD 0.005 across the executions: {fees}");
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_status_fails_that_item_and_the_order_still_fills() {
    let gw = start().await;
    let client = connect(&gw, 1).await;
    gw.control().sentinel_next_status();
    within("sync", client.server_time()).await.expect("time");
    let mut updates = within("updates", client.order_update_stream()).await.expect("stream");
    let id = client.next_order_id();
    let contract = Contract::stock("KO").build();
    within("submit", client.submit_order(id, &contract, &order(Action::Buy, 2.0, "MKT", None, None, TimeInForce::Day)))
        .await
        .expect("submitted");
    // ibapi reports the sentinel as a data error (not a quantity) on the update stream.
    loop {
        match within("update", updates.next()).await {
            Some(Err(ibapi::Error::Parse(..))) => break,
            Some(Ok(SubscriptionItem::Data(OrderUpdate::OrderStatus(s)))) => {
                panic!("a sentinel status decoded as {} / {}", s.filled, s.remaining)
            }
            Some(Ok(_)) => {}
            other => panic!("expected a parse error, got {other:?}"),
        }
    }
    // The order itself went through: its execution is on record.
    let mut execs = within("executions", client.executions(ExecutionFilter::default())).await.expect("executions");
    let mut orders = Vec::new();
    while let Some(Ok(SubscriptionItem::Data(e))) = within("exec", execs.next()).await {
        if let ibapi::orders::Executions::ExecutionData(e) = e {
            orders.push(e.execution.order_id);
        }
    }
    assert_eq!(orders, vec![id]);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_and_executions_replayed_during_the_handshake() {
    let gw = start().await;
    let client = connect(&gw, 5).await;
    let filled = client.next_order_id();
    let seen = place(&client, filled, "KO", &order(Action::Buy, 3.0, "MKT", None, None, TimeInForce::Day)).await;
    assert!(seen.contains(&Seen::Status(OrderStatusKind::Filled, 3.0, 0.0)));
    let resting = client.next_order_id();
    let contract = Contract::stock("KO").build();
    let mut sub = within(
        "rest",
        client.place_order(
            resting,
            &contract,
            &order(Action::Buy, 1.0, "LMT", Some(10.0), None, TimeInForce::GoodTillCanceled),
        ),
    )
    .await
    .expect("sent");
    while !matches!(within("status", sub.next()).await, Some(Ok(SubscriptionItem::Data(PlaceOrder::OrderStatus(_))))) {}
    drop(sub);
    client.disconnect().await;
    gw.control().set_orders_at_connect(true);
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    let mut again = None;
    for _ in 0..200 {
        let sink = sink.clone();
        let fut = Client::builder()
            .address(addr(&gw))
            .client_id(5)
            .max_reconnect_attempts(0)
            .startup_callback(move |msg| {
                let label = match msg {
                    ibapi::StartupMessage::OpenOrder(o) => format!("open {}", o.order_id),
                    ibapi::StartupMessage::OpenOrderEnd => "open end".to_string(),
                    ibapi::StartupMessage::Execution(e) => format!("exec {}", e.execution.order_id),
                    _ => "other".to_string(),
                };
                sink.lock().unwrap_or_else(|e| e.into_inner()).push(label);
            })
            .connect();
        match within("connect", fut).await {
            Ok(c) => {
                again = Some(c);
                break;
            }
            Err(ibapi::Error::ClientIdInUse { .. }) => tokio::time::sleep(Duration::from_millis(20)).await,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(again.is_some());
    let labels = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert!(labels.contains(&format!("open {resting}")), "{labels:?}");
    assert!(labels.contains(&"open end".to_string()), "{labels:?}");
    assert!(labels.contains(&format!("exec {filled}")), "{labels:?}");
    gw.shutdown().await;
}
