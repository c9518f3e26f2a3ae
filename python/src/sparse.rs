//! Sparse matrices and families from Python, never densified: scipy.sparse matrices
//! read as CSC, a callable `f(t)` returning them, or terms Σ cₖ(t)·Mₖ with exact
//! derivatives.

use crate::convert::{origin, read_matrix, Scalar};
use crate::errors::Failure;
use eigentrack::dual::Dual2_64;
use eigentrack::nalgebra_sparse::CscMatrix;
use eigentrack::sparse::{SparseFamily, SparseJet, SparseTerms};
use eigentrack::{Complex64, Error};
use numpy::PyArrayMethods;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// The n × n CSC matrix with NaN on the diagonal: what a sparse family hands the tracker
/// after a Python error (the tracker then stops; the stored exception is raised).
pub(crate) fn nan_csc<T: Scalar>(n: usize) -> CscMatrix<T> {
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
/// An exception other than a missing attribute (a KeyboardInterrupt raised while Python
/// ran) comes out, not swallowed.
pub(crate) fn dtype_is_complex(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    if !obj.hasattr("dtype")? {
        return Ok(false);
    }
    let dtype = obj.getattr("dtype")?;
    if !dtype.hasattr("kind")? {
        return Ok(false);
    }
    Ok(dtype
        .getattr("kind")?
        .extract::<String>()
        .is_ok_and(|k| k == "c"))
}

/// An index array of a scipy.sparse matrix as `usize`s.
pub(crate) fn index_vec(
    np: &Bound<'_, PyModule>,
    a: &Bound<'_, PyAny>,
    what: &str,
) -> PyResult<Vec<usize>> {
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
pub(crate) fn read_sparse<T: Scalar>(
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
            crate::convert::reword(e, |e| {
                PyTypeError::new_err(format!("{}: tocsc() failed: {e}", origin(name, t)))
            })
        })?;
        let (rows, cols): (usize, usize) = csc.getattr("shape")?.extract().map_err(|_| {
            PyValueError::new_err(format!("{} is not a 2-D sparse matrix", origin(name, t)))
        })?;
        expected(rows, cols)?;
        // sorted row indices without duplicates (CSC's canonical format), without
        // touching the caller's matrix
        // (a KeyboardInterrupt raised while scipy's property ran comes out)
        let canonical = csc.hasattr("has_canonical_format")?
            && csc
                .getattr("has_canonical_format")?
                .extract::<bool>()
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
pub(crate) struct PySparseCallback<T: Scalar> {
    pub(crate) f: Py<PyAny>,
    pub(crate) name: &'static str,
    pub(crate) n: usize,
    pub(crate) failure: Failure,
    pub(crate) _elem: std::marker::PhantomData<T>,
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
pub(crate) enum PySparse<T: Scalar> {
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
pub(crate) fn read_term<T: Scalar>(
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
pub(crate) fn sparse_family<T: Scalar>(
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
