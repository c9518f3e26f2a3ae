//! `track`: a Python callable or a family file through the dense tracker.

use crate::convert::{is_complex, read_matrix};
use crate::errors::Failure;
use crate::family::{check_hermitian, PyFamily, PyFileFamily};
use crate::options::{grid_arg, range_arg, track_options, TrackOptions};
use crate::results::PyTracking;
use eigentrack::family_file::{ExprFamily, FileFamily};
use eigentrack::{Complex64, Error, MatrixFamily, Tracker, Tracking};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The grid: `samples` uniform points of [a, b], or the user's `grid`; the GIL released.
pub(crate) fn run_track<F: MatrixFamily + Sync + ?Sized>(
    py: Python<'_>,
    tr: &Tracker,
    fam: &F,
    range: (f64, f64),
    grid: Option<&[f64]>,
) -> eigentrack::Result<Tracking> {
    py.allow_threads(|| match grid {
        Some(g) => tr.track_family_on(fam, g),
        None => tr.track_family(fam, range.0..=range.1),
    })
}

/// `dtype=`: None (the dtype of f at the first sample), or a float or complex dtype.
pub(crate) fn dtype_arg(dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Option<bool>> {
    let Some(d) = dtype.filter(|d| !d.is_none()) else {
        return Ok(None);
    };
    let np = d.py().import("numpy")?;
    let dt = np.call_method1("dtype", (d,)).map_err(|_| {
        PyTypeError::new_err(format!(
            "dtype: expected float or complex, got {}",
            crate::options::shown(d)
        ))
    })?;
    let kind: String = dt.getattr("kind")?.extract()?;
    match kind.as_str() {
        "c" => Ok(Some(true)),
        "f" | "i" | "u" | "b" => Ok(Some(false)),
        _ => Err(PyTypeError::new_err(format!(
            "dtype: expected float or complex, got {}",
            crate::options::shown(d)
        ))),
    }
}

/// An optional callable argument (`df`, `ddf`).
fn callable_arg(name: &str, v: Option<Bound<'_, PyAny>>) -> PyResult<Option<Py<PyAny>>> {
    match v.filter(|v| !v.is_none()) {
        None => Ok(None),
        Some(v) if v.is_callable() => Ok(Some(v.unbind())),
        Some(v) => Err(PyTypeError::new_err(format!(
            "{name}: expected a callable {name}(t), got {}",
            v.get_type().name()?
        ))),
    }
}

/// `_track(f, range, grid, opts, df, ddf, dtype)`: track `f`, a callable `f(t)` (called
/// once at t₀ here to learn n and the dtype) or a `Family`. `opts` is the dict of
/// `track`'s keywords, validated here.
#[pyfunction]
#[pyo3(signature = (f, range, grid, opts, df=None, ddf=None, dtype=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn _track(
    py: Python<'_>,
    f: Bound<'_, PyAny>,
    range: Option<Bound<'_, PyAny>>,
    grid: Option<Bound<'_, PyAny>>,
    opts: Bound<'_, PyDict>,
    df: Option<Bound<'_, PyAny>>,
    ddf: Option<Bound<'_, PyAny>>,
    dtype: Option<Bound<'_, PyAny>>,
) -> PyResult<PyTracking> {
    let failure = Failure::default();
    let TrackOptions { tracker, hermitian } = track_options(&opts, "track", &failure)?;
    let grid = grid_arg(grid.as_ref())?;
    let range = range_arg(range.as_ref())?;
    if let Ok(family) = f.downcast::<PyFileFamily>() {
        if df.as_ref().is_some_and(|d| !d.is_none()) || ddf.as_ref().is_some_and(|d| !d.is_none()) {
            return Err(PyTypeError::new_err(
                "df, ddf: a Family has exact derivatives; do not pass df/ddf",
            ));
        }
        let family = family.borrow();
        let range = range.unwrap_or_else(|| family.file.range());
        let r = match family.file.family() {
            FileFamily::Real(fam) => {
                file_hermitian(hermitian, fam, range, grid.as_deref())?;
                run_track(py, &tracker, fam, range, grid.as_deref()).map_err(|e| trace(fam, e))
            }
            FileFamily::Complex(fam) => {
                file_hermitian(hermitian, fam, range, grid.as_deref())?;
                run_track(py, &tracker, fam, range, grid.as_deref()).map_err(|e| trace(fam, e))
            }
        };
        return Ok(PyTracking::new(failure.resolve(r)?));
    }
    if !f.is_callable() {
        return Err(PyTypeError::new_err(format!(
            "f: expected a callable f(t) returning a square matrix, or an eigentrack.Family, got {}",
            f.get_type().name()?
        )));
    }
    let df = callable_arg("df", df)?;
    let ddf = callable_arg("ddf", ddf)?;
    if ddf.is_some() && df.is_none() {
        return Err(PyTypeError::new_err("ddf: given without df"));
    }
    let range = match (range, &grid) {
        (Some(r), _) => r,
        (None, Some(g)) => (g[0], g[g.len() - 1]),
        (None, None) => {
            return Err(PyTypeError::new_err(
                "range: required (a, b) for a callable f, unless grid= is given",
            ))
        }
    };
    let t0 = grid.as_ref().map_or(range.0, |g| g[0]);
    let first = f.call1((t0,))?;
    let complex = match dtype_arg(dtype.as_ref())? {
        Some(c) => c,
        None => crate::convert::or_false(py, is_complex(&first))?,
    };
    let hermitian = hermitian == Some(true);
    macro_rules! go {
        ($t:ty) => {{
            let m0 = read_matrix::<$t>(&first, "f", Some(t0), None)?;
            if hermitian {
                check_hermitian(&m0, &crate::convert::origin("f", Some(t0)))?;
            }
            let fam = PyFamily::<$t> {
                f: f.clone().unbind(),
                df,
                ddf,
                n: m0.nrows(),
                hermitian,
                failure: failure.clone(),
                _elem: std::marker::PhantomData,
            };
            let r = run_track(py, &tracker, &fam, range, grid.as_deref());
            failure.resolve(r)
        }};
    }
    let tracking = if complex { go!(Complex64)? } else { go!(f64)? };
    Ok(PyTracking::new(tracking))
}

/// `hermitian=True` on a family file: A at the first sample must be Hermitian.
fn file_hermitian<T: eigentrack::expr::Scalar + crate::convert::Scalar>(
    hermitian: Option<bool>,
    fam: &ExprFamily<T>,
    range: (f64, f64),
    grid: Option<&[f64]>,
) -> PyResult<()> {
    if hermitian != Some(true) {
        return Ok(());
    }
    let t0 = grid.map_or(range.0, |g| g[0]);
    check_hermitian(&fam.value(t0), &format!("the family at t = {t0}"))
}

/// A non-finite A(t) traced back to the coefficient that caused it (as the CLI does).
pub(crate) fn trace<T: eigentrack::expr::Scalar>(fam: &ExprFamily<T>, e: Error) -> Error {
    match e {
        Error::NonFinite {
            at: eigentrack::At(Some(t)),
            ..
        } => fam.check_on(&[t]).err().unwrap_or(e),
        e => e,
    }
}
