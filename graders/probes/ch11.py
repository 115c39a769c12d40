"""Observations of chapter 11's pieces, "Debugging autograd" (see ``graders.probes``).

Each piece is a repaired training loop, observed by its outcome: the loop runs on data drawn
from the grader's generator and returns its parameters and its list of losses, which must
match what the reference loop returns on the same data. A loss kept as a tensor shows up as
an array in place of a number, a NaN as "nan".
"""

from __future__ import annotations

import warnings

import numpy as np

from ._observe import attempt

TOLERANCE = {"fit_line": (1e-6, 1e-6), "train_network": (1e-6, 1e-6),
             "fit_distance": (1e-6, 1e-6)}


def _outcome(names, result):
    """A labelled outcome: the returned values by name (the whole result if not a tuple of the
    expected length)."""
    if not (isinstance(result, tuple) and len(result) == len(names)):
        return {"returned": result}
    return dict(zip(names, result))


def fit_line(piece, rng):
    import engine

    lines = [(rng.uniform(-2, 2), rng.uniform(-1, 1), rng.standard_normal(6)) for _ in range(2)]

    def run(xs, ys, epochs, lr):
        return _outcome(["w", "b", "losses"], piece(xs, ys, epochs, lr))

    def noisy_line(slope, offset, noise):
        xs = np.linspace(-1.0, 2.0, 6)
        return (engine.tensor(xs, dtype=engine.float32),
                engine.tensor(slope * xs + offset + 0.1 * noise, dtype=engine.float32))

    lesson = (engine.tensor([1.0, 2.0, 3.0, 4.0]), engine.tensor([3.0, 5.0, 7.0, 9.0]))
    return {
        "the lessons' four points, 201 steps, lr 0.05": attempt(lambda: run(*lesson, 201, 0.05)),
        "a noisy line, 60 steps, lr 0.1": attempt(lambda: run(*noisy_line(*lines[0]), 60, 0.1)),
        "another noisy line, 25 steps, lr 0.2":
            attempt(lambda: run(*noisy_line(*lines[1]), 25, 0.2)),
    }


def train_network(piece, rng):
    import engine

    def batch():
        x = rng.standard_normal((24, 3))
        h = np.tanh(x @ rng.standard_normal((3, 5)))
        h -= h.mean(0)
        y = h @ rng.standard_normal((5, 1)) + 0.1 * rng.standard_normal((24, 1))
        return x, y, 0.5 * rng.standard_normal((3, 5)), 0.5 * rng.standard_normal((5, 1))

    data = [batch(), batch()]

    def run(x, y, w1, w2, steps, lr):
        tensors = [engine.tensor(a) for a in (x, y, w1, w2)]
        result = _outcome(["w1", "w2", "losses"], piece(*tensors, steps, lr))
        result["caller's w1, w2 unchanged"] = bool(np.array_equal(tensors[2].numpy(), w1)
                                                    and np.array_equal(tensors[3].numpy(), w2))
        return result

    return {
        "a tanh teacher's batch, 60 steps, lr 0.1": attempt(lambda: run(*data[0], 60, 0.1)),
        "another batch, 15 steps, lr 0.3": attempt(lambda: run(*data[1], 15, 0.3)),
    }


def fit_distance(piece, rng):
    import engine

    def batch(pad):
        x = rng.standard_normal((20, 3))
        y = x @ rng.standard_normal((3, 2)) + 0.3 * rng.standard_normal((20, 2))
        w = 0.1 * rng.standard_normal((3, 2))
        x = np.vstack([x, np.zeros((pad, 3))])
        y = np.vstack([y, np.zeros((pad, 2))])
        return x, y, w

    data = [batch(6), batch(2), batch(0)]

    def run(x, y, w, steps, lr):
        tensors = [engine.tensor(a) for a in (x, y, w)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = _outcome(["w", "losses"], piece(*tensors, steps, lr))
        result["caller's w unchanged"] = bool(np.array_equal(tensors[2].numpy(), w))
        return result

    return {
        "20 rows and 6 rows of padding, 60 steps, lr 0.1": attempt(lambda: run(*data[0], 60, 0.1)),
        "20 rows and 2 rows of padding, 30 steps, lr 0.3": attempt(lambda: run(*data[1], 30, 0.3)),
        "20 rows, no padding, 20 steps, lr 0.1": attempt(lambda: run(*data[2], 20, 0.1)),
    }


# For the instructor's review (graders/grade/provenance.py): names that would mean the piece
# calls the engine's own implementation instead of being the student's work.
FORBIDDEN = {
    "fit_line": ("torch",),
    "train_network": ("torch",),
    "fit_distance": ("torch",),
}
