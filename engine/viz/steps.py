"""The backward pass, one node at a time: ``backward_steps`` and ``show_steps``.

The order is the engine's own: ``engine.autograd.engine_loop.topological_order`` (the
reachable nodes, latest-created first: exactly the order of PyTorch's ready queue), looked
up when called, so a substituted ordering is shown as it runs. The same rule written as
PyTorch states it (dependency counts, a heap on ``-_seq``) is the fallback.

The gradients shown are the real ones, computed once with
``engine.autograd.grad(..., retain_graph=True)`` while temporary hooks on every node record
what arrives (pre-hooks) and what leaves (post-hooks). Nothing is accumulated into any
``.grad`` (``retain_grad()`` tensors included) and the graph is not freed. Hooks you
registered yourself run too, as they would in a real backward.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, replace

import numpy

from .._tensor import Tensor
from ..autograd import engine_loop
from ..autograd import grad as autograd_grad
from ..autograd.graph import AccumulateGrad, accumulator_of
from ._format import array_text, host
from ._names import caller_frame
from .dot import to_digraph
from .picture import as_roots, build_model, make_names


@dataclass
class Step:
    """One step of the backward pass: ``node`` runs (``index`` of ``total``, from 0)."""

    index: int
    total: int
    node: object
    grad_outputs: tuple  # arrays arriving at the node, one per output (None: nothing)
    grad_inputs: tuple  # arrays it passes on, one per next_functions entry (None: nothing)


def _root_nodes(roots):
    nodes = []
    for i, t in enumerate(roots):
        if not t.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        nodes.append(t.grad_fn if t.grad_fn is not None else accumulator_of(t))
    return list(dict.fromkeys(nodes))


def execution_order(tensors):
    """The backward nodes in the order ``backward()`` from ``tensors`` runs them."""
    root_nodes = _root_nodes(as_roots(tensors))
    engine_order = getattr(engine_loop, "topological_order", None)  # looked up at call time
    if engine_order is not None:
        return list(engine_order(root_nodes))
    return _ready_queue_order(root_nodes)


def _ready_queue_order(root_nodes):
    """PyTorch's rule: a node is ready once every edge into it is done; the ready node
    created last runs first (dependency counts and a heap on ``-_seq``)."""
    deps, _ = engine_loop._discover(root_nodes)
    ready = [(-node._seq, id(node), node) for node in root_nodes if deps.get(node, 0) == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        node = heapq.heappop(ready)[2]
        order.append(node)
        for edge in node._edges:
            if edge is None or edge[0] is None:
                continue
            child = edge[0]
            deps[child] -= 1
            if deps[child] == 0:
                heapq.heappush(ready, (-child._seq, id(child), child))
    return order


def _copy(grad):
    if grad is None:
        return None
    return host(grad._data if isinstance(grad, Tensor) else grad).copy()


def _record(roots, gradient, order):
    """``{node: grad_outputs}`` and ``{node: grad_inputs}`` of one real backward pass."""
    incoming, passed, handles, retains = {}, {}, [], []

    def prehook(node):
        def hook(grad_outputs):
            incoming[node] = tuple(_copy(g) for g in grad_outputs)
        return hook

    def posthook(node):
        def hook(grad_inputs, grad_outputs):
            per_edge = [g for e, g in zip(node._edges, grad_inputs) if e is not None]
            passed[node] = tuple(_copy(g) for g in per_edge)
        return hook

    for node in order:
        if type(node) is AccumulateGrad:
            continue
        handles.append(node.register_prehook(prehook(node)))
        handles.append(node.register_hook(posthook(node)))
        if node._retains:  # autograd.grad would write their .grad: not ours to touch
            retains.append((node, node._retains))
            node._retains = None
    leaves = [node.variable for node in order if type(node) is AccumulateGrad]
    leaves = [leaf for leaf in leaves if leaf is not None]  # a leaf nothing else refers to
    try:
        grads = autograd_grad(roots, leaves, gradient, retain_graph=True, allow_unused=True)
    finally:
        for handle in handles:
            handle.remove()
        for node, kept in retains:
            node._retains = kept
    for leaf, grad in zip(leaves, grads):
        incoming[leaf._acc] = (_copy(grad),)
    return incoming, passed


def _text(array):
    return "None" if array is None else array_text(array)


def _overlay(model, step, done, roots, gradient):
    """A copy of ``model`` with ``step`` highlighted and its gradients written on it."""
    nodes = {i: replace(n, lines=list(n.lines)) for i, n in model.nodes.items()}
    edges = [replace(e) for e in model.edges]
    out = replace(model, nodes=nodes, edges=edges)
    graph = model.view == "graph"
    for node, grads in done.items():
        k = model.index.get(node)
        if k is None:
            continue
        current = node is step.node
        box = nodes.get(f"n{k}" if graph else (f"leaf{k}" if _is_acc(node) else f"op{k}"))
        if box is not None:
            box.state = "current" if current else "done"
        if graph and current:
            box.lines.append("grad in: " + _grads_text(grads))
        if not graph:
            _values_grad(nodes, node, k, grads)
    k = model.index.get(step.node)
    if k is not None:
        for e in edges:
            if e.key is None:
                continue
            if e.kind == "cut":  # nothing flows into a constant
                continue
            if e.key[0] == "edge" and e.key[1] == k and e.key[2] < len(step.grad_inputs):
                e.label = "grad: " + _text(step.grad_inputs[e.key[2]])
            elif e.key == ("leaf", k):
                e.label = "grad: " + _text(step.grad_outputs[0])
            elif e.key[0] == "root" and e.dst == f"n{k}":
                e.label = "grad: " + _text(_root_grad(roots, gradient, e.key[1]))
    return out


def _root_grad(roots, gradient, r):
    """The gradient backward starts root ``r`` with (ones for a one-element output)."""
    given = gradient[r] if gradient is not None else None
    if given is None:
        return numpy.ones_like(host(roots[r]._data))
    return host(given._data) if isinstance(given, Tensor) else numpy.asarray(given)


def _is_acc(node):
    return type(node) is AccumulateGrad


def _grads_text(grads):
    if len(grads) == 1:
        return _text(grads[0])
    return "; ".join(f"[{i}] {_text(g)}" for i, g in enumerate(grads))


def _values_grad(nodes, node, k, grads):
    if _is_acc(node):
        box = nodes.get(f"leaf{k}")
        if box is not None:
            box.lines.append("backward adds: " + _text(grads[0]))
        return
    for nr, g in enumerate(grads):
        box = nodes.get(f"v{k}" if nr == 0 else f"v{k}_{nr}")
        if box is not None and box.grad_line >= 0:
            box.lines[box.grad_line] = "grad: " + _text(g)


def backward_steps(tensors, gradient=None, params=None, view="graph", show_saved=False,
                   max_nodes=60, names=None, legend=True):
    """One picture per backward node, in the order the engine runs them (an iterator).

    Each picture highlights the node that runs (red border; the ones that ran before are
    outlined), writes the gradient that arrives at it (``grad in``) and labels the edges with
    the gradients it passes on. ``picture.step`` is a :class:`Step` with the same arrays.
    The arguments are ``draw``'s, plus ``gradient`` as in ``backward(gradient)``.
    ``.grad`` is not touched and the graph is not freed. The gradients are computed when
    this is called; each picture is drawn when it is reached.
    """
    return iter(step_pictures(tensors, gradient, params, view, show_saved, max_nodes, names,
                              legend))


def step_pictures(tensors, gradient=None, params=None, view="graph", show_saved=False,
                  max_nodes=60, names=None, legend=True):
    """``backward_steps`` as a :class:`StepPictures` sequence (``len``, indexing)."""
    roots = as_roots(tensors)
    order = execution_order(roots)  # holds the nodes (a root leaf's accumulator) alive
    if gradient is not None and not isinstance(gradient, (list, tuple)):
        gradient = [gradient]
    incoming, passed = _record(roots, gradient, order)
    frame = caller_frame() if names is not False else None
    try:
        known = make_names(roots, params, names, frame)
    finally:
        del frame
    model = build_model(roots, known, view, show_saved, max_nodes, legend)
    return StepPictures(model, order, incoming, passed, roots, gradient)


class StepPictures:
    """The pictures of a backward pass as a sequence, each drawn when asked for."""

    def __init__(self, model, order, incoming, passed, roots, gradient):
        self._model, self._order = model, order
        self._incoming, self._passed = incoming, passed
        self._roots, self._gradient = roots, gradient
        self._position = {node: i for i, node in enumerate(order)}

    def __len__(self):
        return len(self._order)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError("step index out of range")
        index %= len(self)
        node, order, model = self._order[index], self._order, self._model
        grads = self._incoming.get(node, (None,))
        step = Step(index, len(order), node, grads, self._passed.get(node, ()))
        done = {n: self._incoming.get(n, (None,)) for n in model.order
                if self._position.get(n, len(order)) <= index}  # only drawn nodes matter
        title = f"backward step {index + 1} of {len(order)}: {node.name()}"
        if node not in model.index:
            title += " (not drawn: beyond max_nodes)"
        picture = to_digraph(_overlay(model, step, done, self._roots, self._gradient),
                             title=title)
        picture.step = step
        return picture


def show_steps(tensors, limit=50, **kwargs):
    """Show the backward pass of ``tensors`` in a notebook, one picture per node.

    With ipywidgets: a slider over the steps (each picture drawn when shown). Without it:
    the first ``limit`` pictures one after another (``limit=None``: all of them). The
    keyword arguments are ``backward_steps``'s.
    """
    pictures = step_pictures(tensors, **kwargs)
    shown = len(pictures) if limit is None else min(limit, len(pictures))
    rest = len(pictures) - shown
    note = None
    if rest:
        note = (f"… {rest} more step{'s' if rest != 1 else ''}: install ipywidgets for a "
                "slider, or iterate engine.viz.backward_steps(...)")
    try:
        from IPython.display import display
    except ImportError:  # plain Python: the DOT text is all there is to show
        for i in range(shown):
            print(pictures[i].source)
        if note:
            print(note)
        return None
    try:
        import ipywidgets
    except ImportError:
        ipywidgets = None
    if ipywidgets is None:
        for i in range(shown):
            display(pictures[i])
        if note:
            print(note)
        return None
    slider = ipywidgets.IntSlider(value=1, min=1, max=len(pictures), description="step")
    out = ipywidgets.Output()

    def show(change=None):
        out.clear_output(wait=True)
        with out:
            display(pictures[slider.value - 1])

    slider.observe(show, names="value")
    show()
    display(ipywidgets.VBox([slider, out]))
    return None
