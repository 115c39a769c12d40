"""The one door to the array library.

Every op reaches NumPy (or CuPy, for ``device="cuda"``) through this module, never by
importing NumPy itself, so the same op code runs on both (CuPy's ``get_array_module``
idiom, as in DeZero). ``xp`` in the rest of the engine always means "the array module of
the arrays at hand".
"""

from __future__ import annotations

import numpy

try:  # CuPy is optional: the engine works without it, and says why "cuda" is unavailable.
    import cupy as _cupy  # type: ignore[import-not-found]
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


def cuda_unavailable_reason():
    """None when ``device="cuda"`` works, otherwise a sentence saying why not."""
    if _cupy is None:
        return (
            f"{_cupy_error}. Install the gpu extra (pip install 'gradbook[gpu]', which brings "
            "cupy-cuda12x; use cupy-cuda13x for CUDA 13) on a machine with an NVIDIA GPU."
        )
    try:
        if _cupy.cuda.runtime.getDeviceCount() == 0:
            return "CuPy is installed but no CUDA GPU is visible."
    except Exception as exc:
        return f"CuPy is installed but CUDA is not usable ({exc})."
    return None


def is_cuda_available():
    return cuda_unavailable_reason() is None


def array_module(array):
    """``xp`` for an array: NumPy for NumPy arrays (and scalars), CuPy for CuPy arrays."""
    if type(array) is numpy.ndarray or _cupy is None:
        return numpy
    return _cupy.get_array_module(array)


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
        return _cupy.asnumpy(array) if _cupy is not None else numpy.asarray(array)
    xp = module_for(dev)
    with xp.cuda.Device(dev.index):
        return xp.asarray(array)


def is_array(obj):
    return type(obj) is numpy.ndarray or (_cupy is not None and isinstance(obj, _cupy.ndarray))


numpy_module = numpy
