//! End-to-end in a real terminal: robo-tui in a detached tmux session, driven with
//! `send-keys` and read with `capture-pane`. Skips (and says so) when tmux is missing.

use crate::support::Sandbox;
use std::process::{Command, Output};
use std::thread::sleep;
use std::time::{Duration, Instant};

pub fn tmux_available() -> bool {
    Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success())
}

/// A tmux server of its own (`-L`), so tests never touch the developer's sessions.
pub struct Tmux {
    socket: String,
    session: String,
}

impl Tmux {
    pub fn start(name: &str, width: u16, height: u16, shell_command: &str) -> Tmux {
        let tmux = Tmux { socket: format!("robo-tui-test-{}-{name}", std::process::id()), session: name.to_string() };
        let output = tmux.run(&[
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            "bash",
            "--norc",
            "--noprofile",
            "-c",
            shell_command,
        ]);
        assert!(output.status.success(), "tmux new-session: {}", String::from_utf8_lossy(&output.stderr));
        tmux
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().expect("run tmux")
    }

    pub fn send_keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        let output = self.run(&args);
        assert!(output.status.success(), "send-keys: {}", String::from_utf8_lossy(&output.stderr));
    }

    /// The screen with its colour escapes (`capture-pane -e`).
    pub fn capture_styled(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-e", "-p", "-t", &self.session]).stdout).into_owned()
    }

    pub fn capture(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", &self.session]).stdout).into_owned()
    }

    /// Wait until the screen satisfies `check`, returning it; panics with the screen otherwise.
    pub fn wait_for(&self, what: &str, timeout: Duration, check: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if check(&screen) {
                return screen;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for {what}; screen:\n{screen}");
            }
            sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// The shell command that runs robo-tui in the sandbox, then reports how it ended and the tty
/// modes (raw mode off means `icanon` and `echo` are back).
pub fn cockpit_command(sandbox: &Sandbox, args: &str) -> String {
    let env: Vec<String> = sandbox.env().into_iter().map(|(k, v)| format!("{k}='{v}'")).collect();
    format!(
        "{} '{}' {args}; echo \"EXIT=$?\"; stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo)' | tr '\\n' ' '; echo MODES; sleep 60",
        env.join(" "),
        env!("CARGO_BIN_EXE_robo-tui")
    )
}

#[test]
fn cockpit_shows_the_paper_account_and_quits_restoring_the_terminal() {
    if !tmux_available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install -y tmux)");
        return;
    }
    let sandbox = Sandbox::new();
    let tmux = Tmux::start("cockpit", 120, 40, &cockpit_command(&sandbox, "--embedded-port 0"));
    let screen = tmux.wait_for("the account figures", Duration::from_secs(30), |s| {
        s.contains("DU1234567") && s.contains("PAPER") && s.contains("Net Liq") && s.contains("live")
    });
    // A NetLiquidation figure arrived: the line carries digits, not the `--` placeholder.
    let net = screen.lines().find(|l| l.contains("Net Liq")).expect("Net Liq line");
    assert!(net.chars().any(|c| c.is_ascii_digit()), "no figure yet: {net}\n{screen}");
    for pane in ["Accounts", "Positions", "Connection", "Signals", "Diagnostics"] {
        assert!(screen.contains(pane), "pane {pane} missing:\n{screen}");
    }
    tmux.send_keys(&["q"]);
    let screen = tmux.wait_for("the process to exit", Duration::from_secs(10), |s| s.contains("MODES"));
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(screen.contains("icanon echo"), "terminal left in raw mode:\n{screen}");
    assert!(!screen.contains("Net Liq"), "alternate screen not left:\n{screen}");
}

/// The cockpit started with a config file in the sandbox, so its pid can be found by that path.
fn start_findable(sandbox: &Sandbox, name: &str) -> (Tmux, String) {
    let config = sandbox.path().join("findable.toml");
    std::fs::write(&config, "# empty: the defaults\n").expect("write config");
    let marker = config.display().to_string();
    let tmux = Tmux::start(name, 120, 40, &cockpit_command(sandbox, &format!("--embedded-port 0 --config '{marker}'")));
    tmux.wait_for("the cockpit to be live", Duration::from_secs(30), |s| s.contains("PAPER") && s.contains("live"));
    (tmux, marker)
}

fn pid_of(marker: &str) -> Option<String> {
    let output = Command::new("pgrep").args(["-f", marker]).output().ok()?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::trim)
        .find(|pid| {
            !pid.is_empty()
                && Command::new("cat")
                    .arg(format!("/proc/{pid}/comm"))
                    .output()
                    .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "robo-tui")
        })
        .map(str::to_string)
}

#[test]
fn signals_end_the_cockpit_in_order_and_restore_the_terminal() {
    if !tmux_available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install -y tmux)");
        return;
    }
    for (signal, code) in [("TERM", 143), ("HUP", 129), ("INT", 130)] {
        let sandbox = Sandbox::new();
        let (tmux, marker) = start_findable(&sandbox, &format!("sig{signal}"));
        let pid = pid_of(&marker).unwrap_or_else(|| panic!("no robo-tui process for {marker}"));
        let killed = Command::new("kill").args([&format!("-{signal}"), &pid]).status().expect("kill");
        assert!(killed.success());
        let screen = tmux.wait_for("the process to exit", Duration::from_secs(10), |s| s.contains("MODES"));
        assert!(screen.contains(&format!("EXIT={code}")), "SIG{signal}:\n{screen}");
        assert!(screen.contains("icanon echo"), "SIG{signal} left the terminal raw:\n{screen}");
    }
}

#[test]
fn killing_the_pane_ends_the_process_at_once() {
    if !tmux_available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install -y tmux)");
        return;
    }
    let sandbox = Sandbox::new();
    let (tmux, marker) = start_findable(&sandbox, "killpane");
    assert!(pid_of(&marker).is_some());
    let _ = tmux.run(&["kill-session", "-t", "killpane"]);
    let start = Instant::now();
    while pid_of(&marker).is_some() {
        assert!(start.elapsed() < Duration::from_secs(3), "robo-tui still running after its pane was killed");
        sleep(Duration::from_millis(50));
    }
}

#[test]
fn ctrl_z_suspends_to_the_shell_and_fg_brings_the_cockpit_back() {
    if !tmux_available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install -y tmux)");
        return;
    }
    let sandbox = Sandbox::new();
    let tmux = Tmux::start("ctrlz", 120, 40, "PS1='shell> ' bash --norc --noprofile -i");
    tmux.wait_for("the shell", Duration::from_secs(10), |s| s.contains("shell>"));
    let env: Vec<String> = sandbox.env().into_iter().map(|(k, v)| format!("{k}='{v}'")).collect();
    let line = format!("{} '{}' --embedded-port 0", env.join(" "), env!("CARGO_BIN_EXE_robo-tui"));
    tmux.send_keys(&[&line, "Enter"]);
    tmux.wait_for("the cockpit", Duration::from_secs(30), |s| s.contains("PAPER") && s.contains("live"));
    tmux.send_keys(&["C-z"]);
    let screen = tmux.wait_for("the shell again", Duration::from_secs(10), |s| s.contains("Stopped"));
    assert!(!screen.contains("Net Liq"), "the cockpit's screen was not handed back:\n{screen}");
    tmux.send_keys(&["stty -a | grep -o -- '-\\?icanon' | head -1", "Enter"]);
    tmux.wait_for("cooked mode in the shell", Duration::from_secs(15), |s| s.lines().any(|l| l.trim() == "icanon"));
    tmux.send_keys(&["fg", "Enter"]);
    tmux.wait_for("the cockpit redrawn", Duration::from_secs(10), |s| s.contains("Net Liq") && s.contains("PAPER"));
    tmux.send_keys(&["q"]);
    tmux.wait_for("the shell after quitting", Duration::from_secs(10), |s| {
        s.lines().rfind(|l| !l.trim().is_empty()).is_some_and(|l| l.trim() == "shell>")
    });
}

/// The ask the open ticket shows (`… ask 231.42 …`), once it has arrived (`ask --` before).
pub fn ticket_ask(screen: &str) -> Option<rust_decimal::Decimal> {
    let at = screen.find(" ask ")?;
    let text: String = screen[at + 5..].chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    text.parse().ok()
}

#[test]
fn an_order_is_placed_modified_and_cancelled_with_the_default_keys() {
    if !tmux_available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install -y tmux)");
        return;
    }
    let sandbox = Sandbox::new();
    let tmux = Tmux::start("orders", 160, 45, &cockpit_command(&sandbox, "--embedded-port 0"));
    tmux.wait_for("the cockpit", Duration::from_secs(30), |s| s.contains("PAPER") && s.contains("live"));
    // A BUY ticket for the selected position (AAPL), resting a little under the market.
    tmux.send_keys(&["2", "b"]);
    let screen = tmux.wait_for("the ticket with the ask", Duration::from_secs(15), |s| {
        s.contains("BUY ticket") && ticket_ask(s).is_some()
    });
    let ask = ticket_ask(&screen).expect("ask");
    let price = (ask - rust_decimal::Decimal::from(2)).round_dp(2);
    tmux.send_keys(&["-l", "5"]);
    tmux.send_keys(&["Tab", "Tab"]);
    tmux.send_keys(&["-l", &price.to_string()]);
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the preview with the what-if", Duration::from_secs(15), |s| {
        s.contains("Preview BUY") && s.contains("Commission")
    });
    sleep(Duration::from_millis(500));
    tmux.send_keys(&["y"]);
    let placed = format!("BUY 5 AAPL LMT limit {price}");
    tmux.wait_for("the working order", Duration::from_secs(10), |s| s.contains("Submitted") && s.contains("0/5"));

    // Modify: load it into the ticket, change the limit, preview, confirm.
    tmux.send_keys(&["m"]);
    tmux.wait_for("the order to modify", Duration::from_secs(15), |s| {
        s.contains("Modify which order?") && s.contains(&placed)
    });
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the modify ticket", Duration::from_secs(15), |s| s.contains("Modify order"));
    let lower = (price - rust_decimal::Decimal::new(50, 2)).round_dp(2);
    tmux.send_keys(&["Tab", "Tab"]);
    for _ in 0..10 {
        tmux.send_keys(&["BSpace"]);
    }
    tmux.send_keys(&["-l", &lower.to_string()]);
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the modify preview", Duration::from_secs(15), |s| s.contains("Commission"));
    sleep(Duration::from_millis(500));
    tmux.send_keys(&["y"]);
    sleep(Duration::from_millis(500));

    // Cancel: the list shows the modified terms; confirm; IB's 202 lands in the timeline.
    let modified = format!("BUY 5 AAPL LMT limit {lower}");
    tmux.send_keys(&["c"]);
    tmux.wait_for("the modified order in the cancel list", Duration::from_secs(15), |s| {
        s.contains("Cancel which order?") && s.contains(&modified)
    });
    tmux.send_keys(&["y"]);
    tmux.wait_for("the cancel", Duration::from_secs(10), |s| s.contains("Cancelled") && s.contains("202"));
    tmux.send_keys(&["q"]);
    let screen = tmux.wait_for("the process to exit", Duration::from_secs(10), |s| s.contains("MODES"));
    assert!(screen.contains("EXIT=0"), "{screen}");
    // The journal holds every step in order.
    let kinds = journal_kinds(&sandbox);
    let first = |kind: &str| kinds.iter().position(|k| k == kind).unwrap_or_else(|| panic!("no {kind}: {kinds:?}"));
    assert!(first("intent") < first("submitted") && first("submitted") < first("cancel_requested"), "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "submitted").count(), 2, "placed and modified: {kinds:?}");
}

#[test]
fn a_trader_moves_through_the_panes_zooms_opens_help_and_switches_theme() {
    if !tmux_available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install -y tmux)");
        return;
    }
    let sandbox = Sandbox::new();
    let tmux = Tmux::start("tour", 160, 45, &cockpit_command(&sandbox, "--embedded-port 0"));
    tmux.wait_for("the cockpit", Duration::from_secs(30), |s| s.contains("PAPER") && s.contains("live"));
    for (key, title) in [
        ("1", "Accounts"),
        ("2", "Positions"),
        ("3", "Connection"),
        ("4", "Signals"),
        ("5", "Diagnostics"),
        ("6", "Watchlist"),
        ("7", "Orders"),
    ] {
        tmux.send_keys(&[key]);
        tmux.wait_for(&format!("focus on {title}"), Duration::from_secs(15), |s| {
            s.lines().last().is_some_and(|status| status.contains(title))
        });
    }
    // Zoom the Watchlist: it fills the screen and the other panes are gone.
    tmux.send_keys(&["6", "z"]);
    let zoomed = tmux.wait_for("the zoomed watchlist", Duration::from_secs(15), |s| {
        s.contains("Watchlist") && !s.contains("Net Liq")
    });
    assert!(zoomed.contains("SPY") && zoomed.contains("LIVE"), "{zoomed}");
    tmux.send_keys(&["z"]);
    tmux.wait_for("the full layout again", Duration::from_secs(15), |s| {
        s.contains("Net Liq") && s.contains("Watchlist")
    });
    // Help lists the keys from the keymap's descriptions.
    tmux.send_keys(&["?"]);
    let help = tmux
        .wait_for("the help overlay", Duration::from_secs(15), |s| s.contains("Keys") && s.contains("Quit robo-tui"));
    assert!(help.contains("Buy ticket for the selected row"), "{help}");
    tmux.send_keys(&["Escape"]);
    tmux.wait_for("help closed", Duration::from_secs(15), |s| !s.contains("Quit robo-tui"));
    // T cycles the theme: the set of colours on screen changes.
    let colours = |styled: &str| -> std::collections::BTreeSet<String> {
        styled
            .split('\u{1b}')
            .filter(|part| part.starts_with('['))
            .filter_map(|part| part.split('m').next())
            .map(str::to_string)
            .collect()
    };
    let before = colours(&tmux.capture_styled());
    assert!(!before.is_empty(), "no colours captured");
    tmux.send_keys(&["T"]);
    let start = Instant::now();
    while colours(&tmux.capture_styled()) == before {
        assert!(start.elapsed() < Duration::from_secs(5), "T did not change the theme's colours");
        sleep(Duration::from_millis(100));
    }
    tmux.send_keys(&["q"]);
    let screen = tmux.wait_for("the process to exit", Duration::from_secs(10), |s| s.contains("MODES"));
    assert!(screen.contains("EXIT=0") && screen.contains("icanon echo"), "{screen}");
}

#[test]
fn a_bracket_is_placed_from_a_watchlist_row_and_both_exits_work_after_the_fill() {
    if !tmux_available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it; apt-get install -y tmux)");
        return;
    }
    let sandbox = Sandbox::new();
    let tmux = Tmux::start("bracket", 160, 50, &cockpit_command(&sandbox, "--embedded-port 0"));
    tmux.wait_for("the cockpit", Duration::from_secs(30), |s| s.contains("PAPER") && s.contains("live"));
    // `b` on the Watchlist's first row (SPY): a BUY ticket for SPY, not a blank one.
    tmux.send_keys(&["6", "b"]);
    let screen = tmux.wait_for("the SPY ticket with the ask", Duration::from_secs(15), |s| {
        s.contains("BUY ticket") && s.contains("SPY · SMART") && ticket_ask(s).is_some()
    });
    let ask = ticket_ask(&screen).expect("ask");
    // Marketable, so it fills at once; the exits a dollar either side of it.
    let price = (ask + rust_decimal::Decimal::new(30, 2)).round_dp(2);
    tmux.send_keys(&["-l", "3"]);
    tmux.send_keys(&["Tab", "Tab"]);
    tmux.send_keys(&["-l", &price.to_string()]);
    // Limit → Stop → TIF → Outside RTH → Account → Take profit.
    tmux.send_keys(&["Tab", "Tab", "Tab", "Tab", "Tab"]);
    tmux.send_keys(&["-l", "100t"]);
    tmux.send_keys(&["Tab"]);
    tmux.send_keys(&["-l", "100t"]);
    tmux.wait_for("both exits where they come out", Duration::from_secs(10), |s| {
        let shown = |field: &str| s.lines().any(|l| l.contains(field) && l.contains("1.00 from the entry"));
        shown("Take profit") && shown("Stop loss")
    });
    tmux.send_keys(&["Enter"]);
    let screen = tmux.wait_for("the bracket preview with the what-if", Duration::from_secs(15), |s| {
        s.contains("Preview BUY") && s.contains("Commission") && s.contains("Worst case")
    });
    assert!(screen.contains("-3.00 USD if the stop is hit"), "{screen}");
    assert!(screen.lines().any(|l| l.contains("take profit") && l.contains("SELL 3 SPY LMT")), "{screen}");
    assert!(screen.lines().any(|l| l.contains("stop loss") && l.contains("SELL 3 SPY STP")), "{screen}");
    sleep(Duration::from_millis(500));
    tmux.send_keys(&["y"]);
    // The Orders pane: the entry filled, both exits working under it.
    tmux.send_keys(&["7"]);
    let screen = tmux.wait_for("the entry filled and both exits working", Duration::from_secs(20), |s| {
        let line = |needle: &str| s.lines().find(|l| l.contains(needle)).unwrap_or("").to_string();
        line("entry  BUY").contains("Filled")
            && line(" tp ").contains("Submitted")
            && (line(" sl ").contains("PreSubmitted") || line(" sl ").contains("Submitted"))
    });
    assert!(screen.lines().any(|l| l.contains(" tp ") && l.contains("0/3")), "{screen}");
    tmux.send_keys(&["q"]);
    let screen = tmux.wait_for("the process to exit", Duration::from_secs(10), |s| s.contains("MODES"));
    assert!(screen.contains("EXIT=0"), "{screen}");
    let kinds = journal_kinds(&sandbox);
    let group = kinds.iter().position(|k| k == "group_intent").unwrap_or_else(|| panic!("no group_intent: {kinds:?}"));
    let submitted: Vec<usize> = kinds.iter().enumerate().filter(|(_, k)| *k == "submitted").map(|(i, _)| i).collect();
    assert_eq!(submitted.len(), 3, "{kinds:?}");
    assert!(submitted.iter().all(|i| *i > group), "{kinds:?}");
}

/// The kind of every line in the sandbox's order journal, in order.
fn journal_kinds(sandbox: &Sandbox) -> Vec<String> {
    let journal_dir = sandbox.path().join("data/journal");
    let text: String = std::fs::read_dir(&journal_dir)
        .expect("journal folder")
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["kind"].as_str().map(str::to_string))
        .collect()
}
