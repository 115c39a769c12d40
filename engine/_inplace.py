"""PyTorch's rules for in-place ops on tensors: which are refused (and its words for them),
which result dtypes may be written, and where a view's write lands in its base."""

from __future__ import annotations

import re
from numbers import Integral

import numpy

from . import backend

_LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
_VIEW_INPLACE = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation."
)
_SEVERAL_VIEWS = (
    " This view is the output of a function that returns multiple views. Such functions do "
    "not allow the output views to be modified inplace. You should replace the inplace "
    "operation by an out-of-place one."
)
_NO_GRAD_VIEW = (
    "A view was created in no_grad mode and is being modified inplace with grad mode enabled."
)
_NO_GRAD_VIEW_HINT = (
    " Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify "
    "your code by moving both the view and the inplace either both inside the no_grad block "
    "(if you don't want the inplace to be tracked) or both outside (if you want the inplace "
    "to be tracked)."
)


def _check_several_views(view, key=None):
    """PyTorch refuses a recorded in-place op on an output of a function returning several
    views (split, chunk, unbind), or on a view of one, and on one made under no_grad."""
    kind, node = view._several_views, view.grad_fn
    while kind is None and node is not None:  # a view of such an output is one too
        cls = getattr(node, "_forward_cls", None)
        if cls is None or not cls._is_view:
            return
        if getattr(cls, "_several_views", False):  # engine.ops.movement._Views
            kind = "several"
        edge = node._edges[0]
        node = edge[0] if edge is not None else None
    if kind is None:
        return
    # x[key] = v writes into the view x[basic part of key], made by that op
    sub = _setitem_view(view, key) if key is not None else None
    if view.grad_fn is not None:
        name = sub or re.sub(r"Backward\d*$", "", view.grad_fn.name())
        head = (f"Output {0 if sub else view._output_nr} of {name} is a view and is being "
                "modified inplace.")
    elif sub is not None and kind == "no_grad":
        head = (f"Output 0 of {sub} is a view of a view which was created in no_grad mode and "
                "is being modified inplace with grad mode enabled.")
    else:
        head = _NO_GRAD_VIEW
    raise RuntimeError(head + (_SEVERAL_VIEWS if kind == "several" else _NO_GRAD_VIEW_HINT))


def _setitem_view(view, key):
    """The name of the last view PyTorch makes for ``view[key] = v`` (the key's select,
    slice or unsqueeze: it writes into that), or None when it writes into ``view`` itself."""
    parts = key  # a tuple
    used = sum(1 for k in parts if k is not None and k is not Ellipsis and type(k) is not bool)
    name, dim = None, 0
    for k in parts:
        if k is Ellipsis:
            dim += view.ndim - used
        elif k is None or k is True:
            name = "Unsqueeze"
        else:
            if isinstance(k, slice):
                size = view.shape[dim] if dim < view.ndim else 0
                if k.start not in (None, 0) or k.step not in (None, 1) or (
                        k.stop is not None and k.stop < size):
                    name = "Slice"  # PyTorch skips a slice that takes the whole dim
            elif isinstance(k, Integral) or (  # an int, or a 0-d integer tensor
                    hasattr(k, "_data") and k.ndim == 0 and k._data.dtype.kind in "iu"):
                name = "Select"
            dim += 1
    return name


def _check_cast(result, target):
    """PyTorch's rule for writing an op's result into a tensor in place: not into a lower
    category (a float result into an integer tensor, a number into a bool one); within one,
    any width (uint8 -= int8 wraps, as in PyTorch)."""
    if result._category > target._category:
        raise RuntimeError(
            f"result type {result._legacy.replace('Tensor', '')} can't be cast to the desired "
            f"output type {target._legacy.replace('Tensor', '')}"
        )


def _region_of(base, view):
    """Index arrays that select ``view``'s elements out of ``base`` (a strided view of it)."""
    xp = backend.array_module(base)
    if not base.flags.c_contiguous:
        raise RuntimeError(
            "an in-place operation through a view of a non-contiguous tensor cannot be "
            "differentiated here; apply it to a copy (x = x.clone()) first"
        )
    itemsize = base.itemsize
    ptr = (lambda a: a.__array_interface__["data"][0]) if xp is numpy else (lambda a: a.data.ptr)
    offset = (ptr(view) - ptr(base)) // itemsize
    positions = xp.arange(base.size, dtype=xp.int64)[offset:]
    flat = xp.lib.stride_tricks.as_strided(
        positions, shape=view.shape, strides=[s // itemsize * 8 for s in view.strides]
    )
    return xp.unravel_index(flat.copy(), base.shape)
