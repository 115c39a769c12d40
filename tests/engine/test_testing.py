"""engine.testing itself: the per-dtype tolerances and assert_close (numerical_grad is checked
in test_finite_differences.py). A comparison helper that cannot fail would make every test
that uses it worthless, so the failing paths are tested as much as the passing ones."""

from __future__ import annotations

import math

import numpy as np
import pytest

import engine
from engine.testing import assert_close, to_numpy, tolerances


@pytest.mark.parametrize(
    "dtype,expected",
    [
        (engine.float32, (1.3e-6, 1e-5)),
        (engine.float64, (1e-7, 1e-7)),
        (np.float32, (1.3e-6, 1e-5)),
        (np.dtype("float64"), (1e-7, 1e-7)),
        ("float32", (1.3e-6, 1e-5)),
        (engine.int64, (0.0, 0.0)),
        (engine.bool, (0.0, 0.0)),
        (np.dtype("int64"), (0.0, 0.0)),
    ],
)
def test_tolerances(dtype, expected):
    assert tolerances(dtype) == expected


def test_tolerances_of_an_unknown_dtype_is_an_error():
    with pytest.raises(ValueError):
        tolerances("not_a_dtype")


@pytest.mark.oracle
def test_tolerances_equal_torch_testing_defaults(torch):
    from torch.testing._comparison import default_tolerances

    for name in ("float16", "float32", "float64"):
        t = torch.zeros(1, dtype=getattr(torch, name))
        assert tolerances(getattr(torch, name)) == default_tolerances(t)
        assert tolerances(getattr(engine, name)) == default_tolerances(t)


def test_passes_within_tolerance_and_fails_outside():
    x = engine.tensor([1.0, 100.0])
    assert_close(x, engine.tensor([1.0 + 5e-6, 100.0]))  # under atol
    assert_close(x, np.array([1.0, 100.0 + 1e-4], dtype=np.float32))  # under rtol*|e|
    with pytest.raises(AssertionError, match="Mismatched elements: 1 / 2"):
        assert_close(x, engine.tensor([1.0, 100.01]))
    f64 = engine.tensor([1.0], dtype=engine.float64)
    with pytest.raises(AssertionError):  # float64 is stricter
        assert_close(f64, engine.tensor([1.0 + 1e-6], dtype=engine.float64))


def test_failure_message_says_where_and_how_much():
    with pytest.raises(AssertionError) as err:
        assert_close(np.array([[0.0, 1.0], [2.0, 3.0]]), np.array([[0.0, 1.0], [2.5, 3.0]]), msg="grad")
    text = str(err.value)
    assert text.startswith("grad: ")
    assert "Greatest absolute difference: 0.5 at index (1, 0)" in text
    assert "First mismatch at index (1, 0)" in text


def test_shape_and_dtype_are_checked():
    with pytest.raises(AssertionError, match="shapes do not match"):
        assert_close(engine.zeros(2), engine.zeros(1, 2))
    with pytest.raises(AssertionError, match="dtypes do not match"):
        assert_close(engine.zeros(2), engine.zeros(2, dtype=engine.float64))
    assert_close(engine.zeros(2), engine.zeros(2, dtype=engine.float64), check_dtype=False)
    with pytest.raises(AssertionError, match="dtypes do not match"):
        assert_close(engine.tensor([1, 2]), engine.tensor([1.0, 2.0]))


def test_numbers_compare_by_value():
    assert_close(engine.tensor(6.0), 6.0)
    assert_close(engine.tensor(6.0), 6)
    assert_close(2.5, 2.5)
    with pytest.raises(AssertionError):
        assert_close(engine.tensor(6.0), 6.1)


def test_integers_and_bools_are_exact():
    with pytest.raises(AssertionError):
        assert_close(engine.tensor([1, 2]), engine.tensor([1, 3]))
    assert_close(engine.tensor([True, False]), np.array([True, False]))
    with pytest.raises(AssertionError, match="Bool"):
        assert_close(engine.tensor([True, False]), np.array([True, True]))


def test_nan_and_inf():
    nan, inf = math.nan, math.inf
    with pytest.raises(AssertionError):
        assert_close(np.array([nan]), np.array([nan]))
    assert_close(np.array([nan, 1.0]), np.array([nan, 1.0]), equal_nan=True)
    assert_close(np.array([inf, -inf]), np.array([inf, -inf]))
    with pytest.raises(AssertionError):
        assert_close(np.array([inf]), np.array([-inf]))
    with pytest.raises(AssertionError):
        assert_close(np.array([1.0]), np.array([nan]), equal_nan=True)


def test_explicit_tolerances_override():
    assert_close(np.array([1.0]), np.array([1.1]), rtol=0.0, atol=0.2)
    with pytest.raises(AssertionError):
        assert_close(np.array([1.0]), np.array([1.1]), rtol=0.0, atol=0.05)


def test_to_numpy_accepts_tensors_that_require_grad():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    a = to_numpy(x * 2)
    assert isinstance(a, np.ndarray) and a.tolist() == [2.0, 4.0]
    assert to_numpy(3.0).shape == ()


@pytest.mark.oracle
def test_accepts_torch_tensors(torch):
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    assert_close(engine.tensor([1.0, 2.0]), t * 1)
    with pytest.raises(AssertionError):
        assert_close(engine.tensor([1.0, 2.0]), t * 2)
