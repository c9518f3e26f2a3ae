//! Matrix families from JSON files: A(t) = Σₖ coefₖ(t)·Mₖ with expression coefficients.
//!
//! This is the input format of the `eigentrack` command-line tool:
//!
//! ```json
//! {
//!   "range": [-1.0, 1.5],
//!   "params": {"g": 0.001},
//!   "hermitian": "auto",
//!   "terms": [
//!     {"coef": "t", "matrix": [[1, 0], [0, 0]]},
//!     {"coef": "exp(t^2) - 1", "matrix": [[0, 0], [0, 1]]},
//!     {"coef": "i*g", "matrix": {"re": [[0, 1], [1, 0]], "im": [[0, 0], [0, 0]]}},
//!     {"coef": "1", "mtx": "K.mtx"}
//!   ]
//! }
//! ```
//!
//! * `range` (required): `[t0, t1]`, finite, t0 ≠ t1 (t1 < t0 tracks backwards).
//! * `params` (optional): names and values of the parameters the coefficients may use
//!   besides `t`. A name is a letter or `_` followed by letters, digits or `_`, and not
//!   `t` or a constant or function of the [expression language](crate::expr).
//! * `hermitian` (optional): `"auto"` (default), `"yes"`, `"no"` (or `true` / `false`),
//!   the [`HermitianMode`] to decompose with.
//! * `terms` (required, at least one): each with `coef`, an [expression](crate::expr) in
//!   `t` and the parameters (a JSON number is accepted too), and one matrix: `matrix` as
//!   rows of numbers, rows of `[re, im]` pairs (numbers and pairs may be mixed), or
//!   `{"re": rows, "im": rows}` (`im` optional); or `mtx`, a [Matrix Market](crate::mtx)
//!   file, read relative to the directory of the family file. All matrices are square
//!   and of one size.
//! * `mass` (optional): B(t) of a pencil A(t)x = λB(t)x, a list of terms written like
//!   `terms` (same size). Read by the sparse loader ([`SparseFamilyFile::mass`], tracked
//!   by [`Nearest::track_pencil`](crate::sparse::Nearest::track_pencil) and
//!   `eigentrack track --nearest`); the dense loader reports it as an error (a dense
//!   pencil is [`Pencil`](crate::Pencil) in the library). Errors in its terms say
//!   `in "mass"`.
//! * `comment` and `description` (optional, anywhere a key is allowed): ignored. Any
//!   other key is an error, so that a misspelt key is not silently ignored.
//!
//! A′(t) and A″(t) are exact: each coefficient is evaluated with its first and second
//! derivative ([`Expr::jet`]). The family is real ([`FileFamily::Real`], real
//! arithmetic, f64 matrices) when no coefficient contains `i` and every matrix has zero
//! imaginary part; otherwise complex. In a real family `sqrt`, `log` and non-integer
//! powers are the real functions (NaN for a negative argument): add `0*i` to a
//! coefficient to make the family complex.
//!
//! Errors: [`Error::Input`] for the files (malformed JSON with the line and column, a
//! missing key, a wrong type, a matrix of the wrong size with its term index, a missing
//! or malformed `.mtx` with its path and line), [`Error::Expression`] for a coefficient
//! that does not parse (term index and position), [`Error::Coefficient`] from
//! [`ExprFamily::check_on`] for a coefficient that is not finite at some t.
//!
//! ```
//! use eigentrack::family_file::{FamilyFile, FileFamily};
//! use eigentrack::MatrixFamily;
//!
//! let text = r#"{"range": [-1, 1], "params": {"g": 0.5},
//!               "terms": [{"coef": "t", "matrix": [[1, 0], [0, -1]]},
//!                         {"coef": "g*t^2", "matrix": [[0, 1], [1, 0]]}]}"#;
//! let file = FamilyFile::parse(text, "lz.json".as_ref())?;
//! assert_eq!(file.range(), (-1.0, 1.0));
//! let FileFamily::Real(fam) = file.family() else { unreachable!() };
//! let j = fam.jet(2.0); // A, A′, A″ at t = 2, exact
//! assert_eq!((j.a[(0, 1)], j.da[(0, 1)], j.dda[(0, 1)]), (2.0, 2.0, 1.0));
//! assert_eq!(j.da[(1, 1)], -1.0);
//! # Ok::<(), eigentrack::Error>(())
//! ```

use crate::eigen::HermitianMode;
use crate::error::{Error, Result};
use crate::expr::{is_valid_name, Expr, Scalar, ScalarJet};
use crate::family::{Jet, MatrixFamily};
use crate::mtx::{map_csc, read_mtx, read_mtx_sparse, MtxMatrix, SparseMtx};
use crate::sparse::SparseTerms;
use nalgebra::DMatrix;
use nalgebra_sparse::{CooMatrix, CscMatrix};
use num_complex::Complex64;
use num_dual::Dual2_64;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A(t) = Σₖ cₖ(t, p)·Mₖ with expression coefficients cₖ in `t` and named parameters p,
/// and constant square matrices Mₖ of one size; entries `f64` or [`Complex64`].
///
/// A′, A″ (and ∂A/∂p) are exact. Build one with [`ExprFamily::new`] or from a
/// [`FamilyFile`].
///
/// ```
/// use eigentrack::family_file::ExprFamily;
/// use eigentrack::MatrixFamily;
/// use nalgebra::DMatrix;
///
/// let mut fam = ExprFamily::new(
///     &[("g", 0.1)],
///     vec![
///         ("t".to_string(), DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, -1.0])),
///         ("g".to_string(), DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 1.0, 0.0])),
///     ],
/// )?;
/// assert_eq!(fam.value(0.3)[(0, 1)], 0.1);
/// fam.set_param("g", 0.2)?;
/// assert_eq!(fam.value(0.3)[(0, 1)], 0.2);
/// // ∂A/∂g
/// assert_eq!(fam.param_derivative("g", 0.3)?[(1, 0)], 1.0);
/// # Ok::<(), eigentrack::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ExprFamily<T: Scalar> {
    n: usize,
    /// `t`, then the parameter names.
    names: Vec<String>,
    /// The values of the parameters (index k ↔ `names[k + 1]`).
    values: Vec<f64>,
    terms: Vec<(Expr, DMatrix<T>)>,
}

impl<T: Scalar> ExprFamily<T> {
    /// A family from parameters (name, value) and terms (coefficient text, matrix).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for no terms, a non-square matrix, matrices of
    /// different sizes, a parameter name that is invalid, `t` or repeated, a non-finite
    /// parameter value, or (for `f64`) a coefficient that contains `i`;
    /// [`Error::Expression`] (with the term index) for a coefficient that does not parse.
    pub fn new(params: &[(&str, f64)], terms: Vec<(String, DMatrix<T>)>) -> Result<Self> {
        let invalid = |reason: String| Error::InvalidArgument {
            name: "family",
            reason,
        };
        let mut names = vec!["t".to_string()];
        let mut values = Vec::with_capacity(params.len());
        for &(name, value) in params {
            if name == "t" || !is_valid_name(name) || names.iter().any(|n| n == name) {
                return Err(invalid(format!(
                    "\"{name}\" cannot name a parameter (a letter or _, then letters, digits or _; not t, a constant or a function; no repeats)"
                )));
            }
            if !value.is_finite() {
                return Err(invalid(format!("parameter {name} = {value} is not finite")));
            }
            names.push(name.to_string());
            values.push(value);
        }
        let Some(n) = terms.first().map(|(_, m)| m.nrows()) else {
            return Err(invalid("a family needs at least one term".into()));
        };
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut parsed = Vec::with_capacity(terms.len());
        for (k, (coef, m)) in terms.into_iter().enumerate() {
            if m.nrows() != m.ncols() || m.nrows() != n || n == 0 {
                return Err(invalid(format!(
                    "term {k}: the matrix is {}×{}, expected {n}×{n} (square, one size, not empty)",
                    m.nrows(),
                    m.ncols()
                )));
            }
            let expr = Expr::parse(&coef, &refs).map_err(|e| with_term(e, k))?;
            if T::IS_REAL && !expr.is_real() {
                return Err(invalid(format!(
                    "term {k}: the coefficient \"{coef}\" contains i; a real family needs real coefficients"
                )));
            }
            parsed.push((expr, m));
        }
        Ok(ExprFamily {
            n,
            names,
            values,
            terms: parsed,
        })
    }

    /// The size n of A(t) (n × n).
    pub fn dim(&self) -> usize {
        self.n
    }

    /// The number of terms.
    pub fn num_terms(&self) -> usize {
        self.terms.len()
    }

    /// The parameters and their current values.
    pub fn params(&self) -> Vec<(&str, f64)> {
        self.names[1..]
            .iter()
            .map(String::as_str)
            .zip(self.values.iter().copied())
            .collect()
    }

    fn param_index(&self, name: &str) -> Result<usize> {
        self.names[1..]
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| Error::InvalidArgument {
                name: "parameter",
                reason: format!(
                    "unknown parameter \"{name}\" (the family has {})",
                    if self.values.is_empty() {
                        "no parameters".to_string()
                    } else {
                        self.names[1..].join(", ")
                    }
                ),
            })
    }

    /// Set a parameter.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unknown name or a non-finite value.
    pub fn set_param(&mut self, name: &str, value: f64) -> Result<()> {
        let k = self.param_index(name)?;
        if !value.is_finite() {
            return Err(Error::InvalidArgument {
                name: "parameter",
                reason: format!("{name} = {value} is not finite"),
            });
        }
        self.values[k] = value;
        Ok(())
    }

    fn vars(&self, t: f64) -> Vec<T> {
        std::iter::once(t)
            .chain(self.values.iter().copied())
            .map(T::from_f64)
            .collect()
    }

    /// ∂A/∂p at t for the parameter `name` (exact).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unknown parameter.
    pub fn param_derivative(&self, name: &str, t: f64) -> Result<DMatrix<T>> {
        let seed = self.param_index(name)? + 1;
        let vars = self.vars(t);
        Ok(combination(
            self.n,
            self.terms
                .iter()
                .filter(|(expr, _)| expr.depends_on(seed))
                .map(|(expr, m)| (expr.jet_unchecked(&vars, seed).d1, m)),
        ))
    }

    /// Check that every coefficient and its first two t-derivatives are finite at each
    /// `t` in `ts` (and, for a real family, say when a coefficient would be complex).
    ///
    /// # Errors
    /// [`Error::Coefficient`] with the term, the expression and the first bad `t`.
    ///
    /// ```
    /// use eigentrack::family_file::ExprFamily;
    /// use eigentrack::Error;
    /// use nalgebra::DMatrix;
    ///
    /// let fam = ExprFamily::new(&[], vec![("1/t".to_string(), DMatrix::from_element(1, 1, 1.0))])?;
    /// assert!(matches!(fam.check_on(&[-1.0, 0.0, 1.0]), Err(Error::Coefficient { term: 0, t, .. }) if t == 0.0));
    /// # Ok::<(), eigentrack::Error>(())
    /// ```
    pub fn check_on(&self, ts: &[f64]) -> Result<()> {
        check_exprs::<T>(self.terms.iter().map(|(e, _)| e), &self.values, ts)
    }

    fn coefficient_jets(&self, t: f64) -> Vec<ScalarJet<T>> {
        let vars = self.vars(t);
        self.terms
            .iter()
            .map(|(e, _)| e.jet_unchecked(&vars, 0))
            .collect()
    }
}

/// The check of [`ExprFamily::check_on`] on coefficients `exprs` with parameter values
/// `values`, in the arithmetic T.
fn check_exprs<'a, T: Scalar>(
    exprs: impl Iterator<Item = &'a Expr> + Clone,
    values: &[f64],
    ts: &[f64],
) -> Result<()> {
    for &t in ts {
        let vars: Vec<T> = std::iter::once(t)
            .chain(values.iter().copied())
            .map(T::from_f64)
            .collect();
        for (k, expr) in exprs.clone().enumerate() {
            let j = expr.jet_unchecked(&vars, 0);
            let bad = [
                (j.value, "value"),
                (j.d1, "first derivative"),
                (j.d2, "second derivative"),
            ]
            .into_iter()
            .find(|(v, _)| v.non_finite().is_some());
            let Some((v, what)) = bad else { continue };
            let mut reason = format!("the {what} is not finite ({})", fmt_scalar(v.to_c64()));
            if T::IS_REAL {
                let cvars: Vec<Complex64> = vars.iter().map(|v| v.to_c64()).collect();
                let z = expr.eval_unchecked(&cvars);
                if z.re.is_finite() && z.im.is_finite() && z.im != 0.0 {
                    reason = format!(
                        "the value is complex ({}) but the family is real (no coefficient contains i, no matrix is complex); add 0*i to the coefficient for complex arithmetic",
                        fmt_scalar(z)
                    );
                }
            }
            return Err(Error::Coefficient {
                term: k,
                expr: expr.source().to_string(),
                t,
                reason,
            });
        }
    }
    Ok(())
}

fn fmt_scalar(z: Complex64) -> String {
    if z.im == 0.0 {
        format!("{}", z.re)
    } else {
        format!("{z}")
    }
}

/// Σ cₖ·mₖ over the terms with cₖ ≠ 0 (n × n zeros when there is none): the first such
/// term is a scaled copy (a plain copy for cₖ = 1), the others are added in place, so a
/// family of k terms costs k passes.
fn combination<'a, T: Scalar + 'a>(
    n: usize,
    terms: impl IntoIterator<Item = (T, &'a DMatrix<T>)>,
) -> DMatrix<T> {
    let (zero, one) = (T::from_f64(0.0), T::from_f64(1.0));
    let mut out: Option<DMatrix<T>> = None;
    for (c, m) in terms.into_iter().filter(|(c, _)| *c != zero) {
        match out.as_mut() {
            None if c == one => out = Some(m.clone()),
            None => out = Some(m.map(|x| c * x)),
            Some(o) => {
                for (o, &x) in o.as_mut_slice().iter_mut().zip(m.as_slice()) {
                    *o = *o + c * x;
                }
            }
        }
    }
    out.unwrap_or_else(|| DMatrix::from_element(n, n, zero))
}

impl<T: Scalar> MatrixFamily for ExprFamily<T> {
    type Elem = T;
    fn value(&self, t: f64) -> DMatrix<T> {
        let vars = self.vars(t);
        // a non-finite coefficient makes every entry non-finite (∞·0 = NaN)
        combination(
            self.n,
            self.terms
                .iter()
                .map(|(expr, m)| (expr.eval_unchecked(&vars), m)),
        )
    }
    fn jet(&self, t: f64) -> Jet<T> {
        let cs = self.coefficient_jets(t);
        let mats = || self.terms.iter().map(|(_, m)| m);
        Jet {
            a: combination(self.n, cs.iter().map(|c| c.value).zip(mats())),
            da: combination(self.n, cs.iter().map(|c| c.d1).zip(mats())),
            dda: combination(self.n, cs.iter().map(|c| c.d2).zip(mats())),
        }
    }
    fn exact_derivatives(&self) -> bool {
        true
    }
}

/// The family of a [`FamilyFile`]: real or complex arithmetic.
#[derive(Debug, Clone)]
pub enum FileFamily {
    /// Every coefficient real (no `i`), every matrix real.
    Real(ExprFamily<f64>),
    /// Otherwise.
    Complex(ExprFamily<Complex64>),
}

impl FileFamily {
    /// The size n of A(t).
    pub fn dim(&self) -> usize {
        match self {
            FileFamily::Real(f) => f.dim(),
            FileFamily::Complex(f) => f.dim(),
        }
    }
    /// The parameters and their values.
    pub fn params(&self) -> Vec<(&str, f64)> {
        match self {
            FileFamily::Real(f) => f.params(),
            FileFamily::Complex(f) => f.params(),
        }
    }
    /// Set a parameter (see [`ExprFamily::set_param`]).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unknown name or a non-finite value.
    pub fn set_param(&mut self, name: &str, value: f64) -> Result<()> {
        match self {
            FileFamily::Real(f) => f.set_param(name, value),
            FileFamily::Complex(f) => f.set_param(name, value),
        }
    }
    /// See [`ExprFamily::check_on`].
    ///
    /// # Errors
    /// [`Error::Coefficient`].
    pub fn check_on(&self, ts: &[f64]) -> Result<()> {
        match self {
            FileFamily::Real(f) => f.check_on(ts),
            FileFamily::Complex(f) => f.check_on(ts),
        }
    }
}

/// A parsed family file: the range, the Hermitian mode and the family.
///
/// See the [module documentation](self) for the format.
#[derive(Debug, Clone)]
pub struct FamilyFile {
    path: PathBuf,
    range: (f64, f64),
    hermitian: HermitianMode,
    family: FileFamily,
}

/// A term's matrix before the arithmetic is chosen.
enum RawMatrix {
    Real(DMatrix<f64>),
    Complex(DMatrix<Complex64>),
}

impl RawMatrix {
    fn shape(&self) -> (usize, usize) {
        match self {
            RawMatrix::Real(a) => a.shape(),
            RawMatrix::Complex(a) => a.shape(),
        }
    }
    /// Real when every imaginary part is zero.
    fn simplify(self) -> RawMatrix {
        match self {
            RawMatrix::Complex(a) if a.iter().all(|z| z.im == 0.0) => {
                RawMatrix::Real(a.map(|z| z.re))
            }
            other => other,
        }
    }
    fn to_complex(&self) -> DMatrix<Complex64> {
        match self {
            RawMatrix::Real(a) => a.map(|x| Complex64::new(x, 0.0)),
            RawMatrix::Complex(a) => a.clone(),
        }
    }
    /// The nonzero entries in CSC (inline matrices are small: through a complex copy).
    fn to_sparse(&self) -> SparseMtx {
        let a = self.to_complex();
        let mut coo = CooMatrix::new(a.nrows(), a.ncols());
        for j in 0..a.ncols() {
            for i in 0..a.nrows() {
                if a[(i, j)] != Complex64::new(0.0, 0.0) {
                    coo.push(i, j, a[(i, j)]);
                }
            }
        }
        let c = CscMatrix::from(&coo);
        match self {
            RawMatrix::Real(_) => SparseMtx::Real(map_csc(&c, |z| z.re)),
            RawMatrix::Complex(_) => SparseMtx::Complex(c),
        }
    }
}

fn with_term(e: Error, k: usize) -> Error {
    match e {
        Error::Expression {
            expr,
            position,
            reason,
            ..
        } => Error::Expression {
            term: Some(k),
            expr,
            position,
            reason,
        },
        Error::Input {
            path,
            line,
            column,
            reason,
            ..
        } => Error::Input {
            path,
            line,
            column,
            term: Some(k),
            reason,
        },
        other => other,
    }
}

/// Strip serde_json's " at line L column C" (the line and column go into fields).
fn json_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(k) => s[..k].to_string(),
        None => s,
    }
}

const IGNORED_KEYS: [&str; 2] = ["comment", "description"];

fn check_keys(
    obj: &Map<String, Value>,
    allowed: &[&str],
    what: &str,
) -> std::result::Result<(), String> {
    for key in obj.keys() {
        if !allowed.contains(&key.as_str()) && !IGNORED_KEYS.contains(&key.as_str()) {
            return Err(format!(
                "unknown key \"{key}\" in {what} (allowed: {})",
                allowed.join(", ")
            ));
        }
    }
    Ok(())
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Rows of numbers or of [re, im] pairs.
fn parse_rows(v: &Value, what: &str) -> std::result::Result<RawMatrix, String> {
    let rows = v
        .as_array()
        .ok_or_else(|| format!("{what} must be an array of rows, found {}", type_name(v)))?;
    let nrows = rows.len();
    let mut ncols = None;
    let mut entries = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let row = row.as_array().ok_or_else(|| {
            format!(
                "{what}[{i}] must be an array of numbers, found {}",
                type_name(row)
            )
        })?;
        match ncols {
            None => ncols = Some(row.len()),
            Some(c) if c != row.len() => {
                return Err(format!(
                    "{what}: row {i} has {} entries, row 0 has {c}",
                    row.len()
                ))
            }
            _ => {}
        }
        for (j, x) in row.iter().enumerate() {
            let z = match x {
                Value::Number(_) => x.as_f64().map(|re| Complex64::new(re, 0.0)),
                Value::Array(p) if p.len() == 2 => match (p[0].as_f64(), p[1].as_f64()) {
                    (Some(re), Some(im)) => Some(Complex64::new(re, im)),
                    _ => None,
                },
                _ => None,
            }
            .ok_or_else(|| {
                format!(
                    "{what}[{i}][{j}] must be a number or a [re, im] pair of numbers, found {}",
                    if let Value::Array(_) = x {
                        "another array".to_string()
                    } else {
                        type_name(x).to_string()
                    }
                )
            })?;
            entries.push(z);
        }
    }
    let ncols = ncols.unwrap_or(0);
    if nrows == 0 || ncols == 0 {
        return Err(format!("{what} is empty"));
    }
    Ok(RawMatrix::Complex(DMatrix::from_row_slice(nrows, ncols, &entries)).simplify())
}

fn parse_matrix(v: &Value) -> std::result::Result<RawMatrix, String> {
    match v {
        Value::Object(o) => {
            check_keys(o, &["re", "im"], "matrix")?;
            let re = o
                .get("re")
                .ok_or("matrix: an object matrix needs \"re\" (and optionally \"im\") rows")?;
            let re = parse_rows(re, "matrix.re")?;
            let RawMatrix::Real(re) = re else {
                return Err("matrix.re must hold real numbers".into());
            };
            let Some(im) = o.get("im") else {
                return Ok(RawMatrix::Real(re));
            };
            let RawMatrix::Real(im) = parse_rows(im, "matrix.im")? else {
                return Err("matrix.im must hold real numbers".into());
            };
            if im.shape() != re.shape() {
                return Err(format!(
                    "matrix.im is {}×{}, matrix.re is {}×{}",
                    im.nrows(),
                    im.ncols(),
                    re.nrows(),
                    re.ncols()
                ));
            }
            let z = re.zip_map(&im, Complex64::new);
            Ok(RawMatrix::Complex(z).simplify())
        }
        _ => parse_rows(v, "matrix"),
    }
}

/// The parts of a family file before the arithmetic is chosen.
struct Parts {
    range: (f64, f64),
    hermitian: HermitianMode,
    params: Vec<(String, f64)>,
    terms: Vec<(Expr, TermMatrix)>,
    /// B(t) of a pencil A(t)x = λB(t)x (the `"mass"` key).
    mass: Option<Vec<(Expr, TermMatrix)>>,
}

/// A term's matrix: dense (the dense loader) or sparse (the sparse loader).
enum TermMatrix {
    Dense(RawMatrix),
    Sparse(SparseMtx),
}

impl TermMatrix {
    fn shape(&self) -> (usize, usize) {
        match self {
            TermMatrix::Dense(m) => m.shape(),
            TermMatrix::Sparse(m) => m.shape(),
        }
    }
}

/// Real when every imaginary part is zero.
fn simplify_sparse(m: SparseMtx) -> SparseMtx {
    match m {
        SparseMtx::Complex(a) if a.values().iter().all(|z| z.im == 0.0) => {
            SparseMtx::Real(map_csc(&a, |z| z.re))
        }
        other => other,
    }
}

/// Parse a family file's text; `sparse` reads `.mtx` files into CSC and converts the
/// inline matrices (nothing of size n × n is stored).
fn parse_parts(text: &str, path: &Path, sparse: bool) -> Result<Parts> {
    let shown = path.display().to_string();
    let input = |term: Option<usize>, reason: String| Error::Input {
        path: shown.clone(),
        line: None,
        column: None,
        term,
        reason,
    };
    let root: Value = serde_json::from_str(text).map_err(|e| Error::Input {
        path: shown.clone(),
        line: Some(e.line()),
        column: Some(e.column()),
        term: None,
        reason: format!("malformed JSON: {}", json_message(&e)),
    })?;
    let Value::Object(root) = root else {
        return Err(input(
            None,
            format!(
                "the family must be a JSON object, found {}",
                type_name(&root)
            ),
        ));
    };
    check_keys(
        &root,
        &["range", "params", "hermitian", "terms", "mass"],
        "the family",
    )
    .map_err(|r| input(None, r))?;

    let range = match root.get("range") {
        None => return Err(input(None, "missing \"range\": [t0, t1]".into())),
        Some(Value::Array(r)) if r.len() == 2 => match (r[0].as_f64(), r[1].as_f64()) {
            (Some(a), Some(b)) if a != b => (a, b),
            (Some(a), Some(b)) => {
                return Err(input(
                    None,
                    format!("\"range\": [{a}, {b}] is empty (t0 = t1)"),
                ))
            }
            _ => return Err(input(None, "\"range\" must hold two numbers".into())),
        },
        Some(other) => {
            return Err(input(
                None,
                format!("\"range\" must be [t0, t1], found {other}"),
            ))
        }
    };

    let mut params: Vec<(String, f64)> = Vec::new();
    match root.get("params") {
        None => {}
        Some(Value::Object(p)) => {
            for (name, v) in p {
                if name == "t" || !is_valid_name(name) {
                    return Err(input(
                            None,
                            format!(
                                "\"params\": \"{name}\" cannot name a parameter (a letter or _, then letters, digits or _; not t, pi, e, i or a function name)"
                            ),
                        ));
                }
                let value = v.as_f64().ok_or_else(|| {
                    input(
                        None,
                        format!(
                            "\"params\": {name} must be a number, found {}",
                            type_name(v)
                        ),
                    )
                })?;
                params.push((name.clone(), value));
            }
        }
        Some(other) => {
            return Err(input(
                None,
                format!(
                    "\"params\" must be an object of names and numbers, found {}",
                    type_name(other)
                ),
            ))
        }
    }

    let hermitian = match root.get("hermitian") {
        None => HermitianMode::Auto,
        Some(Value::String(s)) if s == "auto" => HermitianMode::Auto,
        Some(Value::String(s)) if s == "yes" => HermitianMode::Yes,
        Some(Value::Bool(true)) => HermitianMode::Yes,
        Some(Value::String(s)) if s == "no" => HermitianMode::No,
        Some(Value::Bool(false)) => HermitianMode::No,
        Some(other) => {
            return Err(input(
                None,
                format!("\"hermitian\" must be \"auto\", \"yes\" or \"no\", found {other}"),
            ))
        }
    };

    let names: Vec<&str> = std::iter::once("t")
        .chain(params.iter().map(|(n, _)| n.as_str()))
        .collect();
    let base = path.parent().unwrap_or(Path::new(""));
    let terms = parse_terms(root.get("terms"), "terms", &names, base, sparse, &input)?;
    let mass = match root.get("mass") {
        None => None,
        Some(list) => {
            let mass =
                parse_terms(Some(list), "mass", &names, base, sparse, &input).map_err(in_mass)?;
            let (n, nb) = (terms[0].1.shape().0, mass[0].1.shape().0);
            if n != nb {
                return Err(input(
                    None,
                    format!(
                        "\"mass\": B(t) is {nb}×{nb}, A(t) is {n}×{n}: they must have one size"
                    ),
                ));
            }
            Some(mass)
        }
    };
    Ok(Parts {
        range,
        hermitian,
        params,
        terms,
        mass,
    })
}

/// Parse one list of terms (`"terms"`, or `"mass"` for the B(t) of a pencil): each
/// `{"coef", "matrix" | "mtx"}`, square, all of one size.
fn parse_terms(
    list: Option<&Value>,
    key: &str,
    names: &[&str],
    base: &Path,
    sparse: bool,
    input: &dyn Fn(Option<usize>, String) -> Error,
) -> Result<Vec<(Expr, TermMatrix)>> {
    let terms = match list {
        Some(Value::Array(t)) if !t.is_empty() => t,
        Some(Value::Array(_)) => return Err(input(None, format!("\"{key}\" is empty"))),
        Some(other) => {
            return Err(input(
                None,
                format!("\"{key}\" must be an array, found {}", type_name(other)),
            ))
        }
        None => return Err(input(None, format!("missing \"{key}\""))),
    };
    let mut parsed: Vec<(Expr, TermMatrix)> = Vec::with_capacity(terms.len());
    for (k, term) in terms.iter().enumerate() {
        let Value::Object(term) = term else {
            return Err(input(
                Some(k),
                format!("a term must be an object, found {}", type_name(term)),
            ));
        };
        check_keys(term, &["coef", "matrix", "mtx"], "a term").map_err(|r| input(Some(k), r))?;
        let coef = match term.get("coef") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(x)) => x.to_string(),
            Some(other) => {
                return Err(input(
                    Some(k),
                    format!(
                        "\"coef\" must be a string or a number, found {}",
                        type_name(other)
                    ),
                ))
            }
            None => return Err(input(Some(k), "missing \"coef\"".into())),
        };
        let expr = Expr::parse(&coef, names).map_err(|e| with_term(e, k))?;
        let matrix = match (term.get("matrix"), term.get("mtx")) {
            (Some(m), None) => {
                let m = parse_matrix(m).map_err(|r| input(Some(k), r))?;
                if sparse {
                    TermMatrix::Sparse(m.to_sparse())
                } else {
                    TermMatrix::Dense(m)
                }
            }
            (None, Some(Value::String(file))) => {
                let file_path = base.join(file);
                if sparse {
                    TermMatrix::Sparse(simplify_sparse(
                        read_mtx_sparse(&file_path).map_err(|e| with_term(e, k))?,
                    ))
                } else {
                    TermMatrix::Dense(match read_mtx(&file_path).map_err(|e| with_term(e, k))? {
                        MtxMatrix::Real(a) => RawMatrix::Real(a),
                        MtxMatrix::Complex(a) => RawMatrix::Complex(a).simplify(),
                    })
                }
            }
            (None, Some(other)) => {
                return Err(input(
                    Some(k),
                    format!("\"mtx\" must be a file name, found {}", type_name(other)),
                ))
            }
            (Some(_), Some(_)) => {
                return Err(input(
                    Some(k),
                    "a term has either \"matrix\" or \"mtx\", not both".into(),
                ))
            }
            (None, None) => {
                return Err(input(
                    Some(k),
                    "missing the matrix: give \"matrix\" (rows) or \"mtx\" (a Matrix Market file)"
                        .into(),
                ))
            }
        };
        let (r, c) = matrix.shape();
        if r != c {
            return Err(input(Some(k), format!("the matrix is {r}×{c}, not square")));
        }
        if let Some((_, first)) = parsed.first() {
            let n = first.shape().0;
            if r != n {
                return Err(input(
                    Some(k),
                    format!(
                        "the matrix is {r}×{r}, terms[0] is {n}×{n}: all terms must have one size"
                    ),
                ));
            }
        }
        parsed.push((expr, matrix));
    }

    Ok(parsed)
}

/// An error in a term of `"mass"`: its reason says so (the term index alone would name
/// `"terms"`).
fn in_mass(e: Error) -> Error {
    match e {
        Error::Input {
            path,
            line,
            column,
            term,
            reason,
        } => Error::Input {
            path,
            line,
            column,
            term,
            reason: format!("in \"mass\": {reason}"),
        },
        Error::Expression {
            term,
            expr,
            position,
            reason,
        } => Error::Expression {
            term,
            expr,
            position,
            reason: format!("in \"mass\": {reason}"),
        },
        Error::Coefficient {
            term,
            expr,
            t,
            reason,
        } => Error::Coefficient {
            term,
            expr,
            t,
            reason: format!("in \"mass\": {reason}"),
        },
        e => e,
    }
}

/// The text of a family file, or [`Error::Input`] naming it.
fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::Input {
        path: path.display().to_string(),
        line: None,
        column: None,
        term: None,
        reason: format!("cannot read the family file: {e}"),
    })
}

impl FamilyFile {
    /// Read and parse a family file.
    ///
    /// # Errors
    /// [`Error::Input`] when the file cannot be read, and everything
    /// [`parse`](Self::parse) reports.
    pub fn load(path: &Path) -> Result<FamilyFile> {
        Self::parse(&read_text(path)?, path)
    }

    /// Parse the text of a family file; `path` names it in errors and its directory is
    /// where `mtx` files are looked up.
    ///
    /// # Errors
    /// [`Error::Input`] (malformed JSON with line and column, a wrong or missing key,
    /// a matrix of the wrong size with the term index, a missing or malformed `.mtx`
    /// file with its path and line) and [`Error::Expression`] (with the term index).
    pub fn parse(text: &str, path: &Path) -> Result<FamilyFile> {
        let parts = parse_parts(text, path, false)?;
        if parts.mass.is_some() {
            return Err(Error::Input {
                path: path.display().to_string(),
                line: None,
                column: None,
                term: None,
                reason: "\"mass\" (the B(t) of a pencil A(t)x = λB(t)x) is read by the sparse \
                         path (SparseFamilyFile, `eigentrack track --nearest K --sigma S`); a \
                         dense pencil is eigentrack::Pencil in the library"
                    .into(),
            });
        }
        let parsed: Vec<(Expr, RawMatrix)> = parts
            .terms
            .into_iter()
            .map(|(e, m)| match m {
                TermMatrix::Dense(m) => (e, m),
                TermMatrix::Sparse(_) => unreachable!("a dense parse reads dense matrices"),
            })
            .collect();
        let params = parts.params;
        let real = parsed
            .iter()
            .all(|(e, m)| e.is_real() && matches!(m, RawMatrix::Real(_)));
        let n = parsed[0].1.shape().0;
        let mut names_owned = vec!["t".to_string()];
        names_owned.extend(params.iter().map(|(n, _)| n.clone()));
        let values: Vec<f64> = params.iter().map(|&(_, v)| v).collect();
        let family = if real {
            FileFamily::Real(ExprFamily {
                n,
                names: names_owned,
                values,
                terms: parsed
                    .into_iter()
                    .map(|(e, m)| match m {
                        RawMatrix::Real(a) => (e, a),
                        RawMatrix::Complex(a) => (e, a.map(|z| z.re)),
                    })
                    .collect(),
            })
        } else {
            FileFamily::Complex(ExprFamily {
                n,
                names: names_owned,
                values,
                terms: parsed
                    .into_iter()
                    .map(|(e, m)| {
                        let c = m.to_complex();
                        (e, c)
                    })
                    .collect(),
            })
        };
        Ok(FamilyFile {
            path: path.to_path_buf(),
            range: parts.range,
            hermitian: parts.hermitian,
            family,
        })
    }

    /// The path the file was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// `range`: (t0, t1), t0 ≠ t1.
    pub fn range(&self) -> (f64, f64) {
        self.range
    }
    /// `hermitian` ([`HermitianMode::Auto`] when absent).
    pub fn hermitian(&self) -> HermitianMode {
        self.hermitian
    }
    /// The family.
    pub fn family(&self) -> &FileFamily {
        &self.family
    }
    /// The family, mutable (to set parameters).
    pub fn family_mut(&mut self) -> &mut FileFamily {
        &mut self.family
    }
    /// The family, by value.
    pub fn into_family(self) -> FileFamily {
        self.family
    }
}

/// The family of a [`SparseFamilyFile`]: [`SparseTerms`] in real or complex arithmetic
/// (the same choice as [`FileFamily`]).
///
/// ```
/// use eigentrack::family_file::{SparseFamilyFile, SparseFileFamily};
/// use eigentrack::sparse::SparseFamily;
///
/// let text = r#"{"range": [0, 1], "terms": [{"coef": "i*t", "matrix": [[1, 0], [0, 2]]}]}"#;
/// let fam = SparseFamilyFile::parse(text, "c.json".as_ref())?.into_family();
/// assert_eq!(fam.dim(), 2);
/// let SparseFileFamily::Complex(f) = fam else { unreachable!() };
/// let a = f.value(0.5); // i·t·diag(1, 2), stored as Re c·M + Im c·(iM)
/// assert_eq!(a.get_entry(1, 1).unwrap().into_value(), eigentrack::Complex64::new(0.0, 1.0));
/// # Ok::<(), eigentrack::Error>(())
/// ```
#[derive(Debug, Clone)]
pub enum SparseFileFamily {
    /// Every coefficient real (no `i`), every matrix real.
    Real(SparseTerms<f64>),
    /// Otherwise: each term c(t)·M is stored as Re c(t)·M + Im c(t)·(iM), the
    /// coefficient evaluated in complex arithmetic as on the dense path.
    Complex(SparseTerms<Complex64>),
}

impl SparseFileFamily {
    /// The size n of A(t).
    pub fn dim(&self) -> usize {
        match self {
            SparseFileFamily::Real(f) => f.size(),
            SparseFileFamily::Complex(f) => f.size(),
        }
    }
}

/// A family file read as a sparse family, for
/// [`Tracker::nearest`](crate::Tracker::nearest): the same format as [`FamilyFile`]
/// (see the [module documentation](self)), with `mtx` terms read straight into
/// compressed sparse columns ([`read_mtx_sparse`], no size
/// limit) and inline `matrix` rows converted to CSC; nothing of size n × n is stored.
///
/// The family ([`family`](Self::family)) is a [`SparseTerms`] whose coefficients are the
/// file's expressions, so A′(t) and A″(t) are exact (the expressions' jets, as on the
/// dense path). The parameters keep the values of the file. `hermitian` is read and
/// checked but not used by the sparse path, which finds out itself whether A(t) is
/// Hermitian.
///
/// ```
/// use eigentrack::family_file::{FamilyFile, SparseFamilyFile, SparseFileFamily};
/// use eigentrack::sparse::SparseFamily;
/// use eigentrack::MatrixFamily;
///
/// let text = r#"{"range": [0, 1], "params": {"g": 0.5},
///               "terms": [{"coef": "t^2", "matrix": [[1, 0, 0], [0, 2, 0], [0, 0, 3]]},
///                         {"coef": "g", "matrix": [[0, 1, 0], [1, 0, 0], [0, 0, 0]]}]}"#;
/// let file = SparseFamilyFile::parse(text, "f.json".as_ref())?;
/// let SparseFileFamily::Real(fam) = file.family() else { unreachable!() };
/// let j = fam.jet(2.0).unwrap(); // exact A, A′, A″ at t = 2
/// assert_eq!(j.a.get_entry(1, 1).unwrap().into_value(), 8.0);
/// assert_eq!(j.da.get_entry(1, 1).unwrap().into_value(), 8.0);
/// assert_eq!(j.dda.get_entry(2, 2).unwrap().into_value(), 6.0);
/// assert_eq!(j.a.get_entry(0, 1).unwrap().into_value(), 0.5);
/// // the dense loader gives the same matrices
/// let dense = FamilyFile::parse(text, "f.json".as_ref())?;
/// let eigentrack::family_file::FileFamily::Real(d) = dense.family() else { unreachable!() };
/// assert_eq!(d.value(2.0)[(2, 2)], 12.0);
/// # Ok::<(), eigentrack::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SparseFamilyFile {
    path: PathBuf,
    range: (f64, f64),
    hermitian: HermitianMode,
    params: Vec<(String, f64)>,
    exprs: Vec<Expr>,
    family: SparseFileFamily,
    mass: Option<SparseFileFamily>,
    mass_exprs: Vec<Expr>,
}

/// Σ cₖ(t) Mₖ as [`SparseTerms`] in real (`real`) or complex arithmetic, the coefficients
/// the expressions' jets in t (exact A′, A″).
fn sparse_terms(
    exprs: &[Expr],
    mats: Vec<SparseMtx>,
    values: &[f64],
    n: usize,
    real: bool,
) -> Result<SparseFileFamily> {
    if real {
        let mut fam = SparseTerms::<f64>::new(n);
        for (e, m) in exprs.iter().zip(mats) {
            let SparseMtx::Real(m) = m else {
                unreachable!("a real family")
            };
            let (e, values) = (e.clone(), values.to_vec());
            fam = fam.term(m, move |d: Dual2_64| {
                let vars: Vec<f64> = std::iter::once(d.re)
                    .chain(values.iter().copied())
                    .collect();
                let j = e.jet_unchecked(&vars, 0);
                dual_coef(j.value, j.d1, j.d2, d)
            })?;
        }
        return Ok(SparseFileFamily::Real(fam));
    }
    let mut fam = SparseTerms::<Complex64>::new(n);
    for (e, m) in exprs.iter().zip(mats) {
        let m = m.to_complex();
        let im = map_csc(&m, |z| z * Complex64::i());
        for (part, m) in [(0, m), (1, im)] {
            let (e, values) = (e.clone(), values.to_vec());
            fam = fam.term(m, move |d: Dual2_64| {
                let vars: Vec<Complex64> = std::iter::once(d.re)
                    .chain(values.iter().copied())
                    .map(Complex64::from)
                    .collect();
                let j = e.jet_unchecked(&vars, 0);
                let pick = |z: Complex64| if part == 0 { z.re } else { z.im };
                dual_coef(pick(j.value), pick(j.d1), pick(j.d2), d)
            })?;
        }
    }
    Ok(SparseFileFamily::Complex(fam))
}

/// c(t) as a coefficient of [`SparseTerms`]: the expression's jet in t composed with the
/// dual number (chain rule to second order).
fn dual_coef(c: f64, c1: f64, c2: f64, d: Dual2_64) -> Dual2_64 {
    Dual2_64::new(c, c1 * d.v1, c2 * d.v1 * d.v1 + c1 * d.v2)
}

impl SparseFamilyFile {
    /// Read and parse a family file as a sparse family.
    ///
    /// # Errors
    /// [`Error::Input`] when the file cannot be read, and everything
    /// [`parse`](Self::parse) reports.
    pub fn load(path: &Path) -> Result<SparseFamilyFile> {
        Self::parse(&read_text(path)?, path)
    }

    /// Parse the text of a family file as a sparse family; `path` names it in errors and
    /// its directory is where `mtx` files are looked up.
    ///
    /// # Errors
    /// As [`FamilyFile::parse`]: [`Error::Input`] (malformed JSON with line and column, a
    /// wrong or missing key, a matrix of the wrong size with the term index, a missing or
    /// malformed `.mtx` file with its path and line) and [`Error::Expression`] (with the
    /// term index); without the dense size limit of [`read_mtx`].
    pub fn parse(text: &str, path: &Path) -> Result<SparseFamilyFile> {
        let parts = parse_parts(text, path, true)?;
        let n = parts.terms[0].1.shape().0;
        let values: Vec<f64> = parts.params.iter().map(|&(_, v)| v).collect();
        let split = |terms: Vec<(Expr, TermMatrix)>| -> (Vec<Expr>, Vec<SparseMtx>) {
            terms
                .into_iter()
                .map(|(e, m)| match m {
                    TermMatrix::Sparse(m) => (e, m),
                    TermMatrix::Dense(_) => unreachable!("a sparse parse reads sparse matrices"),
                })
                .unzip()
        };
        let (exprs, mats) = split(parts.terms);
        let mass = parts.mass.map(split);
        let is_real = |exprs: &[Expr], mats: &[SparseMtx]| {
            exprs.iter().all(Expr::is_real) && mats.iter().all(|m| matches!(m, SparseMtx::Real(_)))
        };
        // A and B in one arithmetic: complex when either is
        let real = is_real(&exprs, &mats) && mass.as_ref().is_none_or(|(e, m)| is_real(e, m));
        let family = sparse_terms(&exprs, mats, &values, n, real)?;
        let (mass, mass_exprs) = match mass {
            Some((e, m)) => (Some(sparse_terms(&e, m, &values, n, real)?), e),
            None => (None, Vec::new()),
        };
        Ok(SparseFamilyFile {
            path: path.to_path_buf(),
            range: parts.range,
            hermitian: parts.hermitian,
            params: parts.params,
            exprs,
            family,
            mass,
            mass_exprs,
        })
    }

    /// The path the file was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// `range`: (t0, t1), t0 ≠ t1.
    pub fn range(&self) -> (f64, f64) {
        self.range
    }
    /// `hermitian` as written in the file ([`HermitianMode::Auto`] when absent); not used
    /// by the sparse path.
    pub fn hermitian(&self) -> HermitianMode {
        self.hermitian
    }
    /// The parameters and their values (those of the file).
    pub fn params(&self) -> Vec<(&str, f64)> {
        self.params.iter().map(|(n, v)| (n.as_str(), *v)).collect()
    }
    /// The size n of A(t).
    pub fn dim(&self) -> usize {
        self.family.dim()
    }
    /// The family.
    pub fn family(&self) -> &SparseFileFamily {
        &self.family
    }
    /// The family, by value.
    pub fn into_family(self) -> SparseFileFamily {
        self.family
    }
    /// B(t) of the pencil A(t)x = λB(t)x when the file has a `"mass"` list of terms (in
    /// the same arithmetic as [`family`](Self::family)); track it with
    /// [`Nearest::track_pencil`](crate::sparse::Nearest::track_pencil).
    pub fn mass(&self) -> Option<&SparseFileFamily> {
        self.mass.as_ref()
    }
    /// Check that every coefficient and its first two t-derivatives are finite at each
    /// `t` in `ts`, as [`ExprFamily::check_on`] (a non-finite A(t) traced back to its
    /// coefficient).
    ///
    /// # Errors
    /// [`Error::Coefficient`] with the term, the expression and the first bad `t`.
    pub fn check_on(&self, ts: &[f64]) -> Result<()> {
        let values: Vec<f64> = self.params.iter().map(|&(_, v)| v).collect();
        let check = |exprs: &[Expr]| match self.family {
            SparseFileFamily::Real(_) => check_exprs::<f64>(exprs.iter(), &values, ts),
            SparseFileFamily::Complex(_) => check_exprs::<Complex64>(exprs.iter(), &values, ts),
        };
        check(&self.exprs)?;
        check(&self.mass_exprs).map_err(in_mass)
    }
}
