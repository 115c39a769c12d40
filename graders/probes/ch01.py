"""Observations of chapter 01's pieces: ``central_difference`` and ``numerical_gradient``.

Each function runs the piece on inputs drawn from the grader's ``rng`` (and on the cases the
chapter's visible check and hidden tests use) and returns plain data; see ``graders.probes``.
The grader compares the student's observation with the reference solution's.

A result is taken as a number the way the visible check takes it (``float(...)`` of a number,
a 0-d array or a one-element tensor; an array for ``numerical_gradient``): anything else, an
object whose ``__eq__`` lies included, becomes an error here, in the sandbox.
"""

from __future__ import annotations

import math

import numpy as np

from ._observe import attempt

# Both pieces are compared with the reference's own central differences (the same formula on
# the same inputs), so only rounding separates a right answer from the reference's.
TOLERANCE = {"central_difference": (1e-7, 1e-9), "numerical_gradient": (1e-7, 1e-9)}

# Names whose use in the exercise cell means the piece may be the engine's own work: flagged
# for the instructor's review (``graders.grade.provenance``), never scored by themselves.
FORBIDDEN = {
    "central_difference": ("engine.testing", "engine.autograd", "engine.tensor",
                           ".backward", "scipy", "torch"),
    "numerical_gradient": ("engine.testing", "engine.autograd", "engine.tensor",
                           ".backward", "scipy", "torch"),
}

HINTS = {
    "central_difference": "(f(x + h) - f(x - h)) / (2 * h), with the h you are given.",
    "numerical_gradient": "for each entry i: nudge a copy of x by +h and by -h at entry i only, "
                          "and store the central difference; return an array shaped like x and "
                          "leave x itself unchanged.",
}


# --- central_difference(f, x, h) ---------------------------------------------------------------

def _slope(piece, f, x, h=None):
    if h is None:
        return attempt(lambda: float(piece(f, x)))
    return attempt(lambda: float(piece(f, x, h)))


def central_difference(piece, rng):
    x_random = float(rng.uniform(-2.0, 2.0))
    h_random = float(10.0 ** rng.uniform(-4.0, -1.0))
    return {
        "f(x) = x**2 at x = 3, h = 1e-5": _slope(piece, lambda x: x**2, 3.0, 1e-5),
        "f(w) = (3w - 10)**2 at w = 2, h = 1e-5": _slope(piece, lambda w: (3 * w - 10) ** 2,
                                                        2.0, 1e-5),
        "f(x) = x**3 at x = 2, h = 1e-5": _slope(piece, lambda x: x**3, 2.0, 1e-5),
        "f(x) = sin(x) * x at x = 0.7, h = 1e-5": _slope(piece, lambda x: math.sin(x) * x,
                                                        0.7, 1e-5),
        "f(x) = x**3 at x = 2, a big step h = 0.1": _slope(piece, lambda x: x**3, 2.0, 0.1),
        "f(x) = exp(x) at x = 0.5, h = 1e-6": _slope(piece, math.exp, 0.5, 1e-6),
        "f(t) = t**4 - 2t at t = -1.3, h = 1e-4": _slope(piece, lambda t: t**4 - 2 * t,
                                                        -1.3, 1e-4),
        "f(x) = cos(x) at x = 2, a big step h = 0.25": _slope(piece, math.cos, 2.0, 0.25),
        "f(x) = x**3 at x = 1.5, the default h": _slope(piece, lambda x: x**3, 1.5),
        f"f(x) = exp(x) * sin(x) at x = {x_random:.6g}, h = {h_random:.3g}": _slope(
            piece, lambda x: math.exp(x) * math.sin(x), x_random, h_random),
    }


# --- numerical_gradient(f, x, h) ---------------------------------------------------------------

_XS, _YS = np.array([1.0, 2.0, 3.0, 4.0]), np.array([3.0, 5.0, 7.0, 9.0])


def _gradient(piece, f, x, h=None):
    """The estimate as a float64 array, and x as the piece left it (it must not change)."""
    x = np.array(x, dtype=np.float64)

    def run():
        got = piece(f, x) if h is None else piece(f, x, h)
        return {"gradient": np.asarray(got, dtype=np.float64), "x afterwards": x.copy()}

    return attempt(run)


def numerical_gradient(piece, rng):
    p = rng.uniform(-2.0, 2.0, size=5)
    q = rng.uniform(-1.0, 1.0, size=int(rng.integers(1, 4)))
    return {
        "f(p) = sum(p**2) at p = [1, 2, 3]": _gradient(
            piece, lambda v: float(np.sum(v**2)), [1.0, 2.0, 3.0], 1e-5),
        "f(p) = mean((p[0] * xs + p[1] - ys)**2) at p = [0, 0]": _gradient(
            piece, lambda v: float(np.mean((v[0] * _XS + v[1] - _YS) ** 2)), [0.0, 0.0], 1e-5),
        "f(p) = p[0] * p[1] + sin(p[2]) at p = [0.5, -1.5, 2]": _gradient(
            piece, lambda v: float(v[0] * v[1] + np.sin(v[2])), [0.5, -1.5, 2.0], 1e-5),
        "f(p) = sum(p**3) at p = [1, 2], a big step h = 0.1": _gradient(
            piece, lambda v: float(np.sum(v**3)), [1.0, 2.0], 0.1),
        "f(p) = sum(tanh(p) * p) + p[0] * p[4] at 5 random entries": _gradient(
            piece, lambda v: float(np.sum(np.tanh(v) * v) + v[0] * v[4]), p, 1e-5),
        "f(p) = sum(exp(p)) at 5 random entries, a big step h = 0.3": _gradient(
            piece, lambda v: float(np.sum(np.exp(v))), p, 0.3),
        f"f(p) = sum(cos(p)) at {q.size} random entries, the default h": _gradient(
            piece, lambda v: float(np.sum(np.cos(v))), q),
    }
