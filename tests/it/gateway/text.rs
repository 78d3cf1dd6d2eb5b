//! The text dialect: raw text frames over a socket (handshake, version choice, errors, fuzzing)
//! and the real ib_async 2.1.0 from PyPI (tests/python/ib_async_client.py) against the gateway,
//! alone and beside an ibapi client on the same account.
//!
//! The ib_async tests need Python 3. The interpreter is, in order: `ROBO_TUI_PYTHON`; the venv
//! at `target/ib_async-venv`; a venv created there once (`python3 -m venv` and
//! `pip install ib_async==2.1.0`). When none works the tests print why and pass.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ibapi::orders::{Action, ExecutionFilter, Executions, OrderStatusKind, TimeInForce};
use ibapi::prelude::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use robo_tui::gateway::wire::codec::{Codec, Request};
use robo_tui::gateway::wire::text::{split_fields, TextCodec};
use robo_tui::gateway::{GatewayConfig, GatewayHandle};
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::account::{num, summary_snapshot};
use super::orders::{exec_id, order, place, Seen};
use super::wire::{frame, read_frame};
use super::{connect, reconnect, start, start_with, within};

// ----- raw text client ---------------------------------------------------------------------------

/// A text message from fields: each one ends with NUL.
fn msg(fields: &[&str]) -> Vec<u8> {
    let mut body = Vec::new();
    for f in fields {
        body.extend_from_slice(f.as_bytes());
        body.push(0);
    }
    frame(&body)
}

async fn read_fields(s: &mut TcpStream) -> Option<Vec<String>> {
    read_frame(s).await.map(|body| split_fields(&body))
}

/// Reads messages until one with id `id` arrives.
async fn expect_msg(s: &mut TcpStream, id: &str) -> Vec<String> {
    loop {
        let f = within("text message", read_fields(s)).await.expect("connection open");
        if f.first().map(String::as_str) == Some(id) {
            return f;
        }
    }
}

/// A raw text client past the handshake: the server version, NextValidId and ManagedAccounts.
async fn text_client(addr: std::net::SocketAddr, range: &str, client_id: i32) -> (TcpStream, String, Vec<Vec<String>>) {
    let mut s = TcpStream::connect(addr).await.expect("connects");
    s.write_all(b"API\0").await.expect("prefix");
    s.write_all(&frame(range.as_bytes())).await.expect("version");
    let reply = within("handshake reply", read_fields(&mut s)).await.expect("reply");
    assert_eq!(reply.len(), 2, "the handshake reply is exactly version and time: {reply:?}");
    s.write_all(&msg(&["71", "2", &client_id.to_string(), ""])).await.expect("start api");
    let mut startup = Vec::new();
    loop {
        let f = within("startup message", read_fields(&mut s)).await.expect("open");
        let last = f.first().map(String::as_str) == Some("4") && f.get(3).map(String::as_str) == Some("2158");
        startup.push(f);
        if last {
            return (s, reply[0].clone(), startup);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_handshake_answers_178_with_three_field_ids_and_six_field_notices() {
    let gw = start().await;
    let (_s, version, startup) = text_client(gw.local_addr(), "v157..178 +PACEAPI", 7).await;
    assert_eq!(version, "178");
    let next_id = startup.iter().find(|f| f[0] == "9").expect("NextValidId");
    assert_eq!(next_id.len(), 3);
    assert_eq!(next_id[2], gw.next_valid_id().to_string());
    assert_eq!(startup.iter().find(|f| f[0] == "15").expect("ManagedAccounts"), &["15", "1", "DU1234567"]);
    let notices: Vec<_> = startup.iter().filter(|f| f[0] == "4").collect();
    assert_eq!(notices.len(), 3);
    for n in notices {
        assert_eq!((n.len(), n[1].as_str(), n[2].as_str(), n[5].as_str()), (6, "2", "-1", ""), "{n:?}");
    }
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_version_is_the_clients_maximum_up_to_178() {
    // The refused 201-212 gap is in wire.rs (other_dialects_are_closed_cleanly).
    let gw = start().await;
    let (_a, v, _) = text_client(gw.local_addr(), "v157..176", 1).await;
    assert_eq!(v, "176");
    let (_b, v, _) = text_client(gw.local_addr(), "v100..200", 2).await;
    assert_eq!(v, "178");
    // Protobuf clients are unchanged.
    let client = connect(&gw, 3).await;
    assert_eq!(client.server_version(), 226);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_unserved_and_malformed_text_requests_get_ib_errors_and_the_session_goes_on() {
    let gw = start().await;
    let (mut s, _, _) = text_client(gw.local_addr(), "v157..178", 4).await;
    s.write_all(&msg(&["999", "1"])).await.expect("write");
    let e = expect_msg(&mut s, "4").await;
    assert_eq!((e[2].as_str(), e[3].as_str()), ("-1", "505"), "{e:?}");
    assert!(e[4].starts_with("Fatal Error: Unknown message id."), "{e:?}");
    s.write_all(&msg(&["1", "11", "abc"])).await.expect("write");
    let e = expect_msg(&mut s, "4").await;
    assert_eq!(e[3], "320", "{e:?}");
    assert!(e[4].contains("message 1") && e[4].contains("reqId"), "names the message and the field: {e:?}");
    s.write_all(&msg(&["62", "1"])).await.expect("write");
    let e = expect_msg(&mut s, "4").await;
    assert_eq!(e[3], "320", "{e:?}");
    // Known but unserved: 321 to the waiting request.
    s.write_all(&msg(&["22", "77", "10"])).await.expect("write");
    let e = expect_msg(&mut s, "4").await;
    assert_eq!((e[2].as_str(), e[3].as_str()), ("77", "321"), "{e:?}");
    s.write_all(&msg(&["hello"])).await.expect("write");
    assert_eq!(expect_msg(&mut s, "4").await[3], "505");
    // Cancels of unserved requests stay silent; the session still answers.
    s.write_all(&msg(&["23", "1", "5"])).await.expect("write");
    s.write_all(&msg(&["49", "1"])).await.expect("write");
    let t = within("time", read_fields(&mut s)).await.expect("open");
    assert_eq!((t[0].as_str(), t.len()), ("49", 3), "{t:?}");
    assert!(t[2].parse::<i64>().expect("epoch") > 1_700_000_000);
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_text_order_fills_and_reaches_the_protobuf_side() {
    let gw = start().await;
    let (mut s, _, _) = text_client(gw.local_addr(), "v157..178", 9).await;
    let id = gw.next_valid_id().to_string();
    let contract = ["0", "MSFT", "STK", "", "0.0", "", "", "SMART", "", "USD", "", ""];
    let mut fields = vec!["3", id.as_str()];
    fields.extend(contract);
    // secIdType, secId, action, qty, type, lmt, aux, tif, oca, account, openClose, origin, orderRef, transmit
    fields.extend(["", "", "BUY", "3", "MKT", "", "", "", "", "", "O", "0", "raw", "1"]);
    // parentId .. hidden, sharesAllocation .. faPercentage, modelCode .. stockRangeUpper
    fields.extend(["0", "0", "0", "0", "0", "0", "0", "", "0.0", "", "", "", "", "", ""]);
    fields.extend(["0", "", "-1", "0", "", "", "0", "", "", "0", "0", "", "0", "", "", "", "", ""]);
    // override .. deltaNeutralAuxPrice, continuousUpdate .. activeStopTime, hedgeType .. whatIf
    fields.extend(["0", "", "", "", "", "0", "", "", "", "", "", "", "", "", ""]);
    fields.extend(["", "0", "", "", "0", "0", "", "", "0", "", "0", "0", "0", "0"]);
    s.write_all(&msg(&fields)).await.expect("place");
    let open = expect_msg(&mut s, "5").await;
    assert_eq!(open.len(), 127, "OPEN_ORDER for a plain order");
    assert_eq!((open[1].as_str(), open[24].as_str()), (id.as_str(), "9"), "order id and the connection's client id");
    assert!(open[25].parse::<i64>().expect("perm id") > 0);
    let exec = expect_msg(&mut s, "11").await;
    assert_eq!((exec.len(), exec[18].as_str(), exec[19].as_str()), (32, "BOT", "3"), "{exec:?}");
    let comm = expect_msg(&mut s, "59").await;
    assert_eq!((comm.len(), comm[2].as_str()), (8, exec[14].as_str()));
    let filled = loop {
        let st = expect_msg(&mut s, "3").await;
        if st[2] == "Filled" {
            break st;
        }
    };
    assert_eq!((filled.len(), filled[3].as_str(), filled[4].as_str(), filled[9].as_str()), (12, "3", "0", "9"));
    let received = gw.received_orders();
    let r = received.last().expect("recorded");
    assert_eq!(
        (r.symbol.as_deref(), r.total_quantity.as_deref(), r.order_type.as_deref()),
        (Some("MSFT"), Some("3"), Some("MKT"))
    );
    let master = connect(&gw, 0).await;
    let ids = executions_of(&master).await;
    assert!(ids.iter().any(|(id, _, shares)| *id == exec[14] && *shares == 3.0), "{ids:?}");
    gw.shutdown().await;
}

// ----- fuzzing -----------------------------------------------------------------------------------

/// A field as clients send them, and some they never would.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        (-5i64..200).prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|x| x.to_string()),
        Just("BAG".to_string()),
        Just("Infinite".to_string()),
        Just("1.7976931348623157E308".to_string()),
        "[A-Za-z0-9 .,:;$+-]{0,12}",
        ".{0,8}",
    ]
}

fn body(id: i32, fields: &[String]) -> Vec<u8> {
    let mut b = format!("{id}\0").into_bytes();
    for f in fields {
        b.extend_from_slice(f.as_bytes());
        b.push(0);
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Random fields behind every message id, at every text version: a request or an error.
    #[test]
    fn text_decoder_is_total_over_random_fields(
        id in -2i32..110,
        fields in proptest::collection::vec(field(), 0..120),
        version in 157i32..=178,
        truncate in any::<bool>(),
    ) {
        let mut b = body(id, &fields);
        if truncate {
            b.pop();
        }
        let _ = TextCodec::new(version).decode(&b);
    }

    /// Random bytes decode or fail cleanly too.
    #[test]
    fn text_decoder_is_total_over_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = TextCodec::new(178).decode(&bytes);
    }
}

#[test]
fn random_text_frames_after_the_handshake_never_take_the_gateway_down() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let gw = start().await;
        let ibapi = connect(&gw, 1).await;
        let (mut bystander, _, _) = text_client(gw.local_addr(), "v157..178", 2).await;
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::default());
        let messages = proptest::collection::vec((0i32..110, proptest::collection::vec(field(), 0..40)), 1..12);
        for case in 0..24 {
            let batch = messages.new_tree(&mut runner).expect("value").current();
            let (mut raw, _, _) = text_client(gw.local_addr(), "v157..178", 100 + case).await;
            let mut out = Vec::new();
            for (id, fields) in &batch {
                out.extend(frame(&body(*id, fields)));
            }
            // Every other case ends with random bytes, which may break the framing.
            if case % 2 == 1 {
                out.extend(proptest::collection::vec(any::<u8>(), 1..64).new_tree(&mut runner).expect("v").current());
            }
            let _ = raw.write_all(&out).await;
            drop(raw);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(within("ibapi alive", ibapi.server_time()).await.is_ok());
        bystander.write_all(&msg(&["49", "1"])).await.expect("write");
        assert_eq!(expect_msg(&mut bystander, "49").await.len(), 3);
        let (mut fresh, _, _) = text_client(gw.local_addr(), "v157..178", 3).await;
        fresh.write_all(&msg(&["61", "1"])).await.expect("write");
        expect_msg(&mut fresh, "62").await;
        gw.shutdown().await;
    });
}

#[test]
fn every_request_kind_decodes_from_a_well_formed_frame() {
    // The shortest well-formed frame of each served id, as ib_async lays it out.
    let c = TextCodec::new(178);
    let contract = "0\0AAPL\0STK\0\x000.0\0\0\0SMART\0\0USD\0\0\0";
    type Check = fn(&Request) -> bool;
    let cases: Vec<(String, Check)> = vec![
        (format!("1\x0011\x005\0{contract}0\0\x000\x000\0\0"), |r| matches!(r, Request::MarketData(_))),
        (format!("50\x003\x005\0{contract}5\0TRADES\x000\0\0"), |r| matches!(r, Request::RealTimeBars(_))),
        (format!("97\x005\0{contract}Last\x000\x000\0"), |r| matches!(r, Request::TickByTick(_))),
        (format!("9\x008\x005\0{contract}0\0\0\0\0"), |r| matches!(r, Request::ContractData(_))),
        (format!("87\x005\0{contract}0\x001\0TRADES\x001\0"), |r| matches!(r, Request::HeadTimestamp(_))),
        ("4\x001\x007\0".to_string(), |r| matches!(r, Request::CancelOrder(_))),
        ("15\x001\x000\0".to_string(), |r| matches!(r, Request::AutoOpenOrders(false))),
    ];
    for (b, ok) in cases {
        let r = c.decode(b.as_bytes()).unwrap_or_else(|e| panic!("{e}: {b:?}"));
        assert!(ok(&r), "{r:?}");
    }
}

// ----- ib_async ----------------------------------------------------------------------------------

static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// The interpreter with ib_async, or `None` after printing why the test is skipped.
fn python() -> Option<PathBuf> {
    match PYTHON.get_or_init(resolve_python) {
        Ok(p) => Some(p.clone()),
        Err(why) => {
            eprintln!("skipping ib_async test: {why}");
            None
        }
    }
}

fn imports_ib_async(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import ib_async, sys; sys.exit(0 if ib_async.__version__.startswith('2.') else 1)"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn resolve_python() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("ROBO_TUI_PYTHON").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if imports_ib_async(&p) {
            Ok(p)
        } else {
            Err(format!("ROBO_TUI_PYTHON={} cannot import ib_async 2.x", p.display()))
        };
    }
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    let venv = target.join("ib_async-venv");
    let python = venv.join("bin").join("python");
    if imports_ib_async(&python) {
        return Ok(python);
    }
    std::fs::create_dir_all(&target).map_err(|e| format!("cannot create {}: {e}", target.display()))?;
    // Another test process may be building the venv: one at a time.
    let _lock = VenvLock::acquire(&target.join("ib_async-venv.lock"))?;
    if imports_ib_async(&python) {
        return Ok(python);
    }
    let ran = |cmd: &mut Command, what: &str| -> Result<(), String> {
        let out = cmd.stdin(Stdio::null()).output().map_err(|e| format!("{what}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            Err(format!("{what} failed: {}", err.lines().last().unwrap_or("")))
        }
    };
    eprintln!("creating {} with ib_async 2.1.0 (once)", venv.display());
    let _ = std::fs::remove_dir_all(&venv);
    ran(Command::new("python3").arg("-m").arg("venv").arg(&venv), "python3 -m venv (python3 and python3-venv needed)")?;
    ran(
        Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "ib_async==2.1.0",
        ]),
        "pip install ib_async==2.1.0",
    )?;
    if imports_ib_async(&python) {
        Ok(python)
    } else {
        Err(format!("{} cannot import ib_async after installing it", python.display()))
    }
}

/// An exclusive advisory lock on a file, released when dropped (with the file).
struct VenvLock {
    _file: std::fs::File,
}

impl VenvLock {
    fn acquire(path: &Path) -> Result<Self, String> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: flock on a descriptor this struct owns; it is released when the file closes.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
                return Err(format!("cannot lock {}", path.display()));
            }
        }
        Ok(VenvLock { _file: file })
    }
}

/// Runs `tests/python/ib_async_client.py` against `gw` and returns the JSON it printed.
async fn ib_async(py: &Path, gw: &GatewayHandle, client_id: i32, args: &[&str]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/ib_async_client.py");
    let mut cmd = Command::new(py);
    cmd.arg(script)
        .args(["--port", &gw.local_addr().port().to_string(), "--client-id", &client_id.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let what = format!("ib_async {args:?}");
    let out = tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().expect("python starts");
        let deadline = Instant::now() + Duration::from_secs(60);
        while child.try_wait().expect("wait").is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        child.wait_with_output().expect("output")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what} failed ({}):\n{stdout}\n{stderr}", out.status);
    let last = stdout.lines().last().unwrap_or("");
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {stdout}\n{stderr}"))
}

fn f64_of(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn fast() -> GatewayConfig {
    let mut c = GatewayConfig::embedded(0);
    c.speed = 50.0;
    c
}

fn frozen() -> GatewayConfig {
    let mut c = GatewayConfig::embedded(0);
    c.speed = 0.0;
    c
}

/// Error codes other than the farm notices.
fn errors(v: &Value) -> Vec<i64> {
    v["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["code"].as_i64())
        .filter(|c| !(2100..2200).contains(c))
        .collect()
}

/// (symbol -> (quantity, average cost)) as ibapi sees the account.
async fn ibapi_positions(client: &Client) -> HashMap<String, (f64, f64)> {
    let mut sub = within("positions", client.positions()).await.expect("subscribes");
    let mut seen = HashMap::new();
    loop {
        match within("position", sub.next()).await {
            Some(Ok(SubscriptionItem::Data(PositionUpdate::Position(p)))) => {
                seen.insert(p.contract.symbol.to_string(), (p.position, p.average_cost));
            }
            Some(Ok(SubscriptionItem::Data(PositionUpdate::PositionEnd))) => return seen,
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// (exec id, side, shares) of today's executions as `client` sees them.
async fn executions_of(client: &Client) -> Vec<(String, String, f64)> {
    let mut sub = within("executions", client.executions(ExecutionFilter::default())).await.expect("executions");
    let mut out = Vec::new();
    while let Some(item) = within("execution", sub.next()).await {
        if let Ok(SubscriptionItem::Data(Executions::ExecutionData(e))) = item {
            out.push((e.execution.execution_id.clone(), format!("{:?}", e.execution.side), e.execution.shares));
        }
    }
    out
}

fn text_positions(v: &Value) -> HashMap<String, (f64, f64)> {
    v.as_array()
        .expect("positions")
        .iter()
        .map(|p| (p["symbol"].as_str().unwrap_or("").to_string(), (f64_of(&p["position"]), f64_of(&p["avgCost"]))))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ib_async_syncs_and_sees_the_same_account_as_ibapi() {
    let Some(py) = python() else { return };
    let gw = start_with(frozen()).await;
    let out = ib_async(&py, &gw, 11, &["account"]).await;
    assert_eq!(out["server_version"], 178);
    assert!(f64_of(&out["connect_s"]) < 4.0, "connect and startup sync within ib_async's timeout");
    assert_eq!(out["accounts"], serde_json::json!(["DU1234567"]));
    assert_eq!(errors(&out), Vec::<i64>::new());
    // Positions equal what the gateway holds, as the protobuf side reports it.
    let ibapi = connect(&gw, 12).await;
    let expected = ibapi_positions(&ibapi).await;
    let positions = text_positions(&out["positions"]);
    assert_eq!(positions, expected);
    assert_eq!(positions["AAPL"], (100.0, 190.25), "the starting book");
    // Portfolio: 20-field rows with the primary exchange, value = position x price.
    let aapl =
        out["portfolio"].as_array().expect("portfolio").iter().find(|p| p["symbol"] == "AAPL").expect("AAPL row");
    assert_eq!((aapl["position"].as_f64(), aapl["primaryExchange"].as_str()), (Some(100.0), Some("NASDAQ")));
    let (price, value) = (f64_of(&aapl["marketPrice"]), f64_of(&aapl["marketValue"]));
    assert!((price * 100.0 - value).abs() < 0.01, "{price} x 100 != {value}");
    assert!((f64_of(&aapl["unrealizedPNL"]) - (value - 100.0 * 190.25)).abs() < 0.01);
    // Account values (reqAccountUpdates) and summary agree with each other and with ibapi.
    let (summary, _sub) = summary_snapshot(&ibapi, &["NetLiquidation", "TotalCashValue", "BuyingPower"]).await;
    for key in ["NetLiquidation:USD", "TotalCashValue:USD", "BuyingPower:USD"] {
        let via_updates: f64 = out["account_values"][key].as_str().expect(key).parse().expect("number");
        let via_summary: f64 = out["summary"][key].as_str().expect(key).parse().expect("number");
        assert_eq!(via_updates, via_summary, "{key}");
        assert_eq!(via_summary, num(&summary, key), "{key}: text and protobuf clients disagree");
    }
    assert_eq!(out["summary"]["AccountType:"], "INDIVIDUAL");
    assert!(out["summary"]["CashBalance:BASE"].is_string(), "$LEDGER:ALL rows");
    assert_eq!(out["pnl_single"]["position"], 100.0);
    assert!(out["pnl"]["unrealized"].is_number());
    assert!((f64_of(&out["current_time"]) - f64_of(&out["wall_time_s"])).abs() < 5.0);
    assert_eq!(out["req_ids"], serde_json::json!([gw.next_valid_id()]), "reqIds answers NEXT_VALID_ID");
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ib_async_qualifies_and_streams_ticks_bars_tick_by_tick_and_history() {
    let Some(py) = python() else { return };
    let gw = start_with(fast()).await;
    let out = ib_async(&py, &gw, 21, &["market"]).await;
    assert_eq!(out["complete"], true, "ticks, bars and tick-by-tick arrived: {out}");
    let q = &out["qualified"][0];
    assert_eq!(
        (q["conId"].as_i64(), q["primaryExchange"].as_str(), q["tradingClass"].as_str()),
        (Some(265598), Some("NASDAQ"), Some("NMS"))
    );
    assert!(out["qualified"][1].is_null(), "an unknown symbol does not qualify");
    assert_eq!(errors(&out), vec![200], "only the unknown symbol's 200");
    let t = &out["ticker"];
    let (bid, ask) = (f64_of(&t["bid"]), f64_of(&t["ask"]));
    assert!(bid > 0.0 && bid < ask, "{t}");
    for p in [bid, ask, f64_of(&t["last"])] {
        assert!(((p * 100.0).round() - p * 100.0).abs() < 1e-6, "{p} off the tick grid");
    }
    assert_eq!(t["close"], 231.45, "previous close from the universe");
    assert_eq!((t["marketDataType"].as_i64(), t["minTick"].as_f64()), (Some(1), Some(0.01)));
    assert!(f64_of(&t["volume"]) > 0.0);
    assert!(out["bars"].as_i64().unwrap_or(0) >= 2);
    let bar = &out["bar"];
    assert!(f64_of(&bar["high"]) >= f64_of(&bar["low"]) && f64_of(&bar["volume"]) >= 0.0);
    assert_eq!(f64_of(&bar["time"]) as i64 % 5, 0, "5-second bars start on the grid");
    for q in out["bid_ask"].as_array().expect("bid_ask") {
        assert!(f64_of(&q["bid"]) < f64_of(&q["ask"]) && f64_of(&q["bidSize"]) > 0.0, "{q}");
    }
    assert_eq!(out["lasts"][0]["exchange"], "NASDAQ");
    let history = &out["history"];
    assert_eq!(history["bars"], 24, "1 D of 1 hour bars");
    assert!((f64_of(&history["last_close"]) / f64_of(&t["last"]) - 1.0).abs() < 0.05, "history joins the live price");
    let years = (f64_of(&out["wall_time_s"]) - f64_of(&out["head_timestamp"])) / (365.0 * 86_400.0);
    assert!((4.9..5.1).contains(&years), "head timestamp five years back: {years}");
    assert!(
        out["matching_symbols"].as_array().expect("symbols").iter().any(|s| s == "MSFT"),
        "{}",
        out["matching_symbols"]
    );
    assert_eq!(out["market_rule"], serde_json::json!([[0.0, 0.01]]));
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ib_async_limit_order_fills_with_commission_cancel_and_completed_orders() {
    let Some(py) = python() else { return };
    let gw = start_with(frozen()).await;
    let out = ib_async(&py, &gw, 31, &["order"]).await;
    let limit = f64_of(&out["limit"]);
    let trade = &out["trade"];
    assert_eq!(
        (trade["status"].as_str(), trade["filled"].as_f64(), trade["clientId"].as_i64()),
        (Some("Filled"), Some(10.0), Some(31))
    );
    let perm_id = trade["permId"].as_i64().expect("perm id");
    assert!(perm_id > 0);
    let fills = out["fills"].as_array().expect("fills");
    assert_eq!(fills.len(), 1, "{fills:?}");
    let f = &fills[0];
    assert_eq!((f["side"].as_str(), f["shares"].as_f64(), f["clientId"].as_i64()), (Some("BOT"), Some(10.0), Some(31)));
    assert_eq!(
        (f["permId"].as_i64(), f["orderId"].as_i64(), f["account"].as_str()),
        (Some(perm_id), trade["orderId"].as_i64(), Some("DU1234567"))
    );
    assert!(f64_of(&f["price"]) <= limit, "filled at {} above the limit {limit}", f["price"]);
    assert_eq!(f["commission"], 1.0, "USD 0.005 a share, USD 1.00 minimum");
    assert_eq!((f["commissionCurrency"].as_str(), &f["commissionExecId"]), (Some("USD"), &f["execId"]));
    assert_eq!(f64_of(&trade["avgFillPrice"]), f64_of(&f["price"]));
    // The execution time ("YYYYMMDD HH:MM:SS US/Eastern" on the wire) reads back as this instant.
    let time = chrono::DateTime::parse_from_rfc3339(f["time"].as_str().expect("time")).expect("ISO time");
    let age = f64_of(&out["wall_time_s"]) - time.timestamp() as f64;
    assert!((0.0..60.0).contains(&age), "execution time {time} is {age} s from now");
    let before = f64_of(&out["positions_before"]["AAPL"]);
    assert_eq!(f64_of(&out["positions_after"]["AAPL"]), before + 10.0);
    let resting = &out["resting"];
    assert_eq!((resting["before_cancel"].as_str(), resting["status"].as_str()), (Some("Submitted"), Some("Cancelled")));
    let margin_change: f64 = out["what_if"]["initMarginChange"].as_str().and_then(|s| s.parse().ok()).expect("margin");
    assert!(margin_change > 0.0, "what-if margin change {margin_change}");
    assert_eq!(out["what_if"]["commission"], 1.0);
    assert_eq!(out["rejected"]["codes"], serde_json::json!([200]));
    let global = &out["global_cancel"];
    assert_eq!(global["statuses"], serde_json::json!(["Cancelled", "Cancelled"]), "reqGlobalCancel");
    let open: Vec<i64> = out["open_orders"].as_array().expect("open orders").iter().filter_map(Value::as_i64).collect();
    for id in global["orderIds"].as_array().expect("ids") {
        assert!(open.contains(&id.as_i64().expect("id")), "reqAllOpenOrders lists {id}: {open:?}");
    }
    assert_eq!(errors(&out), vec![202, 202, 202, 200], "three cancels' 202, the unknown contract's 200");
    let completed = out["completed"].as_array().expect("completed");
    let status_of =
        |perm: i64| completed.iter().find(|c| c["permId"].as_i64() == Some(perm)).map(|c| c["status"].clone());
    assert_eq!(status_of(perm_id), Some(Value::from("Filled")));
    assert!(completed.iter().any(|c| c["status"] == "Cancelled" && c["totalQuantity"] == 5.0), "{completed:?}");
    assert!(out["executions"].as_array().expect("executions").iter().any(|e| e["execId"] == f["execId"]));
    // What the gateway received from the text client.
    let received = gw.received_orders();
    let lmt =
        received.iter().find(|r| r.order_type.as_deref() == Some("LMT") && r.total_quantity.as_deref() == Some("10"));
    let lmt = lmt.unwrap_or_else(|| panic!("{received:?}"));
    assert_eq!((lmt.client_id, lmt.lmt_price, lmt.account.as_deref()), (31, Some(limit), Some("DU1234567")));
    assert!(received.iter().any(|r| r.what_if), "the what-if order");
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ib_async_capped_at_176_163_and_157_gets_those_layouts_and_still_trades() {
    let Some(py) = python() else { return };
    let gw = start_with(frozen()).await;
    for (version, client_id) in [(176, 41), (163, 42), (157, 43)] {
        let v = version.to_string();
        let out = ib_async(&py, &gw, client_id, &["--max-version", &v, "place", "--action", "BUY", "--qty", "2"]).await;
        assert_eq!(out["server_version"], version);
        assert_eq!(out["status"], "Filled", "{out}");
        let f = &out["fills"][0];
        assert_eq!(
            (f["shares"].as_f64(), f["clientId"].as_i64(), f["commission"].as_f64()),
            (Some(2.0), Some(client_id as i64), Some(1.0))
        );
        assert_eq!(errors(&out), Vec::<i64>::new());
    }
    gw.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_and_ibapi_clients_share_one_account_both_ways() {
    let Some(py) = python() else { return };
    let gw = start_with(frozen()).await;
    let ibapi = connect(&gw, 1).await;
    let before = ibapi_positions(&ibapi).await["AAPL"].0;

    // ib_async buys; ibapi sees the position and (as the master client) the execution.
    let text = ib_async(&py, &gw, 3, &["place", "--action", "BUY", "--qty", "7"]).await;
    assert_eq!(text["status"], "Filled");
    let text_exec = text["fills"][0]["execId"].as_str().expect("exec id").to_string();
    assert_eq!(ibapi_positions(&ibapi).await["AAPL"].0, before + 7.0);
    let master = reconnect(&gw, 0).await;
    let execs = executions_of(&master).await;
    assert!(execs.iter().any(|(id, side, shares)| *id == text_exec && side == "Bought" && *shares == 7.0), "{execs:?}");
    master.disconnect().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while gw.client_ids().contains(&0) {
        assert!(Instant::now() < deadline, "client id 0 never released");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // ibapi sells; ib_async (master client 0) sees the position and the execution.
    let seen =
        place(&ibapi, ibapi.next_order_id(), "AAPL", &order(Action::Sell, 4.0, "MKT", None, None, TimeInForce::Day))
            .await;
    assert!(seen.iter().any(|s| matches!(s, Seen::Status(OrderStatusKind::Filled, ..))), "{seen:?}");
    let ibapi_exec = exec_id(&seen).expect("execution");
    let seen_by_text = ib_async(&py, &gw, 0, &["observe"]).await;
    assert_eq!(text_positions(&seen_by_text["positions"])["AAPL"].0, before + 7.0 - 4.0);
    let execs = seen_by_text["executions"].as_array().expect("executions");
    let sold = execs.iter().find(|e| e["execId"] == ibapi_exec.as_str()).unwrap_or_else(|| panic!("{execs:?}"));
    assert_eq!(
        (sold["side"].as_str(), sold["shares"].as_f64(), sold["clientId"].as_i64()),
        (Some("SLD"), Some(4.0), Some(1))
    );
    assert!(execs.iter().any(|e| e["execId"] == text_exec.as_str()), "both executions: {execs:?}");
    let fills = seen_by_text["fills"].as_array().expect("fills");
    let sold = fills.iter().find(|e| e["execId"] == ibapi_exec.as_str()).expect("fill with its commission");
    assert_eq!(sold["commission"], 1.0);
    gw.shutdown().await;
}

/// Runs a script from tests/it/gateway with ib_async on its own thread; its JSON comes back
/// through the handle, so the test can move the market meanwhile.
fn spawn_script(py: &Path, port: u16, client_id: i32, script: &str, args: &[String]) -> tokio::task::JoinHandle<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/gateway").join(script);
    let mut cmd = Command::new(py);
    cmd.arg(path)
        .args(["--port", &port.to_string(), "--client-id", &client_id.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let what = format!("{script} {args:?}");
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().expect("python starts");
        let deadline = Instant::now() + Duration::from_secs(60);
        while child.try_wait().expect("wait").is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let out = child.wait_with_output().expect("output");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{what} failed ({}):\n{stdout}\n{stderr}", out.status);
        let last = stdout.lines().last().unwrap_or("");
        serde_json::from_str(last).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {stdout}\n{stderr}"))
    })
}

/// Polls `cond` (the gateway's own state) until it holds, under the global timeout.
async fn gateway_until(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + super::T;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ib_async_bracket_order_and_one_cancels_all_get_ibs_group_behaviour() {
    let Some(py) = python() else { return };
    let gw = start_with(frozen()).await;
    let (_, ask, _) = gw.quote("AAPL").expect("quote");
    let run = spawn_script(&py, gw.local_addr().port(), 51, "ib_async_groups.py", &["--ask".into(), ask.to_string()]);
    // The bracket arrives: entry (transmit=0), target (transmit=0, parentId), stop (transmit=1).
    gateway_until("the bracket's three legs", || {
        gw.received_orders().iter().filter(|r| r.client_id == 51).count() >= 3
    })
    .await;
    let legs: Vec<_> = gw.received_orders().into_iter().filter(|r| r.client_id == 51).collect();
    let parent = legs[0].order_id.expect("id");
    assert_eq!(
        legs.iter().map(|r| (r.transmit, r.parent_id)).collect::<Vec<_>>(),
        vec![(false, 0), (false, parent), (true, parent)],
        "{legs:?}"
    );
    let (take, stop) = (legs[1].order_id.expect("id"), legs[2].order_id.expect("id"));
    gateway_until("entry filled, exits working", || {
        gw.order_status(51, parent) == Some("Filled") && gw.order_status(51, take) == Some("Submitted")
    })
    .await;
    assert_eq!(gw.order_status(51, stop), Some("PreSubmitted"), "an untriggered stop works as PreSubmitted");
    gw.control().move_market("AAPL", 200);
    // Then the OCA pair arrives and works; the market rises through the near one.
    gateway_until("the OCA pair working", || {
        let oca: Vec<_> =
            gw.received_orders().into_iter().filter(|r| r.oca_group.as_deref() == Some("robo-oca")).collect();
        oca.len() == 2
            && oca.iter().all(|r| r.oca_type == 2 && gw.order_status(51, r.order_id.unwrap_or(0)) == Some("Submitted"))
    })
    .await;
    gw.control().move_market("AAPL", 50);
    let out = within("ib_async script", run).await.expect("script ran");
    let entry = &out["after_entry"];
    assert_eq!(entry["ok"], true, "{out}");
    assert_eq!(out["transmit"], serde_json::json!([false, false, true]));
    assert_eq!((entry["parent"]["status"].as_str(), entry["parent"]["fills"].as_f64()), (Some("Filled"), Some(10.0)));
    assert_eq!(entry["take"]["parentId"], parent);
    // ib_async saw the exits held for the entry, then working.
    let take_log: Vec<&str> = entry["take"]["log"].as_array().expect("log").iter().filter_map(Value::as_str).collect();
    assert!(take_log.contains(&"Inactive") && take_log.contains(&"PreSubmitted"), "{take_log:?}");
    let held = take_log.iter().position(|s| *s == "PreSubmitted");
    assert!(held < take_log.iter().position(|s| *s == "Submitted"), "held, then working: {take_log:?}");
    let after = &out["after_target"];
    assert_eq!(after["ok"], true, "{out}");
    assert_eq!((after["take"]["fills"].as_f64(), after["stop"]["fills"].as_f64()), (Some(10.0), Some(0.0)));
    let oca = &out["oca"];
    assert_eq!(oca["ok"], true, "{out}");
    assert_eq!((oca["near"]["fills"].as_f64(), oca["far"]["status"].as_str()), (Some(4.0), Some("Submitted")));
    assert_eq!(oca["far"]["totalQuantity"], 6.0, "reduced by the near member's fill");
    assert_eq!(errors(&out), vec![202], "only the stop's cancel");
    gw.shutdown().await;
}
