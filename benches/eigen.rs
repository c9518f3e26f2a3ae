//! Decomposition speed: general real, general complex and Hermitian at n = 4, 20, 100, 300.
//!
//! `cargo bench --bench eigen`. Compare with the LAPACK floor of ../shared/bench
//! (`eigenshuffle_baseline.py --floor`, one BLAS thread), measured in the same session.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use eigentrack::{eig, eig_with, HermitianMode};
use nalgebra::DMatrix;
use num_complex::Complex64;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("eig");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    for n in [4usize, 20, 100, 300] {
        let a = DMatrix::from_fn(n, n, |_, _| rng.random_range(-1.0..1.0));
        let z = DMatrix::from_fn(n, n, |_, _| {
            Complex64::new(rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0))
        });
        let s = &a + a.transpose();
        g.bench_with_input(BenchmarkId::new("general_real", n), &a, |b, a| {
            b.iter(|| eig(black_box(a)).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("general_complex", n), &z, |b, z| {
            b.iter(|| eig(black_box(z)).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("hermitian_real", n), &s, |b, s| {
            b.iter(|| eig_with(black_box(s), HermitianMode::Yes).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
