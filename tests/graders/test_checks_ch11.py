"""Chapter 11's checks and probes: the repaired loops of the chapter pass, the broken loops and
the usual half-repairs get a verdict that names the case, the input, expected vs got and a hint
aimed at the bug, and their observations differ from the reference's."""

from __future__ import annotations

import functools

import pytest

import engine
from graders.checks import ch11
from graders.probes._observe import observe

from ._check_helpers import assert_readable, failure_of, observations_differ, reference_pieces
from .conftest import ROOT

SOURCE = ROOT / "solutions" / "11-debugging-autograd.py"


@pytest.fixture(scope="module")
def pieces(tmp_path_factory):
    """The chapter's reference pieces, loaded from its source as `gradbook my-engine` does."""
    return reference_pieces(SOURCE, tmp_path_factory.mktemp("ch11"))


# (piece name, right, wrong) -> how wrong's observation differs from right's
_differs = functools.partial(observations_differ, "11", seed=5)


def test_the_chapters_loops_pass(pieces, capsys):
    ch11.fit_line(pieces["fit_line"])
    ch11.train_network(pieces["train_network"])
    ch11.fit_distance(pieces["fit_distance"])
    out = capsys.readouterr().out
    for line in ("✓ fit_line: all 4 cases pass.", "✓ train_network: all 3 cases pass.",
                 "✓ fit_distance: all 3 cases pass."):
        assert line in out


def test_the_chapters_loops_observe_like_the_checks_correct_loops(pieces):
    assert _differs("fit_line", pieces["fit_line"], ch11.correct_fit_line) == []
    assert _differs("train_network", pieces["train_network"], ch11.correct_train_network) == []
    assert _differs("fit_distance", pieces["fit_distance"], ch11.correct_fit_distance) == []


# --- fit_line ---------------------------------------------------------------------------------

def test_the_broken_line_fit_is_told_to_log_numbers(pieces):
    def broken(xs, ys, epochs=201, lr=0.05):
        return ch11.correct_fit_line(xs, ys, epochs, lr, zero=False, items=False)

    message = failure_of(ch11.fit_line, broken)
    assert_readable(message, "fit_line")
    assert "case 1 of 4" in message and "a list holding tensors" in message
    assert "append loss.item(), not loss" in message
    assert _differs("fit_line", pieces["fit_line"], broken)


def test_gradients_that_still_accumulate_are_recognised(pieces):
    def not_cleared(xs, ys, epochs=201, lr=0.05):
        return ch11.correct_fit_line(xs, ys, epochs, lr, zero=False)

    message = failure_of(ch11.fit_line, not_cleared)
    assert_readable(message, "fit_line")
    assert "case 1 of 4" in message and "the broken loop's numbers" in message
    assert "w = 2.00" in message  # the expected w after 201 steps, near 2
    problems = _differs("fit_line", pieces["fit_line"], not_cleared)
    assert problems and all("differ" in p or "got" in p for p in problems), problems


def test_clearing_only_one_gradient_is_caught(pieces):
    def half(xs, ys, epochs=201, lr=0.05):
        w = engine.tensor(0.0, requires_grad=True)
        b = engine.tensor(0.0, requires_grad=True)
        losses = []
        for _ in range(epochs):
            loss = ((w * xs + b - ys) ** 2).mean()
            loss.backward()
            with engine.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
            w.grad = None  # b's gradient keeps accumulating
            losses.append(loss.item())
        return w.item(), b.item(), losses

    message = failure_of(ch11.fit_line, half)
    assert "case 1 of 4" in message and "the first update is right and the second is not" in message
    assert _differs("fit_line", pieces["fit_line"], half)


# --- train_network ----------------------------------------------------------------------------

def test_the_in_place_centring_is_explained(pieces):
    def broken(x, y, w1, w2, steps=100, lr=0.1):
        w1, w2 = w1.clone().requires_grad_(), w2.clone().requires_grad_()
        losses = []
        for _ in range(steps):
            h = (x @ w1).tanh()
            h -= h.mean(0)
            loss = ((h @ w2 - y) ** 2).mean()
            loss.backward()
            with engine.no_grad():
                w1 -= lr * w1.grad
                w2 -= lr * w2.grad
            w1.grad = w2.grad = None
            losses.append(loss.item())
        return w1.detach(), w2.detach(), losses

    message = failure_of(ch11.train_network, broken)
    assert_readable(message, "train_network", expected=False)
    assert "case 1 of 3" in message and "modified by an inplace operation" in message
    assert "write h = h - h.mean(0)" in message
    problems = _differs("train_network", pieces["train_network"], broken)
    assert problems and all("raised RuntimeError" in p for p in problems), problems


@pytest.mark.parametrize("centre, words", [("none", "the centring is gone"),
                                           ("detached mean", "the mean is detached")])
def test_half_repairs_of_the_centring_are_named(pieces, centre, words):
    def repaired(x, y, w1, w2, steps=100, lr=0.1):
        return ch11.correct_train_network(x, y, w1, w2, steps, lr, centre=centre)

    message = failure_of(ch11.train_network, repaired)
    assert_readable(message, "train_network")
    assert "case 1 of 3" in message and words in message
    assert _differs("train_network", pieces["train_network"], repaired)


def test_training_the_callers_weights_is_caught(pieces):
    def in_the_callers(x, y, w1, w2, steps=100, lr=0.1):
        result = ch11.correct_train_network(x, y, w1, w2, steps, lr)
        w1.copy_(result[0])
        return result

    message = failure_of(ch11.train_network, in_the_callers)
    assert "the caller's w1 and w2 unchanged" in message and "clone()" in message
    assert _differs("train_network", pieces["train_network"], in_the_callers)


# --- fit_distance -----------------------------------------------------------------------------

def _distance_loop(root):
    def loop(x, y, w, steps=100, lr=0.1):
        w = w.clone().requires_grad_()
        losses = []
        for _ in range(steps):
            squared = ((x @ w - y) ** 2).sum(1)
            loss = root(squared).mean()
            loss.backward()
            with engine.no_grad():
                w -= lr * w.grad
            w.grad = None
            losses.append(loss.item())
        return w.detach(), losses
    return loop


def test_the_nan_is_explained(pieces):
    broken = _distance_loop(lambda s: s.sqrt())
    message = failure_of(ch11.fit_distance, broken)
    assert_readable(message, "fit_distance")
    assert "case 1 of 3" in message and "finite losses" in message and "losses[1] = nan" in message
    assert "where(squared > 0, squared, 1)" in message
    problems = _differs("fit_distance", pieces["fit_distance"], broken)
    assert any("nan" in p or "differ" in p for p in problems), problems


def test_dropping_the_padding_from_the_mean_is_named(pieces):
    def real_rows(x, y, w, steps=100, lr=0.1):
        return ch11.correct_fit_distance(x, y, w, steps, lr, mean_over="real rows")

    message = failure_of(ch11.fit_distance, real_rows)
    assert_readable(message, "fit_distance")
    assert "case 1 of 3" in message and "padding rows were left out of the mean" in message
    assert _differs("fit_distance", pieces["fit_distance"], real_rows)


@pytest.mark.parametrize("root", [lambda s: (s + 1e-12).sqrt(),
                                  lambda s: s.clamp(min=1e-12).sqrt()], ids=["eps", "clamp"])
def test_a_tiny_epsilon_is_an_acceptable_repair(pieces, root, capsys):
    repaired = _distance_loop(root)
    ch11.fit_distance(repaired)
    assert "✓ fit_distance: all 3 cases pass." in capsys.readouterr().out
    assert _differs("fit_distance", pieces["fit_distance"], repaired) == []


def test_unwritten_loops_say_so():
    def stub(*args):
        raise NotImplementedError()

    for check in (ch11.fit_line, ch11.train_network, ch11.fit_distance):
        assert "is not written yet" in failure_of(check, stub)
    observed = observe("11", "fit_distance", stub, 0)
    assert all(v == {"raised": "NotImplementedError"} for v in observed.values())
