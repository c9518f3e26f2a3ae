//! Tests of the eigen core: invariants on seeded random matrices, special matrices,
//! clusters and errors.

use eigentrack::{eig, eig_with, eigh, EigenPairs, Error, HermitianMode};
use nalgebra::DMatrix;
use num_complex::Complex64;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const EPS: f64 = f64::EPSILON;
/// The constant c of ‖AX − XΛ‖_F ≤ c·ε·n·‖A‖_F (and of the left residual).
const C: f64 = 10.0;

fn c(re: f64) -> Complex64 {
    Complex64::new(re, 0.0)
}

fn random_real(n: usize, rng: &mut ChaCha8Rng) -> DMatrix<f64> {
    DMatrix::from_fn(n, n, |_, _| rng.random_range(-1.0..1.0))
}

fn random_complex(n: usize, rng: &mut ChaCha8Rng) -> DMatrix<Complex64> {
    DMatrix::from_fn(n, n, |_, _| {
        Complex64::new(rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0))
    })
}

/// ‖AX − XΛ‖_F/‖A‖_F and ‖YᴴA − ΛYᴴ‖_F/(‖A‖_F·max‖yᵢ‖).
fn residuals(a: &DMatrix<Complex64>, e: &EigenPairs) -> (f64, f64) {
    residuals_with(a, e.values(), e)
}

/// The residuals with the eigenvalues `values` in place of `e.values()`.
fn residuals_with(a: &DMatrix<Complex64>, values: &[Complex64], e: &EigenPairs) -> (f64, f64) {
    let n = a.nrows();
    let lam = DMatrix::from_diagonal(&nalgebra::DVector::from_column_slice(values));
    let x = e.right();
    let y = e.left();
    let an = a.norm();
    let r = (a * x - x * &lam).norm() / an;
    let ymax = (0..n).map(|j| y.column(j).norm()).fold(0.0, f64::max);
    let l = (y.adjoint() * a - &lam * y.adjoint()).norm() / (an * ymax);
    (r, l)
}

fn check_invariants(a: &DMatrix<Complex64>, e: &EigenPairs, what: &str) {
    let n = a.nrows();
    let (r, l) = residuals(a, e);
    let bound = C * EPS * n as f64;
    assert!(r <= bound, "{what}: right residual {r:e} > {bound:e}");
    assert!(l <= bound, "{what}: left residual {l:e} > {bound:e}");
    for j in 0..n {
        let nx = e.right().column(j).norm();
        assert!((nx - 1.0).abs() < 1e-13, "{what}: ‖x_{j}‖ = {nx}");
        assert!(e.values()[j].re.is_finite() && e.values()[j].im.is_finite());
    }
    // Yᴴ X = I where κ is moderate
    let kmax = e.condition().iter().cloned().fold(0.0, f64::max);
    if kmax < 1e4 {
        let g = e.left().adjoint() * e.right();
        let dev = (g - DMatrix::<Complex64>::identity(n, n)).norm();
        assert!(
            dev < 1e-9 * kmax.max(1.0),
            "{what}: ‖YᴴX − I‖ = {dev:e}, κ_max {kmax}"
        );
    }
    // ascending (Re, Im) order
    for j in 1..n {
        let (p, q) = (e.values()[j - 1], e.values()[j]);
        assert!(
            p.re <= q.re + 1e-12 * e.norm(),
            "{what}: order at {j}: {p} then {q}"
        );
    }
}

const SIZES: &[usize] = &[1, 2, 3, 5, 8, 13, 20, 31, 50, 77, 100, 200];

#[test]
fn random_real_matrices_satisfy_the_invariants() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for &n in SIZES {
        let a = random_real(n, &mut rng);
        let e = eig(&a).unwrap();
        assert_eq!(e.is_hermitian(), n == 1);
        check_invariants(&a.map(c), &e, &format!("real n={n}"));
        // exact conjugate pairs, with conjugate vectors
        let vals = e.values();
        for (j, v) in vals.iter().enumerate() {
            if v.im != 0.0 {
                let partner = vals.iter().position(|w| *w == v.conj());
                let k = partner.unwrap_or_else(|| panic!("n={n}: {v} has no exact conjugate"));
                assert_eq!(e.right().column(k), e.right().column(j).map(|z| z.conj()));
            }
        }
    }
}

#[test]
fn random_complex_matrices_satisfy_the_invariants() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    for &n in SIZES {
        let a = random_complex(n, &mut rng);
        let e = eig(&a).unwrap();
        check_invariants(&a, &e, &format!("complex n={n}"));
    }
}

#[test]
fn random_hermitian_matrices_take_the_hermitian_path() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for &n in SIZES {
        let b = random_complex(n, &mut rng);
        let h = &b + b.adjoint();
        let e = eig(&h).unwrap();
        assert!(e.is_hermitian(), "n={n}");
        check_invariants(&h, &e, &format!("hermitian n={n}"));
        assert!(e.values().iter().all(|v| v.im == 0.0));
        assert!(e.condition().iter().all(|&k| k == 1.0));
        assert_eq!(e.left(), e.right());
        // the general path agrees on the eigenvalues
        let g = eig_with(&h, HermitianMode::No).unwrap();
        for (p, q) in e.values().iter().zip(g.values()) {
            assert!((p - q).norm() <= 1e3 * EPS * h.norm(), "n={n}: {p} vs {q}");
        }
        // real symmetric
        let r = random_real(n, &mut rng);
        let s = &r + r.transpose();
        let e = eigh(&s).unwrap();
        check_invariants(&s.map(c), &e, &format!("symmetric n={n}"));
    }
}

fn assert_values(e: &EigenPairs, expected: &[Complex64], tol: f64, what: &str) {
    assert_eq!(e.values().len(), expected.len(), "{what}");
    for (k, (v, w)) in e.values().iter().zip(expected).enumerate() {
        assert!((v - w).norm() <= tol, "{what}: λ_{k} = {v}, expected {w}");
    }
}

#[test]
fn zero_identity_and_repeated_diagonal() {
    for n in [1, 4, 10] {
        let z = DMatrix::<f64>::zeros(n, n);
        let e = eig(&z).unwrap();
        assert_values(&e, &vec![c(0.0); n], 0.0, "zero");
        let i = DMatrix::<f64>::identity(n, n);
        let e = eig(&i).unwrap();
        assert_values(&e, &vec![c(1.0); n], 1e-15, "identity");
        check_invariants(&i.map(c), &e, "identity");
    }
    let d = DMatrix::from_diagonal(&nalgebra::DVector::from_vec(vec![3.0, 1.0, 3.0, 2.0, 1.0]));
    let e = eig_with(&d, HermitianMode::No).unwrap();
    assert_values(
        &e,
        &[c(1.0), c(1.0), c(2.0), c(3.0), c(3.0)],
        1e-15,
        "diagonal",
    );
    check_invariants(&d.map(c), &e, "diagonal");
    let g = e.left().adjoint() * e.right();
    assert!((g - DMatrix::<Complex64>::identity(5, 5)).norm() < 1e-14);
}

#[test]
fn jordan_block_and_nilpotent_report_large_condition() {
    for n in [2, 3, 6] {
        // Jordan block J_n(2)
        let j = DMatrix::from_fn(n, n, |r, c| {
            if r == c {
                2.0
            } else if c == r + 1 {
                1.0
            } else {
                0.0
            }
        });
        let e = eig(&j).unwrap();
        let spread = 2.0 * EPS.powf(1.0 / n as f64) * 4.0;
        assert_values(&e, &vec![c(2.0); n], spread, &format!("jordan n={n}"));
        let kmax = e.condition().iter().cloned().fold(0.0, f64::max);
        assert!(kmax > 1e4, "Jordan n={n}: κ_max = {kmax} should be large");
        // nilpotent: strictly upper triangular ones
        let nil = DMatrix::from_fn(n, n, |r, c| if c > r { 1.0 } else { 0.0 });
        let e = eig(&nil).unwrap();
        assert_values(&e, &vec![c(0.0); n], spread, &format!("nilpotent n={n}"));
        assert!(e.condition().iter().cloned().fold(0.0, f64::max) > 1e4);
        let (r, _) = residuals(&nil.map(c), &e);
        assert!(r < 1e-13);
    }
}

fn roots_of_unity(n: usize) -> Vec<Complex64> {
    (0..n)
        .map(|k| Complex64::from_polar(1.0, 2.0 * std::f64::consts::PI * k as f64 / n as f64))
        .collect()
}

/// Every expected value is matched by a distinct computed value within `tol`.
fn assert_same_set(got: &[Complex64], expected: &[Complex64], tol: f64, what: &str) {
    let mut used = vec![false; got.len()];
    for w in expected {
        let k = (0..got.len())
            .filter(|&k| !used[k])
            .min_by(|&a, &b| (got[a] - w).norm().total_cmp(&(got[b] - w).norm()))
            .unwrap();
        assert!(
            (got[k] - w).norm() <= tol,
            "{what}: {w} missing, nearest {}",
            got[k]
        );
        used[k] = true;
    }
}

#[test]
fn cyclic_permutations_and_companions_of_x_n_minus_1() {
    for n in 3..=50 {
        let p = DMatrix::from_fn(n, n, |r, c| if r == (c + 1) % n { 1.0 } else { 0.0 });
        let e = eig(&p).unwrap();
        assert_same_set(
            e.values(),
            &roots_of_unity(n),
            1e-12,
            &format!("cyclic n={n}"),
        );
        check_invariants(&p.map(c), &e, &format!("cyclic n={n}"));
        // companion matrix of xⁿ − 1: ones on the subdiagonal, last column (1, 0, …, 0)
        let comp = DMatrix::from_fn(n, n, |r, c| {
            if r == c + 1 || (c == n - 1 && r == 0) {
                1.0
            } else {
                0.0
            }
        });
        let e = eig(&comp).unwrap();
        assert_same_set(
            e.values(),
            &roots_of_unity(n),
            1e-12,
            &format!("companion n={n}"),
        );
    }
}

#[test]
fn companion_of_a_multiple_root() {
    // (x − 1)^k: eigenvalue 1 of multiplicity k, defective
    for k in 2..=5 {
        // coefficients of (x − 1)^k
        let mut coef = vec![1.0f64];
        for _ in 0..k {
            let mut next = vec![0.0; coef.len() + 1];
            for (i, &cf) in coef.iter().enumerate() {
                next[i + 1] += cf;
                next[i] -= cf;
            }
            coef = next;
        }
        // companion: subdiagonal ones, last column −c_0 … −c_{k−1}
        let comp = DMatrix::from_fn(k, k, |r, c| {
            if c == k - 1 {
                -coef[r]
            } else if r == c + 1 {
                1.0
            } else {
                0.0
            }
        });
        let e = eig(&comp).unwrap();
        let spread = 10.0 * EPS.powf(1.0 / k as f64);
        assert_same_set(e.values(), &vec![c(1.0); k], spread, &format!("(x−1)^{k}"));
        assert!(e.condition().iter().cloned().fold(0.0, f64::max) > 1e3);
    }
}

#[test]
fn rotation_blocks_give_conjugate_pairs() {
    let th: f64 = 0.7;
    let (s, co) = th.sin_cos();
    let mut a = DMatrix::<f64>::zeros(4, 4);
    a.view_mut((0, 0), (2, 2))
        .copy_from(&DMatrix::from_row_slice(2, 2, &[co, -s, s, co]));
    a.view_mut((2, 2), (2, 2))
        .copy_from(&DMatrix::from_row_slice(2, 2, &[0.0, -2.0, 2.0, 0.0]));
    let e = eig(&a).unwrap();
    assert_values(
        &e,
        &[
            Complex64::new(0.0, -2.0),
            Complex64::new(0.0, 2.0),
            Complex64::new(co, -s),
            Complex64::new(co, s),
        ],
        1e-15,
        "rotation blocks",
    );
    assert_eq!(e.values()[0], e.values()[1].conj());
    assert_eq!(e.values()[2], e.values()[3].conj());
}

#[test]
fn graded_and_extremely_scaled_matrices() {
    // graded: entries from 1 to 1e-20 along the diagonal, coupled
    let n = 6;
    let g = DMatrix::from_fn(n, n, |r, c| 10f64.powi(-2 * (r + c) as i32));
    let e = eig(&g).unwrap();
    check_invariants(&g.map(c), &e, "graded");
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let a = random_real(12, &mut rng);
    let base = eig(&a).unwrap();
    for s in [1e-150, 1e150, 1e-250, 1e250] {
        let e = eig(&a.map(|v| v * s)).unwrap();
        for (p, q) in e.values().iter().zip(base.values()) {
            assert!((p / s - q).norm() < 1e-12, "scale {s:e}: {p} vs {q}·s");
        }
        // the vectors are those of the unscaled matrix: check them against A with Λ/s
        let back: Vec<Complex64> = e.values().iter().map(|v| v / s).collect();
        let (r, l) = residuals_with(&a.map(c), &back, &e);
        assert!(r < 1e-13 && l < 1e-13, "scale {s:e}: residuals {r:e} {l:e}");
    }
}

#[test]
fn a_known_double_eigenvalue_gives_a_cluster_with_invariant_bases() {
    // S diag(2, 2, 5, −1) S⁻¹ with a non-orthogonal S: the double eigenvalue 2 is semisimple
    let s = DMatrix::from_row_slice(
        4,
        4,
        &[
            1.0, 0.5, 0.2, 0.0, 0.0, 1.0, 0.3, 0.1, 0.4, 0.0, 1.0, 0.2, 0.1, 0.2, 0.0, 1.0,
        ],
    );
    let d = DMatrix::from_diagonal(&nalgebra::DVector::from_vec(vec![2.0, 2.0, 5.0, -1.0]));
    let a = &s * d * s.clone().try_inverse().unwrap();
    let e = eig(&a).unwrap();
    let cl = e.clusters(1e-8);
    let double: Vec<_> = cl.iter().filter(|c| c.indices.len() == 2).collect();
    assert_eq!(double.len(), 1, "one double eigenvalue, got {cl:?}");
    let cd = double[0];
    assert!((cd.value - c(2.0)).norm() < 1e-12);
    let ac = a.map(c);
    // right basis: A X_c = 2 X_c, orthonormal; left basis: Y_cᴴ A = 2 Y_cᴴ; Y_cᴴ X_c = I
    assert!((&ac * &cd.right - &cd.right * c(2.0)).norm() < 1e-12);
    assert!((cd.right.adjoint() * &cd.right - DMatrix::<Complex64>::identity(2, 2)).norm() < 1e-13);
    assert!((cd.left.adjoint() * &ac - cd.left.adjoint() * c(2.0)).norm() < 1e-11);
    assert!((cd.left.adjoint() * &cd.right - DMatrix::<Complex64>::identity(2, 2)).norm() < 1e-12);
    // the span is the span of S's first two columns
    let s12 = s.columns(0, 2).map(c);
    let proj = &cd.right * cd.right.adjoint();
    assert!((&proj * &s12 - &s12).norm() < 1e-12);
    // and the whole Y is biorthonormal including the double
    let g = e.left().adjoint() * e.right();
    assert!((g - DMatrix::<Complex64>::identity(4, 4)).norm() < 1e-12);
}

#[test]
fn bad_input_gives_errors_naming_the_entry() {
    let mut a = DMatrix::<f64>::identity(3, 3);
    a[(2, 1)] = f64::INFINITY;
    match eig(&a) {
        Err(Error::NonFinite { row: 2, col: 1, .. }) => {}
        other => panic!("{other:?}"),
    }
    let mut b = DMatrix::<Complex64>::identity(3, 3);
    b[(0, 2)] = Complex64::new(0.0, f64::NAN);
    let err = eig(&b).unwrap_err();
    assert!(
        matches!(err, Error::NonFinite { row: 0, col: 2, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("(0, 2)"), "{err}");
    let r = DMatrix::<f64>::zeros(2, 3);
    assert!(matches!(
        eig(&r),
        Err(Error::NotSquare {
            rows: 2,
            cols: 3,
            ..
        })
    ));
    let z = DMatrix::<f64>::zeros(0, 0);
    assert!(matches!(eig(&z), Err(Error::Empty { .. })));
    assert!(matches!(eigh(&z), Err(Error::Empty { .. })));
}

/// Regression: a real matrix with repeated complex pairs (a rotor at rest, two identical
/// planes) failed the residual check of the real path (faer's quasi-triangular
/// back-substitution); it must decompose, with exact conjugate pairs.
#[test]
fn repeated_conjugate_pairs_of_a_real_matrix() {
    // M q̈ + C q̇ + K q = 0 in two identical planes, first-order form; stiff and light
    let (m, j): (f64, f64) = (19.6, 0.2);
    let (k11, k12, k22) = (1.2e6, -1.2e5, 1.6e4);
    let c = 2.0 * 0.01 * (k11 * m).sqrt();
    let mass = [m, m, j, j];
    let mut k = DMatrix::<f64>::zeros(4, 4);
    for p in 0..2 {
        let idx = [p, p + 2];
        let kk = [[k11, k12], [k12, k22]];
        for a in 0..2 {
            for b in 0..2 {
                k[(idx[a], idx[b])] = kk[a][b];
            }
        }
    }
    let mut a = DMatrix::<f64>::zeros(8, 8);
    for i in 0..4 {
        a[(i, i + 4)] = 1.0;
        for jj in 0..4 {
            a[(i + 4, jj)] = -k[(i, jj)] / mass[i];
        }
        if i < 2 {
            a[(i + 4, i + 4)] = -c / m;
        }
    }
    let e = eig(&a).unwrap();
    check_invariants(&a.map(c_), &e, "rotor at rest");
    for v in e.values() {
        assert!(v.im != 0.0);
        assert!(e.values().contains(&v.conj()), "{v} has no exact conjugate");
    }
    // each frequency twice
    let ims: Vec<f64> = e.values().iter().map(|v| v.im).collect();
    for w in &ims {
        assert_eq!(
            ims.iter()
                .filter(|x| (*x - w).abs() < 1e-6 * w.abs())
                .count(),
            2
        );
    }
}

fn c_(v: f64) -> Complex64 {
    c(v)
}
