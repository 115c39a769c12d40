"""Visible checks of chapter 02, "requires_grad and the recorded graph".

    from graders.checks import ch02 as check
    check.Mul(Mul)
    check.Add(Add)
    check.edges_for(edges_for)

An op class is checked through the engine: inside ``engine.substitute(Mul=YourMul)`` the
engine's own ``a * b`` runs your class, and the result and the gradients are compared with
what the engine's built-in ``Mul`` gives on the same inputs (float64): numbers, vectors,
matrices, broadcast shapes, a Python number, an input that does not require grad, the same
tensor twice, and a recorded backward (``create_graph=True``). ``edges_for`` is compared with
the ``next_functions`` of the node the engine's own ``Mul`` records for the same arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import engine
from engine.autograd import Function
from engine.autograd.engine_loop import sum_to_shape
from engine.autograd.graph import AccumulateGrad, Node, accumulator_of
from engine.ops import binary

from ._judge import Trial, Wrong, array_text, run, same, tensor_text

__all__ = ["Mul", "Add", "edges_for"]

# The engine's own ops, as they were when the checks were imported (never a substitute).
ENGINE_OPS = {"Mul": binary.Mul, "Add": binary.Add}
SYMBOL = {"Mul": "*", "Add": "+"}
_FREED = "Trying to backward through the graph a second time"


# --- the op classes: Mul and Add ------------------------------------------------------------

def _op_class_problem(piece: str):
    def problem(obj):
        if not isinstance(obj, type):
            return f"expected a class, got {type(obj).__name__} {obj!r}"
        if not issubclass(obj, Function):
            return f"`{piece}` is a class, but not an engine Function"
        if not getattr(obj, "_array_forward", False):
            return (f"`{piece}` is built on Function, whose forward receives tensors; the "
                    f"engine's own ops are built on ArrayFunction")
        return None
    return problem


def _class_hint(piece: str) -> str:
    return (f"define it as `class {piece}(ArrayFunction):` with the two static methods "
            f"forward(ctx, a, b) and backward(ctx, grad_output), run that cell, then this one.")


@dataclass
class OpCase:
    """``a OP b`` with these operands; ``backward(g)`` (``g`` None: the implicit 1)."""

    what: str
    a: object  # an array (a tensor is made of it) or a Python number
    b: object
    needs: tuple[bool, bool]  # which operands require grad
    g: np.ndarray | None = None


def _is_number(value) -> bool:
    return type(value) in (int, float)


def _operand(value, requires_grad: bool):
    if _is_number(value):
        return value
    return engine.tensor(np.array(value, dtype=np.float64), requires_grad=requires_grad)


def _describe(name: str, value, requires_grad: bool) -> str:
    if _is_number(value):
        return f"{name} = {value!r} (a Python number)"
    array = np.asarray(value, dtype=float)
    flag = ", requires_grad=True" if requires_grad else ""
    shape = f" of shape {array.shape}" if array.ndim else ""
    return f"{name} = tensor({array_text(array)}{flag}){shape}"


def _inputs_text(piece: str, case: OpCase) -> str:
    a = _describe("a", case.a, case.needs[0])
    b = _describe("b", case.b, case.needs[1])
    run_ = (f"out = a {SYMBOL[piece]} b; out.backward()" if case.g is None else
            f"out = a {SYMBOL[piece]} b; out.backward(g), g = {array_text(case.g)}")
    return f"{a}, {b}; {run_}"


def _forward_backward(op_cls, piece: str, case: OpCase):
    """(out, [a, b]) after ``out = a OP b`` and ``out.backward(g)`` with ``op_cls`` in the
    engine."""
    a, b = _operand(case.a, case.needs[0]), _operand(case.b, case.needs[1])
    with engine.substitute(**{piece: op_cls}):
        out = a * b if piece == "Mul" else a + b
        gradient = None if case.g is None else engine.tensor(case.g)
        out.backward(gradient)
    return out, [a, b]


def _candidates(piece: str, case: OpCase, k: int, shape) -> list[tuple[np.ndarray, str]]:
    """Wrong gradients a common mistake gives for operand ``k``, with what to say about it."""
    a = np.asarray(case.a, dtype=float)
    b = np.asarray(case.b, dtype=float)
    out_shape = np.broadcast_shapes(a.shape, b.shape)
    g = np.ones(out_shape) if case.g is None else np.asarray(case.g, dtype=float)
    found = []
    if piece == "Mul":
        own, other = (a, b) if k == 0 else (b, a)
        name, other_name = ("a", "b") if k == 0 else ("b", "a")
        if not np.allclose(own, other):
            found.append((g * own, f"that is grad_output * {name}: the two gradients are "
                                   f"swapped. d(a*b)/d{name} = {other_name}, so the gradient "
                                   f"for {name} is grad_output * {other_name}."))
        if not np.allclose(g, 1):
            found.append((np.broadcast_to(other, out_shape) + 0 * g,
                          f"that is {other_name} alone: multiply by grad_output, the gradient "
                          f"that arrives from above (the chain rule)."))
    elif not np.allclose(g, 1):
        found.append((np.ones(out_shape), "that is a gradient of ones: pass on grad_output, "
                                          "the gradient that arrives, unchanged."))
    return [(sum_to_shape(c, shape), text) for c, text in found]


def _op_trial(piece: str, case: OpCase) -> Trial:
    sym = SYMBOL[piece]

    def judge(student):
        ref_out, ref_in = _forward_backward(ENGINE_OPS[piece], piece, case)
        out, inputs = _forward_backward(student, piece, case)
        node = out.grad_fn
        if node is None or getattr(type(node), "_forward_cls", None) is not student:
            return Wrong(f"out.grad_fn: a node of your {piece}",
                         f"out.grad_fn = {node!r}",
                         "keep the class's name and base: class "
                         f"{piece}(ArrayFunction), and return the result of forward.")
        if not same(out, ref_out):
            shape = tuple(ref_out.shape)
            return Wrong(f"out = {tensor_text(ref_out)}  (a {sym} b, by the engine's own "
                         f"{piece}; shape {shape})",
                         f"out = {tensor_text(out)} (shape {tuple(out.shape)})",
                         f"forward(ctx, a, b) gets the raw arrays and returns a {sym} b.")
        for k, name in enumerate("ab"):
            if not case.needs[k]:
                continue
            got, want = inputs[k].grad, ref_in[k].grad
            if same(got, want):
                continue
            special = None
            if got is not None:
                for wrong, text in _candidates(piece, case, k, tuple(want.shape)):
                    if same(got, wrong):
                        special = text
                        break
            return Wrong(f"{name}.grad = {tensor_text(want)}  (by the engine's own {piece})",
                         f"{name}.grad = {tensor_text(got)}", special)
        return None

    return Trial(case.what, _inputs_text(piece, case), judge, _backward_hint(piece),
                 _explain_op_error(piece))


RETURNS = {"Mul": "(grad_output * b, grad_output * a)", "Add": "(grad_output, grad_output)"}


def _backward_hint(piece: str) -> str:
    return f"backward(ctx, grad_output) returns one gradient per input, in order: {RETURNS[piece]}."


def _explain_op_error(piece: str):
    """A hint for the errors the engine raises about what a backward returned."""
    def explain(exc: BaseException) -> str | None:
        text = str(exc)
        if "incorrect number of gradients" in text:
            return ("return a tuple with one gradient per input of forward (two here), even "
                    f"when an input does not need one: {RETURNS[piece]}.")
        if "invalid gradient" in text:
            return ("return gradients shaped like the output, as the derivative says; do not "
                    "sum them yourself: the engine sums each one back to its input's shape.")
        if "returned a gradient of type" in text:
            return ("write backward with Python operators only (grad_output * b, not "
                    "np.multiply): with create_graph=True the engine calls it on tensors.")
        if "object has no attribute 'shape'" in text:
            return "return arrays (grad_output, or arrays made from it), not plain numbers."
        return None
    return explain


def _freed_trial() -> Trial:
    def judge(student):
        a = engine.tensor([1.0, 2.0, 3.0], dtype=engine.float64, requires_grad=True)
        b = engine.tensor([4.0, 5.0, 6.0], dtype=engine.float64, requires_grad=True)
        with engine.substitute(Mul=student):
            out = (a * b).sum()
            out.backward()
            try:
                out.backward()
            except RuntimeError as exc:
                if _FREED in str(exc):
                    return None
                raise
        return Wrong("RuntimeError: Trying to backward through the graph a second time (...)",
                     "no error: the second backward ran")

    return Trial(
        "what forward saves is kept with ctx.save_for_backward, so the engine can free it",
        "a = tensor([1., 2., 3.], requires_grad=True), b = tensor([4., 5., 6.], "
        "requires_grad=True); out = (a * b).sum(); out.backward(); out.backward() again",
        judge,
        "save the inputs with ctx.save_for_backward(a, b) and read them back with "
        "ctx.saved_tensors, rather than keeping them as attributes of ctx: the engine frees "
        "what is saved that way once backward has used it, and then refuses a second backward.")


def _second_derivative_trial(piece: str) -> Trial:
    expr = "x * x" if piece == "Mul" else "x * x + x"
    first_text = "2 * x" if piece == "Mul" else "2 * x + 1"

    def judge(student):
        x = engine.tensor([1.0, 2.0, 3.0], dtype=engine.float64, requires_grad=True)
        with engine.substitute(**{piece: student}):
            y = (x * x if piece == "Mul" else x * x + x).sum()
            (first,) = engine.autograd.grad(y, x, create_graph=True)
            if not same(first, 2 * x.detach() + (0 if piece == "Mul" else 1)):
                return Wrong(f"dy/dx = {first_text} = "
                             f"{tensor_text(2 * x.detach() + (0 if piece == 'Mul' else 1))}",
                             f"dy/dx = {tensor_text(first)}")
            if first.grad_fn is None:
                return Wrong("dy/dx recorded (with a grad_fn), since create_graph=True",
                             f"{first!r}: nothing was recorded")
            (second,) = engine.autograd.grad(first.sum(), x)
        if not same(second, np.full(3, 2.0)):
            return Wrong("d²y/dx² = [2., 2., 2.]", f"d²y/dx² = {tensor_text(second)}")
        return None

    return Trial(
        f"a recorded backward (create_graph=True): the second derivative of {expr} is 2",
        f"x = tensor([1., 2., 3.], requires_grad=True); y = ({expr}).sum(); "
        f"first = autograd.grad(y, x, create_graph=True); then autograd.grad(first.sum(), x)",
        judge,
        "write backward with Python operators only (grad_output * b, not np.multiply): with "
        "create_graph=True the engine calls it on tensors, and operators work on both.")


_G23 = np.array([[1.0, -1.0, 2.0], [0.5, 3.0, -2.0]])

_MUL_CASES = [
    OpCase("two numbers", np.array(2.0), np.array(3.0), (True, True)),
    OpCase("two vectors, with an upstream gradient g",
           [1.0, 2.0, 3.0], [4.0, -5.0, 6.0], (True, True), np.array([1.0, -2.0, 0.5])),
    OpCase("two matrices", [[1.0, 2.0], [3.0, 4.0]], [[0.5, -1.0], [2.0, 0.0]], (True, True),
           np.array([[1.0, 2.0], [-1.0, 0.5]])),
    OpCase("b broadcast along the rows of a (the engine sums b's gradient back)",
           [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [10.0, 20.0, 30.0], (True, True), _G23),
    OpCase("a column times a row", [[1.0], [2.0], [3.0]], [[-1.0, 4.0]], (True, True),
           np.array([[1.0, 0.0], [2.0, -1.0], [0.5, 1.0]])),
    OpCase("a tensor times a Python number", [1.0, -2.0, 3.0], 2.5, (True, False),
           np.array([1.0, 1.0, -2.0])),
    OpCase("only b requires grad", [2.0, 3.0], [5.0, 7.0], (False, True),
           np.array([1.0, -1.0])),
]

_ADD_CASES = [
    OpCase("two numbers", np.array(2.0), np.array(3.0), (True, True)),
    OpCase("two vectors, with an upstream gradient g",
           [1.0, 2.0, 3.0], [4.0, -5.0, 6.0], (True, True), np.array([1.0, -2.0, 0.5])),
    OpCase("b broadcast along the rows of a (the engine sums b's gradient back)",
           [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [10.0, 20.0, 30.0], (True, True), _G23),
    OpCase("a column plus a row", [[1.0], [2.0], [3.0]], [[-1.0, 4.0]], (True, True),
           np.array([[1.0, 0.0], [2.0, -1.0], [0.5, 1.0]])),
    OpCase("a tensor plus a Python number", [1.0, -2.0, 3.0], 2.5, (True, False),
           np.array([1.0, 1.0, -2.0])),
    OpCase("only b requires grad", [2.0, 3.0], [5.0, 7.0], (False, True),
           np.array([1.0, -1.0])),
]


def _same_tensor_twice_trial(piece: str) -> Trial:
    sym = SYMBOL[piece]
    x0, g = np.array([1.0, -2.0, 3.0]), np.array([1.0, 0.5, 2.0])
    want_text = "2 * x * g" if piece == "Mul" else "2 * g"

    def judge(student):
        grads = []
        for op in (ENGINE_OPS[piece], student):
            x = engine.tensor(x0, requires_grad=True)
            with engine.substitute(**{piece: op}):
                out = x * x if piece == "Mul" else x + x
                out.backward(engine.tensor(g))
            grads.append(x.grad)
        want, got = grads
        if same(got, want):
            return None
        return Wrong(f"x.grad = {tensor_text(want)}  ({want_text}: both gradients, added)",
                     f"x.grad = {tensor_text(got)}")

    return Trial(f"the same tensor twice: x {sym} x",
                 f"x = tensor({array_text(x0)}, requires_grad=True); out = x {sym} x; "
                 f"out.backward(g), g = {array_text(g)}",
                 judge,
                 "return one gradient per input even when both inputs are the same tensor; "
                 "the engine adds them up.")


def Mul(student_cls) -> None:  # noqa: N802 (named after the piece it checks)
    """Check ``Mul``: values and gradients against the engine's own Mul, through the engine."""
    __tracebackhide__ = True
    trials = [_op_trial("Mul", c) for c in _MUL_CASES]
    trials += [_same_tensor_twice_trial("Mul"), _freed_trial(), _second_derivative_trial("Mul")]
    run("Mul", student_cls, trials, expected_kind=_op_class_problem("Mul"),
        missing_hint=_class_hint("Mul"))


def Add(student_cls) -> None:  # noqa: N802
    """Check ``Add``: values and gradients against the engine's own Add, through the engine."""
    __tracebackhide__ = True
    trials = [_op_trial("Add", c) for c in _ADD_CASES]
    trials += [_same_tensor_twice_trial("Add"), _second_derivative_trial("Add")]
    run("Add", student_cls, trials, expected_kind=_op_class_problem("Add"),
        missing_hint=_class_hint("Add"))


# --- edges_for(args) ------------------------------------------------------------------------

class TwoWays(Function):
    """A node with two outputs (x * 2 and x * 3), for an input whose output_nr is 1."""

    @staticmethod
    def forward(ctx, x):
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, g0, g1):
        return g0 * 2 + g1 * 3


@dataclass
class EdgeCase:
    what: str
    inputs: str
    build: object  # () -> (args, {id(node): label}, things to keep alive)


def _edge_case_lesson_pair():
    a = engine.tensor(2.0, requires_grad=True)
    b = engine.tensor([1.0, 2.0], requires_grad=True)
    return (a, b), {"a": a, "b": b}, []


def _edge_case_leaf_number():
    a = engine.tensor([1.0, 2.0], requires_grad=True)
    return (a, 3.0), {"a": a}, []


def _edge_case_constant_leaf():
    c = engine.tensor([1.0, 2.0])
    a = engine.tensor([3.0, 4.0], requires_grad=True)
    return (c, a), {"c": c, "a": a}, []


def _edge_case_nonleaf_number():
    a = engine.tensor([1.0, 2.0], requires_grad=True)
    y = a * 2
    return (y, 0.5), {"a": a, "y": y}, [y]


def _edge_case_twice():
    a = engine.tensor([1.0, 2.0], requires_grad=True)
    return (a, a), {"a": a}, []


def _edge_case_second_output():
    a = engine.tensor([1.0, 2.0], requires_grad=True)
    p, q = TwoWays.apply(a)
    return (q, a), {"a": a, "q": q}, [p, q]


def _edge_case_no_grad():
    a = engine.tensor([1.0, 2.0], requires_grad=True)
    with engine.no_grad():
        d = a * 2
    e = a * 3
    return (d, e), {"a": a, "d": d, "e": e}, [e]


_EDGE_CASES = [
    EdgeCase("two leaves that require grad",
             "a = tensor(2., requires_grad=True), b = tensor([1., 2.], requires_grad=True); "
             "edges_for((a, b))", _edge_case_lesson_pair),
    EdgeCase("a leaf and a Python number",
             "a = tensor([1., 2.], requires_grad=True); edges_for((a, 3.0))",
             _edge_case_leaf_number),
    EdgeCase("a tensor that does not require grad, then a leaf",
             "c = tensor([1., 2.]), a = tensor([3., 4.], requires_grad=True); "
             "edges_for((c, a))", _edge_case_constant_leaf),
    EdgeCase("the result of an op (not a leaf) and a number",
             "a = tensor([1., 2.], requires_grad=True); y = a * 2; edges_for((y, 0.5))",
             _edge_case_nonleaf_number),
    EdgeCase("the same leaf twice",
             "a = tensor([1., 2.], requires_grad=True); edges_for((a, a))", _edge_case_twice),
    EdgeCase("the second output of a node with two outputs",
             "a = tensor([1., 2.], requires_grad=True); p, q = TwoWays.apply(a) (a Function "
             "returning a * 2 and a * 3); edges_for((q, a))", _edge_case_second_output),
    EdgeCase("a tensor computed under engine.no_grad(), and one computed with recording on",
             "a = tensor([1., 2.], requires_grad=True); with engine.no_grad(): d = a * 2; "
             "e = a * 3; edges_for((d, e))", _edge_case_no_grad),
]


def _labels(named: dict) -> dict:
    """{id(node): (node, readable name)} for the nodes the named tensors lead to."""
    labels = {}
    for name, t in named.items():
        if not t.requires_grad:
            continue
        node = t.grad_fn if t.grad_fn is not None else accumulator_of(t)
        kind = node.name() if t.grad_fn is not None else "AccumulateGrad"
        labels[id(node)] = (node, f"{kind} of {name}")
    return labels


def _node_text(node, labels: dict) -> str:
    if node is None:
        return "None"
    if id(node) in labels and labels[id(node)][0] is node:
        return labels[id(node)][1]
    if isinstance(node, AccumulateGrad):
        return "a new AccumulateGrad, not the leaf's own"
    if isinstance(node, Node):
        return f"a {node.name()} node that is not in this graph"
    return repr(node)


def _edges_text(edges, labels: dict) -> str:
    parts = []
    for edge in edges:
        if isinstance(edge, (tuple, list)) and len(edge) == 2:
            parts.append(f"({_node_text(edge[0], labels)}, {edge[1]!r})")
        else:
            parts.append(repr(edge))
    return "[" + ", ".join(parts) + "]"


def _edge_hint(arg, got_edge) -> str:
    if _is_number(arg):
        return "a Python number gets (None, 0): no gradient goes to a number."
    if not arg.requires_grad:
        return ("a tensor that does not require grad gets (None, 0): the gradient stops "
                "there (a constant, or a result computed under engine.no_grad()).")
    if arg.grad_fn is not None:
        if isinstance(got_edge, (tuple, list)) and len(got_edge) == 2 \
                and got_edge[0] is arg.grad_fn:
            return ("the second number is the input's output_nr: which output of its "
                    "grad_fn the input is (t.output_nr).")
        return ("the result of a recorded op gets (t.grad_fn, t.output_nr): the gradient goes "
                "to the node that made it.")
    if isinstance(got_edge, (tuple, list)) and got_edge and isinstance(got_edge[0],
                                                                       AccumulateGrad):
        return ("use accumulator_of(t): it returns the leaf's one AccumulateGrad (making it "
                "the first time). AccumulateGrad(t) made by hand is a second one, which the "
                "graph does not use.")
    return ("a leaf that requires grad gets (accumulator_of(t), 0): an edge to the "
            "AccumulateGrad node that adds into t.grad.")


def _edge_trial(case: EdgeCase) -> Trial:
    def judge(student):
        args, named, keep = case.build()
        expected_out = ENGINE_OPS["Mul"].apply(*args)  # holds the graph (and accumulators)
        expected = expected_out.grad_fn.next_functions
        labels = _labels(named)
        got = student(args)
        if not isinstance(got, (list, tuple)):
            return Wrong(_edges_text(expected, labels), f"{got!r}",
                         "return a list with one (node, number) pair per argument.")
        problem = len(got) != len(expected)
        for k, (want, edge) in enumerate(zip(expected, got)):
            if problem:
                break
            ok = (isinstance(edge, (tuple, list)) and len(edge) == 2 and edge[0] is want[0]
                  and isinstance(edge[1], (int, np.integer)) and edge[1] == want[1])
            if not ok:
                return Wrong(_edges_text(expected, labels)
                             + "  (next_functions of the node the engine records)",
                             _edges_text(got, labels) + f" (pair {k} differs)",
                             _edge_hint(args[k], edge))
        if problem:
            return Wrong(_edges_text(expected, labels), _edges_text(got, labels),
                         f"one pair per argument: {len(args)} arguments, {len(args)} pairs.")
        return None

    return Trial(case.what, case.inputs, judge,
                 "(t.grad_fn, t.output_nr) for a result of a recorded op; "
                 "(accumulator_of(t), 0) for a leaf that requires grad; (None, 0) otherwise.")


def edges_for(student_fn) -> None:
    """Check ``edges_for(args)`` against the next_functions the engine's own Mul records."""
    __tracebackhide__ = True

    def problem(obj):
        return None if callable(obj) else f"expected a function, got {type(obj).__name__} {obj!r}"

    run("edges_for", student_fn, [_edge_trial(c) for c in _EDGE_CASES],
        expected_kind=problem, missing_hint="run the exercise cell that defines `edges_for` first.")


# Shared with chapter 03's "your engine": is this object a working op class?
def passes(piece: str, obj) -> bool:
    """True when ``obj`` passes the check of ``piece`` ("Mul" or "Add"), quietly."""
    import contextlib
    import io

    check = {"Mul": Mul, "Add": Add}[piece]
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            check(obj)
    except Exception:
        return False
    return True

