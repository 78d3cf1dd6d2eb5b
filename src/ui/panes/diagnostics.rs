//! Diagnostics: every subsystem's state, load time, restarts and detail, the error chain of
//! those Degraded or Failed, and the tail of the log.

use super::{pane_block, render_table, Column, PaneCtx};
use crate::store::{Health, Store, SubsystemStatus};
use crate::ui::view_state::{Drawn, PaneId};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

const COLUMNS: [Column; 5] = [
    Column { header: "Subsystem", width: 12, priority: 0, right: false },
    Column { header: "State", width: 8, priority: 1, right: false },
    Column { header: "Load", width: 8, priority: 3, right: true },
    Column { header: "Rst", width: 3, priority: 4, right: true },
    Column { header: "Detail", width: 12, priority: 2, right: false },
];

fn error_lines(status: &SubsystemStatus) -> usize {
    if matches!(status.health, Health::Degraded | Health::Failed) {
        status.errors.len()
    } else {
        0
    }
}

/// One line per subsystem plus one per error in the chain of those Degraded or Failed.
pub fn row_count(store: &Store) -> usize {
    store.subsystems.values().map(|s| 1 + error_lines(s)).sum()
}

pub fn render(area: Rect, buf: &mut Buffer, ctx: &PaneCtx) -> Drawn {
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
    let table_rows = row_count(store);
    // The table gets what it needs up to two thirds; the log gets the rest (at least 3 lines).
    let wanted = u16::try_from(table_rows + 1).unwrap_or(u16::MAX).max(2);
    let table_height = wanted.min(inner.height.saturating_sub(3).max(inner.height * 2 / 3));
    let [table_area, log_area] = Layout::vertical([Constraint::Length(table_height), Constraint::Min(0)]).areas(inner);

    let mut rows = Vec::with_capacity(table_rows);
    for (name, status) in &store.subsystems {
        let load = status.load_time.map_or(String::new(), |d| format!("{:.1}ms", d.as_secs_f64() * 1000.0));
        rows.push(vec![
            (name.clone(), theme.roles.text),
            (status.health.label().to_string(), theme.health(status.health)),
            (load, theme.roles.muted),
            (status.restarts.to_string(), if status.restarts > 0 { theme.roles.warning } else { theme.roles.muted }),
            (status.detail.clone(), theme.roles.text),
        ]);
        let errors = &status.errors[..error_lines(status)];
        for (i, error) in errors.iter().enumerate() {
            let prefix = if i == 0 { "└ error: " } else { "  caused by: " };
            let blank = (String::new(), Style::default());
            rows.push(vec![
                blank.clone(),
                blank.clone(),
                blank.clone(),
                blank,
                (format!("{prefix}{error}"), theme.health(status.health)),
            ]);
        }
    }
    let drawn = if rows.is_empty() {
        Paragraph::new("No subsystem has reported yet.").style(theme.roles.muted).render(table_area, buf);
        Drawn { rows: 0, page: usize::from(table_area.height) }
    } else {
        render_table(table_area, buf, &COLUMNS, rows, ctx)
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
                    Line::from(Span::styled(line.as_str(), style))
                })
                .collect()
        };
        Paragraph::new(lines).render(log_inner, buf);
    }
    drawn
}
