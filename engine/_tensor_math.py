"""More element-wise methods of ``Tensor``: trigonometric and hyperbolic functions,
logarithms and exponentials, and the further binary and ternary ops (``atan2``, ``lerp``,
``addcmul``, ``masked_fill``, ...). A mixin of ``TensorOps`` (see ``_tensor_ops``): each
method routes to a ``Function`` of ``engine.ops``; the op modules are bound by ``_bind()``
once everything is loaded, as there.
"""

from __future__ import annotations

from numbers import Number

B = TR = LE = P = None  # engine.ops: binary, trig, logexp, pointwise
Tensor = tensor = None
_operand = tensor_operand = _check_inplace_shape = None  # _tensor_ops' argument helpers


def _bind():
    global B, TR, LE, P, Tensor, tensor, _operand, tensor_operand, _check_inplace_shape
    from ._tensor import Tensor, tensor
    from ._tensor_ops import _check_inplace_shape, _operand, tensor_operand
    from .ops import binary as B
    from .ops import logexp as LE
    from .ops import pointwise as P
    from .ops import trig as TR


class MathOps:
    __slots__ = ()

    # -- trigonometric and hyperbolic (ops.trig) ------------------------------------------
    def tan(self):
        return TR.Tan.apply(self)

    def sinh(self):
        return TR.Sinh.apply(self)

    def cosh(self):
        return TR.Cosh.apply(self)

    def asin(self):
        return TR.Asin.apply(self)

    def acos(self):
        return TR.Acos.apply(self)

    def atan(self):
        return TR.Atan.apply(self)

    def asinh(self):
        return TR.Asinh.apply(self)

    def acosh(self):
        return TR.Acosh.apply(self)

    def atanh(self):
        return TR.Atanh.apply(self)

    arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh

    def atan2(self, other):
        return TR.Atan2.apply(self, tensor_operand("atan2", other))

    def arctan2(self, other):
        return TR.Atan2.apply(self, tensor_operand("arctan2", other))

    def hypot(self, other):
        return TR.Hypot.apply(self, tensor_operand("hypot", other))

    def sinc(self):
        return TR.Sinc.apply(self)

    def deg2rad(self):
        return TR.Deg2Rad.apply(self)

    def rad2deg(self):
        return TR.Rad2Deg.apply(self)

    # -- logarithms and exponentials (ops.logexp) -----------------------------------------
    def log2(self):
        return LE.Log2.apply(self)

    def log10(self):
        return LE.Log10.apply(self)

    def exp2(self):
        return LE.Exp2.apply(self)

    def rsqrt(self):
        return LE.Rsqrt.apply(self)

    def logaddexp(self, other):
        return LE.Logaddexp.apply(self, tensor_operand("logaddexp", other))

    def logaddexp2(self, other):
        return LE.Logaddexp2.apply(self, tensor_operand("logaddexp2", other))

    def xlogy(self, other):
        other = _operand(other)
        if isinstance(other, Number):
            return LE.XlogyScalarOther.apply(self, other)
        return LE.Xlogy.apply(self, other)

    # -- more binary and ternary ops --------------------------------------------------------
    def fmax(self, other):
        return B.Fmax.apply(self, tensor_operand("fmax", other))

    def fmin(self, other):
        return B.Fmin.apply(self, tensor_operand("fmin", other))

    def fmod(self, other):
        other = _operand(other)
        if isinstance(other, Number):
            return B.FmodScalar.apply(self, other)
        return B.Fmod.apply(self, other)

    def remainder(self, other):
        return self.__mod__(other)

    def copysign(self, other):
        other = _operand(other)
        if isinstance(other, Number):
            return P.CopysignScalar.apply(self, other)
        return P.Copysign.apply(self, other)

    def float_power(self, exponent):
        """``pow`` in float64, whatever the operands' dtypes (both cast, differentiably)."""
        exponent = _operand(exponent)
        if isinstance(exponent, Tensor):
            return self.double() ** exponent.double()
        return self.double() ** exponent

    def lerp(self, end, weight):
        return P.lerp(self, _operand(end), _operand(weight))

    def addcmul(self, tensor1, tensor2, *, value=1):
        return P.Addcmul.apply(self, _operand(tensor1), _operand(tensor2), value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return P.Addcdiv.apply(self, _operand(tensor1), _operand(tensor2), value)

    def masked_fill(self, mask, value):
        return P.masked_fill(self, mask, value)

    def multiply_(self, other):
        return self.mul_(other)

    def subtract_(self, other):
        return self.sub_(other)

    def divide_(self, other):
        return self.div_(other)

    true_divide_ = divide_

    def floor_divide_(self, other):
        """``//`` in place. Its result has no gradient: where the op would be recorded, the
        error PyTorch gives at backward for differentiating it comes now."""
        from .autograd.grad_mode import is_grad_enabled

        if is_grad_enabled() and (self._requires_grad or getattr(other, "requires_grad",
                                                                       False)):
            raise RuntimeError("derivative for aten::floor_divide_ is not implemented")
        return self._inplace(lambda s, o: s // o, other)

    def float_power_(self, exponent):
        """``float_power`` in place: only into a float64 tensor, the dtype of its result."""
        if self.dtype.name != "float64":
            raise RuntimeError(f"the base given to float_power_ has dtype "
                               f"{self.dtype._legacy[:-6]} but the operation's result requires "
                               "dtype Double")
        _check_inplace_shape(self, (exponent,))
        return self._inplace(lambda s, e: s.float_power(e), exponent)
