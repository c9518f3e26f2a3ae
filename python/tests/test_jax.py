"""eigentrack.jax: vmap (both functions), forward mode of eig_fwd (jvp, jacfwd, Hessians)
against eig_jvp, a loop and finite differences, check_grads in both modes, and the error
without 64-bit floats."""

import os
import subprocess
import sys

import numpy as np
import pytest

import eigentrack as et

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax.test_util import check_grads  # noqa: E402

from eigentrack.jax import eig, eig_fwd  # noqa: E402

RNG = np.random.default_rng(11)
A = RNG.standard_normal((4, 4))
AC = RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3))
BATCH = RNG.standard_normal((5, 3, 3))


@pytest.mark.parametrize("fn", [eig, eig_fwd])
def test_vmap_equals_a_loop(fn):
    """Issue 28, bug 2: vmap raised NotImplementedError (vmap_method=None)."""
    w = jax.vmap(lambda m: fn(m)[0])(jnp.asarray(BATCH))
    loop = np.stack([et.eig(m)[0] for m in BATCH])
    assert w.shape == (5, 3)
    assert np.array_equal(np.asarray(w), loop)
    # nested vmap and jit
    w2 = jax.jit(jax.vmap(jax.vmap(lambda m: fn(m)[0])))(jnp.asarray(BATCH.reshape(5, 1, 3, 3)))
    assert np.array_equal(np.asarray(w2)[:, 0], loop)


def test_vmap_of_the_gradient_equals_a_loop():
    loss = lambda a: jnp.sum(jnp.real(eig(a)[0]) ** 2)
    g = jax.vmap(jax.grad(loss))(jnp.asarray(BATCH))
    for k, m in enumerate(BATCH):
        assert np.allclose(g[k], jax.grad(loss)(jnp.asarray(m)), atol=1e-13)
    gf = jax.vmap(jax.grad(lambda a: jnp.sum(jnp.real(eig_fwd(a)[0]) ** 2)))(jnp.asarray(BATCH))
    assert np.allclose(gf, g, atol=1e-10)


@pytest.mark.parametrize("a", [A, AC], ids=["real", "complex"])
def test_eig_fwd_jvp_is_eig_jvp(a):
    da = RNG.standard_normal(a.shape) + (1j * RNG.standard_normal(a.shape) if np.iscomplexobj(a) else 0)
    (w, v), (dw, dv) = jax.jvp(eig_fwd, (jnp.asarray(a),), (jnp.asarray(da),))
    dw_rs, dv_rs = et.eig_jvp(a, da)
    assert np.allclose(dw, dw_rs, atol=1e-11)
    assert np.allclose(dv, dv_rs, atol=1e-10)
    # the parallel-transport gauge: x_iᴴ dx_i = 0
    assert np.max(np.abs(np.sum(np.conj(v) * dv, axis=0))) < 1e-12


def test_jacfwd_against_finite_differences():
    f = lambda a: jnp.real(eig_fwd(a)[0])
    J = np.asarray(jax.jacfwd(f)(jnp.asarray(A)))
    h = 1e-6
    fd = np.zeros_like(J)
    for i in range(4):
        for j in range(4):
            e = np.zeros((4, 4))
            e[i, j] = h
            fd[:, i, j] = (et.eig(A + e)[0].real - et.eig(A - e)[0].real) / (2 * h)
    assert np.allclose(J, fd, atol=1e-7)
    assert np.allclose(jax.jacrev(f)(jnp.asarray(A)), J, atol=1e-11)


@pytest.mark.parametrize("a", [A, AC], ids=["real", "complex"])
def test_check_grads_both_modes_second_order(a):
    def loss(m):
        w, v = eig_fwd(m)
        return jnp.sum(jnp.real(w) ** 2 + 0.3 * jnp.imag(w) ** 2) + jnp.sum(
            jnp.abs(v[0, :]) ** 2 * jnp.arange(1, v.shape[0] + 1))
    check_grads(loss, (jnp.asarray(a),), order=2, modes=["fwd", "rev"], atol=1e-4, rtol=1e-4)


def test_hessian_vector_product():
    """Σλ² = tr(A²): its gradient is 2Aᵀ and its Hessian-vector product 2Vᵀ."""
    loss = lambda a: jnp.sum(jnp.real(eig_fwd(a)[0] ** 2))
    vdir = RNG.standard_normal((4, 4))
    _, hvp = jax.jvp(jax.grad(loss), (jnp.asarray(A),), (jnp.asarray(vdir),))
    assert np.allclose(jax.grad(loss)(jnp.asarray(A)), 2 * A.T, atol=1e-10)
    assert np.allclose(hvp, 2 * vdir.T, atol=1e-8)
    H = jax.hessian(loss)(jnp.asarray(A))
    assert np.allclose(np.einsum("ijkl,kl->ij", H, vdir), 2 * vdir.T, atol=1e-8)


def test_without_x64_the_error_names_eigentrack_and_the_flag():
    """Issue 28, bug 5: without jax_enable_x64 only JAX's "result_shape_dtypes cannot
    specify 64-bit types" was shown."""
    code = ("import jax.numpy as jnp\nfrom eigentrack.jax import eig\n"
            "eig(jnp.eye(2))\n")
    env = {k: v for k, v in os.environ.items() if k != "JAX_ENABLE_X64"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode != 0
    assert "eigentrack.InputError" in r.stderr or "InputError" in r.stderr
    assert "jax_enable_x64" in r.stderr and "eigentrack.jax needs 64-bit floats" in r.stderr
