"""Observations of chapter 12's pieces, "The GPU backend" (see ``graders.probes``).

Device cases run on ``engine.testing.fake_cuda()``, the CPU stand-in for CuPy, on both sides.
``array_module`` is observed through the module it returns for each kind of input, with CuPy
in use and without it; ``LogSumExp`` through the engine (``engine.substitute``): values and
gradients for several reductions, large and infinite scores, a second derivative, and on the
stand-in GPU where the result lives and how many copies reached the host; ``common_device``
through the device it picks, where each returned array lives, whether it is the very array it
was given, its values, or the text of the error.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ._observe import attempt, op_observation

TOLERANCE = {"LogSumExp": (1e-9, 1e-12), "common_device": (1e-12, 1e-12)}


def _module_label(engine, module):
    if module is np:
        return "numpy"
    if engine.cuda.is_available() and module is engine.backend.cupy_module():
        return "cupy"
    return f"other: {type(module).__name__}"


@contextlib.contextmanager
def _no_cupy(engine):
    previous = engine.backend._swap_cupy(None, "CuPy is not importable (probe)")
    try:
        yield
    finally:
        engine.backend._swap_cupy(*previous)


def array_module(piece, rng):
    import engine

    values = rng.standard_normal(3)

    def on(make, context):
        with context():
            return _module_label(engine, piece(make()))

    def asks_for_numpy_array():
        """Whether a NumPy array is answered only after asking about CuPy (it costs every op
        a call)."""
        calls = []
        saved = (engine.cuda.is_available, engine.backend.cupy_module)
        with engine.testing.fake_cuda():
            engine.cuda.is_available = lambda: calls.append(1) or saved[0]()
            engine.backend.cupy_module = lambda: calls.append(1) or saved[1]()
            try:
                module = piece(values.copy())
            finally:
                engine.cuda.is_available, engine.backend.cupy_module = saved
            return {"module": _module_label(engine, module), "asked about CuPy": bool(calls)}

    fake = engine.testing.fake_cuda
    plain = contextlib.nullcontext
    return {
        "a NumPy array, CuPy in use: the cost": attempt(asks_for_numpy_array),
        "a NumPy array": attempt(lambda: on(lambda: values.copy(), plain)),
        "a Python float": attempt(lambda: on(lambda: float(values[0]), plain)),
        "a Python int": attempt(lambda: on(lambda: 3, plain)),
        "a NumPy scalar": attempt(lambda: on(lambda: np.float32(values[1]), plain)),
        "a CuPy array (stand-in)": attempt(
            lambda: on(lambda: engine.backend.cupy_module().asarray(values), fake)),
        "a 0-d CuPy array (stand-in)": attempt(
            lambda: on(lambda: engine.backend.cupy_module().asarray(values).sum(), fake)),
        "a NumPy array while CuPy is in use": attempt(lambda: on(lambda: values.copy(), fake)),
        "a NumPy array without CuPy": attempt(
            lambda: on(lambda: values.copy(), lambda: _no_cupy(engine))),
    }


def LogSumExp(piece, rng):  # noqa: N802 (the piece's name)
    import engine

    z = rng.standard_normal((3, 4))
    cube = rng.standard_normal((2, 3, 2))
    big = np.array([[1000.0, 1000.5, 990.0], [-1000.0, -999.0, -1001.0]])
    observed = op_observation("LogSumExp", piece, {
        "x.logsumexp(1)": lambda x, c, b: x.logsumexp(1),
        "x.logsumexp(0, keepdim=True) * weights": lambda x, c, b: x.logsumexp(0, keepdim=True)
        * engine.tensor([[1.0, -2.0, 0.5, 3.0]], dtype=engine.float64),
        "c.logsumexp((0, 2))": lambda x, c, b: c.logsumexp((0, 2)),
        "large scores, b.logsumexp(1)": lambda x, c, b: b.logsumexp(1),
    }, [z, cube, big])

    def masked():
        x = engine.tensor([[float("-inf")] * 3, [0.0, float("-inf"), 1.0]], dtype=engine.float64)
        with engine.substitute(LogSumExp=piece), np.errstate(all="ignore"):
            return x.logsumexp(1)

    def second():
        x = engine.tensor(z, requires_grad=True)
        with engine.substitute(LogSumExp=piece):
            (g,) = engine.autograd.grad(x.logsumexp(1).sum(), x, create_graph=True)
            (gg,) = engine.autograd.grad((g * engine.tensor(z[::-1].copy())).sum(), x)
        return {"first": g, "second": gg}

    def on_gpu():
        with engine.testing.fake_cuda() as fake:
            x = engine.tensor(z, dtype=engine.float32, device="cuda", requires_grad=True)
            fake.stats.reset()
            with engine.substitute(LogSumExp=piece):
                y = x.logsumexp(1)
                y.sum().backward()
            return {"value": y.detach().cpu(), "grad": x.grad.cpu(),
                    "devices": [y.device.type, x.grad.device.type],
                    "dtype": str(y.dtype), "copies to the host": fake.stats.syncs}

    observed["rows of -inf"] = attempt(masked)
    observed["a second derivative"] = attempt(second)
    observed["on the stand-in GPU, float32"] = attempt(on_gpu)
    return observed


def common_device(piece, rng):
    import engine

    def observe(make):
        with engine.testing.fake_cuda():
            arrays = make()
            try:
                device, moved = piece(list(arrays))
            except RuntimeError as exc:
                return {"error": str(exc)}
            moved = list(moved)
            return {
                "device": str(device),
                "devices": [str(engine.backend.device_of(m)) for m in moved],
                "the same object": [m is a for m, a in zip(moved, arrays)],
                "values": [engine.backend.to_device(m, engine.backend.CPU).tolist()
                           for m in moved],
            }

    def cupy():
        return engine.backend.cupy_module()

    v = rng.standard_normal(3)
    s = float(rng.standard_normal())
    cases = {
        "NumPy arrays only": lambda: [v.copy(), np.array(s)],
        "CuPy arrays only": lambda: [cupy().asarray(v), cupy().asarray(v[:2])],
        "a CuPy array, then a NumPy vector": lambda: [cupy().asarray(v), v.copy()],
        "a NumPy vector, then a CuPy array": lambda: [v.copy(), cupy().asarray(v)],
        "a CuPy array and a CPU scalar": lambda: [cupy().asarray(v), np.array(s)],
        "a CPU scalar first": lambda: [np.array(s), cupy().asarray(v)],
        "a 0-d CuPy array and a NumPy vector": lambda: [cupy().asarray(v).sum(), v.copy()],
        "two CPU scalars around a CuPy array": lambda: [np.array(s), cupy().asarray(v),
                                                        np.array(-s)],
    }
    return {label: attempt(lambda m=make: observe(m)) for label, make in cases.items()}


# For the instructor's review (graders/grade/provenance.py): names that would mean the piece
# calls the engine's own implementation instead of being the student's work.
FORBIDDEN = {
    "array_module": ("engine.backend.array_module", "torch"),
    "LogSumExp": ("engine.logsumexp", ".logsumexp", "engine.ops.reduce", "torch"),
    "common_device": ("engine.backend.common_device", "torch"),
}
