//! `eig`, `eigh` and the derivatives of eig (`eig_jvp`, `eig_vjp`), also over a batch
//! (the JAX vmap rule: one loop in Rust with the GIL released).

use crate::convert::{as_array, is_complex, matrix_out, read_matrix, read_vector, vector_out};
use crate::errors::to_py;
use crate::family::check_hermitian;
use crate::options::parse_hermitian;
use eigentrack::Complex64;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// `eig(a, left)`: (w, vr) or (w, vl, vr) with unit right vectors and Yᴴ X = I; also the
/// condition numbers with `condition=True`.
#[pyfunction]
#[pyo3(signature = (a, left=false, hermitian=None))]
pub(crate) fn _eig<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    left: bool,
    hermitian: Option<bool>,
) -> PyResult<Bound<'py, PyTuple>> {
    let mode = parse_hermitian(hermitian);
    let e = if is_complex(a)? {
        let m = read_matrix::<Complex64>(a, "a", None, None)?;
        if hermitian == Some(true) {
            check_hermitian(&m, "a")?;
        }
        py.allow_threads(|| eigentrack::eig_with(&m, mode))
    } else {
        let m = read_matrix::<f64>(a, "a", None, None)?;
        if hermitian == Some(true) {
            check_hermitian(&m, "a")?;
        }
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
pub(crate) fn _eigh<'py>(py: Python<'py>, a: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
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
pub(crate) fn _eig_jvp<'py>(
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

/// `eig_vjp(a, w_bar, v_bar)`: Ā with PyTorch's cotangent convention (real for real a).
#[pyfunction]
#[pyo3(signature = (a, w_bar, v_bar=None))]
pub(crate) fn _eig_vjp<'py>(
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

/// `_eig_batch(a)`: `eig` of every matrix of a stack `a` of shape (..., n, n), in one
/// loop with the GIL released: (w of shape (..., n), vr of shape (..., n, n)), complex
/// (the JAX vmap rule).
#[pyfunction]
pub(crate) fn _eig_batch<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyTuple>> {
    use numpy::ndarray::{Array2, Array3};
    use numpy::{IntoPyArray, PyArrayMethods};
    let arr = as_array(a)?;
    let shape: Vec<usize> = arr.getattr("shape")?.extract()?;
    if shape.len() < 2 || shape[shape.len() - 1] != shape[shape.len() - 2] {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "a has shape {shape:?}; expected a stack of square matrices (..., n, n)"
        )));
    }
    let n = shape[shape.len() - 1];
    let batch: usize = shape[..shape.len() - 2].iter().product();
    let flat = arr
        .call_method1("reshape", ((batch, n, n),))?
        .call_method1("astype", ("complex128",))?;
    let flat = flat.downcast_into::<numpy::PyArray3<Complex64>>()?;
    let ro = flat.readonly();
    let view = ro.as_array();
    let real: bool = !is_complex(a)?;
    let mats: Vec<eigentrack::nalgebra::DMatrix<Complex64>> = (0..batch)
        .map(|b| eigentrack::nalgebra::DMatrix::from_fn(n, n, |i, j| view[[b, i, j]]))
        .collect();
    if let Some((b, i, j)) = mats.iter().enumerate().find_map(|(b, m)| {
        m.iter()
            .position(|z| !(z.re.is_finite() && z.im.is_finite()))
            .map(|p| (b, p % n, p / n))
    }) {
        return Err(crate::options::input(
            &format!("a[{b}]"),
            format!("entry [{i}, {j}] is not finite"),
        ));
    }
    let out = py
        .allow_threads(|| {
            mats.iter()
                .map(|m| {
                    if real {
                        let r = m.map(|z| z.re);
                        eigentrack::eig(&r)
                    } else {
                        eigentrack::eig(m)
                    }
                })
                .collect::<eigentrack::Result<Vec<_>>>()
        })
        .map_err(to_py)?;
    let w = Array2::from_shape_fn((batch, n), |(b, i)| out[b].values()[i]);
    let v = Array3::from_shape_fn((batch, n, n), |(b, i, j)| out[b].right()[(i, j)]);
    let mut wshape = shape[..shape.len() - 1].to_vec();
    let w = w
        .into_pyarray(py)
        .call_method1("reshape", (wshape.clone(),))?;
    wshape.push(n);
    let v = v.into_pyarray(py).call_method1("reshape", (wshape,))?;
    PyTuple::new(py, [w, v])
}
