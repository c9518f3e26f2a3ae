//! Derivatives of the eigen-decomposition: forward mode (JVP) and reverse mode (VJP).
//!
//! For a square matrix A with eigenvalues λᵢ, unit-norm right eigenvectors xᵢ and left
//! eigenvectors yᵢ scaled so that Yᴴ X = I (the conventions of [`eig`]),
//! this module differentiates the map A ↦ (λ, X). Entry `i` of every eigenvalue vector
//! (dλ, λ̄) and column `i` of every eigenvector matrix (dX, X̄) belong to eigenvalue `i`
//! in the order [`eig`] returns for the same `A`.
//!
//! # Forward mode (JVP)
//!
//! With P = Yᴴ dA X and F_ij = 1/(λ_j − λ_i) off the diagonal (0 on it),
//!
//! * dλᵢ = Pᵢᵢ,
//! * dX = X (F ∘ P) + X diag(c), where cⱼ = −xⱼᴴ (X (F ∘ P))ⱼ.
//!
//! The gauge term c fixes xⱼᴴ dxⱼ = 0 exactly: the real part keeps ‖xⱼ‖ = 1 and the
//! imaginary part is *parallel transport* (no phase drift): dX is the derivative of the
//! eigenvectors whose phase is chosen so that xⱼ(0)ᴴ xⱼ(h) is real and positive.
//!
//! # Reverse mode (VJP)
//!
//! For a real loss L(λ, X), cotangents follow PyTorch's convention z̄ = ∂L/∂Re z +
//! i ∂L/∂Im z (so that dL = Re⟨z̄, dz⟩ with ⟨a, b⟩ = Σ conj(aₖ) bₖ), and Ā likewise
//! entrywise. With G = Xᴴ X̄, K = Xᴴ X and E_ij = λ_j − λ_i, the formula of PyTorch's
//! `linalg_eig_backward` is
//!
//! Ā = X⁻ᴴ ( diag(λ̄) + [G − K · diag(Re diag G)] ⊘ conj(E) ) Xᴴ,
//!
//! the division taken off the diagonal only (X⁻ᴴ = Y). It is the exact adjoint of the
//! JVP: Re⟨Ā, dA⟩ = Re⟨λ̄, dλ⟩ + Re⟨X̄, dX⟩ for every dA. For real A the gradient with
//! respect to the real entries is Re Ā ([`eig_vjp_real`]).
//!
//! # When the derivative does not exist
//!
//! * **Phase-dependent loss.** Eigenvectors are defined up to a phase, xⱼ → e^{iφ} xⱼ.
//!   A loss that changes with φ has Im Gⱼⱼ ≠ 0 and no well-defined gradient; the VJP
//!   returns [`Error::IllDefined`] when |Im Gⱼⱼ| > [`COTANGENT_TOL`]·‖X̄‖_F.
//! * **Repeated eigenvalues.** Eigenvalues equal within [`REPEATED_TOL`]·‖A‖_F form a
//!   cluster ([`EigenPairs::clusters`]). Inside a cluster the eigenvectors are any basis
//!   of the eigenspace, and a perturbation picks a different one, so:
//!   - the VJP is exact when the cotangent is invariant under a change of basis inside
//!     the cluster: the λ̄ of the cluster are equal (within [`COTANGENT_TOL`]·max|λ̄|) and
//!     the in-cluster off-diagonal entries of G − K·diag(Re diag G) vanish (within
//!     [`COTANGENT_TOL`]·‖X̄‖_F). Eigenvalue-only losses symmetric in the cluster
//!     (Σ over the cluster, Σ|λᵢ|²) and functions of the cluster's invariant subspace
//!     (e.g. of its spectral projector) qualify. The in-cluster terms are then 0 and the
//!     cluster's λ̄ is replaced by its mean, which makes Ā independent of the basis.
//!     Otherwise the result is [`Error::IllDefined`] naming the cluster's indices.
//!   - the JVP of the eigenvectors does not exist (they jump): [`eig_jvp`] returns
//!     [`Error::IllDefined`]; [`eig_jvp_values`] gives the eigenvalue derivatives, which
//!     are the eigenvalues of the cluster matrix M = Y_cᴴ dA X_c.
//! * **Defective eigenvalues** (a Jordan block, an exceptional point): derivatives are
//!   unbounded. An eigenvalue with condition number κᵢ ≥ [`DEFECTIVE_CONDITION`] that
//!   takes part in the computation gives [`Error::IllDefined`].
//!
//! No function here returns Inf or NaN: a result that would not be finite is an error.
//!
//! ```
//! use eigentrack::{eig_jvp_real, eig_vjp_real};
//! use nalgebra::DMatrix;
//! use num_complex::Complex64;
//!
//! let a = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 0.0, 3.0]);
//! let da = DMatrix::from_row_slice(2, 2, &[0.0, 0.0, 1.0, 0.0]);
//! let (dl, _dx) = eig_jvp_real(&a, &da)?;
//! // A + ε·dA has λ = 2 ∓ √(1 + 2ε), so dλ = ∓1 at ε = 0
//! assert!((dl[0].re + 1.0).abs() < 1e-14 && (dl[1].re - 1.0).abs() < 1e-14);
//! // the gradient of L = λ₁ (the larger eigenvalue) agrees with the JVP
//! let lbar = [Complex64::new(0.0, 0.0), Complex64::new(1.0, 0.0)];
//! let g = eig_vjp_real(&a, &lbar, None)?;
//! assert!((g.dot(&da) - dl[1].re).abs() < 1e-14);
//! # Ok::<(), eigentrack::Error>(())
//! ```

use crate::eigen::{check_finite, check_matrix, eig, Cluster, EigenPairs, Element};
use crate::error::{Error, Result};
use crate::linalg::{mul, mul_adj};
use nalgebra::DMatrix;
use num_complex::Complex64;

/// Eigenvalues equal within `REPEATED_TOL`·‖A‖_F are treated as repeated (one cluster).
pub const REPEATED_TOL: f64 = 1e-10;

/// Relative tolerance of the cotangent checks: the phase invariance
/// |Im xⱼᴴ x̄ⱼ| ≤ `COTANGENT_TOL`·‖X̄‖_F, and the invariance inside a cluster of repeated
/// eigenvalues (see the [module documentation](self)).
pub const COTANGENT_TOL: f64 = 1e-8;

/// Eigenvalues with condition number κ ≥ `DEFECTIVE_CONDITION` (10⁶, the tracker's
/// threshold for exceptional points) are treated as defective: their derivatives are
/// unbounded, and a computed value would have few correct digits (a Jordan block
/// perturbed by rounding has κ ≈ 1/√ε ≈ 7·10⁷).
pub const DEFECTIVE_CONDITION: f64 = crate::perturb::DEFECTIVE_CONDITION;

/// JVP of the eigen-decomposition of a complex matrix: (dλ, dX) for the direction dA.
///
/// dλᵢ = yᵢᴴ dA xᵢ and dX = X (F ∘ P) + X diag(c) in the parallel-transport gauge
/// xⱼᴴ dxⱼ = 0 (see the [module documentation](self)); entry / column `i` belong to
/// eigenvalue `i` of [`eig`]`(a)`.
///
/// # Errors
/// [`Error::Empty`], [`Error::NotSquare`], [`Error::NonFinite`] (`what` = "A" or "dA"),
/// [`Error::DimensionMismatch`] when dA and A differ in size, [`Error::NoConvergence`],
/// and [`Error::IllDefined`] at a repeated eigenvalue (the eigenvectors are not
/// differentiable there: use [`eig_jvp_values`]) or a defective one.
///
/// ```
/// use eigentrack::eig_jvp;
/// use nalgebra::DMatrix;
/// use num_complex::Complex64;
///
/// let c = |re: f64, im: f64| Complex64::new(re, im);
/// let a = DMatrix::from_row_slice(2, 2, &[c(1.0, 0.0), c(0.0, 1.0), c(0.0, 0.0), c(2.0, 0.0)]);
/// let da = DMatrix::from_row_slice(2, 2, &[c(0.5, 0.0), c(0.0, 0.0), c(0.0, 0.0), c(0.0, 2.0)]);
/// let (dl, dx) = eig_jvp(&a, &da)?;
/// // triangular A, diagonal dA: dλ is the diagonal of dA
/// assert!((dl[0] - c(0.5, 0.0)).norm() < 1e-14 && (dl[1] - c(0.0, 2.0)).norm() < 1e-14);
/// // the gauge: xᵢᴴ dxᵢ = 0
/// let x = eigentrack::eig(&a)?.right().clone();
/// assert!(x.column(1).dotc(&dx.column(1)).norm() < 1e-14);
/// # Ok::<(), eigentrack::Error>(())
/// ```
pub fn eig_jvp(
    a: &DMatrix<Complex64>,
    da: &DMatrix<Complex64>,
) -> Result<(Vec<Complex64>, DMatrix<Complex64>)> {
    jvp(a, da)
}

/// [`eig_jvp`] for a real matrix and a real direction (the results are complex: real
/// matrices have complex eigenvalues).
///
/// ```
/// use eigentrack::eig_jvp_real;
/// use nalgebra::DMatrix;
///
/// // a rotation generator: λ = ±i·s, dλ/ds = ±i
/// let a = DMatrix::from_row_slice(2, 2, &[0.0, -1.0, 1.0, 0.0]);
/// let (dl, _) = eig_jvp_real(&a, &a)?;
/// assert!((dl[0].im + 1.0).abs() < 1e-14 && (dl[1].im - 1.0).abs() < 1e-14);
/// # Ok::<(), eigentrack::Error>(())
/// ```
pub fn eig_jvp_real(
    a: &DMatrix<f64>,
    da: &DMatrix<f64>,
) -> Result<(Vec<Complex64>, DMatrix<Complex64>)> {
    jvp(a, da)
}

/// Eigenvalue-only JVP, also at repeated eigenvalues: dλ for the direction dA.
///
/// For a simple eigenvalue dλᵢ = yᵢᴴ dA xᵢ. For a cluster of repeated (semisimple)
/// eigenvalues with bases X_c, Y_c (Y_cᴴ X_c = I) the derivatives are the eigenvalues of
/// M = Y_cᴴ dA X_c, placed on the cluster's indices in ascending (Re, Im) order — the
/// order in which [`eig`]`(a + h·da)` lists them for small h > 0. These are
/// one-sided directional derivatives (the eigenvalues of A + h dA are λ + h μₖ + O(h²)).
///
/// # Errors
/// As [`eig_jvp`], except that repeated eigenvalues are allowed; defective eigenvalues
/// give [`Error::IllDefined`].
///
/// ```
/// use eigentrack::eig_jvp_values;
/// use nalgebra::DMatrix;
/// use num_complex::Complex64;
///
/// // A = I (a triple eigenvalue); the eigenvalues of I + h·dA are 1 + h·eig(dA)
/// let c = |re: f64| Complex64::new(re, 0.0);
/// let a = DMatrix::<Complex64>::identity(3, 3);
/// let da = DMatrix::from_row_slice(3, 3, &[c(2.0), c(1.0), c(0.0), c(1.0), c(2.0), c(0.0), c(0.0), c(0.0), c(5.0)]);
/// let dl = eig_jvp_values(&a, &da)?;
/// let expect = [1.0, 3.0, 5.0];
/// for k in 0..3 {
///     assert!((dl[k] - c(expect[k])).norm() < 1e-14);
/// }
/// # Ok::<(), eigentrack::Error>(())
/// ```
pub fn eig_jvp_values(a: &DMatrix<Complex64>, da: &DMatrix<Complex64>) -> Result<Vec<Complex64>> {
    jvp_values(a, da)
}

/// [`eig_jvp_values`] for a real matrix and a real direction.
///
/// ```
/// use eigentrack::eig_jvp_values_real;
/// use nalgebra::DMatrix;
///
/// let a = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 1.0]);
/// let da = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 1.0, 0.0]);
/// let dl = eig_jvp_values_real(&a, &da)?;
/// assert!((dl[0].re + 1.0).abs() < 1e-14 && (dl[1].re - 1.0).abs() < 1e-14);
/// # Ok::<(), eigentrack::Error>(())
/// ```
pub fn eig_jvp_values_real(a: &DMatrix<f64>, da: &DMatrix<f64>) -> Result<Vec<Complex64>> {
    jvp_values(a, da)
}

/// VJP (gradient) of the eigen-decomposition of a complex matrix: Ā from the cotangents
/// λ̄ (`lambda_bar`, one per eigenvalue) and X̄ (`x_bar`, one column per eigenvector;
/// `None` for a loss of the eigenvalues only).
///
/// Ā = X⁻ᴴ ( diag(λ̄) + [G − K·diag(Re diag G)] ⊘ conj(E) ) Xᴴ with G = Xᴴ X̄, K = Xᴴ X,
/// E_ij = λ_j − λ_i (PyTorch's `linalg_eig_backward`); cotangents are
/// z̄ = ∂L/∂Re z + i ∂L/∂Im z. See the [module documentation](self) for repeated and
/// defective eigenvalues.
///
/// X̄ must be computed from the eigenvectors [`eig`]`(a)` returns for this
/// very matrix and element type (their phases are the solver's): a real matrix passed as
/// complex goes through the complex solver, whose phases differ from those of
/// [`eig_vjp_real`]'s real solver.
///
/// # Errors
/// [`Error::Empty`], [`Error::NotSquare`], [`Error::NonFinite`] (`what` = "A", "λ̄" or
/// "X̄"), [`Error::DimensionMismatch`] when λ̄ or X̄ do not match A,
/// [`Error::NoConvergence`], and [`Error::IllDefined`] when the loss depends on the
/// eigenvector phase, when the cotangent is not invariant inside a cluster of repeated
/// eigenvalues (the message names the cluster's indices), or at a defective eigenvalue.
///
/// ```
/// use eigentrack::eig_vjp;
/// use nalgebra::DMatrix;
/// use num_complex::Complex64;
///
/// let c = |re: f64, im: f64| Complex64::new(re, im);
/// let a = DMatrix::from_row_slice(2, 2, &[c(1.0, 1.0), c(2.0, 0.0), c(0.5, 0.0), c(-1.0, 0.0)]);
/// // L = Σ Re λᵢ = Re tr A: the gradient is the identity
/// let g = eig_vjp(&a, &[c(1.0, 0.0), c(1.0, 0.0)], None)?;
/// assert!((g - DMatrix::<Complex64>::identity(2, 2)).norm() < 1e-14);
/// # Ok::<(), eigentrack::Error>(())
/// ```
pub fn eig_vjp(
    a: &DMatrix<Complex64>,
    lambda_bar: &[Complex64],
    x_bar: Option<&DMatrix<Complex64>>,
) -> Result<DMatrix<Complex64>> {
    vjp(a, lambda_bar, x_bar)
}

/// [`eig_vjp`] for a real matrix: the gradient with respect to the real entries of A,
/// Re Ā.
///
/// ```
/// use eigentrack::eig_vjp_real;
/// use nalgebra::DMatrix;
/// use num_complex::Complex64;
///
/// // symmetric A: ∂λ₀/∂A = x₀ x₀ᵀ
/// let a = DMatrix::from_row_slice(2, 2, &[2.0, 1.0, 1.0, 2.0]);
/// let g = eig_vjp_real(&a, &[Complex64::new(1.0, 0.0), Complex64::new(0.0, 0.0)], None)?;
/// let expect = DMatrix::from_row_slice(2, 2, &[0.5, -0.5, -0.5, 0.5]);
/// assert!((g - expect).norm() < 1e-14);
/// # Ok::<(), eigentrack::Error>(())
/// ```
pub fn eig_vjp_real(
    a: &DMatrix<f64>,
    lambda_bar: &[Complex64],
    x_bar: Option<&DMatrix<Complex64>>,
) -> Result<DMatrix<f64>> {
    Ok(vjp(a, lambda_bar, x_bar)?.map(|z| z.re))
}

// ---------------------------------------------------------------------------------------

fn jvp<T: Element>(
    a: &DMatrix<T>,
    da: &DMatrix<T>,
) -> Result<(Vec<Complex64>, DMatrix<Complex64>)> {
    let e = decompose_with_direction(a, da)?;
    check_defective(&e, None)?;
    if let Some(c) = e
        .clusters(REPEATED_TOL)
        .into_iter()
        .find(|c| c.indices.len() > 1)
    {
        return Err(Error::IllDefined {
            reason: format!(
                "the eigenvector derivative does not exist at the repeated eigenvalue {} \
                 (indices {:?}): the eigenvectors are not continuous there; \
                 eig_jvp_values gives the eigenvalue derivatives",
                c.value, c.indices
            ),
        });
    }
    let n = e.len();
    let lam = e.values();
    let x = e.right();
    let dac = da.map(|v| v.to_c64());
    let p = mul_adj(e.left(), &mul(&dac, x));
    let dl: Vec<Complex64> = (0..n).map(|i| p[(i, i)]).collect();
    let scale = e.norm();
    let fp = DMatrix::from_fn(n, n, |i, j| {
        if i == j {
            Complex64::new(0.0, 0.0)
        } else {
            div_scaled(p[(i, j)], lam[j] - lam[i], scale)
        }
    });
    let mut dx = mul(x, &fp);
    for j in 0..n {
        let c = -x.column(j).dotc(&dx.column(j));
        let xj = x.column(j).clone_owned();
        dx.column_mut(j).axpy(c, &xj, Complex64::new(1.0, 0.0));
    }
    finite_or_error(&dx, "dX")?;
    Ok((dl, dx))
}

fn jvp_values<T: Element>(a: &DMatrix<T>, da: &DMatrix<T>) -> Result<Vec<Complex64>> {
    let e = decompose_with_direction(a, da)?;
    check_defective(&e, None)?;
    let dac = da.map(|v| v.to_c64());
    let mut dl = vec![Complex64::new(0.0, 0.0); e.len()];
    for c in e.clusters(REPEATED_TOL) {
        let m = mul_adj(&c.left, &mul(&dac, &c.right));
        if c.indices.len() == 1 {
            dl[c.indices[0]] = m[(0, 0)];
        } else {
            let mu = eig(&m)?;
            for (k, &i) in c.indices.iter().enumerate() {
                dl[i] = mu.values()[k];
            }
        }
    }
    Ok(dl)
}

/// Check A and dA, decompose A.
fn decompose_with_direction<T: Element>(a: &DMatrix<T>, da: &DMatrix<T>) -> Result<EigenPairs> {
    check_matrix(a, "A")?;
    if da.shape() != a.shape() {
        return Err(Error::DimensionMismatch {
            what: "dA against A",
            expected_rows: a.nrows(),
            expected_cols: a.ncols(),
            found_rows: da.nrows(),
            found_cols: da.ncols(),
        });
    }
    check_finite(da, "dA")?;
    eig(a)
}

fn vjp<T: Element>(
    a: &DMatrix<T>,
    lambda_bar: &[Complex64],
    x_bar: Option<&DMatrix<Complex64>>,
) -> Result<DMatrix<Complex64>> {
    check_matrix(a, "A")?;
    let n = a.nrows();
    if lambda_bar.len() != n {
        return Err(Error::DimensionMismatch {
            what: "λ̄ against the eigenvalues of A",
            expected_rows: n,
            expected_cols: 1,
            found_rows: lambda_bar.len(),
            found_cols: 1,
        });
    }
    for (i, z) in lambda_bar.iter().enumerate() {
        if let Some(value) = z.non_finite() {
            return Err(Error::NonFinite {
                what: "λ̄",
                row: i,
                col: 0,
                value,
                at: crate::At(None),
            });
        }
    }
    if let Some(xb) = x_bar {
        if xb.shape() != a.shape() {
            return Err(Error::DimensionMismatch {
                what: "X̄ against A",
                expected_rows: n,
                expected_cols: n,
                found_rows: xb.nrows(),
                found_cols: xb.ncols(),
            });
        }
        check_finite(xb, "X̄")?;
    }
    let e = eig(a)?;
    check_defective(&e, x_bar.is_none().then_some(lambda_bar))?;
    let clusters = e.clusters(REPEATED_TOL);
    let lam = e.values();
    let x = e.right();

    // S = diag(λ̄) + H ⊘ conj(E), H = G − K·diag(Re diag G)
    let mut s = DMatrix::<Complex64>::zeros(n, n);
    if let Some(xb) = x_bar {
        let g = mul_adj(x, xb);
        let k = mul_adj(x, x);
        let xb_norm = frobenius(xb);
        let tol = COTANGENT_TOL * xb_norm;
        for j in 0..n {
            let im = g[(j, j)].im;
            if im.abs() > tol {
                return Err(Error::IllDefined {
                    reason: format!(
                        "the loss depends on the phase of eigenvector {j} \
                         (Im x_{j}ᴴ x̄_{j} = {im:e}, tolerance {tol:e}): eigenvectors are \
                         defined up to a phase e^(iφ), so its gradient is ill-defined; \
                         use a loss that is invariant under x_{j} → e^(iφ) x_{j}"
                    ),
                });
            }
        }
        let mut cluster_of = vec![0usize; n];
        for (ci, c) in clusters.iter().enumerate() {
            for &i in &c.indices {
                cluster_of[i] = ci;
            }
        }
        let scale = e.norm();
        for j in 0..n {
            let re_gjj = g[(j, j)].re;
            for i in 0..n {
                if i == j {
                    continue;
                }
                let h = g[(i, j)] - k[(i, j)] * re_gjj;
                if cluster_of[i] == cluster_of[j] {
                    if h.norm() > tol {
                        return Err(not_invariant(
                            &clusters[cluster_of[i]],
                            format!(
                                "X̄ mixes eigenvectors {i} and {j} of the cluster \
                                 (|H_{i}{j}| = {:e}, tolerance {tol:e})",
                                h.norm()
                            ),
                        ));
                    }
                } else {
                    s[(i, j)] = div_scaled(h, (lam[j] - lam[i]).conj(), scale);
                }
            }
        }
    }
    let lmax = lambda_bar.iter().fold(0.0f64, |m, z| m.max(z.norm()));
    let ltol = COTANGENT_TOL * lmax;
    for c in &clusters {
        let mean =
            c.indices.iter().map(|&i| lambda_bar[i]).sum::<Complex64>() / c.indices.len() as f64;
        for &i in &c.indices {
            if (lambda_bar[i] - mean).norm() > ltol {
                return Err(not_invariant(
                    c,
                    format!(
                        "λ̄ is not constant on the cluster (λ̄_{i} = {}, cluster mean {mean})",
                        lambda_bar[i]
                    ),
                ));
            }
            s[(i, i)] = mean;
        }
    }
    let abar = if x_bar.is_none() {
        // Y diag(λ̄) Xᴴ: scale the columns of Y
        let mut ys = e.left().clone();
        for (j, mut col) in ys.column_iter_mut().enumerate() {
            col *= s[(j, j)];
        }
        mul(&ys, &x.adjoint())
    } else {
        mul(&mul(e.left(), &s), &x.adjoint())
    };
    finite_or_error(&abar, "Ā")?;
    Ok(abar)
}

/// ‖M‖_F without overflow or underflow of the squares.
fn frobenius(m: &DMatrix<Complex64>) -> f64 {
    let amax = m
        .iter()
        .fold(0.0f64, |acc, z| acc.max(z.re.abs()).max(z.im.abs()));
    if amax == 0.0 {
        return 0.0;
    }
    amax * m.iter().map(|z| (z / amax).norm_sqr()).sum::<f64>().sqrt()
}

fn not_invariant(c: &Cluster, why: String) -> Error {
    Error::IllDefined {
        reason: format!(
            "the gradient is ill-defined at the repeated eigenvalue {} (cluster of indices \
             {:?}): the cotangent is not invariant under a change of eigenvector basis \
             inside the cluster: {why}",
            c.value, c.indices
        ),
    }
}

/// Defective eigenvalues that take part: all of them when `lambda_bar` is `None` (JVP,
/// or a VJP with X̄), otherwise those with a non-zero λ̄.
fn check_defective(e: &EigenPairs, lambda_bar: Option<&[Complex64]>) -> Result<()> {
    for (i, &kappa) in e.condition().iter().enumerate() {
        let involved = match lambda_bar {
            None => true,
            Some(lb) => lb[i] != Complex64::new(0.0, 0.0),
        };
        if involved && (kappa.is_nan() || kappa >= DEFECTIVE_CONDITION) {
            return Err(Error::IllDefined {
                reason: format!(
                    "eigenvalue {i} ({}) is defective (condition number κ = {kappa:e} ≥ \
                     {DEFECTIVE_CONDITION:e}): its derivatives are unbounded",
                    e.values()[i]
                ),
            });
        }
    }
    Ok(())
}

fn finite_or_error(m: &DMatrix<Complex64>, what: &str) -> Result<()> {
    if m.iter().any(|z| !z.re.is_finite() || !z.im.is_finite()) {
        return Err(Error::IllDefined {
            reason: format!(
                "{what} overflows: the derivative is too large to represent \
                 (eigenvalues too close relative to the cotangent or direction)"
            ),
        });
    }
    Ok(())
}

/// a / b, computed as (a/s) / (b/s) with s = ‖A‖_F so that |b/s| is not tiny
/// (num-complex division squares the divisor).
fn div_scaled(a: Complex64, b: Complex64, s: f64) -> Complex64 {
    let s = if s > 0.0 && s.is_finite() { s } else { 1.0 };
    let bs = b / s;
    (a / s) * (bs.conj() / bs.norm_sqr())
}
