"""Scans and products along a dimension, with their derivatives.

``y = cumsum(x, d)``: every ``x[i]`` feeds ``y[i]`` and each ``y`` after it along ``d``, so its
gradient is the sum of ``g`` from ``i`` to the end: the cumulative sum of ``g`` read backwards.

``y = prod(x)``: ``dy/dx_i`` is the product of the other elements, ``y / x_i`` when no ``x`` is
0. Where one is, that quotient is 0/0; the product of the others is then the product of the
elements before ``i`` times the product of those after it, two cumulative products that
divide nothing (``_products_of_others``).

``y = cumprod(x, d)``: ``dy_j/dx_k`` is ``prod_{i <= j, i != k} x_i`` for ``j >= k`` (0 for
``j < k``), so ``dF/dx_k = sum_{j >= k} g_j y_j / x_k``, the cumulative sum of ``g * y`` read
backwards, divided by ``x``, when no ``x`` is 0. With zeros, see ``Cumprod``.

These are PyTorch's formulas (``prod_backward``, ``cumprod_backward``), including which one it
picks: the quotient while the input holds no zero anywhere, the division-free form otherwise.
Each backward runs on arrays and on tensors (``dual``), so it can be differentiated again.
"""

from __future__ import annotations

from numbers import Integral

import numpy

from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.function import ArrayFunction
from ..backend import array_module
from . import dual


def _accumulated(a, dtype):
    """``a`` in the dtype its product or sum is taken in: ``dtype`` when given (PyTorch casts
    the input first), int64 for integers and bools, else its own."""
    if dtype is None:
        if a.dtype.kind not in "biu":
            return a
        dtype = numpy.int64
    return a.astype(dtype, copy=False)


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
        return _reverse_cumsum(g, ctx.dim), None, None


def _reverse_cumsum(g, dim):
    """``g[i] + g[i + 1] + ...`` along ``dim``: the sum from each position to the end."""
    dims = (dim,)
    return dual.flip(dual.cumsum(dual.flip(g, dims), dim), dims)


# -- products: the pieces that divide nothing ------------------------------------------------


def _first(x, dim):
    """A raw bool array, True at index 0 along ``dim``, that broadcasts against ``x``."""
    data = x._data if isinstance(x, Tensor) else x
    shape = [1] * data.ndim
    shape[dim] = data.shape[dim]
    return (array_module(data).arange(data.shape[dim]) == 0).reshape(shape)


def _shifted(x, dim):
    """``x`` moved one place on along ``dim``, 1 in front: ``x[i - 1]`` at ``i``."""
    return dual.where(_first(x, dim), 1.0, dual.roll(x, (1,), (dim,)))


def _products_before(x, dim):
    """``x[0] * ... * x[i - 1]`` at ``i`` (1 at 0): the exclusive cumulative product."""
    return dual.cumprod(_shifted(x, dim), dim)


def _products_of_others(x, dim):
    """``prod_{j != i} x[j]`` along ``dim`` at each ``i``, the products before ``i`` times the
    products after it (those before, of ``x`` flipped), as PyTorch's
    ``prod_safe_zeros_backward``: no division, so exact where ``x`` holds zeros (one zero: the
    product of the rest at the zero, 0 elsewhere; two or more: 0 everywhere)."""
    dims = (dim,)
    after = dual.flip(_products_before(dual.flip(x, dims), dim), dims)
    return _products_before(x, dim) * after


def _prod_grad(x, y, g, dim):
    """``g`` times ``dy/dx`` for ``y = prod(x)`` over ``dim`` (None: every element), ``g`` and
    ``y`` with ``dim`` kept, as size 1."""
    if x.ndim == 0:  # the product of one number is the number
        return g
    zeros = dual.zero_count(x)
    if not zeros:
        return g * (y / x)
    if dim is None:  # every element is one slice: the flattened input's
        if zeros > 1 and not isinstance(x, Tensor):
            # every product of others holds a zero: PyTorch answers zeros without computing
            # them (so 0 also where an inf elsewhere would make 0 * inf = nan), unless recording
            return dual.zeros_like(x)
        return g * _products_of_others(x.reshape(-1), 0).reshape(x.shape)
    return g * _products_of_others(x, dim)


class ProdAll(ArrayFunction):
    """The product of every element."""

    node_name = "ProdBackward0"

    @staticmethod
    def forward(ctx, a, dtype=None):
        with dual.quiet():  # overflow, and 0 * inf, give inf and nan without a warning
            src = _accumulated(a, dtype)  # dtype= too: NumPy would take small ints in int64
            y = array_module(a).prod(src, dtype=src.dtype)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        with dual.quiet():
            return _prod_grad(x, y, g, None), None


class Prod(ArrayFunction):
    """The product along one dim (PyTorch's prod takes one, never a list)."""

    node_name = "ProdBackward1"

    @staticmethod
    def forward(ctx, a, dim, keepdim, dtype=None):
        ctx.dim, ctx.keepdim = dim, keepdim
        src = _accumulated(a, dtype)
        if a.ndim == 0:  # dim 0 of a 0-d tensor: the number itself, a new tensor
            y = src.copy()
        else:
            with dual.quiet():  # as ProdAll
                y = array_module(a).prod(src, axis=dim, dtype=src.dtype, keepdims=keepdim)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        if x.ndim and not ctx.keepdim:  # the reduced dim back, as size 1, to broadcast
            kept = tuple(1 if i == ctx.dim else n for i, n in enumerate(x.shape))
            g, y = g.reshape(kept), y.reshape(kept)
        with dual.quiet():
            return _prod_grad(x, y, g, ctx.dim), None, None, None


class Cumprod(ArrayFunction):
    """Running products. The backward, ``reverse_cumsum(g * y) / x``, divides by ``x``; where
    the input holds a zero, the gradient is computed as PyTorch does, by one of two zero-safe
    forms: ``_grad_at_zeros`` (masks, O(n)) when the backward is not recorded, and
    ``_grad_polynomial`` (a loop along the dim) when it is, since only the latter is the
    gradient as a function of ``x`` everywhere, whose derivative is the second derivative."""

    node_name = "CumprodBackward0"

    @staticmethod
    def forward(ctx, a, dim, dtype=None):
        ctx.dim = dim
        src = _accumulated(a, dtype)
        if a.ndim == 0:  # PyTorch takes dim 0 of a 0-d tensor; NumPy has no axis 0 there
            y = src.copy()
        else:
            with dual.quiet():  # as ProdAll
                y = array_module(a).cumprod(src, axis=dim, dtype=src.dtype)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        dim = ctx.dim
        if x.ndim == 0 or x.shape[dim] <= 1:  # one element per scan: y is x
            return g, None, None
        with dual.quiet():  # inf and nan from an inf in x or y, without warnings
            if not dual.zero_count(x):
                return _reverse_cumsum(y * g, dim) / x, None, None
            if isinstance(x, Tensor):
                return Cumprod._grad_polynomial(x, g, dim), None, None
            return Cumprod._grad_at_zeros(x, y, g, dim), None, None

    @staticmethod
    def _grad_at_zeros(x, y, g, dim):
        """PyTorch's O(n) form on arrays. With ``z1`` the first zero of a scan, ``z2`` the
        second (or the end): for ``k < z1`` no product in ``y_j, j < z1`` holds a zero, so the
        quotient ``y_j / x_k`` is exact, and the terms from ``z1`` on are 0; for ``k > z1``
        every term holds ``x_z1 = 0``; at ``z1`` itself,
        ``dF/dx_z1 = y_{z1-1} * sum_{z1 <= j < z2} g_j prod_{z1 < i <= j} x_i``."""
        xp = array_module(x)
        is_zero = x == 0
        seen = xp.cumsum(is_zero, axis=dim)  # zeros up to each position, itself included
        before = seen == 0  # k < z1
        grad = xp.where(before, _reverse_cumsum(xp.where(before, y * g, 0), dim)
                        / xp.where(before, x, 1), 0)  # a divisor of 1 where x may be 0
        up_to_second = seen == 1  # z1 <= j < z2
        run = xp.cumprod(xp.where(up_to_second & ~is_zero, x, 1), axis=dim)
        tail = (run * xp.where(up_to_second, g, 0)).sum(axis=dim, keepdims=True)
        return xp.where(is_zero & up_to_second, _shifted(y, dim) * tail, grad)

    @staticmethod
    def _grad_polynomial(x, g, dim):
        """``dF/dx_k = sum_{j >= k} g_j prod_{i <= j, i != k} x_i`` with no division and no
        mask, so recorded it differentiates to the second derivative (the masks above drop
        terms that are 0 at a zero but whose slopes are not). It is the products before
        ``k`` times ``s_k = sum_{j >= k} g_j prod_{k < i <= j} x_i``, which Horner's rule
        gives from the end: ``s_k = g_k + x_{k+1} s_{k+1}``. A Python loop along the scanned
        dim, each step an op over all the other dims: O(n) steps, acceptable for a recorded
        backward through an input with zeros (PyTorch's own loop there is O(n^2))."""
        lead = (slice(None),) * dim
        n = x.shape[dim]
        s = g[lead + (n - 1,)]
        sums = [s]
        for k in range(n - 2, -1, -1):
            s = g[lead + (k,)] + x[lead + (k + 1,)] * s
            sums.append(s)
        return _products_before(x, dim) * dual.stack(sums[::-1], dim)


# -- the arguments, with PyTorch's errors -----------------------------------------------------


def check_grad_dtype(a, dtype):
    """An integer or bool ``dtype`` for an input that requires grad: PyTorch's error (its
    result could carry no gradient; ``sum`` and ``cumsum`` check it too)."""
    if (dtype is not None and dtype.np.kind not in "fc" and grad_mode.is_grad_enabled()
            and a.requires_grad):
        from ..dtypes import from_numpy_dtype

        name = from_numpy_dtype(dtype.np)._legacy.removesuffix("Tensor")
        raise RuntimeError(f"Autograd not support dtype: {name}")


_PROD_SIGNATURES = ("but expected one of:\n * (*, engine.dtype dtype = None)\n"
                    " * (int dim, bool keepdim = False, *, engine.dtype dtype = None)\n")


def prod_args(a, dim, keepdim, dtype):
    """``dim`` wrapped (None: every element) and ``dtype`` as NumPy's, with PyTorch's errors:
    prod takes no keepdim without a dim, and one int dim, not a list."""
    check_grad_dtype(a, dtype)
    np_dtype = None if dtype is None else dtype.np
    if dim is None:
        if keepdim:
            raise TypeError("prod() received an invalid combination of arguments - got "
                            f"(keepdim=bool, ), {_PROD_SIGNATURES}")
        return None, np_dtype
    if isinstance(dim, bool) or not isinstance(dim, Integral):
        kind = type(dim).__name__
        if keepdim or dtype is not None:  # PyTorch then reads the call as prod(dim, ...)
            raise TypeError(f"prod(): argument 'dim' (position 1) must be int, not {kind}")
        raise TypeError(f"prod() received an invalid combination of arguments - got ({kind}), "
                        f"{_PROD_SIGNATURES}")
    from .movement import wrap_dim

    return wrap_dim(dim, a.ndim), np_dtype


def cumprod_args(a, dim, dtype):
    """As ``prod_args`` for cumprod, whose dim is required; no bool scan (PyTorch has none)."""
    if dim is None:
        raise TypeError('cumprod() missing 1 required positional arguments: "dim"')
    if isinstance(dim, bool) or not isinstance(dim, Integral):
        raise TypeError(
            f"cumprod(): argument 'dim' (position 1) must be int, not {type(dim).__name__}")
    check_grad_dtype(a, dtype)
    if dtype is not None and dtype.np.kind == "b":
        raise NotImplementedError("\"cumprod_out_cpu\" not implemented for 'Bool'")
    from .movement import wrap_dim

    return wrap_dim(dim, a.ndim), None if dtype is None else dtype.np


# -- differences: the inverse of cumsum, composed as PyTorch composes it -------------------


def diff(tensor, n, dim, prepend, append):
    """``x[1:] - x[:-1]`` along ``dim`` (xor for bools), ``n`` times, after ``prepend`` and
    ``append`` are joined on; its graph is PyTorch's: slices, subtractions and a cat."""
    from .._functions import cat
    from .indexing import Slice
    from .movement import Copy, wrap_dim

    if tensor.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, tensor.ndim)
    for other in (prepend, append):
        if other is None:
            continue
        if other.ndim != tensor.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
        for i, (a, b) in enumerate(zip(tensor.shape, other.shape)):
            if i != d and a != b:
                raise RuntimeError(
                    "diff expects the shape of tensor to prepend or append to match that of "
                    f"input except along the differencing dimension; input.size({i}) = {a}, but "
                    f"got tensor.size({i}) = {b}")
    if prepend is not None or append is not None:
        tensor = cat([t for t in (prepend, tensor, append) if t is not None], d)
    if n == 0:  # PyTorch copies the input into zeros (CopyBackwards)
        from ..creation import zeros_like

        return Copy.apply(zeros_like(tensor), tensor)
    lead = (slice(None),) * d
    for _ in range(n):
        size = tensor.shape[d]
        if size == 0:
            break
        later = Slice.apply(tensor, lead + (slice(1, size), Ellipsis))
        earlier = Slice.apply(tensor, lead + (slice(0, size - 1), Ellipsis))
        tensor = later ^ earlier if tensor.dtype.np.kind == "b" else later - earlier
    return tensor
