# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 12 · The GPU backend
#
# A GPU has thousands of small cores that apply the same instruction to many numbers at
# once. That is exactly the shape of the work in training: an elementwise op touches every
# entry of a tensor the same way, and a matrix product is millions of independent
# multiply-adds. **CuPy** is NumPy's API on NVIDIA GPUs: `cupy.exp`, `cupy.matmul`,
# `a.sum(axis=0)`, the same names with the same meaning, but the arrays live in the GPU's
# memory and the work runs there.
#
# The engine runs on both without two copies of its ops. Every op reaches its array library
# through one module, `engine.backend`, and asks it for `xp`: "the array module of the
# arrays at hand", NumPy for NumPy arrays, CuPy for CuPy arrays. The rest of the engine (the
# graph, `grad_fn`, `.grad`, the backward loop) is plain Python on the host and never looks at
# where the numbers are.
#
# In this chapter you will:
#
# - find where a tensor lives and move it (`.to("cuda")`, `.cuda()`, `.cpu()`);
# - write the dispatcher every op goes through (**exercise 1**, `array_module`);
# - learn what a copy between host and GPU costs, and count the copies hidden in a
#   training loop;
# - write an op once for NumPy and CuPy: a numerically stable `logsumexp`, forward and
#   backward (**exercise 2**, `LogSumExp`);
# - meet PyTorch's two device errors and write the rule behind the first one
#   (**exercise 3**, `common_device`);
# - time a training step on the GPU, if you have one.
#
# **No GPU? Most of this chapter runs anyway.** `engine.testing.fake_cuda()` puts a
# stand-in for CuPy into the engine: inside it, `device="cuda"` runs on the CPU, with
# arrays that behave like CuPy's where code goes wrong (they refuse to mix with NumPy arrays
# and to turn into them silently) and that count every copy to the host. It shows the rules,
# not the speed: the cells that measure speed run only on a real GPU, and say so otherwise.
# `gradbook check course/12-the-gpu-backend.ipynb` runs every check from a terminal.

# %%
import contextlib
import inspect
import io
import time

import matplotlib.pyplot as plt
import numpy as np

import engine
import engine.viz
from engine.autograd import ArrayFunction
from engine.ops import dual
from graders import quiz
from graders.checks import ch12 as check

# %%
HAVE_GPU = engine.cuda.is_available()
if HAVE_GPU:
    print(f"A GPU is here: {engine.cuda.device_count()} CUDA device(s).")
else:
    print("No GPU here:", engine.cuda.unavailable_reason())
    print("The cells that time a GPU will skip; the others use the stand-in.")


def gpu():
    """A block in which "cuda" is the real GPU when there is one, else the CPU stand-in."""
    return contextlib.nullcontext() if HAVE_GPU else engine.testing.fake_cuda()


# %% [markdown]
# ## 1. Where a tensor lives
#
# Every tensor has a `device`. Factories take `device=`, and `.to(...)` returns a copy on
# another device (or the tensor itself when it is already there):

# %%
x = engine.tensor([1.0, 2.0, 3.0])
print("x:", x.device, "holds a", type(x._data).__module__ + "." + type(x._data).__name__)
with gpu():
    y = x.to("cuda")  # also x.cuda(), or engine.tensor([...], device="cuda")
    print("y:", y.device, "holds a", type(y._data).__module__ + "." + type(y._data).__name__)
    print(y * 2)
    print("back on the host:", y.cpu().device)

# %% [markdown]
# `x._data` is the array a tensor wraps (the engine's own code reads it; yours normally does
# not). A CPU tensor holds a NumPy `ndarray` in the computer's main memory, the **host**; a
# CUDA tensor holds a CuPy `ndarray` in the GPU's own memory, the **device**. Everything else
# is the same: the same `Tensor` class, the same ops, the same graph. `cuda:0` names the first
# GPU; a machine with several has `cuda:1`, ...
#
# ## 2. One door to the array library
#
# Here is the engine's `Exp`, exactly as it is written:

# %%
print(inspect.getsource(engine.ops.unary.Exp))

# %% [markdown]
# Its forward receives raw arrays and asks `array_module(a)` for their library before
# calling `.exp`: NumPy's `exp` for a NumPy array, CuPy's for a CuPy array. Its backward,
# `g * y`, is written with an operator, which both libraries (and tensors) understand. No
# line says which library or which device. Every op of the engine is written this way, so
# one line, in `engine.backend`, decides where the work runs:

# %%
a = np.array([1.0, 2.0])
print("array_module of a NumPy array:", engine.backend.array_module(a).__name__)
with gpu():
    b = engine.backend.to_device(a, engine.device("cuda"))
    print("array_module of a CuPy array: ", engine.backend.array_module(b).__name__)

# %% [markdown]
# (With the stand-in, "CuPy" is the module `engine._fake_cupy`; on a GPU it is `cupy`.)
#
# The graph of a computation on the GPU is the graph you know. The nodes are Python objects
# on the host either way; only the arrays they save live on the device:

# %%
with gpu():
    w = engine.tensor([0.5, -1.0, 2.0], device="cuda", requires_grad=True)
    data = engine.tensor([1.0, 2.0, 3.0])
    loss = (data.to("cuda") * w).tanh().sum()
    loss.backward()
    print("w.grad:", w.grad)
    picture = engine.viz.draw(loss)
picture

# %% [markdown]
# ### Exercise 1: `array_module`
#
# Engine piece: `array_module`
#
# Write `array_module(x)`: the array module for `x`. Return CuPy when `x` is a CuPy array,
# and NumPy for anything else (a NumPy array, a NumPy scalar, a Python number). CuPy may be
# missing: then every array is a NumPy array, and your function must not fail.
#
# - `engine.cuda.is_available()` says whether CuPy can be used;
# - `engine.backend.cupy_module()` returns CuPy (the module the engine uses, the stand-in
#   inside `fake_cuda()`); it raises when CuPy cannot be used, so ask first;
# - a CuPy array is an instance of `cupy.ndarray`.
#
# Check the common case first, `isinstance(x, np.ndarray)`: every op calls this function, and
# on the CPU the answer must cost nothing.

# %% nbgrader={"grade_id": "array-module", "solution": true} gradbook={"piece": "array_module"}
def array_module(x):
    """NumPy for NumPy arrays and numbers, CuPy for CuPy arrays."""
    ### BEGIN SOLUTION
    if isinstance(x, np.ndarray) or not engine.cuda.is_available():
        return np
    cupy = engine.backend.cupy_module()
    return cupy if isinstance(x, cupy.ndarray) else np
    ### END SOLUTION


# %% nbgrader={"grade_id": "array-module-check", "grade": true, "points": 2} gradbook={"checks": "array_module"}
check.array_module(array_module)
### BEGIN HIDDEN TESTS
assert array_module(np.ones((2, 2))) is np
assert array_module(3) is np and array_module(np.int64(3)) is np
with engine.testing.fake_cuda() as _cupy:
    assert array_module(_cupy.asarray(np.ones(3))) is engine.backend.cupy_module()
    assert array_module(_cupy.asarray(np.ones(3)).sum()) is engine.backend.cupy_module()
    assert array_module(np.zeros(1)) is np
_previous = engine.backend._swap_cupy(None, "CuPy is not importable (hidden test)")
try:
    assert array_module(np.ones(2)) is np and array_module(1.5) is np
finally:
    engine.backend._swap_cupy(*_previous)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Moving data, and what it costs
#
# Between host and device, data travels over a bus (PCI Express, or NVLink on some
# machines). Every copy has a fixed cost, a few microseconds to set up, plus a cost per byte:
# typically 10 to 25 GB/s over PCIe, against several hundred GB/s for the GPU reading its own
# memory. The moves are the ones PyTorch has:
#
# | call | what it does |
# |---|---|
# | `x.to("cuda")`, `x.cuda()` | a copy of `x` on the GPU (`x` itself if it is there already) |
# | `x.cpu()`, `x.to("cpu")` | a copy on the host |
# | `x.to(other)` | to `other`'s device and dtype |
# | `engine.zeros(..., device="cuda")` | made on the GPU directly: nothing to copy |
# | `model.to("cuda")` | every parameter and buffer of a module, in place |
#
# A move is an op like any other: it is recorded (`ToCopyBackward0`), and the gradient goes
# back to the device the tensor came from.

# %%
with gpu():
    p = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)  # a leaf on the host
    q = p.to("cuda")
    (q * q).sum().backward()
    print("q.grad_fn:", q.grad_fn.name(), "  p.grad:", p.grad, "on", p.grad.device)
    picture = engine.viz.draw(q.sum())
picture

# %% [markdown]
# On a GPU the next cell measures both directions for sizes from 4 KB to 64 MB. The time of a
# small copy is mostly the fixed cost; a large one runs at the bus's speed.

# %%
def copy_seconds(nbytes, direction, repeats=5):
    """The median time of one copy of nbytes between host and GPU."""
    host = engine.zeros(nbytes // 4)
    device = host.cuda()
    times = []
    for _ in range(repeats):
        engine.cuda.synchronize()
        start = time.perf_counter()
        host.cuda() if direction == "to the GPU" else device.cpu()
        engine.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return sorted(times)[repeats // 2]


if HAVE_GPU:
    sizes = [2**k for k in range(12, 27, 2)]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for direction in ("to the GPU", "to the host"):
        seconds = [copy_seconds(n, direction) for n in sizes]
        ax.loglog(sizes, [n / s / 1e9 for n, s in zip(sizes, seconds)], "o-", label=direction)
        print(f"{direction:11s}: 4 KB in {seconds[0] * 1e6:.0f} µs, 64 MB at "
              f"{sizes[-1] / seconds[-1] / 1e9:.1f} GB/s")
    ax.set(xlabel="bytes copied", ylabel="GB/s", title="copies between host and GPU")
    ax.legend()
    plt.show()
else:
    print("No GPU: the copy timing is skipped.")

# %% [markdown]
# **The hidden copies.** A GPU runs asynchronously: an op returns as soon as its kernel is
# queued, and the Python code races ahead while the GPU works. Anything that needs a value on
# the host (a Python number, a printed tensor, an `if` on a tensor) has to wait until the GPU
# has computed it, then copy it over. That wait, a **synchronisation**, leaves the GPU idle
# while Python catches up. The usual culprit is logging the loss with `.item()` at every
# step. The stand-in counts copies to the host (`stats.syncs`), so it can find them, GPU or
# not:

# %%
def training_syncs(keep_on_device, steps=20):
    """Copies to the host during a small training run on the stand-in."""
    with engine.testing.fake_cuda() as fake:
        engine.manual_seed(0)
        model = engine.nn.Sequential(engine.nn.Linear(8, 16), engine.nn.ReLU(),
                                     engine.nn.Linear(16, 1)).to("cuda")
        opt = engine.optim.SGD(model.parameters(), lr=0.1)
        xs = engine.randn(32, 8, device="cuda")
        ys = engine.randn(32, 1, device="cuda")
        fake.stats.reset()
        losses = []
        for _ in range(steps):
            loss = engine.nn.functional.mse_loss(model(xs), ys)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.detach() if keep_on_device else loss.item())
        if keep_on_device:
            losses = engine.stack(losses).cpu().tolist()  # one copy, at the end
        return fake.stats.syncs, losses


every_step, losses_a = training_syncs(keep_on_device=False)
at_the_end, losses_b = training_syncs(keep_on_device=True)
print(f"loss.item() at every step:           {every_step} copies to the host")
print(f"losses kept on the GPU, copied once: {at_the_end} copy to the host")
print("the same losses:", losses_a == losses_b)

# %% [markdown]
# The same numbers, one wait instead of twenty. Each of these lines waits for the GPU too:

# %%
with engine.testing.fake_cuda() as fake:
    loss = engine.tensor(0.5, device="cuda")
    for line in ["loss.item()", "float(loss)", "print(loss)", "loss < 0.1 and 'small'",
                 "loss.tolist()", "loss.cpu()", "loss * 2", "engine.zeros(3, device='cuda')"]:
        fake.stats.reset()
        with contextlib.redirect_stdout(io.StringIO()):  # print(loss) prints nothing here
            eval(line)
        print(f"{line:32s} copies to the host: {fake.stats.syncs}")

# %% [markdown]
# Arithmetic on the device and tensors made on the device copy nothing; everything that
# hands a value to Python copies it. The condition `loss < 0.1` makes a tensor on the GPU, and
# `and` then asks Python whether it is true: that is the copy.

# %% [markdown]
# ## 4. An op written once: `logsumexp`
#
# Classification losses need $\log \sum_i e^{z_i}$ of a row of scores $z$ (cross-entropy is
# this minus the score of the right class). Computed as written, it fails for large scores:
# $e^{z}$ overflows a float32 beyond $z \approx 88.7$ (a float64 beyond $709.8$), and the
# sum of infinities is infinite.

# %%
z = engine.tensor([1000.0, 1000.5, 990.0])
print("log(sum(exp(z))) as written:", z.exp().sum().log().item())
print("z.logsumexp(0):             ", z.logsumexp(0).item())

# %% [markdown]
# The cure is to take the largest score $m$ out first:
#
# $$\log \sum_i e^{z_i} = m + \log \sum_i e^{z_i - m}, \qquad m = \max_i z_i .$$
#
# Now every exponent is at most $0$: the largest term is $e^0 = 1$, nothing overflows, and the
# sum is at least $1$, so the logarithm is finite. One more case: if $m$ is infinite (a row of
# $-\infty$, a masked row), $z_i - m$ is $-\infty - (-\infty)$, which is `nan`. Using $0$
# instead of an infinite $m$ gives the right answer: $\log \sum e^{-\infty} = -\infty$.
#
# The plot scales $z = s \cdot (1, 0.5, -1)$ up and compares both ways in float32:

# %%
scales = np.geomspace(1, 1000, 60)
naive, stable = [], []
for s in scales:
    z = engine.tensor(np.array([1.0, 0.5, -1.0]) * s, dtype=engine.float32)
    naive.append(z.exp().sum().log().item())
    stable.append(z.logsumexp(0).item())

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.loglog(scales, stable, label="m + log(sum(exp(z - m)))", lw=3)
ax.loglog(scales, naive, "--", label="log(sum(exp(z))): inf beyond s = 88.7")
ax.set(xlabel="scale s", ylabel="logsumexp(s * (1, 0.5, -1))", title="overflow, float32")
ax.legend()
plt.show()
print("first scale where the naive formula gives inf:",
      f"{scales[np.argmax(np.isinf(naive))]:.1f}")

# %% [markdown]
# **The derivative** of $y = \log \sum_j e^{z_j}$ is
#
# $$\frac{\partial y}{\partial z_i} = \frac{e^{z_i}}{\sum_j e^{z_j}} = e^{z_i - y},$$
#
# the **softmax** of $z$: positive, summing to 1 along the reduced dimension. So backward is
# `grad_output * exp(a - y)`, with `grad_output` and `y` spread back over the reduced
# dimension.
#
# **Writing it once for NumPy and CuPy.** The engine's own ops are `ArrayFunction`s (chapter
# 09's `Function`, with arrays instead of tensors in forward):
#
# - `forward(ctx, a, ...)` receives raw arrays. Ask `xp = array_module(a)` once and write
#   `xp.exp`, `xp.log`, `xp.where`, `xp.isinf`, and array methods (`a.max(axis=...,
#   keepdims=True)`, `.sum(...)`, `.reshape(...)`); never `np.` functions, never `float(...)`
#   of an array (a copy to the host on a GPU). Save what backward needs with
#   `ctx.save_for_backward`.
# - `backward(ctx, grad_output)` runs on raw arrays, or on tensors when the backward pass is
#   recorded (`create_graph=True`, for second derivatives). Write it with operators,
#   `.reshape(...)` and the helpers of `engine.ops.dual` (`dual.exp(t)` is `t.exp()` for a
#   tensor and `xp.exp(t)` for an array): then one formula serves both, on both devices.
#
# The engine calls the op as `LogSumExp.apply(a, dims, keepdim)`: `dims` is a sorted tuple of
# dimensions to reduce (`x.logsumexp(1)` passes `(1,)`), and `keepdim` says whether they stay
# in the result with size 1.
#
# ### Exercise 2: `LogSumExp`
#
# Engine piece: `LogSumExp`
#
# Write the forward and backward of `LogSumExp`:
#
# 1. **forward**: with `m = a.max(axis=dims, keepdims=True)`, replace an infinite `m` by 0
#    (`xp.where(xp.isinf(m), 0, m)`), then
#    `y = m + xp.log(xp.exp(a - m).sum(axis=dims, keepdims=True))`. The kept shape (1 in each
#    reduced dimension) is `kept` below. Return `y` as it is if `keepdim`, else reshaped to
#    the shape without the reduced dimensions. Save the input and **the result you return**
#    (`ctx.save_for_backward(a, out)`), and keep `kept` on `ctx`.
# 2. **backward**: reshape `grad_output` and the saved result to `kept`, and return
#    `g * dual.exp(a - y)` for `a`, and `None` for `dims` and `keepdim`.
#
# Saving the result rather than the softmax is what makes the second derivative right: when
# backward is recorded, the saved result is the op's output tensor, whose own graph leads
# back to `a`.

# %% nbgrader={"grade_id": "logsumexp", "solution": true} gradbook={"piece": "LogSumExp"}
class LogSumExp(ArrayFunction):
    node_name = "LogsumexpBackward0"  # PyTorch's name for this node (given)

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        xp = array_module(a)
        kept = tuple(1 if i in dims else n for i, n in enumerate(a.shape))
        ### BEGIN SOLUTION
        m = a.max(axis=dims, keepdims=True)
        m = xp.where(xp.isinf(m), 0, m).astype(a.dtype)
        y = m + xp.log(xp.exp(a - m).sum(axis=dims, keepdims=True))
        out = y if keepdim else y.reshape(tuple(n for i, n in enumerate(a.shape) if i not in dims))
        ctx.save_for_backward(a, out)
        ctx.kept = kept
        return out
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad_output):
        ### BEGIN SOLUTION
        a, y = ctx.saved_tensors
        g = grad_output.reshape(ctx.kept)
        return g * dual.exp(a - y.reshape(ctx.kept)), None, None
        ### END SOLUTION


# %% nbgrader={"grade_id": "logsumexp-check", "grade": true, "points": 4} gradbook={"checks": "LogSumExp"}
check.LogSumExp(LogSumExp)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1212)
_z = _rng.standard_normal((3, 5)) * 40
for _axis, _keep in [(1, False), (0, True)]:
    _x = engine.tensor(_z, requires_grad=True)
    _y = LogSumExp.apply(_x, (_axis,), _keep)
    _want = np.logaddexp.reduce(_z, axis=_axis, keepdims=_keep)
    assert np.allclose(_y.detach().numpy(), _want, rtol=1e-12, atol=1e-12), (_axis, _keep)
    _y.sum().backward()
    _soft = np.exp(_z - np.logaddexp.reduce(_z, axis=_axis, keepdims=True))
    assert np.allclose(_x.grad.numpy(), _soft, rtol=1e-10, atol=1e-12), (_axis, _keep)
_x = engine.tensor([[-np.inf, -np.inf], [0.0, -np.inf]])
with np.errstate(all="ignore"):  # log(0) = -inf is the answer here
    assert LogSumExp.apply(_x, (1,), False).tolist() == [-np.inf, 0.0]
with engine.testing.fake_cuda() as _cupy:
    _x = engine.tensor(_z, device="cuda", requires_grad=True)
    _cupy.stats.reset()
    LogSumExp.apply(_x, (1,), False).sum().backward()
    assert _cupy.stats.syncs == 0 and _x.grad.device.type == "cuda"
    assert np.allclose(_x.grad.cpu().numpy(), np.exp(_z - np.logaddexp.reduce(_z, 1, keepdims=True)))
### END HIDDEN TESTS

# %% [markdown]
# With your op in the engine's place (`engine.substitute(LogSumExp=...)`), `x.logsumexp(dim)`
# runs your code, on either device:

# %% tags=["uses-your-code"]
scores = np.array([[2.0, 1.0, 0.1], [1000.0, 1000.5, 990.0]])
for device in ("cpu", "cuda"):
    with gpu(), engine.substitute(LogSumExp=LogSumExp):
        s = engine.tensor(scores, device=device, requires_grad=True)
        y = s.logsumexp(1)
        y.sum().backward()
        print(f"{device}: logsumexp {y.tolist()}  grad_fn {y.grad_fn.name()}")
        print(f"      softmax rows (the gradient) sum to {[round(v, 6) for v in s.grad.sum(1).tolist()]}")

# %% [markdown]
# ## 5. Devices must match
#
# An op needs its operands in one memory: a GPU kernel cannot read the host's memory, and
# NumPy cannot read the GPU's. The engine could copy one operand over silently, but which
# one, and at what cost? A silent copy inside a training loop would run at every step. So it
# does what PyTorch does: it refuses, with PyTorch's message, and you say where data goes.

# %%
with gpu():
    a = engine.tensor([1.0, 2.0], device="cuda")
    b = engine.tensor([3.0, 4.0])
    for line in ["a + b", "b @ a", "engine.cat([a, b])", "a.numpy()"]:
        try:
            eval(line)
        except (RuntimeError, TypeError) as exc:
            print(f"{line:20s} {type(exc).__name__}: {exc}")
    print("a + b.to(a.device):", a + b.to(a.device))
    print("a.cpu().numpy():   ", a.cpu().numpy())

# %% [markdown]
# `.numpy()` gives a NumPy array that *shares* the tensor's memory. A GPU tensor's memory is
# not the host's, so there is nothing to share: `.cpu()` makes the copy, and says so in your
# code.
#
# **One exception: a 0-d tensor on the CPU.** PyTorch treats it as a number, and a number may
# meet a tensor on any device. The engine moves it over (differentiably: its gradient comes
# back to the CPU):

# %%
with gpu():
    a = engine.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    scale = engine.tensor(10.0, requires_grad=True)  # 0-d, on the CPU
    out = a * scale
    out.sum().backward()
    print("out:", out)
    print("scale.grad:", scale.grad, "on", scale.grad.device)
    try:
        engine.tensor([1.0, 2.0]) * engine.tensor(2.0, device="cuda")
    except RuntimeError as exc:
        print("a 0-d GPU tensor with a CPU tensor:", exc)

# %% [markdown]
# ### Exercise 3: `common_device`
#
# Engine piece: `common_device`
#
# When an op fails because its arrays are on different devices, the engine calls
# `engine.backend.common_device(arrays)` to decide: run the op on one device after all, or
# raise PyTorch's error. Write it. `arrays` is a list of NumPy and CuPy arrays (what tensors
# hold). Return `(device, moved)`:
#
# - `device`: the first device in the list that is not the CPU, or the CPU when every array
#   is on the CPU (`engine.backend.device_of(array)` gives an array's device, an
#   `engine.device`);
# - `moved`: the arrays in the same order, each on `device`. An array already there is
#   returned as it is (the same object). A **0-d array on the CPU** is copied over with
#   `engine.backend.to_device(array, device)`.
# - Any other array on another device: raise a `RuntimeError` with PyTorch's text,
#   `Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!`
#   where the first device is `device` and the second the device of the array that does
#   not fit (an f-string of the two devices prints them this way).

# %% nbgrader={"grade_id": "common-device", "solution": true} gradbook={"piece": "common_device"}
def common_device(arrays):
    """The device an op on `arrays` runs on, and the arrays moved there (CPU scalars only)."""
    ### BEGIN SOLUTION
    devices = [engine.backend.device_of(a) for a in arrays]
    device = next((d for d in devices if d.type != "cpu"), devices[0])
    moved = []
    for a, d in zip(arrays, devices):
        if d != device:
            if d.type != "cpu" or a.ndim != 0:
                raise RuntimeError("Expected all tensors to be on the same device, but found "
                                   f"at least two devices, {device} and {d}!")
            a = engine.backend.to_device(a, device)
        moved.append(a)
    return device, moved
    ### END SOLUTION


# %% nbgrader={"grade_id": "common-device-check", "grade": true, "points": 3} gradbook={"checks": "common_device"}
check.common_device(common_device)
### BEGIN HIDDEN TESTS
_h1, _h0 = np.ones(3), np.array(2.0)
_dev, _moved = common_device([_h1, _h0])
assert str(_dev) == "cpu" and _moved[0] is _h1 and _moved[1] is _h0
with engine.testing.fake_cuda() as _cupy:
    _g1 = _cupy.asarray(np.arange(3.0))
    for _order in ([_g1, _h1], [_h1, _g1], [_g1.sum(), _h1]):
        try:
            common_device(_order)
        except RuntimeError as _exc:
            assert str(_exc) == ("Expected all tensors to be on the same device, but found at "
                                 "least two devices, cuda:0 and cpu!"), str(_exc)
        else:
            raise AssertionError("no error for " + repr([type(a).__name__ for a in _order]))
    _dev, _moved = common_device([_h0, _g1, _h0])
    assert str(_dev) == "cuda:0" and _moved[1] is _g1
    assert all(type(_m) is _cupy.ndarray for _m in _moved) and float(_moved[2]) == 2.0
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Training on the GPU
#
# Moving a model is one line, `model.to("cuda")`, plus putting each batch on the same device.
# On the stand-in the engine computes exactly what it computes on the CPU, so the losses are
# equal; on a real GPU they agree to about float32's precision (its kernels add in another
# order).

# %%
def train(device, steps=30):
    """Losses of a small regression trained on `device`."""
    engine.manual_seed(1)
    model = engine.nn.Sequential(engine.nn.Linear(10, 32), engine.nn.Tanh(),
                                 engine.nn.Linear(32, 1)).to(device)
    opt = engine.optim.Adam(model.parameters(), lr=0.01)
    xs = engine.randn(64, 10, device=device)
    ys = (xs[:, :1] * 2 - xs[:, 1:2]).tanh()
    losses = []
    for _ in range(steps):
        loss = engine.nn.functional.mse_loss(model(xs), ys)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.detach())
    return engine.stack(losses).cpu().numpy()


on_cpu = train("cpu")
with gpu():
    on_gpu = train("cuda")
print(f"first loss {on_cpu[0]:.4f}, last {on_cpu[-1]:.4f}")
print(f"largest difference between the CPU and {'GPU' if HAVE_GPU else 'stand-in'} losses: "
      f"{np.max(np.abs(on_cpu - on_gpu)):.2g}")

# %% [markdown]
# **Is it faster?** It depends on the size of the work. Every op costs a fixed amount on
# the host (the engine's Python, then launching a kernel: microseconds), and then its work,
# which the GPU does far faster than one CPU core. Small matrices are all fixed cost; large
# ones are all work. On a GPU the next cell times one training step (forward, backward, an
# update) of a two-layer network at several widths, on both devices.

# %%
def step_seconds(width, device, batch=256, repeats=5):
    """The median time of one training step of a width x width two-layer network."""
    engine.manual_seed(0)
    w1 = engine.randn(width, width, device=device, requires_grad=True)
    w2 = engine.randn(width, width, device=device, requires_grad=True)
    xs = engine.randn(batch, width, device=device)
    times = []
    for _ in range(repeats + 1):
        if device == "cuda":
            engine.cuda.synchronize()
        start = time.perf_counter()
        loss = ((xs @ w1).relu() @ w2).square().mean()
        loss.backward()
        with engine.no_grad():
            for w in (w1, w2):
                w -= 1e-4 * w.grad
                w.grad = None
        if device == "cuda":
            engine.cuda.synchronize()  # the GPU may still be working: wait before the clock
        times.append(time.perf_counter() - start)
    return sorted(times[1:])[repeats // 2]  # the first step warms up


if HAVE_GPU:
    widths = [64, 256, 1024, 2048]
    cpu_times = [step_seconds(n, "cpu") for n in widths]
    gpu_times = [step_seconds(n, "cuda") for n in widths]
    for n, c, g in zip(widths, cpu_times, gpu_times):
        print(f"width {n:5d}: CPU {c * 1e3:8.2f} ms, GPU {g * 1e3:7.2f} ms, {c / g:6.1f} x")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.loglog(widths, cpu_times, "o-", label="CPU")
    ax.loglog(widths, gpu_times, "o-", label="GPU")
    ax.set(xlabel="width", ylabel="seconds per step", title="one training step")
    ax.legend()
    plt.show()
else:
    print("No GPU: the timing is skipped. On a GPU the small network is about as fast on "
          "both devices (fixed costs), and the wide one many times faster on the GPU.")

# %% [markdown]
# ## Practice quiz
#
# Pick an answer and press **Check**. These are not graded.

# %%
quiz.practice([
    {
        "q": "x is on the GPU and b = engine.ones(3) on the CPU. What does x + b do?",
        "choices": [
            "Copies b to the GPU and adds",
            "Copies x to the CPU and adds",
            "Raises PyTorch's error: the tensors are on two devices",
            "Adds on whichever device is faster",
        ],
        "answer": 2,
        "explain": "The engine never copies silently: write x + b.to(x.device), or make b on "
                   "the GPU in the first place (engine.ones(3, device='cuda')).",
    },
    {
        "q": "In a training loop on the GPU, which line makes the host wait for the GPU?",
        "choices": ["loss.backward()", "opt.step()", "losses.append(loss.item())",
                    "losses.append(loss.detach())"],
        "answer": 2,
        "explain": ".item() hands a Python number to your code: the GPU must finish computing "
                   "the loss, and the number is copied to the host. detach() keeps the loss "
                   "on the GPU.",
    },
    {
        "q": "Why does logsumexp subtract the largest score m before taking exponentials?",
        "choices": [
            "To make the result smaller",
            "So that no exponential overflows: every exponent is at most 0, and adding m back "
            "gives the same value",
            "Because the GPU cannot compute exp of positive numbers",
            "To make the gradient sum to 1",
        ],
        "answer": 1,
        "explain": "log(sum(exp(z))) = m + log(sum(exp(z - m))) exactly; the second form never "
                   "computes exp of anything above 0.",
    },
    {
        "q": "An op's forward is written with xp = array_module(a) and its backward with "
             "operators and dual helpers. On which devices does it run?",
        "choices": ["Only the CPU", "Only the GPU",
                    "Both, and its backward also runs on tensors for second derivatives",
                    "Both, but backward only on the CPU"],
        "answer": 2,
        "explain": "xp is NumPy or CuPy as the arrays require; operators and dual helpers work "
                   "on NumPy arrays, CuPy arrays and tensors alike.",
    },
])

# %% [markdown]
# ## Graded quiz
#
# Record your answers in the cell below, as letters. They are graded when you hand in the
# notebook; nothing here tells you whether they are right.
#
# **q1.** `x = engine.ones(2, device="cuda")`. Which gives a NumPy array of its values?
#
# - a) `x.numpy()`
# - b) `np.asarray(x)`
# - c) `x.cpu().numpy()`
# - d) `x.detach().numpy()`
#
# **q2.** An op computes `m = float(a.max())` in its forward. What does that cost on the GPU?
#
# - a) nothing: `float` is a Python function
# - b) a wait for the GPU and a copy of one number to the host, at every call
# - c) it moves `a` to the CPU for good
# - d) it raises an error
#
# **q3.** What is `logsumexp` of the row `[1000, 1000]`?
#
# - a) `inf`
# - b) `1000`
# - c) `1000 + log 2`
# - d) `2000`
#
# **q4.** `s = engine.tensor(3.0)` is on the CPU and `x` on the GPU, both require grad. What
# does `(x * s).sum().backward()` do?
#
# - a) raises the device error
# - b) computes on the GPU, and `s.grad` is on the CPU
# - c) computes on the CPU
# - d) computes on the GPU, and `s.grad` is on the GPU

# %% nbgrader={"grade_id": "quiz-answers", "solution": true} gradbook={"quiz": "answers", "stub": ""}
# Put the letter of your choice ("a", "b", "c" or "d") in place of each None.
answers = {"q1": None, "q2": None, "q3": None, "q4": None}
### BEGIN SOLUTION
answers = {"q1": "c", "q2": "b", "q3": "c", "q4": "b"}
### END SOLUTION
quiz.recorded(answers)

# %% nbgrader={"grade_id": "quiz-q1", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 1: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q1"]).strip().lower() == "c", "q1"
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "quiz-q2", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 2: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q2"]).strip().lower() == "b", "q2"
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "quiz-q3", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 3: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q3"]).strip().lower() == "c", "q3"
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "quiz-q4", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 4: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q4"]).strip().lower() == "b", "q4"
### END HIDDEN TESTS

# %% [markdown]
# ## Your engine
#
# Your `LogSumExp` and your `common_device` now take the engine's places, and train a
# classifier on the GPU (or the stand-in). Its loss is cross-entropy written with
# `logsumexp`: for scores $z$ and the right class $c$, $\log \sum_i e^{z_i} - z_c$. Three
# clusters of points in the plane, one per class:

# %% tags=["uses-your-code"]
rng = np.random.default_rng(12)
centres = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
labels = rng.integers(0, 3, size=300)
points = centres[labels] + rng.standard_normal((300, 2)) * 0.7

with gpu(), check.installed(LogSumExp=LogSumExp, common_device=common_device):
    engine.manual_seed(0)
    model = engine.nn.Sequential(engine.nn.Linear(2, 16), engine.nn.ReLU(),
                                 engine.nn.Linear(16, 3)).to("cuda")
    opt = engine.optim.SGD(model.parameters(), lr=0.5)
    x = engine.tensor(points, dtype=engine.float32, device="cuda")
    y = engine.tensor(labels, device="cuda")
    rows = engine.arange(len(labels), device="cuda")
    losses = []
    for _ in range(100):
        scores = model(x)
        loss = (scores.logsumexp(1) - scores[rows, y]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.detach())
    losses = engine.stack(losses).cpu()
    accuracy = (model(x).argmax(1) == y).float().mean().item()
    print(f"loss: {losses[0].item():.3f} at the start, {losses[-1].item():.3f} after 100 steps")
    print(f"accuracy: {accuracy:.2f}   (the loss node: {scores.logsumexp(1).grad_fn.name()})")
    try:
        model(x.cpu())  # a batch left on the host
    except RuntimeError as exc:
        print("your common_device:", exc)

fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(losses.numpy())
ax.set(xlabel="step", ylabel="cross-entropy", title="your logsumexp, on the device")
plt.show()

# %% [markdown]
# Your pieces can also run the engine's own tests. Save this notebook, then run in a terminal:
#
# ```
# gradbook my-engine course/12-the-gpu-backend.ipynb
# ```
#
# Your `LogSumExp` stands in for the engine's in every `logsumexp` test of the op table
# (against PyTorch and finite differences, on the CPU and on the stand-in GPU), and your
# `common_device` decides every device mix in the engine's device tests.
#
# The engine's own test suite runs every op test on each device: the CPU, the stand-in, and a
# real GPU when the machine has one. The stand-in is how code meant for a GPU gets tested
# anywhere: `with engine.testing.fake_cuda():` around your own tests will catch a forgotten
# `.to(device)` or a stray `.numpy()` before you rent a GPU to find it.
