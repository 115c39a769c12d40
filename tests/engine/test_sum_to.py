"""Undoing broadcasting (``dual.sum_to``): the gradient of a broadcast input is summed back to
its shape. Where the summed dimensions all lead (a bias's gradient), a float32 or float64
array is summed as one product with a vector of ones (``backend.sum_leading``, BLAS); every
other case keeps NumPy's reduction. Both give the exact sum to rounding, as a fresh array."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import backend
from engine.ops import dual

# (gradient shape, input shape, summed axes of the gradient, whether the product applies)
CASES = [
    ((128, 256), (256,), (0,), True),  # a bias
    ((128, 10), (10,), (0,), True),
    ((4, 5, 7), (7,), (0, 1), True),  # two leading dimensions
    ((4, 5, 7), (5, 7), (0,), True),
    ((128, 256), (1, 256), (0,), True),  # grown from 1, kept
    ((4, 5, 7), (1, 5, 7), (0,), True),
    ((4, 5, 7), (1, 1, 7), (0, 1), True),
    ((6, 4, 5, 7), (1, 5, 7), (0, 1), True),  # added and grown
    ((2, 3), (3,), (0,), True),
    ((1, 3), (3,), (0,), True),  # a leading 1
    ((4, 5, 7), (4, 1, 7), (1,), False),  # a dimension in the middle
    ((4, 5, 7), (4, 5, 1), (2,), False),  # the last dimension
    ((4, 5, 7), (1, 5, 1), (0, 2), False),  # not all leading
    ((128, 1), (1,), (0,), False),  # one number per row: NumPy's pairwise sum
    ((128,), (), (0,), False),  # down to one number
    ((0, 7), (7,), (0,), False),  # empty
    ((3, 0), (0,), (0,), False),
]


def _ids(case):
    return f"{case[0]}->{case[1]}"


def _gradient(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) + 0.5).astype(dtype)


def _exact(g, axes, shape):
    wide = np.complex128 if np.iscomplexobj(g) else np.float64
    return np.add.reduce(g.astype(wide), axis=axes, keepdims=True).reshape(shape)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_sum_to_gives_the_sum_over_the_broadcast_dimensions(case, dtype):
    g_shape, shape, axes, _ = case
    g = _gradient(g_shape, dtype)
    out = dual.sum_to(g, shape)
    assert out.shape == shape and out.dtype == g.dtype
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(out, _exact(g, axes, shape), rtol=tol, atol=tol * g_shape[0])


@pytest.mark.parametrize("case", [c for c in CASES if c[2] == tuple(range(len(c[2])))],
                         ids=_ids)
def test_sum_leading_applies_to_float_arrays_with_rows_to_sum(case):
    """The cases whose summed dimensions lead (the others never reach sum_leading)."""
    g_shape, shape, axes, applies = case
    g = _gradient(g_shape, "float32")
    out = backend.sum_leading(g, len(axes), shape)
    assert (out is not None) == applies
    if applies:  # the product itself, to the bit
        flat = g.reshape(int(np.prod(g_shape[: len(axes)])), -1)
        np.testing.assert_array_equal(out.reshape(-1), np.ones(flat.shape[0], g.dtype) @ flat)


@pytest.mark.parametrize("make", [
    lambda g: g.astype(np.float16),  # no BLAS for float16
    lambda g: g.astype(np.int64),
    lambda g: g.astype(np.complex64),
    lambda g: np.asfortranarray(g),  # not C-ordered
    lambda g: g[:, ::2],  # strided
    lambda g: g.astype(g.dtype.newbyteorder(">")),  # another byte order
    lambda g: np.broadcast_to(g[:1], g.shape),  # a broadcast gradient (a reduction's)
], ids=["float16", "int64", "complex64", "fortran", "strided", "big-endian", "broadcast"])
def test_other_arrays_keep_numpys_reduction(make):
    g = make(_gradient((16, 6), "float32"))
    shape = g.shape[1:]
    assert backend.sum_leading(g, 1, shape) is None
    out = dual.sum_to(g, shape)
    np.testing.assert_allclose(out, _exact(np.asarray(g), (0,), shape),
                               rtol=1e-2 if g.dtype == np.float16 else 1e-5)


@pytest.mark.parametrize("case", [c for c in CASES if c[3]], ids=_ids)
def test_the_sum_is_a_fresh_array_a_grad_can_own(case):
    g_shape, shape, _, _ = case
    g = _gradient(g_shape, "float64")
    out = dual.sum_to(g, shape)
    assert out.base is None and out.flags.owndata and out.flags.writeable
    assert out.flags.c_contiguous and not np.shares_memory(out, g)
    out += 1  # writing it changes nothing else: not the cached vector of ones
    assert (backend.ones_of(g_shape[0], g.dtype) == 1).all()


def _special_values():
    g = np.ones((8, 5), np.float32)
    g[1, 0], g[2, 0] = np.inf, -np.inf  # inf - inf: nan
    g[3, 1] = np.nan
    g[4, 2] = np.inf
    g[5, 3] = g[6, 3] = np.float32(3e38)  # their sum overflows float32: inf
    return g


def test_special_values_sum_as_numpy_sums_them():
    g = _special_values()
    with np.errstate(all="ignore"):
        out = dual.sum_to(g, (5,))
        expected = np.add.reduce(g, 0)
    np.testing.assert_array_equal(out, expected)
    assert np.isnan(out[0]) and np.isnan(out[1]) and out[2] == out[3] == np.inf and out[4] == 8


def test_special_values_in_a_bias_gradient_raise_no_warning():
    """As in PyTorch, nan and inf are values: the backward pass stays silent about them."""
    import warnings

    b = engine.zeros(5, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ((engine.ones(8, 5) + b) * engine.tensor(_special_values())).sum().backward()
    assert np.isnan(b.grad.numpy()[:2]).all() and b.grad.numpy()[2:4].tolist() == [np.inf] * 2


def test_the_vectors_of_ones_are_read_only_and_few():
    first = backend.ones_of(5, np.dtype(np.float32))
    assert not first.flags.writeable and first.dtype == np.float32 and first.tolist() == [1.0] * 5
    assert backend.ones_of(5, np.dtype(np.float32)) is first
    assert backend.ones_of(5, np.dtype(np.float64)).dtype == np.float64
    for rows in range(100, 160):
        backend.ones_of(rows, np.dtype(np.float64))
    assert len(backend._ones) <= 32
    long = backend.ones_of(backend._ONES_KEPT + 1, np.dtype(np.float32))
    assert long.size == backend._ONES_KEPT + 1
    assert backend.ones_of(backend._ONES_KEPT + 1, np.dtype(np.float32)) is not long


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("x_shape, b_shape", [
    ((128, 256), (256,)), ((3, 5, 7), (7,)), ((3, 5, 7), (1, 7)), ((3, 5, 7), (5, 1)),
    ((9, 4), (1, 1)), ((9, 4), ()),
])
def test_bias_gradients_match_torch(x_shape, b_shape, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal(x_shape).astype(dtype)
    b = rng.standard_normal(b_shape).astype(dtype)
    w = rng.standard_normal(x_shape).astype(dtype)  # a gradient that is not all ones
    grads = []
    for lib in (engine, torch):
        xt = lib.tensor(x, requires_grad=True)
        bt = lib.tensor(b, requires_grad=True)
        ((xt + bt) * lib.tensor(w)).sum().backward()
        grads.append((np.asarray(xt.grad.detach().numpy()), np.asarray(bt.grad.detach().numpy())))
    (ex, eb), (tx, tb) = grads
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(ex, tx, rtol=tol)
    np.testing.assert_allclose(eb, tb, rtol=tol, atol=tol * x.size)
    assert eb.shape == b_shape and eb.dtype == b.dtype


def test_a_bias_gradient_is_the_product_on_either_build():
    """The compiled core sums a bias's gradient as the Python engine does, to the bit."""
    rng = np.random.default_rng(4)
    x = engine.tensor(rng.standard_normal((64, 33)).astype(np.float32))
    b = engine.zeros(33, requires_grad=True)
    w = rng.standard_normal((64, 33)).astype(np.float32)
    ((x + b) * engine.tensor(w)).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), np.ones(64, np.float32) @ w)


@pytest.mark.parametrize("b_shape", [(7,), (1, 7), (40, 7), (1, 40, 7)])
def test_a_device_sums_a_bias_gradient_as_the_cpu_does(b_shape):
    """On the CPU stand-in for CuPy the same product runs (cuBLAS on a GPU): the same bits as
    on the CPU, and the gradient stays on the device."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((16, 40, 7)).astype(np.float32)
    w = rng.standard_normal((16, 40, 7)).astype(np.float32)
    grads = {}
    with engine.testing.fake_cuda() as fake:
        for dev in ("cpu", "cuda"):
            b = engine.zeros(b_shape, device=dev, requires_grad=True)
            ((engine.tensor(x, device=dev) + b) * engine.tensor(w, device=dev)).sum().backward()
            assert b.grad.device.type == dev and tuple(b.grad.shape) == b_shape
            grads[dev] = b.grad.cpu().numpy()
        ones = backend.ones_of(15, np.dtype(np.float32), fake.zeros(3))
        assert isinstance(ones, fake.ndarray) and ones.shape == (15,)
        assert backend.ones_of(15, np.dtype(np.float32), fake.zeros(3)) is ones
    np.testing.assert_array_equal(grads["cuda"], grads["cpu"])
