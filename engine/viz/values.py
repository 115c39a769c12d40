"""The values view (micrograd style): every value with its data and grad, the ops between.

What is shown, and where it comes from (a picture never computes anything):

* a **leaf** (``leaf{k}``): its data and its ``.grad`` — ``grad: not computed`` while
  ``.grad`` is None (before any backward, or after ``zero_grad(set_to_none=True)``);
* an **op result** (``v{k}``, or ``v{k}_{nr}`` for output ``nr`` > 0 of a node with several):
  its data when some tensor still holds it — a tensor passed to ``draw``, a tensor named in
  ``params``/``names`` or held by a variable of the caller, the node's own output saved for
  backward, or an input saved by the op that consumed it — otherwise ``data: not kept``.
  Its grad only when the tensor is at hand and ``retain_grad()`` was called (``grad: not
  retained`` otherwise): an op result's gradient is not stored by backward;
* an **op** (``op{k}``): the grad_fn's name without ``Backward0`` (``Mul``, ``Sum``);
* an input without grad (a constant, or a detached tensor) as a cut: ``cut{k}_{i}``.

Edges follow the data, left to right: ``leaf → op → value → op → … → output``.
"""

from __future__ import annotations

import re

from ._format import array_text, meta_text
from .graph import (
    Model,
    VNode,
    add_saved,
    is_accumulator,
    leaf_title,
    saved_output,
    walk,
)


def op_title(node):
    return re.sub(r"Backward\d*$", "", node.name()) or node.name()


def _grad_line(tensor):
    if tensor is None:
        return "grad: not retained"
    if tensor.grad_fn is not None and not tensor._retains_grad:
        return "grad: not retained"
    if tensor._grad is None:
        return "grad: not computed"
    return "grad: " + array_text(tensor._grad._data)


def _consumer_saved(order):
    """Op results that a consumer saved as an input: ``(node, nr) -> tensor``."""
    found = {}
    for node in order:
        raw = getattr(node, "_saved", None)
        if not isinstance(raw, tuple):
            continue
        for entry in raw:
            kind, obj, version = entry[0], entry[1], entry[2]
            if kind == 1 and obj.grad_fn is not None and obj._vc[0] == version:
                found.setdefault((obj.grad_fn, obj._output_nr), obj)
    return found


def _value_node(vid, node, nr, names, consumed, kind):
    tensor, name = names.output(node, nr)
    if tensor is None:
        tensor = consumed.get((node, nr))
    title = name or ("output" if kind == "output" else "value")
    if tensor is not None:
        data = tensor._data
    else:
        data = saved_output(node, nr)
    if data is None:
        lines = [title, "data: not kept"]
    else:
        lines = [title, meta_text(data), "data: " + array_text(data)]
    lines.append(_grad_line(tensor))
    return VNode(vid, kind, lines, ref=node, grad_line=len(lines) - 1)


def _leaf_node(vid, leaf, names, kind="leaf"):
    lines = [leaf_title(leaf, names), meta_text(leaf._data), "data: " + array_text(leaf._data),
             _grad_line(leaf)]
    return VNode(vid, kind, lines, ref=leaf, grad_line=3)


def build_values(roots, names, show_saved=False, max_nodes=60, legend=True):
    model = Model("values", legend=legend)
    order, hidden, starts = walk(roots, max_nodes)
    model.order, model.hidden = order, hidden
    model.index = {node: k for k, node in enumerate(order)}
    consumed = _consumer_saved(order)
    root_keys = {}  # (node, nr) of a root -> True
    for t in roots:
        if t.grad_fn is not None:
            root_keys[(t.grad_fn, t._output_nr)] = True

    def value_id(node, nr):
        k = model.index[node]
        if is_accumulator(node):
            return f"leaf{k}"
        return f"v{k}" if nr == 0 else f"v{k}_{nr}"

    def ensure_value(node, nr):
        vid = value_id(node, nr)
        if vid not in model.nodes:
            kind = "output" if (node, nr) in root_keys else "value"
            model.add(_value_node(vid, node, nr, names, consumed, kind))
            model.link(f"op{model.index[node]}", vid, "data")
        return vid

    for r, t in enumerate(roots):
        if t.grad_fn is None:  # a leaf (or a constant) as the output: just its box
            if starts[r] is None or starts[r] not in model.index:
                model.add(_leaf_node(f"out{r}", t, names, kind="output"))
    for k, node in enumerate(order):
        if is_accumulator(node):
            kind = "output" if any(t is node.variable for t in roots) else "leaf"
            model.add(_leaf_node(f"leaf{k}", node.variable, names, kind))
        else:
            model.add(VNode(f"op{k}", "op", [op_title(node)], ref=node))
    for t in roots:
        if t.grad_fn is not None and t.grad_fn in model.index:
            ensure_value(t.grad_fn, t._output_nr)
    if hidden:
        model.add(VNode("more", "more", [f"… {hidden} more"]))

    for k, node in enumerate(order):
        if is_accumulator(node):
            continue
        for i, (child, nr) in enumerate(node.next_functions):
            key = ("edge", k, i)
            if child is None:
                model.add(VNode(f"cut{k}_{i}", "cut", ["no grad"]))
                model.link(f"cut{k}_{i}", f"op{k}", "cut", key)
            elif child in model.index:
                model.link(ensure_value(child, nr), f"op{k}", "data", key)
            else:
                model.link("more", f"op{k}", "more", key)
        if show_saved:
            add_saved(model, node, k, names, values=True)
    _ensure_outputs_of_ops(model, order, ensure_value)
    return model


def _ensure_outputs_of_ops(model, order, ensure_value):
    """Every op gets a box for its result, even one whose consumer was left out."""
    has_result = {e.src for e in model.edges if e.kind == "data"}
    for node in order:
        if not is_accumulator(node) and f"op{model.index[node]}" not in has_result:
            ensure_value(node, 0)


__all__ = ["build_values", "op_title"]
