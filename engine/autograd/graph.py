"""The backward graph: nodes (``grad_fn``), their edges, and the leaves' accumulators.

A node is what ``tensor.grad_fn`` returns. Its ``next_functions`` are the edges towards the
inputs: ``(node, output_nr)`` for an input that requires grad (an ``AccumulateGrad`` for a
leaf), ``(None, 0)`` for one that does not. Nodes hold no reference to their outputs, so a
graph lives exactly as long as the tensors that end in it, as in PyTorch.
"""

from __future__ import annotations

import itertools
import weakref

_sequence = itertools.count()  # creation order; the engine runs later nodes first
NO_EDGE = (None, 0)


class RemovableHandle:
    """Returned by ``register_hook``: ``handle.remove()`` takes the hook away."""

    __slots__ = ("_hooks_ref", "id")
    _ids = itertools.count()

    def __init__(self, hooks):
        self._hooks_ref = weakref.ref(hooks)
        self.id = next(RemovableHandle._ids)

    def remove(self):
        hooks = self._hooks_ref()
        if hooks is not None:
            hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _HookDict(dict):
    """A dict that can be weakly referenced by the handles of its hooks."""

    __slots__ = ("__weakref__",)


# [True] once any node has had a hook or a retained gradient (mark_hooked): until then no
# node can be hooked, and the compiled core's backward loop does not read each node's
# _hooked (an instance attribute read, ~150 instructions a node). Never reset.
HOOKED_EVER = [False]


def mark_hooked(node):
    """Set the one flag the backward loop checks for a node's hooks (and HOOKED_EVER)."""
    HOOKED_EVER[0] = True
    node._hooked = True


class Node:
    """Base of every backward node. Subclasses implement ``apply(*grad_outputs)``."""

    __slots__ = ("_edges", "_seq", "__dict__", "__weakref__")
    # Rarely used, so class-level defaults: an instance pays for them only when set.
    _hooks = None  # post-hooks: fn(grad_inputs, grad_outputs)
    _pre_hooks = None  # pre-hooks: fn(grad_outputs); tensor hooks live here too
    _retains = None  # {output_nr: weakref to a tensor that called retain_grad()}
    _hooked = False  # set with any of the three above: the backward loop checks this flag only
    _traceback = None  # the forward traceback, recorded in anomaly mode
    _array_backward = False  # see BackwardFunction
    _saved = None
    _outputs_meta = None

    def __init__(self):
        self._edges = ()
        self._seq = next(_sequence)

    def name(self):
        return type(self).__name__

    @property
    def next_functions(self):
        return tuple(edge for edge in self._edges if edge is not None)

    @property
    def metadata(self):
        return {}

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node; it may return new grad_inputs."""
        if self._hooks is None:
            self._hooks = _HookDict()
            mark_hooked(self)
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = fn
        return handle

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node; it may return new grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = _HookDict()
            mark_hooked(self)
        handle = RemovableHandle(self._pre_hooks)
        self._pre_hooks[handle.id] = fn
        return handle

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    def __call__(self, *grad_outputs):
        # Quiet as in a backward pass (run_backward silences NumPy's floating-point warnings
        # once for the whole pass, so the ops' backward formulas do not).
        from ..ops.dual import quiet

        with quiet():
            return self.apply(*grad_outputs)

    # engine hooks ---------------------------------------------------------------------
    def _release(self):
        """Free what backward needed (called after backward unless retain_graph)."""

    def _output_count(self):
        return 1


class AccumulateGrad(Node):
    """The sink of a leaf tensor: adds the incoming gradient into ``variable.grad``.

    A leaf keeps its one ``AccumulateGrad`` for life, made the first time a recorded op uses
    the leaf. PyTorch makes a new one for each graph (cheap in C++; here it was a fifth of a
    small op's cost: ``x*w + b`` on fresh graphs, 5.2 -> 4.2 us). The node refers back to its
    leaf weakly, so the pair is no reference cycle; the leaf stays alive as long as a graph
    uses it, as in PyTorch, because every node with a leaf among its inputs holds the leaf
    (in ``_input_meta``, see ``function.py``).
    """

    __slots__ = ("_variable_ref",)
    _input_meta = None

    def __init__(self, variable):
        super().__init__()
        self._variable_ref = weakref.ref(variable)

    @property
    def variable(self):
        return self._variable_ref()

    def apply(self, grad):
        variable = self._variable_ref()
        if variable is not None:  # else nothing can read its .grad
            _accumulate_into_leaf(variable, grad)
        return ()


_accumulate_into_leaf = None  # set by engine_loop (which imports this module)


def accumulator_of(tensor):
    """The leaf's ``AccumulateGrad``: one per leaf, made the first time it is needed and
    shared by every use of the leaf, in every graph."""
    node = tensor._acc
    if node is None:
        # AccumulateGrad(tensor), without the __init__ chain.
        node = _new(AccumulateGrad)
        node._edges, node._seq = (), next(_sequence)
        node._variable_ref = _weakref(tensor)
        tensor._acc = node
        tensor._acc_edge = (node, 0)
    return node


def edge_to_leaf(tensor):
    """The edge ``(AccumulateGrad, 0)`` to a leaf that requires grad: one tuple, made with its
    AccumulateGrad and shared by every node that uses the leaf (a tuple per use was ~600
    instructions to make, free and have the cycle collector visit)."""
    edge = tensor._acc_edge
    if edge is None:
        accumulator_of(tensor)
        edge = tensor._acc_edge
    return edge


_new = object.__new__
_weakref = weakref.ref
