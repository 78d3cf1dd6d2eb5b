//! `robo-tui check`: load every subsystem, connect, fetch accounts, account summary and
//! positions, print what loaded and the account figures, disconnect, and exit non-zero naming
//! whatever failed. The "minimal runner" that tells you which part is broken.

use super::core::{Core, CoreOptions};
use crate::store::{AccountKind, ConnectionState, DisconnectKind, Health, Store, SUMMARY_TAGS};
use chrono::Utc;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// The outcome of a check: the report to print and the process exit code.
pub struct CheckReport {
    pub text: String,
    pub exit_code: i32,
}

/// Exit codes: distinct so scripts can tell the failures apart.
pub const EXIT_OK: i32 = 0;
/// Connected, but a subsystem failed to load.
pub const EXIT_SUBSYSTEM_FAILED: i32 = 1;
/// Nothing answered at the gateway's address.
pub const EXIT_UNREACHABLE: i32 = 2;
/// Something answered but the TWS handshake failed (closed, silent, client id in use, too old).
pub const EXIT_HANDSHAKE_FAILED: i32 = 3;

/// Run the check and render its report as text, or as JSON with `json`. Never panics on a
/// failing part: every failure ends up in the report.
pub async fn run(options: CoreOptions, json: bool) -> CheckReport {
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
    let exit_code = exit_code(&store, live_at);
    let text = if json {
        json_report(&store, live_at, exit_code)
    } else {
        report(&store, live_at, timed_out, deadline, exit_code)
    };
    CheckReport { text, exit_code }
}

fn exit_code(store: &Store, live_at: Option<Duration>) -> i32 {
    match (live_at, store.connection.last_failure) {
        (None, Some(DisconnectKind::Unreachable)) => EXIT_UNREACHABLE,
        (None, _) => EXIT_HANDSHAKE_FAILED,
        (Some(_), _) if store.all_subsystems_ok() => EXIT_OK,
        (Some(_), _) => EXIT_SUBSYSTEM_FAILED,
    }
}

/// The machine-readable form of the report.
fn json_report(store: &Store, live_at: Option<Duration>, exit_code: i32) -> String {
    let connection = &store.connection;
    let subsystems: Vec<serde_json::Value> = store
        .subsystems
        .iter()
        .map(|(name, s)| {
            serde_json::json!({
                "name": name,
                "health": s.health.label(),
                "load_ms": s.load_time.map(|d| d.as_secs_f64() * 1000.0),
                "detail": s.detail,
                "errors": s.errors,
                "restarts": s.restarts,
            })
        })
        .collect();
    let accounts: serde_json::Map<String, serde_json::Value> = connection
        .managed_accounts
        .iter()
        .map(|account| {
            let state = store.accounts.get(account);
            let figures: serde_json::Map<String, serde_json::Value> = SUMMARY_TAGS
                .iter()
                .map(|tag| {
                    let figure = state.and_then(|s| s.figure(tag));
                    let value = figure.map_or(serde_json::Value::Null, |f| {
                        serde_json::json!({ "value": f.value.map(|v| v.to_string()).unwrap_or_else(|| f.text.clone()), "currency": f.currency })
                    });
                    (tag.to_string(), value)
                })
                .collect();
            let positions: Vec<serde_json::Value> = store
                .positions_of(account)
                .map(|(key, row)| {
                    serde_json::json!({
                        "con_id": key.con_id,
                        "symbol": row.symbol,
                        "quantity": row.quantity.to_string(),
                        "average_cost": row.average_cost.map(|v| v.to_string()),
                        "market_value": row.market_value.map(|v| v.to_string()),
                    })
                })
                .collect();
            let value = serde_json::json!({
                "kind": AccountKind::of(account).label(),
                "figures": figures,
                "positions": positions,
            });
            (account.clone(), value)
        })
        .collect();
    let reason = match &connection.state {
        ConnectionState::Down { reason } => Some(reason.clone()),
        _ => None,
    };
    let report = serde_json::json!({
        "ok": exit_code == EXIT_OK,
        "exit_code": exit_code,
        "gateway": { "address": connection.address, "origin": connection.gateway_origin },
        "client_id": connection.client_id,
        "connection": {
            "state": connection.state.label(),
            "server_version": connection.server_version,
            "failure": connection.last_failure,
            "reason": reason,
            "live_after_ms": live_at.map(|d| d.as_millis() as u64),
        },
        "subsystems": subsystems,
        "accounts": accounts,
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

fn report(store: &Store, live_at: Option<Duration>, timed_out: bool, deadline: Duration, exit_code: i32) -> String {
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
    match (live_at, exit_code) {
        (Some(live), EXIT_OK) => {
            let _ = writeln!(
                text,
                "check: OK: all {} subsystems loaded; connected and reconciled in {} ms",
                store.subsystems.len(),
                live.as_millis()
            );
        }
        _ => {
            let reason = match (&connection.state, timed_out) {
                (ConnectionState::Down { reason }, _) => format!("not connected: {reason}"),
                (_, true) => format!("gave up after {}s waiting for the gateway", deadline.as_secs()),
                _ => "connected".to_string(),
            };
            let names = if failing.is_empty() { "none".to_string() } else { failing.join(", ") };
            let _ = writeln!(text, "check: FAILED: {reason}; subsystems not Ok: {names}");
        }
    }
    text
}
