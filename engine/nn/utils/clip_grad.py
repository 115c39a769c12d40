"""Gradient clipping: ``clip_grad_norm_`` (rescale all gradients together) and
``clip_grad_value_`` (clamp each element). Both work on ``.grad`` in place."""

from __future__ import annotations

import numpy

from ..._tensor import Tensor, make_tensor
from ...autograd.grad_mode import no_grad
from ...creation import tensor as _tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p._grad for p in parameters if p._grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale the gradients so that their joint ``norm_type``-norm is at most ``max_norm``.

    Returns the joint norm before clipping (a 0-d tensor). As in PyTorch, the gradients are
    multiplied by ``min(1, max_norm / (norm + 1e-6))`` in every case.
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return _tensor(0.0)
    xp = grads[0]._xp()
    dt = numpy.result_type(*(g._data.dtype for g in grads))
    with no_grad():
        norms = xp.stack([
            xp.asarray(xp.linalg.norm(g._data.reshape(-1), ord=norm_type), dtype=dt)
            for g in grads
        ])
        total = xp.asarray(xp.linalg.norm(norms, ord=norm_type), dtype=dt)
        if error_if_nonfinite and not bool(xp.isfinite(total)):
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is "
                "non-finite, so it cannot be clipped. To disable this error and scale the "
                "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
            )
        coef = xp.minimum(dt.type(max_norm) / (total + dt.type(1e-6)), dt.type(1.0))
        for g in grads:
            g._data *= coef.astype(g._data.dtype)
            g._bump()
    return make_tensor(total)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to ``[-clip_value, clip_value]``."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g._xp().clip(g._data, -clip_value, clip_value, out=g._data)
            g._bump()
