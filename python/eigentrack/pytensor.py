"""``eigentrack.pytensor.Eig``: the eigen-decomposition as a PyTensor Op with a gradient.

This is the gradient of ``Eig`` that Aesara/PyTensor users asked for; it works inside
PyMC models.

>>> import pytensor, pytensor.tensor as pt
>>> from eigentrack.pytensor import eig
>>> a = pt.dmatrix("a")
>>> w_re, w_im, v_re, v_im = eig(a)
>>> grad = pytensor.function([a], pytensor.grad(pt.sum(w_re ** 2), a))

PyTensor differentiates real tensors only, so ``Eig()(a)`` of a real matrix ``a`` returns
the real and imaginary parts of the eigenvalues (two vectors) and of the unit right
eigenvectors (two matrices, one column per eigenvalue), float64, in the order of
:func:`eigentrack.eig`. Its ``L_op`` forms the complex cotangents
w̄ = ∂L/∂Re w + i ∂L/∂Im w (PyTorch's convention) and applies
:func:`eigentrack.eig_vjp`. The cost must not depend on eigenvector phases, and at a
repeated eigenvalue it must be invariant inside the cluster; otherwise evaluating the
gradient raises :class:`eigentrack.IllDefinedError`.

Under PyTensor's numba backend (its default) the Ops run in numba's object mode,
registered for them, so compiling a graph does not warn.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op

from . import _api


class Eig(Op):
    """(Re w, Im w, Re v, Im v) of a real square matrix."""

    __props__ = ()

    def make_node(self, a):
        a = pt.as_tensor_variable(a)
        if a.ndim != 2:
            raise ValueError(f"a: expected a matrix, got a tensor with {a.ndim} dimensions")
        if a.dtype not in ("float64", "float32"):
            raise TypeError(f"a: expected a real (float) matrix, got dtype {a.dtype}")
        a = pt.cast(a, "float64")
        return Apply(self, [a], [pt.dvector(), pt.dvector(), pt.dmatrix(), pt.dmatrix()])

    def perform(self, node, inputs, outputs):
        (a,) = inputs
        w, v = _api.eig(np.asarray(a))
        outputs[0][0] = np.ascontiguousarray(w.real)
        outputs[1][0] = np.ascontiguousarray(w.imag)
        outputs[2][0] = np.ascontiguousarray(v.real)
        outputs[3][0] = np.ascontiguousarray(v.imag)

    def infer_shape(self, fgraph, node, shapes):
        n = shapes[0][0]
        return [(n,), (n,), (n, n), (n, n)]

    def L_op(self, inputs, outputs, output_grads):
        (a,) = inputs
        grads = []
        for g, out in zip(output_grads, outputs):
            grads.append(pt.zeros_like(out) if isinstance(g.type, DisconnectedType) else g)
        if all(isinstance(g.type, DisconnectedType) for g in output_grads):
            return [pt.zeros_like(a)]
        vectors = not (
            isinstance(output_grads[2].type, DisconnectedType)
            and isinstance(output_grads[3].type, DisconnectedType)
        )
        if vectors:
            return [EigGrad(True)(a, *grads)]
        return [EigGrad(False)(a, grads[0], grads[1])]

    def pullback(self, inputs, outputs, cotangents):
        """The same vector-Jacobian product under the name PyTensor ≥ 3 calls."""
        return self.L_op(inputs, outputs, cotangents)


class EigGrad(Op):
    """Ā from (a, ∂L/∂Re w, ∂L/∂Im w[, ∂L/∂Re v, ∂L/∂Im v]) by :func:`eigentrack.eig_vjp`."""

    __props__ = ("with_vectors",)

    def __init__(self, with_vectors):
        self.with_vectors = bool(with_vectors)

    def make_node(self, a, *grads):
        a = pt.as_tensor_variable(a)
        ins = [a] + [pt.as_tensor_variable(g) for g in grads]
        return Apply(self, ins, [a.type()])

    def perform(self, node, inputs, outputs):
        a = np.asarray(inputs[0])
        w_bar = np.asarray(inputs[1]) + 1j * np.asarray(inputs[2])
        v_bar = np.asarray(inputs[3]) + 1j * np.asarray(inputs[4]) if self.with_vectors else None
        g = _api.eig_vjp(a, w_bar, v_bar)
        outputs[0][0] = np.asarray(g, dtype=node.outputs[0].dtype)

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]


def eig(a):
    """``(w_re, w_im, v_re, v_im) = eig(a)`` for a real PyTensor matrix ``a``."""
    return Eig()(a)


def _register_numba():
    """PyTensor's default backend is numba. numba cannot compile a call into a Rust
    extension, so ``Eig`` and ``EigGrad`` run their ``perform`` in numba's object mode,
    as PyTensor's generic fallback does, but registered explicitly (the fallback warns
    "Numba will use object mode" at every compile). The Rust work releases the GIL."""
    try:
        import numba
        from pytensor.link.numba.dispatch.basic import get_numba_type, numba_funcify, numba_njit
    except ImportError:  # numba (or this PyTensor's numba backend) is not installed
        return

    def funcify(op, node=None, storage_map=None, **kwargs):
        n_outputs = len(node.outputs)
        single = n_outputs == 1
        if single:
            ret_sig = get_numba_type(node.outputs[0].type)
        else:
            ret_sig = numba.types.Tuple([get_numba_type(o.type) for o in node.outputs])

        def py_perform(inputs):
            storage = [[None] for _ in range(n_outputs)]
            op.perform(node, inputs, storage)
            outs = tuple(o[0] for o in storage)
            return outs[0] if single else outs

        @numba_njit
        def perform(*inputs):
            with numba.objmode(ret=ret_sig):
                ret = py_perform(inputs)
            return ret

        return perform

    numba_funcify.register(Eig)(funcify)
    numba_funcify.register(EigGrad)(funcify)


_register_numba()


__all__ = ["Eig", "EigGrad", "eig"]
