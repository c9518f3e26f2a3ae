//! Eigen-decompositions with right and left eigenvectors and condition numbers.
//!
//! # Conventions
//!
//! For a square matrix A with eigenvalues λᵢ, right eigenvectors xᵢ (A xᵢ = λᵢ xᵢ) and
//! left eigenvectors yᵢ (yᵢᴴ A = λᵢ yᵢᴴ), an [`EigenPairs`] holds
//!
//! * the eigenvalues in ascending (Re, Im) order: sorted by the real part; eigenvalues
//!   whose real parts agree to `1e-12·‖A‖_F` are ordered by the imaginary part, so a
//!   conjugate pair a ± ib comes as a − ib, a + ib. On the Hermitian path the
//!   eigenvalues are real and ascending.
//! * right eigenvectors with unit 2-norm, ‖xᵢ‖₂ = 1 (the phase is the solver's);
//! * left eigenvectors scaled so that yᵢᴴ xᵢ = 1, hence Yᴴ X = I (biorthonormal). Inside a
//!   group of eigenvalues that agree to `1e3·ε·‖A‖_F` the left vectors are combined so
//!   that the block of Yᴴ X is the identity too. On the Hermitian path Y = X.
//! * the eigenvalue condition numbers κᵢ = ‖xᵢ‖‖yᵢ‖ / |yᵢᴴ xᵢ| = ‖yᵢ‖ ≥ 1
//!   (κ = 1 for normal matrices, κ → ∞ at a defective eigenvalue). When yᵢᴴ xᵢ vanishes
//!   to working precision κᵢ is reported as `f64::INFINITY` and yᵢ is left with unit
//!   norm.
//!
//! Real input stays in real arithmetic (faer's `evd_real`): its complex eigenvalues come
//! in exact conjugate pairs, with conjugate eigenvectors.
//!
//! The Hermitian path is taken by [`eigh`], or by [`eig`] when
//! max |aᵢⱼ − conj(aⱼᵢ)| ≤ [`HERMITIAN_TOL`]·max |aᵢⱼ|.
//!
//! Input is scaled by a power of two before the decomposition (exact), so matrices with
//! entries from 1e-300 to 1e300 are handled. Every result passes a residual check
//! (‖A X v − X Λ v‖ ≤ 1e-6·‖A‖_F·‖X v‖‖ for probe vectors v, and the same for Y);
//! a solver result that fails it is returned as [`Error::NoConvergence`].

pub(crate) mod balance;
pub(crate) mod clusters;
mod solver;

pub use clusters::Cluster;

use crate::error::{At, Error, Result};
use nalgebra::DMatrix;
use num_complex::Complex64;

/// Relative tolerance under which [`eig`] treats its input as Hermitian:
/// max |aᵢⱼ − conj(aⱼᵢ)| ≤ `HERMITIAN_TOL`·max |aᵢⱼ|.
pub const HERMITIAN_TOL: f64 = 1e-12;

/// Which decomposition path to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HermitianMode {
    /// Hermitian path when the input is Hermitian within [`HERMITIAN_TOL`], general
    /// otherwise (the default).
    #[default]
    Auto,
    /// Always the Hermitian path, on the Hermitian part (A + Aᴴ)/2.
    Yes,
    /// Always the general path (left and right vectors computed separately).
    No,
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f64 {}
    impl Sealed for num_complex::Complex64 {}
}

/// The entry types eigentrack accepts: `f64` and [`Complex64`].
///
/// Real matrices are decomposed in real arithmetic; their complex eigenvalues come in
/// exact conjugate pairs.
pub trait Element:
    nalgebra::Scalar
    + Copy
    + Send
    + Sync
    + std::fmt::Debug
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + sealed::Sealed
    + 'static
{
    /// Whether the type is real.
    const IS_REAL: bool;
    /// The value as a complex number.
    fn to_c64(self) -> Complex64;
    /// A real number as this type.
    fn from_f64(x: f64) -> Self;
    /// `self · s`.
    fn scale(self, s: f64) -> Self;
    /// A complex number as this type (the real part, for `f64`).
    fn from_c64(z: Complex64) -> Self;
    /// The complex conjugate (identity for reals).
    fn conjugate(self) -> Self;
    /// The first non-finite component, if any.
    fn non_finite(self) -> Option<f64>;
    /// Modulus.
    fn modulus(self) -> f64;
    /// Squared modulus |z|² (no square root).
    fn abs2(self) -> f64;
    /// `a · x` in complex arithmetic (real `a` as two real products).
    #[doc(hidden)]
    fn mul_complex(a: &DMatrix<Self>, x: &DMatrix<Complex64>) -> DMatrix<Complex64>;
    /// `a · X` for the eigenvectors `X` of a matrix of this type with eigenvalues
    /// `values` (real: one real product on the packed conjugate pairs).
    #[doc(hidden)]
    fn mul_eigenvectors(
        a: &DMatrix<Self>,
        x: &DMatrix<Complex64>,
        values: &[Complex64],
    ) -> DMatrix<Complex64> {
        let _ = values;
        Self::mul_complex(a, x)
    }
    /// yᵢᴴ a xᵢ for every column of the eigenvectors `x`, `y` of a matrix of this type
    /// with eigenvalues `values` (`hermitian`: y = x and `a` is read as its Hermitian part;
    /// `xr`: x in real storage, when it is real).
    #[doc(hidden)]
    fn quadratic_forms(
        a: &DMatrix<Self>,
        x: &DMatrix<Complex64>,
        y: &DMatrix<Complex64>,
        values: &[Complex64],
        hermitian: bool,
        xr: Option<&DMatrix<f64>>,
    ) -> Vec<Complex64>;
    /// `aᴴ · x` in complex arithmetic.
    #[doc(hidden)]
    fn mul_adj_complex(a: &DMatrix<Self>, x: &DMatrix<Complex64>) -> DMatrix<Complex64>;
    #[doc(hidden)]
    fn general(a: &DMatrix<Self>) -> Option<solver::Raw>;
    #[doc(hidden)]
    fn hermitian(a: &DMatrix<Self>) -> Option<solver::Raw>;
}

impl Element for f64 {
    const IS_REAL: bool = true;
    fn to_c64(self) -> Complex64 {
        Complex64::new(self, 0.0)
    }
    fn from_f64(x: f64) -> Self {
        x
    }
    fn scale(self, s: f64) -> Self {
        self * s
    }
    fn from_c64(z: Complex64) -> Self {
        z.re
    }
    fn conjugate(self) -> Self {
        self
    }
    fn non_finite(self) -> Option<f64> {
        (!self.is_finite()).then_some(self)
    }
    fn modulus(self) -> f64 {
        self.abs()
    }
    fn abs2(self) -> f64 {
        self * self
    }
    fn mul_complex(a: &DMatrix<Self>, x: &DMatrix<Complex64>) -> DMatrix<Complex64> {
        crate::linalg::mul_real(a, x, false)
    }
    fn mul_adj_complex(a: &DMatrix<Self>, x: &DMatrix<Complex64>) -> DMatrix<Complex64> {
        crate::linalg::mul_real(a, x, true)
    }
    fn mul_eigenvectors(
        a: &DMatrix<Self>,
        x: &DMatrix<Complex64>,
        values: &[Complex64],
    ) -> DMatrix<Complex64> {
        crate::linalg::mul_real_packed(a, x, values)
            .unwrap_or_else(|| crate::linalg::mul_real(a, x, false))
    }
    fn quadratic_forms(
        a: &DMatrix<Self>,
        x: &DMatrix<Complex64>,
        y: &DMatrix<Complex64>,
        values: &[Complex64],
        hermitian: bool,
        xr: Option<&DMatrix<f64>>,
    ) -> Vec<Complex64> {
        crate::linalg::quadratic_forms_real(a, x, y, values, hermitian, xr)
    }
    fn general(a: &DMatrix<Self>) -> Option<solver::Raw> {
        solver::general_real(a)
    }
    fn hermitian(a: &DMatrix<Self>) -> Option<solver::Raw> {
        solver::hermitian_real(a)
    }
}

impl Element for Complex64 {
    const IS_REAL: bool = false;
    fn to_c64(self) -> Complex64 {
        self
    }
    fn from_f64(x: f64) -> Self {
        Complex64::new(x, 0.0)
    }
    fn scale(self, s: f64) -> Self {
        self * s
    }
    fn from_c64(z: Complex64) -> Self {
        z
    }
    fn conjugate(self) -> Self {
        self.conj()
    }
    fn non_finite(self) -> Option<f64> {
        if !self.re.is_finite() {
            Some(self.re)
        } else if !self.im.is_finite() {
            Some(self.im)
        } else {
            None
        }
    }
    fn modulus(self) -> f64 {
        crate::linalg::cabs(self)
    }
    fn abs2(self) -> f64 {
        self.norm_sqr()
    }
    fn mul_complex(a: &DMatrix<Self>, x: &DMatrix<Complex64>) -> DMatrix<Complex64> {
        crate::linalg::mul(a, x)
    }
    fn mul_adj_complex(a: &DMatrix<Self>, x: &DMatrix<Complex64>) -> DMatrix<Complex64> {
        crate::linalg::mul_adj(a, x)
    }
    fn quadratic_forms(
        a: &DMatrix<Self>,
        x: &DMatrix<Complex64>,
        y: &DMatrix<Complex64>,
        _values: &[Complex64],
        hermitian: bool,
        _xr: Option<&DMatrix<f64>>,
    ) -> Vec<Complex64> {
        crate::linalg::quadratic_forms_complex(a, x, y, hermitian)
    }
    fn general(a: &DMatrix<Self>) -> Option<solver::Raw> {
        solver::general_complex(a)
    }
    fn hermitian(a: &DMatrix<Self>) -> Option<solver::Raw> {
        solver::hermitian_complex(a)
    }
}

/// The parts of an [`EigenPairs`]: values, right vectors, left vectors (None: Y = X),
/// condition numbers, right vectors in real storage (when real).
pub(crate) type Parts = (
    Vec<Complex64>,
    DMatrix<Complex64>,
    Option<DMatrix<Complex64>>,
    Vec<f64>,
    Option<DMatrix<f64>>,
);

/// Eigenvalues with right and left eigenvectors and condition numbers.
///
/// See the [module documentation](self) for the conventions (order, normalisation,
/// biorthonormality). Column `i` of [`right`](Self::right) and [`left`](Self::left) and
/// entry `i` of [`condition`](Self::condition) belong to `values()[i]`.
///
/// ```
/// use eigentrack::eig;
/// use nalgebra::DMatrix;
///
/// let a = DMatrix::from_row_slice(2, 2, &[2.0, 1.0, 0.0, 3.0]);
/// let e = eig(&a)?;
/// assert_eq!(e.values()[0].re, 2.0);
/// assert!((e.values()[1].re - 3.0).abs() < 1e-14);
/// // Yᴴ X = I
/// let g = e.left().adjoint() * e.right();
/// assert!((g - nalgebra::DMatrix::identity(2, 2)).norm() < 1e-14);
/// # Ok::<(), eigentrack::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct EigenPairs {
    values: Vec<Complex64>,
    right: DMatrix<Complex64>,
    /// `None` on the Hermitian path, where Y = X (not stored twice).
    left: Option<DMatrix<Complex64>>,
    /// `right` in real storage, when the vectors are real (the real symmetric path): the
    /// tracker's products and overlaps read half the memory.
    right_real: Option<DMatrix<f64>>,
    condition: Vec<f64>,
    hermitian: bool,
    norm: f64,
}

impl EigenPairs {
    /// The eigenvalues, ascending in (Re, Im).
    pub fn values(&self) -> &[Complex64] {
        &self.values
    }
    /// Right eigenvectors as unit-norm columns.
    pub fn right(&self) -> &DMatrix<Complex64> {
        &self.right
    }
    /// Left eigenvectors as columns, scaled so that Yᴴ X = I (the right ones on the
    /// Hermitian path).
    pub fn left(&self) -> &DMatrix<Complex64> {
        self.left.as_ref().unwrap_or(&self.right)
    }
    /// Eigenvalue condition numbers κᵢ = ‖xᵢ‖‖yᵢ‖/|yᵢᴴxᵢ| (∞ at a defective eigenvalue).
    pub fn condition(&self) -> &[f64] {
        &self.condition
    }
    /// (values, right, left (None: Y = X), condition, right in real storage when real),
    /// without copies.
    pub(crate) fn into_parts(self) -> Parts {
        (
            self.values,
            self.right,
            self.left,
            self.condition,
            self.right_real,
        )
    }
    /// Whether the Hermitian path was taken (then Y = X and the values are real).
    pub fn is_hermitian(&self) -> bool {
        self.hermitian
    }
    /// The scale that tolerances are relative to: ‖A‖_F of the decomposed matrix, or on the
    /// general path ‖D⁻¹AD‖_F of the balanced matrix (module docs of [`eig_with`]: equal
    /// to ‖A‖_F where balancing changes nothing); f64::MAX where it overflows.
    pub fn norm(&self) -> f64 {
        self.norm
    }
    /// Number of eigenvalues.
    pub fn len(&self) -> usize {
        self.values.len()
    }
    /// Whether there are no eigenvalues (never true for a decomposed matrix).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Reorder the eigenpairs in place: entry `k` of the result is entry `perm[k]` of
    /// `self`.
    pub(crate) fn permuted(mut self, perm: &[usize]) -> EigenPairs {
        use crate::linalg::permute_columns;
        self.values = perm.iter().map(|&p| self.values[p]).collect();
        self.condition = perm.iter().map(|&p| self.condition[p]).collect();
        permute_columns(&mut self.right, perm);
        if let Some(left) = self.left.as_mut() {
            permute_columns(left, perm);
        }
        if let Some(real) = self.right_real.as_mut() {
            permute_columns(real, perm);
        }
        self
    }
}

/// Eigen-decomposition of a square real or complex matrix, general or Hermitian
/// (chosen automatically, see [`HermitianMode::Auto`]).
///
/// Returns the eigenvalues in ascending (Re, Im) order with unit-norm right eigenvectors,
/// biorthonormal left eigenvectors (Yᴴ X = I) and condition numbers; see the
/// [module documentation](crate::eigen) for every convention.
///
/// # Errors
/// [`Error::Empty`], [`Error::NotSquare`], [`Error::NonFinite`] (with the row and column
/// of the first NaN or ±∞), [`Error::NoConvergence`].
///
/// ```
/// use eigentrack::eig;
/// use nalgebra::DMatrix;
///
/// // a rotation by 90°: eigenvalues ∓i, an exact conjugate pair
/// let a = DMatrix::from_row_slice(2, 2, &[0.0, -1.0, 1.0, 0.0]);
/// let e = eig(&a)?;
/// assert_eq!(e.values()[0], e.values()[1].conj());
/// assert!((e.values()[1].im - 1.0).abs() < 1e-15);
/// # Ok::<(), eigentrack::Error>(())
/// ```
pub fn eig<T: Element>(a: &DMatrix<T>) -> Result<EigenPairs> {
    eig_with(a, HermitianMode::Auto)
}

/// Eigen-decomposition on the Hermitian path: real eigenvalues ascending, Y = X
/// orthonormal, κ = 1. It decomposes the Hermitian part (A + Aᴴ)/2, so it is meant for
/// input that is Hermitian up to rounding.
///
/// ```
/// use eigentrack::eigh;
/// use nalgebra::DMatrix;
///
/// let a = DMatrix::from_row_slice(2, 2, &[2.0, 1.0, 1.0, 2.0]);
/// let e = eigh(&a)?;
/// assert!((e.values()[0].re - 1.0).abs() < 1e-14 && (e.values()[1].re - 3.0).abs() < 1e-14);
/// # Ok::<(), eigentrack::Error>(())
/// ```
pub fn eigh<T: Element>(a: &DMatrix<T>) -> Result<EigenPairs> {
    eig_with(a, HermitianMode::Yes)
}

/// Check that `a` is square, non-empty and finite; `what` names it in the error.
pub(crate) fn check_matrix<T: Element>(a: &DMatrix<T>, what: &'static str) -> Result<()> {
    let (rows, cols) = a.shape();
    if rows == 0 || cols == 0 {
        return Err(Error::Empty {
            rows,
            cols,
            at: At(None),
        });
    }
    if rows != cols {
        return Err(Error::NotSquare {
            rows,
            cols,
            at: At(None),
        });
    }
    check_finite(a, what)
}

/// The first non-finite entry of `a`, as an error.
pub(crate) fn check_finite<T: Element>(a: &DMatrix<T>, what: &'static str) -> Result<()> {
    // fast path (vectorised); the slow one says where
    let finite = crate::linalg::all_of(a.as_slice(), |v| {
        let z = v.to_c64();
        z.re.is_finite() & z.im.is_finite()
    });
    if finite {
        return Ok(());
    }
    for col in 0..a.ncols() {
        for row in 0..a.nrows() {
            if let Some(value) = a[(row, col)].non_finite() {
                return Err(Error::NonFinite {
                    what,
                    row,
                    col,
                    value,
                    at: At(None),
                });
            }
        }
    }
    Ok(())
}

/// Whether `a` is Hermitian within [`HERMITIAN_TOL`].
///
/// The transposed half is read in tiles (so it stays in cache), and a matrix that is not
/// Hermitian is usually rejected after its first tile.
pub fn is_hermitian<T: Element>(a: &DMatrix<T>) -> bool {
    let n = a.nrows();
    if n != a.ncols() {
        return false;
    }
    let s = a.as_slice();
    let tol = HERMITIAN_TOL * max_modulus(s);
    // an `and` of comparisons, not a running maximum: no latency chain, and NaN fails
    crate::linalg::lower_pairs(n, true, |j, i| {
        (s[j * n + i] - s[i * n + j].conjugate()).modulus() <= tol
    })
}

/// A reduction of `s` by `step` in eight independent lanes (no loop-carried latency
/// chain, so it vectorises), the lanes then merged by `merge`; lanes start at 0.
fn fold_lanes<T: Element>(
    s: &[T],
    step: impl Fn(f64, T) -> f64,
    merge: impl Fn(f64, f64) -> f64,
) -> f64 {
    let mut lanes = [0.0f64; 8];
    let chunks = s.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l = step(*l, v);
        }
    }
    let m = lanes.into_iter().fold(0.0, &merge);
    merge(m, rest.iter().fold(0.0, |l, &v| step(l, v)))
}

/// max |aᵢ| (0 for an empty slice).
pub(crate) fn max_modulus<T: Element>(s: &[T]) -> f64 {
    fold_lanes(s, |l, v| l.max(v.modulus()), f64::max)
}

/// Σ |aᵢ|².
pub(crate) fn sum_squares<T: Element>(s: &[T]) -> f64 {
    fold_lanes(s, |l, v| l + v.abs2(), |a, b| a + b)
}

/// Eigen-decomposition with an explicit [`HermitianMode`].
///
/// The matrix is scaled by a power of two to max |aᵢⱼ| ≈ 1, and on the general
/// (non-Hermitian) path *balanced* as LAPACK's `gebal` does: B = D⁻¹AD with D diagonal
/// of powers of two (exact), chosen so that each row and column of B have comparable
/// off-diagonal norms, where that at least halves ‖A‖_F; the eigenvectors are transformed
/// back (x = D·x_B, y = D⁻¹·y_B, then normalised as documented on [`EigenPairs`]) and
/// [`EigenPairs::norm`] is ‖B‖_F,
/// the scale of the eigenvalues' rounding error. Badly scaled first-order systems (FE
/// stiffness of 10¹⁰ next to unit entries) then get what numpy's balancing `eig` gets.
///
/// ```
/// use eigentrack::{eig_with, HermitianMode};
/// use nalgebra::DMatrix;
///
/// let a = DMatrix::from_row_slice(2, 2, &[2.0, 1.0, 1.0, 2.0]);
/// let e = eig_with(&a, HermitianMode::No)?; // general path on a symmetric matrix
/// assert!(!e.is_hermitian());
/// assert!((e.values()[1].re - 3.0).abs() < 1e-14);
/// # Ok::<(), eigentrack::Error>(())
/// ```
pub fn eig_with<T: Element>(a: &DMatrix<T>, mode: HermitianMode) -> Result<EigenPairs> {
    check_matrix(a, "A")?;
    let n = a.nrows();
    let hermitian = match mode {
        HermitianMode::Yes => true,
        HermitianMode::No => false,
        HermitianMode::Auto => is_hermitian(a),
    };
    let amax = max_modulus(a.as_slice());
    if amax == 0.0 {
        return Ok(zero_matrix(n, hermitian));
    }
    // exact power-of-two scaling to max |a_ij| ≈ 1; the exponent is kept where 2^-e is a
    // normal number (2^±1024 would be ∞ or 0: entries near f64::MAX, or subnormal)
    let e = (amax.log2().round() as i32).clamp(-1022, 1022);
    let s = pow2(-e);
    let mut scaled = a.map(|v| v.scale(s));
    if hermitian {
        for j in 0..n {
            for i in j..n {
                let avg = (scaled[(i, j)].to_c64() + scaled[(j, i)].to_c64().conj()) * 0.5;
                let v = T::from_c64(avg);
                scaled[(i, j)] = v;
                scaled[(j, i)] = v.conjugate();
            }
        }
    }
    // non-Hermitian input is balanced (B = D⁻¹AD by powers of two, module `balance`); the
    // eigenvectors are transformed back and the scale is ‖B‖_F
    let balanced = if hermitian {
        None
    } else {
        balance::balance(&scaled)
    };
    // only where it pays: a balanced matrix (most input) keeps its own rounding
    let balanced = balanced
        .filter(|(b, _)| sum_squares(b.as_slice()) <= 0.25 * sum_squares(scaled.as_slice()));
    let (work, d) = match &balanced {
        Some((b, d)) => (b, Some(&d[..])),
        None => (&scaled, None),
    };
    let norm_scaled = sum_squares(work.as_slice()).sqrt();
    let raw = if hermitian {
        T::hermitian(work)
    } else {
        T::general(work)
    }
    .ok_or(Error::NoConvergence {
        n,
        residual: f64::INFINITY,
        at: At(None),
    })?;
    let mut pairs = finish(unbalanced(raw, d), hermitian, norm_scaled)?;
    if let Err(e) = residual_check(work, &pairs, d) {
        // faer's real quasi-triangular back-substitution can lose accuracy on repeated
        // complex pairs; the complex path does not. Retry there and restore the exact
        // conjugate structure of a real matrix.
        if !T::IS_REAL || hermitian {
            return Err(e);
        }
        let mut raw = solver::general_complex(&work.map(|v| v.to_c64())).ok_or(e)?;
        solver::impose_conjugate_pairs(&mut raw, 1e-10);
        pairs = finish(unbalanced(raw, d), hermitian, norm_scaled)?;
        residual_check(work, &pairs, d)?;
    }
    // undo the scaling of the eigenvalues
    for v in pairs.values.iter_mut() {
        *v /= s;
    }
    // ‖A‖_F beyond f64::MAX (entries near overflow): the tolerances relative to it stay
    // finite with f64::MAX
    pairs.norm = (norm_scaled / s).min(f64::MAX);
    Ok(pairs)
}

/// The eigenvectors of A from those of its balanced B = D⁻¹AD: x = D·x_B, y = D⁻¹·y_B
/// (unnormalised: [`finish`] normalises them).
fn unbalanced(mut raw: solver::Raw, d: Option<&[f64]>) -> solver::Raw {
    let Some(d) = d else {
        return raw;
    };
    for (i, &di) in d.iter().enumerate() {
        raw.right.row_mut(i).scale_mut(di);
        if let Some(r) = raw.right_real.as_mut() {
            r.row_mut(i).scale_mut(di);
        }
        if let Some(l) = raw.left.as_mut() {
            l.row_mut(i).scale_mut(1.0 / di);
        }
    }
    raw
}

/// 2^e, exactly, for −1022 ≤ e ≤ 1023.
fn pow2(e: i32) -> f64 {
    f64::from_bits(((e + 1023) as u64) << 52)
}

fn zero_matrix(n: usize, hermitian: bool) -> EigenPairs {
    let id = DMatrix::<Complex64>::identity(n, n);
    EigenPairs {
        values: vec![Complex64::new(0.0, 0.0); n],
        left: (!hermitian).then(|| id.clone()),
        right: id,
        right_real: None,
        condition: vec![1.0; n],
        hermitian,
        norm: 0.0,
    }
}

/// 1 / conj(z) without the overflow and underflow of a naive |z|².
fn recip_conj(z: Complex64) -> Complex64 {
    let m = z.re.abs().max(z.im.abs());
    let w = z / m;
    w / (w.norm_sqr() * m)
}

/// ‖column j‖₂ (faer's SIMD norm, scaled against overflow).
fn column_norm(m: &DMatrix<Complex64>, j: usize) -> f64 {
    faer::ColRef::from_slice(crate::linalg::col(m, j)).norm_l2()
}

/// Normalise, compute κ, biorthonormalise inside exact clusters, sort.
fn finish(raw: solver::Raw, hermitian: bool, norm: f64) -> Result<EigenPairs> {
    let n = raw.values.len();
    let mut right = raw.right;
    let mut right_real = raw.right_real;
    for j in 0..n {
        let nx = column_norm(&right, j);
        if nx > 0.0 && nx.is_finite() {
            // the same division on both copies: they stay equal
            right.column_mut(j).unscale_mut(nx);
            if let Some(r) = right_real.as_mut() {
                r.column_mut(j).unscale_mut(nx);
            }
        }
    }
    let (left, condition) = match raw.left {
        None => (None, vec![1.0; n]),
        Some(mut left) => {
            let mut cond = vec![1.0; n];
            for j in 0..n {
                let ny = column_norm(&left, j);
                if ny > 0.0 && ny.is_finite() {
                    left.column_mut(j).unscale_mut(ny);
                }
                let s = left.column(j).dotc(&right.column(j));
                if s.norm() > 64.0 * f64::EPSILON {
                    let c = recip_conj(s);
                    for i in 0..n {
                        left[(i, j)] *= c;
                    }
                    cond[j] = left.column(j).norm();
                } else {
                    cond[j] = f64::INFINITY;
                }
            }
            (Some(left), cond)
        }
    };
    let mut pairs = EigenPairs {
        values: raw.values,
        right,
        left,
        right_real,
        condition,
        hermitian,
        norm,
    };
    if !hermitian {
        clusters::biorthonormalize_exact(
            &mut pairs,
            1e3 * f64::EPSILON * norm.max(f64::MIN_POSITIVE),
        );
    }
    let order = canonical_order(&pairs.values, 1e-12 * norm);
    Ok(pairs.permuted(&order))
}

/// Indices that sort `values` ascending by real part, ties (within `tol`) by imaginary part.
pub(crate) fn canonical_order(values: &[Complex64], tol: f64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| values[a].re.total_cmp(&values[b].re));
    let mut start = 0;
    while start < idx.len() {
        let mut end = start + 1;
        while end < idx.len() && values[idx[end]].re - values[idx[end - 1]].re <= tol {
            end += 1;
        }
        idx[start..end].sort_by(|&a, &b| values[a].im.total_cmp(&values[b].im));
        start = end;
    }
    idx
}

/// Probe-vector residual check of a decomposition of `a` (cost O(n²)): with a fixed
/// probe v whose entries are all non-zero, ‖A(Xv) − X(Λv)‖ ≤ 1e-6·‖A‖_F·max(‖Xv‖, ‖v‖)
/// and likewise for the left vectors.
fn residual_check<T: Element>(a: &DMatrix<T>, p: &EigenPairs, d: Option<&[f64]>) -> Result<()> {
    use crate::linalg::mul;
    let n = a.nrows();
    let anorm = p.norm.max(f64::MIN_POSITIVE);
    let v = DMatrix::from_fn(n, 1, |i, _| {
        let x = ((i * 7 + 1) as f64 * 0.618_033_988_749_895).fract();
        Complex64::new(x + 0.25, 0.3 * (x * 3.0).fract() + 0.1)
    });
    let scaled = |w: &dyn Fn(Complex64) -> Complex64| {
        DMatrix::from_fn(n, 1, |i, _| v[(i, 0)] * w(p.values[i]))
    };
    // `a` is the balanced B = D⁻¹AD where `d` is given: its vectors are D⁻¹X and DᴴY
    let (right, left) = match d {
        None => (p.right.clone(), p.left.clone()),
        Some(d) => {
            let mut r = p.right.clone();
            let mut l = p.left.clone();
            for (i, &di) in d.iter().enumerate() {
                r.row_mut(i).unscale_mut(di);
                if let Some(l) = l.as_mut() {
                    l.row_mut(i).scale_mut(di);
                }
            }
            (r, l)
        }
    };
    let xv = mul(&right, &v);
    let r = T::mul_complex(a, &xv) - mul(&right, &scaled(&|l| l));
    let mut worst = r.norm() / (anorm * xv.norm().max(v.norm()));
    if let (false, true, Some(left)) = (
        p.hermitian,
        p.condition.iter().all(|c| c.is_finite()),
        left.as_ref(),
    ) {
        let yv = mul(left, &v);
        let rl = T::mul_adj_complex(a, &yv) - mul(left, &scaled(&|l| l.conj()));
        worst = worst.max(rl.norm() / (anorm * yv.norm().max(v.norm())));
    }
    if worst.is_nan() || worst > 1e-6 {
        return Err(Error::NoConvergence {
            n,
            residual: worst,
            at: At(None),
        });
    }
    Ok(())
}
