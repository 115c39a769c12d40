"""Visible checks of chapter 03, "backward and .grad".

    from graders.checks import ch03 as check
    check.topological_order(topological_order)
    check.run_backward(run_backward)

``topological_order(roots)`` is judged on graphs the engine records: every reachable node
exactly once, nothing else, and each node after every node that sends it a gradient; the
engine's own order is shown for comparison (any order with that property is right).
``run_backward(loss)`` is compared with the engine's ``loss.backward()`` on fresh copies of
the same graph, leaf by leaf; while it runs, the engine's own backward is switched off, so
the gradients must come from the student's loop.

``ops_from_chapter_02()`` finds the student's ``Mul`` and ``Add`` in their chapter 02
notebook, for the "your engine" section.
"""

from __future__ import annotations

import contextlib
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import engine
from engine.autograd import engine_loop
from engine.autograd.graph import Node, accumulator_of
from engine.ops import binary

from ._judge import Trial, Wrong, run, same, tensor_text

__all__ = ["topological_order", "run_backward", "ops_from_chapter_02"]

# The engine's own order, as it was when the checks were imported (never a substitute).
ENGINE_ORDER = engine_loop.topological_order


# --- graphs, with a readable name for every node ----------------------------------------------

@dataclass
class Graph:
    """A recorded graph: its root nodes, a name for each node, and what keeps it alive."""

    roots: list
    names: dict  # id(node) -> (node, name)
    keep: list

    def name(self, node) -> str:
        entry = self.names.get(id(node))
        if entry is not None and entry[0] is node:
            return entry[1]
        if isinstance(node, Node):
            return f"{node.name()} (not in this graph)"
        return repr(node)


def _named(*pairs, roots, keep=()) -> Graph:
    """Name each tensor's node: ``("y = x * 2", y)`` names y.grad_fn (or x's AccumulateGrad)."""
    names = {}
    for label, t in pairs:
        node = t.grad_fn if t.grad_fn is not None else accumulator_of(t)
        kind = node.name()
        names[id(node)] = (node, f"{kind} ({label})" if t.grad_fn is not None
                           else f"AccumulateGrad ({label})")
    keep = [t for _, t in pairs] + list(keep)
    return Graph(roots, names, keep)


def _chain():
    x = engine.tensor([1.0, 2.0], dtype=engine.float64, requires_grad=True)
    y = x * 2
    z = y * 3
    s = z.sum()
    return _named(("s = z.sum()", s), ("z = y * 3", z), ("y = x * 2", y), ("of x", x),
                  roots=[s.grad_fn])


def _lesson_loss():
    w = engine.tensor(2.0, dtype=engine.float64, requires_grad=True)
    v = w * 3
    u = v - 10
    loss = u**2
    return _named(("loss = u ** 2", loss), ("u = v - 10", u), ("v = w * 3", v), ("of w", w),
                  roots=[loss.grad_fn])


def _used_twice():
    x = engine.tensor(1.0, dtype=engine.float64, requires_grad=True)
    y = x * 2
    yy = y * y
    z = yy + y
    return _named(("z = y * y + y", z), ("y * y", yy), ("y = x * 2", y), ("of x", x),
                  roots=[z.grad_fn])


def _uneven_paths():
    x = engine.tensor([0.5, -1.0], dtype=engine.float64, requires_grad=True)
    a = x * 2
    b = a.exp()
    c = b.exp()
    d = c + a
    s = d.sum()
    return _named(("s = d.sum()", s), ("d = c + a", d), ("c = b.exp()", c),
                  ("b = a.exp()", b), ("a = x * 2", a), ("of x", x), roots=[s.grad_fn])


def _line_fit():
    xs = engine.tensor([1.0, 2.0, 3.0, 4.0], dtype=engine.float64)
    ys = engine.tensor([3.0, 5.0, 7.0, 9.0], dtype=engine.float64)
    w = engine.tensor(0.0, dtype=engine.float64, requires_grad=True)
    b = engine.tensor(0.0, dtype=engine.float64, requires_grad=True)
    p = w * xs
    q = p + b
    r = q - ys
    e = r**2
    loss = e.mean()
    return _named(("loss = e.mean()", loss), ("e = r ** 2", e), ("r = q - ys", r),
                  ("q = p + b", q), ("p = w * xs", p), ("of w", w), ("of b", b),
                  roots=[loss.grad_fn])


def _two_roots():
    a = engine.tensor([1.0, 2.0], dtype=engine.float64, requires_grad=True)
    h = a * 2
    p = h.sum()
    t = h * 3
    q = t.sum()
    return _named(("p = h.sum()", p), ("q = t.sum()", q), ("t = h * 3", t), ("h = a * 2", h),
                  ("of a", a), roots=[p.grad_fn, q.grad_fn])


def _long_chain(n=3000):
    x = engine.tensor(1.0, dtype=engine.float64, requires_grad=True)
    y = x
    kept = []
    for _ in range(n):
        y = y * 1.0
        kept.append(y)
    return _named((f"the last of {n} multiplications", y), ("of x", x),
                  roots=[y.grad_fn], keep=kept)


def _order_text(graph: Graph, order) -> str:
    if len(order) > 8:
        return f"{len(order)} nodes"
    return "[" + ", ".join(graph.name(n) for n in order) + "]"


def _order_trial(what: str, inputs: str, build) -> Trial:
    def judge(student):
        graph = build()
        expected = list(ENGINE_ORDER(list(graph.roots)))
        expected_text = f"an order such as {_order_text(graph, expected)} (the engine's)"
        got = student(list(graph.roots))
        if got is None:
            return Wrong(expected_text, "None", "return the list of nodes you built.")
        try:
            got = list(got)
        except TypeError:
            return Wrong(expected_text, f"{got!r}", "return a list of nodes.")
        for item in got:
            if not isinstance(item, Node):
                return Wrong(expected_text, f"a list holding {item!r}",
                             "the list holds nodes: grad_fn objects and AccumulateGrad "
                             "nodes, as next_functions gives them (the node, not the pair).")
        counts = Counter(id(n) for n in got)
        twice = [n for n in got if counts[id(n)] > 1]
        if twice:
            return Wrong(f"each node once; {expected_text}",
                         f"{graph.name(twice[0])} {counts[id(twice[0])]} times",
                         "remember the nodes you have met (a set): a node reached along two "
                         "paths is still one node and goes in the order once.")
        reachable = {id(n) for n in expected}
        missing = [n for n in expected if id(n) not in counts]
        if missing:
            return Wrong(f"all {len(expected)} nodes; {expected_text}",
                         f"{len(got)} node{'s' if len(got) != 1 else ''}, without "
                         f"{graph.name(missing[0])}",
                         "follow every edge in each node's next_functions (skip the "
                         "(None, 0) ones), all the way down to the AccumulateGrad nodes.")
        extra = [n for n in got if id(n) not in reachable]
        if extra:
            return Wrong(expected_text, f"{graph.name(extra[0])} in the list",
                         "only nodes reachable from the roots belong in the order.")
        position = {id(n): i for i, n in enumerate(got)}
        for node in got:
            for child, _ in node.next_functions:
                if child is not None and position[id(child)] < position[id(node)]:
                    return Wrong(
                        f"{graph.name(node)} before {graph.name(child)}: it sends "
                        f"{graph.name(child)} a gradient. {expected_text}",
                        f"{_order_text(graph, got)}: {graph.name(child)} at position "
                        f"{position[id(child)] + 1}, {graph.name(node)} at "
                        f"{position[id(node)] + 1}",
                        "a node may run only when every node that sends it a gradient has "
                        "run: count the edges into each node first, and let a node in only "
                        "when its count has dropped to zero.")
        return None

    return Trial(what, inputs, judge,
                 "start from the roots; a node joins the order only after every node that "
                 "sends it a gradient (every node whose next_functions list it) has joined.")


_ORDER_TRIALS = [
    ("the chain x → ×2 → ×3 → sum",
     "x = tensor([1., 2.], requires_grad=True); s = (x * 2 * 3).sum(); "
     "topological_order([s.grad_fn])", _chain),
    ("the lesson's loss (3w - 10)**2",
     "w = tensor(2., requires_grad=True); loss = (w * 3 - 10) ** 2; "
     "topological_order([loss.grad_fn])", _lesson_loss),
    ("a node that sends a gradient along two paths: z = y * y + y",
     "x = tensor(1., requires_grad=True); y = x * 2; z = y * y + y; "
     "topological_order([z.grad_fn])", _used_twice),
    ("two paths of different lengths from a to d",
     "x = tensor([0.5, -1.], requires_grad=True); a = x * 2; d = a.exp().exp() + a; "
     "s = d.sum(); topological_order([s.grad_fn])", _uneven_paths),
    ("the line fit: two parameters and two constant tensors",
     "w = b = tensor(0., requires_grad=True); xs, ys: tensors of 4 numbers; "
     "loss = ((w * xs + b - ys) ** 2).mean(); topological_order([loss.grad_fn])", _line_fit),
    ("two roots that share a node",
     "a = tensor([1., 2.], requires_grad=True); h = a * 2; p = h.sum(); q = (h * 3).sum(); "
     "topological_order([p.grad_fn, q.grad_fn])", _two_roots),
    ("a chain 3,000 operations long",
     "x = tensor(1., requires_grad=True); y = x; 3000 times: y = y * 1.0; "
     "topological_order([y.grad_fn])", _long_chain),
]


def topological_order(student_fn) -> None:
    """Check ``topological_order(roots)`` on graphs the engine records."""
    __tracebackhide__ = True

    def problem(obj):
        return None if callable(obj) else f"expected a function, got {type(obj).__name__} {obj!r}"

    run("topological_order", student_fn, [_order_trial(*t) for t in _ORDER_TRIALS],
        expected_kind=problem,
        missing_hint="run the exercise cell that defines `topological_order` first.")


# --- run_backward(loss) -----------------------------------------------------------------------

class EngineBackwardUsed(RuntimeError):
    """run_backward called the engine's backward (or its order) instead of walking itself."""


def _tripwire(roots):
    raise EngineBackwardUsed(
        "the engine's own backward ran (loss.backward(), engine.autograd.grad or the engine's "
        "topological order): run_backward must walk the graph itself")


def _f64(values, requires_grad=False):
    return engine.tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


def _rb_lesson():
    w = _f64(2.0, True)
    return (w * 3 - 10) ** 2, {"w": w}


def _rb_chain():
    x = _f64([1.0, 2.0], True)
    return (x * 2 * 3).sum(), {"x": x}


def _rb_y_twice():
    x = _f64(1.0, True)
    y = x * 2
    return y * y + y, {"x": x}


def _rb_leaf_twice():
    x = _f64(3.0, True)
    return x * x + x, {"x": x}


def _rb_line_fit():
    xs, ys = _f64([1.0, 2.0, 3.0, 4.0]), _f64([3.0, 5.0, 7.0, 9.0])
    w, b = _f64(0.0, True), _f64(0.0, True)
    return ((w * xs + b - ys) ** 2).mean(), {"w": w, "b": b}


def _rb_broadcast_inside():
    x = _f64([1.0, 2.0, 3.0], True)
    v = _f64([1.0, 10.0])
    return (x.sum() * v).sum(), {"x": x}


def _rb_existing_grad():
    w = _f64(2.0, True)
    w.grad = _f64(1.0)
    return (w * 3 - 10) ** 2, {"w": w}


def _rb_two_paths():
    a = _f64([0.5, -1.0, 2.0], True)
    b = _f64([1.5, 0.25, -0.5], True)
    return (a.exp() * b + (a * b).tanh()).sum(), {"a": a, "b": b}


_RB_TRIALS = [
    ("the lesson's loss (3w - 10)**2 at w = 2",
     "w = tensor(2., requires_grad=True); loss = (w * 3 - 10) ** 2; run_backward(loss)",
     _rb_lesson, None),
    ("the chain x → ×2 → ×3 → sum",
     "x = tensor([1., 2.], requires_grad=True); run_backward((x * 2 * 3).sum())",
     _rb_chain, None),
    ("gradients from two paths meet at y's node: y * y + y",
     "x = tensor(1., requires_grad=True); y = x * 2; run_backward(y * y + y)",
     _rb_y_twice,
     "three gradients reach y's node (MulBackward0 of y = x * 2): two from y * y and one "
     "from + y. Add each one into what that node has received so far "
     "(grads[node] = grads[node] + g), and run the node only when its turn comes."),
    ("a leaf used three times: x * x + x at x = 3",
     "x = tensor(3., requires_grad=True); run_backward(x * x + x)",
     _rb_leaf_twice,
     "x's AccumulateGrad receives three gradients (6 = 3 + 3 from x * x, and 1 from + x): "
     "add them up before adding the total into x.grad."),
    ("the line fit, where w and b are broadcast against xs",
     "w = b = tensor(0., requires_grad=True); xs = [1., 2., 3., 4.], ys = [3., 5., 7., 9.]; "
     "run_backward(((w * xs + b - ys) ** 2).mean())",
     _rb_line_fit,
     "the gradient MulBackward0 returns for w has the output's shape (4,): sum it back to "
     "the input's shape with sum_to_shape(g, shape), the shapes from input_shapes(node)."),
    ("a broadcast in the middle of the graph: (x.sum() * v).sum()",
     "x = tensor([1., 2., 3.], requires_grad=True); v = tensor([1., 10.]); "
     "run_backward((x.sum() * v).sum())",
     _rb_broadcast_inside,
     "x.sum() is one number, broadcast against v: the gradient for it comes back with "
     "shape (2,). Sum every gradient to its input's shape on every edge, not only at leaves."),
    ("a leaf whose .grad already holds a gradient",
     "w = tensor(2., requires_grad=True); w.grad = tensor(1.); "
     "run_backward((w * 3 - 10) ** 2)",
     _rb_existing_grad,
     "add into the leaf's .grad when it already holds a gradient (1 + (-24) = -23); set it "
     "only when it is None."),
    ("exp and tanh on two paths, two leaves",
     "a = tensor([0.5, -1., 2.], requires_grad=True), b = tensor([1.5, 0.25, -0.5], "
     "requires_grad=True); run_backward((a.exp() * b + (a * b).tanh()).sum())",
     _rb_two_paths, None),
]

_RB_HINT = ("start with a gradient of ones for the loss's node; for each node in "
            "topological_order([loss.grad_fn]): take the sum it received, call node.apply(grad) "
            "(AccumulateGrad: add into node.variable.grad instead), and add each gradient it "
            "returns into what its next_functions node has received. Run it all inside "
            "engine.no_grad().")


def _rb_explain(exc: BaseException) -> str | None:
    if isinstance(exc, EngineBackwardUsed):
        return ("walk the graph with your own loop and your topological_order; do not call "
                "loss.backward() or engine.autograd.grad inside run_backward.")
    text = str(exc)
    if "a second time" in text:
        return ("a node ran twice: each node must run once, after all its gradients have "
                "arrived. Visit the nodes in topological order, once each.")
    if "Can't call numpy() on Tensor that requires grad" in text:
        return "use loss.detach().numpy() to get the loss's array without its graph."
    return None


def _rb_trial(what, inputs, build, special_hint) -> Trial:
    def judge(student):
        ref_loss, ref_leaves = build()
        ref_loss.backward()
        loss, leaves = build()
        before = {k: (None if t.grad is None else t.grad.detach().numpy().copy())
                  for k, t in leaves.items()}
        with engine.substitute(topological_order=_tripwire):
            student(loss)
        for name, leaf in leaves.items():
            want, got = ref_leaves[name].grad, leaf.grad
            if got is not None and got.requires_grad:
                return Wrong(f"{name}.grad = {tensor_text(want)}, a plain tensor",
                             f"{name}.grad = {tensor_text(got)}, recorded (it requires grad)",
                             "run the loop inside `with engine.no_grad():`, so that nothing "
                             "it computes is recorded.")
            if not same(got, want):
                note = "" if before[name] is None else " (it held a gradient before)"
                hint = special_hint
                if got is None:
                    hint = (f"{name}.grad is still None: no gradient reached {name}'s "
                            "AccumulateGrad, or it was not added into node.variable.grad.")
                return Wrong(f"{name}.grad = {tensor_text(want)}  (from the engine's "
                             f"backward{note})", f"{name}.grad = {tensor_text(got)}", hint)
        return None

    def explain(exc: BaseException) -> str | None:
        return _rb_explain(exc) or special_hint

    return Trial(what, inputs, judge, _RB_HINT, explain)


def run_backward(student_fn) -> None:
    """Check ``run_backward(loss)`` against the engine's backward, leaf by leaf."""
    __tracebackhide__ = True

    def problem(obj):
        return None if callable(obj) else f"expected a function, got {type(obj).__name__} {obj!r}"

    run("run_backward", student_fn, [_rb_trial(*t) for t in _RB_TRIALS],
        expected_kind=problem,
        missing_hint="run the exercise cell that defines `run_backward` first.")


# --- your engine: the ops from chapter 02 -----------------------------------------------------

CHAPTER_02 = "02-the-recorded-graph.ipynb"


def ops_from_chapter_02(folder=".") -> dict:
    """``{"Mul": ..., "Add": ...}``: your classes from chapter 02's notebook (as last saved)
    where they are written and pass their checks, else the engine's own; says which."""
    from ..myengine.loader import load_pieces
    from . import ch02

    path = Path(folder) / CHAPTER_02
    loaded = {}
    if path.exists():
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            loaded = load_pieces(path)
    ops = {}
    for name in ("Mul", "Add"):
        item = loaded.get(name)
        if not path.exists():
            why = f"{CHAPTER_02} is not in {Path(folder).resolve()}"
        elif item is None:
            why = f"{CHAPTER_02} has no {name} exercise"
        elif not item.written:
            why = "not written yet"
        elif item.obj is None:
            why = f"it does not load ({item.error})"
        elif not ch02.passes(name, item.obj):
            why = "it does not pass its check yet"
        else:
            ops[name] = item.obj
            print(f"{name}: yours, from {CHAPTER_02}")
            continue
        ops[name] = getattr(binary, name)
        print(f"{name}: the engine's own ({why})")
    return ops

