//! The terminal guard: raw mode and the alternate screen while the cockpit runs, and the
//! screen restored on every way out (normal exit, error, panic, signal).

use ratatui::DefaultTerminal;
use std::io;

/// Owns the terminal for the cockpit's lifetime; dropping it restores the screen.
pub struct TerminalGuard {
    terminal: Option<DefaultTerminal>,
}

impl TerminalGuard {
    /// Enter raw mode and the alternate screen. `ratatui::try_init` also installs a panic
    /// hook that restores the terminal *before* the previous hook (color-eyre's) prints, so a
    /// panic report lands on a sane screen.
    pub fn enter() -> io::Result<TerminalGuard> {
        let terminal = ratatui::try_init()?;
        Ok(TerminalGuard { terminal: Some(terminal) })
    }

    pub fn terminal(&mut self) -> &mut DefaultTerminal {
        // `terminal` is only taken in `restore`, which consumes the guard.
        self.terminal.as_mut().unwrap_or_else(|| unreachable!("terminal used after restore"))
    }

    /// Restore the screen now (also done on drop).
    pub fn restore(mut self) {
        self.terminal = None;
        ratatui::restore();
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if self.terminal.take().is_some() {
            ratatui::restore();
        }
    }
}
