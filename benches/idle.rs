//! What robo-tui costs while nothing changes: CPU and memory of an idle `robo-tui monitor` and
//! of an idle cockpit, each in a real terminal (tmux) against a standalone gateway whose market
//! is frozen (`--speed 0`). Goals: monitor under 1% of a core and under 20 MB resident; cockpit
//! under 1% of a core. `ROBO_TUI_IDLE_SECS` sets the measuring window (default 60 s).
//! Plain `main` (no criterion): it measures one long window, not a loop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn tmux(socket: &str, args: &[&str]) -> std::process::Output {
    Command::new("tmux").arg("-L").arg(socket).args(args).output().expect("run tmux")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port")
}

/// utime + stime in clock ticks, and VmRSS / VmHWM in kB.
fn sample(pid: &str) -> Option<(u64, u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    };
    Some((ticks, kb("VmRSS:")?, kb("VmHWM:")?))
}

fn pid_of(marker: &str) -> Option<String> {
    let output = Command::new("pgrep").args(["-f", marker]).output().ok()?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::trim)
        .find(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "robo-tui"))
        .map(str::to_string)
}

fn measure(label: &str, binary: &str, args: &str, dir: &std::path::Path, secs: u64) {
    let socket = format!("robo-tui-idle-{}-{label}", std::process::id());
    let marker = dir.join(format!("{label}.toml"));
    std::fs::write(&marker, "# defaults\n").expect("write config");
    let env = format!(
        "ROBO_TUI_CONFIG_DIR='{0}/c' ROBO_TUI_DATA_DIR='{0}/d-{label}' ROBO_TUI_LOG_DIR='{0}/l'",
        dir.display()
    );
    let command = format!("{env} '{binary}' {args} --config '{}'; sleep 5", marker.display());
    let started = tmux(&socket, &["new-session", "-d", "-s", "idle", "-x", "120", "-y", "40", "bash", "-c", &command]);
    assert!(started.status.success(), "tmux: {}", String::from_utf8_lossy(&started.stderr));
    let marker = marker.display().to_string();
    let t0 = Instant::now();
    let pid = loop {
        if let Some(pid) = pid_of(&marker) {
            break pid;
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "{label} never started");
        std::thread::sleep(Duration::from_millis(100));
    };
    // Let it connect, subscribe and settle.
    std::thread::sleep(Duration::from_secs(5));
    let (ticks0, _, _) = sample(&pid).expect("sample");
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    let (ticks1, rss, peak) = sample(&pid).expect("sample");
    let elapsed = start.elapsed().as_secs_f64();
    // SAFETY: sysconf only reads a system constant.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let cpu = (ticks1 - ticks0) as f64 / hz / elapsed * 100.0;
    println!(
        "idle/{label}: {cpu:.2}% of a core over {elapsed:.0} s; resident {:.1} MB (peak {:.1} MB)",
        rss as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    let _ = tmux(&socket, &["send-keys", "-t", "idle", "q"]);
    std::thread::sleep(Duration::from_millis(500));
    let _ = tmux(&socket, &["kill-server"]);
}

fn main() {
    if !Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success()) {
        println!("idle: SKIPPED, tmux is not installed");
        return;
    }
    let secs = std::env::var("ROBO_TUI_IDLE_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(60);
    let binary = env!("CARGO_BIN_EXE_robo-tui");
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let mut gateway: Child = Command::new(binary)
        .args(["gateway", "--port", &port.to_string(), "--speed", "0", "--log"])
        .arg(dir.path().join("gateway.log"))
        .env("ROBO_TUI_DATA_DIR", dir.path().join("gw"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the gateway");
    let t0 = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t0.elapsed() < Duration::from_secs(10), "the gateway never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    measure("monitor", binary, &format!("monitor --port {port}"), dir.path(), secs);
    measure("cockpit", binary, &format!("--port {port}"), dir.path(), secs);
    let _ = gateway.kill();
    let _ = gateway.wait();
}
