"""Comparing results in tests: tolerances per dtype, in one place, and finite differences.

The tolerances are torch.testing's defaults, so "equal to PyTorch" means the same here as
there. ``assert_close`` accepts engine tensors, NumPy arrays, torch tensors and numbers.
"""

from __future__ import annotations

import numpy

_TOLERANCES = {  # dtype name -> (rtol, atol)
    "float16": (1e-3, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
}


def tolerances(dtype):
    """``(rtol, atol)`` for a dtype (engine, NumPy or torch); exact for integers and bools."""
    name = getattr(dtype, "name", None) or str(dtype).replace("torch.", "").replace("engine.", "")
    return _TOLERANCES.get(str(name), (0.0, 0.0))


def to_numpy(value):
    """A NumPy array from an engine tensor, a torch tensor, an array or a number."""
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "cpu") and not isinstance(value, numpy.ndarray):
        value = value.cpu()
    if hasattr(value, "numpy") and not isinstance(value, numpy.ndarray):
        value = value.numpy()
    return numpy.asarray(value)


def assert_close(actual, expected, *, rtol=None, atol=None, check_dtype=True, msg=""):
    """Assert ``actual`` equals ``expected`` within the tolerances of ``expected``'s dtype."""
    a, e = to_numpy(actual), to_numpy(expected)
    if check_dtype and a.dtype != e.dtype:
        raise AssertionError(f"{msg}dtype differs: got {a.dtype}, expected {e.dtype}")
    if a.shape != e.shape:
        raise AssertionError(f"{msg}shape differs: got {a.shape}, expected {e.shape}")
    default_rtol, default_atol = tolerances(e.dtype)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    if a.dtype == bool or e.dtype == bool:
        bad = a != e
    else:
        a64, e64 = a.astype(numpy.float64), e.astype(numpy.float64)
        both_nan = numpy.isnan(a64) & numpy.isnan(e64)
        bad = ~both_nan & ~(numpy.abs(a64 - e64) <= atol + rtol * numpy.abs(e64))
        bad &= ~((a64 == e64) & numpy.isinf(e64))
    if bad.any():
        idx = tuple(int(i) for i in numpy.argwhere(bad)[0])
        diff = numpy.abs(a.astype(numpy.float64) - e.astype(numpy.float64))
        raise AssertionError(
            f"{msg}{int(bad.sum())} of {bad.size} elements differ (rtol={rtol}, atol={atol}); "
            f"first at index {idx}: got {a[idx]!r}, expected {e[idx]!r}; "
            f"max abs difference {numpy.nanmax(diff) if diff.size else 0:.3g}"
        )


def numerical_grad(fn, *arrays, eps=1e-6):
    """Central differences of a scalar function of float64 arrays, one gradient per array."""
    arrays = [numpy.array(a, dtype=numpy.float64) for a in arrays]
    grads = []
    for a in arrays:
        g = numpy.zeros_like(a)
        flat, gflat = a.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            orig = flat[i]
            flat[i] = orig + eps
            plus = float(fn(*arrays))
            flat[i] = orig - eps
            minus = float(fn(*arrays))
            flat[i] = orig
            gflat[i] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads
