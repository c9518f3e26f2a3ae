//! The progress bar on stderr (`Bar`): drawn only when stderr is a terminal and not with
//! --quiet; `track` draws it from the tracker's progress callback, `sweep` ticks it once
//! per parameter value.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// A progress bar on stderr, drawn only when stderr is a terminal.
pub(crate) struct Bar {
    total: usize,
    pub(crate) done: AtomicUsize,
    lock: Mutex<()>,
    pub(crate) enabled: bool,
}

impl Bar {
    pub(crate) fn new(total: usize, quiet: bool) -> Self {
        Bar {
            total,
            done: AtomicUsize::new(0),
            lock: Mutex::new(()),
            enabled: !quiet && std::io::stderr().is_terminal(),
        }
    }
    pub(crate) fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        if self.enabled {
            self.draw(done, &format!("{done}/{}", self.total));
        }
    }
    /// Draw `done` of `total` steps with a label; a newline when complete.
    pub(crate) fn draw(&self, done: usize, label: &str) {
        let _guard = self.lock.lock();
        let width = 30;
        let filled = (width * done / self.total.max(1)).min(width);
        eprint!(
            "\r[{}{}] {label}",
            "#".repeat(filled),
            " ".repeat(width - filled),
        );
        if done >= self.total {
            eprintln!();
        }
    }
}
