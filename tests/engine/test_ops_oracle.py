"""Every op of the table (conftest.OPS) against PyTorch: values, dtypes, shapes, gradients,
grad_fn names and the shape of next_functions; broadcasting with hypothesis. Each runs on
every device of conftest.DEVICES (the engine's results must stay on the device; PyTorch, on
the CPU, is the oracle for all of them).

The same ``op.fn(lib, *tensors)`` runs on ``lib=engine`` and ``lib=torch``; torch is the
oracle, so nothing here hard-codes an expected number or name.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import engine
from engine.testing import assert_close

from .conftest import (
    BROADCAST,
    DEVICES,
    DIFFERENTIABLE,
    EDGES,
    FLOAT_DTYPES,
    HYPOTHESIS,
    NODES,
    OPS,
    dtype_name,
    index_ops,
    matmul_ops,
    next_shape,
    node_name,
    on_device,
    reduction_ops,
    rng_for,
    run_op,
)

pytestmark = pytest.mark.oracle


def _check_forward(e_out, t_out, msg="", device="cpu"):
    assert isinstance(e_out, engine.Tensor), f"{msg}: got {type(e_out).__name__}"
    assert e_out.device.type == device, f"{msg}: the result is on {e_out.device}, not {device}"
    assert tuple(e_out.shape) == tuple(t_out.shape), f"{msg}: shape"
    assert str(e_out.dtype) == str(t_out.dtype).replace("torch.", "engine."), f"{msg}: dtype"
    assert_close(e_out, t_out, msg=msg, equal_nan=True)


def _upstream(rng, out, dtype):
    return rng.standard_normal(tuple(out.shape)).astype(dtype_name(out.dtype))


def _check_grads(e_inputs, t_inputs, msg=""):
    for k, (ei, ti) in enumerate(zip(e_inputs, t_inputs)):
        if ti.grad is None:
            assert ei.grad is None, f"{msg}: input {k} should have grad None, got {ei.grad!r}"
            continue
        assert ei.grad is not None, f"{msg}: input {k} has no grad"
        assert isinstance(ei.grad, engine.Tensor)
        assert ei.grad.device == ei.device, f"{msg}: input {k}'s grad is on {ei.grad.device}"
        assert ei.grad.requires_grad is False
        assert tuple(ei.grad.shape) == tuple(ti.shape), f"{msg}: input {k} grad shape"
        assert_close(ei.grad, ti.grad, msg=f"{msg}: grad of input {k}", equal_nan=True)


def _forward_and_backward(op, torch, arrays, dtype, rng, device="cpu"):
    e_in, e_out = run_op(op, engine, arrays, device=device)
    t_in, t_out = run_op(op, torch, arrays)
    _check_forward(e_out, t_out, op.name, device)
    if op.differentiable:
        assert e_out.requires_grad and e_out.grad_fn is not None and not e_out.is_leaf
        g = _upstream(rng, t_out, dtype)
        t_out.backward(torch.tensor(g))
        e_out.backward(engine.tensor(g, device=device))
        assert any(t.grad is not None for t in t_in), f"{op.name}: torch gave no gradient"
        _check_grads(e_in, t_in, op.name)
    else:
        assert e_out.requires_grad is False and e_out.grad_fn is None


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("op", OPS, ids=repr)
def test_forward_matches_torch(op, dtype, torch, device):
    arrays = op.arrays(rng_for(op.name, dtype), dtype)
    _, e_out = run_op(op, engine, arrays, requires_grad=False, device=device)
    _, t_out = run_op(op, torch, arrays, requires_grad=False)
    _check_forward(e_out, t_out, op.name, device)
    # no input requires grad: nothing is recorded
    assert e_out.requires_grad is False
    assert e_out.grad_fn is None
    assert e_out.is_leaf is True


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("op", OPS, ids=repr)
def test_gradients_match_torch(op, dtype, torch, device):
    rng = rng_for(op.name, dtype, "grad")
    _forward_and_backward(op, torch, op.arrays(rng, dtype), dtype, rng, device)


def _requires_grad_patterns(op):
    n = len(op.shapes)
    patterns = [(True,) * n]
    if n > 1:
        patterns += [tuple(i == k for i in range(n)) for k in range(n)]
    return patterns


@pytest.mark.parametrize("op", NODES, ids=repr)
def test_grad_fn_matches_torch(op, torch, device):
    arrays = op.arrays(rng_for(op.name, "node"))
    for pattern in _requires_grad_patterns(op):
        e_in, e_out = run_op(op, engine, arrays, requires_grad=pattern, device=device)
        t_in, t_out = run_op(op, torch, arrays, requires_grad=pattern)
        where = f"{op.name} with requires_grad={pattern}"
        assert node_name(e_out.grad_fn) == node_name(t_out.grad_fn), where
        if t_out.grad_fn is None:  # e.g. only where's condition requires grad
            continue
        assert next_shape(e_out.grad_fn) == next_shape(t_out.grad_fn), where
        # an AccumulateGrad right below the output holds the very leaf torch's holds
        for (t_fn, _), (e_fn, _) in zip(t_out.grad_fn.next_functions, e_out.grad_fn.next_functions):
            if t_fn is not None and type(t_fn).__name__ == "AccumulateGrad":
                k = next(i for i, t in enumerate(t_in) if t_fn.variable is t)
                assert e_fn.variable is e_in[k], where


@pytest.mark.parametrize("op", BROADCAST, ids=repr)
def test_empty_broadcast_matches_torch(op, torch, device):
    shapes = [(0, 3)] + [(3,)] * (len(op.shapes) - 1)
    rng = rng_for(op.name, "empty")
    _forward_and_backward(op, torch, op.arrays(rng, "float64", shapes), "float64", rng, device)


@pytest.mark.parametrize("kind", DEVICES)
@pytest.mark.parametrize("op", BROADCAST, ids=repr)
@HYPOTHESIS
@given(data=st.data())
def test_broadcasting_matches_torch(op, kind, data):
    torch = pytest.importorskip("torch")
    shapes = data.draw(
        mutually_broadcastable_shapes(num_shapes=len(op.shapes), min_dims=0, max_dims=3, max_side=3),
        label="shapes",
    )
    dtype = data.draw(st.sampled_from(FLOAT_DTYPES), label="dtype")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    with on_device(kind) as device:
        _forward_and_backward(op, torch, op.arrays(rng, dtype, shapes.input_shapes), dtype, rng,
                              device)


@pytest.mark.parametrize("kind", DEVICES)
@pytest.mark.parametrize("strategy", [reduction_ops, matmul_ops, index_ops], ids=lambda s: s.__name__)
@HYPOTHESIS
@given(data=st.data())
def test_drawn_ops_match_torch(strategy, kind, data):
    """Reductions over any dims, matmul over any batch shapes, any index: as torch."""
    torch = pytest.importorskip("torch")
    op = data.draw(strategy(), label="op")
    dtype = data.draw(st.sampled_from(FLOAT_DTYPES), label="dtype")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    with on_device(kind) as device:
        _forward_and_backward(op, torch, op.arrays(rng, dtype), dtype, rng, device)


@pytest.mark.parametrize("op", [op for op in DIFFERENTIABLE if len(op.shapes) > 1], ids=repr)
def test_mixed_requires_grad_matches_torch(op, torch, device):
    """Only one input requires grad: the others keep grad None, values still equal torch's."""
    rng = rng_for(op.name, "mixed")
    arrays = op.arrays(rng)
    for pattern in _requires_grad_patterns(op)[1:]:
        e_in, e_out = run_op(op, engine, arrays, requires_grad=pattern, device=device)
        t_in, t_out = run_op(op, torch, arrays, requires_grad=pattern)
        _check_forward(e_out, t_out, op.name, device)
        assert e_out.requires_grad == t_out.requires_grad
        if not t_out.requires_grad:
            continue
        g = _upstream(rng, t_out, "float64")
        t_out.backward(torch.tensor(g))
        e_out.backward(engine.tensor(g, device=device))
        _check_grads(e_in, t_in, f"{op.name} {pattern}")


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("case", EDGES, ids=lambda c: c[0].name)
def test_edge_values_match_torch(case, dtype, torch, device):
    op, values = case
    arrays = [np.asarray(v, dtype=dtype) for v in values]
    _forward_and_backward(op, torch, arrays, dtype, rng_for(op.name, dtype), device)


def test_max_with_dim_returns_values_indices_namedtuple(torch):
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    for lib_fn in (lambda T, x: x.max(1), lambda T, x: T.max(x, 1), lambda T, x: x.min(dim=0)):
        e, t = lib_fn(engine, engine.tensor(a)), lib_fn(torch, torch.tensor(a))
        assert isinstance(e, tuple) and len(e) == 2
        assert type(e).__name__ == type(t).__name__
        assert e._fields == ("values", "indices")
        values, indices = e
        assert values is e.values and indices is e.indices and e[0] is e.values
        _check_forward(e.values, t.values, "values")
        _check_forward(e.indices, t.indices, "indices")
