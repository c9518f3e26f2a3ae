//! Analytic test families with exact answers, shared by the tests (and mirrored in the
//! benches).
#![allow(dead_code)]

use nalgebra::{DMatrix, DVector};
use num_complex::Complex64;

pub fn rot2(th: f64) -> DMatrix<f64> {
    let (s, c) = th.sin_cos();
    DMatrix::from_row_slice(2, 2, &[c, -s, s, c])
}

pub fn drot2(th: f64, dth: f64) -> DMatrix<f64> {
    let (s, c) = th.sin_cos();
    DMatrix::from_row_slice(2, 2, &[-s, -c, c, -s]) * dth
}

/// Family 1: R(t/2)·diag(t, e^{t²} − 1)·R(t/2)ᵀ.
pub fn crossing(t: f64) -> DMatrix<f64> {
    let r = rot2(t / 2.0);
    let d = DMatrix::from_row_slice(2, 2, &[t, 0.0, 0.0, (t * t).exp() - 1.0]);
    &r * d * r.transpose()
}

/// Exact A′ of family 1.
pub fn crossing_d(t: f64) -> DMatrix<f64> {
    let r = rot2(t / 2.0);
    let dr = drot2(t / 2.0, 0.5);
    let d = DMatrix::from_row_slice(2, 2, &[t, 0.0, 0.0, (t * t).exp() - 1.0]);
    let dd = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 2.0 * t * (t * t).exp()]);
    &dr * &d * r.transpose() + &r * dd * r.transpose() + &r * d * dr.transpose()
}

/// The second crossing of family 1: the root t* > 0 of t = e^{t²} − 1 (Newton).
pub fn crossing_t_star() -> f64 {
    let mut t: f64 = 0.75;
    for _ in 0..50 {
        let f = (t * t).exp() - 1.0 - t;
        let df = 2.0 * t * (t * t).exp() - 1.0;
        t -= f / df;
    }
    t
}

/// A fixed non-orthogonal similarity.
pub fn similarity() -> (DMatrix<f64>, DMatrix<f64>) {
    let s = DMatrix::from_row_slice(2, 2, &[1.0, 0.7, 0.2, 1.3]);
    let si = s.clone().try_inverse().unwrap();
    (s, si)
}

/// Landau–Zener [[t, g], [g, −t]].
pub fn landau_zener(g: f64) -> impl Fn(f64) -> DMatrix<f64> {
    move |t| DMatrix::from_row_slice(2, 2, &[t, g, g, -t])
}

/// Rodrigues rotation about the unit axis `k` by angle `th`.
pub fn rot3(k: [f64; 3], th: f64) -> DMatrix<f64> {
    let kx = DMatrix::from_row_slice(
        3,
        3,
        &[0.0, -k[2], k[1], k[2], 0.0, -k[0], -k[1], k[0], 0.0],
    );
    DMatrix::identity(3, 3) + &kx * th.sin() + &kx * &kx * (1.0 - th.cos())
}

/// n × n orthogonal Q(t): a product of plane rotations (i, i+1 mod n, and i, i+3 mod n)
/// with angles ω·t, turning eigenvectors through several radians over t ∈ [0, 1].
pub fn rotating_q(n: usize, t: f64) -> DMatrix<f64> {
    let mut q = DMatrix::<f64>::identity(n, n);
    for (k, (i, j)) in (0..n)
        .map(|i| (i, (i + 1) % n))
        .chain((0..n).step_by(2).map(|i| (i, (i + 3) % n)))
        .enumerate()
    {
        let om = 2.0 + 3.0 * ((k as f64 * 0.618_033_988_749_895).fract());
        let (s, c) = (om * t).sin_cos();
        // q ← q · G(i, j): only columns i and j change
        for r in 0..n {
            let (qi, qj) = (q[(r, i)], q[(r, j)]);
            q[(r, i)] = c * qi + s * qj;
            q[(r, j)] = -s * qi + c * qj;
        }
    }
    q
}

/// The diagonal of the rotating family: d_i(t) = α_i + β_i t, many crossings on [0, 1].
pub fn rotating_d(n: usize, i: usize, t: f64) -> f64 {
    let x = (i as f64 * 0.754_877_666_246_692_7).fract();
    let y = (i as f64 * 0.569_840_290_998_053_3).fract();
    (i as f64) / n as f64 * 4.0 + (y - 0.5) * 6.0 * t + 0.1 * x
}

pub fn rotating(n: usize) -> impl Fn(f64) -> DMatrix<f64> {
    move |t| {
        let q = rotating_q(n, t);
        let d = DMatrix::from_diagonal(&DVector::from_fn(n, |i, _| rotating_d(n, i, t)));
        &q * d * q.transpose()
    }
}

/// Seeded random complex Hermitian matrix (a simple LCG so the family needs no rng).
pub fn random_hermitian(n: usize, seed: u64) -> DMatrix<Complex64> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let mut next = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5
    };
    let b = DMatrix::from_fn(n, n, |_, _| Complex64::new(next(), next()));
    (&b + b.adjoint()) * Complex64::new(0.5, 0.0)
}
pub mod realistic;
pub mod rotor;
