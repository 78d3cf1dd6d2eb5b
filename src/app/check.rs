//! `robo-tui check`: load every subsystem, connect, fetch accounts, account summary and
//! positions, print what loaded and the account figures, disconnect, and exit non-zero naming
//! whatever failed. The "minimal runner" that tells you which part is broken.

use super::core::{Core, CoreOptions};
use super::timeline::Timeline;
use crate::store::{AccountKind, ConnectionState, DisconnectKind, Health, Store, SUMMARY_TAGS};
use crate::ui::format;
use crate::ui::panes::accounts;
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
    let mut timeline = Timeline::default();
    timeline.mark("runtime");
    let mut core = Core::start(CoreOptions { reconnect: false, ..options }).await;
    timeline.mark("started");
    let deadline = Duration::from_secs(core.config.broker.connect_timeout_secs + 10);
    let mut store = Store::new();
    let mut live_at = None;
    let outcome = tokio::time::timeout(deadline, async {
        while let Some(event) = core.events.recv().await {
            store.apply(Utc::now(), event);
            match &store.connection.state {
                ConnectionState::Live if live_at.is_none() => {
                    live_at = Some(started.elapsed());
                    timeline.mark("reconciled");
                }
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
    timeline.mark("answered");
    core.shutdown().await;
    timeline.mark("stopped");
    // Reports sent while shutting down (the broker's "disconnected cleanly") are not needed.
    let exit_code = exit_code(&store, live_at);
    let text = if json {
        json_report(&store, live_at, &timeline, exit_code)
    } else {
        report(&store, live_at, &timeline, timed_out, deadline, exit_code)
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
fn json_report(store: &Store, live_at: Option<Duration>, timeline: &Timeline, exit_code: i32) -> String {
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
        "timeline_ms": timeline.json(),
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

fn report(
    store: &Store,
    live_at: Option<Duration>,
    timeline: &Timeline,
    timed_out: bool,
    deadline: Duration,
    exit_code: i32,
) -> String {
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
        // The same figures as the Accounts pane, formatted the same way, values aligned.
        for tag in SUMMARY_TAGS {
            let (value, currency) = match state.and_then(|s| s.figure(tag)) {
                Some(figure) => accounts::figure_text(tag, figure),
                None => (format::MISSING.to_string(), String::new()),
            };
            let _ = writeln!(text, "  {tag:<22} {value:>16} {currency}");
        }
        let positions: Vec<_> = store.positions_of(account).collect();
        let _ = writeln!(text, "  Positions: {}", positions.len());
        for (_, row) in positions {
            let avg = format::or_missing(row.average_cost, format::money);
            let value = format::or_missing(row.market_value, format::money);
            let quantity = format::quantity(row.quantity);
            let _ = writeln!(text, "    {:<8} {quantity:>10}  avg {avg:>12}  value {value:>14}", row.symbol);
        }
        let _ = writeln!(text);
    }

    let _ = writeln!(text, "ms since start: {}", timeline.line());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::test_support::{account_value, portfolio, position, reconciling};

    fn text_of(store: &Store) -> String {
        let timeline = Timeline::default();
        report(store, Some(Duration::from_millis(5)), &timeline, false, Duration::from_secs(10), EXIT_OK)
    }

    fn line<'a>(text: &'a str, start: &str) -> &'a str {
        text.lines().find(|l| l.trim_start().starts_with(start)).unwrap_or_else(|| panic!("no {start} in\n{text}"))
    }

    #[test]
    fn figures_read_like_the_accounts_pane() {
        let mut store = reconciling();
        account_value(&mut store, 4, "TotalCashValue", "1000000");
        account_value(&mut store, 4, "Cushion", "0.98988");
        account_value(&mut store, 4, "DayTradesRemaining", "-1");
        let text = text_of(&store);
        assert!(line(&text, "NetLiquidation").ends_with("1,000,123.45 USD"), "{text}");
        assert!(line(&text, "TotalCashValue").ends_with("1,000,000.00 USD"), "{text}");
        assert!(line(&text, "Cushion").trim_end().ends_with("98.99%"), "a percentage, no currency: {text}");
        assert!(line(&text, "DayTradesRemaining").trim_end().ends_with("unlimited"), "{text}");
        // Not arrived: `--`, never a zero.
        assert!(line(&text, "BuyingPower").trim_end().ends_with("--"), "{text}");
    }

    #[test]
    fn positions_show_two_decimals_and_dashes_until_their_value_arrives() {
        let mut store = reconciling();
        position(&mut store, 4, 265598, "AAPL", "1200", "190.255");
        position(&mut store, 4, 756733, "SPY", "50", "540.1");
        portfolio(&mut store, 5, 265598, "AAPL", "1200", "231.45", "277740");
        let text = text_of(&store);
        let aapl = line(&text, "AAPL");
        assert!(aapl.contains("1,200") && aapl.contains("190.26") && aapl.ends_with("277,740.00"), "{aapl}");
        let spy = line(&text, "SPY");
        assert!(spy.contains("540.10") && spy.trim_end().ends_with("--"), "{spy}");
    }
}
