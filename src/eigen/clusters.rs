//! Groups of (near-)equal eigenvalues and bases of their invariant subspaces.

use super::EigenPairs;
use nalgebra::DMatrix;
use num_complex::Complex64;

/// A group of eigenvalues equal within a tolerance, with bases of its right and left
/// invariant subspaces.
///
/// `right` (n × m) has orthonormal columns spanning the right eigenvectors of the group;
/// `left` (n × m) spans the left eigenvectors and is scaled so that
/// `left.adjoint() * right` is the m × m identity (Y_cᴴ X_c = I). For a semisimple
/// eigenvalue these span the invariant subspaces exactly; at a defective eigenvalue the
/// eigenvectors nearly coincide and the bases are as well determined as they are.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// Indices into [`EigenPairs::values`], ascending.
    pub indices: Vec<usize>,
    /// The mean of the group's eigenvalues.
    pub value: Complex64,
    /// Orthonormal basis of the right invariant subspace (n × m).
    pub right: DMatrix<Complex64>,
    /// Left basis with `left.adjoint() * right = I` (n × m).
    pub left: DMatrix<Complex64>,
}

/// Single-linkage groups of `values` closer than `tol` (each group ascending, groups in
/// order of their first member).
pub(crate) fn group_close(values: &[Complex64], tol: f64) -> Vec<Vec<usize>> {
    let (ids, count) = group_ids(values, tol);
    let mut groups = vec![Vec::new(); count];
    for (i, &g) in ids.iter().enumerate() {
        groups[g].push(i);
    }
    groups
}

/// The groups of [`group_close`] as one id per value (ids 0, 1, … in order of each group's
/// first member) and the number of groups, without a vector per group.
pub(crate) fn group_ids(values: &[Complex64], tol: f64) -> (Vec<usize>, usize) {
    group_ids_by(values, tol, |_, _| tol)
}

/// Relative error of a computed eigenvalue per unit of condition number: a backward
/// stable solver moves λᵢ by at most about κᵢ·ε·‖A‖, and a few ε more.
const EIGENVALUE_ERROR: f64 = 16.0 * f64::EPSILON;

/// The widest separation the conditioned rule joins, relative to ‖A‖_F: the split of a
/// Jordan block of size 3 under rounding, ε^{1/3} ≈ 6·10⁻⁶, with room.
const CONDITIONED_CAP: f64 = 1e-5;

/// Groups of eigenvalues equal within `tol` or within their own error bars: λᵢ and λⱼ
/// join when |λᵢ − λⱼ| ≤ 16ε(κᵢ + κⱼ)‖A‖ (capped at 10⁻⁵‖A‖; κ non-finite counts as the
/// cap), the first-order perturbation bound of each. A defective eigenvalue is split
/// by rounding into values O(ε^{1/m}) apart whose condition numbers are O(ε^{−(m−1)/m}),
/// so it stays one group; a normal matrix (κ = 1) is grouped by `tol` alone (`plain`, the
/// groups of [`group_ids`] within `tol`, is returned as it is). Returns the ids and the
/// count as [`group_ids`].
pub(crate) fn group_ids_conditioned(
    values: &[Complex64],
    kappa: &[f64],
    tol: f64,
    scale: f64,
    plain: &(Vec<usize>, usize),
) -> (Vec<usize>, usize) {
    // well-conditioned values (a normal matrix: κ = 1) have error bars below `tol`: the
    // groups are the plain ones, `plain`
    let worst = kappa.iter().fold(
        0.0_f64,
        |m, &k| if k.is_nan() { f64::INFINITY } else { m.max(k) },
    );
    if 2.0 * EIGENVALUE_ERROR * worst * scale <= tol {
        return plain.clone();
    }
    let cap = CONDITIONED_CAP * scale;
    let bar = |i: usize| {
        let k = kappa[i];
        if k.is_finite() {
            (EIGENVALUE_ERROR * k * scale).min(cap)
        } else {
            cap
        }
    };
    let widest = (0..values.len()).map(bar).fold(tol, f64::max);
    group_ids_by(values, widest, |i, j| tol.max((bar(i) + bar(j)).min(cap)))
}

/// Single linkage of pairs within `tol_of(i, j)` (never above `widest`).
fn group_ids_by(
    values: &[Complex64],
    widest: f64,
    tol_of: impl Fn(usize, usize) -> f64,
) -> (Vec<usize>, usize) {
    let tol = widest;
    let n = values.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    // sweep in the real part: only pairs with |Δ Re| ≤ tol can be close
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].re.total_cmp(&values[b].re));
    for (k, &i) in order.iter().enumerate() {
        for &j in &order[k + 1..] {
            if values[j].re - values[i].re > tol {
                break;
            }
            if crate::linalg::cdist(values[i], values[j]) <= tol_of(i, j) {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
    }
    let mut slot = vec![usize::MAX; n];
    let mut ids = vec![0; n];
    let mut count = 0;
    for (i, id) in ids.iter_mut().enumerate() {
        let r = find(&mut parent, i);
        if slot[r] == usize::MAX {
            slot[r] = count;
            count += 1;
        }
        *id = slot[r];
    }
    (ids, count)
}

/// The group id of each value (see [`group_ids`]) and the members of the groups of two or
/// more values (the common lone values get no vector of their own).
pub(crate) fn multiple_groups(values: &[Complex64], tol: f64) -> (Vec<usize>, Vec<Vec<usize>>) {
    multiple_groups_of(group_ids(values, tol))
}

/// [`multiple_groups`] from given (ids, count).
pub(crate) fn multiple_groups_of(
    (ids, count): (Vec<usize>, usize),
) -> (Vec<usize>, Vec<Vec<usize>>) {
    let mut size = vec![0usize; count];
    ids.iter().for_each(|&g| size[g] += 1);
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut slot = vec![usize::MAX; count];
    for (i, &g) in ids.iter().enumerate().filter(|(_, &g)| size[g] > 1) {
        if slot[g] == usize::MAX {
            slot[g] = groups.len();
            groups.push(Vec::with_capacity(size[g]));
        }
        groups[slot[g]].push(i);
    }
    (ids, groups)
}

/// Columns `idx` of `m`.
pub(crate) fn columns(m: &DMatrix<Complex64>, idx: &[usize]) -> DMatrix<Complex64> {
    DMatrix::from_fn(m.nrows(), idx.len(), |i, k| m[(i, idx[k])])
}

/// Y_c ← Y_c (Y_cᴴ X_c)^{-H} inside groups of eigenvalues equal within `tol`.
pub(crate) fn biorthonormalize_exact(p: &mut EigenPairs, tol: f64) {
    for g in multiple_groups(&p.values, tol).1 {
        let Some(left) = p.left.as_mut() else {
            return;
        };
        let xc = columns(&p.right, &g);
        let yc = columns(left, &g);
        let gram = yc.adjoint() * &xc;
        let Some(inv) = gram.try_inverse() else {
            continue;
        };
        let ynew = yc * inv.adjoint();
        if ynew.iter().any(|v| !v.re.is_finite() || !v.im.is_finite()) {
            continue;
        }
        for (k, &j) in g.iter().enumerate() {
            left.set_column(j, &ynew.column(k));
            p.condition[j] = ynew.column(k).norm();
        }
    }
}

impl EigenPairs {
    /// Groups of eigenvalues equal within `rel_tol · ‖A‖_F` (single linkage: a chain of
    /// close eigenvalues is one group), with bases of their invariant subspaces. Groups of
    /// one eigenvalue are included, so every index appears exactly once.
    ///
    /// ```
    /// use eigentrack::eig;
    /// use nalgebra::DMatrix;
    ///
    /// let a = DMatrix::from_row_slice(3, 3, &[2.0, 0.0, 1.0, 0.0, 2.0, 1.0, 0.0, 0.0, 5.0]);
    /// let e = eig(&a)?;
    /// let c = e.clusters(1e-10);
    /// assert_eq!(c.len(), 2);
    /// assert_eq!(c[0].indices, vec![0, 1]);
    /// // the bases span the invariant subspace: A X_c = X_c (Y_cᴴ A X_c)
    /// let ac = a.map(|v| num_complex::Complex64::new(v, 0.0));
    /// let m = c[0].left.adjoint() * &ac * &c[0].right;
    /// assert!((&ac * &c[0].right - &c[0].right * m).norm() < 1e-13);
    /// # Ok::<(), eigentrack::Error>(())
    /// ```
    pub fn clusters(&self, rel_tol: f64) -> Vec<Cluster> {
        group_close(&self.values, rel_tol * self.norm)
            .into_iter()
            .map(|g| {
                let value = g.iter().map(|&i| self.values[i]).sum::<Complex64>() / g.len() as f64;
                let xc = columns(&self.right, &g);
                let yc = columns(self.left(), &g);
                let (right, left) = if g.len() == 1 {
                    (xc, yc)
                } else {
                    let q = orthonormal_basis(&xc);
                    let gram = yc.adjoint() * &q;
                    match gram.try_inverse() {
                        Some(inv) => (q, yc * inv.adjoint()),
                        None => (q.clone(), q),
                    }
                };
                Cluster {
                    indices: g,
                    value,
                    right,
                    left,
                }
            })
            .collect()
    }
}

/// Orthonormal basis of the column space of `m` (thin QR).
pub(crate) fn orthonormal_basis(m: &DMatrix<Complex64>) -> DMatrix<Complex64> {
    m.clone().qr().q()
}
