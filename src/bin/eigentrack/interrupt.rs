//! Ctrl-C: the first SIGINT sets a flag that the track's progress callback reads after
//! every step (the track then stops with `Error::Interrupted`, reported as one line with
//! exit code 130, nothing written); a second Ctrl-C ends the process at once.

use crate::{in_file, Failure};
use eigentrack::Error;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Whether Ctrl-C was pressed since [`install`].
pub(crate) fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

#[cfg(unix)]
extern "C" fn on_sigint(_: libc::c_int) {
    REQUESTED.store(true, Ordering::SeqCst);
    // SAFETY: signal() is async-signal-safe; the next Ctrl-C takes the default action.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
    }
}

/// Catch the first Ctrl-C (Unix; elsewhere Ctrl-C keeps its default action).
pub(crate) fn install() {
    #[cfg(unix)]
    // SAFETY: the handler only stores to an atomic and calls signal(), both
    // async-signal-safe.
    unsafe {
        libc::signal(
            libc::SIGINT,
            on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
}

/// The failure of a track: an interruption by Ctrl-C exits with 130, anything else as
/// usual (a coefficient error with the family file's path in front).
pub(crate) fn failure(path: &Path, e: Error) -> Failure {
    match e {
        Error::Interrupted { t } => Failure {
            message: format!("interrupted (Ctrl-C) at t = {t}; nothing was written"),
            code: 130,
        },
        e => in_file(path, e),
    }
}
