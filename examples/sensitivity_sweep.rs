//! Design question: how far does external damping push out the instability threshold of
//! a rotor with internal (rotating) damping?
//!
//! A Jeffcott rotor in the complex whirl coordinate z = x + iy obeys
//! m z̈ + (cₑ + cᵢ) ż + (k − iΩcᵢ) z = 0. Internal damping cᵢ drives the forward whirl
//! unstable above Ω* = ωₙ(1 + cₑ/cᵢ), ωₙ = √(k/m): the eigenvalue crosses Re λ = 0.
//! We track the eigenvalues of the first-order system matrix along the speed Ω, locate
//! the crossing as a level event, and get dΩ*/dk, dΩ*/dcₑ, dΩ*/dcᵢ by the implicit
//! function theorem — then sweep cₑ in parallel. Everything is checked against the
//! closed form.
//!
//! Writes `plots/sensitivity_sweep.png` (the growth rate Re λ of the whirl modes against
//! the speed, one curve per cₑ). Run with `cargo run --release --example sensitivity_sweep`.

use eigentrack::sensitivity::{sensitivities, sweep_sensitivities, Parametric};
use eigentrack::{plot_sweep, Complex64, Event, Part, PlotOptions, Tracker};
use nalgebra::DMatrix;
use std::sync::atomic::{AtomicUsize, Ordering};

const M: f64 = 1.0;

/// A(Ω; k, cₑ, cᵢ) = [[0, 1], [−(k − iΩcᵢ)/m, −(cₑ + cᵢ)/m]].
fn rotor(omega: f64, p: &[f64]) -> DMatrix<Complex64> {
    let (k, ce, ci) = (p[0], p[1], p[2]);
    let c = |re: f64, im: f64| Complex64::new(re, im);
    DMatrix::from_row_slice(
        2,
        2,
        &[
            c(0.0, 0.0),
            c(1.0, 0.0),
            c(-k / M, omega * ci / M),
            c(-(ce + ci) / M, 0.0),
        ],
    )
}

fn main() -> eigentrack::Result<()> {
    let fam = Parametric::new(3, rotor);
    let tracker = Tracker::new().samples(301)?.level(Part::Re, 0.0)?;
    let p = [4.0, 0.05, 0.1]; // k, cₑ, cᵢ: ωₙ = 2, Ω* = 2·(1 + 0.5) = 3
    let s = sensitivities(&tracker, &fam, &p, 0.0..=6.0)?;
    println!(
        "Jeffcott rotor, m = {M}, k = {}, cₑ = {}, cᵢ = {}",
        p[0], p[1], p[2]
    );
    for es in s.events() {
        let Event::Level { branch, value, .. } = &s.tracking().events()[es.event()] else {
            continue;
        };
        let d = es.dt_dp()?;
        let (k, ce, ci) = (p[0], p[1], p[2]);
        let wn = (k / M).sqrt();
        let exact = [
            (1.0 + ce / ci) / (2.0 * (k * M).sqrt()),
            wn / ci,
            -wn * ce / (ci * ci),
        ];
        println!(
            "branch {branch} crosses Re λ = 0 at Ω* = {:.12} (closed form {:.12}), whirl frequency {:.6}",
            es.t(),
            wn * (1.0 + ce / ci),
            value.im
        );
        assert!((es.t() - wn * (1.0 + ce / ci)).abs() < 1e-9, "Ω* off");
        for (name, (got, want)) in ["k", "cₑ", "cᵢ"].iter().zip(d.iter().zip(exact)) {
            println!("  dΩ*/d{name:<2} = {got:+.9}   closed form {want:+.9}");
            assert!((got - want).abs() < 1e-6 * want.abs(), "dΩ*/d{name} off");
        }
    }
    // the sensitivity of the whirl eigenvalue to cₑ just below the threshold
    let i = s
        .tracking()
        .samples()
        .iter()
        .position(|&o| o >= 2.9)
        .unwrap_or(0);
    for b in 0..s.tracking().branches().len() {
        println!(
            "at Ω = {:.2}: branch {b}: λ = {:.5}, ∂λ/∂cₑ = {:.5}",
            s.tracking().samples()[i],
            s.tracking().branches()[b].values()[i],
            s.dlambda(b, 1)[i]
        );
    }

    // sweep the external damping: how Ω* grows with cₑ
    let ces: Vec<Vec<f64>> = (0..15).map(|j| vec![4.0, 0.02 * j as f64, 0.1]).collect();
    let finished = AtomicUsize::new(0);
    let progress = |done: usize, total: usize| {
        if done == total {
            finished.store(done, Ordering::Relaxed);
        }
    };
    let all = sweep_sensitivities(&tracker, &fam, &ces, 0.0..=8.0, Some(&progress))?;
    println!(
        "\nsweep over cₑ ({} tracks in parallel):",
        finished.load(Ordering::Relaxed)
    );
    println!("   cₑ      Ω*          dΩ*/dcₑ    (closed form Ω* = 2(1 + cₑ/0.1), dΩ*/dcₑ = 20)");
    for (p, s) in ces.iter().zip(&all) {
        let exact = 2.0 * (1.0 + p[1] / 0.1);
        match s.events().first() {
            Some(es) => {
                println!("  {:.2}  {:.9}  {:+.6}", p[1], es.t(), es.dt_dp()?[1]);
                assert!((es.t() - exact).abs() < 1e-9 && (es.dt_dp()?[1] - 20.0).abs() < 1e-6);
            }
            None => {
                println!("  {:.2}  stable up to Ω = 8", p[1]);
                assert!(exact > 8.0, "a threshold below Ω = 8 was missed");
            }
        }
    }
    let runs: Vec<(f64, eigentrack::Tracking)> = ces
        .iter()
        .zip(all)
        .map(|(p, s)| (p[1], s.tracking().clone()))
        .collect();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/plots/sensitivity_sweep.png");
    plot_sweep(
        path,
        &runs,
        &PlotOptions::new()
            .title("Jeffcott rotor with internal damping: growth rate against speed")
            .parameter("Ω")
            .x_label("spin speed Ω")
            .y_label("growth rate Re λ")
            .sweep_label("cₑ")
            .guide("stability limit Re λ = 0", [(0.0, 0.0), (8.0, 0.0)]),
    )?;
    println!("wrote {path}");
    Ok(())
}
