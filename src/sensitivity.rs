//! Parameter sensitivities along tracked branches, of located events, and parallel sweeps.
//!
//! A [`ParametricFamily`] is A(t; p) with p ∈ ℝᵐ. For a fixed p the family is tracked
//! in t as usual ([`ParametricFamily::at`] is the [`MatrixFamily`] t ↦ A(t; p)); then
//!
//! * along every branch, at every sample, ∂λ/∂p_k = yᴴ (∂A/∂p_k) x with the branch's
//!   right and left eigenvectors (yᴴx = 1). At a sample that sits on a crossing the
//!   vectors are the tracker's analytic (Rellich) basis, so this is the derivative of
//!   the analytic branch;
//! * for a located [`Event::Crossing`] of branches a and b at t*, the implicit function
//!   theorem on λₐ(t; p) − λ_b(t; p) = 0 gives
//!   dt*/dp_k = −(∂ₖλₐ − ∂ₖλ_b)/(λₐ′ − λ_b′) (for complex eigenvalues the least-squares
//!   value −Re(conj(Δλ′)·Δ∂ₖλ)/|Δλ′|²). The derivatives are evaluated on a fresh
//!   decomposition at t*, in the basis that diagonalises the 2 × 2 slope matrix
//!   Y_cᴴ A′ X_c (exact also when t* is exactly degenerate). When ∂A/∂p_k couples the two
//!   branches at t* (the crossing opens into an avoided crossing under p_k) the value is
//!   the sensitivity of the diabatic crossing point, and [`EventSensitivity::coupling`]
//!   reports the coupling;
//! * for a located [`Event::Level`] part(λ)(t*; p) = level:
//!   dt*/dp_k = −∂ₖpart(λ)/∂ₜpart(λ), with ∂ part = Re, Im, or Re(conj(λ)·∂λ)/|λ| for
//!   [`Part::Abs`]. A tangential crossing of the level (∂ₜpart(λ) = 0) has no finite
//!   sensitivity: that event's [`EventSensitivity::dt_dp`] is an [`Error::IllDefined`].
//!
//! Other events (avoided crossings, exceptional points, unresolved steps) get no
//! sensitivity.
//!
//! Derivatives with respect to p: [`ParametricFamily::param_derivatives`] defaults to
//! central differences (step ε^{1/3}·max(1, |p_k|), relative error ≈ 1e-10); the
//! dual-number family [`DualParametric`] gives them, and A′, A″ in t, exactly.
//!
//! [`sweep`] runs any job over a list of parameter vectors in parallel (rayon) and
//! returns the results in input order; [`sweep_sensitivities`] is the common case.
//!
//! ```
//! use eigentrack::sensitivity::{sensitivities, Parametric};
//! use eigentrack::{Event, Tracker};
//! use nalgebra::DMatrix;
//!
//! // two modes, λ₁ = k·t and λ₂ = 1 − t, cross at t* = 1/(1 + k)
//! let fam = Parametric::new(1, |t: f64, p: &[f64]| {
//!     DMatrix::from_row_slice(2, 2, &[p[0] * t, 0.0, 0.0, 1.0 - t])
//! });
//! let s = sensitivities(&Tracker::new().samples(11)?, &fam, &[3.0], 0.0..=1.0)?;
//! let ev = &s.events()[0];
//! assert!((ev.t() - 0.25).abs() < 1e-12);
//! // dt*/dk = −1/(1 + k)² = −1/16
//! assert!((ev.dt_dp()?[0] + 1.0 / 16.0).abs() < 1e-8);
//! // branch 0 starts as the lower eigenvalue, λ₁ = k·t, and keeps it through t*: ∂λ₁/∂k = t
//! let d = s.dlambda(0, 0);
//! assert!((d[4].re - s.tracking().samples()[4]).abs() < 1e-8);
//! # Ok::<(), eigentrack::Error>(())
//! ```

use crate::dual::DualNum;
use crate::eigen::{eig, Element};
use crate::error::{Error, Result};
use crate::family::{finite_difference_jet, Jet, MatrixFamily};
use crate::tracker::Tracker;
use crate::tracking::{Event, Part, Tracking};
use nalgebra::DMatrix;
use num_complex::Complex64;
use num_dual::{Dual2_64, Dual64};
use rayon::prelude::*;
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A matrix family A(t; p) with m real parameters p.
///
/// Implement [`n_params`](Self::n_params) and [`value`](Self::value); override
/// [`jet`](Self::jet) and [`param_derivatives`](Self::param_derivatives) when the
/// derivatives are known exactly (they default to finite differences).
pub trait ParametricFamily {
    /// Entry type: `f64` or [`Complex64`].
    type Elem: Element;
    /// The number m of parameters.
    fn n_params(&self) -> usize;
    /// A(t; p).
    fn value(&self, t: f64, p: &[f64]) -> DMatrix<Self::Elem>;
    /// A, ∂A/∂t, ∂²A/∂t² at (t; p). Defaults to [`finite_difference_jet`].
    fn jet(&self, t: f64, p: &[f64]) -> Jet<Self::Elem> {
        finite_difference_jet(|s| self.value(s, p), t)
    }
    /// ∂A/∂p_k at (t; p) for k = 0 … m − 1. Defaults to central differences with the
    /// step h_k = ε^{1/3}·max(1, |p_k|).
    fn param_derivatives(&self, t: f64, p: &[f64]) -> Vec<DMatrix<Self::Elem>> {
        finite_difference_params(|q| self.value(t, q), p)
    }
    /// Whether [`jet`](Self::jet) and [`param_derivatives`](Self::param_derivatives) are
    /// exact.
    fn exact_derivatives(&self) -> bool {
        false
    }
    /// The one-parameter family t ↦ A(t; p) (p is not checked here; [`sensitivities`]
    /// checks it).
    fn at<'a>(&'a self, p: &'a [f64]) -> Fixed<'a, Self>
    where
        Self: Sized,
    {
        Fixed { family: self, p }
    }
}

/// t ↦ A(t; p) for a fixed p: a [`MatrixFamily`]. Made by [`ParametricFamily::at`].
#[derive(Debug, Clone, Copy)]
pub struct Fixed<'a, F> {
    family: &'a F,
    p: &'a [f64],
}

impl<F: ParametricFamily> MatrixFamily for Fixed<'_, F> {
    type Elem = F::Elem;
    fn value(&self, t: f64) -> DMatrix<F::Elem> {
        self.family.value(t, self.p)
    }
    fn jet(&self, t: f64) -> Jet<F::Elem> {
        self.family.jet(t, self.p)
    }
    fn exact_derivatives(&self) -> bool {
        self.family.exact_derivatives()
    }
}

/// A closure `Fn(t, &p) -> DMatrix<T>` with `n` parameters; derivatives by finite
/// differences.
///
/// ```
/// use eigentrack::sensitivity::{Parametric, ParametricFamily};
/// use nalgebra::DMatrix;
///
/// let fam = Parametric::new(2, |t: f64, p: &[f64]| DMatrix::from_element(1, 1, p[0] * t + p[1]));
/// let d = fam.param_derivatives(2.0, &[1.0, 5.0]);
/// assert!((d[0][(0, 0)] - 2.0).abs() < 1e-9 && (d[1][(0, 0)] - 1.0).abs() < 1e-9);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Parametric<F> {
    n: usize,
    f: F,
}

impl<F> Parametric<F> {
    /// The family `f(t, p)` with `n` parameters.
    pub fn new(n: usize, f: F) -> Self {
        Parametric { n, f }
    }
}

impl<T: Element, F: Fn(f64, &[f64]) -> DMatrix<T>> ParametricFamily for Parametric<F> {
    type Elem = T;
    fn n_params(&self) -> usize {
        self.n
    }
    fn value(&self, t: f64, p: &[f64]) -> DMatrix<T> {
        (self.f)(t, p)
    }
}

/// A real A(t; p) written once for every dual-number type (see [`crate::dual`]).
pub trait DualParametricFn {
    /// The number m of parameters.
    fn n_params(&self) -> usize;
    /// A(t; p) with entries of the dual type `D`.
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, t: D, p: &[D]) -> DMatrix<D>;
}

/// A real parametric family with exact ∂A/∂t, ∂²A/∂t² (second-order duals in t) and
/// ∂A/∂p_k (one first-order dual pass per parameter).
///
/// ```
/// use eigentrack::sensitivity::{DualParametric, DualParametricFn, ParametricFamily};
/// use eigentrack::dual::DualNum;
/// use nalgebra::DMatrix;
///
/// struct Spring;
/// impl DualParametricFn for Spring {
///     fn n_params(&self) -> usize { 1 }
///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, t: D, p: &[D]) -> DMatrix<D> {
///         DMatrix::from_element(1, 1, p[0] * t.sin())
///     }
/// }
/// let fam = DualParametric(Spring);
/// assert_eq!(fam.param_derivatives(0.5, &[2.0])[0][(0, 0)], 0.5f64.sin());
/// assert_eq!(fam.jet(0.5, &[2.0]).dda[(0, 0)], -2.0 * 0.5f64.sin());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DualParametric<F>(pub F);

impl<F: DualParametricFn> ParametricFamily for DualParametric<F> {
    type Elem = f64;
    fn n_params(&self) -> usize {
        self.0.n_params()
    }
    fn value(&self, t: f64, p: &[f64]) -> DMatrix<f64> {
        self.0.eval(t, p)
    }
    fn jet(&self, t: f64, p: &[f64]) -> Jet<f64> {
        let pd: Vec<Dual2_64> = p.iter().map(|&v| Dual2_64::from_re(v)).collect();
        let m = self.0.eval(Dual2_64::from_re(t).derivative(), &pd);
        Jet {
            a: m.map(|d| d.re),
            da: m.map(|d| d.v1),
            dda: m.map(|d| d.v2),
        }
    }
    fn param_derivatives(&self, t: f64, p: &[f64]) -> Vec<DMatrix<f64>> {
        (0..p.len())
            .map(|k| {
                let pd: Vec<Dual64> = p
                    .iter()
                    .enumerate()
                    .map(|(j, &v)| {
                        let d = Dual64::from_re(v);
                        if j == k {
                            d.derivative()
                        } else {
                            d
                        }
                    })
                    .collect();
                self.0.eval(Dual64::from_re(t), &pd).map(|d| d.eps)
            })
            .collect()
    }
    fn exact_derivatives(&self) -> bool {
        true
    }
}

/// The sensitivity of one located event to the parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSensitivity {
    event: usize,
    t: f64,
    dt_dp: std::result::Result<Vec<f64>, Error>,
    coupling: Vec<f64>,
}

impl EventSensitivity {
    /// Index of the event in [`Tracking::events`].
    pub fn event(&self) -> usize {
        self.event
    }
    /// The located t* of the event.
    pub fn t(&self) -> f64 {
        self.t
    }
    /// dt*/dp_k for k = 0 … m − 1, or [`Error::IllDefined`] when the implicit function
    /// theorem does not apply (a level met tangentially, a crossing with equal slopes).
    pub fn dt_dp(&self) -> Result<&[f64]> {
        self.dt_dp.as_deref().map_err(Clone::clone)
    }
    /// For a crossing: |v_aᴴ M_k w_b| + |v_bᴴ M_k w_a|, the first-order coupling of the two
    /// branches by ∂A/∂p_k relative to ‖∂A/∂p_k‖_F (0 when the crossing persists under
    /// p_k). Empty for level events.
    pub fn coupling(&self) -> &[f64] {
        &self.coupling
    }
}

/// A track at one parameter vector with the sensitivities of its branches and events.
#[derive(Debug, Clone)]
pub struct Sensitivities {
    params: Vec<f64>,
    tracking: Tracking,
    /// `[branch][k][sample]`
    dlambda: Vec<Vec<Vec<Complex64>>>,
    events: Vec<EventSensitivity>,
}

impl Sensitivities {
    /// The parameter vector p.
    pub fn params(&self) -> &[f64] {
        &self.params
    }
    /// The track at p (with eigenvectors kept).
    pub fn tracking(&self) -> &Tracking {
        &self.tracking
    }
    /// ∂λ/∂p_k of `branch` at every sample.
    ///
    /// # Panics
    /// When `branch` or `k` is out of range.
    pub fn dlambda(&self, branch: usize, k: usize) -> &[Complex64] {
        &self.dlambda[branch][k]
    }
    /// Sensitivities of the crossing and level events, in the order of
    /// [`Tracking::events`].
    pub fn events(&self) -> &[EventSensitivity] {
        &self.events
    }
}

/// Check that `p` has the family's length and finite entries.
fn check_params(m: usize, p: &[f64]) -> Result<()> {
    if p.len() != m {
        return Err(Error::InvalidArgument {
            name: "p",
            reason: format!(
                "the family has {m} parameters, the parameter vector has {}",
                p.len()
            ),
        });
    }
    if let Some(k) = p.iter().position(|v| !v.is_finite()) {
        return Err(Error::InvalidArgument {
            name: "p",
            reason: format!("parameter {k} is {}", p[k]),
        });
    }
    Ok(())
}

fn check_derivatives<T: Element>(d: &[DMatrix<T>], n: usize, t: f64) -> Result<()> {
    for m in d {
        if m.shape() != (n, n) {
            return Err(Error::DimensionMismatch {
                what: "∂A/∂p against A",
                expected_rows: n,
                expected_cols: n,
                found_rows: m.nrows(),
                found_cols: m.ncols(),
            });
        }
        crate::eigen::check_finite(m, "∂A/∂p").map_err(|e| e.at(t))?;
    }
    Ok(())
}

/// Track `family` at the parameter vector `p` over `range` with `tracker` (its
/// `keep_vectors` is switched on), and compute ∂λ/∂p along every branch and dt*/dp of
/// every located crossing and level event. See the [module documentation](self).
///
/// # Errors
/// [`Error::InvalidArgument`] for a parameter vector of the wrong length or with a
/// non-finite entry; every error of the tracker; [`Error::NonFinite`] /
/// [`Error::DimensionMismatch`] for a bad ∂A/∂p.
///
/// ```
/// use eigentrack::sensitivity::{sensitivities, Parametric};
/// use eigentrack::Tracker;
/// use nalgebra::DMatrix;
///
/// let fam = Parametric::new(1, |t: f64, p: &[f64]| DMatrix::from_element(1, 1, p[0] * t * t));
/// let s = sensitivities(&Tracker::new().samples(3)?, &fam, &[2.0], 0.0..=1.0)?;
/// assert!((s.dlambda(0, 0)[2].re - 1.0).abs() < 1e-9); // ∂(p t²)/∂p = t² = 1 at t = 1
/// assert!(sensitivities(&Tracker::new(), &fam, &[1.0, 2.0], 0.0..=1.0).is_err());
/// # Ok::<(), eigentrack::Error>(())
/// ```
pub fn sensitivities<F: ParametricFamily>(
    tracker: &Tracker,
    family: &F,
    p: &[f64],
    range: RangeInclusive<f64>,
) -> Result<Sensitivities> {
    check_params(family.n_params(), p)?;
    let tracking = tracker
        .clone()
        .keep_vectors(true)
        .track_family(&family.at(p), range)?;
    let m = p.len();
    let nb = tracking.branches().len();
    let mut dlambda = vec![vec![Vec::with_capacity(tracking.samples().len()); m]; nb];
    for (s, &t) in tracking.samples().iter().enumerate() {
        let dps = family.param_derivatives(t, p);
        check_derivatives(&dps, nb, t)?;
        for (k, dp) in dps.iter().enumerate() {
            let dpc = dp.map(|v| v.to_c64());
            for (b, branch) in tracking.branches().iter().enumerate() {
                let (Some(xs), Some(ys)) = (branch.right_vectors(), branch.left_vectors()) else {
                    unreachable!("keep_vectors was switched on")
                };
                dlambda[b][k].push(ys[s].dotc(&(&dpc * &xs[s])));
            }
        }
    }
    let mut events = Vec::new();
    for (i, ev) in tracking.events().iter().enumerate() {
        if let Some(es) = event_sensitivity(family, p, i, ev)? {
            events.push(es);
        }
    }
    Ok(Sensitivities {
        params: p.to_vec(),
        tracking,
        dlambda,
        events,
    })
}

/// Indices of the `count` eigenvalues nearest to `z`.
fn nearest(values: &[Complex64], z: Complex64, count: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| (values[a] - z).norm().total_cmp(&(values[b] - z).norm()));
    idx.truncate(count);
    idx
}

fn event_sensitivity<F: ParametricFamily>(
    family: &F,
    p: &[f64],
    index: usize,
    ev: &Event,
) -> Result<Option<EventSensitivity>> {
    let (t, value) = match ev {
        Event::Crossing { t, value, .. } | Event::Level { t, value, .. } => (*t, *value),
        _ => return Ok(None),
    };
    let jet = family.jet(t, p);
    let e = eig(&jet.a).map_err(|e| e.at(t))?;
    let n = e.len();
    let da = jet.da.map(|v| v.to_c64());
    let dps: Vec<DMatrix<Complex64>> = family
        .param_derivatives(t, p)
        .iter()
        .map(|d| d.map(|v| v.to_c64()))
        .collect();
    check_derivatives(&dps, n, t)?;
    let ill = |reason: String| EventSensitivity {
        event: index,
        t,
        dt_dp: Err(Error::IllDefined { reason }),
        coupling: Vec::new(),
    };
    match ev {
        Event::Level { part, level, .. } => {
            let i = nearest(e.values(), value, 1)[0];
            let (x, y) = (e.right().column(i), e.left().column(i));
            let lam = e.values()[i];
            let dpart = |d: Complex64| match part {
                Part::Re => d.re,
                Part::Im => d.im,
                Part::Abs => (lam.conj() * d).re / lam.norm(),
            };
            let dt = dpart(y.dotc(&(&da * x)));
            if dt == 0.0 || !dt.is_finite() {
                return Ok(Some(ill(format!(
                    "the branch meets the level {}(λ) = {level} tangentially at t = {t} \
                     (d{}(λ)/dt = {dt}): the implicit function theorem gives no finite dt*/dp",
                    part.name(),
                    part.name()
                ))));
            }
            let dt_dp = dps
                .iter()
                .map(|dp| -dpart(y.dotc(&(dp * x))) / dt)
                .collect();
            Ok(Some(EventSensitivity {
                event: index,
                t,
                dt_dp: Ok(dt_dp),
                coupling: Vec::new(),
            }))
        }
        Event::Crossing { slopes, .. } => {
            let idx = nearest(e.values(), value, 2);
            let xc = crate::eigen::clusters::columns(e.right(), &idx);
            let yc = crate::eigen::clusters::columns(e.left(), &idx);
            // restriction of a matrix to the pair's invariant subspace
            let Some(ginv) = (yc.adjoint() * &xc).try_inverse() else {
                return Ok(Some(ill(format!(
                    "the eigenvectors of the crossing at t = {t} are not independent"
                ))));
            };
            let restrict = |m: &DMatrix<Complex64>| &ginv * yc.adjoint() * m * &xc;
            let mt = eig(&restrict(&da)).map_err(|e| e.at(t))?;
            let mu = mt.values();
            // branch a has slopes[0]: pick the slope eigenvalue nearest to it
            let a = nearest(mu, slopes[0], 1)[0];
            let b = 1 - a;
            let dmu = mu[a] - mu[b];
            let tiny = 1e-12 * (mu[a].norm() + mu[b].norm());
            if dmu.norm().is_nan() || dmu.norm() <= tiny {
                return Ok(Some(ill(format!(
                    "the branches cross with equal slopes at t = {t}: the implicit function \
                     theorem gives no finite dt*/dp"
                ))));
            }
            let (w, v) = (mt.right(), mt.left());
            let mut dt_dp = Vec::with_capacity(dps.len());
            let mut coupling = Vec::with_capacity(dps.len());
            for dp in &dps {
                let mk = restrict(dp);
                let d = |r: usize, c: usize| v.column(r).dotc(&(&mk * w.column(c)));
                let dd = d(a, a) - d(b, b);
                dt_dp.push(-(dmu.conj() * dd).re / dmu.norm_sqr());
                let scale = dp.norm().max(f64::MIN_POSITIVE);
                coupling.push((d(a, b).norm() + d(b, a).norm()) / scale);
            }
            Ok(Some(EventSensitivity {
                event: index,
                t,
                dt_dp: Ok(dt_dp),
                coupling,
            }))
        }
        _ => Ok(None),
    }
}

/// Run `job` on every parameter vector of `params` in parallel (rayon's global pool)
/// and return the results in input order.
///
/// `progress`, when given, is called as `progress(done, total)` after each job finishes
/// (from the worker threads, so `done` arrives in completion order, the last call is
/// `(total, total)` when every job ran).
///
/// # Errors
/// The first error in input order, as [`Error::Sweep`] with its index and parameter
/// vector. Once a job failed, jobs later in the input are skipped; every earlier one
/// still runs, so the reported error is the same however the work was scheduled.
///
/// ```
/// use eigentrack::sensitivity::sweep;
/// use eigentrack::{eig, Error};
/// use nalgebra::DMatrix;
///
/// let params: Vec<Vec<f64>> = (0..8).map(|k| vec![k as f64]).collect();
/// let out = sweep(&params, |p| Ok(eig(&DMatrix::from_element(1, 1, p[0]))?.values()[0].re), None)?;
/// assert_eq!(out, (0..8).map(|k| k as f64).collect::<Vec<_>>());
///
/// let bad = vec![vec![1.0], vec![f64::NAN], vec![2.0]];
/// match sweep(&bad, |p| Ok(eig(&DMatrix::from_element(1, 1, p[0]))?.values()[0].re), None) {
///     Err(Error::Sweep { index, .. }) => assert_eq!(index, 1),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), eigentrack::Error>(())
/// ```
pub fn sweep<R, J>(
    params: &[Vec<f64>],
    job: J,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<Vec<R>>
where
    R: Send,
    J: Fn(&[f64]) -> Result<R> + Sync,
{
    let total = params.len();
    let first_err = AtomicUsize::new(usize::MAX);
    let done = AtomicUsize::new(0);
    let results: Vec<Option<Result<R>>> = params
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
            if i > first_err.load(Ordering::Relaxed) {
                return None;
            }
            let r = job(p);
            if r.is_err() {
                first_err.fetch_min(i, Ordering::Relaxed);
            }
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(cb) = progress {
                cb(d, total);
            }
            Some(r)
        })
        .collect();
    let mut out = Vec::with_capacity(total);
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Some(Ok(v)) => out.push(v),
            Some(Err(e)) => {
                return Err(Error::Sweep {
                    index: i,
                    params: params[i].clone(),
                    source: Box::new(e),
                })
            }
            None => unreachable!("jobs are only skipped after an earlier error"),
        }
    }
    Ok(out)
}

/// [`sensitivities`] for every parameter vector, in parallel, in input order (see
/// [`sweep`] for `progress` and errors).
///
/// ```
/// use eigentrack::sensitivity::{sweep_sensitivities, Parametric};
/// use eigentrack::Tracker;
/// use nalgebra::DMatrix;
///
/// let fam = Parametric::new(1, |t: f64, p: &[f64]| {
///     DMatrix::from_row_slice(2, 2, &[p[0] * t, 0.0, 0.0, 1.0 - t])
/// });
/// let ks: Vec<Vec<f64>> = (1..=4).map(|k| vec![k as f64]).collect();
/// let all = sweep_sensitivities(&Tracker::new().samples(11)?, &fam, &ks, 0.0..=1.0, None)?;
/// for (s, k) in all.iter().zip(1..=4) {
///     let t_star = 1.0 / (1.0 + k as f64);
///     assert!((s.events()[0].t() - t_star).abs() < 1e-12);
/// }
/// # Ok::<(), eigentrack::Error>(())
/// ```
pub fn sweep_sensitivities<F: ParametricFamily + Sync>(
    tracker: &Tracker,
    family: &F,
    params: &[Vec<f64>],
    range: RangeInclusive<f64>,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<Vec<Sensitivities>> {
    sweep(
        params,
        |p| sensitivities(tracker, family, p, range.clone()),
        progress,
    )
}

/// Track `family` at every parameter vector, in parallel, in input order (see [`sweep`]
/// for `progress` and errors). Parameter vectors of the wrong length are errors.
///
/// ```
/// use eigentrack::sensitivity::{sweep_tracks, Parametric};
/// use eigentrack::Tracker;
/// use nalgebra::DMatrix;
///
/// let fam = Parametric::new(1, |t: f64, p: &[f64]| DMatrix::from_element(1, 1, p[0] * t));
/// let ps = vec![vec![1.0], vec![2.0]];
/// let tr = sweep_tracks(&Tracker::new().samples(5)?, &fam, &ps, 0.0..=1.0, None)?;
/// assert_eq!(tr[1].branches()[0].values()[4].re, 2.0);
/// # Ok::<(), eigentrack::Error>(())
/// ```
pub fn sweep_tracks<F: ParametricFamily + Sync>(
    tracker: &Tracker,
    family: &F,
    params: &[Vec<f64>],
    range: RangeInclusive<f64>,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<Vec<Tracking>> {
    sweep(
        params,
        |p| {
            check_params(family.n_params(), p)?;
            tracker.track_family(&family.at(p), range.clone())
        },
        progress,
    )
}

/// ∂A/∂p_k for k = 0 … m − 1 by central differences of `value(p)` with the step
/// h_k = ε^{1/3}·max(1, |p_k|) (the divisor is the representable (p_k + h) − (p_k − h)):
/// the default of [`ParametricFamily::param_derivatives`], for implementations that
/// override it only in some cases. The error is O(h²)·‖∂³A/∂p³‖ plus rounding
/// O(ε/h)·‖A‖, about ε^{2/3} relative.
///
/// ```
/// use eigentrack::sensitivity::finite_difference_params;
/// use nalgebra::DMatrix;
///
/// // A(p) = [[p₀², p₁], [p₁, 0]]: ∂A/∂p₀ = [[2p₀, 0], [0, 0]], ∂A/∂p₁ = [[0, 1], [1, 0]]
/// let a = |p: &[f64]| DMatrix::from_row_slice(2, 2, &[p[0] * p[0], p[1], p[1], 0.0]);
/// let d = finite_difference_params(a, &[3.0, -1.0]);
/// assert!((d[0][(0, 0)] - 6.0).abs() < 1e-8 && d[0][(0, 1)].abs() < 1e-8);
/// assert!((d[1][(0, 1)] - 1.0).abs() < 1e-8);
/// ```
pub fn finite_difference_params<T: Element>(
    value: impl Fn(&[f64]) -> DMatrix<T>,
    p: &[f64],
) -> Vec<DMatrix<T>> {
    let mut q = p.to_vec();
    (0..p.len())
        .map(|k| {
            let h = f64::EPSILON.cbrt() * p[k].abs().max(1.0);
            q[k] = p[k] + h;
            let up = value(&q);
            q[k] = p[k] - h;
            let down = value(&q);
            q[k] = p[k];
            let d = 1.0 / ((p[k] + h) - (p[k] - h));
            DMatrix::from_fn(up.nrows(), up.ncols(), |i, j| {
                T::from_c64((up[(i, j)].to_c64() - down[(i, j)].to_c64()) * d)
            })
        })
        .collect()
}
