"""A stand-in for CuPy that runs on the CPU: device code, tested without a GPU.

``engine.testing.fake_cuda()`` puts this module where ``engine.backend`` keeps CuPy, so
``device="cuda"`` works on any machine, and the arrays it makes behave like CuPy's where code
can go wrong:

* ``ndarray`` is not a ``numpy.ndarray``: it holds a NumPy array standing for device memory
  (its class says ``cupy.ndarray``, as CuPy's does);
* converting one to NumPy implicitly raises CuPy's ``TypeError`` (``numpy.asarray(a)``,
  ``a.__array__()``): only ``get()``/``asnumpy()`` copy to the host, as with CuPy;
* an operation mixing it with a NumPy array raises ``TypeError`` (CuPy: ``Unsupported type``);
  NumPy functions and ufuncs called on it dispatch to this module, as CuPy's do;
* reductions and indexing return 0-d arrays, never NumPy scalars;
* only names CuPy has exist (lists taken from CuPy 14): a NumPy-only function is an
  ``AttributeError``, as it would be on a GPU;
* every copy to the host (``get``, ``asnumpy``, ``item``, ``float``, ``bool``, ``tolist``,
  ``repr``) counts in ``stats.syncs`` and every copy to the device in ``stats.uploads``, so a
  test can check that a training step never waits for the device.

What it cannot show: speed, the numerical differences of GPU kernels, CuPy's own bugs, and
several devices (it has one, ``cuda:0``). Tests on a real GPU (marker ``gpu``) cover those.
"""

from __future__ import annotations

import contextlib
import numbers
import operator
import sys

import numpy

# -- what CuPy 14 has (the rest of NumPy is not there on a GPU either) ------------------------
_UFUNCS = frozenset("""
abs absolute acos acosh add arccos arccosh arcsin arcsinh arctan arctan2 arctanh asin asinh
atan atan2 atanh bitwise_and bitwise_count bitwise_invert bitwise_left_shift bitwise_not
bitwise_or bitwise_right_shift bitwise_xor cbrt ceil conj conjugate copysign cos cosh
deg2rad degrees divide divmod equal exp exp2 expm1 fabs float_power floor floor_divide fmax
fmin fmod frexp gcd greater greater_equal heaviside hypot invert isfinite isinf isnan lcm
ldexp left_shift less less_equal log log10 log1p log2 logaddexp logaddexp2 logical_and
logical_not logical_or logical_xor maximum minimum mod modf multiply negative nextafter
not_equal positive pow power rad2deg radians reciprocal remainder right_shift rint sign
signbit sin sinh sqrt square subtract tan tanh true_divide trunc
""".split())
_FUNCTIONS = frozenset("""
all allclose amax amin angle any append apply_along_axis apply_over_axes arange argmax
argmin argpartition argsort argwhere around array array2string array_equal array_equiv
array_repr array_split array_str asanyarray asarray asarray_chkfinite ascontiguousarray
asfortranarray astype atleast_1d atleast_2d atleast_3d average bartlett base_repr
binary_repr bincount blackman broadcast_arrays broadcast_shapes broadcast_to can_cast choose
clip column_stack common_type compress concat concatenate convolve copy copyto corrcoef
correlate count_nonzero cov cross cumprod cumsum cumulative_prod cumulative_sum delete diag
diag_indices diag_indices_from diagflat diagonal diff digitize dot dsplit dstack ediff1d
einsum empty empty_like expand_dims extract eye fill_diagonal fix flatnonzero flip fliplr
flipud format_float_positional format_float_scientific from_dlpack frombuffer fromfile
fromfunction fromiter fromstring full full_like genfromtxt get_printoptions gradient hamming
hanning histogram histogram2d histogramdd hsplit hstack i0 identity imag indices inner
interp intersect1d isclose iscomplex iscomplexobj isdtype isfortran isin isneginf isposinf
isreal isrealobj isscalar issubdtype iterable ix_ kaiser kron lexsort linspace load loadtxt
logspace mask_indices matmul matrix_transpose max may_share_memory mean median meshgrid min
min_scalar_type mintypecode moveaxis nan_to_num nanargmax nanargmin nancumprod nancumsum
nanmax nanmean nanmedian nanmin nanprod nanstd nansum nanvar ndim nonzero ones ones_like
outer packbits pad partition percentile permute_dims piecewise place poly polyadd polyfit
polymul polysub polyval printoptions prod promote_types ptp put put_along_axis putmask
quantile ravel ravel_multi_index real real_if_close repeat require reshape resize
result_type roll rollaxis roots rot90 round row_stack save savetxt savez savez_compressed
searchsorted select set_printoptions setdiff1d setxor1d shape shares_memory show_config sinc
size sort sort_complex split squeeze stack std sum swapaxes take take_along_axis tensordot
tile trace transpose trapezoid tri tril tril_indices tril_indices_from trim_zeros triu
triu_indices triu_indices_from typename union1d unique unique_all unique_counts
unique_inverse unique_values unpackbits unravel_index unwrap vander var vdot vsplit vstack
where zeros zeros_like
""".split())
_TYPES = frozenset("""
bool bool_ broadcast byte cdouble complex128 complex64 complexfloating csingle double dtype
finfo flatiter float16 float32 float64 floating generic half iinfo inexact int16 int32 int64
int8 int_ intc integer intp long longlong ndindex number poly1d short signedinteger single
ubyte ufunc uint uint16 uint32 uint64 uint8 uintc uintp ulong ulonglong unsignedinteger
ushort vectorize
""".split())
_CONSTANTS = frozenset("""
c_ e euler_gamma index_exp inf mgrid nan newaxis ogrid pi r_ s_
""".split())
_METHODS = frozenset("""
T all any argmax argmin argpartition argsort astype base byteswap choose clip compress conj
conjugate copy cstruct cumprod cumsum data device diagonal dot dtype dump dumps fill flags
flat flatten get imag item itemsize mT max mdspan mean min nbytes ndim nonzero partition
prod ptp put ravel real reduced_view repeat reshape round scatter_add scatter_max
scatter_min searchsorted set shape size sort squeeze std strides sum swapaxes take toDlpack
tobytes tofile tolist trace transpose var view
""".split())
_LINALG = frozenset("""
LinAlgError cholesky cond cross det eig eigh eigvals eigvalsh inv lstsq matmul matrix_power
matrix_rank matrix_transpose norm pinv qr slogdet solve svd tensorinv tensorsolve
""".split())
_UFUNCS = _UFUNCS | {"matmul"}  # a generalized ufunc in CuPy, a ufunc in NumPy
# Attributes of ndarray handled by the class itself rather than forwarded to NumPy.
_METHODS = _METHODS - {
    "T", "mT", "base", "data", "device", "dtype", "flags", "get", "item", "itemsize", "nbytes",
    "ndim", "set", "shape", "size", "strides", "tolist", "cstruct", "mdspan", "toDlpack",
    "reduced_view", "scatter_add", "scatter_max", "scatter_min", "flat", "real", "imag",
}

_IMPLICIT = (
    "Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a "
    "NumPy array explicitly."
)


class Stats:
    """Transfers so far: ``syncs`` (device to host), ``uploads`` (host to device),
    ``synchronize`` (explicit waits)."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.syncs = self.uploads = self.synchronize = 0


stats = Stats()


class CUDARuntimeError(RuntimeError):
    pass


# -- cupy.cuda ---------------------------------------------------------------------------------


class Device:
    """``cupy.cuda.Device``: a context manager selecting the current device."""

    count = 1  # devices this fake has
    _current = [0]

    def __init__(self, device=None):
        self.id = Device._current[0] if device is None else int(device)
        if not 0 <= self.id < Device.count:
            raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")

    def __enter__(self):
        self._previous = Device._current[0]
        Device._current[0] = self.id
        return self

    def __exit__(self, *exc):
        Device._current[0] = self._previous

    def use(self):
        Device._current[0] = self.id

    def synchronize(self):
        stats.synchronize += 1

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(("fake-cuda", self.id))

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class _Runtime:
    @staticmethod
    def getDeviceCount():  # noqa: N802 - CuPy's (CUDA's) names
        return Device.count

    @staticmethod
    def deviceSynchronize():  # noqa: N802
        stats.synchronize += 1


class _Cuda:
    Device = Device
    runtime = _Runtime()
    CUDARuntimeError = CUDARuntimeError

    @staticmethod
    def is_available():
        return True

    @staticmethod
    def get_device_id():
        return Device._current[0]


cuda = _Cuda()


# -- moving values in and out ------------------------------------------------------------------


def _unsupported(x):
    return TypeError(f"Unsupported type {type(x)}")


def _unwrap(x):
    """An argument as NumPy sees it: device arrays give their memory; a NumPy array is refused
    (CuPy does not mix host and device arrays); containers are unwrapped element by element."""
    t = type(x)
    if t is ndarray:
        return x._a
    if t is tuple or t is list:
        return t(_unwrap(v) for v in x)
    if isinstance(x, numpy.ndarray):
        raise _unsupported(x)
    return x


def _key(key):
    """An index: device arrays give their memory; NumPy arrays and lists are accepted (CuPy
    copies them to the device)."""
    if type(key) is tuple:
        return tuple(_key(k) for k in key)
    if type(key) is ndarray:
        return key._a
    return key


def _wrap(result, parents=()):
    """NumPy's result as device arrays: NumPy scalars become 0-d arrays (CuPy never returns
    host scalars), and a view of a parent's memory records the parent as its ``base``."""
    t = type(result)
    if t is numpy.ndarray:
        return ndarray._of(result, parents)
    if isinstance(result, numpy.generic):
        return ndarray._of(numpy.asarray(result), ())
    if t is tuple or t is list:
        return t(_wrap(r, parents) for r in result)
    return result


def _parents(values):
    out = []
    for v in values:
        if type(v) is ndarray:
            out.append(v)
        elif type(v) is tuple or type(v) is list:
            out.extend(_parents(v))
    return out


def _call(fn, args, kwargs):
    result = fn(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()})
    return _wrap(result, _parents(args))


# -- ndarray -----------------------------------------------------------------------------------


class _Flags:
    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, flags):
        self.c_contiguous = flags.c_contiguous
        self.f_contiguous = flags.f_contiguous
        self.owndata = flags.owndata


class _MemoryPointer:
    __slots__ = ("ptr",)

    def __init__(self, ptr):
        self.ptr = ptr


def _operand(x):
    """The other operand of ``a <op> x``, or NotImplemented for a type CuPy leaves to the
    other side (one with a higher ``__array_priority__``, such as an engine tensor)."""
    if type(x) is ndarray:
        return x._a
    if isinstance(x, numpy.ndarray) or type(x) is list:
        raise _unsupported(x)
    if isinstance(x, (numbers.Number, numpy.generic)):
        return x
    return NotImplemented


class ndarray:  # noqa: N801 - CuPy's name
    """A device array: NumPy memory that only this module's functions and ``get()`` read."""

    __slots__ = ("_a", "_base", "__weakref__")
    __array_priority__ = 100  # CuPy's
    __hash__ = None

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        self._a = numpy.empty(shape, dtype=dtype, order=order)
        self._base = None

    @classmethod
    def _of(cls, array, parents=()):
        for p in parents:
            if array is p._a:
                return p  # NumPy gave the same array back (astype(copy=False) and the like)
        self = object.__new__(cls)
        self._a = array
        self._base = None
        if array.base is not None:
            for p in parents:
                if numpy.may_share_memory(array, p._a):
                    self._base = p if p._base is None else p._base
                    break
        return self

    # attributes
    shape = property(lambda self: self._a.shape)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    dtype = property(lambda self: self._a.dtype)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    base = property(lambda self: self._base)
    flags = property(lambda self: _Flags(self._a.flags))
    data = property(lambda self: _MemoryPointer(self._a.__array_interface__["data"][0]))
    device = property(lambda self: Device(0))
    T = property(lambda self: _wrap(self._a.T, (self,)))
    mT = property(lambda self: _wrap(numpy.swapaxes(self._a, -1, -2), (self,)))

    def __getattr__(self, name):
        if name not in _METHODS:
            raise AttributeError(f"'cupy.ndarray' object has no attribute '{name}'")
        method = getattr(self._a, name)

        def call(*args, **kwargs):
            result = method(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()})
            return _wrap(result, (self,))

        call.__name__ = name
        return call

    # the only ways to the host, each a synchronisation
    def get(self, stream=None, order="C", out=None):
        stats.syncs += 1
        return self._a.copy()

    def item(self):
        stats.syncs += 1
        return self._a.item()

    def tolist(self):
        stats.syncs += 1
        return self._a.tolist()

    def __float__(self):
        stats.syncs += 1
        return float(self._a)

    def __int__(self):
        stats.syncs += 1
        return int(self._a)

    def __complex__(self):
        stats.syncs += 1
        return complex(self._a)

    def __bool__(self):
        stats.syncs += 1
        return bool(self._a)

    def __format__(self, spec):
        stats.syncs += 1
        return format(self._a if self._a.ndim else self._a.item(), spec)

    def __repr__(self):
        stats.syncs += 1
        return repr(self._a)

    __str__ = __repr__

    def __array__(self, dtype=None, copy=None):
        raise TypeError(_IMPLICIT)

    def __reduce__(self):
        return (_rebuild, (self.get(),))

    def __len__(self):
        if not self._a.ndim:
            raise TypeError("len() of unsized object")
        return len(self._a)

    def __iter__(self):
        if not self._a.ndim:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self._a)))

    def __getitem__(self, key):
        return _wrap(self._a[_key(key)], (self,))

    def __setitem__(self, key, value):
        if type(value) is ndarray:
            value = value._a
        elif isinstance(value, numpy.ndarray) and value.ndim:
            raise ValueError("non-scalar numpy.ndarray cannot be used for fill")
        self._a[_key(key)] = value

    # NumPy's functions and ufuncs on device arrays run here, as CuPy's do
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc.__name__ not in _UFUNCS:
            return NotImplemented
        for x in inputs + tuple(kwargs.get("out", ())):
            if type(x) is not ndarray and _operand(x) is NotImplemented:
                return NotImplemented
        return _ufunc_call(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        module = func.__module__ or ""
        space = linalg if module.endswith("linalg") else sys.modules[__name__]
        try:
            ours = getattr(space, func.__name__)
        except AttributeError:
            return NotImplemented
        return ours(*args, **kwargs)


ndarray.__module__ = "cupy"  # type(a) prints as cupy.ndarray, as CuPy's does


def _ufunc_call(ufunc, method, inputs, kwargs):
    out = kwargs.get("out")
    if out is not None:
        out = out if type(out) is tuple else (out,)
        kwargs = dict(kwargs, out=tuple(_unwrap(o) if type(o) is ndarray else o for o in out))
        for o in out:
            if isinstance(o, numpy.ndarray):
                raise _unsupported(o)
    kwargs = {k: (v if k == "out" else _unwrap(v)) for k, v in kwargs.items()}
    result = getattr(ufunc, method)(*_unwrap(inputs), **kwargs)
    if out is not None:
        return out[0] if len(out) == 1 else out
    return _wrap(result, _parents(inputs))


def _binary(op, reflected=False):
    def method(self, other):
        o = _operand(other)
        if o is NotImplemented:
            return NotImplemented
        return _wrap(op(o, self._a) if reflected else op(self._a, o), (self,))

    return method


def _inplace(op):
    def method(self, other):
        o = _operand(other)
        if o is NotImplemented:
            raise _unsupported(other)
        op(self._a, o)
        return self

    return method


def _unary(op):
    return lambda self: _wrap(op(self._a), (self,))


_ARITHMETIC = {
    "add": (operator.add, operator.iadd), "sub": (operator.sub, operator.isub),
    "mul": (operator.mul, operator.imul), "truediv": (operator.truediv, operator.itruediv),
    "floordiv": (operator.floordiv, operator.ifloordiv), "mod": (operator.mod, operator.imod),
    "pow": (operator.pow, operator.ipow), "matmul": (operator.matmul, operator.imatmul),
    "and": (operator.and_, operator.iand), "or": (operator.or_, operator.ior),
    "xor": (operator.xor, operator.ixor), "lshift": (operator.lshift, operator.ilshift),
    "rshift": (operator.rshift, operator.irshift),
}
for _name, (_op, _iop) in _ARITHMETIC.items():
    setattr(ndarray, f"__{_name}__", _binary(_op))
    setattr(ndarray, f"__r{_name}__", _binary(_op, reflected=True))
    setattr(ndarray, f"__i{_name}__", _inplace(_iop))
for _name, _op in [("eq", operator.eq), ("ne", operator.ne), ("lt", operator.lt),
                   ("le", operator.le), ("gt", operator.gt), ("ge", operator.ge)]:
    setattr(ndarray, f"__{_name}__", _binary(_op))
for _name, _op in [("neg", operator.neg), ("pos", operator.pos), ("abs", operator.abs),
                   ("invert", operator.invert)]:
    setattr(ndarray, f"__{_name}__", _unary(_op))


def _rebuild(host):
    return asarray(host)


# -- the module's functions --------------------------------------------------------------------


class ufunc:  # noqa: N801 - CuPy's name
    """One of NumPy's ufuncs, on device arrays (``xp.add(a, b, out=c)``, ``xp.add.at``)."""

    def __init__(self, np_ufunc):
        self._u = np_ufunc
        self.__name__ = np_ufunc.__name__
        self.nin, self.nout = np_ufunc.nin, np_ufunc.nout

    def __call__(self, *args, **kwargs):
        return _ufunc_call(self._u, "__call__", args, kwargs)

    def at(self, a, indices, b=None):
        if type(a) is not ndarray:
            raise _unsupported(a)
        args = (indices,) if b is None else (indices, _unwrap(b))
        self._u.at(a._a, _key(args[0]), *args[1:])

    def reduce(self, *args, **kwargs):
        return _ufunc_call(self._u, "reduce", args, kwargs)

    def __repr__(self):
        return f"<ufunc '{self.__name__}'>"


def _function(np_fn, name):
    def function(*args, **kwargs):
        return _call(np_fn, args, kwargs)

    function.__name__ = function.__qualname__ = name
    return function


class _Namespace:
    """A submodule (``linalg``, ``lib.stride_tricks``) restricted to CuPy's names."""

    def __init__(self, np_module, names):
        self._np, self._names = np_module, names

    def __getattr__(self, name):
        if name not in self._names:
            raise AttributeError(f"module 'cupy' has no attribute '{name}'")
        value = _function(getattr(self._np, name), name)
        setattr(self, name, value)
        return value


linalg = _Namespace(numpy.linalg, _LINALG)


class _Lib:
    stride_tricks = _Namespace(numpy.lib.stride_tricks, {"as_strided", "sliding_window_view"})


lib = _Lib()


def get_array_module(*args):
    """This module when any argument is one of its arrays, else NumPy (as CuPy's)."""
    for a in args:
        if type(a) is ndarray:
            return sys.modules[__name__]
    return numpy


def asarray(a, dtype=None, order=None, blocking=False):
    """To the device (a copy from host memory; a device array is returned as it is)."""
    if type(a) is ndarray:
        return a if dtype is None or a.dtype == dtype else a.astype(dtype)
    stats.uploads += 1
    return ndarray._of(numpy.array(a, dtype=dtype, order=order or "K", copy=True))


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, blocking=False):
    if type(obj) is ndarray:
        out = obj._a.astype(dtype or obj.dtype, copy=copy)
        return ndarray._of(out, (obj,))
    stats.uploads += 1
    return ndarray._of(numpy.array(obj, dtype=dtype, order=order, copy=True, ndmin=ndmin))


asanyarray = asarray


def asnumpy(a, stream=None, order="C", out=None, blocking=True):
    """To the host: a NumPy copy of a device array (anything else through ``numpy.asarray``)."""
    if type(a) is ndarray:
        return a.get()
    return numpy.asarray(a, order=order)


def synchronize():
    stats.synchronize += 1


def __getattr__(name):  # PEP 562: everything else CuPy has, made from NumPy's
    if name in _UFUNCS:
        value = ufunc(getattr(numpy, name))
    elif name in _FUNCTIONS:
        value = _function(getattr(numpy, name), name)
    elif name in _TYPES or name in _CONSTANTS:
        value = getattr(numpy, name)
    else:
        raise AttributeError(f"module 'cupy' has no attribute '{name}' (not in CuPy)")
    globals()[name] = value
    return value


# -- putting it in the engine ------------------------------------------------------------------


@contextlib.contextmanager
def installed():
    """Within the block, ``engine.backend`` uses this module as CuPy: ``device="cuda"`` works
    (on the CPU), and arrays of this module count as device arrays. The counts in ``stats``
    start from zero. (``engine.testing.fake_cuda()`` is this.)"""
    from . import backend

    previous = backend._swap_cupy(sys.modules[__name__])
    stats.reset()
    try:
        yield sys.modules[__name__]
    finally:
        backend._swap_cupy(*previous)
