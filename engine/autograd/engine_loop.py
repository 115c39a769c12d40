"""The backward pass: walk the graph from the outputs to the leaves, without recursion.

1. Find the nodes reachable from the roots and sort them by creation, latest first: a node's
   inputs always exist before it, so this is a topological order (and PyTorch's order).
2. Run them in that order, summing the gradients that arrive for each node in a buffer.
3. Undo broadcasting once, here, for every op: a gradient larger than its input is summed
   back to the input's shape.
4. Free each node's saved tensors after it runs, unless ``retain_graph``.
A chain of 100,000 ops is just 100,000 loop iterations.

Gradients travel as raw arrays unless the pass is recorded (``create_graph=True``), when
they travel as tensors; built-in backward formulas run on either (see ``ops.dual``), and
a user's ``Function`` always sees tensors.
"""

from __future__ import annotations

import operator
import threading
import warnings

from .. import backend
from .._tensor import Tensor, make_tensor
from ..dtypes import from_numpy_dtype
from ..ops import dual
from . import anomaly_mode, grad_mode, graph
from .function import BackwardFunction
from .graph import AccumulateGrad, accumulator_of

_grad_state = grad_mode._state
_ndarray = backend.numpy_module.ndarray


class _RunState(threading.local):
    def __init__(self):
        self.accumulate = True  # False inside autograd.grad(): leaves' .grad stay untouched


_run_state = _RunState()


def is_accumulating():
    """Whether the backward pass now running adds into ``.grad`` (False in autograd.grad)."""
    return _run_state.accumulate


def _size(shape):
    return f"engine.Size([{', '.join(map(str, shape))}])"


def _wrap(g):
    return g if g is None or isinstance(g, Tensor) else make_tensor(g)


def _unwrap(g):
    return g._data if isinstance(g, Tensor) else g


def _one(data):
    if type(data) is _ndarray and data.ndim == 0:  # the usual loss: 0.15 us, not 0.8
        return backend.numpy_module.array(1, dtype=data.dtype)
    return backend.array_module(data).ones_like(data)


def _root_gradients(roots, grads, raw):
    """Pair each root with its starting gradient (implicit 1 for a one-element output)."""
    pairs = []
    for i, (root, grad) in enumerate(zip(roots, grads)):
        if not root._requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if grad is None:
            if root._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            pairs.append((root.grad_fn or accumulator_of(root), root._output_nr,
                          _one(root._data) if raw else make_tensor(_one(root._data))))
            continue
        else:
            if not isinstance(grad, Tensor):
                grad = make_tensor(root._xp().asarray(grad, dtype=root._data.dtype))
            if grad.shape != root.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {_size(grad.shape)} "
                    f"and output[{i}] has a shape of {_size(root.shape)}."
                )
            if grad._data.dtype != root._data.dtype:
                grad = grad.to(root.dtype)
            if type(grad._data) is not type(root._data):
                grad = _on_device_of(grad, root.device, f"invalid gradient at index {i}")
        node = root.grad_fn if root.grad_fn is not None else accumulator_of(root)
        nr = root._output_nr if root.grad_fn is not None else 0
        pairs.append((node, nr, grad._data if raw else grad))
    return pairs


def _on_device_of(grad, device, what):
    """``grad`` on ``device``: a 0-d gradient is moved there, as in PyTorch; any other is
    PyTorch's error (``what`` names the gradient)."""
    if grad.device == device:
        return grad
    if grad.ndim == 0:
        return grad.to(device)
    raise RuntimeError(f"{what} - expected device {device} but got {grad.device}")


def _discover(root_nodes):
    """Count, for every reachable node, the edges that point at it."""
    deps = {}
    seen = set(root_nodes)
    stack = list(root_nodes)
    while stack:
        for edge in stack.pop()._edges:
            if edge is None:
                continue
            child = edge[0]
            if child is None:
                continue
            if child in deps:
                deps[child] += 1
            else:
                deps[child] = 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return deps, seen


_by_seq = operator.attrgetter("_seq")


def _reachable(root_nodes):
    seen = set(root_nodes)
    stack = list(root_nodes)
    while stack:
        for edge in stack.pop()._edges:
            if edge is not None:
                child = edge[0]
                if child is not None and child not in seen:
                    seen.add(child)
                    stack.append(child)
    return seen


def topological_order(root_nodes):
    """Every node reachable from ``root_nodes``, each after all the nodes that feed it a
    gradient. (The course has students write this; ``engine.substitute`` swaps theirs in.)"""
    return sorted(_reachable(root_nodes), key=_by_seq, reverse=True)


def _needed(root_nodes, targets, accumulate):
    """The nodes that must run: those from which some target is reachable, and, when the
    pass accumulates (``backward(inputs=...)``), the targets themselves. In ``autograd.grad``
    a target only receives its gradient and does not run (as in PyTorch), so it keeps what it
    saved for a later pass through it."""
    needed = set()
    done = set()
    stack = [(node, False) for node in root_nodes]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            if (accumulate and node in targets) or any(
                e is not None and e[0] is not None and (e[0] in needed or e[0] in targets)
                for e in node._edges
            ):
                needed.add(node)
            continue
        if node in done:
            continue
        done.add(node)
        stack.append((node, True))
        for edge in node._edges:
            if edge is not None and edge[0] is not None and edge[0] not in done:
                stack.append((edge[0], False))
    return needed


sum_to_shape = dual.sum_to


def _expandable(small, big):
    lead = len(big) - len(small)
    if lead < 0:
        return False
    for i, n in enumerate(small):
        if n != 1 and n != big[lead + i]:
            return False
    return True


def _validate(node, grads, raw):
    """Check the count and shapes of what a node's backward returned; fit them to the inputs:
    sum away broadcast dimensions, cast to the input's dtype."""
    edges = node._edges
    if raw and len(grads) == len(edges):
        # The common case first: arrays already of their inputs' shapes and dtypes. (Inputs
        # that need no gradient have no meta, and what comes back for them is never used.)
        for grad, meta in zip(grads, node._input_meta):
            if meta is not None and grad is not None and (
                    type(grad) is not _ndarray or grad.shape != meta[0] or grad.dtype != meta[1]):
                break
        else:
            return grads
    if len(grads) != len(edges):
        if len(grads) > len(edges) and all(g is None for g in grads[len(edges):]):
            grads = grads[: len(edges)]
        else:
            raise RuntimeError(
                f"function {node.name()} returned an incorrect number of gradients "
                f"(expected {len(edges)}, got {len(grads)})"
            )
    meta = node._input_meta
    position = -1
    for i, edge in enumerate(edges):
        if edge is None:
            continue
        position += 1
        grad = grads[i]
        if grad is None or edge[0] is None:
            continue
        if raw:
            if isinstance(grad, Tensor):  # a formula mixed in a tensor: fine, take its data
                grad = grad._data
        elif not isinstance(grad, Tensor):
            raise TypeError(
                f"function {node.name()} returned a gradient of type {type(grad).__name__} "
                f"at index {position}; expected a Tensor or None"
            )
        shape, np_dtype = meta[i][0], meta[i][1]
        if len(meta[i]) > 2 and meta[i][2] is not None:  # a user's Function: any device
            grad = _on_device_of(grad, meta[i][2], f"Function {node.name()} returned an "
                                 f"invalid gradient at index {position}")
        if grad.shape != shape:
            if not _expandable(shape, tuple(grad.shape)):
                raise RuntimeError(
                    f"Function {node.name()} returned an invalid gradient at index {position} - "
                    f"got [{', '.join(map(str, grad.shape))}] but expected shape compatible "
                    f"with [{', '.join(map(str, shape))}]"
                )
            grad = dual.sum_to(grad, shape)
        if raw:
            if grad.dtype != np_dtype:
                grad = grad.astype(np_dtype)
        elif grad._data.dtype != np_dtype:
            grad = grad.to(from_numpy_dtype(np_dtype))
        grads[i] = grad
    return grads


def _check_nan(node, grads):
    for i, grad in enumerate(grads):
        if grad is not None and dual.is_nan_anywhere(grad):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


def _run_hooks_on(grads, hooks, raw):
    for hook in list(hooks.values()):
        result = hook(tuple(_wrap(g) for g in grads) if raw else tuple(grads))
        if result is not None:
            grads = [_unwrap(g) for g in result] if raw else list(result)
    return grads


def _owned(array, shared):
    """May this gradient array become a leaf's ``.grad`` without a copy?"""
    return (
        id(array) not in shared
        and getattr(array, "base", None) is None
        and getattr(array.flags, "writeable", True)
    )


def _store_grad(tensor, grad, raw, shared=()):
    """``tensor.grad += grad`` with PyTorch's rules: the first gradient is stored (copied if
    anything else may hold it), later ones are added in place; a recorded pass
    (``create_graph``) adds out of place so the sum stays differentiable."""
    if not raw:
        tensor._grad = grad if tensor._grad is None else tensor._grad + grad
    elif tensor._grad is None:
        tensor._grad = make_tensor(grad if _owned(grad, shared) else grad.copy())
    else:
        tensor._grad._data += grad
        tensor._grad._bump()


def accumulate_grad(leaf, grad):
    """AccumulateGrad's rule: add ``grad``, a tensor shaped like ``leaf``, into ``leaf.grad``.

    The first gradient becomes ``leaf.grad`` (a copy: the array may also be another leaf's
    gradient, or the caller's); later ones are added in place, or out of place when the pass
    is recorded (``create_graph=True``) so that the sum stays differentiable. The backward
    loop applies this rule inline, on raw arrays; ``engine.substitute(accumulate_grad=fn)``
    sends every leaf's gradient through ``fn(leaf, grad)`` instead (the course has students
    write it).
    """
    if _grad_state.enabled:  # a recorded pass: grad is part of a graph
        _store_grad(leaf, grad, False)
    else:
        _store_grad(leaf, grad._data, True, {id(grad._data)})


_ENGINE_ACCUMULATE_GRAD = accumulate_grad


def _leaf_hooked(tensor, grad, raw):
    """``grad`` after the leaf's tensor hooks, and whether one replaced it."""
    replaced = False
    for hook in list(tensor._hooks.values()):
        result = hook(_wrap(grad) if raw else grad)
        if result is not None:
            grad, replaced = (_unwrap(result) if raw else result), True
    return grad, replaced


def _tensor_hooked(node, grads, raw):
    """The gradients after the hooks of the tensors they belong to: what ``autograd.grad``
    captures for an input whose node does not run (PyTorch runs a tensor's hooks then; a
    node's own pre-hooks only when it runs)."""
    if type(node) is AccumulateGrad:
        leaf = node.variable
        if leaf is not None and leaf._hooks:
            return [_leaf_hooked(leaf, grads[0], raw)[0]]
        return grads
    if node._pre_hooks:
        hooks = {k: h for k, h in node._pre_hooks.items() if getattr(h, "tensor_hook", False)}
        if hooks:
            return _run_hooks_on(grads, hooks, raw)
    return grads


def accumulate_into_leaf(tensor, grad, raw=False, shared=()):
    if tensor._hooks:
        grad, replaced = _leaf_hooked(tensor, grad, raw)
        if replaced:
            shared = ()  # a hook's result is its own
    if accumulate_grad is not _ENGINE_ACCUMULATE_GRAD:  # engine.substitute(accumulate_grad=)
        accumulate_grad(tensor, _wrap(grad) if raw else grad)
        return
    _store_grad(tensor, grad, raw, shared)


graph._accumulate_into_leaf = accumulate_into_leaf


def _call_node(node, grads, raw, shared):
    """Run one node: hooks, then its backward; returns one gradient per edge (or None)."""
    if node._pre_hooks:
        grads = _run_hooks_on(grads, node._pre_hooks, raw)
    if node._retains:
        for nr, ref in node._retains.items():
            tensor = ref()
            if tensor is not None and grads[nr] is not None:
                _store_grad(tensor, grads[nr], raw, shared | {id(grads[nr])})
    for g in grads:
        if g is not None:
            break
    else:
        return None
    if type(node) is AccumulateGrad:
        leaf = node.variable
        if leaf is not None:  # (a leaf no graph holds: nothing can read its .grad)
            accumulate_into_leaf(leaf, grads[0], raw, shared)
        if node._hooks:  # PyTorch calls them with no grad_inputs
            for hook in list(node._hooks.values()):
                hook((), tuple(_wrap(g) for g in grads) if raw else tuple(grads))
        return ()
    builtin = isinstance(node, BackwardFunction) and node._array_backward
    if not builtin and len(grads) > 1 and getattr(node, "materialize_grads", False):
        # A user's backward gets zeros, not None, for outputs that received no gradient.
        xp = backend.array_module(_unwrap(next(g for g in grads if g is not None)))
        grads = [
            g if g is not None or m is None else xp.zeros(m[0], dtype=m[1].np)
            for g, m in zip(grads, node._outputs_meta)
        ]
    if raw and not builtin:  # a user's Function sees tensors, always
        result = node.apply(*[_wrap(g) for g in grads])
        result = list(result) if type(result) is tuple else [result]
        if isinstance(node, BackwardFunction):
            result = _validate(node, result, False)
        result = [_unwrap(g) for g in result]
        shared.update(id(g) for g in result if g is not None)  # it may return saved tensors
    else:
        result = node.apply(*grads)
        result = list(result) if type(result) is tuple else [result]
        if isinstance(node, BackwardFunction):
            result = _validate(node, result, raw)
        if raw:
            _track_sharing(result, shared)
    if node._hooks:
        for hook in list(node._hooks.values()):
            new = hook(tuple(_wrap(g) for g in result) if raw else tuple(result),
                       tuple(_wrap(g) for g in grads) if raw else tuple(grads))
            if new is not None:
                result = [_unwrap(g) for g in new] if raw else list(new)
    return result


def _track_sharing(outgoing, shared):
    """Remember a gradient array sent along two edges (``Add`` passes ``g`` to both inputs):
    it must be copied before becoming a .grad. (A shared array passed through stays shared:
    it is the same object, already in ``shared``.)"""
    seen = set()
    for g in outgoing:
        if g is not None:
            key = id(g)
            if key in seen:
                shared.add(key)
            seen.add(key)


_SKIP = object()


def _general_step(node, grads, raw, shared, inputs, accumulate, captures, captured, needed,
                  anomaly):
    """One node, with everything the lean path leaves out: ``inputs`` (capture, pruning),
    anomaly checks, and gradients as tensors (``create_graph``)."""
    if inputs is not None:
        hooked = None
        for nr in range(len(grads)):
            for i in captures.get((node, nr), ()):
                if hooked is None:
                    hooked = grads if node in needed else _tensor_hooked(node, grads, raw)
                captured[i] = hooked[nr]
        if accumulate and (node, 0) in captures and type(node) is not AccumulateGrad:
            for i in captures[(node, 0)]:
                # A tensor that retains its grad gets it from the node's retain hook.
                if grads[0] is not None and not inputs[i]._retains_grad:
                    _store_grad(inputs[i], grads[0], raw, shared | {id(grads[0])})
        if node not in needed:
            return _SKIP
        if not accumulate and type(node) is AccumulateGrad:
            return _SKIP
    if anomaly:
        return _call_with_anomaly(node, grads, raw, shared)
    return _call_node(node, grads, raw, shared)


def run_backward(roots, grad_roots, retain_graph=None, create_graph=False, inputs=None,
                 accumulate=True, allow_unused=False):
    """Backpropagate from ``roots``. With ``accumulate=False`` (``autograd.grad``) return the
    gradients of ``inputs`` instead of adding them into ``.grad``."""
    if retain_graph is None:
        retain_graph = create_graph
    raw = not create_graph
    root = roots[0] if len(roots) == 1 and grad_roots[0] is None and raw else None
    if root is not None and root._requires_grad and root._data.size == 1:
        # The usual loss.backward(): one scalar root and its implicit gradient, 1.
        grad = _one(root._data)
        node = root.grad_fn
        pairs = ((node, root._output_nr, grad) if node is not None
                 else (accumulator_of(root), 0, grad),)
    else:
        pairs = _root_gradients(roots, grad_roots, raw)
    # Arrays a caller handed in may be held elsewhere: never make them a .grad uncopied.
    if len(pairs) == 1:
        root_nodes = [pairs[0][0]]
        shared = {id(pairs[0][2])}
    else:
        root_nodes = list(dict.fromkeys([node for node, _, _ in pairs]))
        shared = {id(grad) for _, _, grad in pairs}
    # A node's inputs always exist before it, so creation order (``_seq``) descending is a
    # topological order, and the very order PyTorch's ready-queue produces. No dependency
    # counting needed: sort what is reachable, then walk it once.
    order = topological_order(root_nodes)

    captures = {}  # (node, output_nr) -> indices into inputs
    needed = None
    if inputs is not None:
        for i, t in enumerate(inputs):
            if not t._requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            key = (t.grad_fn, t._output_nr) if t.grad_fn is not None else (accumulator_of(t), 0)
            captures.setdefault(key, []).append(i)
        needed = _needed(root_nodes, {node for node, _ in captures}, accumulate)
    captured = [None] * (len(inputs) if inputs is not None else 0)

    buffers = {}
    for node, nr, grad in pairs:
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * (
                1 if node._outputs_meta is None else len(node._outputs_meta))
        buf[nr] = grad if buf[nr] is None else buf[nr] + grad

    prev_enabled, prev_accumulate = _grad_state.enabled, _run_state.accumulate
    grad_mode.switch(create_graph)
    _run_state.accumulate = accumulate
    anomaly = anomaly_mode._state.enabled
    general = inputs is not None or anomaly or not raw
    # inf and nan in gradients are values, not warnings: one quiet() for the whole pass (the
    # ops' backward formulas have none of their own; Node.__call__ has its own).
    quiet = dual.quiet().__enter__()
    try:
        for node in order:
            grads = buffers.pop(node, None)
            if grads is None:  # no gradient reached this node
                if not retain_graph and node._saved is not None:
                    node._release()
                continue
            if general:
                out = _general_step(node, grads, raw, shared, inputs, accumulate, captures,
                                    captured, needed, anomaly)
                if out is _SKIP:
                    continue
            elif not node._hooked:
                # The common case, kept lean: no hooks, gradients as raw arrays.
                if type(node) is AccumulateGrad:
                    leaf = node._variable_ref()
                    if leaf is None:  # see _call_node
                        continue
                    if leaf._hooks or accumulate_grad is not _ENGINE_ACCUMULATE_GRAD:
                        accumulate_into_leaf(leaf, grads[0], True, shared)
                    elif leaf._grad is None:
                        g = grads[0]
                        leaf._grad = make_tensor(g if _owned(g, shared) else g.copy())
                    else:
                        stored = leaf._grad
                        stored._data += grads[0]
                        if not stored._inference:
                            stored._vc[0] += 1  # its _bump(), inline
                    continue
                if node._array_backward and len(grads) == 1:
                    result = node._forward_cls.backward(node, grads[0])
                    if type(result) is tuple:
                        out = _validate(node, list(result), True)
                        if len(out) == 2:
                            first, second = out
                            if first is second and first is not None:
                                shared.add(id(first))  # Add sends g along both edges
                        elif len(out) > 2:
                            _track_sharing(out, shared)
                    else:
                        out = _validate(node, [result], True)
                else:
                    out = _call_node(node, grads, raw, shared)
            else:
                out = _call_node(node, grads, raw, shared)
            if not retain_graph and node._saved is not None:
                node._release()
            if out is None:
                continue
            for edge, grad in zip(node._edges, out):
                if grad is None or edge is None:
                    continue
                child = edge[0]
                if child is None:
                    continue
                buf = buffers.get(child)
                if buf is None:
                    buf = buffers[child] = [None] * (
                        1 if child._outputs_meta is None else len(child._outputs_meta))
                nr = edge[1]
                buf[nr] = grad if buf[nr] is None else buf[nr] + grad  # a new array
    finally:
        quiet.__exit__(None, None, None)
        grad_mode.switch(prev_enabled)
        _run_state.accumulate = prev_accumulate

    if inputs is not None and not accumulate:
        for i, grad in enumerate(captured):
            if grad is None and not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
        return tuple(_wrap(g) for g in captured)
    return None


def _call_with_anomaly(node, grads, raw, shared):
    try:
        out = _call_node(node, grads, raw, shared)
        if anomaly_mode._state.check_nan and out is not None:
            _check_nan(node, out)
        return out
    except Exception:
        if node._traceback:
            warnings.warn(
                f"Error detected in {node.name()}. Traceback of forward call that caused the "
                f"error:\n{node._traceback}",
                stacklevel=2,
            )
        raise
