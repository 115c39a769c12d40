"""autograd.grad, higher-order gradients, backward(inputs=...), hooks: against torch."""

import warnings

import numpy as np
import pytest

import engine

torch_or_skip = pytest.mark.oracle


def test_third_derivative_of_cube():
    x = engine.tensor(2.0, requires_grad=True)
    y = x**3
    (g1,) = engine.autograd.grad(y, x, create_graph=True)
    (g2,) = engine.autograd.grad(g1, x, create_graph=True)
    (g3,) = engine.autograd.grad(g2, x)
    assert (g1.item(), g2.item(), g3.item()) == (12.0, 12.0, 6.0)  # 3x², 6x, 6
    assert x.grad is None  # autograd.grad does not touch .grad


def _mlp(lib, params, x):
    w1, b1, w2, b2 = params
    return ((x @ w1 + b1).tanh() @ w2 + b2).pow(2).sum()


@torch_or_skip
def test_hessian_vector_product_on_small_mlp_equals_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    shapes = [(3, 5), (5,), (5, 2), (2,)]
    arrays = [rng.standard_normal(s) for s in shapes]
    xs = rng.standard_normal((4, 3))
    vs = [rng.standard_normal(s) for s in shapes]
    results = []
    for lib in (engine, torch):
        params = [lib.tensor(a, requires_grad=True) for a in arrays]
        loss = _mlp(lib, params, lib.tensor(xs))
        grads = lib.autograd.grad(loss, params, create_graph=True)
        dot = sum((g * lib.tensor(v)).sum() for g, v in zip(grads, vs))
        hvp = lib.autograd.grad(dot, params)
        results.append([h.detach().numpy() for h in hvp])
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


def _assert_second_order_equals_torch(fn, data):
    """``fn(lib, x)``'s gradient, recorded, and the gradient of its squared norm: torch's."""
    torch = pytest.importorskip("torch")
    out = []
    for lib in (engine, torch):
        x = lib.tensor(data, requires_grad=True)
        (g,) = lib.autograd.grad(fn(lib, x), x, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), x)
        out.append([g.detach().numpy(), h.detach().numpy()])
    for mine, theirs in zip(*out):
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12)


@torch_or_skip
@pytest.mark.parametrize(
    "fn",
    [
        lambda t: (t.sin() * t.exp()).sum(),
        lambda t: (t @ t.t()).tanh().sum(),
        lambda t: t.sigmoid().log().mean(),
        lambda t: (t.relu() ** 3).sum() / t.norm(),
        lambda t: t.max() * t.min(dim=0)[0].sum(),
    ],
)
def test_second_derivatives_equal_torch(fn):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(1).standard_normal((3, 3)) + 0.1
    out = []
    for lib in (engine, torch):
        x = lib.tensor(data, requires_grad=True)
        (g,) = lib.autograd.grad(fn(x), x, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), x)
        out.append(h.detach().numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-9, atol=1e-12)


_RNG = np.random.default_rng(5)
_REAL = _RNG.standard_normal((3, 3)) + 0.1
_POSITIVE = _RNG.uniform(0.5, 2.0, (3, 3))
_UNIT = _RNG.uniform(0.05, 0.45, (3, 3)) * _RNG.choice([-1.0, 1.0], (3, 3))


@torch_or_skip
@pytest.mark.parametrize(
    "fn, data",
    [
        (lambda T, t: t.tan().sum(), _UNIT),
        (lambda T, t: (t.asin() * t.acos()).sum(), _UNIT),
        (lambda T, t: t.atanh().sinh().sum(), _UNIT),
        (lambda T, t: (t.cosh() + t.atan() * t.asinh()).sum(), _REAL),
        (lambda T, t: (t + 0.5).acosh().sum(), _POSITIVE),
        (lambda T, t: T.atan2(t, t.t()).sum(), _REAL),
        (lambda T, t: T.hypot(t, t.t() * 2).sum(), _REAL),
        (lambda T, t: (t.log2() * t.log10() + t.exp2() * t.rsqrt()).sum(), _POSITIVE),
        (lambda T, t: T.logaddexp(t, t.t()).sum() * T.logaddexp2(t, 2 * t).sum(), _REAL),
        (lambda T, t: T.xlogy(t, t.t()).sum() * T.xlogy(t, 2.5).sum() + T.xlogy(1.5, t).sum(),
         _POSITIVE),
        (lambda T, t: (t.sinc() + t.deg2rad() * t.rad2deg()).sum(), _REAL),
        (lambda T, t: (t * t).copysign(t.t()).sum() + (t**3).copysign(-1).sum(), _REAL),
        (lambda T, t: T.fmax(t * t, t.t()).sum() * T.fmin(t, t.exp()).sum(), _REAL),
        (lambda T, t: t.lerp(t.t() ** 2, t).sum() + t.lerp(t.exp(), 0.3).sum(), _REAL),
        (lambda T, t: t.addcmul(t, t.t(), value=0.5).sum() * t.addcdiv(t.exp(), t * t + 1).sum(),
         _REAL),
        (lambda T, t: (t.masked_fill(t > 0.5, 0.0) ** 3).sum() + t.masked_fill(
            t < 0, (t * t).sum()).sum(), _REAL),
        (lambda T, t: T.fmod(t**2, t.t()).sum() * t.float_power(3).sum() + (t.frac() * t).sum(),
         _REAL),
        (lambda T, t: (t.nan_to_num() ** 2 * t.trunc() + t.sgn() * t**2).sum(), _REAL + 1),
    ],
    ids=["tan", "asin_acos", "atanh_sinh", "cosh_atan_asinh", "acosh", "atan2", "hypot",
         "log2_log10_exp2_rsqrt", "logaddexp", "xlogy", "sinc_deg_rad", "copysign",
         "fmax_fmin", "lerp", "addcmul_addcdiv", "masked_fill", "fmod_float_power_frac",
         "nan_to_num_trunc_sgn"],
)
def test_second_derivatives_of_elementwise_ops_equal_torch(fn, data):
    """Each backward formula, recorded (create_graph=True), differentiated again: the same
    Hessian-vector products as torch's."""
    _assert_second_order_equals_torch(fn, data)


_SECOND_ORDER = {
    "tril": lambda T, t: (t.tril(-1) * t).sum(),
    "diagonal": lambda T, t: t.diagonal(1).exp().sum(),
    "diag": lambda T, t: (t.diag() ** 3).sum() + (t[0].diag(1) * t.sum()).sum(),
    "trace": lambda T, t: t.trace() * t.sum(),
    "rot90": lambda T, t: (t.rot90() * t).sum(),
    "sort": lambda T, t: (t.sort(1, descending=True).values.cumsum(1) ** 2).sum(),
    "topk": lambda T, t: (t.topk(2, 0).values ** 3).sum(),
    "kthvalue": lambda T, t: t.kthvalue(2, 0).values.exp().sum(),
    "cummax": lambda T, t: (t.cummin(0).values * t.cummax(1).values).sum(),
    "aminmax": lambda T, t: (lambda r: (r.min * r.max).sum())(t.aminmax(dim=0)),
    "var_mean": lambda T, t: (lambda r: (r[0] * r[1]).sum())(T.var_mean(t, 1)),
    "std_mean": lambda T, t: (lambda r: r[0] * r[1])(T.std_mean(t)),
    "addmm": lambda T, t: T.addmm(t, t, t, beta=0.5, alpha=2).pow(2).sum(),
    "addmv": lambda T, t: T.addmv(t[0], t, t[1], beta=-1).pow(2).sum(),
    "baddbmm": lambda T, t: T.baddbmm(t, t[None], t[None], alpha=3).pow(2).sum(),
    "cross": lambda T, t: T.cross(t, t.exp(), dim=1).sum(),
    "outer_inner_kron": lambda T, t: (T.outer(t[0], t[1]) * T.inner(t, t)).sum() + T.kron(
        t, t).pow(2).sum(),
    "einsum": lambda T, t: T.einsum("ij,jk,ki->", t, t, t) + T.einsum("ii,ij->j", t, t).pow(
        2).sum(),
    "index_select_take": lambda T, t: t.index_select(0, T.tensor([2, 0, 2])).pow(3).sum() + t.take(
        T.tensor([1, 1, -1])).pow(3).sum(),
    "take_along_dim": lambda T, t: t.take_along_dim(T.tensor([[2], [0], [0]]), 1).pow(3).sum(),
    "masked_select": lambda T, t: t.masked_select(t > 0).pow(3).sum(),
    "diff_stack_split": lambda T, t: T.vstack([t.diff(dim=0), t.exp()]).pow(2).sum() + (
        t.tensor_split(2, 1)[1] ** 3).sum(),
}


@torch_or_skip
@pytest.mark.parametrize("name", list(_SECOND_ORDER))
def test_second_derivatives_of_more_ops_equal_torch(name):
    _assert_second_order_equals_torch(_SECOND_ORDER[name],
                                      np.random.default_rng(2).standard_normal((3, 3)))


# Zeros where products need the division-free gradient: one in the middle of a row, two
# (the first one at the front), one at the end, none; the columns get zeros too.
_WITH_ZEROS = np.array([[0.5, 0.0, -1.5, 2.0],
                        [0.0, 1.2, 0.0, -0.7],
                        [1.1, -0.9, 0.6, 1.3],
                        [0.8, 1.5, -0.4, 0.0]])


@torch_or_skip
@pytest.mark.parametrize("data", [_WITH_ZEROS, _WITH_ZEROS + 2.5], ids=["zeros", "no_zeros"])
@pytest.mark.parametrize(
    "fn",
    [
        lambda t: t.prod(),
        lambda t: t[0].prod(),  # one zero in all
        lambda t: t[2:].prod(),  # one zero in all, 2-d
        lambda t: t.prod(1),
        lambda t: t.prod(0, keepdim=True),
        lambda t: t.prod(-1, dtype=t.dtype),
        lambda t: t.cumprod(1),
        lambda t: t.cumprod(0),
        lambda t: t.cumprod(-1).prod(0),
        lambda t: (t * t.cumprod(1)).sum(1),
    ],
    ids=["prod", "prod_one_zero", "prod_2d_one_zero", "prod_dim", "prod_keepdim",
         "prod_dtype", "cumprod", "cumprod_dim0", "cumprod_then_prod", "cumprod_times_x"],
)
def test_higher_derivatives_of_products_equal_torch(fn, data):
    """prod and cumprod differentiated three times (create_graph=True each time), with zeros
    in the input: the recorded backward is the gradient as a polynomial of x, not the masked
    first-order form, so its own derivatives equal torch's; no warning on the way."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    weights = rng.standard_normal(data.shape)
    out = []
    for lib in (engine, torch):
        x = lib.tensor(data, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = fn(x)
            (g1,) = lib.autograd.grad(y, x, lib.ones_like(y), create_graph=True)
            (g2,) = lib.autograd.grad((g1 * g1).sum(), x, create_graph=True)
            (g3,) = lib.autograd.grad((g2 * lib.tensor(weights)).sum(), x)
        out.append([g.detach().numpy() for g in (g1, g2, g3)])
    for order, (mine, theirs) in enumerate(zip(*out), 1):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12,
                                   err_msg=f"derivative of order {order}")


def test_grad_errors_have_pytorch_text():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    unused = engine.tensor(1.0, requires_grad=True)
    with pytest.raises(RuntimeError) as err:
        engine.autograd.grad((x * 2).sum(), [x, unused])
    assert str(err.value) == (
        "The differentiated Tensor at index 1 appears to not have been used in the graph. "
        "Set allow_unused=True if this is the desired behavior."
    )
    gx, gu = engine.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gx.tolist() == [2.0, 2.0] and gu is None
    with pytest.raises(RuntimeError, match="^One of the differentiated Tensors does not require grad$"):
        engine.autograd.grad((x * 2).sum(), [engine.tensor(1.0)])


def test_grad_outputs_and_shape_mismatch():
    x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (g,) = engine.autograd.grad(x * x, x, grad_outputs=engine.tensor([1.0, 0.0, 2.0]))
    assert g.tolist() == [2.0, 0.0, 12.0]
    with pytest.raises(RuntimeError) as err:
        (x * 2).backward(engine.ones(2))
    assert str(err.value) == (
        "Mismatch in shape: grad_output[0] has a shape of engine.Size([2]) and output[0] has a "
        "shape of engine.Size([3])."
    )


def test_backward_inputs_only_fills_those():
    a = engine.tensor(2.0, requires_grad=True)
    b = engine.tensor(3.0, requires_grad=True)
    (a * b).backward(inputs=[a])
    assert a.grad.item() == 3.0 and b.grad is None


@torch_or_skip
def test_backward_inputs_on_a_non_leaf_that_retains_its_grad(torch):
    """backward(inputs=[h]) with h.retain_grad(): h.grad is stored once, as in PyTorch."""
    seen = []
    for m in (engine, torch):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        h = x * 3
        h.retain_grad()
        (h**2).sum().backward(inputs=[h])
        seen.append((h.grad.tolist(), x.grad))
    assert seen[0] == seen[1] == ([6.0, 12.0], None)


def test_grad_of_a_non_leaf_does_not_run_its_node():
    """autograd.grad(loss, h) stops at h: h's own node does not run, so what it saved is kept
    and h.backward(v) can continue the pass below h (PyTorch's behaviour)."""
    x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x**2
    loss = ((h - 5) ** 2).sum()
    (v,) = engine.autograd.grad(loss, h)
    assert v.tolist() == [-8.0, -2.0, 8.0] and x.grad is None
    h.backward(v)
    assert x.grad.tolist() == [-16.0, -8.0, 48.0]
    # a target that lies above another target still passes its gradient on
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    gh, gx = engine.autograd.grad((h * h).sum(), [h, x])
    assert gh.tolist() == [6.0, 12.0] and gx.tolist() == [18.0, 36.0]


def test_create_graph_backward_keeps_grad_graph():
    x = engine.tensor(3.0, requires_grad=True)
    (x**3).backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.item() == 27.0
    g = x.grad
    x.grad = None
    g.backward()
    assert x.grad.item() == 18.0


def test_register_hook_replaces_gradient_and_can_be_removed():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 100)
    (x * 3).sum().backward()
    assert x.grad.tolist() == [300.0, 300.0]
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_hook_runs_before_retain_grad_on_non_leaf():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g + 1)
    y.sum().backward()
    assert y.grad.tolist() == [2.0, 2.0]  # the hooked value, as in PyTorch
    assert x.grad.tolist() == [4.0, 4.0]


def test_non_leaf_grad_access_warns_like_pytorch():
    x = engine.tensor(1.0, requires_grad=True)
    y = x * 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert y.grad is None
    assert str(caught[0].message).startswith(
        "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
        "attribute won't be populated during autograd.backward()."
    )
    with pytest.raises(RuntimeError, match="^can't retain_grad on Tensor that has requires_grad=False$"):
        engine.tensor(1.0).retain_grad()
    with pytest.raises(
        RuntimeError, match="^cannot register a hook on a tensor that doesn't require gradient$"
    ):
        engine.tensor(1.0).register_hook(lambda g: g)


def test_node_hooks_see_gradients():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    seen = []
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append(grad_outputs[0].item()))
    y.backward()
    assert seen == [1.0]


def test_anomaly_mode_names_the_node_and_the_forward_line():
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        ctx = engine.autograd.detect_anomaly()
    with ctx:
        a = engine.tensor([0.0, 1.0], requires_grad=True)
        b = a.sqrt()  # the forward line the report must point at
        with pytest.warns(UserWarning) as caught:
            with pytest.raises(RuntimeError) as err:
                (b * 0).sum().backward()
    assert str(err.value) == "Function 'SqrtBackward0' returned nan values in its 0th output."
    report = "\n".join(str(w.message) for w in caught)
    assert "Error detected in SqrtBackward0. Traceback of forward call that caused the error:" in report
    assert "b = a.sqrt()" in report
    assert not engine.autograd.anomaly_mode.is_anomaly_enabled()


def test_set_detect_anomaly_without_nan_check():
    with pytest.warns(UserWarning):
        with engine.autograd.set_detect_anomaly(True, check_nan=False):
            a = engine.tensor([0.0], requires_grad=True)
            (a.sqrt() * 0).sum().backward()  # no error: NaN checking is off
    assert np.isnan(a.grad.numpy()).all()


def test_accumulate_grad_post_hooks_run_with_no_grad_inputs():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3).sum()
    acc = y.grad_fn.next_functions[0][0].next_functions[0][0]
    seen = []
    acc.register_hook(lambda grad_inputs, grad_outputs: seen.append((grad_inputs, grad_outputs)))
    y.backward()
    assert seen[0][0] == () and seen[0][1][0].tolist() == [3.0, 3.0]


def _hooked_grads(lib, case):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    if case == "leaf":
        x.register_hook(lambda g: g * 10)
        return lib.autograd.grad((x * x).sum(), x)
    h = x * 1
    if case == "node prehook":  # a node's own pre-hook: not the tensor's
        h.grad_fn.register_prehook(lambda g: (g[0] * 10,))
    else:
        h.register_hook(lambda g: g * 10)
    y = (h * h).sum()
    return lib.autograd.grad(y, [h, x] if case == "non-leaf and through it" else [h])


@torch_or_skip
@pytest.mark.parametrize("case", ["leaf", "non-leaf", "non-leaf and through it",
                                  "node prehook"])
def test_grad_of_an_input_with_a_hook_matches_torch(torch, case):
    """autograd.grad runs a captured input's tensor hooks when its node does not run; when
    the node runs (the gradient also flows on through it), PyTorch captures the gradient
    before the hooks. A node's own pre-hooks never change what is captured."""
    ours = [g.numpy() for g in _hooked_grads(engine, case)]
    theirs = [g.numpy() for g in _hooked_grads(torch, case)]
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)


def test_backward_inputs_keep_a_non_leafs_grad_without_warning():
    # as torch: backward(inputs=[z]) retains z's grad, so reading it does not warn
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    z = x * 2
    (z * z).sum().backward(inputs=[z])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert z.grad.tolist() == [4.0, 8.0]
    assert z.retains_grad and x.grad is None


def test_a_non_leafs_assigned_grad_reads_back_without_warning():
    z = engine.tensor([1.0, 2.0], requires_grad=True) * 2
    z.grad = engine.ones(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert z.grad.tolist() == [1.0, 1.0]


def test_del_grad_sets_it_to_none():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    x.grad = engine.ones(2)
    del x.grad
    assert x.grad is None


@pytest.mark.parametrize("materialize", [False, True])
def test_grad_with_batched_grad_outputs_matches_torch(torch, materialize):
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([1.0], dtype=lib.float64, requires_grad=True)
        v = lib.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]], dtype=lib.float64)
        kwargs = {"materialize_grads": True} if materialize else {"allow_unused": True}
        gx, gw = lib.autograd.grad(x**2, [x, w], v, is_grads_batched=True, **kwargs)
        return gx.tolist(), None if gw is None else gw.tolist()

    assert run(engine) == run(torch)


test_grad_with_batched_grad_outputs_matches_torch = pytest.mark.oracle(
    test_grad_with_batched_grad_outputs_matches_torch)


def test_hooks_that_keep_size_and_type_still_replace_the_gradient():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    z = x * 1
    z.register_hook(lambda g: g * 2)
    x.register_hook(lambda g: g + 1)
    (z * z).sum().backward()
    assert x.grad.tolist() == [5.0, 9.0]
