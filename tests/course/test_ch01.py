"""Chapter 01, "Why gradients": what its reference solution shows, with the lessons' numbers."""

from __future__ import annotations

import re

import pytest

from .conftest import chapter_or_skip

CHAPTER, pytestmark = chapter_or_skip("01")

SINGLE_PARAMETER = """\
single_parameter_training
step=1 w=4.4000 loss=16.0000 grad=-24.0000
step=2 w=2.4800 loss=10.2400 grad=19.2000
step=3 w=4.0160 loss=6.5536 grad=-15.3600
step=4 w=2.7872 loss=4.1943 grad=12.2880
step=5 w=3.7702 loss=2.6844 grad=-9.8304
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


def test_the_one_parameter_lab(outputs):
    texts = [t for t, _ in outputs]
    assert "loss: 16.0\n" in texts and "w.grad: -24.0\n" in texts
    assert SINGLE_PARAMETER in texts


def test_the_two_parameter_fit(outputs):
    assert TWO_PARAMETERS in [t for t, _ in outputs]


def test_pictures_plots_and_widgets(outputs):
    kinds = [k for _, ks in outputs for k in ks]
    assert kinds.count("image/svg+xml") == 1  # the graph of the loss, by engine.viz
    assert kinds.count("image/png") == 2  # error vs step, loss curves per learning rate
    assert kinds.count("application/vnd.jupyter.widget-view+json") == 2  # slider, practice quiz


def test_numerical_gradients_cost_two_evaluations_per_parameter(outputs):
    assert "evaluations of the loss: 2000\n" in [t for t, _ in outputs]


def test_your_engine_agrees_with_the_engines_backward(outputs):
    text = next(t for t, _ in outputs if "largest difference" in t)
    differences = [float(x) for x in re.findall(r"backward: (\S+)", text)]
    assert len(differences) == 3 and all(d < 1e-8 for d in differences), text
