//! The sparsity pattern shared by A(t), A′(t) and A″(t) on the sparse path, and products
//! with it.
//!
//! Every matrix of a track is stored as values on one pattern: the union of the patterns
//! of the terms (or of the closure's matrices) and the diagonal, in compressed sparse
//! column form with sorted row indices. The diagonal is always present so that the shift
//! A − σI keeps the pattern, and so the symbolic LU analysis is done once per pattern.

use crate::eigen::Element;
use crate::linalg::cabs;
use nalgebra::DMatrix;
use nalgebra_sparse::CscMatrix;
use num_complex::Complex64;

/// A square CSC pattern with its diagonal and the position of each entry's transpose.
#[derive(Debug)]
pub(crate) struct Pattern {
    n: usize,
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
    /// Position of (j, j) in `row_idx`.
    diag: Vec<usize>,
    /// For entry k = (i, j): the position of (j, i), or `usize::MAX` when it is absent.
    transpose: Vec<usize>,
}

impl Pattern {
    /// The union of the patterns of `mats` (all n × n) and the diagonal.
    pub fn union<T>(n: usize, mats: &[&CscMatrix<T>]) -> Pattern {
        let mut col_ptr = Vec::with_capacity(n + 1);
        col_ptr.push(0);
        let mut row_idx = Vec::new();
        let mut diag = Vec::with_capacity(n);
        let mut scratch: Vec<usize> = Vec::new();
        for j in 0..n {
            scratch.clear();
            scratch.push(j);
            for m in mats {
                let (off, rows) = (m.col_offsets(), m.row_indices());
                scratch.extend_from_slice(&rows[off[j]..off[j + 1]]);
            }
            scratch.sort_unstable();
            scratch.dedup();
            let start = row_idx.len();
            let d = scratch.partition_point(|&r| r < j);
            diag.push(start + d);
            row_idx.extend_from_slice(&scratch);
            col_ptr.push(row_idx.len());
        }
        let mut p = Pattern {
            n,
            col_ptr,
            row_idx,
            diag,
            transpose: Vec::new(),
        };
        p.transpose = (0..p.nnz())
            .map(|k| {
                let (i, j) = (p.row_idx[k], p.col_of(k));
                p.position(j, i).unwrap_or(usize::MAX)
            })
            .collect();
        p
    }

    /// Matrix size.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.row_idx.len()
    }

    /// Column pointers.
    pub fn col_ptr(&self) -> &[usize] {
        &self.col_ptr
    }

    /// Row indices.
    pub fn row_idx(&self) -> &[usize] {
        &self.row_idx
    }

    /// Positions of the diagonal entries.
    pub fn diag(&self) -> &[usize] {
        &self.diag
    }

    /// The column of entry k (binary search on the column pointers).
    pub fn col_of(&self, k: usize) -> usize {
        self.col_ptr.partition_point(|&p| p <= k) - 1
    }

    /// The position of (i, j), if stored.
    pub fn position(&self, i: usize, j: usize) -> Option<usize> {
        let (a, b) = (self.col_ptr[j], self.col_ptr[j + 1]);
        self.row_idx[a..b].binary_search(&i).ok().map(|k| a + k)
    }

    /// Whether `m` has exactly this pattern (without the diagonal added).
    pub fn is_exactly<T>(&self, m: &CscMatrix<T>) -> bool {
        m.nrows() == self.n && m.col_offsets() == self.col_ptr && m.row_indices() == self.row_idx
    }

    /// The values of `m` on this pattern (zeros elsewhere), or `None` when `m` has an entry
    /// outside it.
    pub fn scatter<T: Copy>(
        &self,
        m: &CscMatrix<T>,
        conv: impl Fn(T) -> Complex64,
    ) -> Option<Vec<Complex64>> {
        if self.is_exactly(m) {
            return Some(m.values().iter().map(|&v| conv(v)).collect());
        }
        let mut out = vec![Complex64::new(0.0, 0.0); self.nnz()];
        let (off, rows, vals) = m.csc_data();
        for j in 0..self.n {
            let (a, b) = (self.col_ptr[j], self.col_ptr[j + 1]);
            let mine = &self.row_idx[a..b];
            let mut k = 0;
            for q in off[j]..off[j + 1] {
                let r = rows[q];
                while k < mine.len() && mine[k] < r {
                    k += 1;
                }
                if k == mine.len() || mine[k] != r {
                    return None;
                }
                out[a + k] += conv(vals[q]);
            }
        }
        Some(out)
    }

    /// Y = A X for the matrix with values `vals` on this pattern and a dense block X (n × b).
    /// A zero matrix gives zeros without a product (B′ of a constant mass), and real values
    /// with a real X go through real arithmetic (a quarter of the complex flops).
    pub fn mul(&self, vals: &[Complex64], x: &DMatrix<Complex64>) -> DMatrix<Complex64> {
        let zero = Complex64::new(0.0, 0.0);
        let mut y = DMatrix::from_element(self.n, x.ncols(), zero);
        if vals.iter().all(|v| *v == zero) {
            return y;
        }
        let real = |s: &[Complex64]| s.iter().all(|z| z.im == 0.0);
        if real(vals) && real(x.as_slice()) {
            let vr: Vec<f64> = vals.iter().map(|z| z.re).collect();
            let xr: Vec<f64> = x.iter().map(|z| z.re).collect();
            let mut yr = vec![0.0; x.len()];
            self.mul_into(&vr, &xr, &mut yr);
            y.iter_mut()
                .zip(yr)
                .for_each(|(o, v)| *o = Complex64::new(v, 0.0));
        } else {
            self.mul_into(vals, x.as_slice(), y.as_mut_slice());
        }
        y
    }

    /// `y` = A X for a block X of columns stored column-major in `x` (`y` as long).
    ///
    /// Columns go four at a time through rows interleaved in a scratch buffer, so that
    /// every entry of A is loaded once per four columns (then two, then one).
    pub fn mul_into<T: Element + nalgebra::ComplexField>(&self, vals: &[T], x: &[T], y: &mut [T]) {
        self.product(vals, x, y, false)
    }

    /// Y = Aᴴ X.
    pub fn mul_adj<T: Element + nalgebra::ComplexField>(
        &self,
        vals: &[T],
        x: &DMatrix<T>,
    ) -> DMatrix<T> {
        let mut y = DMatrix::from_vec(
            self.n,
            x.ncols(),
            vec![<T as Element>::from_f64(0.0); x.len()],
        );
        self.mul_adj_into(vals, x.as_slice(), y.as_mut_slice());
        y
    }

    /// `y` = Aᴴ X for a block X of columns stored column-major in `x` (`y` as long): each
    /// entry of y a sum over one column of A (no scattered writes), four columns of X at a
    /// time as in [`mul_into`](Self::mul_into).
    pub fn mul_adj_into<T: Element + nalgebra::ComplexField>(
        &self,
        vals: &[T],
        x: &[T],
        y: &mut [T],
    ) {
        self.product(vals, x, y, true)
    }

    /// `y` = A X, or Aᴴ X with `adjoint`, in blocks of four columns (then two, then one).
    fn product<T: Element + nalgebra::ComplexField>(
        &self,
        vals: &[T],
        x: &[T],
        y: &mut [T],
        adjoint: bool,
    ) {
        let n = self.n;
        if n == 0 {
            return;
        }
        let cols = x.len() / n;
        let mut c = 0;
        while c < cols {
            let (xs, ys) = (&x[c * n..], &mut y[c * n..]);
            c += match cols - c {
                1 => self.product_block::<T, 1>(vals, xs, ys, adjoint),
                2 | 3 => self.product_block::<T, 2>(vals, xs, ys, adjoint),
                _ => self.product_block::<T, 4>(vals, xs, ys, adjoint),
            };
        }
    }

    /// The first W columns of `y` = A X or Aᴴ X (column-major, length n each), with the
    /// rows of X interleaved: A X scatters column j of A times row j of X into interleaved
    /// rows of y, Aᴴ X gathers row j of y from column j of A. Returns W.
    fn product_block<T: Element + nalgebra::ComplexField, const W: usize>(
        &self,
        vals: &[T],
        x: &[T],
        y: &mut [T],
        adjoint: bool,
    ) -> usize {
        let n = self.n;
        let zero = <T as Element>::from_f64(0.0);
        let mut xi = vec![[zero; W]; n];
        for (k, col) in x.chunks_exact(n).take(W).enumerate() {
            for (row, &v) in xi.iter_mut().zip(col) {
                row[k] = v;
            }
        }
        let column = |j: usize| {
            let (a, b) = (self.col_ptr[j], self.col_ptr[j + 1]);
            self.row_idx[a..b].iter().zip(&vals[a..b])
        };
        if adjoint {
            for j in 0..n {
                let mut s = [zero; W];
                for (&r, &v) in column(j) {
                    let (v, xr) = (Element::conjugate(v), &xi[r]);
                    for k in 0..W {
                        s[k] += v * xr[k];
                    }
                }
                for (k, sk) in s.into_iter().enumerate() {
                    y[k * n + j] = sk;
                }
            }
            return W;
        }
        let mut yi = vec![[zero; W]; n];
        for (j, xj) in xi.iter().enumerate() {
            for (&r, &v) in column(j) {
                let yr = &mut yi[r];
                for k in 0..W {
                    yr[k] += v * xj[k];
                }
            }
        }
        for (k, col) in y.chunks_exact_mut(n).take(W).enumerate() {
            for (out, row) in col.iter_mut().zip(&yi) {
                *out = row[k];
            }
        }
        W
    }

    /// Whether the matrix with values `vals` is Hermitian within `tol` (relative to the
    /// largest entry).
    pub fn is_hermitian(&self, vals: &[Complex64], tol: f64) -> bool {
        let big = vals.iter().map(|&v| cabs(v)).fold(0.0, f64::max);
        let bound = tol * big;
        vals.iter().enumerate().all(|(k, &v)| {
            let t = self.transpose[k];
            let w = if t == usize::MAX {
                Complex64::new(0.0, 0.0)
            } else {
                vals[t]
            };
            cabs(v - w.conj()) <= bound
        })
    }

    /// ‖A‖₁ (largest column sum of moduli) and the scale of A in the tolerances of the
    /// sparse path, max(‖A‖₁, ‖A‖∞) (also the largest row sum): a bound on ‖A‖₂ that,
    /// unlike ‖A‖_F, does not grow like √n for a grid operator (at n = 10⁶ the Frobenius
    /// norm of a 2D Laplacian is 560 times its 2-norm). For the matrix with values `vals`.
    pub fn norms(&self, vals: &[Complex64]) -> (f64, f64) {
        let mut rows = vec![0.0f64; self.n];
        let mut one: f64 = 0.0;
        for j in 0..self.n {
            let mut s = 0.0;
            for k in self.col_ptr[j]..self.col_ptr[j + 1] {
                let a = cabs(vals[k]);
                s += a;
                rows[self.row_idx[k]] += a;
            }
            one = one.max(s);
        }
        (one, rows.into_iter().fold(one, f64::max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra_sparse::CooMatrix;

    /// The values of `a` on the pattern of `a` alone.
    fn on_own_pattern(a: &CscMatrix<f64>) -> (Pattern, Vec<Complex64>) {
        let p = Pattern::union(a.nrows(), &[a]);
        let dense = DMatrix::from(a);
        let mut vals = vec![Complex64::new(0.0, 0.0); p.nnz()];
        for j in 0..p.n() {
            for k in p.col_ptr()[j]..p.col_ptr()[j + 1] {
                vals[k] = Complex64::new(dense[(p.row_idx()[k], j)], 0.0);
            }
        }
        (p, vals)
    }

    /// The scale of a 2D Laplacian (stencil 4, −1) is 8 whatever the grid, while its
    /// Frobenius norm grows like √n; for a non-symmetric matrix the bound is at least
    /// ‖A‖₂ and equals the larger of ‖A‖₁ and ‖A‖∞.
    #[test]
    fn scale_is_grid_independent_and_bounds_the_two_norm() {
        for m in [5usize, 20, 60] {
            let n = m * m;
            let mut coo = CooMatrix::new(n, n);
            for i in 0..m {
                for j in 0..m {
                    let p = i * m + j;
                    coo.push(p, p, 4.0);
                    for (di, dj) in [(0i64, 1i64), (1, 0), (0, -1), (-1, 0)] {
                        let (a, b) = (i as i64 + di, j as i64 + dj);
                        if (0..m as i64).contains(&a) && (0..m as i64).contains(&b) {
                            coo.push(p, a as usize * m + b as usize, -1.0);
                        }
                    }
                }
            }
            let (p, vals) = on_own_pattern(&CscMatrix::from(&coo));
            assert_eq!(p.norms(&vals), (8.0, 8.0));
            let fro = vals.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
            assert!(fro > (n as f64).sqrt() * 4.0, "‖A‖_F = {fro} grows like √n");
        }
        // one heavy row: ‖A‖∞ = 11 > ‖A‖₂ ≥ 5.57 > ‖A‖₁ = 5
        let mut coo = CooMatrix::new(4, 4);
        for j in 0..4 {
            coo.push(0, j, 2.5);
            coo.push(j, j, 1.0 + j as f64 * 0.5);
        }
        let a = CscMatrix::from(&coo);
        let (p, vals) = on_own_pattern(&a);
        let two = DMatrix::from(&a).singular_values()[0];
        let (one, bound) = p.norms(&vals);
        assert!((bound - 11.0).abs() < 1e-14 && (one - 5.0).abs() < 1e-14);
        assert!(bound >= two && two > one);
    }

    /// A X and Aᴴ X against the dense products, for every block width (1 … 7 columns: the
    /// four-, two- and one-column kernels and their mixtures), complex and real (the real
    /// path of `mul`), and a zero matrix.
    #[test]
    fn products_match_the_dense_ones_for_every_block_width() {
        let n = 23;
        let mut coo = CooMatrix::new(n, n);
        for i in 0..n {
            coo.push(i, i, 2.0 + i as f64);
            coo.push(i, (3 * i + 5) % n, -1.0 + 0.1 * i as f64);
            coo.push((7 * i + 2) % n, i, 0.5);
        }
        let a = CscMatrix::from(&coo);
        let (p, real_vals) = on_own_pattern(&a);
        let dense = |vals: &[Complex64]| {
            let mut d = DMatrix::from_element(n, n, Complex64::new(0.0, 0.0));
            for j in 0..n {
                for k in p.col_ptr()[j]..p.col_ptr()[j + 1] {
                    d[(p.row_idx()[k], j)] += vals[k];
                }
            }
            d
        };
        let complex_vals: Vec<Complex64> = real_vals
            .iter()
            .enumerate()
            .map(|(k, z)| Complex64::new(z.re, 0.3 * (k % 5) as f64 - 0.6))
            .collect();
        for vals in [&real_vals, &complex_vals] {
            let d = dense(vals);
            for cols in 1..=7 {
                for imag in [0.0, 1.0] {
                    let x = DMatrix::from_fn(n, cols, |i, c| {
                        Complex64::new((i * 7 + c * 3) as f64 % 11.0 - 5.0, imag * (i + c) as f64)
                    });
                    let want = &d * &x;
                    assert!((p.mul(vals, &x) - &want).norm() <= 1e-12 * want.norm());
                    let want = d.adjoint() * &x;
                    let got = p.mul_adj(vals, &x);
                    assert!((got - &want).norm() <= 1e-12 * want.norm());
                }
                let xr = DMatrix::from_fn(n, cols, |i, c| (i + 2 * c) as f64 - 9.0);
                let dr = d.map(|z| z.re);
                let vr: Vec<f64> = vals.iter().map(|z| z.re).collect();
                let mut y = vec![0.0; n * cols];
                p.mul_into(&vr, xr.as_slice(), &mut y);
                let want = &dr * &xr;
                assert!((DMatrix::from_vec(n, cols, y) - &want).norm() <= 1e-12 * want.norm());
            }
        }
        let zero = vec![Complex64::new(0.0, 0.0); p.nnz()];
        let x = DMatrix::from_element(n, 3, Complex64::new(1.0, 2.0));
        assert_eq!(
            p.mul(&zero, &x),
            DMatrix::from_element(n, 3, Complex64::new(0.0, 0.0))
        );
    }
}
