"""More element-wise functions: ``copysign`` and the ops of three operands (``lerp``,
``addcmul``, ``addcdiv``, ``masked_fill``): a table of derivatives, written as
``ops/binary.py`` is. Operands broadcast; the engine sums each gradient back to its input's
shape. Half-precision inputs compute in float32 and round once, as PyTorch's CPU kernels do.
"""

from __future__ import annotations

import math
from numbers import Number

import numpy

from .._tensor import _CPP_NAMES, Tensor
from ..autograd.function import ArrayFunction
from ..backend import array_module
from ..dtypes import result_type
from . import dual
from .binary import promote
from .unary import floating


def _wide(x):
    """Half precision computes in float32 (PyTorch's "opmath" type); rounded back by
    ``_narrow``."""
    return x.astype(numpy.float32) if getattr(x, "dtype", None) == numpy.float16 else x


def _narrow(y, dt):
    return y.astype(dt, copy=False) if y.dtype != dt else y


def _floats(a, b):
    """``a`` and ``b`` in PyTorch's result dtype, the default float dtype for integers."""
    a, b = promote(a, b)
    return (a if isinstance(a, Number) else floating(a)), (b if isinstance(b, Number)
                                                           else floating(b))


class _Pointwise(ArrayFunction):
    """Base of the ops in this module and ``ops.logexp``. A Python-number operand
    (``x.copysign(-1)``, a weight, a fill value) is not an input of the graph, as in
    PyTorch."""


class Copysign(_Pointwise):
    """``|a|`` with the sign of ``b``; ``b`` gets a zero gradient (PyTorch's, not None)."""

    node_name = "CopysignBackward0"

    @staticmethod
    def forward(ctx, a, b):
        a, b = _floats(a, b)
        y = array_module(a).copysign(a, b)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        with dual.quiet():  # ±1, taken as 0 where a == 0
            ga = g * dual.where(a == 0, 0.0, y / a) if ctx.needs_input_grad[0] else None
        return ga, (dual.zeros_like(g) if ctx.needs_input_grad[1] else None)


class CopysignScalar(_Pointwise):
    """``copysign(x, c)`` for a Python number ``c``."""

    node_name = "CopysignBackward1"

    @staticmethod
    def forward(ctx, a, c):
        a, c = _floats(a, c)
        y = array_module(a).copysign(a, c)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        with dual.quiet():
            return g * dual.where(a == 0, 0.0, y / a), None


# -- three operands ----------------------------------------------------------------------


def _lerp_values(a, b, w):
    """PyTorch's two-sided formula: exact at both ends (w = 0 gives a, w = 1 gives b)."""
    dt = a.dtype
    a, b, w = _wide(a), _wide(b), _wide(w)
    diff = b - a
    if isinstance(w, Number):
        y = a + w * diff if abs(w) < 0.5 else b - diff * (1 - w)
    else:
        y = array_module(a).where(abs(w) < 0.5, a + w * diff, b - diff * (1 - w))
    return _narrow(y, dt)


class LerpScalar(_Pointwise):
    """``lerp(a, b, w)`` for a Python-number weight ``w``: ``a + w (b - a)``."""

    node_name = "LerpBackward0"

    @staticmethod
    def forward(ctx, a, b, w):
        ctx.w = w
        return _lerp_values(a, b, w)

    @staticmethod
    def backward(ctx, g):
        w = ctx.w
        return (g * (1 - float(w)) if ctx.needs_input_grad[0] else None,
                g * w if ctx.needs_input_grad[1] else None, None)


class Lerp(_Pointwise):
    """``lerp(a, b, w)`` for a tensor weight ``w``."""

    node_name = "LerpBackward1"

    @staticmethod
    def forward(ctx, a, b, w):
        w = w.astype(a.dtype, copy=False)  # a 0-d weight of another float dtype is cast
        ctx.save_for_backward(a if ctx.needs_input_grad[2] else None,
                              b if ctx.needs_input_grad[2] else None, w)
        return _lerp_values(a, b, w)

    @staticmethod
    def backward(ctx, g):
        a, b, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        return (g * (1 - w) if needs[0] else None, g * w if needs[1] else None,
                g * (b - a) if needs[2] else None)


def lerp(a, b, w):
    """``engine.lerp``: PyTorch's dtype checks, then the op for the kind of weight."""
    for name, t in (("end", b), ("weight", w)):
        if isinstance(t, Tensor) and t.dtype != a.dtype and not (name == "weight" and
                                                                 t.ndim == 0):
            raise RuntimeError(f"expected dtype {_CPP_NAMES[a.dtype.name]} for `{name}` but "
                               f"got dtype {_CPP_NAMES[t.dtype.name]}")
    if not a.is_floating_point():
        kernel = "tensor" if isinstance(w, Tensor) else "scalar"
        raise NotImplementedError(f"\"lerp_kernel_{kernel}\" not implemented for "
                                  f"'{a.dtype._legacy[:-6]}'")
    if isinstance(w, Tensor):
        return Lerp.apply(a, b, w)
    return LerpScalar.apply(a, b, w)


def _cast3(a, b, c):
    """The three operands in their result dtype (PyTorch's promotion)."""
    target = result_type(a, b, c).np
    return tuple(v.astype(target, copy=False) for v in (a, b, c))


def _scalar_for(value, dt):
    """``value`` as the result dtype holds it: a float truncates for integers, a negative
    integer wraps for unsigned ones."""
    if dt.kind in "iu" and not isinstance(value, int):
        value = int(value)
    if dt.kind == "u" and value < 0:
        value %= 1 << (8 * dt.itemsize)
    return value


class Addcmul(_Pointwise):
    """``a + value * b * c``."""

    node_name = "AddcmulBackward0"

    @staticmethod
    def forward(ctx, a, b, c, value):
        a, b, c = _cast3(a, b, c)
        if a.dtype.kind == "b":
            raise NotImplementedError("\"addcmul_cpu_out\" not implemented for 'Bool'")
        ctx.save_for_backward(b if ctx.needs_input_grad[2] else None,
                              c if ctx.needs_input_grad[1] else None)
        ctx.value = value
        v = _scalar_for(value, a.dtype)
        return _narrow(_wide(a) + v * _wide(b) * _wide(c), a.dtype)

    @staticmethod
    def backward(ctx, g):
        b, c = ctx.saved_tensors
        v, needs = ctx.value, ctx.needs_input_grad
        return (g if needs[0] else None, g * (c * v) if needs[1] else None,
                g * (b * v) if needs[2] else None, None)


_ADDCDIV_INTEGERS = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
    "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can "
    "be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
    "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
    "addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), "
    "for all dtypes."
)  # PyTorch's words, its double space and its module name included


class Addcdiv(_Pointwise):
    """``a + value * b / c``."""

    node_name = "AddcdivBackward0"

    @staticmethod
    def forward(ctx, a, b, c, value):
        if b.dtype.kind in "biu" and c.dtype.kind in "biu":
            raise RuntimeError(_ADDCDIV_INTEGERS)
        a, b, c = _cast3(a, b, c)
        ctx.save_for_backward(b if ctx.needs_input_grad[2] else None, c)
        ctx.value = value
        with dual.quiet():  # division by zero is inf or nan
            return _narrow(_wide(a) + value * _wide(b) / _wide(c), a.dtype)

    @staticmethod
    def backward(ctx, g):
        b, c = ctx.saved_tensors
        v, needs = ctx.value, ctx.needs_input_grad
        with dual.quiet():
            return (g if needs[0] else None, g * (v / c) if needs[1] else None,
                    -g * (v * b / (c * c)) if needs[2] else None, None)


# -- masked_fill -----------------------------------------------------------------------

_FILL_TYPES = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int",
               "int64": "int64_t", "float16": "c10::Half", "float32": "float",
               "float64": "double"}


def fill_value(value, dt):
    """A Python number as a scalar of NumPy dtype ``dt``, with PyTorch's overflow check:
    within the dtype's range (inf and nan pass for floats); an unsigned dtype also takes a
    negative integer down to minus its maximum, which wraps."""
    if dt.kind == "b":
        return numpy.bool_(bool(value))
    value = int(value) if isinstance(value, bool) else value
    if dt.kind == "f":
        info = numpy.finfo(dt)
        bad = math.isfinite(value) and not float(info.min) <= value <= float(info.max)
    else:
        info = numpy.iinfo(dt)
        lo, hi = int(info.min), int(info.max)
        if isinstance(value, int) and dt.kind == "u":
            lo = -hi
        bad = value != value or not lo <= value <= hi
    if bad:
        raise RuntimeError(f"value cannot be converted to type {_FILL_TYPES[dt.name]} without "
                           "overflow")
    if isinstance(value, int) and value < 0 and dt.kind == "u":
        value += int(info.max) + 1
    return dt.type(value)


class MaskedFill(_Pointwise):
    """``x`` with ``value`` (a Python number) where ``mask`` (a raw bool array, never an input
    of the graph) is True."""

    node_name = "MaskedFillBackward0"

    @staticmethod
    def forward(ctx, mask, a, value):  # the mask first: PyTorch broadcasts it with x
        ctx.mask = mask
        return array_module(a).where(mask, fill_value(value, a.dtype), a)

    @staticmethod
    def backward(ctx, g):
        return None, dual.where(ctx.mask, 0.0, g), None  # no gradient where filled


class MaskedFillTensor(_Pointwise):
    """``masked_fill`` with a 0-d tensor ``value``: it gets the gradient of every element it
    filled."""

    node_name = "MaskedFillBackward1"

    @staticmethod
    def forward(ctx, mask, a, value):
        ctx.mask = mask
        return array_module(a).where(mask, value.astype(a.dtype), a)

    @staticmethod
    def backward(ctx, g):
        mask = ctx.mask
        return (None, dual.where(mask, 0.0, g) if ctx.needs_input_grad[1] else None,
                dual.where(mask, g, 0.0) if ctx.needs_input_grad[2] else None)


def masked_fill(x, mask, value):
    """``x.masked_fill(mask, value)``: PyTorch's checks of the mask and the value."""
    if not isinstance(mask, Tensor):
        raise TypeError(f"masked_fill(): argument 'mask' (position 1) must be Tensor, not "
                        f"{type(mask).__name__}")
    raw = mask._data
    if raw.dtype.kind != "b":
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_CPP_NAMES[raw.dtype.name]}")
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value.ndim} dimension(s).")
        return MaskedFillTensor.apply(raw, x, value)
    if not isinstance(value, Number):
        raise TypeError(f"masked_fill(): argument 'value' (position 2) must be Number, not "
                        f"{type(value).__name__}")
    return MaskedFill.apply(raw, x, value)

