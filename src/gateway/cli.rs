//! The `robo-tui gateway` command: runs the simulated gateway standalone until Ctrl-C, logging
//! every connection and request to a file and a one-line summary per event to stdout.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use super::{faults, spawn_inner, GatewayConfig, GatewayError};

/// Flags of `robo-tui gateway`.
#[derive(Debug, Clone, clap::Args)]
pub struct GatewayArgs {
    /// TCP port to listen on (4002 is IB Gateway's paper port).
    #[arg(long, default_value_t = 4002)]
    pub port: u16,
    /// Address to bind; non-loopback addresses are only used when given here explicitly.
    #[arg(long)]
    pub bind: Option<IpAddr>,
    /// Managed accounts, comma-separated; each has its own cash, positions and orders.
    #[arg(long, value_delimiter = ',', default_value = "DU1234567")]
    pub accounts: Vec<String>,
    /// Seed of the simulated market: the same seed gives the same prices.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Keep the paper account in this file across restarts.
    #[arg(long = "state")]
    pub state: Option<PathBuf>,
    /// Universe file replacing the embedded one (TOML, same format as assets/universe.toml).
    #[arg(long)]
    pub universe: Option<PathBuf>,
    /// Simulated seconds per real second; 0 freezes the market.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Faults from the start, e.g. "delay=200ms,notice=1100,pacing".
    #[arg(long)]
    pub faults: Option<String>,
    /// Log file for connections and requests (default: gateway.log in robo-tui's data folder).
    #[arg(long)]
    pub log: Option<PathBuf>,
}

impl GatewayArgs {
    /// The configuration these flags describe.
    pub fn to_config(&self) -> Result<GatewayConfig, GatewayError> {
        let ip = self.bind.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let mut c = GatewayConfig::embedded(self.port);
        c.bind = SocketAddr::new(ip, self.port);
        c.allow_non_loopback = self.bind.is_some();
        c.accounts = self.accounts.iter().map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
        c.seed = self.seed;
        c.state_file = self.state.clone();
        c.universe = self.universe.clone();
        c.speed = self.speed;
        if let Some(spec) = &self.faults {
            c.faults = faults::parse_spec(spec)?;
        }
        Ok(c)
    }
}

fn log_path(args: &GatewayArgs) -> PathBuf {
    args.log.clone().unwrap_or_else(|| {
        dirs::data_dir().map(|d| d.join("robo-tui")).unwrap_or_else(std::env::temp_dir).join("gateway.log")
    })
}

/// Runs the gateway until Ctrl-C.
pub async fn run_standalone(args: GatewayArgs) -> Result<(), GatewayError> {
    let config = args.to_config()?;
    let path = log_path(&args);
    let dir = path.parent().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&dir)
        .map_err(|source| GatewayError::Io { what: format!("creating log folder {}", dir.display()), source })?;
    let file_name = path.file_name().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("gateway.log"));
    let appender = tracing_appender::rolling::never(&dir, file_name);
    let (writer, _guard) = tracing_appender::non_blocking(appender);
    // The binary may already have installed a subscriber; then logs go there instead.
    let _ = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ROBO_TUI_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,robo_tui::gateway::session=debug")),
        )
        .try_init();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = spawn_inner(config.clone(), Some(tx)).await?;
    let mut stdout = std::io::stdout();
    let _ = writeln!(
        stdout,
        "robo-tui gateway: {} accounts {} seed {} speed {} log {}",
        handle.local_addr(),
        config.accounts.join(","),
        config.seed,
        config.speed,
        path.display()
    );
    loop {
        tokio::select! {
            line = rx.recv() => match line {
                Some(line) => {
                    let _ = writeln!(stdout, "{} {line}", chrono::Local::now().format("%H:%M:%S%.3f"));
                }
                None => break,
            },
            _ = tokio::signal::ctrl_c() => {
                let _ = writeln!(stdout, "shutting down");
                break;
            }
        }
    }
    handle.shutdown().await;
    Ok(())
}
