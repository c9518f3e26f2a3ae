//! Realistic families whose truth needs no formula: symmetry sectors (the sorted spectrum
//! of each sector of a commuting symmetry) and a brute-force analytic continuation of the
//! eigenvalues. Rust ports of `shared/bench/realistic.py` and `shared/bench/reference.py`,
//! deterministic and with no external data.

use eigentrack::{eig, eigh, Element, Event, Tracking};
use nalgebra::{DMatrix, DVector};
use num_complex::Complex64;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Kronecker product P ⊗ B.
fn kron(p: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
    let (pr, pc, br, bc) = (p.nrows(), p.ncols(), b.nrows(), b.ncols());
    DMatrix::from_fn(pr * br, pc * bc, |i, j| {
        p[(i / br, j / bc)] * b[(i % br, j % bc)]
    })
}

/// The 1D second difference tridiag(−1, 2, −1) of size m.
fn second_difference(m: usize) -> DMatrix<f64> {
    DMatrix::from_fn(m, m, |i, j| match i.abs_diff(j) {
        0 => 2.0,
        1 => -1.0,
        _ => 0.0,
    })
}

/// A separable 3D model on the s × s × s interior grid: the cube Laplacian
/// L = T ⊗ I ⊗ I + I ⊗ T ⊗ I + I ⊗ I ⊗ T (T the second difference, h = 1) and the
/// potential V = v(x) + v(y) + v(z), v given at the s grid points. Returns (L, V).
/// The eigenvalues of L + t·V are the sums e_a + e_b + e_c of the eigenvalues of
/// T + t·diag(v) ([`separable_levels`]): a level of multiplicity 1, 3 or 6 for every t,
/// by the symmetry of the cube (axis permutations) and separability.
pub fn separable_cube(s: usize, v: &[f64]) -> (DMatrix<f64>, DMatrix<f64>) {
    let t = second_difference(s);
    let id = DMatrix::<f64>::identity(s, s);
    let l = kron(&kron(&t, &id), &id) + kron(&kron(&id, &t), &id) + kron(&kron(&id, &id), &t);
    let one = DVector::from_column_slice(v);
    let ones = DVector::from_element(s, 1.0);
    let sum = |a: &DVector<f64>, b: &DVector<f64>, c: &DVector<f64>| {
        DVector::from_fn(s * s * s, |p, _| a[p / (s * s)] * b[(p / s) % s] * c[p % s])
    };
    let pot = sum(&one, &ones, &ones) + sum(&ones, &one, &ones) + sum(&ones, &ones, &one);
    (l, DMatrix::from_diagonal(&pot))
}

/// The ascending eigenvalues of the 1D operator T + t·diag(v) of [`separable_cube`].
pub fn separable_levels(v: &[f64], t: f64) -> Vec<f64> {
    let m = second_difference(v.len()) + DMatrix::from_diagonal(&DVector::from_column_slice(v)) * t;
    let mut e: Vec<f64> = m.symmetric_eigen().eigenvalues.iter().copied().collect();
    e.sort_by(f64::total_cmp);
    e
}

/// The `mirror` family of realistic.py: a 2D quantum dot on the 10 × 10 interior grid
/// x_i = (i + 1)h, h = 1/11 (index i·m + j ↔ (x_i, y_j)),
/// H(t) = T + V₀ + t V₁ on t ∈ [0, 1], T = −Δ_h / 120 (5-point Laplacian, Dirichlet),
/// V₀ = 22 (x − ½)² + 15 (y − 0.45)² + 5 y³, V₁ = 30 (x − ½)² y + 10 y − 15 (x − ½)⁴.
/// Both terms commute with the mirror x → 1 − x, so levels of opposite parity cross
/// exactly and levels of equal parity only avoid each other.
///
/// Returns (A₀, A₁, U): U is orthonormal, its first 50 columns (e_p + e_q)/√2 span the
/// even sector and its last 50 columns (e_p − e_q)/√2 the odd one, over the mirror pairs
/// p = (i, j), q = (m − 1 − i, j), i < m/2 (m is even: no fixed points).
pub fn mirror_dot() -> (DMatrix<f64>, DMatrix<f64>, DMatrix<f64>) {
    let m = 10;
    let n = m * m;
    let h = 1.0 / (m + 1) as f64;
    let l1 = second_difference(m) / (h * h);
    let id = DMatrix::<f64>::identity(m, m);
    let t = (kron(&l1, &id) + kron(&id, &l1)) / 120.0;
    let xy = |p: usize| ((p / m + 1) as f64 * h, (p % m + 1) as f64 * h);
    let v0 = DVector::from_fn(n, |p, _| {
        let (x, y) = xy(p);
        let xs = x - 0.5;
        22.0 * xs * xs + 15.0 * (y - 0.45).powi(2) + 5.0 * y.powi(3)
    });
    let v1 = DVector::from_fn(n, |p, _| {
        let (x, y) = xy(p);
        let xs = x - 0.5;
        30.0 * xs * xs * y + 10.0 * y - 15.0 * xs.powi(4)
    });
    let a0 = t + DMatrix::from_diagonal(&v0);
    let a1 = DMatrix::from_diagonal(&v1);
    let mut u = DMatrix::<f64>::zeros(n, n);
    let r = std::f64::consts::FRAC_1_SQRT_2;
    let half = n / 2;
    let mut k = 0;
    for i in 0..m / 2 {
        for j in 0..m {
            let (p, q) = (i * m + j, (m - 1 - i) * m + j);
            u[(p, k)] = r;
            u[(q, k)] = r;
            u[(p, half + k)] = r;
            u[(q, half + k)] = -r;
            k += 1;
        }
    }
    (a0, a1, u)
}

/// Sector sizes of [`mirror_dot`] (even, odd).
pub const MIRROR_SIZES: [usize; 2] = [50, 50];
/// Sector sizes of [`sector_family_small`].
pub const SMALL_SIZES: [usize; 2] = [8, 8];

/// A seeded symmetric n = 16 family with a hidden symmetry:
/// A(t) = U · blockdiag(E₀ + tE₁, O₀ + tO₁) · Uᵀ with U a random orthogonal matrix (QR of a
/// Gaussian one) and, in each 8 × 8 sector, diagonal levels d₀ᵢ + t d₁ᵢ (d₀ uniform on
/// [−1, 1], d₁ uniform on [−1, 1]) coupled by ε(R₀ + tR₁), R symmetric Gaussian,
/// ε = 3·10⁻³: same-sector levels avoid each other with gaps of order 10⁻³ (far below
/// the spacing of coarse grids), opposite-sector levels cross exactly.
///
/// Returns (A₀, A₁, U) with the even sector in U's first 8 columns.
pub fn sector_family_small(seed: u64) -> (DMatrix<f64>, DMatrix<f64>, DMatrix<f64>) {
    let n = 16;
    let s = 8;
    let eps = 3e-3;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut gauss = |r, c| DMatrix::from_fn(r, c, |_, _| rng.sample::<f64, _>(StandardNormal));
    let u = gauss(n, n).qr().q();
    let mut sym = || {
        let g = gauss(s, s);
        (&g + g.transpose()) * (0.5 * eps)
    };
    let (r00, r01, r10, r11) = (sym(), sym(), sym(), sym());
    let mut uni = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let mut diag =
        || DMatrix::from_diagonal(&DVector::from_fn(s, |_, _| uni.random_range(-1.0..1.0)));
    let (e0, e1, o0, o1) = (diag() + r00, diag() + r01, diag() + r10, diag() + r11);
    let block = |e: &DMatrix<f64>, o: &DMatrix<f64>| {
        let mut b = DMatrix::<f64>::zeros(n, n);
        b.view_mut((0, 0), (s, s)).copy_from(e);
        b.view_mut((s, s), (s, s)).copy_from(o);
        &u * b * u.transpose()
    };
    let (a0, a1) = (block(&e0, &o0), block(&e1, &o1));
    // exactly symmetric (the Hermitian path is taken per matrix)
    let sym_part = |a: DMatrix<f64>| (&a + a.transpose()) * 0.5;
    (sym_part(a0), sym_part(a1), u)
}

/// Largest off-block entry of Uᵀ A U for the sector split `sizes`.
pub fn off_block(a: &DMatrix<f64>, u: &DMatrix<f64>, sizes: [usize; 2]) -> f64 {
    let b = u.transpose() * a * u;
    let s = sizes[0];
    let mut m = 0.0f64;
    for i in 0..b.nrows() {
        for j in 0..b.ncols() {
            if (i < s) != (j < s) {
                m = m.max(b[(i, j)].abs());
            }
        }
    }
    m
}

/// The truth of a symmetric family A₀ + tA₁ commuting with a symmetry whose sectors are
/// spanned by U's first `sizes[0]` and next `sizes[1]` columns: at each grid point the
/// ascending eigenvalues of U_sᵀ A(t) U_s for each sector s (by [`eigh`]).
pub fn sector_truth(
    a0: &DMatrix<f64>,
    a1: &DMatrix<f64>,
    u: &DMatrix<f64>,
    sizes: [usize; 2],
    grid: &[f64],
) -> Vec<(Vec<f64>, Vec<f64>)> {
    let u0 = u.columns(0, sizes[0]).into_owned();
    let u1 = u.columns(sizes[0], sizes[1]).into_owned();
    let (p0, p1) = (
        (u0.transpose() * a0 * &u0, u0.transpose() * a1 * &u0),
        (u1.transpose() * a0 * &u1, u1.transpose() * a1 * &u1),
    );
    let sorted = |p: &(DMatrix<f64>, DMatrix<f64>), t: f64| -> Vec<f64> {
        let e = eigh(&(&p.0 + &p.1 * t)).expect("eigh of a sector");
        e.values().iter().map(|z| z.re).collect()
    };
    grid.iter()
        .map(|&t| (sorted(&p0, t), sorted(&p1, t)))
        .collect()
}

/// The (sector, rank) curve of the truth that each branch follows at every sample within
/// `tol · max(1, |λ|)`, or None. Candidates are the truth values within that tolerance at
/// the first sample (several where levels are degenerate there: the first that fits at
/// every sample wins); a curve claimed by an earlier branch is not given twice.
pub fn branch_sectors(
    tracking: &Tracking,
    truth: &[(Vec<f64>, Vec<f64>)],
    tol: f64,
) -> Vec<Option<(usize, usize)>> {
    let samples = tracking.samples().len();
    assert_eq!(samples, truth.len(), "truth on another grid");
    let curve = |s: usize, k: usize, r: usize| -> f64 {
        if s == 0 {
            truth[k].0[r]
        } else {
            truth[k].1[r]
        }
    };
    let close = |v: Complex64, x: f64| (v - x).norm() <= tol * v.norm().max(1.0);
    let mut taken = Vec::new();
    tracking
        .branches()
        .iter()
        .map(|b| {
            let v = b.values();
            let sizes = [truth[0].0.len(), truth[0].1.len()];
            let found = (0..2)
                .flat_map(|s| (0..sizes[s]).map(move |r| (s, r)))
                .filter(|c| !taken.contains(c))
                .find(|&(s, r)| (0..samples).all(|k| close(v[k], curve(s, k, r))));
            if let Some(c) = found {
                taken.push(c);
            }
            found
        })
        .collect()
}

/// Identity errors of a track of a family with two symmetry sectors: the number of
/// branches that do not follow one (sector, rank) curve of `truth` (see
/// [`branch_sectors`]) at every sample within `tol · max(1, |λ|)`.
pub fn check_sectors(tracking: &Tracking, truth: &[(Vec<f64>, Vec<f64>)], tol: f64) -> usize {
    branch_sectors(tracking, truth, tol)
        .iter()
        .filter(|c| c.is_none())
        .count()
}

/// Crossing events that are not between the two sectors (a symmetry forbids crossings
/// inside a sector; a false one is an avoided crossing narrower than the tracker's
/// resolution): those whose value λ* at t* is not within `tol · max(1, |λ*|)` of an
/// eigenvalue of each sector of A(t*). Independent of how the branches were identified.
pub fn same_sector_crossings(
    tracking: &Tracking,
    a0: &DMatrix<f64>,
    a1: &DMatrix<f64>,
    u: &DMatrix<f64>,
    sizes: [usize; 2],
    tol: f64,
) -> usize {
    tracking
        .events()
        .iter()
        .filter(|e| match e {
            Event::Crossing { t, value, .. } => {
                let (even, odd) = &sector_truth(a0, a1, u, sizes, &[*t])[0];
                let near = |l: &[f64]| {
                    l.iter()
                        .any(|&x| (value - x).norm() <= tol * value.norm().max(1.0))
                };
                !(near(even) && near(odd))
            }
            _ => false,
        })
        .count()
}

/// The smallest gap between adjacent levels of one sector of A₀ + tA₁ over [a, b]: the
/// gaps are scanned on `points` grid points, and each local minimum is refined by a
/// golden-section search on its bracket (to 10⁻¹³ of it). Returns (gap, t, ‖A(t)‖_F) at the smallest.
pub fn min_same_sector_gap(
    a0: &DMatrix<f64>,
    a1: &DMatrix<f64>,
    u: &DMatrix<f64>,
    sizes: [usize; 2],
    range: (f64, f64),
    points: usize,
) -> (f64, f64, f64) {
    let mut best = (f64::INFINITY, 0.0, 0.0);
    for (s, &size) in sizes.iter().enumerate() {
        let us = u
            .columns(if s == 0 { 0 } else { sizes[0] }, size)
            .into_owned();
        let (p0, p1) = (us.transpose() * a0 * &us, us.transpose() * a1 * &us);
        let levels = |t: f64| -> Vec<f64> {
            let e = eigh(&(&p0 + &p1 * t)).expect("eigh of a sector");
            e.values().iter().map(|z| z.re).collect()
        };
        let gap = |t: f64, r: usize| {
            let l = levels(t);
            l[r + 1] - l[r]
        };
        let grid: Vec<f64> = (0..points)
            .map(|k| range.0 + (range.1 - range.0) * k as f64 / (points - 1) as f64)
            .collect();
        let levels_on_grid: Vec<Vec<f64>> = grid.iter().map(|&t| levels(t)).collect();
        for r in 0..size - 1 {
            // the gap between levels r and r + 1 along the grid
            let gaps: Vec<f64> = levels_on_grid.iter().map(|l| l[r + 1] - l[r]).collect();
            for k in 1..points - 1 {
                let g = gaps[k];
                if g <= gaps[k - 1] && g <= gaps[k + 1] {
                    // golden section: one new gap per iteration, bracket ÷ 10¹³
                    let phi = 0.5 * (5f64.sqrt() - 1.0);
                    let (mut lo, mut hi) = (grid[k - 1], grid[k + 1]);
                    let (mut c, mut d) = (hi - phi * (hi - lo), lo + phi * (hi - lo));
                    let (mut gc, mut gd) = (gap(c, r), gap(d, r));
                    for _ in 0..62 {
                        if gc < gd {
                            (hi, d, gd) = (d, c, gc);
                            c = hi - phi * (hi - lo);
                            gc = gap(c, r);
                        } else {
                            (lo, c, gc) = (c, d, gd);
                            d = lo + phi * (hi - lo);
                            gd = gap(d, r);
                        }
                    }
                    let (t, g) = [(c, gc), (d, gd), (grid[k], g)]
                        .into_iter()
                        .min_by(|x, y| x.1.total_cmp(&y.1))
                        .expect("three candidates");
                    if g < best.0 {
                        best = (g, t, (a0 + a1 * t).norm());
                    }
                }
            }
        }
    }
    best
}

/// The `rotor` family of realistic.py: a gyroscopic rotor chain of k = 20 stations in two
/// lateral directions, first-order form n = 80 on the spin speed t ∈ [0, 30]:
/// A(t) = [[0, I], [−K, −C − tG]], K = I₂ ⊗ K₁ + [[0, 1], [1, 0]] ⊗ diag(0 … 4),
/// K₁ = 300·tridiag(−1, 2, −1) + diag(0 … 40), G = [[0, 1], [−1, 0]] ⊗ diag(0.3 … 1.2),
/// C = 10⁻⁴ K (ranges are `linspace`s over the k stations). Non-Hermitian: complex
/// conjugate pairs splitting into forward and backward whirls. Returns (A₀, A₁).
pub fn rotor() -> (DMatrix<f64>, DMatrix<f64>) {
    let k = 20;
    let lin = |a: f64, b: f64| DVector::from_fn(k, |i, _| a + (b - a) * i as f64 / (k - 1) as f64);
    let k1 = second_difference(k) * 300.0 + DMatrix::from_diagonal(&lin(0.0, 40.0));
    let i2 = DMatrix::<f64>::identity(2, 2);
    let swap = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 1.0, 0.0]);
    let skew = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, -1.0, 0.0]);
    let kf = kron(&i2, &k1) + kron(&swap, &DMatrix::from_diagonal(&lin(0.0, 4.0)));
    let g = kron(&skew, &DMatrix::from_diagonal(&lin(0.3, 1.2)));
    let c = &kf * (0.03 / 300.0);
    let d = 2 * k;
    let mut a0 = DMatrix::<f64>::zeros(2 * d, 2 * d);
    a0.view_mut((0, d), (d, d))
        .copy_from(&DMatrix::<f64>::identity(d, d));
    a0.view_mut((d, 0), (d, d)).copy_from(&(-kf));
    a0.view_mut((d, d), (d, d)).copy_from(&(-c));
    let mut a1 = DMatrix::<f64>::zeros(2 * d, 2 * d);
    a1.view_mut((d, d), (d, d)).copy_from(&(-g));
    (a0, a1)
}

/// One value-continuation step (reference.py's test): each current value goes to its
/// nearest eigenvalue of A(t); None unless the choices are distinct and every move is at
/// most 1/5 of the distance to the runner-up (then no two eigenvalues can be confused).
fn continue_values<T: Element>(
    f: &dyn Fn(f64) -> DMatrix<T>,
    cur: &[Complex64],
    t: f64,
) -> (Vec<Complex64>, bool) {
    let w = eig(&f(t)).expect("eig in the reference continuation");
    let w = w.values();
    let mut next = Vec::with_capacity(cur.len());
    let mut used = vec![false; w.len()];
    let mut ok = true;
    for &c in cur {
        let (mut j, mut d1, mut d2) = (0, f64::INFINITY, f64::INFINITY);
        for (i, &z) in w.iter().enumerate() {
            let d = (z - c).norm();
            if d < d1 {
                (d2, d1, j) = (d1, d, i);
            } else if d < d2 {
                d2 = d;
            }
        }
        ok &= !used[j] && d1 <= 0.2 * d2;
        used[j] = true;
        next.push(w[j]);
    }
    (next, ok)
}

/// The analytic continuation of every eigenvalue of A(t) by value continuation
/// (reference.py): from the eigenvalues at `grid[0]`, each value goes to the nearest
/// eigenvalue one substep on, and a substep is accepted only when every eigenvalue moved
/// less than 1/5 of its distance to the runner-up (so no two are confused); otherwise it
/// is halved, down to 10⁻¹⁰ of the range. Substeps are at most 1/`fine` of a sample
/// interval and land on every sample. (reference.py halves recursively from the full
/// substep every time; this controller keeps the last accepted substep and doubles it
/// after a success, the same acceptance test for fewer decompositions.)
///
/// Needs a family without exact crossings (the steps shrink without end as two values
/// meet: symmetric families are checked by [`sector_truth`] instead).
///
/// Returns values indexed `[sample][reference branch]`; panics if any substep hit the
/// floor (the reference would be ambiguous there: no truth).
pub fn reference_continuation<T: Element>(
    f: &dyn Fn(f64) -> DMatrix<T>,
    grid: &[f64],
    fine: usize,
) -> Vec<Vec<Complex64>> {
    let span = (grid[grid.len() - 1] - grid[0]).abs();
    let floor = 1e-10 * span;
    let mut cur: Vec<Complex64> = eig(&f(grid[0]))
        .expect("eig in the reference continuation")
        .values()
        .to_vec();
    let mut out = vec![cur.clone()];
    let mut ambiguous = 0;
    let mut h = f64::INFINITY;
    for w in grid.windows(2) {
        let (t_end, max) = (w[1], (w[1] - w[0]).abs() / fine as f64);
        let dir = (w[1] - w[0]).signum();
        let mut t = w[0];
        h = h.min(max);
        while t != t_end {
            let last = (t_end - t).abs() <= h * (1.0 + 1e-12);
            let tn = if last { t_end } else { t + dir * h };
            let (next, ok) = continue_values(f, &cur, tn);
            if ok || h < floor {
                ambiguous += usize::from(!ok);
                (t, cur) = (tn, next);
                h = (2.0 * h).min(max);
            } else {
                h /= 2.0;
            }
        }
        out.push(cur.clone());
    }
    assert_eq!(
        ambiguous, 0,
        "the reference continuation was ambiguous in {ambiguous} substeps"
    );
    out
}

/// Identity errors against [`reference_continuation`] (as reference.py): each tracked
/// branch is matched to the nearest reference branch at the first sample and counts as an
/// error if it is ever farther from it than `rel_tol · max |λ|` (over all samples).
pub fn continuation_errors(
    tracking: &Tracking,
    reference: &[Vec<Complex64>],
    rel_tol: f64,
) -> usize {
    assert_eq!(
        tracking.samples().len(),
        reference.len(),
        "reference on another grid"
    );
    let scale = reference
        .iter()
        .flatten()
        .map(|z| z.norm())
        .fold(0.0, f64::max);
    tracking
        .branches()
        .iter()
        .filter(|b| {
            let v = b.values();
            let j = (0..reference[0].len())
                .min_by(|&i, &j| {
                    (reference[0][i] - v[0])
                        .norm()
                        .total_cmp(&(reference[0][j] - v[0]).norm())
                })
                .expect("a non-empty reference");
            reference
                .iter()
                .zip(v)
                .any(|(r, &x)| (r[j] - x).norm() > rel_tol * scale)
        })
        .count()
}
