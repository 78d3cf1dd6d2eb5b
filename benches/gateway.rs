//! Gateway benchmarks with the real ibapi client over loopback TCP:
//! connect-to-ready latency, PlaceOrder -> Filled round trip, and market-data ticks a second
//! delivered to one client.

use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ibapi::orders::{Action, Order, OrderStatusKind};
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
    targets = connect_to_ready, place_to_filled, ticks_per_second
}
criterion_main!(benches);
