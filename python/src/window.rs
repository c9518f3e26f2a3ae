//! `WindowTracking`: the result of `track_nearest`, a Python class around the library's
//! [`WindowRecord`] (the [`WindowTracking`](eigentrack::sparse::WindowTracking) with n
//! and the arithmetic), like `Tracking`: numpy arrays, typed events, the serde model's
//! JSON for `to_json`, `from_json` and pickling.

use crate::convert::{json_to_py, vector_out, C};
use crate::errors::to_py;
use crate::options::input;
use crate::results::{display, typed_events};
use eigentrack::sparse::{WindowBranch, WindowRecord};
use eigentrack::Complex64;
use numpy::ndarray::{Array2, Array3};
use numpy::IntoPyArray;
use pyo3::exceptions::{PyIndexError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use std::path::PathBuf;

/// The result of `track_nearest`.
///
/// Branches are numbered in order of appearance: 0 … m − 1 are the m = k + guard pairs
/// at the first sample, nearest σ first; a pair that enters the guard band later starts
/// a new branch. A branch keeps its identity through crossings.
///
/// `t` (n_samples,); `values`, `slopes` (n_samples, n_branches), NaN where the branch is
/// not computed (outside the guard band), float64 when every computed eigenvalue is real
/// (else complex128; inside the window λ meets the residual tolerance `tol`, in the guard
/// band 10⁴ times it); `condition` κ (1 for a Hermitian A; NaN where not computed);
/// `in_window` (bool) whether the branch is among the k nearest σ; `right_vectors`
/// (n_samples, n, n_branches) with `keep_vectors=True`; `events` (`WindowEvent`) in the
/// order of t; `stats` a dict of work counters and times (the command-line tool's names);
/// `k`, `sigma`, `n`, `is_real`. `window(s)` gives the window at sample s, `to_json()` the
/// command-line tool's JSON (`eigentrack track --nearest`), `WindowTracking.from_json`
/// reads it back, `to_csv()` its CSV; it pickles through that JSON.
#[pyclass(module = "eigentrack._eigentrack", name = "WindowTracking", frozen)]
pub(crate) struct PyWindowTracking {
    pub(crate) inner: WindowRecord,
}

/// NaN + NaN·i where a branch is not computed.
fn or_nan(z: Option<Complex64>) -> Complex64 {
    z.unwrap_or(Complex64::new(f64::NAN, f64::NAN))
}

impl PyWindowTracking {
    /// Whether every computed eigenvalue is real (then the arrays are float64).
    fn real_spectrum(&self) -> bool {
        self.inner
            .tracking
            .branches()
            .iter()
            .all(|b| b.values().iter().flatten().all(|v| v.im == 0.0))
    }
    fn grid<'py>(
        &self,
        py: Python<'py>,
        get: impl Fn(&WindowBranch) -> &[Option<Complex64>],
    ) -> Bound<'py, PyAny> {
        let bs = self.inner.tracking.branches();
        let ns = self.inner.tracking.samples().len();
        if self.real_spectrum() {
            Array2::from_shape_fn((ns, bs.len()), |(i, k)| {
                get(&bs[k])[i].map_or(f64::NAN, |z| z.re)
            })
            .into_pyarray(py)
            .into_any()
        } else {
            Array2::from_shape_fn((ns, bs.len()), |(i, k)| or_nan(get(&bs[k])[i]))
                .into_pyarray(py)
                .into_any()
        }
    }
    fn json(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner).map_err(|e| PyValueError::new_err(e.to_string()))
    }
}

#[pymethods]
impl PyWindowTracking {
    /// The sample grid, shape (n_samples,).
    #[getter]
    fn t<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        vector_out(py, self.inner.tracking.samples())
    }
    /// λ of every branch, shape (n_samples, n_branches), NaN where not computed.
    #[getter]
    fn values<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.grid(py, |b| b.values())
    }
    /// dλ/dt of every branch, shape (n_samples, n_branches), NaN where not computed.
    #[getter]
    fn slopes<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.grid(py, |b| b.slopes())
    }
    /// Condition numbers κ, shape (n_samples, n_branches), NaN where not computed.
    #[getter]
    fn condition<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        let bs = self.inner.tracking.branches();
        let ns = self.inner.tracking.samples().len();
        Array2::from_shape_fn((ns, bs.len()), |(i, k)| {
            bs[k].condition()[i].unwrap_or(f64::NAN)
        })
        .into_pyarray(py)
        .into_any()
    }
    /// Whether each branch is among the k nearest σ, bool, shape (n_samples, n_branches).
    #[getter]
    fn in_window<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        let bs = self.inner.tracking.branches();
        let ns = self.inner.tracking.samples().len();
        Array2::from_shape_fn((ns, bs.len()), |(i, k)| bs[k].in_window()[i])
            .into_pyarray(py)
            .into_any()
    }
    /// Unit right eigenvectors, complex, shape (n_samples, n, n_branches), NaN where not
    /// computed, with `keep_vectors=True` (else None).
    #[getter]
    fn right_vectors<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        let bs = self.inner.tracking.branches();
        let ns = self.inner.tracking.samples().len();
        let n = self.inner.n;
        let right: Vec<_> = bs
            .iter()
            .map(|b| b.right_vectors())
            .collect::<Option<_>>()?;
        if bs.is_empty() {
            return None;
        }
        Some(
            Array3::from_shape_fn((ns, n, bs.len()), |(i, row, k)| {
                right[k][i].as_ref().map_or(or_nan(None), |v| v[row])
            })
            .into_pyarray(py)
            .into_any(),
        )
    }
    /// The events (`eigentrack.WindowEvent`), in the order of t.
    #[getter]
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let events: Vec<serde_json::Value> = self
            .inner
            .tracking
            .events()
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<_, _>>()
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        typed_events(py, &events, "_window_event")
    }
    /// Work counters and times, a dict (the command-line tool's names: `factorizations`,
    /// `iterations`, `accepted_steps`, `seconds`, …).
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = serde_json::to_value(self.inner.tracking.stats())
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        json_to_py(py, &v)
    }
    /// The window size k.
    #[getter]
    fn k(&self) -> usize {
        self.inner.tracking.k()
    }
    /// The target σ.
    #[getter]
    fn sigma(&self) -> C {
        C(self.inner.tracking.sigma())
    }
    /// The size n of A(t).
    #[getter]
    fn n(&self) -> usize {
        self.inner.n
    }
    /// Whether the family was tracked in real arithmetic.
    #[getter]
    fn is_real(&self) -> bool {
        self.inner.real
    }
    /// The number of samples.
    #[getter]
    fn n_samples(&self) -> usize {
        self.inner.tracking.samples().len()
    }
    /// The number of branches.
    #[getter]
    fn n_branches(&self) -> usize {
        self.inner.tracking.branches().len()
    }
    /// The window at sample `s` (negative counts from the end): a list of
    /// `(branch, Re λ)` of the k branches nearest σ, nearest first.
    fn window(&self, s: &Bound<'_, PyAny>) -> PyResult<Vec<(usize, f64)>> {
        let ns = self.inner.tracking.samples().len() as i64;
        let numbers = s.py().import("numbers")?;
        if s.is_instance_of::<pyo3::types::PyBool>()
            || !s.is_instance(&numbers.getattr("Integral")?)?
        {
            return Err(PyTypeError::new_err(format!(
                "s: expected a sample index (int), got {}",
                crate::options::shown(s)
            )));
        }
        let i: i64 = s.extract()?;
        if !(-ns..ns).contains(&i) {
            return Err(PyIndexError::new_err(format!(
                "s: sample {i} out of range for {ns} samples"
            )));
        }
        Ok(self.inner.tracking.window(i.rem_euclid(ns) as usize))
    }
    /// The result as JSON text, the library's serde model, in the format of
    /// `eigentrack track --nearest` (`null` where a branch is not computed).
    fn to_json(&self) -> PyResult<String> {
        self.json()
    }
    /// A WindowTracking read back from the JSON of `to_json()` or of
    /// `eigentrack track --nearest`.
    #[staticmethod]
    fn from_json(text: &Bound<'_, PyAny>) -> PyResult<PyWindowTracking> {
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
        WindowRecord::from_json(&text)
            .map(|inner| PyWindowTracking { inner })
            .map_err(to_py)
    }
    /// Long-format CSV, header `t,branch,re,im,slope_re,slope_im,in_window`, the computed
    /// samples only (the format of `eigentrack track --nearest --csv`).
    fn to_csv(&self) -> String {
        self.inner.tracking.to_csv()
    }
    /// Draw Re λ of the branches: with `path` the Rust figure into the file (.png or
    /// .svg; returns None), else into the matplotlib Axes `ax` (a new figure's when None;
    /// returns the Axes), the window's part solid, the guard band's dotted, events marked.
    #[pyo3(signature = (path=None, *, ax=None, title=None))]
    fn plot<'py>(
        slf: &Bound<'py, Self>,
        path: Option<PathBuf>,
        ax: Option<Bound<'py, PyAny>>,
        title: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        match path {
            None => {
                let kw = pyo3::types::PyDict::new(py);
                kw.set_item("ax", ax)?;
                kw.set_item("title", title)?;
                display(slf.as_any(), "plot_window", Some(&kw))
            }
            Some(path) => {
                if ax.is_some() {
                    return Err(PyTypeError::new_err(
                        "ax: give either a path (the Rust figure) or ax=, not both",
                    ));
                }
                let tr = &slf.get().inner.tracking;
                py.allow_threads(|| tr.plot(&path)).map_err(to_py)?;
                Ok(py.None().into_bound(py))
            }
        }
    }
    /// A long pandas DataFrame: one row per (t, branch) computed, with value, slope, cond
    /// and in_window.
    fn to_pandas<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        display(slf.as_any(), "to_pandas", None)
    }
    /// An xarray Dataset with dims (t, branch): value, slope, cond, in_window.
    fn to_xarray<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        display(slf.as_any(), "to_xarray", None)
    }
    /// The Jupyter display: the summary, the events and a small inline SVG.
    fn _repr_html_<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        display(slf.as_any(), "repr_html", None)
    }
    /// `len()` is ambiguous (samples or branches?): a TypeError that says so.
    fn __len__(&self) -> PyResult<usize> {
        Err(PyTypeError::new_err(
            "len(WindowTracking) is ambiguous: use .n_samples or .n_branches",
        ))
    }
    fn __repr__(&self) -> String {
        let tr = &self.inner.tracking;
        let s = tr.sigma();
        let sigma = if s.im == 0.0 {
            format!("{}", s.re)
        } else {
            format!("{s}")
        };
        format!(
            "<eigentrack.WindowTracking: the {} eigenvalues nearest σ = {sigma} of a {n} × {n} family, {} samples on [{}, {}], {} branches, {} events>",
            tr.k(),
            tr.samples().len(),
            tr.samples().first().copied().unwrap_or(f64::NAN),
            tr.samples().last().copied().unwrap_or(f64::NAN),
            tr.branches().len(),
            tr.events().len(),
            n = self.inner.n,
        )
    }
    /// Pickling: the JSON of `to_json()`.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let rebuild = py
            .import("eigentrack._eigentrack")?
            .getattr("WindowTracking")?
            .getattr("from_json")?;
        PyTuple::new(py, [rebuild, PyTuple::new(py, [self.json()?])?.into_any()])
    }
}
