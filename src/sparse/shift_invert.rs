//! Shift-invert factorisations: faer's sparse LU of A(t) − sI, with the symbolic
//! analysis (fill-reducing ordering, elimination structure) done once per pattern and a
//! numeric factorisation per shift and t.
//!
//! A shift on (or within rounding of) an eigenvalue makes A − sI singular. That is
//! detected — a zero pivot, a non-finite solve, or a solve of a probe vector that grows by
//! more than [`SINGULAR_GROWTH`]/‖A‖₁ — and the shift is nudged by a small multiple of
//! ‖A‖₁ until the factorisation is sound ([`Factor::nudges`]).

use super::pattern::Pattern;
use crate::error::{Error, Result};
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::cholesky::ldlt::factor::LdltRegularization;
use faer::linalg::solvers::SolveCore;
use faer::sparse::linalg::cholesky::{
    factorize_symbolic_cholesky, LdltRef, SymbolicCholesky, SymbolicCholeskyRaw, SymmetricOrdering,
};
use faer::sparse::linalg::solvers::{Lu, SymbolicLu};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMat, SymbolicSparseColMatRef};
use faer::{Conj, MatMut, Par, Side};
use nalgebra::DMatrix;
use num_complex::Complex64;
use std::sync::{Arc, OnceLock};

/// A probe solve ‖(A − sI)⁻¹ b‖/‖b‖ above this over ‖A‖₁ marks the shift as (numerically)
/// an eigenvalue: a relative distance of 1e-11 at most.
pub(crate) const SINGULAR_GROWTH: f64 = 1e11;

/// A fixed pseudo-random probe vector with entries in [−1, 1).
fn probe(n: usize) -> DMatrix<Complex64> {
    DMatrix::from_fn(n, 1, |i, _| {
        let h = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
        Complex64::new(h as f64 / (1u64 << 52) as f64 - 1.0, 0.0)
    })
}

/// The symbolic analyses of one pattern, each made when first needed: LU (COLAMD) for
/// general shifted matrices, and LDLᵀ / Cholesky (lower triangle, AMD) for symmetric ones
/// and the check of a mass matrix.
pub(crate) struct Symbolic {
    pattern: Arc<Pattern>,
    structure: SymbolicSparseColMat<usize>,
    lu: OnceLock<std::result::Result<SymbolicLu<usize>, String>>,
    ldlt: OnceLock<Option<Arc<SymbolicCholesky<usize>>>>,
}

impl std::fmt::Debug for Symbolic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Symbolic")
            .field("n", &self.pattern.n())
            .finish()
    }
}

impl Symbolic {
    /// The analyses of `pattern`, made when first needed.
    pub fn new(pattern: Arc<Pattern>) -> Symbolic {
        let n = pattern.n();
        let structure = SymbolicSparseColMat::new_checked(
            n,
            n,
            pattern.col_ptr().to_vec(),
            None,
            pattern.row_idx().to_vec(),
        );
        Symbolic {
            pattern,
            structure,
            lu: OnceLock::new(),
            ldlt: OnceLock::new(),
        }
    }

    /// The symbolic LU analysis (COLAMD ordering and the supernodal structure of faer).
    fn lu(&self) -> Result<&SymbolicLu<usize>> {
        self.lu
            .get_or_init(|| {
                SymbolicLu::try_new(self.structure.as_ref()).map_err(|e| format!("{e:?}"))
            })
            .as_ref()
            .map_err(|e| Error::InvalidArgument {
                name: "A(t)",
                reason: format!("the symbolic LU analysis of its pattern failed: {e}"),
            })
    }

    /// The symbolic LDLᵀ analysis (lower triangle, AMD ordering), None when it fails.
    fn ldlt(&self) -> Option<&Arc<SymbolicCholesky<usize>>> {
        self.ldlt
            .get_or_init(|| {
                factorize_symbolic_cholesky(
                    self.structure.as_ref(),
                    Side::Lower,
                    SymmetricOrdering::Amd,
                    Default::default(),
                )
                .ok()
                .map(Arc::new)
            })
            .as_ref()
    }

    /// Whether this analysis belongs to `pattern`.
    pub fn is_for(&self, pattern: &Arc<Pattern>) -> bool {
        Arc::ptr_eq(&self.pattern, pattern)
    }
}

/// The numeric factors: LDLᵀ (no pivoting, AMD ordering) for a real symmetric A − sB —
/// a quarter of the LU's factorisation time on 2D grids — and LU otherwise, in real
/// arithmetic when A(t) and the shift are real (half the memory, a third of the flops of
/// the complex factors).
enum Factors {
    Ldlt {
        symbolic: Arc<SymbolicCholesky<usize>>,
        values: Vec<f64>,
    },
    Real(Lu<usize, f64>),
    Complex(Lu<usize, Complex64>),
}

/// A complex block solved with real factors: its real and imaginary parts as real columns
/// (only the real ones when the block is real), `solve(x, w)` in place on the n × w
/// column-major block x.
fn by_parts(b: &DMatrix<Complex64>, solve: impl FnOnce(&mut [f64], usize)) -> DMatrix<Complex64> {
    let (n, c) = b.shape();
    let real = b.iter().all(|z| z.im == 0.0);
    let w = if real { c } else { 2 * c };
    let mut x = vec![0.0; n * w];
    for (k, z) in b.as_slice().iter().enumerate() {
        x[k] = z.re;
        if !real {
            x[n * c + k] = z.im;
        }
    }
    solve(&mut x, w);
    DMatrix::from_fn(n, c, |i, j| {
        let re = x[i + n * j];
        let im = if real { 0.0 } else { x[n * c + i + n * j] };
        Complex64::new(re, im)
    })
}

/// Solve with real LDLᵀ factors in place (columns of length n, column-major): the
/// supernodal factors of large problems with [`supernodal`](super::supernodal)'s
/// block kernel, the simplicial ones of small problems with faer's solve.
fn ldlt_solve(symbolic: &SymbolicCholesky<usize>, values: &[f64], x: &mut [f64], n: usize) {
    if let SymbolicCholeskyRaw::Supernodal(s) = symbolic.raw() {
        let fwd = symbolic.perm().map(|p| p.arrays().0);
        return super::supernodal::solve_in_place(s, fwd, values, x, n);
    }
    let cols = x.len() / n.max(1);
    let mut mem = MemBuffer::new(symbolic.solve_in_place_scratch::<f64>(cols, Par::Seq));
    let view = MatMut::from_column_major_slice_mut(x, n, cols);
    LdltRef::new(symbolic, values).solve_in_place_with_conj(
        Conj::No,
        view,
        Par::Seq,
        MemStack::new(&mut mem),
    );
}

/// The LU factorisation of A(t) − sI.
pub(crate) struct Factor {
    lu: Factors,
    /// The shift s actually factorised (the target, nudged if it sat on an eigenvalue).
    pub shift: Complex64,
    /// The t of A(t).
    pub t: f64,
    /// How many times the shift had to be nudged off an eigenvalue.
    pub nudges: usize,
    /// The values of A(t) factorised (to measure how far a later A has moved).
    pub a: Vec<Complex64>,
    /// The values of B(t) of a pencil (A − sB factorised).
    pub b: Option<Vec<Complex64>>,
}

impl std::fmt::Debug for Factor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Factor")
            .field("shift", &self.shift)
            .field("t", &self.t)
            .finish()
    }
}

/// Smallest nudge, relative to ‖A‖₁.
const NUDGE: f64 = 1e-8;

impl Factor {
    /// Factorise A − sI (A − sB for a pencil, `b` the values of B) for the values `a` on
    /// the analysed pattern (`norm1` = ‖A‖₁), nudging s off an eigenvalue (at most 12
    /// times, by 1e-8·‖A‖₁ (1e-8·‖A‖₁/‖B‖₁ for a pencil) growing ×8 each time). With
    /// `symmetric` (A and B real symmetric, s real) an LDLᵀ factorisation is tried first;
    /// it is kept only when a probe solve has a backward error below 1e-10, otherwise
    /// LU is used.
    pub fn new(
        sym: &Symbolic,
        a: &[Complex64],
        b: Option<&[Complex64]>,
        shift: Complex64,
        norm1: f64,
        t: f64,
        symmetric: bool,
    ) -> Result<Factor> {
        let mut s = shift;
        let scale = norm1.max(f64::MIN_POSITIVE);
        // (‖B‖₁ only when the shift has to move)
        let unit = || match b {
            Some(b) => scale / sym.pattern.norms(b).0.max(f64::MIN_POSITIVE),
            None => scale,
        };
        for nudges in 0..12 {
            let make = |lu| Factor {
                lu,
                shift: s,
                t,
                nudges,
                a: a.to_vec(),
                b: b.map(<[Complex64]>::to_vec),
            };
            if symmetric && s.im == 0.0 {
                if let Some(f) = Self::try_ldlt(sym, a, b, s.re).map(make) {
                    if f.sound(sym.pattern.n(), scale) && f.accurate(sym, scale) {
                        return Ok(f);
                    }
                }
            }
            if let Some(lu) = Self::try_factor(sym, a, b, s)? {
                let f = make(lu);
                if f.sound(sym.pattern.n(), scale) {
                    return Ok(f);
                }
            }
            let step = NUDGE * unit() * 8f64.powi(nudges as i32);
            // a real shift stays real (real problems keep their conjugate symmetry)
            s = shift + Complex64::new(step, 0.0);
        }
        Err(Error::InvalidArgument {
            name: "sigma",
            reason: format!(
                "A(t) − σ{} stays singular at t = {t} for σ = {shift} and 12 nudges up to {:e}",
                if b.is_some() { "B(t)" } else { "I" },
                NUDGE * unit() * 8f64.powi(11)
            ),
        })
    }

    /// The values of A − sB (A − sI) on the pattern.
    fn shifted(
        sym: &Symbolic,
        a: &[Complex64],
        b: Option<&[Complex64]>,
        s: Complex64,
    ) -> Vec<Complex64> {
        let mut vals = a.to_vec();
        match b {
            Some(b) => vals.iter_mut().zip(b).for_each(|(v, bv)| *v -= s * bv),
            None => sym.pattern.diag().iter().for_each(|&d| vals[d] -= s),
        }
        vals
    }

    /// The LDLᵀ factors of the real symmetric A − sB; None when the analysis fails or a
    /// pivot is zero.
    fn try_ldlt(
        sym: &Symbolic,
        a: &[Complex64],
        b: Option<&[Complex64]>,
        s: f64,
    ) -> Option<Factors> {
        let symbolic = sym.ldlt()?.clone();
        let vals: Vec<f64> = Self::shifted(sym, a, b, Complex64::new(s, 0.0))
            .iter()
            .map(|z| z.re)
            .collect();
        let mat = SparseColMatRef::new(sym.structure.as_ref(), &vals);
        let mut values = vec![0.0; symbolic.len_val()];
        let mut mem = MemBuffer::new(
            symbolic.factorize_numeric_ldlt_scratch::<f64>(Par::Seq, Default::default()),
        );
        symbolic
            .factorize_numeric_ldlt(
                &mut values,
                mat,
                Side::Lower,
                LdltRegularization::default(),
                Par::Seq,
                MemStack::new(&mut mem),
                Default::default(),
            )
            .ok()?;
        Some(Factors::Ldlt { symbolic, values })
    }

    /// LDLᵀ without pivoting may grow: the backward error of a probe solve,
    /// ‖(A − sB)x − p‖/(‖A − sB‖₁‖x‖ + ‖p‖), must stay below 1e-10 (LU factors pass).
    fn accurate(&self, sym: &Symbolic, scale: f64) -> bool {
        if !matches!(self.lu, Factors::Ldlt { .. }) {
            return true;
        }
        let n = sym.pattern.n();
        let p = probe(n);
        let x = self.solve(&p, false);
        let vals = Self::shifted(sym, &self.a, self.b.as_deref(), self.shift);
        let r = sym.pattern.mul(&vals, &x) - &p;
        let norm = sym.pattern.norms(&vals).0.max(scale * f64::EPSILON);
        r.norm() <= 1e-10 * (norm * x.norm() + p.norm())
    }

    /// The LU factors of A − sB (A − sI); None when a pivot is zero.
    fn try_factor(
        sym: &Symbolic,
        a: &[Complex64],
        b: Option<&[Complex64]>,
        s: Complex64,
    ) -> Result<Option<Factors>> {
        let structure: SymbolicSparseColMatRef<'_, usize> = sym.structure.as_ref();
        let lu = sym.lu()?.clone();
        let vals = Self::shifted(sym, a, b, s);
        if vals.iter().all(|z| z.im == 0.0) {
            let vals: Vec<f64> = vals.iter().map(|z| z.re).collect();
            let mat = SparseColMatRef::new(structure, &vals);
            return Ok(Lu::try_new_with_symbolic(lu, mat).ok().map(Factors::Real));
        }
        let mat = SparseColMatRef::new(structure, &vals);
        Ok(Lu::try_new_with_symbolic(lu, mat)
            .ok()
            .map(Factors::Complex))
    }

    /// The check of a mass matrix B (values `b` on the analysed pattern): an estimate of
    /// its reciprocal condition number, ‖p‖/(‖B‖₁‖B⁻¹p‖) for a fixed probe p (0 when no
    /// factorisation exists or the solve is not finite; below 1/[`SINGULAR_GROWTH`] B
    /// counts as singular), and whether B is Hermitian positive definite. A `hermitian` B
    /// is first factorised by Cholesky (LLᴴ on the AMD analysis that the LDLᵀ
    /// factorisations of A − σB share): when that exists B is definite and the probe is
    /// solved with it; otherwise, and for a B that is not Hermitian, with its LU factors.
    pub fn mass_check(sym: &Symbolic, b: &[Complex64], hermitian: bool) -> Result<(f64, bool)> {
        let (norm1, _) = sym.pattern.norms(b);
        if norm1 == 0.0 {
            return Ok((0.0, false));
        }
        let p = probe(sym.pattern.n());
        let rcond = |x: &DMatrix<Complex64>| {
            let x = x.norm();
            if x.is_finite() && x > 0.0 {
                p.norm() / (norm1 * x)
            } else {
                0.0
            }
        };
        if hermitian {
            let solved = if b.iter().all(|z| z.im == 0.0) {
                let re: Vec<f64> = b.iter().map(|z| z.re).collect();
                let pr = p.map(|z| z.re);
                Self::cholesky_solve(sym, &re, pr).map(|x| x.map(|v| Complex64::new(v, 0.0)))
            } else {
                Self::cholesky_solve(sym, b, p.clone())
            };
            if let Some(x) = solved {
                return Ok((rcond(&x), true));
            }
        }
        // B − 0·I: the plain factorisation of B
        let Some(lu) = Self::try_factor(sym, b, None, Complex64::new(0.0, 0.0))? else {
            return Ok((0.0, false));
        };
        let f = Factor {
            lu,
            shift: Complex64::new(0.0, 0.0),
            t: 0.0,
            nudges: 0,
            a: Vec::new(),
            b: None,
        };
        Ok((rcond(&f.solve(&p, false)), false))
    }

    /// B⁻¹ x by the Cholesky factors of the Hermitian matrix with values `b` (lower
    /// triangle); None when B is not (numerically) positive definite.
    fn cholesky_solve<T: faer::traits::ComplexField + Copy>(
        sym: &Symbolic,
        b: &[T],
        mut x: DMatrix<T>,
    ) -> Option<DMatrix<T>> {
        let symbolic = sym.ldlt()?;
        let mat = SparseColMatRef::new(sym.structure.as_ref(), b);
        let mut values = vec![b[0]; symbolic.len_val()];
        let mut mem = MemBuffer::new(StackReq::any_of(&[
            symbolic.factorize_numeric_llt_scratch::<T>(Par::Seq, Default::default()),
            symbolic.solve_in_place_scratch::<T>(x.ncols(), Par::Seq),
        ]));
        let llt = symbolic
            .factorize_numeric_llt(
                &mut values,
                mat,
                Side::Lower,
                Default::default(),
                Par::Seq,
                MemStack::new(&mut mem),
                Default::default(),
            )
            .ok()?;
        let (n, c) = x.shape();
        llt.solve_in_place_with_conj(
            Conj::No,
            MatMut::from_column_major_slice_mut(x.as_mut_slice(), n, c),
            Par::Seq,
            MemStack::new(&mut mem),
        );
        Some(x)
    }

    /// A probe solve stays finite and bounded.
    fn sound(&self, n: usize, scale: f64) -> bool {
        let b = probe(n);
        let nb = b.norm();
        let x = self.solve(&b, false);
        let nx = x.norm();
        nx.is_finite() && nx <= SINGULAR_GROWTH / scale * nb
    }

    /// (A − sI)⁻¹ B or (A − sI)⁻ᵀ B for real factors and a real B (the real Davidson
    /// runs); complex factors go through [`solve`](Self::solve) and keep the real part.
    pub fn solve_real(&self, b: &DMatrix<f64>, adjoint: bool) -> DMatrix<f64> {
        match &self.lu {
            Factors::Ldlt { symbolic, values } => {
                // symmetric: the transposed solve is the same
                let mut x = b.clone();
                ldlt_solve(symbolic, values, x.as_mut_slice(), b.nrows());
                x
            }
            Factors::Real(lu) => {
                let mut x = b.clone();
                let (n, c) = x.shape();
                let view = MatMut::from_column_major_slice_mut(x.as_mut_slice(), n, c);
                if adjoint {
                    lu.solve_transpose_in_place_with_conj(Conj::No, view);
                } else {
                    lu.solve_in_place_with_conj(Conj::No, view);
                }
                x
            }
            Factors::Complex(_) => self
                .solve(&b.map(|v| Complex64::new(v, 0.0)), adjoint)
                .map(|z| z.re),
        }
    }

    /// (A − sI)⁻¹ B, or (A − sI)⁻ᴴ B with `adjoint`. Real factors solve the real and
    /// imaginary parts of B as real columns (only the real ones when B is real).
    pub fn solve(&self, b: &DMatrix<Complex64>, adjoint: bool) -> DMatrix<Complex64> {
        let (n, c) = b.shape();
        match &self.lu {
            Factors::Complex(lu) => {
                let mut x = b.clone();
                let view = MatMut::from_column_major_slice_mut(x.as_mut_slice(), n, c);
                if adjoint {
                    lu.solve_transpose_in_place_with_conj(Conj::Yes, view);
                } else {
                    lu.solve_in_place_with_conj(Conj::No, view);
                }
                x
            }
            Factors::Ldlt { symbolic, values } => {
                by_parts(b, |x, _| ldlt_solve(symbolic, values, x, n))
            }
            Factors::Real(lu) => by_parts(b, |x, w| {
                let view = MatMut::from_column_major_slice_mut(x, n, w);
                if adjoint {
                    lu.solve_transpose_in_place_with_conj(Conj::No, view);
                } else {
                    lu.solve_in_place_with_conj(Conj::No, view);
                }
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra_sparse::{CooMatrix, CscMatrix};

    fn setup(a: &CscMatrix<f64>) -> (Arc<Pattern>, Vec<Complex64>, Symbolic) {
        let pattern = Arc::new(Pattern::union(a.nrows(), &[a]));
        let vals = pattern.scatter(a, |v| Complex64::new(v, 0.0)).unwrap();
        let sym = Symbolic::new(pattern.clone());
        (pattern, vals, sym)
    }

    /// ‖(A − sI)x − b‖ / ‖b‖ for the factor's solve of a fixed b.
    fn backward(f: &Factor, pattern: &Pattern, vals: &[Complex64]) -> f64 {
        let n = pattern.n();
        let b = DMatrix::from_fn(n, 2, |i, j| {
            Complex64::new((i + 3 * j) as f64 % 7.0 - 3.0, 0.0)
        });
        let x = f.solve(&b, false);
        let mut shifted = vals.to_vec();
        pattern.diag().iter().for_each(|&d| shifted[d] -= f.shift);
        (pattern.mul(&shifted, &x) - &b).norm() / b.norm()
    }

    /// A symmetric indefinite A − sI (s inside the spectrum of a 1D Laplacian) is
    /// factorised by LDLᵀ and solves to rounding.
    #[test]
    fn symmetric_indefinite_shift_uses_ldlt() {
        let n = 200;
        let mut coo = CooMatrix::new(n, n);
        for i in 0..n {
            coo.push(i, i, 2.0);
            if i + 1 < n {
                coo.push(i, i + 1, -1.0);
                coo.push(i + 1, i, -1.0);
            }
        }
        let a = CscMatrix::from(&coo);
        let (pattern, vals, sym) = setup(&a);
        let s = Complex64::new(1.234_567, 0.0);
        let f = Factor::new(&sym, &vals, None, s, 4.0, 0.0, true).unwrap();
        assert!(matches!(f.lu, Factors::Ldlt { .. }));
        assert!(backward(&f, &pattern, &vals) <= 1e-12);
        // not declared symmetric: LU
        let f = Factor::new(&sym, &vals, None, s, 4.0, 0.0, false).unwrap();
        assert!(matches!(f.lu, Factors::Real(_)));
        assert!(backward(&f, &pattern, &vals) <= 1e-12);
    }

    /// A zero pivot (A − sI = [[0, 2], [2, 0]] blocks) makes LDLᵀ without pivoting fail:
    /// the LU with pivoting takes over and solves to rounding.
    #[test]
    fn zero_pivot_falls_back_to_lu() {
        let n = 10;
        let mut coo = CooMatrix::new(n, n);
        for b in 0..n / 2 {
            let (i, j) = (2 * b, 2 * b + 1);
            coo.push(i, i, 1.0);
            coo.push(j, j, 1.0);
            coo.push(i, j, 2.0);
            coo.push(j, i, 2.0);
        }
        let a = CscMatrix::from(&coo);
        let (pattern, vals, sym) = setup(&a);
        let f = Factor::new(&sym, &vals, None, Complex64::new(1.0, 0.0), 3.0, 0.0, true).unwrap();
        assert!(matches!(f.lu, Factors::Real(_)));
        assert_eq!(f.nudges, 0);
        assert!(backward(&f, &pattern, &vals) <= 1e-12);
    }

    /// The mass check on diagonal matrices with a known answer: diag(1, …, 100) is definite
    /// with rcond = ‖p‖/(100‖D⁻¹p‖) exactly; diag(±1, …) (symmetric, indefinite) is not
    /// definite and is checked by LU; a zero on the diagonal is singular; a complex
    /// Hermitian definite matrix is definite.
    #[test]
    fn mass_check_tells_definite_indefinite_and_singular() {
        let n = 100;
        let diag = |f: &dyn Fn(usize) -> f64| {
            let mut coo = CooMatrix::new(n, n);
            for i in 0..n {
                coo.push(i, i, f(i));
            }
            CscMatrix::from(&coo)
        };
        let exact = |d: &dyn Fn(usize) -> f64| {
            let p = probe(n);
            let big = (0..n).map(|i| d(i).abs()).fold(0.0, f64::max);
            let x: f64 = (0..n).map(|i| (p[i].re / d(i)).powi(2)).sum::<f64>().sqrt();
            p.norm() / (big * x)
        };
        let spd = |i: usize| 1.0 + i as f64;
        let (_, vals, sym) = setup(&diag(&spd));
        let (rcond, definite) = Factor::mass_check(&sym, &vals, true).unwrap();
        assert!(definite);
        assert!(
            (rcond - exact(&spd)).abs() <= 1e-12 * exact(&spd),
            "{rcond}"
        );
        let signs = |i: usize| {
            if i % 3 == 0 {
                -1.0 - i as f64
            } else {
                1.0 + i as f64
            }
        };
        let (_, vals, sym) = setup(&diag(&signs));
        let (rcond, definite) = Factor::mass_check(&sym, &vals, true).unwrap();
        assert!(!definite);
        assert!(
            (rcond - exact(&signs)).abs() <= 1e-12 * exact(&signs),
            "{rcond}"
        );
        let (_, vals, sym) = setup(&diag(&|i| if i == 7 { 0.0 } else { 1.0 }));
        let (rcond, definite) = Factor::mass_check(&sym, &vals, true).unwrap();
        assert!(!definite);
        assert!(rcond < 1.0 / SINGULAR_GROWTH, "{rcond}");
        // complex Hermitian: tridiag(−i, 3, i) is definite (Gershgorin)
        let mut coo = CooMatrix::new(n, n);
        for i in 0..n {
            coo.push(i, i, 3.0);
            if i + 1 < n {
                coo.push(i, i + 1, 1.0);
                coo.push(i + 1, i, 1.0);
            }
        }
        let (pattern, _, sym) = setup(&CscMatrix::from(&coo));
        let mut vals = vec![Complex64::new(0.0, 0.0); pattern.nnz()];
        for j in 0..n {
            let (a, b) = (pattern.col_ptr()[j], pattern.col_ptr()[j + 1]);
            for (v, &i) in vals[a..b].iter_mut().zip(&pattern.row_idx()[a..b]) {
                *v = match i.cmp(&j) {
                    std::cmp::Ordering::Equal => Complex64::new(3.0, 0.0),
                    std::cmp::Ordering::Less => Complex64::new(0.0, 1.0),
                    std::cmp::Ordering::Greater => Complex64::new(0.0, -1.0),
                };
            }
        }
        assert!(pattern.is_hermitian(&vals, 0.0));
        let (rcond, definite) = Factor::mass_check(&sym, &vals, true).unwrap();
        assert!(definite);
        // 1 ≤ λ ≤ 5: rcond of the probe between 1/5 and 1 (‖B‖₁ = 5)
        assert!((0.2 - 1e-12..=1.0).contains(&rcond), "{rcond}");
    }
}
