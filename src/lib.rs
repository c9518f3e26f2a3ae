//! # eigentrack
//!
//! Follow the eigenvalues of a parameter-dependent matrix A(t) along t, keep each
//! eigenvalue's identity through crossings, and get exact derivative curves and located
//! events.
//!
//! A solver returns the eigenvalues of A(t) sorted; where two eigencurves cross they swap
//! places in that output and every derivative computed from it jumps. eigentrack pairs the
//! eigenpairs of successive steps by eigenvector overlap and an optimal (Hungarian)
//! assignment, refines the step where the pairing is not certain, and returns
//! [`Branch`]es that keep their identity, with slopes and curvatures, and [`Event`]s
//! (crossings, avoided crossings, exceptional points, level crossings).
//!
//! ```
//! use eigentrack::{track, nalgebra::DMatrix};
//!
//! // t and e^{t²} − 1 under a rotation R(t/2): they cross at t = 0 and t ≈ 0.7469
//! let a = |t: f64| {
//!     let (s, c) = (t / 2.0).sin_cos();
//!     let r = DMatrix::from_row_slice(2, 2, &[c, -s, s, c]);
//!     let d = DMatrix::from_row_slice(2, 2, &[t, 0.0, 0.0, (t * t).exp() - 1.0]);
//!     &r * d * r.transpose()
//! };
//! let tr = track(a, -1.0..=1.5)?;
//! let b0 = &tr.branches()[0];                 // λ = t all the way
//! assert!((b0.values()[200].re - 1.5).abs() < 1e-12);
//! assert!((b0.slopes()[200].re - 1.0).abs() < 1e-7);
//! let ts: Vec<f64> = tr.events().iter().map(|e| e.t()).collect();
//! assert!(ts[0].abs() < 1e-12 && (ts[1] - 0.7468817).abs() < 1e-6);
//! # Ok::<(), eigentrack::Error>(())
//! ```
//!
//! # The math and its conventions
//!
//! Notation: A xᵢ = λᵢ xᵢ (right eigenvectors), yᵢᴴ A = λᵢ yᵢᴴ (left).
//!
//! * **Normalisation**: ‖xᵢ‖₂ = 1 and yᵢᴴ xᵢ = 1 (Yᴴ X = I). Hermitian: Y = X.
//!   Condition number κᵢ = ‖xᵢ‖‖yᵢ‖/|yᵢᴴxᵢ| (∞ at an exceptional point).
//! * **Order**: eigenvalues ascending by real part, then imaginary part; branch k is
//!   eigenpair k at the first sample.
//! * **Gauge** along a branch: parallel transport, xᵢ(t)ᴴ xᵢ(t+h) real and positive.
//! * **Slope**: λᵢ′ = yᵢᴴ A′ xᵢ.
//! * **Curvature**: λᵢ″ = yᵢᴴ A″ xᵢ + 2 Σ_{j≠i} (yᵢᴴ A′ xⱼ)(yⱼᴴ A′ xᵢ)/(λᵢ − λⱼ).
//! * **Degenerate groups** (eigenvalues equal within [`Tracker::cluster_tol`]): the slopes
//!   are the eigenvalues of M = Y_cᴴ A′ X_c and its eigenvectors rotate the basis into
//!   the one that continues analytically; still-tied slopes use the second-order matrix.
//!   So a sample exactly on a crossing gives each branch its own slope.
//! * **Defective eigenvalues** (κ ≥ 10⁶, an exceptional point): λ ≈ λ₀ + c(t − t₀)^{1/p},
//!   the derivatives are unbounded and reported as ∞ + ∞i; the event is reported.
//! * **Real A(t)** stays in real arithmetic; complex eigenvalues come in exact conjugate
//!   pairs.
//!
//! # Where things are
//!
//! * [`eig`], [`eigh`], [`eig_with`], [`EigenPairs`], [`Cluster`]: the decomposition
//!   (faer underneath, nalgebra at the API).
//! * [`MatrixFamily`] and its adapters: A(t) with exact or finite-difference derivatives.
//! * [`track`] and the [`Tracker`] builder; the result [`Tracking`].
//! * [`eig_jvp`], [`eig_vjp`] and their twins ([`gradient`]): derivatives of the
//!   eigen-decomposition; [`dual`]: exact A′, A″ from dual numbers; [`sensitivity`]:
//!   ∂λ/∂p along branches, dt*/dp of events, parallel parameter sweeps.
//! * [`sparse`]: large sparse families (nalgebra-sparse `CscMatrix`), the k eigenvalues
//!   nearest a target σ by shift-invert on a sparse LU ([`Tracker::nearest`]).
//! * `plot` (feature "plot", on by default): figures with plotters.
//! * [`family_file`], [`expr`], [`mtx`]: the JSON family files, expressions and Matrix
//!   Market files of the command-line tool `eigentrack`.
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
mod local;
mod matching;
pub mod mtx;
pub mod pencil;
mod perturb;
#[cfg(feature = "plot")]
pub mod plot;
mod resolve;
pub mod sensitivity;
mod serde_num;
pub mod sparse;
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
pub use nalgebra_sparse;
pub use num_complex::{self, Complex64};
pub use pencil::{Pencil, PencilMode, Quadratic};
#[cfg(feature = "plot")]
pub use plot::{plot_sweep, Panels, PlotOptions};
pub use tracker::{track, CrossingPolicy, Progress, Resolution, Tracker, GAP_TOL};
pub use tracking::{Branch, Event, Level, Part, Stats, Tracking};

/// The code blocks of README.md, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The Rust code blocks of the book (`docs/src`), compiled and run as doctests.
#[cfg(doctest)]
pub mod book_doctests {
    /// docs/src/rust.md
    #[doc = include_str!("../docs/src/rust.md")]
    pub struct Rust;
    /// docs/src/sparse.md
    #[doc = include_str!("../docs/src/sparse.md")]
    pub struct Sparse;
    /// docs/src/cli.md
    #[doc = include_str!("../docs/src/cli.md")]
    pub struct Cli;
    /// docs/src/conventions.md
    #[doc = include_str!("../docs/src/conventions.md")]
    pub struct Conventions;
    /// docs/src/methods.md
    #[doc = include_str!("../docs/src/methods.md")]
    pub struct Methods;
    /// docs/src/options.md
    #[doc = include_str!("../docs/src/options.md")]
    pub struct Options;
}
