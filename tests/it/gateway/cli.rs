//! The `gateway` command's flags.

use clap::Parser;
use robo_tui::gateway::{GatewayArgs, GatewayError};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: GatewayArgs,
}

fn parse(args: &[&str]) -> GatewayArgs {
    let mut all = vec!["gateway"];
    all.extend_from_slice(args);
    Cli::try_parse_from(all).expect("flags parse").args
}

#[test]
fn defaults_are_paper_port_loopback_one_account() {
    let c = parse(&[]).to_config().expect("config");
    assert_eq!(c.bind.to_string(), "127.0.0.1:4002");
    assert!(!c.allow_non_loopback);
    assert_eq!(c.accounts, vec!["DU1234567".to_string()]);
    assert_eq!((c.seed, c.speed), (1, 1.0));
    assert!(c.state_file.is_none());
}

#[test]
fn every_flag_reaches_the_config() {
    let c = parse(&[
        "--port",
        "4100",
        "--bind",
        "0.0.0.0",
        "--accounts",
        "DU1,U2",
        "--seed",
        "7",
        "--state",
        "/tmp/s.json",
        "--speed",
        "0",
        "--faults",
        "delay=5ms,pacing",
        "--universe",
        "/tmp/u.toml",
    ])
    .to_config()
    .expect("config");
    assert_eq!(c.bind.to_string(), "0.0.0.0:4100");
    assert!(c.allow_non_loopback, "an explicit --bind allows a non-loopback address");
    assert_eq!(c.accounts, vec!["DU1".to_string(), "U2".to_string()]);
    assert_eq!((c.seed, c.speed), (7, 0.0));
    assert_eq!(c.state_file.as_deref(), Some(std::path::Path::new("/tmp/s.json")));
    assert_eq!(c.universe.as_deref(), Some(std::path::Path::new("/tmp/u.toml")));
    assert!(c.faults.settings.pacing);
    assert_eq!(c.faults.settings.delay, Some(std::time::Duration::from_millis(5)));
}

#[test]
fn bad_fault_spec_is_reported() {
    let err = parse(&["--faults", "boom"]).to_config().expect_err("bad spec");
    assert!(matches!(err, GatewayError::BadFaultSpec { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn universe_file_overrides_the_embedded_one() {
    let dir = std::env::temp_dir().join(format!("robo-gw-universe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("u.toml");
    std::fs::write(
        &file,
        "[[instrument]]\nsymbol = \"ACME\"\ncon_id = 4242\nprimary_exchange = \"NYSE\"\nlong_name = \"ACME CORP\"\nclose = \"12.34\"\n\n[[instrument]]\nsymbol = \"AAPL\"\ncon_id = 265598\nprimary_exchange = \"NASDAQ\"\nlong_name = \"APPLE INC\"\nclose = \"100.00\"\n\n[[instrument]]\nsymbol = \"SPY\"\ncon_id = 756733\nprimary_exchange = \"ARCA\"\nlong_name = \"SPDR\"\nclose = \"500.00\"\n",
    )
    .expect("write");
    let mut config = parse(&["--port", "0", "--universe", file.to_str().expect("utf8")]).to_config().expect("config");
    config.speed = 0.0;
    let gw = robo_tui::gateway::spawn(config).await.expect("spawns");
    let client = super::connect(&gw, 1).await;
    let details = super::within("details", client.contract_details(&ibapi::prelude::Contract::stock("ACME").build()))
        .await
        .expect("ACME known");
    assert_eq!(details[0].contract.contract_id, 4242);
    assert!(super::within("msft", client.contract_details(&ibapi::prelude::Contract::stock("MSFT").build()))
        .await
        .is_err());
    gw.shutdown().await;
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[[instrument]]\nsymbol = 3\n").expect("write");
    let mut config = parse(&["--port", "0", "--universe", bad.to_str().expect("utf8")]).to_config().expect("config");
    config.speed = 0.0;
    let err = robo_tui::gateway::spawn(config).await.err().expect("bad universe");
    assert!(matches!(&err, GatewayError::BadAsset { file, .. } if file.contains("bad.toml")), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_command_serves_clients_and_logs_requests_to_a_file() {
    let dir = std::env::temp_dir().join(format!("robo-gw-standalone-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let log = dir.join("gw.log");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let args = parse(&["--port", &port.to_string(), "--speed", "0", "--log", log.to_str().expect("utf8")]);
    let task = tokio::spawn(robo_tui::gateway::run_standalone(args));
    let addr = format!("127.0.0.1:{port}");
    let mut client = None;
    for _ in 0..200 {
        let fut = ibapi::Client::builder().address(&addr).client_id(77).max_reconnect_attempts(0).connect();
        if let Ok(Ok(c)) = tokio::time::timeout(super::T, fut).await {
            client = Some(c);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let client = client.expect("standalone gateway accepts clients");
    assert!(super::within("time", client.server_time()).await.is_ok());
    let mut logged = String::new();
    for _ in 0..200 {
        logged = std::fs::read_to_string(&log).unwrap_or_default();
        if logged.contains("CurrentTime") && logged.contains("client_id=77") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(logged.contains("accepted connection"), "{logged}");
    assert!(logged.contains("client_id=77"), "{logged}");
    assert!(logged.contains("CurrentTime"), "request logged: {logged}");
    task.abort();
    let _ = std::fs::remove_dir_all(&dir);
}
