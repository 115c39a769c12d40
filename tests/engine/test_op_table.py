"""One table of ops drives the checks of every op against PyTorch and finite differences.

For each row: forward values, dtypes and shapes equal torch's; gradients equal torch's; the
grad_fn names equal torch's; and (without torch) gradients equal float64 central differences.
Broadcast shapes come from hypothesis.
"""

from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import engine
from engine.testing import assert_close, numerical_grad


@dataclass
class Op:
    name: str
    fn: object  # called as fn(lib, *tensors): the same code runs on engine and torch
    shapes: tuple
    domain: str = "any"  # any | positive | away_from_zero
    broadcast: bool = False
    kwargs: dict = field(default_factory=dict)


def _tanh_pair(lib, a, b):
    return lib.maximum(a, b)


OPS = [
    Op("add", lambda lib, a, b: a + b, ((2, 3), (2, 3)), broadcast=True),
    Op("radd", lambda lib, a: 2.5 + a, ((3,),)),
    Op("sub", lambda lib, a, b: a - b, ((2, 3), (3,)), broadcast=True),
    Op("rsub", lambda lib, a: 1 - a, ((4,),)),
    Op("mul", lambda lib, a, b: a * b, ((2, 3), (2, 1)), broadcast=True),
    Op("mul_scalar", lambda lib, a: a * 2, ((3,),)),
    Op("div", lambda lib, a, b: a / b, ((2, 3), (2, 3)), "away_from_zero", broadcast=True),
    Op("rdiv", lambda lib, a: 2 / a, ((3,),), "away_from_zero"),
    Op("pow_scalar", lambda lib, a: a**2, ((3, 2),)),
    Op("pow_frac", lambda lib, a: a**2.5, ((3,),), "positive"),
    Op("pow_tensor", lambda lib, a, b: a**b, ((3,), (3,)), "positive", broadcast=True),
    Op("rpow", lambda lib, a: 2**a, ((3,),)),
    Op("neg", lambda lib, a: -a, ((2, 2),)),
    Op("exp", lambda lib, a: a.exp(), ((2, 3),)),
    Op("log", lambda lib, a: a.log(), ((2, 3),), "positive"),
    Op("sqrt", lambda lib, a: a.sqrt(), ((2, 3),), "positive"),
    Op("sin", lambda lib, a: a.sin(), ((4,),)),
    Op("cos", lambda lib, a: a.cos(), ((4,),)),
    Op("tanh", lambda lib, a: a.tanh(), ((4,),)),
    Op("sigmoid", lambda lib, a: a.sigmoid(), ((4,),)),
    Op("relu", lambda lib, a: a.relu(), ((5,),), "away_from_zero"),
    Op("abs", lambda lib, a: a.abs(), ((5,),), "away_from_zero"),
    Op("clamp", lambda lib, a: a.clamp(-0.5, 0.5), ((6,),), "away_from_zero"),
    Op("clamp_min", lambda lib, a: a.clamp(min=0.1), ((6,),), "away_from_zero"),
    Op("clamp_min_fn", lambda lib, a: a.clamp_min(0.1), ((6,),), "away_from_zero"),
    Op("maximum", lambda lib, a, b: lib.maximum(a, b), ((2, 3), (3,)), broadcast=True),
    Op("minimum", lambda lib, a, b: lib.minimum(a, b), ((2, 3), (2, 3)), broadcast=True),
    Op("where", lambda lib, a, b: lib.where(a > 0, a, b), ((2, 3), (3,)), broadcast=True),
    Op("where_scalar", lambda lib, a: lib.where(a > 0, a, 0.0), ((5,),)),
    Op("sum", lambda lib, a: a.sum(), ((2, 3),)),
    Op("sum_dim", lambda lib, a: a.sum(1), ((2, 3),)),
    Op("sum_keepdim", lambda lib, a: a.sum(0, keepdim=True), ((2, 3),)),
    Op("sum_dims", lambda lib, a: a.sum((0, 2)), ((2, 3, 4),)),
    Op("mean", lambda lib, a: a.mean(), ((2, 3),)),
    Op("mean_dim", lambda lib, a: a.mean(-1), ((2, 3),)),
    Op("max", lambda lib, a: a.max(), ((2, 3),)),
    Op("max_dim", lambda lib, a: a.max(1)[0], ((2, 3),)),
    Op("max_dim_keepdim", lambda lib, a: a.max(0, keepdim=True)[0], ((2, 3),)),
    Op("min", lambda lib, a: a.min(), ((2, 3),)),
    Op("min_dim", lambda lib, a: a.min(0)[0], ((2, 3),)),
    Op("norm", lambda lib, a: a.norm(), ((2, 3),)),
    Op("norm_dim", lambda lib, a: a.norm(dim=1), ((2, 3),)),
    Op("norm_p1", lambda lib, a: a.norm(p=1), ((4,),), "away_from_zero"),
    Op("dot", lambda lib, a, b: a @ b, ((3,), (3,))),
    Op("mv", lambda lib, a, b: a @ b, ((2, 3), (3,))),
    Op("vm", lambda lib, a, b: a @ b, ((3,), (3, 2))),
    Op("mm", lambda lib, a, b: a @ b, ((2, 3), (3, 4))),
    Op("mm_method", lambda lib, a, b: a.mm(b), ((2, 3), (3, 4))),
    Op("bmm", lambda lib, a, b: a @ b, ((2, 2, 3), (2, 3, 4))),
    Op("bmm_broadcast", lambda lib, a, b: a @ b, ((2, 2, 3), (3, 4))),
    Op("batched_mv", lambda lib, a, b: a @ b, ((2, 2, 3), (3,))),
    Op("dot_fn", lambda lib, a, b: lib.dot(a, b), ((3,), (3,))),
    Op("t", lambda lib, a: a.t(), ((2, 3),)),
    Op("T", lambda lib, a: a.T, ((2, 3),)),
    Op("transpose", lambda lib, a: a.transpose(0, 2), ((2, 3, 4),)),
    Op("permute", lambda lib, a: a.permute(2, 0, 1), ((2, 3, 4),)),
    Op("reshape", lambda lib, a: a.reshape(3, 2), ((2, 3),)),
    Op("view", lambda lib, a: a.view(-1), ((2, 3),)),
    Op("flatten", lambda lib, a: a.flatten(), ((2, 3, 2),)),
    Op("squeeze", lambda lib, a: a.squeeze(), ((2, 1, 3),)),
    Op("squeeze_dim", lambda lib, a: a.squeeze(1), ((2, 1, 3),)),
    Op("unsqueeze", lambda lib, a: a.unsqueeze(1), ((2, 3),)),
    Op("expand", lambda lib, a: a.expand(4, 3), ((1, 3),)),
    Op("cat", lambda lib, a, b: lib.cat([a, b], dim=1), ((2, 3), (2, 2))),
    Op("stack", lambda lib, a, b: lib.stack([a, b], dim=1), ((2, 3), (2, 3))),
    Op("select", lambda lib, a: a[1], ((3, 2),)),
    Op("slice", lambda lib, a: a[1:], ((3, 2),)),
    Op("select_slice", lambda lib, a: a[0, 1:], ((3, 3),)),
    Op("slice_select", lambda lib, a: a[1:, 0], ((3, 3),)),
    Op("column", lambda lib, a: a[:, 0], ((3, 3),)),
    Op("none_index", lambda lib, a: a[None], ((3,),)),
    Op("ellipsis", lambda lib, a: a[..., 1], ((2, 3),)),
    Op("step_slice", lambda lib, a: a[::2], ((5,),)),
    Op("int_array", lambda lib, a: a[[0, 2, 2, 0]], ((3, 2),)),  # repeats: scatter-add
    Op("mask", lambda lib, a: a[a > 0], ((3, 4),)),
]


def _data(op, seed=0, shapes=None):
    rng = np.random.default_rng(seed)
    out = []
    for shape in shapes or op.shapes:
        a = rng.standard_normal(shape)
        if op.domain == "positive":
            a = np.abs(a) + 0.5
        elif op.domain == "away_from_zero":
            a = np.where(np.abs(a) < 0.2, np.where(a < 0, -0.3, 0.3), a)
        out.append(a)
    return out


def _run(lib, op, arrays, dtype):
    ts = [lib.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    out = op.fn(lib, *ts)
    seed = np.random.default_rng(42).standard_normal(tuple(out.shape))
    out.backward(lib.tensor(seed, dtype=out.dtype))
    return out, [t.grad for t in ts]


def _grad_fn_names(t):
    names, node = [], t.grad_fn
    while node is not None and type(node).__name__ != "AccumulateGrad":
        names.append(type(node).__name__)
        nxt = [f for f, _ in node.next_functions if f is not None]
        node = nxt[0] if nxt else None
    return names


@pytest.mark.oracle
@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
@pytest.mark.parametrize("op", OPS, ids=lambda o: o.name)
def test_values_gradients_dtypes_and_node_names_equal_torch(op, dtype_name):
    torch = pytest.importorskip("torch")
    arrays = _data(op)
    ours, our_grads = _run(engine, op, arrays, getattr(engine, dtype_name))
    theirs, their_grads = _run(torch, op, arrays, getattr(torch, dtype_name))
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert_close(ours, theirs)
    for g, tg in zip(our_grads, their_grads):
        assert_close(g, tg)
    if op.name.startswith(("bmm", "batched")):  # torch folds batches with extra views
        assert _grad_fn_names(ours)[0] == _grad_fn_names(theirs)[0]
    else:
        assert _grad_fn_names(ours) == _grad_fn_names(theirs)
    assert [f is None for f, _ in ours.grad_fn.next_functions] == [
        f is None for f, _ in theirs.grad_fn.next_functions
    ]


@pytest.mark.parametrize("op", OPS, ids=lambda o: o.name)
def test_gradients_equal_finite_differences(op):
    arrays = _data(op, seed=3)
    out, grads = _run(engine, op, arrays, engine.float64)
    seed = np.random.default_rng(42).standard_normal(tuple(out.shape))

    def scalar(*xs):
        with engine.no_grad():
            y = op.fn(engine, *[engine.tensor(x) for x in xs])
        return float((y.numpy() * seed).sum())

    for g, expected in zip(grads, numerical_grad(scalar, *arrays)):
        assert_close(g, expected, rtol=1e-6, atol=1e-7)


BROADCASTING = [op for op in OPS if op.broadcast]


@pytest.mark.oracle
@pytest.mark.parametrize("op", BROADCASTING, ids=lambda o: o.name)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_broadcast_shapes_equal_torch(op, data):
    torch = pytest.importorskip("torch")
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                     max_side=3)).input_shapes
    arrays = _data(op, seed=1, shapes=shapes)
    ours, our_grads = _run(engine, op, arrays, engine.float64)
    theirs, their_grads = _run(torch, op, arrays, torch.float64)
    assert_close(ours, theirs)
    for g, tg in zip(our_grads, their_grads):
        assert tuple(g.shape) == tuple(tg.shape)
        assert_close(g, tg)


@pytest.mark.oracle
@pytest.mark.parametrize(
    "expr",
    [
        lambda lib: lib.tensor([1, 2]) * 2.5,
        lambda lib: lib.tensor([1, 2]) / lib.tensor([2, 2]),
        lambda lib: lib.tensor([1.0, 2.0]) * lib.tensor(2.0, dtype=lib.float64),
        lambda lib: lib.tensor([1.0, 2.0]) + lib.tensor([1.0, 2.0], dtype=lib.float64),
        lambda lib: lib.tensor([1, 2]) + lib.tensor([True, False]),
        lambda lib: lib.tensor([True, False]) * 1.5,
        lambda lib: lib.tensor([1, 2], dtype=lib.int32) + 1,
        lambda lib: lib.tensor([1, 2]).sum(),
        lambda lib: lib.tensor([True, True]).sum(),
        lambda lib: lib.tensor([1, 2]).exp(),
        lambda lib: lib.tensor([1.0, 2.0]) > 1,
    ],
)
def test_type_promotion_equals_torch(expr):
    torch = pytest.importorskip("torch")
    ours, theirs = expr(engine), expr(torch)
    assert repr(ours.dtype).split(".")[-1] == repr(theirs.dtype).split(".")[-1]
    assert_close(ours, theirs)
