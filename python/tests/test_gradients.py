"""eig, eigh, eig_jvp, eig_vjp and the JAX / PyTorch / PyTensor wrappers, checked
against finite differences on phase-invariant losses, including a repeated eigenvalue."""

import numpy as np
import pytest

import eigentrack as et

RNG = np.random.default_rng(7)
A = RNG.standard_normal((4, 4))
AC = RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3))
# a symmetric matrix with the eigenvalue 1 repeated: Q diag(1, 1, 3, -2) Qᵀ
Q, _ = np.linalg.qr(RNG.standard_normal((4, 4)))
AREP = Q @ np.diag([1.0, 1.0, 3.0, -2.0]) @ Q.T


def test_eig_and_eigh():
    w, vl, vr = et.eig(A, left=True)
    assert np.allclose(A @ vr, vr * w, atol=1e-12)
    assert np.allclose(vl.conj().T @ vr, np.eye(4), atol=1e-12)
    assert np.allclose(np.linalg.norm(vr, axis=0), 1.0)
    assert np.allclose(np.sort_complex(w), np.sort_complex(np.linalg.eigvals(A)))
    # ascending (Re, Im)
    assert all((w[k].real, w[k].imag) <= (w[k + 1].real, w[k + 1].imag) for k in range(3))
    w2, v2 = et.eig(AC)
    assert np.allclose(AC @ v2, v2 * w2, atol=1e-12)
    s = A + A.T
    w3, v3 = et.eigh(s)
    assert w3.dtype == np.float64 and v3.dtype == np.float64
    assert np.allclose(w3, np.linalg.eigvalsh(s)) and np.allclose(v3.T @ v3, np.eye(4))


def test_eig_jvp_matches_finite_differences():
    da = RNG.standard_normal((4, 4))
    dw, dv = et.eig_jvp(A, da)
    h = 1e-6
    wp, _ = et.eig(A + h * da)
    wm, _ = et.eig(A - h * da)
    assert np.allclose((wp - wm) / (2 * h), dw, atol=1e-7)
    with pytest.raises(et.IllDefinedError, match="repeated"):
        et.eig_jvp(AREP, da)


def test_eig_vjp_is_the_adjoint_of_the_jvp():
    da = RNG.standard_normal((4, 4))
    dw, dv = et.eig_jvp(A, da)
    w, v = et.eig(A)
    # the loss L = Σ Re(c̄ᵢ wᵢ) + Σ |vᵢⱼ|²-type terms are phase invariant; use eigenvalues
    # and |v|², whose cotangents are c and 2v
    c = RNG.standard_normal(4) + 1j * RNG.standard_normal(4)
    g = et.eig_vjp(A, c, 2 * v * np.abs(v) ** 0 * 0 + 0 * v)
    assert g.dtype == np.float64
    assert np.isclose(np.sum(g * da), np.real(np.vdot(c, dw)), atol=1e-10)
    g2 = et.eig_vjp(A, c)
    assert np.allclose(g, g2)


def test_phase_dependent_loss_raises():
    w, v = et.eig(A)
    vbar = np.zeros_like(v)
    vbar[0, 0] = 1j  # L = Im v₀₀ depends on the phase of v₀ (v₀ is real here)
    with pytest.raises(et.IllDefinedError, match="phase"):
        et.eig_vjp(A, np.zeros(4), vbar)
    w, v = et.eig(AC)
    vbar = np.zeros_like(v)
    vbar[0, 0] = 1.0  # L = Re v₀₀ of a complex eigenvector
    with pytest.raises(et.IllDefinedError, match="phase"):
        et.eig_vjp(AC, np.zeros(3), vbar)


def test_repeated_eigenvalue_cluster_invariant():
    w, v = et.eig(AREP)
    # Σ λ²: the cotangent 2λ is equal inside the cluster {1, 1}
    g = et.eig_vjp(AREP, 2 * w)
    assert np.allclose(g, 2 * AREP.T, atol=1e-9)  # ∂ tr(A²)/∂A = 2Aᵀ
    # a cotangent that separates the two equal eigenvalues is ill-defined
    k = np.flatnonzero(np.abs(w - 1) < 1e-9)
    bad = np.zeros(4, complex)
    bad[k[0]] = 1.0
    with pytest.raises(et.IllDefinedError):
        et.eig_vjp(AREP, bad)


# ----------------------------------------------------------------------------- JAX

jax = pytest.importorskip("jax")


@pytest.fixture(scope="module")
def jx():
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax.test_util import check_grads

    from eigentrack.jax import eig

    return jnp, check_grads, eig


def _loss_values_vectors(jnp, eig):
    def loss(a):
        w, v = eig(a)
        # eigenvalues, and |v|² (phase invariant)
        return jnp.sum(jnp.real(w) ** 2 + 0.3 * jnp.imag(w) ** 2) + jnp.sum(jnp.abs(v[0, :]) ** 2 * jnp.arange(1, v.shape[0] + 1))
    return loss


def test_jax_check_grads_real_and_complex(jx):
    jnp, check_grads, eig = jx
    loss = _loss_values_vectors(jnp, eig)
    check_grads(loss, (jnp.asarray(A),), order=1, modes=["rev"], atol=1e-5, rtol=1e-5)
    check_grads(loss, (jnp.asarray(AC),), order=1, modes=["rev"], atol=1e-5, rtol=1e-5)
    g = jax.grad(lambda a: jnp.sum(jnp.real(eig(a)[0])))(jnp.asarray(A))
    assert np.allclose(g, np.eye(4), atol=1e-12)  # Σ Re λ = tr A
    gj = jax.jit(jax.grad(loss))(jnp.asarray(A))
    assert np.allclose(gj, jax.grad(loss)(jnp.asarray(A)))


def test_jax_repeated_eigenvalue(jx):
    jnp, check_grads, eig = jx
    loss = lambda a: jnp.sum(jnp.real(eig(a)[0] ** 2))
    check_grads(loss, (jnp.asarray(AREP),), order=1, modes=["rev"], atol=1e-5, rtol=1e-5)
    g = jax.grad(loss)(jnp.asarray(AREP))
    assert np.allclose(g, 2 * AREP.T, atol=1e-8)


def test_jax_phase_dependent_loss_raises(jx):
    jnp, _, eig = jx
    with pytest.raises(Exception, match="phase"):
        jax.grad(lambda a: jnp.imag(eig(a)[1][0, 0]))(jnp.asarray(A)).block_until_ready()
    with pytest.raises(Exception, match="phase"):
        jax.grad(lambda a: jnp.real(eig(a)[1][0, 0]))(jnp.asarray(AC)).block_until_ready()


# ----------------------------------------------------------------------------- PyTensor


def test_pytensor_verify_grad():
    pytensor = pytest.importorskip("pytensor")
    import pytensor.tensor as pt
    from pytensor.gradient import verify_grad

    from eigentrack.pytensor import Eig, eig

    rng = np.random.default_rng(3)

    def values_and_vectors(a):
        w_re, w_im, v_re, v_im = eig(a)
        return w_re**2 + w_im + pt.sum((v_re**2 + v_im**2) * pt.arange(1, 5)[:, None], axis=0)

    verify_grad(values_and_vectors, [A], rng=rng, abs_tol=1e-5, rel_tol=1e-5)
    # repeated eigenvalue, cluster-invariant loss Σ λ²
    verify_grad(lambda a: (Eig()(a)[0] ** 2).sum(), [AREP], rng=rng, abs_tol=1e-5, rel_tol=1e-5)
    a = pt.dmatrix("a")
    w_re, w_im, v_re, v_im = eig(a)
    g = pytensor.function([a], pytensor.grad(pt.sum(w_re), a))(A)
    assert np.allclose(g, np.eye(4), atol=1e-12)
    bad = pytensor.function([a], pytensor.grad(v_im[0, 0], a))
    with pytest.raises(et.IllDefinedError, match="phase"):
        bad(A)
    # a cotangent that separates the repeated eigenvalue
    k = int(np.flatnonzero(np.abs(et.eig(AREP)[0] - 1) < 1e-9)[0])
    sep = pytensor.function([a], pytensor.grad(w_re[k], a))
    with pytest.raises(et.IllDefinedError):
        sep(AREP)


# ----------------------------------------------------------------------------- PyTorch


def test_torch_gradcheck():
    torch = pytest.importorskip("torch")
    from eigentrack.torch import eig

    def loss(a):
        w, v = eig(a)
        return (w.real**2 + 0.3 * w.imag**2).sum() + (v[0].abs() ** 2 * torch.arange(1, a.shape[0] + 1)).sum()

    for m in (A, AC):
        a = torch.tensor(m, requires_grad=True)
        assert torch.autograd.gradcheck(loss, (a,), eps=1e-6, atol=1e-5)
    a = torch.tensor(AREP, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a: (eig(a)[0] ** 2).real.sum(), (a,), eps=1e-6, atol=1e-5)
    a = torch.tensor(A, requires_grad=True)
    w, v = eig(a)
    with pytest.raises(et.IllDefinedError, match="phase"):
        v[0, 0].imag.backward()
