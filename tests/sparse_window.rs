//! The windowed sparse track (`eigentrack::sparse::Nearest`) on families with exact
//! answers: the separable 2D Laplacian with an anisotropic scaling (eigenvalues in closed
//! form, exact crossings), and windows entered and left at known t.

use eigentrack::dual::DualNum;
use eigentrack::sparse::{SparseTerms, WindowTracking};
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

/// Every branch keeps one closed-form eigenvalue (i, j) at every sample where it is
/// computed, to `tol` relative in value and slope; and the window at every sample is the
/// k closed-form eigenvalues nearest σ.
fn check_closed_form(tr: &WindowTracking, nx: usize, ny: usize, sigma: f64, tol: f64) {
    let (mx, my) = (mu(nx), mu(ny));
    let exact = |i: usize, j: usize, t: f64| (t.exp() * mx[i] + my[j], t.exp() * mx[i]);
    for (bi, b) in tr.branches().iter().enumerate() {
        let Some(s0) = b.values().iter().position(|v| v.is_some()) else {
            continue;
        };
        let (t0, l0, d0) = (
            tr.samples()[s0],
            b.values()[s0].unwrap().re,
            b.slopes()[s0].unwrap().re,
        );
        // identify (i, j) by value and slope
        let mut best = (f64::INFINITY, 0, 0);
        for i in 0..nx {
            for j in 0..ny {
                let (l, d) = exact(i, j, t0);
                let e = (l - l0).abs() + (d - d0).abs();
                if e < best.0 {
                    best = (e, i, j);
                }
            }
        }
        let (_, i, j) = best;
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
    let (nx, ny) = (40, 40);
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
    assert!(tr.events().iter().any(|e| e.kind() == "crossing"));
    assert!(tr.events().iter().any(|e| e.kind() == "window_entry"));
}
