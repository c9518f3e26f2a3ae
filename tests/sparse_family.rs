//! Sparse families (`eigentrack::sparse::{SparseTerms, SparseFamily}`) and the errors of
//! bad input on the sparse path: each names what is wrong and where.

use eigentrack::dual::{Dual2_64, DualNum};
use eigentrack::sparse::{Nearest, SparseFamily, SparseTerms};
use eigentrack::{Complex64, Error, Tracker};
use nalgebra_sparse::{CooMatrix, CscMatrix};

fn diag(v: &[f64]) -> CscMatrix<f64> {
    let mut coo = CooMatrix::new(v.len(), v.len());
    for (i, &x) in v.iter().enumerate() {
        coo.push(i, i, x);
    }
    CscMatrix::from(&coo)
}

/// A path-graph coupling of size n with weight w.
fn path(n: usize, w: f64) -> CscMatrix<f64> {
    let mut coo = CooMatrix::new(n, n);
    for i in 0..n - 1 {
        coo.push(i, i + 1, w);
        coo.push(i + 1, i, w);
    }
    CscMatrix::from(&coo)
}

#[test]
fn terms_have_exact_derivatives() {
    let n = 6;
    let fam = SparseTerms::new(n)
        .term(diag(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), |t: Dual2_64| t.sin())
        .unwrap()
        .term(path(n, 1.0), |t: Dual2_64| t * t)
        .unwrap();
    let t = 0.7;
    let j = fam.jet(t).unwrap();
    let get = |m: &CscMatrix<f64>, i, k| m.get_entry(i, k).map_or(0.0, |e| e.into_value());
    assert_eq!(get(&j.a, 2, 2), 3.0 * t.sin());
    assert_eq!(get(&j.da, 2, 2), 3.0 * t.cos());
    assert_eq!(get(&j.dda, 2, 2), -3.0 * t.sin());
    assert_eq!(get(&j.a, 2, 3), t * t);
    assert_eq!(get(&j.da, 2, 3), 2.0 * t);
    assert_eq!(get(&j.dda, 2, 3), 2.0);
    assert_eq!(fam.len(), 2);
    assert_eq!(fam.size(), n);
}

#[test]
fn closure_slopes_by_finite_differences_agree_with_exact_ones() {
    // the same family as a closure (finite differences) and as terms (exact)
    let n = 40;
    let d: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let (dm, pm) = (diag(&d), path(n, 0.3));
    let closure = {
        let (dm, pm) = (dm.clone(), pm.clone());
        move |t: f64| {
            let mut a = &dm * (1.0 + t * t);
            a = &a + &(&pm * t.cos());
            a
        }
    };
    let terms = SparseTerms::new(n)
        .term(dm, |t: Dual2_64| t * t + 1.0)
        .unwrap()
        .term(pm, |t: Dual2_64| t.cos())
        .unwrap();
    let nearest = Nearest::new(3, 10.2).unwrap().samples(6).unwrap();
    let a = nearest.track(&closure, 0.0..=0.5).unwrap();
    let b = nearest.track(&terms, 0.0..=0.5).unwrap();
    for s in 0..6 {
        let (wa, wb) = (a.window(s), b.window(s));
        for (x, y) in wa.iter().zip(&wb) {
            assert_eq!(x.0, y.0);
            assert!((x.1 - y.1).abs() < 1e-12 * x.1.abs());
            let sa = a.branches()[x.0].slopes()[s].unwrap();
            let sb = b.branches()[y.0].slopes()[s].unwrap();
            assert!(
                (sa - sb).norm() < 1e-8 * sb.norm().max(1.0),
                "{sa} against {sb}"
            );
        }
    }
}

#[test]
fn a_term_of_the_wrong_size_is_named() {
    let err = SparseTerms::new(4)
        .constant(diag(&[1.0; 4]))
        .unwrap()
        .term(diag(&[1.0; 5]), |t| t)
        .unwrap_err();
    assert!(matches!(
        err,
        Error::DimensionMismatch {
            found_rows: 5,
            expected_rows: 4,
            ..
        }
    ));
}

#[test]
fn a_nan_in_a_term_is_named_with_its_entry() {
    let err = SparseTerms::new(3)
        .constant(diag(&[1.0, 2.0, 3.0]))
        .unwrap()
        .term(diag(&[1.0, f64::NAN, 3.0]), |t| t)
        .unwrap_err();
    match err {
        Error::NonFinite { what, row, col, .. } => assert_eq!((what, row, col), ("terms[1]", 1, 1)),
        other => panic!("expected NonFinite, got {other:?}"),
    }
}

#[test]
fn a_nan_from_a_closure_is_named_with_its_entry_and_t() {
    let fam = |t: f64| diag(&[1.0, if t > 0.5 { f64::NAN } else { 2.0 }, 3.0, 4.0]);
    let err = Nearest::new(1, 2.0)
        .unwrap()
        .samples(5)
        .unwrap()
        .track(&fam, 0.0..=1.0)
        .unwrap_err();
    match err {
        Error::NonFinite { row, col, at, .. } => {
            assert_eq!((row, col), (1, 1));
            assert!(at.0.unwrap() > 0.5);
        }
        other => panic!("expected NonFinite, got {other:?}"),
    }
}

#[test]
fn a_closure_that_changes_size_is_named_with_t() {
    let fam = |t: f64| diag(&vec![1.0; if t < 0.5 { 6 } else { 7 }]);
    let err = Nearest::new(1, 0.0)
        .unwrap()
        .samples(3)
        .unwrap()
        .track(&fam, 0.0..=1.0)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::SizeChanged {
                expected: 6,
                found: 7,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn k_not_below_n_is_refused() {
    let fam = SparseTerms::new(4)
        .constant(diag(&[1.0, 2.0, 3.0, 4.0]))
        .unwrap();
    let err = Tracker::new()
        .nearest(4, 0.0)
        .unwrap()
        .track(&fam, 0.0..=1.0)
        .unwrap_err();
    match err {
        Error::InvalidArgument { name, reason } => {
            assert_eq!(name, "k");
            assert!(reason.contains("n = 4"), "{reason}");
        }
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

#[test]
fn bad_options_are_refused() {
    assert!(matches!(
        Nearest::new(0, 1.0),
        Err(Error::InvalidArgument { name: "k", .. })
    ));
    assert!(matches!(
        Nearest::new(2, Complex64::new(f64::NAN, 0.0)),
        Err(Error::InvalidArgument { name: "sigma", .. })
    ));
    assert!(matches!(
        Nearest::new(2, 1.0).unwrap().tol(0.1),
        Err(Error::InvalidArgument { name: "tol", .. })
    ));
    let fam = SparseTerms::new(4)
        .constant(diag(&[1.0, 2.0, 3.0, 4.0]))
        .unwrap();
    assert!(matches!(
        Nearest::new(1, 1.0)
            .unwrap()
            .track(&fam, 0.0..=f64::INFINITY),
        Err(Error::InvalidArgument { name: "range", .. })
    ));
}

#[test]
fn a_target_on_an_eigenvalue_is_nudged_not_wrong() {
    // σ = 3 is an eigenvalue of A(0) = diag(1, 2, 3, …) + t·path: A(0) − σI is singular
    let n = 30;
    let d: Vec<f64> = (1..=n).map(|i| i as f64).collect();
    let fam = SparseTerms::new(n)
        .constant(diag(&d))
        .unwrap()
        .term(path(n, 1.0), |t| t)
        .unwrap();
    let tr = Nearest::new(2, 3.0)
        .unwrap()
        .samples(3)
        .unwrap()
        .track(&fam, 0.0..=0.01)
        .unwrap();
    assert!(tr.stats().solver.nudges >= 1);
    let w = tr.window(0);
    assert!((w[0].1 - 3.0).abs() < 1e-13, "{w:?}");
    assert!((w[1].1 - 2.0).abs() < 1e-14 || (w[1].1 - 4.0).abs() < 1e-14);
}

#[test]
fn complex_non_hermitian_slopes_against_finite_differences() {
    // A(t) = diag(k + i k/10) + t·(a non-symmetric complex coupling): left vectors needed
    let n = 60;
    let mut d = CooMatrix::new(n, n);
    let mut c = CooMatrix::new(n, n);
    for i in 0..n {
        d.push(i, i, Complex64::new(i as f64, 0.1 * i as f64));
        if i + 1 < n {
            c.push(i, i + 1, Complex64::new(0.4, 0.1));
            c.push(i + 1, i, Complex64::new(-0.2, 0.3));
        }
    }
    let fam = SparseTerms::new(n)
        .constant(CscMatrix::from(&d))
        .unwrap()
        .term(CscMatrix::from(&c), |t| t)
        .unwrap();
    let sigma = Complex64::new(20.3, 2.0);
    let nearest = Nearest::new(4, sigma).unwrap().samples(3).unwrap();
    let tr = nearest.track(&fam, 0.0..=0.2).unwrap();
    let h = 1e-6;
    for s in 0..3 {
        let t = tr.samples()[s];
        let plus = nearest.track(&fam, t + h..=t + h).unwrap();
        let minus = nearest.track(&fam, t - h..=t - h).unwrap();
        for (b, v) in tr.window(s) {
            let lam = tr.branches()[b].values()[s].unwrap();
            let slope = tr.branches()[b].slopes()[s].unwrap();
            let pick = |w: &eigentrack::sparse::WindowTracking| {
                w.branches()
                    .iter()
                    .filter_map(|x| x.values()[0])
                    .min_by(|x, y| (x - lam).norm().total_cmp(&(y - lam).norm()))
                    .unwrap()
            };
            let fd = (pick(&plus) - pick(&minus)) / (2.0 * h);
            assert!(
                (fd - slope).norm() < 1e-6,
                "λ = {lam} ({v}): slope {slope}, differences {fd}"
            );
            assert!(tr.branches()[b].condition()[s].unwrap() >= 1.0 - 1e-12);
        }
    }
}

#[test]
fn a_closure_whose_pattern_changes_keeps_its_values() {
    // the coupling is left out of the matrix where it vanishes (t ≤ 0): the pattern
    // grows at t > 0, and the values agree with the same family as terms
    let n = 30;
    let d: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let (dm, pm) = (diag(&d), path(n, 1.0));
    let closure = {
        let (dm, pm) = (dm.clone(), pm.clone());
        move |t: f64| {
            if t <= 0.0 {
                dm.clone()
            } else {
                &dm + &(&pm * (t * t))
            }
        }
    };
    let terms = SparseTerms::new(n)
        .constant(dm)
        .unwrap()
        .term(pm, |t: Dual2_64| {
            if t.re > 0.0 {
                t * t
            } else {
                Dual2_64::from(0.0)
            }
        })
        .unwrap();
    let nearest = Nearest::new(3, 10.2).unwrap().samples(5).unwrap();
    let a = nearest.track(&closure, -0.2..=0.2).unwrap();
    let b = nearest.track(&terms, -0.2..=0.2).unwrap();
    assert!(a.stats().patterns >= 2, "{:?}", a.stats());
    for s in 0..5 {
        for (x, y) in a.window(s).iter().zip(&b.window(s)) {
            assert!((x.1 - y.1).abs() < 1e-12 * y.1.abs(), "{x:?} against {y:?}");
        }
    }
}
