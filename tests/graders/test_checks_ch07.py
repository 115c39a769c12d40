"""The visible check and the observation of chapter 07: the reference ``SavingNode`` passes,
common mistakes get a verdict that names the case, the input, expected vs got and a hint
aimed at the mistake, and the trusted observation of a wrong class differs from the
reference's."""

from __future__ import annotations

import functools

import pytest

from engine.autograd.function import _ALREADY_FREED as SECOND_TIME
from engine.autograd.graph import Node
from graders.checks import ch07

from ._check_helpers import assert_readable, failure_of, observations_differ

# --- the reference piece (as in solutions/07) -------------------------------------------------

FREED = object()


class SavingNode(Node):
    _saved = ()

    def save_for_backward(self, *values):
        self._saved = values

    @property
    def saved_tensors(self):
        if self._saved is FREED:
            raise RuntimeError(SECOND_TIME)
        return self._saved

    def _release(self):
        self._saved = FREED


# --- plausible mistakes -----------------------------------------------------------------------


class FlagOnly(SavingNode):
    """Marks the node freed but keeps the values: no memory is given back."""

    freed = False

    @property
    def saved_tensors(self):
        if self.freed:
            raise RuntimeError(SECOND_TIME)
        return self._saved

    def _release(self):
        self.freed = True


class FreesOnRead(SavingNode):
    """Frees when backward reads: retain_graph cannot work."""

    @property
    def saved_tensors(self):
        if self._saved is FREED:
            raise RuntimeError(SECOND_TIME)
        values, self._saved = self._saved, FREED
        return values


class OwnMessage(SavingNode):
    @property
    def saved_tensors(self):
        if self._saved is FREED:
            raise RuntimeError("the graph was freed")
        return self._saved


class NoneForFreed(SavingNode):
    """Freed = None = nothing saved: a second backward silently reads ()."""

    def _release(self):
        self._saved = None

    @property
    def saved_tensors(self):
        return () if self._saved is None else self._saved


class RaisesInRelease(SavingNode):
    def _release(self):
        if self._saved is FREED:
            raise RuntimeError(SECOND_TIME)
        self._saved = FREED


class FreesOnlyWhatWasSaved(SavingNode):
    """A node that saved nothing stays readable after release (not PyTorch's rule)."""

    def _release(self):
        if self._saved:
            self._saved = FREED


class KeepsAList(SavingNode):
    def save_for_backward(self, *values):
        self._saved = list(values)


class SavedIsNone(SavingNode):
    """The class default changed to None: the engine never releases a node that saved
    nothing, so its saved_tensors never raises."""

    _saved = None

    @property
    def saved_tensors(self):
        if self._saved is FREED:
            raise RuntimeError(SECOND_TIME)
        return () if self._saved is None else self._saved


MISTAKES = [
    (FlagOnly, "case 5 of 11", "a flag next to the values keeps them in memory"),
    (FreesOnRead, "case 1 of 11", "raise only when self._saved is FREED"),
    (OwnMessage, "case 3 of 11", "word for word"),
    (NoneForFreed, "case 3 of 11", "check `self._saved is FREED`"),
    (RaisesInRelease, "case 6 of 11", "_release never raises"),
    (FreesOnlyWhatWasSaved, "case 4 of 11", "freed is not the same as nothing saved"),
    (KeepsAList, "case 1 of 11", "keep the tuple `values` itself"),
    (SavedIsNone, "case 11 of 11", "only when node._saved is not None"),
]


def test_the_reference_passes(capsys):
    ch07.SavingNode(SavingNode)
    assert "✓ SavingNode: all 11 cases pass." in capsys.readouterr().out


@pytest.mark.parametrize("case", MISTAKES, ids=lambda c: c[0].__name__)
def test_mistakes_are_named(case):
    wrong, where, hint = case
    message = failure_of(ch07.SavingNode, wrong)
    assert_readable(message, "SavingNode", expected=wrong is not FreesOnRead)
    assert where in message and hint in message, message


def test_not_a_node_is_refused():
    class Plain:
        def save_for_backward(self, *values):
            pass

    assert "not a subclass of the engine's Node" in failure_of(ch07.SavingNode, Plain)
    assert "expected a class" in failure_of(ch07.SavingNode, lambda: None)


def test_an_unwritten_node_says_so():
    class Stub(Node):
        _saved = ()

        def save_for_backward(self, *values):
            raise NotImplementedError()

        @property
        def saved_tensors(self):
            raise NotImplementedError()

        def _release(self):
            raise NotImplementedError()

    assert "NotImplementedError: `SavingNode` is not written yet" in failure_of(
        ch07.SavingNode, Stub)


# --- observations -----------------------------------------------------------------------------


# piece -> how its observation differs from the reference's
_differences = functools.partial(observations_differ, "07", "SavingNode", SavingNode, seed=5)


def test_the_reference_observes_the_same_twice():
    assert _differences(SavingNode) == []


@pytest.mark.parametrize("wrong", [m[0] for m in MISTAKES], ids=lambda c: c.__name__)
def test_a_wrong_node_is_observed_as_different(wrong):
    assert _differences(wrong)


def test_observations_name_the_case():
    problems = _differences(OwnMessage)
    assert any(p.startswith("read after _release") for p in problems), problems
    assert not any(SECOND_TIME[:40] in p for p in problems)  # never the expected text
