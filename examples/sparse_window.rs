//! The six levels nearest a target energy of a large quantum dot (n = 10⁴), followed on
//! the sparse path without forming any n × n matrix.
//!
//! The dot: an electron in a hard-walled 10 × 10 box with an anisotropic parabolic
//! confinement V = ½(x² + ω²y²), ω² = 1.7, discretised on a 100 × 100 grid (finite
//! differences, Dirichlet walls), and an effective mass along x that decreases as t grows:
//! the kinetic energy along x is scaled by 1 + t,
//!
//!   H(t) = −½(1 + t)∂²ₓ − ½∂²ᵧ + ½(x² + ω²y²),  t ∈ [0, 1.5],  n = 10,000.
//!
//! It is a sum of three sparse terms with the exact coefficients 1 + t, 1 and 1
//! ([`SparseTerms`]). As t grows the x-excitations stiffen (their spacing grows like
//! √(1 + t)): levels with more x-quanta rise faster, enter the window of the six levels
//! nearest σ = 3.5 from below and leave it upwards, and cross levels with more y-quanta.
//! Near t = 0.7, where 1 + t = ω² and the dot is isotropic, the levels gather into the
//! shells of the two-dimensional oscillator: a cluster of crossings.
//!
//! The truth to check against: H(t) is separable, so its eigenvalues are the sums
//! aᵢ(t) + bⱼ of the eigenvalues of the two 100 × 100 one-dimensional operators. The
//! example checks every computed value of every branch against the nearest such sum
//! (to 1e-8 relative) and its slope against daᵢ/dt (Hellmann–Feynman), that every branch
//! keeps one (i, j), and the window at every sample against the six sums nearest σ. Then
//! it writes `plots/sparse_window.png` and prints the events, the factorisations and the
//! time. Run with `cargo run --release --example sparse_window`.

use eigentrack::nalgebra::DMatrix;
use eigentrack::nalgebra_sparse::{CooMatrix, CscMatrix};
use eigentrack::sparse::{Nearest, SparseTerms, WindowTracking};
use eigentrack::{eigh, PlotOptions};
use std::time::Instant;

/// Grid points per side, box side, target, window size, samples.
const M: usize = 100;
const L: f64 = 10.0;
const SIGMA: f64 = 3.5;
const K: usize = 6;
const SAMPLES: usize = 21;
const RANGE: (f64, f64) = (0.0, 1.5);
/// ω_y²: the confinement along y is stiffer than along x (no degenerate levels at t = 0).
const OMEGA_Y2: f64 = 1.7;

fn h() -> f64 {
    L / (M + 1) as f64
}

/// Coordinate of grid point i (the box is [−L/2, L/2]).
fn coord(i: usize) -> f64 {
    -L / 2.0 + (i + 1) as f64 * h()
}

/// −½∂² along x (`along_x`) or y, and ½(x² + y²), as sparse matrices on the grid; unknown
/// (i, j) at index i + M j.
fn terms() -> (CscMatrix<f64>, CscMatrix<f64>, CscMatrix<f64>) {
    let n = M * M;
    let c = 0.5 / (h() * h());
    let (mut tx, mut ty, mut v) = (
        CooMatrix::new(n, n),
        CooMatrix::new(n, n),
        CooMatrix::new(n, n),
    );
    for j in 0..M {
        for i in 0..M {
            let p = i + M * j;
            tx.push(p, p, 2.0 * c);
            ty.push(p, p, 2.0 * c);
            v.push(
                p,
                p,
                0.5 * coord(i).powi(2) + OMEGA_Y2 * 0.5 * coord(j).powi(2),
            );
            if i + 1 < M {
                tx.push(p, p + 1, -c);
                tx.push(p + 1, p, -c);
            }
            if j + 1 < M {
                ty.push(p, p + M, -c);
                ty.push(p + M, p, -c);
            }
        }
    }
    (
        CscMatrix::from(&tx),
        CscMatrix::from(&ty),
        CscMatrix::from(&v),
    )
}

/// The eigenvalues of the 1D operator −½s∂² + ½x² (ascending) and of −½∂² (for the
/// derivative in s: ⟨−½∂²⟩ in each eigenvector).
fn one_d(s: f64, omega2: f64) -> (Vec<f64>, Vec<f64>) {
    let c = 0.5 / (h() * h());
    let mut a = DMatrix::zeros(M, M);
    let mut t = DMatrix::zeros(M, M);
    for i in 0..M {
        a[(i, i)] = 2.0 * c * s + 0.5 * omega2 * coord(i).powi(2);
        t[(i, i)] = 2.0 * c;
        if i + 1 < M {
            a[(i, i + 1)] = -c * s;
            a[(i + 1, i)] = -c * s;
            t[(i, i + 1)] = -c;
            t[(i + 1, i)] = -c;
        }
    }
    let e = eigh(&a).expect("a symmetric tridiagonal matrix");
    let x = e.right();
    let values: Vec<f64> = e.values().iter().map(|z| z.re).collect();
    // Hellmann–Feynman: daᵢ/ds = xᵢᴴ(−½∂²)xᵢ (x unit-norm)
    let kinetic = (0..M)
        .map(|k| {
            let v: Vec<f64> = x.column(k).iter().map(|z| z.re).collect();
            let tv = &t * DMatrix::from_column_slice(M, 1, &v);
            v.iter().zip(tv.iter()).map(|(a, b)| a * b).sum()
        })
        .collect();
    (values, kinetic)
}

/// Check every branch against the separable truth; returns the number of values checked.
fn check(tr: &WindowTracking) -> usize {
    let b_levels = one_d(1.0, OMEGA_Y2).0;
    let mut checked = 0;
    let mut identity: Vec<Option<(usize, usize)>> = vec![None; tr.branches().len()];
    for (s, &t) in tr.samples().iter().enumerate() {
        let (a, da) = one_d(1.0 + t, 1.0);
        // the low sums (i, j) with their values and slopes
        let mut sums = Vec::new();
        for (i, ai) in a.iter().enumerate().take(30) {
            for (j, bj) in b_levels.iter().enumerate().take(30) {
                sums.push((ai + bj, da[i], (i, j)));
            }
        }
        for (k, b) in tr.branches().iter().enumerate() {
            let (Some(v), Some(d)) = (b.values()[s], b.slopes()[s]) else {
                continue;
            };
            let &(exact, slope, id) = sums
                .iter()
                .min_by(|p, q| {
                    ((p.0 - v.re).abs() + (p.1 - d.re).abs())
                        .total_cmp(&((q.0 - v.re).abs() + (q.1 - d.re).abs()))
                })
                .unwrap();
            assert!(
                (v.re - exact).abs() <= 1e-8 * exact.abs() && v.im == 0.0,
                "branch {k} at t = {t}: {v} against {exact}"
            );
            assert!(
                (d.re - slope).abs() <= 1e-6 * slope.abs().max(1.0),
                "slope of branch {k} at t = {t}: {d} against {slope}"
            );
            match identity[k] {
                None => identity[k] = Some(id),
                Some(first) => assert_eq!(first, id, "branch {k} changed level at t = {t}"),
            }
            checked += 1;
        }
        // the window: the K sums nearest σ
        let mut want: Vec<f64> = sums.iter().map(|p| p.0).collect();
        want.sort_by(|p, q| (p - SIGMA).abs().total_cmp(&(q - SIGMA).abs()));
        let mut want = want[..K].to_vec();
        let mut got: Vec<f64> = tr.window(s).iter().map(|w| w.1).collect();
        want.sort_by(f64::total_cmp);
        got.sort_by(f64::total_cmp);
        assert_eq!(got.len(), K);
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g - w).abs() <= 1e-8 * w,
                "window at t = {t}: {got:?} against {want:?}"
            );
        }
    }
    checked
}

fn main() -> eigentrack::Result<()> {
    let (tx, ty, v) = terms();
    let fam = SparseTerms::new(M * M)
        .term(tx, |t| t + 1.0)?
        .constant(ty)?
        .constant(v)?;
    let start = Instant::now();
    let tr = Nearest::new(K, SIGMA)?
        .samples(SAMPLES)?
        .track(&fam, RANGE.0..=RANGE.1)?;
    let seconds = start.elapsed().as_secs_f64();
    let checked = check(&tr);

    std::fs::create_dir_all("plots").map_err(|e| eigentrack::Error::Output {
        path: "plots".into(),
        reason: e.to_string(),
    })?;
    tr.plot_with(
        "plots/sparse_window.png",
        &PlotOptions::new()
            .title(format!(
                "the {K} levels nearest σ = {SIGMA} of a quantum dot (n = {}), kinetic energy along x scaled by 1 + t",
                M * M
            ))
            .symbol("E"),
    )?;

    let s = tr.stats();
    println!(
        "H(t) = -(1+t)/2 d²/dx² - 1/2 d²/dy² + (x² + {OMEGA_Y2} y²)/2 on a {M} × {M} grid (n = {}), the {K} levels nearest σ = {SIGMA}, t ∈ [{}, {}], {SAMPLES} samples",
        M * M,
        RANGE.0,
        RANGE.1
    );
    let count = |kind: &str| tr.events().iter().filter(|e| e.kind() == kind).count();
    println!(
        "events: {} crossings, {} window entries, {} window exits, {} unresolved",
        count("crossing"),
        count("window_entry"),
        count("window_exit"),
        count("unresolved")
    );
    for e in tr.events().iter().filter(|e| e.kind() != "left_band") {
        println!(
            "  {:<13} t = {:.10}  branches {:?}",
            e.kind(),
            e.t(),
            e.branches()
        );
    }
    println!(
        "{} factorisations ({:.2} s), {} solver iterations, {} steps, {} event points; {:.2} s in all",
        s.solver.factorizations,
        s.solver.factor_seconds,
        s.solver.iterations,
        s.accepted_steps,
        s.event_points,
        seconds
    );
    println!(
        "checked {checked} values and slopes of {} branches against the separable spectrum; wrote plots/sparse_window.png",
        tr.branches().len()
    );
    assert_eq!(count("unresolved"), 0);
    assert!(count("crossing") > 0 && count("window_entry") > 0);
    Ok(())
}
