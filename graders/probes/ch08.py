"""Observations of chapter 08's pieces: ``unbroadcast``, ``MatMul`` and ``SGD``.

Each function runs the piece on inputs drawn from the grader's ``rng`` and returns plain
data (see ``graders.probes``): the same function runs on the student's piece in the sandbox
and on the reference solution in the grader.
"""

from __future__ import annotations

import numpy as np

from ._observe import attempt, op_observation

# --- unbroadcast(grad, shape) ----------------------------------------------------------------

_SHAPES = [
    ("row reused for every row", (2, 3), (3,)),
    ("column reused for every column", (2, 3), (2, 1)),
    ("one number used everywhere", (2, 3), ()),
    ("nothing broadcast", (2, 3), (2, 3)),
    ("a dimension added and one stretched", (4, 2, 3), (2, 1)),
    ("a size-1 dimension not stretched", (3, 1, 2), (1, 1, 2)),
    ("two dimensions added", (2, 2, 3), (3,)),
]


def unbroadcast(piece, rng):
    import engine

    observed = {}
    for label, grad_shape, shape in _SHAPES:
        grad = rng.standard_normal(grad_shape)
        observed[label] = attempt(lambda g=grad, s=shape: np.asarray(piece(g.copy(), s)))
    grad = rng.standard_normal((2, 3))
    observed["a tensor gradient, summed to (2, 1)"] = attempt(
        lambda: piece(engine.tensor(grad), (2, 1)))
    observed["a tensor gradient, nothing to sum"] = attempt(
        lambda: piece(engine.tensor(grad), (2, 3)))

    a0, b0, c0 = (rng.standard_normal(s) for s in ((2, 3), (3,), (2, 1)))
    g = rng.standard_normal((2, 3))

    def inside_the_engine():
        leaves = [engine.tensor(v, requires_grad=True) for v in (a0, b0, c0, np.array(1.5))]
        a, b, c, w = leaves
        with engine.substitute(sum_to=piece):
            (w * a * b + c).backward(engine.tensor(g))
        return [t.grad for t in leaves]

    observed["inside the engine: w * a * b + c"] = attempt(inside_the_engine)

    x0, k0 = rng.standard_normal(3), rng.standard_normal((2, 3))

    def second_derivative():
        x = engine.tensor(x0, requires_grad=True)
        with engine.substitute(sum_to=piece):
            (first,) = engine.autograd.grad((x * x * engine.tensor(k0)).sum(), x,
                                            create_graph=True)
            (again,) = engine.autograd.grad(first.sum(), x)
        return [first, again]

    observed["a second derivative through broadcasting"] = attempt(second_derivative)
    return observed


# --- MatMul: the 2-D matrix product ----------------------------------------------------------

def MatMul(piece, rng):  # noqa: N802 (named after the piece)
    import engine

    a, b, sq = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal((3, 3))
    col, row = rng.standard_normal((3, 1)), rng.standard_normal((1, 2))
    w24, w33 = rng.standard_normal((2, 4)), rng.standard_normal((3, 3))  # weigh the outputs

    def weighted(x, y, w):
        return (x @ y) * engine.tensor(w)

    observed = op_observation("Mm", piece, {
        "(2, 3) @ (3, 4)": lambda x, y, *_: weighted(x, y, w24),
        "square @ square": lambda x, y, s, *_: weighted(s, s.t() * 0.5 + s, w33),
        "a column times a row": lambda *t: t[3] @ t[4],
        "a vector times a matrix": lambda x, y, *_: x[0] @ y,
        "data @ weights": lambda x, y, *_: (x.detach() @ y) * engine.tensor(w24),
    }, [a, b, sq, col, row])

    def float32():
        x = engine.tensor(a, dtype=engine.float32, requires_grad=True)
        y = engine.tensor(b, dtype=engine.float32, requires_grad=True)
        with engine.substitute(Mm=piece):
            out = x @ y
            out.sum().backward()
        return [str(out.dtype), str(x.grad.dtype), str(y.grad.dtype)]

    def second_derivative():
        x = engine.tensor(a, requires_grad=True)
        y = engine.tensor(b, requires_grad=True)
        with engine.substitute(Mm=piece):
            (gx,) = engine.autograd.grad(((x @ y) ** 2).sum(), x, create_graph=True)
            (gy,) = engine.autograd.grad(gx.sum(), y)
        return [gx, gy]

    def freed():
        x = engine.tensor(a, requires_grad=True)
        y = engine.tensor(b, requires_grad=True)
        with engine.substitute(Mm=piece):
            out = (x @ y).sum()
            out.backward()
            out.backward()
        return "the second backward ran"

    observed["float32 stays float32"] = attempt(float32)
    observed["a second derivative"] = attempt(second_derivative)
    observed["a second backward after the first freed the graph"] = attempt(freed)
    return observed


# --- SGD -------------------------------------------------------------------------------------

_CONFIGS = [
    ("plain", {"lr": 0.1}, "none"),
    ("momentum", {"lr": 0.05, "momentum": 0.9}, "none"),
    ("weight decay", {"lr": 0.1, "weight_decay": 0.1}, "none"),
    ("momentum and weight decay", {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.2}, "none"),
    ("momentum, zero_grad(set_to_none=False)", {"lr": 0.05, "momentum": 0.9}, "zeros"),
]


def SGD(piece, rng):  # noqa: N802 (named after the piece)
    import engine

    init = [rng.standard_normal(3), rng.standard_normal(2), rng.standard_normal(2)]
    targets = [rng.standard_normal(3), rng.standard_normal(2)]
    weights = [rng.uniform(0.2, 2.0, 3), rng.uniform(0.2, 2.0, 2)]

    def loss(params):  # the third parameter takes no part: its .grad stays None
        return sum((engine.tensor(c) * (p - engine.tensor(t)) ** 2).sum()
                   for p, t, c in zip(params, targets, weights))

    def trajectory(config, zero, generator=False, steps=4):
        params = [engine.tensor(v, requires_grad=True) for v in init]
        opt = piece(iter(params) if generator else params, **config)
        history = []
        for _ in range(steps):
            if zero == "zeros":
                opt.zero_grad(set_to_none=False)
            else:
                opt.zero_grad()
            loss(params).backward()
            opt.step()
            history.append([p.detach().numpy().copy() for p in params])
        leaves = all(p.is_leaf and p.grad_fn is None and p.requires_grad for p in params)
        return {"history": history, "still leaves": leaves}

    observed = {label: attempt(lambda c=config, z=zero: trajectory(c, z))
                for label, config, zero in _CONFIGS}
    observed["parameters from a generator"] = attempt(
        lambda: trajectory({"lr": 0.05}, "none", generator=True, steps=3))

    def zero_grad(set_to_none):
        params = [engine.tensor(v, requires_grad=True) for v in init]
        opt = piece(params, lr=0.1)
        loss(params).backward()
        if set_to_none:
            opt.zero_grad()
        else:
            opt.zero_grad(set_to_none=False)
        return [None if p.grad is None else p.grad for p in params]

    observed["zero_grad()"] = attempt(lambda: zero_grad(True))
    observed["zero_grad(set_to_none=False)"] = attempt(lambda: zero_grad(False))
    return observed


# For the instructor's review (graders/grade/provenance.py): names that would mean the piece
# calls the engine's own implementation instead of being the student's work.
FORBIDDEN = {
    "unbroadcast": ("engine.ops", "engine.sum_to", "torch"),
    "MatMul": ("engine.ops.linalg", "engine.matmul", "engine.mm", "engine.autograd.grad", ".apply",
               ".backward", "torch"),
    "SGD": ("engine.optim", "torch"),
}
