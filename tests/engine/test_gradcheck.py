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
        lambda x: x.index_add(0, engine.tensor([2, 0, 2]), x * x, alpha=2),
        lambda x: x.sin().scatter_add(1, engine.tensor([[0, 0, 1], [2, 2, 2], [1, 0, 1]]), x * x),
    ],
)
def test_gradcheck_and_gradgradcheck_pass_on_builtin_ops(fn):
    x = _x(3, 3)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_gradcheck_reports_a_mismatch_in_pytorchs_words():
    x = _x(3)
    with pytest.raises(GradcheckError) as err:
        gradcheck(WrongSquare.apply, (x,))
    text = str(err.value)
    assert text.startswith("Jacobian mismatch for output 0 with respect to input 0,\nnumerical:")
    assert "\nanalytical:" in text
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False


def test_gradcheck_names_the_first_mismatch():
    x = _x(3)
    with pytest.raises(GradcheckError) as err:
        gradcheck(WrongSquare.apply, (x,))
    assert "The first mismatch is d(output 0[0]) / d(input 0[0])" in str(err.value)


class WrongSecondFactor(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * b, g * a * 2  # the second gradient is twice too big


@pytest.mark.oracle
def test_gradcheck_numbers_inputs_among_those_that_require_grad_as_torch(torch):
    """An input that does not require grad is not counted: the wrong gradient of b, the
    second argument but the first input that requires grad, is "input 0"."""
    class TorchWrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b, g * a * 2

    import sys

    torch_error = sys.modules["torch.autograd.gradcheck"].GradcheckError  # the module, not
    data = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]  # the function torch.autograd.gradcheck
    first_lines = []
    for lib, fn, error in ((engine, WrongSecondFactor.apply, GradcheckError),
                           (torch, TorchWrong.apply, torch_error)):
        a = lib.tensor(data[0], dtype=lib.float64)
        b = lib.tensor(data[1], dtype=lib.float64, requires_grad=True)
        with pytest.raises(error) as err:
            lib.autograd.gradcheck(fn, (a, b))
        first_lines.append(str(err.value).splitlines()[0])
    assert first_lines[0] == first_lines[1] == (
        "Jacobian mismatch for output 0 with respect to input 0,")


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


def test_float32_warning_is_torchs_text():
    x = engine.ones(2, requires_grad=True)
    with pytest.warns(UserWarning) as record:
        engine.autograd.gradcheck(lambda t: t * 2, (x,), atol=1e-1, rtol=1e-1)
    assert str(record[0].message) == (
        "Input #0 requires gradient and is not a double precision floating point or complex. "
        "This check will likely fail if all the inputs are not of double precision floating "
        "point or complex. "
    )


@pytest.mark.oracle
@pytest.mark.parametrize("op", ["index_add", "scatter_add", "gather"])
def test_third_derivatives_through_index_ops_match_torch(op, torch):
    """Each backward of these ops is recorded as another of them (index_add's through
    index_select, whose own backward is an index_add into zeros): three orders of
    derivatives exercise every one, against torch."""
    import numpy as np

    data = np.linspace(-1.0, 1.0, 9).reshape(3, 3)
    results = []
    for lib in (engine, torch):
        x = lib.tensor(data, requires_grad=True)
        if op == "index_add":
            y = x.index_add(0, lib.tensor([2, 0, 2]), x**3, alpha=2)
        elif op == "scatter_add":
            y = x.scatter_add(1, lib.tensor([[0, 0, 1], [2, 2, 2], [1, 0, 1]]), x**3)
        else:
            y = x.gather(1, lib.tensor([[0, 0, 1], [2, 2, 2], [1, 0, 1]])) ** 3
        out = (y * y).sum()
        grads = []
        for _ in range(3):
            (out,) = lib.autograd.grad(out, x, create_graph=True)
            grads.append(out.detach().numpy().copy())
            out = out.sum()
        results.append(grads)
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
