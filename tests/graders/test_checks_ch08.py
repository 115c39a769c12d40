"""The visible checks and the observations of chapter 08: the reference pieces pass, common
mistakes get a verdict that names the case and a hint aimed at the mistake, and a wrong
piece's observation differs from the reference's."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import engine
from engine.autograd import ArrayFunction
from graders.checks import CheckFailed, ch08
from graders.probes._observe import DEFAULT_TOLERANCE, compare, observe

from ._check_helpers import failure_of

# --- reference pieces (as in solutions/08) ---------------------------------------------------


def unbroadcast(grad, shape):
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if axes:
        grad = grad.sum(axes)
    return grad.reshape(shape)


class MatMul(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        return grad_output @ b.T, a.T @ grad_output


class SGD:
    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0):
        self.params = list(params)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.velocity = [None] * len(self.params)

    def zero_grad(self, set_to_none=True):
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    def _direction(self, i, p):
        g = p.grad
        if self.weight_decay != 0:
            g = g + self.weight_decay * p
        if self.momentum != 0:
            if self.velocity[i] is None:
                self.velocity[i] = g.clone()
            else:
                self.velocity[i] = self.momentum * self.velocity[i] + g
            g = self.velocity[i]
        return g

    def step(self):
        with engine.no_grad():
            for i, p in enumerate(self.params):
                if p.grad is not None:
                    p -= self.lr * self._direction(i, p)


# --- wrong versions ------------------------------------------------------------------------


def ub_unchanged(grad, shape):
    return grad


def ub_drops_dims(grad, shape):
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    return grad.sum(axes) if axes else grad


def ub_keeps_leading(grad, shape):
    lead = grad.ndim - len(shape)
    for i, n in enumerate(shape):
        if n == 1 and grad.shape[lead + i] != 1:
            grad = grad.sum((lead + i,)).reshape(grad.shape[:lead + i] + (1,)
                                                 + grad.shape[lead + i + 1:])
    return grad


def ub_mean(grad, shape):
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    return (grad.mean(axes) if axes else grad).reshape(shape)


def ub_numpy_keywords(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for i, n in enumerate(shape):
        if n == 1 and grad.shape[i] != 1:
            grad = grad.sum(axis=i, keepdims=True)
    return grad


def ub_unguarded(grad, shape):
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    return grad.sum(axes).reshape(shape)  # a tensor's sum(()) sums everything


def _matmul(backward):
    class Wrong(ArrayFunction):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a @ b

    Wrong.backward = staticmethod(backward)
    Wrong.__name__ = "MatMul"
    return Wrong


def _saved(ctx):
    return ctx.saved_tensors


MM_NO_TRANSPOSE = _matmul(lambda ctx, g: (g @ _saved(ctx)[1], _saved(ctx)[0] @ g))
MM_SWAPPED = _matmul(lambda ctx, g: (_saved(ctx)[0].T @ g, g @ _saved(ctx)[1].T))
MM_ELEMENTWISE = _matmul(lambda ctx, g: (g * _saved(ctx)[1], _saved(ctx)[0] * g))
MM_NUMPY = _matmul(lambda ctx, g: (np.matmul(g, np.transpose(_saved(ctx)[1])),
                                   np.matmul(np.transpose(_saved(ctx)[0]), g)))


class MM_ON_CTX(ArrayFunction):  # noqa: N801
    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return a @ b

    @staticmethod
    def backward(ctx, g):
        return g @ ctx.b.T, ctx.a.T @ g


class SGDNoNoGrad(SGD):
    def step(self):
        for i, p in enumerate(self.params):
            if p.grad is not None:
                p -= self.lr * self._direction(i, p)


class SGDRebinds(SGD):
    def step(self):
        with engine.no_grad():
            self.params = [p - self.lr * p.grad if p.grad is not None else p
                           for p in self.params]


class SGDKeepsTheGenerator(SGD):
    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0):
        super().__init__([], lr, momentum, weight_decay)
        self.params = params
        self.velocity = [None] * 8


class SGDAverages(SGD):
    def _direction(self, i, p):
        g = p.grad + self.weight_decay * p
        if self.momentum:
            v = self.velocity[i]
            m = self.momentum
            self.velocity[i] = (1 - m) * g if v is None else m * v + (1 - m) * g
            g = self.velocity[i]
        return g


class SGDOneVelocity(SGD):
    def _direction(self, i, p):
        g = p.grad + self.weight_decay * p
        if self.momentum:
            v = getattr(self, "v", None)
            self.v = g.clone() if v is None else self.momentum * v + g
            g = self.v
        return g


class SGDAliasesTheGradient(SGD):
    def _direction(self, i, p):
        g = p.grad
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            v = self.velocity[i]
            self.velocity[i] = g if v is None else self.momentum * v + g
            g = self.velocity[i]
        return g


class SGDDecayWrongSign(SGD):
    def _direction(self, i, p):
        g = p.grad - self.weight_decay * p
        if self.momentum:
            v = self.velocity[i]
            self.velocity[i] = g.clone() if v is None else self.momentum * v + g
            g = self.velocity[i]
        return g


class SGDDoesNotSkip(SGD):
    def step(self):
        with engine.no_grad():
            for p in self.params:
                p -= self.lr * p.grad


class SGDNeverZeroes(SGD):
    def zero_grad(self, set_to_none=True):
        pass


# --- the checks ---------------------------------------------------------------------------


def test_reference_pieces_pass(capsys):
    ch08.unbroadcast(unbroadcast)
    ch08.MatMul(MatMul)
    ch08.SGD(SGD)
    out = capsys.readouterr().out
    assert "✓ unbroadcast: all" in out and "✓ MatMul: all" in out and "✓ SGD: all" in out


@pytest.mark.parametrize("wrong,words", [
    (ub_unchanged, ["case 1 of", "expected: [5., 7., 9.]", "the gradient unchanged"]),
    (ub_drops_dims, ["a column reused", "shape (2,)", "Keep them as size 1",
                     "grad.reshape(shape)"]),
    (ub_keeps_leading, ["a row reused", "sum over the dimensions broadcasting added"]),
    (ub_mean, ["the average, not the sum"]),
    (ub_numpy_keywords, ["the gradient is a tensor", "unexpected keyword argument",
                         "grad.sum(axes) with a tuple of axes"]),
])
def test_unbroadcast_mistakes_are_named(wrong, words):
    text = failure_of(ch08.unbroadcast, wrong)
    assert text.startswith("✗ unbroadcast: case"), text
    for w in words:
        assert w in text, (w, text)


@pytest.mark.parametrize("wrong,words", [
    (MM_NO_TRANSPOSE, ["case 1 of", "an error, ValueError", "grad_output @ b.T"]),
    (MM_SWAPPED, ["invalid gradient", "a gradient must have the shape of its input"]),
    (MM_ELEMENTWISE, ["multiplies entry by entry"]),
    (MM_ON_CTX, ["saved with ctx.save_for_backward", "no error: the second backward ran"]),
    (MM_NUMPY, ["a second derivative", "np.matmul or b.transpose() do not"]),
])
def test_matmul_mistakes_are_named(wrong, words):
    text = failure_of(ch08.MatMul, wrong)
    assert text.startswith("✗ MatMul: case"), text
    for w in words:
        assert w in text, (w, text)


def test_square_matrices_name_the_forgotten_transpose():
    text = failure_of(ch08.MatMul, _matmul(
        lambda ctx, g: (g @ _saved(ctx)[1] if g.shape == _saved(ctx)[1].shape
                        else g @ _saved(ctx)[1].T, _saved(ctx)[0].T @ g)))
    assert "case 2 of" in text and "that is grad_output @ b." in text, text


def test_matmul_must_be_an_array_function():
    text = failure_of(ch08.MatMul, SGD)
    assert "not an engine Function" in text


@pytest.mark.parametrize("wrong,words", [
    (SGDNoNoGrad, ["case 1 of", "in-place operation", "inside `with engine.no_grad():`"]),
    (SGDRebinds, ["case 1 of", "the parameter did not move", "in place"]),
    (SGDKeepsTheGenerator, ["from a generator", "self.params = list(params)"]),
    (SGDAverages, ["momentum 0.9", "an average of the gradients"]),
    (SGDOneVelocity, ["momentum 0.9", "each parameter needs its own velocity"]),
    (SGDAliasesTheGradient, ["set_to_none=False) between steps", "a copy of the first gradient"]),
    (SGDDecayWrongSign, ["weight decay 0.1", "pulls the weights toward zero"]),
    (SGDDoesNotSkip, ["gets no gradient", "skip it"]),
    (SGDNeverZeroes, ["the gradients pile up"]),
])
def test_sgd_mistakes_are_named(wrong, words):
    text = failure_of(ch08.SGD, wrong)
    assert text.startswith("✗ SGD: case"), text
    for w in words:
        assert w in text, (w, text)


def test_not_written_yet_says_so():
    def stub(grad, shape):
        raise NotImplementedError()

    assert "`unbroadcast` is not written yet" in failure_of(ch08.unbroadcast, stub)


def test_expected_values_come_from_the_engine(monkeypatch):
    """The checks compare with the engine's own pieces: a broken engine fails the reference."""
    monkeypatch.setattr(ch08, "ENGINE_SUM_TO", lambda g, shape: np.zeros(shape))
    with pytest.raises(CheckFailed):
        ch08.unbroadcast(unbroadcast)


# --- the observations -----------------------------------------------------------------------


_observe = functools.partial(observe, "08", seed=5)  # (piece name, piece) -> observation


@pytest.mark.parametrize("name,reference", [
    ("unbroadcast", unbroadcast), ("MatMul", MatMul), ("SGD", SGD)])
def test_observations_of_the_reference_are_deterministic_and_raise_nothing_unexpected(
        name, reference):
    first, second = _observe(name, reference), _observe(name, reference)
    assert compare(first, second, *DEFAULT_TOLERANCE) == []
    raised = [k for k, v in first.items() if isinstance(v, dict) and "raised" in v]
    expected_raise = ["a second backward after the first freed the graph"] if name == "MatMul" \
        else []
    assert raised == expected_raise


@pytest.mark.parametrize("name,reference,wrong", [
    ("unbroadcast", unbroadcast, ub_unchanged),
    ("unbroadcast", unbroadcast, ub_drops_dims),
    ("unbroadcast", unbroadcast, ub_mean),
    ("unbroadcast", unbroadcast, ub_numpy_keywords),
    ("unbroadcast", unbroadcast, ub_unguarded),
    ("MatMul", MatMul, MM_NO_TRANSPOSE),
    ("MatMul", MatMul, MM_SWAPPED),
    ("MatMul", MatMul, MM_ON_CTX),
    ("MatMul", MatMul, MM_NUMPY),
    ("SGD", SGD, SGDNoNoGrad),
    ("SGD", SGD, SGDKeepsTheGenerator),
    ("SGD", SGD, SGDAverages),
    ("SGD", SGD, SGDAliasesTheGradient),
    ("SGD", SGD, SGDDecayWrongSign),
    ("SGD", SGD, SGDNeverZeroes),
])
def test_a_wrong_piece_is_observed_differently(name, reference, wrong):
    problems = compare(_observe(name, reference), _observe(name, wrong), *DEFAULT_TOLERANCE)
    assert problems, f"{wrong} looks like the reference"


def test_an_unguarded_empty_sum_is_explained():
    text = failure_of(ch08.unbroadcast, ub_unguarded)
    assert "the gradient is a tensor" in text and "do not call grad.sum(())" in text, text
