//! Small dense kernels on nalgebra storage, computed by faer (single-threaded).

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::BlockStructure;
use faer::{Accum, MatMut, MatRef, Par};
use nalgebra::DMatrix;
use num_complex::Complex64;
use std::borrow::Cow;

fn view(a: &DMatrix<Complex64>) -> MatRef<'_, Complex64> {
    MatRef::from_column_major_slice(a.as_slice(), a.nrows(), a.ncols())
}

/// The real part of `a` when its imaginary part is zero.
fn real(a: &DMatrix<Complex64>) -> Option<DMatrix<f64>> {
    a.iter().all(|z| z.im == 0.0).then(|| a.map(|z| z.re))
}

/// Below this many columns of the right operand a product is not worth scanning the left
/// one for a zero imaginary part (the scan and copy cost as much as the product).
const REAL_CHECK_MIN_COLS: usize = 8;

/// `a · b` (in real arithmetic where `a` is real and `b` has enough columns to pay for
/// the check).
pub(crate) fn mul(a: &DMatrix<Complex64>, b: &DMatrix<Complex64>) -> DMatrix<Complex64> {
    if let Some(ar) = (b.ncols() >= REAL_CHECK_MIN_COLS)
        .then(|| real(a))
        .flatten()
    {
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

/// `aᴴ · b` (in real arithmetic where `a` is real and `b` has enough columns).
pub(crate) fn mul_adj(a: &DMatrix<Complex64>, b: &DMatrix<Complex64>) -> DMatrix<Complex64> {
    if let Some(ar) = (b.ncols() >= REAL_CHECK_MIN_COLS)
        .then(|| real(a))
        .flatten()
    {
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

/// Reorder the columns of `m` in place: column k becomes the old column `perm[k]`
/// (`perm` a permutation of 0..ncols). One column of scratch; no n × n copy.
pub(crate) fn permute_columns<T: Copy>(m: &mut DMatrix<T>, perm: &[usize]) {
    let n = m.nrows();
    let data = m.as_mut_slice();
    let mut done = vec![false; perm.len()];
    let mut tmp: Vec<T> = Vec::new();
    for start in 0..perm.len() {
        if done[start] || perm[start] == start {
            continue;
        }
        tmp.clear();
        tmp.extend_from_slice(&data[start * n..(start + 1) * n]);
        let mut j = start;
        loop {
            done[j] = true;
            let p = perm[j];
            if p == start {
                data[j * n..(j + 1) * n].copy_from_slice(&tmp);
                break;
            }
            data.copy_within(p * n..(p + 1) * n, j * n);
            j = p;
        }
    }
}

/// Whether `pred` holds for every element: branch-free within chunks of 32 (so it
/// vectorises), stopping after the first chunk with a failure.
#[inline]
pub(crate) fn all_of<T: Copy>(s: &[T], pred: impl Fn(T) -> bool) -> bool {
    s.chunks(32)
        .all(|c| c.iter().fold(true, |ok, &v| ok & pred(v)))
}

/// aᵀb of two equally long real slices (faer's SIMD inner product).
#[inline]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    faer::linalg::matmul::dot::inner_prod(
        faer::RowRef::from_slice(a),
        faer::Conj::No,
        faer::ColRef::from_slice(b),
        faer::Conj::No,
    )
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

/// The eigenvectors `X` of a real matrix packed into one real matrix: a real column as
/// itself; a conjugate pair (j with Im λⱼ > 0, k its conjugate) as Re xⱼ in column j and
/// Im xⱼ in column k. Returns the packed matrix and each column's partner (itself for a
/// real column); None when `X` lacks that structure.
fn pack_real(x: &DMatrix<Complex64>, values: &[Complex64]) -> Option<(Vec<f64>, Vec<usize>)> {
    let (m, n) = x.shape();
    if values.iter().all(|v| v.im == 0.0) {
        // all columns real (the Hermitian case): one pass that copies and checks
        let real = all_of(x.as_slice(), |z| z.im == 0.0);
        let w = x.as_slice().iter().map(|z| z.re).collect();
        return real.then(|| (w, (0..n).collect()));
    }
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
    let mut w = vec![0.0; m * n];
    for j in 0..n {
        let k = partner[j];
        if k == j || values[j].im > 0.0 {
            let (re, im) = (j * m, k * m);
            for (i, z) in col(x, j).iter().enumerate() {
                w[re + i] = z.re;
                if k != j {
                    w[im + i] = z.im;
                }
            }
        }
    }
    Some((w, partner))
}

/// `a · w` for real column-major `a` (r × c) and `w` (c × m).
fn gemm_real(a: &DMatrix<f64>, w: &[f64], m: usize) -> Vec<f64> {
    let (r, c) = a.shape();
    let mut out = vec![0.0; r * m];
    matmul(
        MatMut::from_column_major_slice_mut(&mut out, r, m),
        Accum::Replace,
        MatRef::from_column_major_slice(a.as_slice(), r, c),
        MatRef::from_column_major_slice(w, c, m),
        1.0,
        Par::Seq,
    );
    out
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
    let (w, partner) = pack_real(x, values)?;
    let m = a.nrows();
    let aw = gemm_real(a, &w, n);
    let mut out = DMatrix::<Complex64>::zeros(m, n);
    let o = out.as_mut_slice();
    for j in 0..n {
        let k = partner[j];
        if k == j {
            for i in 0..m {
                o[j * m + i] = Complex64::new(aw[j * m + i], 0.0);
            }
        } else if values[j].im > 0.0 {
            for i in 0..m {
                let z = Complex64::new(aw[j * m + i], aw[k * m + i]);
                o[j * m + i] = z;
                o[k * m + i] = z.conj();
            }
        }
    }
    Some(out)
}

/// Visit the index pairs (k, j) with j > k (j ≥ k with `diagonal`) of an n × n matrix
/// tile by tile, so that both a[k·n + j] and its transposed partner a[j·n + k] of a
/// column-major matrix are read while in cache; stop after the first tile in which `f`
/// returned false, and say whether it always returned true.
pub(crate) fn lower_pairs(
    n: usize,
    diagonal: bool,
    mut f: impl FnMut(usize, usize) -> bool,
) -> bool {
    const TILE: usize = 32;
    let first = usize::from(!diagonal);
    for k0 in (0..n).step_by(TILE) {
        for j0 in (k0..n).step_by(TILE) {
            let mut go = true;
            for k in k0..(k0 + TILE).min(n) {
                for j in j0.max(k + first)..(j0 + TILE).min(n) {
                    go &= f(k, j);
                }
            }
            if !go {
                return false;
            }
        }
    }
    true
}

/// A strictly lower triangular `B` (only that part is read) and a factor s with
/// xᴴ a x = Σⱼ Re aⱼⱼ |xⱼ|² + s · Re Σⱼ x̄ⱼ (B x)ⱼ for the Hermitian part of `a`: `a` itself
/// with s = 2 when it is exactly Hermitian off the diagonal (the common case: no copy),
/// otherwise the strict lower triangle of a + aᴴ with s = 1. The transposed half is read
/// in tiles, so it stays in cache.
fn strict_lower_part<T: Copy + PartialEq>(
    a: &[T],
    n: usize,
    adj: impl Fn(T) -> T,
    add: impl Fn(T, T) -> T,
    zero: T,
) -> (Cow<'_, [T]>, f64) {
    if lower_pairs(n, false, |k, j| a[k * n + j] == adj(a[j * n + k])) {
        return (Cow::Borrowed(a), 2.0);
    }
    let mut b = vec![zero; n * n];
    lower_pairs(n, false, |k, j| {
        b[k * n + j] = add(a[k * n + j], adj(a[j * n + k]));
        true
    });
    (Cow::Owned(b), 1.0)
}

/// For each column wⱼ of `w` (n × m): `form(wⱼ, B wⱼ)`, with `B` strictly lower
/// triangular (n × n, only that part read); `form` may overwrite its second argument.
/// B·W is formed in blocks of columns into one small buffer (no n × m product is
/// allocated, and each block is used while in cache).
fn strict_lower_forms<T: faer::traits::ComplexField + Copy>(
    b: &[T],
    w: &[T],
    n: usize,
    m: usize,
    form: impl Fn(&[T], &mut [T]) -> f64,
) -> Vec<f64> {
    const BLOCK: usize = 128;
    let mut out = vec![T::zero_impl(); n * BLOCK.min(m)];
    let mut forms = Vec::with_capacity(m);
    for j0 in (0..m).step_by(BLOCK) {
        let cols = BLOCK.min(m - j0);
        let wb = &w[j0 * n..(j0 + cols) * n];
        let ob = &mut out[..n * cols];
        faer::linalg::matmul::triangular::matmul(
            MatMut::from_column_major_slice_mut(ob, n, cols),
            BlockStructure::Rectangular,
            Accum::Replace,
            MatRef::from_column_major_slice(b, n, n),
            BlockStructure::StrictTriangularLower,
            MatRef::from_column_major_slice(wb, n, cols),
            BlockStructure::Rectangular,
            T::one_impl(),
            Par::Seq,
        );
        for k in 0..cols {
            forms.push(form(&wb[k * n..(k + 1) * n], &mut ob[k * n..(k + 1) * n]));
        }
    }
    forms
}

/// yᵢᴴ wᵢ for every column i: the diagonal of Yᴴ W without the rest of the product.
fn column_dots(y: &DMatrix<Complex64>, w: &DMatrix<Complex64>) -> Vec<Complex64> {
    (0..w.ncols()).map(|i| dotc(col(y, i), col(w, i))).collect()
}

/// yᵢᴴ a xᵢ for every column i of the eigenvectors `x`, `y` (Yᴴ X = I) of a real matrix
/// with eigenvalues `values`. With `hermitian` (y = x, real, and `a` read as its
/// symmetric part (a + aᵀ)/2) one triangular product of n³ flops; otherwise one real
/// product on the packed conjugate pairs. Conjugate pairs get exactly conjugate results.
pub(crate) fn quadratic_forms_real(
    a: &DMatrix<f64>,
    x: &DMatrix<Complex64>,
    y: &DMatrix<Complex64>,
    values: &[Complex64],
    hermitian: bool,
    xr: Option<&DMatrix<f64>>,
) -> Vec<Complex64> {
    let (n, m) = x.shape();
    let packed = match xr {
        // real vectors already in real storage: no packing pass
        Some(xr) if hermitian => Some((Cow::Borrowed(xr.as_slice()), (0..m).collect())),
        _ => pack_real(x, values).map(|(w, p)| (Cow::Owned(w), p)),
    };
    let Some((w, partner)) = packed else {
        return column_dots(y, &mul_real(a, x, false));
    };
    if hermitian && partner.iter().enumerate().all(|(j, &k)| j == k) {
        let d: Vec<f64> = (0..n).map(|i| a[(i, i)]).collect();
        let (b, f) = strict_lower_part(a.as_slice(), n, |p| p, |p, q| p + q, 0.0);
        // xᵀ a x = xᵀ (f B x + diag(a) x): add the diagonal term, then one SIMD dot
        let form = |c: &[f64], bc: &mut [f64]| -> f64 {
            for ((q, p), di) in bc.iter_mut().zip(c).zip(&d) {
                *q = f * *q + di * p;
            }
            dot(c, bc)
        };
        return strict_lower_forms(&b, &w, n, m, form)
            .into_iter()
            .map(|v| Complex64::new(v, 0.0))
            .collect();
    }
    let aw = gemm_real(a, &w, m);
    let mut q = vec![Complex64::new(0.0, 0.0); m];
    for j in 0..m {
        let k = partner[j];
        let yj = col(y, j);
        let re = &aw[j * n..(j + 1) * n];
        if k == j {
            q[j] = yj
                .iter()
                .zip(re)
                .fold(Complex64::new(0.0, 0.0), |s, (y, v)| s + y.conj() * v);
        } else if values[j].im > 0.0 {
            let im = &aw[k * n..(k + 1) * n];
            let v = yj
                .iter()
                .zip(re.iter().zip(im))
                .fold(Complex64::new(0.0, 0.0), |s, (y, (r, i))| {
                    s + y.conj() * Complex64::new(*r, *i)
                });
            q[j] = v;
            q[k] = v.conj();
        }
    }
    q
}

/// yᵢᴴ a xᵢ for every column i, for a complex `a`. With `hermitian` (y = x, `a` read as
/// its Hermitian part) one triangular product of half the flops of a full one, and real
/// results; otherwise one complex product.
pub(crate) fn quadratic_forms_complex(
    a: &DMatrix<Complex64>,
    x: &DMatrix<Complex64>,
    y: &DMatrix<Complex64>,
    hermitian: bool,
) -> Vec<Complex64> {
    let (n, m) = x.shape();
    if !hermitian {
        return column_dots(y, &mul(a, x));
    }
    let (b, f) = strict_lower_part(
        a.as_slice(),
        n,
        |p| p.conj(),
        |p, q| p + q,
        Complex64::new(0.0, 0.0),
    );
    let d: Vec<f64> = (0..n).map(|i| a[(i, i)].re).collect();
    // xᴴ a x = Re xᴴ (f B x + diag(Re a) x): add the diagonal term, then one SIMD dot
    let form = |c: &[Complex64], bc: &mut [Complex64]| -> f64 {
        for ((q, p), di) in bc.iter_mut().zip(c).zip(&d) {
            *q = *q * f + p * di;
        }
        dotc(c, bc).re
    };
    strict_lower_forms(&b, x.as_slice(), n, m, form)
        .into_iter()
        .map(|v| Complex64::new(v, 0.0))
        .collect()
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

/// A square or rectangular matrix of entry type `T` as a product operator: dense, or in
/// compressed columns when at most 1/[`SPARSE_FRACTION`] of its entries are nonzero, so
/// that a product with m columns costs O(nnz·m) instead of O(n²·m). Physical families
/// are often sparse (a lattice Hamiltonian, a field on the diagonal), and the local models
/// multiply A(t) and A′(t) by a few columns thousands of times per track.
pub(crate) enum Operator<'a, T: crate::eigen::Element> {
    Dense(&'a DMatrix<T>),
    Sparse {
        rows: usize,
        /// Column j's entries are `entries[start[j]..start[j + 1]]` as (row, value).
        start: Vec<usize>,
        entries: Vec<(usize, Complex64)>,
    },
}

/// Fewer than one entry in this many nonzero makes an [`Operator`] sparse.
const SPARSE_FRACTION: usize = 16;

impl<'a, T: crate::eigen::Element> Operator<'a, T> {
    /// `a` as an operator: sparse when it pays (one O(n²) scan).
    pub(crate) fn new(a: &'a DMatrix<T>) -> Self {
        let zero = T::from_f64(0.0);
        let nnz = a.iter().filter(|&&x| x != zero).count();
        if nnz * SPARSE_FRACTION > a.len() {
            return Operator::Dense(a);
        }
        let mut start = Vec::with_capacity(a.ncols() + 1);
        let mut entries = Vec::with_capacity(nnz);
        start.push(0);
        for col in a.column_iter() {
            for (i, &x) in col.iter().enumerate() {
                if x != zero {
                    entries.push((i, x.to_c64()));
                }
            }
            start.push(entries.len());
        }
        Operator::Sparse {
            rows: a.nrows(),
            start,
            entries,
        }
    }

    /// `a · x`.
    pub(crate) fn mul(&self, x: &DMatrix<Complex64>) -> DMatrix<Complex64> {
        match self {
            Operator::Dense(a) => T::mul_complex(a, x),
            Operator::Sparse {
                rows,
                start,
                entries,
            } => {
                let mut out = DMatrix::<Complex64>::zeros(*rows, x.ncols());
                for (xc, mut oc) in x.column_iter().zip(out.column_iter_mut()) {
                    for (j, &xj) in xc.iter().enumerate() {
                        if xj == Complex64::new(0.0, 0.0) {
                            continue;
                        }
                        for &(i, v) in &entries[start[j]..start[j + 1]] {
                            oc[i] += v * xj;
                        }
                    }
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic entries in [−0.5, 0.5).
    fn entries(seed: u64, len: usize) -> Vec<f64> {
        let mut s = seed;
        (0..len)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            })
            .collect()
    }

    /// Orthonormal eigenvectors of a random real symmetric matrix, as complex columns.
    fn orthonormal(n: usize) -> (DMatrix<Complex64>, Vec<Complex64>) {
        let g = DMatrix::from_vec(n, n, entries(7, n * n));
        let e = crate::eigen::eigh(&(&g + g.transpose())).unwrap();
        (e.right().clone(), e.values().to_vec())
    }

    #[test]
    fn permute_columns_matches_select_columns() {
        let m = DMatrix::from_vec(3, 6, entries(1, 18));
        for perm in [
            vec![0, 1, 2, 3, 4, 5],
            vec![5, 4, 3, 2, 1, 0],
            vec![1, 2, 0, 4, 5, 3],
            vec![3, 0, 5, 1, 2, 4],
        ] {
            let mut p = m.clone();
            permute_columns(&mut p, &perm);
            assert_eq!(p, m.select_columns(&perm), "{perm:?}");
        }
    }

    /// The Hermitian shortcut (one triangular product) equals the direct xᵢᴴ a xᵢ, for an
    /// exactly symmetric `a` (read in place) and for a non-symmetric one (its symmetric
    /// part is formed), for real and complex input.
    #[test]
    fn hermitian_quadratic_forms_equal_the_direct_ones() {
        let n = 70; // more than one tile, fewer than one column block
        let (x, values) = orthonormal(n);
        let a = DMatrix::from_vec(n, n, entries(3, n * n));
        let sym = (&a + a.transpose()) * 0.5;
        let xr = x.map(|z| z.re);
        for m in [&a, &sym] {
            let direct = column_dots(&x, &mul_real(m, &x, false));
            for real in [None, Some(&xr)] {
                let fast = quadratic_forms_real(m, &x, &x, &values, true, real);
                for (d, f) in direct.iter().zip(&fast) {
                    assert!((d - f).norm() < 1e-13, "{d} vs {f}");
                }
            }
        }
        let im = DMatrix::from_vec(n, n, entries(4, n * n));
        let c = a.zip_map(&im, Complex64::new);
        let herm = (&c + c.adjoint()) * Complex64::new(0.5, 0.0);
        let xc = crate::eigen::eigh(&(&herm + &herm * &herm))
            .unwrap()
            .right()
            .clone();
        for m in [&c, &herm] {
            let direct = column_dots(&xc, &mul(&herm, &xc));
            let fast = quadratic_forms_complex(m, &xc, &xc, true);
            for (d, f) in direct.iter().zip(&fast) {
                assert!((d - f).norm() < 1e-13, "{d} vs {f}");
            }
        }
    }

    /// The sparse operator's products equal the dense ones, for real and complex entries,
    /// real and complex right operands, an empty column and a dense matrix.
    #[test]
    fn operator_products_equal_the_dense_ones() {
        let n = 80;
        let mut tri = DMatrix::<f64>::zeros(n, n);
        let d = entries(11, n);
        for i in 0..n {
            tri[(i, i)] = d[i];
            if i + 1 < n && i != 7 {
                tri[(i, i + 1)] = 1.0 + d[i];
                tri[(i + 1, i)] = 1.0 - d[i];
            }
        }
        tri.column_mut(20).fill(0.0);
        let x = DMatrix::from_vec(n, 3, entries(12, 3 * n))
            .zip_map(&DMatrix::from_vec(n, 3, entries(13, 3 * n)), Complex64::new);
        let xr = x.map(|z| Complex64::new(z.re, 0.0));
        assert!(matches!(Operator::new(&tri), Operator::Sparse { .. }));
        for rhs in [&x, &xr] {
            let want = mul_real(&tri, rhs, false);
            assert!((Operator::new(&tri).mul(rhs) - want).norm() < 1e-14);
        }
        let trc = tri.zip_map(&tri.transpose(), |a, b| Complex64::new(a, 0.5 * b));
        assert!(matches!(Operator::new(&trc), Operator::Sparse { .. }));
        assert!((Operator::new(&trc).mul(&x) - mul(&trc, &x)).norm() < 1e-14);
        let dense = DMatrix::from_vec(n, n, entries(14, n * n));
        assert!(matches!(Operator::new(&dense), Operator::Dense(_)));
        assert!((Operator::new(&dense).mul(&x) - mul_real(&dense, &x, false)).norm() < 1e-14);
    }
}
