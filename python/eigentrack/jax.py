"""The eigen-decomposition as JAX functions: ``eig`` (reverse mode, with eigentrack's
checks) and ``eig_fwd`` (forward and reverse mode, any order).

>>> import jax, jax.numpy as jnp
>>> jax.config.update("jax_enable_x64", True)
>>> from eigentrack.jax import eig, eig_fwd
>>> g = jax.grad(lambda a: jnp.sum(jnp.real(eig(a)[0]) ** 2))(jnp.eye(3))
>>> J = jax.jacfwd(lambda a: jnp.real(eig_fwd(a)[0]))(jnp.diag(jnp.arange(3.0)))

Both return the eigenvalues ``w`` (..., n) and unit right eigenvectors ``v`` (..., n, n),
complex128, in the order of :func:`eigentrack.eig`, computed by Rust through
``jax.pure_callback``: they work under ``jit``, and under ``vmap`` (the batch is one
loop in Rust with the GIL released, sequential).

* ``eig`` is a ``jax.custom_vjp``: its backward pass is :func:`eigentrack.eig_vjp`
  (PyTorch's unit-norm gauge). A loss that depends on eigenvector phases, or one that is
  not invariant inside a cluster of repeated eigenvalues, raises
  :class:`eigentrack.IllDefinedError` (surfaced by JAX as a runtime error naming it).
  JAX passes cotangents as ∂L/∂Re z − i ∂L/∂Im z, the conjugate of PyTorch's
  convention; the conversion is done here. Reverse mode only (``grad``, ``vjp``,
  ``jacrev``).
* ``eig_fwd`` is a ``jax.custom_jvp`` whose tangent is :func:`eigentrack.eig_jvp`'s
  formula written in JAX operations on the primal outputs: dλ = diag(Y⁻¹ dA X) …
  dX = X (F ∘ P) in the parallel-transport gauge (x_iᴴ dx_i = 0), F_ij = 1/(λ_j − λ_i).
  JAX linearises and transposes it, so ``jvp``, ``jacfwd``, ``grad``, ``jacrev``,
  Hessians and Hessian-vector products all work. It does not check the loss: at a
  repeated eigenvalue F is set to 0 inside the cluster (right for cluster-invariant
  functions of the eigenvalues only), and a phase-dependent loss gets the
  parallel-transport gauge's answer.

64-bit floats are required (``jax.config.update("jax_enable_x64", True)``); without
them both raise :class:`eigentrack.InputError` saying so.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import _api
from . import _eigentrack as _rs
from ._errors import InputError

__all__ = ["eig", "eig_fwd"]


def _check(a: Any) -> None:
    if not jax.config.read("jax_enable_x64"):
        raise InputError(
            "eigentrack.jax needs 64-bit floats, but jax_enable_x64 is off: call "
            "jax.config.update(\"jax_enable_x64\", True) (or set JAX_ENABLE_X64=1) before "
            "creating arrays"
        )
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"a: expected a square matrix, got shape {a.shape}")


def _eig_host(a: Any) -> Any:
    # a stack (..., n, n) under vmap (expand_dims), a matrix otherwise: one Rust loop
    w, v = _rs._eig_batch(np.asarray(a))
    return np.asarray(w, dtype=np.complex128), np.asarray(v, dtype=np.complex128)


def _forward(a: Any) -> Any:
    shapes = (
        jax.ShapeDtypeStruct(a.shape[:-1], jnp.complex128),
        jax.ShapeDtypeStruct(a.shape, jnp.complex128),
    )
    return jax.pure_callback(_eig_host, shapes, a, vmap_method="expand_dims")


@jax.custom_vjp
def eig(a: Any) -> Any:
    """Eigenvalues ``w`` (n,) and unit right eigenvectors ``v`` (n, n) of the square
    matrix ``a`` (real or complex), complex128, in the order of :func:`eigentrack.eig`;
    reverse-mode differentiable with eigentrack's checks (see the module)."""
    _check(a)
    return _forward(a)


def _fwd(a: Any) -> Any:
    _check(a)
    w, v = _forward(a)
    return (w, v), a


def _vjp_one(a: Any, w_bar: Any, v_bar: Any) -> Any:
    # JAX's cotangents are the conjugates of PyTorch's
    g = _api.eig_vjp(a, np.conj(w_bar), np.conj(v_bar))
    if np.iscomplexobj(a):
        return np.conj(g).astype(a.dtype)
    return np.asarray(g, dtype=a.dtype)


def _vjp_host(a: Any, w_bar: Any, v_bar: Any) -> Any:
    a, w_bar, v_bar = np.asarray(a), np.asarray(w_bar), np.asarray(v_bar)
    batch = np.broadcast_shapes(a.shape[:-2], w_bar.shape[:-1], v_bar.shape[:-2])
    n = a.shape[-1]
    a = np.broadcast_to(a, batch + (n, n)).reshape((-1, n, n))
    w_bar = np.broadcast_to(w_bar, batch + (n,)).reshape((-1, n))
    v_bar = np.broadcast_to(v_bar, batch + (n, n)).reshape((-1, n, n))
    out = [_vjp_one(a[k], w_bar[k], v_bar[k]) for k in range(a.shape[0])]
    return np.stack(out).reshape(batch + (n, n)).astype(a.dtype)


def _bwd(a: Any, cts: Any) -> Any:
    w_bar, v_bar = cts
    a_bar = jax.pure_callback(
        _vjp_host, jax.ShapeDtypeStruct(a.shape, a.dtype), a, w_bar, v_bar,
        vmap_method="expand_dims",
    )
    return (a_bar,)


eig.defvjp(_fwd, _bwd)


@jax.custom_jvp
def eig_fwd(a: Any) -> Any:
    """Eigenvalues ``w`` (n,) and unit right eigenvectors ``v`` (n, n) of ``a``, like
    :func:`eig`, differentiable in forward and reverse mode to any order (see the
    module)."""
    _check(a)
    return _forward(a)


@eig_fwd.defjvp
def _eig_fwd_jvp(primals: Any, tangents: Any) -> Any:
    (a,), (da,) = primals, tangents
    w, x = eig_fwd(a)
    # P = Yᴴ dA X with Yᴴ = X⁻¹ (biorthonormal left vectors)
    p = jnp.linalg.solve(x, da.astype(x.dtype) @ x)
    dw = jnp.diagonal(p, axis1=-2, axis2=-1)
    diff = w[..., None, :] - w[..., :, None]  # diff[j, i] = λ_i − λ_j
    scale = jnp.max(jnp.abs(w), axis=-1, keepdims=True)[..., None]
    close = jnp.abs(diff) <= 1e-12 * jnp.maximum(scale, 1e-300)
    safe = jnp.where(close, 1.0, diff)
    f = jnp.where(close, 0.0, 1.0 / safe)
    dx0 = x @ (f * p)
    # parallel transport: x_iᴴ dx_i = 0 (x_i has unit norm)
    c = -jnp.sum(jnp.conj(x) * dx0, axis=-2)
    dx = dx0 + x * c[..., None, :]
    return (w, x), (dw, dx)
