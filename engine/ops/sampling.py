"""Filling a tensor in place with random numbers: ``uniform_``, ``normal_``, ``bernoulli_``,
``exponential_``, ``random_`` (the methods of ``Tensor``; ``engine.nn.init`` uses them).

Numbers come from the engine's generator (``engine.manual_seed`` repeats them; they are not
the numbers PyTorch draws), drawn on the CPU with NumPy and moved to the tensor's device, as
``engine.rand`` draws: ``zeros(n).uniform_()`` after a seed gives ``rand(n)``'s numbers.

Each is an op, recorded as PyTorch records it (``UniformBackward0``, ...) when the tensor is
part of a graph: the new values depend on nothing, so every input's gradient is zero. The
checks are PyTorch's, in its order, with its words.
"""

from __future__ import annotations

import math
import operator
import warnings
from numbers import Number

import numpy

from .. import random as _random
from .._tensor import _CPP_NAMES, Tensor
from ..autograd.function import ArrayFunction
from ..backend import device_of, to_device
from . import dual
from .reduce import scalar_type_name


def _values(a, drawn):
    """Numbers drawn on the CPU, as ``a``'s dtype on ``a``'s device."""
    return to_device(drawn.astype(a.dtype, copy=False), device_of(a))


class _Sampling(ArrayFunction):
    """The new values depend on no input: zero gradients for every tensor argument."""

    @staticmethod
    def backward(ctx, g):
        zero = dual.zeros_like(g)
        return (zero,) + tuple(zero if ctx.needs_input_grad[i] else None
                               for i in range(1, len(ctx.needs_input_grad)))


class Uniform(_Sampling):
    node_name = "UniformBackward0"

    @staticmethod
    def forward(ctx, a, low, high, generator):
        return _values(a, _random.rng(generator).uniform(low, high, a.shape))


class Normal(_Sampling):
    node_name = "NormalBackward0"

    @staticmethod
    def forward(ctx, a, mean, std, generator):
        return _values(a, _random.rng(generator).normal(mean, std, a.shape))


class Exponential(_Sampling):
    node_name = "ExponentialBackward0"

    @staticmethod
    def forward(ctx, a, lambd, generator):
        return _values(a, _random.rng(generator).exponential(1.0 / lambd, a.shape))


class Bernoulli(_Sampling):
    """``p`` a number."""

    node_name = "BernoulliBackward2"

    @staticmethod
    def forward(ctx, a, p, generator):
        return _values(a, _random.rng(generator).random(a.shape) < p)


class BernoulliTensor(_Sampling):
    """``p`` a tensor of probabilities, broadcast to the tensor's shape (an input of the
    node: its gradient is zero too)."""

    node_name = "BernoulliBackward1"

    @staticmethod
    def forward(ctx, a, p, generator):
        u = to_device(_random.rng(generator).random(a.shape), device_of(a))
        return (u < p).astype(a.dtype)


class Random(_Sampling):
    """Integers in ``[low, high)`` (``high`` included when ``inclusive``)."""

    node_name = "RandomBackward0"  # random_(from, to)

    @staticmethod
    def forward(ctx, a, low, high, inclusive, generator):
        return _values(a, _random.rng(generator).integers(
            low, high, a.shape, dtype=numpy.int64, endpoint=inclusive))


class RandomTo(Random):
    node_name = "RandomBackward1"  # random_(to)


class RandomDefault(Random):
    node_name = "RandomBackward2"  # random_()


# -- the methods: PyTorch's checks, then the op, in place -----------------------------


def _g(x):
    """A number as C++ prints a double in PyTorch's messages (6 significant digits)."""
    return f"{x:g}"


def _not_implemented(kernel, a):
    return NotImplementedError(f'"{kernel}" not implemented for \'{scalar_type_name(a.dtype)}\'')


def uniform_(tensor, low, high, generator):
    a = tensor._data
    if a.dtype.kind != "f":  # PyTorch's dispatch of its bounds check
        raise _not_implemented("check_uniform_bounds", a)
    low, high = float(low), float(high)
    info, name = numpy.finfo(a.dtype), _CPP_NAMES[a.dtype.name]
    for value, which in ((low, "from"), (high, "to")):
        if not float(info.min) <= value <= float(info.max):  # nan fails too
            raise RuntimeError(f"{which} is out of bounds for {name}")
    if low > high:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_g(low)} > to={_g(high)}")
    if high - low > float(info.max):
        raise RuntimeError(
            f"uniform_ expects to-from <= std::numeric_limits<{scalar_type_name(a.dtype)}>::"
            f"max(), but found to={_g(high)} and from={_g(low)} which result in to-from to "
            "exceed the limit")
    return tensor._inplace(lambda s: Uniform.apply(s, low, high, generator))


def normal_(tensor, mean, std, generator):
    mean, std = float(mean), float(std)
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_g(std)}")
    if tensor._data.dtype.kind != "f":
        raise _not_implemented("normal_kernel_cpu", tensor._data)
    return tensor._inplace(lambda s: Normal.apply(s, mean, std, generator))


def exponential_(tensor, lambd, generator):
    lambd = float(lambd)
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_g(lambd)}")
    if tensor._data.dtype.kind != "f":
        raise RuntimeError(
            "Exponential distribution is a continuous probability distribution. dtype must be "
            f"a floating point but you specified {scalar_type_name(tensor._data.dtype)}")
    return tensor._inplace(lambda s: Exponential.apply(s, lambd, generator))


def bernoulli_(tensor, p, generator):
    if isinstance(p, Tensor):
        raw = p._data
        if raw.dtype.kind != "f":
            raise _not_implemented("bernoulli_tensor_cpu_p_", raw)
        if raw.size and bool(((raw < 0) | (raw > 1) | (raw != raw)).any()):
            raise RuntimeError(  # PyTorch's internal assertion, word for word
                "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
                "message be improved?  If so, please report an enhancement request to "
                "PyTorch.)")
        return tensor._inplace(lambda s, q: BernoulliTensor.apply(s, q, generator), p)
    if not isinstance(p, Number):
        raise TypeError(f"bernoulli_(): argument 'p' must be float or Tensor, not "
                        f"{type(p).__name__}")
    p = float(p)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_g(p)}")
    return tensor._inplace(lambda s: Bernoulli.apply(s, p, generator))


def _int(value, name):
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"random_(): argument '{name}' must be int, not "
                        f"{type(value).__name__}") from None


def _integer_range(dtype):
    """The values ``random_`` may write exactly: a float's integers up to 2**digits (its
    mantissa with the implicit bit), an integer type's own range."""
    if dtype.kind == "b":
        return 0, 1
    if dtype.kind == "f":
        n = 2 ** (numpy.finfo(dtype).nmant + 1)
        return -n, n
    info = numpy.iinfo(dtype)
    return int(info.min), int(info.max)


def random_(tensor, low, high, generator):
    """``random_()``, ``random_(to)`` (``low`` None) or ``random_(from, to)``."""
    a = tensor._data
    lo, hi = _integer_range(a.dtype)
    if high is None:  # random_(): every value the dtype holds exactly, from 0
        return tensor._inplace(
            lambda s: RandomDefault.apply(s, 0, hi, True, generator))
    op = Random if low is not None else RandomTo
    low = 0 if low is None else _int(low, "from")
    high = _int(high, "to")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    name = _CPP_NAMES[a.dtype.name]
    for value, which in ((low, "from"), (high - 1, "to - 1")):
        if lo <= value <= hi:
            continue
        if a.dtype.kind != "f":
            raise RuntimeError(f"{which} is out of bounds for {name}")
        # torch's warning (it adds where in its C++ sources it was raised)
        warnings.warn(
            f"{which} is out of bounds [-(2^{int(math.log2(hi))}), 2^{int(math.log2(hi))}]. "
            f"Due to precision limitations {name} can support discrete uniform distribution "
            "only within this range. This warning will become an error in version 1.7 "
            "release, please fix the code in advance", UserWarning, stacklevel=3)
    return tensor._inplace(lambda s: op.apply(s, low, high, False, generator))
