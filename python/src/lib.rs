//! `eigentrack._eigentrack`: the compiled half of the Python package `eigentrack`.
//!
//! It wraps the Rust library for Python: matrices come in as numpy arrays (or anything
//! `numpy.asarray` takes, scipy.sparse matrices included), results go out as numpy
//! arrays. The pure-Python layer (`python/eigentrack/`) gives the public API its
//! signatures, the typed events, the sweeps and the gradient wrappers.
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

use eigentrack::family_file::{ExprFamily, FamilyFile, FileFamily};
use eigentrack::nalgebra::{DMatrix, DVector};
use eigentrack::sensitivity::{self, ParametricFamily};
use eigentrack::{
    finite_difference_jet, Branch, Complex64, CrossingPolicy, Element, Error, Event, HermitianMode,
    Jet, MatrixFamily, Part, Resolution, Stats, Tracker, Tracking,
};
use numpy::ndarray::{Array1, Array2, Array3};
use numpy::{IntoPyArray, PyArray2, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

// ---------------------------------------------------------------------------------------
// errors

/// The exception class `name` of `eigentrack._errors` (defined in Python, so that they
/// pickle and can derive from both `EigentrackError` and a builtin).
fn error_class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("eigentrack._errors")?.getattr(name)
}

/// A Rust error as the Python exception a user expects: bad input is a `ValueError`
/// (`InputError`), an ill-defined derivative an `IllDefinedError` (a `ValueError`), a
/// spent budget a `BudgetError` (a `RuntimeError`), a failed decomposition a
/// `ConvergenceError` (an `ArithmeticError`), a failed write an `OSError`.
fn to_py(e: Error) -> PyErr {
    Python::with_gil(|py| {
        let class = match &e {
            Error::IllDefined { .. } => "IllDefinedError",
            Error::Budget { .. } => "BudgetError",
            Error::NoConvergence { .. } => "ConvergenceError",
            Error::Interrupted { .. } => "TrackInterrupted",
            Error::Output { .. } => "OutputError",
            _ => "InputError",
        };
        match error_class(py, class).and_then(|c| c.call1((e.to_string(),))) {
            Ok(exc) => PyErr::from_value(exc),
            Err(err) => err,
        }
    })
}

/// The first Python exception raised by a user function during one call into Rust.
#[derive(Clone, Default)]
struct Failure(Arc<Mutex<Option<PyErr>>>);

impl Failure {
    fn set(&self, e: PyErr) {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(e);
        }
    }
    fn failed(&self) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }
    fn take(&self) -> Option<PyErr> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
    /// The stored Python exception if there is one (it caused whatever Rust reports),
    /// else the Rust result with its error translated.
    fn resolve<R>(&self, r: eigentrack::Result<R>) -> PyResult<R> {
        match self.take() {
            Some(e) => Err(e),
            None => r.map_err(to_py),
        }
    }
}

// ---------------------------------------------------------------------------------------
// matrices in and out

/// An element type the binding reads from numpy: `f64` or `Complex64`.
trait Scalar: Element + numpy::Element {
    /// "float64" or "complex128".
    const DTYPE: &'static str;
    /// Whether the value's parts are finite.
    fn finite(self) -> bool;
}

impl Scalar for f64 {
    const DTYPE: &'static str = "float64";
    fn finite(self) -> bool {
        self.is_finite()
    }
}

impl Scalar for Complex64 {
    const DTYPE: &'static str = "complex128";
    fn finite(self) -> bool {
        self.re.is_finite() && self.im.is_finite()
    }
}

/// Where a matrix came from, for error messages: "f(t) at t = 0.5", "a", ….
fn origin(name: &str, t: Option<f64>) -> String {
    match t {
        Some(t) => format!("{name}(t) at t = {t}"),
        None => name.to_string(),
    }
}

/// Whether `obj` holds complex entries (numpy dtype kind 'c'), after `numpy.asarray`.
fn is_complex(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    let arr = as_array(obj)?;
    let kind: String = arr.getattr("dtype")?.getattr("kind")?.extract()?;
    Ok(kind == "c")
}

/// `numpy.asarray(obj)`, densifying scipy.sparse matrices (anything with `toarray`).
fn as_array<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = obj.py();
    let np = py.import("numpy")?;
    if obj.downcast::<numpy::PyUntypedArray>().is_err() && obj.hasattr("toarray")? {
        return np.call_method1("asarray", (obj.call_method0("toarray")?,));
    }
    np.call_method1("asarray", (obj,))
}

/// Read a square matrix of element type `T` from `obj`, checking its shape (square,
/// `n`×`n` when `n` is given), its dtype (numbers; complex only when `T` is complex,
/// unless every imaginary part is 0) and that every entry is finite. Errors name the
/// argument, t and the index.
fn read_matrix<T: Scalar>(
    obj: &Bound<'_, PyAny>,
    name: &str,
    t: Option<f64>,
    n: Option<usize>,
) -> PyResult<DMatrix<T>> {
    let py = obj.py();
    // the fast path: already a 2-D array of the right dtype
    let arr = if let Ok(a) = obj.downcast::<PyArray2<T>>() {
        a.clone()
    } else {
        let a =
            as_array(obj).map_err(|e| PyTypeError::new_err(format!("{}: {e}", origin(name, t))))?;
        let kind: String = a.getattr("dtype")?.getattr("kind")?.extract()?;
        let dtype: String = a.getattr("dtype")?.str()?.extract()?;
        if !matches!(kind.as_str(), "b" | "i" | "u" | "f" | "c") {
            return Err(PyTypeError::new_err(format!(
                "{} returned an array of dtype {dtype}; expected real or complex numbers",
                origin(name, t)
            )));
        }
        let ndim: usize = a.getattr("ndim")?.extract()?;
        if ndim != 2 {
            let shape = a.getattr("shape")?.str()?.to_string();
            return Err(PyValueError::new_err(format!(
                "{} has shape {shape}; expected a square 2-D array",
                origin(name, t)
            )));
        }
        if kind == "c" && T::DTYPE == "float64" {
            // a real family: accept complex arrays whose imaginary parts all vanish
            let imag = a.getattr("imag")?;
            let np = py.import("numpy")?;
            let nz: Bound<'_, PyAny> = np.call_method1("flatnonzero", (&imag,))?;
            let count: usize = nz.len()?;
            if count > 0 {
                let flat: usize = nz.get_item(0)?.extract()?;
                let cols: usize = a.getattr("shape")?.get_item(1)?.extract()?;
                return Err(PyValueError::new_err(format!(
                    "{} has a complex entry [{}, {}] but the family is real (it was real at \
                     its first evaluation); pass dtype=complex to track a complex family",
                    origin(name, t),
                    flat / cols.max(1),
                    flat % cols.max(1)
                )));
            }
            a.getattr("real")?
                .call_method1("astype", (T::DTYPE,))?
                .downcast_into::<PyArray2<T>>()?
        } else {
            a.call_method1("astype", (T::DTYPE,))?
                .downcast_into::<PyArray2<T>>()?
        }
    };
    let (rows, cols) = (arr.shape()[0], arr.shape()[1]);
    if rows != cols || rows == 0 {
        return Err(PyValueError::new_err(format!(
            "{} has shape ({rows}, {cols}); expected a non-empty square matrix",
            origin(name, t)
        )));
    }
    if let Some(n) = n {
        if rows != n {
            return Err(PyValueError::new_err(format!(
                "{} has shape ({rows}, {cols}); expected {n}×{n}{}",
                origin(name, t),
                if t.is_some() {
                    " (the size of A at the first evaluation)"
                } else {
                    ""
                }
            )));
        }
    }
    let ro = arr.readonly();
    let view = ro.as_array();
    // row-major contiguous (what numpy makes by default): one copy; else entry by entry
    let m = match view.as_slice() {
        Some(s) => DMatrix::from_row_slice(rows, cols, s),
        None => DMatrix::from_fn(rows, cols, |i, j| view[[i, j]]),
    };
    if m.iter().any(|v| !v.finite()) {
        // report the first non-finite entry in row-major order
        let (i, j) = (0..rows)
            .flat_map(|r| (0..cols).map(move |c| (r, c)))
            .find(|&(r, c)| !m[(r, c)].finite())
            .unwrap_or((0, 0));
        let v = m[(i, j)].to_c64();
        let shown = if v.im == 0.0 {
            format!("{}", v.re)
        } else {
            format!("{v}")
        };
        return Err(PyValueError::new_err(format!(
            "{}: entry [{i}, {j}] is not finite ({shown})",
            origin(name, t)
        )));
    }
    Ok(m)
}

fn matrix_out<'py, T: numpy::Element + Copy>(py: Python<'py>, m: &DMatrix<T>) -> Bound<'py, PyAny> {
    Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)])
        .into_pyarray(py)
        .into_any()
}

fn vector_out<'py, T: numpy::Element + Copy>(py: Python<'py>, v: &[T]) -> Bound<'py, PyAny> {
    Array1::from(v.to_vec()).into_pyarray(py).into_any()
}

// ---------------------------------------------------------------------------------------
// a family A(t) given by Python functions

/// A(t) from a Python callable `f(t)` (and optionally `df(t)`, `ddf(t)` for A′, A″).
struct PyFamily<T: Scalar> {
    f: Py<PyAny>,
    df: Option<Py<PyAny>>,
    ddf: Option<Py<PyAny>>,
    n: usize,
    failure: Failure,
    _elem: std::marker::PhantomData<T>,
}

impl<T: Scalar> PyFamily<T> {
    fn nan(&self) -> DMatrix<T> {
        DMatrix::from_element(self.n, self.n, T::from_f64(f64::NAN))
    }
    /// Call `fun(t)` (or `fun(t, p)`), read and check the matrix; on a Python error store
    /// it and return NaNs (the tracker then stops; the stored exception is raised).
    fn call(&self, fun: &Py<PyAny>, name: &str, t: f64, p: Option<&[f64]>) -> DMatrix<T> {
        if self.failure.failed() {
            return self.nan();
        }
        Python::with_gil(|py| {
            let out = match p {
                None => fun.bind(py).call1((t,)),
                Some(p) => fun
                    .bind(py)
                    .call1((t, Array1::from(p.to_vec()).into_pyarray(py))),
            };
            match out.and_then(|m| read_matrix::<T>(&m, name, Some(t), Some(self.n))) {
                Ok(m) => m,
                Err(e) => {
                    self.failure.set(e);
                    self.nan()
                }
            }
        })
    }
    fn jet_at(&self, t: f64, p: Option<&[f64]>) -> Jet<T> {
        let Some(df) = &self.df else {
            return finite_difference_jet(|s| self.call(&self.f, "f", s, p), t);
        };
        let a = self.call(&self.f, "f", t, p);
        let da = self.call(df, "df", t, p);
        let dda = match &self.ddf {
            Some(ddf) => self.call(ddf, "ddf", t, p),
            None => {
                // A″ by a central difference of the exact A′
                let h = f64::EPSILON.cbrt() * t.abs().max(1.0);
                let (up, down) = (self.call(df, "df", t + h, p), self.call(df, "df", t - h, p));
                let d = 1.0 / ((t + h) - (t - h));
                DMatrix::from_fn(self.n, self.n, |i, j| {
                    T::from_c64((up[(i, j)].to_c64() - down[(i, j)].to_c64()) * d)
                })
            }
        };
        Jet { a, da, dda }
    }
}

impl<T: Scalar> MatrixFamily for PyFamily<T> {
    type Elem = T;
    fn value(&self, t: f64) -> DMatrix<T> {
        self.call(&self.f, "f", t, None)
    }
    fn jet(&self, t: f64) -> Jet<T> {
        self.jet_at(t, None)
    }
    fn exact_derivatives(&self) -> bool {
        self.df.is_some()
    }
}

/// A(t; p) from a Python callable `f(t, p)` (p a 1-D float array), with optional
/// `df(t, p)` (∂A/∂t) and `dp(t, p)` (the list of ∂A/∂p_k).
struct PyParametric<T: Scalar> {
    inner: PyFamily<T>,
    dp: Option<Py<PyAny>>,
    m: usize,
}

impl<T: Scalar> ParametricFamily for PyParametric<T> {
    type Elem = T;
    fn n_params(&self) -> usize {
        self.m
    }
    fn value(&self, t: f64, p: &[f64]) -> DMatrix<T> {
        self.inner.call(&self.inner.f, "f", t, Some(p))
    }
    fn jet(&self, t: f64, p: &[f64]) -> Jet<T> {
        self.inner.jet_at(t, Some(p))
    }
    fn param_derivatives(&self, t: f64, p: &[f64]) -> Vec<DMatrix<T>> {
        let Some(dp) = &self.dp else {
            // central differences, the trait's default
            return sensitivity::finite_difference_params(|q| self.value(t, q), p);
        };
        let fam = &self.inner;
        if fam.failure.failed() {
            return vec![fam.nan(); self.m];
        }
        Python::with_gil(|py| {
            let read = || -> PyResult<Vec<DMatrix<T>>> {
                let out = dp
                    .bind(py)
                    .call1((t, Array1::from(p.to_vec()).into_pyarray(py)))?;
                let items: Vec<Bound<'_, PyAny>> = out
                    .try_iter()
                    .map_err(|_| {
                        PyTypeError::new_err(format!(
                            "dp(t, p) at t = {t} must return a sequence of {} matrices",
                            self.m
                        ))
                    })?
                    .collect::<PyResult<_>>()?;
                if items.len() != self.m {
                    return Err(PyValueError::new_err(format!(
                        "dp(t, p) at t = {t} returned {} matrices for {} parameters",
                        items.len(),
                        self.m
                    )));
                }
                items
                    .iter()
                    .enumerate()
                    .map(|(k, m)| read_matrix::<T>(m, &format!("dp[{k}]"), Some(t), Some(fam.n)))
                    .collect()
            };
            match read() {
                Ok(v) => v,
                Err(e) => {
                    fam.failure.set(e);
                    vec![fam.nan(); self.m]
                }
            }
        })
    }
    fn exact_derivatives(&self) -> bool {
        self.inner.df.is_some() && self.dp.is_some()
    }
}

/// A family file's family with named parameters p (exact derivatives in t and p).
struct FileParametric<T: eigentrack::expr::Scalar> {
    fam: ExprFamily<T>,
    names: Vec<String>,
    p: Vec<f64>,
}

impl<T: eigentrack::expr::Scalar> FileParametric<T> {
    fn with(&self, p: &[f64]) -> ExprFamily<T> {
        let mut fam = self.fam.clone();
        for (name, &v) in self.names.iter().zip(p) {
            // names were checked when the family was made; a non-finite value is
            // reported by check_params before any evaluation
            let _ = fam.set_param(name, v);
        }
        fam
    }
}

impl<T: eigentrack::expr::Scalar> ParametricFamily for FileParametric<T> {
    type Elem = T;
    fn n_params(&self) -> usize {
        self.names.len()
    }
    fn value(&self, t: f64, p: &[f64]) -> DMatrix<T> {
        if p == self.p.as_slice() {
            self.fam.value(t)
        } else {
            self.with(p).value(t)
        }
    }
    fn jet(&self, t: f64, p: &[f64]) -> Jet<T> {
        if p == self.p.as_slice() {
            self.fam.jet(t)
        } else {
            self.with(p).jet(t)
        }
    }
    fn param_derivatives(&self, t: f64, p: &[f64]) -> Vec<DMatrix<T>> {
        let fam = if p == self.p.as_slice() {
            self.fam.clone()
        } else {
            self.with(p)
        };
        let n = fam.dim();
        self.names
            .iter()
            .map(|name| {
                fam.param_derivative(name, t)
                    .unwrap_or_else(|_| DMatrix::from_element(n, n, T::from_f64(f64::NAN)))
            })
            .collect()
    }
    fn exact_derivatives(&self) -> bool {
        true
    }
}

// ---------------------------------------------------------------------------------------
// the tracker's options

fn parse_policy(s: &str) -> PyResult<CrossingPolicy> {
    match s {
        "adiabatic" => Ok(CrossingPolicy::Adiabatic),
        "diabatic" => Ok(CrossingPolicy::Diabatic),
        _ => Err(PyValueError::new_err(format!(
            "policy: expected \"adiabatic\" or \"diabatic\", got {s:?}"
        ))),
    }
}

fn parse_part(s: &str) -> PyResult<Part> {
    match s {
        "re" => Ok(Part::Re),
        "im" => Ok(Part::Im),
        "abs" => Ok(Part::Abs),
        _ => Err(PyValueError::new_err(format!(
            "levels: part must be \"re\", \"im\" or \"abs\", got {s:?}"
        ))),
    }
}

fn parse_hermitian(h: Option<bool>) -> HermitianMode {
    match h {
        None => HermitianMode::Auto,
        Some(true) => HermitianMode::Yes,
        Some(false) => HermitianMode::No,
    }
}

/// Every option of `eigentrack.track`, as the Python layer passes them (it has checked
/// types and names; the values are checked here by the Rust builder).
#[derive(FromPyObject)]
struct Options {
    samples: usize,
    policy: String,
    levels: Vec<(String, f64)>,
    hermitian: Option<bool>,
    keep_vectors: bool,
    curvatures: bool,
    events: bool,
    h_min: Option<f64>,
    h_max: Option<f64>,
    cluster_tol: Option<f64>,
    min_overlap: Option<f64>,
    gap_tol: Option<f64>,
    avoided_gap_max: Option<f64>,
    max_decompositions: Option<usize>,
    resolution: String,
    progress: Option<Py<PyAny>>,
}

/// The tracker for `opts`; its progress callback checks signals (Ctrl-C) and calls the
/// user's `progress(fraction, t)` after every step, storing what they raise in `failure`.
fn tracker(opts: &Options, failure: &Failure) -> PyResult<Tracker> {
    let arg = |e: Error| to_py(e);
    let mut tr = Tracker::new()
        .samples(opts.samples)
        .map_err(arg)?
        .policy(parse_policy(&opts.policy)?)
        .hermitian(parse_hermitian(opts.hermitian))
        .keep_vectors(opts.keep_vectors)
        .curvatures(opts.curvatures)
        .locate_events(opts.events)
        .resolution(match opts.resolution.as_str() {
            "local" => Resolution::Local,
            "refine" => Resolution::Refine,
            r => {
                return Err(PyValueError::new_err(format!(
                    "resolution: expected \"local\" or \"refine\", got {r:?}"
                )))
            }
        });
    for (part, value) in &opts.levels {
        tr = tr.level(parse_part(part)?, *value).map_err(arg)?;
    }
    if let Some(h) = opts.h_min {
        tr = tr.h_min(h).map_err(arg)?;
    }
    if let Some(h) = opts.h_max {
        tr = tr.h_max(h).map_err(arg)?;
    }
    if let Some(v) = opts.cluster_tol {
        tr = tr.cluster_tol(v).map_err(arg)?;
    }
    if let Some(v) = opts.min_overlap {
        tr = tr.min_overlap(v).map_err(arg)?;
    }
    if let Some(v) = opts.gap_tol {
        tr = tr.gap_tol(v).map_err(arg)?;
    }
    if let Some(v) = opts.avoided_gap_max {
        tr = tr.avoided_gap_max(v).map_err(arg)?;
    }
    if let Some(v) = opts.max_decompositions {
        tr = tr.max_decompositions(v).map_err(arg)?;
    }
    let user = Python::with_gil(|py| opts.progress.as_ref().map(|p| p.clone_ref(py)));
    let failure = failure.clone();
    Ok(tr.progress(move |p| {
        Python::with_gil(|py| {
            let r = py.check_signals().and_then(|()| match &user {
                None => Ok(true),
                Some(cb) => {
                    let out = cb.bind(py).call1((p.fraction, p.t))?;
                    // returning False stops the track (TrackInterrupted); None or True go on
                    Ok(!out.is(pyo3::types::PyBool::new(py, false)))
                }
            });
            match r {
                Ok(true) => ControlFlow::Continue(()),
                Ok(false) => ControlFlow::Break(()),
                Err(e) => {
                    failure.set(e);
                    ControlFlow::Break(())
                }
            }
        })
    }))
}

/// The grid: `samples` uniform points of [a, b], or the user's `grid`.
fn run_track<F: MatrixFamily + Sync + ?Sized>(
    py: Python<'_>,
    tr: &Tracker,
    fam: &F,
    range: (f64, f64),
    grid: Option<Vec<f64>>,
) -> eigentrack::Result<Tracking> {
    py.allow_threads(|| match grid {
        Some(g) => tr.track_family_on(fam, &g),
        None => tr.track_family(fam, range.0..=range.1),
    })
}

/// `_track(f, range, grid, opts, df, ddf, complex)`: track a Python callable. The Python
/// layer has evaluated nothing; here f(t₀) is called once to learn n and the dtype
/// (`complex` forces complex arithmetic).
#[pyfunction]
#[pyo3(signature = (f, range, grid, opts, df=None, ddf=None, complex=None))]
#[allow(clippy::too_many_arguments)]
fn _track(
    py: Python<'_>,
    f: Py<PyAny>,
    range: (f64, f64),
    grid: Option<Vec<f64>>,
    opts: Options,
    df: Option<Py<PyAny>>,
    ddf: Option<Py<PyAny>>,
    complex: Option<bool>,
) -> PyResult<PyTracking> {
    let t0 = grid
        .as_ref()
        .and_then(|g| g.first().copied())
        .unwrap_or(range.0);
    if !t0.is_finite() {
        return Err(PyValueError::new_err(format!(
            "range: the first sample must be finite, got {t0}"
        )));
    }
    let first = f.bind(py).call1((t0,))?;
    let complex = match complex {
        Some(c) => c,
        None => is_complex(&first).unwrap_or(false),
    };
    let failure = Failure::default();
    let tr = tracker(&opts, &failure)?;
    macro_rules! go {
        ($t:ty) => {{
            let m0 = read_matrix::<$t>(&first, "f", Some(t0), None)?;
            let fam = PyFamily::<$t> {
                f,
                df,
                ddf,
                n: m0.nrows(),
                failure: failure.clone(),
                _elem: std::marker::PhantomData,
            };
            let r = run_track(py, &tr, &fam, range, grid);
            failure.resolve(r)
        }};
    }
    let tracking = if complex { go!(Complex64)? } else { go!(f64)? };
    Ok(PyTracking { inner: tracking })
}

// ---------------------------------------------------------------------------------------
// family files

/// A family loaded from an eigentrack family file (JSON, with Matrix Market terms):
/// A(t) = Σ coef(t)·matrix with exact A′, A″. Tracked entirely in Rust.
#[pyclass(module = "eigentrack._eigentrack", name = "Family")]
#[derive(Clone)]
struct PyFileFamily {
    file: FamilyFile,
}

#[pymethods]
impl PyFileFamily {
    /// The file the family was read from.
    #[getter]
    fn path(&self) -> PathBuf {
        self.file.path().to_path_buf()
    }
    /// The range (a, b) the file gives.
    #[getter]
    fn range(&self) -> (f64, f64) {
        self.file.range()
    }
    /// The size n of A(t).
    #[getter]
    fn n(&self) -> usize {
        self.file.family().dim()
    }
    /// Whether the family is complex.
    #[getter]
    fn is_complex(&self) -> bool {
        matches!(self.file.family(), FileFamily::Complex(_))
    }
    /// The parameters and their current values, as a dict.
    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in self.file.family().params() {
            d.set_item(k, v)?;
        }
        Ok(d)
    }
    /// The file's Hermitian mode: True (always), False (never) or None (auto).
    #[getter]
    fn hermitian(&self) -> Option<bool> {
        match self.file.hermitian() {
            HermitianMode::Yes => Some(true),
            HermitianMode::No => Some(false),
            _ => None,
        }
    }
    /// A copy with parameters changed: `family.with_params(g=0.1)`.
    #[pyo3(signature = (**params))]
    fn with_params(&self, params: Option<&Bound<'_, PyDict>>) -> PyResult<PyFileFamily> {
        let mut out = self.clone();
        if let Some(params) = params {
            for (k, v) in params.iter() {
                let name: String = k.extract()?;
                let value: f64 = v.extract().map_err(|_| {
                    PyTypeError::new_err(format!("params[{name:?}]: expected a float, got {v}"))
                })?;
                out.file
                    .family_mut()
                    .set_param(&name, value)
                    .map_err(to_py)?;
            }
        }
        Ok(out)
    }
    /// A(t) as a numpy array.
    fn __call__<'py>(&self, py: Python<'py>, t: f64) -> PyResult<Bound<'py, PyAny>> {
        Ok(match self.file.family() {
            FileFamily::Real(f) => matrix_out(py, &f.value(t)),
            FileFamily::Complex(f) => matrix_out(py, &f.value(t)),
        })
    }
    /// (A(t), A′(t), A″(t)), exact.
    fn jet<'py>(&self, py: Python<'py>, t: f64) -> PyResult<Bound<'py, PyTuple>> {
        let items = match self.file.family() {
            FileFamily::Real(f) => {
                let j = f.jet(t);
                [
                    matrix_out(py, &j.a),
                    matrix_out(py, &j.da),
                    matrix_out(py, &j.dda),
                ]
            }
            FileFamily::Complex(f) => {
                let j = f.jet(t);
                [
                    matrix_out(py, &j.a),
                    matrix_out(py, &j.da),
                    matrix_out(py, &j.dda),
                ]
            }
        };
        PyTuple::new(py, items)
    }
    fn __repr__(&self) -> String {
        format!(
            "eigentrack.Family({:?}, n={}, range={:?}, params={:?})",
            self.file.path(),
            self.file.family().dim(),
            self.file.range(),
            self.file.family().params()
        )
    }
    /// Pickling: the path and the parameter values (the file is read again).
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let load = py
            .import("eigentrack._eigentrack")?
            .getattr("_family_with")?;
        let params: Vec<(String, f64)> = self
            .file
            .family()
            .params()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        PyTuple::new(
            py,
            [
                load,
                PyTuple::new(
                    py,
                    [
                        self.path().into_pyobject(py)?.into_any(),
                        params.into_pyobject(py)?.into_any(),
                    ],
                )?
                .into_any(),
            ],
        )
    }
}

/// Load a family file.
#[pyfunction]
fn load_family(path: PathBuf) -> PyResult<PyFileFamily> {
    let file = FamilyFile::load(&path).map_err(to_py)?;
    Ok(PyFileFamily { file })
}

/// Unpickle a family: load `path` and set `params`.
#[pyfunction]
fn _family_with(path: PathBuf, params: Vec<(String, f64)>) -> PyResult<PyFileFamily> {
    let mut fam = load_family(path)?;
    for (k, v) in params {
        fam.file.family_mut().set_param(&k, v).map_err(to_py)?;
    }
    Ok(fam)
}

/// Track a family file (no Python in the loop).
#[pyfunction]
#[pyo3(signature = (family, range, grid, opts))]
fn _track_file(
    py: Python<'_>,
    family: &PyFileFamily,
    range: Option<(f64, f64)>,
    grid: Option<Vec<f64>>,
    opts: Options,
) -> PyResult<PyTracking> {
    let failure = Failure::default();
    let tr = tracker(&opts, &failure)?;
    let range = range.unwrap_or_else(|| family.file.range());
    let r = match family.file.family() {
        FileFamily::Real(f) => run_track(py, &tr, f, range, grid).map_err(|e| trace(f, e)),
        FileFamily::Complex(f) => run_track(py, &tr, f, range, grid).map_err(|e| trace(f, e)),
    };
    Ok(PyTracking {
        inner: failure.resolve(r)?,
    })
}

/// A non-finite A(t) traced back to the coefficient that caused it (as the CLI does).
fn trace<T: eigentrack::expr::Scalar>(fam: &ExprFamily<T>, e: Error) -> Error {
    match e {
        Error::NonFinite {
            at: eigentrack::At(Some(t)),
            ..
        } => fam.check_on(&[t]).err().unwrap_or(e),
        e => e,
    }
}

// ---------------------------------------------------------------------------------------
// the result

/// The result of a track: branches on the sample grid, located events, statistics.
///
/// Branch k is eigenpair k, in ascending (Re, Im) order, at the first sample, and keeps
/// its identity through crossings. `t` is the grid; `values`, `slopes` (dλ/dt) and
/// `curvatures` (d²λ/dt²) are complex numpy arrays of shape (samples, branches);
/// `condition` the condition numbers; `right_vectors` / `left_vectors` (samples, n,
/// branches) with `keep_vectors=True`; `events` typed objects in the order of t; `stats`
/// the counts and timings. `plot(path)` draws the figure, `to_json()` gives the
/// command-line tool's JSON, and a Tracking pickles.
#[pyclass(module = "eigentrack._eigentrack", name = "Tracking", frozen)]
struct PyTracking {
    inner: Tracking,
}

fn part_name(p: Part) -> &'static str {
    p.name()
}

/// A complex number as a Python complex (None for ±∞ parts is not needed: Python has inf).
fn c(z: Complex64) -> num_complex_py::C {
    num_complex_py::C(z)
}

mod num_complex_py {
    //! Complex64 → Python complex.
    use super::Complex64;
    use pyo3::prelude::*;
    use pyo3::types::PyComplex;

    /// A wrapper that converts to a Python `complex`.
    pub struct C(pub Complex64);

    impl<'py> IntoPyObject<'py> for C {
        type Target = PyComplex;
        type Output = Bound<'py, PyComplex>;
        type Error = std::convert::Infallible;
        fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
            Ok(PyComplex::from_doubles(py, self.0.re, self.0.im))
        }
    }
}

impl PyTracking {
    fn per_branch<'py>(
        &self,
        py: Python<'py>,
        get: impl Fn(&Branch) -> &[Complex64],
    ) -> Bound<'py, PyAny> {
        let bs = self.inner.branches();
        let m = self.inner.samples().len();
        let have = bs.first().is_none_or(|b| get(b).len() == m);
        if !have {
            return Array2::<Complex64>::zeros((0, bs.len()))
                .into_pyarray(py)
                .into_any();
        }
        Array2::from_shape_fn((m, bs.len()), |(i, k)| get(&bs[k])[i])
            .into_pyarray(py)
            .into_any()
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

    /// One event as a dict of its fields (the Python layer makes the typed object).
    fn event_dict<'py>(py: Python<'py>, e: &Event) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("kind", e.kind())?;
        d.set_item("t", e.t())?;
        d.set_item("branches", PyTuple::new(py, e.branches())?)?;
        if let Some(v) = e.value() {
            d.set_item("value", c(v))?;
        }
        match e {
            Event::Crossing { slopes, .. } => {
                d.set_item("slopes", (c(slopes[0]), c(slopes[1])))?;
            }
            Event::AvoidedCrossing {
                gap,
                gap_bounds,
                slope_difference,
                ..
            } => {
                d.set_item("gap", gap)?;
                d.set_item("gap_bounds", (gap_bounds[0], gap_bounds[1]))?;
                d.set_item("slope_difference", slope_difference)?;
            }
            Event::Level { part, level, .. } => {
                d.set_item("part", part_name(*part))?;
                d.set_item("level", level)?;
            }
            Event::Unresolved { t_end, .. } => {
                d.set_item("t_end", t_end)?;
            }
            _ => {}
        }
        Ok(d)
    }
}

fn stats_dict<'py>(py: Python<'py>, s: &Stats) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("decompositions", s.decompositions)?;
    d.set_item("budget", s.budget)?;
    d.set_item("budget_used", s.budget_used)?;
    d.set_item("accepted_steps", s.accepted_steps)?;
    d.set_item("rejected_steps", s.rejected_steps)?;
    d.set_item("unresolved_steps", s.unresolved_steps)?;
    d.set_item("crossing_checks", s.crossing_checks)?;
    d.set_item("local_models", s.local_models)?;
    d.set_item("certificate_evaluations", s.certificate_evaluations)?;
    d.set_item("fallbacks", s.fallbacks)?;
    d.set_item("avoided_crossings", s.avoided_crossings)?;
    d.set_item("seconds", s.seconds)?;
    d.set_item("decomposition_seconds", s.decomposition_seconds)?;
    d.set_item("analysis_seconds", s.analysis_seconds)?;
    d.set_item("matching_seconds", s.matching_seconds)?;
    d.set_item("event_seconds", s.event_seconds)?;
    d.set_item("local_seconds", s.local_seconds)?;
    Ok(d)
}

fn stats_from(d: &Bound<'_, PyDict>) -> PyResult<Stats> {
    let u = |k: &str| -> PyResult<usize> {
        d.get_item(k)?
            .ok_or_else(|| PyValueError::new_err(format!("stats: missing {k}")))?
            .extract()
    };
    let f = |k: &str| -> PyResult<f64> {
        d.get_item(k)?
            .ok_or_else(|| PyValueError::new_err(format!("stats: missing {k}")))?
            .extract()
    };
    Ok(Stats {
        decompositions: u("decompositions")?,
        budget: u("budget")?,
        budget_used: u("budget_used")?,
        accepted_steps: u("accepted_steps")?,
        rejected_steps: u("rejected_steps")?,
        unresolved_steps: u("unresolved_steps")?,
        crossing_checks: u("crossing_checks")?,
        local_models: u("local_models")?,
        certificate_evaluations: u("certificate_evaluations")?,
        fallbacks: u("fallbacks")?,
        avoided_crossings: u("avoided_crossings")?,
        seconds: f("seconds")?,
        decomposition_seconds: f("decomposition_seconds")?,
        analysis_seconds: f("analysis_seconds")?,
        matching_seconds: f("matching_seconds")?,
        event_seconds: f("event_seconds")?,
        local_seconds: f("local_seconds")?,
    })
}

fn event_from(d: &Bound<'_, PyDict>) -> PyResult<Event> {
    let get = |k: &str| -> PyResult<Bound<'_, PyAny>> {
        d.get_item(k)?
            .ok_or_else(|| PyValueError::new_err(format!("event: missing {k}")))
    };
    let kind: String = get("kind")?.extract()?;
    let t: f64 = get("t")?.extract()?;
    let branches: Vec<usize> = get("branches")?.extract()?;
    let pair = || -> PyResult<[usize; 2]> {
        branches
            .clone()
            .try_into()
            .map_err(|_| PyValueError::new_err(format!("event {kind}: expected two branches")))
    };
    let value = || -> PyResult<Complex64> {
        let z: num_complex_in::C = get("value")?.extract()?;
        Ok(z.0)
    };
    Ok(match kind.as_str() {
        "crossing" => {
            let (a, b): (num_complex_in::C, num_complex_in::C) = get("slopes")?.extract()?;
            Event::Crossing {
                t,
                branches: pair()?,
                value: value()?,
                slopes: [a.0, b.0],
            }
        }
        "avoided_crossing" => {
            let gb: (f64, f64) = get("gap_bounds")?.extract()?;
            Event::AvoidedCrossing {
                t,
                branches: pair()?,
                gap: get("gap")?.extract()?,
                value: value()?,
                gap_bounds: [gb.0, gb.1],
                slope_difference: get("slope_difference")?.extract()?,
            }
        }
        "exceptional_point" => Event::ExceptionalPoint {
            t,
            branches: pair()?,
            value: value()?,
        },
        "level" => {
            let part: String = get("part")?.extract()?;
            Event::Level {
                t,
                branch: *branches
                    .first()
                    .ok_or_else(|| PyValueError::new_err("level event without a branch"))?,
                part: parse_part(&part)?,
                level: get("level")?.extract()?,
                value: value()?,
            }
        }
        "unresolved" => Event::Unresolved {
            t_start: t,
            t_end: get("t_end")?.extract()?,
            branches,
        },
        k => return Err(PyValueError::new_err(format!("unknown event kind {k:?}"))),
    })
}

mod num_complex_in {
    //! Python complex (or float) → Complex64.
    use super::Complex64;
    use pyo3::prelude::*;

    /// A wrapper read from a Python number.
    pub struct C(pub Complex64);

    impl<'py> FromPyObject<'py> for C {
        fn extract_bound(ob: &Bound<'py, PyAny>) -> PyResult<Self> {
            let z: Complex64 = ob.extract()?;
            Ok(C(Complex64::new(z.re, z.im)))
        }
    }
}

fn complex_rows(a: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<Vec<Complex64>>> {
    // (samples, branches) complex array → per branch vectors
    let arr = a.downcast::<PyArray2<Complex64>>().map_err(|_| {
        PyTypeError::new_err(format!("state[{what:?}]: expected a complex 2-D array"))
    })?;
    let ro = arr.readonly();
    let v = ro.as_array();
    let (m, nb) = v.dim();
    Ok((0..nb)
        .map(|k| (0..m).map(|i| v[[i, k]]).collect())
        .collect())
}

fn vectors_in(a: &Bound<'_, PyAny>) -> PyResult<Option<Vec<Vec<DVector<Complex64>>>>> {
    if a.is_none() {
        return Ok(None);
    }
    let arr = a
        .downcast::<numpy::PyArray3<Complex64>>()
        .map_err(|_| PyTypeError::new_err("state: vectors must be a complex 3-D array"))?;
    let ro = arr.readonly();
    let v = ro.as_array();
    let (m, n, nb) = v.dim();
    Ok(Some(
        (0..nb)
            .map(|k| {
                (0..m)
                    .map(|i| DVector::from_fn(n, |r, _| v[[i, r, k]]))
                    .collect()
            })
            .collect(),
    ))
}

#[pymethods]
impl PyTracking {
    /// The sample grid, shape (samples,).
    #[getter]
    fn t<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        vector_out(py, self.inner.samples())
    }
    /// λ of every branch at every sample, complex, shape (samples, branches).
    #[getter]
    fn values<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.per_branch(py, |b| b.values())
    }
    /// dλ/dt, complex, shape (samples, branches).
    #[getter]
    fn slopes<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.per_branch(py, |b| b.slopes())
    }
    /// d²λ/dt², complex, shape (samples, branches) (0 rows with `curvatures=False`).
    #[getter]
    fn curvatures<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.per_branch(py, |b| b.curvatures())
    }
    /// Eigenvalue condition numbers κ, shape (samples, branches).
    #[getter]
    fn condition<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        let bs = self.inner.branches();
        Array2::from_shape_fn((self.inner.samples().len(), bs.len()), |(i, k)| {
            bs[k].condition()[i]
        })
        .into_pyarray(py)
        .into_any()
    }
    /// Unit right eigenvectors, shape (samples, n, branches), with `keep_vectors=True`.
    #[getter]
    fn right_vectors<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.vectors(py, |b| b.right_vectors())
    }
    /// Left eigenvectors (yᴴx = 1), shape (samples, n, branches), with `keep_vectors=True`.
    #[getter]
    fn left_vectors<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.vectors(py, |b| b.left_vectors())
    }
    /// Whether A(t) was real.
    #[getter]
    fn is_real(&self) -> bool {
        self.inner.is_real()
    }
    /// The located events, in the order of t, as typed objects (`eigentrack.Crossing`, …).
    #[getter]
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let make = py.import("eigentrack._types")?.getattr("_event")?;
        let out = PyList::empty(py);
        for e in self.inner.events() {
            out.append(make.call1((Self::event_dict(py, e)?,))?)?;
        }
        Ok(out)
    }
    /// Counts and timings (`eigentrack.Stats`).
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let d = stats_dict(py, self.inner.stats())?;
        py.import("eigentrack._types")?
            .getattr("Stats")?
            .call((), Some(&d))
    }
    /// The result as JSON text, in the format of the command-line tool.
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner.to_json())
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }
    /// The branches as long-format CSV (header `t,branch,re,im,slope_re,slope_im`).
    fn to_csv(&self) -> String {
        self.inner.to_csv()
    }
    /// Draw the eigencurves into `path` (.png or .svg). `panels`: "eigencurves"
    /// (default), "sorted_vs_tracked", "complex_plane" or "slopes"; `parameter` names t
    /// on the axis; `title` sets a title.
    #[pyo3(signature = (path, panels="eigencurves", parameter=None, title=None))]
    fn plot(
        &self,
        py: Python<'_>,
        path: PathBuf,
        panels: &str,
        parameter: Option<String>,
        title: Option<String>,
    ) -> PyResult<()> {
        use eigentrack::plot::{Panels, PlotOptions};
        let mut o = PlotOptions::new().panels(match panels {
            "eigencurves" => Panels::Eigencurves,
            "sorted_vs_tracked" => Panels::SortedVsTracked,
            "complex_plane" => Panels::ComplexPlane,
            "slopes" => Panels::Slopes,
            p => {
                return Err(PyValueError::new_err(format!(
                    "panels: expected \"eigencurves\", \"sorted_vs_tracked\", \"complex_plane\" or \"slopes\", got {p:?}"
                )))
            }
        });
        if let Some(p) = parameter {
            o = o.parameter(p);
        }
        if let Some(t) = title {
            o = o.title(t);
        }
        py.allow_threads(|| self.inner.plot_with(&path, &o))
            .map_err(to_py)
    }
    /// The number of branches.
    fn __len__(&self) -> usize {
        self.inner.branches().len()
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
    /// Everything the result holds, as plain Python and numpy objects (for pickling).
    fn _state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("t", self.t(py))?;
        d.set_item("values", self.values(py))?;
        d.set_item("slopes", self.slopes(py))?;
        d.set_item("curvatures", self.curvatures(py))?;
        d.set_item("condition", self.condition(py))?;
        d.set_item("right", self.right_vectors(py))?;
        d.set_item("left", self.left_vectors(py))?;
        let events = PyList::empty(py);
        for e in self.inner.events() {
            events.append(Self::event_dict(py, e)?)?;
        }
        d.set_item("events", events)?;
        d.set_item("stats", stats_dict(py, self.inner.stats())?)?;
        d.set_item("real", self.inner.is_real())?;
        Ok(d)
    }
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let rebuild = py
            .import("eigentrack._eigentrack")?
            .getattr("_tracking_from_state")?;
        PyTuple::new(
            py,
            [rebuild, PyTuple::new(py, [self._state(py)?])?.into_any()],
        )
    }
}

/// Rebuild a Tracking from `Tracking._state()` (unpickling).
#[pyfunction]
fn _tracking_from_state(state: &Bound<'_, PyDict>) -> PyResult<PyTracking> {
    let get = |k: &str| -> PyResult<Bound<'_, PyAny>> {
        state
            .get_item(k)?
            .ok_or_else(|| PyValueError::new_err(format!("state: missing {k}")))
    };
    let samples: Vec<f64> = get("t")?.extract()?;
    let values = complex_rows(&get("values")?, "values")?;
    let slopes = complex_rows(&get("slopes")?, "slopes")?;
    let mut curv = complex_rows(&get("curvatures")?, "curvatures")?;
    let cond_arr = get("condition")?;
    let cond = cond_arr
        .downcast::<PyArray2<f64>>()
        .map_err(|_| PyTypeError::new_err("state: condition must be a float 2-D array"))?
        .readonly();
    let cond = cond.as_array();
    let mut right = vectors_in(&get("right")?)?;
    let mut left = vectors_in(&get("left")?)?;
    let nb = values.len();
    curv.resize(nb, Vec::new());
    let mut branches = Vec::with_capacity(nb);
    for (k, ((v, s), cu)) in values.into_iter().zip(slopes).zip(curv).enumerate() {
        let condition = (0..samples.len()).map(|i| cond[[i, k]]).collect();
        let r = right.as_mut().map(|r| std::mem::take(&mut r[k]));
        let l = left.as_mut().map(|l| std::mem::take(&mut l[k]));
        branches.push(Branch::from_parts(v, s, cu, condition, r, l).map_err(to_py)?);
    }
    let events = get("events")?
        .downcast::<PyList>()?
        .iter()
        .map(|e| event_from(e.downcast::<PyDict>()?))
        .collect::<PyResult<Vec<_>>>()?;
    let stats = stats_from(get("stats")?.downcast::<PyDict>()?)?;
    let real: bool = get("real")?.extract()?;
    Ok(PyTracking {
        inner: Tracking::from_parts(samples, branches, events, stats, real).map_err(to_py)?,
    })
}

/// Draw a sweep: for each (p, tracking) the curves of part(λ) coloured by p.
#[pyfunction]
#[pyo3(signature = (path, runs, label="p", part="re"))]
fn _plot_sweep(
    py: Python<'_>,
    path: PathBuf,
    runs: Vec<(f64, Bound<'_, PyTracking>)>,
    label: &str,
    part: &str,
) -> PyResult<()> {
    use eigentrack::plot::{plot_sweep, PlotOptions};
    let runs: Vec<(f64, Tracking)> = runs
        .into_iter()
        .map(|(p, t)| (p, t.get().inner.clone()))
        .collect();
    let o = PlotOptions::new()
        .sweep_label(label)
        .parts([parse_part(part)?]);
    py.allow_threads(|| plot_sweep(&path, &runs, &o))
        .map_err(to_py)
}

// ---------------------------------------------------------------------------------------
// eig and its derivatives

/// `eig(a, left)`: (w, vr) or (w, vl, vr) with unit right vectors and Yᴴ X = I; also the
/// condition numbers with `condition=True`.
#[pyfunction]
#[pyo3(signature = (a, left=false, hermitian=None))]
fn _eig<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    left: bool,
    hermitian: Option<bool>,
) -> PyResult<Bound<'py, PyTuple>> {
    let mode = parse_hermitian(hermitian);
    let e = if is_complex(a)? {
        let m = read_matrix::<Complex64>(a, "a", None, None)?;
        py.allow_threads(|| eigentrack::eig_with(&m, mode))
    } else {
        let m = read_matrix::<f64>(a, "a", None, None)?;
        py.allow_threads(|| eigentrack::eig_with(&m, mode))
    }
    .map_err(to_py)?;
    let w = vector_out(py, e.values());
    let vr = matrix_out(py, e.right());
    if left {
        PyTuple::new(py, [w, matrix_out(py, e.left()), vr])
    } else {
        PyTuple::new(py, [w, vr])
    }
}

/// `eigh(a)`: ascending real eigenvalues and orthonormal eigenvectors of a Hermitian
/// matrix (real vectors for real input).
#[pyfunction]
fn _eigh<'py>(py: Python<'py>, a: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
    if is_complex(a)? {
        let m = read_matrix::<Complex64>(a, "a", None, None)?;
        let e = py.allow_threads(|| eigentrack::eigh(&m)).map_err(to_py)?;
        let w: Vec<f64> = e.values().iter().map(|z| z.re).collect();
        PyTuple::new(py, [vector_out(py, &w), matrix_out(py, e.right())])
    } else {
        let m = read_matrix::<f64>(a, "a", None, None)?;
        let e = py.allow_threads(|| eigentrack::eigh(&m)).map_err(to_py)?;
        let w: Vec<f64> = e.values().iter().map(|z| z.re).collect();
        let v = e.right().map(|z| z.re);
        PyTuple::new(py, [vector_out(py, &w), matrix_out(py, &v)])
    }
}

/// `eig_jvp(a, da)`: (dw, dv) in the parallel-transport gauge.
#[pyfunction]
fn _eig_jvp<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    da: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyTuple>> {
    let (dw, dv) = if is_complex(a)? || is_complex(da)? {
        let a = read_matrix::<Complex64>(a, "a", None, None)?;
        let n = a.nrows();
        let da = read_matrix::<Complex64>(da, "da", None, Some(n))?;
        py.allow_threads(|| eigentrack::eig_jvp(&a, &da))
    } else {
        let a = read_matrix::<f64>(a, "a", None, None)?;
        let n = a.nrows();
        let da = read_matrix::<f64>(da, "da", None, Some(n))?;
        py.allow_threads(|| eigentrack::eig_jvp_real(&a, &da))
    }
    .map_err(to_py)?;
    PyTuple::new(py, [vector_out(py, &dw), matrix_out(py, &dv)])
}

/// Read a cotangent vector of length n (complex).
fn read_vector(obj: &Bound<'_, PyAny>, name: &str, n: usize) -> PyResult<Vec<Complex64>> {
    let np = obj.py().import("numpy")?;
    let a = np.call_method1("asarray", (obj,))?;
    let ndim: usize = a.getattr("ndim")?.extract()?;
    if ndim != 1 {
        let shape = a.getattr("shape")?.str()?.to_string();
        return Err(PyValueError::new_err(format!(
            "{name} has shape {shape}; expected ({n},)"
        )));
    }
    let a = a
        .call_method1("astype", ("complex128",))
        .map_err(|e| PyTypeError::new_err(format!("{name}: {e}")))?;
    let v: Vec<num_complex_in::C> = a.call_method0("tolist")?.extract()?;
    if v.len() != n {
        return Err(PyValueError::new_err(format!(
            "{name} has length {}; expected {n} (one per eigenvalue)",
            v.len()
        )));
    }
    if let Some(k) = v
        .iter()
        .position(|z| !(z.0.re.is_finite() && z.0.im.is_finite()))
    {
        return Err(PyValueError::new_err(format!(
            "{name}: entry [{k}] is not finite ({})",
            v[k].0
        )));
    }
    Ok(v.into_iter().map(|z| z.0).collect())
}

/// `eig_vjp(a, w_bar, v_bar)`: Ā with PyTorch's cotangent convention (real for real a).
#[pyfunction]
#[pyo3(signature = (a, w_bar, v_bar=None))]
fn _eig_vjp<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    w_bar: &Bound<'py, PyAny>,
    v_bar: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let complex = is_complex(a)?;
    let n: usize = as_array(a)?
        .getattr("shape")?
        .get_item(0)
        .and_then(|x| x.extract())
        .unwrap_or(0);
    let lb = read_vector(w_bar, "w_bar", n)?;
    let xb = match v_bar {
        Some(v) if !v.is_none() => Some(read_matrix::<Complex64>(v, "v_bar", None, Some(n))?),
        _ => None,
    };
    if complex {
        let a = read_matrix::<Complex64>(a, "a", None, None)?;
        let g = py
            .allow_threads(|| eigentrack::eig_vjp(&a, &lb, xb.as_ref()))
            .map_err(to_py)?;
        Ok(matrix_out(py, &g))
    } else {
        let a = read_matrix::<f64>(a, "a", None, None)?;
        let g = py
            .allow_threads(|| eigentrack::eig_vjp_real(&a, &lb, xb.as_ref()))
            .map_err(to_py)?;
        Ok(matrix_out(py, &g))
    }
}

// ---------------------------------------------------------------------------------------
// sensitivities

/// The parts of a `Sensitivities` for the Python layer: (tracking, params, dlambda of
/// shape (samples, branches, m), [(event index, t, dt/dp or None, error or None,
/// coupling)]).
fn sens_out<'py>(py: Python<'py>, s: sensitivity::Sensitivities) -> PyResult<Bound<'py, PyTuple>> {
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
    let tracking = Bound::new(py, PyTracking { inner: tr.clone() })?;
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

/// `_sensitivities(f, p, range, grid, opts, df, dp, complex)` for a callable f(t, p).
#[pyfunction]
#[pyo3(signature = (f, p, range, opts, df=None, dp=None, complex=None))]
#[allow(clippy::too_many_arguments)]
fn _sensitivities<'py>(
    py: Python<'py>,
    f: Py<PyAny>,
    p: Vec<f64>,
    range: (f64, f64),
    opts: Options,
    df: Option<Py<PyAny>>,
    dp: Option<Py<PyAny>>,
    complex: Option<bool>,
) -> PyResult<Bound<'py, PyTuple>> {
    let t0 = range.0;
    let first = f
        .bind(py)
        .call1((t0, Array1::from(p.clone()).into_pyarray(py)))?;
    let complex = match complex {
        Some(c) => c,
        None => is_complex(&first).unwrap_or(false),
    };
    let failure = Failure::default();
    let tr = tracker(&opts, &failure)?;
    macro_rules! go {
        ($t:ty) => {{
            let m0 = read_matrix::<$t>(&first, "f", Some(t0), None)?;
            let fam = PyParametric::<$t> {
                inner: PyFamily {
                    f,
                    df,
                    ddf: None,
                    n: m0.nrows(),
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
fn _sensitivities_file<'py>(
    py: Python<'py>,
    family: &PyFileFamily,
    names: Vec<String>,
    range: Option<(f64, f64)>,
    opts: Options,
) -> PyResult<Bound<'py, PyTuple>> {
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
    let failure = Failure::default();
    let tr = tracker(&opts, &failure)?;
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

/// The compiled module.
#[pymodule]
fn _eigentrack(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTracking>()?;
    m.add_class::<PyFileFamily>()?;
    m.add_function(wrap_pyfunction!(_track, m)?)?;
    m.add_function(wrap_pyfunction!(_track_file, m)?)?;
    m.add_function(wrap_pyfunction!(load_family, m)?)?;
    m.add_function(wrap_pyfunction!(_family_with, m)?)?;
    m.add_function(wrap_pyfunction!(_tracking_from_state, m)?)?;
    m.add_function(wrap_pyfunction!(_plot_sweep, m)?)?;
    m.add_function(wrap_pyfunction!(_eig, m)?)?;
    m.add_function(wrap_pyfunction!(_eigh, m)?)?;
    m.add_function(wrap_pyfunction!(_eig_jvp, m)?)?;
    m.add_function(wrap_pyfunction!(_eig_vjp, m)?)?;
    m.add_function(wrap_pyfunction!(_sensitivities, m)?)?;
    m.add_function(wrap_pyfunction!(_sensitivities_file, m)?)?;
    m.add("GAP_TOL", eigentrack::GAP_TOL)?;
    Ok(())
}
