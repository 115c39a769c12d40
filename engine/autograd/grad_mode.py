"""Switching the recording of the graph on and off: thread-local, like PyTorch.

Each mode is a context manager and a decorator (``@no_grad()`` or ``@no_grad``). The
state is one thread-local object read by every op, so checking it must stay cheap.
"""

from __future__ import annotations

import collections
import functools
import inspect
import threading

# How many threads have each rare mode on now: [inference_mode, anomaly detection]. Every
# op and every new tensor asks about both; a thread-local read costs ~35 ns, this list's
# first item ~5 ns, so the hot paths read it first (`if RARE[0] and _state.inference`).
INFERENCE, ANOMALY = 0, 1
RARE = [0, 0]
_rare_lock = threading.Lock()
# Whether inference mode was ever on in this process: only then can an inference tensor
# exist, so until then the compiled core does not read each operand's ``_inference``.
INFERENCE_EVER = [False]


# One token for each thread that has recording off now: appended when a thread switches it
# off, popped when it switches it back on. A deque: its appends and pops are atomic (no lock)
# and, unlike a list's, allocate nothing while it stays small (a list reallocates each time it
# grows from or shrinks to empty, ~500 instructions). Empty, every thread records, and the
# hot paths skip the thread-local read (~500 instructions at every op):
# ``if not OFF or _state.enabled``. A thread that ends with recording off leaves its token
# behind, which only sends later reads to _state.
OFF = collections.deque()
_mark_off, _unmark_off = OFF.append, OFF.pop  # bound once: a method lookup costs ~250


def count_rare(which, was, now):
    """Keep ``RARE[which]`` counting the threads with that mode on (``was`` -> ``now``)."""
    if was != now:
        with _rare_lock:
            RARE[which] += 1 if now else -1


class _State(threading.local):
    def __init__(self):
        self.enabled = True  # is the graph recorded?
        self._inference = False  # inside inference_mode?

    @property
    def inference(self):
        return self._inference

    @inference.setter
    def inference(self, value):
        if value:
            INFERENCE_EVER[0] = True
        count_rare(INFERENCE, self._inference, bool(value))
        self._inference = bool(value)


_state = _State()


def switch(enabled):
    """Turn this thread's recording on or off (every switch goes through here: OFF counts)."""
    enabled = bool(enabled)
    if _state.enabled is not enabled:
        if enabled:
            _unmark_off()
        else:
            _mark_off(None)
        _state.enabled = enabled


def is_grad_enabled():
    return not OFF or _state.enabled


def is_inference_mode_enabled():
    return _state.inference


class _DecoratorContextManager:
    """A context manager that also decorates functions and generators."""

    def __call__(self, func):
        if inspect.isclass(func):
            raise TypeError(f"{type(self).__name__} can only decorate functions, not classes")
        if inspect.isgeneratorfunction(func):
            return self._wrap_generator(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)

        return wrapper

    def _wrap_generator(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            gen = func(*args, **kwargs)
            response = None
            while True:
                with self.clone():
                    try:
                        request = gen.send(response)
                    except StopIteration as stop:
                        return stop.value
                response = yield request

        return wrapper

    def clone(self):
        return self.__class__()


class _GradModeSetter(_DecoratorContextManager):
    _value = True

    def __new__(cls, orig_func=None):
        self = object.__new__(cls)  # not super(): its lookup costs ~300 instructions a block
        if orig_func is not None:  # used as a bare decorator: @no_grad
            self.__init__()
            return self(orig_func)
        return self

    def __init__(self, orig_func=None):
        self._prev = None

    # switch(), inline: a no_grad block may wrap a single op (each thread-local access costs
    # ~500 instructions, a call ~150), so each side reads the mode once and writes it only
    # when it changes. The mode is always a bool (every write is one): ``is`` compares it.
    def __enter__(self):
        self._prev = was = _state.enabled
        if was is not self._value:
            if was:
                _mark_off(None)
            else:
                _unmark_off()
            _state.enabled = self._value

    def __exit__(self, *exc):
        was = self._prev
        if _state.enabled is not was:
            if was:
                _unmark_off()
            else:
                _mark_off(None)
            _state.enabled = was


class no_grad(_GradModeSetter):
    """Do not record operations: results have ``requires_grad=False``."""

    _value = False


class enable_grad(_GradModeSetter):
    """Record operations again, e.g. inside a ``no_grad`` block."""

    _value = True


class set_grad_enabled(_DecoratorContextManager):
    """Switch recording on or off; takes effect at once, and also works as a context manager."""

    def __init__(self, mode):
        if type(mode) is not bool:  # PyTorch's argument parser takes only a bool
            raise TypeError(
                "set_grad_enabled(): argument 'enabled' (position 1) must be bool, not "
                f"{type(mode).__name__}"
            )
        self._prev = _state.enabled
        self.mode = mode
        switch(self.mode)

    def __call__(self, func):
        switch(self._prev)  # used as a decorator: undo the switch made by __init__
        return super().__call__(func)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        switch(self._prev)

    def clone(self):
        return self.__class__(self.mode)


class inference_mode(_DecoratorContextManager):
    """Like ``no_grad``, and the tensors made inside are inference tensors: they skip version
    counting and can never be saved for backward."""

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):  # bare decorator
            self = super().__new__(cls)
            self.__init__(True)
            return self(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        self.mode = bool(mode)
        self._prev = None

    def __enter__(self):
        self._prev = (_state.enabled, _state.inference)
        if self.mode:
            switch(False)
            _state.inference = True
        else:
            _state.inference = False

    def __exit__(self, *exc):
        enabled, _state.inference = self._prev
        switch(enabled)

    def clone(self):
        return self.__class__(self.mode)
