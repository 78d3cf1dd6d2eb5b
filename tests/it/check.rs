//! `robo-tui check` run as a process, stdin and stdout not a terminal.

use crate::support::{closed_port, Sandbox};
use std::process::Stdio;

#[test]
fn check_on_the_embedded_gateway_loads_everything_and_prints_the_account() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .command()
        .args(["check", "--embedded-port", "0"])
        .stdin(Stdio::null())
        .output()
        .expect("run robo-tui check");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("check: OK: all"), "{stdout}");
    assert!(stdout.contains("Account DU1234567 (PAPER), server version 226"), "{stdout}");
    for subsystem in
        ["config", "logging", "gateway", "broker", "subscription:account_summary", "subscription:positions", "strategy"]
    {
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(subsystem))
            .unwrap_or_else(|| panic!("no line for {subsystem} in\n{stdout}"));
        assert_eq!(line.split_whitespace().nth(1), Some("Ok"), "{line}");
    }
    // Figures arrived from the gateway: none of the headline tags is missing.
    for tag in ["NetLiquidation", "TotalCashValue", "BuyingPower", "AvailableFunds", "ExcessLiquidity"] {
        let line = stdout.lines().find(|l| l.trim_start().starts_with(tag)).unwrap_or_else(|| panic!("no {tag}"));
        assert!(line.ends_with("USD"), "{tag} has no value: {line}");
    }
    let positions = stdout.lines().find(|l| l.trim_start().starts_with("Positions:")).expect("positions line");
    let count: usize = positions.trim_start().trim_start_matches("Positions:").trim().parse().expect("count");
    assert!(count > 0, "the starting paper account holds positions: {stdout}");
    // Logs went to the sandbox's log folder, not to stdout.
    let logs: Vec<_> = std::fs::read_dir(sandbox.path().join("log")).expect("log dir").collect();
    assert!(!logs.is_empty(), "no log file written");
    assert!(!stdout.contains("INFO"), "log lines leaked to stdout:\n{stdout}");
}

#[test]
fn check_against_a_closed_port_fails_naming_the_broker_and_the_reason() {
    let sandbox = Sandbox::new();
    let port = closed_port().to_string();
    let output = sandbox.command().args(["check", "--port", &port]).stdin(Stdio::null()).output().expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "unreachable has its own exit code: {stdout}");
    assert!(stdout.contains("check: FAILED: not connected: connection refused"), "{stdout}");
    let broker = stdout.lines().find(|l| l.starts_with("broker ")).expect("broker line");
    assert!(broker.contains("Failed"), "{broker}");
    // The account figures were never faked.
    assert!(!stdout.contains("Account DU"), "{stdout}");
}

#[test]
fn a_broken_config_file_is_named_with_line_and_column_and_the_rest_still_runs() {
    let sandbox = Sandbox::new();
    let config = sandbox.path().join("bad.toml");
    std::fs::write(&config, "[broker]\nclient_id = \"seventeen\"\n").expect("write config");
    let output = sandbox
        .command()
        .args(["check", "--embedded-port", "0", "--config"])
        .arg(&config)
        .stdin(Stdio::null())
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let config_line = stdout.lines().find(|l| l.starts_with("config ")).expect("config line");
    assert!(config_line.contains("Failed"), "{config_line}");
    let cause = format!("{}:2:13", config.display());
    assert!(stdout.contains(&cause), "expected {cause} in\n{stdout}");
    // Everything else still loaded and connected on the defaults.
    assert!(stdout.contains("Account DU1234567 (PAPER)"), "{stdout}");
    assert!(stdout.contains("subsystems not Ok: config"), "{stdout}");
}

#[test]
fn check_json_reports_the_account_and_every_subsystem() {
    let sandbox = Sandbox::new();
    let output =
        sandbox.command().args(["check", "--json", "--embedded-port", "0"]).stdin(Stdio::null()).output().expect("run");
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stdout));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(report["ok"], true);
    assert_eq!(report["connection"]["state"], "live");
    assert_eq!(report["connection"]["server_version"], 226);
    let account = &report["accounts"]["DU1234567"];
    assert_eq!(account["kind"], "PAPER");
    let net: rust_decimal::Decimal =
        account["figures"]["NetLiquidation"]["value"].as_str().expect("value").parse().expect("decimal");
    assert!(net > rust_decimal::Decimal::ZERO);
    assert!(!account["positions"].as_array().expect("positions").is_empty());
    let subsystems = report["subsystems"].as_array().expect("subsystems");
    assert!(subsystems.iter().all(|s| s["health"] == "Ok"), "{subsystems:#?}");
    assert!(subsystems.iter().any(|s| s["name"] == "broker"));
}

#[test]
fn a_server_that_closes_during_the_handshake_exits_3_with_json_naming_it() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port().to_string();
    // Accept and close every connection at once, like a socat front whose gateway is down.
    listener.set_nonblocking(true).expect("nonblocking");
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = done.clone();
    let closer = std::thread::spawn(move || {
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            match listener.accept() {
                Ok((stream, _)) => drop(stream),
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
            }
        }
    });
    let sandbox = Sandbox::new();
    let output =
        sandbox.command().args(["check", "--json", "--port", &port]).stdin(Stdio::null()).output().expect("run");
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    closer.join().expect("closer thread");
    assert_eq!(output.status.code(), Some(3), "{}", String::from_utf8_lossy(&output.stdout));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(report["ok"], false);
    assert_eq!(report["connection"]["failure"], "Handshake");
    let reason = report["connection"]["reason"].as_str().expect("reason");
    assert!(reason.contains("closed the connection during the handshake"), "{reason}");
}

#[test]
fn check_exits_0_and_says_ok_as_assert_cmd_sees_it() {
    use predicates::prelude::*;
    let sandbox = Sandbox::new();
    assert_cmd::Command::from_std(sandbox.command())
        .args(["check", "--embedded-port", "0"])
        .write_stdin("")
        .assert()
        .success()
        .stdout(predicate::str::contains("check: OK: all").and(predicate::str::contains("DU1234567 (PAPER)")))
        .stderr(predicate::str::is_empty());
}
