"""``engine.viz``: pictures of the backward graph (Graphviz), for notebooks and docs.

    from engine import viz
    viz.draw(loss)                       # the backward graph, as the engine records it
    viz.draw(loss, view="values")        # each value with its data and grad
    viz.draw(loss, show_saved=True)      # plus the tensors saved for backward
    viz.show_steps(loss)                 # the backward pass, one node at a time

Pictures are ``graphviz.Digraph`` objects: they display inline in Jupyter, render with
``.render(format="svg")`` and keep their DOT text in ``.source``. Rendering needs Graphviz's
``dot`` program; without it, rendering raises :class:`GraphvizNotFound`, which says how to
install it.
"""

from .dot import GraphPicture, GraphvizNotFound
from .picture import draw
from .steps import Step, backward_steps, execution_order, show_steps

__all__ = ["draw", "backward_steps", "show_steps", "execution_order", "Step", "GraphPicture",
           "GraphvizNotFound"]
