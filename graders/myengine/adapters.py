"""Adapters: a student's piece in the shape of the engine part it replaces."""

from __future__ import annotations

import numpy as np


def numerical_grad_from(numerical_gradient):
    """``engine.testing.numerical_grad(fn, *arrays, eps)`` built on a student's
    ``numerical_gradient(f, x, h)`` (one flat float64 vector in, its gradient out)."""

    def numerical_grad(fn, *arrays, eps=1e-6):
        arrays = [np.array(a, dtype=np.float64) for a in arrays]  # copies
        grads = []
        for k, array in enumerate(arrays):
            def flat_fn(vector, k=k, shape=array.shape):
                args = list(arrays)
                args[k] = np.asarray(vector, dtype=np.float64).reshape(shape)
                return float(fn(*args))

            grad = numerical_gradient(flat_fn, array.reshape(-1).copy(), eps)
            grads.append(np.asarray(grad, dtype=np.float64).reshape(array.shape))
        return grads

    return numerical_grad


def checkpoint_from(checkpoint):
    """``engine.utils.checkpoint.checkpoint(function, *args, use_reentrant=..., **kwargs)``
    built on a student's ``checkpoint(function, *args)``: the engine's options are accepted
    and ignored, keyword arguments go to ``function``."""

    def engine_checkpoint(function, *args, use_reentrant=None, preserve_rng_state=True,
                          **kwargs):
        if kwargs:
            def call(*a):
                return function(*a, **kwargs)
            return checkpoint(call, *args)
        return checkpoint(function, *args)

    return engine_checkpoint


def gradcheck_from(gradcheck):
    """``engine.autograd.gradcheck(func, inputs, *, eps, atol, rtol, raise_exception, ...)``
    built on a student's ``gradcheck(func, inputs, eps, atol, rtol)``: a single tensor is
    taken as a one-tuple, ``raise_exception=False`` turns the student's GradcheckError into
    False, and the engine's other options are accepted and ignored."""
    from engine import Tensor
    from engine.autograd import GradcheckError

    def engine_gradcheck(func, inputs, *, eps=1e-06, atol=1e-05, rtol=0.001,
                         raise_exception=True, nondet_tol=0.0, check_undefined_grad=True,
                         fast_mode=False):
        inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
        try:
            return gradcheck(func, inputs, eps=eps, atol=atol, rtol=rtol)
        except GradcheckError:
            if raise_exception:
                raise
            return False

    return engine_gradcheck
