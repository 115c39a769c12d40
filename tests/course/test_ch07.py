"""Chapter 07, "Dynamic graphs and control flow": what its reference solution shows, with the
lessons' numbers and PyTorch's texts."""

from __future__ import annotations

import pytest

from .conftest import chapter_or_skip

CHAPTER, pytestmark = chapter_or_skip("07")

SECOND_TIME = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


@pytest.fixture(scope="module")
def outputs(cell_outputs):
    """Every cell's (stdout, mime types of its displays) of the executed reference."""
    return cell_outputs(CHAPTER, stderr=False)


@pytest.fixture(scope="module")
def texts(outputs):
    return [t for t, _ in outputs]


def test_one_function_two_graphs(texts):
    assert "tensor([6., 6.])\n" in texts  # the `if` branch: x -> *2 -> *3
    assert "tensor([2., 2.])\n" in texts  # the `else` branch: 2x - 100
    assert "the same values: True\nthe same node:   False\n" in texts


def test_the_while_loop_lab(texts):
    assert "tensor(True)\ntensor(True)\ntensor(True)\n" in texts
    assert ("a =   0.3: 12 multiplications recorded, f(a) =     1228.8, a.grad =   4096.0\n"
            "a =  -0.7: 12 multiplications recorded, f(a) =  -143360.0, a.grad = 204800.0\n"
            "a =   1.5: 10 multiplications recorded, f(a) =     1536.0, a.grad =   1024.0\n"
            ) in texts


def test_a_running_total_keeps_every_graph(texts):
    assert ("after   1 steps, the graph of total has 6 nodes\n"
            "after  10 steps, the graph of total has 51 nodes\n"
            "after 100 steps, the graph of total has 501 nodes\n") in texts


def test_backward_frees_and_a_second_pass_fails(texts):
    assert ("outputs alive before backward: 10\n"
            "outputs alive after backward:  1 (the last one: the variable y holds it)\n") in texts
    assert f"RuntimeError: {SECOND_TIME}\n\nRuntimeError: {SECOND_TIME}\n" in texts


def test_retain_graph(texts):
    assert "tensor([2.])\ntensor([4.])\ntensor([8.])\n" in texts
    assert ("(loss1 + loss2).backward(): 1 pass through the trunk\n"
            "two backward calls:         2 passes through the trunk\n"
            "the same gradients: True\n"
            "without retain_graph: Trying to backward through the graph a second time\n"
            ) in texts


def test_your_node_in_the_engines_backward(texts):
    text = next(t for t in texts if t.startswith("x.grad:"))
    lines = text.splitlines()
    assert lines[0].split(":", 1)[1].strip() == lines[1].split(":", 1)[1].strip()
    assert lines[2] == f"RuntimeError: {SECOND_TIME}"
    assert ("saved outputs alive before backward: 10\n"
            "after backward(retain_graph=True):   10\n"
            "after a second backward:             1\n"
            "a third backward: RuntimeError: Trying to backward through the graph a second "
            "time\n") in texts
    assert "the same gradients as the engine's tanh, doubled: True\n" in texts
    fit = next(t for t in texts if t.startswith("step= 0"))
    assert fit.endswith("the same lines as with the engine's tanh: True\n")
    assert fit.count("step=") == 4


def test_pictures_plots_and_widgets(outputs):
    kinds = [k for _, ks in outputs for k in ks]
    assert kinds.count("image/svg+xml") == 4  # two branches, two losses, your tanh
    assert kinds.count("image/png") == 1  # the sawtooth and its slopes
    assert kinds.count("application/vnd.jupyter.widget-view+json") == 1  # practice quiz
