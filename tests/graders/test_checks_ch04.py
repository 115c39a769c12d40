"""The visible checks and the observations of chapter 04: the reference Sum and Pow pass;
common mistakes get a verdict that names the case, the input, expected vs got and a hint
aimed at the mistake; and the observation of every wrong version differs from the
reference's."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from engine.autograd import ArrayFunction, Function
from engine.ops.dual import expand
from graders.checks import ch04
from graders.probes import compare, observe

from ._check_helpers import assert_readable, failure_of

# --- reference pieces (as in solutions/04) and mistakes ---------------------------------------


def _sum_class(backward):
    def forward(ctx, a, dims, keepdim, dtype=None):
        ctx.shape, ctx.dims = a.shape, dims
        return a.sum(axis=dims, keepdims=keepdim, dtype=dtype)
    return type("Sum", (ArrayFunction,), {"forward": staticmethod(forward),
                                          "backward": staticmethod(backward)})


def _pow_class(backward):
    def forward(ctx, a, exponent):
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        return a**exponent
    return type("Pow", (ArrayFunction,), {"forward": staticmethod(forward),
                                          "backward": staticmethod(backward)})


def _kept(ctx):
    return tuple(1 if d in ctx.dims else n for d, n in enumerate(ctx.shape))


def _count(ctx):
    return int(np.prod([ctx.shape[d] for d in ctx.dims])) if ctx.dims else 1


SUM_BACKWARDS = {
    "reference": lambda ctx, g: (expand(g.reshape(_kept(ctx)), ctx.shape), None, None, None),
    "no reshape": lambda ctx, g: (expand(g, ctx.shape), None, None, None),
    "ones": lambda ctx, g: (np.ones(ctx.shape), None, None, None),
    "one value": lambda ctx, g: expand(g.reshape(_kept(ctx)), ctx.shape),
    "grad_output unchanged": lambda ctx, g: (g, None, None, None),
    "numpy only": lambda ctx, g: (np.broadcast_to(np.reshape(g, _kept(ctx)), ctx.shape),
                                  None, None, None),
    "a mean": lambda ctx, g: (expand(g.reshape(_kept(ctx)), ctx.shape) / _count(ctx),
                              None, None, None),
}


def _pow_reference(ctx, g):
    (x,) = ctx.saved_tensors
    c = ctx.exponent
    if c == 0:
        return g * 0, None
    return g * c * x ** (c - 1), None


def _pow_nan_at_zero(ctx, g):
    (x,) = ctx.saved_tensors
    return g * ctx.exponent * x ** (ctx.exponent - 1), None


def _pow_without_g(ctx, g):
    (x,) = ctx.saved_tensors
    c = ctx.exponent
    return (g * 0 if c == 0 else c * x ** (c - 1) + 0 * g), None


def _pow_square_only(ctx, g):
    (x,) = ctx.saved_tensors
    return g * 2 * x, None


def _pow_numpy(ctx, g):
    (x,) = ctx.saved_tensors
    c = ctx.exponent
    return (g * 0 if c == 0 else np.multiply(g, c * np.power(x, c - 1))), None


def _pow_not_lowered(ctx, g):
    (x,) = ctx.saved_tensors
    return g * ctx.exponent * x**ctx.exponent, None


POW_BACKWARDS = {
    "reference": _pow_reference,
    "nan at zero": _pow_nan_at_zero,
    "without grad_output": _pow_without_g,
    "square only": _pow_square_only,
    "one value": lambda ctx, g: _pow_reference(ctx, g)[0],
    "numpy only": _pow_numpy,
    "power not lowered": _pow_not_lowered,
}

Sum = _sum_class(SUM_BACKWARDS["reference"])
Pow = _pow_class(POW_BACKWARDS["reference"])


def test_reference_pieces_pass(capsys):
    ch04.Sum(Sum)
    ch04.Pow(Pow)
    out = capsys.readouterr().out
    assert "✓ Sum: all 10 cases pass." in out and "✓ Pow: all 8 cases pass." in out


# --- Sum ----------------------------------------------------------------------------------

def test_forgetting_the_reshape_is_explained():
    message = failure_of(ch04.Sum, _sum_class(SUM_BACKWARDS["no reshape"]))
    assert_readable(message, "Sum", expected=False)
    assert "case 1 of 10" in message and "out = x.sum(1); out.backward(v), v = [ 1., 10.]" in message
    assert "reshape grad_output to the kept shape" in message
    assert "lines shapes up from the right" in message


def test_a_gradient_of_ones_is_named():
    message = failure_of(ch04.Sum, _sum_class(SUM_BACKWARDS["ones"]))
    assert_readable(message, "Sum")
    assert "case 1 of 10" in message and "[10., 10., 10.]" in message
    assert "that is a gradient of ones" in message


def test_copying_along_the_wrong_dimension_is_named():
    """Expanding grad_output without the reshape passes where shapes happen to line up, and
    copies along the wrong dimension of a square matrix."""
    def lucky(ctx, g):
        try:
            return expand(g, ctx.shape), None, None, None
        except ValueError:
            return SUM_BACKWARDS["reference"](ctx, g)
    message = failure_of(ch04.Sum, _sum_class(lucky))
    assert_readable(message, "Sum")
    assert "case 3 of 10" in message and "square matrix" in message
    assert "copied along the wrong dimension" in message


def test_the_count_of_gradients_and_their_shape_are_explained():
    message = failure_of(ch04.Sum, _sum_class(SUM_BACKWARDS["one value"]))
    assert "incorrect number of gradients (expected 4, got 1)" in message
    assert "then None for dims, keepdim and dtype" in message
    message = failure_of(ch04.Sum, _sum_class(SUM_BACKWARDS["grad_output unchanged"]))
    assert "returned an invalid gradient" in message and "must have a's shape" in message


def test_a_mean_instead_of_a_sum_is_named():
    message = failure_of(ch04.Sum, _sum_class(SUM_BACKWARDS["a mean"]))
    assert "divided by 3" in message and "backward of a mean" in message


def test_numpy_functions_fail_the_recorded_pass():
    message = failure_of(ch04.Sum, _sum_class(SUM_BACKWARDS["numpy only"]))
    assert_readable(message, "Sum", expected=False)
    assert "case 10 of 10" in message and "create_graph" in message
    assert "reshape and expand only" in message


def test_a_tensor_level_function_is_refused():
    class TensorSum(Function):
        @staticmethod
        def forward(ctx, a, dims, keepdim, dtype=None):
            return a.sum(dims, keepdim=keepdim)
    message = failure_of(ch04.Sum, TensorSum)
    assert "ArrayFunction" in message and "case" not in message.splitlines()[0]


def test_an_unwritten_backward_says_so():
    def stub(ctx, g):
        raise NotImplementedError()
    message = failure_of(ch04.Sum, _sum_class(stub))
    assert "NotImplementedError: `Sum` is not written yet" in message


# --- Pow ----------------------------------------------------------------------------------

def test_nan_at_zero_for_x_to_the_zero_is_explained():
    message = failure_of(ch04.Pow, _pow_class(POW_BACKWARDS["nan at zero"]))
    assert_readable(message, "Pow")
    assert "case 6 of 8" in message and "got:      x.grad = [nan," in message
    assert "return grad_output * 0" in message


def test_forgetting_grad_output_is_named():
    message = failure_of(ch04.Pow, _pow_class(POW_BACKWARDS["without grad_output"]))
    assert_readable(message, "Pow")
    assert "case 2 of 8" in message and "multiply it by grad_output" in message


def test_a_hard_coded_square_is_named():
    message = failure_of(ch04.Pow, _pow_class(POW_BACKWARDS["square only"]))
    assert "case 2 of 8" in message and "derivative of x ** 2, but here c = 3" in message


def test_a_power_that_does_not_drop_is_named():
    message = failure_of(ch04.Pow, _pow_class(POW_BACKWARDS["power not lowered"]))
    assert "case 1 of 8" in message and "the power did not drop by one" in message


def test_pow_must_return_two_values_and_use_operators():
    message = failure_of(ch04.Pow, _pow_class(POW_BACKWARDS["one value"]))
    assert "expected 2, got 1" in message and "None for the exponent" in message
    message = failure_of(ch04.Pow, _pow_class(POW_BACKWARDS["numpy only"]))
    assert "case 8 of 8" in message and "Python operators (*, **) only" in message


# --- observations -------------------------------------------------------------------------

_observed = functools.partial(observe, "04", seed=7)  # (piece name, piece) -> observation


@pytest.mark.parametrize("name", [n for n in SUM_BACKWARDS if n != "reference"])
def test_the_observation_of_a_wrong_sum_differs(name):
    expected = _observed("Sum", Sum)
    assert compare(expected, _observed("Sum", Sum), 1e-6, 1e-8) == []
    assert compare(expected, _observed("Sum", _sum_class(SUM_BACKWARDS[name])),
                   1e-6, 1e-8) != []


@pytest.mark.parametrize("name", [n for n in POW_BACKWARDS if n != "reference"])
def test_the_observation_of_a_wrong_pow_differs(name):
    expected = _observed("Pow", Pow)
    assert compare(expected, _observed("Pow", Pow), 1e-6, 1e-8) == []
    assert compare(expected, _observed("Pow", _pow_class(POW_BACKWARDS[name])),
                   1e-6, 1e-8) != []


def test_observations_are_plain_and_deterministic():
    import json

    for name, cls in (("Sum", Sum), ("Pow", Pow)):
        first, second = _observed(name, cls, seed=3), _observed(name, cls, seed=3)
        assert json.loads(json.dumps(first)) == first == second
        assert not any(isinstance(v, dict) and "raised" in v for v in first.values())
