//! Matrix families A(t) and their derivatives.
//!
//! A [`MatrixFamily`] gives A(t) for real t and, when it can, the exact derivatives
//! A′(t) and A″(t). Every closure `Fn(f64) -> DMatrix<T>` (T = `f64` or [`Complex64`]) is a
//! family; its derivatives are then taken by central finite differences
//! ([`finite_difference_jet`]), whose accuracy is stated there. Exact derivatives come
//! from [`WithDerivative`], [`WithDerivatives`], [`Polynomial`] and the dual-number
//! families.

use crate::eigen::Element;
use nalgebra::DMatrix;
#[allow(unused_imports)]
use num_complex::Complex64;

/// A(t) with its first and second derivatives at one t.
#[derive(Debug, Clone, PartialEq)]
pub struct Jet<T: Element> {
    /// A(t).
    pub a: DMatrix<T>,
    /// A′(t).
    pub da: DMatrix<T>,
    /// A″(t).
    pub dda: DMatrix<T>,
}

/// A matrix-valued function of one real parameter.
///
/// Implement [`value`](Self::value); implement [`jet`](Self::jet) too when the
/// derivatives are known exactly (it defaults to [`finite_difference_jet`]).
///
/// ```
/// use eigentrack::{MatrixFamily, Jet};
/// use nalgebra::DMatrix;
///
/// /// A(t) = [[t, 1], [1, −t]], with exact derivatives
/// struct Lz;
/// impl MatrixFamily for Lz {
///     type Elem = f64;
///     fn value(&self, t: f64) -> DMatrix<f64> {
///         DMatrix::from_row_slice(2, 2, &[t, 1.0, 1.0, -t])
///     }
///     fn jet(&self, t: f64) -> Jet<f64> {
///         Jet {
///             a: self.value(t),
///             da: DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, -1.0]),
///             dda: DMatrix::zeros(2, 2),
///         }
///     }
///     fn exact_derivatives(&self) -> bool { true }
/// }
/// let j = Lz.jet(0.5);
/// assert_eq!(j.da[(1, 1)], -1.0);
/// ```
pub trait MatrixFamily {
    /// Entry type: `f64` or [`Complex64`].
    type Elem: Element;
    /// A(t).
    fn value(&self, t: f64) -> DMatrix<Self::Elem>;
    /// A(t), A′(t), A″(t). The default uses [`finite_difference_jet`].
    fn jet(&self, t: f64) -> Jet<Self::Elem> {
        finite_difference_jet(|s| self.value(s), t)
    }
    /// Whether [`jet`](Self::jet) is exact (false for finite differences).
    fn exact_derivatives(&self) -> bool {
        false
    }
    /// A(t), or the error that leaves A(t) undefined at t. The tracker reads the family
    /// through this and [`try_jet`](Self::try_jet) only, so an error here ends a track
    /// with that error.
    ///
    /// The default is `Ok(self.value(t))`. Override it (and `try_jet`) in families whose
    /// A(t) is derived from something that can fail, such as the solve with B(t) of a
    /// [`Pencil`](crate::Pencil): [`value`](Self::value) cannot report that, this can.
    fn try_value(&self, t: f64) -> crate::Result<DMatrix<Self::Elem>> {
        Ok(self.value(t))
    }
    /// A(t), A′(t), A″(t), or the error that leaves them undefined at t; see
    /// [`try_value`](Self::try_value). The default is `Ok(self.jet(t))`.
    fn try_jet(&self, t: f64) -> crate::Result<Jet<Self::Elem>> {
        Ok(self.jet(t))
    }
}

impl<T: Element, F: Fn(f64) -> DMatrix<T>> MatrixFamily for F {
    type Elem = T;
    fn value(&self, t: f64) -> DMatrix<T> {
        self(t)
    }
}

/// The points t − h₂, t − h₁, t + h₁, t + h₂ at which [`finite_difference_jet`] evaluates
/// A besides t.
pub(crate) fn stencil(t: f64) -> [f64; 4] {
    let scale = t.abs().max(1.0);
    let h1 = f64::EPSILON.cbrt() * scale;
    let h2 = f64::EPSILON.powf(0.25) * scale;
    [t - h2, t - h1, t + h1, t + h2]
}

/// A(t), A′(t) and A″(t) by central finite differences.
///
/// A′ uses the step h₁ = ε^{1/3}·max(1, |t|) ≈ 6·10⁻⁶·max(1, |t|) and has a relative error
/// of about ε^{2/3}·‖A‴‖/‖A′‖ ≈ 4·10⁻¹¹ for smooth A; A″ uses h₂ = ε^{1/4}·max(1, |t|) ≈
/// 1.2·10⁻⁴·max(1, |t|) with a relative error of about ε^{1/2} ≈ 1.5·10⁻⁸. It evaluates A at
/// t and t ± h₁, t ± h₂ (five evaluations), so A must be defined slightly beyond the
/// tracked range.
///
/// ```
/// use eigentrack::finite_difference_jet;
/// use nalgebra::DMatrix;
///
/// let j = finite_difference_jet(|t| DMatrix::from_element(1, 1, t.sin()), 0.3);
/// assert!((j.da[(0, 0)] - 0.3f64.cos()).abs() < 1e-10);
/// assert!((j.dda[(0, 0)] + 0.3f64.sin()).abs() < 1e-7);
/// ```
pub fn finite_difference_jet<T: Element>(f: impl Fn(f64) -> DMatrix<T>, t: f64) -> Jet<T> {
    let [tm2, tm1, tp1, tp2] = stencil(t);
    let a = f(t);
    let ap1 = f(tp1);
    let am1 = f(tm1);
    let ap2 = f(tp2);
    let am2 = f(tm2);
    let d1 = 1.0 / (tp1 - tm1);
    let d2 = 1.0 / ((tp2 - t) * (t - tm2));
    let mut da = ap1;
    for (d, &m) in da.as_mut_slice().iter_mut().zip(am1.as_slice()) {
        *d = (*d - m).scale(d1);
    }
    let mut dda = ap2;
    for ((d, &m), &c) in dda
        .as_mut_slice()
        .iter_mut()
        .zip(am2.as_slice())
        .zip(a.as_slice())
    {
        *d = (*d + m - c.scale(2.0)).scale(d2);
    }
    Jet { a, da, dda }
}

/// A family with an exact first derivative: `WithDerivative(a, da)`; A″ by finite
/// differences of `da` (relative error ≈ ε^{2/3}).
///
/// ```
/// use eigentrack::{MatrixFamily, WithDerivative};
/// use nalgebra::DMatrix;
///
/// let fam = WithDerivative(
///     |t: f64| DMatrix::from_row_slice(2, 2, &[t, 1.0, 1.0, -t]),
///     |_t: f64| DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, -1.0]),
/// );
/// assert_eq!(fam.jet(0.1).da[(0, 0)], 1.0);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct WithDerivative<F, G>(pub F, pub G);

impl<T: Element, F: Fn(f64) -> DMatrix<T>, G: Fn(f64) -> DMatrix<T>> MatrixFamily
    for WithDerivative<F, G>
{
    type Elem = T;
    fn value(&self, t: f64) -> DMatrix<T> {
        (self.0)(t)
    }
    fn jet(&self, t: f64) -> Jet<T> {
        let d = finite_difference_jet(&self.1, t);
        Jet {
            a: (self.0)(t),
            da: d.a,
            dda: d.da,
        }
    }
    fn exact_derivatives(&self) -> bool {
        true
    }
}

/// A family with exact first and second derivatives: `WithDerivatives(a, da, dda)`.
///
/// ```
/// use eigentrack::{MatrixFamily, WithDerivatives};
/// use nalgebra::DMatrix;
///
/// let fam = WithDerivatives(
///     |t: f64| DMatrix::from_element(1, 1, t * t),
///     |t: f64| DMatrix::from_element(1, 1, 2.0 * t),
///     |_t: f64| DMatrix::from_element(1, 1, 2.0),
/// );
/// assert_eq!(fam.jet(3.0).da[(0, 0)], 6.0);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct WithDerivatives<F, G, H>(pub F, pub G, pub H);

impl<T, F, G, H> MatrixFamily for WithDerivatives<F, G, H>
where
    T: Element,
    F: Fn(f64) -> DMatrix<T>,
    G: Fn(f64) -> DMatrix<T>,
    H: Fn(f64) -> DMatrix<T>,
{
    type Elem = T;
    fn value(&self, t: f64) -> DMatrix<T> {
        (self.0)(t)
    }
    fn jet(&self, t: f64) -> Jet<T> {
        Jet {
            a: (self.0)(t),
            da: (self.1)(t),
            dda: (self.2)(t),
        }
    }
    fn exact_derivatives(&self) -> bool {
        true
    }
}

/// The polynomial family A(t) = Σₖ tᵏ Aₖ with exact derivatives (Horner evaluation).
///
/// ```
/// use eigentrack::{MatrixFamily, Polynomial};
/// use nalgebra::DMatrix;
///
/// // A(t) = A₀ + t A₁ + t² A₂
/// let p = Polynomial::new(vec![
///     DMatrix::from_element(1, 1, 1.0),
///     DMatrix::from_element(1, 1, 2.0),
///     DMatrix::from_element(1, 1, 3.0),
/// ])?;
/// let j = p.jet(2.0);
/// assert_eq!((j.a[(0, 0)], j.da[(0, 0)], j.dda[(0, 0)]), (17.0, 14.0, 6.0));
/// # Ok::<(), eigentrack::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Polynomial<T: Element> {
    coeffs: Vec<DMatrix<T>>,
}

impl<T: Element> Polynomial<T> {
    /// A(t) = Σₖ tᵏ `coeffs[k]`. All coefficients must be square of one size, at least one.
    pub fn new(coeffs: Vec<DMatrix<T>>) -> crate::Result<Self> {
        let Some(first) = coeffs.first() else {
            return Err(crate::Error::InvalidArgument {
                name: "coeffs",
                reason: "a polynomial family needs at least one coefficient".into(),
            });
        };
        let shape = first.shape();
        for (k, c) in coeffs.iter().enumerate() {
            if c.shape() != shape || shape.0 != shape.1 {
                return Err(crate::Error::InvalidArgument {
                    name: "coeffs",
                    reason: format!(
                        "coefficient {k} is {}×{}, coefficient 0 is {}×{} (all must be square, one size)",
                        c.nrows(),
                        c.ncols(),
                        shape.0,
                        shape.1
                    ),
                });
            }
        }
        Ok(Polynomial { coeffs })
    }
    /// The coefficients A₀, A₁, ….
    pub fn coeffs(&self) -> &[DMatrix<T>] {
        &self.coeffs
    }
}

impl<T: Element> MatrixFamily for Polynomial<T> {
    type Elem = T;
    fn value(&self, t: f64) -> DMatrix<T> {
        self.jet(t).a
    }
    fn jet(&self, t: f64) -> Jet<T> {
        let n = self.coeffs[0].nrows();
        let zero = T::from_f64(0.0);
        if let [c0, c1] = &self.coeffs[..] {
            // the common linear family A₀ + tA₁: one pass, A′ = A₁, A″ = 0
            return Jet {
                a: c0.zip_map(c1, |p, q| p + q.scale(t)),
                da: c1.clone(),
                dda: DMatrix::from_element(n, n, zero),
            };
        }
        let (mut a, mut da, mut dda) = (
            self.coeffs[self.coeffs.len() - 1].clone(),
            DMatrix::from_element(n, n, zero),
            DMatrix::from_element(n, n, zero),
        );
        // Horner on (p, p', p'') simultaneously
        for c in self.coeffs.iter().rev().skip(1) {
            let entries = a
                .as_mut_slice()
                .iter_mut()
                .zip(da.as_mut_slice())
                .zip(dda.as_mut_slice());
            for (((p, dp), ddp), &ck) in entries.zip(c.as_slice()) {
                *ddp = ddp.scale(t) + dp.scale(2.0);
                *dp = dp.scale(t) + *p;
                *p = p.scale(t) + ck;
            }
        }
        Jet { a, da, dda }
    }
    fn exact_derivatives(&self) -> bool {
        true
    }
}
