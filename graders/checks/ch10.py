"""Visible checks of chapter 10, "Gradient checkpointing".

    from graders.checks import ch10 as check
    check.checkpoint(checkpoint)
    check.checkpoint_sequential(checkpoint_sequential)
    with check.installed(checkpoint=checkpoint, checkpoint_sequential=checkpoint_sequential):
        ...   # the engine's engine.utils.checkpoint functions are the student's

``checkpoint(function, *args)`` is compared with running ``function`` without checkpoints
(the engine's autograd on the same float64 numbers): the value, every gradient, and what must
differ: the output's graph holds no node of the segment's inside, the segment runs again in
backward (once), weights used inside get gradients even when the input is data, dropout
draws the same mask the second time and leaves the generator where it would have been,
``engine.autograd.grad`` leaves ``.grad`` alone, ``no_grad`` records nothing, checkpoints
nest, and the peak memory of a deep network drops.

``checkpoint_sequential(functions, segments, input)`` is compared with the same layers run
without checkpoints, and by which layers run again in backward: every chunk but the last.
"""

from __future__ import annotations

import contextlib
import math
import tracemalloc

import numpy as np

import engine
import engine.utils.checkpoint as _engine_ckpt
from engine.autograd.graph import AccumulateGrad

from ._judge import Trial, Wrong, run, same, tensor_text

__all__ = ["checkpoint", "checkpoint_sequential", "installed"]


# --- helpers ----------------------------------------------------------------------------------

def _f64(values, requires_grad=False):
    return engine.tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


def _weights(n, width, seed):
    rng = np.random.default_rng(seed)
    return [_f64(rng.standard_normal((width, width)) / math.sqrt(width), True) for _ in range(n)]


def _layer(h, w):
    return (h @ w).tanh()


class Counted:
    """A function that counts its calls (``calls``)."""

    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *args):
        self.calls += 1
        return self.fn(*args)


def _inner_nodes(out) -> list[str]:
    """Names of the nodes below ``out``'s own node that are not AccumulateGrad and not
    checkpoint-like: the segment's inside, if it was kept."""
    root = out.grad_fn
    if root is None:
        return []
    names, seen, stack = [], {root}, [root]
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is None or child in seen:
                continue
            seen.add(child)
            if isinstance(child, AccumulateGrad):
                continue
            names.append(child.name())
            stack.append(child)
    return names


def _grads(tensors):
    return [None if t.grad is None else t.grad.detach().numpy().copy() for t in tensors]


def _clear(tensors):
    for t in tensors:
        t.grad = None


def _first_wrong(names, got, want, hint=None):
    """A Wrong for the first gradient that differs, else None."""
    for name, g, e in zip(names, got, want):
        if not same(g, e):
            if g is None and e is not None and name.startswith("w"):
                hint = (f"{name} is used inside the segment without being an argument. "
                        + _LEAVES_HINT)
            return Wrong(f"{name}.grad = {tensor_text(e)}  (without checkpoints)",
                         f"{name}.grad = {tensor_text(g)}", hint)
    return None


def _output_problem(out, want, *, recorded=True):
    """What is wrong with the returned tensor itself, or None."""
    if not isinstance(out, engine.Tensor):
        return Wrong("a tensor: function(*args)", f"{out!r}",
                     "return the result of Checkpoint.apply(...), a tensor.")
    if not same(out, want):
        return Wrong(f"the value function(*args) = {tensor_text(want)}",
                     f"{tensor_text(out)}",
                     "Checkpoint.forward returns the value of the first run (output.detach()); "
                     "it does not compute anything else.")
    if recorded and out.grad_fn is None:
        return Wrong("a result recorded by your Checkpoint node (out.grad_fn is not None)",
                     f"out.grad_fn = None (requires_grad={out.requires_grad})",
                     "return Checkpoint.apply(function, rng_state, output.detach(), len(args), "
                     "*args, *leaves): the leaves are what gives the node edges when the "
                     "input itself does not require grad.")
    return None


# --- checkpoint(function, *args) --------------------------------------------------------------

_CK_HINT = ("follow the plan: checkpoint saves the random state, runs function on stand-ins to "
            "find the leaves, and returns Checkpoint.apply(function, rng_state, "
            "output.detach(), len(args), *args, *leaves); Checkpoint.backward runs function "
            "again on fresh stand-ins inside engine.enable_grad() and returns "
            "(None, None, None, None) + one gradient per tensor argument.")
_LEAVES_HINT = ("weights used inside the segment get their gradient only through an edge of "
                "your node: pass leaves_reached(output, exclude=stand_ins) to Checkpoint.apply "
                "after the args, and return a gradient for each of them from backward.")


def _ck_one_layer():
    def judge(student):
        rng = np.random.default_rng(10)
        x0, w0 = rng.standard_normal((3, 4)), rng.standard_normal((4, 4)) / 2
        x, w = _f64(x0, True), _f64(w0, True)
        (_layer(x, w)).sum().backward()
        want_value, want = _layer(x, w).detach(), _grads([x, w])
        _clear([x, w])
        out = student(lambda h: _layer(h, w), x)
        problem = _output_problem(out, want_value)
        if problem:
            return problem
        out.sum().backward()
        return _first_wrong(["x", "w"], _grads([x, w]), want)

    return Trial("one layer (h @ w).tanh(); x and w require grad",
                 "x: 3x4, w: 4x4, both requires_grad=True; out = checkpoint(lambda h: "
                 "(h @ w).tanh(), x); out.sum().backward()", judge, _CK_HINT)


def _ck_not_kept():
    def judge(student):
        x, (w1, w2, w3) = _f64(np.linspace(-1, 1, 12).reshape(3, 4), True), _weights(3, 4, 11)
        segment = Counted(lambda h: _layer(_layer(_layer(h, w1), w2), w3))
        plain = segment.fn(x)
        plain.sum().backward()
        want_value, want = plain.detach(), _grads([x, w1, w2, w3])
        _clear([x, w1, w2, w3])
        out = student(segment, x)
        problem = _output_problem(out, want_value)
        if problem:
            return problem
        inside = _inner_nodes(out)
        if inside:
            shown = ", ".join(sorted(set(inside)))
            return Wrong("out's graph: your node, then only the AccumulateGrad nodes of x, "
                         "w1, w2 and w3",
                         f"out's graph reaches {shown}: the segment's inside was kept",
                         "the segment's record must not stay attached to the result: return "
                         "Checkpoint.apply(..., output.detach(), ...), and run the first pass "
                         "on stand-ins (a.detach().requires_grad_(a.requires_grad)).")
        before = segment.calls
        out.sum().backward()
        again = segment.calls - before
        if again != 1:
            return Wrong("the segment runs once more during backward",
                         f"it ran {again} times during backward",
                         "Checkpoint.backward calls ctx.function(*stand_ins) exactly once.")
        return _first_wrong(["x", "w1", "w2", "w3"], _grads([x, w1, w2, w3]), want)

    return Trial("three layers: the inside is not kept, and is computed again in backward",
                 "x: 3x4 requires grad; w1, w2, w3: 4x4 weights; out = checkpoint(segment, x) "
                 "with segment(h) = three (h @ w).tanh() layers; out.sum().backward()",
                 judge, _CK_HINT)


def _ck_data_input():
    def judge(student):
        rng = np.random.default_rng(12)
        x = _f64(rng.standard_normal((5, 4)))
        w1, w2 = _weights(2, 4, 13)
        plain = _layer(_layer(x, w1), w2)
        plain.sum().backward()
        want_value, want = plain.detach(), _grads([w1, w2])
        _clear([w1, w2])
        out = student(lambda h: _layer(_layer(h, w1), w2), x)
        if isinstance(out, engine.Tensor) and same(out, want_value) and out.grad_fn is None:
            return Wrong("a result that requires grad: w1 and w2 are used inside",
                         "a result with no grad_fn: nothing was recorded", _LEAVES_HINT)
        problem = _output_problem(out, want_value)
        if problem:
            return problem
        out.sum().backward()
        return _first_wrong(["w1", "w2"], _grads([w1, w2]), want, _LEAVES_HINT)

    return Trial("the input is data (no grad); the weights used inside require grad",
                 "x: 5x4 data; w1, w2: 4x4, requires_grad=True; out = checkpoint(lambda h: "
                 "((h @ w1).tanh() @ w2).tanh(), x); out.sum().backward()", judge, _LEAVES_HINT)


def _ck_two_inputs():
    def judge(student):
        rng = np.random.default_rng(14)
        a = _f64(rng.standard_normal((2, 3)), True)
        b = _f64(rng.standard_normal((2, 3)))
        (w,) = _weights(1, 3, 15)

        def segment(p, q):
            return (p * q).exp() @ w

        plain = segment(a, b)
        plain.sum().backward()
        want_value, want = plain.detach(), _grads([a, w])
        _clear([a, w])
        out = student(segment, a, b)
        problem = _output_problem(out, want_value)
        if problem:
            return problem
        out.sum().backward()
        if b.grad is not None:
            return Wrong("b.grad = None (b does not require grad)",
                         f"b.grad = {tensor_text(b.grad)}",
                         "return None for a tensor that does not require grad.")
        return _first_wrong(["a", "w"], _grads([a, w]), want)

    return Trial("two inputs, only the first requires grad",
                 "a: 2x3 requires grad, b: 2x3 data, w: 3x3 requires grad; out = "
                 "checkpoint(lambda p, q: (p * q).exp() @ w, a, b); out.sum().backward()",
                 judge, "backward returns four Nones, then one gradient per tensor argument "
                        "in order: a, b, then the leaves.")


def _ck_chain():
    def judge(student):
        rng = np.random.default_rng(16)
        x = _f64(rng.standard_normal((4, 3)))
        ws = _weights(6, 3, 17)
        h = x
        for w in ws:
            h = _layer(h, w)
        h.sum().backward()
        want = _grads(ws)
        _clear(ws)
        h = x
        for start in range(0, 6, 2):
            def segment(t, chunk=ws[start:start + 2]):
                for w in chunk:
                    t = _layer(t, w)
                return t
            h = student(segment, h)
            if not isinstance(h, engine.Tensor):
                return Wrong("a tensor from each checkpoint", f"{h!r}", _CK_HINT)
        h.sum().backward()
        return _first_wrong([f"w{i + 1}" for i in range(6)], _grads(ws), want, _LEAVES_HINT)

    return Trial("six layers in three checkpointed segments, fed data",
                 "x: 4x3 data; w1..w6: 3x3 weights; h = x; three times: h = checkpoint(two "
                 "layers, h); h.sum().backward()", judge, _CK_HINT)


def _ck_autograd_grad():
    def judge(student):
        rng = np.random.default_rng(18)
        x = _f64(rng.standard_normal((3, 4)))
        w1, w2 = _weights(2, 4, 19)
        want = engine.autograd.grad(_layer(_layer(x, w1), w2).sum(), [w1, w2])
        out = student(lambda h: _layer(_layer(h, w1), w2), x)
        problem = _output_problem(out, _layer(_layer(x, w1), w2).detach())
        if problem:
            return problem
        got = engine.autograd.grad(out.sum(), [w1, w2])
        if w1.grad is not None or w2.grad is not None:
            return Wrong("w1.grad and w2.grad still None: autograd.grad returns gradients "
                         "and touches no .grad",
                         f"w1.grad = {tensor_text(w1.grad)}",
                         "inside backward, differentiate with engine.autograd.grad(output, "
                         "wanted, grad_output, allow_unused=True), not output.backward(...): "
                         "backward would add into the weights' .grad itself.")
        return _first_wrong(["autograd.grad(...)[0]: w1", "autograd.grad(...)[1]: w2"],
                            list(got), list(want), _LEAVES_HINT)

    def explain(exc: BaseException) -> str | None:
        if "appears to not have been used" in str(exc):
            return ("your node sent no gradient to w1 or w2: inside backward, compute the "
                    "leaves' gradients with engine.autograd.grad(output, wanted, grad_output, "
                    "allow_unused=True) and return them, rather than calling "
                    "output.backward(...), which adds into .grad behind the engine's back.")
        return _ck_explain(exc)

    return Trial("engine.autograd.grad through a checkpoint",
                 "x: 3x4 data; w1, w2: 4x4 weights; out = checkpoint(two layers, x); "
                 "engine.autograd.grad(out.sum(), [w1, w2])", judge, _CK_HINT, explain)


def _dropout_segment(w):
    def segment(h):
        return engine.nn.functional.dropout(_layer(h, w), p=0.5)
    return segment


def _ck_dropout():
    def judge(student):
        rng = np.random.default_rng(20)
        x = _f64(rng.standard_normal((6, 5)), True)
        (w,) = _weights(1, 5, 21)
        engine.manual_seed(7)
        plain = _dropout_segment(w)(x)
        engine.rand(3, dtype=engine.float64)  # other code draws between forward and backward
        plain.sum().backward()
        after_plain = engine.rand(4, dtype=engine.float64).numpy()
        want_value, want = plain.detach(), _grads([x, w])
        _clear([x, w])
        engine.manual_seed(7)
        out = student(_dropout_segment(w), x)
        problem = _output_problem(out, want_value)
        if problem:
            return problem
        engine.rand(3, dtype=engine.float64)
        out.sum().backward()
        after = engine.rand(4, dtype=engine.float64).numpy()
        wrong = _first_wrong(["x", "w"], _grads([x, w]), want,
                             "the second run drew a different dropout mask: save "
                             "engine.get_rng_state() before the first run and "
                             "engine.set_rng_state(ctx.rng_state) before running the segment "
                             "again in backward.")
        if wrong:
            return wrong
        if not np.array_equal(after, after_plain):
            return Wrong("after backward, the generator where it would be without "
                         f"checkpoints: engine.rand(4) = {tensor_text(after_plain)}",
                         f"engine.rand(4) = {tensor_text(after)}",
                         "after the second run, put back the state the generator had when "
                         "backward started (found_state = engine.get_rng_state() first, "
                         "engine.set_rng_state(found_state) in a finally:).")
        return None

    return Trial("dropout inside the segment: the second run must draw the same mask",
                 "engine.manual_seed(7); x: 6x5 requires grad, w: 5x5; out = checkpoint("
                 "lambda h: dropout((h @ w).tanh(), p=0.5), x); engine.rand(3); "
                 "out.sum().backward(); then engine.rand(4)", judge, _CK_HINT)


def _ck_no_grad():
    def judge(student):
        x = _f64(np.linspace(-1, 1, 6).reshape(2, 3), True)
        (w,) = _weights(1, 3, 22)
        segment = Counted(lambda h: _layer(h, w))
        with engine.no_grad():
            want = segment.fn(x)
            out = student(segment, x)
        problem = _output_problem(out, want, recorded=False)
        if problem:
            return problem
        if out.requires_grad or out.grad_fn is not None:
            return Wrong("a plain result: requires_grad=False, no grad_fn",
                         f"requires_grad={out.requires_grad}, grad_fn={out.grad_fn!r}",
                         "when engine.is_grad_enabled() is False, return function(*args).")
        if segment.calls != 1:
            return Wrong("the segment runs once", f"it ran {segment.calls} times",
                         "under no_grad nothing will run backward: just return "
                         "function(*args).")
        return None

    return Trial("under engine.no_grad(): a plain result, the segment run once",
                 "with engine.no_grad(): out = checkpoint(lambda h: (h @ w).tanh(), x)",
                 judge, "when engine.is_grad_enabled() is False, return function(*args).")


def _ck_nested():
    def judge(student):
        rng = np.random.default_rng(23)
        x = _f64(rng.standard_normal((2, 4)), True)
        w1, w2, w3 = _weights(3, 4, 24)
        _layer(_layer(_layer(x, w1), w2), w3).sum().backward()
        want = _grads([x, w1, w2, w3])
        _clear([x, w1, w2, w3])

        def inner(h):
            return _layer(_layer(h, w1), w2)

        def outer(h):
            return _layer(student(inner, h), w3)

        out = student(outer, x)
        if not isinstance(out, engine.Tensor):
            return Wrong("a tensor", f"{out!r}", _CK_HINT)
        out.sum().backward()
        return _first_wrong(["x", "w1", "w2", "w3"], _grads([x, w1, w2, w3]), want)

    return Trial("a checkpoint inside a checkpoint",
                 "inner(h) = two layers; outer(h) = checkpoint(inner, h) then a third layer; "
                 "out = checkpoint(outer, x); out.sum().backward()", judge, _CK_HINT)


def _peak(step) -> int:
    tracemalloc.start()
    try:
        step()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def peak_ratio(student_checkpoint, n_layers=24, every=6, batch=512, width=32, seed=25):
    """Peak traced memory of forward+backward with ``student_checkpoint`` every ``every``
    layers, over the peak without checkpoints."""
    ws = _weights(n_layers, width, seed)
    x = _f64(np.random.default_rng(seed).standard_normal((batch, width)))

    def plain():
        h = x
        for w in ws:
            h = _layer(h, w)
        h.sum().backward()

    def checkpointed():
        h = x
        for start in range(0, n_layers, every):
            def segment(t, chunk=ws[start:start + every]):
                for w in chunk:
                    t = _layer(t, w)
                return t
            h = student_checkpoint(segment, h)
        h.sum().backward()

    base = _peak(plain)
    _clear(ws)
    return _peak(checkpointed) / base


def _ck_memory():
    def judge(student):
        ratio = peak_ratio(student)
        if ratio < 0.8:
            return None
        return Wrong("a peak below 0.8 x the peak without checkpoints (about 0.5 x)",
                     f"{ratio:.2f} x", "keep only the segments' inputs: nothing computed "
                                       "inside a segment may stay alive until backward.")

    return Trial("memory: 24 layers of 512 x 32 in segments of 6",
                 "the peak memory of forward + backward (tracemalloc), checkpointed against "
                 "not", judge, _CK_HINT)


def _ck_explain(exc: BaseException) -> str | None:
    text = str(exc)
    if "a second time" in text:
        return ("backward must run the segment on fresh stand-ins "
                "(t.detach().requires_grad_(t.requires_grad) for each saved tensor): run on "
                "the saved tensors themselves, autograd.grad walks on into the graph before "
                "the segment and frees it.")
    if "does not require grad and does not have a grad_fn" in text:
        return ("the second run must be recorded: run ctx.function(*stand_ins) inside "
                "`with engine.enable_grad():` (backward runs with recording off), and give "
                "the stand-ins requires_grad like the originals.")
    if "incorrect number of gradients" in text:
        return ("backward returns one gradient per argument of forward: None for function, "
                "rng_state, value and n_inputs, then one per tensor (inputs, then leaves).")
    if "does not require grad" in text:
        return "ask engine.autograd.grad only for the stand-ins and leaves that require grad."
    if "appears to not have been used" in text:
        return "pass allow_unused=True to engine.autograd.grad: an input may not be used."
    if "NoneType" in text and "detach" in text:
        return "checkpoint returns function(*args)'s value through Checkpoint.apply."
    return None


_CK_TRIALS = [_ck_one_layer, _ck_not_kept, _ck_data_input, _ck_two_inputs, _ck_chain,
              _ck_autograd_grad, _ck_dropout, _ck_no_grad, _ck_nested, _ck_memory]


def _with_explain(trial: Trial) -> Trial:
    trial.explain_error = trial.explain_error or _ck_explain
    return trial


def _function_problem(name):
    def problem(obj):
        return None if callable(obj) else f"expected a function, got {type(obj).__name__} {obj!r}"
    return problem


def checkpoint(student_fn) -> None:
    """Check ``checkpoint(function, *args)`` against runs without checkpoints."""
    __tracebackhide__ = True
    try:
        run("checkpoint", student_fn, [_with_explain(t()) for t in _CK_TRIALS],
            expected_kind=_function_problem("checkpoint"),
            missing_hint="run the exercise cell that defines `checkpoint` first.")
    finally:
        engine.manual_seed(0)  # the dropout case reseeds; leave the generator seeded


# --- checkpoint_sequential(functions, segments, input) ----------------------------------------

def _expected_again(n, segments):
    size = math.ceil(n / segments)
    last = (n - 1) // size * size  # where the last chunk starts
    return [1] * last + [0] * (n - last)


def _seq_trial(n, segments, needs_grad=True, what=None):
    size = math.ceil(n / segments)
    chunks = [min(size, n - i) for i in range(0, n, size)]

    def judge(student):
        rng = np.random.default_rng(100 + 7 * n + segments)
        x = _f64(rng.standard_normal((3, 4)), needs_grad)
        ws = _weights(n, 4, 200 + n)
        tensors = ws + ([x] if needs_grad else [])
        names = [f"w{i + 1}" for i in range(n)] + (["x"] if needs_grad else [])
        h = x
        for w in ws:
            h = _layer(h, w)
        h.sum().backward()
        want_value, want = h.detach(), _grads(tensors)
        _clear(tensors)
        layers = [Counted(lambda t, w=w: _layer(t, w)) for w in ws]
        out = student(layers, segments, x)
        if not isinstance(out, engine.Tensor):
            return Wrong("a tensor: the last layer's result", f"{out!r}",
                         "return the result of running the last chunk.")
        if not same(out, want_value):
            return Wrong(f"the layers applied in order: {tensor_text(want_value)}",
                         tensor_text(out), "apply every function once, in order, each to the "
                                           "previous one's result.")
        forward = [f.calls for f in layers]
        out.sum().backward()
        again = [f.calls - c for f, c in zip(layers, forward)]
        expected = _expected_again(n, segments)
        if again != expected:
            if again == [1] * n:
                hint = ("the last chunk is checkpointed too: run it directly, its activations "
                        "are needed as soon as backward starts.")
            elif not any(again) and any(expected):
                hint = ("no layer ran again in backward: run every chunk but the last "
                        "through checkpoint(...).")
            else:
                hint = (f"cut the {n} layers into chunks of math.ceil({n} / {segments}) = "
                        f"{size}: {chunks}; checkpoint every chunk but the last.")
            return Wrong(f"layers run again during backward: {expected}",
                         f"{again}", hint)
        return _first_wrong(names, _grads(tensors), want, _LEAVES_HINT)

    text = what or f"{n} layers in {segments} segments: chunks of {chunks}"
    inputs = (f"x: 3x4{' requires grad' if needs_grad else ' data'}; {n} layers "
              f"(h @ w).tanh(); out = checkpoint_sequential(layers, {segments}, x); "
              "out.sum().backward()")
    return Trial(text, inputs, judge,
                 "cut the list into chunks of math.ceil(len(functions) / segments), run every "
                 "chunk but the last through checkpoint, the last directly.", _seq_explain)


def _seq_explain(exc: BaseException) -> str | None:
    if isinstance(exc, (ZeroDivisionError, ValueError)) and "range" in str(exc):
        return "the chunk size is math.ceil(len(functions) / segments): at least 1."
    return _ck_explain(exc)


_SEQ_TRIALS = [
    (6, 3, True, None),
    (7, 3, True, None),
    (9, 4, True, "9 layers in 4 segments: chunks of 3, so only 3 chunks"),
    (4, 1, True, "4 layers in 1 segment: nothing is checkpointed"),
    (5, 5, True, None),
    (8, 4, False, "8 layers in 4 segments, fed data: the weights still get gradients"),
]


def checkpoint_sequential(student_fn) -> None:
    """Check ``checkpoint_sequential(functions, segments, input)``."""
    __tracebackhide__ = True
    run("checkpoint_sequential", student_fn, [_seq_trial(*t) for t in _SEQ_TRIALS],
        expected_kind=_function_problem("checkpoint_sequential"),
        missing_hint="run the exercise cell that defines `checkpoint_sequential` first.")


# --- your engine ------------------------------------------------------------------------------

@contextlib.contextmanager
def installed(checkpoint=None, checkpoint_sequential=None):
    """Inside the block, ``engine.utils.checkpoint.checkpoint`` (and ``checkpoint_sequential``)
    are the given functions."""
    from ..myengine.adapters import checkpoint_from

    saved = {name: getattr(_engine_ckpt, name) for name in ("checkpoint",
                                                            "checkpoint_sequential")}
    try:
        if checkpoint is not None:
            _engine_ckpt.checkpoint = checkpoint_from(checkpoint)
        if checkpoint_sequential is not None:
            _engine_ckpt.checkpoint_sequential = checkpoint_sequential
        yield
    finally:
        for name, value in saved.items():
            setattr(_engine_ckpt, name, value)
