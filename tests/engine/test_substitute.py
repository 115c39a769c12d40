"""engine.substitute: a student's pieces stand in for the engine's, and only inside the block."""

import pytest

import engine
from engine.autograd import ArrayFunction
from engine.autograd.engine_loop import _reachable
from engine.substitute import pieces


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


def test_student_accumulate_grad_receives_every_leaf_gradient():
    calls = []

    def my_rule(leaf, grad):
        calls.append((leaf, grad.tolist()))
        if leaf.grad is None:
            leaf.grad = grad.clone()
        else:
            leaf.grad += grad

    x = engine.tensor([1.0, 2.0], requires_grad=True)
    w = engine.tensor(3.0, requires_grad=True)
    w.register_hook(lambda g: g * 10)  # hooks run first: the rule gets what they return
    with engine.substitute(accumulate_grad=my_rule):
        (x * w).sum().backward()
        (x * w).sum().backward()
        z = engine.tensor(2.0, requires_grad=True)
        (z**3).backward(create_graph=True)  # a recorded pass goes through the rule too
    assert len(calls) == 5 and sum(leaf is x for leaf, _ in calls) == 2
    assert x.grad.tolist() == [6.0, 6.0] and w.grad.item() == 60.0
    assert calls[-1][0] is z and z.grad.grad_fn is not None
    (x * w).sum().backward()  # outside the block: the engine's own rule
    assert len(calls) == 5 and x.grad.tolist() == [9.0, 9.0]


def test_unknown_piece_names_the_known_ones():
    with pytest.raises(KeyError, match="no piece named Mull; known pieces: .*Mul"):
        with engine.substitute(Mull=CountingMul):
            pass


def test_student_detach_stands_in_for_the_tensor_method_inside_the_block_only():
    from engine._tensor import make_tensor

    calls = []

    def my_detach(t):
        calls.append(t)
        return make_tensor(t._data, vc=t._vc)

    x = engine.tensor([1.0, 2.0], requires_grad=True)
    with engine.substitute(detach=my_detach):
        d = x.detach()
    assert len(calls) == 1 and calls[0] is x
    assert not d.requires_grad and d.grad_fn is None and d.tolist() == [1.0, 2.0]
    x.detach()
    assert len(calls) == 1


def test_student_sum_to_undoes_every_broadcast_inside_the_block_only():
    from engine.ops import dual

    shapes = []

    def my_sum_to(grad, shape):
        shapes.append((tuple(grad.shape), tuple(shape)))
        lead = grad.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
        return (grad.sum(axes) if axes else grad).reshape(shape)

    a = engine.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    b = engine.tensor([10.0, 20.0, 30.0], requires_grad=True)
    with engine.substitute(sum_to=my_sum_to):
        (a * b).sum().backward()
        assert dual.sum_to is my_sum_to
    assert shapes == [((2, 3), (3,))]
    assert b.grad.tolist() == [5.0, 7.0, 9.0] and a.grad.tolist() == [[10.0, 20.0, 30.0]] * 2
    assert dual.sum_to is not my_sum_to


class CountingMm(ArrayFunction):
    """A student's matrix product: ``x @ w`` on two matrices must reach it (the compiled
    engine sends that case to ``Mm`` from C, reading the op at each call)."""

    calls = 0

    @staticmethod
    def forward(ctx, a, b):
        CountingMm.calls += 1
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        return grad_output @ b.T, a.T @ grad_output


def test_student_mm_is_what_the_at_operator_records():
    x = engine.tensor([[1.0, 2.0]], requires_grad=True)
    w = engine.tensor([[3.0], [4.0]], requires_grad=True)
    with engine.substitute(Mm=CountingMm):
        y = x @ w
    assert type(y.grad_fn).__name__ == "CountingMmBackward" and CountingMm.calls == 1
    y.sum().backward()
    assert x.grad.tolist() == [[3.0, 4.0]] and w.grad.tolist() == [[1.0], [2.0]]
    assert type((x @ w).grad_fn).__name__ == "MmBackward0"


class HalfTanh(ArrayFunction):
    """tanh(x / 2), so a result says which op ran."""

    @staticmethod
    def forward(ctx, a):
        y = engine.backend.numpy_module.tanh(a / 2)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * (1 - y * y) / 2


@pytest.mark.parametrize(("method", "piece"), [("tanh", "Tanh"), ("relu", "Relu"),
                                                ("sigmoid", "Sigmoid"), ("exp", "Exp"),
                                                ("log", "Log")])
def test_the_tensor_method_records_the_substituted_op(method, piece):
    """t.tanh() and the other one-line methods read their op at each call (the compiled core
    has them as C methods): a substitute stands in inside the block, not after it."""
    x = engine.tensor([0.5, 1.5], requires_grad=True)
    with engine.substitute(**{piece: HalfTanh}):
        y = getattr(x, method)()
    assert type(y.grad_fn).__name__ == "HalfTanhBackward"
    y.sum().backward()
    t = engine.backend.numpy_module.tanh(engine.backend.numpy_module.array([0.25, 0.75]))
    assert y.detach().numpy().tolist() == pytest.approx(t.tolist())
    assert x.grad.numpy().tolist() == pytest.approx(((1 - t * t) / 2).tolist())
    after = getattr(x, method)()
    assert type(after.grad_fn).__name__ == f"{piece}Backward0"


def _counting(op):
    """A subclass of ``op`` that notes each forward it runs."""
    calls = []

    def forward(ctx, *args):
        calls.append(op.__name__)
        return op.forward(ctx, *args)

    return type(f"Counting{op.__name__}", (op,), {"forward": staticmethod(forward)}), calls


# The operators and the argument-free reductions the compiled core has as C methods; each
# must record the op it finds in the op modules at that moment.
OPERATORS = [
    ("x + y", lambda x, y: x + y, "Add"), ("x + 2.0", lambda x, y: x + 2.0, "Add"),
    ("3 + x", lambda x, y: 3 + x, "Add"), ("x - y", lambda x, y: x - y, "Sub"),
    ("x - 1", lambda x, y: x - 1, "Sub"), ("1.5 - x", lambda x, y: 1.5 - x, "Rsub"),
    ("x * y", lambda x, y: x * y, "Mul"), ("0.5 * x", lambda x, y: 0.5 * x, "Mul"),
    ("x * 2", lambda x, y: x * 2, "Mul"), ("x / y", lambda x, y: x / y, "Div"),
    ("x / 4.0", lambda x, y: x / 4.0, "Div"), ("x ** 2", lambda x, y: x**2, "PowScalar"),
    ("x ** 0.5", lambda x, y: x**0.5, "PowScalar"), ("x ** y", lambda x, y: x**y, "Pow"),
    ("-x", lambda x, y: -x, "Neg"), ("x.mean()", lambda x, y: x.mean(), "MeanAll"),
    ("x.sum()", lambda x, y: x.sum(), "SumAll"),
]


@pytest.mark.parametrize(("expression", "fn", "piece"), OPERATORS, ids=[o[0] for o in OPERATORS])
def test_the_operator_records_the_substituted_op(expression, fn, piece):
    """``x + y``, ``2 * x``, ``x.mean()``... read their op at each call: a substitute stands
    in inside the block, not after it, with the engine's own values and gradients."""
    module, name = pieces()[piece]
    op = getattr(module, name)
    counting, calls = _counting(op)
    x = engine.tensor([0.5, 1.5], requires_grad=True)
    y = engine.tensor([2.0, 3.0], requires_grad=True)
    expected = fn(x, y)
    expected.sum().backward()
    grads = x.grad.tolist(), y.grad.tolist() if y.grad is not None else None
    x.grad = y.grad = None
    with engine.substitute(**{piece: counting}):
        out = fn(x, y)
    assert calls == [name]
    assert out.tolist() == pytest.approx(expected.tolist())
    out.sum().backward()
    assert (x.grad.tolist(), y.grad.tolist() if y.grad is not None else None) == grads
    fn(x, y)
    assert calls == [name]
