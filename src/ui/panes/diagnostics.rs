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

const NAME: usize = 12;
const STATE: usize = 9;
const LOAD: usize = 9;
const RESTARTS: usize = 4;
/// Below this width the load time and restart columns are left out.
const FULL_WIDTH: usize = 48;

fn header(width: usize, theme: &Theme) -> Line<'static> {
    let text = if width >= FULL_WIDTH {
        format!("{:<NAME$}{:<STATE$}{:>LOAD$}{:>RESTARTS$} {}", "Subsystem", "State", "Load", "Rst", "Detail")
    } else {
        format!("{:<NAME$}{:<STATE$}{}", "Subsystem", "State", "Detail")
    };
    Line::from(Span::styled(text, theme.roles.header))
}

/// One line per subsystem, then its error chain (outermost first) when Degraded or Failed.
fn lines(store: &Store, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let roles = &theme.roles;
    let full = width >= FULL_WIDTH;
    let mut out = Vec::new();
    for (name, status) in &store.subsystems {
        let mut spans = vec![
            Span::styled(format!("{:<NAME$}", format::truncate(&format::printable(name), NAME - 1)), roles.text),
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
    let lines = lines(store, width, theme);
    // The table gets what it needs, up to all but 4 lines (the log's title and 3 lines) or two
    // thirds when the pane is short.
    let wanted = u16::try_from(lines.len() + 1).unwrap_or(u16::MAX).max(2);
    let table_height = wanted.min(inner.height.saturating_sub(4).max(inner.height * 2 / 3));
    let [table_area, log_area] = Layout::vertical([Constraint::Length(table_height), Constraint::Min(0)]).areas(inner);
    let drawn = if lines.is_empty() {
        Paragraph::new("No subsystem has reported yet.").style(theme.roles.muted).render(table_area, buf);
        Drawn { rows: 0, page: usize::from(table_area.height) }
    } else {
        render_list(table_area, buf, Some(header(width, theme)), lines, ctx)
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
                    Line::from(Span::styled(format::printable(line), style))
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
