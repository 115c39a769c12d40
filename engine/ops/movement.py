"""Ops that move, reshape or join elements, with their derivatives (indexing is in
``indexing``).

Views (reshape, transpose, permute, squeeze, unsqueeze, expand; split and unbind, several
views made by one node) share their input's data and version counter, as in PyTorch. The
backward of a view is the inverse movement.
"""

from __future__ import annotations

import itertools
import operator

from .._tensor import Tensor
from ..autograd.function import ArrayFunction, _as_view
from ..autograd.grad_mode import _state
from ..backend import array_module
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


class ReshapeAlias(View):
    """``reshape`` of a non-contiguous input whose result can still share its memory."""

    node_name = "ReshapeAliasBackward0"


class ReshapeCopy(ArrayFunction):
    """``reshape`` of a clone, when the input's memory cannot take the new shape: the result
    is not a view (PyTorch's ``_unsafe_view`` of a contiguous clone)."""

    node_name = "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class Alias(_View):
    """``x[...]``, ``x[()]``, ``x[:, :]``: a key that selects everything."""

    node_name = "AliasBackward0"

    @staticmethod
    def forward(ctx, a):
        return a[...]

    @staticmethod
    def backward(ctx, g):
        return g


def _dims_text(shape):
    return f"[{', '.join(str(n).strip() for n in shape)}]"


def sizes(shape, numel):
    """A reshape's target sizes, checked as PyTorch does, with its one -1 worked out."""
    shape = tuple(map(operator.index, shape))
    infer, known = None, 1
    for i, n in enumerate(shape):
        if n == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif n < 0:
            raise RuntimeError(
                f"invalid shape dimension {n} at index {i} of shape {_dims_text(shape)}"
            )
        else:
            known *= n
    if infer is None:
        if known == numel:
            return tuple(shape)
    elif numel == known == 0:  # -1 could be anything
        raise RuntimeError(
            f"cannot reshape tensor of 0 elements into shape {_dims_text(shape)} because the "
            "unspecified dimension size -1 can be any value and is ambiguous"
        )
    elif known and numel % known == 0:
        return tuple(shape[:infer]) + (numel // known,) + tuple(shape[infer + 1:])
    raise RuntimeError(f"shape '{_dims_text(shape)}' is invalid for input of size {numel}")


def reshape(tensor, shape):
    """``tensor.reshape(shape)``: a view when the memory allows one, else a reshaped clone,
    which must not be a view (an in-place op on it would otherwise reach the input)."""
    data = tensor._data
    shape = sizes(shape, data.size)
    if data.flags.c_contiguous:
        return View.apply(tensor, shape)
    if _shares(data.reshape(shape), data):
        return ReshapeAlias.apply(tensor, shape)
    from .unary import Clone

    return ReshapeCopy.apply(Clone.apply(tensor), shape)


def wrap_dim(dim, ndim):
    """``dim`` (negatives count from the end) checked against ``ndim``, as PyTorch does; a
    0-d tensor takes 0 and -1."""
    span = max(ndim, 1)
    if not -span <= dim < span:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-span}, {span - 1}], "
            f"but got {dim})"
        )
    return dim % span


class Transpose(_View):
    node_name = "TransposeBackward0"

    @staticmethod
    def forward(ctx, a, d0, d1):
        ctx.dims = (d0, d1)
        if a.ndim == 0:  # transpose(0, -1) of a 0-d tensor: NumPy has no axis to swap
            return a[...]
        return array_module(a).swapaxes(a, d0, d1)

    @staticmethod
    def backward(ctx, g):
        return (g if g.ndim == 0 else dual.swapaxes(g, *ctx.dims)), None, None


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


class Flip(ArrayFunction):
    """``x.flip(dims)``: a copy, as in PyTorch (NumPy's flip is a view)."""

    node_name = "FlipBackward0"

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return array_module(a).flip(a, dims).copy()

    @staticmethod
    def backward(ctx, g):
        return dual.flip(g, ctx.dims), None


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


class _Views(_View):
    """Several views of one input made by ONE node with an output per view (PyTorch's split,
    split_with_sizes, unbind). The views must not be modified in place (``_several_views``,
    checked by ``Tensor._check_inplace``); the backward joins the outputs' gradients, zeros
    for those that got none."""

    _several_views = True

    @classmethod
    def apply(cls, *args):
        outs = super().apply(*args)
        kind = "several" if _state.enabled else None if _state.inference else "no_grad"
        for out in outs:
            if out._base is None:  # unrecorded: the fast path made plain tensors
                _as_view(out, args[0])
            out._several_views = kind
        return outs

    @classmethod
    def _joined(cls, ctx, grads):
        first = next((g for g in grads if g is not None), None)
        if isinstance(first, Tensor):  # the backward pass is recorded
            from ..creation import zeros

            parts = [g if g is not None else zeros(m[0], dtype=first.dtype, device=first.device)
                     for g, m in zip(grads, ctx._outputs_meta)]
            return cls._join.apply(ctx.dim, *parts)
        xp = array_module(first)
        parts = [g if g is not None else xp.zeros(m[0], first.dtype)
                 for g, m in zip(grads, ctx._outputs_meta)]
        return getattr(xp, cls._join_name)(parts, axis=ctx.dim)


class Split(_Views):
    """``split(n)`` and ``chunk``: pieces of ``sizes`` along ``dim``."""

    node_name = "SplitBackward0"
    _join, _join_name = Cat, "concatenate"

    @staticmethod
    def forward(ctx, a, dim, sizes):
        ctx.dim, lead = dim, (slice(None),) * dim
        ends = list(itertools.accumulate(sizes, initial=0))
        return tuple(a[lead + (slice(i, j), Ellipsis)] for i, j in zip(ends, ends[1:]))

    @classmethod
    def backward(cls, ctx, *grads):
        return cls._joined(ctx, grads), None, None


class SplitWithSizes(Split):
    node_name = "SplitWithSizesBackward0"


class Unbind(_Views):
    node_name = "UnbindBackward0"
    _join, _join_name = Stack, "stack"

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim, lead = dim, (slice(None),) * dim
        return tuple(a[lead + (i, Ellipsis)] for i in range(a.shape[dim]))

    @classmethod
    def backward(cls, ctx, *grads):
        return cls._joined(ctx, grads), None


def _promoted(arrays):
    """PyTorch's result dtype for joined tensors (NumPy would widen int + float32 to float64)."""
    target = result_type(*arrays).np
    return [a if a.dtype == target else a.astype(target) for a in arrays]
