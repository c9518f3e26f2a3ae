//! Scalar expressions in `t` and named parameters, with exact first and second
//! derivatives.
//!
//! An [`Expr`] is parsed once from text such as `"exp(t^2) - 1"` or `"i*g*cos(pi*t)"` and
//! then evaluated many times, in real ([`f64`]) or complex ([`Complex64`]) arithmetic.
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

use crate::eigen::Element;
use crate::error::{Error, Result};
use num_complex::Complex64;
use std::ops::{Add, Div, Mul, Neg, Sub};

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

/// The number types an [`Expr`] evaluates in: [`f64`] (real functions) and
/// [`Complex64`] (principal branches).
///
/// The trait is sealed through [`Element`]; its methods are the elementary functions
/// with the semantics described in the [module documentation](self).
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

impl Scalar for f64 {
    fn imaginary_unit() -> Option<Self> {
        None
    }
    fn re(self) -> f64 {
        self
    }
    fn sin(self) -> Self {
        f64::sin(self)
    }
    fn cos(self) -> Self {
        f64::cos(self)
    }
    fn tan(self) -> Self {
        f64::tan(self)
    }
    fn exp(self) -> Self {
        f64::exp(self)
    }
    fn ln(self) -> Self {
        f64::ln(self)
    }
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    fn sinh(self) -> Self {
        f64::sinh(self)
    }
    fn cosh(self) -> Self {
        f64::cosh(self)
    }
    fn tanh(self) -> Self {
        f64::tanh(self)
    }
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
    fn sin(self) -> Self {
        Complex64::sin(self)
    }
    fn cos(self) -> Self {
        Complex64::cos(self)
    }
    fn tan(self) -> Self {
        Complex64::tan(self)
    }
    fn exp(self) -> Self {
        Complex64::exp(self)
    }
    fn ln(self) -> Self {
        Complex64::ln(self)
    }
    fn sqrt(self) -> Self {
        Complex64::sqrt(self)
    }
    fn sinh(self) -> Self {
        Complex64::sinh(self)
    }
    fn cosh(self) -> Self {
        Complex64::cosh(self)
    }
    fn tanh(self) -> Self {
        Complex64::tanh(self)
    }
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

/// A value with its first and second derivatives along one variable: the result of
/// [`Expr::jet`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScalarJet<S> {
    /// f.
    pub value: S,
    /// df/dv.
    pub d1: S,
    /// d²f/dv².
    pub d2: S,
}

impl<S: Scalar> ScalarJet<S> {
    fn constant(value: S) -> Self {
        let zero = S::from_f64(0.0);
        ScalarJet {
            value,
            d1: zero,
            d2: zero,
        }
    }
    fn is_constant(&self) -> bool {
        let zero = S::from_f64(0.0);
        self.d1 == zero && self.d2 == zero
    }
    /// f(u) from f(u), f′(u), f″(u): (f∘u)′ = f′u′, (f∘u)″ = f″u′² + f′u″.
    fn chain(self, f: S, f1: S, f2: S) -> Self {
        ScalarJet {
            value: f,
            d1: f1 * self.d1,
            d2: f2 * self.d1 * self.d1 + f1 * self.d2,
        }
    }
    fn add(self, o: Self) -> Self {
        ScalarJet {
            value: self.value + o.value,
            d1: self.d1 + o.d1,
            d2: self.d2 + o.d2,
        }
    }
    fn sub(self, o: Self) -> Self {
        ScalarJet {
            value: self.value - o.value,
            d1: self.d1 - o.d1,
            d2: self.d2 - o.d2,
        }
    }
    fn neg(self) -> Self {
        ScalarJet {
            value: -self.value,
            d1: -self.d1,
            d2: -self.d2,
        }
    }
    fn mul(self, o: Self) -> Self {
        let two = S::from_f64(2.0);
        ScalarJet {
            value: self.value * o.value,
            d1: self.d1 * o.value + self.value * o.d1,
            d2: self.d2 * o.value + two * self.d1 * o.d1 + self.value * o.d2,
        }
    }
    fn div(self, o: Self) -> Self {
        let two = S::from_f64(2.0);
        let w = self.value / o.value;
        let w1 = (self.d1 - w * o.d1) / o.value;
        let w2 = (self.d2 - two * w1 * o.d1 - w * o.d2) / o.value;
        ScalarJet {
            value: w,
            d1: w1,
            d2: w2,
        }
    }
    fn pow(self, w: Self) -> Self {
        let zero = S::from_f64(0.0);
        if w.is_constant() {
            if let Some(n) = w.value.as_integer() {
                // exact integer power; the zero terms avoid 0·∞ at u = 0
                let f = self.value.powi(n);
                let f1 = if n == 0 {
                    zero
                } else {
                    S::from_f64(f64::from(n)) * self.value.powi(n - 1)
                };
                let f2 = if n == 0 || n == 1 {
                    zero
                } else {
                    S::from_f64(f64::from(n) * f64::from(n - 1)) * self.value.powi(n - 2)
                };
                return self.chain(f, f1, f2);
            }
            let one = S::from_f64(1.0);
            let two = S::from_f64(2.0);
            let f = self.value.pow(w.value);
            let f1 = w.value * self.value.pow(w.value - one);
            let f2 = w.value * (w.value - one) * self.value.pow(w.value - two);
            return self.chain(f, f1, f2);
        }
        // u^w = exp(w · log u)
        w.mul(self.func(Func::Log)).func(Func::Exp)
    }
    fn func(self, func: Func) -> Self {
        let u = self.value;
        let one = S::from_f64(1.0);
        let two = S::from_f64(2.0);
        match func {
            Func::Sin => {
                let (s, c) = (u.sin(), u.cos());
                self.chain(s, c, -s)
            }
            Func::Cos => {
                let (s, c) = (u.sin(), u.cos());
                self.chain(c, -s, -c)
            }
            Func::Tan => {
                let t = u.tan();
                let sec2 = one + t * t;
                self.chain(t, sec2, two * t * sec2)
            }
            Func::Exp => {
                let e = u.exp();
                self.chain(e, e, e)
            }
            Func::Log => {
                let inv = one / u;
                self.chain(u.ln(), inv, -inv * inv)
            }
            Func::Sqrt => {
                let r = u.sqrt();
                let f1 = one / (two * r);
                self.chain(r, f1, -f1 / (two * u))
            }
            Func::Sinh => {
                let (s, c) = (u.sinh(), u.cosh());
                self.chain(s, c, s)
            }
            Func::Cosh => {
                let (s, c) = (u.sinh(), u.cosh());
                self.chain(c, s, c)
            }
            Func::Tanh => {
                let t = u.tanh();
                let sech2 = one - t * t;
                self.chain(t, sech2, -two * t * sech2)
            }
            Func::Abs => {
                // |u|′ = Re(ū u′)/|u|, |u|″ = (|u′|² + Re(ū u″) − |u|′²)/|u| along a real
                // variable; 0 at u = 0
                let r = u.modulus();
                if r == 0.0 {
                    return ScalarJet::constant(S::from_f64(0.0));
                }
                let d1 = (u.conjugate() * self.d1).re() / r;
                let d2 = (self.d1.modulus().powi(2) + (u.conjugate() * self.d2).re() - d1 * d1) / r;
                ScalarJet {
                    value: S::from_f64(r),
                    d1: S::from_f64(d1),
                    d2: S::from_f64(d2),
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    Sin,
    Cos,
    Tan,
    Exp,
    Log,
    Sqrt,
    Sinh,
    Cosh,
    Tanh,
    Abs,
}

impl Func {
    fn from_name(name: &str) -> Option<Func> {
        Some(match name {
            "sin" => Func::Sin,
            "cos" => Func::Cos,
            "tan" => Func::Tan,
            "exp" => Func::Exp,
            "log" => Func::Log,
            "sqrt" => Func::Sqrt,
            "sinh" => Func::Sinh,
            "cosh" => Func::Cosh,
            "tanh" => Func::Tanh,
            "abs" => Func::Abs,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Num(f64),
    I,
    Var(usize),
    Neg(Box<Node>),
    Bin(BinOp, Box<Node>, Box<Node>),
    Call(Func, Box<Node>),
}

impl Node {
    fn any(&self, pred: &impl Fn(&Node) -> bool) -> bool {
        pred(self)
            || match self {
                Node::Neg(a) | Node::Call(_, a) => a.any(pred),
                Node::Bin(_, a, b) => a.any(pred) || b.any(pred),
                Node::Num(_) | Node::I | Node::Var(_) => false,
            }
    }

    fn jet<S: Scalar>(&self, vars: &[S], seed: usize) -> ScalarJet<S> {
        match self {
            Node::Num(x) => ScalarJet::constant(S::from_f64(*x)),
            Node::I => {
                ScalarJet::constant(S::imaginary_unit().unwrap_or_else(|| S::from_f64(f64::NAN)))
            }
            Node::Var(k) => {
                let mut j = ScalarJet::constant(vars[*k]);
                if *k == seed {
                    j.d1 = S::from_f64(1.0);
                }
                j
            }
            Node::Neg(a) => a.jet(vars, seed).neg(),
            Node::Call(f, a) => a.jet(vars, seed).func(*f),
            Node::Bin(op, a, b) => {
                let (a, b) = (a.jet(vars, seed), b.jet(vars, seed));
                match op {
                    BinOp::Add => a.add(b),
                    BinOp::Sub => a.sub(b),
                    BinOp::Mul => a.mul(b),
                    BinOp::Div => a.div(b),
                    BinOp::Pow => a.pow(b),
                }
            }
        }
    }

    fn eval<S: Scalar>(&self, vars: &[S]) -> S {
        match self {
            Node::Num(x) => S::from_f64(*x),
            Node::I => S::imaginary_unit().unwrap_or_else(|| S::from_f64(f64::NAN)),
            Node::Var(k) => vars[*k],
            Node::Neg(a) => -a.eval(vars),
            // functions and powers share the jet code (a constant jet costs little)
            Node::Call(..) | Node::Bin(BinOp::Pow, ..) => self.jet(vars, usize::MAX).value,
            Node::Bin(op, a, b) => {
                let (a, b) = (a.eval(vars), b.eval(vars));
                match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    _ => a / b,
                }
            }
        }
    }
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

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Name(String),
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    LParen,
    RParen,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Tok,
    /// 1-based character position of the first character.
    pos: usize,
}

impl Token {
    fn describe(&self) -> String {
        match &self.kind {
            Tok::Num(_) => "number".into(),
            Tok::Name(n) => format!("name \"{n}\""),
            Tok::Plus => "\"+\"".into(),
            Tok::Minus => "\"-\"".into(),
            Tok::Star => "\"*\"".into(),
            Tok::Slash => "\"/\"".into(),
            Tok::Caret => "\"^\"".into(),
            Tok::LParen => "\"(\"".into(),
            Tok::RParen => "\")\"".into(),
        }
    }
}

fn expr_error(source: &str, position: usize, reason: String) -> Error {
    Error::Expression {
        term: None,
        expr: source.to_string(),
        position,
        reason,
    }
}

fn lex(source: &str) -> Result<Vec<Token>> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        let c = chars[k];
        let pos = k + 1;
        if c.is_whitespace() {
            k += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(k + 1).is_some_and(char::is_ascii_digit)) {
            let start = k;
            while k < chars.len() && chars[k].is_ascii_digit() {
                k += 1;
            }
            if k < chars.len() && chars[k] == '.' {
                k += 1;
                while k < chars.len() && chars[k].is_ascii_digit() {
                    k += 1;
                }
            }
            // exponent only when digits follow, so "2e" is 2 then the name e
            if k < chars.len() && (chars[k] == 'e' || chars[k] == 'E') {
                let mut j = k + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    k = j;
                    while k < chars.len() && chars[k].is_ascii_digit() {
                        k += 1;
                    }
                }
            }
            let text: String = chars[start..k].iter().collect();
            let value: f64 = text
                .parse()
                .map_err(|_| expr_error(source, pos, format!("malformed number \"{text}\"")))?;
            if !value.is_finite() {
                return Err(expr_error(
                    source,
                    pos,
                    format!("the number \"{text}\" is too large for a 64-bit float"),
                ));
            }
            tokens.push(Token {
                kind: Tok::Num(value),
                pos,
            });
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = k;
            while k < chars.len() && (chars[k].is_ascii_alphanumeric() || chars[k] == '_') {
                k += 1;
            }
            tokens.push(Token {
                kind: Tok::Name(chars[start..k].iter().collect()),
                pos,
            });
            continue;
        }
        let kind = match c {
            '+' => Tok::Plus,
            '-' | '−' => Tok::Minus,
            '*' if chars.get(k + 1) == Some(&'*') => {
                k += 1;
                Tok::Caret
            }
            '*' | '·' => Tok::Star,
            '/' => Tok::Slash,
            '^' => Tok::Caret,
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            _ => {
                return Err(expr_error(
                    source,
                    pos,
                    format!("unexpected character '{c}'"),
                ))
            }
        };
        tokens.push(Token { kind, pos });
        k += 1;
    }
    Ok(tokens)
}

struct Parser<'a> {
    source: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    names: &'a [&'a str],
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }
    fn error(&self, position: usize, reason: String) -> Error {
        expr_error(self.source, position, reason)
    }
    fn end_pos(&self) -> usize {
        self.source.chars().count() + 1
    }
    fn eat(&mut self, kind: &Tok) -> bool {
        if self.peek().is_some_and(|t| t.kind == *kind) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Result<Node> {
        let mut lhs = self.term()?;
        loop {
            let op = if self.eat(&Tok::Plus) {
                BinOp::Add
            } else if self.eat(&Tok::Minus) {
                BinOp::Sub
            } else {
                return Ok(lhs);
            };
            let rhs = self.term()?;
            lhs = Node::Bin(op, Box::new(lhs), Box::new(rhs));
        }
    }

    fn term(&mut self) -> Result<Node> {
        let mut lhs = self.unary()?;
        loop {
            let op = if self.eat(&Tok::Star) {
                BinOp::Mul
            } else if self.eat(&Tok::Slash) {
                BinOp::Div
            } else {
                return Ok(lhs);
            };
            let rhs = self.unary()?;
            lhs = Node::Bin(op, Box::new(lhs), Box::new(rhs));
        }
    }

    fn unary(&mut self) -> Result<Node> {
        if self.eat(&Tok::Minus) {
            return Ok(Node::Neg(Box::new(self.unary()?)));
        }
        if self.eat(&Tok::Plus) {
            return self.unary();
        }
        self.power()
    }

    fn power(&mut self) -> Result<Node> {
        let base = self.atom()?;
        if self.eat(&Tok::Caret) {
            let exponent = self.unary()?;
            return Ok(Node::Bin(BinOp::Pow, Box::new(base), Box::new(exponent)));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Node> {
        let Some(tok) = self.peek().cloned() else {
            return Err(self.error(self.end_pos(), "unexpected end of expression".into()));
        };
        self.pos += 1;
        match tok.kind {
            Tok::Num(x) => Ok(Node::Num(x)),
            Tok::LParen => {
                let inner = self.expr()?;
                if !self.eat(&Tok::RParen) {
                    let at = self.peek().map_or(self.end_pos(), |t| t.pos);
                    return Err(self.error(
                        at,
                        format!("missing \")\" to close the \"(\" at position {}", tok.pos),
                    ));
                }
                Ok(inner)
            }
            Tok::Name(name) => {
                let call = self.peek().is_some_and(|t| t.kind == Tok::LParen);
                if call {
                    let Some(func) = Func::from_name(&name) else {
                        return Err(self.error(
                            tok.pos,
                            format!(
                                "unknown function \"{name}\" (functions: {})",
                                FUNCTIONS.join(" ")
                            ),
                        ));
                    };
                    let open = self.tokens[self.pos].pos;
                    self.pos += 1;
                    let arg = self.expr()?;
                    if !self.eat(&Tok::RParen) {
                        let at = self.peek().map_or(self.end_pos(), |t| t.pos);
                        return Err(self.error(
                            at,
                            format!("missing \")\" to close the \"(\" at position {open}"),
                        ));
                    }
                    return Ok(Node::Call(func, Box::new(arg)));
                }
                if let Some(k) = self.names.iter().position(|n| *n == name) {
                    return Ok(Node::Var(k));
                }
                match name.as_str() {
                    "pi" => Ok(Node::Num(std::f64::consts::PI)),
                    "e" => Ok(Node::Num(std::f64::consts::E)),
                    "i" => Ok(Node::I),
                    _ if Func::from_name(&name).is_some() => Err(self.error(
                        tok.pos,
                        format!("the function \"{name}\" needs its argument in parentheses"),
                    )),
                    _ => {
                        let mut known: Vec<&str> = self.names.to_vec();
                        known.extend(CONSTANTS);
                        Err(self.error(
                            tok.pos,
                            format!("unknown name \"{name}\" (known: {})", known.join(", ")),
                        ))
                    }
                }
            }
            Tok::RParen => Err(self.error(tok.pos, "unexpected \")\"".into())),
            _ => Err(self.error(
                tok.pos,
                format!(
                    "expected a number, a name or \"(\", found {}",
                    tok.describe()
                ),
            )),
        }
    }
}
