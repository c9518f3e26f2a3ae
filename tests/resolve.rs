//! What a meeting is (module `resolve`): crossings, touchings, avoided crossings and
//! exceptional points decided at numerical resolution, on families whose answer is known
//! in closed form. Every test asserts branch identities and event kinds, not only values:
//! a swapped branch has right values and wrong answers.

mod common;

use common::rotor::{rotor, Rotor};
use eigentrack::dual::{DualComplexFamily, DualComplexMatrixFn, DualFamily, DualMatrixFn, DualNum};
use eigentrack::{Event, Resolution, Tracker, Tracking};
use nalgebra::DMatrix;
use num_complex::{Complex, Complex64};

type Result = std::result::Result<(), eigentrack::Error>;

fn kinds(tr: &Tracking) -> Vec<(&'static str, f64)> {
    tr.events().iter().map(|e| (e.kind(), e.t())).collect()
}

/// The rotation by θ(t) = 0.3t + 0.2 (constant when `rotate` is off), as duals.
fn rotation<D: DualNum<Primitive = f64> + Copy>(t: D, rotate: bool) -> [D; 2] {
    let th = if rotate { t * 0.3 + 0.2 } else { D::from(0.2) };
    [th.cos(), th.sin()]
}

/// R·diag(a, b)·Rᵀ with R = [[c, −s], [s, c]].
fn rotated<D: DualNum<Primitive = f64> + Copy>(a: D, b: D, [c, s]: [D; 2]) -> DMatrix<D> {
    let off = c * s * (a - b);
    DMatrix::from_row_slice(
        2,
        2,
        &[c * c * a + s * s * b, off, off, s * s * a + c * c * b],
    )
}

/// U·diag(a, b)·Uᴴ with U = [[c, −s·e^{−iφ}], [s·e^{iφ}, c]] (a unitary):
/// [[c²a + s²b, cs(a − b)e^{−iφ}], [cs(a − b)e^{iφ}, s²a + c²b]].
fn unitary<D: DualNum<Primitive = f64> + Copy>(
    a: D,
    b: D,
    [c, s]: [D; 2],
    phi: D,
) -> DMatrix<Complex<D>> {
    let (e_re, e_im) = (phi.cos(), phi.sin());
    let re = |x: D| Complex::new(x, D::from(0.0));
    let off = c * s * (a - b);
    DMatrix::from_row_slice(
        2,
        2,
        &[
            re(c * c * a + s * s * b),
            Complex::new(off * e_re, -(off * e_im)),
            Complex::new(off * e_re, off * e_im),
            re(s * s * a + c * c * b),
        ],
    )
}

/// R(t)·diag(c + t^k, c − t^k)·R(t)ᵀ: the contact of order k at t = 0 (crossing for odd
/// k, touching for even k), on a rotating basis when asked.
struct Contact {
    k: i32,
    rotate: bool,
    offset: f64,
}

impl DualMatrixFn for Contact {
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, t: D) -> DMatrix<D> {
        let [c, s] = rotation(t, self.rotate);
        let p = t.powi(self.k);
        rotated(p + self.offset, -p + self.offset, [c, s])
    }
}

/// The complex Hermitian version: U(t)·diag(c + t^k, c − t^k)·U(t)ᴴ with
/// U = [[c, −s·e^{−iφ}], [s·e^{iφ}, c]], φ = 0.7 + t (a rotating unitary).
struct ComplexContact {
    k: i32,
    offset: f64,
}

impl DualComplexMatrixFn for ComplexContact {
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, t: D) -> DMatrix<Complex<D>> {
        let p = t.powi(self.k);
        unitary(
            p + self.offset,
            -p + self.offset,
            rotation(t, true),
            t + 0.7,
        )
    }
}

/// Each branch stays on one of the analytic curves c ± t^k for the whole range: the one
/// it starts on (checked where the curves are apart).
fn assert_on_curves(tr: &Tracking, k: i32, offset: f64, what: &str) {
    let ts = tr.samples();
    for (b, branch) in tr.branches().iter().enumerate() {
        let v = branch.values();
        let sign = if v[0].re - offset > 0.0 { 1.0 } else { -1.0 };
        let start_sign = sign * ts[0].powi(k).signum();
        for (q, &t) in ts.iter().enumerate() {
            let curve = offset + start_sign * t.powi(k);
            let err = (v[q].re - curve).abs();
            assert!(
                err <= 1e-9 * (1.0 + offset.abs()),
                "{what}: branch {b} at t = {t} is {} but its curve gives {curve} (swapped)",
                v[q].re
            );
        }
    }
}

/// The one event expected at t = 0: a crossing for odd k, a touching for even k. A simple
/// contact (k ≤ 2) is located to 1e-10; a high-order one where its sign changes at
/// resolution: |t*|ᵏ below gap_tol times the step's hᵏ (the gap 2|t|ᵏ is then below
/// gap_tol·‖A‖ at the step's ends, ‖A‖ = √2·hᵏ there).
fn assert_contact_event(tr: &Tracking, k: i32, what: &str) {
    let want = if k % 2 == 1 { "crossing" } else { "touching" };
    let ev = kinds(tr);
    assert_eq!(ev.len(), 1, "{what}: events {ev:?}");
    assert_eq!(ev[0].0, want, "{what}: events {ev:?}");
    let h = 2.0 / (tr.samples().len() - 1) as f64;
    let bound = if k <= 2 {
        1e-10
    } else {
        h * eigentrack::GAP_TOL.powf(1.0 / k as f64)
    };
    assert!(
        ev[0].1.abs() <= bound,
        "{what}: {want} at t = {:e}",
        ev[0].1
    );
    assert_eq!(tr.events()[0].branches(), vec![0, 1], "{what}");
}

#[test]
fn contact_catalogue_real_on_and_off_samples() -> Result {
    for k in 1..=5 {
        for samples in [160, 161] {
            for rotate in [false, true] {
                let what = format!("t^{k}, {samples} samples, rotating {rotate}");
                let fam = DualFamily(Contact {
                    k,
                    rotate,
                    offset: 0.0,
                });
                let tr = Tracker::new()
                    .samples(samples)?
                    .track_family(&fam, -1.0..=1.0)?;
                assert_on_curves(&tr, k, 0.0, &what);
                assert_contact_event(&tr, k, &what);
            }
        }
    }
    Ok(())
}

#[test]
fn contact_catalogue_complex_hermitian() -> Result {
    for k in 1..=5 {
        for samples in [160, 161] {
            let what = format!("complex t^{k}, {samples} samples");
            let fam = DualComplexFamily(ComplexContact { k, offset: 0.0 });
            let tr = Tracker::new()
                .samples(samples)?
                .track_family(&fam, -1.0..=1.0)?;
            assert!(tr.stats().decompositions <= samples + 8, "{what}");
            assert_on_curves(&tr, k, 0.0, &what);
            assert_contact_event(&tr, k, &what);
        }
    }
    Ok(())
}

/// The high-order contact: 2000·I + 10⁻³·t⁵·diag(1, −1), 161 samples (t = 0 is
/// one). The gap is below gap_tol·‖A‖ on five samples around 0 and below the cluster
/// tolerance on 27: the crossing goes where the sign changes, at t = 0, and nowhere else.
#[test]
fn a_fifth_order_contact_on_a_large_offset_is_one_crossing_at_zero() -> Result {
    let a = |t: f64| {
        DMatrix::from_row_slice(
            2,
            2,
            &[
                2000.0 + 1e-3 * t.powi(5),
                0.0,
                0.0,
                2000.0 - 1e-3 * t.powi(5),
            ],
        )
    };
    let tr = Tracker::new().samples(161)?.track(a, -1.0..=1.0)?;
    assert_eq!(kinds(&tr), vec![("crossing", 0.0)]);
    // identities: branch 0 starts below (2000 − 10⁻³) and ends above
    let v = tr.branches()[0].values();
    assert!(
        (v[0].re - (2000.0 - 1e-3)).abs() < 1e-12 && (v[160].re - (2000.0 + 1e-3)).abs() < 1e-12
    );
    // the rotated version with an offset, exact derivatives
    let fam = DualFamily(Contact {
        k: 5,
        rotate: true,
        offset: 2000.0,
    });
    let tr = Tracker::new()
        .samples(161)?
        .track_family(&fam, -1.0..=1.0)?;
    assert_on_curves(&tr, 5, 2000.0, "rotated 2000 + t^5");
    let ev = kinds(&tr);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0].0, "crossing");
    // at resolution the sign change sits within the samples where the gap is below
    // gap_tol·‖A‖ (|t| ≤ 0.04): never at the first sample within a tolerance
    assert!(ev[0].1.abs() <= 0.04, "{ev:?}");
    Ok(())
}

/// 2000·I + e^{−t}·diag(1, 0) on [0, 30]: the levels never cross. The gap falls below the
/// cluster tolerance (10⁻¹⁰·‖A‖ = 2.8·10⁻⁷) at t ≈ 15, where a crossing used to be
/// reported; it reaches gap_tol·‖A‖ = 1.6·10⁻¹⁰ only at t ≈ 22.5 and never opens again,
/// so the pair meets without parting: no event at all.
#[test]
fn exponentially_approaching_levels_are_no_crossing() -> Result {
    let a = |t: f64| DMatrix::from_row_slice(2, 2, &[2000.0 + (-t).exp(), 0.0, 0.0, 2000.0]);
    let tr = Tracker::new().samples(121)?.track(a, 0.0..=30.0)?;
    assert_eq!(kinds(&tr), vec![]);
    // branch 0 is the constant level 2000 throughout, branch 1 the decaying one
    for (q, &t) in tr.samples().iter().enumerate() {
        assert_eq!(tr.branches()[0].values()[q].re, 2000.0);
        assert!((tr.branches()[1].values()[q].re - 2000.0 - (-t).exp()).abs() < 1e-12);
    }
    // the same on [0, 20], where the gap stays above gap_tol·‖A‖ everywhere
    let tr = Tracker::new().samples(81)?.track(a, 0.0..=20.0)?;
    assert_eq!(kinds(&tr), vec![]);
    Ok(())
}

/// Q·diag(0.5·sin 3t, −0.5)·Qᵀ, Q fixed: the levels touch at t = −π/6 (the sine's
/// minimum) and never exchange. Also with a rotating Q, and the complex Hermitian
/// version with a rotating unitary.
struct SineTangency {
    rotate: bool,
}

impl DualMatrixFn for SineTangency {
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, t: D) -> DMatrix<D> {
        rotated(
            (t * 3.0).sin() * 0.5,
            D::from(-0.5),
            rotation(t, self.rotate),
        )
    }
}

struct ComplexSineTangency;

impl DualComplexMatrixFn for ComplexSineTangency {
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, t: D) -> DMatrix<Complex<D>> {
        let (a, b) = ((t * 3.0).sin() * 0.5, D::from(-0.5));
        unitary(a, b, rotation(t, true), t * 2.0 + 0.7)
    }
}

fn check_sine(tr: &Tracking, what: &str) {
    let t_star = -std::f64::consts::FRAC_PI_6;
    assert_eq!(
        kinds(tr).iter().map(|e| e.0).collect::<Vec<_>>(),
        vec!["touching"],
        "{what}: {:?}",
        kinds(tr)
    );
    let t = tr.events()[0].t();
    assert!(
        (t - t_star).abs() <= 1e-10,
        "{what}: touching at {t} (−π/6 = {t_star})"
    );
    // branch 0 is the constant −0.5 everywhere, branch 1 the sine
    for (q, &t) in tr.samples().iter().enumerate() {
        let v0 = tr.branches()[0].values()[q].re;
        let v1 = tr.branches()[1].values()[q].re;
        assert!((v0 + 0.5).abs() < 1e-12, "{what}: branch 0 at {t} is {v0}");
        assert!(
            (v1 - 0.5 * (3.0 * t).sin()).abs() < 1e-12,
            "{what}: branch 1 at {t} is {v1}"
        );
    }
}

#[test]
fn a_sine_touching_a_constant_keeps_both_branches() -> Result {
    for rotate in [false, true] {
        let fam = DualFamily(SineTangency { rotate });
        let tr = Tracker::new()
            .samples(201)?
            .track_family(&fam, -1.0..=1.0)?;
        check_sine(&tr, &format!("real, rotating {rotate}"));
        // the same answer from fresh decompositions
        let refined = Tracker::new()
            .samples(201)?
            .resolution(Resolution::Refine)
            .track_family(&fam, -1.0..=1.0)?;
        check_sine(&refined, &format!("refine, rotating {rotate}"));
    }
    let fam = DualComplexFamily(ComplexSineTangency);
    let tr = Tracker::new()
        .samples(201)?
        .track_family(&fam, -1.0..=1.0)?;
    check_sine(&tr, "complex Hermitian");
    Ok(())
}

/// [[0, c·t], [−c·t, 4]], c = 2/1.469: eigenvalues 2 ± √(4 − c²t²), an exceptional point
/// at t = 1.469 (a sample of the 301). Past it the conjugate pair 2 ± i√(c²t² − 4) keeps
/// its sides: branch 0 stays on one sign of Im λ, continuously.
#[test]
fn a_conjugate_pair_keeps_its_sides_after_an_exceptional_point() -> Result {
    let c = 2.0 / 1.469;
    let a = move |t: f64| DMatrix::from_row_slice(2, 2, &[0.0, c * t, -c * t, 4.0]);
    for samples in [301, 300, 97] {
        let tr = Tracker::new().samples(samples)?.track(a, 0.0..=3.0)?;
        let eps: Vec<_> = tr
            .events()
            .iter()
            .filter(|e| e.kind() == "exceptional_point")
            .collect();
        assert_eq!(eps.len(), 1, "{samples}: {:?}", kinds(&tr));
        assert!(
            (eps[0].t() - 1.469).abs() < 1e-6,
            "{samples}: EP at {}",
            eps[0].t()
        );
        for (b, branch) in tr.branches().iter().enumerate() {
            let mut side = 0.0;
            for (q, &t) in tr.samples().iter().enumerate() {
                let z = branch.values()[q];
                let root = (c * c * t * t - 4.0).abs().sqrt();
                if c * t < 2.0 {
                    assert!(z.im == 0.0 && ((z.re - 2.0).abs() - root).abs() < 1e-9);
                } else {
                    assert!((z.re - 2.0).abs() < 1e-9 && (z.im.abs() - root).abs() < 1e-9);
                    if root > 1e-6 {
                        if side == 0.0 {
                            side = z.im.signum();
                        }
                        assert_eq!(
                            z.im.signum(),
                            side,
                            "{samples}: branch {b} jumps sides at t = {t}"
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

/// A conjugate pair that passes through a semisimple real double eigenvalue does
/// exchange sides: [[2, t], [−t, 2]] has λ = 2 ± i·t with constant eigenvectors (1, ±i),
/// so the branch of (1, i) goes from Im < 0 to Im > 0 — a crossing at t = 0.
#[test]
fn a_rotation_pair_crosses_through_its_double_eigenvalue() -> Result {
    let a = |t: f64| DMatrix::from_row_slice(2, 2, &[2.0, t, -t, 2.0]);
    let tr = Tracker::new().samples(100)?.track(a, -1.0..=1.0)?;
    for branch in tr.branches() {
        let v = branch.values();
        // λ = 2 + i·s·t for one sign s along the whole branch
        let s = (v[0].im / tr.samples()[0]).signum();
        for (q, &t) in tr.samples().iter().enumerate() {
            assert!(
                (v[q] - Complex64::new(2.0, s * t)).norm() < 1e-12,
                "at {t}: {}",
                v[q]
            );
        }
    }
    Ok(())
}

/// Events of a track with their kinds only where the branches meet (for comparing two
/// resolutions).
fn meeting_kinds(tr: &Tracking) -> Vec<(&'static str, Vec<usize>)> {
    let mut v: Vec<_> = tr
        .events()
        .iter()
        .filter(|e| matches!(e, Event::Crossing { .. } | Event::Touching { .. }))
        .map(|e| (e.kind(), e.branches()))
        .collect();
    v.sort();
    v
}

/// A seeded property test: random 4 × 4 symmetric families with designed crossings,
/// touchings and avoided crossings (a diagonal of curves c_i + a_i·(t − t_i)^{k_i} in a
/// random fixed orthogonal basis, one pair coupled by g): `Resolution::Local` and
/// `Resolution::Refine` agree on every branch at every sample and on every event kind.
#[test]
fn local_and_refine_agree_on_designed_meetings() -> Result {
    use rand::{Rng, SeedableRng};
    struct Designed {
        q: DMatrix<f64>,
        c: [f64; 4],
        a: [f64; 4],
        t0: [f64; 4],
        k: [i32; 4],
        g: f64,
    }
    impl DualMatrixFn for Designed {
        fn eval<D: DualNum<Primitive = f64> + Copy>(&self, t: D) -> DMatrix<D> {
            let mut d = DMatrix::from_element(4, 4, D::from(0.0));
            for i in 0..4 {
                d[(i, i)] = (t - self.t0[i]).powi(self.k[i]) * self.a[i] + self.c[i];
            }
            d[(0, 1)] = D::from(self.g);
            d[(1, 0)] = D::from(self.g);
            let q = self.q.map(D::from);
            &q * d * q.transpose()
        }
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(27);
    for case in 0..24 {
        let m = DMatrix::from_fn(4, 4, |_, _| rng.random_range(-1.0..1.0));
        let q = m.qr().q();
        let mut c = [0.0; 4];
        let mut a = [0.0f64; 4];
        let mut t0 = [0.0; 4];
        let mut k = [1; 4];
        for i in 0..4 {
            c[i] = rng.random_range(-0.3..0.3);
            a[i] = rng.random_range(0.5..1.5) * if rng.random_bool(0.5) { 1.0 } else { -1.0 };
            t0[i] = rng.random_range(-0.6..0.6);
            k[i] = rng.random_range(1..=3);
        }
        // a designed touching: curve 2 = c₃ + (t − t₃)² touches curve 3 = c₃ at t₃
        if case % 3 == 0 {
            k[2] = 2;
            a[2] = a[2].abs();
            t0[2] = t0[3];
            c[2] = c[3];
            k[3] = 0;
        }
        let g = if case % 2 == 0 { 0.0 } else { 1e-3 };
        let fam = DualFamily(Designed { q, c, a, t0, k, g });
        let samples = 41 + case;
        let local = Tracker::new()
            .samples(samples)?
            .track_family(&fam, -1.0..=1.0)?;
        let refine = Tracker::new()
            .samples(samples)?
            .resolution(Resolution::Refine)
            .track_family(&fam, -1.0..=1.0)?;
        for (b, (x, y)) in local.branches().iter().zip(refine.branches()).enumerate() {
            for (q, (u, v)) in x.values().iter().zip(y.values()).enumerate() {
                assert!(
                    (u - v).norm() < 1e-9,
                    "case {case}: branch {b} at sample {q}: local {u}, refine {v}"
                );
            }
        }
        assert_eq!(meeting_kinds(&local), meeting_kinds(&refine), "case {case}");
    }
    Ok(())
}

/// The sector of an eigenvector v of the rotor: (Im vᴴRv, Re vᴴPv)/‖v‖², each ±1 where
/// the eigenvalue is simple.
fn sectors(r: &Rotor, v: &nalgebra::DVector<Complex64>) -> (f64, f64) {
    let vc = DMatrix::from_column_slice(v.len(), 1, v.as_slice());
    let rc = r.rotation.map(|x| Complex64::new(x, 0.0));
    let pc = r.mirror.map(|x| Complex64::new(x, 0.0));
    let nv = v.norm_squared();
    let sr = (vc.adjoint() * &rc * &vc)[(0, 0)].im / nv;
    let sp = (vc.adjoint() * &pc * &vc)[(0, 0)].re / nv;
    (sr, sp)
}

/// Every branch of the rotor stays in the symmetry sector it starts in (checked at every
/// sample where its eigenvalue is simple), and the crossings reported are exactly the
/// sign changes of Im(λₐ − λ_b) between samples (all eigenvalues are imaginary: the rotor
/// is undamped).
fn check_rotor(r: &Rotor, tr: &Tracking, what: &str) {
    let n = tr.branches().len();
    let ns = tr.samples().len();
    let scale = tr
        .branches()
        .iter()
        .map(|b| b.values()[0].norm())
        .fold(0.0, f64::max);
    let simple = |q: usize, b: usize| {
        let z = tr.branches()[b].values()[q];
        (0..n).all(|o| o == b || (tr.branches()[o].values()[q] - z).norm() > 1e-6 * scale)
    };
    for b in 0..n {
        let vecs = tr.branches()[b].right_vectors().expect("kept vectors");
        let mut start: Option<(f64, f64)> = None;
        for (q, v) in vecs.iter().enumerate() {
            if !simple(q, b) {
                continue;
            }
            let (sr, sp) = sectors(r, v);
            assert!(
                sr.abs() > 0.99 && sp.abs() > 0.99,
                "{what}: branch {b} at sample {q} in no sector ({sr}, {sp})"
            );
            let s = (sr.signum(), sp.signum());
            match start {
                None => start = Some(s),
                Some(s0) => assert_eq!(
                    s,
                    s0,
                    "{what}: branch {b} leaves its sector at t = {} (λ = {})",
                    tr.samples()[q],
                    tr.branches()[b].values()[q]
                ),
            }
        }
    }
    // per pair: the crossing events are at least the sign changes of Im(λₐ − λ_b) between
    // samples and of the same parity (a pair may cross twice inside one interval)
    let mut changes = 0;
    for a in 0..n {
        for b in a + 1..n {
            let mut pair_changes = 0;
            for q in 1..ns {
                let d0 = (tr.branches()[a].values()[q - 1] - tr.branches()[b].values()[q - 1]).im;
                let d1 = (tr.branches()[a].values()[q] - tr.branches()[b].values()[q]).im;
                // (at Ω = 0 each x/y pair is double: its sign there is rounding)
                if (d0 < 0.0) != (d1 < 0.0) && d0.abs() > 1e-12 * scale {
                    pair_changes += 1;
                }
            }
            let events = tr
                .events()
                .iter()
                .filter(|e| e.kind() == "crossing" && e.branches() == vec![a, b])
                .count();
            assert!(
                events >= pair_changes && (events - pair_changes) % 2 == 0,
                "{what}: pair ({a}, {b}): {events} crossings for {pair_changes} sign changes"
            );
            changes += pair_changes;
        }
    }
    assert!(
        changes >= 5,
        "{what}: the rotor should have crossings ({changes})"
    );
    let other: Vec<_> = kinds(tr)
        .into_iter()
        .filter(|e| e.0 != "crossing")
        .collect();
    assert!(other.is_empty(), "{what}: {other:?}");
}

/// Issue 27's item 5: forward and backward whirl modes (and modes of opposite parity)
/// cross exactly; the general path keeps every branch in its sector at 31 and 101
/// samples, reports every crossing, and spends one decomposition per sample.
#[test]
fn a_symmetric_rotor_keeps_its_whirl_sectors_through_exact_crossings() -> Result {
    let r = rotor(7, false, false);
    let fam = |t: f64| &r.a0 + &r.a1 * t;
    for samples in [31, 101] {
        let tr = Tracker::new()
            .samples(samples)?
            .keep_vectors(true)
            .track(fam, 0.0..=3.0)?;
        check_rotor(&r, &tr, &format!("scaled rotor, {samples} samples"));
        eprintln!("rotor {samples}: {:?}", tr.stats());
    }
    Ok(())
}

/// The same rotor as the FE code writes it, in SI units: entries of A₀ from 1 to 10⁸
/// (‖A₀‖_F ≈ 4·10⁸) and t = Ω/1000. Balancing gives the scaled copy's answer: every branch
/// at every sample is its eigenvalue × 1000 (time in ms there), with the same events,
/// its branches in their sectors and at most 1.5 decompositions per sample (88 for 61),
/// and one decomposition of the SI matrix has every eigenvalue to 1e-10 with residuals at
/// rounding level. (Before: the budget was spent.)
#[test]
fn a_badly_scaled_rotor_gives_the_scaled_answer() -> Result {
    let (scaled, si) = (rotor(7, false, false), rotor(7, true, false));
    assert!(si.a0.norm() > 1e8, "‖A₀‖ = {:e}", si.a0.norm());
    let track = |r: &Rotor| {
        Tracker::new()
            .samples(61)?
            .track(|t: f64| &r.a0 + &r.a1 * t, 0.0..=3.0)
    };
    let (tr, tr_si) = (track(&scaled)?, track(&si)?);
    // the SI track is balanced (D from A(t₀)): at every sample the scaled spectrum × 1000
    // (branch ids inside the pairs that are double at rest, Ω = 0, are either way), the
    // same events, and its vectors, mapped back to A's coordinates, in their sectors
    let sorted = |tr: &Tracking, q: usize, f: f64| {
        let mut v: Vec<Complex64> = tr.branches().iter().map(|b| b.values()[q] * f).collect();
        v.sort_by(|a, b| a.im.total_cmp(&b.im));
        v
    };
    for q in 0..tr.samples().len() {
        for (u, v) in sorted(&tr, q, 1000.0).iter().zip(sorted(&tr_si, q, 1.0)) {
            assert!(
                (u - v).norm() <= 1e-9 * v.norm().max(1.0),
                "sample {q}: {u} vs {v}"
            );
        }
    }
    let count = |tr: &Tracking| {
        let mut k: Vec<&str> = tr.events().iter().map(|e| e.kind()).collect();
        k.sort_unstable();
        k
    };
    assert_eq!(count(&tr), count(&tr_si));
    let with_vectors = Tracker::new()
        .samples(61)?
        .keep_vectors(true)
        .track(|t: f64| &si.a0 + &si.a1 * t, 0.0..=3.0)?;
    check_rotor(&si, &with_vectors, "SI rotor");
    let used = with_vectors.stats().decompositions;
    eprintln!("SI rotor: {used} decompositions for 61 samples");
    assert!(used <= 61 * 3 / 2, "{used} decompositions for 61 samples");
    // one decomposition of the SI matrix: every eigenvalue to 1e-10 relative, and the
    // residual of every eigenpair at rounding level of the balanced norm
    let a = &si.a0 + &si.a1 * 1.5;
    let e = eigentrack::eig(&a)?;
    let want = eigentrack::eig(&(&scaled.a0 + &scaled.a1 * 1.5))?;
    let mut got: Vec<Complex64> = e.values().to_vec();
    got.sort_by(|a, b| a.im.total_cmp(&b.im));
    let mut want: Vec<Complex64> = want.values().iter().map(|z| z * 1000.0).collect();
    want.sort_by(|a, b| a.im.total_cmp(&b.im));
    for (u, v) in got.iter().zip(&want) {
        assert!((u - v).norm() <= 1e-10 * v.norm(), "{u} vs {v}");
    }
    let ac = a.map(|x| Complex64::new(x, 0.0));
    for (j, &l) in e.values().iter().enumerate() {
        let x = e.right().column(j);
        let r = (&ac * x - x * l).norm();
        assert!(
            r <= 1e3 * f64::EPSILON * e.norm(),
            "pair {j}: residual {r:e}, ‖B‖ = {:e}",
            e.norm()
        );
    }
    Ok(())
}

/// The rotor with its axial and torsional dofs, free–free: λ = 0 as two 2 × 2 Jordan
/// blocks at every speed. They produce no event of any kind (before: exceptional points
/// whose number changed with the last bits of the input), and the lateral modes keep
/// their crossings.
#[test]
fn rigid_body_modes_of_a_free_rotor_are_no_events() -> Result {
    let r = rotor(7, false, true);
    let tr = Tracker::new()
        .samples(61)?
        .track(|t: f64| &r.a0 + &r.a1 * t, 0.0..=3.0)?;
    let scale = tr
        .branches()
        .iter()
        .map(|b| b.values()[0].norm())
        .fold(0.0, f64::max);
    let rigid: Vec<usize> = (0..tr.branches().len())
        .filter(|&b| tr.branches()[b].values()[0].norm() < 1e-6 * scale)
        .collect();
    assert_eq!(rigid.len(), 4, "two Jordan blocks at 0");
    for e in tr.events() {
        assert!(e.kind() != "exceptional_point", "{e}");
        assert!(e.branches().iter().all(|b| !rigid.contains(b)), "{e}");
    }
    // the rigid-body branches stay at 0
    for &b in &rigid {
        assert!(tr.branches()[b]
            .values()
            .iter()
            .all(|z| z.norm() < 1e-6 * scale));
    }
    assert!(
        tr.events()
            .iter()
            .filter(|e| e.kind() == "crossing")
            .count()
            >= 5
    );
    Ok(())
}
