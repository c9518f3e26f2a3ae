//! Local questions about a few branches, answered on a projected model with a certificate.
//!
//! A step t₀ → t₁ whose pairing leaves a few branches in question (a pair that exchanges
//! order, a pairing that is not certain, two complex eigenvalues that pass close to each
//! other) is not refined by fresh decompositions of A. The question is about a group C of
//! k ≪ n branches, and it is answered on the *projected family* of that group:
//!
//! * **Basis.** X₀ = X(t₀)_C and X₁ = X(t₁)_D (D the eigenpairs the group goes to), with
//!   X₁ aligned to X₀ (the polar factor of X₁ᴴX₀ for Hermitian input; the oblique
//!   projection X₁·(Y₁ᴴX₀) with left basis Y₁·(Y₁ᴴX₀)⁻ᴴ otherwise). The subspace moves
//!   linearly, Q(s) = (1 − s)·X₀ + s·X₁ (s = (t − t₀)/h), and A(t) is the cubic Hermite
//!   interpolant of A, A′ at both ends (exact for affine and cubic families). Each of the
//!   four matrices is projected once (O(n²k)); the model at any s is then a k × k
//!   (generalised) eigenproblem, Rayleigh–Ritz (Hermitian) or Petrov–Galerkin. At both
//!   ends it reproduces the computed eigenvalues exactly.
//! * **Answer.** Hermitian: the gap between neighbouring model eigenvalues is scanned and
//!   each interior minimum located (Brent on the squared gap); a gap that closes is a
//!   crossing (the two branches exchange order), one that stays open an avoided
//!   crossing. Non-Hermitian: the model eigenvalues are continued analytically from t₀
//!   to t₁ (substeps on which each moves less than a fifth of its distance to the
//!   runner-up), which decides bounce or pass, and the closest approaches are located.
//! * **Certificate.** At each located minimum t* the true A(t*) is evaluated and the
//!   pair's Ritz vectors are re-read on it (Rayleigh–Ritz on their span): with residual
//!   ρ = ‖A(t*)U − UΘ‖ each true eigenvalue lies within ρ of its Ritz value (Kahan), and
//!   within ρ²/δ when the rest of the spectrum is at least δ away (δ from the endpoint
//!   decompositions, moved by ‖A(t*) − A(tₑ)‖_F by Weyl). Non-normal input: κ·ρ, κ the
//!   Ritz condition number. Where the interval [g − 2ρ_eff, g + 2ρ_eff] of the gap
//!   straddles the crossing tolerance, the basis is refined at t* (a correction step
//!   preconditioned by the endpoint eigenbasis, t* moved on the refined basis) a few
//!   times; what is still undecided is answered by the step controller with a fresh
//!   decomposition (a *fallback*).

use crate::eigen::clusters::columns;
use crate::eigen::{eig_with, Element, HermitianMode};
use crate::error::Result;
use crate::family::Jet;
use crate::linalg::{cabs, cdist, mul, mul_adj, mul_real, Operator};
use crate::perturb::Point;
use crate::tracking::Event;
use nalgebra::DMatrix;
use num_complex::Complex64;

/// Largest group a local model answers, in levels (a multiple eigenvalue that stays
/// multiple over the step counts once); larger ones fall back.
pub(crate) const MAX_GROUP: usize = 8;

/// Largest group a Hermitian local model answers, in branches.
const MAX_MEMBERS: usize = 4 * MAX_GROUP;

/// A column of X₀ (or X₁) that leaves the other end's subspace by more than this (in
/// norm) pulls the eigenpairs it leaks into into the group.
const LEAK: f64 = 0.3;

/// Substeps of the first scan of the model.
const SCAN: usize = 16;

/// A certificate whose t* wanders further than this fraction of the step from where the
/// model put the minimum is about another approach: it falls back.
const WANDER: f64 = 0.05;

/// Refinements of the basis at one minimum before falling back.
const REFINEMENTS: usize = 8;

/// The family as the local models see it: A(t) for the certificates, A′(t) for the
/// slopes of branches that meet at a located crossing.
pub(crate) trait Evaluate<T: Element> {
    /// A(t), checked for size and finiteness.
    fn value(&mut self, t: f64) -> Result<DMatrix<T>>;
    /// A′(t): exact where the family has it, finite differences otherwise.
    fn derivative(&mut self, t: f64) -> Result<DMatrix<T>>;
}

/// Tolerances of the local answers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Params {
    /// A gap below `gap_tol · ‖A‖_F` is a crossing.
    pub gap_tol: f64,
    /// Sample spacing |Δt| (an avoided crossing narrower than |Δslope| × spacing is sharp).
    pub spacing: f64,
    /// Avoided crossings with a gap below `avoided_gap_max · ‖A‖_F` are always reported.
    pub avoided_gap_max: f64,
    /// Whether events are wanted (otherwise only the pairing is decided).
    pub events: bool,
}

/// What the local models decided over one step.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Located events, branch ids of the old point.
    pub events: Vec<Event>,
    /// Avoided crossings seen (reported or not).
    pub avoided: usize,
    /// Local models built.
    pub models: usize,
    /// Evaluations of A(t) spent on certificates.
    pub evaluations: usize,
    /// Every pair (ascending branch ids of the old point) whose closest approach a model
    /// located.
    pub pairs: Vec<(usize, usize)>,
}

fn c(re: f64) -> Complex64 {
    Complex64::new(re, 0.0)
}

/// The typed jet kept by a point.
fn jet<T: Element>(p: &Point) -> Option<&Jet<T>> {
    p.jet.as_any().downcast_ref::<Jet<T>>()
}

/// Groups of old branches in question, closed under leaks: `seeds` merged where they
/// share a branch and grown by the eigenpairs their subspaces leak into. None when a
/// group outgrows [`MAX_GROUP`].
pub(crate) fn groups(
    s0: &Point,
    s1: &Point,
    perm: &[usize],
    seeds: &[Vec<usize>],
) -> Option<Vec<Vec<usize>>> {
    let n = s0.len();
    let mut inv = vec![0; n];
    for (i, &j) in perm.iter().enumerate() {
        inv[j] = i;
    }
    let mut owner: Vec<usize> = (0..n).collect();
    fn find(o: &mut [usize], mut i: usize) -> usize {
        while o[i] != i {
            o[i] = o[o[i]];
            i = o[i];
        }
        i
    }
    // a Hermitian group is counted in levels: a multiple eigenvalue of a symmetry comes
    // whole (its basis is arbitrary, the leaks pull in all its members)
    let hermitian = s0.left.is_none() && s1.left.is_none();
    let too_big = |set: &[usize]| {
        if hermitian {
            set.len() > MAX_MEMBERS || distinct(&levels(s0, s1, perm, set)) > MAX_GROUP
        } else {
            set.len() > MAX_GROUP
        }
    };
    let mut member = vec![false; n];
    for s in seeds {
        for &i in s {
            member[i] = true;
            let (a, b) = (find(&mut owner, s[0]), find(&mut owner, i));
            owner[b] = a;
        }
    }
    for _round in 0..4 {
        let mut grown = false;
        let mut sets: Vec<Vec<usize>> = Vec::new();
        let mut root_of = vec![usize::MAX; n];
        for i in (0..n).filter(|&i| member[i]) {
            let r = find(&mut owner, i);
            if root_of[r] == usize::MAX {
                root_of[r] = sets.len();
                sets.push(Vec::new());
            }
            sets[root_of[r]].push(i);
        }
        for set in &sets {
            if too_big(set) {
                return None;
            }
            let d: Vec<usize> = set.iter().map(|&i| perm[i]).collect();
            let add_old = leaks(s0, set, s1, &d);
            let add_new = leaks(s1, &d, s0, set);
            let mut add: Vec<usize> = add_old.into_iter().map(|j| inv[j]).collect();
            add.extend(add_new);
            for i in add {
                if !member[i] {
                    member[i] = true;
                    grown = true;
                }
                let (a, b) = (find(&mut owner, set[0]), find(&mut owner, i));
                owner[b] = a;
            }
        }
        if !grown {
            sets.retain(|s| !s.is_empty());
            return Some(sets);
        }
    }
    None
}

/// The level of each of the old branches `members`: branches equal at t₀ (one cluster)
/// that go to one cluster at t₁ are one level, a multiple eigenvalue that stays multiple
/// over the step (as under a symmetry); every other branch is a level of its own.
/// Levels are numbered by their first member.
fn levels(s0: &Point, s1: &Point, perm: &[usize], members: &[usize]) -> Vec<usize> {
    let key = |i: usize| (s0.cluster[i], s1.cluster[perm[i]]);
    (0..members.len())
        .map(|k| {
            (0..=k)
                .find(|&q| key(members[q]) == key(members[k]))
                .unwrap_or(k)
        })
        .collect()
}

/// The number of distinct entries of `ids`.
fn distinct(ids: &[usize]) -> usize {
    let mut v = ids.to_vec();
    v.sort_unstable();
    v.dedup();
    v.len()
}

/// The eigenpairs of `to` (outside `to_idx`) that the columns `from_idx` of `from` leak
/// into: empty when each column lies in span X(to)_{to_idx} up to [`LEAK`].
fn leaks(from: &Point, from_idx: &[usize], to: &Point, to_idx: &[usize]) -> Vec<usize> {
    let xf = columns(&from.x, from_idx);
    let xt = columns(&to.x, to_idx);
    let yt = columns(to.y(), to_idx);
    let coef = mul_adj(&yt, &xf);
    let rest = &xf - &xt * &coef;
    let worst = (0..from_idx.len())
        .map(|k| rest.column(k).norm())
        .fold(0.0, f64::max);
    if worst <= LEAK {
        return Vec::new();
    }
    // which eigenpairs of `to` take the leaking part: coefficients in its eigenbasis
    let all = mul_adj(to.y(), &rest);
    (0..to.len())
        .filter(|j| !to_idx.contains(j))
        .filter(|&j| (0..from_idx.len()).any(|k| cabs(all[(j, k)]) > 0.5 * LEAK))
        .collect()
}

/// The projected family of one group over the step.
struct Model {
    k: usize,
    t0: f64,
    h: f64,
    hermitian: bool,
    /// The model pencil (H(s) − μG(s), G(s)) as polynomials in s.
    pencil: Pencil<Complex64>,
    /// Its real part when the Hermitian model is real (a real symmetric family): its
    /// eigenvalues in real arithmetic.
    real: Option<Pencil<f64>>,
    /// The shift μ: the mean of the group's eigenvalues at t₀. The pencil's eigenvalues
    /// are λ − μ, small where the group is close, so that rounding is relative to the
    /// group's spread rather than to |λ|.
    shift: Complex64,
    /// Wₗᴴ W_r.
    gram: DMatrix<Complex64>,
    /// W_r = [X₀, X₁·T] and Wₗ = [Y₀, Y₁·T⁻ᴴ] (n × 2k; Wₗ = W_r for Hermitian input).
    wr: DMatrix<Complex64>,
    wl: DMatrix<Complex64>,
    /// A(t₀)·W_r and A′(t₀)·W_r, kept for the certificates of affine families.
    aw0: DMatrix<Complex64>,
    awd: DMatrix<Complex64>,
}

/// Eigenpairs of the model at one s: values and coefficient vectors (k × k) of the right
/// and left Ritz vectors in the basis Q(s).
struct Small {
    values: Vec<Complex64>,
    right: DMatrix<Complex64>,
    left: DMatrix<Complex64>,
}

impl Model {
    /// The right and left bases [X₀, X₁·T], [Y₀, Y₁·T⁻ᴴ] of a group (the left one is
    /// `None` on the Hermitian path, where it equals the right one), and T.
    #[allow(clippy::type_complexity)]
    fn bases(
        s0: &Point,
        s1: &Point,
        old: &[usize],
        new: &[usize],
    ) -> Option<(
        DMatrix<Complex64>,
        Option<DMatrix<Complex64>>,
        DMatrix<Complex64>,
    )> {
        let hermitian = s0.left.is_none() && s1.left.is_none();
        let x0 = columns(&s0.x, old);
        let x1 = columns(&s1.x, new);
        if hermitian {
            let t = mul_adj(&x1, &x0);
            let svd = t.svd(true, true);
            let r = svd.u? * svd.v_t?;
            Some((concat(&x0, &(&x1 * &r)), None, r))
        } else {
            let y0 = columns(s0.y(), old);
            let y1 = columns(s1.y(), new);
            let t = mul_adj(&y1, &x0);
            let ti = t.clone().try_inverse()?;
            Some((
                concat(&x0, &(&x1 * &t)),
                Some(concat(&y0, &(&y1 * ti.adjoint()))),
                t,
            ))
        }
    }

    /// The model from its bases and the products M·W_r of M = A(t₀), A′(t₀), A(t₁),
    /// A′(t₁) (computed for all groups of a step at once).
    fn from_products(
        s0: &Point,
        s1: &Point,
        old: &[usize],
        wr: DMatrix<Complex64>,
        wl: Option<DMatrix<Complex64>>,
        mw: [DMatrix<Complex64>; 4],
    ) -> Option<Model> {
        let k = wr.ncols() / 2;
        let hermitian = wl.is_none();
        let wl = wl.unwrap_or_else(|| wr.clone());
        let h = s1.t - s0.t;
        let proj = [
            mul_adj(&wl, &mw[0]),
            mul_adj(&wl, &mw[1]) * c(h),
            mul_adj(&wl, &mw[2]),
            mul_adj(&wl, &mw[3]) * c(h),
        ];
        let gram = mul_adj(&wl, &wr);
        let finite = proj
            .iter()
            .chain([&gram])
            .all(|m| m.iter().all(|z| z.re.is_finite() && z.im.is_finite()));
        let [aw0, awd, ..] = mw;
        let is_real = |m: &DMatrix<Complex64>| m.iter().all(|z| z.im == 0.0);
        let real_proj = hermitian && proj.iter().all(is_real) && is_real(&gram);
        let shift = old_mean(s0, old);
        let shift = if hermitian { c(shift.re) } else { shift };
        let pencil = Pencil::new(&proj, &gram, k, shift);
        let real = real_proj.then(|| {
            Pencil::new(
                &proj.each_ref().map(|m| m.map(|z| z.re)),
                &gram.map(|z| z.re),
                k,
                shift.re,
            )
        });
        finite.then_some(Model {
            k,
            t0: s0.t,
            h,
            hermitian,
            pencil,
            real,
            shift,
            gram,
            wr,
            wl,
            aw0,
            awd,
        })
    }

    /// Coefficients B(s)·z (2k × |cols|) in W of the model eigenvectors `cols` at s.
    fn coefficients(&self, s: f64, z: &DMatrix<Complex64>, cols: &[usize]) -> DMatrix<Complex64> {
        let k = self.k;
        let zc = columns(z, cols);
        let mut bz = DMatrix::zeros(2 * k, cols.len());
        bz.view_mut((0, 0), (k, cols.len()))
            .copy_from(&(&zc * c(1.0 - s)));
        bz.view_mut((k, 0), (k, cols.len()))
            .copy_from(&(&zc * c(s)));
        bz
    }

    fn t(&self, s: f64) -> f64 {
        self.t0 + s * self.h
    }

    /// (H(s) − μG(s), G(s)): the shifted model matrix and the Gram matrix on Q(s).
    fn at(&self, s: f64) -> (DMatrix<Complex64>, DMatrix<Complex64>) {
        self.pencil.at(s)
    }

    /// B(sₐ)ᴴ (WₗᴴW_r) B(s_b): the Gram matrix between the bases at two substeps.
    fn cross_gram(&self, sa: f64, sb: f64) -> DMatrix<Complex64> {
        let k = self.k;
        let g = &self.gram;
        let (a0, a1, b0, b1) = (c(1.0 - sa), c(sa), c(1.0 - sb), c(sb));
        g.view((0, 0), (k, k)) * (a0 * b0)
            + g.view((0, k), (k, k)) * (a0 * b1)
            + g.view((k, 0), (k, k)) * (a1 * b0)
            + g.view((k, k), (k, k)) * (a1 * b1)
    }

    /// Whether the Hermitian model's eigenpairs at ascending positions i < j exchange order
    /// between sa and sb: their eigenvectors at sa pair crosswise with those at sb.
    fn exchanges(&self, sa: f64, sb: f64, i: usize, j: usize) -> Option<bool> {
        let (ea, eb) = (self.eig(sa)?, self.eig(sb)?);
        let o = ea.right.adjoint() * self.cross_gram(sa, sb) * &eb.right;
        let same = o[(i, i)].norm_sqr() + o[(j, j)].norm_sqr();
        let cross = o[(i, j)].norm_sqr() + o[(j, i)].norm_sqr();
        Some(cross > same)
    }

    /// The Hermitian model's eigenvalues at s, ascending (closed forms for k ≤ 2: the
    /// pencil reduced by its 2 × 2 Cholesky factor, the gap as √((m₁₁ − m₂₂)² + 4|m₁₂|²)
    /// without cancellation).
    fn hermitian_values(&self, s: f64) -> Option<Vec<f64>> {
        match self.k {
            1 => {
                let (h, g) = self.at(s);
                Some(vec![h[(0, 0)].re / g[(0, 0)].re + self.shift.re])
            }
            2 => {
                let (h, g) = self.at(s);
                // G = L Lᴴ, L = [[l11, 0], [l21, l22]]; M = L⁻¹ H L⁻ᴴ
                let l11 = g[(0, 0)].re.sqrt();
                let l21 = g[(1, 0)] / l11;
                let l22 = (g[(1, 1)].re - l21.norm_sqr()).sqrt();
                if !(l11 > 0.0 && l22 > 0.0) {
                    return None;
                }
                // L⁻¹ = [[1/l11, 0], [−l21/(l11 l22), 1/l22]]
                let (a, b, d) = (c(1.0 / l11), -l21 / (l11 * l22), c(1.0 / l22));
                let (h11, h21, h22) = (h[(0, 0)].re, h[(1, 0)], h[(1, 1)].re);
                let m11 = a.re * a.re * h11;
                let m21 = b * a.re * h11 + d * a.re * h21;
                let m22 = b.norm_sqr() * h11 + 2.0 * (b.conj() * h21 * d).re + d.re * d.re * h22;
                let mid = 0.5 * (m11 + m22) + self.shift.re;
                let half = 0.5 * (m11 - m22).hypot(2.0 * m21.norm());
                Some(vec![mid - half, mid + half])
            }
            _ => self.values_only(s),
        }
    }

    /// The Hermitian model's eigenvalues at s for k ≥ 3, ascending, without eigenvectors
    /// (real arithmetic for a real model): M = L⁻¹HL⁻ᴴ by triangular solves, G = LLᴴ.
    fn values_only(&self, s: f64) -> Option<Vec<f64>> {
        let mut v = match &self.real {
            Some(real) => {
                let (h, g) = real.at(s);
                pencil_values(h, &g)?
            }
            None => {
                let (h, g) = self.at(s);
                pencil_values(h, &g)?
            }
        };
        if v.iter().any(|x| !x.is_finite()) {
            return None;
        }
        v.iter_mut().for_each(|x| *x += self.shift.re);
        v.sort_by(f64::total_cmp);
        Some(v)
    }

    /// The model's eigenpairs at s: Hermitian ascending; otherwise in solver order.
    fn eig(&self, s: f64) -> Option<Small> {
        let (h, g) = self.at(s);
        if self.hermitian {
            let chol = nalgebra::Cholesky::new((&g + g.adjoint()) * c(0.5))?;
            let l = chol.l();
            let li = l.clone().try_inverse()?;
            let m = &li * &h * li.adjoint();
            let m = (&m + m.adjoint()) * c(0.5);
            let e = m.symmetric_eigen();
            let mut order: Vec<usize> = (0..self.k).collect();
            order.sort_by(|&a, &b| e.eigenvalues[a].total_cmp(&e.eigenvalues[b]));
            let z = li.adjoint() * &e.eigenvectors;
            let z = columns(&z, &order);
            let values = order
                .iter()
                .map(|&i| c(e.eigenvalues[i] + self.shift.re))
                .collect();
            Some(Small {
                values,
                left: z.clone(),
                right: z,
            })
        } else {
            let gi = g.clone().try_inverse()?;
            let m = &gi * &h;
            let e = eig_with(&m, HermitianMode::No).ok()?;
            Some(Small {
                values: e.values().iter().map(|&v| v + self.shift).collect(),
                right: e.right().clone(),
                left: gi.adjoint() * e.left(),
            })
        }
    }

    /// The Ritz vectors of the Hermitian model's eigenpairs `cols` at s, orthonormalised
    /// (they are orthonormal up to rounding): their coefficients in W and the vectors.
    fn ritz_basis(
        &self,
        s: f64,
        e: &Small,
        cols: &[usize],
    ) -> Option<(DMatrix<Complex64>, DMatrix<Complex64>)> {
        let bz = self.coefficients(s, &e.right, cols);
        let u = mul(&self.wr, &bz);
        let chol = nalgebra::Cholesky::new(u.adjoint() * &u)?;
        let linv = chol.l().try_inverse()?;
        let coef = bz * linv.adjoint();
        let basis = mul(&self.wr, &coef);
        Some((coef, basis))
    }

    /// Right and left Ritz vectors (n × |cols|) of the model eigenpairs `cols` at s.
    fn vectors(
        &self,
        s: f64,
        e: &Small,
        cols: &[usize],
    ) -> (DMatrix<Complex64>, DMatrix<Complex64>) {
        (
            mul(&self.wr, &self.coefficients(s, &e.right, cols)),
            mul(&self.wl, &self.coefficients(s, &e.left, cols)),
        )
    }
}

/// The model pencil as polynomials in s: H(s) − μG(s) = Σ₀⁵ sᵈ Hᵈ and G(s) = Σ₀² sᵈ Gᵈ
/// (k × k), from the cubic Hermite interpolant Σᵢ wᵢ(s) Pᵢ of the four projections on
/// [X₀, X₁] folded onto Q(s) = (1 − s)X₀ + sX₁. Evaluated by Horner's rule: two
/// matrices per s, however often a search asks.
struct Pencil<T: nalgebra::ComplexField + Copy> {
    h: Vec<DMatrix<T>>,
    g: Vec<DMatrix<T>>,
}

impl<T: nalgebra::ComplexField + Copy> Pencil<T> {
    /// From the projections Wₗᴴ M W_r of M = A(t₀), h·A′(t₀), A(t₁), h·A′(t₁), the Gram
    /// matrix Wₗᴴ W_r (2k × 2k each) and the shift μ.
    fn new(proj: &[DMatrix<T>; 4], gram: &DMatrix<T>, k: usize, shift: T) -> Self {
        // the Hermite weights and the fold's weights (1 − s)², s(1 − s), s², ascending powers
        const W: [[f64; 4]; 4] = [
            [1.0, 0.0, -3.0, 2.0],
            [0.0, 1.0, -2.0, 1.0],
            [0.0, 0.0, 3.0, -2.0],
            [0.0, 0.0, -1.0, 1.0],
        ];
        const F: [[f64; 3]; 3] = [[1.0, -2.0, 1.0], [0.0, 1.0, -1.0], [0.0, 0.0, 1.0]];
        let parts = |m: &DMatrix<T>| {
            [
                m.view((0, 0), (k, k)).into_owned(),
                m.view((0, k), (k, k)) + m.view((k, 0), (k, k)),
                m.view((k, k), (k, k)).into_owned(),
            ]
        };
        let gp = parts(gram);
        // w₀ + w₂ = 1: shifting P₀ and P₂ by μ·Wₗᴴ W_r shifts H(s) by μG(s)
        let shifted = |m: &DMatrix<T>| m - gram * shift;
        let pp = [
            parts(&shifted(&proj[0])),
            parts(&proj[1]),
            parts(&shifted(&proj[2])),
            parts(&proj[3]),
        ];
        let r = |x: f64| nalgebra::convert::<f64, T>(x);
        let mut h = vec![DMatrix::<T>::zeros(k, k); 6];
        for (i, blocks) in pp.iter().enumerate() {
            for (p, &wp) in W[i].iter().enumerate().filter(|(_, w)| **w != 0.0) {
                for (b, block) in blocks.iter().enumerate() {
                    for (q, &fq) in F[b].iter().enumerate().filter(|(_, f)| **f != 0.0) {
                        h[p + q] += block * r(wp * fq);
                    }
                }
            }
        }
        let mut g = vec![DMatrix::<T>::zeros(k, k); 3];
        for (b, block) in gp.iter().enumerate() {
            for (q, &fq) in F[b].iter().enumerate().filter(|(_, f)| **f != 0.0) {
                g[q] += block * r(fq);
            }
        }
        Pencil { h, g }
    }

    /// (H(s) − μG(s), G(s)).
    fn at(&self, s: f64) -> (DMatrix<T>, DMatrix<T>) {
        let horner = |c: &[DMatrix<T>]| {
            let mut m = c[c.len() - 1].clone();
            for d in (0..c.len() - 1).rev() {
                m *= nalgebra::convert::<f64, T>(s);
                m += &c[d];
            }
            m
        };
        (horner(&self.h), horner(&self.g))
    }
}

/// The eigenvalues of the Hermitian pencil (H, G) with G = LLᴴ: those of L⁻¹HL⁻ᴴ, by
/// triangular solves (unsorted).
fn pencil_values<T: nalgebra::ComplexField<RealField = f64> + Copy>(
    h: DMatrix<T>,
    g: &DMatrix<T>,
) -> Option<Vec<f64>> {
    let half = nalgebra::convert::<f64, T>(0.5);
    let chol = nalgebra::Cholesky::new((g + g.adjoint()) * half)?;
    let l = chol.l();
    let mut x = h;
    if !l.solve_lower_triangular_mut(&mut x) {
        return None;
    }
    let mut m = x.adjoint();
    if !l.solve_lower_triangular_mut(&mut m) {
        return None;
    }
    let m = (&m + m.adjoint()) * half;
    Some(m.symmetric_eigenvalues().iter().copied().collect())
}

/// The mean of the old members' eigenvalues at t₀.
fn old_mean(s0: &Point, old: &[usize]) -> Complex64 {
    old.iter().map(|&i| s0.values[i]).sum::<Complex64>() / c(old.len().max(1) as f64)
}

/// The cubic Hermite basis at s ∈ [0, 1]: the weights of f(0), f′(0)·h, f(1), f′(1)·h.
pub(crate) fn hermite_weights(s: f64) -> [f64; 4] {
    let (s2, s3) = (s * s, s * s * s);
    [
        2.0 * s3 - 3.0 * s2 + 1.0,
        s3 - 2.0 * s2 + s,
        -2.0 * s3 + 3.0 * s2,
        s3 - s2,
    ]
}

fn concat(a: &DMatrix<Complex64>, b: &DMatrix<Complex64>) -> DMatrix<Complex64> {
    let mut m = DMatrix::zeros(a.nrows(), a.ncols() + b.ncols());
    m.view_mut((0, 0), a.shape()).copy_from(a);
    m.view_mut((0, a.ncols()), b.shape()).copy_from(b);
    m
}

/// Minimise `f` on [a, b] (Brent's method: golden section with parabolic steps) to a
/// relative precision of about 1e-12 of the interval; returns (x, f(x)).
fn brent_min(mut f: impl FnMut(f64) -> f64, a: f64, b: f64) -> (f64, f64) {
    const GOLD: f64 = 0.381_966_011_250_105;
    let (mut a, mut b) = (a, b);
    let mut x = a + GOLD * (b - a);
    let (mut w, mut v) = (x, x);
    let mut fx = f(x);
    let (mut fw, mut fv) = (fx, fx);
    let (mut d, mut e) = (0.0f64, 0.0f64);
    let tol_abs = 1e-14 * (b - a).abs().max(f64::MIN_POSITIVE);
    for _ in 0..100 {
        let m = 0.5 * (a + b);
        let tol = 1e-10 * x.abs() * 0.0 + tol_abs;
        if (x - m).abs() <= 2.0 * tol - 0.5 * (b - a) {
            break;
        }
        let mut golden = true;
        if e.abs() > tol {
            let r = (x - w) * (fx - fv);
            let q0 = (x - v) * (fx - fw);
            let mut p = (x - v) * q0 - (x - w) * r;
            let mut q = 2.0 * (q0 - r);
            if q > 0.0 {
                p = -p;
            }
            q = q.abs();
            if p.abs() < (0.5 * q * e).abs() && p > q * (a - x) && p < q * (b - x) {
                e = d;
                d = p / q;
                let u = x + d;
                if u - a < 2.0 * tol || b - u < 2.0 * tol {
                    d = if m >= x { tol } else { -tol };
                }
                golden = false;
            }
        }
        if golden {
            e = if x >= m { a - x } else { b - x };
            d = GOLD * e;
        }
        let u = if d.abs() >= tol {
            x + d
        } else {
            x + tol.copysign(d)
        };
        let fu = f(u);
        if fu <= fx {
            if u >= x {
                a = x;
            } else {
                b = x;
            }
            (v, fv, w, fw, x, fx) = (w, fw, x, fx, u, fu);
        } else {
            if u < x {
                a = u;
            } else {
                b = u;
            }
            if fu <= fw || w == x {
                (v, fv, w, fw) = (w, fw, u, fu);
            } else if fu <= fv || v == x || v == w {
                (v, fv) = (u, fu);
            }
        }
    }
    (x, fx)
}

/// A located closest approach of two model eigenvalues, before certification.
#[derive(Debug, Clone, Copy)]
struct Approach {
    s: f64,
    /// Positions of the pair in the model's eigenvalue list at s (Hermitian: ascending);
    /// for two levels of several members, the first of the lower one and the last of the
    /// upper one.
    i: usize,
    j: usize,
    /// Members of the lower level at s (1 for a pair).
    lower: usize,
    gap: f64,
    /// The scan's substeps on either side of the minimum: where the model's eigenvectors
    /// tell whether the pair exchanged order across it.
    bracket: (f64, f64),
}

/// A certified (or not) gap at t*.
#[derive(Debug, Clone)]
struct Certified {
    /// The pair's Ritz vectors on A(t*) (n × 2, orthonormal; n × m for two levels of m
    /// members together).
    vectors: DMatrix<Complex64>,
    /// Whether t* lies inside the step (false: the pair comes closest beyond an end of
    /// the step, and inside it the gap is smallest at that end: no event here).
    interior: bool,
    t: f64,
    gap: f64,
    lo: f64,
    hi: f64,
    value: Complex64,
    /// |d/dt (λ_b − λₐ)| of the diabatic states, √(½ d²(g²)/dt²), where known.
    slope_difference: f64,
}

impl Certified {
    /// The certificate of an interior pair at t from its two Ritz values and their error
    /// bounds: the gap |θₐ − θ_b| within ±(bound₀ + bound₁).
    fn of_pair(
        vectors: DMatrix<Complex64>,
        t: f64,
        theta: [Complex64; 2],
        bound: [f64; 2],
        slope_difference: f64,
    ) -> Certified {
        let g = cdist(theta[0], theta[1]);
        let err = bound[0] + bound[1];
        Certified {
            vectors,
            interior: true,
            t,
            gap: g,
            lo: (g - err).max(0.0),
            hi: g + err,
            value: (theta[0] + theta[1]) * 0.5,
            slope_difference,
        }
    }
}

/// Resolve the groups in question over the step s0 → s1 (s0 in branch order, s1 in
/// solver order, `perm[i]` the eigenpair of s1 that old branch i goes to). On success
/// `perm` holds the local models' pairing inside each group and the outcome lists the
/// events; `None` when a certificate fails (the caller falls back to a fresh
/// decomposition).
#[allow(clippy::too_many_arguments)]
pub(crate) fn resolve<T: Element>(
    family: &mut dyn Evaluate<T>,
    s0: &Point,
    s1: &Point,
    perm: &mut [usize],
    groups: &[Vec<usize>],
    params: &Params,
) -> Result<Option<Outcome>> {
    let mut out = Outcome::default();
    // A(t) = A(t₀) + (t − t₀)A′ exactly over the step: the certificates need no
    // evaluations of the family
    let zero = T::from_f64(0.0);
    let affine = match (jet::<T>(s0), jet::<T>(s1)) {
        (Some(j0), Some(j1))
            if j0.da == j1.da
                && j0.dda.iter().all(|x| *x == zero)
                && j1.dda.iter().all(|x| *x == zero) =>
        {
            Some(Affine {
                // ‖A′‖₂ ≤ its largest absolute row sum (A′ Hermitian)
                norm: max_row_sum(&j0.da),
                a0: Operator::new(&j0.a),
                da: Operator::new(&j0.da),
            })
        }
        _ => None,
    };
    // the bases of all groups, and their products with A, A′ at both ends in one
    // product each (A is read four times per step, not four times per group)
    let (Some(j0), Some(j1)) = (jet::<T>(s0), jet::<T>(s1)) else {
        return Ok(None);
    };
    let mut bases = Vec::with_capacity(groups.len());
    for old in groups {
        let new: Vec<usize> = old.iter().map(|&i| perm[i]).collect();
        let Some(b) = Model::bases(s0, s1, old, &new) else {
            return Ok(None);
        };
        bases.push(b);
    }
    // A(tₑ)·W: on the half of W that holds the eigenvectors of that end, X·Λ; on the other
    // half a product (for an affine family (A(t₁) − A(t₀))·W = h·A′·W, no product at
    // all). Defective groups (Jordan chains, where AX ≠ XΛ) take the plain products.
    let n = s0.x.nrows();
    let width: usize = bases.iter().map(|(w, ..)| w.ncols()).sum();
    let gather = |part: Option<usize>| {
        let cols: usize = match part {
            Some(_) => width / 2,
            None => width,
        };
        let mut m = DMatrix::zeros(n, cols);
        let mut at = 0;
        for (w, ..) in &bases {
            let k = w.ncols() / 2;
            let (from, len) = match part {
                Some(half) => (half * k, k),
                None => (0, 2 * k),
            };
            m.columns_mut(at, len).copy_from(&w.columns(from, len));
            at += len;
        }
        m
    };
    let all = gather(None);
    let defective = groups.iter().any(|old| {
        old.iter()
            .any(|&i| s0.defective[i] || s1.defective[perm[i]])
    });
    let (da0, da1) = match &affine {
        Some(aff) => {
            let d = aff.da.mul(&all);
            (d.clone(), d)
        }
        None => (
            Operator::new(&j0.da).mul(&all),
            Operator::new(&j1.da).mul(&all),
        ),
    };
    let full = defective.then(|| {
        [
            Operator::new(&j0.a).mul(&all),
            Operator::new(&j1.a).mul(&all),
        ]
    });
    let cross = (!defective && affine.is_none()).then(|| {
        [
            Operator::new(&j0.a).mul(&gather(Some(1))),
            Operator::new(&j1.a).mul(&gather(Some(0))),
        ]
    });
    let h = s1.t - s0.t;
    let mut at = 0;
    for (old, (wr, wl, r)) in groups.iter().zip(bases) {
        let new: Vec<usize> = old.iter().map(|&i| perm[i]).collect();
        let m = wr.ncols();
        let k = m / 2;
        let d0 = da0.columns(at, m).into_owned();
        let d1 = da1.columns(at, m).into_owned();
        let (a0w, a1w) = match (&full, &cross) {
            (Some([f0, f1]), _) => (
                f0.columns(at, m).into_owned(),
                f1.columns(at, m).into_owned(),
            ),
            _ => {
                let scaled = |x: DMatrix<Complex64>, v: Vec<Complex64>| {
                    let mut x = x;
                    for (mut col, z) in x.column_iter_mut().zip(v) {
                        col *= z;
                    }
                    x
                };
                let x0l = scaled(
                    wr.columns(0, k).into_owned(),
                    old.iter().map(|&i| s0.values[i]).collect(),
                );
                let x1lr = scaled(
                    columns(&s1.x, &new),
                    new.iter().map(|&j| s1.values[j]).collect(),
                ) * &r;
                let (a0_x1r, a1_x0) = match &cross {
                    Some([c0, c1]) => (
                        c0.columns(at / 2, k).into_owned(),
                        c1.columns(at / 2, k).into_owned(),
                    ),
                    None => (
                        &x1lr - d0.columns(k, k) * c(h),
                        &x0l + d0.columns(0, k) * c(h),
                    ),
                };
                (concat(&x0l, &a0_x1r), concat(&a1_x0, &x1lr))
            }
        };
        let mw = [a0w, d0, a1w, d1];
        at += m;
        let Some(model) = Model::from_products(s0, s1, old, wr, wl, mw) else {
            return Ok(None);
        };
        out.models += 1;
        let map = if model.hermitian {
            hermitian_group(
                family,
                &model,
                s0,
                s1,
                old,
                &new,
                perm,
                affine.as_ref(),
                params,
                &mut out,
            )?
        } else {
            general_group(family, &model, s0, s1, old, &new, params, &mut out)?
        };
        let Some(map) = map else {
            return Ok(None);
        };
        for (k, &i) in old.iter().enumerate() {
            perm[i] = new[map[k]];
        }
    }
    Ok(Some(out))
}

/// The t of a touching pair, polished from `t` to the root of the difference of its two
/// slopes (equal where the pair touches, and changing sign there: d = c·(t − t*)² has
/// d′ = 2c·(t − t*)), read on the pair's certified span `u` (n × 2): the Ritz pair of
/// A(t) on u, ascending (a touching pair keeps its order), and the slopes zᵢᴴ uᴴA′(t)u zᵢ.
/// Secant steps from t ± 10⁻⁴·|h|, at most eight, kept within |h|/4 of `t`; `t` itself
/// where the steps do not converge. Costs two evaluations (A and A′) a step.
fn polish_touching<T: Element>(
    family: &mut dyn Evaluate<T>,
    u: &DMatrix<Complex64>,
    t: f64,
    h: f64,
    out: &mut Outcome,
) -> Result<f64> {
    if u.ncols() != 2 {
        return Ok(t);
    }
    let mut f = |family: &mut dyn Evaluate<T>, t: f64| -> Result<f64> {
        out.evaluations += 2;
        let a = family.value(t)?;
        let da = family.derivative(t)?;
        let hm = mul_adj(u, &T::mul_complex(&a, u));
        let dm = mul_adj(u, &T::mul_complex(&da, u));
        let hm = (&hm + hm.adjoint()) * c(0.5);
        let e = hm.symmetric_eigen();
        let (lo, hi) = if e.eigenvalues[0] <= e.eigenvalues[1] {
            (0, 1)
        } else {
            (1, 0)
        };
        let slope = |k: usize| {
            let z = e.eigenvectors.column(k);
            (z.adjoint() * &dm * z)[(0, 0)].re
        };
        Ok(slope(hi) - slope(lo))
    };
    let w = 0.25 * h.abs();
    let tol = 1e-14 * h.abs().max(f64::MIN_POSITIVE) + 4.0 * f64::EPSILON * t.abs();
    let (mut ta, mut tb) = (t - 1e-4 * h.abs(), t + 1e-4 * h.abs());
    let (mut fa, mut fb) = (f(family, ta)?, f(family, tb)?);
    for _ in 0..8 {
        if !(fa.is_finite() && fb.is_finite()) || fa == fb {
            return Ok(t);
        }
        let next = tb - fb * (tb - ta) / (fb - fa);
        if !next.is_finite() || (next - t).abs() > w {
            return Ok(t);
        }
        if (next - tb).abs() <= tol {
            return Ok(next);
        }
        (ta, fa) = (tb, fb);
        tb = next;
        fb = f(family, tb)?;
        if fb == 0.0 {
            return Ok(tb);
        }
    }
    Ok(t)
}

/// Sorted positions of `idx` by the real part of `values`.
fn ascending(values: &[Complex64], idx: &[usize]) -> Vec<usize> {
    let mut o: Vec<usize> = (0..idx.len()).collect();
    o.sort_by(|&a, &b| values[idx[a]].re.total_cmp(&values[idx[b]].re));
    o
}

/// Sorted positions of the eigenpairs `idx` of `p` by the real part of their values as
/// they are a little way from `p.t` in the direction `side` (±1): values within `tied`
/// of each other (branches that meet on this sample) are ordered by side·slope, then by
/// curvature, so that both ends of a step read a pair that meets on a sample in the
/// order it has inside the step.
fn ascending_near(p: &Point, idx: &[usize], tied: f64, side: f64) -> Vec<usize> {
    let mut o = ascending(&p.values, idx);
    let re = |q: usize| p.values[idx[q]].re;
    let mut start = 0;
    while start < o.len() {
        let mut end = start + 1;
        while end < o.len() && re(o[end]) - re(o[end - 1]) <= tied {
            end += 1;
        }
        if end - start > 1 {
            o[start..end].sort_by(|&a, &b| {
                let (ia, ib) = (idx[a], idx[b]);
                (side * p.slopes[ia].re)
                    .total_cmp(&(side * p.slopes[ib].re))
                    .then(p.curv[ia].re.total_cmp(&p.curv[ib].re))
            });
        }
        start = end;
    }
    o
}

/// The Hermitian answer for one group: `map[k]` is the position in `new` that old member
/// k goes to.
#[allow(clippy::too_many_arguments)]
fn hermitian_group<T: Element>(
    family: &mut dyn Evaluate<T>,
    model: &Model,
    s0: &Point,
    s1: &Point,
    old: &[usize],
    new: &[usize],
    perm: &[usize],
    affine: Option<&Affine<'_, T>>,
    params: &Params,
    out: &mut Outcome,
) -> Result<Option<Vec<usize>>> {
    let k = model.k;
    let scale = s0.scale.max(s1.scale);
    // the levels of the group: members equal at both ends (a multiple eigenvalue that
    // stays multiple, as under a symmetry or a separable family) move as one, and gaps
    // are read between levels. Inside the step the model holds a level's values only
    // nearly equal (its subspace is interpolated), so a level is not told by a tolerance:
    // at each s the ascending values are cut at the `count − 1` widest gaps
    let lev = levels(s0, s1, perm, old);
    let count = distinct(&lev);
    let cut = (count < k).then_some(count);
    // scan the gaps of neighbouring model eigenvalues on substeps refined where a gap is
    // not resolved (smaller than a few times what the levels move across the substep)
    let Some(scan) = hermitian_scan(model, cut) else {
        return Ok(None);
    };
    let last = scan.len() - 1;
    // the gap between level l and level l + 1
    let gap_of = |v: &[f64], l: usize| match cut {
        None => v[l + 1] - v[l],
        Some(count) => {
            let st = level_starts(v, count);
            v[st[l + 1]] - v[st[l + 1] - 1]
        }
    };
    let gap_at = |s: f64, l: usize| -> f64 {
        model
            .hermitian_values(s)
            .map_or(f64::INFINITY, |v| gap_of(&v, l))
    };
    let tied = params.gap_tol * scale;
    let o0 = ascending_near(s0, old, tied, model.h.signum());
    let o1 = ascending_near(s1, new, tied, -model.h.signum());
    let mut approaches = Vec::new();
    for l in 0..count.saturating_sub(1) {
        let g: Vec<f64> = scan.iter().map(|(_, v)| gap_of(v, l)).collect();
        // discrete minima, the ends included (a minimum next to an end may lie inside)
        for q in 0..=last {
            let left = if q > 0 { g[q - 1] } else { f64::INFINITY };
            let right = if q < last { g[q + 1] } else { f64::INFINITY };
            if g[q] <= left && g[q] <= right && (q == 0 || g[q] < left || q == last) {
                let (lo, hi) = (scan[q.saturating_sub(1)].0, scan[(q + 1).min(last)].0);
                let (s, g2) = brent_min(
                    |s| {
                        let g = gap_at(s, l);
                        g * g
                    },
                    lo,
                    hi,
                );
                // a minimum at the start of the step belongs to the step before; one at
                // its end is this step's when the gap closes there or stops narrowing
                // (the slopes of the pair at t₁ agree or part), so that a minimum on a
                // sample is seen once
                let at_end = hi - s <= 1e-6 && q == last;
                let closed = g2.max(0.0).sqrt() <= params.gap_tol * scale;
                let parting = {
                    let b1 = level_starts(&scan[last].1, count)[l + 1];
                    let (lo1, hi1) = (new[o1[b1 - 1]], new[o1[b1]]);
                    let dg = (s1.slopes[hi1] - s1.slopes[lo1]).re * model.h.signum();
                    dg >= -1e-12 * (s1.slopes[hi1].norm() + s1.slopes[lo1].norm())
                };
                if s - lo <= 1e-6 && q == 0 || at_end && !closed && !parting {
                    continue;
                }
                // the positions of the two levels, read at the start of the bracket (where
                // two levels meet the cut between them is not told)
                let st = level_starts(&scan[q.saturating_sub(1)].1, count);
                // a gap that closes on the step's end is a meeting on the sample: whether
                // the pair exchanges there is seen only past it (the event scan decides
                // it from both sides); here the pair keeps its order
                if at_end && closed {
                    continue;
                }
                approaches.push(Approach {
                    s,
                    i: st[l],
                    j: st.get(l + 2).copied().unwrap_or(k) - 1,
                    lower: st[l + 1] - st[l],
                    gap: g2.max(0.0).sqrt(),
                    bracket: {
                        // the nearest substeps on either side where the gap has opened to
                        // 4 × (its minimum + the tolerance): far enough for the pair's
                        // vectors to have exchanged character at an exchange (a closed gap
                        // of rounding size rotates them within a tiny width) and near
                        // enough not to reach another meeting of the pair
                        let open = 4.0 * (g2.max(0.0).sqrt() + params.gap_tol * scale);
                        let before = (0..q).rev().find(|&r| g[r] >= open).unwrap_or(0);
                        let after = (q + 1..=last).find(|&r| g[r] >= open).unwrap_or(last);
                        (scan[before].0.min(lo), scan[after].0.max(hi))
                    },
                });
            }
        }
    }
    approaches.sort_by(|a, b| a.s.total_cmp(&b.s));
    // labels at the sorted positions, from the old members in ascending order
    let mut label: Vec<usize> = o0.clone();
    let tol = params.gap_tol * scale;
    // certify every approach, then take them in the order of their certified t*;
    // approaches at one t* (within 10⁻⁹ of the step) whose positions touch form a block:
    // levels that meet at one point, where adjacent exchanges alone cannot say who goes
    // where
    let mut certified = Vec::with_capacity(approaches.len());
    for ap in approaches {
        let cert = if ap.j == ap.i + 1 {
            let (a, b) = (old[label[ap.i]], old[label[ap.j]]);
            let ends = [[a, b], [new[o1[ap.i]], new[o1[ap.j]]]];
            certify(
                family, model, s0, s1, ends, old, perm, &ap, tol, affine, out,
            )?
        } else {
            let ends0: Vec<usize> = (ap.i..=ap.j).map(|p| old[label[p]]).collect();
            let ends1: Vec<usize> = (ap.i..=ap.j).map(|p| new[o1[p]]).collect();
            let site = (s0, s1, [&ends0[..], &ends1[..]], old, perm);
            certify_levels(family, model, site, &ap, tol, affine, out)?
        };
        let Some(cert) = cert else {
            return Ok(None);
        };
        if cert.hi > tol && cert.lo <= tol {
            return Ok(None);
        }
        // a model whose gap at its minimum is below a tenth of the true gap there is not
        // accurate enough inside this step (a family whose scale changes by orders of
        // magnitude over it, as t⁵ near 0): its minimum is none of the truth's, and the open
        // gap found there is no certified minimum either
        if cert.lo > tol && ap.gap < 0.1 * cert.gap {
            return Ok(None);
        }
        certified.push((ap, cert));
    }
    let dir = model.h.signum();
    certified.sort_by(|x, y| (dir * x.1.t).total_cmp(&(dir * y.1.t)));
    // certified t* are known to about ε·t: a tiny step must still see one point
    let close = 1e-9 * model.h.abs() + 1e-12 * s0.t.abs().max(s1.t.abs());
    let mut q = 0;
    while q < certified.len() {
        // the approaches at this t*, then the connected stretch of positions of the first
        let mut run = q + 1;
        while run < certified.len() && (certified[run].1.t - certified[q].1.t).abs() <= close {
            run += 1;
        }
        certified[q..run].sort_by_key(|(ap, _)| (ap.i, ap.j));
        let (lo_pos, mut hi_pos) = (certified[q].0.i, certified[q].0.j);
        let mut end = q + 1;
        while end < run && certified[end].0.i <= hi_pos {
            hi_pos = hi_pos.max(certified[end].0.j);
            end += 1;
        }
        // one approach per pair of positions
        let mut seen = Vec::new();
        let mut k2 = q;
        while k2 < end {
            let key = (certified[k2].0.i, certified[k2].0.j);
            if seen.contains(&key) {
                certified.remove(k2);
                end -= 1;
            } else {
                seen.push(key);
                k2 += 1;
            }
        }
        let block = &certified[q..end];
        let crossed = block.iter().filter(|(_, c)| c.hi <= tol).count();
        if crossed == 0 {
            for (ap, cert) in block.iter().filter(|(_, c)| c.interior) {
                let (a, b) = (old[label[ap.i]], old[label[ap.j]]);
                out.pairs.push((a.min(b), a.max(b)));
                out.avoided += 1;
                avoided_event(out, params, cert, scale, a, b);
            }
        } else if crossed != block.len() {
            // crossings and avoided crossings at one point: not decided here
            return Ok(None);
        } else {
            // the levels at positions lo..=hi meet at t*: to first order λ = λ* + sₓ(t − t*),
            // so their order before the point is that of their slopes (descending when t
            // grows) and after it the reverse
            let members: Vec<usize> = (lo_pos..=hi_pos).map(|p| old[label[p]]).collect();
            let m = members.len();
            let t_star = block.iter().map(|(_, c)| c.t).sum::<f64>() / block.len() as f64;
            let value =
                block.iter().map(|(_, c)| c.value).sum::<Complex64>() / c(block.len() as f64);
            let level = |b: usize| old.iter().position(|&o| o == b).map(|p| lev[p]);
            let several =
                (0..m).any(|x| (x + 1..m).any(|y| level(members[x]) == level(members[y])));
            // exact slopes: the eigenvalues of UᴴA′(t*)U on the span U of the certified
            // Ritz vectors (degenerate perturbation theory); also what tells levels of
            // several members that cross from levels that touch
            let asc = if params.events || several {
                let s_star = block.iter().map(|(ap, _)| ap.s).sum::<f64>() / block.len() as f64;
                let Some(e) = model.eig(s_star) else {
                    return Ok(None);
                };
                let positions: Vec<usize> = (lo_pos..=hi_pos).collect();
                let from_model = &model.wr * model.coefficients(s_star, &e.right, &positions);
                let Some(asc) = meeting_slopes(family, t_star, block, &from_model)? else {
                    return Ok(None);
                };
                asc
            } else {
                Vec::new()
            };
            // levels of several members meeting with one slope touch (an exact double
            // root, as separable families have): they keep their order. A spread of
            // slopes that is neither rounding nor clearly open is not decided here
            let touching = if several {
                let size = asc.iter().fold(f64::MIN_POSITIVE, |a, x| a.max(x.abs()));
                let spread = asc[m - 1] - asc[0];
                if spread > 1e-9 * size && spread < 1e-6 * size {
                    return Ok(None);
                }
                spread <= 1e-9 * size
            } else if m == 2 && block.len() == 1 {
                // a pair whose gap closes: a crossing when the analytic branches exchange
                // order across the point (odd-order contact), a touching when they do not
                // (even order: ±t², a tangency); told by the model's eigenvectors on
                // either side of it
                let (ap, _) = &block[0];
                match model.exchanges(ap.bracket.0, ap.bracket.1, ap.i, ap.j) {
                    Some(exchange) => !exchange,
                    None => return Ok(None),
                }
            } else {
                false
            };
            if params.events && touching && !several {
                // a touching's gap is quadratic in t − t*: its minimum is flat, and t* is
                // read from the root of the slope difference instead
                let t_star = polish_touching(family, &block[0].1.vectors, t_star, model.h, out)?;
                let (a, b) = (members[0], members[1]);
                let mean = c(0.5 * (asc[0] + asc[1]));
                out.events.push(Event::Touching {
                    t: t_star,
                    branches: [a.min(b), a.max(b)],
                    value,
                    slopes: [mean, mean],
                });
            } else if params.events {
                let slope = |r: usize| c(if dir > 0.0 { asc[m - 1 - r] } else { asc[r] });
                for x in 0..m {
                    for y in x + 1..m {
                        let (a, b) = (members[x], members[y]);
                        // the members of one level stay together: no crossing
                        if level(a) == level(b) {
                            continue;
                        }
                        let slopes = if a < b {
                            [slope(x), slope(y)]
                        } else {
                            [slope(y), slope(x)]
                        };
                        out.events.push(Event::Crossing {
                            t: t_star,
                            branches: [a.min(b), a.max(b)],
                            value,
                            slopes,
                        });
                    }
                }
            }
            for x in 0..m {
                for y in x + 1..m {
                    let (a, b) = (members[x], members[y]);
                    out.pairs.push((a.min(b), a.max(b)));
                }
            }
            if !touching {
                label[lo_pos..=hi_pos].reverse();
            }
        }
        q = end;
    }
    let mut map = vec![0; k];
    for p in 0..k {
        map[label[p]] = o1[p];
    }
    Ok(Some(map))
}

/// The ascending slopes of the m levels that meet at `t`: the eigenvalues of UᴴA′(t)U on
/// the m-dimensional span U of the block's certified Ritz vectors (completed by the
/// model's m eigenvectors `from_model` where pairs inside an exactly degenerate block
/// share vectors); `None` when that span is not m-dimensional.
fn meeting_slopes<T: Element>(
    family: &mut dyn Evaluate<T>,
    t: f64,
    block: &[(Approach, Certified)],
    from_model: &DMatrix<Complex64>,
) -> Result<Option<Vec<f64>>> {
    let (n, m) = from_model.shape();
    let certified: usize = block.iter().map(|(_, cert)| cert.vectors.ncols()).sum();
    let mut all = DMatrix::<Complex64>::zeros(n, certified + m);
    let mut at = 0;
    for (_, cert) in block {
        let w = cert.vectors.ncols();
        all.columns_mut(at, w).copy_from(&cert.vectors);
        at += w;
    }
    // the model's vectors weigh less: the certified ones lead where they span
    all.columns_mut(certified, m)
        .copy_from(&(from_model * c(0.25)));
    let svd = all.svd(true, false);
    let Some(u) = svd.u else {
        return Ok(None);
    };
    let mut order: Vec<usize> = (0..svd.singular_values.len()).collect();
    order.sort_by(|&x, &y| svd.singular_values[y].total_cmp(&svd.singular_values[x]));
    if order.len() < m || svd.singular_values[order[m - 1]] < 0.1 {
        return Ok(None);
    }
    let u = columns(&u, &order[..m]);
    let da = family.derivative(t)?;
    let s = mul_adj(&u, &T::mul_complex(&da, &u));
    let s = (&s + s.adjoint()) * c(0.5);
    let mut asc: Vec<f64> = s.symmetric_eigenvalues().iter().copied().collect();
    asc.sort_by(f64::total_cmp);
    Ok(Some(asc))
}

/// The Hermitian model's ascending eigenvalues on [0, 1]: [`SCAN`] substeps, each split
/// while the model's eigenvectors at its ends do not pair in ascending order (an
/// overlap |zₐᴴ B(sₐ)ᴴ W ᴴW B(s_b) z_b| below 0.9 on the diagonal: levels exchange or mix
/// inside), down to 2⁻¹² of a substep, so that levels meeting in quick succession are
/// seen one by one. With levels of several members (`levels`: their count, see
/// [`level_starts`]) an eigenvector pairs with its level's span at s_b.
fn hermitian_scan(model: &Model, levels: Option<usize>) -> Option<Vec<(f64, Vec<f64>)>> {
    let k = model.k;
    let paired = |sa: f64, za: &Small, sb: f64, zb: &Small| {
        let m = model.cross_gram(sa, sb);
        let o = za.right.adjoint() * m * &zb.right;
        match levels {
            None => (0..k).all(|i| o[(i, i)].norm() >= 0.9),
            Some(count) => {
                let values: Vec<f64> = zb.values.iter().map(|z| z.re).collect();
                let starts = level_starts(&values, count);
                (0..count).all(|r| {
                    let span = starts[r]..starts.get(r + 1).copied().unwrap_or(k);
                    span.clone()
                        .all(|i| span.clone().map(|j| o[(i, j)].norm_sqr()).sum::<f64>() >= 0.81)
                })
            }
        }
    };
    let at = |s: f64| model.eig(s).map(|e| (s, e));
    let mut out: Vec<(f64, Small)> = vec![at(0.0)?];
    for q in 1..=SCAN {
        let mut stack = vec![at(q as f64 / SCAN as f64)?];
        while let Some((sb, eb)) = stack.pop() {
            let (sa, ea) = out.last()?;
            if sb - *sa > 1.0 / (SCAN as f64 * 4096.0) && !paired(*sa, ea, sb, &eb) {
                let sm = 0.5 * (sa + sb);
                stack.push((sb, eb));
                stack.push(at(sm)?);
            } else {
                out.push((sb, eb));
            }
        }
    }
    Some(
        out.into_iter()
            .map(|(s, e)| (s, e.values.iter().map(|z| z.re).collect()))
            .collect(),
    )
}

/// The first position of each of `count` levels in ascending values `v`: cuts at the
/// `count − 1` widest gaps between neighbours (every position when `count` is `v.len()`).
fn level_starts(v: &[f64], count: usize) -> Vec<usize> {
    if count >= v.len() {
        return (0..v.len()).collect();
    }
    let mut gaps: Vec<usize> = (1..v.len()).collect();
    gaps.sort_by(|&a, &b| (v[b] - v[b - 1]).total_cmp(&(v[a] - v[a - 1])));
    let mut starts = vec![0];
    starts.extend_from_slice(&gaps[..count.saturating_sub(1)]);
    starts.sort_unstable();
    starts
}

/// Record an avoided crossing as an event when it is sharp (narrower than the grid can
/// show) or below the user's threshold.
fn avoided_event(
    out: &mut Outcome,
    params: &Params,
    cert: &Certified,
    scale: f64,
    a: usize,
    b: usize,
) {
    let sharp = cert.gap < cert.slope_difference * params.spacing;
    if params.events && (sharp || cert.gap < params.avoided_gap_max * scale) {
        out.events.push(Event::AvoidedCrossing {
            t: cert.t,
            branches: [a.min(b), a.max(b)],
            gap: cert.gap,
            value: cert.value,
            gap_bounds: [cert.lo, cert.hi],
            slope_difference: cert.slope_difference,
        });
    }
}

/// Certify the gap of an approach: Rayleigh–Ritz of the pair on the true A(t*), residual
/// bounds, and while the gap interval straddles `tol` at most [`REFINEMENTS`] refinements
/// (basis grown by the residual corrections preconditioned by the nearer endpoint's
/// eigenbasis, t* moved to the gap minimum on the grown basis). `ends` are the pair's
/// members at t₀ and at t₁ (excluded from the rest of the spectrum).
#[allow(clippy::too_many_arguments)]
fn certify<T: Element>(
    family: &mut dyn Evaluate<T>,
    model: &Model,
    s0: &Point,
    s1: &Point,
    ends: [[usize; 2]; 2],
    group: &[usize],
    perm: &[usize],
    ap: &Approach,
    tol: f64,
    affine: Option<&Affine<'_, T>>,
    out: &mut Outcome,
) -> Result<Option<Certified>> {
    let Some(e) = model.eig(ap.s) else {
        return Ok(None);
    };
    let others: Vec<f64> = (0..model.k)
        .filter(|&x| x != ap.i && x != ap.j)
        .map(|x| e.values[x].re)
        .collect();
    let Some((coef, mut basis)) = model.ritz_basis(ap.s, &e, &[ap.i, ap.j]) else {
        return Ok(None);
    };
    // the model's pair: the certificate must stay about it
    let model_pair = basis.clone();
    let t_model = model.t(ap.s);
    let mut t = t_model;
    let mut targets = [e.values[ap.i].re, e.values[ap.j].re];
    // the squared gap's curvature in t, from the model: the diabatic slope difference
    let ds = 1e-3_f64.min(ap.s.min(1.0 - ap.s)).max(1e-6);
    let g2 = |s: f64| {
        model.hermitian_values(s).map_or(f64::NAN, |v| {
            let d = v[ap.j] - v[ap.i];
            d * d
        })
    };
    let curv =
        (g2(ap.s + ds) - 2.0 * ap.gap * ap.gap + g2(ap.s - ds)) / (ds * ds * model.h * model.h);
    let slope_difference = (0.5 * curv).max(0.0).sqrt();
    let (lo_t, hi_t) = (s0.t.min(s1.t), s0.t.max(s1.t));
    let Some(mut op) = Op::<T>::new(s0, s1, affine, model, &coef) else {
        return Ok(None);
    };
    let site = Site {
        s0,
        s1,
        ends,
        group,
        perm,
        others: &others,
        tol,
        slope_difference,
        model_pair: &model_pair,
    };
    let mut at_vertex = false;
    for round in 0..=REFINEMENTS {
        let Some((cert, mut rr, [mut pi, mut pj])) =
            site.measure(&op, family, out, t, &basis, targets)?
        else {
            return Ok(None);
        };
        if cert.hi <= tol {
            return Ok(Some(cert));
        }
        if round == REFINEMENTS {
            return Ok(None);
        }
        targets = [rr.theta[pi], rr.theta[pj]];
        if cert.lo > tol && at_vertex {
            // measured at the located minimum on a refined basis
            return Ok(Some(cert));
        }
        if cert.lo > tol {
            // open at t*, but the gap at t* bounds the minimum from above only. Near its
            // minimum the squared gap of two levels is a parabola in t,
            // g² = g₀² + Δs²(t − tₘ)²: read it on the true A at t* ± d, d = g/Δs (where
            // the levels would meet if they crossed), and take its vertex
            let d = if slope_difference > 0.0 {
                cert.gap / slope_difference
            } else {
                1e-3 * model.h.abs()
            }
            .clamp(1e-12 * model.h.abs(), 0.05 * model.h.abs());
            // three probes inside the step, one-sided at its ends
            let (ta, tb) = if t - d < lo_t {
                ((t + d).min(hi_t), (t + 2.0 * d).min(hi_t))
            } else if t + d > hi_t {
                ((t - 2.0 * d).max(lo_t), (t - d).max(lo_t))
            } else {
                (t - d, t + d)
            };
            let (Some((ca, ..)), Some((cb, ..))) = (
                site.measure(&op, family, out, ta, &basis, targets)?,
                site.measure(&op, family, out, tb, &basis, targets)?,
            ) else {
                return Ok(None);
            };
            let mut probes = [(ta, ca.gap), (t, cert.gap), (tb, cb.gap)];
            probes.sort_by(|x, y| x.0.total_cmp(&y.0));
            let (ta, tb) = (probes[0].0, probes[2].0);
            let err = [&ca, &cert, &cb]
                .iter()
                .map(|x| x.hi - x.gap)
                .fold(0.0, f64::max);
            // inside the step the gap is smallest at the end the true gap falls towards,
            // where the decompositions give it exactly
            let at_end = |towards_hi: bool| {
                let forward = s1.t > s0.t;
                let (end, ab) = if towards_hi == forward {
                    (s1, ends[1])
                } else {
                    (s0, ends[0])
                };
                let gap = cdist(end.values[ab[0]], end.values[ab[1]]);
                (gap > tol).then(|| Certified {
                    t: end.t,
                    gap,
                    lo: gap,
                    hi: gap,
                    interior: false,
                    ..cert.clone()
                })
            };
            let (gmin, gmax) = probes.iter().fold((f64::INFINITY, 0.0_f64), |(a, b), p| {
                (a.min(p.1), b.max(p.1))
            });
            let Some((tm, ym, c2)) =
                parabola_vertex(probes.map(|p| p.0), probes.map(|p| p.1 * p.1))
            else {
                // not convex: only a gap flat within its errors (no minimum of the true
                // gap here, the model's was spurious) is answered
                if gmax - gmin <= err {
                    if let Some(c) = at_end(cb.gap < ca.gap) {
                        return Ok(Some(c));
                    }
                }
                return Ok(None);
            };
            // a vertex on an end of the step (within rounding) is this step's minimum
            let tm = if (tm - lo_t).abs() <= 1e-3 * d {
                lo_t
            } else if (tm - hi_t).abs() <= 1e-3 * d {
                hi_t
            } else {
                tm
            };
            if !(lo_t..=hi_t).contains(&tm) {
                // the pair comes closest outside the step
                if let Some(c) = at_end(tm > hi_t) {
                    return Ok(Some(c));
                }
            }
            // the two-level picture must hold: the vertex between the probes, the
            // curvature Δs² that of the model's slope difference (within a factor 2), and
            // the gap at the vertex what the parabola says
            let consistent = slope_difference > 0.0
                && (0.25..=4.0).contains(&(c2 / (slope_difference * slope_difference)));
            let mut refine_at_vertex = false;
            // (a vertex that stays where t* already is needs no model to agree with: the
            // true gap is stationary there)
            let stationary = (tm - t).abs() <= 0.01 * d;
            if (ta..=tb).contains(&tm) && (consistent || stationary) {
                let Some((cm, rm, [pmi, pmj])) =
                    site.measure(&op, family, out, tm, &basis, targets)?
                else {
                    return Ok(None);
                };
                let ym = ym.max(0.0);
                // hi − gap is twice the effective residual: the error of a gap
                let err = err.max(cm.hi - cm.gap);
                if (cm.gap * cm.gap - ym).abs() <= 0.25 * ym + err * cm.gap {
                    let lo = (ym.sqrt().min(cm.gap) - err).max(0.0);
                    if lo > tol {
                        return Ok(Some(Certified { lo, ..cm }));
                    }
                    // the minimum is found but the residuals do not separate it from
                    // the tolerance: refine the basis there
                    refine_at_vertex = true;
                    at_vertex = true;
                    t = tm;
                    (rr, pi, pj) = (rm, pmi, pmj);
                    targets = [rr.theta[pi], rr.theta[pj]];
                }
            }
            if !refine_at_vertex {
                // a vertex far outside the probes is an extrapolation: move a few d at most
                t = tm.clamp((t - 4.0 * d).max(lo_t), (t + 4.0 * d).min(hi_t));
                if (t - t_model).abs() > WANDER * model.h.abs() {
                    return Ok(None);
                }
                continue;
            }
        }
        let added = grow(
            &mut basis,
            &rr,
            &[pi, pj],
            &targets,
            t,
            s0,
            s1,
            ends_of(&ends),
        );
        op.extend(&added);
        let (av, _) = op.apply(family, t, &basis, out)?;
        let rr = ritz(&basis, &av);
        let (pi, pj) = nearest_pair(&rr.theta, targets[0], targets[1]);
        let pair_basis = columns(&rr.vectors, &[pi, pj]);
        // move t* to the gap minimum of the pair's 2 × 2 projection (its Ritz vectors at
        // t*): exact and in closed form for an affine family, otherwise quadratic in t
        // through three evaluations
        let moved = op.move_t(
            family,
            t,
            (&pair_basis, 1),
            &basis,
            (lo_t, hi_t),
            model.h,
            out,
        )?;
        if let Some(tn) = moved {
            t = tn;
        }
        if (t - t_model).abs() > WANDER * model.h.abs() {
            return Ok(None);
        }
    }
    // every round returns: the last one falls back
    Ok(None)
}

/// The step's ends, the members of an approach at t₀ and at t₁, the group and the
/// pairing: where a certificate stands.
type Place<'a> = (
    &'a Point,
    &'a Point,
    [&'a [usize]; 2],
    &'a [usize],
    &'a [usize],
);

/// Certify that two levels of several members meet (positions `ap.i..=ap.j` of the
/// model at `ap.s`, the lower level's `ap.lower` first; multiple eigenvalues that stay
/// multiple, as under a symmetry): Rayleigh–Ritz of their m Ritz vectors on the true
/// A(t*), and a crossing when the spread of the m Ritz values with its residual bound
/// (2ρ, or 2ρ²/δ with δ the distance to the rest of the spectrum) is below `tol`. While
/// it is not, at most [`REFINEMENTS`] times the basis is grown by the residual
/// corrections and t* moved to the levels' gap minimum on it. `None` where that fails,
/// and where the levels do not meet within the tolerance (the step controller decides
/// a gap between multiple eigenvalues).
#[allow(clippy::too_many_arguments)]
fn certify_levels<T: Element>(
    family: &mut dyn Evaluate<T>,
    model: &Model,
    (s0, s1, ends, group, perm): Place<'_>,
    ap: &Approach,
    tol: f64,
    affine: Option<&Affine<'_, T>>,
    out: &mut Outcome,
) -> Result<Option<Certified>> {
    let Some(e) = model.eig(ap.s) else {
        return Ok(None);
    };
    let pos: Vec<usize> = (ap.i..=ap.j).collect();
    let m = pos.len();
    let others: Vec<f64> = (0..model.k)
        .filter(|x| !pos.contains(x))
        .map(|x| e.values[x].re)
        .collect();
    let Some((coef, mut basis)) = model.ritz_basis(ap.s, &e, &pos) else {
        return Ok(None);
    };
    let model_set = basis.clone();
    let t_model = model.t(ap.s);
    let mut t = t_model;
    let mut targets: Vec<f64> = pos.iter().map(|&p| e.values[p].re).collect();
    let sizes = [ap.lower, m - ap.lower];
    let (lo_t, hi_t) = (s0.t.min(s1.t), s0.t.max(s1.t));
    let Some(mut op) = Op::<T>::new(s0, s1, affine, model, &coef) else {
        return Ok(None);
    };
    for round in 0..=REFINEMENTS {
        let (av, a) = op.apply(family, t, &basis, out)?;
        let rr = ritz(&basis, &av);
        let idx = nearest_run(&rr.theta, &targets);
        let vectors = columns(&rr.vectors, &idx);
        // the certified vectors must span (nearly) the model's
        if mul_adj(&model_set, &vectors).singular_values().min() < 0.8 {
            return Ok(None);
        }
        let rho = idx.iter().map(|&x| rr.residual[x]).fold(0.0, f64::max);
        let vals: Vec<f64> = idx.iter().map(|&x| rr.theta[x]).collect();
        let spread = vals[m - 1] - vals[0];
        let rho_eff = if spread + 2.0 * rho <= tol {
            rho
        } else {
            let Some(shifts) = op.shifts(a.as_ref(), t, s0, s1) else {
                return Ok(None);
            };
            let delta = spectral_distance(shifts, s0, s1, ends, group, perm, &others, &vals, t);
            if delta > rho {
                rho.min(rho * rho / delta)
            } else {
                rho
            }
        };
        if spread + 2.0 * rho_eff <= tol {
            return Ok(Some(Certified {
                vectors,
                interior: true,
                t,
                gap: spread,
                lo: (spread - 2.0 * rho_eff).max(0.0),
                hi: spread + 2.0 * rho_eff,
                value: c(vals.iter().sum::<f64>() / m as f64),
                // (read for avoided crossings only)
                slope_difference: 0.0,
            }));
        }
        if round == REFINEMENTS {
            return Ok(None);
        }
        targets = vals.clone();
        let added = grow(&mut basis, &rr, &idx, &vals, t, s0, s1, ends);
        op.extend(&added);
        let (av, _) = op.apply(family, t, &basis, out)?;
        let rr = ritz(&basis, &av);
        let idx = nearest_run(&rr.theta, &targets);
        let th: Vec<f64> = idx.iter().map(|&x| rr.theta[x]).collect();
        // the lower level at t: the one of the two sizes that leaves the wider gap
        let split = if th[sizes[0]] - th[sizes[0] - 1] >= th[sizes[1]] - th[sizes[1] - 1] {
            sizes[0]
        } else {
            sizes[1]
        };
        let set = columns(&rr.vectors, &idx);
        let moved = op.move_t(family, t, (&set, split), &basis, (lo_t, hi_t), model.h, out)?;
        if let Some(tn) = moved {
            t = tn;
        }
        if (t - t_model).abs() > WANDER * model.h.abs() {
            return Ok(None);
        }
    }
    Ok(None)
}

/// Positions of the run of `targets.len()` consecutive entries of ascending `theta`
/// nearest the ascending `targets` (least total distance).
fn nearest_run(theta: &[f64], targets: &[f64]) -> Vec<usize> {
    let m = targets.len().min(theta.len());
    let cost = |r: usize| -> f64 { (0..m).map(|i| (theta[r + i] - targets[i]).abs()).sum() };
    let best = (0..=theta.len() - m)
        .min_by(|&a, &b| cost(a).total_cmp(&cost(b)))
        .unwrap_or(0);
    (best..best + m).collect()
}

/// The vertex (x, y) of the parabola through three points with x₀ < x₁ < x₂, and its
/// leading coefficient; `None` when it is not convex.
fn parabola_vertex(x: [f64; 3], y: [f64; 3]) -> Option<(f64, f64, f64)> {
    let (dm, dp) = (x[1] - x[0], x[2] - x[1]);
    if !(dm > 0.0 && dp > 0.0) {
        return None;
    }
    let (sm, sp) = ((y[1] - y[0]) / dm, (y[2] - y[1]) / dp);
    // y = y₁ + b(x − x₁) + c(x − x₁)²
    let c2 = (sp - sm) / (dm + dp);
    if c2.is_nan() || c2 <= 0.0 {
        return None;
    }
    let b = sm + c2 * dm;
    let xv = x[1] - b / (2.0 * c2);
    let yv = y[1] - b * b / (4.0 * c2);
    (xv.is_finite() && yv.is_finite()).then_some((xv, yv, c2))
}

/// What the certificate of one approach measures against: the step's ends, the pair's
/// members at both ends, the group, the model's other eigenvalues and the model's pair.
struct Site<'a> {
    s0: &'a Point,
    s1: &'a Point,
    ends: [[usize; 2]; 2],
    group: &'a [usize],
    perm: &'a [usize],
    others: &'a [f64],
    tol: f64,
    slope_difference: f64,
    model_pair: &'a DMatrix<Complex64>,
}

impl Site<'_> {
    /// Rayleigh–Ritz of the basis on the true A(t), the pair nearest `targets`, and its
    /// certified gap: ρ (Kahan), or ρ²/δ with δ the distance to the rest of the spectrum
    /// where ρ alone does not decide. `None` when the pair drifted off the model's pair.
    #[allow(clippy::type_complexity)]
    fn measure<T: Element>(
        &self,
        op: &Op<'_, T>,
        family: &mut dyn Evaluate<T>,
        out: &mut Outcome,
        t: f64,
        basis: &DMatrix<Complex64>,
        targets: [f64; 2],
    ) -> Result<Option<(Certified, Ritz, [usize; 2])>> {
        let (av, a) = op.apply(family, t, basis, out)?;
        let rr = ritz(basis, &av);
        let (pi, pj) = nearest_pair(&rr.theta, targets[0], targets[1]);
        // refinement may converge to other eigenpairs of A(t*) where the model is poor:
        // the certified pair must span (nearly) the model's pair
        let drift = mul_adj(self.model_pair, &columns(&rr.vectors, &[pi, pj]));
        if drift.singular_values().min() < 0.8 {
            return Ok(None);
        }
        let rho = rr.residual[pi].max(rr.residual[pj]);
        let pair = [rr.theta[pi], rr.theta[pj]];
        // δ only where the linear bound ρ does not decide
        let gap = pair[1] - pair[0];
        let tol = self.tol;
        let linear_decides = gap + 2.0 * rho <= tol || gap - 2.0 * rho > tol;
        let delta = if linear_decides {
            f64::NEG_INFINITY
        } else {
            let Some(shifts) = op.shifts(a.as_ref(), t, self.s0, self.s1) else {
                return Ok(None);
            };
            spectral_distance(
                shifts,
                self.s0,
                self.s1,
                ends_of(&self.ends),
                self.group,
                self.perm,
                self.others,
                &pair,
                t,
            )
        };
        let rho_eff = if delta > rho {
            rho.min(rho * rho / delta)
        } else {
            rho
        };
        let cert = Certified {
            vectors: columns(&rr.vectors, &[pi, pj]),
            interior: true,
            t,
            gap,
            lo: (gap - 2.0 * rho_eff).max(0.0),
            hi: gap + 2.0 * rho_eff,
            value: c(0.5 * (pair[0] + pair[1])),
            slope_difference: self.slope_difference,
        };
        Ok(Some((cert, rr, [pi, pj])))
    }
}

/// A family affine over a step: A(t) = A(t₀) + (t − t₀)A′, ‖A′‖₂ ≤ `norm`, with A(t₀)
/// and A′ as product operators (shared by every group of the step).
pub(crate) struct Affine<'a, T: Element> {
    norm: f64,
    a0: Operator<'a, T>,
    da: Operator<'a, T>,
}

/// A(t) on the certificate's basis V. For a family affine over the step (A″ = 0 and the
/// same A′ at both ends) A(t)V = A(t₀)V + (t − t₀)A′V from products cached per basis
/// column, and ‖A(t) − A(tₑ)‖₂ ≤ |t − tₑ|·‖A′‖_∞; otherwise A(t) is evaluated afresh.
struct Op<'a, T: Element> {
    affine: Option<&'a Affine<'a, T>>,
    t0: f64,
    av0: DMatrix<Complex64>,
    avd: DMatrix<Complex64>,
    da_norm: f64,
}

impl<'a, T: Element> Op<'a, T> {
    fn new(
        s0: &'a Point,
        s1: &Point,
        affine: Option<&'a Affine<'a, T>>,
        model: &Model,
        coef: &DMatrix<Complex64>,
    ) -> Option<Self> {
        let _ = jet::<T>(s0)?;
        let _ = jet::<T>(s1)?;
        let Some(aff) = affine else {
            return Some(Op {
                affine: None,
                t0: s0.t,
                av0: DMatrix::zeros(0, 0),
                avd: DMatrix::zeros(0, 0),
                da_norm: 0.0,
            });
        };
        Some(Op {
            affine: Some(aff),
            t0: s0.t,
            av0: &model.aw0 * coef,
            avd: &model.awd * coef,
            da_norm: aff.norm,
        })
    }

    /// Append the products of new basis columns to the cache.
    fn extend(&mut self, added: &DMatrix<Complex64>) {
        if let Some(aff) = self.affine {
            self.av0 = concat(&self.av0, &aff.a0.mul(added));
            self.avd = concat(&self.avd, &aff.da.mul(added));
        }
    }

    /// A(t)·V, and A(t) itself when it was evaluated.
    fn apply(
        &self,
        family: &mut dyn Evaluate<T>,
        t: f64,
        basis: &DMatrix<Complex64>,
        out: &mut Outcome,
    ) -> Result<(DMatrix<Complex64>, Option<DMatrix<T>>)> {
        if self.affine.is_some() {
            return Ok((&self.av0 + &self.avd * c(t - self.t0), None));
        }
        let a = family.value(t)?;
        out.evaluations += 1;
        Ok((T::mul_complex(&a, basis), Some(a)))
    }

    /// Upper bounds on ‖A(t) − A(t₀)‖₂ and ‖A(t) − A(t₁)‖₂.
    fn shifts(&self, a: Option<&DMatrix<T>>, t: f64, s0: &Point, s1: &Point) -> Option<[f64; 2]> {
        match (self.affine, a) {
            (Some(_), _) => Some([
                (t - s0.t).abs() * self.da_norm,
                (t - s1.t).abs() * self.da_norm,
            ]),
            (None, Some(a)) => Some([
                hermitian_norm_bound(a, &jet::<T>(s0)?.a),
                hermitian_norm_bound(a, &jet::<T>(s1)?.a),
            ]),
            (None, None) => None,
        }
    }

    /// The t in [lo, hi] (within 5 % of the step of `t`) where the gap of the pair's 2 × 2
    /// projection is smallest. Two levels: `pair` holds the p vectors of one level and then
    /// those of the other (`split` = p), and the gap of their projection M is read as that
    /// of a pair, g² = d² + 4‖O‖²_F/w with d the difference of the mean diagonals of the
    /// two blocks, O the Hermitian part of the coupling block and w the larger level (for
    /// one coupling constant on matched partners, the gap of every partner pair).
    #[allow(clippy::too_many_arguments)]
    fn move_t(
        &self,
        family: &mut dyn Evaluate<T>,
        t: f64,
        (pair, split): (&DMatrix<Complex64>, usize),
        basis: &DMatrix<Complex64>,
        (lo, hi): (f64, f64),
        h: f64,
        out: &mut Outcome,
    ) -> Result<Option<f64>> {
        let m_all = pair.ncols();
        let (p, q) = (split, m_all - split);
        let w = p.max(q).max(1) as f64;
        let gap2_of = |m: &DMatrix<Complex64>| {
            let mean = |from: usize, len: usize| {
                (from..from + len).map(|r| m[(r, r)].re).sum::<f64>() / len.max(1) as f64
            };
            let d = mean(0, p) - mean(p, q);
            let o = DMatrix::from_fn(q, p, |r, c| 0.5 * (m[(p + r, c)] + m[(c, p + r)].conj()));
            (d, o)
        };
        if self.affine.is_some() {
            // P(τ) = P₀ + (τ − t₀)P₁ exactly: the squared gap is a quadratic in τ
            let z = mul_adj(basis, pair); // coefficients of the pair in the basis
            let p0 = mul_adj(&z, &mul_adj(basis, &(&self.av0 * &z)));
            let p1 = mul_adj(&z, &mul_adj(basis, &(&self.avd * &z)));
            let (d0, o0) = gap2_of(&p0);
            let (d1, o1) = gap2_of(&p1);
            let den = d1 * d1 + 4.0 * o1.norm_squared() / w;
            if den.is_nan() || den <= 0.0 {
                return Ok(None);
            }
            let cross: f64 = o0
                .iter()
                .zip(o1.iter())
                .map(|(a, b)| (a * b.conj()).re)
                .sum();
            let tau = -(d0 * d1 + 4.0 * cross / w) / den;
            let tn = (self.t0 + tau).clamp(lo.max(t - 0.05 * h.abs()), hi.min(t + 0.05 * h.abs()));
            return Ok(tn.is_finite().then_some(tn));
        }
        let dt = 1e-3 * h.abs();
        let (ta, tb) = ((t - dt).max(lo), (t + dt).min(hi));
        if tb - ta <= 0.0 || ta >= t || tb <= t {
            return Ok(None);
        }
        let mut ps = Vec::with_capacity(3);
        for tt in [ta, t, tb] {
            let m = family.value(tt)?;
            out.evaluations += 1;
            ps.push(mul_adj(pair, &T::mul_complex(&m, pair)));
        }
        let gap2 = |tt: f64| {
            let l0 = (tt - t) * (tt - tb) / ((ta - t) * (ta - tb));
            let l1 = (tt - ta) * (tt - tb) / ((t - ta) * (t - tb));
            let l2 = (tt - ta) * (tt - t) / ((tb - ta) * (tb - t));
            let m = &ps[0] * c(l0) + &ps[1] * c(l1) + &ps[2] * c(l2);
            let (d, o) = gap2_of(&m);
            d * d + 4.0 * o.norm_squared() / w
        };
        let span = 50.0 * dt;
        let (tn, _) = brent_min(gap2, (t - span).max(lo), (t + span).min(hi));
        Ok(tn.is_finite().then_some(tn))
    }
}

/// Grow an orthonormal basis by the corrections of the pair's residuals, preconditioned
/// by the nearer endpoint's eigenbasis: c = Σ_{x ∉ pair} xₓ (yₓᴴ r)/(θ − λₓ) (block
/// Davidson: the basis keeps its history).
#[allow(clippy::too_many_arguments)]
fn grow(
    basis: &mut DMatrix<Complex64>,
    rr: &Ritz,
    pair_idx: &[usize],
    pair: &[f64],
    t: f64,
    s0: &Point,
    s1: &Point,
    ends: [&[usize]; 2],
) -> DMatrix<Complex64> {
    let (p, skip) = if (t - s0.t).abs() <= (t - s1.t).abs() {
        (s0, ends[0])
    } else {
        (s1, ends[1])
    };
    let res_pair = columns(&rr.residuals, pair_idx);
    // Y = X real on the real symmetric path: real products
    let mut coef = match &p.xr {
        Some(xr) if p.left.is_none() => mul_real(xr, &res_pair, true),
        _ => mul_adj(p.y(), &res_pair),
    };
    for (k, th) in pair.iter().enumerate() {
        for x in 0..p.len() {
            let d = c(*th) - p.values[x];
            coef[(x, k)] = if skip.contains(&x) || d.norm() == 0.0 {
                c(0.0)
            } else {
                coef[(x, k)] / d
            };
        }
    }
    let mut corr = match &p.xr {
        Some(xr) => mul_real(xr, &coef, false),
        None => mul(&p.x, &coef),
    };
    // two passes of Gram–Schmidt against the basis, one column at a time; a column that
    // loses all but 10⁻⁸ of its norm adds nothing (the basis may fill the whole space)
    let mut added = DMatrix::<Complex64>::zeros(corr.nrows(), 0);
    for k in 0..corr.ncols() {
        let mut v = corr.column(k).into_owned();
        let before = v.norm();
        for _ in 0..2 {
            for b in [&*basis, &added] {
                let proj = b.adjoint() * &v;
                v -= b * proj;
            }
        }
        let after = v.norm();
        if after > 1e-8 * before && after > 0.0 && basis.ncols() + added.ncols() < basis.nrows() {
            added = concat(
                &added,
                &DMatrix::from_column_slice(v.len(), 1, (v / c(after)).as_slice()),
            );
        }
    }
    let _ = &mut corr;
    *basis = concat(basis, &added);
    added
}

/// Distance δ from the pair's Ritz values to the rest of the spectrum of A(t*).
/// Rigorous: endpoint eigenvalues outside the pair moved by at most
/// ‖A(t*) − A(tₑ)‖₂ ≤ ‖·‖_∞ (Weyl), the better end. Estimated: the outside branches'
/// cubic Hermite interpolants at t* less their distance to the linear one, and the
/// group's other model values less a tenth. The larger of the two is returned.
#[allow(clippy::too_many_arguments)]
fn spectral_distance(
    shifts: [f64; 2],
    s0: &Point,
    s1: &Point,
    ends: [&[usize]; 2],
    group: &[usize],
    perm: &[usize],
    others: &[f64],
    pair: &[f64],
    t: f64,
) -> f64 {
    let mut delta = f64::NEG_INFINITY;
    for ((p, skip), shift) in [(s0, ends[0]), (s1, ends[1])].into_iter().zip(shifts) {
        let d = (0..p.len())
            .filter(|x| !skip.contains(x))
            .map(|x| {
                pair.iter()
                    .map(|&th| (p.values[x].re - th).abs())
                    .fold(f64::INFINITY, f64::min)
            })
            .fold(f64::INFINITY, f64::min);
        delta = delta.max(d - shift);
    }
    let w = (t - s0.t) / (s1.t - s0.t);
    let h = s1.t - s0.t;
    let estimate = (0..s0.len())
        .filter(|x| !group.contains(x))
        .map(|x| {
            let (l0, l1) = (s0.values[x].re, s1.values[perm[x]].re);
            let (d0, d1) = (s0.slopes[x].re * h, s1.slopes[perm[x]].re * h);
            let hw = hermite_weights(w);
            let cubic = hw[0] * l0 + hw[1] * d0 + hw[2] * l1 + hw[3] * d1;
            let linear = (1.0 - w) * l0 + w * l1;
            let margin = (cubic - linear).abs();
            pair.iter()
                .map(|&th| (cubic - th).abs() - margin)
                .fold(f64::INFINITY, f64::min)
        })
        .chain(others.iter().map(|&v| {
            pair.iter()
                .map(|&th| 0.9 * (v - th).abs())
                .fold(f64::INFINITY, f64::min)
        }))
        .fold(f64::INFINITY, f64::min);
    if estimate.is_nan() {
        delta
    } else {
        delta.max(estimate)
    }
}

/// The members at both ends as slices.
fn ends_of(ends: &[[usize; 2]; 2]) -> [&[usize]; 2] {
    [&ends[0][..], &ends[1][..]]
}

/// Rayleigh–Ritz of a Hermitian A on an orthonormal basis: ascending Ritz values, Ritz
/// vectors, residual vectors and their norms.
struct Ritz {
    theta: Vec<f64>,
    vectors: DMatrix<Complex64>,
    residuals: DMatrix<Complex64>,
    residual: Vec<f64>,
}

fn ritz(basis: &DMatrix<Complex64>, au: &DMatrix<Complex64>) -> Ritz {
    let h = mul_adj(basis, au);
    let h = (&h + h.adjoint()) * c(0.5);
    let eig = h.symmetric_eigen();
    let mut order: Vec<usize> = (0..basis.ncols()).collect();
    order.sort_by(|&x, &y| eig.eigenvalues[x].total_cmp(&eig.eigenvalues[y]));
    let z = columns(&eig.eigenvectors, &order);
    let theta: Vec<f64> = order.iter().map(|&i| eig.eigenvalues[i]).collect();
    let vectors = mul(basis, &z);
    let mut residuals = mul(au, &z);
    for (k, th) in theta.iter().enumerate() {
        let mut col = residuals.column_mut(k);
        col -= vectors.column(k) * c(*th);
    }
    let residual = (0..theta.len())
        .map(|k| residuals.column(k).norm())
        .collect();
    Ritz {
        theta,
        vectors,
        residuals,
        residual,
    }
}

/// Positions (ascending) of the two entries of sorted `theta` nearest `a` and `b`.
fn nearest_pair(theta: &[f64], a: f64, b: f64) -> (usize, usize) {
    let near = |x: f64, skip: usize| {
        (0..theta.len())
            .filter(|&i| i != skip)
            .min_by(|&p, &q| (theta[p] - x).abs().total_cmp(&(theta[q] - x).abs()))
            .unwrap_or(0)
    };
    let i = near(a, usize::MAX);
    let j = near(b, i);
    (i.min(j), i.max(j))
}

/// The largest absolute row sum ‖A‖_∞ (a bound on ‖A‖₂ for Hermitian A).
fn max_row_sum<T: Element>(a: &DMatrix<T>) -> f64 {
    let n = a.nrows();
    let mut rows = vec![0.0; n];
    for (k, x) in a.iter().enumerate() {
        let z = x.to_c64();
        rows[k % n] += if z.im == 0.0 { z.re.abs() } else { z.norm() };
    }
    rows.into_iter().fold(0.0, f64::max)
}

/// An upper bound on ‖A − B‖₂ for Hermitian A − B: the smaller of the Frobenius norm
/// and the largest absolute row sum.
fn hermitian_norm_bound<T: Element>(a: &DMatrix<T>, b: &DMatrix<T>) -> f64 {
    let n = a.nrows();
    let mut fro = 0.0;
    let mut rows = vec![0.0; n];
    for (k, (x, y)) in a.iter().zip(b.iter()).enumerate() {
        let z = x.to_c64() - y.to_c64();
        let d2 = z.norm_sqr();
        fro += d2;
        rows[k % n] += if z.im == 0.0 { z.re.abs() } else { d2.sqrt() };
    }
    fro.sqrt().min(rows.iter().copied().fold(0.0, f64::max))
}

/// The non-Hermitian answer for one group: analytic continuation of the model
/// eigenvalues (substeps on which each moves less than a fifth of its distance to the
/// runner-up), closest approaches located and certified.
#[allow(clippy::too_many_arguments)]
fn general_group<T: Element>(
    family: &mut dyn Evaluate<T>,
    model: &Model,
    s0: &Point,
    s1: &Point,
    old: &[usize],
    new: &[usize],
    params: &Params,
    out: &mut Outcome,
) -> Result<Option<Vec<usize>>> {
    let k = model.k;
    let mut cur: Vec<Complex64> = old.iter().map(|&i| s0.values[i]).collect();
    let mut prev: Option<(f64, Vec<Complex64>)> = None;
    let mut path: Vec<(f64, Vec<Complex64>)> = vec![(0.0, cur.clone())];
    let (mut s, mut ds) = (0.0f64, 1.0 / SCAN as f64);
    while s < 1.0 {
        let sn = (s + ds).min(1.0);
        let Some(e) = model.eig(sn) else {
            return Ok(None);
        };
        let pred: Vec<Complex64> = match &prev {
            Some((sp, vp)) if s > *sp => (0..k)
                .map(|q| cur[q] + (cur[q] - vp[q]) * ((sn - s) / (s - sp)))
                .collect(),
            _ => cur.clone(),
        };
        match continue_values(&pred, &cur, &e.values) {
            Some(next) => {
                prev = Some((s, std::mem::replace(&mut cur, next)));
                s = sn;
                path.push((s, cur.clone()));
                ds = (2.0 * ds).min(1.0 / SCAN as f64);
            }
            None if ds > 1e-10 => ds *= 0.5,
            None => return Ok(None),
        }
    }
    // the continued values at t₁ are the new eigenvalues (exactly, up to rounding)
    let mut map = vec![usize::MAX; k];
    for q in 0..k {
        let best = (0..k)
            .min_by(|&x, &y| {
                cdist(s1.values[new[x]], cur[q]).total_cmp(&cdist(s1.values[new[y]], cur[q]))
            })
            .unwrap_or(0);
        if map.contains(&best) {
            return Ok(None);
        }
        map[q] = best;
    }
    // closest approaches of each pair along the continuation
    let scale = s0.scale.max(s1.scale);
    let tol = params.gap_tol * scale;
    for a in 0..k {
        for b in a + 1..k {
            let d: Vec<f64> = path.iter().map(|(_, v)| cdist(v[a], v[b])).collect();
            let ends = d[0].min(d[d.len() - 1]);
            let last = d.len() - 1;
            // how close the pair comes on the chords of the path next to q: a pass between
            // two path points (a crossing inside a substep) shows on the chord, not at the
            // points
            let chord = |q: usize| {
                let diff = |r: usize| path[r].1[a] - path[r].1[b];
                let mut m = d[q];
                for (x, y) in [(q.wrapping_sub(1), q), (q, q + 1)] {
                    if x < path.len() && y < path.len() {
                        m = m.min(origin_to_segment(diff(x), diff(y)));
                    }
                }
                m
            };
            for q in 1..=last {
                let (sa, sb) = if q < last {
                    if !(d[q] <= d[q - 1] && d[q] <= d[q + 1] && chord(q) < 0.5 * ends) {
                        continue;
                    }
                    (path[q - 1].0, path[q + 1].0)
                } else {
                    // a closest approach on the step's end (a sample) is this step's when
                    // the pair stops approaching there (the next step skips its start)
                    let (ja, jb) = (new[map[a]], new[map[b]]);
                    let dv = s1.values[ja] - s1.values[jb];
                    let ds = s1.slopes[ja] - s1.slopes[jb];
                    let approaching = (dv.conj() * ds).re * model.h.signum()
                        < -1e-12 * dv.norm() * (s1.slopes[ja].norm() + s1.slopes[jb].norm());
                    if !(d[q] <= d[q - 1] && d[q] < 0.5 * d[0]) || approaching {
                        continue;
                    }
                    (path[q - 1].0, path[q].0)
                };
                // whether the model's pair passes through each other over the bracket (its
                // difference turns round: a crossing) rather than bouncing
                let passes = {
                    let diff = |r: usize| path[r].1[a] - path[r].1[b];
                    let (before, after) = (diff(q - 1), diff((q + 1).min(last)));
                    (before.conj() * after).re < 0.0
                };
                let at = |x: f64| -> Option<(Complex64, Complex64, Small, usize, usize)> {
                    // the pair at x: the model eigenvalues nearest the interpolated path
                    let (lo, hi) = if x <= path[q].0 || q == last {
                        (q - 1, q)
                    } else {
                        (q, q + 1)
                    };
                    let w = (x - path[lo].0) / (path[hi].0 - path[lo].0);
                    let ia = path[lo].1[a] * (1.0 - w) + path[hi].1[a] * w;
                    let ib = path[lo].1[b] * (1.0 - w) + path[hi].1[b] * w;
                    let e = model.eig(x)?;
                    let near = |z: Complex64, skip: usize| {
                        (0..k).filter(|&j| j != skip).min_by(|&x, &y| {
                            cdist(e.values[x], z).total_cmp(&cdist(e.values[y], z))
                        })
                    };
                    let ja = near(ia, usize::MAX)?;
                    let jb = near(ib, ja)?;
                    Some((e.values[ja], e.values[jb], e, ja, jb))
                };
                let (sm, _) = brent_min(
                    |x| at(x).map_or(f64::INFINITY, |(va, vb, ..)| (va - vb).norm_sqr()),
                    sa,
                    sb,
                );
                let Some((va, vb, e, ja, jb)) = at(sm) else {
                    return Ok(None);
                };
                // the diabatic slope difference from the discriminant δ = (λₐ − λ_b)², which
                // is analytic through a bounce (|δ| is flat there): |δ″| = 2Δs²
                let d2 = |x: f64| at(x).map_or(c(f64::NAN), |(va, vb, ..)| (va - vb) * (va - vb));
                let hs = 1e-3_f64.min(sm.min(1.0 - sm)).max(1e-6);
                let curv = (d2(sm + hs) - d2(sm) * 2.0 + d2(sm - hs)).norm()
                    / (hs * hs * model.h * model.h);
                // certificate: the pair's Ritz vectors re-read on the true A(t*); the gap
                // at t* bounds the closest approach from above only, so t* is moved to the
                // vertex of the true squared gap (a parabola through t* ± d on the pair's
                // Petrov–Galerkin projection) until it is below the tolerance or no longer
                // narrows
                let (u, v) = model.vectors(sm, &e, &[ja, jb]);
                let slope_difference = (0.5 * curv).max(0.0).sqrt();
                let (lo_t, hi_t) = (s0.t.min(s1.t), s0.t.max(s1.t));
                // the certificate at t, and the pair's difference θₐ − θ_b
                let mut certify_at =
                    |t: f64, out: &mut Outcome| -> Result<(Certified, Complex64)> {
                        let am = family.value(t)?;
                        out.evaluations += 1;
                        let (mut theta, mut bound) = petrov_pair::<T>(&am, &u, &v);
                        let mut vectors = u.clone();
                        // undecided on the model's vectors: refine both sides on A(t)
                        let g = cdist(theta[0], theta[1]);
                        let err = bound[0] + bound[1];
                        // (only where the model's pair passes: an exact crossing is then
                        // certified closed where the interpolation error of the model's
                        // vectors alone kept it undecided; a bounce keeps the model's
                        // vectors, whose pair the `agrees` test reads)
                        if passes && g + err > tol && g - err <= tol {
                            if let Some((ur, vr)) = refine_pair(&am, &u, &v, theta) {
                                let (tr, br) = petrov_pair::<T>(&am, &ur, &vr);
                                // a pass whose refined gap is open: the model is wrong
                                // here, left undecided (the step falls back)
                                if cdist(tr[0], tr[1]) <= tol {
                                    (theta, bound) = (tr, br);
                                    vectors = ur;
                                }
                            }
                        }
                        Ok((
                            Certified::of_pair(vectors, t, theta, bound, slope_difference),
                            theta[0] - theta[1],
                        ))
                    };
                let (mut cert, first) = certify_at(model.t(sm), out)?;
                // the model's pair agrees with the true one at t*: the model's difference
                // λₐ − λ_b lies in the disc about the true θₐ − θ_b that the certificate
                // allows, and that disc excludes 0, so the model passes the true pair on
                // the same side (its continuation is the true one's)
                let agrees = cdist(va - vb, first) + (cert.hi - cert.gap) < first.norm();
                let mut settled = false;
                for _ in 0..REFINEMENTS {
                    if cert.hi <= tol || settled {
                        break;
                    }
                    let d = if slope_difference > 0.0 {
                        cert.gap / slope_difference
                    } else {
                        1e-4 * model.h.abs()
                    }
                    .clamp(1e-9 * model.h.abs(), 0.05 * model.h.abs());
                    let t = cert.t;
                    let (gm, gp) = (
                        certify_at((t - d).max(lo_t), out)?.0,
                        certify_at((t + d).min(hi_t), out)?.0,
                    );
                    let Some((tn, ..)) = parabola_vertex(
                        [gm.t, t, gp.t],
                        [gm.gap.powi(2), cert.gap.powi(2), gp.gap.powi(2)],
                    ) else {
                        settled = true;
                        break;
                    };
                    let tn = tn.clamp(lo_t, hi_t);
                    let next = certify_at(tn, out)?.0;
                    let best = [gm, next, gp]
                        .into_iter()
                        .min_by(|x, y| x.gap.total_cmp(&y.gap))
                        .filter(|x| x.gap < cert.gap);
                    match best {
                        Some(b) => {
                            settled = b.gap >= 0.5 * cert.gap;
                            cert = b;
                        }
                        None => settled = true,
                    }
                }
                // a pass still undecided: the crossing located on refined vectors, by
                // secant steps on the pair's difference along the model's direction
                if passes && cert.hi > tol && cert.lo <= tol {
                    let dir = va - vb;
                    if let Some(c) = refined_crossing(
                        family,
                        &u,
                        &v,
                        cert.t,
                        (lo_t, hi_t),
                        dir,
                        model.h,
                        slope_difference,
                        out,
                    )? {
                        if c.hi <= tol {
                            cert = c;
                        }
                    }
                }
                let t = cert.t;
                let err = cert.hi - cert.gap;
                let g = cert.gap;
                let (ba, bb) = (old[a].min(old[b]), old[a].max(old[b]));
                out.pairs.push((ba, bb));
                if cert.hi <= tol {
                    if params.events {
                        // exact slopes: the eigenvalues of (VᴴU)⁻¹VᴴA′(t*)U on the pair's
                        // Ritz vectors, each given to the member whose model slope (central
                        // differences of the continued pair) it is nearer
                        let (Some((pa, pb, ..)), Some((ma, mb, ..))) = (at(sm + hs), at(sm - hs))
                        else {
                            return Ok(None);
                        };
                        let w = 1.0 / (2.0 * hs * model.h);
                        let (x, y) = ((pa - ma) * w, (pb - mb) * w);
                        let da = family.derivative(t)?;
                        let Some(g) = (v.adjoint() * &u).try_inverse() else {
                            return Ok(None);
                        };
                        let sm2 = g * v.adjoint() * T::mul_complex(&da, &u);
                        let ev = sm2.eigenvalues().map(|e| [e[0], e[1]]).unwrap_or_else(|| {
                            let tr = (sm2[(0, 0)] + sm2[(1, 1)]) * 0.5;
                            let det = sm2[(0, 0)] * sm2[(1, 1)] - sm2[(0, 1)] * sm2[(1, 0)];
                            let r = (tr * tr - det).sqrt();
                            [tr - r, tr + r]
                        });
                        let (x, y) = if cdist(ev[0], x) + cdist(ev[1], y)
                            <= cdist(ev[1], x) + cdist(ev[0], y)
                        {
                            (ev[0], ev[1])
                        } else {
                            (ev[1], ev[0])
                        };
                        let slopes = if old[a] < old[b] { [x, y] } else { [y, x] };
                        out.events.push(Event::Crossing {
                            t,
                            branches: [ba, bb],
                            value: cert.value,
                            slopes,
                        });
                    }
                } else if cert.lo > tol && err < g && agrees && settled {
                    out.avoided += 1;
                    avoided_event(out, params, &cert, scale, ba, bb);
                } else {
                    return Ok(None);
                }
            }
        }
    }
    Ok(Some(map))
}

/// Pair the continued values `cur` (predicted at `pred`) with the model eigenvalues
/// `values`: each must be nearest its prediction and move less than a fifth of the
/// distance to the runner-up; None when that fails (the substep is halved).
fn continue_values(
    pred: &[Complex64],
    cur: &[Complex64],
    values: &[Complex64],
) -> Option<Vec<Complex64>> {
    let k = pred.len();
    let mut used = vec![false; k];
    let mut next = Vec::with_capacity(k);
    for q in 0..k {
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&x, &y| cdist(values[x], pred[q]).total_cmp(&cdist(values[y], pred[q])));
        let j = order[0];
        let step = cdist(values[j], pred[q]).min(cdist(values[j], cur[q]));
        let runner = if k > 1 {
            cdist(values[order[1]], pred[q])
        } else {
            f64::INFINITY
        };
        if used[j] || step.is_nan() || step > 0.2 * runner {
            return None;
        }
        used[j] = true;
        next.push(values[j]);
    }
    Some(next)
}

/// A crossing of a general pair located on vectors refined at each t ([`refine_pair`]):
/// secant steps on f(t) = Re(conj(dir)·(θₐ − θ_b)), the pair's difference along the
/// model's direction `dir` (it changes sign where the pair passes), the two Ritz values
/// kept in order by continuity from the first t; at most eight steps inside `range`.
/// The certificate at the last t (None where a refinement fails).
#[allow(clippy::too_many_arguments)]
fn refined_crossing<T: Element>(
    family: &mut dyn Evaluate<T>,
    u: &DMatrix<Complex64>,
    v: &DMatrix<Complex64>,
    t0: f64,
    range: (f64, f64),
    dir: Complex64,
    h: f64,
    slope_difference: f64,
    out: &mut Outcome,
) -> Result<Option<Certified>> {
    let mut prev: Option<[Complex64; 2]> = None;
    let mut eval = |t: f64,
                    prev: &mut Option<[Complex64; 2]>,
                    out: &mut Outcome|
     -> Result<Option<(f64, Certified)>> {
        let am = family.value(t)?;
        out.evaluations += 1;
        let (theta0, _) = petrov_pair::<T>(&am, u, v);
        let Some((ur, vr)) = refine_pair(&am, u, v, theta0) else {
            return Ok(None);
        };
        let (mut theta, bound) = petrov_pair::<T>(&am, &ur, &vr);
        if let Some(p) = prev {
            if cdist(theta[0], p[0]) + cdist(theta[1], p[1])
                > cdist(theta[1], p[0]) + cdist(theta[0], p[1])
            {
                theta.swap(0, 1);
            }
        } else if (dir.conj() * (theta[0] - theta[1])).re < 0.0 {
            // oriented as the model's pair before the pass
            theta.swap(0, 1);
        }
        *prev = Some(theta);
        let cert = Certified::of_pair(ur, t, theta, bound, slope_difference);
        if !(cert.gap.is_finite() && cert.hi.is_finite()) {
            return Ok(None);
        }
        Ok(Some(((dir.conj() * (theta[0] - theta[1])).re, cert)))
    };
    let step = 1e-6 * h.abs();
    let Some((mut fa, mut ca)) = eval(t0, &mut prev, out)? else {
        return Ok(None);
    };
    let Some((mut fb, mut cb)) = eval((t0 + step).clamp(range.0, range.1), &mut prev, out)? else {
        return Ok(None);
    };
    for _ in 0..8 {
        if cb.hi < ca.hi {
            std::mem::swap(&mut ca, &mut cb);
            std::mem::swap(&mut fa, &mut fb);
        }
        if fa == fb || !(fa.is_finite() && fb.is_finite()) {
            break;
        }
        let next = ca.t - fa * (cb.t - ca.t) / (fb - fa);
        if !next.is_finite() || next < range.0 || next > range.1 {
            break;
        }
        let Some((fn_, cn)) = eval(next, &mut prev, out)? else {
            break;
        };
        (fb, cb) = (fa, ca);
        (fa, ca) = (fn_, cn);
        if ca.hi <= 0.0 || (ca.t - cb.t).abs() <= 1e-15 * h.abs() {
            break;
        }
    }
    Ok(Some(if ca.hi <= cb.hi { ca } else { cb }))
}

/// The distance from 0 to the segment from `p` to `q` in the complex plane.
fn origin_to_segment(p: Complex64, q: Complex64) -> f64 {
    let d = q - p;
    let len2 = d.norm_sqr();
    if len2 == 0.0 || !len2.is_finite() {
        return p.norm();
    }
    let s = (-(p.conj() * d).re / len2).clamp(0.0, 1.0);
    (p + d * s).norm()
}

/// A two-sided refinement of a pair's right and left vectors on a general A: two steps of
/// block inverse iteration, (A − σI)·U₊ = U and (A − σI)ᴴ·V₊ = V with σ the mean of the
/// pair's Ritz values `theta` (nudged off it by 10⁻¹⁰ of its size where A − σI is
/// singular to working precision), each block orthonormalised. The pair's two-dimensional
/// invariant subspaces are amplified by 1/|θ − σ| against the rest of the spectrum, so
/// the residual falls to rounding in one or two steps even at an exact crossing (where
/// the model's vectors carry the interpolation error of the step). None where a solve
/// fails or is not finite.
fn refine_pair<T: Element>(
    a: &DMatrix<T>,
    u: &DMatrix<Complex64>,
    v: &DMatrix<Complex64>,
    theta: [Complex64; 2],
) -> Option<(DMatrix<Complex64>, DMatrix<Complex64>)> {
    let n = a.nrows();
    let mean = (theta[0] + theta[1]) * 0.5;
    let size = theta[0].norm().max(theta[1].norm()).max(f64::MIN_POSITIVE);
    let sigma = mean + Complex64::new(1e-10, 1e-10) * size;
    let mut m = a.map(|x| x.to_c64());
    for i in 0..n {
        m[(i, i)] -= sigma;
    }
    let lu = m.clone().lu();
    let lu_h = m.adjoint().lu();
    let finite = |x: &DMatrix<Complex64>| x.iter().all(|z| z.re.is_finite() && z.im.is_finite());
    let (mut ur, mut vr) = (u.clone(), v.clone());
    for _ in 0..2 {
        let un = lu.solve(&ur)?;
        let vn = lu_h.solve(&vr)?;
        if !(finite(&un) && finite(&vn)) {
            return None;
        }
        ur = un.qr().q();
        vr = vn.qr().q();
    }
    // the refined spans must be the pair's: inverse iteration drifts to a third
    // eigenvalue nearer σ than the pair's own (a wide pair with another one between)
    let kept = |x: &DMatrix<Complex64>, xr: &DMatrix<Complex64>| {
        let q = x.clone().qr().q();
        let s = (q.adjoint() * xr).singular_values();
        s.iter().all(|&v| v >= 0.9)
    };
    (kept(u, &ur) && kept(v, &vr)).then_some((ur, vr))
}

/// Petrov–Galerkin of a general A on the right and left vectors of a pair: the two Ritz
/// values and, for each, the bound κ·ρ on its distance to an eigenvalue of A (ρ the
/// smaller of the right and left residuals of the unit vectors, κ the Ritz condition
/// number).
fn petrov_pair<T: Element>(
    a: &DMatrix<T>,
    u: &DMatrix<Complex64>,
    v: &DMatrix<Complex64>,
) -> ([Complex64; 2], [f64; 2]) {
    let au = T::mul_complex(a, u);
    let h = mul_adj(v, &au);
    let g = mul_adj(v, u);
    let inf = ([c(f64::NAN); 2], [f64::INFINITY; 2]);
    let Some(gi) = g.clone().try_inverse() else {
        return inf;
    };
    let Ok(e) = eig_with(&(&gi * &h), HermitianMode::No) else {
        return inf;
    };
    let ur = u * e.right();
    let vl = v * (gi.adjoint() * e.left());
    let aur = T::mul_complex(a, &ur);
    let avl = T::mul_adj_complex(a, &vl);
    let mut theta = [c(0.0); 2];
    let mut bound = [f64::INFINITY; 2];
    for q in 0..2.min(e.values().len()) {
        let th = e.values()[q];
        let (x, y) = (ur.column(q), vl.column(q));
        let (nx, ny) = (x.norm(), y.norm());
        let rr = (aur.column(q) - x * th).norm() / nx;
        let rl = (avl.column(q) - y * th.conj()).norm() / ny;
        let kappa = nx * ny / cabs(y.dotc(&x));
        theta[q] = th;
        bound[q] = kappa * rr.min(rl);
    }
    (theta, bound)
}

/// The branches in question after pairing s0 → s1 (`perm[i]` the eigenpair of s1 for old
/// branch i): each uncertain branch, and each pair with equal imaginary parts whose real
/// parts exchange order (from the two ends alone a step that jumped over an avoided
/// crossing narrower than itself looks exactly like a crossing). Groups of equal
/// eigenvalues (clusters) and defective eigenvalues are left to the cluster analysis.
pub(crate) fn questions(
    s0: &Point,
    s1: &Point,
    perm: &[usize],
    uncertain: &[usize],
    gap_tol: f64,
    sharp_spacing: Option<f64>,
) -> Vec<Vec<usize>> {
    let n = s0.len();
    // an uncertain branch with its nearest neighbour outside its own group at t₀, the
    // competitor that makes it uncertain (a pair passing close to each other at the start
    // of the step is then continued on one model; a Hermitian model without it may
    // certify a gap of other levels)
    let mut seeds: Vec<Vec<usize>> = uncertain
        .iter()
        .map(|&i| {
            let near = (0..n)
                .filter(|&j| j != i && s0.cluster[j] != s0.cluster[i])
                .min_by(|&x, &y| {
                    cdist(s0.values[x], s0.values[i]).total_cmp(&cdist(s0.values[y], s0.values[i]))
                });
            near.map_or(vec![i], |j| vec![i, j])
        })
        .collect();
    // neighbours at t₁ closer than the crossing tolerance but not one group: they may
    // cross on the sample itself
    let mut inv = vec![0; n];
    for (i, &j) in perm.iter().enumerate() {
        inv[j] = i;
    }
    let mut by_value: Vec<usize> = (0..n).collect();
    by_value.sort_by(|&x, &y| s1.values[x].re.total_cmp(&s1.values[y].re));
    for w in by_value.windows(2) {
        let (x, y) = (w[0], w[1]);
        if s1.cluster[x] != s1.cluster[y]
            && (s1.values[x] - s1.values[y]).norm() <= gap_tol * s1.scale
        {
            seeds.push(vec![inv[x], inv[y]]);
        }
    }
    let (tol0, tol1) = (1e-12 * s0.scale, 1e-12 * s1.scale);
    let v1 = |i: usize| s1.values[perm[i]];
    // the pairs a before b in the order of Re at s0 with Re λa > Re λb at s1: insert the
    // branches in s0 order into a list sorted by Re at s1; the earlier ones behind each
    // insertion point are its inversions (O(n log n) plus the pairs)
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| s0.values[a].re.total_cmp(&s0.values[b].re));
    let mut by_re1: Vec<usize> = Vec::with_capacity(n);
    for &b in &order {
        let at = by_re1.partition_point(|&a| v1(a).re <= v1(b).re);
        by_re1.insert(at, b);
        for &a in &by_re1[at + 1..] {
            let (va0, vb0, va1, vb1) = (s0.values[a], s0.values[b], v1(a), v1(b));
            if s1.cluster[perm[a]] == s1.cluster[perm[b]] || s0.cluster[a] == s0.cluster[b] {
                continue;
            }
            let same_im = (va0.im - vb0.im).abs() <= tol0 && (va1.im - vb1.im).abs() <= tol1;
            let defective = s0.defective[a]
                || s0.defective[b]
                || s1.defective[perm[a]]
                || s1.defective[perm[b]];
            if same_im && !defective {
                seeds.push(vec![a, b]);
            }
        }
    }
    if s0.left.is_some() || s1.left.is_some() {
        close_passes(s0, s1, perm, &mut seeds);
    }
    // with events: neighbouring real branches whose gap has a minimum inside the step
    // that may be narrower than the grid shows (a sharp avoided crossing to report)
    if let Some(spacing) = sharp_spacing {
        let h = s1.t - s0.t;
        let real = |z: Complex64, p: &Point| z.im.abs() <= 1e-12 * p.scale;
        // neighbours at t₀ and at t₁
        let mut by_re1: Vec<usize> = (0..n).collect();
        by_re1.sort_by(|&x, &y| s1.values[perm[x]].re.total_cmp(&s1.values[perm[y]].re));
        let mut pairs: Vec<(usize, usize)> = order
            .windows(2)
            .chain(by_re1.windows(2))
            .map(|w| (w[0].min(w[1]), w[0].max(w[1])))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        for (a, b) in pairs {
            let (ja, jb) = (perm[a], perm[b]);
            if s0.cluster[a] == s0.cluster[b] || s1.cluster[ja] == s1.cluster[jb] {
                continue;
            }
            if ![s0.values[a], s0.values[b]].iter().all(|&z| real(z, s0))
                || ![s1.values[ja], s1.values[jb]].iter().all(|&z| real(z, s1))
            {
                continue;
            }
            let d = [
                (s0.values[a] - s0.values[b]).re,
                (s1.values[ja] - s1.values[jb]).re,
            ];
            let e = [
                (s0.slopes[a] - s0.slopes[b]).re * h,
                (s1.slopes[ja] - s1.slopes[jb]).re * h,
            ];
            if d[0] * e[0] < 0.0 && d[1] * e[1] >= 0.0 && may_be_sharp(d, e, h, spacing) {
                seeds.push(vec![a, b]);
            }
        }
    }
    seeds
}

/// Whether the gap of two real branches, with differences `d` and `e` = h·(slope
/// difference) at the two ends of a step of length h, may have a minimum narrower than
/// the grid can show: the smallest |Δλ| of its cubic Hermite interpolant is below twice
/// the larger end slope difference × the sample spacing.
pub(crate) fn may_be_sharp(d: [f64; 2], e: [f64; 2], h: f64, spacing: f64) -> bool {
    let min = (0..=16)
        .map(|q| {
            let w = hermite_weights(q as f64 / 16.0);
            (w[0] * d[0] + w[1] * e[0] + w[2] * d[1] + w[3] * e[1]).abs()
        })
        .fold(f64::INFINITY, f64::min);
    let v = (e[0].abs().max(e[1].abs()) / h.abs()).max(f64::MIN_POSITIVE);
    min < 2.0 * v * spacing
}

/// Pairs of complex branches whose difference, on the cubic Hermite path through its
/// values and slopes at both ends, comes closer to zero than half its larger distance at
/// the ends: two eigenvalues that meet or bounce inside the step, or near one of its
/// ends. Pairs that are exact
/// conjugates, or on opposite sides of the real axis, meet only at an exceptional point
/// of a real matrix, which the pair transitions handle.
fn close_passes(s0: &Point, s1: &Point, perm: &[usize], seeds: &mut Vec<Vec<usize>>) {
    let n = s0.len();
    let h = s1.t - s0.t;
    let tol0 = 1e-12 * s0.scale;
    for a in 0..n {
        for b in a + 1..n {
            let (va0, vb0) = (s0.values[a], s0.values[b]);
            let (va1, vb1) = (s1.values[perm[a]], s1.values[perm[b]]);
            let same_im = (va0.im - vb0.im).abs() <= tol0;
            if same_im || s0.defective[a] || s0.defective[b] {
                continue;
            }
            let opposite = |x: Complex64, y: Complex64| x.im * y.im < 0.0;
            if opposite(va0, vb0) || opposite(va1, vb1) {
                continue;
            }
            let (d0, d1) = (va0 - vb0, va1 - vb1);
            let (e0, e1) = (
                (s0.slopes[a] - s0.slopes[b]) * h,
                (s1.slopes[perm[a]] - s1.slopes[perm[b]]) * h,
            );
            if !(e0.re.is_finite() && e1.re.is_finite() && e0.im.is_finite() && e1.im.is_finite()) {
                continue;
            }
            let ends = d0.norm().max(d1.norm());
            let close = (1..8).any(|q| {
                let w = hermite_weights(q as f64 / 8.0);
                let d = d0 * w[0] + e0 * w[1] + d1 * w[2] + e1 * w[3];
                d.norm() < 0.5 * ends
            });
            if close {
                seeds.push(vec![a, b]);
            }
        }
    }
}
