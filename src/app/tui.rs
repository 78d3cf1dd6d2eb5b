//! The interactive cockpit: one `select!` loop over signals, terminal input, task events and a
//! one-second tick. Events are drained before drawing; a frame is drawn only when something
//! changed, at most every 16 ms.

use super::core::{Core, CoreOptions};
use super::terminal::{ExitSignals, TerminalGuard};
use super::trading::{TradeRequest, Trader};
use crate::config::keymap::Keymap;
use crate::config::theme::{embedded_theme_names, load_theme, no_color_from_env, Theme};
use crate::diagnostics::Reporter;
use crate::store::{snapshot, BrokerEvent, Store, StoreEvent};
use crate::ui::{self, ActionOutcome, RenderContext, ViewState};
use chrono::Utc;
use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event, EventStream, KeyCode, KeyEventKind, KeyModifiers};
use futures::StreamExt;
use std::time::Duration;
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
    let (mut core, desk) = Core::start_trading(options).await;
    let mut trader = Trader::new(desk, &core.paths.data_dir.join("journal"), Utc::now());
    let no_color = no_color_from_env() || core.config.ui.no_color;
    let theme_reporter = Reporter::register("theme", core.events_tx.clone());
    let theme_name = core.config.ui.theme.clone();
    let theme = load_named_theme(&theme_name, &core, no_color, &theme_reporter);
    let keymap = core.config.keymap.clone();
    let ui_reporter = Reporter::register("ui", core.events_tx.clone());

    let mut guard = match TerminalGuard::enter() {
        Ok(guard) => guard,
        Err(error) => {
            core.shutdown().await;
            return Err(error).wrap_err("cannot take over the terminal (is this a terminal?)");
        }
    };
    let looks = Looks { theme, theme_name, no_color };
    let result = event_loop(&mut core, &mut trader, &mut guard, looks, &keymap, &theme_reporter, &ui_reporter).await;
    guard.restore();
    core.shutdown().await;
    match result? {
        Exit::Quit => Ok(0),
        Exit::Signal(code) => Ok(code),
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

/// The active theme and how it was chosen.
struct Looks {
    theme: Theme,
    theme_name: String,
    no_color: bool,
}

async fn event_loop(
    core: &mut Core,
    trader: &mut Trader,
    guard: &mut TerminalGuard,
    mut looks: Looks,
    keymap: &Keymap,
    theme_reporter: &Reporter,
    ui_reporter: &Reporter,
) -> Result<Exit> {
    let mut store = Store::new();
    let (snapshots, _) = snapshot::channel();
    let mut view = ViewState::with_keymap(keymap.clone());
    let mut input = EventStream::new();
    let mut tick = interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut signals = ExitSignals::watch().wrap_err("cannot watch signals")?;

    let mut dirty = true;
    let mut first_frame = true;
    let mut next_frame_at = Instant::now();
    loop {
        if dirty && Instant::now() >= next_frame_at {
            let log_tail = core.log.ring.tail(50);
            let ctx = RenderContext { now: Utc::now(), theme: &looks.theme, log_tail: &log_tail };
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
            code = signals.recv() => return Ok(Exit::Signal(code)),
            event = input.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => {
                    if key.code == KeyCode::Char('z') && key.modifiers.contains(KeyModifiers::CONTROL) {
                        guard.suspend().wrap_err("cannot suspend and resume the terminal")?;
                        dirty = true;
                        continue;
                    }
                    let typed = ui::handle_key(&mut view, &key, &store, Utc::now());
                    let outcome = match typed {
                        Some(outcome) => outcome,
                        None => {
                            let Some(action) = keymap.action_for(&key) else { continue };
                            ui::handle_action(&mut view, action, &store)
                        }
                    };
                    match outcome {
                        ActionOutcome::Quit => return Ok(Exit::Quit),
                        ActionOutcome::CycleTheme => {
                            let names = embedded_theme_names();
                            let at = names
                                .iter()
                                .position(|n| *n == looks.theme_name.as_str())
                                .map_or(0, |i| (i + 1) % names.len());
                            looks.theme_name = names.get(at).map_or("dark", |n| n).to_string();
                            looks.theme = load_named_theme(&looks.theme_name, core, looks.no_color, theme_reporter);
                            dirty = true;
                        }
                        ActionOutcome::Consumed => dirty = true,
                        ActionOutcome::Trade(request) => {
                            trade(trader, &mut store, request);
                            dirty = true;
                        }
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
                dirty |= take(core, trader, &mut store, now, event);
                for _ in 0..DRAIN_BATCH {
                    match core.events.try_recv() {
                        Ok(event) => dirty |= take(core, trader, &mut store, now, event),
                        Err(_) => break,
                    }
                }
            }
            _ = tick.tick() => {
                dirty = true;
                if let Some(ActionOutcome::Trade(request)) = ui::handle_tick(&mut view, &store, Utc::now()) {
                    trade(trader, &mut store, request);
                }
            }
            _ = sleep_until(next_frame_at), if dirty => {}
        }
    }
}

/// One event in: strategies get their bars, the journal gets order facts (before the store
/// applies them, so a duplicate execution is recognised), then the store applies it.
fn take(core: &Core, trader: &Trader, store: &mut Store, now: chrono::DateTime<Utc>, event: StoreEvent) -> bool {
    core.route(&event);
    let journal_failure = trader.journal_event(&event, store, now);
    let reconciled = matches!(event, StoreEvent::Broker(BrokerEvent::Reconciled));
    let mut redraw = store.apply(now, event).redraw;
    if let Some(failure) = journal_failure {
        redraw |= store.apply(now, failure).redraw;
    }
    if reconciled {
        for event in trader.reconcile(store, now) {
            redraw |= store.apply(now, event).redraw;
        }
    }
    redraw
}

/// Carry out a trade request from the UI and apply what it says at once.
fn trade(trader: &mut Trader, store: &mut Store, request: TradeRequest) -> bool {
    let now = Utc::now();
    let mut redraw = false;
    for event in trader.handle(request, store, now) {
        redraw |= store.apply(now, event).redraw;
    }
    redraw
}
