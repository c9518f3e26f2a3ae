//! Dual-number families: A, A′, A″ against hand-derived derivatives, and exact slopes
//! along tracked branches (against the finite-difference default).

mod common;

use eigentrack::dual::{DualComplexMatrixFn, DualMatrixFn, DualNum};
use eigentrack::{
    dual_family, dual_family_complex, DualComplexFamily, DualFamily, MatrixFamily, Tracker,
};
use nalgebra::DMatrix;
use num_complex::{Complex, Complex64};

/// R(t/2)·diag(t, e^{t²} − 1)·R(t/2)ᵀ, written once for every dual type.
struct Crossing;

impl DualMatrixFn for Crossing {
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, t: D) -> DMatrix<D> {
        let (s, c) = (t * 0.5).sin_cos();
        let r = DMatrix::from_row_slice(2, 2, &[c, -s, s, c]);
        let zero = D::from(0.0);
        let d = DMatrix::from_row_slice(2, 2, &[t, zero, zero, (t * t).exp() - 1.0]);
        let rt = r.transpose();
        &r * d * rt
    }
}

/// A(t), A′(t), A″(t) of the crossing family by hand: with J = [[0, −1], [1, 0]],
/// D = diag(d₁, d₂) and R = R(t/2) (which commutes with J, R′ = ½ R J):
/// A′ = R B Rᵀ with B = D′ + ½[J, D], and A″ = R (B′ + ½[J, B]) Rᵀ.
fn crossing_by_hand(t: f64) -> [DMatrix<f64>; 3] {
    let (s, c) = (t / 2.0).sin_cos();
    let r = DMatrix::from_row_slice(2, 2, &[c, -s, s, c]);
    let e = (t * t).exp();
    let (d1, d2) = (t, e - 1.0);
    let (d1p, d2p) = (1.0, 2.0 * t * e);
    let (d1pp, d2pp) = (0.0, (2.0 + 4.0 * t * t) * e);
    // [J, D] = (d₁ − d₂)·[[0, 1], [1, 0]]; [J, B] = [[−2b₁₂, b₁₁ − b₂₂], [b₁₁ − b₂₂, 2b₁₂]]
    let b12 = (d1 - d2) / 2.0;
    let b = DMatrix::from_row_slice(2, 2, &[d1p, b12, b12, d2p]);
    let b12p = (d1p - d2p) / 2.0;
    let jb = DMatrix::from_row_slice(2, 2, &[-2.0 * b12, d1p - d2p, d1p - d2p, 2.0 * b12]);
    let bp = DMatrix::from_row_slice(2, 2, &[d1pp, b12p, b12p, d2pp]);
    let a = DMatrix::from_row_slice(2, 2, &[d1, 0.0, 0.0, d2]);
    let rt = r.transpose();
    [&r * a * &rt, &r * b * &rt, &r * (bp + jb * 0.5) * &rt]
}

/// max |x − y| / max(1, |y|) over the entries.
fn rel_diff<T: Copy + Into<Complex64>>(x: &DMatrix<T>, y: &DMatrix<T>) -> f64 {
    x.iter()
        .zip(y.iter())
        .map(|(&p, &q)| {
            let (p, q): (Complex64, Complex64) = (p.into(), q.into());
            (p - q).norm() / q.norm().max(1.0)
        })
        .fold(0.0, f64::max)
}

#[test]
fn real_jet_matches_hand_derived_derivatives() {
    let fam = DualFamily(Crossing);
    assert!(fam.exact_derivatives());
    for k in 0..=50 {
        let t = -1.0 + 0.05 * k as f64;
        let j = fam.jet(t);
        let [a, da, dda] = crossing_by_hand(t);
        assert!(
            rel_diff(&j.a, &a) <= 1e-15,
            "t={t}: A {}",
            rel_diff(&j.a, &a)
        );
        assert!(
            rel_diff(&j.da, &da) <= 1e-15,
            "t={t}: A′ {}",
            rel_diff(&j.da, &da)
        );
        assert!(
            rel_diff(&j.dda, &dda) <= 1e-15,
            "t={t}: A″ {}",
            rel_diff(&j.dda, &dda)
        );
        // value() is the plain f64 evaluation, equal to the jet's A
        assert_eq!(fam.value(t), j.a);
        // the shared test family agrees too
        assert!(rel_diff(&j.a, &common::crossing(t)) <= 1e-15);
        assert!(rel_diff(&j.da, &common::crossing_d(t)) <= 1e-15);
    }
}

/// A(t) = [[e^{it}, t² + i sin t], [i·cosh t, t³ − 2i t]].
struct ComplexFamily;

impl DualComplexMatrixFn for ComplexFamily {
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, t: D) -> DMatrix<Complex<D>> {
        let zero = D::from(0.0);
        DMatrix::from_row_slice(
            2,
            2,
            &[
                Complex::new(t.cos(), t.sin()),
                Complex::new(t * t, t.sin()),
                Complex::new(zero, t.cosh()),
                Complex::new(t.powi(3), -t * 2.0),
            ],
        )
    }
}

fn complex_by_hand(t: f64) -> [DMatrix<Complex64>; 3] {
    let z = |re: f64, im: f64| Complex64::new(re, im);
    let eit = z(t.cos(), t.sin());
    let i = z(0.0, 1.0);
    [
        DMatrix::from_row_slice(
            2,
            2,
            &[
                eit,
                z(t * t, t.sin()),
                z(0.0, t.cosh()),
                z(t.powi(3), -2.0 * t),
            ],
        ),
        DMatrix::from_row_slice(
            2,
            2,
            &[
                i * eit,
                z(2.0 * t, t.cos()),
                z(0.0, t.sinh()),
                z(3.0 * t * t, -2.0),
            ],
        ),
        DMatrix::from_row_slice(
            2,
            2,
            &[-eit, z(2.0, -t.sin()), z(0.0, t.cosh()), z(6.0 * t, 0.0)],
        ),
    ]
}

#[test]
fn complex_jet_matches_hand_derived_derivatives() {
    let fam = DualComplexFamily(ComplexFamily);
    assert!(fam.exact_derivatives());
    for k in 0..=40 {
        let t = -2.0 + 0.1 * k as f64;
        let j = fam.jet(t);
        let [a, da, dda] = complex_by_hand(t);
        assert!(rel_diff(&j.a, &a) <= 1e-15, "t={t}");
        assert!(rel_diff(&j.da, &da) <= 1e-15, "t={t}");
        assert!(rel_diff(&j.dda, &dda) <= 1e-15, "t={t}");
        assert_eq!(fam.value(t), j.a);
    }
}

#[test]
fn macros_build_the_same_families() {
    let real = dual_family!(|t| {
        let (s, c) = (t * 0.5).sin_cos();
        let r = DMatrix::from_row_slice(2, 2, &[c, -s, s, c]);
        let zero = D::from(0.0);
        let d = DMatrix::from_row_slice(2, 2, &[t, zero, zero, (t * t).exp() - 1.0]);
        let rt = r.transpose();
        &r * d * rt
    });
    let by_trait = DualFamily(Crossing);
    for t in [-0.7, 0.0, 0.3, 1.2] {
        assert_eq!(real.jet(t), by_trait.jet(t));
    }
    // captured parameters become constants of the dual type
    let (g, k) = (0.25, 3.0);
    let lz =
        dual_family!([g = g, k = k] | t | DMatrix::from_row_slice(2, 2, &[t * k, g, g, -t * k]));
    let j = lz.jet(0.5);
    assert_eq!(j.a, DMatrix::from_row_slice(2, 2, &[1.5, 0.25, 0.25, -1.5]));
    assert_eq!(j.da, DMatrix::from_row_slice(2, 2, &[3.0, 0.0, 0.0, -3.0]));
    assert_eq!(j.dda, DMatrix::zeros(2, 2));
    let cplx = dual_family_complex!(
        [w = 2.0] | t | {
            let zero = D::from(0.0);
            DMatrix::from_row_slice(
                1,
                1,
                &[Complex::new((t * w).cos(), (t * w).sin()) + Complex::new(zero, zero)],
            )
        }
    );
    let j = cplx.jet(0.0);
    assert_eq!(j.da[(0, 0)], Complex64::new(0.0, 2.0)); // 2i e^{2it}
    assert_eq!(j.dda[(0, 0)], Complex64::new(-4.0, 0.0));
}

/// Largest error of the branch slopes against the analytic slopes 1 and 2t e^{t²}
/// (relative to max(1, |slope|)), for a family of the crossing.
fn slope_error(fam: &impl MatrixFamily<Elem = f64>) -> f64 {
    let tr = Tracker::new().track_family(fam, -1.0..=1.5).unwrap();
    let (b0, b1) = (&tr.branches()[0], &tr.branches()[1]);
    let mut worst = 0.0f64;
    for (i, &t) in tr.samples().iter().enumerate() {
        // branch identity: b0 follows λ = t, b1 follows λ = e^{t²} − 1
        assert!((b0.values()[i].re - t).abs() < 1e-12);
        assert!((b1.values()[i].re - ((t * t).exp() - 1.0)).abs() < 1e-12);
        let s1 = Complex64::new(1.0, 0.0);
        let s2 = Complex64::new(2.0 * t * (t * t).exp(), 0.0);
        worst = worst.max((b0.slopes()[i] - s1).norm() / s1.norm().max(1.0));
        worst = worst.max((b1.slopes()[i] - s2).norm() / s2.norm().max(1.0));
    }
    worst
}

#[test]
fn dual_slopes_along_a_track_are_exact_and_finite_differences_are_not() {
    let dual = slope_error(&DualFamily(Crossing));
    let fd = slope_error(&common::crossing);
    eprintln!(
        "crossing family, slope error: dual numbers {dual:e}, finite differences {fd:e} \
         ({:.0}× worse)",
        fd / dual.max(f64::EPSILON)
    );
    assert!(dual <= 1e-13, "dual slopes off by {dual:e}");
    assert!(
        fd > 100.0 * dual.max(f64::EPSILON),
        "fd {fd:e} vs dual {dual:e}"
    );
}

#[test]
fn dual_curvatures_along_a_track_are_exact() {
    // λ₁″ = 0, λ₂″ = (2 + 4t²) e^{t²}: A″ from the dual family feeds the curvatures
    let tr = Tracker::new()
        .track_family(&DualFamily(Crossing), -1.0..=1.5)
        .unwrap();
    let fd = Tracker::new()
        .track_family(&common::crossing, -1.0..=1.5)
        .unwrap();
    let err = |tr: &eigentrack::Tracking| {
        let mut worst = 0.0f64;
        for (i, &t) in tr.samples().iter().enumerate() {
            let c2 = (2.0 + 4.0 * t * t) * (t * t).exp();
            worst = worst.max(tr.branches()[0].curvatures()[i].norm());
            worst = worst.max((tr.branches()[1].curvatures()[i] - c2).norm() / c2);
        }
        worst
    };
    let (e_dual, e_fd) = (err(&tr), err(&fd));
    eprintln!("crossing family, curvature error: dual {e_dual:e}, finite differences {e_fd:e}");
    assert!(e_dual <= 1e-12, "{e_dual:e}");
    assert!(e_fd > 100.0 * e_dual.max(f64::EPSILON));
}
