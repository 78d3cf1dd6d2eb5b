//! Market data (snapshot and streaming), contract details, real-time bars and tick-by-tick.

use std::time::Duration;

use ibapi::contracts::tick_types::TickType;
use ibapi::market_data::realtime::{TickTypes, WhatToShow};
use ibapi::prelude::*;
use robo_tui::gateway::GatewayConfig;

use super::{connect, start, start_with, within};

fn fast() -> GatewayConfig {
    let mut c = GatewayConfig::embedded(0);
    c.speed = 50.0;
    c
}

async fn snapshot(client: &Client, symbol: &str) -> Vec<TickTypes> {
    let contract = Contract::stock(symbol).build();
    let mut sub = within("snapshot", client.market_data(&contract).snapshot().subscribe()).await.expect("subscribes");
    let mut ticks = Vec::new();
    loop {
        match within("tick", sub.next()).await {
            Some(Ok(SubscriptionItem::Data(TickTypes::SnapshotEnd))) => break,
            Some(Ok(SubscriptionItem::Data(t))) => ticks.push(t),
            Some(Ok(SubscriptionItem::Notice(n))) => panic!("notice {n:?}"),
            Some(Err(e)) => panic!("error {e}"),
            None => break,
        }
    }
    ticks
}

fn price_of(ticks: &[TickTypes], ty: TickType) -> Option<f64> {
    ticks.iter().rev().find_map(|t| match t {
        TickTypes::PriceSize(p) if p.price_tick_type == ty => Some(p.price),
        TickTypes::Price(p) if p.tick_type == ty => Some(p.price),
        _ => None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_has_type_params_quotes_stats_and_end() {
    let gw = start().await;
    let client = connect(&gw, 1).await;
    let ticks = snapshot(&client, "AAPL").await;
    assert!(ticks.iter().any(|t| matches!(t, TickTypes::MarketDataType(MarketDataType::Realtime))), "{ticks:?}");
    assert!(ticks.iter().any(|t| matches!(t, TickTypes::RequestParameters(p) if (p.min_tick - 0.01).abs() < 1e-9)));
    let bid = price_of(&ticks, TickType::Bid).expect("bid");
    let ask = price_of(&ticks, TickType::Ask).expect("ask");
    let last = price_of(&ticks, TickType::Last).expect("last");
    assert!(bid < ask, "bid {bid} ask {ask}");
    for p in [bid, ask, last] {
        assert!(((p * 100.0).round() - p * 100.0).abs() < 1e-6, "{p} off the tick grid");
    }
    assert_eq!(price_of(&ticks, TickType::Close), Some(231.45));
    assert!(price_of(&ticks, TickType::High).is_some() && price_of(&ticks, TickType::Low).is_some());
    assert!(ticks.iter().any(|t| matches!(t, TickTypes::Size(s) if s.tick_type == TickType::Volume)));
    assert!(ticks.iter().any(|t| matches!(t, TickTypes::String(s) if s.tick_type == TickType::LastTimestamp)));
    assert!(ticks
        .iter()
        .any(|t| matches!(t, TickTypes::Generic(g) if g.tick_type == TickType::Halted && g.value == 0.0)));
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_quotes_keep_bid_below_ask_and_move() {
    let gw = start_with(fast()).await;
    let client = connect(&gw, 1).await;
    let contract = Contract::stock("MSFT").build();
    let mut sub = within("subscribe", client.market_data(&contract).subscribe()).await.expect("subscribes");
    let (mut bid, mut ask) = (None, None);
    let mut updates = 0;
    let mut distinct = std::collections::HashSet::new();
    while updates < 40 {
        match within("tick", sub.next()).await {
            Some(Ok(SubscriptionItem::Data(TickTypes::PriceSize(p)))) => {
                match p.price_tick_type {
                    TickType::Bid => bid = Some(p.price),
                    TickType::Ask => {
                        ask = Some(p.price);
                        // The gateway sends a quote's bid before its ask: after an ask the pair
                        // seen is one consistent quote.
                        if let Some(b) = bid {
                            assert!(b < p.price, "bid {b} not below ask {}", p.price);
                        }
                    }
                    _ => {}
                }
                distinct.insert((p.price * 100.0).round() as i64);
                updates += 1;
            }
            Some(Ok(_)) => {}
            other => panic!("stream ended: {other:?}"),
        }
    }
    assert!(bid.is_some() && ask.is_some());
    assert!(distinct.len() > 2, "prices moved: {distinct:?}");
    drop(sub);
    // The connection is still healthy after the cancel.
    assert!(within("after cancel", client.server_time()).await.is_ok());
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn speed_zero_freezes_the_market_and_seed_fixes_prices() {
    let mut frozen = GatewayConfig::embedded(0);
    frozen.speed = 0.0;
    frozen.seed = 9;
    let gw = start_with(frozen.clone()).await;
    let gw2 = start_with(frozen).await;
    let a = connect(&gw, 1).await;
    let b = connect(&gw2, 1).await;
    let s1 = snapshot(&a, "NVDA").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let s2 = snapshot(&a, "NVDA").await;
    let s3 = snapshot(&b, "NVDA").await;
    for ty in [TickType::Bid, TickType::Ask, TickType::Last] {
        assert_eq!(price_of(&s1, ty), price_of(&s2, ty), "{ty:?} moved while frozen");
        assert_eq!(price_of(&s1, ty), price_of(&s3, ty), "{ty:?} differs for the same seed");
    }
    gw.shutdown().await;
    gw2.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_symbol_is_error_200_for_data_and_details() {
    let gw = start().await;
    let client = connect(&gw, 1).await;
    let contract = Contract::stock("ZZZZ").build();
    let err = within("details", client.contract_details(&contract)).await.expect_err("unknown");
    match err {
        ibapi::Error::Notice(n) => {
            assert_eq!(n.code, 200);
            assert_eq!(n.message, "No security definition has been found for the request");
        }
        other => panic!("expected notice 200, got {other:?}"),
    }
    let mut sub = within("mkt", client.market_data(&contract).subscribe()).await.expect("request sent");
    match within("error", sub.next()).await {
        Some(Err(ibapi::Error::Notice(n))) => assert_eq!(n.code, 200),
        other => panic!("expected error 200, got {other:?}"),
    }
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_details_describe_the_stock() {
    let gw = start().await;
    let client = connect(&gw, 1).await;
    let details = within("details", client.contract_details(&Contract::stock("AAPL").build())).await.expect("details");
    assert_eq!(details.len(), 1);
    let d = &details[0];
    assert_eq!(d.contract.contract_id, 265598);
    assert_eq!(d.contract.primary_exchange.to_string(), "NASDAQ");
    assert_eq!(d.min_tick, 0.01);
    assert_eq!(d.long_name, "APPLE INC");
    assert!(d.order_types.iter().any(|t| t == "LMT"));
    assert_eq!(d.time_zone_id, "US/Eastern");
    let days: Vec<&str> = d.trading_hours.iter().flat_map(|h| h.split(';')).collect();
    assert_eq!(days.len(), 7, "{:?}", d.trading_hours);
    assert!(days.iter().all(|day| day.ends_with(":CLOSED") || day.contains(":0930-")), "{days:?}");
    let spy = within("spy", client.contract_details(&Contract::stock("SPY").build())).await.expect("details");
    assert_eq!(spy[0].stock_type, "ETF");
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn realtime_bars_every_five_seconds_of_simulated_time() {
    let gw = start_with(fast()).await;
    let client = connect(&gw, 1).await;
    let contract = Contract::stock("AAPL").build();
    let mut sub = within("bars", client.realtime_bars(&contract).what_to_show(WhatToShow::Trades).subscribe())
        .await
        .expect("bars");
    let mut bars = Vec::new();
    while bars.len() < 3 {
        match within("bar", sub.next()).await {
            Some(Ok(SubscriptionItem::Data(bar))) => bars.push(bar),
            other => panic!("{other:?}"),
        }
    }
    for w in bars.windows(2) {
        assert_eq!((w[1].date - w[0].date).whole_seconds(), 5);
    }
    for b in &bars {
        assert!(b.low <= b.open && b.open <= b.high && b.low <= b.close && b.close <= b.high, "{b:?}");
    }
    let mut mid = within("mid bars", client.realtime_bars(&contract).what_to_show(WhatToShow::MidPoint).subscribe())
        .await
        .expect("bars");
    match within("mid bar", mid.next()).await {
        Some(Ok(SubscriptionItem::Data(bar))) => assert!(bar.low <= bar.high),
        other => panic!("{other:?}"),
    }
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tick_by_tick_last_all_last_bid_ask_and_midpoint() {
    let gw = start_with(fast()).await;
    let client = connect(&gw, 1).await;
    let contract = Contract::stock("AAPL").build();
    let mut last = within("last", client.tick_by_tick(&contract, 0).last()).await.expect("last");
    let mut all = within("all", client.tick_by_tick(&contract, 0).all_last()).await.expect("all last");
    let mut ba = within("bidask", client.tick_by_tick(&contract, 0).bid_ask(IgnoreSize::No)).await.expect("bid ask");
    let mut mid = within("mid", client.tick_by_tick(&contract, 0).mid_point()).await.expect("midpoint");
    for _ in 0..3 {
        match within("trade", last.next()).await {
            Some(Ok(SubscriptionItem::Data(t))) => {
                assert!(t.price > 0.0 && t.size >= 100.0);
                assert_eq!(t.exchange, "NASDAQ");
            }
            other => panic!("{other:?}"),
        }
        match within("all last", all.next()).await {
            Some(Ok(SubscriptionItem::Data(t))) => assert!(t.price > 0.0),
            other => panic!("{other:?}"),
        }
        match within("bid ask", ba.next()).await {
            Some(Ok(SubscriptionItem::Data(q))) => assert!(q.bid_price < q.ask_price, "{q:?}"),
            other => panic!("{other:?}"),
        }
        match within("mid", mid.next()).await {
            Some(Ok(SubscriptionItem::Data(m))) => assert!(m.mid_point > 0.0),
            other => panic!("{other:?}"),
        }
    }
    gw.shutdown().await;
}
