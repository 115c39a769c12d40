"""Visible checks of chapter 12, "The GPU backend".

    from graders.checks import ch12 as check
    check.array_module(array_module)
    check.LogSumExp(LogSumExp)
    check.common_device(common_device)
    with check.installed(LogSumExp=LogSumExp, common_device=common_device):
        ...   # the engine runs on the student's pieces

The device cases run on ``engine.testing.fake_cuda()``, the CPU stand-in for CuPy, so every
check runs on any machine. ``array_module`` is compared with the engine's own dispatcher
(``engine.backend.array_module``), with CuPy there and without it. ``LogSumExp`` is compared
with the engine's op (``engine.ops.reduce.LogSumExp``): values (large scores and rows of
``-inf`` included), gradients for any ``grad_output``, second derivatives, dtypes, and on the
stand-in GPU, where the result and the gradient must stay on the device and nothing may be
copied to the host. ``common_device`` is compared with the engine's rule: the device chosen,
the arrays returned (the same objects, or CPU scalars moved), and PyTorch's error text.
"""

from __future__ import annotations

import contextlib

import numpy as np

import engine
import engine.backend as _backend
from engine.autograd import Function
from engine.ops import reduce as _reduce

from ._judge import Trial, Wrong, array_text, run

__all__ = ["array_module", "LogSumExp", "common_device", "installed"]

# The engine's own pieces, as they were when the checks were imported (never a substitute).
ENGINE_ARRAY_MODULE = _backend.array_module
ENGINE_LOGSUMEXP = _reduce.LogSumExp
ENGINE_COMMON_DEVICE = _backend.common_device
SAME_DEVICE = "Expected all tensors to be on the same device, but found at least two devices, "


def _host(value):
    """A tensor's or an array's values as a float64 NumPy array, wherever they live."""
    if value is None:
        return None
    if isinstance(value, engine.Tensor):
        value = value.detach()._data
    return engine.backend.to_device(value, engine.backend.CPU).astype(np.float64)


def _same(got, want, tol=1e-9) -> bool:
    if got is None or want is None:
        return got is None and want is None
    g, w = _host(got), _host(want)
    return g.shape == w.shape and bool(np.allclose(g, w, rtol=tol, atol=tol, equal_nan=True))


def _text(value) -> str:
    return "None" if value is None else array_text(_host(value))


@contextlib.contextmanager
def _no_cupy():
    """Within the block the engine has no CuPy (as on a machine without it)."""
    previous = _backend._swap_cupy(None, "CuPy is not importable (the check took it away)")
    try:
        yield
    finally:
        _backend._swap_cupy(*previous)


# --- array_module(x) --------------------------------------------------------------------------

_AM_HINT = ("return np for a NumPy array or a number; when engine.cuda.is_available(), get "
            "cupy = engine.backend.cupy_module() and return it for an instance of "
            "cupy.ndarray.")


def _module_name(module) -> str:
    if module is np:
        return "numpy"
    if engine.cuda.is_available() and module is _backend.cupy_module():
        return "CuPy (engine.backend.cupy_module())"
    if isinstance(module, str):
        return f"the string {module!r}"
    return repr(module)


def _am_wrong(got, want, hint=None) -> Wrong | None:
    if got is want:
        return None
    if isinstance(got, str):
        hint = "return the module itself (np, or the module cupy_module() returns), not its name."
    return Wrong(_module_name(want), _module_name(got), hint)


def _am_trial(what, inputs, make, *, fake=True, hint=None) -> Trial:
    def judge(student):
        context = engine.testing.fake_cuda() if fake else contextlib.nullcontext()
        with context:
            for x in make():
                wrong = _am_wrong(student(x), ENGINE_ARRAY_MODULE(x), hint)
                if wrong is not None:
                    return wrong
        return None

    return Trial(what, inputs, judge, hint or _AM_HINT, _am_error)


def _am_error(exc) -> str | None:
    if "unavailable" in str(exc) or "cupy" in str(exc).lower():
        return ("engine.backend.cupy_module() raises when CuPy cannot be used: check "
                "engine.cuda.is_available() first, and return np when it is False.")
    return None


def _am_without_cupy() -> Trial:
    def judge(student):
        with _no_cupy():
            for x in (np.ones(2), 1.5):
                wrong = _am_wrong(student(x), np)
                if wrong is not None:
                    return wrong
        return None

    return Trial("no CuPy on this machine", "CuPy cannot be used; array_module(np.ones(2)), "
                 "array_module(1.5)", judge,
                 "without CuPy every array is a NumPy array: return np, and do not call "
                 "engine.backend.cupy_module(), which raises.", _am_error)


def _am_cheap() -> Trial:
    def judge(student):
        calls = []
        saved = (engine.cuda.is_available, _backend.cupy_module)

        def counted(name, fn):
            def wrapper(*args, **kwargs):
                calls.append(name)
                return fn(*args, **kwargs)
            return wrapper

        with engine.testing.fake_cuda():
            engine.cuda.is_available = counted("engine.cuda.is_available()", saved[0])
            _backend.cupy_module = counted("engine.backend.cupy_module()", saved[1])
            try:
                got = student(np.ones(3))
            finally:
                engine.cuda.is_available, _backend.cupy_module = saved
        wrong = _am_wrong(got, np)
        if wrong is not None:
            return wrong
        if calls:
            return Wrong("np, answered by isinstance(x, np.ndarray) alone",
                         f"np, after calling {', '.join(dict.fromkeys(calls))}",
                         "every op calls array_module: test isinstance(x, np.ndarray) first and "
                         "return np at once, before asking anything about CuPy.")
        return None

    return Trial("the common case costs nothing", "array_module(np.ones(3)), CuPy in use",
                 judge, _AM_HINT, _am_error)


def _am_is_function(obj) -> str | None:
    return None if callable(obj) else f"expected a function, got {type(obj).__name__} {obj!r}"


def array_module(student) -> None:
    """Check ``array_module`` against ``engine.backend.array_module``."""
    __tracebackhide__ = True
    trials = [
        _am_trial("a NumPy array", "array_module(np.ones((2, 3)))", lambda: [np.ones((2, 3))],
                  fake=False),
        _am_trial("numbers: a Python float, a Python int, a NumPy scalar",
                  "array_module(2.5), array_module(3), array_module(np.float32(1.0))",
                  lambda: [2.5, 3, np.float32(1.0)], fake=False),
        _am_trial("a CuPy array (the stand-in)", "with engine.testing.fake_cuda() as cupy: "
                  "array_module(cupy.asarray(np.ones(3)))",
                  lambda: [_backend.cupy_module().asarray(np.ones(3))],
                  hint="a CuPy array is an instance of cupy.ndarray, where cupy = "
                       "engine.backend.cupy_module(): return that module for it."),
        _am_trial("a 0-d CuPy array, as reductions return", "array_module(cupy_array.sum())",
                  lambda: [_backend.cupy_module().asarray(np.ones(3)).sum()]),
        _am_trial("a NumPy array while CuPy is in use", "with engine.testing.fake_cuda(): "
                  "array_module(np.zeros(2)), array_module(2.0)", lambda: [np.zeros(2), 2.0]),
        _am_without_cupy(),
        _am_cheap(),
    ]
    run("array_module", student, trials, expected_kind=_am_is_function,
        missing_hint="run the exercise cell that defines `array_module` first.")


# --- LogSumExp --------------------------------------------------------------------------------

_LSE_HINT = ("forward: m = a.max(axis=dims, keepdims=True), an infinite m replaced by 0, "
             "y = m + xp.log(xp.exp(a - m).sum(axis=dims, keepdims=True)), reshaped unless "
             "keepdim; save (a, out). backward: g = grad_output.reshape(ctx.kept), return "
             "(g * dual.exp(a - y.reshape(ctx.kept)), None, None).")


def _lse_class_problem(obj) -> str | None:
    if not (isinstance(obj, type) and issubclass(obj, Function)):
        return f"expected an op class (a subclass of ArrayFunction), got {obj!r}"
    if not getattr(obj, "_array_forward", False):
        return ("LogSumExp must subclass ArrayFunction (its forward works on raw arrays), "
                "not Function")
    return None


def _lse_error(exc) -> str | None:
    text = str(exc)
    if "Implicit conversion to a NumPy array" in text or "Unsupported type" in text:
        return ("on the GPU your op met a NumPy function or a NumPy array: write every call "
                "with xp = array_module(a) (xp.exp, xp.log, xp.where), and array methods.")
    if "reshape" in text or "broadcast" in text or "size of tensor" in text:
        return ("reshape grad_output and the saved result to ctx.kept (a 1 in each reduced "
                "dimension) before multiplying: then they broadcast against a.")
    return None


def _run_lse(op, values, dims, keepdim, *, dtype=engine.float64, device="cpu", weights=None):
    """(value, gradient) of op on ``values``, with ``.backward(weights)`` or ``.sum()``."""
    x = engine.tensor(np.asarray(values), dtype=dtype, device=device, requires_grad=True)
    with engine.substitute(LogSumExp=op), np.errstate(all="ignore"):  # log 0 = -inf: fine
        y = x.logsumexp(dims if len(dims) != 1 else dims[0], keepdim=keepdim)
        if weights is None:
            y.sum().backward()
        else:
            y.backward(engine.tensor(weights, dtype=dtype, device=device))
    return y, x.grad


def _lse_trial(what, values, dims, keepdim, *, weights=None, dtype=engine.float64,
               hint=None) -> Trial:
    call = (f"x = tensor({array_text(np.asarray(values))}, requires_grad=True); "
            f"y = LogSumExp.apply(x, {dims}, {keepdim}); "
            + ("y.sum().backward()" if weights is None
               else f"y.backward({array_text(np.asarray(weights))})"))

    def judge(student):
        want_y, want_g = _run_lse(ENGINE_LOGSUMEXP, values, dims, keepdim, dtype=dtype,
                                  weights=weights)
        got_y, got_g = _run_lse(student, values, dims, keepdim, dtype=dtype, weights=weights)
        if not isinstance(got_y, engine.Tensor) or tuple(got_y.shape) != tuple(want_y.shape):
            shape = tuple(got_y.shape) if isinstance(got_y, engine.Tensor) else type(got_y)
            return Wrong(f"a result of shape {tuple(want_y.shape)}", f"{shape}",
                         "keep the reduced dimensions (size 1) when keepdim is True, drop them "
                         "otherwise: y.reshape(the shape without the dims in `dims`).")
        if not _same(got_y, want_y):
            special = None
            if not np.all(np.isfinite(_host(got_y))) and np.all(np.isfinite(_host(want_y))):
                special = ("exp overflowed: subtract m = a.max(axis=dims, keepdims=True) "
                           "before xp.exp, and add it back after the log.")
            elif np.any(np.isnan(_host(got_y))):
                special = ("where m is infinite, a - m is nan: use xp.where(xp.isinf(m), 0, m) "
                           "in place of m.")
            return Wrong(f"y = {_text(want_y)}", f"y = {_text(got_y)}", special)
        if got_y.dtype != want_y.dtype:
            return Wrong(f"y of dtype {want_y.dtype}", f"y of dtype {got_y.dtype}",
                         "compute in the input's dtype: after xp.where, .astype(a.dtype).")
        if not _same(got_g, want_g):
            return Wrong(f"x.grad = {_text(want_g)}  (the softmax, times grad_output)",
                         f"x.grad = {_text(got_g)}")
        return None

    return Trial(what, call, judge, hint or _LSE_HINT, _lse_error)


def _lse_second_derivative() -> Trial:
    z0 = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]])
    c0 = np.array([[1.0, 2.0, -1.0], [0.5, -1.0, 3.0]])

    def derivatives(op):
        x = engine.tensor(z0, requires_grad=True)
        with engine.substitute(LogSumExp=op):
            (g,) = engine.autograd.grad(x.logsumexp(1).sum(), x, create_graph=True)
            recorded = g.grad_fn is not None
            if not recorded:
                return g, None, False
            (gg,) = engine.autograd.grad((g * engine.tensor(c0)).sum(), x)
        return g, gg, recorded

    def judge(student):
        want_g, want_gg, _ = derivatives(ENGINE_LOGSUMEXP)
        got_g, got_gg, recorded = derivatives(student)
        if not _same(got_g, want_g):
            return Wrong(f"dy/dx = {_text(want_g)}", f"dy/dx = {_text(got_g)}")
        saved_hint = ("save the input and the result you return (ctx.save_for_backward(a, out)) "
                      "and compute exp(a - y) in backward with dual.exp: a softmax saved from "
                      "forward is a constant to the second derivative.")
        if not recorded:
            return Wrong("dy/dx recorded (with a grad_fn), since create_graph=True",
                         "nothing was recorded: dy/dx does not depend on x",
                         "with create_graph=True backward runs on tensors: write it with "
                         "operators, .reshape and dual.exp, and " + saved_hint[0].lower()
                         + saved_hint[1:])
        if not _same(got_gg, want_gg):
            return Wrong(f"d(sum(c * dy/dx))/dx = {_text(want_gg)}",
                         f"d(sum(c * dy/dx))/dx = {_text(got_gg)}", saved_hint)
        return None

    return Trial("a second derivative (a recorded backward)",
                 f"x = tensor({array_text(z0)}, requires_grad=True); g = autograd.grad("
                 f"x.logsumexp(1).sum(), x, create_graph=True); autograd.grad((g * c).sum(), x)",
                 judge, _LSE_HINT, _lse_error)


def _lse_on_gpu() -> Trial:
    z0 = np.array([[1.0, 2.0, 3.0, -1.0], [100.0, 99.0, 98.0, -100.0]])

    def judge(student):
        want_y, want_g = _run_lse(ENGINE_LOGSUMEXP, z0, (1,), False, dtype=engine.float32)
        with engine.testing.fake_cuda() as fake:
            x = engine.tensor(z0, dtype=engine.float32, device="cuda", requires_grad=True)
            fake.stats.reset()
            with engine.substitute(LogSumExp=student):
                y = x.logsumexp(1)
                y.sum().backward()
            syncs = fake.stats.syncs
            where = (y.device.type, None if x.grad is None else x.grad.device.type)
            got_y, got_g = _host(y), _host(x.grad)
        if where != ("cuda", "cuda"):
            return Wrong("the result and x.grad on cuda:0", f"on {where[0]} and {where[1]}",
                         "compute with xp = array_module(a): then the arrays you return live "
                         "where the input does.")
        if not (_same(got_y, want_y, 1e-6) and _same(got_g, want_g, 1e-6)):
            return Wrong(f"y = {_text(want_y)}, x.grad = {_text(want_g)}  (as on the CPU)",
                         f"y = {_text(got_y)}, x.grad = {_text(got_g)}")
        if syncs:
            return Wrong("no copy to the host", f"{syncs} cop{'y' if syncs == 1 else 'ies'} to "
                         "the host (.item(), float(), bool() or a print of a device array)",
                         "keep every value on the device: m stays an array "
                         "(a.max(axis=dims, keepdims=True)), never float(...) or .item().")
        return None

    return Trial("on the GPU (the stand-in), float32",
                 f"with engine.testing.fake_cuda(): x = tensor({array_text(z0)}, "
                 "device='cuda', requires_grad=True); x.logsumexp(1).sum().backward()",
                 judge, _LSE_HINT, _lse_error)


_MINUS_INF = float("-inf")


def LogSumExp(student_cls) -> None:  # noqa: N802 (named after the piece it checks)
    """Check ``LogSumExp`` against the engine's own op, through the engine."""
    __tracebackhide__ = True
    trials = [
        _lse_trial("two rows of scores, reduced along dim 1",
                   [[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]], (1,), False),
        _lse_trial("keepdim=True, reduced along dim 0", [[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]],
                   (0,), True),
        _lse_trial("two dimensions at once, (0, 2) of a (2, 3, 2) tensor",
                   np.arange(12.0).reshape(2, 3, 2) / 4 - 1, (0, 2), False),
        _lse_trial("a different weight for each row of a square input",
                   [[1.0, 2.0, 0.0], [-1.0, 0.5, 3.0], [2.0, 2.0, 2.0]], (1,), False,
                   weights=[1.0, -2.0, 0.5],
                   hint="grad_output holds one number per row: reshape it to ctx.kept so that "
                        "each row's softmax is multiplied by its own weight."),
        _lse_trial("large scores, float32", [[1000.0, 1000.5, 990.0]], (1,), False,
                   dtype=engine.float32),
        _lse_trial("rows of -inf: a masked row and a partly masked one",
                   [[_MINUS_INF, _MINUS_INF], [0.0, _MINUS_INF]], (1,), True,
                   weights=[[0.0], [1.0]]),
        _lse_second_derivative(),
        _lse_on_gpu(),
    ]
    with np.errstate(all="ignore"):  # inf and nan are values here, judged by the cases
        run("LogSumExp", student_cls, trials, expected_kind=_lse_class_problem,
            missing_hint="define it as `class LogSumExp(ArrayFunction):` with the static methods "
                         "forward(ctx, a, dims, keepdim) and backward(ctx, grad_output), run "
                         "that cell, then this one.")


# --- common_device(arrays) --------------------------------------------------------------------

_CD_HINT = ("device = the first device that is not the CPU (else the CPU); keep arrays already "
            "there as they are, move a 0-d CPU array with engine.backend.to_device(a, device), "
            "and raise RuntimeError(f\"Expected all tensors to be on the same device, but found "
            "at least two devices, {device} and {other}!\") for any other.")


def _kind(a) -> str:
    library = "CuPy" if _backend.device_of(a).type == "cuda" else "NumPy"
    return f"a {'0-d ' if a.ndim == 0 else ''}{library} array"


def _describe(arrays) -> str:
    return "common_device([" + ", ".join(_kind(a) for a in arrays) + "])"


def _outcome(fn, arrays):
    """('error', message) or ('ok', device, moved)."""
    try:
        device, moved = fn(list(arrays))
    except RuntimeError as exc:
        return ("error", str(exc))
    return ("ok", device, list(moved))


def _cd_trial(what, make) -> Trial:
    def judge(student):
        with engine.testing.fake_cuda():
            arrays = make()
            want = _outcome(ENGINE_COMMON_DEVICE, arrays)
            got = _outcome(student, arrays)
            if want[0] == "error":
                if got[0] != "error":
                    return Wrong(f"RuntimeError: {want[1]}",
                                 f"no error: device {got[1]}",
                                 "only a 0-d array on the CPU may be moved; for any other "
                                 "array on another device raise PyTorch's RuntimeError.")
                if got[1] != want[1]:
                    return Wrong(f"RuntimeError: {want[1]}", f"RuntimeError: {got[1]}",
                                 "PyTorch's words exactly; the first device is the one the op "
                                 "runs on (the first that is not the CPU), the second the "
                                 "device of the array that does not fit.")
                return None
            if got[0] == "error":
                return Wrong(f"device {want[1]}, no error", f"RuntimeError: {got[1]}",
                             "a 0-d array on the CPU is a scalar: move it to the device with "
                             "engine.backend.to_device(a, device) instead of raising.")
            _, device, moved = got
            if str(device) != str(want[1]):
                return Wrong(f"device {want[1]}", f"device {device!r}")
            if len(moved) != len(arrays):
                return Wrong(f"{len(arrays)} arrays, in order", f"{len(moved)} arrays")
            for i, (a, m, w) in enumerate(zip(arrays, moved, want[2])):
                if _backend.device_of(m) != _backend.device_of(w):
                    return Wrong(f"array {i} on {_backend.device_of(w)}",
                                 f"array {i} on {_backend.device_of(m)}")
                if w is a and m is not a:
                    return Wrong(f"array {i} returned as it is (the same object)",
                                 f"a copy of array {i}",
                                 "an array already on the device needs no copy: put the "
                                 "array itself in the list.")
                if not _same(m, w):
                    return Wrong(f"array {i} = {_text(w)}", f"array {i} = {_text(m)}")
        return None

    return Trial(what, "with engine.testing.fake_cuda(): " + what_call(make), judge, _CD_HINT)


def what_call(make) -> str:
    with engine.testing.fake_cuda():
        return _describe(make())


def _cupy():
    return _backend.cupy_module()


def common_device(student) -> None:
    """Check ``common_device`` against ``engine.backend.common_device``."""
    __tracebackhide__ = True
    trials = [
        _cd_trial("NumPy arrays only", lambda: [np.ones(3), np.array(2.0)]),
        _cd_trial("CuPy arrays only", lambda: [_cupy().asarray(np.ones(2)),
                                               _cupy().asarray(np.arange(2.0))]),
        _cd_trial("a CuPy array, then a NumPy vector",
                  lambda: [_cupy().asarray(np.ones(2)), np.ones(2)]),
        _cd_trial("a NumPy vector, then a CuPy array: the GPU is still named first",
                  lambda: [np.ones(2), _cupy().asarray(np.ones(2))]),
        _cd_trial("a CuPy array and a 0-d NumPy array (a scalar)",
                  lambda: [_cupy().asarray(np.arange(3.0)), np.array(5.0)]),
        _cd_trial("a 0-d CuPy array and a NumPy vector: only CPU scalars move",
                  lambda: [_cupy().asarray(np.ones(2)).sum(), np.ones(2)]),
        _cd_trial("two CPU scalars around a CuPy array",
                  lambda: [np.array(1.5), _cupy().asarray(np.ones(2)), np.array(-2.0)]),
    ]
    run("common_device", student, trials, expected_kind=_am_is_function,
        missing_hint="run the exercise cell that defines `common_device` first.")


# --- the student's pieces in the engine ---------------------------------------------------------

@contextlib.contextmanager
def installed(LogSumExp=None, common_device=None, array_module=None):  # noqa: N803
    """Within the block the engine uses the student's pieces: ``LogSumExp`` for
    ``x.logsumexp``, ``common_device`` to decide every device mix. (``array_module`` is
    accepted and not installed: every op imported the engine's when it was loaded.)"""
    with contextlib.ExitStack() as stack:
        if LogSumExp is not None:
            stack.enter_context(engine.substitute(LogSumExp=LogSumExp))
        if common_device is not None:
            saved = _backend.common_device
            _backend.common_device = common_device
            stack.callback(setattr, _backend, "common_device", saved)
        yield
