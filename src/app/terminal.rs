//! The terminal guard: raw mode and the alternate screen while the cockpit runs, and the
//! screen restored on every way out (normal exit, error, panic, signal).

use ratatui::backend::CrosstermBackend;
use ratatui::{DefaultTerminal, Terminal};
use std::io;
use std::sync::Once;

/// Owns the terminal for the cockpit's lifetime; dropping it restores the screen.
pub struct TerminalGuard {
    terminal: Option<DefaultTerminal>,
}

static PANIC_HOOK: Once = Once::new();

/// A panic on the UI thread (the process's main thread) restores the terminal first, then
/// lets the previous hook (color-eyre's) print its report on a sane screen. A panic inside a
/// supervised task runs on a runtime worker thread: the supervisor reports it in diagnostics
/// and restarts the task, so the hook only logs it and the cockpit keeps its screen.
fn install_panic_hook() {
    PANIC_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() == Some("main") {
                ratatui::restore();
                previous(info);
            } else {
                tracing::error!(thread = std::thread::current().name().unwrap_or("?"), "task panicked: {info}");
            }
        }));
    });
}

impl TerminalGuard {
    /// Enter raw mode and the alternate screen.
    pub fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        crossterm::terminal::enable_raw_mode()?;
        let mut stdout = io::stdout();
        if let Err(error) =
            crossterm::execute!(stdout, crossterm::terminal::EnterAlternateScreen, crossterm::event::EnableMouseCapture)
        {
            ratatui::restore();
            return Err(error);
        }
        match Terminal::new(CrosstermBackend::new(stdout)) {
            Ok(terminal) => Ok(TerminalGuard { terminal: Some(terminal) }),
            Err(error) => {
                restore();
                Err(error)
            }
        }
    }

    pub fn terminal(&mut self) -> &mut DefaultTerminal {
        // `terminal` is only taken in `restore`, which consumes the guard.
        self.terminal.as_mut().unwrap_or_else(|| unreachable!("terminal used after restore"))
    }

    /// Ctrl-Z: give the terminal back to the shell, stop the process like any job, and when
    /// the shell resumes it (`fg`), take the terminal again and redraw everything.
    pub fn suspend(&mut self) -> io::Result<()> {
        restore();
        // SAFETY: raise() with a valid signal number only asks the kernel to stop this
        // process; it touches no memory. Execution continues here on SIGCONT.
        unsafe {
            libc::raise(libc::SIGTSTP);
        }
        crossterm::terminal::enable_raw_mode()?;
        crossterm::execute!(
            io::stdout(),
            crossterm::terminal::EnterAlternateScreen,
            crossterm::event::EnableMouseCapture
        )?;
        self.terminal().clear()
    }

    /// Restore the screen now (also done on drop).
    pub fn restore(mut self) {
        self.terminal = None;
        restore();
    }
}

/// Leave mouse capture, the alternate screen and raw mode.
fn restore() {
    let _ = crossterm::execute!(io::stdout(), crossterm::event::DisableMouseCapture);
    ratatui::restore();
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if self.terminal.take().is_some() {
            restore();
        }
    }
}

/// The signals that end a terminal session in order: SIGTERM, SIGHUP, SIGINT and SIGQUIT.
pub struct ExitSignals {
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    quit: tokio::signal::unix::Signal,
}

impl ExitSignals {
    pub fn watch() -> io::Result<ExitSignals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(ExitSignals {
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
            int: signal(SignalKind::interrupt())?,
            quit: signal(SignalKind::quit())?,
        })
    }

    /// Wait for one; returns the process exit code for it (128 + the signal number).
    pub async fn recv(&mut self) -> i32 {
        tokio::select! {
            _ = self.term.recv() => 128 + 15,
            _ = self.hup.recv() => 128 + 1,
            _ = self.int.recv() => 128 + 2,
            _ = self.quit.recv() => 128 + 3,
        }
    }
}
