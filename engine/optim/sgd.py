"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

PyTorch's rule, per parameter ``p`` with gradient ``g``::

    g = g + weight_decay * p
    buf = g (first step), else momentum * buf + (1 - dampening) * g
    g = g + momentum * buf (nesterov), else buf
    p = p - lr * g
"""

from __future__ import annotations

from .._tensor import make_tensor
from .optimizer import Optimizer


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr, "momentum": momentum, "dampening": dampening,
            "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
            "foreach": foreach,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                g = p._grad._data
                owned = False  # whether g is a scratch array of ours (free to overwrite)
                if maximize:
                    g, owned = -g, True
                if weight_decay != 0:
                    if owned:
                        g += weight_decay * p._data
                    else:
                        d = p._data * weight_decay
                        d += g
                        g, owned = d, True
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = make_tensor(g.copy())
                        state["momentum_buffer"] = buf
                    else:
                        b = buf._data
                        b *= momentum
                        if dampening != 0:
                            b += (1 - dampening) * g
                        else:
                            b += g
                    if nesterov:
                        if owned:
                            g += momentum * buf._data
                        else:
                            g, owned = g + momentum * buf._data, True
                    else:
                        g, owned = buf._data, False
                if owned:
                    g *= -lr
                else:
                    g = g * -lr
                p._data += g
                p._bump()
        return loss
