//! The README's main job: λ = t against λ = e^{t²} − 1, hidden behind a rotation.
//!
//! A(t) = R(t/2) · diag(t, e^{t²} − 1) · R(t/2)ᵀ on t ∈ [−1, 1.5], with R(θ) the 2×2
//! rotation. The eigenvalues are exactly t and e^{t²} − 1; they cross at t = 0 and where
//! t² = ln(1 + t) (t ≈ 0.7469). A solver's sorted output swaps them at each crossing;
//! eigentrack keeps each one on its own branch.
//!
//! Prints the branch and event table and writes `plots/crossing.png` (sorted against tracked).
//! Run with `cargo run --release --example crossing`.

use eigentrack::nalgebra::DMatrix;
use eigentrack::plot::{Panels, PlotOptions};
use eigentrack::{track, Event};

fn a(t: f64) -> DMatrix<f64> {
    let (c, s) = ((t / 2.0).cos(), (t / 2.0).sin());
    let r = DMatrix::from_row_slice(2, 2, &[c, -s, s, c]);
    let d = DMatrix::from_row_slice(2, 2, &[t, 0.0, 0.0, (t * t).exp() - 1.0]);
    &r * d * r.transpose()
}

/// The second crossing, t² = ln(1 + t) on (0.5, 1), by bisection.
fn second_crossing() -> f64 {
    let f = |t: f64| (t * t).exp() - 1.0 - t;
    let (mut lo, mut hi) = (0.5, 1.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(lo) * f(mid) <= 0.0 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    0.5 * (lo + hi)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tracking = track(a, -1.0..=1.5)?;
    println!("{tracking}\n");

    // The two crossings against their exact locations.
    let exact = [0.0, second_crossing()];
    let found: Vec<f64> = tracking
        .events()
        .iter()
        .filter(|e| matches!(e, Event::Crossing { .. }))
        .map(Event::t)
        .collect();
    for (t_exact, t_found) in exact.iter().zip(&found) {
        println!(
            "crossing at t = {t_found:+.10}  (exact {t_exact:+.10}, error {:.1e})",
            (t_found - t_exact).abs()
        );
    }
    assert_eq!(found.len(), 2, "expected two crossings, found {found:?}");
    assert!(found.iter().zip(&exact).all(|(f, e)| (f - e).abs() < 1e-6));
    // Branch identity: the branch that starts at λ = −1 (= t) ends at λ = 1.5.
    let ends: Vec<f64> = tracking
        .branches()
        .iter()
        .map(|b| b.values().last().unwrap().re)
        .collect();
    assert!((ends[0] - 1.5).abs() < 1e-9 && (ends[1] - (2.25f64.exp() - 1.0)).abs() < 1e-9);

    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/plots");
    std::fs::create_dir_all(dir)?;
    let path = format!("{dir}/crossing.png");
    tracking.plot_with(
        &path,
        &PlotOptions::new()
            .panels(Panels::SortedVsTracked)
            .title("A(t) = R(t/2)·diag(t, exp(t²) − 1)·R(t/2)ᵀ: sorted output against tracked branches")
            .labels(["λ = t", "λ = exp(t²) − 1"])
            .size(1400, 620),
    )?;
    println!("wrote {path}");
    Ok(())
}
