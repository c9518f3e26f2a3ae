//! Landau–Zener: the avoided crossing of H(t) = [[t, g], [g, −t]].
//!
//! The adiabatic levels ±√(t² + g²) come closest at t = 0 with the gap 2g; the diabatic
//! states |1⟩, |2⟩ (energies ±t) cross there. eigentrack follows the adiabatic branches by
//! default and reports the avoided crossing with its gap (a gap this broad, which the grid
//! itself shows, is an event on request, `Tracker::avoided_gap_max`; one narrower than
//! the grid can show always is); with
//! `CrossingPolicy::Diabatic` it follows the eigenvector character through the gap instead.
//! A sweep over g shows the gap opening.
//!
//! Writes `plots/landau_zener_adiabatic.png`, `plots/landau_zener_diabatic.png` and
//! `plots/landau_zener_sweep.png`. Run with `cargo run --release --example landau_zener`.

use eigentrack::nalgebra::DMatrix;
use eigentrack::plot::{plot_sweep, Panels, PlotOptions};
use eigentrack::{track, CrossingPolicy, Event, Tracker};

fn h(t: f64, g: f64) -> DMatrix<f64> {
    DMatrix::from_row_slice(2, 2, &[t, g, g, -t])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let g = 0.2;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/plots");
    std::fs::create_dir_all(dir)?;

    // Adiabatic (default): the branches stay on ±√(t² + g²); every avoided crossing is
    // reported.
    let adiabatic = Tracker::new()
        .avoided_gap_max(f64::INFINITY)?
        .track(|t| h(t, g), -2.0..=2.0)?;
    println!("adiabatic policy\n{adiabatic}\n");
    let avoided = adiabatic
        .events()
        .iter()
        .find_map(|e| match e {
            Event::AvoidedCrossing { t, gap, .. } => Some((*t, *gap)),
            _ => None,
        })
        .ok_or("no avoided crossing reported")?;
    println!(
        "avoided crossing at t = {:+.3e} with gap {:.10} (exact: t = 0, gap 2g = {})",
        avoided.0,
        avoided.1,
        2.0 * g
    );
    assert!(avoided.0.abs() < 1e-6 && (avoided.1 - 2.0 * g).abs() < 1e-6);
    // Landau–Zener probability of a diabatic passage at unit sweep rate (ħ = 1):
    // P = exp(−2π g² / |d(E₁ − E₂)/dt|) = exp(−π g²).
    println!(
        "Landau–Zener: a passage at unit rate stays diabatic with probability exp(−πg²) = {:.4}\n",
        (-std::f64::consts::PI * g * g).exp()
    );
    adiabatic.plot_with(
        format!("{dir}/landau_zener_adiabatic.png"),
        &PlotOptions::new()
            .title(format!(
                "Landau–Zener H(t) = [[t, g], [g, −t]], g = {g}: adiabatic branches"
            ))
            .y_label("energy λ")
            .labels(["lower level −√(t² + g²)", "upper level +√(t² + g²)"])
            .size(1200, 600),
    )?;

    // Diabatic: the branches follow the character of the eigenvectors, λ ≈ ±t.
    let diabatic = Tracker::new()
        .policy(CrossingPolicy::Diabatic)
        .track(|t| h(t, g), -2.0..=2.0)?;
    println!("diabatic policy\n{diabatic}\n");
    let ends: Vec<f64> = diabatic
        .branches()
        .iter()
        .map(|b| b.values().last().unwrap().re)
        .collect();
    // Branch 0 starts low at t = −2 in state |1⟩ (E ≈ t) and ends high, near +√(4 + g²).
    assert!(ends[0] > 0.0 && ends[1] < 0.0, "diabatic ends {ends:?}");
    diabatic.plot_with(
        format!("{dir}/landau_zener_diabatic.png"),
        &PlotOptions::new()
            .panels(Panels::SortedVsTracked)
            .title(format!(
                "Landau–Zener, g = {g}: sorted levels against diabatic branches"
            ))
            .y_label("energy λ")
            .labels(["diabatic state |1⟩ (E ≈ t)", "diabatic state |2⟩ (E ≈ −t)"])
            .size(1400, 600),
    )?;

    // The gap opening with g: a family of adiabatic eigencurves.
    let runs = [0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7]
        .iter()
        .map(|&g| Ok((g, track(move |t| h(t, g), -2.0..=2.0)?)))
        .collect::<eigentrack::Result<Vec<_>>>()?;
    plot_sweep(
        format!("{dir}/landau_zener_sweep.png"),
        &runs,
        &PlotOptions::new()
            .title("Landau–Zener: adiabatic levels ±√(t² + g²) as the coupling g grows")
            .sweep_label("coupling g")
            .y_label("energy λ")
            .size(1200, 600),
    )?;
    println!("wrote {dir}/landau_zener_{{adiabatic,diabatic,sweep}}.png");
    Ok(())
}
