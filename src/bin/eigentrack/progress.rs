//! Progress on stderr (`Bar`), not with --quiet: a bar redrawn in place when stderr is a
//! terminal, otherwise (a log file, a pipe, CI) a plain line at most every ten seconds so
//! that a long run is never silent. `track` and `nearest` draw it from the tracker's
//! progress callback, `sweep` ticks it once per parameter value.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often a plain progress line is written when stderr is not a terminal.
const LINE_EVERY: Duration = Duration::from_secs(10);

/// Progress on stderr: a bar on a terminal, plain lines elsewhere.
pub(crate) struct Bar {
    total: usize,
    pub(crate) done: AtomicUsize,
    /// The time of the last plain line (None before the first).
    lock: Mutex<Option<Instant>>,
    pub(crate) enabled: bool,
    terminal: bool,
    created: Instant,
}

impl Bar {
    pub(crate) fn new(total: usize, quiet: bool) -> Self {
        Bar {
            total,
            done: AtomicUsize::new(0),
            lock: Mutex::new(None),
            enabled: !quiet,
            terminal: std::io::stderr().is_terminal(),
            created: Instant::now(),
        }
    }
    pub(crate) fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        if self.enabled {
            self.draw(done, &format!("{done}/{}", self.total));
        }
    }
    /// Draw `done` of `total` steps with a label: the bar (a newline when complete), or a
    /// plain line ([`plain_line`](Self::plain_line)).
    pub(crate) fn draw(&self, done: usize, label: &str) {
        if !self.terminal {
            if let Some(line) = self.plain_line(done, label) {
                eprintln!("{line}");
            }
            return;
        }
        let Ok(_guard) = self.lock.lock() else {
            return;
        };
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

    /// The plain progress line for a stderr that is not a terminal, once the run is a
    /// second old and the last line at least ten seconds old; None otherwise.
    fn plain_line(&self, done: usize, label: &str) -> Option<String> {
        let mut last = self.lock.lock().ok()?;
        let due = last.is_none_or(|l| l.elapsed() >= LINE_EVERY);
        if !due || self.created.elapsed() < Duration::from_secs(1) {
            return None;
        }
        *last = Some(Instant::now());
        let percent = 100 * done.min(self.total) / self.total.max(1);
        Some(format!("eigentrack: {percent:>3}%  {label}"))
    }

    /// End a bar that was drawn but not completed (a newline after it on a terminal).
    pub(crate) fn finish(&self) {
        if self.enabled && self.terminal && self.done.load(Ordering::SeqCst) > 0 {
            eprintln!();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Off a terminal: nothing in the first second, then one line, then none for ten
    /// seconds.
    #[test]
    fn plain_lines_are_throttled() {
        let mut bar = Bar::new(1000, false);
        bar.terminal = false;
        assert_eq!(bar.plain_line(10, "t = 0.1"), None);
        bar.created = Instant::now() - Duration::from_secs(2);
        assert_eq!(
            bar.plain_line(250, "t = 0.25").as_deref(),
            Some("eigentrack:  25%  t = 0.25")
        );
        assert_eq!(bar.plain_line(500, "t = 0.5"), None);
        *bar.lock.lock().unwrap() = Some(Instant::now() - LINE_EVERY);
        assert_eq!(
            bar.plain_line(1000, "done").as_deref(),
            Some("eigentrack: 100%  done")
        );
    }
}
