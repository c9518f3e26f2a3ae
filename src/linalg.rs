//! Small dense kernels on nalgebra storage, computed by faer (single-threaded).

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use nalgebra::DMatrix;
use num_complex::Complex64;

fn view(a: &DMatrix<Complex64>) -> MatRef<'_, Complex64> {
    MatRef::from_column_major_slice(a.as_slice(), a.nrows(), a.ncols())
}

/// The real part of `a` when its imaginary part is zero.
fn real(a: &DMatrix<Complex64>) -> Option<DMatrix<f64>> {
    a.iter().all(|z| z.im == 0.0).then(|| a.map(|z| z.re))
}

/// `a · b` (in real arithmetic where the operands are real).
pub(crate) fn mul(a: &DMatrix<Complex64>, b: &DMatrix<Complex64>) -> DMatrix<Complex64> {
    if let Some(ar) = real(a) {
        return mul_real(&ar, b, false);
    }
    let mut out = DMatrix::<Complex64>::zeros(a.nrows(), b.ncols());
    let (r, c) = out.shape();
    let dst = MatMut::from_column_major_slice_mut(out.as_mut_slice(), r, c);
    matmul(
        dst,
        Accum::Replace,
        view(a),
        view(b),
        Complex64::new(1.0, 0.0),
        Par::Seq,
    );
    out
}

/// `aᴴ · b` (in real arithmetic where the operands are real).
pub(crate) fn mul_adj(a: &DMatrix<Complex64>, b: &DMatrix<Complex64>) -> DMatrix<Complex64> {
    if let Some(ar) = real(a) {
        return mul_real(&ar, b, true);
    }
    let mut out = DMatrix::<Complex64>::zeros(a.ncols(), b.ncols());
    let (r, c) = out.shape();
    let dst = MatMut::from_column_major_slice_mut(out.as_mut_slice(), r, c);
    matmul(
        dst,
        Accum::Replace,
        view(a).adjoint(),
        view(b),
        Complex64::new(1.0, 0.0),
        Par::Seq,
    );
    out
}

/// `a · x` (or `aᵀ · x` with `transpose`) for a real `a` and complex `x`, as two real
/// products (one when `x` is real).
pub(crate) fn mul_real(
    a: &DMatrix<f64>,
    x: &DMatrix<Complex64>,
    transpose: bool,
) -> DMatrix<Complex64> {
    let (n, m) = (if transpose { a.ncols() } else { a.nrows() }, x.ncols());
    let xr = x.map(|z| z.re);
    let real_only = x.iter().all(|z| z.im == 0.0);
    let prod = |b: &DMatrix<f64>| {
        let mut out = DMatrix::<f64>::zeros(n, m);
        let dst = MatMut::from_column_major_slice_mut(out.as_mut_slice(), n, m);
        let av = MatRef::from_column_major_slice(a.as_slice(), a.nrows(), a.ncols());
        let av = if transpose { av.transpose() } else { av };
        let bv = MatRef::from_column_major_slice(b.as_slice(), b.nrows(), b.ncols());
        matmul(dst, Accum::Replace, av, bv, 1.0, Par::Seq);
        out
    };
    let re = prod(&xr);
    if real_only {
        return re.map(|v| Complex64::new(v, 0.0));
    }
    let im = prod(&x.map(|z| z.im));
    DMatrix::from_fn(n, m, |i, j| Complex64::new(re[(i, j)], im[(i, j)]))
}

/// |z| without the cost of `hypot`: the direct formula where it neither overflows nor
/// underflows, the scaled one elsewhere (same result to a few ulps).
#[inline]
pub(crate) fn cabs(z: Complex64) -> f64 {
    let s = z.re * z.re + z.im * z.im;
    if s.is_finite() && s > 1e-290 {
        return s.sqrt();
    }
    let (a, b) = (z.re.abs(), z.im.abs());
    let (big, small) = if a >= b { (a, b) } else { (b, a) };
    if big == 0.0 || !big.is_finite() {
        return big + small;
    }
    let r = small / big;
    big * (1.0 + r * r).sqrt()
}

/// |a − b|, see [`cabs`].
#[inline]
pub(crate) fn cdist(a: Complex64, b: Complex64) -> f64 {
    cabs(a - b)
}

/// Column `j` of a column-major matrix as a slice.
#[inline]
pub(crate) fn col(m: &DMatrix<Complex64>, j: usize) -> &[Complex64] {
    let n = m.nrows();
    &m.as_slice()[j * n..(j + 1) * n]
}

/// aᴴb of two equally long slices (faer's SIMD inner product).
#[inline]
pub(crate) fn dotc(a: &[Complex64], b: &[Complex64]) -> Complex64 {
    faer::linalg::matmul::dot::inner_prod(
        faer::RowRef::from_slice(a),
        faer::Conj::Yes,
        faer::ColRef::from_slice(b),
        faer::Conj::No,
    )
}

/// `a · X` for a real `a` and the eigenvectors `X` of a real matrix, whose columns are
/// real or come in exact conjugate pairs (`values` tells which): one real product on the
/// packed real and imaginary parts instead of two. None when `X` lacks that structure.
pub(crate) fn mul_real_packed(
    a: &DMatrix<f64>,
    x: &DMatrix<Complex64>,
    values: &[Complex64],
) -> Option<DMatrix<Complex64>> {
    let n = x.ncols();
    // partner[j] = k for a pair (j with Im > 0, k its conjugate), j for a real column
    let mut partner = vec![usize::MAX; n];
    for j in 0..n {
        let v = values[j];
        if v.im == 0.0 {
            if col(x, j).iter().any(|z| z.im != 0.0) {
                return None;
            }
            partner[j] = j;
        } else if v.im > 0.0 {
            let k = (0..n).find(|&k| partner[k] == usize::MAX && values[k] == v.conj())?;
            partner[j] = k;
            partner[k] = j;
        }
    }
    if partner.contains(&usize::MAX) {
        return None;
    }
    let mut w = DMatrix::<f64>::zeros(x.nrows(), n);
    for j in 0..n {
        let k = partner[j];
        if k == j || values[j].im > 0.0 {
            for (i, z) in col(x, j).iter().enumerate() {
                w[(i, j)] = z.re;
                if k != j {
                    w[(i, k)] = z.im;
                }
            }
        }
    }
    let aw = mul_real(a, &w.map(|v| Complex64::new(v, 0.0)), false);
    let mut out = DMatrix::<Complex64>::zeros(a.nrows(), n);
    for j in 0..n {
        let k = partner[j];
        if k == j {
            out.set_column(j, &aw.column(j));
        } else if values[j].im > 0.0 {
            for i in 0..a.nrows() {
                let z = Complex64::new(aw[(i, j)].re, aw[(i, k)].re);
                out[(i, j)] = z;
                out[(i, k)] = z.conj();
            }
        }
    }
    Some(out)
}

/// a / b by Smith's algorithm: no overflow or underflow of |b|² (num-complex squares the
/// divisor, which fails for |b| beyond about 1e154 or below 1e-154).
#[inline]
pub(crate) fn cdiv(a: Complex64, b: Complex64) -> Complex64 {
    if b.re.abs() >= b.im.abs() {
        let r = b.im / b.re;
        let d = b.re + b.im * r;
        Complex64::new((a.re + a.im * r) / d, (a.im - a.re * r) / d)
    } else {
        let r = b.re / b.im;
        let d = b.re * r + b.im;
        Complex64::new((a.re * r + a.im) / d, (a.im * r - a.re) / d)
    }
}
