"""PyTorch's error texts, word for word.

Each scenario runs unchanged on the engine and (in the oracle test) on torch 2.13: the
exception type and text must equal conftest.MSG, so the texts are checked against torch
itself while the engine tests need no torch.
"""

from __future__ import annotations

import pytest

import engine

from .conftest import MSG


def _backward_twice_pow(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = (x**2).sum()
    y.backward()
    y.backward()


def _backward_twice_mul(T):
    x = T.tensor(2.0, requires_grad=True)
    w = T.tensor(3.0, requires_grad=True)
    z = x * w
    z.backward()
    z.backward()


def _modified_inplace(T):
    x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = x.clone()
    b = a * a
    a.add_(1)
    b.sum().backward()


def _under_no_grad(T):
    x = T.tensor(1.0, requires_grad=True)
    with T.no_grad():
        y = x * 2
    y.backward()


def _set_requires_grad(t, value):
    t.requires_grad = value


def _view_detach_(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    (x * 1)[0].detach_()


def _leaf(T):
    return T.tensor([1.0, 2.0, 3.0], requires_grad=True)


# id, scenario(lib) that raises, exception type, MSG key, how to compare
#   exact: the whole text; head: up to the first colon; prefix: the text starts with it
ERRORS = [
    ("backward_no_grad_fn", lambda T: T.tensor(1.0).backward(), RuntimeError, "no_grad_fn", "exact"),
    ("backward_constant_graph", lambda T: (T.tensor([1.0]) * 2).sum().backward(), RuntimeError, "no_grad_fn", "exact"),
    ("backward_made_under_no_grad", _under_no_grad, RuntimeError, "no_grad_fn", "exact"),
    ("backward_non_scalar", lambda T: (_leaf(T) * 2).backward(), RuntimeError, "scalar_outputs", "exact"),
    ("backward_twice_pow", _backward_twice_pow, RuntimeError, "backward_twice", "exact"),
    ("backward_twice_mul", _backward_twice_mul, RuntimeError, "backward_twice", "exact"),
    ("modified_inplace", _modified_inplace, RuntimeError, "modified_inplace", "head"),
    ("ctor_int", lambda T: T.tensor(3, requires_grad=True), RuntimeError, "requires_grad_ctor", "exact"),
    ("ctor_int_list", lambda T: T.tensor([1, 2], requires_grad=True), RuntimeError, "requires_grad_ctor", "exact"),
    ("ctor_zeros_int", lambda T: T.zeros(3, dtype=T.int64, requires_grad=True), RuntimeError, "requires_grad_ctor", "exact"),
    ("ctor_arange_int", lambda T: T.arange(3, requires_grad=True), RuntimeError, "requires_grad_ctor", "exact"),
    ("ctor_full_int", lambda T: T.full((2,), 3, requires_grad=True), RuntimeError, "requires_grad_ctor", "exact"),
    ("setter_int", lambda T: _set_requires_grad(T.tensor([1, 2]), True), RuntimeError, "requires_grad_setter", "exact"),
    ("setter_bool", lambda T: _set_requires_grad(T.tensor([True]), True), RuntimeError, "requires_grad_setter", "exact"),
    ("method_int", lambda T: T.tensor([1, 2]).requires_grad_(), RuntimeError, "requires_grad_method", "exact"),
    ("method_int_0d", lambda T: T.tensor(3).requires_grad_(True), RuntimeError, "requires_grad_method", "exact"),
    ("leaf_add_", lambda T: _leaf(T).add_(1), RuntimeError, "leaf_inplace", "exact"),
    ("leaf_mul_", lambda T: _leaf(T).mul_(2), RuntimeError, "leaf_inplace", "exact"),
    ("leaf_zero_", lambda T: _leaf(T).zero_(), RuntimeError, "leaf_inplace", "exact"),
    ("leaf_fill_", lambda T: _leaf(T).fill_(1.0), RuntimeError, "leaf_inplace", "exact"),
    ("view_of_leaf_add_", lambda T: _leaf(T)[0].add_(1), RuntimeError, "view_of_leaf_inplace", "exact"),
    ("view_of_leaf_sub_", lambda T: _leaf(T)[1:].sub_(1), RuntimeError, "view_of_leaf_inplace", "exact"),
    ("nonleaf_requires_grad_true", lambda T: _set_requires_grad(_leaf(T) * 2, True), RuntimeError, "nonleaf_requires_grad", "exact"),
    ("nonleaf_requires_grad_false", lambda T: _set_requires_grad(_leaf(T) * 2, False), RuntimeError, "nonleaf_requires_grad_false", "exact"),
    ("nonleaf_requires_grad_(False)", lambda T: (_leaf(T) * 2).requires_grad_(False), RuntimeError, "nonleaf_requires_grad_false", "exact"),
    ("numpy_requires_grad", lambda T: _leaf(T).numpy(), RuntimeError, "numpy_requires_grad", "exact"),
    ("numpy_non_leaf", lambda T: (_leaf(T) * 2).numpy(), RuntimeError, "numpy_requires_grad", "exact"),
    ("item_two_elements", lambda T: T.ones(2).item(), RuntimeError, "item_many", "exact"),
    ("detach_view_in_place", _view_detach_, RuntimeError, "detach_view", "prefix"),
    # shape errors: torch's words, numbers included
    ("broadcast_mismatch", lambda T: T.ones(2, 3) + T.ones(2), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1", "exact"),
    ("broadcast_mismatch_3d", lambda T: T.ones(2, 3) * T.ones(4, 1, 2), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 2", "exact"),
    ("inplace_broadcast_to_bigger", lambda T: T.ones(3).add_(T.ones(2, 3)), RuntimeError,
     "output with shape [3] doesn't match the broadcast shape [2, 3]", "exact"),
    ("view_bad_size", lambda T: T.ones(2, 3).view(4), RuntimeError,
     "shape '[4]' is invalid for input of size 6", "exact"),
    ("reshape_bad_size", lambda T: T.ones(2, 3).reshape(4), RuntimeError,
     "shape '[4]' is invalid for input of size 6", "exact"),
    ("view_of_non_contiguous", lambda T: T.zeros(2, 3).t().view(6), RuntimeError,
     "view size is not compatible with input tensor's size and stride (at least one dimension "
     "spans across two contiguous subspaces). Use .reshape(...) instead.", "exact"),
    ("expand_bad_size", lambda T: T.ones(2, 3).expand(3, 3), RuntimeError,
     "The expanded size of the tensor (3) must match the existing size (2) at non-singleton "
     "dimension 0.  Target sizes: [3, 3].  Tensor sizes: [2, 3]", "exact"),
    ("matmul_bad_shapes", lambda T: T.ones(2, 3) @ T.ones(2, 3), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)", "exact"),
]


def _check(err, exc_type, key, how):
    assert type(err) is exc_type
    text = str(err)
    expected = MSG.get(key, key)  # a key of MSG, or the text itself
    if how == "exact":
        assert text == expected
    elif how == "head":
        assert text.partition(":")[0] == expected
        assert "is at version 1; expected version 0 instead" in text.partition(":")[2]
    else:
        assert text.startswith(expected)


@pytest.mark.parametrize("case", ERRORS, ids=lambda c: c[0])
def test_engine_error_text(case):
    _, scenario, exc_type, key, how = case
    with pytest.raises(Exception) as info:
        scenario(engine)
    _check(info.value, exc_type, key, how)


@pytest.mark.oracle
@pytest.mark.parametrize("case", ERRORS, ids=lambda c: c[0])
def test_torch_gives_the_same_text(case, torch):
    _, scenario, exc_type, key, how = case
    with pytest.raises(Exception) as info:
        scenario(torch)
    _check(info.value, exc_type, key, how)


def test_item_text_counts_the_elements():
    with pytest.raises(RuntimeError) as err:
        engine.zeros(2, 3).item()
    assert str(err.value) == "a Tensor with 6 elements cannot be converted to Scalar"
