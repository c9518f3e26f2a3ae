//! # eigentrack
//!
//! Follow the eigenvalues of a parameter-dependent matrix A(t) along t.
#![warn(missing_docs)]

pub mod dual;
pub mod eigen;
mod error;
mod events;
pub mod expr;
pub mod family;
pub mod family_file;
pub mod gradient;
mod linalg;
mod matching;
pub mod mtx;
mod perturb;
pub mod sensitivity;
pub mod tracker;
pub mod tracking;

pub use dual::{DualComplexFamily, DualComplexMatrixFn, DualFamily, DualMatrixFn};
pub use eigen::{eig, eig_with, eigh, is_hermitian, Cluster, EigenPairs, Element, HermitianMode};
pub use error::{At, Error, Result};
pub use family::{
    finite_difference_jet, Jet, MatrixFamily, Polynomial, WithDerivative, WithDerivatives,
};
pub use gradient::{
    eig_jvp, eig_jvp_real, eig_jvp_values, eig_jvp_values_real, eig_vjp, eig_vjp_real,
};
pub use nalgebra;
pub use num_complex::{self, Complex64};
pub use tracker::{track, CrossingPolicy, Tracker};
pub use tracking::{Branch, Event, Level, Part, Stats, Tracking};
