"""Visible checks of chapter 04, "Non-scalar outputs".

    from graders.checks import ch04 as check
    check.Sum(Sum)
    check.Pow(Pow)

Both are op classes whose backward computes a vector-Jacobian product. Each is checked
through the engine: inside ``engine.substitute(Sum=YourSum)`` (``PowScalar=YourPow`` for the
power, the engine's op for ``x ** c``) the engine's own ``x.sum(dim)`` or ``x ** c`` runs the
student's class, and the result and ``x.grad`` are compared with what the engine's built-in op
gives on the same inputs (float64): weighted outputs (``backward(v)``), keepdim, negative and
several dimensions, the awkward exponents, a gradient that flows on through the op, and a
recorded backward (``create_graph=True``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import engine
from engine.autograd import Function
from engine.ops import reduce, unary

from ._judge import Trial, Wrong, array_text, run, same, tensor_text

__all__ = ["Sum", "Pow"]

# The engine's own ops, as they were when the checks were imported (never a substitute).
ENGINE_OPS = {"Sum": reduce.Sum, "PowScalar": unary.PowScalar}
SLOT = {"Sum": "Sum", "Pow": "PowScalar"}  # piece -> the engine op it stands in for


def _op_class_problem(piece: str):
    def problem(obj):
        if not isinstance(obj, type):
            return f"expected a class, got {type(obj).__name__} {obj!r}"
        if not issubclass(obj, Function):
            return f"`{piece}` is a class, but not an engine Function"
        if not getattr(obj, "_array_forward", False):
            return (f"`{piece}` is built on Function, whose forward receives tensors; the "
                    f"engine's own ops are built on ArrayFunction")
        return None
    return problem


def _class_hint(piece: str) -> str:
    return (f"keep the exercise's `class {piece}(ArrayFunction):` with its given forward, "
            f"write backward, run that cell, then this one.")


@dataclass
class OpCase:
    """``out = expr(x)``, then ``out.backward(g)`` (``g`` None: ``out.backward()``)."""

    what: str
    x: np.ndarray
    expr_text: str
    expr: Callable
    g: np.ndarray | None = None
    direct: bool = True  # out is the op's own result (its grad_fn is the student's node)
    data: dict | None = None  # what the diagnosis needs: dims (Sum), c (Pow)


def _f64(values) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def _inputs_text(case: OpCase) -> str:
    shape = f" (shape {case.x.shape})" if case.x.ndim > 1 else ""
    run_ = ("out.backward()" if case.g is None
            else f"out.backward(v), v = {array_text(case.g)}")
    return (f"x = tensor({array_text(case.x)}, requires_grad=True){shape}; "
            f"out = {case.expr_text}; {run_}")


def _forward_backward(piece: str, op_cls, case: OpCase):
    x = engine.tensor(case.x.copy(), requires_grad=True)
    with engine.substitute(**{SLOT[piece]: op_cls}):
        out = case.expr(x)
        out.backward(None if case.g is None else engine.tensor(case.g))
    return out, x


# --- what common mistakes give ------------------------------------------------------------

def _sum_candidates(case: OpCase, want: np.ndarray) -> list[tuple[np.ndarray, str]]:
    shape, dims = case.x.shape, case.data["dims"]
    g = np.ones(()) if case.g is None else case.g
    found = []
    if not np.allclose(g, 1):
        found.append((np.ones(shape), "that is a gradient of ones: each entry of x must get "
                                      "grad_output's value for the sum it went into, not 1."))
    try:
        spread = np.broadcast_to(g, shape)
    except ValueError:
        spread = None
    if spread is not None and not np.allclose(spread, want):
        found.append((spread, "that is grad_output copied along the wrong dimension: "
                              "broadcasting lines shapes up from the right. Reshape "
                              "grad_output to the kept shape first (a 1 in every summed "
                              "dimension), then expand it to ctx.shape."))
    count = int(np.prod([shape[d] for d in dims])) if dims else 1
    if count > 1:
        found.append((want / count, f"that is the right gradient divided by {count}, the "
                                    "number of entries in each sum: that is the backward of "
                                    "a mean. A sum's entries each have weight 1."))
    return found


def _pow_candidates(case: OpCase, want: np.ndarray) -> list[tuple[np.ndarray, str]]:
    x, c = case.x, case.data["c"]
    g = np.ones_like(x) if case.g is None else case.g
    found = []
    with np.errstate(all="ignore"):
        if not np.allclose(g, 1):
            found.append((c * x ** (c - 1), "that is c * x ** (c - 1) alone: multiply it by "
                                            "grad_output, the gradient that arrives from "
                                            "above (the chain rule)."))
        if c != 1:
            found.append((g * x ** (c - 1), "the exponent c is missing in front: the "
                                            "derivative of x ** c is c * x ** (c - 1)."))
        found.append((g * c * x**c, "the power did not drop by one: the derivative of x ** c "
                                    "is c * x ** (c - 1)."))
        if c != 2:
            found.append((g * 2 * x, f"that is the derivative of x ** 2, but here c = {c!r}: "
                                     "use the exponent forward kept in ctx.exponent."))
    return found


def _op_trial(piece: str, case: OpCase, candidates) -> Trial:
    def judge(student):
        ref_out, ref_x = _forward_backward(piece, ENGINE_OPS[SLOT[piece]], case)
        out, x = _forward_backward(piece, student, case)
        node = out.grad_fn
        if case.direct and (node is None
                            or getattr(type(node), "_forward_cls", None) is not student):
            return Wrong(f"out.grad_fn: a node of your {piece}", f"out.grad_fn = {node!r}",
                         "keep the class's name, its base (ArrayFunction) and its given "
                         "forward.")
        if not same(out, ref_out):
            return Wrong(f"out = {tensor_text(ref_out)}  (by the engine's own op)",
                         f"out = {tensor_text(out)}",
                         "forward is given: keep it as it is, and return its result.")
        want, got = ref_x.grad, x.grad
        if same(got, want):
            return None
        special = None
        if got is not None and tuple(got.shape) == tuple(want.shape):
            values = got.numpy()
            if piece == "Pow" and case.data["c"] == 0 and np.isnan(values).any():
                special = ("x ** 0 is the constant 1, whose derivative is 0 everywhere; the "
                           "formula gives 0 * x ** -1, which is nan at x = 0. When "
                           "ctx.exponent == 0, return grad_output * 0.")
            for wrong, text in candidates(case, want.numpy()) if case.direct else ():
                if special is None and same(values, wrong):
                    special = text
        return Wrong(f"x.grad = {tensor_text(want)}  (by the engine's own op)",
                     f"x.grad = {tensor_text(got)}", special)

    return Trial(case.what, _inputs_text(case), judge, HINT[piece], _explain_error(piece))


HINT = {
    "Sum": "reshape grad_output to the kept shape (1 in each dimension of ctx.dims, the "
           "input's size elsewhere), expand it to ctx.shape, and return that gradient "
           "followed by None, None, None.",
    "Pow": "return (grad_output * c * x ** (c - 1), None), with x from ctx.saved_tensors and "
           "c = ctx.exponent; when c == 0, return (grad_output * 0, None).",
}
RETURNS = {
    "Sum": "four values: the gradient for a, then None for dims, keepdim and dtype (they are "
           "not tensors).",
    "Pow": "two values: the gradient for x, then None for the exponent (a number, not a "
           "tensor).",
}


def _explain_error(piece: str):
    """A hint for the errors a wrong backward makes the engine (or NumPy) raise."""
    def explain(exc: BaseException) -> str | None:
        text = str(exc)
        if "incorrect number of gradients" in text:
            return f"backward returns {RETURNS[piece]}"
        if "invalid gradient" in text:
            if piece == "Sum":
                return ("the gradient for a must have a's shape (ctx.shape), not the output's: "
                        "copy grad_output back along the summed dimensions with reshape, "
                        "then expand.")
            return "return a gradient shaped like x: grad_output times the derivative."
        if piece == "Sum" and "broadcast" in text:
            return ("reshape grad_output to the kept shape (a 1 in every summed dimension) "
                    "before expanding it: broadcasting lines shapes up from the right, so "
                    "the summed dimensions must be there, with size 1.")
        if "returned a gradient of type" in text or "Can't call numpy()" in text:
            tools = "reshape and expand" if piece == "Sum" else "Python operators (*, **)"
            return (f"write backward with {tools} only, not NumPy functions: with "
                    "create_graph=True the engine calls it on tensors.")
        if "cannot reshape" in text:
            return ("the kept shape has the input's size in every dimension that was not "
                    "summed and 1 in every summed one: the same number of entries as "
                    "grad_output.")
        return None
    return explain


def _second_derivative_trial(piece: str, what: str, x0, expr_text: str, expr) -> Trial:
    def derivatives(op_cls):
        x = engine.tensor(np.array(x0, dtype=np.float64), requires_grad=True)
        with engine.substitute(**{SLOT[piece]: op_cls}):
            (first,) = engine.autograd.grad(expr(x), x, create_graph=True)
            recorded = first.grad_fn is not None
            (second,) = engine.autograd.grad(first.sum(), x)
        return first, recorded, second

    def judge(student):
        ref_first, _, ref_second = derivatives(ENGINE_OPS[SLOT[piece]])
        first, recorded, second = derivatives(student)
        if not same(first, ref_first):
            return Wrong(f"first = {tensor_text(ref_first)}", f"first = {tensor_text(first)}")
        if not recorded:
            return Wrong("first recorded (it has a grad_fn), since create_graph=True",
                         "first has no grad_fn: nothing was recorded")
        if not same(second, ref_second):
            return Wrong(f"second = {tensor_text(ref_second)}",
                         f"second = {tensor_text(second)}")
        return None

    tools = "reshape and expand" if piece == "Sum" else "Python operators"
    return Trial(
        what,
        f"x = tensor({array_text(np.array(x0))}, requires_grad=True); y = {expr_text}; "
        f"first = autograd.grad(y, x, create_graph=True); second = "
        f"autograd.grad(first.sum(), x)",
        judge,
        f"write backward with {tools} only: with create_graph=True the engine calls it on "
        f"tensors, and records what it computes.",
        _explain_error(piece))


# --- Sum ----------------------------------------------------------------------------------

_M23 = _f64([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def _sum_case(what, x, dim, keepdim, g):
    x = _f64(x)
    dims = reduce.normalize_dims(dim, x.ndim)
    keep = ", keepdim=True" if keepdim else ""
    return OpCase(what, x, f"x.sum({dim!r}{keep})",
                  lambda t: t.sum(dim, keepdim=keepdim),
                  None if g is None else _f64(g), data={"dims": dims})


_SUM_CASES = [
    _sum_case("row sums of a 2 × 3 matrix, weighted by v (the lesson's example)",
              _M23, 1, False, [1.0, 10.0]),
    _sum_case("column sums: sum(0)", _M23, 0, False, [1.0, -2.0, 0.5]),
    _sum_case("row sums of a square matrix", [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0],
                                              [7.0, 8.0, 9.0]], 1, False, [1.0, 2.0, 3.0]),
    _sum_case("keepdim=True: grad_output already has the kept shape", _M23, 1, True,
              [[2.0], [-1.0]]),
    _sum_case("a negative dimension of a 3-d tensor: sum(-1)",
              np.arange(12.0).reshape(2, 2, 3), -1, False, [[1.0, 2.0], [3.0, 4.0]]),
    _sum_case("two dimensions at once: sum((0, 2))",
              np.arange(12.0).reshape(2, 3, 2), (0, 2), False, [1.0, -1.0, 2.0]),
    _sum_case("every dimension: sum((0, 1)) is one number, and backward() starts it with 1",
              [[1.0, 2.0], [3.0, 4.0]], (0, 1), False, None),
    _sum_case("a 0-d tensor: sum(0) has nothing to sum", 3.0, 0, False, 2.0),
    OpCase("the gradient flows on through the sum: (x.sum(1) ** 2).sum()", _M23,
           "(x.sum(1) ** 2).sum()", lambda t: (t.sum(1) ** 2).sum(), direct=False,
           data={"dims": (1,)}),
]


def Sum(student_cls) -> None:  # noqa: N802 (named after the piece it checks)
    """Check ``Sum``: values and gradients against the engine's own Sum, through the engine."""
    __tracebackhide__ = True
    trials = [_op_trial("Sum", c, _sum_candidates) for c in _SUM_CASES]
    trials.append(_second_derivative_trial(
        "Sum", "a recorded backward (create_graph=True): the second derivative through the sum",
        [[1.0, 2.0], [3.0, 4.0]], "(x.sum(1) ** 3).sum()", lambda t: (t.sum(1) ** 3).sum()))
    run("Sum", student_cls, trials, expected_kind=_op_class_problem("Sum"),
        missing_hint=_class_hint("Sum"))


# --- Pow ----------------------------------------------------------------------------------

def _pow_case(what, x, c, g, *, direct=True):
    x = _f64(x)
    return OpCase(what, x, f"x ** {c!r}", lambda t: t**c, None if g is None else _f64(g),
                  direct=direct, data={"c": c})


_POW_CASES = [
    _pow_case("the lesson's x ** 2 on a 2 × 2 matrix, with a gradient of ones",
              [[1.0, 2.0], [3.0, 4.0]], 2, [[1.0, 1.0], [1.0, 1.0]]),
    _pow_case("x ** 3, weighted by v", [1.0, -2.0, 0.5], 3, [1.0, 0.5, -2.0]),
    _pow_case("a fractional power: x ** 0.5", [0.25, 1.0, 4.0], 0.5, [1.0, 2.0, -1.0]),
    _pow_case("a negative power: x ** -2", [0.5, 1.0, 2.0], -2, [2.0, -1.0, 0.5]),
    _pow_case("x ** 1, at 0 too", [0.0, -3.0, 2.0], 1, [1.0, 2.0, 3.0]),
    _pow_case("x ** 0, the constant 1: its derivative is 0, at x = 0 too",
              [0.0, 2.0, -1.0], 0, [1.0, 1.0, 1.0]),
    OpCase("the gradient flows on through two powers: (x ** 2 + x ** 3).sum()",
           _f64([1.0, -1.0, 2.0]), "(x ** 2 + x ** 3).sum()",
           lambda t: (t**2 + t**3).sum(), direct=False, data={"c": None}),
]


def Pow(student_cls) -> None:  # noqa: N802
    """Check ``Pow`` (the engine's PowScalar, ``x ** c``) against the engine's own op."""
    __tracebackhide__ = True
    trials = [_op_trial("Pow", c, _pow_candidates) for c in _POW_CASES]
    trials.append(_second_derivative_trial(
        "Pow", "a recorded backward (create_graph=True): the second derivative of x ** 4 is "
               "12 x ** 2", [1.0, 2.0], "(x ** 4).sum()", lambda t: (t**4).sum()))
    run("Pow", student_cls, trials, expected_kind=_op_class_problem("Pow"),
        missing_hint=_class_hint("Pow"))
