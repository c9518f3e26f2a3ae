//! Rust errors as the Python exceptions of `eigentrack._errors`, and the first Python
//! exception raised by a user function during a call into Rust.

use eigentrack::Error;
use pyo3::prelude::*;
use std::sync::{Arc, Mutex};

// ---------------------------------------------------------------------------------------
// errors

/// The exception class `name` of `eigentrack._errors` (defined in Python, so that they
/// pickle and can derive from both `EigentrackError` and a builtin).
pub(crate) fn error_class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("eigentrack._errors")?.getattr(name)
}

/// A Rust error as the Python exception a user expects: bad input is a `ValueError`
/// (`InputError`), an ill-defined derivative an `IllDefinedError` (a `ValueError`), a
/// spent budget a `BudgetError` (a `RuntimeError`), a failed decomposition a
/// `ConvergenceError` (an `ArithmeticError`), a failed write an `OSError`.
pub(crate) fn to_py(e: Error) -> PyErr {
    Python::with_gil(|py| {
        let class = match &e {
            Error::IllDefined { .. } => "IllDefinedError",
            Error::Budget { .. } => "BudgetError",
            Error::NoConvergence { .. } => "ConvergenceError",
            Error::Interrupted { .. } => "TrackInterrupted",
            Error::Output { .. } => "OutputError",
            _ => "InputError",
        };
        let made = match &e {
            Error::Interrupted { t } => {
                error_class(py, class).and_then(|c| c.call1((e.to_string(), *t)))
            }
            _ => error_class(py, class).and_then(|c| c.call1((e.to_string(),))),
        };
        match made {
            Ok(exc) => PyErr::from_value(exc),
            Err(err) => err,
        }
    })
}

/// The first Python exception raised by a user function during one call into Rust.
#[derive(Clone, Default)]
pub(crate) struct Failure(Arc<Mutex<Option<PyErr>>>);

impl Failure {
    pub(crate) fn set(&self, e: PyErr) {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(e);
        }
    }
    pub(crate) fn failed(&self) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }
    pub(crate) fn take(&self) -> Option<PyErr> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
    /// The stored Python exception if there is one (it caused whatever Rust reports),
    /// else the Rust result with its error translated.
    pub(crate) fn resolve<R>(&self, r: eigentrack::Result<R>) -> PyResult<R> {
        match self.take() {
            Some(e) => Err(e),
            None => r.map_err(to_py),
        }
    }
}
