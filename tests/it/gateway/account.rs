//! Account summary (all standard tags, pushes on change) and positions.

use std::collections::HashMap;

use ibapi::accounts::AccountSummaryTags;
use ibapi::prelude::*;

use super::{connect, start, within};

const ALL_TAGS: &[&str] = &[
    AccountSummaryTags::ACCOUNT_TYPE,
    AccountSummaryTags::NET_LIQUIDATION,
    AccountSummaryTags::TOTAL_CASH_VALUE,
    AccountSummaryTags::SETTLED_CASH,
    AccountSummaryTags::ACCRUED_CASH,
    AccountSummaryTags::BUYING_POWER,
    AccountSummaryTags::EQUITY_WITH_LOAN_VALUE,
    AccountSummaryTags::PREVIOUS_EQUITY_WITH_LOAN_VALUE,
    AccountSummaryTags::GROSS_POSITION_VALUE,
    AccountSummaryTags::REQ_T_EQUITY,
    AccountSummaryTags::REQ_T_MARGIN,
    AccountSummaryTags::SMA,
    AccountSummaryTags::INIT_MARGIN_REQ,
    AccountSummaryTags::MAINT_MARGIN_REQ,
    AccountSummaryTags::AVAILABLE_FUNDS,
    AccountSummaryTags::EXCESS_LIQUIDITY,
    AccountSummaryTags::CUSHION,
    AccountSummaryTags::FULL_INIT_MARGIN_REQ,
    AccountSummaryTags::FULL_MAINT_MARGIN_REQ,
    AccountSummaryTags::FULL_AVAILABLE_FUNDS,
    AccountSummaryTags::FULL_EXCESS_LIQUIDITY,
    AccountSummaryTags::LOOK_AHEAD_NEXT_CHANGE,
    AccountSummaryTags::LOOK_AHEAD_INIT_MARGIN_REQ,
    AccountSummaryTags::LOOK_AHEAD_MAINT_MARGIN_REQ,
    AccountSummaryTags::LOOK_AHEAD_AVAILABLE_FUNDS,
    AccountSummaryTags::LOOK_AHEAD_EXCESS_LIQUIDITY,
    AccountSummaryTags::HIGHEST_SEVERITY,
    AccountSummaryTags::DAY_TRADES_REMAINING,
    AccountSummaryTags::LEVERAGE,
];

pub async fn summary_snapshot(
    client: &Client,
    tags: &[&str],
) -> (HashMap<String, String>, Subscription<AccountSummaryResult>) {
    let mut sub =
        within("account summary", client.account_summary(&AccountGroup("All".into()), tags)).await.expect("subscribes");
    let mut values = HashMap::new();
    loop {
        match within("summary row", sub.next()).await {
            Some(Ok(SubscriptionItem::Data(AccountSummaryResult::Summary(s)))) => {
                // Rows of the default account by tag:currency, others prefixed with the account.
                let key = if s.account == "DU1234567" {
                    format!("{}:{}", s.tag, s.currency)
                } else {
                    format!("{}/{}:{}", s.account, s.tag, s.currency)
                };
                values.insert(key, s.value);
            }
            Some(Ok(SubscriptionItem::Data(AccountSummaryResult::End))) => break,
            Some(Ok(SubscriptionItem::Notice(n))) => panic!("unexpected notice {n:?}"),
            Some(Err(e)) => panic!("summary failed: {e}"),
            None => panic!("summary ended before End"),
        }
    }
    (values, sub)
}

pub fn num(values: &HashMap<String, String>, key: &str) -> f64 {
    values
        .get(key)
        .unwrap_or_else(|| panic!("missing {key} in {values:?}"))
        .parse()
        .unwrap_or_else(|_| panic!("{key} not a number"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_summary_has_every_standard_tag_and_consistent_figures() {
    let gw = start().await;
    let client = connect(&gw, 1).await;
    let (v, _sub) = summary_snapshot(&client, ALL_TAGS).await;
    for tag in ALL_TAGS {
        assert!(v.keys().any(|k| k.starts_with(&format!("{tag}:"))), "tag {tag} missing");
    }
    assert_eq!(v["AccountType:"], "INDIVIDUAL");
    let net = num(&v, "NetLiquidation:USD");
    let cash = num(&v, "TotalCashValue:USD");
    let gross = num(&v, "GrossPositionValue:USD");
    assert!((net - (cash + gross)).abs() < 0.011, "net {net} != cash {cash} + positions {gross}");
    assert!((num(&v, "InitMarginReq:USD") - gross * 0.5).abs() < 0.011);
    assert!((num(&v, "MaintMarginReq:USD") - gross * 0.25).abs() < 0.011);
    let excess = num(&v, "ExcessLiquidity:USD");
    assert!((excess - (net - gross * 0.25)).abs() < 0.011);
    assert!((num(&v, "BuyingPower:USD") - 4.0 * excess).abs() < 0.05);
    assert!((num(&v, "AvailableFunds:USD") - (net - gross * 0.5)).abs() < 0.011);
    assert!((num(&v, "Cushion:") - excess / net).abs() < 1e-5);
    // Starting account: 1,000,000 cash plus 100 AAPL and 50 SPY at their previous close.
    assert!((cash - 1_000_000.0).abs() < 0.001);
    assert!((gross - (100.0 * 231.45 + 50.0 * 598.83)).abs() < 0.011);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_tags_give_currency_rows() {
    let gw = start().await;
    let client = connect(&gw, 1).await;
    let (v, _sub) = summary_snapshot(&client, &[AccountSummaryTags::LEDGER_ALL]).await;
    assert!(v.contains_key("CashBalance:BASE") && v.contains_key("CashBalance:USD"), "{v:?}");
    assert!(v.contains_key("NetLiquidationByCurrency:USD"));
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_list_starting_holdings_then_end() {
    let gw = start().await;
    let client = connect(&gw, 1).await;
    let mut sub = within("positions", client.positions()).await.expect("subscribes");
    let mut seen = HashMap::new();
    loop {
        match within("position", sub.next()).await {
            Some(Ok(SubscriptionItem::Data(PositionUpdate::Position(p)))) => {
                assert_eq!(p.account, "DU1234567");
                seen.insert(p.contract.symbol.to_string(), (p.position, p.average_cost, p.contract.contract_id));
            }
            Some(Ok(SubscriptionItem::Data(PositionUpdate::PositionEnd))) => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen.get("AAPL"), Some(&(100.0, 190.25, 265598)));
    assert_eq!(seen.get("SPY"), Some(&(50.0, 540.10, 756733)));
    assert_eq!(seen.len(), 2);
    gw.shutdown().await;
}
