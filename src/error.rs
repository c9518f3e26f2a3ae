//! The one error type of the crate.
//!
//! Every fallible function returns [`Result<T>`](crate::Result). The variants carry
//! structured fields (the parameter value `t`, the row and column, the sizes) so that a
//! caller can react to them, and their `Display` text names what went wrong and where.

use std::fmt;

/// Where in a parameter sweep an error happened: the value of `t`, when there is one.
///
/// Displayed as `" at t = …"` (in exponent form from 1e16 on) or as nothing.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct At(pub Option<f64>);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(t) => write!(f, " at t = {}", short(t)),
            None => Ok(()),
        }
    }
}

/// Everything that can go wrong in eigentrack.
///
/// The enum is `#[non_exhaustive]`: match on the variants you handle and keep a
/// wildcard arm.
///
/// ```
/// use eigentrack::{eig, Error};
/// use nalgebra::DMatrix;
///
/// let a = DMatrix::from_row_slice(2, 2, &[1.0, f64::NAN, 0.0, 1.0]);
/// match eig(&a) {
///     Err(Error::NonFinite { row, col, .. }) => assert_eq!((row, col), (0, 1)),
///     other => panic!("expected NonFinite, got {other:?}"),
/// }
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The matrix has no rows or no columns.
    #[error("the matrix is empty ({rows}×{cols}){at}")]
    Empty {
        /// Number of rows.
        rows: usize,
        /// Number of columns.
        cols: usize,
        /// The parameter value, when the matrix came from a family.
        at: At,
    },
    /// The matrix is not square.
    #[error("the matrix is not square: {rows}×{cols}{at}")]
    NotSquare {
        /// Number of rows.
        rows: usize,
        /// Number of columns.
        cols: usize,
        /// The parameter value, when the matrix came from a family.
        at: At,
    },
    /// An entry is NaN or ±∞.
    #[error("entry ({row}, {col}) of {what} is not finite ({value}){at}")]
    NonFinite {
        /// Which matrix: "A", "A'" (the derivative), "A''", "dA", ….
        what: &'static str,
        /// Row of the first non-finite entry (0-based).
        row: usize,
        /// Column of the first non-finite entry (0-based).
        col: usize,
        /// The offending value (its real or imaginary part).
        value: f64,
        /// The parameter value, when the matrix came from a family.
        at: At,
    },
    /// The eigen-solver did not converge, or its result failed the residual check.
    #[error(
        "the eigen-decomposition of a {n}×{n} matrix did not converge (relative residual {residual:e}){at}"
    )]
    NoConvergence {
        /// Matrix size.
        n: usize,
        /// ‖AX − XΛ‖_F / ‖A‖_F of the rejected result (∞ if the solver reported failure).
        residual: f64,
        /// The parameter value, when the matrix came from a family.
        at: At,
    },
    /// The size of A(t) changed along the parameter.
    #[error("the size of A(t) changed from {expected}×{expected} to {found}×{found} at t = {t}")]
    SizeChanged {
        /// The size at the first parameter value.
        expected: usize,
        /// The size found at `t`.
        found: usize,
        /// Where the size changed.
        t: f64,
    },
    /// Two matrices that must have the same size do not.
    #[error("{what}: expected {expected_rows}×{expected_cols}, found {found_rows}×{found_cols}")]
    DimensionMismatch {
        /// What was compared, e.g. "dA against A".
        what: &'static str,
        /// Expected rows.
        expected_rows: usize,
        /// Expected columns.
        expected_cols: usize,
        /// Found rows.
        found_rows: usize,
        /// Found columns.
        found_cols: usize,
    },
    /// A matrix that a family inverts is singular or numerically singular at a parameter
    /// value: B(t) of a [`Pencil`](crate::Pencil), M(t) of a
    /// [`Quadratic`](crate::Quadratic), the mass B(t) of a sparse pencil
    /// ([`Nearest::track_pencil`](crate::sparse::Nearest::track_pencil)). `rcond` =
    /// 1/(‖X‖₁‖X⁻¹‖₁) is 0 for an exactly singular matrix; anything below n·ε counts as
    /// singular (on the sparse path `rcond` is estimated by one probe solve and anything
    /// below 1e-11 counts).
    #[error("{what} is singular (reciprocal condition number {rcond:e}){at}")]
    Singular {
        /// Which matrix: "B", "M".
        what: &'static str,
        /// Its reciprocal 1-norm condition number.
        rcond: f64,
        /// The parameter value.
        at: At,
    },
    /// A matrix that must be Hermitian positive definite is not: B(t) of a
    /// [`Pencil`](crate::Pencil) in the Hermitian-definite mode.
    #[error("{what} is not Hermitian positive definite{at}{}", if hint.is_empty() { String::new() } else { format!(" ({hint})") })]
    NotDefinite {
        /// Which matrix: "B".
        what: &'static str,
        /// What to do about it (may be empty).
        hint: &'static str,
        /// The parameter value.
        at: At,
    },
    /// A member of a pencil or quadratic family (B(t), M(t), …) or one of its derivatives
    /// does not have the size it must have at a parameter value.
    #[error("{what}: expected {}×{}, found {}×{}{at}", expected.0, expected.1, found.0, found.1)]
    ShapeMismatch {
        /// What was compared, e.g. "B(t) against A(t)".
        what: &'static str,
        /// The size it must have (rows, columns).
        expected: (usize, usize),
        /// The size found (rows, columns).
        found: (usize, usize),
        /// The parameter value.
        at: At,
    },
    /// An option or argument is out of its valid range.
    #[error("invalid {name}: {reason}")]
    InvalidArgument {
        /// The option or argument.
        name: &'static str,
        /// Why it is invalid, with the value.
        reason: String,
    },
    /// A derivative is ill-defined: a gradient at a repeated eigenvalue whose cotangent is
    /// not invariant inside the cluster, or a loss that depends on the eigenvector phase.
    #[error("{reason}")]
    IllDefined {
        /// What makes it ill-defined and where (eigenvalue indices).
        reason: String,
    },
    /// The track was stopped by its progress callback
    /// ([`Tracker::progress`](crate::Tracker::progress) returned `ControlFlow::Break`).
    #[error("interrupted at t = {t}")]
    Interrupted {
        /// The parameter reached (the last accepted step).
        t: f64,
    },
    /// The work budget of a track ([`Tracker::max_decompositions`](crate::Tracker::max_decompositions))
    /// is spent: the family needs more decompositions than allowed, typically a range of
    /// many oscillations with few samples, or steps that never resolve.
    ///
    /// ```
    /// use eigentrack::{Error, Tracker, nalgebra::DMatrix};
    ///
    /// let a = |t: f64| {
    ///     let (s, c) = (t.sin(), (3.0 * t).cos());
    ///     DMatrix::from_row_slice(3, 3, &[s, c, 0.0, c, 2.0 * s, c, 0.0, c, 3.0 * s])
    /// };
    /// let err = Tracker::new().samples(11)?.max_decompositions(50)?.track(a, 0.0..=1e6).unwrap_err();
    /// let Error::Budget { t, used, budget } = err else { panic!("expected Budget") };
    /// assert_eq!((used, budget), (50, 50));
    /// assert!((0.0..1e6).contains(&t)); // the t reached
    /// # Ok::<(), eigentrack::Error>(())
    /// ```
    #[error("work budget spent: {used} of {budget} decompositions used, the track reached t = {} (raise it with max_decompositions / --max-decompositions, or use more samples)", short(*t))]
    Budget {
        /// The parameter reached (the last accepted step).
        t: f64,
        /// The work spent, in decompositions (an evaluation of A or A′ alone counts 1/8).
        used: usize,
        /// The budget.
        budget: usize,
    },
    /// A job of a parameter sweep failed: the first failure in input order.
    #[error("sweep job {index} (parameters {params:?}) failed: {source}")]
    Sweep {
        /// Index of the parameter vector in the sweep's input.
        index: usize,
        /// The parameter vector.
        params: Vec<f64>,
        /// The job's error.
        source: Box<Error>,
    },
    /// Writing a figure or a file failed.
    #[error("cannot write {path}: {reason}")]
    Output {
        /// The path that was being written.
        path: String,
        /// Why.
        reason: String,
    },
    /// An expression could not be parsed: a syntax error, an unknown name or function.
    #[error("{} \"{expr}\", position {position}: {reason}", term.map(|k| format!("terms[{k}].coef")).unwrap_or_else(|| "expression".into()))]
    Expression {
        /// The index of the term in a family file, when the expression came from one.
        term: Option<usize>,
        /// The expression text.
        expr: String,
        /// 1-based character position in `expr` where the problem is.
        position: usize,
        /// What is wrong.
        reason: String,
    },
    /// A coefficient of a family file (or one of its derivatives) is not finite, or not
    /// real in a real family, at a parameter value.
    #[error("terms[{term}].coef \"{expr}\" at t = {t}: {reason}")]
    Coefficient {
        /// The index of the term.
        term: usize,
        /// The expression text.
        expr: String,
        /// Where.
        t: f64,
        /// What is wrong.
        reason: String,
    },
    /// An input file (a family file, a Matrix Market file) is missing or malformed.
    #[error("{}{}{}: {}{reason}", path, line.map(|l| format!(":{l}")).unwrap_or_default(), column.map(|c| format!(":{c}")).unwrap_or_default(), term_prefix(*term, ": "))]
    Input {
        /// The file.
        path: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// 1-based column, when known.
        column: Option<usize>,
        /// The index of the family-file term concerned, when there is one.
        term: Option<usize>,
        /// What is wrong.
        reason: String,
    },
}

/// `t` as Rust writes it, or in exponent form where that would be long (|t| ≥ 1e16: Rust
/// writes 1e300 with 301 digits).
fn short(t: f64) -> String {
    if t.is_finite() && t.abs() >= 1e16 {
        format!("{t:e}")
    } else {
        format!("{t}")
    }
}

fn term_prefix(term: Option<usize>, sep: &str) -> String {
    term.map(|k| format!("terms[{k}]{sep}")).unwrap_or_default()
}

impl Error {
    /// Attach the parameter value `t` to an error that came from decomposing A(t).
    pub(crate) fn at(self, t: f64) -> Self {
        match self {
            Error::Empty { rows, cols, .. } => Error::Empty {
                rows,
                cols,
                at: At(Some(t)),
            },
            Error::NotSquare { rows, cols, .. } => Error::NotSquare {
                rows,
                cols,
                at: At(Some(t)),
            },
            Error::NonFinite {
                what,
                row,
                col,
                value,
                ..
            } => Error::NonFinite {
                what,
                row,
                col,
                value,
                at: At(Some(t)),
            },
            Error::NoConvergence { n, residual, .. } => Error::NoConvergence {
                n,
                residual,
                at: At(Some(t)),
            },
            other => other,
        }
    }
}

/// `Result` with the crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// [`Error::InvalidArgument`] for the option `name`.
pub(crate) fn invalid(name: &'static str, reason: String) -> Error {
    Error::InvalidArgument { name, reason }
}

/// `x` when it lies in the open interval (0, 1); otherwise the error naming `name`.
pub(crate) fn in_open_unit(name: &'static str, x: f64) -> Result<f64> {
    if x > 0.0 && x < 1.0 {
        Ok(x)
    } else {
        Err(invalid(name, format!("must be in (0, 1), got {x}")))
    }
}
