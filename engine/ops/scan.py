"""Scans: running totals along one dimension, with their derivatives.

``y = cumsum(x, d)``: every ``x[i]`` feeds ``y[i]`` and each ``y`` after it along ``d``, so its
gradient is the sum of ``g`` from ``i`` to the end: the cumulative sum of ``g`` read backwards.
"""

from __future__ import annotations

import numpy

from ..autograd.function import ArrayFunction
from ..backend import array_module
from . import dual


class Cumsum(ArrayFunction):
    node_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, a, dim, dtype=None):
        ctx.dim = dim
        if dtype is None and a.dtype.kind in "biu":  # integers and bools sum in int64
            dtype = numpy.int64
        if a.ndim == 0:  # PyTorch takes dim 0 of a 0-d tensor; NumPy has no axis 0 there
            return a.astype(dtype or a.dtype, copy=True)
        return array_module(a).cumsum(a, axis=dim, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        if g.ndim == 0:
            return g, None, None
        dims = (ctx.dim,)
        return dual.flip(dual.cumsum(dual.flip(g, dims), ctx.dim), dims), None, None
