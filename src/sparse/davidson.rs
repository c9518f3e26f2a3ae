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
//! ‖A xᵢ − θᵢ xᵢ‖ ≤ tol for the m wanted pairs. Restarts keep the 2m Ritz vectors
//! nearest σ.

use super::pattern::Pattern;
use super::shift_invert::Factor;
use crate::eigen::{eig_with, HermitianMode};
use crate::linalg::{mul, mul_adj};
use nalgebra::DMatrix;
use num_complex::Complex64;

/// The operator of one Davidson run: A (or Aᴴ) given by its values on a pattern.
pub(crate) struct Problem<'a> {
    pub pattern: &'a Pattern,
    pub a: &'a [Complex64],
    /// Work with Aᴴ (left eigenvectors) instead of A.
    pub adjoint: bool,
    pub hermitian: bool,
    /// The target (conjugated by the caller for the adjoint problem).
    pub target: Complex64,
    /// Ritz values this close to the m-th are wanted too (a degenerate group is never
    /// split at the edge of the band).
    pub group_tol: f64,
}

impl Problem<'_> {
    fn apply(&self, v: &DMatrix<Complex64>) -> DMatrix<Complex64> {
        if self.adjoint {
            self.pattern.mul_adj(self.a, v)
        } else {
            self.pattern.mul(self.a, v)
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

/// Append an orthonormal basis of the part of span(`w`) orthogonal to `v` to `v`, up to
/// `cap` columns in all: two passes of block Gram–Schmidt against `v`, each followed by
/// an orthonormalisation of the block through the eigen-decomposition of its Gram matrix
/// (directions below 1e-10 of the largest column of `w` are dropped). Every product is a
/// faer matrix product. Returns how many columns were added.
pub(crate) fn extend_orthonormal(
    v: &mut DMatrix<Complex64>,
    w: &DMatrix<Complex64>,
    cap: usize,
) -> usize {
    let n = w.nrows();
    let d0 = v.ncols();
    let room = cap.saturating_sub(d0);
    if room == 0 || w.ncols() == 0 {
        return 0;
    }
    let finite: Vec<usize> = (0..w.ncols())
        .filter(|&c| {
            w.column(c)
                .iter()
                .all(|z| z.re.is_finite() && z.im.is_finite())
        })
        .collect();
    let mut b = DMatrix::from_fn(n, finite.len(), |i, k| w[(i, finite[k])]);
    let reference = b.column_iter().map(|c| c.norm()).fold(0.0, f64::max);
    if reference.is_nan() || reference <= 0.0 {
        return 0;
    }
    for pass in 0..2 {
        if d0 > 0 {
            let c = mul_adj(v, &b);
            b -= mul(v, &c);
        }
        let g = mul_adj(&b, &b);
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
        let u = DMatrix::from_fn(g.ncols(), keep.len(), |r, c| {
            e.right()[(r, keep[c])] / e.values()[keep[c]].re.sqrt()
        });
        b = mul(&b, &u);
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
fn fill(v: &mut DMatrix<Complex64>, want: usize, salt: usize) -> usize {
    let n = v.nrows();
    let extra = DMatrix::from_fn(n, want - v.ncols() + 2, |i, k| {
        let h = ((i * 7919 + k * 104_729 + salt * 15_485_863) as u64 + 1)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            >> 11;
        Complex64::new(h as f64 / (1u64 << 52) as f64 - 1.0, 0.0)
    });
    extend_orthonormal(v, &extra, want)
}

/// Run Davidson from the columns of `start` for the `m` eigenpairs nearest the target,
/// preconditioned by `pre`, at most `max_iter` Rayleigh–Ritz iterations.
pub(crate) fn davidson(
    p: &Problem<'_>,
    pre: &Factor,
    m: usize,
    start: &DMatrix<Complex64>,
    tol: f64,
    max_iter: usize,
) -> Ritz {
    let n = p.pattern.n();
    let max_dim = (4 * m).max(m + 12).min(n);
    let keep = (2 * m).max(m + 4).min(max_dim);
    let mut v = DMatrix::<Complex64>::zeros(n, 0);
    extend_orthonormal(&mut v, start, max_dim);
    if v.ncols() < m.min(n) {
        fill(&mut v, m.min(n), 0);
    }
    let mut av = p.apply(&v);
    let mut hfull = mul_adj(&v, &av);
    let mut solves = 0;
    let mut best: Option<Ritz> = None;
    for it in 1..=max_iter.max(1) {
        let d = v.ncols();
        let mut h = hfull.clone();
        let mode = if p.hermitian {
            h = (&h + h.adjoint()) * Complex64::new(0.5, 0.0);
            HermitianMode::Yes
        } else {
            HermitianMode::No
        };
        let Ok(e) = eig_with(&h, mode) else {
            break;
        };
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&i, &j| {
            (e.values()[i] - p.target)
                .norm()
                .total_cmp(&(e.values()[j] - p.target).norm())
        });
        let mut want = m.min(d);
        while want < d
            && want > 0
            && (e.values()[order[want]] - e.values()[order[want - 1]]).norm() <= p.group_tol
        {
            want += 1;
        }
        let s = DMatrix::from_fn(d, want, |r, c| e.right()[(r, order[c])]);
        let mut x = mul(&v, &s);
        let mut ax = mul(&av, &s);
        let mut values = Vec::with_capacity(want);
        let mut residuals = Vec::with_capacity(want);
        let mut r = DMatrix::<Complex64>::zeros(n, want);
        for c in 0..want {
            let nx = x.column(c).norm();
            let scale = Complex64::new(1.0 / nx, 0.0);
            x.column_mut(c).scale_mut(scale.re);
            ax.column_mut(c).scale_mut(scale.re);
            // the Rayleigh quotient of the unit vector (Hermitian: real)
            let mut theta = x.column(c).dotc(&ax.column(c));
            if p.hermitian {
                theta.im = 0.0;
            }
            let rc = ax.column(c) - x.column(c) * theta;
            residuals.push(rc.norm());
            r.column_mut(c).copy_from(&rc);
            values.push(theta);
        }
        let converged = want >= m && residuals.iter().all(|&q| q <= tol);
        let worst = residuals.iter().copied().fold(0.0, f64::max);
        let improved = best
            .as_ref()
            .is_none_or(|b| worst <= b.residuals.iter().copied().fold(0.0, f64::max));
        let ritz = Ritz {
            values,
            x,
            residuals,
            converged,
            iterations: it,
            solves,
        };
        if converged || it == max_iter {
            return if converged || improved {
                ritz
            } else {
                best.expect("kept")
            };
        }
        // expansion: P⁻¹ r for the unconverged residuals
        let open: Vec<usize> = (0..want).filter(|&c| ritz.residuals[c] > tol).collect();
        let rs = DMatrix::from_fn(n, open.len(), |i, k| r[(i, open[k])]);
        let t = pre.solve(&rs, p.adjoint);
        solves += open.len();
        if d + open.len() > max_dim {
            // restart on the `keep` Ritz vectors nearest the target
            let k2 = keep.min(d);
            let s2 = DMatrix::from_fn(d, k2, |r, c| e.right()[(r, order[c])]);
            let w = mul(&v, &s2);
            v = DMatrix::zeros(n, 0);
            extend_orthonormal(&mut v, &w, max_dim);
            av = p.apply(&v);
            hfull = mul_adj(&v, &av);
        }
        let before = v.ncols();
        let mut added = extend_orthonormal(&mut v, &t, max_dim);
        if v.ncols() < m.min(n) {
            added += fill(&mut v, m.min(n), it);
        }
        if added == 0 {
            // nothing new: this is as far as the space goes
            return if improved { ritz } else { best.expect("kept") };
        }
        let new_cols = v.columns(before, added).into_owned();
        let anew = p.apply(&new_cols);
        av = av.insert_columns(before, added, Complex64::new(0.0, 0.0));
        av.columns_mut(before, added).copy_from(&anew);
        // H grows by the new rows and columns only
        let d1 = before + added;
        let right = mul_adj(&v, &anew); // Vᴴ A V_new
        let bottom = mul_adj(&new_cols, &av.columns(0, before).into_owned()); // V_newᴴ A V_old
        let mut h2 = DMatrix::zeros(d1, d1);
        h2.view_mut((0, 0), (before, before)).copy_from(&hfull);
        h2.view_mut((0, before), (d1, added)).copy_from(&right);
        h2.view_mut((before, 0), (added, before)).copy_from(&bottom);
        hfull = h2;
        if improved {
            best = Some(ritz);
        }
    }
    best.unwrap_or_else(|| Ritz {
        values: Vec::new(),
        x: DMatrix::zeros(n, 0),
        residuals: Vec::new(),
        converged: false,
        iterations: 0,
        solves,
    })
}
