"""Random values in place: ``uniform_``, ``normal_``, ``bernoulli_``, ``exponential_``,
``random_``. The numbers are the engine's own (not torch's), so torch is the oracle for what
is recorded and refused, and statistics check the numbers. Argument errors are in
test_errors.py."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import engine
from engine.nn import init

from .conftest import MSG

# name, arguments, kwargs, mean and standard deviation of the distribution (on floats)
SAMPLERS = [
    ("uniform_", (), {}, 0.5, math.sqrt(1 / 12)),
    ("uniform_", (-2.0, 3.0), {}, 0.5, 5 / math.sqrt(12)),
    ("uniform_", (), {"from": 1, "to": 2}, 1.5, math.sqrt(1 / 12)),
    ("normal_", (), {}, 0.0, 1.0),
    ("normal_", (1.0, 0.5), {}, 1.0, 0.5),
    ("normal_", (), {"mean": -3, "std": 2}, -3.0, 2.0),
    ("bernoulli_", (), {}, 0.5, 0.5),
    ("bernoulli_", (0.3,), {}, 0.3, math.sqrt(0.3 * 0.7)),
    ("exponential_", (), {}, 1.0, 1.0),
    ("exponential_", (4.0,), {}, 0.25, 0.25),
    ("random_", (6,), {}, 2.5, math.sqrt((6**2 - 1) / 12)),
    ("random_", (-2, 3), {}, 0.0, math.sqrt((5**2 - 1) / 12)),
]


def _id(case):
    name, args, kwargs = case[:3]
    return name + repr(args)[:-1].rstrip(",") + "".join(f",{k}={v}" for k, v in kwargs.items()) + ")"


def _fill(t, case, **extra):
    name, args, kwargs = case[:3]
    return getattr(t, name)(*args, **kwargs, **extra)


@pytest.mark.parametrize("case", SAMPLERS, ids=_id)
def test_seeded_values_repeat_and_seeds_differ(case):
    def draw(seed):
        engine.manual_seed(seed)
        return _fill(engine.empty(50, dtype=engine.float64), case).numpy().copy()

    first = draw(3)
    assert np.array_equal(first, draw(3))
    assert not np.array_equal(first, draw(4))
    gen = engine.random.Generator(3)  # a generator of one's own draws the same numbers
    assert np.array_equal(first, _fill(engine.empty(50, dtype=engine.float64), case,
                                       generator=gen).numpy())


@pytest.mark.parametrize("case", SAMPLERS, ids=_id)
def test_moments_on_a_large_tensor(case):
    _, _, _, mean, std = case
    engine.manual_seed(0)
    n = 200_000
    values = _fill(engine.empty(400, n // 400, dtype=engine.float64), case).numpy()
    # six standard errors: a correct sampler fails this about once in 500 million runs
    assert abs(values.mean() - mean) < 6 * std / math.sqrt(n)
    assert abs(values.std() / std - 1) < 0.02


def test_the_values_lie_where_they_should():
    engine.manual_seed(1)
    u = engine.empty(10_000).uniform_(-1.0, 2.0).numpy()
    assert u.min() >= -1.0 and u.max() < 2.0
    assert set(np.unique(engine.empty(1000).bernoulli_(0.4).numpy())) == {0.0, 1.0}
    assert engine.empty(1000).exponential_(3.0).numpy().min() >= 0
    r = engine.empty(10_000).random_(-3, 4).numpy()
    assert set(np.unique(r)) == set(range(-3, 4))
    assert engine.ones(5).normal_(2.5, 0.0).tolist() == [2.5] * 5  # std 0: the mean
    assert engine.ones(5).bernoulli_(0.0).tolist() == [0.0] * 5
    assert engine.zeros(5).bernoulli_(1).tolist() == [1.0] * 5


@pytest.mark.parametrize("dtype,high", [("float16", 2**11), ("float32", 2**24),
                                        ("float64", 2**53), ("int8", 127), ("uint8", 255),
                                        ("int64", 2**63 - 1), ("bool", 1)])
def test_random_with_no_range_covers_what_the_dtype_holds_exactly(dtype, high):
    """PyTorch: integers from 0 to 2**digits for a float (every one representable), to the
    largest value for an integer type."""
    engine.manual_seed(2)
    values = engine.zeros(20_000, dtype=getattr(engine, dtype)).random_().numpy()
    assert values.min() >= 0 and int(values.max()) <= high
    assert int(values.max()) >= high // 2  # the whole range, not a small part of it
    if dtype.startswith("float"):
        assert (values == np.round(values)).all()


def test_uniform_and_normal_draw_what_rand_and_randn_draw():
    engine.manual_seed(5)
    a, b = engine.rand(2, 3), engine.randn(4)
    engine.manual_seed(5)
    assert engine.empty(2, 3).uniform_().equal(a) and engine.empty(4).normal_().equal(b)


@pytest.mark.parametrize("name,args", [("uniform_", (-0.5, 0.5)), ("normal_", (0.0, 0.02))])
def test_nn_init_and_the_method_agree(name, args):
    """``nn.init.uniform_(t, a, b)`` is ``t.uniform_(a, b)`` under no_grad (as in PyTorch)."""
    w = engine.empty(3, 4, requires_grad=True)  # a parameter: init writes under no_grad
    engine.manual_seed(9)
    getattr(init, name)(w, *args)
    t = engine.empty(3, 4)
    engine.manual_seed(9)
    getattr(t, name)(*args)
    assert w.detach().equal(t) and w.is_leaf and w._version == 1


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("case", SAMPLERS, ids=_id)
def test_shape_dtype_identity_and_version(case, dtype):
    for shape in [(2, 3, 4), (), (0, 3)]:
        t = engine.zeros(shape, dtype=getattr(engine, dtype))
        out = _fill(t, case)
        assert out is t and t.shape == shape and t.dtype == getattr(engine, dtype)
        assert t._version == 1 and t.is_leaf and not t.requires_grad


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("call", [lambda t: t.bernoulli_(0.5), lambda t: t.random_(2),
                                  lambda t: t.random_()], ids=["bernoulli_", "random_(2)",
                                                               "random_()"])
def test_integer_tensors_take_integer_samples(call, dtype):
    t = engine.zeros(100, dtype=getattr(engine, dtype))
    assert call(t) is t and t.dtype == getattr(engine, dtype) and t._version == 1


@pytest.mark.parametrize("case", SAMPLERS, ids=_id)
def test_a_leaf_that_requires_grad_is_refused_outside_no_grad(case):
    x = engine.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError) as err:
        _fill(x, case)
    assert str(err.value) == MSG["leaf_inplace"]
    assert x.tolist() == [0.0] * 3 and x._version == 0
    with pytest.raises(RuntimeError) as err:
        _fill(x[1:], case)
    assert str(err.value) == MSG["view_of_leaf_inplace"]
    with engine.no_grad():
        assert _fill(x, case) is x
    assert x._version == 1 and x.is_leaf and x.requires_grad and x.grad_fn is None


@pytest.mark.oracle
@pytest.mark.parametrize("case", SAMPLERS, ids=_id)
def test_on_a_non_leaf_the_node_and_zero_gradients_match_torch(case, torch):
    out = {}
    for lib in (engine, torch):
        x = lib.ones(2, 3, requires_grad=True)
        y = x * 2
        _fill(y, case)
        funcs = y.grad_fn.next_functions
        (y * 3).sum().backward()
        out[lib] = (type(y.grad_fn).__name__, y._version, len(funcs),
                    type(funcs[0][0]).__name__, x.grad.tolist())
    assert out[engine] == out[torch]


@pytest.mark.oracle
@pytest.mark.parametrize("p_requires_grad", [False, True])
def test_bernoulli_with_a_tensor_of_probabilities_matches_torch(torch, p_requires_grad):
    """p broadcasts to the tensor's shape; 0 and 1 give 0 and 1; p is an input of the node
    (its gradient zero too)."""
    out = {}
    for lib in (engine, torch):
        x = lib.ones(2, 3, requires_grad=True)
        p = lib.tensor([0.0, 1.0, 1.0], requires_grad=p_requires_grad)
        y = x * 2
        y.bernoulli_(p)
        names = [None if f is None else type(f).__name__ for f, _ in y.grad_fn.next_functions]
        y.sum().backward()
        out[lib] = (y.tolist(), type(y.grad_fn).__name__, names, x.grad.tolist(),
                    p.grad.tolist() if p_requires_grad else p.grad)
    assert out[engine] == out[torch]


@pytest.mark.oracle
def test_random_warns_as_torch_past_a_float_s_exact_integers(torch):
    texts = []
    for lib in (engine, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.zeros(3).random_(0, 2**24 + 2)
        texts.append([str(w.message) for w in caught if w.category is UserWarning])
    assert len(texts[0]) == 1 and texts[1][0].startswith(texts[0][0])  # torch adds its C++ line
