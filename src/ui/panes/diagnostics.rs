//! Diagnostics: every subsystem's state, load time, restarts and detail, the error chain of
//! those Degraded or Failed (wrapped to the pane's width), and the tail of the log.

use super::{pane_block, render_list, PaneCtx};
use crate::config::theme::Theme;
use crate::store::{Health, Store};
use crate::ui::format;
use crate::ui::view_state::{Drawn, PaneId};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

/// The name column: at least this wide, wider (up to a third of the pane) for longer names.
const NAME_MIN: usize = 12;
const STATE: usize = 9;
const LOAD: usize = 9;
const RESTARTS: usize = 4;
/// Below this width the load time and restart columns are left out.
const FULL_WIDTH: usize = 48;

/// How wide the name column is: the longest name and a gap, within [NAME_MIN, width / 3].
fn name_width(store: &Store, width: usize) -> usize {
    let longest = store.subsystems.keys().map(|n| n.chars().count() + 1).max().unwrap_or(0);
    longest.min(width / 3).max(NAME_MIN)
}

/// A subsystem's name in `width - 1` characters: `subscription:positions` becomes
/// `sub:positions` before it is cut, so the part that tells subsystems apart stays.
fn short_name(name: &str, width: usize) -> String {
    let name = format::printable(name);
    let room = width.saturating_sub(1);
    if name.chars().count() <= room {
        return name;
    }
    let shortened = match name.split_once(':') {
        Some((kind, rest)) => format!("{}:{rest}", kind.chars().take(3).collect::<String>()),
        None => name,
    };
    format::truncate(&shortened, room)
}

fn header(width: usize, name: usize, theme: &Theme) -> Line<'static> {
    let text = if width >= FULL_WIDTH {
        format!("{:<name$}{:<STATE$}{:>LOAD$}{:>RESTARTS$} {}", "Subsystem", "State", "Load", "Rst", "Detail")
    } else {
        format!("{:<name$}{:<STATE$}{}", "Subsystem", "State", "Detail")
    };
    Line::from(Span::styled(text, theme.roles.header))
}

/// One line per subsystem, then its error chain (outermost first) when Degraded or Failed.
fn lines(store: &Store, width: usize, name_width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let roles = &theme.roles;
    let full = width >= FULL_WIDTH;
    let mut out = Vec::new();
    for (name, status) in &store.subsystems {
        let mut spans = vec![
            Span::styled(format!("{:<name_width$}", short_name(name, name_width)), roles.text),
            Span::styled(format!("{:<STATE$}", status.health.label()), theme.health(status.health)),
        ];
        if full {
            let load = status.load_time.map_or(String::new(), |d| format!("{:.1}ms", d.as_secs_f64() * 1000.0));
            let restarts_style = if status.restarts > 0 { roles.warning } else { roles.muted };
            spans.push(Span::styled(format!("{load:>LOAD$}"), roles.muted));
            spans.push(Span::styled(format!("{:>RESTARTS$} ", status.restarts), restarts_style));
        }
        spans.push(Span::styled(format::printable(&status.detail), roles.text));
        out.push(Line::from(spans));
        if !matches!(status.health, Health::Degraded | Health::Failed) {
            continue;
        }
        for (i, error) in status.errors.iter().enumerate() {
            let (first, rest) = if i == 0 { ("  └ error: ", "    ") } else { ("    caused by: ", "      ") };
            let wrapped = format::wrap(error, width.saturating_sub(first.len()).max(8));
            for (n, part) in wrapped.into_iter().enumerate() {
                let prefix = if n == 0 { first } else { rest };
                out.push(Line::from(vec![
                    Span::styled(prefix, roles.muted),
                    Span::styled(part, theme.health(status.health)),
                ]));
            }
        }
    }
    out
}

fn render(area: Rect, buf: &mut Buffer, ctx: &PaneCtx) -> Drawn {
    let store = ctx.store;
    let theme = ctx.theme;
    let failing = store.subsystems.values().filter(|s| matches!(s.health, Health::Degraded | Health::Failed)).count();
    let extra = if store.subsystems.is_empty() {
        String::new()
    } else if failing == 0 {
        format!("{} ok", store.subsystems.values().filter(|s| s.health == Health::Ok).count())
    } else {
        format!("{failing} need attention")
    };
    let block = pane_block(PaneId::Diagnostics, &extra, None, ctx);
    let inner = block.inner(area);
    block.render(area, buf);
    let width = usize::from(inner.width);
    let name_width = name_width(store, width);
    let lines = lines(store, width, name_width, theme);
    // The table gets what it needs, up to all but 4 lines (the log's title and 3 lines) or two
    // thirds when the pane is short.
    let wanted = u16::try_from(lines.len() + 1).unwrap_or(u16::MAX).max(2);
    let table_height = wanted.min(inner.height.saturating_sub(4).max(inner.height * 2 / 3));
    let [table_area, log_area] = Layout::vertical([Constraint::Length(table_height), Constraint::Min(0)]).areas(inner);
    let drawn = if lines.is_empty() {
        Paragraph::new("No subsystem has reported yet.").style(theme.roles.muted).render(table_area, buf);
        Drawn { rows: 0, page: usize::from(table_area.height) }
    } else {
        render_list(table_area, buf, Some(header(width, name_width, theme)), lines, ctx)
    };

    if log_area.height > 0 {
        let log_block = Block::default()
            .borders(Borders::TOP)
            .border_style(theme.roles.border)
            .title(Span::styled(" Log ", theme.roles.header));
        let log_inner = log_block.inner(log_area);
        log_block.render(log_area, buf);
        let shown = usize::from(log_inner.height);
        let tail = &ctx.log_tail[ctx.log_tail.len().saturating_sub(shown)..];
        let lines: Vec<Line> = if tail.is_empty() {
            vec![Line::from(Span::styled("no log lines yet", theme.roles.muted))]
        } else {
            tail.iter()
                .map(|line| {
                    let style = if line.contains("ERROR") {
                        theme.roles.health_failed
                    } else if line.contains("WARN") {
                        theme.roles.warning
                    } else {
                        theme.roles.muted
                    };
                    // The crate's own module paths say little in a narrow pane.
                    Line::from(Span::styled(format::printable(&line.replace("robo_tui::", "")), style))
                })
                .collect()
        };
        Paragraph::new(lines).render(log_inner, buf);
    }
    drawn
}

/// The diagnostics pane as a widget, built each frame from the pane context.
pub struct DiagnosticsPane<'a> {
    pub ctx: &'a PaneCtx<'a>,
}

impl Widget for DiagnosticsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let drawn = render(area, buf, self.ctx);
        self.ctx.view.drawn.set(drawn);
    }
}

#[cfg(test)]
mod tests {
    use super::short_name;

    #[test]
    fn long_names_keep_the_part_that_tells_them_apart() {
        assert_eq!(short_name("broker", 12), "broker");
        assert_eq!(short_name("subscription:positions", 14), "sub:positions");
        assert_eq!(short_name("subscription:account_summary", 14), "sub:account_…");
        assert_eq!(short_name("subscription:positions", 30), "subscription:positions");
    }
}
