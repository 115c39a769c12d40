# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 11 · Debugging autograd
#
# Autograd bugs come in two kinds. Some stop the program with an error message that is
# precise once you know how to read it. Others raise nothing: the gradients are silently
# wrong, `None` or NaN, or memory keeps growing, and the only symptom is a model that does not
# learn. This chapter goes through both kinds, one at a time: each is reproduced on the
# engine, explained with what you now know about the recorded graph, and fixed. The engine
# speaks PyTorch's words, so every message here is the one PyTorch would print.
#
# In this chapter you will:
#
# - read the five error messages of autograd, and the one most often met when logging, and
#   know the usual cause of each;
# - recognise the silent bugs: `.grad` that stays `None`, gradients that pile up, a graph
#   cut by `detach`, an update that is recorded, memory that grows every step;
# - find where a NaN comes from with anomaly detection;
# - repair three broken training loops (**exercises 1 to 3**), judged by what they compute.
#
# Run the cells from top to bottom; each exercise is followed by its check.
# `gradbook check course/11-debugging-autograd.ipynb` runs every check from a terminal.

# %%
import time
import tracemalloc

import matplotlib.pyplot as plt
import numpy as np

import engine
import engine.viz
from graders import quiz
from graders.checks import ch11 as check

# %% [markdown]
# Most demos below make a mistake on purpose. `attempt` runs a piece of code and prints the
# error it raises, type and message, instead of stopping the notebook:

# %%
def attempt(action):
    """Run action() and print the error it raises, or "no error"."""
    try:
        action()
    except Exception as error:
        print(f"{type(error).__name__}: {error}")
    else:
        print("no error")


# %% [markdown]
# ## 1. Errors that stop you
#
# ### "element 0 of tensors does not require grad and does not have a grad_fn"
#
# `backward()` was called on a tensor with no recorded history: nothing it was computed from
# requires grad, so there is no graph to walk. ("Element 0" is the first of the tensors
# handed to the backward pass; with `loss.backward()` there is only the one.) Three usual
# causes:

# %%
xs = engine.tensor([1.0, 2.0, 3.0, 4.0])
ys = engine.tensor([3.0, 5.0, 7.0, 9.0])

w = engine.tensor(0.0)  # 1. the parameter was created without requires_grad=True
loss = ((w * xs - ys) ** 2).mean()
attempt(loss.backward)

w = engine.tensor(0.0, requires_grad=True)
with engine.no_grad():  # 2. the loss was computed with recording off
    loss = ((w * xs - ys) ** 2).mean()
attempt(loss.backward)

prediction = (w * xs).detach()  # 3. the path from w to the loss was cut
loss = ((prediction - ys) ** 2).mean()
attempt(loss.backward)

# %% [markdown]
# The fix is to find where the path from the parameters to the loss is missing. The quickest
# test, before `backward()`: print `loss.requires_grad` (and `loss.grad_fn`), and the
# `requires_grad` of each parameter. If the loss does not require grad, walk back through the
# forward pass until you meet the first value that does.

# %%
loss = ((w * xs - ys) ** 2).mean()
print("w requires grad:   ", w.requires_grad)
print("loss requires grad:", loss.requires_grad, " grad_fn:", loss.grad_fn.name())
attempt(loss.backward)

# %% [markdown]
# ### "grad can be implicitly created only for scalar outputs"
#
# `backward()` with no argument starts from $\partial L / \partial L = 1$, which only makes
# sense when $L$ is one number. A loss left as a vector, one error per sample, is the usual
# cause: the reduction was forgotten. Reduce it (`.mean()` or `.sum()`), or, when you really
# want the gradient of a weighted sum of the entries, pass the weights as `gradient=`
# (chapter 04).

# %%
w = engine.tensor(0.0, requires_grad=True)
errors = (w * xs - ys) ** 2  # four numbers: the .mean() is missing
attempt(errors.backward)
attempt(errors.mean().backward)
print("w.grad:", w.grad.item())

# %% [markdown]
# ### "Trying to backward through the graph a second time"
#
# After a backward pass, the engine frees what the graph's nodes saved (chapter 03). Going
# through the same nodes again fails. In a training loop it usually means that a value was
# computed **once, before the loop**, and is reused by every step: the first step's backward
# went through its nodes and freed them, and the second step's goes there again.

# %%
engine.manual_seed(0)
x = engine.randn(8, 3)
y = engine.randn(8, 1)
w_in = engine.randn(3, 4, requires_grad=True)
w_out = engine.randn(4, 1, requires_grad=True)

hidden = (x @ w_in).tanh()  # computed once, outside the loop


def one_step():
    loss = ((hidden @ w_out - y) ** 2).mean()
    loss.backward()


attempt(one_step)  # step 1
attempt(one_step)  # step 2: through hidden's nodes again

# %% [markdown]
# The fix depends on what you meant. If `w_in` is being trained, `hidden` must be computed
# anew in every step, inside the loop, or the steps after the first would use a stale value.
# If `hidden` is fixed data, compute it under `engine.no_grad()` (or `.detach()` it): then
# there is nothing to go back through. `retain_graph=True` makes the message go away, but it
# is meant for a graph you really want to go through twice (two losses that share a part);
# here it would hide the bug.

# %%
with engine.no_grad():
    hidden = (x @ w_in).tanh()  # fixed data: no history to go back through
attempt(one_step)
attempt(one_step)

# %% [markdown]
# ### "a leaf Variable that requires grad is being used in an in-place operation."
#
# An in-place change of a parameter (`w -= ...`, `w.add_(...)`) while recording. The engine
# refuses: recording it would make the parameter depend on itself. This is almost always the
# update step written without `engine.no_grad()`:

# %%
w = engine.tensor(2.0, requires_grad=True)
loss = (w * 3 - 10) ** 2
loss.backward()


def update():
    global w
    w -= 0.1 * w.grad


attempt(update)
with engine.no_grad():
    attempt(update)
print("w:", round(w.item(), 4))

# %% [markdown]
# ### "one of the variables needed for gradient computation has been modified by an inplace operation"
#
# Chapter 03 showed that nodes keep some tensors for backward. If one of them is changed in
# place after it was saved, backward would compute with the wrong numbers. The engine catches
# that with **version counters**: every tensor counts its in-place modifications in
# `_version`; a node notes the version of each tensor it saves, and its backward refuses to
# run if the version has changed since.

# %%
engine.manual_seed(0)
x = engine.randn(4, 3)
w = engine.randn(3, 3, requires_grad=True)

h = (x @ w).tanh()
print("h._version after tanh:      ", h._version)
h -= h.mean(0)  # centre each column, in place
print("h._version after h -= ...:  ", h._version)
attempt(lambda: h.sum().backward())

# %% [markdown]
# Read the message from left to right: the tensor (its type and shape), which node's output
# it is (the `tanh`'s), its current version and the version the node saved. `TanhBackward0`
# saved its result, since $\tanh'(u) = 1 - \tanh(u)^2$, and `h -= h.mean(0)` rewrote that
# result.
#
# Not every in-place operation is a problem: only one on a tensor some node saved. The saved
# tensors are the orange boxes of `engine.viz.draw(..., show_saved=True)`. Here the result of
# `x @ w` is not saved (the derivative of a product needs its inputs, not its result), but the
# result of `tanh` is:

# %%
h = (x @ w).tanh()
engine.viz.draw(h.sum(), show_saved=True)

# %% [markdown]
# The message ends with a hint: anomaly detection (section 3) also records, for every node,
# where in your code the node was made, and prints it when the node's backward fails. With
# `check_nan=False` it does only that. The last entry of the traceback in the warning below
# is the line that made the node whose saved tensor was changed:

# %%
with engine.autograd.set_detect_anomaly(True, check_nan=False):
    h = (x @ w).tanh()
    h -= h.mean(0)
    attempt(lambda: h.sum().backward())

# %% [markdown]
# The fix: write the operation out of place, `h = h - h.mean(0)`. It makes a new tensor and
# leaves the saved one alone; the memory it costs is one more array of the same size.

# %%
h = (x @ w).tanh()
h = h - h.mean(0)
attempt(lambda: h.sum().backward())

# %% [markdown]
# ### "Can't call numpy() on Tensor that requires grad"
#
# Not a backward error, but the one met most often around training: converting a recorded
# tensor to NumPy (to plot or log it). The engine will not hand out an array that silently
# drops the tensor's history. Take the value out of the graph first, with `.detach()`; for a
# single number, `.item()` does it all.

# %%
w = engine.tensor([1.0, 2.0], requires_grad=True)
prediction = w * 3
attempt(prediction.numpy)
print(prediction.detach().numpy(), (prediction.sum()).item())

# %% [markdown]
# ## 2. Bugs that raise nothing
#
# ### `.grad` is `None`
#
# After `backward()`, `.grad` is filled in for the **leaves that require grad**, and for
# nothing else. So a `.grad` that stays `None` belongs to a tensor that does not require grad
# (created without the flag, or cut off by `detach`), or to a tensor that is not a leaf: the
# result of an operation. Reading a non-leaf's `.grad` makes the engine warn, in PyTorch's
# words:

# %%
w = engine.tensor(2.0, requires_grad=True)
scaled = w * 3  # not a leaf: the result of an operation
loss = (scaled - 10) ** 2
loss.backward()
print("w.is_leaf:", w.is_leaf, " w.grad:", w.grad.item())
print("scaled.is_leaf:", scaled.is_leaf, " scaled.grad:", scaled.grad)

# %% [markdown]
# If you meant the parameter, read the leaf's `.grad` (a parameter must be created as a
# leaf: `engine.tensor(..., requires_grad=True)`, not computed). If you really want an
# intermediate gradient, for instance to inspect it, ask for it before backward with
# `.retain_grad()`:

# %%
w = engine.tensor(2.0, requires_grad=True)
scaled = w * 3
scaled.retain_grad()
loss = (scaled - 10) ** 2
loss.backward()
print("scaled.grad:", scaled.grad.item())

# %% [markdown]
# ### Gradients unexpectedly large, training unstable: the gradients were not cleared
#
# `backward()` **adds** into `.grad` (chapter 05). A loop that never clears the gradients
# updates with the sum of every gradient so far. The small lab shows the rule on its own:
# the gradient of $x^2$ at $x = 3$ is $6$, the gradient of $2x$ is $2$, and without clearing
# they add up to $8$.

# %%
x = engine.tensor(3.0, requires_grad=True)
(x ** 2).backward()
print("after first backward:", x.grad.item())
(2 * x).backward()
print("after second backward:", x.grad.item())
x.grad.zero_()
(2 * x).backward()
print("after zero and third backward:", x.grad.item())


# %% [markdown]
# In a training loop the piled-up gradient acts like a growing, lagging step. The
# one-parameter lab of chapter 01, $L(w) = (3w - 10)^2$ from $w = 2$ with learning rate
# $0.1$, once with the gradient cleared after every step and once without:

# %%
def single_parameter_training(clear, steps=5, lr=0.1, show=True):
    """The lab of chapter 01; returns the losses."""
    w = engine.tensor(2.0, requires_grad=True)
    losses = []
    if show:
        print("single_parameter_training" + ("" if clear else ", never clearing .grad"))
    for step in range(1, steps + 1):
        loss = (w * 3 - 10) ** 2
        loss.backward()
        with engine.no_grad():
            w -= lr * w.grad
        if show:
            print(f"step={step} w={w.item():.4f} loss={loss.item():.4f} grad={w.grad.item():.4f}")
        losses.append(loss.item())
        if clear:
            w.grad.zero_()
    return losses


single_parameter_training(clear=True)
print()
single_parameter_training(clear=False)

fig, ax = plt.subplots(figsize=(6, 3.5))
for clear, label in [(True, "gradient cleared every step"), (False, "never cleared")]:
    losses = single_parameter_training(clear, steps=30, show=False)
    ax.semilogy(range(1, 31), losses, "o-", ms=3, label=label)
ax.set(xlabel="step", ylabel="loss (log scale)", title="(3w - 10)² from w = 2, lr = 0.1")
ax.legend()
plt.show()

# %% [markdown]
# With the gradient cleared, the loss falls steadily ($16 \to 10.24 \to 6.5536 \to \dots$).
# Without, the second step already uses $-24 + 19.2 = -4.8$ instead of $19.2$: every step
# carries all the old gradients with it, overshoots, and the loss swings up and down by
# orders of magnitude without ever settling. Clear the gradients once per
# step, before the next backward: `optimizer.zero_grad()`, or `p.grad = None` for each
# parameter.
#
# Accumulation is not a bug when it is wanted: summing the gradients of several small
# batches before one update (chapter 05) is exactly this, on purpose.

# %% [markdown]
# ### Gradients all zero (or `None`): the graph was cut
#
# A `detach()`, a trip through `.item()` or `.numpy()`, or an operation under `no_grad` in the
# middle of the forward pass cuts the path from the parameters before it to the loss. The
# loss still requires grad (the later parameters are connected), so nothing complains, but
# the earlier parameters get no gradient: `None`, or zeros if their `.grad` was cleared with
# `.zero_()`, and they never change. A report of every parameter's gradient after `backward()`
# finds it at once:

# %%
def gradient_report(**params):
    for name, p in params.items():
        print(f"{name}.grad: {'None' if p.grad is None else np.round(p.grad.numpy(), 4)}")


engine.manual_seed(1)
x = engine.randn(4, 2)
y = engine.randn(4, 1)
w1 = engine.randn(2, 3, requires_grad=True)
w2 = engine.randn(3, 1, requires_grad=True)

hidden = (x @ w1).tanh().detach()  # detached "to log it": this cuts the graph
loss = ((hidden @ w2 - y) ** 2).mean()
loss.backward()
gradient_report(w1=w1, w2=w2)
engine.viz.draw(loss)

# %% [markdown]
# The picture shows the cut: the graph of the loss reaches `w2`, and `w1` is not in it at
# all. Log a detached copy, and keep computing with the original:

# %%
hidden = (x @ w1).tanh()
logged = hidden.detach()  # a copy for the log; the computation uses hidden
loss = ((hidden @ w2 - y) ** 2).mean()
w2.grad = None
loss.backward()
gradient_report(w1=w1, w2=w2)

# %% [markdown]
# ### The update was recorded
#
# The update written without `engine.no_grad()` and without `-=`, as `w = w - lr * w.grad`,
# raises nothing at first. But it records the update, so the new `w` is the **result of an
# operation**, no longer a leaf: the next backward does not fill its `.grad` (with the
# warning of the previous section), and the update after that fails because `w.grad` is
# `None`.

# %%
w = engine.tensor(2.0, requires_grad=True)
loss = (w * 3 - 10) ** 2
loss.backward()
w = w - 0.1 * w.grad  # step 1's update, recorded
print("after step 1: w.is_leaf =", w.is_leaf, " w.grad_fn =", w.grad_fn.name())

loss = (w * 3 - 10) ** 2
loss.backward()
print("after step 2's backward: w.grad =", w.grad)
attempt(lambda: w - 0.1 * w.grad)  # step 2's update

# %% [markdown]
# The fix is the update of every lab so far: `with engine.no_grad(): w -= lr * w.grad`. In
# place and unrecorded, `w` stays the same leaf tensor, whose `.grad` the next backward
# fills.
#
# ### Memory keeps growing: losses kept as tensors
#
# A loss tensor is not just a number: through its `grad_fn` it keeps its whole graph alive,
# with every tensor its nodes saved, for as long as the tensor lives. A backward pass frees
# the saved tensors, so a list of training losses grows by a few KiB of nodes per step. A
# list of losses computed **without** a backward pass, as in a validation loop, keeps every
# activation of every step. Below, the memory in use while 40 steps of each kind run, keeping
# the loss as a tensor or as `loss.item()`:

# %%
engine.manual_seed(2)
x = engine.randn(256, 64, dtype=engine.float64)
y = engine.randn(256, 1, dtype=engine.float64)
w1 = (engine.randn(64, 64, dtype=engine.float64) / 8).requires_grad_()
w2 = (engine.randn(64, 1, dtype=engine.float64) / 8).requires_grad_()


def network_loss():
    return (((x @ w1).tanh() @ w2 - y) ** 2).mean()


def memory_per_step(step, keep, steps=40):
    """Memory in use (KiB) after each of `steps` calls of step(), which returns a loss;
    keep(loss) is what goes into the log."""
    log, used = [], []
    tracemalloc.start()
    try:
        for _ in range(steps):
            log.append(keep(step()))
            used.append(tracemalloc.get_traced_memory()[0] / 1024)
    finally:
        tracemalloc.stop()
    return used


def training_step():
    loss = network_loss()
    loss.backward()
    with engine.no_grad():
        w1.sub_(0.01 * w1.grad)
        w2.sub_(0.01 * w2.grad)
    w1.grad = None
    w2.grad = None
    return loss


def validation_step():
    return network_loss()


def as_tensor(loss):
    return loss


def as_number(loss):
    return loss.item()


runs = {
    "training, log.append(loss)": memory_per_step(training_step, as_tensor),
    "training, log.append(loss.item())": memory_per_step(training_step, as_number),
    "validation, log.append(loss)": memory_per_step(validation_step, as_tensor),
    "validation, log.append(loss.item())": memory_per_step(validation_step, as_number),
}
fig, ax = plt.subplots(figsize=(6.5, 3.5))
for label, used in runs.items():
    growth = (used[-1] - used[9]) / 30
    print(f"{label:38s} grows by {growth:8.2f} KiB per step")
    ax.plot(range(1, 41), used, label=label)
ax.set_yscale("symlog", linthresh=10)
ax.set(xlabel="step", ylabel="memory in use (KiB)", title="keeping the loss: tensor or number")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Keeping validation losses as tensors costs a whole batch's activations per step (here
# $256 \times 64$ float64 numbers, 128 KiB): over an epoch of a real model, gigabytes. Even
# after backward, a kept training loss holds its graph's nodes. Keep `loss.item()`, a Python
# number, or `loss.detach()` if you need a tensor. A running total has the same trap:
# `total += loss` chains every step's graph onto the last one; `total += loss.item()` does
# not.

# %% [markdown]
# ### Validation slow and memory-heavy: recording during evaluation
#
# The validation runs above also recorded, which nothing needs: no backward pass will come.
# Recording costs time (a node per operation) and memory (each node keeps its saved tensors
# until the loss is gone). Under `engine.no_grad()` the forward pass computes the same numbers
# and keeps nothing. A deeper network (16 layers), one evaluation pass with and without it:

# %%
engine.manual_seed(3)
deep = [(engine.randn(64, 64, dtype=engine.float64) / 8).requires_grad_() for _ in range(16)]
batch = engine.randn(512, 64, dtype=engine.float64)


def evaluate():
    h = batch
    for w in deep:
        h = (h @ w).tanh()
    return h.mean().item()


def peak_kib(action):
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1] / 1024
    finally:
        tracemalloc.stop()


def best_time(action, repeats=7):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def evaluate_without_recording():
    with engine.no_grad():
        return evaluate()


for label, action in [("recording", evaluate), ("engine.no_grad()", evaluate_without_recording)]:
    print(f"{label:17s} peak {peak_kib(action):7.0f} KiB, time {best_time(action) * 1e3:6.2f} ms")

# %% [markdown]
# The peak without recording is a few activations, whatever the depth; with recording it
# holds one activation per layer (chapter 10 measured the same thing). The time saved depends
# on how large the operations are next to the engine's bookkeeping: for small tensors it is
# a large share, for large ones less. Wrap every evaluation, validation and prediction in
# `with engine.no_grad():` (or `engine.inference_mode()`, chapter 06).

# %% [markdown]
# ## 3. NaN: where did it come from?
#
# A NaN gradient raises nothing either; after one update every parameter it reaches is NaN,
# and the loss is NaN from then on. Here is a classic. We want $\sqrt{x}$ where $x > 0$ and
# $0$ elsewhere, and `where` picks between the two. The values are right; the gradient is
# not:

# %%
x = engine.tensor([4.0, -1.0, 0.0], requires_grad=True)
y = engine.where(x > 0, x.sqrt(), engine.zeros_like(x))
total = y.sum()
total.backward()
print("y:     ", y.detach().numpy())
print("x.grad:", x.grad.numpy())
engine.viz.draw(total, view="values")

# %% [markdown]
# The picture shows why. `where` computed `x.sqrt()` for **every** entry, including
# $\sqrt{-1}$ = NaN, and then ignored it. In backward, `where` sends a gradient of $0$ to the
# entries it ignored, and `SqrtBackward0` multiplies it by $\frac{1}{2\sqrt{x}}$: NaN at
# $x = -1$ and $\infty$ at $x = 0$. But $0 \cdot \text{NaN} = \text{NaN}$ and
# $0 \cdot \infty = \text{NaN}$: a gradient that should be $0$ is NaN.
#
# In a real model such a graph has thousands of nodes. **Anomaly detection** finds the one
# where NaN first appears: inside `engine.autograd.detect_anomaly()` (or after
# `engine.autograd.set_detect_anomaly(True)`), every node remembers where in your code it was
# made, and the backward pass checks what every node returns. The first node to return a
# NaN stops the pass with an error naming it, and a warning prints the traceback of the
# forward call that made that node. Its last entry is your line; the entries above it are
# the notebook's own machinery, which ran your cell:

# %%
x = engine.tensor([4.0, -1.0, 0.0], requires_grad=True)
with engine.autograd.detect_anomaly():
    y = engine.where(x > 0, x.sqrt(), engine.zeros_like(x))
    attempt(lambda: y.sum().backward())

# %% [markdown]
# The node is named (`SqrtBackward0`), and the last entry of the traceback quotes the line
# `y = engine.where(x > 0, x.sqrt(), ...)`. Two things to know when you use it:
#
# - It makes everything slower (every node records a traceback, every gradient is checked),
#   as its warning says: switch it on to hunt a NaN, then off again.
# - It names the node whose backward **returned** the first NaN. Often that node only
#   multiplied an infinity that came from the node before by a zero: look one step up the
#   graph as well.
#
# The fix here: keep the square root away from the entries `where` will ignore, so that no
# infinity or NaN is ever made. Take the root of a harmless value there (1, say), then pick:

# %%
x = engine.tensor([4.0, -1.0, 0.0], requires_grad=True)
positive = x > 0
safe = engine.where(positive, x, engine.ones_like(x))  # 1 where the root will be ignored
y = engine.where(positive, safe.sqrt(), engine.zeros_like(x))
y.sum().backward()
print("y:     ", y.detach().numpy())
print("x.grad:", x.grad.numpy())

# %% [markdown]
# ## 4. Repair the training loop
#
# Each exercise below is a training loop with a bug from this chapter. Find it (run the loop,
# read the error, look at the losses, check the gradients, switch on anomaly detection) and
# write the repaired loop. Repair, do not rewrite: the repaired loop must compute exactly
# what the loop was meant to compute, so the checks compare the parameters and losses it
# returns with those of a correct loop on the same data.
#
# ### Exercise 1: `fit_line`
#
# Engine piece: `fit_line`
#
# The two-parameter fit of chapter 01 (a line through `xs`, `ys`, by gradient descent on the
# mean squared error). This version has two bugs from section 2: its parameters go the wrong
# way after a few steps, and it would slowly eat memory over a long run. It returns the final
# `w` and `b` as numbers, and the loss of every step.

# %%
def fit_line_broken(xs, ys, epochs=201, lr=0.05):
    w = engine.tensor(0.0, requires_grad=True)
    b = engine.tensor(0.0, requires_grad=True)
    losses = []
    for _ in range(epochs):
        loss = ((w * xs + b - ys) ** 2).mean()
        loss.backward()
        with engine.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        losses.append(loss)
    return w.item(), b.item(), losses


w_end, b_end, losses = fit_line_broken(xs, ys, epochs=6)
print("w, b after 6 steps:", round(w_end, 4), round(b_end, 4))
print("losses:", [round(loss.item(), 4) for loss in losses])


# %% nbgrader={"grade_id": "fit-line", "solution": true} gradbook={"piece": "fit_line"}
def fit_line(xs, ys, epochs=201, lr=0.05):
    """The line fit, repaired: returns (w, b, losses), w and b as numbers, one loss per
    epoch, each a number."""
    ### BEGIN SOLUTION
    w = engine.tensor(0.0, requires_grad=True)
    b = engine.tensor(0.0, requires_grad=True)
    losses = []
    for _ in range(epochs):
        loss = ((w * xs + b - ys) ** 2).mean()
        loss.backward()
        with engine.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None
        b.grad = None
        losses.append(loss.item())
    return w.item(), b.item(), losses
    ### END SOLUTION


# %% nbgrader={"grade_id": "fit-line-check", "grade": true, "points": 2} gradbook={"checks": "fit_line"}
check.fit_line(fit_line)
### BEGIN HIDDEN TESTS
for _seed, _epochs, _lr in [(11, 40, 0.1), (12, 80, 0.05), (None, 120, 0.02)]:
    _xs, _ys = check.line_data(_seed)
    _w, _b, _losses = fit_line(_xs, _ys, _epochs, _lr)
    _want_w, _want_b, _want = check.correct_fit_line(_xs, _ys, _epochs, _lr)
    assert all(type(_v) is float for _v in _losses), "losses must be numbers"
    assert np.allclose([float(_w), float(_b)], [_want_w, _want_b], rtol=1e-6, atol=1e-6)
    assert np.allclose(_losses, _want, rtol=1e-6, atol=1e-6)
### END HIDDEN TESTS

# %% [markdown]
# Your loop, printing what the lab of chapter 01 printed: the loss at epochs 0, 50, ..., 200
# and the parameters after that epoch's step.

# %% tags=["uses-your-code"]
print("two_parameter_fit")
for epoch in range(0, 201, 50):
    w_now, b_now, losses = fit_line(xs, ys, epochs=epoch + 1)
    print(f"epoch={epoch:3d} loss={losses[epoch]:.4f} w={w_now:.4f} b={b_now:.4f}")

# %% [markdown]
# ### Exercise 2: `train_network`
#
# Engine piece: `train_network`
#
# A small network: a hidden layer $h = \tanh(x W_1)$, **centred** (each hidden unit's mean
# over the batch is subtracted), and a linear output $h W_2$, trained on the mean squared
# error. The loop works on copies of the starting weights it is given, and returns the
# trained weights (detached) and the losses. It stops at its first backward.

# %%
def train_network_broken(x, y, w1, w2, steps=100, lr=0.1):
    w1 = w1.clone().requires_grad_()  # copies: the caller's tensors are left alone
    w2 = w2.clone().requires_grad_()
    losses = []
    for _ in range(steps):
        h = (x @ w1).tanh()
        h -= h.mean(0)  # centre each hidden unit over the batch
        loss = ((h @ w2 - y) ** 2).mean()
        loss.backward()
        with engine.no_grad():
            w1 -= lr * w1.grad
            w2 -= lr * w2.grad
        w1.grad = None
        w2.grad = None
        losses.append(loss.item())
    return w1.detach(), w2.detach(), losses


x_net, y_net, w1_start, w2_start = check.network_data(0)
attempt(lambda: train_network_broken(x_net, y_net, w1_start, w2_start))


# %% nbgrader={"grade_id": "train-network", "solution": true} gradbook={"piece": "train_network"}
def train_network(x, y, w1, w2, steps=100, lr=0.1):
    """The centred network, repaired: returns (w1, w2, losses)."""
    ### BEGIN SOLUTION
    w1 = w1.clone().requires_grad_()
    w2 = w2.clone().requires_grad_()
    losses = []
    for _ in range(steps):
        h = (x @ w1).tanh()
        h = h - h.mean(0)
        loss = ((h @ w2 - y) ** 2).mean()
        loss.backward()
        with engine.no_grad():
            w1 -= lr * w1.grad
            w2 -= lr * w2.grad
        w1.grad = None
        w2.grad = None
        losses.append(loss.item())
    return w1.detach(), w2.detach(), losses
    ### END SOLUTION


# %% nbgrader={"grade_id": "train-network-check", "grade": true, "points": 3} gradbook={"checks": "train_network"}
check.train_network(train_network)
### BEGIN HIDDEN TESTS
for _seed, _steps, _lr in [(21, 60, 0.1), (22, 10, 0.3)]:
    _x, _y, _w1, _w2 = check.network_data(_seed)
    _got1, _got2, _losses = train_network(_x, _y, _w1, _w2, _steps, _lr)
    _want1, _want2, _want = check.correct_train_network(_x, _y, _w1, _w2, _steps, _lr)
    assert np.allclose(_got1.numpy(), _want1.numpy(), rtol=1e-6, atol=1e-6)
    assert np.allclose(_got2.numpy(), _want2.numpy(), rtol=1e-6, atol=1e-6)
    assert np.allclose(_losses, _want, rtol=1e-6, atol=1e-6)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3: `fit_distance`
#
# Engine piece: `fit_distance`
#
# A linear model $x W$ with two outputs per row, fitted by the **mean Euclidean distance**
# between predictions and targets, $\frac{1}{n}\sum_i \lVert x_i W - y_i \rVert$. The batch
# was padded to a fixed size with rows of zeros (inputs and targets), which contribute a
# distance of $0$: the loss is the mean over all rows, padding included, and must stay so.
# The loop trains a copy of `w` and returns it (detached) with the losses. After the first
# step, everything is NaN.

# %%
def fit_distance_broken(x, y, w, steps=100, lr=0.1):
    w = w.clone().requires_grad_()
    losses = []
    for _ in range(steps):
        d = x @ w - y
        squared = (d ** 2).sum(1)  # one squared distance per row
        loss = squared.sqrt().mean()
        loss.backward()
        with engine.no_grad():
            w -= lr * w.grad
        w.grad = None
        losses.append(loss.item())
    return w.detach(), losses


x_pad, y_pad, w_start = check.distance_data(0)
w_end, losses = fit_distance_broken(x_pad, y_pad, w_start, steps=3)
print("losses:", losses)
print("w:", w_end.numpy().round(4).tolist())


# %% nbgrader={"grade_id": "fit-distance", "solution": true} gradbook={"piece": "fit_distance"}
def fit_distance(x, y, w, steps=100, lr=0.1):
    """The distance fit, repaired: returns (w, losses)."""
    ### BEGIN SOLUTION
    w = w.clone().requires_grad_()
    losses = []
    for _ in range(steps):
        d = x @ w - y
        squared = (d ** 2).sum(1)
        positive = squared > 0
        safe = engine.where(positive, squared, engine.ones_like(squared))
        distance = engine.where(positive, safe.sqrt(), engine.zeros_like(squared))
        loss = distance.mean()
        loss.backward()
        with engine.no_grad():
            w -= lr * w.grad
        w.grad = None
        losses.append(loss.item())
    return w.detach(), losses
    ### END SOLUTION


# %% nbgrader={"grade_id": "fit-distance-check", "grade": true, "points": 3} gradbook={"checks": "fit_distance"}
check.fit_distance(fit_distance)
### BEGIN HIDDEN TESTS
for _seed, _steps, _lr, _pad in [(31, 60, 0.1, 8), (32, 30, 0.3, 3)]:
    _x, _y, _w = check.distance_data(_seed, pad=_pad)
    _got, _losses = fit_distance(_x, _y, _w, _steps, _lr)
    _want_w, _want = check.correct_fit_distance(_x, _y, _w, _steps, _lr)
    assert np.all(np.isfinite(_losses)) and np.all(np.isfinite(_got.numpy()))
    assert np.allclose(_got.numpy(), _want_w.numpy(), rtol=1e-6, atol=1e-6)
    assert np.allclose(_losses, _want, rtol=1e-6, atol=1e-6)
### END HIDDEN TESTS

# %% [markdown]
# ## The checklist
#
# Every row of this chapter in one table, to come back to:
#
# | what you see | likely cause | fix |
# |---|---|---|
# | `element 0 of tensors does not require grad and does not have a grad_fn` | no path from the loss to a tensor that requires grad: the flag was never set, the loss was computed under `no_grad`, or a `detach` cut the path | set `requires_grad=True` on the parameters; print `loss.requires_grad` and walk back to the cut |
# | `grad can be implicitly created only for scalar outputs` | `backward()` on a tensor of several numbers | reduce first (`.mean()`, `.sum()`), or pass `gradient=` |
# | `Trying to backward through the graph a second time` | the graph was freed by the first backward; often a value computed once before the loop | compute it inside the loop, or under `no_grad` if it is data; `retain_graph=True` only when you mean to go through twice |
# | `a leaf Variable that requires grad is being used in an in-place operation.` | the update `w -= ...` while recording | update inside `with engine.no_grad():` |
# | `one of the variables needed for gradient computation has been modified by an inplace operation` | an in-place change (`h -= ...`, `add_`) of a tensor a node saved | write it out of place (`h = h - ...`); anomaly detection names the node's line |
# | `Can't call numpy() on Tensor that requires grad` | converting a recorded tensor | `.detach().numpy()`, or `.item()` for one number |
# | `.grad` is `None` | the tensor does not require grad, or is not a leaf (a warning says so) | set the flag on the leaf; `.retain_grad()` to inspect an intermediate |
# | gradients too large, training unstable | gradients never cleared: each backward adds to the last | `optimizer.zero_grad()` (or `p.grad = None`) every step |
# | gradients all zero or `None` for some parameters | `detach`, `.item()`, `.numpy()` or `no_grad` cut the graph | keep the computation connected; detach only the copy you log |
# | `.grad` is `None` from the second step on, then a `TypeError` | the update `w = w - lr * w.grad` was recorded, so `w` is no longer a leaf | `with engine.no_grad(): w -= lr * w.grad` |
# | memory grows every step | losses (or totals) kept as tensors hold their graphs | keep `loss.item()` or `loss.detach()` |
# | validation slow and memory-heavy | evaluation records a graph nobody uses | `with engine.no_grad():` around evaluation |
# | NaN loss or gradients | a node's backward made NaN, often $0 \cdot \infty$ | `engine.autograd.detect_anomaly()` names the node and its line; keep infinities from being made (`where` on the input too) |

# %% [markdown]
# ## Practice quiz
#
# Pick an answer and press **Check**. These are not graded.

# %%
quiz.practice([
    {
        "q": "loss.backward() raises 'element 0 of tensors does not require grad and does not "
             "have a grad_fn'. What do you check first?",
        "choices": ["The learning rate", "Whether loss.requires_grad is True, and where the "
                    "path from the parameters to the loss is missing",
                    "Whether the gradients were cleared", "Whether retain_graph=True was passed"],
        "answer": 1,
        "explain": "The loss has no history: nothing it was computed from requires grad. "
                   "Check the parameters' flags, a no_grad block, or a detach on the way.",
    },
    {
        "q": "h = (x @ w).exp(); h += 1; h.sum().backward() raises the in-place error, but "
             "h = x @ w; h += 1; h.exp().sum().backward() does not. Why?",
        "choices": [
            "exp is not differentiable",
            "ExpBackward0 saved its result h, which += changed; MmBackward0 saves its inputs, "
            "not its result",
            "The second version does not record anything",
            "In-place operations are only allowed once",
        ],
        "answer": 1,
        "explain": "Only an in-place change of a tensor some node saved is an error. The "
                   "derivative of exp is its result, so ExpBackward0 saved it; the derivative "
                   "of a product needs its inputs, so the result of x @ w is free to change.",
    },
    {
        "q": "A training loop keeps losses.append(loss) for 10,000 steps. What is kept alive?",
        "choices": ["10,000 numbers", "Each step's loss tensor and, through its grad_fn, "
                    "that step's graph", "Nothing: Python frees tensors after backward",
                    "Only the last graph"],
        "answer": 1,
        "explain": "A tensor keeps its graph alive through grad_fn. Keep loss.item(), a plain "
                   "number.",
    },
    {
        "q": "detect_anomaly stops at 'Function PowBackward0 returned nan values', for the "
             "line d ** 2. The squared values are all finite. Where can the NaN come from?",
        "choices": [
            "Nowhere: anomaly detection is wrong",
            "The gradient that arrived at PowBackward0 was infinite, and it was multiplied by "
            "2d = 0: inf * 0 = NaN; look at the node before it in backward (a sqrt at 0?)",
            "Squaring always makes NaN for negative numbers",
            "From the learning rate",
        ],
        "answer": 1,
        "explain": "Anomaly detection names the node whose backward first returned NaN. An "
                   "infinity passed down from the node before (the derivative of sqrt at 0) "
                   "times a zero makes it there.",
    },
])

# %% [markdown]
# ## Graded quiz
#
# Record your answers in the cell below, as letters. They are graded when you hand in the
# notebook; nothing here tells you whether they are right.
#
# **q1.** `x = engine.tensor(3.0, requires_grad=True)`; `(x ** 2).backward()`;
# `(2 * x).backward()`. What is `x.grad`?
#
# - a) 2
# - b) 6
# - c) 8
# - d) an error: backward through the graph a second time
#
# **q2.** A loop computes `feats = (x @ w_embed).relu()` once before the loop, then in every
# step `loss = ((feats @ w - y) ** 2).mean(); loss.backward()`, where `w_embed` is being
# trained. The second step raises "Trying to backward through the graph a second time". The
# right fix:
#
# - a) `loss.backward(retain_graph=True)`
# - b) compute `feats` inside the loop
# - c) call `w_embed.grad.zero_()` before each backward
# - d) wrap the loop in `engine.no_grad()`
#
# **q3.** After `w = w - lr * w.grad` (no `no_grad`), what is `w`?
#
# - a) the same leaf, updated
# - b) a new tensor, the result of an operation (not a leaf): the next backward leaves its
#   `.grad` as `None`
# - c) a detached tensor that does not require grad
# - d) an error is raised at once
#
# **q4.** `y = engine.where(x > 0, x.log(), engine.zeros_like(x))` gives NaN gradients for
# `x <= 0`. Which repair gives the right gradient (0 there)?
#
# - a) `y = engine.where(x > 0, x.log(), engine.zeros_like(x)).detach()`
# - b) `safe = engine.where(x > 0, x, engine.ones_like(x))`, then
#   `y = engine.where(x > 0, safe.log(), engine.zeros_like(x))`
# - c) run the backward pass under `engine.autograd.detect_anomaly()`
# - d) `y = x.log().clamp(min=0)`

# %% nbgrader={"grade_id": "quiz-answers", "solution": true} gradbook={"quiz": "answers", "stub": ""}
# Put the letter of your choice ("a", "b", "c" or "d") in place of each None.
answers = {"q1": None, "q2": None, "q3": None, "q4": None}
### BEGIN SOLUTION
answers = {"q1": "c", "q2": "b", "q3": "b", "q4": "b"}
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
assert str(answers["q3"]).strip().lower() == "b", "q3"
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "quiz-q4", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 4: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q4"]).strip().lower() == "b", "q4"
### END HIDDEN TESTS

# %% [markdown]
# ## Your engine
#
# The pieces of this chapter are training loops: they do not replace a part of the engine,
# they are what runs on it. Here are your three repaired loops, run with anomaly detection
# on (so a NaN anywhere in a backward pass would stop them) next to the broken ones, loss by
# loss:

# %% tags=["uses-your-code"]
fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
with engine.autograd.set_detect_anomaly(True):
    _, _, line_losses = fit_line(xs, ys)
    _, _, network_losses = train_network(x_net, y_net, w1_start, w2_start)
    _, distance_losses = fit_distance(x_pad, y_pad, w_start)
_, _, broken_line = fit_line_broken(xs, ys)
broken_line = [loss.item() for loss in broken_line]
_, broken_distance = fit_distance_broken(x_pad, y_pad, w_start)
panels = [("fit_line", line_losses, broken_line, "broken: gradients pile up", "log"),
          ("train_network", network_losses, None, None, "linear"),
          ("fit_distance", distance_losses, broken_distance, "broken: NaN after step 1",
           "linear")]
for ax, (name, yours, broken, broken_label, scale) in zip(axes, panels):
    ax.plot(yours, label="yours")
    if broken is not None:
        ax.plot(broken, "--", marker=".", label=broken_label)
    ax.set_yscale(scale)
    ax.set(title=name, xlabel="step")
    ax.legend(fontsize=8)
axes[0].set_ylabel("loss")
plt.show()
print(f"final losses: fit_line {line_losses[-1]:.4f}, train_network {network_losses[-1]:.4f}, "
      f"fit_distance {distance_losses[-1]:.4f}")
print("broken train_network: it raises at its first backward")

# %% [markdown]
# And memory: your `fit_line` over 2,000 steps, measured with `tracemalloc`. What stays is
# the list of 2,000 losses, a few tens of bytes per step (a Python float and its slot in the
# list), and no graph:

# %% tags=["uses-your-code"]
tracemalloc.start()
try:
    before = tracemalloc.get_traced_memory()[0]
    _, _, long_run = fit_line(xs, ys, epochs=2000, lr=0.01)
    after = tracemalloc.get_traced_memory()[0]
finally:
    tracemalloc.stop()
print(f"kept after 2,000 steps: {(after - before) / 1024:.1f} KiB "
      f"({(after - before) / len(long_run):.0f} bytes per step)")

# %% [markdown]
# `gradbook my-engine course/11-debugging-autograd.ipynb` runs the checks of your three
# loops from a terminal, next to the pieces of the other chapters.
