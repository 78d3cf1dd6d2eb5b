//! Monitor layouts at each size, in Unicode and ASCII; never a panic at any size.

use super::*;
use crate::store::{BrokerEvent, StoreEvent};
use crate::ui::render_text;
use crate::ui::test_support::*;
use crossterm::event::{KeyEventKind, KeyEventState};

/// `live_with_data` with a NetLiquidation history for the sparkline.
fn monitored() -> Store {
    let mut store = live_with_data();
    for (i, value) in ["1000000", "1000300", "999800", "1000123.45"].iter().enumerate() {
        account_value(&mut store, 20 + i as i64, "NetLiquidation", value);
    }
    broker(&mut store, 58, BrokerEvent::Heartbeat);
    store
}

fn screen(store: &Store, width: u16, height: u16, ascii: bool) -> String {
    let theme = Theme::fallback();
    let ctx = MonitorContext::new(now(), &theme, ascii);
    render_text(width, height, |frame| draw_monitor(frame, store, &ctx))
}

const SIZES: [(u16, u16); 5] = [(80, 24), (60, 15), (40, 10), (20, 5), (18, 3)];

#[test]
fn snapshot_every_layout_in_unicode_and_ascii() {
    let store = monitored();
    for (w, h) in SIZES {
        for ascii in [false, true] {
            let name = format!("monitor_{w}x{h}{}", if ascii { "_ascii" } else { "" });
            insta::assert_snapshot!(name, screen(&store, w, h, ascii));
        }
    }
    insta::assert_snapshot!("monitor_failed_80x24", screen(&failed(), 80, 24, false));
    insta::assert_snapshot!("monitor_empty_40x10_ascii", screen(&just_started(), 40, 10, true));
}

#[test]
fn layouts_are_chosen_by_size() {
    use MonitorLayout::*;
    for ((w, h), expected) in [
        ((0, 0), Nothing),
        ((300, 0), Nothing),
        ((19, 100), OneLine),
        ((100, 4), OneLine),
        ((20, 5), Tiny),
        ((40, 10), Small),
        ((59, 40), Small),
        ((60, 15), Medium),
        ((79, 24), Medium),
        ((80, 23), Medium),
        ((80, 24), Full),
    ] {
        assert_eq!(MonitorLayout::for_size(w, h), expected, "{w}x{h}");
    }
}

#[test]
fn every_size_shows_the_figures_that_matter_with_their_signs() {
    let store = monitored();
    for (w, h) in SIZES {
        let text = screen(&store, w, h, true);
        assert!(text.contains("1,000,123"), "NetLiq at {w}x{h}:\n{text}");
        assert!(text.contains("+20.50"), "daily P&L carries its sign at {w}x{h}:\n{text}");
    }
    let full = screen(&store, 80, 24, false);
    for part in
        ["DU1234567 PAPER", "│ live │ upd 2s │ read-only monitor", "unrl +62.50", "-12.50", "SELL SPY", "Last signals"]
    {
        assert!(full.contains(part), "{part} missing at 80x24:\n{full}");
    }
    let small = screen(&store, 40, 10, false);
    assert!(small.contains("AAPL") && small.contains("+75.00") && !small.contains("Last signals"), "{small}");
    let one = screen(&store, 18, 3, false);
    assert_eq!(one.lines().next(), Some("1,000,123 +20.50"), "{one}");
    let wider = screen(&store, 60, 4, false);
    assert_eq!(wider.lines().next(), Some("PAPER live NL 1,000,123.45 day +20.50"), "{wider}");
    assert_eq!(one.lines().filter(|l| !l.is_empty()).count(), 1, "{one}");
}

#[test]
fn ascii_mode_draws_only_ascii_at_every_size_and_state() {
    for store in [monitored(), failed(), just_started(), reconciling()] {
        for w in (0..=120).step_by(7) {
            for h in (0..=40).step_by(3) {
                let text = screen(&store, w, h, true);
                assert!(text.is_ascii(), "non-ASCII at {w}x{h}:\n{text}");
            }
        }
    }
    let text = screen(&monitored(), 80, 24, true);
    assert!(text.starts_with("DU1234567 PAPER | live | upd 2s | read-only monitor"), "{text}");
    assert!(text.contains("+ Account DU1234567 ---"), "{text}");
    assert!(text.contains("NetLiq trend "), "{text}");
}

#[test]
fn never_panics_from_0x0_to_300x100() {
    let stores = [monitored(), failed(), just_started()];
    let theme = Theme::fallback();
    for store in &stores {
        for w in (0..=300u16).step_by(13).chain([1, 2, 19, 20, 39, 40, 59, 60, 79, 80]) {
            for h in (0..=100u16).step_by(7).chain([1, 4, 5, 9, 10, 14, 15, 23, 24]) {
                for ascii in [false, true] {
                    let area = Rect::new(0, 0, w, h);
                    let mut buf = Buffer::empty(area);
                    let ctx = MonitorContext::new(now(), &theme, ascii).with_notice(Some(READ_ONLY_MESSAGE));
                    render_monitor(area, &mut buf, store, &ctx);
                }
            }
        }
    }
}

#[test]
fn an_order_key_says_read_only_and_the_notice_shows_on_the_status_line() {
    let key = |c| KeyEvent {
        code: KeyCode::Char(c),
        modifiers: KeyModifiers::NONE,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    };
    for c in ['b', 's', 'o', 'c', 'C', 'm', 'H'] {
        assert_eq!(monitor_key_press_message(&key(c)), Some(READ_ONLY_MESSAGE), "{c}");
    }
    assert_eq!(monitor_key_press_message(&key('j')), None);
    // None of the navigation actions is an order action.
    for action in
        [Action::Quit, Action::Up, Action::ToggleHelp, Action::NextAccount, Action::Filter, Action::CycleTheme]
    {
        assert_eq!(monitor_key_message(action), None, "{action:?}");
    }
    let store = monitored();
    let theme = Theme::fallback();
    let ctx = MonitorContext::new(now(), &theme, false).with_notice(monitor_key_press_message(&key('b')));
    let text = render_text(100, 24, |frame| draw_monitor(frame, &store, &ctx));
    assert!(
        text.lines().next().is_some_and(|l| l.contains("read-only monitor: this session never sends orders")),
        "{text}"
    );
}

#[test]
fn render_text_draws_the_cockpit_too() {
    let store = live_with_data();
    let view = crate::ui::ViewState::new();
    let theme = Theme::fallback();
    let tail = log_tail();
    let ctx = crate::ui::RenderContext { now: now(), theme: &theme, log_tail: &tail };
    let text = render_text(80, 24, |frame| crate::ui::draw(frame, &store, &view, &ctx));
    assert_eq!(text.lines().count(), 24);
    assert!(text.lines().all(|l| l == l.trim_end()));
    assert_eq!(text, text_of(&render_cockpit(&store, &view, &theme, 80, 24)));
    let _ = StoreEvent::Broker(BrokerEvent::Heartbeat);
}

fn text_of(buf: &Buffer) -> String {
    crate::ui::test_support::text(buf)
}
