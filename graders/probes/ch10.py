"""Observations of chapter 10's pieces, "Gradient checkpointing" (see ``graders.probes``).

Each case records what a correct checkpoint must get right: the value and the gradients
(compared with the reference), how often the segment runs in the forward pass and in backward,
whether the output's graph still reaches a node of the segment's inside, whether the
generator is left where it would be without checkpoints, and whether the peak memory of a deep
network drops (a yes/no: the byte counts themselves vary from run to run).
"""

from __future__ import annotations

import math

import numpy as np

from ._observe import attempt

TOLERANCE = {"checkpoint": (1e-9, 1e-12), "checkpoint_sequential": (1e-9, 1e-12)}


def _tensor(engine, array, requires_grad=False):
    return engine.tensor(np.array(array, dtype=np.float64), requires_grad=requires_grad)


def _layer(h, w):
    return (h @ w).tanh()


def _grads(tensors):
    return [t.grad for t in tensors]


class _Counted:
    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *args):
        self.calls += 1
        return self.fn(*args)


def _inside_kept(out) -> bool:
    """Whether ``out``'s graph reaches, below its own node, a node that is not a leaf's."""
    from engine.autograd.graph import AccumulateGrad

    root = getattr(out, "grad_fn", None)
    if root is None:
        return False
    seen, stack = {root}, [root]
    while stack:
        for child, _ in stack.pop().next_functions:
            if child is None or child in seen:
                continue
            if not isinstance(child, AccumulateGrad):
                return True
            seen.add(child)
    return False


def checkpoint(piece, rng):
    import engine

    from ..checks.ch10 import peak_ratio

    x0, w0 = rng.standard_normal((3, 4)), rng.standard_normal((3, 4, 4)) / 2
    d0, v0 = rng.standard_normal((5, 4)), rng.standard_normal((2, 4, 4)) / 2
    a0, b0, u0 = (rng.standard_normal((2, 3)), rng.standard_normal((2, 3)),
                  rng.standard_normal((3, 3)) / 2)
    c0, cw0 = rng.standard_normal((4, 3)), rng.standard_normal((6, 3, 3)) / 2
    p0, pw0 = rng.standard_normal((6, 5)), rng.standard_normal((5, 5)) / 2
    n0, nw0 = rng.standard_normal((2, 4)), rng.standard_normal((3, 4, 4)) / 2

    def three_layers():
        x = _tensor(engine, x0, True)
        ws = [_tensor(engine, w, True) for w in w0]
        segment = _Counted(lambda h: _layer(_layer(_layer(h, ws[0]), ws[1]), ws[2]))
        out = piece(segment, x)
        forward_calls, kept = segment.calls, _inside_kept(out)
        out.sum().backward()
        return {"value": out, "calls in the forward pass": forward_calls,
                "calls in backward": segment.calls - forward_calls,
                "inside kept": kept, "grads": _grads([x, *ws])}

    def data_input():
        x = _tensor(engine, d0)
        ws = [_tensor(engine, w, True) for w in v0]
        out = piece(lambda h: _layer(_layer(h, ws[0]), ws[1]), x)
        out.sum().backward()
        return {"value": out, "requires grad": out.requires_grad, "grads": _grads(ws)}

    def two_inputs():
        a, b, w = _tensor(engine, a0, True), _tensor(engine, b0), _tensor(engine, u0, True)
        out = piece(lambda p, q: (p * q).exp() @ w, a, b)
        out.sum().backward()
        return {"value": out, "grads": _grads([a, b, w])}

    def chain():
        x = _tensor(engine, c0)
        ws = [_tensor(engine, w, True) for w in cw0]
        h = x
        for start in range(0, 6, 2):
            def segment(t, chunk=ws[start:start + 2]):
                for w in chunk:
                    t = _layer(t, w)
                return t
            h = piece(segment, h)
        h.sum().backward()
        return {"value": h, "grads": _grads(ws)}

    def autograd_grad():
        x = _tensor(engine, d0)
        ws = [_tensor(engine, w, True) for w in v0]
        out = piece(lambda h: _layer(_layer(h, ws[0]), ws[1]), x)
        grads = engine.autograd.grad(out.sum(), ws)
        return {"grads": list(grads), ".grad untouched": all(w.grad is None for w in ws)}

    def dropout():
        x, w = _tensor(engine, p0, True), _tensor(engine, pw0, True)
        engine.manual_seed(7)
        out = piece(lambda h: engine.nn.functional.dropout(_layer(h, w), p=0.5), x)
        engine.rand(3, dtype=engine.float64)  # other code draws between forward and backward
        out.sum().backward()
        return {"value": out, "grads": _grads([x, w]),
                "engine.rand(4) after backward": engine.rand(4, dtype=engine.float64)}

    def no_grad():
        x, w = _tensor(engine, x0, True), _tensor(engine, w0[0], True)
        segment = _Counted(lambda h: _layer(h, w))
        with engine.no_grad():
            out = piece(segment, x)
        return {"value": out, "requires grad": out.requires_grad, "calls": segment.calls}

    def nested():
        x = _tensor(engine, n0, True)
        ws = [_tensor(engine, w, True) for w in nw0]

        def outer(h):
            return _layer(piece(lambda t: _layer(_layer(t, ws[0]), ws[1]), h), ws[2])

        out = piece(outer, x)
        out.sum().backward()
        return {"value": out, "grads": _grads([x, *ws])}

    try:
        return {
            "three layers, x and weights require grad": attempt(three_layers),
            "two layers fed data": attempt(data_input),
            "two inputs, the second data": attempt(two_inputs),
            "three checkpointed segments of two layers, fed data": attempt(chain),
            "engine.autograd.grad through a checkpoint": attempt(autograd_grad),
            "dropout inside the segment": attempt(dropout),
            "under engine.no_grad()": attempt(no_grad),
            "a checkpoint inside a checkpoint": attempt(nested),
            "peak memory, 24 layers in segments of 6, below 0.8 x plain":
                attempt(lambda: peak_ratio(piece) < 0.8),
        }
    finally:
        engine.manual_seed(0)


def checkpoint_sequential(piece, rng):
    import engine

    cases = [(6, 3, True), (7, 3, True), (9, 4, True), (4, 1, True), (5, 5, True),
             (8, 4, False)]
    data = [(rng.standard_normal((3, 4)), rng.standard_normal((n, 4, 4)) / 2)
            for n, _, _ in cases]

    def observe(n, segments, needs_grad, x0, w0):
        x = _tensor(engine, x0, needs_grad)
        ws = [_tensor(engine, w, True) for w in w0]
        layers = [_Counted(lambda t, w=w: _layer(t, w)) for w in ws]
        out = piece(layers, segments, x)
        forward = [f.calls for f in layers]
        out.sum().backward()
        return {"value": out, "calls in the forward pass": forward,
                "calls again in backward": [f.calls - c for f, c in zip(layers, forward)],
                "grads": _grads(ws + ([x] if needs_grad else []))}

    return {
        f"{n} layers in {segments} segments (chunks of {math.ceil(n / segments)})"
        f"{'' if needs_grad else ', fed data'}":
            attempt(lambda n=n, s=segments, g=needs_grad, d=d: observe(n, s, g, *d))
        for (n, segments, needs_grad), d in zip(cases, data)
    }


# For the instructor's review (graders/grade/provenance.py): names that would mean the piece
# calls the engine's own implementation instead of being the student's work.
FORBIDDEN = {
    "checkpoint": ("engine.utils", "torch"),
    "checkpoint_sequential": ("engine.utils", "torch"),
}
