//! Gateway benchmarks with the real ibapi client over loopback TCP:
//! connect-to-ready latency, PlaceOrder -> Filled round trip, a bracket's three legs sent ->
//! all acknowledged, a bracket's entry fill -> both exits working, and market-data ticks a
//! second delivered to one client.

use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ibapi::orders::{Action, Order, OrderStatusKind, OrderUpdate};
use ibapi::prelude::*;
use robo_tui::gateway::{self, GatewayConfig};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

async fn client(addr: &str, id: i32) -> Client {
    Client::builder().address(addr).client_id(id).max_reconnect_attempts(0).connect().await.expect("connects")
}

fn connect_to_ready(c: &mut Criterion) {
    let rt = runtime();
    let mut config = GatewayConfig::embedded(0);
    config.speed = 0.0;
    let gw = rt.block_on(gateway::spawn(config)).expect("gateway");
    let addr = gw.local_addr().to_string();
    let ids = AtomicI32::new(1);
    c.bench_function("gateway/connect_to_ready", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let id = ids.fetch_add(1, Ordering::Relaxed);
                    let t0 = Instant::now();
                    let cl = client(&addr, id).await;
                    total += t0.elapsed();
                    cl.disconnect().await;
                }
                total
            })
        })
    });
    rt.block_on(gw.shutdown());
}

fn place_to_filled(c: &mut Criterion) {
    let rt = runtime();
    let mut config = GatewayConfig::embedded(0);
    config.speed = 0.0;
    config.total_value_limit = Some(rust_decimal::Decimal::from(1_000_000_000i64));
    let gw = rt.block_on(gateway::spawn(config)).expect("gateway");
    let addr = gw.local_addr().to_string();
    let cl = rt.block_on(client(&addr, 1));
    let contract = Contract::stock("F").build();
    let mut buy = true;
    c.bench_function("gateway/place_order_to_filled", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let order = Order {
                        action: if buy { Action::Buy } else { Action::Sell },
                        total_quantity: 1.0,
                        order_type: "MKT".into(),
                        transmit: true,
                        ..Default::default()
                    };
                    buy = !buy;
                    let id = cl.next_order_id();
                    let t0 = Instant::now();
                    let mut sub = cl.place_order(id, &contract, &order).await.expect("sent");
                    while let Some(item) = sub.next().await {
                        if let Ok(SubscriptionItem::Data(PlaceOrder::OrderStatus(s))) = item {
                            if s.status == OrderStatusKind::Filled {
                                break;
                            }
                        }
                    }
                    total += t0.elapsed();
                }
                total
            })
        })
    });
    rt.block_on(gw.shutdown());
}

/// A frozen gateway with a client and its order update stream (F, a cheap stock).
fn bracket_rig(rt: &tokio::runtime::Runtime) -> (gateway::GatewayHandle, Client, Subscription<OrderUpdate>) {
    let mut config = GatewayConfig::embedded(0);
    config.speed = 0.0;
    config.total_value_limit = Some(rust_decimal::Decimal::from(1_000_000_000i64));
    let gw = rt.block_on(gateway::spawn(config)).expect("gateway");
    let addr = gw.local_addr().to_string();
    let cl = rt.block_on(client(&addr, 1));
    let updates = rt.block_on(cl.order_update_stream()).expect("order updates");
    (gw, cl, updates)
}

fn bracket_legs(entry: Order, target: f64, stop: f64, ids: (i32, i32, i32)) -> [Order; 3] {
    let exit = if entry.action == Action::Buy { Action::Sell } else { Action::Buy };
    let leg = |o: Order, parent_id: i32, transmit: bool| Order { parent_id, transmit, total_quantity: 1.0, ..o };
    [
        leg(Order { transmit: false, ..entry }, 0, false),
        leg(
            Order { action: exit, order_type: "LMT".into(), limit_price: Some(target), ..Default::default() },
            ids.0,
            false,
        ),
        leg(Order { action: exit, order_type: "STP".into(), aux_price: Some(stop), ..Default::default() }, ids.0, true),
    ]
}

/// Reads order updates until `done` says so for the statuses seen (order id -> (status, whyHeld));
/// the instant the parent's execution arrived, if it did.
async fn read_until(
    updates: &mut Subscription<OrderUpdate>,
    parent: i32,
    done: impl Fn(&std::collections::HashMap<i32, (OrderStatusKind, String)>) -> bool,
) -> Option<Instant> {
    let mut seen = std::collections::HashMap::new();
    let mut fill_at = None;
    while !done(&seen) {
        match updates.next().await {
            Some(Ok(SubscriptionItem::Data(OrderUpdate::OrderStatus(s)))) => {
                seen.insert(s.order_id, (s.status, s.why_held));
            }
            Some(Ok(SubscriptionItem::Data(OrderUpdate::ExecutionData(e)))) if e.execution.order_id == parent => {
                fill_at.get_or_insert_with(Instant::now);
            }
            Some(_) => {}
            None => panic!("order updates ended"),
        }
    }
    fill_at
}

async fn cancel_all(cl: &Client, updates: &mut Subscription<OrderUpdate>, ids: &[i32]) {
    for id in ids {
        drop(cl.cancel_order(*id, "").await.expect("cancel sent"));
    }
    read_until(updates, 0, |s| ids.iter().all(|id| s.get(id).is_some_and(|(st, _)| *st == OrderStatusKind::Cancelled)))
        .await;
}

fn bracket_sent_to_acknowledged(c: &mut Criterion) {
    let rt = runtime();
    let (gw, cl, mut updates) = bracket_rig(&rt);
    let contract = Contract::stock("F").build();
    c.bench_function("gateway/bracket_sent_to_all_acknowledged", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let ids = (cl.next_order_id(), cl.next_order_id(), cl.next_order_id());
                    // A resting entry: the three legs are acknowledged, nothing fills.
                    let entry = Order {
                        action: Action::Buy,
                        order_type: "LMT".into(),
                        limit_price: Some(1.0),
                        ..Default::default()
                    };
                    let legs = bracket_legs(entry, 30.0, 0.5, ids);
                    let t0 = Instant::now();
                    for (id, o) in [ids.0, ids.1, ids.2].into_iter().zip(legs.iter()) {
                        cl.submit_order(id, &contract, o).await.expect("sent");
                    }
                    read_until(&mut updates, ids.0, |s| {
                        s.get(&ids.0).is_some_and(|(st, _)| *st == OrderStatusKind::Submitted)
                            && [ids.1, ids.2]
                                .iter()
                                .all(|id| s.get(id).is_some_and(|(st, _)| *st == OrderStatusKind::PreSubmitted))
                    })
                    .await;
                    total += t0.elapsed();
                    cancel_all(&cl, &mut updates, &[ids.0]).await;
                }
                total
            })
        })
    });
    rt.block_on(gw.shutdown());
}

fn entry_fill_to_exits_working(c: &mut Criterion) {
    let rt = runtime();
    let (gw, cl, mut updates) = bracket_rig(&rt);
    let contract = Contract::stock("F").build();
    let mut buy = true;
    c.bench_function("gateway/entry_fill_to_exits_working", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let ids = (cl.next_order_id(), cl.next_order_id(), cl.next_order_id());
                    // A market entry (alternating sides keeps the account flat) that fills as the
                    // group is transmitted; the exits are far from the market.
                    let (action, target, stop) = if buy { (Action::Buy, 30.0, 0.5) } else { (Action::Sell, 0.5, 30.0) };
                    buy = !buy;
                    let entry = Order { action, order_type: "MKT".into(), ..Default::default() };
                    let legs = bracket_legs(entry, target, stop, ids);
                    for (id, o) in [ids.0, ids.1, ids.2].into_iter().zip(legs.iter()) {
                        cl.submit_order(id, &contract, o).await.expect("sent");
                    }
                    let fill_at = read_until(&mut updates, ids.0, |s| {
                        s.get(&ids.0).is_some_and(|(st, _)| *st == OrderStatusKind::Filled)
                            && s.get(&ids.1).is_some_and(|(st, _)| *st == OrderStatusKind::Submitted)
                            && s.get(&ids.2)
                                .is_some_and(|(st, why)| *st == OrderStatusKind::PreSubmitted && why.is_empty())
                    })
                    .await;
                    total += fill_at.expect("the entry's execution").elapsed();
                    cancel_all(&cl, &mut updates, &[ids.1, ids.2]).await;
                }
                total
            })
        })
    });
    rt.block_on(gw.shutdown());
}

fn ticks_per_second(c: &mut Criterion) {
    // The gateway runs on its own runtime thread, as it does for a separate client process,
    // so the client's decoding and the simulated market do not share one worker.
    let gateway_rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let mut config = GatewayConfig::embedded(0);
    // 8,000 simulated steps a second: every instrument moves and trades many times per tick
    // of the clock, so the gateway always has news for every subscription.
    config.speed = 2_000.0;
    let gw = gateway_rt.block_on(gateway::spawn(config)).expect("gateway");
    let addr = gw.local_addr().to_string();
    let rt = runtime();
    let cl = rt.block_on(client(&addr, 1));
    let symbols = [
        "AAPL", "MSFT", "AMZN", "GOOGL", "META", "NVDA", "TSLA", "NFLX", "AMD", "INTC", "CSCO", "ADBE", "ORCL", "IBM",
        "JPM", "BAC", "GS", "V", "MA", "XOM", "CVX", "JNJ", "PFE", "KO", "PEP", "WMT", "DIS", "BA", "CAT", "F", "SPY",
        "QQQ", "IWM", "DIA", "TLT", "GLD",
    ];
    let mut all = rt.block_on(async {
        let mut subs = Vec::new();
        for s in symbols {
            let contract = Contract::stock(s).build();
            subs.push(cl.market_data(&contract).subscribe().await.expect("subscribes"));
        }
        futures::stream::select_all(subs)
    });
    let mut group = c.benchmark_group("gateway");
    group.throughput(Throughput::Elements(1));
    group.bench_function("market_data_ticks_to_one_client", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t0 = Instant::now();
                let mut got = 0;
                while got < iters {
                    match all.next().await {
                        Some(Ok(SubscriptionItem::Data(_))) => got += 1,
                        Some(_) => {}
                        None => break,
                    }
                }
                t0.elapsed()
            })
        })
    });
    group.finish();
    drop(all);
    gateway_rt.block_on(gw.shutdown());
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(5));
    targets = connect_to_ready, place_to_filled, bracket_sent_to_acknowledged, entry_fill_to_exits_working, ticks_per_second
}
criterion_main!(benches);
