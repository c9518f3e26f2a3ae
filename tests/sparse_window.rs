//! The windowed sparse track (`eigentrack::sparse::Nearest`) on families with exact
//! answers: the separable 2D Laplacian with an anisotropic scaling (eigenvalues in closed
//! form, exact crossings), and windows entered and left at known t.

use eigentrack::dual::DualNum;
use eigentrack::sparse::{SparseTerms, WindowEvent, WindowTracking};
use eigentrack::Tracker;
use nalgebra_sparse::{CooMatrix, CscMatrix};

/// The 1D Dirichlet Laplacian tridiag(−1, 2, −1) of size m, as T ⊗ I (`x` true: acting
/// on the first index, fastest) or I ⊗ T on an nx × ny grid.
fn lap1(nx: usize, ny: usize, x: bool) -> CscMatrix<f64> {
    let n = nx * ny;
    let mut coo = CooMatrix::new(n, n);
    for j in 0..ny {
        for i in 0..nx {
            let p = i + nx * j;
            coo.push(p, p, 2.0);
            if x && i + 1 < nx {
                coo.push(p, p + 1, -1.0);
                coo.push(p + 1, p, -1.0);
            }
            if !x && j + 1 < ny {
                coo.push(p, p + nx, -1.0);
                coo.push(p + nx, p, -1.0);
            }
        }
    }
    CscMatrix::from(&coo)
}

/// Eigenvalues 2 − 2cos(iπ/(m + 1)), i = 1 … m.
fn mu(m: usize) -> Vec<f64> {
    (1..=m)
        .map(|i| 2.0 - 2.0 * (i as f64 * std::f64::consts::PI / (m + 1) as f64).cos())
        .collect()
}

/// A(t) = e^t (T ⊗ I) + (I ⊗ T): λᵢⱼ = e^t μᵢ + νⱼ, slope e^t μᵢ.
fn aniso(nx: usize, ny: usize) -> SparseTerms<f64> {
    SparseTerms::new(nx * ny)
        .term(lap1(nx, ny, true), |t| t.exp())
        .unwrap()
        .constant(lap1(nx, ny, false))
        .unwrap()
}

/// The closed-form level (i, j) of a branch (λᵢⱼ = e^t μᵢ + νⱼ, slope e^t μᵢ), from its
/// value and slope at its first computed sample, and that sample; None where it has none.
fn level(
    tr: &WindowTracking,
    branch: usize,
    nx: usize,
    ny: usize,
) -> Option<(usize, usize, usize)> {
    let (mx, my) = (mu(nx), mu(ny));
    let b = &tr.branches()[branch];
    let s = b.values().iter().position(|v| v.is_some())?;
    let (t, l, d) = (
        tr.samples()[s],
        b.values()[s].unwrap().re,
        b.slopes()[s].unwrap().re,
    );
    let mut best = (f64::INFINITY, 0, 0);
    for (i, &m) in mx.iter().enumerate() {
        for (j, &n) in my.iter().enumerate() {
            let e = (t.exp() * m + n - l).abs() + (t.exp() * m - d).abs();
            if e < best.0 {
                best = (e, i, j);
            }
        }
    }
    Some((best.1, best.2, s))
}

/// Every branch keeps one closed-form eigenvalue (i, j) at every sample where it is
/// computed, to `tol` relative in value and slope; and the window at every sample is the
/// k closed-form eigenvalues nearest σ.
fn check_closed_form(tr: &WindowTracking, nx: usize, ny: usize, sigma: f64, tol: f64) {
    let (mx, my) = (mu(nx), mu(ny));
    let exact = |i: usize, j: usize, t: f64| (t.exp() * mx[i] + my[j], t.exp() * mx[i]);
    for (bi, b) in tr.branches().iter().enumerate() {
        let Some((i, j, _)) = level(tr, bi, nx, ny) else {
            continue;
        };
        for (s, (v, d)) in b.values().iter().zip(b.slopes()).enumerate() {
            let (Some(v), Some(d)) = (v, d) else { continue };
            let t = tr.samples()[s];
            let (l, dl) = exact(i, j, t);
            assert!(
                (v.re - l).abs() <= tol * l.abs() && v.im.abs() <= tol * l.abs(),
                "branch {bi} = ({i}, {j}) at t = {t}: λ = {v}, exact {l}"
            );
            assert!(
                (d.re - dl).abs() <= tol * l.abs(),
                "branch {bi} = ({i}, {j}) at t = {t}: λ' = {d}, exact {dl}"
            );
        }
    }
    for (s, &t) in tr.samples().iter().enumerate() {
        let mut all: Vec<f64> = mx
            .iter()
            .flat_map(|&a| my.iter().map(move |&b| t.exp() * a + b))
            .collect();
        all.sort_by(|a, b| (a - sigma).abs().total_cmp(&(b - sigma).abs()));
        let mut want = all[..tr.k()].to_vec();
        let mut got: Vec<f64> = tr.window(s).iter().map(|w| w.1).collect();
        want.sort_by(f64::total_cmp);
        got.sort_by(f64::total_cmp);
        assert_eq!(got.len(), tr.k(), "window size at t = {t}");
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g - w).abs() <= tol * w.abs(),
                "window at t = {t}: {got:?} against {want:?}"
            );
        }
    }
}

#[test]
fn laplacian_closed_form_through_exact_crossings() {
    // nx = ny: λᵢⱼ and λⱼᵢ cross exactly at t = 0, which is a sample
    let (nx, ny) = (30, 30);
    let fam = aniso(nx, ny);
    let sigma = 1.0;
    let tr = Tracker::new()
        .samples(21)
        .unwrap()
        .nearest(6, sigma)
        .unwrap()
        .track(&fam, -0.2..=0.2)
        .unwrap();
    eprintln!("{:?}", tr.stats());
    check_closed_form(&tr, nx, ny, sigma, 1e-10);
    // pairings in question in the guard band at both ends, where the band's edge moves,
    // are decided by a clear vector overlap: 4 halved steps (13 when they were halved too)
    assert!(tr.stats().rejected_steps <= 4, "{:?}", tr.stats());
    assert!(tr.events().iter().any(|e| e.kind() == "crossing"));
    assert!(tr.events().iter().any(|e| e.kind() == "window_entry"));
}

#[test]
fn crossings_between_samples_are_located_on_the_projection() {
    // nx ≠ ny: λᵢⱼ = e^t μᵢ + νⱼ and λₖₗ cross where e^t = (νₗ − νⱼ)/(μᵢ − μₖ), between
    // the samples. The branches' vectors do not depend on t, so every event is located
    // on the projection onto them (no factorisation, no solve) and certified there
    let (nx, ny) = (24, 31);
    let fam = aniso(nx, ny);
    let sigma = 0.5;
    let tr = Tracker::new()
        .samples(8)
        .unwrap()
        .nearest(6, sigma)
        .unwrap()
        .track(&fam, -0.3..=0.4)
        .unwrap();
    check_closed_form(&tr, nx, ny, sigma, 1e-10);
    let (mx, my) = (mu(nx), mu(ny));
    let label = |b: usize| {
        let (i, j, _) = level(&tr, b, nx, ny).expect("computed somewhere");
        (i, j)
    };
    let mut crossings = 0;
    for e in tr.events() {
        if e.kind() != "crossing" {
            continue;
        }
        crossings += 1;
        let [a, b] = [e.branches()[0], e.branches()[1]];
        let ((i, j), (k, l)) = (label(a), label(b));
        let exact = ((my[l] - my[j]) / (mx[i] - mx[k])).ln();
        assert!(
            (e.t() - exact).abs() <= 1e-10,
            "crossing of ({i}, {j}) and ({k}, {l}) at {} against {exact}",
            e.t()
        );
        assert!(
            tr.samples().iter().all(|s| (s - exact).abs() > 1e-3),
            "the crossing at {exact} is between samples"
        );
    }
    let s = tr.stats();
    eprintln!("{s:?}");
    assert!(crossings >= 2, "{:?}", tr.events());
    assert!(s.projected_events >= crossings, "{s:?}");
    assert_eq!(s.event_points, 0, "{s:?}");
    // steps are halved here (pairings in question), and the end point of a halved step
    // is solved once: reused when the halves come back to it (one factorisation per
    // distinct t, fewer than the steps tried)
    assert!(s.rejected_steps >= 2, "{s:?}");
    assert!(
        s.solver.factorizations < s.accepted_steps + s.rejected_steps,
        "one factorisation per distinct t: {s:?}"
    );
}

#[test]
fn an_avoided_crossing_is_not_certified_on_the_projection() {
    // two levels 10 + t and 11 − t coupled by g = 1e-4 (gap 2g at t = 1/2, between the
    // samples 1/3 and 2/3) among constant levels 0 … 199: the branches' vectors turn
    // inside the step, so the projection cannot certify a root; a fresh solve finds the
    // gap and each branch keeps its side
    let n = 200;
    let g = 1e-4;
    let mut d0 = CooMatrix::new(n, n);
    let mut d1 = CooMatrix::new(n, n);
    for i in 0..n {
        d0.push(i, i, i as f64);
    }
    d0.push(11, 11, 0.0);
    d0.push(10, 11, g);
    d0.push(11, 10, g);
    d1.push(10, 10, 1.0);
    d1.push(11, 11, -1.0);
    let fam = SparseTerms::new(n)
        .constant(CscMatrix::from(&d0))
        .unwrap()
        .term(CscMatrix::from(&d1), |t| t)
        .unwrap();
    let tr = Tracker::new()
        .samples(4)
        .unwrap()
        .nearest(4, 10.5)
        .unwrap()
        .track(&fam, 0.0..=1.0)
        .unwrap();
    let s = tr.stats();
    assert_eq!(s.avoided_crossings, 1, "{s:?}");
    assert_eq!(s.projected_events, 0, "{s:?}");
    // one solve at the interpolated meeting point decides: there f′ ≈ 0 and Newton's
    // root lies past the step's end, where nothing new is to be learned
    assert_eq!(s.event_points, 1, "{s:?}");
    assert!(tr.events().iter().all(|e| e.kind() != "crossing"));
    // adiabatic: the lower of the two stays lower, λ = 10.5 ∓ √((t − 1/2)² + g²)
    let lower = |t: f64| 10.5 - ((t - 0.5f64).powi(2) + g * g).sqrt();
    let b = tr
        .branches()
        .iter()
        .find(|b| (b.values()[1].unwrap().re - lower(1.0 / 3.0)).abs() < 1e-9)
        .expect("the lower level");
    for (s, v) in b.values().iter().enumerate() {
        let t = tr.samples()[s];
        assert!((v.unwrap().re - lower(t)).abs() < 1e-9, "t = {t}: {v:?}");
    }
}

/// A 2D grid Laplacian plus t·(a smooth potential) plus t²·(a sparse symmetric coupling):
/// no closed form, so the dense path is the reference.
fn grid_family(nx: usize, ny: usize) -> (SparseTerms<f64>, Vec<nalgebra::DMatrix<f64>>) {
    let n = nx * ny;
    let lap = {
        let (a, b) = (lap1(nx, ny, true), lap1(nx, ny, false));
        &a + &b
    };
    let mut pot = CooMatrix::new(n, n);
    let mut cpl = CooMatrix::new(n, n);
    for j in 0..ny {
        for i in 0..nx {
            let p = i + nx * j;
            let (x, y) = (i as f64 / nx as f64, j as f64 / ny as f64);
            pot.push(p, p, (3.0 * x).sin() + 2.0 * y * y);
            if i + 2 < nx && j + 1 < ny {
                let q = i + 2 + nx * (j + 1);
                let c = 0.3 * (x - y).cos();
                cpl.push(p, q, c);
                cpl.push(q, p, c);
            }
        }
    }
    let (pot, cpl) = (CscMatrix::from(&pot), CscMatrix::from(&cpl));
    let dense = |m: &CscMatrix<f64>| {
        let mut d = nalgebra::DMatrix::zeros(n, n);
        for (i, j, v) in m.triplet_iter() {
            d[(i, j)] += *v;
        }
        d
    };
    let coeffs = vec![dense(&lap), dense(&pot), dense(&cpl)];
    let fam = SparseTerms::new(n)
        .constant(lap)
        .unwrap()
        .term(pot, |t| t)
        .unwrap()
        .term(cpl, |t| t * t)
        .unwrap();
    (fam, coeffs)
}

#[test]
fn agrees_with_the_dense_path() {
    let (nx, ny) = (14, 15);
    let (fam, coeffs) = grid_family(nx, ny);
    let dense = Tracker::new()
        .samples(21)
        .unwrap()
        .max_decompositions(100_000)
        .unwrap()
        .track_family(&eigentrack::Polynomial::new(coeffs).unwrap(), 0.0..=0.5)
        .unwrap();
    let sigma = 1.3;
    let tr = Tracker::new()
        .samples(21)
        .unwrap()
        .nearest(8, sigma)
        .unwrap()
        .track(&fam, 0.0..=0.5)
        .unwrap();
    let mut compared = 0;
    for (bi, b) in tr.branches().iter().enumerate() {
        let mut partner = None;
        for s in 0..tr.samples().len() {
            if !b.in_window()[s] {
                continue;
            }
            let (v, d) = (b.values()[s].unwrap(), b.slopes()[s].unwrap());
            // the dense branch with this value
            let (db, dv) = dense
                .branches()
                .iter()
                .enumerate()
                .map(|(i, x)| (i, x.values()[s]))
                .min_by(|x, y| (x.1 - v).norm().total_cmp(&(y.1 - v).norm()))
                .unwrap();
            let ds = dense.branches()[db].slopes()[s];
            let scale = v.norm().max(1.0);
            assert!(
                (dv - v).norm() <= 1e-10 * scale,
                "branch {bi} at sample {s}: {v} against {dv}"
            );
            assert!(
                (ds - d).norm() <= 1e-10 * scale,
                "branch {bi} at sample {s}: slope {d} against {ds}"
            );
            // the same dense branch all along: identities agree
            match partner {
                None => partner = Some(db),
                Some(p) => assert_eq!(p, db, "branch {bi} changed its dense partner at sample {s}"),
            }
            compared += 1;
        }
    }
    assert!(compared >= 8 * 21);
}

/// The Dirichlet Laplacian on an s × s × s cube, T⊗I⊗I + I⊗T⊗I + I⊗I⊗T: eigenvalues
/// μᵢ + μⱼ + μₖ, six-fold where i, j, k differ.
fn cube(s: usize) -> CscMatrix<f64> {
    let n = s * s * s;
    let mut coo = CooMatrix::new(n, n);
    for k in 0..s {
        for j in 0..s {
            for i in 0..s {
                let p = i + s * (j + s * k);
                coo.push(p, p, 6.0);
                for (ok, q) in [
                    (i + 1 < s, p + 1),
                    (j + 1 < s, p + s),
                    (k + 1 < s, p + s * s),
                ] {
                    if ok {
                        coo.push(p, q, -1.0);
                        coo.push(q, p, -1.0);
                    }
                }
            }
        }
    }
    CscMatrix::from(&coo)
}

/// A window on a six-fold eigenvalue of the cube holds all six copies from the first
/// sample on (a Lanczos block narrower than the group finds, in exact arithmetic, only as
/// many copies as it has columns: the solver runs again wider while a group fills its
/// block), with their exact value and slope; A(t) = L + t·I/100.
#[test]
fn every_copy_of_a_six_fold_eigenvalue_is_found() {
    let s = 9;
    let n = s * s * s;
    let mut shift = CooMatrix::new(n, n);
    for i in 0..n {
        shift.push(i, i, 0.01);
    }
    let fam = SparseTerms::new(n)
        .constant(cube(s))
        .unwrap()
        .term(CscMatrix::from(&shift), |t| t)
        .unwrap();
    let m = mu(s);
    // (1, 2, 3): 1.3045…; the nearest other levels are (2, 2, 2) at 1.146 and (1, 1, 4)
    // at 1.562
    let six = m[0] + m[1] + m[2];
    let tr = Tracker::new()
        .samples(5)
        .unwrap()
        .nearest(6, six + 1e-3)
        .unwrap()
        .track(&fam, 0.0..=1.0)
        .unwrap();
    // the six copies keep an arbitrary basis at every t: a branch whose vector lies in its
    // group's eigenspace is paired without halving the step
    assert_eq!(tr.stats().rejected_steps, 0);
    for (si, &t) in tr.samples().iter().enumerate() {
        let w = tr.window(si);
        assert_eq!(w.len(), 6, "window size at t = {t}");
        for &(b, v) in &w {
            assert!(
                (v - (six + 0.01 * t)).abs() <= 1e-10,
                "t = {t}: window {w:?}, exact {}",
                six + 0.01 * t
            );
            let d = tr.branches()[b].slopes()[si].unwrap().re;
            assert!((d - 0.01).abs() <= 1e-10, "t = {t}: slope {d}");
        }
    }
}

/// A 3D model with a symmetry: the cube Laplacian plus t·V with the separable potential
/// V = v(x) + v(y) + v(z), v(x) = 40x². Its eigenvalues are sums of three eigenvalues of
/// the 1D operator T + t·diag(v) (exact, by a dense s × s solve), three-fold for all t
/// where two indices agree, and levels of different groups cross. The window holds the
/// exact k lowest at every sample, with exact slopes (the sums of the three 1D slopes).
/// Where two three-fold groups meet, all nine pairs cross at one t and the window
/// exchanges one group for the other there: every event at that t to 1e-10 (located on
/// the groups as levels; pair by pair they were spread over 0.1273–0.1294, with window
/// exits from 0.11875 on).
#[test]
fn a_3d_model_with_threefold_levels_keeps_the_exact_window() {
    let s = 16;
    let n = s * s * s;
    let h = 1.0 / (s + 1) as f64;
    let v = |i: usize| 40.0 * ((i + 1) as f64 * h - 0.5).powi(2);
    let mut pot = CooMatrix::new(n, n);
    for k in 0..s {
        for j in 0..s {
            for i in 0..s {
                pot.push(i + s * (j + s * k), i + s * (j + s * k), v(i) + v(j) + v(k));
            }
        }
    }
    let fam = SparseTerms::new(n)
        .constant(cube(s))
        .unwrap()
        .term(CscMatrix::from(&pot), |t| t)
        .unwrap();
    // the 1D levels and slopes at t: T + t·diag(v), slopes vᵀ(uᵢ∘uᵢ)
    let one_d = |t: f64| -> Vec<(f64, f64)> {
        let m = nalgebra::DMatrix::from_fn(s, s, |i, j| match i.abs_diff(j) {
            0 => 2.0 + t * v(i),
            1 => -1.0,
            _ => 0.0,
        });
        let e = m.symmetric_eigen();
        let mut out: Vec<(f64, f64)> = (0..s)
            .map(|c| {
                let u = e.eigenvectors.column(c);
                let slope = (0..s).map(|i| v(i) * u[i] * u[i]).sum::<f64>();
                (e.eigenvalues[c], slope)
            })
            .collect();
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        out
    };
    let k = 7; // (1,1,1), the three (1,1,2), the three (1,2,2)
    let samples = 11;
    let tr = Tracker::new()
        .samples(samples)
        .unwrap()
        .nearest(k, 0.0)
        .unwrap()
        .track(&fam, 0.0..=1.0)
        .unwrap();
    eprintln!("{:?}", tr.stats());
    for (si, &t) in tr.samples().iter().enumerate() {
        let l = one_d(t);
        let mut exact = Vec::new();
        for a in &l[..3] {
            for b in &l[..3] {
                for c in &l[..3] {
                    exact.push((a.0 + b.0 + c.0, a.1 + b.1 + c.1));
                }
            }
        }
        exact.sort_by(|a, b| a.0.total_cmp(&b.0));
        let w = tr.window(si);
        assert_eq!(w.len(), k);
        for (&(b, got), want) in w.iter().zip(&exact) {
            assert!(
                (got - want.0).abs() <= 1e-10 * want.0,
                "t = {t}: {w:?} against {exact:?}"
            );
            // the slope of the level with this value (equal values: equal slopes)
            let d = tr.branches()[b].slopes()[si].unwrap().re;
            assert!(
                (d - want.1).abs() <= 1e-8 * want.0,
                "t = {t}: slope {d} vs {}",
                want.1
            );
        }
    }
    // the three-fold groups (1,2,2) and (1,1,3) meet where 2e₁ = e₀ + e₂ (1D levels): all
    // nine pairs cross there, and the three of the first leave the window as the three of
    // the second enter, at that one t
    let f = |t: f64| {
        let l = one_d(t);
        2.0 * l[1].0 - l[0].0 - l[2].0
    };
    let (mut lo, mut hi) = (0.1, 0.2);
    assert!(f(lo) < 0.0 && f(hi) > 0.0);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if f(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let t_star = 0.5 * (lo + hi);
    let (mut crossings, mut exits, mut entries) = (Vec::new(), 0, 0);
    for e in tr.events() {
        match e {
            WindowEvent::Crossing { t, branches, .. } => {
                assert!((t - t_star).abs() <= 1e-10, "{e:?} against t* = {t_star}");
                crossings.push(*branches);
            }
            WindowEvent::Exit { t, .. } | WindowEvent::Entry { t, .. } => {
                assert!((t - t_star).abs() <= 1e-10, "{e:?} against t* = {t_star}");
                if matches!(e, WindowEvent::Exit { .. }) {
                    exits += 1;
                } else {
                    entries += 1;
                }
            }
            // guard pairs leaving the computed band
            WindowEvent::Left { .. } => {}
            other => panic!("unexpected event {other:?}"),
        }
    }
    crossings.sort_unstable();
    crossings.dedup();
    assert_eq!(crossings.len(), 9, "{crossings:?}");
    assert_eq!((exits, entries), (3, 3));
    // the pairs join one group to the other: at the sample before t*, each pair's two
    // branches are three-fold levels 1e-3 apart or more
    let before = tr
        .samples()
        .iter()
        .rposition(|&t| t < t_star)
        .expect("a sample before");
    for [a, b] in crossings {
        let (va, vb) = (
            tr.branches()[a].values()[before].expect("tracked").re,
            tr.branches()[b].values()[before].expect("tracked").re,
        );
        assert!((va - vb).abs() > 1e-3, "branches {a}, {b}: {va} and {vb}");
    }
}

/// diag(1, 2, …, n − 1) and a level 50 − t coming down through them.
fn sweep(n: usize) -> SparseTerms<f64> {
    let (mut d, mut e) = (CooMatrix::new(n, n), CooMatrix::new(n, n));
    for i in 0..n - 1 {
        d.push(i, i, (i + 1) as f64);
    }
    d.push(n - 1, n - 1, 50.0);
    e.push(n - 1, n - 1, -1.0);
    SparseTerms::new(n)
        .constant(CscMatrix::from(&d))
        .unwrap()
        .term(CscMatrix::from(&e), |t| t)
        .unwrap()
}

#[test]
fn window_entry_and_exit_at_known_t_are_not_crossings() {
    // σ = 10.2, k = 3: the window is {9, 10, 11} while the level ℓ = 50 − t is away. ℓ
    // enters when |ℓ − 10.2| = 1.2 (and 9 leaves): t = 38.6, where nothing crosses; it
    // crosses 11, 10 and 9 at t = 39, 40, 41, and at t = 41 it also leaves the window (9,
    // at the same distance, comes back): there an exit and a crossing are both reported
    let fam = sweep(30);
    let tr = Tracker::new()
        .samples(31)
        .unwrap()
        .nearest(3, 10.2)
        .unwrap()
        .track(&fam, 30.0..=45.0)
        .unwrap();
    let at = |kind: &str| -> Vec<f64> {
        tr.events()
            .iter()
            .filter(|e| e.kind() == kind)
            .map(|e| e.t())
            .collect()
    };
    let (entries, exits, crossings) = (at("window_entry"), at("window_exit"), at("crossing"));
    eprintln!("{entries:?} {exits:?} {crossings:?}");
    let near = |v: &[f64], t: f64| v.iter().any(|&x| (x - t).abs() < 1e-9);
    assert!(
        near(&entries, 38.6) && near(&exits, 38.6),
        "{entries:?} {exits:?}"
    );
    assert!(
        near(&entries, 41.0) && near(&exits, 41.0),
        "{entries:?} {exits:?}"
    );
    assert_eq!(entries.len(), 2);
    assert_eq!(exits.len(), 2);
    for t in [39.0, 40.0, 41.0] {
        assert!(near(&crossings, t), "crossing at {t}: {crossings:?}");
    }
    // no crossing is reported where only the window changes
    assert!(!near(&crossings, 38.6));
    assert_eq!(crossings.len(), 3);
    // the moving level keeps its identity: its branch reads 50 − t wherever computed
    let moving = tr
        .branches()
        .iter()
        .find(|b| {
            b.slopes()
                .iter()
                .flatten()
                .any(|s| (s.re + 1.0).abs() < 1e-12)
        })
        .unwrap();
    for (s, v) in moving.values().iter().enumerate() {
        if let Some(v) = v {
            assert!((v.re - (50.0 - tr.samples()[s])).abs() < 1e-10);
        }
    }
}

/// The progress callback sees every accepted step (fraction rising to 1, t along the
/// range, the statistics growing); a Break stops the track with `Error::Interrupted` at
/// the t reached, and a track without a Break gives the same result as one without a
/// callback.
#[test]
fn progress_is_called_after_every_step_and_can_interrupt() {
    use eigentrack::sparse::Nearest;
    use eigentrack::Error;
    use std::ops::ControlFlow;
    use std::sync::{Arc, Mutex};

    let fam = aniso(12, 9);
    // (fraction, t, accepted steps, factorisations) at each call
    type Calls = Arc<Mutex<Vec<(f64, f64, usize, usize)>>>;
    let seen: Calls = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let base = Nearest::new(4, 1.0).unwrap().samples(11).unwrap();
    let watched = base.clone().progress(move |p| {
        log.lock().unwrap().push((
            p.fraction,
            p.t,
            p.stats.accepted_steps,
            p.stats.solver.factorizations,
        ));
        ControlFlow::Continue(())
    });
    let tr = watched.track(&fam, 0.0..=0.5).unwrap();
    let plain = base.track(&fam, 0.0..=0.5).unwrap();
    assert_eq!(
        tr.branches(),
        plain.branches(),
        "the callback changes nothing"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.len(),
        tr.stats().accepted_steps,
        "one call per accepted step"
    );
    for (k, w) in seen.windows(2).enumerate() {
        assert!(
            w[1].0 > w[0].0 && w[1].1 > w[0].1,
            "rising at call {k}: {w:?}"
        );
        assert_eq!(w[1].2, w[0].2 + 1);
        assert!(w[1].3 >= w[0].3);
    }
    let last = seen.last().unwrap();
    assert_eq!((last.0, last.1), (1.0, 0.5));
    for &(f, t, _, _) in seen.iter() {
        assert!((f - t / 0.5).abs() < 1e-12, "fraction {f} at t = {t}");
    }
    assert!(last.3 >= 1, "the factorisations so far are visible");

    // a Break at 40 % stops at the first step beyond it; backwards too
    for (range, stop_t) in [(0.0..=0.5, 0.2), (0.5..=0.0, 0.3)] {
        let calls: Arc<Mutex<Vec<f64>>> = Arc::new(Mutex::new(Vec::new()));
        let counter = calls.clone();
        let stop = Nearest::new(4, 1.0)
            .unwrap()
            .samples(11)
            .unwrap()
            .progress(move |p| {
                counter.lock().unwrap().push(p.fraction);
                if p.fraction >= 0.4 - 1e-12 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            });
        match stop.track(&fam, range.clone()) {
            Err(Error::Interrupted { t }) => {
                assert!((t - stop_t).abs() < 1e-12, "{range:?}: stopped at {t}")
            }
            other => panic!("{range:?}: expected Interrupted, got {other:?}"),
        }
        let calls = calls.lock().unwrap();
        let (last, before) = calls.split_last().unwrap();
        assert!(
            *last >= 0.4 - 1e-12 && before.iter().all(|&f| f < 0.4 - 1e-12),
            "{range:?}: no call after the Break: {calls:?}"
        );
    }
}

/// Blocks [[aⱼ, bⱼ], [−bⱼ, aⱼ]] (eigenvalues aⱼ ± i bⱼ): aⱼ = −0.3(j + 1) with
/// bⱼ = 1 + 0.1j, except block 40 with a(t) = −12.3 + 12.9t and b = 1.2: its pair passes
/// Re = −0.6 (the second pair's real part: it enters the window of the 4 rightmost) at
/// t = 11.7/12.9, Re = −0.3 at t = 12/12.9, and Re = 0 (a stability change) at
/// t = 12.3/12.9.
#[test]
fn largest_real_part_follows_the_rightmost_through_an_entry() {
    let blocks = 100;
    let n = 2 * blocks;
    let (mut a0, mut a1) = (CooMatrix::new(n, n), CooMatrix::new(n, n));
    let exact = |j: usize, t: f64| -> (f64, f64, f64) {
        if j == 40 {
            (-12.3 + 12.9 * t, 1.2, 12.9)
        } else {
            (-0.3 * (j + 1) as f64, 1.0 + 0.1 * j as f64, 0.0)
        }
    };
    for j in 0..blocks {
        let (a, b, _) = exact(j, 0.0);
        let (p, q) = (2 * j, 2 * j + 1);
        a0.push(p, p, a);
        a0.push(q, q, a);
        a0.push(p, q, b);
        a0.push(q, p, -b);
        if j == 40 {
            a1.push(p, p, 12.9);
            a1.push(q, q, 12.9);
        }
    }
    let fam = SparseTerms::new(n)
        .constant(CscMatrix::from(&a0))
        .unwrap()
        .term(CscMatrix::from(&a1), |t| t)
        .unwrap();
    let tr = Tracker::new()
        .samples(21)
        .unwrap()
        .largest_real(4)
        .unwrap()
        .track(&fam, 0.0..=1.0)
        .unwrap();
    // every value in the window is an exact aⱼ ± i bⱼ, with the exact slope
    for b in tr.branches() {
        for (s, (v, d)) in b.values().iter().zip(b.slopes()).enumerate() {
            let (Some(v), Some(d)) = (v, d) else { continue };
            if !b.in_window()[s] {
                continue;
            }
            let t = tr.samples()[s];
            let (j, err) = (0..blocks)
                .map(|j| {
                    let (a, bj, _) = exact(j, t);
                    (j, (v.re - a).abs() + (v.im.abs() - bj).abs())
                })
                .min_by(|x, y| x.1.total_cmp(&y.1))
                .unwrap();
            assert!(err < 1e-9, "{v} at t = {t}: off block {j} by {err}");
            assert!(
                (d.re - exact(j, t).2).abs() < 1e-7 && d.im.abs() < 1e-7,
                "slope {d}"
            );
        }
    }
    // the window at every sample: the 4 largest exact real parts
    let re = |s: usize| -> Vec<f64> { tr.window(s).iter().map(|w| w.1).collect() };
    for (s, &t) in tr.samples().iter().enumerate() {
        let mut all: Vec<f64> = (0..blocks).flat_map(|j| [exact(j, t).0; 2]).collect();
        all.sort_by(|a, b| b.total_cmp(a));
        for (got, want) in re(s).iter().zip(&all[..4]) {
            assert!(
                (got - want).abs() < 1e-9,
                "t = {t}: {:?} vs {:?}",
                re(s),
                &all[..4]
            );
        }
    }
    for (got, want) in re(0).iter().zip([-0.3, -0.3, -0.6, -0.6]) {
        assert!((got - want).abs() < 1e-10, "{:?}", re(0));
    }
    for (got, want) in re(20).iter().zip([0.6, 0.6, -0.3, -0.3]) {
        assert!((got - want).abs() < 1e-10, "{:?}", re(20));
    }
    // block 40's pair enters at t = 11.7/12.9 (both members) and block 1's pair leaves
    let at = |kind: &str| -> Vec<f64> {
        tr.events()
            .iter()
            .filter(|e| e.kind() == kind)
            .map(|e| e.t())
            .collect()
    };
    let (entries, exits) = (at("window_entry"), at("window_exit"));
    assert_eq!(entries.len(), 2, "{entries:?}");
    let te = 11.7 / 12.9;
    assert!(entries.iter().all(|t| (t - te).abs() < 1e-8), "{entries:?}");
    assert!(
        exits.iter().all(|t| (t - te).abs() < 1e-8) && exits.len() == 2,
        "{exits:?}"
    );
    assert!(
        tr.stats().solver.recentrings >= 1,
        "{:?}",
        tr.stats().solver
    );
}

#[test]
fn largest_real_part_rejects_pencils() {
    let mut d = CooMatrix::new(4, 4);
    for i in 0..4 {
        d.push(i, i, i as f64);
    }
    let fam = SparseTerms::new(4).constant(CscMatrix::from(&d)).unwrap();
    let err = eigentrack::sparse::Nearest::largest_real(1)
        .unwrap()
        .track_pencil(&fam, &fam, 0.0..=1.0)
        .unwrap_err();
    assert!(
        matches!(
            err,
            eigentrack::Error::InvalidArgument { name: "target", .. }
        ),
        "{err:?}"
    );
}
