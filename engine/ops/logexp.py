"""Logarithms and exponentials in base 2 and 10, ``rsqrt``, ``logaddexp`` and ``xlogy``: a
table of derivatives, written as ``ops/unary.py`` and ``ops/binary.py`` are. Integer inputs
compute in the default float dtype, as in PyTorch.
"""

from __future__ import annotations

import math
from numbers import Number

from .._tensor import Tensor
from ..backend import array_module
from . import dual
from .binary import check_floating, promote
from .pointwise import _floats, _narrow, _Pointwise, _wide
from .unary import floating

LN2, LN10 = math.log(2), math.log(10)


class Log2(_Pointwise):
    node_name = "Log2Backward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with dual.quiet():  # -inf at 0, nan below, silently
            return array_module(a).log2(floating(a))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * LN2)  # d/dx log2 x = 1 / (x ln 2)


class Log10(_Pointwise):
    node_name = "Log10Backward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with dual.quiet():
            return array_module(a).log10(floating(a))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * LN10)


class Exp2(_Pointwise):
    node_name = "Exp2Backward0"

    @staticmethod
    def forward(ctx, a):
        with dual.quiet():
            y = array_module(a).exp2(floating(a))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y * LN2  # d/dx 2^x = 2^x ln 2


class Rsqrt(_Pointwise):
    node_name = "RsqrtBackward0"

    @staticmethod
    def forward(ctx, a):
        x = floating(a)
        with dual.quiet():  # inf at 0, nan below
            y = _narrow(1 / array_module(x).sqrt(_wide(x)), x.dtype)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return -0.5 * g * y**3  # d/dx x^(-1/2) = -1/2 x^(-3/2)


class Logaddexp(_Pointwise):
    """``log(e^a + e^b)``, computed without overflow."""

    node_name = "LogaddexpBackward0"

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        check_floating(a, b, "logaddexp")
        ctx.save_for_backward(a, b)
        with dual.quiet():
            return array_module(a).logaddexp(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        with dual.quiet():  # both -inf (or both inf): nan, as in PyTorch
            return (g / (1 + dual.exp(b - a)) if ctx.needs_input_grad[0] else None,
                    g / (1 + dual.exp(a - b)) if ctx.needs_input_grad[1] else None)


class Logaddexp2(_Pointwise):
    """``log2(2^a + 2^b)``."""

    node_name = "Logaddexp2Backward0"

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        check_floating(a, b, "logaddexp2")
        ctx.save_for_backward(a, b)
        with dual.quiet():
            return array_module(a).logaddexp2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        with dual.quiet():
            return (g / (1 + 2.0 ** (b - a)) if ctx.needs_input_grad[0] else None,
                    g / (1 + 2.0 ** (a - b)) if ctx.needs_input_grad[1] else None)


def _log(b, xp):
    """log of an array, or of a Python number as a Python float (which keeps the array
    operand's dtype, where a NumPy float64 would widen it)."""
    if isinstance(b, Number):
        return math.log(b) if b > 0 else (-math.inf if b == 0 else math.nan)
    return xp.log(b)


def xlogy_values(a, b):
    """Raw ``a * log(b)``: 0 where ``a`` is 0, nan where ``b`` is nan (PyTorch's xlogy)."""
    a, b = _floats(a, b)
    arr = b if isinstance(a, Number) else a
    xp, dt = array_module(arr), arr.dtype
    with dual.quiet():
        if isinstance(a, Number):
            y = a * xp.log(b) if a != 0 else xp.zeros_like(b)
        else:  # (half precision rounds log y, then the product, as PyTorch's kernel does)
            y = xp.where(a == 0, 0, a * _log(b, xp))
        if isinstance(b, Number):
            y = y + math.nan if b != b else y
        else:
            y = xp.where(xp.isnan(b), math.nan, y)
    return _narrow(y, dt)


def _xlogy(g, b):
    """``xlogy(g, b)`` on arrays, or recorded on tensors (the backward of xlogy's first
    operand: 0 where the incoming gradient is 0, even where log b is infinite)."""
    if isinstance(g, Tensor):
        if isinstance(b, Number):
            return XlogyScalarOther.apply(g, b)
        return Xlogy.apply(g, b)
    return xlogy_values(g, b)


class Xlogy(_Pointwise):
    """``x * log(y)``, 0 where x is 0 (unless y is nan)."""

    node_name = "XlogyBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xlogy_values(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:  # log y, taken as 0 where x == 0 and y <= 0 (PyTorch's)
            ga = dual.where((a == 0) & (b <= 0), 0.0, _xlogy(g, b))
        if ctx.needs_input_grad[1]:
            with dual.quiet():
                gb = g * a / b
        return ga, gb


class XlogyScalarSelf(_Pointwise):
    """``xlogy(c, y)`` for a Python number ``c``."""

    node_name = "XlogyBackward1"

    @staticmethod
    def forward(ctx, c, b):
        ctx.save_for_backward(b)
        ctx.c = c
        return xlogy_values(c, b)

    @staticmethod
    def backward(ctx, g):
        (b,) = ctx.saved_tensors
        with dual.quiet():
            return None, g * ctx.c / b


class XlogyScalarOther(_Pointwise):
    """``xlogy(x, c)`` for a Python number ``c``."""

    node_name = "XlogyBackward2"

    @staticmethod
    def forward(ctx, a, c):
        ctx.save_for_backward(None if c > 0 else a)  # c <= 0 or nan: masked where a == 0
        ctx.c = c
        return xlogy_values(a, c)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        ga = _xlogy(g, ctx.c)
        return (ga if a is None else dual.where(a == 0, 0.0, ga)), None
