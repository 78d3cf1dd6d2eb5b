//! The interactive cockpit: one `select!` loop over signals, terminal input, task events and a
//! one-second tick. Events are drained before drawing; a frame is drawn only when something
//! changed, at most every 16 ms.

use super::core::{Core, CoreOptions};
use super::terminal::TerminalGuard;
use crate::config::keymap::Keymap;
use crate::config::theme::{embedded_theme_names, load_theme, no_color_from_env, Theme};
use crate::diagnostics::Reporter;
use crate::store::{snapshot, Store};
use crate::ui::{self, ActionOutcome, RenderContext, ViewState};
use chrono::Utc;
use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};
use tokio::time::{interval, sleep_until, Instant, MissedTickBehavior};

/// The shortest time between two frames (60 frames a second at most).
const FRAME_INTERVAL: Duration = Duration::from_millis(16);
/// How many queued events are applied before the loop looks at input again.
const DRAIN_BATCH: usize = 1024;

/// Why the loop ended.
enum Exit {
    Quit,
    Signal(i32),
    TerminalGone,
}

/// Run the cockpit until the user quits or a signal arrives. Returns the exit code.
pub async fn run(options: CoreOptions) -> Result<i32> {
    let mut core = Core::start(options).await;
    let no_color = no_color_from_env() || core.config.ui.no_color;
    let theme_reporter = Reporter::register("theme", core.events_tx.clone());
    let mut theme_name = core.config.ui.theme.clone();
    let mut theme = load_named_theme(&theme_name, &core, no_color, &theme_reporter);
    let keymap = core.config.keymap.clone();
    let ui_reporter = Reporter::register("ui", core.events_tx.clone());

    let mut guard = match TerminalGuard::enter() {
        Ok(guard) => guard,
        Err(error) => {
            core.shutdown().await;
            return Err(error).wrap_err("cannot take over the terminal (is this a terminal?)");
        }
    };
    let result = event_loop(
        &mut core,
        &mut guard,
        &mut theme,
        &mut theme_name,
        &keymap,
        no_color,
        &theme_reporter,
        &ui_reporter,
    )
    .await;
    guard.restore();
    core.shutdown().await;
    match result? {
        Exit::Quit => Ok(0),
        Exit::Signal(number) => Ok(128 + number),
        Exit::TerminalGone => Ok(1),
    }
}

fn load_named_theme(name: &str, core: &Core, no_color: bool, reporter: &Reporter) -> Theme {
    match load_theme(name, &core.paths.theme_dir, no_color) {
        Ok(theme) => {
            reporter.ok(format!("{name}{}", if no_color { " (NO_COLOR)" } else { "" }));
            theme
        }
        Err(error) => {
            reporter.degraded("using the built-in dark theme instead", crate::diagnostics::error_chain(&error));
            Theme::fallback()
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn event_loop(
    core: &mut Core,
    guard: &mut TerminalGuard,
    theme: &mut Theme,
    theme_name: &mut String,
    keymap: &Keymap,
    no_color: bool,
    theme_reporter: &Reporter,
    ui_reporter: &Reporter,
) -> Result<Exit> {
    let mut store = Store::new();
    let (snapshots, _) = snapshot::channel();
    let mut view = ViewState::with_keymap(keymap.clone());
    let mut input = EventStream::new();
    let mut tick = interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut sigterm = signal(SignalKind::terminate()).wrap_err("cannot watch SIGTERM")?;
    let mut sighup = signal(SignalKind::hangup()).wrap_err("cannot watch SIGHUP")?;
    let mut sigint = signal(SignalKind::interrupt()).wrap_err("cannot watch SIGINT")?;
    let mut sigquit = signal(SignalKind::quit()).wrap_err("cannot watch SIGQUIT")?;

    let mut dirty = true;
    let mut first_frame = true;
    let mut next_frame_at = Instant::now();
    loop {
        if dirty && Instant::now() >= next_frame_at {
            let log_tail = core.log.ring.tail(50);
            let ctx = RenderContext { now: Utc::now(), theme, log_tail: &log_tail };
            guard.terminal().draw(|frame| ui::draw(frame, &store, &view, &ctx)).wrap_err("cannot draw")?;
            if first_frame {
                first_frame = false;
                ui_reporter.ok("drawing");
            }
            snapshot::publish(&snapshots, &store);
            dirty = false;
            next_frame_at = Instant::now() + FRAME_INTERVAL;
        }
        tokio::select! {
            biased;
            _ = sigterm.recv() => return Ok(Exit::Signal(15)),
            _ = sighup.recv() => return Ok(Exit::Signal(1)),
            _ = sigint.recv() => return Ok(Exit::Signal(2)),
            _ = sigquit.recv() => return Ok(Exit::Signal(3)),
            event = input.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => {
                    let Some(action) = keymap.action_for(&key) else { continue };
                    match ui::handle_action(&mut view, action, &store) {
                        ActionOutcome::Quit => return Ok(Exit::Quit),
                        ActionOutcome::CycleTheme => {
                            let names = embedded_theme_names();
                            let at = names.iter().position(|n| *n == theme_name.as_str()).map_or(0, |i| (i + 1) % names.len());
                            *theme_name = names.get(at).map_or("dark", |n| n).to_string();
                            *theme = load_named_theme(theme_name, core, no_color, theme_reporter);
                            dirty = true;
                        }
                        ActionOutcome::Consumed => dirty = true,
                        // TODO(lead): carry out the ticket's request (ui::ticket::TradeRequest).
                        ActionOutcome::Trade(_) => dirty = true,
                        ActionOutcome::Ignored => {}
                    }
                }
                Some(Ok(Event::Mouse(mouse))) => dirty |= ui::handle_mouse(&mut view, mouse),
                Some(Ok(Event::Resize(_, _))) => dirty = true,
                Some(Ok(_)) => {}
                // The terminal is gone (tmux pane killed, ssh dropped): exit instead of spinning.
                Some(Err(_)) | None => return Ok(Exit::TerminalGone),
            },
            event = core.events.recv() => {
                let Some(event) = event else { continue };
                let now = Utc::now();
                core.route(&event);
                dirty |= store.apply(now, event).redraw;
                for _ in 0..DRAIN_BATCH {
                    match core.events.try_recv() {
                        Ok(event) => {
                            core.route(&event);
                            dirty |= store.apply(now, event).redraw;
                        }
                        Err(_) => break,
                    }
                }
            }
            _ = tick.tick() => dirty = true,
            _ = sleep_until(next_frame_at), if dirty => {}
        }
    }
}
