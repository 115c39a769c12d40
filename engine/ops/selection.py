"""Selecting elements by index or by mask, with their derivatives: ``index_select``,
``take``, ``take_along_dim``, ``masked_select``; and where the nonzeros are (``nonzero``).

Each selected element is a copy of one element of the input, so the input's gradient is
``g`` added back into zeros where the elements came from (summed where an element was
selected twice): ``index_add`` for index_select, ``put`` (accumulating) for take, a masked
write for masked_select. take_along_dim is a ``gather`` of the broadcast input, as PyTorch
composes it.
"""

from __future__ import annotations

import numpy

from .._tensor import Tensor, make_tensor
from ..autograd.function import ArrayFunction
from ..backend import array_module, device_of, same_device_error
from . import gather as G
from .movement import wrap_dim


def put_added(g, shape, index):
    """``zeros(shape).put_(index, g, accumulate=True)``: the backward of ``take``."""
    if isinstance(g, Tensor):
        return TakeGrad.apply(g, shape, index)
    xp = array_module(g)
    out = xp.zeros(int(numpy.prod(shape)), g.dtype)
    xp.add.at(out, index, g)
    return out.reshape(shape)


def taken(g, index):
    """``g.take(index)``, ``index`` a raw array of valid, non-negative flat indices."""
    if isinstance(g, Tensor):
        return Take.apply(g, index)
    return g.reshape(-1)[index]


def masked_written(g, shape, mask):
    """Zeros of ``shape`` with ``g`` written where ``mask`` (of ``shape``) holds."""
    if isinstance(g, Tensor):
        return MaskedSelectGrad.apply(g, shape, mask)
    out = array_module(g).zeros(shape, g.dtype)
    out[mask] = g
    return out


def masked_read(g, mask):
    return MaskedSelect.apply(g, mask) if isinstance(g, Tensor) else g[mask]


class IndexSelectOfScalar(G.IndexSelect):
    """``index_select`` of a 0-d tensor: one element, still 0-d."""

    node_name = "IndexSelectBackward0"

    @staticmethod
    def forward(ctx, a, dim, index):
        return G.IndexSelect.forward(ctx, a, dim, index).reshape(())


class Take(ArrayFunction):
    """``x.take(index)``: the elements of the flattened ``x`` at ``index`` (non-negative
    here), in ``index``'s shape."""

    node_name = "TakeBackward0"

    @staticmethod
    def forward(ctx, a, index):
        ctx.shape, ctx.index = a.shape, index
        return a.reshape(-1)[index]

    @staticmethod
    def backward(ctx, g):
        return put_added(g, ctx.shape, ctx.index), None


class TakeGrad(ArrayFunction):
    """The backward of ``take`` (recorded when the backward pass is); its own backward takes
    again."""

    node_name = "PutBackward0"  # PyTorch's: zeros.put_(index, g, accumulate=True)

    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        return put_added(g, shape, index)

    @staticmethod
    def backward(ctx, gg):
        return taken(gg, ctx.index), None, None


class MaskedSelect(ArrayFunction):
    """``x.masked_select(mask)``, ``mask`` a raw bool array: the elements of ``x`` where it
    holds, both broadcast, in order, as a 1-D tensor. The gradient has the broadcast shape
    (the engine sums it to ``x``'s)."""

    node_name = "MaskedSelectBackward0"

    @staticmethod
    def forward(ctx, a, mask):
        xp = array_module(a)
        shape = broadcast_shapes(mask.shape, a.shape)
        if mask.shape != shape:
            mask = xp.broadcast_to(mask, shape)
        ctx.shape, ctx.mask = shape, mask
        return (a if a.shape == shape else xp.broadcast_to(a, shape))[mask]

    @staticmethod
    def backward(ctx, g):
        return masked_written(g, ctx.shape, ctx.mask), None


class MaskedSelectGrad(ArrayFunction):
    """The backward of ``masked_select`` (recorded when the backward pass is)."""

    node_name = "MaskedScatterBackward0"  # PyTorch's: zeros.masked_scatter(mask, g)

    @staticmethod
    def forward(ctx, g, shape, mask):
        ctx.mask = mask
        return masked_written(g, shape, mask)

    @staticmethod
    def backward(ctx, gg):
        return masked_read(gg, ctx.mask), None, None


# -- the arguments, with PyTorch's errors --------------------------------------------------


def _index_of(name, index, argument="index", position=1):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument '{argument}' (position {position}) must be "
                        f"Tensor, not {type(index).__name__}")
    return index._data


def _type_name(raw):
    from .reduce import scalar_type_name

    return scalar_type_name(raw.dtype)


def _same_device(data, other):
    if device_of(other) != device_of(data):
        raise same_device_error(device_of(data), device_of(other))


def index_select(tensor, dim, index):
    data = tensor._data
    d = wrap_dim(dim, data.ndim)
    raw = _index_of("index_select", index, position=2)
    if raw.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if raw.dtype.kind != "i" or raw.dtype.itemsize not in (4, 8):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    _same_device(data, raw)
    raw = raw.reshape(-1)
    if data.ndim == 0 and raw.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                           f"{raw.size} value(s)")
    size = data.shape[d] if data.ndim else 1
    bad = (raw < 0) | (raw >= size)
    if raw.size and bool(bad.any()):
        if data.ndim <= 1:
            raise IndexError("index out of range in self")
        first = int(raw[int(bad.argmax())])
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={first} axis_dim={size}")
    op = IndexSelectOfScalar if data.ndim == 0 else G.IndexSelect
    return op.apply(tensor, d, raw)


def take(tensor, index):
    data = tensor._data
    raw = _index_of("take", index)
    if raw.dtype != numpy.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {_type_name(raw)}")
    _same_device(data, raw)
    n = data.size
    bad = (raw < -n) | (raw >= n)
    if raw.size and bool(bad.any()):
        first = int(raw.reshape(-1)[int(bad.reshape(-1).argmax())])
        raise IndexError(f"out of range: tried to access index {first} on a tensor of {n} "
                         "elements.")
    return Take.apply(tensor, array_module(raw).where(raw < 0, raw + n, raw))


def take_along_dim(tensor, indices, dim):
    """``gather`` along ``dim`` of ``tensor`` and ``indices`` broadcast against each other
    (but along ``dim``); without a dim, of both flattened."""
    data = tensor._data
    raw = _index_of("take_along_dim", indices, "indices")
    if raw.dtype != numpy.int64:
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_type_name(raw)}")
    if dim is None:
        return G.gather(tensor.reshape(-1), 0, make_tensor(raw.reshape(-1)))
    d = wrap_dim(dim, data.ndim)
    if data.ndim != raw.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {data.ndim} dimensions for input, and {raw.ndim} dimensions "
            "for indices")
    shape = list(data.shape)
    if shape:
        shape[d] = raw.shape[d]
    shape = broadcast_shapes(tuple(shape), raw.shape)
    index = array_module(raw).broadcast_to(raw, shape)
    if shape:
        shape = shape[:d] + (data.shape[d],) + shape[d + 1:]
    return G.gather(tensor.expand(shape), d, make_tensor(index))


def broadcast_shapes(a, b):
    """The shape ``a`` and ``b`` broadcast to, with PyTorch's error (``a`` is its tensor a)."""
    ndim = max(len(a), len(b))
    a, b = (1,) * (ndim - len(a)) + tuple(a), (1,) * (ndim - len(b)) + tuple(b)
    for i in reversed(range(ndim)):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b "
                               f"({b[i]}) at non-singleton dimension {i}")
    return tuple(y if x == 1 else x for x, y in zip(a, b))


def masked_select(tensor, mask):
    data = tensor._data
    raw = _index_of("masked_select", mask, "mask")
    if raw.dtype != numpy.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    _same_device(data, raw)
    return MaskedSelect.apply(tensor, raw)


def nonzero(tensor, as_tuple):
    """The indices of the nonzero elements: one row each (``as_tuple``: one tensor per dim,
    a 0-d tensor counting as 1-d)."""
    a = tensor._data
    xp = array_module(a)
    if as_tuple:
        return tuple(make_tensor(i.astype(numpy.int64, copy=False))
                     for i in xp.nonzero(a.reshape(a.shape or (1,))))
    if a.ndim == 0:
        return make_tensor(xp.zeros((int(bool(a)), 0), numpy.int64))
    return make_tensor(xp.stack(xp.nonzero(a), axis=1).astype(numpy.int64, copy=False))

