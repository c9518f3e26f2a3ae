//! The faer back end: general (real and complex) and Hermitian eigen-decompositions.
//!
//! Everything here works on matrices that were already checked (square, non-empty,
//! finite) and scaled to max |a_ij| ≈ 1 by the caller.

use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{self, ComputeEigenvectors};
use faer::{Mat, MatRef, Par};
use nalgebra::DMatrix;
use num_complex::Complex64;

/// A raw decomposition: eigenvalues, right vectors, left vectors (unnormalised).
#[doc(hidden)]
pub struct Raw {
    pub values: Vec<Complex64>,
    pub right: DMatrix<Complex64>,
    /// `None` on the Hermitian path, where Y = X.
    pub left: Option<DMatrix<Complex64>>,
    /// The right vectors in real storage when they are real (the real symmetric path).
    pub right_real: Option<DMatrix<f64>>,
}

/// Real general matrix through `evd_real` (real arithmetic, exact conjugate pairs).
pub(crate) fn general_real(a: &DMatrix<f64>) -> Option<Raw> {
    let n = a.nrows();
    let am = MatRef::from_column_major_slice(a.as_slice(), n, n);
    let mut s_re = Diag::<f64>::zeros(n);
    let mut s_im = Diag::<f64>::zeros(n);
    let mut ul = Mat::<f64>::zeros(n, n);
    let mut ur = Mat::<f64>::zeros(n, n);
    let req = evd::evd_scratch::<f64>(
        n,
        ComputeEigenvectors::Yes,
        ComputeEigenvectors::Yes,
        Par::Seq,
        Default::default(),
    );
    let mut buf = MemBuffer::new(req);
    evd::evd_real(
        am,
        s_re.as_mut(),
        s_im.as_mut(),
        Some(ul.as_mut()),
        Some(ur.as_mut()),
        Par::Seq,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .ok()?;
    let re = s_re.column_vector();
    let im = s_im.column_vector();
    let mut values = vec![Complex64::new(0.0, 0.0); n];
    let mut right = DMatrix::<Complex64>::zeros(n, n);
    let mut left = DMatrix::<Complex64>::zeros(n, n);
    let mut j = 0;
    while j < n {
        if im[j] == 0.0 || j + 1 == n {
            values[j] = Complex64::new(re[j], 0.0);
            for i in 0..n {
                right[(i, j)] = Complex64::new(ur[(i, j)], 0.0);
                left[(i, j)] = Complex64::new(ul[(i, j)], 0.0);
            }
            j += 1;
        } else {
            // LAPACK packing: columns j and j+1 hold the real and imaginary parts of the
            // vector of the eigenvalue re[j] + i·im[j]; its partner is the conjugate.
            let lam = Complex64::new(re[j], im[j]);
            values[j] = lam;
            values[j + 1] = lam.conj();
            for i in 0..n {
                let r = Complex64::new(ur[(i, j)], ur[(i, j + 1)]);
                let l = Complex64::new(ul[(i, j)], ul[(i, j + 1)]);
                right[(i, j)] = r;
                right[(i, j + 1)] = r.conj();
                left[(i, j)] = l;
                left[(i, j + 1)] = l.conj();
            }
            j += 2;
        }
    }
    Some(Raw {
        values,
        right,
        left: Some(left),
        right_real: None,
    })
}

/// Complex general matrix through `evd_cplx`.
pub(crate) fn general_complex(a: &DMatrix<Complex64>) -> Option<Raw> {
    let n = a.nrows();
    let am = MatRef::from_column_major_slice(a.as_slice(), n, n);
    let mut s = Diag::<Complex64>::zeros(n);
    let mut ul = Mat::<Complex64>::zeros(n, n);
    let mut ur = Mat::<Complex64>::zeros(n, n);
    let req = evd::evd_scratch::<Complex64>(
        n,
        ComputeEigenvectors::Yes,
        ComputeEigenvectors::Yes,
        Par::Seq,
        Default::default(),
    );
    let mut buf = MemBuffer::new(req);
    evd::evd_cplx(
        am,
        s.as_mut(),
        Some(ul.as_mut()),
        Some(ur.as_mut()),
        Par::Seq,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .ok()?;
    let sv = s.column_vector();
    let values = (0..n).map(|i| sv[i]).collect();
    let right = DMatrix::from_fn(n, n, |i, j| ur[(i, j)]);
    let left = DMatrix::from_fn(n, n, |i, j| ul[(i, j)]);
    Some(Raw {
        values,
        right,
        left: Some(left),
        right_real: None,
    })
}

/// Real symmetric matrix (both triangles equal) through `self_adjoint_evd`.
pub(crate) fn hermitian_real(a: &DMatrix<f64>) -> Option<Raw> {
    let n = a.nrows();
    let am = MatRef::from_column_major_slice(a.as_slice(), n, n);
    let mut s = Diag::<f64>::zeros(n);
    let mut u = Mat::<f64>::zeros(n, n);
    let req = evd::self_adjoint_evd_scratch::<f64>(
        n,
        ComputeEigenvectors::Yes,
        Par::Seq,
        Default::default(),
    );
    let mut buf = MemBuffer::new(req);
    evd::self_adjoint_evd(
        am,
        s.as_mut(),
        Some(u.as_mut()),
        Par::Seq,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .ok()?;
    let sv = s.column_vector();
    Some(Raw {
        values: (0..n).map(|i| Complex64::new(sv[i], 0.0)).collect(),
        right: DMatrix::from_fn(n, n, |i, j| Complex64::new(u[(i, j)], 0.0)),
        left: None,
        right_real: Some(DMatrix::from_fn(n, n, |i, j| u[(i, j)])),
    })
}

/// Complex Hermitian matrix through `self_adjoint_evd`.
pub(crate) fn hermitian_complex(a: &DMatrix<Complex64>) -> Option<Raw> {
    let n = a.nrows();
    let am = MatRef::from_column_major_slice(a.as_slice(), n, n);
    let mut s = Diag::<Complex64>::zeros(n);
    let mut u = Mat::<Complex64>::zeros(n, n);
    let req = evd::self_adjoint_evd_scratch::<Complex64>(
        n,
        ComputeEigenvectors::Yes,
        Par::Seq,
        Default::default(),
    );
    let mut buf = MemBuffer::new(req);
    evd::self_adjoint_evd(
        am,
        s.as_mut(),
        Some(u.as_mut()),
        Par::Seq,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .ok()?;
    let sv = s.column_vector();
    Some(Raw {
        values: (0..n).map(|i| Complex64::new(sv[i].re, 0.0)).collect(),
        right: DMatrix::from_fn(n, n, |i, j| u[(i, j)]),
        left: None,
        right_real: None,
    })
}

/// Give the complex decomposition of a real matrix the exact structure of the real one:
/// eigenvalues with |Im λ| ≤ `tol` (relative to max |λ|, the matrix being scaled to
/// max |aᵢⱼ| ≈ 1) become real with real vectors; every other eigenvalue with Im λ > 0 is
/// paired with the nearest unpaired eigenvalue of Im λ < 0, which becomes its exact
/// conjugate, with conjugate vectors.
pub(crate) fn impose_conjugate_pairs(raw: &mut Raw, tol: f64) {
    let n = raw.values.len();
    let scale = raw.values.iter().map(|v| v.norm()).fold(1.0, f64::max);
    let mut used = vec![false; n];
    let make_real = |m: &mut DMatrix<Complex64>, j: usize| {
        // rotate the phase so that the largest entry is real, then drop the imaginary part
        let k = (0..n)
            .max_by(|&a, &b| m[(a, j)].norm().total_cmp(&m[(b, j)].norm()))
            .unwrap_or(0);
        let p = m[(k, j)];
        let ph = if p.norm() > 0.0 {
            p.conj() / p.norm()
        } else {
            Complex64::new(1.0, 0.0)
        };
        for i in 0..n {
            m[(i, j)] = Complex64::new((m[(i, j)] * ph).re, 0.0);
        }
    };
    for (j, u) in used.iter_mut().enumerate() {
        if raw.values[j].im.abs() <= tol * scale {
            raw.values[j].im = 0.0;
            make_real(&mut raw.right, j);
            if let Some(l) = raw.left.as_mut() {
                make_real(l, j);
            }
            *u = true;
        }
    }
    for j in 0..n {
        if used[j] || raw.values[j].im < 0.0 {
            continue;
        }
        let target = raw.values[j].conj();
        let partner = (0..n)
            .filter(|&k| !used[k] && k != j && raw.values[k].im < 0.0)
            .min_by(|&a, &b| {
                (raw.values[a] - target)
                    .norm()
                    .total_cmp(&(raw.values[b] - target).norm())
            });
        used[j] = true;
        let Some(k) = partner else { continue };
        used[k] = true;
        raw.values[k] = target;
        for i in 0..n {
            raw.right[(i, k)] = raw.right[(i, j)].conj();
        }
        if let Some(l) = raw.left.as_mut() {
            for i in 0..n {
                l[(i, k)] = l[(i, j)].conj();
            }
        }
    }
}
