//! Generalized pencils A(t)x = λB(t)x and quadratic families (λ²M(t) + λC(t) + K(t))x = 0
//! as standard families.
//!
//! The tracker follows the eigenvalues of one matrix. [`Pencil`] and [`Quadratic`] turn a
//! pencil or a quadratic eigenvalue problem into a [`MatrixFamily`] with the **same
//! eigenvalues** and **exact derivatives** (exact as far as the derivatives of the
//! members are: the reduction itself is differentiated analytically), so that everything
//! the tracker does — identities through crossings, slopes, curvatures, events, local
//! resolution — applies unchanged.
//!
//! * [`Pencil`] (mode [`PencilMode`]):
//!   - **Hermitian-definite** (B(t) Hermitian positive definite): with the Cholesky factor
//!     B = LLᴴ the reduced matrix is C = L⁻¹AL⁻ᴴ, Hermitian when A is. Its eigenvectors
//!     y = Lᴴx are the pencil's eigenvectors x in the B-inner product (yᴴy = xᴴBx), so the
//!     tracker's overlap pairing works in the B-inner product without being told.
//!   - **General** (B(t) nonsingular): C = B⁻¹A by an LU factorisation; the eigenvectors
//!     of C are the pencil's eigenvectors x.
//! * [`Quadratic`]: the first-order companion form of size 2n with the state z = [x; λx].
//!
//! A singular B(t) or M(t), a non-finite entry, a size that does not fit: these are
//! errors naming the matrix and t ([`Error::Singular`], [`Error::NonFinite`],
//! [`Error::ShapeMismatch`], [`Error::NotDefinite`]), reported by
//! [`MatrixFamily::try_value`] / [`MatrixFamily::try_jet`], which the tracker calls, so
//! that [`Tracker::track_family`](crate::Tracker::track_family) returns them. The
//! infallible [`MatrixFamily::value`] and [`MatrixFamily::jet`] cannot report them and
//! return matrices of NaN instead.

use crate::eigen::{check_finite, is_hermitian, Element};
use crate::error::{At, Error, Result};
use crate::family::{Jet, MatrixFamily};
use nalgebra::{Cholesky, ComplexField, DMatrix, LU};
use num_complex::Complex64;
use std::sync::OnceLock;

/// How a [`Pencil`] reduces A(t)x = λB(t)x to a standard eigenproblem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PencilMode {
    /// [`HermitianDefinite`](Self::HermitianDefinite) when B is Hermitian (within
    /// [`HERMITIAN_TOL`](crate::eigen::HERMITIAN_TOL)) and its Cholesky factorisation
    /// succeeds at the first t the pencil is evaluated at, [`General`](Self::General)
    /// otherwise. The choice is then kept for every t (the two modes have different
    /// eigenvectors, and a track must not switch between them); see
    /// [`Pencil::resolved_mode`]. The default.
    #[default]
    Auto,
    /// C = L⁻¹AL⁻ᴴ with B = LLᴴ; B(t) must be Hermitian positive definite at every t
    /// ([`Error::NotDefinite`] otherwise). Hermitian A gives a Hermitian C.
    HermitianDefinite,
    /// C = B⁻¹A by LU with partial pivoting; any nonsingular B(t).
    General,
}

/// The generalized eigenproblem A(t)x = λB(t)x as a standard [`MatrixFamily`] C(t) with
/// the same eigenvalues.
///
/// # The reduction and its derivatives
///
/// * **Hermitian-definite** ([`PencilMode::HermitianDefinite`]): B = LLᴴ (Cholesky of the
///   Hermitian part of B), C = L⁻¹AL⁻ᴴ. With Φ = L⁻¹B′L⁻ᴴ and G = L⁻¹L′ = low(Φ) (the
///   strictly lower part of Φ plus half its diagonal: L⁻¹L′ is lower triangular with a
///   real diagonal and G + Gᴴ = Φ),
///
///   C′ = L⁻¹A′L⁻ᴴ − GC − CGᴴ,
///
///   C″ = L⁻¹A″L⁻ᴴ − G(L⁻¹A′L⁻ᴴ) − (L⁻¹A′L⁻ᴴ)Gᴴ − G′C − GC′ − C′Gᴴ − CG′ᴴ,
///
///   with G′ = low(Φ′) and Φ′ = L⁻¹B″L⁻ᴴ − GΦ − ΦGᴴ. Where A(t) is Hermitian (within
///   [`HERMITIAN_TOL`](crate::eigen::HERMITIAN_TOL)) C, C′ and C″ are made exactly
///   Hermitian, so the tracker takes its Hermitian path. The eigenvectors of C are
///   y = Lᴴx: unit vectors y are pencil eigenvectors with xᴴBx = 1, and the overlaps the
///   tracker pairs them by are B-inner products of pencil eigenvectors.
/// * **General** ([`PencilMode::General`]): C = B⁻¹A,
///
///   C′ = B⁻¹(A′ − B′C), C″ = B⁻¹(A″ − 2B′C′ − B″C),
///
///   every product with B⁻¹ a solve with one LU factorisation of B(t). The eigenvectors
///   of C are the pencil's eigenvectors x.
///
/// The Hermitian-definite mode reads B, B′ and B″ as their Hermitian parts. Each
/// evaluation factors B(t) once and forms B(t)⁻¹ once for its condition number (O(n³),
/// a fraction of the cost of the decomposition that follows).
///
/// The derivatives are exact when those of A and B are
/// ([`exact_derivatives`](MatrixFamily::exact_derivatives) is true when both members'
/// are). [`eigenvectors`](Self::eigenvectors) maps the tracker's vectors back to pencil
/// eigenvectors x.
///
/// # Errors
///
/// [`try_value`](MatrixFamily::try_value) and [`try_jet`](MatrixFamily::try_jet) (the
/// methods the tracker calls) return, naming the matrix and t:
/// [`Error::Singular`] when B(t) is singular or its reciprocal condition number
/// 1/(‖B‖₁‖B⁻¹‖₁) is below n·ε; [`Error::NonFinite`] for a NaN or ±∞ entry of A, A′, A″,
/// B, B′ or B″ (named "A", "A'", "A''", "B", "B'", "B''"); [`Error::Empty`] or
/// [`Error::NotSquare`] for an empty or non-square A; [`Error::ShapeMismatch`] when B or a
/// derivative does not have the size of A; [`Error::NotDefinite`] when the Hermitian-definite mode meets a B(t) that is not
/// Hermitian positive definite. [`value`](MatrixFamily::value) and
/// [`jet`](MatrixFamily::jet) return matrices of NaN in those cases.
///
/// # Example
///
/// K(t) = diag(1 + t, 4 − 2t) and M = diag(1, 2) mixed by a congruence: the eigenvalues
/// are exactly 1 + t and 2 − t, which cross at t = 0.5.
///
/// ```
/// use eigentrack::{Pencil, PencilMode, Tracker, WithDerivatives};
/// use eigentrack::nalgebra::{dvector, DMatrix, DVector};
///
/// let p = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.0, 1.0]);
/// // PᵀDP for a diagonal D
/// let congruence = move |d: DVector<f64>| p.transpose() * DMatrix::from_diagonal(&d) * &p;
/// let (c1, c2, c3) = (congruence.clone(), congruence.clone(), congruence);
/// let a = WithDerivatives(
///     move |t: f64| c1(dvector![1.0 + t, 4.0 - 2.0 * t]),
///     move |_t: f64| c2(dvector![1.0, -2.0]),
///     |_t: f64| DMatrix::zeros(2, 2),
/// );
/// let b = move |_t: f64| c3(dvector![1.0, 2.0]);
/// let pencil = Pencil::new(a, b);
///
/// let tr = Tracker::new()
///     .samples(31)?
///     .keep_vectors(true)
///     .track_family(&pencil, 0.0..=1.0)?;
/// assert_eq!(pencil.resolved_mode(), Some(PencilMode::HermitianDefinite));
/// let up = &tr.branches()[0]; // λ = 1 + t, through the crossing
/// assert!((up.values()[30].re - 2.0).abs() < 1e-12);
/// assert!((up.slopes()[30].re - 1.0).abs() < 1e-10);
/// assert!((tr.events()[0].t() - 0.5).abs() < 1e-10);
///
/// // the pencil's eigenvectors, B-normalised: xᴴBx = 1
/// let y = DMatrix::from_columns(&[up.right_vectors().unwrap()[30].clone()]);
/// let x = pencil.eigenvectors(1.0, &y)?;
/// assert!(x[(1, 0)].norm() < 1e-12); // Px ∝ e₁: x ∝ e₁
/// assert!((x[(0, 0)].norm() - 1.0).abs() < 1e-12); // xᴴBx = |x₀|²·1
/// # Ok::<(), eigentrack::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Pencil<FA, FB> {
    a: FA,
    b: FB,
    mode: PencilMode,
    resolved: OnceLock<PencilMode>,
}

impl<FA, FB> Pencil<FA, FB> {
    /// The pencil A(t)x = λB(t)x in [`PencilMode::Auto`].
    pub fn new(a: FA, b: FB) -> Self {
        Pencil {
            a,
            b,
            mode: PencilMode::Auto,
            resolved: OnceLock::new(),
        }
    }
    /// The same pencil in `mode`.
    ///
    /// ```
    /// use eigentrack::{MatrixFamily, Pencil, PencilMode, nalgebra::DMatrix};
    ///
    /// let a = |t: f64| DMatrix::from_element(1, 1, t);
    /// let b = |_t: f64| DMatrix::from_element(1, 1, 2.0);
    /// let pencil = Pencil::new(a, b).mode(PencilMode::General);
    /// assert_eq!(pencil.resolved_mode(), Some(PencilMode::General));
    /// assert_eq!(pencil.try_value(3.0)?[(0, 0)], 1.5); // B⁻¹A
    /// # Ok::<(), eigentrack::Error>(())
    /// ```
    pub fn mode(self, mode: PencilMode) -> Self {
        let resolved = OnceLock::new();
        if mode != PencilMode::Auto {
            let _ = resolved.set(mode);
        }
        Pencil {
            a: self.a,
            b: self.b,
            mode,
            resolved,
        }
    }
    /// Force the general (LU) reduction C = B⁻¹A: `self.mode(PencilMode::General)`.
    pub fn general(self) -> Self {
        self.mode(PencilMode::General)
    }
    /// Force the Hermitian-definite (Cholesky) reduction C = L⁻¹AL⁻ᴴ:
    /// `self.mode(PencilMode::HermitianDefinite)`.
    pub fn hermitian_definite(self) -> Self {
        self.mode(PencilMode::HermitianDefinite)
    }
    /// The mode asked for (possibly [`PencilMode::Auto`]).
    pub fn requested_mode(&self) -> PencilMode {
        self.mode
    }
    /// The reduction in use: the forced mode, or what [`PencilMode::Auto`] chose at the
    /// first evaluation (None before it).
    pub fn resolved_mode(&self) -> Option<PencilMode> {
        self.resolved.get().copied()
    }
    /// The family A(t).
    pub fn a(&self) -> &FA {
        &self.a
    }
    /// The family B(t).
    pub fn b(&self) -> &FB {
        &self.b
    }
}

/// A factorisation of B(t) (or M(t)) that passed the singularity check.
enum Factor<T: ComplexField<RealField = f64>> {
    /// Lower Cholesky factor L of the Hermitian part of B.
    Cholesky(DMatrix<T>),
    /// LU with partial pivoting.
    Lu(LU<T, nalgebra::Dyn, nalgebra::Dyn>),
}

fn nan_matrix<T: ComplexField<RealField = f64>>(r: usize, c: usize) -> DMatrix<T> {
    DMatrix::from_element(r, c, T::from_real(f64::NAN))
}

/// max column sum of moduli.
fn norm1<T: ComplexField<RealField = f64>>(m: &DMatrix<T>) -> f64 {
    m.column_iter()
        .map(|c| c.iter().map(|z| z.clone().modulus()).sum::<f64>())
        .fold(0.0, f64::max)
}

/// (X + Xᴴ)/2.
fn herm<T: ComplexField<RealField = f64>>(x: &DMatrix<T>) -> DMatrix<T> {
    (x + x.adjoint()) * T::from_real(0.5)
}

/// The strictly lower part of Φ plus half its diagonal.
fn low<T: ComplexField<RealField = f64>>(phi: &DMatrix<T>) -> DMatrix<T> {
    let mut g = phi.clone();
    let n = g.nrows();
    for j in 0..n {
        for i in 0..j {
            g[(i, j)] = T::zero();
        }
        g[(j, j)] = g[(j, j)].clone() * T::from_real(0.5);
    }
    g
}

/// L⁻¹ X L⁻ᴴ for a lower triangular L with a nonzero diagonal.
fn sandwich<T: ComplexField<RealField = f64>>(l: &DMatrix<T>, x: &DMatrix<T>) -> DMatrix<T> {
    let y = l.solve_lower_triangular_unchecked(x); // L⁻¹X
    l.solve_lower_triangular_unchecked(&y.adjoint()).adjoint() // (L⁻¹(L⁻¹X)ᴴ)ᴴ
}

/// Singular unless rcond ≥ n·ε (and finite).
fn check_rcond(what: &'static str, rcond: f64, n: usize, t: f64) -> Result<()> {
    if rcond.is_finite() && rcond >= n as f64 * f64::EPSILON {
        Ok(())
    } else {
        Err(Error::Singular {
            what,
            rcond: if rcond.is_finite() { rcond } else { 0.0 },
            at: At(Some(t)),
        })
    }
}

/// LU of `b` with the singularity check.
fn lu_checked<T: ComplexField<RealField = f64>>(
    b: &DMatrix<T>,
    what: &'static str,
    t: f64,
) -> Result<LU<T, nalgebra::Dyn, nalgebra::Dyn>> {
    let n = b.nrows();
    let lu = LU::new(b.clone());
    let rcond = match lu.try_inverse() {
        Some(inv) => 1.0 / (norm1(b) * norm1(&inv)),
        None => 0.0,
    };
    check_rcond(what, rcond, n, t)?;
    Ok(lu)
}

/// Cholesky of the Hermitian part of `b`, None when it fails; the singularity check on
/// success.
fn cholesky_checked<T: ComplexField<RealField = f64>>(
    b: &DMatrix<T>,
    what: &'static str,
    t: f64,
) -> Option<Result<Factor<T>>> {
    let hb = herm(b);
    let l = Cholesky::new(hb.clone())?.unpack();
    let n = b.nrows();
    let linv = l.solve_lower_triangular_unchecked(&DMatrix::identity(n, n));
    let binv = linv.adjoint() * &linv;
    let rcond = 1.0 / (norm1(&hb) * norm1(&binv));
    Some(check_rcond(what, rcond, n, t).map(|()| Factor::Cholesky(l)))
}

/// B⁻¹X with the LU of B.
fn solve<T: ComplexField<RealField = f64>>(
    lu: &LU<T, nalgebra::Dyn, nalgebra::Dyn>,
    x: &DMatrix<T>,
    what: &'static str,
    t: f64,
) -> Result<DMatrix<T>> {
    lu.solve(x).ok_or(Error::Singular {
        what,
        rcond: 0.0,
        at: At(Some(t)),
    })
}

/// C = B⁻¹X, C′ = B⁻¹(X′ − B′C), C″ = B⁻¹(X″ − 2B′C′ − B″C) with the LU of B.
fn solve_jet<T: ComplexField<RealField = f64> + Element>(
    lu: &LU<T, nalgebra::Dyn, nalgebra::Dyn>,
    b: &Jet<T>,
    x: &Jet<T>,
    what: &'static str,
    t: f64,
) -> Result<Jet<T>> {
    let c = solve(lu, &x.a, what, t)?;
    let dc = solve(lu, &(&x.da - &b.da * &c), what, t)?;
    let rhs = &x.dda - (&b.da * &dc) * T::from_real(2.0) - &b.dda * &c;
    let ddc = solve(lu, &rhs, what, t)?;
    Ok(Jet {
        a: c,
        da: dc,
        dda: ddc,
    })
}

/// The error for a member of the wrong size.
fn shape_error(
    what: &'static str,
    expected: (usize, usize),
    found: (usize, usize),
    t: f64,
) -> Error {
    Error::ShapeMismatch {
        what,
        expected,
        found,
        at: At(Some(t)),
    }
}

/// `Ok` when `m` is `shape`.
fn check_shape<T: Element>(
    m: &DMatrix<T>,
    shape: (usize, usize),
    what: &'static str,
    t: f64,
) -> Result<()> {
    if m.shape() == shape {
        Ok(())
    } else {
        Err(shape_error(what, shape, m.shape(), t))
    }
}

fn finite<T: Element>(m: &DMatrix<T>, what: &'static str, t: f64) -> Result<()> {
    check_finite(m, what).map_err(|e| e.at(t))
}

/// A non-empty and square (Empty, NotSquare otherwise).
fn check_square<T: Element>(a: &DMatrix<T>, t: f64) -> Result<()> {
    if a.is_empty() {
        Err(Error::Empty {
            rows: a.nrows(),
            cols: a.ncols(),
            at: At(Some(t)),
        })
    } else if a.nrows() == a.ncols() {
        Ok(())
    } else {
        Err(Error::NotSquare {
            rows: a.nrows(),
            cols: a.ncols(),
            at: At(Some(t)),
        })
    }
}

impl<FA, FB, T> Pencil<FA, FB>
where
    FA: MatrixFamily<Elem = T>,
    FB: MatrixFamily<Elem = T>,
    T: Element + ComplexField<RealField = f64>,
{
    /// Factor B(t) in the mode in use (resolving [`PencilMode::Auto`] on first use).
    fn factor(&self, b: &DMatrix<T>, t: f64) -> Result<Factor<T>> {
        let mode = match self.resolved.get() {
            Some(&m) => m,
            None => {
                // Auto, first evaluation: Hermitian-definite when B allows it
                let chol = is_hermitian(b)
                    .then(|| cholesky_checked(b, "B", t))
                    .flatten();
                let mode = if chol.is_some() {
                    PencilMode::HermitianDefinite
                } else {
                    PencilMode::General
                };
                // a concurrent first evaluation may have won: keep its choice
                let kept = *self.resolved.get_or_init(|| mode);
                if kept == mode {
                    if let Some(f) = chol {
                        return f;
                    }
                }
                kept
            }
        };
        match mode {
            PencilMode::HermitianDefinite => {
                if !is_hermitian(b) {
                    return Err(Error::NotDefinite {
                        what: "B",
                        hint: "not Hermitian; use Pencil::general for a general B",
                        at: At(Some(t)),
                    });
                }
                cholesky_checked(b, "B", t).unwrap_or(Err(Error::NotDefinite {
                    what: "B",
                    hint:
                        "its Cholesky factorisation fails; use Pencil::general for an indefinite B",
                    at: At(Some(t)),
                }))
            }
            _ => lu_checked(b, "B", t).map(Factor::Lu),
        }
    }

    /// The checks shared by value and jet: A square, B of A's size, both finite.
    fn check_ab(&self, a: &DMatrix<T>, b: &DMatrix<T>, t: f64) -> Result<()> {
        check_square(a, t)?;
        check_shape(b, a.shape(), "B(t) against A(t)", t)?;
        finite(a, "A", t)?;
        finite(b, "B", t)
    }

    /// The pencil's eigenvectors x from eigenvectors y of the reduced matrix C(t) (the
    /// columns of `y`, e.g. a [`Branch`](crate::Branch)'s
    /// [`right_vectors`](crate::Branch::right_vectors) at the sample t).
    ///
    /// Hermitian-definite mode: x = L⁻ᴴy, scaled so that xᴴB(t)x = 1 (for a unit y it
    /// already is). General mode: C's eigenvectors are the pencil's, returned scaled to
    /// ‖x‖₂ = 1. The phase of each column is that of y's. Errors as for
    /// [`try_value`](MatrixFamily::try_value) at t, and [`Error::ShapeMismatch`] when `y`
    /// does not have n rows.
    pub fn eigenvectors(&self, t: f64, y: &DMatrix<Complex64>) -> Result<DMatrix<Complex64>> {
        let a = self.a.try_value(t)?;
        let b = self.b.try_value(t)?;
        self.check_ab(&a, &b, t)?;
        let n = a.nrows();
        check_shape(y, (n, y.ncols()), "eigenvectors y against A(t)", t)?;
        // x = L⁻ᴴy with B's Cholesky factor L, or y itself
        let (mut x, hermitian_definite) = match self.factor(&b, t)? {
            Factor::Cholesky(l) => (
                l.map(T::to_c64).ad_solve_lower_triangular_unchecked(y),
                true,
            ),
            Factor::Lu(_) => (y.clone(), false),
        };
        let bc = herm(&b).map(T::to_c64);
        for mut col in x.column_iter_mut() {
            let scale = if hermitian_definite {
                col.dotc(&(&bc * &col)).re.abs().sqrt()
            } else {
                col.norm()
            };
            if scale > 0.0 && scale.is_finite() {
                col /= Complex64::new(scale, 0.0);
            }
        }
        Ok(x)
    }
}

impl<FA, FB, T> MatrixFamily for Pencil<FA, FB>
where
    FA: MatrixFamily<Elem = T>,
    FB: MatrixFamily<Elem = T>,
    T: Element + ComplexField<RealField = f64>,
{
    type Elem = T;

    /// C(t); a matrix of NaN where [`try_value`](MatrixFamily::try_value) errs.
    fn value(&self, t: f64) -> DMatrix<T> {
        self.try_value(t).unwrap_or_else(|_| {
            let n = self.a.value(t).nrows();
            nan_matrix(n, n)
        })
    }

    /// C(t), C′(t), C″(t); matrices of NaN where [`try_jet`](MatrixFamily::try_jet) errs.
    fn jet(&self, t: f64) -> Jet<T> {
        self.try_jet(t).unwrap_or_else(|_| {
            let n = self.a.value(t).nrows();
            Jet {
                a: nan_matrix(n, n),
                da: nan_matrix(n, n),
                dda: nan_matrix(n, n),
            }
        })
    }

    fn exact_derivatives(&self) -> bool {
        self.a.exact_derivatives() && self.b.exact_derivatives()
    }

    fn try_value(&self, t: f64) -> Result<DMatrix<T>> {
        let a = self.a.try_value(t)?;
        let b = self.b.try_value(t)?;
        self.check_ab(&a, &b, t)?;
        match self.factor(&b, t)? {
            Factor::Cholesky(l) => {
                let c = sandwich(&l, &a);
                Ok(if is_hermitian(&a) { herm(&c) } else { c })
            }
            Factor::Lu(lu) => solve(&lu, &a, "B", t),
        }
    }

    fn try_jet(&self, t: f64) -> Result<Jet<T>> {
        let ja = self.a.try_jet(t)?;
        let jb = self.b.try_jet(t)?;
        self.check_ab(&ja.a, &jb.a, t)?;
        let shape = ja.a.shape();
        check_shape(&ja.da, shape, "A'(t) against A(t)", t)?;
        check_shape(&ja.dda, shape, "A''(t) against A(t)", t)?;
        check_shape(&jb.da, shape, "B'(t) against A(t)", t)?;
        check_shape(&jb.dda, shape, "B''(t) against A(t)", t)?;
        finite(&ja.da, "A'", t)?;
        finite(&ja.dda, "A''", t)?;
        finite(&jb.da, "B'", t)?;
        finite(&jb.dda, "B''", t)?;
        match self.factor(&jb.a, t)? {
            Factor::Cholesky(l) => {
                let c = sandwich(&l, &ja.a);
                let a1 = sandwich(&l, &ja.da);
                let a2 = sandwich(&l, &ja.dda);
                let phi = herm(&sandwich(&l, &herm(&jb.da)));
                let psi = herm(&sandwich(&l, &herm(&jb.dda)));
                let g = low(&phi);
                let gh = g.adjoint();
                let dc = &a1 - &g * &c - &c * &gh;
                let dphi = &psi - &g * &phi - &phi * &gh;
                let dg = low(&dphi);
                let dgh = dg.adjoint();
                let ddc = &a2 - &g * &a1 - &a1 * &gh - &dg * &c - &g * &dc - &dc * &gh - &c * &dgh;
                Ok(if is_hermitian(&ja.a) {
                    Jet {
                        a: herm(&c),
                        da: herm(&dc),
                        dda: herm(&ddc),
                    }
                } else {
                    Jet {
                        a: c,
                        da: dc,
                        dda: ddc,
                    }
                })
            }
            Factor::Lu(lu) => solve_jet(&lu, &jb, &ja, "B", t),
        }
    }
}

/// The quadratic eigenproblem (λ²M(t) + λC(t) + K(t))x = 0 as the first-order companion
/// family of size 2n.
///
/// # Convention
///
/// With the state z = [x; λx] (x on top, λx below) the problem is A(t)z = λz with
///
/// ```text
/// A = [    0        I    ]
///     [ −M⁻¹K    −M⁻¹C ]
/// ```
///
/// and its 2n eigenvalues are those of the quadratic problem (M(t) nonsingular). The
/// derivatives are exact when those of M, C and K are: with X = M⁻¹[K C] (n × 2n, the
/// negated lower block row), X′ = M⁻¹([K′ C′] − M′X) and X″ = M⁻¹([K″ C″] − 2M′X′ −
/// M″X) (that is (M⁻¹)′ = −M⁻¹M′M⁻¹ through the product rule), A′ = [0; −X′] and
/// A″ = [0; −X″]. Every product with M⁻¹ is a solve with one LU factorisation of M(t).
///
/// The tracker's eigenvectors are unit vectors z; the first n entries are x (a multiple
/// of it): [`eigenvectors`](Self::eigenvectors) returns them scaled to ‖x‖₂ = 1. For a
/// real problem the eigenvalues come in exact conjugate pairs.
///
/// Rotors: for a Campbell diagram take the speed Ω as the parameter, M the mass matrix,
/// C = Ω·G + D (gyroscopic plus damping), K the stiffness; the whirl frequencies are the
/// imaginary parts of the eigenvalues, the decay rates their negated real parts.
///
/// # Errors
///
/// As for [`Pencil`]: [`Error::Singular`] naming "M" when M(t) is singular (reciprocal
/// condition number below n·ε), [`Error::NonFinite`] naming "M", "M'", "M''", "C", …,
/// "K''", [`Error::Empty`] or [`Error::NotSquare`] for an empty or non-square M and
/// [`Error::ShapeMismatch`] for a C, K or derivative of another size, all with t.
///
/// # Example
///
/// The isotropic Jeffcott rotor: M = I, C = Ω[[0, 1], [−1, 0]], K = k·I has the
/// eigenvalues ±i(√(k + Ω²/4) ± Ω/2): forward and backward whirl.
///
/// ```
/// use eigentrack::{Polynomial, Quadratic, Tracker, nalgebra::DMatrix};
///
/// let k = 4.0;
/// let m = Polynomial::new(vec![DMatrix::<f64>::identity(2, 2)])?;
/// let c = Polynomial::new(vec![
///     DMatrix::<f64>::zeros(2, 2),
///     DMatrix::from_row_slice(2, 2, &[0.0, 1.0, -1.0, 0.0]),
/// ])?;
/// let kk = Polynomial::new(vec![DMatrix::identity(2, 2) * k])?;
/// let rotor = Quadratic::new(m, c, kk);
///
/// let tr = Tracker::new()
///     .samples(21)?
///     .keep_vectors(true)
///     .track_family(&rotor, 0.5..=3.0)?;
/// let om = 3.0;
/// let s = (k + om * om / 4.0).sqrt();
/// let top = tr.branches().iter().max_by(|a, b| a.values()[0].im.total_cmp(&b.values()[0].im)).unwrap();
/// assert!((top.values()[20].im - (s + om / 2.0)).abs() < 1e-10); // forward whirl
/// assert!((top.slopes()[20].im - (om / (4.0 * s) + 0.5)).abs() < 1e-9);
///
/// // the displacement part of a state vector
/// let z = DMatrix::from_columns(&[top.right_vectors().unwrap()[20].clone()]);
/// let x = rotor.eigenvectors(&z);
/// assert_eq!(x.shape(), (2, 1));
/// # Ok::<(), eigentrack::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Quadratic<FM, FC, FK> {
    m: FM,
    c: FC,
    k: FK,
}

impl<FM, FC, FK> Quadratic<FM, FC, FK> {
    /// The quadratic family (λ²M(t) + λC(t) + K(t))x = 0.
    pub fn new(m: FM, c: FC, k: FK) -> Self {
        Quadratic { m, c, k }
    }
    /// The family M(t).
    pub fn m(&self) -> &FM {
        &self.m
    }
    /// The family C(t).
    pub fn c(&self) -> &FC {
        &self.c
    }
    /// The family K(t).
    pub fn k(&self) -> &FK {
        &self.k
    }
    /// The x part of state vectors z = [x; λx] (the columns of `z`, 2n rows): the first n
    /// entries of each column, scaled to ‖x‖₂ = 1 (x ≠ 0 for every eigenvector z, since
    /// its lower half is λx). The phase of each column is kept. An odd number of rows
    /// gives the first ⌊rows/2⌋ entries.
    pub fn eigenvectors(&self, z: &DMatrix<Complex64>) -> DMatrix<Complex64> {
        let n = z.nrows() / 2;
        let mut x = z.rows(0, n).into_owned();
        for mut col in x.column_iter_mut() {
            let s = col.norm();
            if s > 0.0 && s.is_finite() {
                col /= Complex64::new(s, 0.0);
            }
        }
        x
    }
}

impl<FM, FC, FK, T> Quadratic<FM, FC, FK>
where
    FM: MatrixFamily<Elem = T>,
    FC: MatrixFamily<Elem = T>,
    FK: MatrixFamily<Elem = T>,
    T: Element + ComplexField<RealField = f64>,
{
    /// Checks of M, C, K at t; n.
    fn check_mck(&self, m: &DMatrix<T>, c: &DMatrix<T>, k: &DMatrix<T>, t: f64) -> Result<usize> {
        check_square(m, t)?;
        check_shape(c, m.shape(), "C(t) against M(t)", t)?;
        check_shape(k, m.shape(), "K(t) against M(t)", t)?;
        finite(m, "M", t)?;
        finite(c, "C", t)?;
        finite(k, "K", t)?;
        Ok(m.nrows())
    }

    /// [ 0  I ; −X ] (or [0; −X] without the identity) for X n × 2n.
    fn companion(x: &DMatrix<T>, identity: bool) -> DMatrix<T> {
        let n = x.nrows();
        let mut a = DMatrix::from_element(2 * n, 2 * n, T::zero());
        if identity {
            for i in 0..n {
                a[(i, n + i)] = T::one();
            }
        }
        a.rows_mut(n, n).copy_from(&(-x));
        a
    }
}

/// [K C] (n × 2n).
fn side_by_side<T: ComplexField<RealField = f64>>(k: &DMatrix<T>, c: &DMatrix<T>) -> DMatrix<T> {
    let n = k.nrows();
    let mut x = DMatrix::from_element(n, k.ncols() + c.ncols(), T::zero());
    x.columns_mut(0, k.ncols()).copy_from(k);
    x.columns_mut(k.ncols(), c.ncols()).copy_from(c);
    x
}

impl<FM, FC, FK, T> MatrixFamily for Quadratic<FM, FC, FK>
where
    FM: MatrixFamily<Elem = T>,
    FC: MatrixFamily<Elem = T>,
    FK: MatrixFamily<Elem = T>,
    T: Element + ComplexField<RealField = f64>,
{
    type Elem = T;

    /// The companion matrix; a 2n × 2n matrix of NaN where
    /// [`try_value`](MatrixFamily::try_value) errs.
    fn value(&self, t: f64) -> DMatrix<T> {
        self.try_value(t).unwrap_or_else(|_| {
            let n = 2 * self.m.value(t).nrows();
            nan_matrix(n, n)
        })
    }

    /// The companion matrix and its derivatives; matrices of NaN where
    /// [`try_jet`](MatrixFamily::try_jet) errs.
    fn jet(&self, t: f64) -> Jet<T> {
        self.try_jet(t).unwrap_or_else(|_| {
            let n = 2 * self.m.value(t).nrows();
            Jet {
                a: nan_matrix(n, n),
                da: nan_matrix(n, n),
                dda: nan_matrix(n, n),
            }
        })
    }

    fn exact_derivatives(&self) -> bool {
        self.m.exact_derivatives() && self.c.exact_derivatives() && self.k.exact_derivatives()
    }

    fn try_value(&self, t: f64) -> Result<DMatrix<T>> {
        let m = self.m.try_value(t)?;
        let c = self.c.try_value(t)?;
        let k = self.k.try_value(t)?;
        self.check_mck(&m, &c, &k, t)?;
        let lu = lu_checked(&m, "M", t)?;
        let x = solve(&lu, &side_by_side(&k, &c), "M", t)?;
        Ok(Self::companion(&x, true))
    }

    fn try_jet(&self, t: f64) -> Result<Jet<T>> {
        let jm = self.m.try_jet(t)?;
        let jc = self.c.try_jet(t)?;
        let jk = self.k.try_jet(t)?;
        self.check_mck(&jm.a, &jc.a, &jk.a, t)?;
        let shape = jm.a.shape();
        let derivs = [
            (&jm.da, "M'(t) against M(t)", "M'"),
            (&jm.dda, "M''(t) against M(t)", "M''"),
            (&jc.da, "C'(t) against M(t)", "C'"),
            (&jc.dda, "C''(t) against M(t)", "C''"),
            (&jk.da, "K'(t) against M(t)", "K'"),
            (&jk.dda, "K''(t) against M(t)", "K''"),
        ];
        for (d, what, name) in derivs {
            check_shape(d, shape, what, t)?;
            finite(d, name, t)?;
        }
        let lu = lu_checked(&jm.a, "M", t)?;
        let rhs = Jet {
            a: side_by_side(&jk.a, &jc.a),
            da: side_by_side(&jk.da, &jc.da),
            dda: side_by_side(&jk.dda, &jc.dda),
        };
        let x = solve_jet(&lu, &jm, &rhs, "M", t)?;
        Ok(Jet {
            a: Self::companion(&x.a, true),
            da: Self::companion(&x.da, false),
            dda: Self::companion(&x.dda, false),
        })
    }
}
