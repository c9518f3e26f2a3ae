//! The eigenpairs of A(t) nearest σ at one t: the factorisation policy (symbolic analysis
//! once per pattern; for Hermitian problems a numeric factorisation at every new t and
//! Lanczos on it, for the others one only when the warm-started Davidson run stalls),
//! cold and warm starts, and left vectors for non-Hermitian A.

use super::davidson::{davidson, extend_orthonormal, noise, Field, Problem, Ritz};
use super::family::Values;
use super::lanczos::lanczos;
use super::shift_invert::{Factor, Symbolic, SINGULAR_GROWTH};
use crate::eigen::clusters::group_close;
use crate::error::{At, Error, Result};
use nalgebra::DMatrix;
use num_complex::Complex64;
use std::sync::Arc;
use std::time::Instant;

/// Work counters of the sparse path.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SolverStats {
    /// Numeric factorisations (LDLᵀ or LU) of A(t) − sI (A − sB).
    pub factorizations: usize,
    /// Symbolic analyses (one per distinct pattern).
    pub symbolic_analyses: usize,
    /// Shifts moved off an eigenvalue (a singular A(t) − σI).
    pub nudges: usize,
    /// Solver runs: Lanczos or Davidson (one per t for Hermitian A, two with left vectors;
    /// a Davidson run after a failed one counts again).
    pub runs: usize,
    /// Iterations, all runs: Lanczos block steps and Davidson Rayleigh–Ritz iterations.
    pub iterations: usize,
    /// Columns solved with a factorisation.
    pub solves: usize,
    /// Shifts moved with the band (the largest-real-part target).
    pub recentrings: usize,
    /// Seconds in numeric factorisations.
    pub factor_seconds: f64,
    /// Seconds in solver runs (products, solves, orthogonalisation, Rayleigh–Ritz).
    pub solve_seconds: f64,
}

impl SolverStats {
    /// Add the work of another solver (a local one) to these counters.
    pub(crate) fn absorb(&mut self, o: &SolverStats) {
        self.factorizations += o.factorizations;
        self.symbolic_analyses += o.symbolic_analyses;
        self.nudges += o.nudges;
        self.runs += o.runs;
        self.iterations += o.iterations;
        self.solves += o.solves;
        self.recentrings += o.recentrings;
        self.factor_seconds += o.factor_seconds;
        self.solve_seconds += o.solve_seconds;
    }
}

/// What one t gives: eigenvalues, unit right vectors, biorthonormal left vectors (None
/// for Hermitian A).
pub(crate) struct Pairs {
    pub values: Vec<Complex64>,
    pub x: DMatrix<Complex64>,
    pub left: Option<DMatrix<Complex64>>,
}

/// The shift-invert solver of one track.
pub(crate) struct Solver {
    pub sigma: Complex64,
    pub m: usize,
    /// The pairs of the window (the k nearest σ), converged to `tol`; the other m − k
    /// to `GUARD_TOL · tol`.
    pub strict: usize,
    /// Residual tolerance relative to ‖A‖₁.
    pub tol: f64,
    /// Rayleigh–Ritz iterations allowed on a stale factorisation before a new one.
    pub warm_iterations: usize,
    /// The largest |λ − σ| of the last pairs computed (∞ before the first).
    band_radius: f64,
    /// Values within this of each other form a group (cluster_tol·‖A‖ with
    /// ‖A‖ = max(‖A‖₁, ‖A‖∞)), set per t.
    group_tol: f64,
    sym: Option<Arc<Symbolic>>,
    factor: Option<Factor>,
    /// For a pencil: whether B was checked (nonsingular) on the current pattern, and
    /// whether it is Hermitian positive definite there.
    mass_checked: bool,
    definite: bool,
    /// Rank by largest real part; the shift follows the band.
    rightmost: bool,
    /// Block size of the Lanczos runs: above the largest group of equal values seen.
    block: usize,
    /// Samples still to be factorised up front because a warm run on a stale
    /// factorisation failed lately (its iterations were wasted).
    cold_streak: usize,
    pub stats: SolverStats,
}

/// After a warm run on a stale factorisation fails, this many samples are factorised up
/// front before a warm run is tried again.
const COLD_AFTER_FAILURE: usize = 2;

/// The guard pairs' residual tolerance over the window's: 10⁴, so a guard residual of
/// 10⁻⁸‖A‖₁ at the default tol (the eigenvalue then still to ≈ r²/gap on Hermitian A).
pub(super) const GUARD_TOL: f64 = 1e4;

/// The move of A − σB, over the band's radius, up to which a Hermitian problem keeps
/// a stale factorisation.
const STALE_HERMITIAN: f64 = 1e-3;

/// The smallest Lanczos block.
const MIN_BLOCK: usize = 4;

/// Iterations allowed with a fresh factorisation.
const FRESH_ITERATIONS: usize = 300;

/// A fixed pseudo-random n × b block with entries in [−1, 1).
fn probe<T: Field>(n: usize, b: usize, salt: u64) -> DMatrix<T> {
    DMatrix::from_fn(n, b, |i, k| {
        let h = ((i * b + k) as u64 + 1 + salt).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
        T::of(h as f64 / (1u64 << 52) as f64 - 1.0)
    })
}

/// Complex start vectors in the arithmetic `T`: real runs take each column turned by
/// the phase of its largest entry (the eigenvectors of a real symmetric A are real up to
/// a phase) and keep its real part.
fn start_in<T: Field>(s: &DMatrix<Complex64>) -> DMatrix<T> {
    if !<T as crate::eigen::Element>::IS_REAL {
        return s.map(T::from_c64);
    }
    let mut out = DMatrix::from_element(s.nrows(), s.ncols(), T::of(0.0));
    for (c, col) in s.column_iter().enumerate() {
        let big = col
            .iter()
            .copied()
            .max_by(|a, b| a.norm_sqr().total_cmp(&b.norm_sqr()))
            .unwrap_or(Complex64::new(1.0, 0.0));
        let turn = if big.norm() > 0.0 {
            big.conj() / big.norm()
        } else {
            Complex64::new(1.0, 0.0)
        };
        for (i, z) in col.iter().enumerate() {
            out[(i, c)] = T::of_c(z * turn);
        }
    }
    out
}

/// A Lanczos run (Hermitian A or Hermitian-definite pencil, real shift, right vectors,
/// factorisation at the current t) from the previous vectors and two pseudo-random
/// columns, or from a pseudo-random block; None where Lanczos does not apply or broke
/// down (the caller then runs Davidson).
fn try_lanczos<T: Field>(
    p: &Problem<'_, T>,
    f: &Factor,
    m: usize,
    start: Option<&DMatrix<Complex64>>,
    tol: f64,
    block: usize,
) -> Option<Ritz> {
    if !p.hermitian || p.adjoint || f.shift.im != 0.0 {
        return None;
    }
    let n = p.pattern.n();
    let (s, b) = match start {
        Some(s) => {
            let mut st = start_in::<T>(s);
            let extra = noise::<T>(n, 2, s.ncols());
            st = st.insert_columns(s.ncols(), 2, T::of(0.0));
            st.columns_mut(s.ncols(), 2).copy_from(&extra);
            (st, block)
        }
        // a cold block as wide as a warm one: a wider one (m/2) took 50 % more solves on
        // the grid and FE families; a group that fills the block is run again wider (see
        // `Solver::side`)
        None => (noise::<T>(n, block, 3), block),
    };
    lanczos(p, f, m, &s, tol, b, 40 * (m / b + 2))
}

impl Solver {
    pub fn new(sigma: Complex64, k: usize, m: usize, tol: f64, warm_iterations: usize) -> Self {
        Solver {
            sigma,
            m,
            strict: k,
            tol,
            warm_iterations,
            group_tol: 0.0,
            band_radius: f64::INFINITY,
            sym: None,
            factor: None,
            mass_checked: false,
            definite: false,
            rightmost: false,
            cold_streak: 0,
            block: MIN_BLOCK,
            stats: SolverStats::default(),
        }
    }

    /// A solver for a local question about a few branches: the `m` eigenpairs nearest
    /// `shift`, all to the window's tolerance, sharing this solver's symbolic analysis and
    /// its checks of B. Its factorisations are its own (at `shift`); add its counters back
    /// with [`SolverStats::absorb`].
    pub fn local(&self, shift: Complex64, m: usize) -> Solver {
        let mut s = Solver::new(shift, m, m, self.tol, self.warm_iterations);
        s.sym = self.sym.clone();
        s.mass_checked = self.mass_checked;
        s.definite = self.definite;
        s
    }

    /// Rank by largest real part, with the first shift at the right edge of the
    /// Gershgorin discs of A (the values `v` at the first t): max_j Re a_jj + Σ_{i≠j} |a_ij|.
    pub fn rightmost(mut self, on: bool, v: &Values) -> Self {
        if on {
            self.rightmost = true;
            let p = &v.pattern;
            let mut edge = f64::NEG_INFINITY;
            for j in 0..p.n() {
                let mut c = 0.0;
                let mut d = 0.0;
                for k in p.col_ptr()[j]..p.col_ptr()[j + 1] {
                    if p.row_idx()[k] == j {
                        d = v.a[k].re;
                    } else {
                        c += v.a[k].norm();
                    }
                }
                edge = edge.max(d + c);
            }
            self.sigma = Complex64::new(edge, 0.0);
        }
        self
    }

    /// The largest-real-part target: move the shift to s = R + max((R − Rₖ)/4, Y) (R the
    /// largest Re of the band, Rₖ the k-th, Y the largest |Im λ| of the band: so far right
    /// that the distance to s orders the eigenvalues near the band by real part) when it
    /// is more than half the band's width (R − Rₖ, at least 1e-8·‖A‖₁) away; the next
    /// call factorises at the new shift.
    fn recentre(&mut self, values: &[Complex64], norm1: f64) {
        if values.len() < self.strict {
            return;
        }
        let mut re: Vec<f64> = values.iter().map(|z| z.re).collect();
        re.sort_by(|a, b| b.total_cmp(a));
        let (r, rk) = (re[0], re[self.strict.max(1) - 1]);
        let width = (r - rk).max(1e-8 * norm1);
        let spread = values.iter().map(|z| z.im.abs()).fold(0.0, f64::max);
        let want = r + (0.25 * width).max(spread);
        if (self.sigma.re - want).abs() > 0.5 * width {
            self.sigma = Complex64::new(want, 0.0);
            self.factor = None;
            self.stats.recentrings += 1;
        }
    }

    /// Whether A(t) is Hermitian and B (if any) Hermitian positive definite: Lanczos and
    /// the projected event location apply (B is checked at the first t of a pattern).
    pub fn hermitian(&self, v: &Values) -> bool {
        v.a_hermitian && (v.b.is_none() || self.definite)
    }

    fn refactor(&mut self, v: &Values, norm1: f64, t: f64) -> Result<()> {
        let sym = self.sym.as_ref().expect("analysed");
        let t0 = Instant::now();
        let b = v.b.as_ref().map(|b| &b[0][..]);
        // real symmetric A − σB: LDLᵀ
        let symmetric = self.sigma.im == 0.0
            && v.a.iter().chain(b.unwrap_or(&[])).all(|z| z.im == 0.0)
            && v.pattern.is_hermitian(&v.a, 0.0)
            && b.is_none_or(|b| v.pattern.is_hermitian(b, 0.0));
        let f = Factor::new(sym, &v.a, b, self.sigma, norm1, t, symmetric)?;
        self.stats.factor_seconds += t0.elapsed().as_secs_f64();
        self.stats.factorizations += 1;
        self.stats.nudges += f.nudges;
        self.factor = Some(f);
        Ok(())
    }

    /// One side (right, or left with `adjoint`) from `start`, refactorising at t when the
    /// stale factorisation does not converge within `warm_iterations`.
    #[allow(clippy::too_many_arguments)]
    fn side<T: Field>(
        &mut self,
        v: &Values,
        (a, b): (&[T], Option<&[T]>),
        t: f64,
        hermitian: bool,
        adjoint: bool,
        start: Option<&DMatrix<Complex64>>,
        norm1: f64,
        m: usize,
    ) -> Result<Ritz> {
        let n = v.pattern.n();
        let target = if adjoint {
            self.sigma.conj()
        } else {
            self.sigma
        };
        let tol = self.tol * norm1;
        let problem = Problem {
            pattern: &v.pattern,
            a,
            adjoint,
            hermitian,
            target,
            group_tol: self.group_tol,
            strict: self.strict,
            guard_tol: GUARD_TOL * tol,
            b,
        };
        let fresh = self.factor.as_ref().is_some_and(|f| f.t == t);
        let t0 = Instant::now();
        let krylov = if fresh {
            let f = self.factor.as_ref().expect("factorised");
            try_lanczos(&problem, f, m, start, tol, self.block)
        } else {
            None
        };
        if let Some(run) = &krylov {
            // counted whether kept or not (a run that did not converge hands over to
            // Davidson)
            self.stats.runs += 1;
            self.stats.iterations += run.iterations;
            self.stats.solves += run.solves;
        }
        let largest = |r: &Ritz, tol: f64| {
            group_close(&r.values, tol)
                .iter()
                .map(Vec::len)
                .max()
                .unwrap_or(1)
        };
        let run = match krylov.filter(|r| r.converged) {
            Some(mut run) => {
                // a block of b columns finds at most b copies of an eigenvalue: while a
                // group fills the block it may hide more, so the run is repeated from what
                // it found with a block wider than the group
                let f = self.factor.as_ref().expect("factorised");
                loop {
                    let full = largest(&run, self.group_tol);
                    if full < self.block || self.block >= m {
                        break;
                    }
                    self.block = (full + 2).min(m);
                    let Some(wider) = try_lanczos(&problem, f, m, Some(&run.x), tol, self.block)
                    else {
                        break;
                    };
                    self.stats.runs += 1;
                    self.stats.iterations += wider.iterations;
                    self.stats.solves += wider.solves;
                    if !wider.converged {
                        break;
                    }
                    run = wider;
                }
                self.stats.solve_seconds += t0.elapsed().as_secs_f64();
                run
            }
            None => self.davidson_side(&problem, v, t, fresh, start, norm1, m, t0)?,
        };
        // the next Lanczos block exceeds the largest group of equal values
        let full = largest(&run, self.group_tol);
        self.block = (full + 2).clamp(MIN_BLOCK, m.max(MIN_BLOCK));
        if !run.converged {
            let worst = run.residuals.iter().copied().fold(0.0, f64::max);
            return Err(Error::NoConvergence {
                n,
                residual: worst / norm1.max(f64::MIN_POSITIVE),
                at: At(Some(t)),
            });
        }
        Ok(run)
    }

    /// The Davidson side of [`side`](Self::side): warm on the last factorisation (which
    /// may be stale), and on a new one when that does not converge within
    /// `warm_iterations` (then Lanczos first where it applies).
    #[allow(clippy::too_many_arguments)]
    fn davidson_side<T: Field>(
        &mut self,
        problem: &Problem<'_, T>,
        v: &Values,
        t: f64,
        fresh: bool,
        start: Option<&DMatrix<Complex64>>,
        norm1: f64,
        m: usize,
        t0: Instant,
    ) -> Result<Ritz> {
        let n = v.pattern.n();
        let adjoint = problem.adjoint;
        let tol = self.tol * norm1;
        let cold = |f: &Factor| {
            let b = (m + (m / 2).max(4)).min(n);
            // two steps of shift-invert subspace iteration on a random block
            let mut q = DMatrix::<T>::zeros(n, 0);
            extend_orthonormal(
                &mut q,
                &T::solve(f, &probe(n, b, adjoint as u64), adjoint),
                b,
            );
            let mut out = DMatrix::zeros(n, 0);
            extend_orthonormal(&mut out, &T::solve(f, &q, adjoint), b);
            out
        };
        let f = self.factor.as_ref().expect("factorised");
        // warm: the previous vectors and a few lookout vectors, a random block through
        // the (possibly stale) shift-invert twice, whose components along the
        // eigenvectors nearest σ dominate: a pair that comes into the band is found
        let start_block = match start {
            Some(s) => {
                let q = (m / 2).max(4).min(n.saturating_sub(s.ncols()));
                let salt = t.to_bits() ^ (adjoint as u64);
                let look = T::solve(f, &T::solve(f, &probe(n, q, salt), adjoint), adjoint);
                self.stats.solves += 2 * q;
                let s = start_in::<T>(s);
                let mut b = s.clone();
                b = b.insert_columns(s.ncols(), q, T::of(0.0));
                b.columns_mut(s.ncols(), q).copy_from(&look);
                b
            }
            None => cold(f),
        };
        let iters = if fresh {
            FRESH_ITERATIONS
        } else {
            self.warm_iterations
        };
        let mut run = davidson(problem, f, m, &start_block, tol, iters);
        self.stats.runs += 1;
        self.stats.iterations += run.iterations;
        self.stats.solves += run.solves;
        if !run.converged && !fresh {
            self.stats.solve_seconds += t0.elapsed().as_secs_f64();
            self.cold_streak = COLD_AFTER_FAILURE;
            self.refactor(v, norm1, t)?;
            let t1 = Instant::now();
            let f = self.factor.as_ref().expect("factorised");
            // continue from what the stale run found, with the old start as back-up
            let mut s = start_in::<T>(&run.x);
            extend_orthonormal(&mut s, &start_block, 2 * m);
            let found = s.map(|z| z.to_c64());
            let krylov = try_lanczos(problem, f, m, Some(&found), tol, self.block);
            if let Some(r) = &krylov {
                self.stats.runs += 1;
                self.stats.iterations += r.iterations;
                self.stats.solves += r.solves;
            }
            run = match krylov.filter(|r| r.converged) {
                Some(r) => r,
                None => {
                    let r = davidson(problem, f, m, &s, tol, FRESH_ITERATIONS);
                    self.stats.runs += 1;
                    self.stats.iterations += r.iterations;
                    self.stats.solves += r.solves;
                    r
                }
            };
            self.stats.solve_seconds += t1.elapsed().as_secs_f64();
        } else {
            self.stats.solve_seconds += t0.elapsed().as_secs_f64();
        }
        Ok(run)
    }

    /// The m eigenpairs of A(t) nearest σ (or rightmost), warm-started from `prev` (right
    /// vectors, and left ones when there are), or cold; with the largest-real-part target
    /// the shift is then re-centred on the band for the next call.
    pub fn pairs(
        &mut self,
        v: &Values,
        t: f64,
        prev: Option<(&DMatrix<Complex64>, Option<&DMatrix<Complex64>>)>,
        cluster_tol: f64,
    ) -> Result<Pairs> {
        let pairs = self.solve_pairs(v, t, prev, cluster_tol)?;
        if self.rightmost {
            self.recentre(&pairs.values, v.norms.0);
        }
        Ok(pairs)
    }

    fn solve_pairs(
        &mut self,
        v: &Values,
        t: f64,
        prev: Option<(&DMatrix<Complex64>, Option<&DMatrix<Complex64>>)>,
        cluster_tol: f64,
    ) -> Result<Pairs> {
        if !self.sym.as_ref().is_some_and(|s| s.is_for(&v.pattern)) {
            self.sym = Some(Arc::new(Symbolic::new(v.pattern.clone())));
            self.stats.symbolic_analyses += 1;
            self.factor = None;
            self.mass_checked = false;
        }
        let (norm1, scale) = v.norms;
        let mass = v.b.as_ref().map(|b| &b[0][..]);
        if let (Some(b), false) = (mass, self.mass_checked) {
            let sym = self.sym.as_ref().expect("analysed");
            let hermitian = v.pattern.is_hermitian(b, crate::eigen::HERMITIAN_TOL);
            let (rcond, definite) = Factor::mass_check(sym, b, hermitian)?;
            if rcond < 1.0 / SINGULAR_GROWTH {
                return Err(Error::Singular {
                    what: "B",
                    rcond,
                    at: At(Some(t)),
                });
            }
            self.definite = definite;
            self.mass_checked = true;
        }
        let hermitian = self.hermitian(v);
        // a factorisation whose A − σB has moved by more than a quarter of the band's
        // radius no longer brings in the pairs that come into the band: factorise anew.
        // Hermitian problems run Lanczos on a factorisation at the current t, which costs
        // a fraction of the solves of a warm Davidson run on a stale one: they keep a
        // stale factorisation only for moves below 1e-3 of the radius (event location,
        // refined steps), where one Davidson iteration or two suffice
        let reach = if hermitian { STALE_HERMITIAN } else { 0.25 };
        let stale = self.factor.as_ref().is_some_and(|f| {
            f.t != t && {
                let moved = |new: &[Complex64], old: &[Complex64]| {
                    let diff: Vec<Complex64> = new.iter().zip(old).map(|(x, y)| x - y).collect();
                    v.pattern.norms(&diff).0
                };
                let db = match (mass, &f.b) {
                    (Some(b), Some(fb)) => self.sigma.norm() * moved(b, fb),
                    _ => 0.0,
                };
                moved(&v.a, &f.a) + db > reach * self.band_radius
            }
        });
        let up_front = self.cold_streak > 0 && self.factor.as_ref().is_some_and(|f| f.t != t);
        self.cold_streak = self.cold_streak.saturating_sub(1);
        if self.factor.is_none() || stale || up_front {
            self.refactor(v, norm1, t)?;
        }
        self.group_tol = cluster_tol * scale;
        let real = hermitian
            && self.sigma.im == 0.0
            && v.a.iter().chain(mass.unwrap_or(&[])).all(|z| z.im == 0.0);
        let mut right = if real {
            let a: Vec<f64> = v.a.iter().map(|z| z.re).collect();
            let b: Option<Vec<f64>> = mass.map(|b| b.iter().map(|z| z.re).collect());
            let ab = (&a[..], b.as_deref());
            self.side(v, ab, t, hermitian, false, prev.map(|p| p.0), norm1, self.m)?
        } else {
            let start = prev.map(|p| p.0);
            self.side(v, (&v.a, mass), t, hermitian, false, start, norm1, self.m)?
        };
        self.band_radius = right
            .values
            .iter()
            .map(|l| (l - self.sigma).norm())
            .fold(0.0, f64::max);
        // B X of a pencil (formed by Lanczos already): the left vectors are scaled so that
        // Yᴴ B X = I
        let bx = mass.map(|b| {
            right
                .bx
                .take()
                .unwrap_or_else(|| v.pattern.mul(b, &right.x))
        });
        if hermitian {
            let left = match &bx {
                // a Hermitian-definite pencil: Y = X (Xᴴ B X)⁻¹ within each group
                Some(bx) => Some(
                    biorthonormal(&right, &right, bx, cluster_tol * scale).ok_or(
                        Error::NoConvergence {
                            n: v.pattern.n(),
                            residual: f64::INFINITY,
                            at: At(Some(t)),
                        },
                    )?,
                ),
                None => None,
            };
            return Ok(Pairs {
                values: right.values,
                x: right.x,
                left,
            });
        }
        let start_left = prev.map(|p| p.1.unwrap_or(p.0));
        // as many left pairs as the right side found (it may have taken in a group's
        // partners past the band)
        let m = right.values.len();
        let left = self.side(v, (&v.a, mass), t, false, true, start_left, norm1, m)?;
        let bx = bx.unwrap_or_else(|| right.x.clone());
        let y =
            biorthonormal(&right, &left, &bx, cluster_tol * scale).ok_or(Error::NoConvergence {
                n: v.pattern.n(),
                residual: f64::INFINITY,
                at: At(Some(t)),
            })?;
        Ok(Pairs {
            values: right.values,
            x: right.x,
            left: Some(y),
        })
    }
}

/// Left vectors matched to the right Ritz pairs (λ of A ↔ conj of the Aᴴ value) and
/// scaled so that Yᴴ B X = I (`bx` = B X; X itself without a pencil), blockwise inside
/// groups of equal values. None when the two sides do not match one to one.
fn biorthonormal(
    right: &Ritz,
    left: &Ritz,
    bx: &DMatrix<Complex64>,
    tol: f64,
) -> Option<DMatrix<Complex64>> {
    let m = right.values.len();
    let mut used = vec![false; left.values.len()];
    let mut pick = Vec::with_capacity(m);
    for &l in &right.values {
        let j = (0..left.values.len())
            .filter(|&j| !used[j])
            .min_by(|&a, &b| {
                (left.values[a].conj() - l)
                    .norm()
                    .total_cmp(&(left.values[b].conj() - l).norm())
            })?;
        used[j] = true;
        pick.push(j);
    }
    let n = right.x.nrows();
    let mut y = DMatrix::zeros(n, m);
    for (k, &j) in pick.iter().enumerate() {
        y.set_column(k, &left.x.column(j));
    }
    for g in group_close(&right.values, tol.max(0.0)) {
        // (B X_c)ᴴ Y_c, column by column (a group is small)
        let mc = DMatrix::from_fn(g.len(), g.len(), |r, c| {
            bx.column(g[r]).dotc(&y.column(g[c]))
        });
        let inv = mc.try_inverse()?;
        let mut yn = DMatrix::zeros(n, g.len());
        for (c, mut out) in yn.column_iter_mut().enumerate() {
            for (r, &j) in g.iter().enumerate() {
                out.axpy(inv[(r, c)], &y.column(j), Complex64::new(1.0, 0.0));
            }
        }
        for (k, &j) in g.iter().enumerate() {
            y.set_column(j, &yn.column(k));
        }
    }
    y.iter()
        .all(|z| z.re.is_finite() && z.im.is_finite())
        .then_some(y)
}
