//! The help overlay, generated from the active keymap: one line per action and description,
//! with every key bound to it.

use super::ViewState;
use crate::config::keymap::{Action, Keymap};
use crate::config::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

/// (keys, description) per action, in keymap order; keys bound to the same action and
/// description are listed together. The mouse comes last.
pub fn entries(keymap: &Keymap) -> Vec<(String, String)> {
    let mut out: Vec<(Action, String, Vec<&str>)> = Vec::new();
    for row in keymap.rows() {
        if row.action == Action::None {
            continue;
        }
        match out.iter_mut().find(|(action, desc, _)| *action == row.action && *desc == row.desc) {
            Some((_, _, keys)) => keys.push(&row.on),
            None => out.push((row.action, row.desc.clone(), vec![&row.on])),
        }
    }
    let mut entries: Vec<(String, String)> = out.into_iter().map(|(_, desc, keys)| (keys.join(", "), desc)).collect();
    entries.push(("mouse".into(), "Click: focus a pane, select a row; wheel: scroll".into()));
    entries
}

pub fn line_count(keymap: &Keymap) -> usize {
    entries(keymap).len()
}

pub fn render(area: Rect, buf: &mut Buffer, view: &ViewState, theme: &Theme) {
    let entries = entries(view.keymap());
    let key_width = entries.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0).min(24);
    let desc_width = entries.iter().map(|(_, d)| d.chars().count()).max().unwrap_or(0);
    let width = u16::try_from(key_width + desc_width + 6).unwrap_or(u16::MAX).min(area.width.saturating_sub(4));
    let height = u16::try_from(entries.len() + 2).unwrap_or(u16::MAX).min(area.height.saturating_sub(2));
    if width < 10 || height < 3 {
        return;
    }
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height };
    Clear.render(popup, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.roles.border_focused)
        .title(Span::styled(" Keys (? or esc to close) ", theme.roles.title_focused))
        .style(theme.roles.text);
    let inner = block.inner(popup);
    block.render(popup, buf);
    let page = usize::from(inner.height);
    view.set_help_page(page);
    let first = view.help_scroll.min(entries.len().saturating_sub(page));
    let lines: Vec<Line> = entries
        .iter()
        .skip(first)
        .map(|(keys, desc)| {
            Line::from(vec![
                Span::styled(format!(" {keys:<key_width$}  "), theme.roles.header),
                Span::styled(desc.clone(), theme.roles.text),
            ])
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);
}
