"""Visible checks of chapter 01, "Why gradients".

    from graders.checks import ch01 as check
    check.central_difference(central_difference)
    check.numerical_gradient(numerical_gradient)

The expected values come from the engine: its autograd (the true derivative) and
``engine.testing.numerical_grad`` (central differences with a given step).
"""

from __future__ import annotations

import math

import numpy as np

import engine
from engine.testing import numerical_grad

from ._core import Case, fmt, run

__all__ = ["central_difference", "numerical_gradient"]


class Fn:
    """A test function written twice: on Python floats / NumPy arrays, and on engine tensors."""

    def __init__(self, label, on_numbers, on_tensors=None):
        self.label, self.on_numbers = label, on_numbers
        self.on_tensors = on_tensors or on_numbers

    def __call__(self, x):
        return self.on_numbers(x)

    def __repr__(self):
        return self.label


def autograd_derivative(fn: Fn, x) -> float | np.ndarray:
    """The true derivative (or gradient) of ``fn`` at ``x``, from the engine's backward."""
    t = engine.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    fn.on_tensors(t).backward()
    return t.grad.item() if t.grad.ndim == 0 else t.grad.numpy().copy()


def central_estimate(fn: Fn, x, h: float) -> float | np.ndarray:
    """Central differences with step ``h``, as the engine computes them."""
    if np.ndim(x) == 0:
        (g,) = numerical_grad(lambda a: fn(float(a)), np.asarray(x, dtype=np.float64), eps=h)
        return float(g)
    (g,) = numerical_grad(lambda a: fn(a), np.asarray(x, dtype=np.float64), eps=h)
    return g


# --- central_difference(f, x, h) -------------------------------------------------------------

SQUARE = Fn("f(x) = x**2", lambda x: x**2)
CUBE = Fn("f(x) = x**3", lambda x: x**3)
LESSON_LOSS = Fn("f(w) = (3w - 10)**2", lambda w: (3 * w - 10) ** 2)
WAVE = Fn("f(x) = sin(x) * x", lambda x: math.sin(x) * x, lambda t: t.sin() * t)

_CD_HINT = "estimate the slope from two points: (f(x + h) - f(x - h)) / (2 * h)."


def _slope_case(fn: Fn, x: float, h: float = 1e-5) -> Case:
    return Case(
        what=f"the slope of {fn.label} at x = {x:g}",
        inputs=f"f: {fn.label}, x = {x!r}, h = {h!r}",
        call=lambda student: student(fn, x, h),
        expected=autograd_derivative(fn, x),
        expected_note="the true slope, from the engine's autograd",
        hint=_CD_HINT,
        data={"fn": fn, "x": x, "h": h},
    )


def _step_case(fn: Fn, x: float, h: float) -> Case:
    true = autograd_derivative(fn, x)
    return Case(
        what=f"the estimate with a big step h = {h:g} (it must use the h it is given)",
        inputs=f"f: {fn.label}, x = {x!r}, h = {h!r}",
        call=lambda student: student(fn, x, h),
        expected=central_estimate(fn, x, h),
        tol=1e-9,
        expected_note=f"the central difference with this h; the true slope is {fmt(true)}",
        hint="use the step h passed in, not a fixed one of your own.",
        data={"fn": fn, "x": x, "h": h},
    )


def _diagnose_slope(case: Case, got) -> str | None:
    fn, x, h = case.data["fn"], case.data["x"], case.data["h"]
    try:
        value = float(got)
    except (TypeError, ValueError):
        return None

    def near(target):
        return math.isclose(value, target, rel_tol=1e-9, abs_tol=1e-9)

    forward = (fn(x + h) - fn(x)) / h
    backward = (fn(x) - fn(x - h)) / h
    if near(forward) or near(backward):
        return ("that is a one-sided difference, off by about h * f''(x) / 2. "
                "Step to both sides: (f(x + h) - f(x - h)) / (2 * h).")
    if near(2 * case.expected):
        return "twice the slope: x - h and x + h are 2h apart, so divide by 2 * h."
    if near(-case.expected):
        return "the sign is flipped: it is f(x + h) - f(x - h), in that order."
    if near(autograd_derivative(fn, x)) and "big step" in case.what:
        return "that is the exact slope, not the estimate with this h: use the h you are given."
    return None


def central_difference(student_fn) -> None:
    """Check ``central_difference(f, x, h)`` against the engine's autograd and central
    differences."""
    __tracebackhide__ = True
    cases = [
        _slope_case(SQUARE, 3.0),
        _slope_case(LESSON_LOSS, 2.0),
        _slope_case(CUBE, 2.0),
        _slope_case(WAVE, 0.7),
        _step_case(CUBE, 2.0, 0.1),
    ]
    run("central_difference", student_fn, cases, diagnose=_diagnose_slope)


# --- numerical_gradient(f, x, h) -------------------------------------------------------------

XS, YS = np.array([1.0, 2.0, 3.0, 4.0]), np.array([3.0, 5.0, 7.0, 9.0])
SUM_OF_SQUARES = Fn("f(p) = sum(p**2)", lambda p: float(np.sum(p**2)), lambda t: (t**2).sum())
LINE_FIT = Fn(
    "f(p) = mean((p[0] * xs + p[1] - ys)**2), xs = [1, 2, 3, 4], ys = [3, 5, 7, 9]",
    lambda p: float(np.mean((p[0] * XS + p[1] - YS) ** 2)),
    lambda t: ((t[0] * engine.tensor(XS) + t[1] - engine.tensor(YS)) ** 2).mean(),
)
MIXED = Fn("f(p) = p[0] * p[1] + sin(p[2])",
           lambda p: float(p[0] * p[1] + np.sin(p[2])),
           lambda t: t[0] * t[1] + t[2].sin())
CUBES = Fn("f(p) = sum(p**3)", lambda p: float(np.sum(p**3)), lambda t: (t**3).sum())

_NG_HINT = ("for each i: nudge x[i] by +h and by -h (the other entries unchanged), and put "
            "(f(x_plus) - f(x_minus)) / (2 * h) in entry i of an array shaped like x.")


def _unchanged(original: np.ndarray, passed: np.ndarray):
    def after(_result):
        if not np.array_equal(original, passed):
            return (f"your function changed x: it is now {fmt(passed)} instead of "
                    f"{fmt(original)} (nudge a copy, or put each entry back)")
        return None
    return after


def _gradient_case(fn: Fn, x, h: float = 1e-5, *, big_step: bool = False) -> Case:
    x = np.asarray(x, dtype=np.float64)
    passed = x.copy()
    if big_step:
        expected, tol = central_estimate(fn, x, h), 1e-9
        note = (f"central differences with this h; the true gradient is "
                f"{fmt(autograd_derivative(fn, x))}")
        what = f"the estimate with a big step h = {h:g} (it must use the h it is given)"
    else:
        expected, tol = autograd_derivative(fn, x), 1e-6
        note = "the true gradient, from the engine's autograd"
        what = f"the gradient of {fn.label.split(',')[0]} at p = {fmt(x)}"
    return Case(
        what=what, inputs=f"f: {fn.label}, x = {fmt(x)}, h = {h!r}",
        call=lambda student: student(fn, passed, h), expected=expected, tol=tol,
        expected_note=note, hint=_NG_HINT, after=_unchanged(x, passed),
        data={"fn": fn, "x": x, "h": h},
    )


def _diagnose_gradient(case: Case, got) -> str | None:
    fn, x, h = case.data["fn"], case.data["x"], case.data["h"]
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return None
    if got.shape != x.shape:
        return "return one number per entry of x: an array with x's shape (np.zeros_like(x))."
    if np.all(got == 0):
        return "all zeros: the loop never writes its estimate into the result."
    forward = np.array([(fn(x + h * e) - fn(x)) / h for e in np.eye(x.size)])
    if np.allclose(got, forward, rtol=1e-9, atol=1e-9):
        return "that is a one-sided difference: nudge each entry both ways, +h and -h."
    return None


def numerical_gradient(student_fn) -> None:
    """Check ``numerical_gradient(f, x, h)`` against the engine's autograd and central
    differences."""
    __tracebackhide__ = True
    cases = [
        _gradient_case(SUM_OF_SQUARES, [1.0, 2.0, 3.0]),
        _gradient_case(LINE_FIT, [0.0, 0.0]),
        _gradient_case(MIXED, [0.5, -1.5, 2.0]),
        _gradient_case(CUBES, [1.0, 2.0], 0.1, big_step=True),
    ]
    run("numerical_gradient", student_fn, cases, diagnose=_diagnose_gradient)
