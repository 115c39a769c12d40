"""Observations of chapter 03's pieces: ``topological_order`` and ``run_backward``.

``topological_order(roots)`` returns nodes, and any order in which every node comes after the
nodes that send it a gradient is right, so the student's order cannot simply equal the
reference's. The observation numbers the graph's nodes (in the order a breadth-first walk
from the roots meets them) and records the student's order as those numbers, together with
the graph's edges. Only the *order* is taken from the student's observation; the trusted side
judges it against the nodes and edges of the reference's observation of the same graph
(same seed), with ``COMPARE["topological_order"]`` below instead of plain equality.

``run_backward(loss)`` is observed as the gradients it leaves in the leaves' ``.grad`` (and
whether they were recorded), with the engine's own backward switched off while it runs, as in
the visible check.
"""

from __future__ import annotations

import numpy as np

from ._observe import attempt

TOLERANCE = {"run_backward": (1e-9, 1e-12)}

FORBIDDEN = {
    "topological_order": ("engine.autograd.engine_loop", "engine.viz", "engine.autograd.grad",
                          ".backward", "._seq", "torch"),
    "run_backward": ("engine.autograd.engine_loop.run_backward",
                     "engine.autograd.engine_loop.topological_order", "engine.viz",
                     "engine.autograd.grad", ".backward", "torch"),
}

HINTS = {
    "topological_order": "count the edges into every node first (each appearance in "
                         "next_functions counts), then release a node only when its count "
                         "drops to zero; use a loop and a list, not recursion.",
    "run_backward": "start with ones for the loss's node; in topological order, run each node "
                    "on the sum it received (AccumulateGrad: add into node.variable.grad), "
                    "sum every gradient back to its input's shape, all inside "
                    "engine.no_grad().",
}


# --- graphs --------------------------------------------------------------------------------------

def _t(values, requires_grad=False):
    import engine

    return engine.tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


def _chain():
    x = _t([1.0, 2.0], True)
    return [(x * 2 * 3).sum().grad_fn], [x]


def _lesson():
    w = _t(2.0, True)
    return [((w * 3 - 10) ** 2).grad_fn], [w]


def _used_twice():
    x = _t(1.0, True)
    y = x * 2
    return [(y * y + y).grad_fn], [x, y]


def _uneven():
    x = _t([0.5, -1.0], True)
    a = x * 2
    return [(a.exp().exp() + a).sum().grad_fn], [x, a]


def _line_fit():
    xs, ys = _t([1.0, 2.0, 3.0, 4.0]), _t([3.0, 5.0, 7.0, 9.0])
    w, b = _t(0.0, True), _t(0.0, True)
    return [((w * xs + b - ys) ** 2).mean().grad_fn], [w, b]


def _two_roots():
    a = _t([1.0, 2.0], True)
    h = a * 2
    p, q = h.sum(), (h * 3).sum()
    return [p.grad_fn, q.grad_fn], [a, h, p, q]


def _long_chain(n=3000):
    y = x = _t(1.0, True)
    kept = []
    for _ in range(n):
        y = y * 1.0
        kept.append(y)
    return [y.grad_fn], [x, kept]


def _random_values(rng, leaves=3, steps=30):
    values = [_t(rng.standard_normal(3), True) for _ in range(leaves)]
    values.append(_t(rng.standard_normal(3)))
    for _ in range(steps):
        p, q = (values[int(rng.integers(len(values)))] for _ in range(2))
        values.append(_combine(p, q, int(rng.integers(5))))
    return [v for v in values if v.requires_grad]


def _combine(p, q, kind):
    if kind == 0:
        return p * q
    if kind == 1:
        return p + q
    if kind == 2:
        return p - q
    if kind == 3:
        return (p * 0.5).tanh()
    return p.exp() * 0.1


def _random_graph(rng, roots):
    values = _random_values(rng)
    return [v.sum().grad_fn for v in values[-roots:]], values


def _number_nodes(roots):
    """{id(node): (node, number)} in breadth-first order from the roots, and the edges as
    pairs of numbers (one pair per appearance in next_functions)."""
    numbers, queue, edges = {}, [], []
    for root in roots:
        if id(root) not in numbers:
            numbers[id(root)] = (root, len(numbers))
            queue.append(root)
    i = 0
    while i < len(queue):
        node = queue[i]
        i += 1
        for child, _ in node.next_functions:
            if child is None:
                continue
            if id(child) not in numbers:
                numbers[id(child)] = (child, len(numbers))
                queue.append(child)
            edges.append([numbers[id(node)][1], numbers[id(child)][1]])
    return numbers, edges


def _order(piece, build):
    def run():
        roots, keep = build()  # noqa: F841 (keep holds the graph alive)
        numbers, edges = _number_nodes(roots)
        got = piece(list(roots))
        order = []
        for item in list(got):
            entry = numbers.get(id(item))
            order.append(entry[1] if entry is not None and entry[0] is item else -1)
        return {"order": order, "nodes": len(numbers), "edges": edges}

    return attempt(run)


def topological_order(piece, rng):
    observed = {
        "the chain x -> *2 -> *3 -> sum": _order(piece, _chain),
        "the lesson's loss (3w - 10)**2": _order(piece, _lesson),
        "y used along two paths: y * y + y": _order(piece, _used_twice),
        "two paths of different lengths: a.exp().exp() + a": _order(piece, _uneven),
        "the line fit: two parameters, two constant tensors": _order(piece, _line_fit),
        "two roots that share a node": _order(piece, _two_roots),
        "a chain of 3,000 multiplications": _order(piece, _long_chain),
    }
    for k in range(4):
        roots = 1 + k % 3
        observed[f"a random graph of 30 ops ({k + 1}), {roots} root(s)"] = _order(
            piece, lambda roots=roots: _random_graph(rng, roots))
    return observed


def _judge_order(expected, observed, where):
    if not isinstance(expected, dict) or "order" not in expected:
        return [] if expected == observed else [f"{where}: got {_short(observed)}"]
    if isinstance(observed, dict) and "raised" in observed:
        return [f"{where}: raised {_short(observed['raised'])}"]
    order = observed.get("order") if isinstance(observed, dict) else None
    if not isinstance(order, list) or not all(type(n) is int for n in order):
        return [f"{where}: got {_short(observed)}, expected a list of nodes"]
    n = expected["nodes"]
    if any(k < 0 or k >= n for k in order):
        return [f"{where}: the list holds something that is not a node of this graph"]
    if len(set(order)) != len(order):
        return [f"{where}: a node is listed more than once"]
    if len(order) != n:
        return [f"{where}: {len(order)} of the {n} nodes listed"]
    position = {node: i for i, node in enumerate(order)}
    for parent, child in expected["edges"]:
        if position[child] < position[parent]:
            return [f"{where}: a node comes before a node that sends it a gradient"]
    return []


def _compare_orders(expected, observed, rtol, atol, where=""):
    if not isinstance(expected, dict) or not isinstance(observed, dict):
        return [f"{where or 'observation'}: malformed"]
    problems = []
    for case, want in expected.items():
        if case not in observed:
            problems.append(f"{case}: missing")
        else:
            problems.extend(_judge_order(want, observed[case], case))
    return problems


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# A piece whose right answers are many: the trusted side judges the student's order against
# the reference observation's graph (its node count and edges), never the reference's order.
COMPARE = {"topological_order": _compare_orders}


# --- run_backward(loss) ---------------------------------------------------------------------------

class EngineBackwardUsed(RuntimeError):
    """run_backward called the engine's own backward (its topological order)."""


def _tripwire(roots):
    raise EngineBackwardUsed("the engine's own backward ran")


def _rb_lesson(rng):
    w = _t(2.0, True)
    return (w * 3 - 10) ** 2, {"w": w}


def _rb_chain(rng):
    x = _t([1.0, 2.0], True)
    return (x * 2 * 3).sum(), {"x": x}


def _rb_y_twice(rng):
    x = _t(1.0, True)
    y = x * 2
    return y * y + y, {"x": x}


def _rb_leaf_thrice(rng):
    x = _t(3.0, True)
    return x * x + x, {"x": x}


def _rb_line_fit(rng):
    xs, ys = _t([1.0, 2.0, 3.0, 4.0]), _t([3.0, 5.0, 7.0, 9.0])
    w, b = _t(0.0, True), _t(0.0, True)
    return ((w * xs + b - ys) ** 2).mean(), {"w": w, "b": b}


def _rb_broadcast_inside(rng):
    x = _t([1.0, 2.0, 3.0], True)
    return (x.sum() * _t([1.0, 10.0])).sum(), {"x": x}


def _rb_existing_grad(rng):
    w = _t(2.0, True)
    w.grad = _t(1.0)
    return (w * 3 - 10) ** 2, {"w": w}


def _rb_two_paths(rng):
    a = _t(rng.standard_normal(3), True)
    b = _t(rng.standard_normal(3), True)
    return (a.exp() * b + (a * b).tanh()).sum(), {"a": a, "b": b}


def _rb_matrix(rng):
    m = _t(rng.standard_normal((2, 2)), True)
    return (m.sum(0) * _t([[1.0], [2.0]])).mean(), {"m": m}


def _rb_random(rng):
    leaves = [_t(rng.standard_normal(3), True) for _ in range(2)]
    leaves.append(_t(rng.standard_normal(), True))
    values = list(leaves) + [_t(rng.standard_normal((2, 1)))]
    for _ in range(25):
        p, q = (values[int(rng.integers(len(values)))] for _ in range(2))
        values.append(_combine(p, q, int(rng.integers(5))))
    loss = leaves[2] * 0.0
    for v in values[-5:]:
        if v.requires_grad:
            loss = loss + v.sum()
    return loss, {f"leaf {i}": t for i, t in enumerate(leaves)}


def _backward(piece, build, rng):
    import engine

    def run():
        loss, leaves = build(rng)
        with engine.substitute(topological_order=_tripwire):
            piece(loss)
        return {name: {"grad": t.grad,
                       "recorded": None if t.grad is None else bool(t.grad.requires_grad)}
                for name, t in leaves.items()}

    return attempt(run)


def run_backward(piece, rng):
    observed = {
        "the lesson's loss (3w - 10)**2 at w = 2": _backward(piece, _rb_lesson, rng),
        "the chain x -> *2 -> *3 -> sum": _backward(piece, _rb_chain, rng),
        "gradients from two paths meet: y * y + y": _backward(piece, _rb_y_twice, rng),
        "a leaf used three times: x * x + x": _backward(piece, _rb_leaf_thrice, rng),
        "the line fit, w and b broadcast against xs": _backward(piece, _rb_line_fit, rng),
        "a broadcast inside the graph: (x.sum() * v).sum()": _backward(
            piece, _rb_broadcast_inside, rng),
        "a leaf whose .grad already holds a gradient": _backward(piece, _rb_existing_grad, rng),
        "exp and tanh on two paths, two leaves": _backward(piece, _rb_two_paths, rng),
        "(m.sum(0) * column).mean() for a 2x2 m": _backward(piece, _rb_matrix, rng),
    }
    for k in range(4):
        observed[f"a random loss of 25 ops ({k + 1})"] = _backward(piece, _rb_random, rng)
    return observed
