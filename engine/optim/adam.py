"""``Adam``: adaptive moment estimation, with bias correction, optional AMSGrad.

PyTorch's rule, per parameter at step ``t``::

    g = g + weight_decay * p
    m = m + (1 - beta1) * (g - m);   v = beta2 * v + (1 - beta2) * g * g
    v_max = max(v_max, v) (amsgrad)
    denom = sqrt(v or v_max) / sqrt(1 - beta2**t) + eps
    p = p - lr / (1 - beta1**t) * m / denom
"""

from __future__ import annotations

from .. import backend
from .._tensor import make_tensor
from ..dtypes import float32
from .optimizer import Optimizer


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
            "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
        }
        super().__init__(params, defaults)

    def _init_state(self, p, amsgrad):
        xp = p._xp()
        state = self.state[p]
        # The step count stays on the CPU whatever the device (as PyTorch keeps it): reading
        # it for the bias corrections must not wait for the GPU.
        state["step"] = make_tensor(backend.numpy_module.zeros((), dtype=float32.np))
        state["exp_avg"] = make_tensor(xp.zeros_like(p._data))
        state["exp_avg_sq"] = make_tensor(xp.zeros_like(p._data))
        if amsgrad:
            state["max_exp_avg_sq"] = make_tensor(xp.zeros_like(p._data))
        return state

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, amsgrad, maximize = (
                group["weight_decay"], group["amsgrad"], group["maximize"]
            )
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state = self._init_state(p, amsgrad)
                xp = p._xp()
                g = p._grad._data
                if maximize:
                    g = -g
                if weight_decay != 0:
                    g = g + weight_decay * p._data
                step_t = state["step"]._data
                step_t += 1
                step = float(step_t)
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data

                scratch = g - m  # m.lerp_(g, 1 - beta1)
                scratch *= 1 - beta1
                m += scratch
                v *= beta2  # v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                xp.multiply(g, 1 - beta2, out=scratch)
                scratch *= g
                v += scratch

                bias_correction1 = 1 - beta1**step
                bias_correction2_sqrt = (1 - beta2**step) ** 0.5
                step_size = lr / bias_correction1
                if amsgrad:
                    v_max = state["max_exp_avg_sq"]._data
                    xp.maximum(v_max, v, out=v_max)
                    v = v_max
                denom = xp.sqrt(v, out=scratch)
                denom /= bias_correction2_sqrt
                denom += eps
                update = m * -step_size  # p.addcdiv_(m, denom, value=-step_size)
                update /= denom
                p._data += update
                p._bump()
        return loss
