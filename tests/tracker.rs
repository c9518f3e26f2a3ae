//! The tracker on analytic families with exact answers (issue: the tracker).

mod common;

use common::*;
use eigentrack::{
    track, CrossingPolicy, Error, Event, HermitianMode, Part, Resolution, Tracker, WithDerivative,
};
use nalgebra::{DMatrix, DVector};
use num_complex::Complex64;

fn events_of<'a>(tr: &'a eigentrack::Tracking, kind: &str) -> Vec<&'a Event> {
    tr.events().iter().filter(|e| e.kind() == kind).collect()
}

fn crossings(tr: &eigentrack::Tracking) -> Vec<&Event> {
    events_of(tr, "crossing")
}

/// 1. R(t/2)·diag(t, e^{t²} − 1)·R(t/2)ᵀ on [−1, 1.5] with exact A′.
#[test]
fn crossing_family_keeps_identity_with_exact_slopes() {
    let fam = WithDerivative(crossing, crossing_d);
    let tr = Tracker::new().track_family(&fam, -1.0..=1.5).unwrap();
    assert_eq!(tr.samples().len(), 201);
    let (b0, b1) = (&tr.branches()[0], &tr.branches()[1]);
    for (i, &t) in tr.samples().iter().enumerate() {
        let (l1, l2) = (t, (t * t).exp() - 1.0);
        assert!(
            (b0.values()[i].re - l1).abs() < 1e-12,
            "t={t}: {}",
            b0.values()[i]
        );
        assert!(
            (b1.values()[i].re - l2).abs() < 1e-12,
            "t={t}: {}",
            b1.values()[i]
        );
        assert!(
            (b0.slopes()[i].re - 1.0).abs() < 1e-8,
            "t={t}: slope {}",
            b0.slopes()[i]
        );
        let s2 = 2.0 * t * (t * t).exp();
        assert!(
            (b1.slopes()[i].re - s2).abs() < 1e-8 * s2.abs().max(1.0),
            "t={t}"
        );
    }
    // t = 0 is sample 80: both eigenvalues 0, each branch its own slope
    assert_eq!(tr.samples()[80], 0.0);
    assert!((b0.slopes()[80].re - 1.0).abs() < 1e-12);
    assert!(b1.slopes()[80].re.abs() < 1e-12);
    let c = crossings(&tr);
    assert_eq!(c.len(), 2, "{:?}", tr.events());
    let ts = crossing_t_star();
    assert!((ts - 0.746882).abs() < 1e-6);
    assert!(c[0].t().abs() <= 1e-10 * 2.5);
    assert!(
        (c[1].t() - ts).abs() <= 1e-10 * 2.5,
        "t* {} vs {ts}",
        c[1].t()
    );
    match c[1] {
        Event::Crossing {
            branches, slopes, ..
        } => {
            assert_eq!(*branches, [0, 1]);
            assert!((slopes[0].re - 1.0).abs() < 1e-8);
            let s2 = 2.0 * ts * (ts * ts).exp();
            assert!((slopes[1].re - s2).abs() < 1e-8, "{} vs {s2}", slopes[1]);
            assert!((s2 - 2.6094).abs() < 1e-4);
        }
        other => panic!("{other:?}"),
    }
    assert!(tr.events().iter().all(|e| e.kind() == "crossing"));
    // curvatures: λ₁″ = 0, λ₂″ = (2 + 4t²) e^{t²} (A″ by finite differences of A′)
    for (i, &t) in tr.samples().iter().enumerate() {
        let c2 = (2.0 + 4.0 * t * t) * (t * t).exp();
        assert!(b0.curvatures()[i].re.abs() < 1e-6, "t={t}");
        assert!((b1.curvatures()[i].re - c2).abs() < 1e-6 * c2, "t={t}");
    }
}

/// 1 (default derivatives): the closure alone, finite differences.
#[test]
fn crossing_family_with_finite_differences() {
    let tr = track(crossing, -1.0..=1.5).unwrap();
    for (i, &t) in tr.samples().iter().enumerate() {
        let b = tr.branches();
        assert!((b[0].values()[i].re - t).abs() < 1e-12);
        assert!((b[1].values()[i].re - ((t * t).exp() - 1.0)).abs() < 1e-12);
        assert!((b[0].slopes()[i].re - 1.0).abs() < 1e-7);
    }
    assert_eq!(crossings(&tr).len(), 2);
}

/// 2. The same eigenvalues under a fixed non-orthogonal similarity.
#[test]
fn non_normal_similarity_keeps_identity() {
    let (s, si) = similarity();
    let (s2, si2) = (s.clone(), si.clone());
    let fam = WithDerivative(
        move |t: f64| &s * crossing(t) * &si,
        move |t: f64| &s2 * crossing_d(t) * &si2,
    );
    let tr = Tracker::new().track_family(&fam, -1.0..=1.5).unwrap();
    for (i, &t) in tr.samples().iter().enumerate() {
        let b = tr.branches();
        assert!((b[0].values()[i].re - t).abs() < 1e-12, "t={t}");
        assert!(
            (b[1].values()[i].re - ((t * t).exp() - 1.0)).abs() < 1e-11,
            "t={t}"
        );
        assert!(
            (b[0].slopes()[i].re - 1.0).abs() < 1e-8,
            "t={t}: {}",
            b[0].slopes()[i]
        );
        assert!(b[0].condition()[i] > 1.0);
    }
    let c = crossings(&tr);
    assert_eq!(c.len(), 2);
    assert!((c[1].t() - crossing_t_star()).abs() < 2.5e-10);
}

fn check_rotating(samples: usize) {
    let n = 50;
    let tr = Tracker::new()
        .samples(samples)
        .unwrap()
        .track(rotating(n), 0.0..=1.0)
        .unwrap();
    // branch k is d_{π(k)} with π the ascending order at t = 0
    let mut pi: Vec<usize> = (0..n).collect();
    pi.sort_by(|&a, &b| rotating_d(n, a, 0.0).total_cmp(&rotating_d(n, b, 0.0)));
    let mut crossings_expected = 0;
    for a in 0..n {
        for b in a + 1..n {
            let d0 = rotating_d(n, a, 0.0) - rotating_d(n, b, 0.0);
            let d1 = rotating_d(n, a, 1.0) - rotating_d(n, b, 1.0);
            if d0 * d1 < 0.0 {
                crossings_expected += 1;
            }
        }
    }
    assert!(crossings_expected > 50, "the family should cross a lot");
    for (k, &i) in pi.iter().enumerate() {
        for (s, &t) in tr.samples().iter().enumerate() {
            let v = tr.branches()[k].values()[s].re;
            let exact = rotating_d(n, i, t);
            assert!(
                (v - exact).abs() < 1e-10,
                "{samples} samples: branch {k} at t={t}: {v} vs d_{i} = {exact}"
            );
        }
    }
    assert_eq!(
        crossings(&tr).len(),
        crossings_expected,
        "{samples} samples"
    );
    assert_eq!(tr.stats().unresolved_steps, 0);
}

/// 3. n = 50, eigenvectors rotating through several radians, many crossings.
#[test]
fn rotating_family_n50_201_samples() {
    check_rotating(201);
}

#[test]
fn rotating_family_n50_21_samples() {
    check_rotating(21);
}

/// 4. Landau–Zener, g = 1e-3, 11 samples on [−1, 1].
#[test]
fn landau_zener_adiabatic_and_diabatic() {
    let g = 1e-3;
    let tr = Tracker::new()
        .samples(11)
        .unwrap()
        .track(landau_zener(g), -1.0..=1.0)
        .unwrap();
    for (i, &t) in tr.samples().iter().enumerate() {
        let e = (t * t + g * g).sqrt();
        assert!((tr.branches()[0].values()[i].re + e).abs() < 1e-12, "t={t}");
        assert!((tr.branches()[1].values()[i].re - e).abs() < 1e-12, "t={t}");
    }
    let ac: Vec<_> = events_of(&tr, "avoided_crossing");
    assert_eq!(ac.len(), 1, "{:?}", tr.events());
    match ac[0] {
        Event::AvoidedCrossing {
            t, gap, branches, ..
        } => {
            assert!(t.abs() < 1e-10, "t* = {t}");
            assert!((gap - 2e-3).abs() < 1e-12, "gap {gap}");
            assert_eq!(*branches, [0, 1]);
        }
        other => panic!("{other:?}"),
    }
    assert!(crossings(&tr).is_empty());
    // curvature at t = 0: λ″ = ∓1/g
    let i0 = 5;
    assert_eq!(tr.samples()[i0], 0.0);
    assert!((tr.branches()[0].curvatures()[i0].re + 1.0 / g).abs() < 1e-6 / g);
    // diabatic: branch 0 follows +t, branch 1 follows −t
    let dia = Tracker::new()
        .samples(11)
        .unwrap()
        .policy(CrossingPolicy::Diabatic)
        .track(landau_zener(g), -1.0..=1.0)
        .unwrap();
    for (i, &t) in dia.samples().iter().enumerate() {
        assert!(
            (dia.branches()[0].values()[i].re - t).abs() <= 1.0001 * g,
            "t={t}"
        );
        assert!(
            (dia.branches()[1].values()[i].re + t).abs() <= 1.0001 * g,
            "t={t}"
        );
        if t.abs() >= 0.2 {
            assert!(
                (dia.branches()[0].slopes()[i].re - 1.0).abs() < 1e-4,
                "t={t}"
            );
        }
    }
    assert_eq!(events_of(&dia, "avoided_crossing").len(), 1);
}

/// 5. [[0, 1], [t, 0]]: λ = ±√t, exceptional point at t = 0.
#[test]
fn square_root_exceptional_point() {
    let tr = track(
        |t: f64| DMatrix::from_row_slice(2, 2, &[0.0, 1.0, t, 0.0]),
        -1.0..=1.0,
    )
    .unwrap();
    let ep: Vec<_> = events_of(&tr, "exceptional_point");
    assert_eq!(ep.len(), 1, "{:?}", tr.events());
    assert!(ep[0].t().abs() < 1e-6, "EP at {}", ep[0].t());
    assert!(tr.events().iter().all(|e| e.kind() != "unresolved"));
    let (b0, b1) = (&tr.branches()[0], &tr.branches()[1]);
    for (i, &t) in tr.samples().iter().enumerate() {
        let r = t.abs().sqrt();
        if t < 0.0 {
            assert_eq!(b0.values()[i], b1.values()[i].conj(), "t={t}");
            assert!((b0.values()[i] - Complex64::new(0.0, -r)).norm() < 1e-12);
        } else if t > 0.0 {
            assert!((b0.values()[i].re + r).abs() < 1e-12, "t={t}");
            assert!((b1.values()[i].re - r).abs() < 1e-12, "t={t}");
        }
        if t == 0.0 {
            // on the exceptional point itself: unbounded slopes, reported as ∞, never NaN
            assert!(b0.slopes()[i].re.is_infinite() && b1.slopes()[i].im.is_infinite());
            assert!(b0.condition()[i] > 1e6);
        } else {
            // λ′ = ±1/(2√t)
            let s = 0.5 / r;
            let got = b1.slopes()[i];
            assert!(
                (got.norm() - s).abs() < 1e-6 * s,
                "t={t}: {got} vs |λ′| = {s}"
            );
        }
    }
}

/// 6. [[0, 1], [−1, −2ζ]], ζ ∈ [−2, 2]: EPs at ζ = ±1, Re λ = 0 at ζ = 0.
#[test]
fn damped_oscillator_exceptional_points_and_level() {
    let tr = Tracker::new()
        .level(Part::Re, 0.0)
        .unwrap()
        .track(
            |z: f64| DMatrix::from_row_slice(2, 2, &[0.0, 1.0, -1.0, -2.0 * z]),
            -2.0..=2.0,
        )
        .unwrap();
    let ep: Vec<f64> = events_of(&tr, "exceptional_point")
        .iter()
        .map(|e| e.t())
        .collect();
    assert_eq!(ep.len(), 2, "{:?}", tr.events());
    assert!(
        (ep[0] + 1.0).abs() < 1e-6 && (ep[1] - 1.0).abs() < 1e-6,
        "{ep:?}"
    );
    let lv: Vec<_> = events_of(&tr, "level");
    assert_eq!(lv.len(), 2, "{:?}", tr.events());
    for e in &lv {
        assert!(e.t().abs() < 1e-12, "{e:?}");
    }
    for (i, &z) in tr.samples().iter().enumerate() {
        let (a, b) = (tr.branches()[0].values()[i], tr.branches()[1].values()[i]);
        if z.abs() < 1.0 - 1e-9 {
            assert_eq!(a, b.conj(), "ζ={z}");
            assert!((a.re + z).abs() < 1e-12);
        }
        // λ = −ζ ± √(ζ² − 1)
        let disc = Complex64::new(z * z - 1.0, 0.0).sqrt();
        let exact = [-z - disc, -z + disc];
        let ok = (a - exact[0]).norm().min((a - exact[1]).norm()) < 1e-6;
        assert!(ok, "ζ={z}: {a}");
    }
}

/// 7. R(t)·diag(1, 1, t)·R(t)ᵀ on [0, 2].
#[test]
fn persistent_double_eigenvalue() {
    let k = [1.0 / 3f64.sqrt(); 3];
    let tr = track(
        move |t: f64| {
            let r = rot3(k, t);
            let d = DMatrix::from_diagonal(&nalgebra::DVector::from_vec(vec![1.0, 1.0, t]));
            &r * d * r.transpose()
        },
        0.0..=2.0,
    )
    .unwrap();
    let b = tr.branches();
    for (i, &t) in tr.samples().iter().enumerate() {
        assert!((b[0].values()[i].re - t).abs() < 1e-12, "t={t}");
        assert!((b[0].slopes()[i].re - 1.0).abs() < 1e-8, "t={t}");
        for k in [1, 2] {
            assert!((b[k].values()[i].re - 1.0).abs() < 1e-12, "t={t}");
            assert!(
                b[k].slopes()[i].re.abs() < 1e-8,
                "t={t}: {}",
                b[k].slopes()[i]
            );
        }
    }
    let c = crossings(&tr);
    assert_eq!(c.len(), 2, "{:?}", tr.events());
    for e in &c {
        assert!((e.t() - 1.0).abs() < 1e-10);
        assert!(e.branches().contains(&0));
    }
    assert_eq!(tr.events().len(), 2, "{:?}", tr.events());
}

/// A naive reference tracker: eigh on a fine grid, optimal assignment on |overlap|.
fn reference_hermitian(f: &dyn Fn(f64) -> DMatrix<Complex64>, grid: &[f64]) -> Vec<Vec<f64>> {
    let e0 = eigentrack::eigh(&f(grid[0])).unwrap();
    let n = e0.len();
    let mut x = e0.right().clone();
    let mut out: Vec<Vec<f64>> = e0.values().iter().map(|v| vec![v.re]).collect();
    for &t in &grid[1..] {
        let e = eigentrack::eigh(&f(t)).unwrap();
        let o = x.adjoint() * e.right();
        let w: Vec<i64> = o
            .transpose()
            .iter()
            .map(|z| (z.norm() * 1e12) as i64)
            .collect();
        let m = pathfinding::matrix::Matrix::from_vec(n, n, w).unwrap();
        let (_, a) = pathfinding::kuhn_munkres::kuhn_munkres(&m);
        let mut xn = x.clone();
        for k in 0..n {
            xn.set_column(k, &e.right().column(a[k]));
            out[k].push(e.values()[a[k]].re);
        }
        x = xn;
    }
    out
}

/// 8. Random complex Hermitian H₀ + tH₁ (n = 30) against a 100× finer reference.
#[test]
fn random_hermitian_matches_fine_reference() {
    let n = 30;
    let (h0, h1) = (random_hermitian(n, 7), random_hermitian(n, 8));
    let f = move |t: f64| &h0 + &h1 * Complex64::new(t, 0.0);
    let coarse = 21;
    let tr = Tracker::new()
        .samples(coarse)
        .unwrap()
        .hermitian(HermitianMode::Yes)
        .track(&f, 0.0..=1.0)
        .unwrap();
    let fine: Vec<f64> = (0..=100 * (coarse - 1))
        .map(|k| k as f64 / (100.0 * (coarse - 1) as f64))
        .collect();
    let reference = reference_hermitian(&f, &fine);
    for (k, rk) in reference.iter().enumerate() {
        for s in 0..coarse {
            let v = tr.branches()[k].values()[s].re;
            let r = rk[100 * s];
            assert!((v - r).abs() < 1e-10, "branch {k} sample {s}: {v} vs {r}");
        }
    }
}

/// 9. The order in which the decomposition returns eigenpairs does not matter.
#[test]
fn shuffled_decompositions_give_the_same_result() {
    let n = 20;
    let f = rotating(n);
    let a = Tracker::new()
        .samples(41)
        .unwrap()
        .track(&f, 0.0..=1.0)
        .unwrap();
    for seed in [1, 2, 3] {
        let b = Tracker::new()
            .samples(41)
            .unwrap()
            .shuffle_decompositions(seed)
            .track(&f, 0.0..=1.0)
            .unwrap();
        for k in 0..n {
            assert_eq!(
                a.branches()[k].values(),
                b.branches()[k].values(),
                "branch {k}"
            );
            for (p, q) in a.branches()[k]
                .slopes()
                .iter()
                .zip(b.branches()[k].slopes())
            {
                assert!((p - q).norm() < 1e-9);
            }
        }
        assert_eq!(a.events().len(), b.events().len());
        for p in a.events() {
            let found = b.events().iter().any(|q| {
                q.kind() == p.kind()
                    && q.branches() == p.branches()
                    && (p.t() - q.t()).abs() < 1e-12
            });
            assert!(found, "seed {seed}: {p} not found");
        }
    }
}

#[test]
fn complex_families_work_too() {
    // PT dimer [[iγ, 1], [1, −iγ]]: ±√(1 − γ²), exceptional point at γ = 1
    let tr = track(
        |g: f64| {
            DMatrix::from_row_slice(
                2,
                2,
                &[
                    Complex64::new(0.0, g),
                    Complex64::new(1.0, 0.0),
                    Complex64::new(1.0, 0.0),
                    Complex64::new(0.0, -g),
                ],
            )
        },
        0.0..=2.0,
    )
    .unwrap();
    let ep: Vec<_> = events_of(&tr, "exceptional_point");
    assert_eq!(ep.len(), 1, "{:?}", tr.events());
    assert!((ep[0].t() - 1.0).abs() < 1e-6, "{:?}", ep[0]);
    for (i, &g) in tr.samples().iter().enumerate() {
        let e = Complex64::new(1.0 - g * g, 0.0).sqrt();
        let v = tr.branches()[1].values()[i];
        assert!((v - e).norm() < 1e-7 || (v + e).norm() < 1e-7, "γ={g}: {v}");
        if g < 1.0 - 1e-6 {
            assert!(
                (v - e).norm() < 1e-10,
                "γ={g}: branch 1 = +√(1−γ²), got {v}"
            );
        }
    }
}

#[test]
fn bad_input_gives_errors_not_panics() {
    // NaN from t = 0.5 on
    let err = track(
        |t: f64| DMatrix::from_element(2, 2, if t >= 0.5 { f64::NAN } else { t }),
        0.0..=1.0,
    )
    .unwrap_err();
    match err {
        Error::NonFinite { at, .. } => assert!(at.0.unwrap() >= 0.5 - 1e-3, "{at:?}"),
        other => panic!("{other:?}"),
    }
    // the size changes
    let err = track(
        |t: f64| DMatrix::<f64>::identity(if t > 0.3 { 3 } else { 2 }, if t > 0.3 { 3 } else { 2 }),
        0.0..=1.0,
    )
    .unwrap_err();
    match err {
        Error::SizeChanged { expected, found, t } => {
            assert_eq!((expected, found), (2, 3));
            assert!(t > 0.3, "{t} {err:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err_string(track(|_t: f64| DMatrix::<f64>::zeros(2, 3), 0.0..=1.0)).contains("2×3"));
    assert!(matches!(
        track(|t: f64| DMatrix::from_element(1, 1, t), 0.0..=f64::NAN),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(Tracker::new().samples(1).is_err());
    assert!(Tracker::new().h_min(0.0).is_err());
    assert!(Tracker::new().min_overlap(1.5).is_err());
    assert!(Tracker::new().level(Part::Re, f64::INFINITY).is_err());
    assert!(Tracker::new()
        .track_family_on(&|t: f64| DMatrix::from_element(1, 1, t), &[0.0, 1.0, 0.5])
        .is_err());
}

fn err_string(r: eigentrack::Result<eigentrack::Tracking>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn single_point_backwards_and_custom_grids() {
    let one = track(crossing, 0.3..=0.3).unwrap();
    assert_eq!(one.samples(), &[0.3]);
    assert_eq!(one.branches().len(), 2);
    // backwards: from 1.5 down to −1; branch 0 is the smaller eigenvalue at t = 1.5,
    // which is λ = t
    let back = track(crossing, 1.5..=-1.0).unwrap();
    assert_eq!(back.samples()[0], 1.5);
    assert_eq!(*back.samples().last().unwrap(), -1.0);
    for (i, &t) in back.samples().iter().enumerate() {
        assert!((back.branches()[0].values()[i].re - t).abs() < 1e-12);
    }
    assert_eq!(crossings(&back).len(), 2);
    assert!(crossings(&back)[0].t() > crossings(&back)[1].t());
    let grid = [-1.0, -0.2, 0.0, 0.1, 0.7468, 1.5];
    let g = Tracker::new()
        .keep_vectors(true)
        .track_family_on(&crossing, &grid)
        .unwrap();
    assert_eq!(g.samples(), &grid);
    for (i, &t) in grid.iter().enumerate() {
        assert!((g.branches()[0].values()[i].re - t).abs() < 1e-12);
    }
    // vectors kept: unit, eigenvectors of A(t), parallel transported (overlap real > 0)
    let xs = g.branches()[0].right_vectors().unwrap();
    for (i, &t) in grid.iter().enumerate() {
        let a = crossing(t).map(|v| Complex64::new(v, 0.0));
        let x = &xs[i];
        assert!((x.norm() - 1.0).abs() < 1e-14);
        assert!((&a * x - x * Complex64::new(t, 0.0)).norm() < 1e-12);
        if i > 0 {
            let o = xs[i - 1].dotc(x);
            assert!(o.im.abs() < 1e-12 && o.re > 0.0, "{o}");
        }
    }
    // without vectors nothing is kept
    assert!(one.branches()[0].right_vectors().is_none());
}

#[test]
fn summary_and_exports() {
    let tr = track(crossing, -1.0..=1.5).unwrap();
    let s = tr.to_string();
    assert!(s.contains("2 branches") && s.contains("crossing"), "{s}");
    let csv = tr.to_csv();
    assert!(csv.starts_with("t,branch,re,im,slope_re,slope_im\n"));
    assert_eq!(csv.lines().count(), 1 + 2 * 201);
    let j = tr.to_json();
    assert_eq!(j["samples"].as_array().unwrap().len(), 201);
    assert_eq!(j["branches"][1]["re"].as_array().unwrap().len(), 201);
    assert_eq!(j["events"][0]["kind"], "crossing");
    // sorted view swaps at the crossings
    let sorted = tr.sorted();
    assert!((sorted[0][200].0.re - 1.5).abs() < 1e-12);
    assert!((sorted[0][0].0.re + 1.0).abs() < 1e-12);
    assert!((sorted[0][100].0.re - tr.branches()[1].values()[100].re).abs() < 1e-15);
}

#[test]
fn curvatures_can_be_switched_off() {
    let with = track(landau_zener(0.1), -1.0..=1.0).unwrap();
    let without = Tracker::new()
        .curvatures(false)
        .policy(CrossingPolicy::Diabatic)
        .track(landau_zener(0.1), -1.0..=1.0)
        .unwrap();
    assert!(without.branches()[0].curvatures().is_empty());
    assert_eq!(with.branches()[0].curvatures().len(), 201);
    // the adiabatic values are the same, here exchanged after the avoided crossing
    assert_eq!(
        with.branches()[0].values()[50],
        without.branches()[0].values()[50]
    );
    assert_eq!(
        with.branches()[1].values()[150],
        without.branches()[0].values()[150]
    );
    assert!(without.to_json()["branches"][0].get("curv_re").is_none());
}

#[test]
fn events_can_be_switched_off() {
    let tr = Tracker::new()
        .locate_events(false)
        .track(crossing, -1.0..=1.5)
        .unwrap();
    assert!(tr.events().is_empty());
    // the branches are the same
    for (i, &t) in tr.samples().iter().enumerate() {
        assert!((tr.branches()[0].values()[i].re - t).abs() < 1e-12);
    }
    // the diabatic policy needs its avoided crossings: it locates them anyway and the
    // branches follow ±t, not the adiabatic ∓√(t² + g²)
    let tr = Tracker::new()
        .locate_events(false)
        .policy(CrossingPolicy::Diabatic)
        .track(landau_zener(1e-3), -1.0..=1.0)
        .unwrap();
    assert_eq!(events_of(&tr, "avoided_crossing").len(), 1);
    for (i, &t) in tr.samples().iter().enumerate() {
        assert!(
            (tr.branches()[0].values()[i].re - t).abs() <= 1.0001e-3,
            "{t}"
        );
    }
}

/// Regression: at entries of 1e±200 the products of couplings over- or underflowed, the
/// avoided crossing was missed and the curvatures came out infinite.
#[test]
fn extreme_scales_keep_events_and_curvatures() {
    for s in [1e200, 1e-200] {
        // the gap 2s is broad (the grid shows it): reported on request
        let tr = Tracker::new()
            .samples(21)
            .unwrap()
            .avoided_gap_max(f64::INFINITY)
            .unwrap()
            .track(
                move |t: f64| DMatrix::from_row_slice(2, 2, &[s * t, s, s, -s * t]),
                -1.0..=1.0,
            )
            .unwrap();
        let ac: Vec<_> = events_of(&tr, "avoided_crossing");
        assert_eq!(ac.len(), 1, "scale {s:e}: {:?}", tr.events());
        match ac[0] {
            Event::AvoidedCrossing { t, gap, .. } => {
                assert!(
                    t.abs() < 1e-10 && (gap / s - 2.0).abs() < 1e-12,
                    "{t} {gap:e}"
                );
            }
            other => panic!("{other:?}"),
        }
        // λ = ∓s√(t² + 1): λ″ = ∓s/(t² + 1)^{3/2}
        for (i, &t) in tr.samples().iter().enumerate() {
            let c = tr.branches()[0].curvatures()[i].re / s;
            let exact = -1.0 / (t * t + 1.0).powf(1.5);
            assert!(
                (c - exact).abs() < 1e-6,
                "scale {s:e}, t = {t}: {c} vs {exact}"
            );
        }
    }
}

/// Lean tracks (slopes only) compute λᵢ′ = yᵢᴴA′xᵢ by specialised products (a triangular
/// one on the symmetric part for Hermitian input, packed conjugate pairs for real input):
/// they must equal the plain formula on the kept vectors, and the slopes of full tracks.
fn check_lean_slopes<T: eigentrack::Element>(
    a0: DMatrix<T>,
    a1: DMatrix<T>,
    mode: HermitianMode,
    expect_real_slopes: bool,
) {
    let da: DMatrix<Complex64> = a1.map(|v| v.to_c64());
    let scale = da.norm();
    let fam = eigentrack::Polynomial::new(vec![a0, a1]).unwrap();
    let lean = Tracker::new()
        .samples(11)
        .unwrap()
        .hermitian(mode)
        .curvatures(false)
        .locate_events(false)
        .keep_vectors(true)
        .track_family(&fam, 0.0..=1.0)
        .unwrap();
    let full = Tracker::new()
        .samples(11)
        .unwrap()
        .hermitian(mode)
        .track_family(&fam, 0.0..=1.0)
        .unwrap();
    let mut pairs = 0;
    for (b, bf) in lean.branches().iter().zip(full.branches()) {
        let (xs, ys) = (b.right_vectors().unwrap(), b.left_vectors().unwrap());
        for k in 0..11 {
            let exact = ys[k].dotc(&(&da * &xs[k]));
            let s = b.slopes()[k];
            assert!((s - exact).norm() <= 1e-11 * scale, "{s} vs {exact}");
            assert!(
                (s - bf.slopes()[k]).norm() <= 1e-11 * scale,
                "{k} {s} {} {} {}",
                bf.slopes()[k],
                b.values()[k],
                bf.values()[k]
            );
            if expect_real_slopes {
                assert_eq!(s.im, 0.0);
            }
            if T::IS_REAL && b.values()[k].im > 0.0 {
                // the conjugate partner's slope is the exact conjugate
                let partner = lean
                    .branches()
                    .iter()
                    .find(|o| o.values()[k] == b.values()[k].conj())
                    .unwrap();
                assert_eq!(partner.slopes()[k], s.conj());
                pairs += 1;
            }
        }
    }
    // the real general family has conjugate pairs: the packed path was exercised
    assert_eq!(pairs > 0, T::IS_REAL && !expect_real_slopes);
}

#[test]
fn lean_slopes_are_the_quadratic_forms() {
    let n = 24;
    let (h0, h1) = (random_hermitian(n, 1), random_hermitian(n, 2));
    let re = |h: &DMatrix<Complex64>| h.map(|z| z.re);
    let general = |s: u64| &re(&random_hermitian(n, s)) + random_hermitian(n, s + 1).map(|z| z.im);
    // real symmetric, declared and detected
    check_lean_slopes(re(&h0), re(&h1), HermitianMode::Yes, true);
    check_lean_slopes(re(&h0), re(&h1), HermitianMode::Auto, true);
    // complex Hermitian
    check_lean_slopes(h0.clone(), h1.clone(), HermitianMode::Auto, true);
    // real general, with conjugate pairs
    let (g0, g1) = (general(3), general(5));
    check_lean_slopes(g0.clone(), g1.clone(), HermitianMode::No, false);
    // complex general
    check_lean_slopes(
        g0.map(|v| Complex64::new(v, 0.3 * v)),
        &h1 + g1.map(|v| Complex64::new(v, 0.0)),
        HermitianMode::No,
        false,
    );
}

/// A generic Hermitian family has no crossings (von Neumann–Wigner): its adiabatic
/// branches are the sorted eigenvalues at every sample. On a coarse grid many avoided
/// crossings are narrower than the step and look like crossings from the ends; each must
/// be resolved, not followed diabatically.
#[test]
fn generic_hermitian_branches_stay_sorted_on_coarse_grids() {
    let n = 24;
    let (h0, h1) = (random_hermitian(n, 1), random_hermitian(n, 2));
    let re = |h: &DMatrix<Complex64>| h.map(|z| z.re);
    let real = eigentrack::Polynomial::new(vec![re(&h0), re(&h1)]).unwrap();
    let complex = eigentrack::Polynomial::new(vec![h0, h1]).unwrap();
    for samples in [11, 21] {
        for full in [false, true] {
            let tracker = Tracker::new()
                .samples(samples)
                .unwrap()
                .curvatures(full)
                .locate_events(full);
            let tracks = [
                tracker.track_family(&real, 0.0..=1.0).unwrap(),
                tracker.track_family(&complex, 0.0..=1.0).unwrap(),
            ];
            for tr in &tracks {
                for k in 0..samples {
                    for i in 1..n {
                        let (lo, hi) = (
                            tr.branches()[i - 1].values()[k],
                            tr.branches()[i].values()[k],
                        );
                        assert!(lo.re < hi.re, "samples {samples}, full {full}, t = {}, branches {} and {i}: {lo} ≥ {hi}", tr.samples()[k], i - 1);
                    }
                }
                assert_eq!(tr.stats().unresolved_steps, 0);
                if full {
                    assert!(crossings(tr).is_empty(), "{:?}", crossings(tr));
                    assert!(!events_of(tr, "avoided_crossing").is_empty());
                }
            }
        }
    }
}

/// With fresh decompositions alone ([`Resolution::Refine`]) an avoided crossing narrower
/// than h_min cannot be resolved: the step across it is kept and reported as unresolved —
/// never as a crossing, never silently.
#[test]
fn refine_leaves_avoided_crossing_below_h_min_unresolved() {
    let (c, g) = (0.0123, 1e-5);
    let family = move |t: f64| DMatrix::from_row_slice(2, 2, &[t - c, g, g, -(t - c)]);
    for events in [true, false] {
        let tr = Tracker::new()
            .resolution(Resolution::Refine)
            .samples(11)
            .unwrap()
            .h_min(1e-3)
            .unwrap()
            .locate_events(events)
            .track(family, -1.0..=1.0)
            .unwrap();
        assert!(crossings(&tr).is_empty(), "{:?}", tr.events());
        let unresolved = events_of(&tr, "unresolved");
        assert_eq!(unresolved.len(), 1, "{:?}", tr.events());
        match unresolved[0] {
            Event::Unresolved {
                t_start,
                t_end,
                branches,
            } => {
                assert_eq!(*branches, vec![0, 1]);
                assert!(*t_start <= c && c <= *t_end, "[{t_start}, {t_end}]");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(tr.stats().unresolved_steps, 1);
    }
}

/// The default local resolution answers the same step on its model without refining it:
/// the gap 2g is certified at t* = c, the branches stay adiabatic, and the avoided
/// crossing (sharp: 2g ≪ |Δslope| × spacing = 0.4) is an event, never unresolved.
#[test]
fn avoided_crossing_below_h_min_is_certified_locally() {
    let (c, g) = (0.0123, 1e-5);
    let family = move |t: f64| DMatrix::from_row_slice(2, 2, &[t - c, g, g, -(t - c)]);
    for events in [true, false] {
        let tr = Tracker::new()
            .samples(11)
            .unwrap()
            .h_min(1e-3)
            .unwrap()
            .locate_events(events)
            .track(family, -1.0..=1.0)
            .unwrap();
        assert!(crossings(&tr).is_empty(), "{:?}", tr.events());
        assert!(events_of(&tr, "unresolved").is_empty(), "{:?}", tr.events());
        assert_eq!(tr.stats().unresolved_steps, 0);
        assert_eq!(tr.stats().decompositions, 11);
        for (i, &t) in tr.samples().iter().enumerate() {
            let exact = -((t - c).powi(2) + g * g).sqrt();
            assert!((tr.branches()[0].values()[i].re - exact).abs() < 1e-14);
        }
        let ac = events_of(&tr, "avoided_crossing");
        if events {
            assert_eq!(ac.len(), 1, "{:?}", tr.events());
            match ac[0] {
                Event::AvoidedCrossing {
                    t, gap, gap_bounds, ..
                } => {
                    assert!((t - c).abs() < 1e-9, "{t}");
                    assert!((gap - 2.0 * g).abs() < 1e-15, "{gap:e}");
                    assert!(gap_bounds[0] <= 2.0 * g && 2.0 * g <= gap_bounds[1]);
                }
                other => panic!("{other:?}"),
            }
        } else {
            assert!(ac.is_empty());
        }
    }
}

/// A(t) can be Hermitian at one t while A′(t) is not: A(t) = diag(0, 1) + t·diag(i, 0)
/// is Hermitian at t = 0 only, where λ₀ = it has slope i. With Y = X read from the
/// Hermitian decomposition, the Hermitian-part shortcut would give slope 0 there; the
/// same at a zero matrix under a non-orthogonal similarity, where A(0) = 0.
#[test]
fn hermitian_sample_of_a_non_hermitian_family_keeps_exact_slopes() {
    let c = |re: f64, im: f64| Complex64::new(re, im);
    let a0 = DMatrix::from_row_slice(2, 2, &[c(0.0, 0.0), c(0.0, 0.0), c(0.0, 0.0), c(1.0, 0.0)]);
    let a1 = DMatrix::from_row_slice(2, 2, &[c(0.0, 1.0), c(0.0, 0.0), c(0.0, 0.0), c(0.0, 0.0)]);
    let fam = eigentrack::Polynomial::new(vec![a0, a1]).unwrap();
    for full in [false, true] {
        let tr = Tracker::new()
            .curvatures(full)
            .track_family_on(&fam, &[-1.0, -0.5, 0.0, 0.5, 1.0])
            .unwrap();
        for b in tr.branches() {
            let want = if b.values()[0].im != 0.0 {
                c(0.0, 1.0)
            } else {
                c(0.0, 0.0)
            };
            for (k, s) in b.slopes().iter().enumerate() {
                assert!(
                    (s - want).norm() < 1e-14,
                    "full {full}, sample {k}: {s} ≠ {want}"
                );
            }
        }
    }
    // A(t) = S diag(t, 2t) S⁻¹ is the zero matrix at t = 0
    let (s, si) = similarity();
    let fam = WithDerivative(
        move |t: f64| &s * DMatrix::from_diagonal(&DVector::from_vec(vec![t, 2.0 * t])) * &si,
        {
            let (s, si) = similarity();
            move |_t: f64| &s * DMatrix::from_diagonal(&DVector::from_vec(vec![1.0, 2.0])) * &si
        },
    );
    for full in [false, true] {
        let tr = Tracker::new()
            .curvatures(full)
            .track_family_on(&fam, &[-1.0, 0.0, 1.0])
            .unwrap();
        for (b, want) in tr.branches().iter().zip([2.0, 1.0]) {
            for s in b.slopes() {
                assert!(
                    (s.re - want).abs() < 1e-12 && s.im == 0.0,
                    "full {full}: {s}"
                );
            }
        }
    }
}

/// The progress callback sees every accepted step in order, ends at fraction 1 with the
/// final statistics, and stops the track where it says so.
#[test]
fn progress_callback_sees_every_step_and_can_stop() {
    use eigentrack::Progress;
    use std::ops::ControlFlow;
    use std::sync::{Arc, Mutex};
    let seen: Arc<Mutex<Vec<(f64, f64, usize)>>> = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let tr = Tracker::new()
        .samples(21)
        .unwrap()
        .progress(move |p: &Progress| {
            log.lock()
                .unwrap()
                .push((p.fraction, p.t, p.stats.accepted_steps));
            ControlFlow::Continue(())
        })
        .track(crossing, -1.0..=1.5)
        .unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), tr.stats().accepted_steps);
    for (k, w) in seen.windows(2).enumerate() {
        assert!(w[1].0 >= w[0].0 && w[1].1 > w[0].1, "step {k}: {w:?}");
        assert_eq!(w[1].2, w[0].2 + 1);
    }
    let last = seen.last().unwrap();
    assert_eq!((last.0, last.1), (1.0, 1.5));
    assert!((seen[0].0 - (seen[0].1 + 1.0) / 2.5).abs() < 1e-12);
    // stop once past t = 0: the error names the t reached, the first one past 0
    let err = Tracker::new()
        .samples(21)
        .unwrap()
        .progress(|p: &Progress| {
            if p.t > 0.0 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .track(crossing, -1.0..=1.5)
        .unwrap_err();
    match err {
        eigentrack::Error::Interrupted { t } => assert!(t > 0.0 && t <= 0.125 + 1e-12, "{t}"),
        e => panic!("{e}"),
    }
}

/// Issue 15: the work budget. The 3×3 family sin(t)·D + cos(3t)·T on [0, 1e6] with 11
/// samples (10⁵ periods between samples) ends with `Error::Budget`, in well under a second.
fn oscillating_3x3(t: f64) -> DMatrix<f64> {
    let (s, c) = (t.sin(), (3.0 * t).cos());
    DMatrix::from_row_slice(3, 3, &[s, c, 0.0, c, 2.0 * s, c, 0.0, c, 3.0 * s])
}

#[test]
fn budget_ends_an_unresolvable_track() {
    for resolution in [Resolution::Local, Resolution::Refine] {
        let start = std::time::Instant::now();
        let err = Tracker::new()
            .samples(11)
            .unwrap()
            .resolution(resolution)
            .max_decompositions(100)
            .unwrap()
            .track(oscillating_3x3, 0.0..=1e6)
            .unwrap_err();
        assert!(start.elapsed().as_secs_f64() < 1.0, "{resolution:?}");
        match &err {
            Error::Budget { t, used, budget } => {
                assert_eq!((*used, *budget), (100, 100));
                assert!((0.0..1e6).contains(t), "t reached {t}");
            }
            other => panic!("expected Budget, got {other:?}"),
        }
        let msg = err.to_string();
        assert!(
            msg.starts_with(
                "work budget spent: 100 of 100 decompositions used, the track reached t = "
            ),
            "{msg}"
        );
    }
}

#[test]
fn budget_is_exact_and_reported_in_stats() {
    // Landau–Zener with a narrow gap: local models, certificates and an event
    let a = |t: f64| DMatrix::from_row_slice(2, 2, &[t, 1e-3, 1e-3, -t]);
    let tracker = Tracker::new().samples(41).unwrap();
    let tr = tracker.track(a, -1.0..=1.0).unwrap();
    let s = *tr.stats();
    assert_eq!(s.budget, 64 * 41 + 1024);
    assert!(s.budget_used >= s.decompositions && s.budget_used <= s.budget);
    assert_eq!(tr.to_json()["stats"]["budget"], s.budget);
    assert_eq!(tr.to_json()["stats"]["budget_used"], s.budget_used);
    // the same track fits a budget of exactly what it used, and not one less
    let exact = tracker.clone().max_decompositions(s.budget_used).unwrap();
    let again = exact.track(a, -1.0..=1.0).unwrap();
    assert_eq!(again.stats().budget_used, s.budget_used);
    assert_eq!(again.stats().budget, s.budget_used);
    let short = tracker.max_decompositions(s.budget_used - 1).unwrap();
    assert!(matches!(
        short.track(a, -1.0..=1.0),
        Err(Error::Budget { used, budget, .. }) if used == budget && budget == s.budget_used - 1
    ));
    assert!(matches!(
        Tracker::new().max_decompositions(0),
        Err(Error::InvalidArgument {
            name: "max_decompositions",
            ..
        })
    ));
}

/// Issue 15: a range whose length overflows f64 ([−1e308, 1e308]: b − a = ∞) is sampled
/// in halves and stepped with finite steps.
#[test]
fn range_whose_length_overflows() {
    let fam = WithDerivative(
        |t: f64| DMatrix::from_row_slice(2, 2, &[0.5 * t, 0.0, 0.0, -0.25 * t]),
        |_: f64| DMatrix::from_row_slice(2, 2, &[0.5, 0.0, 0.0, -0.25]),
    );
    let tr = Tracker::new()
        .samples(5)
        .unwrap()
        .track_family(&fam, -1e308..=1e308)
        .unwrap();
    assert_eq!(tr.samples(), &[-1e308, -5e307, 0.0, 5e307, 1e308]);
    // branch 0 starts as the smaller, t/2 at t = −1e308; they cross at t = 0
    for (i, &t) in tr.samples().iter().enumerate() {
        let (b0, b1) = (
            tr.branches()[0].values()[i].re,
            tr.branches()[1].values()[i].re,
        );
        assert!((b0 - 0.5 * t).abs() <= 1e-15 * t.abs(), "{t}: {b0}");
        assert!((b1 + 0.25 * t).abs() <= 1e-15 * t.abs(), "{t}: {b1}");
    }
    let crossings = crossings(&tr);
    assert_eq!(crossings.len(), 1);
    assert!(
        crossings[0].t().abs() <= 1e-12 * 1e308,
        "{}",
        crossings[0].t()
    );
}

/// The Dirichlet Laplacian of an s × s × s cube plus t·I/100: its eigenvalues
/// μᵢ + μⱼ + μₖ + t/100 are three- and six-fold for every t (symmetry), so the basis of
/// each group is arbitrary at every sample. The pairing accepts a branch whose vector lies
/// in its group's eigenspace (the basis is then aligned), so no step is halved (before, the
/// track ran out of budget), and every branch keeps one exact eigenvalue with slope 1/100.
#[test]
fn persistently_degenerate_groups_need_no_refinement() {
    let s = 5;
    let n = s * s * s;
    let (l, _) = common::realistic::separable_cube(s, &[0.0; 5]);
    let mu: Vec<f64> = (1..=s)
        .map(|i| {
            4.0 * (i as f64 * std::f64::consts::PI / (2.0 * (s + 1) as f64))
                .sin()
                .powi(2)
        })
        .collect();
    let mut exact = Vec::new();
    for a in &mu {
        for b in &mu {
            for c in &mu {
                exact.push(a + b + c);
            }
        }
    }
    exact.sort_by(f64::total_cmp);
    let tr = Tracker::new()
        .samples(11)
        .unwrap()
        .track(
            |t: f64| &l + DMatrix::<f64>::identity(n, n) * (0.01 * t),
            0.0..=1.0,
        )
        .unwrap();
    assert_eq!(tr.stats().rejected_steps, 0);
    assert_eq!(tr.stats().unresolved_steps, 0);
    // parallel levels have no gap minimum
    assert_eq!(tr.stats().avoided_crossings, 0);
    assert!(tr.events().is_empty(), "{:?}", tr.events());
    for (bi, b) in tr.branches().iter().enumerate() {
        let l0 = exact[bi];
        for (si, &t) in tr.samples().iter().enumerate() {
            assert!(
                (b.values()[si].re - (l0 + 0.01 * t)).abs() <= 1e-11,
                "branch {bi} at t = {t}: {} vs {}",
                b.values()[si].re,
                l0 + 0.01 * t
            );
            // a closure: A′ by finite differences
            assert!(
                (b.slopes()[si].re - 0.01).abs() <= 1e-9,
                "branch {bi} at t = {t}: slope {}",
                b.slopes()[si]
            );
        }
    }
}
