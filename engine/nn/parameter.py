"""``nn.Parameter``: a tensor that a ``Module`` registers as one of its parameters.

As in PyTorch it is a ``Tensor`` subclass: a leaf that requires grad by default and shares
its data's memory; ops on it return plain tensors, and it prints as "Parameter containing:".
"""

from __future__ import annotations

from .._tensor import Tensor


def _rebuild_parameter(array, requires_grad, device=None):
    from ..creation import tensor

    return Parameter(tensor(array, device=device), requires_grad)


class Parameter(Tensor):
    """``Parameter(data=None, requires_grad=True)``."""

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from ..creation import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(
                f"Parameter expects a Tensor as data, but got {type(data).__name__}"
            )
        p = object.__new__(cls)
        p._data, p._vc = data._data, data._vc  # the same memory and version counter
        p._requires_grad, p.grad_fn, p._output_nr = False, None, 0
        if data._inference:
            p._inference = True
        if requires_grad and not data.is_floating_point():  # PyTorch's _make_subclass text
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients"
            )
        p.requires_grad_(requires_grad)
        return p

    def __init__(self, data=None, requires_grad=True):
        pass  # everything happens in __new__

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        dev = self.device
        return (_rebuild_parameter, (self.detach().cpu().numpy(), self._requires_grad,
                                     None if dev.type == "cpu" else str(dev)))
