//! Tests of the eig JVP and VJP: finite differences of gauge-invariant losses, the adjoint
//! identity, the parallel-transport gauge, repeated and defective eigenvalues, bad input.

use eigentrack::gradient::{COTANGENT_TOL, REPEATED_TOL};
use eigentrack::{
    eig, eig_jvp, eig_jvp_real, eig_jvp_values, eig_jvp_values_real, eig_vjp, eig_vjp_real,
    EigenPairs, Error,
};
use nalgebra::DMatrix;
use num_complex::Complex64;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

type CMat = DMatrix<Complex64>;

fn c(re: f64) -> Complex64 {
    Complex64::new(re, 0.0)
}

const SIZES: [usize; 8] = [2, 3, 4, 6, 9, 14, 21, 30];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    RealGeneral,
    ComplexGeneral,
    RealSymmetric,
    ComplexHermitian,
}

const KINDS: [Kind; 4] = [
    Kind::RealGeneral,
    Kind::ComplexGeneral,
    Kind::RealSymmetric,
    Kind::ComplexHermitian,
];

impl Kind {
    fn is_real(self) -> bool {
        matches!(self, Kind::RealGeneral | Kind::RealSymmetric)
    }
    fn is_hermitian(self) -> bool {
        matches!(self, Kind::RealSymmetric | Kind::ComplexHermitian)
    }
    /// A random matrix of this kind (entries of size ~1).
    fn random(self, n: usize, rng: &mut ChaCha8Rng) -> CMat {
        let m = CMat::from_fn(n, n, |_, _| {
            let re = rng.random_range(-1.0..1.0);
            let im = if self.is_real() {
                0.0
            } else {
                rng.random_range(-1.0..1.0)
            };
            Complex64::new(re, im)
        });
        if self.is_hermitian() {
            (&m + m.adjoint()) * c(0.5)
        } else {
            m
        }
    }
    fn eig(self, a: &CMat) -> EigenPairs {
        if self.is_real() {
            eig(&a.map(|z| z.re)).unwrap()
        } else {
            eig(a).unwrap()
        }
    }
    /// Ā through the VJP of this kind (the real twin, as complex, for real kinds).
    fn vjp(self, a: &CMat, lbar: &[Complex64], xbar: Option<&CMat>) -> eigentrack::Result<CMat> {
        if self.is_real() {
            eig_vjp_real(&a.map(|z| z.re), lbar, xbar).map(|g| g.map(c))
        } else {
            eig_vjp(a, lbar, xbar)
        }
    }
    /// Re⟨Ā, dA⟩ through the VJP of this kind (the real twin for real kinds).
    fn vjp_dot(self, a: &CMat, lbar: &[Complex64], xbar: Option<&CMat>, da: &CMat) -> f64 {
        if self.is_real() {
            let g = eig_vjp_real(&a.map(|z| z.re), lbar, xbar).unwrap();
            g.dot(&da.map(|z| z.re))
        } else {
            let g = eig_vjp(a, lbar, xbar).unwrap();
            inner(&g, da)
        }
    }
}

/// Re⟨a, b⟩ = Re Σ conj(aₖ) bₖ.
fn inner(a: &CMat, b: &CMat) -> f64 {
    a.iter().zip(b.iter()).map(|(x, y)| (x.conj() * y).re).sum()
}

/// d/ds L(A + s·dA) at s = 0: central differences with one Richardson step.
fn fd(loss: impl Fn(&CMat) -> f64, a: &CMat, da: &CMat, h: f64) -> f64 {
    let d = |h: f64| (loss(&(a + da * c(h))) - loss(&(a - da * c(h)))) / (2.0 * h);
    (4.0 * d(h / 2.0) - d(h)) / 3.0
}

fn rel_err(got: f64, want: f64, scale: f64) -> f64 {
    (got - want).abs() / want.abs().max(scale)
}

/// Run `check(kind, n, rng)` over every kind and size, with a seed per case.
fn for_all(mut check: impl FnMut(Kind, usize, &mut ChaCha8Rng)) {
    for (k, kind) in KINDS.iter().enumerate() {
        for &n in &SIZES {
            let mut rng = ChaCha8Rng::seed_from_u64(1000 * k as u64 + n as u64);
            check(*kind, n, &mut rng);
        }
    }
}

const FD_TOL: f64 = 1e-6;

#[test]
fn sum_of_squared_moduli_matches_finite_differences() {
    for_all(|kind, n, rng| {
        let a = kind.random(n, rng);
        let da = kind.random(n, rng);
        let e = kind.eig(&a);
        let lbar: Vec<Complex64> = e.values().iter().map(|l| l * 2.0).collect();
        let got = kind.vjp_dot(&a, &lbar, None, &da);
        let loss = |m: &CMat| {
            kind.eig(m)
                .values()
                .iter()
                .map(|l| l.norm_sqr())
                .sum::<f64>()
        };
        let want = fd(loss, &a, &da, 1e-3);
        let err = rel_err(got, want, 1e-3 * a.norm() * da.norm());
        assert!(
            err <= FD_TOL,
            "{kind:?} n={n}: {got} vs {want} (rel {err:e})"
        );
    });
}

#[test]
fn weighted_real_parts_match_finite_differences() {
    for_all(|kind, n, rng| {
        let a = kind.random(n, rng);
        let da = kind.random(n, rng);
        let w: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let lbar: Vec<Complex64> = w.iter().map(|&x| c(x)).collect();
        let got = kind.vjp_dot(&a, &lbar, None, &da);
        let loss = |m: &CMat| {
            let e = kind.eig(m);
            e.values()
                .iter()
                .zip(&w)
                .map(|(l, wi)| wi * l.re)
                .sum::<f64>()
        };
        let want = fd(loss, &a, &da, 1e-3);
        let err = rel_err(got, want, 1e-3 * da.norm());
        assert!(
            err <= FD_TOL,
            "{kind:?} n={n}: {got} vs {want} (rel {err:e})"
        );
    });
}

/// L = |x₁ᴴ B x₁|² for the first eigenvector; x̄₁ = 2(conj(s) B x₁ + s Bᴴ x₁), s = x₁ᴴBx₁.
#[test]
fn eigenvector_quadratic_form_matches_finite_differences() {
    for_all(|kind, n, rng| {
        let a = kind.random(n, rng);
        let da = kind.random(n, rng);
        let b = Kind::ComplexGeneral.random(n, rng);
        let e = kind.eig(&a);
        let x1 = e.right().column(0).clone_owned();
        let s = x1.dotc(&(&b * &x1));
        let mut xbar = CMat::zeros(n, n);
        xbar.set_column(
            0,
            &((&b * &x1) * (s.conj() * 2.0) + (b.adjoint() * &x1) * (s * 2.0)),
        );
        let lbar = vec![c(0.0); n];
        let got = kind.vjp_dot(&a, &lbar, Some(&xbar), &da);
        let loss = |m: &CMat| {
            let e = kind.eig(m);
            let x = e.right().column(0).clone_owned();
            x.dotc(&(&b * &x)).norm_sqr()
        };
        let want = fd(loss, &a, &da, 1e-4);
        let err = rel_err(got, want, 1e-3 * da.norm() * b.norm());
        assert!(
            err <= FD_TOL,
            "{kind:?} n={n}: {got} vs {want} (rel {err:e})"
        );
    });
}

/// A random gauge-invariant X̄: x̄ⱼ ← x̄ⱼ − i·Im(xⱼᴴ x̄ⱼ)·xⱼ.
fn gauge_invariant_cotangent(x: &CMat, rng: &mut ChaCha8Rng) -> CMat {
    let n = x.nrows();
    let mut xb = Kind::ComplexGeneral.random(n, rng);
    for j in 0..n {
        let im = x.column(j).dotc(&xb.column(j)).im;
        let xj = x.column(j).clone_owned();
        xb.column_mut(j)
            .axpy(Complex64::new(0.0, -im), &xj, Complex64::new(1.0, 0.0));
    }
    xb
}

#[test]
fn adjoint_identity_holds() {
    for_all(|kind, n, rng| {
        let a = kind.random(n, rng);
        // a general direction, also for Hermitian A
        let da = if kind.is_real() {
            Kind::RealGeneral.random(n, rng)
        } else {
            Kind::ComplexGeneral.random(n, rng)
        };
        let e = kind.eig(&a);
        let xbar = gauge_invariant_cotangent(e.right(), rng);
        let lbar: Vec<Complex64> = (0..n)
            .map(|_| Complex64::new(rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)))
            .collect();
        let (dl, dx) = if kind.is_real() {
            eig_jvp_real(&a.map(|z| z.re), &da.map(|z| z.re)).unwrap()
        } else {
            eig_jvp(&a, &da).unwrap()
        };
        let lhs = kind.vjp_dot(&a, &lbar, Some(&xbar), &da);
        let t1: f64 = lbar.iter().zip(&dl).map(|(u, v)| (u.conj() * v).re).sum();
        let t2 = inner(&xbar, &dx);
        let scale = t1.abs() + t2.abs();
        let err = (lhs - t1 - t2).abs() / scale;
        assert!(
            err <= 1e-10,
            "{kind:?} n={n}: {lhs} vs {t1} + {t2} (rel {err:e})"
        );
    });
}

/// dλ and dX against central differences of eigenpairs whose phase is aligned to the
/// unperturbed eigenvectors (xⱼ(0)ᴴ xⱼ(h) real positive): the parallel-transport gauge.
#[test]
fn jvp_matches_phase_aligned_finite_differences() {
    for_all(|kind, n, rng| {
        let a = kind.random(n, rng);
        let da = kind.random(n, rng);
        let e = kind.eig(&a);
        let (dl, dx) = if kind.is_real() {
            eig_jvp_real(&a.map(|z| z.re), &da.map(|z| z.re)).unwrap()
        } else {
            eig_jvp(&a, &da).unwrap()
        };
        // the gauge: xⱼᴴ dxⱼ = 0
        for j in 0..n {
            let g = e.right().column(j).dotc(&dx.column(j));
            assert!(
                g.norm() <= 1e-12 * dx.column(j).norm().max(1.0),
                "{kind:?} n={n}: x_{j}ᴴ dx_{j} = {g}"
            );
        }
        let h = 1e-6;
        let aligned = |m: &CMat| {
            let f = kind.eig(m);
            let mut x = f.right().clone();
            for j in 0..n {
                let p = e.right().column(j).dotc(&x.column(j));
                let ph = p.conj() / p.norm();
                for i in 0..n {
                    x[(i, j)] *= ph;
                }
            }
            (f.values().to_vec(), x)
        };
        let (lp, xp) = aligned(&(&a + &da * c(h)));
        let (lm, xm) = aligned(&(&a - &da * c(h)));
        let dx_fd = (xp - xm) / c(2.0 * h);
        for j in 0..n {
            let dl_fd = (lp[j] - lm[j]) / (2.0 * h);
            let err = (dl_fd - dl[j]).norm() / dl[j].norm().max(da.norm());
            assert!(err < 1e-7, "{kind:?} n={n}: dλ_{j} {} vs {dl_fd}", dl[j]);
        }
        let err = (&dx_fd - &dx).norm() / dx.norm();
        assert!(err < 1e-6, "{kind:?} n={n}: dX rel err {err:e}");
    });
}

/// A = Q diag(μ) Q⁻¹ with μ₀ = μ₁ = μ₂ (Q unitary for the Hermitian kinds).
fn with_repeated(kind: Kind, n: usize, value: f64, rng: &mut ChaCha8Rng) -> CMat {
    let mut mu: Vec<f64> = (0..n).map(|k| 1.5 + k as f64 * 0.37).collect();
    for m in mu.iter_mut().take(3) {
        *m = value;
    }
    let d = CMat::from_diagonal(&nalgebra::DVector::from_iterator(n, mu.into_iter().map(c)));
    let q = if kind.is_real() {
        Kind::RealGeneral.random(n, rng)
    } else {
        Kind::ComplexGeneral.random(n, rng)
    };
    let q = q + CMat::identity(n, n) * c(1.5); // keep κ moderate
    if kind.is_hermitian() {
        let u = q.qr().q();
        &u * d * u.adjoint()
    } else {
        let qi = q.clone().try_inverse().unwrap();
        let m = &q * d * qi;
        if kind.is_real() {
            m.map(|z| c(z.re))
        } else {
            m
        }
    }
}

/// Indices of the three eigenvalues of `e` nearest to `value`.
fn nearest3(e: &EigenPairs, value: f64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..e.len()).collect();
    idx.sort_by(|&i, &j| {
        (e.values()[i] - value)
            .norm()
            .total_cmp(&(e.values()[j] - value).norm())
    });
    idx.truncate(3);
    idx
}

#[test]
fn repeated_eigenvalue_with_eigenvalue_only_cotangent_is_exact() {
    for kind in KINDS {
        for n in [3, 5, 12, 30] {
            let mut rng = ChaCha8Rng::seed_from_u64(77 + n as u64);
            let a = with_repeated(kind, n, 0.7, &mut rng);
            let da = kind.random(n, &mut rng);
            let e = kind.eig(&a);
            let cl = e.clusters(REPEATED_TOL);
            let big = cl.iter().find(|c| c.indices.len() > 1).expect("a cluster");
            assert_eq!(big.indices.len(), 3, "{kind:?} n={n}");
            // Σ over the cluster
            let mut lbar = vec![c(0.0); n];
            for &i in &big.indices {
                lbar[i] = c(1.0);
            }
            let got = kind.vjp_dot(&a, &lbar, None, &da);
            let loss = |m: &CMat| {
                let f = kind.eig(m);
                nearest3(&f, 0.7)
                    .iter()
                    .map(|&i| f.values()[i].re)
                    .sum::<f64>()
            };
            let want = fd(loss, &a, &da, 1e-4);
            let err = rel_err(got, want, 1e-3 * da.norm());
            assert!(
                err <= FD_TOL,
                "{kind:?} n={n}: Σ cluster {got} vs {want} ({err:e})"
            );
            // Σ|λ|² over all: λ̄ = 2λ is equal within the cluster up to rounding
            let lbar: Vec<Complex64> = e.values().iter().map(|l| l * 2.0).collect();
            let got = kind.vjp_dot(&a, &lbar, None, &da);
            let loss = |m: &CMat| {
                kind.eig(m)
                    .values()
                    .iter()
                    .map(|l| l.norm_sqr())
                    .sum::<f64>()
            };
            let want = fd(loss, &a, &da, 1e-4);
            let err = rel_err(got, want, 1e-3 * da.norm() * a.norm());
            assert!(
                err <= FD_TOL,
                "{kind:?} n={n}: Σ|λ|² {got} vs {want} ({err:e})"
            );
        }
    }
}

/// L = Re tr(B P_c) with the spectral projector P_c = X E_c X⁻¹ of the cluster: a function
/// of the invariant subspace, so exact at the repeated eigenvalue.
#[test]
fn repeated_eigenvalue_with_subspace_cotangent_is_exact() {
    for kind in KINDS {
        for n in [4, 9, 20] {
            let mut rng = ChaCha8Rng::seed_from_u64(500 + n as u64);
            let a = with_repeated(kind, n, -0.4, &mut rng);
            let da = kind.random(n, &mut rng);
            let b = Kind::ComplexGeneral.random(n, &mut rng);
            let e = kind.eig(&a);
            let cluster = nearest3(&e, -0.4);
            let mut ec = CMat::zeros(n, n);
            for &i in &cluster {
                ec[(i, i)] = c(1.0);
            }
            let x = e.right();
            let z = e.left().adjoint(); // X⁻¹
            let p = x * &ec * &z;
            let xbar = (&ec * &z * &b - &z * &b * &p).adjoint();
            let lbar = vec![c(0.0); n];
            let got = kind.vjp_dot(&a, &lbar, Some(&xbar), &da);
            let loss = |m: &CMat| {
                let f = kind.eig(m);
                let mut p = CMat::zeros(n, n);
                for i in nearest3(&f, -0.4) {
                    p += f.right().column(i) * f.left().column(i).adjoint();
                }
                (&b * p).trace().re
            };
            let want = fd(loss, &a, &da, 1e-4);
            let err = rel_err(got, want, 1e-3 * da.norm() * b.norm());
            assert!(err <= FD_TOL, "{kind:?} n={n}: {got} vs {want} ({err:e})");
        }
    }
}

fn ill_defined(r: eigentrack::Result<impl std::fmt::Debug>) -> String {
    match r {
        Err(Error::IllDefined { reason }) => reason,
        other => panic!("expected IllDefined, got {other:?}"),
    }
}

#[test]
fn non_invariant_cotangent_at_a_repeated_eigenvalue_names_the_cluster() {
    for kind in KINDS {
        let n = 6;
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let a = with_repeated(kind, n, 0.7, &mut rng);
        let e = kind.eig(&a);
        let idx = nearest3(&e, 0.7);
        let mut sorted = idx.clone();
        sorted.sort();
        let name = format!("{sorted:?}");
        // λ̄ not constant on the cluster
        let mut lbar = vec![c(0.0); n];
        lbar[idx[0]] = c(1.0);
        let msg = ill_defined(kind.vjp(&a, &lbar, None));
        assert!(msg.contains(&name), "{kind:?}: {msg}");
        assert!(msg.contains("λ̄"), "{msg}");
        // X̄ of |x_iᴴ B x_i|² for one eigenvector of the cluster
        let b = Kind::ComplexGeneral.random(n, &mut rng);
        let xi = e.right().column(idx[0]).clone_owned();
        let s = xi.dotc(&(&b * &xi));
        let mut xbar = CMat::zeros(n, n);
        xbar.set_column(
            idx[0],
            &((&b * &xi) * (s.conj() * 2.0) + (b.adjoint() * &xi) * (s * 2.0)),
        );
        let msg = ill_defined(kind.vjp(&a, &vec![c(0.0); n], Some(&xbar)));
        assert!(msg.contains(&name), "{kind:?}: {msg}");
        assert!(msg.contains("X̄"), "{msg}");
        // the JVP of the eigenvectors does not exist there …
        let da = kind.random(n, &mut rng);
        let msg = ill_defined(eig_jvp(&a, &da));
        assert!(msg.contains(&name), "{msg}");
    }
}

/// At a repeated eigenvalue the eigenvalue JVP is the eigenvalues of Y_cᴴ dA X_c: compare
/// with one-sided differences of the sorted eigenvalues.
#[test]
fn eigenvalue_jvp_at_a_repeated_eigenvalue() {
    for kind in KINDS {
        for n in [3, 7, 16] {
            let mut rng = ChaCha8Rng::seed_from_u64(31 + n as u64);
            let a = with_repeated(kind, n, 0.7, &mut rng);
            let da = kind.random(n, &mut rng);
            let dl = if kind.is_real() {
                eig_jvp_values_real(&a.map(|z| z.re), &da.map(|z| z.re)).unwrap()
            } else {
                eig_jvp_values(&a, &da).unwrap()
            };
            let e = kind.eig(&a);
            // forward differences with a Richardson step, 2·D(h/2) − D(h), where
            // D(h) = (λₖ(A + h dA) − λ)/h; each μₖ is matched with the split eigenvalue
            // nearest to λ + h μₖ
            let h = 1e-5;
            let l1 = kind.eig(&(&a + &da * c(h)));
            let l2 = kind.eig(&(&a + &da * c(h / 2.0)));
            let nearest = |f: &EigenPairs, z: Complex64| {
                f.values()
                    .iter()
                    .min_by(|p, q| (*p - z).norm().total_cmp(&(*q - z).norm()))
                    .copied()
                    .unwrap()
            };
            for &i in &nearest3(&e, 0.7) {
                let mu = dl[i];
                let d1 = (nearest(&l1, e.values()[i] + mu * h) - 0.7) / h;
                let d2 = (nearest(&l2, e.values()[i] + mu * (h / 2.0)) - 0.7) / (h / 2.0);
                let want = d2 * 2.0 - d1;
                let err = (mu - want).norm() / da.norm();
                assert!(err < 1e-6, "{kind:?} n={n}: dλ_{i} {mu} vs {want}");
            }
            // outside the cluster, the plain JVP values
            let cluster = nearest3(&e, 0.7);
            for (i, dli) in dl.iter().enumerate() {
                if !cluster.contains(&i) {
                    let p = e.left().column(i).dotc(&(&da * e.right().column(i)));
                    assert!((p - dli).norm() < 1e-12 * da.norm());
                }
            }
        }
    }
}

#[test]
fn phase_dependent_loss_is_an_error() {
    for kind in KINDS {
        let n = 5;
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let a = kind.random(n, &mut rng);
        // L = Re x₁[0] depends on the phase of x₁: x̄₁ = e₀
        let mut xbar = CMat::zeros(n, n);
        xbar[(0, 1)] = c(1.0);
        let e = kind.eig(&a);
        // choose a component whose phase is visible: Im(conj(x[0,1])) ≠ 0 unless x[0,1] is
        // real; for real eigenvectors use L = Im x₁[0] instead (x̄ = i e₀)
        if e.right()[(0, 1)].im.abs() < 1e-3 {
            xbar[(0, 1)] = Complex64::new(0.0, 1.0);
        }
        let msg = ill_defined(kind.vjp(&a, &vec![c(0.0); n], Some(&xbar)));
        assert!(msg.contains("phase of eigenvector 1"), "{kind:?}: {msg}");
        // the same loss made phase-invariant, |x₁[0]|², is fine
        let mut xbar = CMat::zeros(n, n);
        xbar[(0, 1)] = e.right()[(0, 1)] * 2.0;
        assert!(kind.vjp(&a, &vec![c(0.0); n], Some(&xbar)).is_ok());
    }
}

#[test]
fn phase_check_tolerance_is_relative() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let n = 4;
    let a = Kind::ComplexGeneral.random(n, &mut rng);
    let e = eig(&a).unwrap();
    let x = e.right();
    for scale in [1e-200, 1.0, 1e200] {
        let unit = gauge_invariant_cotangent(x, &mut rng);
        let norm = unit.norm() * scale; // ‖X̄‖_F without underflow
        let mut xbar = unit * c(scale);
        // a phase-dependent part just below and just above the tolerance
        let below = x.column(2) * Complex64::new(0.0, 0.5 * COTANGENT_TOL * norm);
        xbar.set_column(2, &(xbar.column(2) + below));
        if let Err(e) = eig_vjp(&a, &vec![c(0.0); n], Some(&xbar)) {
            panic!("scale {scale:e}: {e}");
        }
        let above = x.column(2) * Complex64::new(0.0, 4.0 * COTANGENT_TOL * norm);
        xbar.set_column(2, &(xbar.column(2) + above));
        let msg = ill_defined(eig_vjp(&a, &vec![c(0.0); n], Some(&xbar)));
        assert!(msg.contains("eigenvector 2"), "{msg}");
    }
}

#[test]
fn defective_eigenvalue_is_an_error() {
    // a Jordan block with a simple eigenvalue beside it
    let a = DMatrix::from_row_slice(3, 3, &[1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 3.0]);
    let da = DMatrix::from_row_slice(3, 3, &[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    let msg = ill_defined(eig_jvp_real(&a, &da));
    assert!(msg.contains("defective"), "{msg}");
    let msg = ill_defined(eig_jvp_values_real(&a, &da));
    assert!(msg.contains("defective"), "{msg}");
    let msg = ill_defined(eig_vjp_real(&a, &[c(1.0), c(0.0), c(0.0)], None));
    assert!(msg.contains("defective"), "{msg}");
    // the simple eigenvalue 3 alone is fine: ∂λ/∂A = y xᵀ with x = e₂, y = e₂
    let g = eig_vjp_real(&a, &[c(0.0), c(0.0), c(1.0)], None).unwrap();
    let mut expect = DMatrix::zeros(3, 3);
    expect[(2, 2)] = 1.0;
    assert!((g - expect).norm() < 1e-14);
}

#[test]
fn hermitian_input_uses_y_equal_x() {
    // symmetric A: ∂λᵢ/∂A = xᵢ xᵢᵀ; for a Hermitian direction dλᵢ = xᵢᴴ dA xᵢ
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let a = Kind::ComplexHermitian.random(8, &mut rng);
    let e = eig(&a).unwrap();
    assert!(e.is_hermitian());
    for i in 0..8 {
        let mut lbar = vec![c(0.0); 8];
        lbar[i] = c(1.0);
        let g = eig_vjp(&a, &lbar, None).unwrap();
        let xi = e.right().column(i);
        let expect = xi * xi.adjoint();
        assert!((g - expect).norm() < 1e-13);
    }
}

#[test]
fn zero_and_identity_matrices() {
    // L = Σλᵢ = tr A: Ā = I even though every eigenvalue is repeated
    for a in [CMat::zeros(4, 4), CMat::identity(4, 4) * c(2.5)] {
        let g = eig_vjp(&a, &[c(1.0); 4], None).unwrap();
        assert!((g - CMat::identity(4, 4)).norm() < 1e-14);
        let msg = ill_defined(eig_vjp(&a, &[c(1.0), c(0.0), c(0.0), c(0.0)], None));
        assert!(msg.contains("[0, 1, 2, 3]"), "{msg}");
    }
}

#[test]
fn a_known_gradient_by_hand() {
    // A = [[a, b], [0, d]] with a ≠ d: λ = (a, d); ∂λ₀/∂A = y₀ x₀ᴴ with x₀ = e₀ and
    // y₀ = (1, −b/(d − a))… conj: y₀ᴴ A = a y₀ᴴ ⇒ y₀ = (1, b/(a − d))
    let (a0, b0, d0) = (1.0, 3.0, 4.0);
    let a = DMatrix::from_row_slice(2, 2, &[a0, b0, 0.0, d0]);
    let g = eig_vjp_real(&a, &[c(1.0), c(0.0)], None).unwrap();
    let expect = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, b0 / (a0 - d0), 0.0]);
    assert!((&g - expect).norm() < 1e-14, "{g}");
}

#[test]
fn bad_input_is_an_error() {
    let a = CMat::identity(3, 3);
    let ar = DMatrix::<f64>::identity(3, 3);
    assert!(matches!(
        eig_jvp(&a, &CMat::zeros(3, 2)),
        Err(Error::DimensionMismatch {
            what: "dA against A",
            found_cols: 2,
            ..
        })
    ));
    assert!(matches!(
        eig_jvp_real(&ar, &DMatrix::zeros(2, 3)),
        Err(Error::DimensionMismatch { found_rows: 2, .. })
    ));
    assert!(matches!(
        eig_jvp_values(&a, &CMat::zeros(4, 4)),
        Err(Error::DimensionMismatch { .. })
    ));
    let mut bad = a.clone();
    bad[(1, 2)] = Complex64::new(0.0, f64::NAN);
    assert!(matches!(
        eig_jvp(&bad, &a),
        Err(Error::NonFinite {
            what: "A",
            row: 1,
            col: 2,
            ..
        })
    ));
    assert!(matches!(
        eig_jvp(&a, &bad),
        Err(Error::NonFinite {
            what: "dA",
            row: 1,
            col: 2,
            ..
        })
    ));
    let mut badr = ar.clone();
    badr[(0, 1)] = f64::INFINITY;
    assert!(matches!(
        eig_vjp_real(&badr, &[c(1.0); 3], None),
        Err(Error::NonFinite {
            what: "A",
            row: 0,
            col: 1,
            ..
        })
    ));
    assert!(matches!(
        eig_vjp(&a, &[c(1.0); 2], None),
        Err(Error::DimensionMismatch {
            found_rows: 2,
            expected_rows: 3,
            ..
        })
    ));
    assert!(matches!(
        eig_vjp(&a, &[c(1.0), c(f64::NAN), c(1.0)], None),
        Err(Error::NonFinite {
            what: "λ̄",
            row: 1,
            ..
        })
    ));
    assert!(matches!(
        eig_vjp(&a, &[c(1.0); 3], Some(&CMat::zeros(3, 1))),
        Err(Error::DimensionMismatch {
            what: "X̄ against A",
            ..
        })
    ));
    let mut xb = CMat::zeros(3, 3);
    xb[(2, 0)] = c(f64::NEG_INFINITY);
    assert!(matches!(
        eig_vjp(&a, &[c(1.0); 3], Some(&xb)),
        Err(Error::NonFinite {
            what: "X̄",
            row: 2,
            col: 0,
            ..
        })
    ));
    assert!(matches!(
        eig_vjp(&CMat::zeros(0, 0), &[], None),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        eig_jvp_real(&DMatrix::zeros(2, 3), &DMatrix::zeros(2, 3)),
        Err(Error::NotSquare { .. })
    ));
}

/// Ā never contains Inf or NaN: a nearly repeated pair just outside the cluster
/// tolerance gives a large but finite gradient, tiny matrices work.
#[test]
fn results_are_finite_at_extreme_scales() {
    for s in [1e-250, 1e-150, 1.0, 1e150] {
        let a = DMatrix::from_row_slice(2, 2, &[s, 2.0 * s, 0.5 * s, -s]);
        let (dl, dx) = eig_jvp_real(&a, &a).unwrap();
        // A(1 + ε): dλ = λ, dX = 0
        let e = eig(&a).unwrap();
        for (dli, li) in dl.iter().zip(e.values()) {
            assert!((dli - li).norm() <= 1e-14 * s);
        }
        assert!(dx.norm() < 1e-14);
        let xbar = gauge_invariant_cotangent(e.right(), &mut ChaCha8Rng::seed_from_u64(1));
        let g = eig_vjp_real(&a, &[c(1.0), c(1.0)], Some(&xbar)).unwrap();
        assert!(g.iter().all(|v| v.is_finite()));
    }
}
