//! The cockpit's core paths against the embedded gateway, real ibapi client underneath:
//! - "confirm to Filled": from the trader's confirmation (`Trader::handle(Transmit)`, what the
//!   `y` key triggers) through the order core, the journal (fsynced), the order desk, the
//!   gateway's matching engine and back to a Filled order in the store;
//! - "connect to live and reconciled": a fresh broker session (as after the gateway comes
//!   back) from the TCP connect to the store going live (orders, executions, completed
//!   orders, account and positions fetched), with the default 8-symbol watchlist.

use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion};
use robo_tui::app::core::TradingDesk;
use robo_tui::app::trading::{TradeRequest, Trader};
use robo_tui::broker::{self, BrokerCommand, BrokerSettings, OrderDesk, Pacer};
use robo_tui::diagnostics::Reporter;
use robo_tui::gateway::{self, GatewayConfig};
use robo_tui::orders::{Journal, OrderAction, OrderStatus, OrderType, Precautions, Rule, SessionKind, Ticket};
use robo_tui::store::{BrokerEvent, Store, StoreEvent, TradingEvent};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

async fn pump(
    store: &mut Store,
    trader: &Trader,
    events: &mut mpsc::Receiver<StoreEvent>,
    done: impl Fn(&Store) -> bool,
) {
    while !done(store) {
        let Some(event) = events.recv().await else { return };
        let now = Utc::now();
        let failure = trader.journal_event(&event, store, now);
        store.apply(now, event);
        if let Some(failure) = failure {
            store.apply(now, failure);
        }
    }
}

/// What `y` in the preview does: the confirmed ticket goes to the Trader, and the events it
/// answers with (journaled, sent, or refused) go into the store.
fn transmit(trader: &mut Trader, store: &mut Store, request: u64, ticket: Ticket) {
    let now = Utc::now();
    let transmit = TradeRequest::Transmit {
        request,
        ticket: Box::new(ticket),
        modify: None,
        override_word: String::new(),
        typed_account: String::new(),
    };
    for event in trader.handle(transmit, store, now) {
        store.apply(now, event);
    }
}

/// A trading session on an embedded gateway with a frozen market: the broker task with the
/// order desk and a journal in a temp folder, the Trader, and a store that is live with `F`
/// resolved and quoted. Rate and duplicate rules are off: the benches send the same small
/// order many times a second.
struct TradingBench {
    rt: tokio::runtime::Runtime,
    gw: gateway::GatewayHandle,
    trader: Trader,
    store: Store,
    events: mpsc::Receiver<StoreEvent>,
    stop: mpsc::Sender<BrokerCommand>,
    task: tokio::task::JoinHandle<()>,
    journal_dir: tempfile::TempDir,
}

impl TradingBench {
    fn start() -> Self {
        let rt = runtime();
        let mut config = GatewayConfig::embedded(0);
        config.speed = 0.0;
        let gw = rt.block_on(gateway::spawn(config)).expect("gateway");
        let journal_dir = tempfile::tempdir().expect("temp dir");
        let journal = Arc::new(Mutex::new(Journal::open(journal_dir.path(), "bench", Utc::now()).expect("journal")));
        let (desk, mut inbox) = OrderDesk::open();
        let (tx, mut events) = mpsc::channel(65536);
        let (stop, mut commands) = mpsc::channel(4);
        let reporter = Reporter::register("broker", tx.clone());
        let mut settings = BrokerSettings::new(gw.local_addr().to_string(), "bench".into(), 17, Duration::from_secs(5));
        settings.watchlist = vec!["F".into()];
        let shared = journal.clone();
        let task = rt.spawn(async move {
            broker::run(settings, tx, &mut commands, Some(&mut inbox), Some(shared), reporter).await;
        });
        let mut trader = Trader::new(TradingDesk { desk, journal: Some(journal) }, journal_dir.path(), Utc::now());
        let mut store = Store::new();
        // Rate and duplicate rules off: the bench sends the same small order many times a second.
        let precautions = Precautions { off: vec![Rule::OrdersPerMinute, Rule::Duplicate], ..Precautions::default() };
        store.apply(
            Utc::now(),
            StoreEvent::Trading(TradingEvent::Configured {
                session: SessionKind::Trading,
                allow_live: false,
                precautions,
            }),
        );
        rt.block_on(async {
            trader.handle(TradeRequest::Resolve { symbol: "F".into() }, &store, Utc::now());
            pump(&mut store, &trader, &mut events, |s| {
                s.connection.state.is_live()
                    && s.trading.contracts.contains_key("F")
                    && s.quotes.get("F").is_some_and(|q| q.ask.is_some())
            })
            .await;
        });
        TradingBench { rt, gw, trader, store, events, stop, task, journal_dir }
    }
}

fn confirm_to_filled(c: &mut Criterion) {
    let TradingBench { rt, gw, mut trader, mut store, mut events, stop, task, journal_dir: _journal_dir } =
        TradingBench::start();
    let mut request = 0u64;
    let mut buy = true;
    c.bench_function("session/confirm_to_filled (journal fsync included)", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    request += 1;
                    let quote = &store.quotes["F"];
                    let (action, price) =
                        if buy { (OrderAction::Buy, quote.ask) } else { (OrderAction::Sell, quote.bid) };
                    buy = !buy;
                    let mut ticket = Ticket::new("F", action, "DU1234567");
                    ticket.quantity = "1".into();
                    ticket.order_type = OrderType::Limit;
                    ticket.limit_price = price.map(|p| p.to_string()).unwrap_or_default();
                    let filled_before =
                        store.orders.values().filter(|o| o.lifecycle.status() == OrderStatus::Filled).count();
                    // One order at a time, as a trader sends them: back to back, orders would
                    // measure the pacer (45 messages a second) instead.
                    tokio::time::sleep(Duration::from_millis(60)).await;
                    let t0 = Instant::now();
                    transmit(&mut trader, &mut store, request, ticket);
                    pump(&mut store, &trader, &mut events, |s| {
                        s.orders.values().filter(|o| o.lifecycle.status() == OrderStatus::Filled).count()
                            > filled_before
                            || s.trading.outcome.as_ref().is_some_and(|o| o.request == request && o.result.is_err())
                    })
                    .await;
                    total += t0.elapsed();
                    if let Some(Err(reason)) = store.trading.outcome.as_ref().map(|o| o.result.clone()) {
                        panic!("the bench's order was refused: {reason}");
                    }
                }
                total
            })
        })
    });
    rt.block_on(async {
        let _ = stop.send(BrokerCommand::Shutdown).await;
        let _ = task.await;
        gw.shutdown().await;
    });
}

/// A bracket from the trader's confirmation: "all legs acknowledged" (every leg reported by
/// the gateway) and "exits working" (the marketable entry filled, the target Submitted and the
/// stop working untriggered). Each iteration then cancels what is left, untimed.
fn bracket_confirm(c: &mut Criterion) {
    let TradingBench { rt, gw, mut trader, mut store, mut events, stop, task, journal_dir: _journal_dir } =
        TradingBench::start();
    let legs_of = |s: &Store, group: &str| -> Vec<i32> {
        ["entry", "tp", "sl"]
            .iter()
            .filter_map(|leg| {
                let id = format!("{group}.{leg}");
                s.orders.values().find(|o| o.terms.as_ref().is_some_and(|t| t.order_ref == id)).map(|o| o.order_id)
            })
            .collect()
    };
    let mut request = 0u64;
    for (name, working) in [
        ("session/bracket_confirm_to_all_legs_acknowledged", false),
        ("session/bracket_confirm_to_exits_working", true),
    ] {
        c.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        request += 1;
                        let ask = store.quotes["F"].ask.unwrap_or_default();
                        let mut ticket = Ticket::new("F", OrderAction::Buy, "DU1234567");
                        ticket.quantity = "1".into();
                        ticket.limit_price = ask.to_string();
                        ticket.take_profit = "20t".into();
                        ticket.stop_loss = "20t".into();
                        // Room in the pacer's budget: a bracket and its cancels are 6 messages.
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        let t0 = Instant::now();
                        transmit(&mut trader, &mut store, request, ticket);
                        pump(&mut store, &trader, &mut events, |s| {
                            s.trading.outcome.as_ref().is_some_and(|o| o.request == request)
                        })
                        .await;
                        let group = match store.trading.outcome.as_ref().map(|o| o.result.clone()) {
                            Some(Ok(group)) => group,
                            other => panic!("the bench's bracket was refused: {other:?}"),
                        };
                        pump(&mut store, &trader, &mut events, |s| {
                            let legs = legs_of(s, &group);
                            legs.len() == 3
                                && legs.iter().all(|id| {
                                    let o = &s.orders[id];
                                    // Sent as a group: past Inactive (staged), which the
                                    // gateway also acknowledges.
                                    o.lifecycle.acknowledged()
                                        && o.lifecycle.status() != OrderStatus::Inactive
                                        && (!working
                                            || matches!(
                                                o.lifecycle.status(),
                                                OrderStatus::Filled
                                                    | OrderStatus::Submitted
                                                    | OrderStatus::PreSubmitted
                                            ))
                                })
                                && (!working || s.orders[&legs[0]].lifecycle.status() == OrderStatus::Filled)
                        })
                        .await;
                        total += t0.elapsed();
                        let open: Vec<i32> = legs_of(&store, &group)
                            .into_iter()
                            .filter(|id| !store.orders[id].lifecycle.status().is_final())
                            .collect();
                        let now = Utc::now();
                        let cancel = TradeRequest::CancelGroup { group_id: group.clone(), order_ids: open.clone() };
                        for event in trader.handle(cancel, &store, now) {
                            store.apply(now, event);
                        }
                        pump(&mut store, &trader, &mut events, |s| {
                            open.iter().all(|id| s.orders[id].lifecycle.status().is_final())
                        })
                        .await;
                    }
                    total
                })
            })
        });
    }
    rt.block_on(async {
        let _ = stop.send(BrokerCommand::Shutdown).await;
        let _ = task.await;
        gw.shutdown().await;
    });
}

fn connect_to_live(c: &mut Criterion) {
    let rt = runtime();
    let mut config = GatewayConfig::embedded(0);
    config.speed = 0.0;
    let gw = rt.block_on(gateway::spawn(config)).expect("gateway");
    let address = gw.local_addr().to_string();
    let mut client_id = 100;
    c.bench_function("session/connect_to_live_and_reconciled", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    client_id += 1;
                    let (tx, mut events) = mpsc::channel(65536);
                    let (stop, mut commands) = mpsc::channel(4);
                    let reporter = Reporter::register("broker", tx.clone());
                    let mut settings =
                        BrokerSettings::new(address.clone(), "bench".into(), client_id, Duration::from_secs(5));
                    // The default config's watchlist: its quote requests are paced, and must not
                    // hold up reconciliation.
                    settings.watchlist =
                        ["SPY", "QQQ", "AAPL", "MSFT", "NVDA", "AMZN", "TSLA", "IWM"].map(String::from).to_vec();
                    // After a gateway restart the pacing window is empty, so a reconnect never
                    // waits for it; back-to-back iterations would (about 22 messages each).
                    settings.pacer = Pacer::unlimited();
                    let t0 = Instant::now();
                    let task = tokio::spawn(async move {
                        broker::run(settings, tx, &mut commands, None, None, reporter).await;
                    });
                    while let Some(event) = events.recv().await {
                        if matches!(event, StoreEvent::Broker(BrokerEvent::Reconciled)) {
                            break;
                        }
                    }
                    total += t0.elapsed();
                    let _ = stop.send(BrokerCommand::Shutdown).await;
                    let _ = task.await;
                }
                total
            })
        })
    });
    rt.block_on(gw.shutdown());
}

/// The floor under "connect to live": ibapi's own connect (TCP, handshake, START_API, the
/// first NextValidId and managed accounts) and disconnect, with nothing of robo-tui's around
/// it. `connect_to_live_and_reconciled` minus this is robo-tui's own time.
fn ibapi_connect_only(c: &mut Criterion) {
    let rt = runtime();
    let mut config = GatewayConfig::embedded(0);
    config.speed = 0.0;
    let gw = rt.block_on(gateway::spawn(config)).expect("gateway");
    let address = gw.local_addr().to_string();
    let mut client_id = 500;
    c.bench_function("session/ibapi_connect_only", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    client_id += 1;
                    let t0 = Instant::now();
                    let (client, _notices) = ibapi::Client::builder()
                        .address(address.as_str())
                        .client_id(client_id)
                        .tcp_no_delay(true)
                        .max_reconnect_attempts(0)
                        .connect_with_notice_stream()
                        .await
                        .expect("ibapi connects to the gateway");
                    total += t0.elapsed();
                    client.disconnect().await;
                }
                total
            })
        })
    });
    rt.block_on(gw.shutdown());
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(8));
    targets = confirm_to_filled, bracket_confirm, connect_to_live, ibapi_connect_only
}
criterion_main!(benches);
