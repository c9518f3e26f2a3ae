//! The analysis of the Ritz pairs of one t into the tracker's `Point`: analytic bases of
//! degenerate groups, slopes yᵢᴴA′xᵢ with the sparse A′, and the sparse jet kept for the
//! pairing and the event locators.

use super::family::Values;
use crate::eigen::clusters::{columns, group_close, multiple_groups};
use crate::linalg::{col, dotc, mul_adj};
use crate::perturb::{rotate, Derivatives, Point, DEFECTIVE_CONDITION};
use nalgebra::DMatrix;
use num_complex::Complex64;
use std::sync::Arc;

impl Derivatives for Values {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    /// A′ v or A″ v (for a pencil the A part alone: the sparse path reads its slopes from
    /// [`slopes`](Derivatives::slopes) and its groups from `analyze`, which subtract λB′).
    fn mul(&self, order: u8, v: &DMatrix<Complex64>) -> DMatrix<Complex64> {
        self.pattern
            .mul(if order == 1 { &self.da } else { &self.dda }, v)
    }
    fn mul_adj(&self, order: u8, v: &DMatrix<Complex64>) -> DMatrix<Complex64> {
        self.pattern
            .mul_adj(if order == 1 { &self.da } else { &self.dda }, v)
    }
    /// yᵢᴴ A′ xᵢ, or yᵢᴴ (A′ − λᵢ B′) xᵢ for a pencil (Yᴴ B X = I).
    fn slopes(
        &self,
        x: &DMatrix<Complex64>,
        y: &DMatrix<Complex64>,
        values: &[Complex64],
        _hermitian: bool,
        _xr: Option<&DMatrix<f64>>,
    ) -> Vec<Complex64> {
        let ax = self.pattern.mul(&self.da, x);
        let bx = self.b.as_ref().map(|b| self.pattern.mul(&b[1], x));
        (0..x.ncols())
            .map(|i| {
                let s = dotc(col(y, i), col(&ax, i));
                match &bx {
                    Some(bx) => s - values[i] * dotc(col(y, i), col(bx, i)),
                    None => s,
                }
            })
            .collect()
    }
}

impl Values {
    /// (A′ − μB′) V, or A′ V without a pencil.
    fn mul_derivative(&self, mu: Complex64, v: &DMatrix<Complex64>) -> DMatrix<Complex64> {
        let av = self.pattern.mul(&self.da, v);
        match &self.b {
            Some(b) => av - self.pattern.mul(&b[1], v) * mu,
            None => av,
        }
    }
}

/// Build the `Point` of the Ritz pairs (`values`, unit right vectors `x`, biorthonormal
/// left vectors `left` or `None` when A is Hermitian) of A(t) given by `jet`.
pub(crate) fn analyze(
    t: f64,
    mut values: Vec<Complex64>,
    mut x: DMatrix<Complex64>,
    mut left: Option<DMatrix<Complex64>>,
    jet: Values,
    cluster_tol: f64,
) -> Point {
    let m = values.len();
    let norm = |v: &[Complex64]| jet.pattern.norms(v).1;
    let scale = jet.norms.1;
    if left.is_none()
        && !jet
            .pattern
            .is_hermitian(&jet.da, crate::eigen::HERMITIAN_TOL)
    {
        // A Hermitian, A′ not (complex input): Y = X, but the general formulas
        left = Some(x.clone());
    }
    // κ = ‖x‖‖y‖/|yᴴx| = ‖y‖ (‖x‖ = 1, yᴴx = 1); for a pencil ‖y‖‖B‖ (yᴴBx = 1)
    // (‖B‖ only where there are left vectors)
    let bnorm = match (&jet.b, &left) {
        (Some(b), Some(_)) => norm(&b[0]),
        _ => 1.0,
    };
    let mut kappa: Vec<f64> = match &left {
        Some(y) => (0..m).map(|i| y.column(i).norm() * bnorm).collect(),
        None => vec![1.0; m],
    };
    let (cluster, groups) = multiple_groups(&values, cluster_tol * scale);
    let mut defective = vec![false; m];
    let mut tied = Vec::new();
    // (only where there are groups)
    let dnorm = if groups.is_empty() {
        f64::MIN_POSITIVE
    } else {
        (norm(&jet.da) + jet.b.as_ref().map_or(0.0, |b| norm(&b[1]))).max(f64::MIN_POSITIVE)
    };
    for g in &groups {
        if g.iter()
            .any(|&i| kappa[i].is_nan() || kappa[i] >= DEFECTIVE_CONDITION)
        {
            g.iter().for_each(|&i| defective[i] = true);
            continue;
        }
        // first order: M = Y_cᴴ (A′ − λB′) X_c (λ the group's mean; B′ = 0 without a
        // pencil); its eigenvectors give the analytic basis
        let xc = columns(&x, g);
        let yc = columns(left.as_ref().unwrap_or(&x), g);
        let mean = g.iter().map(|&i| values[i]).sum::<Complex64>() / g.len() as f64;
        let mm = mul_adj(&yc, &jet.mul_derivative(mean, &xc));
        match rotate(&mut x, &mut left, g, &mm) {
            Some(mu) => {
                for sub in group_close(&mu, cluster_tol * dnorm) {
                    if sub.len() > 1 {
                        tied.push(sub.iter().map(|&k| g[k]).collect());
                    }
                }
            }
            None => tied.push(g.clone()),
        }
        // inside the group the values follow the rotated basis: λⱼ = yⱼᴴ A xⱼ
        let xs = columns(&x, g);
        let axs = jet.pattern.mul(&jet.a, &xs);
        for (k, &j) in g.iter().enumerate() {
            let y = left.as_ref().unwrap_or(&x);
            values[j] = dotc(col(y, j), col(&axs, k));
            kappa[j] = left.as_ref().map_or(1.0, |y| y.column(j).norm() * bnorm);
        }
    }
    let unbounded = Complex64::new(f64::INFINITY, f64::INFINITY);
    let mut slopes = jet.slopes(
        &x,
        left.as_ref().unwrap_or(&x),
        &values,
        left.is_none(),
        None,
    );
    for (s, &d) in slopes.iter_mut().zip(&defective) {
        if d {
            *s = unbounded;
        }
    }
    Point {
        t,
        values,
        x,
        left,
        xr: None,
        kappa,
        slopes,
        curv: vec![Complex64::new(0.0, 0.0); m],
        curv_exact: false,
        cluster,
        tied,
        defective,
        mean_slope: vec![None; m],
        scale,
        jet: Arc::new(jet),
    }
}

/// Keep `m` of the columns of `p` (which may hold more: the members of a degenerate group
/// at the edge of the band): every column outside the groups that reach past m, and of
/// those groups the members that overlap most with the span of `prev` (the first ones
/// without it).
pub(crate) fn trim(p: Point, m: usize, prev: Option<&Point>) -> Point {
    let len = p.len();
    if len <= m {
        return p;
    }
    let edge: Vec<usize> = (0..len)
        .filter(|&i| {
            p.cluster[..]
                .iter()
                .enumerate()
                .any(|(j, &c)| j >= m && c == p.cluster[i])
        })
        .collect();
    let mut keep: Vec<usize> = (0..len).filter(|i| !edge.contains(i)).collect();
    let mut cand = edge.clone();
    if let Some(q) = prev {
        let weight = |j: usize| -> f64 {
            let xj = p.x.column(j);
            (q.x.adjoint() * xj).norm()
        };
        cand.sort_by(|&a, &b| weight(b).total_cmp(&weight(a)));
    }
    let need = m.saturating_sub(keep.len());
    keep.extend(cand.into_iter().take(need));
    keep.sort_unstable();
    subset(p, &keep)
}

/// The columns `keep` (ascending) of `p`.
fn subset(mut p: Point, keep: &[usize]) -> Point {
    fn pick<V: Copy>(v: &[V], keep: &[usize]) -> Vec<V> {
        keep.iter().map(|&k| v[k]).collect()
    }
    let mut inv = vec![usize::MAX; p.len()];
    for (k, &i) in keep.iter().enumerate() {
        inv[i] = k;
    }
    p.values = pick(&p.values, keep);
    p.kappa = pick(&p.kappa, keep);
    p.slopes = pick(&p.slopes, keep);
    p.curv = pick(&p.curv, keep);
    p.cluster = pick(&p.cluster, keep);
    p.defective = pick(&p.defective, keep);
    p.mean_slope = pick(&p.mean_slope, keep);
    p.tied = p
        .tied
        .iter()
        .map(|g| {
            g.iter()
                .filter(|&&i| inv[i] != usize::MAX)
                .map(|&i| inv[i])
                .collect::<Vec<_>>()
        })
        .filter(|g| g.len() > 1)
        .collect();
    p.x = columns(&p.x, keep);
    p.left = p.left.as_ref().map(|y| columns(y, keep));
    p.xr = None;
    p
}
