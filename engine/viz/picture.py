"""``draw``: a picture of the backward graph of one or more tensors."""

from __future__ import annotations

from .._tensor import Tensor
from ._names import Names, caller_frame
from .dot import to_digraph
from .graph import build_graph
from .values import build_values

VIEWS = ("graph", "values")


def as_roots(tensor_or_tensors):
    if isinstance(tensor_or_tensors, Tensor):
        return [tensor_or_tensors]
    roots = list(tensor_or_tensors)
    if not roots or not all(isinstance(t, Tensor) for t in roots):
        raise TypeError("draw() takes a Tensor or a non-empty sequence of Tensors")
    return roots


def make_names(roots, params, names, frame):
    known = Names(params, names, frame)
    for t in roots:
        known.add_tensor(t)
    return known


def build_model(roots, known, view, show_saved, max_nodes, legend):
    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}, got {view!r}")
    if max_nodes is not None and max_nodes < 1:
        raise ValueError("max_nodes must be at least 1 (or None for no limit)")
    build = build_graph if view == "graph" else build_values
    return build(roots, known, show_saved=show_saved, max_nodes=max_nodes, legend=legend)


def draw(tensor_or_tensors, params=None, view="graph", show_saved=False, max_nodes=60,
         names=None, legend=True):
    """A picture of the graph that ends in ``tensor_or_tensors``: a ``graphviz.Digraph``.

    ``view="graph"``: the backward graph exactly as the engine recorded it (as PyTorch
    records it): one box per ``grad_fn`` node (``MulBackward0``), ``AccumulateGrad`` nodes,
    the leaves (name, shape, dtype), the output at the top, and edges from each node to its
    ``next_functions`` in their order. A ``(None, 0)`` edge (an input that does not require
    grad: a constant or a detached tensor) is drawn as a dashed grey cut.

    ``view="values"``: micrograd's picture: each value with its data and grad, and the ops
    between them (see ``engine.viz.values`` for what can be shown for an op's result).
    ``grad: not computed`` means ``.grad`` is None (no backward yet), not zero.

    ``params``: ``{name: tensor}`` (e.g. ``dict(model.named_parameters())``) to name tensors.
    ``names``: more ``{name: tensor}`` pairs, or ``False`` to stop guessing names from the
    caller's variables (see ``engine.viz._names``). ``show_saved``: draw what each node saved
    for backward. ``max_nodes``: keep the nodes nearest the output (BFS), one "… N more" box
    for the rest. ``legend=False``: no legend.

    Displays inline in Jupyter; ``.render(format="svg")`` writes a file; ``.source`` is the
    DOT text (even without Graphviz's ``dot`` program).
    """
    roots = as_roots(tensor_or_tensors)
    frame = caller_frame() if names is not False else None
    try:
        known = make_names(roots, params, names, frame)
    finally:
        del frame
    model = build_model(roots, known, view, show_saved, max_nodes, legend)
    return to_digraph(model)
