//! Account updates with portfolio values, PnL and PnL single.

use ibapi::orders::{Action, OrderStatusKind, TimeInForce};
use ibapi::prelude::*;
use robo_tui::gateway::GatewayConfig;

use super::orders::{order, place, Seen};
use super::{connect, start_with, within};

fn frozen() -> GatewayConfig {
    let mut c = GatewayConfig::embedded(0);
    c.speed = 0.0;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_updates_send_values_portfolio_time_and_end_then_push() {
    let gw = start_with(frozen()).await;
    let client = connect(&gw, 1).await;
    let mut sub = within("updates", client.account_updates(&AccountId("DU1234567".into()))).await.expect("subscribes");
    let mut values = std::collections::HashMap::new();
    let mut portfolio = std::collections::HashMap::new();
    let mut saw_time = false;
    loop {
        match within("update", sub.next()).await {
            Some(Ok(SubscriptionItem::Data(AccountUpdate::AccountValue(v)))) => {
                values.insert(format!("{}:{}", v.key, v.currency), v.value);
            }
            Some(Ok(SubscriptionItem::Data(AccountUpdate::PortfolioValue(p)))) => {
                portfolio.insert(p.contract.symbol.to_string(), p);
            }
            Some(Ok(SubscriptionItem::Data(AccountUpdate::UpdateTime(_)))) => saw_time = true,
            Some(Ok(SubscriptionItem::Data(AccountUpdate::End))) => break,
            other => panic!("{other:?}"),
        }
    }
    assert!(saw_time, "AccountUpdateTime sent");
    assert_eq!(values.get("AccountCode:").map(String::as_str), Some("DU1234567"));
    assert!(values.contains_key("NetLiquidation:USD") && values.contains_key("CashBalance:USD"));
    let aapl = portfolio.get("AAPL").expect("AAPL row");
    assert_eq!(aapl.position, 100.0);
    assert_eq!(aapl.market_price, 231.45);
    assert!((aapl.market_value - 23145.0).abs() < 1e-6);
    assert!((aapl.unrealized_pnl - 100.0 * (231.45 - 190.25)).abs() < 0.01);
    // A fill pushes the changed portfolio row.
    let seen =
        place(&client, client.next_order_id(), "AAPL", &order(Action::Buy, 5.0, "MKT", None, None, TimeInForce::Day))
            .await;
    assert!(seen.contains(&Seen::Status(OrderStatusKind::Filled, 5.0, 0.0)));
    loop {
        match within("pushed", sub.next()).await {
            Some(Ok(SubscriptionItem::Data(AccountUpdate::PortfolioValue(p)))) if p.contract.symbol == "AAPL" => {
                assert_eq!(p.position, 105.0);
                break;
            }
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pnl_and_pnl_single_follow_positions_and_trades() {
    let gw = start_with(frozen()).await;
    let client = connect(&gw, 1).await;
    let acct = AccountId("DU1234567".into());
    let mut pnl = within("pnl", client.pnl(&acct, None)).await.expect("pnl");
    let first = match within("pnl value", pnl.next()).await {
        Some(Ok(SubscriptionItem::Data(p))) => p,
        other => panic!("{other:?}"),
    };
    let unrealized = 100.0 * (231.45 - 190.25) + 50.0 * (598.83 - 540.10);
    assert!((first.unrealized_pnl.expect("unrealized") - unrealized).abs() < 0.01, "{first:?}");
    assert_eq!(first.realized_pnl, Some(0.0));
    assert_eq!(first.daily_pnl, 0.0);
    let mut single = within("pnl single", client.pnl_single(&acct, ContractId(265598), None)).await.expect("single");
    match within("single value", single.next()).await {
        Some(Ok(SubscriptionItem::Data(p))) => {
            assert_eq!(p.position, 100.0);
            assert!((p.unrealized_pnl - 4120.0).abs() < 0.01, "{p:?}");
            assert!((p.value - 23145.0).abs() < 0.01);
        }
        other => panic!("{other:?}"),
    }
    // Sell the whole AAPL position: realized P&L = 100 x (bid - 190.25) - commission.
    let seen = place(
        &client,
        client.next_order_id(),
        "AAPL",
        &order(Action::Sell, 100.0, "MKT", None, None, TimeInForce::Day),
    )
    .await;
    let bid = seen
        .iter()
        .find_map(|s| match s {
            Seen::Exec(_, _, _, p) => Some(*p),
            _ => None,
        })
        .expect("fill");
    let expected = 100.0 * (bid - 190.25) - 1.0;
    loop {
        match within("pnl push", pnl.next()).await {
            Some(Ok(SubscriptionItem::Data(p))) if p.realized_pnl.is_some_and(|r| r != 0.0) => {
                assert!((p.realized_pnl.expect("realized") - expected).abs() < 0.01, "{p:?} vs {expected}");
                break;
            }
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    loop {
        match within("single push", single.next()).await {
            Some(Ok(SubscriptionItem::Data(p))) if p.position == 0.0 => {
                assert!((p.realized_pnl - expected).abs() < 0.01);
                assert_eq!(p.unrealized_pnl, 0.0);
                break;
            }
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_multi_and_account_updates_multi_per_account() {
    let mut config = frozen();
    config.accounts = vec!["DU1234567".into(), "DU7654321".into()];
    let gw = start_with(config).await;
    let client = connect(&gw, 1).await;
    let acct = AccountId("DU1234567".into());
    let mut sub = within("positions multi", client.positions_multi(Some(&acct), None)).await.expect("subscribes");
    let mut rows = Vec::new();
    loop {
        match within("row", sub.next()).await {
            Some(Ok(SubscriptionItem::Data(PositionUpdateMulti::Position(p)))) => {
                rows.push((p.account.clone(), p.contract.symbol.to_string(), p.position))
            }
            Some(Ok(SubscriptionItem::Data(PositionUpdateMulti::PositionEnd))) => break,
            other => panic!("{other:?}"),
        }
    }
    rows.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        rows,
        vec![("DU1234567".to_string(), "AAPL".to_string(), 100.0), ("DU1234567".to_string(), "SPY".to_string(), 50.0)]
    );
    let other = AccountId("DU7654321".into());
    let mut sub = within("updates multi", client.account_updates_multi(Some(&other), None)).await.expect("subscribes");
    let mut values = std::collections::HashMap::new();
    loop {
        match within("value", sub.next()).await {
            Some(Ok(SubscriptionItem::Data(AccountUpdateMulti::AccountMultiValue(v)))) => {
                assert_eq!(v.account, "DU7654321");
                values.insert(format!("{}:{}", v.key, v.currency), v.value);
            }
            Some(Ok(SubscriptionItem::Data(AccountUpdateMulti::End))) => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(values.get("NetLiquidation:USD").map(String::as_str), Some("100000.00"));
    gw.shutdown().await;
}
