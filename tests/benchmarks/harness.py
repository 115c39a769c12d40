"""Timing: every library interleaved round by round, warm-up first, medians of many samples."""

from __future__ import annotations

import gc
import importlib.util
import statistics
import time

import numpy as np

LIBRARIES = ("numpy", "engine", "torch", "mygrad", "micrograd")


def available():
    return [name for name in LIBRARIES if name == "numpy" or importlib.util.find_spec(name)]


def _close(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return a.shape == b.shape and np.allclose(a, b, rtol=2e-3, atol=1e-4)


def check(results, reference):
    """True when a library's arrays equal the NumPy reference's."""
    if isinstance(reference, (list, tuple)):
        return len(results) == len(reference) and all(
            _close(r, e) for r, e in zip(results, reference)
        )
    return _close(results, reference)


def _no_sync():
    pass


def _batch(step, target_seconds, sync=_no_sync):
    """How many calls make one sample of about ``target_seconds``."""
    sync()
    n, start = 1, time.perf_counter()
    step()
    sync()
    once = max(time.perf_counter() - start, 1e-7)
    n = max(1, int(target_seconds / once))
    return n


def measure(steps, rounds=15, target_seconds=0.02, sync=None):
    """Median seconds per call for each ``name -> step``, interleaved round by round.

    ``sync`` (for GPU work, which runs asynchronously) is called before a sample starts and
    before its clock is read, so a sample counts the work done, not just the work queued.
    """
    sync = sync or _no_sync
    for step in steps.values():  # warm-up
        for _ in range(3):
            step()
    counts = {name: _batch(step, target_seconds, sync) for name, step in steps.items()}
    samples = {name: [] for name in steps}
    gc.collect()
    for _ in range(rounds):
        for name, step in steps.items():
            n = counts[name]
            sync()
            start = time.perf_counter()
            for _ in range(n):
                step()
            sync()
            samples[name].append((time.perf_counter() - start) / n)
    return {name: statistics.median(s) for name, s in samples.items()}


def fmt_time(seconds):
    for unit, scale in (("s", 1), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"
