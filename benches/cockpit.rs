//! Speed goals: a full cockpit frame at 200x50 (all seven panes) with 500 positions, 100
//! signals, 100 watchlist quotes with bar histories and 200 orders with fills renders in under
//! 1 ms (median), and `Store::apply` takes more than 1M events/s.

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use robo_tui::config::theme::Theme;
use robo_tui::store::{
    BrokerEvent, Health, MarketDataKind, OrderTerms, SessionEvent, Signal, SignalSide, Store, StoreEvent,
    StrategyEvent, SubsystemEvent, SubsystemStatus, TickField,
};
use robo_tui::ui::{self, PaneId, RenderContext, ViewState};
use rust_decimal::Decimal;
use std::hint::black_box;
use std::time::Duration;

const ACCOUNT: &str = "DU1234567";

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 14, 30, 0).single().expect("valid time") + chrono::Duration::seconds(secs)
}

fn broker(event: BrokerEvent) -> StoreEvent {
    StoreEvent::Broker(event)
}

/// A session's events: connect, the account summary, `positions` positions with portfolio
/// values and P&L, farm notices, `signals` signals and a few subsystems.
fn session_events(positions: i32, signals: i64) -> Vec<StoreEvent> {
    let mut events = vec![
        broker(BrokerEvent::Connecting {
            address: "127.0.0.1:4710".into(),
            gateway_origin: "embedded (hosted here)".into(),
            client_id: 17,
            attempt: 1,
        }),
        broker(BrokerEvent::Connected {
            server_version: 187,
            connection_time: None,
            managed_accounts: vec![ACCOUNT.into()],
        }),
    ];
    for (i, tag) in robo_tui::store::SUMMARY_TAGS.iter().enumerate() {
        events.push(broker(BrokerEvent::AccountValue {
            account: ACCOUNT.into(),
            tag: (*tag).into(),
            value: format!("{}.{:02}", 1_000_000 + i * 1234, i),
            currency: "USD".into(),
        }));
    }
    events.push(broker(BrokerEvent::AccountSummaryEnd));
    for i in 0..positions {
        let quantity = Decimal::from(i % 37 + 1) * if i % 3 == 0 { Decimal::NEGATIVE_ONE } else { Decimal::ONE };
        let price = Decimal::new(10_000 + i64::from(i) * 7, 2);
        events.push(broker(BrokerEvent::Position {
            account: ACCOUNT.into(),
            con_id: 1000 + i,
            symbol: format!("SYM{i:03}"),
            currency: "USD".into(),
            quantity,
            average_cost: Some(price - Decimal::ONE),
        }));
        events.push(broker(BrokerEvent::Portfolio {
            account: ACCOUNT.into(),
            con_id: 1000 + i,
            symbol: format!("SYM{i:03}"),
            currency: "USD".into(),
            quantity,
            market_price: Some(price),
            market_value: Some(price * quantity),
            average_cost: None,
            unrealized_pnl: None,
            realized_pnl: None,
        }));
        events.push(broker(BrokerEvent::PnlSingle {
            account: ACCOUNT.into(),
            con_id: 1000 + i,
            daily: Some(Decimal::new(i64::from(i) * 13 - 2000, 2)),
            unrealized: Some(quantity),
            realized: None,
        }));
    }
    events.push(broker(BrokerEvent::PositionsEnd));
    events.push(broker(BrokerEvent::Reconciled));
    for (code, farm) in [(2104, "usfarm"), (2106, "ushmds"), (2158, "secdefnj")] {
        events.push(broker(BrokerEvent::Notice { id: -1, code, text: format!("data farm connection is OK:{farm}") }));
    }
    for i in 0..signals {
        events.push(StoreEvent::Strategy(StrategyEvent::Signal(Signal {
            at: t(i),
            symbol: format!("SYM{:03}", i % 500),
            strategy: "sma_cross".into(),
            side: if i % 2 == 0 { SignalSide::Buy } else { SignalSide::Sell },
            strength: Decimal::new(i % 100, 2),
            reason: "fast SMA crossed slow".into(),
        })));
    }
    for (name, health) in
        [("config", Health::Ok), ("gateway", Health::Ok), ("broker", Health::Ok), ("theme", Health::Degraded)]
    {
        events.push(StoreEvent::Subsystem(SubsystemEvent {
            id: name.into(),
            status: SubsystemStatus {
                health,
                load_time: Some(Duration::from_millis(3)),
                detail: format!("{name} loaded"),
                errors: if health == Health::Ok { vec![] } else { vec!["no theme named \"neon\"".into()] },
                restarts: 0,
                since: t(0),
            },
        }));
    }
    events
}

/// A watchlist of `symbols` symbols, each with a full quote and a full bar history, and
/// `orders` orders (a third of them partly filled with a commission).
fn market_events(symbols: usize, orders: i32) -> Vec<StoreEvent> {
    let watchlist: Vec<String> = (0..symbols).map(|i| format!("WL{i:03}")).collect();
    let mut events =
        vec![StoreEvent::Session(SessionEvent::Configured { watchlist: watchlist.clone(), strategies: 1 })];
    for (i, symbol) in watchlist.iter().enumerate() {
        let price = Decimal::new(10_000 + i as i64 * 13, 2);
        for (field, value) in [
            (TickField::Close, price - Decimal::ONE),
            (TickField::Bid, price - Decimal::new(1, 2)),
            (TickField::Ask, price + Decimal::new(1, 2)),
            (TickField::Last, price),
            (TickField::Volume, Decimal::from(1_000_000 + i)),
        ] {
            events.push(broker(BrokerEvent::Tick { symbol: symbol.clone(), field, value }));
        }
        events.push(broker(BrokerEvent::MarketDataType { symbol: symbol.clone(), kind: MarketDataKind::Live }));
        for bar in 0..robo_tui::store::BAR_HISTORY as i64 {
            let close = price + Decimal::new((bar * 7 + i as i64) % 50 - 25, 2);
            events.push(broker(BrokerEvent::Bar {
                symbol: symbol.clone(),
                time: t(bar * 5),
                open: close,
                high: close,
                low: close,
                close,
                volume: Decimal::from(100),
            }));
        }
    }
    for order_id in 0..orders {
        let symbol = format!("WL{:03}", order_id as usize % symbols.max(1));
        let terms = OrderTerms {
            account: ACCOUNT.into(),
            symbol: symbol.clone(),
            con_id: 5000 + order_id,
            action: if order_id % 2 == 0 { "BUY".into() } else { "SELL".into() },
            quantity: Decimal::from(100),
            order_type: "LMT".into(),
            limit_price: Some(Decimal::new(10_000, 2)),
            stop_price: None,
            trail_stop_price: None,
            tif: "DAY".into(),
            outside_rth: false,
            order_ref: format!("intent-{order_id}"),
        };
        events.push(broker(BrokerEvent::OrderSubmitted { order_id, intent_id: format!("intent-{order_id}"), terms }));
        events.push(broker(BrokerEvent::OrderStatus {
            order_id,
            client_id: 17,
            perm_id: None,
            status: "Submitted".into(),
            filled: None,
            remaining: None,
        }));
        if order_id % 3 == 0 {
            let exec_id = format!("0000.{order_id:04}");
            events.push(broker(BrokerEvent::Execution {
                exec_id: exec_id.clone(),
                order_id,
                client_id: 17,
                account: ACCOUNT.into(),
                symbol,
                side: "BOT".into(),
                shares: Decimal::from(40),
                price: Decimal::new(10_001, 2),
                time: String::new(),
            }));
            events.push(broker(BrokerEvent::Commission {
                exec_id,
                amount: Some(Decimal::ONE),
                currency: "USD".into(),
                realized_pnl: None,
            }));
        }
    }
    events
}

fn store_with(positions: i32, signals: i64) -> Store {
    let mut store = Store::new();
    for (i, event) in session_events(positions, signals).into_iter().enumerate() {
        store.apply(t(i as i64 / 100), event);
    }
    store
}

fn render_frame(c: &mut Criterion) {
    let mut store = store_with(500, 100);
    for event in market_events(100, 200) {
        store.apply(t(100), event);
    }
    let theme = Theme::fallback();
    let log_tail: Vec<String> = (0..50).map(|i| format!("14:30:{i:02} INFO line {i} of the log")).collect();
    let area = Rect::new(0, 0, 200, 50);
    let mut buf = Buffer::empty(area);
    let mut view = ViewState::new();
    view.focus = PaneId::Positions;
    view.pane_mut(PaneId::Positions).selected = 250;
    view.pane_mut(PaneId::Watchlist).selected = 50;
    view.pane_mut(PaneId::Orders).selected = 99;
    let ctx = RenderContext { now: t(120), theme: &theme, log_tail: &log_tail };
    // Every pane is on screen at this size; the bench would mean less if one were not.
    ui::render(area, &mut buf, &store, &view, &ctx);
    for pane in PaneId::ALL {
        assert!(view.last_rect(pane).is_some(), "{pane:?} not drawn at 200x50");
    }
    c.bench_function("cockpit frame 200x50, 7 panes, 500 positions, 100 quotes, 200 orders, 100 signals", |b| {
        b.iter(|| {
            buf.reset();
            ui::render(area, &mut buf, black_box(&store), &view, &ctx);
            black_box(&buf);
        })
    });
}

fn apply_events(c: &mut Criterion) {
    // A steady stream: portfolio updates, P&L, account values and heartbeats over a live
    // session with 500 positions.
    let base = store_with(500, 0);
    let mut stream = Vec::new();
    for i in 0..10_000i32 {
        let con_id = 1000 + i % 500;
        let price = Decimal::new(10_000 + i64::from(i % 977), 2);
        stream.push(match i % 4 {
            0 => broker(BrokerEvent::Portfolio {
                account: ACCOUNT.into(),
                con_id,
                symbol: format!("SYM{:03}", i % 500),
                currency: "USD".into(),
                quantity: Decimal::from(10),
                market_price: Some(price),
                market_value: Some(price * Decimal::from(10)),
                average_cost: None,
                unrealized_pnl: None,
                realized_pnl: None,
            }),
            1 => broker(BrokerEvent::PnlSingle {
                account: ACCOUNT.into(),
                con_id,
                daily: Some(price),
                unrealized: Some(price),
                realized: None,
            }),
            2 => broker(BrokerEvent::AccountValue {
                account: ACCOUNT.into(),
                tag: "NetLiquidation".into(),
                value: format!("{price}"),
                currency: "USD".into(),
            }),
            _ => broker(BrokerEvent::Heartbeat),
        });
    }
    let mut group = c.benchmark_group("store apply");
    group.throughput(Throughput::Elements(stream.len() as u64));
    group.bench_function("10k mixed events over 500 positions", |b| {
        b.iter_batched(
            || (base.clone(), stream.clone()),
            |(mut store, events)| {
                let now = t(300);
                for event in events {
                    black_box(store.apply(now, event));
                }
                store
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, render_frame, apply_events);
criterion_main!(benches);
