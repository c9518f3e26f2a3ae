//! Sparse matrix families A(t): a sum of sparse terms with scalar coefficients (exact
//! derivatives), or a closure returning a sparse matrix (finite-difference derivatives).
//!
//! The public matrix type is nalgebra-sparse's [`CscMatrix`] with entries `f64` or
//! [`Complex64`]; inside, every matrix of a track lives as values on one shared pattern
//! (faer's sparse LU works on it).

use super::pattern::Pattern;
use crate::eigen::Element;
use crate::error::{At, Error, Result};
use nalgebra_sparse::CscMatrix;
use num_complex::Complex64;
use num_dual::Dual2_64;
use std::sync::Arc;

/// A sparse A(t) with its first and second derivatives at one t.
///
/// ```
/// use eigentrack::sparse::SparseJet;
/// use nalgebra_sparse::{CooMatrix, CscMatrix};
///
/// let mut coo = CooMatrix::new(2, 2);
/// coo.push(0, 0, 1.0);
/// let a = CscMatrix::from(&coo);
/// let jet = SparseJet { a: a.clone(), da: a.clone(), dda: CscMatrix::zeros(2, 2) };
/// assert_eq!(jet.da.nnz(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SparseJet<T> {
    /// A(t).
    pub a: CscMatrix<T>,
    /// A′(t).
    pub da: CscMatrix<T>,
    /// A″(t).
    pub dda: CscMatrix<T>,
}

/// A sparse matrix-valued function of one real parameter.
///
/// Implement [`value`](Self::value), and [`jet`](Self::jet) when the derivatives are known
/// exactly (by default they are taken by central finite differences with the steps of
/// [`finite_difference_jet`](crate::finite_difference_jet): relative error ≈ 4·10⁻¹¹ in
/// A′ and 1.5·10⁻⁸ in A″, five evaluations of A per point). Every closure
/// `Fn(f64) -> CscMatrix<T>` (T = `f64` or [`Complex64`]) is a family;
/// [`SparseTerms`] gives exact derivatives.
///
/// The matrices may change their pattern with t (entries that vanish may be left out);
/// the track then re-does the symbolic analysis of the LU factorisation, which costs a
/// little more.
///
/// ```
/// use eigentrack::sparse::SparseFamily;
/// use nalgebra_sparse::{CooMatrix, CscMatrix};
///
/// // the path graph Laplacian with a moving end: diag(t, 2, 2, …) − off-diagonals
/// let a = |t: f64| {
///     let n = 5;
///     let mut coo = CooMatrix::new(n, n);
///     for i in 0..n {
///         coo.push(i, i, if i == 0 { t } else { 2.0 });
///         if i + 1 < n {
///             coo.push(i, i + 1, -1.0);
///             coo.push(i + 1, i, -1.0);
///         }
///     }
///     CscMatrix::from(&coo)
/// };
/// assert_eq!(a.value(0.5).nnz(), 13);
/// assert!(a.jet(0.5).is_none()); // finite differences
/// ```
pub trait SparseFamily {
    /// Entry type: `f64` or [`Complex64`].
    type Elem: Element;
    /// A(t).
    fn value(&self, t: f64) -> CscMatrix<Self::Elem>;
    /// A(t), A′(t), A″(t) when they are known exactly; `None` (the default) has them taken
    /// by finite differences of [`value`](Self::value).
    fn jet(&self, t: f64) -> Option<SparseJet<Self::Elem>> {
        let _ = t;
        None
    }
}

impl<T: Element, F: Fn(f64) -> CscMatrix<T>> SparseFamily for F {
    type Elem = T;
    fn value(&self, t: f64) -> CscMatrix<T> {
        self(t)
    }
}

/// A coefficient function: c(t) evaluated at the dual number t + ε, giving c, c′, c″.
type Coef = Arc<dyn Fn(Dual2_64) -> Dual2_64 + Send + Sync>;

/// The family A(t) = Σₖ cₖ(t) Aₖ with sparse Aₖ and real scalar coefficients cₖ(t), with
/// exact A′ and A″.
///
/// Each coefficient is a closure over num-dual's [`Dual2_64`] (write it like a function of
/// a float: `|t| t.sin()`, `|t| t * t * 3.0`, constants as `Dual2_64::from(2.0)`); it is
/// evaluated at t + ε to read c(t), c′(t), c″(t) exactly. A complex coefficient of a
/// complex family is two terms: Re c · Aₖ and Im c · (i Aₖ).
///
/// ```
/// use eigentrack::sparse::{SparseFamily, SparseTerms};
/// use nalgebra_sparse::{CooMatrix, CscMatrix};
///
/// let mut d = CooMatrix::new(2, 2);
/// d.push(0, 0, 1.0);
/// d.push(1, 1, -1.0);
/// let mut x = CooMatrix::new(2, 2);
/// x.push(0, 1, 1.0);
/// x.push(1, 0, 1.0);
/// // A(t) = t·diag(1, −1) + 0.1·X
/// let fam = SparseTerms::new(2)
///     .term(CscMatrix::from(&d), |t| t)?
///     .constant(CscMatrix::from(&x))?;
/// let j = fam.jet(0.3).unwrap();
/// assert_eq!(j.a.values().len(), 4);
/// assert_eq!(fam.value(0.3).get_entry(1, 1).unwrap().into_value(), -0.3);
/// # Ok::<(), eigentrack::Error>(())
/// ```
#[derive(Clone)]
pub struct SparseTerms<T: Element> {
    n: usize,
    mats: Vec<CscMatrix<T>>,
    coefs: Vec<Coef>,
    /// The union of the terms' patterns and the diagonal, and where each term's entries go.
    pattern: Arc<Pattern>,
    maps: Vec<Vec<usize>>,
}

impl<T: Element> std::fmt::Debug for SparseTerms<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SparseTerms")
            .field("n", &self.n)
            .field("terms", &self.mats.len())
            .field("nnz", &self.pattern.nnz())
            .finish()
    }
}

impl<T: Element> SparseTerms<T> {
    /// An empty family of n × n matrices (A(t) = 0 until terms are added).
    pub fn new(n: usize) -> Self {
        SparseTerms {
            n,
            mats: Vec::new(),
            coefs: Vec::new(),
            pattern: Arc::new(Pattern::union::<T>(n, &[])),
            maps: Vec::new(),
        }
    }

    /// Add the term c(t)·`matrix`. Errors: `matrix` is not n × n
    /// ([`Error::DimensionMismatch`]) or has a non-finite entry ([`Error::NonFinite`],
    /// naming the term as `"terms[k]"` and the entry).
    pub fn term(
        mut self,
        matrix: CscMatrix<T>,
        coef: impl Fn(Dual2_64) -> Dual2_64 + Send + Sync + 'static,
    ) -> Result<Self> {
        if matrix.nrows() != self.n || matrix.ncols() != self.n {
            return Err(Error::DimensionMismatch {
                what: "a term of SparseTerms against its size n",
                expected_rows: self.n,
                expected_cols: self.n,
                found_rows: matrix.nrows(),
                found_cols: matrix.ncols(),
            });
        }
        check_finite(&matrix, term_name(self.mats.len()), None)?;
        self.mats.push(matrix);
        self.coefs.push(Arc::new(coef));
        let refs: Vec<&CscMatrix<T>> = self.mats.iter().collect();
        let pattern = Pattern::union(self.n, &refs);
        self.maps = self
            .mats
            .iter()
            .map(|m| {
                let mut map = Vec::with_capacity(m.nnz());
                for (i, j, _) in m.triplet_iter() {
                    map.push(pattern.position(i, j).unwrap_or(0));
                }
                map
            })
            .collect();
        self.pattern = Arc::new(pattern);
        Ok(self)
    }

    /// Add the constant term `matrix` (c = 1).
    pub fn constant(self, matrix: CscMatrix<T>) -> Result<Self> {
        self.term(matrix, |_| Dual2_64::from(1.0))
    }

    /// Matrix size n.
    pub fn size(&self) -> usize {
        self.n
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.mats.len()
    }

    /// Whether there are no terms.
    pub fn is_empty(&self) -> bool {
        self.mats.is_empty()
    }

    /// The three sums Σ cₖ⁽ᵈ⁾(t) Aₖ on the shared pattern.
    fn sums(&self, t: f64) -> [Vec<T>; 3] {
        let zero = T::from_f64(0.0);
        let nnz = self.pattern.nnz();
        let mut out = [vec![zero; nnz], vec![zero; nnz], vec![zero; nnz]];
        let seed = Dual2_64::from_re(t).derivative();
        for ((m, c), map) in self.mats.iter().zip(&self.coefs).zip(&self.maps) {
            let c = c(seed);
            for (v, &p) in m.values().iter().zip(map) {
                out[0][p] = out[0][p] + v.scale(c.re);
                out[1][p] = out[1][p] + v.scale(c.v1);
                out[2][p] = out[2][p] + v.scale(c.v2);
            }
        }
        out
    }

    fn csc(&self, vals: Vec<T>) -> CscMatrix<T> {
        let p = &self.pattern;
        CscMatrix::try_from_csc_data(
            self.n,
            self.n,
            p.col_ptr().to_vec(),
            p.row_idx().to_vec(),
            vals,
        )
        .expect("the union pattern is a valid CSC pattern")
    }
}

impl<T: Element> SparseFamily for SparseTerms<T> {
    type Elem = T;
    fn value(&self, t: f64) -> CscMatrix<T> {
        let [a, _, _] = self.sums(t);
        self.csc(a)
    }
    fn jet(&self, t: f64) -> Option<SparseJet<T>> {
        let [a, da, dda] = self.sums(t);
        Some(SparseJet {
            a: self.csc(a),
            da: self.csc(da),
            dda: self.csc(dda),
        })
    }
}

fn term_name(k: usize) -> &'static str {
    // the error's `what` is static: name the first terms, then a generic one
    const NAMES: [&str; 8] = [
        "terms[0]", "terms[1]", "terms[2]", "terms[3]", "terms[4]", "terms[5]", "terms[6]",
        "terms[7]",
    ];
    NAMES.get(k).copied().unwrap_or("a term (index ≥ 8)")
}

/// The first non-finite entry of `m` as an error naming `what`, its row and column, and t.
pub(crate) fn check_finite<T: Element>(
    m: &CscMatrix<T>,
    what: &'static str,
    t: Option<f64>,
) -> Result<()> {
    if m.values().iter().all(|v| v.non_finite().is_none()) {
        return Ok(());
    }
    for (row, col, v) in m.triplet_iter() {
        if let Some(value) = v.non_finite() {
            return Err(Error::NonFinite {
                what,
                row,
                col,
                value,
                at: At(t),
            });
        }
    }
    Ok(())
}

/// A(t), A′(t), A″(t) as values on one pattern (complex storage), and B(t), B′(t),
/// B″(t) of a pencil A(t)x = λB(t)x on the same pattern.
#[derive(Debug, Clone)]
pub(crate) struct Values {
    pub pattern: Arc<Pattern>,
    pub a: Vec<Complex64>,
    pub da: Vec<Complex64>,
    pub dda: Vec<Complex64>,
    /// B(t), B′(t), B″(t) of a pencil (None: B = I).
    pub b: Option<[Vec<Complex64>; 3]>,
    /// [`Pattern::norms`] of A(t): ‖A‖₁ and the sparse path's scale max(‖A‖₁, ‖A‖∞),
    /// computed once per t.
    pub norms: (f64, f64),
    /// Whether A(t) is Hermitian within [`HERMITIAN_TOL`](crate::eigen::HERMITIAN_TOL).
    pub a_hermitian: bool,
}

/// What one family gives at t before it is placed on the pattern: the exact jet, or the
/// values at t and at the four points of the difference stencil.
enum Raw<T: nalgebra::Scalar> {
    Exact([CscMatrix<T>; 3]),
    Stencil([f64; 5], [CscMatrix<T>; 5]),
}

impl<T: Element> Raw<T> {
    fn mats(&self) -> Vec<&CscMatrix<T>> {
        match self {
            Raw::Exact(m) => m.iter().collect(),
            Raw::Stencil(_, m) => m.iter().collect(),
        }
    }

    /// The placed values of [`mats`](Self::mats) turned into the jet (central
    /// differences for a stencil).
    fn finish(&self, mut v: Vec<Vec<Complex64>>) -> [Vec<Complex64>; 3] {
        match self {
            Raw::Exact(_) => {
                let (dda, da, a) = (v.pop().unwrap(), v.pop().unwrap(), v.pop().unwrap());
                [a, da, dda]
            }
            Raw::Stencil([t, tm2, tm1, tp1, tp2], _) => {
                let (ap2, ap1, am1, am2, a) = (
                    v.pop().unwrap(),
                    v.pop().unwrap(),
                    v.pop().unwrap(),
                    v.pop().unwrap(),
                    v.pop().unwrap(),
                );
                let d1 = 1.0 / (tp1 - tm1);
                let d2 = 1.0 / ((tp2 - t) * (t - tm2));
                let da = ap1.iter().zip(&am1).map(|(p, m)| (p - m) * d1).collect();
                let dda = ap2
                    .iter()
                    .zip(&am2)
                    .zip(&a)
                    .map(|((p, m), c)| (p + m - c * 2.0) * d2)
                    .collect();
                [a, da, dda]
            }
        }
    }
}

/// The mass family of a pencil, as a trait object.
pub(crate) type Mass<'a, T> = &'a dyn SparseFamily<Elem = T>;

/// Reads a [`SparseFamily`] at t into [`Values`] on a pattern kept across calls (rebuilt,
/// and counted, when a matrix leaves it), checking sizes and finiteness; with a mass
/// family B, the pencil's matrices on one union pattern.
pub(crate) struct Assembler<'a, F: SparseFamily + ?Sized> {
    family: &'a F,
    mass: Option<Mass<'a, F::Elem>>,
    pattern: Option<Arc<Pattern>>,
    n: Option<usize>,
    /// Patterns built (1 for a family whose pattern does not change).
    pub patterns: usize,
}

impl<'a, F: SparseFamily + ?Sized> Assembler<'a, F> {
    pub fn new(family: &'a F) -> Self {
        Assembler {
            family,
            mass: None,
            pattern: None,
            n: None,
            patterns: 0,
        }
    }

    /// The assembler of the pencil A(t)x = λB(t)x.
    pub fn pencil(family: &'a F, mass: Mass<'a, F::Elem>) -> Self {
        Assembler {
            mass: Some(mass),
            ..Self::new(family)
        }
    }

    /// Whether this reads a pencil (a mass family B).
    pub fn is_pencil(&self) -> bool {
        self.mass.is_some()
    }

    /// Check shape (square, non-empty, the size of the first t) and finiteness.
    fn check(&self, m: &CscMatrix<F::Elem>, what: &'static str, t: f64) -> Result<()> {
        let (rows, cols) = (m.nrows(), m.ncols());
        if rows == 0 || cols == 0 {
            return Err(Error::Empty {
                rows,
                cols,
                at: At(Some(t)),
            });
        }
        if rows != cols {
            return Err(Error::NotSquare {
                rows,
                cols,
                at: At(Some(t)),
            });
        }
        if let Some(expected) = self.n {
            if rows != expected {
                if what == "B" {
                    return Err(Error::ShapeMismatch {
                        what: "B(t) against A(t)",
                        expected: (expected, expected),
                        found: (rows, cols),
                        at: At(Some(t)),
                    });
                }
                return Err(Error::SizeChanged {
                    expected,
                    found: rows,
                    t,
                });
            }
        }
        check_finite(m, what, Some(t))
    }

    /// Values of each matrix on the kept pattern, extending the pattern when needed.
    fn place(&mut self, mats: &[&CscMatrix<F::Elem>]) -> Vec<Vec<Complex64>> {
        let conv = |v: F::Elem| v.to_c64();
        if let Some(p) = &self.pattern {
            let placed: Option<Vec<Vec<Complex64>>> =
                mats.iter().map(|m| p.scatter(m, conv)).collect();
            if let Some(v) = placed {
                return v;
            }
        }
        let n = mats[0].nrows();
        let mut all: Vec<&CscMatrix<F::Elem>> = mats.to_vec();
        let old = self.pattern.take();
        // keep the old entries too, so that patterns that alternate settle
        let keep;
        if let Some(p) = &old {
            keep = CscMatrix::try_from_pattern_and_values(
                nalgebra_sparse::pattern::SparsityPattern::try_from_offsets_and_indices(
                    n,
                    n,
                    p.col_ptr().to_vec(),
                    p.row_idx().to_vec(),
                )
                .expect("a kept pattern is valid"),
                vec![F::Elem::from_f64(0.0); p.nnz()],
            )
            .expect("sizes agree");
            all.push(&keep);
        }
        let p = Arc::new(Pattern::union(n, &all));
        self.patterns += 1;
        let out = mats
            .iter()
            .map(|m| p.scatter(m, conv).expect("the union holds every matrix"))
            .collect();
        self.pattern = Some(p);
        out
    }

    /// One family's matrices at t, checked: the exact jet, or the values on the stencil.
    fn raw<G: SparseFamily<Elem = F::Elem> + ?Sized>(
        &mut self,
        family: &G,
        what: &'static str,
        t: f64,
    ) -> Result<Raw<F::Elem>> {
        if let Some(j) = family.jet(t) {
            self.check(&j.a, what, t)?;
            self.n = Some(j.a.nrows());
            let derivs = if what == "B" {
                ["B'", "B''", "B'(t) or B''(t) against B(t)"]
            } else {
                ["A'", "A''", "A'(t) or A''(t) against A(t)"]
            };
            for (m, name) in [(&j.da, derivs[0]), (&j.dda, derivs[1])] {
                if m.nrows() != j.a.nrows() || m.ncols() != j.a.ncols() {
                    return Err(Error::DimensionMismatch {
                        what: derivs[2],
                        expected_rows: j.a.nrows(),
                        expected_cols: j.a.ncols(),
                        found_rows: m.nrows(),
                        found_cols: m.ncols(),
                    });
                }
                check_finite(m, name, Some(t))?;
            }
            return Ok(Raw::Exact([j.a, j.da, j.dda]));
        }
        let [tm2, tm1, tp1, tp2] = crate::family::stencil(t);
        let a = family.value(t);
        self.check(&a, what, t)?;
        self.n = Some(a.nrows());
        let others = [tm2, tm1, tp1, tp2].map(|s| (s, family.value(s)));
        for (s, m) in &others {
            self.check(m, what, *s)?;
        }
        let [o0, o1, o2, o3] = others.map(|(_, m)| m);
        Ok(Raw::Stencil([t, tm2, tm1, tp1, tp2], [a, o0, o1, o2, o3]))
    }

    /// A(t), A′(t), A″(t) (and B's with a pencil): exact from [`SparseFamily::jet`], or
    /// central differences.
    pub fn jet(&mut self, t: f64) -> Result<Values> {
        let ra = self.raw(self.family, "A", t)?;
        let rb = match self.mass {
            Some(mass) => Some(self.raw(mass, "B", t)?),
            None => None,
        };
        let mut mats = ra.mats();
        let na = mats.len();
        if let Some(rb) = &rb {
            mats.extend(rb.mats());
        }
        let mut placed = self.place(&mats);
        let vb = placed.split_off(na);
        let [a, da, dda] = ra.finish(placed);
        let pattern = self.pattern.clone().expect("placed");
        Ok(Values {
            norms: pattern.norms(&a),
            a_hermitian: pattern.is_hermitian(&a, crate::eigen::HERMITIAN_TOL),
            pattern,
            a,
            da,
            dda,
            b: rb.map(|rb| rb.finish(vb)),
        })
    }
}
