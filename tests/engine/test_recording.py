"""Recording the graph: requires_grad, its propagation, is_leaf, grad_fn and next_functions,
AccumulateGrad, requires_grad_(), detach() and detach_().

grad_fn names are checked against torch in test_ops_oracle.py for every op of the table; the
graphs below torch records through several nodes are compared here two levels deep.
"""

from __future__ import annotations

import numpy as np
import pytest

import engine

from .conftest import MSG, signature

# ---------------------------------------------------------------------------------------
# requires_grad


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_floating_tensors_can_require_grad(dtype):
    x = engine.tensor([1.0, 2.0], dtype=getattr(engine, dtype), requires_grad=True)
    assert x.requires_grad is True
    assert x.is_leaf is True and x.grad_fn is None and x.grad is None


def test_requires_grad_defaults_to_false():
    x = engine.tensor([1.0, 2.0])
    assert x.requires_grad is False and x.is_leaf is True and x.grad is None


@pytest.mark.parametrize(
    "make",
    [lambda: engine.tensor([1, 2]), lambda: engine.tensor(3), lambda: engine.tensor([True])],
    ids=["int", "int_0d", "bool"],
)
def test_only_floating_tensors_can_require_grad(make):
    with pytest.raises(RuntimeError) as ctor:
        t = make()
        engine.tensor(t.tolist(), requires_grad=True)
    assert str(ctor.value) == MSG["requires_grad_ctor"]
    t = make()
    with pytest.raises(RuntimeError) as setter:
        t.requires_grad = True
    assert str(setter.value) == MSG["requires_grad_setter"]
    with pytest.raises(RuntimeError) as method:
        t.requires_grad_()
    assert str(method.value) == MSG["requires_grad_method"]
    assert t.requires_grad is False
    t.requires_grad = False  # allowed: nothing changes
    t.requires_grad_(False)


def test_requires_grad_propagates():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    c = engine.tensor([3.0, 4.0])
    y = x * c
    assert y.requires_grad is True and y.is_leaf is False and y.grad_fn is not None
    z = c * 2 + c.exp()
    assert z.requires_grad is False and z.is_leaf is True and z.grad_fn is None
    w = (z + y).sum()
    assert w.requires_grad is True and w.grad_fn is not None


def test_requires_grad_method_returns_self():
    x = engine.tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad is True and x.is_leaf
    assert x.requires_grad_(False) is x and x.requires_grad is False
    x.requires_grad = True
    assert x.requires_grad is True and x.is_leaf


def test_requires_grad_flags_of_non_leaves_cannot_change():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError) as false:
        y.requires_grad = False
    assert str(false.value) == MSG["nonleaf_requires_grad_false"]
    with pytest.raises(RuntimeError) as false_method:
        y.requires_grad_(False)
    assert str(false_method.value) == MSG["nonleaf_requires_grad_false"]
    with pytest.raises(RuntimeError) as true:
        y.requires_grad = True
    assert str(true.value) == MSG["nonleaf_requires_grad"]
    assert y.requires_grad_(True) is y  # already True: fine
    assert y.requires_grad and not y.is_leaf


# ---------------------------------------------------------------------------------------
# grad_fn and next_functions


def test_next_functions_of_mul_by_scalar():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert type(y.grad_fn).__name__ == "MulBackward0"
    (acc, nr0), (none, nr1) = y.grad_fn.next_functions
    assert type(acc).__name__ == "AccumulateGrad" and acc.variable is x and nr0 == 0
    assert none is None and nr1 == 0
    assert acc.next_functions == ()


def test_next_functions_has_none_for_inputs_not_requiring_grad():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    c = engine.tensor([3.0, 4.0])
    (a, _), (b, _) = (c * x).grad_fn.next_functions
    assert a is None and b.variable is x


def test_the_same_accumulate_grad_for_a_leaf_used_twice():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    (a, _), (b, _) = y.grad_fn.next_functions
    assert a is b and a.variable is x
    z = x.exp() + x.sin()
    (e, _), (s, _) = z.grad_fn.next_functions
    assert e.next_functions[0][0] is s.next_functions[0][0]
    assert e.next_functions[0][0].variable is x


# A leaf keeps one AccumulateGrad for life (PyTorch remakes it per graph; see graph.py): the
# node refers to the leaf weakly, and the nodes that use the leaf hold it, so the graph keeps
# the leaf alive exactly as long as PyTorch's does, and dropping both frees them at once.

# every way an op records its inputs: binary, unary, n-ary built-ins and a user's Function
_USES_OF_A_LEAF = {
    "binary": lambda x: x + 1,
    "unary": lambda x: x.neg(),
    "n_ary": lambda x: engine.cat([x, x]),
    "user_function": lambda x: _Twice.apply(x),
}


class _Twice(engine.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 2


def test_a_leaf_keeps_its_accumulate_grad_across_graphs():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    first = (x * 2).grad_fn.next_functions[0][0]
    assert (x + 1).grad_fn.next_functions[0][0] is first  # the first graph is gone by now
    assert first.variable is x


@pytest.mark.parametrize("use", list(_USES_OF_A_LEAF))
def test_a_graph_keeps_a_leaf_it_uses_alive(use):
    import gc
    import weakref

    x = engine.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    y = _USES_OF_A_LEAF[use](x)
    leaf = weakref.ref(x)
    del x
    gc.collect()
    assert leaf() is not None and y.grad_fn.next_functions[0][0].variable is leaf()
    y.sum().backward()
    assert seen and leaf().grad is not None  # its hook ran, as in PyTorch
    del y
    gc.collect()
    assert leaf() is None


@pytest.mark.parametrize("use", list(_USES_OF_A_LEAF))
def test_a_dropped_leaf_is_freed_at_once(use):
    """No reference cycle between a leaf and its AccumulateGrad: freed without the collector."""
    import gc
    import weakref

    gc.disable()
    try:
        x = engine.tensor([1.0, 2.0], requires_grad=True)
        _USES_OF_A_LEAF[use](x).sum().backward()
        leaf, acc = weakref.ref(x), weakref.ref(x._acc)
        del x
        assert leaf() is None and acc() is None
    finally:
        gc.enable()


@pytest.mark.parametrize("use", list(_USES_OF_A_LEAF))
def test_every_use_of_a_leaf_shares_one_edge_to_its_accumulator(use):
    """The edge (AccumulateGrad, 0) is made once per leaf, not once per op that uses it, and
    leads to the leaf's one accumulator, whichever way the op is recorded."""
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    first, second = _USES_OF_A_LEAF[use](x), x * 3
    shared = second.grad_fn._edges[0]
    assert shared == (x._acc, 0) and shared[0] is x._acc
    to_x = [e for e in first.grad_fn._edges if e is not None and e[0] is x._acc]
    assert to_x and all(e is shared for e in to_x)
    assert any(f is x._acc for f, _ in first.grad_fn.next_functions)


def test_walking_the_graph_from_the_output_to_the_leaves():
    x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = engine.tensor([0.5, -1.0, 2.0], requires_grad=True)
    z = (x * w).sum()
    names, leaves, todo, seen = [], [], [z.grad_fn], set()
    while todo:
        fn = todo.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        names.append(type(fn).__name__)
        if hasattr(fn, "variable"):
            leaves.append(fn.variable)
        todo.extend(f for f, _ in fn.next_functions)
    assert names[:2] == ["SumBackward0", "MulBackward0"]
    assert sorted(map(id, leaves)) == sorted([id(x), id(w)])


def test_is_leaf():
    x = engine.tensor([1.0], requires_grad=True)
    assert x.is_leaf and not (x * 1).is_leaf
    assert engine.tensor([1.0]).is_leaf and (engine.tensor([1.0]) * 2).is_leaf
    with engine.no_grad():
        assert (x * 2).is_leaf
    assert (x * 2).detach().is_leaf


# Graphs torch records through more than one node, two levels deep (or as deep as given).
DEEP = [
    ("x@W", lambda T, x, W, B: x @ W),
    # torch's BmmBackward0 sits on View/Expand internals: compare down to BmmBackward0 only
    ("B@B", lambda T, x, W, B: B @ B, 1),
    ("W[0,1:]", lambda T, x, W, B: W[0, 1:]),
    ("W[:,0]", lambda T, x, W, B: W[:, 0]),
    ("W[None]", lambda T, x, W, B: W[None]),
    ("squeeze()", lambda T, x, W, B: W[None].squeeze()),
    ("squeeze(0)", lambda T, x, W, B: W[None].squeeze(0)),
    ("squeeze((0, 2))", lambda T, x, W, B: W[None].squeeze((0, 2))),
    ("where(c,x,0.)", lambda T, x, W, B: T.where(x > 0, x, 0.0)),
    ("x*2", lambda T, x, W, B: x * 2),
    ("1-x", lambda T, x, W, B: 1 - x),
    ("x**2", lambda T, x, W, B: x**2),
    ("x**x", lambda T, x, W, B: x.abs() ** x),
    ("2**x", lambda T, x, W, B: 2**x),
    ("clamp(min=0)", lambda T, x, W, B: x.clamp(min=0)),
    ("clamp_min(0)", lambda T, x, W, B: x.clamp_min(0)),
    ("norm()", lambda T, x, W, B: x.norm()),
    ("max()", lambda T, x, W, B: W.max()),
    ("max(dim)", lambda T, x, W, B: W.max(1).values),
    ("sum()", lambda T, x, W, B: W.sum()),
    ("sum(dim)", lambda T, x, W, B: W.sum(0)),
    ("mean()", lambda T, x, W, B: W.mean()),
    ("mean(dim)", lambda T, x, W, B: W.mean(1)),
    ("2-level", lambda T, x, W, B: ((x * 2).exp() + W).sum(0)),
]


@pytest.mark.oracle
@pytest.mark.parametrize("case", DEEP, ids=lambda c: c[0])
def test_graph_two_levels_deep_matches_torch(case, torch):
    fn, depth = case[1], (case[2] if len(case) > 2 else 2)
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(3,), (3, 3), (2, 3, 3)]]
    e = fn(engine, *[engine.tensor(a, requires_grad=True) for a in arrays])
    t = fn(torch, *[torch.tensor(a, requires_grad=True) for a in arrays])
    assert signature(e.grad_fn, depth) == signature(t.grad_fn, depth)


# ---------------------------------------------------------------------------------------
# detach


def test_detach_shares_data_but_not_the_graph():
    x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = x.detach()
    assert d is not x
    assert d.requires_grad is False and d.grad_fn is None and d.is_leaf
    d.zero_()  # allowed on the detached tensor, and visible in x
    assert x.tolist() == [0.0, 0.0, 0.0]
    assert x.requires_grad is True


def test_detach_of_a_non_leaf():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.tolist() == [2.0, 4.0] and not d.requires_grad and d.grad_fn is None
    d.add_(1)
    assert y.tolist() == [3.0, 5.0]
    assert y.grad_fn is not None


def test_gradient_flows_around_a_detached_tensor():
    x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    u = y.detach()
    (u * x).sum().backward()
    assert x.grad.tolist() == u.tolist()


def test_detach_in_place():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.detach_() is y
    assert y.requires_grad is False and y.grad_fn is None and y.is_leaf
    assert y.tolist() == [2.0, 4.0]
    assert x.requires_grad is True


def test_detach_in_place_on_a_view_is_refused():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    v = (x * 1)[0]
    with pytest.raises(RuntimeError) as err:
        v.detach_()
    assert str(err.value).startswith(MSG["detach_view"])


_CYCLE_OPS = {
    "tanh (saves its output)": lambda x, w: x.tanh(),
    "relu": lambda x, w: x.relu(),
    "x * x (saves its inputs)": lambda x, w: x * x,
    "x @ w": lambda x, w: x @ w,
    "x * 2 + x": lambda x, w: x * 2 + x,
    "sum": lambda x, w: x.sum(),
}


def _a_cycle_through_a_hook(op):
    """x -> its hook -> the hook's closure -> y -> y's node -> its input meta and saved
    entries -> x; the names go when this returns, the cycle stays."""
    import weakref

    x = engine.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    w = engine.tensor([[1.0], [2.0]], requires_grad=True)
    y = _CYCLE_OPS[op](x, w)
    x.register_hook(lambda g: g if y is not None else g)
    return weakref.ref(y.grad_fn), weakref.ref(x)


@pytest.mark.parametrize("op", list(_CYCLE_OPS))
def test_a_reference_cycle_through_a_hook_is_collected(op):
    """The collector must see every container on such a cycle (the compiled core takes only
    containers of plain data off the collector's lists)."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        node, leaf = _a_cycle_through_a_hook(op)
        assert node() is not None and leaf() is not None  # a cycle: not freed by refcounts
        gc.collect()
        assert node() is None and leaf() is None
    finally:
        if was:
            gc.enable()
