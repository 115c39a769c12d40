"""Type promotion as in PyTorch: the result dtype of mixed int/float/bool and float32/float64
operands, with Python scalars and 0-d tensors (which do not widen a same-kind tensor).

Each row says what torch 2.13 gives; the oracle test checks the table against torch itself.
"""

from __future__ import annotations

import math

import pytest

import engine
from engine.testing import assert_close


def _i(T):
    return T.tensor([1, 2, 3])


def _f(T):
    return T.tensor([1.0, 2.0, 3.0])


def _d(T):
    return T.tensor([1.0, 2.0, 3.0], dtype=T.float64)


def _b(T):
    return T.tensor([True, False, True])


PROMOTIONS = [
    # id, fn(lib), dtype, values
    ("int*float_scalar", lambda T: _i(T) * 2.5, "float32", [2.5, 5.0, 7.5]),
    ("int/int", lambda T: _i(T) / _i(T), "float32", [1.0, 1.0, 1.0]),
    ("int/int_scalar", lambda T: _i(T) / 2, "float32", [0.5, 1.0, 1.5]),
    ("f32*f64_0d", lambda T: _f(T) * T.tensor(2.0, dtype=T.float64), "float32", [2.0, 4.0, 6.0]),
    ("f64_0d+f32", lambda T: T.tensor(2.0, dtype=T.float64) + _f(T), "float32", [3.0, 4.0, 5.0]),
    ("f32+f64", lambda T: _f(T) + _d(T), "float64", [2.0, 4.0, 6.0]),
    ("int+int", lambda T: _i(T) + _i(T), "int64", [2, 4, 6]),
    ("int*int_scalar", lambda T: _i(T) * 2, "int64", [2, 4, 6]),
    ("int+f32", lambda T: _i(T) + _f(T), "float32", [2.0, 4.0, 6.0]),
    ("f64*float_scalar", lambda T: _d(T) * 2.5, "float64", [2.5, 5.0, 7.5]),
    ("f32*int_0d", lambda T: _f(T) * T.tensor(2), "float32", [2.0, 4.0, 6.0]),
    ("int_0d*f32", lambda T: T.tensor(3) * _f(T), "float32", [3.0, 6.0, 9.0]),
    ("f32_0d*int", lambda T: T.tensor(2.5) * _i(T), "float32", [2.5, 5.0, 7.5]),
    ("f64_0d*int", lambda T: T.tensor(2.5, dtype=T.float64) * _i(T), "float64", [2.5, 5.0, 7.5]),
    ("int-float_scalar", lambda T: _i(T) - 1.0, "float32", [0.0, 1.0, 2.0]),
    ("float_scalar-int", lambda T: 2.5 - _i(T), "float32", [1.5, 0.5, -0.5]),
    ("int**2", lambda T: _i(T) ** 2, "int64", [1, 4, 9]),
    ("int**0.5", lambda T: _i(T) ** 0.5, "float32", [1.0, 2**0.5, 3**0.5]),
    ("neg_int", lambda T: -_i(T), "int64", [-1, -2, -3]),
    ("int_sum", lambda T: _i(T).sum(), "int64", 6),
    ("bool_sum", lambda T: _b(T).sum(), "int64", 2),
    ("bool+int_scalar", lambda T: _b(T) + 1, "int64", [2, 1, 2]),
    ("bool*float_scalar", lambda T: _b(T) * 1.5, "float32", [1.5, 0.0, 1.5]),
    ("int<float_scalar", lambda T: _i(T) < 2.5, "bool", [True, True, False]),
    ("int==f32", lambda T: _i(T) == _f(T), "bool", [True, True, True]),
    ("int_exp", lambda T: _i(T).exp(), "float32", None),
    ("int_sqrt", lambda T: _i(T).sqrt(), "float32", [1.0, 2**0.5, 3**0.5]),
    ("int@int", lambda T: _i(T) @ _i(T), "int64", 14),
    ("int_max", lambda T: _i(T).max(), "int64", 3),
    ("maximum_int_f32", lambda T: T.maximum(_i(T), _f(T)), "float32", [1.0, 2.0, 3.0]),
    ("cat_f32_f64", lambda T: T.cat([_f(T), _d(T)]), "float64", [1.0, 2.0, 3.0] * 2),
    ("cat_int_f32", lambda T: T.cat([_i(T), _f(T)]), "float32", [1.0, 2.0, 3.0] * 2),
    ("stack_int_f32", lambda T: T.stack([_i(T), _f(T)]), "float32", [[1.0, 2.0, 3.0]] * 2),
    ("where_f32_f64", lambda T: T.where(_b(T), _f(T), _d(T)), "float64", [1.0, 2.0, 3.0]),
    ("where_int_scalar", lambda T: T.where(_b(T), _i(T), 2.5), "float32", [1.0, 2.5, 3.0]),
    # uint8 with int8: neither holds the other's range (the engine gave uint8, wrapping)
    ("uint8+int8", lambda T: _u8(T) + _i8(T), "int16", [-2, 4, 8]),
    ("int8*uint8", lambda T: _i8(T) * _u8(T), "int16", [-3, 4, 15]),
    # integer true division: each operand cast to float from its own value (was 1/253)
    ("uint8/int8_0d", lambda T: _u8(T) / T.tensor(-3, dtype=T.int8), "float32",
     [-1 / 3, -2 / 3, -1.0]),
    # //, %: PyTorch's promotion (NumPy's gave int16 / float64), floors, the divisor's sign
    ("int8//int64_0d", lambda T: _i8(T) // T.tensor(-2), "int8", [1, -1, -3]),
    ("int8%int64_0d", lambda T: _i8(T) % T.tensor(-2), "int8", [-1, 0, -1]),
    ("int//float_scalar", lambda T: _i(T) // 2.5, "float32", [0.0, 0.0, 1.0]),
    ("int%float_scalar", lambda T: _i(T) % -2.5, "float32", [-1.5, -0.5, -2.0]),
    ("float_scalar//int", lambda T: -2.5 // _i(T), "float32", [-3.0, -2.0, -1.0]),
    ("int_scalar%int", lambda T: 7 % T.tensor([2, -3, 4]), "int64", [1, -2, 3]),
    ("float_scalar%int", lambda T: 7.5 % T.tensor([2, -3]), "float32", [1.5, -1.5]),
    ("f16//int", lambda T: T.tensor([3.0], dtype=T.float16) // _i(T), "float16",
     [3.0, 1.0, 1.0]),
    ("int8|int64_0d", lambda T: _i8(T) | T.tensor(256), "int8", [-3, 2, 5]),
    ("bool&int", lambda T: _b(T) & T.tensor(3), "int64", [1, 0, 1]),
    # integer powers stay integers, negative exponents too (1/a^n truncated)
    ("int_scalar**int", lambda T: 2 ** T.tensor([-1, 0, 3]), "int64", [0, 1, 8]),
    ("int_scalar**int8", lambda T: -3 ** T.tensor([2, 3], dtype=T.int8), "int8", [-9, -27]),
    ("int**int_neg", lambda T: T.tensor([1, 2, -1, 0, -2]) ** T.tensor([-1, -1, -3, 2, -2]),
     "int64", [1, 0, -1, 0, 0]),
    ("bool**2", lambda T: _b(T) ** 2, "int64", [1, 0, 1]),
    ("bool_square", lambda T: _b(T).square(), "int64", [1, 0, 1]),
    ("bool**True", lambda T: _b(T) ** True, "bool", [True, False, True]),
    # clamp: an int tensor with float bounds gives floats
    ("int.clamp(float)", lambda T: _i(T).clamp(0.5, 2.5), "float32", [1.0, 2.0, 2.5]),
    ("int.clamp(f32_tensor)", lambda T: _i(T).clamp(T.tensor([1.5])), "float32", [1.5, 2.0, 3.0]),
    ("f32.clamp(f64_0d)", lambda T: _f(T).clamp(T.tensor(2.5, dtype=T.float64)), "float32",
     [2.5, 2.5, 3.0]),
]


def _u8(T):
    return T.tensor([1, 2, 3], dtype=T.uint8)


def _i8(T):
    return T.tensor([-3, 2, 5], dtype=T.int8)


def _signs(t):
    return [math.copysign(1.0, v) for v in t.tolist()]


# Where the sign of a zero is PyTorch's choice: a remainder's zero keeps the dividend's sign
# (NumPy's takes the divisor's); maximum/minimum keep the first operand on a tie.
SIGNED_ZEROS = [
    ("remainder_zero", lambda T: T.tensor([-4.0, 4.0, -0.0, 0.0]) % T.tensor([2.0, -2.0, -2.0, 2.0])),
    ("remainder_scalar_zero", lambda T: T.tensor([-4.0, -0.0, 0.0]) % -2),
    ("maximum_signed_zeros", lambda T: T.maximum(T.tensor([-0.0, 0.0]), T.tensor([0.0, -0.0]))),
    ("minimum_signed_zeros", lambda T: T.minimum(T.tensor([-0.0, 0.0]), T.tensor([0.0, -0.0]))),
    ("clamp_tensor_signed_zeros", lambda T: T.tensor([-0.0, 0.0]).clamp(T.tensor([0.0, -0.0]))),
]


@pytest.mark.parametrize("case", SIGNED_ZEROS, ids=lambda c: c[0])
def test_signed_zeros(case):
    _, fn = case
    out = fn(engine)
    assert out.tolist() == [0.0] * out.numel() and _signs(out) == _SIGNS[case[0]]


_SIGNS = {
    "remainder_zero": [-1.0, 1.0, -1.0, 1.0],
    "remainder_scalar_zero": [-1.0, -1.0, 1.0],
    "maximum_signed_zeros": [-1.0, 1.0],
    "minimum_signed_zeros": [-1.0, 1.0],
    "clamp_tensor_signed_zeros": [-1.0, 1.0],
}


@pytest.mark.oracle
@pytest.mark.parametrize("case", SIGNED_ZEROS, ids=lambda c: c[0])
def test_signed_zeros_match_torch(case, torch):
    assert _signs(case[1](torch)) == _SIGNS[case[0]]


@pytest.mark.parametrize("case", PROMOTIONS, ids=lambda c: c[0])
def test_result_dtype(case):
    _, fn, dtype, values = case
    out = fn(engine)
    assert out.dtype == getattr(engine, dtype), f"got {out.dtype}, expected engine.{dtype}"
    if values is not None:
        assert_close(out, engine.tensor(values, dtype=getattr(engine, dtype)))


@pytest.mark.oracle
@pytest.mark.parametrize("case", PROMOTIONS, ids=lambda c: c[0])
def test_result_dtype_matches_torch(case, torch):
    _, fn, dtype, _ = case
    expected = fn(torch)
    assert str(expected.dtype) == f"torch.{dtype}"  # the table says what torch does
    assert_close(fn(engine), expected)


def test_float_results_of_int_inputs_can_require_grad():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = x * engine.tensor([3, 4])  # int operand: promoted, no grad for it
    assert y.dtype == engine.float32 and y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]


def test_gradient_keeps_each_leaf_dtype():
    """f32 + f64 -> f64 forward; each leaf's grad has the leaf's own dtype."""
    a = engine.tensor([1.0, 2.0], requires_grad=True)
    b = engine.tensor([3.0, 4.0], dtype=engine.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == engine.float32 and b.grad.dtype == engine.float64
    assert a.grad.tolist() == [3.0, 4.0] and b.grad.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int64", "bool"])
def test_backend_constant_is_a_read_only_0d_array_of_the_arrays_dtype(dtype):
    import numpy as np

    from engine.backend import constant

    a = np.ones(3, dtype)
    zero = constant(0, a)
    assert zero.shape == () and zero.dtype == a.dtype and not zero.flags.writeable
    assert constant(0, a) is zero  # made once per value and dtype
    assert (np.maximum(a, zero)).dtype == a.dtype
    assert constant(0, [1.0]) == 0 and type(constant(0, [1.0])) is int  # not NumPy: the number
