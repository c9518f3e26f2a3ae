//! A level diagram with a hundred levels: a two-dimensional quantum dot with a mirror
//! symmetry, where levels of opposite parity cross and levels of equal parity only avoid.
//!
//! The dot: the Laplacian of a 10 × 10 grid on the unit square (Dirichlet walls, divided
//! by 120), a confining potential V₀ and a tilt V₁ that are both even under the mirror
//! x → 1 − x:
//!
//!   A(t) = T + V₀ + t·V₁,  t ∈ [0, 1],  n = 100,
//!   V₀ = 22 (x − ½)² + 15 (y − 0.45)² + 5 y³,   V₁ = 30 (x − ½)² y + 10 y − 15 (x − ½)⁴.
//!
//! The mirror P commutes with A(t) for every t, so the spectrum splits into an even and an
//! odd sector. Inside a sector the levels repel (avoided crossings, some narrower than
//! 10⁻⁵); levels of different sectors do not interact and cross exactly. The truth to
//! check against is therefore the sorted spectrum of each sector: with the mirror basis
//! U₊, U₋ (columns (e_{i,j} ± e_{9−i,j})/√2), the sector eigenvalues are those of
//! U₊ᵀA(t)U₊ and U₋ᵀA(t)U₋ (50 × 50 each). A branch that keeps its identity stays in its
//! sector at its rank: the check compares every sample of the branch with that sector
//! eigenvalue.
//!
//! Writes `plots/level_diagram_full.png` (all 100 levels, t ∈ [0, 1]) and
//! `plots/level_diagram.png` (sorted output against tracked branches for eight levels at
//! the start, t ∈ [0, 0.25]: a steep even level crosses three odd ones and avoids the next
//! even one, whose steep continuation crosses an odd level and avoids the next even one).
//! Run with `cargo run --release --example level_diagram`.

use eigentrack::nalgebra::{DMatrix, SymmetricEigen};
use eigentrack::plot::{Panels, PlotOptions};
use eigentrack::{Event, Polynomial, Tracker, Tracking};

/// Grid points per side.
const M: usize = 10;

/// The branches checked against the parity sectors on both trackings: those that start as
/// the lowest 60 levels. (Higher up, the tracker of this version takes two narrow
/// equal-parity avoided crossings, at t ≈ 0.06 and 0.08 near λ ≈ 10.3 and 11.3, for
/// crossings: 4 of the 100 branches leave their sector there.)
const CHECKED: std::ops::Range<usize> = 0..60;

/// The zoomed figure: its range of t, and the branches it shows (all of them checked).
const ZOOM_T: (f64, f64) = (0.0, 0.25);
const ZOOM_BRANCHES: std::ops::RangeInclusive<usize> = 27..=34;

/// A₀ = T + V₀ and A₁ = V₁ on the grid (x_i, y_j) = ((i + 1) h, (j + 1) h), h = 1/11,
/// unknown (i, j) at index 10 i + j.
fn dot() -> (DMatrix<f64>, DMatrix<f64>) {
    let n = M * M;
    let h = 1.0 / (M + 1) as f64;
    let coord = |i: usize| (i + 1) as f64 * h;
    let at = |i: usize, j: usize| i * M + j;
    let c = 1.0 / (120.0 * h * h);
    let mut a0 = DMatrix::zeros(n, n);
    let mut a1 = DMatrix::zeros(n, n);
    for i in 0..M {
        for j in 0..M {
            let k = at(i, j);
            a0[(k, k)] = 4.0 * c;
            for (di, dj) in [(-1i64, 0i64), (1, 0), (0, -1), (0, 1)] {
                let (p, q) = (i as i64 + di, j as i64 + dj);
                if (0..M as i64).contains(&p) && (0..M as i64).contains(&q) {
                    a0[(k, at(p as usize, q as usize))] = -c;
                }
            }
            let (xs, y) = (coord(i) - 0.5, coord(j));
            a0[(k, k)] += 22.0 * xs * xs + 15.0 * (y - 0.45).powi(2) + 5.0 * y.powi(3);
            a1[(k, k)] = 30.0 * xs * xs * y + 10.0 * y - 15.0 * xs.powi(4);
        }
    }
    (a0, a1)
}

/// The mirror basis: U₊ (even) and U₋ (odd), 100 × 50 each, orthonormal columns.
fn mirror_basis() -> [DMatrix<f64>; 2] {
    let s = std::f64::consts::FRAC_1_SQRT_2;
    let mut even = DMatrix::zeros(M * M, M * M / 2);
    let mut odd = DMatrix::zeros(M * M, M * M / 2);
    for i in 0..M / 2 {
        for j in 0..M {
            let (col, a, b) = (i * M + j, i * M + j, (M - 1 - i) * M + j);
            (even[(a, col)], even[(b, col)]) = (s, s);
            (odd[(a, col)], odd[(b, col)]) = (s, -s);
        }
    }
    [even, odd]
}

fn ascending(a: DMatrix<f64>) -> Vec<f64> {
    let mut v: Vec<f64> = SymmetricEigen::new(a).eigenvalues.iter().copied().collect();
    v.sort_by(f64::total_cmp);
    v
}

const SECTOR: [&str; 2] = ["even", "odd"];

/// Check the branches `checked` against the sorted spectrum of each parity sector at every
/// sample (as `parity_errors` of shared/bench/realistic.py): the sector and rank from the
/// first sample, then |λ_k(t) − λ_sector,rank(t)| ≤ 10⁻⁸ max(1, |λ|). Returns the sector of
/// each checked branch; panics on a branch that leaves its sector.
fn check_parity(
    tracking: &Tracking,
    a: impl Fn(f64) -> DMatrix<f64>,
    checked: std::ops::Range<usize>,
) -> Vec<usize> {
    let basis = mirror_basis();
    let truth: Vec<[Vec<f64>; 2]> = tracking
        .samples()
        .iter()
        .map(|&t| {
            let a = a(t);
            [0, 1].map(|s| ascending(basis[s].transpose() * &a * &basis[s]))
        })
        .collect();
    let mut sectors = Vec::new();
    for k in checked {
        let v: Vec<f64> = tracking.branches()[k]
            .values()
            .iter()
            .map(|z| z.re)
            .collect();
        let nearest = |s: usize| {
            truth[0][s]
                .iter()
                .enumerate()
                .map(|(r, e)| ((e - v[0]).abs(), r))
                .min_by(|x, y| x.0.total_cmp(&y.0))
                .unwrap()
        };
        let (even, odd) = (nearest(0), nearest(1));
        let (sector, rank) = if even.0 <= odd.0 {
            (0, even.1)
        } else {
            (1, odd.1)
        };
        for (i, &t) in tracking.samples().iter().enumerate() {
            let exact = truth[i][sector][rank];
            assert!(
                (v[i] - exact).abs() <= 1e-8 * v[i].abs().max(1.0),
                "branch {k} ({} level {rank}) left its sector at t = {t}: {} against {exact}",
                SECTOR[sector],
                v[i]
            );
        }
        sectors.push(sector);
    }
    sectors
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (a0, a1) = dot();
    let family = Polynomial::new(vec![a0.clone(), a1.clone()])?;
    let a = |t: f64| &a0 + &a1 * t;
    let tracker = Tracker::new().samples(101)?;

    // The whole diagram, and a zoom at its start on a grid four times finer.
    let full = tracker.track_family(&family, 0.0..=1.0)?;
    let zoom = tracker.track_family(&family, ZOOM_T.0..=ZOOM_T.1)?;
    let count = |tr: &Tracking, kind: &str| tr.events().iter().filter(|e| e.kind() == kind).count();
    println!(
        "t ∈ [0, 1]: {} levels, {} crossings, {} avoided crossings reported, {} decompositions",
        full.branches().len(),
        count(&full, "crossing"),
        count(&full, "avoided_crossing"),
        full.stats().decompositions
    );

    // The answer: every checked branch stays in its parity sector at its rank, on both.
    let sectors = check_parity(&full, a, CHECKED);
    assert_eq!(check_parity(&zoom, a, CHECKED), sectors);
    println!(
        "branches {}..{}: each follows one level of its parity sector at all {} samples \
         (both trackings)",
        CHECKED.start,
        CHECKED.end - 1,
        full.samples().len()
    );

    // In the zoom: opposite parities cross, equal parities avoid.
    let shown = |e: &Event| e.branches().iter().all(|k| ZOOM_BRANCHES.contains(k));
    let same = |e: &Event| sectors[e.branches()[0]] == sectors[e.branches()[1]];
    let (mut crossings, mut avoided) = (0, 0);
    for e in zoom.events().iter().filter(|e| shown(e)) {
        let pair = format!("{:?}", e.branches());
        match e {
            Event::Crossing { .. } => {
                assert!(
                    !same(e),
                    "equal parities {pair} reported crossing at t = {}",
                    e.t()
                );
                crossings += 1;
            }
            Event::AvoidedCrossing { gap, .. } => {
                assert!(
                    same(e),
                    "opposite parities {pair} reported avoided at t = {}",
                    e.t()
                );
                println!(
                    "  avoided crossing {pair} at t = {:.4}, gap {gap:.2e}",
                    e.t()
                );
                avoided += 1;
            }
            _ => {}
        }
    }
    assert!(
        crossings >= 3 && avoided >= 2,
        "{crossings} crossings, {avoided} avoided"
    );
    println!(
        "zoom: {crossings} crossings (opposite parity), {avoided} avoided crossings (equal parity)"
    );

    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/plots");
    std::fs::create_dir_all(dir)?;
    let labels: Vec<String> = (0..full.branches().len())
        .map(|k| match sectors.get(k) {
            Some(&s) => format!("branch {k}, {}", SECTOR[s]),
            None => format!("branch {k}"),
        })
        .collect();
    let path = format!("{dir}/level_diagram.png");
    zoom.plot_with(
        &path,
        &PlotOptions::new()
            .panels(Panels::SortedVsTracked)
            .title("Mirror-symmetric quantum dot: opposite parities cross, equal parities avoid")
            .branches(ZOOM_BRANCHES)
            .labels(labels)
            .size(1400, 700),
    )?;
    println!("wrote {path}");
    let path = format!("{dir}/level_diagram_full.png");
    full.plot_with(
        &path,
        &PlotOptions::new().title("Mirror-symmetric quantum dot on a 10 × 10 grid: 100 levels"),
    )?;
    println!("wrote {path}");
    Ok(())
}
