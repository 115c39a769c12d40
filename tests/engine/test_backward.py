"""Tensor.backward(gradient=None, retain_graph=None): implicit gradients, accumulation, freed
graphs, retain_graph, long chains, and gradients that do not alias each other."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import engine
from engine.testing import assert_close

from .conftest import EDGES, MSG, run_op


def test_scalar_output_gets_an_implicit_gradient_of_one():
    x = engine.tensor(3.0, requires_grad=True)
    y = x**2
    assert y.backward() is None
    assert_close(x.grad, engine.tensor(6.0))


@pytest.mark.parametrize("shape", [(1,), (1, 1), (1, 1, 1)])
def test_one_element_outputs_get_an_implicit_gradient(shape):
    x = engine.ones(*shape, requires_grad=True)
    (x * 3).backward()
    assert tuple(x.grad.shape) == shape
    assert x.grad.numpy().ravel().tolist() == [3.0]


def test_backward_on_a_leaf_itself():
    x = engine.tensor(2.0, requires_grad=True)
    x.backward()
    assert x.grad.tolist() == 1.0


@pytest.mark.parametrize("shape", [(2,), (2, 3), (0,)])
def test_non_scalar_output_without_gradient_is_refused(shape):
    x = engine.ones(*shape, requires_grad=True)
    with pytest.raises(RuntimeError) as err:
        (x * 2).backward()
    assert str(err.value) == MSG["scalar_outputs"]
    assert x.grad is None


def test_gradient_argument_weights_the_outputs():
    x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x**2
    y.backward(gradient=engine.tensor([1.0, 0.1, 0.01]))
    assert_close(x.grad, engine.tensor([2.0, 0.4, 0.06]))
    x.grad = None
    (x**2).backward(engine.ones_like(x))  # positional
    assert_close(x.grad, engine.tensor([2.0, 4.0, 6.0]))


def test_gradient_argument_for_a_matrix_output():
    x = engine.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (x**2).backward(engine.ones_like(x))
    assert x.grad.tolist() == [[2.0, 4.0], [6.0, 8.0]]


def test_gradients_accumulate_from_none():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    assert x.grad is None
    (x * 3).sum().backward()
    first = x.grad
    assert first.tolist() == [3.0, 3.0]
    (x * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    x.grad = None
    x.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_later_gradients_are_added_into_the_same_grad_tensor():
    """As in PyTorch: the first gradient is stored, later ones are added in place (a reference
    to x.grad sees the sum); after x.grad = None the next one is stored as a new tensor."""
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    held = x.grad
    (x * x).sum().backward()
    assert x.grad is held and held.tolist() == [5.0, 7.0]
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad is not held and x.grad.tolist() == [3.0, 3.0] and held.tolist() == [5.0, 7.0]


def test_backward_through_a_freed_graph_is_refused():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = (x**2).sum()
    y.backward()
    with pytest.raises(RuntimeError) as err:
        y.backward()
    assert str(err.value) == MSG["backward_twice"]
    assert x.grad.tolist() == [2.0, 4.0]  # untouched by the refused pass


def test_backward_twice_through_a_product_is_refused():
    x = engine.tensor(2.0, requires_grad=True)
    w = engine.tensor(3.0, requires_grad=True)
    z = x * w
    z.backward()
    with pytest.raises(RuntimeError) as err:
        z.backward()
    assert str(err.value) == MSG["backward_twice"]


def test_retain_graph_allows_a_second_backward():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = (x**2).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    assert x.grad.tolist() == [4.0, 8.0]
    y.backward()  # the last one frees it
    assert x.grad.tolist() == [6.0, 12.0]
    with pytest.raises(RuntimeError) as err:
        y.backward()
    assert str(err.value) == MSG["backward_twice"]


def test_a_graph_with_nothing_saved_may_be_walked_twice():
    """As in torch, only saved tensors are freed: x + 1 saves nothing."""
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_backward_on_a_tensor_without_grad_fn_is_refused():
    with pytest.raises(RuntimeError) as err:
        engine.tensor(1.0).backward()
    assert str(err.value) == MSG["no_grad_fn"]
    x = engine.tensor(1.0, requires_grad=True)
    with engine.no_grad():
        y = x * 2
    with pytest.raises(RuntimeError) as err:
        y.backward()
    assert str(err.value) == MSG["no_grad_fn"]


def test_a_leaf_reused_many_times_gets_the_sum():
    x = engine.tensor([1.0, -2.0], requires_grad=True)
    total = x
    for _ in range(999):
        total = total + x
    total.sum().backward()
    assert x.grad.tolist() == [1000.0, 1000.0]
    x.grad = None
    (x * x * x).sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]


def test_diamond_graph_sums_the_paths():
    x = engine.tensor([0.5, 2.0], dtype=engine.float64, requires_grad=True)
    y = x * 2
    z = (y * y + y).sum()  # dz/dx = (2y + 1) * 2
    z.backward()
    assert x.grad.tolist() == [(2 * 1.0 + 1) * 2, (2 * 4.0 + 1) * 2]


def test_long_chain_is_iterative_not_recursive():
    x = engine.tensor(1.0, dtype=engine.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0000001
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(min(limit, 2_000))  # a recursive walk could never make it
        y.backward()
    finally:
        sys.setrecursionlimit(limit)
    assert_close(x.grad, engine.tensor(1.0000001**100_000, dtype=engine.float64), rtol=1e-9)
    del y  # dropping the 100,000-node graph must not crash either


def test_grads_of_different_leaves_are_distinct_objects():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = engine.tensor([3.0, 4.0], requires_grad=True)
    z = x + y
    z.backward(engine.ones(2))
    assert x.grad is not y.grad
    x.grad.add_(10)
    assert y.grad.tolist() == [1.0, 1.0]
    assert x.grad.tolist() == [11.0, 11.0]


def test_grad_does_not_alias_the_gradient_argument():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    g = engine.tensor([1.0, 1.0])
    (x + 0).backward(g)
    x.grad.mul_(5)
    assert g.tolist() == [1.0, 1.0]


def test_leaves_that_do_not_require_grad_get_no_grad():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    c = engine.tensor([3.0, 4.0])
    unused = engine.tensor([1.0], requires_grad=True)
    (x * c).sum().backward()
    assert c.grad is None and unused.grad is None
    assert x.grad.tolist() == [3.0, 4.0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_grad_has_the_leaf_dtype_and_shape(dtype):
    x = engine.ones(2, 3, dtype=getattr(engine, dtype), requires_grad=True)
    (x * 2).sum().backward()
    assert x.grad.dtype == getattr(engine, dtype) and tuple(x.grad.shape) == (2, 3)
    assert x.grad.requires_grad is False and x.grad.grad_fn is None


def test_broadcast_gradients_are_summed_back_to_the_input_shape():
    a = engine.ones(2, 3, requires_grad=True)
    b = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    s = engine.tensor(2.0, requires_grad=True)
    (a * b * s).sum().backward()
    assert b.grad.tolist() == [4.0, 4.0, 4.0]
    assert s.grad.tolist() == 12.0
    assert a.grad.tolist() == [[2.0, 4.0, 6.0]] * 2


def test_scatter_add_for_repeated_indices():
    x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


def test_boolean_mask_gradient():
    x = engine.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x[x > 0] * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 2.0]


@pytest.mark.parametrize("case", EDGES, ids=lambda c: c[0].name)
def test_edge_values_compute_silently(case):
    """Kinks, zeros, infinities and empty tensors: torch computes them without a warning, so
    NumPy's RuntimeWarnings (divide by zero, invalid value, overflow, mean of empty slice) must
    not leak out of the engine's forward or backward."""
    op, values = case
    arrays = [np.asarray(v, dtype=np.float64) for v in values]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, out = run_op(op, engine, arrays, requires_grad=op.differentiable)
        if op.differentiable:
            out.backward(engine.ones_like(out))


def test_norm_0_gives_no_gradient():
    """p = 0 counts nonzeros: piecewise constant, and PyTorch's backward returns no gradient
    (x.grad stays None) where the engine used to divide by p."""
    x = engine.tensor([[0.0, 2.0, -1.0], [0.0, 0.0, 3.0]], requires_grad=True)
    y = x.norm(0, dim=1)
    assert y.tolist() == [2.0, 1.0] and type(y.grad_fn).__name__ == "LinalgVectorNormBackward0"
    y.sum().backward()
    assert x.grad is None


@pytest.mark.parametrize("grad_mode", [True, False], ids=["grad_mode", "no_grad"])
def test_calling_a_node_directly_computes_silently(grad_mode):
    """The backward pass silences NumPy's warnings once, around every node; a node called by
    hand (``y.grad_fn(g)``) is silenced the same way, and gives torch's values."""
    x = engine.tensor([0.0, 1.0, 4.0], requires_grad=True)
    y = x.log()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with engine.set_grad_enabled(grad_mode):
            got = y.grad_fn(engine.ones(3))
    got = got[0] if isinstance(got, tuple) else got
    assert np.asarray(got.tolist()).tolist() == [float("inf"), 1.0, 0.25]


@pytest.mark.oracle
@pytest.mark.parametrize("depth", [1, 5, 6, 7, 40])  # 8, 28, 33, 38, 203 nodes
def test_shared_subgraphs_of_every_size_run_in_a_valid_order(depth, torch):
    """Each step uses the previous result twice and a leaf it shares with every step, so the
    graph is full of diamonds; its size crosses the compiled core's small-graph limit (32
    nodes, a linear scan and an insertion sort up to it, a set and qsort above)."""
    grads = []
    for lib in (engine, torch):
        x = lib.tensor([0.5, -0.25], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([0.3, 0.2], dtype=lib.float64, requires_grad=True)
        y = x
        for _ in range(depth):
            y = (y * w + y.tanh() * 0.5).sin()
        y.sum().backward()
        grads.append((x.grad.tolist(), w.grad.tolist()))
    assert_close(np.array(grads[0][0]), np.array(grads[1][0]), rtol=1e-12, atol=1e-14)
    assert_close(np.array(grads[0][1]), np.array(grads[1][1]), rtol=1e-12, atol=1e-14)


_ZERO_D_OPS = {
    "sign": lambda t: t.sign() * t,
    "tanh": lambda t: t.tanh(),
    "sigmoid": lambda t: t.sigmoid(),
    "relu": lambda t: t.relu(),
    "square": lambda t: t**2,
    "tanh of a product": lambda t: (t * 0.5).tanh(),
}


@pytest.mark.oracle
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", list(_ZERO_D_OPS))
def test_zero_d_tensors_backward_and_double_backward(op, dtype, torch):
    """0-d tensors: NumPy returns scalars, not arrays, for 0-d arithmetic, so a backward
    formula that writes into its own temporaries must not assume it has an array."""
    got, want = [], []
    for lib, out in ((engine, got), (torch, want)):
        x = lib.tensor(0.3, dtype=getattr(lib, dtype), requires_grad=True)
        y = _ZERO_D_OPS[op](x)
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        out.append(lib.autograd.grad(g, x)[0].item())
        y = _ZERO_D_OPS[op](x)
        y.backward()
        out.extend([g.item(), x.grad.item()])
    assert_close(np.array(got), np.array(want), rtol=1e-6, atol=1e-7)


@pytest.mark.oracle
def test_second_derivative_through_relu_is_zero_as_torch(torch):
    """relu's gradient stays connected to its output with a zero derivative (PyTorch's
    threshold_backward): a second derivative through it is 0, not an error."""
    got = []
    for lib in (engine, torch):
        x = lib.tensor([-1.0, 0.0, 2.0, 3.0], requires_grad=True)
        (g,) = lib.autograd.grad(x.relu().sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        got.append((g.tolist(), gg.tolist(), g.requires_grad))
    assert got[0] == got[1]


# --- the order of a big graph ------------------------------------------------------------------

_DAG_STEPS = (
    lambda u, v: u * v,
    lambda u, v: u + v.tanh(),
    lambda u, v: (u - v) * 0.5,
    lambda u, v: u.sin() + v,
)


@pytest.mark.oracle
@pytest.mark.parametrize("size", [5, 31, 33, 64, 100, 700])
def test_a_random_graph_with_shared_nodes_gets_torchs_gradients(torch, size):
    """Each node joins two earlier ones, so intermediates feed many later nodes: backward must
    reach a node only after every path into it (the compiled core sorts small graphs and big
    ones, past 32 nodes, in two ways)."""
    rng = np.random.default_rng(size)
    picks = [(int(rng.integers(0, k + 3)), int(rng.integers(0, k + 3)), int(rng.integers(0, 4)))
             for k in range(size)]
    start = rng.uniform(-1, 1, (3, 4))

    def grads(lib):
        leaves = [lib.tensor(row, requires_grad=True) for row in start]
        values = list(leaves)
        for i, j, step in picks:
            values.append(_DAG_STEPS[step](values[i], values[j]).clamp(-2, 2))
        sum(v.sum() for v in values[-5:]).backward()
        return [leaf.grad.detach().numpy() for leaf in leaves]

    for ours, theirs in zip(grads(engine), grads(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


_PIECE_LOSSES = {
    "first only": lambda p, q, r: (p * p).sum(),
    "second only": lambda p, q, r: (q * 3).sum(),
    "first then second": lambda p, q, r: (p * 2).sum() + (q * q).sum(),
    "second then first": lambda p, q, r: (q * q).sum() + (p * 2).sum(),
    "all, one twice": lambda p, q, r: (p * r).sum() + q.sum() + r.sum(),
    "through an index of the second": lambda p, q, r: q[0] * 1,
}


@pytest.mark.oracle
@pytest.mark.parametrize("loss", list(_PIECE_LOSSES), ids=list(_PIECE_LOSSES))
def test_a_node_of_several_outputs_gets_the_gradients_of_each(torch, loss):
    """A multi-output node (split) collects a gradient per output, whichever arrive and in
    whatever order; the backward pass keeps output 0's alone until another one comes."""

    def grad(lib):
        x = lib.tensor([1.0, -2.0, 3.0, 0.5, 4.0, -1.5], requires_grad=True)
        _PIECE_LOSSES[loss](*x.split(2)).backward()
        return x.grad.numpy()

    np.testing.assert_allclose(grad(engine), grad(torch))


@pytest.mark.oracle
def test_backward_from_a_second_output_itself(torch):
    def grad(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        x.unbind()[1].backward()  # the root is output 1 of UnbindBackward0
        return x.grad.numpy()

    np.testing.assert_array_equal(grad(engine), grad(torch))


@pytest.mark.oracle
def test_a_recorded_pass_inside_a_leaf_hook_gets_tensors_from_the_node_just_run(torch):
    """A leaf's hook runs right after the pass ran tanh's backward on raw arrays; a recorded
    pass it starts through that same node must get tensors from its saved_tensors (the
    compiled core marks the node whose built-in backward is running, and must unmark it)."""
    got = []
    for lib in (engine, torch):
        x = lib.tensor([0.3, -1.2, 0.7], dtype=lib.float64, requires_grad=True)
        y = x.tanh()
        seen = []

        def hook(g, x=x, y=y, lib=lib, seen=seen):
            if seen:  # the passes below reach x too
                return g
            seen.append("running")
            with lib.enable_grad():
                (gx,) = lib.autograd.grad(y.sum(), x, create_graph=True)
                seen.append(gx.requires_grad)
                (ggx,) = lib.autograd.grad(gx.sum(), x)  # tanh's second derivative
            seen.append(ggx.detach().numpy().copy())
            return g

        x.register_hook(hook)
        (y * 3).sum().backward(retain_graph=True)
        got.append((seen[1], seen[2], x.grad.detach().numpy().copy()))
    (req, second, grad), (t_req, t_second, t_grad) = got
    assert req and t_req
    assert_close(second, t_second, rtol=1e-12, atol=1e-12)
    assert_close(grad, t_grad, rtol=1e-12, atol=1e-12)


_FIRST_HOOKS = """
import engine
from engine.autograd import graph

x = engine.tensor([1.0, 2.0], requires_grad=True)
(x * 2).sum().backward()  # no node has ever had a hook in this process
assert graph.HOOKED_EVER == [False], graph.HOOKED_EVER
seen = []
y, z, w = x * 3, x * 4, x * 5
y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append("node"))
z.register_hook(lambda g: seen.append("tensor") or g * 10)
w.retain_grad()
(y.sum() + z.sum() + w.sum()).backward()
assert graph.HOOKED_EVER == [True]
assert sorted(seen) == ["node", "tensor"], seen
assert x.grad.tolist() == [2 + 3 + 40 + 5] * 2, x.grad
assert w.grad.tolist() == [1.0, 1.0]
print("ok")
"""


def test_the_first_hooks_of_a_process_run_in_the_next_backward():
    """The backward loop skips reading each node's hook flag until some node of the process has
    had a hook (graph.HOOKED_EVER): the first node hook, tensor hook and retain_grad each run
    in the pass that follows, in a fresh process (engine and environment as this run's)."""
    import os
    import subprocess
    from pathlib import Path

    out = subprocess.run([sys.executable, "-c", _FIRST_HOOKS], env=dict(os.environ),
                         cwd=Path(__file__).resolve().parents[2], capture_output=True,
                         text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
