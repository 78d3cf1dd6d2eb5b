//! Keymap: keys to actions, remappable in the config; the help overlay is built from `desc`.
//!
//! Rows read `{ on = "b", run = "buy_ticket", desc = "Buy the selected symbol" }`. The default
//! rows are embedded; rows from the config's `[[keymap]]` list are laid over them: a row whose
//! key is already bound replaces that binding, any other row adds one.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use std::fmt;

/// A user intent. The keymap turns keys into actions; the UI decides what they do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    FocusNext,
    FocusPrev,
    /// Jump to pane 1–7 (6 is the watchlist, 7 the orders).
    FocusPane(u8),
    ToggleZoom,
    ToggleHelp,
    /// Close the top overlay, or leave zoom.
    Back,
    CycleTheme,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Sort the focused table by the next / previous column.
    SortNext,
    SortPrev,
    /// Reverse the focused table's sort.
    SortReverse,
    /// Type a filter for the focused table (Esc clears it).
    Filter,
    /// Show the next managed account (one account at a time).
    NextAccount,
    /// Open a BUY ticket for the selected position, watchlist row or signal.
    BuyTicket,
    /// Open a SELL ticket for the selected position, watchlist row or signal.
    SellTicket,
    /// Open a blank order ticket.
    NewTicket,
    /// Cancel the selected working order (with confirmation).
    CancelOrder,
    /// Cancel every open order through a global cancel (typed confirmation).
    CancelAllOrders,
    /// Load a working order into the ticket to modify it.
    ModifyOrder,
    /// Orders pane: modify the selected order straight away, its price focused (moving a
    /// bracket's stop is the everyday case).
    ModifyLeg,
    /// Orders pane: cancel every working leg of the selected order's bracket (asks first).
    CancelGroup,
    /// Halt or resume order entry (with confirmation).
    ToggleHalt,
    /// Unbind a key (`run = "none"`).
    None,
}

/// Every action's name as `run` spells it.
const ACTION_NAMES: &[(&str, Action)] = &[
    ("quit", Action::Quit),
    ("focus_next", Action::FocusNext),
    ("focus_prev", Action::FocusPrev),
    ("focus_pane_1", Action::FocusPane(1)),
    ("focus_pane_2", Action::FocusPane(2)),
    ("focus_pane_3", Action::FocusPane(3)),
    ("focus_pane_4", Action::FocusPane(4)),
    ("focus_pane_5", Action::FocusPane(5)),
    ("focus_pane_6", Action::FocusPane(6)),
    ("focus_pane_7", Action::FocusPane(7)),
    ("toggle_zoom", Action::ToggleZoom),
    ("toggle_help", Action::ToggleHelp),
    ("back", Action::Back),
    ("cycle_theme", Action::CycleTheme),
    ("up", Action::Up),
    ("down", Action::Down),
    ("page_up", Action::PageUp),
    ("page_down", Action::PageDown),
    ("top", Action::Top),
    ("bottom", Action::Bottom),
    ("sort_next", Action::SortNext),
    ("sort_prev", Action::SortPrev),
    ("sort_reverse", Action::SortReverse),
    ("filter", Action::Filter),
    ("next_account", Action::NextAccount),
    ("buy_ticket", Action::BuyTicket),
    ("sell_ticket", Action::SellTicket),
    ("new_ticket", Action::NewTicket),
    ("cancel_order", Action::CancelOrder),
    ("cancel_all", Action::CancelAllOrders),
    ("modify_order", Action::ModifyOrder),
    ("modify_leg", Action::ModifyLeg),
    ("cancel_group", Action::CancelGroup),
    ("halt", Action::ToggleHalt),
    ("none", Action::None),
];

impl Action {
    pub fn parse(name: &str) -> Option<Action> {
        ACTION_NAMES.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
    }

    pub fn name(self) -> &'static str {
        ACTION_NAMES.iter().find(|(_, a)| *a == self).map_or("none", |(n, _)| n)
    }
}

/// The default rows: key, action, description.
const DEFAULT_ROWS: &[(&str, &str, &str)] = &[
    ("q", "quit", "Quit robo-tui"),
    ("ctrl-c", "quit", "Quit robo-tui"),
    ("tab", "focus_next", "Focus the next pane"),
    ("shift-tab", "focus_prev", "Focus the previous pane"),
    ("1", "focus_pane_1", "Go to Accounts"),
    ("2", "focus_pane_2", "Go to Positions"),
    ("3", "focus_pane_3", "Go to Connection health"),
    ("4", "focus_pane_4", "Go to Signals"),
    ("5", "focus_pane_5", "Go to Diagnostics"),
    ("6", "focus_pane_6", "Go to Watchlist"),
    ("7", "focus_pane_7", "Go to Orders (and the selected order's timeline)"),
    ("z", "toggle_zoom", "Zoom the focused pane to full screen and back"),
    ("enter", "toggle_zoom", "Zoom the focused pane to full screen and back"),
    ("?", "toggle_help", "Show or hide this help"),
    ("esc", "back", "Close the help or leave zoom"),
    ("T", "cycle_theme", "Switch to the next theme"),
    ("j", "down", "Move the selection down"),
    ("down", "down", "Move the selection down"),
    ("k", "up", "Move the selection up"),
    ("up", "up", "Move the selection up"),
    ("ctrl-d", "page_down", "Move the selection down a page"),
    ("pagedown", "page_down", "Move the selection down a page"),
    ("ctrl-u", "page_up", "Move the selection up a page"),
    ("pageup", "page_up", "Move the selection up a page"),
    ("g", "top", "Go to the first row"),
    ("home", "top", "Go to the first row"),
    ("G", "bottom", "Go to the last row"),
    ("end", "bottom", "Go to the last row"),
    (">", "sort_next", "Positions: sort by the next column"),
    ("<", "sort_prev", "Positions: sort by the previous column"),
    ("r", "sort_reverse", "Positions: reverse the sort"),
    ("/", "filter", "Positions: filter by symbol (type, enter keeps, esc clears)"),
    ("a", "next_account", "Show the next managed account"),
    ("b", "buy_ticket", "Buy ticket for the selected row"),
    ("s", "sell_ticket", "Sell ticket for the selected row"),
    ("o", "new_ticket", "Blank order ticket"),
    ("m", "modify_order", "Modify a working order"),
    ("e", "modify_leg", "Orders: edit the selected order's price (move a bracket's stop)"),
    ("X", "cancel_group", "Orders: cancel the selected bracket, every leg (asks first)"),
    ("c", "cancel_order", "Cancel a working order (asks first)"),
    ("C", "cancel_all", "Cancel ALL open orders (typed confirmation)"),
    ("H", "halt", "Halt, resume or re-arm order entry (asks first)"),
];

/// A key as a keymap row names it: a code and the modifiers that matter (ctrl, alt; shift
/// only for keys that are not characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyBinding {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl KeyBinding {
    /// Parse `"q"`, `"G"`, `"?"`, `"tab"`, `"shift-tab"`, `"ctrl-d"`, `"alt-enter"`, `"f5"`, …
    pub fn parse(text: &str) -> Result<KeyBinding, String> {
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = text;
        // A lone "-" is the minus key, not an empty modifier.
        while let Some((prefix, tail)) = rest.split_once('-').filter(|(p, t)| !p.is_empty() && !t.is_empty()) {
            match prefix.to_ascii_lowercase().as_str() {
                "ctrl" | "c" | "control" => modifiers |= KeyModifiers::CONTROL,
                "alt" | "a" | "meta" | "m" => modifiers |= KeyModifiers::ALT,
                "shift" | "s" => modifiers |= KeyModifiers::SHIFT,
                other => return Err(format!("unknown modifier {other:?} (expected ctrl, alt or shift)")),
            }
            rest = tail;
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" | "ins" => KeyCode::Insert,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" => KeyCode::PageDown,
                f if f.starts_with('f') && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) => {
                    KeyCode::F(f[1..].parse::<u8>().unwrap_or(1))
                }
                _ => {
                    return Err(format!(
                        "unknown key {rest:?} (expected one character or tab, enter, esc, space, backspace, \
                         delete, insert, up, down, left, right, home, end, pageup, pagedown, f1-f12)"
                    ))
                }
            },
        };
        Ok(KeyBinding::normalized(code, modifiers))
    }

    /// Shift is part of a character (`G`, `?`) and of BackTab; shift-tab is BackTab.
    /// Ctrl with a letter is the lower-case letter.
    fn normalized(code: KeyCode, modifiers: KeyModifiers) -> KeyBinding {
        let mut modifiers = modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            KeyCode::Char(c) if modifiers.contains(KeyModifiers::CONTROL) => KeyCode::Char(c.to_ascii_lowercase()),
            KeyCode::Char(c) if modifiers.contains(KeyModifiers::SHIFT) && c.is_ascii_lowercase() => {
                KeyCode::Char(c.to_ascii_uppercase())
            }
            other => other,
        };
        if matches!(code, KeyCode::Char(_) | KeyCode::BackTab) {
            modifiers.remove(KeyModifiers::SHIFT);
        }
        KeyBinding { code, modifiers }
    }

    pub fn of_event(key: &KeyEvent) -> KeyBinding {
        KeyBinding::normalized(key.code, key.modifiers)
    }
}

impl fmt::Display for KeyBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Insert => f.write_str("insert"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pageup"),
            KeyCode::PageDown => f.write_str("pagedown"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// A keymap row as the config writes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRowSpec {
    pub on: String,
    pub run: String,
    pub desc: Option<String>,
}

/// A resolved row: the key, its action and the description the help overlay shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub on: String,
    pub key: KeyBinding,
    pub action: Action,
    pub desc: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    #[error("keymap row {index} (on = {on:?}, run = {run:?}): {message}")]
    BadRow { index: usize, on: String, run: String, message: String },
}

/// Keys to actions, in row order (the help overlay shows them in this order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    rows: Vec<KeyRow>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::default_keymap()
    }
}

fn resolve_row(index: usize, spec: &KeyRowSpec) -> Result<KeyRow, KeymapError> {
    let bad = |message: String| KeymapError::BadRow { index, on: spec.on.clone(), run: spec.run.clone(), message };
    let key = KeyBinding::parse(&spec.on).map_err(bad)?;
    let action = Action::parse(&spec.run).ok_or_else(|| {
        let names: Vec<&str> = ACTION_NAMES.iter().map(|(n, _)| *n).collect();
        bad(format!("unknown action {:?} (expected one of {})", spec.run, names.join(", ")))
    })?;
    let desc = spec.desc.clone().unwrap_or_else(|| action.name().replace('_', " "));
    Ok(KeyRow { on: spec.on.clone(), key, action, desc })
}

impl Keymap {
    /// The embedded default rows.
    pub fn default_keymap() -> Keymap {
        let rows = DEFAULT_ROWS
            .iter()
            .enumerate()
            .filter_map(|(index, (on, run, desc))| {
                let spec = KeyRowSpec { on: (*on).into(), run: (*run).into(), desc: Some((*desc).into()) };
                // Every default row parses (a test checks it); a bad one is left out, never a panic.
                resolve_row(index + 1, &spec).ok()
            })
            .collect();
        Keymap { rows }
    }

    /// A keymap of exactly these rows (1-based row numbers in errors).
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = &'a KeyRowSpec>) -> Result<Keymap, KeymapError> {
        let rows = rows.into_iter().enumerate().map(|(i, spec)| resolve_row(i + 1, spec)).collect::<Result<_, _>>()?;
        Ok(Keymap { rows })
    }

    /// These rows laid over `self`: a row for a key already bound replaces it, others are added.
    /// `run = "none"` unbinds the key.
    pub fn overlay<'a>(mut self, rows: impl IntoIterator<Item = &'a KeyRowSpec>) -> Result<Keymap, KeymapError> {
        for row in Keymap::from_rows(rows)?.rows {
            match self.rows.iter().position(|r| r.key == row.key) {
                Some(at) if row.action == Action::None => {
                    self.rows.remove(at);
                }
                Some(at) => self.rows[at] = row,
                None if row.action == Action::None => {}
                None => self.rows.push(row),
            }
        }
        Ok(self)
    }

    pub fn action_for(&self, key: &KeyEvent) -> Option<Action> {
        let binding = KeyBinding::of_event(key);
        self.rows.iter().find(|r| r.key == binding).map(|r| r.action).filter(|a| *a != Action::None)
    }

    /// The rows, for the help overlay.
    pub fn rows(&self) -> &[KeyRow] {
        &self.rows
    }

    /// The keys bound to `action`, as rows write them (`"q, ctrl-c"`).
    pub fn keys_for(&self, action: Action) -> Vec<&str> {
        self.rows.iter().filter(|r| r.action == action).map(|r| r.on.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyEventKind, KeyEventState};

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent { code, modifiers, kind: KeyEventKind::Press, state: KeyEventState::NONE }
    }

    fn ch(c: char) -> KeyEvent {
        key(KeyCode::Char(c), KeyModifiers::NONE)
    }

    fn row(on: &str, run: &str) -> KeyRowSpec {
        KeyRowSpec { on: on.into(), run: run.into(), desc: Some(format!("{run} on {on}")) }
    }

    #[test]
    fn every_default_row_parses() {
        assert_eq!(Keymap::default_keymap().rows().len(), DEFAULT_ROWS.len());
        let specs: Vec<KeyRowSpec> = DEFAULT_ROWS.iter().map(|(on, run, _)| row(on, run)).collect();
        Keymap::from_rows(&specs).expect("default rows parse");
    }

    #[test]
    fn the_default_keymap_maps_the_documented_keys() {
        let keymap = Keymap::default_keymap();
        assert_eq!(keymap.action_for(&ch('q')), Some(Action::Quit));
        assert_eq!(keymap.action_for(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Action::Quit));
        assert_eq!(keymap.action_for(&key(KeyCode::Tab, KeyModifiers::NONE)), Some(Action::FocusNext));
        // Terminals report shift-tab as BackTab, with or without the shift flag.
        assert_eq!(keymap.action_for(&key(KeyCode::BackTab, KeyModifiers::SHIFT)), Some(Action::FocusPrev));
        assert_eq!(keymap.action_for(&key(KeyCode::BackTab, KeyModifiers::NONE)), Some(Action::FocusPrev));
        for n in 1..=7u8 {
            let c = char::from(b'0' + n);
            assert_eq!(keymap.action_for(&ch(c)), Some(Action::FocusPane(n)));
        }
        assert_eq!(keymap.action_for(&ch('8')), None);
        assert_eq!(keymap.action_for(&ch('/')), Some(Action::Filter));
        assert_eq!(keymap.action_for(&ch('a')), Some(Action::NextAccount));
        assert_eq!(keymap.action_for(&ch('r')), Some(Action::SortReverse));
        assert_eq!(keymap.action_for(&ch('>')), Some(Action::SortNext));
        let order_keys = [
            ('b', Action::BuyTicket),
            ('s', Action::SellTicket),
            ('o', Action::NewTicket),
            ('c', Action::CancelOrder),
            ('C', Action::CancelAllOrders),
            ('m', Action::ModifyOrder),
            ('H', Action::ToggleHalt),
        ];
        for (c, action) in order_keys {
            assert_eq!(keymap.action_for(&ch(c)), Some(action), "{c} is an order entry key");
        }
        assert_eq!(keymap.action_for(&ch('z')), Some(Action::ToggleZoom));
        assert_eq!(keymap.action_for(&key(KeyCode::Enter, KeyModifiers::NONE)), Some(Action::ToggleZoom));
        // `?` and `T` arrive with or without the shift flag depending on the terminal.
        assert_eq!(keymap.action_for(&ch('?')), Some(Action::ToggleHelp));
        assert_eq!(keymap.action_for(&key(KeyCode::Char('?'), KeyModifiers::SHIFT)), Some(Action::ToggleHelp));
        assert_eq!(keymap.action_for(&ch('T')), Some(Action::CycleTheme));
        assert_eq!(keymap.action_for(&key(KeyCode::Char('T'), KeyModifiers::SHIFT)), Some(Action::CycleTheme));
        assert_eq!(keymap.action_for(&ch('t')), None);
        assert_eq!(keymap.action_for(&ch('j')), Some(Action::Down));
        assert_eq!(keymap.action_for(&ch('G')), Some(Action::Bottom));
        assert_eq!(keymap.action_for(&ch('g')), Some(Action::Top));
        assert_eq!(keymap.action_for(&key(KeyCode::Char('d'), KeyModifiers::CONTROL)), Some(Action::PageDown));
        assert_eq!(keymap.action_for(&ch('d')), None, "plain d is not ctrl-d");
        assert_eq!(keymap.action_for(&key(KeyCode::Char('q'), KeyModifiers::ALT)), None, "alt-q is not q");
        assert_eq!(keymap.action_for(&ch('b')), Some(Action::BuyTicket));
        assert_eq!(keymap.action_for(&ch('s')), Some(Action::SellTicket));
        assert_eq!(keymap.action_for(&ch('o')), Some(Action::NewTicket));
        assert_eq!(keymap.action_for(&ch('m')), Some(Action::ModifyOrder));
        assert_eq!(keymap.action_for(&ch('c')), Some(Action::CancelOrder));
        assert_eq!(keymap.action_for(&ch('C')), Some(Action::CancelAllOrders));
        assert_eq!(keymap.action_for(&key(KeyCode::Char('C'), KeyModifiers::SHIFT)), Some(Action::CancelAllOrders));
        assert_eq!(keymap.action_for(&ch('H')), Some(Action::ToggleHalt));
        assert_eq!(keymap.action_for(&ch('h')), None, "plain h does not halt");
    }

    #[test]
    fn a_remap_replaces_the_binding_adds_new_ones_and_none_unbinds() {
        let keymap = Keymap::default_keymap()
            .overlay(&[row("x", "quit"), row("q", "none"), row("ctrl-n", "focus_next")])
            .expect("valid");
        assert_eq!(keymap.action_for(&ch('x')), Some(Action::Quit));
        assert_eq!(keymap.action_for(&ch('q')), None);
        assert_eq!(keymap.action_for(&key(KeyCode::Char('n'), KeyModifiers::CONTROL)), Some(Action::FocusNext));
        assert_eq!(keymap.action_for(&key(KeyCode::Tab, KeyModifiers::NONE)), Some(Action::FocusNext));
        let replaced = Keymap::default_keymap().overlay(&[row("z", "cycle_theme")]).expect("valid");
        assert_eq!(replaced.action_for(&ch('z')), Some(Action::CycleTheme));
        assert_eq!(replaced.rows().iter().filter(|r| r.on == "z").count(), 1);
        assert_eq!(replaced.keys_for(Action::Quit), vec!["q", "ctrl-c"]);
    }

    #[test]
    fn a_bad_row_is_an_error_naming_the_row() {
        let error = Keymap::default_keymap().overlay(&[row("x", "quit"), row("y", "fly")]).expect_err("unknown action");
        let text = error.to_string();
        assert!(text.starts_with("keymap row 2 (on = \"y\", run = \"fly\"): unknown action \"fly\""), "{text}");
        assert!(text.contains("focus_next"), "{text}");
        let error = Keymap::from_rows(&[row("hyper-x", "quit")]).expect_err("unknown modifier");
        assert!(error.to_string().contains("row 1 (on = \"hyper-x\""), "{error}");
        assert!(error.to_string().contains("unknown modifier \"hyper\""), "{error}");
        let error = Keymap::from_rows(&[row("spacebar", "quit")]).expect_err("unknown key");
        assert!(error.to_string().contains("unknown key \"spacebar\""), "{error}");
    }

    #[test]
    fn key_strings_parse_and_print_back() {
        for text in ["q", "G", "?", "tab", "shift-tab", "ctrl-d", "enter", "esc", "1", "f5", "alt-enter", "-"] {
            let binding = KeyBinding::parse(text).expect(text);
            assert_eq!(binding.to_string(), text);
        }
        assert_eq!(KeyBinding::parse("shift-g").expect("parses"), KeyBinding::parse("G").expect("parses"));
        assert_eq!(KeyBinding::parse("ctrl-D").expect("parses"), KeyBinding::parse("ctrl-d").expect("parses"));
    }
}
