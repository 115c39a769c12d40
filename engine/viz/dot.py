"""Draw a picture model with Graphviz: one style and one legend for every view.

The result is a :class:`GraphPicture`, a ``graphviz.Digraph`` that displays inline in
Jupyter and renders with ``.render(format="svg")``. Without Graphviz's ``dot`` program it is
still built (its ``.source`` holds the DOT text); rendering raises :class:`GraphvizNotFound`
with install instructions, and a notebook shows those and the DOT text instead of a picture.
"""

from __future__ import annotations

import html

try:
    import graphviz
except ImportError as exc:  # pragma: no cover - the `test` and `course` extras install it
    raise ImportError(
        "engine.viz needs the graphviz Python package: pip install graphviz "
        "(and Graphviz's `dot` program to render the pictures)"
    ) from exc

INSTALL_HELP = """\
Graphviz's `dot` program was not found, so this graph picture cannot be rendered.
Install Graphviz, then restart the Python kernel:
  Debian/Ubuntu:  `make lab` and `make test` install it when run as root
                  (or: sudo apt-get install graphviz)
  macOS:          brew install graphviz
  conda:          conda install -c conda-forge graphviz
  Windows:        winget install graphviz   (or: choco install graphviz)
The picture itself is fine: its DOT text is still in `.source` (paste it into any Graphviz
viewer)."""


class GraphvizNotFound(RuntimeError):
    """Graphviz's ``dot`` program is missing; the message says how to install it."""

    def __init__(self, message=INSTALL_HELP):
        super().__init__(message)


class GraphPicture(graphviz.Digraph):
    """A ``graphviz.Digraph`` that explains a missing ``dot`` instead of crashing.

    ``model`` is the picture model it was drawn from (``engine.viz.graph.Model``) and, for a
    picture from ``backward_steps``, ``step`` describes the step.
    """

    model = None
    step = None

    def pipe(self, *args, **kwargs):
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as exc:
            raise GraphvizNotFound() from exc

    def render(self, *args, **kwargs):
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as exc:
            raise GraphvizNotFound() from exc

    def view(self, *args, **kwargs):
        try:
            return super().view(*args, **kwargs)
        except graphviz.ExecutableNotFound as exc:
            raise GraphvizNotFound() from exc

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except GraphvizNotFound as exc:
            text = f"{exc}\n\nDOT source:\n{self.source}"
            return {
                "text/plain": text,
                "text/html": f"<pre>{html.escape(text)}</pre>",
            }


# -- one style ------------------------------------------------------------------------------

FONT = "Helvetica"
NODE_STYLE = {
    "output": {"shape": "box", "style": "filled", "fillcolor": "darkolivegreen1"},
    "op": {"shape": "box", "style": "rounded,filled", "fillcolor": "lightgrey"},
    "accumulate": {"shape": "box", "style": "rounded,filled", "fillcolor": "lightgrey"},
    "leaf": {"shape": "box", "style": "filled", "fillcolor": "lightblue"},
    "value": {"shape": "box", "style": "filled", "fillcolor": "white"},
    "saved": {"shape": "box", "style": "filled", "fillcolor": "orange", "fontsize": "9"},
    "cut": {"shape": "plaintext", "fontcolor": "grey40", "fontsize": "9"},
    "more": {"shape": "box", "style": "dashed", "color": "grey40", "fontcolor": "grey30"},
}
VALUES_OP_STYLE = {"shape": "ellipse", "style": "filled", "fillcolor": "lightgrey"}
STATE_STYLE = {
    "current": {"color": "red", "penwidth": "3", "fillcolor": "gold"},
    "done": {"color": "goldenrod", "penwidth": "1.5", "fillcolor": "lemonchiffon"},
}
EDGE_STYLE = {
    "next": {},
    "data": {},
    "output": {},
    "leaf": {"color": "steelblue"},
    "saved": {"style": "dashed", "color": "darkorange", "arrowhead": "none"},
    "cut": {"style": "dashed", "color": "grey60", "arrowhead": "tee"},
    "more": {"style": "dotted", "color": "grey40"},
}
GRAD_LABEL_STYLE = {"fontcolor": "red3", "color": "red3", "penwidth": "2"}

LEGEND_TEXT = {
    "output": "output: the tensor drawn",
    "op": "grad_fn node (backward of an op)",
    "accumulate": "AccumulateGrad: adds into a leaf's .grad",
    "leaf": "leaf tensor that requires grad",
    "value": "result of an op",
    "saved": "tensor saved for backward",
    "cut": "no grad: a constant or a detached input\n(a (None, 0) edge: gradient stops)",
    "more": "nodes left out (max_nodes)",
    "current": "the node running now",
    "done": "nodes that already ran",
}
LEGEND_ORDER = ["output", "leaf", "op", "accumulate", "value", "saved", "cut", "more",
                "current", "done"]


def _label(lines):
    # DOT line breaks; nohtml: a label such as "<none>" is text, not an HTML label.
    return graphviz.nohtml("\\n".join(str(line).replace("\\", "\\\\")
                                      for line in lines).replace("\n", "\\n"))


def _node_attrs(model, node):
    if model.view == "values" and node.kind == "op":
        attrs = dict(VALUES_OP_STYLE)
    else:
        attrs = dict(NODE_STYLE[node.kind])
    classes = [node.kind]
    if node.state:
        attrs.update(STATE_STYLE[node.state])
        if "filled" not in attrs.get("style", "filled"):
            attrs["style"] += ",filled"
        classes.append(node.state)
    attrs["class"] = " ".join(classes)
    return attrs


def to_digraph(model, title=None):
    """Draw ``model`` as a :class:`GraphPicture`."""
    g = GraphPicture(name="backward" if model.view == "graph" else "values")
    g.graph_attr.update(rankdir="TB" if model.view == "graph" else "LR", ordering="out",
                        fontname=FONT, fontsize="11", nodesep="0.25", ranksep="0.35")
    g.node_attr.update(fontname=FONT, fontsize="11", height="0.3")
    g.edge_attr.update(fontname=FONT, fontsize="9", arrowsize="0.7")
    if title:
        g.graph_attr.update(label=_label([title]), labelloc="t")
    for node in model.nodes.values():
        g.node(node.id, _label(node.lines), **_node_attrs(model, node))
    for edge in model.edges:
        attrs = dict(EDGE_STYLE[edge.kind])
        attrs["class"] = edge.kind
        if edge.label:
            attrs["label"] = _label([edge.label])
            if edge.label.startswith("grad"):
                attrs.update(GRAD_LABEL_STYLE)
        g.edge(edge.src, edge.dst, **attrs)
    if model.legend:
        _legend(g, model)
    g.model = model
    return g


def _legend(g, model):
    present = {n.kind for n in model.nodes.values()} | {n.state for n in model.nodes.values()}
    if model.view == "values":
        present.discard("accumulate")
    kinds = [k for k in LEGEND_ORDER if k in present]
    with g.subgraph(name="cluster_legend") as c:
        c.attr(label="legend", style="rounded", color="grey70", fontcolor="grey30")
        previous = None
        for kind in kinds:
            if kind in STATE_STYLE:
                attrs = dict(NODE_STYLE["op"])
                attrs.update(STATE_STYLE[kind])
            elif model.view == "values" and kind == "op":
                attrs = dict(VALUES_OP_STYLE)
            else:
                attrs = dict(NODE_STYLE[kind])
            text = LEGEND_TEXT[kind]
            if model.view == "values" and kind == "op":
                text = "op"
            attrs.update(fontsize="9", **{"class": "legend"})
            c.node(f"legend_{kind}", _label([text]), **attrs)
            if previous is not None:  # stack the entries
                c.edge(previous, f"legend_{kind}", style="invis")
            previous = f"legend_{kind}"
