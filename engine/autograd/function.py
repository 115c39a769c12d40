"""``Function``: one shape for every differentiable op, built-in or written by a user.

An op is a class with two static methods::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = xp.exp(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_output):
            (y,) = ctx.saved_tensors
            return grad_output * y

``Op.apply(*args)`` runs ``forward`` and, when recording, makes the ``ctx`` a node of the
backward graph (``grad_fn``). ``backward`` always works on tensors, so when the backward pass
is itself recorded (``create_graph=True``) higher derivatives come for free.

The one difference between the engine's own ops and a user's: a built-in op (one that sets
``_array_forward = True``) receives and returns raw arrays in ``forward``, since writing it
with tensor ops would call the op itself. A user's ``forward`` receives tensors, as in PyTorch.
"""

from __future__ import annotations

import functools
import re
from numbers import Number

from .._tensor import Tensor, _ndarray, make_tensor
from . import anomaly_mode, grad_mode
from .graph import NO_EDGE, Node, _sequence, edge_to_leaf

_state = grad_mode._state
_OFF = grad_mode.OFF
_RARE, _ANOMALY = grad_mode.RARE, grad_mode.ANOMALY  # threads with anomaly detection on
_new = object.__new__


class _NullContext:
    """The ``ctx`` a built-in op's forward gets when nothing is recorded: saving is a no-op."""

    __slots__ = ("__dict__",)
    # Every input answers False: a plain tuple (its lookup is C-level), long enough for the
    # ops' arguments (an op with more gets its own, see ``_null_ctx``).
    needs_input_grad = (False,) * 8

    def save_for_backward(self, *tensors):
        pass

    def mark_non_differentiable(self, *tensors):
        pass

    def mark_dirty(self, *tensors):
        pass

    def set_materialize_grads(self, value):
        pass


_NULL_CTX = _NullContext()


def _null_ctx(count):
    """A null ctx for an op of more than 8 inputs."""
    ctx = _NullContext()
    ctx.needs_input_grad = (False,) * count
    return ctx
_FREED = object()
_ALREADY_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)
_INFERENCE_SAVED = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
    "inference mode in computation tracked by autograd. To work around this, you can make a "
    "clone to get a normal tensor and use it in autograd, or use `engine.no_grad()` instead "
    "of `engine.inference_mode()`."
)


def _short_name(node):
    return re.sub(r"Backward\d*$", "", node.name()) if node is not None else None


def version_error(tensor, saved_version, producer, output_nr):
    where = f", which is output {output_nr} of {_short_name(producer)}," if producer else ""
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [engine.{tensor.dtype._legacy} [{', '.join(map(str, tensor.shape))}]]"
        f"{where} is at version {tensor._version}; expected version {saved_version} instead. "
        "Hint: enable anomaly detection to find the operation that failed to compute its "
        "gradient, with engine.autograd.set_detect_anomaly(True, check_nan=False)."
    )


class BackwardFunction(Node):
    """The node (and ``ctx``) made by ``Function.apply``; named after the op, e.g.
    ``MulBackward0`` for built-ins and ``FBackward`` for a user's ``F``."""

    # _to_save holds what forward passed to save_for_backward until apply packs it (a slot:
    # every recorded op writes and reads it, and an instance-dict entry costs more).
    __slots__ = ("needs_input_grad", "_saved", "_input_meta", "_to_save")
    _forward_cls = None
    _array_backward = False  # built-ins: backward also runs on raw arrays (see ops.dual)
    # Rarely set, so class-level defaults.
    _outputs_meta = None
    _non_differentiable = None
    _dirty = None
    materialize_grads = True

    # -- the ctx API, used inside forward and backward --------------------------------
    def save_for_backward(self, *tensors):
        self._to_save = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tensors

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is _FREED:
            raise RuntimeError(_ALREADY_FREED)
        if saved is None:
            return ()
        # A built-in's backward runs on raw arrays unless the backward pass is recorded.
        if self._array_backward and _OFF and not _state.enabled:
            out = []
            for entry in saved:
                kind, obj = entry[0], entry[1]
                # The usual entries inline (see _unpack): an input tensor or one of this
                # node's outputs, unmodified since saved, or a plain value.
                if kind == 1:
                    if obj._vc[0] == entry[2]:
                        out.append(obj._data)
                        continue
                elif kind == 2:
                    if obj[1][0] == entry[2]:
                        out.append(obj[0])
                        continue
                elif kind == 0:
                    out.append(obj)
                    continue
                out.append(_unpack(self, entry, True))
            return tuple(out)
        return tuple([_unpack(self, entry, False) for entry in saved])

    # -- the node API, used by the engine ---------------------------------------------
    def apply(self, *grad_outputs):
        return self._forward_cls.backward(self, *grad_outputs)

    def _release(self):
        saved = self._saved
        if saved is not None and saved is not _FREED:
            if not self._array_backward:
                # A user's Function is marked freed whatever it saved (nothing, or None): its
                # backward may read ctx.saved_tensors, which then raises, as in PyTorch.
                self._saved = _FREED
                return
            # Anything saved is freed (PyTorch saves a number operand, as in x * 2, as a
            # tensor, so a second backward through it fails there too); a node that saved
            # nothing (x + 1) can run again.
            for entry in saved:
                if entry[0] or entry[1] is not None:
                    self._saved = _FREED
                    return

    def _output_count(self):
        meta = self._outputs_meta
        return 1 if meta is None else len(meta)


def _unpack(node, entry, raw):
    kind, obj, version = entry
    if kind == 0:  # a plain value (a number, None)
        return obj
    if kind == 1:  # a tensor that existed before this op (an input)
        if obj._vc[0] != version:
            raise version_error(obj, version, obj.grad_fn, obj._output_nr)
        return obj._data if raw else obj
    if kind == 3:  # an array made inside a built-in forward: nobody else can modify it
        return obj if raw else make_tensor(obj)
    # kind 2: one of this node's own outputs; rebuilt here so the node does not own it
    data, vc, output_nr = obj
    if vc[0] != version:
        out = make_tensor(data, True, node, output_nr, vc)
        raise version_error(out, version, node, output_nr)
    return data if raw else make_tensor(data, True, node, output_nr, vc)


_NOTHING_SAVED = (0, None, 0)
_PAIR_NEEDS = (((False, False), (False, True)), ((True, False), (True, True)))
_ONE_NEEDS = (True,)


def _pack_one(item, args, result, out):
    """``_pack`` for a built-in op with one output, the usual cases first: nothing (an
    operand that needs no gradient), the output, an input's array as forward received it."""
    if item is None:
        return _NOTHING_SAVED
    if item is out or item is result._data:
        if result._inference:
            raise RuntimeError(_INFERENCE_SAVED)
        vc = result._vc
        return (2, (result._data, vc, 0), vc[0])
    for arg in args:
        if isinstance(arg, Tensor) and item is arg._data:
            if arg._inference:
                raise RuntimeError(_INFERENCE_SAVED)
            return (1, arg, arg._vc[0])
    return _pack(item, args, (result,), (out,))


def _pack(item, args, outputs, raw_outputs):
    """Turn what forward saved into an entry that checks versions when unpacked."""
    if item is None or type(item) is float or type(item) is int:
        return (0, item, 0)
    for out_nr, (out, raw) in enumerate(zip(outputs, raw_outputs)):
        # NumPy turns 0-d results into scalars, so the raw object forward returned counts too.
        if isinstance(out, Tensor) and (item is out or item is out._data or item is raw):
            if out._inference:
                raise RuntimeError(_INFERENCE_SAVED)
            return (2, (out._data, out._vc, out_nr), out._vc[0])
    if isinstance(item, Number):
        return (0, item, 0)
    for arg in args:
        if isinstance(arg, Tensor) and (item is arg or item is arg._data):
            if arg._inference:
                raise RuntimeError(_INFERENCE_SAVED)
            return (1, arg, arg._vc[0])
    if isinstance(item, Tensor):
        if item._inference:
            raise RuntimeError(_INFERENCE_SAVED)
        return (1, item, item._vc[0])
    return (3, item, 0)  # an intermediate array made by a built-in forward


class FunctionMeta(type):
    """Gives every ``Function`` subclass its node class: ``<Name>Backward`` (PyTorch's naming),
    or the PyTorch name a built-in op declares in ``node_name``."""

    def __init__(cls, name, bases, namespace):
        super().__init__(name, bases, namespace)
        node_name = namespace.get("node_name") or f"{name}Backward"
        cls._backward_cls = type(
            node_name, (BackwardFunction,),
            {"__slots__": (), "_forward_cls": cls,
             "_array_backward": bool(getattr(cls, "_array_forward", False))},
        )


class Function(metaclass=FunctionMeta):
    """Base class of differentiable operations (PyTorch's ``torch.autograd.Function``)."""

    _array_forward = False  # built-in ops compute forward on raw arrays
    _scalars_are_inputs = False  # binary ops list a Python-number operand in next_functions
    _is_view = False  # the output shares the first input's memory (and version counter)

    def __init__(self, *args, **kwargs):
        raise RuntimeError(
            f"{type(self).__name__} is not meant to be instantiated: call "
            f"{type(self).__name__}.apply(...) instead."
        )

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    @classmethod
    def apply(cls, *args):
        record = False
        if not _OFF or _state.enabled:  # see grad_mode.OFF
            for arg in args:
                if isinstance(arg, Tensor) and arg._requires_grad:
                    record = True
                    break
        if not cls._array_forward:  # a user's Function: forward sees tensors, unrecorded
            node = cls._new_node(args, record)
            with grad_mode.no_grad():
                out = cls.forward(node, *args)
            return _finish(cls, node, args, out, record)
        if not record:  # the fast path: no node, no bookkeeping
            try:
                if len(args) == 2:  # binary ops without a list
                    a, b = args
                    out = cls.forward(_NULL_CTX, a._data if isinstance(a, Tensor) else a,
                                      b._data if isinstance(b, Tensor) else b)
                elif len(args) == 1:  # unary ops, the same
                    a = args[0]
                    out = cls.forward(_NULL_CTX, a._data if isinstance(a, Tensor) else a)
                else:
                    raw = [a._data if isinstance(a, Tensor) else a for a in args]
                    out = cls.forward(_NULL_CTX if len(raw) <= 8 else _null_ctx(len(raw)),
                                      *raw)
            except (TypeError, ValueError) as exc:  # e.g. CuPy refuses NumPy operands
                raw = [a._data if isinstance(a, Tensor) else a for a in args]
                return _forward_failed(cls, args, raw, exc)
            if type(out) is tuple:
                return tuple([make_tensor(o) for o in out])
            if cls._is_view:
                return _as_view(make_tensor(out), args[0])
            return make_tensor(out)
        # Recording a built-in op: one pass over the arguments gathers the raw arrays, the
        # edges to their nodes, and the shapes and dtypes of those that need a gradient.
        node = _new(cls._backward_cls)
        node._saved = node._to_save = None
        if len(args) == 2:  # binary ops, the most frequent: the same pass without lists
            a, b = args
            if isinstance(a, Tensor):
                ra = a._data
                if not a._requires_grad:
                    ea = NO_EDGE
                    ma = None
                elif a.grad_fn is not None:
                    ea, ma = (a.grad_fn, a._output_nr), (ra.shape, ra.dtype)
                else:  # a leaf: the node holds it (see _leaf_input)
                    ea = a._acc_edge or edge_to_leaf(a)
                    ma = (ra.shape, ra.dtype, None, a)
            else:
                ra, ea, ma = a, _edge_of_number(cls, a), None
            if isinstance(b, Tensor):
                rb = b._data
                if not b._requires_grad:
                    eb = NO_EDGE
                    mb = None
                elif b.grad_fn is not None:
                    eb, mb = (b.grad_fn, b._output_nr), (rb.shape, rb.dtype)
                else:
                    eb = b._acc_edge or edge_to_leaf(b)
                    mb = (rb.shape, rb.dtype, None, b)
            else:
                rb, eb, mb = b, _edge_of_number(cls, b), None
            node.needs_input_grad = _PAIR_NEEDS[ma is not None][mb is not None]  # shared tuples
            node._seq = next(_sequence)  # after any AccumulateGrad its edges made
            try:
                out = cls.forward(node, ra, rb)
            except (TypeError, ValueError) as exc:
                return _forward_failed(cls, args, [ra, rb], exc)
            node._edges, node._input_meta = (ea, eb), (ma, mb)
        elif len(args) == 1:  # unary ops: the one argument is a tensor that requires grad
            (a,) = args
            ra = a._data
            node.needs_input_grad = _ONE_NEEDS
            if a.grad_fn is not None:
                edge, meta = (a.grad_fn, a._output_nr), (ra.shape, ra.dtype)
            else:
                edge, meta = _leaf_input(a, ra, None)
            node._seq = next(_sequence)
            try:
                out = cls.forward(node, ra)
            except (TypeError, ValueError) as exc:
                return _forward_failed(cls, args, [ra], exc)
            node._edges, node._input_meta = (edge,), (meta,)
        else:
            raw, edges, meta = [], [], []
            for arg in args:
                if isinstance(arg, Tensor):
                    data = arg._data
                    raw.append(data)
                    if arg._requires_grad:
                        if arg.grad_fn is not None:
                            edges.append((arg.grad_fn, arg._output_nr))
                            meta.append((data.shape, data.dtype))
                        else:
                            edge, leaf_meta = _leaf_input(arg, data, None)
                            edges.append(edge)
                            meta.append(leaf_meta)
                        continue
                    edges.append(NO_EDGE)
                else:
                    raw.append(arg)
                    edges.append(_edge_of_number(cls, arg))
                meta.append(None)
            node.needs_input_grad = tuple([m is not None for m in meta])
            node._seq = next(_sequence)
            try:
                out = cls.forward(node, *raw)
            except (TypeError, ValueError) as exc:
                return _forward_failed(cls, args, raw, exc)
            node._edges, node._input_meta = tuple(edges), meta
        if type(out) is tuple or cls._is_view:
            return _finish(cls, node, args, out, True)
        # The common case, kept lean: one output, differentiable when floating-point.
        if type(out) is _ndarray and out.dtype.kind in "fc":
            result = make_tensor(out, True, node)
        else:
            result = make_tensor(out)
            if result._data.dtype.kind in "fc":
                result._requires_grad = True
                result.grad_fn = node
        to_save = node._to_save
        if to_save is not None:
            if len(to_save) == 2:  # binary ops: without the list
                first, second = to_save
                a, b = args[0], args[-1]
                # (The usual case inline: a binary op saves its operands' arrays.)
                if (isinstance(a, Tensor) and first is a._data and first is not out
                        and not a._inference):
                    first = (1, a, a._vc[0])
                else:
                    first = _pack_one(first, args, result, out)
                if (isinstance(b, Tensor) and second is b._data and second is not out
                        and not b._inference):
                    second = (1, b, b._vc[0])
                else:
                    second = _pack_one(second, args, result, out)
                node._saved = (first, second)
            else:
                node._saved = tuple([_pack_one(item, args, result, out) for item in to_save])
            node._to_save = None
        if _RARE[_ANOMALY] and anomaly_mode._state.enabled:
            node._traceback = anomaly_mode.forward_traceback()
        return result

    @classmethod
    def _new_node(cls, args, recording=True):
        node = object.__new__(cls._backward_cls)
        node._seq = next(_sequence)
        node._saved = node._to_save = None
        if recording:
            node.needs_input_grad = tuple(
                [isinstance(arg, Tensor) and arg._requires_grad for arg in args]
            )
        else:
            node.needs_input_grad = (False,) * len(args)
            node._edges = ()
            node._input_meta = None
        return node


def _leaf_input(leaf, data, device):
    """The edge to a leaf that requires grad (its ``AccumulateGrad``) and its input meta:
    shape, dtype, device (``None`` for built-in ops) and the leaf itself. A leaf's node refers
    to it only weakly; holding it here keeps it alive for as long as a graph uses it, as
    PyTorch's ``AccumulateGrad`` does (see ``graph.AccumulateGrad``)."""
    return leaf._acc_edge or edge_to_leaf(leaf), (data.shape, data.dtype, device, leaf)


def _edge_of_number(cls, arg):
    """Binary ops list a Python number operand as ``(None, 0)`` (PyTorch's next_functions
    for ``x * 2``), and a tensor operand left out (clamp's missing bound); other non-tensor
    arguments (dims, flags) have no edge."""
    if cls._scalars_are_inputs and (type(arg) is float or type(arg) is int or arg is None
                                    or isinstance(arg, Number)):
        return NO_EDGE
    return None


def _forward_failed(cls, args, raw, exc):
    """A built-in forward raised: rerun on one device if the operands live on several,
    turn NumPy's broadcasting error into PyTorch's, or let the error through."""
    if _on_several_devices(args):
        return _apply_on_one_device(cls, args)
    if isinstance(exc, TypeError):
        raise exc
    raise _shape_error(exc, raw) from None


def _on_several_devices(args):
    """Whether the arrays among an op's arguments live on more than one device (the check
    runs only after an op failed: the arrays' library cannot mix host and device memory)."""
    from ..backend import device_of, is_array

    seen = None
    for a in args:
        data = a._data if isinstance(a, Tensor) else a
        if is_array(data):
            dev = device_of(data)
            if seen is None:
                seen = dev
            elif dev != seen:
                return True
    return False


def _apply_on_one_device(cls, args):
    """Run the op again with its CPU 0-d tensors moved to the GPU (PyTorch treats them as
    scalars; ``to`` keeps them differentiable), or raise PyTorch's error for any other mix."""
    from ..backend import common_device, device_of, is_array

    arrays = [a._data if isinstance(a, Tensor) else a for a in args]
    arrays = [a for a in arrays if is_array(a)]
    main, _ = common_device(arrays)  # raises PyTorch's error unless only CPU scalars differ
    moved = []
    for a in args:
        if isinstance(a, Tensor) and a.device != main:
            a = a.to(main)
        elif not isinstance(a, Tensor) and is_array(a) and device_of(a) != main:
            from ..backend import to_device

            a = to_device(a, main)
        moved.append(a)
    return cls.apply(*moved)


def _shape_error(exc, raw):
    """NumPy's broadcasting ValueError, in PyTorch's words (other errors pass unchanged)."""
    if "could not be broadcast" not in str(exc):
        return exc
    shapes = [a.shape for a in raw if hasattr(a, "shape")][:2]
    if len(shapes) < 2:
        return exc
    a, b = shapes
    ndim = max(len(a), len(b))
    a, b = (1,) * (ndim - len(a)) + a, (1,) * (ndim - len(b)) + b
    for dim in reversed(range(ndim)):
        if a[dim] != b[dim] and a[dim] != 1 and b[dim] != 1:
            return RuntimeError(
                f"The size of tensor a ({a[dim]}) must match the size of tensor b ({b[dim]}) "
                f"at non-singleton dimension {dim}"
            )
    return exc


class ArrayFunction(Function):
    """A ``Function`` written the way the engine writes its own ops: ``forward`` receives and
    returns raw arrays (``xp`` is NumPy or CuPy), and ``backward``, written with operators
    and ``engine.ops.dual`` helpers, runs on raw arrays (or on tensors when the backward pass
    is recorded, for higher-order gradients)."""

    _array_forward = True


def _as_view(out, base):
    out._vc = base._vc
    out._base = base._base if base._base is not None else base
    return out


def _edges(cls, args):
    """One entry per forward argument: an edge for a tensor that requires grad, NO_EDGE for
    one that does not, and for anything else ``_edge_of_number``'s rule."""
    edges, meta = [], []
    for arg in args:
        if isinstance(arg, Tensor):
            if arg._requires_grad:
                if arg.grad_fn is not None:
                    edges.append((arg.grad_fn, arg._output_nr))
                    meta.append((arg._data.shape, arg._data.dtype, arg.device))
                else:
                    edge, leaf_meta = _leaf_input(arg, arg._data, arg.device)
                    edges.append(edge)
                    meta.append(leaf_meta)
                continue
            edges.append(NO_EDGE)
        else:
            edges.append(_edge_of_number(cls, arg))
        meta.append(None)
    return tuple(edges), meta


def _finish(cls, node, args, out, record):
    """Wrap forward's result, and when recording, link the node into the graph."""
    if record and not cls._array_forward:  # before outputs are rebased: a dirty input's
        node._edges, node._input_meta = _edges(cls, args)  # edge is its *old* history
        node._seq = next(_sequence)  # after any AccumulateGrad made for its edges
    single = type(out) is not tuple
    outs = (out,) if single else out
    non_diff = node._non_differentiable or ()
    dirty = node._dirty or ()
    results = []
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            if not (o is None or hasattr(o, "shape")):  # a plain value passes through
                results.append(o)
                continue
            o = make_tensor(o)
            if cls._is_view:
                _as_view(o, args[0])
        elif not cls._array_forward and not any(o is d for d in dirty):
            if any(o is a for a in args):  # forward returned an input: give back a new alias
                o = make_tensor(o._data, vc=o._vc)
        # (Each generator below costs ~0.4 us compiled: tested only when there is a list.)
        if dirty and any(o is d for d in dirty):
            o._bump()
        if (
            record
            and o._data.dtype.kind in "fc"
            and not (non_diff and any(o is n or o._data is getattr(n, "_data", n)
                                      for n in non_diff))
        ):
            o._requires_grad = True
            o.grad_fn = node
            o._output_nr = i
        results.append(o)
    if record:
        if not single:
            node._outputs_meta = [
                (r._data.shape, r.dtype) if isinstance(r, Tensor) else None for r in results
            ]
        if node._to_save is not None:
            node._saved = tuple(_pack(item, args, results, outs) for item in node._to_save)
        elif not cls._array_forward:
            node._saved = ()  # saved nothing; still released after backward (see _release)
        node._to_save = None
        if _RARE[_ANOMALY] and anomaly_mode._state.enabled:  # as in apply
            node._traceback = anomaly_mode.forward_traceback()
    return results[0] if single else tuple(results)


def once_differentiable(backward):
    """Mark a ``backward`` that cannot itself be differentiated: it runs without recording,
    and differentiating its result again raises PyTorch's error."""

    @functools.wraps(backward)
    def wrapper(ctx, *grad_outputs):
        with grad_mode.no_grad():
            result = backward(ctx, *grad_outputs)
        if not _state.enabled:
            return result
        if not any(isinstance(g, Tensor) and g._requires_grad for g in grad_outputs):
            return result
        results = result if isinstance(result, tuple) else (result,)
        tracked = [g for g in grad_outputs if isinstance(g, Tensor) and g._requires_grad]
        wrapped = tuple(
            _DelayedError.apply(r, *tracked) if isinstance(r, Tensor) else r for r in results
        )
        return wrapped if isinstance(result, tuple) else wrapped[0]

    return wrapper


class _DelayedError(Function):
    node_name = "Error"  # PyTorch shows grad_fn=<Error>

    @staticmethod
    def forward(ctx, x, *grad_outputs):
        return x

    @staticmethod
    def backward(ctx, grad_output):
        raise RuntimeError(
            "trying to differentiate twice a function that was marked with "
            "@once_differentiable"
        )
