"""Copies that put every element somewhere new, with their derivatives: ``roll`` (a cyclic
shift) and ``repeat`` (tiling). Both are copies in PyTorch, never views.

``y = roll(x, s, d)``: ``y[i + s] = x[i]`` (mod the size along ``d``), so ``x[i]`` reads its
gradient from ``g[i + s]``: the gradient is ``g`` rolled back, by ``-s``.

``y = x.repeat(r0, r1, ...)``: each ``x[i]`` appears once per tile, so its gradient is the sum
of ``g`` over the tiles. ``y`` along dim ``k`` is ``r_k`` tiles of ``n_k``: reshaping ``g`` to
``(r0, n0, r1, n1, ...)`` puts the tile number on an axis of its own, summed away.
"""

from __future__ import annotations

import operator

from ..autograd.function import ArrayFunction
from ..backend import array_module
from . import dual
from .movement import wrap_dim


class Roll(ArrayFunction):
    """``x.roll(shifts, dims)``; ``dims`` None rolls the flattened tensor by ``shifts[0]``
    and restores its shape (one node, as in PyTorch)."""

    node_name = "RollBackward0"

    @staticmethod
    def forward(ctx, a, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        if a.size == 0:
            return a.copy()
        if dims is None:  # NumPy's roll without an axis flattens, rolls, reshapes
            return array_module(a).roll(a, shifts[0])
        return array_module(a).roll(a, shifts, axis=dims)

    @staticmethod
    def backward(ctx, g):
        return dual.roll(g, tuple(-s for s in ctx.shifts), ctx.dims), None, None


def roll_args(shifts, dims, shape):
    """``roll``'s arguments checked as PyTorch checks them: (shifts, dims), both tuples, or
    dims None for the flattened roll. PyTorch rolls one dim after another and copies an
    empty tensor as it is, so an empty tensor's dims are never checked."""
    shifts = _ints(shifts, "roll", "shifts")
    if dims is None or (isinstance(dims, (tuple, list)) and not dims):
        dims = ()
    else:
        dims = _ints(dims, "roll", "dims", 2)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if not dims and len(shifts) == 1:
        return shifts, None
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    numel = 1
    for n in shape:
        numel *= n
    if numel == 0:
        return shifts, tuple(d % max(len(shape), 1) for d in dims)
    if not shape:  # roll reads the size of the dim, and a 0-d tensor has none
        raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
    return shifts, tuple(wrap_dim(d, len(shape)) for d in dims)


class Repeat(ArrayFunction):
    node_name = "RepeatBackward0"

    @staticmethod
    def forward(ctx, a, repeats):
        ctx.shape, ctx.repeats = a.shape, repeats
        return array_module(a).tile(a, repeats)  # new leading dims when len(repeats) > ndim

    @staticmethod
    def backward(ctx, g):
        shape, repeats = ctx.shape, ctx.repeats
        lead = len(repeats) - len(shape)
        if lead:  # the dims repeat added in front: every tile of x is summed
            g = dual.sum_dims(g, tuple(range(lead)))
        tiled, tiles = [], []  # a dim repeated once needs no axis of tiles (as PyTorch)
        for r, n in zip(repeats[lead:], shape):
            if r != 1:
                tiles.append(len(tiled))
                tiled.append(r)
            tiled.append(n)
        if not tiles:
            return g, None
        return dual.sum_dims(g.reshape(tuple(tiled)), tuple(tiles)), None


def repeat_args(repeats, shape):
    """``repeat``'s sizes, checked as PyTorch checks them."""
    if not repeats:
        raise TypeError('repeat() missing 1 required positional arguments: "repeats"')
    if len(repeats) == 1 and not isinstance(repeats[0], int):
        repeats = repeats[0]
    repeats = _ints(repeats, "repeat", "repeats")
    if len(repeats) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    lead = len(repeats) - len(shape)
    sizes = [r * n for r, n in zip(repeats, (1,) * lead + tuple(shape))]
    for n in sizes:
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: "
                               f"[{', '.join(map(str, sizes))}]")
    # a negative repeat of an empty dim passes (its size is 0 either way): count it as 0
    return tuple(max(r, 0) for r in repeats)


def _ints(values, name, arg, position=1):
    """An int or a sequence of ints as a tuple, with PyTorch's error for anything else (its
    argument parser words a bad element of roll's fixed-length lists differently)."""
    if isinstance(values, (tuple, list)):
        out = []
        for i, v in enumerate(values):
            try:
                out.append(operator.index(v))
            except TypeError:
                kind = type(v).__name__
                raise TypeError(
                    f"{name}(): argument '{arg}' failed to unpack the object at pos {i + 1} with "
                    f'error "type must be tuple of ints,but got {kind}"' if name == "roll" else
                    f"{name}(): argument '{arg}' (position {position}) must be tuple of ints, "
                    f"but found element of type {kind} at pos {i}") from None
        return tuple(out)
    try:
        return (operator.index(values),)
    except TypeError:
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be tuple of "
                        f"ints, not {type(values).__name__}") from None
