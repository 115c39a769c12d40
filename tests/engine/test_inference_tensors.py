"""Inference tensors: made inside ``inference_mode``, they never enter a recorded graph.

Each scenario runs unchanged on the engine and (oracle) on torch 2.13, with the same outcome:
the same values, or the same error text (torch spelled ``engine``).
"""

from __future__ import annotations

import pytest

import engine

SAVED = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
    "inference mode in computation tracked by autograd. To work around this, you can make a "
    "clone to get a normal tensor and use it in autograd, or use `engine.no_grad()` instead "
    "of `engine.inference_mode()`."
)
REQUIRES_GRAD = (
    "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed."
)
INPLACE = "Inplace update to inference tensor outside InferenceMode is not allowed."


def _made_in_inference_mode(T):
    with T.inference_mode():
        return T.tensor([1.0, 2.0]) * 2


def _saved_by_mul(T):
    t = _made_in_inference_mode(T)
    p = T.tensor([1.0, 1.0], requires_grad=True)
    (p * t).sum().backward()


def _setter(T):
    _made_in_inference_mode(T).requires_grad = True


ERRORS = [
    ("saved_by_mul", _saved_by_mul, SAVED, "exact"),
    ("requires_grad_", lambda T: _made_in_inference_mode(T).requires_grad_(), REQUIRES_GRAD,
     "exact"),
    ("requires_grad_setter", _setter, REQUIRES_GRAD, "exact"),
    ("inplace_outside", lambda T: _made_in_inference_mode(T).add_(1), INPLACE, "prefix"),
    ("no_version_counter", lambda T: _made_in_inference_mode(T)._version,
     "Inference tensors do not track version counter.", "exact"),
]


def _check(err, text, how):
    assert type(err) is RuntimeError
    message = str(err).replace("torch.", "engine.")
    assert message == text if how == "exact" else message.startswith(text), message


@pytest.mark.parametrize("case", ERRORS, ids=lambda c: c[0])
def test_engine_refuses(case):
    _, scenario, text, how = case
    with pytest.raises(RuntimeError) as info:
        scenario(engine)
    _check(info.value, text, how)


@pytest.mark.oracle
@pytest.mark.parametrize("case", ERRORS, ids=lambda c: c[0])
def test_torch_refuses_in_the_same_words(case, torch):
    _, scenario, text, how = case
    with pytest.raises(RuntimeError) as info:
        scenario(torch)
    _check(info.value, text, how)


def _allowed(T):
    """What inference tensors may do: (flags, values) that must match torch's."""
    t = _made_in_inference_mode(T)
    seen = [t.is_inference(), t.requires_grad, t.detach().is_inference(),
            t.clone().is_inference()]
    with T.no_grad():
        seen.append((t * 1).is_inference())
    p = T.tensor([1.0, 3.0], requires_grad=True)
    (p + t).sum().backward()  # an addition saves nothing: allowed
    seen.append(p.grad.tolist())
    c = t.clone()  # a normal tensor: may be saved
    (p * c).sum().backward()
    seen.append(p.grad.tolist())
    t.requires_grad_(False)  # switching it off is allowed
    with T.inference_mode():
        t.requires_grad_()  # inside inference mode too
        t.add_(1)
        seen.append((t.requires_grad, t.tolist()))
    return seen


EXPECTED = [True, False, True, False, False, [1.0, 1.0], [3.0, 5.0], (True, [3.0, 5.0])]


def test_what_inference_tensors_may_do():
    assert _allowed(engine) == EXPECTED


@pytest.mark.oracle
def test_torch_allows_the_same(torch):
    assert _allowed(torch) == EXPECTED
