//! The cost of the eig VJP against one decomposition at n = 100 (the issue asks for at
//! most 3×): `eig`, `eig_vjp` with eigenvalue-only and with full cotangents, and
//! `eig_jvp`, on a real and a complex general matrix, side by side.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use eigentrack::{eig, eig_jvp, eig_jvp_real, eig_vjp, eig_vjp_real};
use nalgebra::DMatrix;
use num_complex::Complex64;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;

/// A gauge-invariant X̄: x̄ⱼ ← x̄ⱼ − i·Im(xⱼᴴ x̄ⱼ)·xⱼ.
fn cotangent(x: &DMatrix<Complex64>, rng: &mut ChaCha8Rng) -> DMatrix<Complex64> {
    let n = x.nrows();
    let mut xb = DMatrix::from_fn(n, n, |_, _| {
        Complex64::new(rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0))
    });
    for j in 0..n {
        let im = x.column(j).dotc(&xb.column(j)).im;
        let xj = x.column(j).clone_owned();
        xb.column_mut(j)
            .axpy(Complex64::new(0.0, -im), &xj, Complex64::new(1.0, 0.0));
    }
    xb
}

fn bench(c: &mut Criterion) {
    let n = 100;
    let mut rng = ChaCha8Rng::seed_from_u64(100);
    let ar = DMatrix::from_fn(n, n, |_, _| rng.random_range(-1.0..1.0));
    let dar = DMatrix::from_fn(n, n, |_, _| rng.random_range(-1.0..1.0));
    let ac = DMatrix::from_fn(n, n, |_, _| {
        Complex64::new(rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0))
    });
    let dac = ac.map(|z| z.conj());
    let lbar: Vec<Complex64> = (0..n).map(|k| Complex64::new(k as f64, 1.0)).collect();
    let xbr = cotangent(eig(&ar).unwrap().right(), &mut rng);
    let xbc = cotangent(eig(&ac).unwrap().right(), &mut rng);

    let mut g = c.benchmark_group("eig_gradient_n100");
    g.sample_size(20);
    g.bench_function(BenchmarkId::new("eig", "real"), |b| {
        b.iter(|| eig(black_box(&ar)).unwrap())
    });
    g.bench_function(BenchmarkId::new("vjp_values", "real"), |b| {
        b.iter(|| eig_vjp_real(black_box(&ar), &lbar, None).unwrap())
    });
    g.bench_function(BenchmarkId::new("vjp_full", "real"), |b| {
        b.iter(|| eig_vjp_real(black_box(&ar), &lbar, Some(&xbr)).unwrap())
    });
    g.bench_function(BenchmarkId::new("jvp", "real"), |b| {
        b.iter(|| eig_jvp_real(black_box(&ar), &dar).unwrap())
    });
    g.bench_function(BenchmarkId::new("eig", "complex"), |b| {
        b.iter(|| eig(black_box(&ac)).unwrap())
    });
    g.bench_function(BenchmarkId::new("vjp_values", "complex"), |b| {
        b.iter(|| eig_vjp(black_box(&ac), &lbar, None).unwrap())
    });
    g.bench_function(BenchmarkId::new("vjp_full", "complex"), |b| {
        b.iter(|| eig_vjp(black_box(&ac), &lbar, Some(&xbc)).unwrap())
    });
    g.bench_function(BenchmarkId::new("jvp", "complex"), |b| {
        b.iter(|| eig_jvp(black_box(&ac), &dac).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
