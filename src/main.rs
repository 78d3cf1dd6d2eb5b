//! robo-tui: a terminal trading cockpit for Interactive Brokers.

use clap::{Args, Parser, Subcommand};
use color_eyre::eyre::{Result, WrapErr};
use robo_tui::app::core::SessionKind;
use robo_tui::app::{self, CoreOptions};
use robo_tui::config::{CliOverrides, DEFAULT_CONFIG};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "robo-tui", version, about = "A terminal trading cockpit for Interactive Brokers")]
struct Cli {
    #[command(flatten)]
    connect: ConnectArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Where to connect and which config to read; given on the top level or after a command.
#[derive(Debug, Clone, Default, Args)]
struct ConnectArgs {
    /// A config file to read instead of the one in the platform config folder.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Connect to an external gateway on this host (IB Gateway, TWS, or `robo-tui gateway`).
    #[arg(long)]
    host: Option<String>,
    /// Connect to an external gateway on this port (IB Gateway paper 4002, TWS paper 7497).
    #[arg(long)]
    port: Option<u16>,
    /// The API client id to connect with.
    #[arg(long = "client-id")]
    client_id: Option<i32>,
    /// Host (or join) the embedded simulated gateway on this loopback port instead of the configured one.
    #[arg(long = "embedded-port", value_name = "PORT")]
    embedded_port: Option<u16>,
}

impl ConnectArgs {
    /// The subcommand's values win over the top level's.
    fn merged(&self, top: &ConnectArgs) -> ConnectArgs {
        ConnectArgs {
            config: self.config.clone().or_else(|| top.config.clone()),
            host: self.host.clone().or_else(|| top.host.clone()),
            port: self.port.or(top.port),
            client_id: self.client_id.or(top.client_id),
            embedded_port: self.embedded_port.or(top.embedded_port),
        }
    }

    fn options(&self, session: SessionKind, reconnect: bool) -> CoreOptions {
        CoreOptions {
            config_path: self.config.clone(),
            overrides: CliOverrides { host: self.host.clone(), port: self.port, client_id: self.client_id },
            embedded_port: self.embedded_port,
            session,
            reconnect,
            paths: None,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The interactive cockpit (the default).
    Run {
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// Headless: load every subsystem, connect, fetch the account, print what loaded, exit 0 if all did.
    Check {
        #[command(flatten)]
        connect: ConnectArgs,
        /// Print the report as JSON. Exit codes: 0 all loaded, 1 a subsystem failed,
        /// 2 gateway unreachable, 3 handshake failed or client id in use.
        #[arg(long)]
        json: bool,
    },
    /// The read-only monitor for a tmux pane: never sends orders, fits small panes.
    Monitor {
        #[command(flatten)]
        connect: ConnectArgs,
        /// Plain ASCII borders and symbols.
        #[arg(long)]
        ascii: bool,
        /// No colours (as does NO_COLOR).
        #[arg(long = "no-color")]
        no_color: bool,
    },
    /// Connect, wait for the account, positions and quotes, print the screen once and exit.
    Snapshot {
        #[command(flatten)]
        connect: ConnectArgs,
        /// text: the screen as text; json: the store's state.
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        format: String,
        /// The screen size for text, WIDTHxHEIGHT.
        #[arg(long, default_value = "120x40")]
        size: String,
        /// Render the monitor instead of the cockpit.
        #[arg(long)]
        monitor: bool,
        /// Print where the time went (milliseconds since start) to stderr.
        #[arg(long)]
        timeline: bool,
    },
    /// Run the simulated IB Gateway standalone.
    Gateway(robo_tui::gateway::GatewayArgs),
    /// Show the configuration.
    Config {
        /// Print the documented default configuration.
        #[arg(long)]
        print_default: bool,
        /// Print where the user config file is read from.
        #[arg(long)]
        path: bool,
    },
}

fn main() -> Result<()> {
    app::mark_process_start();
    color_eyre::install()?;
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("robo-tui")
        .build()
        .wrap_err("cannot start the async runtime")?;
    let exit_code = runtime.block_on(dispatch(cli))?;
    // Let background tasks (log writer, gateway) wind down before the process exits.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    if exit_code != 0 {
        std::process::exit(exit_code);
    }
    Ok(())
}

async fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command {
        None => app::tui::run(cli.connect.options(SessionKind::Trader, true)).await,
        Some(Command::Run { connect }) => {
            app::tui::run(connect.merged(&cli.connect).options(SessionKind::Trader, true)).await
        }
        Some(Command::Check { connect, json }) => {
            let options = connect.merged(&cli.connect).options(SessionKind::Trader, false);
            let report = app::check::run(options, json).await;
            print!("{}", report.text);
            Ok(report.exit_code)
        }
        Some(Command::Monitor { connect, ascii, no_color }) => {
            let options = connect.merged(&cli.connect).options(SessionKind::Monitor, true);
            app::monitor::run(options, app::monitor::MonitorOptions { ascii, no_color }).await
        }
        Some(Command::Snapshot { connect, format, size, monitor, timeline }) => {
            let (width, height) = match app::snapshot::parse_size(&size) {
                Ok(size) => size,
                Err(message) => {
                    eprintln!("robo-tui snapshot: {message}");
                    return Ok(2);
                }
            };
            let format = if format == "json" {
                app::snapshot::SnapshotFormat::Json
            } else {
                app::snapshot::SnapshotFormat::Text
            };
            let options = connect.merged(&cli.connect).options(SessionKind::Snapshot, false);
            let snapshot = app::snapshot::SnapshotOptions { format, width, height, monitor, timeline };
            let (text, code) = app::snapshot::run(options, snapshot).await;
            print!("{text}");
            Ok(code)
        }
        Some(Command::Gateway(args)) => {
            robo_tui::gateway::run_standalone(args).await.wrap_err("the simulated gateway stopped")?;
            Ok(0)
        }
        Some(Command::Config { print_default, path }) => {
            if path {
                println!("{}", robo_tui::config::Paths::discover().config_file.display());
            }
            if print_default || !path {
                print!("{DEFAULT_CONFIG}");
            }
            Ok(0)
        }
    }
}
