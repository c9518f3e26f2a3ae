"""``eigentrack.torch.eig``: the eigen-decomposition as a ``torch.autograd.Function``.

>>> import torch
>>> from eigentrack.torch import eig
>>> a = torch.randn(4, 4, dtype=torch.float64, requires_grad=True)
>>> w, v = eig(a)
>>> w.real.sum().backward()          # a.grad is the identity

Forward: :func:`eigentrack.eig`; backward: :func:`eigentrack.eig_vjp`, whose
cotangent convention is PyTorch's own. The loss must not depend on eigenvector phases
(the backward pass raises :class:`eigentrack.IllDefinedError`); at a repeated eigenvalue
the loss must be invariant inside the cluster. CPU tensors, float64 or complex128.
"""

from __future__ import annotations

import numpy as np
import torch

from . import _api


class Eig(torch.autograd.Function):
    """``Eig.apply(a) -> (w, v)``: complex eigenvalues and unit right eigenvectors."""

    @staticmethod
    def forward(ctx, a):
        if a.dim() != 2 or a.shape[0] != a.shape[1]:
            raise ValueError(f"a: expected a square matrix, got shape {tuple(a.shape)}")
        w, v = _api.eig(a.detach().cpu().numpy())
        ctx.save_for_backward(a)
        return torch.from_numpy(np.ascontiguousarray(w)), torch.from_numpy(np.ascontiguousarray(v))

    @staticmethod
    def backward(ctx, w_bar, v_bar):
        (a,) = ctx.saved_tensors
        an = a.detach().cpu().numpy()
        n = an.shape[0]
        wb = np.zeros(n, complex) if w_bar is None else w_bar.detach().cpu().numpy()
        vb = None if v_bar is None else v_bar.detach().cpu().numpy()
        if vb is not None and not np.any(vb):
            vb = None
        g = _api.eig_vjp(an, wb, vb)
        return torch.from_numpy(np.ascontiguousarray(g)).to(a.dtype)


def eig(a):
    """Eigenvalues ``w`` and unit right eigenvectors ``v`` of ``a``, differentiable."""
    return Eig.apply(a)


__all__ = ["Eig", "eig"]
