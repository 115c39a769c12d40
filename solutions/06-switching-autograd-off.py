# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 · Switching autograd off
#
# Since chapter 02 every operation on a tensor that requires grad has left a node behind, and
# many of those nodes keep values for the backward pass. Training needs that record, but a lot
# of what a program computes is not part of any loss: evaluating a model, updating its
# parameters, logging a number, computing a target to aim at. For those we want the numbers
# without the history. The engine has four tools for that:
#
# | tool | what it does |
# |---|---|
# | `with engine.no_grad():` | nothing computed in the block is recorded |
# | `with engine.inference_mode():` | the same, and the results can never join a recorded graph later |
# | `t.detach()` | one tensor's values, cut off from the history that produced them |
# | `t.requires_grad_()` | the opposite: a leaf from which recording starts |
#
# In this chapter you will:
#
# - measure what a recorded forward pass keeps in memory, and switch recording off;
# - see why the parameter update must not be recorded, and what goes wrong when it is;
# - write `no_grad`, a context manager that is also a decorator (**exercise 1**);
# - meet inference mode and its inference tensors;
# - write `detach` (**exercise 2**) and use it to stop a gradient on purpose;
# - train a model whose weights are rounded, with the straight-through estimator, on your
#   `no_grad` and your `detach`.
#
# Run the cells from top to bottom; each exercise is followed by its check, as before.
# `gradbook check course/06-switching-autograd-off.ipynb` runs every check from a terminal.

# %%
import functools
import warnings

import matplotlib.pyplot as plt
import numpy as np

import engine
import engine.viz
from engine._tensor import make_tensor
from graders import quiz
from graders.checks import ch06 as check

# %% [markdown]
# ## 1. What recording keeps
#
# A node keeps what its backward formula needs: `tanh` keeps its output (its derivative is
# $1 - \tanh^2$), a matrix product keeps both of its inputs. Those values stay in memory for as
# long as the graph exists. Here is a small network, twenty layers of `x @ W` followed by
# `tanh`, on a batch of 512 rows. The helper counts the nodes of the graph and the bytes of the
# intermediate results its nodes saved (the parameters and the input exist anyway, so they are
# not counted):

# %%
def kept_for_backward(t):
    """(number of nodes in t's graph, bytes of intermediate results saved for backward)."""
    nodes = engine.viz.execution_order(t)
    sizes = {}
    for node in nodes:
        for saved in getattr(node, "saved_tensors", ()):
            if isinstance(saved, engine.Tensor) and saved.grad_fn is not None:
                array = saved.detach().numpy()
                sizes[id(array)] = array.nbytes
    return len(nodes), sum(sizes.values())


engine.manual_seed(0)
weights = [(engine.randn(256, 256) * 0.06).requires_grad_() for _ in range(20)]
batch = engine.randn(512, 256)


def network(x):
    for W in weights:
        x = (x @ W).tanh()
    return x.sum()


out = network(batch)
nodes, size = kept_for_backward(out)
print(f"recorded: {nodes} nodes, {size / 2**20:.1f} MiB of intermediate results kept")

with engine.no_grad():
    out = network(batch)
print("under no_grad: grad_fn =", out.grad_fn, "| requires_grad =", out.requires_grad)

# %% [markdown]
# Twenty layers of modest size already keep 10 MiB alive, one 512 × 256 array per layer, and
# the amount grows with the depth of the network and the size of the batch. Under `no_grad` the
# same computation gives the same number and keeps nothing: each layer's output can be thrown
# away as soon as the next layer has used it. This is why evaluation code, which needs the
# outputs but never their gradients, runs under `no_grad` as a matter of habit.

# %% [markdown]
# ## 2. `no_grad`: a block that is not recorded
#
# The smallest example: $y = x^2$ computed inside a `no_grad` block.

# %%
x = engine.tensor(3.0, requires_grad=True)
with engine.no_grad():
    y = x ** 2
print(y.requires_grad)
print(x.requires_grad)

# %% [markdown]
# The arithmetic happens (`y` is $9$), but nothing is recorded: `y` does not require grad and
# has no `grad_fn`, so it is a leaf, and `y.backward()` would fail with *element 0 of tensors
# does not require grad and does not have a grad_fn*. `x` itself is untouched: it still requires
# grad, and operations on it outside the block are recorded again.
#
# A value computed under `no_grad` is, for any later computation, a **constant**. Here `scale`
# is computed from `w` but not recorded, and then used together with `w`:

# %%
w = engine.tensor(2.0, requires_grad=True)
with engine.no_grad():
    scale = w * 3
loss = (scale * w - 10) ** 2
loss.backward()
print("w.grad:", w.grad.item())
engine.viz.draw(loss)

# %% [markdown]
# The picture has one path to `w`; the edge where `scale` enters is cut (dashed, "no grad").
# So the gradient is that of $(6w - 10)^2$, namely $2 (6w - 10) \cdot 6 = 24$ at $w = 2$. Had
# `scale` been recorded, the loss would be $(3w^2 - 10)^2$ with gradient
# $2(3w^2 - 10) \cdot 6w = 48$.
#
# The mode is a switch that every operation reads: `engine.is_grad_enabled()` says whether it
# is on, and `engine.enable_grad()` turns recording back on inside a `no_grad` block. Blocks
# nest, and each one, when it ends, puts back the mode that was on when it began:

# %%
print("outside:            ", engine.is_grad_enabled())
with engine.no_grad():
    print("in no_grad:         ", engine.is_grad_enabled())
    with engine.enable_grad():
        print("  in enable_grad:   ", engine.is_grad_enabled())
    print("back in no_grad:    ", engine.is_grad_enabled())
print("outside again:      ", engine.is_grad_enabled())

# %% [markdown]
# Two details complete the rules. A tensor *created* with `requires_grad=True` inside the block
# is still a leaf that requires grad: `no_grad` stops the recording of operations, it does not
# forbid parameters. And the switch belongs to the thread that set it: a `no_grad` block in one
# thread does not stop recording in another.

# %% [markdown]
# ## 3. The update step runs under `no_grad`
#
# After `backward()`, gradient descent changes each parameter in place: `w -= lr * w.grad`.
# Without `no_grad` the engine refuses (the lab of chapter 01, one step):

# %%
w = engine.tensor(2.0, requires_grad=True)
loss = (w * 3 - 10) ** 2
loss.backward()
try:
    w -= 0.1 * w.grad
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# A leaf that requires grad is where gradients are delivered. Recorded, the in-place update
# would become an operation of the graph: `w` would turn into the output of a subtraction,
# stop being a leaf, and the next gradient would have nowhere to go. So the engine (like
# PyTorch) refuses any in-place operation on such a leaf while recording is on.
#
# Writing the update out of place silences the error and hides the bug:

# %%
w = engine.tensor(2.0, requires_grad=True)
loss = (w * 3 - 10) ** 2
loss.backward()
w = w - 0.1 * w.grad  # no error: but `w` now names a new tensor
print("w:", w)
print("is_leaf:", w.is_leaf)

loss = (w * 3 - 10) ** 2
loss.backward()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print("w.grad after the next backward:", w.grad)
print("UserWarning:", str(caught[0].message).split(". ")[0] + ".")

# %% [markdown]
# The name `w` now points to the result of a subtraction, a tensor with a `grad_fn`, whose
# history reaches back to the original leaf. Its `.grad` is never filled (the gradient went
# on to the old leaf), and every further step would stack another subtraction on the graph.
# The update belongs under `no_grad`, where it changes the leaf's values in place and is not
# recorded:

# %%
w = engine.tensor(2.0, requires_grad=True)
loss = (w * 3 - 10) ** 2
loss.backward()
with engine.no_grad():
    w -= 0.1 * w.grad
print("w:", round(w.item(), 4), "| is_leaf:", w.is_leaf, "| requires_grad:", w.requires_grad)

# %% [markdown]
# The same leaf, now $4.4$, ready for the next step. Every optimizer in `engine.optim` runs its
# update this way.

# %% [markdown]
# ## 4. `no_grad` as a decorator
#
# A function whose body should never be recorded (a prediction, an evaluation, an update
# step) can be decorated instead of wrapping each call in a block:

# %%
x = engine.tensor([1.0], requires_grad=True)
y = x ** 2
print(y.requires_grad)
with engine.no_grad():
    y = x ** 2
    print(y.requires_grad)


@engine.no_grad()
def predict(x):
    return x * 2


print(predict(x).requires_grad)

# %% [markdown]
# ### How it works
#
# `no_grad` is a class, and its objects play two roles.
#
# **A context manager** is an object with two methods. `with obj:` calls `obj.__enter__()`,
# runs the block, then calls `obj.__exit__(exc_type, exc, traceback)`. Python calls
# `__exit__` whatever happens: when the block ends normally the three arguments are `None`;
# when it raises, they describe the exception, and `__exit__` runs before the exception goes
# on. (If `__exit__` returns a true value, Python swallows the exception: a `no_grad` must
# never do that.)
#
# **A decorator** is a function applied to a function. `@no_grad()` above `def predict` means
# `predict = no_grad()(predict)`: a `no_grad` object is made, then *called* with the function,
# so the class needs a `__call__(self, func)` that returns a replacement: a wrapper that runs
# `func` with recording off. `functools.wraps(func)` copies the name and docstring of `func`
# onto the wrapper.
#
# What `__exit__` puts back matters. Recording is not always on when a block begins: an
# evaluation helper decorated with `@no_grad()` may be called from a `no_grad` block of its
# own. So `__enter__` remembers the mode it found, and `__exit__` restores exactly that. A
# block that switched recording *on* when it ended would silently record the rest of the outer
# block.
#
# ### Exercise 1: `no_grad`
#
# Engine piece: `no_grad`
#
# Write the class `no_grad` so that:
#
# - inside `with no_grad():` nothing is recorded, and when the block ends (normally or with an
#   exception, which must go on) the mode is what it was before the block;
# - `@no_grad()` makes every call of a function run with recording off, then restores the
#   mode; the wrapper passes on all arguments, returns the function's result and keeps its
#   name and docstring;
# - blocks and decorated calls nest, and one `no_grad` object can serve several blocks in turn.
#
# The switch itself is given: `engine.is_grad_enabled()` reads it, and
# `engine.set_grad_enabled(mode)`, called as a plain function, sets it. Build your class on
# those two (not on the engine's own `no_grad`, `enable_grad` or `inference_mode`).
#
# One trap: a decorated function may call itself, or another function decorated by the same
# `no_grad` object. If the wrapper reused that one object for every call, the inner call's
# `__enter__` would overwrite what the outer call remembered. Give each call its own object.

# %% nbgrader={"grade_id": "no-grad", "solution": true} gradbook={"piece": "no_grad"}
class no_grad:
    """`with no_grad():` runs a block unrecorded; `@no_grad()` does it for every call."""

    def __enter__(self):
        ### BEGIN SOLUTION
        self.previous = engine.is_grad_enabled()
        engine.set_grad_enabled(False)
        ### END SOLUTION

    def __exit__(self, exc_type, exc, traceback):
        ### BEGIN SOLUTION
        engine.set_grad_enabled(self.previous)
        ### END SOLUTION

    def __call__(self, func):
        ### BEGIN SOLUTION
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with type(self)():
                return func(*args, **kwargs)

        return wrapper
        ### END SOLUTION


# %% nbgrader={"grade_id": "no-grad-check", "grade": true, "points": 3} gradbook={"checks": "no_grad"}
check.no_grad(no_grad)
### BEGIN HIDDEN TESTS
_x = engine.tensor([1.0, 2.0], requires_grad=True)
try:
    with no_grad():
        assert not engine.is_grad_enabled() and (_x * 2).grad_fn is None
        with no_grad():
            assert not engine.is_grad_enabled()
        assert not engine.is_grad_enabled()
    assert engine.is_grad_enabled() and (_x * 2).grad_fn is not None
    engine.set_grad_enabled(False)
    with no_grad():
        pass
    assert not engine.is_grad_enabled()
    engine.set_grad_enabled(True)
    try:
        with no_grad():
            raise KeyError("inside")
    except KeyError:
        pass
    else:
        raise AssertionError("the exception was swallowed")
    assert engine.is_grad_enabled()

    @no_grad()
    def _scaled(_t, _k=1.0):
        """doc"""
        return _t * _k, engine.is_grad_enabled()

    _y, _seen = _scaled(_x, _k=3.0)
    assert _seen is False and not _y.requires_grad and _y.tolist() == [3.0, 6.0]
    assert _scaled.__name__ == "_scaled" and _scaled.__doc__ == "doc"
    assert engine.is_grad_enabled()

    @no_grad()
    def _depth(_n):
        return 0 if _n == 0 else 1 + _depth(_n - 1)

    assert _depth(5) == 5 and engine.is_grad_enabled()
    _ctx = no_grad()
    for _ in range(2):
        with _ctx:
            assert not engine.is_grad_enabled()
        assert engine.is_grad_enabled()
finally:
    engine.set_grad_enabled(True)
### END HIDDEN TESTS

# %% [markdown]
# Your class at work, in the same nest of blocks as in section 2, and as a decorator:

# %% tags=["uses-your-code"]
print("outside:            ", engine.is_grad_enabled())
with no_grad():
    print("in your no_grad:    ", engine.is_grad_enabled())
    with engine.enable_grad():
        print("  in enable_grad:   ", engine.is_grad_enabled())
    print("back in no_grad:    ", engine.is_grad_enabled())
print("outside again:      ", engine.is_grad_enabled())


@no_grad()
def predict(x):
    """Twice x, not recorded."""
    return x * 2


print(predict.__name__, "->", predict(engine.tensor([1.0], requires_grad=True)))

# %% [markdown]
# ## 5. Inference mode
#
# `engine.inference_mode()` is `no_grad` with one more promise: what is computed inside will
# **never** take part in a recorded computation. The tensors it creates are *inference
# tensors*, and the engine can then skip some bookkeeping for them (they have no version
# counter, which section 6 explains). It is used exactly like `no_grad`, as a block or a
# decorator:

# %%
w = engine.tensor([0.5, -1.0], requires_grad=True)
x = engine.tensor([2.0, 3.0])
with engine.inference_mode():
    features = (x * w).tanh()
print("requires_grad:", features.requires_grad, "| is_inference:", features.is_inference())

with engine.no_grad():
    plain = (x * w).tanh()
print("under no_grad, is_inference:", plain.is_inference())

# %% [markdown]
# The promise is enforced. Used later in a computation that is recorded, an inference tensor
# is refused as soon as a node would have to keep it for backward (a multiplication keeps both
# of its inputs); and it cannot be made to require grad outside inference mode:

# %%
try:
    (w * features).sum().backward()
except RuntimeError as err:
    print("RuntimeError:", err)
print()
try:
    features.requires_grad_()
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# The way out is the one the message gives: `features.clone()`, run outside inference mode,
# is an ordinary tensor with the same values.
#
# | | `no_grad()` | `inference_mode()` |
# |---|---|---|
# | operations inside are recorded | no | no |
# | results may be used in recorded computations later | yes | no: they are inference tensors |
# | bookkeeping | version counters, as usual | none: inference tensors have no version counter |
# | use it for | the update step, evaluation during training, targets | pure inference: serving a trained model |

# %% [markdown]
# ## 6. `detach`: one value without its history
#
# `no_grad` works on a stretch of code. `detach()` works on one tensor: it returns a tensor with
# the same values and no history, while everything around it is recorded as usual.

# %%
w = engine.tensor(5.0, requires_grad=True)
tracked = w * 2
detached = tracked.detach()
with engine.no_grad():
    untracked = w * 3
print("tracked.requires_grad:", tracked.requires_grad)
print("detached.requires_grad:", detached.requires_grad)
print("untracked.requires_grad:", untracked.requires_grad)

# %% [markdown]
# The detached tensor holds the value, and nothing else:

# %%
x = engine.tensor(3.0, requires_grad=True)
y = x ** 2
clean = y.detach()
print(y.requires_grad, clean.requires_grad)
print(clean)

# %% [markdown]
# A detached tensor is a leaf that does not require grad: to the graph, a constant. The
# gradient flows **around** it. Take $y = x \odot x$ and $u = $ `y.detach()`, then
# $z = u \odot x$. Through $z$, $\partial z / \partial x = u$ exactly, as if $u$ were a number,
# while $y$ keeps its own graph:

# %%
x = engine.arange(4.0)
print(x)
x.requires_grad_(True)
print(x.grad)
y = 2 * engine.dot(x, x)
print(y)
y.backward()
print(x.grad)

x.grad.zero_()
y = x * x
u = y.detach()
z = u * x
z.sum().backward()
print(x.grad == u)

x.grad.zero_()
y.sum().backward()
print(x.grad == 2 * x)
engine.viz.draw(z)

# %% [markdown]
# In the picture, `u` enters `MulBackward0` through a cut edge: the gradient stops there, and
# the graph of `y` is not part of `z`'s graph at all.
#
# Everyday uses: keep a number for later without keeping its graph (`losses.append(loss.item())`,
# or `loss.detach()` for a tensor); convert to NumPy (`t.detach().numpy()`); aim at a target
# computed by the model itself without differentiating through it (`target = model(x).detach()`).
#
# ### Same memory, same version counter
#
# `detach()` copies nothing: the new tensor is a second view of the same memory. Writing into
# one shows in the other:

# %%
y = engine.tensor([1.0, 2.0, 3.0], requires_grad=True) * 2
d = y.detach()
d.add_(1)
print("y after d.add_(1):", y)

# %% [markdown]
# That sharing can corrupt a gradient. `exp` keeps its output $e^x$ for backward (it is its own
# derivative). Write into that memory through a detached tensor, and the value the node saved is
# no longer the one it computed. The engine notices: every tensor has a **version counter**,
# bumped by each in-place operation; a node notes the version of each tensor it saves, and
# checks it in backward. A tensor and its `detach()` share one counter, so a write through
# either one counts:

# %%
x = engine.tensor([0.0, 1.0, 2.0], requires_grad=True)
y = x.exp()
d = y.detach()
print("versions before:", y._version, d._version)
d.zero_()
print("versions after: ", y._version, d._version)
try:
    y.sum().backward()
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# Inference tensors have no version counter at all (that is the bookkeeping inference mode
# saves), which is why they may never be saved for backward.
#
# ### Exercise 2: `detach`
#
# Engine piece: `detach`
#
# A tensor of the engine is a thin object around a NumPy array:
#
# - `t._data` is the array that holds its values;
# - `t._vc` is its version counter: a list holding one integer (`[0]` for a fresh tensor),
#   shared by every tensor that views the same memory, and bumped by each in-place operation;
# - `t.grad_fn` and `t.requires_grad` are its place in the graph.
#
# `make_tensor(array, vc=None)` (imported at the top) is the engine's own constructor: it wraps
# `array` without copying it, as a leaf that does not require grad, with a fresh version
# counter, or with `vc` if you pass one.
#
# Write `detach(t)`: a **new** tensor with `t`'s values, in `t`'s memory, sharing `t`'s version
# counter, with no history (a leaf that does not require grad). `t` itself must not change.
# Do not call the engine's `t.detach()`: while the check runs it is switched off.

# %% nbgrader={"grade_id": "detach", "solution": true} gradbook={"piece": "detach"}
def detach(t):
    """A new tensor with t's values, in t's memory, with t's version counter, and no history."""
    ### BEGIN SOLUTION
    return make_tensor(t._data, vc=t._vc)
    ### END SOLUTION


# %% nbgrader={"grade_id": "detach-check", "grade": true, "points": 2} gradbook={"checks": "detach"}
check.detach(detach)
### BEGIN HIDDEN TESTS
_x = engine.tensor([0.5, -1.0, 2.0], dtype=engine.float64, requires_grad=True)
_y = _x * _x
_d = detach(_y)
assert _d is not _y and not _d.requires_grad and _d.grad_fn is None and _d.is_leaf
assert _y.grad_fn is not None and _y.requires_grad and _d.dtype == engine.float64
assert _d._data is _y._data and _d._vc is _y._vc
(_d * _x).sum().backward()
assert np.array_equal(_x.grad.numpy(), _d.numpy())
_e = _x.exp()
detach(_e).mul_(2)
try:
    _e.sum().backward()
except RuntimeError as _err:
    assert str(_err).startswith("one of the variables needed for gradient computation")
else:
    raise AssertionError("an in-place write through detach went unnoticed")
_m = engine.ones(2, 3)
detach(_m)[0].fill_(5.0)
assert _m.tolist() == [[5.0, 5.0, 5.0], [1.0, 1.0, 1.0]]
### END HIDDEN TESTS

# %% [markdown]
# Your `detach` on the example of this section: the gradient flows around `u`.

# %% tags=["uses-your-code"]
x = engine.arange(4.0, requires_grad=True)
y = x * x
u = detach(y)
(u * x).sum().backward()
print("x.grad == u:", x.grad == u)
print("same memory as y:", u._data is y._data, "| same version counter:", u._vc is y._vc)

# %% [markdown]
# ## 7. `requires_grad_`: starting a record
#
# `t.requires_grad_()` switches recording on for a leaf, in place (section 6 used it on
# `engine.arange(4.0)`); `t.requires_grad_(False)` switches it off, which is how parameters are
# *frozen* when only part of a model should train. It only works on leaves: a computed tensor
# owes its flag to its history.
#
# Together with `detach()` it makes a fresh leaf out of any value, a common way to ask for a
# gradient with respect to an intermediate result (an input image, an embedding) without
# involving the parameters that produced it:

# %%
w = engine.tensor(2.0, requires_grad=True)
h = (w * 3).detach().requires_grad_()  # a new leaf holding 6.0
loss = (h - 10) ** 2
loss.backward()
print("h.grad:", h.grad.item(), "| w.grad:", w.grad)

try:
    (w * 3).requires_grad_(False)
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# ## 8. The straight-through estimator
#
# Some models compute with rounded values: a network whose weights must fit in a few bits, a
# layer that picks a discrete code. Rounding is a staircase. Its derivative is $0$ on every
# step (and undefined at the jumps), so the gradient that reaches a weight through a rounding
# is zero, and gradient descent never moves it. The engine records `round` like any other
# operation, with exactly that zero gradient:

# %%
w = engine.tensor([0.3, 1.7, -0.6], requires_grad=True)
w.round().sum().backward()
print("gradient through round:", w.grad)

# %% [markdown]
# The **straight-through estimator** pretends, for the backward pass only, that rounding is the
# identity. With `detach` it takes one line:
#
# $$q = w + \operatorname{detach}(\operatorname{round}(w) - w).$$
#
# Forward, the two $w$ cancel and $q = \operatorname{round}(w)$. Backward, the detached part is
# a constant, so $\partial q / \partial w = 1$: the gradient goes *straight through* the
# rounding to $w$.

# %%
w = engine.tensor([0.3, 1.7, -0.6], requires_grad=True)
q = w + (w.round() - w).detach()
print("q:", q)
q.sum().backward()
print("gradient through the estimator:", w.grad)
engine.viz.draw(q)

# %% [markdown]
# Both passes, over a range of $w$: the value is the staircase either way, but only the
# estimator lets a gradient through.

# %%
grid = engine.tensor(np.linspace(-2.0, 2.0, 401), dtype=engine.float64, requires_grad=True)
q_round = grid.round()
q_round.sum().backward()
grad_round = grid.grad.numpy().copy()
grid.grad = None
q_straight = grid + (grid.round() - grid).detach()
q_straight.sum().backward()
grad_straight = grid.grad.numpy().copy()

w_axis = grid.detach().numpy()
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
left.plot(w_axis, q_straight.detach().numpy(), label="forward: round(w), either way")
left.plot(w_axis, w_axis, "--", color="grey", label="identity")
left.set_xlabel("w")
left.set_ylabel("q")
left.set_title("forward pass")
left.legend()
right.plot(w_axis, grad_round, label="round: dq/dw = 0")
right.plot(w_axis, grad_straight, label="straight-through: dq/dw = 1")
right.set_xlabel("w")
right.set_ylabel("gradient")
right.set_ylim(-0.2, 1.2)
right.set_title("backward pass")
right.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# The estimator's gradient is not the true derivative of anything: it is a useful lie. It
# works because a small change to $w$ does eventually move $\operatorname{round}(w)$ the same way,
# and it is how networks with quantized weights are trained. Section "Your engine" trains one.

# %% [markdown]
# ## Practice quiz
#
# Pick an answer and press **Check**. These are not graded.

# %%
quiz.practice([
    {
        "q": "x = tensor(3.0, requires_grad=True); with no_grad(): y = x ** 2. What are "
             "y.requires_grad and x.requires_grad?",
        "choices": ["True and True", "False and True", "False and False", "True and False"],
        "answer": 1,
        "explain": "no_grad stops the recording of operations, so y has no grad_fn and does "
                   "not require grad. It does not change x: x is still a leaf that requires "
                   "grad.",
    },
    {
        "q": "Why does the update w -= lr * w.grad run under no_grad?",
        "choices": [
            "To make it faster; the result would be the same without no_grad",
            "w is a leaf that requires grad: recording an in-place change to it is refused, "
            "and the update is not part of the next loss anyway",
            "Because w.grad requires grad",
            "So that backward() can be called on the update",
        ],
        "answer": 1,
        "explain": "The engine refuses in-place operations on a leaf that requires grad while "
                   "recording (it would stop being a leaf). Under no_grad the values change "
                   "and the leaf stays a leaf.",
    },
    {
        "q": "Your @no_grad() wrapper reuses the same object for every call (with self: ...). "
             "What breaks?",
        "choices": [
            "Nothing",
            "The docstring is lost",
            "A decorated function that calls itself: the inner call overwrites the mode the "
            "outer call remembered, and recording stays off afterwards",
            "Exceptions are swallowed",
        ],
        "answer": 2,
        "explain": "The inner __enter__ stores 'off' over the outer call's 'on'; the outer "
                   "__exit__ then restores 'off'. A fresh no_grad object per call keeps each "
                   "call's memory separate.",
    },
    {
        "q": "q = w + (w.round() - w).detach() with w = 2.6. What are q and dq/dw?",
        "choices": ["2.6 and 1", "3.0 and 0", "3.0 and 1", "2.6 and 0"],
        "answer": 2,
        "explain": "Forward, w cancels and q = round(2.6) = 3. Backward, the detached term is a "
                   "constant, so dq/dw = 1: the straight-through estimator.",
    },
])

# %% [markdown]
# ## Graded quiz
#
# Record your answers in the cell below, as letters. They are graded when you hand in the
# notebook; nothing here tells you whether they are right.
#
# **q1.** `x = engine.tensor(2.0, requires_grad=True)`; `with engine.no_grad(): y = x * 3`;
# `z = y * x`; `z.backward()`. What is `x.grad`?
# a) 12  b) 6  c) 3  d) a RuntimeError, since y does not require grad
#
# **q2.** `w` is a leaf that requires grad, and `w.grad` holds its gradient. Which line raises
# an error?
# a) `w -= 0.1 * w.grad` outside any `no_grad` block  b) `with engine.no_grad(): w -= 0.1 * w.grad`
# c) `w.grad.zero_()`  d) `w.detach().zero_()`
#
# **q3.** `y = x.exp()` (with `x` requiring grad), then `d = y.detach()` and `d.add_(1)`. What
# is true?
# a) `y` is unchanged, since `d` is a copy  b) `d` requires grad
# c) the in-place change raises at once  d) `y` changed too, and `y.sum().backward()` raises an error
#
# **q4.** `t` was computed inside `engine.inference_mode()`. Later, outside it, with `w` a leaf
# that requires grad, you run `(w * t).sum().backward()`. What happens?
# a) it works, and `t.grad` is filled  b) it works, and `w.grad` equals `t`
# c) a RuntimeError: inference tensors cannot be saved for backward  d) `w.grad` stays `None`
#
# **q5.** With `q = w + (w.round() - w).detach()` at `w = 1.3`, what are the value of `q` and
# $\partial q / \partial w$?
# a) 1.3 and 1  b) 1.0 and 0  c) 1.0 and 1  d) 1.3 and 0

# %% nbgrader={"grade_id": "quiz-answers", "solution": true} gradbook={"quiz": "answers", "stub": ""}
# Put the letter of your choice ("a", "b", "c" or "d") in place of each None.
answers = {"q1": None, "q2": None, "q3": None, "q4": None, "q5": None}
### BEGIN SOLUTION
answers = {"q1": "b", "q2": "a", "q3": "d", "q4": "c", "q5": "c"}
### END SOLUTION
quiz.recorded(answers)

# %% nbgrader={"grade_id": "quiz-q1", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 1: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q1"]).strip().lower() == "b", "q1"
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "quiz-q2", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 2: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q2"]).strip().lower() == "a", "q2"
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "quiz-q3", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 3: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q3"]).strip().lower() == "d", "q3"
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "quiz-q4", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 4: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q4"]).strip().lower() == "c", "q4"
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "quiz-q5", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 5: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q5"]).strip().lower() == "c", "q5"
### END HIDDEN TESTS

# %% [markdown]
# ## Your engine
#
# A line fit whose two parameters are rounded to multiples of $0.25$ in the forward pass: the
# data of chapter 01 ($y = 2x + 1$), the straight-through estimator for the rounding, and the
# update under `no_grad`. The function takes the two tools as arguments, so the same loop runs
# on the engine's and on yours.

# %%
xs = engine.tensor([1.0, 2.0, 3.0, 4.0])
ys = engine.tensor([3.0, 5.0, 7.0, 9.0])


def quantize(t, step=0.25):
    """t rounded to a multiple of step (its gradient, by itself, is zero)."""
    return (t / step).round() * step


def quantized_fit(no_grad, epochs=201, lr=0.05):
    """Chapter 01's fit with weights rounded to multiples of 0.25, straight-through."""
    w = engine.tensor(0.0, requires_grad=True)
    b = engine.tensor(0.0, requires_grad=True)
    lines, path = ["quantized_fit"], []
    for epoch in range(epochs):
        w_q = w + (quantize(w) - w).detach()
        b_q = b + (quantize(b) - b).detach()
        loss = ((w_q * xs + b_q - ys) ** 2).mean()
        loss.backward()
        with no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        path.append((w.item(), quantize(w).item()))
        if epoch % 50 == 0:
            lines.append(f"epoch={epoch:3d} loss={loss.item():.4f} w={w.item():.4f} "
                         f"b={b.item():.4f} w_q={quantize(w).item():.2f} "
                         f"b_q={quantize(b).item():.2f}")
        w.grad.zero_()
        b.grad.zero_()
    return lines, path


engines_lines, engines_path = quantized_fit(engine.no_grad)
print("\n".join(engines_lines))

# %% [markdown]
# The rounded parameters land on exactly $2$ and $1$ and the loss on $0$; the underlying `w`
# and `b` stop wherever they are inside the rounding step ($2.125$ rounds to $2$), since from
# then on the gradient is zero. Without the estimator nothing moves at all, as section 8
# predicted:

# %%
w = engine.tensor(0.0, requires_grad=True)
b = engine.tensor(0.0, requires_grad=True)
loss = ((quantize(w) * xs + quantize(b) - ys) ** 2).mean()
loss.backward()
print("loss:", loss.item(), "| w.grad:", w.grad.item(), "| b.grad:", b.grad.item())

# %% [markdown]
# Now on your pieces: your `no_grad` around the update, and your `detach` inside the estimator.
# `engine.substitute(detach=detach)` makes every `t.detach()` in the engine call your function.

# %% tags=["uses-your-code"]
with engine.substitute(detach=detach):
    your_lines, your_path = quantized_fit(no_grad)
print("\n".join(your_lines))
print()
print("the same lines as the engine's own:", your_lines == engines_lines)

# %% [markdown]
# The underlying weight and its rounded value during the first 60 steps of your run:

# %% tags=["uses-your-code"]
steps = np.arange(60)
latent, rounded = np.array(your_path[:60]).T
plt.figure(figsize=(7, 3.5))
plt.plot(steps, latent, label="w (what the gradient moves)")
plt.step(steps, rounded, where="post", label="round to 0.25 (what the forward pass uses)")
plt.axhline(2.0, color="grey", linestyle=":", linewidth=1)
plt.xlabel("step")
plt.ylabel("weight")
plt.title("Training through a rounding, straight-through")
plt.legend()
plt.show()

# %% [markdown]
# To run the engine's own tests of the grad modes (blocks, nesting, decorators, threads,
# factories) with your `no_grad` in the place of `engine.no_grad`, and its tests of `detach`
# with yours in the place of `Tensor.detach`, save this notebook and run in a terminal:
#
# ```
# gradbook my-engine course/06-switching-autograd-off.ipynb
# ```
