//! A thick-restart block Lanczos method (Krylov–Schur for a self-adjoint operator) for
//! the eigenpairs of a Hermitian A, or a Hermitian-definite pencil (A, B), nearest a real
//! shift s, on the shift-inverted operator OP = (A − sB)⁻¹B with a factorisation at the
//! current t.
//!
//! OP is self-adjoint in the B-inner product, its eigenvalues are θ = 1/(λ − s), and the
//! λ nearest s are the |θ| largest. The basis V is B-orthonormal and carries the block
//! Krylov relation OP V_d = V_d T + V₊ E, where V₊ is the next block of b columns, T =
//! Vᴴ B OP V (d × d, Hermitian) comes from the Gram–Schmidt coefficients, and E (b × d)
//! from the normalisation of the newest block. So no product with A is needed while the
//! space grows: each step costs b solves and an orthogonalisation, against the Ritz
//! vectors of every step and the A-products of Davidson's Rayleigh–Ritz.
//!
//! For a Ritz pair (θ, x = V u) of T, OP x − θ x = V₊ E u, hence
//!
//! A x − λ B x = −(λ − s)(A − sB) V₊ E u,  λ = s + 1/θ,
//!
//! and ‖A x − λ B x‖ = |λ − s|·‖Z E u‖ with Z = (A − sB)V₊: the residual of every Ritz
//! pair for the price of b sparse products per step. When these estimates say the
//! wanted pairs have converged, the Ritz vectors are formed and their residuals measured
//! directly (the returned residuals are always measured ones). When the space is full it
//! is restarted on the Ritz vectors nearest s (thick restart); the relation then reads
//! OP V_k = V_k diag(θ) + V₊ (E U_k).
//!
//! A block of b columns finds eigenvalues of multiplicity up to b; the solver picks b
//! above the largest group it has seen. A block that loses rank (the space has become
//! invariant: small problems) ends the run with `None`, and the caller uses Davidson.

use super::davidson::{
    gemm, mat, noise, prod, select, sub_prod, view, zeros, Field, Problem, Ritz,
};
use super::shift_invert::Factor;
use crate::eigen::{eig_with, HermitianMode};
use faer::MatRef;
use nalgebra::DMatrix;
use num_complex::Complex64;

/// A block is rank deficient when its smallest singular value falls below this fraction
/// of its largest column before orthogonalisation.
const DEFICIENT: f64 = 1e-12;

/// B W (W itself without a pencil).
fn times_b<T: Field>(p: &Problem<'_, T>, w: &DMatrix<T>) -> DMatrix<T> {
    match p.b {
        Some(b) => {
            let mut out = zeros::<T>(w.nrows(), w.ncols());
            p.product_into(b, w.as_slice(), out.as_mut_slice());
            out
        }
        None => w.clone(),
    }
}

/// The factor F = U Λ^{-1/2} that makes W F B-orthonormal (G = Wᴴ B W = U Λ Uᴴ), and
/// R = Λ^{1/2} Uᴴ with W = (W F) R, and √λ_min(G) (the smallest B-singular value of W).
/// None when λ_min(G) < (DEFICIENT·reference)².
fn normaliser<T: Field>(
    w: &DMatrix<T>,
    bw: &DMatrix<T>,
    reference: f64,
) -> Option<(DMatrix<T>, DMatrix<T>, f64)> {
    let g = gemm(w, bw, true);
    let g = (&g + g.adjoint()).scale(0.5);
    let e = eig_with(&g, HermitianMode::Yes).ok()?;
    let b = g.ncols();
    let floor = (DEFICIENT * reference).powi(2);
    if e.values().iter().any(|l| l.re.is_nan() || l.re <= floor) {
        return None;
    }
    let f = DMatrix::from_fn(b, b, |r, c| {
        T::of_c(e.right()[(r, c)] / e.values()[c].re.sqrt())
    });
    let rr = DMatrix::from_fn(b, b, |r, c| {
        T::of_c(e.right()[(c, r)].conj() * e.values()[r].re.sqrt())
    });
    let smallest = e
        .values()
        .iter()
        .map(|l| l.re)
        .fold(f64::INFINITY, f64::min);
    Some((f, rr, smallest.sqrt()))
}

/// A new block from W: W = V C + Q R with Q B-orthonormal and B-orthogonal to the
/// columns of V (`bv` = B V), by two passes of block Gram–Schmidt in the B-inner product
/// (one before and one after the normalisation). The first pass runs against the columns
/// `local..` of V only: those W = OP V₊ has Lanczos coefficients on (the current and the
/// previous block; all of V on the first step after a restart), where the cancellation
/// is. On the other columns W has only the rounding the recurrence carries, which the
/// second pass, against all of V, removes ("twice is enough" needs the first pass to
/// leave a block far from span V, which the rank test and the size of what the second
/// pass removes check: a third pass runs when it took away more than half a direction);
/// one pass over the whole basis per step instead of two.
/// Returns (C, Q, B Q (None without a pencil), R); None when W has (numerically) lost
/// rank against V.
#[allow(clippy::type_complexity)]
fn orthogonalise<T: Field>(
    p: &Problem<'_, T>,
    v: MatRef<'_, T>,
    bv: MatRef<'_, T>,
    mut w: DMatrix<T>,
    local: usize,
) -> Option<(DMatrix<T>, DMatrix<T>, Option<DMatrix<T>>, DMatrix<T>)> {
    let reference = w.column_iter().map(|c| c.norm()).fold(0.0, f64::max);
    if !reference.is_finite() || reference <= 0.0 {
        return None;
    }
    let (d, local) = (v.ncols(), local.min(v.ncols()));
    // classical Gram–Schmidt twice: this pass (on the local columns), the normalisation
    // (and rank test), then the second pass below
    let cl = prod(bv.subcols(local, d - local), mat(&w), true);
    sub_prod(&mut w, v.subcols(local, d - local), &cl);
    let mut c = zeros::<T>(d, w.ncols());
    c.rows_mut(local, d - local).copy_from(&cl);
    let bw = p.b.map(|_| times_b(p, &w));
    let (f, mut r, _) = normaliser(&w, bw.as_ref().unwrap_or(&w), reference)?;
    let mut q = gemm(&w, &f, false);
    let mut bq = bw.map(|bw| gemm(&bw, &f, false));
    // W = V C + Q R so far; each further pass: Q = V C₂ + Q₂ R₂
    for _ in 0..2 {
        let c2 = prod(bv, mat(&q), true);
        sub_prod(&mut q, v, &c2);
        if let Some(bq) = bq.as_mut() {
            sub_prod(bq, bv, &c2);
        }
        let (f2, r2, kept) = normaliser(&q, bq.as_ref().unwrap_or(&q), 1.0)?;
        q = gemm(&q, &f2, false);
        bq = bq.map(|bq| gemm(&bq, &f2, false));
        c += gemm(&c2, &r, false);
        r = gemm(&r2, &r, false);
        if kept >= 0.5 {
            break;
        }
    }
    Some((c, q, bq, r))
}

/// The basis of a run: columns 0..d carry the relation, d..d+b are the next block.
struct Basis<T> {
    n: usize,
    v: Vec<T>,
    bv: Option<Vec<T>>,
}

impl<T: Field> Basis<T> {
    fn v(&self, from: usize, cols: usize) -> MatRef<'_, T> {
        view(&self.v[from * self.n..], self.n, cols)
    }
    /// B V (V itself without a pencil).
    fn bv(&self, from: usize, cols: usize) -> MatRef<'_, T> {
        match &self.bv {
            Some(bv) => view(&bv[from * self.n..], self.n, cols),
            None => self.v(from, cols),
        }
    }
    /// A copy of columns `from..from + cols` of B V.
    fn bv_owned(&self, from: usize, cols: usize) -> DMatrix<T> {
        let src = self.bv.as_ref().unwrap_or(&self.v);
        DMatrix::from_column_slice(self.n, cols, &src[from * self.n..(from + cols) * self.n])
    }
    /// Columns `at..` of V (and of B V with a pencil: `bq`).
    fn put(&mut self, at: usize, q: &DMatrix<T>, bq: Option<&DMatrix<T>>) {
        let r = at * self.n..at * self.n + q.len();
        self.v[r.clone()].copy_from_slice(q.as_slice());
        if let (Some(bv), Some(bq)) = (self.bv.as_mut(), bq) {
            bv[r].copy_from_slice(bq.as_slice());
        }
    }
}

/// Run block Lanczos with `block` columns from the columns of `start` (mixed into one
/// block) for the `m` eigenpairs nearest the target, with the factorisation `pre` of
/// A − sB at the current t, at most `max_steps` block steps. None when the method does
/// not apply (too small a problem for the space) or a block loses rank.
pub(crate) fn lanczos<T: Field>(
    p: &Problem<'_, T>,
    pre: &Factor,
    m: usize,
    start: &DMatrix<T>,
    tol: f64,
    block: usize,
    max_steps: usize,
) -> Option<Ritz> {
    let n = p.pattern.n();
    let b = block.clamp(1, m.max(1));
    // the restart space: m wanted pairs, as many again and four blocks (each step reads
    // the basis once; the larger space took 6 % fewer solves and 16 % less time than
    // 2m + 2b on the dot at n = 4·10⁴, the same on the FE pencil)
    let cap = 2 * m + 4 * b;
    if cap + b > n / 2 || start.ncols() == 0 || !p.hermitian || p.adjoint {
        return None;
    }
    let keep = (m + (cap - m) / 2).min(cap - b);
    let s = pre.shift.re;
    // ‖x‖₂ ≥ 1/√‖B‖₂ for xᴴBx = 1: the residual estimates of a pencil are scaled by
    // √‖B‖₁ (≥ √‖B‖₂), so they bound the residual of the unit vector
    let xscale = match p.b {
        Some(vals) => {
            let pat = p.pattern;
            (0..n)
                .map(|j| {
                    (pat.col_ptr()[j]..pat.col_ptr()[j + 1])
                        .map(|k| crate::eigen::Element::modulus(vals[k]))
                        .sum::<f64>()
                })
                .fold(0.0, f64::max)
                .sqrt()
        }
        None => 1.0,
    };
    let width = cap + b;
    let mut basis = Basis {
        n,
        v: vec![T::of(0.0); n * width],
        bv: p.b.map(|_| vec![T::of(0.0); n * width]),
    };
    let mut h = zeros::<T>(width, width);
    // the first block: pseudo-random combinations of the start columns, so that every
    // direction of the start is in it
    let w0 = gemm(start, &noise(start.ncols(), b, 7), false);
    let (_, q, bq, _) = orthogonalise(p, basis.v(0, 0), basis.bv(0, 0), w0, 0)?;
    basis.put(0, &q, bq.as_ref());
    let mut d = 0;
    // the first column of V that the next W = OP V₊ has Lanczos coefficients on
    let mut local = 0;
    let mut solves = 0;
    let mut steps = 0;
    // estimates must reach trust·tol (lowered when a measured residual disagrees)
    let mut trust = 1.0;
    loop {
        // expand: W = OP V₊
        let rhs = basis.bv_owned(d, b);
        let w = T::solve(pre, &rhs, false);
        solves += b;
        steps += 1;
        let (c, q, bq, r) = orthogonalise(p, basis.v(0, d + b), basis.bv(0, d + b), w, local)?;
        // the next block's coefficients: on this block and the next (after a restart
        // the first step's are on all the kept vectors too)
        local = d;
        h.view_mut((0, d), (d + b, b)).copy_from(&c);
        h.view_mut((d + b, d), (b, b)).copy_from(&r);
        d += b;
        basis.put(d, &q, bq.as_ref());
        if d < m {
            continue;
        }
        // Rayleigh–Ritz on T = H[..d, ..d]
        let t = h.view((0, 0), (d, d));
        let t = (t + t.adjoint()).scale(0.5);
        let e = eig_with(&t, HermitianMode::Yes).ok()?;
        let lam: Vec<Complex64> = e
            .values()
            .iter()
            .map(|th| {
                if th.re == 0.0 {
                    Complex64::new(f64::INFINITY, 0.0)
                } else {
                    Complex64::new(s + 1.0 / th.re, 0.0)
                }
            })
            .collect();
        let (order, tols) = select(p, &lam, m, tol);
        let want = tols.len();
        let u = DMatrix::from_fn(d, d, |r, c| T::of_c(e.right()[(r, c)]));
        let uw = DMatrix::from_fn(d, want, |r, c| u[(r, order[c])]);
        // Z = (A − sB) V₊ and the couplings E U of the wanted pairs
        let next = &basis.v[d * n..(d + b) * n];
        let mut z = zeros::<T>(n, b);
        p.product_into(p.a, next, z.as_mut_slice());
        let next_bv = basis.bv.as_ref().map_or(next, |bv| &bv[d * n..(d + b) * n]);
        z.iter_mut()
            .zip(next_bv)
            .for_each(|(z, &w)| *z -= w * T::of(s));
        let gz = gemm(&z, &z, true);
        let eu = gemm(&h.view((d, 0), (b, d)).into_owned(), &uw, false);
        let estimates: Vec<f64> = (0..want)
            .map(|c| {
                let cc = eu.column(c).into_owned();
                let q = (cc.adjoint() * &gz * &cc)[(0, 0)]
                    .to_c64()
                    .re
                    .max(0.0)
                    .sqrt();
                (lam[order[c]].re - s).abs() * q * xscale
            })
            .collect();
        let estimates_met = want >= m && estimates.iter().zip(&tols).all(|(e, t)| *e <= trust * t);
        if estimates_met || steps >= max_steps {
            let ritz = measured(p, &basis, d, &uw, steps, solves);
            let ok = want >= m && ritz.residuals.iter().zip(&tols).all(|(q, t)| q <= t);
            if ok || steps >= max_steps {
                return Some(Ritz {
                    converged: ok,
                    ..ritz
                });
            }
            trust *= 0.1;
        }
        if d + b > cap {
            // thick restart on the `keep` Ritz vectors nearest the target
            let k = keep.max(want).min(d - b);
            let uk = DMatrix::from_fn(d, k, |r, c| u[(r, order[c])]);
            let vk = prod(basis.v(0, d), mat(&uk), false);
            let bvk = p.b.map(|_| prod(basis.bv(0, d), mat(&uk), false));
            let next = DMatrix::from_column_slice(n, b, &basis.v[d * n..(d + b) * n]);
            let next_bv = p.b.map(|_| basis.bv_owned(d, b));
            let ek = gemm(&h.view((d, 0), (b, d)).into_owned(), &uk, false);
            basis.put(0, &vk, bvk.as_ref());
            basis.put(k, &next, next_bv.as_ref());
            h.fill(T::of(0.0));
            for (i, &j) in order.iter().take(k).enumerate() {
                h[(i, i)] = T::of(e.values()[j].re);
            }
            h.view_mut((k, 0), (b, k)).copy_from(&ek);
            d = k;
            local = 0;
        }
    }
}

/// The wanted Ritz pairs formed and measured: unit x = V u/‖V u‖, λ its Rayleigh quotient
/// xᴴAx/xᴴBx, and ‖A x − λ B x‖.
fn measured<T: Field>(
    p: &Problem<'_, T>,
    basis: &Basis<T>,
    d: usize,
    uw: &DMatrix<T>,
    steps: usize,
    solves: usize,
) -> Ritz {
    let n = basis.n;
    let mut x = prod(basis.v(0, d), mat(uw), false);
    let mut ax = zeros::<T>(n, x.ncols());
    p.product_into(p.a, x.as_slice(), ax.as_mut_slice());
    let mut bx = times_b(p, &x);
    let mut values = Vec::with_capacity(x.ncols());
    let mut residuals = Vec::with_capacity(x.ncols());
    for c in 0..x.ncols() {
        let nx = x.column(c).norm();
        x.column_mut(c).scale_mut(1.0 / nx);
        ax.column_mut(c).scale_mut(1.0 / nx);
        if p.b.is_some() {
            bx.column_mut(c).scale_mut(1.0 / nx);
        } else {
            bx.set_column(c, &x.column(c));
        }
        let num = x.column(c).dotc(&ax.column(c)).to_c64().re;
        let den = x.column(c).dotc(&bx.column(c)).to_c64().re;
        let lam = num / den;
        let mut r = ax.column(c).into_owned();
        r.axpy(-T::of(lam), &bx.column(c), T::of(1.0));
        residuals.push(r.norm());
        values.push(Complex64::new(lam, 0.0));
    }
    Ritz {
        values,
        x: x.map(|z| z.to_c64()),
        bx: p.b.map(|_| bx.map(|z| z.to_c64())),
        residuals,
        converged: false,
        iterations: steps,
        solves,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sparse::pattern::Pattern;
    use crate::sparse::shift_invert::Symbolic;
    use nalgebra_sparse::{CooMatrix, CscMatrix};
    use std::sync::Arc;

    /// The 5-point Laplacian on an s × s grid: eigenvalues μᵢ + μⱼ, μᵢ = 2 − 2cos(iπ/(s+1)),
    /// each of multiplicity 2 for i ≠ j.
    fn grid(s: usize) -> (CscMatrix<f64>, Vec<f64>) {
        let n = s * s;
        let mut coo = CooMatrix::new(n, n);
        for j in 0..s {
            for i in 0..s {
                let p = i + s * j;
                coo.push(p, p, 4.0);
                if i + 1 < s {
                    coo.push(p, p + 1, -1.0);
                    coo.push(p + 1, p, -1.0);
                }
                if j + 1 < s {
                    coo.push(p, p + s, -1.0);
                    coo.push(p + s, p, -1.0);
                }
            }
        }
        let mu: Vec<f64> = (1..=s)
            .map(|i| 2.0 - 2.0 * (i as f64 * std::f64::consts::PI / (s + 1) as f64).cos())
            .collect();
        let all = mu
            .iter()
            .flat_map(|a| mu.iter().map(move |b| a + b))
            .collect();
        (CscMatrix::from(&coo), all)
    }

    /// Lanczos with blocks of 4 finds the 9 eigenvalues nearest σ of a spectrum made of
    /// double eigenvalues, both copies of each, with orthonormal vectors and measured
    /// residuals below the tolerance.
    #[test]
    fn finds_every_copy_of_double_eigenvalues() {
        let (a, mut exact) = grid(24);
        let n = a.nrows();
        let pattern = Arc::new(Pattern::union(n, &[&a]));
        let vals = pattern.scatter(&a, |v| Complex64::new(v, 0.0)).unwrap();
        let real: Vec<f64> = vals.iter().map(|z| z.re).collect();
        let sigma = 1.3;
        let norm1 = pattern.norms(&vals).0;
        let sym = Symbolic::new(pattern.clone());
        let f = Factor::new(
            &sym,
            &vals,
            None,
            Complex64::new(sigma, 0.0),
            norm1,
            0.0,
            true,
        )
        .unwrap();
        let tol = 1e-12 * norm1;
        let p = Problem {
            pattern: &pattern,
            a: &real[..],
            adjoint: false,
            hermitian: true,
            target: Complex64::new(sigma, 0.0),
            group_tol: 1e-10 * norm1,
            strict: 9,
            guard_tol: tol,
            b: None,
        };
        let m = 9;
        let start = noise::<f64>(n, 4, 1);
        let r = lanczos(&p, &f, m, &start, tol, 4, 400).expect("Lanczos applies");
        assert!(r.converged);
        exact.sort_by(|x, y| (x - sigma).abs().total_cmp(&(y - sigma).abs()));
        let mut want = exact[..r.values.len()].to_vec();
        want.sort_by(f64::total_cmp);
        let mut got: Vec<f64> = r.values.iter().map(|z| z.re).collect();
        got.sort_by(f64::total_cmp);
        assert!(got.len() >= m);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() <= 1e-10, "{got:?} vs {want:?}");
        }
        // independent residuals and orthonormality
        let ax = pattern.mul(&vals, &r.x);
        for (c, l) in r.values.iter().enumerate() {
            let res = (ax.column(c) - r.x.column(c) * *l).norm();
            assert!(res <= tol, "residual {res} > {tol}");
        }
        let g = r.x.adjoint() * &r.x;
        let eye = DMatrix::<Complex64>::identity(g.nrows(), g.ncols());
        assert!((g - eye).norm() <= 1e-10);
    }
}
