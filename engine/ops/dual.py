"""Functions that work on raw arrays and on tensors alike.

A built-in op's backward is written once, with operators and these helpers. The engine runs
it on raw arrays when the backward pass is not recorded (the usual case: no wrappers, no
bookkeeping), and on tensors when it is (``create_graph=True``), so the same formula gives
higher-order derivatives. Each helper dispatches on its argument's type.
"""

from __future__ import annotations

from .._tensor import Tensor
from ..backend import _ndarray, array_module, array_sum, constant, numpy_module, sum_leading

_subtract = numpy_module.subtract


def _unary(method):
    def helper(x):
        if isinstance(x, Tensor):
            return getattr(x, method)()
        return getattr(array_module(x), method)(x)

    helper.__name__ = method
    return helper


exp, log, sqrt, sin, cos, sign, abs = (  # noqa: A001 - mirrors the array API
    _unary(name) for name in ("exp", "log", "sqrt", "sin", "cos", "sign", "abs")
)
sinh, cosh, trunc, isnan, isfinite = (
    _unary(name) for name in ("sinh", "cosh", "trunc", "isnan", "isfinite")
)


def expand(g, shape):
    """Broadcast ``g`` to ``shape`` (the backward of every reduction)."""
    if isinstance(g, Tensor):
        return g.expand(shape)
    if g.shape == shape:
        return g
    xp = array_module(g)
    if g.ndim == 0:  # a fresh, writable array: cheaper than broadcast_to
        if xp is numpy_module:
            out = numpy_module.empty(shape, dtype=g.dtype)  # numpy.full costs 2x this
            out[...] = g
            return out
        return xp.full(shape, g, dtype=g.dtype)
    return xp.broadcast_to(g, shape)


def positive(y):
    """1 where ``y > 0``, else 0, for a ``y`` that is never negative (relu's output). On
    tensors it is ``y.sign()`` (sign(nan) is 0 here), so the gradient made from it stays
    connected to ``y`` with a zero derivative, as PyTorch's ``threshold_backward``: a second
    derivative through relu is 0, not an error. On arrays, a comparison with a 0-d zero."""
    if isinstance(y, Tensor):
        return y.sign()
    return y > constant(0, y)


def times_one_minus(g, a, b=None):
    """``g * (1 - a * b)`` (``g * (1 - a)`` without ``b``): tanh's and sigmoid's derivatives.
    On arrays it is ``g - g a b``, made in one fresh array: a Python ``1`` costs NumPy a
    scalar conversion per call (~0.3 us, as much as the rest on a layer's array), and the
    temporaries of ``1 - a * b`` two allocations more (NOTES.md)."""
    # NumPy arrays, the usual case, tested by type: an isinstance() that fails costs a
    # __class__ lookup, and a module attribute ~250 instructions (tanh's backward, W4).
    if type(g) is _ndarray and type(a) is _ndarray:
        out = g * a
        if type(out) is _ndarray:  # 0-d: NumPy returns a scalar, which cannot be written
            if b is not None:
                out *= b
            return _subtract(g, out, out)
    elif not (isinstance(g, Tensor) or isinstance(a, Tensor) or isinstance(b, Tensor)):
        xp = array_module(a)  # CuPy's arrays
        out = g * a
        if isinstance(out, xp.ndarray):
            if b is not None:
                xp.multiply(out, b, out)
            return xp.subtract(g, out, out)
    return g * (1 - a) if b is None else g * (1 - a * b)  # tensors (recorded), 0-d arrays


def sum_to(g, shape):
    """Undo broadcasting: sum ``g`` over the dimensions that broadcasting added or grew."""
    shape = tuple(shape)
    lead = g.ndim - len(shape)
    # The dims of ``shape`` that broadcasting grew from 1. (Plain loops, not generators:
    # this runs for every broadcast gradient.)
    grown = []
    g_shape = tuple(g.shape)
    for i, n in enumerate(shape):
        if n == 1 and g_shape[lead + i] != 1:
            grown.append(i)
    if isinstance(g, Tensor):
        dims = tuple(range(lead)) + tuple([lead + i for i in grown])
        if dims:
            g = g.sum(dim=dims, keepdim=True)
        return g.reshape(shape) if tuple(g.shape) != shape else g
    # Sum the added leading dimensions away, keep the grown ones: the result is a fresh
    # array (not a reshaped view), so it can become a .grad without a copy.
    if (lead or grown) and (not grown or grown[-1] == len(grown) - 1):
        # All the summed dimensions lead (a bias's gradient): one product, sum_leading.
        out = sum_leading(g, lead + len(grown), shape)
        if out is not None:
            return out
    if lead:
        g = array_sum(g, tuple(range(lead)))
    if grown:
        g = array_sum(g, tuple(grown), None, True)
    return g


def where(cond, a, b):
    if isinstance(a, Tensor) or isinstance(b, Tensor) or isinstance(cond, Tensor):
        from .binary import where as tensor_where

        return tensor_where(cond, a, b)
    return array_module(cond).where(cond, a, b)


def flip(g, dims):
    if isinstance(g, Tensor):
        return g.flip(dims)
    return array_module(g).flip(g, dims)


def cumsum(g, dim):
    if isinstance(g, Tensor):
        return g.cumsum(dim)
    return array_module(g).cumsum(g, axis=dim)


def cumprod(g, dim):
    if isinstance(g, Tensor):
        return g.cumprod(dim)
    return array_module(g).cumprod(g, axis=dim)


def stack(items, dim):
    """``items`` (all tensors or all arrays, one shape) joined along a new dim ``dim``."""
    if isinstance(items[0], Tensor):
        from .movement import Stack

        return Stack.apply(dim, *items)
    return array_module(items[0]).stack(items, axis=dim)


def zero_count(x):
    """How many elements of ``x`` are 0, as a Python int (for a device array, a sync: a
    backward that picks its formula by the zeros in its input waits for it, as PyTorch's)."""
    data = x._data if isinstance(x, Tensor) else x
    return int(array_module(data).count_nonzero(data == 0))


def roll(g, shifts, dims):
    """``dims`` None: the flattened roll by ``shifts[0]`` (``Tensor.roll(shift)``)."""
    if isinstance(g, Tensor):
        return g.roll(shifts, dims)
    if dims is None:
        return array_module(g).roll(g, shifts[0])
    return array_module(g).roll(g, shifts, axis=dims)


def sum_dims(g, dims):
    """``g`` summed over ``dims``, a tuple; for none, ``g`` itself (a tensor's ``sum(())``
    would sum everything)."""
    if not dims:
        return g
    if isinstance(g, Tensor):
        return g.sum(dims)
    return array_sum(g, dims)


def gather(g, dim, index):
    """``g.gather(dim, index)``, ``index`` a raw integer array (``ops.gather``)."""
    from . import gather as ops

    if isinstance(g, Tensor):
        return ops.Gather.apply(g, dim, index)
    return ops.gathered(g, dim, index)


def scatter_add(g, shape, dim, index):
    """``zeros(shape).scatter_add(dim, index, g)``: the backward of ``gather``."""
    from . import gather as ops

    if isinstance(g, Tensor):
        return ops.GatherGrad.apply(g, shape, dim, index)
    return ops.scatter_added(g, shape, dim, index)


def index_select(g, dim, index):
    """``g.index_select(dim, index)``, ``index`` a 1-D raw integer array: the backward of
    ``index_add``."""
    from . import gather as ops

    if isinstance(g, Tensor):
        return ops.IndexSelect.apply(g, dim, index)
    return ops.index_selected(g, dim, index)


def index_add_zeros(g, shape, dim, index):
    """``zeros(shape).index_add(dim, index, g)``: the backward of ``index_select``."""
    from . import gather as ops

    if isinstance(g, Tensor):
        return ops.IndexSelectGrad.apply(g, shape, dim, index)
    return ops.index_added(array_module(g).zeros(shape, g.dtype), dim, index, g)


def scatter_fill(g, dim, index, value):
    """``g.scatter(dim, index, value)``: a copy of ``g`` with ``value`` at the positions."""
    from . import gather as ops

    if isinstance(g, Tensor):
        return ops.ScatterValue.apply(g, dim, index, value)
    return ops.scattered(g, dim, index, value)


def swapaxes(g, d0, d1):
    if isinstance(g, Tensor):
        return g.transpose(d0, d1)
    return array_module(g).swapaxes(g, d0, d1)


def permute(g, dims):
    if isinstance(g, Tensor):
        return g.permute(*dims)
    return g.transpose(dims)


def zeros_like(g):
    if isinstance(g, Tensor):
        from ..creation import zeros_like as tensor_zeros_like

        return tensor_zeros_like(g)
    return array_module(g).zeros_like(g)


def clone(g):
    return g.clone() if isinstance(g, Tensor) else g.copy()


def scatter(g, shape, key, accumulate):
    """``g`` placed at ``key`` in zeros of ``shape`` (summed at repeated indices)."""
    if isinstance(g, Tensor):
        from .indexing import ScatterGrad

        return ScatterGrad.apply(g, shape, key, accumulate)
    return _scatter_array(g, shape, key, accumulate)


def _scatter_array(g, shape, key, accumulate):
    xp = array_module(g)
    out = xp.zeros(shape, dtype=g.dtype)
    if accumulate:
        xp.add.at(out, key, g)
    else:
        out[key] = g
    return out


def to(g, dtype, device):
    if isinstance(g, Tensor):
        return g.to(dtype, device)
    from ..backend import to_device

    return to_device(g, device).astype(dtype.np, copy=False)


class quiet:  # noqa: N801 - used like numpy.errstate
    """Silence NumPy's floating-point warnings (divide by zero, overflow, invalid value): in
    PyTorch inf and nan are values, not warnings, and anomaly mode is the tool that reports
    them. ``numpy.errstate`` costs about 1.3 us; setting NumPy's error-state context variable
    directly costs about 0.2 us, so ops can afford it."""

    __slots__ = ("_token",)

    def __enter__(self):
        self._token = _set_state(_IGNORE) if _set_state is not None else _errstate_enter()
        return self

    def __exit__(self, *exc):
        if _set_state is not None:
            _reset_state(self._token)
        else:
            self._token.__exit__(*exc)


def _errstate_enter():
    import numpy

    state = numpy.errstate(all="ignore")
    state.__enter__()
    return state


try:  # NumPy >= 2 keeps its error state in a context variable
    import numpy as _np
    from numpy._core._ufunc_config import _extobj_contextvar as _state_var

    with _np.errstate(all="ignore"):
        _IGNORE = _state_var.get()
    _set_state, _reset_state = _state_var.set, _state_var.reset
except Exception:  # older NumPy: the public, slower way
    _set_state = _reset_state = _IGNORE = None


def is_nan_anywhere(g):
    data = g._data if isinstance(g, Tensor) else g
    return bool(array_module(data).isnan(data).any())


def tril(g, k):
    return g.tril(k) if isinstance(g, Tensor) else array_module(g).tril(g, k)


def triu(g, k):
    return g.triu(k) if isinstance(g, Tensor) else array_module(g).triu(g, k)


def rot90(g, k, dims):
    if isinstance(g, Tensor):
        return g.rot90(k, dims)
    return array_module(g).rot90(g, k, axes=dims)


def cross(a, b, dim):
    """The cross product along ``dim`` (of size 3), broadcasting the other dims."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        from .linalg import Cross

        return Cross.apply(a, b, dim)
    return array_module(a).cross(a, b, axis=dim)
