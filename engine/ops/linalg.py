"""Matrix products and their derivatives.

For ``y = a @ b``: ``grad_a = g @ bᵀ`` and ``grad_b = aᵀ @ g``. The shapes of PyTorch's
graph are kept: 1-D·1-D is ``Dot``, 2-D·2-D ``Mm``, 2-D·1-D ``Mv``, batched ``Bmm``.
``addmm``, ``addmv`` and ``baddbmm`` add ``beta`` times a term (its gradient ``beta * g``);
``cross`` is the 3-D cross product; ``outer``, ``inner`` and ``kron`` are composed of the
ops above as PyTorch composes them.
"""

from __future__ import annotations

import math

from ..autograd.function import ArrayFunction
from ..backend import array_module
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
        # _Product.forward inline, the inner sizes left to NumPy's check: this is the op of
        # every linear layer (each attribute read and call here costs ~0.05 us).
        if a.ndim != 2 or b.ndim != 2:
            raise RuntimeError(f"self must be a matrix (got {a.ndim}-D and {b.ndim}-D)")
        if a.dtype != b.dtype:
            _same_dtype(a, b)  # raises PyTorch's error
        needs = ctx.needs_input_grad
        ctx.save_for_backward(a if needs[1] else None, b if needs[0] else None)
        try:
            return a @ b
        except ValueError:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} "
                f"and {b.shape[0]}x{b.shape[1]})") from None

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


# -- products with an added term, and the composites PyTorch builds from the products above --


class Addmm(ArrayFunction):
    """``beta * c + alpha * (a @ b)``, ``a`` and ``b`` matrices, ``c`` broadcast to the
    result (the engine sums its gradient back); ``beta = 0`` ignores ``c``, nan included."""

    node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, c, a, b, beta, alpha):
        need = ctx.needs_input_grad
        ctx.beta, ctx.alpha = beta, alpha
        ctx.save_for_backward(a if need[2] else None, b if need[1] else None)
        out = a @ b
        if alpha != 1:
            out = out * alpha
        if beta == 0:
            return out
        return out + (c if beta == 1 else c * beta)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need, alpha, beta = ctx.needs_input_grad, ctx.alpha, ctx.beta
        ga = gb = None
        if need[1]:
            ga = g @ dual.swapaxes(b, -1, -2)
            ga = ga * alpha if alpha != 1 else ga
        if need[2]:
            gb = dual.swapaxes(a, -1, -2) @ g
            gb = gb * alpha if alpha != 1 else gb
        gc = (g if beta == 1 else g * beta) if need[0] else None
        return gc, ga, gb, None, None


class Addmv(Addmm):
    """``beta * c + alpha * (a @ v)``, ``a`` a matrix, ``v`` a vector."""

    node_name = "AddmvBackward0"

    @staticmethod
    def backward(ctx, g):
        a, v = ctx.saved_tensors
        need, alpha, beta = ctx.needs_input_grad, ctx.alpha, ctx.beta
        ga = gv = None
        if need[1]:
            ga = g[:, None] * v  # outer(g, v)
            ga = ga * alpha if alpha != 1 else ga
        if need[2]:
            gv = a.T @ g
            gv = gv * alpha if alpha != 1 else gv
        gc = (g if beta == 1 else g * beta) if need[0] else None
        return gc, ga, gv, None, None


class Baddbmm(Addmm):
    """``beta * c + alpha * (a @ b)``, ``a`` and ``b`` batches of matrices (3-D)."""

    node_name = "BaddbmmBackward0"


class Cross(ArrayFunction):
    """The cross product along ``dim`` (of size 3), the other dims broadcast. ``a × b`` is
    linear in each: ``d(a × b) = da × b + a × db``, so with ``g``, ``grad_a = b × g`` and
    ``grad_b = g × a``."""

    node_name = "LinalgCrossBackward0"

    @staticmethod
    def forward(ctx, a, b, dim):
        need = ctx.needs_input_grad
        ctx.dim = dim
        ctx.save_for_backward(a if need[1] else None, b if need[0] else None)
        return array_module(a).cross(a, b, axis=dim)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need, dim = ctx.needs_input_grad, ctx.dim
        return (dual.cross(b, g, dim) if need[0] else None,
                dual.cross(g, a, dim) if need[1] else None, None)


def _type_name(array):
    from .reduce import scalar_type_name

    return scalar_type_name(array.dtype)


def _check_expand(c, shape):
    """PyTorch's errors for ``c`` expanded to ``shape`` (those of ``Tensor.expand``)."""
    from ..autograd.grad_mode import no_grad

    with no_grad():
        c.expand(shape)


def addmm(c, a, b, beta, alpha):
    for name, m in (("mat1", a), ("mat2", b)):
        if m.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {m.ndim}-D tensor")
    for name, m in (("self", c), ("mat1", a)):
        if m.dtype != b.dtype:
            raise RuntimeError(f"{name} and mat2 must have the same dtype, but got "
                               f"{_type_name(m._data)} and {_type_name(b._data)}")
    (n, k), (k2, p) = a.shape, b.shape
    if k != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{p})")
    _check_expand(c, (n, p))
    return Addmm.apply(c, a, b, beta, alpha)


def addmv(c, a, v, beta, alpha):
    if a.ndim != 2 or v.ndim != 1 or c.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {c.ndim}, {a.ndim}, "
                           f"{v.ndim}")
    (n, k), (k2,) = a.shape, v.shape
    if k != k2 or (c.ndim and c.shape[0] not in (n, 1)):
        size = c.shape[0] if c.ndim else 1
        raise RuntimeError(f"size mismatch, got input ({size}), mat ({n}x{k}), vec ({k2})")
    if not c.dtype == a.dtype == v.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{_type_name(c._data)}, {_type_name(a._data)}, and "
                           f"{_type_name(v._data)}")
    return Addmv.apply(c, a, v, beta, alpha)


_SHORT = {"float32": "float", "float64": "double", "float16": "half", "int64": "long",
          "int32": "int", "int16": "short", "int8": "char", "uint8": "byte", "bool": "bool"}


def baddbmm(c, a, b, beta, alpha):
    """PyTorch's checks, in its order: the result's shape is read first (a dim out of range
    there is its error), then the input expanded to it, then the batches."""
    from .movement import wrap_dim

    def size(t, d):
        return t.shape[wrap_dim(d, t.ndim)] if t.ndim else 1

    shape = (size(a, 0), size(a, 1), size(b, 2))
    _check_expand(c, shape)
    for name, m in (("batch1", a), ("batch2", b)):
        if m.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    if c.dtype != a.dtype:
        raise RuntimeError(f"Input dtypes must be the same, got: input {_SHORT[c._data.dtype.name]}"
                           f", batch1: {_SHORT[a._data.dtype.name]}, batch2: "
                           f"{_SHORT[b._data.dtype.name]}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_type_name(a._data)} but found "
                           f"{_type_name(b._data)}")
    if b.shape[:2] != (a.shape[0], a.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    return Baddbmm.apply(c, a, b, beta, alpha)


def cross(a, b, dim):
    """``linalg.cross`` (``dim`` -1 by default); ``torch.cross``'s dim None is the first dim of
    size 3 of ``a``, with PyTorch's warning."""
    if dim is None:
        import warnings

        warnings.warn("Using engine.cross without specifying the dim arg is deprecated.\n"
                      "Please pass the dim explicitly.", UserWarning, stacklevel=3)
        dim = next((i for i, n in enumerate(a.shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    from .movement import wrap_dim
    from .selection import broadcast_shapes

    d = wrap_dim(dim, a.ndim)
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a.shape[d]} and {b.shape[d]}")
    broadcast_shapes(a.shape, b.shape)
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_type_name(a._data)} but found "
                           f"{_type_name(b._data)}")
    return Cross.apply(a, b, d)


def outer(a, b):
    """``a.reshape(n, 1) * b``, as PyTorch composes it."""
    for name, v in (("self", a), ("vec2", b)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
    return a.reshape(a.shape[0], 1) * b


def inner(a, b):
    """The products summed over the last dim of both, as PyTorch's ``tensordot``: each
    operand permuted (its contracted dim last for ``a``, first for ``b``) and reshaped into
    a matrix, one ``mm`` (``dot`` for two vectors), then the result's shape."""
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(a.shape)} and {list(b.shape)}")
    k = a.shape[-1]
    left = a.permute(*range(a.ndim))
    right = b.permute(b.ndim - 1, *range(b.ndim - 1))
    shape = tuple(a.shape[:-1]) + tuple(b.shape[:-1])
    if a.ndim == 1 and b.ndim == 1:
        return Dot.apply(left, right).reshape(shape)
    return Mm.apply(left.reshape(-1, k), right.reshape(k, -1)).reshape(shape)


def kron(a, b):
    """PyTorch's composition: each operand given size-1 dims between its own (interleaved,
    so that their product broadcasts into blocks), multiplied, then the blocks merged."""
    ndim = max(a.ndim, b.ndim)
    sa = (1,) * (ndim - a.ndim) + tuple(a.shape)
    sb = (1,) * (ndim - b.ndim) + tuple(b.shape)
    a_view = UnsafeView.apply(a, tuple(n for s in sa for n in (s, 1)))
    b_view = UnsafeView.apply(b, tuple(n for s in sb for n in (1, s)))
    return UnsafeView.apply(a_view * b_view, tuple(x * y for x, y in zip(sa, sb)))
