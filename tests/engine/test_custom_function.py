"""autograd.Function as users write it, checked against torch.autograd.Function."""

import numpy as np
import pytest

import engine
from engine.autograd import Function, once_differentiable


class MySiLU(Function):
    """The lessons' example, unchanged but for the import."""

    @staticmethod
    def forward(ctx, x):
        sigmoid_x = engine.sigmoid(x)
        ctx.save_for_backward(x, sigmoid_x)
        return x * sigmoid_x

    @staticmethod
    def backward(ctx, grad_output):
        x, sigmoid_x = ctx.saved_tensors
        return grad_output * (sigmoid_x * (1 + x * (1 - sigmoid_x)))


class ScaleBy(Function):
    """A non-tensor argument: backward returns None for it."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.k, None


def test_silu_matches_finite_differences_and_names_its_node():
    x = engine.randn(5, dtype=engine.float64, requires_grad=True)
    y = MySiLU.apply(x)
    assert type(y.grad_fn).__name__ == "MySiLUBackward"
    assert type(y.grad_fn.next_functions[0][0]).__name__ == "AccumulateGrad"
    y.sum().backward()
    s = 1 / (1 + np.exp(-x.detach().numpy()))
    np.testing.assert_allclose(x.grad.numpy(), s * (1 + x.detach().numpy() * (1 - s)))
    assert engine.autograd.gradcheck(MySiLU.apply, (x,), eps=1e-6)


@pytest.mark.oracle
def test_silu_equals_torch():
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(0).standard_normal(7).astype(np.float32)
    x = engine.tensor(data, requires_grad=True)
    MySiLU.apply(x).sum().backward()
    tx = torch.tensor(data, requires_grad=True)
    torch.nn.functional.silu(tx).sum().backward()
    engine.testing.assert_close(x.grad, tx.grad)


def test_non_tensor_argument_and_needs_input_grad():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, b, k):
            seen["forward"] = ctx.needs_input_grad
            return a * b * k

        @staticmethod
        def backward(ctx, g):
            return g, None, None

    a = engine.ones(2, requires_grad=True)
    b = engine.ones(2)
    y = Probe.apply(a, b, 3)
    assert seen["forward"] == (True, False, False)
    assert len(y.grad_fn.next_functions) == 2  # only tensor arguments are edges
    assert y.grad_fn.next_functions[1] == (None, 0)
    y.sum().backward()
    assert a.grad.tolist() == [1.0, 1.0]
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    ScaleBy.apply(x, 4.0).sum().backward()
    assert x.grad.tolist() == [4.0, 4.0]


def test_wrong_number_of_gradients_raises_pytorch_error():
    class F(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    x = engine.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError) as err:
        F.apply(x, engine.ones(3)).sum().backward()
    assert str(err.value) == (
        "function FBackward returned an incorrect number of gradients (expected 2, got 1)"
    )


def test_wrong_gradient_shape_raises_pytorch_error():
    class F(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return engine.ones(2)

    x = engine.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError) as err:
        F.apply(x).sum().backward()
    assert str(err.value) == (
        "Function FBackward returned an invalid gradient at index 0 - got [2] but expected "
        "shape compatible with [3]"
    )


def test_saved_tensors_are_freed_after_backward():
    x = engine.randn(3, requires_grad=True)
    y = MySiLU.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="^Trying to backward through the graph a second time"):
        y.grad_fn.saved_tensors
    z = MySiLU.apply(x)
    z.sum().backward(retain_graph=True)
    assert len(z.grad_fn.saved_tensors) == 2


def test_saved_input_modified_in_place_is_detected():
    x = engine.randn(3, requires_grad=True)
    h = x * 1
    y = MySiLU.apply(h)
    with engine.no_grad():
        h.add_(1)
    with pytest.raises(RuntimeError) as err:
        y.sum().backward()
    text = str(err.value)
    assert text.startswith(
        "one of the variables needed for gradient computation has been modified by an inplace "
        "operation: [engine.FloatTensor [3]], which is output 0 of Mul, is at version 1; "
        "expected version 0 instead."
    )


def test_mark_non_differentiable_and_materialize_grads():
    class SortLike(Function):
        @staticmethod
        def forward(ctx, x):
            idx = engine.tensor(np.argsort(x.detach().numpy()))
            out = x.clone()
            ctx.mark_non_differentiable(idx)
            return out, idx

        @staticmethod
        def backward(ctx, g_out, g_idx):
            assert g_idx is not None  # materialized as zeros, as in PyTorch
            return g_out

    x = engine.randn(4, requires_grad=True)
    out, idx = SortLike.apply(x)
    assert out.requires_grad and not idx.requires_grad
    out.sum().backward()
    assert x.grad.tolist() == [1.0] * 4


def test_mark_dirty_in_place_function():
    class AddOne_(Function):
        @staticmethod
        def forward(ctx, x):
            x._data += 1
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    a = engine.randn(3, requires_grad=True)
    h = a * 2
    version = h._version
    out = AddOne_.apply(h)
    assert out is h and h._version == version + 1
    assert type(h.grad_fn).__name__ == "AddOne_Backward"
    h.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0, 2.0]


def test_once_differentiable_refuses_double_backward():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            assert not engine.is_grad_enabled()
            return 2 * x * g

    x = engine.tensor(3.0, requires_grad=True)
    seed = engine.tensor(1.0, requires_grad=True)  # a differentiable grad_output
    (g,) = engine.autograd.grad(Square.apply(x), x, grad_outputs=seed, create_graph=True)
    assert g.item() == 6.0
    with pytest.raises(RuntimeError) as err:
        g.backward()
    assert str(err.value) == (
        "trying to differentiate twice a function that was marked with @once_differentiable"
    )


def test_functions_cannot_be_instantiated():
    with pytest.raises(RuntimeError, match="apply"):
        MySiLU()


def test_builtin_ops_are_functions_too():
    from engine.ops.binary import Mul

    assert issubclass(Mul, Function)
    x = engine.ones(2, requires_grad=True)
    assert type((x * x).grad_fn) is Mul._backward_cls


@pytest.mark.parametrize("recorded", [True, False])
def test_array_function_with_many_inputs_reads_needs_input_grad_for_each(recorded):
    """A forward may read ``ctx.needs_input_grad[i]`` for every input, recorded or not
    (the unrecorded ctx keeps a short tuple for the built-ins, which have few inputs)."""
    from engine.autograd import ArrayFunction

    class Total(ArrayFunction):
        @staticmethod
        def forward(ctx, *xs):
            ctx.flags = [ctx.needs_input_grad[i] for i in range(len(xs))]
            return sum(xs)

        @staticmethod
        def backward(ctx, g):
            return (g,) * 12

    xs = [engine.ones(2, requires_grad=i % 2 == 0) for i in range(12)]
    with engine.set_grad_enabled(recorded):
        y = Total.apply(*xs)
    np.testing.assert_array_equal(y.detach().numpy(), [12.0, 12.0])
    assert y.requires_grad is recorded
    if recorded:
        y.sum().backward()
        assert [x.grad is not None for x in xs] == [i % 2 == 0 for i in range(12)]
