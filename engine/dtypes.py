"""Tensor dtypes with PyTorch's names, and PyTorch's type-promotion rules.

A ``dtype`` wraps a NumPy dtype. Promotion follows PyTorch, not NumPy: ``int + float``
gives the float type (NumPy gives float64), Python numbers do not widen a tensor
(``float32_tensor * 2.0`` stays float32), and a 0-d tensor only matters when it is of a
higher category (bool < integer < floating) than the dimensioned operands.
"""

from __future__ import annotations

import numpy

_BOOL, _INT, _FLOAT = 0, 1, 2


class dtype:
    __slots__ = ("name", "np", "is_floating_point", "itemsize", "_category", "_legacy")

    def __init__(self, name, np_dtype, category, legacy):
        self.name = name
        self.np = numpy.dtype(np_dtype)
        self.is_floating_point = category == _FLOAT
        self.itemsize = self.np.itemsize
        self._category = category
        self._legacy = legacy  # the old tensor-type name used in error messages

    def __repr__(self):
        return f"engine.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


float16 = dtype("float16", numpy.float16, _FLOAT, "HalfTensor")
float32 = dtype("float32", numpy.float32, _FLOAT, "FloatTensor")
float64 = dtype("float64", numpy.float64, _FLOAT, "DoubleTensor")
int8 = dtype("int8", numpy.int8, _INT, "CharTensor")
uint8 = dtype("uint8", numpy.uint8, _INT, "ByteTensor")
int16 = dtype("int16", numpy.int16, _INT, "ShortTensor")
int32 = dtype("int32", numpy.int32, _INT, "IntTensor")
int64 = dtype("int64", numpy.int64, _INT, "LongTensor")
bool = dtype("bool", numpy.bool_, _BOOL, "BoolTensor")  # noqa: A001 - PyTorch's name

half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001

_ALL = (float16, float32, float64, int8, uint8, int16, int32, int64, bool)
_FROM_NUMPY = {d.np: d for d in _ALL}


def _by_name(name):
    return globals()[name]


def from_numpy_dtype(np_dtype):
    try:
        return _FROM_NUMPY[np_dtype]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type {np_dtype}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def get_default_dtype():
    return float32


def promote_types(a, b):
    """PyTorch's ``promote_types``: the higher category wins; within one, the wider type."""
    if a is b:
        return a
    if a._category != b._category:
        return a if a._category > b._category else b
    if (a is uint8) != (b is uint8) and a.itemsize == b.itemsize:
        return int16  # uint8 with int8: the smallest type holding both ranges
    return a if a.itemsize >= b.itemsize else b


def _combine(higher, lower):
    # c10's combine_categories: a lower-priority group only matters when it is floating and
    # the higher-priority group is not (or the higher one is bool).
    if higher is None:
        return lower
    if lower is None or higher._category == _FLOAT:
        return higher
    if higher is bool or lower._category == _FLOAT:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(value):
    """The dtype a Python number takes as an operand (floats take the default dtype)."""
    if isinstance(value, (builtins_bool, numpy.bool_)):
        return bool
    if isinstance(value, (builtins_int, numpy.integer)):
        return int64
    return float32


def result_type(*operands):
    """The dtype of ``op(*operands)`` under PyTorch's rules (tensors and Python numbers)."""
    dim = zero = wrapped = None
    for op in operands:
        dt = getattr(op, "dtype", None)
        if dt is not None and not isinstance(dt, dtype):
            dt = from_numpy_dtype(dt)  # a raw array, as the ops' forwards see operands
        if isinstance(dt, dtype):
            if op.ndim:
                dim = dt if dim is None else promote_types(dim, dt)
            else:
                zero = dt if zero is None else promote_types(zero, dt)
        elif op is not None:
            dt = scalar_dtype(op)
            wrapped = dt if wrapped is None else promote_types(wrapped, dt)
    return _combine(_combine(dim, zero), wrapped)


import builtins as _builtins  # noqa: E402

builtins_bool, builtins_int = _builtins.bool, _builtins.int
