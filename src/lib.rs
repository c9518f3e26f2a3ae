//! # eigentrack
//!
//! Follow the eigenvalues of a parameter-dependent matrix A(t) along t.
#![warn(missing_docs)]

pub mod eigen;
mod error;
mod events;
pub mod expr;
pub mod family;
pub mod family_file;
mod linalg;
mod matching;
pub mod mtx;
mod perturb;
#[cfg(feature = "plot")]
pub mod plot;
pub mod tracker;
pub mod tracking;

pub use eigen::{eig, eig_with, eigh, is_hermitian, Cluster, EigenPairs, Element, HermitianMode};
pub use error::{At, Error, Result};
pub use family::{
    finite_difference_jet, Jet, MatrixFamily, Polynomial, WithDerivative, WithDerivatives,
};
pub use nalgebra;
pub use num_complex::{self, Complex64};
#[cfg(feature = "plot")]
pub use plot::{plot_sweep, Panels, PlotOptions};
pub use tracker::{track, CrossingPolicy, Tracker};
pub use tracking::{Branch, Event, Level, Part, Stats, Tracking};
