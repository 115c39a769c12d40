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
