"""Chapter 08, "Tensors and a training loop": what its reference solution shows, with the
lessons' numbers."""

from __future__ import annotations

import re

import pytest

from .conftest import all_text, chapter_or_skip

CHAPTER, pytestmark = chapter_or_skip("08")

TWO_PARAMETERS = """\
two_parameter_fit
epoch=  0 loss=41.0000 w=1.7500 b=0.6000
epoch= 50 loss=0.0030 w=2.0452 b=0.8672
epoch=100 loss=0.0007 w=2.0212 b=0.9375
epoch=150 loss=0.0001 w=2.0100 b=0.9706
epoch=200 loss=0.0000 w=2.0047 b=0.9862
"""


@pytest.fixture(scope="module")
def outputs(cell_outputs):
    """Every cell's (stdout, mime types of its displays) of the executed reference."""
    return cell_outputs(CHAPTER)


def test_the_two_parameter_fit_prints_the_lessons_numbers_every_time(outputs):
    # the lab, the same model as a matrix product, with engine.optim.SGD, with your SGD
    assert sum(TWO_PARAMETERS in t for t, _ in outputs) == 4
    text = all_text(outputs)
    assert "the same lines as the hand-written loop: True" in text
    assert "the same lines as engine.optim.SGD: True" in text


def test_broadcast_gradients_are_sums(outputs):
    text = all_text(outputs)
    assert text.count("b.grad: tensor([5., 7., 9.])\n") == 2  # the engine's, then yours
    assert "their sum: -35.0   w.grad: -35.0\n" in text  # chapter 01's first gradient
    assert "b's four contributions sum to: -12.0   b.grad: -12.0\n" in text


def test_the_gradient_of_two_x_dot_x_is_four_x(outputs):
    assert "tensor(28., grad_fn=<MulBackward0>)\ntensor([ 0.,  4.,  8., 12.])\n" in [
        t for t, _ in outputs]


def test_matrix_product_gradients_match_the_formulas(outputs):
    text = all_text(outputs)
    assert "A.grad equals G @ B.T: True" in text and "B.grad equals A.T @ G: True" in text
    assert "equal to X.T @ ones: True" in text


def test_reductions(outputs):
    text = all_text(outputs)
    assert "m.mean()      m.grad = [[0.1667, 0.1667, 0.1667], [0.1667, 0.1667, 0.1667]]" in text
    assert "m.max(dim=1)  m.grad = [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]" in text
    assert "a tie, t = [2, 2, 1]: t.grad = tensor([0.5000, 0.5000, 0.0000])" in text


def test_the_digit_reader_learns_and_your_engine_trains_it_identically(outputs):
    text = all_text(outputs)
    untrained = float(re.search(r"untrained network on 50 pictures: (\S+)", text).group(1))
    assert 2.0 < untrained < 2.7
    accuracies = [float(a) for a in re.findall(r"held-out accuracy (\S+)", text)]
    assert len(accuracies) == 20 and accuracies[:10] == accuracies[10:]
    assert accuracies[9] > 0.95
    difference = float(re.search(r"over all 280 losses: (\S+)", text).group(1))
    assert difference < 1e-5


def test_pictures_plots_and_widgets(outputs):
    kinds = [k for _, ks in outputs for k in ks]
    # graphs: b's gradient (values), what Mm saves, your MatMul, the digit reader
    assert kinds.count("image/svg+xml") == 4
    # the valley, the digits, the training curves, your engine's curves
    assert kinds.count("image/png") == 4
    assert kinds.count("application/vnd.jupyter.widget-view+json") == 2  # slider, practice quiz
