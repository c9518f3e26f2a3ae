//! Large sparse families: follow the k eigenvalues of a sparse A(t) (or of a pencil
//! A(t)x = λB(t)x) nearest a target σ, or the k with the largest real part.
//!
//! * [`SparseFamily`]: A(t) as nalgebra-sparse [`CscMatrix`](nalgebra_sparse::CscMatrix)
//!   (`f64` or [`Complex64`](crate::Complex64)); every closure `Fn(f64) -> CscMatrix<T>`
//!   is one (finite-difference derivatives), [`SparseTerms`] is Σ cₖ(t) Aₖ with exact
//!   derivatives.
//! * [`Nearest`] (made by [`Tracker::nearest`](crate::Tracker::nearest) or
//!   [`Tracker::largest_real`](crate::Tracker::largest_real)): the builder of a windowed
//!   track ([`Nearest::track`], or [`Nearest::track_pencil`] with a mass family B(t));
//!   [`Target`] says which eigenvalues the window holds; [`WindowTracking`] its result,
//!   with [`WindowBranch`]es and [`WindowEvent`]s (window entry and exit, crossings
//!   inside the window).
//!
//! # Method
//!
//! Shift-invert: faer's sparse LDLᵀ of A(t) − σB (AMD ordering) for real symmetric
//! problems with a real σ, its sparse LU otherwise (real factors for real problems,
//! complex ones else); symbolic analyses once per pattern. Hermitian A (and
//! Hermitian-definite pencils) with a real σ: a thick-restart block Lanczos method on
//! (A − σB)⁻¹B with a factorisation at every new t, warm-started from the previous step's
//! Ritz vectors, whose residuals come from its recurrence until the final check.
//! Everything else: a block Davidson method preconditioned by the last factorisation,
//! warm-started the same way, so that a new factorisation is needed only where the old
//! one stops converging. m = k + p pairs (a guard band of p) at every step; the dense
//! path's pairing by eigenvector overlap and predicted values (integer Hungarian). Two
//! branches that meet (or change places at the window's edge) are resolved locally:
//! first on the Rayleigh–Ritz projection of A(t) − λB(t) onto the two branches' vectors
//! at both ends of the step, with Newton in t and no solve, which stands when the Ritz
//! pairs' residuals on the true A(t*) certify it (counted in
//! [`WindowStats::projected_events`]: where the branches' vectors do not turn, as in
//! separable and symmetric problems whose levels cross exactly); otherwise on the few
//! eigenpairs nearest their meeting value, with a factorisation there, rather than the
//! whole band. Left eigenvectors of
//! non-Hermitian A come from Davidson on Aᴴ with the conjugate transposed solves of the
//! same factorisation, scaled so that Yᴴ X = I. A target σ on an eigenvalue (a singular
//! A(t) − σI) is detected by the factorisation's probe solve and the shift is nudged off
//! it (counted in [`SolverStats::nudges`]); the window itself stays centred on σ.
//!
//! Conventions as on the dense path: ‖xᵢ‖ = 1, yᵢᴴxᵢ = 1, slopes yᵢᴴA′xᵢ, degenerate
//! groups in the analytic basis of Y_cᴴA′X_c; for a pencil yᵢᴴBxᵢ = 1, slopes
//! yᵢᴴ(A′ − λᵢB′)xᵢ and groups in the basis of Y_cᴴ(A′ − λB′)X_c. Curvatures are not computed on this path
//! (they would need the whole spectrum); the predictions use the change of slope over the
//! last step.

mod davidson;
mod family;
mod lanczos;
mod pattern;
mod point;
mod projected;
mod shift_invert;
mod solver;
mod supernodal;
mod window;

pub use family::{SparseFamily, SparseJet, SparseTerms};
pub use solver::SolverStats;
pub use window::{
    Nearest, Target, WindowBranch, WindowEvent, WindowProgress, WindowRecord, WindowStats,
    WindowTracking,
};
