"""Elementwise functions of one tensor: a table of derivatives.

Each forward works on raw arrays (``xp`` is NumPy or CuPy). Each backward is one formula in
operators and ``dual`` helpers: it runs on arrays, or on tensors when the backward pass is
recorded (higher order). ``g`` is the incoming ``grad_output``.
"""

from __future__ import annotations

import numpy

from ..autograd.function import ArrayFunction
from ..backend import array_module, constant
from ..dtypes import result_type
from . import dual


def floating(a):
    """Integer and bool inputs to a floating function compute in the default dtype."""
    if a.dtype.kind in "biu":
        return a.astype(numpy.float32)
    return a


class _Unary(ArrayFunction):
    """Base of the ops in this module."""


class Neg(_Unary):
    node_name = "NegBackward0"

    @staticmethod
    def forward(ctx, a):
        try:
            return -a
        except TypeError:  # NumPy refuses -bool too, in its own words
            if a.dtype.kind != "b":
                raise
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            ) from None

    @staticmethod
    def backward(ctx, g):
        return -g


class Exp(_Unary):
    node_name = "ExpBackward0"

    @staticmethod
    def forward(ctx, a):
        with dual.quiet():  # overflow to inf is a value, as in PyTorch
            y = array_module(a).exp(floating(a))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y  # d/dx e^x = e^x


class Log(_Unary):
    node_name = "LogBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with dual.quiet():  # log 0 = -inf, log of a negative = nan, silently
            return array_module(a).log(floating(a))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x  # d/dx log x = 1/x


class Log1p(_Unary):
    node_name = "Log1PBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with dual.quiet():  # log1p(-1) = -inf, below -1 nan, silently
            return array_module(a).log1p(floating(a))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x + 1)  # d/dx log(1 + x) = 1 / (1 + x)


class Expm1(_Unary):
    node_name = "Expm1Backward0"

    @staticmethod
    def forward(ctx, a):
        with dual.quiet():  # overflow to inf is a value
            y = array_module(a).expm1(floating(a))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (y + 1)  # d/dx (e^x - 1) = e^x = y + 1


class Sqrt(_Unary):
    node_name = "SqrtBackward0"

    @staticmethod
    def forward(ctx, a):
        with dual.quiet():
            y = array_module(a).sqrt(floating(a))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g / (2 * y)  # d/dx sqrt x = 1 / (2 sqrt x)


class Sin(_Unary):
    node_name = "SinBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).sin(floating(a))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * dual.cos(x)


class Cos(_Unary):
    node_name = "CosBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).cos(floating(a))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * dual.sin(x)


class Tanh(_Unary):
    node_name = "TanhBackward0"

    @staticmethod
    def forward(ctx, a):
        y = array_module(a).tanh(floating(a))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return dual.times_one_minus(g, y, y)  # d/dx tanh x = 1 - tanh² x


class Sigmoid(_Unary):
    node_name = "SigmoidBackward0"

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        a = floating(a)
        # Stable for large |a|: exp of a non-positive number never overflows.
        e = xp.exp(-xp.abs(a))
        y = xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return dual.times_one_minus(g * y, y)  # σ' = σ (1 - σ)


class Relu(_Unary):
    node_name = "ReluBackward0"

    @staticmethod
    def forward(ctx, a):
        y = array_module(a).maximum(a, constant(0, a)).astype(a.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * dual.positive(y)  # 1 where the output is positive, 0 elsewhere (0 at 0)


class Abs(_Unary):
    node_name = "AbsBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).abs(a)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * dual.sign(x)  # sign(0) = 0


class Sign(_Unary):
    node_name = "SignBackward0"

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        y = xp.sign(a)
        if y.dtype.kind == "f":  # PyTorch: sign(nan) is 0 (NumPy's is nan)
            # asarray: NumPy gives a 0-d result as a scalar, which cannot be changed in place
            y = xp.nan_to_num(xp.asarray(y), copy=False, nan=0.0)
        return y

    @staticmethod
    def backward(ctx, g):
        return g * 0


class _Step(_Unary):
    """A step function (floor, ceil, round): flat between its jumps, so its gradient is zero,
    as PyTorch defines it (zeros even where the incoming gradient is inf or nan). It is
    recorded all the same (``RoundBackward0``, ...)."""

    @staticmethod
    def backward(ctx, g):
        return dual.zeros_like(g)


class Floor(_Step):
    node_name = "FloorBackward0"

    @staticmethod
    def forward(ctx, a):
        return array_module(a).floor(a)


class Ceil(_Step):
    node_name = "CeilBackward0"

    @staticmethod
    def forward(ctx, a):
        return array_module(a).ceil(a)


class Round(_Step):
    node_name = "RoundBackward0"

    @staticmethod
    def forward(ctx, a):
        return array_module(a).round(a)


class Trunc(_Step):
    node_name = "TruncBackward0"

    @staticmethod
    def forward(ctx, a):
        if a.dtype.kind == "b":
            raise NotImplementedError("\"trunc_vml_cpu\" not implemented for 'Bool'")
        if a.dtype.kind in "iu":  # already whole: NumPy would give floats
            return a.copy()
        return array_module(a).trunc(a)


class Sgn(_Step):
    """``sgn``: ``sign`` for real tensors (bool ones too), 0 at nan as in PyTorch; its
    gradient is zero."""

    node_name = "SgnBackward0"

    @staticmethod
    def forward(ctx, a):
        if a.dtype.kind != "f":
            return a.copy() if a.dtype.kind == "b" else array_module(a).sign(a)
        xp = array_module(a)
        return xp.where(xp.isnan(a), a.dtype.type(0), xp.sign(a))


class Frac(_Unary):
    """``x - trunc(x)``: the fractional part, with ``x``'s sign."""

    node_name = "FracBackward0"

    @staticmethod
    def forward(ctx, a):
        if a.dtype.kind != "f":
            from ..dtypes import from_numpy_dtype

            raise NotImplementedError("\"frac_cpu\" not implemented for "
                                      f"'{from_numpy_dtype(a.dtype)._legacy[:-6]}'")
        with dual.quiet():  # frac(inf) = inf - inf = nan
            return a - array_module(a).trunc(a)

    @staticmethod
    def backward(ctx, g):
        return g


class NanToNum(_Unary):
    """nan, inf and -inf replaced by numbers (by default 0 and the dtype's extremes)."""

    node_name = "NanToNumBackward0"

    @staticmethod
    def forward(ctx, a, nan, posinf, neginf):
        if a.dtype.kind != "f":  # nothing to replace
            return a.copy()
        ctx.save_for_backward(a)
        with dual.quiet():  # a replacement beyond the dtype's range becomes inf, silently
            return array_module(a).nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * dual.isfinite(x), None, None, None  # 0 where a value was replaced


class Reciprocal(_Unary):
    node_name = "ReciprocalBackward0"

    @staticmethod
    def forward(ctx, a):
        with dual.quiet():
            y = 1 / floating(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return -g * y * y  # d/dx 1/x = -1/x²


class Clone(_Unary):
    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, g):
        return g


class PowScalar(_Unary):
    """``x ** c`` for a Python number ``c``."""

    node_name = "PowBackward0"

    @staticmethod
    def forward(ctx, a, exponent):
        if a.dtype.kind in "biu" and isinstance(exponent, int) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if a.dtype.kind in "biu" and isinstance(exponent, float):
            a = floating(a)
        elif a.dtype.kind == "b":  # bool ** 2 is int64 (NumPy: int8), bool ** True is bool
            target = result_type(a, exponent).np
            return (a.astype(target) ** exponent).astype(target, copy=False)  # no gradient
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        with dual.quiet():
            return a**exponent

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        c = ctx.exponent
        if c == 0:
            return g * 0, None
        if c == 2:  # the usual square: 2x as x + x (no Python number for NumPy to convert)
            return g * (x + x), None
        return g * c * x ** (c - 1), None  # d/dx x^c = c x^(c-1)


class RPowScalar(_Unary):
    """``c ** x`` for a Python number ``c``."""

    node_name = "PowBackward2"

    @staticmethod
    def forward(ctx, base, a):
        if type(base) is not float and a.dtype.kind in "biu":  # 2 ** int_tensor: integers
            from .binary import _int_pow

            target = result_type(a, base).np  # -3 ** uint8 wraps the base, as PyTorch
            return _int_pow(numpy.asarray(base).astype(target), a.astype(target, copy=False))
        with dual.quiet():
            x = floating(a)
            y = array_module(x).power(x.dtype.type(base), x)  # a NumPy scalar: any device
            # log 0 = -inf: 0 ** x for x < 0 has gradient inf * -inf = -inf, as PyTorch
            ctx.log_base = float(numpy.log(float(base)))
        ctx.save_for_backward(a if base == 0 else None, y)
        ctx.base = base
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        if ctx.base == 0:  # 0 ** x: PyTorch takes the gradient as 0 where x >= 0
            return None, dual.where(x >= 0, 0.0, g * y * ctx.log_base)
        return None, g * y * ctx.log_base  # d/dx c^x = c^x log c


class Clamp(_Unary):
    """``clamp(x, min, max)`` with Python-number bounds."""

    node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, a, lo, hi):
        if a.dtype.kind in "biu" and (type(lo) is float or type(hi) is float):
            a = floating(a)  # an int tensor clamped to float bounds gives floats, as PyTorch
        ctx.save_for_backward(a)
        ctx.bounds = (lo, hi)
        return array_module(a).clip(a, lo, hi).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        inside = True
        if lo is not None:
            inside = x >= lo
        if hi is not None:
            inside = (x <= hi) & inside if lo is not None else x <= hi
        return g * inside, None, None  # the gradient passes where x is within the bounds


class ClampMin(Clamp):
    node_name = "ClampMinBackward0"


class ClampMax(Clamp):
    node_name = "ClampMaxBackward0"
