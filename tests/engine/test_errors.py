"""PyTorch's error texts, word for word.

Each scenario runs unchanged on the engine and (in the oracle test) on torch 2.13: the
exception type and text must equal conftest.MSG, so the texts are checked against torch
itself while the engine tests need no torch.
"""

from __future__ import annotations

import numpy as np
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


def _view_of_former_requiring_leaf(T):
    b = T.arange(6.0).requires_grad_()
    v = b.view(2, 3)
    b.requires_grad_(False)
    v.mul_(2)


def _view_before_requiring(T):
    b = T.arange(6.0)
    v = b[1:]
    b.requires_grad_()
    v.exp_()


def _leaf(T):
    return T.tensor([1.0, 2.0, 3.0], requires_grad=True)


def _hooked_backward(T, hook, leaf=True):
    x = T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True)
    z = x if leaf else x * 1
    z.register_hook(hook)
    (z * z).sum().backward()


def _set_grad(T, value):
    x = T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True)
    x.grad = value


def _three_ones(T):
    return lambda g: T.ones(3, dtype=T.float64)


def _asinh_in_place_backward(T):
    y = _leaf(T) * 2
    y.asinh_()
    y.sum().backward()


def _unused_grad(T, **kwargs):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    w = T.tensor([1.0, 2.0], requires_grad=True)
    return T.autograd.grad((x * x).sum(), [x, w], **kwargs)


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
    ("view_of_leaf_view_mul_", lambda T: T.arange(6.0).requires_grad_().view(2, 3).mul_(2),
     RuntimeError, "view_of_leaf_inplace", "exact"),
    # a view is checked as a view first: its base a leaf, requiring grad or not
    ("leaf_made_of_a_view_mul_", lambda T: T.arange(6.0)[1:].requires_grad_().mul_(2),
     RuntimeError, "view_of_leaf_inplace", "exact"),
    ("view_of_a_view_made_leaf_mul_", lambda T: T.arange(6.0)[1:].requires_grad_()[1:].mul_(2),
     RuntimeError, "view_of_leaf_inplace", "exact"),
    ("view_after_its_base_stopped_requiring_grad", _view_of_former_requiring_leaf, RuntimeError,
     "view_of_leaf_inplace", "exact"),
    ("view_made_before_its_base_required_grad", _view_before_requiring, RuntimeError,
     "view_of_leaf_inplace", "exact"),
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
    ("expand_two_bad_sizes", lambda T: T.ones(3, 1, 3).expand(2, 4, 2), RuntimeError,
     "The expanded size of the tensor (2) must match the existing size (3) at non-singleton "
     "dimension 2.  Target sizes: [2, 4, 2].  Tensor sizes: [3, 1, 3]", "exact"),
    ("matmul_bad_shapes", lambda T: T.ones(2, 3) @ T.ones(2, 3), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)", "exact"),
    # movement and indexing: dims out of range, bad sizes (the engine used to wrap or ignore)
    ("reshape_two_inferred", lambda T: T.ones(2, 3).reshape(-1, -1), RuntimeError,
     "only one dimension can be inferred", "exact"),
    ("reshape_negative", lambda T: T.ones(2, 3).view(-2, 3), RuntimeError,
     "invalid shape dimension -2 at index 0 of shape [-2, 3]", "exact"),
    ("reshape_ambiguous_empty", lambda T: T.ones(0, 3).reshape(0, -1), RuntimeError,
     "cannot reshape tensor of 0 elements into shape [0, -1] because the unspecified "
     "dimension size -1 can be any value and is ambiguous", "exact"),
    ("view_as_of_non_contiguous", lambda T: T.zeros(2, 3).t().view_as(T.zeros(6)), RuntimeError,
     "view size is not compatible with input tensor's size and stride (at least one dimension "
     "spans across two contiguous subspaces). Use .reshape(...) instead.", "exact"),
    ("flatten_dim_out_of_range", lambda T: T.ones(2, 3, 4).flatten(3), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 3)", "exact"),
    ("flatten_start_after_end", lambda T: T.ones(2, 3, 4).flatten(2, 1), RuntimeError,
     "flatten() has invalid args: start_dim cannot come after end_dim", "exact"),
    ("transpose_dim_out_of_range", lambda T: T.ones(2, 3, 4).transpose(0, 3), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 3)", "exact"),
    ("transpose_0d_dim_1", lambda T: T.tensor(1.0).transpose(0, 1), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)", "exact"),
    ("mT_of_1d", lambda T: T.ones(3).mT, RuntimeError,
     "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.", "exact"),
    ("permute_repeated_dim", lambda T: T.ones(2, 3, 4).permute(0, 0, 1), RuntimeError,
     "permute(): duplicate dims are not allowed.", "exact"),
    ("permute_dim_out_of_range", lambda T: T.ones(2, 3, 4).permute(0, 1, 3), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 3)", "exact"),
    ("permute_too_few_dims", lambda T: T.ones(2, 3, 4).permute(0, 1), RuntimeError,
     "permute(sparse_coo): number of dimensions in the tensor input does not match the length "
     "of the desired ordering of dimensions i.e. input.dim() = 3 is not equal to len(dims) = 2",
     "exact"),
    ("expand_new_dim_minus_1", lambda T: T.ones(3).expand(-1, 3), RuntimeError,
     "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension 0",
     "exact"),
    ("split_dim_out_of_range", lambda T: T.ones(5, 3).split(2, 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)", "exact"),
    ("split_size_0", lambda T: T.ones(5).split(0), RuntimeError,
     "split_size can only be 0 if dimension size is 0, but got dimension size of 5", "exact"),
    ("split_sizes_bad_sum", lambda T: T.ones(5).split([1, 3]), RuntimeError,
     "split_with_sizes expects split_sizes to sum exactly to 5 (input tensor's size at "
     "dimension 0), but got split_sizes=[1, 3]", "exact"),
    ("split_0d", lambda T: T.tensor(1.0).split(1), RuntimeError,
     "split expects at least a 1-dimensional tensor", "exact"),
    ("chunk_0", lambda T: T.ones(6).chunk(0), RuntimeError,
     "chunk expects `chunks` to be greater than 0, got: 0", "exact"),
    ("unbind_dim_out_of_range", lambda T: T.ones(2, 3).unbind(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)", "exact"),
    ("unbind_0d", lambda T: T.tensor(1.0).unbind(), IndexError,
     "Dimension specified as 0 but tensor has no dimensions", "exact"),
    ("index_second_dim_out_of_bounds", lambda T: T.ones(3, 4)[0, 4], IndexError,
     "index 4 is out of bounds for dimension 1 with size 4", "exact"),
    ("index_0d_with_int", lambda T: T.tensor(1.0)[0], IndexError,
     "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in "
     "C++ to convert a 0-dim tensor to a number", "exact"),
    ("index_slice_step_0", lambda T: T.ones(5)[::0], ValueError, "slice step cannot be zero",
     "exact"),
    ("index_float_tensor", lambda T: T.ones(3)[T.tensor([1.0])], IndexError,
     "tensors used as indices must be long, int, byte or bool tensors", "exact"),
    ("index_mask_wrong_shape", lambda T: T.ones(2, 3, 4)[:, T.tensor([True, False])], IndexError,
     "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor "
     "[2, 3, 4] at index 1", "exact"),
    ("index_list_out_of_bounds", lambda T: T.ones(3, 4)[[0, 3]], IndexError,
     "index 3 is out of bounds for dimension 0 with size 3", "exact"),
    ("index_arrays_not_broadcastable", lambda T: T.ones(2, 3, 4)[[0, 1], [0, 1, 2]], IndexError,
     "shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]",
     "exact"),
    ("cat_dim_out_of_range", lambda T: T.cat([T.ones(2, 3)] * 2, 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)", "exact"),
    ("cat_negative_dim_out_of_range", lambda T: T.cat([T.ones(2, 3)] * 2, -3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)", "exact"),
    ("cat_sizes_differ", lambda T: T.cat([T.ones(2, 3), T.ones(3, 3)], 1), RuntimeError,
     "Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 for "
     "tensor number 1 in the list.", "exact"),
    ("cat_dims_differ", lambda T: T.cat([T.ones(2, 3), T.ones(3)]), RuntimeError,
     "Tensors must have same number of dimensions: got 2 and 1", "exact"),
    ("cat_0d", lambda T: T.cat([T.tensor(1.0), T.tensor(2.0)]), RuntimeError,
     "zero-dimensional tensor (at position 0) cannot be concatenated", "exact"),
    ("stack_dim_out_of_range", lambda T: T.stack([T.ones(2, 3)] * 2, 3), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 3)", "exact"),
    ("matmul_batched_by_matrix", lambda T: T.ones(5, 2, 3) @ T.ones(4, 2), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (10x3 and 4x2)", "exact"),
    ("matmul_batched_by_vector", lambda T: T.ones(5, 2, 3) @ T.ones(4), RuntimeError,
     "size mismatch, got input (10), mat (10x3), vec (4)", "exact"),
    ("matmul_batched_inner_sizes", lambda T: T.ones(6, 5, 2, 3) @ T.ones(5, 4, 2), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be: [30, 3] but got: [30, 4].",
     "exact"),
    ("matmul_vector_by_batched", lambda T: T.ones(3) @ T.ones(5, 4, 2), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be: [5, 3] but got: [5, 4].",
     "exact"),
    ("matmul_batch_dims_differ", lambda T: T.ones(2, 5, 2, 3) @ T.ones(3, 3, 2), RuntimeError,
     "The size of tensor a (5) must match the size of tensor b (3) at non-singleton dimension 1",
     "exact"),
    ("setitem_out_of_bounds", lambda T: T.ones(3, 4).__setitem__(5, 1.0), IndexError,
     "index 5 is out of bounds for dimension 0 with size 3", "exact"),
    ("setitem_list_out_of_bounds", lambda T: T.ones(3, 4).__setitem__([0, 5], 1.0), IndexError,
     "index 5 is out of bounds for dimension 0 with size 3", "exact"),
    ("setitem_value_size", lambda T: T.ones(3, 4).__setitem__(0, T.ones(3)), RuntimeError,
     "The expanded size of the tensor (4) must match the existing size (3) at non-singleton "
     "dimension 0.  Target sizes: [4].  Tensor sizes: [3]", "exact"),
    ("setitem_value_size_recorded",
     lambda T: (T.ones(3, 4, requires_grad=True) * 1).__setitem__(
         (slice(0, 2), slice(1, 3)), T.ones(2, 3, requires_grad=True)), RuntimeError,
     "The expanded size of the tensor (2) must match the existing size (3) at non-singleton "
     "dimension 1.  Target sizes: [2, 2].  Tensor sizes: [2, 3]", "exact"),
    ("setitem_value_more_dims", lambda T: T.ones(3, 4).__setitem__(0, T.ones(2, 4)),
     RuntimeError, "expand(engine.FloatTensor{[2, 4]}, size=[4]): the number of sizes "
     "provided (1) must be greater or equal to the number of dimensions in the tensor (2)",
     "exact, library named"),
    ("setitem_index_value_shape", lambda T: T.ones(3, 4).__setitem__([0, 1], T.ones(3)),
     RuntimeError, "shape mismatch: value tensor of shape [3] cannot be broadcast to indexing "
     "result of shape [2, 4]", "exact"),
    # reductions and factories: PyTorch's errors where NumPy's leaked or NumPy went on
    ("argmax_bool", lambda T: T.tensor([True]).argmax(), RuntimeError, "argmax(): does not support bool input", "exact"),
    ("argmin_empty", lambda T: T.zeros(0).argmin(), IndexError,
     "argmin(): Expected reduction dim to be specified for input.numel() == 0.", "exact"),
    ("argmax_empty_dim", lambda T: T.zeros(0, 3).argmax(-2), IndexError,
     "argmax(): Expected reduction dim 0 to have non-zero size.", "exact"),
    ("argmax_dim_out_of_range", lambda T: T.ones(2, 3).argmax(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)", "exact"),
    ("max_empty_dim", lambda T: T.zeros(0, 3).max(0), IndexError,
     "max(): Expected reduction dim 0 to have non-zero size.", "exact"),
    ("min_empty_dim", lambda T: T.zeros(2, 0).min(-1), IndexError,
     "min(): Expected reduction dim 1 to have non-zero size.", "exact"),
    ("norm_of_ints", lambda T: T.tensor([3, 4]).norm(), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long", "exact"),
    ("norm_inf_of_empty", lambda T: T.zeros(0).norm(float("inf")), RuntimeError,
     "linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation "
     "does not have an identity", "exact"),
    ("norm_negative_of_empty_dim", lambda T: T.zeros(2, 0).norm(-1, dim=(0, -1)), RuntimeError,
     "linalg.vector_norm cannot compute the -1 norm on the dimension -1because this dimension "
     "is empty and the operation does not have an identity", "exact"),
    ("mean_int_dtype", lambda T: T.ones(2).mean(dtype=T.int64), RuntimeError,
     "mean(): could not infer output dtype. Optional dtype must be either a floating point or "
     "complex dtype. Got: Long", "exact"),
    ("tensor_ragged", lambda T: T.tensor([[1, 2], [3]]), ValueError,
     "expected sequence of length 2 at dim 1 (got 1)", "exact"),
    ("tensor_ragged_deep", lambda T: T.tensor([[[1.0], [2.0]], [[3.0], [4.0, 5.0]]]), ValueError,
     "expected sequence of length 1 at dim 2 (got 2)", "exact"),
    ("tensor_none", lambda T: T.tensor(None), RuntimeError, "Could not infer dtype of NoneType", "exact"),
    ("tensor_int_overflow", lambda T: T.tensor([1, 2**63]), ValueError, "Overflow when unpacking long long", "exact"),
    ("arange_zero_step", lambda T: T.arange(0, 3, 0), RuntimeError, "step must be nonzero", "exact"),
    ("arange_wrong_sign", lambda T: T.arange(0.0, 3.0, -0.5), RuntimeError,
     "upper bound and lower bound inconsistent with step sign", "exact"),
    ("linspace_negative_steps", lambda T: T.linspace(0, 1, -1), RuntimeError,
     "number of steps must be non-negative", "exact"),
    ("eye_negative", lambda T: T.eye(2, -1), RuntimeError, "m must be greater or equal to 0, got -1", "exact"),
    ("zeros_negative", lambda T: T.zeros(2, -1), RuntimeError, "zeros: Dimension size must be non-negative.", "exact"),
    ("ones_negative", lambda T: T.ones(2, -1), RuntimeError,
     "Trying to create tensor with negative dimension -1: [2, -1]", "exact"),
    ("rand_int", lambda T: T.rand(2, dtype=T.int64), NotImplementedError,
     "\"check_uniform_bounds\" not implemented for 'Long'", "exact"),
    ("randn_like_int", lambda T: T.randn_like(T.tensor([1, 2])), NotImplementedError,
     "\"normal_kernel_cpu\" not implemented for 'Long'", "exact"),
    ("randint_empty_range", lambda T: T.randint(3, 2, (2,)), RuntimeError,
     "random_ expects 'from' to be less than 'to', but got from=3 >= to=2", "exact"),
    ("stack_negative_dim_out_of_range", lambda T: T.stack([T.ones(2, 3)] * 2, -4), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got -4)", "exact"),
    # elementwise ops: the engine gave NumPy's errors, or silent zeros
    ("new_zeros_negative", lambda T: T.ones(2).new_zeros(2, -1), RuntimeError,
     "Trying to create tensor with negative dimension -1: [2, -1]", "exact"),
    ("amax_empty_dim", lambda T: T.ones(0, 3).amax(0), IndexError,
     "amax(): Expected reduction dim 0 to have non-zero size.", "exact"),
    ("amin_empty_all", lambda T: T.ones(0, 3).amin(), RuntimeError,
     "amin(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
     "reduction dim with the 'dim' argument.", "exact"),
    ("amax_repeated_dim", lambda T: T.ones(2, 3).amax((0, -2)), RuntimeError,
     "dim 0 appears multiple times in the list of dims", "exact"),
    ("flip_repeated_dim", lambda T: T.ones(2, 3).flip(0, -2), RuntimeError,
     "dim 0 appears multiple times in the list of dims", "exact"),
    ("flip_dim_range", lambda T: T.ones(2, 3).flip(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)", "exact"),
    ("cumsum_dim_range", lambda T: T.ones(2, 3).cumsum(-3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)", "exact"),
    # prod takes one int dim (no list, no keepdim without it), cumprod requires its dim; an
    # integer dtype for an input that requires grad is refused
    ("prod_dim_range", lambda T: T.ones(2, 3).prod(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)", "exact"),
    ("prod_0d_dim_range", lambda T: T.tensor(2.0).prod(-2), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got -2)", "exact"),
    ("prod_dims_tuple", lambda T: T.ones(2, 3).prod((0, 1)), TypeError,
     "prod() received an invalid combination of arguments - got (tuple), but expected one of:\n"
     " * (*, engine.dtype dtype = None)\n"
     " * (int dim, bool keepdim = False, *, engine.dtype dtype = None)\n", "exact, library named"),
    ("prod_dims_list", lambda T: T.ones(2, 3).prod([0]), TypeError,
     "prod() received an invalid combination of arguments - got (list), but expected one of:\n"
     " * (*, engine.dtype dtype = None)\n"
     " * (int dim, bool keepdim = False, *, engine.dtype dtype = None)\n", "exact, library named"),
    ("prod_dims_tuple_keepdim", lambda T: T.ones(2, 3).prod((0, 1), keepdim=True), TypeError,
     "prod(): argument 'dim' (position 1) must be int, not tuple", "exact"),
    ("prod_keepdim_without_dim", lambda T: T.ones(2, 3).prod(keepdim=True), TypeError,
     "prod() received an invalid combination of arguments - got (keepdim=bool, ), but expected "
     "one of:\n * (*, engine.dtype dtype = None)\n"
     " * (int dim, bool keepdim = False, *, engine.dtype dtype = None)\n", "exact, library named"),
    ("prod_int_dtype_requires_grad", lambda T: _leaf(T).prod(dtype=T.int64), RuntimeError,
     "Autograd not support dtype: Long", "exact"),
    ("prod_dim_bool_dtype_requires_grad", lambda T: _leaf(T).prod(0, dtype=T.bool),
     RuntimeError, "Autograd not support dtype: Bool", "exact"),
    ("sum_int_dtype_requires_grad", lambda T: _leaf(T).sum(dtype=T.int64), RuntimeError,
     "Autograd not support dtype: Long", "exact"),
    ("sum_dim_bool_dtype_requires_grad", lambda T: T.sum(_leaf(T), 0, dtype=T.bool),
     RuntimeError, "Autograd not support dtype: Bool", "exact"),
    ("cumsum_int_dtype_requires_grad", lambda T: _leaf(T).cumsum(0, dtype=T.int32),
     RuntimeError, "Autograd not support dtype: Int", "exact"),
    ("cumprod_dim_range", lambda T: T.ones(2, 3).cumprod(-3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)", "exact"),
    ("cumprod_0d_dim_range", lambda T: T.tensor(2.0).cumprod(1), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)", "exact"),
    ("cumprod_no_dim", lambda T: T.ones(2, 3).cumprod(), TypeError,
     'cumprod() missing 1 required positional arguments: "dim"', "exact"),
    ("lib.cumprod_no_dim", lambda T: T.cumprod(T.ones(3)), TypeError,
     'cumprod() missing 1 required positional arguments: "dim"', "exact"),
    ("cumprod_dims_tuple", lambda T: T.ones(2, 3).cumprod((0, 1)), TypeError,
     "cumprod(): argument 'dim' (position 1) must be int, not tuple", "exact"),
    ("cumprod_int_dtype_requires_grad", lambda T: _leaf(T).cumprod(0, dtype=T.int32),
     RuntimeError, "Autograd not support dtype: Int", "exact"),
    ("cumprod_bool_dtype", lambda T: T.tensor([1.0, 0.0]).cumprod(0, dtype=T.bool),
     NotImplementedError, "\"cumprod_out_cpu\" not implemented for 'Bool'", "exact"),
    # roll, repeat, movedim
    ("roll_shifts_dims_align", lambda T: T.ones(2, 3).roll((1, 2), 0), RuntimeError,
     "shifts and dimensions must align. shifts: 2, dims:1", "exact"),
    ("roll_flat_two_shifts", lambda T: T.ones(2, 3).roll((1, 2)), RuntimeError,
     "shifts and dimensions must align. shifts: 2, dims:0", "exact"),
    ("roll_no_shifts", lambda T: T.ones(2, 3).roll(()), RuntimeError, "`shifts` required", "exact"),
    ("roll_dim_range", lambda T: T.ones(2, 3).roll(1, 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)", "exact"),
    ("roll_0d_dim", lambda T: T.tensor(1.0).roll(1, -1), IndexError,  # not dim 0 or -1, as most
     "Dimension specified as -1 but tensor has no dimensions", "exact"),
    ("roll_float_shift", lambda T: T.ones(2, 3).roll(1.5, 0), TypeError,
     "roll(): argument 'shifts' (position 1) must be tuple of ints, not float", "exact"),
    ("repeat_fewer_sizes_than_dims", lambda T: T.ones(2, 3).repeat(2), RuntimeError,
     "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor",
     "exact"),
    ("repeat_negative", lambda T: T.ones(2, 3).repeat(1, 1, -1), RuntimeError,
     "Trying to create tensor with negative dimension -3: [1, 2, -3]", "exact"),
    ("repeat_no_sizes", lambda T: T.ones(2, 3).repeat(), TypeError,
     'repeat() missing 1 required positional arguments: "repeats"', "exact"),
    ("movedim_lengths", lambda T: T.ones(2, 3, 4).movedim((0, 1), (2,)), RuntimeError,
     "movedim: Invalid source or destination dims: source ([0, 1] dims) should contain the same "
     "number of dims as destination ([2] dims)", "exact"),
    ("movedim_repeated_source", lambda T: T.ones(2, 3, 4).movedim((0, -3), (1, 2)), RuntimeError,
     "movedim: repeated dim in `source` ([0, -3])", "exact"),
    ("moveaxis_repeated_destination", lambda T: T.ones(2, 3, 4).moveaxis((0, 1), (2, 2)),
     RuntimeError, "movedim: repeated dim in `destination` ([2, 2])", "exact"),
    ("movedim_dim_range", lambda T: T.ones(2, 3, 4).movedim(0, 3), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 3)", "exact"),
    # gather and scatter (torch 2.13 takes int32 indices too)
    ("gather_float_index", lambda T: T.ones(2, 3).gather(1, T.tensor([[0.0]])), RuntimeError,
     "gather(): Expected dtype int32/int64 for index", "exact"),
    ("gather_index_dims", lambda T: T.ones(2, 3).gather(1, T.tensor([0, 1])), RuntimeError,
     "Index tensor must have the same number of dimensions as input tensor", "exact"),
    ("gather_index_larger", lambda T: T.ones(2, 3).gather(1, T.tensor([[0], [1], [0]])),
     RuntimeError, "Size does not match at dimension 0 expected index [3, 1] to be no larger "
     "than self [2, 3] apart from dimension 1", "exact"),
    ("gather_index_out_of_bounds", lambda T: T.ones(2, 3).gather(1, T.tensor([[0, 3]])),
     RuntimeError, "index 3 is out of bounds for dimension 1 with size 3", "exact"),
    ("gather_negative_index", lambda T: T.ones(2, 3).gather(-1, T.tensor([[0], [-1]])),
     RuntimeError, "index -1 is out of bounds for dimension 1 with size 3", "exact"),
    ("gather_dim_range", lambda T: T.ones(2, 3).gather(2, T.tensor([[0]])), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)", "exact"),
    ("gather_list_index", lambda T: T.ones(2, 3).gather(1, [[0]]), TypeError,
     "gather(): argument 'index' (position 2) must be Tensor, not list", "exact"),
    ("scatter_float_index", lambda T: T.ones(2, 3).scatter(1, T.tensor([[0.0]]), 1.0),
     RuntimeError, "scatter(): Expected dtype int32/int64 for index", "exact"),
    ("scatter_src_dtype", lambda T: T.ones(2, 3).scatter(1, T.tensor([[0]]), T.ones(
        1, 1, dtype=T.float64)), RuntimeError,
     "scatter(): Expected self.dtype to be equal to src.dtype", "exact"),
    ("scatter_index_dims", lambda T: T.ones(2, 3).scatter(1, T.tensor([0, 1]), 1.0),
     RuntimeError, "Index tensor must have the same number of dimensions as self tensor", "exact"),
    ("scatter_src_dims", lambda T: T.ones(2, 3).scatter(1, T.tensor([[0]]), T.ones(1, 1, 1)),
     RuntimeError, "Index tensor must have the same number of dimensions as src tensor", "exact"),
    # torch reads src's sizes at index's dims first: a src of fewer dims fails on that read
    ("scatter_src_fewer_dims", lambda T: T.ones(2, 3).scatter(1, T.tensor([[0, 1]]), T.ones(2)),
     IndexError, "Dimension out of range (expected to be in range of [-1, 0], but got 1)", "exact"),
    ("scatter_index_larger_than_src", lambda T: T.ones(2, 3).scatter(1, T.tensor([[0, 1]]), T.ones(
        1, 1)), RuntimeError, "Expected index [1, 2] to be no larger than self [2, 3] apart from "
     "dimension 1 and to be no larger size than src [1, 1]", "exact"),
    ("scatter_value_index_larger", lambda T: T.ones(2, 3).scatter(0, T.tensor([[0, 1, 0, 1]]), 1.0),
     RuntimeError, "Expected index [1, 4] to be no larger than self [2, 3] apart from dimension 0",
     "exact"),
    ("scatter_index_out_of_bounds", lambda T: T.ones(2, 3).scatter(0, T.tensor([[2]]), 1.0),
     RuntimeError, "index 2 is out of bounds for dimension 0 with size 2", "exact"),
    # src larger than index: src's gradient (g gathered at index) has index's shape, which
    # torch's engine refuses; the engine's check gives the same error
    ("scatter_src_larger_backward", lambda T: T.ones(2, 3, requires_grad=True).scatter(
        1, T.tensor([[0], [2]]), T.ones(2, 3, requires_grad=True)).sum().backward(), RuntimeError,
     "Function ScatterBackward0 returned an invalid gradient at index 1 - got [2, 1] but expected "
     "shape compatible with [2, 3]", "exact"),
    ("scatter__leaf", lambda T: _leaf(T).scatter_(0, T.tensor([0]), 1.0), RuntimeError,
     "leaf_inplace", "exact"),
    # scatter_add: scatter's checks and texts ("scatter():" in them), its own name for types
    ("scatter_add_dim_range", lambda T: T.ones(2, 3).scatter_add(2, T.tensor([[0]]), T.ones(1, 1)),
     IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)", "exact"),
    ("scatter_add_float_index", lambda T: T.ones(2, 3).scatter_add(1, T.tensor([[0.0]]), T.ones(
        1, 1)), RuntimeError, "scatter(): Expected dtype int32/int64 for index", "exact"),
    ("scatter_add_int16_index", lambda T: T.ones(2, 3).scatter_add(1, T.tensor([[0]], dtype=T.int16),
     T.ones(1, 1)), RuntimeError, "scatter(): Expected dtype int32/int64 for index", "exact"),
    ("scatter_add_list_index", lambda T: T.ones(2, 3).scatter_add(1, [[0]], T.ones(1, 1)), TypeError,
     "scatter_add(): argument 'index' (position 2) must be Tensor, not list", "exact"),
    ("scatter_add_number_src", lambda T: T.ones(2, 3).scatter_add(1, T.tensor([[0]]), 1.0),
     TypeError, "scatter_add(): argument 'src' (position 3) must be Tensor, not float", "exact"),
    ("scatter_add_src_dtype", lambda T: T.ones(2, 3).scatter_add(1, T.tensor([[0]]), T.ones(
        1, 1, dtype=T.float64)), RuntimeError,
     "scatter(): Expected self.dtype to be equal to src.dtype", "exact"),
    ("scatter_add_index_dims", lambda T: T.ones(2, 3).scatter_add(1, T.tensor([0]), T.ones(1)),
     RuntimeError, "Index tensor must have the same number of dimensions as self tensor", "exact"),
    ("scatter_add_src_fewer_dims", lambda T: T.ones(2, 3).scatter_add(0, T.tensor([[0]]), T.ones(2)),
     IndexError, "Dimension out of range (expected to be in range of [-1, 0], but got 1)", "exact"),
    ("scatter_add_index_larger", lambda T: T.ones(2, 3).scatter_add(0, T.zeros(1, 4, dtype=T.int64),
     T.ones(1, 4)), RuntimeError, "Expected index [1, 4] to be no larger than self [2, 3] apart "
     "from dimension 0 and to be no larger size than src [1, 4]", "exact"),
    ("scatter_add_index_larger_than_src", lambda T: T.ones(2, 3).scatter_add(
        0, T.zeros(2, 2, dtype=T.int64), T.ones(1, 2)), RuntimeError, "Expected index [2, 2] to be "
     "no larger than self [2, 3] apart from dimension 0 and to be no larger size than src [1, 2]",
     "exact"),
    ("scatter_add_index_out_of_bounds", lambda T: T.ones(2, 3).scatter_add(0, T.tensor([[2]]),
     T.ones(1, 1)), RuntimeError, "index 2 is out of bounds for dimension 0 with size 2", "exact"),
    ("scatter_add_src_larger_backward", lambda T: T.ones(2, 3, requires_grad=True).scatter_add(
        1, T.tensor([[0], [2]]), T.ones(2, 3, requires_grad=True)).sum().backward(), RuntimeError,
     "Function ScatterAddBackward0 returned an invalid gradient at index 1 - got [2, 1] but "
     "expected shape compatible with [2, 3]", "exact"),
    ("scatter_add__leaf", lambda T: _leaf(T).scatter_add_(0, T.tensor([0]), T.ones(1)),
     RuntimeError, "leaf_inplace", "exact"),
    # index_add: torch's texts say "index_add_():" out of place too. Its TypeError for alpha
    # given by position is not matched: Python's own text counts self (4 arguments, not 3)
    ("index_add_dim_range", lambda T: T.ones(2, 3).index_add(-3, T.tensor([0]), T.ones(1, 3)),
     IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got -3)",
     "exact"),
    ("index_add_list_index", lambda T: T.ones(2, 3).index_add(0, [0], T.ones(1, 3)), TypeError,
     "index_add(): argument 'index' (position 2) must be Tensor, not list", "exact"),
    ("index_add_number_source", lambda T: T.ones(2, 3).index_add(0, T.tensor([0]), 1.0),
     TypeError, "index_add(): argument 'source' (position 3) must be Tensor, not float", "exact"),
    ("index_add_index_2d", lambda T: T.ones(2, 3).index_add(0, T.tensor([[0.0]]), T.ones(1, 3)),
     IndexError, "index_add_(): Index is supposed to be a vector, but got dim: 2 with type: Float "
     "and size: [1, 1]", "exact"),
    ("index_add_float_index", lambda T: T.ones(2, 3).index_add(0, T.tensor([0.0]), T.ones(1, 3)),
     RuntimeError, "index_add_(): Expected dtype int32/int64 for index but got: Float", "exact"),
    ("index_add_int16_index", lambda T: T.ones(2, 3).index_add(0, T.tensor([0], dtype=T.int16),
     T.ones(1, 3)), RuntimeError, "index_add_(): Expected dtype int32/int64 for index but got: "
     "Short", "exact"),
    ("index_add_source_dtype", lambda T: T.ones(2, 3).index_add(0, T.tensor([0]), T.ones(
        1, 3, dtype=T.float64)), RuntimeError,
     "index_add_(): self (Float) and source (Double) must have the same scalar type", "exact"),
    ("index_add_dim_past_source", lambda T: T.ones(2, 3).index_add(1, T.tensor([0, 1, 2]), T.ones(3)),
     RuntimeError, "index_add_(): Indexing dim 1 is out of bounds of the source tensor with dim 1",
     "exact"),
    ("index_add_count", lambda T: T.ones(3, 4).index_add(-2, T.tensor([0, 2, 0]), T.ones(2, 4)),
     RuntimeError, "index_add_(): Number of indices (3) should be equal to source.size(dim): (2), "
     "for dim: 0", "exact"),
    ("index_add_count_0d_source", lambda T: T.ones(3).index_add(0, T.tensor([0, 1]), T.tensor(1.0)),
     IndexError, "Dimension specified as 0 but tensor has no dimensions", "exact"),
    ("index_add_source_shape", lambda T: T.ones(3, 4).index_add(0, T.tensor([0, 1]), T.ones(2, 5)),
     RuntimeError, "source tensor shape must match self tensor shape, excluding the specified "
     "dimension. Got self.shape = [3, 4] source.shape = [2, 5]", "exact"),
    ("index_add_source_more_dims", lambda T: T.ones(3, 4).index_add(0, T.tensor([0]), T.ones(
        1, 4, 1)), RuntimeError, "source tensor shape must match self tensor shape, excluding the "
     "specified dimension. Got self.shape = [3, 4] source.shape = [1, 4, 1]", "exact"),
    ("index_add_0d_source_into_1d", lambda T: T.ones(3).index_add(0, T.tensor(1), T.tensor(2.0)),
     RuntimeError, "source tensor shape must match self tensor shape, excluding the specified "
     "dimension. Got self.shape = [3] source.shape = []", "exact"),
    ("index_add_out_of_bounds", lambda T: T.ones(3, 4).index_add(0, T.tensor([0, 3]), T.ones(2, 4)),
     RuntimeError, "index 3 is out of bounds for dimension 0 with size 3", "exact"),
    ("index_add_negative_index", lambda T: T.ones(3, 4).index_add(1, T.tensor([-1]), T.ones(3, 1)),
     RuntimeError, "index -1 is out of bounds for dimension 1 with size 4", "exact"),
    ("index_add__leaf", lambda T: _leaf(T).index_add_(0, T.tensor([0]), T.ones(1)), RuntimeError,
     "leaf_inplace", "exact"),
    ("index_add__view_of_leaf", lambda T: _leaf(T)[1:].index_add_(0, T.tensor([0]), T.ones(1)),
     RuntimeError, "view_of_leaf_inplace", "exact"),
    # triangles, diagonals, quarter turns
    ("tril_1d", lambda T: T.ones(3).tril(), RuntimeError,
     "tril: input tensor must have at least 2 dimensions", "exact"),
    ("triu_0d", lambda T: T.tensor(1.0).triu(), RuntimeError,
     "triu: input tensor must have at least 2 dimensions", "exact"),
    ("diag_3d", lambda T: T.ones(2, 2, 2).diag(), RuntimeError,
     "diag(): Supports 1D or 2D tensors. Got 3D", "exact"),
    ("diag_0d", lambda T: T.diag(T.tensor(1.0)), RuntimeError,
     "diag(): Supports 1D or 2D tensors. Got 0D", "exact"),
    ("diagonal_same_dims", lambda T: T.ones(2, 3).diagonal(0, 1, -1), RuntimeError,
     "diagonal dimensions cannot be identical 1, -1", "exact"),
    ("diagonal_dim_range", lambda T: T.ones(2, 3).diagonal(0, 0, 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)", "exact"),
    ("trace_1d", lambda T: T.ones(3).trace(), RuntimeError,
     "trace: expected a matrix, but got tensor with dim 1", "exact"),
    ("trace_3d", lambda T: T.trace(T.ones(2, 2, 2)), RuntimeError,
     "trace: expected a matrix, but got tensor with dim 3", "exact"),
    ("rot90_one_dim", lambda T: T.ones(2, 3).rot90(1, [0]), RuntimeError,
     "expected total rotation dims == 2, but got dims = 1", "exact"),
    ("rot90_1d", lambda T: T.ones(3).rot90(), RuntimeError,
     "expected total dims >= 2, but got total dims = 1", "exact"),
    ("rot90_same_dims", lambda T: T.ones(2, 3).rot90(1, [0, -2]), RuntimeError,
     "expected rotation dims to be different, but got dim0 = 0 and dim1 = -2", "exact"),
    ("rot90_dim_range", lambda T: T.ones(2, 3).rot90(1, [0, 2]), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)", "exact"),
    # products
    ("outer_2d", lambda T: T.outer(T.ones(2, 2), T.ones(2)), RuntimeError,
     "outer: Expected 1-D argument self, but got 2-D", "exact"),
    ("ger_0d", lambda T: T.ones(2).ger(T.tensor(1.0)), RuntimeError,
     "outer: Expected 1-D argument vec2, but got 0-D", "exact"),
    ("inner_sizes", lambda T: T.inner(T.ones(2, 3), T.ones(4)), RuntimeError,
     "inner() the last dimension must match on both input tensors but got shapes [2, 3] and [4]",
     "exact"),
    ("addmm_1d", lambda T: T.addmm(T.ones(2, 2), T.ones(3), T.ones(3, 2)), RuntimeError,
     "mat1 must be a matrix, got 1-D tensor", "exact"),
    ("addmm_mat2_1d", lambda T: T.addmm(T.ones(2, 2), T.ones(2, 3), T.ones(3)), RuntimeError,
     "mat2 must be a matrix, got 1-D tensor", "exact"),
    ("addmm_shapes", lambda T: T.addmm(T.ones(2, 2), T.ones(2, 3), T.ones(2, 2)), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x2)", "exact"),
    ("addmm_input_dtype", lambda T: T.addmm(T.ones(2, 2, dtype=T.float64), T.ones(2, 3),
                                            T.ones(3, 2)), RuntimeError,
     "self and mat2 must have the same dtype, but got Double and Float", "exact"),
    ("addmm_mat1_dtype", lambda T: T.addmm(T.ones(2, 2), T.ones(2, 3, dtype=T.float64),
                                           T.ones(3, 2)), RuntimeError,
     "mat1 and mat2 must have the same dtype, but got Double and Float", "exact"),
    ("addmm_input_shape", lambda T: T.addmm(T.ones(3, 3), T.ones(2, 3), T.ones(3, 2)),
     RuntimeError, "The expanded size of the tensor (2) must match the existing size (3) at "
     "non-singleton dimension 1.  Target sizes: [2, 2].  Tensor sizes: [3, 3]", "exact"),
    ("addmm_input_3d", lambda T: T.ones(1, 2, 2).addmm(T.ones(2, 3), T.ones(3, 2)), RuntimeError,
     "expand(engine.FloatTensor{[1, 2, 2]}, size=[2, 2]): the number of sizes provided (2) must "
     "be greater or equal to the number of dimensions in the tensor (3)", "exact, library named"),
    ("addmv_dims", lambda T: T.addmv(T.ones(2), T.ones(2, 3), T.ones(3, 1)), RuntimeError,
     "vector + matrix @ vector expected, got 1, 2, 2", "exact"),
    ("addmv_input_2d", lambda T: T.addmv(T.ones(1, 2), T.ones(2, 3), T.ones(3)), RuntimeError,
     "vector + matrix @ vector expected, got 2, 2, 1", "exact"),
    ("addmv_sizes", lambda T: T.addmv(T.ones(2), T.ones(2, 3), T.ones(2)), RuntimeError,
     "size mismatch, got input (2), mat (2x3), vec (2)", "exact"),
    ("addmv_input_size", lambda T: T.ones(3).addmv(T.ones(2, 3), T.ones(3)), RuntimeError,
     "size mismatch, got input (3), mat (2x3), vec (3)", "exact"),
    ("addmv_dtype", lambda T: T.addmv(T.ones(2), T.ones(2, 3), T.ones(3, dtype=T.float64)),
     RuntimeError, "addmv input tensors must have the same dtype, but got Float, Float, and "
     "Double", "exact"),
    ("baddbmm_batch_sizes", lambda T: T.baddbmm(T.ones(2, 2, 2), T.ones(2, 2, 3), T.ones(3, 3, 2)),
     RuntimeError, "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but "
     "got: [3, 3].", "exact"),
    ("baddbmm_inner_sizes", lambda T: T.baddbmm(T.ones(2, 2, 2), T.ones(2, 2, 3), T.ones(2, 2, 2)),
     RuntimeError, "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but "
     "got: [2, 2].", "exact"),
    ("baddbmm_input_shape", lambda T: T.baddbmm(T.ones(2, 3, 2), T.ones(2, 2, 3), T.ones(2, 3, 2)),
     RuntimeError, "The expanded size of the tensor (2) must match the existing size (3) at "
     "non-singleton dimension 1.  Target sizes: [2, 2, 2].  Tensor sizes: [2, 3, 2]", "exact"),
    ("baddbmm_batch2_2d", lambda T: T.baddbmm(T.ones(2, 2, 2), T.ones(2, 2, 3), T.ones(3, 2)),
     IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
     "exact"),
    ("baddbmm_input_dtype", lambda T: T.baddbmm(T.ones(2, 2, 2, dtype=T.float64),
                                                T.ones(2, 2, 3), T.ones(2, 3, 2)), RuntimeError,
     "Input dtypes must be the same, got: input double, batch1: float, batch2: float", "exact"),
    ("baddbmm_batch_dtype", lambda T: T.baddbmm(T.ones(2, 2, 2), T.ones(2, 2, 3),
                                                T.ones(2, 3, 2, dtype=T.float64)), RuntimeError,
     "expected scalar type Float but found Double", "exact"),
    ("cross_not_3", lambda T: T.cross(T.ones(2, 4), T.ones(2, 4), dim=1), RuntimeError,
     "linalg.cross: inputs dimension 1 must have length 3. Got 4 and 4", "exact"),
    ("cross_dims_differ", lambda T: T.ones(2, 3).cross(T.ones(3), dim=1), RuntimeError,
     "linalg.cross: inputs must have the same number of dimensions.", "exact"),
    ("cross_broadcast", lambda T: T.cross(T.ones(2, 3), T.ones(4, 3), dim=1), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (4) at non-singleton dimension 0",
     "exact"),
    ("cross_dtype", lambda T: T.cross(T.ones(3), T.ones(3, dtype=T.float64), dim=0), RuntimeError,
     "expected scalar type Float but found Double", "exact"),
    ("einsum_sizes", lambda T: T.einsum("ij,jk->ik", T.ones(2, 3), T.ones(4, 2)), RuntimeError,
     "einsum(): subscript j has size 4 for operand 1 which does not broadcast with previously "
     "seen size 3", "exact"),
    ("einsum_too_few_operands", lambda T: T.einsum("ij,jk->ik", T.ones(2, 3)), RuntimeError,
     "einsum(): fewer operands were provided than specified in the equation", "exact"),
    ("einsum_too_many_operands", lambda T: T.einsum("ij->i", T.ones(2, 3), T.ones(3)),
     RuntimeError, "einsum(): more operands were provided than specified in the equation",
     "exact"),
    ("einsum_subscript_count", lambda T: T.einsum("ijk->i", T.ones(2, 3)), RuntimeError,
     "einsum(): the number of subscripts in the equation (3) does not match the number of "
     "dimensions (2) for operand 0 and no ellipsis was given", "exact"),
    ("einsum_output_repeated", lambda T: T.einsum("ij->ii", T.ones(2, 2)), RuntimeError,
     "einsum(): output subscript i appears more than once in the output", "exact"),
    ("einsum_output_unknown", lambda T: T.einsum("ij->k", T.ones(2, 2)), RuntimeError,
     "einsum(): output subscript k does not appear in the equation for any input operand",
     "exact"),
    ("einsum_dtypes", lambda T: T.einsum("i,i->", T.ones(3, dtype=T.float64), T.ones(3)),
     RuntimeError, "expected scalar type Double but found Float", "exact"),
    # reductions with two results, sorting, running extremes
    ("var_mean_int", lambda T: T.var_mean(T.ones(3, dtype=T.int64)), RuntimeError,
     "var_mean only support floating point and complex dtypes", "exact"),
    ("std_mean_int", lambda T: T.std_mean(T.ones(3, dtype=T.int64)), RuntimeError,
     "std_mean only support floating point and complex dtypes", "exact"),
    ("count_nonzero_repeated_dim", lambda T: T.ones(2, 3).count_nonzero((0, -2)), RuntimeError,
     "dim 0 appears multiple times in the list of dims", "exact"),
    ("aminmax_empty", lambda T: T.ones(0, 3).aminmax(), RuntimeError,
     "aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
     "identity.", "exact"),
    ("aminmax_empty_dim", lambda T: T.ones(0, 3).aminmax(dim=0), IndexError,
     "aminmax: Expected reduction dim 0 to have non-zero size.", "exact"),
    ("cummax_dim_range", lambda T: T.ones(2, 3).cummax(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)", "exact"),
    ("sort_dim_range", lambda T: T.ones(2, 3).sort(-3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)", "exact"),
    ("topk_k_too_large", lambda T: T.ones(2, 3).topk(4), RuntimeError,
     "selected index k out of range", "exact"),
    ("topk_k_negative", lambda T: T.ones(2, 3).topk(-1, 0), RuntimeError,
     "selected index k out of range", "exact"),
    ("topk_bool", lambda T: T.tensor([True, False]).topk(1), RuntimeError,
     "topk does not support bool dtypes on CPU", "exact"),
    ("kthvalue_k_too_large", lambda T: T.ones(2, 3).kthvalue(4), RuntimeError,
     "kthvalue(): selected number k out of range for dimension 1", "exact"),
    ("kthvalue_k_0", lambda T: T.ones(2, 3).kthvalue(0, 0), RuntimeError,
     "kthvalue(): selected number k out of range for dimension 0", "exact"),
    ("kthvalue_empty", lambda T: T.ones(0).kthvalue(1), IndexError,
     "kthvalue(): Expected reduction dim 0 to have non-zero size.", "exact"),
    # selecting
    ("index_select_2d_index", lambda T: T.ones(2, 3).index_select(0, T.tensor([[0]])), IndexError,
     "index_select(): Index is supposed to be a vector", "exact"),
    ("index_select_float_index", lambda T: T.ones(2, 3).index_select(0, T.tensor([0.0])),
     RuntimeError, "index_select(): Expected dtype int32 or int64 for index", "exact"),
    ("index_select_list", lambda T: T.ones(2, 3).index_select(1, [0]), TypeError,
     "index_select(): argument 'index' (position 2) must be Tensor, not list", "exact"),
    ("index_select_out_of_bounds", lambda T: T.ones(2, 3).index_select(1, T.tensor([0, 3])),
     RuntimeError, "INDICES element is out of DATA bounds, id=3 axis_dim=3", "exact"),
    ("index_select_negative", lambda T: T.ones(2, 3).index_select(1, T.tensor([-1])),
     RuntimeError, "INDICES element is out of DATA bounds, id=-1 axis_dim=3", "exact"),
    ("index_select_1d_out_of_bounds", lambda T: T.ones(3).index_select(0, T.tensor([3])),
     IndexError, "index out of range in self", "exact"),
    ("index_select_0d_several", lambda T: T.tensor(1.0).index_select(0, T.tensor([0, 0])),
     RuntimeError, "index_select(): Index to scalar can have only 1 value, got 2 value(s)",
     "exact"),
    ("take_out_of_bounds", lambda T: T.ones(2, 3).take(T.tensor([6])), IndexError,
     "out of range: tried to access index 6 on a tensor of 6 elements.", "exact"),
    ("take_negative_out_of_bounds", lambda T: T.ones(2, 3).take(T.tensor([0, -7])), IndexError,
     "out of range: tried to access index -7 on a tensor of 6 elements.", "exact"),
    ("take_int32_index", lambda T: T.ones(2, 3).take(T.tensor([0], dtype=T.int32)), RuntimeError,
     "take(): Expected a long tensor for index, but got Int", "exact"),
    ("take_list", lambda T: T.ones(2, 3).take([0]), TypeError,
     "take(): argument 'index' (position 1) must be Tensor, not list", "exact"),
    ("take_along_dim_dims", lambda T: T.ones(2, 3).take_along_dim(T.tensor([0]), 1),
     RuntimeError, "torch.take_along_dim(): input and indices should have the same number of "
     "dimensions, but got 2 dimensions for input, and 1 dimensions for indices", "exact"),
    ("take_along_dim_float", lambda T: T.ones(2, 3).take_along_dim(T.tensor([[0.0]]), 1),
     RuntimeError, "torch.take_along_dim(): dtype of indices should be Long but got Float",
     "exact"),
    ("take_along_dim_broadcast", lambda T: T.ones(2, 3).take_along_dim(
        T.tensor([[0], [1], [1]]), 1), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0",
     "exact"),
    ("masked_select_float_mask", lambda T: T.ones(2, 3).masked_select(T.ones(2, 3)),
     RuntimeError, "masked_select: expected BoolTensor for mask", "exact"),
    ("masked_select_uint8_mask", lambda T: T.ones(2, 3).masked_select(T.ones(2, 3, dtype=T.uint8)),
     RuntimeError, "masked_select: expected BoolTensor for mask", "exact"),
    ("masked_select_broadcast", lambda T: T.ones(2, 3).masked_select(T.ones(2, 2, dtype=T.bool)),
     RuntimeError, "The size of tensor a (2) must match the size of tensor b (3) at "
     "non-singleton dimension 1", "exact"),
    # movement, joins and splits
    ("narrow_past_end", lambda T: T.ones(2, 3).narrow(1, 2, 2), RuntimeError,
     "start (2) + length (2) exceeds dimension size (3).", "exact"),
    ("narrow_negative_length", lambda T: T.ones(2, 3).narrow(1, 0, -1), RuntimeError,
     "narrow(): length must be non-negative.", "exact"),
    ("narrow_0d", lambda T: T.tensor(1.0).narrow(0, 0, 1), RuntimeError,
     "narrow() cannot be applied to a 0-dim tensor.", "exact"),
    ("narrow_start_range", lambda T: T.ones(2, 3).narrow(1, -4, 0), IndexError,
     "start out of range (expected to be in range of [-3, 3], but got -4)", "exact"),
    ("unflatten_sizes", lambda T: T.ones(2, 6).unflatten(1, (4, 2)), RuntimeError,
     "unflatten: Provided sizes [4, 2] don't multiply up to the size of dim 1 (6) in the input "
     "tensor", "exact"),
    ("unflatten_no_sizes", lambda T: T.ones(2, 6).unflatten(1, ()), RuntimeError,
     "unflatten: sizes must be non-empty", "exact"),
    ("unflatten_two_inferred", lambda T: T.ones(2, 6).unflatten(1, (-1, -1)), RuntimeError,
     "unflatten got an unexpected error:\nonly one dimension can be inferred", "prefix"),
    ("tile_negative", lambda T: T.ones(2).tile(-1), RuntimeError,
     "Trying to create tensor with negative dimension -2: [-2]", "exact"),
    ("broadcast_to_sizes", lambda T: T.ones(2, 3).broadcast_to((3, 3)), RuntimeError,
     "The expanded size of the tensor (3) must match the existing size (2) at non-singleton "
     "dimension 0.  Target sizes: [3, 3].  Tensor sizes: [2, 3]", "exact"),
    ("diff_0d", lambda T: T.tensor(1.0).diff(), RuntimeError,
     "diff expects input to be at least one-dimensional", "exact"),
    ("diff_negative_n", lambda T: T.ones(3).diff(n=-1), RuntimeError,
     "order must be non-negative but got -1", "exact"),
    ("diff_prepend_shape", lambda T: T.ones(3, 4).diff(prepend=T.ones(1, 4)), RuntimeError,
     "diff expects the shape of tensor to prepend or append to match that of input except along "
     "the differencing dimension; input.size(0) = 3, but got tensor.size(0) = 1", "exact"),
    ("diff_append_dims", lambda T: T.ones(3, 4).diff(append=T.ones(4)), RuntimeError,
     "diff expects prepend or append to be the same dimension as input", "exact"),
    ("hstack_empty", lambda T: T.hstack([]), RuntimeError,
     "hstack expects a non-empty TensorList", "exact"),
    ("vstack_empty", lambda T: T.vstack(()), RuntimeError,
     "vstack expects a non-empty TensorList", "exact"),
    ("dstack_empty", lambda T: T.dstack([]), RuntimeError,
     "dstack expects a non-empty TensorList", "exact"),
    ("column_stack_empty", lambda T: T.column_stack([]), RuntimeError,
     "column_stack expects a non-empty TensorList", "exact"),
    ("vstack_tensor", lambda T: T.vstack(T.ones(2)), TypeError,
     "vstack(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor", "exact"),
    ("tensor_split_0d", lambda T: T.tensor(1.0).tensor_split(2), RuntimeError,
     "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims",
     "exact"),
    ("tensor_split_0_sections", lambda T: T.ones(3).tensor_split(0), RuntimeError,
     "number of sections must be larger than 0, got 0", "exact"),
    ("tensor_split_float", lambda T: T.ones(3).tensor_split(1.5), TypeError,
     "tensor_split() received an invalid combination of arguments - got (float), but expected "
     "one of:\n * (tuple of ints indices, int dim = 0)\n * (Tensor tensor_indices_or_sections, "
     "int dim = 0)\n * (int sections, int dim = 0)\n", "exact"),
    ("hsplit_not_divisible", lambda T: T.ones(2, 3).hsplit(2), RuntimeError,
     "engine.hsplit attempted to split along dimension 1, but the size of the dimension 3 is not "
     "divisible by the split_size 2!", "exact, library named"),
    ("hsplit_0d", lambda T: T.hsplit(T.tensor(1.0), 1), RuntimeError,
     "engine.hsplit requires a tensor with at least 1 dimension, but got a tensor with 0 "
     "dimensions!", "exact, library named"),
    ("vsplit_1d", lambda T: T.ones(3).vsplit(1), RuntimeError,
     "engine.vsplit requires a tensor with at least 2 dimension, but got a tensor with 1 "
     "dimensions!", "exact, library named"),
    ("vsplit_0_sections", lambda T: T.ones(3, 2).vsplit(0), RuntimeError,
     "engine.vsplit attempted to split along dimension 0, but the size of the dimension 3 is not "
     "divisible by the split_size 0!", "exact, library named"),
    ("dsplit_2d", lambda T: T.ones(3, 2).dsplit(1), RuntimeError,
     "engine.dsplit requires a tensor with at least 3 dimension, but got a tensor with 2 "
     "dimensions!", "exact, library named"),
    ("int_floordiv_zero", lambda T: T.tensor([7, -7]) // T.tensor([3, 0]), RuntimeError,
     "ZeroDivisionError", "exact"),
    ("int_floordiv_scalar_zero", lambda T: T.tensor([7]) // 0, RuntimeError,
     "ZeroDivisionError", "exact"),
    ("int_remainder_zero", lambda T: T.tensor([7, -7]) % T.tensor([3, 0]), RuntimeError,
     "ZeroDivisionError", "exact"),
    ("int_rfloordiv_zero", lambda T: 2 // T.tensor([True, False]), RuntimeError,
     "ZeroDivisionError", "exact"),
    ("bool_floordiv", lambda T: T.tensor([True]) // T.tensor([True]), NotImplementedError,
     "\"div_floor_cpu\" not implemented for 'Bool'", "exact"),
    ("bool_remainder", lambda T: T.tensor([True]) % T.tensor([True]), NotImplementedError,
     "\"remainder_cpu\" not implemented for 'Bool'", "exact"),
    ("int_pow_negative_int", lambda T: T.tensor([1, 2]) ** -1, RuntimeError,
     "Integers to negative integer powers are not allowed.", "exact"),
    ("bool_sub_bool", lambda T: T.tensor([True]) - T.tensor([False]), RuntimeError,
     "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
     "`logical_xor()` operator instead.", "exact"),
    ("bool_sub_true", lambda T: T.tensor([True]) - True, RuntimeError,
     "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
     "`logical_xor()` operator instead.", "exact"),
    ("float_sub_bool", lambda T: T.ones(2) - T.tensor([True, False]), RuntimeError,
     "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
     "invert a mask, use the `~` or `logical_not()` operator instead.", "exact"),
    ("int_rsub_bool", lambda T: 2 - T.tensor([True]), RuntimeError,
     "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
     "invert a mask, use the `~` or `logical_not()` operator instead.", "exact"),
    ("float_sub_true", lambda T: T.ones(2) - True, RuntimeError,
     "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
     "invert a mask, use the `~` or `logical_not()` operator instead.", "exact"),
    ("neg_bool", lambda T: -T.tensor([True]), RuntimeError,
     "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
     "invert a mask, use the `~` or `logical_not()` operator instead.", "exact"),
    ("invert_float", lambda T: ~T.ones(2), TypeError,
     "~ (operator.invert) is only implemented on integer and Boolean-type tensors", "exact"),
    ("and_float", lambda T: T.tensor([1]) & T.ones(1, dtype=T.float64), NotImplementedError,
     "\"bitwise_and_cpu\" not implemented for 'Double'", "exact"),
    ("where_float_condition", lambda T: T.where(T.ones(2), 1.0, 0.0), RuntimeError,
     "where expected condition to be a boolean tensor, but got a tensor with dtype Float",
     "exact"),
    # the autograd API: hooks that change the gradient, .grad assignments, backward/grad args
    ("hook_size_leaf", lambda T: _hooked_backward(T, _three_ones(T)), RuntimeError,
     "hook '<lambda>' has changed the size of value", "exact"),
    ("hook_size_nonleaf", lambda T: _hooked_backward(T, _three_ones(T), leaf=False), RuntimeError,
     "hook '<lambda>' has changed the size of value", "exact"),
    ("hook_type_leaf", lambda T: _hooked_backward(T, lambda g: g.float()), RuntimeError,
     "hook '<lambda>' has changed the type of value (was engine.DoubleTensor got "
     "engine.FloatTensor)", "exact, library named"),
    ("hook_type_nonleaf", lambda T: _hooked_backward(T, lambda g: g.float(), leaf=False),
     RuntimeError, "hook '<lambda>' has changed the type of value (was engine.DoubleTensor got "
     "engine.FloatTensor)", "exact, library named"),
    ("hook_returns_int", lambda T: _hooked_backward(T, lambda g: 3), TypeError,
     "expected Variable, but hook returned 'int'", "exact"),
    ("grad_set_size", lambda T: _set_grad(T, T.ones(3, dtype=T.float64)), RuntimeError,
     "attempting to assign a gradient of size '[3]' to a tensor of size '[2]'. Please ensure "
     "that the gradient and the tensor are the same size", "exact"),
    ("grad_set_dtype", lambda T: _set_grad(T, T.ones(2)), RuntimeError,
     "attempting to assign a gradient with dtype 'float' to a tensor with grad_dtype 'Double'. "
     "The gradient must match the tensor's grad_dtype (defaults to the tensor's dtype). You can "
     "set the tensor's grad_dtype attribute with a specific dtype, or None to allow any dtype. "
     "Set grad_dtype with caution. Diverging the dtypes of a tensor and its gradient may break "
     "downstream systems that assume they match.", "exact"),
    ("grad_set_ndarray", lambda T: _set_grad(T, np.ones(2)), TypeError,
     "assigned grad expected to be a Tensor or None but got grad of type numpy.ndarray", "exact"),
    ("backward_list_gradient", lambda T: (_leaf(T) * 2).backward([1.0, 1.0, 1.0]), TypeError,
     "gradients can be either Tensors or None, but got float", "exact"),
    ("backward_gradient_count", lambda T: T.autograd.backward(
        [_leaf(T).sum(), _leaf(T).sum()], [T.tensor(1.0)]), RuntimeError,
     "got 2 tensors and 1 gradients", "exact"),
    ("grad_outputs_count", lambda T: T.autograd.grad(
        [_leaf(T).sum(), _leaf(T).sum()], [_leaf(T)], [T.tensor(1.0)]), RuntimeError,
     "got 2 tensors and 1 gradients", "exact"),
    ("grad_inputs_empty", lambda T: T.autograd.grad(_leaf(T).sum(), []), RuntimeError,
     "`inputs` argument to `grad()` cannot be empty.", "exact"),
    ("grad_materialize_not_allow_unused", lambda T: _unused_grad(
        T, allow_unused=False, materialize_grads=True), ValueError,
     "Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
     "allow_unused=False.", "exact"),
    ("backward_inputs_not_requiring_grad", lambda T: (_leaf(T) * 2).sum().backward(
        inputs=[T.ones(2)]), RuntimeError,
     "can't retain_grad on Tensor that has requires_grad=False", "exact"),
    ("gradcheck_nothing_requires_grad", lambda T: T.autograd.gradcheck(
        lambda x: x * 2, (T.ones(2, dtype=T.float64),)), ValueError,
     "gradcheck expects at least one input tensor to require gradient, but none of them have "
     "requires_grad=True.", "exact"),
    ("set_grad_enabled_not_bool", lambda T: T.set_grad_enabled(1), TypeError,
     "set_grad_enabled(): argument 'enabled' (position 1) must be bool, not int", "exact"),
    # random values in place: the leaf rules, then each method's checks of its arguments
    ("leaf_uniform_", lambda T: _leaf(T).uniform_(), RuntimeError, "leaf_inplace", "exact"),
    ("leaf_normal_", lambda T: _leaf(T).normal_(), RuntimeError, "leaf_inplace", "exact"),
    ("leaf_bernoulli_", lambda T: _leaf(T).bernoulli_(), RuntimeError, "leaf_inplace", "exact"),
    ("leaf_exponential_", lambda T: _leaf(T).exponential_(), RuntimeError, "leaf_inplace",
     "exact"),
    ("leaf_random_", lambda T: _leaf(T).random_(3), RuntimeError, "leaf_inplace", "exact"),
    ("view_of_leaf_normal_", lambda T: _leaf(T)[1:].normal_(), RuntimeError,
     "view_of_leaf_inplace", "exact"),
    ("uniform_from_above_to", lambda T: T.zeros(3).uniform_(2, 1), RuntimeError,
     "uniform_ expects to return a [from, to) range, but found from=2 > to=1", "exact"),
    ("uniform_to_out_of_float", lambda T: T.zeros(3).uniform_(0, float("inf")), RuntimeError,
     "to is out of bounds for float", "exact"),
    ("uniform_from_out_of_half", lambda T: T.zeros(3, dtype=T.float16).uniform_(-1e5, 0),
     RuntimeError, "from is out of bounds for c10::Half", "exact"),
    ("uniform_range_too_wide", lambda T: T.zeros(3).uniform_(-3e38, 3e38), RuntimeError,
     "uniform_ expects to-from <= std::numeric_limits<Float>::max(), but found to=3e+38 and "
     "from=-3e+38 which result in to-from to exceed the limit", "exact"),
    ("uniform_int", lambda T: T.zeros(3, dtype=T.int64).uniform_(), NotImplementedError,
     "\"check_uniform_bounds\" not implemented for 'Long'", "exact"),
    ("uniform_unknown_keyword", lambda T: T.zeros(3).uniform_(a=0), TypeError,
     "uniform_() got an unexpected keyword argument 'a'", "exact"),
    ("normal_negative_std", lambda T: T.zeros(3).normal_(0, -1), RuntimeError,
     "normal expects std >= 0.0, but found std -1", "exact"),
    ("normal_nan_std", lambda T: T.zeros(3).normal_(0, float("nan")), RuntimeError,
     "normal expects std >= 0.0, but found std nan", "exact"),
    ("normal_int", lambda T: T.zeros(3, dtype=T.int32).normal_(), NotImplementedError,
     "\"normal_kernel_cpu\" not implemented for 'Int'", "exact"),
    ("bernoulli_p_above_1", lambda T: T.zeros(3).bernoulli_(2), RuntimeError,
     "bernoulli_ expects p to be in [0, 1], but got p=2", "exact"),
    ("bernoulli_p_negative", lambda T: T.zeros(3).bernoulli_(-0.1), RuntimeError,
     "bernoulli_ expects p to be in [0, 1], but got p=-0.1", "exact"),
    ("bernoulli_p_tensor_out_of_range", lambda T: T.zeros(3).bernoulli_(T.tensor([0.0, 2.0, 1.0])),
     RuntimeError, "Expected p_in >= 0 && p_in <= 1 to be true, but got false.", "prefix"),
    ("bernoulli_p_int_tensor", lambda T: T.zeros(3).bernoulli_(T.tensor([0, 1, 1])),
     NotImplementedError, "\"bernoulli_tensor_cpu_p_\" not implemented for 'Long'", "exact"),
    ("exponential_lambda_0", lambda T: T.zeros(3).exponential_(0), RuntimeError,
     "exponential_ expects lambda > 0.0, but found lambda=0", "exact"),
    ("exponential_int", lambda T: T.zeros(3, dtype=T.int64).exponential_(), RuntimeError,
     "Exponential distribution is a continuous probability distribution. dtype must be a "
     "floating point but you specified Long", "exact"),
    ("random_from_not_below_to", lambda T: T.zeros(3).random_(5, 2), RuntimeError,
     "random_ expects 'from' to be less than 'to', but got from=5 >= to=2", "exact"),
    ("random_to_0", lambda T: T.zeros(3).random_(0), RuntimeError,
     "random_ expects 'from' to be less than 'to', but got from=0 >= to=0", "exact"),
    ("random_to_out_of_uint8", lambda T: T.zeros(3, dtype=T.uint8).random_(257), RuntimeError,
     "to - 1 is out of bounds for unsigned char", "exact"),
    ("random_from_out_of_int8", lambda T: T.zeros(3, dtype=T.int8).random_(-129, 0),
     RuntimeError, "from is out of bounds for signed char", "exact"),
    ("random_to_out_of_bool", lambda T: T.zeros(3, dtype=T.bool).random_(0, 3), RuntimeError,
     "to - 1 is out of bounds for bool", "exact"),
    # element-wise ops: operands they refuse, dtypes without a kernel, values out of range
    ("atan2_number", lambda T: T.ones(2).atan2(2.0), TypeError,
     "atan2(): argument 'other' (position 1) must be Tensor, not float", "exact"),
    ("lib_atan2_number", lambda T: T.atan2(T.ones(2), 2), TypeError,
     "atan2(): argument 'other' (position 2) must be Tensor, not int", "exact"),
    ("lib_arctan2_number_input", lambda T: T.arctan2(1.5, T.ones(2)), TypeError,
     "arctan2(): argument 'input' (position 1) must be Tensor, not float", "exact"),
    ("hypot_number", lambda T: T.ones(2).hypot(True), TypeError,
     "hypot(): argument 'other' (position 1) must be Tensor, not bool", "exact"),
    ("fmax_list", lambda T: T.ones(2).fmax([1.0, 2.0]), TypeError,
     "fmax(): argument 'other' (position 1) must be Tensor, not list", "exact"),
    ("hypot_int", lambda T: T.tensor([3, 4]).hypot(T.tensor([4, 3])), NotImplementedError,
     "\"hypot_cpu\" not implemented for 'Long'", "exact"),
    ("logaddexp_bool", lambda T: T.logaddexp(T.tensor([True]), T.tensor([False])),
     NotImplementedError, "\"logaddexp_cpu\" not implemented for 'Bool'", "exact"),
    ("logaddexp2_int32", lambda T: T.logaddexp2(T.tensor([1], dtype=T.int32), T.tensor([1])),
     NotImplementedError, "\"logaddexp2_cpu\" not implemented for 'Long'", "exact"),
    ("frac_int", lambda T: T.tensor([1, 2]).frac(), NotImplementedError,
     "\"frac_cpu\" not implemented for 'Long'", "exact"),
    ("trunc_bool", lambda T: T.tensor([True]).trunc(), NotImplementedError,
     "\"trunc_vml_cpu\" not implemented for 'Bool'", "exact"),
    ("fmod_int_by_zero", lambda T: T.tensor([1, 2]).fmod(T.tensor([1, 0])), RuntimeError,
     "ZeroDivisionError", "exact"),
    ("fmod_int_by_scalar_zero", lambda T: T.fmod(T.tensor([1, 2]), 0), RuntimeError,
     "ZeroDivisionError", "exact"),
    ("fmod_bool", lambda T: T.tensor([True]).fmod(T.tensor([True])), NotImplementedError,
     "\"fmod_cpu\" not implemented for 'Bool'", "exact"),
    ("tan_int_in_place", lambda T: T.tensor([1, 2]).tan_(), RuntimeError,
     "result type Float can't be cast to the desired output type Long", "exact"),
    ("xlogy_int_in_place", lambda T: T.tensor([1, 2], dtype=T.uint8).xlogy_(2), RuntimeError,
     "result type Float can't be cast to the desired output type Byte", "exact"),
    ("float_power_in_place_float32", lambda T: T.ones(2).float_power_(2), RuntimeError,
     "the base given to float_power_ has dtype Float but the operation's result requires dtype "
     "Double", "exact"),
    ("atan2_in_place_to_bigger", lambda T: T.ones(3).atan2_(T.ones(2, 3)), RuntimeError,
     "output with shape [3] doesn't match the broadcast shape [2, 3]", "exact"),
    ("lerp_end_dtype", lambda T: T.lerp(T.ones(2), T.ones(2, dtype=T.float64), 0.5),
     RuntimeError, "expected dtype float for `end` but got dtype double", "exact"),
    ("lerp_weight_dtype", lambda T: T.ones(2).lerp(T.ones(2), T.tensor([1, 0])), RuntimeError,
     "expected dtype float for `weight` but got dtype long int", "exact"),
    ("lerp_half_end", lambda T: T.ones(2, dtype=T.float16).lerp(T.ones(2), 0.5), RuntimeError,
     "expected dtype c10::Half for `end` but got dtype float", "exact"),
    ("lerp_int", lambda T: T.lerp(T.tensor([1, 2]), T.tensor([3, 4]), 0.5), NotImplementedError,
     "\"lerp_kernel_scalar\" not implemented for 'Long'", "exact"),
    ("lerp_int_tensor_weight", lambda T: T.lerp(T.tensor([1]), T.tensor([3]), T.tensor([1])),
     NotImplementedError, "\"lerp_kernel_tensor\" not implemented for 'Long'", "exact"),
    ("lerp_in_place_to_bigger", lambda T: T.ones(2).lerp_(T.ones(2, 2), 0.5), RuntimeError,
     "output with shape [2] doesn't match the broadcast shape [2, 2]", "exact"),
    ("addcmul_bool", lambda T: T.addcmul(T.tensor([True]), T.tensor([True]), T.tensor([True])),
     NotImplementedError, "\"addcmul_cpu_out\" not implemented for 'Bool'", "exact"),
    ("addcdiv_integers", lambda T: T.ones(2).addcdiv(T.tensor([3, 4]), T.tensor([1, 2])),
     RuntimeError, "Integer division with addcdiv is no longer supported, and in a future  "
     "release addcdiv will perform a true division of tensor1 and tensor2.", "prefix"),
    ("masked_fill_long_mask", lambda T: T.ones(3).masked_fill(T.tensor([1, 0, 1]), 0.5),
     RuntimeError, "masked_fill_ only supports boolean masks, but got mask with dtype long int",
     "exact"),
    ("masked_fill_uint8_mask", lambda T: T.ones(3).masked_fill(T.ones(3, dtype=T.uint8), 0.5),
     RuntimeError,
     "masked_fill_ only supports boolean masks, but got mask with dtype unsigned char", "exact"),
    ("masked_fill_float_mask_in_place", lambda T: T.ones(3).masked_fill_(T.ones(3), 0.5),
     RuntimeError, "masked_fill_ only supports boolean masks, but got mask with dtype float",
     "exact"),
    ("masked_fill_1d_value", lambda T: T.ones(3).masked_fill(T.ones(3) > 0, T.ones(1)),
     RuntimeError, "masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
     "with 1 dimension(s).", "exact"),
    ("masked_fill_overflow_int8", lambda T: T.ones(2, dtype=T.int8).masked_fill(
        T.ones(2) > 0, 200), RuntimeError,
     "value cannot be converted to type int8_t without overflow", "exact"),
    ("masked_fill_overflow_uint8", lambda T: T.ones(2, dtype=T.uint8).masked_fill(
        T.ones(2) > 0, 255.5), RuntimeError,
     "value cannot be converted to type uint8_t without overflow", "exact"),
    ("masked_fill_nan_into_int", lambda T: T.ones(2, dtype=T.int64).masked_fill(
        T.ones(2) > 0, float("nan")), RuntimeError,
     "value cannot be converted to type int64_t without overflow", "exact"),
    ("masked_fill_overflow_half", lambda T: T.ones(2, dtype=T.float16).masked_fill(
        T.ones(2) > 0, 1e6), RuntimeError,
     "value cannot be converted to type c10::Half without overflow", "exact"),
    ("masked_fill_mask_not_broadcastable", lambda T: T.ones(2, 3).masked_fill(
        T.tensor([True, False]), 0.0), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 1",
     "exact"),
    ("masked_fill_in_place_to_bigger", lambda T: T.ones(3).masked_fill_(
        T.ones(2, 3) > 0, 0.0), RuntimeError,
     "output with shape [3] doesn't match the broadcast shape [2, 3]", "exact"),
    ("asinh_in_place_backward", lambda T: _asinh_in_place_backward(T), NotImplementedError,
     "the derivative for 'inplace version of asinh' is not implemented.", "exact"),
]


def _check(err, exc_type, key, how):
    assert type(err) is exc_type
    text = str(err)
    expected = MSG.get(key, key)  # a key of MSG, or the text itself
    if how == "exact":
        assert text == expected
    elif how == "exact, library named":  # the text names the library's own tensor type
        assert text.replace("torch.", "engine.") == expected
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
