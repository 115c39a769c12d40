"""engine.nn: Parameter, the Module API, layers, Dropout, init and gradient clipping.

Where PyTorch has the same thing, PyTorch is the oracle: names, order, repr and error texts
are compared with torch's own (``torch`` spelled ``engine``).
"""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest

import engine
import engine.nn as nn
from engine.nn import init
from engine.nn.utils import clip_grad_norm_, clip_grad_value_
from engine.testing import assert_close

from ._torch_threads import torch_one_thread  # noqa: F401

oracle = pytest.mark.oracle


def build(lib):
    """The same architecture in engine or torch (lib.nn), nested a level deep."""
    n = lib.nn
    return n.Sequential(
        n.Linear(4, 8),
        n.ReLU(),
        n.Sequential(n.Linear(8, 8, bias=False), n.Tanh()),
        n.Dropout(0.25),
        n.Linear(8, 3),
    )


def copy_weights(src, dst, torch):
    """Load an engine module's state_dict into a torch module (same key names)."""
    dst.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in src.state_dict().items()})


def torch_text(text):
    return text.replace("torch.", "engine.")


# -- Parameter ---------------------------------------------------------------------------
def test_parameter_is_a_leaf_that_requires_grad_and_shares_memory():
    data = engine.zeros(2, 3)
    p = nn.Parameter(data)
    assert isinstance(p, nn.Parameter) and isinstance(p, engine.Tensor)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    assert not isinstance(data, nn.Parameter) and not data.requires_grad
    data[0, 0] = 5.0
    assert p[0, 0].item() == 5.0
    assert not nn.Parameter(engine.zeros(1), requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)
    assert not isinstance(p * 2, nn.Parameter) and not isinstance(3, nn.Parameter)
    (p * 2).sum().backward()
    assert p.grad.tolist() == [[2.0] * 3] * 2


@oracle
def test_parameter_of_integers_cannot_require_grad(torch):
    for values in ([1, 2], [True]):
        with pytest.raises(RuntimeError) as ours:
            nn.Parameter(engine.tensor(values))
        with pytest.raises(RuntimeError) as theirs:
            torch.nn.Parameter(torch.tensor(values))
        assert str(ours.value) == str(theirs.value)  # _make_subclass's text, not requires_grad_'s
    assert not nn.Parameter(engine.tensor([1, 2]), requires_grad=False).requires_grad


@oracle
def test_parameter_repr_matches_torch(torch):
    values = [[1.0, 2.0]]
    assert repr(nn.Parameter(engine.tensor(values))) == torch_text(
        repr(torch.nn.Parameter(torch.tensor(values))))


# -- the Module API ----------------------------------------------------------------------
@oracle
def test_names_order_and_repr_match_torch(torch):
    ours, theirs = build(engine), build(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [tuple(p.shape) for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [type(m).__name__ for m in ours.modules()] == [type(m).__name__ for m in theirs.modules()]
    assert [n for n, _ in ours[2].named_parameters(prefix="x")] == [
        n for n, _ in theirs[2].named_parameters(prefix="x")]
    assert [n for n, _ in ours.named_parameters(recurse=False)] == []
    assert repr(ours) == repr(theirs)


REPR_CASES = [
    lambda n: n.Linear(2, 3),
    lambda n: n.Linear(5, 1, bias=False),
    lambda n: n.ReLU(),
    lambda n: n.ReLU(inplace=True),
    lambda n: n.Softmax(dim=1),
    lambda n: n.LogSoftmax(dim=-1),
    lambda n: n.Softmax(),
    lambda n: n.Dropout(),
    lambda n: n.Dropout(p=0.1, inplace=True),
    lambda n: n.MSELoss(),
    lambda n: n.CrossEntropyLoss(reduction="sum"),
    lambda n: n.Identity(),
    lambda n: n.Sequential(),
    lambda n: n.Sequential(n.Linear(2, 3), n.Sigmoid(), n.Sequential(n.Linear(3, 3), n.Tanh())),
    lambda n: n.ModuleList([n.Linear(2, 2), n.Linear(2, 2), n.Linear(2, 2), n.ReLU(), n.ReLU()]),
    lambda n: n.ModuleList([n.Sequential(n.Linear(1, 1), n.ReLU())] * 2),
    lambda n: n.ModuleList(),
]


@oracle
@pytest.mark.parametrize("case", range(len(REPR_CASES)))
def test_module_repr_matches_torch(torch, case):
    assert repr(REPR_CASES[case](nn)) == repr(REPR_CASES[case](torch.nn))


@oracle
def test_forward_and_gradients_match_torch(torch):
    engine.manual_seed(0)
    ours, theirs = build(engine).eval(), build(torch).eval()
    copy_weights(ours, theirs, torch)
    x = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    out_e, out_t = ours(engine.tensor(x)), theirs(torch.tensor(x))
    assert_close(out_e, out_t)
    out_e.square().sum().backward()
    out_t.square().sum().backward()
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_close(p.grad, q.grad, msg=f"{name}: ")


def test_shared_parameters_and_modules_are_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.named_parameters(remove_duplicate=False))) == 4
    assert len(list(model.children())) == 2 and len(list(model.modules())) == 3


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.scale = nn.Parameter(engine.ones(1))
        self.register_buffer("running", engine.zeros(2))
        self.register_buffer("scratch", engine.zeros(1), persistent=False)
        self.plain = engine.zeros(1)  # a plain tensor attribute: neither parameter nor buffer

    def forward(self, x):
        return self.fc(x) * self.scale + self.running


def test_registration_of_parameters_buffers_and_modules():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["scale", "fc.weight", "fc.bias"]
    assert [n for n, _ in net.named_buffers()] == ["running", "scratch"]
    assert list(net.state_dict()) == ["scale", "running", "fc.weight", "fc.bias"]
    assert "plain" not in net._parameters and "plain" not in net._buffers
    net.extra = nn.Linear(1, 1)
    assert list(dict(net.named_children())) == ["fc", "extra"]
    del net.extra
    assert list(dict(net.named_children())) == ["fc"]
    assert net(engine.zeros(4, 3)).shape == (4, 2)
    assert net.get_parameter("fc.bias") is net.fc.bias and net.get_submodule("fc") is net.fc
    net.scale = None  # a registered parameter may be set to None
    assert [n for n, _ in net.named_parameters()] == ["fc.weight", "fc.bias"]
    assert "scale" not in net.state_dict()


@oracle
def test_assignment_and_missing_forward_errors_match_torch(torch):
    def empty_module(base):
        class Empty(base):
            pass

        return Empty()

    def message(fn):
        with pytest.raises(Exception) as err:
            fn()
        return type(err.value), str(err.value)

    ours, theirs = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    kind, text = message(lambda: setattr(theirs, "weight", torch.zeros(2, 2)))
    assert message(lambda: setattr(ours, "weight", engine.zeros(2, 2))) == (kind, torch_text(text))
    assert message(lambda: empty_module(nn.Module)(1)) == message(
        lambda: empty_module(torch.nn.Module)(1))
    assert message(lambda: ours.nothing) == message(lambda: theirs.nothing)
    assert message(lambda: ours.register_buffer("a.b", None)) == message(
        lambda: theirs.register_buffer("a.b", None))
    assert message(lambda: ours.train("yes")) == message(lambda: theirs.train("yes"))


def test_train_eval_propagate():
    model = build(engine)
    assert all(m.training for m in model.modules())
    assert model.eval() is model and not any(m.training for m in model.modules())
    model[2].train()
    assert model[2][1].training and not model[0].training
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_sets_none_by_default_or_zeros():
    model = nn.Linear(3, 2)
    model(engine.ones(1, 3)).sum().backward()
    grad = model.weight.grad
    model.zero_grad(set_to_none=False)
    assert model.weight.grad is grad and (grad.numpy() == 0).all() and not grad.requires_grad
    model.zero_grad()
    assert model.weight.grad is None and model.bias.grad is None


def test_requires_grad_and_apply():
    model = build(engine)
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "ReLU", "Linear", "Tanh", "Sequential", "Dropout", "Linear",
                    "Sequential"]
    model.apply(lambda m: init.zeros_(m.weight) if isinstance(m, nn.Linear) else None)
    assert all((m.weight.numpy() == 0).all() for m in model.modules() if isinstance(m, nn.Linear))


def test_state_dict_round_trip_and_detached_values():
    engine.manual_seed(1)
    a, b = build(engine).eval(), build(engine).eval()
    sd = a.state_dict()
    assert all(not v.requires_grad for v in sd.values())
    x = engine.randn(5, 4)
    assert not np.allclose(a(x).detach().numpy(), b(x).detach().numpy())
    result = b.load_state_dict(sd)
    assert repr(result) == "<All keys matched successfully>"
    assert (a(x).detach().numpy() == b(x).detach().numpy()).all()
    ids = [id(p) for p in b.parameters()]
    b.load_state_dict(build(engine).state_dict())
    assert [id(p) for p in b.parameters()] == ids  # copied into, never replaced
    assert all(p.requires_grad and p.is_leaf for p in b.parameters())


def test_load_state_dict_writes_over_infinite_values():
    model = nn.Linear(2, 1)
    with engine.no_grad():
        model.weight.fill_(float("inf"))
    model.load_state_dict({"weight": engine.ones(1, 2), "bias": engine.zeros(1)})
    assert model.weight.tolist() == [[1.0, 1.0]]


@oracle
@pytest.mark.parametrize("edit", ["missing", "unexpected", "both", "shape", "not_tensor"])
def test_load_state_dict_errors_match_torch(torch, edit):
    def edited(lib, model):
        sd = dict(model.state_dict())
        if edit in ("missing", "both"):
            del sd["2.0.weight"], sd["0.bias"]
        if edit in ("unexpected", "both"):
            sd["2.5.weight"] = lib.zeros(1)
            sd["extra"] = lib.zeros(1)
        if edit == "shape":
            sd["4.weight"] = lib.zeros(2, 2)
        if edit == "not_tensor":
            sd["0.bias"] = [1.0] * 8
        return sd

    ours, theirs = build(engine), build(torch)
    with pytest.raises(RuntimeError) as ours_err:
        ours.load_state_dict(edited(engine, ours))
    with pytest.raises(RuntimeError) as theirs_err:
        theirs.load_state_dict(edited(torch, theirs))
    assert str(ours_err.value) == torch_text(str(theirs_err.value))
    if edit in ("missing", "unexpected", "both"):
        got = ours.load_state_dict(edited(engine, ours), strict=False)
        want = theirs.load_state_dict(edited(torch, theirs), strict=False)
        assert got == tuple(want) and repr(got) == repr(want)


def test_deepcopy_and_pickle_keep_parameters():
    model = build(engine)
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        params = list(clone.parameters())
        assert len(params) == 5 and all(isinstance(p, nn.Parameter) for p in params)
        assert all(p is not q for p, q in zip(params, model.parameters()))
        assert all((p.detach().numpy() == q.detach().numpy()).all()
                   for p, q in zip(params, model.parameters()))


@oracle
def test_to_double_keeps_parameter_objects_and_matches_torch(torch):
    engine.manual_seed(2)
    ours = build(engine).eval()
    theirs = build(torch).eval()
    copy_weights(ours, theirs, torch)
    before = [id(p) for p in ours.parameters()]
    assert ours.double() is ours and [id(p) for p in ours.parameters()] == before
    assert all(p.dtype is engine.float64 and isinstance(p, nn.Parameter) for p in ours.parameters())
    theirs.double()
    x = np.random.default_rng(3).normal(size=(3, 4))
    assert_close(ours(engine.tensor(x)), theirs(torch.tensor(x)))
    ours.to(engine.float32)
    assert all(p.dtype is engine.float32 for p in ours.parameters())
    ours.to("cpu", dtype=engine.float64)
    assert all(p.dtype is engine.float64 for p in ours.parameters())
    with pytest.raises(TypeError) as ours_err:
        ours.to(engine.int64)
    with pytest.raises(TypeError) as theirs_err:
        theirs.to(torch.int64)
    assert str(ours_err.value) == torch_text(str(theirs_err.value))


# -- containers --------------------------------------------------------------------------
def test_sequential_indexing_and_module_list():
    model = build(engine)
    assert len(model) == 5 and isinstance(model[-1], nn.Linear) and model[0] is list(model)[0]
    tail = model[1:3]
    assert type(tail) is nn.Sequential and list(tail._modules) == ["1", "2"]
    model.append(nn.Sigmoid())
    assert len(model) == 6 and isinstance(model[5], nn.Sigmoid)
    del model[1]
    assert list(model._modules) == ["0", "1", "2", "3", "4"] and isinstance(model[1], nn.Sequential)
    with pytest.raises(IndexError):
        model[9]
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.Linear(2, 1))
    assert len(layers) == 4 and len(list(layers.parameters())) == 8
    assert [n for n, _ in layers.named_parameters()][-1] == "3.bias"
    holder = nn.Module()
    holder.layers = layers
    assert len(list(holder.parameters())) == 8


@oracle
def test_module_list_extend_needs_an_iterable(torch):
    with pytest.raises(TypeError) as ours:
        nn.ModuleList().extend(nn.ReLU())
    with pytest.raises(TypeError) as theirs:
        torch.nn.ModuleList().extend(torch.nn.ReLU())
    assert str(ours.value) == str(theirs.value)


# -- Linear ------------------------------------------------------------------------------
def test_linear_default_init_is_pytorchs():
    """kaiming_uniform_(a=sqrt(5)) is uniform on ±1/sqrt(fan_in); so is the bias."""
    engine.manual_seed(3)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert w.shape == (300, 400) and b.shape == (300,) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.99 * bound  # the whole interval is used
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound  # uniform: std = bound/sqrt(3)
    engine.manual_seed(3)
    assert (nn.Linear(400, 300).weight.detach().numpy() == w).all()
    assert nn.Linear(2, 3, dtype=engine.float64).weight.dtype is engine.float64


# -- activations and losses as modules ---------------------------------------------------
@oracle
def test_activation_and_loss_modules_match_torch(torch):
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(4, 5)), rng.integers(0, 5, size=4)
    for name, args in [("ReLU", ()), ("Tanh", ()), ("Sigmoid", ()), ("Softmax", (1,)),
                       ("LogSoftmax", (1,)), ("Identity", ())]:
        assert_close(getattr(nn, name)(*args)(engine.tensor(x)),
                     getattr(torch.nn, name)(*args)(torch.tensor(x)))
    for reduction in ("mean", "sum", "none"):
        assert_close(nn.CrossEntropyLoss(reduction=reduction)(engine.tensor(x), engine.tensor(y)),
                     torch.nn.CrossEntropyLoss(reduction=reduction)(torch.tensor(x),
                                                                     torch.tensor(y)))
        assert_close(nn.MSELoss(reduction=reduction)(engine.tensor(x), engine.tensor(x * 0.5)),
                     torch.nn.MSELoss(reduction=reduction)(torch.tensor(x), torch.tensor(x * 0.5)))
    w = rng.uniform(0.5, 2, size=5)
    assert_close(nn.CrossEntropyLoss(weight=engine.tensor(w), ignore_index=1)(
        engine.tensor(x), engine.tensor(y)),
        torch.nn.CrossEntropyLoss(weight=torch.tensor(w), ignore_index=1)(torch.tensor(x),
                                                                           torch.tensor(y)))
    assert_close(nn.NLLLoss()(engine.tensor(x), engine.tensor(y)),
                 torch.nn.NLLLoss()(torch.tensor(x), torch.tensor(y)))


# -- Dropout -----------------------------------------------------------------------------
def test_dropout_is_reproducible_scaled_and_identity_in_eval():
    drop = nn.Dropout(0.25)
    x = engine.ones(200, 100, requires_grad=True)
    engine.manual_seed(5)
    a = drop(x)
    engine.manual_seed(5)
    b = drop(x)
    assert (a.detach().numpy() == b.detach().numpy()).all()
    values = a.detach().numpy()
    assert set(np.unique(values).tolist()) == {0.0, np.float32(1 / 0.75).item()}
    assert abs((values == 0).mean() - 0.25) < 0.01
    assert not (drop(x).detach().numpy() == values).all()  # the generator moved on
    a.sum().backward()
    assert (x.grad.numpy() == values).all()  # the gradient goes through the same mask
    drop.eval()
    assert (drop(x).detach().numpy() == 1).all()


@oracle
def test_dropout_errors_match_torch(torch):
    with pytest.raises(ValueError) as ours:
        nn.Dropout(-0.1)
    with pytest.raises(ValueError) as theirs:
        torch.nn.Dropout(-0.1)
    assert str(ours.value) == str(theirs.value)


def test_dropout_mask_is_replayed_by_checkpoint():
    from engine.utils.checkpoint import checkpoint

    layer, drop = nn.Linear(6, 6), nn.Dropout(0.5)
    x = engine.randn(4, 6)

    def segment(h):
        return drop(layer(h)).relu()

    engine.manual_seed(6)
    segment(x).square().sum().backward()
    expected = [p.grad.numpy().copy() for p in layer.parameters()]
    layer.zero_grad()
    engine.manual_seed(6)
    checkpoint(segment, x).square().sum().backward()
    for p, e in zip(layer.parameters(), expected):
        assert_close(p.grad, e)


# -- init --------------------------------------------------------------------------------
@oracle
def test_calculate_gain_and_init_errors_match_torch(torch):
    for args in [("linear",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",),
                 ("leaky_relu", 0.2), ("selu",), ("conv2d",)]:
        assert init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)
    cases = [
        (lambda i, T: i.calculate_gain("swish"), ValueError),
        (lambda i, T: i.calculate_gain("leaky_relu", "a"), ValueError),
        (lambda i, T: i.xavier_uniform_(T.zeros(3)), ValueError),
        (lambda i, T: i.kaiming_normal_(T.zeros(3, 3), mode="fan_mid"), ValueError),
    ]
    for fn, kind in cases:
        with pytest.raises(kind) as ours:
            fn(init, engine)
        with pytest.raises(kind) as theirs:
            fn(torch.nn.init, torch)
        assert str(ours.value) == str(theirs.value)


def _expected_std(name, shape):
    fan_in, fan_out = shape[1] * int(np.prod(shape[2:])), shape[0] * int(np.prod(shape[2:]))
    if name.startswith("xavier"):
        return math.sqrt(2.0 / (fan_in + fan_out))
    return math.sqrt(2.0) / math.sqrt(fan_in)  # kaiming: a=0, so leaky_relu's gain is sqrt(2)


@pytest.mark.parametrize("name", ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                                  "kaiming_normal_"])
def test_init_distributions_have_pytorchs_scale(name):
    t = engine.empty(300, 200, 2, requires_grad=True)
    version = t._version
    engine.manual_seed(7)
    assert getattr(init, name)(t) is t
    assert t._version > version and t.grad_fn is None and t.requires_grad
    values = t.detach().numpy()
    std = _expected_std(name, t.shape)
    assert abs(values.std() / std - 1) < 0.02 and abs(values.mean()) < 0.02 * std
    if name.endswith("uniform_"):
        assert np.abs(values).max() <= math.sqrt(3) * std * (1 + 1e-6)
    engine.manual_seed(7)
    assert (getattr(init, name)(engine.empty(300, 200, 2)).numpy() == values).all()


def test_simple_inits():
    t = engine.empty(3, 2, dtype=engine.float64)
    assert init.constant_(t, 2.5).tolist() == [[2.5] * 2] * 3
    assert init.ones_(t).tolist() == [[1.0] * 2] * 3 and init.zeros_(t).tolist() == [[0.0] * 2] * 3
    u = init.uniform_(engine.empty(1000), -2.0, 3.0).numpy()
    assert u.min() >= -2.0 and u.max() < 3.0 and u.dtype == np.float32
    n = init.normal_(engine.empty(4000), 1.0, 0.5).numpy()
    assert abs(n.mean() - 1.0) < 0.05 and abs(n.std() - 0.5) < 0.05


# -- gradient clipping -------------------------------------------------------------------
def _grads_pair(torch, seed, dtype="float32"):
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(scale=3, size=s).astype(dtype) for s in [(3, 4), (5,), (2, 2, 2)]]
    ours = [engine.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    for p, q, a in zip(ours, theirs, arrays):
        p.grad, q.grad = engine.tensor(a * 0.7), torch.tensor(a * 0.7)
    ours.append(engine.zeros(2, requires_grad=True))  # no grad: skipped
    theirs.append(torch.zeros(2, requires_grad=True))
    return ours, theirs


@oracle
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(torch, norm_type, max_norm, dtype):
    ours, theirs = _grads_pair(torch, 8, dtype)
    total_e = clip_grad_norm_(ours, max_norm, norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert_close(total_e, total_t)
    for p, q in zip(ours, theirs):
        assert (p.grad is None) == (q.grad is None)
        if q.grad is not None:
            assert_close(p.grad, q.grad)


@oracle
def test_clip_grad_norm_single_tensor_empty_and_nonfinite(torch):
    p = engine.tensor([3.0, 4.0], requires_grad=True)
    p.grad = engine.tensor([3.0, 4.0])
    assert clip_grad_norm_(p, 1.0).item() == 5.0
    assert_close(p.grad, torch.tensor([3.0, 4.0]) * (1.0 / (5.0 + 1e-6)))
    assert_close(clip_grad_norm_([engine.zeros(1, requires_grad=True)], 1.0),
                 torch.nn.utils.clip_grad_norm_([torch.zeros(1, requires_grad=True)], 1.0))
    p.grad = engine.tensor([float("inf"), 1.0])
    q = torch.tensor([1.0, 1.0], requires_grad=True)
    q.grad = torch.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError) as ours:
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.utils.clip_grad_norm_([q], 1.0, error_if_nonfinite=True)
    assert str(ours.value) == str(theirs.value)


@oracle
@pytest.mark.parametrize("clip_value", [0.5, 2, 100.0])
def test_clip_grad_value_matches_torch(torch, clip_value):
    ours, theirs = _grads_pair(torch, 9)
    version = ours[0].grad._version
    assert clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for p, q in zip(ours, theirs):
        if q.grad is not None:
            assert_close(p.grad, q.grad)
    assert ours[0].grad._version > version
