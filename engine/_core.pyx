# cython: language_level=3, boundscheck=False, wraparound=False
"""The recording core in C: ``Function.apply``'s common paths, for the compiled engine only.

``engine/autograd/function.py`` is the engine: students read it and every test runs on it.
This file is a C-level copy of the paths of ``Function.apply`` that nearly every op takes (a
built-in op of one or two arguments, recorded or not, with one output), built by ``make
speedups`` and installed over ``Function.apply`` when present; every other case (a user's
Function, three or more arguments, several outputs, views, errors) is handed back to the
Python ``apply`` unchanged. It is loaded only while this file *and* the Python sources it
copies are unchanged since the build (``engine._speedups``), and the whole engine suite runs
on it (``make test``'s compiled run). It also holds the backward pass's lean loop
(``engine_loop.run_backward``), ``saved_tensors`` and ``save_for_backward``, in-place
arithmetic without a graph and ``Tensor.__matmul__``'s usual case, each with the same rule:
the common case here, every other one in the Python code.

Why it exists: in compiled Python a slot read or write is a generic attribute lookup (type
dict, descriptor, call), ~25 ns, and recording an op makes ~40 of them. Here the tensor's and
the node's slots (``__slots__`` of ``Tensor``, ``Node`` and ``BackwardFunction``) are read and
written at their fixed offsets in the object, which CPython guarantees for a class and its
subclasses: ~1 ns. Measured: a recorded ``x * w`` 2.2 -> 1.7 us (NOTES.md).
"""

from cpython.object cimport PyObject, PyTypeObject
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.ref cimport Py_INCREF, Py_XDECREF
from libc.string cimport memcpy, memset

cdef extern from "Python.h":
    ctypedef PyObject *(*allocfunc)(PyTypeObject *, Py_ssize_t)
    ctypedef struct PyTypeObject_alloc "PyTypeObject":
        allocfunc tp_alloc
    ctypedef struct PyMemberDef:
        Py_ssize_t offset
    ctypedef struct PyMemberDescrObject:
        PyMemberDef *d_member
    bint PyType_IsSubtype(PyTypeObject *a, PyTypeObject *b)
    unsigned long PyThread_get_thread_ident()
    PyTypeObject *Py_TYPE(object o)
    void PyObject_GC_UnTrack(void *op)
    int PyObject_GC_IsTracked(object op)
    ctypedef struct PyMethodDef:
        const char *ml_name
        void *ml_meth
        int ml_flags
        const char *ml_doc
    int METH_FASTCALL
    int METH_KEYWORDS
    int METH_NOARGS
    int METH_O
    object PyDescr_NewMethod(PyTypeObject *cls, PyMethodDef *method)
    object PyTuple_New(Py_ssize_t n)
    void PyTuple_SET_ITEM(object t, Py_ssize_t i, PyObject *item)

import numpy

cimport numpy as cnp

from engine import _tensor
from engine.autograd import anomaly_mode, function, grad_mode, graph

Tensor = _tensor.Tensor
cnp.import_array()  # NumPy's C API: array flags read in place (see _owned)


cdef Py_ssize_t _offset(type cls, str name) except -1:
    """Where the slot ``name`` of ``cls`` lives in its instances (a member descriptor's
    offset; a class without that slot is refused, so the core is never installed over it)."""
    descr = cls.__dict__[name]
    if type(descr).__name__ != "member_descriptor":
        raise TypeError(f"{cls.__name__}.{name} is not a slot")
    return (<PyMemberDescrObject *> <PyObject *> descr).d_member.offset


cdef PyTypeObject *TENSOR = <PyTypeObject *> Tensor
cdef Py_ssize_t T_DATA = _offset(Tensor, "_data")
cdef Py_ssize_t T_REQUIRES_GRAD = _offset(Tensor, "_requires_grad")
cdef Py_ssize_t T_GRAD_FN = _offset(Tensor, "grad_fn")
cdef Py_ssize_t T_OUTPUT_NR = _offset(Tensor, "_output_nr")
cdef Py_ssize_t T_VC = _offset(Tensor, "_vc")
cdef Py_ssize_t N_EDGES = _offset(graph.Node, "_edges")
cdef Py_ssize_t N_SEQ = _offset(graph.Node, "_seq")
cdef Py_ssize_t N_NEEDS = _offset(function.BackwardFunction, "needs_input_grad")
cdef Py_ssize_t N_SAVED = _offset(function.BackwardFunction, "_saved")
cdef Py_ssize_t N_META = _offset(function.BackwardFunction, "_input_meta")
cdef Py_ssize_t N_TO_SAVE = _offset(function.BackwardFunction, "_to_save")


cdef inline object _get(object obj, Py_ssize_t offset):
    """``obj.<slot>``; an unset slot raises as Python would."""
    cdef PyObject *value = (<PyObject **> ((<char *> <PyObject *> obj) + offset))[0]
    if value is NULL:
        raise AttributeError("slot not set")
    return <object> value


cdef inline void _set(object obj, Py_ssize_t offset, object value):
    """``obj.<slot> = value``."""
    cdef PyObject **slot = <PyObject **> ((<char *> <PyObject *> obj) + offset)
    cdef PyObject *old = slot[0]
    Py_INCREF(value)
    slot[0] = <PyObject *> value
    Py_XDECREF(old)


cdef inline object _alloc(type cls):
    """``object.__new__(cls)`` for a class of plain slots (what object.__new__ does for them,
    without the call): its slots unset, its instance dict not yet made."""
    cdef PyObject *obj = (<PyTypeObject_alloc *> <PyObject *> cls).tp_alloc(
        <PyTypeObject *> <PyObject *> cls, 0)
    if obj is NULL:
        raise MemoryError()
    result = <object> obj  # a new reference: take it over
    Py_XDECREF(obj)
    return result


cdef inline object _settled(object items):
    """``items``, taken off the cycle collector's lists when nothing in it is on them: such a
    tuple cannot be part of a reference cycle. This is CPython's own rule for tuples, which
    it applies at the first collection that visits one; applied here at once, to the tuples
    a recorded op makes of plain data (its inputs' shapes and dtypes, a saved output's
    entry, a one-input op's meta and saved tuples). W4's forward keeps ~4,000 objects alive
    and every young collection visited them all: these were ~40% of them (NOTES.md, "The
    collector"). Not applied to a two-input op's pairs: they nearly always hold a tensor or
    a leaf's meta, and the failed test cost W2a ~3%."""
    if type(items) is not tuple:
        return items
    for item in <tuple> items:
        if PyObject_GC_IsTracked(item):
            return items
    PyObject_GC_UnTrack(<void *> items)
    return items


cdef inline bint _is_tensor(object obj):
    return Py_TYPE(obj) == TENSOR or PyType_IsSubtype(Py_TYPE(obj), TENSOR)


# What the Python module's fast paths use, bound once.
cdef object _python_apply = function.Function.__dict__["apply"].__func__
cdef object _state = grad_mode._state
cdef list _RARE = grad_mode.RARE
cdef object _mark_off = grad_mode._mark_off, _unmark_off = grad_mode._unmark_off
cdef object _OFF = grad_mode.OFF  # a token per thread with recording off (a deque, grad_mode.OFF)
cdef Py_ssize_t _INFERENCE = grad_mode.INFERENCE, _ANOMALY = grad_mode.ANOMALY
cdef list _INFERENCE_EVER = grad_mode.INFERENCE_EVER  # [True] once inference mode was on
cdef object _anomaly_state = anomaly_mode._state
cdef object _forward_traceback = anomaly_mode.forward_traceback
cdef object _NULL_CTX = function._NULL_CTX
cdef object _FREED = function._FREED
cdef tuple _PAIR_NEEDS = function._PAIR_NEEDS
cdef tuple _ONE_NEEDS = function._ONE_NEEDS
cdef object _pack_one = function._pack_one
cdef object _finish = function._finish
cdef object _forward_failed = function._forward_failed
cdef object _edge_of_number = function._edge_of_number
cdef object _as_view = function._as_view
cdef object _accumulator_of = graph.accumulator_of
cdef object _edge_to_leaf = graph.edge_to_leaf
cdef list _HOOKED_EVER = graph.HOOKED_EVER  # [True] once any node was hooked
cdef object _sequence = graph._sequence
cdef object _NO_EDGE = graph.NO_EDGE
cdef object _as_array = _tensor._as_array
cdef object _asarray = numpy.asarray
cdef type _generic = numpy.generic
cdef type _ndarray = numpy.ndarray


cdef object _make_tensor(object data, object requires_grad, object grad_fn):
    """``_tensor.make_tensor(data, requires_grad, grad_fn)``."""
    t = _alloc(Tensor)
    if type(data) is not _ndarray:  # NumPy returns scalars for 0-d results; keep arrays
        data = _asarray(data) if isinstance(data, _generic) else _as_array(data)
    _set(t, T_DATA, data)
    _set(t, T_REQUIRES_GRAD, requires_grad)
    _set(t, T_GRAD_FN, grad_fn)
    _set(t, T_OUTPUT_NR, 0)
    vc = [0]  # the version number, alone in a list views share: no cycle can pass through it
    PyObject_GC_UnTrack(<void *> vc)
    _set(t, T_VC, vc)
    if _RARE[_INFERENCE] and _state.inference:
        t._inference = True
    return t


cdef inline char _kind(cnp.ndarray data):
    """``data.dtype.kind``, read from the array's descriptor (two attribute lookups and a
    string otherwise, ~300 instructions)."""
    return (<cnp.dtype> <object> cnp.PyArray_DESCR(data)).kind


cdef inline bint _is_inexact(cnp.ndarray data):
    """``data.dtype.kind in "fc"``."""
    cdef char kind = _kind(data)
    return kind == b"f" or kind == b"c"


cdef inline object _raw(object arg):
    return _get(arg, T_DATA) if _is_tensor(arg) else arg


cdef inline object _shape(object data):
    """``data.shape``, made from a NumPy array's struct (an attribute lookup and a descriptor
    call otherwise), off the collector's lists (ints only, see _settled)."""
    if type(data) is _ndarray:
        return _settled(cnp.PyArray_IntTupleFromIntp(cnp.PyArray_NDIM(<cnp.ndarray> data),
                                                     cnp.PyArray_DIMS(<cnp.ndarray> data)))
    return _settled(data.shape)


cdef inline object _dtype(object data):
    if type(data) is _ndarray:
        return <object> cnp.PyArray_DESCR(<cnp.ndarray> data)
    return data.dtype


cdef inline object _edge(object cls, object arg):
    """An argument's edge (``apply``'s pass over its arguments, for one operand). Made before
    the node takes its place in the sequence: a leaf's first use makes its AccumulateGrad."""
    if not _is_tensor(arg):
        return _edge_of_number(cls, arg)
    if not _get(arg, T_REQUIRES_GRAD):
        return _NO_EDGE
    grad_fn = _get(arg, T_GRAD_FN)
    if grad_fn is not None:
        return (grad_fn, _get(arg, T_OUTPUT_NR))
    edge = arg._acc_edge  # a leaf: the node holds it (see function._leaf_input)
    return edge if edge is not None else _edge_to_leaf(arg)


cdef inline object _meta(object arg):
    """An argument's input meta: None for one that needs no gradient, ``(shape, dtype)``, and
    for a leaf ``(shape, dtype, None, leaf)`` (the node keeps its leaves alive, as PyTorch's)."""
    if not _is_tensor(arg) or not _get(arg, T_REQUIRES_GRAD):
        return None
    data = _get(arg, T_DATA)
    if _get(arg, T_GRAD_FN) is not None:
        return _settled((_shape(data), _dtype(data)))
    return (_shape(data), _dtype(data), None, arg)


cdef object _saved_operand(object item, object arg, object args, object result, object out):
    """``apply``'s inline packing of a binary op's saved operand."""
    if (_is_tensor(arg) and item is _get(arg, T_DATA) and item is not out
            and not (_INFERENCE_EVER[0] and arg._inference)):
        return (1, arg, _get(arg, T_VC)[0])
    return _saved(item, args, result, out)


cdef object _saved(object item, object args, object result, object out):
    """``function._pack_one``, the op's own output inline (what ``tanh``, ``exp``, ``relu``
    save): its array, version counter and output number, nothing that can hold a cycle."""
    if (item is not None and (item is out or item is _get(result, T_DATA))
            and not (_INFERENCE_EVER[0] and result._inference)):
        vc = _get(result, T_VC)
        return _settled((2, _settled((_get(result, T_DATA), vc, 0)), vc[0]))
    return _pack_one(item, args, result, out)


cdef object _unrecorded(object cls, tuple args, Py_ssize_t n, bint is_view):
    """``apply``'s fast path without a graph, for one or two arguments."""
    try:
        if n == 2:
            out = cls.forward(_NULL_CTX, _raw(args[0]), _raw(args[1]))
        else:
            out = cls.forward(_NULL_CTX, _raw(args[0]))
    except (TypeError, ValueError) as exc:
        return _forward_failed(cls, args, [_raw(a) for a in args], exc)
    if type(out) is tuple:
        return tuple([_make_tensor(o, False, None) for o in out])
    if is_view:
        return _as_view(_make_tensor(out, False, None), args[0])
    return _make_tensor(out, False, None)


cdef object _recorded(object cls, tuple args, Py_ssize_t n, tuple of_class):
    """``apply``'s recording path, for one or two arguments."""
    node = _alloc(of_class[1])
    _set(node, N_SAVED, None)
    _set(node, N_TO_SAVE, None)
    a = args[0]
    ra = _get(a, T_DATA) if _is_tensor(a) else a
    if n == 2:
        b = args[1]
        rb = _get(b, T_DATA) if _is_tensor(b) else b
        ea = _edge(cls, a)
        eb = _edge(cls, b)
        ma = _meta(a)
        mb = _meta(b)
        _set(node, N_NEEDS, _PAIR_NEEDS[ma is not None][mb is not None])
        _set(node, N_SEQ, next(_sequence))  # after any AccumulateGrad its edges made
        try:
            out = cls.forward(node, ra, rb)
        except (TypeError, ValueError) as exc:
            return _forward_failed(cls, args, [ra, rb], exc)
        _set(node, N_EDGES, (ea, eb))
        _set(node, N_META, (ma, mb))
    else:  # one argument: a tensor that requires grad
        ea = _edge(cls, a)
        ma = _meta(a)
        _set(node, N_NEEDS, _ONE_NEEDS)
        _set(node, N_SEQ, next(_sequence))
        try:
            out = cls.forward(node, ra)
        except (TypeError, ValueError) as exc:
            return _forward_failed(cls, args, [ra], exc)
        _set(node, N_EDGES, (ea,))
        _set(node, N_META, _settled((ma,)))
    if type(out) is tuple or of_class[2]:
        return _finish(cls, node, args, out, True)
    if type(out) is _ndarray and _is_inexact(<cnp.ndarray> out):
        result = _make_tensor(out, True, node)
    else:
        result = _make_tensor(out, False, None)
        if _get(result, T_DATA).dtype.kind in "fc":
            _set(result, T_REQUIRES_GRAD, True)
            _set(result, T_GRAD_FN, node)
    to_save = _get(node, N_TO_SAVE)
    if to_save is not None:
        if len(to_save) == 2 and n == 2:
            _set(node, N_SAVED, (
                _saved_operand(to_save[0], args[0], args, result, out),
                _saved_operand(to_save[1], args[1], args, result, out)))
        else:
            _set(node, N_SAVED, _settled(
                tuple([_saved(item, args, result, out) for item in to_save])))
        _set(node, N_TO_SAVE, None)
    if _RARE[_ANOMALY] and _anomaly_state.enabled:
        node._traceback = _forward_traceback()
    return result


def apply(cls, *args):
    """``Function.apply``: the common cases here, the rest in ``function.py``."""
    return _apply(cls, args)


cdef dict _classes = {}
cdef Py_ssize_t _CLASS_CACHE = 4096  # entries kept per class cache before it starts again


cdef object _remember(dict cache, object cls, object value):
    """``cache[cls] = value``, a cache of per-class constants; emptied first past
    _CLASS_CACHE entries (a notebook cell that defines a class, re-run, makes a new class each
    time, and the cache would keep every one alive)."""
    if len(cache) > _CLASS_CACHE:
        cache.clear()
    cache[cls] = value
    return value


# In front of each per-class dict, 64 slots picked by the class's address, each holding a
# class and its value (strong references, as the dict's): a hit is a compare (~10
# instructions), where a dict lookup is ~115, and each op makes one and each backward node
# two. A miss, or two classes sharing a slot, falls back to the dict.
ctypedef struct _Front:
    PyObject *cls
    PyObject *value

cdef _Front _CLASS_FRONT[64]
cdef _Front _FORWARD_FRONT[64]


cdef inline _Front *_front_slot(_Front *front, object cls):
    return &front[(<size_t> <PyObject *> cls >> 8) & 63]


cdef inline void _front_store(_Front *slot, object cls, object value):
    cdef PyObject *old_cls = slot.cls
    cdef PyObject *old_value = slot.value
    Py_INCREF(cls)
    Py_INCREF(value)
    slot.cls, slot.value = <PyObject *> cls, <PyObject *> value
    Py_XDECREF(old_cls)
    Py_XDECREF(old_value)


cdef tuple _class_of(object cls):
    """``(cls._array_forward, cls._backward_cls, cls._is_view)``: constants that FunctionMeta
    and the class body set when an op's class is made, read once per class (three lookups
    through the class's bases otherwise, at every op)."""
    cdef _Front *slot = _front_slot(_CLASS_FRONT, cls)
    if slot.cls == <PyObject *> cls:
        return <tuple> slot.value
    found = _classes.get(cls)
    if found is None:
        found = _remember(_classes, cls, (bool(cls._array_forward), cls._backward_cls,
                                          bool(cls._is_view)))
    _front_store(slot, cls, found)
    return <tuple> found


cdef object _apply(object cls, tuple args):
    cdef Py_ssize_t n = len(args)
    cdef tuple of_class = _class_of(cls)
    if n > 2 or n == 0 or not of_class[0]:
        return _python_apply(cls, *args)
    if not _OFF or _state.enabled:  # the thread-local read only when some thread is off
        for arg in args:
            if _is_tensor(arg) and _get(arg, T_REQUIRES_GRAD):
                return _recorded(cls, args, n, of_class)
    return _unrecorded(cls, args, n, of_class[2])


# -- x @ w: Tensor.__matmul__'s usual case --------------------------------------------------

from engine import _tensor_ops
from engine.ops import linalg

cdef object _python_matmul = _tensor_ops.TensorOps.__dict__["__matmul__"]
# What engine.substitute may swap is read at each use, from the module's own dict: what
# `module.name` finds, without the module type's attribute lookup (~250 instructions).
cdef dict _LINALG = vars(linalg)


def matmul(self, other):
    """``Tensor.__matmul__`` (``_tensor_ops.py``): two 2-D NumPy tensors go to ``Mm`` here,
    their dimensions read from the arrays' structs; anything else to the Python method."""
    if _is_tensor(other):
        a = _get(self, T_DATA)
        b = _get(other, T_DATA)
        if (type(a) is _ndarray and type(b) is _ndarray
                and cnp.PyArray_NDIM(<cnp.ndarray> a) == 2
                and cnp.PyArray_NDIM(<cnp.ndarray> b) == 2):
            return _apply(_LINALG["Mm"], (self, other))  # linalg.Mm (engine.substitute)
    return _python_matmul(self, other)


# -- the backward pass: engine_loop.run_backward's lean loop -----------------------------------


cdef inline int _switch(bint enabled) except -1:
    """``grad_mode.switch(enabled)`` inline."""
    if _grad_state.enabled != enabled:
        if enabled:
            _unmark_off()
        else:
            _mark_off(None)
        _grad_state.enabled = enabled
    return 0


cdef inline bint _owned(object g, set shared):
    """``engine_loop._owned``: may this gradient become a leaf's ``.grad`` uncopied? For a
    NumPy array, its base and writeable flag read from the array itself (``g.flags`` makes
    an object per read)."""
    if type(g) is not _ndarray:
        return _python_owned(g, shared)
    return (cnp.PyArray_BASE(<cnp.ndarray> g) is NULL
            and cnp.PyArray_FLAGS(<cnp.ndarray> g) & cnp.NPY_ARRAY_WRITEABLE
            and id(g) not in shared)


from engine.autograd import engine_loop
from engine.ops import dual

cdef PyTypeObject *BACKWARD_FUNCTION = <PyTypeObject *> function.BackwardFunction
cdef type _AccumulateGrad = graph.AccumulateGrad
cdef Py_ssize_t A_VARIABLE_REF = _offset(graph.AccumulateGrad, "_variable_ref")
cdef object _python_run_backward = engine_loop.run_backward
cdef dict _ENGINE_LOOP = vars(engine_loop)  # what engine.substitute swaps: see _LINALG
cdef object _ENGINE_TOPOLOGICAL_ORDER = engine_loop.topological_order
cdef object _ENGINE_ACCUMULATE_GRAD = engine_loop._ENGINE_ACCUMULATE_GRAD
cdef object _grad_state = engine_loop._grad_state
cdef object _run_state = engine_loop._run_state
cdef object _one = engine_loop._one
cdef object _python_owned = engine_loop._owned
cdef dict _forward_classes = {}


cdef inline object _forward_of(object node):
    """The Function of a built-in's node, whose backward runs on raw arrays (``node.
    _forward_cls`` when ``node._array_backward``), else None; both are class attributes, read
    once per node class."""
    cls = type(node)
    cdef _Front *slot = _front_slot(_FORWARD_FRONT, cls)
    if slot.cls == <PyObject *> cls:
        return <object> slot.value
    found = _forward_classes.get(cls, _FREED)
    if found is _FREED:
        found = _remember(_forward_classes, cls,
                          node._forward_cls if node._array_backward else None)
    _front_store(slot, cls, found)
    return found
cdef object _validate = engine_loop._validate
cdef object _call_node = engine_loop._call_node
cdef object _track_sharing = engine_loop._track_sharing
cdef object _accumulate_into_leaf = engine_loop.accumulate_into_leaf
cdef object _by_seq = engine_loop._by_seq
cdef object _quiet = dual.quiet
cdef object _set_quiet = dual._set_state, _reset_quiet = dual._reset_state, _IGNORE = dual._IGNORE


ctypedef struct _Ranked:
    long long seq
    PyObject *node


cdef enum:
    _SMALL_GRAPH = 32  # up to this many nodes a linear scan for "seen"; the sort's run length


cdef int _sort_latest_first(_Ranked *items, Py_ssize_t n) except -1:
    """Sort ``items`` on ``seq``, latest first: runs of _SMALL_GRAPH insertion-sorted (all of a
    small graph), then merged pairwise. qsort's comparisons through a function pointer cost
    W4's 601-node graph ~190,000 instructions a backward; this ~40,000 (NOTES.md)."""
    cdef Py_ssize_t start, end, i, j, width, lo, mid, hi, left, right, k
    cdef _Ranked key
    cdef _Ranked *src = items
    cdef _Ranked *dst
    cdef _Ranked *scratch
    for start in range(0, n, _SMALL_GRAPH):
        end = min(start + _SMALL_GRAPH, n)
        for i in range(start + 1, end):
            key = items[i]
            j = i - 1
            while j >= start and items[j].seq < key.seq:
                items[j + 1] = items[j]
                j -= 1
            items[j + 1] = key
    if n <= _SMALL_GRAPH:
        return 0
    scratch = <_Ranked *> PyMem_Malloc(n * sizeof(_Ranked))
    if scratch is NULL:
        raise MemoryError()
    dst = scratch
    width = _SMALL_GRAPH
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            left, right, k = lo, mid, lo
            while left < mid and right < hi:
                if src[right].seq > src[left].seq:
                    dst[k] = src[right]
                    right += 1
                else:
                    dst[k] = src[left]
                    left += 1
                k += 1
            while left < mid:
                dst[k] = src[left]
                left += 1
                k += 1
            while right < hi:
                dst[k] = src[right]
                right += 1
                k += 1
        src, dst = dst, src
        width *= 2
    if src is not items:
        memcpy(items, src, n * sizeof(_Ranked))
    PyMem_Free(scratch)
    return 0


cdef inline size_t _slot_of(PyObject *node, int bits):
    """Where a node's pointer goes in a table of 2**bits slots (Fibonacci hashing of the
    address: nodes sit 16 bytes apart at least, so the low 4 bits say nothing)."""
    return ((<size_t> node >> 4) * <size_t> 11400714819323198485ULL) >> (64 - bits)


cdef PyObject **_seen_table(_Ranked *found, Py_ssize_t n, int bits) except NULL:
    """A table of 2**bits slots holding the pointers of found[0:n] (linear probing)."""
    cdef size_t size = (<size_t> 1) << bits, i
    cdef PyObject **table = <PyObject **> PyMem_Malloc(size * sizeof(PyObject *))
    if table is NULL:
        raise MemoryError()
    memset(table, 0, size * sizeof(PyObject *))
    cdef Py_ssize_t j
    for j in range(n):
        i = _slot_of(found[j].node, bits)
        while table[i] is not NULL:
            i = (i + 1) & (size - 1)
        table[i] = found[j].node
    return table


cdef list _topological_order(object root):
    """engine_loop.topological_order([root]): the reachable nodes, latest created first.

    A depth-first walk over the ``_edges`` slots into C arrays (the nodes found, with their
    ``_seq``, and the stack), then a sort on ``_seq`` (_sort_latest_first: an insertion sort
    for a small graph, merged runs beyond). A linear "seen" scan finds repeats in a small
    graph, a table of pointers (open addressing, kept under half full) in a bigger one: a
    Python set cost ~150 instructions per node there. (With Python lists and a set, W1's
    nine-node graph cost ~7,000 instructions here, mostly growing lists.) The pointers are
    borrowed: every node found is held by an edge of a node found before it, and nothing in
    the walk runs Python code."""
    cdef Py_ssize_t capacity = _SMALL_GRAPH, n = 1, top = 1, i, j
    cdef _Ranked *found = <_Ranked *> PyMem_Malloc(capacity * sizeof(_Ranked))
    cdef PyObject **stack = <PyObject **> PyMem_Malloc(capacity * sizeof(PyObject *))
    cdef _Ranked *grown_found
    cdef PyObject **grown_stack
    cdef PyObject *child
    cdef PyObject **seen = NULL  # the table, once the graph outgrows the linear scan
    cdef PyObject **grown_seen
    cdef int bits = 0
    cdef size_t slot, mask = 0
    if found is NULL or stack is NULL:
        PyMem_Free(found)
        PyMem_Free(stack)
        raise MemoryError()
    try:
        found[0].seq = _get(root, N_SEQ)
        found[0].node = <PyObject *> root
        stack[0] = <PyObject *> root
        while top:
            top -= 1
            for edge in _get(<object> stack[top], N_EDGES):
                if edge is None:
                    continue
                child_object = (<tuple> edge)[0]
                if child_object is None:
                    continue
                child = <PyObject *> child_object
                if seen is NULL:
                    for i in range(n):
                        if found[i].node == child:
                            break
                    else:
                        i = n
                    if i < n:
                        continue
                    if n == _SMALL_GRAPH:  # a big graph: the table from here on
                        bits = 8
                        seen = _seen_table(found, n, bits)
                        mask = ((<size_t> 1) << bits) - 1
                if seen is not NULL:
                    slot = _slot_of(child, bits)
                    while seen[slot] is not NULL and seen[slot] != child:
                        slot = (slot + 1) & mask
                    if seen[slot] == child:
                        continue
                    seen[slot] = child
                if n == capacity:  # the stack never holds more than the nodes found
                    capacity *= 2
                    grown_found = <_Ranked *> PyMem_Realloc(found, capacity * sizeof(_Ranked))
                    if grown_found is NULL:
                        raise MemoryError()
                    found = grown_found
                    grown_stack = <PyObject **> PyMem_Realloc(
                        stack, capacity * sizeof(PyObject *))
                    if grown_stack is NULL:
                        raise MemoryError()
                    stack = grown_stack
                found[n].seq = _get(child_object, N_SEQ)
                found[n].node = child
                n += 1
                stack[top] = child
                top += 1
                if seen is not NULL and 2 * n > <Py_ssize_t> mask:  # keep it under half full
                    bits += 2
                    grown_seen = _seen_table(found, n, bits)
                    PyMem_Free(seen)
                    seen = grown_seen
                    mask = ((<size_t> 1) << bits) - 1
        _sort_latest_first(found, n)
        return [<object> found[i].node for i in range(n)]
    finally:
        PyMem_Free(found)
        PyMem_Free(stack)
        PyMem_Free(seen)


cdef inline int _release(object node, bint is_function) except -1:
    """Free what the node saved: BackwardFunction._release, inline for a built-in's node."""
    if not is_function:
        if node._saved is not None:
            node._release()
        return 0
    saved = _get(node, N_SAVED)
    if saved is None or saved is _FREED:
        return 0
    if _forward_of(node) is None:  # not node._array_backward, read once per class
        node._release()  # a user's Function: see _release
        return 0
    for entry in saved:  # a node that saved nothing (x + 1) can run again
        if (<tuple> entry)[0] or (<tuple> entry)[1] is not None:
            _set(node, N_SAVED, _FREED)
            return 0
    return 0


# The node whose built-in backward the lean loop below is running now, and on which thread:
# its ctx.saved_tensors then knows without reading the thread-local grad mode (~500
# instructions, twice per W4 layer) that the pass is not recorded. Set around that one call
# only (a hooked node, a user's Function and the Python pass never see it set) and cleared
# after; another thread's pass overwrites or clears it, which only sends reads to the full
# test. A borrowed pointer, compared, never dereferenced: the loop's order holds the node.
cdef void *_running_node = NULL
cdef unsigned long _running_thread = 0


def run_backward(roots, grad_roots, retain_graph=None, create_graph=False, inputs=None,
                 accumulate=True, allow_unused=False):
    """``engine_loop.run_backward``: the usual ``loss.backward()`` here (one scalar root, its
    implicit gradient, no ``inputs``, nothing recorded, no anomaly mode, the engine's own
    topological order); everything else in ``engine_loop``."""
    global _running_node, _running_thread
    if (len(roots) != 1 or grad_roots[0] is not None or create_graph or inputs is not None
            or not accumulate
            or _ENGINE_LOOP["topological_order"] is not _ENGINE_TOPOLOGICAL_ORDER
            or _anomaly_state.enabled):
        return _python_run_backward(roots, grad_roots, retain_graph, create_graph, inputs,
                                    accumulate, allow_unused)
    root = roots[0]
    if not _is_tensor(root) or not _get(root, T_REQUIRES_GRAD) or _get(root, T_DATA).size != 1:
        return _python_run_backward(roots, grad_roots, retain_graph, create_graph, inputs,
                                    accumulate, allow_unused)
    cdef bint retain = bool(retain_graph)
    grad = _one(_get(root, T_DATA))
    start = _get(root, T_GRAD_FN)
    cdef Py_ssize_t nr = 0
    if start is None:
        start = _accumulator_of(root)
    else:
        nr = _get(root, T_OUTPUT_NR)
    # Arrays a caller handed in may be held elsewhere: never make them a .grad uncopied.
    cdef set shared = {id(grad)}
    cdef list order = _topological_order(start)
    # A node's gradients so far: the array itself while only its output 0 has one (a list
    # per node cost ~400 instructions to make and free), a list once another output has.
    cdef dict buffers = {}
    if nr == 0:
        buffers[start] = grad
    else:
        buffers[start] = [None] * len(start._outputs_meta)
        buffers[start][nr] = grad
    prev_enabled, prev_accumulate = _grad_state.enabled, _run_state.accumulate
    _switch(False)
    _run_state.accumulate = True
    # dual.quiet(), without its object: NumPy's error state set to "ignore" for the pass.
    token = _set_quiet(_IGNORE) if _set_quiet is not None else None
    quiet = _quiet().__enter__() if token is None else None
    cdef bint is_function
    try:
        for node in order:
            is_function = PyType_IsSubtype(Py_TYPE(node), BACKWARD_FUNCTION)
            grads = buffers.pop(node, None)
            if grads is None:  # no gradient reached this node
                if not retain:
                    _release(node, is_function)
                continue
            if type(grads) is list:
                g0, single = grads[0], len(grads) == 1
            else:  # only output 0 has a gradient
                g0 = grads
                single = type(node) is _AccumulateGrad or node._outputs_meta is None
                if not single:
                    grads = [g0] + [None] * (len(node._outputs_meta) - 1)
            if _HOOKED_EVER[0] and node._hooked:
                out = _call_node(node, grads if type(grads) is list else [g0], True, shared)
            elif type(node) is _AccumulateGrad:
                leaf = _get(node, A_VARIABLE_REF)()
                if leaf is None:  # see engine_loop._call_node
                    continue
                if (leaf._hooks
                        or _ENGINE_LOOP["accumulate_grad"] is not _ENGINE_ACCUMULATE_GRAD):
                    _accumulate_into_leaf(leaf, g0, True, shared)
                elif leaf._grad is None:
                    leaf._grad = _make_tensor(g0 if _owned(g0, shared) else g0.copy(), False, None)
                else:
                    stored = leaf._grad
                    data = _get(stored, T_DATA)
                    data += g0  # in place: the same array, no attribute write
                    if not (_INFERENCE_EVER[0] and stored._inference):
                        _get(stored, T_VC)[0] += 1  # its _bump(), inline
                continue
            elif is_function and single and (forward_cls := _forward_of(node)) is not None:
                _running_node, _running_thread = <void *> node, PyThread_get_thread_ident()
                result = forward_cls.backward(node, g0)
                _running_node = NULL
                if type(result) is tuple:
                    out = _fit(node, list(result))
                    if len(out) == 2:
                        first, second = out
                        if first is second and first is not None:
                            shared.add(id(first))  # Add sends g along both edges
                    elif len(out) > 2:
                        _track_sharing(out, shared)
                else:
                    out = _fit(node, [result])
            else:
                out = _call_node(node, grads if type(grads) is list else [g0], True, shared)
            if not retain:
                _release(node, is_function)
            if out is None:
                continue
            edges = <tuple> _get(node, N_EDGES)
            for i in range(min(len(edges), len(out))):  # zip's pairs, without a zip object
                grad = out[i]
                edge = edges[i]
                if grad is None or edge is None:
                    continue
                child = (<tuple> edge)[0]
                if child is None:
                    continue
                nr = (<tuple> edge)[1]
                buf = buffers.get(child)
                if nr == 0 and type(buf) is not list:
                    buffers[child] = grad if buf is None else buf + grad  # a new array
                    continue
                if type(buf) is not list:
                    first = buf
                    buf = buffers[child] = [None] * len(child._outputs_meta)
                    buf[0] = first
                buf[nr] = grad if buf[nr] is None else buf[nr] + grad
    finally:
        _running_node = NULL
        if token is not None:
            _reset_quiet(token)
        else:
            quiet.__exit__(None, None, None)
        _switch(prev_enabled)
        _run_state.accumulate = prev_accumulate
    return None


# -- fitting a node's gradients to its inputs: engine_loop._validate, for raw arrays --------

from engine import backend

cdef object _ENGINE_SUM_TO = dual.sum_to
cdef dict _DUAL = vars(dual)  # what engine.substitute swaps: see _LINALG
cdef object _add_reduce = numpy.add.reduce


cdef bint _reduce_to_array():
    """Whether this NumPy's ufuncs take ``out=...`` (a 0-d result as an array, not a scalar:
    NumPy >= 2.3); a gradient that stays an array is added into a ``.grad`` faster."""
    try:
        return type(_add_reduce(numpy.zeros(1), None, None, out=...)) is _ndarray
    except (TypeError, ValueError):
        return False


cdef bint _OUT_ARRAY = _reduce_to_array()


cdef bint _expandable(tuple small, tuple big):
    cdef Py_ssize_t lead = len(big) - len(small)
    if lead < 0:
        return False
    for i in range(len(small)):
        n = small[i]
        if n != 1 and n != big[lead + i]:
            return False
    return True


cdef object _F32 = numpy.dtype(numpy.float32), _F64 = numpy.dtype(numpy.float64)
cdef object _ones_of = backend.ones_of
cdef Py_ssize_t _ONES_KEPT = backend._ONES_KEPT
cdef object _matmul = numpy.matmul, _empty = numpy.empty


cdef object _ones_f32 = None, _ones_f64 = None  # the vectors of ones used last


cdef object _sum_leading(cnp.ndarray g, Py_ssize_t count, tuple shape):
    """backend.sum_leading (one product with a vector of ones), read from the array's struct."""
    global _ones_f32, _ones_f64
    descr = <object> cnp.PyArray_DESCR(g)
    if (descr is not _F32 and descr is not _F64) or not cnp.PyArray_IS_C_CONTIGUOUS(g):
        return None
    cdef cnp.npy_intp size = cnp.PyArray_SIZE(g), rows = 1, cols
    if size == 0:
        return None
    cdef cnp.npy_intp *dims = cnp.PyArray_DIMS(g)
    for i in range(count):
        rows *= dims[i]
    cols = size // rows
    if cols < 2:
        return None
    ones = _ones_f32 if descr is _F32 else _ones_f64  # a batch size recurs: the same vector
    if ones is None or cnp.PyArray_DIMS(<cnp.ndarray> ones)[0] != rows:
        ones = _ones_of(rows, descr)
        if rows <= _ONES_KEPT:  # one that backend.ones_of keeps too
            if descr is _F32:
                _ones_f32 = ones
            else:
                _ones_f64 = ones
    # A bias's gradient is already the matrix; anything else, its view as one.
    flat = g if count == 1 and cnp.PyArray_NDIM(g) == 2 else (<object> g).reshape(rows, cols)
    if len(shape) == 1:
        return _matmul(ones, flat)
    out = _empty(shape, descr)
    _matmul(ones, flat, out=out.reshape(cols))
    return out


cdef object _sum_to(object g, tuple shape):
    """dual.sum_to(g, shape) for a NumPy array: sum the dimensions broadcasting added (a
    fresh array, so it can become a .grad uncopied), keep those it grew."""
    cdef tuple g_shape = g.shape
    cdef Py_ssize_t lead = len(g_shape) - len(shape)
    grown = []
    for i in range(len(shape)):
        if shape[i] == 1 and g_shape[lead + i] != 1:
            grown.append(i)
    cdef Py_ssize_t k = len(grown)
    if (lead or k) and (not k or grown[k - 1] == k - 1):  # the summed dimensions all lead
        out = _sum_leading(<cnp.ndarray> g, lead + k, shape)
        if out is not None:
            return out
    if lead:
        if not shape and _OUT_ARRAY:  # summed to a 0-d gradient: keep it an array
            return _add_reduce(g, tuple(range(lead)), None, out=...)
        g = _add_reduce(g, tuple(range(lead)), None, None, False)
    if grown:
        g = _add_reduce(g, tuple(grown), None, None, True)
    return g


cdef inline bint _has_shape(cnp.ndarray array, object shape):
    """``array.shape == shape``, read from the array's struct (``.shape`` makes a tuple)."""
    if type(shape) is not tuple:
        return (<object> array).shape == shape
    cdef int ndim = cnp.PyArray_NDIM(array)
    if ndim != len(<tuple> shape):
        return False
    cdef cnp.npy_intp *dims = cnp.PyArray_DIMS(array)
    for i in range(ndim):
        if dims[i] != <cnp.npy_intp> shape[i]:
            return False
    return True


cdef list _fit(object node, list grads):
    """engine_loop._validate(node, grads, raw=True) in one pass: a gradient already of its
    input's shape and dtype (the usual case) is left as it is, one broadcast is summed back,
    one of another dtype cast. Anything else (a wrong count or shape, which raise, an array
    of another library, another device) goes through _validate itself."""
    edges = _get(node, N_EDGES)
    meta = _get(node, N_META)
    if meta is None or len(grads) != len(edges):
        return _validate(node, grads, True)
    for i in range(len(grads)):
        edge = edges[i]
        grad = grads[i]
        if edge is None or grad is None or (<tuple> edge)[0] is None:
            continue
        if _is_tensor(grad):  # a formula mixed in a tensor: take its data
            grad = _get(grad, T_DATA)
        m = meta[i]
        if type(grad) is not _ndarray or (len(m) > 2 and m[2] is not None):
            return _validate(node, grads, True)
        shape = m[0]
        if not _has_shape(<cnp.ndarray> grad, shape):
            if not _expandable(shape, grad.shape):
                return _validate(node, grads, True)  # raises PyTorch's error
            sum_to = _DUAL["sum_to"]  # dual.sum_to: engine.substitute may swap it
            grad = _sum_to(grad, shape) if sum_to is _ENGINE_SUM_TO else sum_to(grad, shape)
        dtype = m[1]
        if <object> cnp.PyArray_DESCR(<cnp.ndarray> grad) is not dtype and grad.dtype != dtype:
            grad = grad.astype(dtype)
        grads[i] = grad
    return grads


# -- ctx.saved_tensors ----------------------------------------------------------------------

cdef str _ALREADY_FREED = function._ALREADY_FREED
cdef object _unpack = function._unpack


def saved_tensors(node):
    """``BackwardFunction.saved_tensors``: raw arrays in a built-in's backward unless the pass
    is recorded, tensors otherwise; an entry modified in place since saved raises (_unpack)."""
    saved = _get(node, N_SAVED)
    if saved is _FREED:
        raise RuntimeError(_ALREADY_FREED)
    if saved is None:
        return ()
    if not ((_running_node == <void *> node and _running_thread == PyThread_get_thread_ident())
            or (node._array_backward and _OFF and not _state.enabled)):
        return tuple([_unpack(node, entry, False) for entry in saved])
    out = []
    for entry in saved:
        kind = (<tuple> entry)[0]
        obj = (<tuple> entry)[1]
        # The usual entries inline: an input tensor or one of this node's outputs,
        # unmodified since saved, or a plain value.
        if kind == 1:
            if _get(obj, T_VC)[0] == (<tuple> entry)[2]:
                out.append(_get(obj, T_DATA))
                continue
        elif kind == 2:
            if (<tuple> obj)[1][0] == (<tuple> entry)[2]:
                out.append((<tuple> obj)[0])
                continue
        elif kind == 0:
            out.append(obj)
            continue
        out.append(_unpack(node, entry, True))
    return tuple(out)


# -- in-place arithmetic and fill_ without a graph (optimizer steps, zeroing gradients) ----

cdef object _python_arith = Tensor.__dict__["_arith_"]
cdef object _python_fill = Tensor.__dict__["fill_"]


cdef inline bint _plain_inplace(object self, bint other_requires_grad):
    """Nothing is recorded and _check_inplace has nothing to check: not an inference tensor,
    and, in grad mode, no operand that requires grad and no view (whose base is checked)."""
    if _INFERENCE_EVER[0] and self._inference:
        return False
    if _OFF and not _state.enabled:
        return True
    return not (_get(self, T_REQUIRES_GRAD) or other_requires_grad) and self._base is None


def arith_(self, ufunc, op, other):
    """``Tensor._arith_`` (``self op= other``): the usual case here, a NumPy array and a
    same-dtype array or a float into a float tensor, written straight into its memory."""
    return _arith(self, ufunc, op, other)


cdef object _arith(object self, object ufunc, object op, object other):
    other_is_tensor = _is_tensor(other)
    raw = _get(other, T_DATA) if other_is_tensor else other
    if not _plain_inplace(self, other_is_tensor and _get(other, T_REQUIRES_GRAD)):
        return _python_arith(self, ufunc, op, other)
    data = _get(self, T_DATA)
    if type(data) is not _ndarray:
        return _python_arith(self, ufunc, op, other)
    if type(raw) is _ndarray:
        if (cnp.PyArray_DESCR(<cnp.ndarray> raw) is not cnp.PyArray_DESCR(<cnp.ndarray> data)
                and raw.dtype != data.dtype):  # the same descriptor object, or equal ones
            return _python_arith(self, ufunc, op, other)
    elif not (type(raw) is float and _kind(<cnp.ndarray> data) == b"f"):
        return _python_arith(self, ufunc, op, other)
    try:
        ufunc(data, raw, data)
    except ValueError:  # not broadcastable into this tensor: PyTorch's words, from Python
        return _python_arith(self, ufunc, op, other)
    _get(self, T_VC)[0] += 1  # its _bump()
    return self


def fill_(self, value):
    """``Tensor.fill_`` (and ``zero_``): the usual case, a number into a NumPy array."""
    data = _get(self, T_DATA)
    if (_is_tensor(value) or type(data) is not _ndarray
            or not _plain_inplace(self, False)):
        return _python_fill(self, value)
    data[...] = value
    _get(self, T_VC)[0] += 1
    return self


# -- ctx.save_for_backward ------------------------------------------------------------------
#
# Every recorded op's forward calls ctx.save_for_backward (and many unrecorded ones the null
# ctx's): as a C method (METH_FASTCALL) the call skips a compiled Python function's argument
# parsing and its *args tuple, and the slot is written at its offset (~140 instructions
# fewer per call).

cdef inline tuple _tuple_of(PyObject **items, Py_ssize_t n):
    """A METH_FASTCALL method's arguments as a tuple."""
    result = PyTuple_New(n)
    cdef Py_ssize_t i
    for i in range(n):
        Py_INCREF(<object> items[i])
        PyTuple_SET_ITEM(result, i, items[i])
    return result


cdef object _save_for_backward(object ctx, PyObject **args, Py_ssize_t nargs):
    """``BackwardFunction.save_for_backward(*tensors)``: ``ctx._to_save = tensors``."""
    _set(ctx, N_TO_SAVE, _tuple_of(args, nargs))
    return None


cdef object _save_nothing(object ctx, PyObject **args, Py_ssize_t nargs):
    """``_NullContext.save_for_backward``: nothing is recorded, nothing kept."""
    return None


cdef PyMethodDef _SAVE_METHODS[2]
_SAVE_METHODS[0].ml_name = "save_for_backward"
_SAVE_METHODS[0].ml_meth = <void *> _save_for_backward
_SAVE_METHODS[0].ml_flags = METH_FASTCALL
_SAVE_METHODS[0].ml_doc = "Keep these for backward (ctx.saved_tensors gives them back)."
_SAVE_METHODS[1].ml_name = "save_for_backward"
_SAVE_METHODS[1].ml_meth = <void *> _save_nothing
_SAVE_METHODS[1].ml_flags = METH_FASTCALL
_SAVE_METHODS[1].ml_doc = "Nothing is recorded: nothing to keep."

save_for_backward = PyDescr_NewMethod(<PyTypeObject *> function.BackwardFunction,
                                      &_SAVE_METHODS[0])
save_nothing = PyDescr_NewMethod(<PyTypeObject *> function._NullContext, &_SAVE_METHODS[1])


# -- t.tanh() and the other hot one-line methods ----------------------------------------------
#
# ``TensorOps.tanh`` is ``return U.Tanh.apply(self)``: compiled, the method call, the module
# attribute, the class method's binding and ``apply``'s ``*args`` cost ~800 instructions
# before ``_apply`` (one such op per W4 layer). The same as C methods (METH_NOARGS), each
# reading its op class from ``engine.ops.unary``'s dict at every call (engine.substitute).

from engine.ops import unary

cdef dict _UNARY = vars(unary)


cdef object _exp(object self, object unused):
    return _apply(_UNARY["Exp"], (self,))


cdef object _log(object self, object unused):
    return _apply(_UNARY["Log"], (self,))


cdef object _tanh(object self, object unused):
    return _apply(_UNARY["Tanh"], (self,))


cdef object _sigmoid(object self, object unused):
    return _apply(_UNARY["Sigmoid"], (self,))


cdef object _relu(object self, object unused):
    return _apply(_UNARY["Relu"], (self,))


cdef object _neg(object self, object unused):
    return _apply(_UNARY["Neg"], (self,))


cdef PyMethodDef _UNARY_METHODS[6]
_UNARY_METHODS[0].ml_name, _UNARY_METHODS[0].ml_meth = "exp", <void *> _exp
_UNARY_METHODS[1].ml_name, _UNARY_METHODS[1].ml_meth = "log", <void *> _log
_UNARY_METHODS[2].ml_name, _UNARY_METHODS[2].ml_meth = "tanh", <void *> _tanh
_UNARY_METHODS[3].ml_name, _UNARY_METHODS[3].ml_meth = "sigmoid", <void *> _sigmoid
_UNARY_METHODS[4].ml_name, _UNARY_METHODS[4].ml_meth = "relu", <void *> _relu
_UNARY_METHODS[5].ml_name, _UNARY_METHODS[5].ml_meth = "__neg__", <void *> _neg
for _i in range(6):
    _UNARY_METHODS[_i].ml_flags = METH_NOARGS
    _UNARY_METHODS[_i].ml_doc = NULL

# name -> C method of Tensor, installed by engine._speedups.install_core
unary_methods = {
    (<bytes> _UNARY_METHODS[_i].ml_name).decode(): PyDescr_NewMethod(TENSOR, &_UNARY_METHODS[_i])
    for _i in range(6)
}


# -- x + y, 2 * x, x ** 2 and the other frequent operators; t.mean(), t.sum(); x -= y ---------
#
# ``TensorOps.__add__`` is ``return B.Add.apply(self, other)`` after a look at ``other``; as
# with t.tanh() above, the module attribute, the class method's binding and ``apply``'s
# ``*args`` cost more than the op's own recording. Here each operator is a C method (METH_O)
# that sends a tensor, a float or an int (what ``_operand`` passes through unchanged)
# straight to ``_apply``, the op class read from its module's dict at every call
# (engine.substitute), and hands any other operand to the Python method, which converts it
# or raises. ``mean()`` and ``sum()`` without arguments, and ``x += y``, ``x -= y``,
# ``x *= y`` on a Tensor (not a subclass, whose own ``add_`` they must call) likewise.

from engine.ops import binary, reduce
import operator

cdef dict _BINARY = vars(binary)
cdef dict _REDUCE = vars(reduce)
cdef dict _TENSOR_OPS = dict(_tensor_ops.TensorOps.__dict__)
cdef object _python_add = _TENSOR_OPS["__add__"], _python_radd = _TENSOR_OPS["__radd__"]
cdef object _python_sub = _TENSOR_OPS["__sub__"], _python_rsub = _TENSOR_OPS["__rsub__"]
cdef object _python_mul = _TENSOR_OPS["__mul__"], _python_rmul = _TENSOR_OPS["__rmul__"]
cdef object _python_truediv = _TENSOR_OPS["__truediv__"], _python_pow = _TENSOR_OPS["__pow__"]
cdef object _python_mean = _TENSOR_OPS["mean"], _python_sum = _TENSOR_OPS["sum"]
cdef object _python_iadd = Tensor.__dict__["__iadd__"], _python_isub = Tensor.__dict__["__isub__"]
cdef object _python_imul = Tensor.__dict__["__imul__"]
cdef object _np_add = numpy.add, _np_subtract = numpy.subtract, _np_multiply = numpy.multiply
cdef object _op_add = operator.add, _op_sub = operator.sub, _op_mul = operator.mul


cdef inline bint _plain(object other):
    """What ``_operand`` returns unchanged and the operators pass on as it is."""
    return type(other) is float or type(other) is int or _is_tensor(other)


cdef inline object _operator(str op, object self, object other, object python_method):
    """``self <op> other`` recorded by the op class named ``op`` in ``engine.ops.binary``."""
    if _plain(other):
        return _apply(_BINARY[op], (self, other))
    return python_method(self, other)


cdef object _add(object self, object other):
    return _operator("Add", self, other, _python_add)


cdef object _radd(object self, object other):
    return _operator("Add", self, other, _python_radd)


cdef object _sub(object self, object other):
    return _operator("Sub", self, other, _python_sub)


cdef object _mul(object self, object other):
    return _operator("Mul", self, other, _python_mul)


cdef object _rmul(object self, object other):
    return _operator("Mul", self, other, _python_rmul)


cdef object _truediv(object self, object other):
    return _operator("Div", self, other, _python_truediv)


cdef object _rsub(object self, object other):
    if type(other) is float or type(other) is int:  # 1 - x; a tensor's own __sub__ came first
        return _apply(_BINARY["Rsub"], (self, other))
    return _python_rsub(self, other)


cdef object _pow(object self, object exponent):
    if type(exponent) is int or type(exponent) is float:
        return _apply(_UNARY["PowScalar"], (self, exponent))
    if _is_tensor(exponent):
        return _apply(_BINARY["Pow"], (self, exponent))
    return _python_pow(self, exponent)


cdef inline object _inplace(object self, object other, object ufunc, object op,
                            object python_method):
    """``self op= other`` on a Tensor (a subclass's own ``add_`` and the like may differ)."""
    if Py_TYPE(self) != TENSOR:
        return python_method(self, other)
    return _arith(self, ufunc, op, other)


cdef object _iadd(object self, object other):
    return _inplace(self, other, _np_add, _op_add, _python_iadd)


cdef object _isub(object self, object other):
    return _inplace(self, other, _np_subtract, _op_sub, _python_isub)


cdef object _imul(object self, object other):
    return _inplace(self, other, _np_multiply, _op_mul, _python_imul)


cdef object _call_python(object method, object self, PyObject **args, Py_ssize_t nargs,
                         PyObject *kwnames):
    """``method(self, *args, **kwargs)`` from a METH_FASTCALL | METH_KEYWORDS call."""
    cdef Py_ssize_t i
    positional = [self] + [<object> args[i] for i in range(nargs)]
    keywords = {}
    if kwnames is not NULL:
        for i in range(len(<tuple> kwnames)):
            keywords[(<tuple> kwnames)[i]] = <object> args[nargs + i]
    return method(*positional, **keywords)


cdef object _mean(object self, PyObject **args, Py_ssize_t nargs, PyObject *kwnames):
    if nargs == 0 and (kwnames is NULL or len(<tuple> kwnames) == 0):
        return _apply(_REDUCE["MeanAll"], (self,))
    return _call_python(_python_mean, self, args, nargs, kwnames)


cdef object _sum(object self, PyObject **args, Py_ssize_t nargs, PyObject *kwnames):
    if nargs == 0 and (kwnames is NULL or len(<tuple> kwnames) == 0):
        return _apply(_REDUCE["SumAll"], (self, None))
    return _call_python(_python_sum, self, args, nargs, kwnames)


cdef PyMethodDef _OPERATOR_METHODS[13]
_OPERATOR_METHODS[0].ml_name, _OPERATOR_METHODS[0].ml_meth = "__add__", <void *> _add
_OPERATOR_METHODS[1].ml_name, _OPERATOR_METHODS[1].ml_meth = "__radd__", <void *> _radd
_OPERATOR_METHODS[2].ml_name, _OPERATOR_METHODS[2].ml_meth = "__sub__", <void *> _sub
_OPERATOR_METHODS[3].ml_name, _OPERATOR_METHODS[3].ml_meth = "__rsub__", <void *> _rsub
_OPERATOR_METHODS[4].ml_name, _OPERATOR_METHODS[4].ml_meth = "__mul__", <void *> _mul
_OPERATOR_METHODS[5].ml_name, _OPERATOR_METHODS[5].ml_meth = "__rmul__", <void *> _rmul
_OPERATOR_METHODS[6].ml_name, _OPERATOR_METHODS[6].ml_meth = "__truediv__", <void *> _truediv
_OPERATOR_METHODS[7].ml_name, _OPERATOR_METHODS[7].ml_meth = "__pow__", <void *> _pow
_OPERATOR_METHODS[8].ml_name, _OPERATOR_METHODS[8].ml_meth = "__iadd__", <void *> _iadd
_OPERATOR_METHODS[9].ml_name, _OPERATOR_METHODS[9].ml_meth = "__isub__", <void *> _isub
_OPERATOR_METHODS[10].ml_name, _OPERATOR_METHODS[10].ml_meth = "__imul__", <void *> _imul
for _i in range(11):
    _OPERATOR_METHODS[_i].ml_flags = METH_O
_OPERATOR_METHODS[11].ml_name, _OPERATOR_METHODS[11].ml_meth = "mean", <void *> _mean
_OPERATOR_METHODS[12].ml_name, _OPERATOR_METHODS[12].ml_meth = "sum", <void *> _sum
for _i in range(11, 13):
    _OPERATOR_METHODS[_i].ml_flags = METH_FASTCALL | METH_KEYWORDS

# Each keeps the Python method's docstring and signature (help(t.mean), inspect.signature):
# CPython reads a C method's signature from its docstring's first line, "name($self, ...)\n--".
# The bytes live as long as the module.
import inspect

cdef list _OPERATOR_DOCS = []
for _i in range(13):
    _name = (<bytes> _OPERATOR_METHODS[_i].ml_name).decode()
    _python = _TENSOR_OPS.get(_name) or Tensor.__dict__[_name]
    _signature = inspect.signature(_python)
    _parameters = list(_signature.parameters.values())[1:]
    _text = str(_signature.replace(parameters=_parameters))
    _text = _text[1:len(_text) - 1]  # the parameters without their parentheses
    if _OPERATOR_METHODS[_i].ml_flags == METH_O:
        _text = f"{_name}($self, {_text}, /)"
    else:
        _text = f"{_name}($self, /, {_text})"
    _lines = (_python.__doc__ or "").split("\n")
    if _lines[0].startswith(_python.__qualname__ + "("):  # Cython's embedded signature
        _lines = _lines[1:]
    _doc = f"{_text}\n--\n\n" + "\n".join(_lines).strip()
    _doc = _doc.encode()
    _OPERATOR_DOCS.append(_doc)
    _OPERATOR_METHODS[_i].ml_doc = <const char *> <bytes> _doc

# name -> C method of Tensor, installed by engine._speedups.install_core
operator_methods = {
    (<bytes> _OPERATOR_METHODS[_i].ml_name).decode(): PyDescr_NewMethod(
        TENSOR, &_OPERATOR_METHODS[_i])
    for _i in range(13)
}
