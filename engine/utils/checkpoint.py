"""Gradient checkpointing: keep a segment's inputs, recompute its inside during backward.

``checkpoint(fn, *args)`` runs ``fn`` once, keeps only ``args`` (and the random-number
state), and drops every value computed inside. In backward it runs ``fn`` again with
recording on and backpropagates through that fresh graph. For L layers checkpointed every
k layers, the activations kept drop from O(L) to O(L/k + k); with k = sqrt(L), O(sqrt(L)).

Tensors that ``fn`` uses without receiving them (a layer's weights) are found during the
first run, so their gradients flow through ``backward()`` and ``autograd.grad`` alike.
"""

from __future__ import annotations

from .. import random as _random
from .._tensor import Tensor
from ..autograd import engine_loop, grad_mode
from ..autograd.function import Function
from ..autograd.graph import AccumulateGrad


def _fresh_leaves(args):
    """Detached stand-ins for the tensor arguments, requiring grad where the originals do."""
    out = []
    for a in args:
        if isinstance(a, Tensor):
            leaf = a.detach()
            leaf._requires_grad = a._requires_grad
            out.append(leaf)
        else:
            out.append(a)
    return out


def _as_tuple(outputs):
    return (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)


def _hidden_leaves(outputs, own):
    """Leaves requiring grad that the recorded segment reached, other than its arguments."""
    roots = [o.grad_fn for o in outputs if isinstance(o, Tensor) and o.grad_fn is not None]
    _, nodes = engine_loop._discover(roots)
    own_ids = {id(t) for t in own}
    leaves = [n.variable for n in nodes if type(n) is AccumulateGrad]
    return sorted((v for v in leaves if id(v) not in own_ids), key=id)


class CheckpointFunction(Function):
    @staticmethod
    def forward(ctx, fn, rng_state, n_args, box, *tensors):
        ctx.fn, ctx.rng_state, ctx.n_args = fn, rng_state, n_args
        ctx.save_for_backward(*tensors[:n_args])
        ctx.hidden = tensors[n_args:]  # leaves: alive anyway, and needed as edges
        return box[0]  # the values of the first run (a list keeps them out of the edges)

    @staticmethod
    def backward(ctx, *grad_outputs):
        args = _fresh_leaves(ctx.saved_tensors)
        current = _random.get_rng_state()
        if ctx.rng_state is not None:
            _random.set_rng_state(ctx.rng_state)  # the same dropout masks as the first run
        try:
            with grad_mode.enable_grad():
                outputs = _as_tuple(ctx.fn(*args))
        finally:
            _random.set_rng_state(current)
        pairs = [
            (o, g) for o, g in zip(outputs, grad_outputs)
            if isinstance(o, Tensor) and o._requires_grad and g is not None
        ]
        candidates = list(args) + list(ctx.hidden)
        wanted = [t for t in candidates if isinstance(t, Tensor) and t._requires_grad]
        grads = {}
        if pairs and wanted:
            found = engine_loop.run_backward(
                [o for o, _ in pairs], [g for _, g in pairs],
                create_graph=grad_mode.is_grad_enabled(),
                inputs=wanted, accumulate=False, allow_unused=True,
            )
            grads = {id(t): g for t, g in zip(wanted, found)}
        return (None, None, None, None) + tuple(
            grads.get(id(t)) for t in list(args) + list(ctx.hidden)
        )


def checkpoint(function, *args, use_reentrant=None, preserve_rng_state=True, **kwargs):
    """Run ``function(*args)`` now; in backward, recompute it instead of storing its inside."""
    if kwargs:
        fn = function

        def function(*a):
            return fn(*a, **kwargs)

    if not grad_mode.is_grad_enabled():
        return function(*args)
    rng_state = _random.get_rng_state() if preserve_rng_state else None
    stand_ins = _fresh_leaves(args)
    outputs = function(*stand_ins)
    hidden = _hidden_leaves(_as_tuple(outputs), [t for t in stand_ins if isinstance(t, Tensor)])
    # Keep the values, drop the graph (and with it every saved activation inside).
    detached = tuple(o.detach() if isinstance(o, Tensor) else o for o in _as_tuple(outputs))
    tensors = [a for a in args if isinstance(a, Tensor)]
    if len(tensors) != len(args):
        raise TypeError("checkpoint: pass tensors only as positional arguments (others via kwargs)")
    result = CheckpointFunction.apply(
        function, rng_state, len(tensors), [detached if len(detached) > 1 else detached[0]],
        *tensors, *hidden,
    )
    return result


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
