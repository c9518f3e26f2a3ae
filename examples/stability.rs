//! Loss of stability through a Hopf bifurcation: the Brusselator.
//!
//! The Brusselator reaction scheme, ẋ = a − (b + 1)x + x²y, ẏ = bx − x²y, has the steady
//! state (a, b/a). Its Jacobian there,
//!
//!   J(b) = [[b − 1, a²], [−b, −a²]],
//!
//! has trace b − 1 − a² and determinant a²: a damped complex pair λ = τ/2 ± i√(a² − τ²/4)
//! whose damping −τ/2 vanishes at b = 1 + a². There the pair crosses Re λ = 0 with
//! frequency a (a Hopf bifurcation) and the steady state gives way to a limit cycle.
//! eigentrack watches the level Re λ = 0 and locates the crossing.
//!
//! Writes `plots/stability.png`. Run with `cargo run --release --example stability`.

use eigentrack::nalgebra::DMatrix;
use eigentrack::plot::PlotOptions;
use eigentrack::{Event, Part, Tracker};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = 1.5;
    let jacobian = |b: f64| DMatrix::from_row_slice(2, 2, &[b - 1.0, a * a, -b, -a * a]);
    let tracking = Tracker::new()
        .level(Part::Re, 0.0)?
        .track(jacobian, 2.0..=4.5)?;
    println!("{tracking}\n");

    let b_hopf = 1.0 + a * a;
    let hopf: Vec<(f64, f64)> = tracking
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::Level { t, value, .. } => Some((*t, value.im)),
            _ => None,
        })
        .collect();
    for &(b, w) in &hopf {
        println!("Re λ = 0 at b = {b:.10} with Im λ = {w:+.8} (exact: b = 1 + a² = {b_hopf}, ω = ±a = ±{a})");
    }
    // Both members of the conjugate pair cross, at the same b.
    assert_eq!(hopf.len(), 2, "expected the pair to cross once: {hopf:?}");
    assert!(hopf
        .iter()
        .all(|&(b, w)| (b - b_hopf).abs() < 1e-6 && (w.abs() - a).abs() < 1e-6));

    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/plots");
    std::fs::create_dir_all(dir)?;
    tracking.plot_with(
        format!("{dir}/stability.png"),
        &PlotOptions::new()
            .title(format!(
                "Brusselator (a = {a}): the damped pair crosses Re λ = 0 at b = 1 + a² (Hopf)"
            ))
            .parameter("b")
            .x_label("feed rate b")
            .labels(["λ₋ = τ/2 − iω", "λ₊ = τ/2 + iω"])
            .size(1200, 750),
    )?;
    println!("wrote {dir}/stability.png");
    Ok(())
}
