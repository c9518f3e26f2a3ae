//! The windowed sparse track of pencils A(t)x = λB(t)x (`Nearest::track_pencil`) on
//! families with exact answers: diagonal K(t) and M mixed by fixed sparse congruences
//! (symmetric and not), a gyroscopic rotor in first-order form, and bad input.

use eigentrack::sparse::{Nearest, SparseTerms, WindowTracking};
use eigentrack::{Complex64, Error};
use nalgebra_sparse::{CooMatrix, CscMatrix};

/// A sparse n × n matrix from triplets.
fn csc(n: usize, entries: &[(usize, usize, f64)]) -> CscMatrix<f64> {
    let mut coo = CooMatrix::new(n, n);
    for &(i, j, v) in entries {
        coo.push(i, j, v);
    }
    CscMatrix::from(&coo)
}

/// Sparse product (through dense: the test matrices are small).
fn mul(a: &CscMatrix<f64>, b: &CscMatrix<f64>) -> CscMatrix<f64> {
    let (da, db) = (nalgebra::DMatrix::from(a), nalgebra::DMatrix::from(b));
    let p = da * db;
    let n = p.nrows();
    let mut coo = CooMatrix::new(n, n);
    for j in 0..n {
        for i in 0..n {
            if p[(i, j)] != 0.0 {
                coo.push(i, j, p[(i, j)]);
            }
        }
    }
    CscMatrix::from(&coo)
}

const N: usize = 120;

/// The masses mᵢ = 1 + 0.01 i, except m₁ = 1.5.
fn masses() -> Vec<f64> {
    (0..N)
        .map(|i| if i == 1 { 1.5 } else { 1.0 + 0.01 * i as f64 })
        .collect()
}

/// K(t) = diag(1 + 4t, 3 − 2t, 3, 4, …): the pencil's eigenvalues are λ₀ = 1 + 4t,
/// λ₁ = 2 − 4t/3 (they cross at t = 3/16) and λᵢ = (i + 1)/mᵢ (λ₀ meets λ₂ = 3/1.02 at
/// t = (3/1.02 − 1)/4).
fn exact(i: usize, t: f64) -> (f64, f64) {
    match i {
        0 => (1.0 + 4.0 * t, 4.0),
        1 => ((3.0 - 2.0 * t) / 1.5, -2.0 / 1.5),
        _ => ((i + 1) as f64 / masses()[i], 0.0),
    }
}

/// A(t) = L K(t) R and B = L M R for fixed sparse invertible L, R: the same eigenvalues.
fn mixed(l: &CscMatrix<f64>, r: &CscMatrix<f64>) -> (SparseTerms<f64>, SparseTerms<f64>) {
    let k0: Vec<(usize, usize, f64)> = (0..N)
        .map(|i| {
            let v = match i {
                0 => 1.0,
                1 => 3.0,
                _ => (i + 1) as f64,
            };
            (i, i, v)
        })
        .collect();
    let k1 = [(0, 0, 4.0), (1, 1, -2.0)];
    let m: Vec<(usize, usize, f64)> = masses()
        .iter()
        .enumerate()
        .map(|(i, &v)| (i, i, v))
        .collect();
    let congr = |d: &CscMatrix<f64>| mul(&mul(l, d), r);
    let a = SparseTerms::new(N)
        .constant(congr(&csc(N, &k0)))
        .unwrap()
        .term(congr(&csc(N, &k1)), |t| t)
        .unwrap();
    let b = SparseTerms::new(N).constant(congr(&csc(N, &m))).unwrap();
    (a, b)
}

/// Lower bidiagonal I + 0.4·(sub-diagonal) + 0.2·(a far entry).
fn lower() -> CscMatrix<f64> {
    let mut e: Vec<(usize, usize, f64)> = (0..N).map(|i| (i, i, 1.0)).collect();
    e.extend((1..N).map(|i| (i, i - 1, 0.4)));
    e.push((N - 1, 0, 0.2));
    csc(N, &e)
}

/// Every branch follows one exact eigenvalue through the crossings, values and slopes to
/// `tol` relative (identity kept: the slope never jumps).
fn check(tr: &WindowTracking, tol: f64) {
    let mut seen = [false; N];
    for b in tr.branches() {
        let s0 = b.values().iter().position(|v| v.is_some()).unwrap();
        let (t0, l0) = (tr.samples()[s0], b.values()[s0].unwrap().re);
        let who = (0..N)
            .min_by(|&i, &j| {
                (exact(i, t0).0 - l0)
                    .abs()
                    .total_cmp(&(exact(j, t0).0 - l0).abs())
            })
            .unwrap();
        assert!(!seen[who], "two branches on eigenvalue {who}");
        seen[who] = true;
        for (s, (v, d)) in b.values().iter().zip(b.slopes()).enumerate() {
            let (Some(v), Some(d)) = (v, d) else { continue };
            let t = tr.samples()[s];
            let (ev, ed) = exact(who, t);
            assert!(
                (v.re - ev).abs() <= tol * ev.abs() && v.im.abs() <= tol * ev.abs(),
                "branch on λ{who} at t = {t}: {v} vs {ev}"
            );
            assert!(
                (d - Complex64::new(ed, 0.0)).norm() <= 1e3 * tol * (1.0 + ed.abs()),
                "slope of λ{who} at t = {t}: {d} vs {ed}"
            );
        }
    }
    assert!(seen[0] && seen[1], "the crossing pair is tracked");
    let cross: Vec<f64> = tr
        .events()
        .iter()
        .filter(|e| e.kind() == "crossing")
        .map(|e| e.t())
        .collect();
    assert!(
        cross.iter().any(|t| (t - 3.0 / 16.0).abs() < 1e-8),
        "the crossing at t = 3/16 is reported: {cross:?}"
    );
}

#[test]
fn symmetric_congruence_keeps_the_crossing_and_the_slopes() {
    // A = Lᵀ… : L K Lᵀ and L M Lᵀ, a Hermitian-definite pencil
    let l = lower();
    let (a, b) = mixed(&l, &l.transpose());
    let tr = Nearest::new(4, 0.0)
        .unwrap()
        .samples(21)
        .unwrap()
        .track_pencil(&a, &b, 0.0..=0.5)
        .unwrap();
    check(&tr, 1e-10);
    // the Hermitian-definite pencil keeps κ = ‖B‖_F/(xᴴBx)-sized condition numbers
    for b in tr.branches() {
        for c in b.condition().iter().flatten() {
            assert!(c.is_finite() && *c >= 0.5, "condition {c}");
        }
    }
}

#[test]
fn nonsymmetric_congruence_gives_the_same_answers() {
    // L K R with R ≠ Lᵀ: a non-Hermitian pencil with the same real eigenvalues
    let mut e: Vec<(usize, usize, f64)> = (0..N).map(|i| (i, i, 2.0)).collect();
    e.extend((1..N).map(|i| (i - 1, i, -0.7)));
    e.push((0, N - 1, 0.3));
    let r = csc(N, &e);
    let (a, b) = mixed(&lower(), &r);
    let tr = Nearest::new(4, 0.0)
        .unwrap()
        .samples(21)
        .unwrap()
        .track_pencil(&a, &b, 0.0..=0.5)
        .unwrap();
    check(&tr, 1e-9);
}

#[test]
fn gyroscopic_rotors_in_first_order_form() {
    // R uncoupled rotors mⱼ q″ + Ω gⱼ J q′ + kⱼ q = 0, J = [[0, 1], [−1, 0]], in first-order
    // form A z = λ B z with z = (q, q′): A = [[0, I], [−K, −ΩG]], B = diag(I, M).
    // Exact: λ = i(±Ωg ± √(Ω²g² + 4mk))/(2m).
    let rotors = 30;
    let nq = 2 * rotors;
    let n = 2 * nq;
    let (m, g, k) = (
        |j: usize| 1.0 + 0.05 * j as f64,
        |j: usize| 0.5 + 0.02 * j as f64,
        |j: usize| 1.0 + 0.7 * j as f64,
    );
    let mut a0 = Vec::new();
    let mut a1 = Vec::new();
    let mut bm = Vec::new();
    for q in 0..nq {
        let j = q / 2;
        a0.push((q, nq + q, 1.0));
        a0.push((nq + q, q, -k(j)));
        bm.push((q, q, 1.0));
        bm.push((nq + q, nq + q, m(j)));
    }
    for j in 0..rotors {
        let (q0, q1) = (nq + 2 * j, nq + 2 * j + 1);
        // −Ω g J acting on (q′₀, q′₁)
        a1.push((q0, q1, -g(j)));
        a1.push((q1, q0, g(j)));
    }
    let a = SparseTerms::new(n)
        .constant(csc(n, &a0))
        .unwrap()
        .term(csc(n, &a1), |t| t)
        .unwrap();
    let b = SparseTerms::new(n).constant(csc(n, &bm)).unwrap();
    let sigma = Complex64::new(0.0, 1.2);
    let tr = Nearest::new(6, sigma)
        .unwrap()
        .samples(11)
        .unwrap()
        .track_pencil(&a, &b, 0.0..=2.0)
        .unwrap();
    // all four whirl frequencies of every rotor, with their Ω-derivatives
    let exact = |t: f64| -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        for j in 0..rotors {
            let (m, g, k) = (m(j), g(j), k(j));
            let root = (t * t * g * g + 4.0 * m * k).sqrt();
            let droot = t * g * g / root;
            for (s1, s2) in [(1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0)] {
                out.push((
                    (s1 * t * g + s2 * root) / (2.0 * m),
                    (s1 * g + s2 * droot) / (2.0 * m),
                ));
            }
        }
        out
    };
    let mut checked = 0;
    for b in tr.branches() {
        for (s, (v, d)) in b.values().iter().zip(b.slopes()).enumerate() {
            let (Some(v), Some(d)) = (v, d) else { continue };
            let t = tr.samples()[s];
            let (w, dw) = exact(t)
                .into_iter()
                .min_by(|x, y| {
                    // nearest value; at Ω = 0, where whirls coincide, the nearest slope
                    let dist = |e: &(f64, f64)| (e.0 - v.im).abs() + 1e-4 * (e.1 - d.im).abs();
                    dist(x).total_cmp(&dist(y))
                })
                .unwrap();
            // the window to the track's tolerance, the guard band to 10⁴ times it
            let tol = if b.in_window()[s] { 1e-9 } else { 1e-6 };
            assert!(v.re.abs() < tol, "undamped: Re λ = {} at Ω = {t}", v.re);
            assert!((v.im - w).abs() < tol * w.abs().max(1.0), "{v} vs i·{w}");
            assert!(
                (d.im - dw).abs() < 1e3 * tol && d.re.abs() < 1e3 * tol,
                "slope {d} vs i·{dw} at Ω = {t}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 6 * 11, "{checked} values checked");
}

#[test]
fn bad_mass_matrices_are_named() {
    let l = lower();
    let (a, _) = mixed(&l, &l.transpose());
    // singular: a zero row and column
    let m: Vec<(usize, usize, f64)> = (0..N)
        .map(|i| (i, i, if i == 7 { 0.0 } else { 1.0 }))
        .collect();
    let b = SparseTerms::new(N).constant(csc(N, &m)).unwrap();
    let err = Nearest::new(3, 0.0)
        .unwrap()
        .samples(3)
        .unwrap()
        .track_pencil(&a, &b, 0.0..=0.5)
        .unwrap_err();
    match &err {
        Error::Singular { what, rcond, .. } => {
            assert_eq!(*what, "B");
            assert!(*rcond < 1e-11, "{rcond}");
            assert!(err.to_string().contains("t = 0"), "{err}");
        }
        other => panic!("expected Singular B, got {other:?}"),
    }
    // a different size
    let b = SparseTerms::new(N + 1)
        .constant(csc(
            N + 1,
            &(0..=N).map(|i| (i, i, 1.0)).collect::<Vec<_>>(),
        ))
        .unwrap();
    let err = Nearest::new(3, 0.0)
        .unwrap()
        .track_pencil(&a, &b, 0.0..=0.5)
        .unwrap_err();
    assert!(
        matches!(err, Error::ShapeMismatch { what, found: (121, 121), .. } if what.contains('B')),
        "{err:?}"
    );
    // NaN in B, named with its entry and t
    let nan = |t: f64| {
        let mut e: Vec<(usize, usize, f64)> = (0..N).map(|i| (i, i, 1.0)).collect();
        if t > 0.2 {
            e.push((3, 4, f64::NAN));
        }
        csc(N, &e)
    };
    let err = Nearest::new(3, 0.0)
        .unwrap()
        .samples(5)
        .unwrap()
        .track_pencil(&a, &nan, 0.0..=0.5)
        .unwrap_err();
    match err {
        Error::NonFinite { what, row, col, .. } => {
            assert_eq!((what, row, col), ("B", 3, 4));
        }
        other => panic!("expected NonFinite in B, got {other:?}"),
    }
    // k ≥ n
    let small = SparseTerms::new(4)
        .constant(csc(
            4,
            &(0..4).map(|i| (i, i, 1.0 + i as f64)).collect::<Vec<_>>(),
        ))
        .unwrap();
    let err = Nearest::new(4, 0.0)
        .unwrap()
        .track_pencil(&small, &small, 0.0..=1.0)
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { name: "k", .. }),
        "{err:?}"
    );
}
