//! `robo-tui monitor`: the always-on, read-only view for a tmux pane. It is started with
//! [`Core::start`], which gives it no order desk: nothing in this module can reach a type that
//! sends an order.

use super::core::{Core, CoreOptions};
use super::terminal::{ExitSignals, TerminalGuard};
use crate::config::theme::{load_theme, no_color_from_env, Theme};
use crate::diagnostics::Reporter;
use crate::store::Store;
use crate::ui::monitor::{monitor_key_press_message, READ_ONLY_MESSAGE};
use crate::ui::{self, MonitorContext};
use chrono::Utc;
use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event, EventStream, KeyCode, KeyEventKind, KeyModifiers};
use futures::StreamExt;
use std::time::Duration;
use tokio::time::{interval, sleep_until, Instant, MissedTickBehavior};

/// The monitor redraws at most four times a second: it is a glance view, and cheap when idle.
const FRAME_INTERVAL: Duration = Duration::from_millis(250);
/// How long the read-only message stays on the status line.
const NOTICE_FOR: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, Default)]
pub struct MonitorOptions {
    pub ascii: bool,
    pub no_color: bool,
}

/// Run the monitor until `q`, Ctrl-C or a signal. Returns the exit code.
pub async fn run(options: CoreOptions, look: MonitorOptions) -> Result<i32> {
    let mut core = Core::start(options).await;
    let no_color = look.no_color || no_color_from_env() || core.config.ui.no_color;
    let theme_reporter = Reporter::register("theme", core.events_tx.clone());
    let theme = match load_theme(&core.config.ui.theme, &core.paths.theme_dir, no_color) {
        Ok(theme) => {
            theme_reporter.ok(core.config.ui.theme.clone());
            theme
        }
        Err(error) => {
            theme_reporter.degraded("using the built-in dark theme instead", crate::diagnostics::error_chain(&error));
            if no_color {
                Theme::fallback().without_color()
            } else {
                Theme::fallback()
            }
        }
    };
    let mut guard = match TerminalGuard::enter() {
        Ok(guard) => guard,
        Err(error) => {
            core.shutdown().await;
            return Err(error).wrap_err("cannot take over the terminal (is this a terminal?)");
        }
    };
    let result = event_loop(&mut core, &mut guard, &theme, look.ascii).await;
    guard.restore();
    core.shutdown().await;
    result
}

async fn event_loop(core: &mut Core, guard: &mut TerminalGuard, theme: &Theme, ascii: bool) -> Result<i32> {
    let mut store = Store::new();
    let mut input = EventStream::new();
    let mut tick = interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut signals = ExitSignals::watch().wrap_err("cannot watch signals")?;
    let mut notice_until: Option<Instant> = None;
    let mut dirty = true;
    let mut next_frame_at = Instant::now();
    loop {
        if dirty && Instant::now() >= next_frame_at {
            let notice = notice_until.filter(|until| Instant::now() < *until).map(|_| READ_ONLY_MESSAGE);
            let ctx = MonitorContext::new(Utc::now(), theme, ascii).with_notice(notice);
            guard.terminal().draw(|frame| ui::draw_monitor(frame, &store, &ctx)).wrap_err("cannot draw")?;
            dirty = false;
            next_frame_at = Instant::now() + FRAME_INTERVAL;
        }
        tokio::select! {
            biased;
            code = signals.recv() => return Ok(code),
            event = input.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => {
                    let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
                    if key.code == KeyCode::Char('q') || ctrl_c {
                        return Ok(0);
                    }
                    if key.code == KeyCode::Char('z') && key.modifiers.contains(KeyModifiers::CONTROL) {
                        guard.suspend().wrap_err("cannot suspend and resume the terminal")?;
                        dirty = true;
                    } else if monitor_key_press_message(&key).is_some() {
                        notice_until = Some(Instant::now() + NOTICE_FOR);
                        dirty = true;
                    }
                }
                Some(Ok(Event::Resize(_, _))) => {
                    // Re-lay out at once, whatever the frame budget says.
                    next_frame_at = Instant::now();
                    dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Ok(1),
            },
            event = core.events.recv() => {
                let Some(event) = event else { continue };
                let now = Utc::now();
                core.route(&event);
                dirty |= store.apply(now, event).redraw;
                while let Ok(event) = core.events.try_recv() {
                    core.route(&event);
                    dirty |= store.apply(now, event).redraw;
                }
            }
            _ = tick.tick() => dirty = true,
            _ = sleep_until(next_frame_at), if dirty => {}
        }
    }
}
