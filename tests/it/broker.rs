//! The broker task (real `ibapi` async client) against the simulated gateway over TCP, with
//! its events applied to a real `Store`.

use chrono::Utc;
use robo_tui::broker::{self, BrokerCommand, BrokerSettings};
use robo_tui::diagnostics::Reporter;
use robo_tui::gateway::{self, GatewayConfig};
use robo_tui::store::{AccountKind, ConnectionState, Health, Store, StoreEvent};
use rust_decimal::Decimal;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::timeout;

/// Apply events until `done(store)` holds; panics with the store if it never does.
async fn until(store: &mut Store, events: &mut mpsc::Receiver<StoreEvent>, done: impl Fn(&Store) -> bool) {
    let waited = timeout(Duration::from_secs(20), async {
        while !done(store) {
            match events.recv().await {
                Some(event) => {
                    store.apply(Utc::now(), event);
                }
                None => break,
            }
        }
    })
    .await;
    assert!(waited.is_ok() && done(store), "condition never held; store: {store:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_connects_reconciles_and_fills_the_store_from_the_gateway() {
    let gateway = gateway::spawn(GatewayConfig::embedded(0)).await.expect("gateway starts");
    let (tx, mut rx) = mpsc::channel(1024);
    let (commands_tx, mut commands) = mpsc::channel(4);
    let reporter = Reporter::register("broker", tx.clone());
    let settings = BrokerSettings::new(gateway.local_addr().to_string(), "test".into(), 41, Duration::from_secs(5));
    let task = tokio::spawn(async move { broker::run(settings, tx, &mut commands, None, None, reporter).await });

    let mut store = Store::new();
    until(&mut store, &mut rx, |s| {
        s.connection.state.is_live() && s.accounts.values().any(|a| a.summary_complete) && s.positions_complete
    })
    .await;

    assert_eq!(store.connection.server_version, Some(226));
    assert_eq!(store.connection.client_id, 41);
    assert_eq!(store.connection.managed_accounts, vec!["DU1234567".to_string()]);
    assert_eq!(store.account_kind(), Some(AccountKind::Paper));
    // The handshake's farm notices arrived as farm states, not as connection changes.
    assert!(store.connection.farms.values().all(|f| f.ok), "{:?}", store.connection.farms);
    assert!(store.connection.farms.len() >= 3, "{:?}", store.connection.farms);

    let account = &store.accounts["DU1234567"];
    let net = account.value("NetLiquidation").expect("NetLiquidation arrived");
    let cash = account.value("TotalCashValue").expect("TotalCashValue arrived");
    let gross = account.value("GrossPositionValue").expect("GrossPositionValue arrived");
    assert!(net > Decimal::ZERO);
    // The starting account is long only, so NetLiquidation = cash + position value (to the cent).
    assert!((net - (cash + gross)).abs() <= Decimal::new(1, 2), "net {net} cash {cash} gross {gross}");
    let positions: Vec<_> = store.positions_of("DU1234567").collect();
    assert!(!positions.is_empty());
    for (key, row) in &positions {
        assert!(key.con_id > 0, "{row:?}");
        assert!(!row.symbol.is_empty());
        assert!(row.average_cost.is_some_and(|c| c > Decimal::ZERO), "{row:?}");
    }
    for name in ["subscription:account_summary", "subscription:positions"] {
        let status = store.subsystems.get(name).unwrap_or_else(|| panic!("{name} registered"));
        assert_eq!(status.health, Health::Ok, "{name}: {status:?}");
    }

    commands_tx.send(BrokerCommand::Shutdown).await.expect("send shutdown");
    timeout(Duration::from_secs(5), task).await.expect("broker stops").expect("no panic");
    gateway.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_reports_reconnecting_with_the_reason_when_nothing_listens() {
    let port = crate::support::closed_port();
    let (tx, mut rx) = mpsc::channel(1024);
    let (commands_tx, mut commands) = mpsc::channel(4);
    let reporter = Reporter::register("broker", tx.clone());
    let settings = BrokerSettings::new(format!("127.0.0.1:{port}"), "test".into(), 41, Duration::from_secs(2));
    let task = tokio::spawn(async move { broker::run(settings, tx, &mut commands, None, None, reporter).await });
    let mut store = Store::new();
    until(&mut store, &mut rx, |s| matches!(s.connection.state, ConnectionState::Reconnecting { .. })).await;
    let last = store.connection.notices.back().expect("a disconnect notice");
    assert!(last.text.contains("connection refused"), "{last:?}");
    assert_eq!(store.subsystems["broker"].health, Health::Degraded);
    commands_tx.send(BrokerCommand::Shutdown).await.expect("send shutdown");
    timeout(Duration::from_secs(5), task).await.expect("broker stops while backing off").expect("no panic");
}
