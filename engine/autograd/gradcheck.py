"""``gradcheck`` and ``gradgradcheck``: compare a backward with central differences.

The numerical Jacobian perturbs one input element at a time by ±eps; the analytical one
runs backward once per output element. Use float64 inputs: float32 rounding swamps the
differences. On a mismatch the error names the first element that disagrees.
"""

from __future__ import annotations

import warnings

import numpy

from .. import backend
from .._tensor import Tensor, make_tensor
from . import grad_mode
from .engine_loop import run_backward


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when the analytical and numerical Jacobians differ."""


def _as_tuple(x):
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _host64(t):
    """A tensor's values as a flat float64 NumPy array (copied from the GPU if there)."""
    return backend.to_device(t._data, backend.CPU).astype(numpy.float64).ravel()


def _outputs(func, inputs):
    return [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor)]


def _numerical_jacobians(func, inputs, eps):
    """J[out][inp] of shape (out.numel(), inp.numel()), by central differences."""
    with grad_mode.no_grad():
        outs = _outputs(func, inputs)
        jac = [[None] * len(inputs) for _ in outs]
        for j, inp in enumerate(inputs):
            if not (isinstance(inp, Tensor) and inp._requires_grad):
                continue
            flat = inp._data.reshape(-1)  # a view: writes go to the input itself
            cols = [numpy.zeros((o.numel(), flat.size)) for o in outs]
            for k in range(flat.size):
                orig = flat[k].item()
                flat[k] = orig + eps
                plus = [_host64(o) for o in _outputs(func, inputs)]
                flat[k] = orig - eps
                minus = [_host64(o) for o in _outputs(func, inputs)]
                flat[k] = orig
                for i in range(len(outs)):
                    cols[i][:, k] = (plus[i] - minus[i]) / (2 * eps)
            for i in range(len(outs)):
                jac[i][j] = cols[i]
    return jac


def _analytical_jacobians(func, inputs):
    diff_idx = [j for j, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad]
    diff = [inputs[j] for j in diff_idx]
    outs = _outputs(func, inputs)
    jac = [[None] * len(inputs) for _ in outs]
    for i, out in enumerate(outs):
        rows = {j: numpy.zeros((out.numel(), inputs[j].numel())) for j in diff_idx}
        if out._requires_grad:
            for r in range(out.numel()):
                onehot = numpy.zeros(out._data.size, dtype=out._data.dtype)
                onehot[r] = 1
                onehot = backend.to_device(onehot.reshape(out._data.shape), out.device)
                grads = run_backward(
                    [out], [make_tensor(onehot)], retain_graph=True,
                    inputs=diff, accumulate=False, allow_unused=True,
                )
                for j, g in zip(diff_idx, grads):
                    if g is not None:
                        rows[j][r] = _host64(g)
        for j, m in rows.items():
            jac[i][j] = m
    return jac


def _fmt(m):
    return repr(make_tensor(m))


def gradcheck(func, inputs, *, eps=1e-06, atol=1e-05, rtol=0.001, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, fast_mode=False):
    """True when ``func``'s backward matches central differences for every input that
    requires grad; otherwise raise ``GradcheckError`` (or return False)."""
    inputs = _as_tuple(inputs)
    for idx, x in enumerate(inputs):
        if isinstance(x, Tensor) and x._requires_grad and x._data.dtype != numpy.float64:
            warnings.warn(
                f"Input #{idx} requires gradient and is not a double precision floating point or "
                "complex. This check will likely fail if all the inputs are not of double "
                "precision floating point or complex. ",
                UserWarning,
                stacklevel=2,
            )
    if not any(isinstance(x, Tensor) and x._requires_grad for x in inputs):
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of "
            "them have requires_grad=True."
        )
    numerical = _numerical_jacobians(func, inputs, eps)
    analytical = _analytical_jacobians(func, inputs)
    for i, (num_row, ana_row) in enumerate(zip(numerical, analytical)):
        # j counts only the inputs that require grad, as PyTorch numbers them.
        pairs = [(n, a) for n, a in zip(num_row, ana_row) if n is not None and a is not None]
        for j, (n, a) in enumerate(pairs):
            bad = numpy.abs(a - n) > atol + rtol * numpy.abs(n)
            if bad.any():
                r, c = (int(v) for v in numpy.argwhere(bad)[0])
                message = (
                    f"Jacobian mismatch for output {i} with respect to input {j},\n"
                    f"numerical:{_fmt(n)}\nanalytical:{_fmt(a)}\n\n"
                    f"The first mismatch is d(output {i}[{r}]) / d(input {j}[{c}]) "
                    f"(flattened indices): numerical {n[r, c]:.6g}, analytical {a[r, c]:.6g}, "
                    f"difference {abs(a[r, c] - n[r, c]):.3g} > atol + rtol * |numerical| = "
                    f"{atol + rtol * abs(n[r, c]):.3g}."
                )
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-06, atol=1e-05, rtol=0.001,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, fast_mode=False):
    """``gradcheck`` of the gradient: checks second derivatives (backward of backward)."""
    from .. import creation

    inputs = _as_tuple(inputs)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = numpy.random.default_rng(0)
        grad_outputs = tuple(
            creation.tensor(rng.standard_normal(o.shape), dtype=o.dtype, device=o.device,
                            requires_grad=True)
            for o in outs
        )
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad]

    def first_derivatives(*args):
        ins, gos = args[:n_in], args[n_in:]
        with grad_mode.enable_grad():  # also while gradcheck evaluates it numerically
            ys = _outputs(func, ins)
            grads = run_backward(ys, list(gos), create_graph=True,
                                 inputs=[ins[i] for i in diff_idx], accumulate=False,
                                 allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
