"""The op methods of ``Tensor`` (``x + y``, ``x.exp()``, ``x.sum(dim)``, ``x[i]``, ...).

Each one routes to a ``Function`` in ``engine.ops``; nothing here computes. ``Tensor``
inherits these from ``TensorOps``, which has the operators, comparisons, the basic
element-wise functions, reductions and products here, and the rest from two mixins:
``_tensor_math`` (more element-wise math) and ``_tensor_shape`` (shape, indexing, sorting,
stacking, random values in place). The op modules import ``Tensor``, so they are bound here
by ``_bind()`` once everything is loaded.
"""

from __future__ import annotations

import operator
from numbers import Number

from . import _tensor_math, _tensor_shape, backend
from ._tensor_math import MathOps
from ._tensor_shape import ShapeOps
from .dtypes import from_numpy_dtype

U = B = R = X = L = S = TR = SO = SE = None  # engine.ops: unary, binary, reduce, extremes,
#                                             linalg, scan, trig, sorting, selection


Tensor = tensor = creation = None  # bound by _bind() too


def _bind():
    global U, B, R, X, L, S, TR, SO, SE, Tensor, tensor, creation
    from . import creation
    from ._tensor import Tensor, tensor
    from .ops import binary as B
    from .ops import extremes as X
    from .ops import linalg as L
    from .ops import reduce as R
    from .ops import scan as S
    from .ops import selection as SE
    from .ops import sorting as SO
    from .ops import trig as TR
    from .ops import unary as U

    _tensor_math._bind()
    _tensor_shape._bind()


def _operand(x):
    """Arrays and lists become tensors; tensors and Python numbers pass through."""
    if type(x) is float or type(x) is int or isinstance(x, (Tensor, Number)):
        return x
    return tensor(x)


def _pair(self, other):
    """The raw operands of ``self <op> other`` for the ops computed on arrays directly
    (comparisons, bitwise, ``//``, ``%``), on one device: a CPU 0-d tensor joins the other
    operand's GPU, as PyTorch does with scalars; any other mix is PyTorch's error."""
    a, b = self._data, getattr(other, "_data", other)
    if type(b) is type(a) or not backend.is_array(b):
        return a, b
    return backend.common_device([a, b])[1]


def _no_dims(dim):
    """``dim=()`` or ``dim=[]``: for sum and mean, PyTorch reduces every dimension (the
    other reductions use ``reduce.reduction_dims``)."""
    return isinstance(dim, (tuple, list)) and len(dim) == 0


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _keyword_from(name, value, kwargs):
    """The ``from`` argument given as a keyword (``**{"from": 2}``), else ``value``."""
    if "from" in kwargs:
        value = kwargs.pop("from")
    if kwargs:
        raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return value


def _type_name(value):
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def tensor_operand(name, value, argument="other", position=1):
    """``value``, which must be a tensor (atan2, hypot, ... take no Python number): else
    PyTorch's error (a method's ``other`` is its argument 1, a function's its argument 2)."""
    if isinstance(value, Tensor):
        return value
    raise TypeError(f"{name}(): argument '{argument}' (position {position}) must be Tensor, "
                    f"not {_type_name(value)}")


def _check_inplace_shape(self, operands):
    """An in-place op writes into this tensor: the operands may not broadcast it to a larger
    shape (PyTorch's error; operands that do not broadcast at all get the op's own)."""
    shapes = [tuple(o.shape) for o in operands if isinstance(o, Tensor)]
    if not shapes:
        return
    try:
        full = backend.numpy_module.broadcast_shapes(tuple(self.shape), *shapes)
    except ValueError:
        return
    if full != tuple(self.shape):
        raise RuntimeError(f"output with shape [{', '.join(map(str, self.shape))}] doesn't "
                           f"match the broadcast shape [{', '.join(map(str, full))}]")


def _no_grad_result(array):
    from ._tensor import make_tensor

    return make_tensor(array)


def _arg_extreme(self, dim, keepdim, name):
    """argmax / argmin: NumPy's, with PyTorch's errors, and ``keepdim`` with ``dim=None``
    (every dim kept, as size 1)."""
    a = self._data
    if a.dtype.kind == "b":
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if a.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        i = getattr(a, name)()
        return _no_grad_result(self._xp().reshape(i, (1,) * a.ndim) if keepdim else i)
    R.normalize_dims(dim, a.ndim)  # PyTorch's range error
    X.empty_dim_check(a, dim, name)
    return _no_grad_result(getattr(a, name)(axis=dim, keepdims=keepdim))


def _all_any(self, dim, keepdim, name):
    """all / any: bool, but uint8 for uint8 (PyTorch keeps that for old code); no dims
    listed, ``dim=()``, reduces none."""
    a = self._data
    dims = None if dim is None else R.normalize_dims(dim, a.ndim)
    out = getattr(a, name)(axis=dims, keepdims=keepdim)
    return _no_grad_result(out.astype(a.dtype) if a.dtype == "uint8" else out)


class TensorOps(MathOps, ShapeOps):
    __slots__ = ()

    # -- arithmetic (x * 2 and 2 * x both list the tensor first, as PyTorch does) -------------
    # The most frequent operators test for a tensor or a float inline (what _operand does
    # first): a call less on every op.
    def __add__(self, other):
        if type(other) is not float and not isinstance(other, Tensor):
            other = _operand(other)
        return B.Add.apply(self, other)

    def __radd__(self, other):
        if type(other) is not float and not isinstance(other, Tensor):
            other = _operand(other)
        return B.Add.apply(self, other)

    def __sub__(self, other):
        if type(other) is not float and not isinstance(other, Tensor):
            other = _operand(other)
        return B.Sub.apply(self, other)

    def __rsub__(self, other):
        other = _operand(other)
        if isinstance(other, Number):
            return B.Rsub.apply(self, other)
        return B.Sub.apply(other, self)

    def __mul__(self, other):
        if type(other) is not float and not isinstance(other, Tensor):
            other = _operand(other)
        return B.Mul.apply(self, other)

    def __rmul__(self, other):
        if type(other) is not float and not isinstance(other, Tensor):
            other = _operand(other)
        return B.Mul.apply(self, other)

    def __truediv__(self, other):
        return B.Div.apply(self, _operand(other))

    def __rtruediv__(self, other):
        other = _operand(other)
        if isinstance(other, Number):
            return U.Reciprocal.apply(self) * other  # PyTorch: 2 / x is reciprocal(x) * 2
        return B.Div.apply(other, self)

    def __pow__(self, exponent):
        exponent = _operand(exponent)
        # (int and float first: isinstance with the Number ABC costs ~0.15 us)
        if type(exponent) is int or type(exponent) is float or isinstance(exponent, Number):
            return U.PowScalar.apply(self, exponent)
        return B.Pow.apply(self, exponent)

    def __rpow__(self, base):
        base = _operand(base)
        if isinstance(base, Number):
            return U.RPowScalar.apply(base, self)
        return B.Pow.apply(base, self)

    def __matmul__(self, other):
        if isinstance(other, Tensor) and self._data.ndim == 2 and other._data.ndim == 2:
            return L.Mm.apply(self, other)  # the usual case, without matmul's dispatch
        return L.matmul(self, _operand(other))

    def __rmatmul__(self, other):
        return L.matmul(_operand(other), self)

    def __neg__(self):
        return U.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return U.Abs.apply(self)

    # Not differentiable (integer-valued results), as in PyTorch.
    def __floordiv__(self, other):
        return _no_grad_result(B.floor_divide(*_pair(self, other)))

    def __rfloordiv__(self, other):
        a, b = _pair(self, other)
        return _no_grad_result(B.floor_divide(b, a))

    def __mod__(self, other):
        other = _operand(other)
        if isinstance(other, Number):
            return B.RemainderScalar.apply(self, other)
        return B.Remainder.apply(self, other)

    def __rmod__(self, other):
        a, b = _pair(self, _operand(other))
        return _no_grad_result(B.rremainder(b, a))

    def _bitwise(self, other, op, name):
        a, b = B.promote(*_pair(self, other))  # PyTorch's result dtype, not NumPy's
        dt = (a if hasattr(a, "dtype") else b).dtype
        if dt.kind == "f":
            raise NotImplementedError(f"\"bitwise_{name}_cpu\" not implemented for "
                                      f"'{from_numpy_dtype(dt)._legacy[:-6]}'")
        return _no_grad_result(op(a, b))

    def __and__(self, other):
        return self._bitwise(other, operator.and_, "and")

    def __or__(self, other):
        return self._bitwise(other, operator.or_, "or")

    def __xor__(self, other):
        return self._bitwise(other, operator.xor, "xor")

    def __invert__(self):
        if self.is_floating_point():
            raise TypeError(
                "~ (operator.invert) is only implemented on integer and Boolean-type tensors")
        return _no_grad_result(~self._data)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    # the names NumPy and the Python array API use; the nodes are the ops' own (MulBackward0)
    multiply = __mul__
    subtract = __sub__
    divide = true_divide = __truediv__
    floor_divide = __floordiv__

    # -- comparisons: bool tensors, never differentiable ---------------------------------
    def __eq__(self, other):
        a, b = _pair(self, other)
        return _no_grad_result(a == b)

    def __ne__(self, other):
        a, b = _pair(self, other)
        return _no_grad_result(a != b)

    def __lt__(self, other):
        a, b = _pair(self, other)
        return _no_grad_result(a < b)

    def __le__(self, other):
        a, b = _pair(self, other)
        return _no_grad_result(a <= b)

    def __gt__(self, other):
        a, b = _pair(self, other)
        return _no_grad_result(a > b)

    def __ge__(self, other):
        a, b = _pair(self, other)
        return _no_grad_result(a >= b)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def isnan(self):
        return _no_grad_result(self._xp().isnan(self._data))

    def isfinite(self):
        return _no_grad_result(self._xp().isfinite(self._data))

    def any(self, dim=None, keepdim=False):
        return _all_any(self, dim, keepdim, "any")

    def all(self, dim=None, keepdim=False):
        return _all_any(self, dim, keepdim, "all")

    def equal(self, other):
        if self.shape != other.shape:
            return False
        a, b = _pair(self, other)
        return bool((a == b).all())

    def allclose(self, other, rtol=1e-05, atol=1e-08):
        a, b = _pair(self, other)
        return bool(self._xp().allclose(a, b, rtol=rtol, atol=atol))

    # -- elementwise functions -----------------------------------------------------------
    add = __add__
    sub = __sub__
    mul = __mul__
    div = __truediv__
    neg = __neg__
    abs = __abs__
    matmul = __matmul__

    def pow(self, exponent):
        return self.__pow__(exponent)

    def square(self):
        return U.PowScalar.apply(self, 2)

    def exp(self):
        return U.Exp.apply(self)

    def expm1(self):
        return U.Expm1.apply(self)

    def log1p(self):
        return U.Log1p.apply(self)

    def log(self):
        return U.Log.apply(self)

    def sqrt(self):
        return U.Sqrt.apply(self)

    def sin(self):
        return U.Sin.apply(self)

    def cos(self):
        return U.Cos.apply(self)

    def tanh(self):
        return U.Tanh.apply(self)

    def sigmoid(self):
        return U.Sigmoid.apply(self)

    def relu(self):
        return U.Relu.apply(self)

    def sign(self):
        return U.Sign.apply(self)

    def reciprocal(self):
        return U.Reciprocal.apply(self)

    # -- new tensors with this one's dtype and device (PyTorch's new_*) -------------------
    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        return creation.new_tensor(self, data, dtype, device, requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return creation.new_full(self, size, fill_value, dtype, device, requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return creation.new_zeros(self, _shape_arg(size), dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return creation.new_ones(self, _shape_arg(size), dtype, device, requires_grad)

    new_empty = new_zeros

    def clone(self):
        return U.Clone.apply(self)

    def clamp(self, min=None, max=None):  # noqa: A002 - PyTorch's names
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        if hasattr(min, "_data") or hasattr(max, "_data"):
            return B.ClampTensor.apply(self, _operand(min) if min is not None else None,
                                       _operand(max) if max is not None else None)
        return U.Clamp.apply(self, min, max)

    clip = clamp

    def clamp_min(self, min):  # noqa: A002
        return U.ClampMin.apply(self, min, None)

    def clamp_max(self, max):  # noqa: A002
        return U.ClampMax.apply(self, None, max)

    def maximum(self, other):
        return B.Maximum.apply(self, _operand(other))

    def minimum(self, other):
        return B.Minimum.apply(self, _operand(other))

    def where(self, condition, other):
        return B.where(condition, self, _operand(other))

    def floor(self):
        return U.Floor.apply(self)

    def ceil(self):
        return U.Ceil.apply(self)

    def round(self):
        return U.Round.apply(self)

    def trunc(self):
        return U.Trunc.apply(self)

    fix = trunc

    def frac(self):
        return U.Frac.apply(self)

    def sgn(self):
        return U.Sgn.apply(self)

    negative = __neg__

    def signbit(self):
        """Whether the sign bit is set (-0.0 and -nan included): bool, never differentiable."""
        a, xp = self._data, self._xp()
        if a.dtype.kind == "b":
            return _no_grad_result(xp.zeros(a.shape, dtype=bool))
        return _no_grad_result(a < 0 if a.dtype.kind in "iu" else xp.signbit(a))

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return U.NanToNum.apply(self, nan, posinf, neginf)

    # -- reductions ----------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, *, dtype=None):
        np_dtype = None
        if dtype is not None:
            S.check_grad_dtype(self, dtype)
            np_dtype = dtype.np
        if dim is None or _no_dims(dim):  # PyTorch: no dims listed reduces them all
            if not keepdim:
                return R.SumAll.apply(self, np_dtype)
            dim = None
        return R.Sum.apply(self, R.normalize_dims(dim, self.ndim), keepdim, np_dtype)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        """The product of every element, or along one ``dim`` (an int: PyTorch's prod takes
        no list of dims, and no keepdim without a dim)."""
        dim, np_dtype = S.prod_args(self, dim, keepdim, dtype)
        if dim is None:
            return S.ProdAll.apply(self, np_dtype)
        return S.Prod.apply(self, dim, keepdim, np_dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        if dtype is not None and not dtype.is_floating_point:
            raise RuntimeError(
                "mean(): could not infer output dtype. Optional dtype must be either a floating "
                f"point or complex dtype. Got: {R.scalar_type_name(dtype.np)}")
        if dim is None or _no_dims(dim):  # as sum
            if not keepdim:
                return R.MeanAll.apply(self) if dtype is None else R.MeanAllAs.apply(self, dtype.np)
            dim = None
        return R.Mean.apply(self, R.normalize_dims(dim, self.ndim), keepdim,
                            None if dtype is None else dtype.np)

    def var(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        if isinstance(dim, bool):  # x.var(False): PyTorch's var(unbiased) over every dim
            dim, unbiased = None, dim
        correction = (1 if unbiased else 0) if correction is None else correction
        return R.Var.apply(self, R.reduction_dims(dim, self.ndim), correction, keepdim)

    def std(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        if isinstance(dim, bool):  # as var
            dim, unbiased = None, dim
        correction = (1 if unbiased else 0) if correction is None else correction
        return R.Std.apply(self, R.reduction_dims(dim, self.ndim), correction, keepdim)

    def _extreme(self, dim, keepdim, all_op, dim_op, pair_op, name):
        from .return_types import make_return_type

        if dim is None:
            return all_op.apply(self)
        if hasattr(dim, "_data"):  # x.max(other) is maximum(x, other)
            return pair_op.apply(self, dim)
        if not isinstance(dim, int):  # NumPy-style dim tuples are not PyTorch's: one dim
            raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
        dims = R.normalize_dims(dim, self.ndim)
        values, indices = dim_op.apply(self, dims[0] if dims else None, keepdim)
        return make_return_type(name, values, indices)

    def max(self, dim=None, keepdim=False):
        return self._extreme(dim, keepdim, X.MaxAll, X.MaxDim, B.Maximum, "max")

    def min(self, dim=None, keepdim=False):
        return self._extreme(dim, keepdim, X.MinAll, X.MinDim, B.Minimum, "min")

    def amax(self, dim=(), keepdim=False):
        return X.Amax.apply(self, R.reduction_dims(dim, self.ndim), keepdim)

    def amin(self, dim=(), keepdim=False):
        return X.Amin.apply(self, R.reduction_dims(dim, self.ndim), keepdim)

    def aminmax(self, *, dim=None, keepdim=False):
        return X.aminmax(self, dim, keepdim)

    def cummax(self, dim):
        return X.running_extreme(self, dim, X.Cummax, "cummax")

    def cummin(self, dim):
        return X.running_extreme(self, dim, X.Cummin, "cummin")

    def sort(self, dim=-1, descending=False, *, stable=None):
        """Values and indices, stably ordered (``stable`` changes only the node's name)."""
        return SO.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, *, stable=False):
        return SO.argsort(self, dim, descending)

    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - PyTorch's name
        """The ``k`` largest (or smallest) values along ``dim`` and their indices, in order
        (``sorted=False`` allows any order: this one)."""
        return SO.topk(self, k, dim, largest)

    def kthvalue(self, k, dim=-1, keepdim=False):
        return SO.kthvalue(self, k, dim, keepdim)

    def count_nonzero(self, dim=None):
        return R.count_nonzero(self, dim)

    def nonzero(self, *, as_tuple=False):
        return SE.nonzero(self, as_tuple)

    def argmax(self, dim=None, keepdim=False):
        return _arg_extreme(self, dim, keepdim, "argmax")

    def argmin(self, dim=None, keepdim=False):
        return _arg_extreme(self, dim, keepdim, "argmin")

    def logsumexp(self, dim, keepdim=False):
        if _no_dims(dim) and not keepdim and self.ndim and self._data.size:
            # PyTorch reduces every dim for dim=(), then fails to add the kept maximum (all
            # dims 1) into its result of shape []: its error (0-d and empty inputs pass)
            raise RuntimeError(f"output with shape [] doesn't match the broadcast shape "
                               f"[{', '.join(['1'] * self.ndim)}]")
        return R.LogSumExp.apply(self, R.reduction_dims(dim, self.ndim), keepdim)

    def norm(self, p=2, dim=None, keepdim=False):
        p = 2.0 if p == "fro" else float(p)
        R.check_norm(self._data, p, dim)
        return R.Norm.apply(self, p, R.reduction_dims(dim, self.ndim), keepdim)

    # -- products ------------------------------------------------------------------------
    def mm(self, other):
        return L.Mm.apply(self, other)

    def mv(self, other):
        return L.Mv.apply(self, other)

    def dot(self, other):
        return L.Dot.apply(self, other)

    def bmm(self, other):
        return L.Bmm.apply(self, other)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return L.addmm(self, mat1, mat2, beta, alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return L.addmv(self, mat, vec, beta, alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return L.baddbmm(self, batch1, batch2, beta, alpha)

    def outer(self, vec2):
        return L.outer(self, _operand(vec2))

    ger = outer

    def inner(self, other):
        return L.inner(self, _operand(other))

    def kron(self, other):
        return L.kron(self, _operand(other))

    def cross(self, other, dim=None):
        return L.cross(self, _operand(other), dim)

# -- in-place forms of the element-wise methods (x.exp_()) ------------------------------
# Each one is its out-of-place method written into the tensor's memory by Tensor._inplace,
# which records the out-of-place op and rebases the tensor's history onto it: PyTorch names
# the node after the out-of-place op too (exp_ gives ExpBackward0, square_ PowBackward0).
INPLACE_FORMS = (
    "abs", "neg", "exp", "expm1", "log", "log1p", "sqrt", "square", "sin", "cos", "tanh",
    "sigmoid", "relu", "reciprocal", "sign", "floor", "ceil", "round", "cumsum", "cumprod",
    "trunc", "fix", "frac", "sgn", "negative", "nan_to_num", "tan", "sinh", "cosh", "asin",
    "acos", "atan", "arcsin", "arccos", "arctan", "atan2", "arctan2", "hypot", "sinc",
    "deg2rad", "rad2deg", "log2", "log10", "exp2", "rsqrt", "xlogy", "fmod", "remainder",
    "copysign", "lerp", "addcmul", "addcdiv", "masked_fill", "tril", "triu",
)  # clamp_, clip_, clamp_min_ and clamp_max_ are Tensor's: they check their cast first;
#   asinh_, acosh_ and atanh_ are below; float_power_ and floor_divide_ are methods


def _inplace_form(name):
    def method(self, *args, **kwargs):
        # the operands go through _inplace: one that requires grad gets the op recorded
        if args:
            _check_inplace_shape(self, args)
        return self._inplace(lambda s, *operands: getattr(s, name)(*operands, **kwargs), *args)

    method.__name__ = f"{name}_"
    method.__qualname__ = f"TensorOps.{name}_"
    method.__doc__ = f"``{name}`` in place (PyTorch's ``Tensor.{name}_``)."
    return method


for _name in INPLACE_FORMS:
    setattr(TensorOps, f"{_name}_", _inplace_form(_name))


def _underived_inplace_form(name, op):
    """An in-place form PyTorch records with a node that has no derivative (``asinh_``
    gives AsinhBackward1): a backward pass through it fails, in PyTorch's words."""

    def method(self):
        return self._inplace(lambda s: getattr(TR, op).apply(s))

    method.__name__ = f"{name}_"
    method.__qualname__ = f"TensorOps.{name}_"
    method.__doc__ = f"``{name}`` in place (PyTorch's ``Tensor.{name}_``)."
    return method


for _name, _op in (("asinh", "AsinhInplace"), ("acosh", "AcoshInplace"),
                   ("atanh", "AtanhInplace"), ("arcsinh", "AsinhInplace"),
                   ("arccosh", "AcoshInplace"), ("arctanh", "AtanhInplace")):
    setattr(TensorOps, f"{_name}_", _underived_inplace_form(_name, _op))
