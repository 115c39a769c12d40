"""Sorting and selecting by rank along a dim, with their derivatives: ``sort``, ``topk``,
``kthvalue`` (values and indices), ``argsort`` (indices alone).

Each value is a copy of the element its index names, so the gradient goes back there: ``g``
added into zeros at the indices along the dim (``gather``'s backward). The indices get no
gradient.

The order is a stable sort, as PyTorch's ``stable=True``: equal elements keep their order,
ascending or descending, and nan counts as larger than every number (last ascending, first
descending). PyTorch's default sort is stable on small inputs only, and its topk and
kthvalue pick among equal elements in an order of their own: with ties, the values agree
and the indices may not.
"""

from __future__ import annotations

import numpy

from ..autograd.function import ArrayFunction
from ..backend import array_module
from . import dual
from .movement import wrap_dim


def order(a, dim, descending):
    """The indices that sort ``a`` along ``dim``, stably. Descending: the ascending order of
    ``a`` read backwards along ``dim`` (so equal elements keep their order), reversed."""
    xp = array_module(a)
    if not descending:
        return xp.argsort(a, axis=dim, kind="stable")
    flipped = xp.argsort(xp.flip(a, dim), axis=dim, kind="stable")
    return xp.flip(a.shape[dim] - 1 - flipped, dim)


def _take(ctx, a, index, dim):
    """The values at ``index`` along ``dim``; ``ctx`` keeps what the backward needs."""
    if ctx.needs_input_grad[0]:
        ctx.shape, ctx.dim = a.shape, dim
        ctx.index = index.copy()  # the indices returned may be modified in place
    return array_module(a).take_along_axis(a, index, axis=dim)


class Sort(ArrayFunction):
    node_name = "SortBackward0"

    @staticmethod
    def forward(ctx, a, dim, descending):
        if a.ndim == 0:  # one element, in place
            ctx.shape = ()
            return a.copy(), array_module(a).zeros((), numpy.int64)
        index = order(a, dim, descending)
        return _take(ctx, a, index, dim), index

    @staticmethod
    def backward(ctx, g, g_indices=None):
        if not ctx.shape:
            return g, None, None
        return dual.scatter_add(g, ctx.shape, ctx.dim, ctx.index), None, None


class SortStable(Sort):
    """``sort(stable=...)``: PyTorch records the overload with a ``stable`` argument as a
    node of its own (the sort is the same)."""

    node_name = "SortBackward1"


class Topk(ArrayFunction):
    node_name = "TopkBackward0"

    @staticmethod
    def forward(ctx, a, k, dim, largest):
        if a.ndim == 0:
            ctx.shape = ()
            return a.copy(), array_module(a).zeros((), numpy.int64)
        lead = (slice(None),) * dim
        index = order(a, dim, largest)[lead + (slice(0, k),)]
        return _take(ctx, a, index, dim), index

    @staticmethod
    def backward(ctx, g, g_indices=None):
        if not ctx.shape:
            return g, None, None, None
        return dual.scatter_add(g, ctx.shape, ctx.dim, ctx.index), None, None, None


class Kthvalue(ArrayFunction):
    node_name = "KthvalueBackward0"

    @staticmethod
    def forward(ctx, a, k, dim, keepdim):
        if a.ndim == 0:
            ctx.shape = ()
            return a.copy(), array_module(a).zeros((), numpy.int64)
        lead = (slice(None),) * dim
        index = order(a, dim, False)[lead + (slice(k - 1, k),)]
        values = _take(ctx, a, index, dim)
        if not keepdim:
            values, index = values.squeeze(dim), index.squeeze(dim)
        return values, index

    @staticmethod
    def backward(ctx, g, g_indices=None):
        if not ctx.shape:
            return g, None, None, None
        kept = tuple(1 if i == ctx.dim else n for i, n in enumerate(ctx.shape))
        return dual.scatter_add(g.reshape(kept), ctx.shape, ctx.dim, ctx.index), None, None, None


# -- the arguments, with PyTorch's errors --------------------------------------------------


def _named(name, pair):
    from ..return_types import make_return_type

    return make_return_type(name, *pair)


def sort(tensor, dim, descending, stable):
    d = wrap_dim(dim, tensor.ndim)
    op = Sort if stable is None else SortStable
    return _named("sort", op.apply(tensor, d, bool(descending)))


def argsort(tensor, dim, descending):
    from .._tensor import make_tensor

    a = tensor._data
    d = wrap_dim(dim, a.ndim)
    if a.ndim == 0:
        return make_tensor(array_module(a).zeros((), numpy.int64))
    return make_tensor(order(a, d, bool(descending)))


def topk(tensor, k, dim, largest):
    a = tensor._data
    d = wrap_dim(dim, a.ndim)
    if not 0 <= k <= (a.shape[d] if a.ndim else 1):
        raise RuntimeError("selected index k out of range")
    if a.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    return _named("topk", Topk.apply(tensor, int(k), d, bool(largest)))


def kthvalue(tensor, k, dim, keepdim):
    a = tensor._data
    d = wrap_dim(dim, a.ndim)
    if a.ndim and a.shape[d] == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= (a.shape[d] if a.ndim else 1):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    return _named("kthvalue", Kthvalue.apply(tensor, int(k), d, bool(keepdim)))
