//! Cost of evaluating a family file's A(t) (and its exact jet A, A′, A″) from the
//! expression coefficients, against the eigen-decomposition one tracking step does on
//! the same matrix.
//!
//! The family is `benches/data/random_n100.json`, dumped by
//! `eigenshuffle_baseline.py --family random --n 100 --dump-family` (A(t) = A0 + t·A1,
//! dense, n = 100). The target of issue 6: the evaluation costs ≤ 5% of a tracking run,
//! i.e. `jet` ≤ 0.05 × `eig` per step.
//!
//! Run: `cargo bench --bench family_eval`.

use criterion::{criterion_group, criterion_main, Criterion};
use eigentrack::family_file::{FamilyFile, FileFamily};
use eigentrack::{eig, MatrixFamily};
use std::hint::black_box;
use std::path::Path;

fn family_eval(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/data/random_n100.json");
    let text = std::fs::read_to_string(&path).expect("the dumped family is in benches/data");
    let file = FamilyFile::parse(&text, &path).expect("the dumped family parses");
    let FileFamily::Real(fam) = file.family() else {
        panic!("the dumped family is real")
    };
    let (t0, t1) = file.range();
    let t = t0 + 0.37 * (t1 - t0);

    let mut g = c.benchmark_group("family_eval_n100");
    g.bench_function("load_json", |b| {
        b.iter(|| FamilyFile::parse(black_box(&text), &path).map(|f| f.range()))
    });
    g.bench_function("value", |b| b.iter(|| fam.value(black_box(t))));
    g.bench_function("jet", |b| b.iter(|| fam.jet(black_box(t))));
    let a = fam.value(t);
    g.sample_size(20);
    g.bench_function("eig", |b| b.iter(|| eig(black_box(&a)).map(|e| e.len())));
    g.finish();
}

criterion_group!(benches, family_eval);
criterion_main!(benches);
