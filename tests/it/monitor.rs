//! `robo-tui monitor` in real terminals of several sizes, beside a standalone gateway; and
//! `snapshot` as a process with no terminal.

use crate::support::{closed_port, Sandbox};
use crate::tmux::{cockpit_command, tmux_available, Tmux};
use std::process::{Child, Stdio};
use std::time::Duration;

/// A standalone `robo-tui gateway` with a frozen market, logging requests to a file.
struct StandaloneGateway {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl StandaloneGateway {
    fn start(sandbox: &Sandbox) -> StandaloneGateway {
        let port = closed_port();
        let log = sandbox.path().join("gateway.log");
        let child = sandbox
            .command()
            .args(["gateway", "--port", &port.to_string(), "--speed", "0", "--log"])
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the gateway");
        let start = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(start.elapsed() < Duration::from_secs(10), "the standalone gateway never listened");
            std::thread::sleep(Duration::from_millis(50));
        }
        StandaloneGateway { child, port, log }
    }

    fn requests_of(&self, client_id: i32) -> Vec<String> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let marker = format!("client_id={client_id} request=");
        text.lines().filter(|l| l.contains(&marker)).map(str::to_string).collect()
    }
}

impl Drop for StandaloneGateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines_fit(screen: &str, width: usize) -> bool {
    screen.lines().all(|l| l.chars().count() <= width)
}

#[test]
fn the_monitor_fits_every_pane_size_and_relays_out_on_resize() {
    if !tmux_available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install -y tmux)");
        return;
    }
    let sandbox = Sandbox::new();
    let gateway = StandaloneGateway::start(&sandbox);
    let args = format!("monitor --port {}", gateway.port);
    let tmux = Tmux::start("monitor", 80, 24, &cockpit_command(&sandbox, &args));
    let screen = tmux.wait_for("the monitor at 80x24", Duration::from_secs(30), |s| {
        s.contains("DU1234567")
            && s.contains("PAPER")
            && s.contains("live")
            && s.contains("Net Liq")
            && s.contains("AAPL")
    });
    assert!(screen.contains("Positions"), "{screen}");
    assert!(lines_fit(&screen, 80));
    for (width, height, expect) in
        [(60u16, 15u16, vec!["PAPER", "Net Liq"]), (40, 10, vec!["PAPER"]), (20, 5, vec!["PAPER"])]
    {
        let _ = tmux.run(&["resize-window", "-t", "monitor", "-x", &width.to_string(), "-y", &height.to_string()]);
        let screen = tmux.wait_for(&format!("the monitor at {width}x{height}"), Duration::from_secs(15), |s| {
            expect.iter().all(|e| s.contains(e)) && lines_fit(s, width as usize) && s.lines().count() <= height as usize
        });
        assert!(!screen.contains("panicked"), "{screen}");
    }
    // Back to a full pane: the full layout returns at once.
    let _ = tmux.run(&["resize-window", "-t", "monitor", "-x", "80", "-y", "24"]);
    tmux.wait_for("the full layout again", Duration::from_secs(15), |s| {
        s.contains("Positions") && s.contains("Net Liq")
    });
    tmux.send_keys(&["q"]);
    let screen = tmux.wait_for("the monitor to exit", Duration::from_secs(10), |s| s.contains("MODES"));
    assert!(screen.contains("EXIT=0") && screen.contains("icanon echo"), "{screen}");
}

#[test]
fn a_monitor_in_which_every_key_was_pressed_sent_no_order() {
    if !tmux_available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install -y tmux)");
        return;
    }
    let sandbox = Sandbox::new();
    let gateway = StandaloneGateway::start(&sandbox);
    let args = format!("monitor --ascii --port {}", gateway.port);
    let tmux = Tmux::start("readonly", 100, 30, &cockpit_command(&sandbox, &args));
    tmux.wait_for("the monitor", Duration::from_secs(30), |s| s.contains("PAPER") && s.contains("live"));
    // Every printable key but `q`, then Enter, Tab, Esc and friends, several times over.
    let keys: Vec<String> = (33u8..127).map(|b| (b as char).to_string()).filter(|k| k != "q").collect();
    for chunk in keys.chunks(16) {
        let joined = chunk.concat();
        tmux.send_keys(&["-l", &joined]);
    }
    tmux.send_keys(&["Enter", "Tab", "BTab", "Escape", "Space", "y", "Enter"]);
    tmux.wait_for("the read-only notice", Duration::from_secs(15), |s| s.contains("read-only monitor"));
    tmux.send_keys(&["C-c"]);
    // An order key said so on screen rather than opening a ticket.
    let screen = tmux.wait_for("the monitor to end (C-c)", Duration::from_secs(10), |s| s.contains("MODES"));
    assert!(screen.contains("EXIT=0"), "{screen}");
    let requests = gateway.requests_of(18);
    assert!(!requests.is_empty(), "the monitor (client id 18) made no requests at all: is the log read?");
    let sent: Vec<&String> = requests
        .iter()
        .filter(|l| {
            l.contains("request=PlaceOrder") || l.contains("request=CancelOrder") || l.contains("request=GlobalCancel")
        })
        .collect();
    assert!(sent.is_empty(), "the monitor sent order messages: {sent:#?}");
}

#[test]
fn the_monitor_says_read_only_when_an_order_key_is_pressed() {
    if !tmux_available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install -y tmux)");
        return;
    }
    let sandbox = Sandbox::new();
    let gateway = StandaloneGateway::start(&sandbox);
    let tmux = Tmux::start("rokey", 100, 30, &cockpit_command(&sandbox, &format!("monitor --port {}", gateway.port)));
    tmux.wait_for("the monitor", Duration::from_secs(30), |s| s.contains("PAPER") && s.contains("live"));
    tmux.send_keys(&["b"]);
    tmux.wait_for("the read-only message", Duration::from_secs(15), |s| s.contains("read-only monitor"));
    tmux.send_keys(&["q"]);
}

#[test]
fn snapshot_prints_the_cockpit_and_json_without_a_terminal() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .command()
        .args(["snapshot", "--embedded-port", "0", "--size", "120x40"])
        .stdin(Stdio::null())
        .output()
        .expect("run snapshot");
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert_eq!(text.lines().count(), 40, "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 120));
    for expected in ["Net Liq", "DU1234567", "PAPER", "AAPL", "live"] {
        assert!(text.contains(expected), "{expected} missing:\n{text}");
    }
    let json = sandbox
        .command()
        .args(["snapshot", "--embedded-port", "0", "--format", "json"])
        .stdin(Stdio::null())
        .output()
        .expect("run snapshot json");
    assert_eq!(json.status.code(), Some(0));
    let store: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON on stdout");
    assert_eq!(store["connection"]["state"], "Live");
    assert!(store["accounts"]["DU1234567"]["figures"]["NetLiquidation"]["value"].is_string());
    let positions = store["positions"].as_array().expect("positions list");
    assert!(positions.iter().all(|p| p["account"] == "DU1234567" && p["quantity"].is_string()));
    assert!(store["quotes"]["SPY"]["bid"].is_string(), "quotes are in: {}", store["quotes"]);
    assert!(store["subsystems"]["broker"]["health"] == "Ok");
}

#[test]
fn snapshot_of_a_bad_size_says_what_was_wrong() {
    let sandbox = Sandbox::new();
    let output = sandbox.command().args(["snapshot", "--size", "wide"]).stdin(Stdio::null()).output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("expected WIDTHxHEIGHT"));
}

#[test]
fn snapshot_with_nothing_listening_exits_non_zero_saying_why() {
    let sandbox = Sandbox::new();
    let port = closed_port().to_string();
    let output = sandbox.command().args(["snapshot", "--port", &port]).stdin(Stdio::null()).output().expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("snapshot: incomplete: connection refused"));
}

#[test]
fn an_order_filled_in_the_cockpit_shows_in_a_monitor_on_the_same_gateway() {
    if !tmux_available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install -y tmux)");
        return;
    }
    let sandbox = Sandbox::new();
    let gateway = StandaloneGateway::start(&sandbox);
    let port = gateway.port;
    let monitor = Tmux::start("watching", 100, 30, &cockpit_command(&sandbox, &format!("monitor --port {port}")));
    let before = monitor.wait_for("the monitor", Duration::from_secs(30), |s| s.contains("AAPL") && s.contains("live"));
    let held = |screen: &str| -> Option<String> {
        let line = screen.lines().find(|l| l.contains("AAPL"))?;
        line.split_whitespace().skip_while(|w| !w.contains("AAPL")).nth(1).map(str::to_string)
    };
    assert_eq!(held(&before).as_deref(), Some("100"), "{before}");
    let cockpit = Tmux::start("trading", 160, 45, &cockpit_command(&sandbox, &format!("--port {port}")));
    cockpit.wait_for("the cockpit", Duration::from_secs(30), |s| s.contains("PAPER") && s.contains("live"));
    cockpit.send_keys(&["2", "b"]);
    let screen = cockpit.wait_for("the ticket with the ask", Duration::from_secs(15), |s| {
        s.contains("BUY ticket") && crate::tmux::ticket_ask(s).is_some()
    });
    // The market is frozen (--speed 0): a limit at the ask fills at once.
    let ask = crate::tmux::ticket_ask(&screen).expect("ask");
    cockpit.send_keys(&["-l", "7"]);
    cockpit.send_keys(&["Tab", "Tab"]);
    cockpit.send_keys(&["-l", &ask.to_string()]);
    cockpit.send_keys(&["Enter"]);
    cockpit.wait_for("the preview", Duration::from_secs(15), |s| s.contains("Commission"));
    std::thread::sleep(Duration::from_millis(500));
    cockpit.send_keys(&["y"]);
    cockpit.wait_for("the fill", Duration::from_secs(10), |s| s.contains("Filled"));
    monitor.wait_for("the monitor to show 107 AAPL", Duration::from_secs(10), |s| held(s).as_deref() == Some("107"));
    cockpit.send_keys(&["q"]);
    monitor.send_keys(&["q"]);
}
