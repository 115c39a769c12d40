"""Chapter 06, "Switching autograd off": what its reference solution shows, with the lessons'
numbers and PyTorch's texts."""

from __future__ import annotations

import pytest

from .conftest import chapter_or_skip

CHAPTER, pytestmark = chapter_or_skip("06")

DOT_X_X = """\
tensor([0., 1., 2., 3.])
None
tensor(28., grad_fn=<MulBackward0>)
tensor([ 0.,  4.,  8., 12.])
tensor([True, True, True, True])
tensor([True, True, True, True])
"""
TRACKING_FLAGS = """\
tracked.requires_grad: True
detached.requires_grad: False
untracked.requires_grad: False
"""
QUANTIZED_FIT = """\
quantized_fit
epoch=  0 loss=41.0000 w=1.7500 b=0.6000 w_q=1.75 b_q=0.50
epoch= 50 loss=0.0000 w=2.1250 b=0.8875 w_q=2.00 b_q=1.00
epoch=100 loss=0.0000 w=2.1250 b=0.8875 w_q=2.00 b_q=1.00
epoch=150 loss=0.0000 w=2.1250 b=0.8875 w_q=2.00 b_q=1.00
epoch=200 loss=0.0000 w=2.1250 b=0.8875 w_q=2.00 b_q=1.00
"""
INFERENCE_SAVED = (
    "RuntimeError: Inference tensors cannot be saved for backward. Please do not use Tensors "
    "created in inference mode in computation tracked by autograd. To work around this, you can "
    "make a clone to get a normal tensor and use it in autograd, or use `engine.no_grad()` "
    "instead of `engine.inference_mode()`.\n"
)


@pytest.fixture(scope="module")
def outputs(cell_outputs):
    """Every cell's (stdout, mime types of its displays) of the executed reference."""
    return cell_outputs(CHAPTER, stderr=False)


@pytest.fixture(scope="module")
def texts(outputs):
    return [t for t, _ in outputs]


def test_what_recording_keeps(texts):
    assert "recorded: 61 nodes, 10.0 MiB of intermediate results kept\n" \
           "under no_grad: grad_fn = None | requires_grad = False\n" in texts


def test_the_no_grad_labs(texts):
    assert "False\nTrue\n" in texts  # y = x ** 2 under no_grad; x untouched
    assert "True\nFalse\nFalse\n" in texts  # recorded, in a block, decorated
    assert "w.grad: 24.0\n" in texts  # a value computed under no_grad is a constant
    assert ("outside:             True\nin no_grad:          False\n  in enable_grad:    True\n"
            "back in no_grad:     False\noutside again:       True\n") in texts


def test_the_update_step(texts):
    assert ("RuntimeError: a leaf Variable that requires grad is being used in an in-place "
            "operation.\n") in texts
    out_of_place = next(t for t in texts if t.startswith("w: tensor(4.4000"))
    assert "grad_fn=<SubBackward0>" in out_of_place and "is_leaf: False" in out_of_place
    assert "w.grad after the next backward: None" in out_of_place
    assert "w: 4.4 | is_leaf: True | requires_grad: True\n" in texts


def test_inference_mode(texts):
    assert "requires_grad: False | is_inference: True\nunder no_grad, is_inference: False\n" \
           in texts
    assert (INFERENCE_SAVED + "\nRuntimeError: Setting requires_grad=True on inference tensor "
            "outside InferenceMode is not allowed.\n") in texts


def test_the_detach_labs(texts):
    assert TRACKING_FLAGS in texts
    assert "True False\ntensor(9.)\n" in texts
    assert DOT_X_X in texts
    assert "y after d.add_(1): tensor([3., 5., 7.], grad_fn=<MulBackward0>)\n" in texts
    versions = next(t for t in texts if t.startswith("versions before"))
    assert "versions before: 0 0\nversions after:  1 1\n" in versions
    assert ("RuntimeError: one of the variables needed for gradient computation has been "
            "modified by an inplace operation: [engine.FloatTensor [3]], which is output 0 of "
            "Exp, is at version 1; expected version 0 instead.") in versions


def test_requires_grad_and_the_straight_through_estimator(texts):
    assert any(t.startswith("h.grad: -8.0 | w.grad: None\nRuntimeError: you can only change "
                            "requires_grad flags of leaf variables.") for t in texts)
    assert "gradient through round: tensor([0., 0., 0.])\n" in texts
    assert ("q: tensor([ 0.,  2., -1.], grad_fn=<AddBackward0>)\n"
            "gradient through the estimator: tensor([1., 1., 1.])\n") in texts


def test_your_engine_trains_the_quantized_fit(texts):
    assert QUANTIZED_FIT in texts
    assert "loss: 41.0 | w.grad: 0.0 | b.grad: 0.0\n" in texts
    assert QUANTIZED_FIT + "\nthe same lines as the engine's own: True\n" in texts
    assert ("x.grad == u: tensor([True, True, True, True])\n"
            "same memory as y: True | same version counter: True\n") in texts


def test_pictures_plots_and_widgets(outputs):
    kinds = [k for _, ks in outputs for k in ks]
    assert kinds.count("image/svg+xml") == 3  # a no_grad constant, detach, the estimator
    assert kinds.count("image/png") == 2  # the estimator's two passes; your quantized run
    assert kinds.count("application/vnd.jupyter.widget-view+json") == 1  # practice quiz
