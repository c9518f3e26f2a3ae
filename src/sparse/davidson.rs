//! A block Davidson method for the eigenpairs of a sparse A nearest a target σ,
//! preconditioned by a shift-invert factorisation (A(t_f) − sI)⁻¹ that may come from an
//! earlier t_f.
//!
//! The search space V (orthonormal columns) is expanded by P⁻¹ rᵢ for the unconverged
//! Ritz residuals rᵢ = A xᵢ − θᵢ xᵢ. With an exact factorisation (t_f = t) P⁻¹ rᵢ =
//! xᵢ + (s − θᵢ) P⁻¹ xᵢ, so V grows as a block shift-invert Krylov space (the cold
//! start); with a stale one it is Davidson's correction, which converges while A(t) −
//! A(t_f) is small against the gaps — so a new factorisation is needed only every few
//! steps. Rayleigh–Ritz on V: the Ritz values nearest σ are kept (Hermitian A: the
//! Hermitian projected matrix and orthonormal Ritz vectors). Converged when
//! ‖A xᵢ − θᵢ xᵢ‖ ≤ tol for the pairs of the window and ≤ guard_tol for the guard pairs
//! of the band (they only need to be followed until they enter the window, where they
//! are converged to tol). Restarts keep the 2m Ritz vectors nearest σ.
//!
//! The method is generic over the arithmetic ([`Field`]): a real symmetric A with a real
//! target runs in `f64` throughout (half the memory traffic, a quarter of the flops of
//! complex products); everything else in `Complex64`. Ritz pairs come out complex.

use super::pattern::Pattern;
use super::shift_invert::Factor;
use crate::eigen::{eig_with, Element, HermitianMode};
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use nalgebra::DMatrix;
use num_complex::Complex64;

/// A guard pair's residual is at most its distance to the nearest other Ritz value over
/// this (vectors good to r/δ ≤ 1e-3).
const NEAR: f64 = 1e3;

/// The arithmetic of a Davidson run: `f64` (real symmetric A, real target) or
/// `Complex64`.
pub(crate) trait Field:
    Element + nalgebra::ComplexField<RealField = f64> + faer::traits::ComplexField
{
    /// `pre⁻¹ b` (or `pre⁻ᴴ b`) in this arithmetic.
    fn solve(pre: &Factor, b: &DMatrix<Self>, adjoint: bool) -> DMatrix<Self>;
    /// A real number in this arithmetic.
    fn of(x: f64) -> Self {
        <Self as Element>::from_f64(x)
    }
    /// A complex number in this arithmetic (its real part for `f64`).
    fn of_c(z: Complex64) -> Self {
        <Self as Element>::from_c64(z)
    }
}

impl Field for f64 {
    fn solve(pre: &Factor, b: &DMatrix<f64>, adjoint: bool) -> DMatrix<f64> {
        pre.solve_real(b, adjoint)
    }
}

impl Field for Complex64 {
    fn solve(pre: &Factor, b: &DMatrix<Complex64>, adjoint: bool) -> DMatrix<Complex64> {
        pre.solve(b, adjoint)
    }
}

/// An r × c matrix of zeros (a zeroed allocation: `calloc` for `f64`, no element loop).
pub(crate) fn zeros<T: Field>(r: usize, c: usize) -> DMatrix<T> {
    DMatrix::from_vec(r, c, vec![T::of(0.0); r * c])
}

/// A faer view of a column-major slice holding `c` columns of length `r`.
pub(super) fn view<T: Field>(s: &[T], r: usize, c: usize) -> MatRef<'_, T> {
    MatRef::from_column_major_slice(&s[..r * c], r, c)
}

/// A faer view of a whole nalgebra matrix.
pub(super) fn mat<T: Field>(m: &DMatrix<T>) -> MatRef<'_, T> {
    view(m.as_slice(), m.nrows(), m.ncols())
}

/// `a · b`, or `aᴴ · b` with `adjoint` (faer, single-threaded), into a new matrix.
pub(super) fn prod<T: Field>(a: MatRef<'_, T>, b: MatRef<'_, T>, adjoint: bool) -> DMatrix<T> {
    let rows = if adjoint { a.ncols() } else { a.nrows() };
    let mut out = zeros::<T>(rows, b.ncols());
    let (r, c) = out.shape();
    let dst = MatMut::from_column_major_slice_mut(out.as_mut_slice(), r, c);
    if adjoint {
        matmul(dst, Accum::Replace, a.adjoint(), b, T::of(1.0), Par::Seq);
    } else {
        matmul(dst, Accum::Replace, a, b, T::of(1.0), Par::Seq);
    }
    out
}

/// `dst −= a · b` (faer, single-threaded).
pub(super) fn sub_prod<T: Field>(dst: &mut DMatrix<T>, a: MatRef<'_, T>, b: &DMatrix<T>) {
    let (r, c) = dst.shape();
    let d = MatMut::from_column_major_slice_mut(dst.as_mut_slice(), r, c);
    matmul(d, Accum::Add, a, mat(b), T::of(-1.0), Par::Seq);
}

/// `a · b` or `aᴴ · b` for nalgebra matrices.
pub(super) fn gemm<T: Field>(a: &DMatrix<T>, b: &DMatrix<T>, adjoint: bool) -> DMatrix<T> {
    prod(mat(a), mat(b), adjoint)
}

/// The operator of one Davidson run: A (or Aᴴ) given by its values on a pattern.
pub(crate) struct Problem<'a, T> {
    pub pattern: &'a Pattern,
    pub a: &'a [T],
    /// Work with Aᴴ (left eigenvectors) instead of A.
    pub adjoint: bool,
    pub hermitian: bool,
    /// The target (conjugated by the caller for the adjoint problem).
    pub target: Complex64,
    /// Ritz values this close to the m-th are wanted too (a degenerate group is never
    /// split at the edge of the band).
    pub group_tol: f64,
    /// The pairs nearest the target (the window, extended over a group at its edge) are
    /// converged to `tol`; the rest of the band (the guard pairs) to `guard_tol`.
    pub strict: usize,
    /// Residual tolerance of the guard pairs.
    pub guard_tol: f64,
    /// B of a pencil Ax = λBx (values on the pattern; None: B = I). With `hermitian`, A
    /// and B are Hermitian and B is positive definite.
    pub b: Option<&'a [T]>,
}

impl<T: Field> Problem<'_, T> {
    /// `out` = M x (Mᴴ x for the adjoint problem) for the matrix M with values `vals` on
    /// the pattern and a block x of columns (column-major, `out` of the same length).
    /// Hermitian problems (whose A and B are Hermitian) take the gather form Mᴴ x too.
    pub(super) fn product_into(&self, vals: &[T], x: &[T], out: &mut [T]) {
        if self.adjoint || self.hermitian {
            self.pattern.mul_adj_into(vals, x, out)
        } else {
            self.pattern.mul_into(vals, x, out)
        }
    }
}

/// The Ritz values and vectors (coefficients in the basis, columns) of the projected
/// problem: H s = θ s, or the projected pencil H s = θ G s (G = Vᴴ B V; Hermitian-definite
/// by a Cholesky factor of G, otherwise G⁻¹H). None when the small problem fails.
fn projected<T: Field>(
    h: &DMatrix<T>,
    g: Option<&DMatrix<T>>,
    hermitian: bool,
) -> Option<(Vec<Complex64>, DMatrix<Complex64>)> {
    let sym = |m: &DMatrix<T>| (m + m.adjoint()).scale(0.5);
    match (g, hermitian) {
        (None, true) => {
            let e = eig_with(&sym(h), HermitianMode::Yes).ok()?;
            Some((e.values().to_vec(), e.right().clone()))
        }
        (None, false) => {
            let e = eig_with(h, HermitianMode::No).ok()?;
            Some((e.values().to_vec(), e.right().clone()))
        }
        (Some(g), true) => {
            let l = nalgebra::Cholesky::new(sym(g))?.l();
            // L⁻¹ H L⁻ᴴ, Hermitian
            let x = l.solve_lower_triangular(&sym(h))?;
            let ht = l.solve_lower_triangular(&x.adjoint())?;
            let e = eig_with(&sym(&ht), HermitianMode::Yes).ok()?;
            let z = e.right().map(T::of_c);
            let s = l.adjoint().solve_upper_triangular(&z)?;
            Some((e.values().to_vec(), s.map(|v| v.to_c64())))
        }
        (Some(g), false) => {
            let m = g.clone().lu().solve(h)?;
            let e = eig_with(&m, HermitianMode::No).ok()?;
            Some((e.values().to_vec(), e.right().clone()))
        }
    }
}

/// The wanted Ritz pairs of one run.
#[derive(Debug, Clone)]
pub(crate) struct Ritz {
    pub values: Vec<Complex64>,
    /// Unit Ritz vectors (n × m).
    pub x: DMatrix<Complex64>,
    /// ‖A xᵢ − θᵢ xᵢ‖.
    pub residuals: Vec<f64>,
    pub converged: bool,
    /// Rayleigh–Ritz iterations.
    pub iterations: usize,
    /// Columns solved with the factorisation.
    pub solves: usize,
    /// B X of a pencil, where the run formed it (Lanczos measures its residuals with it).
    pub bx: Option<DMatrix<Complex64>>,
}

/// The wanted Ritz pairs of an iteration, vectors still in the run's arithmetic.
struct Pending<T> {
    values: Vec<Complex64>,
    x: DMatrix<T>,
    residuals: Vec<f64>,
    converged: bool,
    iterations: usize,
    solves: usize,
}

impl<T: Field> Pending<T> {
    fn done(self) -> Ritz {
        Ritz {
            values: self.values,
            x: self.x.map(|z| z.to_c64()),
            residuals: self.residuals,
            converged: self.converged,
            iterations: self.iterations,
            solves: self.solves,
            bx: None,
        }
    }
}

/// An orthonormal basis (n × r, r ≤ `cap`) of the part of span(`w`) orthogonal to the
/// orthonormal columns of `v`: two passes of block Gram–Schmidt against `v`, each followed
/// by an orthonormalisation of the block through the eigen-decomposition of its Gram
/// matrix (directions below 1e-10 of the largest column of `w` are dropped; non-finite
/// columns are ignored). Every product is a faer matrix product. None when nothing is
/// left.
fn orthonormal_part<T: Field>(v: MatRef<'_, T>, w: DMatrix<T>, cap: usize) -> Option<DMatrix<T>> {
    if cap == 0 || w.ncols() == 0 {
        return None;
    }
    let finite: Vec<usize> = (0..w.ncols())
        .filter(|&c| w.column(c).iter().all(|z| z.non_finite().is_none()))
        .collect();
    let mut b = if finite.len() == w.ncols() {
        w
    } else {
        w.select_columns(finite.iter())
    };
    let reference = b.column_iter().map(|c| c.norm()).fold(0.0, f64::max);
    if reference.is_nan() || reference <= 0.0 {
        return None;
    }
    for pass in 0..2 {
        if v.ncols() > 0 {
            let c = prod(v, mat(&b), true);
            sub_prod(&mut b, v, &c);
        }
        let g = gemm(&b, &b, true);
        let e = eig_with(&g, HermitianMode::Yes).ok()?;
        let floor = if pass == 0 {
            (1e-10 * reference).powi(2)
        } else {
            0.25
        };
        let mut keep: Vec<usize> = (0..g.ncols())
            .filter(|&i| e.values()[i].re > floor)
            .collect();
        keep.sort_by(|&i, &j| e.values()[j].re.total_cmp(&e.values()[i].re));
        keep.truncate(cap);
        if keep.is_empty() {
            return None;
        }
        // the Gram matrix of a real block is real symmetric: its eigenvectors are real
        let u = DMatrix::from_fn(g.ncols(), keep.len(), |r, c| {
            T::of_c(e.right()[(r, keep[c])] / e.values()[keep[c]].re.sqrt())
        });
        b = gemm(&b, &u, false);
    }
    Some(b)
}

/// Append an orthonormal basis of the part of span(`w`) orthogonal to `v` to `v`, up to
/// `cap` columns in all (see [`orthonormal_part`]). Returns how many columns were added.
pub(crate) fn extend_orthonormal<T: Field>(
    v: &mut DMatrix<T>,
    w: &DMatrix<T>,
    cap: usize,
) -> usize {
    let d0 = v.ncols();
    let Some(b) = orthonormal_part(mat(v), w.clone(), cap.saturating_sub(d0)) else {
        return 0;
    };
    let added = b.ncols();
    let mut data = Vec::with_capacity(v.len() + b.len());
    data.extend_from_slice(v.as_slice());
    data.extend_from_slice(b.as_slice());
    *v = DMatrix::from_vec(w.nrows(), d0 + added, data);
    added
}

/// Fixed pseudo-random directions (n × c) with entries in [−1, 1).
pub(super) fn noise<T: Field>(n: usize, c: usize, salt: usize) -> DMatrix<T> {
    DMatrix::from_fn(n, c, |i, k| {
        // splitmix64 of (salt, column, row)
        let mut z =
            ((salt as u64) << 48 ^ (k as u64) << 32 ^ i as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        T::of((z >> 11) as f64 / (1u64 << 52) as f64 - 1.0)
    })
}

/// The search space of a run: V (orthonormal columns), A V and B V, stored column-major
/// with room for `cap` columns so that growing never copies, and the projections
/// H = Vᴴ A V, G = Vᴴ B V.
struct Space<T> {
    n: usize,
    cap: usize,
    d: usize,
    v: Vec<T>,
    av: Vec<T>,
    bv: Option<Vec<T>>,
    h: DMatrix<T>,
    g: Option<DMatrix<T>>,
}

impl<T: Field> Space<T> {
    fn new(n: usize, cap: usize, pencil: bool) -> Self {
        let z = || vec![T::of(0.0); n * cap];
        Space {
            n,
            cap,
            d: 0,
            v: z(),
            av: z(),
            bv: pencil.then(z),
            h: zeros(0, 0),
            g: pencil.then(|| zeros(0, 0)),
        }
    }
    fn v(&self) -> MatRef<'_, T> {
        view(&self.v, self.n, self.d)
    }
    fn av(&self) -> MatRef<'_, T> {
        view(&self.av, self.n, self.d)
    }
    fn bv(&self) -> Option<MatRef<'_, T>> {
        self.bv.as_ref().map(|b| view(b, self.n, self.d))
    }

    /// Append the part of span(`w`) orthogonal to V (as much as fits), with its images
    /// and the new rows and columns of H and G. Returns how many columns were added.
    fn extend(&mut self, p: &Problem<'_, T>, w: DMatrix<T>) -> usize {
        let Some(q) = orthonormal_part(self.v(), w, self.cap - self.d) else {
            return 0;
        };
        let (n, before, added) = (self.n, self.d, q.ncols());
        let range = before * n..(before + added) * n;
        self.v[range.clone()].copy_from_slice(q.as_slice());
        p.product_into(p.a, q.as_slice(), &mut self.av[range.clone()]);
        if let (Some(bv), Some(b)) = (self.bv.as_mut(), p.b) {
            p.product_into(b, q.as_slice(), &mut bv[range.clone()]);
        }
        self.d = before + added;
        self.h = grow(&self.h, self.v(), self.av(), before, p.hermitian);
        if let (Some(g), Some(bv)) = (self.g.as_ref(), self.bv()) {
            self.g = Some(grow(g, self.v(), bv, before, p.hermitian));
        }
        added
    }

    /// Restart on V S (the Ritz vectors of the columns of `s`).
    fn restart(&mut self, p: &Problem<'_, T>, s: &DMatrix<T>) {
        let w = prod(self.v(), mat(s), false);
        if p.hermitian && p.b.is_none() {
            // orthonormal Ritz vectors: V S is the new basis, A V S its image
            let aw = prod(self.av(), mat(s), false);
            let k = s.ncols();
            self.v[..self.n * k].copy_from_slice(w.as_slice());
            self.av[..self.n * k].copy_from_slice(aw.as_slice());
            self.h = gemm(s, &gemm(&self.h, s, false), true);
            self.d = k;
        } else {
            self.d = 0;
            self.h = zeros(0, 0);
            if self.g.is_some() {
                self.g = Some(zeros(0, 0));
            }
            self.extend(p, w);
        }
    }
}

/// The projection Vᴴ W of the grown space from the old one (`old` = the first `before`
/// rows and columns): only the new rows and columns are computed, and for a Hermitian
/// operator the new rows are the adjoint of the new columns.
fn grow<T: Field>(
    old: &DMatrix<T>,
    v: MatRef<'_, T>,
    w: MatRef<'_, T>,
    before: usize,
    hermitian: bool,
) -> DMatrix<T> {
    let d = v.ncols();
    let added = d - before;
    let right = prod(v, w.subcols(before, added), true); // Vᴴ W_new
    let mut out = zeros::<T>(d, d);
    out.view_mut((0, 0), (before, before)).copy_from(old);
    out.view_mut((0, before), (d, added)).copy_from(&right);
    if hermitian {
        let top = right.rows(0, before).adjoint();
        out.view_mut((before, 0), (added, before)).copy_from(&top);
    } else {
        let bottom = prod(v.subcols(before, added), w.subcols(0, before), true);
        out.view_mut((before, 0), (added, before))
            .copy_from(&bottom);
    }
    out
}

/// The Ritz pairs a run wants, nearest the target first: the order of `evals` by
/// distance to the target, and the residual tolerance of each of the first `want` (≥ m
/// when there are as many; values past the band's edge within NEAR·guard_tol of its last
/// value are taken too, at most m/2 of them, so that a degenerate group at the edge is
/// taken whole). The window (extended over a group at its edge) gets `tol`; a guard pair
/// gets `guard_tol`, or δ/[`NEAR`] when that is smaller (δ its distance to the nearest
/// other Ritz value, in the band or past it), so that its vector is good to r/δ ≤ 1e-3
/// against its neighbours — a guard pair close to another, a degenerate group split at
/// the band's edge included, converges to `tol` — but never below `tol`. (A fixed
/// closeness threshold of NEAR·guard_tol spanned many levels on fine grids, where
/// ‖A‖₁ ≫ |λ − σ|, and made every guard pair strict.)
pub(crate) fn select<T>(
    p: &Problem<'_, T>,
    evals: &[Complex64],
    m: usize,
    tol: f64,
) -> (Vec<usize>, Vec<f64>) {
    let d = evals.len();
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&i, &j| {
        (evals[i] - p.target)
            .norm()
            .total_cmp(&(evals[j] - p.target).norm())
    });
    let extend = |mut w: usize, within: f64, most: usize| {
        while w < d.min(most) && w > 0 && (evals[order[w]] - evals[order[w - 1]]).norm() <= within {
            w += 1;
        }
        w
    };
    // past the band's edge: values as close to the last as a guard pair's value may
    // wander (a degenerate group not yet resolved), at most m/2 more
    let near = p.group_tol.max(NEAR * p.guard_tol);
    let want = extend(m.min(d), near, m + m.div_ceil(2));
    let strict = extend(p.strict.min(want), p.group_tol, want);
    let tols = (0..want)
        .map(|c| {
            if c < strict {
                return tol;
            }
            let gap = (0..d)
                .filter(|&j| j != order[c])
                .map(|j| (evals[j] - evals[order[c]]).norm())
                .fold(f64::INFINITY, f64::min);
            (gap / NEAR).min(p.guard_tol).max(tol)
        })
        .collect();
    (order, tols)
}

/// Run Davidson from the columns of `start` for the `m` eigenpairs nearest the target,
/// preconditioned by `pre`, at most `max_iter` Rayleigh–Ritz iterations.
pub(crate) fn davidson<T: Field>(
    p: &Problem<'_, T>,
    pre: &Factor,
    m: usize,
    start: &DMatrix<T>,
    tol: f64,
    max_iter: usize,
) -> Ritz {
    let n = p.pattern.n();
    let max_dim = (4 * m).max(m + 12).min(n);
    let keep = (2 * m).max(m + 4).min(max_dim);
    let mut space = Space::new(n, max_dim, p.b.is_some());
    space.extend(p, start.clone());
    if space.d < m.min(n) {
        space.extend(p, noise(n, m.min(n) - space.d + 2, 0));
    }
    let mut solves = 0;
    let mut best: Option<Pending<T>> = None;
    for it in 1..=max_iter.max(1) {
        let d = space.d;
        let Some((evals, evecs)) = projected(&space.h, space.g.as_ref(), p.hermitian) else {
            break;
        };
        let (order, tols) = select(p, &evals, m, tol);
        let want = tols.len();
        // real arithmetic only runs Hermitian problems: real Ritz vectors
        let s = DMatrix::from_fn(d, want, |r, c| T::of_c(evecs[(r, order[c])]));
        let mut x = prod(space.v(), mat(&s), false);
        // A x, turned into the residual A x − θ B x column by column
        let mut r = prod(space.av(), mat(&s), false);
        let mut bx = space.bv().map(|bv| prod(bv, mat(&s), false));
        let mut values = Vec::with_capacity(want);
        let mut residuals = Vec::with_capacity(want);
        for c in 0..want {
            let nx = x.column(c).norm();
            x.column_mut(c).scale_mut(1.0 / nx);
            let rx = &mut r.column_mut(c);
            rx.scale_mut(1.0 / nx);
            let mut theta = match bx.as_mut() {
                // a pencil: the Ritz value of the projected pencil; r = A x − θ B x
                Some(bx) => {
                    bx.column_mut(c).scale_mut(1.0 / nx);
                    let theta = evals[order[c]];
                    rx.axpy(-T::of_c(theta), &bx.column(c), T::of(1.0));
                    theta
                }
                // the Rayleigh quotient of the unit vector; r = A x − θ x
                None => {
                    let theta = x.column(c).dotc(rx).to_c64();
                    let theta = if p.hermitian {
                        Complex64::new(theta.re, 0.0)
                    } else {
                        theta
                    };
                    rx.axpy(-T::of_c(theta), &x.column(c), T::of(1.0));
                    theta
                }
            };
            if p.hermitian {
                theta.im = 0.0;
            }
            residuals.push(rx.norm());
            values.push(theta);
        }
        let converged = want >= m && residuals.iter().zip(&tols).all(|(q, t)| q <= t);
        let worst = residuals.iter().copied().fold(0.0, f64::max);
        let improved = best
            .as_ref()
            .is_none_or(|b| worst <= b.residuals.iter().copied().fold(0.0, f64::max));
        let ritz = Pending {
            values,
            x,
            residuals,
            converged,
            iterations: it,
            solves,
        };
        if converged || it == max_iter {
            return if converged || improved {
                ritz.done()
            } else {
                best.expect("kept").done()
            };
        }
        // expansion: P⁻¹ r for the unconverged residuals
        let open: Vec<usize> = (0..want).filter(|&c| ritz.residuals[c] > tols[c]).collect();
        let rs = if open.len() == want {
            r
        } else {
            r.select_columns(open.iter())
        };
        let t = T::solve(pre, &rs, p.adjoint);
        solves += open.len();
        if d + open.len() > max_dim {
            // restart on the `keep` Ritz vectors nearest the target
            let k2 = keep.min(d);
            let s2 = DMatrix::from_fn(d, k2, |r, c| T::of_c(evecs[(r, order[c])]));
            space.restart(p, &s2);
        }
        let mut added = space.extend(p, t);
        if space.d < m.min(n) {
            added += space.extend(p, noise(n, m.min(n) - space.d + 2, it));
        }
        if added == 0 {
            // nothing new: this is as far as the space goes
            return if improved {
                ritz.done()
            } else {
                best.expect("kept").done()
            };
        }
        if improved {
            best = Some(ritz);
        }
    }
    best.map(Pending::done).unwrap_or_else(|| Ritz {
        values: Vec::new(),
        x: DMatrix::zeros(n, 0),
        residuals: Vec::new(),
        converged: false,
        iterations: 0,
        solves,
        bx: None,
    })
}
