//! `Tracking`: the result of a dense track, a Python class around the library's
//! [`Tracking`], its arrays in numpy, its events and statistics from the library's serde
//! model, its JSON (`to_json`, `from_json`, pickling) that model's text.

use crate::convert::{json_to_py, vector_out};
use crate::errors::to_py;
use crate::options::input;
use eigentrack::nalgebra::DVector;
use eigentrack::{Branch, Complex64, Tracking};
use numpy::ndarray::{Array2, Array3};
use numpy::IntoPyArray;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use std::path::PathBuf;

/// The result of a track: branches on the sample grid, located events, statistics.
///
/// Branch k is eigenpair k, in ascending (Re, Im) order, at the first sample, and keeps
/// its identity through crossings. `t` is the grid; `values`, `slopes` (dλ/dt) and
/// `curvatures` (d²λ/dt²) are numpy arrays of shape (n_samples, n_branches): float64 when
/// every eigenvalue is real at every sample (every Hermitian family, and real families
/// whose spectrum stays real), complex128 otherwise. `condition` holds the condition
/// numbers; `right_vectors` / `left_vectors` (n_samples, n, n_branches) with
/// `keep_vectors=True`; `events` typed objects in the order of t; `stats` the counts and
/// timings. `plot(path)` draws the Rust figure into a file, `plot(ax=…)` into matplotlib;
/// `to_json()` gives the command-line tool's JSON, `Tracking.from_json` reads it back,
/// and a Tracking pickles through that JSON.
#[pyclass(module = "eigentrack._eigentrack", name = "Tracking", frozen)]
pub(crate) struct PyTracking {
    pub(crate) inner: Tracking,
}

impl PyTracking {
    /// The Python object of `inner`.
    pub(crate) fn new(inner: Tracking) -> Self {
        PyTracking { inner }
    }

    /// Whether the arrays come out as float64 (every eigenvalue real at every sample).
    fn real_spectrum(&self) -> bool {
        !self.inner.is_complex()
    }

    fn per_branch<'py>(
        &self,
        py: Python<'py>,
        get: impl Fn(&Branch) -> &[Complex64],
    ) -> Bound<'py, PyAny> {
        let bs = self.inner.branches();
        let m = self.inner.samples().len();
        let have = bs.first().is_none_or(|b| get(b).len() == m);
        let rows = if have { m } else { 0 };
        if self.real_spectrum() {
            // derivatives of real functions of t: real up to rounding, imaginary parts dropped
            Array2::from_shape_fn((rows, bs.len()), |(i, k)| get(&bs[k])[i].re)
                .into_pyarray(py)
                .into_any()
        } else {
            Array2::from_shape_fn((rows, bs.len()), |(i, k)| get(&bs[k])[i])
                .into_pyarray(py)
                .into_any()
        }
    }

    fn vectors<'py>(
        &self,
        py: Python<'py>,
        get: impl Fn(&Branch) -> Option<&[DVector<Complex64>]>,
    ) -> Option<Bound<'py, PyAny>> {
        let bs = self.inner.branches();
        let m = self.inner.samples().len();
        let all: Vec<&[DVector<Complex64>]> = bs.iter().map(&get).collect::<Option<_>>()?;
        let n = all.first().and_then(|v| v.first()).map_or(0, |v| v.len());
        Some(
            Array3::from_shape_fn((m, n, bs.len()), |(i, r, k)| all[k][i][r])
                .into_pyarray(py)
                .into_any(),
        )
    }

    /// The JSON text of the library's serde model.
    fn json(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner).map_err(|e| PyValueError::new_err(e.to_string()))
    }
}

/// The typed events (`eigentrack._types._event`) of serde's event objects.
pub(crate) fn typed_events<'py>(
    py: Python<'py>,
    events: &[serde_json::Value],
    maker: &str,
) -> PyResult<Bound<'py, PyList>> {
    let make = py.import("eigentrack._types")?.getattr(maker)?;
    let out = PyList::empty(py);
    for e in events {
        out.append(make.call1((json_to_py(py, e)?,))?)?;
    }
    Ok(out)
}

/// Call `eigentrack._display.<name>(obj, **kwargs)` (the matplotlib, xarray, pandas and
/// HTML helpers, written in Python).
pub(crate) fn display<'py>(
    obj: &Bound<'py, PyAny>,
    name: &str,
    kwargs: Option<&Bound<'py, pyo3::types::PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    obj.py()
        .import("eigentrack._display")?
        .getattr(name)?
        .call((obj,), kwargs)
}

#[pymethods]
impl PyTracking {
    /// The sample grid, shape (n_samples,).
    #[getter]
    fn t<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        vector_out(py, self.inner.samples())
    }
    /// λ of every branch at every sample, shape (n_samples, n_branches): float64 when
    /// every eigenvalue is real at every sample, else complex128.
    #[getter]
    fn values<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.per_branch(py, |b| b.values())
    }
    /// dλ/dt, shape (n_samples, n_branches), the dtype of `values`.
    #[getter]
    fn slopes<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.per_branch(py, |b| b.slopes())
    }
    /// d²λ/dt², shape (n_samples, n_branches), the dtype of `values` (0 rows with
    /// `curvatures=False`).
    #[getter]
    fn curvatures<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.per_branch(py, |b| b.curvatures())
    }
    /// Eigenvalue condition numbers κ, shape (n_samples, n_branches).
    #[getter]
    fn condition<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        let bs = self.inner.branches();
        Array2::from_shape_fn((self.inner.samples().len(), bs.len()), |(i, k)| {
            bs[k].condition()[i]
        })
        .into_pyarray(py)
        .into_any()
    }
    /// Unit right eigenvectors, complex, shape (n_samples, n, n_branches), with
    /// `keep_vectors=True` (else None).
    #[getter]
    fn right_vectors<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.vectors(py, |b| b.right_vectors())
    }
    /// Left eigenvectors (yᴴx = 1), complex, shape (n_samples, n, n_branches), with
    /// `keep_vectors=True` (else None).
    #[getter]
    fn left_vectors<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.vectors(py, |b| b.left_vectors())
    }
    /// Whether A(t) was real.
    #[getter]
    fn is_real(&self) -> bool {
        self.inner.is_real()
    }
    /// The number of samples.
    #[getter]
    fn n_samples(&self) -> usize {
        self.inner.samples().len()
    }
    /// The number of branches.
    #[getter]
    fn n_branches(&self) -> usize {
        self.inner.branches().len()
    }
    /// The located events, in the order of t, as typed objects (`eigentrack.Crossing`, …).
    #[getter]
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let events: Vec<serde_json::Value> = self
            .inner
            .events()
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<_, _>>()
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        typed_events(py, &events, "_event")
    }
    /// Counts and timings (`eigentrack.Stats`).
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = serde_json::to_value(self.inner.stats())
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let d = json_to_py(py, &v)?;
        py.import("eigentrack._types")?
            .getattr("Stats")?
            .call((), Some(d.downcast()?))
    }
    /// The result as JSON text: the library's serde model, the command-line tool's
    /// format (eigenvectors included when kept; NaN as null, ±∞ as "inf"/"-inf").
    fn to_json(&self) -> PyResult<String> {
        self.json()
    }
    /// A Tracking read back from the JSON of `to_json()` or of `eigentrack track`.
    #[staticmethod]
    fn from_json(text: &Bound<'_, PyAny>) -> PyResult<PyTracking> {
        let text: String = match text.extract::<String>() {
            Ok(s) => s,
            Err(_) => match text.extract::<Vec<u8>>() {
                Ok(b) => String::from_utf8(b).map_err(|e| input("text", e.to_string()))?,
                Err(_) => {
                    return Err(PyTypeError::new_err(format!(
                        "text: expected the JSON text (str or bytes), got {}",
                        text.get_type().name()?
                    )))
                }
            },
        };
        Tracking::from_json(&text)
            .map(PyTracking::new)
            .map_err(to_py)
    }
    /// The branches as long-format CSV (header `t,branch,re,im,slope_re,slope_im`).
    fn to_csv(&self) -> String {
        self.inner.to_csv()
    }
    /// Draw the curves. With `path` (.png or .svg): the Rust figure, written to the file
    /// (`panels`: "eigencurves" (default), "sorted_vs_tracked", "complex_plane" or
    /// "slopes"; `parameter` names t on the axis; `title` sets a title); returns None.
    /// Without `path`: into the matplotlib Axes `ax` (a new figure's when None), `part`
    /// ("re", "im" or "abs") of λ against t, one line per branch, events marked; returns
    /// the Axes.
    #[pyo3(signature = (path=None, panels="eigencurves", parameter=None, title=None, *, ax=None, part="re"))]
    #[allow(clippy::too_many_arguments)]
    fn plot<'py>(
        slf: &Bound<'py, Self>,
        path: Option<PathBuf>,
        panels: &str,
        parameter: Option<String>,
        title: Option<String>,
        ax: Option<Bound<'py, PyAny>>,
        part: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let Some(path) = path else {
            let kw = pyo3::types::PyDict::new(py);
            kw.set_item("ax", ax)?;
            kw.set_item("part", part)?;
            kw.set_item("title", title)?;
            kw.set_item("parameter", parameter)?;
            return display(slf.as_any(), "plot_tracking", Some(&kw));
        };
        if ax.is_some() {
            return Err(PyTypeError::new_err(
                "ax: draws into matplotlib; give either a path (the Rust figure) or ax=, not both",
            ));
        }
        crate::plot::plot_file(py, &slf.get().inner, &path, panels, parameter, title)?;
        Ok(py.None().into_bound(py))
    }
    /// Draw the branches in the complex plane (Re λ, Im λ) into the matplotlib Axes `ax`
    /// (a new figure's when None), events marked; returns the Axes.
    #[pyo3(signature = (ax=None, *, title=None))]
    fn plot_complex<'py>(
        slf: &Bound<'py, Self>,
        ax: Option<Bound<'py, PyAny>>,
        title: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kw = pyo3::types::PyDict::new(slf.py());
        kw.set_item("ax", ax)?;
        kw.set_item("title", title)?;
        display(slf.as_any(), "plot_complex", Some(&kw))
    }
    /// An xarray Dataset with dims (t, branch) and variables value, slope, curvature and
    /// cond (and the events as the attribute "events", a list of dicts).
    fn to_xarray<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        display(slf.as_any(), "to_xarray", None)
    }
    /// A long pandas DataFrame: one row per (t, branch) with value, slope, curvature and
    /// cond.
    fn to_pandas<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        display(slf.as_any(), "to_pandas", None)
    }
    /// The Jupyter display: the summary table, the events and a small inline SVG.
    fn _repr_html_<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        display(slf.as_any(), "repr_html", None)
    }
    /// `len()` is ambiguous for a track (samples or branches?): a TypeError that says so.
    fn __len__(&self) -> PyResult<usize> {
        Err(PyTypeError::new_err(
            "len(Tracking) is ambiguous: use .n_samples or .n_branches",
        ))
    }
    fn __str__(&self) -> String {
        self.inner.to_string()
    }
    fn __repr__(&self) -> String {
        format!(
            "<eigentrack.Tracking: {} samples on [{}, {}], {} branches, {} events>",
            self.inner.samples().len(),
            self.inner.samples().first().copied().unwrap_or(f64::NAN),
            self.inner.samples().last().copied().unwrap_or(f64::NAN),
            self.inner.branches().len(),
            self.inner.events().len()
        )
    }
    /// Pickling: the JSON of `to_json()`.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let rebuild = py
            .import("eigentrack._eigentrack")?
            .getattr("Tracking")?
            .getattr("from_json")?;
        PyTuple::new(py, [rebuild, PyTuple::new(py, [self.json()?])?.into_any()])
    }
}
