"""``Tensor``: an array, plus what autograd needs to differentiate through it.

A tensor holds its data (a NumPy or CuPy array), whether it requires grad, the node that
made it (``grad_fn``, ``None`` for a leaf), its ``.grad``, and a version counter that
in-place ops bump so backward can tell when a saved value was overwritten. The operations
themselves live in ``engine.ops``; the methods here only route to them.
"""

from __future__ import annotations

import operator
import warnings

import numpy

from . import backend
from ._inplace import (
    _LEAF_INPLACE,
    _VIEW_INPLACE,
    _check_cast,
    _check_several_views,
    _region_of,
)
from ._tensor_ops import TensorOps
from .autograd import grad_mode
from .dtypes import dtype as _dtype
from .dtypes import from_numpy_dtype, result_type

_state = grad_mode._state
_RARE, _INFERENCE = grad_mode.RARE, grad_mode.INFERENCE  # threads in inference mode
_ndarray = numpy.ndarray


class Size(tuple):
    """A tensor's shape: a tuple that prints like PyTorch's (``engine.Size([2, 3])``)."""

    def __repr__(self):
        return f"engine.Size([{', '.join(map(str, self))}])"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n


def _as_array(data):
    if type(data) is _ndarray:
        return data
    if backend.is_array(data):
        return data
    return numpy.asarray(data)  # NumPy returns scalars for 0-d results; keep arrays


def make_tensor(data, requires_grad=False, grad_fn=None, output_nr=0, vc=None):
    """Wrap an array without checks or copies (the engine's internal constructor)."""
    t = _new(Tensor)
    t._data = data if type(data) is _ndarray else _as_array(data)
    t._requires_grad = requires_grad
    t.grad_fn = grad_fn
    t._output_nr = output_nr
    t._vc = [0] if vc is None else vc
    if _RARE[_INFERENCE] and _state.inference:
        t._inference = True
    return t


_new = object.__new__


# C++'s names of the scalar types, as PyTorch's .grad setter prints them.
_CPP_NAMES = {
    "float16": "c10::Half", "float32": "float", "float64": "double", "int8": "signed char",
    "uint8": "unsigned char", "int16": "short int", "int32": "int", "int64": "long int",
    "bool": "bool",
}


def _check_clamp_cast(self, *bounds):
    """clamp_ with number bounds: PyTorch checks the cast of the promoted type (a float bound
    on an integer tensor, any number on a bool one) before clamping, and names the target by
    its C++ type (with a tensor bound, the usual check of ``_inplace`` names it)."""
    if any(isinstance(b, Tensor) for b in bounds):
        return
    numbers = [b for b in bounds if b is not None]
    if not numbers:
        return
    result, target = result_type(self._data, *numbers), self.dtype
    if result._category > target._category:
        raise RuntimeError(
            f"result type {result._legacy.replace('Tensor', '')} can't be cast to the desired "
            f"output type {_CPP_NAMES[target.name]}"
        )


def _checked_hook(hook):
    """``hook`` with PyTorch's checks on what it returns: a tensor (or None) of the
    gradient's size and type."""

    def checked(grad):
        new = hook(grad)
        if new is None or grad is None:
            return new
        if not isinstance(new, Tensor):
            raise TypeError(f"expected Variable, but hook returned '{type(new).__name__}'")
        name = getattr(hook, "__name__", "<unknown>")
        if new._data.shape != grad._data.shape:
            raise RuntimeError(f"hook '{name}' has changed the size of value")
        if new._data.dtype != grad._data.dtype:
            raise RuntimeError(
                f"hook '{name}' has changed the type of value (was {grad.type()} got "
                f"{new.type()})"
            )
        return new

    return checked


_INFERENCE_REQUIRES_GRAD = (
    "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed."
)


class Tensor(TensorOps):
    # What every tensor has lives in slots; what few tensors need (a .grad, hooks, a view's
    # base...) has a class-level default and is stored only when set: creating a tensor is
    # the engine's most frequent operation.
    __slots__ = (
        "_data", "_requires_grad", "grad_fn", "_output_nr", "_vc", "__dict__", "__weakref__",
    )
    _grad = None
    _base = None  # the tensor this one is a view of
    _acc = None  # the leaf's AccumulateGrad, once a recorded op has used it
    _acc_edge = None  # and the edge (_acc, 0) to it, shared by the nodes that use the leaf
    _retains_grad = False
    _hooks = None
    _inference = False
    _several_views = None  # an output of split/unbind: "several", or "no_grad" (made so)
    name = None  # a name for graph pictures
    __array_priority__ = 1000  # NumPy defers `array * tensor` to Tensor.__rmul__
    __hash__ = object.__hash__

    def __init__(self, data, requires_grad=False):
        t = tensor(data)
        self._data, self._requires_grad, self.grad_fn = t._data, False, None
        self._output_nr, self._vc = 0, t._vc
        self.requires_grad = requires_grad

    # -- metadata ------------------------------------------------------------------------
    @property
    def dtype(self):
        return from_numpy_dtype(self._data.dtype)

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        return Size(self._data.shape) if dim is None else self._data.shape[dim]

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    @property
    def device(self):
        return backend.device_of(self._data)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_inference(self):
        return self._inference

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def _version(self):
        if self._inference:
            raise RuntimeError("Inference tensors do not track version counter.")
        return self._vc[0]

    @property
    def output_nr(self):
        return self._output_nr

    def _xp(self):
        return backend.array_module(self._data)

    def __len__(self):
        if not self._data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    # -- autograd state ------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if self.grad_fn is not None:
            msg = "you can only change requires_grad flags of leaf variables."
            if not value:
                msg += (
                    " If you want to use a computed variable in a subgraph that doesn't require"
                    " differentiation use var_no_grad = var.detach()."
                )
            raise RuntimeError(msg)
        if value and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients"
            )
        if value and self._inference and not _state.inference:
            raise RuntimeError(_INFERENCE_REQUIRES_GRAD)
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True):
        if self.grad_fn is not None and not requires_grad:
            self.requires_grad = False  # raises PyTorch's error
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if requires_grad and self._inference and not _state.inference:
            raise RuntimeError(_INFERENCE_REQUIRES_GRAD)
        if self.grad_fn is None:
            self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad(self):
        if self._grad is None and self.grad_fn is not None and not self._retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                "Its .grad attribute won't be populated during autograd.backward(). If you "
                "indeed want the .grad field to be populated for a non-leaf Tensor, use "
                ".retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by "
                "mistake, make sure you access the leaf Tensor instead.",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                kind = type(value)
                name = kind.__qualname__ if kind.__module__ == "builtins" else (
                    f"{kind.__module__}.{kind.__qualname__}")
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type {name}"
                )
            if value.shape != self.shape:
                sizes = [", ".join(map(str, s)) for s in (value.shape, self.shape)]
                raise RuntimeError(
                    f"attempting to assign a gradient of size '[{sizes[0]}]'"
                    f" to a tensor of size '[{sizes[1]}]'. Please ensure "
                    "that the gradient and the tensor are the same size"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    "attempting to assign a gradient with dtype "
                    f"'{_CPP_NAMES[value.dtype.name]}' to a tensor with grad_dtype "
                    f"'{self.dtype._legacy[:-6]}'. The gradient "
                    "must match the tensor's grad_dtype (defaults to the tensor's dtype). You can "
                    "set the tensor's grad_dtype attribute with a specific dtype, or None to allow "
                    "any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and "
                    "its gradient may break downstream systems that assume they match."
                )
            if type(value._data) is not type(self._data) and value.device != self.device:
                raise RuntimeError(
                    f"attempting to assign a gradient with device type '{value.device.type}' to "
                    f"a tensor with device type '{self.device.type}'. Please ensure that the "
                    "gradient and the tensor are on the same device"
                )
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def data(self):
        """The same values, detached from the graph (shares memory and nothing else)."""
        return make_tensor(self._data)

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else _as_array(value)

    @property
    def retains_grad(self):
        return self._retains_grad

    def retain_grad(self):
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        import weakref

        from .autograd.graph import mark_hooked

        node = self.grad_fn
        if node._retains is None:
            node._retains = {}
            mark_hooked(node)
        node._retains[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a handle whose ``remove()`` takes the hook away."""
        if not self._requires_grad:
            raise RuntimeError(
                "cannot register a hook on a tensor that doesn't require gradient"
            )
        from .autograd.graph import RemovableHandle, _HookDict

        hook = _checked_hook(hook)
        if self.grad_fn is None:  # a leaf: hooks run before accumulation into .grad
            if self._hooks is None:
                self._hooks = _HookDict()
            handle = RemovableHandle(self._hooks)
            self._hooks[handle.id] = hook
            return handle
        nr = self._output_nr

        def prehook(grad_outputs):
            new = hook(grad_outputs[nr])
            if new is None:
                return None
            grads = list(grad_outputs)
            grads[nr] = new
            return tuple(grads)

        prehook.tensor_hook = True  # autograd.grad runs it for a captured input (as PyTorch)
        return self.grad_fn.register_prehook(prehook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the ``.grad`` of the leaves."""
        if inputs is None and (gradient is None or isinstance(gradient, Tensor)):
            run_backward((self,), (gradient,), retain_graph, create_graph)
        else:
            autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self):
        t = make_tensor(self._data, vc=self._vc)
        t._inference = self._inference
        return t

    def detach_(self):
        if self._base is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is "
                "set as True, gradients are views of DDP buckets, and hence detach_() cannot "
                "be called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self.grad_fn = None
        self._requires_grad = False
        return self

    # -- conversion ----------------------------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        return backend.to_device(self._data, backend.CPU).tolist()

    def numpy(self, *, force=False):
        data = self._data
        if type(data) is not _ndarray and self.device.type != "cpu":
            if force:
                return backend.to_device(data, backend.CPU)
            raise TypeError(  # checked first, as in PyTorch
                f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to "
                "copy the tensor to host memory first."
            )
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return data

    def __array__(self, dtype=None, copy=None):
        arr = self.detach().numpy()
        return arr if dtype is None else arr.astype(dtype)

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(other)``; differentiable, like PyTorch."""
        target_dtype, target_device = kwargs.get("dtype"), kwargs.get("device")
        for a in args:
            if isinstance(a, _dtype):
                target_dtype = a
            elif isinstance(a, Tensor):
                target_dtype, target_device = a.dtype, a.device
            elif a is not None:
                target_device = a
        from .ops.conversion import To

        dev = backend.device(target_device) if target_device is not None else self.device
        dt = target_dtype if target_dtype is not None else self.dtype
        if dt is self.dtype and dev == self.device:
            return self
        if self._requires_grad and not dt.is_floating_point:
            return make_tensor(To.forward(None, self._data, dt, dev))
        return To.apply(self, dt, dev)

    def type(self, dtype=None):
        if dtype is None:
            return f"engine.{self.dtype._legacy}"
        return self.to(dtype)

    def float(self):
        from .dtypes import float32

        return self.to(float32)

    def double(self):
        from .dtypes import float64

        return self.to(float64)

    def long(self):
        from .dtypes import int64

        return self.to(int64)

    def int(self):
        from .dtypes import int32

        return self.to(int32)

    def bool(self):
        from .dtypes import bool as bool_

        return self.to(bool_)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        if isinstance(device, int):
            device = f"cuda:{device}"
        return self.to("cuda" if device is None else device)

    def contiguous(self):
        # A copy when the memory is not laid out row by row (PyTorch's CloneBackward0): an
        # in-place op on the result must not reach this tensor.
        return self if self._data.flags.c_contiguous else self.clone()

    def is_contiguous(self):
        return bool(self._data.flags.c_contiguous)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                "Boolean value of Tensor with more than one value is ambiguous"
            )
        return bool(self.item())

    def __format__(self, spec):
        if self._data.ndim == 0 and spec:
            return self.item().__format__(spec)
        return format(repr(self), spec)

    def __repr__(self):
        from ._tensor_str import tensor_repr

        return tensor_repr(self)

    def __iter__(self):
        if not self._data.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._data)))

    def __reduce_ex__(self, protocol):
        # Pickled through host memory; unpickled on the same device, as PyTorch does.
        dev = self.device
        return (_rebuild, (backend.to_device(self._data, backend.CPU), self._requires_grad,
                           None if dev.type == "cpu" else str(dev)))

    # -- in-place machinery --------------------------------------------------------------
    def _bump(self):
        if not self._inference:
            self._vc[0] += 1

    def _check_inplace(self, *operands, key=None):
        """PyTorch's checks before an in-place op on this tensor (with ``operands``)."""
        if self._inference and not _state.inference:
            raise RuntimeError(
                "Inplace update to inference tensor outside InferenceMode is not allowed.You "
                "can make a clone to get a normal tensor before doing inplace update.See "
                "https://github.com/pytorch/rfcs/pull/17 for more details."
            )
        if _state.enabled:
            base = self._base
            if base is not None:
                # PyTorch's order: a view is checked as a view first. It requires grad while
                # its base does (made before the base did, or under no_grad), or on its own
                # (a view of a view that does; a view made a leaf by requires_grad_()); then
                # it is refused when its base is a leaf, whether the base requires grad or not
                requires_grad = self._requires_grad or base._requires_grad
                if requires_grad or any(
                        isinstance(o, Tensor) and o._requires_grad for o in operands):
                    _check_several_views(self, key)  # recorded: PyTorch's check of its origin
                    if requires_grad and base.grad_fn is None:
                        raise RuntimeError(_VIEW_INPLACE)
            if self.grad_fn is None and self._requires_grad:
                raise RuntimeError(_LEAF_INPLACE)

    def _inplace(self, op, *args):
        """Run ``op(self, *args)`` and write the result into this tensor's memory.

        When the graph is recorded, the node of the out-of-place result becomes this
        tensor's ``grad_fn`` (its history is rebased), as PyTorch does.
        """
        self._check_inplace(*args)
        record = _state.enabled and (
            self._requires_grad
            or any(isinstance(a, Tensor) and a._requires_grad for a in args)
        )
        if not record:
            with grad_mode.no_grad():
                result = op(self, *args)
            _check_cast(result.dtype, self.dtype)
            self._data[...] = result._data
            self._bump()
            return self
        # The node must see this tensor's value *before* the write: give it a snapshot.
        old = make_tensor(self._data.copy(), self._requires_grad, self.grad_fn, self._output_nr)
        result = op(old, *args)
        _check_cast(result.dtype, self.dtype)
        if self._base is not None:
            self._rebase_view_base(result)
        self._data[...] = result._data
        self._bump()
        self.grad_fn, self._output_nr, self._requires_grad = result.grad_fn, 0, True
        return self

    def _rebase_view_base(self, new_view):
        """An in-place op through a view also rewrites its base's history (PyTorch's
        ``CopySlices``): the base becomes "the old base with the view's region replaced"."""
        from .ops.indexing import IndexPut

        base = self._base
        key = _region_of(base._data, self._data)
        old_base = make_tensor(base._data.copy(), base._requires_grad, base.grad_fn,
                               base._output_nr)
        new_base = IndexPut.apply(old_base, key, new_view)
        base.grad_fn, base._output_nr, base._requires_grad = new_base.grad_fn, 0, True

    def _arith_(self, ufunc, op, other):
        """``self op= other``: straight into this tensor's memory when nothing is recorded
        (an optimizer step: no temporary, no copy), through ``_inplace`` otherwise."""
        if not (_state.enabled and (self._requires_grad
                                    or (isinstance(other, Tensor) and other._requires_grad))):
            self._check_inplace()
            raw = other._data if isinstance(other, Tensor) else other
            if type(raw) is not type(self._data) and backend.is_array(raw):
                raw = _operand_on(self, other)
            if type(self._data) is not _ndarray:  # CuPy's own ufunc, not NumPy's dispatch
                ufunc = getattr(backend.array_module(self._data), ufunc.__name__)
            data = self._data
            cast = getattr(raw, "dtype", None) != data.dtype and not (
                type(raw) is float and data.dtype.kind == "f")
            if cast:
                _check_cast(result_type(data, raw), self.dtype)
            try:
                if cast:  # the cast is checked (PyTorch's rule): NumPy may write it unsafely
                    ufunc(data, raw, out=data, casting="unsafe")
                else:
                    ufunc(data, raw, data)  # out= positional: 0.07 us less than keywords
            except ValueError:
                shape = getattr(raw, "shape", ())
                try:
                    full = numpy.broadcast_shapes(self._data.shape, shape)
                except ValueError:
                    full = None
                if full is None:  # not broadcastable at all: PyTorch's binary-op message
                    raise self._broadcast_error(shape) from None
                raise RuntimeError(
                    f"output with shape [{', '.join(map(str, self.shape))}] doesn't match the "
                    f"broadcast shape [{', '.join(map(str, full))}]"
                ) from None
            self._bump()
            return self
        return self._inplace(op, other)

    def _broadcast_error(self, shape):
        from .autograd.function import _shape_error

        return _shape_error(ValueError("could not be broadcast"), [self._data, _Shaped(shape)])

    def add_(self, other, *, alpha=1):
        if alpha != 1:
            other = other * alpha
        return self._arith_(numpy.add, operator.add, other)

    def sub_(self, other, *, alpha=1):
        if alpha != 1:
            other = other * alpha
        return self._arith_(numpy.subtract, operator.sub, other)

    def mul_(self, other):
        return self._arith_(numpy.multiply, operator.mul, other)

    def div_(self, other):
        if self._data.dtype.kind in "biu":  # true division cannot write into integers
            return self._inplace(operator.truediv, other)
        return self._arith_(numpy.true_divide, operator.truediv, other)

    def pow_(self, exponent):
        return self._inplace(operator.pow, exponent)

    def clamp_(self, min=None, max=None):  # noqa: A002 - PyTorch's names
        _check_clamp_cast(self, min, max)
        return self._inplace(lambda s: s.clamp(min, max))

    clip_ = clamp_

    def clamp_min_(self, min):  # noqa: A002
        _check_clamp_cast(self, min)
        return self._inplace(lambda s: s.clamp_min(min))

    def clamp_max_(self, max):  # noqa: A002
        _check_clamp_cast(self, max)
        return self._inplace(lambda s: s.clamp_max(max))

    def copy_(self, src):
        """Copy ``src``'s values (broadcast, cast to this dtype) into this tensor."""
        from .ops.movement import Copy

        src = src if isinstance(src, Tensor) else tensor(src)
        if _state.enabled and (self._requires_grad or src._requires_grad):
            if type(src._data) is not type(self._data) and src.device != self.device:
                src = src.to(self.device)  # copy_ moves between devices, differentiably
            return self._inplace(Copy.apply, src)
        self._check_inplace()
        self._data[...] = backend.to_device(src._data, self.device)
        self._bump()
        return self

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        self._check_inplace()
        if _state.enabled and self._requires_grad:
            from .ops.movement import Fill

            return self._inplace(Fill.apply, value)
        if isinstance(value, Tensor):
            value = backend.to_device(value._data, self.device)
        self._data[...] = value
        self._bump()
        return self

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __setitem__(self, key, value):
        from .ops.indexing import normalize_setitem_key, put_op, setitem_error

        given, key = key, normalize_setitem_key(key, self)
        raw = value._data if isinstance(value, Tensor) else value
        if type(raw) is not type(self._data) and backend.is_array(raw):
            raw = backend.to_device(raw, self.device)  # x[i] = v copies v over, as copy_ does
        self._check_inplace(value, key=given if type(given) is tuple else (given,))
        if _state.enabled and (
            self._requires_grad or (isinstance(value, Tensor) and value._requires_grad)
        ):
            old = make_tensor(self._data.copy(), self._requires_grad, self.grad_fn,
                              self._output_nr)
            value = value if isinstance(value, Tensor) else tensor(raw, dtype=self.dtype)
            try:
                result = put_op(key).apply(old, key, value.to(self.dtype, self.device))
            except (IndexError, ValueError) as exc:
                raise setitem_error(exc, self._data, key, value.shape, self.dtype._legacy) from None
            if self._base is not None:  # writing through a view rewrites its base's history
                self._rebase_view_base(result)
            self._data[...] = result._data
            self.grad_fn, self._output_nr, self._requires_grad = result.grad_fn, 0, True
        else:
            try:
                self._data[key] = raw
            except (IndexError, ValueError) as exc:
                raise setitem_error(exc, self._data, key, getattr(raw, "shape", ()),
                                    self.dtype._legacy) from None
        self._bump()


from . import autograd  # noqa: E402  (autograd imports this module first)
from .autograd.engine_loop import run_backward  # noqa: E402


class _Shaped:
    __slots__ = ("shape",)

    def __init__(self, shape):
        self.shape = tuple(shape)


def _operand_on(self, other):
    """``other``'s data for an in-place op on ``self``, on ``self``'s device: a CPU 0-d tensor
    is moved to ``self``'s GPU (PyTorch treats it as a scalar); any other mix is PyTorch's
    error."""
    raw = other._data if isinstance(other, Tensor) else other
    if type(self._data) is _ndarray:  # nothing is moved to the CPU
        raise backend.same_device_error(backend.device_of(raw), backend.CPU)
    return backend.common_device([self._data, raw])[1][1]


def _rebuild(array, requires_grad, device=None):
    return tensor(array, device=device, requires_grad=requires_grad)


def tensor(data, dtype=None, device=None, requires_grad=False):
    """Make a new leaf tensor from data (a number, nested lists, an array or a tensor)."""
    from .creation import tensor as _tensor

    return _tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
