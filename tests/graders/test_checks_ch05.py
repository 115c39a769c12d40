"""The visible checks and the observations of chapter 05: the reference accumulate_grad and
accumulation_step pass; common mistakes get a verdict that names the case, the input,
expected vs got and a hint aimed at the mistake; and the observation of every wrong version
differs from the reference's."""

from __future__ import annotations

import functools
import json

import pytest

import engine
from graders.checks import ch05
from graders.probes import compare, observe

from ._check_helpers import assert_readable, failure_of

# --- accumulate_grad: the reference (as in solutions/05) and mistakes -----------------------


def accumulate_grad(leaf, grad):
    if leaf.grad is None:
        leaf.grad = grad.clone()
    else:
        leaf.grad += grad


def _replacing(leaf, grad):
    leaf.grad = grad.clone()


def _without_copy(leaf, grad):
    if leaf.grad is None:
        leaf.grad = grad
    else:
        leaf.grad += grad


def _out_of_place(leaf, grad):
    leaf.grad = grad.clone() if leaf.grad is None else leaf.grad + grad


def _detached_copy(leaf, grad):
    if leaf.grad is None:
        leaf.grad = grad.detach().clone()
    else:
        leaf.grad += grad


def _always_adding(leaf, grad):
    leaf.grad += grad


def _as_float32(leaf, grad):
    if leaf.grad is None:
        leaf.grad = grad.clone().float()
    else:
        leaf.grad += grad


def _doing_nothing(leaf, grad):
    pass


RULES = {"replacing": _replacing, "without a copy": _without_copy,
         "out of place": _out_of_place, "a detached copy": _detached_copy,
         "always adding": _always_adding, "as float32": _as_float32,
         "doing nothing": _doing_nothing}

# --- accumulation_step: the reference and mistakes ------------------------------------------


def accumulation_step(model, optimizer, loss_fn, micro_batches, *, weight="share",
                      zero="once", step="once", backward="each", returns="sum"):
    """The reference; the keywords switch on common mistakes."""
    rows = sum(len(inputs) for inputs, _ in micro_batches)
    if zero == "once":
        optimizer.zero_grad()
    whole, pending, loss = 0.0, None, None
    for inputs, targets in micro_batches:
        if zero == "each":
            optimizer.zero_grad()
        scale = {"share": len(inputs) / rows, "count": 1 / len(micro_batches),
                 "none": 1.0}[weight]
        loss = loss_fn(model(inputs), targets) * scale
        whole += loss.item()
        if backward == "each":
            loss.backward()
        else:
            pending = loss if pending is None else pending + loss
        if step == "each":
            optimizer.step()
    if pending is not None:
        pending.backward()
    if step == "once":
        optimizer.step()
    if zero == "after":
        optimizer.zero_grad()
    return {"sum": whole, "last": loss.item() if loss is not None else None,
            "tensor": engine.tensor(whole)}[returns]


def _mistake(**kw):
    return lambda *args: accumulation_step(*args, **kw)


STEPS = {
    "unweighted": _mistake(weight="none"),
    "divided by the count": _mistake(weight="count"),
    "zeroed in the loop": _mistake(zero="each"),
    "never zeroed": _mistake(zero="never"),
    "zeroed after the step": _mistake(zero="after"),
    "stepping each time": _mistake(step="each"),
    "one backward at the end": _mistake(backward="once"),
    "the last loss returned": _mistake(returns="last"),
    "a tensor returned": _mistake(returns="tensor"),
}


def test_reference_pieces_pass(capsys):
    ch05.accumulate_grad(accumulate_grad)
    ch05.accumulation_step(accumulation_step)
    out = capsys.readouterr().out
    assert "✓ accumulate_grad: all 10 cases pass." in out
    assert "✓ accumulation_step: all 7 cases pass." in out


# --- accumulate_grad ------------------------------------------------------------------------

def test_replacing_instead_of_adding_is_named():
    message = failure_of(ch05.accumulate_grad, _replacing)
    assert_readable(message, "accumulate_grad")
    assert "case 2 of 10" in message and "expected: x.grad = 8.0" in message
    assert "got:      x.grad = 2.0" in message and "leaf.grad += grad" in message


def test_storing_the_shared_array_is_caught():
    message = failure_of(ch05.accumulate_grad, _without_copy)
    assert_readable(message, "accumulate_grad")
    assert "case 6 of 10" in message and "b.grad = [11., 11.]" in message
    assert "store a copy the first time, grad.clone()" in message


def test_adding_out_of_place_is_caught():
    message = failure_of(ch05.accumulate_grad, _out_of_place)
    assert "case 5 of 10" in message and "held is x.grad = False" in message
    assert "add in place" in message


def test_a_detached_copy_breaks_a_recorded_pass():
    message = failure_of(ch05.accumulate_grad, _detached_copy)
    assert "case 9 of 10" in message and "create_graph=True" in message
    assert "detach() or engine.tensor(...) would cut it" in message


def test_errors_from_the_rule_are_explained():
    message = failure_of(ch05.accumulate_grad, _always_adding)
    assert_readable(message, "accumulate_grad", expected=False)
    assert "case 1 of 10" in message and "leaf.grad is None before a leaf's first" in message
    message = failure_of(ch05.accumulate_grad, _as_float32)
    assert "case 7 of 10" in message and "the leaf's own shape and dtype" in message


def test_a_rule_that_stores_nothing_says_where_to_start():
    message = failure_of(ch05.accumulate_grad, _doing_nothing)
    assert "case 1 of 10" in message and "got:      x.grad = None" in message
    assert "when leaf.grad is None, store the gradient" in message


def test_an_unwritten_rule_says_so():
    def stub(leaf, grad):
        raise NotImplementedError()
    message = failure_of(ch05.accumulate_grad, stub)
    assert "NotImplementedError: `accumulate_grad` is not written yet" in message


def test_the_engine_is_left_as_it_was_after_a_failing_rule():
    failure_of(ch05.accumulate_grad, _always_adding)
    x = engine.tensor(3.0, requires_grad=True)
    (x**2).backward()
    assert x.grad.item() == 6.0


# --- accumulation_step ----------------------------------------------------------------------

@pytest.mark.parametrize("name, case, hint", [
    ("unweighted", 1, "weight each loss by its share of the rows"),
    ("divided by the count", 2, "right only when they all have the same size"),
    ("zeroed in the loop", 1, "throws away what the earlier micro-batches added"),
    ("never zeroed", 3, "start with optimizer.zero_grad()"),
    ("stepping each time", 1, "call optimizer.step() once, after the loop"),
])
def test_wrong_parameters_are_traced_to_the_mistake(name, case, hint):
    message = failure_of(ch05.accumulation_step, STEPS[name])
    assert_readable(message, "accumulation_step")
    assert f"case {case} of 7" in message and "parameters after the step" in message
    assert hint in message


def test_one_backward_at_the_end_is_caught_by_counting_passes():
    message = failure_of(ch05.accumulation_step, STEPS["one backward at the end"])
    assert "case 1 of 7" in message and "2 backward passes per step" in message
    assert "got:      1 backward pass per step" in message and "in memory at once" in message


def test_the_gradients_must_stay_and_the_loss_must_be_the_whole_batchs():
    message = failure_of(ch05.accumulation_step, STEPS["zeroed after the step"])
    assert "the parameters' .grad after the step: -35.0; -12.0" in message
    message = failure_of(ch05.accumulation_step, STEPS["the last loss returned"])
    assert "the loss returned: 41.0" in message and "returned 32.5" in message
    message = failure_of(ch05.accumulation_step, STEPS["a tensor returned"])
    assert "a Python number" in message and ".item()" in message


# --- observations ---------------------------------------------------------------------------

_observed = functools.partial(observe, "05", seed=11)  # (piece name, piece) -> observation


@pytest.mark.parametrize("name", list(RULES))
def test_the_observation_of_a_wrong_rule_differs(name):
    expected = _observed("accumulate_grad", accumulate_grad)
    assert compare(expected, _observed("accumulate_grad", accumulate_grad), 1e-6, 1e-8) == []
    assert compare(expected, _observed("accumulate_grad", RULES[name]), 1e-6, 1e-8) != []


@pytest.mark.parametrize("name", list(STEPS))
def test_the_observation_of_a_wrong_step_differs(name):
    expected = _observed("accumulation_step", accumulation_step)
    assert compare(expected, _observed("accumulation_step", accumulation_step), 1e-6, 1e-8) == []
    assert compare(expected, _observed("accumulation_step", STEPS[name]), 1e-6, 1e-8) != []


def test_observations_are_plain_and_deterministic():
    for name, piece in (("accumulate_grad", accumulate_grad),
                        ("accumulation_step", accumulation_step)):
        first, second = _observed(name, piece, seed=3), _observed(name, piece, seed=3)
        assert json.loads(json.dumps(first)) == first == second
        assert not any(isinstance(v, dict) and "raised" in v for v in first.values())
