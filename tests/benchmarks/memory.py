"""Memory workloads: M1 checkpointing's peak, M2 steady memory over training steps."""

from __future__ import annotations

import tracemalloc

import numpy as np


def _layers(engine, depth, width, seed=0):
    engine.manual_seed(seed)
    return [(engine.randn(width, width) / width**0.5).requires_grad_() for _ in range(depth)]


def _forward(engine, ws, x, every):
    from engine.utils.checkpoint import checkpoint

    h = x
    if not every:
        for w in ws:
            h = (h @ w).relu()
        return h.sum()
    for start in range(0, len(ws), every):
        def segment(t, chunk=ws[start:start + every]):
            for w in chunk:
                t = (t @ w).relu()
            return t
        h = checkpoint(segment, h, use_reentrant=False)
    return h.sum()


def m1_checkpoint_memory(depth=64, width=128, batch=2048, every=8):
    """Peak traced memory of forward+backward, with checkpoints every ``every`` layers vs none;
    returns (peak_plain, peak_checkpointed, gradients_equal)."""
    import engine

    peaks, grads = [], []
    for k in (0, every):
        ws = _layers(engine, depth, width)
        x = engine.randn(batch, width)
        tracemalloc.start()
        tracemalloc.reset_peak()
        _forward(engine, ws, x, k).backward()
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        grads.append([w.grad.numpy().copy() for w in ws])
    equal = all(np.allclose(a, b, rtol=1e-5, atol=1e-6) for a, b in zip(*grads))
    return peaks[0], peaks[1], equal


def m2_steady_memory(steps=1000, warmup=200):
    """Traced memory growth over ``steps`` training steps after ``warmup`` steps (bytes)."""
    import engine

    engine.manual_seed(0)
    x, y = engine.randn(64, 32), engine.randn(64, 1)
    w = engine.randn(32, 1, requires_grad=True)
    b = engine.zeros(1, requires_grad=True)

    def step():
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        with engine.no_grad():
            w.sub_(0.01 * w.grad)
            b.sub_(0.01 * b.grad)
        w.grad = None
        b.grad = None
        return loss.item()

    tracemalloc.start()
    for _ in range(warmup):
        step()
    base = tracemalloc.get_traced_memory()[0]
    for _ in range(steps):
        step()
    growth = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return growth
