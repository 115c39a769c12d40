# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 10 · Gradient checkpointing
#
# A training step needs memory for more than the parameters. To run backward, every node keeps
# what its derivative needs: a matrix multiplication keeps its input, a `tanh` keeps its
# result. In a deep network these saved **activations** take most of the memory of training,
# and there is one more set of them for every layer. **Gradient checkpointing** trades time
# for that memory: keep only a few activations (the checkpoints), and when backward needs the
# others, compute them again from the nearest checkpoint.
#
# In this chapter you will:
#
# - measure the peak memory of a forward and backward pass, and watch it grow with the depth;
# - see how the engine's `checkpoint` turns a whole segment of the graph into one node that
#   keeps only the segment's input;
# - write `checkpoint` yourself on `engine.autograd.Function` (**exercise 1**);
# - find the best segment length, $\sqrt{L}$ for $L$ layers, and measure its peak;
# - write `checkpoint_sequential`, which cuts a stack of layers into segments
#   (**exercise 2**);
# - measure the price: how much is computed twice, and how much longer a step takes.
#
# Run the cells from top to bottom; each exercise is followed by its check.
# `gradbook check course/10-gradient-checkpointing.ipynb` runs every check from a terminal.
#
# The memory numbers and timings below are measured while the notebook runs, so yours will
# differ a little from run to run and from machine to machine; the shapes of the curves
# will not.

# %%
import math
import statistics
import time
import tracemalloc

import matplotlib.pyplot as plt
import numpy as np

import engine
import engine.viz
from engine.autograd import Function
from engine.autograd.graph import AccumulateGrad
from engine.utils.checkpoint import checkpoint as engine_checkpoint
from graders import quiz
from graders.checks import ch10 as check

# %% [markdown]
# ## 1. Where the memory goes
#
# Our model for the whole chapter is a stack of $L$ layers, each $h \leftarrow \tanh(h\,W)$,
# fed a batch of inputs. Here are four layers and the tensors their nodes save for backward
# (orange):

# %%
BATCH, WIDTH = 512, 32


def make_weights(n_layers, width=WIDTH, seed=0):
    """n_layers random width x width matrices that require grad."""
    engine.manual_seed(seed)
    return [(engine.randn(width, width, dtype=engine.float64) / width**0.5).requires_grad_()
            for _ in range(n_layers)]


def layer(h, w):
    return (h @ w).tanh()


def plain(ws, x, layer=layer):
    """The network without checkpoints: every layer's saved tensors stay until backward."""
    h = x
    for w in ws:
        h = layer(h, w)
    return h


ws = make_weights(4, width=3)
x = engine.randn(2, 3, dtype=engine.float64)
engine.viz.draw(plain(ws, x).sum(), show_saved=True)

# %% [markdown]
# Every `MmBackward0` saves its two inputs, $h$ and $W$: the derivative of $hW$ with respect
# to one needs the other. Every `TanhBackward0` saves its result $t$, since
# $\tanh'(u) = 1 - t^2$. The weights exist anyway, so saving them costs nothing. The
# activations are different: they exist only so that backward can use them. Each layer's
# `tanh` result is also the next layer's input, and the engine keeps that array once, so a
# layer adds **one activation**, a (batch, width) array, to what stays alive until backward
# comes back to it.
#
# To see that in bytes, Python's `tracemalloc` records every memory allocation made while it
# is on (NumPy reports its arrays to it) and keeps the peak. We count memory in activations:
# one is $512 \times 32$ float64 numbers, 128 KiB. The weights are $32 \times 32$, 8 KiB each,
# small enough not to matter.

# %%
ACTIVATION = BATCH * WIDTH * 8  # bytes in one (batch, width) float64 array


def peak_memory(step):
    """The peak memory allocated while step() runs, in activations."""
    tracemalloc.start()
    try:
        step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak / ACTIVATION


def train_step(model, ws, x):
    """One forward and backward pass of model(ws, x), as a training step does them."""
    def step():
        model(ws, x).sum().backward()
    return step


def inference(model, ws, x):
    """The forward pass alone, under no_grad."""
    def step():
        with engine.no_grad():
            model(ws, x).sum()
    return step


x = engine.randn(BATCH, WIDTH, dtype=engine.float64)
depths = [4, 8, 16, 32, 64]
training_peaks, inference_peaks = [], []
for n_layers in depths:
    ws = make_weights(n_layers)
    training_peaks.append(peak_memory(train_step(plain, ws, x)))
    inference_peaks.append(peak_memory(inference(plain, ws, x)))
    print(f"L = {n_layers:2d}   forward + backward: {training_peaks[-1]:5.1f} activations   "
          f"forward under no_grad: {inference_peaks[-1]:4.1f}")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(depths, training_peaks, "o-", label="forward + backward")
ax.plot(depths, inference_peaks, "o-", label="forward under no_grad")
ax.set(xlabel="layers L", ylabel="peak memory (activations)",
       title="peak memory of one step, by depth")
ax.legend()
plt.show()

# %% [markdown]
# Each extra layer adds one activation to the peak of a training step: the peak is about
# $L$ activations plus a few arrays in flight (the input, the output, a gradient). Under
# `no_grad` nothing is saved, so the forward pass needs a few activations whatever the depth.
# The memory of training is the price of being able to run backward, and it grows linearly
# with depth, $O(L)$. With a large model the activations, not the weights, are what no
# longer fit on the GPU.

# %% [markdown]
# ## 2. Checkpoints: keep the input, compute the inside again
#
# Cut the $L$ layers into **segments**. Run each segment in the forward pass without keeping
# what its nodes would save; keep only the segment's **input**, the checkpoint. When backward
# reaches the segment, it runs the segment again from that input, this time recording, and
# backpropagates through the fresh record, which it then lets go. Only one segment's
# activations are ever alive at once, plus the checkpoints.
#
# The engine does this with `engine.utils.checkpoint.checkpoint(function, *args)` (imported
# above as `engine_checkpoint`): it returns `function(*args)` and records the whole call as a
# single node. The same four layers as above, in two segments of two:

# %%
def segmented(ws, x, k, checkpoint=engine_checkpoint, layer=layer):
    """The network in segments of k layers, each segment run through `checkpoint`."""
    h = x
    for start in range(0, len(ws), k):
        def segment(h, chunk=ws[start:start + k]):
            for w in chunk:
                h = layer(h, w)
            return h
        h = checkpoint(segment, h)
    return h


ws = make_weights(4, width=3)
x = engine.randn(2, 3, dtype=engine.float64)
engine.viz.draw(segmented(ws, x, k=2).sum(), show_saved=True)

# %% [markdown]
# Each segment became one `CheckpointFunctionBackward` node. It has an edge to the segment's
# input and one to each weight the segment uses, and it saved one tensor: its input. The
# `MmBackward0` and `TanhBackward0` nodes, and the activations they saved, are gone. They come
# back, briefly, while backward runs through the segment.
#
# The gradients are the same as without checkpoints: backward runs through the same
# operations on the same numbers, only later.

# %%
ws = make_weights(8)
x = engine.randn(BATCH, WIDTH, dtype=engine.float64)
plain(ws, x).sum().backward()
expected = [w.grad.numpy().copy() for w in ws]
for w in ws:
    w.grad = None
segmented(ws, x, k=4).sum().backward()
difference = max(float(np.max(np.abs(w.grad.numpy() - e))) for w, e in zip(ws, expected))
print("largest difference between the gradients with and without checkpoints:", difference)

# %% [markdown]
# ### Memory over time
#
# To watch it happen, each layer below notes the memory in use when it runs (in the forward
# pass, or when a segment is computed again) and, through a hook, when its output's gradient
# arrives in backward. Sixty-four layers, first without checkpoints, then in eight segments of
# eight:

# %%
def memory_timeline(run, ws, x):
    """The memory in use (in activations) each time a layer runs or receives its gradient,
    during one step of run(ws, x, layer=...)."""
    samples = []

    def note(grad=None):
        samples.append(tracemalloc.get_traced_memory()[0] / ACTIVATION)

    def noted_layer(h, w):
        out = layer(h, w)
        note()
        if out.requires_grad:
            out.register_hook(note)  # called with the gradient, when it arrives
        return out

    tracemalloc.start()
    try:
        run(ws, x, layer=noted_layer).sum().backward()
    finally:
        tracemalloc.stop()
    return samples


ws = make_weights(64)
x = engine.randn(BATCH, WIDTH, dtype=engine.float64)
without = memory_timeline(plain, ws, x)
with_checkpoints = memory_timeline(lambda ws, x, layer: segmented(ws, x, 8, layer=layer), ws, x)

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(without, label="no checkpoints")
ax.plot(with_checkpoints, label="8 segments of 8 layers")
ax.set(xlabel="event: a layer runs, or its gradient arrives",
       ylabel="memory in use (activations)", title="64 layers: memory during one step")
ax.legend()
plt.show()
print(f"highest: {max(without):.1f} activations without checkpoints, "
      f"{max(with_checkpoints):.1f} with them")

# %% [markdown]
# Without checkpoints, memory climbs by one activation per layer through the forward pass and
# falls back as backward frees each node's saved tensors: a triangle whose top is $L$. With
# checkpoints the forward pass is a sawtooth: memory rises while a segment runs and drops at
# its end, leaving one checkpoint behind. Backward is a sawtooth too: each segment is computed
# again (memory rises by its eight activations), then backpropagated (they are freed). The
# checkpointed line also has more events: the layers that ran twice.

# %% [markdown]
# ## 3. Building `checkpoint`
#
# The core is a `Function` whose `forward` returns the segment's result and saves only the
# inputs, and whose `backward` computes the segment again with recording on and
# backpropagates through it. Two details make it correct in real networks.
#
# **The weights used inside.** A segment such as `lambda h: layer(h, w)` uses `w` without
# receiving it as an argument. The node must still have an edge to `w`'s `AccumulateGrad`, or
# no gradient reaches `w`. Worse, when the input itself does not require grad (the data going
# into the first segment), a node with edges only to its arguments would not be recorded at
# all, and no weight inside would get a gradient. So `checkpoint` runs the segment once while
# recording, walks the record to find the leaves that require grad (`leaves_reached`, given
# below: the walk of chapter 03, collecting `node.variable` at every `AccumulateGrad`), and
# passes them to `apply` as extra inputs. The record of that first run is dropped as soon as
# `checkpoint` returns, so at most one segment's activations are alive at a time. The segment
# runs on **stand-ins** for its inputs (`a.detach().requires_grad_(a.requires_grad)`: the same
# numbers, no history), so the walk stops at the segment's border instead of wandering
# through the whole graph before it.
#
# **Random numbers inside.** A segment with dropout draws a random mask. If the second run
# draws a different mask, backward differentiates a different function from the one that
# gave the loss, and nothing raises an error: the gradients are just wrong. So `checkpoint`
# saves the state of the engine's random generator (`engine.get_rng_state()`) before the
# first run, and `backward` restores it (`engine.set_rng_state(state)`) for the second run,
# then puts back the state it found, so that the code after backward draws what it would
# have drawn anyway. The engine's `checkpoint` has a switch to skip that step; watch what
# happens then:

# %%
def dropout_segment(h, w):
    return engine.nn.functional.dropout(layer(h, w), p=0.5)


ws = make_weights(1)
x = engine.randn(8, WIDTH, dtype=engine.float64)
engine.manual_seed(5)
dropout_segment(x, ws[0]).sum().backward()
expected = ws[0].grad.numpy().copy()

for preserve in (True, False):
    ws[0].grad = None
    engine.manual_seed(5)
    engine_checkpoint(dropout_segment, x, ws[0], preserve_rng_state=preserve).sum().backward()
    difference = float(np.max(np.abs(ws[0].grad.numpy() - expected)))
    print(f"preserve_rng_state={preserve!s:5}  largest difference from the gradient "
          f"without checkpoints: {difference:.3g}")

# %% [markdown]
# ### The plan
#
# `checkpoint(function, *args)`: `args` are tensors, and `function` returns one tensor.
#
# 1. If recording is off (`engine.is_grad_enabled()` is False), nothing will run backward:
#    return `function(*args)`.
# 2. Save the random state, `rng_state = engine.get_rng_state()`.
# 3. Make the stand-ins, run `output = function(*stand_ins)` (recording is on), and find
#    `leaves = leaves_reached(output, exclude=stand_ins)`.
# 4. Return `Checkpoint.apply(function, rng_state, output.detach(), len(args), *args, *leaves)`.
#    `output.detach()` keeps the numbers and drops the record.
#
# `Checkpoint.forward(ctx, function, rng_state, value, n_inputs, *tensors)` receives the
# arguments of `apply` (a user's `forward` runs with recording off, as in chapter 09): the
# first `n_inputs` tensors are the segment's inputs, the rest its leaves. It keeps `function`
# and `rng_state` on `ctx`, saves the inputs with `ctx.save_for_backward`, keeps the leaves on
# `ctx` (they are parameters, alive anyway), and returns `value`. The node gets an edge for
# every tensor argument that requires grad: the inputs and the leaves. `value` does not
# require grad, so it gets none.
#
# `Checkpoint.backward(ctx, grad_output)`:
#
# 1. Make fresh stand-ins for the saved inputs (`ctx.saved_tensors`).
# 2. Restore the random state, run `output = ctx.function(*stand_ins)` inside
#    `with engine.enable_grad():` (backward itself runs with recording off), and put back the
#    random state found on entry (a `try`/`finally` is the safe way).
# 3. Differentiate `output` with respect to the stand-ins and leaves that require grad:
#    `engine.autograd.grad(output, wanted, grad_output, allow_unused=True)`. It returns their
#    gradients and touches no `.grad`, so `checkpoint` also works inside
#    `engine.autograd.grad`, which must leave every `.grad` alone.
# 4. Return one gradient per argument of `forward`: `None` for `function`, `rng_state`,
#    `value` and `n_inputs`, then one per tensor, in order (`None` for a tensor that does not
#    require grad).
#
# ### Exercise 1: `checkpoint`
#
# Engine piece: `checkpoint`
#
# Write `Checkpoint` and `checkpoint` following the plan. `leaves_reached` is given. The check
# compares your values and gradients with a run without checkpoints, makes sure the
# segment's inside is not kept and is computed again in backward, and tries data inputs,
# dropout, `engine.autograd.grad`, `no_grad` and a checkpoint inside a checkpoint.

# %% nbgrader={"grade_id": "checkpoint", "solution": true} gradbook={"piece": "checkpoint"}
def leaves_reached(output, exclude=()):
    """The leaves that require grad reached from `output`'s node, other than those in
    `exclude` (given)."""
    skip = {id(t) for t in exclude}
    found, seen = [], set()
    stack = [] if output.grad_fn is None else [output.grad_fn]
    while stack:
        node = stack.pop()
        if isinstance(node, AccumulateGrad):
            if id(node.variable) not in skip:
                found.append(node.variable)
            continue
        for child, _ in node.next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                stack.append(child)
    return found


class Checkpoint(Function):
    @staticmethod
    def forward(ctx, function, rng_state, value, n_inputs, *tensors):
        ### BEGIN SOLUTION
        ctx.function, ctx.rng_state = function, rng_state
        ctx.save_for_backward(*tensors[:n_inputs])
        ctx.leaves = tensors[n_inputs:]
        return value
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad_output):
        ### BEGIN SOLUTION
        stand_ins = [t.detach().requires_grad_(t.requires_grad) for t in ctx.saved_tensors]
        found_state = engine.get_rng_state()
        engine.set_rng_state(ctx.rng_state)
        try:
            with engine.enable_grad():
                output = ctx.function(*stand_ins)
        finally:
            engine.set_rng_state(found_state)
        tensors = stand_ins + list(ctx.leaves)
        wanted = [t for t in tensors if t.requires_grad]
        grads = engine.autograd.grad(output, wanted, grad_output, allow_unused=True)
        grad_of = {id(t): g for t, g in zip(wanted, grads)}
        return (None, None, None, None) + tuple(grad_of.get(id(t)) for t in tensors)
        ### END SOLUTION


def checkpoint(function, *args):
    """function(*args), recorded as one node that keeps only args and runs function again in
    backward."""
    ### BEGIN SOLUTION
    if not engine.is_grad_enabled():
        return function(*args)
    rng_state = engine.get_rng_state()
    stand_ins = [a.detach().requires_grad_(a.requires_grad) for a in args]
    output = function(*stand_ins)
    leaves = leaves_reached(output, exclude=stand_ins)
    return Checkpoint.apply(function, rng_state, output.detach(), len(args), *args, *leaves)
    ### END SOLUTION


# %% nbgrader={"grade_id": "checkpoint-check", "grade": true, "points": 4} gradbook={"checks": "checkpoint"}
check.checkpoint(checkpoint)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1010)
_calls = []


def _counted(h, w):
    _calls.append(1)
    return layer(h, w)


for _n, _k, _needs in [(6, 2, True), (5, 3, False), (4, 4, True)]:
    _ws = [engine.tensor(_rng.standard_normal((5, 5)) / 2.0, requires_grad=True)
           for _ in range(_n)]
    _x = engine.tensor(_rng.standard_normal((3, 5)), requires_grad=_needs)
    plain(_ws, _x).sum().backward()
    _want = [_t.grad.numpy().copy() for _t in _ws + ([_x] if _needs else [])]
    for _t in _ws + [_x]:
        _t.grad = None
    _calls.clear()
    _out = segmented(_ws, _x, _k, checkpoint=checkpoint, layer=_counted)
    _forward_calls = len(_calls)
    _out.sum().backward()
    assert len(_calls) - _forward_calls == _n, (_n, _k, len(_calls), _forward_calls)
    _got = [_t.grad.numpy() for _t in _ws + ([_x] if _needs else [])]
    assert all(np.allclose(_g, _e, rtol=1e-10, atol=1e-12) for _g, _e in zip(_got, _want))
_ws = make_weights(24)
_x = engine.randn(BATCH, WIDTH, dtype=engine.float64)
_plain_peak = peak_memory(train_step(plain, _ws, _x))
_ckpt_peak = peak_memory(train_step(lambda ws, x: segmented(ws, x, 6, checkpoint), _ws, _x))
assert _ckpt_peak < 0.8 * _plain_peak, (_plain_peak, _ckpt_peak)
### END HIDDEN TESTS

# %% [markdown]
# Your `checkpoint` in place of the engine's, on the first picture's four layers: the same
# graph, with your `CheckpointBackward` nodes.

# %% tags=["uses-your-code"]
ws = make_weights(4, width=3)
x = engine.randn(2, 3, dtype=engine.float64)
engine.viz.draw(segmented(ws, x, k=2, checkpoint=checkpoint).sum(), show_saved=True)

# %% [markdown]
# ## 4. How long should a segment be?
#
# Take $L$ layers in segments of $k$. Through the forward pass the checkpoints pile up: one
# per segment, $L/k$ of them. In backward, while one segment is computed again, its $k$
# activations are alive as well. So the peak is about
#
# $$\frac{L}{k} + k \quad\text{activations.}$$
#
# Short segments mean many checkpoints; long segments mean a large recomputed segment. The
# sum is smallest when the two terms are equal, $k = \sqrt{L}$, and then it is $2\sqrt{L}$.
# For $L = 64$: segments of 8, a peak near 16 activations instead of 64. The measurement,
# for every power of two:

# %%
n_layers = 64
ws = make_weights(n_layers)
x = engine.randn(BATCH, WIDTH, dtype=engine.float64)
lengths = [1, 2, 4, 8, 16, 32, 64]
segment_peaks = []
for k in lengths:
    segment_peaks.append(
        peak_memory(train_step(lambda ws, x, k=k: segmented(ws, x, k), ws, x)))
    print(f"segments of {k:2d} layers: peak {segment_peaks[-1]:5.1f} activations")
print(f"no checkpoints:       peak {peak_memory(train_step(plain, ws, x)):5.1f} activations")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(lengths, segment_peaks, "o-", label="measured")
ax.plot(lengths, [n_layers / k + k for k in lengths], "--", c="grey", label="L/k + k")
ax.set_xscale("log", base=2)
ax.set(xlabel="segment length k (layers)", ylabel="peak memory (activations)",
       title=f"{n_layers} layers: peak memory by segment length")
ax.legend()
plt.show()

# %% [markdown]
# The two ends save nothing. With $k = 1$ every layer is its own segment and keeps its input:
# exactly the one activation per layer the plain network keeps. With $k = L$ there is one
# segment, computed again whole in backward, with all its $L$ activations alive at once. In
# between, the measured peak follows $L/k + k$ plus the same few arrays in flight as before,
# and is lowest at $k = 8 = \sqrt{64}$.
#
# Now the best segment length for each depth, $k = \sqrt{L}$ (rounded down), against no
# checkpoints:

# %%
depths = [4, 9, 16, 25, 36, 49, 64, 81, 100]
x = engine.randn(BATCH, WIDTH, dtype=engine.float64)
plain_peaks, sqrt_peaks = [], []
for n_layers in depths:
    ws = make_weights(n_layers)
    k = math.isqrt(n_layers)
    plain_peaks.append(peak_memory(train_step(plain, ws, x)))
    sqrt_peaks.append(peak_memory(train_step(lambda ws, x, k=k: segmented(ws, x, k), ws, x)))
    print(f"L = {n_layers:3d}: no checkpoints {plain_peaks[-1]:5.1f}, segments of "
          f"{k:2d}: {sqrt_peaks[-1]:4.1f} activations ({sqrt_peaks[-1] / plain_peaks[-1]:.2f} x)")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(depths, plain_peaks, "o-", label="no checkpoints: about L")
ax.plot(depths, sqrt_peaks, "o-", label="segments of √L: about 2√L")
ax.set(xlabel="layers L", ylabel="peak memory (activations)",
       title="peak memory: O(L) against O(√L)")
ax.legend()
plt.show()

# %% [markdown]
# The memory of a training step grows like $\sqrt{L}$ instead of $L$: a network 100 layers
# deep needs about as much as one 20 layers deep without checkpoints. The deeper the
# network, the bigger the saving.
#
# ### Exercise 2: `checkpoint_sequential`
#
# Engine piece: `checkpoint_sequential`
#
# Write `checkpoint_sequential(functions, segments, input)`: `functions` is a list of
# one-argument functions (layers) to apply in order, starting from `input`. Cut the list into
# `segments` consecutive chunks of `math.ceil(len(functions) / segments)` functions each (the
# last chunk may be shorter, and there may be fewer chunks than `segments` when the division
# is uneven). Run every chunk but the last through your `checkpoint`; run the last chunk
# directly. Its activations are needed as soon as backward starts, so a checkpoint there
# would only add work. Return the last chunk's result. (The engine's
# `engine.utils.checkpoint.checkpoint_sequential` does the same.)

# %% nbgrader={"grade_id": "checkpoint-sequential", "solution": true} gradbook={"piece": "checkpoint_sequential"}
def checkpoint_sequential(functions, segments, input):
    """Apply `functions` in order to `input`, in `segments` chunks, checkpointing all but the
    last chunk."""
    ### BEGIN SOLUTION
    functions = list(functions)
    size = math.ceil(len(functions) / segments)
    chunks = [functions[i:i + size] for i in range(0, len(functions), size)]

    def run(chunk):
        def forward(h):
            for f in chunk:
                h = f(h)
            return h
        return forward

    h = input
    for chunk in chunks[:-1]:
        h = checkpoint(run(chunk), h)
    return run(chunks[-1])(h)
    ### END SOLUTION


# %% nbgrader={"grade_id": "checkpoint-sequential-check", "grade": true, "points": 3} gradbook={"checks": "checkpoint_sequential"}
check.checkpoint_sequential(checkpoint_sequential)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1011)


class _CountedLayer:
    def __init__(self, w):
        self.w, self.calls = w, 0

    def __call__(self, h):
        self.calls += 1
        return layer(h, self.w)


for _n, _segments in [(10, 3), (9, 4), (12, 12), (3, 1)]:
    _ws = [engine.tensor(_rng.standard_normal((4, 4)) / 2.0, requires_grad=True)
           for _ in range(_n)]
    _x = engine.tensor(_rng.standard_normal((2, 4)), requires_grad=True)
    plain(_ws, _x).sum().backward()
    _want = [_t.grad.numpy().copy() for _t in _ws + [_x]]
    for _t in _ws + [_x]:
        _t.grad = None
    _layers = [_CountedLayer(_w) for _w in _ws]
    _out = checkpoint_sequential(_layers, _segments, _x)
    _calls_forward = [_f.calls for _f in _layers]
    _out.sum().backward()
    _size = math.ceil(_n / _segments)
    _last = (_n - 1) // _size * _size
    _again = [_f.calls - _c for _f, _c in zip(_layers, _calls_forward)]
    assert _again == [1] * _last + [0] * (_n - _last), (_n, _segments, _again)
    _got = [_t.grad.numpy() for _t in _ws + [_x]]
    assert all(np.allclose(_g, _e, rtol=1e-10, atol=1e-12) for _g, _e in zip(_got, _want))
### END HIDDEN TESTS

# %% [markdown]
# ## 5. The price: computing twice
#
# Memory is saved by doing work again: every checkpointed layer runs twice, once in the
# forward pass and once more in backward. Counting layer calls for 64 layers, with your
# `checkpoint_sequential` and $\sqrt{64} = 8$ segments:

# %% tags=["uses-your-code"]
ws = make_weights(64)
x = engine.randn(BATCH, WIDTH, dtype=engine.float64)
calls = {"forward": 0, "backward": 0}
phase = "forward"


def counted(w):
    def run(h):
        calls[phase] += 1
        return layer(h, w)
    return run


out = checkpoint_sequential([counted(w) for w in ws], 8, x)
phase = "backward"
out.sum().backward()
print("layer calls in the forward pass:", calls["forward"])
print("layer calls during backward:    ", calls["backward"])

# %% [markdown]
# The forward pass runs each of the 64 layers once, as always. Backward runs the 56 layers of
# the first seven segments once more; the last segment was never checkpointed. That is
# almost one extra forward pass. A backward pass costs about twice a forward pass (for each
# matrix product in the forward pass, backward computes two: one gradient for each operand),
# so one step grows from about $1 + 2 = 3$ forward passes' worth of work to about $4$: **about
# a third more compute**, the "roughly 30%" usually quoted for checkpointing.
#
# The clock has its own view. Below, each version of one training step (64 layers, plain and
# in 8 checkpointed segments) is timed several times, the forward pass and backward
# separately, alternating between the two versions, and the medians are shown.

# %%
def timed_step(run, ws, x, repeats=9):
    """Median seconds of the forward pass and of backward, for one training step."""
    forward, backward = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        loss = run(ws, x).sum()
        middle = time.perf_counter()
        loss.backward()
        end = time.perf_counter()
        forward.append(middle - start)
        backward.append(end - middle)
    return statistics.median(forward), statistics.median(backward)


ws = make_weights(64)
x = engine.randn(BATCH, WIDTH, dtype=engine.float64)
times = {"no checkpoints": [], "8 segments of 8": []}
for _ in range(3):  # alternate, so that both see the same conditions
    times["no checkpoints"].append(timed_step(plain, ws, x, repeats=3))
    times["8 segments of 8"].append(timed_step(lambda ws, x: segmented(ws, x, 8), ws, x,
                                               repeats=3))
medians = {name: [statistics.median(t[i] for t in runs) * 1000 for i in (0, 1)]
           for name, runs in times.items()}

fig, ax = plt.subplots(figsize=(6, 2.5))
for row, (name, (forward_ms, backward_ms)) in enumerate(medians.items()):
    ax.barh(row, forward_ms, color="tab:blue", label="forward" if row == 0 else None)
    ax.barh(row, backward_ms, left=forward_ms, color="tab:orange",
            label="backward" if row == 0 else None)
    print(f"{name:16s} forward {forward_ms:5.2f} ms, backward {backward_ms:5.2f} ms, "
          f"total {forward_ms + backward_ms:5.2f} ms")
ax.set_yticks(range(len(medians)), list(medians))
ax.set(xlabel="milliseconds (median)", title="one training step, 64 layers")
ax.legend(loc="upper left", bbox_to_anchor=(1, 1))
plt.show()
total = {name: sum(ms) for name, ms in medians.items()}
print(f"time ratio, checkpointed / plain: {total['8 segments of 8'] / total['no checkpoints']:.2f}")

# %% [markdown]
# Backward is where the extra time goes: it now includes the second run of the segments.
# Do not be surprised if the total grows by less than the count suggests, or if the
# checkpointed forward pass is even the quicker one. A plain forward pass needs fresh memory
# for every activation it keeps (new pages, which the operating system must provide), while
# the checkpointed one keeps reusing the few arrays it frees. Memory traffic costs time too, and on a GPU that is
# full, the memory saved can buy a larger batch, which often pays for the recomputation.
#
# **When to use it.** When the activations do not fit: a network too deep for the GPU's
# memory, or a batch you would like to make larger. Most training of large models (the
# largest language models among them) checkpoints its layers: memory, not arithmetic, is
# what runs out first. A segment is usually one or a few blocks of the network, and the
# segment boundaries go where an activation is small.

# %% [markdown]
# ## Practice quiz
#
# Pick an answer and press **Check**. These are not graded.

# %%
quiz.practice([
    {
        "q": "A 100-layer network keeps one activation per layer for backward. With a "
             "checkpoint every 10 layers, roughly how many activations are alive at the peak "
             "of a training step?",
        "choices": ["10", "20", "100", "1,000"],
        "answer": 1,
        "explain": "L/k + k = 100/10 + 10: ten checkpoints, plus the ten activations of the "
                   "segment being computed again in backward.",
    },
    {
        "q": "A network of (h @ w).tanh() layers gets a checkpoint around every single layer. "
             "How much memory does that save?",
        "choices": ["About half", "About a factor √L", "Almost nothing",
                    "All of it: nothing is saved for backward any more"],
        "answer": 2,
        "explain": "Each checkpoint keeps its layer's input, and one input per layer is "
                   "exactly what the plain network keeps. The saving comes from segments of "
                   "several layers, whose inside is not kept.",
    },
    {
        "q": "Why does checkpoint save the random generator's state before the first run?",
        "choices": [
            "To make the forward pass faster",
            "So that the second run draws the same random numbers (a dropout mask), and "
            "backward differentiates the function that produced the loss",
            "Because the engine forgets its seed after backward",
            "It is only needed on a GPU",
        ],
        "answer": 1,
        "explain": "Backward runs the segment again. With a different dropout mask it would "
                   "compute the gradient of a different function, silently.",
    },
    {
        "q": "What does a checkpointed segment's node save for backward?",
        "choices": ["Every activation inside the segment", "The segment's output",
                    "The segment's inputs", "Nothing at all"],
        "answer": 2,
        "explain": "Only the inputs: from them, backward can compute everything inside "
                   "again. The weights it uses are alive anyway, as parameters.",
    },
])

# %% [markdown]
# ## Graded quiz
#
# Record your answers in the cell below, as letters. They are graded when you hand in the
# notebook; nothing here tells you whether they are right.
#
# **q1.** A network has 400 layers, each keeping one activation for backward. Which segment
# length gives the lowest peak memory with checkpoints?
#
# - a) 20
# - b) 200
# - c) 400
# - d) 1
#
# **q2.** With every segment but the last checkpointed, how much extra work does one training
# step do, compared with no checkpoints?
#
# - a) about one more forward pass
# - b) about one more backward pass
# - c) everything twice: forward and backward
# - d) none: the gradients are the same, so the work is the same
#
# **q3.** What does `checkpoint(f, x)` do inside `with engine.no_grad():`?
#
# - a) it saves `x` and runs `f` again later
# - b) it just returns `f(x)`: no node is recorded, nothing is run again
# - c) it raises an error
# - d) it runs `f` twice and returns the second result
#
# **q4.** The node `checkpoint` records for `lambda h: (h @ w).tanh()` applied to `x`, where
# `x` and `w` require grad, has edges to:
#
# - a) `x`'s node only
# - b) `x`'s node and `w`'s `AccumulateGrad`
# - c) the `MmBackward0` and `TanhBackward0` nodes inside the segment
# - d) nothing: it is a leaf

# %% nbgrader={"grade_id": "quiz-answers", "solution": true} gradbook={"quiz": "answers", "stub": ""}
# Put the letter of your choice ("a", "b", "c" or "d") in place of each None.
answers = {"q1": None, "q2": None, "q3": None, "q4": None}
### BEGIN SOLUTION
answers = {"q1": "a", "q2": "a", "q3": "b", "q4": "b"}
### END SOLUTION
quiz.recorded(answers)

# %% nbgrader={"grade_id": "quiz-q1", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 1: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q1"]).strip().lower() == "a", "q1"
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "quiz-q2", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 2: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q2"]).strip().lower() == "a", "q2"
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
# Your two functions can take the place of the engine's own
# `engine.utils.checkpoint.checkpoint` and `checkpoint_sequential`. Inside
# `check.installed(...)` every caller of the engine's functions gets yours. Here a network
# of sixteen `Linear` + `Tanh` layers, built with `engine.nn`, learns a small regression task
# twice: once plainly, once through the engine's `checkpoint_sequential` (yours) in four
# segments (so through your `checkpoint`). The losses are the same; the peak memory is not.

# %%
def regression_task(n=512, seed=0):
    engine.manual_seed(seed)
    inputs = engine.randn(n, 8, dtype=engine.float64)
    targets = (inputs[:, :1] * inputs[:, 1:2]).tanh() + 0.5 * inputs[:, 2:3]
    return inputs, targets


def make_model(seed=1):
    engine.manual_seed(seed)
    layers = [engine.nn.Linear(8, WIDTH)]
    for _ in range(14):
        layers += [engine.nn.Tanh(), engine.nn.Linear(WIDTH, WIDTH)]
    layers += [engine.nn.Tanh(), engine.nn.Linear(WIDTH, 1)]
    return engine.nn.Sequential(*layers).double()


def fit(forward, steps=60, lr=0.005):
    """Train a fresh model with `forward(model, inputs)`; the losses, and the peak memory of
    the first step."""
    inputs, targets = regression_task()
    model = make_model()
    optimizer = engine.optim.Adam(model.parameters(), lr=lr)
    losses, peak = [], None

    def step():
        optimizer.zero_grad()
        loss = ((forward(model, inputs) - targets) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    for n in range(steps):
        if n == 0:
            peak = peak_memory(step)
        else:
            step()
    return losses, peak


plain_losses, plain_peak = fit(lambda model, inputs: model(inputs))
print(f"without checkpoints: loss {plain_losses[0]:.4f} -> {plain_losses[-1]:.4f}, "
      f"peak {plain_peak:.1f} activations")

# %% tags=["uses-your-code"]
with check.installed(checkpoint=checkpoint, checkpoint_sequential=checkpoint_sequential):
    your_losses, your_peak = fit(
        lambda model, inputs: engine.utils.checkpoint.checkpoint_sequential(model, 4, inputs))
print(f"with your checkpoints: loss {your_losses[0]:.4f} -> {your_losses[-1]:.4f}, "
      f"peak {your_peak:.1f} activations")
print("the same losses as without checkpoints:", np.allclose(your_losses, plain_losses))

# %% [markdown]
# To run the engine's own tests of checkpointing (the same gradients as without checkpoints,
# checkpoints inside checkpoints, dropout, `engine.autograd.grad`, and a lower peak memory)
# on your `checkpoint` and `checkpoint_sequential`, save this notebook and run in a terminal:
#
# ```
# gradbook my-engine course/10-gradient-checkpointing.ipynb
# ```
