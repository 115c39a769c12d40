"""In-place ops: values, version counters (shared by views), the leaf check, the saved-tensor
check at backward time, and the manual update step under no_grad."""

from __future__ import annotations

import re

import numpy as np
import pytest

import engine
from engine.testing import assert_close

from .conftest import MSG

# id, fn(t) doing the in-place op, expected values starting from [[1, 2, 3], [4, 5, 6]]
INPLACE = [
    ("add_", lambda t: t.add_(1), [[2, 3, 4], [5, 6, 7]]),
    ("add_tensor", lambda t: t.add_(engine.tensor([1.0, 0.0, -1.0])), [[2, 2, 2], [5, 5, 5]]),
    ("sub_", lambda t: t.sub_(1), [[0, 1, 2], [3, 4, 5]]),
    ("sub_tensor", lambda t: t.sub_(engine.tensor([[1.0], [2.0]])), [[0, 1, 2], [2, 3, 4]]),
    ("mul_", lambda t: t.mul_(2), [[2, 4, 6], [8, 10, 12]]),
    ("mul_tensor", lambda t: t.mul_(engine.tensor([0.0, 1.0, 2.0])), [[0, 2, 6], [0, 5, 12]]),
    ("div_", lambda t: t.div_(2), [[0.5, 1, 1.5], [2, 2.5, 3]]),
    ("div_tensor", lambda t: t.div_(engine.tensor([1.0, 2.0, 4.0])), [[1, 1, 0.75], [4, 2.5, 1.5]]),
    ("zero_", lambda t: t.zero_(), [[0, 0, 0], [0, 0, 0]]),
    ("fill_", lambda t: t.fill_(7.5), [[7.5] * 3] * 2),
]


def _aug(op):
    def run(t):
        if op == "+=":
            t += 1
        elif op == "-=":
            t -= 1
        elif op == "*=":
            t *= 2
        else:
            t /= 2
        return t

    return run


AUGMENTED = [
    ("+=", _aug("+="), [[2, 3, 4], [5, 6, 7]]),
    ("-=", _aug("-="), [[0, 1, 2], [3, 4, 5]]),
    ("*=", _aug("*="), [[2, 4, 6], [8, 10, 12]]),
    ("/=", _aug("/="), [[0.5, 1, 1.5], [2, 2.5, 3]]),
]


def _base(dtype="float32", requires_grad=False):
    return engine.tensor(
        [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=getattr(engine, dtype), requires_grad=requires_grad
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", INPLACE + AUGMENTED, ids=lambda c: c[0])
def test_inplace_values_identity_and_version(case, dtype):
    _, fn, expected = case
    t = _base(dtype)
    assert t._version == 0
    out = fn(t)
    assert out is t
    assert t.dtype == getattr(engine, dtype)
    assert_close(t, engine.tensor(expected, dtype=getattr(engine, dtype)))
    assert t._version == 1
    fn(t)
    assert t._version == 2


def test_out_of_place_ops_do_not_bump_versions():
    t = _base()
    u = t + 1
    t * 2
    t.sum()
    assert t._version == 0 and u._version == 0


VIEWS = [
    ("select", lambda x: x[0]),
    ("slice", lambda x: x[1:]),
    ("view", lambda x: x.view(-1)),
    ("t", lambda x: x.t()),
    ("transpose", lambda x: x.transpose(0, 1)),
    ("unsqueeze", lambda x: x.unsqueeze(0)),
    ("squeeze_dims", lambda x: x.unsqueeze(0).squeeze((0, 2))),
    ("squeeze_no_dims", lambda x: x.squeeze(())),
    ("detach", lambda x: x.detach()),
    ("reshape_alias", lambda x: x.t().reshape(3, 2)),  # non-contiguous, but viewable
    ("alias", lambda x: x[...]),
]


@pytest.mark.parametrize("case", VIEWS, ids=lambda c: c[0])
def test_a_view_shares_its_base_version_counter(case):
    _, make_view = case
    x = engine.zeros(2, 3)
    v = make_view(x)
    x.add_(1)
    assert v._version == 1 and x._version == 1
    assert float(v.sum().item()) > 0  # the view sees the new values
    v.mul_(2)
    assert x._version == 2 and v._version == 2
    assert x.sum().item() == 6.0 + v.numel()  # and the base sees the view's write


def test_writing_through_a_row_view():
    x = engine.zeros(2, 3)
    x[0].fill_(5)
    assert x.tolist() == [[5, 5, 5], [0, 0, 0]]
    x[:, 1].add_(1)
    assert x.tolist() == [[5, 6, 5], [0, 1, 0]]


@pytest.mark.parametrize("case", INPLACE + AUGMENTED, ids=lambda c: c[0])
def test_inplace_on_a_leaf_that_requires_grad_is_refused(case):
    _, fn, _ = case
    x = _base(requires_grad=True)
    with pytest.raises(RuntimeError) as err:
        fn(x)
    assert str(err.value) == MSG["leaf_inplace"]
    assert x.tolist() == [[1, 2, 3], [4, 5, 6]] and x._version == 0


def test_inplace_on_a_view_of_a_leaf_is_refused():
    x = _base(requires_grad=True)
    with pytest.raises(RuntimeError) as err:
        x[0].add_(1)
    assert str(err.value) == MSG["view_of_leaf_inplace"]
    assert x.tolist() == [[1, 2, 3], [4, 5, 6]]


# id, make(leaf) -> a view of it (or of a view of it)
VIEWS_OF_A_LEAF = [
    ("view", lambda b: b.view(3, 2)),
    ("select", lambda b: b[1]),
    ("slice_of_view", lambda b: b.view(-1)[2:]),
    ("t", lambda b: b.t()),
    ("unsqueeze", lambda b: b.unsqueeze(0)),
    ("alias", lambda b: b[...]),
]
# id, the in-place op on the view
WRITES = [
    ("mul_", lambda v: v.mul_(2)),
    ("add_tensor", lambda v: v.add_(engine.ones(1))),
    ("exp_", lambda v: v.exp_()),
    ("clamp_min_", lambda v: v.clamp_min_(0.5)),
    ("fill_", lambda v: v.fill_(1.0)),
    ("zero_", lambda v: v.zero_()),
    ("copy_", lambda v: v.copy_(engine.zeros(v.shape))),
    ("setitem", lambda v: v.__setitem__(..., 1.0)),
    ("normal_", lambda v: v.normal_()),
]


@pytest.mark.parametrize("write", WRITES, ids=lambda c: c[0])
@pytest.mark.parametrize("view", VIEWS_OF_A_LEAF, ids=lambda c: c[0])
def test_inplace_on_any_view_of_a_leaf_is_refused_as_a_view(view, write):
    x = _base(requires_grad=True)
    v = view[1](x)
    with pytest.raises(RuntimeError) as err:
        write[1](v)
    assert str(err.value) == MSG["view_of_leaf_inplace"]
    assert x.tolist() == [[1, 2, 3], [4, 5, 6]] and x._version == 0 and x.is_leaf


@pytest.mark.oracle
@pytest.mark.parametrize("view", VIEWS_OF_A_LEAF, ids=lambda c: c[0])
@pytest.mark.parametrize("how", ["made_leaf", "view_of_made_leaf", "base_stopped", "view_first"])
def test_views_of_leaves_not_requiring_grad_are_refused_as_torch(view, how, torch):
    """PyTorch checks a view against its base, which need not require grad: a view made a
    leaf by requires_grad_(), a view of one, a view whose base no longer requires grad, or
    one made before its base did."""
    outcomes = []
    for lib in (engine, torch):
        base = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        if how == "made_leaf":
            target = view[1](base).requires_grad_()
        elif how == "view_of_made_leaf":
            target = view[1](base[...].requires_grad_())
        elif how == "base_stopped":
            base.requires_grad_()
            target = view[1](base)
            base.requires_grad_(False)
        else:
            target = view[1](base)
            base.requires_grad_()
        try:
            target.mul_(2)
            outcomes.append(("ok", base.detach().tolist()))
        except RuntimeError as err:
            outcomes.append(("error", str(err), base.detach().tolist(), base._version))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("case", INPLACE + AUGMENTED, ids=lambda c: c[0])
def test_inplace_on_a_leaf_is_allowed_under_no_grad(case):
    _, fn, expected = case
    x = _base(requires_grad=True)
    with engine.no_grad():
        fn(x)
    assert_close(x.detach(), engine.tensor(expected, dtype=engine.float32))
    assert x.is_leaf and x.requires_grad and x.grad_fn is None


def test_manual_sgd_step_under_no_grad():
    w = engine.tensor([1.0, -2.0], requires_grad=True)
    ident = id(w)
    (w**2).sum().backward()
    lr = 0.1
    with engine.no_grad():
        w -= lr * w.grad
    assert id(w) == ident and w.is_leaf and w.requires_grad and w.grad_fn is None
    assert_close(w.detach(), engine.tensor([0.8, -1.6]))
    w.grad.zero_()
    assert w.grad.tolist() == [0.0, 0.0]
    (w * 3).sum().backward()  # still a working leaf
    assert w.grad.tolist() == [3.0, 3.0]


def test_grad_zero_():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    g = x.grad
    assert x.grad.zero_() is g and x.grad is g
    assert x.grad.tolist() == [0.0, 0.0]
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


# --- modifying what backward needs --------------------------------------------------------

MODIFIED = [
    # id, build(x) -> (loss, tensor modified), tensor type in the message
    ("operand_of_mul", lambda x: _square_then_modify(x.clone())),
    ("operand_of_pow", lambda x: _pow_then_modify(x * 1)),
    ("constant_operand", lambda x: _times_constant_then_modify(x)),
]


def _square_then_modify(a):
    b = a * a
    a.add_(1)
    return b.sum()


def _pow_then_modify(a):
    b = a**2
    a.add_(1)
    return b.sum()


def _times_constant_then_modify(x):
    c = engine.ones(3, dtype=x.dtype)
    b = x * c
    c.mul_(2)
    return b.sum()


@pytest.mark.parametrize("dtype,type_name", [("float32", "FloatTensor"), ("float64", "DoubleTensor")])
@pytest.mark.parametrize("case", MODIFIED, ids=lambda c: c[0])
def test_modifying_a_saved_tensor_fails_at_backward(case, dtype, type_name):
    _, build = case
    x = engine.tensor([1.0, 2.0, 3.0], dtype=getattr(engine, dtype), requires_grad=True)
    loss = build(x)  # building the graph and the in-place op are both fine
    with pytest.raises(RuntimeError) as err:
        loss.backward()
    text = str(err.value)
    head, _, rest = text.partition(":")
    assert head == MSG["modified_inplace"]
    assert "is at version 1; expected version 0 instead" in rest
    assert x.grad is None


@pytest.mark.parametrize("dtype,type_name", [("float32", "FloatTensor"), ("float64", "DoubleTensor")])
def test_modified_tensor_is_named_with_the_engine_type(dtype, type_name):
    x = engine.tensor([1.0, 2.0, 3.0], dtype=getattr(engine, dtype), requires_grad=True)
    loss = _square_then_modify(x.clone())
    with pytest.raises(RuntimeError) as err:
        loss.backward()
    assert re.match(
        re.escape(f"{MSG['modified_inplace']}: [engine.{type_name} [3]]"), str(err.value)
    ), str(err.value)


# --- in-place ops inside a graph ----------------------------------------------------------


def test_inplace_on_a_non_leaf_is_recorded():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.mul_(3)
    assert type(y.grad_fn).__name__ == "MulBackward0"
    assert y._version == 1
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]


def test_inplace_add_of_the_leaf_itself():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.add_(x)
    assert type(y.grad_fn).__name__ == "AddBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_an_earlier_consumer_keeps_the_old_graph():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1
    b = a + 1  # uses a before the in-place op; AddBackward0 saves nothing
    a.mul_(2)
    b.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_inplace_through_a_view_of_a_non_leaf():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y[0].mul_(5)
    assert y.tolist() == [10.0, 4.0]
    y.sum().backward()
    assert x.grad.tolist() == [10.0, 2.0]


@pytest.mark.oracle
@pytest.mark.parametrize(
    "case", [c for c in INPLACE if c[0] not in ("zero_", "fill_")], ids=lambda c: c[0]
)
def test_inplace_grad_fn_and_gradients_match_torch(case, torch):
    _, fn, _ = case
    fn_t = {  # the same op spelled for torch tensors
        "add_": lambda t: t.add_(1),
        "add_tensor": lambda t: t.add_(torch.tensor([1.0, 0.0, -1.0])),
        "sub_": lambda t: t.sub_(1),
        "sub_tensor": lambda t: t.sub_(torch.tensor([[1.0], [2.0]])),
        "mul_": lambda t: t.mul_(2),
        "mul_tensor": lambda t: t.mul_(torch.tensor([0.0, 1.0, 2.0])),
        "div_": lambda t: t.div_(2),
        "div_tensor": lambda t: t.div_(torch.tensor([1.0, 2.0, 4.0])),
    }[case[0]]
    data = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    xe = engine.tensor(data, requires_grad=True)
    xt = torch.tensor(data, requires_grad=True)
    ye, yt = xe * 1, xt * 1  # MulBackward0 by a number saves nothing the in-place op touches
    fn(ye)
    fn_t(yt)
    assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__
    (ye * ye).sum().backward()
    (yt * yt).sum().backward()
    assert_close(xe.grad, xt.grad)


def test_inplace_chain_on_a_non_leaf_sums_both_paths():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h += 1
    assert type(h.grad_fn).__name__ == "AddBackward0"
    h.mul_(x)
    h.sum().backward()
    assert x.grad.tolist() == [3 * 1 + (3 * 1 + 1), 3 * 2 + (3 * 2 + 1)]


def test_setitem_on_a_non_leaf_is_recorded():
    x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 1
    h[0] = 10.0
    assert type(h.grad_fn).__name__ == "CopySlices"
    h.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0]


def test_copy_and_fill_keep_infinities_out_of_the_result():
    t = engine.tensor([float("inf"), 2.0])
    t.copy_(engine.tensor([1.0, 3.0]))
    assert t.tolist() == [1.0, 3.0]
    x = engine.tensor([float("inf"), 1.0], requires_grad=True)
    y = x * 1
    y.fill_(0.0)
    assert y.tolist() == [0.0, 0.0]
    w = engine.tensor([1.0, 2.0], requires_grad=True)
    z = engine.zeros(2) + 0
    z.copy_(w * 3)
    z.sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]


@pytest.mark.parametrize("make", [lambda x: x.t().reshape(-1), lambda x: x.t().flatten()],
                         ids=["reshape", "flatten"])
def test_a_reshape_that_must_copy_is_not_a_view(make):
    # the engine marked the copy a view: writing to it bumped the input's version and
    # rewrote the input's history (CopySlices over memory it does not share)
    x = engine.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    y = x * 1
    z = make(y)
    assert z._base is None and type(z.grad_fn).__name__ == "UnsafeViewBackward0"
    z.mul_(2)
    assert y._version == 0 and type(y.grad_fn).__name__ == "MulBackward0"
    assert y.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    (y.sum() + z.sum()).backward()
    assert x.grad.tolist() == [[3.0, 3.0, 3.0], [3.0, 3.0, 3.0]]


def test_flatten_with_nothing_to_merge_returns_the_tensor_itself():
    x = engine.ones(2, 3)
    assert x.flatten(1, -1) is x and engine.ones(3).flatten()._base is None


def test_setitem_applies_the_ints_first():
    # x[1, :, [0, 2]] is 3 x 2 in PyTorch (NumPy would make it 2 x 3)
    x = engine.zeros(2, 3, 4)
    x[1, :, [0, 2]] = engine.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert x[1].tolist() == [[1, 0, 2, 0], [3, 0, 4, 0], [5, 0, 6, 0]]
    assert x[0].sum().item() == 0


@pytest.mark.oracle
def test_setitem_with_ints_and_index_tensors_matches_torch(torch):
    import numpy as np

    data = np.arange(3 * 4 * 5 * 6, dtype=float).reshape(3, 4, 5, 6)
    full = slice(None)
    for key in [(1, full, [0, 2]), (full, 1, [0, 1], full), (1, [0, 2], full, [1, 1]),
                ([[0], [1]], full, 3, [0, 1, 2]), (Ellipsis, 1, [1, 0]),
                (full, slice(1, 3), 0, [[1], [0]])]:
        xt, xe = torch.tensor(data), engine.tensor(data)
        shape = xt[key].shape
        value = np.arange(float(np.prod(shape))).reshape(shape)
        xt[key] = torch.tensor(value)
        xe[key] = engine.tensor(value)
        assert np.array_equal(xe.numpy(), xt.numpy()), key


@pytest.mark.oracle
def test_setitem_through_a_view_rewrites_the_base_history(torch):
    """``y[0][1] = w`` writes into ``y`` through the view ``y[0]``: ``y``'s gradient must
    then skip the overwritten element and ``w`` receive it (PyTorch's CopySlices)."""
    grads = []
    for lib in (engine, torch):
        x = lib.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
        w = lib.tensor(5.0, requires_grad=True)
        y = x * 2
        view = y[0]
        view[1] = w * 3
        (y * y).sum().backward()
        grads.append((x.grad.numpy(), float(w.grad)))
    np.testing.assert_allclose(grads[0][0], grads[1][0])
    assert grads[0][1] == grads[1][1] == 90.0


@pytest.mark.oracle
def test_contiguous_copies_a_non_contiguous_tensor(torch):
    for lib in (engine, torch):
        base = lib.ones(3, 4, requires_grad=True)
        t = base.t()
        c = t.contiguous()
        assert not t.is_contiguous() and c.is_contiguous() and c is not t
        assert type(c.grad_fn).__name__ == "CloneBackward0" if lib is torch else (
            c.grad_fn.name() == "CloneBackward0")
        with lib.no_grad():
            c.zero_()
        assert float(base.detach().sum()) == 12.0  # the copy's write did not reach it
        already = lib.ones(3, 4)
        assert already.contiguous() is already


@pytest.mark.oracle
@pytest.mark.parametrize("key", [0, (1, 2), slice(0, 2), [0, 2], "mask"])
def test_setitem_node_names_match_torch(torch, key):
    """A write through ints and slices is CopySlices; through index tensors or a mask,
    IndexPutBackward0. Values and gradients agree too."""
    names, grads = [], []
    for lib in (engine, torch):
        x = lib.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
        y = x * 2
        k = lib.tensor([True, False, True]) if key == "mask" else key
        y[k] = 0.5
        names.append(type(y.grad_fn).__name__ if lib is torch else y.grad_fn.name())
        (y * y).sum().backward()
        grads.append(x.grad.numpy())
    assert names[0] == names[1]
    np.testing.assert_allclose(grads[0], grads[1])


INPLACE_CASTS = {
    "int_add_float_number": lambda T: T.tensor([1, 2]).add_(0.5),
    "int_mul_float_tensor": lambda T: T.tensor([1, 2]).mul_(T.tensor([1.5, 2.0])),
    "int_add_float_requiring_grad": lambda T: T.tensor([1, 2]).add_(
        T.tensor([1.5, 2.0], requires_grad=True)),
    "uint8_sub_int8_wraps": lambda T: T.tensor([1, 2], dtype=T.uint8).sub_(
        T.tensor([3, 1], dtype=T.int8)),
    "bool_add_int": lambda T: T.tensor([True]).add_(1),
    "int_add_bool": lambda T: T.tensor([1]).add_(T.tensor([True])),
    "float32_add_float64": lambda T: T.tensor([1.0]).add_(T.tensor([1.0], dtype=T.float64)),
    "int_div_": lambda T: T.tensor([1, 2]).div_(2),
    "int32_add_int64_wraps": lambda T: T.tensor([1], dtype=T.int32).add_(T.tensor([2**40])),
}


@pytest.mark.oracle
@pytest.mark.parametrize("case", INPLACE_CASTS, ids=str)
def test_inplace_result_casts_as_torch(torch, case):
    """In place, a result may not go into a lower category (float into int, anything into
    bool), recorded or not; within a category any width is written (uint8 wraps)."""
    def outcome(lib):
        try:
            out = INPLACE_CASTS[case](lib)
        except RuntimeError as err:
            return "error", str(err)
        return str(out.dtype).split(".")[-1], out.tolist()

    assert outcome(engine) == outcome(torch)


class _LoggedTensor(engine.Tensor):
    """A subclass whose own in-place methods ``+=``, ``-=`` and ``*=`` must reach."""

    log: list = []

    def add_(self, other, *, alpha=1):
        self.log.append("add_")
        return super().add_(other, alpha=alpha)

    def sub_(self, other, *, alpha=1):
        self.log.append("sub_")
        return super().sub_(other, alpha=alpha)

    def mul_(self, other):
        self.log.append("mul_")
        return super().mul_(other)


def test_augmented_assignment_calls_a_subclass_own_inplace_method():
    t = _LoggedTensor([1.0, 2.0])
    t += 1.0
    t -= engine.tensor([0.5, 0.5])
    t *= 2
    assert _LoggedTensor.log == ["add_", "sub_", "mul_"]
    assert type(t) is _LoggedTensor and t.tolist() == [3.0, 5.0]


_OPERATORS = {"x + o": lambda x, o: x + o, "o + x": lambda x, o: o + x,
              "x - o": lambda x, o: x - o, "o - x": lambda x, o: o - x,
              "x * o": lambda x, o: x * o, "o * x": lambda x, o: o * x,
              "x / o": lambda x, o: x / o, "x ** o": lambda x, o: x**o}


@pytest.mark.oracle
@pytest.mark.parametrize("operand", [True, np.float64(2.0), 2, 0.5],
                         ids=["bool", "numpy scalar", "int", "float"])
def test_operators_take_numbers_as_pytorch_does(operand, torch):
    """Numbers of every kind (the operators pass ints and floats on as they are and convert
    the others first) give PyTorch's values, nodes and errors."""
    results = {}
    for lib in (engine, torch):
        got = []
        for fn in _OPERATORS.values():
            x = lib.tensor([3.0, 4.0], requires_grad=True)
            try:
                out = fn(x, operand)
            except (RuntimeError, TypeError) as exc:
                got.append(type(exc).__name__)
                continue
            got.append((np.round(out.tolist(), 6).tolist(), type(out.grad_fn).__name__))
        y = lib.tensor([1.0, 2.0])
        y += operand
        y *= operand
        got.append(y.tolist())
        results[lib.__name__] = got
    assert results["engine"] == results["torch"]


@pytest.mark.parametrize("operand", [np.array([1.0, 2.0]), [1.0, 2.0]], ids=["ndarray", "list"])
def test_operators_make_tensors_of_arrays_and_lists(operand):
    """An array or a list operand acts as the tensor made of it (PyTorch refuses them)."""
    for name, fn in _OPERATORS.items():
        if isinstance(operand, list) and name.startswith("o "):
            continue  # list + tensor: the list's own operator answers first
        x = engine.tensor([3.0, 4.0], requires_grad=True)
        got, want = fn(x, operand), fn(x, engine.tensor(operand))
        assert got.tolist() == want.tolist(), name
        assert type(got.grad_fn).__name__ == type(want.grad_fn).__name__, name
    y = engine.tensor([1.0, 2.0])
    y += operand
    y *= operand
    assert y.tolist() == [2.0, 8.0]
