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

/// Guard pairs closer than this many guard tolerances to another wanted pair are
/// converged to the window's tolerance (they may be a degenerate group).
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

/// `a · b`, or `aᴴ · b` with `adjoint` (faer, single-threaded).
fn gemm<T: Field>(a: &DMatrix<T>, b: &DMatrix<T>, adjoint: bool) -> DMatrix<T> {
    let av = MatRef::from_column_major_slice(a.as_slice(), a.nrows(), a.ncols());
    let rows = if adjoint { a.ncols() } else { a.nrows() };
    let mut out = DMatrix::<T>::zeros(rows, b.ncols());
    let (r, c) = out.shape();
    let dst = MatMut::from_column_major_slice_mut(out.as_mut_slice(), r, c);
    let bv = MatRef::from_column_major_slice(b.as_slice(), b.nrows(), b.ncols());
    if adjoint {
        matmul(dst, Accum::Replace, av.adjoint(), bv, T::of(1.0), Par::Seq);
    } else {
        matmul(dst, Accum::Replace, av, bv, T::of(1.0), Par::Seq);
    }
    out
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
    fn apply(&self, v: &DMatrix<T>) -> DMatrix<T> {
        self.product(self.a, v)
    }
    /// B v (Bᴴ v for the adjoint problem); None without a pencil.
    fn apply_b(&self, v: &DMatrix<T>) -> Option<DMatrix<T>> {
        self.b.map(|b| self.product(b, v))
    }
    fn product(&self, vals: &[T], v: &DMatrix<T>) -> DMatrix<T> {
        if self.adjoint {
            self.pattern.mul_adj(vals, v)
        } else {
            self.pattern.mul(vals, v)
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
        }
    }
}

/// Append an orthonormal basis of the part of span(`w`) orthogonal to `v` to `v`, up to
/// `cap` columns in all: two passes of block Gram–Schmidt against `v`, each followed by
/// an orthonormalisation of the block through the eigen-decomposition of its Gram matrix
/// (directions below 1e-10 of the largest column of `w` are dropped). Every product is a
/// faer matrix product. Returns how many columns were added.
pub(crate) fn extend_orthonormal<T: Field>(
    v: &mut DMatrix<T>,
    w: &DMatrix<T>,
    cap: usize,
) -> usize {
    let n = w.nrows();
    let d0 = v.ncols();
    let room = cap.saturating_sub(d0);
    if room == 0 || w.ncols() == 0 {
        return 0;
    }
    let finite: Vec<usize> = (0..w.ncols())
        .filter(|&c| w.column(c).iter().all(|z| z.non_finite().is_none()))
        .collect();
    let mut b = if finite.len() == w.ncols() {
        w.clone()
    } else {
        w.select_columns(finite.iter())
    };
    let reference = b.column_iter().map(|c| c.norm()).fold(0.0, f64::max);
    if reference.is_nan() || reference <= 0.0 {
        return 0;
    }
    for pass in 0..2 {
        if d0 > 0 {
            let c = gemm(v, &b, true);
            b -= gemm(v, &c, false);
        }
        let g = gemm(&b, &b, true);
        let Ok(e) = eig_with(&g, HermitianMode::Yes) else {
            return 0;
        };
        let floor = if pass == 0 {
            (1e-10 * reference).powi(2)
        } else {
            0.25
        };
        let mut keep: Vec<usize> = (0..g.ncols())
            .filter(|&i| e.values()[i].re > floor)
            .collect();
        keep.sort_by(|&i, &j| e.values()[j].re.total_cmp(&e.values()[i].re));
        if keep.is_empty() {
            return 0;
        }
        // the Gram matrix of a real block is real symmetric: its eigenvectors are real
        let u = DMatrix::from_fn(g.ncols(), keep.len(), |r, c| {
            T::of_c(e.right()[(r, keep[c])] / e.values()[keep[c]].re.sqrt())
        });
        b = gemm(&b, &u, false);
    }
    let added = b.ncols().min(room);
    let mut out = DMatrix::zeros(n, d0 + added);
    out.columns_mut(0, d0).copy_from(v);
    out.columns_mut(d0, added).copy_from(&b.columns(0, added));
    *v = out;
    added
}

/// Fill `v` up to `want` columns with fixed pseudo-random directions (a space smaller than
/// the pairs wanted: exact eigenvectors in the start, small n). Returns how many were
/// added.
fn fill<T: Field>(v: &mut DMatrix<T>, want: usize, salt: usize) -> usize {
    let n = v.nrows();
    let extra = DMatrix::from_fn(n, want - v.ncols() + 2, |i, k| {
        let h = ((i * 7919 + k * 104_729 + salt * 15_485_863) as u64 + 1)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            >> 11;
        T::of(h as f64 / (1u64 << 52) as f64 - 1.0)
    });
    extend_orthonormal(v, &extra, want)
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
    let mut v = DMatrix::<T>::zeros(n, 0);
    extend_orthonormal(&mut v, start, max_dim);
    if v.ncols() < m.min(n) {
        fill(&mut v, m.min(n), 0);
    }
    let mut av = p.apply(&v);
    let mut bv = p.apply_b(&v);
    let mut hfull = gemm(&v, &av, true);
    let mut solves = 0;
    let mut best: Option<Pending<T>> = None;
    for it in 1..=max_iter.max(1) {
        let d = v.ncols();
        let g = bv.as_ref().map(|bv| gemm(&v, bv, true));
        let Some((evals, evecs)) = projected(&hfull, g.as_ref(), p.hermitian) else {
            break;
        };
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&i, &j| {
            (evals[i] - p.target)
                .norm()
                .total_cmp(&(evals[j] - p.target).norm())
        });
        let extend = |mut w: usize, within: f64| {
            while w < d && w > 0 && (evals[order[w]] - evals[order[w - 1]]).norm() <= within {
                w += 1;
            }
            w
        };
        // a guard pair as close to another as the guard tolerance lets its value wander
        // may be half of a degenerate group: it, and its partner past the band, are
        // converged to `tol` so that the group is seen whole
        let near = p.group_tol.max(NEAR * p.guard_tol);
        let want = extend(m.min(d), near);
        let strict = extend(p.strict.min(want), p.group_tol);
        let close: Vec<bool> = (0..want)
            .map(|c| {
                (0..want).any(|j| j != c && (evals[order[j]] - evals[order[c]]).norm() <= near)
            })
            .collect();
        let tol_of = |c: usize| {
            if c < strict || close[c] {
                tol
            } else {
                p.guard_tol.max(tol)
            }
        };
        // real arithmetic only runs Hermitian problems: real Ritz vectors
        let s = DMatrix::from_fn(d, want, |r, c| T::of_c(evecs[(r, order[c])]));
        let mut x = gemm(&v, &s, false);
        let mut ax = gemm(&av, &s, false);
        let mut bx = bv.as_ref().map(|bv| gemm(bv, &s, false));
        let mut values = Vec::with_capacity(want);
        let mut residuals = Vec::with_capacity(want);
        let mut r = ax.clone();
        for c in 0..want {
            let nx = x.column(c).norm();
            x.column_mut(c).scale_mut(1.0 / nx);
            ax.column_mut(c).scale_mut(1.0 / nx);
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
                    let theta = x.column(c).dotc(&ax.column(c)).to_c64();
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
        let converged = want >= m && residuals.iter().enumerate().all(|(c, &q)| q <= tol_of(c));
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
        let open: Vec<usize> = (0..want)
            .filter(|&c| ritz.residuals[c] > tol_of(c))
            .collect();
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
            let w = gemm(&v, &s2, false);
            if p.hermitian && p.b.is_none() {
                // orthonormal Ritz vectors: V S₂ is the new basis, A V S₂ its image
                v = w;
                av = gemm(&av, &s2, false);
                hfull = gemm(&s2, &gemm(&hfull, &s2, false), true);
            } else {
                v = DMatrix::zeros(n, 0);
                extend_orthonormal(&mut v, &w, max_dim);
                av = p.apply(&v);
                bv = p.apply_b(&v);
                hfull = gemm(&v, &av, true);
            }
        }
        let before = v.ncols();
        let mut added = extend_orthonormal(&mut v, &t, max_dim);
        if v.ncols() < m.min(n) {
            added += fill(&mut v, m.min(n), it);
        }
        if added == 0 {
            // nothing new: this is as far as the space goes
            return if improved {
                ritz.done()
            } else {
                best.expect("kept").done()
            };
        }
        let new_cols = v.columns(before, added).into_owned();
        let anew = p.apply(&new_cols);
        av = av.insert_columns(before, added, T::of(0.0));
        av.columns_mut(before, added).copy_from(&anew);
        if let Some(bv) = bv.as_mut() {
            let bnew = p.apply_b(&new_cols).expect("a pencil");
            *bv = std::mem::replace(bv, DMatrix::zeros(0, 0)).insert_columns(
                before,
                added,
                T::of(0.0),
            );
            bv.columns_mut(before, added).copy_from(&bnew);
        }
        // H grows by the new rows and columns only
        let d1 = before + added;
        let right = gemm(&v, &anew, true); // Vᴴ A V_new
        let bottom = gemm(&new_cols, &av.columns(0, before).into_owned(), true); // V_newᴴ A V_old
        let mut h2 = DMatrix::zeros(d1, d1);
        h2.view_mut((0, 0), (before, before)).copy_from(&hfull);
        h2.view_mut((0, before), (d1, added)).copy_from(&right);
        h2.view_mut((before, 0), (added, before)).copy_from(&bottom);
        hfull = h2;
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
    })
}
