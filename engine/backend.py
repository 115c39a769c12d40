"""The one door to the array library.

Every op reaches NumPy (or CuPy, for ``device="cuda"``) through this module, never by
importing NumPy itself, so the same op code runs on both (CuPy's ``get_array_module``
idiom, as in DeZero). ``xp`` in the rest of the engine always means "the array module of
the arrays at hand".
"""

from __future__ import annotations

import importlib

import numpy

try:  # CuPy is optional: the engine works without it, and says why "cuda" is unavailable.
    # (importlib, not `import cupy`: compiled, that statement would take a blocked
    # sys.modules["cupy"] = None for the module itself instead of raising ImportError.)
    _cupy = importlib.import_module("cupy")
except Exception as exc:  # ImportError, or a CuPy that cannot find its CUDA libraries
    _cupy = None
    _cupy_error = f"CuPy is not importable ({exc.__class__.__name__}: {exc})"
else:
    _cupy_error = None


class device:
    """Where a tensor's data lives: ``device(type='cpu')`` or ``device(type='cuda', index=0)``."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, str) and ":" in type:
            type, _, idx = type.partition(":")
            index = int(idx)
        if type not in ("cpu", "cuda"):
            raise RuntimeError(
                f"Expected one of cpu, cuda device type at start of device string: {type}"
            )
        if type == "cuda" and index is None:
            index = 0
        self.type = type
        self.index = index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))


CPU = device("cpu")

_cuda_reason = None  # cached once CUDA is known to work (asking the driver costs a call)


def cuda_unavailable_reason():
    """None when ``device="cuda"`` works, otherwise a sentence saying why not."""
    global _cuda_reason
    if _cuda_reason == "":
        return None
    if _cupy is None:
        return (
            f"{_cupy_error}. Install the gpu extra (pip install 'gradbook[gpu]', which brings "
            "cupy-cuda12x; 'gradbook[gpu13]' brings cupy-cuda13x for CUDA 13) on a machine "
            "with an NVIDIA GPU."
        )
    try:
        if _cupy.cuda.runtime.getDeviceCount() == 0:
            return "CuPy is installed but no CUDA GPU is visible."
    except Exception as exc:
        return f"CuPy is installed but CUDA is not usable ({exc})."
    _cuda_reason = ""
    return None


def is_cuda_available():
    return cuda_unavailable_reason() is None


def cupy_module():
    """CuPy itself (raises, saying why, when ``device="cuda"`` is unavailable)."""
    return module_for(device("cuda"))


def _swap_cupy(module, error=None):
    """Use ``module`` as CuPy (tests put a CPU stand-in here); returns what to restore."""
    global _cupy, _cupy_error, _cuda_reason
    previous = (_cupy, _cupy_error)
    _cupy, _cupy_error, _cuda_reason = module, error, None
    return previous


def array_module(array):
    """``xp`` for an array: NumPy for NumPy arrays (and scalars), CuPy for CuPy arrays."""
    if type(array) is _ndarray or _cupy is None:  # a module global: numpy.ndarray costs a lookup
        return numpy
    return _cupy if isinstance(array, _cupy.ndarray) else numpy


def module_for(dev):
    """``xp`` for a device."""
    if dev.type == "cpu":
        return numpy
    reason = cuda_unavailable_reason()
    if reason is not None:
        raise RuntimeError(f"device='cuda' is unavailable: {reason}")
    return _cupy


def device_of(array):
    if type(array) is numpy.ndarray or _cupy is None or not isinstance(array, _cupy.ndarray):
        return CPU
    return device("cuda", array.device.id)


def to_device(array, dev):
    """Copy ``array`` to ``dev`` (a no-op when it is already there)."""
    if dev.type == "cpu":
        if type(array) is numpy.ndarray:
            return array
        if _cupy is not None and isinstance(array, _cupy.ndarray):
            return _cupy.asnumpy(array)
        return numpy.asarray(array)
    xp = module_for(dev)
    if isinstance(array, xp.ndarray):
        if array.device.id == dev.index:
            return array
        with xp.cuda.Device(dev.index):
            return xp.array(array, copy=True)  # from another GPU
    with xp.cuda.Device(dev.index):
        return xp.asarray(array)


def is_array(obj):
    return type(obj) is numpy.ndarray or (_cupy is not None and isinstance(obj, _cupy.ndarray))


def synchronize(dev=None):
    """Wait until everything queued on the GPU ``dev`` (default: the current one) has run.
    CuPy launches kernels asynchronously: time GPU work only after this."""
    xp = module_for(device("cuda") if dev is None else device(dev))
    if dev is None:
        xp.cuda.Device().synchronize()
    else:
        xp.cuda.Device(device(dev).index).synchronize()


def same_device_error(first, second):
    """PyTorch's error for an op whose tensors live on different devices."""
    return RuntimeError(
        "Expected all tensors to be on the same device, but found at least two devices, "
        f"{first} and {second}!"
    )


def common_device(arrays):
    """The device an op on ``arrays`` runs on, and the arrays moved there: a CPU 0-d array
    goes to the GPU (PyTorch treats it as a scalar); any other mix raises PyTorch's error."""
    devices = [device_of(a) for a in arrays]
    main = next((d for d in devices if d.type != "cpu"), devices[0])
    moved = []
    for a, d in zip(arrays, devices):
        if d != main:
            if d.type != "cpu" or getattr(a, "ndim", 0) != 0:
                raise same_device_error(main, d)
            a = to_device(a, main)
        moved.append(a)
    return main, moved


numpy_module = numpy

_ndarray = numpy.ndarray
_add_reduce = numpy.add.reduce


def array_sum(a, axis=None, dtype=None, keepdims=False):
    """``a.sum(axis, dtype, keepdims=...)``. NumPy's ``ndarray.sum`` is a Python function
    around the ufunc reduction called here (0.2 us less on a small array); other array
    libraries use their own ``sum``."""
    if type(a) is _ndarray:
        return _add_reduce(a, axis, dtype, None, keepdims)
    return a.sum(axis=axis, dtype=dtype, keepdims=keepdims)


_F32, _F64 = numpy.dtype(numpy.float32), numpy.dtype(numpy.float64)
_matmul = numpy.matmul
_ones = {}
_ONES_KEPT = 1 << 16  # longest vector of ones kept (256 KiB in float32)


def ones_of(rows, dtype, like=None):
    """A vector of ``rows`` ones of ``dtype`` (float32 or float64), kept for reuse: a NumPy
    array (read-only), or with ``like`` a GPU array, one on ``like``'s device."""
    key = (rows, dtype.char) if like is None else (rows, dtype.char, type(like), like.device.id)
    found = _ones.get(key)
    if found is None:
        if like is None:
            found = numpy.ones(rows, dtype)
            found.flags.writeable = False
        else:
            with like.device:
                found = array_module(like).ones(rows, dtype)
        if rows <= _ONES_KEPT:
            if len(_ones) >= 32:  # a few shapes recur (batch sizes): start again past 32
                _ones.clear()
            _ones[key] = found
    return found


def sum_leading(g, count, shape):
    """``g`` summed over its first ``count`` dimensions, as an array of ``shape`` (the
    dimensions left, 1s allowed), or None where this does not apply.

    It is one product with a vector of ones, which BLAS does 2-10x faster than NumPy's
    reduction over the first axis: the gradient of a bias, (128, 256) float32, 5.5 -> 2.3 us;
    (1024, 3), 15.7 -> 1.3 us (NOTES.md). Against exact sums its rounding error measured no
    larger than the reduction's. Only for C-ordered float32 and float64 arrays with at least
    two numbers left per row (a sum down to one number keeps NumPy's pairwise sum, which is
    more exact than either). A GPU array is summed the same way (cuBLAS), so that a device
    computes what the CPU does; a NumPy result is a fresh array (it can become a ``.grad``
    uncopied).
    """
    on_cpu = type(g) is _ndarray
    if not (on_cpu or (_cupy is not None and isinstance(g, _cupy.ndarray))):
        return None
    dtype = g.dtype
    if (dtype != _F32 and dtype != _F64) or not g.flags.c_contiguous or g.size == 0:
        return None
    rows = 1
    for n in g.shape[:count]:
        rows *= n
    cols = g.size // rows
    if cols < 2:
        return None
    flat = g.reshape(rows, cols)
    if not on_cpu:
        out = ones_of(rows, dtype, g) @ flat
        return out if len(shape) == 1 else out.reshape(shape)
    if len(shape) == 1:
        return _matmul(ones_of(rows, dtype), flat)
    out = numpy.empty(shape, dtype)
    _matmul(ones_of(rows, dtype), flat, out=out.reshape(cols))
    return out


_constants = {}


def constant(value, like):
    """``value`` (a small literal: 0, 1, 2) as an operand next to ``like``: for a NumPy array,
    a cached read-only 0-d array of its dtype, since NumPy converts a Python number operand at
    every call (``x > 0`` costs 0.61 us on a small array, ``x > zero`` 0.28, and
    ``maximum(x, 0)`` 0.99 against 0.33); for other arrays, the number itself."""
    if type(like) is not _ndarray:
        return value
    key = (value, like.dtype)
    found = _constants.get(key)
    if found is None:
        found = numpy.array(value, like.dtype)
        found.flags.writeable = False
        _constants[key] = found
    return found
