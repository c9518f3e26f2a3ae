//! `eigentrack._eigentrack`: the compiled half of the Python package `eigentrack`.
//!
//! It wraps the Rust library for Python: matrices come in as numpy arrays (or anything
//! `numpy.asarray` takes, scipy.sparse matrices included, densified), results go out as
//! numpy arrays. The sparse path (`_track_nearest`, the k eigenvalues nearest σ) reads
//! scipy.sparse matrices as CSC (`indptr`, `indices`, `data`) without densifying them. The pure-Python layer (`python/eigentrack/`) gives the public API its
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

use eigentrack::dual::Dual2_64;
use eigentrack::family_file::{
    ExprFamily, FamilyFile, FileFamily, SparseFamilyFile, SparseFileFamily,
};
use eigentrack::nalgebra::{DMatrix, DVector};
use eigentrack::nalgebra_sparse::CscMatrix;
use eigentrack::sensitivity::{self, ParametricFamily};
use eigentrack::sparse::{
    Nearest, SparseFamily, SparseJet, SparseTerms, WindowBranch, WindowEvent, WindowTracking,
};
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
    Ok(tr.progress(move |p| progress_step(&user, &failure, p.fraction, p.t)))
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

// ---------------------------------------------------------------------------------------
// the sparse path: the k eigenvalues nearest σ (Nearest, WindowTracking)

/// The n × n CSC matrix with NaN on the diagonal: what a sparse family hands the tracker
/// after a Python error (the tracker then stops; the stored exception is raised).
fn nan_csc<T: Scalar>(n: usize) -> CscMatrix<T> {
    CscMatrix::try_from_csc_data(
        n,
        n,
        (0..=n).collect(),
        (0..n).collect(),
        vec![T::from_f64(f64::NAN); n],
    )
    .expect("the diagonal is a valid CSC pattern")
}

/// Whether `obj` (a scipy.sparse matrix or an array) has complex entries (dtype kind 'c').
fn dtype_is_complex(obj: &Bound<'_, PyAny>) -> bool {
    obj.getattr("dtype")
        .and_then(|d| d.getattr("kind"))
        .and_then(|k| k.extract::<String>())
        .is_ok_and(|k| k == "c")
}

/// An index array of a scipy.sparse matrix as `usize`s.
fn index_vec(np: &Bound<'_, PyModule>, a: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<usize>> {
    let arr = np
        .call_method1("ascontiguousarray", (a, "int64"))?
        .downcast_into::<numpy::PyArray1<i64>>()?;
    let ro = arr.readonly();
    ro.as_slice()?
        .iter()
        .map(|&i| {
            usize::try_from(i)
                .map_err(|_| PyValueError::new_err(format!("{what}: negative index {i}")))
        })
        .collect()
}

/// Read a square sparse matrix of element type `T` from `obj` without densifying it: a
/// scipy.sparse matrix or array of any format (converted by its `tocsc()`, its
/// `indptr`/`indices`/`data` read), or a 2-D numpy array (all its entries kept). Checks
/// the shape (square, `n`×`n` when given), the dtype and that every entry is finite;
/// errors name the argument, t and the entry.
fn read_sparse<T: Scalar>(
    obj: &Bound<'_, PyAny>,
    name: &str,
    t: Option<f64>,
    n: Option<usize>,
) -> PyResult<CscMatrix<T>> {
    let py = obj.py();
    let expected = |rows: usize, cols: usize| -> PyResult<()> {
        if rows != cols || rows == 0 {
            return Err(PyValueError::new_err(format!(
                "{} has shape ({rows}, {cols}); expected a non-empty square matrix",
                origin(name, t)
            )));
        }
        match n {
            Some(n) if rows != n => Err(PyValueError::new_err(format!(
                "{} has shape ({rows}, {cols}); expected {n}×{n}{}",
                origin(name, t),
                if t.is_some() {
                    " (the size at the first evaluation)"
                } else {
                    " (the size of A)"
                }
            ))),
            _ => Ok(()),
        }
    };
    let is_array = obj.downcast::<numpy::PyUntypedArray>().is_ok();
    if !is_array && obj.hasattr("tocsc")? {
        let np = py.import("numpy")?;
        let mut csc = obj.call_method0("tocsc").map_err(|e| {
            PyTypeError::new_err(format!("{}: tocsc() failed: {e}", origin(name, t)))
        })?;
        let (rows, cols): (usize, usize) = csc.getattr("shape")?.extract().map_err(|_| {
            PyValueError::new_err(format!("{} is not a 2-D sparse matrix", origin(name, t)))
        })?;
        expected(rows, cols)?;
        // sorted row indices without duplicates (CSC's canonical format), without
        // touching the caller's matrix
        let canonical = csc
            .getattr("has_canonical_format")
            .and_then(|c| c.extract::<bool>())
            .unwrap_or(false);
        if !canonical {
            csc = csc.call_method0("copy")?;
            csc.call_method0("sum_duplicates")?;
        }
        let data = csc.getattr("data")?;
        let kind: String = data.getattr("dtype")?.getattr("kind")?.extract()?;
        if !matches!(kind.as_str(), "b" | "i" | "u" | "f" | "c") {
            let dtype: String = data.getattr("dtype")?.str()?.extract()?;
            return Err(PyTypeError::new_err(format!(
                "{} is a sparse matrix of dtype {dtype}; expected real or complex numbers",
                origin(name, t)
            )));
        }
        let col_ptr = index_vec(&np, &csc.getattr("indptr")?, &origin(name, t))?;
        let row_idx = index_vec(&np, &csc.getattr("indices")?, &origin(name, t))?;
        // the column of each stored entry, for error messages
        let entry = |p: usize| -> (usize, usize) {
            let col = col_ptr.partition_point(|&s| s <= p).saturating_sub(1);
            (row_idx.get(p).copied().unwrap_or(0), col)
        };
        let values: Vec<T> = if kind == "c" && T::DTYPE == "float64" {
            let z = np
                .call_method1("ascontiguousarray", (&data, "complex128"))?
                .downcast_into::<numpy::PyArray1<Complex64>>()?;
            let ro = z.readonly();
            let z = ro.as_slice()?;
            if let Some(p) = z.iter().position(|v| v.im != 0.0) {
                let (i, j) = entry(p);
                return Err(PyValueError::new_err(format!(
                    "{} has a complex entry [{i}, {j}] but the family is real (it was real at \
                     its first evaluation); pass dtype=complex to track a complex family",
                    origin(name, t)
                )));
            }
            z.iter().map(|v| T::from_f64(v.re)).collect()
        } else {
            let a = np
                .call_method1("ascontiguousarray", (&data, T::DTYPE))?
                .downcast_into::<numpy::PyArray1<T>>()?;
            let ro = a.readonly();
            ro.as_slice()?.to_vec()
        };
        if let Some(p) = values.iter().position(|v| !v.finite()) {
            let (i, j) = entry(p);
            let v = values[p].to_c64();
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
        return CscMatrix::try_from_csc_data(rows, cols, col_ptr, row_idx, values).map_err(|e| {
            PyValueError::new_err(format!("{}: not a valid CSC matrix: {e}", origin(name, t)))
        });
    }
    if !is_array {
        let type_name = obj.get_type().name()?.to_string();
        return Err(PyTypeError::new_err(format!(
            "{} is a {type_name}; expected a scipy.sparse matrix or array (any format), or a \
             2-D numpy array",
            origin(name, t)
        )));
    }
    // a dense numpy array: every entry kept (a fixed pattern)
    let m = read_matrix::<T>(obj, name, t, n)?;
    let k = m.nrows();
    CscMatrix::try_from_csc_data(
        k,
        k,
        (0..=k).map(|j| j * k).collect(),
        (0..k * k).map(|p| p % k).collect(),
        m.as_slice().to_vec(),
    )
    .map_err(|e| PyValueError::new_err(format!("{}: {e}", origin(name, t))))
}

/// A sparse A(t) (or B(t)) from a Python callable `f(t)` returning a scipy.sparse matrix;
/// derivatives by finite differences.
struct PySparseCallback<T: Scalar> {
    f: Py<PyAny>,
    name: &'static str,
    n: usize,
    failure: Failure,
    _elem: std::marker::PhantomData<T>,
}

impl<T: Scalar> SparseFamily for PySparseCallback<T> {
    type Elem = T;
    fn value(&self, t: f64) -> CscMatrix<T> {
        if self.failure.failed() {
            return nan_csc(self.n);
        }
        Python::with_gil(|py| {
            match self
                .f
                .bind(py)
                .call1((t,))
                .and_then(|m| read_sparse::<T>(&m, self.name, Some(t), Some(self.n)))
            {
                Ok(m) => m,
                Err(e) => {
                    self.failure.set(e);
                    nan_csc(self.n)
                }
            }
        })
    }
}

/// A sparse family given from Python: a callable, or terms Σ cₖ(t) Mₖ (exact derivatives).
enum PySparse<T: Scalar> {
    Callback(PySparseCallback<T>),
    Terms(SparseTerms<T>),
}

impl<T: Scalar> SparseFamily for PySparse<T> {
    type Elem = T;
    fn value(&self, t: f64) -> CscMatrix<T> {
        match self {
            PySparse::Callback(f) => f.value(t),
            PySparse::Terms(f) => f.value(t),
        }
    }
    fn jet(&self, t: f64) -> Option<SparseJet<T>> {
        match self {
            PySparse::Callback(f) => f.jet(t),
            PySparse::Terms(f) => f.jet(t),
        }
    }
}

/// One term of a family given as terms: its coefficient (a constant, real or complex, or
/// a callable `coef(t) -> (c, c′, c″)`) and its matrix.
fn read_term<T: Scalar>(
    fam: SparseTerms<T>,
    name: &str,
    k: usize,
    coef: &Bound<'_, PyAny>,
    matrix: &Bound<'_, PyAny>,
    n: usize,
    failure: &Failure,
) -> PyResult<SparseTerms<T>> {
    let m = read_sparse::<T>(matrix, &format!("{name}[{k}] matrix"), None, Some(n))?;
    let bad = |e: Error| PyValueError::new_err(format!("{name}[{k}]: {e}"));
    if coef.is_callable() {
        let f = coef.clone().unbind();
        let failure = failure.clone();
        let label = format!("{name}[{k}] coef(t)");
        return fam
            .term(m, move |d: Dual2_64| {
                let nan = Dual2_64::from(f64::NAN);
                if failure.failed() {
                    return nan;
                }
                Python::with_gil(|py| {
                    let read = || -> PyResult<(f64, f64, f64)> {
                        let out = f.bind(py).call1((d.re,))?;
                        out.extract::<(f64, f64, f64)>().map_err(|_| {
                            PyTypeError::new_err(format!(
                                "{label} at t = {}: expected a tuple (c, c′, c″) of three real \
                                 numbers, got {}",
                                d.re,
                                out.repr().map(|r| r.to_string()).unwrap_or_default()
                            ))
                        })
                    };
                    match read() {
                        Ok((c, c1, c2)) => {
                            // the chain rule to second order at the dual number d
                            Dual2_64::new(c, c1 * d.v1, c2 * d.v1 * d.v1 + c1 * d.v2)
                        }
                        Err(e) => {
                            failure.set(e);
                            nan
                        }
                    }
                })
            })
            .map_err(bad);
    }
    let not_number = || {
        PyTypeError::new_err(format!(
            "{name}[{k}]: the coefficient must be a number or a callable coef(t) returning \
             (c, c′, c″), got {}",
            coef.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    };
    if coef.is_instance_of::<pyo3::types::PyBool>() {
        return Err(not_number());
    }
    let c: Complex64 = coef.extract().map_err(|_| not_number())?;
    if !(c.re.is_finite() && c.im.is_finite()) {
        return Err(PyValueError::new_err(format!(
            "{name}[{k}]: the coefficient must be finite, got {c}"
        )));
    }
    if c.im == 0.0 {
        let c = c.re;
        return fam.term(m, move |_| Dual2_64::from(c)).map_err(bad);
    }
    // a complex constant (complex family): scale the matrix
    let mut scaled = m;
    for v in scaled.values_mut() {
        *v = T::from_c64(v.to_c64() * c);
    }
    fam.constant(scaled).map_err(bad)
}

/// How the Python layer passes a sparse family: ("callable", f) or ("terms", [(coef,
/// matrix), …]) (a constant matrix is a single term).
fn sparse_family<T: Scalar>(
    kind: &str,
    obj: &Bound<'_, PyAny>,
    name: &'static str,
    first: Option<&Bound<'_, PyAny>>,
    t0: f64,
    n: Option<usize>,
    failure: &Failure,
) -> PyResult<PySparse<T>> {
    match kind {
        "callable" => {
            let first = first.ok_or_else(|| PyValueError::new_err("internal: no first value"))?;
            let m0 = read_sparse::<T>(first, name, Some(t0), n)?;
            Ok(PySparse::Callback(PySparseCallback {
                f: obj.clone().unbind(),
                name,
                n: m0.nrows(),
                failure: failure.clone(),
                _elem: std::marker::PhantomData,
            }))
        }
        _ => {
            let terms: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)> = obj.extract()?;
            if terms.is_empty() {
                return Err(PyValueError::new_err(format!(
                    "{name}: expected at least one term (coef, matrix)"
                )));
            }
            let n = match n {
                Some(n) => n,
                None => {
                    read_sparse::<T>(&terms[0].1, &format!("{name}[0] matrix"), None, None)?.nrows()
                }
            };
            let mut fam = SparseTerms::<T>::new(n);
            for (k, (coef, m)) in terms.iter().enumerate() {
                fam = read_term(fam, name, k, coef, m, n, failure)?;
            }
            Ok(PySparse::Terms(fam))
        }
    }
}

/// Every option of `eigentrack.track_nearest`, as the Python layer passes them (types
/// checked there; values checked by the Rust builder).
#[derive(FromPyObject)]
struct NearestOptions {
    k: usize,
    sigma: num_complex_in::C,
    samples: usize,
    tol: Option<f64>,
    guard: Option<usize>,
    warm_iterations: Option<usize>,
    min_overlap: Option<f64>,
    prediction_ratio: Option<f64>,
    cluster_tol: Option<f64>,
    h_min: Option<f64>,
    keep_vectors: bool,
    progress: Option<Py<PyAny>>,
}

/// After every step: check signals (Ctrl-C), then call the user's `progress(fraction,
/// t)`; `False` stops the track, an exception is stored in `failure` and stops it too.
fn progress_step(
    user: &Option<Py<PyAny>>,
    failure: &Failure,
    fraction: f64,
    t: f64,
) -> ControlFlow<()> {
    Python::with_gil(|py| {
        let r = py.check_signals().and_then(|()| match user {
            None => Ok(true),
            Some(cb) => {
                let out = cb.bind(py).call1((fraction, t))?;
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
}

/// The `Nearest` builder for `opts`, its progress callback checking signals and calling
/// the user's.
fn nearest(opts: &NearestOptions, failure: &Failure) -> PyResult<Nearest> {
    let mut nr = Nearest::new(opts.k, opts.sigma.0)
        .and_then(|n| n.samples(opts.samples))
        .map_err(to_py)?
        .keep_vectors(opts.keep_vectors);
    if let Some(p) = opts.guard {
        nr = nr.guard(p);
    }
    let set = |r: eigentrack::Result<Nearest>| r.map_err(to_py);
    if let Some(v) = opts.tol {
        nr = set(nr.tol(v))?;
    }
    if let Some(v) = opts.warm_iterations {
        nr = set(nr.warm_iterations(v))?;
    }
    if let Some(v) = opts.min_overlap {
        nr = set(nr.min_overlap(v))?;
    }
    if let Some(v) = opts.prediction_ratio {
        nr = set(nr.prediction_ratio(v))?;
    }
    if let Some(v) = opts.cluster_tol {
        nr = set(nr.cluster_tol(v))?;
    }
    if let Some(v) = opts.h_min {
        nr = set(nr.h_min(v))?;
    }
    let user = Python::with_gil(|py| opts.progress.as_ref().map(|p| p.clone_ref(py)));
    let failure = failure.clone();
    Ok(nr.progress(move |p| progress_step(&user, &failure, p.fraction, p.t)))
}

/// NaN + NaN·i where a branch is not computed.
fn or_nan(z: Option<Complex64>) -> Complex64 {
    z.unwrap_or(Complex64::new(f64::NAN, f64::NAN))
}

/// A `WindowTracking` as a dict of numpy arrays and plain objects (the Python class
/// `eigentrack.WindowTracking` is built from it).
fn window_out<'py>(
    py: Python<'py>,
    tr: &WindowTracking,
    n: usize,
    real: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let bs = tr.branches();
    let ns = tr.samples().len();
    let d = PyDict::new(py);
    d.set_item("t", vector_out(py, tr.samples()))?;
    let grid = |get: &dyn Fn(&WindowBranch, usize) -> Complex64| {
        Array2::from_shape_fn((ns, bs.len()), |(i, k)| get(&bs[k], i))
            .into_pyarray(py)
            .into_any()
    };
    d.set_item("values", grid(&|b, i| or_nan(b.values()[i])))?;
    d.set_item("slopes", grid(&|b, i| or_nan(b.slopes()[i])))?;
    d.set_item(
        "condition",
        Array2::from_shape_fn((ns, bs.len()), |(i, k)| {
            bs[k].condition()[i].unwrap_or(f64::NAN)
        })
        .into_pyarray(py),
    )?;
    d.set_item(
        "in_window",
        Array2::from_shape_fn((ns, bs.len()), |(i, k)| bs[k].in_window()[i]).into_pyarray(py),
    )?;
    let right: Option<Vec<&[Option<DVector<Complex64>>]>> =
        bs.iter().map(|b| b.right_vectors()).collect();
    match right {
        Some(r) if !bs.is_empty() => d.set_item(
            "right",
            Array3::from_shape_fn((ns, n, bs.len()), |(i, row, k)| {
                r[k][i].as_ref().map_or(or_nan(None), |v| v[row])
            })
            .into_pyarray(py),
        )?,
        _ => d.set_item("right", py.None())?,
    }
    let events = PyList::empty(py);
    for e in tr.events() {
        let o = PyDict::new(py);
        o.set_item("kind", e.kind())?;
        o.set_item("t", e.t())?;
        o.set_item("branches", PyTuple::new(py, e.branches())?)?;
        match e {
            WindowEvent::Entry { precision, .. }
            | WindowEvent::Exit { precision, .. }
            | WindowEvent::Crossing { precision, .. } => o.set_item("precision", precision)?,
            WindowEvent::Unresolved { t1, .. } => o.set_item("t_end", t1)?,
            _ => {}
        }
        events.append(o)?;
    }
    d.set_item("events", events)?;
    let s = tr.stats();
    let st = PyDict::new(py);
    st.set_item("factorizations", s.solver.factorizations)?;
    st.set_item("symbolic_analyses", s.solver.symbolic_analyses)?;
    st.set_item("nudges", s.solver.nudges)?;
    st.set_item("davidson_runs", s.solver.runs)?;
    st.set_item("iterations", s.solver.iterations)?;
    st.set_item("solves", s.solver.solves)?;
    st.set_item("accepted_steps", s.accepted_steps)?;
    st.set_item("rejected_steps", s.rejected_steps)?;
    st.set_item("event_points", s.event_points)?;
    st.set_item("projected_events", s.projected_events)?;
    st.set_item("avoided_crossings", s.avoided_crossings)?;
    st.set_item("patterns", s.patterns)?;
    st.set_item("seconds", s.seconds)?;
    st.set_item("factor_seconds", s.solver.factor_seconds)?;
    st.set_item("solve_seconds", s.solver.solve_seconds)?;
    d.set_item("stats", st)?;
    d.set_item("k", tr.k())?;
    d.set_item("sigma", c(tr.sigma()))?;
    d.set_item("n", n)?;
    d.set_item("real", real)?;
    Ok(d)
}

/// `_track_nearest(f_kind, f, mass_kind, mass, range, opts, complex)`: the k eigenvalues
/// nearest σ of a sparse family given from Python (`kind` "callable" or "terms"), of the
/// pencil A(t)x = λB(t)x when `mass` is given. A callable is called once at t₀ here to
/// learn n and the dtype (`complex` forces complex arithmetic).
#[pyfunction]
#[pyo3(signature = (f_kind, f, mass_kind, mass, range, opts, complex=None))]
#[allow(clippy::too_many_arguments)]
fn _track_nearest<'py>(
    py: Python<'py>,
    f_kind: &str,
    f: Bound<'py, PyAny>,
    mass_kind: Option<&str>,
    mass: Option<Bound<'py, PyAny>>,
    range: (f64, f64),
    opts: NearestOptions,
    complex: Option<bool>,
) -> PyResult<Bound<'py, PyDict>> {
    let t0 = range.0;
    let first = |kind: &str, obj: &Bound<'py, PyAny>| -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(if kind == "callable" {
            Some(obj.call1((t0,))?)
        } else {
            None
        })
    };
    // is a form complex: the first value of a callable, any matrix or constant of terms
    let form_complex = |first: &Option<Bound<'py, PyAny>>, obj: &Bound<'py, PyAny>| {
        if let Some(m) = first {
            return Ok::<bool, PyErr>(dtype_is_complex(m));
        }
        let terms: Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)> = obj.extract()?;
        Ok(terms.iter().any(|(coef, m)| {
            dtype_is_complex(m)
                || (!coef.is_callable()
                    && coef.is_instance_of::<pyo3::types::PyComplex>()
                    && coef.extract::<Complex64>().is_ok_and(|z| z.im != 0.0))
        }))
    };
    let fa = first(f_kind, &f)?;
    let fb = match (mass_kind, &mass) {
        (Some(kind), Some(m)) => first(kind, m)?,
        _ => None,
    };
    let complex = match complex {
        Some(c) => c,
        None => {
            form_complex(&fa, &f)?
                || match (mass_kind, &mass) {
                    (Some(_), Some(m)) => form_complex(&fb, m)?,
                    _ => false,
                }
        }
    };
    let failure = Failure::default();
    let nr = nearest(&opts, &failure)?;
    macro_rules! go {
        ($t:ty) => {{
            let a = sparse_family::<$t>(f_kind, &f, "f", fa.as_ref(), t0, None, &failure)?;
            let n = match &a {
                PySparse::Callback(c) => c.n,
                PySparse::Terms(t) => t.size(),
            };
            let b = match (mass_kind, &mass) {
                (Some(kind), Some(m)) => Some(sparse_family::<$t>(
                    kind,
                    m,
                    "mass",
                    fb.as_ref(),
                    t0,
                    Some(n),
                    &failure,
                )?),
                _ => None,
            };
            let r = py.allow_threads(|| match &b {
                None => nr.track(&a, range.0..=range.1),
                Some(b) => nr.track_pencil(&a, b, range.0..=range.1),
            });
            (failure.resolve(r)?, n)
        }};
    }
    let (tr, n) = if complex { go!(Complex64) } else { go!(f64) };
    window_out(py, &tr, n, !complex)
}

/// `_track_nearest_file(path, params, range, opts)`: the k eigenvalues nearest σ of a
/// family file read by the sparse loader (its `"mass"` makes it a pencil), with the
/// parameter values `params` (those of a `Family`; the file's own when empty).
#[pyfunction]
fn _track_nearest_file<'py>(
    py: Python<'py>,
    path: PathBuf,
    params: Vec<(String, f64)>,
    range: Option<(f64, f64)>,
    opts: NearestOptions,
) -> PyResult<Bound<'py, PyDict>> {
    let file = if params.is_empty() {
        SparseFamilyFile::load(&path).map_err(to_py)?
    } else {
        // the file with its parameters replaced (a Family's with_params)
        let text = std::fs::read_to_string(&path).map_err(|e| {
            to_py(Error::Input {
                path: path.display().to_string(),
                line: None,
                column: None,
                term: None,
                reason: format!("cannot read the family file: {e}"),
            })
        })?;
        let mut root: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| PyValueError::new_err(format!("{}: {e}", path.display())))?;
        for (k, v) in &params {
            root["params"][k.as_str()] = serde_json::json!(v);
        }
        SparseFamilyFile::parse(&root.to_string(), &path).map_err(to_py)?
    };
    let n = file.dim();
    let range = range.unwrap_or_else(|| file.range());
    let failure = Failure::default();
    let nr = nearest(&opts, &failure)?;
    let r = range.0..=range.1;
    let r = py.allow_threads(|| match (file.family(), file.mass()) {
        (SparseFileFamily::Real(f), None) => nr.track(f, r),
        (SparseFileFamily::Complex(f), None) => nr.track(f, r),
        (SparseFileFamily::Real(f), Some(SparseFileFamily::Real(b))) => nr.track_pencil(f, b, r),
        (SparseFileFamily::Complex(f), Some(SparseFileFamily::Complex(b))) => {
            nr.track_pencil(f, b, r)
        }
        _ => Err(Error::InvalidArgument {
            name: "mass",
            reason: "A and B of a family file in different arithmetic".into(),
        }),
    });
    // a non-finite A(t) traced back to the coefficient that caused it (as the CLI does)
    let r = r.map_err(|e| match e {
        Error::NonFinite {
            at: eigentrack::At(Some(t)),
            ..
        } => file.check_on(&[t]).err().unwrap_or(e),
        e => e,
    });
    let tr = failure.resolve(r)?;
    let real = matches!(file.family(), SparseFileFamily::Real(_));
    window_out(py, &tr, n, real)
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
    m.add_function(wrap_pyfunction!(_track_nearest, m)?)?;
    m.add_function(wrap_pyfunction!(_track_nearest_file, m)?)?;
    m.add("GAP_TOL", eigentrack::GAP_TOL)?;
    Ok(())
}
