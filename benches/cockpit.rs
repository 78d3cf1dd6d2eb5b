//! Speed goals: a full cockpit frame at 200x50 with 500 positions and 100 signals renders in
//! under 1 ms (median), and `Store::apply` takes more than 1M events/s.

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use robo_tui::config::theme::Theme;
use robo_tui::store::{
    BrokerEvent, Health, Signal, SignalSide, Store, StoreEvent, StrategyEvent, SubsystemEvent, SubsystemStatus,
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

fn store_with(positions: i32, signals: i64) -> Store {
    let mut store = Store::new();
    for (i, event) in session_events(positions, signals).into_iter().enumerate() {
        store.apply(t(i as i64 / 100), event);
    }
    store
}

fn render_frame(c: &mut Criterion) {
    let store = store_with(500, 100);
    let theme = Theme::fallback();
    let log_tail: Vec<String> = (0..50).map(|i| format!("14:30:{i:02} INFO line {i} of the log")).collect();
    let area = Rect::new(0, 0, 200, 50);
    let mut buf = Buffer::empty(area);
    let mut view = ViewState::new();
    view.focus = PaneId::Positions;
    view.pane_mut(PaneId::Positions).selected = 250;
    let ctx = RenderContext { now: t(120), theme: &theme, log_tail: &log_tail };
    c.bench_function("cockpit frame 200x50, 500 positions, 100 signals", |b| {
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
