"""Observations of chapter 04's pieces, "Non-scalar outputs" (see ``graders.probes``).

Both pieces are op classes observed through the engine: the student's ``Sum`` stands in for
the engine's ``Sum`` and the student's ``Pow`` for its ``PowScalar`` (``x ** c``). Every
expression weights the op's output by a fixed random tensor before the final ``.sum()``, so
the gradient that reaches the op is never all ones: a backward that ignores ``grad_output``
is seen. A recorded backward (``create_graph=True``) covers backward formulas that work on
arrays only.
"""

from __future__ import annotations

import numpy as np

import engine

from ._observe import attempt, op_observation


def _weights(rng, shape):
    return engine.tensor(rng.standard_normal(shape))


def _second_derivative(slot: str, op_class, x0, expr):
    """``[first, second]``: d expr / dx (recorded) and the gradient of its sum."""
    x = engine.tensor(np.array(x0, dtype=np.float64), requires_grad=True)
    with engine.substitute(**{slot: op_class}):
        (first,) = engine.autograd.grad(expr(x), x, create_graph=True)
        (second,) = engine.autograd.grad(first.sum(), x)
    return [first, second]


def Sum(piece, rng):  # noqa: N802 (named after the piece)
    """``x.sum(dim, keepdim)`` with ``piece`` as the engine's ``Sum``."""
    x = rng.standard_normal((2, 3, 4))
    w = {name: _weights(rng, shape) for name, shape in [
        ("rows", (2, 4)), ("keep", (2, 1, 4)), ("last", (2, 3)), ("two", (3,)),
        ("square", (4,))]}
    square = rng.standard_normal((4, 4))
    observed = op_observation("Sum", piece, {
        "x.sum(1), weighted": lambda t: t.sum(1) * w["rows"],
        "x.sum(1, keepdim=True), weighted": lambda t: t.sum(1, keepdim=True) * w["keep"],
        "x.sum(-1), weighted": lambda t: t.sum(-1) * w["last"],
        "x.sum((0, 2)), weighted": lambda t: t.sum((0, 2)) * w["two"],
        "x.sum((0, 1, 2)) times 3": lambda t: t.sum((0, 1, 2)) * 3.0,
        "x.sum(0), squared": lambda t: t.sum(0) ** 2,
    }, [x])
    observed.update(op_observation("Sum", piece, {
        "the row sums of a square matrix, weighted": lambda t: t.sum(1) * w["square"],
    }, [square]))
    observed["a 0-d tensor, sum(0), times 2"] = op_observation(
        "Sum", piece, {"": lambda t: t.sum(0) * 2.0}, [np.float64(rng.standard_normal())])[""]
    observed["the second derivative of (x.sum(1) ** 3).sum()"] = attempt(
        lambda: _second_derivative("Sum", piece, rng.standard_normal((2, 3)),
                                   lambda t: (t.sum(1) ** 3).sum()))
    return observed


def Pow(piece, rng):  # noqa: N802
    """``x ** c`` with ``piece`` as the engine's ``PowScalar``."""
    x = rng.standard_normal((2, 3))
    positive = np.abs(rng.standard_normal(5)) + 0.25
    w = _weights(rng, (2, 3))
    v = _weights(rng, (5,))
    observed = op_observation("PowScalar", piece, {
        "x ** 2, weighted": lambda t: t**2 * w,
        "x ** 3, weighted": lambda t: t**3 * w,
        "x ** 1, weighted": lambda t: t**1 * w,
    }, [x])
    observed.update(op_observation("PowScalar", piece, {
        "x ** 0.5 of positive x, weighted": lambda t: t**0.5 * v,
        "x ** -1.5 of positive x, weighted": lambda t: t**-1.5 * v,
        "x ** 2 + x ** 3 of positive x": lambda t: t**2 + t**3,
    }, [positive]))
    observed["x ** 0 at 0 and elsewhere"] = op_observation(
        "PowScalar", piece, {"": lambda t: t**0 * 2.0}, [np.array([0.0, 1.5, -2.0])])[""]
    observed["the second derivative of (x ** 4).sum()"] = attempt(
        lambda: _second_derivative("PowScalar", piece, x, lambda t: (t**4).sum()))
    return observed


# For the instructor's review (graders/grade/provenance.py): names that would mean the piece
# calls the engine's own implementation instead of being the student's work.
FORBIDDEN = {
    "Sum": ("engine.ops.reduce", "engine.sum", "engine.autograd.grad", ".apply", ".backward",
            "torch"),
    "Pow": ("engine.ops.unary", "engine.ops.binary", "engine.pow", "engine.autograd.grad",
            ".apply", ".backward", "torch"),
}
