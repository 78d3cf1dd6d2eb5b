//! Drawing the ticket, its preview and the confirmations: centred popups over the cockpit.

use super::confirm::{not_actionable, working_orders};
use super::form::{is_text_field, Mode, Prompt, TicketState};
use super::{OrderPick, Popup, TicketView, CANCEL_ALL_WORD};
use crate::config::theme::Theme;
use crate::orders::{
    entry_allowed, EntryMode, FieldError, GuardBlock, MarketContext, OrderAction, Refusal, StopKind, TicketField,
};
use crate::store::{OrderRow, Store, WhatIf};
use crate::ui::format::{self, MISSING};
use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};
use rust_decimal::Decimal;

/// Width of the field labels.
const LABEL: usize = 15;
/// Width of a text field's box.
const BOX: usize = 14;
/// The widest popup.
const MAX_WIDTH: u16 = 96;

/// Draws the open popup (if any) and the transient notice over `area`.
pub fn render(area: Rect, buf: &mut Buffer, store: &Store, view: &TicketView, theme: &Theme, now: DateTime<Utc>) {
    match view.popup() {
        Some(Popup::Ticket(state)) if state.sent(store).is_none() => ticket(area, buf, store, state, theme, now),
        Some(Popup::Ticket(state)) => {
            let what = match state.modify {
                Some(id) => format!("modification of order {id} sent"),
                None => format!("order sent: {}", state.summary()),
            };
            notice(area, buf, &what, theme);
        }
        Some(Popup::Pick(pick)) => order_pick(area, buf, store, pick, theme, now),
        Some(Popup::CancelAll { typed, hint }) => cancel_all(area, buf, store, typed, hint.as_deref(), theme),
        Some(Popup::Halt) => halt(area, buf, store, theme),
        Some(Popup::CancelGroup { group_id, order_ids }) => cancel_group(area, buf, store, group_id, order_ids, theme),
        None => {}
    }
    if let Some(text) = view.notice() {
        notice(area, buf, text, theme);
    }
}

/// A bordered popup of `lines`, centred, as wide as needed up to `width`.
fn popup(area: Rect, buf: &mut Buffer, title: Span, border: Style, mut lines: Vec<Line>, width: u16, theme: &Theme) {
    if lines.len() + 2 > usize::from(area.height.saturating_sub(2)) {
        // Short terminal: the spacing goes first, so the keys line stays on screen.
        lines.retain(|l| l.width() > 0);
    }
    let width = width.min(area.width.saturating_sub(2)).min(MAX_WIDTH);
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX).min(area.height.saturating_sub(2));
    if width < 20 || height < 3 {
        return;
    }
    let rect = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    Clear.render(rect, buf);
    let block = Block::default().borders(Borders::ALL).border_style(border).title(title).style(theme.roles.text);
    let inner = block.inner(rect);
    block.render(rect, buf);
    Paragraph::new(lines).render(inner, buf);
}

/// The one-line message over the bottom of the screen.
fn notice(area: Rect, buf: &mut Buffer, text: &str, theme: &Theme) {
    if area.height < 4 || area.width < 10 {
        return;
    }
    let text = format::truncate(&format::printable(text), usize::from(area.width.saturating_sub(6)));
    let width = u16::try_from(text.chars().count() + 4).unwrap_or(u16::MAX).min(area.width.saturating_sub(2));
    let rect =
        Rect { x: area.x + (area.width - width) / 2, y: area.y + area.height.saturating_sub(4), width, height: 3 };
    Clear.render(rect, buf);
    let block = Block::default().borders(Borders::ALL).border_style(theme.roles.warning).style(theme.roles.text);
    let inner = block.inner(rect);
    block.render(rect, buf);
    Paragraph::new(Line::from(Span::styled(format!(" {text}"), theme.roles.warning))).render(inner, buf);
}

fn action_style(action: OrderAction, theme: &Theme) -> Style {
    match action {
        OrderAction::Buy => theme.roles.gain,
        OrderAction::Sell => theme.roles.loss,
    }
    .add_modifier(Modifier::BOLD)
}

fn label(text: &str, focused: bool, theme: &Theme) -> Span<'static> {
    let style = if focused { theme.roles.selection } else { theme.roles.header };
    Span::styled(format!(" {text:<width$}", width = LABEL - 1), style)
}

fn title_for(state: &TicketState, preview: bool, theme: &Theme) -> Span<'static> {
    let t = &state.ticket;
    let what = match (state.modify, preview) {
        (Some(id), false) => format!(" Modify order {id} · {} ", t.action.code()),
        (Some(id), true) => format!(" Preview modification of order {id} "),
        (None, false) => format!(" {} ticket ", t.action.code()),
        (None, true) => format!(" Preview {} ", t.action.code()),
    };
    Span::styled(what, action_style(t.action, theme))
}

/// `PAPER` / `LIVE` badge for an account id.
fn account_badge(account: &str, theme: &Theme) -> Span<'static> {
    if crate::orders::guard::is_paper_account(account.trim()) {
        Span::styled(" PAPER ", theme.roles.paper_badge)
    } else {
        Span::styled(" LIVE ", theme.roles.live_badge)
    }
}

fn money_or_missing(value: Option<Decimal>) -> String {
    format::or_missing(value, format::money)
}

fn price_or_missing(value: Option<Decimal>) -> String {
    format::or_missing(value, format::price)
}

/// The contract line and the market line at the top of the ticket.
fn market_lines(state: &TicketState, store: &Store, now: DateTime<Utc>, theme: &Theme) -> Vec<Line<'static>> {
    let roles = &theme.roles;
    let symbol = state.ticket.symbol.trim().to_ascii_uppercase();
    let market = state.market(store, now);
    let contract = match store.trading.contracts.get(&symbol) {
        _ if symbol.is_empty() => Span::styled(" type a symbol".to_string(), roles.muted),
        None => Span::styled(format!(" resolving {symbol}…"), roles.muted),
        Some(Err(reason)) => Span::styled(format!(" {symbol}: {}", format::printable(reason)), roles.warning),
        Some(Ok(c)) => {
            let multiplier = if c.multiplier == Decimal::ONE {
                String::new()
            } else {
                format!(" · ×{}", c.multiplier.normalize())
            };
            Span::styled(
                format!(
                    " {} · {} {} · tick {}{multiplier} · con id {}",
                    c.symbol,
                    c.exchange,
                    c.currency,
                    c.min_tick.normalize(),
                    c.con_id
                ),
                roles.text,
            )
        }
    };
    let freshness = match (market.quote_age, market.quote_live) {
        (None, _) => "no quote".to_string(),
        (Some(age), true) => format!("live {}s", age.as_secs()),
        (Some(age), false) => format!("NOT LIVE {}s", age.as_secs()),
    };
    let fresh_style = if market.quote_live { roles.muted } else { roles.warning };
    let quote = Line::from(vec![
        Span::styled(" bid ", roles.muted),
        Span::styled(price_or_missing(market.bid), roles.text),
        Span::styled("  ask ", roles.muted),
        Span::styled(price_or_missing(market.ask), roles.text),
        Span::styled("  last ", roles.muted),
        Span::styled(price_or_missing(market.last), roles.text),
        Span::styled(" · ", roles.muted),
        Span::styled(freshness, fresh_style),
        Span::styled(" · position ", roles.muted),
        Span::styled(format::or_missing(market.position, format::quantity), roles.text),
    ]);
    vec![Line::from(contract), quote]
}

/// The error shown beside `field`, if any.
fn field_note(
    state: &TicketState,
    field: TicketField,
    errors: &[FieldError],
    store: &Store,
    market: &MarketContext,
    theme: &Theme,
) -> Option<Span<'static>> {
    let symbol = state.ticket.symbol.trim().to_ascii_uppercase();
    if field == TicketField::Symbol && !symbol.is_empty() && !store.trading.contracts.contains_key(&symbol) {
        return Some(Span::styled(format!("resolving {symbol}…"), theme.roles.muted));
    }
    if field == TicketField::Symbol {
        if let Some(Err(reason)) = store.trading.contracts.get(&symbol) {
            return Some(Span::styled(
                format!("unknown symbol {symbol}: {}", format::printable(reason)),
                theme.roles.warning,
            ));
        }
    }
    if let Some(error) = errors.iter().find(|e| e.field == field) {
        return Some(Span::styled(error.message.clone(), theme.roles.warning));
    }
    if matches!(field, TicketField::TakeProfit | TicketField::StopLoss | TicketField::StopKind) {
        return exit_note(state, field, market, theme);
    }
    let unused = match field {
        TicketField::LimitPrice => !state.ticket.order_type.needs_limit(),
        TicketField::StopPrice => !state.ticket.order_type.needs_stop(),
        _ => false,
    };
    unused.then(|| Span::styled(format!("not used by {}", state.ticket.order_type.code()), theme.roles.muted))
}

/// Beside an exit: where it comes out (`→ 155.00 · 5.00 from the entry 150.00`), or what it is
/// when empty. Errors are shown by the caller first.
fn exit_note(state: &TicketState, field: TicketField, market: &MarketContext, theme: &Theme) -> Option<Span<'static>> {
    let t = &state.ticket;
    let roles = &theme.roles;
    match field {
        TicketField::StopKind if t.stop_kind == StopKind::Trail => {
            Some(Span::styled("trails by the stop loss's distance from the entry", roles.muted))
        }
        TicketField::StopKind => None,
        _ => {
            let typed = if field == TicketField::TakeProfit { &t.take_profit } else { &t.stop_loss };
            if typed.trim().is_empty() {
                return Some(Span::styled("none", roles.muted));
            }
            let (tp, sl) = t.preview_exits(market);
            let price = if field == TicketField::TakeProfit { tp } else { sl };
            let entry = t.validate_group(market).ok().and_then(|g| g.entry_price());
            match (price, entry) {
                (Some(p), Some(e)) => Some(Span::styled(
                    format!(
                        "→ {} · {} from the entry {}",
                        format::price(p),
                        format::price((p - e).abs()),
                        format::price(e)
                    ),
                    roles.muted,
                )),
                _ => None,
            }
        }
    }
}

/// A field's value as drawn: a text box with the cursor when focused, or a choice.
fn field_value(state: &TicketState, field: TicketField, focused: bool, theme: &Theme) -> Vec<Span<'static>> {
    let roles = &theme.roles;
    let value = state.value(field);
    if is_text_field(field) && !(state.modify.is_some() && field == TicketField::Symbol) {
        // A good-till time (`20261128 21:00:00`) needs the room to be read whole.
        let room = if field == TicketField::GoodTill { 18 } else { BOX };
        let chars: Vec<char> = value.chars().collect();
        let shown: String = chars.iter().take(room).collect();
        let pad = room.saturating_sub(chars.len().min(room));
        if !focused {
            return vec![Span::styled(format!("[{shown}{}]", " ".repeat(pad)), roles.text)];
        }
        let cursor = state.cursor.min(chars.len()).min(room.saturating_sub(1));
        let before: String = chars.iter().take(cursor).collect();
        let at: String = chars.get(cursor).map_or(" ".to_string(), |c| c.to_string());
        let after: String = chars.iter().skip(cursor + 1).take(room.saturating_sub(cursor + 1)).collect();
        let after_pad = room.saturating_sub(cursor + 1 + after.chars().count());
        return vec![
            Span::styled("[".to_string(), roles.text),
            Span::styled(before, roles.text),
            Span::styled(at, roles.text.add_modifier(Modifier::REVERSED)),
            Span::styled(format!("{after}{}]", " ".repeat(after_pad)), roles.text),
        ];
    }
    let fixed =
        state.modify.is_some() && matches!(field, TicketField::Symbol | TicketField::Action | TicketField::Account);
    let style = match field {
        TicketField::Action => action_style(state.ticket.action, theme),
        _ => roles.text,
    };
    let text = if fixed { format!(" {value} ") } else { format!("‹ {value} ›") };
    let width = BOX + 2;
    let pad = width.saturating_sub(text.chars().count());
    let mut spans = vec![Span::styled(text, if focused { style.add_modifier(Modifier::REVERSED) } else { style })];
    spans.push(Span::raw(" ".repeat(pad)));
    spans
}

/// The guard's verdict, wrapped to `width`.
fn entry_lines(state: &TicketState, store: &Store, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let roles = &theme.roles;
    let account = state.ticket.account.trim().to_string();
    match state.guard(store) {
        Ok(EntryMode::Live { account }) => wrapped(
            vec![label("Entry", false, theme), Span::styled(" LIVE ".to_string(), roles.live_badge), Span::raw(" ")],
            &format!("{account}: each order needs the account id typed to confirm"),
            roles.warning,
            width,
        ),
        Ok(_) => vec![Line::from(vec![
            label("Entry", false, theme),
            account_badge(&account, theme),
            Span::styled(format!(" {account} · open"), roles.text),
        ])],
        Err(block) => wrapped(
            vec![label("Entry", false, theme), Span::styled(" BLOCKED ".to_string(), roles.live_badge), Span::raw(" ")],
            &block.to_string(),
            roles.health_failed,
            width,
        ),
    }
}

/// `prefix` then `text` in `style`, wrapped at `width` with continuation lines indented under
/// the text.
fn wrapped(prefix: Vec<Span<'static>>, text: &str, style: Style, width: usize) -> Vec<Line<'static>> {
    let indent: usize = prefix.iter().map(|s| s.content.chars().count()).sum();
    let chunks = format::wrap(text, width.saturating_sub(indent).max(10));
    let mut lines = Vec::new();
    let mut prefix = Some(prefix);
    for chunk in chunks {
        let mut spans = prefix.take().unwrap_or_else(|| vec![Span::raw(" ".repeat(indent))]);
        spans.push(Span::styled(chunk, style));
        lines.push(Line::from(spans));
    }
    lines
}

fn hint_line(hint: Option<&str>, theme: &Theme) -> Option<Line<'static>> {
    hint.map(|h| Line::from(Span::styled(format!(" {}", format::printable(h)), theme.roles.warning)))
}

fn keys_line(text: &str, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(format!(" {text}"), theme.roles.muted))
}

fn ticket(area: Rect, buf: &mut Buffer, store: &Store, state: &TicketState, theme: &Theme, now: DateTime<Utc>) {
    match state.shown_mode(store) {
        Mode::Editing => editing(area, buf, store, state, theme, now),
        mode => preview(area, buf, store, state, &mode, theme, now),
    }
}

fn editing(area: Rect, buf: &mut Buffer, store: &Store, state: &TicketState, theme: &Theme, now: DateTime<Utc>) {
    let roles = &theme.roles;
    let width = area.width.saturating_sub(2).min(MAX_WIDTH);
    let inner_width = usize::from(width.saturating_sub(2));
    let market = state.market(store, now);
    let errors = state.ticket.validate_group(&market).err().unwrap_or_default();
    let mut lines = market_lines(state, store, now, theme);
    lines.push(Line::default());
    // On a short screen an untouched exits section takes one line until the trader tabs into it.
    let t = &state.ticket;
    let exits_folded =
        area.height < 32 && !t.has_exits() && t.stop_kind == StopKind::Stop && !super::form::is_exit_field(state.focus);
    for field in state.shown_fields() {
        if exits_folded && super::form::is_exit_field(field) {
            if field == TicketField::TakeProfit {
                lines.push(Line::from(vec![
                    label("Exits", false, theme),
                    Span::styled("none · tab past the account to attach them", roles.muted),
                ]));
            }
            continue;
        }
        if field == TicketField::TakeProfit {
            lines.push(Line::from(Span::styled(
                " Attach exits (optional) · opposite side, same quantity, GTC · a price, 20t or 1.5%",
                roles.header,
            )));
        }
        let focused = field == state.focus;
        let name = match field {
            TicketField::OutsideRth => "Outside RTH".to_string(),
            TicketField::StopKind => "Stop type".to_string(),
            other => {
                let l = other.label();
                let mut c = l.chars();
                c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
            }
        };
        let mut spans = vec![label(&name, focused, theme)];
        spans.extend(field_value(state, field, focused, theme));
        if field == TicketField::Account {
            spans.push(account_badge(&state.ticket.account, theme));
        }
        let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
        match field_note(state, field, &errors, store, &market, theme) {
            Some(note) if used + 2 + note.content.chars().count() <= inner_width => {
                spans.push(Span::raw("  "));
                spans.push(note);
                lines.push(Line::from(spans));
            }
            Some(note) => {
                lines.push(Line::from(spans));
                let text = format::truncate(&note.content, inner_width.saturating_sub(LABEL + 1));
                lines.push(Line::from(vec![Span::raw(" ".repeat(LABEL + 1)), Span::styled(text, note.style)]));
            }
            None => lines.push(Line::from(spans)),
        }
    }
    lines.push(Line::default());
    let currency = market.contract.as_ref().map(|c| c.currency.clone()).unwrap_or_default();
    let notional = state.ticket.preview_notional(&market);
    lines.push(Line::from(vec![
        label("Notional", false, theme),
        Span::styled(
            notional.map_or_else(|| MISSING.to_string(), |v| format!("{} {currency}", format::money(v))),
            roles.text,
        ),
    ]));
    lines.extend(entry_lines(state, store, theme, inner_width));
    if let Some(hint) = &state.hint {
        lines.extend(wrapped(vec![Span::raw(" ")], hint, roles.warning, inner_width));
    }
    let keys = if state.guard(store).is_err() {
        "tab/shift-tab field · space ←/→ choose · enter does nothing while blocked · esc close"
    } else {
        "tab/shift-tab field · space ←/→ choose · enter preview (sends nothing) · esc close"
    };
    lines.push(keys_line(keys, theme));
    popup(area, buf, title_for(state, false, theme), roles.border_focused, lines, width, theme);
}

fn what_if_lines(answer: &WhatIf, currency: &str, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let roles = &theme.roles;
    let row = |name: &str, value: String| {
        Line::from(vec![Span::styled(format!("   {name:<24}"), roles.muted), Span::styled(value, roles.text)])
    };
    let before_after = |before: Option<Decimal>, after: Option<Decimal>| {
        format!("{} → {}", money_or_missing(before), money_or_missing(after))
    };
    let mut lines = vec![
        row(
            "Commission",
            answer.commission.map_or_else(
                || MISSING.to_string(),
                |c| {
                    format!(
                        "{} {}",
                        format::money(c),
                        if answer.commission_currency.is_empty() { currency } else { &answer.commission_currency }
                    )
                },
            ),
        ),
        row("Initial margin", before_after(answer.init_margin_before, answer.init_margin_after)),
        row("Maintenance margin", before_after(answer.maint_margin_before, answer.maint_margin_after)),
        row("Equity with loan after", money_or_missing(answer.equity_with_loan_after)),
    ];
    if let Some(warning) = answer.warning.as_deref().filter(|w| !w.trim().is_empty()) {
        lines.extend(wrapped(vec![Span::raw("   ")], &format!("Warning: {warning}"), roles.warning, width));
    }
    lines
}

fn prompt_line(text: String, typed: &str, active: bool, theme: &Theme) -> Line<'static> {
    let roles = &theme.roles;
    let field_style = if active { roles.text.add_modifier(Modifier::REVERSED) } else { roles.text };
    Line::from(vec![
        Span::styled(format!("   {text}: "), roles.warning),
        Span::styled(format!("[{typed:<16}]"), field_style),
    ])
}

fn preview(
    area: Rect,
    buf: &mut Buffer,
    store: &Store,
    state: &TicketState,
    mode: &Mode,
    theme: &Theme,
    now: DateTime<Utc>,
) {
    let roles = &theme.roles;
    let width = area.width.saturating_sub(2).min(MAX_WIDTH);
    let inner_width = usize::from(width.saturating_sub(2));
    let indent = || vec![Span::raw("   ")];
    let market = state.market(store, now);
    let currency = market.contract.as_ref().map(|c| c.currency.clone()).unwrap_or_default();
    let account = state.ticket.account.trim().to_string();
    let mut lines = vec![
        Line::from(Span::styled(format!(" {}", state.summary()), action_style(state.ticket.action, theme))),
        Line::from(vec![
            label("Account", false, theme),
            Span::styled(format!("{account} "), roles.text),
            account_badge(&account, theme),
        ]),
        Line::from(vec![
            label("Notional", false, theme),
            Span::styled(
                state
                    .ticket
                    .preview_notional(&market)
                    .map_or_else(|| MISSING.to_string(), |v| format!("{} {currency}", format::money(v))),
                roles.text,
            ),
        ]),
        Line::from(vec![
            label("Market", false, theme),
            Span::styled(
                format!(
                    "bid {}  ask {}  last {}",
                    price_or_missing(market.bid),
                    price_or_missing(market.ask),
                    price_or_missing(market.last)
                ),
                roles.text,
            ),
        ]),
    ];
    // Every leg, and what the stop would cost if hit.
    let pre = state.preflight(store, now);
    let group = match &pre {
        Ok(pre) => Some(pre.group.clone()),
        Err(_) => state.ticket.validate_group(&market).ok(),
    };
    if let Some(group) = group.as_ref().filter(|g| g.has_exits()) {
        lines.push(Line::from(Span::styled(
            " Legs · sent entry first; the gateway holds the exits until the entry fills",
            roles.header,
        )));
        for (role, leg) in group.legs() {
            lines.push(Line::from(vec![
                Span::styled(format!("   {:<13}", role.label()), roles.muted),
                Span::styled(format::printable(&crate::orders::describe(leg)), action_style(leg.action(), theme)),
            ]));
        }
    }
    let worst = group.as_ref().and_then(|g| g.worst_case_loss());
    lines.push(Line::from(vec![
        label("Worst case", false, theme),
        match worst {
            Some(loss) => Span::styled(format!("-{} {currency} if the stop is hit", format::money(loss)), roles.loss),
            None => Span::styled(format!("{MISSING} (no stop loss attached)"), roles.muted),
        },
    ]));
    lines.push(Line::default());
    let what_if_head = if group.as_ref().is_some_and(|g| g.has_exits()) {
        " What-if (the gateway's answer, for the entry)"
    } else {
        " What-if (the gateway's answer)"
    };
    lines.push(Line::from(Span::styled(what_if_head, roles.header)));
    let request = match mode {
        Mode::Previewing { request } | Mode::Sending { request } => Some(*request),
        Mode::Refused { .. } => store.trading.outcome.as_ref().map(|o| o.request),
        Mode::Editing => None,
    };
    match store.trading.what_if.as_ref().filter(|w| Some(w.request) == request) {
        None => lines.push(Line::from(Span::styled("   waiting for the gateway's what-if…", roles.muted))),
        Some(answer) => match &answer.result {
            Ok(what_if) => lines.extend(what_if_lines(what_if, &currency, theme, inner_width)),
            Err(text) => lines.extend(wrapped(
                indent(),
                &format!("refused by the gateway: {text}"),
                roles.health_failed,
                inner_width,
            )),
        },
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(" Checks (the cockpit's)", roles.header)));
    match pre {
        Ok(pre) if pre.violations.is_empty() => {
            let rules = store.trading.precautions.active_rules().len();
            let legs = match pre.group.legs().len() {
                1 => String::new(),
                n => format!(" on all {n} legs"),
            };
            lines.push(Line::from(Span::styled(
                format!("   ✓ every precaution passed{legs} ({rules} rules)"),
                roles.health_ok,
            )));
        }
        Ok(pre) => {
            for v in &pre.violations {
                lines.extend(wrapped(indent(), &format!("✗ {v}"), roles.warning, inner_width));
            }
        }
        Err(Refusal::Blocked(crate::orders::Blocked::NotOverridable(violations))) => {
            for v in &violations {
                lines.extend(wrapped(indent(), &format!("✗ {v} (not overridable)"), roles.health_failed, inner_width));
            }
        }
        Err(refusal) => {
            lines.extend(wrapped(indent(), &format!("✗ {refusal}"), roles.health_failed, inner_width));
        }
    }
    let active = state.active_prompt(store, now);
    let (word, live) = state.prompts(store, now);
    if let Some(word) = word {
        lines.push(prompt_line(
            format!("type {word} to override"),
            &state.override_typed,
            active == Some(Prompt::Override),
            theme,
        ));
    }
    if let Some(live) = live {
        lines.push(prompt_line(
            format!("LIVE account {live}: type the account id to confirm"),
            &state.account_typed,
            active == Some(Prompt::Account),
            theme,
        ));
    }
    lines.push(Line::default());
    match mode {
        Mode::Sending { request } => {
            lines.push(Line::from(Span::styled(
                format!(" sending… (request {request}) waiting for the answer"),
                roles.warning.add_modifier(Modifier::BOLD),
            )));
            if let Some(hint) = &state.hint {
                lines.extend(wrapped(vec![Span::raw(" ")], hint, roles.warning, inner_width));
            }
            lines.push(keys_line("esc closes this window (what was sent stays sent)", theme));
        }
        Mode::Refused { reason } => {
            lines.extend(wrapped(
                vec![Span::raw(" "), Span::styled(" REFUSED ".to_string(), roles.live_badge), Span::raw(" ")],
                reason,
                roles.health_failed,
                inner_width,
            ));
            lines.push(keys_line("enter/esc back to the ticket", theme));
        }
        _ => {
            if let Some(hint) = &state.hint {
                lines.extend(wrapped(vec![Span::raw(" ")], hint, roles.warning, inner_width));
            }
            let keys = if active.is_some() {
                "type, then enter to transmit · tab switch input · esc back to the ticket (nothing sent)"
            } else {
                "y/enter transmit · esc back to the ticket (nothing sent)"
            };
            lines.push(keys_line(keys, theme));
        }
    }
    popup(area, buf, title_for(state, true, theme), roles.border_focused, lines, width, theme);
}

fn order_text(order: &OrderRow) -> String {
    match &order.terms {
        Some(t) => {
            let mut s = format!("{} {} {} {}", t.action, format::quantity(t.quantity), t.symbol, t.order_type);
            if let Some(stop) = t.stop_price {
                s.push_str(&format!(" stop {}", format::price(stop)));
            }
            if let Some(limit) = t.limit_price {
                s.push_str(&format!(" limit {}", format::price(limit)));
            }
            s.push_str(&format!(" {} · {}", t.tif, t.account));
            s
        }
        None => "(terms not received yet)".to_string(),
    }
}

fn order_pick(area: Rect, buf: &mut Buffer, store: &Store, pick: &OrderPick, theme: &Theme, now: DateTime<Utc>) {
    let roles = &theme.roles;
    let working = working_orders(store);
    let mut lines = Vec::new();
    if working.is_empty() {
        lines.push(Line::from(Span::styled(" No working orders.", roles.muted)));
    }
    for order in &working {
        let selected = pick.selected == Some(order.order_id);
        let who = if order.own { "own".to_string() } else { format!("client {}", order.client_id) };
        let status = order.lifecycle.shown_status(now, crate::store::ACK_TIMEOUT).label();
        let text = format!(
            "{} {:>6}  {}  {status}  {who}",
            if selected { "▶" } else { " " },
            order.order_id,
            order_text(order)
        );
        let style = if selected {
            roles.selection
        } else if order.own {
            roles.text
        } else {
            roles.muted
        };
        lines.push(Line::from(Span::styled(text, style)));
    }
    lines.push(Line::default());
    let why_not = pick.order(store).and_then(not_actionable);
    if let Some(text) = pick.hint.as_deref().or(why_not.as_deref()) {
        lines.push(Line::from(Span::styled(format!(" {}", format::printable(text)), roles.warning)));
    }
    let (title, keys) = if pick.modify {
        (" Modify which order? ", "j/k choose · y/enter load it into the ticket · n/esc close")
    } else {
        (" Cancel which order? ", "j/k choose · y/enter cancel the selected order · n/esc keep it")
    };
    lines.push(keys_line(keys, theme));
    let longest = lines.iter().map(Line::width).max().unwrap_or(0);
    let width = u16::try_from(longest + 4).unwrap_or(u16::MAX).max(50);
    popup(area, buf, Span::styled(title, roles.title_focused), roles.border_focused, lines, width, theme);
}

fn cancel_all(area: Rect, buf: &mut Buffer, store: &Store, typed: &str, hint: Option<&str>, theme: &Theme) {
    let roles = &theme.roles;
    let count = working_orders(store).len();
    let mut lines = vec![
        Line::from(Span::styled(
            " A global cancel cancels every open order of the account, whoever placed it.",
            roles.text,
        )),
        Line::from(Span::styled(format!(" Working orders known here: {count}"), roles.text)),
        Line::default(),
        Line::from(vec![
            Span::styled(format!(" Type {CANCEL_ALL_WORD} and press enter: "), roles.warning),
            Span::styled(format!("[{typed:<12}]"), roles.text.add_modifier(Modifier::REVERSED)),
        ]),
    ];
    if let Some(hint) = hint_line(hint, theme) {
        lines.push(hint);
    }
    lines.push(keys_line("esc: cancel nothing", theme));
    popup(area, buf, Span::styled(" Cancel ALL orders ", roles.live_badge), roles.border_focused, lines, 84, theme);
}

fn cancel_group(area: Rect, buf: &mut Buffer, store: &Store, group_id: &str, order_ids: &[i32], theme: &Theme) {
    let roles = &theme.roles;
    let mut lines = vec![Line::from(Span::styled(
        format!(" Cancel bracket {}: every working leg?", format::printable(group_id)),
        roles.warning,
    ))];
    for id in order_ids {
        let what = store.orders.get(id).and_then(|o| {
            let t = o.terms.as_ref()?;
            let role = crate::ui::panes::orders::leg_of(o).map_or("order", |(_, r)| r.label());
            Some(format!("{role} #{id} · {} {} {} {}", t.action, format::quantity(t.quantity), t.symbol, t.order_type))
        });
        lines.push(Line::from(Span::styled(
            format!("   {}", what.unwrap_or_else(|| format!("order #{id}"))),
            roles.text,
        )));
    }
    lines.push(Line::default());
    lines.push(keys_line("y/enter cancel them all · n/esc keep them", theme));
    popup(area, buf, Span::styled(" Cancel bracket ", roles.title_focused), roles.border_focused, lines, 80, theme);
}

fn halt(area: Rect, buf: &mut Buffer, store: &Store, theme: &Theme) {
    let roles = &theme.roles;
    let (state, question, keys) = if store.trading.halted {
        (
            Span::styled(" HALTED ", roles.live_badge),
            "Resume order entry? New orders and modifications are allowed again if the guard allows.".to_string(),
            "y/enter resume · n/esc stay halted",
        )
    } else if let Some(minutes) = store.trading.rearm_after_outage {
        (
            Span::styled(" DISARMED ", roles.live_badge),
            format!(
                "The gateway was away for {minutes} minutes. Re-arm order entry? Check the orders and positions first."
            ),
            "y/enter re-arm · n/esc stay disarmed",
        )
    } else {
        (
            Span::styled(" ACTIVE ", roles.paper_badge),
            "Halt order entry? No new orders or modifications; cancels stay allowed.".to_string(),
            "y/enter halt · n/esc keep trading",
        )
    };
    let mut lines = vec![Line::from(vec![Span::styled(" Trading is ", roles.text), state])];
    lines.extend(wrapped(vec![Span::raw(" ")], &question, roles.text, 92));
    // The cockpit blocks entry by itself too (connection not live, reconciling, …): say so.
    if let Err(block) = entry_allowed(&store.guard_context()) {
        if !matches!(block, GuardBlock::Halted | GuardBlock::Rearm(_)) {
            lines.extend(wrapped(
                vec![Span::raw(" ")],
                &format!("Order entry is blocked anyway: {block}"),
                roles.warning,
                92,
            ));
        }
    }
    lines.push(Line::default());
    lines.push(keys_line(keys, theme));
    popup(area, buf, Span::styled(" Halt ", roles.title_focused), roles.border_focused, lines, 96, theme);
}
