"""gradcheck / gradgradcheck: pass on correct backwards, fail clearly on wrong ones."""

import pytest

import engine
from engine.autograd import Function, GradcheckError, gradcheck, gradgradcheck


class WrongSquare(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x  # should be 2x


def _x(*shape):
    engine.manual_seed(0)
    return engine.randn(*shape, dtype=engine.float64, requires_grad=True)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.exp() * x.sin(),
        lambda x: (x @ x.t()).tanh(),
        lambda x: x.sigmoid().sum(dim=1),
        lambda x: x.abs().clamp(0.2, 0.8) + x.norm(),
        lambda x: engine.cat([x, x * 2], dim=1)[:, 1:3].max(dim=1)[0],
    ],
)
def test_gradcheck_and_gradgradcheck_pass_on_builtin_ops(fn):
    x = _x(3, 3)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_gradcheck_reports_first_mismatch():
    x = _x(3)
    with pytest.raises(GradcheckError) as err:
        gradcheck(WrongSquare.apply, (x,))
    text = str(err.value)
    assert text.startswith("Jacobian mismatch for output 0 with respect to input 0,\nnumerical:")
    assert "analytical:" in text and "The first mismatch is d(output 0[0]) / d(input 0[0])" in text
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False


def test_gradcheck_warns_for_single_precision():
    x = engine.randn(3, requires_grad=True)
    with pytest.warns(UserWarning, match="is not a double precision floating point"):
        gradcheck(lambda t: t * 2, (x,), atol=1e-2, rtol=1e-2)


def test_gradcheck_defaults_are_pytorchs():
    import inspect

    params = inspect.signature(gradcheck).parameters
    assert (params["eps"].default, params["atol"].default, params["rtol"].default) == (
        1e-06, 1e-05, 0.001,
    )
