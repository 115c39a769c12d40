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


def promote(a, b, check=None):
    """Cast raw operands to PyTorch's result dtype (NumPy's rules differ for int+float).
    ``check(a, b)``, if given, vets operands whose dtypes differ (off the hot paths)."""
    if type(a) is type(b) and a.dtype == b.dtype:
        return a, b
    # Python numbers that cannot change the array's dtype (the usual x * 2.0): nothing to do.
    if type(b) is float and a.dtype.kind == "f" or type(b) is int and a.dtype.kind in "fiu":
        return a, b
    if type(a) is float and b.dtype.kind == "f" or type(a) is int and b.dtype.kind in "fiu":
        return a, b
    if check is not None:  # only mixed dtypes get here (a bool operand among them)
        check(a, b)
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


def _is_bool(v):
    return type(v) is bool or getattr(v, "dtype", None) == numpy.bool_


def _check_sub(a, b):
    if _is_bool(a) and _is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if _is_bool(a) or _is_bool(b):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead.")


class Sub(_Binary):
    node_name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b, _check_sub)
        try:
            return a - b
        except TypeError:  # bool - bool (same dtypes skip the check): NumPy's words
            pass
        _check_sub(a, b)  # PyTorch's words instead
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
        a, c = promote(a, c, _check_sub)  # a bool tensor and a number never match
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
        if a.dtype.kind in "biu" and not result_type(a, b).is_floating_point:
            # True division of integers computes in the default float dtype, each operand
            # cast from its own value (promoting first would wrap uint8 / -3 to uint8 / 253).
            a = a.astype(numpy.float32)
            if not isinstance(b, Number):
                b = b.astype(numpy.float32)
        else:
            a, b = promote(a, b)
        with dual.quiet():  # x / 0 is inf (or nan), silently, as in PyTorch
            return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g / b if ctx.needs_input_grad[0] else None,
                -g * (a / b / b) if ctx.needs_input_grad[1] else None)  # d/db a/b = -a/b²
        # (-a/b² in PyTorch's order of operations: where the broadcast sum of it cancels,
        # another order's float32 rounding shows, e.g. 5e-6 relative for a (3, 1, 1) divisor.)


class Pow(_Binary):
    """``x ** y`` with both operands tensors."""

    node_name = "PowBackward1"

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        with dual.quiet():
            y = a**b if a.dtype.kind not in "iu" else _int_pow(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        # 0 where b == 0, as PyTorch: b a^(b-1) would be 0 * inf at a == 0
        ga = (dual.where(b == 0, 0.0, g * b * a ** (b - 1)) if ctx.needs_input_grad[0]
              else None)
        gb = None
        if ctx.needs_input_grad[1]:
            # d/db a^b = a^b log a, taken as 0 where a == 0 and b >= 0 (PyTorch's choice)
            gb = dual.where((a == 0) & (b >= 0), 0.0, g * y * dual.log(a))
        return ga, gb


def _int_pow(a, b):
    """Integer ``a ** b`` where ``b`` may be negative (NumPy refuses): PyTorch's values,
    1 / a^|b| truncated, so 0 unless a is 1 or -1 (and 0 ** -n is 0 too)."""
    if not (b < 0).any():
        return a**b
    xp = array_module(a)
    y = a ** xp.abs(b)
    return xp.where(b >= 0, y, xp.where(xp.abs(a) == 1, y, 0)).astype(y.dtype, copy=False)


class Remainder(_Binary):
    """``a % b`` with both operands tensors: Python's modulo (the divisor's sign)."""

    node_name = "RemainderBackward1"

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        ctx.save_for_backward(a, b)
        return remainder(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        # d/db (a - b floor(a/b)) = -floor(a/b)
        return g, (-g * floor_divide(a, b) if ctx.needs_input_grad[1] else None)


class RemainderScalar(_Binary):
    """``x % c`` for a Python number ``c`` (not an input, as in PyTorch)."""

    node_name = "RemainderBackward0"
    _scalars_are_inputs = False

    @staticmethod
    def forward(ctx, a, c):
        return remainder(*promote(a, c))

    @staticmethod
    def backward(ctx, g):
        return g, None


def rremainder(c, a):
    """``c % x`` for a Python number ``c``: no gradient (PyTorch records none it can run)."""
    return remainder(*promote(c, a))


def _check_divisor(a, b, name):
    kind = (a if hasattr(a, "dtype") else b).dtype.kind  # the (promoted) result's
    if kind == "b":
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Bool'")
    if kind in "iu" and (b == 0 if isinstance(b, Number) else not (b != 0).all()):
        raise RuntimeError("ZeroDivisionError")  # NumPy would give 0 and warn


def floor_divide(a, b):
    """Raw ``a // b`` with PyTorch's dtypes and errors (no gradient: integer-valued)."""
    if hasattr(a, "_data") or hasattr(b, "_data"):  # a recorded backward: tensors
        return (a / b).floor()
    a, b = promote(a, b)
    _check_divisor(a, b, "div_floor")
    with dual.quiet():  # x // 0.0 is inf or nan, silently
        return a // b


def remainder(a, b):
    """Raw ``a % b``: PyTorch's dtypes and errors; a zero result keeps ``a``'s sign, as
    PyTorch's fmod-based remainder does (NumPy gives it ``b``'s)."""
    _check_divisor(a, b, "remainder")
    with dual.quiet():
        r = a % b
    if r.dtype.kind == "f":
        r = array_module(r).where(r == 0, array_module(r).copysign(r, a), r)
    return r


class Fmod(_Binary):
    """``fmod(a, b)``: C's remainder, ``a - trunc(a / b) b`` (the dividend's sign)."""

    node_name = "FmodBackward1"

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        _check_divisor(a, b, "fmod")
        ctx.save_for_backward(*((a, b) if ctx.needs_input_grad[1] else (None, None)))
        with dual.quiet():  # fmod(x, 0.0) is nan, silently
            return array_module(a).fmod(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        # d/db (a - trunc(a/b) b) = -trunc(a/b)
        with dual.quiet():
            return g, (-g * dual.trunc(a / b) if ctx.needs_input_grad[1] else None)


class FmodScalar(_Binary):
    """``fmod(x, c)`` for a Python number ``c`` (not an input, as in PyTorch)."""

    node_name = "FmodBackward0"
    _scalars_are_inputs = False

    @staticmethod
    def forward(ctx, a, c):
        a, c = promote(a, c)
        _check_divisor(a, c, "fmod")
        with dual.quiet():
            return array_module(a).fmod(a, c)

    @staticmethod
    def backward(ctx, g):
        return g, None


def check_floating(a, b, name):
    """PyTorch's error for an op without integer kernels (hypot, logaddexp) given integer
    or bool operands (``a`` and ``b`` promoted: either one names the dtype)."""
    dt = (a if hasattr(a, "dtype") else b).dtype
    if dt.kind in "biu":
        from ..dtypes import from_numpy_dtype

        raise NotImplementedError(f"\"{name}_cpu\" not implemented for "
                                  f"'{from_numpy_dtype(dt)._legacy[:-6]}'")


class Maximum(_Binary):
    node_name = "MaximumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        a, b = promote(a, b)
        return array_module(a).maximum(b, a)  # NumPy keeps its 2nd operand on ties: PyTorch's a

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        tie = (a == b) * 0.5  # a tie splits the gradient evenly; a nan (unordered) gets all
        return g * ((a < b) * -1.0 + (1 - tie)), g * ((b < a) * -1.0 + (1 - tie))


class Minimum(_Binary):
    node_name = "MinimumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        a, b = promote(a, b)
        return array_module(a).minimum(b, a)  # as Maximum

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        tie = (a == b) * 0.5
        return g * ((a > b) * -1.0 + (1 - tie)), g * ((b > a) * -1.0 + (1 - tie))


class Fmax(_Binary):
    """``maximum`` that ignores nan: the other operand wins over a nan."""

    node_name = "FmaxBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        a, b = promote(a, b)
        return array_module(a).fmax(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        first = (a >= b) | dual.isnan(b)  # a tie goes to the first operand whole (PyTorch's)
        return dual.where(first, g, 0.0), dual.where(first, 0.0, g)


class Fmin(_Binary):
    """``minimum`` that ignores nan."""

    node_name = "FminBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        a, b = promote(a, b)
        return array_module(a).fmin(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        first = (a <= b) | dual.isnan(b)
        return dual.where(first, g, 0.0), dual.where(first, 0.0, g)


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
        target = result_type(a, lo, hi).np  # an int tensor with float bounds gives floats
        a, lo, hi = (v if v is None or isinstance(v, Number) else v.astype(target, copy=False)
                     for v in (a, lo, hi))
        xp = array_module(a)
        m = a if lo is None else xp.maximum(lo, a)  # min(max(a, lo), hi); ties keep a
        y = m if hi is None else xp.minimum(hi, m)
        ctx.save_for_backward(a, lo, m if hi is not None else None, hi)
        return y.astype(target, copy=False)

    @staticmethod
    def backward(ctx, g):
        # The chain rule through max then min, ties to ``a``: ``x`` gets g where
        # lo <= x <= hi, ``lo`` where x < lo <= hi, ``hi`` where max(x, lo) > hi.
        x, lo, m, hi = ctx.saved_tensors
        below = g if hi is None else g * (m <= hi)
        return (below if lo is None else below * (x >= lo),
                None if lo is None else below * (x < lo),
                None if hi is None else g * (m > hi))


def where(cond, a, b):
    """``engine.where(cond, a, b)``: ``a`` where ``cond`` holds, else ``b``."""
    from .._tensor import Tensor

    raw = cond._data if isinstance(cond, Tensor) else cond
    if raw.dtype.kind != "b" and raw.dtype != numpy.uint8:  # uint8: deprecated in PyTorch
        from ..dtypes import from_numpy_dtype

        raise RuntimeError("where expected condition to be a boolean tensor, but got a "
                           f"tensor with dtype {from_numpy_dtype(raw.dtype)._legacy[:-6]}")
    return Where.apply(raw, a, b)
