"""Observations of chapter 05's pieces, "Gradients accumulate" (see ``graders.probes``).

``accumulate_grad`` is observed inside the engine (``engine.substitute(accumulate_grad=...)``):
what ``.grad`` holds after a series of backward passes on inputs drawn from ``rng``, whether
the sum went into the tensor already there, whether a gradient shared by two leaves (or given
to ``backward``) was copied, and whether a recorded pass keeps ``.grad`` differentiable.

``accumulation_step`` is observed on small models and optimizers, with micro-batches of
unequal sizes and a gradient left over from before: the loss it returns, the parameters and
their ``.grad`` after the step, and the number of backward passes (one per micro-batch).
"""

from __future__ import annotations

import numpy as np

import engine
from engine.nn import functional as F

from ._observe import attempt


def _values(t):
    """A snapshot of a gradient's values (None stays None)."""
    return None if t is None else t.detach().numpy().copy()


def _rule(piece):
    return engine.substitute(accumulate_grad=piece)


def accumulate_grad(piece, rng):
    """``piece`` as the engine's rule for adding a gradient into a leaf's ``.grad``."""
    x0 = rng.standard_normal((2, 3))
    gs = [rng.standard_normal((2, 3)) for _ in range(3)]

    def series():
        x = engine.tensor(x0, requires_grad=True)
        seen = []
        with _rule(piece):
            for g in gs:
                (x * 2.0).backward(engine.tensor(g))
                seen.append(_values(x.grad))
            x.grad.zero_()
            (x**2).sum().backward()
            seen.append(_values(x.grad))
            x.grad = None
            (x * x * x).sum().backward()
            seen.append(_values(x.grad))
        return seen

    def in_place():
        x = engine.tensor(x0, requires_grad=True)
        with _rule(piece):
            (x * 3.0).sum().backward()
            held = x.grad
            (x.exp()).sum().backward()
        return [held is x.grad, held, x.grad]

    def shared():
        a = engine.tensor(x0, requires_grad=True)
        b = engine.tensor(x0 * 2, requires_grad=True)
        v = engine.tensor(gs[0])
        with _rule(piece):
            (a + b).backward(v)
            a.grad.add_(10.0)
            leaf = engine.tensor(x0, requires_grad=True)
            leaf.backward(v)
            leaf.grad.mul_(3.0)
        return [a.grad, b.grad, v, leaf.grad]

    def used_twice():
        w = engine.tensor(float(rng.standard_normal()), dtype=engine.float64,
                          requires_grad=True)
        with _rule(piece):
            loss = (w * 1.5 - 1.0) ** 2 + (w * -2.0 + 0.5) ** 2
            loss.backward(retain_graph=True)
            loss.backward()
        return [w.grad, str(w.grad.dtype)]

    def recorded():
        z = engine.tensor(np.abs(x0[0]) + 0.5, requires_grad=True)
        with _rule(piece):
            (z**3).sum().backward(create_graph=True)
            (z**2).sum().backward(create_graph=True)
            first = z.grad
            has_history = first.grad_fn is not None
            z.grad = None
            first.sum().backward()
        return [first, has_history, z.grad]

    return {
        "three backward passes, zero_(), then None": attempt(series),
        "a second backward into the same tensor": attempt(in_place),
        "a gradient shared by two leaves, and one given to backward": attempt(shared),
        "one parameter used twice, a graph walked twice": attempt(used_twice),
        "two recorded passes (create_graph=True), then their derivative": attempt(recorded),
    }


class _Line:
    def __init__(self, w, b):
        self.w = engine.tensor(w, dtype=engine.float64, requires_grad=True)
        self.b = engine.tensor(b, dtype=engine.float64, requires_grad=True)

    def parameters(self):
        return [self.w, self.b]

    def __call__(self, x):
        return self.w * x + self.b


def _run_step(piece, model, optimizer, loss_fn, x, y, sizes, steps=1):
    params = list(model.parameters())
    passes = [0]
    handle = params[0].register_hook(lambda g: passes.__setitem__(0, passes[0] + 1))
    losses, counts = [], []
    try:
        for _ in range(steps):
            pieces, start = [], 0
            for n in sizes:
                pieces.append((x[start:start + n], y[start:start + n]))
                start += n
            passes[0] = 0
            losses.append(piece(model, optimizer, loss_fn, pieces))
            counts.append(passes[0])
    finally:
        handle.remove()
    return {"losses": losses, "backward passes": counts, "params": params,
            "grads": [p.grad for p in params]}


def accumulation_step(piece, rng):
    """``piece(model, optimizer, loss_fn, micro_batches)`` on small problems."""
    line_x = engine.tensor(rng.standard_normal(6), dtype=engine.float64)
    line_y = engine.tensor(rng.standard_normal(6), dtype=engine.float64)
    w0, b0 = rng.standard_normal(2)
    X = engine.tensor(rng.standard_normal((7, 3)), dtype=engine.float64)
    Y = engine.tensor(rng.standard_normal((7, 2)), dtype=engine.float64)
    C = engine.tensor(rng.integers(0, 3, 7))
    seed = int(rng.integers(0, 2**31))

    def line(sizes, stale=False):
        model = _Line(w0, b0)
        if stale:
            model.w.grad = engine.tensor(5.0, dtype=engine.float64)
            model.b.grad = engine.tensor(-2.0, dtype=engine.float64)
        optimizer = engine.optim.SGD(model.parameters(), lr=0.1)
        return _run_step(piece, model, optimizer, F.mse_loss, line_x, line_y, sizes)

    def layer(make_optimizer, sizes, loss_fn, targets, out, steps):
        engine.manual_seed(seed)
        model = engine.nn.Linear(3, out).double()
        return _run_step(piece, model, make_optimizer(model.parameters()), loss_fn, X,
                         targets, sizes, steps)

    return {
        "a line, micro-batches of 3 and 3": attempt(lambda: line((3, 3))),
        "a line, micro-batches of 5 and 1": attempt(lambda: line((5, 1))),
        "a line, with old gradients left in .grad": attempt(lambda: line((2, 4), stale=True)),
        "a linear layer, SGD with momentum, two steps": attempt(lambda: layer(
            lambda p: engine.optim.SGD(p, lr=0.1, momentum=0.9), (2, 2, 3), F.mse_loss, Y,
            2, 2)),
        "a linear layer, Adam, micro-batches of 1 and 6": attempt(lambda: layer(
            lambda p: engine.optim.Adam(p, lr=0.01), (1, 6), F.mse_loss, Y, 2, 1)),
        "a classifier, cross-entropy, micro-batches of 4 and 3": attempt(lambda: layer(
            lambda p: engine.optim.SGD(p, lr=0.3), (4, 3), F.cross_entropy, C, 3, 1)),
    }


# For the instructor's review (graders/grade/provenance.py): names that would mean the piece
# calls the engine's own implementation instead of being the student's work.
FORBIDDEN = {
    "accumulate_grad": ("engine.autograd.engine_loop", "engine.autograd.graph", "._store_grad",
                        ".backward", "torch"),
    "accumulation_step": ("engine.autograd.engine_loop", "torch"),
}
