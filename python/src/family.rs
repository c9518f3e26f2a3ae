//! Families A(t) for the tracker: a Python callable `f(t)` (with optional `df`, `ddf`),
//! a parametric `f(t, p)` for sensitivities, and a family file (`Family`, evaluated in
//! Rust with exact derivatives).

use crate::convert::{matrix_out, origin, read_matrix, Scalar};
use crate::errors::{to_py, Failure};
use crate::options::input;
use eigentrack::family_file::{ExprFamily, FamilyFile, FileFamily};
use eigentrack::nalgebra::DMatrix;
use eigentrack::sensitivity::{self, ParametricFamily};
use eigentrack::{finite_difference_jet, HermitianMode, Jet, MatrixFamily};
use numpy::ndarray::Array1;
use numpy::IntoPyArray;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::path::PathBuf;

/// `hermitian=True` on a matrix that is not Hermitian: an `InputError` naming the option,
/// where A(t) came from and its least Hermitian entry (eigentrack does not symmetrise
/// silently).
pub(crate) fn check_hermitian<T: Scalar>(m: &DMatrix<T>, what: &str) -> PyResult<()> {
    if eigentrack::is_hermitian(m) {
        return Ok(());
    }
    let n = m.nrows();
    let (mut worst, mut at) = (0.0, (0, 0));
    for i in 0..n {
        for j in 0..=i {
            let d = (m[(i, j)].to_c64() - m[(j, i)].to_c64().conj()).norm();
            if d > worst {
                worst = d;
                at = (i, j);
            }
        }
    }
    Err(input(
        "hermitian",
        format!(
            "hermitian=True but {what} is not Hermitian: |a[{i}, {j}] − conj(a[{j}, {i}])| = {worst:e}; \
             pass hermitian=None (auto) or False to track a non-Hermitian family",
            i = at.0,
            j = at.1
        ),
    ))
}

/// A(t) from a Python callable `f(t)` (and optionally `df(t)`, `ddf(t)` for A′, A″).
pub(crate) struct PyFamily<T: Scalar> {
    pub(crate) f: Py<PyAny>,
    pub(crate) df: Option<Py<PyAny>>,
    pub(crate) ddf: Option<Py<PyAny>>,
    pub(crate) n: usize,
    /// `hermitian=True`: every A(t) must be Hermitian (checked at every evaluation).
    pub(crate) hermitian: bool,
    pub(crate) failure: Failure,
    pub(crate) _elem: std::marker::PhantomData<T>,
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
            let read = out.and_then(|m| read_matrix::<T>(&m, name, Some(t), Some(self.n)));
            let read = match read {
                Ok(m) if self.hermitian && name == "f" => {
                    check_hermitian(&m, &origin(name, Some(t))).map(|()| m)
                }
                r => r,
            };
            match read {
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
pub(crate) struct PyParametric<T: Scalar> {
    pub(crate) inner: PyFamily<T>,
    pub(crate) dp: Option<Py<PyAny>>,
    pub(crate) m: usize,
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
pub(crate) struct FileParametric<T: eigentrack::expr::Scalar> {
    pub(crate) fam: ExprFamily<T>,
    pub(crate) names: Vec<String>,
    pub(crate) p: Vec<f64>,
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

/// A family loaded from an eigentrack family file (JSON, with Matrix Market terms):
/// A(t) = Σ coef(t)·matrix with exact A′, A″. Tracked entirely in Rust.
#[pyclass(module = "eigentrack._eigentrack", name = "Family")]
#[derive(Clone)]
pub(crate) struct PyFileFamily {
    pub(crate) file: FamilyFile,
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
    /// `eigentrack.Family(path, n=…, range=…, params=…)`.
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
pub(crate) fn load_family(path: PathBuf) -> PyResult<PyFileFamily> {
    let file = FamilyFile::load(&path).map_err(to_py)?;
    Ok(PyFileFamily { file })
}

/// Unpickle a family: load `path` and set `params`.
#[pyfunction]
pub(crate) fn _family_with(path: PathBuf, params: Vec<(String, f64)>) -> PyResult<PyFileFamily> {
    let mut fam = load_family(path)?;
    for (k, v) in params {
        fam.file.family_mut().set_param(&k, v).map_err(to_py)?;
    }
    Ok(fam)
}
