"""sum and mean with no dimensions listed (dim=() or []) or dim=None with keepdim=True
reduce every dimension, as in PyTorch (keeping them as size 1 with keepdim=True)."""

from __future__ import annotations

import numpy as np
import pytest

import engine


@pytest.mark.oracle
@pytest.mark.parametrize("shape", [(2, 3), (4,), ()], ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [(), [], None], ids=["()", "[]", "None"])
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_reducing_all_dims_matches_torch(torch, name, dim, keepdim, shape):
    data = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)
    x = engine.tensor(data, requires_grad=True)
    t = torch.tensor(data, requires_grad=True)
    ours, theirs = getattr(x, name)(dim, keepdim=keepdim), getattr(t, name)(dim, keepdim=keepdim)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert np.allclose(ours.detach().numpy(), theirs.detach().numpy())
    ours.sum().backward()
    theirs.sum().backward()
    assert np.allclose(x.grad.numpy(), t.grad.numpy())


# var, std and norm read dim=() and [] the same way: every dimension. The value, shape, dtype
# and grad_fn are torch's for that very call; the gradient is torch's for dim=None, because
# torch's own var/std backward counts n = 1 for dim=() (inf gradients, or n times too large
# with correction=0) although its forward reduces everything.
_NO_DIMS = {
    "var": lambda lib, a, dim, k: a.var(dim, keepdim=k),
    "var_correction_0": lambda lib, a, dim, k: a.var(dim, keepdim=k, correction=0),
    "var_unbiased_false": lambda lib, a, dim, k: a.var(dim, False, k),
    "std": lambda lib, a, dim, k: a.std(dim, keepdim=k),
    "std_correction_0": lambda lib, a, dim, k: a.std(dim, keepdim=k, correction=0),
    "lib.std": lambda lib, a, dim, k: lib.std(a, dim, keepdim=k, correction=1),
    "norm": lambda lib, a, dim, k: a.norm(dim=dim, keepdim=k),
    "norm_1": lambda lib, a, dim, k: a.norm(1, dim, k),
    "norm_inf": lambda lib, a, dim, k: a.norm(float("inf"), dim, k),
    "lib.norm": lambda lib, a, dim, k: lib.norm(a, dim=dim, keepdim=k),
}


@pytest.mark.oracle
@pytest.mark.filterwarnings("ignore:(var|std)\\(\\). degrees of freedom")  # 0-d, correction 1
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(2, 3), (2, 1, 4), ()], ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [(), []], ids=["()", "[]"])
@pytest.mark.parametrize("name", sorted(_NO_DIMS))
def test_var_std_norm_with_no_dims_reduce_all(torch, name, dim, keepdim, shape, dtype):
    fn = _NO_DIMS[name]
    data = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    x = engine.tensor(data, requires_grad=True)
    t, t_all = torch.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    ours, theirs = fn(engine, x, dim, keepdim), fn(torch, t, dim, keepdim)
    assert tuple(ours.shape) == tuple(theirs.shape) == ((1,) * len(shape) if keepdim else ())
    assert str(ours.dtype) == str(theirs.dtype).replace("torch", "engine")
    assert type(ours.grad_fn).__name__ == theirs.grad_fn.name()
    rtol = 1e-5 if dtype == "float32" else 1e-7
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol)
    ours.sum().backward()
    fn(torch, t_all, None, keepdim).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t_all.grad.numpy(), rtol=rtol, atol=1e-7)


@pytest.mark.oracle
@pytest.mark.parametrize("unbiased", [False, True])
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_given_only_unbiased_reduce_all(torch, name, unbiased):
    data = np.arange(6.0).reshape(2, 3)
    ours = getattr(engine.tensor(data), name)(unbiased)
    theirs = getattr(torch.tensor(data), name)(unbiased)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


# squeeze with a tuple or list of dims drops each listed dim of size 1 (the others stay), and
# squeeze(()) or squeeze([]) none: unlike dim=None, which drops them all. Its node is
# SqueezeBackward2, for a sequence of any length; an int dim gives SqueezeBackward1.
_SQUEEZE_DIMS = [(), [], (0,), (1,), [2], (1, 2), [0, 2], (-1,), (-1, -3), (2, 0, 1)]


@pytest.mark.oracle
@pytest.mark.parametrize("shape", [(1, 3, 1), (1, 1, 1), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("dims", _SQUEEZE_DIMS, ids=repr)
@pytest.mark.parametrize("form", ["method", "lib"])
def test_squeeze_with_dims_matches_torch(torch, form, dims, shape):
    data = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)
    results = []
    for lib in (engine, torch):
        x = lib.tensor(data, requires_grad=True)
        y = x.squeeze(dims) if form == "method" else lib.squeeze(x, dims)
        (y * lib.tensor(np.arange(2.0, 2.0 + np.prod(y.shape)).reshape(tuple(y.shape)))).sum(
        ).backward()
        results.append((tuple(y.shape), y.tolist(), y.grad_fn.name(), x.grad.tolist()))
    assert results[0] == results[1]


@pytest.mark.oracle
@pytest.mark.parametrize("dims", [(), (0,), [-1]], ids=repr)
def test_squeeze_0d_with_dims_matches_torch(torch, dims):
    results = []
    for lib in (engine, torch):
        x = lib.tensor(5.0, requires_grad=True)
        y = x.squeeze(dims)
        (y * 3).backward()
        results.append((tuple(y.shape), y.item(), y.grad_fn.name(), x.grad.item()))
    assert results[0] == results[1]


@pytest.mark.parametrize("dims", [(1, 2), [0, 2], ()], ids=repr)
def test_squeeze_with_dims_is_a_view(dims):
    base = engine.zeros(1, 3, 1)
    v = base.squeeze(dims)
    assert v._base is base
    v.add_(1)  # in-place on the view: the base sees it and its version moves
    assert base._version == v._version == 1
    assert base.sum().item() == 3.0


def _raised(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the type and text are what is compared
        return type(exc), str(exc)
    return None


# PyTorch's errors for a dim out of range or listed twice, for squeeze and the reductions.
_DIM_ERRORS = {
    "squeeze_out_of_range": lambda T, x: x.squeeze((0, 3)),
    "squeeze_int_out_of_range": lambda T, x: T.squeeze(x, -4),
    "squeeze_repeated": lambda T, x: x.squeeze((0, 0)),
    "squeeze_repeated_neg": lambda T, x: x.squeeze([2, 1, -1]),
    "squeeze_0d_out_of_range": lambda T, x: x[0, 0, 0].squeeze((1,)),
    "squeeze_0d_repeated": lambda T, x: x[0, 0, 0].squeeze((0, -1)),
    "sum_repeated": lambda T, x: x.sum((0, -3)),
    "sum_repeated_out_of_range": lambda T, x: x.sum((0, 0, 3)),  # the range is checked first
    "mean_repeated": lambda T, x: x.mean([1, 1], keepdim=True),
    "var_repeated": lambda T, x: x.var((2, -1)),
    "std_repeated": lambda T, x: x.std((0, 1, 0)),
    "norm_repeated": lambda T, x: x.norm(dim=(1, 1)),
    "logsumexp_repeated": lambda T, x: T.logsumexp(x, (0, 2, 0)),
    "sum_0d_repeated": lambda T, x: x[0, 0, 0].sum((0, -1)),
}


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(_DIM_ERRORS))
def test_bad_dims_raise_torch_errors(torch, name):
    fn = _DIM_ERRORS[name]
    data = np.ones((1, 3, 1))
    theirs = _raised(lambda: fn(torch, torch.tensor(data)))
    assert theirs is not None
    assert _raised(lambda: fn(engine, engine.tensor(data))) == theirs


# logsumexp with dim=() or []: PyTorch 2.13 reduces every dim with keepdim=True (the rows in
# conftest.OPS) and, without keepdim, raises (its reduced result, shape [], cannot take the
# maximum it kept, every dim 1), except for a 0-d or an empty input.
@pytest.mark.oracle
@pytest.mark.parametrize("dtype", ["float32", "int64"])
@pytest.mark.parametrize("shape", [(2, 3), (4,), (1, 1, 1), (), (0, 3)], ids=str)
@pytest.mark.parametrize("dim", [(), []], ids=["()", "[]"])
def test_logsumexp_with_no_dims_matches_torch(torch, dim, shape, dtype):
    data = np.arange(np.prod(shape)).reshape(shape).astype(dtype)
    results = []
    for lib in (engine, torch):
        x = lib.tensor(data, requires_grad=dtype == "float32")
        error = _raised(lambda: lib.logsumexp(x, dim))  # noqa: B023 - called right here
        if error:
            results.append(error)
            continue
        y = x.logsumexp(dim)
        assert y.grad_fn is None or y.grad_fn.name() == "LogsumexpBackward0"
        grad = None
        if x.requires_grad:
            y.backward()
            grad = x.grad.tolist()
        results.append((tuple(y.shape), str(y.dtype).split(".")[1], y.tolist(), grad))
    np.testing.assert_equal(results[0], results[1])
