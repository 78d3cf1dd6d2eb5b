//! `--state`: the paper account survives a gateway restart.

use ibapi::orders::{Action, OrderStatusKind, TimeInForce};
use ibapi::prelude::*;
use robo_tui::gateway::GatewayConfig;

use super::orders::{exec_id, order, place};
use super::{connect, start_with, within};

pub(super) fn temp_state(name: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    std::env::temp_dir().join(format!("robo-gw-{name}-{}-{nanos}", std::process::id())).join("state.json")
}

/// A resting order as a saved state holds it: client 5 buying 1 AAPL (con id 265598) at a
/// 100 limit in DU1234567, perm id 1000 + its order id, expiring at `expires_ms` if given.
pub(super) fn resting(
    order_id: i32,
    tif: robo_tui::gateway::orders::Tif,
    expires_ms: Option<i64>,
) -> robo_tui::gateway::orders::SimOrder {
    use robo_tui::gateway::orders::{OrderKind, Side, SimOrder, Status};
    use rust_decimal::Decimal;
    SimOrder {
        client_id: 5,
        order_id,
        perm_id: 1000 + i64::from(order_id),
        account: "DU1234567".into(),
        con_id: 265598,
        action: "BUY".into(),
        side: Side::Buy,
        quantity: Decimal::ONE,
        kind: OrderKind::Limit { limit: Decimal::from(100) },
        tif,
        order_ref: String::new(),
        filled: Decimal::ZERO,
        avg_fill_price: Decimal::ZERO,
        last_fill_price: Decimal::ZERO,
        status: Status::Submitted,
        triggered: false,
        completed_time: None,
        completed_status: None,
        commission_paid: Decimal::ZERO,
        parent_id: 0,
        oca_group: String::new(),
        oca_type: 0,
        staged: false,
        held: false,
        good_till: expires_ms.map(robo_tui::gateway::clock::eastern_timestamp).unwrap_or_default(),
        expires_ms,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_with_state_keeps_positions_orders_executions_and_ids() {
    let path = temp_state("restart");
    let mut config = GatewayConfig::embedded(0);
    config.state_file = Some(path.clone());
    config.speed = 0.0;
    let gw = start_with(config.clone()).await;
    let client = connect(&gw, 5).await;
    let fill_id = client.next_order_id();
    let seen = place(&client, fill_id, "MSFT", &order(Action::Buy, 12.0, "MKT", None, None, TimeInForce::Day)).await;
    let exec_id = exec_id(&seen).expect("filled");
    let rest_id = client.next_order_id();
    let contract = Contract::stock("MSFT").build();
    let mut sub = within(
        "rest",
        client.place_order(
            rest_id,
            &contract,
            &order(Action::Buy, 3.0, "LMT", Some(100.0), None, TimeInForce::GoodTillCanceled),
        ),
    )
    .await
    .expect("sent");
    while !matches!(within("status", sub.next()).await, Some(Ok(SubscriptionItem::Data(PlaceOrder::OrderStatus(_))))) {}
    assert!(path.exists(), "state written after the change");
    client.disconnect().await;
    gw.shutdown().await;

    let gw = start_with(config).await;
    let client = connect(&gw, 5).await;
    assert!(client.next_order_id() > rest_id, "NextValidId above ids used before the restart");
    let mut positions = within("positions", client.positions()).await.expect("positions");
    let mut msft = None;
    while let Some(Ok(SubscriptionItem::Data(PositionUpdate::Position(p)))) = within("pos", positions.next()).await {
        if p.contract.symbol == "MSFT" {
            msft = Some((p.position, p.average_cost));
        }
    }
    let (qty, avg) = msft.expect("MSFT position survived");
    assert_eq!(qty, 12.0);
    assert!(avg > 400.0);
    let mut execs = within("executions", client.executions(ExecutionFilter::default())).await.expect("executions");
    let mut ids = Vec::new();
    while let Some(Ok(SubscriptionItem::Data(e))) = within("exec", execs.next()).await {
        if let ibapi::orders::Executions::ExecutionData(e) = e {
            ids.push(e.execution.execution_id.clone());
        }
    }
    assert_eq!(ids, vec![exec_id]);
    let mut open = within("open", client.open_orders()).await.expect("open orders");
    let mut open_ids = Vec::new();
    while let Some(Ok(SubscriptionItem::Data(o))) = within("open order", open.next()).await {
        if let Orders::OrderData(d) = o {
            open_ids.push(d.order_id);
        }
    }
    assert_eq!(open_ids, vec![rest_id]);
    // The resting order is still live: it can be cancelled after the restart.
    let mut cancel = within("cancel", client.cancel_order(rest_id, "")).await.expect("cancel");
    match within("cancelled", cancel.next()).await {
        Some(Ok(SubscriptionItem::Data(ibapi::orders::CancelOrder::OrderStatus(s)))) => {
            assert_eq!(s.status, OrderStatusKind::Cancelled)
        }
        other => panic!("{other:?}"),
    }
    gw.shutdown().await;
    let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_state_file_is_a_bad_state_error() {
    let path = temp_state("corrupt");
    std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
    std::fs::write(&path, b"{\"format\": 1, \"state\": 42}").expect("write");
    let mut config = GatewayConfig::embedded(0);
    config.state_file = Some(path.clone());
    let err = robo_tui::gateway::spawn(config).await.err().expect("refuses a corrupt state");
    let text = err.to_string();
    assert!(text.contains("state.json"), "{text}");
    let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_from_an_earlier_day_drops_day_orders_and_day_figures() {
    use robo_tui::gateway::account::Account;
    use robo_tui::gateway::engine::Counters;
    use robo_tui::gateway::orders::Tif;
    use robo_tui::gateway::persist::{save, SavedState};
    use rust_decimal::Decimal;

    let path = temp_state("rollover");
    let mut acct = Account::new(
        "DU1234567",
        "INDIVIDUAL",
        Decimal::from(500_000),
        &[(265598, Decimal::from(10), Decimal::from(200), Decimal::from(200))],
    );
    if let Some(h) = acct.positions.get_mut(&265598) {
        h.realized_today = Decimal::from(123);
    }
    let state = SavedState {
        accounts: vec![acct],
        open_orders: vec![resting(10, Tif::Day, None), resting(11, Tif::Gtc, None)],
        executions: vec![],
        counters: Counters { next_order_id: 12, next_perm_id: 2000, next_exec: 1 },
        trading_day: "20200102".into(),
    };
    save(&path, &state).expect("state written");
    let mut config = GatewayConfig::embedded(0);
    config.state_file = Some(path.clone());
    config.speed = 0.0;
    let gw = start_with(config).await;
    let client = connect(&gw, 5).await;
    assert_eq!(client.next_order_id(), 12);
    let mut open = within("open", client.open_orders()).await.expect("open orders");
    let mut ids = Vec::new();
    while let Some(Ok(SubscriptionItem::Data(o))) = within("open order", open.next()).await {
        if let Orders::OrderData(d) = o {
            ids.push(d.order_id);
        }
    }
    assert_eq!(ids, vec![11], "the DAY order expired with its session, the GTC order lives on");
    let mut pnl = within("pnl", client.pnl(&AccountId("DU1234567".into()), None)).await.expect("pnl");
    match within("pnl value", pnl.next()).await {
        Some(Ok(SubscriptionItem::Data(p))) => {
            assert_eq!(p.realized_pnl, Some(0.0), "realized P&L is per day");
            // The day starts at the previous close (the market is frozen there), not at the
            // baseline saved on the earlier day.
            assert_eq!(p.daily_pnl, 0.0);
        }
        other => panic!("{other:?}"),
    }
    gw.shutdown().await;
    let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
}
