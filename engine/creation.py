"""Factory functions: ``tensor``, ``zeros``, ``ones``, ``arange``, ``randn``, ...

PyTorch's defaults: Python floats become float32, ints int64, bools bool; arrays keep their
dtype. ``requires_grad=True`` makes a leaf that requires grad even inside ``no_grad``.
"""

from __future__ import annotations

from numbers import Number

import numpy

from . import backend
from . import random as _random
from ._tensor import Tensor, make_tensor
from .dtypes import dtype as _dtype
from .dtypes import float32, from_numpy_dtype, int64


def _leaf(array, requires_grad):
    t = make_tensor(array)
    if requires_grad:
        if array.dtype.kind not in "fc":
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients"
            )
        t._requires_grad = True
    return t


def _device(device):
    return backend.CPU if device is None else backend.device(device)


def _np_dtype(dtype, default=float32):
    if dtype is None:
        return default.np
    if isinstance(dtype, _dtype):
        return dtype.np
    return from_numpy_dtype(numpy.dtype(dtype)).np


def _contains_tensor(data):
    if isinstance(data, Tensor):
        return True
    if isinstance(data, (list, tuple)):
        return any(_contains_tensor(d) for d in data)
    return False


def _unwrap(data):
    if isinstance(data, Tensor):
        return backend.to_device(data._data, backend.CPU)
    if isinstance(data, (list, tuple)):
        return [_unwrap(d) for d in data]
    return data


def _ragged(data, dim=0):
    """PyTorch's error for nested lists of uneven lengths (NumPy's says "inhomogeneous")."""
    items = [d for d in data if isinstance(d, (list, tuple))
             or isinstance(d, numpy.ndarray) and d.ndim]
    if items and len(items) < len(data):
        raise TypeError("not a sequence")
    for d in items:
        if len(d) != len(items[0]):
            raise ValueError(f"expected sequence of length {len(items[0])} at dim {dim + 1} "
                             f"(got {len(d)})")
    for d in items:
        _ragged(d, dim + 1)


def _infer(data, dtype_given=False):
    """The NumPy array for nested Python data, with PyTorch's default dtypes. With a dtype
    given, Python floats stay doubles here, so the cast to that dtype rounds them once (a
    float32 detour would lose float64's digits: tensor([0.3], dtype=float64) was 0.3000000119)."""
    if data is None:
        raise RuntimeError("Could not infer dtype of NoneType")
    try:
        arr = numpy.array(data)
    except ValueError:
        if isinstance(data, (list, tuple)):
            _ragged(data)
        raise
    kind = arr.dtype.kind
    # An int past int64: NumPy widens (uint64, float64, object), PyTorch fails. Only an array
    # holding a value that large can come from one, so a list of floats is not scanned.
    if kind in "uOf" and not _has_array(data) and (
            kind == "O" or (arr.size and numpy.abs(arr).max() >= 2.0**63)):
        if any(type(v) is int and not -(2**63) <= v < 2**63 for v in _flat(data)):
            raise ValueError("Overflow when unpacking long long")
    if kind == "f" and not backend.is_array(data) and not isinstance(data, numpy.generic):
        if not (isinstance(data, Tensor) or _has_array(data) or dtype_given):
            arr = arr.astype(numpy.float32)
    elif kind in "iu" and not backend.is_array(data) and not _has_array(data):
        arr = arr.astype(numpy.int64)
    elif kind not in "fiub":
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    return arr


def _flat(data):
    if isinstance(data, (list, tuple)):
        for d in data:
            yield from _flat(d)
    else:
        yield data


def _has_array(data):
    if isinstance(data, (numpy.ndarray, numpy.generic)):
        return True
    if isinstance(data, (list, tuple)) and data:
        return _has_array(data[0])
    return False


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new leaf tensor holding a copy of ``data`` (on ``device``; by default where ``data``
    is: a tensor's or a CuPy array's device, else the CPU)."""
    if isinstance(data, Tensor):
        arr = data._data.copy()
    elif backend.is_array(data):
        arr = data.copy()
    else:
        arr = _infer(_unwrap(data) if _contains_tensor(data) else data, dtype is not None)
    if dtype is not None:
        with numpy.errstate(over="ignore"):  # 1e5 as float16 is inf, silently, as in PyTorch
            arr = arr.astype(_np_dtype(dtype))
    if device is not None:
        arr = backend.to_device(arr, backend.device(device))
    return _leaf(arr, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, sharing its memory when it can (a tensor, a NumPy or a CuPy
    array already of the asked dtype and device)."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    if isinstance(data, numpy.ndarray) and (dtype is None or _np_dtype(dtype) == data.dtype):
        return from_numpy(data) if device is None else tensor(data, device=device)
    if (backend.is_array(data) and dtype is None
            and (device is None or backend.device(device) == backend.device_of(data))):
        return make_tensor(data)  # a CuPy array: shared, as torch.as_tensor shares it
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array):
    """A tensor sharing memory with ``array`` (writes to one show in the other)."""
    from_numpy_dtype(array.dtype)  # raises PyTorch's error for unsupported dtypes
    return make_tensor(array)


def _sizes(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def _nonnegative(size):
    if any(n < 0 for n in size):  # PyTorch's error, not NumPy's ValueError
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: "
                           f"[{', '.join(map(str, size))}]")
    return size


def _filled(fill, size, dtype, device, requires_grad, default=float32):
    xp = backend.module_for(_device(device))
    arr = xp.full(_nonnegative(_sizes(size)), fill, dtype=_np_dtype(dtype, default))
    return _leaf(arr, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    if any(n < 0 for n in _sizes(size)):
        raise RuntimeError("zeros: Dimension size must be non-negative.")
    return _filled(0, size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _filled(1, size, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _filled(0, size, dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = (
            from_numpy_dtype(numpy.dtype(bool)) if isinstance(fill_value, bool)
            else int64 if isinstance(fill_value, int) else float32
        )
    return _filled(fill_value, (size,) if isinstance(size, int) else tuple(size), dtype, device,
                   requires_grad)


def _like(t, dtype, device):
    return (t.dtype if dtype is None else dtype), (t.device if device is None else device)


def zeros_like(input, dtype=None, device=None, requires_grad=False):  # noqa: A002
    dt, dev = _like(input, dtype, device)
    return _filled(0, tuple(input.shape), dt, dev, requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False):  # noqa: A002
    dt, dev = _like(input, dtype, device)
    return _filled(1, tuple(input.shape), dt, dev, requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False):  # noqa: A002
    dt, dev = _like(input, dtype, device)
    return _filled(fill_value, tuple(input.shape), dt, dev, requires_grad)


def empty_like(input, dtype=None, device=None, requires_grad=False):  # noqa: A002
    return zeros_like(input, dtype, device, requires_grad)


# Tensor.new_*: new leaves with the dtype and device of ``t`` unless given.

def new_tensor(t, data, dtype=None, device=None, requires_grad=False):
    return tensor(data, *_like(t, dtype, device), requires_grad)


def new_full(t, size, fill_value, dtype=None, device=None, requires_grad=False):
    size = (size,) if isinstance(size, int) else tuple(size)
    return _filled(fill_value, size, *_like(t, dtype, device), requires_grad)


def new_zeros(t, size, dtype=None, device=None, requires_grad=False):
    return _filled(0, size, *_like(t, dtype, device), requires_grad)


def new_ones(t, size, dtype=None, device=None, requires_grad=False):
    return _filled(1, size, *_like(t, dtype, device), requires_grad)


def arange(start=0, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:  # arange(end) and arange(end=n)
        start, end = 0, start
    numbers = (start, end, step)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:  # NumPy quietly gives an empty array
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    default = float32 if any(isinstance(n, float) for n in numbers) else int64
    xp = backend.module_for(_device(device))
    arr = xp.arange(start, end, step, dtype=numpy.float64 if default is float32 else numpy.int64)
    return _leaf(arr.astype(_np_dtype(dtype, default)), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """PyTorch's formula, in the result's dtype when it is a float one: ``start + i * step``
    for the first half, ``end - (steps - 1 - i) * step`` for the rest; for an int dtype,
    from ``start`` and ``end`` made ints first. Values are then closer to PyTorch's than
    NumPy's float64 ones rounded (not always to the bit: PyTorch's SIMD blocks round their
    own way)."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    xp = backend.module_for(_device(device))
    np_dtype = numpy.dtype(_np_dtype(dtype))
    work = np_dtype.type if np_dtype.kind == "f" else numpy.float64
    if np_dtype.kind != "f":
        start, end = int(start), int(end)
    i = xp.arange(steps, dtype=work)
    if steps == 1:
        return _leaf(xp.full(1, start, dtype=np_dtype), requires_grad)
    step = (work(end) - work(start)) / work(max(steps - 1, 1))
    half = steps // 2
    arr = xp.where(i < half, work(start) + step * i, work(end) - step * (steps - 1 - i))
    return _leaf(arr.astype(np_dtype), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    for name, k in (("n", n), ("m", m)):
        if k is not None and k < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {k}")
    xp = backend.module_for(_device(device))
    return _leaf(xp.eye(n, m, dtype=_np_dtype(dtype)), requires_grad)


def _floating(dtype, kernel):
    """rand and randn draw floats only: PyTorch's error for any other dtype."""
    np_dtype = numpy.dtype(_np_dtype(dtype))
    if np_dtype.kind != "f":
        from .ops.reduce import scalar_type_name

        raise NotImplementedError(
            f'"{kernel}" not implemented for \'{scalar_type_name(np_dtype)}\'')


def _random_leaf(arr, dtype, device, requires_grad):
    arr = arr.astype(_np_dtype(dtype))
    dev = _device(device)
    if dev.type != "cpu":
        arr = backend.to_device(arr, dev)
    return _leaf(arr, requires_grad)


def _size_arg(sizes, size):
    return _nonnegative(_sizes(sizes) if size is None else _sizes((size,)))


def rand(*sizes, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform on [0, 1)."""
    _floating(dtype, "check_uniform_bounds")
    arr = _random.rng(generator).random(_size_arg(sizes, size))
    return _random_leaf(arr, dtype, device, requires_grad)


def randn(*sizes, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal."""
    _floating(dtype, "normal_kernel_cpu")
    arr = _random.rng(generator).standard_normal(_size_arg(sizes, size))
    return _random_leaf(arr, dtype, device, requires_grad)


def randint(low=0, high=None, size=None, generator=None, dtype=None, device=None,
            requires_grad=False):
    """``randint(high, size)`` or ``randint(low, high, size)``: uniform integers in [low, high)."""
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high=..., size=...)
        low, high = 0, low
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be tuple of ints, not "
                        f"{type(size).__name__}")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    arr = _random.rng(generator).integers(low, high, size=tuple(size))
    return _random_leaf(arr, dtype or int64, device, requires_grad)


def randperm(n, generator=None, dtype=None, device=None):
    return _random_leaf(_random.rng(generator).permutation(n), dtype or int64, device, False)


def rand_like(input, dtype=None, device=None, requires_grad=False):  # noqa: A002
    dt, dev = _like(input, dtype, device)
    return rand(*input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad=False):  # noqa: A002
    dt, dev = _like(input, dtype, device)
    return randn(*input.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def scalar_tensor(value, dtype=None, device=None, requires_grad=False):
    """A 0-d tensor of ``dtype``, float32 by default whatever ``value`` is (ints included)."""
    return tensor(value, dtype=dtype or float32, device=device, requires_grad=requires_grad)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(input):  # noqa: A002
    return input.numel()


__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like",
    "ones_like", "full_like", "empty_like", "arange", "linspace", "eye", "rand", "randn",
    "randint", "randperm", "rand_like", "randn_like", "scalar_tensor", "is_tensor", "numel",
    "Number",
]
