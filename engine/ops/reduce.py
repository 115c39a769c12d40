"""Reductions: sums, means, extremes and norms, with their derivatives.

A reduction's backward spreads ``g`` back over the reduced dimensions: unsqueeze where
``keepdim=False`` removed them, then expand to the input's shape.
"""

from __future__ import annotations

import numpy

from ..autograd.function import ArrayFunction
from ..backend import array_module, array_sum
from . import dual


def normalize_dims(dim, ndim):
    """``dim`` (None, an int or a sequence, negatives allowed) as a sorted tuple, with
    PyTorch's errors for a dim out of range and for a dim listed twice (``(1, -1)`` too)."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    span = max(ndim, 1)
    out = []
    for d in dims:
        if not -span <= d < span:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-span}, {span - 1}], "
                f"but got {d})"
            )
        out.append(d % span)
    for i, d in enumerate(out):  # after all range checks, as PyTorch's reductions do
        if d in out[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    if ndim == 0:  # a 0-d tensor accepts dim 0 or -1, and there is nothing to reduce
        return ()
    return tuple(sorted(out))


def reduction_dims(dim, ndim):
    """The dims a reduction (var, std, norm, ...) runs over, sorted: in PyTorch no dims listed,
    ``dim=()`` or ``[]``, means every one, as ``dim=None`` does. normalize_dims keeps ``()`` as
    no dims, which squeeze relies on."""
    if isinstance(dim, (tuple, list)) and not dim:
        dim = None
    return normalize_dims(dim, ndim)


def _count(shape, dims):
    """How many elements each result of a reduction over ``dims`` gathers."""
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def _kept_shape(shape, dims):
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


def spread(g, shape, dims):
    """Broadcast a reduced gradient back to ``shape`` (the backward of every reduction)."""
    kept = _kept_shape(shape, dims) if shape else ()
    if tuple(g.shape) != kept:
        g = g.reshape(kept)
    return dual.expand(g, shape)


class _Reduce(ArrayFunction):
    """Base of the ops in this module."""


class SumAll(_Reduce):
    node_name = "SumBackward0"

    @staticmethod
    def forward(ctx, a, dtype=None):
        ctx.shape = a.shape
        if a.dtype.kind in "bi" and dtype is None:
            dtype = numpy.int64
        return array_sum(a, None, dtype)

    @staticmethod
    def backward(ctx, g):
        return dual.expand(g, ctx.shape), None


class Sum(_Reduce):
    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, a, dims, keepdim, dtype=None):
        ctx.shape, ctx.dims = a.shape, dims
        if a.dtype.kind in "bi" and dtype is None:
            dtype = numpy.int64
        return array_sum(a, dims, dtype, keepdim)

    @staticmethod
    def backward(ctx, g):
        return spread(g, ctx.shape, ctx.dims), None, None, None


def scalar_type_name(np_dtype):
    """PyTorch's name for a dtype in error texts: Long, Int, Bool, Float, ..."""
    from ..dtypes import from_numpy_dtype

    return from_numpy_dtype(np_dtype)._legacy.removesuffix("Tensor")


def _check_mean(a):
    if a.dtype.kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {scalar_type_name(a.dtype)}"
        )


class MeanAll(_Reduce):
    node_name = "MeanBackward0"

    @staticmethod
    def forward(ctx, a):
        _check_mean(a)
        ctx.shape, ctx.count = a.shape, max(a.size, 1)
        if a.size == 0:  # NumPy warns "Mean of empty slice"; PyTorch quietly gives nan
            return array_module(a).full((), float("nan"), dtype=a.dtype)
        if a.itemsize >= 4 and a.size < 1 << 24:
            # NumPy's mean() is a Python function: 3 us on a small array, against 0.8 us for
            # its own arithmetic here (float16 sums in float32, and a count from 2**24 up is
            # not exact in float32: those keep mean()).
            return array_sum(a) / a.size
        return a.mean()

    @staticmethod
    def backward(ctx, g):
        return dual.expand(g / ctx.count, ctx.shape)  # divided before it is spread: one pass


class MeanAllAs(MeanAll):
    """``mean(dtype=...)``: the mean of ``a`` cast to ``dtype`` first, as PyTorch computes it
    (a class of its own: MeanAll is a hot path, and takes no dtype)."""

    node_name = "MeanBackward0"

    @staticmethod
    def forward(ctx, a, dtype):
        return MeanAll.forward(ctx, a.astype(dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        return MeanAll.backward(ctx, g), None


class Mean(_Reduce):
    node_name = "MeanBackward1"

    @staticmethod
    def forward(ctx, a, dims, keepdim, dtype=None):
        if dtype is not None:
            a = a.astype(dtype, copy=False)
        _check_mean(a)
        ctx.shape, ctx.dims = a.shape, dims
        if a.size == 0:
            with dual.quiet():
                count = 1
                for d in dims:
                    count *= a.shape[d]
                return (a.sum(axis=dims, keepdims=keepdim) / count).astype(a.dtype)
        if a.itemsize >= 4 and a.size < 1 << 24:  # as MeanAll
            return a.sum(axis=dims, keepdims=keepdim) / _count(a.shape, dims)
        return a.mean(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        n = 1
        for d in ctx.dims:
            n *= ctx.shape[d] if ctx.shape else 1
        return spread(g / max(n, 1), ctx.shape, ctx.dims), None, None, None  # as MeanAll


class LogSumExp(_Reduce):
    """``log(sum(exp(x)))`` over ``dims``, without overflow: the maximum ``m`` is taken out
    first, ``m + log(sum(exp(x - m)))``, so no ``exp`` sees a positive number. Written once
    for NumPy and CuPy (``xp``); its backward, ``g * exp(x - y)`` (the softmax), runs on
    arrays and on tensors alike."""

    node_name = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        xp = array_module(a)
        if a.dtype.kind in "biu":
            a = a.astype(numpy.float32)
        kept = _kept_shape(a.shape, dims)
        if a.size:
            m = a.max(axis=dims, keepdims=True)
            m = xp.where(xp.isinf(m), 0, m).astype(a.dtype, copy=False)  # all -inf: no nan
        else:
            m = xp.zeros(kept, dtype=a.dtype)
        with dual.quiet():  # log(0) = -inf for a row of -inf, silently
            y = xp.log(xp.exp(a - m).sum(axis=dims, keepdims=True)) + m
        out = y if keepdim else y.reshape(tuple(n for i, n in enumerate(a.shape)
                                                if i not in dims))
        ctx.save_for_backward(a, out)
        ctx.kept = kept
        return out

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        kept = ctx.kept
        return g.reshape(kept) * dual.exp(a - y.reshape(kept)), None, None


def _check_var(a):
    if a.dtype.kind not in "fc":
        raise RuntimeError("std and var only support floating point and complex dtypes")


class Var(_Reduce):
    """The variance over ``dims``, dividing by ``n - correction`` (1: Bessel's correction),
    clamped at 0 as PyTorch does: too few elements give inf or nan, not a negative."""

    node_name = "VarBackward0"

    @staticmethod
    def forward(ctx, a, dims, correction, keepdim):
        _check_var(a)
        ctx.shape, ctx.dims, ctx.correction = a.shape, dims, correction
        ctx.save_for_backward(a)
        return Var._var(a, dims, correction, keepdim)

    @staticmethod
    def _var(a, dims, correction, keepdim):
        n = _count(a.shape, dims)
        with dual.quiet():  # no NumPy warnings for an empty slice or n <= correction
            centred = a - a.sum(axis=dims, keepdims=True) / n
            return (centred * centred).sum(axis=dims, keepdims=keepdim) / max(n - correction, 0)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return Var._grad(ctx, x, g), None, None, None

    @staticmethod
    def _grad(ctx, x, g):
        """2 (x - mean) / (n - correction), spread over ``dims``. PyTorch's own backward
        counts n = 1 for ``dim=()`` (inf gradients); this is the derivative of the value."""
        kept = _kept_shape(ctx.shape, ctx.dims)
        n = _count(ctx.shape, ctx.dims)
        dof = max(n - ctx.correction, 0)
        centred = x - dual.sum_to(x, kept) / n
        return g.reshape(kept) * centred * (2.0 / dof if dof else float("inf"))


class Std(Var):
    """The square root of ``Var``; its gradient is 0 where the deviation is 0, as PyTorch's."""

    node_name = "StdBackward0"

    @staticmethod
    def forward(ctx, a, dims, correction, keepdim):
        _check_var(a)
        ctx.shape, ctx.dims, ctx.correction = a.shape, dims, correction
        y = array_module(a).sqrt(Var._var(a, dims, correction, keepdim))
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        g = dual.where(y == 0, 0.0, g / (2 * y))  # d sqrt(v) = dv / (2 sqrt(v))
        return Var._grad(ctx, x, g), None, None, None


def check_norm(a, p, dim):
    """PyTorch's errors for ``linalg.vector_norm``: a float input, and no inf or negative
    order over an empty dim (those reductions have no identity)."""
    if a.dtype.kind not in "fc":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {scalar_type_name(a.dtype)}")
    if a.size == 0 and (p < 0 or p == float("inf")):
        order = f"{p:g}"
        if dim is None or isinstance(dim, (tuple, list)) and not dim:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {order} norm on an empty "
                               "tensor because the operation does not have an identity")
        for d in (dim,) if isinstance(dim, int) else dim:
            if a.shape[d] == 0:  # PyTorch's text lacks the space after the dim
                raise RuntimeError(
                    f"linalg.vector_norm cannot compute the {order} norm on the dimension {d}"
                    "because this dimension is empty and the operation does not have an "
                    "identity")


class Norm(_Reduce):
    """The vector p-norm over ``dims`` (``linalg.vector_norm``): p = 0 counts the nonzeros,
    p = +-inf is the largest / smallest ``|x|``."""

    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, a, p, dims, keepdim):
        xp = array_module(a)
        ctx.p, ctx.shape, ctx.dims = p, a.shape, dims
        absx = xp.abs(a)
        if p == float("inf"):
            y = absx.max(axis=dims, keepdims=keepdim)
        elif p == float("-inf"):
            y = absx.min(axis=dims, keepdims=keepdim)
        elif p == 0:
            y = (a != 0).sum(axis=dims, keepdims=keepdim)
        elif p == 2:
            y = xp.sqrt((a * a).sum(axis=dims, keepdims=keepdim))
        elif p == 1:
            y = absx.sum(axis=dims, keepdims=keepdim)
        else:
            with dual.quiet():  # p < 0: |0|^p = inf, and the norm is 0
                y = (absx**p).sum(axis=dims, keepdims=keepdim) ** (1.0 / p)
        y = xp.asarray(y, dtype=a.dtype)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        if ctx.p == 0:  # piecewise constant: PyTorch gives no gradient (x.grad stays None)
            return None, None, None, None
        return Norm._backward(ctx, g)

    @staticmethod
    def _backward(ctx, g):
        x, y = ctx.saved_tensors
        p, dims = ctx.p, ctx.dims
        g = spread(g, ctx.shape, dims)
        y = spread(y, ctx.shape, dims)
        if p == 1:
            return g * dual.sign(x), None, None, None
        if p in (float("inf"), float("-inf")):
            hits = dual.abs(x) == y
            kept = [1 if i in dims else n for i, n in enumerate(ctx.shape)]
            count = dual.sum_to(hits * 1.0, kept)
            return g * dual.sign(x) * hits / count, None, None, None
        # d/dx ||x||_p = sign(x) |x|^(p-1) / ||x||_p^(p-1), as PyTorch: 0 where the norm is 0,
        # and for p < 1 also where x is 0 (|x|^(p-1) is inf there)
        safe = dual.where(y == 0, 1.0, y)
        if p == 2:
            grad = x / safe
        else:
            grad = dual.sign(x) * dual.abs(x) ** (p - 1) / safe ** (p - 1)
            if p < 1:
                grad = dual.where(x == 0, 0.0, grad)
        return dual.where(y == 0, 0.0, g * grad), None, None, None


class VarMean(_Reduce):
    """``var_mean``: the variance and the mean over ``dims``, one node for both; the
    gradient is the sum of var's and mean's."""

    node_name = "VarMeanBackward0"
    _of_var = staticmethod(lambda v: v)

    @classmethod
    def forward(cls, ctx, a, dims, correction, keepdim):
        ctx.shape, ctx.dims, ctx.correction = a.shape, dims, correction
        var = cls._of_var(Var._var(a, dims, correction, keepdim))
        with dual.quiet():
            mean = a.sum(axis=dims, keepdims=keepdim) / _count(a.shape, dims)
        ctx.save_for_backward(a, var)
        return var, mean.astype(a.dtype, copy=False)

    @classmethod
    def backward(cls, ctx, g_var, g_mean):
        x, y = ctx.saved_tensors
        grad = None
        if g_var is not None:
            grad = Var._grad(ctx, x, cls._var_grad(g_var, y))
        if g_mean is not None:
            n = _count(ctx.shape, ctx.dims) if ctx.shape else 1
            part = spread(g_mean / max(n, 1), ctx.shape, ctx.dims)
            grad = part if grad is None else grad + part
        return grad, None, None, None

    @staticmethod
    def _var_grad(g, var):
        return g


class StdMean(VarMean):
    node_name = "StdMeanBackward0"
    _of_var = staticmethod(lambda v: array_module(v).sqrt(v))

    @staticmethod
    def _var_grad(g, std):
        return dual.where(std == 0, 0.0, g / (2 * std))  # as Std


def moments(tensor, dim, unbiased, keepdim, correction, op, name):
    """``var_mean`` / ``std_mean``, with var's arguments."""
    if tensor._data.dtype.kind not in "fc":
        raise RuntimeError(f"{name} only support floating point and complex dtypes")
    if isinstance(dim, bool):  # var_mean(x, False): unbiased over every dim
        dim, unbiased = None, dim
    correction = (1 if unbiased else 0) if correction is None else correction
    return op.apply(tensor, reduction_dims(dim, tensor.ndim), correction, keepdim)


def count_nonzero(tensor, dim):
    from .._tensor import make_tensor

    a = tensor._data
    dims = reduction_dims(dim, a.ndim)  # no dims listed: every one, as var's
    if a.ndim == 0:  # dim 0 of a 0-d tensor
        return make_tensor((a != 0).astype(numpy.int64))
    return make_tensor(array_sum(a != 0, dims, numpy.int64))
