//! Event location on the projected family, without a factorisation or a solve.
//!
//! Over an accepted step t₀ → t₁ two branches a and b satisfy a condition that changes
//! sign (they exchange order, or exchange places at the window's edge). Its root is
//! located on the Rayleigh–Ritz projection of the pencil (A(t), B(t)) (B = I without a
//! mass family) onto the span of the two branches' vectors at both ends,
//!
//! S = span{x_a(t₀), x_b(t₀), x_a(t₁), x_b(t₁)} = span C,
//!
//! with the true A(t), B(t) at every trial t: the Gram matrix G = Cᴴ B C gives an
//! orthonormal basis F of S (G = W Λ Wᴴ, F = W Λ^{-1/2} over the eigenvalues of G above
//! [`DEPENDENT`] · λ_max: vectors that hardly moved over the step add no direction), the
//! Ritz pairs are the eigenpairs (θᵢ, uᵢ) of the Hermitian H = Fᴴ (Cᴴ A C) F with
//! B-orthonormal Ritz vectors yᵢ = C F uᵢ, and their slopes θᵢ′ = yᵢᴴ (A′ − θᵢ B′) yᵢ are
//! exact. The Ritz vectors of a and b are the two with the largest B-overlap with the
//! branches' own vectors at both ends. Newton on the condition (at most [`NEWTON`]
//! steps, from the root of the Hermite interpolants) gives t*.
//!
//! **Certificate.** The answer stands only when, at the final t*, both Ritz pairs have
//! measured residuals ‖A x − θ B x‖ for unit x within the tolerance the branch was
//! computed to at the step's ends (tol·‖A‖₁ for a branch in the window at both, 10⁴ times
//! it otherwise, the guard band's: the projected pairs are then as accurate as the
//! pairs the tracker stepped with) and Newton has converged inside the step. For Hermitian A
//! (B = I) two orthonormal Ritz vectors with residuals ≤ ρ certify two distinct
//! eigenvalues within ρ of θ_a and θ_b (Kahan). Otherwise (the branches' vectors at t*
//! are not in S: they turn inside the step, as at an avoided crossing) the caller solves.
//!
//! Each trial costs products of A(t), B(t), A′(t), B′(t) with the ≤ 4 columns of C:
//! where the branches' vectors do not turn (separable and symmetric problems, whose
//! levels cross exactly) an event is located for a few sparse products instead of a
//! factorisation and a solver run.
//!
//! Hermitian A or Hermitian-definite pencils (real values) only.

use super::family::{Assembler, SparseFamily, Values};
use crate::eigen::{eig_with, HermitianMode};
use crate::error::Result;
use crate::perturb::Point;
use nalgebra::DMatrix;
use num_complex::Complex64;

/// Eigenvalues of the Gram matrix below this fraction of the largest are directions the
/// step did not add (a vector that did not move).
const DEPENDENT: f64 = 1e-8;

/// Newton steps at most.
const NEWTON: usize = 8;

/// The Ritz vectors taken for a and b must have at least this B-overlap (|cos| of the
/// B-angle) with the branch's vectors at the ends, on average over both ends.
const MIN_OVERLAP: f64 = 0.5;

/// A root located and certified on the projection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Located {
    /// The root t*.
    pub t: f64,
    /// The last Newton correction.
    pub precision: f64,
    /// |θ_a − θ_b| at t*.
    pub gap: f64,
}

/// The Ritz pairs of a and b at one t (of the two levels: their means, and the largest
/// residuals).
struct Trial {
    values: [f64; 2],
    slopes: [f64; 2],
    residuals: [f64; 2],
    overlaps: [f64; 2],
}

/// The projection of the pencil at the t of `v` onto span C (`c`, n × 2(p + q): the p
/// vectors of a and the q of b at t₀, then at t₁): the Ritz pairs of a and b. A branch
/// (p = 1) takes the Ritz vector of largest overlap; a level of several members
/// (a multiple eigenvalue) the p Ritz vectors that lie most in its columns' span, and
/// reads as their mean. None when S is degenerate or the two cannot be told apart.
fn trial(v: &Values, c: &DMatrix<Complex64>, (p, q): (usize, usize)) -> Option<Trial> {
    let pat = &v.pattern;
    let ac = pat.mul(&v.a, c);
    let bc = match &v.b {
        Some(b) => pat.mul(&b[0], c),
        None => c.clone(),
    };
    let g = c.adjoint() * &bc;
    let g = (&g + g.adjoint()).scale(0.5);
    let eg = eig_with(&g, HermitianMode::Yes).ok()?;
    let top = eg.values().iter().map(|z| z.re).fold(0.0, f64::max);
    if !(top.is_finite() && top > 0.0) {
        return None;
    }
    let keep: Vec<usize> = (0..g.ncols())
        .filter(|&j| eg.values()[j].re > DEPENDENT * top)
        .collect();
    if keep.len() < 2 {
        return None;
    }
    let f = DMatrix::from_fn(g.nrows(), keep.len(), |r, k| {
        eg.right()[(r, keep[k])] / eg.values()[keep[k]].re.sqrt()
    });
    let h = f.adjoint() * (c.adjoint() * &ac) * &f;
    let h = (&h + h.adjoint()).scale(0.5);
    let eh = eig_with(&h, HermitianMode::Yes).ok()?;
    // coordinates of the Ritz vectors in C, and their B-overlaps with C's columns
    let z = &f * eh.right();
    let over = z.adjoint() * &g;
    // |⟨yᵢ, C e_j⟩_B| / ‖C e_j‖_B, and for a side its root sum of squares over the side's
    // columns at each end, summed over both ends (for one column: the |cos| at both ends)
    let cos = |i: usize, j: usize| over[(i, j)].norm() / g[(j, j)].re.sqrt();
    let w = p + q;
    let weight = |i: usize, side: usize| {
        let (from, len) = if side == 0 { (0, p) } else { (p, q) };
        let end = |e: usize| {
            (from..from + len)
                .map(|j| cos(i, e * w + j).powi(2))
                .sum::<f64>()
                .sqrt()
        };
        end(0) + end(1)
    };
    let r = keep.len();
    if r < w {
        return None;
    }
    let sides: [Vec<usize>; 2] = if (p, q) == (1, 1) {
        let mut best = None;
        let mut best_w = f64::NEG_INFINITY;
        for ia in 0..r {
            for ib in 0..r {
                if ia != ib {
                    let w = weight(ia, 0) + weight(ib, 1);
                    if w > best_w {
                        best_w = w;
                        best = Some((ia, ib));
                    }
                }
            }
        }
        let (ia, ib) = best?;
        [vec![ia], vec![ib]]
    } else {
        // a's p most its own, then b's q among the rest
        let mut order: Vec<usize> = (0..r).collect();
        order.sort_by(|&x, &y| {
            (weight(y, 0) - weight(y, 1)).total_cmp(&(weight(x, 0) - weight(x, 1)))
        });
        let mut rest = order[p..].to_vec();
        rest.sort_by(|&x, &y| weight(y, 1).total_cmp(&weight(x, 1)));
        [order[..p].to_vec(), rest[..q].to_vec()]
    };
    let rows: Vec<usize> = sides.concat();
    let y = DMatrix::from_fn(c.ncols(), rows.len(), |k, j| z[(k, rows[j])]);
    let (ay, by) = (&ac * &y, &bc * &y);
    let cy = c * &y;
    let dy = pat.mul(&v.da, &cy);
    let dby = v.b.as_ref().map(|b| pat.mul(&b[1], &cy));
    let mut out = Trial {
        values: [0.0; 2],
        slopes: [0.0; 2],
        residuals: [0.0; 2],
        overlaps: [0.0; 2],
    };
    for (j, &row) in rows.iter().enumerate() {
        let (side, count) = if j < p { (0, p) } else { (1, q) };
        let theta = eh.values()[row].re;
        let res = (ay.column(j) - by.column(j) * Complex64::new(theta, 0.0)).norm();
        // yᴴ(A′ − θB′)y with yᴴBy = 1
        let mut slope = cy.column(j).dotc(&dy.column(j));
        if let Some(db) = &dby {
            slope -= cy.column(j).dotc(&db.column(j)) * theta;
        }
        out.values[side] += theta / count as f64;
        out.slopes[side] += slope.re / count as f64;
        out.residuals[side] = out.residuals[side].max(res / cy.column(j).norm());
        out.overlaps[side] += weight(row, side) / (2.0 * count as f64);
    }
    Some(out)
}

/// The root of `cond` (value and t-derivative from θ_a, θ_a′, θ_b, θ_b′) between
/// branches `a` and `b` on the step s0 → s1 (both in branch order), from `t` inside the
/// step (whose jet is `first`), located on the projection and certified with residuals ≤
/// `res_tol` (see the module). `a` and `b` may be levels of several branches (a multiple
/// eigenvalue that stays multiple over the step): the projection is then onto all their
/// vectors and each level reads as the mean of its Ritz values. None when it cannot be
/// certified (or Newton leaves the step): the caller then solves.
#[allow(clippy::too_many_arguments)]
pub(super) fn locate<F: SparseFamily + ?Sized>(
    asm: &mut Assembler<'_, F>,
    (t, first): (f64, &Values),
    s0: &Point,
    s1: &Point,
    (a, b): (&[usize], &[usize]),
    cond: impl Fn(f64, f64, f64, f64) -> (f64, f64),
    res_tol: [f64; 2],
    span: f64,
) -> Result<Option<Located>> {
    let cols: Vec<_> = [s0, s1]
        .iter()
        .flat_map(|p| a.iter().chain(b).map(|&i| p.x.column(i)))
        .collect();
    let c = DMatrix::from_columns(&cols);
    let sizes = (a.len(), b.len());
    let (tmin, tmax) = (s0.t.min(s1.t), s0.t.max(s1.t));
    let mut t = t;
    // the jet at a t past the first
    let mut later: Option<Values> = None;
    for _ in 0..NEWTON {
        let Some(p) = trial(later.as_ref().unwrap_or(first), &c, sizes) else {
            return Ok(None);
        };
        let (f, df) = cond(p.values[0], p.slopes[0], p.values[1], p.slopes[1]);
        let next = t - f / df;
        if !(next.is_finite() && (tmin..=tmax).contains(&next)) {
            return Ok(None);
        }
        let step = (next - t).abs();
        if step <= 1e-13 * span.max(t.abs()) {
            let certified = p.residuals.iter().zip(&res_tol).all(|(r, tol)| r <= tol)
                && p.overlaps.iter().all(|&o| o >= MIN_OVERLAP);
            return Ok(certified.then_some(Located {
                t,
                precision: step,
                gap: (p.values[0] - p.values[1]).abs(),
            }));
        }
        t = next;
        later = Some(asm.jet(t)?);
    }
    Ok(None)
}
