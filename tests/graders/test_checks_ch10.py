"""Chapter 10's checks and probes: the reference pieces pass, common mistakes get a verdict that
names the case, the input, expected vs got and a hint aimed at the mistake, and a wrong piece's
observation differs from the reference's."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

import engine
from engine.autograd import Function
from engine.autograd.graph import AccumulateGrad
from graders.checks import ch10
from graders.probes._observe import observe

from ._check_helpers import assert_readable, failure_of, observations_differ, reference_pieces
from .conftest import ROOT

SOURCE = ROOT / "solutions" / "10-gradient-checkpointing.py"


# --- the reference, as in the chapter, with switches for common mistakes -----------------------

def leaves_reached(output, exclude=()):
    skip = {id(t) for t in exclude}
    found, seen = [], set()
    stack = [] if output.grad_fn is None else [output.grad_fn]
    while stack:
        node = stack.pop()
        if isinstance(node, AccumulateGrad):
            if id(node.variable) not in skip:
                found.append(node.variable)
            continue
        for child, _ in node.next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                stack.append(child)
    return found


def make_checkpoint(*, leaves=True, replay=True, restore=True, enable_grad=True, use_grad=True,
                    stand_ins=True):
    class Checkpoint(Function):
        @staticmethod
        def forward(ctx, function, rng_state, value, n_inputs, *tensors):
            ctx.function, ctx.rng_state = function, rng_state
            ctx.save_for_backward(*tensors[:n_inputs])
            ctx.leaves = tensors[n_inputs:]
            return value

        @staticmethod
        def backward(ctx, grad_output):
            saved = list(ctx.saved_tensors)
            inputs = ([t.detach().requires_grad_(t.requires_grad) for t in saved] if stand_ins
                      else saved)
            found_state = engine.get_rng_state()
            if replay:
                engine.set_rng_state(ctx.rng_state)
            try:
                if enable_grad:
                    with engine.enable_grad():
                        output = ctx.function(*inputs)
                else:
                    output = ctx.function(*inputs)
            finally:
                if restore:
                    engine.set_rng_state(found_state)
            tensors = inputs + list(ctx.leaves)
            wanted = [t for t in tensors if t.requires_grad]
            if use_grad:
                grads = engine.autograd.grad(output, wanted, grad_output, allow_unused=True)
            else:  # backward(): adds into the leaves' .grad itself
                fresh = [t for t in inputs if t.requires_grad]
                output.backward(grad_output)
                grads = [t.grad if any(t is f for f in fresh) else None for t in wanted]
            grad_of = {id(t): g for t, g in zip(wanted, grads)}
            return (None, None, None, None) + tuple(grad_of.get(id(t)) for t in tensors)

    def checkpoint(function, *args):
        if not engine.is_grad_enabled():
            return function(*args)
        rng_state = engine.get_rng_state()
        ins = [a.detach().requires_grad_(a.requires_grad) for a in args]
        output = function(*ins)
        found = leaves_reached(output, exclude=ins) if leaves else []
        return Checkpoint.apply(function, rng_state, output.detach(), len(args), *args, *found)

    return checkpoint


reference_checkpoint = make_checkpoint()


def make_sequential(checkpoint=reference_checkpoint, *, last_too=False, floor=False,
                    never=False):
    def checkpoint_sequential(functions, segments, input):  # noqa: A002
        functions = list(functions)
        size = len(functions) // segments if floor else math.ceil(len(functions) / segments)
        chunks = [functions[i:i + size] for i in range(0, len(functions), size)]

        def run(chunk):
            def forward(h):
                for f in chunk:
                    h = f(h)
                return h
            return forward

        h = input
        for chunk in chunks if last_too else chunks[:-1]:
            h = run(chunk)(h) if never else checkpoint(run(chunk), h)
        return h if last_too else run(chunks[-1])(h)

    return checkpoint_sequential


reference_sequential = make_sequential()


# (piece name, right, wrong) -> how wrong's observation differs from right's
_observations_differ = functools.partial(observations_differ, "10", seed=3)


# --- the chapter's own pieces -----------------------------------------------------------------

@pytest.fixture(scope="module")
def chapter_pieces(tmp_path_factory):
    """The pieces as the chapter's reference solution defines them."""
    return reference_pieces(SOURCE, tmp_path_factory.mktemp("ch10"))


def test_the_chapters_pieces_pass(chapter_pieces, capsys):
    ch10.checkpoint(chapter_pieces["checkpoint"])
    ch10.checkpoint_sequential(chapter_pieces["checkpoint_sequential"])
    out = capsys.readouterr().out
    assert "✓ checkpoint: all 10 cases pass." in out
    assert "✓ checkpoint_sequential: all 6 cases pass." in out


def test_the_test_copies_pass_and_observe_like_the_chapter(chapter_pieces, capsys):
    ch10.checkpoint(reference_checkpoint)
    ch10.checkpoint_sequential(reference_sequential)
    assert _observations_differ("checkpoint", chapter_pieces["checkpoint"],
                                reference_checkpoint) == []
    assert _observations_differ("checkpoint_sequential", chapter_pieces["checkpoint_sequential"],
                                reference_sequential) == []


# --- checkpoint -------------------------------------------------------------------------------

def test_keeping_the_graph_is_caught():
    def keeps_everything(function, *args):
        return function(*args)

    message = failure_of(ch10.checkpoint, keeps_everything)
    assert_readable(message, "checkpoint")
    assert "case 2 of 10" in message and "the segment's inside was kept" in message
    assert "TanhBackward0" in message and "output.detach()" in message
    assert _observations_differ("checkpoint", reference_checkpoint, keeps_everything)


def test_forgetting_the_leaves_fails_on_data_input():
    wrong = make_checkpoint(leaves=False)
    message = failure_of(ch10.checkpoint, wrong)
    assert_readable(message, "checkpoint")
    assert "case 1 of 10" in message and "got:      w.grad = None" in message
    assert "w is used inside the segment without being an argument" in message
    assert "leaves_reached(output, exclude=stand_ins)" in message
    problems = _observations_differ("checkpoint", reference_checkpoint, wrong)
    assert any(p.startswith("two layers fed data") for p in problems), problems


def test_a_different_dropout_mask_is_caught():
    wrong = make_checkpoint(replay=False)
    message = failure_of(ch10.checkpoint, wrong)
    assert_readable(message, "checkpoint")
    assert "case 7 of 10" in message and "different dropout mask" in message
    assert "engine.get_rng_state()" in message
    problems = _observations_differ("checkpoint", reference_checkpoint, wrong)
    assert problems and all(p.startswith("dropout") for p in problems), problems


def test_leaving_the_generator_at_the_replayed_state_is_caught():
    wrong = make_checkpoint(restore=False)
    message = failure_of(ch10.checkpoint, wrong)
    assert "case 7 of 10" in message and "put back the state" in message
    problems = _observations_differ("checkpoint", reference_checkpoint, wrong)
    assert problems == ["dropout inside the segment / engine.rand(4) after backward: "
                        "4 of 4 values differ"], problems


def test_an_unrecorded_second_run_is_explained():
    wrong = make_checkpoint(enable_grad=False)
    message = failure_of(ch10.checkpoint, wrong)
    assert_readable(message, "checkpoint", expected=False)
    assert "case 1 of 10" in message and "an error, RuntimeError" in message
    assert "with engine.enable_grad():" in message
    assert _observations_differ("checkpoint", reference_checkpoint, wrong)


def test_backward_inside_backward_fails_autograd_grad():
    wrong = make_checkpoint(use_grad=False)
    message = failure_of(ch10.checkpoint, wrong)
    assert_readable(message, "checkpoint", expected=False)
    assert "case 6 of 10" in message and "appears to not have been used" in message
    assert "your node sent no gradient to w1 or w2" in message
    problems = _observations_differ("checkpoint", reference_checkpoint, wrong)
    assert problems == ["engine.autograd.grad through a checkpoint: raised RuntimeError"]


def test_rerunning_on_the_saved_tensors_is_explained():
    wrong = make_checkpoint(stand_ins=False)
    message = failure_of(ch10.checkpoint, wrong)
    assert "fresh stand-ins" in message
    assert _observations_differ("checkpoint", reference_checkpoint, wrong)


def test_an_unwritten_checkpoint_says_so():
    def stub(function, *args):
        raise NotImplementedError()

    message = failure_of(ch10.checkpoint, stub)
    assert "NotImplementedError: `checkpoint` is not written yet" in message
    observed = observe("10", "checkpoint", stub, 0)
    assert all(v == {"raised": "NotImplementedError"} for v in observed.values())


def test_peak_ratio_tells_checkpoints_from_none():
    assert ch10.peak_ratio(reference_checkpoint) < 0.7
    assert ch10.peak_ratio(lambda f, *a: f(*a)) > 0.9


# --- checkpoint_sequential --------------------------------------------------------------------

def test_checkpointing_the_last_chunk_is_caught():
    wrong = make_sequential(last_too=True)
    message = failure_of(ch10.checkpoint_sequential, wrong)
    assert_readable(message, "checkpoint_sequential")
    assert "case 1 of 6" in message and "[1, 1, 1, 1, 0, 0]" in message
    assert "the last chunk is checkpointed too" in message
    assert _observations_differ("checkpoint_sequential", reference_sequential, wrong)


def test_chunks_of_the_wrong_size_are_caught():
    wrong = make_sequential(floor=True)
    message = failure_of(ch10.checkpoint_sequential, wrong)
    assert_readable(message, "checkpoint_sequential")
    assert "case 3 of 6" in message and "math.ceil(9 / 4) = 3: [3, 3, 3]" in message
    assert "[1, 1, 1, 1, 1, 1, 0, 0, 0]" in message
    assert _observations_differ("checkpoint_sequential", reference_sequential, wrong)


def test_no_checkpoint_at_all_is_caught():
    wrong = make_sequential(never=True)
    message = failure_of(ch10.checkpoint_sequential, wrong)
    assert "case 1 of 6" in message and "no layer ran again in backward" in message
    assert _observations_differ("checkpoint_sequential", reference_sequential, wrong)


def test_a_broken_checkpoint_underneath_shows():
    wrong = make_sequential(make_checkpoint(leaves=False))
    message = failure_of(ch10.checkpoint_sequential, wrong)
    assert "case 1 of 6" in message and "leaves_reached(output" in message
    assert _observations_differ("checkpoint_sequential", reference_sequential, wrong)


# --- your engine ------------------------------------------------------------------------------

def test_installed_puts_the_pieces_in_and_takes_them_out():
    import engine.utils.checkpoint as module

    own = (module.checkpoint, module.checkpoint_sequential)
    calls = []

    def mine(function, *args):
        calls.append(len(args))
        return reference_checkpoint(function, *args)

    with ch10.installed(checkpoint=mine, checkpoint_sequential=reference_sequential):
        w = engine.randn(3, 3, dtype=engine.float64, requires_grad=True)
        out = module.checkpoint(lambda h: (h @ w).tanh(), engine.ones(2, 3, dtype=engine.float64),
                                use_reentrant=False)
        out.sum().backward()
        assert module.checkpoint_sequential is reference_sequential
    assert calls == [1] and w.grad is not None
    assert (module.checkpoint, module.checkpoint_sequential) == own


def test_the_adapter_passes_keyword_arguments_to_the_function():
    from graders.myengine.adapters import checkpoint_from

    adapted = checkpoint_from(reference_checkpoint)
    x = engine.tensor(np.array([1.0, 2.0]), requires_grad=True)
    out = adapted(lambda h, scale: h * scale, x, scale=3.0, preserve_rng_state=False)
    out.sum().backward()
    assert np.allclose(x.grad.numpy(), [3.0, 3.0])
