"""Trigonometric and hyperbolic functions, their inverses, and angle conversions: a table of
derivatives, written as ``ops/unary.py`` is (forwards on raw arrays, backwards in operators
and ``dual`` helpers). Integer and bool inputs compute in the default float dtype, as in
PyTorch; the backward formulas are PyTorch's, so its values at the domain edges (inf at
asin(±1), nan outside) come out the same.
"""

from __future__ import annotations

import math

import numpy

from ..autograd.function import ArrayFunction
from ..backend import array_module
from . import dual
from .binary import check_floating, promote
from .unary import floating


class _Trig(ArrayFunction):
    """Base of the ops in this module."""


class Tan(_Trig):
    node_name = "TanBackward0"

    @staticmethod
    def forward(ctx, a):
        y = array_module(a).tan(floating(a))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (1 + y * y)  # d/dx tan x = 1 + tan² x


class Sinh(_Trig):
    node_name = "SinhBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with dual.quiet():  # overflow to inf is a value
            return array_module(a).sinh(floating(a))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with dual.quiet():
            return g * dual.cosh(x)


class Cosh(_Trig):
    node_name = "CoshBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with dual.quiet():
            return array_module(a).cosh(floating(a))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with dual.quiet():
            return g * dual.sinh(x)


class Asin(_Trig):
    node_name = "AsinBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with dual.quiet():  # nan outside [-1, 1], silently
            return array_module(a).arcsin(floating(a))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with dual.quiet():  # inf at ±1
            return g / dual.sqrt(1 - x * x)  # d/dx asin x = 1 / sqrt(1 - x²)


class Acos(_Trig):
    node_name = "AcosBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with dual.quiet():
            return array_module(a).arccos(floating(a))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with dual.quiet():
            return -g / dual.sqrt(1 - x * x)  # d/dx acos x = -1 / sqrt(1 - x²)


class Atan(_Trig):
    node_name = "AtanBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).arctan(floating(a))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with dual.quiet():  # x² overflows to inf for huge x: the gradient is 0
            return g / (x * x + 1)  # d/dx atan x = 1 / (1 + x²)


class Asinh(_Trig):
    node_name = "AsinhBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).arcsinh(floating(a))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with dual.quiet():
            return g / dual.sqrt(x * x + 1)  # d/dx asinh x = 1 / sqrt(x² + 1)


class Acosh(_Trig):
    node_name = "AcoshBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with dual.quiet():  # nan below 1
            return array_module(a).arccosh(floating(a))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with dual.quiet():  # inf at 1, nan below
            return g / dual.sqrt(x * x - 1)  # d/dx acosh x = 1 / sqrt(x² - 1)


class Atanh(_Trig):
    node_name = "AtanhBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with dual.quiet():  # ±inf at ±1, nan outside
            return array_module(a).arctanh(floating(a))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with dual.quiet():
            return g / (1 - x * x)  # d/dx atanh x = 1 / (1 - x²)


class _Underived(_Trig):
    """The node PyTorch records for ``asinh_``, ``acosh_`` and ``atanh_``: it has no
    derivative for them in place, so a backward pass through it fails, in its words."""

    _inplace_of = None

    @staticmethod
    def backward(ctx, g):
        raise NotImplementedError(f"the derivative for 'inplace version of "
                                  f"{ctx._forward_cls._inplace_of}' is not implemented.")


class AsinhInplace(_Underived):
    node_name, _inplace_of = "AsinhBackward1", "asinh"

    @staticmethod
    def forward(ctx, a):
        return array_module(a).arcsinh(floating(a))


class AcoshInplace(_Underived):
    node_name, _inplace_of = "AcoshBackward1", "acosh"

    @staticmethod
    def forward(ctx, a):
        with dual.quiet():
            return array_module(a).arccosh(floating(a))


class AtanhInplace(_Underived):
    node_name, _inplace_of = "AtanhBackward1", "atanh"

    @staticmethod
    def forward(ctx, a):
        with dual.quiet():
            return array_module(a).arctanh(floating(a))


class Sinc(_Trig):
    """``sin(pi x) / (pi x)``, 1 at 0 (the normalized sinc, as PyTorch and NumPy define it)."""

    node_name = "SincBackward0"

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        x = floating(a)
        ctx.save_for_backward(x)
        w = x.astype(numpy.float32) if x.dtype == numpy.float16 else x  # half: in float
        with dual.quiet():
            px = w * math.pi
            return xp.where(w == 0, w.dtype.type(1), xp.sin(px) / px).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        # (pi x cos(pi x) - sin(pi x)) / (pi x²), taken as 0 at 0, as PyTorch does
        with dual.quiet():
            px = x * math.pi
            out = g * (px * dual.cos(px) - dual.sin(px)) / (x * x * math.pi)
            return dual.where(x == 0, 0.0, out)


class Deg2Rad(_Trig):
    node_name = "Deg2RadBackward0"

    @staticmethod
    def forward(ctx, a):
        return floating(a) * (math.pi / 180)

    @staticmethod
    def backward(ctx, g):
        return g * (math.pi / 180)


class Rad2Deg(_Trig):
    node_name = "Rad2DegBackward0"

    @staticmethod
    def forward(ctx, a):
        return floating(a) * (180 / math.pi)

    @staticmethod
    def backward(ctx, g):
        return g * (180 / math.pi)


def _floating_pair(a, b):
    """Both operands in PyTorch's result dtype, the default float dtype for integers."""
    a, b = promote(a, b)
    return floating(a), floating(b)


class Atan2(_Trig):
    """``atan2(y, x)``: the angle of the point (x, y)."""

    node_name = "Atan2Backward0"

    @staticmethod
    def forward(ctx, a, b):
        a, b = _floating_pair(a, b)
        ctx.save_for_backward(a, b)
        return array_module(a).arctan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        with dual.quiet():  # 0 where a² + b² is 0 (at the origin, or underflowing to it)
            d = a * a + b * b
            recip = dual.where(d == 0, 0.0, 1 / d)
            return (g * b * recip if ctx.needs_input_grad[0] else None,
                    g * -a * recip if ctx.needs_input_grad[1] else None)


class Hypot(_Trig):
    node_name = "HypotBackward0"

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        check_floating(a, b, "hypot")
        y = array_module(a).hypot(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        with dual.quiet():  # at (0, 0): nan, as in PyTorch
            return (g * a / y if ctx.needs_input_grad[0] else None,
                    g * b / y if ctx.needs_input_grad[1] else None)
