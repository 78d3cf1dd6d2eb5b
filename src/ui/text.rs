//! Screens as plain text, for `robo-tui snapshot`: draw into a `TestBackend` of the given size
//! and read the cells back as lines, trailing spaces trimmed.

use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::{Frame, Terminal};

/// Draws with `draw` (e.g. `|f| ui::draw(f, &store, &view, &ctx)` or `draw_monitor`) on a
/// `width`x`height` screen and returns its text, one line per row. A zero-sized screen gives
/// an empty string.
pub fn render_text(width: u16, height: u16, draw: impl FnOnce(&mut Frame)) -> String {
    if width == 0 || height == 0 {
        return String::new();
    }
    let Ok(mut terminal) = Terminal::new(TestBackend::new(width, height)) else { return String::new() };
    if terminal.draw(draw).is_err() {
        return String::new();
    }
    buffer_text(terminal.backend().buffer())
}

/// The buffer's text, one line per row, trailing spaces trimmed; wide characters once.
pub fn buffer_text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        let mut skip = 0;
        for x in area.left()..area.right() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buf[(x, y)].symbol();
            line.push_str(symbol);
            skip = ratatui::text::Span::raw(symbol).width().saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::widgets::{Block, Borders, Paragraph};

    #[test]
    fn renders_lines_with_trailing_spaces_trimmed() {
        let text = render_text(6, 3, |f| {
            f.render_widget(Paragraph::new("ab").block(Block::default().borders(Borders::ALL)), f.area())
        });
        assert_eq!(text, "┌────┐\n│ab  │\n└────┘\n");
        assert_eq!(render_text(4, 2, |f| f.render_widget(Paragraph::new("x  "), f.area())), "x\n\n");
        assert_eq!(render_text(0, 5, |_| {}), "");
    }
}
