"""Gradient checkpointing: keep a segment's inputs, recompute its inside during backward.

``checkpoint(fn, *args)`` runs ``fn`` without recording (so none of its intermediate values
are kept), remembers only ``args`` and the random-number state, and in backward runs ``fn``
again with recording on, then backpropagates through that fresh graph. Memory for a chain of
L layers checkpointed every k layers drops from O(L) activations to O(L/k + k); with
k = sqrt(L), O(sqrt(L)).

Gradients of tensors that ``fn`` uses without receiving them as arguments (a module's
parameters) are accumulated into their ``.grad`` during the recomputation, as with PyTorch's
reentrant checkpoint; ``autograd.grad`` needs such tensors to be passed as arguments.
"""

from __future__ import annotations

from .. import random as _random
from .._tensor import Tensor
from ..autograd import engine_loop, grad_mode
from ..autograd.function import Function


class CheckpointFunction(Function):
    @staticmethod
    def forward(ctx, fn, preserve_rng_state, *args):
        ctx.fn = fn
        ctx.rng_state = _random.get_rng_state() if preserve_rng_state else None
        ctx.tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.args = [None if isinstance(a, Tensor) else a for a in args]
        ctx.save_for_backward(*(a for a in args if isinstance(a, Tensor)))
        outputs = fn(*args)  # runs under no_grad: nothing inside is kept
        return outputs

    @staticmethod
    def backward(ctx, *grad_outputs):
        args = list(ctx.args)
        inputs = []  # fresh leaves standing for the segment's tensor inputs
        for pos, t in zip(ctx.tensor_positions, ctx.saved_tensors):
            leaf = t.detach()
            leaf._requires_grad = t._requires_grad
            args[pos] = leaf
            inputs.append((pos, leaf))
        current = _random.get_rng_state()
        if ctx.rng_state is not None:
            _random.set_rng_state(ctx.rng_state)  # replay the same dropout masks
        try:
            with grad_mode.enable_grad():
                outputs = ctx.fn(*args)
        finally:
            _random.set_rng_state(current)
        outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
        pairs = [
            (o, g) for o, g in zip(outputs, grad_outputs)
            if isinstance(o, Tensor) and o._requires_grad and g is not None
        ]
        if pairs:
            roots = [o for o, _ in pairs]
            if not engine_loop.is_accumulating():
                _refuse_hidden_leaves(roots, {id(leaf) for _, leaf in inputs})
            engine_loop.run_backward(roots, [g for _, g in pairs],
                                     create_graph=grad_mode.is_grad_enabled())
        grads = [None] * len(args)
        for pos, leaf in inputs:
            grads[pos] = leaf._grad
        return (None, None, *grads)


def _refuse_hidden_leaves(roots, input_ids):
    from ..autograd.graph import AccumulateGrad

    _, nodes = engine_loop._discover([r.grad_fn for r in roots if r.grad_fn is not None])
    for node in nodes:
        if type(node) is AccumulateGrad and id(node.variable) not in input_ids:
            raise RuntimeError(
                "checkpoint: autograd.grad() cannot reach a tensor that the checkpointed "
                "function uses without receiving it as an argument (e.g. a layer's weight): "
                "its gradient would go to .grad instead. Pass such tensors as arguments to "
                "checkpoint(fn, *args), or call .backward()."
            )


def checkpoint(function, *args, use_reentrant=None, preserve_rng_state=True, **kwargs):
    """Run ``function(*args)`` now, recompute it in backward instead of storing its inside."""
    if kwargs:
        fn = function

        def function(*a):
            return fn(*a, **kwargs)

    return CheckpointFunction.apply(function, preserve_rng_state, *args)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):  # noqa: A002
    """Run a sequence of layers in ``segments`` chunks, each checkpointed except the last
    (PyTorch's rule: the last segment's activations are needed at once anyway)."""
    functions = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = -(-len(functions) // segments)

    def run(chunk):
        def forward(x):
            for f in chunk:
                x = f(x)
            return x

        return forward

    chunks = [functions[i:i + size] for i in range(0, len(functions), size)]
    for chunk in chunks[:-1]:
        input = checkpoint(run(chunk), input, **kwargs)  # noqa: A001
    return run(chunks[-1])(input)
