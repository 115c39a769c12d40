"""engine.optim against PyTorch: SGD and Adam update rules, param groups, state_dict, errors.

The same model and data in engine and torch (weights copied through numpy); after every
step the parameters must agree within the dtype's tolerance.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import engine
import engine.nn as nn
from engine import optim
from engine.testing import assert_close

from ._torch_threads import torch_one_thread  # noqa: F401

oracle = pytest.mark.oracle


def models(torch, dtype="float32", seed=0):
    """A small MLP in engine and in torch with identical weights, and one data batch each."""
    engine.manual_seed(seed)
    ours = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3))
    if dtype == "float64":
        ours.double()
        theirs.double()
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(16, 5)).astype(dtype), rng.integers(0, 3, size=16)
    return ours, theirs, (engine.tensor(x), engine.tensor(y)), (torch.tensor(x), torch.tensor(y))


def step_both(torch, ours, theirs, opt_e, opt_t, data_e, data_t):
    for opt, model, (x, y), functional in ((opt_e, ours, data_e, nn.functional),
                                           (opt_t, theirs, data_t, torch.nn.functional)):
        opt.zero_grad()
        loss = functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()


def assert_same_params(ours, theirs, msg=""):
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_close(p, q, msg=f"{msg}{name}: ")


SGD_CONFIGS = [
    {"lr": 0.1},
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
    {"lr": 0.05, "momentum": 0.8, "nesterov": True},
    {"lr": 0.1, "weight_decay": 0.01},
    {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1, "nesterov": True},
    {"lr": 0.05, "momentum": 0.5, "dampening": 0.5, "weight_decay": 0.05, "maximize": True},
    {"lr": 0.1, "maximize": True, "weight_decay": 0.1},
]

ADAM_CONFIGS = [
    {},
    {"lr": 0.01},
    {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.01, "amsgrad": True},
    {"lr": 0.02, "betas": (0.8, 0.9), "eps": 1e-6, "amsgrad": True, "weight_decay": 0.05},
    {"lr": 0.01, "maximize": True},
]


def ids(config):
    return "-".join(f"{k}={v}" for k, v in config.items()) or "defaults"


@oracle
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", SGD_CONFIGS, ids=ids)
def test_sgd_matches_torch(torch, config, dtype):
    ours, theirs, data_e, data_t = models(torch, dtype)
    opt_e = optim.SGD(ours.parameters(), **config)
    opt_t = torch.optim.SGD(theirs.parameters(), foreach=False, **config)
    for i in range(8):
        step_both(torch, ours, theirs, opt_e, opt_t, data_e, data_t)
        assert_same_params(ours, theirs, f"step {i}: ")


@oracle
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", ADAM_CONFIGS, ids=ids)
def test_adam_matches_torch(torch, config, dtype):
    ours, theirs, data_e, data_t = models(torch, dtype)
    opt_e = optim.Adam(ours.parameters(), **config)
    opt_t = torch.optim.Adam(theirs.parameters(), foreach=False, **config)
    for i in range(10):
        step_both(torch, ours, theirs, opt_e, opt_t, data_e, data_t)
        assert_same_params(ours, theirs, f"step {i}: ")
    p, q = next(ours.parameters()), next(theirs.parameters())
    assert sorted(opt_e.state[p]) == sorted(opt_t.state[q])
    for key in opt_t.state[q]:
        assert_close(opt_e.state[p][key], opt_t.state[q][key], msg=f"{key}: ")


@oracle
def test_param_groups_with_their_own_hyperparameters(torch):
    ours, theirs, data_e, data_t = models(torch)
    opt_e = optim.SGD([{"params": ours[0].parameters(), "lr": 0.3},
                       {"params": ours[2].parameters()}], lr=0.05, momentum=0.9)
    opt_t = torch.optim.SGD([{"params": theirs[0].parameters(), "lr": 0.3},
                             {"params": theirs[2].parameters()}], lr=0.05, momentum=0.9)
    assert [g["lr"] for g in opt_e.param_groups] == [0.3, 0.05]
    for _ in range(4):
        step_both(torch, ours, theirs, opt_e, opt_t, data_e, data_t)
    assert_same_params(ours, theirs)
    assert repr(opt_e) == "\n".join(
        line for line in repr(opt_t).split("\n")
        if not line.strip().startswith(("differentiable", "fused")))


@oracle
def test_named_parameters_as_params(torch):
    """``SGD(model.named_parameters())`` (PyTorch 2.6+): the same steps, the names kept in
    each group's ``param_names`` and in the state_dict, in PyTorch's key order."""
    ours, theirs, data_e, data_t = models(torch)
    opt_e = optim.SGD(ours.named_parameters(), lr=0.1, momentum=0.9)
    opt_t = torch.optim.SGD(theirs.named_parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        step_both(torch, ours, theirs, opt_e, opt_t, data_e, data_t)
    assert_same_params(ours, theirs)
    group_e, group_t = opt_e.param_groups[0], opt_t.param_groups[0]
    assert group_e["param_names"] == group_t["param_names"] == ["0.weight", "0.bias",
                                                                "2.weight", "2.bias"]
    assert list(group_e)[:3] == list(group_t)[:3] == ["params", "param_names", "lr"]
    saved_e, saved_t = opt_e.state_dict(), opt_t.state_dict()
    assert saved_e["param_groups"][0]["param_names"] == saved_t["param_groups"][0]["param_names"]
    groups = optim.Adam([{"params": [("a", ours[0].weight)]},
                         {"params": [("b", ours[2].bias)], "lr": 0.2}], lr=0.1).param_groups
    assert [g["param_names"] for g in groups] == [["a"], ["b"]]


@oracle
def test_add_param_group_matches_torch(torch):
    ours, theirs, data_e, data_t = models(torch)
    opt_e = optim.Adam(ours[0].parameters(), lr=0.01)
    opt_t = torch.optim.Adam(theirs[0].parameters(), lr=0.01, foreach=False)
    step_both(torch, ours, theirs, opt_e, opt_t, data_e, data_t)
    opt_e.add_param_group({"params": ours[2].parameters(), "lr": 0.03})
    opt_t.add_param_group({"params": theirs[2].parameters(), "lr": 0.03})
    for _ in range(3):
        step_both(torch, ours, theirs, opt_e, opt_t, data_e, data_t)
    assert_same_params(ours, theirs)


@oracle
@pytest.mark.parametrize("make", [
    lambda o, ps: o.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda o, ps: o.Adam(ps, lr=0.01, amsgrad=True),
], ids=["sgd", "adam"])
def test_state_dict_round_trip_resumes_exactly(torch, make):
    """Save after 3 steps, load into fresh model and optimizer, 3 more: the same as 6 steps."""
    ours, theirs, data_e, data_t = models(torch)
    opt_e, opt_t = make(optim, list(ours.parameters())), make(torch.optim, theirs.parameters())
    for _ in range(3):
        step_both(torch, ours, theirs, opt_e, opt_t, data_e, data_t)
    # state_dicts hold references (as in torch): copy them before stepping on
    saved_model, saved_opt = ours.state_dict(), copy.deepcopy(opt_e.state_dict())
    # the layout of torch's optimizer state_dict: positions for params, the same state keys
    torch_sd = opt_t.state_dict()
    assert list(saved_opt) == ["state", "param_groups"]
    assert saved_opt["param_groups"][0]["params"] == torch_sd["param_groups"][0]["params"]
    assert {k: sorted(v) for k, v in saved_opt["state"].items()} == {
        k: sorted(v) for k, v in torch_sd["state"].items()}
    assert set(saved_opt["param_groups"][0]) <= set(torch_sd["param_groups"][0])
    saved_model = copy.deepcopy(saved_model)
    for _ in range(3):
        step_both(torch, ours, theirs, opt_e, opt_t, data_e, data_t)

    engine.manual_seed(123)  # different initial weights: all must come from the state_dicts
    resumed = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    resumed.load_state_dict(saved_model)
    opt_r = make(optim, list(resumed.parameters()))
    opt_r.load_state_dict(saved_opt)
    for _ in range(3):
        opt_r.zero_grad()
        nn.functional.cross_entropy(resumed(data_e[0]), data_e[1]).backward()
        opt_r.step()
    for p, q in zip(resumed.parameters(), ours.parameters()):
        assert (p.detach().numpy() == q.detach().numpy()).all()
    # loading copied the state: the original optimizer's buffers were not touched by opt_r
    assert_same_params(ours, theirs)


def test_zero_grad_set_to_none_or_zero():
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    model(engine.ones(2, 3)).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert (model.weight.grad.numpy() == 0).all()
    opt.zero_grad()
    assert model.weight.grad is None


def test_step_skips_params_without_grad_and_bumps_versions():
    a = nn.Parameter(engine.ones(2))
    b = nn.Parameter(engine.ones(2))
    opt = optim.Adam([a, b], lr=0.1)
    (a * 3).sum().backward()
    version = a._version
    opt.step()
    assert a._version > version and b.tolist() == [1.0, 1.0] and b not in opt.state
    assert a.grad_fn is None and a.is_leaf and a.requires_grad
    assert np.allclose(a.detach().numpy(), 0.9)  # Adam's first step moves by lr


def test_step_with_closure_returns_the_loss():
    w = nn.Parameter(engine.tensor([2.0]))
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with engine.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0 and w.item() == 1.0  # w - lr * 2w


def test_sgd_converges_on_a_quadratic_like_the_closed_form():
    """Least squares by gradient descent reaches numpy's lstsq solution (float64)."""
    rng = np.random.default_rng(1)
    X, true_w = rng.normal(size=(50, 3)), np.array([[1.5], [-2.0], [0.5]])
    y = X @ true_w + 0.01 * rng.normal(size=(50, 1))
    model = nn.Linear(3, 1, bias=False).double()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    xe, ye = engine.tensor(X), engine.tensor(y)
    for _ in range(200):
        opt.zero_grad()
        nn.functional.mse_loss(model(xe), ye).backward()
        opt.step()
    expected = np.linalg.lstsq(X, y, rcond=None)[0].T
    np.testing.assert_allclose(model.weight.detach().numpy(), expected, rtol=1e-8)


@oracle
@pytest.mark.parametrize("build", [
    lambda o, p: o.SGD(p, lr=-1),
    lambda o, p: o.SGD(p, momentum=-0.5),
    lambda o, p: o.SGD(p, weight_decay=-1),
    lambda o, p: o.SGD(p, nesterov=True),
    lambda o, p: o.SGD(p, momentum=0.9, dampening=0.1, nesterov=True),
    lambda o, p: o.Adam(p, lr=-0.1),
    lambda o, p: o.Adam(p, eps=-1.0),
    lambda o, p: o.Adam(p, betas=(1.0, 0.999)),
    lambda o, p: o.Adam(p, betas=(0.9, -0.1)),
    lambda o, p: o.Adam(p, weight_decay=-0.1),
    lambda o, p: o.SGD([], lr=0.1),
    lambda o, p: o.SGD(p[0], lr=0.1),
    lambda o, p: o.SGD([{"params": {p[0]}}], lr=0.1),
    lambda o, p: o.SGD([p[0], 3], lr=0.1),
    lambda o, p: o.SGD([p[0] * 2], lr=0.1),
    lambda o, p: o.SGD([{"params": [p[0]]}, {"params": [p[0]]}], lr=0.1),
    lambda o, p: o.SGD([p[0]]).add_param_group([p[0]]),
    lambda o, p: o.SGD([("w", p[0]), p[0] * 1], lr=0.1),
    lambda o, p: o.SGD([("w", p[0])], lr=0.1).add_param_group({"params": [p[0] * 1]}),
    lambda o, p: o.SGD([("w", p[0])], lr=0.1).add_param_group(
        {"params": [p[0].detach().requires_grad_()]}),
    lambda o, p: o.SGD([p[0]], lr=0.1).add_param_group(
        {"params": [("w", p[0].detach().requires_grad_())]}),
])
def test_errors_match_torch(torch, build):
    def message(lib):
        params = [lib.zeros(2, requires_grad=True)]
        with pytest.raises((ValueError, TypeError)) as err:
            build(lib.optim, params)
        return type(err.value), str(err.value).replace("torch.", "engine.")

    assert message(engine) == message(torch)
