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
//! Oᵢⱼ ≥ `min_overlap` — or, when j belongs to a tied group T (equal values, slopes and
//! curvatures, whose basis is arbitrary), xᵢ lies in its eigenspace:
//! (Σ_{k∈T} Oᵢₖ²)^{1/2} ≥ `min_overlap`. The tracker halves the step until every pairing
//! is certain.

use crate::linalg::{cabs, cdist, col, dot, dotc};
use crate::perturb::Point;
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
    (0..old.len()).map(|i| predict_one(old, i, t)).collect()
}

/// Predicted eigenvalue of branch i of `old` at `t`.
fn predict_one(old: &Point, i: usize, t: f64) -> Complex64 {
    let h = t - old.t;
    let finite = |v: Complex64| v.re.is_finite() && v.im.is_finite();
    // (κ·h/2)·h rather than κ·h²: h² overflows for steps beyond 1e154 even where κ = 0;
    // where the quadratic term still overflows, the linear prediction, then λ itself
    let linear = old.values[i] + old.slopes[i] * h;
    let v = linear + (old.curv[i] * (0.5 * h)) * h;
    if finite(v) {
        v
    } else if finite(linear) {
        linear
    } else {
        old.values[i]
    }
}

/// Nearest-neighbour queries on complex values by a sweep in the real part: candidates
/// are visited in order of increasing |Δ Re| until that exceeds the current radius, so a
/// query costs O(log n) plus the few values near it.
struct Sweep<'a> {
    values: &'a [Complex64],
    order: Vec<usize>,
    re: Vec<f64>,
}

impl<'a> Sweep<'a> {
    fn new(values: &'a [Complex64]) -> Self {
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[a].re.total_cmp(&values[b].re));
        let re = order.iter().map(|&j| values[j].re).collect();
        Sweep { values, order, re }
    }

    /// Visit (j, |λⱼ − z|) outwards from z; `visit` returns the radius beyond which no
    /// further value is needed.
    fn scan(&self, z: Complex64, mut visit: impl FnMut(usize, f64) -> f64) {
        let n = self.order.len();
        let pos = self.re.partition_point(|&r| r < z.re);
        let (mut l, mut r) = (pos, pos); // next candidates: l − 1 and r
        let mut radius = f64::INFINITY;
        loop {
            let dl = if l > 0 {
                z.re - self.re[l - 1]
            } else {
                f64::INFINITY
            };
            let dr = if r < n {
                self.re[r] - z.re
            } else {
                f64::INFINITY
            };
            let k = if l > 0 && dl <= dr {
                if dl > radius {
                    break;
                }
                l -= 1;
                l
            } else if r < n {
                if dr > radius {
                    break;
                }
                r += 1;
                r - 1
            } else {
                break;
            };
            let j = self.order[k];
            let d = cdist(self.values[j], z);
            radius = visit(j, if d.is_nan() { f64::INFINITY } else { d });
        }
    }

    /// Distance from z to the nearest value whose cluster is not `c` (∞ if none).
    fn nearest_outside(&self, z: Complex64, cluster: &[usize], c: usize) -> f64 {
        let mut best = f64::INFINITY;
        self.scan(z, |j, d| {
            if cluster[j] != c && d < best {
                best = d;
            }
            best
        });
        best
    }
}

/// One candidate of a row: the new index j, the closeness Eᵢⱼ and the overlap Oᵢⱼ (NaN
/// while not computed: see [`DECISIVE_OVERLAP`]).
#[derive(Debug, Clone, Copy)]
struct Candidate {
    j: usize,
    closeness: f64,
    overlap: f64,
}

impl Candidate {
    /// wᵢⱼ = Oᵢⱼ + Eᵢⱼ clamped to [0, 2], NaN as 0.
    fn weight(&self) -> f64 {
        let v = self.overlap + self.closeness;
        if v.is_nan() {
            0.0
        } else {
            v.clamp(0.0, 2.0)
        }
    }
}

/// When the new eigenvectors are orthonormal (Hermitian path), Σⱼ Oᵢⱼ² ≤ 1: a nearest
/// candidate with Oᵢⱼ > 0.75 outweighs every other one (their overlaps are below
/// √(1 − 0.75²) ≈ 0.66 and their closeness is not larger), so their overlaps are not
/// computed unless the Hungarian algorithm needs them.
const DECISIVE_OVERLAP: f64 = 0.75;

/// The new eigenpairs near one prediction, by a sweep, with the members of their groups.
struct Candidates<'a> {
    new: &'a Point,
    sweep: Sweep<'a>,
    /// The members of group c are `members[start[c]..start[c + 1]]`.
    members: Vec<usize>,
    start: Vec<usize>,
}

impl<'a> Candidates<'a> {
    fn new(new: &'a Point) -> Self {
        let groups = new.cluster.iter().max().map_or(0, |&c| c + 1);
        let mut start = vec![0; groups + 1];
        for &c in &new.cluster {
            start[c + 1] += 1;
        }
        for c in 0..groups {
            start[c + 1] += start[c];
        }
        let mut fill = start.clone();
        let mut members = vec![0; new.len()];
        for (j, &c) in new.cluster.iter().enumerate() {
            members[fill[c]] = j;
            fill[c] += 1;
        }
        Candidates {
            new,
            sweep: Sweep::new(&new.values),
            members,
            start,
        }
    }

    /// The members of group `c`.
    fn group(&self, c: usize) -> &[usize] {
        &self.members[self.start[c]..self.start[c + 1]]
    }

    /// For old branch i predicted at `lh`: append to `out` the candidate columns (the K
    /// nearest new eigenvalues and their groups) with their weights and overlaps. Returns
    /// the group of the nearest new eigenvalue and the distance from `lh` to the nearest
    /// one outside that group.
    fn of(&self, old: &Point, i: usize, lh: Complex64, out: &mut Vec<Candidate>) -> (usize, f64) {
        const K: usize = 3;
        let new = self.new;
        let mut near = [(f64::INFINITY, usize::MAX); K];
        let mut found = 0;
        self.sweep.scan(lh, |j, d| {
            let at = near[..found].partition_point(|&(e, _)| e <= d);
            if at < K {
                near.copy_within(at..K - 1, at + 1);
                near[at] = (d, j);
                found = (found + 1).min(K);
            }
            if found == K {
                near[K - 1].0
            } else {
                f64::INFINITY
            }
        });
        let first_cluster = new.cluster[near[0].1];
        // a lone nearest eigenvalue: the nearest one outside its group is the second
        let outside = if self.group(first_cluster).len() == 1 && found > 1 {
            near[1].0
        } else {
            self.sweep.nearest_outside(lh, &new.cluster, first_cluster)
        };
        let radius = 2.0 * outside;
        let start = out.len();
        let orthonormal = new.left.is_none();
        for &(_, j) in &near[..found] {
            for &k in self.group(new.cluster[j]) {
                if out[start..].iter().any(|c| c.j == k) {
                    continue;
                }
                let e = cdist(new.values[k], lh);
                let closeness = if radius.is_infinite() {
                    1.0
                } else if radius > 0.0 {
                    (1.0 - e / radius).max(0.0)
                } else if e == 0.0 {
                    1.0
                } else {
                    0.0
                };
                let decided =
                    orthonormal && out.len() > start && out[start].overlap > DECISIVE_OVERLAP;
                out.push(Candidate {
                    j: k,
                    closeness,
                    overlap: if decided {
                        f64::NAN
                    } else {
                        overlap(old, new, i, k)
                    },
                });
            }
        }
        (first_cluster, outside)
    }
}

/// The candidate with the largest weight (None for an empty row); candidates whose
/// overlap was not computed are outweighed by the first one.
fn best_of(row: &[Candidate]) -> Option<usize> {
    row.iter()
        .filter(|c| !c.overlap.is_nan())
        .max_by(|a, b| a.weight().total_cmp(&b.weight()))
        .map(|c| c.j)
}

/// |xᵢᴴ xⱼ| of old branch i and new eigenpair j, clamped to [0, 1], NaN as 0 (in real
/// arithmetic when both are stored real).
fn overlap(old: &Point, new: &Point, i: usize, j: usize) -> f64 {
    let o = match (&old.xr, &new.xr) {
        (Some(a), Some(b)) => {
            let n = a.nrows();
            let (a, b) = (
                &a.as_slice()[i * n..(i + 1) * n],
                &b.as_slice()[j * n..(j + 1) * n],
            );
            dot(a, b).abs()
        }
        _ => cabs(dotc(col(&old.x, i), col(&new.x, j))),
    };
    if o.is_nan() {
        0.0
    } else {
        o.min(1.0)
    }
}

/// The best new eigenpair for each of the old branches `rows`, by the weights of [`pair`]
/// but without the global assignment and the certainty test: for reading a few branches
/// at a fresh point in O(n·|rows|). None when two rows choose the same eigenpair.
pub(crate) fn pair_rows(old: &Point, new: &Point, rows: &[usize]) -> Option<Vec<usize>> {
    let cands = Candidates::new(new);
    let mut buf = Vec::new();
    let best: Vec<usize> = rows
        .iter()
        .map(|&i| {
            buf.clear();
            cands.of(old, i, predict_one(old, i, new.t), &mut buf);
            best_of(&buf).unwrap_or(usize::MAX)
        })
        .collect();
    let distinct = best
        .iter()
        .enumerate()
        .all(|(k, j)| *j != usize::MAX && !best[..k].contains(j));
    distinct.then_some(best)
}

/// Pair the branches of `old` with the eigenpairs of `new`.
pub(crate) fn pair(old: &Point, new: &Point, params: &MatchParams) -> Pairing {
    let n = old.len();
    let pred = predict(old, new.t);
    let cands = Candidates::new(new);
    // the candidates of row i are flat[rows[i]..rows[i + 1]]
    let mut flat = Vec::with_capacity(4 * n);
    let mut rows = Vec::with_capacity(n + 1);
    rows.push(0);
    let nearest: Vec<(usize, f64)> = pred
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let near = cands.of(old, i, p, &mut flat);
            rows.push(flat.len());
            near
        })
        .collect();
    let mut perm = assign(old, new, &mut flat, &rows);
    keep_conjugate_sides(old, new, &mut perm);
    let row = |i: usize| &flat[rows[i]..rows[i + 1]];
    let sweep = &cands.sweep;
    // certainty test
    let abs_tol = 1e-13 * new.scale;
    let mut uncertain = Vec::new();
    for i in 0..n {
        let j = perm[i];
        let e = cdist(new.values[j], pred[i]);
        let d = match nearest[i] {
            (c, d) if c == new.cluster[j] => d,
            _ => sweep.nearest_outside(pred[i], &new.cluster, new.cluster[j]),
        };
        let ok_value = e <= params.prediction_ratio * d || e <= abs_tol;
        let o = match row(i).iter().find(|c| c.j == j) {
            Some(c) if !c.overlap.is_nan() => c.overlap,
            _ => overlap(old, new, i, j),
        };
        // in a tied group (equal values, slopes and curvatures: an arbitrary basis) the
        // vector only has to lie in the group's eigenspace; `apply` aligns the basis
        let ok_vector = o >= params.min_overlap
            || new.tied.iter().find(|g| g.contains(&j)).is_some_and(|g| {
                g.iter()
                    .map(|&k| overlap(old, new, i, k).powi(2))
                    .sum::<f64>()
                    >= params.min_overlap * params.min_overlap
            });
        if !(ok_value && ok_vector) {
            uncertain.push(i);
        }
    }
    Pairing { perm, uncertain }
}

/// Members of an exact conjugate pair (a real matrix's λ, λ̄ with Im λ ≠ 0) that stay an
/// exact conjugate pair over the step keep the sign of their imaginary parts unless the
/// eigenvectors clearly say otherwise. Near an exceptional point x and x̄ are nearly
/// parallel, so the overlaps cannot tell the two apart, and the quadratic prediction
/// (λ″ ∝ (t − t*)^{−3/2}) overshoots to the other side: without this rule the pair
/// exchanges one step after the point. Where x and x̄ are far from parallel (a pair that
/// passes through a semisimple real double eigenvalue, as ±i·t does) the overlaps decide.
fn keep_conjugate_sides(old: &Point, new: &Point, perm: &mut [usize]) {
    let n = old.len();
    if old.values.iter().all(|z| z.im == 0.0) {
        return;
    }
    let key = |z: Complex64| ((z.re + 0.0).to_bits(), (z.im + 0.0).to_bits());
    // the first index of each value (what a scan from 0 finds), once per point
    let first = |p: &Point| {
        let mut m = std::collections::HashMap::with_capacity(p.len());
        for (j, &z) in p.values.iter().enumerate() {
            if z.im != 0.0 {
                m.entry(key(z)).or_insert(j);
            }
        }
        m
    };
    let (old_first, new_first) = (first(old), first(new));
    let partner = |p: &Point, m: &std::collections::HashMap<(u64, u64), usize>, i: usize| {
        let z = p.values[i];
        if z.im == 0.0 {
            return None;
        }
        // the solver returns a pair next to each other; look there first
        [i.wrapping_sub(1), i + 1]
            .into_iter()
            .find(|&j| j < p.len() && p.values[j] == z.conj())
            .or_else(|| m.get(&key(z.conj())).copied())
    };
    for i in 0..n {
        let Some(k) = partner(old, &old_first, i) else {
            continue;
        };
        if k < i {
            continue;
        }
        let (ji, jk) = (perm[i], perm[k]);
        if partner(new, &new_first, ji) != Some(jk) {
            continue;
        }
        if (new.values[ji].im > 0.0) == (old.values[i].im > 0.0) {
            continue;
        }
        // swapped sides: kept only when the vectors say so clearly
        let (same, cross) = (overlap(old, new, i, ji), overlap(old, new, i, jk));
        if same < cross + 0.5 {
            perm.swap(i, k);
        }
    }
}

/// Maximum-weight assignment of rows to columns from each row's candidates (all other
/// weights are 0): each row's best candidate when that is already a permutation,
/// otherwise the Hungarian algorithm on integer weights.
///
/// The candidates of row i are `flat[rows[i]..rows[i + 1]]`; overlaps that were not
/// computed are computed here when the Hungarian algorithm is needed.
fn assign(old: &Point, new: &Point, flat: &mut [Candidate], rows: &[usize]) -> Vec<usize> {
    let n = rows.len() - 1;
    let best: Vec<usize> = (0..n)
        .map(|i| best_of(&flat[rows[i]..rows[i + 1]]).unwrap_or(0))
        .collect();
    let mut seen = vec![false; n];
    if best.iter().all(|&j| !std::mem::replace(&mut seen[j], true)) {
        return best;
    }
    let mut data = vec![0i64; n * n];
    for i in 0..n {
        for c in flat[rows[i]..rows[i + 1]].iter_mut() {
            if c.overlap.is_nan() {
                c.overlap = overlap(old, new, i, c.j);
            }
            data[i * n + c.j] = (c.weight() * SCALE).round() as i64;
        }
    }
    match Matrix::from_vec(n, n, data) {
        Ok(m) => kuhn_munkres(&m).1,
        Err(_) => best,
    }
}

/// Apply a pairing: the new point in branch order, the bases of tied groups aligned with
/// the old vectors (orthogonal Procrustes), and with `transport` the phases by parallel
/// transport (xᵢ(t)ᴴ xᵢ(t+h) real and positive; only kept vectors need a gauge: overlaps,
/// slopes and couplings do not depend on it). Curvatures that were not computed are
/// estimated from the change of slope over the step (they only feed the next prediction).
pub(crate) fn apply(old: &Point, new: Point, perm: &[usize], transport: bool) -> Point {
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
    if !p.tied.is_empty() {
        // tied groups are re-aligned below: the real copy of X no longer matches
        p.xr = None;
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
        let yr = p
            .left
            .as_ref()
            .map(|y| crate::eigen::clusters::columns(y, &group) * &r);
        for (k, &g) in group.iter().enumerate() {
            p.x.set_column(g, &xr.column(k));
            if let (Some(y), Some(yr)) = (p.left.as_mut(), yr.as_ref()) {
                y.set_column(g, &yr.column(k));
            }
        }
    }
    for i in (0..n).filter(|_| transport) {
        let o = dotc(col(&old.x, i), col(&p.x, i));
        let r = cabs(o);
        if r > 0.0 && r.is_finite() {
            let phase = o.conj() / r;
            p.x.column_mut(i).iter_mut().for_each(|z| *z *= phase);
            if let Some(y) = p.left.as_mut() {
                y.column_mut(i).iter_mut().for_each(|z| *z *= phase);
            }
            match p.xr.as_mut() {
                // real vectors get a sign
                Some(xr) if phase.im == 0.0 => xr.column_mut(i).scale_mut(phase.re),
                _ => p.xr = None,
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
