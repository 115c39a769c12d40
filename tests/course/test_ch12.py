"""Chapter 12, "The GPU backend": what its reference solution shows.

The notebook runs on a real GPU when there is one and on the CPU stand-in for CuPy otherwise;
these tests read its printed output and check what must hold on either: PyTorch's error texts
word for word, the copies to the host counted exactly, the numbers of the logsumexp lab, equal
training on both devices, and the pictures and plots (two more plots with a GPU: the timings)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from .conftest import chapter_or_skip, text_with

CHAPTER, pytestmark = chapter_or_skip("12")

SAME_DEVICE = ("Expected all tensors to be on the same device, but found at least two devices, "
               "cuda:0 and cpu!")
NUMPY_ON_CUDA = ("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the "
                 "tensor to host memory first.")


@pytest.fixture(scope="module")
def outputs(cell_outputs):
    """Every cell's (stdout, mime types of its displays) of the executed reference."""
    return cell_outputs(CHAPTER)


@pytest.fixture(scope="module")
def have_gpu(outputs):
    first = text_with(outputs, "GPU")
    assert first.startswith(("A GPU is here", "No GPU here")), first
    return first.startswith("A GPU is here")


def test_pictures_plots_and_widgets(outputs, have_gpu):
    kinds = [k for _, ks in outputs for k in ks]
    assert kinds.count("image/svg+xml") == 2  # a graph on the device, a transfer's node
    # overflow, your engine's training; with a GPU also copy speed and step time
    assert kinds.count("image/png") == (4 if have_gpu else 2)
    assert kinds.count("application/vnd.jupyter.widget-view+json") == 1  # practice quiz


def test_without_a_gpu_the_reason_is_printed(outputs, have_gpu):
    first = text_with(outputs, "GPU")
    if not have_gpu:
        assert "CuPy" in first and "cells that time a GPU will skip" in first
        assert "No GPU: the copy timing is skipped." in text_with(outputs, "copy timing")
        assert "No GPU: the timing is skipped." in text_with(outputs, "the timing is skipped")


def test_where_a_tensor_lives(outputs):
    text = text_with(outputs, "holds a")
    assert "x: cpu holds a numpy.ndarray" in text
    assert "y: cuda:0 holds a cupy.ndarray" in text
    assert "tensor([2., 4., 6.], device='cuda:0')" in text
    assert "back on the host: cpu" in text


def test_every_op_goes_through_array_module(outputs):
    source = text_with(outputs, "class Exp(")
    assert "array_module(a).exp(" in source
    text = text_with(outputs, "array_module of a NumPy array")
    assert "array_module of a NumPy array: numpy" in text
    assert re.search(r"array_module of a CuPy array:\s+(cupy|engine\._fake_cupy)\n", text), text


def test_a_transfer_is_differentiable(outputs):
    text = text_with(outputs, "q.grad_fn")
    assert "q.grad_fn: ToCopyBackward0" in text and "p.grad: tensor([2., 4., 6.]) on cpu" in text


def test_the_copies_to_the_host_are_counted_exactly(outputs):
    text = text_with(outputs, "loss.item() at every step")
    assert "loss.item() at every step:           20 copies to the host" in text
    assert "losses kept on the GPU, copied once: 1 copy to the host" in text
    assert "the same losses: True" in text
    table = dict(re.findall(r"^(.+?)\s+copies to the host: (\d)$",
                            text_with(outputs, "float(loss)"), re.MULTILINE))
    assert table == {"loss.item()": "1", "float(loss)": "1", "print(loss)": "1",
                     "loss < 0.1 and 'small'": "1", "loss.tolist()": "1", "loss.cpu()": "1",
                     "loss * 2": "0", "engine.zeros(3, device='cuda')": "0"}


def test_logsumexp_without_overflow(outputs):
    text = text_with(outputs, "as written:")
    naive = re.search(r"as written: (\S+)", text).group(1)
    stable = float(re.search(r"z\.logsumexp\(0\):\s+(\S+)", text).group(1))
    assert naive == "inf"
    exact = np.logaddexp.reduce(np.array([1000.0, 1000.5, 990.0]))
    assert abs(stable - exact) < 1e-4, (stable, exact)
    first = float(text_with(outputs, "first scale where").split(":")[-1])
    assert 88.7 < first < 100, first  # exp overflows a float32 beyond 88.72


def test_your_logsumexp_on_both_devices(outputs):
    text = text_with(outputs, "softmax rows")
    rows = re.findall(r"(cpu|cuda): logsumexp \[(\S+), (\S+)\]\s+grad_fn (\w+)", text)
    assert [r[0] for r in rows] == ["cpu", "cuda"]
    for _, first, second, node in rows:
        assert abs(float(first) - np.logaddexp.reduce([2.0, 1.0, 0.1])) < 1e-12
        assert abs(float(second) - np.logaddexp.reduce([1000.0, 1000.5, 990.0])) < 1e-9
        assert node == "LogsumexpBackward0"
    assert text.count("sum to [1.0, 1.0]") == 2


def test_pytorchs_device_errors_word_for_word(outputs):
    text = text_with(outputs, "a.numpy()")
    for line in ("a + b", "b @ a", "engine.cat([a, b])"):
        assert f"{line:20s} RuntimeError: {SAME_DEVICE}" in text, line
    assert f"a.numpy()            TypeError: {NUMPY_ON_CUDA}" in text
    assert "a + b.to(a.device): tensor([4., 6.], device='cuda:0')" in text


def test_a_cpu_scalar_may_meet_a_gpu_tensor(outputs):
    text = text_with(outputs, "scale.grad")
    assert "out: tensor([10., 20.], device='cuda:0', grad_fn=<MulBackward0>)" in text
    assert "scale.grad: tensor(3.) on cpu" in text
    assert f"a 0-d GPU tensor with a CPU tensor: {SAME_DEVICE}" in text


def test_training_on_the_device_matches_the_cpu(outputs, have_gpu):
    text = text_with(outputs, "largest difference between the CPU and")
    first, last = (float(x) for x in re.search(r"first loss ([\d.]+), last ([\d.]+)",
                                                text).groups())
    assert last < first / 5, text
    difference = float(text.strip().split(": ")[-1])
    assert difference == 0 if not have_gpu else difference < 1e-4, text


def test_your_engine_trains_a_classifier(outputs):
    text = text_with(outputs, "after 100 steps")
    start, end = (float(x) for x in re.findall(r"([\d.]+) (?:at the start|after 100 steps)",
                                               text))
    accuracy = float(re.search(r"accuracy: ([\d.]+)", text).group(1))
    assert end < start / 5 and accuracy >= 0.9, text
    assert "(the loss node: LogsumexpBackward0)" in text
    assert f"your common_device: {SAME_DEVICE}" in text
