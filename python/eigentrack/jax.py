"""``eigentrack.jax.eig``: the eigen-decomposition as a JAX function with a custom VJP.

>>> import jax, jax.numpy as jnp
>>> jax.config.update("jax_enable_x64", True)
>>> from eigentrack.jax import eig
>>> g = jax.grad(lambda a: jnp.sum(jnp.real(eig(a)[0]) ** 2))(jnp.eye(3))

The forward pass is :func:`eigentrack.eig` and the backward pass
:func:`eigentrack.eig_vjp`, both called through ``jax.pure_callback`` (so ``eig`` works
under ``jit``; it is not vmapped in parallel). JAX passes cotangents as
∂L/∂Re z − i ∂L/∂Im z, the conjugate of PyTorch's convention that ``eig_vjp`` takes;
the conversion is done here. The loss must not depend on eigenvector phases (else the
backward pass raises :class:`eigentrack.IllDefinedError`, surfaced by JAX as a runtime
error naming it). Use float64 (``jax_enable_x64``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from . import _api



def _eig_host(a):
    w, v = _api.eig(np.asarray(a))
    return w.astype(np.complex128), v.astype(np.complex128)


def _forward(a):
    n = a.shape[-1]
    shapes = (
        jax.ShapeDtypeStruct((n,), jnp.complex128),
        jax.ShapeDtypeStruct((n, n), jnp.complex128),
    )
    return jax.pure_callback(_eig_host, shapes, a)


@jax.custom_vjp
def eig(a):
    """Eigenvalues ``w`` (n,) and unit right eigenvectors ``v`` (n, n) of the square
    matrix ``a`` (real or complex), complex128, in the order of :func:`eigentrack.eig`."""
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"a: expected a square matrix, got shape {a.shape}")
    return _forward(a)


def _fwd(a):
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"a: expected a square matrix, got shape {a.shape}")
    w, v = _forward(a)
    return (w, v), a


def _vjp_host(a, w_bar, v_bar):
    a = np.asarray(a)
    # JAX's cotangents are the conjugates of PyTorch's
    g = _api.eig_vjp(a, np.conj(np.asarray(w_bar)), np.conj(np.asarray(v_bar)))
    if np.iscomplexobj(a):
        return np.conj(g).astype(a.dtype)
    return np.asarray(g, dtype=a.dtype)


def _bwd(a, cts):
    w_bar, v_bar = cts
    a_bar = jax.pure_callback(
        _vjp_host, jax.ShapeDtypeStruct(a.shape, a.dtype), a, w_bar, v_bar
    )
    return (a_bar,)


eig.defvjp(_fwd, _bwd)

__all__ = ["eig"]
