//! Time in force through ibapi: GTC orders (a held bracket among them) across a restart with
//! `--state`, DAY orders expiring at the session's close and GTD orders at their date (the
//! `advance` knob moves the simulated clock), and the order types and TIFs the gateway does not
//! serve refused with IB's codes, never placed as something else.

use std::time::Duration;

use ibapi::orders::{Action, Order, OrderStatusKind, TimeInForce};
use ibapi::prelude::*;
use robo_tui::gateway::{clock, tif};

use super::brackets::{barrier, frozen, leg, move_market, px, send, Watch};
use super::orders::{order, place, Seen};
use super::persist::{resting, temp_state};
use super::{connect, start_with, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gtc_orders_and_a_held_bracket_survive_a_restart_with_state() {
    let path = temp_state("gtc");
    let mut config = frozen();
    config.state_file = Some(path.clone());
    let gw = start_with(config.clone()).await;
    let client = connect(&gw, 7).await;
    let mut w = Watch::new(&client).await;
    let (_, ask, _) = gw.quote("AAPL").expect("quote");
    let gtc = TimeInForce::GoodTillCanceled;
    let (p, tp, sl) = (client.next_order_id(), client.next_order_id(), client.next_order_id());
    send(&client, p, "AAPL", &leg(order(Action::Buy, 10.0, "LMT", Some(px(ask, -100)), None, gtc.clone()), 0, false))
        .await;
    send(&client, tp, "AAPL", &leg(order(Action::Sell, 10.0, "LMT", Some(px(ask, 100)), None, gtc.clone()), p, false))
        .await;
    send(&client, sl, "AAPL", &leg(order(Action::Sell, 10.0, "STP", None, Some(px(ask, -300)), gtc), p, true)).await;
    w.until("bracket working", |w| w.status(sl) == Some(OrderStatusKind::PreSubmitted)).await;
    barrier(&client).await;
    drop(w);
    client.disconnect().await;
    gw.shutdown().await;

    let gw = start_with(config).await;
    let client = connect(&gw, 7).await;
    let mut open = within("open", client.open_orders()).await.expect("open orders");
    let mut rows = Vec::new();
    while let Some(item) = within("open order", open.next()).await {
        if let Ok(SubscriptionItem::Data(Orders::OrderData(d))) = item {
            rows.push((d.order_id, d.order.parent_id, d.order.tif.clone(), d.order_state.status));
        }
    }
    rows.sort_by_key(|r| r.0);
    let gtc = TimeInForce::GoodTillCanceled;
    assert_eq!(
        rows,
        vec![
            (p, 0, gtc.clone(), OrderStatusKind::Submitted),
            (tp, p, gtc.clone(), OrderStatusKind::PreSubmitted),
            (sl, p, gtc, OrderStatusKind::PreSubmitted),
        ]
    );
    // The links survived too: the entry's fill releases its exits.
    let mut w = Watch::new(&client).await;
    move_market(&gw, "AAPL", -200).await;
    w.until("entry filled, target working", |w| {
        w.status(p) == Some(OrderStatusKind::Filled) && w.status(tp) == Some(OrderStatusKind::Submitted)
    })
    .await;
    gw.shutdown().await;
    let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn day_orders_expire_at_the_sessions_close_and_gtc_orders_do_not() {
    let gw = start_with(frozen()).await;
    let client = connect(&gw, 1).await;
    let mut w = Watch::new(&client).await;
    let (day, gtc) = (client.next_order_id(), client.next_order_id());
    send(&client, day, "AAPL", &order(Action::Buy, 1.0, "LMT", Some(100.0), None, TimeInForce::Day)).await;
    send(&client, gtc, "AAPL", &order(Action::Buy, 1.0, "LMT", Some(100.0), None, TimeInForce::GoodTillCanceled)).await;
    w.until("both working", |w| w.status(gtc) == Some(OrderStatusKind::Submitted)).await;
    let now = gw.sim_time_ms();
    let close = tif::session_close_after(now);
    // A minute before the close: still working.
    advance_to(&gw, close - 60_000).await;
    barrier(&client).await;
    assert_eq!(w.status(day), Some(OrderStatusKind::Submitted));
    advance_to(&gw, close + 60_000).await;
    w.until("the DAY order expired", |w| w.status(day) == Some(OrderStatusKind::Cancelled)).await;
    w.until("its 202", |w| w.leg(day).notices.contains(&202)).await;
    barrier(&client).await;
    assert_eq!(w.status(gtc), Some(OrderStatusKind::Submitted), "GTC lives on");
    gw.shutdown().await;
}

/// Moves the simulated clock to `target` (epoch ms) through the `advance` knob.
async fn advance_to(gw: &robo_tui::gateway::GatewayHandle, target: i64) {
    let now = gw.sim_time_ms();
    assert!(target > now);
    gw.control().advance_clock(Duration::from_millis((target - now) as u64));
    for _ in 0..1000 {
        if gw.sim_time_ms() >= target {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the clock never reached {target}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gtd_orders_expire_at_their_date_and_a_past_date_is_refused() {
    let gw = start_with(frozen()).await;
    let client = connect(&gw, 1).await;
    let mut w = Watch::new(&client).await;
    let now = gw.sim_time_ms();
    let until = now - now % 1000 + 2 * 3_600_000;
    let id = client.next_order_id();
    let gtd = Order {
        good_till_date: clock::eastern_timestamp(until),
        ..order(Action::Buy, 1.0, "LMT", Some(100.0), None, TimeInForce::GoodTillDate)
    };
    send(&client, id, "AAPL", &gtd).await;
    w.until("working", |w| w.status(id) == Some(OrderStatusKind::Submitted)).await;
    assert_eq!(w.leg(id).open.expect("open").order.good_till_date, clock::eastern_timestamp(until));
    advance_to(&gw, until - 1000).await;
    barrier(&client).await;
    assert_eq!(w.status(id), Some(OrderStatusKind::Submitted));
    advance_to(&gw, until + 1000).await;
    w.until("expired", |w| w.status(id) == Some(OrderStatusKind::Cancelled)).await;
    // A date already past, or none at all: refused.
    let past = Order { good_till_date: clock::eastern_timestamp(now - 3_600_000), ..gtd.clone() };
    assert_eq!(place(&client, client.next_order_id(), "AAPL", &past).await, vec![Seen::Error(201)]);
    let none = Order { good_till_date: String::new(), ..gtd };
    assert_eq!(place(&client, client.next_order_id(), "AAPL", &none).await, vec![Seen::Error(201)]);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_types_and_tifs_not_served_are_refused_with_ibs_codes() {
    let gw = start_with(frozen()).await;
    let client = connect(&gw, 1).await;
    let day = TimeInForce::Day;
    for ty in ["MIT", "LIT", "REL", "MOC", "LOC", "PEG MID", "MTL", "VWAP", "TRAIL LIT"] {
        let o = order(Action::Buy, 1.0, ty, Some(100.0), Some(99.0), day.clone());
        assert_eq!(place(&client, client.next_order_id(), "AAPL", &o).await, vec![Seen::Error(387)], "{ty}");
    }
    let algo = Order { algo_strategy: "Vwap".into(), ..order(Action::Buy, 1.0, "LMT", Some(100.0), None, day) };
    assert_eq!(place(&client, client.next_order_id(), "AAPL", &algo).await, vec![Seen::Error(387)], "an IB algo");
    for tif in [TimeInForce::OnOpen, TimeInForce::FillOrKill, TimeInForce::GoodTillCrossing, TimeInForce::Auction] {
        let o = order(Action::Buy, 1.0, "LMT", Some(100.0), None, tif.clone());
        assert_eq!(place(&client, client.next_order_id(), "AAPL", &o).await, vec![Seen::Error(201)], "{tif:?}");
    }
    barrier(&client).await;
    assert!(gw.received_orders().len() >= 14);
    let mut open = within("open", client.open_orders()).await.expect("open orders");
    assert!(
        !matches!(within("end", open.next()).await, Some(Ok(SubscriptionItem::Data(Orders::OrderData(_))))),
        "a refused order was placed"
    );
    // Contract details list what is served, and only that.
    let details = within("details", client.contract_details(&Contract::stock("AAPL").build())).await.expect("details");
    assert_eq!(details[0].order_types.join(","), "DAY,GTC,GTD,IOC,LMT,MKT,OCA,STP,STPLMT,TRAIL,TRAILLMT,WHATIF");
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gtd_order_whose_date_passed_while_the_gateway_was_down_expires_at_start() {
    use robo_tui::gateway::account::Account;
    use robo_tui::gateway::engine::Counters;
    use robo_tui::gateway::orders::Tif;
    use robo_tui::gateway::persist::{save, SavedState};
    use rust_decimal::Decimal;

    let path = temp_state("gtd-down");
    let now = clock::now_ms();
    let gtd_or_gtc = |order_id: i32, expires_ms: Option<i64>| {
        resting(order_id, if expires_ms.is_some() { Tif::Gtd } else { Tif::Gtc }, expires_ms)
    };
    let state = SavedState {
        accounts: vec![Account::new("DU1234567", "INDIVIDUAL", Decimal::from(500_000), &[])],
        open_orders: vec![
            gtd_or_gtc(10, Some(now - 60_000)),
            gtd_or_gtc(11, None),
            gtd_or_gtc(12, Some(now + 3_600_000)),
        ],
        executions: vec![],
        counters: Counters { next_order_id: 13, next_perm_id: 2000, next_exec: 1 },
        trading_day: clock::eastern_date(now),
    };
    save(&path, &state).expect("state written");
    let mut config = frozen();
    config.state_file = Some(path.clone());
    let gw = start_with(config).await;
    let client = connect(&gw, 5).await;
    let mut open = within("open", client.open_orders()).await.expect("open orders");
    let mut ids = Vec::new();
    while let Some(item) = within("open order", open.next()).await {
        if let Ok(SubscriptionItem::Data(Orders::OrderData(d))) = item {
            ids.push(d.order_id);
        }
    }
    ids.sort_unstable();
    assert_eq!(ids, vec![11, 12], "the GTD order past its date expired, the later one and the GTC live on");
    assert_eq!(gw.order_status(5, 10), Some("Cancelled"));
    gw.shutdown().await;
    let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
}
