"""The helpers observations are written with, and the trusted comparison."""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Plain = Any  # None | bool | int | float | str | list[Plain] | dict[str, Plain]

DEFAULT_TOLERANCE = (1e-6, 1e-8)  # (rtol, atol): float64 references, float64 inputs


def to_plain(value) -> Plain:
    """``value`` as JSON-able data: arrays and tensors become ``{"shape", "dtype", "data"}``,
    tuples become lists, non-finite floats become the strings "nan", "inf", "-inf"."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else ("nan" if f != f else ("inf" if f > 0 else "-inf"))
    if _is_tensor(value):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        flat = [to_plain(v) for v in value.reshape(-1).tolist()]
        return {"shape": list(value.shape), "dtype": str(value.dtype), "data": flat}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    raise TypeError(f"an observation must be plain data, not {type(value).__name__}")


def _is_tensor(value) -> bool:
    import engine

    return isinstance(value, engine.Tensor)


def attempt(call: Callable[[], Any]) -> Plain:
    """``to_plain(call())``, or ``{"raised": "<exception type>"}`` when it raises."""
    try:
        return to_plain(call())
    except Exception as exc:  # the piece's own failure is an observation, not a crash
        return {"raised": type(exc).__name__}


def op_observation(name: str, op_class, expressions: dict[str, Callable], inputs: Sequence,
                   ) -> dict[str, Plain]:
    """An op class observed through the engine: for each labelled expression of tensors
    (built from float64 ``inputs`` that require grad), the forward value and every input's
    gradient after ``.sum().backward()``, with ``op_class`` standing in for the engine's
    ``name`` (``engine.substitute``)."""
    import engine

    def run(expr):
        xs = [engine.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in inputs]
        out = expr(*xs)
        out.sum().backward()
        return {"value": out, "grads": [x.grad for x in xs]}

    with engine.substitute(**{name: op_class}):
        return {label: attempt(lambda e=expr: run(e)) for label, expr in expressions.items()}


def observe(chapter: str, piece_name: str, piece, seed: int) -> Plain:
    """Run ``graders.probes.ch<chapter>.<piece_name>`` on ``piece`` with a seeded rng."""
    module = importlib.import_module(f"graders.probes.ch{chapter}")
    fn = getattr(module, piece_name)
    return to_plain(fn(piece, np.random.default_rng(seed)))


def tolerance(chapter: str, piece_name: str) -> tuple[float, float]:
    module = importlib.import_module(f"graders.probes.ch{chapter}")
    return getattr(module, "TOLERANCE", {}).get(piece_name, DEFAULT_TOLERANCE)


def compare(expected: Plain, observed: Plain, rtol: float, atol: float,
            where: str = "") -> list[str]:
    """The differences between two observations, one line each, naming the case and what came
    back (never the expected value). Empty when they agree."""
    if isinstance(expected, dict) and isinstance(observed, dict):
        if "raised" in expected or "raised" in observed:
            if expected == observed:
                return []
            if "raised" in observed:
                return [f"{where}: raised {observed['raised']}"]
            return [f"{where}: should raise an error, returned a value"]
        if "data" in expected and "shape" in expected:
            return _compare_arrays(expected, observed, rtol, atol, where)
        problems = []
        for key, value in expected.items():
            label = f"{where} / {key}" if where else key
            if key not in observed:
                problems.append(f"{label}: missing")
            else:
                problems.extend(compare(value, observed[key], rtol, atol, label))
        return problems
    if isinstance(expected, list) and isinstance(observed, list):
        if len(expected) != len(observed):
            return [f"{where}: {len(observed)} items, expected {len(expected)}"]
        problems = []
        for i, (e, o) in enumerate(zip(expected, observed)):
            problems.extend(compare(e, o, rtol, atol, f"{where}[{i}]"))
        return problems
    if _is_number(expected) and _is_number(observed):
        if _close(expected, observed, rtol, atol):
            return []
        return [f"{where}: got {_short(observed)}"]
    if expected == observed and type(expected) is type(observed):
        return []
    return [f"{where}: got {_short(observed)}"]


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) or x in ("nan", "inf", "-inf")


def _close(e, o, rtol, atol) -> bool:
    e, o = float(e), float(o)
    if math.isnan(e) or math.isnan(o):
        return math.isnan(e) and math.isnan(o)
    if math.isinf(e) or math.isinf(o):
        return e == o
    return abs(e - o) <= atol + rtol * abs(e)


def _compare_arrays(expected, observed, rtol, atol, where) -> list[str]:
    if not (isinstance(observed, dict) and "data" in observed and "shape" in observed):
        return [f"{where}: got {_short(observed)}, expected an array"]
    if list(observed["shape"]) != list(expected["shape"]):
        return [f"{where}: shape {tuple(observed['shape'])}, expected {tuple(expected['shape'])}"]
    e, o = expected["data"], observed["data"]
    if not isinstance(o, list) or len(o) != len(e):
        return [f"{where}: malformed array"]
    bad = sum(not (_is_number(a) and _is_number(b) and _close(a, b, rtol, atol))
              for a, b in zip(e, o))
    return [f"{where}: {bad} of {len(e)} values differ"] if bad else []


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
