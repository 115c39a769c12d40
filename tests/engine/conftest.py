"""Shared helpers for the engine-core tests.

* ``torch`` fixture: PyTorch, the oracle, for tests marked ``@pytest.mark.oracle`` (skipped when
  torch is not installed; nothing here imports torch at module level).
* ``MSG``: PyTorch's error texts (torch spelled ``engine``); ``test_errors.py`` checks every
  one of them against torch itself.
* ``OPS``: the one table of ops (minitorch style) that drives the value, dtype, gradient,
  grad_fn-name, broadcasting and finite-difference tests. Each row's ``fn(lib, *tensors)`` is
  the same code for ``lib=engine`` and ``lib=torch``.
* ``EDGES``: the same kind of rows at points where a derivative is a convention (kinks, ties,
  zeros, infinities, empty tensors), with fixed inputs.
* ``reduction_ops``, ``matmul_ops``, ``index_ops``: hypothesis strategies drawing rows whose
  parameters vary (dims and keepdim, batch shapes, indices); ``HYPOTHESIS``: their settings.
* ``device``: the fixture that runs a test on each device: ``cpu``; ``fake-cuda``, the CPU
  stand-in for CuPy (``_fake_cupy``), so the device code is tested on every machine; and
  ``cuda``, real CuPy on a GPU (marker ``gpu``; skipped, with the reason, without one).
  ``DEVICES`` and ``on_device`` do the same for tests that cannot take a fixture (hypothesis).
* small helpers: input arrays per domain, leaves, graph signatures, dtype names.
"""

from __future__ import annotations

import contextlib
import functools
import os
import zlib
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, basic_indices, mutually_broadcastable_shapes

# ---------------------------------------------------------------------------------------
# the oracle


@pytest.fixture
def torch(request):
    """PyTorch, for oracle tests only: ``torch = pytest.importorskip("torch")``."""
    assert request.node.get_closest_marker("oracle") is not None, (
        f"{request.node.nodeid} uses torch but is not marked @pytest.mark.oracle"
    )
    return pytest.importorskip("torch")


# Finite differences are a method with its own error (truncation ~eps^2, rounding ~1e-16/eps),
# not a dtype: this is how close float64 central differences must come to the engine's
# float64 gradients.
FD_RTOL, FD_ATOL = 1e-5, 1e-6

FLOAT_DTYPES = ["float32", "float64"]

# One setting for every hypothesis test here: fast by default; a thorough run sets
# ENGINE_HYPOTHESIS_EXAMPLES=1000.
HYPOTHESIS = settings(
    max_examples=int(os.environ.get("ENGINE_HYPOTHESIS_EXAMPLES", "25")), deadline=None
)

# ---------------------------------------------------------------------------------------
# PyTorch's error texts (checked against torch 2.13 in test_errors.py)

MSG = {
    "no_grad_fn": "element 0 of tensors does not require grad and does not have a grad_fn",
    "scalar_outputs": "grad can be implicitly created only for scalar outputs",
    "backward_twice": (
        "Trying to backward through the graph a second time (or directly access saved "
        "tensors after they have already been freed). Saved intermediate values of the graph "
        "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
        "you need to backward through the graph a second time or if you need to access saved "
        "tensors after calling backward."
    ),
    "modified_inplace": (
        "one of the variables needed for gradient computation has been modified by an "
        "inplace operation"
    ),
    "requires_grad_ctor": "Only Tensors of floating point and complex dtype can require gradients",
    "requires_grad_setter": "only Tensors of floating point and complex dtype can require gradients",
    "requires_grad_method": "only Tensors of floating point dtype can require gradients",
    "leaf_inplace": "a leaf Variable that requires grad is being used in an in-place operation.",
    "view_of_leaf_inplace": (
        "a view of a leaf Variable that requires grad is being used in an in-place operation."
    ),
    "nonleaf_requires_grad": "you can only change requires_grad flags of leaf variables.",
    "nonleaf_requires_grad_false": (
        "you can only change requires_grad flags of leaf variables. If you want to use a "
        "computed variable in a subgraph that doesn't require differentiation use "
        "var_no_grad = var.detach()."
    ),
    "numpy_requires_grad": (
        "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
    ),
    "item_many": "a Tensor with 2 elements cannot be converted to Scalar",
    "detach_view": "Can't detach views in-place. Use detach() instead.",
}

# ---------------------------------------------------------------------------------------
# devices


def gpu_unavailable_reason():
    """None when real CuPy sees a GPU, otherwise why not (the skip reason of ``cuda``)."""
    import engine

    return engine.cuda.unavailable_reason()


_GPU_REASON = gpu_unavailable_reason()

DEVICES = [
    pytest.param("cpu", id="cpu"),
    pytest.param("fake-cuda", id="fake-cuda"),
    pytest.param(
        "cuda", id="cuda",
        marks=[pytest.mark.gpu,
               pytest.mark.skipif(_GPU_REASON is not None, reason=f"no GPU: {_GPU_REASON}")],
    ),
]


@contextlib.contextmanager
def on_device(kind):
    """The engine device name for a ``DEVICES`` entry, with the CuPy stand-in installed for
    ``fake-cuda`` while the block runs."""
    if kind == "fake-cuda":
        from engine import _fake_cupy

        with _fake_cupy.installed():
            yield "cuda"
    else:
        yield kind


@pytest.fixture(params=DEVICES)
def device(request):
    """"cpu" or "cuda" (real, or the CPU stand-in for ``fake-cuda``)."""
    with on_device(request.param) as name:
        yield name


_FACTORIES = frozenset(
    "tensor zeros ones full empty arange linspace eye rand randn zeros_like ones_like".split()
)


class OnDevice:
    """A library whose factory functions make tensors on ``device`` (``T.tensor(...)`` in a
    table row then lands on the device under test); everything else is the library's."""

    def __init__(self, lib, device):
        self._lib, self._device = lib, device

    def __getattr__(self, name):
        value = getattr(self._lib, name)
        if name in _FACTORIES:
            return functools.partial(value, device=self._device)
        return value


def lib_on(lib, device):
    return lib if device in (None, "cpu") else OnDevice(lib, device)


# ---------------------------------------------------------------------------------------
# small helpers


def dtype_name(dtype) -> str:
    """'float32' for engine.float32 / torch.float32 / numpy float32."""
    if isinstance(dtype, np.dtype):
        return dtype.name
    return str(dtype).rsplit(".", 1)[-1]


def np_dtype(name: str):
    return np.dtype(name)


def make_array(rng, shape, domain="real", dtype="float64"):
    """Random inputs for a domain.

    real      values in ±[0.1, 2]: away from 0 and from each other's kinks (abs, relu,
              division) by far more than a finite-difference step
    positive  values in [0.5, 2] (log, sqrt, powers with real exponents)
    unit      values in ±[0.05, 0.45]: inside the domains of asin, acos and atanh, and away
              from tan's poles, twice them too (the in-place tests apply ops to x * 2)
    above_one values in [1.2, 3] (acosh)
    grid      values from {-1, -0.5, 0, 0.5, 1}: ties, for comparisons
    one_zero, two_zeros
              "real" values with exact zeros, one or two in each slice along the last dim, at
              positions that move from slice to slice (the first and the last among them):
              products' gradients at zeros. Products are polynomials, of degree 1 in each
              element, so central differences stay exact there
    dividend, divisor
              for remainder (``a % b`` jumps wherever a/b is an integer): dividends near
              ±{0.3, 0.7, 1.3, 1.7}, divisors near ±{0.8, 1.6} (and the table's scalars 1.5,
              -0.75), so every quotient stays over 0.05 from an integer
    """
    shape = tuple(shape)
    if domain in ("dividend", "divisor"):
        centres = [0.3, 0.7, 1.3, 1.7] if domain == "dividend" else [0.8, 1.6]
        mag = rng.choice(np.array(centres), size=shape) + rng.uniform(-0.005, 0.005, size=shape)
        arr = np.where(rng.random(size=shape) < 0.5, -mag, mag)
    elif domain == "real":
        mag = rng.uniform(0.1, 2.0, size=shape)
        arr = np.where(rng.random(size=shape) < 0.5, -mag, mag)
    elif domain == "positive":
        arr = rng.uniform(0.5, 2.0, size=shape)
    elif domain == "unit":
        mag = rng.uniform(0.05, 0.45, size=shape)
        arr = np.where(rng.random(size=shape) < 0.5, -mag, mag)
    elif domain == "above_one":
        arr = rng.uniform(1.2, 3.0, size=shape)
    elif domain == "grid":
        arr = rng.choice(np.array([-1.0, -0.5, 0.0, 0.5, 1.0]), size=shape)
    elif domain in ("one_zero", "two_zeros"):
        arr = make_array(rng, shape, "real")
        if not shape:
            arr = np.zeros(())
        elif arr.size:
            n = shape[-1]
            rows = arr.reshape(-1, n).copy()  # row i: slice i along the last dim
            for i, row in enumerate(rows):
                row[i % n] = 0.0
                if domain == "two_zeros":
                    row[(i + max(n // 2, 1)) % n] = 0.0
            arr = rows.reshape(shape)
    else:  # pragma: no cover - a typo in the table
        raise ValueError(domain)
    return np.asarray(arr, dtype=np.float64).astype(dtype)


def rng_for(*keys) -> np.random.Generator:
    """A generator seeded from the test's identity: deterministic, different per row."""
    return np.random.default_rng(zlib.crc32("/".join(map(str, keys)).encode()))


def leaf(lib, array, requires_grad=True):
    """A leaf tensor of ``lib`` (engine or torch) holding a copy of ``array``, dtype kept."""
    return lib.tensor(np.array(array), requires_grad=requires_grad)


def node_name(grad_fn):
    return None if grad_fn is None else type(grad_fn).__name__


def next_shape(grad_fn):
    """The shape of ``next_functions``: per entry None / 'AccumulateGrad' / 'node', input_nr."""
    out = []
    for fn, nr in grad_fn.next_functions:
        kind = None if fn is None else (
            "AccumulateGrad" if type(fn).__name__ == "AccumulateGrad" else "node"
        )
        out.append((kind, nr))
    return tuple(out)


def signature(grad_fn, depth):
    """(name, ((child signature, input_nr), ...)) down to ``depth`` levels below grad_fn."""
    if grad_fn is None:
        return None
    if depth == 0:
        return node_name(grad_fn)
    return (
        node_name(grad_fn),
        tuple((signature(fn, depth - 1), nr) for fn, nr in grad_fn.next_functions),
    )


# ---------------------------------------------------------------------------------------
# THE op table


@dataclass(frozen=True)
class Op:
    """One row: ``fn(lib, *tensors)`` runs unchanged on ``lib=engine`` and ``lib=torch``.

    shapes          input shapes for the fixed-shape tests (one tuple per input)
    domain          see make_array
    broadcast       elementwise across inputs: hypothesis draws mutually broadcastable shapes
    differentiable  False for comparisons and indices: result is bool/int, no grad
    node            compare grad_fn name and next_functions' shape with torch
    """

    name: str
    fn: object
    shapes: tuple
    domain: str = "real"
    broadcast: bool = False
    differentiable: bool = True
    node: bool = True

    def __repr__(self):  # pytest ids
        return self.name

    def arrays(self, rng, dtype="float64", shapes=None):
        shapes = shapes or self.shapes
        if self.domain == "remainder":  # the first input is the dividend, the rest divisors
            return [make_array(rng, s, "divisor" if i else "dividend", dtype)
                    for i, s in enumerate(shapes)]
        return [make_array(rng, s, self.domain, dtype) for s in shapes]


def _op(name, fn, *shapes, **kw):
    return Op(name, fn, tuple(tuple(s) for s in shapes), **kw)


S23, S3, S34 = (2, 3), (3,), (3, 4)

OPS = [
    # --- arithmetic between tensors (broadcasting) -------------------------------------
    _op("add", lambda T, a, b: a + b, S23, S3, broadcast=True),
    _op("sub", lambda T, a, b: a - b, S23, (2, 1), broadcast=True),
    _op("mul", lambda T, a, b: a * b, (3, 1), (1, 4), broadcast=True),
    _op("div", lambda T, a, b: a / b, S23, S23, broadcast=True),
    _op("pow", lambda T, a, b: a**b, S23, S3, domain="positive", broadcast=True),
    _op("pow_self", lambda T, a: a**a, S3, domain="positive"),
    _op("lib.add", lambda T, a, b: T.add(a, b), S3, S23, broadcast=True),
    _op("lib.sub", lambda T, a, b: T.sub(a, b), S23, S23, broadcast=True),
    _op("lib.mul", lambda T, a, b: T.mul(a, b), S23, (1, 3), broadcast=True),
    _op("lib.div", lambda T, a, b: T.div(a, b), S3, S23, broadcast=True),
    _op("lib.pow", lambda T, a, b: T.pow(a, b), S23, S23, domain="positive", broadcast=True),
    _op("maximum", lambda T, a, b: T.maximum(a, b), S23, S3, broadcast=True),
    _op("minimum", lambda T, a, b: T.minimum(a, b), (2, 1), S3, broadcast=True),
    _op("where", lambda T, a, b: T.where(a > 0, a, b), S23, S3, broadcast=True),
    _op("where_scalar", lambda T, a: T.where(a > 0, a, 0.0), S23),
    _op("where_3", lambda T, c, a, b: T.where(c > 0, a, b), S3, (2, 1), (1, 3), broadcast=True),
    _op("remainder", lambda T, a, b: a % b, S23, S3, domain="remainder", broadcast=True),  # RemainderBackward1
    # tensor bounds get gradients too (where x is outside them); torch broadcasts the bounds
    # to x's shape only. node=False: torch lists a missing bound as (None, 0), the engine
    # gives None arguments no edge (engine/autograd/function.py)
    _op("clamp_tensors", lambda T, a, lo, hi: a.clamp(lo, hi), S23, S3, (2, 1)),
    _op("clamp_tensor_min", lambda T, a, lo: a.clamp(min=lo), S23, S23),
    _op("lib.clamp_tensor_max", lambda T, a, hi: T.clamp(a, None, hi), S23, S3),
    # --- Python scalars, both operand orders ------------------------------------------
    _op("add_scalar", lambda T, a: a + 2.5, S23),
    _op("radd_scalar", lambda T, a: 2.5 + a, S23),
    _op("add_int", lambda T, a: a + 1, S3),
    _op("radd_int", lambda T, a: 1 + a, S3),
    _op("sub_scalar", lambda T, a: a - 2, S3),
    _op("rsub_int", lambda T, a: 1 - a, S23),
    _op("rsub_scalar", lambda T, a: 2.5 - a, S3),
    _op("mul_scalar", lambda T, a: a * 2, S23),
    _op("rmul_scalar", lambda T, a: 2 * a, S3),
    _op("mul_float", lambda T, a: a * 0.5, S3),
    _op("div_scalar", lambda T, a: a / 2, S3),
    _op("rdiv_scalar", lambda T, a: 2 / a, S23),
    _op("pow_2", lambda T, a: a**2, S23),
    _op("pow_3", lambda T, a: a**3, S3),
    _op("pow_half", lambda T, a: a**0.5, S3, domain="positive"),
    _op("pow_neg", lambda T, a: a**-1.5, S3, domain="positive"),
    _op("rpow_2", lambda T, a: 2**a, S23),
    _op("rpow_float", lambda T, a: 1.5**a, S3),
    _op("remainder_scalar", lambda T, a: a % 1.5, S23, domain="remainder"),  # RemainderBackward0
    _op("remainder_neg_scalar", lambda T, a: a % -0.75, S3, domain="remainder"),
    _op("neg", lambda T, a: -a, S23),
    _op("lib.neg", lambda T, a: T.neg(a), S3),
    # --- unary (method and function) ----------------------------------------------------
    _op("exp", lambda T, a: a.exp(), S23),
    _op("lib.exp", lambda T, a: T.exp(a), S3),
    _op("expm1", lambda T, a: a.expm1(), S23),
    _op("lib.expm1", lambda T, a: T.expm1(a), S3),
    _op("log1p", lambda T, a: a.log1p(), S23, domain="positive"),
    _op("lib.log1p", lambda T, a: T.log1p(a), S3, domain="positive"),
    _op("log", lambda T, a: a.log(), S23, domain="positive"),
    _op("lib.log", lambda T, a: T.log(a), S3, domain="positive"),
    _op("sqrt", lambda T, a: a.sqrt(), S23, domain="positive"),
    _op("lib.sqrt", lambda T, a: T.sqrt(a), S3, domain="positive"),
    _op("sin", lambda T, a: a.sin(), S23),
    _op("lib.sin", lambda T, a: T.sin(a), S3),
    _op("cos", lambda T, a: a.cos(), S23),
    _op("lib.cos", lambda T, a: T.cos(a), S3),
    _op("tanh", lambda T, a: a.tanh(), S23),
    _op("lib.tanh", lambda T, a: T.tanh(a), S3),
    _op("sigmoid", lambda T, a: a.sigmoid(), S23),
    _op("lib.sigmoid", lambda T, a: T.sigmoid(a), S3),
    _op("relu", lambda T, a: a.relu(), S23),
    _op("lib.relu", lambda T, a: T.relu(a), S3),
    _op("abs", lambda T, a: a.abs(), S23),
    _op("lib.abs", lambda T, a: T.abs(a), S3),
    _op("clamp", lambda T, a: a.clamp(-0.5, 0.5), S23),
    _op("clamp_min_kw", lambda T, a: a.clamp(min=0), S23),
    _op("clamp_max_kw", lambda T, a: a.clamp(max=0.5), S23),
    _op("clamp_min", lambda T, a: a.clamp_min(0), S23),
    _op("clamp_max", lambda T, a: a.clamp_max(0.5), S3),
    _op("lib.clamp", lambda T, a: T.clamp(a, -1, 1), S23),
    _op("clone", lambda T, a: a.clone(), S23),
    _op("lib.clone", lambda T, a: T.clone(a), S3),
    # trigonometric and hyperbolic functions, their inverses (inside their domains) and
    # aliases (the same nodes: arcsin gives AsinBackward0)
    _op("tan", lambda T, a: a.tan(), S23, domain="unit"),
    _op("lib.tan", lambda T, a: T.tan(a), S3, domain="unit"),
    _op("sinh", lambda T, a: a.sinh(), S23),
    _op("lib.sinh", lambda T, a: T.sinh(a), S3),
    _op("cosh", lambda T, a: a.cosh(), S23),
    _op("lib.cosh", lambda T, a: T.cosh(a), S3),
    _op("asin", lambda T, a: a.asin(), S23, domain="unit"),
    _op("lib.arcsin", lambda T, a: T.arcsin(a), S3, domain="unit"),
    _op("acos", lambda T, a: a.acos(), S23, domain="unit"),
    _op("arccos", lambda T, a: a.arccos(), S3, domain="unit"),
    _op("atan", lambda T, a: a.atan(), S23),
    _op("lib.arctan", lambda T, a: T.arctan(a), S3),
    _op("asinh", lambda T, a: a.asinh(), S23),
    _op("lib.arcsinh", lambda T, a: T.arcsinh(a), S3),
    _op("acosh", lambda T, a: a.acosh(), S23, domain="above_one"),
    _op("arccosh", lambda T, a: a.arccosh(), S3, domain="above_one"),
    _op("atanh", lambda T, a: a.atanh(), S23, domain="unit"),
    _op("lib.arctanh", lambda T, a: T.arctanh(a), S3, domain="unit"),
    _op("sinc", lambda T, a: a.sinc(), S23),
    _op("lib.sinc", lambda T, a: T.sinc(a), S3),
    _op("deg2rad", lambda T, a: a.deg2rad(), S23),
    _op("lib.rad2deg", lambda T, a: T.rad2deg(a), S3),
    _op("atan2", lambda T, a, b: a.atan2(b), S23, S3, broadcast=True),
    _op("lib.arctan2", lambda T, a, b: T.arctan2(a, b), (2, 1), S3, broadcast=True),
    _op("hypot", lambda T, a, b: a.hypot(b), S23, (2, 1), broadcast=True),
    # logarithms and exponentials in base 2 and 10, rsqrt, logaddexp, xlogy
    _op("log2", lambda T, a: a.log2(), S23, domain="positive"),
    _op("lib.log10", lambda T, a: T.log10(a), S3, domain="positive"),
    _op("exp2", lambda T, a: a.exp2(), S23),
    _op("rsqrt", lambda T, a: a.rsqrt(), S23, domain="positive"),
    _op("lib.rsqrt", lambda T, a: T.rsqrt(a), S3, domain="positive"),
    _op("logaddexp", lambda T, a, b: a.logaddexp(b), S23, S3, broadcast=True),
    _op("lib.logaddexp2", lambda T, a, b: T.logaddexp2(a, b), S3, S23, broadcast=True),
    _op("xlogy", lambda T, a, b: a.xlogy(b), S23, S3, domain="positive", broadcast=True),
    _op("xlogy_scalar_other", lambda T, a: a.xlogy(1.5), S23),  # XlogyBackward2
    _op("lib.xlogy_scalar_self", lambda T, a: T.xlogy(2.5, a), S3, domain="positive"),  # ...1
    # the rest of PyTorch's element-wise ops
    _op("trunc", lambda T, a: a.trunc(), S23, domain="dividend"),
    _op("lib.fix", lambda T, a: T.fix(a), S3, domain="dividend"),
    _op("frac", lambda T, a: a.frac(), S23, domain="dividend"),
    _op("lib.frac", lambda T, a: T.frac(a), S3, domain="dividend"),
    _op("sgn", lambda T, a: a.sgn(), S23),
    _op("negative", lambda T, a: a.negative(), S23),
    _op("lib.negative", lambda T, a: T.negative(a), S3),
    _op("nan_to_num", lambda T, a: a.nan_to_num(), S23),
    _op("lib.nan_to_num_args", lambda T, a: T.nan_to_num(a, 1.0, posinf=2.0), S3),
    _op("signbit", lambda T, a: a.signbit(), S23, differentiable=False),
    _op("fmod", lambda T, a, b: a.fmod(b), S23, S3, domain="remainder", broadcast=True),
    _op("fmod_scalar", lambda T, a: a.fmod(-0.75), S23, domain="remainder"),  # FmodBackward0
    _op("lib.fmod", lambda T, a, b: T.fmod(a, b), S3, (2, 1), domain="remainder"),
    _op("remainder_method", lambda T, a, b: a.remainder(b), S23, S3, domain="remainder"),
    _op("lib.remainder_scalar", lambda T, a: T.remainder(a, 1.5), S3, domain="remainder"),
    _op("lib.remainder_number_first", lambda T, a: T.remainder(2.5, a), S3, domain="divisor",
        differentiable=False),  # torch records a node it cannot run backward through
    _op("fmax", lambda T, a, b: a.fmax(b), S23, S3, broadcast=True),
    _op("lib.fmin", lambda T, a, b: T.fmin(a, b), (2, 1), S3, broadcast=True),
    _op("copysign", lambda T, a, b: a.copysign(b), S23, S3, broadcast=True),
    _op("copysign_scalar", lambda T, a: a.copysign(-1), S23),  # CopysignBackward1
    _op("lib.copysign", lambda T, a, b: T.copysign(a, b), S3, S23),
    # float64 whatever the inputs: each operand through ToCopyBackward0 (none for float64)
    _op("float_power", lambda T, a, b: a.float_power(b), S23, S3, domain="positive",
        broadcast=True),
    _op("float_power_scalar", lambda T, a: a.float_power(2), S23),
    _op("lib.float_power_scalar_base", lambda T, a: T.float_power(2, a), S3),
    _op("lerp", lambda T, a, b: a.lerp(b, 0.3), S23, S3),  # LerpBackward0
    _op("lerp_far", lambda T, a, b: a.lerp(b, -0.75), S3, S3),  # |w| >= 0.5: from the end
    _op("lerp_tensor_weight", lambda T, a, b, w: a.lerp(b, w), S23, S3, (2, 1),
        broadcast=True),  # LerpBackward1; weights on both sides of 0.5 ("real")
    _op("lib.lerp", lambda T, a, b, w: T.lerp(a, b, w), S3, S3, S3),
    _op("addcmul", lambda T, a, b, c: a.addcmul(b, c), S23, S3, (2, 1), broadcast=True),
    _op("lib.addcmul_value", lambda T, a, b, c: T.addcmul(a, b, c, value=-0.5), S3, S23, S3),
    _op("addcdiv", lambda T, a, b, c: a.addcdiv(b, c, value=2), S23, S3, (2, 1),
        broadcast=True),
    _op("lib.addcdiv", lambda T, a, b, c: T.addcdiv(a, b, c), S3, S3, S23),
    # masked_fill: the mask a comparison (never an input of the graph); a mask larger than
    # x broadcasts it; a 0-d tensor value gets the gradient of what it filled
    _op("masked_fill", lambda T, a: a.masked_fill(a > 0, 1.5), S23),
    _op("masked_fill_bcast", lambda T, a, b: a.masked_fill(b > 0, -1), S23, S3,
        broadcast=True),
    _op("masked_fill_tensor", lambda T, a, v: a.masked_fill(a < 0, v), S23, ()),
    _op("lib.masked_fill_tensor", lambda T, a, v: T.masked_fill(a, v > 0, v * 2), S3, ()),
    # the method forms of older names: their nodes are the ops' own (MulBackward0)
    _op("multiply", lambda T, a, b: a.multiply(b), S23, S3, broadcast=True),
    _op("divide", lambda T, a, b: a.divide(b), S23, S3),
    _op("true_divide", lambda T, a: a.true_divide(2), S3),
    _op("subtract", lambda T, a, b: a.subtract(b), S3, S23),
    # torch records floor division as a node that cannot be differentiated (NotImplemented);
    # the engine records nothing
    _op("floor_divide", lambda T, a, b: a.floor_divide(b), S23, S3, domain="remainder",
        differentiable=False),
    _op("lib.floor_divide", lambda T, a: T.floor_divide(a, 0.5), S23, differentiable=False),
    # --- reductions -------------------------------------------------------------------
    _op("sum", lambda T, a: a.sum(), S23),
    _op("sum_dim", lambda T, a: a.sum(0), S23),
    _op("sum_dim_neg_keepdim", lambda T, a: a.sum(-1, keepdim=True), S23),
    _op("sum_dims", lambda T, a: a.sum((0, 2)), (2, 3, 4)),
    _op("sum_dim_kw", lambda T, a: a.sum(dim=1), (2, 3, 4)),
    _op("lib.sum", lambda T, a: T.sum(a), S23),
    _op("lib.sum_dim", lambda T, a: T.sum(a, 1), S23),
    _op("mean", lambda T, a: a.mean(), S23),
    _op("mean_dim", lambda T, a: a.mean(0), S23),
    _op("mean_dim_keepdim", lambda T, a: a.mean(-1, keepdim=True), (2, 3, 4)),
    _op("lib.mean", lambda T, a: T.mean(a), S23),
    _op("max", lambda T, a: a.max(), S23),
    _op("max_dim", lambda T, a: a.max(1).values, S23),
    _op("max_dim_keepdim", lambda T, a: a.max(0, keepdim=True)[0], (3, 2, 2)),
    _op("max_dim_indices", lambda T, a: a.max(1).indices, S23, differentiable=False),
    _op("lib.max", lambda T, a: T.max(a), S23),
    _op("lib.max_dim", lambda T, a: T.max(a, dim=0).values, S23),
    _op("min", lambda T, a: a.min(), S23),
    _op("min_dim", lambda T, a: a.min(0).values, S23),
    _op("min_dim_indices", lambda T, a: a.min(-1, keepdim=True)[1], S23, differentiable=False),
    _op("lib.min", lambda T, a: T.min(a), S3),
    _op("norm", lambda T, a: a.norm(), S23),
    _op("norm_dim", lambda T, a: a.norm(dim=1), S23),
    _op("lib.norm", lambda T, a: T.norm(a), S3),
    _op("norm_minus_inf", lambda T, a: a.norm(float("-inf")), S23),
    _op("norm_minus_inf_dim", lambda T, a: a.norm(-np.inf, dim=1, keepdim=True), S23),
    _op("norm_half_dim", lambda T, a: a.norm(0.5, dim=0), S23),
    _op("mean_dtype", lambda T, a: a.mean(dtype=T.float64), S23),
    _op("mean_dim_dtype", lambda T, a: a.mean(1, keepdim=True, dtype=T.float64), S23),
    _op("argmax_keepdim_all", lambda T, a: a.argmax(keepdim=True), S23, differentiable=False),
    _op("argmin_neg_dim", lambda T, a: a.argmin(-1, keepdim=True), S23, differentiable=False),
    _op("all_dim", lambda T, a: (a > 0).all(1), S23, differentiable=False),
    _op("any_dims_keepdim", lambda T, a: (a > 0).any((0, 2), keepdim=True), (2, 3, 4),
        differentiable=False),
    _op("any_no_dims", lambda T, a: (a > 0).any(()), S23, differentiable=False),
    _op("norm_no_dims", lambda T, a: a.norm(dim=()), S23),
    _op("norm_no_dims_keepdim", lambda T, a: a.norm(1, dim=[], keepdim=True), S23),
    # var and std with dim=() are in test_empty_dims: torch's gradient there is wrong
    _op("var", lambda T, a: a.var(), S23),
    _op("var_dim_keepdim", lambda T, a: a.var(1, keepdim=True), S23),
    _op("var_dims_correction", lambda T, a: a.var((0, 2), correction=0), (2, 3, 4)),
    _op("lib.var", lambda T, a: T.var(a, 0), S23),
    _op("std", lambda T, a: a.std(), S23),
    _op("std_dim_biased", lambda T, a: a.std(-1, unbiased=False), (2, 3, 4)),
    _op("lib.std", lambda T, a: T.std(a, dim=1, keepdim=True), S23),
    _op("sum_0d_dim", lambda T, a: a.sum(0), ()),
    # amax/amin share a tie's gradient evenly ("grid" values have ties)
    _op("amax", lambda T, a: a.amax(), S23),
    _op("amax_dim", lambda T, a: a.amax(1), S23),
    _op("amax_dims_keep", lambda T, a: a.amax((0, 2), keepdim=True), (2, 3, 4)),
    _op("amax_ties", lambda T, a: a.amax(0), (4, 3), domain="grid"),
    _op("lib.amax", lambda T, a: T.amax(a, -1), S23),
    _op("amin", lambda T, a: a.amin(), S23, domain="grid"),
    _op("amin_dim", lambda T, a: a.amin(-2), (2, 3, 4)),
    _op("lib.amin", lambda T, a: T.amin(a, (0, 1)), S23),
    _op("amax_0d_dim", lambda T, a: a.amax(0), ()),
    _op("mean_0d_dim", lambda T, a: a.mean(-1, keepdim=True), ()),
    _op("max_0d_dim", lambda T, a: a.max(0).values, ()),
    _op("min_0d_dim", lambda T, a: a.min(-1)[0], ()),
    _op("norm_0d_dim", lambda T, a: a.norm(dim=0), ()),
    _op("var_0d_dim", lambda T, a: a.var(0, correction=0), ()),
    _op("logsumexp", lambda T, a: a.logsumexp(1), S23),
    _op("logsumexp_keepdim", lambda T, a: a.logsumexp(0, keepdim=True), S23),
    _op("logsumexp_dims", lambda T, a: a.logsumexp((0, 2)), (2, 3, 4)),
    _op("lib.logsumexp", lambda T, a: T.logsumexp(a, -1), (3, 4)),
    _op("logsumexp_0d", lambda T, a: a.logsumexp(0), ()),
    # dim=() reduces every dim, as keepdim=True (without it torch raises: test_empty_dims)
    _op("logsumexp_no_dims_keepdim", lambda T, a: a.logsumexp((), keepdim=True), S23),
    _op("lib.logsumexp_no_dims_keepdim", lambda T, a: T.logsumexp(a, [], True), (2, 1, 4)),
    _op("logsumexp_0d_no_dims", lambda T, a: a.logsumexp(()), ()),
    _op("sum_0d", lambda T, a: a.sum(), ()),
    # prod: one dim or all; at zeros the gradient is the product of the others, which is 0
    # for every element of a slice with two zeros ("one_zero", "two_zeros": see make_array)
    _op("prod", lambda T, a: a.prod(), S23),
    _op("prod_dim", lambda T, a: a.prod(1), S23),
    _op("prod_dim_kw", lambda T, a: a.prod(dim=0), (2, 3, 4)),
    _op("prod_neg_dim", lambda T, a: a.prod(-2), (2, 3, 4)),
    _op("prod_keepdim", lambda T, a: a.prod(-1, keepdim=True), S23),
    _op("prod_dim0_keepdim", lambda T, a: a.prod(0, True), (3, 4)),
    _op("lib.prod", lambda T, a: T.prod(a), S3),
    _op("lib.prod_dim", lambda T, a: T.prod(a, 1, keepdim=True), S34),
    _op("prod_dtype", lambda T, a: a.prod(dtype=T.float64), S23),
    _op("prod_dim_dtype", lambda T, a: a.prod(0, dtype=T.float64), S23),
    _op("prod_0d", lambda T, a: a.prod(), ()),
    _op("prod_0d_dim", lambda T, a: a.prod(0), ()),
    _op("prod_0d_dim_keepdim", lambda T, a: a.prod(-1, keepdim=True), ()),
    _op("prod_size_1", lambda T, a: a.prod(1), (3, 1), domain="one_zero"),
    _op("prod_one_zero", lambda T, a: a.prod(), S3, domain="one_zero"),
    _op("prod_two_zeros", lambda T, a: a.prod(), (4,), domain="two_zeros"),
    _op("prod_zeros_2d", lambda T, a: a.prod(), (3, 4), domain="one_zero"),  # three zeros
    _op("prod_dim_one_zero", lambda T, a: a.prod(-1), (4, 4), domain="one_zero"),
    _op("prod_dim_two_zeros", lambda T, a: a.prod(1, keepdim=True), (4, 5), domain="two_zeros"),
    _op("prod_dim_zeros_across", lambda T, a: a.prod(0), (5, 4), domain="two_zeros"),
    _op("lib.prod_zeros_dtype", lambda T, a: T.prod(a, 1, dtype=T.float64), (3, 4),
        domain="one_zero"),
    _op("prod_0d_zero", lambda T, a: a.prod(), (), domain="one_zero"),
    _op("prod_of_prods", lambda T, a: a.prod(0).prod(), (3, 4), domain="one_zero"),
    _op("prod_int", lambda T, a: (a * 4).long().prod(1), S34, domain="grid",
        differentiable=False),
    _op("prod_int32", lambda T, a: (a * 2).int().prod(), S23, domain="grid",
        differentiable=False),
    _op("prod_bool", lambda T, a: (a > 0).prod(0), S34, differentiable=False),
    _op("prod_int_to_float", lambda T, a: (a * 4).long().prod(0, dtype=T.float32), S34,
        domain="grid", differentiable=False),
    _op("max_0d", lambda T, a: a.max(), ()),
    # --- matmul and friends -----------------------------------------------------------
    _op("matmul_1d_1d", lambda T, a, b: a @ b, S3, S3),
    _op("matmul_2d_2d", lambda T, a, b: a @ b, S23, S34),
    _op("matmul_1d_2d", lambda T, a, b: a @ b, S3, S34),
    _op("matmul_2d_1d", lambda T, a, b: a @ b, S23, S3),
    _op("matmul_batched", lambda T, a, b: a @ b, (2, 2, 3), (2, 3, 4)),
    _op("matmul_batched_2d", lambda T, a, b: a @ b, (2, 2, 3), S34),
    _op("matmul_batched_bcast", lambda T, a, b: a @ b, (2, 1, 2, 3), (3, 3, 2)),
    # torch records these two through Clone/Transpose internals: values and grads only
    _op("matmul_2d_batched", lambda T, a, b: a @ b, S23, (2, 3, 4), node=False),
    _op("matmul_1d_batched", lambda T, a, b: a @ b, S3, (2, 3, 4), node=False),
    _op("matmul_batched_1d", lambda T, a, b: a @ b, (2, 2, 3), S3),
    _op("lib.matmul", lambda T, a, b: T.matmul(a, b), S23, S34),
    _op("matmul_method", lambda T, a, b: a.matmul(b), S23, S3),
    _op("dot", lambda T, a, b: a.dot(b), S3, S3),
    _op("lib.dot", lambda T, a, b: T.dot(a, b), S3, S3),
    _op("mm", lambda T, a, b: a.mm(b), S23, S34),
    _op("lib.mm", lambda T, a, b: T.mm(a, b), S23, S34),
    # --- movement ---------------------------------------------------------------------
    _op("t", lambda T, a: a.t(), S23),
    _op("T", lambda T, a: a.T, S23),
    _op("lib.t", lambda T, a: T.t(a), S23),
    _op("transpose", lambda T, a: a.transpose(0, 1), S23),
    _op("transpose_3d", lambda T, a: a.transpose(0, 2), (2, 3, 4)),
    _op("lib.transpose", lambda T, a: T.transpose(a, 1, 2), (2, 3, 4)),
    _op("permute", lambda T, a: a.permute(2, 0, 1), (2, 3, 4)),
    # flip is a copy in torch (NumPy's flip is a view)
    _op("flip", lambda T, a: a.flip(0), S23),
    _op("flip_dims", lambda T, a: a.flip(2, -3), (2, 3, 4)),
    _op("lib.flip", lambda T, a: T.flip(a, [1]), S23),
    _op("flip_0d", lambda T, a: a.flip(0), ()),
    # roll and repeat are copies; roll's gradient is g rolled back, repeat's the tiles summed
    _op("roll", lambda T, a: a.roll(1, 0), S23),
    _op("roll_neg", lambda T, a: a.roll(-2, -1), (2, 3, 4)),
    _op("roll_dims", lambda T, a: a.roll((1, -1), (0, 2)), (2, 3, 4)),
    _op("roll_same_dim_twice", lambda T, a: a.roll((1, 1), (1, 1)), S23),  # shifts add up
    _op("roll_past_size", lambda T, a: a.roll(7, 1), S23),  # modulo the size
    # no dims: the flattened tensor is rolled, then takes its shape back (one node)
    _op("roll_flat", lambda T, a: a.roll(4), S23),
    _op("roll_flat_tuple", lambda T, a: a.roll((-1,), None), (2, 2, 2)),
    _op("lib.roll", lambda T, a: T.roll(a, [2], [1]), S34),
    _op("roll_0d", lambda T, a: a.roll(1), ()),
    _op("repeat", lambda T, a: a.repeat(2, 1), S23),
    _op("repeat_lead", lambda T, a: a.repeat(2, 1, 3), S23),  # a new leading dim
    _op("repeat_tuple", lambda T, a: a.repeat((1, 2, 2, 1)), (2, 1, 3)),
    _op("repeat_list", lambda T, a: a.repeat([3]), S3),
    _op("repeat_ones", lambda T, a: a.repeat(1, 1), S23),  # still a copy, still RepeatBackward0
    _op("repeat_zero", lambda T, a: a.repeat(0, 2), S23),  # empty: zero gradients
    _op("repeat_0d", lambda T, a: a.repeat(3, 2), ()),
    _op("repeat_0d_none", lambda T, a: a.repeat(()), ()),
    # movedim (moveaxis) is a permute view; of a 0-d tensor, an alias
    _op("movedim", lambda T, a: a.movedim(0, 2), (2, 3, 4)),
    _op("movedim_neg", lambda T, a: a.movedim(-1, 0), (2, 3, 4)),
    _op("movedim_tuples", lambda T, a: a.movedim((0, 1), (2, 0)), (2, 3, 4)),
    _op("movedim_lists_neg", lambda T, a: a.movedim([-1, 1], [0, -2]), (2, 3, 4, 2)),
    _op("movedim_in_place", lambda T, a: a.movedim(1, 1), S23),  # the identity permute
    _op("movedim_none", lambda T, a: a.movedim((), ()), S23),
    _op("moveaxis", lambda T, a: a.moveaxis(1, -1), (2, 3, 4)),
    _op("lib.movedim", lambda T, a: T.movedim(a, (2,), (0,)), (2, 3, 4)),
    _op("lib.moveaxis", lambda T, a: T.moveaxis(a, 0, 1), S23),
    _op("movedim_0d", lambda T, a: a.movedim(0, -1), ()),
    # --- scans ------------------------------------------------------------------------
    _op("cumsum", lambda T, a: a.cumsum(1), S23),
    _op("cumsum_neg", lambda T, a: a.cumsum(-2), (2, 3, 4)),
    _op("lib.cumsum", lambda T, a: T.cumsum(a, 0), S3),
    _op("cumsum_0d", lambda T, a: a.cumsum(0), ()),
    _op("cumsum_dtype", lambda T, a: a.cumsum(0, dtype=T.float64), S23),
    # cumprod: torch's gradient where the input holds zeros ("one_zero", "two_zeros": see
    # make_array) differs from g * y / x only in dividing nothing; zeros in the scanned dim
    # at its first, a middle and its last position, one or two per scan
    _op("cumprod", lambda T, a: a.cumprod(1), S23),
    _op("cumprod_dim0", lambda T, a: a.cumprod(0), (3, 4)),
    _op("cumprod_neg", lambda T, a: a.cumprod(-2), (2, 3, 4)),
    _op("lib.cumprod", lambda T, a: T.cumprod(a, 0), S3),
    _op("cumprod_0d", lambda T, a: a.cumprod(0), ()),
    _op("cumprod_0d_neg", lambda T, a: a.cumprod(-1), ()),
    _op("cumprod_dtype", lambda T, a: a.cumprod(0, dtype=T.float64), S23),
    _op("cumprod_size_1", lambda T, a: a.cumprod(1), (3, 1), domain="one_zero"),
    _op("cumprod_one_zero", lambda T, a: a.cumprod(-1), (4, 4), domain="one_zero"),
    _op("cumprod_two_zeros", lambda T, a: a.cumprod(1), (4, 5), domain="two_zeros"),
    _op("cumprod_zeros_across", lambda T, a: a.cumprod(0), (5, 4), domain="two_zeros"),
    _op("cumprod_zeros_3d", lambda T, a: a.cumprod(2), (2, 3, 3), domain="two_zeros"),
    _op("lib.cumprod_zeros_dtype", lambda T, a: T.cumprod(a, 1, dtype=T.float64), (3, 4),
        domain="one_zero"),
    _op("cumprod_zero_input", lambda T, a: a.cumprod(0), (1,), domain="one_zero"),
    _op("cumprod_int", lambda T, a: (a * 4).long().cumprod(1), S34, domain="grid",
        differentiable=False),
    _op("cumprod_int32_dtype", lambda T, a: (a * 2).int().cumprod(0, dtype=T.int16), S34,
        domain="grid", differentiable=False),
    _op("cumprod_bool", lambda T, a: (a > 0).cumprod(-1), S34, differentiable=False),
    _op("lib.permute", lambda T, a: T.permute(a, (1, 0, 2)), (2, 3, 4)),
    _op("reshape", lambda T, a: a.reshape(3, 2), S23),
    _op("reshape_infer", lambda T, a: a.reshape(-1, 2), (2, 3, 2)),
    _op("reshape_tuple", lambda T, a: a.reshape((6,)), S23),
    _op("lib.reshape", lambda T, a: T.reshape(a, (2, 6)), (3, 4)),
    _op("view", lambda T, a: a.view(3, 2), S23),
    _op("view_infer", lambda T, a: a.view(-1), (2, 3, 2)),
    _op("flatten", lambda T, a: a.flatten(), (2, 3, 2)),
    _op("flatten_1", lambda T, a: a.flatten(1), (2, 3, 2)),
    _op("lib.flatten", lambda T, a: T.flatten(a), S23),
    _op("squeeze", lambda T, a: a.squeeze(), (1, 3, 1)),
    _op("squeeze_0", lambda T, a: a.squeeze(0), (1, 3, 1)),
    _op("squeeze_neg", lambda T, a: a.squeeze(-1), (1, 3, 1)),
    _op("lib.squeeze", lambda T, a: T.squeeze(a), (1, 3)),
    # a tuple or list of dims: each one of size 1 goes, the others stay; () squeezes nothing
    _op("squeeze_dims", lambda T, a: a.squeeze((0, 2)), (1, 3, 1)),
    _op("squeeze_dims_neg", lambda T, a: a.squeeze([-1, -3]), (1, 3, 1)),
    _op("squeeze_dims_some_1", lambda T, a: a.squeeze((1, 2)), (1, 3, 1)),
    _op("squeeze_one_dim_tuple", lambda T, a: a.squeeze((2,)), (1, 3, 1)),
    _op("squeeze_no_dims", lambda T, a: a.squeeze(()), (1, 3, 1)),
    _op("squeeze_no_dims_list", lambda T, a: a.squeeze([]), (1, 2)),
    _op("lib.squeeze_dims", lambda T, a: T.squeeze(a, (0, 1)), (1, 1, 2)),
    _op("squeeze_0d_dims", lambda T, a: a.squeeze((0,)), ()),
    _op("unsqueeze_0", lambda T, a: a.unsqueeze(0), S23),
    _op("unsqueeze_neg", lambda T, a: a.unsqueeze(-1), S23),
    _op("lib.unsqueeze", lambda T, a: T.unsqueeze(a, 1), S23),
    _op("expand", lambda T, a: a.expand(4, 3), S3),
    _op("expand_keep", lambda T, a: a.expand(2, -1, 3), (2, 1, 3)),
    # reshape of a non-contiguous input: a view when the memory allows, else a clone's
    _op("reshape_alias", lambda T, a: a.t().reshape(3, 2, 1), S23),
    _op("reshape_copy", lambda T, a: a.t().reshape(-1), S23),
    _op("flatten_copy", lambda T, a: a.transpose(0, 2).flatten(), (2, 3, 4)),
    _op("transpose_0d", lambda T, a: a.transpose(0, -1), ()),
    _op("permute_dims_kw", lambda T, a: a.permute(dims=(1, 0)), S23),
    _op("cat_0", lambda T, a, b: T.cat([a, b]), S23, (1, 3)),
    _op("cat_1", lambda T, a, b: T.cat([a, b], dim=1), S23, (2, 2)),
    _op("cat_neg", lambda T, a, b, c: T.cat((a, b, c), -1), S3, (2,), (1,)),
    _op("stack_0", lambda T, a, b: T.stack([a, b]), S23, S23),
    _op("stack_1", lambda T, a, b: T.stack([a, b], dim=1), S23, S23),
    _op("stack_3", lambda T, a, b, c: T.stack((a, b, c), -1), S3, S3, S3),
    # split, chunk, unbind: one node for all the pieces; a row takes some (the others get
    # zero gradients) or joins them all
    _op("split_out1", lambda T, a: a.split(2)[1], (5, 3)),
    _op("split_sizes_dim1", lambda T, a: a.split([1, 3], 1)[0], (2, 4)),
    _op("split_one_piece", lambda T, a: a.split(4, -1)[0], S23),
    _op("lib.split_joined", lambda T, a: T.cat(T.split(a, 2)[::-1]), (5, 3)),
    _op("chunk_uneven_last", lambda T, a: a.chunk(2, -1)[-1], (2, 5)),
    _op("chunk_two_pieces", lambda T, a: (lambda y: y[0] * y[2])(a.chunk(3)), (6,)),
    _op("lib.chunk_one", lambda T, a: T.chunk(a, 1)[0], S23),
    _op("unbind_neg", lambda T, a: a.unbind(-1)[2], S34),
    _op("lib.unbind_joined", lambda T, a: T.stack(T.unbind(a, 1)[::-1]), S34),
    # --- indexing -----------------------------------------------------------------------
    _op("index_int", lambda T, a: a[0], S23),
    _op("index_neg", lambda T, a: a[-1], S23),
    _op("index_slice", lambda T, a: a[1:], (4, 2)),
    _op("index_step", lambda T, a: a[::2], (5,)),
    _op("index_col", lambda T, a: a[:, 0], S23),
    _op("index_row_slice", lambda T, a: a[0, 1:], S34),
    _op("index_2_slices", lambda T, a: a[1:3, ::2], (4, 4)),
    _op("index_none", lambda T, a: a[None], S23),
    _op("index_ellipsis", lambda T, a: a[..., 1], (2, 3, 4)),
    _op("index_list_repeated", lambda T, a: a[[0, 2, 0, 0]], (3, 2)),
    _op("index_list_pair", lambda T, a: a[[0, 1, 0], [1, 2, 1]], S23),
    _op("index_cols_repeated", lambda T, a: a[:, [1, 1, 0]], S23),
    _op("index_tensor", lambda T, a: a[T.tensor([1, 1, 0])], S3),
    _op("index_mask", lambda T, a: a[a > 0], S23),
    _op("index_mask_rows", lambda T, a: a[a.sum(1) > 0], (4, 3)),
    # ints go first (views), then index tensors: the indexed dim stays in place
    _op("index_int_slice_list", lambda T, a: a[1, :, [0, 2, 2]], (2, 3, 4)),
    _op("index_list_int", lambda T, a: a[[1, 0, 1], 2], (2, 3, 4)),
    _op("index_none_list_int", lambda T, a: a[None, [1], 1], S23),
    # a bool in a key is a new dim of size 1, masked (the engine read True as index 1)
    _op("index_true_int", lambda T, a: a[True, 0], S23),
    _op("index_false_int", lambda T, a: a[False, 1], S23),
    _op("index_none_true", lambda T, a: a[None, True], S23),
    _op("index_ellipsis_true", lambda T, a: a[..., True], S23),
    _op("index_0d_bool_tensor", lambda T, a: a[T.tensor(True)], S23),
    _op("index_tuple_in_key", lambda T, a: a[(0, 1),], S23),
    # a key that selects everything is an alias
    _op("index_ellipsis_alone", lambda T, a: a[...], S23),
    _op("index_full_slices", lambda T, a: a[:, :], S23),
    _op("index_empty_tuple", lambda T, a: a[()], ()),
    # gather: the result has index's shape; an element read twice gets both gradients
    _op("gather", lambda T, a: a.gather(1, T.tensor([[0, 2], [1, 1]])), S23),
    _op("gather_rows_repeated", lambda T, a: a.gather(0, T.tensor([[1, 1, 0], [1, 0, 1], [1, 1, 1]])),
        S23),
    _op("gather_neg_dim", lambda T, a: a.gather(-1, T.tensor([[[3, 3, 0]], [[1, 2, 3]]])), (2, 3, 4)),
    # index may be smaller than the input in the other dims: the leading block takes part
    _op("gather_smaller_index", lambda T, a: a.gather(1, T.tensor([[2]])), S34),
    _op("gather_int32", lambda T, a: a.gather(0, T.tensor([[1, 0, 1]], dtype=T.int32)), S23),
    _op("lib.gather", lambda T, a: T.gather(a, 1, T.tensor([[3, 0, 0, 1]] * 3)), S34),
    # a 0-d tensor counts as shape (1,), for the input and the index alike
    _op("gather_0d", lambda T, a: a.gather(0, T.tensor(0)), ()),
    _op("gather_0d_index_1d", lambda T, a: a.gather(0, T.tensor([0, 0])), ()),
    _op("gather_1d_index_0d", lambda T, a: a.gather(0, T.tensor(2)), S3),
    _op("gather_empty_index", lambda T, a: a.gather(1, T.zeros(2, 0, dtype=T.int64)), S23),
    # scatter: src (or a number) written at index; the positions written over get no
    # gradient, src's is g gathered there. Indices are unique along dim: torch leaves the
    # winner of a repeated position undefined. src has index's shape: a larger src gets a
    # gradient of index's shape, which torch's engine refuses (test_errors)
    _op("scatter", lambda T, a, s: a.scatter(1, T.tensor([[2, 0], [1, 0]]), s), S23, (2, 2)),
    _op("scatter_dim0", lambda T, a, s: a.scatter(0, T.tensor([[1, 0, 1]]), s), S23, (1, 3)),
    _op("scatter_src_kw", lambda T, a, s: a.scatter(-1, src=s, index=T.tensor([[3], [0], [1]])),
        S34, (3, 1)),
    _op("scatter_int32", lambda T, a, s: a.scatter(1, T.tensor([[1]], dtype=T.int32), s), S23,
        (1, 1)),
    _op("lib.scatter", lambda T, a, s: T.scatter(a, 0, T.tensor([[2, 0], [0, 1]]), s), S34, (2, 2)),
    _op("scatter_value", lambda T, a: a.scatter(1, T.tensor([[2, 0], [1, 0]]), 1.5), S23),
    _op("scatter_value_int", lambda T, a: a.scatter(0, T.tensor([[1, 0, 1]]), 2), S23),
    _op("scatter_value_kw", lambda T, a: a.scatter(2, T.tensor([[[0, 3]]]), value=-1.0), (2, 3, 4)),
    _op("lib.scatter_value", lambda T, a: T.scatter(a, 1, T.tensor([[1], [2]]), 0.0), S23),
    _op("scatter_0d", lambda T, a, s: a.scatter(0, T.tensor(0), s), (), ()),
    _op("scatter_1d_src_0d", lambda T, a, s: a.scatter(0, T.tensor(1), s), S3, ()),
    _op("scatter_empty_index", lambda T, a: a.scatter(0, T.zeros(0, 3, dtype=T.int64), 1.0), S23),
    # in place (of a non-leaf): the node is scatter's
    _op("scatter_", lambda T, a, s: (a * 2).scatter_(1, T.tensor([[0], [2]]), s), S23, (2, 1)),
    _op("scatter_value_", lambda T, a: (a * 2).scatter_(0, T.tensor([[1, 0]]), value=3.0), S23),
    # scatter_add: src added at index, repeated positions adding up; x's gradient is g,
    # src's g gathered at index (src of index's shape: a larger one, as for scatter)
    _op("scatter_add", lambda T, a, s: a.scatter_add(1, T.tensor([[2, 0, 2], [1, 1, 1]]), s),
        S23, S23),
    _op("scatter_add_dim0", lambda T, a, s: a.scatter_add(0, T.tensor([[1, 0, 1], [1, 1, 0]]), s),
        S23, S23),
    _op("scatter_add_smaller_index", lambda T, a, s: a.scatter_add(-1, T.tensor([[3], [0], [3]]), s),
        S34, (3, 1)),
    _op("scatter_add_int32", lambda T, a, s: a.scatter_add(0, T.tensor([[2, 2]], dtype=T.int32), s),
        S34, (1, 2)),
    _op("lib.scatter_add", lambda T, a, s: T.scatter_add(a, 0, T.tensor([[2, 0], [2, 1]]), s), S34,
        (2, 2)),
    _op("scatter_add_0d", lambda T, a, s: a.scatter_add(0, T.tensor(0), s), (), ()),
    _op("scatter_add_empty_index", lambda T, a, s: a.scatter_add(0, T.zeros(0, 3, dtype=T.int64), s),
        S23, (0, 3)),
    _op("scatter_add_", lambda T, a, s: (a * 2).scatter_add_(1, T.tensor([[0, 0], [2, 2]]), s), S23,
        (2, 2)),
    # index_add: alpha * source added along dim at the rows index names (repeats add up);
    # x's gradient is g, source's alpha * g.index_select(dim, index)
    _op("index_add", lambda T, a, s: a.index_add(0, T.tensor([0, 2, 0]), s), S34, S34),
    _op("index_add_dim1_alpha", lambda T, a, s: a.index_add(1, T.tensor([1, 1, 3]), s, alpha=2.5),
        S34, (3, 3)),
    _op("index_add_neg_dim_int32", lambda T, a, s: a.index_add(
        -1, T.tensor([3, 0], dtype=T.int32), s, alpha=-1), (2, 3, 4), (2, 3, 2)),
    _op("lib.index_add", lambda T, a, s: T.index_add(a, 0, T.tensor([1]), s), S23, (1, 3)),
    _op("index_add_0d", lambda T, a, s: a.index_add(0, T.tensor(0), s, alpha=3), (), ()),
    _op("index_add_0d_index", lambda T, a, s: a.index_add(0, T.tensor(1), s), S3, (1,)),
    _op("index_add_empty_index", lambda T, a, s: a.index_add(0, T.zeros(0, dtype=T.int64), s),
        S23, (0, 3)),
    _op("index_add_", lambda T, a, s: (a * 2).index_add_(0, T.tensor([1, 1]), s, alpha=0.5), S23,
        (2, 3)),
    # --- triangles, diagonals, quarter turns ---------------------------------------------
    _op("tril", lambda T, a: a.tril(), S34),
    _op("tril_batched_neg", lambda T, a: a.tril(-1), (2, 3, 4)),
    _op("lib.tril", lambda T, a: T.tril(a, 2), S34),
    _op("triu", lambda T, a: a.triu(), S34),
    _op("triu_batched", lambda T, a: a.triu(1), (2, 3, 4)),
    _op("lib.triu", lambda T, a: T.triu(a, -1), (4, 3)),
    _op("tril_", lambda T, a: (a * 2).tril_(), S34),
    _op("triu_", lambda T, a: (a * 2).triu_(-2), S34),
    # diag: of a matrix its diagonal, copied; of a vector a matrix with it on a diagonal
    _op("diag_matrix", lambda T, a: a.diag(), S34),
    _op("diag_matrix_below", lambda T, a: a.diag(-1), S34),
    _op("lib.diag_matrix_above", lambda T, a: T.diag(a, 2), (4, 4)),
    _op("diag_vector", lambda T, a: a.diag(), S3),
    _op("lib.diag_vector_below", lambda T, a: T.diag(a, -2), S3),
    # diagonal: a view, the diagonal as a last dim
    _op("diagonal", lambda T, a: a.diagonal(), S34),
    _op("diagonal_dims", lambda T, a: a.diagonal(1, 2, 0), (2, 3, 4)),
    _op("diagonal_neg", lambda T, a: a.diagonal(-1, -1, -2), (2, 3, 4)),
    _op("lib.diagonal", lambda T, a: T.diagonal(a, 0, 1, 2), (2, 3, 3)),
    _op("diagonal_empty", lambda T, a: a.diagonal(5), S34),
    _op("trace", lambda T, a: a.trace(), S34),
    _op("lib.trace", lambda T, a: T.trace(a), (3, 3)),
    _op("rot90", lambda T, a: a.rot90(), S34),
    _op("rot90_twice_dims", lambda T, a: a.rot90(2, (1, 2)), (2, 3, 4)),
    _op("rot90_back_neg_dims", lambda T, a: a.rot90(-1, [2, 0]), (2, 3, 4)),
    _op("rot90_full_turn", lambda T, a: a.rot90(4), S23),  # still a copy and a node
    _op("lib.rot90", lambda T, a: T.rot90(a, 3, (0, 1)), S34),
    # --- products with a term added, cross products, outer, inner, kron ------------------
    _op("addmm", lambda T, c, a, b: T.addmm(c, a, b), (3, 2), S34, (4, 2)),
    _op("addmm_bcast_alpha_beta", lambda T, c, a, b: T.addmm(c, a, b, beta=0.5, alpha=2),
        (2,), S34, (4, 2)),
    _op("addmm_method", lambda T, c, a, b: c.addmm(a, b, alpha=-1), (1, 2), S34, (4, 2)),
    _op("addmm_beta_0", lambda T, c, a, b: T.addmm(c, a, b, beta=0), (3, 2), S34, (4, 2)),
    _op("addmv", lambda T, c, a, v: T.addmv(c, a, v), S3, S34, (4,)),
    _op("addmv_alpha_beta", lambda T, c, a, v: c.addmv(a, v, beta=2, alpha=0.5), S3, S34, (4,)),
    _op("addmv_0d_input", lambda T, c, a, v: T.addmv(c, a, v), (), S34, (4,)),
    _op("baddbmm", lambda T, c, a, b: T.baddbmm(c, a, b), (2, 3, 2), (2, 3, 4), (2, 4, 2)),
    _op("baddbmm_bcast", lambda T, c, a, b: c.baddbmm(a, b, beta=-1, alpha=3), (3, 1),
        (2, 3, 4), (2, 4, 2)),
    _op("cross", lambda T, a, b: T.cross(a, b, dim=1), (4, 3), (4, 3)),
    _op("cross_bcast", lambda T, a, b: a.cross(b, -1), (2, 1, 3), (1, 4, 3)),
    _op("cross_dim0", lambda T, a, b: T.cross(a, b, 0), (3, 2), (3, 2)),
    _op("outer", lambda T, a, b: T.outer(a, b), S3, (4,)),
    _op("ger", lambda T, a, b: a.ger(b), (2,), S3),
    _op("outer_method", lambda T, a, b: a.outer(b), S3, S3),
    _op("inner", lambda T, a, b: T.inner(a, b), S34, (4,)),
    _op("inner_vectors", lambda T, a, b: T.inner(a, b), S3, S3),
    _op("inner_matrices", lambda T, a, b: a.inner(b), S34, (2, 4)),
    _op("inner_3d", lambda T, a, b: T.inner(a, b), (2, 3, 4), (5, 4)),
    _op("inner_0d", lambda T, a, b: T.inner(a, b), (), S23),
    _op("kron", lambda T, a, b: T.kron(a, b), S23, (2, 2)),
    _op("kron_vector_matrix", lambda T, a, b: a.kron(b), S3, (2, 2)),
    _op("kron_3d", lambda T, a, b: T.kron(a, b), (2, 1, 2), S23),
    # einsum: one node here, PyTorch's permutes and bmm there: values and gradients only
    _op("einsum_mm", lambda T, a, b: T.einsum("ij,jk->ik", a, b), S23, S34, node=False),
    _op("einsum_implicit", lambda T, a, b: T.einsum("ij,kj", a, b), S34, (2, 4), node=False),
    _op("einsum_batched", lambda T, a, b: T.einsum("bij,bjk->bik", a, b), (2, 2, 3), (2, 3, 4),
        node=False),
    _op("einsum_trace", lambda T, a: T.einsum("ii->", a), (3, 3), node=False),
    _op("einsum_diagonal", lambda T, a: T.einsum("ii->i", a), (3, 3), node=False),
    _op("einsum_repeated_3d", lambda T, a: T.einsum("iji->j", a), (3, 2, 3), node=False),
    _op("einsum_ellipsis", lambda T, a, b: T.einsum("...ij,...jk->...ik", a, b), (2, 3, 4),
        (4, 2), node=False),
    _op("einsum_outer", lambda T, a, b: T.einsum("i,j->ij", a, b), S3, (2,), node=False),
    _op("einsum_chain", lambda T, a, b, c: T.einsum("ij,jk,kl->il", a, b, c), S23, S34, (4, 2),
        node=False),
    _op("einsum_summed_alone", lambda T, a, b: T.einsum("ij,k->j", a, b), S23, (4,),
        node=False),
    _op("einsum_size_1", lambda T, a, b: T.einsum("ij,ij->ij", a, b), S23, (1, 3), node=False),
    _op("einsum_sum", lambda T, a: T.einsum("ijk->", a), (2, 3, 4), node=False),
    _op("einsum_list", lambda T, a: T.einsum("i j -> j i", [a]), S23, node=False),
    # --- reductions returning two results --------------------------------------------
    _op("var_mean", lambda T, a: T.var_mean(a)[0], S23),
    _op("var_mean_mean", lambda T, a: T.var_mean(a, 1)[1], S23),
    _op("var_mean_both", lambda T, a: (lambda r: r[0] + r[1] * 2)(
        T.var_mean(a, (0, 2), keepdim=True)), (2, 3, 4)),
    _op("var_mean_correction", lambda T, a: T.var_mean(a, 1, correction=0)[0], S34),
    _op("std_mean", lambda T, a: T.std_mean(a, 0)[0], S23),
    _op("std_mean_both", lambda T, a: (lambda r: r[0] * r[1])(T.std_mean(a, -1, keepdim=True)),
        S34),
    _op("std_mean_unbiased_false", lambda T, a: T.std_mean(a, False)[1], S23),
    _op("count_nonzero", lambda T, a: a.count_nonzero(1), S34, domain="grid",
        differentiable=False),
    _op("lib.count_nonzero_dims", lambda T, a: T.count_nonzero(a, (0, 2)), (2, 3, 4),
        domain="grid", differentiable=False),
    _op("count_nonzero_all", lambda T, a: a.count_nonzero(), S34, domain="grid",
        differentiable=False),
    # aminmax: one node for both; ties share a gradient evenly ("grid" values tie)
    _op("aminmax", lambda T, a: a.aminmax().min, S34),
    _op("aminmax_dim_max", lambda T, a: a.aminmax(dim=1).max, S34),
    _op("aminmax_both_keepdim", lambda T, a: (lambda r: r.min * 2 + r.max)(
        a.aminmax(dim=0, keepdim=True)), S34),
    _op("lib.aminmax_ties", lambda T, a: (lambda r: r[0] - r[1] * 3)(T.aminmax(a, dim=1)),
        (4, 3), domain="grid"),
    _op("aminmax_0d", lambda T, a: a.aminmax(dim=0).max, ()),
    # cummax/cummin: a later tie takes over the index, and the gradient goes there
    _op("cummax", lambda T, a: a.cummax(1).values, S34),
    _op("cummin", lambda T, a: a.cummin(-1).values, (2, 3, 4)),
    _op("cummax_indices", lambda T, a: a.cummax(1).indices, (3, 5), domain="grid",
        differentiable=False),
    _op("cummin_indices", lambda T, a: a.cummin(0).indices, (5, 3), domain="grid",
        differentiable=False),
    _op("cummax_0d", lambda T, a: a.cummax(0).values, ()),
    # --- sorting: the gradient goes where each value came from --------------------------
    _op("sort", lambda T, a: a.sort().values, S34),
    _op("sort_descending_dim0", lambda T, a: a.sort(0, descending=True).values, S34),
    _op("sort_stable", lambda T, a: a.sort(stable=True, dim=1).values, S34),  # SortBackward1
    _op("lib.sort", lambda T, a: T.sort(a, 1).values, (2, 3, 4)),
    _op("sort_indices_ties", lambda T, a: a.sort(descending=True).indices, (4, 5), domain="grid",
        differentiable=False),
    _op("sort_stable_indices_ties", lambda T, a: a.sort(dim=0, stable=True).indices, (6, 2),
        domain="grid", differentiable=False),
    _op("sort_0d", lambda T, a: a.sort().values, ()),
    _op("argsort", lambda T, a: a.argsort(1), (4, 5), domain="grid", differentiable=False),
    _op("argsort_descending_stable", lambda T, a: a.argsort(descending=True, stable=True),
        (4, 5), domain="grid", differentiable=False),
    _op("lib.argsort", lambda T, a: T.argsort(a, 0), S34, differentiable=False),
    _op("topk", lambda T, a: a.topk(2).values, S34),
    _op("topk_smallest_dim0", lambda T, a: a.topk(2, dim=0, largest=False).values, S34),
    _op("topk_indices", lambda T, a: a.topk(3).indices, S34, differentiable=False),
    _op("lib.topk_all", lambda T, a: T.topk(a, 4).values, S34),
    _op("topk_0d", lambda T, a: a.topk(1).values, ()),
    _op("kthvalue", lambda T, a: a.kthvalue(2).values, S34),
    _op("kthvalue_keepdim", lambda T, a: a.kthvalue(1, 0, True).values, S34),
    _op("kthvalue_indices", lambda T, a: a.kthvalue(3, -1).indices, S34, differentiable=False),
    _op("lib.kthvalue", lambda T, a: T.kthvalue(a, 3, dim=1).values, (2, 3, 4)),
    _op("kthvalue_0d", lambda T, a: a.kthvalue(1).values, ()),
    # --- selecting by index or mask: repeated picks add up their gradients -----------------
    _op("index_select", lambda T, a: a.index_select(0, T.tensor([2, 0, 2])), S34),
    _op("index_select_dim1_int32", lambda T, a: a.index_select(1, T.tensor([3, 1], dtype=T.int32)),
        S34),
    _op("index_select_0d_index", lambda T, a: a.index_select(-1, T.tensor(1)), S34),
    _op("lib.index_select", lambda T, a: T.index_select(a, 1, T.tensor([0])), (2, 3, 4)),
    _op("index_select_0d", lambda T, a: a.index_select(0, T.tensor([0])), ()),
    _op("index_select_empty", lambda T, a: a.index_select(0, T.zeros(0, dtype=T.int64)), S34),
    _op("take", lambda T, a: a.take(T.tensor([[0, 5], [11, -1]])), S34),
    _op("take_repeated", lambda T, a: a.take(T.tensor([1, 1, -5])), S23),
    _op("lib.take", lambda T, a: T.take(a, T.tensor(3)), S34),
    _op("take_0d", lambda T, a: a.take(T.tensor([0, 0])), ()),
    _op("take_along_dim", lambda T, a: a.take_along_dim(T.tensor([[0], [3], [1]]), 1), S34),
    _op("take_along_dim_bcast", lambda T, a: a.take_along_dim(T.tensor([[2], [0]]), 0), S34),
    _op("take_along_dim_bcast_input", lambda T, a: a.take_along_dim(T.tensor([[0], [1], [3]]), 1),
        (1, 4)),
    _op("take_along_dim_flat", lambda T, a: a.take_along_dim(T.tensor([[0, 5], [11, 5]])), S34),
    _op("lib.take_along_dim", lambda T, a: T.take_along_dim(a, T.tensor([[1, 0, 1]]), 0), S23),
    _op("masked_select", lambda T, a: a.masked_select(a > 0), S34),
    _op("masked_select_bcast_mask", lambda T, a: a.masked_select(T.tensor([True, False, True, True])),
        S34),
    _op("masked_select_bcast_input", lambda T, a: a.masked_select(T.tensor([[True], [False]])),
        S3),
    _op("lib.masked_select", lambda T, a: T.masked_select(a, a < 0.5), S23),
    _op("nonzero", lambda T, a: (a > 0).nonzero(), S34, differentiable=False),
    _op("nonzero_float", lambda T, a: a.nonzero(), (2, 3, 4), domain="grid", differentiable=False),
    _op("lib.nonzero_tuple", lambda T, a: T.nonzero(a, as_tuple=True)[1], S34, domain="grid",
        differentiable=False),
    _op("nonzero_0d", lambda T, a: a.nonzero(), (), differentiable=False),
    _op("nonzero_0d_tuple", lambda T, a: a.nonzero(as_tuple=True)[0], (), differentiable=False),
    # --- movement: views (narrow, unflatten, ravel, broadcast_to) and copies (tile) ------
    _op("swapaxes", lambda T, a: a.swapaxes(0, 2), (2, 3, 4)),
    _op("lib.swapdims", lambda T, a: T.swapdims(a, -1, 0), S23),
    _op("narrow", lambda T, a: a.narrow(1, 1, 2), S34),
    _op("narrow_neg_start", lambda T, a: a.narrow(-1, -3, 3), S34),
    _op("narrow_all", lambda T, a: a.narrow(0, 0, 3), S34),  # still a slice, as in torch
    _op("lib.narrow_empty", lambda T, a: T.narrow(a, 0, 1, 0), S34),
    _op("unflatten", lambda T, a: a.unflatten(1, (2, 2)), S34),
    _op("unflatten_infer", lambda T, a: a.unflatten(-1, (-1, 2, 1)), (2, 3, 4)),
    _op("lib.unflatten", lambda T, a: T.unflatten(a, 0, [3, 1]), S34),
    _op("ravel", lambda T, a: a.ravel(), S34),
    _op("ravel_non_contiguous", lambda T, a: a.t().ravel(), S34),  # a clone, then a view
    _op("tile", lambda T, a: a.tile(2), S23),
    _op("tile_more_dims", lambda T, a: a.tile((2, 1, 2)), S23),
    _op("lib.tile", lambda T, a: T.tile(a, (1, 3)), S23),
    _op("tile_none", lambda T, a: a.tile(()), S23),
    _op("broadcast_to", lambda T, a: a.broadcast_to((2, 3, 4)), S34),
    _op("lib.broadcast_to", lambda T, a: T.broadcast_to(a, (3, -1)), (1, 4)),
    # diff: slices and a subtraction, n times, after a cat of prepend and append
    _op("diff", lambda T, a: a.diff(), S34),
    _op("diff_twice_dim0", lambda T, a: a.diff(2, 0), (4, 3)),
    _op("diff_prepend_append", lambda T, a, p, q: a.diff(dim=1, prepend=p, append=q), S34,
        (3, 1), (3, 2)),
    _op("diff_n0", lambda T, a: a.diff(n=0), S34),  # a copy (CopyBackwards)
    _op("diff_past_size", lambda T, a: a.diff(5), S34),
    _op("lib.diff", lambda T, a: T.diff(a, 1, 0), S34),
    # --- joining and splitting -----------------------------------------------------------
    _op("hstack", lambda T, a, b: T.hstack([a, b]), S23, (2, 2)),
    _op("hstack_vectors", lambda T, a, b: T.hstack((a, b)), S3, (2,)),
    _op("hstack_0d", lambda T, a, b: T.hstack([a, b]), (), S3),
    _op("vstack", lambda T, a, b: T.vstack([a, b]), S3, S3),
    _op("vstack_matrices", lambda T, a, b: T.vstack([a, b]), S23, (1, 3)),
    _op("dstack", lambda T, a, b: T.dstack([a, b]), S23, S23),
    _op("dstack_vectors", lambda T, a, b: T.dstack([a, b]), S3, S3),
    _op("column_stack", lambda T, a, b: T.column_stack([a, b]), S3, (3, 2)),
    _op("column_stack_0d", lambda T, a, b: T.column_stack([a, b]), (), (1,)),
    _op("atleast_1d", lambda T, a: T.atleast_1d(a), ()),
    _op("atleast_2d", lambda T, a: T.atleast_2d(a), S3),
    _op("atleast_2d_0d", lambda T, a: T.atleast_2d(a), ()),
    _op("atleast_3d", lambda T, a: T.atleast_3d(a), S23),
    _op("atleast_3d_vector", lambda T, a: T.atleast_3d(a), S3),
    _op("atleast_3d_0d", lambda T, a: T.atleast_3d(a), ()),
    _op("atleast_2d_several", lambda T, a, b: (lambda r: r[0] * r[1].sum())(T.atleast_2d(a, b)),
        (), S3),
    _op("tensor_split", lambda T, a: T.cat(a.tensor_split(3, 1)[::-1], 1), S34),
    _op("tensor_split_indices", lambda T, a: a.tensor_split([1, 3], 1)[1], S34),
    _op("tensor_split_tensor", lambda T, a: a.tensor_split(T.tensor([1, 2]))[2], (4, 3)),
    _op("lib.tensor_split", lambda T, a: T.tensor_split(a, 2, dim=-1)[0], (2, 3, 4)),
    _op("tensor_split_past_size", lambda T, a: a.tensor_split([3, 1, 9], 1)[2], S34),
    _op("hsplit", lambda T, a: a.hsplit(2)[1], S34),
    _op("lib.hsplit_vector", lambda T, a: T.hsplit(a, [1])[0], (4,)),
    _op("vsplit", lambda T, a: a.vsplit([2])[1], (4, 3)),
    _op("dsplit", lambda T, a: a.dsplit(2)[0], (2, 3, 4)),
    # --- comparisons: bool, no grad ------------------------------------------------------
    _op("eq", lambda T, a, b: a == b, S23, S3, domain="grid", broadcast=True, differentiable=False),
    _op("ne", lambda T, a, b: a != b, S23, S3, domain="grid", broadcast=True, differentiable=False),
    _op("lt", lambda T, a, b: a < b, S23, S3, domain="grid", broadcast=True, differentiable=False),
    _op("le", lambda T, a, b: a <= b, S23, S3, domain="grid", broadcast=True, differentiable=False),
    _op("gt", lambda T, a, b: a > b, S23, S3, domain="grid", broadcast=True, differentiable=False),
    _op("ge", lambda T, a, b: a >= b, S23, S3, domain="grid", broadcast=True, differentiable=False),
    _op("eq_method", lambda T, a, b: a.eq(b), S3, S3, domain="grid", differentiable=False),
    _op("ne_method", lambda T, a, b: a.ne(b), S3, S3, domain="grid", differentiable=False),
    _op("lt_method", lambda T, a, b: a.lt(b), S3, S3, domain="grid", differentiable=False),
    _op("le_method", lambda T, a, b: a.le(b), S3, S3, domain="grid", differentiable=False),
    _op("gt_method", lambda T, a, b: a.gt(b), S3, S3, domain="grid", differentiable=False),
    _op("ge_method", lambda T, a, b: a.ge(b), S3, S3, domain="grid", differentiable=False),
    _op("lib.eq", lambda T, a, b: T.eq(a, b), S23, S3, domain="grid", differentiable=False),
    _op("lib.gt", lambda T, a, b: T.gt(a, b), S23, S3, domain="grid", differentiable=False),
    _op("eq_scalar", lambda T, a: a == 0.5, S23, domain="grid", differentiable=False),
    _op("gt_scalar", lambda T, a: a > 0, S23, domain="grid", differentiable=False),
    _op("rlt_scalar", lambda T, a: 0 < a, S23, domain="grid", differentiable=False),
    _op("ge_scalar", lambda T, a: a.ge(0), S23, domain="grid", differentiable=False),
    # --- composites: a leaf reaching the output along several paths ------------------
    _op("leaf_twice", lambda T, a: a * a.exp(), S23),
    _op("mlp_like", lambda T, x, w, b: ((x @ w + b).relu() ** 2).mean(), (4, 3), S34, (4,)),
]

# Points where a derivative is a convention (kinks, ties, zeros, infinities): torch's choice.
_EDGES = [
    # name, fn(lib, *tensors), input values
    ("relu_at_0", lambda T, a: a.relu(), [[0.0, 1.0, -1.0]]),
    ("abs_at_0", lambda T, a: a.abs(), [[0.0, -1.0, 2.0]]),
    ("clamp_at_bounds", lambda T, a: a.clamp(0, 1), [[0.0, 1.0, 0.5, 2.0, -1.0]]),
    ("clamp_min_at_bound", lambda T, a: a.clamp_min(0), [[0.0, 1.0]]),
    ("clamp_kw_at_bound", lambda T, a: a.clamp(min=0), [[0.0, 1.0]]),
    ("sqrt_at_0", lambda T, a: a.sqrt(), [[0.0, 4.0]]),
    ("norm_of_zeros", lambda T, a: a.norm(), [[0.0, 0.0, 0.0]]),
    ("square_at_0", lambda T, a: a**2, [[0.0, 2.0]]),
    ("pow_0", lambda T, a: a**0, [[0.0, 2.0]]),
    ("pow_half_at_0", lambda T, a: a**0.5, [[0.0, 4.0]]),
    ("rpow_base_0", lambda T, a: 0**a, [[0.0, 2.0]]),
    ("pow_tensor_base_0", lambda T, a, b: a**b, [[0.0, 2.0], [2.0, 2.0]]),
    ("maximum_tie", lambda T, a, b: T.maximum(a, b), [[1.0, 2.0], [1.0, 3.0]]),
    ("minimum_tie", lambda T, a, b: T.minimum(a, b), [[1.0, 2.0], [1.0, 3.0]]),
    # nan is unordered: neither operand "loses", both get the whole gradient
    ("maximum_nan", lambda T, a, b: T.maximum(a, b), [[np.nan, 1.0, 2.0], [1.0, np.nan, 2.0]]),
    ("minimum_nan", lambda T, a, b: T.minimum(a, b), [[np.nan, 1.0, 2.0], [1.0, np.nan, 2.0]]),
    # clamp(x, lo, hi) is min(max(x, lo), hi): inclusive bounds; lo > hi gives hi
    ("clamp_tensors_at_bounds", lambda T, a, lo, hi: a.clamp(lo, hi),
     [[0.0, 1.0, 0.5, 2.0, -1.0, -1.0, 0.5], [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0],
      [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]]),
    ("rpow_base_0_negative_exponent", lambda T, a: 0**a, [[-1.0, 0.0, 2.0]]),
    ("pow_tensor_0_to_0", lambda T, a, b: a**b, [[0.0, 0.0, 2.0], [0.0, 2.0, 0.0]]),
    ("max_tie", lambda T, a: a.max(), [[1.0, 5.0, 5.0]]),
    ("min_tie", lambda T, a: a.min(), [[3.0, 1.0, 1.0]]),
    ("max_nan", lambda T, a: a.max(), [[1.0, np.nan, np.nan, 3.0]]),
    ("min_nan", lambda T, a: a.min(), [[[np.nan, 1.0], [0.0, 2.0]]]),
    ("norm_half_at_0", lambda T, a: a.norm(0.5, dim=1), [[[0.0, 1.0, -2.0], [0.0, 0.0, 0.0]]]),
    ("norm_1_5_at_0", lambda T, a: a.norm(1.5), [[0.0, 1.0, -2.0]]),
    ("norm_minus_1_at_0", lambda T, a: a.norm(-1, dim=0), [[[0.0, 1.0], [2.0, -3.0]]]),
    ("norm_minus_inf_at_0", lambda T, a: a.norm(-np.inf), [[0.0, 1.0, -2.0]]),
    ("max_dim_tie", lambda T, a: a.max(1).values, [[[1.0, 5.0, 5.0], [2.0, 2.0, 0.0]]]),
    ("min_dim_tie", lambda T, a: a.min(0).values, [[[1.0, 5.0], [1.0, 0.0]]]),
    ("where_nan_branch", lambda T, a: T.where(a > 0, a.sqrt(), T.zeros(2)), [[-1.0, 4.0]]),
    ("div_by_zero", lambda T, a, b: a / b, [[1.0, 0.0, -1.0], [0.0, 0.0, 2.0]]),
    ("log_at_0", lambda T, a: a.log(), [[0.0, 1.0]]),
    ("exp_overflow", lambda T, a: a.exp(), [[100.0, 1000.0]]),
    ("logsumexp_large", lambda T, a: a.logsumexp(0), [[1000.0, 1000.5, -1000.0]]),
    ("logsumexp_minus_inf", lambda T, a: a.logsumexp(1), [[[0.0, -np.inf], [1.0, 2.0]]]),
    ("sigmoid_extremes", lambda T, a: a.sigmoid(), [[-100.0, 100.0, 0.0]]),
    ("tanh_extremes", lambda T, a: a.tanh(), [[-100.0, 100.0]]),
    ("sum_empty", lambda T, a: a.sum(), [np.zeros(0)]),
    ("mean_empty", lambda T, a: a.mean(), [np.zeros(0)]),
    ("index_empty_list", lambda T, a: a[[]], [[1.0, 2.0]]),
    ("index_true", lambda T, a: a[True], [[[1.0, 2.0], [3.0, 4.0]]]),
    ("index_false", lambda T, a: a[False], [[1.0, 2.0]]),
    ("index_all_false_mask", lambda T, a: a[a > 10], [[1.0, 2.0]]),
    # domain edges: infinities at the ends, nan outside, PyTorch's formulas for both
    ("asin_edges", lambda T, a: a.asin(), [[1.0, -1.0, 2.0, 0.0]]),
    ("acos_edges", lambda T, a: a.acos(), [[1.0, -1.0, -2.0, 0.0]]),
    ("atanh_edges", lambda T, a: a.atanh(), [[1.0, -1.0, 2.0, 0.0]]),
    ("acosh_edges", lambda T, a: a.acosh(), [[1.0, 0.5, np.inf]]),
    ("rsqrt_at_0", lambda T, a: a.rsqrt(), [[0.0, -0.0, -1.0, np.inf]]),
    ("log2_at_0", lambda T, a: a.log2(), [[0.0, -1.0, np.inf]]),
    ("log10_at_0", lambda T, a: a.log10(), [[0.0, -1.0, np.inf]]),
    ("sinc_at_0", lambda T, a: a.sinc(), [[0.0, 1.0, -0.5, np.inf]]),
    ("tan_at_pole", lambda T, a: a.tan(), [[np.pi / 2, 0.0]]),
    ("cosh_overflow", lambda T, a: a.cosh(), [[0.0, 1000.0, -1000.0]]),
    ("sinh_overflow", lambda T, a: a.sinh(), [[0.0, 1000.0, -1000.0]]),
    ("exp2_extremes", lambda T, a: a.exp2(), [[0.0, 2000.0, -np.inf]]),
    ("atan_at_inf", lambda T, a: a.atan() + a.asinh(), [[np.inf, 0.0, -1e30]]),
    ("sgn_at_0_nan", lambda T, a: a.sgn(), [[0.0, -0.0, np.nan, -2.0]]),
    ("sign_at_0_nan", lambda T, a: a.sign(), [[0.0, -0.0, np.nan, -2.0, np.inf]]),
    ("nan_to_num_replaced", lambda T, a: a.nan_to_num(), [[np.nan, np.inf, -np.inf, 1.0]]),
    ("nan_to_num_values", lambda T, a: a.nan_to_num(-1.0, 1e300, neginf=-2.0),
     [[np.nan, np.inf, -np.inf, 1.0]]),
    ("trunc_frac_whole", lambda T, a: a.trunc() + a.frac(), [[2.0, -1.0, 0.0, -0.5]]),
    ("frac_at_inf", lambda T, a: a.frac(), [[np.inf, -np.inf, np.nan]]),
    # at the origin atan2's gradient is 0 (PyTorch masks a vanishing a² + b²), hypot's nan
    ("atan2_at_origin", lambda T, a, b: T.atan2(a, b),
     [[0.0, 0.0, -0.0, 1e-200, np.inf], [0.0, -0.0, -1.0, 1e-200, np.inf]]),
    ("hypot_at_origin", lambda T, a, b: T.hypot(a, b), [[0.0, 3.0, np.inf], [0.0, 4.0, 1.0]]),
    ("logaddexp_infinities", lambda T, a, b: T.logaddexp(a, b) + T.logaddexp2(a, b),
     [[-np.inf, np.inf, 1000.0, -np.inf], [-np.inf, np.inf, 1000.0, 1.0]]),
    # xlogy: 0 at x = 0 (unless y is nan); x's gradient log y, 0 where x = 0 and y <= 0
    ("xlogy_at_zeros", lambda T, a, b: T.xlogy(a, b),
     [[0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 0.0], [0.0, np.nan, -1.0, 0.0, -1.0, np.inf, 2.0]]),
    ("xlogy_scalar_other_edges", lambda T, a: a.xlogy(0.0) + a.xlogy(-1.0) + a.xlogy(np.nan),
     [[0.0, 1.0, -1.0]]),
    ("xlogy_scalar_self_edges", lambda T, a: T.xlogy(0.0, a) + T.xlogy(2.0, a),
     [[0.0, 1.0, np.nan]]),
    ("copysign_zeros", lambda T, a, b: T.copysign(a, b),
     [[0.0, -0.0, 1.0, -2.0, 1.0, np.nan], [-1.0, 1.0, -0.0, 0.0, np.nan, 1.0]]),
    # fmax and fmin: a tie goes wholly to the first operand; nan loses
    ("fmax_ties_nan", lambda T, a, b: T.fmax(a, b),
     [[1.0, np.nan, 1.0, np.nan, 2.0], [1.0, 1.0, np.nan, np.nan, 3.0]]),
    ("fmin_ties_nan", lambda T, a, b: T.fmin(a, b),
     [[1.0, np.nan, 1.0, np.nan, 2.0], [1.0, 1.0, np.nan, np.nan, 3.0]]),
    ("fmod_by_zero", lambda T, a, b: T.fmod(a, b), [[1.0, 5.0, -5.0, 0.0], [0.0, 3.0, 3.0, 1.0]]),
    ("lerp_ends", lambda T, a, b, w: T.lerp(a, b, w),
     [[1.0, 1.0, 1.0, 1.0], [3.0, 3.0, 3.0, 3.0], [0.0, 0.5, 1.0, -0.5]]),
    ("addcdiv_by_zero", lambda T, a, b, c: T.addcdiv(a, b, c), [[1.0, 1.0], [1.0, 0.0], [0.0, 0.0]]),
    ("masked_fill_nan", lambda T, a: a.masked_fill(a.isnan(), 0.0), [[np.nan, 1.0, np.inf]]),
    ("float_power_0_to_0", lambda T, a, b: T.float_power(a, b), [[0.0, 0.0, 2.0], [0.0, 2.0, 0.0]]),
    # sorting and running extremes: the gradient goes to the index returned, a convention at
    # ties (a stable order; for cummax/cummin the latest tie) and at nan (larger than all)
    ("sort_tie", lambda T, a: a.sort(descending=True).values, [[1.0, 3.0, 1.0, 3.0, 2.0]]),
    ("sort_stable_tie", lambda T, a: a.sort(dim=0, stable=True).values,
     [[[1.0, 0.5], [1.0, 0.5], [0.0, 0.5]]]),
    ("sort_nan", lambda T, a: a.sort(descending=True).values, [[1.0, np.nan, 2.0, np.nan]]),
    ("topk_tie", lambda T, a: a.topk(2).values, [[1.0, 3.0, 1.0, 3.0, 2.0]]),
    ("kthvalue_nan", lambda T, a: a.kthvalue(3).values, [[1.0, np.nan, 2.0]]),
    ("cummax_tie", lambda T, a: a.cummax(0).values, [[1.0, 3.0, 3.0, 2.0, 3.0]]),
    ("cummin_tie", lambda T, a: T.cummin(a, 1).values, [[[2.0, 1.0, 1.0], [0.0, 0.0, 5.0]]]),
    ("cummax_nan", lambda T, a: a.cummax(0).values, [[1.0, np.nan, 2.0, np.nan, 0.5]]),
    ("masked_select_nothing", lambda T, a: a.masked_select(a > 10), [[1.0, 2.0]]),
    ("where_two_scalars", lambda T, a: T.where(a > 0, 1.0, 0.0), [[1.0, -1.0]]),
]

EDGES = [  # (Op, input values): every row is differentiable but the last
    (Op(name, fn, tuple(np.shape(v) for v in values), differentiable=name != "where_two_scalars"),
     values)
    for name, fn, values in _EDGES
]

DIFFERENTIABLE = [op for op in OPS if op.differentiable]
BROADCAST = [op for op in OPS if op.broadcast]
NODES = [op for op in OPS if op.differentiable and op.node]


def run_op(op, lib, arrays, requires_grad=True, device=None):
    """Leaves of ``lib`` from ``arrays`` and ``op.fn`` applied to them: (inputs, output); on
    ``device`` (every tensor the row makes included) when one is given."""
    if isinstance(requires_grad, bool):
        requires_grad = [requires_grad] * len(arrays)
    lib = lib_on(lib, device)
    inputs = [leaf(lib, a, r) for a, r in zip(arrays, requires_grad)]
    return inputs, op.fn(lib, *inputs)


# ---------------------------------------------------------------------------------------
# ops whose parameters hypothesis draws (reductions over any dims, matmul over any batch
# shapes, indexing with any basic / integer-array / mask index); each draw is an Op row


_REDUCE = {
    "sum": lambda a, d, k: a.sum(d, keepdim=k),
    "mean": lambda a, d, k: a.mean(d, keepdim=k),
    "norm": lambda a, d, k: a.norm(dim=d, keepdim=k),
    "max": lambda a, d, k: a.max(d, keepdim=k).values,
    "min": lambda a, d, k: a.min(d, keepdim=k).values,
    "max.indices": lambda a, d, k: a.max(d, keepdim=k).indices,
}


@st.composite
def reduction_ops(draw):
    # 0-d inputs (dim 0 or -1 allowed, as torch does) are rows of OPS: "*_0d_dim"
    shape = draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    name = draw(st.sampled_from(sorted(_REDUCE)))
    keepdim = draw(st.booleans())
    ndim = len(shape)
    if name in ("sum", "mean", "norm") and draw(st.booleans()):
        dim = tuple(
            draw(
                st.lists(
                    st.integers(-ndim, ndim - 1), min_size=1,
                    max_size=min(ndim, 2) if name == "norm" else ndim,  # torch.norm: 1 or 2 dims
                    unique_by=lambda d: d % ndim,
                )
            )
        )
    else:
        dim = draw(st.integers(-ndim, ndim - 1))
    fn = _REDUCE[name]
    return Op(
        f"{name}(dim={dim}, keepdim={keepdim})",
        lambda T, a: fn(a, dim, keepdim),
        (shape,),
        differentiable=not name.endswith("indices"),
    )


@st.composite
def matmul_ops(draw):
    shapes = draw(mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=2, max_side=3))
    return Op("matmul", lambda T, a, b: a @ b, shapes.input_shapes)


def _no_negative_step(index):
    parts = index if isinstance(index, tuple) else (index,)
    return not any(isinstance(p, slice) and p.step is not None and p.step < 0 for p in parts)


@st.composite
def index_ops(draw):
    shape = draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    kind = draw(st.sampled_from(["basic", "list", "tensor", "cols", "pair", "mask", "mask_rows"]))
    if kind in ("cols", "pair") and len(shape) < 2:
        kind = "list"

    def ints(n, size=None):
        return draw(st.lists(st.integers(-n, n - 1), min_size=size or 1, max_size=size or 5))

    if kind == "basic":
        index = draw(basic_indices(shape, allow_newaxis=True).filter(_no_negative_step))
        fn = lambda T, a: a[index]  # noqa: E731
    elif kind == "list":
        index = ints(shape[0])
        fn = lambda T, a: a[index]  # noqa: E731
    elif kind == "tensor":
        index = ints(shape[0])
        fn = lambda T, a: a[T.tensor(index)]  # noqa: E731
    elif kind == "cols":
        index = ints(shape[1])
        fn = lambda T, a: a[:, index]  # noqa: E731
    elif kind == "pair":
        rows = ints(shape[0])
        index = (rows, ints(shape[1], size=len(rows)))
        fn = lambda T, a: a[index[0], index[1]]  # noqa: E731
    else:
        mask_shape = shape if kind == "mask" else shape[:1]
        flat = draw(st.lists(st.booleans(), min_size=int(np.prod(mask_shape)), max_size=int(np.prod(mask_shape))))
        index = np.array(flat, dtype=bool).reshape(mask_shape)
        fn = lambda T, a: a[T.tensor(index)]  # noqa: E731
    return Op(f"{kind}[{index!r}]", fn, (shape,))
