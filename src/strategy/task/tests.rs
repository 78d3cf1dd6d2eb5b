//! Tests for the strategy task: isolation, restarts, signals and rejected rows.

use super::*;
use crate::store::{Health, SignalSide, SubsystemEvent};
use crate::strategy::market_data::Bar;
use crate::strategy::spec::{parse_strategies, StrategySpecFile};
use crate::strategy::strategy::SignalDraft;
use crate::strategy::test_support::{bar, bar_time, d};

/// Signals "bar <close>" on every bar.
struct Echo;

impl Strategy for Echo {
    fn name(&self) -> &str {
        "echo"
    }

    fn on_bar(&mut self, bar: &Bar) -> Result<Option<SignalDraft>, StrategyError> {
        Ok(Some(SignalDraft { side: SignalSide::Buy, strength: d("1"), reason: format!("bar {}", bar.close) }))
    }

    fn is_ready(&self) -> bool {
        true
    }
}

/// Panics on the third bar of each life.
struct Panicky {
    bars: u32,
}

impl Strategy for Panicky {
    fn name(&self) -> &str {
        "panicky"
    }

    fn on_bar(&mut self, bar: &Bar) -> Result<Option<SignalDraft>, StrategyError> {
        self.bars += 1;
        if self.bars == 3 {
            panic!("boom on close {}", bar.close);
        }
        Ok(None)
    }

    fn is_ready(&self) -> bool {
        true
    }
}

fn instance(id: &str, symbol: &str, factory: impl Fn() -> Box<dyn Strategy> + Send + Sync + 'static) -> Instance {
    Instance { id: id.into(), symbol: symbol.into(), factory: Arc::new(factory) }
}

/// Receive events until `done` says so (in virtual time, so backoffs pass instantly).
async fn collect(events: &mut mpsc::Receiver<StoreEvent>, done: impl Fn(&[StoreEvent]) -> bool) -> Vec<StoreEvent> {
    let mut seen = Vec::new();
    while !done(&seen) {
        match tokio::time::timeout(Duration::from_secs(600), events.recv()).await {
            Ok(Some(event)) => seen.push(event),
            Ok(None) => panic!("events closed; seen {seen:#?}"),
            Err(_) => panic!("timed out; seen {seen:#?}"),
        }
    }
    seen
}

fn reasons(events: &[StoreEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            StoreEvent::Strategy(StrategyEvent::Signal(signal)) => Some(signal.reason.clone()),
            _ => None,
        })
        .collect()
}

fn statuses<'a>(events: &'a [StoreEvent], id: &str) -> Vec<&'a SubsystemEvent> {
    events
        .iter()
        .filter_map(|e| match e {
            StoreEvent::Subsystem(event) if event.id == id => Some(event),
            _ => None,
        })
        .collect()
}

fn failures<'a>(events: &'a [StoreEvent], id: &str) -> Vec<&'a SubsystemEvent> {
    statuses(events, id).into_iter().filter(|e| e.status.health == Health::Failed).collect()
}

#[tokio::test(start_paused = true)]
async fn a_panicking_strategy_is_failed_and_restarted_while_the_other_keeps_signalling() {
    let (events_tx, mut events) = mpsc::channel(256);
    let (input_tx, input) = mpsc::channel(64);
    let reporter = Reporter::register("strategy", events_tx.clone());
    let instances = vec![
        instance("strategy:panicky:SPY", "SPY", || Box::new(Panicky { bars: 0 })),
        instance("strategy:echo:SPY", "SPY", || Box::new(Echo)),
    ];
    let task = tokio::spawn(run_instances(instances, 0, input, events_tx, reporter, RESTART_POLICY));
    for n in 1..=7 {
        input_tx.send(bar("SPY", n, &n.to_string()).into()).await.expect("the router is running");
    }
    // First life: bars 1, 2, panic on 3. Second life (fresh state, bar 3 not replayed): bars 4,
    // 5, panic on 6.
    let seen =
        collect(&mut events, |seen| reasons(seen).len() == 7 && failures(seen, "strategy:panicky:SPY").len() == 2)
            .await;

    assert_eq!(reasons(&seen), (1..=7).map(|n| format!("bar {n}")).collect::<Vec<_>>());
    let failed = failures(&seen, "strategy:panicky:SPY");
    assert_eq!(failed[0].status.errors, vec!["panicked: boom on close 3"]);
    assert_eq!(failed[0].status.detail, "restarting in 1s");
    assert_eq!(failed[0].status.restarts, 0);
    assert_eq!(failed[1].status.errors, vec!["panicked: boom on close 6"]);
    assert_eq!(failed[1].status.detail, "restarting in 2s");
    assert_eq!(failed[1].status.restarts, 1);
    // Between the two failures it came back up: restarting, warming up, running.
    let panicky: Vec<(Health, &str, u32)> = statuses(&seen, "strategy:panicky:SPY")
        .iter()
        .map(|e| (e.status.health, e.status.detail.as_str(), e.status.restarts))
        .collect();
    let first_failure = panicky.iter().position(|s| s.0 == Health::Failed).expect("a failure");
    assert_eq!(
        panicky[first_failure + 1..first_failure + 4],
        [
            (Health::Pending, "restarting", 1),
            (Health::Ok, "panicky: warming up", 1),
            (Health::Ok, "panicky: running", 1),
        ]
    );
    // The echo strategy never failed.
    assert!(statuses(&seen, "strategy:echo:SPY").iter().all(|e| e.status.health != Health::Failed));

    drop(input_tx);
    tokio::time::timeout(Duration::from_secs(600), task).await.expect("run ends").expect("no panic in run");
}

#[tokio::test(start_paused = true)]
async fn an_error_fails_the_instance_with_its_message() {
    let (events_tx, mut events) = mpsc::channel(256);
    let (input_tx, input) = mpsc::channel(64);
    let (specs, rejected) = parse_strategies(vec![StrategySpecFile {
        kind: Some("rsi".into()),
        symbol: Some("SPY".into()),
        period: Some(14),
        oversold: Some(d("30")),
        overbought: Some(d("70")),
        ..StrategySpecFile::default()
    }]);
    let task = tokio::spawn(run(specs, rejected, input, events_tx.clone(), Reporter::register("strategy", events_tx)));
    input_tx.send(bar("SPY", 0, "0").into()).await.expect("the router is running");
    let seen = collect(&mut events, |seen| !failures(seen, "strategy:rsi:SPY").is_empty()).await;
    assert_eq!(
        failures(&seen, "strategy:rsi:SPY")[0].status.errors,
        vec![
            "SPY bar at 2026-01-05 14:30:00 UTC: close 0 is not a usable price (expected above 0 and at most \
         1000000000000)"
        ]
    );
    drop(input_tx);
    tokio::time::timeout(Duration::from_secs(600), task).await.expect("run ends").expect("no panic in run");
}

#[tokio::test(start_paused = true)]
async fn configured_strategies_signal_and_rejected_rows_are_reported() {
    let (events_tx, mut events) = mpsc::channel(256);
    let (input_tx, input) = mpsc::channel(64);
    let (specs, rejected) = parse_strategies(vec![
        StrategySpecFile {
            kind: Some("sma_cross".into()),
            symbol: Some("SPY".into()),
            fast: Some(2),
            slow: Some(3),
            ..StrategySpecFile::default()
        },
        StrategySpecFile {
            kind: Some("zscore".into()),
            symbol: Some("QQQ".into()),
            window: Some(20),
            ..StrategySpecFile::default()
        },
    ]);
    let task = tokio::spawn(run(specs, rejected, input, events_tx.clone(), Reporter::register("strategy", events_tx)));
    // The series from sma_cross's test: BUY on bar 4, SELL on bar 6. QQQ bars go nowhere.
    for (n, close) in ["3", "2", "1", "1", "4", "4", "1", "1"].into_iter().enumerate() {
        input_tx.send(bar("SPY", n as u32, close).into()).await.expect("the router is running");
        input_tx.send(bar("QQQ", n as u32, close).into()).await.expect("the router is running");
    }
    drop(input_tx);
    // Few events here: the channel holds them all until run has finished.
    tokio::time::timeout(Duration::from_secs(600), task).await.expect("run ends").expect("no panic in run");
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(event);
    }

    let signals: Vec<_> = seen
        .iter()
        .filter_map(|e| match e {
            StoreEvent::Strategy(StrategyEvent::Signal(signal)) => Some(signal.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(signals.len(), 2, "{signals:#?}");
    assert_eq!(signals[0].at, bar_time(4));
    assert_eq!(signals[0].symbol, "SPY");
    assert_eq!(signals[0].strategy, "sma_cross(2,3)");
    assert_eq!(signals[0].side, SignalSide::Buy);
    assert_eq!(signals[0].reason, "SMA2 crossed above SMA3");
    assert_eq!((signals[1].at, signals[1].side), (bar_time(6), SignalSide::Sell));

    let sma: Vec<(Health, &str)> =
        statuses(&seen, "strategy:sma_cross:SPY").iter().map(|e| (e.status.health, e.status.detail.as_str())).collect();
    assert_eq!(
        sma,
        vec![
            (Health::Pending, "loading"),
            (Health::Ok, "sma_cross(2,3): warming up"),
            (Health::Ok, "sma_cross(2,3): running"),
        ]
    );
    let rejected = failures(&seen, "strategy:zscore:QQQ");
    assert_eq!(rejected.len(), 1);
    assert_eq!(
        rejected[0].status.errors,
        vec![
            "[[strategy]] row 2 (zscore on QQQ): `entry` is missing: zscore needs `window`, `entry` and `exit` (e.g. \
         window = 20, entry = 2.0, exit = 0.5); `exit` is missing: zscore needs `window`, `entry` and `exit` (e.g. \
         window = 20, entry = 2.0, exit = 0.5)"
        ]
    );
    let summary = statuses(&seen, "strategy").last().map(|e| (e.status.health, e.status.detail.clone()));
    assert_eq!(summary, Some((Health::Degraded, "1 running, 1 rejected".to_string())));
}
