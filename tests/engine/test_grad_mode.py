"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled, as
context managers and as decorators; thread-local; factories with requires_grad=True."""

from __future__ import annotations

import threading

import pytest

import engine


@pytest.fixture(autouse=True)
def _grad_mode_is_restored():
    assert engine.is_grad_enabled() is True
    yield
    assert engine.is_grad_enabled() is True, "a test left grad mode disabled"


def _x():
    return engine.tensor([1.0, 2.0], requires_grad=True)


def test_grad_is_enabled_by_default():
    assert engine.is_grad_enabled() is True
    assert (_x() * 2).requires_grad


def test_no_grad_context():
    x = _x()
    with engine.no_grad():
        assert engine.is_grad_enabled() is False
        y = x * 2
        assert y.requires_grad is False and y.grad_fn is None and y.is_leaf
    assert engine.is_grad_enabled() is True
    assert x.requires_grad is True
    assert (x * 2).requires_grad


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ValueError), engine.no_grad():
        raise ValueError("boom")
    assert engine.is_grad_enabled() is True


def test_enable_grad_inside_no_grad():
    x = _x()
    with engine.no_grad():
        with engine.enable_grad():
            assert engine.is_grad_enabled()
            assert (x * 2).requires_grad
        assert not engine.is_grad_enabled()
        assert not (x * 2).requires_grad


def test_nested_no_grad():
    with engine.no_grad():
        with engine.no_grad():
            assert not engine.is_grad_enabled()
        assert not engine.is_grad_enabled()
    assert engine.is_grad_enabled()


@pytest.mark.parametrize("mode", [True, False])
def test_set_grad_enabled_as_context(mode):
    x = _x()
    with engine.set_grad_enabled(mode):
        assert engine.is_grad_enabled() is mode
        assert (x * 2).requires_grad is mode
    assert engine.is_grad_enabled() is True


def test_set_grad_enabled_as_a_function_call():
    try:
        engine.set_grad_enabled(False)
        assert engine.is_grad_enabled() is False
        assert not (_x() * 2).requires_grad
        engine.set_grad_enabled(True)
        assert engine.is_grad_enabled() is True
    finally:
        engine.set_grad_enabled(True)


def test_set_grad_enabled_inside_no_grad():
    with engine.no_grad(), engine.set_grad_enabled(True):
        assert engine.is_grad_enabled()


def test_inference_mode_context():
    x = _x()
    with engine.inference_mode():
        assert engine.is_grad_enabled() is False
        y = x * 2
        assert y.requires_grad is False and y.grad_fn is None
    assert engine.is_grad_enabled()
    with engine.inference_mode(False):
        assert engine.is_grad_enabled()
        assert (x * 2).requires_grad


# --- decorators ------------------------------------------------------------------------

DECORATED = [
    ("no_grad()", lambda: engine.no_grad(), False),
    ("no_grad", lambda: engine.no_grad, False),
    ("enable_grad()", lambda: engine.enable_grad(), True),
    ("enable_grad", lambda: engine.enable_grad, True),
    ("set_grad_enabled(False)", lambda: engine.set_grad_enabled(False), False),
    ("set_grad_enabled(True)", lambda: engine.set_grad_enabled(True), True),
    ("inference_mode()", lambda: engine.inference_mode(), False),
    ("inference_mode", lambda: engine.inference_mode, False),
]


@pytest.mark.parametrize("outer", [True, False], ids=["outside", "inside_no_grad"])
@pytest.mark.parametrize("case", DECORATED, ids=lambda c: c[0])
def test_decorators(case, outer):
    _, make, enabled = case

    @make()
    def step(x, scale=2.0):
        """docstring kept"""
        return x * scale, engine.is_grad_enabled()

    x = _x()
    with engine.set_grad_enabled(outer):
        y, seen = step(x, scale=3.0)
        assert engine.is_grad_enabled() is outer  # restored after the call
    assert seen is enabled
    assert y.requires_grad is enabled
    assert y.tolist() == [3.0, 6.0]
    assert step.__name__ == "step" and step.__doc__ == "docstring kept"


def test_decorated_function_restores_mode_after_an_exception():
    @engine.no_grad()
    def boom():
        raise KeyError("x")

    with pytest.raises(KeyError):
        boom()
    assert engine.is_grad_enabled()


def test_a_no_grad_object_can_be_reused():
    ctx = engine.no_grad()
    for _ in range(2):
        with ctx:
            assert not engine.is_grad_enabled()
        assert engine.is_grad_enabled()


# --- threads ---------------------------------------------------------------------------


def test_grad_mode_is_thread_local():
    seen = {}

    def worker():
        seen["enabled"] = engine.is_grad_enabled()
        x = _x()
        seen["records"] = (x * 2).requires_grad

    with engine.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert not engine.is_grad_enabled()
    assert seen == {"enabled": True, "records": True}


def _in_a_thread_holding(mode, check):
    """Run ``check()`` here while another thread sits inside ``mode``."""
    inside, release = threading.Event(), threading.Event()

    def worker():
        with mode:
            inside.set()
            release.wait(5)

    t = threading.Thread(target=worker)
    t.start()
    try:
        assert inside.wait(5)
        check()
    finally:
        release.set()
        t.join()


def test_no_grad_in_a_thread_does_not_leak_into_this_one():
    def check():
        assert engine.is_grad_enabled()
        assert (_x() * 2).requires_grad

    _in_a_thread_holding(engine.no_grad(), check)


def test_this_threads_no_grad_holds_while_another_thread_is_in_no_grad():
    """With some thread's recording off (grad_mode.OFF not empty) the ops read this thread's
    own mode: off here means off, on here means on, both for ops and in-place checks."""
    from engine.autograd.grad_mode import OFF

    def check():
        assert len(OFF) == 1
        leaf = _x()
        with engine.no_grad():
            assert not engine.is_grad_enabled() and not (leaf * 2).requires_grad
            leaf.mul_(1.0)  # a leaf that requires grad may change in place under no_grad
        assert len(OFF) == 1
        assert (leaf * 2).requires_grad
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            leaf.mul_(1.0)

    _in_a_thread_holding(engine.no_grad(), check)
    assert not OFF


def test_the_off_count_follows_nesting_calls_backward_and_errors():
    """grad_mode.OFF holds one token per thread with recording off; when it is empty the ops
    skip the thread-local read, so every switch must keep it exact."""
    from engine.autograd.grad_mode import OFF

    with engine.no_grad():
        assert len(OFF) == 1
        with engine.enable_grad():
            assert not OFF
            with engine.set_grad_enabled(False):
                assert len(OFF) == 1
            assert not OFF
        with engine.no_grad():
            assert len(OFF) == 1
    assert not OFF
    engine.set_grad_enabled(False)
    assert len(OFF) == 1 and not engine.is_grad_enabled()
    engine.set_grad_enabled(False)
    assert len(OFF) == 1
    engine.set_grad_enabled(True)
    assert not OFF and engine.is_grad_enabled()
    with engine.inference_mode():
        assert len(OFF) == 1
    assert not OFF
    with pytest.raises(ValueError):
        with engine.no_grad():
            raise ValueError
    assert not OFF

    x = _x()
    (x * x).sum().backward()  # recording is off during the pass, back on after it
    assert not OFF and engine.is_grad_enabled()
    y = (x * x).sum()
    y.backward(retain_graph=True, create_graph=True)
    assert not OFF
    with engine.no_grad():
        y.backward(retain_graph=True)
        assert len(OFF) == 1 and not engine.is_grad_enabled()
    assert not OFF

    class Fails(engine.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 1

        @staticmethod
        def backward(ctx, grad_output):
            raise ArithmeticError("from backward")

    with pytest.raises(ArithmeticError, match="from backward"):
        Fails.apply(x).sum().backward()
    assert not OFF and engine.is_grad_enabled()


def test_threads_switching_at_once_keep_the_off_count_exact():
    """Several threads entering and leaving no_grad, enable_grad and inference_mode at once
    while this one records: every op here records, every op there follows its own mode, and
    the count of threads with recording off is back to zero at the end."""
    from engine.autograd.grad_mode import OFF

    errors = []

    def worker():
        x = _x()
        try:
            for _ in range(300):
                with engine.no_grad():
                    assert not (x * 2).requires_grad
                    with engine.enable_grad():
                        assert (x * 2).requires_grad
                with engine.inference_mode():
                    assert not (x * 2).requires_grad
                assert (x * 2).requires_grad
        except AssertionError as exc:  # raised in a worker thread: reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    x = _x()
    while any(t.is_alive() for t in threads):
        assert (x * 2).requires_grad and engine.is_grad_enabled()
    for t in threads:
        t.join()
    assert not errors and not OFF


def test_a_thread_that_ends_with_recording_off_leaves_this_one_recording():
    from engine.autograd.grad_mode import OFF

    t = threading.Thread(target=engine.set_grad_enabled, args=(False,))
    t.start()
    t.join()
    try:
        assert len(OFF) == 1  # its token stays: reads go to the thread-local mode, still right
        assert engine.is_grad_enabled() and (_x() * 2).requires_grad
    finally:
        OFF.clear()


def test_inference_mode_in_a_thread_does_not_leak_into_this_one():
    """Ops skip the thread-local read while no thread is in inference mode (a shared count,
    grad_mode.RARE); with another thread inside it, this one's tensors stay normal."""
    from engine.autograd.grad_mode import INFERENCE, RARE

    def check():
        assert RARE[INFERENCE] == 1
        assert not engine.is_inference_mode_enabled()
        assert not (_x() * 2).is_inference() and not engine.zeros(2).is_inference()

    _in_a_thread_holding(engine.inference_mode(), check)
    assert RARE[INFERENCE] == 0


def test_anomaly_mode_in_a_thread_does_not_leak_into_this_one():
    from engine.autograd.grad_mode import ANOMALY, RARE

    def check():
        assert RARE[ANOMALY] == 1
        assert not engine.autograd.anomaly_mode.is_anomaly_enabled()
        assert (_x() * 2).grad_fn._traceback is None

    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        mode = engine.autograd.detect_anomaly()
    _in_a_thread_holding(mode, check)
    assert RARE[ANOMALY] == 0


def test_the_counts_follow_nesting_and_set_calls():
    from engine.autograd.grad_mode import ANOMALY, INFERENCE, RARE

    with engine.inference_mode():
        assert RARE[INFERENCE] == 1 and engine.zeros(1).is_inference()
        with engine.inference_mode(False):
            assert RARE[INFERENCE] == 0 and not engine.zeros(1).is_inference()
            with engine.inference_mode():
                assert RARE[INFERENCE] == 1
        assert RARE[INFERENCE] == 1 and engine.zeros(1).is_inference()
    assert RARE[INFERENCE] == 0 and not engine.zeros(1).is_inference()
    with pytest.warns(UserWarning):
        engine.autograd.set_detect_anomaly(True)
    try:
        assert RARE[ANOMALY] == 1 and (_x() * 2).grad_fn._traceback
        engine.autograd.set_detect_anomaly(True)  # on already: counted once
        assert RARE[ANOMALY] == 1
    finally:
        engine.autograd.set_detect_anomaly(False)
    assert RARE[ANOMALY] == 0 and (_x() * 2).grad_fn._traceback is None


# --- factories -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: engine.tensor([1.0], requires_grad=True),
        lambda: engine.zeros(2, requires_grad=True),
        lambda: engine.ones(2, requires_grad=True),
        lambda: engine.full((2,), 1.0, requires_grad=True),
        lambda: engine.rand(2, requires_grad=True),
        lambda: engine.randn(2, requires_grad=True),
        lambda: engine.arange(2.0, requires_grad=True),
        lambda: engine.zeros_like(engine.ones(2), requires_grad=True),
    ],
)
def test_factories_with_requires_grad_ignore_no_grad(make):
    with engine.no_grad():
        t = make()
        assert t.requires_grad is True and t.is_leaf
    (t * 2).sum().backward()
    assert t.grad is not None


def test_requires_grad_method_under_no_grad():
    with engine.no_grad():
        x = engine.ones(2).requires_grad_()
        assert x.requires_grad
        assert not (x * 2).requires_grad
