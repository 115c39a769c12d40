"""Indexing: ``x[key]`` and ``x[key] = value``, as PyTorch records them.

Ints and slices select views (``SelectBackward0``, ``SliceBackward0``); index tensors and
masks make a copy (``IndexBackward0``), whose backward scatters ``g`` into zeros, adding at
repeated indices. A write is recorded out of place (``CopySlices``); ``Tensor`` writes it.
"""

from __future__ import annotations

import re
from numbers import Integral

from ..autograd.function import ArrayFunction
from ..backend import array_module, device_of, is_array, to_device
from . import dual
from .movement import Alias, Unsqueeze, _dims_text, _View


class Select(_View):
    """``x[..., i, ...]`` along one dimension."""

    node_name = "SelectBackward0"

    @staticmethod
    def forward(ctx, a, key):
        ctx.shape, ctx.key = a.shape, key
        return a[key]

    @staticmethod
    def backward(ctx, g):
        return dual.scatter(g, ctx.shape, ctx.key, False), None


class Slice(Select):
    node_name = "SliceBackward0"


class Index(ArrayFunction):
    """Advanced (integer-array or mask) indexing; the result is a copy."""

    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, a, key):
        ctx.shape, ctx.key = a.shape, key
        return a[key]

    @staticmethod
    def backward(ctx, g):
        return dual.scatter(g, ctx.shape, ctx.key, True), None


class ScatterGrad(ArrayFunction):
    """The backward of indexing: ``g`` placed into zeros (summed where indices repeat)."""

    node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, g, shape, key, accumulate):
        ctx.key = key
        return dual._scatter_array(g, shape, key, accumulate)

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.key], None, None, None


class IndexPut(ArrayFunction):
    """``x[key] = value`` recorded out of place (the in-place write happens in Tensor)."""

    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, a, key, value):
        ctx.key = key
        out = a.copy()
        out[key] = value
        return out

    @staticmethod
    def backward(ctx, g):
        key = ctx.key
        keep = dual.clone(g)
        keep[key] = 0.0
        return keep, None, (g[key] if ctx.needs_input_grad[2] else None)



# -- a Python key, turned into the ops above ------------------------------------------


def _raw(k):
    """An index as NumPy takes it: tensors, lists and nested tuples become arrays; a byte
    (uint8) tensor is a mask, as in PyTorch (which deprecates it)."""
    from .._tensor import Tensor

    if isinstance(k, Tensor):
        k = k._data
    elif isinstance(k, (list, range, tuple)):  # a tuple inside the key is a sequence too
        import numpy

        k = numpy.asarray(k) if len(k) else numpy.zeros(0, dtype=numpy.int64)
    if is_array(k):
        if k.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if k.dtype.kind == "u" and k.dtype.itemsize == 1:
            k = k.astype(bool)
    return k


def _on_device_of(k, data):
    """An index array on the device of the indexed data: CPU indices may index a GPU tensor
    (they are copied over, as in PyTorch); GPU indices may not index a CPU tensor."""
    if type(k) is type(data) or not is_array(k):
        return k
    if device_of(data).type == "cpu":
        raise RuntimeError(
            "indices should be either on cpu or on the same device as the indexed tensor (cpu)"
        )
    return to_device(k, device_of(data))


def _advanced(k):
    return is_array(k) and not (k.ndim == 0 and k.dtype.kind in "iu")


def _expand_masks(key):
    out = []
    for k in key:
        if is_array(k) and k.dtype == bool:
            out.extend(array_module(k).nonzero(k))
        else:
            out.append(k.item() if is_array(k) and k.ndim == 0 else k)
    return tuple(out)


def _is_bool(k):
    """``True``/``False`` or a 0-d bool tensor: a new dimension of size 1, masked."""
    return isinstance(k, bool) or (is_array(k) and k.ndim == 0 and k.dtype == bool)


def _dims_used(k):
    if k is None or k is Ellipsis or _is_bool(k):
        return 0
    return k.ndim if is_array(k) and k.dtype == bool else 1


def _torch_index_error(exc):
    """NumPy's indexing errors in PyTorch's words."""
    text = str(exc).replace(" for axis ", " for dimension ")
    if text.startswith("shape mismatch"):  # NumPy: "shapes (2,) (3,) "
        shapes = re.findall(r"\(([^)]*)\)", text)
        shapes = (_dims_text(n for n in s.split(",") if n.strip()) for s in shapes)
        text = ("shape mismatch: indexing tensors could not be broadcast together with shapes "
                + ", ".join(shapes))
    return IndexError(text)


def getitem(tensor, key):
    """``tensor[key]`` as PyTorch records it: first one Select/Slice/Unsqueeze (a view) per
    int, slice and None; then, when the key holds index tensors or masks, one Index (a copy)
    of that view with those alone. The ints going first matters: in ``x[1, :, [0, 2]]`` they
    are not advanced indices, so the indexed dimension stays in place (NumPy would move it
    to the front)."""
    data = tensor._data
    if type(key) is int and data.ndim and -data.shape[0] <= key < data.shape[0]:
        return Select.apply(tensor, (key, Ellipsis))  # x[i], the most frequent key, at once
    lone_slice = isinstance(key, slice)
    key = key if isinstance(key, tuple) else (key,)
    # (List comprehensions, not generators: compiled, a generator costs ~0.4 us.)
    key = tuple([_on_device_of(_raw(k), data) for k in key])
    ndim = tensor.ndim
    consumed = sum([_dims_used(k) for k in key])
    if ndim == 0 and len(key) == 1 and isinstance(key[0], (Integral, slice)) and not (
        _is_bool(key[0])
    ):
        raise IndexError(
            "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
            "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
            if isinstance(key[0], Integral) else "slice() cannot be applied to a 0-dim tensor."
        )
    if consumed > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    out, d, dim, arrays, applied = tensor, 0, 0, {}, False  # d: dim of out; dim: of tensor
    for k in key:
        if k is Ellipsis:
            d, dim = d + ndim - consumed, dim + ndim - consumed
            consumed = ndim  # a second Ellipsis skips nothing
        elif k is None:
            out, d, applied = Unsqueeze.apply(out, d), d + 1, True
        elif _is_bool(k):
            out, applied = Unsqueeze.apply(out, d), True
            arrays[d] = array_module(data).asarray([bool(k)])
            d += 1
        elif isinstance(k, slice):
            if k.step is not None and k.step <= 0:
                raise ValueError("slice step cannot be zero" if k.step == 0
                                 else "step must be greater than zero")
            if k.indices(out.shape[d]) != (0, out.shape[d], 1) or lone_slice:
                out, applied = Slice.apply(out, (slice(None),) * d + (k, Ellipsis)), True
            d, dim = d + 1, dim + 1
        elif isinstance(k, Integral) or (is_array(k) and k.ndim == 0):
            k, size = int(k), out.shape[d]
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {size}")
            out, dim, applied = Select.apply(out, (slice(None),) * d + (k, Ellipsis)), dim + 1, True
        elif is_array(k):
            n = _dims_used(k)
            if k.dtype == bool:
                for j in range(n):
                    if k.shape[j] != out.shape[d + j]:
                        raise IndexError(
                            f"The shape of the mask {_dims_text(k.shape)} at index {j} does not "
                            f"match the shape of the indexed tensor {_dims_text(out.shape)} at "
                            f"index {d + j}"
                        )
            arrays[d] = k
            d, dim = d + n, dim + n
        else:
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                f"Variables are valid indices (got {type(k).__name__})"
            )
    if arrays:
        index, i = [], 0
        while i <= max(arrays):
            k = arrays.get(i, slice(None))
            index.append(k)
            i += _dims_used(k) if is_array(k) else 1
        try:
            return Index.apply(out, _expand_masks(index))
        except IndexError as exc:
            raise _torch_index_error(exc) from None
    return out if applied else Alias.apply(out)


class IndexPutAdvanced(IndexPut):
    """``x[index tensors or masks] = value``: PyTorch names this write's node
    ``IndexPutBackward0`` (a write through ints and slices is ``CopySlices``)."""

    node_name = "IndexPutBackward0"


def put_op(key):
    """The op that records ``x[key] = value`` for a normalized key."""
    return IndexPutAdvanced if any(is_array(k) for k in key) else IndexPut


def setitem_error(exc, data, key, value_shape, legacy):
    """NumPy's error for ``x[key] = value`` in PyTorch's words (its messages follow how it
    writes: an index_put for index tensors, else an expand of the value to the region)."""
    if isinstance(exc, IndexError):
        return _torch_index_error(exc)
    if "broadcast" not in str(exc):
        return exc
    target, given = data[key].shape, tuple(value_shape)
    if any(is_array(k) for k in key):
        return RuntimeError(f"shape mismatch: value tensor of shape {_dims_text(given)} cannot "
                            f"be broadcast to indexing result of shape {_dims_text(target)}")
    while len(given) > len(target) and given[0] == 1:  # leading 1s are dropped
        given = given[1:]
    if len(given) > len(target):
        return RuntimeError(
            f"expand(engine.{legacy}{{{_dims_text(given)}}}, size={_dims_text(target)}): the "
            f"number of sizes provided ({len(target)}) must be greater or equal to the number "
            f"of dimensions in the tensor ({len(given)})")
    lead = len(target) - len(given)
    for i in reversed(range(len(given))):
        if given[i] not in (1, target[lead + i]):
            return RuntimeError(
                f"The expanded size of the tensor ({target[lead + i]}) must match the existing "
                f"size ({given[i]}) at non-singleton dimension {lead + i}.  Target sizes: "
                f"{_dims_text(target)}.  Tensor sizes: {_dims_text(given)}")
    return exc


def normalize_setitem_key(key, tensor=None):
    key = key if isinstance(key, tuple) else (key,)
    key = tuple(_raw(k) for k in key)
    if tensor is not None:
        key = tuple(_on_device_of(k, tensor._data) for k in key)
    if any(_advanced(k) for k in key):
        key = _expand_masks(key)
        if tensor is not None and any(isinstance(k, Integral) for k in key):
            return _ints_first(key, tensor.shape, array_module(tensor._data))
    return key


def _ints_first(key, shape, xp):
    """A key of ints, slices and index arrays, rewritten as index arrays alone that NumPy
    lays out as PyTorch does. PyTorch applies the ints first (they are not advanced
    indices), so ``x[1, :, [0, 2]]`` has shape (3, 2); NumPy counts the int as advanced, and
    its indexed dimensions, now not adjacent, go first: (2, 3)."""
    if any(k is None or isinstance(k, bool) for k in key) or sum(
        k is Ellipsis for k in key
    ) > 1:
        return key  # not worth the cases: NumPy's layout
    dots = [i for i, k in enumerate(key) if k is Ellipsis]
    if dots:
        i = dots[0]
        key = key[:i] + (slice(None),) * (len(shape) - len(key) + 1) + key[i + 1:]
    key = key + (slice(None),) * (len(shape) - len(key))
    rest = [i for i, k in enumerate(key) if not isinstance(k, Integral)]
    arrays = [j for j, i in enumerate(rest) if is_array(key[i])]
    batch = xp.broadcast_shapes(*(key[rest[j]].shape for j in arrays))
    adjacent = arrays == list(range(arrays[0], arrays[-1] + 1))
    slices = [j for j, i in enumerate(rest) if not is_array(key[i])]
    start = sum(j < arrays[0] for j in slices) if adjacent else 0  # where batch goes
    ndim = len(batch) + len(slices)
    out = list(key)
    for a, j in enumerate(slices):
        axis = a if a < start else a + len(batch)
        i = rest[j]
        out[i] = xp.arange(*key[i].indices(shape[i])).reshape(
            (1,) * axis + (-1,) + (1,) * (ndim - axis - 1)
        )
    for j in arrays:
        i = rest[j]
        out[i] = xp.broadcast_to(key[i], batch).reshape(
            (1,) * start + batch + (1,) * (ndim - start - len(batch))
        )
    return tuple(out)
