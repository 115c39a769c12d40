"""repr of tensors exactly as torch 2.13 prints them, with "torch." spelled "engine.".

The expected strings were printed by torch; test_repr_table_matches_torch keeps the table
honest against torch itself, and the engine tests run without torch.
"""

from __future__ import annotations

import pytest

import engine

REPRS = [
    # id, fn(lib) -> tensor, expected repr
    ('0d_float', lambda T: T.tensor(3.0),
     'tensor(3.)'),
    ('0d_int', lambda T: T.tensor(3),
     'tensor(3)'),
    ('0d_bool', lambda T: T.tensor(True),
     'tensor(True)'),
    ('0d_float64', lambda T: T.tensor(3., dtype=T.float64),
     'tensor(3., dtype=engine.float64)'),
    ('0d_neg_frac', lambda T: T.tensor(-0.5),
     'tensor(-0.5000)'),
    ('1d_float', lambda T: T.tensor([1.0, 2.0, 3.0]),
     'tensor([1., 2., 3.])'),
    ('1d_int', lambda T: T.tensor([1, 2, 3]),
     'tensor([1, 2, 3])'),
    ('1d_int_neg_wide', lambda T: T.tensor([-100, 5, 123456]),
     'tensor([  -100,      5, 123456])'),
    ('1d_bool', lambda T: T.tensor([True, False, True]),
     'tensor([ True, False,  True])'),
    ('2d_float', lambda T: T.tensor([[1., 2.], [3., 4.]]),
     'tensor([[1., 2.],\n        [3., 4.]])'),
    ('2d_bool', lambda T: T.tensor([[True, False], [False, True]]),
     'tensor([[ True, False],\n        [False,  True]])'),
    ('3d', lambda T: T.arange(12.0).reshape(2, 2, 3),
     'tensor([[[ 0.,  1.,  2.],\n         [ 3.,  4.,  5.]],\n\n        [[ 6.,  7.,  8.],\n         [ 9., 10., 11.]]])'),
    ('float64_1d', lambda T: T.tensor([1., 2.], dtype=T.float64),
     'tensor([1., 2.], dtype=engine.float64)'),
    ('float64_frac', lambda T: T.tensor([0.1, 0.25], dtype=T.float64),
     'tensor([0.1000, 0.2500], dtype=engine.float64)'),
    ('requires_grad', lambda T: T.tensor([1., 2.], requires_grad=True),
     'tensor([1., 2.], requires_grad=True)'),
    ('requires_grad_0d', lambda T: T.tensor(3., requires_grad=True),
     'tensor(3., requires_grad=True)'),
    ('requires_grad_f64', lambda T: T.tensor([1., 2.], dtype=T.float64, requires_grad=True),
     'tensor([1., 2.], dtype=engine.float64, requires_grad=True)'),
    ('grad_fn_add', lambda T: T.tensor(3., requires_grad=True) ** 2 + 1,
     'tensor(10., grad_fn=<AddBackward0>)'),
    ('grad_fn_mul_f64', lambda T: T.tensor([1., 2.], dtype=T.float64, requires_grad=True) * 2,
     'tensor([2., 4.], dtype=engine.float64, grad_fn=<MulBackward0>)'),
    ('grad_fn_sum', lambda T: T.tensor([[1., 2.], [3., 4.]], requires_grad=True).sum(0),
     'tensor([4., 6.], grad_fn=<SumBackward1>)'),
    ('four_decimals', lambda T: T.tensor([0.1, 0.25, 1/3]),
     'tensor([0.1000, 0.2500, 0.3333])'),
    ('four_decimals_2d', lambda T: T.tensor([[1.5, -2.25], [0.125, 10.0]]),
     'tensor([[ 1.5000, -2.2500],\n        [ 0.1250, 10.0000]])'),
    ('negative', lambda T: T.tensor([-1., 2., -3.5]),
     'tensor([-1.0000,  2.0000, -3.5000])'),
    ('negative_ints_float', lambda T: T.tensor([-1., -2., 3.]),
     'tensor([-1., -2.,  3.])'),
    ('sci_small', lambda T: T.tensor([1e-8, 1.0]),
     'tensor([1.0000e-08, 1.0000e+00])'),
    ('sci_large', lambda T: T.tensor([1e10, 1.0]),
     'tensor([1.0000e+10, 1.0000e+00])'),
    ('sci_f64', lambda T: T.tensor([1e-8, 1.0, 123.456], dtype=T.float64),
     'tensor([1.0000e-08, 1.0000e+00, 1.2346e+02], dtype=engine.float64)'),
    ('large_integer_valued', lambda T: T.tensor([100000000., 1.]),
     'tensor([1.0000e+08, 1.0000e+00])'),
    ('large_no_sci', lambda T: T.tensor([12345.678, 1.5]),
     'tensor([1.2346e+04, 1.5000e+00])'),
    ('nan_inf', lambda T: T.tensor([float("nan"), float("inf"), -float("inf"), 1.]),
     'tensor([nan, inf, -inf, 1.])'),
    ('nan_inf_frac', lambda T: T.tensor([float("nan"), 0.5, -float("inf")]),
     'tensor([   nan, 0.5000,   -inf])'),
    ('all_nan', lambda T: T.tensor([float("nan")]),
     'tensor([nan])'),
    ('empty', lambda T: T.tensor([]),
     'tensor([])'),
    ('empty_2d', lambda T: T.zeros(0, 3),
     'tensor([], size=(0, 3))'),
    ('empty_int', lambda T: T.tensor([], dtype=T.int64),
     'tensor([], dtype=engine.int64)'),
    ('empty_f64', lambda T: T.zeros(0, dtype=T.float64),
     'tensor([], dtype=engine.float64)'),
    ('summarised_1d', lambda T: T.arange(2000.),
     'tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])'),
    ('summarised_2d', lambda T: T.arange(1600.).reshape(40, 40),
     'tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 3.7000e+01, 3.8000e+01,\n         3.9000e+01],\n        [4.0000e+01, 4.1000e+01, 4.2000e+01,  ..., 7.7000e+01, 7.8000e+01,\n         7.9000e+01],\n        [8.0000e+01, 8.1000e+01, 8.2000e+01,  ..., 1.1700e+02, 1.1800e+02,\n         1.1900e+02],\n        ...,\n        [1.4800e+03, 1.4810e+03, 1.4820e+03,  ..., 1.5170e+03, 1.5180e+03,\n         1.5190e+03],\n        [1.5200e+03, 1.5210e+03, 1.5220e+03,  ..., 1.5570e+03, 1.5580e+03,\n         1.5590e+03],\n        [1.5600e+03, 1.5610e+03, 1.5620e+03,  ..., 1.5970e+03, 1.5980e+03,\n         1.5990e+03]])'),
    ('summarised_int', lambda T: T.arange(1001),
     'tensor([   0,    1,    2,  ...,  998,  999, 1000])'),
    ('wrap_1d', lambda T: T.arange(30.) * 1.5,
     'tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n        24.0000, 25.5000, 27.0000, 28.5000, 30.0000, 31.5000, 33.0000, 34.5000,\n        36.0000, 37.5000, 39.0000, 40.5000, 42.0000, 43.5000])'),
    ('wrap_int', lambda T: T.arange(40) * 1000,
     'tensor([    0,  1000,  2000,  3000,  4000,  5000,  6000,  7000,  8000,  9000,\n        10000, 11000, 12000, 13000, 14000, 15000, 16000, 17000, 18000, 19000,\n        20000, 21000, 22000, 23000, 24000, 25000, 26000, 27000, 28000, 29000,\n        30000, 31000, 32000, 33000, 34000, 35000, 36000, 37000, 38000, 39000])'),
    ('wrap_2d', lambda T: T.arange(24.).reshape(2, 12) / 7,
     'tensor([[0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n         1.2857, 1.4286, 1.5714],\n        [1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286, 2.5714, 2.7143, 2.8571,\n         3.0000, 3.1429, 3.2857]])'),
    ('wrap_grad_fn', lambda T: T.arange(20., requires_grad=True) * 2.5,
     'tensor([ 0.0000,  2.5000,  5.0000,  7.5000, 10.0000, 12.5000, 15.0000, 17.5000,\n        20.0000, 22.5000, 25.0000, 27.5000, 30.0000, 32.5000, 35.0000, 37.5000,\n        40.0000, 42.5000, 45.0000, 47.5000], grad_fn=<MulBackward0>)'),
    ('zeros', lambda T: T.zeros(2, 3),
     'tensor([[0., 0., 0.],\n        [0., 0., 0.]])'),
    ('ones_f64', lambda T: T.ones(2, dtype=T.float64),
     'tensor([1., 1.], dtype=engine.float64)'),
    ('linspace', lambda T: T.linspace(0, 1, 7),
     'tensor([0.0000, 0.1667, 0.3333, 0.5000, 0.6667, 0.8333, 1.0000])'),
    ('neg_zero', lambda T: T.tensor([-0., 1.]),
     'tensor([-0., 1.])'),
    ('mixed_small', lambda T: T.tensor([0.001, 1000.]),
     'tensor([1.0000e-03, 1.0000e+03])'),
    ('mixed_small2', lambda T: T.tensor([0.0001, 1.]),
     'tensor([1.0000e-04, 1.0000e+00])'),
    ('summarised_frac', lambda T: T.arange(2000.) / 7 - 100,
     'tensor([-100.0000,  -99.8571,  -99.7143,  ...,  185.2857,  185.4286,\n         185.5714])'),
    ('empty_2d_requires_grad', lambda T: T.zeros(0, 3, requires_grad=True),
     'tensor([], size=(0, 3), requires_grad=True)'),
    ('float64_wrap', lambda T: T.arange(15, dtype=T.float64) / 7 - 1,
     'tensor([-1.0000, -0.8571, -0.7143, -0.5714, -0.4286, -0.2857, -0.1429,  0.0000,\n         0.1429,  0.2857,  0.4286,  0.5714,  0.7143,  0.8571,  1.0000],\n       dtype=engine.float64)'),
    ('float64_wrap_grad_fn', lambda T: T.arange(15, dtype=T.float64, requires_grad=True) / 7 - 1,
     'tensor([-1.0000, -0.8571, -0.7143, -0.5714, -0.4286, -0.2857, -0.1429,  0.0000,\n         0.1429,  0.2857,  0.4286,  0.5714,  0.7143,  0.8571,  1.0000],\n       dtype=engine.float64, grad_fn=<SubBackward0>)'),
    ('empty_int_2d', lambda T: T.zeros(2, 0, dtype=T.int64),
     'tensor([], size=(2, 0), dtype=engine.int64)'),
    ('int_0d_neg', lambda T: T.tensor(-7),
     'tensor(-7)'),
    ('bool_empty', lambda T: T.tensor([], dtype=T.bool),
     'tensor([], dtype=engine.bool)'),

]


@pytest.mark.parametrize("case", REPRS, ids=lambda c: c[0])
def test_repr(case):
    _, fn, expected = case
    t = fn(engine)
    assert repr(t) == expected
    assert str(t) == expected


@pytest.mark.oracle
@pytest.mark.parametrize("case", REPRS, ids=lambda c: c[0])
def test_repr_table_matches_torch(case, torch):
    _, fn, expected = case
    assert repr(fn(torch)).replace("torch.", "engine.") == expected


def test_repr_of_a_gradient_and_of_a_detached_tensor():
    x = engine.tensor(3.0, requires_grad=True)
    y = x**2
    assert repr(y) == "tensor(9., grad_fn=<PowBackward0>)"
    y.backward()
    assert repr(x.grad) == "tensor(6.)"
    assert repr(y.detach()) == "tensor(9.)"
    with engine.no_grad():
        assert repr(x * 2) == "tensor(6.)"


def test_print_uses_the_repr(capsys):
    print(engine.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert capsys.readouterr().out == "tensor([[1., 2.],\n        [3., 4.]])\n"

