"""Comparing results in tests: tolerances per dtype, in one place, and finite differences.

The tolerances are ``torch.testing.assert_close``'s defaults, so "equal to PyTorch" means the
same here as there::

    float16   rtol 1e-3    atol 1e-5
    bfloat16  rtol 1.6e-2  atol 1e-5
    float32   rtol 1.3e-6  atol 1e-5
    float64   rtol 1e-7    atol 1e-7
    integers, bool: exact

``assert_close`` accepts engine tensors, torch tensors, NumPy arrays and Python numbers.
``numerical_grad`` is the oracle that needs nothing but NumPy: central differences in float64.
``fake_cuda()`` runs ``device="cuda"`` on a CPU stand-in for CuPy: device code, tested anywhere.

This module imports only NumPy and the standard library (the engine imports it, not the other
way round), so it works on any object that looks like a tensor.
"""

from __future__ import annotations

import numbers

import numpy

__all__ = ["assert_close", "fake_cuda", "numerical_grad", "to_numpy", "tolerances"]

_TOLERANCES = {  # dtype name -> (rtol, atol)
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}
_ALIASES = {"half": "float16", "float": "float32", "double": "float64"}
_EXACT = {
    "bool", "uint8", "uint16", "uint32", "uint64",
    "int8", "int16", "int32", "int64", "short", "int", "long",
}  # fmt: skip


def _dtype_name(dtype) -> str:
    """'float32' for engine.float32, torch.float32, numpy.float32, or the string 'float32'."""
    if isinstance(dtype, numpy.dtype) or (
        isinstance(dtype, type) and issubclass(dtype, numpy.generic)
    ):
        return numpy.dtype(dtype).name
    if dtype is float:
        return "float64"
    if dtype is int:
        return "int64"
    if dtype is bool:
        return "bool"
    name = str(dtype).rsplit(".", 1)[-1]  # "engine.float32", "torch.float32", "float32"
    return _ALIASES.get(name, name)


def tolerances(dtype) -> tuple[float, float]:
    """``(rtol, atol)`` for comparing values of ``dtype`` (an engine, torch or NumPy dtype).

    Integers and bools compare exactly: ``(0.0, 0.0)``.
    """
    name = _dtype_name(dtype)
    if name in _TOLERANCES:
        return _TOLERANCES[name]
    if name in _EXACT:
        return (0.0, 0.0)
    raise ValueError(f"no default tolerances for dtype {dtype!r}")


def to_numpy(value) -> numpy.ndarray:
    """A NumPy array from an engine tensor, a torch tensor, an array or a number.

    Anything with ``.detach()`` and ``.numpy()`` (a tensor) goes through
    ``.detach().cpu().numpy()`` (``.cpu()`` when it has one).
    """
    if isinstance(value, numpy.ndarray):
        return value
    if callable(getattr(value, "get", None)) and hasattr(value, "shape"):
        return numpy.asarray(value.get())  # a CuPy array: copied from the GPU
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        value = value.detach()
        if hasattr(value, "cpu"):
            value = value.cpu()
        if callable(getattr(value, "_is_zerotensor", None)) and value._is_zerotensor():
            value = value + 0  # PyTorch's lazy zeros (the gradient of sgn): made real
        return numpy.asarray(value.numpy())
    return numpy.asarray(value)


def _is_number(value) -> bool:
    return isinstance(value, (numbers.Number, numpy.generic)) and not isinstance(
        value, numpy.ndarray
    )


def _describe(value) -> str:
    return type(value).__module__.split(".")[0] + "." + type(value).__name__


def assert_close(
    actual,
    expected,
    *,
    rtol=None,
    atol=None,
    check_dtype=True,
    equal_nan=False,
    msg="",
):
    """Assert that ``actual`` and ``expected`` have the same shape and close values.

    Elementwise, ``|actual - expected| <= atol + rtol * |expected|`` (as torch.testing does).
    ``rtol``/``atol`` default to :func:`tolerances` of the two dtypes (the looser of the two
    when they differ). With ``check_dtype`` the dtypes must be equal too; a Python number has
    no dtype of its own, so a number on either side skips that check. Infinities must match
    exactly; NaNs are equal only with ``equal_nan=True``. Bool values compare exactly.

    ``msg`` is put in front of the failure message.
    """
    a, e = to_numpy(actual), to_numpy(expected)
    prefix = f"{msg}: " if msg and not msg.endswith((" ", ":", "\n")) else msg
    if a.shape != e.shape:
        raise AssertionError(
            f"{prefix}The shapes do not match: actual {a.shape} != expected {e.shape} "
            f"({_describe(actual)} vs {_describe(expected)})."
        )
    numbers_involved = _is_number(actual) or _is_number(expected)
    if check_dtype and not numbers_involved and a.dtype != e.dtype:
        raise AssertionError(
            f"{prefix}The dtypes do not match: actual {a.dtype} != expected {e.dtype} "
            f"({_describe(actual)} vs {_describe(expected)})."
        )
    if rtol is None or atol is None:
        ra, aa = tolerances(a.dtype)
        re_, ae = tolerances(e.dtype)
        rtol = max(ra, re_) if rtol is None else rtol
        atol = max(aa, ae) if atol is None else atol
    if a.size == 0:
        return

    if a.dtype == numpy.bool_ or e.dtype == numpy.bool_:
        bad = a != e
        if bad.any():
            idx = tuple(int(i) for i in numpy.argwhere(bad)[0])
            raise AssertionError(
                f"{prefix}Bool values are not equal!\n"
                f"Mismatched elements: {int(bad.sum())} / {bad.size}\n"
                f"First mismatch at index {idx}: actual {a[idx]!r}, expected {e[idx]!r}."
            )
        return

    kind = numpy.complex128 if numpy.iscomplexobj(a) or numpy.iscomplexobj(e) else numpy.float64
    a64, e64 = a.astype(kind), e.astype(kind)
    with numpy.errstate(invalid="ignore", over="ignore"):
        diff = numpy.abs(a64 - e64)
        finite = numpy.isfinite(a64) & numpy.isfinite(e64)
        close = finite & (diff <= atol + rtol * numpy.abs(e64))
        close |= ~finite & (a64 == e64)  # the same infinity (NaN never equals itself)
        if equal_nan:
            close |= numpy.isnan(a64) & numpy.isnan(e64)
        bad = ~close
        if not bad.any():
            return
        idx = tuple(int(i) for i in numpy.argwhere(bad)[0])
        finite_diff = numpy.where(numpy.isfinite(diff), diff, -1.0)
        rel = diff / numpy.abs(e64)
        finite_rel = numpy.where(numpy.isfinite(rel), rel, -1.0)
    abs_idx = numpy.unravel_index(int(numpy.argmax(finite_diff)), a.shape)
    rel_idx = numpy.unravel_index(int(numpy.argmax(finite_rel)), a.shape)
    abs_idx = tuple(int(i) for i in abs_idx)
    rel_idx = tuple(int(i) for i in rel_idx)
    raise AssertionError(
        f"{prefix}Tensor-likes are not close!\n"
        f"Mismatched elements: {int(bad.sum())} / {bad.size} "
        f"({100.0 * bad.sum() / bad.size:.1f}%)\n"
        f"Greatest absolute difference: {float(diff[abs_idx]):.6g} at index {abs_idx} "
        f"(up to {atol:g} allowed)\n"
        f"Greatest relative difference: {float(rel[rel_idx]):.6g} at index {rel_idx} "
        f"(up to {rtol:g} allowed)\n"
        f"First mismatch at index {idx}: actual {a[idx]!r}, expected {e[idx]!r}."
    )


def numerical_grad(fn, *arrays, eps=1e-6):
    """Central differences of a scalar function of float64 arrays, one gradient per array.

    ``fn(*arrays)`` maps NumPy float64 arrays (copies of ``arrays``, one element nudged by
    ``±eps`` at a time) to a number; the result is a list with one float64 array of each
    input's shape: ``(fn(.., x + eps e_i, ..) - fn(.., x - eps e_i, ..)) / (2 eps)``.
    """
    arrays = [to_numpy(a).astype(numpy.float64) for a in arrays]  # copies, on the host
    grads = []
    for a in arrays:
        g = numpy.zeros_like(a)
        flat, gflat = a.reshape(-1), g.reshape(-1)  # views of the contiguous copies
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


def fake_cuda():
    """A context manager: inside it, ``device="cuda"`` runs on a CPU stand-in for CuPy.

    No GPU needed. Code meant for a GPU can be tested anywhere: tensors on ``"cuda"`` hold
    arrays that refuse, as CuPy's do, to be mixed with NumPy arrays or converted to them
    implicitly, so a missing ``.to(device)`` or a stray ``.numpy()`` fails here as it would on
    a GPU. It yields the stand-in module, whose ``stats`` count the copies between "device"
    and host (``stats.syncs``, ``stats.uploads``). It shows correctness, not speed::

        with engine.testing.fake_cuda():
            model.to("cuda")
            loss = model(x.to("cuda")).sum()
    """
    from . import _fake_cupy

    return _fake_cupy.installed()
