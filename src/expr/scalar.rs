//! The number types of expressions: [`f64`] with the real functions and [`Complex64`]
//! with the principal branches.

use crate::eigen::Element;
use num_complex::Complex64;
use std::ops::{Add, Div, Mul, Neg, Sub};

/// The number types an [`Expr`](super::Expr) evaluates in: [`f64`] (real functions) and
/// [`Complex64`] (principal branches).
///
/// The trait is sealed through [`Element`]; its methods are the elementary functions
/// with the semantics described in the [module documentation](super).
pub trait Scalar:
    Element
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + PartialEq
{
    /// The imaginary unit, `None` for real arithmetic.
    fn imaginary_unit() -> Option<Self>;
    /// Real part.
    fn re(self) -> f64;
    /// sin.
    fn sin(self) -> Self;
    /// cos.
    fn cos(self) -> Self;
    /// tan.
    fn tan(self) -> Self;
    /// exp.
    fn exp(self) -> Self;
    /// Natural logarithm (principal branch; NaN for a negative real).
    fn ln(self) -> Self;
    /// Square root (principal branch; NaN for a negative real).
    fn sqrt(self) -> Self;
    /// sinh.
    fn sinh(self) -> Self;
    /// cosh.
    fn cosh(self) -> Self;
    /// tanh.
    fn tanh(self) -> Self;
    /// `self^n` for an integer n.
    fn powi(self, n: i32) -> Self;
    /// `self^w` for a non-integer w (`0^w` = 0 for Re w > 0).
    fn pow(self, w: Self) -> Self;
    /// The value as an integer, if it is one (and fits in an i32).
    fn as_integer(self) -> Option<i32>;
}

fn integer_of(x: f64) -> Option<i32> {
    (x.fract() == 0.0 && x.abs() <= f64::from(i32::MAX)).then_some(x as i32)
}

/// Forward the elementary functions to the inherent methods of the type.
macro_rules! forward {
    ($ty:ty: $($f:ident),*) => {
        $(fn $f(self) -> Self {
            <$ty>::$f(self)
        })*
    };
}

impl Scalar for f64 {
    fn imaginary_unit() -> Option<Self> {
        None
    }
    fn re(self) -> f64 {
        self
    }
    forward!(f64: sin, cos, tan, exp, ln, sqrt, sinh, cosh, tanh);
    fn powi(self, n: i32) -> Self {
        f64::powi(self, n)
    }
    fn pow(self, w: Self) -> Self {
        f64::powf(self, w)
    }
    fn as_integer(self) -> Option<i32> {
        integer_of(self)
    }
}

impl Scalar for Complex64 {
    fn imaginary_unit() -> Option<Self> {
        Some(Complex64::i())
    }
    fn re(self) -> f64 {
        self.re
    }
    forward!(Complex64: sin, cos, tan, exp, ln, sqrt, sinh, cosh, tanh);
    fn powi(self, n: i32) -> Self {
        Complex64::powi(&self, n)
    }
    fn pow(self, w: Self) -> Self {
        if self == Complex64::new(0.0, 0.0) {
            // exp(w·log 0) is NaN in num-complex; the limit is 0 for Re w > 0
            return if w.re > 0.0 {
                self
            } else {
                Complex64::new(f64::INFINITY, 0.0)
            };
        }
        Complex64::powc(self, w)
    }
    fn as_integer(self) -> Option<i32> {
        if self.im == 0.0 {
            integer_of(self.re)
        } else {
            None
        }
    }
}
