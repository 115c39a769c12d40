"""Matrix products and their derivatives.

For ``y = a @ b``: ``grad_a = g @ bᵀ`` and ``grad_b = aᵀ @ g``. The shapes of PyTorch's
graph are kept: 1-D·1-D is ``Dot``, 2-D·2-D ``Mm``, 2-D·1-D ``Mv``, batched ``Bmm``.
"""

from __future__ import annotations

import math

from ..autograd.function import ArrayFunction
from . import dual
from .movement import UnsafeView


def _same_dtype(a, b):
    if a.dtype != b.dtype:
        from ..dtypes import from_numpy_dtype

        names = {"float32": "float", "float64": "double", "int64": "long", "int32": "int"}
        da, db = (names.get(d.name, d.name) for d in map(from_numpy_dtype, (a.dtype, b.dtype)))
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {da} != {db}")


class _Product(ArrayFunction):

    @staticmethod
    def forward(ctx, a, b):
        if a.dtype != b.dtype:
            _same_dtype(a, b)  # raises PyTorch's error
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None,
                              b if ctx.needs_input_grad[0] else None)
        return a @ b


class Mm(_Product):
    node_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
            if a.ndim == 2 and b.ndim == 2:
                raise RuntimeError(
                    f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} "
                    f"and {b.shape[0]}x{b.shape[1]})"
                )
            raise RuntimeError(f"self must be a matrix (got {a.ndim}-D and {b.ndim}-D)")
        return _Product.forward(ctx, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g @ b.T if ctx.needs_input_grad[0] else None,
                a.T @ g if ctx.needs_input_grad[1] else None)


class Mv(_Product):
    node_name = "MvBackward0"

    @staticmethod
    def forward(ctx, a, b):
        if a.shape[1] != b.shape[0]:
            raise RuntimeError(
                f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), "
                f"vec ({b.shape[0]})"
            )
        return _Product.forward(ctx, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g[:, None] * b if ctx.needs_input_grad[0] else None,  # outer(g, b)
                a.T @ g if ctx.needs_input_grad[1] else None)


class Dot(_Product):
    node_name = "DotBackward0"

    @staticmethod
    def forward(ctx, a, b):
        if a.shape != b.shape:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] "
                f"to have the same number of elements, but got {a.shape[0]} and {b.shape[0]} "
                "elements respectively"
            )
        return _Product.forward(ctx, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g * b if ctx.needs_input_grad[0] else None,
                g * a if ctx.needs_input_grad[1] else None)


class Bmm(_Product):
    """Batched (and broadcast) matrix product of operands with at least 2 dimensions."""

    node_name = "BmmBackward0"

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        # The engine sums over broadcast batch dimensions.
        return (g @ dual.swapaxes(b, -1, -2) if ctx.needs_input_grad[0] else None,
                dual.swapaxes(a, -1, -2) @ g if ctx.needs_input_grad[1] else None)


def matmul(a, b):
    """``a @ b`` with PyTorch's dispatch (and PyTorch's node names)."""
    da, db = a.ndim, b.ndim
    if da == 0 or db == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D"
        )
    if da == 1 and db == 1:
        return Dot.apply(a, b)
    if da == 2 and db == 2:
        return Mm.apply(a, b)
    if da == 2 and db == 1:
        return Mv.apply(a, b)
    if da == 1 and db == 2:
        return SqueezeMatmul.apply(Mm.apply(a.unsqueeze(0), b), 0)
    _check_batched(a.shape, b.shape)
    out_shape = None
    if da == 1:
        a = a.unsqueeze(0)
        out_shape = "drop-2"
    if db == 1:
        b = b.unsqueeze(-1)
        out_shape = "drop-1"
    y = Bmm.apply(a, b)
    shape = y.shape
    if out_shape == "drop-2":
        shape = shape[:-2] + shape[-1:]
    elif out_shape == "drop-1":
        shape = shape[:-1]
    return UnsafeView.apply(y, tuple(shape))


def _check_batched(sa, sb):
    """PyTorch's errors for a batched product, which follow how it computes one: an operand
    of 3+ dims times a matrix or vector is folded into one ``mm``/``mv``; otherwise the batch
    dims are broadcast, then the products checked batch by batch."""
    k = sa[-1]
    if len(sa) >= 3 and len(sb) <= 2:
        if sb[0] != k:
            rows = math.prod(sa[:-1])
            if len(sb) == 2:
                raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and "
                                   f"{sb[0]}x{sb[1]})")
            raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{k}), vec "
                               f"({sb[0]})")
        return
    ba, bb = sa[:-2], sb[:-2]
    ndim = max(len(ba), len(bb))
    ba, bb = (1,) * (ndim - len(ba)) + ba, (1,) * (ndim - len(bb)) + bb
    for dim, (x, y) in enumerate(zip(ba, bb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {dim}")
    k2 = sb[-2] if len(sb) >= 2 else sb[0]
    if k2 != k:
        batch = math.prod(max(x, y) for x, y in zip(ba, bb))
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{batch}, {k}] but got: [{batch}, {k2}].")


from .movement import SqueezeDim  # noqa: E402


class SqueezeMatmul(SqueezeDim):
    node_name = "SqueezeBackward4"
