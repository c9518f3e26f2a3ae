//! A PT-symmetric dimer: H(γ) = [[iγ, 1], [1, −iγ]], gain and loss γ on two coupled modes.
//!
//! λ = ±√(1 − γ²): a real pair for γ < 1 (PT-symmetric phase) that meets at the
//! exceptional point γ = 1, where the two eigenvectors coalesce (κ → ∞), and leaves as an
//! imaginary pair ±i√(γ² − 1) (broken phase: one mode grows, one decays).
//!
//! Writes `plots/pt_dimer.png` (eigencurves) and `plots/pt_dimer_complex.png` (paths in the
//! complex plane). Run with `cargo run --release --example pt_dimer`.

use eigentrack::nalgebra::DMatrix;
use eigentrack::plot::{Panels, PlotOptions};
use eigentrack::{track, Complex64, Event};

fn h(gamma: f64) -> DMatrix<Complex64> {
    let (one, ig) = (Complex64::new(1.0, 0.0), Complex64::new(0.0, gamma));
    DMatrix::from_row_slice(2, 2, &[ig, one, one, -ig])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tracking = track(h, 0.0..=2.0)?;
    println!("{tracking}\n");

    let ep = tracking
        .events()
        .iter()
        .find_map(|e| match e {
            Event::ExceptionalPoint { t, value, .. } => Some((*t, *value)),
            _ => None,
        })
        .ok_or("no exceptional point reported")?;
    println!(
        "exceptional point at γ = {:.8} with λ = {:.2e} (exact: γ = 1, λ = 0)",
        ep.0,
        ep.1.norm()
    );
    // λ ~ √(2(1 − γ)) near the EP: locating γ to δ puts λ at about √(2δ).
    assert!((ep.0 - 1.0).abs() < 1e-4, "EP at {}", ep.0);
    // Both branches follow ±√(1 − γ²) at every sample.
    for (i, &g) in tracking.samples().iter().enumerate() {
        let exact = Complex64::new(1.0 - g * g, 0.0).sqrt();
        let mut got: Vec<Complex64> = tracking.branches().iter().map(|b| b.values()[i]).collect();
        got.sort_by(|a, b| (a.re + a.im).total_cmp(&(b.re + b.im)));
        assert!((got[1] - exact).norm() < 1e-6 && (got[0] + exact).norm() < 1e-6);
    }

    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/plots");
    std::fs::create_dir_all(dir)?;
    let options = PlotOptions::new()
        .parameter("γ")
        .x_label("gain/loss γ")
        .size(1200, 700);
    tracking.plot_with(
        format!("{dir}/pt_dimer.png"),
        &options
            .clone()
            .title("PT dimer H(γ) = [[iγ, 1], [1, −iγ]]: λ = ±√(1 − γ²)"),
    )?;
    tracking.plot_with(
        format!("{dir}/pt_dimer_complex.png"),
        &options
            .panels(Panels::ComplexPlane)
            .title("PT dimer in the complex plane: a real pair meets at γ = 1 and leaves along the imaginary axis")
            .size(1200, 700),
    )?;
    println!("wrote {dir}/pt_dimer.png and {dir}/pt_dimer_complex.png");
    Ok(())
}
