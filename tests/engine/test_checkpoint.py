"""utils.checkpoint: same gradients, less memory, replayed randomness."""

import tracemalloc

import numpy as np

import engine
from engine.utils.checkpoint import checkpoint, checkpoint_sequential


def _weights(n, width=32, seed=0):
    engine.manual_seed(seed)
    return [(engine.randn(width, width, dtype=engine.float64) / width**0.5).requires_grad_()
            for _ in range(n)]


def _layer(h, w):
    return (h @ w).tanh()


def _run(ws, x, every=None):
    h = x
    if every is None:
        for w in ws:
            h = _layer(h, w)
    else:
        for start in range(0, len(ws), every):
            def segment(t, chunk=ws[start:start + every]):
                for w in chunk:
                    t = _layer(t, w)
                return t
            h = checkpoint(segment, h, use_reentrant=False)
    return h.sum()


def test_gradients_equal_unchecheckpointed_run():
    ws = _weights(8)
    x = engine.randn(4, 32, dtype=engine.float64, requires_grad=True)
    _run(ws, x).backward()
    expected = [w.grad.numpy().copy() for w in ws] + [x.grad.numpy().copy()]
    for t in ws + [x]:
        t.grad = None
    _run(ws, x, every=2).backward()
    for e, t in zip(expected, ws + [x]):
        np.testing.assert_allclose(t.grad.numpy(), e, rtol=1e-12)


def test_nested_checkpoints_and_grad_of_inputs():
    ws = _weights(4)
    x = engine.randn(2, 32, dtype=engine.float64, requires_grad=True)

    def inner(t):
        return _layer(_layer(t, ws[0]), ws[1])

    def outer(t):
        return _layer(checkpoint(inner, t), ws[2])

    y = checkpoint(outer, x).sum()
    y.backward()
    got = x.grad.numpy().copy()
    x.grad = None
    _layer(_layer(_layer(x, ws[0]), ws[1]), ws[2]).sum().backward()
    np.testing.assert_allclose(got, x.grad.numpy(), rtol=1e-12)


def _dropout(t, p=0.5):
    mask = engine.rand(*t.shape, dtype=t.dtype) >= p
    return t * mask / (1 - p)


def test_random_ops_inside_replay_the_same_randomness():
    w = _weights(1)[0]
    x = engine.randn(3, 32, dtype=engine.float64)
    engine.manual_seed(5)
    _dropout(x @ w).sum().backward()
    expected = w.grad.numpy().copy()
    w.grad = None
    engine.manual_seed(5)
    checkpoint(lambda t: _dropout(t @ w), x).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), expected)


def test_checkpoint_sequential_matches():
    ws = _weights(6)
    x = engine.randn(2, 32, dtype=engine.float64, requires_grad=True)
    layers = [lambda t, w=w: _layer(t, w) for w in ws]
    checkpoint_sequential(layers, 3, x).sum().backward()
    got = x.grad.numpy().copy()
    x.grad = None
    _run(ws, x).backward()
    np.testing.assert_allclose(got, x.grad.numpy(), rtol=1e-12)


def test_autograd_grad_reaches_parameters_used_inside():
    ws = _weights(2)
    x = engine.randn(2, 32, dtype=engine.float64)  # data: only the weights require grad
    y = checkpoint(lambda t: _layer(_layer(t, ws[0]), ws[1]), x).sum()
    got = engine.autograd.grad(y, ws)
    assert all(w.grad is None for w in ws)
    expected = engine.autograd.grad(_layer(_layer(x, ws[0]), ws[1]).sum(), ws)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-12)


def _peak_backward_memory(every):
    ws = _weights(64, width=64)
    x = engine.randn(256, 64, dtype=engine.float64)
    tracemalloc.start()
    tracemalloc.reset_peak()
    loss = _run(ws, x, every)
    loss.backward()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, [w.grad.numpy().copy() for w in ws]


def test_checkpointing_lowers_peak_memory_with_equal_gradients():
    plain_peak, plain_grads = _peak_backward_memory(None)
    ckpt_peak, ckpt_grads = _peak_backward_memory(8)
    assert ckpt_peak < plain_peak
    for a, b in zip(plain_grads, ckpt_grads):
        np.testing.assert_allclose(a, b, rtol=1e-12)
