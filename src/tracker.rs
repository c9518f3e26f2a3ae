//! The [`Tracker`] builder and its step controller.
//!
//! # Algorithm
//!
//! 1. At the first sample A(t₀) is decomposed ([`eig_with`](crate::eig_with())); groups of
//!    equal eigenvalues get their analytic basis (see the crate docs); branch k
//!    starts as eigenpair k in ascending (Re, Im) order.
//! 2. A step t → t + h predicts λ̂ = λ + hλ′ + h²/2 λ″, decomposes A(t + h) and pairs the
//!    branches with the new eigenpairs by an optimal assignment on eigenvector overlap and
//!    eigenvalue distance (see the `matching` module docs).
//! 3. What the pairing leaves in question — uncertain branches, pairs that exchange
//!    order, neighbours within the crossing tolerance, gap minima that may be sharper
//!    than the grid, two complex eigenvalues passing close — is answered on *local
//!    models* (module `local`, [`Resolution::Local`], the default): the group of branches
//!    concerned is projected onto the span of its eigenvectors at both ends, O(n²k) work,
//!    and every located closest approach is certified on the true A(t*) by a residual
//!    bound. A gap certified below [`gap_tol`](Tracker::gap_tol)·‖A‖_F is a crossing,
//!    one certified above it an avoided crossing. Only a failed certificate costs a fresh
//!    decomposition: the step is halved ([`Stats::fallbacks`]); easy steps double it up
//!    to `h_max`. At `h_min` the step is accepted with the best assignment and recorded
//!    as an [`Event::Unresolved`](crate::Event::Unresolved) (or an
//!    [`Event::ExceptionalPoint`](crate::Event::ExceptionalPoint) when the uncertain pair
//!    is coalescing with a large condition number); across such a step the uncertain
//!    branches are paired in ascending (Re, Im) order on both sides.
//!
//!    [`Resolution::Refine`], the first version's path, answers the same questions with
//!    fresh decompositions instead: an uncertain pairing halves the step, and an exchange
//!    of two real branches must be confirmed by up to three Newton steps on
//!    Re(λₐ − λ_b) bringing the gap below gap_tol × ‖A‖_F, else the step
//!    is halved ([`Stats::crossing_checks`]).
//! 4. Crossings and avoided crossings come with the local answers; exceptional points,
//!    level crossings and (under `Refine`) avoided crossings are located on fresh
//!    decompositions (module `events`).
//! 5. A defective group that stays coalesced over a step (a Jordan block for a whole
//!    interval) takes the slope of the group's mean, tr((WᴴV)⁻¹WᴴA′V)/m.
//! 6. Steps always land on the samples, so values at the samples are the eigenvalues of
//!    A(sample) to working precision, whatever the internal steps were.

use crate::eigen::{canonical_order, eig_with, Element, HermitianMode};
use crate::error::{in_open_unit, invalid, Error, Result};
use crate::events;
use crate::events::EventScan;
use crate::family::MatrixFamily;
use crate::local;
use crate::matching::{self, MatchParams};
use crate::perturb::{self, Derivs, Point};
use crate::tracking::{Branch, Level, Part, Stats, Tracking};
use nalgebra::{DMatrix, DVector};
use num_complex::Complex64;
use std::ops::ControlFlow;
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::Instant;

/// How branches continue through an avoided crossing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CrossingPolicy {
    /// Follow the analytic eigenvalue curves: at an avoided crossing each branch stays on
    /// its side of the gap (the adiabatic curves of quantum mechanics). The default.
    #[default]
    Adiabatic,
    /// Follow eigenvector character: at each located avoided crossing the two branches
    /// exchange their continuations (the diabatic curves).
    Diabatic,
}

/// What a [`Tracker::progress`] callback sees after every accepted step.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// Fraction of the range done, in [0, 1] (the distance from the first sample to `t`
    /// over the length of the range).
    pub fraction: f64,
    /// The parameter reached.
    pub t: f64,
    /// The statistics so far (decompositions, local models, fallbacks, …).
    pub stats: &'a Stats,
}

/// The signature of a progress callback.
type ProgressCallback = dyn Fn(&Progress<'_>) -> ControlFlow<()> + Send + Sync;

/// A progress callback, shared by the clones of a [`Tracker`].
#[derive(Clone)]
struct ProgressFn(Arc<ProgressCallback>);

impl std::fmt::Debug for ProgressFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressFn")
    }
}

/// How a step answers the questions its pairing leaves about a few branches (a pair
/// that exchanges order, a pairing that is not certain, two eigenvalues that pass close).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Resolution {
    /// The default: local models of the branches in question (their projected family,
    /// O(n²k) per group of k branches, with a residual certificate on the true A(t*)); a
    /// fresh decomposition only where a certificate fails ([`Stats::fallbacks`]). Gaps are
    /// certified down to [`gap_tol`](Tracker::gap_tol); avoided crossings are events when
    /// sharp or below [`avoided_gap_max`](Tracker::avoided_gap_max).
    #[default]
    Local,
    /// The first version's path, kept for comparison: the step is halved until every
    /// pairing is certain, and an exchange of two branches must be confirmed as a
    /// crossing by Newton on fresh decompositions (a gap below gap_tol·‖A‖_F is a
    /// crossing; every avoided crossing is an event). Costs 2–50 decompositions per
    /// avoided crossing on realistic spectra.
    Refine,
}

/// Builder for a track; every option has a documented default and is validated when set.
///
/// | option | default |
/// | --- | --- |
/// | [`samples`](Self::samples) | 201 uniform samples, both ends included |
/// | [`hermitian`](Self::hermitian) | [`HermitianMode::Auto`] (per matrix, within [`HERMITIAN_TOL`](crate::eigen::HERMITIAN_TOL)) |
/// | [`policy`](Self::policy) | [`CrossingPolicy::Adiabatic`] |
/// | [`level`](Self::level) | none |
/// | [`h_min`](Self::h_min) | 1e-12 · \|b − a\| |
/// | [`h_max`](Self::h_max) | \|b − a\| (steps also stop at every sample) |
/// | [`keep_vectors`](Self::keep_vectors) | false |
/// | [`curvatures`](Self::curvatures) | true |
/// | [`locate_events`](Self::locate_events) | true |
/// | [`cluster_tol`](Self::cluster_tol) | 1e-10 (relative to ‖A‖_F) |
/// | [`min_overlap`](Self::min_overlap) | 0.5 |
/// | [`prediction_ratio`](Self::prediction_ratio) | 0.5 |
/// | [`resolution`](Self::resolution) | [`Resolution::Local`] |
/// | [`gap_tol`](Self::gap_tol) | [`GAP_TOL`] = 256·ε (relative to ‖A‖_F) |
/// | [`avoided_gap_max`](Self::avoided_gap_max) | 0 (only sharp avoided crossings are events) |
/// | [`max_decompositions`](Self::max_decompositions) | 64 per sample + 1024 |
///
/// Derivatives: the family's [`jet`](MatrixFamily::jet) gives A′ and A″; for a plain
/// closure that is [`finite_difference_jet`](crate::finite_difference_jet) (relative
/// error ≈ 4e-11 in A′ and 1.5e-8 in A″); use [`WithDerivative`](crate::WithDerivative),
/// [`WithDerivatives`](crate::WithDerivatives) or [`Polynomial`](crate::Polynomial) for
/// exact ones.
///
/// ```
/// use eigentrack::{Tracker, Part, nalgebra::DMatrix};
///
/// // a damped oscillator ẍ + 2ζẋ + x = 0 in first-order form, ζ from −0.5 to 0.5
/// let tr = Tracker::new()
///     .samples(51)?
///     .level(Part::Re, 0.0)?
///     .track(|z: f64| DMatrix::from_row_slice(2, 2, &[0.0, 1.0, -1.0, -2.0 * z]), -0.5..=0.5)?;
/// let hopf: Vec<_> = tr.events().iter().filter(|e| e.kind() == "level").collect();
/// assert_eq!(hopf.len(), 2); // the conjugate pair crosses Re λ = 0 at ζ = 0
/// assert!(hopf[0].t().abs() < 1e-12);
/// # Ok::<(), eigentrack::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Tracker {
    samples: usize,
    hermitian: HermitianMode,
    policy: CrossingPolicy,
    levels: Vec<Level>,
    h_min: f64,
    h_max: f64,
    keep_vectors: bool,
    curvatures: bool,
    locate_events: bool,
    cluster_tol: f64,
    min_overlap: f64,
    prediction_ratio: f64,
    gap_tol: f64,
    avoided_gap_max: f64,
    resolution: Resolution,
    progress: Option<ProgressFn>,
    shuffle: Option<u64>,
    max_decompositions: Option<usize>,
}

/// Default crossing tolerance, relative to ‖A(t)‖_F: 256·ε ≈ 5.7·10⁻¹⁴, a small multiple of
/// the precision of the computed eigenvalues. Two branches whose certified gap lies below
/// `gap_tol · ‖A‖_F` cross; above it they avoid each other.
pub const GAP_TOL: f64 = 256.0 * f64::EPSILON;

/// Default work budget: decompositions per sample of the grid …
const BUDGET_PER_SAMPLE: usize = 64;
/// … plus a fixed allowance (the events' share).
const BUDGET_ALLOWANCE: usize = 1024;
/// Evaluations of A(t) or A′(t) alone (the local certificates) that count as one
/// decomposition against the budget.
const EVALUATIONS_PER_DECOMPOSITION: usize = 8;

/// The largest representable distance |b − a| (f64::MAX where it overflows).
fn distance(a: f64, b: f64) -> f64 {
    let d = (b - a).abs();
    if d.is_finite() {
        d
    } else {
        f64::MAX
    }
}

impl Default for Tracker {
    fn default() -> Self {
        Tracker {
            samples: 201,
            hermitian: HermitianMode::Auto,
            policy: CrossingPolicy::Adiabatic,
            levels: Vec::new(),
            h_min: 1e-12,
            h_max: 1.0,
            keep_vectors: false,
            curvatures: true,
            locate_events: true,
            cluster_tol: 1e-10,
            min_overlap: 0.5,
            prediction_ratio: 0.5,
            gap_tol: GAP_TOL,
            avoided_gap_max: 0.0,
            resolution: Resolution::Local,
            progress: None,
            shuffle: None,
            max_decompositions: None,
        }
    }
}

impl Tracker {
    /// A tracker with the defaults of the table above.
    pub fn new() -> Self {
        Self::default()
    }
    /// A windowed track of a large sparse family: the `k` eigenvalues nearest the target
    /// `sigma` (real or complex), by shift-invert on a sparse LU factorisation — see
    /// [`sparse::Nearest`](crate::sparse::Nearest), which this returns with this tracker's
    /// samples, `min_overlap`, `prediction_ratio` and `cluster_tol`. For the smallest
    /// magnitude use σ = 0. Errors: k = 0 or σ not finite ([`Error::InvalidArgument`]).
    ///
    /// ```
    /// use eigentrack::{Tracker, sparse::SparseTerms};
    /// use nalgebra_sparse::{CooMatrix, CscMatrix};
    ///
    /// let mut d = CooMatrix::new(10, 10);
    /// for i in 0..10 { d.push(i, i, i as f64); }
    /// // A(t) = (1 + t)·diag(0, 1, …, 9): the 3 eigenvalues nearest 0
    /// let fam = SparseTerms::new(10).term(CscMatrix::from(&d), |t| t + 1.0)?;
    /// let tr = Tracker::new().samples(11)?.nearest(3, 0.0)?.track(&fam, 0.0..=1.0)?;
    /// let w = tr.window(10); // (branch, Re λ), nearest σ first
    /// assert_eq!(w.iter().map(|b| b.0).collect::<Vec<_>>(), vec![0, 1, 2]);
    /// assert!(w[0].1.abs() < 1e-12 && (w[2].1 - 4.0).abs() < 1e-12);
    /// # Ok::<(), eigentrack::Error>(())
    /// ```
    pub fn nearest(&self, k: usize, sigma: impl Into<Complex64>) -> Result<crate::sparse::Nearest> {
        self.window_options(crate::sparse::Nearest::new(k, sigma)?)
    }
    /// The builder of a windowed sparse track of the `k` eigenvalues with the largest real
    /// part, with this tracker's sample count and pairing options: see
    /// [`Nearest::largest_real`](crate::sparse::Nearest::largest_real).
    pub fn largest_real(&self, k: usize) -> Result<crate::sparse::Nearest> {
        self.window_options(crate::sparse::Nearest::largest_real(k)?)
    }
    /// This tracker's sample count and pairing options on a window builder.
    fn window_options(&self, n: crate::sparse::Nearest) -> Result<crate::sparse::Nearest> {
        n.samples(self.samples)?
            .min_overlap(self.min_overlap)?
            .prediction_ratio(self.prediction_ratio)?
            .cluster_tol(self.cluster_tol)
    }
    /// Number of uniform samples over the range, both ends included (≥ 2; a range with
    /// a == b always gives one sample).
    pub fn samples(mut self, n: usize) -> Result<Self> {
        if n < 2 {
            return Err(invalid(
                "samples",
                format!("need at least 2 samples, got {n}"),
            ));
        }
        self.samples = n;
        Ok(self)
    }
    /// Hermitian path: auto (default), always, never.
    pub fn hermitian(mut self, mode: HermitianMode) -> Self {
        self.hermitian = mode;
        self
    }
    /// Crossing policy at avoided crossings (default adiabatic). The diabatic policy
    /// exchanges the branches at each located avoided crossing, so it always locates
    /// events (see [`locate_events`](Self::locate_events)).
    pub fn policy(mut self, policy: CrossingPolicy) -> Self {
        self.policy = policy;
        self
    }
    /// Watch `part(λ) = value` on every branch and report [`Event::Level`](crate::Event::Level) where it is
    /// crossed (e.g. `Part::Re, 0.0` for a stability change). May be called repeatedly.
    pub fn level(mut self, part: Part, value: f64) -> Result<Self> {
        if !value.is_finite() {
            return Err(invalid(
                "level",
                format!("level must be finite, got {value}"),
            ));
        }
        self.levels.push(Level { part, value });
        Ok(self)
    }
    /// Smallest step, relative to |b − a| (default 1e-12, valid 1e-15 … 0.1). The step is
    /// never below 8ε·max(|a|, |b|), where t + h would not move t.
    pub fn h_min(mut self, h: f64) -> Result<Self> {
        if !(1e-15..=0.1).contains(&h) {
            return Err(invalid(
                "h_min",
                format!("must be in [1e-15, 0.1], got {h}"),
            ));
        }
        self.h_min = h;
        Ok(self)
    }
    /// Largest step, relative to |b − a| (default 1, valid (h_min, 1]).
    pub fn h_max(mut self, h: f64) -> Result<Self> {
        if !(h > self.h_min && h <= 1.0) {
            return Err(invalid(
                "h_max",
                format!("must be in (h_min = {}, 1], got {h}", self.h_min),
            ));
        }
        self.h_max = h;
        Ok(self)
    }
    /// Keep unit right and biorthonormal left eigenvectors at every sample (default
    /// false; then memory is O(n · samples)).
    pub fn keep_vectors(mut self, keep: bool) -> Self {
        self.keep_vectors = keep;
        self
    }
    /// Compute the curvatures d²λ/dt² at the samples (default true). They cost two more
    /// products of size n per sample (one when A″ = 0); without them
    /// [`Branch::curvatures`](crate::Branch::curvatures) is empty.
    pub fn curvatures(mut self, yes: bool) -> Self {
        self.curvatures = yes;
        self
    }
    /// Detect and locate events (default true). Locating costs a few decompositions per
    /// event; without it only [`Event::Unresolved`](crate::Event::Unresolved) steps are
    /// reported. The diabatic policy needs the located avoided crossings, so with
    /// [`CrossingPolicy::Diabatic`] events are located whatever this says.
    pub fn locate_events(mut self, yes: bool) -> Self {
        self.locate_events = yes;
        self
    }
    /// Eigenvalues closer than `tol · ‖A‖_F` are treated as one degenerate group
    /// (default 1e-10, valid 1e-15 … 1e-3).
    pub fn cluster_tol(mut self, tol: f64) -> Result<Self> {
        if !(1e-15..=1e-3).contains(&tol) {
            return Err(invalid(
                "cluster_tol",
                format!("must be in [1e-15, 1e-3], got {tol}"),
            ));
        }
        self.cluster_tol = tol;
        Ok(self)
    }
    /// Smallest eigenvector overlap |xᵢ(t)ᴴ xᵢ(t+h)| of a certain pairing (default 0.5,
    /// valid (0, 1)).
    pub fn min_overlap(mut self, o: f64) -> Result<Self> {
        self.min_overlap = in_open_unit("min_overlap", o)?;
        Ok(self)
    }
    /// A pairing is certain when the prediction error is at most this fraction of the
    /// distance from the prediction to the nearest competing eigenvalue (default 0.5,
    /// valid (0, 1)).
    pub fn prediction_ratio(mut self, r: f64) -> Result<Self> {
        self.prediction_ratio = in_open_unit("prediction_ratio", r)?;
        Ok(self)
    }
    /// Crossing tolerance relative to ‖A(t)‖_F (default [`GAP_TOL`] = 256·ε, valid
    /// [ε, 0.1]): two branches whose gap, certified on a local model (or read from a
    /// decomposition), lies below `g · ‖A‖_F` cross — they pass through each other, as
    /// diabatic states do — and above it they avoid each other. The default sits at
    /// numerical resolution: a gap of 10⁻⁹·‖A‖ is resolved by seven orders of magnitude and
    /// is an avoided crossing. Raise it to pass narrow gaps diabatically.
    ///
    /// ```
    /// use eigentrack::{Tracker, nalgebra::DMatrix};
    ///
    /// let g = 1e-9; // gap 2g at t = 0, ‖A‖_F ≈ √2
    /// let a = move |t: f64| DMatrix::from_row_slice(2, 2, &[1.0 + t, g, g, 1.0 - t]);
    /// let local = Tracker::new().samples(20)?;
    /// let adiabatic = local.clone().track(a, -1.0..=1.0)?;
    /// assert!((adiabatic.branches()[0].values()[19].re - 0.0).abs() < 1e-9); // stays below
    /// let gap = adiabatic.events().iter().find(|e| e.kind() == "avoided_crossing");
    /// assert!(gap.is_some_and(|e| e.t().abs() < 1e-6)); // sharp: reported
    /// let passed = local.gap_tol(1e-8)?.track(a, -1.0..=1.0)?;
    /// assert!((passed.branches()[0].values()[19].re - 2.0).abs() < 1e-9); // λ = 1 + t
    /// # Ok::<(), eigentrack::Error>(())
    /// ```
    pub fn gap_tol(mut self, g: f64) -> Result<Self> {
        if !(f64::EPSILON..=0.1).contains(&g) {
            return Err(invalid(
                "gap_tol",
                format!("must be in [2.2e-16, 0.1], got {g}"),
            ));
        }
        self.gap_tol = g;
        Ok(self)
    }
    /// Report every avoided crossing whose gap is below `g · ‖A‖_F` (default 0, valid
    /// [0, ∞)). Whatever this says, the *sharp* ones are reported — narrower than the
    /// grid can show, gap < |Δslope| × sample spacing, with Δslope the diabatic slope
    /// difference — and every avoided crossing seen is counted in
    /// [`Stats::avoided_crossings`]. Dense spectra have hundreds of broad ones that the
    /// curves themselves show. `f64::INFINITY` reports them all.
    pub fn avoided_gap_max(mut self, g: f64) -> Result<Self> {
        if g.is_nan() || g < 0.0 {
            return Err(invalid("avoided_gap_max", format!("must be ≥ 0, got {g}")));
        }
        self.avoided_gap_max = g;
        Ok(self)
    }
    /// Call `f` after every accepted step with the fraction done, the t reached and the
    /// statistics so far (default: none). Returning `ControlFlow::Break(())` stops the
    /// track with [`Error::Interrupted`] naming the t reached: a user interface can show
    /// progress and offer to stop, a binding can check for Ctrl-C.
    ///
    /// ```
    /// use eigentrack::{Error, Progress, Tracker, nalgebra::DMatrix};
    /// use std::ops::ControlFlow;
    ///
    /// let a = |t: f64| DMatrix::from_row_slice(2, 2, &[t, 1.0, 1.0, -t]);
    /// // stop half-way
    /// let stop = |p: &Progress| if p.fraction >= 0.5 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) };
    /// let err = Tracker::new().samples(11)?.progress(stop).track(a, 0.0..=1.0).unwrap_err();
    /// assert!(matches!(err, Error::Interrupted { t } if (t - 0.5).abs() < 1e-12));
    /// # Ok::<(), eigentrack::Error>(())
    /// ```
    pub fn progress(
        mut self,
        f: impl Fn(&Progress<'_>) -> ControlFlow<()> + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(ProgressFn(Arc::new(f)));
        self
    }
    /// How questions about a few branches are answered (default [`Resolution::Local`]).
    pub fn resolution(mut self, r: Resolution) -> Self {
        self.resolution = r;
        self
    }
    /// The work budget: at most `n` eigen-decompositions per track (valid n ≥ 1).
    ///
    /// Every decomposition counts — the steps, the steps halved where a pairing is in
    /// question, the fallbacks of the local models, the ones that locate events — and an
    /// evaluation of A(t) or A′(t) alone (a local model's certificate) counts as 1/8 of
    /// one. The default is 64 per sample plus 1024 (the events' share), e.g. 13,888 for
    /// the default 201 samples; ordinary tracks use 1–3 per sample. When the budget is
    /// spent the track ends with [`Error::Budget`] naming the t reached: families that
    /// would otherwise need unbounded work (a range of 10⁵ periods of an oscillation with
    /// few samples, a step controller stuck at the smallest step) end in bounded time.
    /// [`Stats::budget`] and [`Stats::budget_used`] show the budget and its use.
    ///
    /// ```
    /// use eigentrack::{Error, Tracker, nalgebra::DMatrix};
    ///
    /// let a = |t: f64| {
    ///     let (s, c) = (t.sin(), (3.0 * t).cos());
    ///     DMatrix::from_row_slice(3, 3, &[s, c, 0.0, c, 2.0 * s, c, 0.0, c, 3.0 * s])
    /// };
    /// let tr = Tracker::new().samples(11)?.track(a, 0.0..=1.0)?;
    /// assert_eq!(tr.stats().budget, 64 * 11 + 1024); // the default
    /// assert!(tr.stats().budget_used <= tr.stats().budget);
    ///
    /// // 10⁵ periods between samples cannot be resolved: the budget ends the track
    /// let err = Tracker::new().samples(11)?.max_decompositions(100)?.track(a, 0.0..=1e6).unwrap_err();
    /// assert!(matches!(err, Error::Budget { budget: 100, .. }));
    /// # Ok::<(), eigentrack::Error>(())
    /// ```
    pub fn max_decompositions(mut self, n: usize) -> Result<Self> {
        if n == 0 {
            return Err(invalid(
                "max_decompositions",
                "must be at least 1 (the first sample is one decomposition)".into(),
            ));
        }
        self.max_decompositions = Some(n);
        Ok(self)
    }
    /// Test hook: shuffle the order of every decomposition's eigenpairs with this seed
    /// (the result must not change).
    #[doc(hidden)]
    pub fn shuffle_decompositions(mut self, seed: u64) -> Self {
        self.shuffle = Some(seed);
        self
    }

    /// Track the closure `f` over `range` (b < a tracks backwards).
    pub fn track<T: Element, F: Fn(f64) -> DMatrix<T>>(
        &self,
        f: F,
        range: RangeInclusive<f64>,
    ) -> Result<Tracking> {
        self.track_family(&f, range)
    }

    /// Track a [`MatrixFamily`] over `range` on the uniform sample grid.
    pub fn track_family<F: MatrixFamily + ?Sized>(
        &self,
        family: &F,
        range: RangeInclusive<f64>,
    ) -> Result<Tracking> {
        let (a, b) = (*range.start(), *range.end());
        if !a.is_finite() || !b.is_finite() {
            return Err(invalid(
                "range",
                format!("ends must be finite, got {a}..={b}"),
            ));
        }
        let grid: Vec<f64> = if a == b {
            vec![a]
        } else {
            let m = self.samples - 1;
            // b − a may overflow (a range like [-1e308, 1e308]): then in halves
            let wide = !(b - a).is_finite();
            (0..=m)
                .map(|k| {
                    let s = k as f64 / m as f64;
                    if k == m {
                        b
                    } else if wide {
                        2.0 * (0.5 * a + (0.5 * b - 0.5 * a) * s)
                    } else {
                        a + (b - a) * s
                    }
                })
                .collect()
        };
        self.run(family, &grid)
    }

    /// Track a [`MatrixFamily`] and report it on the user's grid (strictly increasing or
    /// strictly decreasing, finite, at least one point).
    pub fn track_family_on<F: MatrixFamily + ?Sized>(
        &self,
        family: &F,
        grid: &[f64],
    ) -> Result<Tracking> {
        if grid.is_empty() {
            return Err(invalid("grid", "the sample grid is empty".into()));
        }
        if let Some(k) = grid.iter().position(|t| !t.is_finite()) {
            return Err(invalid("grid", format!("sample {k} is {}", grid[k])));
        }
        if grid.len() > 1 {
            let dir = (grid[1] - grid[0]).signum();
            for k in 1..grid.len() {
                if (grid[k] - grid[k - 1]).signum() != dir || grid[k] == grid[k - 1] {
                    return Err(invalid(
                        "grid",
                        format!("not strictly monotone at sample {k} (t = {})", grid[k]),
                    ));
                }
            }
        }
        self.run(family, grid)
    }

    fn run<F: MatrixFamily + ?Sized>(&self, family: &F, grid: &[f64]) -> Result<Tracking> {
        let start = Instant::now();
        let span = distance(grid[0], grid[grid.len() - 1]);
        let budget = self.max_decompositions.unwrap_or_else(|| {
            BUDGET_PER_SAMPLE
                .saturating_mul(grid.len())
                .saturating_add(BUDGET_ALLOWANCE)
        });
        let mut ctx = Ctx {
            family,
            tracker: self,
            stats: Stats {
                budget,
                ..Stats::default()
            },
            n: None,
            span,
            evaluations: 0,
            reached: grid[0],
            balance: None,
        };
        // a badly scaled non-Hermitian family (first-order systems of FE codes) is followed
        // as D⁻¹A(t)D, D from balancing A(t₀): local models, certificates and tolerances
        // then all live where the rounding of the eigenvalues does
        if self.hermitian != HermitianMode::Yes {
            let a0 = family.try_value(grid[0])?;
            let hermitian =
                self.hermitian == HermitianMode::Auto && crate::eigen::is_hermitian(&a0);
            if !hermitian && a0.is_square() && a0.iter().all(|x| x.non_finite().is_none()) {
                ctx.balance = crate::eigen::balance::track_scaling(&a0);
            }
        }
        let p0 = ctx.point(
            grid[0],
            if self.curvatures {
                Derivs::Full
            } else {
                Derivs::Slopes
            },
        )?;
        let order = canonical_order(&p0.values, 1e-12 * p0.scale);
        let mut station = p0.permuted(&order);
        let n = station.len();
        let mut out = Recorder::new(n, grid.len(), self.keep_vectors, self.curvatures);
        out.record(&station, ctx.balance.as_deref());
        let params = MatchParams {
            min_overlap: self.min_overlap,
            prediction_ratio: self.prediction_ratio,
        };
        // a step shorter than a few units in the last place of t would not move t
        let t_big = grid[0].abs().max(grid[grid.len() - 1].abs());
        let h_min = (self.h_min * span)
            .max(8.0 * f64::EPSILON * t_big)
            .min(span);
        let h_max = (self.h_max * span).max(h_min);
        let mut h_try = if grid.len() > 1 {
            distance(grid[0], grid[1])
        } else {
            span
        };
        let local_mode = self.resolution == Resolution::Local;
        let mut scan = EventScan::new(
            self.levels.clone(),
            local_mode.then_some(self.gap_tol),
            self.gap_tol,
            if self.policy == CrossingPolicy::Diabatic {
                f64::INFINITY
            } else {
                self.avoided_gap_max
            },
            span,
        );
        let mut previous = grid[0];
        for &target in &grid[1..] {
            let dir = (target - station.t).signum();
            let local_params = local::Params {
                gap_tol: self.gap_tol,
                spacing: (target - previous).abs(),
                avoided_gap_max: if self.policy == CrossingPolicy::Diabatic {
                    f64::INFINITY
                } else {
                    self.avoided_gap_max
                },
                events: self.locate_events || self.policy == CrossingPolicy::Diabatic,
            };
            previous = target;
            while station.t != target {
                // h ≤ remaining ≤ the true distance, so t + h lies between t and target
                let remaining = distance(station.t, target);
                let h = h_try.min(remaining);
                let clipped = h < h_try;
                let t_new = if h >= remaining * (1.0 - 1e-12) {
                    target
                } else {
                    station.t + dir * h
                };
                let derivs = if self.curvatures && t_new == target {
                    Derivs::Full
                } else {
                    Derivs::Deferred
                };
                let (next, uncertain, outcome) = if self.resolution == Resolution::Refine {
                    let mut cand = ctx.point(t_new, derivs)?;
                    let tm = Instant::now();
                    let pairing = matching::pair(&station, &cand, &params);
                    let transition = matching::is_pair_transition(&station, &cand, &pairing);
                    if !pairing.uncertain.is_empty() && h > h_min && !transition {
                        ctx.stats.matching_seconds += tm.elapsed().as_secs_f64();
                        ctx.stats.rejected_steps += 1;
                        h_try = (h / 2.0).max(h_min);
                        continue;
                    }
                    // the step is kept unless a swap is not confirmed: now the slopes
                    ctx.stats.matching_seconds += tm.elapsed().as_secs_f64();
                    let ta = Instant::now();
                    cand.complete_slopes();
                    ctx.stats.analysis_seconds += ta.elapsed().as_secs_f64();
                    let tm = Instant::now();
                    let mut perm = pairing.perm;
                    let mut uncertain = pairing.uncertain;
                    if !uncertain.is_empty() {
                        order_uncertain(&station, &cand, &uncertain, &mut perm);
                        if transition {
                            uncertain.clear();
                        } else {
                            ctx.stats.unresolved_steps += 1;
                        }
                    }
                    let next = matching::apply(&station, cand, &perm, self.keep_vectors);
                    let outcome = local::Outcome::default();
                    ctx.stats.matching_seconds += tm.elapsed().as_secs_f64();
                    // two branches that exchange order must really cross: a step that jumped
                    // over an avoided crossing is refined until the gap is resolved (at h_min
                    // the swap is kept and reported as unresolved)
                    if uncertain.is_empty() {
                        let decompositions = ctx.stats.decompositions;
                        let swap =
                            events::unconfirmed_swap(&mut ctx, &station, &next, self.gap_tol)?;
                        ctx.stats.crossing_checks += ctx.stats.decompositions - decompositions;
                        if let Some((a, b)) = swap {
                            if h > h_min {
                                ctx.stats.rejected_steps += 1;
                                h_try = (h / 2.0).max(h_min);
                                continue;
                            }
                            uncertain = vec![a.min(b), a.max(b)];
                            ctx.stats.unresolved_steps += 1;
                        }
                    }
                    (next, uncertain, outcome)
                } else {
                    let mut cand = ctx.point(t_new, derivs)?;
                    let tm = Instant::now();
                    let pairing = matching::pair(&station, &cand, &params);
                    let transition = matching::is_pair_transition(&station, &cand, &pairing);
                    ctx.stats.matching_seconds += tm.elapsed().as_secs_f64();
                    let ta = Instant::now();
                    cand.complete_slopes();
                    ctx.stats.analysis_seconds += ta.elapsed().as_secs_f64();
                    let mut perm = pairing.perm;
                    let mut uncertain = pairing.uncertain;
                    if transition {
                        order_uncertain(&station, &cand, &uncertain, &mut perm);
                        uncertain.clear();
                    }
                    // what is still in question is answered on local models of the few
                    // branches concerned; a certificate that fails halves the step
                    let tl = Instant::now();
                    let sharp = local_params.events.then_some(local_params.spacing);
                    let seeds =
                        local::questions(&station, &cand, &perm, &uncertain, self.gap_tol, sharp);
                    let mut outcome = local::Outcome::default();
                    if !seeds.is_empty() {
                        let answer = match local::groups(&station, &cand, &perm, &seeds) {
                            Some(groups) => local::resolve(
                                &mut ctx,
                                &station,
                                &cand,
                                &mut perm,
                                &groups,
                                &local_params,
                            )?,
                            None => None,
                        };
                        ctx.stats.local_seconds += tl.elapsed().as_secs_f64();
                        match answer {
                            Some(o) => {
                                uncertain.clear();
                                outcome = o;
                            }
                            None if h > h_min => {
                                ctx.stats.fallbacks += 1;
                                ctx.stats.rejected_steps += 1;
                                h_try = (h / 2.0).max(h_min);
                                continue;
                            }
                            None => {
                                // at h_min: the best assignment, uncertain branches in
                                // ascending order on both sides, reported as unresolved
                                if uncertain.is_empty() {
                                    uncertain = seeds.concat();
                                    uncertain.sort_unstable();
                                    uncertain.dedup();
                                }
                                order_uncertain(&station, &cand, &uncertain, &mut perm);
                                ctx.stats.unresolved_steps += 1;
                            }
                        }
                    }
                    ctx.stats.local_models += outcome.models;
                    ctx.stats.certificate_evaluations += outcome.evaluations;
                    ctx.stats.avoided_crossings += outcome.avoided;
                    let tm = Instant::now();
                    let next = matching::apply(&station, cand, &perm, self.keep_vectors);
                    ctx.stats.matching_seconds += tm.elapsed().as_secs_f64();
                    (next, uncertain, outcome)
                };
                // a defective group that stays coalesced over the step is a Jordan block
                // for an interval, not an exceptional point: its members take the slope of
                // the group's mean (at the first sample too)
                let mut next = next;
                for i in 0..n {
                    if let (true, Some(mean)) = (station.defective[i], next.mean_slope[i]) {
                        next.slopes[i] = mean;
                        if out.len() == 1 {
                            if let Some(first) = station.mean_slope[i] {
                                out.set_first_slope(i, first);
                            }
                        }
                    }
                }
                let te = Instant::now();
                if self.locate_events || self.policy == CrossingPolicy::Diabatic {
                    scan.spacing = local_params.spacing;
                    scan.step(&mut ctx, &station, &next, &uncertain, outcome)?;
                } else if !uncertain.is_empty() {
                    scan.unresolved_only(&station, &next, &uncertain);
                }
                ctx.stats.event_seconds += te.elapsed().as_secs_f64();
                station = next;
                ctx.reached = station.t;
                ctx.stats.accepted_steps += 1;
                if let Some(ProgressFn(f)) = &self.progress {
                    let progress = Progress {
                        fraction: if span > 0.0 {
                            ((station.t - grid[0]).abs() / span).min(1.0)
                        } else {
                            1.0
                        },
                        t: station.t,
                        stats: &ctx.stats,
                    };
                    if f(&progress).is_break() {
                        return Err(Error::Interrupted { t: station.t });
                    }
                }
                if !clipped {
                    h_try = (2.0 * h).min(h_max);
                }
            }
            out.record(&station, ctx.balance.as_deref());
        }
        ctx.stats.avoided_crossings += scan.avoided_seen;
        let mut events = scan.finish();
        let dir = if grid.len() > 1 {
            (grid[grid.len() - 1] - grid[0]).signum()
        } else {
            1.0
        };
        events.sort_by(|a, b| {
            (dir * a.t())
                .total_cmp(&(dir * b.t()))
                .then_with(|| a.branches().cmp(&b.branches()))
        });
        let mut branches = out.finish();
        if self.policy == CrossingPolicy::Diabatic {
            events::apply_diabatic(grid, &mut branches, &mut events, dir);
        }
        ctx.stats.budget_used = ctx.used();
        ctx.stats.seconds = start.elapsed().as_secs_f64();
        Ok(Tracking {
            samples: grid.to_vec(),
            branches,
            events,
            stats: ctx.stats,
            real: <F::Elem as Element>::IS_REAL,
        })
    }
}

/// Pair the uncertain branches in ascending (Re, Im) order on both sides.
fn order_uncertain(old: &Point, new: &Point, uncertain: &[usize], perm: &mut [usize]) {
    let old_vals: Vec<Complex64> = uncertain.iter().map(|&i| old.values[i]).collect();
    let targets: Vec<usize> = uncertain.iter().map(|&i| perm[i]).collect();
    let new_vals: Vec<Complex64> = targets.iter().map(|&j| new.values[j]).collect();
    let oo = canonical_order(&old_vals, 1e-12 * old.scale);
    let no = canonical_order(&new_vals, 1e-12 * new.scale);
    for (k, &o) in oo.iter().enumerate() {
        perm[uncertain[o]] = targets[no[k]];
    }
}

/// Track the closure `f` over `range` with the default [`Tracker`].
///
/// `f` returns A(t) as a `DMatrix<f64>` or `DMatrix<Complex64>`. Branch k is eigenpair k in
/// ascending (Re, Im) order at the first sample; values, slopes (dλ/dt) and curvatures
/// come on 201 uniform samples; derivatives of A by finite differences (see [`Tracker`]).
///
/// ```
/// use eigentrack::{track, nalgebra::DMatrix};
///
/// // two eigenvalues, t and e^{t²} − 1, mixed by a rotation R(t/2)
/// let a = |t: f64| {
///     let (s, c) = (t / 2.0).sin_cos();
///     let r = DMatrix::from_row_slice(2, 2, &[c, -s, s, c]);
///     let d = DMatrix::from_diagonal(&nalgebra::DVector::from_vec(vec![t, (t * t).exp() - 1.0]));
///     &r * d * r.transpose()
/// };
/// let tr = track(a, -1.0..=1.5)?;
/// // branch 0 starts as the smaller eigenvalue at t = −1, that is λ = t, and stays λ = t
/// let b0 = &tr.branches()[0];
/// for (t, v) in tr.samples().iter().zip(b0.values()) {
///     assert!((v.re - t).abs() < 1e-12);
/// }
/// assert_eq!(tr.events().iter().filter(|e| e.kind() == "crossing").count(), 2);
/// # Ok::<(), eigentrack::Error>(())
/// ```
pub fn track<T: Element, F: Fn(f64) -> DMatrix<T>>(
    f: F,
    range: RangeInclusive<f64>,
) -> Result<Tracking> {
    Tracker::new().track(f, range)
}

/// Decompositions and bookkeeping of one track: the step controller owns it and lends it to
/// the event locators (`events::Decompose`) and the local models (`local::Evaluate`).
struct Ctx<'a, F: MatrixFamily + ?Sized> {
    family: &'a F,
    tracker: &'a Tracker,
    pub stats: Stats,
    n: Option<usize>,
    pub span: f64,
    /// Evaluations of A or A′ alone (they count 1/8 of a decomposition each).
    evaluations: usize,
    /// The last accepted t (named by [`Error::Budget`]).
    reached: f64,
    /// The diagonal of the balancing D of a badly scaled non-Hermitian family (from
    /// A(t₀)): the track follows D⁻¹A(t)D, the recorded vectors are mapped back.
    balance: Option<Vec<f64>>,
}

impl<F: MatrixFamily + ?Sized> events::Decompose for Ctx<'_, F> {
    fn point(&mut self, t: f64, derivs: Derivs) -> Result<Point> {
        Ctx::point(self, t, derivs)
    }
    fn span(&self) -> f64 {
        self.span
    }
}

impl<F: MatrixFamily + ?Sized> local::Evaluate<F::Elem> for Ctx<'_, F> {
    fn value(&mut self, t: f64) -> Result<DMatrix<F::Elem>> {
        Ctx::value(self, t)
    }
    fn derivative(&mut self, t: f64) -> Result<DMatrix<F::Elem>> {
        Ctx::derivative(self, t)
    }
}

impl<F: MatrixFamily + ?Sized> Ctx<'_, F> {
    /// The work spent, in decompositions (an evaluation of A or A′ alone counts 1/8).
    fn used(&self) -> usize {
        self.stats
            .decompositions
            .saturating_add(self.evaluations / EVALUATIONS_PER_DECOMPOSITION)
    }

    /// Charge `cost` evaluations of A or A′ alone (a decomposition is
    /// [`EVALUATIONS_PER_DECOMPOSITION`]) against the budget, or end the track with
    /// [`Error::Budget`] when it is spent.
    fn charge(&mut self, cost: usize) -> Result<()> {
        let after = self.evaluations.saturating_add(cost);
        let used = self
            .stats
            .decompositions
            .saturating_add(after / EVALUATIONS_PER_DECOMPOSITION);
        if used > self.stats.budget {
            return Err(self.spent());
        }
        self.evaluations = after;
        Ok(())
    }

    /// The budget is spent: record what was used and name the t reached.
    fn spent(&mut self) -> Error {
        self.stats.budget_used = self.used();
        Error::Budget {
            t: self.reached,
            used: self.stats.budget_used,
            budget: self.stats.budget,
        }
    }

    /// A matrix of the family read at t alone, checked for size and finiteness.
    fn checked(&self, m: DMatrix<F::Elem>, t: f64, what: &'static str) -> Result<DMatrix<F::Elem>> {
        if let Some(expected) = self.n {
            if m.shape() != (expected, expected) {
                return Err(Error::SizeChanged {
                    expected,
                    found: m.nrows(),
                    t,
                });
            }
        }
        crate::eigen::check_finite(&m, what).map_err(|e| e.at(t))?;
        Ok(m)
    }

    /// D⁻¹MD where the family is balanced (M itself otherwise).
    fn similar(&self, m: DMatrix<F::Elem>) -> DMatrix<F::Elem> {
        match &self.balance {
            Some(d) if m.nrows() == d.len() && m.ncols() == d.len() => {
                crate::eigen::balance::similar(&m, d)
            }
            _ => m,
        }
    }

    /// A(t) alone (for the local models' certificates), checked for size and finiteness.
    pub fn value(&mut self, t: f64) -> Result<DMatrix<F::Elem>> {
        self.charge(1)?;
        let a = self.checked(self.family.try_value(t)?, t, "A")?;
        Ok(self.similar(a))
    }

    /// A′(t) alone (for the slopes of branches that meet at a crossing a local model
    /// located): exact for families with exact derivatives, finite differences otherwise.
    pub fn derivative(&mut self, t: f64) -> Result<DMatrix<F::Elem>> {
        self.charge(1)?;
        let da = self.checked(self.family.try_jet(t)?.da, t, "A′")?;
        Ok(self.similar(da))
    }

    /// Decompose A(t) and analyse it: cluster bases, and the derivatives `derivs` asks for.
    pub fn point(&mut self, t: f64, derivs: Derivs) -> Result<Point> {
        // every decomposition goes through here: the work budget is checked here
        if self.used() >= self.stats.budget {
            return Err(self.spent());
        }
        let mut jet = self.family.try_jet(t)?;
        if self.balance.is_some() {
            jet.a = self.similar(jet.a);
            jet.da = self.similar(jet.da);
            jet.dda = self.similar(jet.dda);
        }
        let a = &jet.a;
        let found = a.nrows();
        match self.n {
            Some(expected) if expected != found || a.ncols() != found => {
                return Err(Error::SizeChanged { expected, found, t })
            }
            _ => {}
        }
        // A itself is checked (square, non-empty, finite) by the decomposition
        if jet.da.shape() != a.shape() || jet.dda.shape() != a.shape() {
            if !self.family.exact_derivatives() && a.nrows() == a.ncols() {
                // the finite-difference stencil reached a different size: say where
                for s in crate::family::stencil(t) {
                    let other = self.family.try_value(s)?;
                    if other.shape() != a.shape() {
                        return Err(Error::SizeChanged {
                            expected: self.n.unwrap_or(found),
                            found: other.nrows().max(other.ncols()),
                            t: s,
                        });
                    }
                }
            }
            return Err(Error::DimensionMismatch {
                what: "A'(t) or A''(t) against A(t)",
                expected_rows: a.nrows(),
                expected_cols: a.ncols(),
                found_rows: jet.da.nrows(),
                found_cols: jet.da.ncols(),
            });
        }
        let t0 = Instant::now();
        let mut pairs = eig_with(a, self.tracker.hermitian).map_err(|e| e.at(t))?;
        self.stats.decomposition_seconds += t0.elapsed().as_secs_f64();
        self.stats.decompositions += 1;
        crate::eigen::check_finite(&jet.da, "A'").map_err(|e| e.at(t))?;
        crate::eigen::check_finite(&jet.dda, "A''").map_err(|e| e.at(t))?;
        self.n = Some(found);
        if let Some(seed) = self.tracker.shuffle {
            let order = shuffled(pairs.len(), seed ^ t.to_bits());
            pairs = pairs.permuted(&order);
        }
        let t1 = Instant::now();
        let forced = self.tracker.hermitian == HermitianMode::Yes;
        // pairs that meet (gap ≤ gap_tol·‖A‖) are one group at the sample: their basis is
        // the analytic one, whatever the cluster tolerance
        let group_tol = self.tracker.cluster_tol.max(self.tracker.gap_tol);
        let p = perturb::analyze(t, pairs, jet, group_tol, derivs, forced);
        self.stats.analysis_seconds += t1.elapsed().as_secs_f64();
        Ok(p)
    }
}

fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = ((state >> 33) as usize) % (i + 1);
        p.swap(i, j);
    }
    p
}

/// Collects the branch data at the samples.
struct Recorder {
    branches: Vec<Branch>,
    curvatures: bool,
}

impl Recorder {
    fn new(n: usize, samples: usize, keep: bool, curvatures: bool) -> Self {
        let b = Branch {
            values: Vec::with_capacity(samples),
            slopes: Vec::with_capacity(samples),
            curvatures: Vec::with_capacity(samples),
            condition: Vec::with_capacity(samples),
            right: keep.then(|| Vec::with_capacity(samples)),
            left: keep.then(|| Vec::with_capacity(samples)),
        };
        Recorder {
            branches: vec![b; n],
            curvatures,
        }
    }
    /// Record the point; with a balancing D (the track followed D⁻¹A(t)D) the vectors are
    /// those of A: x = Dx_B/‖Dx_B‖, y = D⁻¹y_B·‖Dx_B‖/conj(y_Bᴴx_B) (so that yᴴx = 1), and
    /// κ = ‖x‖‖y‖ is A's, not the balanced matrix's.
    fn record(&mut self, p: &Point, balance: Option<&[f64]>) {
        let y_all = p.y();
        for (k, b) in self.branches.iter_mut().enumerate() {
            b.values.push(p.values[k]);
            b.slopes.push(p.slopes[k]);
            if self.curvatures {
                b.curvatures.push(p.curv[k]);
            }
            let mut x = DVector::from_column_slice(p.x.column(k).as_slice());
            let mut y = DVector::from_column_slice(y_all.column(k).as_slice());
            let mut kappa = p.kappa[k];
            if let Some(d) = balance {
                let s = y.dotc(&x);
                for (i, &di) in d.iter().enumerate() {
                    x[i] *= di;
                    y[i] /= di;
                }
                let nu = x.norm();
                if nu > 0.0 && nu.is_finite() && s.norm() > 0.0 {
                    x.unscale_mut(nu);
                    y *= Complex64::new(nu, 0.0) / s.conj();
                    if kappa.is_finite() {
                        kappa = y.norm();
                    }
                }
            }
            b.condition.push(kappa);
            if let Some(r) = b.right.as_mut() {
                r.push(x);
            }
            if let Some(l) = b.left.as_mut() {
                l.push(y);
            }
        }
    }
    /// Samples recorded so far.
    fn len(&self) -> usize {
        self.branches.first().map_or(0, |b| b.values.len())
    }
    /// Replace the slope of branch k at the first sample.
    fn set_first_slope(&mut self, k: usize, slope: Complex64) {
        self.branches[k].slopes[0] = slope;
    }
    fn finish(self) -> Vec<Branch> {
        self.branches
    }
}
