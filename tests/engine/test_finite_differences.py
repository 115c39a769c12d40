"""The second oracle, without torch: every differentiable op of the table (conftest.OPS)
has float64 gradients equal to central finite differences of its own forward pass.

For an op f and a fixed random upstream gradient g, the engine's gradients of
``sum(f(x) * g)`` must equal ``engine.testing.numerical_grad`` of the same scalar.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import engine
from engine.testing import assert_close, numerical_grad

from .conftest import (
    BROADCAST,
    DIFFERENTIABLE,
    FD_ATOL,
    FD_RTOL,
    HYPOTHESIS,
    index_ops,
    matmul_ops,
    reduction_ops,
    rng_for,
    run_op,
)


def _check_against_finite_differences(op, arrays, rng, device="cpu"):
    inputs, out = run_op(op, engine, arrays, device=device)
    g = rng.standard_normal(tuple(out.shape))

    def scalar(*xs):
        with engine.no_grad():
            y = op.fn(engine, *[engine.tensor(x) for x in xs])
        return float((y.numpy().astype(np.float64) * g).sum())

    out.backward(engine.tensor(g, device=device))
    expected = numerical_grad(scalar, *arrays)
    for k, (x, num) in enumerate(zip(inputs, expected)):
        # an input that reaches the output only through a comparison gets no gradient
        got = np.zeros_like(num) if x.grad is None else x.grad
        if x.grad is not None:
            assert str(x.grad.dtype) == "engine.float64"
            assert x.grad.device == x.device
            assert tuple(x.grad.shape) == num.shape
        assert_close(got, num, rtol=FD_RTOL, atol=FD_ATOL, msg=f"{op.name}: input {k}")


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=repr)
def test_gradient_matches_finite_differences(op, device):
    rng = rng_for(op.name, "fd")
    _check_against_finite_differences(op, op.arrays(rng, "float64"), rng, device)


@pytest.mark.parametrize("op", [op for op in BROADCAST if op.differentiable], ids=repr)
@HYPOTHESIS
@given(data=st.data())
def test_broadcast_gradient_matches_finite_differences(op, data):
    shapes = data.draw(
        mutually_broadcastable_shapes(num_shapes=len(op.shapes), min_dims=0, max_dims=3, max_side=3),
        label="shapes",
    )
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    _check_against_finite_differences(op, op.arrays(rng, "float64", shapes.input_shapes), rng)


@pytest.mark.parametrize("strategy", [reduction_ops, matmul_ops, index_ops], ids=lambda s: s.__name__)
@HYPOTHESIS
@given(data=st.data())
def test_drawn_ops_match_finite_differences(strategy, data):
    op = data.draw(strategy().filter(lambda op: op.differentiable), label="op")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    _check_against_finite_differences(op, op.arrays(rng, "float64"), rng)


def test_numerical_grad_itself():
    """The oracle is checked too: d/da sum(a*b) = b, d/db = a, on arrays it must not modify."""
    a, b = np.array([[1.0, -2.0], [3.0, 0.5]]), np.array([[0.25, 4.0], [-1.0, 2.0]])
    a0, b0 = a.copy(), b.copy()
    ga, gb = numerical_grad(lambda x, y: float((x * y).sum()), a, b)
    np.testing.assert_allclose(ga, b, rtol=1e-8)
    np.testing.assert_allclose(gb, a, rtol=1e-8)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)
    (gx,) = numerical_grad(lambda x: float(np.sin(x).sum()), np.array([0.3, 1.2]))
    np.testing.assert_allclose(gx, np.cos([0.3, 1.2]), rtol=1e-8)
