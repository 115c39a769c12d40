"""Swap pieces of the engine for your own, temporarily: the course's "your engine".

    with engine.substitute(Mul=MyMul, topological_order=my_order):
        loss.backward()     # runs on your Mul and your topological order

A piece is an op class of ``engine.ops`` named as the engine names it (``Mul``, ``Add``,
``Sum``, ``Exp``, ``Mm``, ...) or one of the functions listed in ``FUNCTIONS``. Unknown
names raise an error listing the known ones, so a typo does not silently test nothing.
A replacement op is written like the engine's own: an ``autograd.ArrayFunction`` whose
forward works on raw arrays (a tensor-level forward would call the replaced op again).
"""

from __future__ import annotations

import contextlib

from ._tensor import Tensor
from .autograd import engine_loop
from .autograd.function import Function
from .ops import (
    binary,
    conversion,
    dual,
    einsum,
    extremes,
    gather,
    linalg,
    logexp,
    movement,
    pointwise,
    reduce,
    scan,
    selection,
    sorting,
    tiles,
    triangular,
    trig,
    unary,
)

_OP_MODULES = (unary, binary, reduce, extremes, movement, linalg, conversion, scan, tiles, gather,
               trig, logexp, pointwise, triangular, sorting, selection, einsum)
# sum_to undoes broadcasting: every gradient whose shape differs from its input's goes
# through it (engine_loop checks what a backward returns; Expand's backward uses it too).
FUNCTIONS = {"topological_order": engine_loop, "sum_to": dual}
# detach is the method Tensor.detach: t.detach() calls the replacement with t.
FUNCTIONS["detach"] = Tensor
# accumulate_grad(leaf, grad) is AccumulateGrad's rule: every gradient a leaf receives in a
# backward pass goes through it (see engine_loop.accumulate_grad).
FUNCTIONS["accumulate_grad"] = engine_loop


def pieces():
    """Name -> (module, attribute) for everything ``substitute`` can swap."""
    found = {}
    for module in _OP_MODULES:
        for name, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, Function) and not name.startswith("_"):
                found[name] = (module, name)
    for name, module in FUNCTIONS.items():
        found[name] = (module, name)
    return found


@contextlib.contextmanager
def substitute(**replacements):
    """Within the block, the engine uses ``replacements`` instead of its own pieces."""
    known = pieces()
    unknown = sorted(set(replacements) - set(known))
    if unknown:
        raise KeyError(
            f"engine.substitute: no piece named {', '.join(unknown)}; known pieces: "
            f"{', '.join(sorted(known))}"
        )
    saved = {}
    try:
        for name, new in replacements.items():
            module, attr = known[name]
            saved[name] = getattr(module, attr)
            setattr(module, attr, new)
        yield
    finally:
        for name, old in saved.items():
            module, attr = known[name]
            setattr(module, attr, old)
