"""The benchmark workloads, each written once per library.

A workload maker takes a library name and a dtype and returns ``(step, result)``: ``step()``
runs one timed unit, ``result()`` returns NumPy arrays (gradients or parameters) that are
compared with the raw-NumPy reference before anything is timed. A maker returns None when
the library cannot run the workload (micrograd has no tensors).
"""

from __future__ import annotations

import importlib

import numpy as np


def lib(name):
    return importlib.import_module({"engine": "engine", "torch": "torch", "mygrad": "mygrad"}[name])


def _arr(t):
    if hasattr(t, "detach"):
        t = t.detach()
    if hasattr(t, "numpy"):
        return np.asarray(t.numpy())
    return np.asarray(t.data if hasattr(t, "data") else t)


# -- W1: the lessons' two-parameter fit, 201 epochs ------------------------------------------


def w1(name, dtype="float32"):
    xs, ys = [1.0, 2.0, 3.0, 4.0], [3.0, 5.0, 7.0, 9.0]
    if name == "numpy":
        x, y = np.array(xs, np.float32), np.array(ys, np.float32)

        def step():
            w = b = np.float32(0.0)
            for _ in range(201):
                err = w * x + b - y
                gw, gb = (2 * err * x).mean(), (2 * err).mean()
                w, b = w - np.float32(0.05) * gw, b - np.float32(0.05) * gb
            return w, b

        return step, lambda: np.array(step(), np.float64)
    if name == "micrograd":
        from micrograd.engine import Value

        def step():
            w, b = Value(0.0), Value(0.0)
            for _ in range(201):
                loss = sum(((w * xi + b) + (-yi)) ** 2 for xi, yi in zip(xs, ys)) * 0.25
                w.grad = b.grad = 0.0
                loss.backward()
                w.data -= 0.05 * w.grad
                b.data -= 0.05 * b.grad
            return w.data, b.data

        return step, lambda: np.array(step())
    if name == "mygrad":
        mg = lib("mygrad")
        x, y = mg.tensor(xs, dtype=np.float32), mg.tensor(ys, dtype=np.float32)

        def step():
            w, b = mg.tensor(0.0, dtype=np.float32), mg.tensor(0.0, dtype=np.float32)
            for _ in range(201):
                loss = mg.mean((w * x + b - y) ** 2)
                loss.backward()
                w = mg.tensor(w.data - 0.05 * w.grad)
                b = mg.tensor(b.data - 0.05 * b.grad)
            return float(w.data), float(b.data)

        return step, lambda: np.array(step())
    m = lib(name)
    x, y = m.tensor(xs), m.tensor(ys)

    def step():
        w = m.tensor(0.0, requires_grad=True)
        b = m.tensor(0.0, requires_grad=True)
        for _ in range(201):
            loss = ((w * x + b - y) ** 2).mean()
            loss.backward()
            with m.no_grad():
                w -= 0.05 * w.grad
                b -= 0.05 * b.grad
            w.grad.zero_()
            b.grad.zero_()
        return w.item(), b.item()

    return step, lambda: np.array(step())


# -- W2: tiny ops, where fixed costs are everything -----------------------------------------


def _three(m, requires_grad):
    return [m.tensor([1.0, 2.0, 3.0], requires_grad=requires_grad) for _ in range(3)]


def w2a(name, dtype="float32"):
    """``x*w + b`` on 3-element tensors that require grad (2 ops)."""
    if name in ("numpy", "micrograd"):
        if name == "micrograd":
            return None
        x, w, b = (np.array([1.0, 2.0, 3.0], np.float32) for _ in range(3))
        return (lambda: x * w + b), (lambda: x * w + b)
    m = lib(name)
    x, w, b = _three(m, True) if name != "mygrad" else [m.tensor([1.0, 2.0, 3.0]) for _ in range(3)]
    return (lambda: x * w + b), (lambda: _arr(x * w + b))


def w2b(name, dtype="float32"):
    """``(x*w + b).sum().backward()`` per iteration."""
    if name == "micrograd":
        return None
    if name == "numpy":
        x, w, b = (np.array([1.0, 2.0, 3.0], np.float32) for _ in range(3))

        def step():
            _ = (x * w + b).sum()
            ones = np.ones_like(x)
            return ones * w, ones * x, ones

        return step, lambda: np.stack(step())
    m = lib(name)
    x, w, b = [m.tensor([1.0, 2.0, 3.0]) for _ in range(3)] if name == "mygrad" else _three(m, True)

    def step():
        (x * w + b).sum().backward()

    def result():
        for t in (x, w, b):
            t.null_grad() if name == "mygrad" else setattr(t, "grad", None)
        step()
        return np.stack([_arr(t.grad) for t in (w, x, b)])

    return step, result


def w2c(name, dtype="float32"):
    """``x*w`` under no_grad (1 op)."""
    if name == "micrograd":
        return None
    if name == "numpy":
        x, w = np.array([1.0, 2.0, 3.0], np.float32), np.array([1.0, 2.0, 3.0], np.float32)
        return (lambda: x * w), (lambda: x * w)
    m = lib(name)
    if name == "mygrad":
        x, w = m.tensor([1.0, 2.0, 3.0]), m.tensor([1.0, 2.0, 3.0])

        def step():
            with m.no_autodiff:
                return x * w

        return step, lambda: _arr(step())
    x, w = _three(m, True)[:2]

    def step():
        with m.no_grad():
            return x * w

    return step, lambda: _arr(step())


# -- W3: an MLP training step ---------------------------------------------------------------

SIZES = (784, 256, 256, 10)


def _mlp_data(dtype, batch=128, sizes=SIZES, seed=0):
    rng = np.random.default_rng(seed)
    ws = [(rng.standard_normal((a, b)) / np.sqrt(a)).astype(dtype) for a, b in zip(sizes, sizes[1:])]
    bs = [np.zeros(b, dtype) for b in sizes[1:]]
    x = rng.standard_normal((batch, sizes[0])).astype(dtype)
    y = rng.standard_normal((batch, sizes[-1])).astype(dtype)
    return ws, bs, x, y


def _numpy_mlp_grads(ws, bs, x, y):
    acts, h = [x], x
    for i, (w, b) in enumerate(zip(ws, bs)):
        h = h @ w + b
        if i < len(ws) - 1:
            h = np.maximum(h, 0)
        acts.append(h)
    g = 2 * (h - y) / h.size
    gws, gbs = [None] * len(ws), [None] * len(ws)
    for i in reversed(range(len(ws))):
        gws[i] = acts[i].T @ g
        gbs[i] = g.sum(0)
        if i:
            g = (g @ ws[i].T) * (acts[i] > 0)
    return gws, gbs


def w3(name, dtype="float32", batch=128, sizes=SIZES, lr=0.01):
    if name == "micrograd":
        return None
    ws, bs, x, y = _mlp_data(dtype, batch, sizes)
    if name == "numpy":
        ws, bs = [w.copy() for w in ws], [b.copy() for b in bs]

        def step():
            gws, gbs = _numpy_mlp_grads(ws, bs, x, y)
            for p, g in zip(ws + bs, gws + gbs):
                p -= lr * g
            return gws + gbs

        return step, lambda: _numpy_mlp_grads(ws, bs, x, y)[0]
    m = lib(name)
    if name == "mygrad":
        params = [m.tensor(p.copy()) for p in ws + bs]
        X, Y = x, y

        def forward():
            h = X
            n = len(ws)
            for i in range(n):
                h = m.matmul(h, params[i]) + params[n + i]
                if i < n - 1:
                    h = m.maximum(h, 0)
            return m.mean((h - Y) ** 2)

        def step():
            forward().backward()
            for p in params:
                p.data -= lr * p.grad
                p.null_grad()

        def result():
            forward().backward()
            grads = [np.array(p.grad) for p in params[: len(ws)]]
            for p in params:
                p.null_grad()
            return grads

        return step, result
    params = [m.tensor(p.copy(), requires_grad=True) for p in ws + bs]
    X, Y = m.tensor(x), m.tensor(y)
    n = len(ws)

    def forward():
        h = X
        for i in range(n):
            h = h @ params[i] + params[n + i]
            if i < n - 1:
                h = h.relu()
        return ((h - Y) ** 2).mean()

    def step():
        forward().backward()
        with m.no_grad():
            for p in params:
                p -= lr * p.grad
        for p in params:
            p.grad = None

    def result():
        forward().backward()
        grads = [_arr(p.grad) for p in params[:n]]
        for p in params:
            p.grad = None
        return grads

    return step, result


# -- W4: a deep chain of small layers -------------------------------------------------------


def _chain_data(dtype, depth=200, width=64, batch=32, seed=0):
    rng = np.random.default_rng(seed)
    ws = [(rng.standard_normal((width, width)) / np.sqrt(width)).astype(dtype) for _ in range(depth)]
    return ws, rng.standard_normal((batch, width)).astype(dtype)


def _numpy_chain_grads(ws, x):
    hs, h = [], x
    for w in ws:
        h = np.tanh(h @ w)
        hs.append(h)
    g = np.ones_like(h)
    grads = [None] * len(ws)
    for i in reversed(range(len(ws))):
        g = g * (1 - hs[i] * hs[i])
        grads[i] = (hs[i - 1] if i else x).T @ g
        g = g @ ws[i].T
    return grads


def w4(name, dtype="float32", depth=200):
    if name == "micrograd":
        return None
    ws, x = _chain_data(dtype, depth)
    if name == "numpy":
        return (lambda: _numpy_chain_grads(ws, x)), (lambda: _numpy_chain_grads(ws, x))
    m = lib(name)
    if name == "mygrad":
        params = [m.tensor(w) for w in ws]

        def step():
            h = x
            for w in params:
                h = m.tanh(m.matmul(h, w))
            m.sum(h).backward()

        def result():
            step()
            return [np.array(p.grad) for p in params]

        return step, result
    params = [m.tensor(w, requires_grad=True) for w in ws]
    X = m.tensor(x)

    def step():
        h = X
        for w in params:
            h = (h @ w).tanh()
        h.sum().backward()
        for p in params:
            p.grad = None

    def result():
        h = X
        for w in params:
            h = (h @ w).tanh()
        h.sum().backward()
        grads = [_arr(p.grad) for p in params]
        for p in params:
            p.grad = None
        return grads

    return step, result


WORKLOADS = {
    "W1 two-parameter fit": (w1, "float32", 0.40, "torch"),
    "W2a op with grad (2 ops)": (w2a, "float32", 0.8, "torch"),
    "W2b small graph": (w2b, "float32", 0.40, "torch"),
    "W2c op under no_grad": (w2c, "float32", 0.7, "torch"),
    "W3 MLP step float32": (w3, "float32", 1.05, "numpy"),
    "W3 MLP step float64": (w3, "float64", 1.05, "numpy"),
    "W4 deep chain": (w4, "float32", 1.30, "numpy"),
}
