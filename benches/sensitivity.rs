//! A sweep of 64 parameter values at n = 50 on one thread and on two (the issue asks
//! for a speed-up of at least 1.8× on 2 cores).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use eigentrack::sensitivity::{sweep_tracks, Parametric};
use eigentrack::Tracker;
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn symmetric(n: usize, scale: f64, rng: &mut ChaCha8Rng) -> DMatrix<f64> {
    let m = DMatrix::from_fn(n, n, |_, _| rng.random_range(-1.0..1.0));
    (&m + m.transpose()) * (0.5 * scale)
}

fn bench(c: &mut Criterion) {
    let n = 50;
    let mut rng = ChaCha8Rng::seed_from_u64(50);
    // A(t; p) = A₀ + t·A₁ + p·A₂ with A₀ = diag(0, 1, …, 49) + weak coupling: a level
    // diagram with a few avoided crossings per track (20 to 60 ms per track here)
    let a0 = DMatrix::from_fn(n, n, |i, j| if i == j { i as f64 } else { 0.0 })
        + symmetric(n, 0.05, &mut rng);
    let a1 = symmetric(n, 1.0, &mut rng);
    let a2 = symmetric(n, 1.0, &mut rng);
    let fam = Parametric::new(1, move |t: f64, p: &[f64]| &a0 + &a1 * t + &a2 * p[0]);
    let tracker = Tracker::new().samples(11).unwrap();
    let params: Vec<Vec<f64>> = (0..64).map(|k| vec![k as f64 / 64.0]).collect();
    let mut g = c.benchmark_group("sweep_64_n50");
    g.sample_size(10);
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        g.bench_function(BenchmarkId::new("threads", threads), |b| {
            b.iter(|| {
                pool.install(|| sweep_tracks(&tracker, &fam, &params, 0.0..=0.2, None).unwrap())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
