//! Tracking the k eigenvalues of a sparse A(t) nearest a target σ: the [`Nearest`]
//! builder, its step loop, the result [`WindowTracking`] and its [`WindowEvent`]s.

use super::family::{Assembler, SparseFamily};
use super::point::{analyze, trim};
use super::projected;
use super::solver::{Solver, SolverStats, GUARD_TOL};
use crate::error::{in_open_unit, invalid, Result};
use crate::linalg::{cabs, col, dotc};
use crate::matching::{self, MatchParams};
use crate::perturb::Point;
use nalgebra::DVector;
use num_complex::Complex64;
use std::ops::{ControlFlow, RangeInclusive};
use std::sync::Arc;
use std::time::Instant;

mod wire;
pub use wire::WindowRecord;

/// What a [`Nearest::progress`] callback sees after every accepted step.
///
/// ```
/// use eigentrack::sparse::{Nearest, SparseTerms, WindowProgress};
/// use nalgebra_sparse::{CooMatrix, CscMatrix};
/// use std::sync::{Arc, Mutex};
///
/// let mut d = CooMatrix::new(10, 10);
/// for i in 0..10 { d.push(i, i, i as f64); }
/// let fam = SparseTerms::new(10).term(CscMatrix::from(&d), |t| t + 1.0)?;
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let seen = log.clone();
/// let tr = Nearest::new(2, 0.5)?
///     .samples(5)?
///     .progress(move |p: &WindowProgress| {
///         seen.lock().unwrap().push((p.fraction, p.stats.accepted_steps));
///         std::ops::ControlFlow::Continue(())
///     })
///     .track(&fam, 0.0..=1.0)?;
/// let log = log.lock().unwrap();
/// assert_eq!(log.len(), tr.stats().accepted_steps);
/// assert_eq!(log.last().unwrap().0, 1.0);
/// # Ok::<(), eigentrack::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct WindowProgress<'a> {
    /// Fraction of the range done, in [0, 1] (the distance from the first sample to `t`
    /// over the length of the range).
    pub fraction: f64,
    /// The parameter reached.
    pub t: f64,
    /// The statistics so far (factorisations, solver iterations, steps, …; `seconds` is
    /// filled in at the end).
    pub stats: &'a WindowStats,
}

/// The signature of a progress callback.
type ProgressCallback = dyn Fn(&WindowProgress<'_>) -> ControlFlow<()> + Send + Sync;

/// A progress callback, shared by the clones of a [`Nearest`].
#[derive(Clone)]
struct ProgressFn(Arc<ProgressCallback>);

impl std::fmt::Debug for ProgressFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressFn")
    }
}

/// Builder for a track of the k eigenvalues of a sparse family nearest a target σ.
///
/// Made by [`Tracker::nearest`](crate::Tracker::nearest) (which carries over the
/// tracker's samples, overlap and prediction thresholds and cluster tolerance) or by
/// [`Nearest::new`]. Every option is validated when set.
///
/// | option | default |
/// | --- | --- |
/// | [`samples`](Self::samples) | 201 uniform samples, both ends included |
/// | [`guard`](Self::guard) | p = ⌈k/2⌉ + 2 extra pairs computed beyond the k |
/// | [`tol`](Self::tol) | 1e-12: residual ‖Axᵢ − λᵢxᵢ‖ ≤ tol·‖A‖₁ |
/// | [`warm_iterations`](Self::warm_iterations) | 6 Davidson iterations on the last factorisation before a new one |
/// | [`min_overlap`](Self::min_overlap) | 0.5 |
/// | [`prediction_ratio`](Self::prediction_ratio) | 0.5 |
/// | [`cluster_tol`](Self::cluster_tol) | 1e-10 (relative to ‖A‖ = max(‖A‖₁, ‖A‖∞)) |
/// | [`h_min`](Self::h_min) | 1e-9 (relative to the range) |
/// | [`keep_vectors`](Self::keep_vectors) | false |
/// | [`progress`](Self::progress) | none |
///
/// # What is computed
///
/// At every step the m = k + p eigenpairs of A(t) nearest σ (a *guard band* of p pairs
/// beyond the window, so that a branch about to enter the window is already tracked),
/// by shift-invert with a sparse factorisation of A(t) − σI (faer; LDLᵀ for real
/// symmetric A and real σ, LU otherwise; symbolic analysis once per pattern). Hermitian
/// A with a real σ: a thick-restart block Lanczos method on (A(t) − σI)⁻¹ with a
/// factorisation at every new t (a factorisation is kept only for moves below 1e-3 of
/// the band's radius, where a warm Davidson run is cheaper). Other problems: a block
/// Davidson method preconditioned by the last factorisation, kept until it stops
/// converging in `warm_iterations` iterations ([`SolverStats::factorizations`] counts
/// them). Every step after the first starts from the previous step's Ritz vectors. The
/// pairs are paired with the previous step's by the dense path's matching (eigenvector
/// overlap and predicted values, integer Hungarian); a pairing in question halves the
/// step, except in the guard band at both ends, where the band's edge moves and a vector
/// overlap of at least 0.9 and twice any other decides. A branch that leaves the guard
/// band ends there and the pair that replaces it starts a new branch. Where two branches
/// meet, the meeting is located by Newton steps on local solves (the four eigenpairs
/// nearest the meeting value). Nothing of size n × n is ever formed: the memory is the
/// factors and O(n·m) vectors.
///
/// Branch numbers are given in order of appearance: branches 0 … m − 1 are the pairs at
/// the first sample, nearest σ first. Slopes are yᵢᴴA′xᵢ with exact A′ for
/// [`SparseTerms`](super::SparseTerms) and finite-difference A′ for closures; degenerate
/// groups get the analytic basis of M = Y_cᴴA′X_c as on the dense path.
///
/// ```
/// use eigentrack::sparse::{Nearest, SparseTerms};
/// use nalgebra_sparse::{CooMatrix, CscMatrix};
///
/// // diag(1, 2, …, 49, 50) − t·e₅₀e₅₀ᵀ: the level 50 − t comes down through σ = 3.6
/// let n = 50;
/// let (mut d, mut e) = (CooMatrix::new(n, n), CooMatrix::new(n, n));
/// for i in 0..n {
///     d.push(i, i, (i + 1) as f64);
/// }
/// e.push(n - 1, n - 1, -1.0);
/// let fam = SparseTerms::new(n).constant(CscMatrix::from(&d))?.term(CscMatrix::from(&e), |t| t)?;
/// let tr = Nearest::new(2, 3.6)?.samples(51)?.track(&fam, 0.0..=49.9)?;
/// // the window is {4, 3}; the level enters it when |50 − t − 3.6| = 0.6 (and 3 leaves),
/// // at t = 45.8
/// let entry = tr.events().iter().find(|e| e.kind() == "window_entry").unwrap();
/// assert!((entry.t() - 45.8).abs() < 1e-8);
/// # Ok::<(), eigentrack::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Nearest {
    k: usize,
    sigma: Complex64,
    target: Target,
    guard: Option<usize>,
    samples: usize,
    tol: f64,
    warm_iterations: usize,
    min_overlap: f64,
    prediction_ratio: f64,
    cluster_tol: f64,
    h_min: f64,
    keep_vectors: bool,
    progress: Option<ProgressFn>,
}

impl Nearest {
    /// Follow the `k` eigenvalues nearest `sigma` (a real or complex target). Errors: k = 0,
    /// σ not finite ([`Error::InvalidArgument`](crate::Error::InvalidArgument)); k ≥ n is reported by
    /// [`track`](Self::track), when n is known.
    pub fn new(k: usize, sigma: impl Into<Complex64>) -> Result<Self> {
        let sigma = sigma.into();
        if k == 0 {
            return Err(invalid(
                "k",
                "need at least one eigenvalue, got k = 0".into(),
            ));
        }
        if !(sigma.re.is_finite() && sigma.im.is_finite()) {
            return Err(invalid(
                "sigma",
                format!("the target must be finite, got {sigma}"),
            ));
        }
        Ok(Nearest {
            k,
            sigma,
            target: Target::Nearest(sigma),
            guard: None,
            samples: 201,
            tol: 1e-12,
            warm_iterations: 6,
            min_overlap: 0.5,
            prediction_ratio: 0.5,
            cluster_tol: 1e-10,
            h_min: 1e-9,
            keep_vectors: false,
            progress: None,
        })
    }
    /// Number of uniform samples over the range, both ends included (≥ 2).
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
    /// The guard band: p pairs computed beyond the k of the window (default ⌈k/2⌉ + 2).
    pub fn guard(mut self, p: usize) -> Self {
        self.guard = Some(p);
        self
    }
    /// Residual tolerance relative to ‖A(t)‖₁ (default 1e-12, valid [1e-15, 1e-4]): the
    /// k pairs of the window reach ‖Axᵢ − λᵢxᵢ‖ ≤ tol·‖A‖₁; the guard pairs of the band,
    /// which are only followed until they enter, reach 10⁴·tol·‖A‖₁ (so their values and
    /// slopes are less accurate while they are outside the window).
    pub fn tol(mut self, tol: f64) -> Result<Self> {
        if !(1e-15..=1e-4).contains(&tol) {
            return Err(invalid(
                "tol",
                format!("must be in [1e-15, 1e-4], got {tol}"),
            ));
        }
        self.tol = tol;
        Ok(self)
    }
    /// Davidson iterations allowed on the last factorisation before A(t) − σI is
    /// factorised anew (default 6, valid 1 … 100; 1 factorises at nearly every step).
    /// Hermitian problems with a real σ factorise at every new t unless the move is tiny
    /// (their Lanczos method needs the current factorisation).
    pub fn warm_iterations(mut self, it: usize) -> Result<Self> {
        if !(1..=100).contains(&it) {
            return Err(invalid(
                "warm_iterations",
                format!("must be in 1 … 100, got {it}"),
            ));
        }
        self.warm_iterations = it;
        Ok(self)
    }
    /// Smallest eigenvector overlap of a certain pairing (default 0.5, valid (0, 1)).
    pub fn min_overlap(mut self, o: f64) -> Result<Self> {
        self.min_overlap = in_open_unit("min_overlap", o)?;
        Ok(self)
    }
    /// A pairing is certain when the prediction error is at most this fraction of the
    /// distance to the nearest competitor (default 0.5, valid (0, 1)).
    pub fn prediction_ratio(mut self, r: f64) -> Result<Self> {
        self.prediction_ratio = in_open_unit("prediction_ratio", r)?;
        Ok(self)
    }
    /// Eigenvalues closer than `tol·‖A‖` form one degenerate group, with ‖A‖ =
    /// max(‖A‖₁, ‖A‖∞) ≥ ‖A‖₂, a scale that does not grow with n on a grid, unlike
    /// ‖A‖_F (default 1e-10, valid [1e-15, 1e-3]).
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
    /// Smallest step relative to the range (default 1e-9, valid [1e-14, 0.1]); a pairing
    /// still in question there is accepted and reported as [`WindowEvent::Unresolved`].
    pub fn h_min(mut self, h: f64) -> Result<Self> {
        if !(1e-14..=0.1).contains(&h) {
            return Err(invalid(
                "h_min",
                format!("must be in [1e-14, 0.1], got {h}"),
            ));
        }
        self.h_min = h;
        Ok(self)
    }
    /// Keep the unit right eigenvectors at the samples (default false).
    pub fn keep_vectors(mut self, keep: bool) -> Self {
        self.keep_vectors = keep;
        self
    }
    /// Call `f` after every accepted step with the fraction done, the t reached and the
    /// statistics so far (default: none), as [`Tracker::progress`](crate::Tracker::progress)
    /// does on the dense path. Returning `ControlFlow::Break(())` stops the track with
    /// [`Error::Interrupted`](crate::Error::Interrupted) naming the t reached: a user
    /// interface can show progress and offer to stop, a command-line tool can check for
    /// Ctrl-C.
    ///
    /// ```
    /// use eigentrack::sparse::{Nearest, SparseTerms, WindowProgress};
    /// use eigentrack::Error;
    /// use nalgebra_sparse::{CooMatrix, CscMatrix};
    /// use std::ops::ControlFlow;
    ///
    /// let mut d = CooMatrix::new(20, 20);
    /// for i in 0..20 { d.push(i, i, i as f64); }
    /// let fam = SparseTerms::new(20).term(CscMatrix::from(&d), |t| t + 1.0)?;
    /// // stop half-way
    /// let stop = |p: &WindowProgress| {
    ///     if p.fraction >= 0.5 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    /// };
    /// let err = Nearest::new(2, 0.5)?.samples(11)?.progress(stop).track(&fam, 0.0..=1.0).unwrap_err();
    /// assert!(matches!(err, Error::Interrupted { t } if (t - 0.5).abs() < 1e-12));
    /// # Ok::<(), eigentrack::Error>(())
    /// ```
    pub fn progress(
        mut self,
        f: impl Fn(&WindowProgress<'_>) -> ControlFlow<()> + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(ProgressFn(Arc::new(f)));
        self
    }
    /// The number of eigenvalues in the window.
    pub fn k(&self) -> usize {
        self.k
    }
    /// The target σ (0 for [`largest_real`](Self::largest_real)).
    pub fn sigma(&self) -> Complex64 {
        self.sigma
    }
    /// Which eigenvalues the window holds.
    pub fn target(&self) -> Target {
        self.target
    }

    /// Follow the `k` eigenvalues with the largest real part (the rightmost: the
    /// stability of a discretised PDE or a flutter model, where Re λ crossing 0 is the
    /// event that matters).
    ///
    /// Method: the band is the m = k + p eigenvalues nearest a real shift s placed to the
    /// right of it, s = R + max((R − Rₖ)/4, Y) with R the largest Re λ of the band, Rₖ
    /// that of the k-th and Y the largest |Im λ| of the band (so far right that the
    /// distance to s orders the eigenvalues near the band by real part), and the window
    /// is the k of the band with the largest real part. The first shift is the right edge
    /// of A's Gershgorin discs; s is re-centred (a new factorisation, counted in
    /// [`SolverStats::recentrings`](super::SolverStats)) when the band drifts by more than
    /// half its width from it. Entries and exits are where a branch's real part passes
    /// the k-th. An eigenvalue much further up the imaginary axis than the band (|Im λ| ≫
    /// Y) is far from s and is found late, when at all: for such spectra give a σ near it
    /// to [`new`](Self::new). Pencils are not supported with this target
    /// ([`track_pencil`](Self::track_pencil) reports it).
    ///
    /// ```
    /// use eigentrack::sparse::{Nearest, SparseTerms};
    /// use nalgebra_sparse::{CooMatrix, CscMatrix};
    ///
    /// // diag(−1, −2, …, −20) with its first entry moving right: −1 − … + 1.5t
    /// let n = 20;
    /// let (mut d, mut e) = (CooMatrix::new(n, n), CooMatrix::new(n, n));
    /// for i in 0..n {
    ///     d.push(i, i, -((i + 1) as f64));
    /// }
    /// e.push(n - 1, n - 1, 1.0);
    /// // the last level −20 + 19.5t becomes the rightmost at t = 19/19.5
    /// let fam = SparseTerms::new(n).constant(CscMatrix::from(&d))?.term(CscMatrix::from(&e), |t| t * 19.5)?;
    /// let tr = Nearest::largest_real(2)?.samples(21)?.track(&fam, 0.0..=1.0)?;
    /// let w = tr.window(20); // rightmost first
    /// assert!((w[0].1 + 0.5).abs() < 1e-10 && (w[1].1 + 1.0).abs() < 1e-10);
    /// assert!(tr.events().iter().any(|e| e.kind() == "window_entry"));
    /// # Ok::<(), eigentrack::Error>(())
    /// ```
    pub fn largest_real(k: usize) -> Result<Self> {
        let mut me = Self::new(k, 0.0)?;
        me.target = Target::LargestReal;
        Ok(me)
    }

    /// Track `family` over `range` (a > b runs backwards; a = b gives one sample).
    ///
    /// Errors: k ≥ n ([`Error::InvalidArgument`](crate::Error::InvalidArgument) naming `k`), a matrix that is not
    /// square, changes size or has a non-finite entry ([`Error::NotSquare`](crate::Error::NotSquare),
    /// [`Error::SizeChanged`](crate::Error::SizeChanged), [`Error::NonFinite`](crate::Error::NonFinite) with the entry and t), an end of the
    /// range that is not finite, or a solve that does not converge
    /// ([`Error::NoConvergence`](crate::Error::NoConvergence) with t).
    pub fn track<F: SparseFamily + ?Sized>(
        &self,
        family: &F,
        range: RangeInclusive<f64>,
    ) -> Result<WindowTracking> {
        self.run(Assembler::new(family), range)
    }

    /// Track the k eigenvalues nearest σ of the pencil A(t)x = λB(t)x over `range`.
    ///
    /// The shift-invert factorises A − σB; a Hermitian A with a Hermitian positive
    /// definite B (checked by a sparse Cholesky factorisation of B) keeps real eigenvalues
    /// and the Hermitian path, everything else is the general path. Conventions: unit
    /// right vectors xᵢ, left vectors with yᵢᴴBxᵢ = 1 (yᵢ = xᵢ/(xᵢᴴBxᵢ) for a
    /// Hermitian-definite pencil), slopes yᵢᴴ(A′ − λᵢB′)xᵢ, condition numbers ‖yᵢ‖‖B‖ (‖B‖ = max(‖B‖₁, ‖B‖∞)).
    /// The pairing of branches between samples uses the overlaps of the unit right
    /// vectors, as for A(t) alone.
    ///
    /// Errors: those of [`track`](Self::track); a B whose size differs from A's
    /// ([`Error::ShapeMismatch`](crate::Error::ShapeMismatch) with t); a B that is
    /// singular at the first sample ([`Error::Singular`](crate::Error::Singular) naming
    /// "B", with t); a non-finite entry of B ([`Error::NonFinite`](crate::Error::NonFinite)
    /// naming "B").
    ///
    /// ```
    /// use eigentrack::sparse::{Nearest, SparseTerms};
    /// use nalgebra_sparse::{CooMatrix, CscMatrix};
    ///
    /// // K(t) = diag(1, 2, …, 8) + t·e₁e₁ᵀ·… and the mass M = diag(1, …, 1, 2): the pencil's
    /// // eigenvalues are kᵢ(t)/mᵢ
    /// let n = 8;
    /// let (mut k, mut d, mut mass) = (CooMatrix::new(n, n), CooMatrix::new(n, n), CooMatrix::new(n, n));
    /// for i in 0..n {
    ///     k.push(i, i, (i + 1) as f64);
    ///     mass.push(i, i, if i == n - 1 { 2.0 } else { 1.0 });
    /// }
    /// d.push(0, 0, 1.0);
    /// let a = SparseTerms::new(n).constant(CscMatrix::from(&k))?.term(CscMatrix::from(&d), |t| t)?;
    /// let b = SparseTerms::new(n).constant(CscMatrix::from(&mass))?;
    /// let tr = Nearest::new(3, 0.0)?.samples(11)?.track_pencil(&a, &b, 0.0..=0.5)?;
    /// // at t = 0.5 the three nearest 0: 1.5, 2, 3
    /// let mut w: Vec<f64> = tr.window(10).iter().map(|&(_, v)| v).collect();
    /// w.sort_by(f64::total_cmp);
    /// assert!((w[0] - 1.5).abs() < 1e-10 && (w[1] - 2.0).abs() < 1e-10 && (w[2] - 3.0).abs() < 1e-10);
    /// # Ok::<(), eigentrack::Error>(())
    /// ```
    pub fn track_pencil<F: SparseFamily + ?Sized, G: SparseFamily<Elem = F::Elem>>(
        &self,
        a: &F,
        b: &G,
        range: RangeInclusive<f64>,
    ) -> Result<WindowTracking> {
        self.run(Assembler::pencil(a, b), range)
    }

    fn run<F: SparseFamily + ?Sized>(
        &self,
        mut asm: Assembler<'_, F>,
        range: RangeInclusive<f64>,
    ) -> Result<WindowTracking> {
        if asm.is_pencil() && self.target == Target::LargestReal {
            return Err(invalid(
                "target",
                "the largest real part is not supported for pencils A(t)x = λB(t)x; give a \
                 σ near the rightmost eigenvalues to Nearest::new"
                    .into(),
            ));
        }
        let start = Instant::now();
        let (a, b) = (*range.start(), *range.end());
        if !(a.is_finite() && b.is_finite()) {
            return Err(invalid(
                "range",
                format!("ends must be finite, got {a}..={b}"),
            ));
        }
        let grid: Vec<f64> = if a == b {
            vec![a]
        } else {
            (0..self.samples)
                .map(|i| {
                    if i + 1 == self.samples {
                        b
                    } else {
                        a + (b - a) * (i as f64 / (self.samples - 1) as f64)
                    }
                })
                .collect()
        };
        let v0 = asm.jet(grid[0])?;
        let n = v0.pattern.n();
        if self.k >= n {
            return Err(invalid(
                "k",
                format!("k = {} must be below the matrix size n = {n}", self.k),
            ));
        }
        let p = self.guard.unwrap_or(self.k.div_ceil(2) + 2);
        let m = (self.k + p).min(n);
        let mut run = Run {
            cfg: self,
            solver: Solver::new(self.sigma, self.k, m, self.tol, self.warm_iterations)
                .rightmost(self.target == Target::LargestReal, &v0),
            span: (b - a).abs(),
            event_points: 0,
            projected_events: 0,
        };
        let pairs = run.solver.pairs(&v0, grid[0], None, self.cluster_tol)?;
        let mut station = trim(
            analyze(
                grid[0],
                pairs.values,
                pairs.x,
                pairs.left,
                v0,
                self.cluster_tol,
            ),
            m,
            None,
        );
        // branches 0 … m − 1: nearest σ first
        let mut order: Vec<usize> = (0..m).collect();
        order.sort_by(|&i, &j| {
            self.target
                .key(station.values[i])
                .total_cmp(&self.target.key(station.values[j]))
        });
        station = station.permuted(&order);
        let mut ids: Vec<usize> = (0..m).collect();
        let mut rec = Recorder::new(grid.len(), self.keep_vectors);
        rec.record(0, &station, &ids, self.k, self.target);
        let mut events = Vec::new();
        let mut stats = WindowStats::default();
        let h_max = run.span;
        let h_min = (self.h_min * run.span).max(8.0 * f64::EPSILON * a.abs().max(b.abs()));
        let mut h_try = h_max;
        let params = MatchParams {
            min_overlap: self.min_overlap,
            prediction_ratio: self.prediction_ratio,
        };
        // points of halved steps not reached yet, with the shift they were computed at
        let mut ahead: Vec<(Point, Complex64)> = Vec::new();
        for (si, &target) in grid.iter().enumerate().skip(1) {
            while station.t != target {
                let dir = (target - station.t).signum();
                let remaining = (target - station.t).abs();
                let (h, t1) = if h_try >= remaining {
                    (remaining, target)
                } else {
                    (h_try, station.t + dir * h_try)
                };
                // a halved step comes back to the t of the step it replaced: the pairs
                // there are already known (converged, whatever the start)
                let known = ahead
                    .iter()
                    .position(|(p, s)| p.t == t1 && *s == run.solver.sigma);
                let new = match known {
                    Some(i) => ahead.swap_remove(i).0,
                    None => {
                        let v1 = asm.jet(t1)?;
                        let pairs = run.solver.pairs(
                            &v1,
                            t1,
                            Some((&station.x, station.left.as_ref())),
                            self.cluster_tol,
                        )?;
                        trim(
                            analyze(t1, pairs.values, pairs.x, pairs.left, v1, self.cluster_tol),
                            m,
                            Some(&station),
                        )
                    }
                };
                let pairing = matching::pair(&station, &new, &params);
                let rank_old = ranks(&station.values, self.target);
                let rank_new = ranks(&new.values, self.target);
                let mut swaps = Vec::new();
                let mut open = Vec::new();
                for &i in &pairing.uncertain {
                    let j = pairing.perm[i];
                    let overlap = |l: usize| cabs(dotc(col(&station.x, i), col(&new.x, l)));
                    let o = overlap(j);
                    let guard = rank_old[i] >= self.k && rank_new[j] >= self.k;
                    if guard && o < self.min_overlap {
                        swaps.push(i);
                    } else if guard
                        && o >= GUARD_MATCH
                        && (0..new.len()).all(|l| l == j || overlap(l) <= 0.5 * o)
                    {
                        // in the guard band at both ends the value test fails where the
                        // band's edge moves (a pair leaves it, another comes in): a vector
                        // that matches one new vector clearly decides
                    } else {
                        open.push(i);
                    }
                }
                if !open.is_empty() && h > h_min {
                    stats.rejected_steps += 1;
                    h_try = (h / 2.0).max(h_min);
                    ahead.push((new, run.solver.sigma));
                    continue;
                }
                if !open.is_empty() {
                    events.push(WindowEvent::Unresolved {
                        t0: station.t,
                        t1,
                        branches: open.iter().map(|&i| ids[i]).collect(),
                    });
                }
                let next = matching::apply(&station, new, &pairing.perm, true);
                for &i in &swaps {
                    events.push(WindowEvent::Left {
                        t: station.t,
                        branch: ids[i],
                    });
                    ids[i] = rec.open();
                }
                let mut next = next;
                stats.avoided_crossings +=
                    run.exchanges(&mut asm, &station, &mut next, &ids, &swaps, &mut events)?;
                run.window_events(&mut asm, &station, &next, &ids, &swaps, &mut events)?;
                station = next;
                stats.accepted_steps += 1;
                ahead.retain(|(p, _)| dir * (p.t - station.t) > 0.0);
                if let Some(ProgressFn(f)) = &self.progress {
                    run.counters(&mut stats, asm.patterns);
                    let progress = WindowProgress {
                        fraction: if run.span > 0.0 {
                            ((station.t - grid[0]).abs() / run.span).min(1.0)
                        } else {
                            1.0
                        },
                        t: station.t,
                        stats: &stats,
                    };
                    if f(&progress).is_break() {
                        return Err(crate::Error::Interrupted { t: station.t });
                    }
                }
                if h == h_try || t1 != target {
                    h_try = (2.0 * h).min(h_max);
                }
            }
            rec.record(si, &station, &ids, self.k, self.target);
        }
        let dir = if grid.len() > 1 {
            (b - a).signum()
        } else {
            1.0
        };
        events.sort_by(|x, y| (dir * x.t()).total_cmp(&(dir * y.t())));
        run.counters(&mut stats, asm.patterns);
        stats.seconds = start.elapsed().as_secs_f64();
        Ok(WindowTracking {
            samples: grid,
            k: self.k,
            sigma: run.solver.sigma,
            target: self.target,
            branches: rec.finish(),
            events,
            stats,
        })
    }
}

/// A pairing in question in the guard band at both ends is kept when its vector overlap
/// is at least this and twice any other.
const GUARD_MATCH: f64 = 0.9;

/// |λ − σ|.
fn dist(l: Complex64, s: Complex64) -> f64 {
    let d = cabs(l - s);
    if d.is_nan() {
        f64::INFINITY
    } else {
        d
    }
}

/// Which k eigenvalues a window holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// The k nearest σ (|λ − σ| smallest).
    Nearest(Complex64),
    /// The k with the largest real part (the rightmost: stability).
    LargestReal,
}

impl Target {
    /// The ranking key of λ: smaller is further inside the window (|λ − σ|, or −Re λ).
    pub fn key(&self, l: Complex64) -> f64 {
        match *self {
            Target::Nearest(s) => dist(l, s),
            Target::LargestReal if l.re.is_nan() => f64::INFINITY,
            Target::LargestReal => -l.re,
        }
    }
    /// d/dt of [`key`](Self::key) along a branch with value λ and slope λ′.
    fn key_slope(&self, l: Complex64, sl: Complex64) -> f64 {
        match *self {
            Target::Nearest(s) => {
                let r = dist(l, s).max(f64::MIN_POSITIVE);
                ((l - s).conj() * sl).re / r
            }
            Target::LargestReal => -sl.re,
        }
    }
}

/// The rank of each value by the target's key (0 = furthest inside; ties by index).
fn ranks(values: &[Complex64], target: Target) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| target.key(values[i]).total_cmp(&target.key(values[j])));
    let mut r = vec![0; values.len()];
    for (k, &i) in order.iter().enumerate() {
        r[i] = k;
    }
    r
}

/// Cubic Hermite interpolation of λ on [t0, t1] from values and slopes at both ends.
fn hermite(
    t0: f64,
    t1: f64,
    l0: Complex64,
    l1: Complex64,
    s0: Complex64,
    s1: Complex64,
    t: f64,
) -> (Complex64, Complex64) {
    let h = t1 - t0;
    let u = (t - t0) / h;
    let (h00, h10, h01, h11) = (
        2.0 * u * u * u - 3.0 * u * u + 1.0,
        u * u * u - 2.0 * u * u + u,
        -2.0 * u * u * u + 3.0 * u * u,
        u * u * u - u * u,
    );
    let (d00, d10, d01, d11) = (
        (6.0 * u * u - 6.0 * u) / h,
        (3.0 * u * u - 4.0 * u + 1.0) / h,
        (-6.0 * u * u + 6.0 * u) / h,
        (3.0 * u * u - 2.0 * u) / h,
    );
    let v = l0 * h00 + s0 * (h10 * h) + l1 * h01 + s1 * (h11 * h);
    let d = l0 * d00 + s0 * (d10 * h) + l1 * d01 + s1 * (d11 * h);
    (v, d)
}

/// Branch i's value and slope at t on the step s0 → s1 (both in branch order), from the
/// cubic Hermite interpolant of its values and slopes at both ends.
fn interpolated(s0: &Point, s1: &Point, i: usize, t: f64) -> (Complex64, Complex64) {
    hermite(
        s0.t,
        s1.t,
        s0.values[i],
        s1.values[i],
        s0.slopes[i],
        s1.slopes[i],
        t,
    )
}

/// How many eigenpairs a local solve at a meeting of two branches computes: the two and
/// their nearest neighbours (a third level at the meeting is seen).
const LOCAL_PAIRS: usize = 4;

/// The root of `cond` between branches a and b on the cubic Hermite interpolants of both
/// over the step s0 → s1 (bisection), and the condition's mean slope over the step.
fn start(s0: &Point, s1: &Point, a: usize, b: usize, cond: Cond, sigma: Target) -> (f64, f64) {
    let (t0, t1) = (s0.t, s1.t);
    let at = |t: f64| {
        let ((la, sa), (lb, sb)) = (interpolated(s0, s1, a, t), interpolated(s0, s1, b, t));
        cond(la, sa, lb, sb, sigma).0
    };
    let (mut lo, mut hi) = (t0, t1);
    let flo = at(lo);
    let secant = (at(hi) - flo) / (t1 - t0);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if (at(mid) > 0.0) == (flo > 0.0) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi), secant)
}

/// Two levels by their first (smallest) members.
type LevelPair = (usize, usize);

/// The level of each branch over the step s0 → s1 (both in branch order): the branches
/// equal to it within `tol` at both ends (a multiple eigenvalue that stays multiple, as
/// under a symmetry), itself first, without the branches in `swaps`.
fn levels(s0: &Point, s1: &Point, tol: f64, swaps: &[usize]) -> Vec<Vec<usize>> {
    let m = s0.len();
    let tied = |a: usize, b: usize| {
        (s0.values[a] - s0.values[b]).norm() <= tol && (s1.values[a] - s1.values[b]).norm() <= tol
    };
    (0..m)
        .map(|i| {
            let mut l = vec![i];
            l.extend((0..m).filter(|&j| j != i && tied(i, j) && !swaps.contains(&j)));
            l
        })
        .collect()
}

/// The eigenpairs of a fresh point `p` that continue two levels `la`, `lb` of `old`
/// (multiple eigenvalues, arbitrary bases): level a takes the |la| eigenpairs that lie
/// most in span X_old[la] (and least in the other's), level b the |lb| that lie most in
/// span X_old[lb] among the rest. None when a chosen eigenpair lies less than half in its
/// level's span.
fn level_rows(old: &Point, p: &Point, la: &[usize], lb: &[usize]) -> Option<[Vec<usize>; 2]> {
    let weight = |level: &[usize], j: usize| {
        level
            .iter()
            .map(|&i| old.x.column(i).dotc(&p.x.column(j)).norm_sqr())
            .sum::<f64>()
    };
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&x, &y| {
        (weight(la, y) - weight(lb, y)).total_cmp(&(weight(la, x) - weight(lb, x)))
    });
    let ra = order.get(..la.len())?.to_vec();
    let mut rest = order.get(la.len()..)?.to_vec();
    rest.sort_by(|&x, &y| weight(lb, y).total_cmp(&weight(lb, x)));
    let rb = rest.get(..lb.len())?.to_vec();
    let held = ra.iter().all(|&j| weight(la, j) >= 0.5) && rb.iter().all(|&j| weight(lb, j) >= 0.5);
    held.then_some([ra, rb])
}

/// The state of one track shared by the step loop and the event locators.
struct Run<'c> {
    cfg: &'c Nearest,
    solver: Solver,
    span: f64,
    event_points: usize,
    projected_events: usize,
}

/// A condition between two branches: its value and t-derivative from (λa, λa′, λb, λb′)
/// and the target.
type Cond = fn(Complex64, Complex64, Complex64, Complex64, Target) -> (f64, f64);

/// key(λa) − key(λb) (|λa − σ| − |λb − σ|, or Re λb − Re λa) and its derivative.
fn window_cond(
    la: Complex64,
    sa: Complex64,
    lb: Complex64,
    sb: Complex64,
    target: Target,
) -> (f64, f64) {
    (
        target.key(la) - target.key(lb),
        target.key_slope(la, sa) - target.key_slope(lb, sb),
    )
}

/// Re(λa − λb) and its derivative.
fn crossing_cond(
    la: Complex64,
    sa: Complex64,
    lb: Complex64,
    sb: Complex64,
    _target: Target,
) -> (f64, f64) {
    ((la - lb).re, (sa - sb).re)
}

impl Run<'_> {
    /// The run's work counters into `stats` (with the patterns the assembler built).
    fn counters(&self, stats: &mut WindowStats, patterns: usize) {
        stats.solver = self.solver.stats.clone();
        stats.event_points = self.event_points;
        stats.projected_events = self.projected_events;
        stats.patterns = patterns;
    }

    /// Window entries and exits (a branch's rank by |λ − σ| passes k) over the accepted
    /// step `s0` → `s1` (both in branch order; columns
    /// in `swaps` changed branch and take no part).
    fn window_events<F: SparseFamily + ?Sized>(
        &mut self,
        asm: &mut Assembler<'_, F>,
        s0: &Point,
        s1: &Point,
        ids: &[usize],
        swaps: &[usize],
        events: &mut Vec<WindowEvent>,
    ) -> Result<()> {
        let k = self.cfg.k;
        let sigma = self.cfg.target;
        let (r0, r1) = (ranks(&s0.values, sigma), ranks(&s1.values, sigma));
        let live = |i: usize| !swaps.contains(&i);
        // levels of several members leave and enter whole, at one t (see `exchanges`)
        let level = levels(s0, s1, self.cfg.cluster_tol * s0.scale.max(s1.scale), swaps);
        let mut met: Vec<(LevelPair, (f64, f64))> = Vec::new();
        let entering: Vec<usize> = (0..s0.len())
            .filter(|&i| live(i) && r0[i] >= k && r1[i] < k)
            .collect();
        let mut exiting: Vec<usize> = (0..s0.len())
            .filter(|&i| live(i) && r0[i] < k && r1[i] >= k)
            .collect();
        for &e in &entering {
            // the exiting branch it changes places with: the one whose distance condition
            // changes sign over the step
            let partner = exiting.iter().position(|&x| {
                let f0 = window_cond(
                    s0.values[e],
                    s0.slopes[e],
                    s0.values[x],
                    s0.slopes[x],
                    sigma,
                )
                .0;
                let f1 = window_cond(
                    s1.values[e],
                    s1.slopes[e],
                    s1.values[x],
                    s1.slopes[x],
                    sigma,
                )
                .0;
                f0 > 0.0 && f1 <= 0.0
            });
            let (t, precision) = match partner {
                Some(q) => {
                    let x = exiting.remove(q);
                    let first = |l: &[usize]| l.iter().copied().min().unwrap_or(usize::MAX);
                    let key = (first(&level[e]), first(&level[x]));
                    let (t, prec) = match met.iter().find(|(k2, _)| *k2 == key) {
                        Some(&(_, r)) => r,
                        None => {
                            let ex = (&level[e][..], &level[x][..]);
                            let (t, prec, _) =
                                self.locate(asm, s0, s1, ex, window_cond, 4, false)?;
                            met.push((key, (t, prec)));
                            (t, prec)
                        }
                    };
                    events.push(WindowEvent::Exit {
                        t,
                        branch: ids[x],
                        precision: prec,
                    });
                    (t, prec)
                }
                None => (s1.t, (s1.t - s0.t).abs()),
            };
            events.push(WindowEvent::Entry {
                t,
                branch: ids[e],
                precision,
            });
        }
        for x in exiting {
            events.push(WindowEvent::Exit {
                t: s1.t,
                branch: ids[x],
                precision: (s1.t - s0.t).abs(),
            });
        }
        Ok(())
    }

    /// Two branches with real values that exchange order over the step `s0` → `s1` either
    /// cross or avoid each other: the point where Re(λa − λb) = 0 is located by Newton on
    /// fresh solves. A gap there below `cluster_tol`·‖A‖ is a crossing (the pairing
    /// stands; reported when a branch is in the window); above it the branches avoid each
    /// other and each keeps its side (adiabatic, as on the dense path): their columns of
    /// `s1` are exchanged. Branches equal at both ends of the step (levels of several
    /// members: multiple eigenvalues that stay multiple) meet another level whole: the
    /// two levels are located once, as their means, and every pair of their members is
    /// reported crossing at that t. Returns the number of avoided crossings.
    fn exchanges<F: SparseFamily + ?Sized>(
        &mut self,
        asm: &mut Assembler<'_, F>,
        s0: &Point,
        s1: &mut Point,
        ids: &[usize],
        swaps: &[usize],
        events: &mut Vec<WindowEvent>,
    ) -> Result<usize> {
        let k = self.cfg.k;
        let sigma = self.cfg.target;
        let (r0, r1) = (ranks(&s0.values, sigma), ranks(&s1.values, sigma));
        let real = |l: Complex64, s: &Point| l.im.abs() <= 1e-12 * s.scale;
        let tol = self.cfg.cluster_tol * s0.scale.max(s1.scale);
        let mut avoided = 0;
        let m = s0.len();
        // levels meet another level whole, at one t: located once, on all their vectors
        let level = levels(s0, s1, tol, swaps);
        // (t*, precision, gap) of each pair of levels, by their first members
        let mut met: Vec<(LevelPair, (f64, f64, f64))> = Vec::new();
        for a in 0..m {
            for b in a + 1..m {
                if swaps.contains(&a) || swaps.contains(&b) {
                    continue;
                }
                if !(real(s0.values[a], s0)
                    && real(s0.values[b], s0)
                    && real(s1.values[a], s1)
                    && real(s1.values[b], s1))
                {
                    continue;
                }
                let f0 = (s0.values[a] - s0.values[b]).re;
                let f1 = (s1.values[a] - s1.values[b]).re;
                let in_window = r0[a] < k || r1[a] < k || r0[b] < k || r1[b] < k;
                let mut branches = [ids[a], ids[b]];
                branches.sort_unstable();
                if (f0 > tol && f1 < -tol) || (f0 < -tol && f1 > tol) {
                    let levels = if level[a].len() > 1 || level[b].len() > 1 {
                        let first = |l: &[usize]| l.iter().copied().min().unwrap_or(usize::MAX);
                        let key = (first(&level[a]), first(&level[b]));
                        let found = met.iter().find(|(k2, _)| *k2 == key).map(|(_, r)| *r);
                        let r = match found {
                            Some(r) => r,
                            None => {
                                let ab = (&level[a][..], &level[b][..]);
                                let r = self.locate(asm, s0, s1, ab, crossing_cond, 3, true)?;
                                met.push((key, r));
                                r
                            }
                        };
                        // (levels that avoid each other are taken pair by pair)
                        Some(r).filter(|&(_, _, gap)| gap <= tol)
                    } else {
                        None
                    };
                    let (t, precision, gap) = match levels {
                        Some(r) => r,
                        None => {
                            let ab = (&[a][..], &[b][..]);
                            self.locate(asm, s0, s1, ab, crossing_cond, 3, true)?
                        }
                    };
                    if gap > tol {
                        // avoided: each branch keeps its side
                        let mut perm: Vec<usize> = (0..m).collect();
                        perm.swap(a, b);
                        *s1 = std::mem::replace(s1, s0.clone()).permuted(&perm);
                        avoided += 1;
                    } else if in_window {
                        events.push(WindowEvent::Crossing {
                            t,
                            branches,
                            precision,
                        });
                    }
                } else if f1.abs() <= tol && f0.abs() > tol && in_window {
                    // the step lands on the crossing
                    events.push(WindowEvent::Crossing {
                        t: s1.t,
                        branches,
                        precision: 0.0,
                    });
                }
            }
        }
        Ok(avoided)
    }

    /// The residual tolerance each of two sides (branches, or levels of several) was
    /// computed to at the step's ends: tol·‖A‖₁ where all are in the window at both ends,
    /// the guard band's otherwise.
    fn residual_tol(
        &self,
        v: &super::family::Values,
        s0: &Point,
        s1: &Point,
        sides: [&[usize]; 2],
    ) -> [f64; 2] {
        let scale = self.solver.tol * v.norms.0;
        let k = self.cfg.k;
        let sigma = self.cfg.target;
        let (r0, r1) = (ranks(&s0.values, sigma), ranks(&s1.values, sigma));
        sides.map(|side| {
            if side.iter().all(|&i| r0[i] < k && r1[i] < k) {
                scale
            } else {
                GUARD_TOL * scale
            }
        })
    }

    /// The root of `cond` between branches a and b on the step s0 → s1: bisection on the
    /// cubic Hermite interpolants of both; then, for Hermitian problems, Newton on the
    /// projection onto the two branches' vectors at both ends, which stands where its
    /// residuals certify it (see `projected`); else up to `newton` Newton steps on fresh solves
    /// (warm-started from s0). With `local` (two real values meeting) the solves are local:
    /// the [`LOCAL_PAIRS`] eigenpairs nearest the interpolated meeting value, with their
    /// own factorisation there, instead of the whole band (the main solver is used when a
    /// local solve fails). Returns t, the size of the last Newton correction (or the
    /// bracket when Newton could not be used) and the gap there.
    ///
    /// `a` and `b` are one branch each, or levels of several members (a multiple
    /// eigenvalue that stays multiple over the step, as under a symmetry): a level is
    /// read as the mean of its members, projected and solved together (the local band
    /// holds both levels and two more), and found at a fresh point by the eigenpairs that
    /// lie most in its members' span.
    #[allow(clippy::too_many_arguments)]
    fn locate<F: SparseFamily + ?Sized>(
        &mut self,
        asm: &mut Assembler<'_, F>,
        s0: &Point,
        s1: &Point,
        (la, lb): (&[usize], &[usize]),
        cond: Cond,
        newton: usize,
        local: bool,
    ) -> Result<(f64, f64, f64)> {
        let sigma = self.cfg.target;
        let (t0, t1) = (s0.t, s1.t);
        let (a, b) = (la[0], lb[0]);
        let members: Vec<usize> = la.iter().chain(lb).copied().collect();
        let (mut t, secant) = start(s0, s1, a, b, cond, sigma);
        // first on the projection onto the two branches' vectors (no solve); its jet at t
        // serves the first solve too when the projection cannot certify
        let mut first = Some(asm.jet(t)?);
        if let Some(v) = first.as_ref().filter(|v| self.solver.hermitian(v)) {
            let res_tol = self.residual_tol(v, s0, s1, [la, lb]);
            let real = |x: f64| Complex64::new(x, 0.0);
            let c = |la, sa, lb, sb| cond(real(la), real(sa), real(lb), real(sb), sigma);
            if let Some(l) =
                projected::locate(asm, (t, v), s0, s1, (la, lb), c, res_tol, self.span)?
            {
                self.projected_events += 1;
                return Ok((l.t, l.precision, l.gap));
            }
        }
        let mut precision = (t1 - t0).abs();
        let mut last = f64::NAN;
        let (tmin, tmax) = (t0.min(t1), t0.max(t1));
        let mut near = local.then(|| {
            let meet = |i: usize| interpolated(s0, s1, i, t).0;
            // off the meeting value (an exact crossing is an eigenvalue there) by a
            // quarter of the distance to the nearest other branch, so the local band is the
            // two and their neighbours and A − sB is far from singular
            let mid = 0.5 * (meet(a) + meet(b)).re;
            let other = (0..s0.len())
                .filter(|j| !members.contains(j))
                .map(|j| (meet(j).re - mid).abs())
                .fold(f64::INFINITY, f64::min);
            let off = if other.is_finite() && other > 0.0 {
                0.25 * other
            } else {
                1e-6 * s0.scale.max(s1.scale)
            };
            let shift = Complex64::new(mid + off, 0.0);
            let x = s0.x.select_columns(members.iter());
            let y = s0.left.as_ref().map(|y| y.select_columns(members.iter()));
            let size = LOCAL_PAIRS.max(members.len() + 2).min(s0.len());
            (self.solver.local(shift, size), x, y)
        });
        let cluster_tol = self.cfg.cluster_tol;
        let mut step = 0;
        while step < newton {
            step += 1;
            let v = match first.take() {
                Some(v) => v,
                None => asm.jet(t)?,
            };
            let solved = near
                .as_mut()
                .map(|(solver, x, y)| solver.pairs(&v, t, Some((x, y.as_ref())), cluster_tol));
            let pairs = match solved {
                Some(Ok(p)) => p,
                other => {
                    if other.is_some() {
                        // the local solve failed: the band from here on
                        let (solver, _, _) = near.take().expect("local");
                        self.solver.stats.absorb(&solver.stats);
                    }
                    self.solver
                        .pairs(&v, t, Some((&s0.x, s0.left.as_ref())), cluster_tol)?
                }
            };
            let p = trim(
                analyze(
                    t,
                    pairs.values,
                    pairs.x,
                    pairs.left,
                    v,
                    self.cfg.cluster_tol,
                ),
                s0.len(),
                Some(s0),
            );
            self.event_points += 1;
            let rows = if members.len() == 2 {
                matching::pair_rows(s0, &p, &[a, b]).map(|r| [vec![r[0]], vec![r[1]]])
            } else {
                level_rows(s0, &p, la, lb)
            };
            let Some(rows) = rows else {
                if let Some((solver, _, _)) = near.take() {
                    // the local band did not hold the two: this step again on the band
                    self.solver.stats.absorb(&solver.stats);
                    step -= 1;
                    continue;
                }
                // the two cannot be told apart here: the gap is the distance between the
                // two values nearest their interpolated mean
                let (la, lb) = (interpolated(s0, s1, a, t).0, interpolated(s0, s1, b, t).0);
                let mid = (la + lb) * 0.5;
                let mut near: Vec<Complex64> = p.values.clone();
                near.sort_by(|x, y| (x - mid).norm().total_cmp(&(y - mid).norm()));
                if near.len() >= 2 {
                    last = (near[0] - near[1]).norm();
                }
                break;
            };
            let mean = |r: &[usize], of: &[Complex64]| {
                r.iter().map(|&j| of[j]).sum::<Complex64>() / r.len() as f64
            };
            let (va, vb) = (mean(&rows[0], &p.values), mean(&rows[1], &p.values));
            let (f, df) = cond(
                va,
                mean(&rows[0], &p.slopes),
                vb,
                mean(&rows[1], &p.slopes),
                sigma,
            );
            last = if members.len() == 2 {
                f.abs()
            } else {
                (va - vb).norm()
            };
            if !(df.is_finite() && df != 0.0 && f.is_finite()) {
                break;
            }
            let step = f / df;
            if local && !(tmin..=tmax).contains(&(t - step)) && df.abs() < 0.5 * secant.abs() {
                // two real values whose linear model meets past the step's end, where
                // both are known and apart, with a slope well below the step's mean: they
                // avoid each other near t (at the narrowest gap f′ ≈ 0), and a solve at the
                // end would add nothing. The gap measured here decides
                break;
            }
            let next = (t - step).clamp(tmin, tmax);
            precision = (next - t).abs();
            t = next;
            if precision <= 1e-13 * self.span.max(t.abs()) {
                break;
            }
        }
        if let Some((solver, _, _)) = near {
            self.solver.stats.absorb(&solver.stats);
        }
        Ok((t, precision, last))
    }
}

/// Collects the branches at the samples.
struct Recorder {
    samples: usize,
    keep: bool,
    branches: Vec<WindowBranch>,
}

impl Recorder {
    fn new(samples: usize, keep: bool) -> Self {
        Recorder {
            samples,
            keep,
            branches: Vec::new(),
        }
    }
    /// A new branch; its number.
    fn open(&mut self) -> usize {
        self.branches.push(WindowBranch {
            values: vec![None; self.samples],
            slopes: vec![None; self.samples],
            condition: vec![None; self.samples],
            in_window: vec![false; self.samples],
            right: self.keep.then(|| vec![None; self.samples]),
        });
        self.branches.len() - 1
    }
    fn record(&mut self, s: usize, p: &Point, ids: &[usize], k: usize, sigma: Target) {
        while self.branches.len() <= ids.iter().copied().max().unwrap_or(0) {
            self.open();
        }
        let r = ranks(&p.values, sigma);
        for (i, &id) in ids.iter().enumerate() {
            let b = &mut self.branches[id];
            b.values[s] = Some(p.values[i]);
            b.slopes[s] = Some(p.slopes[i]);
            b.condition[s] = Some(p.kappa[i]);
            b.in_window[s] = r[i] < k;
            if let Some(v) = b.right.as_mut() {
                v[s] = Some(DVector::from_column_slice(col(&p.x, i)));
            }
        }
    }
    fn finish(self) -> Vec<WindowBranch> {
        self.branches
    }
}

/// One tracked eigenvalue of a windowed track, at the samples where it was computed
/// (`None` where it was outside the guard band).
///
/// ```
/// use eigentrack::sparse::{Nearest, SparseTerms};
/// use nalgebra_sparse::{CooMatrix, CscMatrix};
///
/// let mut d = CooMatrix::new(6, 6);
/// for i in 0..6 { d.push(i, i, i as f64); }
/// let fam = SparseTerms::new(6).term(CscMatrix::from(&d), |t| t + 1.0)?;
/// let tr = Nearest::new(1, 0.0)?.guard(1).samples(3)?.track(&fam, 0.0..=1.0)?;
/// let b = &tr.branches()[0]; // λ = 0 all along
/// assert!(b.values()[2].unwrap().norm() < 1e-12);
/// assert!(b.in_window().iter().all(|&w| w));
/// # Ok::<(), eigentrack::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct WindowBranch {
    values: Vec<Option<Complex64>>,
    slopes: Vec<Option<Complex64>>,
    condition: Vec<Option<f64>>,
    in_window: Vec<bool>,
    right: Option<Vec<Option<DVector<Complex64>>>>,
}

impl WindowBranch {
    /// λ at each sample (`None` where not computed). Inside the window to the residual
    /// tolerance [`Nearest::tol`]; in the guard band to 10⁴ times it.
    pub fn values(&self) -> &[Option<Complex64>] {
        &self.values
    }
    /// dλ/dt at each sample.
    pub fn slopes(&self) -> &[Option<Complex64>] {
        &self.slopes
    }
    /// Condition number κ = ‖x‖‖y‖/|yᴴx| at each sample (1 for Hermitian A).
    pub fn condition(&self) -> &[Option<f64>] {
        &self.condition
    }
    /// Whether the branch is among the k nearest σ at each sample.
    pub fn in_window(&self) -> &[bool] {
        &self.in_window
    }
    /// Unit right eigenvectors at the samples, with [`Nearest::keep_vectors`].
    pub fn right_vectors(&self) -> Option<&[Option<DVector<Complex64>>]> {
        self.right.as_deref()
    }
}

/// An event of a windowed track. Entries and exits of the window are never crossings:
/// a crossing is two window branches whose (real) eigenvalues pass through each other; an
/// entry is a branch becoming one of the k nearest σ (its distance |λ − σ| passing the
/// one of the branch that leaves, which gets the matching [`Exit`](Self::Exit)).
///
/// ```
/// use eigentrack::sparse::WindowEvent;
///
/// let e = WindowEvent::Entry { t: 0.5, branch: 3, precision: 1e-14 };
/// assert_eq!((e.kind(), e.t(), e.branches()), ("window_entry", 0.5, vec![3]));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum WindowEvent {
    /// A branch enters the k nearest σ at `t`.
    Entry {
        /// Where (Newton on fresh solves: `precision` is its last correction).
        t: f64,
        /// The branch.
        branch: usize,
        /// The size of the last correction of t (the step, when not located).
        precision: f64,
    },
    /// A branch leaves the k nearest σ at `t`.
    Exit {
        /// Where.
        t: f64,
        /// The branch.
        branch: usize,
        /// The size of the last correction of t.
        precision: f64,
    },
    /// Two window branches cross (their real eigenvalues pass through each other).
    Crossing {
        /// Where.
        t: f64,
        /// The two branches, ascending.
        branches: [usize; 2],
        /// The size of the last correction of t.
        precision: f64,
    },
    /// Two window branches meet without exchanging order (an even-order contact: the
    /// certified gap closes at `t`, the difference does not change sign).
    Touching {
        /// Where (the minimum of the gap).
        t: f64,
        /// The two branches, ascending.
        branches: [usize; 2],
        /// The size of the last correction of t.
        precision: f64,
    },
    /// A branch left the guard band (it is no longer computed) after `t`.
    Left {
        /// The last step where it was computed.
        t: f64,
        /// The branch.
        branch: usize,
    },
    /// A step whose pairing stayed in question at the smallest step: accepted with the
    /// best assignment.
    Unresolved {
        /// Start of the step.
        t0: f64,
        /// End of the step.
        t1: f64,
        /// The branches in question.
        branches: Vec<usize>,
    },
}

impl WindowEvent {
    /// Where it happens (the start of an unresolved step).
    pub fn t(&self) -> f64 {
        match self {
            WindowEvent::Entry { t, .. }
            | WindowEvent::Exit { t, .. }
            | WindowEvent::Crossing { t, .. }
            | WindowEvent::Touching { t, .. }
            | WindowEvent::Left { t, .. } => *t,
            WindowEvent::Unresolved { t0, .. } => *t0,
        }
    }
    /// "window_entry", "window_exit", "crossing", "touching", "left_band" or "unresolved".
    pub fn kind(&self) -> &'static str {
        match self {
            WindowEvent::Entry { .. } => "window_entry",
            WindowEvent::Exit { .. } => "window_exit",
            WindowEvent::Crossing { .. } => "crossing",
            WindowEvent::Touching { .. } => "touching",
            WindowEvent::Left { .. } => "left_band",
            WindowEvent::Unresolved { .. } => "unresolved",
        }
    }
    /// The branches concerned.
    pub fn branches(&self) -> Vec<usize> {
        match self {
            WindowEvent::Entry { branch, .. }
            | WindowEvent::Exit { branch, .. }
            | WindowEvent::Left { branch, .. } => vec![*branch],
            WindowEvent::Crossing { branches, .. } | WindowEvent::Touching { branches, .. } => {
                branches.to_vec()
            }
            WindowEvent::Unresolved { branches, .. } => branches.clone(),
        }
    }
}

/// Work and time of a windowed track.
///
/// ```
/// let s = eigentrack::sparse::WindowStats::default();
/// assert_eq!(s.solver.factorizations, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowStats {
    /// The shift-invert solver's counters (factorisations, solver iterations, …).
    pub solver: SolverStats,
    /// Steps accepted.
    pub accepted_steps: usize,
    /// Steps halved because a pairing was in question.
    pub rejected_steps: usize,
    /// Extra points solved to locate events and tell crossings from avoided crossings.
    pub event_points: usize,
    /// Events located and certified on the projection onto the two branches' vectors,
    /// with no solve (see [`Nearest`]'s method).
    pub projected_events: usize,
    /// Avoided crossings seen (two branches that exchange order without meeting: each
    /// keeps its side, as on the dense path's adiabatic policy).
    pub avoided_crossings: usize,
    /// Patterns built (1 when the pattern of A(t) does not change).
    pub patterns: usize,
    /// Wall time of the track.
    pub seconds: f64,
}

/// The result of a windowed track ([`Nearest::track`]).
///
/// ```
/// use eigentrack::sparse::{Nearest, SparseTerms};
/// use nalgebra_sparse::{CooMatrix, CscMatrix};
///
/// let mut d = CooMatrix::new(8, 8);
/// for i in 0..8 { d.push(i, i, i as f64); }
/// let fam = SparseTerms::new(8).constant(CscMatrix::from(&d))?;
/// let tr = Nearest::new(2, 3.9)?.samples(5)?.track(&fam, 0.0..=1.0)?;
/// let w = tr.window(4); // (branch, Re λ), nearest σ first
/// assert_eq!((w[0].0, w[1].0), (0, 1));
/// assert!((w[0].1 - 4.0).abs() < 1e-13 && (w[1].1 - 3.0).abs() < 1e-13);
/// # Ok::<(), eigentrack::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct WindowTracking {
    samples: Vec<f64>,
    k: usize,
    sigma: Complex64,
    target: Target,
    branches: Vec<WindowBranch>,
    events: Vec<WindowEvent>,
    stats: WindowStats,
}

impl WindowTracking {
    /// The sample grid.
    pub fn samples(&self) -> &[f64] {
        &self.samples
    }
    /// Every branch seen, in order of appearance (0 … m − 1 at the first sample, nearest σ
    /// first).
    pub fn branches(&self) -> &[WindowBranch] {
        &self.branches
    }
    /// Events in order of t.
    pub fn events(&self) -> &[WindowEvent] {
        &self.events
    }
    /// Work counters and time.
    pub fn stats(&self) -> &WindowStats {
        &self.stats
    }
    /// The window size k.
    pub fn k(&self) -> usize {
        self.k
    }
    /// The target σ (for [`Target::LargestReal`] the last shift of the factorisations).
    pub fn sigma(&self) -> Complex64 {
        self.sigma
    }
    /// Which eigenvalues the window holds.
    pub fn target(&self) -> Target {
        self.target
    }
    /// The window at sample s: (branch, real part of λ) for the k branches of the window,
    /// furthest inside first (nearest σ, or rightmost).
    pub fn window(&self, s: usize) -> Vec<(usize, f64)> {
        let mut w: Vec<(usize, Complex64)> = self
            .branches
            .iter()
            .enumerate()
            .filter(|(_, b)| b.in_window.get(s).copied().unwrap_or(false))
            .filter_map(|(i, b)| b.values[s].map(|v| (i, v)))
            .collect();
        w.sort_by(|x, y| self.target.key(x.1).total_cmp(&self.target.key(y.1)));
        w.into_iter().map(|(i, v)| (i, v.re)).collect()
    }
}
