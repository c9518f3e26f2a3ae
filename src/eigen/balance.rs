//! Balancing of a general matrix before its decomposition: a diagonal similarity
//! B = D⁻¹AD by powers of two (so that it is exact), as LAPACK's `gebal` does with
//! `job = 'S'` (scaling, no permutation).
//!
//! Each sweep visits every index i and multiplies column i by f and row i by 1/f, f a
//! power of two chosen so that the off-diagonal 2-norms c of the column and r of the row
//! become close (c·f ≈ r/f); the change is made only where it lowers c + r by more than
//! 5 %, and sweeps stop when none does. Eigenvalues are unchanged; the eigenvectors of A
//! are x = D·x_B (right) and y = D⁻¹·y_B (left). First-order systems written by finite
//! element codes, [[0, I], [−M⁻¹K, −M⁻¹C]] with stiffness entries of 10¹⁰ next to ones,
//! have ‖A‖_F dominated by entries that do not set the eigenvalues; balancing brings the
//! norm down to the size of the spectrum, and with it the rounding error of the
//! eigenvalues and the tolerances relative to it.

use super::Element;
use nalgebra::DMatrix;

/// Radix of the scaling factors.
const RADIX: f64 = 2.0;

/// Sweeps at most (gebal needs a handful; the cap only bounds pathological input).
const SWEEPS: usize = 64;

/// The diagonal of D for a track: balancing of A(t₀) where it at least halves ‖A‖_F (the
/// tracker then follows D⁻¹A(t)D, whose eigenvalues are those of A(t), and maps the
/// vectors back); None for a matrix that is balanced already.
pub(crate) fn track_scaling<T: Element>(a: &DMatrix<T>) -> Option<Vec<f64>> {
    let norm2 = |m: &DMatrix<T>| m.iter().map(|x| x.abs2()).sum::<f64>();
    let (b, d) = balance(a)?;
    (norm2(&b) <= 0.25 * norm2(a)).then_some(d)
}

/// D⁻¹MD for the diagonal `d` of D.
pub(crate) fn similar<T: Element>(m: &DMatrix<T>, d: &[f64]) -> DMatrix<T> {
    DMatrix::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)].scale(d[j] / d[i]))
}

/// The balanced matrix D⁻¹AD and the diagonal of D, or None when no scaling pays (D = I).
pub(crate) fn balance<T: Element>(a: &DMatrix<T>) -> Option<(DMatrix<T>, Vec<f64>)> {
    let n = a.nrows();
    if n < 2 {
        return None;
    }
    let mut b = a.clone();
    let mut d = vec![1.0; n];
    let mut changed_any = false;
    for _ in 0..SWEEPS {
        let mut changed = false;
        for i in 0..n {
            let (mut c, mut r) = (0.0f64, 0.0f64);
            for k in 0..n {
                if k != i {
                    c += b[(k, i)].abs2();
                    r += b[(i, k)].abs2();
                }
            }
            let (c, r) = (c.sqrt(), r.sqrt());
            if c == 0.0 || r == 0.0 || !c.is_finite() || !r.is_finite() {
                continue;
            }
            let (mut f, mut cc, mut rr) = (1.0, c, r);
            let s = c + r;
            while cc < rr / RADIX && f < 1e300 {
                f *= RADIX;
                cc *= RADIX;
                rr /= RADIX;
            }
            while cc >= rr * RADIX && f > 1e-300 {
                f /= RADIX;
                cc /= RADIX;
                rr *= RADIX;
            }
            if cc + rr >= 0.95 * s {
                continue;
            }
            changed = true;
            d[i] *= f;
            for k in 0..n {
                b[(k, i)] = b[(k, i)].scale(f);
                b[(i, k)] = b[(i, k)].scale(1.0 / f);
            }
        }
        changed_any |= changed;
        if !changed {
            break;
        }
    }
    changed_any.then_some((b, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balancing_is_an_exact_similarity_that_evens_rows_and_columns() {
        // a first-order oscillator with stiffness 1e10: [[0, 1], [−1e10, −1]]
        let a = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, -1e10, -1.0]);
        let (b, d) = balance(&a).expect("badly scaled");
        for i in 0..2 {
            assert_eq!(d[i].log2().fract(), 0.0, "powers of two");
            for j in 0..2 {
                // exact: B = D⁻¹ A D entry by entry
                assert_eq!(b[(i, j)], a[(i, j)] * d[j] / d[i]);
            }
        }
        assert!(b.norm() < 1e-4 * a.norm(), "‖B‖ = {:e}", b.norm());
        // a balanced matrix is left alone
        let s = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]);
        assert!(balance(&s).is_none());
    }
}
