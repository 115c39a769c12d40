"""Walk the backward graph into a small, neutral picture model (nodes, edges, labels).

The model knows nothing about Graphviz (``dot.py`` draws it) and nothing about the engine's
execution (``steps.py`` lays gradients over it). Node ids are stable and readable, so the
DOT text can be tested:

=============  =====================================================================
id             what
=============  =====================================================================
``out{i}``     the i-th tensor passed to ``draw`` (graph view)
``n{k}``       the k-th backward node (a ``grad_fn`` or an ``AccumulateGrad``), k in BFS order
               from the outputs
``leaf{k}``    the leaf tensor of ``AccumulateGrad`` number k
``s{k}_{j}``   the j-th tensor saved by node k (``show_saved=True``)
``cut{k}_{i}`` the i-th edge of node k is ``(None, 0)``: an input without grad
``more``       "… N more": the nodes left out beyond ``max_nodes``
=============  =====================================================================

Graph-view edges run from a node to its ``next_functions``, in their order: the direction
in which gradients flow, so the output sits at the top.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .._tensor import Tensor
from ..autograd.graph import AccumulateGrad
from ._format import meta_text

_FREED_HINT = "(backward ran without\nretain_graph=True)"


@dataclass
class VNode:
    id: str
    kind: str  # output | op | accumulate | leaf | value | saved | cut | more
    lines: list
    ref: object = None  # the backward node (or leaf tensor) this box stands for
    state: str = ""  # "" | "current" | "done" (steps)
    grad_line: int = -1  # values view: index of the "grad: …" line


@dataclass
class VEdge:
    src: str
    dst: str
    kind: str  # next | leaf | output | saved | cut | more | data
    key: tuple = None  # ("edge", k, i): next_functions[i] of node k; ("root", r)
    label: str = ""


@dataclass
class Model:
    view: str
    nodes: dict = field(default_factory=dict)  # id -> VNode, in drawing order
    edges: list = field(default_factory=list)
    index: dict = field(default_factory=dict)  # backward node -> k
    order: list = field(default_factory=list)  # kept backward nodes, BFS order
    hidden: int = 0  # backward nodes left out (max_nodes)
    legend: bool = True

    def add(self, node):
        self.nodes[node.id] = node
        return node

    def link(self, src, dst, kind, key=None, label=""):
        edge = VEdge(src, dst, kind, key, label)
        self.edges.append(edge)
        return edge


def root_node(tensor):
    """The backward node a root tensor starts from (None for a leaf or a constant)."""
    return tensor.grad_fn


def walk(roots, max_nodes):
    """The backward nodes reachable from ``roots``' ``grad_fn``s in BFS order (each once,
    edges in ``next_functions`` order); the first ``max_nodes`` kept, the rest counted.
    Returns ``(kept, hidden_count, starts)``, ``starts[r]`` the node root r starts from."""
    starts = []
    for t in roots:
        node = root_node(t)
        if node is None and t.requires_grad:
            node = next((s for s in starts if getattr(s, "variable", None) is t), None)
            node = node or leaf_accumulator(t)
        starts.append(node)
    start = list(dict.fromkeys(n for n in starts if n is not None))
    order, seen, queue = [], set(start), deque(start)
    while queue:
        node = queue.popleft()
        order.append(node)
        for child, _ in node.next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                queue.append(child)
    if max_nodes is not None and len(order) > max_nodes:
        return order[:max_nodes], len(order) - max_nodes, starts
    return order, 0, starts


class _LeafStandIn:
    """A root that is itself a leaf and was never used by a recorded op has no AccumulateGrad;
    the picture does not make one (drawing should not change what it draws). It stands in,
    with the leaf as ``variable``."""

    def __init__(self, tensor):
        self.variable = tensor
        self.next_functions = ()
        self._seq = -1

    def name(self):
        return "AccumulateGrad"


def leaf_accumulator(tensor):
    acc = tensor._acc
    return acc if acc is not None else _LeafStandIn(tensor)


def is_accumulator(node):
    return type(node) is AccumulateGrad or type(node) is _LeafStandIn


def leaf_title(tensor, names):
    return names.name_of(tensor) or "leaf"


def saved_entries(node):
    """What ``node`` saved for backward: a list of ``(role, tensor_or_array, note)`` with role
    ``input``, ``result`` (the node's own output) or ``constant`` (made inside forward), or the
    string ``"freed"`` once backward has released them. Plain numbers are left out.

    The public ``node.saved_tensors`` says whether they were freed; the entries themselves
    (``node._saved``: ``(kind, obj, version)``) say where each tensor came from, and their
    versions show a tensor modified in place since it was saved.
    """
    raw = getattr(node, "_saved", None)
    if raw is None:
        return []
    if not isinstance(raw, tuple):  # the sentinel left by a backward without retain_graph
        try:
            _ = node.saved_tensors  # the public way to ask: it raises PyTorch's error
        except RuntimeError:
            return "freed"
        return []
    entries = []
    for entry in raw:
        kind, obj, version = entry[0], entry[1], entry[2]
        if kind == 1 and isinstance(obj, Tensor):  # an input
            entries.append(("input", obj, _version_note(obj._vc[0], version)))
        elif kind == 2:  # the node's own output: (array, version counter, output_nr, ...)
            entries.append(("result", obj[0], _version_note(obj[1][0], version)))
        elif isinstance(obj, Tensor) or hasattr(obj, "shape") and hasattr(obj, "dtype"):
            entries.append(("constant", obj, ""))  # an array made inside forward
    return entries


def _version_note(now, saved):
    if now == saved:
        return ""
    return f"modified in-place\n(version {now}, saved at {saved})"


def saved_array(obj):
    return obj._data if isinstance(obj, Tensor) else obj


def saved_output(node, output_nr=0):
    """The node's own output, if it saved it (``ExpBackward0``, ``ReluBackward0``, …)."""
    raw = getattr(node, "_saved", None)
    if isinstance(raw, tuple):
        for entry in raw:
            kind, obj, version = entry[0], entry[1], entry[2]
            if kind == 2 and obj[2] == output_nr and obj[1][0] == version:
                return obj[0]
    return None


def add_saved(model, node, k, names, values):
    """Small orange boxes for what node k saved, linked to it with dashed edges."""
    from ._format import array_text

    entries = saved_entries(node)
    if entries == "freed":
        model.add(VNode(f"s{k}_0", "saved", ["saved tensors freed", _FREED_HINT]))
        model.link(f"n{k}" if model.view == "graph" else f"op{k}", f"s{k}_0", "saved")
        return
    for j, (role, obj, note) in enumerate(entries):
        array = saved_array(obj)
        name = names.name_of(obj) if isinstance(obj, Tensor) else None
        if name is None and role == "result":
            name = names.output(node)[1]
        title = f"saved {role}" + (f" {name}" if name else "")
        lines = [title, meta_text(array)]
        if values:
            lines.append(array_text(array))
        if note:
            lines.append(note)
        model.add(VNode(f"s{k}_{j}", "saved", lines, ref=obj))
        model.link(f"n{k}" if model.view == "graph" else f"op{k}", f"s{k}_{j}", "saved")


def build_graph(roots, names, show_saved=False, max_nodes=60, legend=True):
    """The graph view: the backward graph exactly as the engine recorded it."""
    model = Model("graph", legend=legend)
    order, hidden, starts = walk(roots, max_nodes)
    model.order, model.hidden = order, hidden
    model.index = {node: k for k, node in enumerate(order)}

    for r, t in enumerate(roots):
        title = names.name_of(t) or "output"
        lines = [title, meta_text(t._data)]
        if not t.requires_grad:
            lines.append("requires_grad=False:\nno graph recorded")
        model.add(VNode(f"out{r}", "output", lines, ref=t))
    for k, node in enumerate(order):
        kind = "accumulate" if is_accumulator(node) else "op"
        model.add(VNode(f"n{k}", kind, [node.name()], ref=node))
        if kind == "accumulate":
            leaf = node.variable
            model.add(VNode(f"leaf{k}", "leaf",
                            [leaf_title(leaf, names), meta_text(leaf._data)], ref=leaf))
    if hidden:
        model.add(VNode("more", "more", [f"… {hidden} more"]))

    for r, t in enumerate(roots):
        node = starts[r]
        if node is not None and node in model.index:
            nr = t._output_nr if t.grad_fn is not None else 0
            label = f"output {nr}" if _outputs(node) > 1 else ""
            model.link(f"out{r}", f"n{model.index[node]}", "output", ("root", r), label)
    for k, node in enumerate(order):
        if is_accumulator(node):
            model.link(f"n{k}", f"leaf{k}", "leaf", ("leaf", k))
        for i, (child, nr) in enumerate(node.next_functions):
            key = ("edge", k, i)
            if child is None:
                model.add(VNode(f"cut{k}_{i}", "cut", ["no grad"]))
                model.link(f"n{k}", f"cut{k}_{i}", "cut", key)
            elif child in model.index:
                label = f"output {nr}" if _outputs(child) > 1 else ""
                model.link(f"n{k}", f"n{model.index[child]}", "next", key, label)
            else:
                model.link(f"n{k}", "more", "more", key)
        if show_saved:
            add_saved(model, node, k, names, values=False)
    return model


def _outputs(node):
    count = getattr(node, "_output_count", None)
    return count() if count is not None else 1


__all__ = ["Model", "VNode", "VEdge", "walk", "build_graph", "saved_entries"]
