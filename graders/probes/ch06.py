"""Observations of chapter 06's pieces: ``no_grad`` (a class) and ``detach`` (a function).

``no_grad``: for each way the engine's own is used (a block, nested, entered while recording
is off, around an exception, reused, as a decorator with arguments, its name, called inside a
block, raising, calling itself), the switch ``engine.is_grad_enabled()`` and whether an
operation was recorded, at each point that matters. Recording is put back on after every case.

``detach``: on tensors drawn from ``rng``, the result's values and flags, whether writes go
through to the original and back, whether a backward notices an in-place write through the
result (the shared version counter), and the gradient that flows around it.

In both, the engine's own piece is switched off while the student's runs (an attempt to use it
is observed as an error), so calling it is not a way to match the reference.
"""

from __future__ import annotations

import contextlib

import numpy as np

from . import attempt

TOLERANCE = {"no_grad": (0.0, 0.0), "detach": (0.0, 0.0)}  # copies and flags: exact


# --- no_grad ----------------------------------------------------------------------------------

class _EngineModeUsed(RuntimeError):
    pass


@contextlib.contextmanager
def _engine_modes_off():
    import engine

    names = ("no_grad", "enable_grad", "inference_mode")
    saved = [(owner, n, getattr(owner, n)) for owner in (engine, engine.autograd)
             for n in names if hasattr(owner, n)]

    def refuse(*args, **kwargs):
        raise _EngineModeUsed("the engine's grad modes are off")

    try:
        for owner, n, _ in saved:
            setattr(owner, n, refuse)
        yield
    finally:
        for owner, n, value in saved:
            setattr(owner, n, value)


def _restored(fn):
    """Run one scenario with recording on at the start and put back on at the end."""
    from engine.autograd import grad_mode

    def run():
        grad_mode.switch(True)
        try:
            with _engine_modes_off():
                return fn()
        finally:
            grad_mode.switch(True)
    return run


def no_grad(piece, rng):
    import engine

    values = rng.standard_normal(3)

    def leaf():
        return engine.tensor(values, dtype=engine.float64, requires_grad=True)

    def mode():
        return engine.is_grad_enabled()

    def recorded(x):
        return (x * 2).grad_fn is not None

    def block():
        x = leaf()
        with piece():
            inside = [mode(), recorded(x)]
        return inside + [mode(), recorded(x)]

    def nested():
        with piece():
            with piece():
                innermost = mode()
            middle = mode()
        return [innermost, middle, mode()]

    def already_off():
        engine.set_grad_enabled(False)
        with piece():
            inside = mode()
        return [inside, mode()]

    def exception():
        error = KeyError("inside")
        try:
            with piece():
                raise error
        except KeyError as exc:
            return ["raised" if exc is error else "another KeyError", mode()]
        return ["swallowed", mode()]

    def reused():
        ctx, seen = piece(), []
        for _ in range(3):
            with ctx:
                seen.append(mode())
            seen.append(mode())
        return seen

    def step(t, scale=2.0):
        """Scale t."""
        return t * scale, engine.is_grad_enabled()

    def decorated_call():
        f = piece()(step)
        y, seen = f(leaf(), 3.0)
        z, _ = f(leaf(), scale=-1.5)
        return [seen, y.requires_grad, y.grad_fn is None, y.detach(), z.detach(), mode()]

    def metadata():
        f = piece()(step)
        return [f.__name__, f.__doc__]

    def call_inside_block():
        f = piece()(step)
        engine.set_grad_enabled(False)
        f(leaf())
        inside_off = mode()
        engine.set_grad_enabled(True)
        f(leaf())
        return [inside_off, mode()]

    def raising():
        def boom():
            raise ValueError("boom")
        f = piece()(boom)
        try:
            f()
        except ValueError:
            return ["raised", mode()]
        return ["swallowed", mode()]

    def recursive():
        calls = {}

        def countdown(n):
            if n == 0:
                return [engine.is_grad_enabled()]
            return [engine.is_grad_enabled()] + calls["f"](n - 1)

        calls["f"] = piece()(countdown)
        return calls["f"](4) + [mode()]

    def one_object_two_functions():
        deco = piece()
        inner = deco(step)

        def outer(t):
            return inner(t)[0] * 2, engine.is_grad_enabled()

        outer = deco(outer)
        y, seen = outer(leaf())
        return [seen, y.requires_grad, mode()]

    scenarios = {
        "a with block: [inside: mode, recorded; after: mode, recorded]": block,
        "nested blocks: mode in the inner, in the outer, after": nested,
        "a block entered with recording off: mode inside, after": already_off,
        "an exception in the block: what happened to it, mode after": exception,
        "one object for three blocks in turn: mode inside and after each": reused,
        "a decorated function with arguments": decorated_call,
        "the decorated function's name and docstring": metadata,
        "a decorated call inside a block that is off, then outside": call_inside_block,
        "a decorated function that raises": raising,
        "a decorated function that calls itself: modes down the calls, then after": recursive,
        "one decorator object on two functions, one calling the other": one_object_two_functions,
    }
    return {label: attempt(_restored(fn)) for label, fn in scenarios.items()}


# --- detach -----------------------------------------------------------------------------------

class _EngineDetachUsed(RuntimeError):
    pass


def _refuse(self):
    raise _EngineDetachUsed("the engine's detach is off")


def detach(piece, rng):
    import engine

    def call(t):
        with engine.substitute(detach=_refuse):
            return piece(t)

    def flags(t, d):
        return [d is not t, d.requires_grad, d.grad_fn is None, d.is_leaf, str(d.dtype),
                list(d.shape), np.array(d._data), t.requires_grad, t.grad_fn is not None]

    a = rng.standard_normal(4)
    b = rng.standard_normal((2, 3))

    def leaf():
        x = engine.tensor(a, dtype=engine.float64, requires_grad=True)
        return flags(x, call(x))

    def result():
        x = engine.tensor(a, dtype=engine.float64, requires_grad=True)
        y = x * 2
        return flags(y, call(y))

    def zero_d():
        y = engine.tensor(float(a[0]), dtype=engine.float64, requires_grad=True) * 3
        return flags(y, call(y))

    def float32_matrix():
        t = engine.tensor(b, dtype=engine.float32)
        return flags(t, call(t))

    def write_into_result():
        y = engine.tensor(a, dtype=engine.float64, requires_grad=True) * 2
        d = call(y)
        d.add_(1.0)
        return [np.array(y._data), np.array(d._data)]

    def write_into_t():
        t = engine.tensor(b, dtype=engine.float64)
        d = call(t)
        t[0].fill_(0.0)
        return np.array(d._data)

    def versions():
        x = engine.tensor(a, dtype=engine.float64, requires_grad=True)
        y = x.exp()
        d = call(y)
        d.zero_()
        return [y._version, d._version]

    def backward_after_write():
        x = engine.tensor(a, dtype=engine.float64, requires_grad=True)
        y = x.exp()
        call(y).mul_(2.0)
        y.sum().backward()
        return x.grad

    def gradient_around():
        x = engine.tensor(a, dtype=engine.float64, requires_grad=True)
        y = x * x
        u = call(y)
        (u * x).sum().backward()
        return [x.grad, np.array(u._data)]

    scenarios = {
        "a leaf that requires grad: the result's flags and values": leaf,
        "an op's result: the result's flags, values, and the original's": result,
        "a 0-d float64 result of an op": zero_d,
        "a 2-D float32 tensor that does not require grad": float32_matrix,
        "a write into the result: the original's values, the result's": write_into_result,
        "a write into the original: the result's values": write_into_t,
        "an in-place write through the result: both versions": versions,
        "backward through exp after an in-place write through the result": backward_after_write,
        "the gradient around the result of x * x": gradient_around,
    }
    return {label: attempt(fn) for label, fn in scenarios.items()}


# For the instructor's review (graders/grade/provenance.py): names that would mean the piece
# calls the engine's own implementation instead of being the student's work.
FORBIDDEN = {
    "no_grad": ("engine.no_grad", "engine.autograd.grad_mode", "engine.inference_mode", "torch"),
    "detach": (".detach", ".detach_", "torch"),
}
