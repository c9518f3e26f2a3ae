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

use crate::eigen::clusters::{columns, group_close};
use crate::eigen::{eig, EigenPairs, Element};
use crate::family::Jet;
use crate::linalg::{cdiv, col, dotc, mul_adj};
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
    pub y: DMatrix<Complex64>,
    pub kappa: Vec<f64>,
    pub slopes: Vec<Complex64>,
    pub curv: Vec<Complex64>,
    /// Cluster id of each eigenpair (equal ids: equal eigenvalues within the tolerance).
    pub cluster: Vec<usize>,
    /// Groups whose values, slopes and curvatures all agree: their basis is arbitrary.
    pub tied: Vec<Vec<usize>>,
    /// Whether each eigenpair belongs to a defective group (κ ≥ [`DEFECTIVE_CONDITION`]).
    pub defective: Vec<bool>,
    /// Whether `curv` holds the second-order formula (false: an estimate from the slopes
    /// of the previous step, or zero at the start).
    pub curv_exact: bool,
    /// ‖A(t)‖_F.
    pub scale: f64,
    /// A′(t) and A″(t) (complex), kept to compute couplings and single curvatures when
    /// locating events.
    pub da: Arc<DMatrix<Complex64>>,
    pub dda: Arc<DMatrix<Complex64>>,
}

impl Point {
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Reorder: entry k of the result is entry `perm[k]` of `self`.
    pub fn permuted(&self, perm: &[usize]) -> Point {
        let n = self.len();
        let mut inv = vec![0; n];
        for (k, &p) in perm.iter().enumerate() {
            inv[p] = k;
        }
        Point {
            t: self.t,
            values: perm.iter().map(|&p| self.values[p]).collect(),
            x: self.x.select_columns(perm),
            y: self.y.select_columns(perm),
            kappa: perm.iter().map(|&p| self.kappa[p]).collect(),
            slopes: perm.iter().map(|&p| self.slopes[p]).collect(),
            curv: perm.iter().map(|&p| self.curv[p]).collect(),
            curv_exact: self.curv_exact,
            cluster: perm.iter().map(|&p| self.cluster[p]).collect(),
            defective: perm.iter().map(|&p| self.defective[p]).collect(),
            tied: self
                .tied
                .iter()
                .map(|g| g.iter().map(|&i| inv[i]).collect())
                .collect(),
            scale: self.scale,
            da: self.da.clone(),
            dda: self.dda.clone(),
        }
    }

    /// y_bᴴ A′ x_a: the coupling of eigenpair a into b.
    pub fn coupling(&self, a: usize, b: usize) -> Complex64 {
        let ax = &*self.da * self.x.column(a);
        self.y.column(b).dotc(&ax)
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
        let xi = self.x.column(i);
        let yi = self.y.column(i);
        let col = self.y.adjoint() * (&*self.da * xi); // Pⱼᵢ
        let w = self.da.adjoint() * yi; // Pᵢⱼ = wᴴ xⱼ
        let row = self.x.adjoint() * w; // conj(Pᵢⱼ)
        let mut c = yi.dotc(&(&*self.dda * xi));
        for j in 0..self.len() {
            if self.cluster[j] != self.cluster[i] {
                c += cdiv(row[j].conj(), self.values[i] - self.values[j]) * col[j] * 2.0;
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
/// order of the rotated columns.
fn rotate(
    x: &mut DMatrix<Complex64>,
    y: &mut DMatrix<Complex64>,
    idx: &[usize],
    m: &DMatrix<Complex64>,
) -> Option<Vec<Complex64>> {
    let e: EigenPairs = eig(m).ok()?;
    let xc = columns(x, idx) * e.right();
    let yc = columns(y, idx) * e.left();
    for (k, &j) in idx.iter().enumerate() {
        let nx = xc.column(k).norm();
        if !(nx > 0.0 && nx.is_finite()) {
            return None;
        }
        x.set_column(j, &(xc.column(k) / Complex64::new(nx, 0.0)));
        y.set_column(j, &(yc.column(k) * Complex64::new(nx, 0.0)));
    }
    Some(e.values().to_vec())
}

/// Slopes, curvatures and analytic cluster bases of `pairs`, the decomposition of A(t).
///
/// `cluster_tol` is relative to ‖A‖_F (eigenvalues) and to ‖A′‖_F, ‖A″‖_F (slopes,
/// curvatures). With `full` the curvatures of every eigenpair are computed (three
/// products of size n); without, only slopes (one product) and the curvatures of
/// degenerate groups.
pub(crate) fn analyze<T: Element>(
    t: f64,
    pairs: EigenPairs,
    jet: &Jet<T>,
    cluster_tol: f64,
    full: bool,
) -> Point {
    let n = pairs.len();
    let scale = pairs.norm();
    let mut kappa = pairs.condition().to_vec();
    let mut values = pairs.values().to_vec();
    let mut x = pairs.right().clone();
    let mut y = pairs.left().clone();
    // A′X, kept current as X changes
    let mut ax = T::mul_eigenvectors(&jet.da, &x, &values);
    let groups = group_close(&values, cluster_tol * scale);
    let mut cluster = vec![0; n];
    for (g, members) in groups.iter().enumerate() {
        for &i in members {
            cluster[i] = g;
        }
    }
    let norm = |m: &DMatrix<T>| m.iter().map(|v| v.modulus().powi(2)).sum::<f64>().sqrt();
    let dnorm = norm(&jet.da).max(f64::MIN_POSITIVE);
    let d2norm = norm(&jet.dda).max(dnorm);
    let mut tied = Vec::new();
    let mut forced_curv: Vec<Option<Complex64>> = vec![None; n];
    let mut defective = vec![false; n];
    let semisimple: Vec<&Vec<usize>> = groups
        .iter()
        .filter(|g| g.len() > 1)
        .filter(|g| {
            let bad = g
                .iter()
                .any(|&i| kappa[i].is_nan() || kappa[i] >= DEFECTIVE_CONDITION);
            for &i in g.iter() {
                defective[i] = bad;
            }
            !bad
        })
        .collect();
    let refresh = |ax: &mut DMatrix<Complex64>, x: &DMatrix<Complex64>, idx: &[usize]| {
        let axc = T::mul_complex(&jet.da, &columns(x, idx));
        for (k, &j) in idx.iter().enumerate() {
            ax.set_column(j, &axc.column(k));
        }
    };
    for &members in &semisimple {
        // first order: M = Y_cᴴ A′ X_c
        let m = mul_adj(&columns(&y, members), &columns(&ax, members));
        let Some(mu) = rotate(&mut x, &mut y, members, &m) else {
            tied.push(members.clone());
            continue;
        };
        refresh(&mut ax, &x, members);
        // sub-groups with equal slopes: second order
        for sub in group_close(&mu, cluster_tol * dnorm) {
            if sub.len() < 2 {
                continue;
            }
            let s: Vec<usize> = sub.iter().map(|&k| members[k]).collect();
            let lam = values[s[0]];
            let ys = columns(&y, &s);
            let rows = mul_adj(&ys, &ax); // P[S, :]
            let cols = mul_adj(&y, &columns(&ax, &s)); // P[:, S]
            let mut m2 = mul_adj(&ys, &T::mul_complex(&jet.dda, &columns(&x, &s)));
            for k in (0..n).filter(|k| cluster[*k] != cluster[s[0]]) {
                let d = lam - values[k];
                for a in 0..s.len() {
                    for b in 0..s.len() {
                        m2[(a, b)] += cdiv(rows[(a, k)], d) * cols[(k, b)] * 2.0;
                    }
                }
            }
            match rotate(&mut x, &mut y, &s, &m2) {
                Some(nu) => {
                    refresh(&mut ax, &x, &s);
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
    }
    // inside a group the eigenvalues (equal within the tolerance) follow the rotated
    // basis: λⱼ = yⱼᴴ A xⱼ, and κⱼ = ‖yⱼ‖ (‖xⱼ‖ = 1, yⱼᴴxⱼ = 1)
    if !semisimple.is_empty() {
        let idx: Vec<usize> = semisimple.iter().copied().flatten().copied().collect();
        let axs = T::mul_complex(&jet.a, &columns(&x, &idx));
        for (k, &j) in idx.iter().enumerate() {
            values[j] = y.column(j).dotc(&axs.column(k));
            kappa[j] = y.column(j).norm();
        }
    }
    // at a defective eigenvalue the derivatives are unbounded: say so, do not return the
    // rounding noise of the first-order formula
    let unbounded = Complex64::new(f64::INFINITY, f64::INFINITY);
    let slopes: Vec<Complex64> = (0..n)
        .map(|i| {
            if defective[i] {
                unbounded
            } else {
                dotc(col(&y, i), col(&ax, i))
            }
        })
        .collect();
    let curv = if full {
        let p = mul_adj(&y, &ax);
        // A″ = 0 (a linear family) is common: skip its product
        let addx = if jet.dda.iter().all(|v| v.modulus() == 0.0) {
            DMatrix::zeros(n, n)
        } else {
            T::mul_complex(&jet.dda, &x)
        };
        (0..n)
            .map(|i| {
                if defective[i] {
                    return unbounded;
                }
                if let Some(c) = forced_curv[i] {
                    return c;
                }
                let mut c = dotc(col(&y, i), col(&addx, i));
                for j in 0..n {
                    if cluster[j] != cluster[i] {
                        c += cdiv(p[(i, j)], values[i] - values[j]) * p[(j, i)] * 2.0;
                    }
                }
                c
            })
            .collect()
    } else {
        forced_curv
            .iter()
            .map(|c| c.unwrap_or(Complex64::new(0.0, 0.0)))
            .collect()
    };
    Point {
        t,
        values,
        x,
        y,
        kappa,
        slopes,
        curv,
        curv_exact: full,
        cluster,
        tied,
        defective,
        scale,
        da: Arc::new(jet.da.map(|v| v.to_c64())),
        dda: Arc::new(jet.dda.map(|v| v.to_c64())),
    }
}
