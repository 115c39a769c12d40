"""Joins, splits and reshapes composed of the movement and indexing ops, as PyTorch composes
them (so the graph holds the nodes PyTorch's holds): ``atleast_1d/2d/3d``, ``hstack``,
``vstack``, ``dstack``, ``column_stack``, ``tensor_split``, ``hsplit``, ``vsplit``,
``dsplit``, ``narrow``, ``unflatten``, ``ravel``, ``tile``, ``broadcast_to``.

No op here has a derivative of its own: each result is a view (a slice, a reshape, an
unsqueeze) or a ``cat`` of views, whose backward is already the inverse movement.
"""

from __future__ import annotations

import operator

from .._tensor import Tensor
from .indexing import Slice
from .movement import StrictView, _dims_text, sizes, wrap_dim


def _slice(tensor, dim, start, stop):
    """``tensor`` from ``start`` to ``stop`` along ``dim`` (Python's slice rules): a view,
    recorded as a slice even when it takes everything, as PyTorch's narrow and split do."""
    return Slice.apply(tensor, (slice(None),) * dim + (slice(start, stop), Ellipsis))


def narrow(tensor, dim, start, length):
    if tensor.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    start, length = operator.index(start), operator.index(length)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    d = wrap_dim(dim, tensor.ndim)
    size = tensor.shape[d]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but "
                         f"got {start})")
    if start < 0:
        start += size
    if start > size - length:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return _slice(tensor, d, start, start + length)


def unflatten(tensor, dim, shape):
    """``dim`` split into the dims of ``shape`` (one of them may be -1): a view."""
    if tensor.ndim == 0:  # PyTorch wraps this error in its own words and a C++ traceback
        raise RuntimeError("unflatten got an unexpected error:\nDimension specified as 0 but "
                           "tensor has no dimensions")
    d = wrap_dim(dim, tensor.ndim)
    shape = tuple(map(operator.index, shape))
    if not shape:
        raise RuntimeError("unflatten: sizes must be non-empty")
    size = tensor.shape[d]
    if -1 not in shape:
        known = 1
        for n in shape:
            known *= n
        if known != size:
            raise RuntimeError(f"unflatten: Provided sizes {_dims_text(shape)} don't multiply up "
                               f"to the size of dim {d} ({size}) in the input tensor")
    try:
        shape = sizes(shape, size)
    except RuntimeError as exc:
        raise RuntimeError(f"unflatten got an unexpected error:\n{exc}") from None
    old = tuple(tensor.shape)
    return StrictView.apply(tensor, old[:d] + shape + old[d + 1:])


def ravel(tensor):
    """``contiguous().view(-1)``: a view, of a copy when the memory is not row by row."""
    return tensor.contiguous().view(-1)


def tile(tensor, dims):
    """``repeat`` with 1s in front of ``dims`` when it lists fewer dims than the tensor has."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    dims = tuple(dims)
    if len(dims) < tensor.ndim:
        dims = (1,) * (tensor.ndim - len(dims)) + dims
    return tensor.repeat(dims)


# -- at least n dims, then joined -------------------------------------------------------------


def _at_least(tensor, n):
    ndim = tensor.ndim
    if ndim >= n:
        return tensor
    if ndim == 0:
        return tensor.reshape((1,) * n)
    if n == 2 or ndim == 2:  # (k,) -> (1, k) for 2-D; (j, k) -> (j, k, 1) for 3-D
        return tensor.unsqueeze(0 if ndim == 1 else -1)
    return tensor.unsqueeze(0).unsqueeze(-1)  # (k,) -> (1, k, 1)


def atleast(tensors, n):
    """``atleast_nd(x)`` is ``x`` with at least ``n`` dims (``x`` itself when it has them);
    of several tensors or of a sequence, a tuple."""
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return _at_least(tensors[0], n)
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tensors[0]
    return tuple(_at_least(t, n) for t in tensors)


def _joined(tensors, n, name):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        "not Tensor")
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return [_at_least(t, n) for t in tensors]


def hstack(tensors):
    from .._functions import cat

    parts = _joined(tensors, 1, "hstack")
    return cat(parts, 0 if parts[0].ndim == 1 else 1)


def vstack(tensors):
    from .._functions import cat

    return cat(_joined(tensors, 2, "vstack"), 0)


def dstack(tensors):
    from .._functions import cat

    return cat(_joined(tensors, 3, "dstack"), 2)


def column_stack(tensors):
    """Vectors (and numbers) as columns, then ``hstack``."""
    parts = _joined(tensors, 0, "column_stack")
    return hstack([t.reshape(t.numel(), 1) if t.ndim <= 1 else t for t in parts])


# -- splits: one slice (a view, a node) per piece -----------------------------------------


def tensor_split(tensor, sections, dim):
    """Pieces of ``tensor`` along ``dim``: ``sections`` (an int) pieces of near-equal sizes
    (the first ones one larger), or the pieces between the indices of a sequence."""
    if tensor.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    d = wrap_dim(dim, tensor.ndim)
    if isinstance(sections, Tensor):
        if sections.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                               "zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {sections.ndim} dims")
        if sections.dtype.np.kind != "i" or sections.dtype.np.itemsize != 8:
            from .reduce import scalar_type_name

            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype "
                               f"of long, but got {scalar_type_name(sections.dtype.np)}")
        sections = int(sections) if sections.ndim == 0 else sections.tolist()
    if isinstance(sections, int) and not isinstance(sections, bool):
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        size = tensor.shape[d]
        small, extra = divmod(size, sections)
        bounds, start = [], 0
        for i in range(sections):
            stop = start + small + (i < extra)
            bounds.append((start, stop))
            start = stop
    elif isinstance(sections, (tuple, list)):
        indices = [operator.index(i) for i in sections]
        bounds = list(zip([0] + indices, indices + [None]))
    else:
        raise TypeError(
            "tensor_split() received an invalid combination of arguments - got "
            f"({type(sections).__name__}), but expected one of:\n"
            " * (tuple of ints indices, int dim = 0)\n"
            " * (Tensor tensor_indices_or_sections, int dim = 0)\n"
            " * (int sections, int dim = 0)\n")
    return tuple(_slice(tensor, d, start, stop) for start, stop in bounds)


def split_by(tensor, sections, name, dim, min_dims):
    """``hsplit``, ``vsplit``, ``dsplit``: ``tensor_split`` along ``dim``, into equal pieces
    when ``sections`` is an int."""
    if tensor.ndim < min_dims:
        raise RuntimeError(f"engine.{name} requires a tensor with at least {min_dims} dimension, "
                           f"but got a tensor with {tensor.ndim} dimensions!")
    if isinstance(sections, int):
        size = tensor.shape[dim]
        if sections == 0 or size % sections:
            raise RuntimeError(f"engine.{name} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {size} is not divisible by the split_size "
                               f"{sections}!")
    return tensor_split(tensor, sections, dim)
