"""``engine.cuda``: whether a GPU can be used, and waiting for it (``torch.cuda``'s names).

``device="cuda"`` needs CuPy (the ``gpu`` extra) and an NVIDIA GPU; without them the engine
works on the CPU as before and ``unavailable_reason()`` says what is missing::

    if engine.cuda.is_available():
        x = engine.randn(1024, 1024, device="cuda")
    else:
        print(engine.cuda.unavailable_reason())

GPU work is asynchronous: an op returns as soon as its kernel is queued. Call
``synchronize()`` before reading a clock, or the time measured is the time to queue.
"""

from __future__ import annotations

from . import backend


def is_available():
    """True when CuPy imports and sees at least one CUDA GPU."""
    return backend.is_cuda_available()


def unavailable_reason():
    """None when ``is_available()``, otherwise a sentence saying what is missing."""
    return backend.cuda_unavailable_reason()


def device_count():
    """The number of CUDA GPUs CuPy sees (0 without CuPy or without a GPU)."""
    if not backend.is_cuda_available():
        return 0
    return backend.cupy_module().cuda.runtime.getDeviceCount()


def current_device():
    """The index of the GPU that new CUDA tensors go to."""
    return backend.cupy_module().cuda.Device().id


def synchronize(device=None):
    """Wait until every kernel queued on ``device`` (default: the current GPU) has finished."""
    backend.synchronize(device)


__all__ = ["current_device", "device_count", "is_available", "synchronize", "unavailable_reason"]
