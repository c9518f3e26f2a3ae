//! Exact families from dual numbers: write A(t) once, get A, A′ and A″ exactly.
//!
//! Rust closures cannot be generic, so a family is a small type implementing
//! [`DualMatrixFn`] (real entries) or [`DualComplexMatrixFn`] (complex entries): one
//! method `eval` generic over num-dual's [`DualNum<Primitive = f64>`](DualNum). Wrapped in
//! [`DualFamily`] / [`DualComplexFamily`] it is a [`MatrixFamily`] whose
//! [`jet`](MatrixFamily::jet) evaluates A at the second-order dual number
//! t + ε₁ (ε₁ε₁ = 2ε₂, i.e. num-dual's [`Dual2_64`]) and reads A(t), A′(t), A″(t) off its
//! three parts: exact to rounding, with no step size, at the cost of about three
//! evaluations of A. [`value`](MatrixFamily::value) evaluates at a plain `f64`.
//!
//! The [`dual_family!`](crate::dual_family) and
//! [`dual_family_complex!`](crate::dual_family_complex) macros write the type for you from
//! a closure-like body.
//!
//! Writing generic code with num-dual: `D` supports `+ − × ÷` with itself and with `f64`
//! on the right (`t * 2.0`, not `2.0 * t`), `D::from(2.0)` for constants, and the usual
//! functions as methods (`t.sin()`, `t.exp()`, `t.powi(2)`, `t.sqrt()`).
//!
//! ```
//! use eigentrack::dual::{DualFamily, DualMatrixFn, DualNum};
//! use eigentrack::MatrixFamily;
//! use nalgebra::DMatrix;
//!
//! /// A(t) = [[cos t, g], [g, t²]] with a coupling g
//! struct Coupled { g: f64 }
//! impl DualMatrixFn for Coupled {
//!     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, t: D) -> DMatrix<D> {
//!         let g = D::from(self.g);
//!         DMatrix::from_row_slice(2, 2, &[t.cos(), g, g, t * t])
//!     }
//! }
//! let fam = DualFamily(Coupled { g: 0.5 });
//! let j = fam.jet(0.3);
//! assert_eq!(j.da[(0, 0)], -(0.3f64.sin()));
//! assert_eq!(j.dda[(1, 1)], 2.0);
//! assert!(fam.exact_derivatives());
//! ```

use crate::family::{Jet, MatrixFamily};
use nalgebra::DMatrix;
use num_complex::{Complex, Complex64};
pub use num_dual::{Dual2_64, DualNum};

/// A real matrix function of t, written once for every dual-number type `D`.
///
/// See the [module documentation](self) for an example.
pub trait DualMatrixFn {
    /// A(t) with entries of the dual type `D` (`f64` itself is a `DualNum`).
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, t: D) -> DMatrix<D>;
}

/// A complex matrix function of t, written once for every dual-number type `D`: the
/// entries are [`Complex<D>`], whose real and imaginary parts carry the derivatives.
///
/// ```
/// use eigentrack::dual::{DualComplexFamily, DualComplexMatrixFn, DualNum};
/// use eigentrack::MatrixFamily;
/// use nalgebra::DMatrix;
/// use num_complex::{Complex, Complex64};
///
/// /// A(t) = [[e^{it}, t], [0, −t²]]
/// struct Phase;
/// impl DualComplexMatrixFn for Phase {
///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, t: D) -> DMatrix<Complex<D>> {
///         let zero = D::from(0.0);
///         DMatrix::from_row_slice(2, 2, &[
///             Complex::new(t.cos(), t.sin()), Complex::new(t, zero),
///             Complex::new(zero, zero), Complex::new(-t * t, zero),
///         ])
///     }
/// }
/// let j = DualComplexFamily(Phase).jet(0.0);
/// assert_eq!(j.da[(0, 0)], Complex64::new(0.0, 1.0)); // i e^{it}
/// assert_eq!(j.dda[(0, 0)], Complex64::new(-1.0, 0.0)); // −e^{it}
/// assert_eq!(j.dda[(1, 1)], Complex64::new(-2.0, 0.0));
/// ```
pub trait DualComplexMatrixFn {
    /// A(t) with complex entries over the dual type `D`.
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, t: D) -> DMatrix<Complex<D>>;
}

/// A real family with exact A′ and A″ from second-order dual numbers.
///
/// `DualFamily(f)` for `f: impl DualMatrixFn`; see the [module documentation](self).
#[derive(Debug, Clone, Copy)]
pub struct DualFamily<F>(pub F);

/// A complex family with exact A′ and A″ from second-order dual numbers.
///
/// `DualComplexFamily(f)` for `f: impl DualComplexMatrixFn`; see
/// [`DualComplexMatrixFn`] for an example.
#[derive(Debug, Clone, Copy)]
pub struct DualComplexFamily<F>(pub F);

/// The dual number t + ε₁ of second order (value t, first derivative 1).
fn seed(t: f64) -> Dual2_64 {
    Dual2_64::from_re(t).derivative()
}

impl<F: DualMatrixFn> MatrixFamily for DualFamily<F> {
    type Elem = f64;
    fn value(&self, t: f64) -> DMatrix<f64> {
        self.0.eval(t)
    }
    fn jet(&self, t: f64) -> Jet<f64> {
        let m = self.0.eval(seed(t));
        Jet {
            a: m.map(|d| d.re),
            da: m.map(|d| d.v1),
            dda: m.map(|d| d.v2),
        }
    }
    fn exact_derivatives(&self) -> bool {
        true
    }
}

impl<F: DualComplexMatrixFn> MatrixFamily for DualComplexFamily<F> {
    type Elem = Complex64;
    fn value(&self, t: f64) -> DMatrix<Complex64> {
        self.0.eval(t)
    }
    fn jet(&self, t: f64) -> Jet<Complex64> {
        let m = self.0.eval(seed(t));
        Jet {
            a: m.map(|z| Complex64::new(z.re.re, z.im.re)),
            da: m.map(|z| Complex64::new(z.re.v1, z.im.v1)),
            dda: m.map(|z| Complex64::new(z.re.v2, z.im.v2)),
        }
    }
    fn exact_derivatives(&self) -> bool {
        true
    }
}

/// A real [`DualFamily`] from a closure-like body, generic over the dual type `D`.
///
/// `dual_family!(|t| body)` where `body` builds a `DMatrix<D>` from `t: D`. Values from
/// the surrounding scope are passed explicitly as `f64` (they become constants):
/// `dual_family!([g = 0.5, k = stiffness] |t| body)`; inside the body `g` and `k` are
/// of type `D`. The name `D` is the dual type, e.g. for `D::from(1.0)`.
///
/// ```
/// use eigentrack::{dual_family, MatrixFamily};
/// use nalgebra::DMatrix;
///
/// let g = 0.25;
/// // Landau–Zener: A(t) = [[t, g], [g, −t]]
/// let fam = dual_family!([g = g] |t| DMatrix::from_row_slice(2, 2, &[t, g, g, -t]));
/// let j = fam.jet(2.0);
/// assert_eq!(j.a[(0, 1)], 0.25);
/// assert_eq!(j.da[(1, 1)], -1.0);
/// assert_eq!(j.dda[(0, 0)], 0.0);
/// let sq = dual_family!(|t| DMatrix::from_element(1, 1, t.powi(2) + D::from(1.0)));
/// assert_eq!(sq.jet(3.0).da[(0, 0)], 6.0);
/// ```
#[macro_export]
macro_rules! dual_family {
    ([$($name:ident = $val:expr),* $(,)?] |$t:ident| $body:expr) => {{
        #[allow(non_camel_case_types)]
        struct __EigentrackDualFn { $($name: f64),* }
        impl $crate::dual::DualMatrixFn for __EigentrackDualFn {
            fn eval<D: $crate::dual::DualNum<Primitive = f64> + Copy>(
                &self,
                $t: D,
            ) -> $crate::nalgebra::DMatrix<D> {
                $(let $name = D::from(self.$name);)*
                $body
            }
        }
        $crate::dual::DualFamily(__EigentrackDualFn { $($name: $val),* })
    }};
    (|$t:ident| $body:expr) => {
        $crate::dual_family!([] |$t| $body)
    };
}

/// A complex [`DualComplexFamily`] from a closure-like body, generic over the dual type
/// `D`: like [`dual_family!`](crate::dual_family) with a body that builds a
/// `DMatrix<Complex<D>>`.
///
/// ```
/// use eigentrack::{dual_family_complex, MatrixFamily};
/// use nalgebra::DMatrix;
/// use num_complex::{Complex, Complex64};
///
/// // a PT-symmetric dimer [[i γ, 1], [1, −i γ]] with γ = t
/// let fam = dual_family_complex!(|t| {
///     let (zero, one) = (D::from(0.0), D::from(1.0));
///     DMatrix::from_row_slice(2, 2, &[
///         Complex::new(zero, t), Complex::new(one, zero),
///         Complex::new(one, zero), Complex::new(zero, -t),
///     ])
/// });
/// assert_eq!(fam.jet(0.5).da[(1, 1)], Complex64::new(0.0, -1.0));
/// ```
#[macro_export]
macro_rules! dual_family_complex {
    ([$($name:ident = $val:expr),* $(,)?] |$t:ident| $body:expr) => {{
        #[allow(non_camel_case_types)]
        struct __EigentrackDualComplexFn { $($name: f64),* }
        impl $crate::dual::DualComplexMatrixFn for __EigentrackDualComplexFn {
            fn eval<D: $crate::dual::DualNum<Primitive = f64> + Copy>(
                &self,
                $t: D,
            ) -> $crate::nalgebra::DMatrix<$crate::num_complex::Complex<D>> {
                $(let $name = D::from(self.$name);)*
                $body
            }
        }
        $crate::dual::DualComplexFamily(__EigentrackDualComplexFn { $($name: $val),* })
    }};
    (|$t:ident| $body:expr) => {
        $crate::dual_family_complex!([] |$t| $body)
    };
}
