"""Creation, metadata, repr and conversions, with torch as the oracle where it applies."""

import threading

import numpy as np
import pytest

import engine


def test_creation_defaults_and_metadata():
    assert engine.tensor(1.5).dtype is engine.float32
    assert engine.tensor([1, 2]).dtype is engine.int64
    assert engine.tensor([True]).dtype is engine.bool
    assert engine.tensor(np.array([1.0])).dtype is engine.float64
    x = engine.zeros(2, 3)
    assert x.shape == (2, 3) and x.size() == engine.Size([2, 3]) and x.size(1) == 3
    assert x.ndim == 2 and x.dim() == 2 and x.numel() == 6 and len(x) == 2
    assert repr(x.shape) == "engine.Size([2, 3])"
    assert repr(x.device) == "device(type='cpu')" and x.device == "cpu"
    assert engine.ones(3, dtype=engine.float64).dtype is engine.float64
    assert engine.full((2,), 7).tolist() == [7, 7] and engine.full((2,), 7).dtype is engine.int64
    assert engine.zeros_like(engine.ones(2, dtype=engine.float64)).dtype is engine.float64
    assert engine.ones_like(x).tolist() == [[1.0] * 3] * 2
    assert engine.arange(4).tolist() == [0, 1, 2, 3] and engine.arange(4).dtype is engine.int64
    assert engine.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert engine.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert engine.tensor(3.5).item() == 3.5 and isinstance(engine.tensor(2).item(), int)


def test_random_is_seeded():
    engine.manual_seed(7)
    a, b = engine.rand(3), engine.randn(2, 2)
    engine.manual_seed(7)
    assert engine.rand(3).tolist() == a.tolist() and engine.randn(2, 2).tolist() == b.tolist()
    assert ((a >= 0) & (a < 1)).all()
    assert engine.randn(2, requires_grad=True).requires_grad


def test_numpy_shares_memory_and_refuses_grad_tensors():
    x = engine.zeros(3)
    x.numpy()[0] = 5
    assert x[0].item() == 5
    y = engine.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError) as err:
        y.numpy()
    assert str(err.value) == (
        "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
    )
    with pytest.raises(RuntimeError, match="^a Tensor with 2 elements cannot be converted to Scalar$"):
        y.item()


REPR_CASES = [
    lambda lib: lib.tensor(3.0),
    lambda lib: lib.tensor(3.0, requires_grad=True),
    lambda lib: lib.tensor([2.0, 4.0, 6.0]),
    lambda lib: lib.tensor([0.1, 0.2]),
    lambda lib: lib.tensor([1, 2]),
    lambda lib: lib.tensor([True, False]),
    lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64),
    lambda lib: lib.tensor([1, 2], dtype=lib.int32),
    lambda lib: lib.tensor([[1.0, 2.0], [3.0, 4.5]], requires_grad=True),
    lambda lib: lib.tensor([1e-5, 1.0]),
    lambda lib: lib.tensor([1e10, 1.0]),
    lambda lib: lib.tensor([-1.5, 2.25, -3.0]),
    lambda lib: lib.tensor(float("nan")),
    lambda lib: lib.tensor([float("inf"), 1.0, -float("inf")]),
    lambda lib: lib.zeros(0),
    lambda lib: lib.zeros(0, 3),
    lambda lib: lib.arange(2000.0),
    lambda lib: lib.arange(40.0).reshape(4, 10) / 7,
    lambda lib: lib.arange(3000).reshape(3, 1000),
    lambda lib: lib.tensor(np.linspace(-3, 3, 37).reshape(37)),
    lambda lib: lib.tensor([[[1.0, 2.0]], [[3.0, 4.0]]]),
    lambda lib: lib.tensor(3.0, requires_grad=True) ** 2 + 1,
    lambda lib: lib.tensor([0.0, 0.0]),
]


@pytest.mark.oracle
@pytest.mark.parametrize("make", REPR_CASES)
def test_repr_equals_torch(make):
    torch = pytest.importorskip("torch")
    assert repr(make(engine)) == repr(make(torch)).replace("torch.", "engine.")


def test_repr_examples_from_the_lessons():
    x = engine.tensor(3.0, requires_grad=True)
    assert repr(x) == "tensor(3., requires_grad=True)"
    assert repr(x**2 + 1) == "tensor(10., grad_fn=<AddBackward0>)"
    assert repr(engine.tensor([2.0, 4.0, 6.0])) == "tensor([2., 4., 6.])"


def test_detach_shares_data_and_version():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert d.is_leaf and not d.requires_grad
    d[0] = 10.0
    assert x[0].item() == 10.0 and x._version == 1
    y = x * 2
    y.detach_()
    assert y.grad_fn is None and not y.requires_grad
    with pytest.raises(RuntimeError, match="^Can't detach views in-place. Use detach\\(\\) instead."):
        (x * 1)[0:1].detach_()


def test_requires_grad_rules_and_texts():
    with pytest.raises(RuntimeError) as err:
        engine.tensor([1, 2], requires_grad=True)
    assert str(err.value) == "Only Tensors of floating point and complex dtype can require gradients"
    with pytest.raises(RuntimeError) as err:
        engine.tensor([1, 2]).requires_grad_()
    assert str(err.value) == "only Tensors of floating point dtype can require gradients"
    t = engine.tensor([1, 2])
    with pytest.raises(RuntimeError) as err:
        t.requires_grad = True
    assert str(err.value) == "only Tensors of floating point and complex dtype can require gradients"
    y = engine.tensor(1.0, requires_grad=True) * 2
    with pytest.raises(RuntimeError) as err:
        y.requires_grad = False
    assert str(err.value) == (
        "you can only change requires_grad flags of leaf variables. If you want to use a computed "
        "variable in a subgraph that doesn't require differentiation use var_no_grad = "
        "var.detach()."
    )
    a = engine.tensor([1.0, 2.0])
    assert a.requires_grad_() is a and a.requires_grad and a.is_leaf


def test_grad_modes_context_managers_decorators_and_threads():
    x = engine.tensor(1.0, requires_grad=True)
    with engine.no_grad():
        assert not (x * 2).requires_grad
        assert engine.zeros(1, requires_grad=True).requires_grad  # factories ignore no_grad
        with engine.enable_grad():
            assert (x * 2).requires_grad
        seen = []
        thread = threading.Thread(target=lambda: seen.append(engine.is_grad_enabled()))
        thread.start()
        thread.join()
        assert seen == [True]  # thread-local
    assert engine.is_grad_enabled()

    @engine.no_grad()
    def f():
        return x * 2

    @engine.no_grad
    def g():
        return x * 2

    assert not f().requires_grad and not g().requires_grad
    with engine.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert engine.is_grad_enabled()
    engine.set_grad_enabled(False)
    assert not engine.is_grad_enabled()
    engine.set_grad_enabled(True)
    with engine.inference_mode():
        y = x * 2
        assert not y.requires_grad and y.is_inference() and engine.is_inference_mode_enabled()

    @engine.inference_mode()
    def h():
        return x * 3

    assert h().is_inference()
    with pytest.raises(RuntimeError, match="^Inference tensors cannot be saved for backward."):
        (x * y).backward()
    with pytest.raises(RuntimeError, match="^Inplace update to inference tensor outside InferenceMode"):
        y.add_(1)


def test_inplace_ops_version_counter_and_errors():
    t = engine.tensor([1.0, 2.0])
    v = t[0:1]
    assert t._version == 0
    t.add_(1)
    t.sub_(engine.tensor([0.5, 0.5]))
    t.mul_(2)
    t.div_(3)
    t += 1
    t -= 1
    t *= 3
    t /= 2
    assert t._version == 8 and v._version == 8  # a view shares the counter
    np.testing.assert_allclose(t.numpy(), [1.5, 2.5])
    t.zero_()
    assert t.tolist() == [0.0, 0.0]
    t.fill_(4)
    assert t.tolist() == [4.0, 4.0]
    w = engine.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError) as err:
        w.add_(1)
    assert str(err.value) == (
        "a leaf Variable that requires grad is being used in an in-place operation."
    )
    with pytest.raises(RuntimeError) as err:
        w[0:1].mul_(2)
    assert str(err.value) == (
        "a view of a leaf Variable that requires grad is being used in an in-place operation."
    )
    with engine.no_grad():
        w -= 0.5 * engine.ones(2)
    assert w.tolist() == [0.5, 1.5] and w.is_leaf and w.requires_grad


@pytest.mark.oracle
def test_modified_saved_tensor_error_matches_torch():
    torch = pytest.importorskip("torch")
    texts = []
    for lib in (engine, torch):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        a = x * 1
        b = a**2
        a.add_(1)
        with pytest.raises(RuntimeError) as err:
            b.sum().backward()
        texts.append(str(err.value))
    ours, theirs = texts
    assert ours.split(":")[0] == theirs.split(":")[0]
    assert ours.replace("engine.", "torch.").split("Hint")[0] == theirs.split("Hint")[0]


def test_inplace_on_non_leaf_is_recorded():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h += 1
    assert type(h.grad_fn).__name__ == "AddBackward0"
    h.mul_(x)
    (h.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 * 1 + (3 * 1 + 1), 3 * 2 + (3 * 2 + 1)])


def test_setitem_records_and_scatter():
    x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 1
    h[0] = 10.0
    h.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0]
