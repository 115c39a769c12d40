"""``device="cuda"``: moving tensors, PyTorch's device errors, and everything around the ops
(grad modes, ``Function``, ``checkpoint``, ``nn``, ``optim``, pickling) on each device.

The ``device`` fixture (conftest) runs a test on the CPU, on ``fake-cuda`` (the CPU stand-in
for CuPy in ``_fake_cupy``: the device code runs on every machine) and on a real GPU when one
is there. Tests that need two devices at once use the stand-in as "cuda". The op table itself
runs on every device in test_ops_oracle.py and test_finite_differences.py.
"""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

import engine
from engine import _fake_cupy, nn, optim
from engine.testing import assert_close

from .conftest import on_device

SAME_DEVICE = "Expected all tensors to be on the same device, but found at least two devices, "
NUMPY_ON_CUDA = (
    "can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor to "
    "host memory first."
)


@pytest.fixture
def cuda():
    """The CPU stand-in for CuPy, installed: "cuda" tensors next to real CPU ones."""
    with engine.testing.fake_cuda() as fake:
        yield fake


def _mlp(seed, device):
    engine.manual_seed(seed)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Dropout(0.25), nn.Linear(8, 3))
    return model.to(device)


def _batch(device):
    rng = np.random.default_rng(0)
    x = engine.tensor(rng.standard_normal((5, 6)).astype(np.float32), device=device)
    y = engine.tensor(rng.standard_normal((5, 3)).astype(np.float32), device=device)
    return x, y


def _train(device, make_optimizer, steps=3):
    model = _mlp(0, device)
    opt = make_optimizer(model.parameters())
    x, y = _batch(device)
    losses = []
    for _ in range(steps):
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().cpu().numpy() for p in model.parameters()]


# -- where a tensor lives, and moving it ---------------------------------------------------


def test_factories_and_device_attributes(device):
    dev = engine.device(device)
    for t in (engine.zeros(2, 3, device=device), engine.ones(2, device=device),
              engine.full((2,), 1.5, device=device), engine.arange(4, device=device),
              engine.linspace(0, 1, 5, device=device), engine.eye(3, device=device),
              engine.randn(2, 2, device=device), engine.rand(3, device=device),
              engine.tensor([1.0, 2.0], device=device), engine.empty(2, device=device)):
        assert t.device == dev
        assert t.is_cuda == (device == "cuda")
    x = engine.randn(3, device=device)
    assert engine.zeros_like(x).device == dev and engine.ones_like(x).device == dev
    assert engine.randn_like(x).device == dev


def test_to_cuda_cpu_round_trip(cuda):
    x = engine.tensor([[1.0, 2.0], [3.0, 4.0]])
    for moved in (x.to("cuda"), x.cuda(), x.cuda(0), x.to(engine.device("cuda:0")),
                  x.to(device="cuda"), x.to(engine.zeros(1, device="cuda"))):
        assert moved.device == engine.device("cuda", 0)
        assert str(moved.device) == "cuda:0" and moved.is_cuda
        assert moved.cpu().device.type == "cpu"
        assert_close(moved.cpu(), x)
    y = x.cuda()
    assert y.to("cuda") is y and y.cuda() is y  # already there: the same tensor
    assert x.cpu() is x
    assert y.to("cuda", engine.float64).dtype is engine.float64
    assert y.to("cuda", engine.float64).device.type == "cuda"
    assert y.double().device.type == "cuda"


def test_repr_tolist_item_on_cuda(cuda):
    x = engine.tensor([1.5, 2.0], device="cuda", requires_grad=True)
    assert repr(x) == "tensor([1.5000, 2.0000], device='cuda:0', requires_grad=True)"
    assert repr(x * 2) == "tensor([3., 4.], device='cuda:0', grad_fn=<MulBackward0>)"
    assert x.tolist() == [1.5, 2.0]
    assert x[0].item() == 1.5 and float(x[1]) == 2.0
    assert x.detach().cpu().numpy().tolist() == [1.5, 2.0]


def test_transfer_is_differentiable_both_ways(cuda):
    a = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a.to("cuda")
    assert type(b.grad_fn).__name__ == "ToCopyBackward0"
    (b * b).sum().backward()
    assert a.grad.device.type == "cpu"  # the gradient comes back to where a lives
    assert_close(a.grad, engine.tensor([2.0, 4.0, 6.0]))
    c = engine.tensor([1.0, -1.0], device="cuda", requires_grad=True)
    c.cpu().exp().sum().backward()
    assert c.grad.device.type == "cuda"
    assert_close(c.grad.cpu(), engine.tensor([1.0, -1.0]).exp())


def test_tensor_of_a_cuda_tensor_keeps_its_device(cuda):
    x = engine.tensor([1.0, 2.0], device="cuda")
    assert engine.tensor(x).device.type == "cuda"
    assert engine.tensor(x, device="cpu").device.type == "cpu"
    assert engine.tensor(x, dtype=engine.float64).device.type == "cuda"
    raw = cuda.asarray(np.arange(3.0))
    shared = engine.as_tensor(raw)
    assert shared.device.type == "cuda" and shared._data is raw  # shares the CuPy array
    assert engine.tensor(raw)._data is not raw


def test_seeded_randomness_is_the_same_on_every_device(device):
    engine.manual_seed(7)
    on_device = engine.randn(4, device=device)
    engine.manual_seed(7)
    on_cpu = engine.randn(4)
    assert_close(on_device.cpu(), on_cpu)


# -- PyTorch's errors ------------------------------------------------------------------------


def test_numpy_of_a_cuda_tensor_is_pytorchs_error(cuda):
    x = engine.tensor([1.0, 2.0], device="cuda")
    with pytest.raises(TypeError) as info:
        x.numpy()
    assert str(info.value) == NUMPY_ON_CUDA
    with pytest.raises(TypeError, match="Use Tensor.cpu"):  # before the requires_grad check
        engine.tensor([1.0], device="cuda", requires_grad=True).numpy()
    with pytest.raises(TypeError, match="Use Tensor.cpu"):
        np.asarray(x)  # __array__ says the same
    assert x.numpy(force=True).tolist() == [1.0, 2.0]
    assert x.cpu().numpy().tolist() == [1.0, 2.0]


@pytest.mark.parametrize("op", [
    lambda a, b: a + b, lambda a, b: b * a, lambda a, b: a - b, lambda a, b: a / b,
    lambda a, b: a @ b.reshape(2, 1) if a.ndim == 2 else a @ b, lambda a, b: a ** b,
    lambda a, b: engine.maximum(a, b), lambda a, b: engine.cat([a, b]),
    lambda a, b: engine.stack([a, b]), lambda a, b: engine.where(a > 0, a, b),
    lambda a, b: a == b, lambda a, b: a < b, lambda a, b: a.equal(b),
], ids=["add", "mul", "sub", "div", "matmul", "pow", "maximum", "cat", "stack", "where", "eq",
        "lt", "equal"])
@pytest.mark.parametrize("requires_grad", [False, True], ids=["plain", "recorded"])
def test_mixing_devices_is_pytorchs_error(cuda, op, requires_grad):
    a = engine.tensor([1.0, 2.0], device="cuda", requires_grad=requires_grad)
    b = engine.tensor([3.0, 4.0])
    for x, y in ((a, b), (b, a)):
        with pytest.raises(RuntimeError) as info:
            op(x, y)
        assert str(info.value) == SAME_DEVICE + "cuda:0 and cpu!"


def test_a_cpu_scalar_tensor_joins_a_gpu_op(cuda):
    """PyTorch treats a 0-d CPU tensor as a number: it may meet a GPU tensor, and its
    gradient comes back to the CPU."""
    a = engine.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    s = engine.tensor(3.0, requires_grad=True)
    y = a * s + s
    assert y.device.type == "cuda"
    y.sum().backward()
    assert s.grad.device.type == "cpu" and s.grad.item() == 5.0
    assert_close(a.grad.cpu(), engine.tensor([3.0, 3.0]))
    assert (a > engine.tensor(1.5)).tolist() == [False, True]
    with pytest.raises(RuntimeError, match="cuda:0 and cpu"):  # but not the other way round
        engine.tensor([1.0, 2.0]) * engine.tensor(2.0, device="cuda")


def test_inplace_ops_across_devices(cuda):
    a = engine.tensor([1.0, 2.0], device="cuda")
    a += engine.tensor(1.0)  # a CPU scalar
    assert a.tolist() == [2.0, 3.0] and a.device.type == "cuda"
    with pytest.raises(RuntimeError) as info:
        a += engine.tensor([1.0, 1.0])
    assert str(info.value) == SAME_DEVICE + "cuda:0 and cpu!"
    b = engine.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="cuda:0 and cpu"):
        b.mul_(engine.tensor([1.0, 1.0], device="cuda"))
    w = engine.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    with pytest.raises(RuntimeError, match="cuda:0 and cpu"):
        (w * 1).add_(engine.tensor([1.0, 1.0]))


def test_copy_and_setitem_move_values_across_devices(cuda):
    a = engine.zeros(3, device="cuda")
    a.copy_(engine.tensor([1.0, 2.0, 3.0]))
    assert a.device.type == "cuda" and a.tolist() == [1.0, 2.0, 3.0]
    a[0] = engine.tensor(9.0)
    a[1:] = np.array([7.0, 8.0])
    assert a.tolist() == [9.0, 7.0, 8.0]
    b = engine.zeros(3)
    b.copy_(engine.tensor([4.0, 5.0, 6.0], device="cuda"))
    assert b.tolist() == [4.0, 5.0, 6.0]
    # recorded: the copy is differentiable and the gradient goes back to the source's device
    src = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    dst = engine.zeros(3, device="cuda")
    dst.copy_(src)
    (dst * dst).sum().backward()
    assert src.grad.device.type == "cpu" and src.grad.tolist() == [2.0, 4.0, 6.0]
    w = engine.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    h = w * 1
    h[0] = engine.tensor(5.0, requires_grad=True)
    assert h.device.type == "cuda" and h.tolist() == [5.0, 2.0]


def test_indexing_with_cpu_indices_and_its_limits(cuda):
    x = engine.arange(6.0, device="cuda").reshape(2, 3)
    assert x[engine.tensor([1, 0])].tolist() == [[3.0, 4.0, 5.0], [0.0, 1.0, 2.0]]
    assert x[:, [2, 2]].tolist() == [[2.0, 2.0], [5.0, 5.0]]
    assert x[x > 2].tolist() == [3.0, 4.0, 5.0]
    x[engine.tensor([0])] = 0.0
    assert x.tolist()[0] == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="indices should be either on cpu or on the same"):
        engine.arange(3.0)[engine.tensor([0], device="cuda")]


def test_gradients_on_the_wrong_device(cuda):
    y = engine.tensor([1.0, 2.0], device="cuda", requires_grad=True) * 2
    with pytest.raises(RuntimeError) as info:
        y.backward(engine.ones(2))
    assert str(info.value) == "invalid gradient at index 0 - expected device cuda:0 but got cpu"
    z = engine.tensor(1.0, device="cuda", requires_grad=True) * 2
    z.backward(engine.tensor(1.0))  # a 0-d gradient is moved, as in PyTorch

    class ToCpu(engine.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g.cpu()

    x = engine.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        ToCpu.apply(x).sum().backward()
    assert str(info.value) == (
        "Function ToCpuBackward returned an invalid gradient at index 0 - expected device "
        "cuda:0 but got cpu"
    )
    with pytest.raises(RuntimeError, match="attempting to assign a gradient with device type"):
        x.grad = engine.zeros(2)


def test_loss_with_target_on_another_device(cuda):
    logits = engine.randn(4, 3, device="cuda", requires_grad=True)
    with pytest.raises(RuntimeError, match="cuda:0 and cpu"):
        nn.functional.cross_entropy(logits, engine.tensor([0, 1, 2, 0]))
    loss = nn.functional.cross_entropy(logits, engine.tensor([0, 1, 2, 0], device="cuda"))
    loss.backward()
    assert logits.grad.device.type == "cuda"


# -- everything around the ops, on each device ---------------------------------------------


def test_grad_modes(device):
    x = engine.ones(3, device=device, requires_grad=True)
    with engine.no_grad():
        assert not (x * 2).requires_grad
        with engine.enable_grad():
            assert (x * 2).requires_grad
    with engine.set_grad_enabled(False):
        assert (x + 1).grad_fn is None
    with engine.inference_mode():
        y = x * 2
    assert y.is_inference() and y.device == x.device


def test_custom_function(device):
    class Cube(engine.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    x = engine.tensor([1.0, -2.0], device=device, requires_grad=True)
    Cube.apply(x).sum().backward()
    assert x.grad.device == x.device and x.grad.tolist() == [3.0, 12.0]
    (g,) = engine.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (gg,) = engine.autograd.grad(g.sum(), x)  # second order through the device
    assert gg.device == x.device and gg.tolist() == [6.0, -12.0]


def test_gradcheck(device):
    x = engine.randn(3, dtype=engine.float64, device=device, requires_grad=True)
    w = engine.randn(3, 2, dtype=engine.float64, device=device, requires_grad=True)
    assert engine.autograd.gradcheck(lambda a, b: (a @ b).tanh(), (x, w))
    assert engine.autograd.gradgradcheck(lambda a: (a * a).sin(), (x,))


def test_checkpoint_replays_dropout_on_the_device(device):
    model = _mlp(1, device)
    x, _ = _batch(device)
    x.requires_grad_(True)
    engine.manual_seed(3)
    model(x).sum().backward()
    plain = [p.grad.cpu() for p in model.parameters()] + [x.grad.cpu()]
    model.zero_grad()
    x.grad = None
    engine.manual_seed(3)
    engine.utils.checkpoint.checkpoint(model, x).sum().backward()
    got = [p.grad.cpu() for p in model.parameters()] + [x.grad.cpu()]
    for a, b in zip(got, plain):
        assert_close(a, b)
    assert all(p.grad.device == engine.device(device) for p in model.parameters())


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
], ids=["SGD", "Adam"])
def test_training_on_the_device_matches_the_cpu(device, make):
    losses, params = _train(device, make)
    cpu_losses, cpu_params = _train("cpu", make)
    assert losses[-1] < losses[0]
    np.testing.assert_allclose(losses, cpu_losses, rtol=1e-5)
    for p, q in zip(params, cpu_params):
        np.testing.assert_allclose(p, q, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda ps: optim.Adam(ps, lr=0.01),
], ids=["SGD", "Adam"])
def test_a_training_step_never_waits_for_the_device(cuda, make):
    """Forward, backward, step and zero_grad queue work on the GPU without copying anything
    back (no ``.item()``, no Python-number conversions): the GPU never idles for Python."""
    model = _mlp(0, "cuda")
    model.eval()  # dropout masks are drawn on the host and uploaded: not a sync, but skip it
    opt = make(model.parameters())
    x, y = _batch("cuda")
    cuda.stats.reset()
    for _ in range(3):
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_value_(model.parameters(), 10.0)
        opt.step()
    assert cuda.stats.syncs == 0
    assert cuda.stats.uploads == 0


def test_module_state_dict_and_pickle_across_devices(cuda):
    model = _mlp(0, "cpu")
    state = model.state_dict()
    moved = _mlp(5, "cuda")
    moved.load_state_dict(state)
    assert all(p.device.type == "cuda" for p in moved.parameters())
    for p, q in zip(moved.parameters(), model.parameters()):
        assert_close(p.cpu(), q)
    t = engine.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    back = pickle.loads(pickle.dumps(t))
    assert back.device.type == "cuda" and back.requires_grad and back.tolist() == [1.0, 2.0]
    p = pickle.loads(pickle.dumps(nn.Parameter(engine.ones(2, device="cuda"))))
    assert isinstance(p, nn.Parameter) and p.device.type == "cuda"
    opt = optim.Adam(moved.parameters())
    moved(engine.ones(2, 6, device="cuda")).sum().backward()
    opt.step()
    assert opt.state[next(iter(moved.parameters()))]["step"].device.type == "cpu"  # as PyTorch


def test_optimizer_state_follows_parameters_to_the_device(cuda):
    model = _mlp(0, "cpu")
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(engine.ones(2, 6)).sum().backward()
    opt.step()
    saved = opt.state_dict()
    model.cuda()
    opt2 = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    opt2.load_state_dict(saved)
    buf = opt2.state[next(iter(model.parameters()))]["momentum_buffer"]
    assert buf.device.type == "cuda"


# -- without CuPy, or without a GPU ----------------------------------------------------------


def test_without_a_gpu_cuda_is_refused_with_the_reason():
    from engine import backend

    previous = backend._swap_cupy(None, "CuPy is not importable (ImportError: no cupy)")
    try:
        assert engine.cuda.is_available() is False
        assert engine.cuda.device_count() == 0
        reason = engine.cuda.unavailable_reason()
        assert "CuPy is not importable" in reason and "gradbook[gpu]" in reason
        assert "cupy-cuda12x" in reason and "cupy-cuda13x" in reason
        for make in (lambda: engine.zeros(2, device="cuda"), lambda: engine.ones(2).cuda(),
                     lambda: engine.tensor([1.0], device="cuda"), engine.cuda.synchronize):
            with pytest.raises(RuntimeError, match="device='cuda' is unavailable: CuPy is not"):
                make()
        x = engine.ones(2, requires_grad=True)  # the CPU is unaffected
        (x * 3).sum().backward()
        assert x.grad.tolist() == [3.0, 3.0]
    finally:
        backend._swap_cupy(*previous)


def test_importing_the_engine_without_cupy_works():
    code = (
        "import sys; sys.modules['cupy'] = None\n"  # `import cupy` now fails
        "import engine\n"
        "print(engine.cuda.is_available())\n"
        "print(engine.cuda.unavailable_reason())\n"
        "print((engine.ones(2) * 2).tolist())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    available, reason, values = out.stdout.strip().splitlines()
    assert available == "False" and values == "[2.0, 2.0]"
    assert reason.startswith("CuPy is not importable (") and "gradbook[gpu]" in reason


def test_synchronize_and_device_count(device):
    if device == "cpu":
        pytest.skip("a CUDA call")
    assert engine.cuda.is_available() and engine.cuda.device_count() >= 1
    assert engine.cuda.current_device() == 0
    engine.cuda.synchronize()
    engine.cuda.synchronize("cuda:0")


# -- the stand-in itself behaves like CuPy where it matters ------------------------------


def test_fake_cupy_refuses_what_cupy_refuses(cuda):
    a = cuda.asarray(np.arange(3.0))
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array"):
        np.asarray(a)
    with pytest.raises(TypeError, match="Unsupported type"):
        a + np.ones(3)
    with pytest.raises(TypeError, match="Unsupported type"):
        np.ones(3) + a
    with pytest.raises(TypeError, match="Unsupported type"):
        cuda.concatenate([a, np.ones(3)])
    with pytest.raises(AttributeError, match="not in CuPy"):
        cuda.errstate  # NumPy has it, CuPy does not  # noqa: B018
    assert type(a.sum()) is cuda.ndarray and a.sum().ndim == 0  # 0-d arrays, not scalars
    assert type(np.exp(a)) is cuda.ndarray  # NumPy functions dispatch to the device
    assert a.reshape(3, 1).base is a
    cuda.stats.reset()
    a.get()
    float(a[0])
    assert cuda.stats.syncs == 2


def test_fake_cupy_names_exist_in_real_cupy():
    """The stand-in only offers names CuPy has: checked against CuPy itself when it imports
    (no GPU needed)."""
    try:
        import cupy
    except Exception as exc:
        pytest.skip(f"CuPy is not importable ({exc.__class__.__name__}: {exc})")
    missing = [n for n in sorted(_fake_cupy._UFUNCS | _fake_cupy._FUNCTIONS) if not hasattr(cupy, n)]
    assert not missing
    assert not [n for n in _fake_cupy._METHODS if not hasattr(cupy.ndarray, n)]
    assert not [n for n in _fake_cupy._LINALG if not hasattr(cupy.linalg, n)]


def test_on_device_helper():
    with on_device("fake-cuda") as name:
        assert name == "cuda" and engine.cuda.is_available()
    with on_device("cpu") as name:
        assert name == "cpu"
