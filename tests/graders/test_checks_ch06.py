"""The visible checks and the observations of chapter 06: the reference pieces pass, common
mistakes get a verdict that names the case, the input, expected vs got and a hint aimed at the
mistake, and the trusted observation of a wrong piece differs from the reference's."""

from __future__ import annotations

import functools

import pytest

import engine
from engine._tensor import make_tensor
from graders.checks import ch06

from ._check_helpers import assert_readable, failure_of, observations_differ

# --- reference pieces (as in solutions/06) ----------------------------------------------------


class no_grad:  # noqa: N801 - the engine's name
    def __enter__(self):
        self.previous = engine.is_grad_enabled()
        engine.set_grad_enabled(False)

    def __exit__(self, exc_type, exc, traceback):
        engine.set_grad_enabled(self.previous)

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with type(self)():
                return func(*args, **kwargs)

        return wrapper


def detach(t):
    return make_tensor(t._data, vc=t._vc)


# --- plausible mistakes -----------------------------------------------------------------------


class ReusesItself(no_grad):
    """The wrapper enters the decorator object itself: recursion breaks it."""

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return wrapper


class SwitchesOnAtExit(no_grad):
    def __exit__(self, *exc):
        engine.set_grad_enabled(True)


class SwallowsExceptions(no_grad):
    def __exit__(self, *exc):
        engine.set_grad_enabled(self.previous)
        return True


class ForgetsWraps(no_grad):
    def __call__(self, func):
        def wrapper(*args, **kwargs):
            with type(self)():
                return func(*args, **kwargs)

        return wrapper


class DropsTheResult(no_grad):
    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with type(self)():
                func(*args, **kwargs)

        return wrapper


class OwnFlag:
    """A flag of its own: the engine never hears of it."""

    enabled = True

    def __enter__(self):
        OwnFlag.enabled = False

    def __exit__(self, *exc):
        OwnFlag.enabled = True

    def __call__(self, func):
        return func


class LeansOnTheEngine(no_grad):
    def __enter__(self):
        self.inner = engine.no_grad()
        self.inner.__enter__()

    def __exit__(self, *exc):
        self.inner.__exit__(*exc)


class NoRestoreOnError:
    """Restores the mode only when the block ends normally."""

    def __enter__(self):
        self.previous = engine.is_grad_enabled()
        engine.set_grad_enabled(False)

    def __exit__(self, exc_type, exc, traceback):
        if exc_type is None:
            engine.set_grad_enabled(self.previous)

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with type(self)():
                return func(*args, **kwargs)

        return wrapper


def copies(t):
    return engine.tensor(t._data.copy())


def uses_data(t):
    return t.data  # same memory, a version counter of its own


def keeps_requires_grad(t):
    return make_tensor(t._data, requires_grad=t.requires_grad, vc=t._vc)


def returns_t(t):
    return t


def calls_the_engine(t):
    return t.detach()


def in_place(t):
    t.grad_fn = None
    t._requires_grad = False
    return t


# --- helpers ----------------------------------------------------------------------------------


def _failure(check_fn, piece) -> str:
    """failure_of, and the check must leave recording on."""
    message = failure_of(check_fn, piece)
    assert engine.is_grad_enabled(), "the check left recording off"
    return message


def test_reference_pieces_pass(capsys):
    ch06.no_grad(no_grad)
    ch06.detach(detach)
    out = capsys.readouterr().out
    assert "✓ no_grad: all 11 cases pass." in out and "✓ detach: all 7 cases pass." in out
    assert engine.is_grad_enabled()
    assert type(engine.no_grad).__name__ == "type" and engine.no_grad.__module__.startswith(
        "engine")  # the tripwires are gone


# --- no_grad ----------------------------------------------------------------------------------

NO_GRAD_MISTAKES = [
    (ReusesItself, "case 11 of 11", "with type(self)()"),
    (SwitchesOnAtExit, "case 2 of 11", "remember engine.is_grad_enabled() in __enter__"),
    (SwallowsExceptions, "case 4 of 11", "swallow the exception"),
    (ForgetsWraps, "case 8 of 11", "functools.wraps"),
    (DropsTheResult, "case 6 of 11", "return func(*args, **kwargs)"),
    (OwnFlag, "case 1 of 11", "a flag of your own does not stop recording"),
    (NoRestoreOnError, "case 4 of 11", "__exit__ runs even when the block raises"),
]


@pytest.mark.parametrize("case", NO_GRAD_MISTAKES, ids=lambda c: c[0].__name__)
def test_no_grad_mistakes_are_named(case):
    wrong, where, hint = case
    message = _failure(ch06.no_grad, wrong)
    assert_readable(message, "no_grad")
    assert where in message and hint in message, message


def test_using_the_engines_no_grad_is_refused():
    message = _failure(ch06.no_grad, LeansOnTheEngine)
    assert_readable(message, "no_grad", expected=False)
    assert "EngineModeUsed" in message and "not on the engine's no_grad" in message
    message = _failure(ch06.no_grad, engine.no_grad)
    assert "built on one of the engine's grad-mode classes" in message


def test_an_unwritten_no_grad_says_so():
    class Stub:
        def __enter__(self):
            raise NotImplementedError()

        def __exit__(self, *exc):
            raise NotImplementedError()

        def __call__(self, func):
            raise NotImplementedError()

    message = _failure(ch06.no_grad, Stub)
    assert "NotImplementedError: `no_grad` is not written yet" in message


def test_a_function_is_not_a_no_grad_class():
    message = _failure(ch06.no_grad, lambda: None)
    assert "expected a class" in message


# --- detach -----------------------------------------------------------------------------------

DETACH_MISTAKES = [
    (copies, "case 3 of 7", "your tensor holds a copy"),
    (uses_data, "case 5 of 7", "t.data shares the memory but not the counter"),
    (keeps_requires_grad, "case 1 of 7", "a leaf (grad_fn None) that does not require grad"),
    (returns_t, "case 1 of 7", "detach returns a new tensor"),
    (in_place, "case 1 of 7", "detach returns a new tensor"),
]


@pytest.mark.parametrize("case", DETACH_MISTAKES, ids=lambda c: c[0].__name__)
def test_detach_mistakes_are_named(case):
    wrong, where, hint = case
    message = _failure(ch06.detach, wrong)
    assert_readable(message, "detach")
    assert where in message and hint in message, message


def test_calling_the_engines_detach_is_refused():
    message = _failure(ch06.detach, calls_the_engine)
    assert_readable(message, "detach", expected=False)
    assert "EngineDetachUsed" in message and "do not call t.detach()" in message
    x = engine.tensor([1.0], requires_grad=True)
    assert x.detach().tolist() == [1.0]  # the engine's detach is back


# --- observations -----------------------------------------------------------------------------


def _differences(piece_name, piece, seed=3):
    reference = {"no_grad": no_grad, "detach": detach}[piece_name]
    problems = observations_differ("06", piece_name, reference, piece, seed=seed)
    assert engine.is_grad_enabled()
    return problems


@pytest.mark.parametrize("piece_name", ["no_grad", "detach"])
def test_the_reference_observes_the_same_twice(piece_name):
    assert _differences(piece_name, {"no_grad": no_grad, "detach": detach}[piece_name]) == []


@pytest.mark.parametrize("wrong", [ReusesItself, SwitchesOnAtExit, SwallowsExceptions,
                                   ForgetsWraps, DropsTheResult, OwnFlag, LeansOnTheEngine,
                                   NoRestoreOnError], ids=lambda c: c.__name__)
def test_a_wrong_no_grad_is_observed_as_different(wrong):
    assert _differences("no_grad", wrong)


@pytest.mark.parametrize("wrong", [copies, uses_data, keeps_requires_grad, returns_t,
                                   calls_the_engine, in_place], ids=lambda f: f.__name__)
def test_a_wrong_detach_is_observed_as_different(wrong):
    assert _differences("detach", wrong)


def test_observations_name_the_case_not_the_answer():
    problems = _differences("no_grad", ReusesItself)
    assert any(p.startswith("a decorated function that calls itself") for p in problems)
    problems = _differences("detach", uses_data)
    assert any("in-place write" in p for p in problems), problems
