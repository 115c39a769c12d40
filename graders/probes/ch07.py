"""Observations of chapter 07's piece: ``SavingNode``.

On its own: what ``saved_tensors`` gives (the very objects saved, in a tuple, as often as it is
read), what it raises once ``_release`` ran (the exception's type and message: the message must
be the engine's word for word), whether the released values are let go, and a second release.
Inside graphs: operations whose nodes subclass the student's class (the same ones as the
visible check, ``graders.checks.ch07``) on inputs drawn from ``rng``, and the engine's own
``backward()`` through them: once, twice, with ``retain_graph=True``, two losses sharing a
node, and nodes that saved nothing. A case observes gradients and the errors' messages.
"""

from __future__ import annotations

import gc
import weakref

from . import attempt

TOLERANCE = {"SavingNode": (1e-9, 1e-12)}


def _message(action):
    """The message of the RuntimeError ``action`` raises; "no error" when it raises none.
    Any other exception propagates (``attempt`` records its type)."""
    try:
        action()
    except RuntimeError as exc:
        return str(exc)
    return "no error"


def SavingNode(piece, rng):  # noqa: N802 - named after the piece
    import engine

    from ..checks.ch07 import _ops

    values = rng.standard_normal(4)

    def leaf():
        return engine.tensor(values, dtype=engine.float64, requires_grad=True)

    def save_and_read():
        node = piece()
        a, b = engine.tensor(values), engine.tensor(float(values[0]))
        node.save_for_backward(a, b)
        reads = []
        for _ in range(3):
            got = node.saved_tensors
            reads.append([type(got).__name__, len(got), got[0] is a, got[1] is b])
        return reads

    def nothing_saved():
        node = piece()
        return [node.saved_tensors, node.saved_tensors]

    def read_after_release():
        node = piece()
        node.save_for_backward(engine.tensor(values))
        node._release()
        return _message(lambda: node.saved_tensors)

    def release_nothing_saved():
        node = piece()
        node._release()
        return _message(lambda: node.saved_tensors)

    def let_go():
        node = piece()
        t = engine.tensor(values)
        ref = weakref.ref(t)
        node.save_for_backward(t)
        del t
        node._release()
        gc.collect()
        return ref() is None

    def release_twice():
        node = piece()
        node.save_for_backward(engine.tensor(values))
        node._release()
        node._release()
        return _message(lambda: node.saved_tensors)

    def backward_once():
        square, tanh, _, _ = _ops(piece)
        x = leaf()
        tanh(square(x)).sum().backward()
        return x.grad

    def backward_twice():
        square, tanh, _, _ = _ops(piece)
        x = leaf()
        loss = tanh(square(x)).sum()
        loss.backward()
        return [_message(loss.backward), x.grad]

    def retained():
        square, tanh, _, _ = _ops(piece)
        x = leaf()
        loss = tanh(square(x)).sum()
        loss.backward(retain_graph=True)
        loss.backward()
        grad = x.grad.detach().numpy().copy()
        return [grad, _message(loss.backward)]

    def shared_node():
        square, tanh, _, _ = _ops(piece)
        x = leaf()
        h = square(x)
        loss1, loss2 = tanh(h).sum(), (h * 3).sum()
        loss1.backward()
        first = _message(loss2.backward)
        x = leaf()
        h = square(x)
        loss1, loss2 = tanh(h).sum(), (h * 3).sum()
        loss1.backward(retain_graph=True)
        loss2.backward()
        return [first, x.grad]

    def nothing_saved_in_graphs():
        _, _, add_one, reads_nothing = _ops(piece)
        x = leaf()
        loss = add_one(x).sum()
        loss.backward()
        loss.backward()
        y = leaf()
        other = reads_nothing(y).sum()
        other.backward()
        return [x.grad, _message(other.backward)]

    scenarios = {
        "save two values, read three times: type, length, the very objects": save_and_read,
        "nothing saved, read twice": nothing_saved,
        "read after _release": read_after_release,
        "read after _release of a node that saved nothing": release_nothing_saved,
        "the saved tensor is gone after _release": let_go,
        "read after two _release calls": release_twice,
        "the engine's backward through tanh(square(x)) on your nodes: x.grad": backward_once,
        "a second backward through the same graph, and x.grad": backward_twice,
        "backward(retain_graph=True), backward(), then a third": retained,
        "two losses through one node: without, then with retain_graph": shared_node,
        "nodes that saved nothing: one never reads (twice), one reads (twice)":
            nothing_saved_in_graphs,
    }
    return {label: attempt(fn) for label, fn in scenarios.items()}


# For the instructor's review (graders/grade/provenance.py): names that would mean the piece
# calls the engine's own implementation instead of being the student's work.
FORBIDDEN = {
    "SavingNode": ("engine.autograd.function.BackwardFunction",
                   "engine.autograd.function.Function", "torch"),
}
