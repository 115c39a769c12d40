"""Ops that move, reshape, select or join elements, with their derivatives.

Views (reshape, transpose, permute, squeeze, unsqueeze, expand, select, slice) share their
input's data and version counter, as in PyTorch. The backward of a view is the inverse
movement; the backward of a selection scatters ``g`` into zeros (adding at repeated indices).
"""

from __future__ import annotations

from numbers import Integral

from ..autograd.function import ArrayFunction
from ..backend import array_module, device_of, is_array, to_device
from ..dtypes import result_type
from . import dual


class _View(ArrayFunction):
    _is_view = True


class View(_View):
    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise RuntimeError(
                f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {a.size}"
            ) from None

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class StrictView(View):
    """``view``: like ``reshape``, but refuses when the result cannot share memory."""

    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        out = View.forward(ctx, a, shape)
        if not _shares(out, a):
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
            )
        return out


def _shares(out, a):
    return out.size == 0 or out.base is a or (out.base is not None and out.base is a.base)


class UnsafeView(View):
    node_name = "UnsafeViewBackward0"


class Transpose(_View):
    node_name = "TransposeBackward0"

    @staticmethod
    def forward(ctx, a, d0, d1):
        ctx.dims = (d0, d1)
        return array_module(a).swapaxes(a, d0, d1)

    @staticmethod
    def backward(ctx, g):
        return dual.swapaxes(g, *ctx.dims), None, None


class T(_View):
    node_name = "TBackward0"

    @staticmethod
    def forward(ctx, a):
        if a.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {a.ndim}D")
        return a.T

    @staticmethod
    def backward(ctx, g):
        return g.T


class Permute(_View):
    node_name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return dual.permute(g, inverse), None


class Squeeze(_View):
    node_name = "SqueezeBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.shape = a.shape
        return a.reshape(tuple(n for n in a.shape if n != 1))

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape)


class SqueezeDims(_View):
    """``squeeze(dims)``, dims a tuple or list (sorted, non-negative): drops those of size 1
    and keeps the others, as PyTorch does. Its node is PyTorch's for a sequence of dims, even
    of one dim or none."""

    node_name = "SqueezeBackward2"

    @staticmethod
    def forward(ctx, a, dims):
        ctx.shape = a.shape
        return a.reshape(tuple(n for i, n in enumerate(a.shape) if n != 1 or i not in dims))

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class SqueezeDim(SqueezeDims):
    """``squeeze(dim)``, dim an int (non-negative; any for a 0-d tensor)."""

    node_name = "SqueezeBackward1"

    @staticmethod
    def forward(ctx, a, dim):
        return SqueezeDims.forward(ctx, a, (dim,))


class Unsqueeze(_View):
    node_name = "UnsqueezeBackward0"

    @staticmethod
    def forward(ctx, a, dim):
        ctx.shape = a.shape
        return array_module(a).expand_dims(a, dim)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class Expand(_View):
    node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return array_module(a).broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, g):
        return dual.sum_to(g, ctx.shape), None


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


class Copy(ArrayFunction):
    """``dst.copy_(src)``, recorded: the result is ``src``; ``dst``'s old values get no grad."""

    node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, dst, src):
        ctx.shape = dst.shape
        out = array_module(dst).empty_like(dst)
        out[...] = src
        return out

    @staticmethod
    def backward(ctx, g):
        return dual.zeros_like(g), g  # the engine sums g to src's shape and dtype


class Fill(ArrayFunction):
    """``t.fill_(value)``, recorded: every element becomes ``value``; no gradient to ``t``."""

    node_name = "FillBackward2"  # PyTorch: fill_ with a number

    @staticmethod
    def forward(ctx, dst, value):
        return array_module(dst).full_like(dst, value)

    @staticmethod
    def backward(ctx, g):
        return dual.zeros_like(g), None


class Cat(ArrayFunction):
    node_name = "CatBackward0"

    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim, ctx.sizes = dim, [a.shape[dim] for a in arrays]
        return array_module(arrays[0]).concatenate(_promoted(arrays), axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads, start = [None], 0
        lead = (slice(None),) * ctx.dim
        for n in ctx.sizes:
            grads.append(g[lead + (slice(start, start + n),)])
            start += n
        return tuple(grads)


class Stack(ArrayFunction):
    node_name = "StackBackward0"

    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim, ctx.count = dim, len(arrays)
        return array_module(arrays[0]).stack(_promoted(arrays), axis=dim)

    @staticmethod
    def backward(ctx, g):
        lead = (slice(None),) * ctx.dim
        return (None,) + tuple(g[lead + (i,)] for i in range(ctx.count))


def _promoted(arrays):
    """PyTorch's result dtype for joined tensors (NumPy would widen int + float32 to float64)."""
    target = result_type(*arrays).np
    return [a if a.dtype == target else a.astype(target) for a in arrays]


# -- indexing: turn a Python key into the ops above ------------------------------------


def _raw(k):
    from .._tensor import Tensor

    if isinstance(k, Tensor):
        k = k._data
    elif isinstance(k, (list, range)):
        import numpy

        k = numpy.asarray(k) if len(k) else numpy.zeros(0, dtype=numpy.int64)
        if k.dtype.kind == "f":
            raise IndexError(
                "tensors used as indices must be long, int, byte or bool tensors"
            )
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


def getitem(tensor, key):
    """``tensor[key]`` as PyTorch records it: one Select/Slice per indexed dimension, or one
    Index for advanced indexing."""
    key = key if isinstance(key, tuple) else (key,)
    data = tensor._data
    key = tuple(_on_device_of(_raw(k), data) for k in key)
    if len(key) == 1 and (isinstance(key[0], bool) or (is_array(key[0]) and key[0].ndim == 0
                                                       and key[0].dtype == bool)):
        # x[True] adds a dimension of size 1, x[False] one of size 0 (NumPy's rule too)
        out = Unsqueeze.apply(tensor, 0)
        return out if bool(key[0]) else Slice.apply(out, (slice(0, 0), Ellipsis))
    if any(_advanced(k) for k in key):
        return Index.apply(tensor, _expand_masks(key))
    consumed = sum(1 for k in key if k is not None and k is not Ellipsis)
    if consumed > tensor.ndim:
        raise IndexError(
            f"too many indices for tensor of dimension {tensor.ndim}"
        )
    out, d, applied = tensor, 0, False
    for k in key:
        if k is Ellipsis:
            d += tensor.ndim - consumed
        elif k is None:
            out, d, applied = Unsqueeze.apply(out, d), d + 1, True
        elif isinstance(k, slice):
            if k != slice(None) and k.indices(out.shape[d]) != (0, out.shape[d], 1):
                if k.step is not None and k.step <= 0:
                    raise ValueError("step must be greater than zero")
                out, applied = Slice.apply(out, (slice(None),) * d + (k, Ellipsis)), True
            d += 1
        elif isinstance(k, Integral) or (is_array(k) and k.ndim == 0):
            k = int(k)
            size = out.shape[d]
            if not -size <= k < size:
                raise IndexError(
                    f"index {k} is out of bounds for dimension {d} with size {size}"
                )
            out, applied = Select.apply(out, (slice(None),) * d + (k, Ellipsis)), True
        else:
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                f"Variables are valid indices (got {type(k).__name__})"
            )
    if not applied:
        out = Slice.apply(out, (Ellipsis,))
    return out


def normalize_setitem_key(key, tensor=None):
    key = key if isinstance(key, tuple) else (key,)
    key = tuple(_raw(k) for k in key)
    if tensor is not None:
        key = tuple(_on_device_of(k, tensor._data) for k in key)
    if any(_advanced(k) for k in key):
        return _expand_masks(key)
    return key
