"""The visible checks: a correct piece passes quietly, a wrong one gets a readable verdict."""

from __future__ import annotations

import math

import numpy as np
import pytest

from graders.checks import CheckFailed
from graders.checks import ch01 as check


def central(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


def gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    for i in range(x.size):
        step = np.zeros_like(x, dtype=float)
        step[i] = h
        grad[i] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


def _failure(check_fn, piece) -> str:
    with pytest.raises(AssertionError) as info:
        check_fn(piece)
    assert isinstance(info.value, CheckFailed)
    return str(info.value)


def _readable(message: str, piece: str):
    """The message format: which case, the input, expected vs got, a hint."""
    lines = message.splitlines()
    assert lines[0].startswith(f"✗ {piece}: case ") and " failed: " in lines[0], message
    for label in ("input:", "expected:", "got:", "hint:"):
        assert any(line.strip().startswith(label) for line in lines), (label, message)
    assert "Traceback" not in message and "graders/" not in message


def test_correct_pieces_pass(capsys):
    assert check.central_difference(central) is None
    assert check.numerical_gradient(gradient) is None
    out = capsys.readouterr().out
    assert "✓ central_difference: all 5 cases pass." in out
    assert "✓ numerical_gradient: all 4 cases pass." in out


def test_forward_difference_is_caught_and_named():
    message = _failure(check.central_difference, lambda f, x, h=1e-5: (f(x + h) - f(x)) / h)
    _readable(message, "central_difference")
    assert "case 1 of 5" in message and "x = 3.0, h = 1e-05" in message
    assert "expected: 6.0" in message and "got:      6.00001" in message
    assert "one-sided difference" in message


def test_a_fixed_step_instead_of_h_is_caught():
    message = _failure(check.central_difference,
                       lambda f, x, h=1e-5: (f(x + 1e-6) - f(x - 1e-6)) / 2e-6)
    _readable(message, "central_difference")
    assert "case 5 of 5" in message and "h = 0.1" in message
    assert "expected: 12.01" in message  # the central difference with h = 0.1, from the engine
    assert "use the h you are given" in message


def test_not_written_yet():
    def stub(f, x, h=1e-5):
        raise NotImplementedError()

    message = _failure(check.central_difference, stub)
    _readable(message, "central_difference")
    assert "NotImplementedError: `central_difference` is not written yet" in message
    assert "replace `raise NotImplementedError()`" in message


def test_an_error_in_the_student_code_is_explained_not_raised():
    def broken(f, x, h=1e-5):
        return (f(x + h) - f(x - h)) / (2 * h * 0)

    message = _failure(check.central_difference, broken)
    _readable(message, "central_difference")
    assert "ZeroDivisionError" in message and "in your code, line" in message
    assert "return (f(x + h) - f(x - h)) / (2 * h * 0)" in message


def test_not_a_function():
    message = _failure(check.central_difference, 42)
    assert message.startswith("✗ central_difference: expected a function") and "hint:" in message


def test_gradient_that_changes_its_input():
    def in_place(f, x, h=1e-5):
        grad = np.zeros_like(x)
        for i in range(x.size):
            x[i] += h
            up = f(x)
            x[i] -= 2 * h
            grad[i] = (up - f(x)) / (2 * h)  # x[i] is never put back
        return grad

    message = _failure(check.numerical_gradient, in_place)
    _readable(message, "numerical_gradient")
    assert "your function changed x" in message


@pytest.mark.parametrize("wrong, words", [
    (lambda f, x, h=1e-5: np.zeros_like(x), "all zeros"),
    (lambda f, x, h=1e-5: 1.0, "x's shape"),
    (lambda f, x, h=1e-5: 2 * gradient(f, x, h), "got:      [ 4.,  8., 12.] (different values)"),
])
def test_wrong_gradients(wrong, words):
    message = _failure(check.numerical_gradient, wrong)
    _readable(message, "numerical_gradient")
    assert words in message, message


def test_expected_values_come_from_the_engine():
    assert check.autograd_derivative(check.WAVE, 0.7) == pytest.approx(
        math.cos(0.7) * 0.7 + math.sin(0.7), rel=1e-12)
    assert check.central_estimate(check.CUBE, 2.0, 0.1) == pytest.approx(12.01, rel=1e-12)
    np.testing.assert_allclose(check.autograd_derivative(check.LINE_FIT, [0.0, 0.0]), [-35, -12])


def test_failure_renders_without_a_traceback():
    error = CheckFailed("✗ piece: case 1 of 1 failed: x\n  hint:     y")
    rendered = error._render_traceback_()
    assert rendered[0].endswith("✗ piece: case 1 of 1 failed: x\x1b[0m")
    assert rendered[1:] == ["  hint:     y"]
