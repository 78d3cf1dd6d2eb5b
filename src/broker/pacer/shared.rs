//! The window shared by every robo-tui process on one gateway: a small file under the
//! runtime folder, named for the gateway's host and port, holding the log of recent messages.
//! A process takes an exclusive `flock` for the microseconds it reads and updates the log; the
//! kernel releases it if the process dies, and a killed process's messages leave the window
//! within a second, so nothing it left behind can block the others.

use super::window::{Slot, SLOTS};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"RTPACE01";
const HEADER: u64 = 16;
const SLOT_BYTES: usize = 16;
const FILE_BYTES: u64 = HEADER + (SLOTS * SLOT_BYTES) as u64;
/// Tries at the lock before giving up on it for one message (a process stopped while holding
/// it must not stall the others).
const LOCK_TRIES: u32 = 2_000;

/// The folder the shared windows live in: `ROBO_TUI_RUNTIME_DIR`, else the platform's runtime
/// folder (`$XDG_RUNTIME_DIR/robo-tui`), else a per-user folder under the temp dir.
pub fn runtime_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ROBO_TUI_RUNTIME_DIR").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = dirs::runtime_dir() {
        return dir.join("robo-tui");
    }
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    std::env::temp_dir().join(format!("robo-tui-{uid}"))
}

/// The file for the gateway at `address` ("host:port").
pub fn window_path(dir: &Path, address: &str) -> PathBuf {
    let name: String =
        address.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect();
    dir.join(format!("pacing-{name}.window"))
}

pub struct SharedWindow {
    file: File,
    path: PathBuf,
}

/// Holds the lock until dropped.
struct Locked<'a>(&'a File);

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        // SAFETY: the descriptor is open for the guard's lifetime.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

impl SharedWindow {
    /// Open (or create) the window for `address` under `dir`.
    pub fn open(dir: &Path, address: &str) -> io::Result<SharedWindow> {
        std::fs::create_dir_all(dir)?;
        let path = window_path(dir, address);
        let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).mode(0o600).open(&path)?;
        let window = SharedWindow { file, path };
        {
            let _lock = window.lock()?;
            let mut magic = [0u8; 8];
            let fresh = window.file.metadata()?.len() < FILE_BYTES
                || window.file.read_exact_at(&mut magic, 0).is_err()
                || &magic != MAGIC;
            if fresh {
                // New, or not ours: start from an empty log.
                window.file.set_len(0)?;
                window.file.set_len(FILE_BYTES)?;
                window.file.write_all_at(MAGIC, 0)?;
            }
        }
        Ok(window)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> io::Result<Locked<'_>> {
        let fd = self.file.as_raw_fd();
        for _ in 0..LOCK_TRIES {
            // SAFETY: `fd` is an open descriptor owned by `self.file`.
            if unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                return Ok(Locked(&self.file));
            }
            let error = io::Error::last_os_error();
            if error.kind() != io::ErrorKind::WouldBlock && error.raw_os_error() != Some(libc::EINTR) {
                return Err(error);
            }
            std::thread::yield_now();
        }
        Err(io::Error::new(io::ErrorKind::WouldBlock, "another process holds the pacing window's lock"))
    }

    /// Run `f` on the log under the lock; what it changed is written back.
    pub fn with<R>(&self, f: impl FnOnce(&mut [Slot]) -> R) -> io::Result<R> {
        let _lock = self.lock()?;
        let mut bytes = vec![0u8; SLOTS * SLOT_BYTES];
        self.file.read_exact_at(&mut bytes, HEADER)?;
        let mut slots: Vec<Slot> = bytes
            .chunks_exact(SLOT_BYTES)
            .map(|chunk| {
                let mut at = [0u8; 8];
                let mut pid = [0u8; 4];
                at.copy_from_slice(&chunk[..8]);
                pid.copy_from_slice(&chunk[8..12]);
                Slot { at: u64::from_le_bytes(at), pid: u32::from_le_bytes(pid) }
            })
            .collect();
        let before = slots.clone();
        let result = f(&mut slots);
        for (i, (new, old)) in slots.iter().zip(&before).enumerate() {
            if new != old {
                let mut chunk = [0u8; SLOT_BYTES];
                chunk[..8].copy_from_slice(&new.at.to_le_bytes());
                chunk[8..12].copy_from_slice(&new.pid.to_le_bytes());
                self.file.write_all_at(&chunk, HEADER + (i * SLOT_BYTES) as u64)?;
            }
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::super::window::{admit, in_window, Admit};
    use super::*;

    #[test]
    fn two_opens_of_one_gateway_share_the_log_and_other_gateways_do_not() {
        let dir = tempfile::tempdir().expect("temp dir");
        let a = SharedWindow::open(dir.path(), "127.0.0.1:4002").expect("open a");
        let b = SharedWindow::open(dir.path(), "127.0.0.1:4002").expect("open b");
        let other = SharedWindow::open(dir.path(), "127.0.0.1:4003").expect("open other");
        let now = 5_000_000_000;
        for _ in 0..3 {
            assert_eq!(a.with(|s| admit(s, now, 4, 1, 1, false)).expect("a"), Admit::Now);
        }
        assert_eq!(b.with(|s| admit(s, now, 4, 1, 2, false)).expect("b"), Admit::Now);
        assert!(matches!(b.with(|s| admit(s, now, 4, 1, 2, false)).expect("b"), Admit::Wait(_)));
        assert_eq!(other.with(|s| in_window(s, now)).expect("other"), 0);
        assert_eq!(a.path(), b.path());
    }

    #[test]
    fn a_corrupt_or_foreign_file_is_started_afresh() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = window_path(dir.path(), "h:1");
        std::fs::write(&path, b"not a pacing window").expect("write");
        let w = SharedWindow::open(dir.path(), "h:1").expect("open");
        assert_eq!(w.with(|s| in_window(s, 1)).expect("read"), 0);
        assert_eq!(std::fs::metadata(&path).expect("meta").len(), FILE_BYTES);
    }
}
