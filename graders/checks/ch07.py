"""Visible checks of chapter 07, "Dynamic graphs and control flow".

    from graders.checks import ch07 as check
    check.SavingNode(SavingNode)

``SavingNode`` is the part of a backward node that keeps values for backward and frees them.
It is checked on its own (save and read back, as often as needed; a node that saved nothing;
release: the values are let go, reading then raises the engine's error word for word, a second
release changes nothing) and inside real graphs: the check builds operations whose nodes are
subclasses of the student's class, links them into graphs the way ``Function.apply`` does, and
runs the engine's own ``backward()`` through them: once, twice (the error), with
``retain_graph=True``, with two losses sharing one node, and with nodes that saved nothing.
The expected gradients come from the engine's own operations on the same inputs.
"""

from __future__ import annotations

import gc
import weakref

import numpy as np

import engine
from engine._tensor import make_tensor
from engine.autograd.function import _ALREADY_FREED as SECOND_TIME
from engine.autograd.graph import Node, accumulator_of

from ._judge import Trial, Wrong, array_text, run

__all__ = ["SavingNode"]


# --- building graphs from the student's node class ----------------------------------------------

def _record(node_cls, inputs, output):
    """What Function.apply does when it records: a node with edges to the inputs' nodes, and
    the output tensor with that node as its grad_fn. The edges come first: they may create a
    leaf's AccumulateGrad, which must be older than the node (the engine runs newer first)."""
    edges = tuple(
        ((t.grad_fn, t.output_nr) if t.grad_fn is not None else (accumulator_of(t), 0))
        if t.requires_grad else (None, 0)
        for t in inputs)
    node = node_cls()
    node._edges = edges
    return node, make_tensor(output, requires_grad=True, grad_fn=node)


def _ops(student):
    """Operations recorded with nodes built on the student's class."""

    class SquareBackward(student):
        def apply(self, grad):
            (x,) = self.saved_tensors
            return (grad * 2 * x,)

    class TanhBackward(student):
        def apply(self, grad):
            (y,) = self.saved_tensors
            return (grad * (1 - y * y),)

    class AddOneBackward(student):  # saves nothing, never reads
        def apply(self, grad):
            return (grad,)

    class ReadsNothingSavedBackward(student):  # never saves, but reads saved_tensors
        def apply(self, grad):
            assert self.saved_tensors == ()
            return (grad,)

    def square(x):
        node, y = _record(SquareBackward, [x], x._data ** 2)
        node.save_for_backward(x)
        return y

    def tanh(x):
        node, y = _record(TanhBackward, [x], np.tanh(x._data))
        node.save_for_backward(y)
        return y

    def add_one(x):
        return _record(AddOneBackward, [x], x._data + 1)[1]

    def reads_nothing(x):  # never calls save_for_backward
        return _record(ReadsNothingSavedBackward, [x], x._data + 1)[1]

    return square, tanh, add_one, reads_nothing


def _leaf(values):
    return engine.tensor(np.array(values, dtype=np.float64), requires_grad=True)


def _grad_text(t) -> str:
    return "None" if t.grad is None else array_text(t.grad._data)


_X = [0.5, -1.0, 2.0]


def _expected_grad(times=1):
    """d/dx of sum(tanh(x ** 2)), from the engine's own ops, ``times`` passes."""
    x = _leaf(_X)
    for _ in range(times):
        (x ** 2).tanh().sum().backward(retain_graph=True)
    return x.grad._data


_FREED_HINT = ("after _release, saved_tensors must raise RuntimeError(SECOND_TIME): check "
               "`self._saved is FREED` there, before returning anything.")
_KEEP_IN_SAVED = ("the engine frees a node by calling node._release() after it ran, and only "
                  "when node._saved is not None: keep the values in self._saved, and leave "
                  "the class's `_saved = ()` as it is.")
_READ_AGAIN = ("reading must not free: saved_tensors returns the values every time it is "
               "read; only _release lets them go (with retain_graph=True the engine never "
               "calls it).")


def _raises_second_time(action) -> tuple[bool, str]:
    """(raised the engine's error, what happened instead)."""
    try:
        action()
    except RuntimeError as exc:
        if str(exc) == SECOND_TIME:
            return True, ""
        return False, f"RuntimeError: {exc}"
    except Exception as exc:  # noqa: BLE001 - reported to the student
        return False, f"{type(exc).__name__}: {exc}"
    return False, "no error"


def _wrong_error(got: str, where: str) -> Wrong:
    hint = _FREED_HINT
    if got.startswith("RuntimeError"):
        hint = ("raise the engine's message word for word: RuntimeError(SECOND_TIME), with "
                "SECOND_TIME as imported at the top of the notebook.")
    elif got != "no error":
        hint = "raise a RuntimeError (with the message SECOND_TIME), not another exception."
    return Wrong(f"{where}: RuntimeError: {SECOND_TIME[:60]}...", got, hint)


# --- the node on its own ------------------------------------------------------------------------

def _n_save_and_read(student):
    node = student()
    a, b = engine.tensor([1.0, 2.0]), engine.tensor(3.0)
    node.save_for_backward(a, b)
    for time in ("first", "second"):
        got = node.saved_tensors
        if callable(got) and not isinstance(got, tuple):
            return Wrong("a tuple (a, b)", f"{got!r}", "saved_tensors is a property: keep the "
                         "@property line above it, and read it without parentheses.")
        if not (isinstance(got, tuple) and len(got) == 2 and got[0] is a and got[1] is b):
            return Wrong(f"(a, b) on the {time} read: the very objects saved, in a tuple",
                         f"{got!r}", _READ_AGAIN if time == "second" else
                         "keep the tuple `values` itself in self._saved, and return it.")
    return None


def _n_nothing_saved(student):
    node = student()
    for time in ("first", "second"):
        got = node.saved_tensors
        if got != ():
            return Wrong(f"() on the {time} read (nothing was saved)", f"{got!r}",
                         "when nothing was saved, self._saved is the class's () : return it.")
    return None


def _n_release_then_read(student):
    node = student()
    node.save_for_backward(engine.tensor([1.0]))
    node._release()
    raised, got = _raises_second_time(lambda: node.saved_tensors)
    return None if raised else _wrong_error(got, "reading after _release")


def _n_release_nothing_saved(student):
    node = student()
    node._release()
    raised, got = _raises_second_time(lambda: node.saved_tensors)
    if raised:
        return None
    wrong = _wrong_error(got, "reading a released node that had saved nothing")
    if got == "no error":
        wrong.hint = ("freed is not the same as nothing saved: _release puts FREED in "
                      "self._saved whatever was there, and saved_tensors raises on FREED.")
    return wrong


def _n_values_let_go(student):
    node = student()
    value = engine.tensor([1.0, 2.0, 3.0])
    ref = weakref.ref(value)
    node.save_for_backward(value)
    del value
    node._release()
    gc.collect()
    if ref() is not None:
        return Wrong("the saved tensor is gone once the node is released (nothing else holds "
                     "it)", "it is still alive: the node still holds it",
                     "_release must drop the node's reference to the values: replace "
                     "self._saved by FREED (a flag next to the values keeps them in memory).")
    return None


def _n_release_twice(student):
    node = student()
    node.save_for_backward(engine.tensor([1.0]))
    node._release()
    try:
        node._release()
    except Exception as exc:  # noqa: BLE001 - reported to the student
        return Wrong("the second _release changes nothing and raises nothing",
                     f"{type(exc).__name__}: {str(exc)[:60]}...",
                     "_release never raises: the error belongs to saved_tensors, the one "
                     "place that reads the values. Releasing again just puts FREED again.")
    raised, got = _raises_second_time(lambda: node.saved_tensors)
    return None if raised else _wrong_error(got, "reading after two _release calls")


# --- inside the engine's backward ---------------------------------------------------------------

def _g_backward(student):
    square, tanh, _, _ = _ops(student)
    x = _leaf(_X)
    tanh(square(x)).sum().backward()
    want = _expected_grad()
    if x.grad is None or not np.allclose(x.grad._data, want, rtol=1e-12, atol=1e-14):
        return Wrong(f"x.grad = {array_text(want)} (the engine's own ops)",
                     f"x.grad = {_grad_text(x)}",
                     "saved_tensors must return exactly what save_for_backward received.")
    return None


def _g_second_backward(student):
    square, tanh, _, _ = _ops(student)
    x = _leaf(_X)
    loss = tanh(square(x)).sum()
    loss.backward()
    raised, got = _raises_second_time(loss.backward)
    if raised:
        return None
    wrong = _wrong_error(got, "the second loss.backward()")
    if got == "no error":
        wrong.hint = _KEEP_IN_SAVED
    return wrong


def _g_retain_graph(student):
    square, tanh, _, _ = _ops(student)
    x = _leaf(_X)
    loss = tanh(square(x)).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    want = _expected_grad(times=2)
    if x.grad is None or not np.allclose(x.grad._data, want, rtol=1e-12, atol=1e-14):
        return Wrong(f"x.grad = {array_text(want)}: two passes added up",
                     f"x.grad = {_grad_text(x)}", _READ_AGAIN)
    raised, got = _raises_second_time(loss.backward)
    return None if raised else _wrong_error(got, "a third backward, after one without "
                                            "retain_graph")


def _g_shared_node(student):
    square, tanh, _, _ = _ops(student)
    x = _leaf(_X)
    h = square(x)
    loss1, loss2 = tanh(h).sum(), (h * 3).sum()
    loss1.backward()
    raised, got = _raises_second_time(loss2.backward)
    if not raised:
        return _wrong_error(got, "loss2.backward() after loss1.backward(): the shared node was "
                            "released")
    x = _leaf(_X)
    h = square(x)
    loss1, loss2 = tanh(h).sum(), (h * 3).sum()
    loss1.backward(retain_graph=True)
    loss2.backward()
    ref = _leaf(_X)
    ((ref ** 2).tanh().sum() + (ref ** 2 * 3).sum()).backward()
    if x.grad is None or not np.allclose(x.grad._data, ref.grad._data, rtol=1e-12, atol=1e-14):
        return Wrong(f"x.grad = {array_text(ref.grad._data)}, as (loss1 + loss2).backward()",
                     f"x.grad = {_grad_text(x)}", _READ_AGAIN)
    return None


def _g_nothing_saved(student):
    _, _, add_one, reads_nothing = _ops(student)
    x = _leaf(_X)
    loss = add_one(x).sum()
    loss.backward()
    loss.backward()
    if x.grad is None or x.grad._data.tolist() != [2.0, 2.0, 2.0]:
        return Wrong("x.grad = [2., 2., 2.]: a node that never reads saved values runs again",
                     f"x.grad = {_grad_text(x)}",
                     "_release must not raise: it only puts FREED in self._saved.")
    x = _leaf(_X)
    loss = reads_nothing(x).sum()
    loss.backward()
    raised, got = _raises_second_time(loss.backward)
    if raised:
        return None
    wrong = _wrong_error(got, "a second backward through a node that saved nothing but reads "
                         "saved_tensors")
    if got == "no error":
        wrong.hint = _KEEP_IN_SAVED + (" Freed is not nothing saved: saved_tensors raises on "
                                       "FREED even if nothing was saved.")
    return wrong


_TRIALS = [
    ("save two values, read them back twice",
     "node = SavingNode(); node.save_for_backward(a, b); node.saved_tensors (twice)",
     _n_save_and_read),
    ("a node that saved nothing",
     "node = SavingNode(); node.saved_tensors (twice)", _n_nothing_saved),
    ("reading after _release",
     "node.save_for_backward(t); node._release(); node.saved_tensors", _n_release_then_read),
    ("a node that saved nothing, released",
     "node = SavingNode(); node._release(); node.saved_tensors", _n_release_nothing_saved),
    ("_release lets the values go",
     "node.save_for_backward(t); del t; node._release(): is t still in memory?",
     _n_values_let_go),
    ("_release called twice",
     "node.save_for_backward(t); node._release(); node._release(); node.saved_tensors",
     _n_release_twice),
    ("the engine's backward through your nodes",
     "x = tensor([0.5, -1., 2.], requires_grad=True); loss = tanh(square(x)).sum(), both ops "
     "on nodes built on your class; loss.backward()", _g_backward),
    ("a second backward through the same graph",
     "loss.backward(); loss.backward()", _g_second_backward),
    ("retain_graph=True keeps the values for another pass",
     "loss.backward(retain_graph=True); loss.backward(); loss.backward()", _g_retain_graph),
    ("two losses through one node of yours",
     "h = square(x); loss1 = tanh(h).sum(); loss2 = (h * 3).sum(); loss1.backward(); "
     "loss2.backward(); then again with retain_graph=True on the first", _g_shared_node),
    ("nodes that saved nothing",
     "loss = add_one(x).sum() (never reads saved values), backward twice; then a node that "
     "saved nothing but reads saved_tensors, backward twice", _g_nothing_saved),
]

_HINT = ("save_for_backward: self._saved = values; saved_tensors: raise "
         "RuntimeError(SECOND_TIME) if self._saved is FREED, else return self._saved; "
         "_release: self._saved = FREED.")


def _explain(exc: BaseException) -> str | None:
    text = str(exc)
    if isinstance(exc, NameError) and ("FREED" in text or "SECOND_TIME" in text):
        return ("FREED is defined at the top of the exercise cell and SECOND_TIME is imported "
                "at the top of the notebook: run those cells.")
    if text == SECOND_TIME:
        return ("saved_tensors raised before the node was released: raise only when "
                "self._saved is FREED (reading does not free).")
    return None


def _problem(obj) -> str | None:
    if not isinstance(obj, type):
        return f"expected a class, got {type(obj).__name__} {obj!r}"
    if not issubclass(obj, Node):
        return ("`SavingNode` is not a subclass of the engine's Node: keep "
                "`class SavingNode(Node):`")
    missing = [m for m in ("save_for_backward", "saved_tensors", "_release")
               if m not in dir(obj)]
    if missing:
        return f"`SavingNode` has no {', '.join(missing)}"
    return None


def SavingNode(student_cls) -> None:  # noqa: N802 - named after the piece
    """Check ``SavingNode``: on its own, then inside graphs the engine's backward walks."""
    __tracebackhide__ = True
    trials = [Trial(what, inputs, judge, _HINT, _explain) for what, inputs, judge in _TRIALS]
    run("SavingNode", student_cls, trials, expected_kind=_problem,
        missing_hint="run the exercise cell that defines `SavingNode` first.")
