//! Parameter sensitivities against analytic answers and finite differences of whole
//! tracks in p; sweeps: order, progress, first error.

use eigentrack::dual::DualNum;
use eigentrack::sensitivity::{
    sensitivities, sweep, sweep_sensitivities, sweep_tracks, DualParametric, DualParametricFn,
    Parametric, ParametricFamily,
};
use eigentrack::{Error, Event, Part, Tracker};
use nalgebra::DMatrix;
use num_complex::Complex64;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// R(t/2)·diag(p₀t, e^{p₁t²} − 1)·R(t/2)ᵀ: eigenvalues p₀t and e^{p₁t²} − 1.
fn crossing(t: f64, p: &[f64]) -> DMatrix<f64> {
    let (s, c) = (t / 2.0).sin_cos();
    let r = DMatrix::from_row_slice(2, 2, &[c, -s, s, c]);
    let d = DMatrix::from_row_slice(2, 2, &[p[0] * t, 0.0, 0.0, (p[1] * t * t).exp() - 1.0]);
    &r * d * r.transpose()
}

struct DualCrossing;

impl DualParametricFn for DualCrossing {
    fn n_params(&self) -> usize {
        2
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, t: D, p: &[D]) -> DMatrix<D> {
        let (s, c) = (t * 0.5).sin_cos();
        let r = DMatrix::from_row_slice(2, 2, &[c, -s, s, c]);
        let zero = D::from(0.0);
        let d = DMatrix::from_row_slice(2, 2, &[p[0] * t, zero, zero, (p[1] * t * t).exp() - 1.0]);
        let rt = r.transpose();
        &r * d * rt
    }
}

/// The positive root of p₀t = e^{p₁t²} − 1 (Newton).
fn t_star(p: &[f64]) -> f64 {
    let mut t: f64 = 0.75;
    for _ in 0..60 {
        let e = (p[1] * t * t).exp();
        t -= (p[0] * t - e + 1.0) / (p[0] - 2.0 * p[1] * t * e);
    }
    t
}

/// Analytic ∂λ/∂p of the two branches and dt*/dp of the second crossing.
fn analytic(t: f64, p: &[f64]) -> [[f64; 2]; 2] {
    let e = (p[1] * t * t).exp();
    [[t, 0.0], [0.0, t * t * e]]
}

fn analytic_dt_star(p: &[f64]) -> [f64; 2] {
    let t = t_star(p);
    let e = (p[1] * t * t).exp();
    let ft = p[0] - 2.0 * p[1] * t * e;
    [-t / ft, t * t * e / ft]
}

const P: [f64; 2] = [1.3, 0.8];

fn check_against_analytic(fam: &impl ParametricFamily<Elem = f64>, tol: f64) -> (f64, f64) {
    let s = sensitivities(&Tracker::new(), fam, &P, -1.0..=1.5).unwrap();
    let tr = s.tracking();
    let mut worst_l = 0.0f64;
    for (i, &t) in tr.samples().iter().enumerate() {
        let want = analytic(t, &P);
        for (b, wb) in want.iter().enumerate() {
            for (k, w) in wb.iter().enumerate() {
                let got = s.dlambda(b, k)[i];
                worst_l = worst_l.max((got - Complex64::new(*w, 0.0)).norm() / w.abs().max(1.0));
            }
        }
    }
    let crossings: Vec<_> = s
        .events()
        .iter()
        .filter(|e| tr.events()[e.event()].kind() == "crossing")
        .collect();
    assert_eq!(crossings.len(), 2, "{:?}", tr.events());
    // t* = 0 for every p
    assert!(crossings[0].t().abs() < 1e-10);
    for d in crossings[0].dt_dp().unwrap() {
        assert!(d.abs() < tol, "dt*/dp at t* = 0: {d}");
    }
    let ts = t_star(&P);
    assert!((crossings[1].t() - ts).abs() < 1e-10);
    let want = analytic_dt_star(&P);
    let got = crossings[1].dt_dp().unwrap();
    let mut worst_t = 0.0f64;
    for k in 0..2 {
        worst_t = worst_t.max((got[k] - want[k]).abs() / want[k].abs());
    }
    // the crossing persists under both parameters: no coupling
    for c in crossings[1].coupling() {
        assert!(*c < 1e-6, "coupling {c}");
    }
    assert!(worst_l <= tol, "∂λ/∂p error {worst_l:e}");
    assert!(worst_t <= tol, "dt*/dp error {worst_t:e}");
    (worst_l, worst_t)
}

#[test]
fn crossing_family_sensitivities_match_analytic_values() {
    let (l, t) = check_against_analytic(&Parametric::new(2, crossing), 1e-6);
    eprintln!("finite differences in p: ∂λ/∂p error {l:e}, dt*/dp error {t:e}");
    let (l, t) = check_against_analytic(&DualParametric(DualCrossing), 1e-12);
    eprintln!("dual numbers: ∂λ/∂p error {l:e}, dt*/dp error {t:e}");
}

#[test]
fn crossing_family_sensitivities_match_finite_differences_of_whole_tracks() {
    let fam = DualParametric(DualCrossing);
    let tracker = Tracker::new().samples(51).unwrap();
    let s = sensitivities(&tracker, &fam, &P, -1.0..=1.5).unwrap();
    let h = 1e-4;
    for k in 0..2 {
        let mut pp = P.to_vec();
        let mut pm = P.to_vec();
        pp[k] += h;
        pm[k] -= h;
        let up = tracker.track_family(&fam.at(&pp), -1.0..=1.5).unwrap();
        let down = tracker.track_family(&fam.at(&pm), -1.0..=1.5).unwrap();
        for b in 0..2 {
            for i in 0..up.samples().len() {
                let fd =
                    (up.branches()[b].values()[i] - down.branches()[b].values()[i]) / (2.0 * h);
                let got = s.dlambda(b, k)[i];
                let err = (fd - got).norm() / got.norm().max(1.0);
                assert!(err <= 1e-6, "k={k} b={b} i={i}: {got} vs {fd}");
            }
        }
        // the second crossing
        let tp = up
            .events()
            .iter()
            .filter(|e| e.kind() == "crossing")
            .nth(1)
            .unwrap()
            .t();
        let tm = down
            .events()
            .iter()
            .filter(|e| e.kind() == "crossing")
            .nth(1)
            .unwrap()
            .t();
        let fd = (tp - tm) / (2.0 * h);
        let got = s.events()[1].dt_dp().unwrap()[k];
        assert!(
            (fd - got).abs() / got.abs() <= 1e-6,
            "dt*/dp{k}: {got} vs {fd}"
        );
    }
}

/// ẍ + c(t)ẋ + p₀x = 0 with c = p₁t − p₂: λ = −c/2 ± i√(p₀ − c²/4).
fn oscillator(t: f64, p: &[f64]) -> DMatrix<f64> {
    DMatrix::from_row_slice(2, 2, &[0.0, 1.0, -p[0], -(p[1] * t - p[2])])
}

#[test]
fn level_event_sensitivities_match_analytic_values() {
    let p = [1.0, 1.0, 0.5];
    let tracker = Tracker::new()
        .level(Part::Re, 0.0)
        .unwrap()
        .level(Part::Im, 0.5)
        .unwrap();
    let s = sensitivities(&tracker, &Parametric::new(3, oscillator), &p, -1.0..=2.3).unwrap();
    let events = s.tracking().events();
    let mut seen_re = 0;
    let mut seen_im = 0;
    for es in s.events() {
        match &events[es.event()] {
            Event::Level {
                part: Part::Re, t, ..
            } => {
                // Re λ = 0 at t* = p₂/p₁
                assert!((t - 0.5).abs() < 1e-10);
                let want = [0.0, -p[2] / (p[1] * p[1]), 1.0 / p[1]];
                for (g, w) in es.dt_dp().unwrap().iter().zip(want) {
                    assert!((g - w).abs() < 1e-7, "Re level: {g} vs {w}");
                }
                seen_re += 1;
            }
            Event::Level {
                part: Part::Im, t, ..
            } => {
                // Im λ = 0.5 at t* = (p₂ + √(4p₀ − 1))/p₁
                let r = (4.0 * p[0] - 1.0).sqrt();
                let ts = (p[2] + r) / p[1];
                assert!((t - ts).abs() < 1e-10);
                let want = [2.0 / (p[1] * r), -ts / p[1], 1.0 / p[1]];
                for (g, w) in es.dt_dp().unwrap().iter().zip(want) {
                    assert!(
                        (g - w).abs() < 1e-7 * w.abs().max(1.0),
                        "Im level: {g} vs {w}"
                    );
                }
                seen_im += 1;
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
    // the conjugate pair crosses Re λ = 0 twice (one event per branch), Im λ = 0.5 once
    assert_eq!((seen_re, seen_im), (2, 1), "{events:?}");
}

#[test]
fn level_event_of_a_scalar_family() {
    // λ = (t − p₀)² crosses the level 1 at t = p₀ ± 1 (only p₀ − 1 is in range); it
    // touches 0 at t = p₀ without a sign change, which is no event
    let fam = Parametric::new(1, |t: f64, p: &[f64]| {
        DMatrix::from_element(1, 1, (t - p[0]).powi(2))
    });
    let tracker = Tracker::new()
        .samples(41)
        .unwrap()
        .level(Part::Re, 1.0)
        .unwrap();
    let s = sensitivities(&tracker, &fam, &[0.3], -1.0..=1.0).unwrap();
    // t* = p₀ − 1 = −0.7: dt*/dp₀ = 1
    assert_eq!(s.events().len(), 1);
    assert!((s.events()[0].t() + 0.7).abs() < 1e-10);
    assert!((s.events()[0].dt_dp().unwrap()[0] - 1.0).abs() < 1e-7);
}

#[test]
fn bad_parameter_vectors_are_errors() {
    let fam = Parametric::new(2, crossing);
    let t = Tracker::new();
    match sensitivities(&t, &fam, &[1.0], -1.0..=1.0) {
        Err(Error::InvalidArgument { name: "p", reason }) => {
            assert!(
                reason.contains("2 parameters") && reason.contains("has 1"),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
    match sensitivities(&t, &fam, &[1.0, f64::NAN], -1.0..=1.0) {
        Err(Error::InvalidArgument { name: "p", reason }) => {
            assert!(reason.contains("parameter 1"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    // ∂A/∂p with NaN (the family is NaN for p₀ > 10 only, which the difference reaches)
    let nan_fam = Parametric::new(1, |t: f64, p: &[f64]| {
        DMatrix::from_element(1, 1, if p[0] > 10.0 { f64::NAN } else { t * p[0] })
    });
    assert!(matches!(
        sensitivities(&t, &nan_fam, &[10.0], 0.0..=1.0),
        Err(Error::NonFinite {
            what: "∂A/∂p", ..
        })
    ));
    let ps = vec![vec![1.0, 1.0], vec![1.0, 1.0], vec![1.0], vec![2.0]];
    match sweep_tracks(&t, &fam, &ps, -1.0..=1.0, None) {
        Err(Error::Sweep {
            index,
            params,
            source,
        }) => {
            assert_eq!(index, 2);
            assert_eq!(params, vec![1.0]);
            assert!(matches!(*source, Error::InvalidArgument { name: "p", .. }));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn sweeps_keep_input_order_and_report_progress() {
    let fam = Parametric::new(2, crossing);
    let tracker = Tracker::new().samples(21).unwrap();
    let ps: Vec<Vec<f64>> = (0..16).map(|k| vec![0.5 + 0.1 * k as f64, 0.8]).collect();
    let calls = AtomicUsize::new(0);
    let seen = Mutex::new(Vec::new());
    let progress = |done: usize, total: usize| {
        calls.fetch_add(1, Ordering::Relaxed);
        seen.lock().unwrap().push((done, total));
    };
    let all = sweep_tracks(&tracker, &fam, &ps, -1.0..=1.5, Some(&progress)).unwrap();
    assert_eq!(all.len(), 16);
    for (tr, p) in all.iter().zip(&ps) {
        let one = tracker.track_family(&fam.at(p), -1.0..=1.5).unwrap();
        assert_eq!(tr.branches()[0].values(), one.branches()[0].values());
        assert_eq!(tr.branches()[1].values(), one.branches()[1].values());
        // branch 0 is p₀t: its last value identifies the parameter vector
        assert!((tr.branches()[0].values()[20].re - 1.5 * p[0]).abs() < 1e-12);
    }
    assert_eq!(calls.load(Ordering::Relaxed), 16);
    let mut seen = seen.into_inner().unwrap();
    seen.sort();
    assert_eq!(seen, (1..=16).map(|d| (d, 16)).collect::<Vec<_>>());
    // sensitivities in a sweep equal the one-at-a-time ones
    let sens = sweep_sensitivities(&tracker, &fam, &ps[..4], -1.0..=1.5, None).unwrap();
    for (s, p) in sens.iter().zip(&ps) {
        let one = sensitivities(&tracker, &fam, p, -1.0..=1.5).unwrap();
        assert_eq!(s.params(), p.as_slice());
        assert_eq!(s.dlambda(1, 1), one.dlambda(1, 1));
        assert_eq!(s.events(), one.events());
    }
}

#[test]
fn sweep_reports_the_first_error_in_input_order() {
    let ps: Vec<Vec<f64>> = (0..40).map(|k| vec![k as f64]).collect();
    for _ in 0..5 {
        let r = sweep(
            &ps,
            |p| {
                if p[0] == 7.0 || p[0] == 3.0 || p[0] == 31.0 {
                    Err(Error::InvalidArgument {
                        name: "p",
                        reason: format!("job {} fails", p[0]),
                    })
                } else {
                    Ok(p[0] * 2.0)
                }
            },
            None,
        );
        match r {
            Err(Error::Sweep {
                index,
                params,
                source,
            }) => {
                assert_eq!(index, 3);
                assert_eq!(params, vec![3.0]);
                assert!(source.to_string().contains("job 3 fails"));
            }
            other => panic!("{other:?}"),
        }
    }
    let ok = sweep(&ps, |p| Ok(p[0] * 2.0), None).unwrap();
    assert_eq!(ok, (0..40).map(|k| 2.0 * k as f64).collect::<Vec<_>>());
    let empty: Vec<f64> = sweep(&[], |p| Ok(p[0]), None).unwrap();
    assert!(empty.is_empty());
}

#[test]
fn dual_parametric_derivatives_are_exact() {
    let fam = DualParametric(DualCrossing);
    assert!(fam.exact_derivatives());
    for t in [-0.9, 0.0, 0.4, 1.3] {
        let d = fam.param_derivatives(t, &P);
        let (s, c) = (t / 2.0).sin_cos();
        let r = DMatrix::from_row_slice(2, 2, &[c, -s, s, c]);
        let e = (P[1] * t * t).exp();
        let d0 = &r * DMatrix::from_row_slice(2, 2, &[t, 0.0, 0.0, 0.0]) * r.transpose();
        let d1 = &r * DMatrix::from_row_slice(2, 2, &[0.0, 0.0, 0.0, t * t * e]) * r.transpose();
        assert!((&d[0] - d0).amax() < 1e-15);
        assert!((&d[1] - d1).amax() < 1e-14);
        assert_eq!(fam.jet(t, &P).a, fam.value(t, &P));
        assert!((fam.value(t, &P) - crossing(t, &P)).amax() < 1e-15);
    }
}
