"""engine.nn.functional against PyTorch: activations, softmax family, losses, linear."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
import engine.nn.functional as F
from engine.testing import assert_close

from ._torch_threads import torch_one_thread  # noqa: F401

oracle = pytest.mark.oracle
DTYPES = ["float32", "float64"]


def pair(torch, array, requires_grad=True):
    """The same values as an engine leaf and a torch leaf."""
    array = np.array(array)
    return (engine.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def check(torch, fn_engine, fn_torch, arrays, grad=True, targets=()):
    """Forward values and (for a scalar of the output) gradients of every input agree."""
    e_in = [engine.tensor(np.array(a), requires_grad=grad) for a in arrays]
    t_in = [torch.tensor(np.array(a), requires_grad=grad) for a in arrays]
    e_t = [engine.tensor(np.array(t)) for t in targets]
    t_t = [torch.tensor(np.array(t)) for t in targets]
    e_out, t_out = fn_engine(*e_in, *e_t), fn_torch(*t_in, *t_t)
    assert_close(e_out, t_out)
    if grad:
        rng = np.random.default_rng(0)
        weights = rng.uniform(0.5, 1.5, size=tuple(t_out.shape)).astype(arrays[0].dtype)
        (e_out * engine.tensor(weights)).sum().backward()
        (t_out * torch.tensor(weights)).sum().backward()
        for e, t in zip(e_in, t_in):
            assert_close(e.grad, t.grad)
    return e_out


@oracle
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_activations_match_torch(torch, name, dtype):
    x = np.random.default_rng(1).normal(size=(4, 5)).astype(dtype)
    check(torch, getattr(F, name), getattr(torch.nn.functional, name), [x])


@oracle
def test_relu_inplace_matches_torch(torch):
    x = np.random.default_rng(2).normal(size=(3, 4)).astype("float32")
    check(torch, lambda a: F.relu(a * 1, inplace=True),
          lambda a: torch.nn.functional.relu(a * 1, inplace=True), [x])


@oracle
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family_matches_torch(torch, name, dim, dtype):
    x = np.random.default_rng(3).normal(scale=3, size=(4, 6)).astype(dtype)
    check(torch, lambda a: getattr(F, name)(a, dim), lambda a: getattr(torch, name)(a, dim), [x])


@oracle
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family_3d_matches_torch(torch, name):
    x = np.random.default_rng(4).normal(size=(2, 3, 4)).astype("float64")
    check(torch, lambda a: getattr(F, name)(a, 1), lambda a: getattr(torch, name)(a, 1), [x])


@oracle
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family_is_stable_with_huge_logits(torch, name):
    x = np.array([[1e4, 0.0, -1e4], [1e4, 1e4 - 1, 1e4 - 2], [-1e4, -1e4, -1e4]], "float32")
    out = check(torch, lambda a: getattr(F, name)(a, 1), lambda a: getattr(torch, name)(a, 1), [x])
    assert np.isfinite(out.detach().numpy()).all()


@oracle
def test_softmax_with_minus_inf_logits_matches_torch(torch):
    x = np.array([[0.0, -np.inf, 1.0], [-np.inf, 2.0, 2.0]], "float32")
    e = F.softmax(engine.tensor(x), 1)
    assert_close(e, torch.softmax(torch.tensor(x), 1))
    assert_close(F.log_softmax(engine.tensor(x), 1), torch.log_softmax(torch.tensor(x), 1))


@given(st.integers(1, 5), st.integers(1, 7), st.floats(0.1, 1e4), st.integers(0, 2**31 - 1))
@settings(max_examples=25, deadline=None)
def test_log_softmax_rows_are_normalised(rows, cols, scale, seed):
    """exp(log_softmax) sums to 1 per row, for any logit scale (no overflow, no nan)."""
    x = np.random.default_rng(seed).normal(scale=scale, size=(rows, cols))
    out = F.log_softmax(engine.tensor(x), 1).numpy()
    assert np.isfinite(out).all() and (out <= 0).all()
    np.testing.assert_allclose(np.exp(out).sum(1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(F.softmax(engine.tensor(x), -1).numpy(), np.exp(out), atol=1e-15)


def test_softmax_without_dim_warns_and_picks_torchs_dim():
    x = engine.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been deprecated"):
        out = F.softmax(x)
    np.testing.assert_allclose(out.numpy().sum(1), 1.0, rtol=1e-6)


@oracle
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_mse_loss_matches_torch(torch, reduction, dtype):
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(4, 3)).astype(dtype), rng.normal(size=(4, 3)).astype(dtype)
    check(torch, lambda a, b: F.mse_loss(a, b, reduction=reduction),
          lambda a, b: torch.nn.functional.mse_loss(a, b, reduction=reduction), [x, y])


@oracle
def test_loss_errors_and_warnings_match_torch(torch):
    a, b = engine.zeros(3), engine.zeros(3)
    with pytest.raises(ValueError) as ours:
        F.mse_loss(a, b, reduction="avg")
    with pytest.raises(ValueError) as theirs:
        torch.nn.functional.mse_loss(torch.zeros(3), torch.zeros(3), reduction="avg")
    assert str(ours.value) == str(theirs.value)
    with warnings.catch_warnings(record=True) as ours_w:
        warnings.simplefilter("always")
        F.mse_loss(engine.zeros(3, 1), engine.zeros(3))
    with warnings.catch_warnings(record=True) as theirs_w:
        warnings.simplefilter("always")
        torch.nn.functional.mse_loss(torch.zeros(3, 1), torch.zeros(3))
    assert [str(w.message) for w in ours_w] == [
        str(w.message).replace("torch.", "engine.") for w in theirs_w
    ]
    with pytest.raises(IndexError) as ours:
        F.cross_entropy(engine.zeros(2, 3), engine.tensor([0, 3]))
    with pytest.raises(IndexError) as theirs:
        torch.nn.functional.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 3]))
    assert str(ours.value) == str(theirs.value)


@oracle
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_matches_torch(torch, reduction, dtype):
    rng = np.random.default_rng(6)
    x, y = rng.normal(scale=2, size=(8, 5)).astype(dtype), rng.integers(0, 5, size=8)
    check(torch, lambda a, t: F.cross_entropy(a, t, reduction=reduction),
          lambda a, t: torch.nn.functional.cross_entropy(a, t, reduction=reduction), [x],
          targets=[y])


CE_OPTIONS = [
    {"weight": True},
    {"ignore_index": 1},
    {"weight": True, "ignore_index": 2},
    {"label_smoothing": 0.2},
    {"label_smoothing": 0.1, "weight": True, "ignore_index": 0},
]


@oracle
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", CE_OPTIONS, ids=lambda o: "-".join(map(str, o)))
def test_cross_entropy_options_match_torch(torch, options, reduction):
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(10, 4)), rng.integers(0, 4, size=10)
    w = rng.uniform(0.5, 2.0, size=4)
    kw = dict(options, reduction=reduction)

    def run(lib, functional):
        def fn(a, t):
            args = dict(kw)
            if args.pop("weight", False):
                args["weight"] = lib.tensor(w)
            return functional.cross_entropy(a, t, **args)

        return fn

    check(torch, run(engine, F), run(torch, torch.nn.functional), [x], targets=[y])


@oracle
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_probability_targets_match_torch(torch, reduction):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(5, 3))
    p = rng.dirichlet(np.ones(3), size=5)
    check(torch, lambda a, t: F.cross_entropy(a, t, reduction=reduction, label_smoothing=0.1),
          lambda a, t: torch.nn.functional.cross_entropy(a, t, reduction=reduction,
                                                         label_smoothing=0.1),
          [x], targets=[p])


@oracle
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_cross_entropy_unbatched_and_spatial_match_torch(torch, reduction):
    rng = np.random.default_rng(9)
    check(torch, lambda a, t: F.cross_entropy(a, t, reduction=reduction),
          lambda a, t: torch.nn.functional.cross_entropy(a, t, reduction=reduction),
          [rng.normal(size=4)], targets=[np.array(2)])
    check(torch, lambda a, t: F.cross_entropy(a, t, reduction=reduction),
          lambda a, t: torch.nn.functional.cross_entropy(a, t, reduction=reduction),
          [rng.normal(size=(2, 3, 4))], targets=[rng.integers(0, 3, size=(2, 4))])


@oracle
def test_cross_entropy_is_stable_with_huge_logits(torch):
    x = np.array([[1e4, -1e4, 0.0], [0.0, 1e4, 1e4], [-1e4, -1e4, 1e4]], "float32")
    y = np.array([1, 2, 0])
    out = check(torch, F.cross_entropy, torch.nn.functional.cross_entropy, [x], targets=[y])
    assert np.isfinite(out.item())


@oracle
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_matches_torch(torch, reduction):
    rng = np.random.default_rng(10)
    x, y = rng.normal(size=(6, 4)), rng.integers(0, 4, size=6)
    check(torch, lambda a, t: F.nll_loss(a, t, reduction=reduction),
          lambda a, t: torch.nn.functional.nll_loss(a, t, reduction=reduction), [x], targets=[y])


@oracle
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(torch, bias):
    rng = np.random.default_rng(11)
    arrays = [rng.normal(size=(5, 3)), rng.normal(size=(4, 3))] + ([rng.normal(size=4)] if bias
                                                                   else [])
    check(torch, F.linear, torch.nn.functional.linear, [a.astype("float32") for a in arrays])


def test_dropout_functional_validates_p_and_is_identity_when_not_training():
    x = engine.randn(3, 4)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert (F.dropout(x, 1.0).numpy() == 0).all()
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.dropout(x, 1.5)


# -- audit against torch 2.13: edge cases and argument checks ----------------------------
@oracle
@pytest.mark.parametrize("shape, dim", [((2, 0), 1), ((0, 3), 1), ((0, 3), 0)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family_of_empty_input_matches_torch(torch, name, shape, dim):
    x = engine.zeros(shape, requires_grad=True)
    out = getattr(F, name)(x, dim)
    assert out.shape == getattr(torch, name)(torch.zeros(shape), dim).shape
    out.sum().backward()
    assert x.grad.shape == shape


@oracle
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", [{}, {"weight": True}, {"label_smoothing": 0.2}])
def test_ignored_rows_with_minus_inf_log_probabilities_add_zero(torch, options, reduction):
    """A masked logit (-inf) in an ignored row once turned the loss into nan (0 * inf)."""
    x = np.array([[-np.inf, 0.0, 1.0], [0.5, -1.0, 2.0], [1.0, -np.inf, -np.inf]])
    y = np.array([-100, 2, -100])
    w = np.array([0.5, 1.0, 2.0])

    def run(lib, functional):
        def fn(a, t):
            args = dict(options, reduction=reduction)
            if args.pop("weight", False):
                args["weight"] = lib.tensor(w)
            return functional.cross_entropy(a, t, **args)
        return fn

    out = check(torch, run(engine, F), run(torch, torch.nn.functional), [x], targets=[y])
    assert np.isfinite(out.detach().numpy()).all()
    check(torch, lambda a, t: F.nll_loss(a, t, reduction=reduction),
          lambda a, t: torch.nn.functional.nll_loss(a, t, reduction=reduction),
          [np.array([[-np.inf, 0.0], [0.0, -1.0]])], targets=[np.array([-100, 1])])


@oracle
def test_uint8_targets_are_class_indices(torch):
    x, y = np.random.default_rng(12).normal(size=(3, 4)), np.array([0, 3, 1], "uint8")
    for name in ("nll_loss", "cross_entropy"):
        check(torch, getattr(F, name), getattr(torch.nn.functional, name), [x], targets=[y])


LOSS_ERRORS = [
    # target dtype: Long or Byte only; a floating target of another shape is class indices
    "F.nll_loss(z(2, 3), z(2, dtype=I))",
    "F.nll_loss(z(2, 3), z(2))",
    "F.cross_entropy(z(2, 3), z(2, dtype=I))",
    "F.cross_entropy(z(2, 3), z(2))",
    "F.cross_entropy(z(2, 3), z(3, 2))",
    "F.cross_entropy(z(2, 3), z(2, 3, dtype=L))",
    "F.cross_entropy(T(1.0), T(0))",
    # shapes: these once passed silently whenever the element counts agreed
    "F.nll_loss(T(1.0), T(0))",
    "F.nll_loss(z(2, 3), z(2, 1, dtype=L))",
    "F.nll_loss(z(2, 3), T(0))",
    "F.nll_loss(z(3), z(2, dtype=L))",
    "F.nll_loss(z(2, 3, 4), z(4, 2, dtype=L))",
    "F.nll_loss(z(2, 3, 4), z(2, 4, 1, dtype=L))",
    "F.nll_loss(z(2, 3, 4, 5), z(2, 20, dtype=L))",
    "F.nll_loss(z(2, 3, 4, 5), z(2, 4, 6, dtype=L))",
    "F.cross_entropy(z(2, 3, 4), z(2, 8, dtype=L))",
    # weights: one per class, of the input's dtype
    "F.nll_loss(z(2, 3), z(2, dtype=L), weight=o(2))",
    "F.nll_loss(z(2, 3), z(2, dtype=L), weight=o(1, 3))",
    "F.nll_loss(z(2, 3, 4), z(2, 4, dtype=L), weight=o(2))",
    "F.nll_loss(z(2, 3), z(2, dtype=L), weight=o(3, dtype=D))",
    "F.cross_entropy(z(2, 3), z(2, dtype=L), weight=o(2), label_smoothing=0.1)",
    "F.cross_entropy(z(2, 3), z(2, 3), weight=o(2))",
    # label_smoothing out of range, and integer input to the softmax family
    "F.cross_entropy(z(2, 3), z(2, dtype=L), label_smoothing=1.5)",
    "F.cross_entropy(z(2, 3), z(2, 3), label_smoothing=2.0)",
    "F.cross_entropy(z(2, 3, dtype=L), z(2, dtype=L))",
    "F.softmax(z(2, 3, dtype=L), 1)",
    "F.softmax(z(2, 3, dtype=L), 0)",
    "F.softmax(z(2, 3, dtype=L), 2)",
    "F.log_softmax(T([True]), 0)",
    # linear with a bias: PyTorch's addmm refuses mixed dtypes rather than promoting
    "F.linear(o(2, 3, dtype=D), o(4, 3), o(4))",
    "F.linear(o(3), o(4, 3), o(4, dtype=D))",
    "F.linear(o(5, 2, 3, dtype=D), o(4, 3, dtype=D), o(4))",
]


@oracle
@pytest.mark.parametrize("call", LOSS_ERRORS)
def test_argument_errors_match_torch(torch, call):
    def message(lib):
        env = {"F": lib.nn.functional, "z": lib.zeros, "o": lib.ones, "T": lib.tensor,
               "L": lib.int64, "I": lib.int32, "D": lib.float64}
        with pytest.raises(Exception) as err:
            eval(call, env)
        return type(err.value), str(err.value)

    assert message(engine) == message(torch)


@oracle
@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("x_shape, y_shape", [((3,), (1,)), ((2, 3, 2, 2), (2, 2, 2)),
                                              ((2, 3, 2, 1, 2), (2, 2, 1, 2))])
def test_loss_results_where_torch_accepts_odd_shapes(torch, x_shape, y_shape, reduction):
    """Unbatched input with a one-element target (forward only: torch's own backward refuses
    that shape), spatial losses of 4 and 5 dimensions."""
    rng = np.random.default_rng(13)
    x, y = rng.normal(size=x_shape), rng.integers(0, 3, size=y_shape)
    check(torch, lambda a, t: F.nll_loss(a, t, reduction=reduction),
          lambda a, t: torch.nn.functional.nll_loss(a, t, reduction=reduction),
          [x], targets=[y], grad=x.ndim > 1)
