//! `eigentrack._eigentrack`: the compiled half of the Python package `eigentrack`.
//!
//! It wraps the Rust library for Python: matrices come in as numpy arrays (or anything
//! `numpy.asarray` takes, scipy.sparse matrices included, densified), results go out as
//! numpy arrays. The sparse path (`_track_nearest`, the k eigenvalues nearest σ) reads
//! scipy.sparse matrices as CSC (`indptr`, `indices`, `data`) without densifying them.
//! The pure-Python layer (`python/eigentrack/`) gives the public API its signatures and
//! docstrings, the typed events, the sweeps, the progress bars, the matplotlib, xarray,
//! pandas and HTML views and the gradient wrappers; it validates nothing itself: every
//! option is checked here, once (`options`), with errors naming the argument.
//!
//! The modules, by concern: `errors` (Rust errors as Python exceptions), `convert`
//! (numpy in and out), `family` (A(t) from Python, family files), `options`, `track`,
//! `results` (`Tracking`), `sparse` and `nearest` (`track_nearest`), `window`
//! (`WindowTracking`), `eigen` (eig and its derivatives), `sensitivity`, `plot`.
//!
//! Three rules hold for every entry point:
//!
//! * the GIL is released while Rust works (`Python::allow_threads`), and taken back only
//!   to call the user's Python functions (A(t), its derivatives, the progress callback);
//! * a Python exception raised in a user function ends the track at once and comes out
//!   unchanged (the very object): the family hands the tracker a NaN matrix from then on,
//!   and the stored exception wins over whatever error the tracker then reports;
//! * signals are checked after every accepted step, so Ctrl-C (KeyboardInterrupt)
//!   interrupts a long track.
#![warn(missing_docs)]

mod convert;
mod eigen;
mod errors;
mod family;
mod nearest;
mod options;
mod plot;
mod results;
mod sensitivity;
mod sparse;
mod track;
mod window;

use pyo3::prelude::*;

/// The compiled module.
#[pymodule]
fn _eigentrack(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<results::PyTracking>()?;
    m.add_class::<window::PyWindowTracking>()?;
    m.add_class::<family::PyFileFamily>()?;
    m.add_function(wrap_pyfunction!(track::_track, m)?)?;
    m.add_function(wrap_pyfunction!(family::load_family, m)?)?;
    m.add_function(wrap_pyfunction!(family::_family_with, m)?)?;
    m.add_function(wrap_pyfunction!(plot::_plot_sweep, m)?)?;
    m.add_function(wrap_pyfunction!(eigen::_eig, m)?)?;
    m.add_function(wrap_pyfunction!(eigen::_eigh, m)?)?;
    m.add_function(wrap_pyfunction!(eigen::_eig_jvp, m)?)?;
    m.add_function(wrap_pyfunction!(eigen::_eig_vjp, m)?)?;
    m.add_function(wrap_pyfunction!(eigen::_eig_batch, m)?)?;
    m.add_function(wrap_pyfunction!(sensitivity::_sensitivities, m)?)?;
    m.add_function(wrap_pyfunction!(sensitivity::_sensitivities_file, m)?)?;
    m.add_function(wrap_pyfunction!(nearest::_track_nearest, m)?)?;
    m.add_function(wrap_pyfunction!(nearest::_track_nearest_file, m)?)?;
    m.add_function(wrap_pyfunction!(options::_option_names, m)?)?;
    m.add("GAP_TOL", eigentrack::GAP_TOL)?;
    Ok(())
}
