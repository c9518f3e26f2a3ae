"""``eigentrack.pytensor.Eig``: the eigen-decomposition as a PyTensor Op with a gradient.

This is the gradient of ``Eig`` that Aesara/PyTensor users asked for; it works inside
PyMC models.

>>> import pytensor, pytensor.tensor as pt
>>> from eigentrack.pytensor import eig
>>> a = pt.dmatrix("a")
>>> w, v = eig(a)
>>> cost = pt.sum(pt.real(w) ** 2)
>>> grad = pytensor.function([a], pytensor.grad(cost, a))

``Eig()(a)`` returns (w, v), complex128, from :func:`eigentrack.eig`; its ``L_op``
applies :func:`eigentrack.eig_vjp` (PyTensor's complex cotangents follow PyTorch's
convention, ∂L/∂Re z + i ∂L/∂Im z). The cost must not depend on eigenvector phases
(raises :class:`eigentrack.IllDefinedError` when the gradient is evaluated).
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op

from . import _api


class Eig(Op):
    """Eigenvalues (complex vector) and unit right eigenvectors (complex matrix)."""

    __props__ = ()

    def make_node(self, a):
        a = pt.as_tensor_variable(a)
        if a.ndim != 2:
            raise ValueError(f"a: expected a matrix, got a tensor with {a.ndim} dimensions")
        return Apply(self, [a], [pt.zvector(), pt.zmatrix()])

    def perform(self, node, inputs, outputs):
        (a,) = inputs
        w, v = _api.eig(np.asarray(a))
        outputs[0][0] = np.asarray(w, dtype=np.complex128)
        outputs[1][0] = np.asarray(v, dtype=np.complex128)

    def infer_shape(self, fgraph, node, shapes):
        n = shapes[0][0]
        return [(n,), (n, n)]

    def L_op(self, inputs, outputs, output_grads):
        (a,) = inputs
        w_bar, v_bar = output_grads
        w_dis = isinstance(w_bar.type, DisconnectedType)
        v_dis = isinstance(v_bar.type, DisconnectedType)
        if w_dis and v_dis:
            return [pt.zeros_like(a)]
        if w_dis:
            w_bar = pt.zeros_like(outputs[0])
        if v_dis:
            return [EigGrad(False)(a, w_bar)]
        return [EigGrad(True)(a, w_bar, v_bar)]


class EigGrad(Op):
    """Ā from (a, w̄[, v̄]) by :func:`eigentrack.eig_vjp` (real for real a)."""

    __props__ = ("with_vectors",)

    def __init__(self, with_vectors):
        self.with_vectors = bool(with_vectors)

    def make_node(self, a, w_bar, v_bar=None):
        a = pt.as_tensor_variable(a)
        ins = [a, pt.as_tensor_variable(w_bar)]
        if self.with_vectors:
            ins.append(pt.as_tensor_variable(v_bar))
        return Apply(self, ins, [a.type()])

    def perform(self, node, inputs, outputs):
        a, w_bar = inputs[0], inputs[1]
        v_bar = inputs[2] if self.with_vectors else None
        g = _api.eig_vjp(np.asarray(a), w_bar, v_bar)
        outputs[0][0] = np.asarray(g, dtype=node.outputs[0].dtype)

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]


def eig(a):
    """``(w, v) = eig(a)`` for a PyTensor matrix ``a``."""
    return Eig()(a)


__all__ = ["Eig", "EigGrad", "eig"]
