"""Chapter 04, "Non-scalar outputs": what its reference solution shows, with the lessons'
numbers."""

from __future__ import annotations

import pytest

from .conftest import all_text, chapter_or_skip

CHAPTER, pytestmark = chapter_or_skip("04")

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


def test_the_textbooks_two_x_transpose_x(outputs):
    texts = [t for t, _ in outputs]
    assert "tensor([0., 1., 2., 3.])\nNone\n" in texts
    assert ("tensor(28., grad_fn=<MulBackward0>)\ntensor([ 0.,  4.,  8., 12.])\n"
            "tensor([True, True, True, True])\n") in texts


def test_a_vector_output_needs_a_gradient(outputs):
    text = all_text(outputs)
    assert "RuntimeError: grad can be implicitly created only for scalar outputs\n" in text
    assert "tensor([0., 2., 4., 6.])\n" in [t for t, _ in outputs]  # backward(ones): 2x
    assert "tensor([[2., 4.],\n        [6., 8.]])\n" in [t for t, _ in outputs]
    assert "(x ** 2).sum().backward():          tensor([2., 4., 6.])" in text
    assert "(x ** 2).backward(ones_like(y)):    tensor([2., 4., 6.])" in text
    assert ("RuntimeError: Mismatch in shape: grad_output[0] has a shape of engine.Size([2]) "
            "and output[0] has a shape of engine.Size([3]).") in text


def test_weighted_outputs_and_the_chain_cut_in_two(outputs):
    text = all_text(outputs)
    assert "v = [0, 1, 0]: tensor([0., 4., 0.])" in text
    assert "backward(v):          tensor([ 1., -4., 12.])" in text
    assert "(y * v).sum().backward(): tensor([ 1., -4., 12.])" in text
    assert "x.grad from h.backward(v): tensor([-16.,  -8.,  48.])" in text
    assert "x.grad from loss.backward(): tensor([-16.,  -8.,  48.])" in text


def test_the_sums_backward_is_where_the_ones_come_from(outputs):
    text = all_text(outputs)
    assert "SumBackward0    receives 1.0, passes on [[1.0, 1.0, 1.0, 1.0]]" in text
    assert text.count("MulBackward0    receives [1.0, 1.0, 1.0, 1.0]") == 2
    assert "tensor([[ 1.,  1.,  1.],\n        [10., 10., 10.]])" in text


def test_your_engine_runs_the_examples_and_the_line_fit(outputs):
    texts = [t for t, _ in outputs]
    assert "tensor([0., 2., 4., 6.])\ntensor([[2., 4.],\n        [6., 8.]])\n" in texts
    assert "tensor([ 6., 15.], grad_fn=<SumBackward>)" in all_text(outputs)
    assert any(t.startswith(TWO_PARAMETERS) and t.endswith(
        "the same lines as with the engine's own Sum and Pow: True\n") for t in texts)


def test_pictures_plots_and_widgets(outputs):
    kinds = [k for _, ks in outputs for k in ks]
    assert kinds.count("image/svg+xml") == 3  # 2xᵀx, the row sums' values, your line fit
    assert kinds.count("image/png") == 1  # three Jacobians
    assert kinds.count("application/vnd.jupyter.widget-view+json") == 1  # practice quiz
