"""The training run of a profile-guided build (``python -m engine._compile``).

The build compiles the modules once with counters, runs this program on them, then compiles
again with the counts: the compiler lays each function's frequent path out contiguously and
moves its rarely taken branches (Cython's error handling, most of the code) out of the way.
Measured (tests/benchmarks/NOTES.md): the small-graph rows 5-10% faster, W3 and W4 1-2%,
from fewer instruction-cache misses. Functions this program never runs are compiled as
without a profile (``-fprofile-partial-training``), so a path it misses loses nothing.

What runs here is what people run: small fits written with raw tensors, small graphs with
and without ``no_grad``, MLPs trained with ``nn`` and ``optim``, a deep chain, and a spread of
elementwise, reduction and shape ops, in float32 and float64. It must exercise the compiled
modules, so it refuses to run on the pure-Python engine. Under a second.
"""

from __future__ import annotations

import sys

import engine
from engine import _speedups, nn, optim
from engine.nn import functional as F


def two_parameter_fit(epochs=200, dtype=engine.float32):
    x = engine.linspace(-1, 1, 16, dtype=dtype)
    y = 3 * x + 0.5
    w = engine.zeros((), dtype=dtype, requires_grad=True)
    b = engine.zeros((), dtype=dtype, requires_grad=True)
    for _ in range(epochs):
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        with engine.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
        w.grad = None
        b.grad = None
    return w.item(), b.item()


def small_graphs(rounds=300):
    x = engine.randn(3, requires_grad=True)
    w = engine.randn(3, requires_grad=True)
    b = engine.randn(3, requires_grad=True)
    for _ in range(rounds):
        (x * w + b).sum().backward()
        with engine.no_grad():
            x * w
        x.grad = w.grad = b.grad = None


def raw_mlp(steps=30, dtype=engine.float32, sizes=(64, 32, 32, 10), batch=16):
    params = [(engine.randn(a, b, dtype=dtype) / a ** 0.5).requires_grad_()
              for a, b in zip(sizes, sizes[1:])]
    biases = [engine.zeros(b, dtype=dtype, requires_grad=True) for b in sizes[1:]]
    x, y = engine.randn(batch, sizes[0], dtype=dtype), engine.randn(batch, sizes[-1], dtype=dtype)
    for _ in range(steps):
        h = x
        for i, (w, b) in enumerate(zip(params, biases)):
            h = h @ w + b
            if i < len(params) - 1:
                h = h.relu()
        ((h - y) ** 2).mean().backward()
        with engine.no_grad():
            for p in params + biases:
                p -= 0.01 * p.grad
        for p in params + biases:
            p.grad = None


def module_training(steps=30):
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 32), nn.Tanh(),
                          nn.Linear(32, 5))
    x, labels = engine.randn(24, 20), engine.randint(0, 5, (24,))
    for opt in (optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                optim.Adam(model.parameters(), lr=1e-3)):
        for _ in range(steps):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), labels) + nn.MSELoss()(model(x).sigmoid(),
                                                                    engine.zeros(24, 5))
            loss.backward()
            opt.step()


def deep_chain(depth=50, width=16):
    ws = [(engine.randn(width, width) / width ** 0.5).requires_grad_() for _ in range(depth)]
    for _ in range(5):
        h = engine.randn(8, width)
        for w in ws:
            h = (h @ w).tanh()
        h.sum().backward()
        for w in ws:
            w.grad = None


def op_spread(rounds=20):
    for dtype in (engine.float32, engine.float64):
        a = engine.randn(4, 6, dtype=dtype, requires_grad=True)
        b = engine.randn(6, dtype=dtype, requires_grad=True)
        for _ in range(rounds):
            out = F.softmax(a.exp() + a.sigmoid() * b - (a * a + 1).log() / (b.abs() + 1), -1)
            out = out.sum(0) + a.max(1).values.mean() + a.mean(1).sum() + a.transpose(0, 1)[:, 2]
            out = out + engine.cat([a[1], a[:, 2]]).sum() + a.reshape(24)[::2].sum()
            out = out + engine.stack([a[0], b]).var() + engine.where(a > 0, a, -a).sum()
            out.sum().backward()
            a.grad = b.grad = None


def train() -> None:
    engine.manual_seed(0)
    two_parameter_fit()
    two_parameter_fit(dtype=engine.float64)
    small_graphs()
    raw_mlp()
    raw_mlp(dtype=engine.float64)
    module_training()
    deep_chain()
    op_spread()


def main() -> int:
    if not _speedups.status().startswith("compiled"):
        print(f"engine._pgo_train: the compiled modules are not loaded ({_speedups.status()})",
              file=sys.stderr)
        return 1
    train()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
