//! Whole tracks: random real A₀ + tA₁ and its symmetric twin at n = 4, 20, 100, 300,
//! with slopes, on t ∈ [0, 1]. Prints, as medians over repeated runs: the time per
//! accepted step, decompositions per sample, and the time spent outside the
//! eigen-decompositions (the tracker's own overhead) relative to the decomposition time,
//! broken down into analysis (slopes, cluster bases), matching and the rest.
//!
//! `cargo bench --bench track [-- FILTER] [-- --full] [-- --auto]`: without `--full` the
//! tracks are lean (slopes only: `curvatures(false)`, `locate_events(false)`); with it,
//! curvatures at every step and located events (much slower on dense spectra, where every
//! avoided crossing is located). The symmetric family is declared Hermitian
//! (`HermitianMode::Yes`) unless `--auto`, which leaves it to the per-matrix test (the
//! default of `Tracker`).

use eigentrack::{nalgebra::DMatrix, HermitianMode, Polynomial, Tracker};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

fn gaussian(n: usize, rng: &mut ChaCha8Rng) -> DMatrix<f64> {
    DMatrix::from_fn(n, n, |_, _| StandardNormal.sample(rng))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let full = std::env::args().any(|a| a == "--full");
    let auto = std::env::args().any(|a| a == "--auto");
    println!(
        "| family | n | samples | accepted steps | decompositions / sample | ms / accepted step | ms / decomposition | outside / decomposition time | analysis | matching |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (name, sym) in [("random", false), ("random_sym", true)] {
        for n in [4usize, 20, 100, 300] {
            let label = format!("{name}/{n}");
            if filter.as_ref().is_some_and(|f| !label.contains(f.as_str())) {
                continue;
            }
            let mut rng = ChaCha8Rng::seed_from_u64(n as u64);
            let (mut a0, mut a1) = (gaussian(n, &mut rng), gaussian(n, &mut rng));
            if sym {
                a0 = (&a0 + a0.transpose()) * 0.5;
                a1 = (&a1 + a1.transpose()) * 0.5;
            }
            let fam = Polynomial::new(vec![a0, a1]).unwrap();
            let samples = if n >= 300 { 51 } else { 201 };
            let mode = if sym && !auto {
                HermitianMode::Yes
            } else {
                HermitianMode::Auto
            };
            let tracker = Tracker::new()
                .samples(samples)
                .unwrap()
                .hermitian(mode)
                .curvatures(full)
                .locate_events(full);
            let runs = if n >= 300 {
                5
            } else if n >= 100 {
                9
            } else {
                11
            };
            let (mut per_step, mut per_dec, mut outside) = (vec![], vec![], vec![]);
            let (mut analysis, mut matching) = (vec![], vec![]);
            let mut last = None;
            for _ in 0..runs {
                let tr = tracker.track_family(&fam, 0.0..=1.0).unwrap();
                let s = *tr.stats();
                per_step.push(1e3 * s.seconds / s.accepted_steps as f64);
                per_dec.push(1e3 * s.decomposition_seconds / s.decompositions as f64);
                outside.push((s.seconds - s.decomposition_seconds) / s.decomposition_seconds);
                analysis.push(s.analysis_seconds / s.decomposition_seconds);
                matching.push(s.matching_seconds / s.decomposition_seconds);
                last = Some(s);
            }
            let s = last.unwrap();
            println!(
                "| {name} | {n} | {samples} | {} | {:.2} | {:.3} | {:.3} | {:.1}% | {:.1}% | {:.1}% |",
                s.accepted_steps,
                s.decompositions as f64 / samples as f64,
                median(per_step),
                median(per_dec),
                100.0 * median(outside),
                100.0 * median(analysis),
                100.0 * median(matching)
            );
        }
    }
}
