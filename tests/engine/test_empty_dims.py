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
