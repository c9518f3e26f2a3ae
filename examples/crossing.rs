//! The README's main job: λ = t against λ = e^{t²} − 1, mixed by a rotation R(t/2).
//!
//! A(t) = R(t/2) · diag(t, e^{t²} − 1) · R(t/2)ᵀ on t ∈ [−1, 1.5]. The eigenvalues are
//! exactly t and e^{t²} − 1; they cross at t = 0 and at t* ≈ 0.746882 (where
//! t² = ln(1 + t)). A solver's sorted output swaps them at both; eigentrack keeps each
//! branch on its own curve.
//!
//! Prints the branch and event table and writes `plots/crossing.png` (sorted output
//! against tracked branches). Run with `cargo run --release --example crossing`.

use eigentrack::plot::{Panels, PlotOptions};
use eigentrack::{nalgebra::DMatrix, Event, Tracker, WithDerivative};

fn rot(t: f64) -> DMatrix<f64> {
    let (s, c) = (t / 2.0).sin_cos();
    DMatrix::from_row_slice(2, 2, &[c, -s, s, c])
}

fn drot(t: f64) -> DMatrix<f64> {
    let (s, c) = (t / 2.0).sin_cos();
    DMatrix::from_row_slice(2, 2, &[-s, -c, c, -s]) * 0.5
}

/// The second crossing, e^{t²} − 1 = t on (0.5, 1), by bisection.
fn second_crossing() -> f64 {
    let f = |t: f64| (t * t).exp() - 1.0 - t;
    let (mut lo, mut hi) = (0.5, 1.0);
    for _ in 0..100 {
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
    let d = |t: f64| DMatrix::from_row_slice(2, 2, &[t, 0.0, 0.0, (t * t).exp() - 1.0]);
    let dd = |t: f64| DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 2.0 * t * (t * t).exp()]);
    let a = |t: f64| rot(t) * d(t) * rot(t).transpose();
    let da = |t: f64| {
        let (r, dr) = (rot(t), drot(t));
        &dr * d(t) * r.transpose() + &r * dd(t) * r.transpose() + &r * d(t) * dr.transpose()
    };
    let tracking = Tracker::new().track_family(&WithDerivative(a, da), -1.0..=1.5)?;
    println!("{tracking}\n");

    // The crossings against their exact locations.
    let exact = [0.0, second_crossing()];
    let found: Vec<f64> = tracking
        .events()
        .iter()
        .filter(|e| matches!(e, Event::Crossing { .. }))
        .map(Event::t)
        .collect();
    for (t_found, t_exact) in found.iter().zip(&exact) {
        println!(
            "crossing at t = {t_found:+.10}  (exact {t_exact:+.10}, error {:.1e})",
            (t_found - t_exact).abs()
        );
    }
    assert_eq!(found.len(), 2, "expected two crossings, found {found:?}");
    assert!(found.iter().zip(&exact).all(|(f, e)| (f - e).abs() < 1e-6));
    // Identity kept: the branch that starts at λ = t = −1 ends at λ = t = 1.5.
    let ends: Vec<f64> = tracking
        .branches()
        .iter()
        .map(|b| b.values().last().map_or(f64::NAN, |v| v.re))
        .collect();
    assert!((ends[0] - 1.5).abs() < 1e-9, "branch ends {ends:?}");
    assert!(
        (ends[1] - (2.25f64.exp() - 1.0)).abs() < 1e-9,
        "branch ends {ends:?}"
    );

    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/plots");
    std::fs::create_dir_all(dir)?;
    let path = format!("{dir}/crossing.png");
    tracking.plot_with(
        &path,
        &PlotOptions::new()
            .panels(Panels::SortedVsTracked)
            .title("A(t) = R(t/2) diag(t, exp(t²) − 1) R(t/2)ᵀ: sorted output against tracked branches")
            .labels(["λ = t", "λ = exp(t²) − 1"])
            .size(1400, 700),
    )?;
    println!("wrote {path}");
    Ok(())
}
