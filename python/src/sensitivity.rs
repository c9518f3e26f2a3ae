//! Parameter sensitivities: ∂λ/∂p along the branches and dt*/dp of the events, for a
//! callable `f(t, p)` or a family file's named parameters.

use crate::convert::{is_complex, read_matrix, vector_out};
use crate::errors::Failure;
use crate::family::{check_hermitian, FileParametric, PyFamily, PyFileFamily, PyParametric};
use crate::options::{range_arg, track_options, TrackOptions};
use crate::results::PyTracking;
use eigentrack::family_file::FileFamily;
use eigentrack::sensitivity;
use eigentrack::Complex64;
use numpy::ndarray::{Array1, Array3};
use numpy::IntoPyArray;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

/// The parts of a `Sensitivities` for the Python layer: (tracking, params, dlambda of
/// shape (samples, branches, m), [(event index, t, dt/dp or None, error or None,
/// coupling)]).
pub(crate) fn sens_out<'py>(
    py: Python<'py>,
    s: sensitivity::Sensitivities,
) -> PyResult<Bound<'py, PyTuple>> {
    let tr = s.tracking();
    let (ns, nb, m) = (tr.samples().len(), tr.branches().len(), s.params().len());
    let dl = Array3::from_shape_fn((ns, nb, m), |(i, b, k)| s.dlambda(b, k)[i]);
    let events = PyList::empty(py);
    for e in s.events() {
        let (dt, err) = match e.dt_dp() {
            Ok(v) => (Some(vector_out(py, v)), None),
            Err(e) => (None, Some(e.to_string())),
        };
        events.append((e.event(), e.t(), dt, err, vector_out(py, e.coupling())))?;
    }
    let params = vector_out(py, s.params());
    let tracking = Bound::new(py, PyTracking::new(tr.clone()))?;
    PyTuple::new(
        py,
        [
            tracking.into_any(),
            params,
            dl.into_pyarray(py).into_any(),
            events.into_any(),
        ],
    )
}

/// `_sensitivities(f, p, range, opts, df, dp, dtype)` for a callable f(t, p).
#[pyfunction]
#[pyo3(signature = (f, p, range, opts, df=None, dp=None, dtype=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn _sensitivities<'py>(
    py: Python<'py>,
    f: Py<PyAny>,
    p: Vec<f64>,
    range: Option<Bound<'py, PyAny>>,
    opts: Bound<'py, PyDict>,
    df: Option<Py<PyAny>>,
    dp: Option<Py<PyAny>>,
    dtype: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let complex = crate::track::dtype_arg(dtype.as_ref())?;
    let failure = Failure::default();
    let TrackOptions {
        tracker: tr,
        hermitian,
    } = track_options(&opts, "sensitivities", &failure)?;
    let hermitian = hermitian == Some(true);
    let range = range_arg(range.as_ref())?
        .ok_or_else(|| PyTypeError::new_err("range: required (a, b) for a callable f"))?;
    let t0 = range.0;
    let first = f
        .bind(py)
        .call1((t0, Array1::from(p.clone()).into_pyarray(py)))?;
    let complex = match complex {
        Some(c) => c,
        None => crate::convert::or_false(py, is_complex(&first))?,
    };
    macro_rules! go {
        ($t:ty) => {{
            let m0 = read_matrix::<$t>(&first, "f", Some(t0), None)?;
            if hermitian {
                check_hermitian(&m0, &crate::convert::origin("f", Some(t0)))?;
            }
            let fam = PyParametric::<$t> {
                inner: PyFamily {
                    f,
                    df,
                    ddf: None,
                    n: m0.nrows(),
                    hermitian,
                    failure: failure.clone(),
                    _elem: std::marker::PhantomData,
                },
                dp,
                m: p.len(),
            };
            let r =
                py.allow_threads(|| sensitivity::sensitivities(&tr, &fam, &p, range.0..=range.1));
            failure.resolve(r)?
        }};
    }
    let s = if complex { go!(Complex64) } else { go!(f64) };
    sens_out(py, s)
}

/// `_sensitivities_file(family, names, range, opts)`: sensitivities of a family file with
/// respect to its named parameters (exact ∂A/∂p), at the family's current values.
#[pyfunction]
pub(crate) fn _sensitivities_file<'py>(
    py: Python<'py>,
    family: &PyFileFamily,
    names: Vec<String>,
    range: Option<Bound<'py, PyAny>>,
    opts: Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyTuple>> {
    let failure = Failure::default();
    let tr = track_options(&opts, "sensitivities", &failure)?.tracker;
    let range = range_arg(range.as_ref())?;
    let known = family.file.family().params();
    let mut p = Vec::with_capacity(names.len());
    for name in &names {
        match known.iter().find(|(k, _)| k == name) {
            Some((_, v)) => p.push(*v),
            None => {
                return Err(PyValueError::new_err(format!(
                    "params: the family has no parameter {name:?} (its params: {:?})",
                    known.iter().map(|(k, _)| *k).collect::<Vec<_>>()
                )))
            }
        }
    }
    let range = range.unwrap_or_else(|| family.file.range());
    let r = match family.file.family() {
        FileFamily::Real(f) => {
            let fam = FileParametric {
                fam: f.clone(),
                names: names.clone(),
                p: p.clone(),
            };
            py.allow_threads(|| sensitivity::sensitivities(&tr, &fam, &p, range.0..=range.1))
        }
        FileFamily::Complex(f) => {
            let fam = FileParametric {
                fam: f.clone(),
                names: names.clone(),
                p: p.clone(),
            };
            py.allow_threads(|| sensitivity::sensitivities(&tr, &fam, &p, range.0..=range.1))
        }
    };
    sens_out(py, failure.resolve(r)?)
}
