"""index_add and scatter_add by hand (the op table checks them against torch): repeated
indices add up, in place and out of place."""

from __future__ import annotations

import engine


def test_index_add_adds_alpha_times_each_row_at_its_index():
    x = engine.ones(3, 2)
    y = x.index_add(0, engine.tensor([0, 2, 0]), engine.tensor([[1.0, 2.0], [3.0, 4.0],
                                                               [5.0, 6.0]]), alpha=2)
    assert y.tolist() == [[13.0, 17.0], [1.0, 1.0], [7.0, 9.0]]
    assert x.tolist() == [[1.0, 1.0]] * 3 and x._version == 0  # out of place


def test_scatter_add_adds_up_repeated_positions():
    y = engine.zeros(2, 3).scatter_add(1, engine.tensor([[2, 2], [0, 1]]),
                                       engine.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert y.tolist() == [[0.0, 0.0, 3.0], [3.0, 4.0, 0.0]]


def test_in_place_forms_write_into_the_tensor_and_bump_its_version():
    x = engine.zeros(3)
    assert x.index_add_(0, engine.tensor([1, 1]), engine.ones(2), alpha=-1) is x
    assert x.scatter_add_(0, engine.tensor([2, 2, 2]), engine.ones(3)) is x
    assert x.tolist() == [0.0, -2.0, 3.0] and x._version == 2


def test_gradients_by_hand():
    x = engine.zeros(3, requires_grad=True)
    s = engine.tensor([1.0, 2.0], requires_grad=True)
    w = engine.tensor([1.0, 10.0, 100.0])
    (x.index_add(0, engine.tensor([2, 2]), s, alpha=3) * w).sum().backward()
    assert x.grad.tolist() == [1.0, 10.0, 100.0] and s.grad.tolist() == [300.0, 300.0]
    x.grad = s.grad = None
    (x.scatter_add(0, engine.tensor([0, 1]), s) * w).sum().backward()
    assert x.grad.tolist() == [1.0, 10.0, 100.0] and s.grad.tolist() == [1.0, 10.0]
