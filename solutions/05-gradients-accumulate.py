# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · Gradients accumulate
#
# `backward()` never overwrites a gradient. It **adds** what it computes to whatever `.grad`
# already holds. Forget that, and training quietly goes wrong; use it on purpose, and you can
# train on a batch too big to fit in memory. This chapter is about that one rule: where it
# lives in the engine, how to reset it, and what it makes possible.
#
# In this chapter you will:
#
# - watch `.grad` pile up across backward passes, and reset it with `zero_()` or `None`;
# - see what forgetting to reset does to a training run;
# - see that a parameter used twice in one graph gets the sum of both gradients;
# - write the rule that adds a gradient into a leaf's `.grad` (**exercise 1**,
#   `accumulate_grad`);
# - check that micro-batches, accumulated, give exactly the gradient of one big batch, and
#   write that training step (**exercise 2**, `accumulation_step`);
# - train chapter 01's line fit in micro-batches, on your own rule and your own step.
#
# Run the cells from top to bottom; each exercise is followed by its check, as before.
# `gradbook check course/05-gradients-accumulate.ipynb` runs every check from a terminal.

# %%
import matplotlib.pyplot as plt
import numpy as np

import engine
import engine.viz
from engine.nn import functional as F
from graders import quiz
from graders.checks import ch05 as check

# %% [markdown]
# ## 1. The accumulation lab
#
# One parameter, $x = 3$, and three backward passes. The first differentiates $x^2$, whose
# derivative at 3 is $2x = 6$. The second differentiates $2x$, whose derivative is $2$. The
# third resets `.grad` first, then differentiates $2x$ again.

# %%
x = engine.tensor(3.0, requires_grad=True)

y1 = x**2
y1.backward()
print("after first backward:", x.grad.item())

y2 = 2 * x
y2.backward()
print("after second backward:", x.grad.item())

x.grad.zero_()
y3 = 2 * x
y3.backward()
print("after zero and third backward:", x.grad.item())

# %% [markdown]
# The second line is not 2 but $6 + 2 = 8$: the new gradient was added to the old one. After
# `zero_()` the slate is clean, and the third pass gives exactly 2.
#
# Running the very same computation twice shows it just as plainly: each pass adds another 6.

# %%
x = engine.tensor(3.0, requires_grad=True)
y = x**2
y.backward()
print(x.grad)
y = x**2
y.backward()
print(x.grad, " (6 + 6, not 6)")

# %% [markdown]
# ## 2. Why add?
#
# Because adding gradients is the same as taking the gradient of a sum. Differentiation is
# linear: for two losses, $\nabla (L_1 + L_2) = \nabla L_1 + \nabla L_2$. So calling
# `backward()` on $L_1$ and then on $L_2$ leaves in `.grad` exactly what a single
# `backward()` on $L_1 + L_2$ would:

# %%
w = engine.tensor([1.0, -2.0], requires_grad=True)
first = (w**2).sum()          # gradient 2w
second = (w * 3).sum()        # gradient 3
first.backward()
second.backward()
print("L1.backward(); L2.backward():", w.grad)

w.grad = None
((w**2).sum() + (w * 3).sum()).backward()
print("(L1 + L2).backward():        ", w.grad)

# %% [markdown]
# That makes accumulation useful whenever one loss is computed in pieces: several losses
# that share parameters (two heads on one network), or one batch processed in slices, which
# is section 6. The price is that you must say when a new sum starts, by resetting `.grad`.
# An engine that overwrote `.grad` could not do any of this, and would gain nothing: the
# reset is one line.

# %% [markdown]
# ## 3. Two ways to reset: `zero_()` and `None`
#
# - `x.grad.zero_()` fills the existing gradient tensor with zeros. The next backward adds
#   into that same tensor, **in place**.
# - `x.grad = None` drops the gradient. The next backward finds no gradient and stores a
#   fresh one, as on the very first pass.
#
# The numbers come out the same either way; the difference is which tensor holds them. A
# variable that still refers to the old gradient sees the change after `zero_()`, and not
# after `None`:

# %%
x = engine.tensor([1.0, 2.0], requires_grad=True)
(x * 3).sum().backward()
held = x.grad                 # the gradient tensor itself
(x * 3).sum().backward()
print("after a second backward:  x.grad =", x.grad, "| the same tensor:", held is x.grad)

x.grad.zero_()
(x * 3).sum().backward()
print("after zero_() + backward: x.grad =", x.grad, "| the same tensor:", held is x.grad)

x.grad = None
(x * 3).sum().backward()
print("after None + backward:    x.grad =", x.grad, "| the same tensor:", held is x.grad)

# %% [markdown]
# An optimizer resets all its parameters at once with `optimizer.zero_grad()`. Like
# PyTorch's, it sets them to `None` by default (`set_to_none=True`); pass
# `set_to_none=False` to fill them with zeros instead:

# %%
layer = engine.nn.Linear(3, 1)
optimizer = engine.optim.SGD(layer.parameters(), lr=0.1)
layer(engine.ones(2, 3)).sum().backward()
print("after backward:                     ", layer.weight.grad)
optimizer.zero_grad(set_to_none=False)
print("after zero_grad(set_to_none=False): ", layer.weight.grad)
optimizer.zero_grad()
print("after zero_grad():                  ", layer.weight.grad)

# %% [markdown]
# Why is `None` the default? It frees the gradients' memory between steps, it saves the work
# of writing zeros, and it keeps "no gradient" apart from "a gradient of zero": `step()`
# skips a parameter whose `.grad` is `None`, while a zero gradient still counts as one (an
# optimizer with momentum keeps moving such a parameter). Whichever you choose, reset
# **once per step, before the backward passes of that step**: `zero_grad()`, `backward()`,
# `step()`.

# %% [markdown]
# ## 4. What happens when you forget
#
# Chapter 01's line fit, $\hat y = wx + b$ on four points, trained twice with the same
# learning rate: once with the reset, once without it. Without the reset, each step uses the
# sum of **every** gradient so far. The early steps' gradients never go away, so the steps do
# not shrink as the fit improves; the parameters overshoot, swing back, and never settle.

# %%
xs = engine.tensor([1.0, 2.0, 3.0, 4.0])
ys = engine.tensor([3.0, 5.0, 7.0, 9.0])


def line_fit_losses(reset, epochs=60, lr=0.05):
    """The loss at every epoch of chapter 01's line fit, with or without resetting .grad."""
    w = engine.tensor(0.0, requires_grad=True)
    b = engine.tensor(0.0, requires_grad=True)
    losses = []
    for _ in range(epochs):
        loss = ((w * xs + b - ys) ** 2).mean()
        loss.backward()
        with engine.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        if reset:
            w.grad = None
            b.grad = None
        losses.append(loss.item())
    return losses


with_reset, without_reset = line_fit_losses(True), line_fit_losses(False)
print("with the reset:   ", [round(v, 3) for v in with_reset[:6]], "...",
      round(with_reset[-1], 4))
print("without the reset:", [round(v, 3) for v in without_reset[:6]], "...",
      round(without_reset[-1], 4))

fig, ax = plt.subplots(figsize=(6.5, 3.5))
ax.semilogy(with_reset, label="grad reset every step")
ax.semilogy(without_reset, label="never reset: gradients pile up")
ax.set_xlabel("epoch")
ax.set_ylabel("loss (log scale)")
ax.set_title("The same training loop, with and without resetting .grad")
ax.legend(loc="lower left", bbox_to_anchor=(0.42, 0.2))
plt.show()

# %% [markdown]
# Nothing crashes and no error is raised: the loss just refuses to go down. That is what
# makes this the most common training bug, and why `zero_grad()` belongs in every loop.

# %% [markdown]
# ## 5. One parameter, used twice
#
# Accumulation also happens inside a single backward pass. Here $w$ is used by two terms of
# one loss:
#
# $$L = (w \cdot 1 - 1)^2 + (w \cdot 3 - 3)^2, \qquad
# \frac{\partial L}{\partial w} = 2(w - 1) \cdot 1 + 2(3w - 3) \cdot 3 = 2 + 18 = 20
# \quad\text{at } w = 2.$$
#
# Each use sends its own gradient towards $w$, and both edges end at $w$'s single
# `AccumulateGrad` node (chapter 02). The engine adds the two up there, so `w.grad` is 20.
# Calling `backward()` on the two terms one at a time gives 2, then $2 + 18 = 20$: the same
# rule at work, across passes instead of within one.

# %%
w = engine.tensor(2.0, requires_grad=True)
loss = (w * 1.0 - 1.0) ** 2 + (w * 3.0 - 3.0) ** 2
loss.backward()
print("one backward on the whole loss:", w.grad)

w.grad = None
((w * 1.0 - 1.0) ** 2).backward()
print("backward on the first term:    ", w.grad)
((w * 3.0 - 3.0) ** 2).backward()
print("then on the second term:       ", w.grad)

w = engine.tensor(2.0, requires_grad=True)
loss = (w * 1.0 - 1.0) ** 2 + (w * 3.0 - 3.0) ** 2
engine.viz.draw(loss)

# %% [markdown]
# Networks do this on purpose: a language model often uses the same embedding matrix to read
# its input and to score its output ("weight tying"), and that matrix's gradient is the sum
# of both uses.
#
# ### How a gradient gets into `.grad`
#
# Every leaf's gradient goes into `.grad` through its `AccumulateGrad` node, which applies
# one rule. When a backward pass reaches the node, it holds the leaf's whole gradient for
# that pass (the sum of every use, as above), and:
#
# 1. if the leaf has **no gradient yet** (`leaf.grad is None`), it stores a **copy** of it.
#    A copy, because the same array may be handed to more than one place: an addition
#    `a + b` passes one gradient array, unchanged, to both `a` and `b`, and
#    `y.backward(v)` may pass your own `v` straight through. Storing it as it is would tie
#    `a.grad` and `b.grad` (or `a.grad` and `v`) together: changing one would change the
#    other;
# 2. otherwise it **adds** it to `leaf.grad`, **in place**: the gradient tensor that is
#    already there receives the sum (which is why `held is x.grad` stayed `True` above).
#
# ### Exercise 1: `accumulate_grad`
#
# Engine piece: `accumulate_grad`
#
# Write that rule: `accumulate_grad(leaf, grad)` adds `grad`, a tensor with the shape and
# dtype of `leaf`, into `leaf.grad`, following points 1 and 2. `grad.clone()` makes a copy,
# and `leaf.grad += grad` adds in place. It returns nothing.
#
# One more case is handled by the same code: when the backward pass is itself being recorded
# (`create_graph=True`, for a second derivative), `grad` has a history of its own. `clone()`
# keeps that history (it is a recorded operation), so `.grad` can be differentiated again;
# `grad.detach().clone()` or `engine.tensor(...)` would cut it.
#
# The check puts your function in the engine, `engine.substitute(accumulate_grad=...)`, so
# that every gradient a leaf receives goes through it, and compares what `.grad` holds with
# the engine's own rule.

# %% nbgrader={"grade_id": "accumulate-grad", "solution": true} gradbook={"piece": "accumulate_grad"}
def accumulate_grad(leaf, grad):
    """Add `grad`, the gradient that reached `leaf` in a backward pass, into `leaf.grad`."""
    ### BEGIN SOLUTION
    if leaf.grad is None:
        leaf.grad = grad.clone()
    else:
        leaf.grad += grad
    ### END SOLUTION


# %% nbgrader={"grade_id": "accumulate-grad-check", "grade": true, "points": 3} gradbook={"checks": "accumulate_grad"}
check.accumulate_grad(accumulate_grad)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(6)
for _shape in [(), (3,), (2, 3)]:
    _x0 = _rng.standard_normal(_shape)
    _gs = [_rng.standard_normal(_shape) for _ in range(3)]
    _runs = []
    for _rule in (None, accumulate_grad):
        _x = engine.tensor(_x0, requires_grad=True)
        _seen = []
        with engine.substitute(**({} if _rule is None else {"accumulate_grad": _rule})):
            for _g in _gs:
                (_x * 1.0).backward(engine.tensor(_g))
                _seen.append(_x.grad.numpy().copy())
        _runs.append(_seen)
    for _got, _want in zip(*_runs):
        assert _got.shape == _want.shape and np.allclose(_got, _want, rtol=1e-12, atol=1e-12)
_a = engine.tensor([1.0, 2.0], requires_grad=True)
_b = engine.tensor([3.0, 4.0], requires_grad=True)
with engine.substitute(accumulate_grad=accumulate_grad):
    (_a + _b).sum().backward()
    _held = _a.grad
    (_a * _b).sum().backward()
    _a.grad.add_(100.0)
    assert _held is _a.grad and _b.grad.tolist() == [2.0, 3.0]
    _z = engine.tensor(2.0, requires_grad=True)
    (_z**3).backward(create_graph=True)
    _g = _z.grad
    _z.grad = None
    _g.backward()
assert _z.grad.item() == 12.0
### END HIDDEN TESTS

# %% [markdown]
# Your rule running the lab of section 1. Every gradient that reaches `x` now goes through
# your function:

# %% tags=["uses-your-code"]
with engine.substitute(accumulate_grad=accumulate_grad):
    x = engine.tensor(3.0, requires_grad=True)
    (x**2).backward()
    print("after first backward:", x.grad.item())
    (2 * x).backward()
    print("after second backward:", x.grad.item())
    x.grad.zero_()
    (2 * x).backward()
    print("after zero and third backward:", x.grad.item())

# %% [markdown]
# And here is why point 1 says "a copy". The rule below stores `grad` itself. After
# `(a + b).backward(v)`, the addition has passed the same array to `a`, to `b`, and it *is*
# `v`: one `a.grad.add_(10)` later, all three have changed.

# %%
def storing_without_copy(leaf, grad):
    """A faulty rule: the first gradient is stored as it is."""
    if leaf.grad is None:
        leaf.grad = grad
    else:
        leaf.grad += grad


a = engine.tensor([1.0, 2.0], requires_grad=True)
b = engine.tensor([3.0, 4.0], requires_grad=True)
v = engine.tensor([1.0, 1.0])
with engine.substitute(accumulate_grad=storing_without_copy):
    (a + b).backward(v)
a.grad.add_(10)
print("a.grad:", a.grad, "| b.grad:", b.grad, "| v:", v)

# %% [markdown]
# ## 6. Micro-batches: one big batch, in slices
#
# A training step computes the mean loss over a batch and its gradient. A larger batch gives
# a less noisy gradient, but the forward pass keeps every row's intermediate values for
# backward, so memory grows with the batch, and a big enough batch does not fit.
# Accumulation gets around that: split the batch into **micro-batches**, run forward and
# backward on one at a time (its graph is freed before the next one is built), and let the
# gradients add up in `.grad`. Step once at the end.
#
# One detail decides whether the result is exact. The loss of a micro-batch is the mean over
# **its** rows. The whole batch's loss is the mean over **all** $N$ rows, so each micro-batch
# of $n_k$ rows must be weighted by its share $n_k / N$:
#
# $$\frac{1}{N} \sum_{\text{all rows}} \ell = \sum_k \frac{n_k}{N} \cdot
# \underbrace{\frac{1}{n_k} \sum_{\text{rows of } k} \ell}_{\text{mean over micro-batch } k}.$$
#
# When the $K$ micro-batches all have the same size, $n_k / N = 1/K$: the common recipe
# "divide each loss by the number of accumulation steps". Here is an 8-row batch of a small
# linear model, once whole and once as 4 micro-batches of 2 rows:

# %%
rng = np.random.default_rng(0)
inputs = engine.tensor(rng.standard_normal((8, 3)), dtype=engine.float64)
targets = engine.tensor(rng.standard_normal((8, 1)), dtype=engine.float64)
engine.manual_seed(0)
model = engine.nn.Linear(3, 1).double()


def gradients():
    """The model's gradients, as a list of arrays; then reset them."""
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    return grads


F.mse_loss(model(inputs), targets).backward()
big = gradients()

for k in range(4):
    rows = slice(2 * k, 2 * k + 2)
    (F.mse_loss(model(inputs[rows]), targets[rows]) / 4).backward()
accumulated = gradients()

print("the weight's gradient, one batch:   ", big[0].round(6))
print("the weight's gradient, accumulated: ", accumulated[0].round(6))
print("largest difference:", max(np.abs(g - h).max() for g, h in zip(big, accumulated)))

# %% [markdown]
# The same numbers, up to the last bits of float64 rounding. Now micro-batches of unequal
# size, 3 rows and 5: dividing by the number of micro-batches is no longer right, while
# weighting each by its share of the rows still is:

# %%
def accumulated_gradients(sizes, weight):
    """The gradients after accumulating micro-batches of the given sizes, each loss scaled
    by weight(n_k), then reset."""
    start = 0
    for n in sizes:
        rows = slice(start, start + n)
        (F.mse_loss(model(inputs[rows]), targets[rows]) * weight(n)).backward()
        start += n
    return gradients()


for name, weight in [("divided by the number of micro-batches", lambda n: 1 / 2),
                     ("weighted by the share of rows, n / N   ", lambda n: n / 8)]:
    grads = accumulated_gradients([3, 5], weight)
    difference = max(np.abs(g - h).max() for g, h in zip(big, grads))
    print(f"{name}: largest difference {difference:.2e}")

# %% [markdown]
# Three things can still make accumulation differ from a real big batch, and none of them
# is about gradients: **batch normalization** computes its statistics over each micro-batch,
# not the whole batch; **dropout** draws a different mask for each micro-batch (which is
# harmless); and a **learning-rate schedule** that counts micro-batches instead of optimizer
# steps runs $K$ times too fast.
#
# ### Exercise 2: `accumulation_step`
#
# Engine piece: `accumulation_step`
#
# Write one training step on a batch given as micro-batches:
# `accumulation_step(model, optimizer, loss_fn, micro_batches)`.
#
# - `model(inputs)` gives predictions; `loss_fn(predictions, targets)` gives the **mean**
#   loss over those rows (like `F.mse_loss`);
# - `micro_batches` is a list of `(inputs, targets)` pairs, possibly of different sizes;
#   `len(inputs)` is the number of rows of one;
# - reset the gradients once, run forward and backward on each micro-batch in turn with its
#   loss weighted by its share of the rows, then call `optimizer.step()` once;
# - return the loss of the whole batch as a Python number (the sum of the weighted losses,
#   each taken with `.item()`).
#
# Call `backward()` on each micro-batch's loss as soon as you have it: adding the losses up
# and calling `backward()` once at the end gives the same gradient, but keeps every
# micro-batch's graph in memory at once, which is what accumulation is meant to avoid.
#
# The check compares your step with one step on the whole batch at once: the parameters
# after the step, their `.grad`, the loss returned, and how many backward passes ran.

# %% nbgrader={"grade_id": "accumulation-step", "solution": true} gradbook={"piece": "accumulation_step"}
def accumulation_step(model, optimizer, loss_fn, micro_batches):
    """One optimizer step on all the micro-batches, as if they were one batch; returns the
    loss of the whole batch."""
    ### BEGIN SOLUTION
    optimizer.zero_grad()
    rows = sum(len(inputs) for inputs, _ in micro_batches)
    whole = 0.0
    for inputs, targets in micro_batches:
        loss = loss_fn(model(inputs), targets) * (len(inputs) / rows)
        loss.backward()
        whole += loss.item()
    optimizer.step()
    return whole
    ### END SOLUTION


# %% nbgrader={"grade_id": "accumulation-step-check", "grade": true, "points": 3} gradbook={"checks": "accumulation_step"}
check.accumulation_step(accumulation_step)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(7)
_X = engine.tensor(_rng.standard_normal((10, 4)), dtype=engine.float64)
_Y = engine.tensor(_rng.standard_normal((10, 2)), dtype=engine.float64)
for _sizes, _make in [([4, 4, 2], lambda p: engine.optim.SGD(p, lr=0.1, momentum=0.9)),
                      ([1, 6, 3], lambda p: engine.optim.Adam(p, lr=0.01)),
                      ([10], lambda p: engine.optim.SGD(p, lr=0.5))]:
    _results = []
    for _split in ([10], _sizes):
        engine.manual_seed(3)
        _model = engine.nn.Linear(4, 2).double()
        _opt = _make(_model.parameters())
        _pieces, _start = [], 0
        for _n in _split:
            _pieces.append((_X[_start:_start + _n], _Y[_start:_start + _n]))
            _start += _n
        for _ in range(2):
            if _split == [10]:
                _opt.zero_grad()
                _loss = F.mse_loss(_model(_X), _Y)
                _loss.backward()
                _opt.step()
                _value = _loss.item()
            else:
                _value = accumulation_step(_model, _opt, F.mse_loss, _pieces)
        _results.append([_value] + [_p.detach().numpy().copy() for _p in _model.parameters()])
    assert abs(_results[0][0] - _results[1][0]) < 1e-10
    for _want, _got in zip(_results[0][1:], _results[1][1:]):
        assert np.allclose(_got, _want, rtol=1e-10, atol=1e-12)
### END HIDDEN TESTS

# %% [markdown]
# ## Practice quiz
#
# Pick an answer and press **Check**. These are not graded.

# %%
quiz.practice([
    {
        "q": "x = engine.tensor(3.0, requires_grad=True). You run (x ** 2).backward() and then "
             "(2 * x).backward(), without resetting. What is x.grad?",
        "choices": ["2.0", "6.0", "8.0", "12.0"],
        "answer": 2,
        "explain": "backward adds into .grad: 6 from x ** 2 (2x at x = 3), plus 2 from 2 * x.",
    },
    {
        "q": "What is the difference between x.grad.zero_() and x.grad = None?",
        "choices": [
            "None: both leave a tensor of zeros",
            "zero_() keeps the same tensor, filled with zeros, and the next backward adds "
            "into it; None drops it, and the next backward stores a new tensor",
            "zero_() also resets the graph",
            "Setting None makes the next backward raise an error",
        ],
        "answer": 1,
        "explain": "The values after the next backward are the same; what differs is the "
                   "tensor holding them. optimizer.zero_grad() sets None by default.",
    },
    {
        "q": "A batch of 8 rows is processed as micro-batches of 5 and 3 rows, each loss "
             "being the mean over its rows. How must each micro-batch's loss be scaled so "
             "that the accumulated gradient equals the whole batch's?",
        "choices": ["By 1/2 each", "By 5/8 and 3/8", "Not at all", "By 1/8 each"],
        "answer": 1,
        "explain": "The whole batch's mean is the sum of each micro-batch's mean times its "
                   "share of the rows. Dividing by the number of micro-batches is right only "
                   "when they are the same size.",
    },
    {
        "q": "In loss = (w * a - 1) ** 2 + (w * b - 2) ** 2, w is used twice. What reaches "
             "w.grad after loss.backward()?",
        "choices": [
            "Only the gradient of the first term",
            "Only the gradient of the term computed last",
            "The sum of the gradients of both terms",
            "Their average",
        ],
        "answer": 2,
        "explain": "Both uses send a gradient to w's single AccumulateGrad node, and the "
                   "gradients of every use add up.",
    },
])

# %% [markdown]
# ## Graded quiz
#
# Record your answers in the cell below, as letters. They are graded when you hand in the
# notebook; nothing here tells you whether they are right.
#
# **q1.** `x = engine.tensor(2.0, requires_grad=True)`; `(x ** 3).backward()`;
# `x.grad.zero_()`; `(5 * x).backward()`. What is `x.grad`?
# a) 12.0  b) 17.0  c) 5.0  d) 0.0
#
# **q2.** A training loop calls `loss.backward()` and `optimizer.step()` every iteration
# but never resets the gradients. What happens?
# a) a RuntimeError on the second iteration  b) each step uses the sum of all the gradients
# so far, and training oscillates or diverges  c) nothing: backward overwrites `.grad`
# d) the gradients are averaged automatically
#
# **q3.** After `optimizer.zero_grad()` (with its default arguments), what is `p.grad` for
# each parameter `p`?
# a) a tensor of zeros  b) `None`  c) the previous gradient  d) a tensor of ones
#
# **q4.** Gradient accumulation: 4 micro-batches of 16 rows each, each loss the mean over its
# rows. Which update matches one step on the 64 rows at once?
# a) call `optimizer.step()` after each micro-batch's backward
# b) `(loss / 4).backward()` for each, then one `optimizer.step()`
# c) `loss.backward()` for each, then one `optimizer.step()`
# d) `optimizer.zero_grad()` before each micro-batch, then one `optimizer.step()`

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
# Chapter 01's line fit once more, this time in micro-batches of unequal size: the first
# three points, then the last one. The model is the line $wx + b$, the optimizer plain
# gradient descent (`engine.optim.SGD` with the learning rate 0.05 of chapter 01), and each
# epoch is one call of your `accumulation_step`. Inside `engine.substitute`, every gradient
# that reaches $w$ or $b$ goes into `.grad` through your `accumulate_grad`.

# %%
def micro_batch_fit(step, sizes=(3, 1), epochs=201):
    """Chapter 01's line fit, one `step(model, optimizer, loss_fn, micro_batches)` per
    epoch, on micro-batches of the given sizes: the lines it prints."""
    w = engine.tensor(0.0, requires_grad=True)
    b = engine.tensor(0.0, requires_grad=True)
    optimizer = engine.optim.SGD([w, b], lr=0.05)
    pieces, start = [], 0
    for n in sizes:
        pieces.append((xs[start:start + n], ys[start:start + n]))
        start += n
    lines = ["two_parameter_fit"]
    for epoch in range(epochs):
        loss = step(lambda x: w * x + b, optimizer, F.mse_loss, pieces)
        if epoch % 50 == 0:
            lines.append(f"epoch={epoch:3d} loss={loss:.4f} w={w.item():.4f} b={b.item():.4f}")
    return lines


# %% tags=["uses-your-code"]
with engine.substitute(accumulate_grad=accumulate_grad):
    yours = micro_batch_fit(accumulation_step)
print("\n".join(yours))

# %% [markdown]
# These are chapter 01's lines, digit for digit, although no forward pass ever saw the four
# points together. Your step with the four points as one single micro-batch, and the engine's
# own rule, prints them too:

# %% tags=["uses-your-code"]
print("the same lines as one batch of 4:", yours == micro_batch_fit(accumulation_step, (4,)))

# %% [markdown]
# To run the engine's own tests of the backward pass with your rule deciding what goes into
# every `.grad` (gradients that accumulate, graphs walked twice, hooks, `create_graph`,
# optimizers that reset and step, a network trained on digits by accumulation, compared with
# PyTorch), save this notebook and run in a terminal:
#
# ```
# gradbook my-engine course/05-gradients-accumulate.ipynb
# ```
