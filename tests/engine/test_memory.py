"""Saved arrays are released after backward; a stored loss keeps its graph alive."""

import gc
import tracemalloc
import weakref

import engine


def _step(w, b, x, y, lr=0.01):
    loss = ((x @ w + b - y) ** 2).mean()
    loss.backward()
    with engine.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad = None
    b.grad = None
    return loss


def test_training_memory_does_not_grow_over_1000_steps():
    engine.manual_seed(0)
    x, y = engine.randn(64, 32), engine.randn(64, 1)
    w = engine.randn(32, 1, requires_grad=True)
    b = engine.zeros(1, requires_grad=True)
    gc.disable()  # growth must not depend on the cycle collector
    try:
        tracemalloc.start()
        # Warm-up: Python's free lists (tuples, floats) fill up during the first steps and are
        # counted by tracemalloc as allocated; they are bounded, so they are not growth.
        for _ in range(1000):
            _step(w, b, x, y).item()
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(1000):
            _step(w, b, x, y).item()
        current = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    finally:
        gc.enable()
    assert current - base < 16 * 1024  # a leak of even one small object per step is 48 KB


def test_saved_arrays_are_released_after_backward():
    x = engine.randn(1000, requires_grad=True)
    h = x.exp()  # ExpBackward0 saves its output
    loss = (h * 2).sum()
    node = loss.grad_fn.next_functions[0][0].next_functions[0][0]
    assert type(node).__name__ == "ExpBackward0"
    ref = weakref.ref(node)
    del h
    loss.backward()
    assert node._saved is not None and node._saved is not node._saved.__class__  # freed marker
    import pytest

    with pytest.raises(RuntimeError, match="^Trying to backward through the graph a second time"):
        node.saved_tensors
    del node, loss
    assert ref() is None  # nothing else holds the graph


def test_storing_the_loss_tensor_keeps_the_graph_alive_but_item_does_not():
    x = engine.randn(100, requires_grad=True)
    kept, numbers = [], []
    loss = (x.exp() * 2).sum()
    ref = weakref.ref(loss.grad_fn)
    kept.append(loss)  # the seeds' leak: the list holds the loss, the loss holds its graph
    del loss
    assert ref() is not None
    loss2 = (x.exp() * 2).sum()
    ref2 = weakref.ref(loss2.grad_fn)
    numbers.append(loss2.item())  # a Python float: the graph can go
    del loss2
    assert ref2() is None
    kept.clear()
    assert ref() is None
