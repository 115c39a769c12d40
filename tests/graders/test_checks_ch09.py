"""The visible checks and the observations of chapter 09: the reference pieces pass, common
mistakes get a verdict that names the case and a hint aimed at the mistake, and a wrong
piece's observation differs from the reference's; the gradcheck adapter gives the engine's
signature."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import engine
from engine.autograd import ArrayFunction, Function, GradcheckError
from graders.checks import ch09
from graders.myengine.adapters import gradcheck_from
from graders.probes._observe import DEFAULT_TOLERANCE, compare, observe

from ._check_helpers import failure_of

# --- reference pieces (as in solutions/09) ---------------------------------------------------


class Softplus(Function):
    @staticmethod
    def forward(ctx, x, beta=1.0):
        ctx.save_for_backward(x)
        ctx.beta = beta
        z = x * beta
        return (z.relu() + (1 + (-z.abs()).exp()).log()) / beta

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (x * ctx.beta).sigmoid(), None


def gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, *, numbering="pytorch",
              fixed_eps=None, use_backward=False, retain=True):
    """The reference; the keyword flags switch on common mistakes."""
    inputs = tuple(inputs)
    positions = [j for j, t in enumerate(inputs)
                 if isinstance(t, engine.Tensor) and t.requires_grad]
    checked = [inputs[j] for j in positions]
    out = func(*inputs)
    rows = out.numel()
    analytical = [np.zeros((rows, t.numel())) for t in checked]
    if use_backward:
        out.sum().backward(retain_graph=True)
    for r in range(rows):
        onehot = np.zeros(rows)
        onehot[r] = 1.0
        grads = engine.autograd.grad(
            out, checked, grad_outputs=engine.tensor(onehot.reshape(tuple(out.shape)),
                                                     dtype=out.dtype),
            retain_graph=retain, allow_unused=True)
        for jacobian, g in zip(analytical, grads):
            if g is not None:
                jacobian[r] = g.detach().numpy().ravel()
    step_size = eps if fixed_eps is None else fixed_eps
    numerical = []
    for j, t in zip(positions, checked):
        values = t.detach().numpy()
        jacobian = np.zeros((rows, values.size))
        for k in range(values.size):
            results = []
            for step in (step_size, -step_size):
                moved = values.copy()
                moved.flat[k] += step
                args = list(inputs)
                args[j] = engine.tensor(moved, dtype=t.dtype)
                with engine.no_grad():
                    results.append(func(*args).detach().numpy().astype(np.float64).ravel())
            jacobian[:, k] = (results[0] - results[1]) / (2 * step_size)
        numerical.append(jacobian)
    for j, (n, a) in enumerate(zip(numerical, analytical)):
        if not np.all(np.abs(a - n) <= atol + rtol * np.abs(n)):
            index = j if numbering == "pytorch" else positions[j]
            raise GradcheckError(
                f"Jacobian mismatch for output 0 with respect to input {index},\n"
                f"numerical:{engine.tensor(n)}\nanalytical:{engine.tensor(a)}\n")
    return True


# --- wrong versions ------------------------------------------------------------------------

def _softplus(forward=None, backward=None, base=Function):
    class Wrong(base):
        pass

    Wrong.forward = staticmethod(forward or Softplus.forward)
    Wrong.backward = staticmethod(backward or Softplus.backward)
    return Wrong


def _stable(x, beta):
    z = x * beta
    return (z.relu() + (1 + (-z.abs()).exp()).log()) / beta


def _fw_no_division(ctx, x, beta=1.0):
    ctx.save_for_backward(x)
    ctx.beta = beta
    return _stable(x, beta) * beta


def _fw_naive(ctx, x, beta=1.0):
    ctx.save_for_backward(x)
    ctx.beta = beta
    return (1 + (x * beta).exp()).log() / beta


def _fw_saves_sigmoid(ctx, x, beta=1.0):
    s = (x * beta).sigmoid()
    ctx.save_for_backward(x, s)
    ctx.beta = beta
    return _stable(x, beta)


def _bw_saved_sigmoid(ctx, g):
    _, s = ctx.saved_tensors
    return g * s, None


def _fw_on_ctx(ctx, x, beta=1.0):
    ctx.x, ctx.beta = x, beta
    return _stable(x, beta)


def _bw_on_ctx(ctx, g):
    return g * (ctx.x * ctx.beta).sigmoid(), None


def _bw_times_beta(ctx, g):
    (x,) = ctx.saved_tensors
    return g * ctx.beta * (x * ctx.beta).sigmoid(), None


def _bw_one_value(ctx, g):
    (x,) = ctx.saved_tensors
    return g * (x * ctx.beta).sigmoid()


def _bw_numpy(ctx, g):
    (x,) = ctx.saved_tensors
    s = 1 / (1 + np.exp(-ctx.beta * x.detach().numpy()))
    return g * engine.tensor(s, dtype=x.dtype), None


def _bw_no_grad_output(ctx, g):
    (x,) = ctx.saved_tensors
    return (x * ctx.beta).sigmoid(), None


SP_NO_DIVISION = _softplus(_fw_no_division)
SP_NAIVE = _softplus(_fw_naive)
SP_SAVES_SIGMOID = _softplus(_fw_saves_sigmoid, _bw_saved_sigmoid)
SP_ON_CTX = _softplus(_fw_on_ctx, _bw_on_ctx)
SP_TIMES_BETA = _softplus(backward=_bw_times_beta)
SP_ONE_VALUE = _softplus(backward=_bw_one_value)
SP_NUMPY = _softplus(backward=_bw_numpy)
SP_NO_GRAD_OUTPUT = _softplus(backward=_bw_no_grad_output)
SP_ARRAY = _softplus(base=ArrayFunction)


def gc_always_true(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    return True


def gc_returns_false(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    try:
        return gradcheck(func, inputs, eps, atol, rtol)
    except GradcheckError:
        return False


def gc_positional(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    return gradcheck(func, inputs, eps, atol, rtol, numbering="positional")


def gc_fixed_eps(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    return gradcheck(func, inputs, eps, atol, rtol, fixed_eps=1e-6)


def gc_atol_only(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    return gradcheck(func, inputs, eps, atol, 0.0)


def gc_assertion(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    try:
        return gradcheck(func, inputs, eps, atol, rtol)
    except GradcheckError as exc:
        raise AssertionError(str(exc)) from None


def gc_vague(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    try:
        return gradcheck(func, inputs, eps, atol, rtol)
    except GradcheckError:
        raise GradcheckError("the gradients differ") from None


def gc_backward(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    return gradcheck(func, inputs, eps, atol, rtol, use_backward=True)


def gc_no_retain(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    return gradcheck(func, inputs, eps, atol, rtol, retain=False)


# --- the checks ---------------------------------------------------------------------------


def test_reference_pieces_pass(capsys):
    ch09.Softplus(Softplus)
    ch09.gradcheck(gradcheck)
    out = capsys.readouterr().out
    assert "✓ Softplus: all" in out and "✓ gradcheck: all" in out


@pytest.mark.parametrize("wrong,words", [
    (SP_NO_DIVISION, ["beta = 2.5", "divide it by beta"]),
    (SP_TIMES_BETA, ["beta = 2.5", "beta times too big"]),
    (SP_ONE_VALUE, ["incorrect number of gradients (expected 2, got 1)", "return (gradient "
                                                                         "for x, None)"]),
    (SP_NAIVE, ["large inputs in float32", "inf", "relu(z) + log(1 + exp(-|z|))"]),
    (SP_SAVES_SIGMOID, ["saves only x", "2 saved", "compute sigmoid(beta * x) again"]),
    (SP_ON_CTX, ["saves only x", "0 saved"]),
    (SP_NUMPY, ["a second derivative", "tensor operations"]),
    (SP_NO_GRAD_OUTPUT, ["case 1 of", "multiply by grad_output"]),
])
def test_softplus_mistakes_are_named(wrong, words):
    text = failure_of(ch09.Softplus, wrong)
    assert text.startswith("✗ Softplus: case"), text
    for w in words:
        assert w in text, (w, text)


def test_softplus_must_be_a_tensor_level_function():
    assert "built on ArrayFunction" in failure_of(ch09.Softplus, SP_ARRAY)
    assert "not an engine Function" in failure_of(ch09.Softplus, dict)


@pytest.mark.parametrize("wrong,words", [
    (gc_always_true, ["forgets a factor 2", "True: the mismatch was not found"]),
    (gc_returns_false, ["forgets a factor 2", "got:      False", "raise GradcheckError"]),
    (gc_positional, ["after one that does not", "input 1,", "count only the inputs that "
                                                             "require grad"]),
    (gc_fixed_eps, ["the eps it is given", "move each entry by the eps passed in"]),
    (gc_atol_only, ["off by 0.02% passes", "a correct backward was rejected"]),
    (gc_assertion, ["AssertionError", "raise engine.autograd.GradcheckError"]),
    (gc_vague, ["'the gradients differ'", "in PyTorch's words"]),
    (gc_backward, ["case 1 of", ".grad = ", "use engine.autograd.grad"]),
    (gc_no_retain, ["case 1 of", "retain_graph=True"]),
])
def test_gradcheck_mistakes_are_named(wrong, words):
    text = failure_of(ch09.gradcheck, wrong)
    assert text.startswith("✗ gradcheck: case"), text
    for w in words:
        assert w in text, (w, text)


def test_not_written_yet_says_so():
    def stub(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
        raise NotImplementedError()

    assert "`gradcheck` is not written yet" in failure_of(ch09.gradcheck, stub)


def test_the_reference_agrees_with_the_engines_gradcheck_message():
    a = engine.tensor([1.0, 2.0], dtype=engine.float64)
    b = engine.tensor([0.5, -1.0], dtype=engine.float64, requires_grad=True)
    func = ch09._scaled_product(1.0, 2.0).apply
    lines = []
    for checker in (engine.autograd.gradcheck, gradcheck):
        with pytest.raises(GradcheckError) as err:
            checker(func, (a, b))
        lines.append(str(err.value).splitlines()[:2])
    assert lines[0][0] == lines[1][0] == "Jacobian mismatch for output 0 with respect to input 0,"


# --- the adapter ----------------------------------------------------------------------------

def test_the_adapter_takes_the_engines_signature():
    adapted = gradcheck_from(gradcheck)
    x = engine.tensor([1.5, -0.5], dtype=engine.float64, requires_grad=True)
    assert adapted(lambda t: t.sin(), x, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=False)
    wrong = ch09._HalfSquare.apply
    assert adapted(wrong, (x,), raise_exception=False) is False
    with pytest.raises(GradcheckError):
        adapted(wrong, [x])


# --- the observations -----------------------------------------------------------------------

_observe = functools.partial(observe, "09", seed=3)  # (piece name, piece) -> observation


@pytest.mark.parametrize("name,reference", [("Softplus", Softplus), ("gradcheck", gradcheck)])
def test_observations_of_the_reference_are_deterministic(name, reference):
    first, second = _observe(name, reference), _observe(name, reference)
    assert compare(first, second, *DEFAULT_TOLERANCE) == []
    raised = [k for k, v in first.items() if isinstance(v, dict) and "raised" in v]
    assert raised == (["what is saved, and a second backward"] if name == "Softplus" else [])


@pytest.mark.parametrize("name,reference,wrong", [
    ("Softplus", Softplus, SP_NO_DIVISION),
    ("Softplus", Softplus, SP_TIMES_BETA),
    ("Softplus", Softplus, SP_ONE_VALUE),
    ("Softplus", Softplus, SP_NAIVE),
    ("Softplus", Softplus, SP_SAVES_SIGMOID),
    ("Softplus", Softplus, SP_ON_CTX),
    ("Softplus", Softplus, SP_NUMPY),
    ("gradcheck", gradcheck, gc_always_true),
    ("gradcheck", gradcheck, gc_returns_false),
    ("gradcheck", gradcheck, gc_positional),
    ("gradcheck", gradcheck, gc_fixed_eps),
    ("gradcheck", gradcheck, gc_atol_only),
    ("gradcheck", gradcheck, gc_vague),
    ("gradcheck", gradcheck, gc_backward),
])
def test_a_wrong_piece_is_observed_differently(name, reference, wrong):
    problems = compare(_observe(name, reference), _observe(name, wrong), *DEFAULT_TOLERANCE)
    assert problems, f"{wrong} looks like the reference"
