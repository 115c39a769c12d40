"""Creating tensors and reading them back: factories, dtypes, attributes, conversions."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import engine
from engine.testing import assert_close

# ---------------------------------------------------------------------------------------
# one table of factory calls, each checked against torch (values, dtype, shape) and, without
# torch, against the dtype and shape written next to it

FACTORIES = [
    # id, fn(lib), expected dtype, expected shape
    ("tensor_float", lambda T: T.tensor([1.0, 2.0, 3.0]), "float32", (3,)),
    ("tensor_float_scalar", lambda T: T.tensor(3.5), "float32", ()),
    ("tensor_int", lambda T: T.tensor([[1, 2], [3, 4]]), "int64", (2, 2)),
    ("tensor_int_scalar", lambda T: T.tensor(7), "int64", ()),
    ("tensor_mixed", lambda T: T.tensor([1, 2.5]), "float32", (2,)),
    ("tensor_bool", lambda T: T.tensor([True, False]), "bool", (2,)),
    ("tensor_bool_scalar", lambda T: T.tensor(True), "bool", ()),
    ("tensor_dtype", lambda T: T.tensor([1, 2], dtype=T.float64), "float64", (2,)),
    ("tensor_dtype_f32", lambda T: T.tensor([1.5, 2.5], dtype=T.float32), "float32", (2,)),
    ("tensor_to_int", lambda T: T.tensor([1.0, 2.0], dtype=T.int64), "int64", (2,)),
    ("tensor_np_f64", lambda T: T.tensor(np.array([1.0, 2.0])), "float64", (2,)),
    ("tensor_np_f32", lambda T: T.tensor(np.array([1.0, 2.0], dtype=np.float32)), "float32", (2,)),
    ("tensor_np_int", lambda T: T.tensor(np.arange(3)), "int64", (3,)),
    ("tensor_empty", lambda T: T.tensor([]), "float32", (0,)),
    ("zeros_args", lambda T: T.zeros(2, 3), "float32", (2, 3)),
    ("zeros_tuple", lambda T: T.zeros((2, 3)), "float32", (2, 3)),
    ("zeros_list", lambda T: T.zeros([4]), "float32", (4,)),
    ("zeros_0d", lambda T: T.zeros(()), "float32", ()),
    ("zeros_int", lambda T: T.zeros(3, dtype=T.int64), "int64", (3,)),
    ("ones", lambda T: T.ones(3, 1), "float32", (3, 1)),
    ("ones_f64", lambda T: T.ones(2, dtype=T.float64), "float64", (2,)),
    ("ones_bool", lambda T: T.ones(2, dtype=T.bool), "bool", (2,)),
    ("full_float", lambda T: T.full((2, 2), 1.5), "float32", (2, 2)),
    ("full_int", lambda T: T.full((2,), 3), "int64", (2,)),
    ("full_bool", lambda T: T.full((2,), True), "bool", (2,)),
    ("full_dtype", lambda T: T.full((2,), 7, dtype=T.float64), "float64", (2,)),
    ("zeros_like_f64", lambda T: T.zeros_like(T.ones(2, 3, dtype=T.float64)), "float64", (2, 3)),
    ("zeros_like_int", lambda T: T.zeros_like(T.tensor([4, 5])), "int64", (2,)),
    ("ones_like", lambda T: T.ones_like(T.zeros(3, 2)), "float32", (3, 2)),
    ("ones_like_dtype", lambda T: T.ones_like(T.zeros(3), dtype=T.float64), "float64", (3,)),
    ("arange_int", lambda T: T.arange(5), "int64", (5,)),
    ("arange_start", lambda T: T.arange(1, 4), "int64", (3,)),
    ("arange_float", lambda T: T.arange(4.0), "float32", (4,)),
    ("arange_step", lambda T: T.arange(0, 1, 0.25), "float32", (4,)),
    ("arange_neg_step", lambda T: T.arange(5, 0, -2), "int64", (3,)),
    ("arange_dtype", lambda T: T.arange(5, dtype=T.float64), "float64", (5,)),
    ("linspace", lambda T: T.linspace(0, 1, 5), "float32", (5,)),
    ("linspace_steps_kw", lambda T: T.linspace(-1, 1, steps=7), "float32", (7,)),
    ("linspace_f64", lambda T: T.linspace(0, 10, 3, dtype=T.float64), "float64", (3,)),
    ("linspace_one", lambda T: T.linspace(2, 3, 1), "float32", (1,)),
    ("linspace_down", lambda T: T.linspace(1, -1, 4), "float32", (4,)),  # PyTorch's rounding
    ("linspace_int", lambda T: T.linspace(-3.3, 7.1, 11, dtype=T.int64), "int64", (11,)),
    ("arange_end_kw", lambda T: T.arange(end=4), "int64", (4,)),
    ("scalar_tensor_int", lambda T: T.scalar_tensor(3), "float32", ()),
    ("tensor_list_of_bool_int", lambda T: T.tensor([True, 2]), "int64", (2,)),
    # new_*: the dtype (and device) of the tensor they are called on, unless given
    ("new_tensor", lambda T: T.ones(2, dtype=T.float64).new_tensor([1, 2]), "float64", (2,)),
    ("new_tensor_dtype", lambda T: T.ones(2).new_tensor([1.5], dtype=T.int64), "int64", (1,)),
    ("new_tensor_int", lambda T: T.ones(2, dtype=T.int64).new_tensor([1.5, -2.5]), "int64", (2,)),
    ("new_zeros", lambda T: T.ones(2, dtype=T.float64).new_zeros(2, 3), "float64", (2, 3)),
    ("new_zeros_tuple", lambda T: T.ones(2, dtype=T.int64).new_zeros((2, 3)), "int64", (2, 3)),
    ("new_ones", lambda T: T.ones(2, dtype=T.float64).new_ones([2]), "float64", (2,)),
    ("new_full", lambda T: T.ones(2, dtype=T.int64).new_full((2,), 2.5), "int64", (2,)),
    ("new_full_dtype", lambda T: T.ones(2).new_full([3], 7, dtype=T.float64), "float64", (3,)),
    ("new_empty", lambda T: T.ones(2, dtype=T.float64).new_empty(3).zero_(), "float64", (3,)),
]


@pytest.mark.parametrize("case", FACTORIES, ids=lambda c: c[0])
def test_factory_dtype_and_shape(case):
    _, fn, dtype, shape = case
    t = fn(engine)
    assert isinstance(t, engine.Tensor)
    assert t.dtype == getattr(engine, dtype)
    assert str(t.dtype) == f"engine.{dtype}"
    assert tuple(t.shape) == shape
    assert t.requires_grad is False and t.grad_fn is None and t.is_leaf


@pytest.mark.oracle
@pytest.mark.parametrize("case", FACTORIES, ids=lambda c: c[0])
def test_factory_matches_torch(case, torch):
    _, fn, dtype, shape = case
    t = fn(torch)
    assert str(t.dtype) == f"torch.{dtype}" and tuple(t.shape) == shape  # the table is right
    assert_close(fn(engine), t)


ROUNDING = [0.3, [0.1, 2.0 / 3.0], [[1e-8, -7.3]], 123456.789]


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("values", ROUNDING, ids=repr)
def test_python_floats_round_once_to_the_requested_dtype(values, dtype):
    """``tensor(floats, dtype=...)`` rounds each Python float straight to ``dtype``: a detour
    through the default float32 lost float64's digits (0.3 became 0.30000001192...)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 123456.789 is inf in float16, silently
        got = engine.tensor(values, dtype=getattr(engine, dtype)).tolist()
    with np.errstate(over="ignore"):
        assert got == np.array(values, dtype=dtype).tolist()


@pytest.mark.oracle
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("values", ROUNDING, ids=repr)
def test_python_floats_round_as_torch_does(values, dtype, torch):
    got = engine.tensor(values, dtype=getattr(engine, dtype)).tolist()
    assert got == torch.tensor(values, dtype=getattr(torch, dtype)).tolist()


def test_values_without_torch():
    assert engine.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert engine.zeros(2, 2).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert engine.ones(3).tolist() == [1.0, 1.0, 1.0]
    assert engine.full((2,), 1.5).tolist() == [1.5, 1.5]
    assert engine.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert engine.arange(1, 4).tolist() == [1, 2, 3]
    assert engine.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert engine.arange(5, 0, -2).tolist() == [5, 3, 1]
    assert engine.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert engine.linspace(0, 10, 3, dtype=engine.float64).tolist() == [0.0, 5.0, 10.0]


@pytest.mark.parametrize(
    "make",
    [
        lambda: engine.zeros(2, requires_grad=True),
        lambda: engine.ones(2, 2, requires_grad=True),
        lambda: engine.full((2,), 3.0, requires_grad=True),
        lambda: engine.tensor([1.0, 2.0], requires_grad=True),
        lambda: engine.rand(3, requires_grad=True),
        lambda: engine.randn(3, requires_grad=True),
        lambda: engine.arange(3.0, requires_grad=True),
        lambda: engine.linspace(0, 1, 3, requires_grad=True),
        lambda: engine.zeros_like(engine.ones(2), requires_grad=True),
        lambda: engine.ones_like(engine.ones(2), requires_grad=True),
    ],
)
def test_factories_accept_requires_grad(make):
    t = make()
    assert t.requires_grad is True and t.is_leaf and t.grad_fn is None and t.grad is None


def test_tensor_copies_its_numpy_input():
    a = np.ones(3)
    t = engine.tensor(a)
    a[0] = 5.0
    assert t.tolist() == [1.0, 1.0, 1.0]


# ---------------------------------------------------------------------------------------
# random numbers


def test_rand_and_randn_shapes_dtypes_ranges():
    engine.manual_seed(0)
    r = engine.rand(100, 50)
    assert tuple(r.shape) == (100, 50) and r.dtype == engine.float32
    a = r.numpy()
    assert a.min() >= 0.0 and a.max() < 1.0
    assert 0.45 < a.mean() < 0.55
    n = engine.randn(200, 50).numpy()
    assert n.dtype == np.float32
    assert abs(n.mean()) < 0.05 and 0.95 < n.std() < 1.05
    assert tuple(engine.rand((2, 3)).shape) == (2, 3)
    assert tuple(engine.randn(size=()).shape) == ()
    assert engine.rand(3, dtype=engine.float64).dtype == engine.float64
    assert engine.randn(3, dtype=engine.float64).dtype == engine.float64


def test_manual_seed_reproduces_the_same_numbers():
    engine.manual_seed(1234)
    first = (engine.rand(5).tolist(), engine.randn(2, 2).tolist())
    engine.manual_seed(1234)
    second = (engine.rand(5).tolist(), engine.randn(2, 2).tolist())
    assert first == second
    engine.manual_seed(4321)
    assert engine.rand(5).tolist() != first[0]
    assert engine.rand(5).tolist() != engine.rand(5).tolist()  # the stream moves on


# ---------------------------------------------------------------------------------------
# attributes


def test_dtype_objects():
    assert repr(engine.float32) == "engine.float32" and str(engine.float32) == "engine.float32"
    assert repr(engine.float64) == "engine.float64"
    assert repr(engine.int64) == "engine.int64"
    assert repr(engine.bool) == "engine.bool"
    assert engine.float32 != engine.float64
    assert engine.tensor(1.0).dtype == engine.float32
    assert engine.tensor(1.0).dtype is engine.tensor(2.0).dtype


def test_shape_size_ndim_numel():
    t = engine.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.size() == (2, 3, 4)
    assert isinstance(t.shape, tuple) and isinstance(t.shape, engine.Size)
    assert type(t.size()).__name__ == "Size"
    assert repr(t.shape) == "engine.Size([2, 3, 4])"
    assert repr(engine.tensor(1.0).shape) == "engine.Size([])"
    assert t.size(0) == 2 and t.size(1) == 3 and t.size(-1) == 4 and t.size(dim=2) == 4
    assert isinstance(t.size(1), int)
    assert t.ndim == 3 and t.dim() == 3
    assert t.numel() == 24 and isinstance(t.numel(), int)
    s = engine.tensor(5.0)
    assert s.shape == () and s.ndim == 0 and s.numel() == 1
    assert engine.zeros(0, 3).numel() == 0


def test_device():
    t = engine.ones(2)
    assert str(t.device) == "cpu"
    assert repr(t.device) == "device(type='cpu')"
    assert t.device.type == "cpu"


def test_item_returns_python_numbers():
    f, i, b = engine.tensor(1.5).item(), engine.tensor([7]).item(), engine.tensor(True).item()
    assert f == 1.5 and type(f) is float
    assert i == 7 and type(i) is int
    assert b is True
    assert type(engine.tensor([[2.5]], dtype=engine.float64).item()) is float
    x = engine.tensor(3.0, requires_grad=True)
    assert x.item() == 3.0 and (x * 2).item() == 6.0  # item() is fine on tensors needing grad


def test_tolist():
    assert engine.tensor(3.5).tolist() == 3.5
    assert engine.tensor([[1.5, 2.0], [3.0, 4.0]]).tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert engine.tensor([True, False]).tolist() == [True, False]
    ints = engine.tensor([1, 2]).tolist()
    assert ints == [1, 2] and all(type(v) is int for v in ints)
    assert engine.zeros(2, 0).tolist() == [[], []]
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    assert x.tolist() == [1.0, 2.0]


def test_numpy_shares_memory():
    t = engine.zeros(3)
    a = t.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32 and a.shape == (3,)
    a[0] = 5.0  # writing the array changes the tensor
    assert t.tolist() == [5.0, 0.0, 0.0]
    t.add_(1)  # and the other way round
    assert a.tolist() == [6.0, 1.0, 1.0]
    assert engine.tensor([1, 2]).numpy().dtype == np.int64
    assert engine.tensor([1.0], dtype=engine.float64).numpy().dtype == np.float64
    assert engine.tensor([True]).numpy().dtype == np.bool_


def test_detached_numpy_shares_memory_with_a_leaf():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    a = x.detach().numpy()
    a[1] = 9.0
    assert x.tolist() == [1.0, 9.0]


@pytest.mark.oracle
def test_randint_forms_match_torch(torch):
    """randint(high, size) and randint(low, high, size), dtype and requires_grad as torch."""
    for lib in (torch, engine):
        t = lib.randint(3, (2, 4))
        assert tuple(t.shape) == (2, 4) and str(t.dtype).endswith("int64")
        assert 0 <= int(t.min()) and int(t.max()) < 3
        t = lib.randint(-2, 0, size=(50,), dtype=lib.float32, requires_grad=True)
        assert str(t.dtype).endswith("float32") and t.requires_grad
        assert set(t.tolist()) <= {-2.0, -1.0}


def test_random_reproducible_within_the_engine():
    engine.manual_seed(7)
    a = (engine.rand(5), engine.randn(5), engine.randint(0, 9, (5,)))
    engine.manual_seed(7)
    b = (engine.rand(5), engine.randn(5), engine.randint(0, 9, (5,)))
    assert all(x.tolist() == y.tolist() for x, y in zip(a, b))
