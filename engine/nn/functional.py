"""``engine.nn.functional``: activations, softmax, losses, dropout and ``linear`` as functions.

Everything here is composed from the engine's differentiable primitives (DESIGN principle 2):
no op here has a hand-written backward. Softmax and its relatives subtract the row maximum
first (a constant, so it changes no gradient), which keeps ``exp`` from overflowing.
"""

from __future__ import annotations

import warnings

from .. import backend
from .. import random as _random
from .._tensor import make_tensor
from ..creation import arange
from ..dtypes import int64, uint8
from ..ops.movement import wrap_dim

__all__ = [
    "relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "dropout",
    "mse_loss", "nll_loss", "cross_entropy",
]

_REDUCTIONS = ("none", "mean", "sum")


def _scalar_name(dtype):
    """PyTorch's scalar-type name in error texts: ``Float``, ``Long``, ..."""
    return dtype._legacy[: -len("Tensor")]


# -- activations -------------------------------------------------------------------------
def relu(input, inplace=False):  # noqa: A002 - PyTorch's argument names
    if inplace:
        return input._inplace(lambda s: s.relu())
    return input.relu()


def sigmoid(input):  # noqa: A002
    return input.sigmoid()


def tanh(input):  # noqa: A002
    return input.tanh()


def _softmax_dim(name, ndim):
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def _shifted(input, dim):
    """``input`` minus its maximum along ``dim`` (a constant: no gradient flows through it).
    An empty input has nothing to shift, and ``max`` refuses an empty dimension: ``sum``
    still checks ``dim``."""
    detached = input.detach()
    if detached.numel() == 0:
        return input - detached.sum(dim, keepdim=True)
    return input - detached.max(dim, keepdim=True).values


def _check_floating(name, input, dim):  # noqa: A002
    """PyTorch has no integer softmax kernels (``exp`` alone would promote to float)."""
    if not input.is_floating_point():
        last = wrap_dim(dim, input.ndim) == max(input.ndim, 1) - 1  # a bad dim is told first
        kernel = f"{name}_lastdim_kernel_impl" if last else f"{name}_kernel_impl"
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{_scalar_name(input.dtype)}'"
        )


def softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim)
    if dtype is not None:
        input = input.to(dtype)  # noqa: A001
    _check_floating("softmax", input, dim)
    e = _shifted(input, dim).exp()
    return e / e.sum(dim, keepdim=True)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim)
    if dtype is not None:
        input = input.to(dtype)  # noqa: A001
    _check_floating("log_softmax", input, dim)
    z = _shifted(input, dim)
    return z - z.exp().sum(dim, keepdim=True).log()


# -- layers ------------------------------------------------------------------------------
def linear(input, weight, bias=None):  # noqa: A002
    """``input @ weight.T + bias``, with ``weight`` of shape ``(out_features, in_features)``."""
    if bias is not None:  # PyTorch's addmm checks (the addition would promote instead)
        for name, t in (("self", bias), ("mat1", input)):
            if t.dtype != weight.dtype:
                raise RuntimeError(f"{name} and mat2 must have the same dtype, but got "
                                   f"{_scalar_name(t.dtype)} and {_scalar_name(weight.dtype)}")
    out = input @ weight.t()
    return out if bias is None else out + bias


def dropout(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    The mask is drawn from the engine's generator, so ``engine.manual_seed`` repeats it and
    checkpointing (which restores the generator's state) recomputes the same mask.
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    dt = input._data.dtype
    if p == 1.0:
        mask = backend.module_for(input.device).zeros(input._data.shape, dtype=dt)
    else:
        keep = _random.rng().random(input._data.shape) < (1.0 - p)
        mask = keep.astype(dt)
        mask *= dt.type(1.0 / (1.0 - p))
        mask = backend.to_device(mask, input.device)
    if inplace:
        return input.mul_(make_tensor(mask))
    return input * make_tensor(mask)


# -- losses ------------------------------------------------------------------------------
def _gpu_first(device):
    return device.type == "cpu"


def _check_reduction(reduction, size_average=None, reduce=None):
    """The reduction to use; the deprecated ``size_average``/``reduce`` win when given."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
        warnings.warn(
            f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
            "instead.",
            stacklevel=3,
        )
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    """Mean (or sum) of the squared differences."""
    reduction = _check_reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=2,
        )
    diff = input - target
    return _reduce(diff * diff, reduction)


def _classes_last(input):
    """``(N, C, d1, ...)`` as ``(N * d1 * ..., C)``; ``(C,)`` as ``(1, C)``."""
    if input.ndim == 1:
        return input.reshape(1, -1)
    if input.ndim == 2:
        return input
    perm = (0,) + tuple(range(2, input.ndim)) + (1,)
    return input.permute(perm).reshape(-1, input.shape[1])


def _loss_shape(input, loss, reduction):
    """Give a per-element loss the shape of the target: ``(N, d1, ...)``, or ``()``."""
    if reduction != "none":
        return loss
    if input.ndim == 1:
        return loss.reshape(())
    if input.ndim == 2:
        return loss
    return loss.reshape((input.shape[0],) + tuple(input.shape[2:]))


def _check_nll_args(input, target, weight):  # noqa: A002
    """PyTorch's checks on ``nll_loss``'s arguments, in its order and with its texts (inputs
    of 3 or more dimensions go through its ``nll_loss2d``, whose texts differ)."""
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim != 1:
        batch = target.shape[0] if target.ndim else 0  # PyTorch reads a 0-d target's as 0
        if input.shape[0] != batch:
            raise ValueError(
                f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                f"({batch})."
            )
    spatial = input.ndim > 2
    if not spatial:
        if target.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if input.ndim == 1 and target.ndim == 1 and target.shape[0] != 1:
            raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                             f"{target.shape[0]}")
    elif input.ndim == 4 and target.ndim != 3:
        raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                           f"targets of dimension: {target.ndim}")
    elif tuple(target.shape[1:]) != tuple(input.shape[2:]):
        if input.ndim == 4:  # sic: PyTorch's text has no closing parenthesis
            raise RuntimeError(f"size mismatch (got input: {list(input.shape)} , target: "
                               f"{list(target.shape)}")
        raise RuntimeError(f"Expected target size {[input.shape[0], *input.shape[2:]]}, got "
                           f"{list(target.shape)}")
    if target.dtype not in (int64, uint8):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{_scalar_name(target.dtype)}")
    if weight is not None:
        n_classes = input.shape[1 if input.ndim > 1 else 0]
        if weight.ndim != 1 or weight.shape[0] != n_classes:
            raise RuntimeError(
                "weight tensor should be defined either for all or no classes" if spatial else
                f"weight tensor should be defined either for all {n_classes} classes or no "
                f"classes but got weight tensor of shape: {list(weight.shape)}"
            )
        if weight.dtype != input.dtype:
            raise RuntimeError(f"expected scalar type {_scalar_name(input.dtype)} but found "
                               f"{_scalar_name(weight.dtype)}")


def _class_indices(target, n_classes, ignore_index):
    """The target as a flat integer array; (valid mask or None when all are valid)."""
    xp = target._xp()
    t = target._data.reshape(-1).astype(xp.int64, copy=False)  # uint8 would index as a mask
    valid = t != ignore_index
    all_valid = bool(valid.all())
    if not all_valid:
        t = xp.where(valid, t, 0)
    bad = (t < 0) | (t >= n_classes)
    if bad.any():
        raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
    return t, (None if all_valid else valid)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,  # noqa: A002
             reduction="mean"):
    """The negative log-likelihood of the target classes, given log-probabilities."""
    reduction = _check_reduction(reduction, size_average, reduce)
    if type(target._data) is not type(input._data) and target.device != input.device:
        raise backend.same_device_error(*sorted((input.device, target.device), key=_gpu_first))
    _check_nll_args(input, target, weight)
    logp = _classes_last(input)
    n, n_classes = logp.shape
    t, valid = _class_indices(target, n_classes, ignore_index)
    picked = logp[arange(n, device=input.device), make_tensor(t)]
    if weight is None and valid is None:
        return _loss_shape(input, _reduce(-picked, reduction), reduction)
    w = make_tensor(weight._data[t]) if weight is not None else None
    if valid is not None:
        # select, not multiply: an ignored row adds 0 even where its log-probability is -inf
        picked = picked.where(make_tensor(valid), 0.0)
        mask = valid.astype(logp._data.dtype)
        w = make_tensor(mask) if w is None else make_tensor(w._data * mask)
    loss = -picked * w
    if reduction == "mean":
        return loss.sum() / w.sum()
    return _loss_shape(input, _reduce(loss, reduction), reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,  # noqa: A002
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """``nll_loss(log_softmax(input, 1), target)``: class indices or, for a ``target`` of the
    input's shape (PyTorch's rule), class probabilities."""
    reduction = _check_reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(
            f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing:g}"
        )
    class_dim = 0 if input.ndim == 1 else 1
    if target.shape == input.shape:
        if not target.is_floating_point():
            raise RuntimeError("Expected floating point type for target with class "
                               f"probabilities, got {_scalar_name(target.dtype)}")
        return _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing,
                                            class_dim)
    logp = log_softmax(input, class_dim)
    n_classes = input.shape[class_dim]
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0.0:
        return nll
    # PyTorch's rule: (1 - eps) * nll + eps / C * (the loss against a uniform target)
    flat = _classes_last(logp)
    smooth = -(flat * weight if weight is not None else flat).sum(1)
    t, valid = _class_indices(target, n_classes, ignore_index)
    if valid is not None:
        smooth = smooth.where(make_tensor(valid), 0.0)  # as in nll_loss: -inf rows add 0
    if reduction == "mean":
        if weight is not None:
            denominator = weight._data[t if valid is None else t[valid]].sum()
        else:
            denominator = t.shape[0] if valid is None else valid.sum()
        smooth = smooth.sum() / float(denominator)
    else:
        smooth = _loss_shape(input, _reduce(smooth, reduction), reduction)
    return nll * (1.0 - label_smoothing) + smooth * (label_smoothing / n_classes)


def _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing,  # noqa: A002
                                 class_dim):
    logp = log_softmax(input, class_dim)
    n_classes = input.shape[class_dim]
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != n_classes):
        raise RuntimeError(
            f"cross_entropy: weight tensor should be defined either for all {n_classes} "
            f"classes or no classes but got weight tensor of shape: {list(weight.shape)}"
        )
    if label_smoothing > 0.0:
        target = target * (1.0 - label_smoothing) + label_smoothing / n_classes
    terms = logp * target
    if weight is not None:
        shape = [1] * input.ndim
        shape[class_dim] = n_classes
        terms = terms * weight.reshape(shape)
    loss = -terms.sum(class_dim)
    if reduction == "mean":
        n = input.numel() // n_classes
        return loss.sum() / n
    return _reduce(loss, reduction)

