//! Scalar expressions in `t` and named parameters, with exact first and second
//! derivatives.
//!
//! An [`Expr`] is parsed once from text such as `"exp(t^2) - 1"` or `"i*g*cos(pi*t)"` and
//! then evaluated many times, in real ([`f64`]) or complex ([`Complex64`](crate::Complex64)) arithmetic.
//! [`Expr::jet`] returns the value together with the exact first and second derivatives
//! with respect to one chosen variable (forward-mode second-order jets, no finite
//! differences), which is how the family files of the command-line tool get A′(t) and
//! A″(t), and ∂A/∂p for a parameter sweep.
//!
//! # Grammar
//!
//! ```text
//! expr  := term (("+" | "-") term)*
//! term  := unary (("*" | "/") unary)*
//! unary := ("-" | "+") unary | power
//! power := atom (("^" | "**") unary)?          right-associative: 2^3^2 = 2^9
//! atom  := number | name | function "(" expr ")" | "(" expr ")"
//! ```
//!
//! * numbers: `2`, `0.5`, `.5`, `1e-3`, `6.02E23`;
//! * names: the variables given to [`Expr::parse`] (e.g. `t` and the parameters), the
//!   constants `pi`, `e` and the imaginary unit `i`;
//! * functions (one argument): `sin cos tan exp log sqrt sinh cosh tanh abs`; `log` is
//!   the natural logarithm.
//!
//! Unary minus binds looser than `^`: `-t^2` is `-(t^2)`; `2^-1` is `0.5`. There is no
//! implicit multiplication: write `2*t`, not `2t`.
//! The Unicode minus `−` and the middle dot `·` are read as `-` and `*`.
//!
//! # Arithmetic
//!
//! In complex arithmetic `log` and `sqrt` are the principal branches and `a^b` is
//! `exp(b·log a)` (integer exponents are exact repeated products, so `(-2)^3 = -8`). In
//! real arithmetic they are the real functions: `log(-1)`, `sqrt(-1)` and `(-2)^0.5` are
//! NaN, and an expression that contains `i` cannot be evaluated ([`Expr::is_real`] tells).
//! `abs(z)` is |z|, a real number; its derivative along a real variable is
//! Re(z̄ z′)/|z|, and at z = 0 it is taken as 0 (the convention of automatic
//! differentiation libraries).
//!
//! # Errors
//!
//! Parse errors are [`Error::Expression`] with the 1-based character position in the
//! text: an unknown name or function, a missing parenthesis, a stray character, an
//! unexpected end.
//!
//! ```
//! use eigentrack::expr::Expr;
//!
//! let e = Expr::parse("exp(t^2) - 1", &["t"])?;
//! let j = e.jet(&[0.5f64], 0)?; // value, d/dt, d²/dt² at t = 0.5
//! let ex = 0.25f64.exp();
//! assert!((j.value - (ex - 1.0)).abs() < 1e-15);
//! assert!((j.d1 - 2.0 * 0.5 * ex).abs() < 1e-15);
//! assert!((j.d2 - (2.0 + 4.0 * 0.25) * ex).abs() < 1e-15);
//! # Ok::<(), eigentrack::Error>(())
//! ```

mod jet;
mod parse;
mod scalar;

pub use jet::ScalarJet;
pub use scalar::Scalar;

use crate::error::{Error, Result};
use jet::Node;
use parse::{lex, Parser, Tok};

/// The functions an expression may call, by name.
pub const FUNCTIONS: [&str; 10] = [
    "sin", "cos", "tan", "exp", "log", "sqrt", "sinh", "cosh", "tanh", "abs",
];

/// The built-in constants: `pi`, `e` and the imaginary unit `i`.
pub const CONSTANTS: [&str; 3] = ["pi", "e", "i"];

/// Whether `name` is a function or a constant, so cannot name a variable.
///
/// ```
/// assert!(eigentrack::expr::is_reserved("pi"));
/// assert!(eigentrack::expr::is_reserved("sqrt"));
/// assert!(!eigentrack::expr::is_reserved("g"));
/// ```
pub fn is_reserved(name: &str) -> bool {
    FUNCTIONS.contains(&name) || CONSTANTS.contains(&name)
}

/// Whether `name` is a valid variable name: an ASCII letter or `_`, then letters, digits
/// or `_`, and not [reserved](is_reserved).
///
/// ```
/// use eigentrack::expr::is_valid_name;
/// assert!(is_valid_name("omega_1"));
/// assert!(!is_valid_name("2g") && !is_valid_name("e") && !is_valid_name(""));
/// ```
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !is_reserved(name)
}

/// A parsed expression in a fixed list of variables.
///
/// See the [module documentation](self) for the grammar, the arithmetic and the errors.
///
/// ```
/// use eigentrack::expr::Expr;
/// use eigentrack::Complex64;
///
/// // variables: t (index 0) and g (index 1)
/// let e = Expr::parse("i*g*t^2", &["t", "g"])?;
/// assert!(!e.is_real());
/// let (t, g) = (Complex64::new(2.0, 0.0), Complex64::new(0.5, 0.0));
/// assert_eq!(e.eval(&[t, g])?, Complex64::new(0.0, 2.0));
/// // ∂/∂g (seed variable 1): i t²
/// assert_eq!(e.jet(&[t, g], 1)?.d1, Complex64::new(0.0, 4.0));
/// # Ok::<(), eigentrack::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    source: String,
    root: Node,
    nvars: usize,
}

impl Expr {
    /// Parse `source` with the variables `names` (variable k is `names[k]`).
    ///
    /// # Errors
    /// [`Error::Expression`] (with `term: None`) for a syntax error, an unknown name or
    /// function; [`Error::InvalidArgument`] when a name in `names` is not
    /// [valid](is_valid_name) (e.g. a reserved word such as `e`) or appears twice.
    pub fn parse(source: &str, names: &[&str]) -> Result<Expr> {
        for (k, name) in names.iter().enumerate() {
            if !is_valid_name(name) {
                return Err(Error::InvalidArgument {
                    name: "variable name",
                    reason: format!(
                        "\"{name}\" is not a valid name (a letter or _, then letters, digits or _; not one of {} or the functions {})",
                        CONSTANTS.join(", "),
                        FUNCTIONS.join(" ")
                    ),
                });
            }
            if names[..k].contains(name) {
                return Err(Error::InvalidArgument {
                    name: "variable name",
                    reason: format!("\"{name}\" appears twice"),
                });
            }
        }
        let tokens = lex(source)?;
        let mut p = Parser {
            source,
            tokens,
            pos: 0,
            names,
        };
        let root = p.expr()?;
        if let Some(tok) = p.peek() {
            let what = match tok.kind {
                Tok::RParen => "unmatched \")\"".to_string(),
                _ => format!("unexpected {} after a complete expression", tok.describe()),
            };
            return Err(p.error(tok.pos, what));
        }
        Ok(Expr {
            source: source.to_string(),
            root,
            nvars: names.len(),
        })
    }

    /// The text the expression was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the expression can be evaluated in real arithmetic: it does not contain
    /// the imaginary unit `i`. (A real expression may still be NaN in real arithmetic
    /// where it would be complex, e.g. `sqrt(t)` for t < 0.)
    pub fn is_real(&self) -> bool {
        !self.root.any(&|n| matches!(n, Node::I))
    }

    /// Whether the expression contains variable `var`.
    ///
    /// ```
    /// use eigentrack::expr::Expr;
    /// let e = Expr::parse("2*pi*g", &["t", "g"])?;
    /// assert!(!e.depends_on(0) && e.depends_on(1));
    /// # Ok::<(), eigentrack::Error>(())
    /// ```
    pub fn depends_on(&self, var: usize) -> bool {
        self.root.any(&|n| *n == Node::Var(var))
    }

    /// The number of variables the expression was parsed with.
    pub fn num_vars(&self) -> usize {
        self.nvars
    }

    fn check_vars<S: Scalar>(&self, vars: &[S]) -> Result<()> {
        if vars.len() != self.nvars {
            return Err(Error::InvalidArgument {
                name: "vars",
                reason: format!(
                    "the expression \"{}\" has {} variables, {} values were given",
                    self.source,
                    self.nvars,
                    vars.len()
                ),
            });
        }
        if !S::IS_REAL || self.is_real() {
            Ok(())
        } else {
            Err(Error::InvalidArgument {
                name: "arithmetic",
                reason: format!(
                    "the expression \"{}\" contains the imaginary unit i and cannot be evaluated in real arithmetic",
                    self.source
                ),
            })
        }
    }

    /// The value, `vars[k]` being the value of variable k.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `vars` has the wrong length, or when `S` is `f64`
    /// and the expression is not [real](Self::is_real).
    pub fn eval<S: Scalar>(&self, vars: &[S]) -> Result<S> {
        self.check_vars(vars)?;
        Ok(self.root.eval(vars))
    }

    /// The value and the exact first and second derivatives with respect to variable
    /// `seed` (derivatives are zero if `seed` is not a variable index).
    ///
    /// # Errors
    /// As [`eval`](Self::eval).
    pub fn jet<S: Scalar>(&self, vars: &[S], seed: usize) -> Result<ScalarJet<S>> {
        self.check_vars(vars)?;
        Ok(self.root.jet(vars, seed))
    }

    /// [`eval`](Self::eval) without the checks, for callers that validated the variable
    /// count and the arithmetic once.
    pub(crate) fn eval_unchecked<S: Scalar>(&self, vars: &[S]) -> S {
        self.root.eval(vars)
    }

    /// [`jet`](Self::jet) without the checks.
    pub(crate) fn jet_unchecked<S: Scalar>(&self, vars: &[S], seed: usize) -> ScalarJet<S> {
        self.root.jet(vars, seed)
    }
}

impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)
    }
}
