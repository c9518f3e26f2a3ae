//! Pencils A(t)x = λB(t)x and quadratic families (λ²M + λC + K)x = 0 as standard families
//! (src/pencil.rs), on problems with exact answers.

use eigentrack::{
    At, Element, Error, Jet, MatrixFamily, Pencil, PencilMode, Polynomial, Quadratic, Tracker,
    Tracking, WithDerivatives,
};
use nalgebra::{DMatrix, DVector};
use num_complex::Complex64;

fn diag(v: &[f64]) -> DMatrix<f64> {
    DMatrix::from_diagonal(&DVector::from_column_slice(v))
}

/// A fixed, sparse-ish, invertible congruence.
fn p_matrix() -> DMatrix<f64> {
    DMatrix::from_row_slice(
        4,
        4,
        &[
            1.0, 0.5, 0.0, 0.0, //
            0.0, 1.0, -0.3, 0.0, //
            0.2, 0.0, 1.5, 0.4, //
            0.0, 0.0, 0.7, 0.8,
        ],
    )
}

fn congruence(p: &DMatrix<f64>, d: &DMatrix<f64>) -> DMatrix<f64> {
    p.transpose() * d * p
}

/// Deterministic "random" entries in [−1, 1].
fn pseudo(n: usize, seed: usize) -> DMatrix<f64> {
    DMatrix::from_fn(n, n, |i, j| {
        ((i * 7 + j * 13 + seed * 31 + 1) as f64 * 0.618_033_988_75).sin()
    })
}

/// The branch of `tr` that starts on exact answer `i`, for every i (each answer used
/// once); panics when a start matches none.
fn identify(tr: &Tracking, start: &[Complex64]) -> Vec<usize> {
    let mut of_answer = vec![usize::MAX; start.len()];
    for (k, b) in tr.branches().iter().enumerate() {
        let v = b.values()[0];
        let (i, d) = start
            .iter()
            .enumerate()
            .map(|(i, s)| (i, (s - v).norm()))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        assert!(
            d < 1e-9 * (1.0 + v.norm()),
            "branch {k} starts at {v}, no answer there"
        );
        assert_eq!(of_answer[i], usize::MAX, "answer {i} matched twice");
        of_answer[i] = k;
    }
    of_answer
}

fn close(found: Complex64, exact: Complex64, rel: f64) -> bool {
    (found - exact).norm() <= rel * exact.norm().max(1.0)
}

// ---------------------------------------------------------------------------------------
// 1. A pencil with a known answer: A = PᵀK(t)P, B = PᵀM(t)P, K, M diagonal.
// ---------------------------------------------------------------------------------------

const M: [f64; 4] = [1.0, 2.0, 0.5, 4.0];

/// rᵢ(t) = rᵢ⁰ + rᵢ¹ t: λᵢ = rᵢ/s with s(t) = 1 + t/4. r₀ and r₁ cross at t* = 0.5; no
/// other pair meets on [−1, 2].
const R0: [f64; 4] = [1.0, 2.0, 4.0, -1.0];
const R1: [f64; 4] = [1.0, -1.0, 0.2, 0.3];
const S1: f64 = 0.25;

fn s_of(t: f64) -> f64 {
    1.0 + S1 * t
}

/// λᵢ, λᵢ′, λᵢ″ of the congruence pencil.
fn congruence_answer(i: usize, t: f64) -> [f64; 3] {
    let (r, dr, s, ds) = (R0[i] + R1[i] * t, R1[i], s_of(t), S1);
    [
        r / s,
        dr / s - r * ds / (s * s),
        -2.0 * dr * ds / (s * s) + 2.0 * r * ds * ds / (s * s * s),
    ]
}

type Fam = WithDerivatives<
    Box<dyn Fn(f64) -> DMatrix<f64>>,
    Box<dyn Fn(f64) -> DMatrix<f64>>,
    Box<dyn Fn(f64) -> DMatrix<f64>>,
>;

fn congruence_pencil() -> Pencil<Fam, Fam> {
    let p = p_matrix();
    let k = |t: f64| -> Vec<f64> { (0..4).map(|i| M[i] * (R0[i] + R1[i] * t)).collect() };
    let dk: Vec<f64> = (0..4).map(|i| M[i] * R1[i]).collect();
    let (p1, p2, p3, p4) = (p.clone(), p.clone(), p.clone(), p.clone());
    let a: Fam = WithDerivatives(
        Box::new(move |t| congruence(&p1, &diag(&k(t)))),
        Box::new(move |_| congruence(&p2, &diag(&dk))),
        Box::new(|_| DMatrix::zeros(4, 4)),
    );
    let b: Fam = WithDerivatives(
        Box::new(move |t| congruence(&p3, &diag(&M)) * s_of(t)),
        Box::new(move |_| congruence(&p4, &diag(&M)) * S1),
        Box::new(|_| DMatrix::zeros(4, 4)),
    );
    Pencil::new(a, b)
}

fn check_congruence_track(pencil: &Pencil<Fam, Fam>) {
    let tr = Tracker::new()
        .samples(151)
        .unwrap()
        .keep_vectors(true)
        .track_family(pencil, -1.0..=2.0)
        .unwrap();
    let ts = tr.samples().to_vec();
    let start: Vec<Complex64> = (0..4)
        .map(|i| congruence_answer(i, ts[0])[0].into())
        .collect();
    let of = identify(&tr, &start);
    for (i, &k) in of.iter().enumerate() {
        let b = &tr.branches()[k];
        for (j, &t) in ts.iter().enumerate() {
            let [l, dl, ddl] = congruence_answer(i, t);
            assert!(
                close(b.values()[j], l.into(), 1e-10),
                "branch {i} at t = {t}: λ = {} against {l}",
                b.values()[j]
            );
            assert!(
                close(b.slopes()[j], dl.into(), 1e-10),
                "branch {i} at t = {t}: λ′ = {} against {dl}",
                b.slopes()[j]
            );
            assert!(
                close(b.curvatures()[j], ddl.into(), 1e-8),
                "branch {i} at t = {t}: λ″ = {} against {ddl}",
                b.curvatures()[j]
            );
        }
    }
    // one crossing, of answers 0 and 1, at t* = 0.5
    let crossings: Vec<_> = tr
        .events()
        .iter()
        .filter(|e| e.kind() == "crossing")
        .collect();
    assert_eq!(crossings.len(), 1, "{:?}", tr.events());
    let e = crossings[0];
    assert!((e.t() - 0.5).abs() < 1e-8, "crossing at {}", e.t());
    let mut got = e.branches();
    got.sort();
    let mut want = vec![of[0], of[1]];
    want.sort();
    assert_eq!(got, want);
    assert!(close(
        e.value().unwrap(),
        congruence_answer(0, 0.5)[0].into(),
        1e-8
    ));

    // the pencil's eigenvectors at the last sample: A x = λ B x
    let j = ts.len() - 1;
    let t = ts[j];
    let ac = pencil.a().value(t).map(|z| z.to_c64());
    let bc = pencil.b().value(t).map(|z| z.to_c64());
    for (i, &k) in of.iter().enumerate() {
        let b = &tr.branches()[k];
        let y = DMatrix::from_columns(&[b.right_vectors().unwrap()[j].clone()]);
        let x = pencil.eigenvectors(t, &y).unwrap();
        let lam = Complex64::from(congruence_answer(i, t)[0]);
        let r = (&ac * &x - &bc * &x * lam).norm();
        assert!(r < 1e-12 * ac.norm(), "branch {i}: residual {r}");
        match pencil.resolved_mode() {
            Some(PencilMode::HermitianDefinite) => {
                let xbx = x.column(0).dotc(&(&bc * x.column(0)));
                assert!((xbx - 1.0).norm() < 1e-12, "xᴴBx = {xbx}");
            }
            _ => assert!((x.norm() - 1.0).abs() < 1e-12),
        }
    }
}

#[test]
fn hermitian_definite_pencil_known_answer() {
    let pencil = congruence_pencil();
    check_congruence_track(&pencil);
    assert_eq!(pencil.resolved_mode(), Some(PencilMode::HermitianDefinite));
    // C is exactly symmetric: the tracker's Hermitian path
    let j = pencil.jet(0.3);
    assert_eq!(j.a, j.a.transpose());
    assert_eq!(j.da, j.da.transpose());
    assert_eq!(j.dda, j.dda.transpose());
    assert!(pencil.exact_derivatives());
}

#[test]
fn general_mode_pencil_same_answers() {
    let pencil = congruence_pencil().general();
    check_congruence_track(&pencil);
    assert_eq!(pencil.resolved_mode(), Some(PencilMode::General));
    assert_eq!(pencil.requested_mode(), PencilMode::General);
}

// ---------------------------------------------------------------------------------------
// 2. A non-symmetric B(t): A = B V D(t) V⁻¹, eigenvalues D(t).
// ---------------------------------------------------------------------------------------

fn d_answer(i: usize, t: f64) -> [f64; 2] {
    match i {
        0 => [1.0 + t, 1.0],
        1 => [2.0 - t, -1.0],
        2 => [0.5 * t * t, t],
        _ => [3.5, 0.0],
    }
}

#[test]
fn general_nonsymmetric_b_known_answer() {
    let b0 = DMatrix::from_row_slice(
        4,
        4,
        &[
            2.0, 0.3, -0.5, 0.1, //
            0.0, 1.5, 0.4, 0.2, //
            0.0, 0.0, 1.0, -0.6, //
            0.0, 0.0, 0.0, 3.0,
        ],
    );
    let b1 = pseudo(4, 1) * 0.2;
    let v = DMatrix::from_row_slice(
        4,
        4,
        &[
            1.0, 0.0, 0.2, 0.0, //
            0.3, 1.0, 0.0, 0.0, //
            0.0, -0.4, 1.0, 0.1, //
            0.1, 0.0, 0.5, 1.0,
        ],
    );
    let vi = v.clone().try_inverse().unwrap();
    let d = |t: f64| diag(&[1.0 + t, 2.0 - t, 0.5 * t * t, 3.5]);
    let dd = |t: f64| diag(&[1.0, -1.0, t, 0.0]);
    let ddd = |_t: f64| diag(&[0.0, 0.0, 1.0, 0.0]);
    let bt = {
        let (b0, b1) = (b0.clone(), b1.clone());
        move |t: f64| &b0 + &b1 * t
    };
    let (bt1, bt2, v1, vi1) = (bt.clone(), bt.clone(), v.clone(), vi.clone());
    let (b1a, b1b, v2, vi2, v3, vi3) = (
        b1.clone(),
        b1.clone(),
        v.clone(),
        vi.clone(),
        v.clone(),
        vi.clone(),
    );
    let a = WithDerivatives(
        move |t: f64| bt1(t) * &v1 * d(t) * &vi1,
        move |t: f64| &b1a * &v2 * d(t) * &vi2 + bt2(t) * &v2 * dd(t) * &vi2,
        move |t: f64| (&b1b * &v3 * dd(t) * &vi3) * 2.0 + bt(t) * &v3 * ddd(t) * &vi3,
    );
    let b1c = b1.clone();
    let b = WithDerivatives(
        move |t: f64| &b0 + &b1c * t,
        move |_t: f64| b1.clone(),
        |_t: f64| DMatrix::zeros(4, 4),
    );
    let pencil = Pencil::new(a, b);
    let tr = Tracker::new()
        .samples(121)
        .unwrap()
        .track_family(&pencil, -1.0..=2.0)
        .unwrap();
    assert_eq!(pencil.resolved_mode(), Some(PencilMode::General));
    let ts = tr.samples().to_vec();
    let start: Vec<Complex64> = (0..4).map(|i| d_answer(i, ts[0])[0].into()).collect();
    let of = identify(&tr, &start);
    for (i, &k) in of.iter().enumerate() {
        let b = &tr.branches()[k];
        for (j, &t) in ts.iter().enumerate() {
            let [l, dl] = d_answer(i, t);
            assert!(
                close(b.values()[j], l.into(), 1e-10),
                "branch {i} at t = {t}: λ = {} against {l}",
                b.values()[j]
            );
            assert!(
                close(b.slopes()[j], dl.into(), 1e-9),
                "branch {i} at t = {t}: λ′ = {} against {dl}",
                b.slopes()[j]
            );
        }
    }
    // crossings: 1+t = 2−t at 0.5, t²/2 = 1+t at 1 − √3, t²/2 = 2−t at √5 − 1
    let mut found: Vec<(f64, Vec<usize>)> = tr
        .events()
        .iter()
        .filter(|e| e.kind() == "crossing")
        .map(|e| {
            let mut b = e.branches();
            b.sort();
            (e.t(), b)
        })
        .collect();
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut want = vec![
        (1.0 - 3f64.sqrt(), vec![of[0], of[2]]),
        (0.5, vec![of[0], of[1]]),
        (5f64.sqrt() - 1.0, vec![of[1], of[2]]),
    ];
    for w in &mut want {
        w.1.sort();
    }
    assert_eq!(found.len(), 3, "{:?}", tr.events());
    for (f, w) in found.iter().zip(&want) {
        assert!(
            (f.0 - w.0).abs() < 1e-8,
            "crossing at {} against {}",
            f.0,
            w.0
        );
        assert_eq!(f.1, w.1);
    }
}

// ---------------------------------------------------------------------------------------
// 3. Exact derivatives against central finite differences of value().
// ---------------------------------------------------------------------------------------

/// max |jet − FD| / max(1, ‖·‖) for C′ and C″.
fn fd_error<F: MatrixFamily>(f: &F, t: f64) -> (f64, f64) {
    let c = |s: f64| f.try_value(s).unwrap().map(|z| z.to_c64());
    let j: Jet<F::Elem> = f.try_jet(t).unwrap();
    let (da, dda) = (j.da.map(|z| z.to_c64()), j.dda.map(|z| z.to_c64()));
    assert_eq!(j.a.map(|z| z.to_c64()), c(t), "jet's value is value()");
    let h1 = 1e-4;
    let fd1 = (c(t + h1) - c(t - h1)) / Complex64::from(2.0 * h1);
    // fourth-order central second difference
    let h2 = 2e-3;
    let fd2 = (c(t + 2.0 * h2) * Complex64::from(-1.0)
        + c(t + h2) * Complex64::from(16.0)
        + c(t) * Complex64::from(-30.0)
        + c(t - h2) * Complex64::from(16.0)
        + c(t - 2.0 * h2) * Complex64::from(-1.0))
        / Complex64::from(12.0 * h2 * h2);
    (
        (&da - &fd1).norm() / da.norm().max(1.0),
        (&dda - &fd2).norm() / dda.norm().max(1.0),
    )
}

/// B(t) = B₀ + tB₁ + t²B₂, symmetric positive definite near t = 0.3.
fn spd_poly(n: usize) -> Polynomial<f64> {
    let g = pseudo(n, 5);
    let b0 = &g * g.transpose() + DMatrix::identity(n, n) * (n as f64);
    let s1 = pseudo(n, 6);
    let s2 = pseudo(n, 7);
    Polynomial::new(vec![
        b0,
        (&s1 + s1.transpose()) * 0.5,
        (&s2 + s2.transpose()) * 0.3,
    ])
    .unwrap()
}

fn sym(m: DMatrix<f64>) -> DMatrix<f64> {
    (&m + m.transpose()) * 0.5
}

#[test]
fn pencil_derivatives_match_finite_differences() {
    let n = 5;
    let a_sym = Polynomial::new(vec![
        sym(pseudo(n, 1)),
        sym(pseudo(n, 2)),
        sym(pseudo(n, 3)),
        sym(pseudo(n, 4)) * 0.5,
    ])
    .unwrap();
    let a_gen = Polynomial::new(vec![pseudo(n, 11), pseudo(n, 12), pseudo(n, 13)]).unwrap();
    let t = 0.3;

    // Hermitian-definite, Hermitian A
    let p = Pencil::new(a_sym.clone(), spd_poly(n));
    let (e1, e2) = fd_error(&p, t);
    assert_eq!(p.resolved_mode(), Some(PencilMode::HermitianDefinite));
    assert!(e1 < 1e-7 && e2 < 1e-6, "HD symmetric: C′ {e1:e}, C″ {e2:e}");
    // Hermitian-definite, general A
    let p = Pencil::new(a_gen.clone(), spd_poly(n)).hermitian_definite();
    let (e1, e2) = fd_error(&p, t);
    assert!(e1 < 1e-7 && e2 < 1e-6, "HD general A: C′ {e1:e}, C″ {e2:e}");
    // General mode with the same SPD B, and with a non-symmetric B(t)
    let p = Pencil::new(a_sym, spd_poly(n)).general();
    let (e1, e2) = fd_error(&p, t);
    assert!(e1 < 1e-7 && e2 < 1e-6, "LU, SPD B: C′ {e1:e}, C″ {e2:e}");
    let b_gen = Polynomial::new(vec![
        pseudo(n, 21) + DMatrix::identity(n, n) * 4.0,
        pseudo(n, 22),
        pseudo(n, 23),
    ])
    .unwrap();
    let p = Pencil::new(a_gen, b_gen);
    let (e1, e2) = fd_error(&p, t);
    assert_eq!(p.resolved_mode(), Some(PencilMode::General));
    assert!(
        e1 < 1e-7 && e2 < 1e-6,
        "LU, general B: C′ {e1:e}, C″ {e2:e}"
    );
}

#[test]
fn complex_hermitian_pencil_derivatives_and_eigenvalues() {
    let n = 4;
    let herm = |re: DMatrix<f64>, im: DMatrix<f64>| {
        let z = DMatrix::from_fn(n, n, |i, j| Complex64::new(re[(i, j)], im[(i, j)]));
        (&z + z.adjoint()) * Complex64::from(0.5)
    };
    let g = herm(pseudo(n, 40), pseudo(n, 41));
    let b0 = &g * g.adjoint() + DMatrix::identity(n, n) * Complex64::from(n as f64);
    let b = Polynomial::new(vec![
        b0,
        herm(pseudo(n, 42), pseudo(n, 43)),
        herm(pseudo(n, 44), pseudo(n, 45)) * Complex64::from(0.2),
    ])
    .unwrap();
    let a = Polynomial::new(vec![
        herm(pseudo(n, 46), pseudo(n, 47)),
        herm(pseudo(n, 48), pseudo(n, 49)),
        herm(pseudo(n, 50), pseudo(n, 51)),
    ])
    .unwrap();
    let p = Pencil::new(a.clone(), b.clone());
    let (e1, e2) = fd_error(&p, 0.2);
    assert_eq!(p.resolved_mode(), Some(PencilMode::HermitianDefinite));
    assert!(e1 < 1e-7 && e2 < 1e-6, "complex HD: C′ {e1:e}, C″ {e2:e}");
    let c = p.value(0.2);
    assert_eq!(c, c.adjoint());
    // the eigenvalues are those of B⁻¹A: compare with the general mode's
    let g = Pencil::new(a, b).general();
    let ev = |m: DMatrix<Complex64>| {
        let mut v: Vec<f64> = eigentrack::eig(&m)
            .unwrap()
            .values()
            .iter()
            .map(|z| z.re)
            .collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let (h, l) = (ev(p.value(0.2)), ev(g.value(0.2)));
    for (x, y) in h.iter().zip(&l) {
        assert!(
            (x - y).abs() < 1e-11 * x.abs().max(1.0),
            "{h:?} against {l:?}"
        );
    }
}

#[test]
fn quadratic_derivatives_match_finite_differences() {
    let n = 3;
    let m = spd_poly(n);
    let c = Polynomial::new(vec![pseudo(n, 60), pseudo(n, 61), pseudo(n, 62)]).unwrap();
    let k = Polynomial::new(vec![pseudo(n, 63), pseudo(n, 64) * 2.0, pseudo(n, 65)]).unwrap();
    let q = Quadratic::new(m, c, k);
    let (e1, e2) = fd_error(&q, 0.3);
    assert!(e1 < 1e-7 && e2 < 1e-6, "quadratic: A′ {e1:e}, A″ {e2:e}");
    assert!(q.exact_derivatives());
    let a = q.value(0.3);
    assert_eq!(a.shape(), (6, 6));
    // every eigenvalue λ of the companion makes λ²M + λC + K singular, with x = z[..n]
    let pairs = eigentrack::eig(&a).unwrap();
    let (m, c, k) = (
        q.m().value(0.3).map(|z| z.to_c64()),
        q.c().value(0.3).map(|z| z.to_c64()),
        q.k().value(0.3).map(|z| z.to_c64()),
    );
    let x = q.eigenvectors(pairs.right());
    for (i, &l) in pairs.values().iter().enumerate() {
        let q = &m * (l * l) + &c * l + &k;
        let r = (&q * x.column(i)).norm();
        assert!(r < 1e-12 * q.norm(), "λ = {l}: residual {r}");
        assert!((x.column(i).norm() - 1.0).abs() < 1e-14);
    }
}

// ---------------------------------------------------------------------------------------
// 4. Quadratic families with closed-form roots.
// ---------------------------------------------------------------------------------------

#[test]
fn damped_oscillator_closed_form() {
    // m λ² + c λ + k(t) = 0, k = k₀ + t: underdamped (m, c, k₀) = (2, 0.4, 8) and
    // overdamped (1, 5, 4) on t ∈ [0, 1]
    for (m0, c0, k0) in [(2.0, 0.4, 8.0), (1.0, 5.0, 4.0)] {
        let one = |x: f64| DMatrix::from_element(1, 1, x);
        let q = Quadratic::new(
            Polynomial::new(vec![one(m0)]).unwrap(),
            Polynomial::new(vec![one(c0)]).unwrap(),
            Polynomial::new(vec![one(k0), one(1.0)]).unwrap(),
        );
        let roots = |t: f64| -> [[Complex64; 2]; 2] {
            // λ = (−c ± √(c² − 4mk)) / 2m, λ′ = ±(−4m·k′) / (2·2m·√(c² − 4mk)) with k′ = 1
            let disc = Complex64::from(c0 * c0 - 4.0 * m0 * (k0 + t));
            let sq = disc.sqrt();
            let d = |sign: f64| {
                [
                    (-c0 + sq * sign) / (2.0 * m0),
                    Complex64::from(-4.0 * m0 * sign) / (sq * 4.0 * m0),
                ]
            };
            [d(1.0), d(-1.0)]
        };
        let tr = Tracker::new()
            .samples(21)
            .unwrap()
            .track_family(&q, 0.0..=1.0)
            .unwrap();
        let ts = tr.samples().to_vec();
        let r0 = roots(ts[0]);
        let of = identify(&tr, &[r0[0][0], r0[1][0]]);
        for (i, &kb) in of.iter().enumerate() {
            let b = &tr.branches()[kb];
            for (j, &t) in ts.iter().enumerate() {
                let [l, dl] = roots(t)[i];
                assert!(
                    close(b.values()[j], l, 1e-12),
                    "({m0}, {c0}, {k0}) t = {t}: λ = {} against {l}",
                    b.values()[j]
                );
                assert!(
                    close(b.slopes()[j], dl, 1e-10),
                    "({m0}, {c0}, {k0}) t = {t}: λ′ = {} against {dl}",
                    b.slopes()[j]
                );
            }
        }
    }
}

/// Jeffcott rotor: M = I, C = Ω[[0, 1], [−1, 0]], K = k I; λ = ±i(√(k + Ω²/4) ± Ω/2).
#[test]
fn jeffcott_rotor_whirl_branches() {
    let k = 1.0;
    let q = Quadratic::new(
        Polynomial::new(vec![DMatrix::<f64>::identity(2, 2)]).unwrap(),
        Polynomial::new(vec![
            DMatrix::zeros(2, 2),
            DMatrix::from_row_slice(2, 2, &[0.0, 1.0, -1.0, 0.0]),
        ])
        .unwrap(),
        Polynomial::new(vec![DMatrix::<f64>::identity(2, 2) * k]).unwrap(),
    );
    // the four analytic branches (value, slope): ±i(s + Ω/2), ±i(s − Ω/2)
    let answers = |om: f64| -> Vec<[Complex64; 2]> {
        let s = (k + om * om / 4.0).sqrt();
        let ds = om / (4.0 * s);
        let i = Complex64::i();
        vec![
            [i * (s + om / 2.0), i * (ds + 0.5)],
            [i * (s - om / 2.0), i * (ds - 0.5)],
            [-i * (s + om / 2.0), -i * (ds + 0.5)],
            [-i * (s - om / 2.0), -i * (ds - 0.5)],
        ]
    };
    // Ω from −2 to 3: the forward and backward whirl cross at Ω = 0 (with their conjugates)
    let tr = Tracker::new()
        .samples(101)
        .unwrap()
        .track_family(&q, -2.0..=3.0)
        .unwrap();
    let ts = tr.samples().to_vec();
    let start: Vec<Complex64> = answers(ts[0]).iter().map(|a| a[0]).collect();
    let of = identify(&tr, &start);
    for (i, &kb) in of.iter().enumerate() {
        let b = &tr.branches()[kb];
        for (j, &om) in ts.iter().enumerate() {
            let [l, dl] = answers(om)[i];
            assert!(
                close(b.values()[j], l, 1e-10),
                "branch {i} at Ω = {om}: λ = {} against {l}",
                b.values()[j]
            );
            assert!(
                close(b.slopes()[j], dl, 1e-9),
                "branch {i} at Ω = {om}: λ′ = {} against {dl}",
                b.slopes()[j]
            );
        }
    }
    // the crossings are at Ω = 0, between a branch and its partner of the same sign of Im
    let crossings: Vec<_> = tr
        .events()
        .iter()
        .filter(|e| e.kind() == "crossing")
        .collect();
    assert_eq!(crossings.len(), 2, "{:?}", tr.events());
    for e in crossings {
        assert!(e.t().abs() < 1e-8, "crossing at Ω = {}", e.t());
        let mut got = e.branches();
        got.sort();
        let mut upper = vec![of[0], of[1]];
        upper.sort();
        let mut lower = vec![of[2], of[3]];
        lower.sort();
        assert!(got == upper || got == lower, "{got:?}");
    }
}

/// Damped Jeffcott rotor: C = Ω[[0, 1], [−1, 0]] + d·I. Each eigenvalue is a root of
/// λ² + (d − iσΩ)λ + k = 0 for one whirl direction σ = ±1, with λ′ = iσλ/(2λ + d − iσΩ).
/// Both polynomials coincide at Ω = 0, where the branches of the two directions cross: each
/// branch must keep its σ through it.
#[test]
fn damped_rotor_keeps_whirl_direction() {
    let (k, d) = (1.0, 0.2);
    let g = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, -1.0, 0.0]);
    let q = Quadratic::new(
        Polynomial::new(vec![DMatrix::<f64>::identity(2, 2)]).unwrap(),
        Polynomial::new(vec![DMatrix::<f64>::identity(2, 2) * d, g]).unwrap(),
        Polynomial::new(vec![DMatrix::<f64>::identity(2, 2) * k]).unwrap(),
    );
    let i = Complex64::i();
    let residual = |l: Complex64, om: f64, sigma: f64| {
        (l * l + (Complex64::from(d) - i * sigma * om) * l + k).norm()
    };
    let tr = Tracker::new()
        .samples(101)
        .unwrap()
        .track_family(&q, -2.0..=3.0)
        .unwrap();
    let ts = tr.samples().to_vec();
    let mut sigmas = Vec::new();
    for (kb, b) in tr.branches().iter().enumerate() {
        let l0 = b.values()[0];
        let sigma = if residual(l0, ts[0], 1.0) < residual(l0, ts[0], -1.0) {
            1.0
        } else {
            -1.0
        };
        sigmas.push(sigma);
        for (j, &om) in ts.iter().enumerate() {
            let l = b.values()[j];
            assert!(
                residual(l, om, sigma) < 1e-12 * (1.0 + l.norm_sqr()),
                "branch {kb} (σ = {sigma}) at Ω = {om}: λ = {l} left its polynomial"
            );
            let dl = i * sigma * l / (l * 2.0 + d - i * sigma * om);
            assert!(
                close(b.slopes()[j], dl, 1e-9),
                "branch {kb} at Ω = {om}: λ′ = {} against {dl}",
                b.slopes()[j]
            );
        }
    }
    sigmas.sort_by(f64::total_cmp);
    assert_eq!(sigmas, [-1.0, -1.0, 1.0, 1.0]);
    // decay rates −Re λ stay positive: a stable rotor
    assert!(tr
        .branches()
        .iter()
        .all(|b| b.values().iter().all(|l| l.re < 0.0)));
}

// ---------------------------------------------------------------------------------------
// 5. Bad input: errors naming the matrix and t, never a panic or NaN.
// ---------------------------------------------------------------------------------------

fn a2(t: f64) -> DMatrix<f64> {
    DMatrix::from_row_slice(2, 2, &[t, 1.0, 1.0, -t])
}

#[test]
fn singular_b_is_an_error_naming_b_and_t() {
    let tracker = Tracker::new().samples(11).unwrap();
    // exactly singular (Cholesky fails, then LU), in every mode
    let b = |_t: f64| DMatrix::from_row_slice(2, 2, &[1.0, 1.0, 1.0, 1.0]);
    for mode in [PencilMode::Auto, PencilMode::General] {
        let err = tracker
            .track_family(&Pencil::new(a2, b).mode(mode), 0.25..=1.0)
            .unwrap_err();
        match err {
            Error::Singular { what, rcond, at } => {
                assert_eq!((what, rcond, at), ("B", 0.0, At(Some(0.25))));
            }
            other => panic!("{mode:?}: expected Singular, got {other:?}"),
        }
    }
    // numerically singular: Cholesky succeeds, rcond = 1e-17 < n·ε
    let b = |_t: f64| DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 1e-17]);
    let err = tracker
        .track_family(&Pencil::new(a2, b), 0.25..=1.0)
        .unwrap_err();
    let Error::Singular { what, rcond, at } = err else {
        panic!("expected Singular, got {err:?}")
    };
    assert_eq!((what, at), ("B", At(Some(0.25))));
    assert!(rcond > 0.0 && rcond < 1e-16, "{rcond}");
    assert!(err_text(&Pencil::new(a2, b)).contains("B is singular"));
    // singular only at t = 0.5 (a grid point), non-symmetric: the error names t = 0.5
    let b = |t: f64| DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 0.0, t - 0.5]);
    let err = tracker
        .track_family(&Pencil::new(a2, b), 0.0..=1.0)
        .unwrap_err();
    assert!(
        matches!(err, Error::Singular { what: "B", at: At(Some(t)), .. } if t == 0.5),
        "{err:?}"
    );
    // value() cannot fail: NaN, not a panic
    assert!(Pencil::new(a2, b).value(0.5).iter().all(|z| z.is_nan()));
}

fn err_text<F: MatrixFamily>(f: &F) -> String {
    Tracker::new()
        .samples(3)
        .unwrap()
        .track_family(f, 0.0..=1.0)
        .unwrap_err()
        .to_string()
}

#[test]
fn indefinite_b_in_hermitian_definite_mode_is_an_error() {
    let b = |_t: f64| DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, -1.0]);
    let err = Tracker::new()
        .samples(3)
        .unwrap()
        .track_family(&Pencil::new(a2, b).hermitian_definite(), 0.0..=1.0)
        .unwrap_err();
    assert!(
        matches!(err, Error::NotDefinite { what: "B", at: At(Some(t)), .. } if t == 0.0),
        "{err:?}"
    );
    // Auto takes the general path for an indefinite B: eigenvalues of diag(1, −1)⁻¹A
    let p = Pencil::new(a2, b);
    let tr = Tracker::new()
        .samples(3)
        .unwrap()
        .track_family(&p, 0.0..=1.0)
        .unwrap();
    assert_eq!(p.resolved_mode(), Some(PencilMode::General));
    // B⁻¹A = [[t, 1], [−1, t]]: λ = t ± i
    let mut v: Vec<Complex64> = tr.branches().iter().map(|b| b.values()[2]).collect();
    v.sort_by(|a, b| a.im.total_cmp(&b.im));
    assert!((v[0] - Complex64::new(1.0, -1.0)).norm() < 1e-14, "{v:?}");
    assert!((v[1] - Complex64::new(1.0, 1.0)).norm() < 1e-14, "{v:?}");
}

#[test]
fn singular_m_is_an_error_naming_m_and_t() {
    let one = |_t: f64| DMatrix::<f64>::identity(2, 2);
    let m = |_t: f64| DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 0.0]);
    let err = Tracker::new()
        .samples(5)
        .unwrap()
        .track_family(&Quadratic::new(m, one, one), -1.0..=1.0)
        .unwrap_err();
    assert_eq!(
        err,
        Error::Singular {
            what: "M",
            rcond: 0.0,
            at: At(Some(-1.0))
        }
    );
    assert!(err.to_string().contains("M is singular"));
    assert!(err.to_string().contains("t = -1"));
    assert!(Quadratic::new(m, one, one)
        .value(0.0)
        .iter()
        .all(|z| z.is_nan()));
}

#[test]
fn nan_in_b_is_an_error_naming_b_entry_and_t() {
    let b = |t: f64| {
        let mut b = DMatrix::<f64>::identity(2, 2);
        if t > 0.3 {
            b[(1, 0)] = f64::NAN;
        }
        b
    };
    // B with exact (zero) derivatives: B itself is reported, at the first t past 0.3
    let b_exact = WithDerivatives(
        b,
        |_t: f64| DMatrix::zeros(2, 2),
        |_t: f64| DMatrix::zeros(2, 2),
    );
    let err = Tracker::new()
        .samples(11)
        .unwrap()
        .track_family(&Pencil::new(a2, b_exact), 0.0..=1.0)
        .unwrap_err();
    match err {
        Error::NonFinite {
            what,
            row,
            col,
            value,
            at: At(Some(t)),
        } => {
            assert_eq!((what, row, col), ("B", 1, 0));
            assert!(value.is_nan());
            assert!(t > 0.3 && t <= 0.4 + 1e-12, "t = {t}");
        }
        other => panic!("expected NonFinite, got {other:?}"),
    }
    // B by finite differences: the stencil at t = 0.3 already reaches past 0.3, so B′
    // (named "B'") is the first non-finite matrix, at t = 0.3
    let err = Tracker::new()
        .samples(11)
        .unwrap()
        .track_family(&Pencil::new(a2, b), 0.0..=1.0)
        .unwrap_err();
    assert!(
        matches!(err, Error::NonFinite { what: "B'", row: 1, col: 0, at: At(Some(t)), .. } if (t - 0.3).abs() < 1e-12),
        "{err:?}"
    );
    // and in M, K of a quadratic family
    let one = |_t: f64| DMatrix::<f64>::identity(2, 2);
    let bad = |_t: f64| DMatrix::from_row_slice(2, 2, &[1.0, 0.0, f64::INFINITY, 1.0]);
    let text = err_text(&Quadratic::new(one, one, bad));
    assert!(
        text.contains("entry (1, 0) of K") && text.contains("t = 0"),
        "{text}"
    );
    let text = err_text(&Quadratic::new(bad, one, one));
    assert!(text.contains("entry (1, 0) of M"), "{text}");
}

#[test]
fn size_mismatch_is_an_error() {
    let b3 = |_t: f64| DMatrix::<f64>::identity(3, 3);
    let err = Tracker::new()
        .samples(3)
        .unwrap()
        .track_family(&Pencil::new(a2, b3), 0.5..=1.0)
        .unwrap_err();
    assert_eq!(
        err,
        Error::ShapeMismatch {
            what: "B(t) against A(t)",
            expected: (2, 2),
            found: (3, 3),
            at: At(Some(0.5)),
        }
    );
    assert!(err
        .to_string()
        .contains("expected 2×2, found 3×3 at t = 0.5"));
    // a non-square A
    let a23 = |_t: f64| DMatrix::<f64>::zeros(2, 3);
    let text = err_text(&Pencil::new(a23, |_t: f64| DMatrix::<f64>::identity(2, 2)));
    assert!(text.contains("not square"), "{text}");
    // empty
    let a00 = |_t: f64| DMatrix::<f64>::zeros(0, 0);
    let err = Tracker::new()
        .samples(3)
        .unwrap()
        .track_family(&Pencil::new(a00, a00), 0.0..=1.0)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Empty {
                rows: 0,
                cols: 0,
                ..
            }
        ),
        "{err:?}"
    );
    // quadratic: K of another size than M
    let one = |_t: f64| DMatrix::<f64>::identity(2, 2);
    let err = Tracker::new()
        .samples(3)
        .unwrap()
        .track_family(&Quadratic::new(one, one, b3), 0.0..=1.0)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ShapeMismatch {
                what: "K(t) against M(t)",
                expected: (2, 2),
                found: (3, 3),
                ..
            }
        ),
        "{err:?}"
    );
    // eigenvectors of the wrong length
    let p = Pencil::new(a2, one);
    let y = DMatrix::<Complex64>::zeros(3, 1);
    assert!(matches!(
        p.eigenvectors(0.0, &y),
        Err(Error::ShapeMismatch { .. })
    ));
}
