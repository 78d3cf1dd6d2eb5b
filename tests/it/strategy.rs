//! A strategy that fails is reported in diagnostics and restarted, while the other strategy
//! keeps signalling and the cockpit keeps rendering from the same store.

use chrono::{TimeZone, Utc};
use robo_tui::config::theme::Theme;
use robo_tui::diagnostics::Reporter;
use robo_tui::store::{Health, Store};
use robo_tui::strategy::{self, Bar, StrategySpecFile};
use robo_tui::ui::{self, RenderContext, ViewState};
use rust_decimal::Decimal;
use std::time::Duration;
use tokio::sync::mpsc;

fn bar(symbol: &str, i: i64, close: Decimal) -> Bar {
    Bar {
        symbol: symbol.into(),
        time: Utc.with_ymd_and_hms(2026, 11, 28, 14, 30, 0).single().expect("time") + chrono::Duration::seconds(5 * i),
        open: close,
        high: close,
        low: close,
        close,
        volume: Decimal::from(100),
    }
}

fn screen(store: &Store) -> String {
    let theme = Theme::fallback();
    let view = ViewState::new();
    let ctx = RenderContext { now: Utc::now(), theme: &theme, log_tail: &[] };
    ui::render_text(160, 45, |frame| ui::draw(frame, store, &view, &ctx))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_strategy_is_reported_and_restarted_while_the_rest_goes_on() {
    let rows = vec![
        StrategySpecFile {
            kind: Some("sma_cross".into()),
            symbol: Some("SPY".into()),
            fast: Some(2),
            slow: Some(3),
            ..Default::default()
        },
        StrategySpecFile {
            kind: Some("sma_cross".into()),
            symbol: Some("QQQ".into()),
            fast: Some(2),
            slow: Some(3),
            ..Default::default()
        },
    ];
    let (specs, rejected) = strategy::parse_strategies(rows);
    assert_eq!(specs.len(), 2);
    let (events_tx, mut events) = mpsc::channel(1024);
    let (market, market_rx) = mpsc::channel(strategy::INPUT_CAPACITY);
    let reporter = Reporter::register("strategy", events_tx.clone());
    tokio::spawn(strategy::run(specs, rejected, market_rx, events_tx, reporter));

    let mut store = Store::new();
    // SPY gets a bar it cannot use (a close of zero): that strategy fails.
    market.send(bar("SPY", 0, Decimal::ZERO).into()).await.expect("send");
    // QQQ falls then rises: its fast average crosses above the slow one.
    for (i, close) in [10, 9, 8, 7, 8, 10, 12].into_iter().enumerate() {
        market.send(bar("QQQ", i as i64, Decimal::from(close)).into()).await.expect("send");
    }
    let waited = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let failed = store.subsystems.iter().any(|(id, s)| id.contains("SPY") && s.health == Health::Failed);
            if failed && !store.signals.is_empty() {
                break;
            }
            let Some(event) = events.recv().await else { break };
            store.apply(Utc::now(), event);
            // The cockpit draws after every event, failure or not.
            assert!(screen(&store).contains("Diagnostics"));
        }
    })
    .await;
    assert!(waited.is_ok(), "{:#?}", store.subsystems);
    let (id, status) = store.subsystems.iter().find(|(id, _)| id.contains("SPY")).expect("SPY strategy registered");
    assert_eq!(status.health, Health::Failed, "{id}: {status:?}");
    assert!(status.errors.iter().any(|e| e.contains("close")), "{status:?}");
    let signal = store.signals.back().expect("QQQ signalled");
    assert_eq!(signal.symbol, "QQQ");
    assert!(signal.reason.contains("crossed above"), "{}", signal.reason);
    let drawn = screen(&store);
    assert!(drawn.contains("Failed"), "diagnostics shows the failure:\n{drawn}");
    assert!(drawn.contains("QQQ"), "the signal is on screen:\n{drawn}");
    // The failed strategy is restarted after its backoff and comes back.
    let restarted = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(event) = events.recv().await {
            store.apply(Utc::now(), event);
            if store.subsystems.iter().any(|(id, s)| id.contains("SPY") && s.restarts >= 1 && s.health == Health::Ok) {
                return;
            }
        }
    })
    .await;
    assert!(restarted.is_ok(), "{:#?}", store.subsystems);
}
