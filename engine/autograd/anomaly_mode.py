"""Anomaly detection: remember where each node was made, and stop at the first NaN.

With it on, every node records the traceback of the forward call that created it; when a
node's backward returns NaN the engine raises PyTorch's error naming the node and prints that
traceback, so the student sees the line of *their* code that made the bad value.
"""

from __future__ import annotations

import os
import threading
import traceback
import warnings

from .grad_mode import ANOMALY, count_rare


class _State(threading.local):
    def __init__(self):
        self._enabled = False
        self.check_nan = True

    @property
    def enabled(self):
        return self._enabled

    @enabled.setter
    def enabled(self, value):  # counted, so that ops can skip asking (grad_mode.RARE)
        count_rare(ANOMALY, self._enabled, bool(value))
        self._enabled = bool(value)


_state = _State()


def is_anomaly_enabled():
    return _state.enabled


def is_anomaly_check_nan_enabled():
    return _state.check_nan


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def forward_traceback():
    # Drop the engine's own frames at the end: the student's line is what matters.
    frames = traceback.extract_stack()[:-1]
    while frames and os.path.abspath(frames[-1].filename).startswith(_PACKAGE):
        frames.pop()
    return "".join(traceback.format_list(frames))


def _warn():
    warnings.warn(
        "Anomaly Detection has been enabled. This mode will increase the runtime and should "
        "only be enabled for debugging.",
        stacklevel=3,
    )


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly detection on inside it."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        self._prev = None
        _warn()

    def __enter__(self):
        self._prev = (_state.enabled, _state.check_nan)
        _state.enabled, _state.check_nan = True, self.check_nan

    def __exit__(self, *exc):
        _state.enabled, _state.check_nan = self._prev

    def __call__(self, func):
        import functools

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return func(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off, at once or as a context manager."""

    def __init__(self, mode, check_nan=True):
        self._prev = (_state.enabled, _state.check_nan)
        if mode and not _state.enabled:
            _warn()
        _state.enabled, _state.check_nan = bool(mode), check_nan

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _state.enabled, _state.check_nan = self._prev
