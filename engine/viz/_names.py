"""Names for the tensors in a picture.

A tensor is called, in this order of preference:

1. by the key it has in ``params`` / ``names`` (``{"w": w}``, or
   ``dict(model.named_parameters())``);
2. by its ``.name`` attribute (a free slot: ``w.name = "weight"``);
3. by the variable that holds it in the code that called ``draw`` (its local variables, then
   its global ones; names starting with ``_`` are skipped, and so are IPython's ``_5``
   history entries). A variable holding a module (anything with ``named_parameters()``)
   names its parameters ``model.0.weight``. Pass ``names=False`` to turn this guessing off.

Tensors that are the result of an operation (``h = x @ W``) get their names the same way:
they are matched to the graph by their ``grad_fn``. Their values then appear in the values
view too.
"""

from __future__ import annotations

import sys

from .._tensor import Tensor

_PACKAGE = __name__.rpartition(".")[0]  # "engine.viz"


def caller_frame():
    """The frame of the first caller outside ``engine.viz`` (who called draw & co.)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(_PACKAGE):
        frame = frame.f_back
    return frame


def _pairs(mapping):
    if mapping is None or mapping is False:
        return []
    items = mapping.items() if hasattr(mapping, "items") else mapping
    pairs = []
    for name, value in items:
        if isinstance(value, Tensor):
            pairs.append((str(name), value))
    return pairs


def _frame_pairs(frame):
    if frame is None:
        return []
    pairs = []
    scopes = [frame.f_locals]
    if frame.f_globals is not frame.f_locals:
        scopes.append(frame.f_globals)
    for scope in scopes:
        for var, value in list(scope.items()):
            if not isinstance(var, str) or var.startswith("_"):
                continue
            if isinstance(value, Tensor):
                pairs.append((var, value))
            elif not isinstance(value, type) and callable(
                getattr(type(value), "named_parameters", None)
            ):
                try:
                    pairs.extend((f"{var}.{p}", t) for p, t in value.named_parameters())
                except Exception:  # noqa: BLE001 - a guess must never break a picture
                    continue
    return pairs


class Names:
    """Who is called what: tensors by identity, op results by ``(grad_fn, output_nr)``."""

    def __init__(self, params=None, names=None, frame=None):
        explicit = _pairs(params) + _pairs(names)
        guessed = _frame_pairs(frame) if names is not False else []
        self._by_id = {}  # id(tensor) -> (tensor, name); the tensor keeps the id valid
        self._outputs = {}  # (node, output_nr) -> (tensor, name)
        for name, t in explicit:
            self._add(t, name)
        self._explicit = set(self._by_id)
        for name, t in guessed:
            self._add(t, name)

    def _add(self, tensor, name):
        self._by_id.setdefault(id(tensor), (tensor, name))
        if tensor.grad_fn is not None:
            self._outputs.setdefault((tensor.grad_fn, tensor._output_nr), (tensor, name))

    def add_tensor(self, tensor):
        """Make ``tensor`` (e.g. the one passed to draw) known as an op result."""
        if tensor.grad_fn is not None:
            self._outputs.setdefault((tensor.grad_fn, tensor._output_nr), (tensor, None))

    def name_of(self, tensor):
        """The name of ``tensor``, or None."""
        entry = self._by_id.get(id(tensor))
        if entry is not None and entry[0] is tensor and id(tensor) in self._explicit:
            return entry[1]
        if tensor.name is not None:
            return str(tensor.name)
        return entry[1] if entry is not None and entry[0] is tensor else None

    def output(self, node, output_nr=0):
        """``(tensor, name)`` for a known result of ``node``, else ``(None, None)``."""
        entry = self._outputs.get((node, output_nr))
        if entry is None:
            return None, None
        return entry[0], self.name_of(entry[0])
