"""Visible checks of chapter 06, "Switching autograd off".

    from graders.checks import ch06 as check
    check.no_grad(no_grad)
    check.detach(detach)

``no_grad`` (a class) is used the ways the engine's is: as a ``with`` block, nested, around
an exception, reused, and as a decorator (arguments, name and docstring, an exception, a call
from inside a block, a function that calls itself). Each case reads the engine's switch,
``engine.is_grad_enabled()``, and whether an operation was recorded. While the check runs, the
engine's own ``no_grad``, ``enable_grad`` and ``inference_mode`` are switched off, and the
mode is restored after every case, whatever the student's class did.

``detach(t)`` is compared with what the engine's ``Tensor.detach`` guarantees: a new leaf that
does not require grad, the same values in the same memory (a write through either tensor shows
in the other), the same version counter (an in-place change through the detached tensor is
noticed by a backward that needs the original), and a gradient that flows around it. While the
student's function runs, the engine's ``Tensor.detach`` is switched off.
"""

from __future__ import annotations

import contextlib
import functools

import numpy as np

import engine
from engine import Tensor
from engine.autograd import grad_mode

from ._judge import Trial, Wrong, array_text, run

__all__ = ["no_grad", "detach"]

_MODES = ("no_grad", "enable_grad", "inference_mode")
_INPLACE_TEXT = "one of the variables needed for gradient computation has been modified"


# --- no_grad ----------------------------------------------------------------------------------

class EngineModeUsed(RuntimeError):
    """The student's no_grad used one of the engine's grad-mode classes."""


def _tripwire(name):
    def refuse(*args, **kwargs):
        raise EngineModeUsed(f"engine.{name} is switched off while this check runs")
    return refuse


@contextlib.contextmanager
def _engine_modes_off():
    """engine.no_grad, enable_grad and inference_mode raise inside the block."""
    owners = (engine, engine.autograd)
    saved = [(owner, name, getattr(owner, name)) for owner in owners for name in _MODES
             if hasattr(owner, name)]
    try:
        for owner, name, _ in saved:
            setattr(owner, name, _tripwire(name))
        yield
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)


def _enabled() -> bool:
    return engine.is_grad_enabled()


def _on_off(flag: bool) -> str:
    return "on" if flag else "off"


def _leaf():
    return engine.tensor([1.0, 2.0], requires_grad=True)


def _recorded(x) -> bool:
    return (x * 2).grad_fn is not None


_REMEMBER = ("__exit__ must put back the mode that was on when __enter__ ran: remember "
             "engine.is_grad_enabled() in __enter__ (on self) and pass it to "
             "engine.set_grad_enabled in __exit__, instead of switching recording on.")
_FRESH = ("each call needs its own no_grad object: in the wrapper write `with type(self)():` "
          "(or `with no_grad():`), not `with self:`, so an inner call cannot overwrite what "
          "the outer call remembered.")


def _inside_wrong(inside_enabled: bool, inside_recorded: bool, where: str) -> Wrong | None:
    if inside_enabled or inside_recorded:
        return Wrong(f"{where}: recording off (is_grad_enabled() False, x * 2 not recorded)",
                     f"{where}: is_grad_enabled() {inside_enabled}, x * 2 "
                     f"{'recorded' if inside_recorded else 'not recorded'}",
                     "switch recording off in __enter__ with engine.set_grad_enabled(False) "
                     "(the engine's own switch: a flag of your own does not stop recording).")
    return None


def _after_wrong(after: bool, want: bool, where: str, hint: str) -> Wrong | None:
    if after != want:
        return Wrong(f"{where}: recording {_on_off(want)}", f"{where}: recording "
                     f"{_on_off(after)}", hint)
    return None


def _ng_block(student):
    x = _leaf()
    with student():
        inside = (_enabled(), _recorded(x))
    after = _enabled()
    return (_inside_wrong(*inside, "inside the block")
            or _after_wrong(after, True, "after the block", "restore the mode in __exit__: "
                            "engine.set_grad_enabled(<the mode remembered in __enter__>)."))


def _ng_nested(student):
    with student():
        with student():
            pass
        middle = _enabled()
    after = _enabled()
    return (_after_wrong(middle, False, "after the inner block, inside the outer one", _REMEMBER)
            or _after_wrong(after, True, "after the outer block", _REMEMBER))


def _ng_already_off(student):
    engine.set_grad_enabled(False)
    with student():
        inside = _enabled()
    after = _enabled()
    return (_after_wrong(inside, False, "inside the block", "switch recording off in "
                         "__enter__ with engine.set_grad_enabled(False).")
            or _after_wrong(after, False, "after the block (it was off before)", _REMEMBER))


def _ng_exception(student):
    error = KeyError("raised inside the block")
    caught = None
    try:
        with student():
            raise error
    except KeyError as exc:
        caught = exc
    after = _enabled()
    if caught is not error:
        return Wrong("the KeyError raised in the block goes on to the caller",
                     "it was swallowed", "__exit__ returned a true value, which tells Python to "
                     "swallow the exception: return nothing from __exit__.")
    return _after_wrong(after, True, "after the block that raised", "__exit__ runs even when "
                        "the block raises: restore the mode there, whatever happened.")


def _ng_reused(student):
    ctx = student()
    seen = []
    for _ in range(2):
        with ctx:
            seen.append(_enabled())
        seen.append(_enabled())
    if seen != [False, True, False, True]:
        return Wrong("off, on, off, on (inside and after each block)",
                     ", ".join(_on_off(s) for s in seen),
                     "__enter__ must work every time it is called: remember the mode and "
                     "switch recording off there, not in __init__.")
    return None


def step(t, scale=2.0):
    """Scale t; report whether recording was on."""
    return t * scale, engine.is_grad_enabled()


def _decorate(student, fn):
    decorated = student()(fn)
    if decorated is None:
        return None, Wrong("a function (the wrapper)", "None",
                           "__call__(self, func) must return the wrapper function it defines.")
    if not callable(decorated):
        return None, Wrong("a function (the wrapper)", repr(decorated),
                           "__call__(self, func) must return a function that calls func.")
    return decorated, None


def _ng_decorator(student):
    decorated, wrong = _decorate(student, step)
    if wrong:
        return wrong
    x = _leaf()
    result = decorated(x)
    after = _enabled()
    if not (isinstance(result, tuple) and len(result) == 2):
        return Wrong("(x * 2.0, False): what step returns", repr(result),
                     "the wrapper must return what the function returns: "
                     "`return func(*args, **kwargs)` inside the block.")
    y, seen = result
    return (_inside_wrong(seen, y.grad_fn is not None, "during the call")
            or _after_wrong(after, True, "after the call", "the wrapper must restore the mode "
                            "when the call ends: run the call inside a `with` block of a "
                            "no_grad object."))


def _ng_arguments(student):
    decorated, wrong = _decorate(student, step)
    if wrong:
        return wrong
    x = _leaf()
    y1, _ = decorated(x, 5.0)
    y2, _ = decorated(x, scale=3.0)
    got = [y1.tolist(), y2.tolist()]
    if got != [[5.0, 10.0], [3.0, 6.0]]:
        return Wrong("[[5.0, 10.0], [3.0, 6.0]]", str(got),
                     "pass every argument on: def wrapper(*args, **kwargs): ... "
                     "func(*args, **kwargs).")
    return None


def _ng_metadata(student):
    decorated, wrong = _decorate(student, step)
    if wrong:
        return wrong
    got = (getattr(decorated, "__name__", None), getattr(decorated, "__doc__", None))
    if got != (step.__name__, step.__doc__):
        return Wrong(f"__name__ {step.__name__!r}, __doc__ {step.__doc__!r}",
                     f"__name__ {got[0]!r}, __doc__ {got[1]!r}",
                     "decorate the wrapper with @functools.wraps(func): it copies the name and "
                     "docstring of func onto it.")
    return None


def _ng_call_inside_block(student):
    decorated, wrong = _decorate(student, step)
    if wrong:
        return wrong
    engine.set_grad_enabled(False)
    decorated(_leaf())
    return _after_wrong(_enabled(), False, "after the call, back in the block that had "
                        "switched recording off", _REMEMBER)


def _ng_decorated_raises(student):
    error = ValueError("raised by the decorated function")

    def boom():
        raise error

    decorated, wrong = _decorate(student, boom)
    if wrong:
        return wrong
    caught = None
    try:
        decorated()
    except ValueError as exc:
        caught = exc
    if caught is not error:
        return Wrong("the ValueError goes on to the caller", "it was swallowed",
                     "do not catch the function's exceptions; return nothing from __exit__.")
    return _after_wrong(_enabled(), True, "after the call that raised", "restore the mode "
                        "even when the function raises: a `with` block does it for you.")


def _ng_recursive(student):
    calls = {}

    def countdown(n):
        """Call itself n times; report the mode at the bottom."""
        if n == 0:
            return engine.is_grad_enabled()
        return calls["f"](n - 1)

    decorated, wrong = _decorate(student, countdown)
    if wrong:
        return wrong
    calls["f"] = decorated
    bottom = decorated(3)
    return (_after_wrong(bottom, False, "at the bottom of the calls", "switch recording off "
                         "for every call of the decorated function.")
            or _after_wrong(_enabled(), True, "after the outermost call", _FRESH))


_NG_TRIALS = [
    ("a with block switches recording off, and back on after it",
     "x = tensor([1., 2.], requires_grad=True); with no_grad(): y = x * 2", _ng_block),
    ("nested blocks",
     "with no_grad(): (with no_grad(): pass); <here?>", _ng_nested),
    ("a block entered while recording is already off",
     "engine.set_grad_enabled(False); with no_grad(): pass; <here?>", _ng_already_off),
    ("an exception raised inside the block",
     "with no_grad(): raise KeyError(...)", _ng_exception),
    ("one no_grad object used for two blocks in turn",
     "ctx = no_grad(); with ctx: ...; with ctx: ...", _ng_reused),
    ("@no_grad() on a function",
     "@no_grad() def step(t, scale=2.0): return t * scale, engine.is_grad_enabled(); step(x)",
     _ng_decorator),
    ("arguments reach the decorated function",
     "step(x, 5.0) and step(x, scale=3.0)", _ng_arguments),
    ("the decorated function keeps its name and docstring",
     "step.__name__, step.__doc__", _ng_metadata),
    ("a decorated function called inside a block that switched recording off",
     "engine.set_grad_enabled(False); step(x); <here?>", _ng_call_inside_block),
    ("a decorated function that raises",
     "@no_grad() def boom(): raise ValueError(...); boom()", _ng_decorated_raises),
    ("a decorated function that calls itself",
     "@no_grad() def countdown(n): return ... if n == 0 else countdown(n - 1); countdown(3)",
     _ng_recursive),
]

_NG_HINT = ("remember engine.is_grad_enabled() and call engine.set_grad_enabled(False) in "
            "__enter__; put the remembered mode back in __exit__; __call__(self, func) returns "
            "a wrapper that runs func inside `with type(self)():`.")


def _ng_explain(exc: BaseException) -> str | None:
    if isinstance(exc, EngineModeUsed):
        return ("build your class on engine.is_grad_enabled() and engine.set_grad_enabled(mode) "
                "alone, not on the engine's no_grad, enable_grad or inference_mode.")
    if isinstance(exc, TypeError) and "argument" in str(exc):
        return ("no_grad() takes no arguments, and __call__ takes the function to decorate: "
                "`def __call__(self, func)`.")
    if isinstance(exc, AttributeError):
        return ("__exit__ reads what __enter__ stored on self (self.previous = ...): store it "
                "there first.")
    return None


def _restoring(judge):
    """Run a case, then put recording back on, whatever the student's class did."""
    @functools.wraps(judge)
    def run_case(student):
        try:
            return judge(student)
        finally:
            grad_mode.switch(True)
    return run_case


def _ng_problem(obj) -> str | None:
    if not isinstance(obj, type):
        return f"expected a class, got {type(obj).__name__} {obj!r}"
    if issubclass(obj, grad_mode._DecoratorContextManager):
        return ("`no_grad` is built on one of the engine's grad-mode classes: write the "
                "methods yourself")
    missing = [m for m in ("__enter__", "__exit__", "__call__") if not hasattr(obj, m)]
    if missing:
        return f"`no_grad` has no {', '.join(missing)} method"
    return None


def no_grad(student_cls) -> None:
    """Check a ``no_grad`` class: as a block (nested, reused, around an exception) and as a
    decorator."""
    __tracebackhide__ = True
    trials = [Trial(what, inputs, _restoring(judge), _NG_HINT, _ng_explain)
              for what, inputs, judge in _NG_TRIALS]
    before = grad_mode._state.enabled
    try:
        grad_mode.switch(True)
        with _engine_modes_off():
            run("no_grad", student_cls, trials, expected_kind=_ng_problem,
                missing_hint="define `class no_grad:` with __enter__, __exit__ and __call__, "
                             "run that cell, then this one.")
    finally:
        grad_mode.switch(before)


# --- detach -----------------------------------------------------------------------------------

class EngineDetachUsed(RuntimeError):
    """The student's detach called the engine's Tensor.detach."""


def _no_engine_detach(self):
    raise EngineDetachUsed("the engine's Tensor.detach is switched off while this check runs")


def _call(student, t):
    """student(t) with the engine's detach switched off."""
    with engine.substitute(detach=_no_engine_detach):
        return student(t)


def _f64(values, requires_grad=False):
    return engine.tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


def _values(t) -> str:
    return array_text(t._data)


def _describe(d) -> str:
    if not isinstance(d, Tensor):
        return repr(d)
    return (f"tensor {_values(d)}, requires_grad={d.requires_grad}, "
            f"grad_fn={'None' if d.grad_fn is None else d.grad_fn.name()}")


def _basic_wrong(t, d) -> Wrong | None:
    """What is wrong with d = detach(t) on its own: a new leaf, t's values, no history."""
    expected = f"a new tensor {_values(t)}, requires_grad=False, grad_fn=None"
    if d is None:
        return Wrong(expected, "None", "return the new tensor.")
    if not isinstance(d, Tensor):
        return Wrong(expected, f"a {type(d).__name__}: {d!r}",
                     "return an engine tensor: make_tensor(array, vc=...) wraps an array.")
    if d is t:
        return Wrong(expected, "t itself", "detach returns a new tensor and leaves t as it "
                     "was: t keeps its history and its requires_grad.")
    if tuple(d.shape) != tuple(t.shape) or d._data.dtype != t._data.dtype:
        return Wrong(f"{expected}, shape {tuple(t.shape)}, dtype {t.dtype}",
                     f"shape {tuple(d.shape)}, dtype {d.dtype}",
                     "wrap t's own array (t._data): same shape, same dtype.")
    if not np.array_equal(d._data, t._data):
        return Wrong(expected, _describe(d), "the values are t's own: wrap t._data.")
    if d.requires_grad or d.grad_fn is not None:
        return Wrong(expected, _describe(d), "a detached tensor has no history: a leaf "
                     "(grad_fn None) that does not require grad; make_tensor gives you one.")
    return None


def _t_unchanged(name, t, requires_grad, grad_fn) -> Wrong | None:
    if t.requires_grad != requires_grad or t.grad_fn is not grad_fn:
        return Wrong(f"{name} unchanged: requires_grad={requires_grad}, grad_fn="
                     f"{'None' if grad_fn is None else grad_fn.name()}",
                     f"{name}: requires_grad={t.requires_grad}, grad_fn="
                     f"{'None' if t.grad_fn is None else t.grad_fn.name()}",
                     "do not change t (that would be detach_, in place): build a new tensor.")
    return None


def _d_leaf(student):
    x = _f64([1.0, 2.0, 3.0], True)
    d = _call(student, x)
    return _basic_wrong(x, d) or _t_unchanged("x", x, True, None)


def _d_result(student):
    x = _f64([1.0, 2.0, 3.0], True)
    y = x * 2
    node = y.grad_fn
    d = _call(student, y)
    return _basic_wrong(y, d) or _t_unchanged("y", y, True, node)


def _d_write_into_result(student):
    y = _f64([1.0, 2.0, 3.0], True) * 2
    d = _call(student, y)
    wrong = _basic_wrong(y, d)
    if wrong:
        return wrong
    d.add_(1)
    if y.tolist() != [3.0, 5.0, 7.0]:
        return Wrong("y = [3., 5., 7.]: the write into d shows in y (same memory)",
                     f"y = {_values(y)}, d = {_values(d)}",
                     "your tensor holds a copy: wrap t._data itself (make_tensor does not "
                     "copy; engine.tensor and .copy() do).")
    return None


def _d_write_into_t(student):
    t = _f64([[1.0, 2.0], [3.0, 4.0]])
    d = _call(student, t)
    wrong = _basic_wrong(t, d)
    if wrong:
        return wrong
    t[0].fill_(0.0)
    if d.tolist() != [[0.0, 0.0], [3.0, 4.0]]:
        return Wrong("d = [[0., 0.], [3., 4.]]: the write into t shows in d (same memory)",
                     f"d = {_values(d)}", "your tensor holds a copy: wrap t._data itself.")
    return None


def _d_version(student):
    x = _f64([0.0, 1.0, 2.0], True)
    y = x.exp()
    d = _call(student, y)
    wrong = _basic_wrong(y, d)
    if wrong:
        return wrong
    d.zero_()
    error = None
    try:
        y.sum().backward()
    except RuntimeError as exc:
        error = str(exc)
    if error is None or not error.startswith(_INPLACE_TEXT):
        got = ("no error: the backward pass used the zeros as if they were exp(x)"
               if error is None else f"RuntimeError: {error}")
        return Wrong("RuntimeError: one of the variables needed for gradient computation has "
                     "been modified by an inplace operation: ...", got,
                     "your tensor has a version counter of its own, so the write went "
                     "unnoticed: share t's counter, make_tensor(t._data, vc=t._vc). (t.data "
                     "shares the memory but not the counter.)")
    return None


def _d_gradient_around(student):
    x = _f64([0.0, 1.0, 2.0, 3.0], True)
    y = x * x
    u = _call(student, y)
    wrong = _basic_wrong(y, u)
    if wrong:
        return wrong
    (u * x).sum().backward()
    if x.grad is None or not np.array_equal(x.grad._data, u._data):
        return Wrong("x.grad = u = [0., 1., 4., 9.]: the gradient flows around u",
                     f"x.grad = {None if x.grad is None else _values(x.grad)}",
                     "u must be a constant to the graph: no grad_fn, requires_grad False.")
    return None


def _d_shapes(student):
    for t in (_f64(2.5, True) * 3, engine.ones(2, 3, dtype=engine.float32) * 0.5):
        d = _call(student, t)
        wrong = _basic_wrong(t, d)
        if wrong:
            return wrong
    return None


_D_TRIALS = [
    ("a leaf that requires grad",
     "x = tensor([1., 2., 3.], dtype=float64, requires_grad=True); detach(x)", _d_leaf),
    ("the result of an operation",
     "x as above; y = x * 2; detach(y)", _d_result),
    ("a write into the result shows in t",
     "y = x * 2; d = detach(y); d.add_(1); y?", _d_write_into_result),
    ("a write into t shows in the result",
     "t = tensor([[1., 2.], [3., 4.]]); d = detach(t); t[0].fill_(0.); d?", _d_write_into_t),
    ("the version counter is shared",
     "x = tensor([0., 1., 2.], requires_grad=True); y = x.exp(); d = detach(y); d.zero_(); "
     "y.sum().backward()", _d_version),
    ("the gradient flows around a detached tensor",
     "x = tensor([0., 1., 2., 3.], requires_grad=True); y = x * x; u = detach(y); "
     "(u * x).sum().backward(); x.grad?", _d_gradient_around),
    ("a 0-d float64 tensor and a 2-D float32 one",
     "detach(tensor(2.5, dtype=float64, requires_grad=True) * 3); detach(ones(2, 3) * 0.5)",
     _d_shapes),
]

_D_HINT = ("return make_tensor(t._data, vc=t._vc): the same array and the same version "
           "counter, in a new leaf that does not require grad.")


def _d_explain(exc: BaseException) -> str | None:
    if isinstance(exc, EngineDetachUsed):
        return ("build the tensor yourself from t._data and t._vc with make_tensor; do not "
                "call t.detach() (nor np.asarray(t), which calls it).")
    if "leaf Variable that requires grad" in str(exc):
        return ("your tensor requires grad, so the engine refuses to write into it: a detached "
                "tensor does not require grad.")
    return None


def _d_problem(obj) -> str | None:
    return None if callable(obj) else f"expected a function, got {type(obj).__name__} {obj!r}"


def detach(student_fn) -> None:
    """Check ``detach(t)``: a new leaf over t's memory and version counter, with no history."""
    __tracebackhide__ = True
    trials = [Trial(what, inputs, judge, _D_HINT, _d_explain) for what, inputs, judge in _D_TRIALS]
    run("detach", student_fn, trials, expected_kind=_d_problem,
        missing_hint="run the exercise cell that defines `detach` first.")
