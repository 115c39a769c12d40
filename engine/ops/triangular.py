"""Triangles, diagonals and quarter turns of matrices, with their derivatives.

``tril(x, k)`` keeps the elements on and below the k-th diagonal and zeros the rest: each
kept element passes its gradient through, the others get none, so the gradient is
``tril(g, k)`` (``triu`` likewise).

``diagonal(x, k, d1, d2)`` is a view of the elements ``x[..., i, ..., i + k, ...]`` along
``d1`` and ``d2``, as a last dim. Its gradient is ``g`` written on that diagonal of zeros
(``diag`` of a matrix is the same diagonal, copied; ``diag`` of a vector writes it on a
diagonal of zeros, and its gradient is the diagonal of ``g``). ``trace`` sums the main
diagonal: its gradient is ``g`` times the identity.

``rot90(x, k, dims)`` turns the plane of ``dims`` by k quarter turns, a copy; its gradient
is ``g`` turned back, by ``-k``.
"""

from __future__ import annotations

import numpy

from .._tensor import Tensor
from ..autograd.function import ArrayFunction
from ..backend import array_module, array_sum
from . import dual
from .movement import _View


def diagonal_view(a, offset, d1, d2):
    """The k-th diagonal of ``a`` along ``d1`` and ``d2`` as a last dim: a writable view
    (NumPy's ``diagonal`` is read-only)."""
    xp = array_module(a)
    start = [slice(None)] * a.ndim
    n1, n2 = a.shape[d1], a.shape[d2]
    if offset >= 0:
        n = max(min(n1, n2 - offset), 0)
        start[d2] = slice(min(offset, n2), None)
    else:
        n = max(min(n1 + offset, n2), 0)
        start[d1] = slice(min(-offset, n1), None)
    first = a[tuple(start)]
    rest = [i for i in range(a.ndim) if i not in (d1, d2)]
    shape = tuple(a.shape[i] for i in rest) + (n,)
    strides = tuple(a.strides[i] for i in rest) + (a.strides[d1] + a.strides[d2],)
    return xp.lib.stride_tricks.as_strided(first, shape, strides)


def on_diagonal(g, shape, offset, d1, d2):
    """Zeros of ``shape`` with ``g`` on the diagonal: the backward of ``diagonal``."""
    if isinstance(g, Tensor):
        return DiagonalGrad.apply(g, shape, offset, d1, d2)
    out = array_module(g).zeros(shape, g.dtype)
    diagonal_view(out, offset, d1, d2)[...] = g
    return out


def diagonal_of(g, offset, d1, d2):
    """A copy of ``g``'s diagonal (a view of it when the backward is recorded)."""
    if isinstance(g, Tensor):
        return g.diagonal(offset, d1, d2)
    return diagonal_view(g, offset, d1, d2).copy()


class Tril(ArrayFunction):
    node_name = "TrilBackward0"

    @staticmethod
    def forward(ctx, a, k):
        ctx.k = k
        return array_module(a).tril(a, k)

    @staticmethod
    def backward(ctx, g):
        return dual.tril(g, ctx.k), None


class Triu(ArrayFunction):
    node_name = "TriuBackward0"

    @staticmethod
    def forward(ctx, a, k):
        ctx.k = k
        return array_module(a).triu(a, k)

    @staticmethod
    def backward(ctx, g):
        return dual.triu(g, ctx.k), None


class Diagonal(_View):
    """``x.diagonal(offset, dim1, dim2)``: a view, as in PyTorch."""

    node_name = "DiagonalBackward0"

    @staticmethod
    def forward(ctx, a, offset, d1, d2):
        ctx.shape, ctx.args = a.shape, (offset, d1, d2)
        return diagonal_view(a, offset, d1, d2)

    @staticmethod
    def backward(ctx, g):
        return on_diagonal(g, ctx.shape, *ctx.args), None, None, None


class DiagonalGrad(ArrayFunction):
    """The backward of ``diagonal`` (recorded when the backward pass is): ``g`` on the
    diagonal of zeros. Its own backward takes the diagonal again."""

    node_name = "DiagonalBackwardBackward0"

    @staticmethod
    def forward(ctx, g, shape, offset, d1, d2):
        ctx.args = (offset, d1, d2)
        return on_diagonal(g, shape, offset, d1, d2)

    @staticmethod
    def backward(ctx, gg):
        return diagonal_of(gg, *ctx.args), None, None, None, None


class DiagOfMatrix(ArrayFunction):
    """``diag`` of a matrix: its k-th diagonal, copied."""

    node_name = "DiagonalBackward0_copy"  # PyTorch's name (diag calls diagonal_copy)

    @staticmethod
    def forward(ctx, a, k):
        ctx.shape, ctx.k = a.shape, k
        return diagonal_view(a, k, 0, 1).copy()

    @staticmethod
    def backward(ctx, g):
        return on_diagonal(g, ctx.shape, ctx.k, 0, 1), None


class DiagEmbed(ArrayFunction):
    """``diag`` of a vector: a square matrix with the vector on its k-th diagonal."""

    node_name = "DiagEmbedBackward0"

    @staticmethod
    def forward(ctx, a, k):
        ctx.k = k
        n = a.shape[0] + abs(k)
        return on_diagonal(a, (n, n), k, 0, 1)

    @staticmethod
    def backward(ctx, g):
        return diagonal_of(g, ctx.k, 0, 1), None


class Trace(ArrayFunction):
    node_name = "TraceBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.shape = a.shape
        dtype = numpy.int64 if a.dtype.kind in "biu" else None  # as sum
        return array_sum(diagonal_view(a, 0, 0, 1), None, dtype)

    @staticmethod
    def backward(ctx, g):
        n, m = ctx.shape
        if isinstance(g, Tensor):
            from ..creation import eye

            return g * eye(n, m, dtype=g.dtype, device=g.device)
        return array_module(g).eye(n, m, dtype=g.dtype) * g


class Rot90(ArrayFunction):
    """``x.rot90(k, dims)``: a copy, as in PyTorch (NumPy's rot90 is a view)."""

    node_name = "Rot90Backward0"

    @staticmethod
    def forward(ctx, a, k, dims):
        ctx.k, ctx.dims = k, dims
        return array_module(a).rot90(a, k, axes=dims).copy()

    @staticmethod
    def backward(ctx, g):
        return dual.rot90(g, -ctx.k, ctx.dims), None, None


# -- the arguments, with PyTorch's errors --------------------------------------------------


def triangle(tensor, k, op, name):
    if tensor.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    return op.apply(tensor, int(k))


def diagonal(tensor, offset, dim1, dim2):
    from .movement import wrap_dim

    ndim = tensor.ndim
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(tensor, int(offset), d1, d2)


def diag(tensor, k):
    if tensor.ndim == 1:
        return DiagEmbed.apply(tensor, int(k))
    if tensor.ndim == 2:
        return DiagOfMatrix.apply(tensor, int(k))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {tensor.ndim}D")


def trace(tensor):
    if tensor.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {tensor.ndim}")
    return Trace.apply(tensor)


def rot90(tensor, k, dims):
    from .movement import wrap_dim

    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    ndim = tensor.ndim
    if ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {ndim}")
    d0, d1 = wrap_dim(dims[0], ndim), wrap_dim(dims[1], ndim)
    if d0 == d1:  # PyTorch's text names the dims as given
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} "
                           f"and dim1 = {dims[1]}")
    return Rot90.apply(tensor, int(k) % 4, (d0, d1))
