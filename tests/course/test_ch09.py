"""Chapter 09, "Custom Functions and gradcheck": what its reference solution shows."""

from __future__ import annotations

import pytest

from .conftest import all_text, chapter_or_skip

CHAPTER, pytestmark = chapter_or_skip("09")


@pytest.fixture(scope="module")
def outputs(cell_outputs):
    """Every cell's (stdout, mime types of its displays) of the executed reference."""
    return cell_outputs(CHAPTER)


def test_the_lessons_silu_equals_autograd_and_cannot_be_instantiated(outputs):
    text = all_text(outputs)
    assert "x.grad:               tensor([-0.0908,  0.2600,  0.5000,  0.9277,  1.0881])" in text
    assert "the same, autograd'd: tensor([-0.0908,  0.2600,  0.5000,  0.9277,  1.0881])" in text
    assert "grad_fn=<MySiLUBackward>" in text
    assert "RuntimeError: MySiLU is not meant to be instantiated" in text


def test_ctx_and_the_errors_it_catches(outputs):
    text = all_text(outputs)
    assert "needs_input_grad: (True, False, False)" in text
    assert "w.grad: tensor([  5., -10.,  20.])" in text
    assert ("returned an incorrect number of gradients (expected 2, got 1)" in text)
    assert "has been modified by an inplace operation" in text


def test_recomputing_halves_the_memory_and_fixes_the_second_derivative(outputs):
    text = all_text(outputs)
    assert "MySiLU    keeps 2 tensors for backward: 8.0 MB" in text
    assert "LeanSiLU  keeps 1 tensor  for backward: 4.0 MB" in text
    assert "x * x.sigmoid(): [0.3024, 0.5, 0.0501]" in text
    assert "LeanSiLU:        [0.3024, 0.5, 0.0501]" in text
    assert "MySiLU:          [0.1966, 0.25, 0.105]" in text
    assert ("RuntimeError: element 0 of tensors does not require grad and does not have a "
            "grad_fn") in text  # once_differentiable


def test_gradcheck_demos(outputs):
    text = all_text(outputs)
    assert "LeanSiLU: True" in text
    assert "GradcheckError: Jacobian mismatch for output 0 with respect to input 0,\n" in text
    assert "float32: GradcheckError: Jacobian mismatch" in text and "float64: True" in text
    assert "is not a double precision floating point" in text


def test_your_gradcheck_finds_both_bugs_and_passes_the_rest(outputs):
    lines = {line[:34].strip(): line[34:].strip() for line in all_text(outputs).splitlines()
             if line.startswith(("your Softplus", "LeanSiLU", "MySiLU", "DiagonalSoftmax",
                                 "a matrix product"))
             and ("passes" in line or "GradcheckError" in line)}
    failing = {k for k, v in lines.items() if v.startswith("GradcheckError")}
    assert len(lines) == 8, lines
    assert failing == {"DiagonalSoftmax", "MySiLU, second derivative"}, lines


def test_pictures_plots_and_widgets(outputs):
    kinds = [k for _, ks in outputs for k in ks]
    assert kinds.count("image/svg+xml") == 2  # MySiLU's node, the composition's two nodes
    assert kinds.count("image/png") == 3  # softplus curves, the Jacobians, float32 vs float64
    assert kinds.count("application/vnd.jupyter.widget-view+json") == 1  # the practice quiz
