"""Elementwise functions of two operands: a table of derivatives.

Operands may be tensors of any broadcastable shapes, or Python numbers. Each backward
returns gradients shaped like the *output*; the engine sums them back to each input's shape
(broadcasting is undone once, in the engine, never here).
"""

from __future__ import annotations

from numbers import Number

import numpy

from ..autograd.function import ArrayFunction
from ..backend import array_module
from ..dtypes import result_type
from . import dual


def promote(a, b):
    """Cast raw operands to PyTorch's result dtype (NumPy's rules differ for int+float)."""
    if type(a) is type(b) and a.dtype == b.dtype:
        return a, b
    # Python numbers that cannot change the array's dtype (the usual x * 2.0): nothing to do.
    if type(b) is float and a.dtype.kind == "f" or type(b) is int and a.dtype.kind in "fiu":
        return a, b
    if type(a) is float and b.dtype.kind == "f" or type(a) is int and b.dtype.kind in "fiu":
        return a, b
    target = result_type(a, b).np
    if not isinstance(a, Number) and a.dtype != target:
        a = a.astype(target)
    if not isinstance(b, Number) and b.dtype != target:
        b = b.astype(target)
    return a, b


class _Binary(ArrayFunction):
    _scalars_are_inputs = True  # x * 2 lists (None, 0) for the 2, as PyTorch does


class Add(_Binary):
    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(_Binary):
    node_name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Rsub(_Binary):
    """``c - x`` for a Python number ``c`` (the number is not an input, as in PyTorch)."""

    node_name = "RsubBackward1"
    _scalars_are_inputs = False

    @staticmethod
    def forward(ctx, a, c):
        a, c = promote(a, c)
        return c - a

    @staticmethod
    def backward(ctx, g):
        return -g, None


class Mul(_Binary):
    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, a, b):
        # Save each operand only if the *other* one needs a gradient.
        ctx.save_for_backward(
            a if ctx.needs_input_grad[1] else None, b if ctx.needs_input_grad[0] else None
        )
        a, b = promote(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g * b if ctx.needs_input_grad[0] else None,
                g * a if ctx.needs_input_grad[1] else None)


class Div(_Binary):
    node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        a, b = promote(a, b)
        # True division of integers gives the default float dtype, as in PyTorch.
        if not isinstance(a, Number) and a.dtype.kind in "biu":
            a = a.astype(numpy.float32)
        if not isinstance(b, Number) and b.dtype.kind in "biu":
            b = b.astype(numpy.float32)
        with dual.quiet():  # x / 0 is inf (or nan), silently, as in PyTorch
            return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        with dual.quiet():
            return (g / b if ctx.needs_input_grad[0] else None,
                    -g * a / (b * b) if ctx.needs_input_grad[1] else None)  # d/db a/b = -a/b²


class Pow(_Binary):
    """``x ** y`` with both operands tensors."""

    node_name = "PowBackward1"

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        with dual.quiet():
            y = a**b
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        with dual.quiet():
            ga = g * b * a ** (b - 1) if ctx.needs_input_grad[0] else None
            gb = None
            if ctx.needs_input_grad[1]:
                # d/db a^b = a^b log a, taken as 0 where a == 0 and b >= 0 (PyTorch's choice)
                gb = dual.where((a == 0) & (b >= 0), 0.0, g * y * dual.log(a))
        return ga, gb


class Maximum(_Binary):
    node_name = "MaximumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        a, b = promote(a, b)
        return array_module(a).maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        tie = (a == b) * 0.5  # a tie splits the gradient evenly
        return g * ((a > b) + tie), g * ((b > a) + tie)


class Minimum(_Binary):
    node_name = "MinimumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        a, b = promote(a, b)
        return array_module(a).minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        tie = (a == b) * 0.5
        return g * ((a < b) + tie), g * ((b < a) + tie)


class Where(_Binary):
    """``where(cond, a, b)``; ``cond`` is a raw bool array, never an input of the graph."""

    node_name = "WhereBackward0"

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        xp = array_module(cond)
        if isinstance(a, Number) and isinstance(b, Number):  # where(c, 1.0, 0.0)
            return xp.where(cond, a, b).astype(result_type(a, b).np)
        a, b = promote(a, b)
        return xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        cond = ctx.cond
        return (None,
                dual.where(cond, g, 0.0) if ctx.needs_input_grad[1] else None,
                dual.where(cond, 0.0, g) if ctx.needs_input_grad[2] else None)


class ClampTensor(_Binary):
    """``clamp(x, min, max)`` where a bound is a tensor."""

    node_name = "ClampBackward0"

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a, lo, hi)
        xp = array_module(a)
        y = a
        if lo is not None:
            y = xp.maximum(y, lo)
        if hi is not None:
            y = xp.minimum(y, hi)
        return y.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        inside = g
        if lo is not None:
            inside = inside * (x >= lo)
        if hi is not None:
            inside = inside * (x <= hi)
        return inside, None, None


def where(cond, a, b):
    """``engine.where(cond, a, b)``: ``a`` where ``cond`` holds, else ``b``."""
    from .._tensor import Tensor

    raw = cond._data if isinstance(cond, Tensor) else cond
    return Where.apply(raw, a, b)
