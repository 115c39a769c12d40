"""floor, ceil and round are recorded like any op, with a zero gradient (PyTorch's
``FloorBackward0``, ``CeilBackward0``, ``RoundBackward0``); the straight-through estimator
``x + (x.round() - x).detach()`` passes the gradient through unchanged."""

from __future__ import annotations

import numpy as np
import pytest

import engine

VALUES = [-2.5, -1.7, -0.5, 0.0, 0.3, 0.5, 1.5, 2.5, 3.49]


def _step(T, name):
    x = T.tensor(VALUES, dtype=T.float64, requires_grad=True)
    y = getattr(x, name)()
    node = type(y.grad_fn).__name__
    (y * T.arange(len(VALUES), dtype=T.float64)).sum().backward()
    return y.detach().tolist(), y.requires_grad, node, x.grad.tolist()


def _straight_through(T):
    x = T.tensor(VALUES, dtype=T.float64, requires_grad=True)
    q = x + (x.round() - x).detach()
    (q * q).sum().backward()
    return q.detach().tolist(), x.grad.tolist()


def _integers(T):
    return [getattr(T.tensor([1, -2]), name)().tolist() for name in ("floor", "ceil", "round")]


@pytest.mark.parametrize("name", ["floor", "ceil", "round"])
def test_step_functions_are_recorded_with_a_zero_gradient(name):
    values, requires_grad, node, grad = _step(engine, name)
    assert values == getattr(np, name)(np.array(VALUES)).tolist()  # round: half to even
    assert requires_grad and node == f"{name.capitalize()}Backward0"
    assert grad == [0.0] * len(VALUES)


def test_the_gradient_is_zero_even_when_the_incoming_one_is_not_finite():
    x = engine.tensor([0.3, 1.2], requires_grad=True)
    x.round().backward(engine.tensor([float("inf"), float("nan")]))
    assert x.grad.tolist() == [0.0, 0.0]


def test_straight_through_estimator():
    q, grad = _straight_through(engine)
    assert q == np.round(VALUES).tolist()
    assert grad == (2 * np.round(VALUES)).tolist()  # d(q*q)/dq = 2q, passed straight to x


def test_under_no_grad_nothing_is_recorded():
    x = engine.tensor([0.3], requires_grad=True)
    with engine.no_grad():
        assert x.round().grad_fn is None and not x.floor().requires_grad


@pytest.mark.oracle
@pytest.mark.parametrize("name", ["floor", "ceil", "round"])
def test_torch_agrees(name, torch):
    assert _step(engine, name) == _step(torch, name)


@pytest.mark.oracle
def test_torch_agrees_on_the_straight_through_estimator_and_integers(torch):
    assert _straight_through(engine) == _straight_through(torch)
    assert _integers(engine) == _integers(torch)
