"""``einsum``: sums of products named by subscripts, with its derivative.

``y = einsum("ij,jk->ik", a, b)`` is linear in each operand, so the gradient of one operand
is the einsum of ``g`` with the others, onto that operand's subscripts:
``grad_a = einsum("ik,jk->ij", g, b)``. Two cases need more than that, and are settled
before the op sees its operands, with the ops PyTorch uses for them:

* a subscript repeated within one operand (``"ii->i"``) reads a diagonal: that operand is
  replaced by its ``diagonal`` (a view, whose backward writes on the diagonal);
* a dim of size 1 against a larger size elsewhere is broadcast: ``expand`` (whose backward
  sums).

A subscript of one operand that appears nowhere else (nor in the output) is summed over that
operand alone: its gradient is constant along that dim, ``g``'s einsum expanded to it.

One node records the whole einsum; PyTorch records the permutes, views and ``bmm`` it
computes one with, so the graphs differ (the values and gradients do not).
"""

from __future__ import annotations

import string

from .._tensor import Tensor
from ..autograd.function import ArrayFunction
from ..backend import array_module, numpy_module
from . import dual

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # PyTorch's order for the output


def einsum_of(equation, *operands):
    """``einsum`` on raw arrays, or recorded on tensors (the backward when recorded)."""
    if any(isinstance(op, Tensor) for op in operands):
        return Einsum.apply(equation, *operands)
    xp = array_module(operands[0])
    if xp is numpy_module:  # NumPy contracts pairwise through BLAS only when asked to (and
        # gives a 0-d result as a scalar)
        return xp.asarray(xp.einsum(equation, *operands, optimize=len(operands) > 2))
    return xp.einsum(equation, *operands)


class Einsum(ArrayFunction):
    """``einsum(equation, *operands)``: an equation with explicit output subscripts, no
    ellipsis, no subscript repeated within an operand, and sizes that agree (see
    ``einsum``, which brings any equation to this form)."""

    node_name = "EinsumBackward0"  # no PyTorch node: its einsum is composed of other ops

    @staticmethod
    def forward(ctx, equation, *arrays):
        ctx.equation = equation
        ctx.shapes = [a.shape for a in arrays]
        ctx.save_for_backward(*arrays)
        return einsum_of(equation, *arrays)

    @staticmethod
    def backward(ctx, g):
        operands = ctx.saved_tensors
        lhs, out = ctx.equation.split("->")
        subs = lhs.split(",")
        sizes = {c: n for s, shape in zip(subs, ctx.shapes) for c, n in zip(s, shape)}
        grads = [None]
        for i, s in enumerate(subs):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            others = [subs[j] for j in range(len(subs)) if j != i]
            seen = set(out).union(*others)
            kept = "".join(c for c in s if c in seen)
            terms = ",".join([out] + others)
            grad = einsum_of(f"{terms}->{kept}", g, *[operands[j] for j in range(len(subs))
                                                     if j != i])
            if kept != s:  # summed over this operand alone: constant along those dims
                grad = dual.expand(grad.reshape(tuple(sizes[c] if c in seen else 1 for c in s)),
                                   tuple(sizes[c] for c in s))
            grads.append(grad)
        return tuple(grads)


def _parse(equation, operands):
    """Each operand's subscripts and the output's, with the ellipsis spelled out as letters
    the equation does not use (right-aligned: its dims broadcast)."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    subs = lhs.split(",")
    if len(subs) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           "equation")
    if len(subs) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")
    for i, c in enumerate(equation):
        if c not in _LETTERS and c not in ".,->":
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation "
                               "string, subscripts must be in [a-zA-Z]")
    free = [c for c in _LETTERS if c not in equation]
    lengths = []
    for i, (s, op) in enumerate(zip(subs, operands)):
        named = len(s.replace("...", ""))
        if "..." not in s and named != op.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) "
                               f"does not match the number of dimensions ({op.ndim}) for "
                               f"operand {i} and no ellipsis was given")
        lengths.append(op.ndim - named if "..." in s else 0)
    width = max(lengths)
    dots = "".join(free[:width])
    subs = [s.replace("...", dots[width - n:]) for s, n in zip(subs, lengths)]
    if arrow:
        out = rhs.replace("...", dots)
        for c in out:
            if out.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the "
                                   "output")
            if not any(c in s for s in subs):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   "equation for any input operand")
    else:  # the ellipsis, then the subscripts seen once, in PyTorch's order (A-Z, a-z)
        counts = "".join(subs)
        out = dots + "".join(c for c in _LETTERS if c not in dots and counts.count(c) == 1)
    return subs, out


def _without_repeats(tensor, s):
    """A subscript repeated within an operand reads its diagonal: that diagonal (a view, as
    a last dim) with the subscript once, until none repeats."""
    while True:
        repeated = next((c for c in s if s.count(c) > 1), None)
        if repeated is None:
            return tensor, s
        d1 = s.index(repeated)
        d2 = s.index(repeated, d1 + 1)
        tensor = tensor.diagonal(0, d1, d2)
        s = "".join(c for k, c in enumerate(s) if k not in (d1, d2)) + repeated


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (tuple, list)):
        operands = tuple(operands[0])
    subs, out = _parse(equation, operands)
    dtype = operands[0].dtype if operands else None
    for op in operands[1:]:
        if op.dtype != dtype:
            from .linalg import _type_name

            raise RuntimeError(f"expected scalar type {_type_name(operands[0]._data)} but found "
                               f"{_type_name(op._data)}")
    sizes = {}
    for i, (s, op) in enumerate(zip(subs, operands)):
        for c, n in zip(s, op.shape):
            seen = sizes.get(c, 1)
            if n != seen and n != 1 and seen != 1:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which "
                                   f"does not broadcast with previously seen size {seen}")
            sizes[c] = max(seen, n) if n and seen else 0
    tensors = []
    for k, (s, op) in enumerate(zip(subs, operands)):
        target = tuple(sizes[c] for c in s)
        if tuple(op.shape) != target:
            op = op.expand(target)
        op, subs[k] = _without_repeats(op, s)
        tensors.append(op)
    return Einsum.apply(f"{','.join(subs)}->{out}", *tensors)
