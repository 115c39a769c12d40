"""Chapter 05, "Gradients accumulate": what its reference solution shows, with the lessons'
numbers."""

from __future__ import annotations

import re

import pytest

from .conftest import all_text, chapter_or_skip

CHAPTER, pytestmark = chapter_or_skip("05")

LAB = """\
after first backward: 6.0
after second backward: 8.0
after zero and third backward: 2.0
"""
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


def _texts(outputs):
    return [t for t, _ in outputs]


def test_the_accumulation_lab_prints_6_8_2_on_the_engine_and_on_your_rule(outputs):
    assert _texts(outputs).count(LAB) == 2  # the lab, then the lab on your accumulate_grad


def test_the_same_backward_twice_adds_up(outputs):
    assert "tensor(6.)\ntensor(12.)  (6 + 6, not 6)\n" in _texts(outputs)
    text = all_text(outputs)
    assert "L1.backward(); L2.backward(): tensor([ 5., -1.])" in text
    assert "(L1 + L2).backward():         tensor([ 5., -1.])" in text


def test_zero_keeps_the_tensor_and_none_drops_it(outputs):
    text = all_text(outputs)
    assert "after a second backward:  x.grad = tensor([6., 6.]) | the same tensor: True" in text
    assert "after zero_() + backward: x.grad = tensor([3., 3.]) | the same tensor: True" in text
    assert "after None + backward:    x.grad = tensor([3., 3.]) | the same tensor: False" in text
    assert "after zero_grad(set_to_none=False):  tensor([[0., 0., 0.]])" in text
    assert "after zero_grad():                   None" in text


def test_forgetting_to_reset_never_converges(outputs):
    text = next(t for t in _texts(outputs) if t.startswith("with the reset:"))
    finals = [float(x) for x in re.findall(r"\.\.\. (\S+)", text)]
    assert len(finals) == 2 and finals[0] < 0.01 < 1 < finals[1], text


def test_a_parameter_used_twice_gets_the_sum(outputs):
    text = all_text(outputs)
    assert "one backward on the whole loss: tensor(20.)" in text
    assert "backward on the first term:     tensor(2.)" in text
    assert "then on the second term:        tensor(20.)" in text
    assert "a.grad: tensor([11., 11.]) | b.grad: tensor([11., 11.]) | v: tensor([11., 11.])" in text


def test_micro_batches_equal_one_big_batch(outputs):
    text = all_text(outputs)
    equal = float(re.search(r"largest difference: (\S+)", text).group(1))
    assert equal < 1e-12
    by_count = float(re.search(r"number of micro-batches: largest difference (\S+)", text)[1])
    by_share = float(re.search(r"n / N   : largest difference (\S+)", text)[1])
    assert by_share < 1e-12 < 1e-3 < by_count


def test_your_engine_trains_the_line_in_micro_batches(outputs):
    texts = _texts(outputs)
    assert TWO_PARAMETERS in texts
    assert "the same lines as one batch of 4: True\n" in texts


def test_pictures_plots_and_widgets(outputs):
    kinds = [k for _, ks in outputs for k in ks]
    assert kinds.count("image/svg+xml") == 1  # a parameter used twice
    assert kinds.count("image/png") == 1  # with and without resetting
    assert kinds.count("application/vnd.jupyter.widget-view+json") == 1  # practice quiz
