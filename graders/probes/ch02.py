"""Observations of chapter 02's pieces: the op classes ``Mul`` and ``Add``, and ``edges_for``.

An op class is observed through the engine, as the visible check does: inside
``engine.substitute(Mul=piece)`` the engine's own ``a * b`` runs the class, and the forward
value and every input's gradient are recorded (float64 inputs, broadcast shapes, a Python
number, an input that does not require grad, the same tensor twice, a custom upstream
gradient, a second backward through a freed graph, a second derivative).

``edges_for`` returns graph nodes, which are not plain data: each edge is recorded as the role
of its node in the case's graph ("the grad_fn of y", "the AccumulateGrad of a", "None", "an
AccumulateGrad that is not the leaf's own", ...) and its number.
"""

from __future__ import annotations

import itertools

import numpy as np

from ._observe import attempt

TOLERANCE = {"Mul": (1e-9, 1e-12), "Add": (1e-9, 1e-12)}

# An op built on the engine's own op (or on tensors inside forward), or edges read from a
# node the engine recorded, is flagged for review.
FORBIDDEN = {
    "Mul": ("engine.ops", "engine.mul", "engine.multiply", "engine.tensor", "engine.Tensor",
            "engine.autograd.grad", ".apply", ".backward", "torch"),
    "Add": ("engine.ops", "engine.add", "engine.tensor", "engine.Tensor",
            "engine.autograd.grad", ".apply", ".backward", "torch"),
    "edges_for": (".next_functions", ".apply", "engine.ops", "._edges", "torch"),
}

HINTS = {
    "Mul": "forward saves a and b with ctx.save_for_backward and returns a * b; backward "
           "returns (grad_output * b, grad_output * a), with Python operators only.",
    "Add": "forward returns a + b; backward returns (grad_output, grad_output), shaped like "
           "the output (the engine undoes broadcasting).",
    "edges_for": "(t.grad_fn, t.output_nr) for a computed tensor that requires grad, "
                 "(accumulator_of(t), 0) for a leaf that requires grad, (None, 0) otherwise.",
}

_FREED = "Trying to backward through the graph a second time"


# --- Mul and Add ----------------------------------------------------------------------------

def _operand(value, requires_grad):
    import engine

    if type(value) in (int, float):
        return value
    return engine.tensor(np.array(value, dtype=np.float64), requires_grad=requires_grad)


def _apply(name, a, b):
    return a * b if name == "Mul" else a + b


def _through_engine(name, op, a0, b0, needs=(True, True), g=None):
    """``out = a OP b; out.backward(g)`` with ``op`` standing in for the engine's ``name``."""
    import engine

    def run():
        a, b = _operand(a0, needs[0]), _operand(b0, needs[1])
        with engine.substitute(**{name: op}):
            out = _apply(name, a, b)
            out.backward(None if g is None else engine.tensor(np.asarray(g, dtype=np.float64)))
        grads = [t.grad if hasattr(t, "grad") and needs[k] else None for k, t in enumerate((a, b))]
        return {"value": out, "grads": grads}

    return attempt(run)


def _same_twice(name, op, x0, g):
    import engine

    def run():
        x = engine.tensor(np.array(x0, dtype=np.float64), requires_grad=True)
        with engine.substitute(**{name: op}):
            out = _apply(name, x, x)
            out.backward(engine.tensor(g))
        return {"value": out, "x.grad": x.grad}

    return attempt(run)


def _freed(name, op):
    """A second backward through the same graph: the engine refuses once saved values are
    freed (what ``ctx.save_for_backward`` saved)."""
    import engine

    def run():
        a = engine.tensor([1.0, 2.0, 3.0], dtype=engine.float64, requires_grad=True)
        b = engine.tensor([4.0, 5.0, 6.0], dtype=engine.float64, requires_grad=True)
        with engine.substitute(**{name: op}):
            out = _apply(name, a, b).sum()
            out.backward()
            try:
                out.backward()
            except RuntimeError as exc:
                return "refused: graph freed" if _FREED in str(exc) else "another RuntimeError"
        return "the second backward ran"

    return attempt(run)


def _second_derivative(name, op):
    import engine

    def run():
        x = engine.tensor([1.0, 2.0, 3.0], dtype=engine.float64, requires_grad=True)
        with engine.substitute(**{name: op}):
            y = (x * x if name == "Mul" else x * x + x).sum()
            (first,) = engine.autograd.grad(y, x, create_graph=True)
            recorded = first.grad_fn is not None
            (second,) = engine.autograd.grad(first.sum(), x) if recorded else (None,)
        return {"first": first, "first is recorded": recorded, "second": second}

    return attempt(run)


def _float32_and_node(name, op):
    """The result keeps the engine's default dtype and the node is named after the class."""
    import engine

    def run():
        x = engine.tensor([1.0, -2.0], requires_grad=True)
        with engine.substitute(**{name: op}):
            y = x * x * 0.5 if name == "Mul" else 1.5 + x + x
        node = type(y.grad_fn).__name__
        y.sum().backward()
        return {"value": y, "dtype": str(y.dtype), "node": node, "x.grad": x.grad}

    return attempt(run)


_G23 = [[1.0, -1.0, 2.0], [0.5, 3.0, -2.0]]
_BROADCAST = [((2, 1, 3), (4, 1)), ((5,), (3, 1)), ((), (2, 2)), ((3, 4), ())]


def _op_cases(name, op, rng):
    sym = "*" if name == "Mul" else "+"
    cases = {
        f"two numbers: a {sym} b": _through_engine(name, op, np.array(2.0), np.array(3.0)),
        "two vectors, upstream gradient g": _through_engine(
            name, op, [1.0, 2.0, 3.0], [4.0, -5.0, 6.0], g=[1.0, -2.0, 0.5]),
        "two 2x2 matrices": _through_engine(
            name, op, [[1.0, 2.0], [3.0, 4.0]], [[0.5, -1.0], [2.0, 0.0]],
            g=[[1.0, 2.0], [-1.0, 0.5]]),
        "b of shape (3,) broadcast along the rows of a (2, 3)": _through_engine(
            name, op, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [10.0, 20.0, 30.0], g=_G23),
        "a column (3, 1) with a row (1, 2)": _through_engine(
            name, op, [[1.0], [2.0], [3.0]], [[-1.0, 4.0]],
            g=[[1.0, 0.0], [2.0, -1.0], [0.5, 1.0]]),
        "a tensor with a Python number": _through_engine(
            name, op, [1.0, -2.0, 3.0], 2.5, (True, False), g=[1.0, 1.0, -2.0]),
        "only b requires grad": _through_engine(
            name, op, [2.0, 3.0], [5.0, 7.0], (False, True), g=[1.0, -1.0]),
        f"the same tensor twice: x {sym} x": _same_twice(
            name, op, [1.0, -2.0, 3.0], np.array([1.0, 0.5, 2.0])),
        "a second derivative (create_graph=True)": _second_derivative(name, op),
        "float32 inputs, and the name of the node": _float32_and_node(name, op),
    }
    if name == "Mul":
        cases["a second backward through the same graph"] = _freed(name, op)
    for sa, sb in _BROADCAST:
        a0, b0 = rng.standard_normal(sa), rng.standard_normal(sb)
        g = rng.standard_normal(np.broadcast_shapes(sa, sb))
        cases[f"random values, shapes {sa} and {sb}, random upstream gradient"] = \
            _through_engine(name, op, a0, b0, g=g)
    return cases


def Mul(piece, rng):  # noqa: N802 (named after the piece)
    return _op_cases("Mul", piece, rng)


def Add(piece, rng):  # noqa: N802
    return _op_cases("Add", piece, rng)


# --- edges_for(args) --------------------------------------------------------------------------

def _two_ways():
    import engine

    class TwoWays(engine.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g0, g1):
            return g0 * 2 + g1 * 3

    return TwoWays


def _roles(named: dict) -> dict:
    """{id(node): (node, role)} for the node each named tensor's gradient goes to."""
    from engine import Tensor
    from engine.autograd.graph import accumulator_of

    roles = {}
    for label, t in named.items():
        if isinstance(t, Tensor) and t.requires_grad:
            if t.grad_fn is not None:
                roles[id(t.grad_fn)] = (t.grad_fn, f"the grad_fn of {label}")
            else:
                node = accumulator_of(t)
                roles[id(node)] = (node, f"the AccumulateGrad of {label}")
    return roles


def _edge(edge, roles):
    from engine.autograd.graph import AccumulateGrad, Node

    if not isinstance(edge, (tuple, list)) or len(edge) != 2:
        return f"not a (node, number) pair: a {type(edge).__name__}"
    node, number = edge
    if node is None:
        who = "None"
    elif id(node) in roles and roles[id(node)][0] is node:
        who = roles[id(node)][1]
    elif isinstance(node, AccumulateGrad):
        who = "an AccumulateGrad that is not the leaf's own"
    elif isinstance(node, Node):
        who = "a node that is not in this graph"
    else:
        who = f"a {type(node).__name__}"
    if isinstance(number, (int, np.integer)) and not isinstance(number, (bool, np.bool_)):
        return [who, int(number)]
    return [who, f"not an int: a {type(number).__name__}"]


def _edges(piece, build):
    def run():
        args, named = build()
        roles = _roles(named)  # made before the piece runs, as the engine's apply would
        got = piece(tuple(args))
        if not isinstance(got, (list, tuple)):
            return f"not a list: a {type(got).__name__}"
        return [_edge(e, roles) for e in got]

    return attempt(run)


def _kinds(rng):
    import engine

    two_ways = _two_ways()
    leaf = engine.tensor(rng.standard_normal(2), requires_grad=True)
    other = engine.tensor(rng.standard_normal(2), requires_grad=True)
    result = leaf * other
    second = two_ways.apply(other)[1]
    with engine.no_grad():
        frozen = leaf * 2
    return {
        "a leaf": leaf,
        "another leaf": other,
        "a result": result,
        "a second output": second,
        "a constant tensor": engine.tensor(rng.standard_normal(2)),
        "a result computed under no_grad": frozen,
        "a float": 7.0,
        "an int": 2,
    }


def edges_for(piece, rng):
    import engine

    def leaf(values):
        return engine.tensor(np.array(values, dtype=np.float64), requires_grad=True)

    def lesson_pair():
        a, b = leaf(2.0), leaf([1.0, 2.0])
        return (a, b), {"a": a, "b": b}

    def nonleaf_number():
        a = leaf([1.0, 2.0])
        y = a * 2
        return (y, 0.5), {"a": a, "y": y}

    def second_output():
        a = leaf([1.0, 2.0])
        p, q = _two_ways().apply(a)
        return (q, a), {"a": a, "q": q, "p": p}

    def three_args():
        a = leaf([1.0, 2.0])
        q = _two_ways().apply(a)[1]
        return (a, 1.0, q), {"a": a, "q": q}

    observed = {
        "two leaves that require grad": _edges(piece, lesson_pair),
        "the result of an op and a number": _edges(piece, nonleaf_number),
        "the second output of a node with two outputs, then a leaf": _edges(piece,
                                                                            second_output),
        "three arguments: a leaf, a number, a second output": _edges(piece, three_args),
    }
    kinds = _kinds(rng)
    for (n1, p), (n2, q) in itertools.product(kinds.items(), repeat=2):
        if not any(getattr(t, "requires_grad", False) for t in (p, q)):
            continue
        observed[f"{n1}, then {n2}"] = _edges(
            piece, lambda p=p, q=q: ((p, q), {"x": p, "y": q} if p is not q else {"x": p}))
    return observed
