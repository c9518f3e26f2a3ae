//! Matrices and vectors between numpy and nalgebra: reading (shape, dtype and
//! finiteness checked, errors naming the argument, t and the index) and writing, and
//! complex scalars in and out.

use eigentrack::nalgebra::DMatrix;
use eigentrack::{Complex64, Element};
use numpy::ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyArray2, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyComplex;

/// A complex number read from a Python number (complex, float or int) or written as a
/// Python `complex`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct C(pub(crate) Complex64);

impl<'py> FromPyObject<'py> for C {
    fn extract_bound(ob: &Bound<'py, PyAny>) -> PyResult<Self> {
        let z: Complex64 = ob.extract()?;
        Ok(C(Complex64::new(z.re, z.im)))
    }
}

impl<'py> IntoPyObject<'py> for C {
    type Target = PyComplex;
    type Output = Bound<'py, PyComplex>;
    type Error = std::convert::Infallible;
    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        Ok(PyComplex::from_doubles(py, self.0.re, self.0.im))
    }
}

// matrices in and out

/// An element type the binding reads from numpy: `f64` or `Complex64`.
pub(crate) trait Scalar: Element + numpy::Element {
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
pub(crate) fn origin(name: &str, t: Option<f64>) -> String {
    match t {
        Some(t) => format!("{name}(t) at t = {t}"),
        None => name.to_string(),
    }
}

/// Whether `obj` holds complex entries (numpy dtype kind 'c'), after `numpy.asarray`.
pub(crate) fn is_complex(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    let arr = as_array(obj)?;
    let kind: String = arr.getattr("dtype")?.getattr("kind")?.extract()?;
    Ok(kind == "c")
}

/// `numpy.asarray(obj)`, densifying scipy.sparse matrices (anything with `toarray`).
pub(crate) fn as_array<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
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
pub(crate) fn read_matrix<T: Scalar>(
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
        let a = as_array(obj).map_err(|e| {
            reword(e, |e| {
                PyTypeError::new_err(format!("{}: {e}", origin(name, t)))
            })
        })?;
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

pub(crate) fn matrix_out<'py, T: numpy::Element + Copy>(
    py: Python<'py>,
    m: &DMatrix<T>,
) -> Bound<'py, PyAny> {
    Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)])
        .into_pyarray(py)
        .into_any()
}

pub(crate) fn vector_out<'py, T: numpy::Element + Copy>(
    py: Python<'py>,
    v: &[T],
) -> Bound<'py, PyAny> {
    Array1::from(v.to_vec()).into_pyarray(py).into_any()
}

/// Read a cotangent vector of length n (complex).
pub(crate) fn read_vector(
    obj: &Bound<'_, PyAny>,
    name: &str,
    n: usize,
) -> PyResult<Vec<Complex64>> {
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
        .map_err(|e| reword(e, |e| PyTypeError::new_err(format!("{name}: {e}"))))?;
    let v: Vec<C> = a.call_method0("tolist")?.extract()?;
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

/// A JSON value (the serde model of a result's part) as plain Python objects: dicts,
/// lists, floats, ints, strings, None.
pub(crate) fn json_to_py<'py>(
    py: Python<'py>,
    v: &serde_json::Value,
) -> PyResult<Bound<'py, PyAny>> {
    use serde_json::Value;
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => pyo3::types::PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u.into_pyobject(py)?.into_any(),
            (None, Some(i)) => i.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => s.into_pyobject(py)?.into_any(),
        Value::Array(a) => {
            let l = pyo3::types::PyList::empty(py);
            for x in a {
                l.append(json_to_py(py, x)?)?;
            }
            l.into_any()
        }
        Value::Object(o) => {
            let d = pyo3::types::PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, json_to_py(py, x)?)?;
            }
            d.into_any()
        }
    })
}

/// `r`, or false where it failed with an ordinary exception (the caller reports the
/// problem better later); a KeyboardInterrupt or SystemExit raised while Python ran
/// comes out.
pub(crate) fn or_false(py: Python<'_>, r: PyResult<bool>) -> PyResult<bool> {
    match r {
        Ok(b) => Ok(b),
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyException>(py) => Ok(false),
        Err(e) => Err(e),
    }
}

/// `e` reworded by `make` (a message naming the argument) when it is an ordinary
/// exception; a KeyboardInterrupt or SystemExit raised while Python ran comes out
/// unchanged.
pub(crate) fn reword(e: PyErr, make: impl FnOnce(&PyErr) -> PyErr) -> PyErr {
    Python::with_gil(|py| {
        if e.is_instance_of::<pyo3::exceptions::PyException>(py) {
            make(&e)
        } else {
            e
        }
    })
}
