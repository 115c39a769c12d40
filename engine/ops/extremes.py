"""Extremes: max and min (over everything, or along one dim with their indices), amax and
amin (over any dims), with their derivatives.

The gradient of an extreme goes where the extreme is. ``max(dim)`` picks one index per row,
as its indices say; ``max()``, ``amax`` and ``amin`` share it evenly among ties, as PyTorch
does.
"""

from __future__ import annotations

import numpy

from ..backend import array_module
from . import dual
from .reduce import _kept_shape, _Reduce, spread


def _empty_check(a, name):
    if a.size == 0:
        raise RuntimeError(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
            "Specify the reduction dim with the 'dim' argument."
        )


def empty_dim_check(a, dim, name):
    """PyTorch's error for max/min/argmax/argmin along an empty dim (NumPy's is a ValueError)."""
    if a.shape and a.shape[dim] == 0:
        raise IndexError(
            f"{name}(): Expected reduction dim {dim % a.ndim} to have non-zero size.")


class MaxAll(_Reduce):
    node_name = "MaxBackward1"

    @staticmethod
    def forward(ctx, a):
        _empty_check(a, "max")
        y = a.max()
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        # ties share the gradient evenly, as in PyTorch; a nan result is shared by the nans
        # (x == nan matches nothing: the gradient was nan everywhere)
        hits = (x != x) if y != y else (x == y)
        return g * hits / hits.sum()


class MinAll(MaxAll):
    node_name = "MinBackward1"

    @staticmethod
    def forward(ctx, a):
        _empty_check(a, "min")
        y = a.min()
        ctx.save_for_backward(a, y)
        return y


class MaxDim(_Reduce):
    """``max(dim)``: values and indices; the gradient goes to the chosen index."""

    node_name = "MaxBackward0"

    @staticmethod
    def forward(ctx, a, dim, keepdim):
        xp = array_module(a)
        if dim is None:  # a 0-d tensor: its only element is the extreme
            return a.copy(), xp.zeros((), dtype=numpy.int64)
        empty_dim_check(a, dim, "max")
        idx = xp.expand_dims(a.argmax(axis=dim), dim)
        return _values_indices(ctx, xp, a, idx, dim, keepdim)

    @staticmethod
    def backward(ctx, g, g_indices=None):
        if getattr(ctx, "mask", None) is None:  # the 0-d case
            return g, None, None
        return spread(g, ctx.shape, (ctx.dim,)) * ctx.mask, None, None


class MinDim(MaxDim):
    node_name = "MinBackward0"

    @staticmethod
    def forward(ctx, a, dim, keepdim):
        xp = array_module(a)
        if dim is None:
            return a.copy(), xp.zeros((), dtype=numpy.int64)
        empty_dim_check(a, dim, "min")
        idx = xp.expand_dims(a.argmin(axis=dim), dim)
        return _values_indices(ctx, xp, a, idx, dim, keepdim)


def _values_indices(ctx, xp, a, idx, dim, keepdim):
    values = xp.take_along_axis(a, idx, axis=dim)
    if ctx.needs_input_grad[0]:
        # True at the chosen index along dim: its position compared with every position
        positions = xp.arange(a.shape[dim]).reshape([-1 if d == dim else 1 for d in range(a.ndim)])
        mask = idx == positions
        ctx.mask, ctx.shape, ctx.dim = mask, a.shape, dim
    if not keepdim:
        values, idx = values.squeeze(dim), idx.squeeze(dim)
    return values, idx.astype(numpy.int64, copy=False)


def _over_dims(ctx, a, dims, keepdim, name):
    """amax / amin over ``dims``, with PyTorch's errors for empty inputs."""
    if a.size == 0:
        if len(dims) == a.ndim:
            _empty_check(a, name)
        for d in dims:
            empty_dim_check(a, d, name)
    y = getattr(array_module(a), name)(a, axis=dims, keepdims=keepdim)
    ctx.shape, ctx.dims = a.shape, dims
    ctx.save_for_backward(a, y)
    return y


class Amax(_Reduce):
    """``amax(dims, keepdim)``: the largest value over ``dims`` (every dim when none given)."""

    node_name = "AmaxBackward0"

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        return _over_dims(ctx, a, dims, keepdim, "amax")

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        hits = x == spread(y, ctx.shape, ctx.dims)  # ties share the gradient evenly
        count = dual.sum_to(hits, _kept_shape(ctx.shape, ctx.dims))
        return spread(g, ctx.shape, ctx.dims) * hits / count, None, None


class Amin(Amax):
    node_name = "AminBackward0"

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        return _over_dims(ctx, a, dims, keepdim, "amin")


class Aminmax(_Reduce):
    """``aminmax(dim, keepdim)``: the smallest and the largest value, one node for both; each
    one's gradient is shared evenly among its ties, as amin's and amax's."""

    node_name = "AminmaxBackward0"

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        xp = array_module(a)
        ctx.shape, ctx.dims = a.shape, dims
        low = xp.amin(a, axis=dims, keepdims=keepdim)
        high = xp.amax(a, axis=dims, keepdims=keepdim)
        ctx.save_for_backward(a, low, high)
        return low, high

    @staticmethod
    def backward(ctx, g_min, g_max):
        x, low, high = ctx.saved_tensors
        shape, dims = ctx.shape, ctx.dims
        grad = None
        for g, y in ((g_min, low), (g_max, high)):
            if g is None:
                continue
            hits = x == spread(y, shape, dims)
            part = spread(g, shape, dims) * hits / dual.sum_to(hits, _kept_shape(shape, dims))
            grad = part if grad is None else grad + part
        return grad, None, None


def aminmax(tensor, dim, keepdim):
    from .movement import wrap_dim

    a = tensor._data
    if dim is None:
        if a.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity.")
        dims = tuple(range(a.ndim))
    else:
        d = wrap_dim(dim, a.ndim)
        if a.ndim and a.shape[d] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
        dims = (d,) if a.ndim else ()
    from ..return_types import make_return_type

    return make_return_type("aminmax", *Aminmax.apply(tensor, dims, keepdim))


class Cummax(_Reduce):
    """``cummax(dim)``: the running largest value and where it was last reached (a later tie
    takes over, and a nan, once seen, stays: PyTorch's rule); the gradient goes there."""

    node_name = "CummaxBackward0"
    _larger = staticmethod(lambda x, best: x >= best)

    @classmethod
    def forward(cls, ctx, a, dim):
        xp = array_module(a)
        ctx.shape, ctx.dim = a.shape, dim
        if a.ndim == 0 or a.size == 0:
            ctx.index = xp.zeros(a.shape, numpy.int64)
            return a.copy(), ctx.index.copy()
        rows = xp.moveaxis(a, dim, 0)
        values = xp.empty_like(rows)
        index = xp.empty(rows.shape, numpy.int64)
        best, at = rows[0], xp.zeros(rows.shape[1:], numpy.int64)
        floating = a.dtype.kind == "f"
        for i in range(rows.shape[0]):
            x = rows[i]
            take = cls._larger(x, best)
            if floating:
                take |= xp.isnan(x)
            best, at = xp.where(take, x, best), xp.where(take, i, at)
            values[i], index[i] = best, at
        index = xp.ascontiguousarray(xp.moveaxis(index, 0, dim))
        if ctx.needs_input_grad[0]:
            ctx.index = index.copy()  # the indices returned may be modified in place
        return xp.ascontiguousarray(xp.moveaxis(values, 0, dim)), index

    @staticmethod
    def backward(ctx, g, g_indices=None):
        if not ctx.shape:
            return g, None
        return dual.scatter_add(g, ctx.shape, ctx.dim, ctx.index), None


class Cummin(Cummax):
    node_name = "CumminBackward0"
    _larger = staticmethod(lambda x, best: x <= best)


def running_extreme(tensor, dim, op, name):
    from ..return_types import make_return_type
    from .movement import wrap_dim

    return make_return_type(name, *op.apply(tensor, wrap_dim(dim, tensor.ndim)))
