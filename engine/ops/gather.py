"""Reading and writing along one dimension through an index tensor, with their derivatives.

``y = x.gather(d, index)`` has index's shape: ``y[p] = x[p with its coordinate along d
replaced by index[p]]``. Each ``y[p]`` is a copy of one element of ``x``, so ``x``'s gradient
is ``g`` added back into zeros at those elements, summed where the index repeats an element
(PyTorch's ``zeros.scatter_add(d, index, g)``).

``y = x.scatter(d, index, src)`` is ``x`` with ``src[p]`` written there instead: the elements
written over get no gradient (``g`` with zeros there), and ``src[p]``'s gradient is
``g.gather(d, index)``. With a number instead of ``src``, only ``x`` has a gradient.

The index tensor gets no gradient and is no input of the node (it is held as a raw array,
as ``x[index]`` holds its key). ``index`` may be smaller than ``x`` in the other dims: then
only the leading block of ``x`` (and of ``src``) takes part. PyTorch counts a 0-d tensor as
one of shape (1,), for ``x``, ``index`` and ``src`` alike.
"""

from __future__ import annotations

from numbers import Number

from .._tensor import Tensor
from ..autograd.function import ArrayFunction
from ..backend import array_module, device_of, is_array, same_device_error
from . import dual
from .movement import _dims_text, wrap_dim


def _key(index, dim):
    """The NumPy key that reads, for every position ``p`` of ``index``, the element at ``p``
    with its coordinate along ``dim`` replaced by ``index[p]``: ``index`` on ``dim``, and on
    every other axis its own coordinate (an arange along that axis, broadcast)."""
    xp, n = array_module(index), index.ndim
    key = []
    for d, size in enumerate(index.shape):
        if d == dim:
            key.append(index)
        else:
            key.append(xp.arange(size).reshape((1,) * d + (size,) + (1,) * (n - 1 - d)))
    return tuple(key)


def _at_least_1d(a):
    return a.reshape(a.shape or (1,))


def gathered(a, dim, index):
    """``a.gather(dim, index)`` on raw arrays."""
    if index.size == 0:  # PyTorch checks no shape then: the result is simply empty
        return array_module(a).empty(index.shape, a.dtype)
    return _at_least_1d(a)[_key(_at_least_1d(index), dim)].reshape(index.shape)


def scatter_added(g, shape, dim, index):
    """``zeros(shape).scatter_add(dim, index, g)`` on raw arrays: repeated indices add up."""
    xp = array_module(g)
    out = xp.zeros(shape, g.dtype)
    if index.size:
        xp.add.at(_at_least_1d(out), _key(_at_least_1d(index), dim), _at_least_1d(g))
    return out


def scattered(a, dim, index, src):
    """``a.scatter(dim, index, src)`` on raw arrays, ``src`` an array or a number. Where the
    index repeats a position, the last write wins (PyTorch leaves that order undefined)."""
    out = a.copy()
    if index.size:
        index = _at_least_1d(index)
        if is_array(src):  # only src's block of index's shape is written
            src = _at_least_1d(src)[tuple(slice(0, n) for n in index.shape)]
        _at_least_1d(out)[_key(index, dim)] = src
    return out


class Gather(ArrayFunction):
    node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, a, dim, index):
        ctx.shape, ctx.dim, ctx.index = a.shape, dim, index
        return gathered(a, dim, index)

    @staticmethod
    def backward(ctx, g):
        return dual.scatter_add(g, ctx.shape, ctx.dim, ctx.index), None, None


class GatherGrad(ArrayFunction):
    """The backward of ``gather`` (recorded when the backward pass is): ``g`` added into
    zeros of the input's shape. Its own backward gathers again."""

    node_name = "ScatterAddBackward0"  # PyTorch's: zeros.scatter_add(dim, index, g)

    @staticmethod
    def forward(ctx, g, shape, dim, index):
        ctx.dim, ctx.index = dim, index
        return scatter_added(g, shape, dim, index)

    @staticmethod
    def backward(ctx, gg):
        return dual.gather(gg, ctx.dim, ctx.index), None, None, None


class Scatter(ArrayFunction):
    """``x.scatter(dim, index, src)``, ``src`` a tensor of ``x``'s dtype."""

    node_name = "ScatterBackward0"

    @staticmethod
    def forward(ctx, a, dim, index, src):
        ctx.dim, ctx.index = dim, index
        return scattered(a, dim, index, src)

    @staticmethod
    def backward(ctx, g):
        dim, index = ctx.dim, ctx.index
        ga = dual.scatter_fill(g, dim, index, 0) if ctx.needs_input_grad[0] else None
        # index's shape: when src is larger, PyTorch's engine refuses this gradient (its
        # shape cannot be summed to src's), and so does this one's
        gs = dual.gather(g, dim, index) if ctx.needs_input_grad[3] else None
        return ga, None, None, gs


class ScatterValue(ArrayFunction):
    """``x.scatter(dim, index, value)``, ``value`` a Python number (cast to ``x``'s dtype)."""

    node_name = "ScatterBackward1"

    @staticmethod
    def forward(ctx, a, dim, index, value):
        ctx.dim, ctx.index = dim, index
        return scattered(a, dim, index, value)

    @staticmethod
    def backward(ctx, g):
        return dual.scatter_fill(g, ctx.dim, ctx.index, 0), None, None, None


# -- the checks PyTorch makes, in its order, then the ops above ------------------------


def _size(shape, d):
    """PyTorch's ``ensure_nonempty_size``: a 0-d tensor counts as shape (1,)."""
    return shape[d] if shape else 1


def _index_array(name, data, index):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' (position 2) must be Tensor, not "
                        f"{type(index).__name__}")
    raw = index._data
    if raw.dtype.kind != "i" or raw.dtype.itemsize not in (4, 8):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    if device_of(raw) != device_of(data):
        raise same_device_error(device_of(data), device_of(raw))
    return raw


def _check_bounds(index, dim, size):
    """Every index within ``[0, size)``: PyTorch does not count negatives from the end."""
    bad = (index < 0) | (index >= size)
    if index.size and bool(bad.any()):
        first = index.reshape(-1)[int(bad.reshape(-1).argmax())]
        raise RuntimeError(f"index {int(first)} is out of bounds for dimension {dim} with "
                           f"size {size}")


def gather(tensor, dim, index):
    data = tensor._data
    d = wrap_dim(dim, data.ndim)
    raw = _index_array("gather", data, index)
    if raw.size:
        shape, ishape = data.shape, raw.shape
        if max(len(shape), 1) != max(len(ishape), 1):
            raise RuntimeError("Index tensor must have the same number of dimensions as input "
                               "tensor")
        for i in range(max(len(shape), 1)):
            if i != d and _size(ishape, i) > _size(shape, i):
                raise RuntimeError(
                    f"Size does not match at dimension {i} expected index {_dims_text(ishape)} "
                    f"to be no larger than self {_dims_text(shape)} apart from dimension {d}")
        _check_bounds(raw, d, _size(shape, d))
    return Gather.apply(tensor, d, raw)


def scatter(tensor, dim, index, src):
    """``tensor.scatter(dim, index, src)``, ``src`` a tensor or a Python number."""
    data = tensor._data
    d = wrap_dim(dim, data.ndim)
    raw = _index_array("scatter", data, index)
    is_src = isinstance(src, Tensor)
    if is_src:
        if src._data.dtype != data.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        if device_of(src._data) != device_of(data):
            raise same_device_error(device_of(data), device_of(src._data))
    elif not isinstance(src, Number):
        raise TypeError(f"scatter(): expected a Tensor src or a Number value, got "
                        f"{type(src).__name__}")
    if raw.size:
        _check_scatter_shapes(data.shape, d, raw.shape, src.shape if is_src else None)
        _check_bounds(raw, d, _size(data.shape, d))
    if is_src:
        return Scatter.apply(tensor, d, raw, src)
    return ScatterValue.apply(tensor, d, raw, src)


def _check_scatter_shapes(shape, dim, ishape, sshape):
    """PyTorch's ``scatter_shape_check``, in its order: index's dims against self's, then its
    sizes (no larger than self's but along ``dim``, no larger than src's anywhere), then
    src's dims. It reads src's sizes at index's dims, so a src of fewer dims fails there,
    with the range error of ``src.size(d)``."""
    ndim = max(len(shape), 1)
    if ndim != max(len(ishape), 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    wrong = any(i != dim and _size(ishape, i) > _size(shape, i) for i in range(ndim))
    if sshape is None:
        if wrong:
            raise RuntimeError(f"Expected index {_dims_text(ishape)} to be no larger than self "
                               f"{_dims_text(shape)} apart from dimension {dim}")
        return
    if not wrong:
        for i in range(ndim):
            if _size(ishape, i) > (sshape[wrap_dim(i, len(sshape))] if sshape else 1):
                wrong = True
                break
    if max(len(sshape), 1) != ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if wrong:
        raise RuntimeError(
            f"Expected index {_dims_text(ishape)} to be no larger than self {_dims_text(shape)} "
            f"apart from dimension {dim} and to be no larger size than src {_dims_text(sshape)}")
