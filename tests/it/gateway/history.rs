//! Historical bars, head timestamp, symbol search and market rules.

use ibapi::market_data::historical::{BarSize, BarTimestamp, Duration as Span, WhatToShow};
use ibapi::prelude::*;
use robo_tui::gateway::GatewayConfig;

use super::{connect, start_with, within};

fn frozen() -> GatewayConfig {
    let mut c = GatewayConfig::embedded(0);
    c.speed = 0.0;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn historical_bars_end_at_the_live_price_and_fill_the_duration() {
    let gw = start_with(frozen()).await;
    let client = connect(&gw, 1).await;
    let contract = Contract::stock("AAPL").build();
    let two_days: Span = "2 D".parse().expect("duration");
    let data = within(
        "history",
        client.historical_data(&contract, BarSize::Min5).duration(two_days).what_to_show(WhatToShow::Trades).fetch(),
    )
    .await
    .expect("bars");
    assert_eq!(data.bars.len(), 2 * 24 * 12);
    assert!(data.start < data.end);
    let last = data.bars.last().expect("bars");
    assert_eq!(last.close, 231.45, "history joins the live price");
    for w in data.bars.windows(2) {
        match (&w[0].date, &w[1].date) {
            (BarTimestamp::DateTime(a), BarTimestamp::DateTime(b)) => {
                assert_eq!((*b - *a).whole_seconds(), 300)
            }
            other => panic!("intraday bars carry date-times: {other:?}"),
        }
    }
    for b in &data.bars {
        assert!(b.low <= b.open && b.open <= b.high && b.low <= b.close && b.close <= b.high, "{b:?}");
    }
    let year: Span = "1 Y".parse().expect("duration");
    let daily =
        within("daily", client.historical_data(&contract, BarSize::Day).duration(year).fetch()).await.expect("daily");
    assert_eq!(daily.bars.len(), 365);
    assert!(daily.bars.iter().all(|b| b.date.is_date()));
    let unknown = within(
        "unknown",
        client.historical_data(&Contract::stock("ZZZZ").build(), BarSize::Min).duration(two_days).fetch(),
    )
    .await;
    assert!(matches!(unknown, Err(ibapi::Error::Notice(n)) if n.code == 200));
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_timestamp_symbol_search_and_market_rule() {
    let gw = start_with(frozen()).await;
    let client = connect(&gw, 1).await;
    let contract = Contract::stock("MSFT").build();
    let head = within("head", client.head_timestamp(&contract, WhatToShow::Trades, TradingHours::Regular))
        .await
        .expect("head");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
    assert!(head.unix_timestamp() < now - 4 * 365 * 86_400);
    let found = within("search", client.matching_symbols("AA")).await.expect("search");
    assert!(found.iter().any(|d| d.contract.symbol == "AAPL" && d.contract.contract_id == 265598), "{found:?}");
    let none = within("search none", client.matching_symbols("QQQQQ")).await.expect("search");
    assert!(none.is_empty());
    let rule = within("market rule", client.market_rule(26)).await.expect("rule");
    assert_eq!(rule.market_rule_id, 26);
    assert_eq!(rule.price_increments.len(), 1);
    assert_eq!((rule.price_increments[0].low_edge, rule.price_increments[0].increment), (0.0, 0.01));
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_up_to_date_streams_the_bar_in_progress() {
    let mut config = GatewayConfig::embedded(0);
    config.speed = 50.0;
    let gw = start_with(config).await;
    let client = connect(&gw, 1).await;
    let contract = Contract::stock("MSFT").build();
    let hour: Span = "3600 S".parse().expect("duration");
    let mut sub = within("stream", client.historical_data(&contract, BarSize::Min).duration(hour).stream())
        .await
        .expect("streams");
    let mut history = None;
    let mut updates = Vec::new();
    while updates.len() < 3 {
        match within("update", sub.next()).await {
            Some(Ok(SubscriptionItem::Data(ibapi::market_data::historical::HistoricalBarUpdate::Historical(h)))) => {
                history = Some(h)
            }
            Some(Ok(SubscriptionItem::Data(ibapi::market_data::historical::HistoricalBarUpdate::Update(bar)))) => {
                updates.push(bar)
            }
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    let history = history.expect("history first");
    assert_eq!(history.bars.len(), 60);
    let last = history.bars.last().expect("bars").date;
    for u in &updates {
        match (&last, &u.date) {
            (BarTimestamp::DateTime(a), BarTimestamp::DateTime(b)) => {
                assert!(b >= a, "update {b} before history end {a}")
            }
            other => panic!("{other:?}"),
        }
        assert!(u.low <= u.high);
    }
    gw.shutdown().await;
}
