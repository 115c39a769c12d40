"""Chapter 11, "Debugging autograd": its reference solution reproduces every row of the lessons'
error and symptom tables with PyTorch's messages, prints the labs' numbers, and shows its
measurements (checked for what must hold on any machine, not as exact numbers)."""

from __future__ import annotations

import re

import pytest

from .conftest import all_text, chapter_or_skip, text_with

CHAPTER, pytestmark = chapter_or_skip("11")

SINGLE_PARAMETER = """\
single_parameter_training
step=1 w=4.4000 loss=16.0000 grad=-24.0000
step=2 w=2.4800 loss=10.2400 grad=19.2000
step=3 w=4.0160 loss=6.5536 grad=-15.3600
step=4 w=2.7872 loss=4.1943 grad=12.2880
step=5 w=3.7702 loss=2.6844 grad=-9.8304
"""
ACCUMULATION = """\
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

# PyTorch's words for every error of the tables (see PYTORCH_PARITY.md).
MESSAGES = [
    "RuntimeError: element 0 of tensors does not require grad and does not have a grad_fn",
    "RuntimeError: grad can be implicitly created only for scalar outputs",
    "RuntimeError: Trying to backward through the graph a second time (or directly access "
    "saved tensors after they have already been freed).",
    "RuntimeError: a leaf Variable that requires grad is being used in an in-place operation.",
    "RuntimeError: one of the variables needed for gradient computation has been modified by "
    "an inplace operation: [engine.FloatTensor [4, 3]], which is output 0 of Tanh, is at "
    "version 1; expected version 0 instead. Hint: enable anomaly detection",
    "RuntimeError: Can't call numpy() on Tensor that requires grad. Use "
    "tensor.detach().numpy() instead.",
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed.",
    "TypeError: unsupported operand type(s) for *: 'float' and 'NoneType'",
    "Anomaly Detection has been enabled. This mode will increase the runtime and should only "
    "be enabled for debugging.",
    "Error detected in TanhBackward0. Traceback of forward call that caused the error:",
    "Error detected in SqrtBackward0. Traceback of forward call that caused the error:",
    "RuntimeError: Function 'SqrtBackward0' returned nan values in its 0th output.",
]


@pytest.fixture(scope="module")
def outputs(cell_outputs):
    """Every cell's (stdout and stderr, mime types of its displays) of the executed reference."""
    return cell_outputs(CHAPTER)


def test_pictures_plots_and_widgets(outputs):
    kinds = [k for _, ks in outputs for k in ks]
    assert kinds.count("image/svg+xml") == 3  # saved tensors, a cut graph, the NaN's values
    assert kinds.count("image/png") == 3  # clearing .grad, memory per step, your loops
    assert kinds.count("application/vnd.jupyter.widget-view+json") == 1  # practice quiz


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: m[:40])
def test_every_error_of_the_tables_is_reproduced_in_pytorchs_words(outputs, message):
    assert message in all_text(outputs)


def test_the_labs_print_the_lessons_numbers(outputs):
    texts = [t for t, _ in outputs]
    assert any(t.startswith(SINGLE_PARAMETER) for t in texts)
    assert ACCUMULATION in texts
    assert TWO_PARAMETERS in texts  # printed by the repaired fit_line


def test_not_clearing_the_gradient_piles_it_up(outputs):
    text = text_with(outputs, "never clearing .grad")
    assert "step=2 w=4.8800 loss=10.2400 grad=-4.8000" in text  # -24 + 19.2


def test_a_detached_hidden_layer_leaves_the_first_weights_without_gradient(outputs):
    texts = [t for t, _ in outputs]
    cut = next(t for t in texts if "w1.grad: None" in t)
    assert "w2.grad: [[" in cut
    assert any("w1.grad: [[" in t for t in texts)  # after the repair


def test_the_recorded_update_makes_w_a_non_leaf(outputs):
    assert "after step 1: w.is_leaf = False  w.grad_fn = SubBackward0" in all_text(outputs)
    assert "after step 2's backward: w.grad = None" in all_text(outputs)


def test_logging_tensors_grows_memory_and_numbers_do_not(outputs):
    text = text_with(outputs, "grows by")
    growth = {label.strip(): float(kib) for label, kib in
              re.findall(r"^(.*?)\s+grows by\s+([\d.]+) KiB per step", text, re.M)}
    assert len(growth) == 4, text
    assert growth["validation, log.append(loss)"] > 100  # a batch's activations per step
    assert growth["training, log.append(loss)"] > 1  # the graph's nodes
    assert growth["training, log.append(loss.item())"] < 0.5
    assert growth["validation, log.append(loss.item())"] < 0.5


def test_evaluation_under_no_grad_peaks_lower(outputs):
    text = text_with(outputs, "engine.no_grad()  peak")
    recording, no_grad = [float(x) for x in re.findall(r"peak\s+(\d+) KiB", text)]
    assert no_grad < recording / 3, text


def test_the_nan_and_its_repair(outputs):
    texts = [t for t, _ in outputs]
    assert any("x.grad: [0.25  nan  nan]" in t for t in texts)
    assert any("x.grad: [0.25 0.   0.  ]" in t for t in texts)


def test_the_broken_loops_show_their_symptoms(outputs):
    assert "losses: [41.0, 1.1288, 26.7588" in all_text(outputs)  # fit_line_broken
    distance = text_with(outputs, "w: [[nan, nan]")
    assert re.search(r"losses: \[[\d.]+, nan, nan\]", distance), distance


def test_your_loops_train_and_keep_no_graph(outputs):
    final = text_with(outputs, "final losses:")
    values = [float(x) for x in re.findall(r" ([\d.]+)", final)]
    assert len(values) == 3 and all(v < 0.5 for v in values), final
    kept = text_with(outputs, "kept after 2,000 steps")
    per_step = float(re.search(r"\((\d+) bytes per step\)", kept).group(1))
    assert per_step < 100, kept
