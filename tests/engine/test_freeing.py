"""What a backward pass frees, and the error a second pass through freed values raises.

A built-in node frees what it saved, and a node that saved nothing (``x + 1``) can run again.
A user's ``Function`` is marked freed after its backward whatever it saved (nothing, ``None``,
tensors): reading ``ctx.saved_tensors`` then raises, as in PyTorch; a backward that never
reads them runs again. ``retain_graph=True`` keeps everything. Each scenario runs unchanged on
the engine and (oracle) on torch 2.13, with the same outcome.
"""

from __future__ import annotations

import pytest

import engine

SECOND_TIME = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)

SAVES = {
    "nothing": lambda ctx, x: None,
    "an empty list": lambda ctx, x: ctx.save_for_backward(),
    "None": lambda ctx, x: ctx.save_for_backward(None),
    "its input": lambda ctx, x: ctx.save_for_backward(x),
    "its input and None": lambda ctx, x: ctx.save_for_backward(x, None),
}


def _double(T, save, reads):
    class Double(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            save(ctx, x)
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            if reads:
                ctx.saved_tensors  # noqa: B018
            return grad * 2

    return Double


def _twice(T, save, reads, retain):
    """The outcome of two backward passes through one custom node: x.grad or the error."""
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = _double(T, save, reads).apply(x).sum()
    y.backward(retain_graph=retain)
    try:
        y.backward()
    except RuntimeError as err:
        return str(err)
    return x.grad.tolist()


CASES = [(what, reads, retain) for what in SAVES for reads in (True, False)
         for retain in (False, True)]


def _expected(what, reads, retain):
    return SECOND_TIME if reads and not retain else [4.0, 4.0]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-reads={c[1]}-retain={c[2]}")
def test_custom_function_backward_twice(case):
    what, reads, retain = case
    assert _twice(engine, SAVES[what], reads, retain) == _expected(*case)


@pytest.mark.oracle
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-reads={c[1]}-retain={c[2]}")
def test_torch_agrees(case, torch):
    what, reads, retain = case
    assert _twice(torch, SAVES[what], reads, retain) == _expected(*case)


def _saved_tensors_after_backward(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = _double(T, SAVES["its input"], True).apply(x)
    before = [t.tolist() for t in y.grad_fn.saved_tensors]
    y.sum().backward()
    try:
        y.grad_fn.saved_tensors  # noqa: B018
    except RuntimeError as err:
        return before, str(err)
    return before, None


def test_reading_saved_tensors_after_backward_raises():
    assert _saved_tensors_after_backward(engine) == ([[1.0, 2.0]], SECOND_TIME)


@pytest.mark.oracle
def test_torch_raises_the_same(torch):
    assert _saved_tensors_after_backward(torch) == ([[1.0, 2.0]], SECOND_TIME)
