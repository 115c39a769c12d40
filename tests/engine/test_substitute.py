"""engine.substitute: a student's pieces stand in for the engine's, and only inside the block."""

import pytest

import engine
from engine.autograd import ArrayFunction
from engine.autograd.engine_loop import _reachable


class CountingMul(ArrayFunction):
    """Written like the engine's own ops: forward on raw arrays."""

    calls = 0

    @staticmethod
    def forward(ctx, a, b):
        CountingMul.calls += 1
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        return grad_output * b, grad_output * a


def my_order(roots):
    """A student's topological order: depth-first post-order, reversed."""
    order, done = [], set()
    for root in roots:
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if node in done:
                continue
            done.add(node)
            stack.append((node, True))
            stack.extend((f, False) for f, _ in node.next_functions if f is not None)
    return order[::-1]


def test_student_mul_is_used_inside_the_block_only():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    with engine.substitute(Mul=CountingMul):
        y = (x * x).sum()
        assert type(y.grad_fn.next_functions[0][0]).__name__ == "CountingMulBackward"
    y.backward()
    assert x.grad.tolist() == [2.0, 4.0] and CountingMul.calls == 1
    assert type((x * x).grad_fn).__name__ == "MulBackward0"


def test_student_topological_order_drives_backward():
    seen = []

    def recording_order(roots):
        order = my_order(roots)
        seen.append(len(order))
        assert set(order) == _reachable(roots)
        return order

    w = engine.tensor([0.5, -1.0], requires_grad=True)
    x = engine.tensor([[1.0, 2.0], [3.0, 4.0]])
    with engine.substitute(topological_order=recording_order):
        loss = ((x @ w).tanh() ** 2).mean()
        loss.backward()
    expected = w.grad.numpy().copy()
    w.grad = None
    ((x @ w).tanh() ** 2).mean().backward()
    assert seen and (w.grad.numpy() == expected).all()


def test_unknown_piece_names_the_known_ones():
    with pytest.raises(KeyError, match="no piece named Mull; known pieces: .*Mul"):
        with engine.substitute(Mull=CountingMul):
            pass
