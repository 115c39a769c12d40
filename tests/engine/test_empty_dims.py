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
