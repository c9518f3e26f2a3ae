//! The options of `track`, `sensitivities` and `track_nearest`, read from the keyword
//! dict the Python layer passes and validated here, once: a wrong type is a `TypeError`
//! and a value out of range an `InputError` (a `ValueError`, from the Rust builder's own
//! check), both naming the argument. The Python layer only collects the keywords.

use crate::convert::C;
use crate::errors::{to_py, Failure};
use eigentrack::sparse::Nearest;
use eigentrack::{CrossingPolicy, HermitianMode, Part, Resolution, Tracker};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyTuple};
use std::ops::ControlFlow;

/// The keyword dict, read one argument at a time.
pub(crate) struct Args<'a, 'py> {
    d: &'a Bound<'py, PyDict>,
}

/// "float 2.5", "str 'x'": what a wrong argument was, for messages.
pub(crate) fn shown(v: &Bound<'_, PyAny>) -> String {
    let ty = v
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default();
    let repr = v.repr().map(|r| r.to_string()).unwrap_or_default();
    format!("{ty} {repr}")
}

fn type_error(name: &str, expected: &str, v: &Bound<'_, PyAny>) -> PyErr {
    PyTypeError::new_err(format!("{name}: expected {expected}, got {}", shown(v)))
}

/// A real number (int or float, numpy's too; not a bool): `name` names it in errors.
pub(crate) fn real_value(name: &str, v: &Bound<'_, PyAny>) -> PyResult<f64> {
    if !is_real_number(v)? {
        return Err(type_error(name, "a real number", v));
    }
    v.extract::<f64>()
        .map_err(|_| type_error(name, "a real number", v))
}

/// Whether `v` is a real number of numpy or Python (an int, a float, a numpy real scalar).
fn is_real_number(v: &Bound<'_, PyAny>) -> PyResult<bool> {
    if v.is_instance_of::<PyBool>() {
        return Ok(false);
    }
    if v.is_instance_of::<PyFloat>() || v.is_instance_of::<PyInt>() {
        return Ok(true);
    }
    let numbers = v.py().import("numbers")?;
    v.is_instance(&numbers.getattr("Real")?)
}

/// A finite real number.
pub(crate) fn finite_value(name: &str, v: &Bound<'_, PyAny>) -> PyResult<f64> {
    let x = real_value(name, v)?;
    if !x.is_finite() {
        return Err(input(name, format!("must be finite, got {x}")));
    }
    Ok(x)
}

/// An `InputError` (a `ValueError`) naming the argument.
pub(crate) fn input(name: &str, reason: String) -> PyErr {
    Python::with_gil(|py| {
        match py
            .import("eigentrack._errors")
            .and_then(|m| m.getattr("InputError"))
            .and_then(|c| c.call1((format!("{name}: {reason}"),)))
        {
            Ok(e) => PyErr::from_value(e),
            Err(e) => e,
        }
    })
}

/// An int ≥ 0 (numpy's too; not a bool, not a float).
pub(crate) fn int_value(name: &str, v: &Bound<'_, PyAny>) -> PyResult<usize> {
    let numbers = v.py().import("numbers")?;
    if v.is_instance_of::<PyBool>() || !v.is_instance(&numbers.getattr("Integral")?)? {
        return Err(type_error(name, "an int", v));
    }
    let i: i64 = v.extract().map_err(|_| type_error(name, "an int", v))?;
    usize::try_from(i).map_err(|_| input(name, format!("must be at least 0, got {i}")))
}

impl<'a, 'py> Args<'a, 'py> {
    /// The keyword dict `d`.
    pub(crate) fn new(d: &'a Bound<'py, PyDict>) -> Self {
        Args { d }
    }
    /// The value of `name`, `None` when absent or None.
    pub(crate) fn get(&self, name: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(self.d.get_item(name)?.filter(|v| !v.is_none()))
    }
    /// An optional real number.
    pub(crate) fn real(&self, name: &str) -> PyResult<Option<f64>> {
        self.get(name)?.map(|v| real_value(name, &v)).transpose()
    }
    /// An optional int ≥ 0.
    pub(crate) fn int(&self, name: &str) -> PyResult<Option<usize>> {
        self.get(name)?.map(|v| int_value(name, &v)).transpose()
    }
    /// True or False (numpy's bool too), `default` when absent.
    pub(crate) fn flag(&self, name: &str, default: bool) -> PyResult<bool> {
        match self.get(name)? {
            None => Ok(default),
            Some(v) => {
                let np_bool = v
                    .py()
                    .import("numpy")?
                    .getattr("bool_")
                    .and_then(|b| v.is_instance(&b))
                    .unwrap_or(false);
                if !(v.is_instance_of::<PyBool>() || np_bool) {
                    return Err(type_error(name, "True or False", &v));
                }
                v.is_truthy()
            }
        }
    }
    /// One of `choices`, `default` when absent.
    pub(crate) fn choice(&self, name: &str, default: &str, choices: &[&str]) -> PyResult<String> {
        let expected = choices
            .iter()
            .map(|c| format!("{c:?}"))
            .collect::<Vec<_>>()
            .join(" or ");
        match self.get(name)? {
            None => Ok(default.to_string()),
            Some(v) => {
                let s: String = v.extract().map_err(|_| type_error(name, &expected, &v))?;
                if choices.contains(&s.as_str()) {
                    Ok(s)
                } else {
                    Err(input(name, format!("expected {expected}, got {s:?}")))
                }
            }
        }
    }
    /// None, True or False (auto, always, never).
    pub(crate) fn hermitian(&self) -> PyResult<Option<bool>> {
        match self.get("hermitian")? {
            None => Ok(None),
            Some(v) if v.is_instance_of::<PyBool>() => Ok(Some(v.is_truthy()?)),
            Some(v) => Err(type_error("hermitian", "None (auto), True or False", &v)),
        }
    }
    /// A callable progress(fraction, t), or None.
    pub(crate) fn progress(&self) -> PyResult<Option<Py<PyAny>>> {
        match self.get("progress")? {
            None => Ok(None),
            Some(v) if v.is_callable() => Ok(Some(v.unbind())),
            Some(v) => Err(type_error(
                "progress",
                "True, False, None or a callable progress(fraction, t)",
                &v,
            )),
        }
    }
    /// A complex number (a real one too; not a bool).
    pub(crate) fn complex(&self, name: &str) -> PyResult<Option<eigentrack::Complex64>> {
        let Some(v) = self.get(name)? else {
            return Ok(None);
        };
        let numbers = v.py().import("numbers")?;
        if v.is_instance_of::<PyBool>() || !v.is_instance(&numbers.getattr("Number")?)? {
            return Err(type_error(name, "a real or complex number", &v));
        }
        let z: C = v
            .extract()
            .map_err(|_| type_error(name, "a real or complex number", &v))?;
        Ok(Some(z.0))
    }
    /// Fail on keywords that are not in `known`.
    pub(crate) fn only(&self, what: &str, known: &[&str]) -> PyResult<()> {
        let mut bad = Vec::new();
        for k in self.d.keys() {
            let k: String = k.extract()?;
            if !known.contains(&k.as_str()) {
                bad.push(k);
            }
        }
        if bad.is_empty() {
            Ok(())
        } else {
            bad.sort();
            Err(PyTypeError::new_err(format!(
                "{what}: unexpected keyword argument(s) {bad:?}"
            )))
        }
    }
}

/// `range`: (a, b) of finite numbers with a ≠ b, or None.
pub(crate) fn range_arg(v: Option<&Bound<'_, PyAny>>) -> PyResult<Option<(f64, f64)>> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    let items: Vec<Bound<'_, PyAny>> = match v.try_iter() {
        Ok(it) if !v.is_instance_of::<pyo3::types::PyString>() => it.collect::<PyResult<_>>()?,
        _ => return Err(type_error("range", "(a, b)", v)),
    };
    if items.len() != 2 {
        return Err(type_error("range", "(a, b)", v));
    }
    let a = finite_value("range[0]", &items[0])?;
    let b = finite_value("range[1]", &items[1])?;
    if a == b {
        return Err(input(
            "range",
            format!("the interval is empty (a = b = {a}); give a ≠ b"),
        ));
    }
    Ok(Some((a, b)))
}

/// `grid`: a 1-D sequence of finite t (its order is checked by the tracker), or None.
pub(crate) fn grid_arg(v: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<f64>>> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    let np = v.py().import("numpy")?;
    let g = np.call_method1("asarray", (v, "float64")).map_err(|e| {
        crate::convert::reword(e, |e| {
            PyTypeError::new_err(format!("grid: expected a 1-D array of t: {e}"))
        })
    })?;
    let ndim: usize = g.getattr("ndim")?.extract()?;
    let g: Vec<f64> = if ndim == 1 {
        g.call_method0("tolist")?.extract()?
    } else {
        let shape = g.getattr("shape")?.str()?.to_string();
        return Err(input(
            "grid",
            format!("expected a non-empty 1-D array of t, got shape {shape}"),
        ));
    };
    if g.is_empty() {
        return Err(input(
            "grid",
            "expected a non-empty 1-D array of t, got shape (0,)".into(),
        ));
    }
    if let Some(k) = g.iter().position(|x| !x.is_finite()) {
        return Err(input(
            "grid",
            format!("entry [{k}] is not finite ({})", g[k]),
        ));
    }
    Ok(Some(g))
}

/// `levels`: a list of (part, value), or one such pair.
fn levels(args: &Args<'_, '_>) -> PyResult<Vec<(Part, f64)>> {
    let Some(v) = args.get("levels")? else {
        return Ok(Vec::new());
    };
    let single = v.downcast::<PyTuple>().is_ok_and(|t| {
        t.len() == 2
            && t.get_item(0)
                .is_ok_and(|p| p.is_instance_of::<pyo3::types::PyString>())
    });
    let items: Vec<Bound<'_, PyAny>> = if single {
        vec![v.clone()]
    } else {
        match v.try_iter() {
            Ok(it) => it.collect::<PyResult<_>>()?,
            Err(_) => return Err(type_error("levels", "a list of (part, value)", &v)),
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (k, item) in items.iter().enumerate() {
        let name = format!("levels[{k}]");
        let pair: Vec<Bound<'_, PyAny>> = match item.try_iter() {
            Ok(it) if !item.is_instance_of::<pyo3::types::PyString>() => {
                it.collect::<PyResult<_>>()?
            }
            _ => Vec::new(),
        };
        if pair.len() != 2 {
            return Err(type_error(&name, "(part, value) such as ('re', 0.0)", item));
        }
        let part: String = pair[0]
            .extract()
            .map_err(|_| type_error(&name, "part 're', 'im' or 'abs'", &pair[0]))?;
        let part = parse_part(&part)?;
        out.push((part, finite_value(&format!("{name} value"), &pair[1])?));
    }
    Ok(out)
}

/// "re", "im" or "abs".
pub(crate) fn parse_part(s: &str) -> PyResult<Part> {
    match s {
        "re" => Ok(Part::Re),
        "im" => Ok(Part::Im),
        "abs" => Ok(Part::Abs),
        _ => Err(PyValueError::new_err(format!(
            "levels: part must be \"re\", \"im\" or \"abs\", got {s:?}"
        ))),
    }
}

/// None, True, False as auto, always, never.
pub(crate) fn parse_hermitian(h: Option<bool>) -> HermitianMode {
    match h {
        None => HermitianMode::Auto,
        Some(true) => HermitianMode::Yes,
        Some(false) => HermitianMode::No,
    }
}

/// The keywords of `track` (and `sensitivities`).
pub(crate) const TRACK_OPTIONS: &[&str] = &[
    "samples",
    "policy",
    "levels",
    "hermitian",
    "keep_vectors",
    "curvatures",
    "events",
    "h_min",
    "h_max",
    "cluster_tol",
    "min_overlap",
    "prediction_ratio",
    "gap_tol",
    "avoided_gap_max",
    "max_decompositions",
    "resolution",
    "progress",
];

/// The validated options of a dense track: the tracker (its progress callback checks
/// signals and calls the user's) and the Hermitian mode asked for.
pub(crate) struct TrackOptions {
    /// The tracker.
    pub(crate) tracker: Tracker,
    /// `hermitian=`: None (auto), True, False.
    pub(crate) hermitian: Option<bool>,
}

/// Read and validate the options of `track` (or `sensitivities`, named `what` in errors)
/// from `d`; what the user's progress callback raises is stored in `failure`.
pub(crate) fn track_options(
    d: &Bound<'_, PyDict>,
    what: &str,
    failure: &Failure,
) -> PyResult<TrackOptions> {
    let a = Args::new(d);
    a.only(what, TRACK_OPTIONS)?;
    let set = |r: eigentrack::Result<Tracker>| r.map_err(to_py);
    let hermitian = a.hermitian()?;
    let samples = a.int("samples")?.unwrap_or(201);
    let mut tr = set(Tracker::new().samples(samples))?
        .policy(
            match a
                .choice("policy", "adiabatic", &["adiabatic", "diabatic"])?
                .as_str()
            {
                "diabatic" => CrossingPolicy::Diabatic,
                _ => CrossingPolicy::Adiabatic,
            },
        )
        .hermitian(parse_hermitian(hermitian))
        .keep_vectors(a.flag("keep_vectors", false)?)
        .curvatures(a.flag("curvatures", true)?)
        .locate_events(a.flag("events", true)?)
        .resolution(
            match a
                .choice("resolution", "local", &["local", "refine"])?
                .as_str()
            {
                "refine" => Resolution::Refine,
                _ => Resolution::Local,
            },
        );
    for (part, value) in levels(&a)? {
        tr = set(tr.level(part, value))?;
    }
    if let Some(h) = a.real("h_min")? {
        tr = set(tr.h_min(h))?;
    }
    if let Some(h) = a.real("h_max")? {
        tr = set(tr.h_max(h))?;
    }
    if let Some(v) = a.real("cluster_tol")? {
        tr = set(tr.cluster_tol(v))?;
    }
    if let Some(v) = a.real("min_overlap")? {
        tr = set(tr.min_overlap(v))?;
    }
    if let Some(v) = a.real("prediction_ratio")? {
        tr = set(tr.prediction_ratio(v))?;
    }
    if let Some(v) = a.real("gap_tol")? {
        tr = set(tr.gap_tol(v))?;
    }
    if let Some(v) = a.real("avoided_gap_max")? {
        tr = set(tr.avoided_gap_max(v))?;
    }
    if let Some(v) = a.int("max_decompositions")? {
        tr = set(tr.max_decompositions(v))?;
    }
    let user = a.progress()?;
    let failure = failure.clone();
    Ok(TrackOptions {
        tracker: tr.progress(move |p| progress_step(&user, &failure, p.fraction, p.t)),
        hermitian,
    })
}

/// The keywords of `track_nearest`.
const NEAREST_OPTIONS: &[&str] = &[
    "k",
    "sigma",
    "samples",
    "tol",
    "guard",
    "warm_iterations",
    "min_overlap",
    "prediction_ratio",
    "cluster_tol",
    "h_min",
    "keep_vectors",
    "progress",
];

/// Read and validate the options of `track_nearest` from `d`: the `Nearest` builder, its
/// progress callback checking signals and calling the user's.
pub(crate) fn nearest_options(d: &Bound<'_, PyDict>, failure: &Failure) -> PyResult<Nearest> {
    let a = Args::new(d);
    a.only("track_nearest", NEAREST_OPTIONS)?;
    let k = a
        .int("k")?
        .ok_or_else(|| PyTypeError::new_err("k: required (the window size)"))?;
    let sigma = a
        .complex("sigma")?
        .ok_or_else(|| PyTypeError::new_err("sigma: required (the target)"))?;
    let set = |r: eigentrack::Result<Nearest>| r.map_err(to_py);
    let samples = a.int("samples")?.unwrap_or(201);
    let mut nr = set(Nearest::new(k, sigma).and_then(|n| n.samples(samples)))?
        .keep_vectors(a.flag("keep_vectors", false)?);
    if let Some(p) = a.int("guard")? {
        nr = nr.guard(p);
    }
    if let Some(v) = a.real("tol")? {
        nr = set(nr.tol(v))?;
    }
    if let Some(v) = a.int("warm_iterations")? {
        nr = set(nr.warm_iterations(v))?;
    }
    if let Some(v) = a.real("min_overlap")? {
        nr = set(nr.min_overlap(v))?;
    }
    if let Some(v) = a.real("prediction_ratio")? {
        nr = set(nr.prediction_ratio(v))?;
    }
    if let Some(v) = a.real("cluster_tol")? {
        nr = set(nr.cluster_tol(v))?;
    }
    if let Some(v) = a.real("h_min")? {
        nr = set(nr.h_min(v))?;
    }
    let user = a.progress()?;
    let failure = failure.clone();
    Ok(nr.progress(move |p| progress_step(&user, &failure, p.fraction, p.t)))
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
                Ok(!out.is(PyBool::new(py, false)))
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

/// A list of the names `known`, for the stubs' and docs' tests.
#[pyfunction]
pub(crate) fn _option_names(py: Python<'_>, which: &str) -> PyResult<Py<PyList>> {
    let names = match which {
        "track" => TRACK_OPTIONS,
        "track_nearest" => NEAREST_OPTIONS,
        w => return Err(PyValueError::new_err(format!("which: unknown {w:?}"))),
    };
    Ok(PyList::new(py, names)?.unbind())
}
