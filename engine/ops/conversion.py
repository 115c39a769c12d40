"""Changing a tensor's dtype or device; the gradient goes back to the original ones."""

from __future__ import annotations

from ..autograd.function import ArrayFunction
from ..backend import device_of, to_device
from . import dual


class To(ArrayFunction):
    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, a, dtype, device):
        if ctx is not None:
            ctx.source = (a.dtype, device_of(a))
        out = to_device(a, device)
        return out.astype(dtype.np, copy=out is a)

    @staticmethod
    def backward(ctx, g):
        from ..dtypes import from_numpy_dtype

        np_dtype, dev = ctx.source
        return dual.to(g, from_numpy_dtype(np_dtype), dev), None, None
