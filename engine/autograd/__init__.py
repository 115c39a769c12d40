"""``engine.autograd``: the backward pass and the tools around it (PyTorch's layout)."""

from __future__ import annotations

from .._tensor import Tensor
from . import anomaly_mode, function, grad_mode, graph
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .engine_loop import run_backward
from .function import ArrayFunction, Function, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _make_grads(tensors, grad_tensors):
    """One gradient (a tensor or None) per tensor, with PyTorch's checks."""
    grads = (None,) * len(tensors) if grad_tensors is None else _as_tuple(grad_tensors)
    for _, g in zip(tensors, grads):  # PyTorch checks the types pairwise, then the count
        if g is not None and not isinstance(g, Tensor):
            raise TypeError(
                f"gradients can be either Tensors or None, but got {type(g).__name__}"
            )
    if len(grads) != len(tensors):
        raise RuntimeError(f"got {len(tensors)} tensors and {len(grads)} gradients")
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves."""
    tensors = _as_tuple(tensors)
    grads = _make_grads(tensors, grad_tensors)
    inputs = _as_tuple(inputs)
    if inputs is not None:
        if len(inputs) == 0:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        for t in inputs:  # as PyTorch: a non-leaf input keeps its .grad (and must need one)
            t.retain_grad()
    run_backward(tensors, grads, retain_graph, create_graph, inputs=inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return the gradients of ``outputs`` with respect to ``inputs``; ``.grad`` is untouched."""
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, "
            "but got: allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if len(inputs) == 0:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    grads = _make_grads(outputs, grad_outputs)
    if is_grads_batched:
        result = _batched_grad(outputs, inputs, grads, retain_graph, create_graph, allow_unused)
    else:
        result = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs,
                              accumulate=False, allow_unused=allow_unused)
    if materialize_grads:  # zeros shaped like the input (even when batched, as PyTorch)
        from ..creation import zeros_like

        result = tuple(g if g is not None else zeros_like(i) for g, i in zip(result, inputs))
    return result


def _batched_grad(outputs, inputs, grads, retain_graph, create_graph, allow_unused):
    """``grad`` for each slice of the leading dimension of ``grads``, stacked (PyTorch does it
    with vmap; a loop gives the same numbers)."""
    from .._functions import stack
    from .engine_loop import _size

    for i, (g, out) in enumerate(zip(grads, outputs)):
        if g is not None and (g.ndim == 0 or tuple(g.shape[1:]) != tuple(out.shape)):
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each "
                "grad_output as the batch dimension. The sizes of the remaining dimensions are "
                "expected to match the shape of corresponding output, but a mismatch was "
                f"detected: grad_output[{i}] has a shape of {_size(g.shape)} and output[{i}] "
                f"has a shape of {_size(out.shape)}. If you only want some tensors in "
                "`grad_output` to be considered batched, consider using vmap."
            )
    sizes = [g.shape[0] for g in grads if g is not None]
    if not sizes:  # nothing batched: an ordinary call
        return run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs,
                            accumulate=False, allow_unused=allow_unused)
    n = sizes[0]
    per_slice = []
    for b in range(n):
        last = b == n - 1
        per_slice.append(run_backward(
            outputs, [None if g is None else g[b] for g in grads],
            retain_graph if last else True, create_graph, inputs=inputs, accumulate=False,
            allow_unused=allow_unused))
    return tuple(
        None if col[0] is None else stack(list(col)) for col in zip(*per_slice)
    )


__all__ = [
    "Function", "ArrayFunction", "once_differentiable", "backward", "grad", "no_grad",
    "enable_grad",
    "set_grad_enabled", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled",
    "detect_anomaly", "set_detect_anomaly", "gradcheck", "gradgradcheck", "GradcheckError",
    "function", "grad_mode", "graph", "anomaly_mode",
]
