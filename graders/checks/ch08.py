"""Visible checks of chapter 08, "Tensors and a training loop".

    from graders.checks import ch08 as check
    check.unbroadcast(unbroadcast)
    check.MatMul(MatMul)
    check.SGD(SGD)

``unbroadcast`` is compared with the engine's own helper (``engine.ops.dual.sum_to``), called
directly and then inside the engine (``engine.substitute(sum_to=...)``). ``MatMul`` stands in
for the engine's ``Mm`` (``engine.substitute(Mm=...)``) and is compared with it: values,
gradients, dtype, freeing, a recorded backward. ``SGD`` is stepped side by side with
``engine.optim.SGD`` on the same losses, and the parameters compared after every step.
"""

from __future__ import annotations

import math

import numpy as np

import engine
from engine.autograd import Function
from engine.ops import dual, linalg
from engine.optim.sgd import SGD as ENGINE_SGD

from ._judge import Trial, Wrong, array_text, run, same, tensor_text

__all__ = ["unbroadcast", "MatMul", "SGD"]

# The engine's own pieces, as they were when the checks were imported (never a substitute).
ENGINE_SUM_TO = dual.sum_to
ENGINE_MM = linalg.Mm
_FREED = "Trying to backward through the graph a second time"


def _plain(value):
    """A tensor, array or number as a float64 array (None stays None)."""
    if value is None:
        return None
    if isinstance(value, engine.Tensor):
        return value.detach().numpy().astype(np.float64)
    return np.asarray(value, dtype=np.float64)


def _shape_text(shape) -> str:
    return str(tuple(int(n) for n in shape))


# --- unbroadcast(grad, shape) -----------------------------------------------------------------

_UB_HINT = ("a gradient arrives shaped like the output. Sum it over the leading dimensions "
            "that broadcasting added (grad.ndim - len(shape) of them), and over every "
            "dimension where `shape` has a 1 and grad does not; then reshape to `shape`.")


def _grad_of_shape(shape) -> np.ndarray:
    """1, 2, 3, ... laid out in ``shape``: easy to sum in your head."""
    size = math.prod(shape)
    return np.arange(1.0, size + 1.0).reshape(shape)


def _ub_diagnosis(grad: np.ndarray, shape: tuple, got) -> str | None:
    expected = np.asarray(ENGINE_SUM_TO(grad, shape), dtype=np.float64)
    got_shape = tuple(np.shape(got))
    lead = grad.ndim - len(shape)
    if got_shape == grad.shape and grad.shape != shape:
        return ("that is the gradient unchanged: the input was smaller than the output, so "
                "sum over the dimensions broadcasting added or stretched.")
    if got_shape != expected.shape:
        squeezed = tuple(n for i, n in enumerate(shape)
                         if not (n == 1 and grad.shape[lead + i] != 1))
        if got_shape == squeezed:
            return (f"the summed dimensions are gone: shape {_shape_text(got_shape)}, but "
                    f"the input's shape is {_shape_text(shape)}. Keep them as size 1: finish "
                    f"with grad.reshape(shape).")
        if len(got_shape) == grad.ndim and lead > 0:
            return (f"{lead} leading dimension{'s' if lead > 1 else ''} too many: "
                    f"broadcasting added {lead} in front of the input's shape; sum "
                    f"{'them' if lead > 1 else 'it'} away (axes 0 to {lead - 1}).")
        return (f"the result must have the input's shape {_shape_text(shape)}; yours has "
                f"shape {_shape_text(got_shape)}. Broadcasting lines shapes up from the "
                f"right: compare shape[i] with grad.shape[grad.ndim - len(shape) + i].")
    ratio = grad.size / max(expected.size, 1)
    if ratio > 1 and np.allclose(np.asarray(got, dtype=float) * ratio, expected):
        return ("that is the average, not the sum: every use of an input sends back its "
                "whole gradient, and the uses add up (chapter 03). Sum, do not average.")
    return None


def _ub_direct_trial(what: str, grad_shape: tuple, shape: tuple) -> Trial:
    grad = _grad_of_shape(grad_shape)
    inputs = (f"grad = {array_text(grad)} (shape {_shape_text(grad_shape)}), "
              f"shape = {_shape_text(shape)}")

    def judge(student):
        expected = ENGINE_SUM_TO(grad.copy(), shape)
        want = (f"{array_text(expected)}  (shape {_shape_text(np.shape(expected))}, by the "
                f"engine's own sum_to)")
        passed = grad.copy()
        got = student(passed, shape)
        if got is None:
            return Wrong(want, "None", "return the summed gradient.")
        if isinstance(got, engine.Tensor):
            got = got.detach().numpy()
        try:
            got_array = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return Wrong(want, repr(got), "return an array (or, for a tensor, a tensor).")
        if not np.array_equal(passed, grad):
            return Wrong(want, f"{array_text(got_array)}, but grad was changed to "
                               f"{array_text(passed)}",
                         "do not modify grad in place: sum into new arrays.")
        if got_array.shape == np.shape(expected) and np.allclose(got_array, expected):
            return None
        return Wrong(want, f"{array_text(got_array)}  (shape {_shape_text(got_array.shape)})",
                     _ub_diagnosis(grad, shape, got_array))

    return Trial(what, inputs, judge, _UB_HINT)


def _ub_engine_trial() -> Trial:
    """Inside the engine: the gradients of a * b + c with b and c broadcast, and a number w."""
    a0 = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b0 = np.array([0.5, -1.0, 2.0])
    c0 = np.array([[1.0], [-1.0]])
    g = np.array([[1.0, -1.0, 2.0], [0.5, 3.0, -2.0]])

    def run_with(fn):
        leaves = {n: engine.tensor(v, requires_grad=True)
                  for n, v in (("a", a0), ("b", b0), ("c", c0), ("w", np.array(2.0)))}
        with engine.substitute(sum_to=fn):
            out = leaves["w"] * leaves["a"] * leaves["b"] + leaves["c"]
            out.backward(engine.tensor(g))
        return leaves

    def judge(student):
        want, got = run_with(ENGINE_SUM_TO), run_with(student)
        for name in "wabc":
            if not same(got[name].grad, want[name].grad):
                return Wrong(f"{name}.grad = {tensor_text(want[name].grad)}  (with the engine's "
                             f"own sum_to; shape {_shape_text(want[name].shape)})",
                             f"{name}.grad = {tensor_text(got[name].grad)}")
        return None

    return Trial("inside the engine: every gradient of w * a * b + c goes through your function",
                 f"w = tensor(2.), a = tensor({array_text(a0)}), b = tensor({array_text(b0)}), "
                 f"c = tensor({array_text(c0)}), all requires_grad=True; with "
                 f"engine.substitute(sum_to=unbroadcast): out = w * a * b + c; "
                 f"out.backward(g), g = {array_text(g)}",
                 judge, _UB_HINT)


def _tensor_error_hint(exc: BaseException) -> str | None:
    text = str(exc)
    if "keepdims" in text or "axis" in text or "unexpected keyword" in text:
        return ("a tensor's sum spells its arguments differently from NumPy's (dim=, keepdim=), "
                "so keyword arguments break on one or the other. Use what both have: "
                "grad.sum(axes) with a tuple of axes, then grad.reshape(shape).")
    return None


_TENSOR_HINT = ("when the backward pass is recorded (create_graph=True) the gradient is an engine "
                "tensor, not an array. Use only what both have: grad.ndim, grad.shape, "
                "grad.sum(axes) with a tuple of axes (no keywords) and grad.reshape(shape); "
                "no np.* functions, which turn a tensor into an array.")


def _ub_tensor_trial() -> Trial:
    grad = _grad_of_shape((2, 3))

    def judge(student):
        for shape in ((2, 1), (2, 3)):
            expected = ENGINE_SUM_TO(grad, shape)
            want = f"a tensor {array_text(expected)} of shape {_shape_text(shape)}"
            try:
                got = student(engine.tensor(grad), shape)
            except Exception as exc:
                if shape == (2, 3) and ("shape" in str(exc) or "size" in str(exc)):
                    return Wrong(want, f"an error for shape (2, 3), {type(exc).__name__}: "
                                       f"{exc}",
                                 "when there is nothing to sum, do not call grad.sum(()): "
                                 "NumPy's sum(()) sums nothing, but a tensor's sums "
                                 "everything (as in PyTorch). Call sum only if axes is not "
                                 "empty.")
                raise
            if not isinstance(got, engine.Tensor):
                return Wrong(want, f"a {type(got).__name__}: {got!r}",
                             "keep a tensor a tensor: call grad's own methods (grad.sum, "
                             "grad.reshape) rather than np.sum(grad), which makes an array and "
                             "loses the recording.")
            if not same(got, expected):
                return Wrong(want, f"{tensor_text(got)} (shape {_shape_text(got.shape)})",
                             _ub_diagnosis(grad, shape, got.detach().numpy()))
        return None

    return Trial("the gradient is a tensor (a recorded backward, create_graph=True)",
                 f"grad = engine.tensor({array_text(grad)}), shape = (2, 1), then shape = "
                 f"(2, 3)", judge, _TENSOR_HINT, _tensor_error_hint)


def _ub_second_derivative_trial() -> Trial:
    x0 = np.array([1.0, -2.0, 0.5])
    c0 = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])

    def second(fn):
        x = engine.tensor(x0, requires_grad=True)
        c = engine.tensor(c0)
        with engine.substitute(sum_to=fn):
            y = (x * x * c).sum()
            (first,) = engine.autograd.grad(y, x, create_graph=True)
            (again,) = engine.autograd.grad(first.sum(), x)
        return first, again

    def judge(student):
        (want1, want2), (got1, got2) = second(ENGINE_SUM_TO), second(student)
        if not same(got1, want1):
            return Wrong(f"dy/dx = {tensor_text(want1)}", f"dy/dx = {tensor_text(got1)}")
        if not same(got2, want2):
            return Wrong(f"d(sum of dy/dx)/dx = {tensor_text(want2)}",
                         f"d(sum of dy/dx)/dx = {tensor_text(got2)}")
        return None

    return Trial("a second derivative through broadcasting, inside the engine",
                 f"x = tensor({array_text(x0)}, requires_grad=True), c = tensor("
                 f"{array_text(c0)}); with engine.substitute(sum_to=unbroadcast): "
                 f"y = (x * x * c).sum(); first = autograd.grad(y, x, create_graph=True); "
                 f"autograd.grad(first.sum(), x)", judge, _TENSOR_HINT, _tensor_error_hint)


_UB_TRIALS = [
    ("a row reused for every row of the output", (2, 3), (3,)),
    ("a column reused for every column", (2, 3), (2, 1)),
    ("a 0-d tensor (one number) used everywhere", (2, 3), ()),
    ("nothing was broadcast: the gradient comes back as it is", (2, 3), (2, 3)),
    ("a dimension added in front and a dimension stretched", (4, 2, 3), (2, 1)),
    ("a size-1 dimension that was not stretched stays as it is", (3, 1, 2), (1, 1, 2)),
    ("two dimensions added in front", (2, 2, 3), (3,)),
]


def unbroadcast(student_fn) -> None:
    """Check ``unbroadcast(grad, shape)`` against the engine's own ``sum_to``."""
    __tracebackhide__ = True

    def problem(obj):
        return None if callable(obj) else f"expected a function, got {type(obj).__name__} {obj!r}"

    trials = [_ub_direct_trial(*t) for t in _UB_TRIALS]
    trials += [_ub_engine_trial(), _ub_tensor_trial(), _ub_second_derivative_trial()]
    run("unbroadcast", student_fn, trials, expected_kind=problem,
        missing_hint="run the exercise cell that defines `unbroadcast` first.")


# --- MatMul: a 2-D matrix product ---------------------------------------------------------------

_MM_HINT = ("forward returns a @ b and saves both inputs; backward returns "
            "(grad_output @ b.T, a.T @ grad_output): each gradient has its input's shape.")


def _mm_class_problem(obj):
    if not isinstance(obj, type):
        return f"expected a class, got {type(obj).__name__} {obj!r}"
    if not issubclass(obj, Function):
        return "`MatMul` is a class, but not an engine Function"
    if not getattr(obj, "_array_forward", False):
        return ("`MatMul` is built on Function, whose forward receives tensors; the engine's "
                "own ops are built on ArrayFunction")
    return None


def _describe(name, array, needs):
    flag = ", requires_grad=True" if needs else ""
    return f"{name} = tensor({array_text(array)}{flag})"


def _mm_candidates(a, b, g, k):
    """Gradients that common mistakes give for input ``k`` (0: a, 1: b), with what to say."""
    pairs = {
        0: [("grad_output @ b", lambda: g @ b), ("b @ grad_output", lambda: b @ g),
            ("b.T @ grad_output", lambda: b.T @ g), ("grad_output * b", lambda: g * b),
            ("a.T @ grad_output (the gradient of b)", lambda: a.T @ g)],
        1: [("a @ grad_output", lambda: a @ g), ("grad_output @ a", lambda: g @ a),
            ("grad_output.T @ a", lambda: g.T @ a), ("a * grad_output", lambda: a * g),
            ("grad_output @ b.T (the gradient of a)", lambda: g @ b.T)],
    }[k]
    own = a if k == 0 else b
    right = "grad_output @ b.T" if k == 0 else "a.T @ grad_output"
    why = ("grad_output is (n, m) and b.T is (m, k): their product is (n, k), the shape of a"
           if k == 0 else
           "a.T is (k, n) and grad_output is (n, m): their product is (k, m), the shape of b")
    found = []
    for text, make in pairs:
        try:
            with np.errstate(all="ignore"):
                value = make()
        except ValueError:
            continue
        if value.shape == own.shape:
            found.append((value, f"that is {text}. The gradient of "
                                 f"{'a' if k == 0 else 'b'} is {right}: {why}."))
    return found


def _mm_run(op, a0, b0, needs, g, dtype=engine.float64):
    a = engine.tensor(a0, dtype=dtype, requires_grad=needs[0])
    b = engine.tensor(b0, dtype=dtype, requires_grad=needs[1])
    with engine.substitute(Mm=op):
        out = a @ b
        out.backward(engine.tensor(g, dtype=dtype))
    return out, a, b


def _mm_trial(what, a0, b0, needs, g) -> Trial:
    a0, b0, g = (np.array(v, dtype=np.float64) for v in (a0, b0, g))

    def judge(student):
        ref_out, ref_a, ref_b = _mm_run(ENGINE_MM, a0, b0, needs, g)
        out, a, b = _mm_run(student, a0, b0, needs, g)
        node = out.grad_fn
        if node is None or getattr(type(node), "_forward_cls", None) is not student:
            return Wrong("out.grad_fn: a node of your MatMul", f"out.grad_fn = {node!r}",
                         "keep the class's name and base, class MatMul(ArrayFunction), and "
                         "return the product from forward.")
        if not same(out, ref_out):
            return Wrong(f"out = {tensor_text(ref_out)}  (a @ b, shape "
                         f"{_shape_text(ref_out.shape)})",
                         f"out = {tensor_text(out)} (shape {_shape_text(out.shape)})",
                         "forward(ctx, a, b) receives the two arrays and returns a @ b "
                         "(the matrix product; a * b would multiply entry by entry).")
        for k, (name, got, want) in enumerate((("a", a, ref_a), ("b", b, ref_b))):
            if not needs[k] or same(got.grad, want.grad):
                continue
            special = None
            if got.grad is not None:
                for wrong, text in _mm_candidates(a0, b0, g, k):
                    if same(got.grad, wrong):
                        special = text
                        break
            return Wrong(f"{name}.grad = {tensor_text(want.grad)}  (by the engine's own Mm)",
                         f"{name}.grad = {tensor_text(got.grad)}", special)
        return None

    inputs = (f"{_describe('a', a0, needs[0])}, {_describe('b', b0, needs[1])}; "
              f"out = a @ b; out.backward(g), g = {array_text(g)}")
    return Trial(what, inputs, judge, _MM_HINT, _mm_error_hint)


def _mm_error_hint(exc: BaseException) -> str | None:
    text = str(exc)
    if "could not be broadcast" in text or "must match the size" in text:
        return ("that multiplies entry by entry. The gradient of a matrix product is a matrix "
                "product too: grad_output @ b.T for a, a.T @ grad_output for b.")
    if "invalid gradient" in text:
        return ("a gradient must have the shape of its input. For a of shape (n, k) and b of "
                "shape (k, m), grad_output is (n, m): grad_output @ b.T is (n, k), and "
                "a.T @ grad_output is (k, m).")
    if "matmul" in text or "mismatch" in text or "aligned" in text:
        return ("the shapes do not fit. grad_output has the output's shape (n, m); a is "
                "(n, k) and b is (k, m). Which product of grad_output with b (or b.T) is "
                "(n, k)? Let the shapes decide: grad_output @ b.T, and a.T @ grad_output.")
    if "incorrect number of gradients" in text:
        return "return two gradients, one for a and one for b, in that order."
    return None


def _mm_vector_trial() -> Trial:
    v0, m0 = np.array([1.0, -1.0, 2.0]), np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
    g = np.array([2.0, -1.0])

    def grads(op):
        v = engine.tensor(v0, requires_grad=True)
        m = engine.tensor(m0, requires_grad=True)
        with engine.substitute(Mm=op):
            out = v @ m
            out.backward(engine.tensor(g))
        return out, v.grad, m.grad

    def judge(student):
        want, got = grads(ENGINE_MM), grads(student)
        for name, w, o in zip(("out", "v.grad", "m.grad"), want, got):
            if not same(o, w):
                return Wrong(f"{name} = {tensor_text(w)}", f"{name} = {tensor_text(o)}")
        return None

    return Trial("a vector times a matrix (the engine makes the vector a 1-row matrix first)",
                 f"v = tensor({array_text(v0)}), m = tensor({array_text(m0)}), both "
                 f"requires_grad=True; out = v @ m; out.backward(g), g = {array_text(g)}",
                 judge, _MM_HINT, _mm_error_hint)


def _mm_twice_trial() -> Trial:
    a0 = np.array([[1.0, 2.0], [-1.0, 0.5]])
    g = np.array([[1.0, 0.0], [2.0, -1.0]])

    def judge(student):
        results = []
        for op in (ENGINE_MM, student):
            a = engine.tensor(a0, requires_grad=True)
            with engine.substitute(Mm=op):
                (a @ a).backward(engine.tensor(g))
            results.append(a.grad)
        want, got = results
        if same(got, want):
            return None
        return Wrong(f"a.grad = {tensor_text(want)}  (g @ a.T + a.T @ g: both uses, added)",
                     f"a.grad = {tensor_text(got)}")

    return Trial("the same matrix on both sides: a @ a",
                 f"a = tensor({array_text(a0)}, requires_grad=True); (a @ a).backward(g), "
                 f"g = {array_text(g)}", judge,
                 "return both gradients even when a and b are the same tensor: the engine "
                 "adds them up.", _mm_error_hint)


def _mm_dtype_trial() -> Trial:
    a0, b0 = np.array([[1.0, 2.0, 3.0]]), np.array([[1.0], [0.5], [-1.0]])

    def judge(student):
        a = engine.tensor(a0, dtype=engine.float32, requires_grad=True)
        b = engine.tensor(b0, dtype=engine.float32, requires_grad=True)
        with engine.substitute(Mm=student):
            out = a @ b
            out.sum().backward()
        problems = [f"{n} is {t.dtype}" for n, t in (("out", out), ("a.grad", a.grad),
                                                       ("b.grad", b.grad))
                    if t is not None and t.dtype != engine.float32]
        if problems:
            return Wrong("out, a.grad and b.grad in float32, like the inputs",
                         ", ".join(problems),
                         "compute with the arrays you are given, in their own dtype: no "
                         "conversion to float64 (np.array(..., dtype=float)).")
        return None

    return Trial("float32 inputs give a float32 result and float32 gradients",
                 "a = tensor([[1., 2., 3.]], dtype=float32), b = tensor([[1.], [0.5], [-1.]], "
                 "dtype=float32), both requires_grad=True; (a @ b).sum().backward()",
                 judge, _MM_HINT, _mm_error_hint)


def _mm_freed_trial() -> Trial:
    def judge(student):
        a = engine.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        b = engine.tensor([[0.5], [-1.0]], requires_grad=True)
        with engine.substitute(Mm=student):
            out = (a @ b).sum()
            out.backward()
            try:
                out.backward()
            except RuntimeError as exc:
                if _FREED in str(exc):
                    return None
                raise
        return Wrong("RuntimeError: Trying to backward through the graph a second time (...)",
                     "no error: the second backward ran")

    return Trial("what forward keeps is saved with ctx.save_for_backward, so it can be freed",
                 "a = tensor([[1., 2.], [3., 4.]]), b = tensor([[0.5], [-1.]]), both "
                 "requires_grad=True; out = (a @ b).sum(); out.backward(); out.backward() again",
                 judge,
                 "save a and b with ctx.save_for_backward(a, b) and read them back with "
                 "ctx.saved_tensors, not as attributes of ctx: the engine frees what is saved "
                 "that way after backward, and a second backward then fails, as it should.",
                 _mm_error_hint)


def _mm_second_derivative_trial() -> Trial:
    a0 = np.array([[1.0, -1.0], [0.5, 2.0]])
    b0 = np.array([[2.0, 0.0, 1.0], [-1.0, 1.0, 0.5]])

    def derivatives(op):
        a = engine.tensor(a0, requires_grad=True)
        b = engine.tensor(b0, requires_grad=True)
        with engine.substitute(Mm=op):
            y = ((a @ b) ** 2).sum()
            (ga,) = engine.autograd.grad(y, a, create_graph=True)
            recorded = ga.grad_fn is not None
            (gb,) = engine.autograd.grad(ga.sum(), b)
        return ga, gb, recorded

    def judge(student):
        want_a, want_b, _ = derivatives(ENGINE_MM)
        got_a, got_b, recorded = derivatives(student)
        if not same(got_a, want_a):
            return Wrong(f"dy/da = {tensor_text(want_a)}", f"dy/da = {tensor_text(got_a)}")
        if not recorded:
            return Wrong("dy/da recorded (with a grad_fn), since create_graph=True",
                         "nothing was recorded")
        if not same(got_b, want_b):
            return Wrong(f"d(sum of dy/da)/db = {tensor_text(want_b)}",
                         f"d(sum of dy/da)/db = {tensor_text(got_b)}")
        return None

    return Trial("a recorded backward (create_graph=True): a second derivative",
                 f"a = tensor({array_text(a0)}), b = tensor({array_text(b0)}), both "
                 f"requires_grad=True; y = ((a @ b) ** 2).sum(); ga = autograd.grad(y, a, "
                 f"create_graph=True); autograd.grad(ga.sum(), b)", judge,
                 "write backward with operators only, grad_output @ b.T and a.T @ grad_output: "
                 "with create_graph=True the engine calls it on tensors, and @ and .T work on "
                 "tensors and arrays alike (np.matmul or b.transpose() do not).",
                 _mm_error_hint)


_MM_CASES = [
    ("a (2, 3) matrix times a (3, 4) matrix",
     [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
     [[1.0, 0.0, -1.0, 2.0], [0.5, 1.0, 0.0, -1.0], [2.0, -2.0, 1.0, 0.0]],
     (True, True), [[1.0, -1.0, 0.5, 2.0], [0.0, 1.0, -2.0, 1.0]]),
    ("two square matrices (a forgotten transpose shows here)",
     [[1.0, 2.0], [3.0, 4.0]], [[0.5, -1.0], [2.0, 1.0]], (True, True),
     [[1.0, 2.0], [-1.0, 0.5]]),
    ("a column times a row: (3, 1) @ (1, 2)",
     [[1.0], [2.0], [3.0]], [[-1.0, 4.0]], (True, True), [[1.0, 0.0], [2.0, -1.0], [0.5, 1.0]]),
    ("data times weights: only the weights require grad",
     [[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]], [[0.5, 1.0, -1.0], [2.0, 0.0, 1.0]],
     (False, True), [[1.0, 0.0, 1.0], [0.0, 2.0, -1.0], [1.0, 1.0, 1.0]]),
]


def MatMul(student_cls) -> None:  # noqa: N802 (named after the piece it checks)
    """Check ``MatMul`` against the engine's own ``Mm``, through the engine."""
    __tracebackhide__ = True
    trials = [_mm_trial(*c) for c in _MM_CASES]
    trials += [_mm_vector_trial(), _mm_twice_trial(), _mm_dtype_trial(), _mm_freed_trial(),
               _mm_second_derivative_trial()]
    run("MatMul", student_cls, trials, expected_kind=_mm_class_problem,
        missing_hint="define it as `class MatMul(ArrayFunction):` with the static methods "
                     "forward(ctx, a, b) and backward(ctx, grad_output), run that cell, then "
                     "this one.")


# --- SGD: an optimizer ------------------------------------------------------------------------

_SGD_HINT = ("for each parameter p with a gradient: g = p.grad (+ weight_decay * p); with "
             "momentum, v = g (a copy) on the first step and momentum * v + g after, and g = v; "
             "then p -= lr * g, in place, inside engine.no_grad().")


class _Quadratic:
    """loss = sum(c * (p - t)**2) over the parameters: a different pull on every entry."""

    def __init__(self, targets, weights):
        self.targets = [np.asarray(t, dtype=np.float64) for t in targets]
        self.weights = [np.asarray(c, dtype=np.float64) for c in weights]

    def __call__(self, params, used=None):
        used = range(len(params)) if used is None else used
        total = None
        for i in used:
            term = (engine.tensor(self.weights[i]) * (params[i] - engine.tensor(self.targets[i]))
                    ** 2).sum()
            total = term if total is None else total + term
        return total

    def grad(self, i, value):
        return 2 * self.weights[i] * (value - self.targets[i])


_QUAD = _Quadratic(targets=[[1.0, -2.0, 0.5], [3.0, 0.0]], weights=[[1.0, 0.5, 2.0], [0.25, 1.0]])
_INIT = [np.array([0.0, 1.0, -1.0]), np.array([1.0, 2.0])]


def _simulate(init, lr, momentum=0.0, weight_decay=0.0, steps=1, variant=None, used=None):
    """Parameter values after each step, in NumPy, for PyTorch's rule or a common mistake."""
    used = list(range(len(init))) if used is None else used
    params = [p.copy() for p in init]
    velocity: list = [None] * len(init)
    shared = None
    kept = [0.0] * len(init)  # the gradients summed so far, for a zero_grad that does nothing
    history = []
    for _ in range(steps):
        for i in used:
            g = _QUAD.grad(i, params[i])
            if variant == "accumulate":
                kept[i] = kept[i] + g
                g = kept[i]
            if variant == "wd-sign":
                g = g - weight_decay * params[i]
            elif variant != "wd-decoupled":
                g = g + weight_decay * params[i]
            if momentum:
                if variant == "ema":
                    velocity[i] = (1 - momentum) * g if velocity[i] is None else (
                        momentum * velocity[i] + (1 - momentum) * g)
                elif variant == "shared":
                    shared = g if shared is None else momentum * shared + g
                    velocity[i] = shared
                else:
                    velocity[i] = g if velocity[i] is None else momentum * velocity[i] + g
                g = velocity[i]
            params[i] = params[i] - lr * g
            if variant == "wd-decoupled":
                params[i] = params[i] - lr * weight_decay * params[i]
        history.append([p.copy() for p in params])
    return history


_VARIANT_HINTS = {
    "ema": ("that is an average of the gradients, v = momentum * v + (1 - momentum) * g. "
            "PyTorch's momentum adds the whole gradient: v = momentum * v + g (and v = g on "
            "the first step)."),
    "shared": ("the parameters share one velocity. Each parameter needs its own, kept from "
               "one step to the next (a list, or a dict keyed by position)."),
    "wd-sign": ("weight decay pulls the weights toward zero: add weight_decay * p to the "
                "gradient (g = p.grad + weight_decay * p)."),
    "accumulate": ("the gradients pile up: backward adds into .grad, so unless zero_grad() "
                   "clears them, each step uses the sum of every gradient so far. zero_grad() "
                   "sets each parameter's .grad to None."),
    "wd-decoupled": ("weight decay goes into the gradient, before the momentum: g = p.grad + "
                     "weight_decay * p, then the velocity, then p -= lr * v."),
}


def _make_params(init):
    return [engine.tensor(p, dtype=engine.float64, requires_grad=True) for p in init]


def _steps(opt_cls, config, *, steps, used=None, zero="none", generator=False):
    """Run ``steps`` optimizer steps on _QUAD; the parameters' values after each step."""
    params = _make_params(_INIT)
    opt = opt_cls(iter(params) if generator else params, **config)
    history = []
    for _ in range(steps):
        if zero == "none":
            opt.zero_grad()
        elif zero == "zeros":
            opt.zero_grad(set_to_none=False)
        _QUAD(params, used).backward()
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history, params


def _config_text(config) -> str:
    return ", ".join(f"{k}={v}" for k, v in config.items())


def _sgd_trial(what, config, *, steps, used=None, zero="none", generator=False,
               variants=(), hint=None) -> Trial:
    names = ["w", "v"]
    lr = config["lr"]

    def judge(student):
        want, _ = _steps(ENGINE_SGD, config, steps=steps, used=used, zero=zero)
        got, params = _steps(student, config, steps=steps, used=used, zero=zero,
                             generator=generator)
        for p, name in zip(params, names):
            if p.grad_fn is not None or not p.is_leaf or not p.requires_grad:
                return Wrong(f"{name} is still a leaf that requires grad",
                             f"{name} = {p!r}",
                             "update the parameters in place (p -= ...) inside "
                             "`with engine.no_grad():`, so the update is not recorded.")
        for step, (w_step, g_step) in enumerate(zip(want, got), 1):
            for k, (w, g) in enumerate(zip(w_step, g_step)):
                if np.allclose(g, w, rtol=1e-10, atol=1e-12):
                    continue
                special = None
                if np.allclose(g, _INIT[k]) and not np.allclose(w, _INIT[k]):
                    special = ("the parameter did not move. Change the tensor itself, in place "
                               "(p -= lr * g under engine.no_grad()): the model holds these "
                               "very tensor objects, so rebinding a name or a list entry "
                               "changes nothing they see.")
                    if generator:
                        special = ("params can be any iterable, even a generator that can be "
                                   "read only once (model.parameters() is one): keep "
                                   "self.params = list(params).")
                for variant in variants:
                    alt = _simulate(_INIT, lr, config.get("momentum", 0.0),
                                    config.get("weight_decay", 0.0), steps, variant, used)
                    if np.allclose(g, alt[step - 1][k], rtol=1e-10, atol=1e-12):
                        special = _VARIANT_HINTS[variant]
                        break
                return Wrong(f"{names[k]} = {array_text(w)} after step {step}  (by "
                             f"engine.optim.SGD)", f"{names[k]} = {array_text(g)}",
                             special or hint)
        return None

    loss = ("loss = sum(c * (p - t)**2) over two parameters w (3 numbers) and v (2 numbers)"
            if used is None else
            "loss = sum(c * (w - t)**2): only w is used, so v gets no gradient")
    zeroing = {"none": "opt.zero_grad()", "zeros": "opt.zero_grad(set_to_none=False)"}[zero]
    source = "iter([w, v])" if generator else "[w, v]"
    inputs = (f"{loss}; opt = SGD({source}, {_config_text(config)}); {steps} time"
              f"{'s' if steps > 1 else ''}: {zeroing}; loss.backward(); opt.step()")
    return Trial(what, inputs, judge, hint or _SGD_HINT, _sgd_error_hint)


def _sgd_error_hint(exc: BaseException) -> str | None:
    text = str(exc)
    if "leaf Variable that requires grad is being used in an in-place operation" in text:
        return ("the update must not be recorded: put the loop of step() inside "
                "`with engine.no_grad():`.")
    if "must match the size" in text or "could not be broadcast" in text:
        return ("shapes clash between parameters: each parameter needs its own velocity, "
                "kept from one step to the next (a list with one entry per parameter).")
    if "NoneType" in text:
        return ("a parameter that took no part in the loss has .grad None: skip it "
                "(if p.grad is None: continue).")
    if "unexpected keyword argument" in text or "positional argument" in text:
        return ("keep the signatures: SGD(params, lr=1e-3, momentum=0.0, weight_decay=0.0), "
                "step() and zero_grad(set_to_none=True).")
    return None


def _zero_grad_trial(set_to_none: bool) -> Trial:
    call = "opt.zero_grad()" if set_to_none else "opt.zero_grad(set_to_none=False)"

    def judge(student):
        params = _make_params(_INIT)
        opt = student(params, lr=0.1)
        _QUAD(params).backward()
        if set_to_none:
            opt.zero_grad()
        else:
            opt.zero_grad(set_to_none=False)
        for name, p in zip("wv", params):
            if set_to_none and p.grad is not None:
                return Wrong(f"{name}.grad = None", f"{name}.grad = {tensor_text(p.grad)}",
                             "zero_grad() sets each parameter's .grad to None: the next "
                             "backward then stores a fresh gradient instead of adding to "
                             "an old one.")
            if not set_to_none and (p.grad is None or not same(p.grad, np.zeros(p.shape))):
                return Wrong(f"{name}.grad = {array_text(np.zeros(p.shape))}",
                             f"{name}.grad = {tensor_text(p.grad)}",
                             "with set_to_none=False, fill the existing gradient with zeros: "
                             "p.grad.zero_().")
        return None

    what = ("zero_grad() sets every .grad to None" if set_to_none else
            "zero_grad(set_to_none=False) fills every .grad with zeros")
    return Trial(what, f"w, v = two parameters; opt = SGD([w, v], lr=0.1); loss.backward(); "
                       f"{call}", judge,
                 "zero_grad(set_to_none=True): for each parameter, p.grad = None, or, with "
                 "set_to_none=False, p.grad.zero_() where there is a gradient.",
                 _sgd_error_hint)


def _sgd_kind_problem(obj):
    if not isinstance(obj, type):
        return f"expected a class, got {type(obj).__name__} {obj!r}"
    missing = [m for m in ("step", "zero_grad") if not callable(getattr(obj, m, None))]
    if missing:
        return f"`SGD` has no method {' or '.join(missing)}"
    return None


_ALIAS_HINT = ("the velocity must be a copy of the first gradient (p.grad.clone(), or "
               "g + 0): if it is p.grad itself, zero_grad(set_to_none=False) zeroes it and the "
               "next backward adds into it, and your velocity changes behind your back.")


def SGD(student_cls) -> None:  # noqa: N802 (named after the piece it checks)
    """Check ``SGD`` step by step against ``engine.optim.SGD``."""
    __tracebackhide__ = True
    trials = [
        _sgd_trial("one step of plain gradient descent", {"lr": 0.1}, steps=1),
        _sgd_trial("plain gradient descent, three steps, parameters from a generator",
                   {"lr": 0.05}, steps=3, generator=True, variants=("accumulate",)),
        _sgd_trial("a parameter that gets no gradient is left alone", {"lr": 0.1}, steps=2,
                   used=[0]),
        _zero_grad_trial(True),
        _zero_grad_trial(False),
        _sgd_trial("momentum 0.9, four steps", {"lr": 0.05, "momentum": 0.9}, steps=4,
                   variants=("ema", "shared")),
        _sgd_trial("weight decay 0.1, three steps", {"lr": 0.1, "weight_decay": 0.1}, steps=3,
                   variants=("wd-sign",)),
        _sgd_trial("momentum and weight decay together, four steps",
                   {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.2}, steps=4,
                   variants=("ema", "shared", "wd-sign", "wd-decoupled")),
        _sgd_trial("momentum, with zero_grad(set_to_none=False) between steps",
                   {"lr": 0.05, "momentum": 0.9}, steps=3, zero="zeros", hint=_ALIAS_HINT),
    ]
    run("SGD", student_cls, trials, expected_kind=_sgd_kind_problem,
        missing_hint="define `class SGD:` with __init__(self, params, lr=1e-3, momentum=0.0, "
                     "weight_decay=0.0), step(self) and zero_grad(self, set_to_none=True), run "
                     "that cell, then this one.")
