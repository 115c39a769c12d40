"""Reading and writing along one dimension through an index tensor, with their derivatives.

``y = x.gather(d, index)`` has index's shape: ``y[p] = x[p with its coordinate along d
replaced by index[p]]``. Each ``y[p]`` is a copy of one element of ``x``, so ``x``'s gradient
is ``g`` added back into zeros at those elements, summed where the index repeats an element
(PyTorch's ``zeros.scatter_add(d, index, g)``).

``y = x.scatter(d, index, src)`` is ``x`` with ``src[p]`` written there instead: the elements
written over get no gradient (``g`` with zeros there), and ``src[p]``'s gradient is
``g.gather(d, index)``. With a number instead of ``src``, only ``x`` has a gradient.

``y = x.scatter_add(d, index, src)`` adds ``src[p]`` there instead of writing it (repeated
positions add up): ``x``'s gradient is ``g``, ``src``'s ``g.gather(d, index)``.

``y = x.index_add(d, index, source, alpha=a)`` adds ``a * source`` along ``d`` into the rows
(slices) that the 1-D ``index`` names: ``y[..., index[i], ...] += a * source[..., i, ...]``.
``x``'s gradient is ``g``, ``source``'s ``a * g.index_select(d, index)``.

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
    return _add_at(array_module(g).zeros(shape, g.dtype), dim, index, g)


def _add_at(out, dim, index, src):
    """``out.scatter_add_(dim, index, src)`` on raw arrays (only src's block of index's shape
    takes part); returns ``out``."""
    if index.size:
        index = _at_least_1d(index)
        src = _at_least_1d(src)[tuple(slice(0, n) for n in index.shape)]
        array_module(out).add.at(_at_least_1d(out), _key(index, dim), src)
    return out


def index_selected(a, dim, index):
    """``a.index_select(dim, index)`` on raw arrays, ``index`` 1-D."""
    return array_module(a).take(_at_least_1d(a), index, axis=dim)


def index_added(a, dim, index, source, alpha=1):
    """``a.index_add(dim, index, source, alpha=alpha)`` on raw arrays, ``index`` 1-D: a copy
    of ``a`` with ``alpha * source`` added along ``dim`` at the indices (repeats add up)."""
    out = a.copy()
    if index.size:
        if alpha != 1:
            source = source * alpha
        key = (slice(None),) * dim + (index,)
        array_module(out).add.at(_at_least_1d(out), key, _at_least_1d(source))
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


class ScatterAdd(ArrayFunction):
    """``x.scatter_add(dim, index, src)``, ``src`` a tensor of ``x``'s dtype."""

    node_name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, a, dim, index, src):
        ctx.dim, ctx.index = dim, index
        return _add_at(a.copy(), dim, index, src)

    @staticmethod
    def backward(ctx, g):
        # src's gradient has index's shape: as for scatter, PyTorch's engine refuses it for a
        # larger src, and so does this one's
        gs = dual.gather(g, ctx.dim, ctx.index) if ctx.needs_input_grad[3] else None
        return g, None, None, gs


class IndexAdd(ArrayFunction):
    """``x.index_add(dim, index, source, alpha=alpha)``, ``index`` a 1-D raw array."""

    node_name = "IndexAddBackward0"

    @staticmethod
    def forward(ctx, a, dim, index, source, alpha):
        ctx.dim, ctx.index, ctx.alpha = dim, index, alpha
        return index_added(a, dim, index, source, alpha)

    @staticmethod
    def backward(ctx, g):
        gs = None
        if ctx.needs_input_grad[3]:
            # a 0-d source gets shape (1,): the engine sums it back to ()
            gs = dual.index_select(g, ctx.dim, ctx.index)
            if ctx.alpha != 1:
                gs = gs * ctx.alpha
        return g, None, None, gs, None


class IndexSelect(ArrayFunction):
    """``g.index_select(dim, index)``: the backward of ``index_add`` (no method of its own)."""

    node_name = "IndexSelectBackward0"

    @staticmethod
    def forward(ctx, a, dim, index):
        ctx.shape, ctx.dim, ctx.index = a.shape, dim, index
        return index_selected(a, dim, index)

    @staticmethod
    def backward(ctx, g):
        return dual.index_add_zeros(g, ctx.shape, ctx.dim, ctx.index), None, None


class IndexSelectGrad(ArrayFunction):
    """The backward of ``index_select`` (recorded when the backward pass is): ``g`` added
    into zeros of the input's shape. Its own backward selects again."""

    node_name = "IndexAddBackward0"  # PyTorch's: zeros.index_add(dim, index, g)

    @staticmethod
    def forward(ctx, g, shape, dim, index):
        ctx.dim, ctx.index = dim, index
        return index_added(array_module(g).zeros(shape, g.dtype), dim, index, g)

    @staticmethod
    def backward(ctx, gg):
        return dual.index_select(gg, ctx.dim, ctx.index), None, None, None


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


def _index_tensor(name, index):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' (position 2) must be Tensor, not "
                        f"{type(index).__name__}")
    return index._data


def _is_int32_64(raw):
    return raw.dtype.kind == "i" and raw.dtype.itemsize in (4, 8)


def _index_array(name, data, index, kernel=None):
    """``index``'s array, checked; ``kernel``: the name PyTorch's dtype error gives (the
    method's name, but ``scatter`` for ``scatter_add``)."""
    raw = _index_tensor(name, index)
    if not _is_int32_64(raw):
        raise RuntimeError(f"{kernel or name}(): Expected dtype int32/int64 for index")
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


def scatter_add(tensor, dim, index, src):
    """``tensor.scatter_add(dim, index, src)``: scatter's checks, in its words."""
    data = tensor._data
    d = wrap_dim(dim, data.ndim)
    raw = _index_array("scatter_add", data, index, kernel="scatter")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' (position 3) must be Tensor, not "
                        f"{type(src).__name__}")
    if src._data.dtype != data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if device_of(src._data) != device_of(data):
        raise same_device_error(device_of(data), device_of(src._data))
    if raw.size:
        _check_scatter_shapes(data.shape, d, raw.shape, src.shape)
        _check_bounds(raw, d, _size(data.shape, d))
    return ScatterAdd.apply(tensor, d, raw, src)


def _type_name(raw):
    from .reduce import scalar_type_name

    return scalar_type_name(raw.dtype)


def index_add(tensor, dim, index, source, alpha=1):
    """``tensor.index_add(dim, index, source, alpha=alpha)``: PyTorch's checks, in its order
    (``index_add_():`` in its texts, out of place too)."""
    data = tensor._data
    d = wrap_dim(dim, data.ndim)
    raw = _index_tensor("index_add", index)
    if not isinstance(source, Tensor):
        raise TypeError(f"index_add(): argument 'source' (position 3) must be Tensor, not "
                        f"{type(source).__name__}")
    src = source._data
    if raw.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: "
                         f"{raw.ndim} with type: {_type_name(raw)} and size: "
                         f"{_dims_text(raw.shape)}")
    if not _is_int32_64(raw):
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: "
                           f"{_type_name(raw)}")
    if src.dtype != data.dtype:
        raise RuntimeError(f"index_add_(): self ({_type_name(data)}) and source "
                           f"({_type_name(src)}) must have the same scalar type")
    if d != 0 and d >= src.ndim:
        raise RuntimeError(f"index_add_(): Indexing dim {d} is out of bounds of the source "
                           f"tensor with dim {src.ndim}")
    if raw.size != (src.shape[d] if src.ndim else 1):
        if not src.ndim:  # PyTorch reads source.size(0) of a 0-d source for its message
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        raise RuntimeError(f"index_add_(): Number of indices ({raw.size}) should be equal to "
                           f"source.size(dim): ({src.shape[d]}), for dim: {d}")
    kept, src_kept = list(data.shape), list(src.shape)
    if data.ndim and src.ndim:
        del kept[d], src_kept[d]
    if kept != src_kept:
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified "
            f"dimension. Got self.shape = {_dims_text(data.shape)} source.shape = "
            f"{_dims_text(src.shape)}")
    for other in (raw, src):
        if device_of(other) != device_of(data):
            raise same_device_error(device_of(data), device_of(other))
    raw = raw.reshape(-1)
    _check_bounds(raw, d, _size(data.shape, d))
    if data.dtype.kind in "biu":  # PyTorch casts alpha to the tensor's type
        alpha = int(alpha)
    return IndexAdd.apply(tensor, d, raw, source, alpha)
