"""End to end: an MLP learns scikit-learn's digits as well as the same model in PyTorch, and
gradient accumulation over micro-batches equals one big batch."""

from __future__ import annotations

import numpy as np
import pytest

import engine
import engine.nn as nn
from engine import optim
from engine.testing import assert_close, tolerances

from ._torch_threads import torch_one_thread  # noqa: F401

oracle = pytest.mark.oracle


@pytest.fixture(scope="module")
def digits():
    """8x8 digit images scaled to [0, 1], split 1400 train / 397 held out (fixed shuffle)."""
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(X))
    X, y = (X[order] / 16.0).astype(np.float32), y[order].astype(np.int64)
    return X[:1400], y[:1400], X[1400:], y[1400:]


def mlp(lib):
    n = lib.nn
    return n.Sequential(n.Linear(64, 32), n.ReLU(), n.Linear(32, 10))


def train(lib, model, opt, data, epochs, batch=32):
    """Minibatch training on fixed batches (the same for both libraries); held-out accuracy."""
    X, y, X_test, y_test = data
    functional = lib.nn.functional
    order_rng = np.random.default_rng(1)
    for _ in range(epochs):
        order = order_rng.permutation(len(X))
        for start in range(0, len(X), batch):
            idx = order[start:start + batch]
            opt.zero_grad()
            loss = functional.cross_entropy(model(lib.tensor(X[idx])), lib.tensor(y[idx]))
            loss.backward()
            opt.step()
    with lib.no_grad():
        predicted = model(lib.tensor(X_test)).argmax(1).numpy()
    return float((predicted == y_test).mean()), loss.item()


@oracle
@pytest.mark.parametrize("make_opt,epochs", [
    (lambda o, p: o.SGD(p, lr=0.1, momentum=0.9), 6),
    (lambda o, p: o.Adam(p, lr=3e-3), 6),
], ids=["sgd-momentum", "adam"])
def test_mlp_on_digits_matches_torch(torch, digits, make_opt, epochs):
    engine.manual_seed(0)
    ours, theirs = mlp(engine), mlp(torch)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    acc_e, loss_e = train(engine, ours, make_opt(optim, ours.parameters()), digits, epochs)
    acc_t, loss_t = train(torch, theirs, make_opt(torch.optim, theirs.parameters()), digits,
                          epochs)
    assert acc_e > 0.9 and acc_t > 0.9, (acc_e, acc_t)
    assert abs(acc_e - acc_t) <= 0.03, (acc_e, acc_t)
    assert np.isfinite(loss_e) and abs(loss_e - loss_t) < 0.02  # same batches: same path


@pytest.mark.parametrize("make_opt", [
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3),
    lambda p: optim.Adam(p, lr=1e-2, amsgrad=True),
], ids=["sgd", "adam"])
def test_gradient_accumulation_equals_one_big_batch(digits, make_opt):
    """Stepping every k micro-batches on loss / k gives the parameters of one batch k times as
    large (float64, so only rounding separates the two)."""
    X, y = digits[0][:256].astype(np.float64), digits[1][:256]
    engine.manual_seed(1)
    big = mlp(engine).double()
    small = mlp(engine).double()
    small.load_state_dict(big.state_dict())
    initial = {k: v.numpy().copy() for k, v in big.state_dict().items()}
    opt_big, opt_small = make_opt(big.parameters()), make_opt(small.parameters())
    k, micro = 4, 16
    for step in range(4):
        rows = slice(step * k * micro, (step + 1) * k * micro)
        opt_big.zero_grad()
        nn.functional.cross_entropy(big(engine.tensor(X[rows])), engine.tensor(y[rows])).backward()
        opt_big.step()

        opt_small.zero_grad()
        for i in range(k):
            part = slice(rows.start + i * micro, rows.start + (i + 1) * micro)
            loss = nn.functional.cross_entropy(small(engine.tensor(X[part])),
                                               engine.tensor(y[part]))
            (loss / k).backward()
        opt_small.step()
    rtol, atol = tolerances(engine.float64)
    for (name, p), q in zip(big.named_parameters(), small.parameters()):
        assert_close(q, p, rtol=rtol * 10, atol=atol, msg=f"{name}: ")
        assert np.abs(p.detach().numpy() - initial[name]).max() > 1e-3  # it did train
