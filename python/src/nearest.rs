//! `track_nearest`: the k eigenvalues nearest σ of a sparse family (a callable, terms, or
//! a family file read by the sparse loader), or of a pencil A(t)x = λB(t)x.

use crate::errors::{to_py, Failure};
use crate::options::{nearest_options, range_arg};
use crate::sparse::{dtype_is_complex, sparse_family, PySparse};
use crate::track::dtype_arg;
use crate::window::PyWindowTracking;
use eigentrack::family_file::{SparseFamilyFile, SparseFileFamily};
use eigentrack::sparse::WindowRecord;
use eigentrack::{Complex64, Error};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;

/// `_track_nearest(f_kind, f, mass_kind, mass, range, opts, dtype)`: the k eigenvalues
/// nearest σ of a sparse family given from Python (`kind` "callable" or "terms"), of the
/// pencil A(t)x = λB(t)x when `mass` is given. A callable is called once at t₀ here to
/// learn n and the dtype (`dtype` forces real or complex arithmetic); `opts` is the dict of `track_nearest`'s keywords, validated here.
#[pyfunction]
#[pyo3(signature = (f_kind, f, mass_kind, mass, range, opts, dtype=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn _track_nearest<'py>(
    py: Python<'py>,
    f_kind: &str,
    f: Bound<'py, PyAny>,
    mass_kind: Option<&str>,
    mass: Option<Bound<'py, PyAny>>,
    range: Option<Bound<'py, PyAny>>,
    opts: Bound<'py, PyDict>,
    dtype: Option<Bound<'py, PyAny>>,
) -> PyResult<PyWindowTracking> {
    let failure = Failure::default();
    let nr = nearest_options(&opts, &failure)?;
    let range = range_arg(range.as_ref())?
        .ok_or_else(|| PyTypeError::new_err("range: required (a, b) unless f is a family file"))?;
    let complex = dtype_arg(dtype.as_ref())?;
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
            return dtype_is_complex(m);
        }
        let terms: Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)> = obj.extract()?;
        for (coef, m) in &terms {
            if dtype_is_complex(m)?
                || (!coef.is_callable()
                    && coef.is_instance_of::<pyo3::types::PyComplex>()
                    && coef.extract::<Complex64>().is_ok_and(|z| z.im != 0.0))
            {
                return Ok(true);
            }
        }
        Ok(false)
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
    let (tracking, n) = if complex { go!(Complex64) } else { go!(f64) };
    Ok(PyWindowTracking {
        inner: WindowRecord {
            tracking,
            n,
            real: !complex,
        },
    })
}

/// `_track_nearest_file(path, params, range, opts)`: the k eigenvalues nearest σ of a
/// family file read by the sparse loader (its `"mass"` makes it a pencil), with the
/// parameter values `params` (those of a `Family`; the file's own when empty).
#[pyfunction]
pub(crate) fn _track_nearest_file<'py>(
    py: Python<'py>,
    path: PathBuf,
    params: Vec<(String, f64)>,
    range: Option<Bound<'py, PyAny>>,
    opts: Bound<'py, PyDict>,
) -> PyResult<PyWindowTracking> {
    let failure = Failure::default();
    let nr = nearest_options(&opts, &failure)?;
    let range = range_arg(range.as_ref())?;
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
    let tracking = failure.resolve(r)?;
    let real = matches!(file.family(), SparseFileFamily::Real(_));
    Ok(PyWindowTracking {
        inner: WindowRecord { tracking, n, real },
    })
}
