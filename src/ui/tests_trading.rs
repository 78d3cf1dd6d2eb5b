//! Tests of the watchlist and orders panes, the positions' sort and filter, the account
//! switcher and the seven-pane layout: behaviour first, then insta snapshots (fixed clock,
//! scripted stores) in two themes and two sizes.

use super::panes::{orders, watchlist};
use super::test_support::*;
use super::*;
use crate::config::keymap::Action;
use crate::config::theme::load_theme;
use crate::store::{BrokerEvent, StoreEvent, TradingEvent};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use ratatui::style::Color;
use std::path::Path;

fn theme(name: &str) -> Theme {
    load_theme(name, Path::new("/nonexistent"), false).expect("embedded theme")
}

fn pane_text(store: &Store, view: &ViewState, pane: PaneId, width: u16, height: u16) -> String {
    text(&render_pane_view(store, view, pane, &Theme::fallback(), width, height))
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent { code, modifiers: KeyModifiers::NONE, kind: KeyEventKind::Press, state: KeyEventState::NONE }
}

/// The symbols of the positions table, top to bottom.
fn position_symbols(store: &Store, view: &ViewState) -> Vec<String> {
    panes::positions::rows_of(store, view).iter().map(|l| l.row.symbol.clone()).collect()
}

// ---- Watchlist ----

#[test]
fn watchlist_lists_the_configured_symbols_then_the_positions_once() {
    let store = with_quotes();
    assert_eq!(watchlist::symbols(&store, Some(ACCOUNT)), ["AAPL", "MSFT", "ZZZZ", "QQQ", "NVDA", "SPY"]);
    // Another account's positions are not added.
    assert_eq!(watchlist::symbols(&store, Some("DU0000000")), ["AAPL", "MSFT", "ZZZZ", "QQQ"]);
}

#[test]
fn watchlist_rows_show_signed_change_the_reported_data_type_and_dashes_until_data_arrives() {
    let store = with_quotes();
    let view = ViewState::new();
    let buf = render_pane_view(&store, &view, PaneId::Watchlist, &Theme::fallback(), 110, 10);
    let text = text(&buf);
    let aapl = line_with(&text, "AAPL");
    for part in ["151.00", "151.02", "151.01", "+1.01", "+0.67%", "1,234,567", "LIVE", "10s"] {
        assert!(aapl.contains(part), "{part} missing: {aapl}");
    }
    assert!(aapl.contains('▁') && aapl.contains('█'), "a sparkline of the bars: {aapl}");
    let msft = line_with(&text, "MSFT");
    assert!(msft.contains("-4.20") && msft.contains("-1.00%") && msft.contains("DELAYED"), "{msft}");
    // Nothing arrived for QQQ: every value and the data type read `--`, never LIVE.
    let qqq = line_with(&text, "QQQ");
    assert_eq!(qqq.matches("--").count(), 8, "{qqq}");
    assert!(!qqq.contains("LIVE"), "{qqq}");
    // SPY is held but has no quote: it is listed, with dashes.
    assert!(line_with(&text, "SPY").contains("--"), "{text}");
    let zzzz = line_with(&text, "ZZZZ");
    assert!(zzzz.contains("200 No security definition has been found"), "{zzzz}");
    assert!(line_with(&text, "Watchlist").contains("6 · 1 without data"), "{text}");
    let (x, y) = find(&buf, "+1.01");
    assert_eq!(buf[(x, y)].fg, Color::LightGreen);
    let (x, y) = find(&buf, "-4.20");
    assert_eq!(buf[(x, y)].fg, Color::LightRed);
}

#[test]
fn an_empty_watchlist_says_where_symbols_come_from() {
    let text = pane_text(&just_started(), &ViewState::new(), PaneId::Watchlist, 60, 6);
    assert!(text.contains("No symbols: the watchlist in the config is empty"), "{text}");
}

/// Where `needle` starts in the buffer.
fn find(buf: &ratatui::buffer::Buffer, needle: &str) -> (u16, u16) {
    for (y, line) in text(buf).lines().enumerate() {
        if let Some(byte) = line.find(needle) {
            return (line[..byte].chars().count() as u16, y as u16);
        }
    }
    panic!("{needle:?} not in\n{}", text(buf))
}

// ---- Orders ----

#[test]
fn orders_show_own_and_other_clients_with_unconfirmed_rejected_and_partial_fills() {
    let store = with_orders();
    let text = pane_text(&store, &ViewState::new(), PaneId::Orders, 100, 30);
    assert!(text.contains("order entry enabled: PAPER"), "{text}");
    let unconfirmed = line_with(&text, "    13 ");
    assert!(unconfirmed.contains("UNCONFIRMED") && unconfirmed.contains("own"), "{unconfirmed}");
    let partial = line_with(&text, "    11 ");
    assert!(partial.contains("40/100") && partial.contains("151.02") && partial.contains("Submitted"), "{partial}");
    let rejected = line_with(&text, "    12 ");
    assert!(rejected.contains("Rejected") && rejected.contains("0/10"), "{rejected}");
    let other = line_with(&text, "   *40 ");
    assert!(other.contains("cl 5") && other.contains("PreSubmitted"), "{other}");
    assert!(text.contains("* other client: read only"), "{text}");
    // Narrow: the "By" column goes, the mark on the id stays.
    let narrow = pane_text(&store, &ViewState::new(), PaneId::Orders, 36, 15);
    assert!(line_with(&narrow, "*40").contains("NVDA") && !narrow.contains("cl 5"), "{narrow}");
    // Working orders first, newest first; final ones after.
    let ids: Vec<i32> = orders::rows_of(&store, Some(ACCOUNT)).iter().map(|r| r.order_id).collect();
    assert_eq!(ids, [40, 13, 11, 12]);
}

#[test]
fn an_order_shows_unconfirmed_only_after_the_ack_timeout() {
    let store = with_orders();
    let row = &store.orders[&13];
    assert_eq!(row.lifecycle.shown_status(t(54), crate::store::ACK_TIMEOUT).label(), "PendingSubmit");
    assert_eq!(row.lifecycle.shown_status(t(55), crate::store::ACK_TIMEOUT).label(), "UNCONFIRMED");
}

#[test]
fn repeated_statuses_are_one_line_with_a_count_and_a_late_one_names_the_status_it_kept() {
    let mut store = with_orders();
    let status = |store: &mut Store, secs, status: &str| {
        let event = BrokerEvent::OrderStatus {
            order_id: 11,
            client_id: 17,
            perm_id: Some(9001),
            status: status.into(),
            filled: None,
            remaining: None,
        };
        store.apply(t(secs), StoreEvent::Broker(event));
    };
    status(&mut store, 24, "Submitted");
    status(&mut store, 25, "Submitted");
    status(&mut store, 26, "PreSubmitted");
    let mut view = ViewState::new();
    view.focus = PaneId::Orders;
    view.pane_mut(PaneId::Orders).selected = 2;
    let text = pane_text(&store, &view, PaneId::Orders, 100, 30);
    assert!(text.contains("14:30:24 status Submitted again ×2"), "{text}");
    assert!(text.contains("14:30:26 status PreSubmitted (kept Submitted: never backwards)"), "{text}");
    assert!(!text.contains("14:30:25"), "the repeat is folded into the line before: {text}");
}

#[test]
fn the_selected_orders_timeline_lists_statuses_fills_with_commission_and_codes_with_class() {
    let store = with_orders();
    let mut view = ViewState::new();
    view.focus = PaneId::Orders;
    // Rows: 40, 13, 11, 12.
    view.pane_mut(PaneId::Orders).selected = 2;
    let text = pane_text(&store, &view, PaneId::Orders, 100, 30);
    assert!(text.contains("Timeline of order 11 · intent-11 (UTC)"), "{text}");
    assert!(line_with(&text, "14:30:20 submitted").len() > 10);
    assert!(text.contains("14:30:21 status Submitted"), "{text}");
    assert!(text.contains("14:30:22 fill 40 @ 151.02 · commission 1.00 USD · exec 0001.01"), "{text}");
    assert!(text.contains("14:30:23 commission 1.00 USD for exec 0001.01"), "{text}");
    view.pane_mut(PaneId::Orders).selected = 3;
    let text = pane_text(&store, &view, PaneId::Orders, 100, 30);
    assert!(
        text.contains("14:30:31 code 201 rejection (order rejected): Order rejected - reason: YOUR ORDER IS NOT"),
        "{text}"
    );
    assert!(text.contains("status Rejected"), "{text}");
}

#[test]
fn executions_of_the_day_carry_their_commission() {
    let text = pane_text(&with_orders(), &ViewState::new(), PaneId::Orders, 100, 30);
    assert!(text.contains("Executions today (1)"), "{text}");
    assert!(line_with(&text, "BOT 40 AAPL").contains("@ 151.02 comm 1.00 USD  #11 0001.01"), "{text}");
}

#[test]
fn the_order_entry_line_gives_the_guards_reason() {
    let mut store = with_orders();
    store.apply(t(59), StoreEvent::Trading(TradingEvent::Halted(true)));
    let text = pane_text(&store, &ViewState::new(), PaneId::Orders, 100, 12);
    assert!(text.contains("order entry disabled: halted by the trader: cancels only"), "{text}");
    let mut live = just_started();
    connecting(&mut live, 1, 1);
    broker(
        &mut live,
        2,
        BrokerEvent::Connected {
            server_version: 187,
            connection_time: None,
            managed_accounts: vec!["U1234567".into()],
        },
    );
    trading_session(&mut live);
    let text = pane_text(&live, &ViewState::new(), PaneId::Orders, 100, 12);
    assert!(
        text.contains("order entry disabled: LIVE account U1234567 reported by the gateway; trading.allow_live is off"),
        "{text}"
    );
    let text = pane_text(&live, &ViewState::new(), PaneId::Orders, 100, 12);
    assert!(text.contains("No orders today in this account."), "{text}");
}

// ---- Positions: sort and filter ----

#[test]
fn positions_sort_by_the_chosen_column_with_missing_values_last_either_way() {
    let store = live_with_data();
    let mut view = ViewState::new();
    assert_eq!(position_symbols(&store, &view), ["AAPL", "NVDA", "SPY"]);
    // Sort keys only act on the focused positions table.
    assert_eq!(handle_action(&mut view, Action::SortNext, &store), ActionOutcome::Ignored);
    view.focus = PaneId::Positions;
    for _ in 0..6 {
        assert_eq!(handle_action(&mut view, Action::SortNext, &store), ActionOutcome::Consumed);
    }
    let text = pane_text(&store, &view, PaneId::Positions, 130, 8);
    assert!(line_with(&text, "Positions").contains("sort Unrl P&L ▲"), "{text}");
    assert_eq!(position_symbols(&store, &view), ["SPY", "AAPL", "NVDA"], "unrealized -12.50, +75.00, then unknown");
    handle_action(&mut view, Action::SortReverse, &store);
    assert_eq!(position_symbols(&store, &view), ["AAPL", "SPY", "NVDA"], "unknown stays last");
    // Back past the first column wraps to the last (currency), then to %NetLiq.
    view.positions_sort = SortState::default();
    handle_action(&mut view, Action::SortPrev, &store);
    assert_eq!(view.positions_sort.column, panes::positions::COLUMN_COUNT - 1);
    handle_action(&mut view, Action::SortPrev, &store);
    assert_eq!(position_symbols(&store, &view), ["SPY", "AAPL", "NVDA"], "%NetLiq -0.5, +1.5, unknown");
}

#[test]
fn positions_show_last_realized_and_share_of_net_liquidation() {
    let mut store = with_quotes();
    broker(
        &mut store,
        55,
        BrokerEvent::PnlSingle {
            account: ACCOUNT.into(),
            con_id: 265598,
            daily: None,
            unrealized: None,
            realized: Some(d("-3.25")),
        },
    );
    let text = pane_text(&store, &ViewState::new(), PaneId::Positions, 130, 8);
    let aapl = line_with(&text, "AAPL");
    assert!(aapl.contains("151.01") && aapl.contains("-3.25") && aapl.contains("1.5%"), "{aapl}");
}

#[test]
fn slash_filters_positions_by_symbol_typed_keys_stay_in_the_filter_and_esc_clears() {
    let store = live_with_data();
    let mut view = ViewState::new();
    assert_eq!(handle_filter_key(&mut view, &key(KeyCode::Char('a'))), ActionOutcome::Ignored, "not typing yet");
    assert_eq!(handle_action(&mut view, Action::Filter, &store), ActionOutcome::Consumed);
    assert_eq!(view.focus, PaneId::Positions);
    assert!(view.is_typing());
    assert_eq!(handle_filter_key(&mut view, &key(KeyCode::Char('a'))), ActionOutcome::Consumed);
    assert_eq!(position_symbols(&store, &view), ["AAPL", "NVDA"], "case-insensitive substring");
    // `q` is typed into the filter, not taken as quit; backspace deletes.
    assert_eq!(handle_filter_key(&mut view, &key(KeyCode::Char('q'))), ActionOutcome::Consumed);
    assert_eq!(view.positions_filter.text, "aq");
    assert!(position_symbols(&store, &view).is_empty());
    let text = pane_text(&store, &view, PaneId::Positions, 100, 8);
    assert!(text.contains("No position matches \"aq\""), "{text}");
    assert!(line_with(&text, "Positions").contains("/aq▏"), "{text}");
    let screen = super::test_support::text(&render_cockpit(&store, &view, &Theme::fallback(), 120, 30));
    assert!(screen.lines().last().is_some_and(|l| l.contains("filter /aq (enter keeps, esc clears)")), "{screen}");
    handle_filter_key(&mut view, &key(KeyCode::Backspace));
    handle_filter_key(&mut view, &key(KeyCode::Char('P')));
    assert_eq!(handle_filter_key(&mut view, &key(KeyCode::Enter)), ActionOutcome::Consumed);
    assert!(!view.is_typing());
    assert_eq!(position_symbols(&store, &view), ["AAPL"]);
    assert_eq!(handle_filter_key(&mut view, &key(KeyCode::Char('x'))), ActionOutcome::Ignored, "done typing");
    // Esc (the keymap's back) clears the kept filter.
    assert_eq!(handle_action(&mut view, Action::Back, &store), ActionOutcome::Consumed);
    assert_eq!(position_symbols(&store, &view), ["AAPL", "NVDA", "SPY"]);
    // Esc while typing clears too.
    handle_action(&mut view, Action::Filter, &store);
    handle_filter_key(&mut view, &key(KeyCode::Char('s')));
    assert_eq!(handle_filter_key(&mut view, &key(KeyCode::Esc)), ActionOutcome::Consumed);
    assert_eq!(view.positions_filter, FilterState::default());
}

// ---- Accounts ----

#[test]
fn the_account_switcher_shows_one_account_at_a_time_in_every_pane() {
    let store = two_accounts();
    let mut view = ViewState::new();
    let screen = |view: &ViewState| text(&render_cockpit(&store, view, &Theme::fallback(), 160, 48));
    let first = screen(&view);
    assert!(line_with(&first, "1 Accounts").contains("DU1234567 (1/2, a switches)"), "{first}");
    assert!(first.contains("AAPL") && !first.contains("TSLA"), "{first}");
    assert!(first.lines().last().is_some_and(|l| l.contains("DU1234567")), "status bar");
    assert_eq!(handle_action(&mut view, Action::NextAccount, &store), ActionOutcome::Consumed);
    let second = screen(&view);
    assert!(line_with(&second, "1 Accounts").contains("DU7654321 (2/2, a switches)"), "{second}");
    assert!(second.contains("TSLA") && !second.contains("AAPL"), "{second}");
    assert!(line_with(&second, "Net Liq").contains("48,000.00"), "{second}");
    assert!(second.lines().last().is_some_and(|l| l.contains("DU7654321") && !l.contains("DU1234567")));
    let orders = orders::rows_of(&store, view.shown_account(&store));
    assert!(orders.iter().all(|o| o.terms.as_ref().is_some_and(|t| t.account == SECOND_ACCOUNT)));
    assert_eq!(orders.len(), 1);
    handle_action(&mut view, Action::NextAccount, &store);
    assert_eq!(view.shown_account(&store), Some(ACCOUNT), "cycles back");
    // One account: nothing to switch.
    assert_eq!(handle_action(&mut ViewState::new(), Action::NextAccount, &live_with_data()), ActionOutcome::Ignored);
}

#[test]
fn an_order_without_terms_is_hidden_while_several_accounts_could_own_it() {
    let mut store = two_accounts();
    broker(
        &mut store,
        20,
        BrokerEvent::OrderStatus {
            order_id: 77,
            client_id: 3,
            perm_id: None,
            status: "Submitted".into(),
            filled: None,
            remaining: Some(d("5")),
        },
    );
    assert!(orders::rows_of(&store, Some(ACCOUNT)).iter().all(|o| o.order_id != 77));
    let mut single = live_with_data();
    broker(
        &mut single,
        20,
        BrokerEvent::OrderStatus {
            order_id: 77,
            client_id: 3,
            perm_id: None,
            status: "Submitted".into(),
            filled: None,
            remaining: Some(d("5")),
        },
    );
    assert!(orders::rows_of(&single, Some(ACCOUNT)).iter().any(|o| o.order_id == 77));
}

#[test]
fn net_liq_sparkline_sits_on_the_accounts_border_and_minus_one_day_trades_reads_unlimited() {
    let mut store = two_accounts();
    broker(
        &mut store,
        10,
        BrokerEvent::AccountValue {
            account: ACCOUNT.into(),
            tag: "DayTradesRemaining".into(),
            value: "-1".into(),
            currency: String::new(),
        },
    );
    let text = pane_text(&store, &ViewState::new(), PaneId::Accounts, 60, 15);
    assert!(line_with(&text, "Day Trades").contains("unlimited"), "{text}");
    assert!(line_with(&text, "1 Accounts").contains(" ▁█▅ "), "NetLiq 1,000,000 → 1,000,100 → 1,000,050: {text}");
}

// ---- Connection health ----

#[test]
fn health_shows_the_age_of_each_subscription_and_of_the_newest_tick() {
    let text = pane_text(&with_quotes(), &ViewState::new(), PaneId::Health, 70, 30);
    assert!(line_with(&text, "  positions").contains("Ok       55s"), "{text}");
    assert!(text.contains("last tick 10s ago (3 symbols)"), "{text}");
}

// ---- Help and layout ----

#[test]
fn the_help_lists_the_new_keys_from_the_keymap() {
    let store = live_with_data();
    let mut view = ViewState::new();
    handle_action(&mut view, Action::ToggleHelp, &store);
    let mut seen = String::new();
    // The help scrolls; read it page by page.
    for _ in 0..10 {
        seen.push_str(&text(&render_cockpit(&store, &view, &Theme::fallback(), 120, 40)));
        handle_action(&mut view, Action::PageDown, &store);
    }
    for desc in [
        "Go to Watchlist",
        "Go to Orders",
        "Positions: sort by the next column",
        "Positions: reverse the sort",
        "Positions: filter by symbol",
        "Show the next managed account",
    ] {
        assert!(seen.contains(desc), "{desc} missing from the help:\n{seen}");
    }
}

#[test]
fn small_screens_show_the_watchlist_or_orders_in_the_positions_slot_when_focused() {
    let store = with_orders();
    let mut view = ViewState::new();
    handle_action(&mut view, Action::FocusPane(6), &store);
    let screen = text(&render_cockpit(&store, &view, &Theme::fallback(), 80, 24));
    assert!(screen.contains("6 Watchlist") && !screen.contains("2 Positions"), "{screen}");
    // Focus elsewhere keeps the watchlist in the slot.
    handle_action(&mut view, Action::FocusPane(3), &store);
    let screen = text(&render_cockpit(&store, &view, &Theme::fallback(), 80, 24));
    assert!(screen.contains("6 Watchlist"), "{screen}");
    handle_action(&mut view, Action::FocusPane(2), &store);
    let screen = text(&render_cockpit(&store, &view, &Theme::fallback(), 80, 24));
    assert!(screen.contains("2 Positions") && !screen.contains("6 Watchlist"), "{screen}");
}

#[test]
fn a_click_selects_an_order_row_under_the_entry_line() {
    let store = with_orders();
    let mut view = ViewState::new();
    render_cockpit(&store, &view, &Theme::fallback(), 160, 48);
    let rect = view.last_rect(PaneId::Orders).expect("drawn");
    let click = crossterm::event::MouseEvent {
        kind: crossterm::event::MouseEventKind::Down(crossterm::event::MouseButton::Left),
        column: rect.x + 3,
        row: rect.y + 3 + 2,
        modifiers: KeyModifiers::NONE,
    };
    assert!(handle_mouse(&mut view, click));
    assert_eq!(view.focus, PaneId::Orders);
    assert_eq!(view.pane(PaneId::Orders).selected, 2);
}

#[test]
fn snapshot_watchlist_and_orders_in_two_themes_and_two_sizes() {
    let mut selected_rejected = ViewState::new();
    selected_rejected.focus = PaneId::Orders;
    selected_rejected.pane_mut(PaneId::Orders).selected = 3;
    let cases: [(&str, PaneId, Store, ViewState); 5] = [
        ("watchlist", PaneId::Watchlist, with_quotes(), ViewState::new()),
        ("watchlist_empty", PaneId::Watchlist, just_started(), ViewState::new()),
        ("orders", PaneId::Orders, with_orders(), ViewState::new()),
        ("orders_rejected_selected", PaneId::Orders, with_orders(), selected_rejected),
        ("orders_empty_monitor", PaneId::Orders, reconciling(), ViewState::new()),
    ];
    for theme_name in ["dark", "colorblind"] {
        for (name, pane, store, view) in &cases {
            for (w, h) in [(78, 16), (130, 26)] {
                let buf = render_pane_view(store, view, *pane, &theme(theme_name), w, h);
                let snap = format!("pane_{name}_{theme_name}_{w}x{h}");
                if theme_name == "dark" {
                    insta::assert_snapshot!(snap, text(&buf));
                } else {
                    insta::assert_snapshot!(snap, text_with_styles(&buf));
                }
            }
        }
    }
}

#[test]
fn snapshot_all_seven_panes_at_200x50_and_the_shared_slot_at_80x24() {
    let store = with_orders();
    let mut view = ViewState::new();
    view.focus = PaneId::Orders;
    insta::assert_snapshot!(
        "cockpit_seven_panes_200x50",
        text(&render_cockpit(&store, &view, &Theme::fallback(), 200, 50))
    );
    view.main_slot = PaneId::Orders;
    insta::assert_snapshot!(
        "cockpit_orders_slot_80x24",
        text(&render_cockpit(&store, &view, &Theme::fallback(), 80, 24))
    );
    view.zoomed = true;
    view.pane_mut(PaneId::Orders).selected = 2;
    insta::assert_snapshot!(
        "cockpit_orders_zoomed_100x30",
        text(&render_cockpit(&store, &view, &Theme::fallback(), 100, 30))
    );
}

#[test]
fn very_tall_and_tiny_panes_never_panic() {
    let store = with_orders();
    let mut view = ViewState::new();
    view.pane_mut(PaneId::Orders).selected = 3;
    view.pane_mut(PaneId::Watchlist).selected = 4;
    for pane in [PaneId::Watchlist, PaneId::Orders, PaneId::Positions, PaneId::Accounts, PaneId::Health] {
        for (w, h) in [(12, 60_000), (0, 0), (1, 1), (3, 3), (10, 4), (200, 2)] {
            render_pane_view(&store, &view, pane, &Theme::fallback(), w, h);
        }
    }
    let theme = Theme::fallback();
    let ctx = MonitorContext::new(now(), &theme, true);
    let area = ratatui::layout::Rect::new(0, 0, 30, 60_000);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    monitor::render_monitor(area, &mut buf, &store, &ctx);
}

#[test]
fn snapshot_second_account_and_watchlist_slot() {
    let store = two_accounts();
    let mut view = ViewState::new();
    handle_action(&mut view, Action::NextAccount, &store);
    handle_action(&mut view, Action::FocusPane(2), &store);
    insta::assert_snapshot!(
        "cockpit_second_account_80x24",
        text(&render_cockpit(&store, &view, &Theme::fallback(), 80, 24))
    );
    let store = with_quotes();
    let mut view = ViewState::new();
    handle_action(&mut view, Action::FocusPane(6), &store);
    insta::assert_snapshot!(
        "cockpit_styles_watchlist_slot_80x24",
        text_with_styles(&render_cockpit(&store, &view, &theme("light"), 80, 24))
    );
}

// ---- brackets in the Orders pane ----

#[test]
fn a_bracket_shows_as_its_entry_with_the_exits_under_it() {
    let store = with_bracket();
    let ids: Vec<i32> = orders::rows_of(&store, Some(ACCOUNT)).iter().map(|r| r.order_id).collect();
    // The bracket (filled entry, working exits) counts as working: first, newest, legs in order.
    assert_eq!(ids, vec![40, 21, 22, 23, 13, 11, 12]);
    let mut view = ViewState::new();
    view.focus = PaneId::Orders;
    view.pane_mut(PaneId::Orders).selected = 3;
    let text = pane_text(&store, &view, PaneId::Orders, 110, 34);
    assert!(line_with(&text, "└ 23").contains(" sl "), "{text}");
    assert!(line_with(&text, "└ 22").contains(" tp "), "{text}");
    assert!(line_with(&text, " 21 ").contains("entry"), "{text}");
    // The timeline shows every leg's statuses.
    assert!(text.contains("Timeline of bracket rt-9 (UTC)"), "{text}");
    assert!(line_with(&text, "stop loss #23").contains("Submitted"), "{text}");
    assert!(line_with(&text, "entry #21").contains("Filled"), "{text}");
    insta::assert_snapshot!("orders_bracket_110x34", text);
}

#[test]
fn e_on_a_leg_opens_its_modification_with_the_stop_focused_and_x_cancels_the_whole_bracket() {
    let mut store = with_bracket();
    let mut view = ViewState::new();
    view.focus = PaneId::Orders;
    view.pane_mut(PaneId::Orders).selected = 3; // the stop loss #23
                                                // SPY not resolved yet: the modification opens and asks for its contract.
    assert_eq!(
        handle_action(&mut view, Action::ModifyLeg, &store),
        ActionOutcome::Trade(TradeRequest::Resolve { symbol: "SPY".into() })
    );
    let spy = crate::orders::ContractInfo {
        con_id: 756733,
        symbol: "SPY".into(),
        exchange: "SMART".into(),
        currency: "USD".into(),
        min_tick: d("0.01"),
        multiplier: d("1"),
    };
    broker(&mut store, 50, BrokerEvent::ContractResolved { symbol: "SPY".into(), result: Ok(spy) });
    let ticket = view.ticket.ticket().expect("the modification is open");
    assert_eq!(ticket.modify, Some(23));
    assert_eq!(ticket.focus, crate::orders::TicketField::StopPrice);
    assert_eq!(ticket.ticket.stop_price, "445.00");
    // Typing replaces the stop price at the cursor: ctrl-u, then the new one.
    let ctrl_u = KeyEvent { modifiers: KeyModifiers::CONTROL, ..key(KeyCode::Char('u')) };
    handle_key(&mut view, &ctrl_u, &store, now());
    for c in "446.50".chars() {
        handle_key(&mut view, &key(KeyCode::Char(c)), &store, now());
    }
    let out = handle_key(&mut view, &key(KeyCode::Enter), &store, now());
    match out {
        Some(ActionOutcome::Trade(TradeRequest::Preview { ticket, modify: Some(23), .. })) => {
            assert_eq!(ticket.stop_price, "446.50");
            assert!(!ticket.has_exits(), "a modification attaches nothing");
        }
        other => panic!("expected the preview of the modification, got {other:?}"),
    }
    handle_key(&mut view, &key(KeyCode::Esc), &store, now());
    handle_key(&mut view, &key(KeyCode::Esc), &store, now());
    assert!(!view.ticket.is_open());

    // X on any leg asks to cancel every working leg; y sends one request for them.
    view.pane_mut(PaneId::Orders).selected = 2; // the take profit
    assert_eq!(handle_action(&mut view, Action::CancelGroup, &store), ActionOutcome::Consumed);
    let screen = text(&render_cockpit(&store, &view, &Theme::fallback(), 110, 34));
    assert!(screen.contains("Cancel bracket rt-9: every working leg?"), "{screen}");
    assert!(line_with(&screen, "stop loss #23").contains("SELL 10 SPY STP"), "{screen}");
    assert!(!screen.contains("entry #21 ·"), "the filled entry has nothing to cancel\n{screen}");
    let out = handle_key(&mut view, &key(KeyCode::Char('y')), &store, now());
    assert_eq!(
        out,
        Some(ActionOutcome::Trade(TradeRequest::CancelGroup { group_id: "rt-9".into(), order_ids: vec![22, 23] }))
    );
    // Other clients' orders: refused with the reason, nothing asked.
    view.pane_mut(PaneId::Orders).selected = 0;
    handle_action(&mut view, Action::CancelGroup, &store);
    assert!(!view.ticket.is_open());
    assert!(view.ticket.notice().is_some_and(|n| n.contains("this session may cancel or modify only its own")));
    // Away from the Orders pane the keys say where to go.
    view.focus = PaneId::Positions;
    handle_action(&mut view, Action::ModifyLeg, &store);
    assert_eq!(view.ticket.notice(), Some("select an order in the Orders pane (7), then e edits its price"));
}

#[test]
fn a_trailing_stop_shows_its_current_stop_and_dashes_until_reported() {
    let mut store = with_bracket();
    let mut trail = terms(ACCOUNT, "SPY", "SELL", "10", "TRAIL", None);
    trail.stop_price = Some(d("0.50"));
    trail.order_ref = "rt-9.sl".into();
    let open = |trail| BrokerEvent::OpenOrder {
        order_id: 23,
        client_id: 17,
        perm_id: Some(9123),
        terms: trail,
        status: "PreSubmitted".into(),
    };
    broker(&mut store, 50, open(trail.clone()));
    let view = ViewState::new();
    let row = |store: &Store| line_with(&pane_text(store, &view, PaneId::Orders, 110, 34), "└ 23").to_string();
    assert!(row(&store).contains("TRAIL") && row(&store).contains(" -- "), "{}", row(&store));
    trail.trail_stop_price = Some(d("449.75"));
    broker(&mut store, 51, open(trail));
    assert!(row(&store).contains("449.75"), "{}", row(&store));
    assert!(!row(&store).contains("0.50"), "the trailing amount is not a price: {}", row(&store));
}
