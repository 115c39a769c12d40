"""What the op table does not see: which results are views of their input (sharing its
memory and version counter, so an in-place op on one reaches the other's graph), the named
tuples that ops with two results return, and results that are the input itself."""

from __future__ import annotations

import numpy as np
import pytest

import engine

pytestmark = pytest.mark.oracle

# x is (3, 4); each result is written in place, then the gradient flows to x through it
VIEWS = {
    "diagonal": lambda T, y: y.diagonal(1),
    "diagonal_dims": lambda T, y: y.unsqueeze(0).diagonal(-1, 2, 1),
    "narrow": lambda T, y: y.narrow(1, 1, 2),
    "unflatten": lambda T, y: y.unflatten(1, (2, 2)),
    "ravel": lambda T, y: y.ravel(),
    "ravel_of_a_copy": lambda T, y: y.t().ravel(),  # a view of the copy, not of y
    "swapaxes": lambda T, y: y.swapaxes(0, 1),
    "tensor_split": lambda T, y: y.tensor_split(2, 1)[1],
    "hsplit": lambda T, y: T.hsplit(y, [1])[0],
    "vsplit": lambda T, y: y.vsplit([1, 2])[2],
    "atleast_3d": lambda T, y: T.atleast_3d(y),
    "diff_n0": lambda T, y: y.diff(n=0),  # a copy
    "rot90": lambda T, y: y.rot90(),  # a copy (NumPy's rot90 is a view)
    "tril": lambda T, y: y.tril(),
}


@pytest.mark.parametrize("name", list(VIEWS))
def test_views_share_memory_and_history_as_in_torch(name, torch):
    data = np.arange(12.0).reshape(3, 4) / 7
    weights = np.random.default_rng(0).standard_normal((3, 4))
    seen = []
    for lib in (engine, torch):
        x = lib.tensor(data, requires_grad=True)
        y = x * 1
        v = VIEWS[name](lib, y)
        is_view = v._base is y
        v.mul_(2)
        (y * lib.tensor(weights)).sum().backward()
        seen.append((is_view, y._version, type(y.grad_fn).__name__,
                     y.detach().numpy().tolist(), x.grad.numpy().tolist()))
    assert seen[0] == seen[1]


def test_atleast_returns_a_tensor_with_enough_dims_itself():
    x = engine.ones(2, 3, 4)
    assert engine.atleast_1d(x) is x and engine.atleast_2d(x) is x and engine.atleast_3d(x) is x
    a, b = engine.atleast_2d(engine.ones(2, 2), engine.tensor(1.0))
    assert a.shape == (2, 2) and b.shape == (1, 1)


RESULTS = {
    "sort": lambda T, x: x.sort(0),
    "topk": lambda T, x: T.topk(x, 2),
    "kthvalue": lambda T, x: x.kthvalue(1, 1, True),
    "cummax": lambda T, x: x.cummax(1),
    "cummin": lambda T, x: T.cummin(x, 0),
    "aminmax": lambda T, x: x.aminmax(dim=1),
}


@pytest.mark.parametrize("name", list(RESULTS))
def test_two_results_are_named_as_in_torch(name, torch):
    data = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    e, t = RESULTS[name](engine, engine.tensor(data)), RESULTS[name](torch, torch.tensor(data))
    assert type(e).__name__ == type(t).__name__ and len(e) == len(t) == 2
    assert e._fields == (("min", "max") if name == "aminmax" else ("values", "indices"))
    assert repr(e).startswith(f"engine.return_types.{name}(\n{e._fields[0]}=tensor(")
    for field in e._fields:  # torch's are named the same (a structseq has no _fields)
        mine, theirs = getattr(e, field), getattr(t, field)
        assert str(mine.dtype) == str(theirs.dtype).replace("torch", "engine")
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    assert e[0] is getattr(e, e._fields[0])


@pytest.mark.parametrize("as_tuple", [False, True])
def test_nonzero_matches_torch(as_tuple, torch):
    data = np.array([[[0.0, 1.5], [2.0, 0.0]], [[0.0, 0.0], [-1.0, 3.0]]])
    e = engine.tensor(data).nonzero(as_tuple=as_tuple)
    t = torch.tensor(data).nonzero(as_tuple=as_tuple)
    for mine, theirs in zip(e if as_tuple else [e], t if as_tuple else [t]):
        assert str(mine.dtype) == "engine.int64"
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
