"""The functional forms: ``engine.exp(x)``, ``engine.cat([a, b])``, ``engine.where(c, a, b)``...

Most are the method of the same name; ``cat``, ``stack`` and the other joins take a sequence;
``var_mean``, ``std_mean``, ``atleast_*d`` and ``einsum`` have no method, as in PyTorch.
"""

from __future__ import annotations

from numbers import Number as _Number

from ._tensor import Tensor
from ._tensor_ops import _operand
from ._tensor_ops import tensor_operand as _tensor_operand
from .ops import binary, movement
from .ops import logexp as _logexp
from .ops import reduce as _reduce
from .ops import stacking as _stacking

_METHODS = (
    "add sub mul div neg abs pow exp expm1 log log1p sqrt sin cos tanh sigmoid relu sign "
    "reciprocal clone cumsum cumprod prod flip roll movedim moveaxis gather scatter scatter_add "
    "index_add "
    "clamp clip clamp_min clamp_max square sum mean var std max min amax amin argmax argmin norm "
    "logsumexp "
    "matmul mm mv dot bmm reshape flatten squeeze unsqueeze transpose permute t "
    "eq ne lt le gt ge isnan isfinite floor ceil round split chunk unbind allclose equal all any "
    "trunc fix frac sgn negative signbit nan_to_num tan sinh cosh asin acos atan asinh acosh "
    "atanh arcsin arccos arctan arcsinh arccosh arctanh sinc deg2rad rad2deg log2 log10 exp2 "
    "rsqrt fmod copysign lerp addcmul addcdiv masked_fill floor_divide "
    "swapaxes swapdims tril triu diag diagonal trace outer ger inner kron diff rot90 tile "
    "broadcast_to narrow ravel unflatten index_select take take_along_dim masked_select nonzero "
    "count_nonzero sort argsort topk kthvalue cummax cummin aminmax addmm addmv baddbmm cross "
    "tensor_split hsplit vsplit dsplit"
).split()


def _method(name):
    def function(input, *args, **kwargs):  # noqa: A002 - PyTorch's argument name
        return getattr(_operand(input), name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``engine.{name}(x, ...)`` is ``x.{name}(...)``."
    return function


globals().update({name: _method(name) for name in _METHODS})
true_divide = divide = globals()["div"]
multiply = globals()["mul"]
subtract = globals()["sub"]


def _tensors_only(name):
    """``engine.atan2(input, other)`` and the like: two tensors, no Python number (PyTorch's
    error names the function's arguments)."""

    def function(input, other):  # noqa: A002
        _tensor_operand(name, input, "input", 1)
        return getattr(input, name)(_tensor_operand(name, other, "other", 2))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``engine.{name}(x, y)`` is ``x.{name}(y)``; both must be tensors."
    return function


atan2, arctan2, hypot, logaddexp, logaddexp2, fmax, fmin = (
    _tensors_only(name)
    for name in ("atan2", "arctan2", "hypot", "logaddexp", "logaddexp2", "fmax", "fmin")
)


def xlogy(input, other):  # noqa: A002
    """``input * log(other)``, 0 where ``input`` is 0; either one may be a Python number."""
    if isinstance(input, _Number):
        return _logexp.XlogyScalarSelf.apply(input, _operand(other))
    return _operand(input).xlogy(other)


def remainder(input, other):  # noqa: A002
    if isinstance(input, _Number):  # a number's remainder by a tensor: no gradient
        return _operand(other).__rmod__(input)
    return _operand(input).remainder(other)


def float_power(input, exponent):  # noqa: A002
    if isinstance(input, _Number):  # 2 ** x in float64
        return float(input) ** _operand(exponent).double()
    return _operand(input).float_power(exponent)


def maximum(input, other):  # noqa: A002
    return binary.Maximum.apply(_operand(input), _operand(other))


def minimum(input, other):  # noqa: A002
    return binary.Minimum.apply(_operand(input), _operand(other))


def where(condition, input=None, other=None):  # noqa: A002
    if input is None and other is None:
        from ._tensor import make_tensor

        return tuple(make_tensor(i) for i in condition._data.nonzero())
    return binary.where(condition, _operand(input), _operand(other))


def _check_sequence(tensors, name):
    if isinstance(tensors, Tensor) or not tensors:
        raise TypeError(f"{name}() expects a non-empty sequence of Tensors")
    return [_operand(t) for t in tensors]


def cat(tensors, dim=0):
    tensors = _check_sequence(tensors, "cat")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    ref = tensors[0].shape
    d = movement.wrap_dim(dim, len(ref))
    for i, t in enumerate(tensors[1:], 1):
        if t.ndim != len(ref):
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {len(ref)} and {t.ndim}"
            )
        for j, (expected, got) in enumerate(zip(ref, t.shape)):
            if j != d and got != expected:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{expected} but got size {got} for tensor number {i} in the list."
                )
    return movement.Cat.apply(d, *tensors)


concat = concatenate = cat


def stack(tensors, dim=0):
    tensors = _check_sequence(tensors, "stack")
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got "
                f"[{', '.join(map(str, tensors[0].shape))}] at entry 0 and "
                f"[{', '.join(map(str, t.shape))}] at entry {i}"
            )
    return movement.Stack.apply(movement.wrap_dim(dim, tensors[0].ndim + 1), *tensors)


def var_mean(input, dim=None, unbiased=True, keepdim=False, *, correction=None):  # noqa: A002
    """``(var, mean)`` over ``dim``: one node for both (``var``'s arguments)."""
    return _reduce.moments(_operand(input), dim, unbiased, keepdim, correction, _reduce.VarMean,
                          "var_mean")


def std_mean(input, dim=None, unbiased=True, keepdim=False, *, correction=None):  # noqa: A002
    return _reduce.moments(_operand(input), dim, unbiased, keepdim, correction, _reduce.StdMean,
                          "std_mean")


def atleast_1d(*tensors):
    return _stacking.atleast(tensors, 1)


def atleast_2d(*tensors):
    return _stacking.atleast(tensors, 2)


def atleast_3d(*tensors):
    return _stacking.atleast(tensors, 3)


def hstack(tensors):
    return _stacking.hstack(tensors)


def vstack(tensors):
    return _stacking.vstack(tensors)


row_stack = vstack


def dstack(tensors):
    return _stacking.dstack(tensors)


def column_stack(tensors):
    return _stacking.column_stack(tensors)


def einsum(equation, *operands):
    """``engine.einsum("ij,jk->ik", a, b)``: sums of products named by subscripts."""
    from .ops.einsum import einsum as run

    return run(equation, *operands)
