//! Small dense kernels on nalgebra storage, computed by faer (single-threaded).

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use nalgebra::DMatrix;
use num_complex::Complex64;

fn view(a: &DMatrix<Complex64>) -> MatRef<'_, Complex64> {
    MatRef::from_column_major_slice(a.as_slice(), a.nrows(), a.ncols())
}

/// `a · b`.
pub(crate) fn mul(a: &DMatrix<Complex64>, b: &DMatrix<Complex64>) -> DMatrix<Complex64> {
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

/// `aᴴ · b`.
pub(crate) fn mul_adj(a: &DMatrix<Complex64>, b: &DMatrix<Complex64>) -> DMatrix<Complex64> {
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
