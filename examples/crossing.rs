//! The README's main job: λ = t against λ = e^{t²} − 1, mixed by a rotation R(t/2).
//!
//! The two eigenvalues cross at t = 0 and at t* ≈ 0.746882; a solver's sorted output
//! swaps them at both, eigentrack keeps each branch on its own curve.

use eigentrack::{nalgebra::DMatrix, Tracker, WithDerivative};

fn rot(t: f64) -> DMatrix<f64> {
    let (s, c) = (t / 2.0).sin_cos();
    DMatrix::from_row_slice(2, 2, &[c, -s, s, c])
}

fn drot(t: f64) -> DMatrix<f64> {
    let (s, c) = (t / 2.0).sin_cos();
    DMatrix::from_row_slice(2, 2, &[-s, -c, c, -s]) * 0.5
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let d = |t: f64| DMatrix::from_row_slice(2, 2, &[t, 0.0, 0.0, (t * t).exp() - 1.0]);
    let dd = |t: f64| DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 2.0 * t * (t * t).exp()]);
    let a = |t: f64| rot(t) * d(t) * rot(t).transpose();
    let da = |t: f64| {
        let (r, dr) = (rot(t), drot(t));
        &dr * d(t) * r.transpose() + &r * dd(t) * r.transpose() + &r * d(t) * dr.transpose()
    };
    let tracking = Tracker::new().track_family(&WithDerivative(a, da), -1.0..=1.5)?;
    println!("{tracking}");
    Ok(())
}
