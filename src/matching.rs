//! Pairing the eigenpairs of one step with those of the next.
//!
//! Old branch i, predicted at the new t as λ̂ᵢ = λᵢ + h λᵢ′ + h²/2 λᵢ″ with its unit vector
//! xᵢ, is paired with new eigenpair j by an optimal assignment
//! ([`pathfinding::kuhn_munkres`]) on the weights wᵢⱼ = Oᵢⱼ + Eᵢⱼ, where Oᵢⱼ = |xᵢᴴ xⱼ|
//! is the eigenvector overlap and Eᵢⱼ = max(0, 1 − |λⱼ − λ̂ᵢ| / rᵢ) rewards eigenvalues near
//! the prediction (rᵢ is twice the distance from λ̂ᵢ to its second-nearest new
//! eigenvalue). Weights are clamped to [0, 2], NaN becomes 0, and they are scaled by 2⁴⁰
//! and rounded to i64 (float weights can loop forever on NaN).
//!
//! A pairing i → j is *certain* when the prediction is unambiguous,
//! |λⱼ − λ̂ᵢ| ≤ η · min_{k ∉ C(j)} |λₖ − λ̂ᵢ| (η = `prediction_ratio`, C(j) the group of
//! eigenvalues equal to λⱼ) or |λⱼ − λ̂ᵢ| ≤ 1e-13·‖A‖_F, and the vectors agree,
//! Oᵢⱼ ≥ `min_overlap`. The tracker halves the step until every pairing is certain.

use crate::perturb::Point;
use nalgebra::DMatrix;
use num_complex::Complex64;
use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;

/// Thresholds of the certainty test.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MatchParams {
    pub min_overlap: f64,
    pub prediction_ratio: f64,
}

/// The result of pairing: `perm[i]` is the new index of old branch i; `uncertain` lists
/// the old branches whose pairing failed the certainty test.
#[derive(Debug, Clone)]
pub(crate) struct Pairing {
    pub perm: Vec<usize>,
    pub uncertain: Vec<usize>,
}

const SCALE: f64 = (1u64 << 40) as f64;

/// Predicted eigenvalues of `old` at `t`.
pub(crate) fn predict(old: &Point, t: f64) -> Vec<Complex64> {
    let h = t - old.t;
    (0..old.len())
        .map(|i| {
            let v = old.values[i] + old.slopes[i] * h + old.curv[i] * (0.5 * h * h);
            if v.re.is_finite() && v.im.is_finite() {
                v
            } else {
                old.values[i]
            }
        })
        .collect()
}

/// Pair the branches of `old` with the eigenpairs of `new`.
pub(crate) fn pair(old: &Point, new: &Point, params: &MatchParams) -> Pairing {
    let n = old.len();
    let pred = predict(old, new.t);
    // candidate columns per row: the three nearest new eigenvalues and their clusters
    let k_near = n.min(3);
    let mut cand: Vec<Vec<usize>> = Vec::with_capacity(n);
    let mut radius = vec![0.0; n];
    for (i, lh) in pred.iter().enumerate() {
        let mut by_dist: Vec<(f64, usize)> =
            (0..n).map(|j| ((new.values[j] - lh).norm(), j)).collect();
        by_dist.select_nth_unstable_by(k_near - 1, |a, b| a.0.total_cmp(&b.0));
        by_dist[..k_near].sort_by(|a, b| a.0.total_cmp(&b.0));
        let first_cluster = new.cluster[by_dist[0].1];
        let second = (0..n)
            .filter(|&j| new.cluster[j] != first_cluster)
            .map(|j| (new.values[j] - lh).norm())
            .fold(f64::INFINITY, f64::min);
        radius[i] = if second.is_finite() {
            2.0 * second
        } else {
            f64::INFINITY
        };
        let mut c: Vec<usize> = Vec::new();
        for &(_, j) in &by_dist[..k_near] {
            for k in 0..n {
                if new.cluster[k] == new.cluster[j] && !c.contains(&k) {
                    c.push(k);
                }
            }
        }
        cand.push(c);
    }
    let overlap = |i: usize, j: usize| -> f64 {
        let o = old.x.column(i).dotc(&new.x.column(j)).norm();
        if o.is_nan() {
            0.0
        } else {
            o.min(1.0)
        }
    };
    let closeness = |i: usize, j: usize| -> f64 {
        let e = (new.values[j] - pred[i]).norm();
        let r = radius[i];
        if r.is_infinite() {
            1.0
        } else if r > 0.0 {
            (1.0 - e / r).max(0.0)
        } else if e == 0.0 {
            1.0
        } else {
            0.0
        }
    };
    let mut w = DMatrix::<f64>::zeros(n, n);
    for i in 0..n {
        for &j in &cand[i] {
            let v = overlap(i, j) + closeness(i, j);
            w[(i, j)] = if v.is_nan() { 0.0 } else { v.clamp(0.0, 2.0) };
        }
    }
    let perm = assign(&w);
    // certainty test
    let abs_tol = 1e-13 * new.scale;
    let mut uncertain = Vec::new();
    for i in 0..n {
        let j = perm[i];
        let e = (new.values[j] - pred[i]).norm();
        let d = (0..n)
            .filter(|&k| new.cluster[k] != new.cluster[j])
            .map(|k| (new.values[k] - pred[i]).norm())
            .fold(f64::INFINITY, f64::min);
        let ok_value = e <= params.prediction_ratio * d || e <= abs_tol;
        let ok_vector = overlap(i, j) >= params.min_overlap;
        if !(ok_value && ok_vector) {
            uncertain.push(i);
        }
    }
    Pairing { perm, uncertain }
}

/// Maximum-weight assignment of rows to columns: row argmax when that is already a
/// permutation, otherwise the Hungarian algorithm on integer weights.
fn assign(w: &DMatrix<f64>) -> Vec<usize> {
    let n = w.nrows();
    let mut best: Vec<usize> = (0..n)
        .map(|i| {
            (0..n)
                .max_by(|&a, &b| w[(i, a)].total_cmp(&w[(i, b)]))
                .unwrap_or(0)
        })
        .collect();
    let mut seen = vec![false; n];
    let mut unique = true;
    for &j in &best {
        if seen[j] {
            unique = false;
            break;
        }
        seen[j] = true;
    }
    if unique {
        return best;
    }
    let data: Vec<i64> = (0..n)
        .flat_map(|i| (0..n).map(move |j| (i, j)))
        .map(|(i, j)| (w[(i, j)].clamp(0.0, 2.0) * SCALE).round() as i64)
        .collect();
    let Ok(m) = Matrix::from_vec(n, n, data) else {
        return best;
    };
    let (_, a) = kuhn_munkres(&m);
    best.copy_from_slice(&a);
    best
}

/// Apply a pairing: the new point in branch order, the bases of tied groups aligned with
/// the old vectors (orthogonal Procrustes), the phases by parallel transport
/// (xᵢ(t)ᴴ xᵢ(t+h) real and positive). Curvatures that were not computed are estimated
/// from the change of slope over the step (they only feed the next prediction).
pub(crate) fn apply(old: &Point, new: &Point, perm: &[usize]) -> Point {
    let mut p = new.permuted(perm);
    let n = p.len();
    if !p.curv_exact {
        let h = p.t - old.t;
        for i in 0..n {
            if p.curv[i] == Complex64::new(0.0, 0.0) && h != 0.0 {
                let c = (p.slopes[i] - old.slopes[i]) / h;
                if c.re.is_finite() && c.im.is_finite() {
                    p.curv[i] = c;
                }
            }
        }
    }
    for group in p.tied.clone() {
        let xg = crate::eigen::clusters::columns(&p.x, &group);
        let xo = crate::eigen::clusters::columns(&old.x, &group);
        let q = xg.adjoint() * &xo;
        let svd = q.svd(true, true);
        let (Some(u), Some(vt)) = (svd.u, svd.v_t) else {
            continue;
        };
        let r = u * vt;
        let xr = &xg * &r;
        let yr = crate::eigen::clusters::columns(&p.y, &group) * &r;
        for (k, &g) in group.iter().enumerate() {
            p.x.set_column(g, &xr.column(k));
            p.y.set_column(g, &yr.column(k));
        }
    }
    for i in 0..n {
        let o = old.x.column(i).dotc(&p.x.column(i));
        let r = o.norm();
        if r > 0.0 && r.is_finite() {
            let phase = o.conj() / r;
            for k in 0..n {
                p.x[(k, i)] *= phase;
                p.y[(k, i)] *= phase;
            }
        }
    }
    p
}

/// Whether every uncertain branch belongs to a pair that is real on one side and an exact
/// conjugate pair on the other (the birth or death of a conjugate pair of a real matrix,
/// which no step size resolves).
pub(crate) fn is_pair_transition(old: &Point, new: &Point, pairing: &Pairing) -> bool {
    let u = &pairing.uncertain;
    if u.is_empty() {
        return false;
    }
    let real = |z: Complex64| z.im == 0.0;
    let conj_pair = |p: Complex64, q: Complex64| p.im != 0.0 && p == q.conj();
    u.iter().all(|&a| {
        u.iter().any(|&b| {
            let (oa, ob) = (old.values[a], old.values[b]);
            let (na, nb) = (new.values[pairing.perm[a]], new.values[pairing.perm[b]]);
            b != a
                && ((real(oa) && real(ob) && conj_pair(na, nb))
                    || (conj_pair(oa, ob) && real(na) && real(nb)))
        })
    })
}
