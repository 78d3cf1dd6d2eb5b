//! Pane tests: exact buffer assertions for small widgets, behaviour of input, and insta
//! snapshots of every pane and of the whole cockpit (fixed clock, scripted stores).

use super::help;
use super::panes::{self, PaneCtx};
use super::test_support::*;
use super::*;
use crate::config::keymap::{Action, KeyRowSpec, Keymap};
use crate::config::theme::{embedded_theme_names, load_theme};
use crate::store::{BrokerEvent, ConnectionState, DisconnectKind, SignalSide};
use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use std::path::Path;

fn theme(name: &str) -> Theme {
    load_theme(name, Path::new("/nonexistent"), false).expect("embedded theme")
}

fn render_pane(store: &Store, pane: PaneId, theme: &Theme, width: u16, height: u16) -> Buffer {
    let view = ViewState::new();
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    let tail = log_tail();
    // Unfocused, so no row is highlighted and each cell keeps its own role.
    let ctx =
        PaneCtx { store, theme, now: now(), log_tail: &tail, focused: false, view: view.pane(pane), cockpit: &view };
    panes::render(pane, area, &mut buf, &ctx);
    buf
}

/// The line of `text` that contains `needle`.
fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("no line with {needle:?} in\n{text}"))
}

/// The pane's text with runs of whitespace and border characters collapsed, to find wrapped sentences.
fn flat(buf: &Buffer) -> String {
    text(buf)
        .lines()
        .map(|l| l.trim_matches(|c: char| c == '│' || c.is_whitespace()))
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where `needle` starts in the buffer.
fn find(buf: &Buffer, needle: &str) -> (u16, u16) {
    for (y, line) in text(buf).lines().enumerate() {
        if let Some(byte) = line.find(needle) {
            let x = line[..byte].chars().count();
            return (x as u16, y as u16);
        }
    }
    panic!("{needle:?} not in\n{}", text(buf))
}

// ---- Accounts ----

#[test]
fn accounts_show_dashes_until_a_value_arrives_then_the_grouped_value_currency_and_age() {
    let mut store = reconciling();
    let buf = render_pane(&store, PaneId::Accounts, &Theme::fallback(), 44, 15);
    let text = text(&buf);
    assert_eq!(line_with(&text, "Total Cash"), "│Total Cash                 --             │");
    assert_eq!(line_with(&text, "Net Liq"), "│Net Liq          1,000,123.45 USD      57s│");
    assert!(!text.contains("0.00"), "no made-up zero:\n{text}");

    account_value(&mut store, 50, "TotalCashValue", "-1234.5");
    account_value(&mut store, 50, "Cushion", "0.93456");
    account_value(&mut store, 50, "DayTradesRemaining", "3");
    let text = super::test_support::text(&render_pane(&store, PaneId::Accounts, &Theme::fallback(), 44, 15));
    assert_eq!(line_with(&text, "Total Cash"), "│Total Cash          -1,234.50 USD      10s│");
    assert!(line_with(&text, "Cushion").contains("93.46%"), "{text}");
    assert_eq!(line_with(&text, "Day Trades"), "│Day Trades                  3          10s│", "a count, no currency");
    assert!(!line_with(&text, "Cushion").contains("USD"), "a ratio, no currency");
    assert!(line_with(&text, "Accounts").contains("DU1234567 · loading"), "{text}");
    broker(&mut store, 51, BrokerEvent::AccountSummaryEnd);
    let text = super::test_support::text(&render_pane(&store, PaneId::Accounts, &Theme::fallback(), 44, 15));
    assert!(line_with(&text, "Accounts").contains("DU1234567 ─"), "{text}");
}

#[test]
fn accounts_without_an_account_say_they_wait_and_show_only_dashes() {
    let text = text(&render_pane(&just_started(), PaneId::Accounts, &Theme::fallback(), 44, 15));
    assert!(text.contains("waiting for an account"), "{text}");
    assert_eq!(text.matches("--").count(), 12, "{text}");
}

#[test]
fn account_pnl_is_on_the_bottom_border_with_signs() {
    let text = text(&render_pane(&live_with_data(), PaneId::Accounts, &Theme::fallback(), 44, 15));
    let bottom = text.lines().last().expect("bottom border");
    assert!(bottom.contains("day +20.50 unrl +62.50 real --"), "{bottom}");
}

// ---- Positions ----

#[test]
fn pnl_cells_read_with_their_sign_and_missing_values_read_dashes() {
    let store = live_with_data();
    let theme = Theme::fallback();
    let buf = render_pane(&store, PaneId::Positions, &theme, 100, 10);
    let text = text(&buf);
    assert!(line_with(&text, "AAPL").contains("+75.00"), "{text}");
    assert!(line_with(&text, "SPY").contains("-12.50"), "{text}");
    let nvda = line_with(&text, "NVDA");
    assert!(nvda.contains("2.5") && nvda.contains("480.00"), "{nvda}");
    assert_eq!(nvda.matches("--").count(), 6, "last, price, value and each P&L not yet known: {nvda}");
    // Colour follows the sign: gain for +75.00, loss for -12.50.
    let (x, y) = find(&buf, "+75.00");
    assert_eq!(buf[(x, y)].fg, Color::LightGreen);
    let (x, y) = find(&buf, "-12.50");
    assert_eq!(buf[(x, y)].fg, Color::LightRed);
    // The unrealized total is unknown while NVDA's P&L is unknown.
    let bottom = text.lines().last().expect("bottom border");
    assert!(bottom.contains("value --") && bottom.contains("unrl --"), "{bottom}");
}

#[test]
fn positions_are_sorted_by_symbol_and_a_full_snapshot_totals() {
    let mut store = live_with_data();
    broker(
        &mut store,
        50,
        BrokerEvent::Position {
            account: ACCOUNT.into(),
            con_id: 4815747,
            symbol: "NVDA".into(),
            currency: "USD".into(),
            quantity: d("0"),
            average_cost: None,
        },
    );
    let text = text(&render_pane(&store, PaneId::Positions, &Theme::fallback(), 100, 10));
    let aapl = text.find("AAPL").expect("AAPL");
    let spy = text.find("SPY").expect("SPY");
    assert!(aapl < spy);
    assert!(!text.contains("NVDA"));
    let bottom = text.lines().last().expect("bottom border");
    assert!(bottom.contains("value 10,566.50") && bottom.contains("unrl +62.50"), "{bottom}");
}

#[test]
fn positions_tell_waiting_apart_from_flat() {
    let store = reconciling();
    let waiting = flat(&render_pane(&store, PaneId::Positions, &Theme::fallback(), 60, 8));
    assert!(waiting.contains("No positions yet: waiting for the position snapshot"), "{waiting}");
    let mut store = store;
    broker(&mut store, 10, BrokerEvent::PositionsEnd);
    let done = flat(&render_pane(&store, PaneId::Positions, &Theme::fallback(), 60, 8));
    assert!(done.contains("Flat: no open positions in DU1234567."), "{done}");
}

#[test]
fn narrow_positions_drop_the_least_important_columns_first() {
    let text = text(&render_pane(&live_with_data(), PaneId::Positions, &Theme::fallback(), 40, 8));
    let header = line_with(&text, "Symbol");
    assert!(header.contains("Qty") && header.contains("Unrl P&L"), "{header}");
    assert!(!header.contains("Avg Cost"), "{header}");
}

// ---- Signals ----

#[test]
fn no_strategies_and_no_signals_says_so_plainly() {
    let text = flat(&render_pane(&just_started(), PaneId::Signals, &Theme::fallback(), 50, 8));
    assert!(text.contains(panes::signals::NO_STRATEGIES), "{text}");
}

#[test]
fn signals_are_listed_newest_first_with_side_and_strength() {
    let text = text(&render_pane(&live_with_data(), PaneId::Signals, &Theme::fallback(), 80, 8));
    let spy = text.find("SPY").expect("SPY");
    let aapl = text.find("AAPL").expect("AAPL");
    assert!(spy < aapl, "newest first:\n{text}");
    let row = line_with(&text, "AAPL");
    assert!(row.contains("14:30:30") && row.contains("BUY") && row.contains("0.82"), "{row}");
    assert!(line_with(&text, "SPY").contains("SELL"));
}

// ---- Connection health ----

#[test]
fn health_shows_each_session_state_in_words() {
    type Script = Box<dyn Fn(&mut Store)>;
    let cases: Vec<(Script, &str)> = vec![
        (Box::new(|s| connecting(s, 50, 2)), "connecting (attempt 2)"),
        (Box::new(|s| broker(s, 50, BrokerEvent::Handshaking { attempt: 3 })), "handshaking (attempt 3)"),
        (
            Box::new(|s| {
                broker(
                    s,
                    50,
                    BrokerEvent::Disconnected {
                        kind: DisconnectKind::Lost,
                        reason: "reset".into(),
                        next_try_at: Some(t(65)),
                        attempt: 4,
                    },
                )
            }),
            "reconnecting (attempt 4), next try in 5s",
        ),
        (
            Box::new(|s| broker(s, 50, BrokerEvent::Notice { id: -1, code: 1100, text: "Connectivity lost".into() })),
            "degraded (code 1100)",
        ),
        (
            Box::new(|s| {
                broker(
                    s,
                    50,
                    BrokerEvent::Disconnected {
                        kind: DisconnectKind::Handshake,
                        reason: "server too old".into(),
                        next_try_at: None,
                        attempt: 1,
                    },
                )
            }),
            "down: server too old",
        ),
    ];
    for (script, expected) in cases {
        let mut store = live_with_data();
        script(&mut store);
        let text = text(&render_pane(&store, PaneId::Health, &Theme::fallback(), 90, 30));
        assert!(line_with(&text, "Session").contains(expected), "{expected}:\n{text}");
    }
}

#[test]
fn health_says_what_kind_of_failure_ended_the_connection_while_not_connected() {
    let text = text(&render_pane(&failed(), PaneId::Health, &Theme::fallback(), 90, 12));
    assert!(line_with(&text, "Session").contains("down: connection refused by 127.0.0.1:4710"), "{text}");
    assert!(line_with(&text, "Failure").contains("unreachable: nothing listens there"), "{text}");
    let live = super::test_support::text(&render_pane(&live_with_data(), PaneId::Health, &Theme::fallback(), 90, 20));
    assert!(!live.contains("Failure"), "no failure line while live:\n{live}");
}

#[test]
fn health_lists_gateway_farms_and_notices_with_codes() {
    let text = text(&render_pane(&live_with_data(), PaneId::Health, &Theme::fallback(), 90, 30));
    assert!(line_with(&text, "Gateway").contains("127.0.0.1:4710 (embedded (hosted here))"), "{text}");
    assert!(line_with(&text, "Server").contains("v187 · client id 17"), "{text}");
    assert!(line_with(&text, "Last msg").contains("2s ago"), "{text}");
    assert!(line_with(&text, "usfarm ").contains("OK") && line_with(&text, "usfarm ").contains("2104"), "{text}");
    assert!(line_with(&text, "14:30:10").contains("2158 Sec-def data farm connection is OK:secdefnj"), "{text}");
}

// ---- Diagnostics ----

#[test]
fn diagnostics_show_state_load_time_and_the_error_chain_of_failures() {
    let theme = Theme::fallback();
    let buf = render_pane(&failed(), PaneId::Diagnostics, &theme, 90, 16);
    let text = text(&buf);
    let gateway = line_with(&text, "gateway");
    assert!(gateway.contains("Failed") && gateway.contains("4.0ms") && gateway.contains("could not host"), "{gateway}");
    assert!(!line_with(&text, "└ error: cannot bind 127.0.0.1:4710").is_empty());
    assert!(!line_with(&text, "caused by: Address already in use").is_empty());
    assert!(line_with(&text, "theme").contains("Degraded"));
    assert!(text.contains("14:30:08 INFO reconciled DU1234567"), "log tail shown:\n{text}");
    let (x, y) = find(&buf, "Failed");
    assert_eq!(buf[(x, y)].fg, Color::LightRed);
    let (x, y) = find(&buf, "Ok ");
    assert_eq!(buf[(x, y)].fg, Color::Green);
}

// ---- Status bar ----

#[test]
fn status_bar_names_account_kind_state_last_message_and_keys() {
    let store = live_with_data();
    let buf = render_cockpit(&store, &ViewState::new(), &Theme::fallback(), 120, 30);
    let text = text(&buf);
    let status = text.lines().last().expect("status line");
    assert!(status.starts_with(" DU1234567  PAPER  │ live │ last msg 2s │ Accounts"), "{status}");
    assert!(status.ends_with("? help  q quit"), "{status}");

    let mut live = Store::new();
    broker(
        &mut live,
        0,
        BrokerEvent::Connected {
            server_version: 187,
            connection_time: None,
            managed_accounts: vec!["U7654321".into()],
        },
    );
    let buf = render_cockpit(&live, &ViewState::new(), &Theme::fallback(), 120, 30);
    let (x, y) = find(&buf, "LIVE");
    assert_eq!(y, 29);
    assert_eq!((buf[(x, y)].fg, buf[(x, y)].bg), (Color::White, Color::Red), "LIVE is loud");
}

// ---- Layout, zoom, help ----

#[test]
fn layout_never_panics_from_0x0_to_300x100() {
    let stores = [just_started(), live_with_data(), failed()];
    let sizes = [
        (0, 0),
        (1, 1),
        (10, 3),
        (79, 23),
        (79, 24),
        (80, 23),
        (80, 24),
        (81, 25),
        (100, 30),
        (120, 40),
        (160, 48),
        (200, 50),
        (255, 80),
        (300, 100),
        (300, 1),
        (1, 100),
    ];
    let sweep = (0..=300u16).step_by(13).flat_map(|w| (0..=100u16).step_by(7).map(move |h| (w, h)));
    for (w, h) in sweep {
        let _ = render_cockpit(&stores[1], &ViewState::new(), &Theme::fallback(), w, h);
    }
    for store in &stores {
        for (w, h) in sizes {
            for (zoomed, help_open) in [(false, false), (true, false), (false, true)] {
                let mut view = ViewState::new();
                view.zoomed = zoomed;
                view.help_open = help_open;
                view.focus = PaneId::Diagnostics;
                let _ = render_cockpit(store, &view, &Theme::fallback(), w, h);
            }
        }
    }
}

#[test]
fn too_small_says_what_it_needs() {
    let text = text(&render_cockpit(&live_with_data(), &ViewState::new(), &Theme::fallback(), 60, 10));
    assert!(text.contains("terminal too small: need 80x24 (now 60x10)"), "{text}");
}

#[test]
fn the_focused_pane_title_uses_title_focused() {
    let mut view = ViewState::new();
    view.focus = PaneId::Signals;
    let buf = render_cockpit(&live_with_data(), &view, &Theme::fallback(), 160, 48);
    let (x, y) = find(&buf, "4 Signals");
    assert_eq!((buf[(x, y)].fg, buf[(x, y)].bg), (Color::Black, Color::Cyan));
    let (x, y) = find(&buf, "2 Positions");
    assert_eq!((buf[(x, y)].fg, buf[(x, y)].bg), (Color::Gray, Color::Reset));
}

#[test]
fn help_is_built_from_the_active_keymap() {
    let keymap = Keymap::default_keymap()
        .overlay(&[KeyRowSpec { on: "x".into(), run: "quit".into(), desc: Some("Leave at once".into()) }])
        .expect("valid");
    let mut view = ViewState::with_keymap(keymap);
    view.help_open = true;
    let text = text(&render_cockpit(&live_with_data(), &view, &Theme::fallback(), 160, 48));
    assert!(line_with(&text, "Move the selection down").contains("j, down"), "{text}");
    assert!(line_with(&text, "Leave at once").contains(" x "), "{text}");
    assert!(!line_with(&text, "Keys (? or esc to close)").is_empty());
}

#[test]
fn no_color_renders_without_any_colour() {
    let theme = load_theme("colorblind", Path::new("/nonexistent"), true).expect("loads");
    let mut view = ViewState::new();
    view.help_open = true;
    let buf = render_cockpit(&live_with_data(), &view, &theme, 160, 48);
    for cell in buf.content() {
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
    }
}

// ---- Actions and mouse ----

#[test]
fn focus_moves_with_tab_shift_tab_and_numbers() {
    let store = live_with_data();
    let mut view = ViewState::new();
    assert_eq!(handle_action(&mut view, Action::FocusPrev, &store), ActionOutcome::Consumed);
    assert_eq!(view.focus, PaneId::Orders);
    handle_action(&mut view, Action::FocusNext, &store);
    assert_eq!(view.focus, PaneId::Accounts);
    for (n, pane) in [
        (2, PaneId::Positions),
        (3, PaneId::Health),
        (4, PaneId::Signals),
        (5, PaneId::Diagnostics),
        (6, PaneId::Watchlist),
        (7, PaneId::Orders),
        (1, PaneId::Accounts),
    ] {
        assert_eq!(handle_action(&mut view, Action::FocusPane(n), &store), ActionOutcome::Consumed);
        assert_eq!(view.focus, pane);
    }
    assert_eq!(view.main_slot, PaneId::Orders, "the shared slot shows the last of Positions, Watchlist, Orders");
    assert_eq!(handle_action(&mut view, Action::FocusPane(8), &store), ActionOutcome::Ignored);
    assert_eq!(view.focus, PaneId::Accounts);
    assert_eq!(handle_action(&mut view, Action::Quit, &store), ActionOutcome::Quit);
    assert_eq!(handle_action(&mut view, Action::CycleTheme, &store), ActionOutcome::CycleTheme);
}

#[test]
fn zoom_and_help_toggle_and_escape_closes_the_top_one() {
    let store = live_with_data();
    let mut view = ViewState::new();
    handle_action(&mut view, Action::ToggleZoom, &store);
    assert!(view.zoomed);
    handle_action(&mut view, Action::ToggleHelp, &store);
    assert!(view.help_open);
    // Focus keys wait while the help is open.
    assert_eq!(handle_action(&mut view, Action::FocusNext, &store), ActionOutcome::Ignored);
    assert_eq!(handle_action(&mut view, Action::Back, &store), ActionOutcome::Consumed);
    assert!(!view.help_open && view.zoomed);
    assert_eq!(handle_action(&mut view, Action::Back, &store), ActionOutcome::Consumed);
    assert!(!view.zoomed);
    assert_eq!(handle_action(&mut view, Action::Back, &store), ActionOutcome::Ignored);
    let text = text(&render_cockpit(
        &store,
        &{
            let mut v = ViewState::new();
            v.zoomed = true;
            v.focus = PaneId::Health;
            v
        },
        &Theme::fallback(),
        80,
        24,
    ));
    assert!(text.starts_with("┌ 3 Connection · live "), "{text}");
    assert!(!text.contains("Accounts ·"), "{text}");
}

#[test]
fn selection_moves_and_stops_at_the_ends() {
    let mut store = live_with_data();
    for i in 0..30 {
        signal(&mut store, i, "QQQ", SignalSide::Flat, "0.1", &format!("r{i}"));
    }
    let mut view = ViewState::new();
    view.focus = PaneId::Signals;
    let _ = render_cockpit(&store, &view, &Theme::fallback(), 160, 48);
    let page = view.last_drawn(PaneId::Signals).expect("drawn").page;
    assert_eq!(handle_action(&mut view, Action::Up, &store), ActionOutcome::Ignored);
    handle_action(&mut view, Action::Down, &store);
    handle_action(&mut view, Action::Down, &store);
    assert_eq!(view.pane(PaneId::Signals).selected, 2);
    handle_action(&mut view, Action::Bottom, &store);
    assert_eq!(view.pane(PaneId::Signals).selected, 31);
    assert_eq!(handle_action(&mut view, Action::Down, &store), ActionOutcome::Ignored);
    handle_action(&mut view, Action::PageUp, &store);
    assert_eq!(view.pane(PaneId::Signals).selected, 31 - page, "a page is what the last frame showed");
    handle_action(&mut view, Action::Top, &store);
    assert_eq!(view.pane(PaneId::Signals).selected, 0);
    // Scrolling to the bottom keeps the selected row on screen.
    handle_action(&mut view, Action::Bottom, &store);
    let text = text(&render_cockpit(&store, &view, &Theme::fallback(), 160, 48));
    assert!(
        text.contains(" r0 ") || text.contains(" r0\n") || text.contains(" r0│"),
        "the oldest signal is on screen:\n{text}"
    );
    assert!(!text.contains(" r29"), "the newest scrolled away:\n{text}");
}

fn mouse(kind: MouseEventKind, column: u16, row: u16) -> MouseEvent {
    MouseEvent { kind, column, row, modifiers: KeyModifiers::NONE }
}

#[test]
fn a_click_focuses_the_pane_under_it_and_the_wheel_scrolls_it() {
    let store = live_with_data();
    let mut view = ViewState::new();
    // Before any frame there is no layout: nothing happens.
    assert!(!handle_mouse(&mut view, mouse(MouseEventKind::Down(MouseButton::Left), 100, 5)));
    let _ = render_cockpit(&store, &view, &Theme::fallback(), 160, 48);
    let positions = view.last_rect(PaneId::Positions).expect("drawn");
    assert!(handle_mouse(&mut view, mouse(MouseEventKind::Down(MouseButton::Left), positions.x + 3, positions.y + 2)));
    assert_eq!(view.focus, PaneId::Positions);
    assert!(handle_mouse(&mut view, mouse(MouseEventKind::ScrollDown, positions.x + 3, positions.y + 2)));
    assert_eq!(view.pane(PaneId::Positions).selected, 2, "3 rows: the wheel stops at the last");
    assert!(!handle_mouse(&mut view, mouse(MouseEventKind::ScrollDown, positions.x + 3, positions.y + 2)));
    assert!(handle_mouse(&mut view, mouse(MouseEventKind::ScrollUp, positions.x + 3, positions.y + 2)));
    assert_eq!(view.pane(PaneId::Positions).selected, 0);
    // A click on a row selects it: the border and the header come first.
    assert!(handle_mouse(&mut view, mouse(MouseEventKind::Down(MouseButton::Left), positions.x + 3, positions.y + 4)));
    assert_eq!(view.pane(PaneId::Positions).selected, 2);
    let text = text(&render_cockpit(&store, &view, &Theme::fallback(), 160, 48));
    assert_eq!(text.lines().nth(usize::from(positions.y) + 4).map(|l| l.contains("SPY")), Some(true));
    // A click below the last row changes nothing.
    assert!(!handle_mouse(&mut view, mouse(MouseEventKind::Down(MouseButton::Left), positions.x + 3, positions.y + 9)));
    assert_eq!(view.pane(PaneId::Positions).selected, 2);
    // The status bar is no pane.
    assert!(!handle_mouse(&mut view, mouse(MouseEventKind::Down(MouseButton::Left), 5, 47)));
    assert_eq!(view.focus, PaneId::Positions);
}

// ---- Snapshots ----

fn snapshot_name(parts: &[&str]) -> String {
    parts.join("_")
}

#[test]
fn snapshot_cockpit_in_every_state_at_two_sizes() {
    let mut connecting_store = just_started();
    connecting(&mut connecting_store, 1, 2);
    let states: [(&str, Store); 5] = [
        ("empty", just_started()),
        ("connecting", connecting_store),
        ("reconciling", reconciling()),
        ("live", live_with_data()),
        ("failed", failed()),
    ];
    for (state, store) in &states {
        for (w, h) in [(80, 24), (160, 48)] {
            let buf = render_cockpit(store, &ViewState::new(), &Theme::fallback(), w, h);
            insta::assert_snapshot!(snapshot_name(&["cockpit", state, &format!("{w}x{h}")]), text(&buf));
        }
    }
}

#[test]
fn snapshot_cockpit_with_styles_in_every_theme() {
    for name in embedded_theme_names() {
        let mut view = ViewState::new();
        view.focus = PaneId::Positions;
        let buf = render_cockpit(&live_with_data(), &view, &theme(name), 80, 24);
        insta::assert_snapshot!(snapshot_name(&["cockpit_styles", name]), text_with_styles(&buf));
    }
    // The wide layout in a second theme, failed, with the diagnostics pane focused.
    let mut view = ViewState::new();
    view.focus = PaneId::Diagnostics;
    let buf = render_cockpit(&failed(), &view, &theme("light"), 160, 48);
    insta::assert_snapshot!("cockpit_styles_light_failed_160x48", text_with_styles(&buf));
}

#[test]
fn snapshot_every_pane_in_two_themes() {
    let panes = [
        (PaneId::Accounts, "accounts", live_with_data(), 47, 15),
        (PaneId::Positions, "positions", live_with_data(), 100, 8),
        (PaneId::Health, "health_live", live_with_data(), 70, 18),
        (PaneId::Health, "health_down", failed(), 70, 12),
        (PaneId::Signals, "signals", live_with_data(), 60, 6),
        (PaneId::Signals, "signals_none_configured", just_started(), 60, 6),
        (PaneId::Diagnostics, "diagnostics_failed", failed(), 90, 16),
    ];
    for theme_name in ["dark", "colorblind"] {
        for (pane, name, store, w, h) in &panes {
            let buf = render_pane(store, *pane, &theme(theme_name), *w, *h);
            insta::assert_snapshot!(snapshot_name(&["pane", name, theme_name]), text_with_styles(&buf));
        }
    }
}

#[test]
fn snapshot_help_overlay_and_zoom() {
    let mut view = ViewState::new();
    view.help_open = true;
    let buf = render_cockpit(&live_with_data(), &view, &Theme::fallback(), 80, 24);
    insta::assert_snapshot!("cockpit_help_80x24", text(&buf));
    let mut view = ViewState::new();
    view.zoomed = true;
    view.focus = PaneId::Positions;
    let buf = render_cockpit(&live_with_data(), &view, &Theme::fallback(), 80, 24);
    insta::assert_snapshot!("cockpit_zoom_positions_80x24", text(&buf));
}

#[test]
fn a_reconnecting_store_keeps_its_figures() {
    let mut store = live_with_data();
    broker(
        &mut store,
        55,
        BrokerEvent::Disconnected {
            kind: DisconnectKind::Lost,
            reason: "reset".into(),
            next_try_at: Some(t(63)),
            attempt: 2,
        },
    );
    assert!(matches!(store.connection.state, ConnectionState::Reconnecting { .. }));
    let text = text(&render_cockpit(&store, &ViewState::new(), &Theme::fallback(), 160, 48));
    assert!(text.contains("1,000,123.45"), "{text}");
    assert!(text.lines().last().is_some_and(|l| l.contains("reconnecting #2 in 3s")), "{text}");
    // The health pane says why, and since when.
    assert!(text.contains("Session   reconnecting (attempt 2), next try in 3s:"), "{text}");
    assert!(text.contains("│          reset"), "the reason follows: {text}");
    assert!(text.contains("Lost      14:30:55 UTC (5s ago)"), "{text}");
}

#[test]
fn a_long_outage_or_a_silent_gateway_gets_a_hint() {
    use crate::store::ConnectionHealth;
    use crate::ui::panes::health::outage_hint;
    let health = |state: ConnectionState| ConnectionHealth {
        state,
        outage_since: Some(t(0)),
        degraded_since: Some(t(0)),
        ..ConnectionHealth::default()
    };
    let reconnecting =
        |reason: &str| health(ConnectionState::Reconnecting { attempt: 9, next_try_at: t(100), reason: reason.into() });
    let refused = reconnecting("connection refused: no gateway is listening there");
    assert_eq!(outage_hint(&refused, t(60)), None, "a minute is a restart, say nothing yet");
    let hint = outage_hint(&refused, t(180)).expect("hint");
    assert!(hint.starts_with("away for 3 min") && hint.contains("2FA"), "{hint}");
    let silent =
        reconnecting("no answer within 10s: the gateway accepts connections but does not finish the handshake");
    assert!(outage_hint(&silent, t(20)).is_some_and(|h| h.contains("AcceptNonBrokerageAccountWarning")));
    assert_eq!(outage_hint(&health(ConnectionState::Live), t(900)), None);
    // A long 1100: probably another login took the session over.
    let degraded = health(ConnectionState::Degraded { code: 1100 });
    assert_eq!(outage_hint(&degraded, t(120)), None);
    assert!(outage_hint(&degraded, t(600)).is_some_and(|h| h.contains("10 min") && h.contains("another login")));
}

#[test]
fn a_stale_connection_says_so_in_the_health_pane_and_status_bar() {
    let mut store = live_with_data();
    broker(&mut store, 58, BrokerEvent::Stale { reason: "stale: no answer to the liveness probe within 5s".into() });
    let text = text(&render_cockpit(&store, &ViewState::new(), &Theme::fallback(), 160, 48));
    assert!(text.contains("Session   stale since 14:30:58 UTC: no answer to"), "{text}");
    assert!(text.lines().last().is_some_and(|l| l.contains("│ stale │")), "{text}");
}

fn long_keymap() -> Keymap {
    let extra: Vec<KeyRowSpec> = (1..=12)
        .map(|n| KeyRowSpec { on: format!("f{n}"), run: "top".into(), desc: Some(format!("Extra binding number {n}")) })
        .collect();
    Keymap::default_keymap().overlay(&extra).expect("valid")
}

#[test]
fn a_help_longer_than_the_screen_scrolls_with_keys_and_wheel_and_a_click_closes_it() {
    let store = live_with_data();
    let mut view = ViewState::with_keymap(long_keymap());
    assert_eq!(handle_action(&mut view, Action::ToggleHelp, &store), ActionOutcome::Consumed);
    let first = text(&render_cockpit(&store, &view, &Theme::fallback(), 80, 24));
    assert!(first.contains("Quit robo-tui") && !first.contains("Extra binding number 12"), "{first}");
    assert_eq!(handle_action(&mut view, Action::Bottom, &store), ActionOutcome::Consumed);
    let last = text(&render_cockpit(&store, &view, &Theme::fallback(), 80, 24));
    assert!(last.contains("Extra binding number 12") && !last.contains("Quit robo-tui"), "{last}");
    assert_eq!(handle_action(&mut view, Action::Down, &store), ActionOutcome::Ignored, "already at the end");
    assert!(handle_mouse(&mut view, mouse(MouseEventKind::ScrollUp, 40, 12)));
    assert_eq!(view.help_scroll, help::line_count(view.keymap()) - view.help_page() - 3);
    assert!(handle_mouse(&mut view, mouse(MouseEventKind::Down(MouseButton::Left), 40, 12)));
    assert!(!view.help_open);
    assert_eq!(view.focus, PaneId::Accounts, "the click that closes the help focuses nothing");
}

#[test]
fn the_status_bar_shows_the_keys_of_the_active_keymap() {
    let keymap = Keymap::default_keymap()
        .overlay(&[
            KeyRowSpec { on: "?".into(), run: "none".into(), desc: None },
            KeyRowSpec { on: "f1".into(), run: "toggle_help".into(), desc: Some("Help".into()) },
        ])
        .expect("valid");
    let view = ViewState::with_keymap(keymap);
    let text = text(&render_cockpit(&live_with_data(), &view, &Theme::fallback(), 120, 30));
    assert!(text.lines().last().is_some_and(|l| l.ends_with("f1 help  q quit")), "{text}");
}

#[test]
fn draw_renders_through_a_terminal_frame() {
    let backend = ratatui::backend::TestBackend::new(80, 24);
    let mut terminal = ratatui::Terminal::new(backend).expect("test terminal");
    let store = live_with_data();
    let view = ViewState::new();
    let theme = Theme::fallback();
    let tail = log_tail();
    let ctx = RenderContext { now: now(), theme: &theme, log_tail: &tail };
    terminal.draw(|frame| draw(frame, &store, &view, &ctx)).expect("draws");
    let expected = render_cockpit(&store, &ViewState::new(), &theme, 80, 24);
    assert_eq!(text(terminal.backend().buffer()), text(&expected));
    assert!(view.last_rect(PaneId::Accounts).is_some(), "draw remembers the layout for the mouse");
}

#[test]
fn a_gateway_message_with_newlines_stays_on_its_lines() {
    let mut store = live_with_data();
    broker(
        &mut store,
        59,
        BrokerEvent::Notice { id: 7, code: 10167, text: "Requested market data\nis not subscribed.\tDelayed".into() },
    );
    let buf = render_pane(&store, PaneId::Health, &Theme::fallback(), 90, 20);
    assert!(line_with(&text(&buf), "10167").contains("Requested market data is not subscribed. Delayed"));
    assert!(buf.content().iter().all(|c| !c.symbol().chars().any(char::is_control)));
}
