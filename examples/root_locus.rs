//! A root locus: the closed-loop poles of G(s) = 1 / (s (s + 1) (s + 2)) under the output
//! feedback u = −k y, as the gain k grows from 0 to 10.
//!
//! In state-space form (controllable canonical) the closed loop is A − k·B·C. Its poles start
//! at the open-loop poles 0, −1, −2; the two right ones meet at the breakaway point
//! s = −1 + 1/√3 for k = 2/(3√3) ≈ 0.385 (an exceptional point of A − kBC: a real pair turns
//! into a complex pair) and cross the imaginary axis at s = ±i√2 for k = 6, where the loop
//! becomes unstable (level Re λ = 0).
//!
//! Writes `plots/root_locus.png`. Run with `cargo run --release --example root_locus`.

use eigentrack::nalgebra::{DMatrix, DVector};
use eigentrack::plot::{Panels, PlotOptions};
use eigentrack::{Event, Part, Tracker};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // s³ + 3s² + 2s = s(s + 1)(s + 2).
    let a = DMatrix::from_row_slice(3, 3, &[0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, -2.0, -3.0]);
    let b = DVector::from_vec(vec![0.0, 0.0, 1.0]);
    let c = DVector::from_vec(vec![1.0, 0.0, 0.0]).transpose();
    let bc = &b * &c;
    let closed_loop = |k: f64| &a - &bc * k;

    let tracking = Tracker::new()
        .level(Part::Re, 0.0)?
        .track(closed_loop, 0.0..=10.0)?;
    println!("{tracking}\n");

    let k_breakaway = 2.0 / (3.0 * 3f64.sqrt());
    let ep = tracking
        .events()
        .iter()
        .find(|e| matches!(e, Event::ExceptionalPoint { .. }))
        .ok_or("no breakaway point reported")?;
    println!(
        "breakaway at k = {:.8} (exact 2/(3√3) = {k_breakaway:.8})",
        ep.t()
    );
    assert!((ep.t() - k_breakaway).abs() < 1e-4);
    let unstable: Vec<f64> = tracking
        .events()
        .iter()
        .filter(|e| matches!(e, Event::Level { .. }))
        .map(Event::t)
        .collect();
    println!("Re λ = 0 crossed at k = {unstable:?} (exact: 6, by the Routh–Hurwitz criterion)");
    // The pole that starts at s = 0 sits on the level at k = 0; the pair crosses at k = 6.
    assert!(unstable.iter().any(|k| (k - 6.0).abs() < 1e-6));
    assert!(unstable
        .iter()
        .all(|k| (k - 6.0).abs() < 1e-6 || k.abs() < 1e-6));

    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/plots");
    std::fs::create_dir_all(dir)?;
    tracking.plot_with(
        format!("{dir}/root_locus.png"),
        &PlotOptions::new()
            .panels(Panels::ComplexPlane)
            .parameter("k")
            .title("Root locus of G(s) = 1/(s(s+1)(s+2)) under u = −k·y")
            .symbol("s")
            .labels(["pole from s = −2", "pole from s = −1", "pole from s = 0"])
            .size(1100, 750),
    )?;
    println!("wrote {dir}/root_locus.png");
    Ok(())
}
