//! `robo-tui check`: load every subsystem, connect, fetch accounts, account summary and
//! positions, print what loaded and the account figures, disconnect, and exit non-zero naming
//! whatever failed. The "minimal runner" that tells you which part is broken.

use super::core::{Core, CoreOptions};
use crate::store::{AccountKind, ConnectionState, Health, Store, SUMMARY_TAGS};
use chrono::Utc;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// The outcome of a check: the report to print and the process exit code.
pub struct CheckReport {
    pub text: String,
    pub exit_code: i32,
}

/// Run the check. Never panics on a failing part: every failure ends up in the report.
pub async fn run(options: CoreOptions) -> CheckReport {
    let started = Instant::now();
    let mut core = Core::start(CoreOptions { reconnect: false, ..options }).await;
    let deadline = Duration::from_secs(core.config.broker.connect_timeout_secs + 10);
    let mut store = Store::new();
    let mut live_at = None;
    let outcome = tokio::time::timeout(deadline, async {
        while let Some(event) = core.events.recv().await {
            store.apply(Utc::now(), event);
            match &store.connection.state {
                ConnectionState::Live if live_at.is_none() => live_at = Some(started.elapsed()),
                ConnectionState::Down { .. } => return,
                _ => {}
            }
            // Done once live and no subsystem is still loading.
            if live_at.is_some() && !store.subsystems.values().any(|s| s.health == Health::Pending) {
                return;
            }
        }
    })
    .await;
    let timed_out = outcome.is_err();
    core.shutdown().await;
    // Reports sent while shutting down (the broker's "disconnected cleanly") are not needed.
    report(&store, live_at, timed_out, deadline)
}

fn report(store: &Store, live_at: Option<Duration>, timed_out: bool, deadline: Duration) -> CheckReport {
    let mut text = String::new();
    let connection = &store.connection;
    let _ = writeln!(
        text,
        "robo-tui check: gateway {} ({}), client id {}",
        connection.address, connection.gateway_origin, connection.client_id
    );
    let _ = writeln!(text);
    let _ = writeln!(text, "{:<32} {:<9} {:>9}  DETAIL", "SUBSYSTEM", "STATE", "LOAD");
    for (name, status) in &store.subsystems {
        let load = status.load_time.map_or("--".to_string(), |d| format!("{:.1}ms", d.as_secs_f64() * 1000.0));
        let _ = writeln!(text, "{name:<32} {:<9} {load:>9}  {}", status.health.label(), status.detail);
        for error in &status.errors {
            let _ = writeln!(text, "{:<32} {:<9} {:>9}    caused by: {error}", "", "", "");
        }
    }
    let _ = writeln!(text);

    for account in &connection.managed_accounts {
        let kind = AccountKind::of(account);
        let _ = writeln!(
            text,
            "Account {account} ({}), server version {}",
            kind.label(),
            connection.server_version.map_or("--".into(), |v| v.to_string())
        );
        let state = store.accounts.get(account);
        for tag in SUMMARY_TAGS {
            let figure = state.and_then(|s| s.figure(tag));
            let value = match figure {
                Some(f) => match f.value {
                    Some(v) => format!("{} {}", v.round_dp(2), f.currency).trim_end().to_string(),
                    None => f.text.clone(),
                },
                None => "--".to_string(),
            };
            let _ = writeln!(text, "  {tag:<22} {value}");
        }
        let positions: Vec<_> = store.positions_of(account).collect();
        let _ = writeln!(text, "  Positions: {}", positions.len());
        for (_, row) in positions {
            let avg = row.average_cost.map_or("--".to_string(), |v| v.round_dp(2).to_string());
            let value = row.market_value.map_or("--".to_string(), |v| v.round_dp(2).to_string());
            let _ = writeln!(text, "    {:<8} {:>10}  avg {:>10}  value {:>12}", row.symbol, row.quantity, avg, value);
        }
        let _ = writeln!(text);
    }

    let failing: Vec<&str> =
        store.subsystems.iter().filter(|(_, s)| s.health != Health::Ok).map(|(name, _)| name.as_str()).collect();
    let exit_code = match (live_at, failing.is_empty()) {
        (Some(live), true) => {
            let _ = writeln!(
                text,
                "check: OK: all {} subsystems loaded; connected and reconciled in {} ms",
                store.subsystems.len(),
                live.as_millis()
            );
            0
        }
        _ => {
            let reason = match (&connection.state, timed_out) {
                (ConnectionState::Down { reason }, _) => format!("not connected: {reason}"),
                (_, true) => format!("gave up after {}s waiting for the gateway", deadline.as_secs()),
                _ => "connected".to_string(),
            };
            let names = if failing.is_empty() { "none".to_string() } else { failing.join(", ") };
            let _ = writeln!(text, "check: FAILED: {reason}; subsystems not Ok: {names}");
            1
        }
    };
    CheckReport { text, exit_code }
}
