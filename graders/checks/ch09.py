"""Visible checks of chapter 09, "Custom Functions and gradcheck".

    from graders.checks import ch09 as check
    check.Softplus(Softplus)
    check.gradcheck(gradcheck)

``Softplus`` (an ``engine.autograd.Function`` with a number argument ``beta``) is compared with
the reference math, log(1 + e^(beta x)) / beta and its derivative sigmoid(beta x), computed
stably in NumPy, and with the engine's own ``gradcheck``; the check also looks at what it
saves. The student's ``gradcheck`` must return True on correct backwards and raise the
engine's ``GradcheckError``, in PyTorch's words, on wrong ones.
"""

from __future__ import annotations

import numpy as np

import engine
from engine.autograd import Function, GradcheckError
from engine.autograd import gradcheck as engine_gradcheck

from ._judge import Trial, Wrong, array_text, run, same, tensor_text

__all__ = ["Softplus", "gradcheck"]

_FREED = "Trying to backward through the graph a second time"


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


def softplus_value(x, beta=1.0):
    """log(1 + e^(beta x)) / beta, without overflow."""
    return np.logaddexp(0.0, beta * np.asarray(x, dtype=np.float64)) / beta


# --- Softplus ------------------------------------------------------------------------------

_SP_HINT = ("forward(ctx, x, beta=1.0): save x with ctx.save_for_backward(x), keep beta on ctx "
            "(ctx.beta = beta), and return (relu(z) + log(1 + exp(-|z|))) / beta with "
            "z = beta * x. backward(ctx, grad_output): recompute sigmoid(beta * x) and return "
            "(grad_output * sigmoid(beta * x), None).")


def _sp_kind_problem(obj):
    if not isinstance(obj, type):
        return f"expected a class, got {type(obj).__name__} {obj!r}"
    if not issubclass(obj, Function):
        return "`Softplus` is a class, but not an engine Function (class Softplus(Function))"
    if getattr(obj, "_array_forward", False):
        return ("`Softplus` is built on ArrayFunction, whose forward receives raw arrays; a "
                "custom Function is built on engine.autograd.Function and receives tensors")
    return None


def _sp_error_hint(exc: BaseException) -> str | None:
    text = str(exc)
    if "incorrect number of gradients" in text:
        return ("backward returns one gradient per argument of forward: forward(ctx, x, beta) "
                "has two, so return (gradient for x, None); beta is a number, it has none.")
    if "returned a gradient of type" in text:
        return ("backward receives tensors and must return tensors: compute with tensor "
                "operations ((beta * x).sigmoid()), not NumPy functions.")
    if "saved_tensors" in text or "Trying to backward" in text:
        return ("read what forward saved with `(x,) = ctx.saved_tensors` (a tuple, even for "
                "one tensor).")
    return None


def _run_softplus(cls, x0, beta, g, dtype=engine.float64, create_graph=False):
    x = engine.tensor(x0, dtype=dtype, requires_grad=True)
    out = cls.apply(x) if beta is None else cls.apply(x, beta)
    grad_output = engine.tensor(g, dtype=dtype)
    if create_graph:
        (first,) = engine.autograd.grad(out, x, grad_outputs=grad_output, create_graph=True)
        return out, x, first
    out.backward(grad_output)
    return out, x, x.grad


def _sp_values_trial(what, x0, beta, g) -> Trial:
    x0, g = np.asarray(x0, dtype=np.float64), np.asarray(g, dtype=np.float64)
    b = 1.0 if beta is None else beta
    call = "Softplus.apply(x)" if beta is None else f"Softplus.apply(x, {beta})"

    def judge(student):
        out, x, grad = _run_softplus(student, x0, beta, g)
        node = out.grad_fn
        if node is None or getattr(type(node), "_forward_cls", None) is not student:
            return Wrong("out.grad_fn: a node of your Softplus (SoftplusBackward)",
                         f"out.grad_fn = {node!r}",
                         "call it as Softplus.apply(x, beta), and return the result of "
                         "forward.")
        want = softplus_value(x0, b)
        if not same(out, want):
            got = out.detach().numpy()
            hint = None
            if np.allclose(got, softplus_value(b * x0, 1.0)):
                hint = "that is log(1 + e^(beta x)): divide it by beta."
            elif np.allclose(got, softplus_value(x0, 1.0)):
                hint = "that is softplus with beta = 1: use the beta you are given."
            return Wrong(f"out = {array_text(want)}  (log(1 + e^(beta x)) / beta)",
                         f"out = {tensor_text(out)}", hint)
        want_grad = g * _sigmoid(b * x0)
        if not same(grad, want_grad):
            hint = None
            got = None if grad is None else grad.detach().numpy()
            if got is not None:
                if np.allclose(got, b * want_grad):
                    hint = ("that is beta times too big: the beta of the chain rule cancels "
                            "the 1 / beta, so the derivative is sigmoid(beta * x).")
                elif np.allclose(got, _sigmoid(b * x0)):
                    hint = ("multiply by grad_output, the gradient that arrives (the chain "
                            "rule): grad_output * sigmoid(beta * x).")
                elif np.allclose(got, g * _sigmoid(-b * x0)):
                    hint = "that is sigmoid(-beta x): the derivative is sigmoid(+beta * x)."
            return Wrong(f"x.grad = {array_text(want_grad)}  (g * sigmoid(beta x))",
                         f"x.grad = {tensor_text(grad)}", hint)
        return None

    return Trial(what, f"x = tensor({array_text(x0)}, requires_grad=True); out = {call}; "
                       f"out.backward(g), g = {array_text(g)}", judge, _SP_HINT, _sp_error_hint)


def _sp_large_trial() -> Trial:
    x0 = np.array([-100.0, -30.0, 0.0, 30.0, 100.0])

    def judge(student):
        out, x, grad = _run_softplus(student, x0, None, np.ones(5), dtype=engine.float32)
        got = out.detach().numpy()
        want = softplus_value(x0)
        if not np.all(np.isfinite(got)) or not np.allclose(got, want, rtol=1e-5, atol=1e-6):
            return Wrong(f"out = {array_text(want)}  (finite)", f"out = {tensor_text(out)}",
                         "e^100 does not fit in a float32: it overflows to inf. Compute "
                         "relu(z) + log(1 + exp(-|z|)) with z = beta * x: the same value, and "
                         "exp only ever sees numbers <= 0.")
        want_grad = _sigmoid(x0)
        if grad is None or not np.allclose(grad.detach().numpy(), want_grad, atol=1e-6):
            return Wrong(f"x.grad = {array_text(want_grad)}", f"x.grad = {tensor_text(grad)}",
                         "use (beta * x).sigmoid() in backward: it stays finite everywhere.")
        return None

    return Trial("large inputs in float32: the result stays finite",
                 f"x = tensor({array_text(x0)}, dtype=float32, requires_grad=True); "
                 "out = Softplus.apply(x); out.sum().backward()", judge, _SP_HINT, _sp_error_hint)


def _sp_saved_trial() -> Trial:
    def judge(student):
        x = engine.tensor([0.5, -1.0, 2.0], dtype=engine.float64, requires_grad=True)
        out = student.apply(x, 2.0)
        saved = out.grad_fn.saved_tensors
        if len(saved) != 1 or not same(saved[0], x.detach()):
            shown = ", ".join(tensor_text(t) if isinstance(t, engine.Tensor) else repr(t)
                              for t in saved)
            return Wrong("one saved tensor: x itself (sigmoid is recomputed in backward)",
                         f"{len(saved)} saved: {shown}",
                         "save only the input, ctx.save_for_backward(x), and compute "
                         "sigmoid(beta * x) again in backward: one tensor kept instead of two.")
        out.sum().backward()
        try:
            out.sum().backward()
        except RuntimeError as exc:
            if _FREED in str(exc):
                return None
            raise
        return Wrong("RuntimeError: Trying to backward through the graph a second time (...)",
                     "no error: the second backward ran",
                     "keep x with ctx.save_for_backward(x), not as ctx.x = x: the engine frees "
                     "what is saved that way once backward has run.")

    return Trial("forward saves only x, with ctx.save_for_backward, and the engine frees it",
                 "x = tensor([0.5, -1., 2.], requires_grad=True); out = Softplus.apply(x, 2.0); "
                 "out.grad_fn.saved_tensors; out.sum().backward() twice", judge, _SP_HINT,
                 _sp_error_hint)


def _sp_gradcheck_trial() -> Trial:
    x0 = np.array([[0.3, -1.2, 2.0], [-0.4, 0.9, -2.5]])

    def judge(student):
        x = engine.tensor(x0, dtype=engine.float64, requires_grad=True)
        try:
            engine_gradcheck(lambda t: student.apply(t, 1.5), (x,))
        except GradcheckError as exc:
            return Wrong("gradcheck returns True",
                         "GradcheckError: " + str(exc).splitlines()[0], None)
        return None

    return Trial("engine.autograd.gradcheck agrees (float64, beta = 1.5)",
                 f"x = tensor({array_text(x0)}, dtype=float64, requires_grad=True); "
                 "engine.autograd.gradcheck(lambda t: Softplus.apply(t, 1.5), (x,))",
                 judge, _SP_HINT, _sp_error_hint)


def _sp_second_derivative_trial() -> Trial:
    x0, beta = np.array([-1.0, 0.0, 0.5, 2.0]), 1.5

    def judge(student):
        out, x, first = _run_softplus(student, x0, beta, np.ones(4), create_graph=True)
        if first.grad_fn is None:
            return Wrong("a recorded first derivative (with a grad_fn), since create_graph=True",
                         f"{first!r}",
                         "compute the gradient with tensor operations on the tensors backward "
                         "receives: then the engine records them and can differentiate again.")
        (second,) = engine.autograd.grad(first.sum(), x)
        s = _sigmoid(beta * x0)
        want = beta * s * (1 - s)
        if not same(second, want):
            return Wrong(f"second derivative = {array_text(want)}  (beta s (1 - s), "
                         f"s = sigmoid(beta x))", f"{tensor_text(second)}", None)
        return None

    return Trial("a second derivative (create_graph=True) goes through your backward",
                 f"x = tensor({array_text(x0)}, requires_grad=True); out = Softplus.apply(x, "
                 f"{beta}); first = autograd.grad(out, x, ones, create_graph=True); "
                 "autograd.grad(first.sum(), x)", judge,
                 "write backward with tensor operations only ((beta * x).sigmoid(), *, +): "
                 "with create_graph=True they are recorded, and the derivative of your "
                 "derivative comes for free.", _sp_error_hint)


def Softplus(student_cls) -> None:  # noqa: N802 (named after the piece it checks)
    """Check ``Softplus`` against the reference math and the engine's gradcheck."""
    __tracebackhide__ = True
    trials = [
        _sp_values_trial("values and gradients with the default beta = 1",
                         [-3.0, -0.5, 0.0, 0.5, 3.0], None, [1.0, -2.0, 0.5, 1.0, 3.0]),
        _sp_values_trial("beta = 2.5, a Python number argument (its gradient is None)",
                         [-1.0, -0.2, 0.0, 0.4, 1.5], 2.5, [1.0, 1.0, -1.0, 2.0, 0.5]),
        _sp_values_trial("a matrix, beta = 0.5", [[1.0, -2.0], [4.0, 0.0]], 0.5,
                         [[1.0, 0.5], [-1.0, 2.0]]),
        _sp_large_trial(),
        _sp_saved_trial(),
        _sp_gradcheck_trial(),
        _sp_second_derivative_trial(),
    ]
    run("Softplus", student_cls, trials, expected_kind=_sp_kind_problem,
        missing_hint="define it as `class Softplus(Function):` with the static methods "
                     "forward(ctx, x, beta=1.0) and backward(ctx, grad_output), run that cell, "
                     "then this one.")


# --- gradcheck ------------------------------------------------------------------------------

class _Square(Function):
    """x * x, with a correct backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g


class _HalfSquare(Function):
    """x * x, whose backward forgets the 2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return x * g


def _scaled_product(factor_a, factor_b):
    """a * b whose backward scales each gradient by a factor (1: correct)."""

    class ScaledProduct(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b * factor_a, g * a * factor_b

    return ScaledProduct


class _DiagonalSoftmax(Function):
    """softmax, whose backward keeps only the diagonal of the Jacobian."""

    @staticmethod
    def forward(ctx, x):
        e = (x - x.max()).exp()
        s = e / e.sum()
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        return g * s * (1 - s)


def _f64(values, requires_grad=True):
    return engine.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


_GC_HINT = ("numerical Jacobian: for each entry k of each input that requires grad, evaluate "
            "func with the entry moved by +eps and by -eps (under engine.no_grad()); column k "
            "is (f(+) - f(-)) / (2 eps). Analytical Jacobian: for each entry r of the output, "
            "engine.autograd.grad(out, inputs, grad_outputs=one-hot r, retain_graph=True, "
            "allow_unused=True) gives row r. Return True if |a - n| <= atol + rtol * |n| "
            "everywhere, else raise GradcheckError.")


def _is_true(value) -> bool:
    return isinstance(value, (bool, np.bool_)) and bool(value)


def _grads_untouched(inputs) -> str | None:
    for k, t in enumerate(inputs):
        if isinstance(t, engine.Tensor) and t.grad is not None:
            return f"input {k}'s .grad = {tensor_text(t.grad)}"
    return None


def _gc_pass_trial(what, inputs_text, build, **options) -> Trial:
    def judge(student):
        func, inputs = build()
        before = [t.detach().numpy().copy() for t in inputs if isinstance(t, engine.Tensor)]
        try:
            got = student(func, inputs, **options)
        except GradcheckError as exc:
            return Wrong("True: this backward is right", "GradcheckError: "
                         + str(exc).splitlines()[0],
                         "a correct backward was rejected. Check the numerical column "
                         "(f(x + eps) - f(x - eps)) / (2 * eps), the analytical row from a "
                         "one-hot grad_outputs, and the rule |a - n| <= atol + rtol * |n|.")
        if not _is_true(got):
            return Wrong("True", repr(got), "return True when every Jacobian agrees.")
        after = [t.detach().numpy() for t in inputs if isinstance(t, engine.Tensor)]
        if any(not np.array_equal(b, a) for b, a in zip(before, after)):
            return Wrong("the inputs as they were", "an input's values changed",
                         "perturb copies of the inputs (or put every entry back): gradcheck "
                         "must not change them.")
        problem = _grads_untouched(inputs)
        if problem:
            return Wrong("every input's .grad still None", problem,
                         "gradcheck must leave .grad alone: use engine.autograd.grad, which "
                         "returns the gradients, instead of backward(), which adds them into "
                         ".grad.")
        return None

    extra = "".join(f", {k}={v}" for k, v in options.items())
    return Trial(what, f"{inputs_text}; gradcheck(func, inputs{extra})", judge, _GC_HINT,
                 _gc_error_hint)


def _gc_fail_trial(what, inputs_text, build, index, hint=None, **options) -> Trial:
    head = f"Jacobian mismatch for output 0 with respect to input {index},"

    def judge(student):
        func, inputs = build()
        try:
            got = student(func, inputs, **options)
        except GradcheckError as exc:
            text = str(exc)
            lines = text.splitlines()
            if lines and lines[0] == head and len(lines) > 1 and lines[1].startswith(
                    "numerical:") and "\nanalytical:" in text:
                return None
            numbering = None
            if lines and lines[0].startswith("Jacobian mismatch for output 0 with respect to "
                                             "input") and lines[0] != head:
                numbering = ("number the inputs as PyTorch does: count only the inputs that "
                             "require grad (an input that does not is skipped, and not "
                             "counted).")
            return Wrong(f"GradcheckError: {head}\\nnumerical:<the numerical Jacobian>"
                         f"\\nanalytical:<the analytical Jacobian>",
                         "GradcheckError: " + repr(text[:160]),
                         numbering or "write the message in PyTorch's words: f\"Jacobian mismatch "
                                 "for output 0 with respect to input {j},\\nnumerical:{n}"
                                 "\\nanalytical:{a}\\n\", with n and a the two Jacobians as "
                                 "tensors (engine.tensor(n)).")
        except Exception as exc:
            return Wrong(f"GradcheckError: {head} ...",
                         f"{type(exc).__name__}: {str(exc)[:120]}",
                         "raise engine.autograd.GradcheckError (imported at the top), not "
                         "another exception.")
        if got is False:
            return Wrong(f"GradcheckError: {head} ...", "False",
                         "on a mismatch, raise GradcheckError with the message: it tells the "
                         "user which input is wrong and shows both Jacobians.")
        return Wrong(f"GradcheckError: {head} ...", f"{got!r}: the mismatch was not found",
                     hint)

    extra = "".join(f", {k}={v}" for k, v in options.items())
    return Trial(what, f"{inputs_text}; gradcheck(func, inputs{extra})", judge, _GC_HINT,
                 _gc_error_hint)


def _gc_error_hint(exc: BaseException) -> str | None:
    text = str(exc)
    if "does not require grad and does not have a grad_fn" in text:
        return ("evaluate the output for the analytical Jacobian with recording on (not under "
                "engine.no_grad()), and only ask for gradients of inputs that require grad.")
    if "One of the differentiated Tensors appears to not have been used" in text:
        return "pass allow_unused=True to engine.autograd.grad, and treat a None as zeros."
    if "a second time" in text:
        return ("backward frees the graph: pass retain_graph=True to every "
                "engine.autograd.grad call, since you go through the same graph once per "
                "output entry.")
    if "grad can be implicitly created only for scalar outputs" in text:
        return ("the output has several entries: pass grad_outputs, a one-hot tensor shaped "
                "like the output, to get one row of the Jacobian.")
    return None


def _build_sin():
    x = _f64([0.5, -1.0, 2.0, 0.1])
    return (lambda t: t.sin() * t), (x,)


def _build_matmul():
    a = _f64([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])
    b = _f64([[0.5, -1.0], [2.0, 1.0], [0.0, 1.5]])
    return (lambda p, q: p @ q), (a, b)


def _build_rows():
    x = _f64([[0.2, -0.4, 1.0], [1.5, 0.3, -2.0], [0.0, 0.7, 0.1]])
    return (lambda t: t.sigmoid().sum(dim=1)), (x,)


def _build_scalar():
    x = _f64([1.0, -2.0, 0.5])
    return (lambda t: (t**3).sum()), (x,)


def _build_constant_first():
    c = _f64([2.0, -1.0, 0.5], requires_grad=False)
    b = _f64([1.0, 3.0, -2.0])
    return (lambda p, q: p * q.exp()), (c, b)


def _build_square():
    return _Square.apply, (_f64([1.5, -0.5, 2.0]),)


def _build_half_square():
    return _HalfSquare.apply, (_f64([1.5, -0.5, 2.0]),)


def _build_second_wrong():
    return _scaled_product(1.0, 2.0).apply, (_f64([1.0, 2.0, -1.0]), _f64([0.5, -3.0, 2.0]))


def _build_constant_then_wrong():
    c = _f64([1.0, 2.0, -1.0], requires_grad=False)
    return _scaled_product(1.0, 2.0).apply, (c, _f64([0.5, -3.0, 2.0]))


def _build_slightly_off(factor):
    def build():
        return _scaled_product(factor, 1.0).apply, (_f64([1.0, 2.0, -3.0]), _f64([2.0, 1.0, 4.0]))
    return build


def _build_softmax():
    return _DiagonalSoftmax.apply, (_f64([0.5, -1.0, 2.0, 0.0]),)


def _build_cube_at_one():
    return (lambda t: t**3), (_f64([1.0]),)


def gradcheck(student_fn) -> None:
    """Check ``gradcheck(func, inputs, eps, atol, rtol)``: True on right backwards, PyTorch's
    GradcheckError on wrong ones."""
    __tracebackhide__ = True

    def problem(obj):
        return None if callable(obj) else f"expected a function, got {type(obj).__name__} {obj!r}"

    trials = [
        _gc_pass_trial("a right backward: sin(x) * x", "x = tensor([0.5, -1., 2., 0.1], "
                       "float64, requires_grad=True); func = lambda t: t.sin() * t",
                       _build_sin),
        _gc_pass_trial("a custom Function with a right backward", "x = tensor([1.5, -0.5, 2.], "
                       "float64, requires_grad=True); func = Square.apply (x * x, backward "
                       "2 * x * g)", _build_square),
        _gc_fail_trial("a custom Function whose backward forgets a factor 2",
                       "x = tensor([1.5, -0.5, 2.], float64, requires_grad=True); func = "
                       "HalfSquare.apply (x * x, backward x * g)", _build_half_square, 0),
        _gc_pass_trial("two inputs: a matrix product", "a: (2, 3), b: (3, 2), float64, both "
                       "requires_grad=True; func = lambda p, q: p @ q", _build_matmul),
        _gc_pass_trial("an output of another shape: sigmoid, summed along rows",
                       "x: (3, 3) float64, requires_grad=True; func = lambda t: "
                       "t.sigmoid().sum(dim=1)", _build_rows),
        _gc_pass_trial("a single number as output", "x = tensor([1., -2., 0.5], float64, "
                       "requires_grad=True); func = lambda t: (t ** 3).sum()", _build_scalar),
        _gc_pass_trial("an input that does not require grad", "c = tensor([2., -1., 0.5]) "
                       "(no grad), b = tensor([1., 3., -2.], requires_grad=True); func = "
                       "lambda p, q: p * q.exp()", _build_constant_first),
        _gc_fail_trial("the second gradient is wrong", "a, b: float64 vectors, both "
                       "requires_grad=True; func = a Function a * b whose backward returns "
                       "(g * b, 2 * g * a)", _build_second_wrong, 1),
        _gc_fail_trial("a wrong gradient for the only input that requires grad, after one "
                       "that does not", "c (no grad), b (requires_grad=True); func = a "
                       "Function c * b whose backward returns (g * b, 2 * g * c)",
                       _build_constant_then_wrong, 0),
        _gc_fail_trial("a wrong backward that gets the diagonal right: softmax",
                       "x = tensor([0.5, -1., 2., 0.], float64, requires_grad=True); func = "
                       "softmax whose backward returns g * s * (1 - s)", _build_softmax, 0),
        _gc_pass_trial("a gradient off by 0.02% passes (rtol = 0.001)", "a, b: float64 vectors; "
                       "func = a * b whose backward scales a's gradient by 1.0002",
                       _build_slightly_off(1.0002)),
        _gc_fail_trial("a gradient off by 0.5% fails (rtol = 0.001)", "a, b: float64 vectors; "
                       "func = a * b whose backward scales a's gradient by 1.005",
                       _build_slightly_off(1.005), 0),
        _gc_pass_trial("a looser tolerance is honoured", "a, b: float64 vectors; func = a * b "
                       "whose backward scales a's gradient by 1.005", _build_slightly_off(1.005),
                       rtol=0.01),
        _gc_fail_trial("the eps it is given is used: a big step shows the curvature of x**3",
                       "x = tensor([1.], float64, requires_grad=True); func = lambda t: t ** 3 "
                       "(numerically, with eps = 0.5: 3.25; analytically 3)",
                       _build_cube_at_one, 0, eps=0.5,
                       hint="move each entry by the eps passed in, not by a fixed step: "
                            "with eps = 0.5 the central difference of x**3 at 1 is 3.25."),
    ]
    run("gradcheck", student_fn, trials, expected_kind=problem,
        missing_hint="run the exercise cell that defines `gradcheck` first.")
