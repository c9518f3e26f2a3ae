//! Derivatives of eigenvalues along their branches at one parameter value.
//!
//! With biorthonormal eigenvectors (Yᴴ X = I) and P = Yᴴ A′ X:
//!
//! * slope λᵢ′ = Pᵢᵢ = yᵢᴴ A′ xᵢ;
//! * curvature λᵢ″ = yᵢᴴ A″ xᵢ + 2 Σ_{j ∉ C(i)} Pᵢⱼ Pⱼᵢ / (λᵢ − λⱼ), where C(i) is the
//!   group of eigenvalues equal to λᵢ (within the cluster tolerance);
//! * a group C of m equal eigenvalues: the slopes are the eigenvalues of the m × m matrix
//!   M = Y_Cᴴ A′ X_C, and its eigenvectors rotate the basis X_C into the one that continues
//!   analytically (Rellich). A sub-group with equal slopes is rotated again by the
//!   second-order matrix M₂ = Y_Sᴴ A″ X_S + 2 Σ_{k ∉ C} Y_Sᴴ A′ x_k y_kᴴ A′ X_S / (λ − λ_k),
//!   whose eigenvalues are the curvatures. What is still tied after that is left as a
//!   `tied` group, whose basis the matcher aligns with the previous step. Inside a group
//!   the eigenvalues (equal within the tolerance) are re-read in the rotated basis,
//!   λⱼ = yⱼᴴ A xⱼ, so that values, slopes and vectors stay together.

use crate::eigen::clusters::{
    columns, group_close, group_ids, group_ids_conditioned, multiple_groups_of,
};
use crate::eigen::{eig_with, is_hermitian, EigenPairs, Element, HermitianMode};
use crate::family::Jet;
use crate::linalg::{cdiv, col, dotc, mul_adj, permute_columns};
use nalgebra::DMatrix;
use num_complex::Complex64;
use std::sync::Arc;

/// Eigenpairs at one t with their derivatives, in some order (solver order or branch
/// order).
#[derive(Debug, Clone)]
pub(crate) struct Point {
    pub t: f64,
    pub values: Vec<Complex64>,
    pub x: DMatrix<Complex64>,
    /// Left eigenvectors; `None` on the Hermitian path, where Y = X (see [`Point::y`]).
    pub left: Option<DMatrix<Complex64>>,
    /// X in real storage while it is real and unrotated (the real symmetric path), equal
    /// to X entry by entry; `None` otherwise.
    pub xr: Option<DMatrix<f64>>,
    pub kappa: Vec<f64>,
    pub slopes: Vec<Complex64>,
    pub curv: Vec<Complex64>,
    /// Cluster id of each eigenpair (equal ids: equal eigenvalues within the tolerance).
    pub cluster: Vec<usize>,
    /// Groups whose values, slopes and curvatures all agree: their basis is arbitrary.
    pub tied: Vec<Vec<usize>>,
    /// Whether each eigenpair belongs to a defective group (κ ≥ [`DEFECTIVE_CONDITION`]).
    pub defective: Vec<bool>,
    /// For members of a defective group: the slope of the group's mean eigenvalue,
    /// tr(Z_Cᴴ A′ X_C)/m on its invariant subspace — the slope of every member where the
    /// group stays coalesced (a Jordan block for all t); `slopes` holds ∞ + ∞i (the
    /// derivatives at an exceptional point) until the tracker sees that it persists.
    pub mean_slope: Vec<Option<Complex64>>,
    /// Whether `curv` holds the second-order formula (false: an estimate from the slopes
    /// of the previous step, or zero at the start).
    pub curv_exact: bool,
    /// The scale of A(t) in tolerances: ‖A(t)‖_F on the dense path, max(‖A‖₁, ‖A‖∞) on
    /// the sparse path.
    pub scale: f64,
    /// A(t), A′(t), A″(t), kept (shared, not copied) to compute couplings and single
    /// curvatures when locating events.
    pub jet: Arc<dyn Derivatives>,
}

/// Products with A′(t) (`order` 1) or A″(t) (`order` 2) of a kept [`Jet`], whatever its
/// entry type.
pub(crate) trait Derivatives: Send + Sync + std::fmt::Debug {
    /// The kept [`Jet`] itself, for readers that know its entry type (the local models).
    fn as_any(&self) -> &dyn std::any::Any;
    /// A⁽ᵒʳᵈᵉʳ⁾ · v.
    fn mul(&self, order: u8, v: &DMatrix<Complex64>) -> DMatrix<Complex64>;
    /// (A⁽ᵒʳᵈᵉʳ⁾)ᴴ · v.
    fn mul_adj(&self, order: u8, v: &DMatrix<Complex64>) -> DMatrix<Complex64>;
    /// yᵢᴴ A′ xᵢ for every column (see [`Element::quadratic_forms`]).
    fn slopes(
        &self,
        x: &DMatrix<Complex64>,
        y: &DMatrix<Complex64>,
        values: &[Complex64],
        hermitian: bool,
        xr: Option<&DMatrix<f64>>,
    ) -> Vec<Complex64>;
}

impl<T: Element> Derivatives for Jet<T> {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn mul(&self, order: u8, v: &DMatrix<Complex64>) -> DMatrix<Complex64> {
        T::mul_complex(if order == 1 { &self.da } else { &self.dda }, v)
    }
    fn mul_adj(&self, order: u8, v: &DMatrix<Complex64>) -> DMatrix<Complex64> {
        T::mul_adj_complex(if order == 1 { &self.da } else { &self.dda }, v)
    }
    fn slopes(
        &self,
        x: &DMatrix<Complex64>,
        y: &DMatrix<Complex64>,
        values: &[Complex64],
        hermitian: bool,
        xr: Option<&DMatrix<f64>>,
    ) -> Vec<Complex64> {
        T::quadratic_forms(&self.da, x, y, values, hermitian, xr)
    }
}

impl Point {
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// The left eigenvectors Y (Yᴴ X = I); X itself on the Hermitian path.
    pub fn y(&self) -> &DMatrix<Complex64> {
        self.left.as_ref().unwrap_or(&self.x)
    }

    /// Reorder in place: entry k of the result is entry `perm[k]` of `self`.
    pub fn permuted(mut self, perm: &[usize]) -> Point {
        fn pick<V: Copy>(v: &[V], perm: &[usize]) -> Vec<V> {
            perm.iter().map(|&p| v[p]).collect()
        }
        let mut inv = vec![0; self.len()];
        for (k, &p) in perm.iter().enumerate() {
            inv[p] = k;
        }
        self.values = pick(&self.values, perm);
        self.kappa = pick(&self.kappa, perm);
        self.slopes = pick(&self.slopes, perm);
        self.curv = pick(&self.curv, perm);
        self.cluster = pick(&self.cluster, perm);
        self.defective = pick(&self.defective, perm);
        self.mean_slope = pick(&self.mean_slope, perm);
        for g in self.tied.iter_mut() {
            g.iter_mut().for_each(|i| *i = inv[*i]);
        }
        permute_columns(&mut self.x, perm);
        if let Some(left) = self.left.as_mut() {
            permute_columns(left, perm);
        }
        if let Some(xr) = self.xr.as_mut() {
            permute_columns(xr, perm);
        }
        self
    }

    /// Slope of eigenpair i, computed in O(n²) if it is still pending.
    pub fn slope(&self, i: usize) -> Complex64 {
        if !self.slopes[i].re.is_nan() {
            return self.slopes[i];
        }
        let ax = self.jet.mul(1, &self.x_col(i));
        dotc(col(self.y(), i), ax.as_slice())
    }

    /// Compute the pending slopes (see [`Derivs::Deferred`]): one product for all.
    pub fn complete_slopes(&mut self) {
        if !self.slopes.iter().any(|s| s.re.is_nan()) {
            return;
        }
        let all = self.jet.slopes(
            &self.x,
            self.y(),
            &self.values,
            self.left.is_none(),
            self.xr.as_ref(),
        );
        for (s, v) in self.slopes.iter_mut().zip(all) {
            if s.re.is_nan() {
                *s = v;
            }
        }
    }

    /// Column j of X as an n × 1 matrix.
    fn x_col(&self, j: usize) -> DMatrix<Complex64> {
        DMatrix::from_column_slice(self.x.nrows(), 1, col(&self.x, j))
    }

    /// y_bᴴ A′ x_a: the coupling of eigenpair a into b.
    pub fn coupling(&self, a: usize, b: usize) -> Complex64 {
        let ax = self.jet.mul(1, &self.x_col(a));
        dotc(col(self.y(), b), ax.as_slice())
    }

    /// λᵢ″ of one eigenpair in O(n²): yᵢᴴA″xᵢ + 2 Σ_{j ∉ C(i)} PᵢⱼPⱼᵢ/(λᵢ − λⱼ) with row i
    /// and column i of P = YᴴA′X (∞ + ∞i at a defective eigenvalue).
    pub fn curvature_of(&self, i: usize) -> Complex64 {
        if self.defective[i] {
            return Complex64::new(f64::INFINITY, f64::INFINITY);
        }
        if self.curv_exact {
            return self.curv[i];
        }
        let xi = self.x_col(i);
        let yi = DMatrix::from_column_slice(self.x.nrows(), 1, col(self.y(), i));
        let col_i = mul_adj(self.y(), &self.jet.mul(1, &xi)); // Pⱼᵢ
        let row_i = mul_adj(&self.x, &self.jet.mul_adj(1, &yi)); // conj(Pᵢⱼ)
        let mut c = dotc(yi.as_slice(), self.jet.mul(2, &xi).as_slice());
        for j in 0..self.len() {
            if self.cluster[j] != self.cluster[i] {
                c += cdiv(row_i[j].conj(), self.values[i] - self.values[j]) * col_i[j] * 2.0;
            }
        }
        c
    }
}

/// A group of equal eigenvalues with a member of condition number at least this is
/// treated as defective (an exceptional point): its basis is not rotated and its slopes
/// and curvatures are unbounded, reported as ∞ + ∞i.
pub(crate) const DEFECTIVE_CONDITION: f64 = 1e6;

/// Rotate the columns `idx` of X and Y by the eigenvectors of the small matrix `m`
/// (columns of X stay unit-norm, Yᴴ X = I is kept). Returns the eigenvalues of `m` in the
/// order of the rotated columns. `left` is `None` on the Hermitian path (Y = X): when `m`
/// is Hermitian too its unitary eigenvectors rotate X alone, otherwise Y is split off.
pub(crate) fn rotate(
    x: &mut DMatrix<Complex64>,
    left: &mut Option<DMatrix<Complex64>>,
    idx: &[usize],
    m: &DMatrix<Complex64>,
) -> Option<Vec<Complex64>> {
    if left.is_none() && !is_hermitian(m) {
        // Y = X so far, but this derivative is not Hermitian: X and Y part ways here
        *left = Some(x.clone());
    }
    let y = left.as_mut();
    let mode = if y.is_none() {
        HermitianMode::Yes
    } else {
        HermitianMode::Auto
    };
    let e: EigenPairs = eig_with(m, mode).ok()?;
    let xc = columns(x, idx) * e.right();
    let mut scales = Vec::with_capacity(idx.len());
    for (k, &j) in idx.iter().enumerate() {
        let nx = xc.column(k).norm();
        if !(nx > 0.0 && nx.is_finite()) {
            return None;
        }
        scales.push(nx);
        x.set_column(j, &(xc.column(k) / Complex64::new(nx, 0.0)));
    }
    if let Some(y) = y {
        let yc = columns(y, idx) * e.left();
        for (k, &j) in idx.iter().enumerate() {
            y.set_column(j, &(yc.column(k) * Complex64::new(scales[k], 0.0)));
        }
    }
    Some(e.values().to_vec())
}

/// Which derivatives [`analyze`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Derivs {
    /// Slopes only where they come with the cluster bases (groups of equal eigenvalues);
    /// the others are pending (NaN) until [`Point::complete_slopes`] or read one at a
    /// time by [`Point::slope`]: a step that is rejected never pays for them.
    Deferred,
    /// All slopes.
    Slopes,
    /// Slopes and curvatures.
    Full,
}

/// Slopes, curvatures and analytic cluster bases of `pairs`, the decomposition of A(t).
///
/// `cluster_tol` is relative to ‖A‖_F (eigenvalues) and to ‖A′‖_F, ‖A″‖_F (slopes,
/// curvatures). With [`Derivs::Full`] the curvatures of every eigenpair are computed
/// (three products of size n); with [`Derivs::Slopes`] only the slopes (the quadratic
/// forms yᵢᴴA′xᵢ, one product, a triangular one of n³ flops for Hermitian input) and the
/// curvatures of degenerate groups; with [`Derivs::Deferred`] not even the slopes outside
/// degenerate groups.
///
/// A Hermitian decomposition keeps Y = X (stored once). Slopes are then read from one
/// triangular product, which is exact for real vectors whatever A′(t) is; complex input
/// whose A′(t) is not Hermitian (and not `forced_hermitian`, [`HermitianMode::Yes`],
/// where derivatives are read as their Hermitian parts) takes the general formulas.
pub(crate) fn analyze<T: Element>(
    t: f64,
    pairs: EigenPairs,
    jet: Jet<T>,
    cluster_tol: f64,
    derivs: Derivs,
    forced_hermitian: bool,
) -> Point {
    let full = derivs == Derivs::Full;
    let n = pairs.len();
    let scale = pairs.norm();
    let hermitian = pairs.is_hermitian();
    let (mut values, mut x, mut left, mut kappa, mut xr) = pairs.into_parts();
    // A(t) Hermitian with A′(t) not: Y = X still holds, and for real vectors xᵀA′x is
    // xᵀ (A′ + A′ᵀ)/2 x, which the Hermitian quadratic forms compute; complex vectors
    // need the general formulas for the imaginary part
    if hermitian && !forced_hermitian && !T::IS_REAL && !is_hermitian(&jet.da) {
        left = Some(x.clone());
    }
    // equal within the tolerance, or within the eigenvalues' own error bars (a Jordan
    // block split by rounding); a group that only the error bars join is defective
    let plain = group_ids(&values, cluster_tol * scale);
    let (cluster, groups) = multiple_groups_of(group_ids_conditioned(
        &values,
        &kappa,
        cluster_tol * scale,
        scale,
        &plain,
    ));
    let plain = plain.0;
    let mut tied = Vec::new();
    let mut forced_curv: Vec<Option<Complex64>> = vec![None; n];
    let mut defective = vec![false; n];
    let semisimple: Vec<&Vec<usize>> = groups
        .iter()
        .filter(|g| g.len() > 1)
        .filter(|g| {
            let bad = g.iter().any(|&i| {
                kappa[i].is_nan() || kappa[i] >= DEFECTIVE_CONDITION || plain[i] != plain[g[0]]
            });
            for &i in g.iter() {
                defective[i] = bad;
            }
            !bad
        })
        .collect();
    // slopes of the members of semisimple groups, in their rotated bases
    let mut group_slopes: Vec<(usize, Complex64)> = Vec::new();
    if !semisimple.is_empty() {
        // the group bases are rotated below: the real copy of X no longer matches
        xr = None;
        // on the Hermitian path with Hermitian A′ and A″ the matrices of degenerate
        // perturbation theory are Hermitian: their asymmetry is rounding (amplified in
        // the second-order sum by 1/(λ − λₖ) over nearby levels), which must not send the
        // point down the non-Hermitian path
        let symmetric = left.is_none() && is_hermitian(&jet.da) && is_hermitian(&jet.dda);
        let hermitian_part = |m: DMatrix<Complex64>| {
            if symmetric {
                (&m + m.adjoint()) * Complex64::new(0.5, 0.0)
            } else {
                m
            }
        };
        let norm = |m: &DMatrix<T>| crate::eigen::sum_squares(m.as_slice()).sqrt();
        let dnorm = norm(&jet.da).max(f64::MIN_POSITIVE);
        let d2norm = norm(&jet.dda).max(dnorm);
        for &members in &semisimple {
            // first order: M = Y_cᴴ A′ X_c
            let m = hermitian_part(mul_adj(
                &columns(or_x(&left, &x), members),
                &T::mul_complex(&jet.da, &columns(&x, members)),
            ));
            let Some(mu) = rotate(&mut x, &mut left, members, &m) else {
                tied.push(members.clone());
                continue;
            };
            // sub-groups with equal slopes: second order
            for sub in group_close(&mu, cluster_tol * dnorm) {
                if sub.len() < 2 {
                    continue;
                }
                let s: Vec<usize> = sub.iter().map(|&k| members[k]).collect();
                let lam = values[s[0]];
                let (xs, ys) = (columns(&x, &s), columns(or_x(&left, &x), &s));
                let rows = mul_adj(&T::mul_adj_complex(&jet.da, &ys), &x); // P[S, :]
                let cols = mul_adj(or_x(&left, &x), &T::mul_complex(&jet.da, &xs)); // P[:, S]
                let mut m2 = mul_adj(&ys, &T::mul_complex(&jet.dda, &xs));
                for k in (0..n).filter(|k| cluster[*k] != cluster[s[0]]) {
                    let d = lam - values[k];
                    for a in 0..s.len() {
                        for b in 0..s.len() {
                            m2[(a, b)] += cdiv(rows[(a, k)], d) * cols[(k, b)] * 2.0;
                        }
                    }
                }
                let m2 = hermitian_part(m2);
                match rotate(&mut x, &mut left, &s, &m2) {
                    Some(nu) => {
                        for (k, &j) in s.iter().enumerate() {
                            forced_curv[j] = Some(nu[k]);
                        }
                        for still in group_close(&nu, cluster_tol * d2norm) {
                            if still.len() > 1 {
                                tied.push(still.iter().map(|&k| s[k]).collect());
                            }
                        }
                    }
                    None => tied.push(s),
                }
            }
            let axc = T::mul_complex(&jet.da, &columns(&x, members));
            for (k, &j) in members.iter().enumerate() {
                group_slopes.push((j, dotc(col(or_x(&left, &x), j), axc.column(k).as_slice())));
            }
        }
        // inside a group the eigenvalues (equal within the tolerance) follow the rotated
        // basis: λⱼ = yⱼᴴ A xⱼ, and κⱼ = ‖yⱼ‖ (‖xⱼ‖ = 1, yⱼᴴxⱼ = 1)
        let idx: Vec<usize> = semisimple.iter().copied().flatten().copied().collect();
        let axs = T::mul_complex(&jet.a, &columns(&x, &idx));
        for (k, &j) in idx.iter().enumerate() {
            values[j] = dotc(col(or_x(&left, &x), j), axs.column(k).as_slice());
            kappa[j] = or_x(&left, &x).column(j).norm();
        }
    }
    // at a defective eigenvalue the derivatives are unbounded: say so, do not return the
    // rounding noise of the first-order formula
    let unbounded = Complex64::new(f64::INFINITY, f64::INFINITY);
    let (mut slopes, curv) = if full {
        let ax = T::mul_eigenvectors(&jet.da, &x, &values);
        let p = mul_adj(or_x(&left, &x), &ax);
        // A″ = 0 (a linear family) is common: skip its product
        let addx = if jet.dda.iter().all(|v| v.modulus() == 0.0) {
            DMatrix::zeros(n, n)
        } else {
            T::mul_complex(&jet.dda, &x)
        };
        let curv = (0..n)
            .map(|i| {
                if defective[i] {
                    return unbounded;
                }
                if let Some(c) = forced_curv[i] {
                    return c;
                }
                let mut c = dotc(col(or_x(&left, &x), i), col(&addx, i));
                for j in 0..n {
                    if cluster[j] != cluster[i] {
                        c += cdiv(p[(i, j)], values[i] - values[j]) * p[(j, i)] * 2.0;
                    }
                }
                c
            })
            .collect();
        ((0..n).map(|i| p[(i, i)]).collect::<Vec<_>>(), curv)
    } else {
        let slopes = if derivs == Derivs::Slopes {
            T::quadratic_forms(
                &jet.da,
                &x,
                or_x(&left, &x),
                &values,
                left.is_none(),
                xr.as_ref(),
            )
        } else {
            vec![Complex64::new(f64::NAN, f64::NAN); n]
        };
        let curv = forced_curv
            .iter()
            .map(|c| c.unwrap_or(Complex64::new(0.0, 0.0)))
            .collect();
        (slopes, curv)
    };
    for (j, s) in group_slopes {
        slopes[j] = s;
    }
    for (s, _) in slopes.iter_mut().zip(&defective).filter(|(_, d)| **d) {
        *s = unbounded;
    }
    let mut mean_slope = vec![None; n];
    for g in groups.iter().filter(|g| g.len() > 1 && defective[g[0]]) {
        let mean = group_mean_slope(&x, or_x(&left, &x), g, &jet.da);
        for &i in g {
            mean_slope[i] = mean;
        }
    }
    Point {
        t,
        values,
        x,
        left,
        xr,
        kappa,
        slopes,
        curv,
        curv_exact: full,
        cluster,
        tied,
        defective,
        mean_slope,
        scale,
        jet: Arc::new(jet),
    }
}

/// tr(Z_Cᴴ A′ X_C)/m for a defective group C of m eigenvalues: X_C and Z_C span its
/// right and left invariant subspaces. They come from the oblique projector
/// Π = I − X_R Y_Rᴴ onto the group's subspace along the other eigenvectors (R, with
/// Y_Rᴴ X_R = I), applied to m fixed vectors (and Πᴴ for the left side); the computed
/// eigenvectors of a defective group are nearly parallel and span nothing useful. O(n²m).
fn group_mean_slope<T: Element>(
    x: &DMatrix<Complex64>,
    y: &DMatrix<Complex64>,
    group: &[usize],
    da: &DMatrix<T>,
) -> Option<Complex64> {
    let n = x.nrows();
    let m = group.len();
    let rest: Vec<usize> = (0..n).filter(|i| !group.contains(i)).collect();
    // fixed pseudo-random entries in [−1, 1) (a multiplicative hash of (i, k))
    let seeds = DMatrix::from_fn(n, m, |i, k| {
        let h = ((i * m + k) as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
        Complex64::new(h as f64 / (1u64 << 52) as f64 - 1.0, 0.0)
    });
    let seeds = crate::eigen::clusters::orthonormal_basis(&seeds);
    let (v, w) = if rest.is_empty() {
        (seeds.clone(), seeds)
    } else {
        let (xr, yr) = (columns(x, &rest), columns(y, &rest));
        let v = &seeds - &xr * mul_adj(&yr, &seeds);
        let w = &seeds - &yr * mul_adj(&xr, &seeds);
        (v, w)
    };
    let gram = mul_adj(&w, &v).try_inverse()?;
    let m_da = mul_adj(&w, &T::mul_complex(da, &v));
    let mean = (gram * m_da).trace() / m as f64;
    (mean.re.is_finite() && mean.im.is_finite()).then_some(mean)
}

/// The left vectors, or X when they are not stored (Hermitian path, Y = X).
fn or_x<'a>(
    left: &'a Option<DMatrix<Complex64>>,
    x: &'a DMatrix<Complex64>,
) -> &'a DMatrix<Complex64> {
    left.as_ref().unwrap_or(x)
}
