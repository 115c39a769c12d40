# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 07 · Dynamic graphs and control flow
#
# You never declare a graph to the engine. You run ordinary Python, and the engine writes
# down each operation as it happens: the graph is a **record of what ran**. This is called
# *define-by-run*, and it has three consequences this chapter is about:
#
# - Python's own control flow (`if`, `while`, `for`, recursion) works inside a model, with no
#   special operators: whichever branch ran is the one in the record, and the one `backward()`
#   differentiates;
# - every forward pass records a new graph, so a graph can be thrown away as soon as its
#   backward pass is done, and the engine does exactly that;
# - going through one graph twice needs `retain_graph=True`, which matters when two losses
#   share part of a model.
#
# In this chapter you will:
#
# - watch one function record two different graphs for two inputs;
# - differentiate through a data-dependent `while` loop and an `if`;
# - see a graph grow without end when a loop keeps it alive, and how to avoid it;
# - measure what `backward()` frees, and meet the error of a second pass;
# - backpropagate two losses that share a trunk, with and without `retain_graph`;
# - write the part of a node that keeps values for backward and frees them (**the exercise**,
#   `SavingNode`), and run the engine's backward through nodes built on it.
#
# Run the cells from top to bottom; the exercise is followed by its check, as before.
# `gradbook check course/07-dynamic-graphs.ipynb` runs the check from a terminal.

# %%
import weakref

import matplotlib.pyplot as plt
import numpy as np

import engine
import engine.viz
from engine._tensor import make_tensor
from engine.autograd.function import _ALREADY_FREED as SECOND_TIME
from engine.autograd.graph import Node, accumulator_of
from graders import quiz
from graders.checks import ch07 as check

# %% [markdown]
# ## 1. The graph is a record of what ran
#
# A function with a real Python branch, decided by the data:

# %%
def g(x):
    y = x * 2
    if y.sum() > 0:  # a Python `if`, decided while the function runs
        y = y * 3
    else:
        y = y - 100
    return y


x = engine.tensor([1.0, 2.0], requires_grad=True)
out = g(x)
out.sum().backward()
print(x.grad)

# %% [markdown]
# The sum of `y` was positive, so the `if` branch ran and the engine recorded
# $x \to \times 2 \to \times 3 \to \text{sum}$. Along that chain
# $\partial\,\text{sum} / \partial x_i = 2 \cdot 3 = 6$. The recorded graph:

# %%
engine.viz.draw(out.sum())

# %% [markdown]
# Call the same function on an input whose doubled values sum to something negative: the
# `else` branch runs, the record holds a subtraction instead of the second multiplication, and
# the gradient is that of $2x - 100$:

# %%
x_neg = engine.tensor([-1.0, -2.0], requires_grad=True)
out_neg = g(x_neg)
out_neg.sum().backward()
print(x_neg.grad)
engine.viz.draw(out_neg.sum())

# %% [markdown]
# Nothing about `g` was declared in advance: each call recorded the graph of the path it took,
# and the two graphs have nothing in common. Even two calls on the *same* input record two
# separate graphs, made of new nodes:

# %%
first, second = g(x), g(x)
print("the same values:", (first == second).all().item())
print("the same node:  ", first.grad_fn is second.grad_fn)

# %% [markdown]
# ## 2. Loops that depend on the data
#
# A harder case: a `while` loop whose number of turns depends on the input, followed by an
# `if`. The function doubles $b = 2a$ until its size reaches 1000, then multiplies it by 100 if
# it is negative:

# %%
def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


# %% [markdown]
# Each run records a chain of multiplications, as long as the loop was. Whatever the path,
# `c` is $a$ times a constant $k$ ($k = 2^n$ after $n$ doublings, times 100 on the `else`
# branch), so $f(a) = k a$ and the derivative along that path is $k = f(a) / a$. The engine
# finds exactly that, for inputs that take different paths:

# %%
for value in (0.3, -0.7, 1.5):
    a = engine.tensor(value, requires_grad=True)
    d = f(a)
    d.backward()
    print(a.grad == d / a)

# %% [markdown]
# What each of those runs recorded:

# %%
for value in (0.3, -0.7, 1.5):
    a = engine.tensor(value, requires_grad=True)
    d = f(a)
    d.backward()
    muls = [node.name() for node in engine.viz.execution_order(d)].count("MulBackward0")
    print(f"a = {value:5}: {muls:2} multiplications recorded, f(a) = {d.item():10.1f}, "
          f"a.grad = {a.grad.item():8.1f}")

# %% [markdown]
# Over a range of positive inputs $f$ is a sawtooth: it climbs with slope $k$, then, where one
# more doubling becomes necessary, it falls back. The engine gives the slope of the tooth the
# input is on, always equal to $f(a)/a$ here:

# %%
inputs = np.geomspace(0.05, 2.0, 300)
values, slopes = [], []
for value in inputs:
    a = engine.tensor(value, dtype=engine.float64, requires_grad=True)
    d = f(a)
    d.backward()
    values.append(d.item())
    slopes.append(a.grad.item())

fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
top.plot(inputs, values)
top.set_ylabel("f(a)")
top.set_title("f is a sawtooth: each tooth is one number of loop turns")
bottom.step(inputs, slopes, where="post", label="a.grad, from backward()")
bottom.plot(inputs, np.array(values) / inputs, ":", label="f(a) / a")
bottom.set_yscale("log")
bottom.set_xscale("log")
bottom.set_xlabel("a")
bottom.set_ylabel("gradient")
bottom.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# One caution comes with this convenience. Autograd differentiates **the path that ran**, and
# knows nothing of the paths that did not: at the jumps of the sawtooth, $f$ has no
# derivative, yet the engine happily reports the slope of whichever branch the input fell on.
# A branch is a piece of the function's definition the gradient cannot see across.

# %% [markdown]
# ## 3. A graph lives as long as something holds it
#
# A graph is not stored anywhere central: the tensors hold their `grad_fn`, each node holds
# its `next_functions`, and the whole record stays alive as long as one tensor that ends in it
# is referenced. Usually that is short: each training step records a graph, `backward()` uses
# it, and the next step's `loss = ...` drops the last reference.
#
# A classic mistake keeps every graph alive at once: adding the loss *tensor* to a running
# total. `total = total + loss` is itself a recorded operation, so `total`'s graph takes in the
# graph of every step so far:

# %%
xs = engine.tensor([1.0, 2.0, 3.0, 4.0])
ys = engine.tensor([3.0, 5.0, 7.0, 9.0])
w = engine.tensor(0.0, requires_grad=True)

total = 0.0
for step in range(1, 101):
    loss = ((w * xs - ys) ** 2).mean()
    loss.backward()
    with engine.no_grad():
        w -= 0.01 * w.grad
    w.grad.zero_()
    total = total + loss
    if step in (1, 10, 100):
        print(f"after {step:3} steps, the graph of total has "
              f"{len(engine.viz.execution_order(total))} nodes")

# %% [markdown]
# Memory grows with every step, and a later `total.backward()` would go back through all of
# them. The fix is to keep a number, not a tensor: `total += loss.item()` (or `loss.detach()`
# when a tensor is needed).

# %% [markdown]
# ## 4. `backward()` frees what the nodes saved
#
# The biggest part of a graph is not its nodes but the values they keep for backward (chapter
# 06 measured 10 MiB for a small network). Since every forward pass records a new graph
# anyway, the engine lets go of those values as soon as a node has run. Ten `tanh` layers on a
# vector of 100,000 numbers: each keeps its output, 400 KB. Weak references let us watch those
# arrays without keeping them alive:

# %%
engine.manual_seed(0)
x = engine.randn(100_000, requires_grad=True)
y = x
kept = []
for _ in range(10):
    y = (y * 1.5).tanh()
    kept.append(weakref.ref(y.detach().numpy()))


def alive():
    return sum(ref() is not None for ref in kept)


loss = y.sum()
print("outputs alive before backward:", alive())
loss.backward()
print("outputs alive after backward: ", alive(), "(the last one: the variable y holds it)")

# %% [markdown]
# The nodes are still there (`loss.grad_fn` and its `next_functions` can be walked), but their
# saved values are gone. Going through the graph again is therefore impossible, and so is
# reading a node's saved values directly (the engine's nodes show theirs in `saved_tensors`).
# Both say so in PyTorch's words:

# %%
try:
    loss.backward()
except RuntimeError as err:
    print("RuntimeError:", err)
print()
try:
    y.grad_fn.saved_tensors
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# Only what was saved is freed: a graph whose nodes saved nothing, such as `(x + 1).sum()`, can
# be walked twice (chapter 03). Do not count on it; the next section says how to go through a
# graph twice on purpose.

# %% [markdown]
# ## 5. `retain_graph=True`
#
# `loss.backward(retain_graph=True)` runs the backward pass and frees nothing, so the graph can
# be used again. A second pass *adds* its gradients to the first, like any backward. The three
# steps below each start from the same `x`: a fresh graph each time gives $2$, then $2 + 2$;
# a graph kept and walked twice adds $2 + 2$ more:

# %%
x = engine.tensor([1.0], requires_grad=True)
y = (x ** 2).sum()
y.backward()
print(x.grad)
y = (x ** 2).sum()
y.backward()
print(x.grad)
y = (x ** 2).sum()
y.backward(retain_graph=True)
y.backward()
print(x.grad)

# %% [markdown]
# ### Two losses, one trunk
#
# The usual reason to need a graph twice: two losses computed from a shared part of a model,
# here a layer `h = tanh(x @ W)` (the trunk) feeding two heads. The picture shows the two
# losses above one shared trunk:

# %%
engine.manual_seed(1)
inputs = engine.randn(8, 3, dtype=engine.float64)
W = engine.randn(3, 4, dtype=engine.float64, requires_grad=True)
head1 = engine.randn(4, dtype=engine.float64, requires_grad=True)
head2 = engine.randn(4, dtype=engine.float64, requires_grad=True)


def two_losses():
    """The trunk and two heads; `trunk_runs` counts the gradients that reach h."""
    h = (inputs @ W).tanh()
    trunk_runs = []
    h.register_hook(lambda grad: trunk_runs.append(1))
    loss1 = ((h @ head1) ** 2).mean()
    loss2 = ((h @ head2 - 1) ** 2).mean()
    return loss1, loss2, trunk_runs


loss1, loss2, _ = two_losses()
engine.viz.draw([loss1, loss2])

# %% [markdown]
# Three ways to get the gradients of `loss1 + loss2`. Adding the losses first gives one graph
# with one root and one pass through the trunk. Two `backward()` calls go through the trunk
# twice, so the first must keep the graph; without `retain_graph` the second call finds the
# trunk's saved values gone (the first call freed them):

# %%
def gradients():
    grads = [p.grad.numpy().copy() for p in (W, head1, head2)]
    for p in (W, head1, head2):
        p.grad = None
    return grads


loss1, loss2, runs = two_losses()
(loss1 + loss2).backward()
summed = gradients()
print("(loss1 + loss2).backward():", len(runs), "pass through the trunk")

loss1, loss2, runs = two_losses()
loss1.backward(retain_graph=True)
loss2.backward()
separate = gradients()
print("two backward calls:        ", len(runs), "passes through the trunk")
print("the same gradients:", all(np.allclose(a, b, rtol=1e-12, atol=1e-14)
                                 for a, b in zip(summed, separate)))

loss1, loss2, runs = two_losses()
loss1.backward()
try:
    loss2.backward()
except RuntimeError as err:
    print("without retain_graph:", str(err).split(" (")[0])
for p in (W, head1, head2):
    p.grad = None

# %% [markdown]
# Prefer the sum: one pass, nothing retained. Two calls with `retain_graph=True` are right when
# something must happen between them (looking at the first loss's gradients alone, clipping
# them, using a separate optimizer for each head). And `retain_graph=True` only on the calls
# that need it: a retained graph holds all of its saved values until the last tensor ending in
# it is gone.

# %% [markdown]
# ## 6. How the engine frees a node
#
# Each node of the engine keeps what its forward saved in one attribute, `node._saved`. The
# backward loop (chapter 03's loop, in the engine) does one more thing after running a node:
#
# ```python
# out = node.apply(grad)
# if not retain_graph and node._saved is not None:
#     node._release()
# ```
#
# `_release` replaces the saved values by a marker meaning *freed*. That drops the node's
# references to them, so their memory goes back as soon as nothing else holds them. Nothing
# fails at that moment: the error comes later, if ever, from the one place that reads saved
# values, `saved_tensors`, when it finds the marker instead of values. This is why the message
# speaks of a second backward *or* of accessing saved tensors after they were freed.
#
# Three details shape the design:
#
# - *freed* is not the same as *nothing saved*: a node that saved nothing gives `()` before
#   its release, and raises after it, like any other (PyTorch does the same for the nodes of
#   custom `Function`s);
# - reading does not free: a backward formula may read its saved values more than once, and
#   with `retain_graph=True` the next pass reads them again; only `_release` frees;
# - the loop skips nodes whose `_saved` is `None` (the ones that never save anything, such as
#   those of `x + 1`), so a node class that saves must keep its values in `_saved`.
#
# ### Exercise: `SavingNode`
#
# Engine piece: `SavingNode`
#
# Write the three methods of `SavingNode`, a node that keeps values for its backward:
#
# - `save_for_backward(*values)` keeps `values` (a tuple) in `self._saved`;
# - `saved_tensors` (a property) returns what was saved, as a tuple (`()` if nothing was),
#   as often as it is read; once the node was released it raises
#   `RuntimeError(SECOND_TIME)`, where `SECOND_TIME` (imported at the top) is the engine's
#   message, word for word;
# - `_release()` puts the marker `FREED` in `self._saved`; it never raises, and calling it
#   again changes nothing.
#
# An operation's node class is then a subclass that adds `apply(self, grad)`, the backward
# formula. The check builds such nodes into real graphs and runs the engine's own backward
# through them.

# %% nbgrader={"grade_id": "saving-node", "solution": true} gradbook={"piece": "SavingNode"}
FREED = object()  # what _saved holds once the node has been released


class SavingNode(Node):
    """A backward node that keeps values for its backward, and lets them go after it."""

    _saved = ()  # nothing saved yet (not None: the engine releases every SavingNode)

    def save_for_backward(self, *values):
        ### BEGIN SOLUTION
        self._saved = values
        ### END SOLUTION

    @property
    def saved_tensors(self):
        ### BEGIN SOLUTION
        if self._saved is FREED:
            raise RuntimeError(SECOND_TIME)
        return self._saved
        ### END SOLUTION

    def _release(self):
        ### BEGIN SOLUTION
        self._saved = FREED
        ### END SOLUTION


# %% nbgrader={"grade_id": "saving-node-check", "grade": true, "points": 3} gradbook={"checks": "SavingNode"}
check.SavingNode(SavingNode)
### BEGIN HIDDEN TESTS
_n = SavingNode()
assert _n.saved_tensors == ()
_a, _b = engine.tensor([1.0]), engine.tensor([2.0])
_n.save_for_backward(_a, _b)
for _ in range(2):
    _got = _n.saved_tensors
    assert type(_got) is tuple and len(_got) == 2 and _got[0] is _a and _got[1] is _b
_ref = weakref.ref(_a)
del _a, _got
_n._release()
_n._release()
assert _ref() is None
try:
    _n.saved_tensors
except RuntimeError as _err:
    assert str(_err) == SECOND_TIME
else:
    raise AssertionError("saved_tensors did not raise after _release")
_m = SavingNode()
_m._release()
try:
    _m.saved_tensors
except RuntimeError as _err:
    assert str(_err) == SECOND_TIME
else:
    raise AssertionError("a released node that saved nothing did not raise")


class _SquareBackward(SavingNode):
    def apply(self, _grad):
        (_x,) = self.saved_tensors
        return (_grad * 2 * _x,)


_x = engine.tensor([1.0, -2.0], dtype=engine.float64, requires_grad=True)
_edges = ((accumulator_of(_x), 0),)
_node = _SquareBackward()
_node._edges = _edges
_node.save_for_backward(_x)
_y = make_tensor(_x.detach().numpy() ** 2, requires_grad=True, grad_fn=_node)
_y.sum().backward(retain_graph=True)
_y.sum().backward()
assert _x.grad.tolist() == [4.0, -8.0]
try:
    _y.sum().backward()
except RuntimeError as _err:
    assert str(_err) == SECOND_TIME
else:
    raise AssertionError("a third backward went through a freed node")
### END HIDDEN TESTS

# %% [markdown]
# Your class in use: a `tanh` operation whose node is a `SavingNode`. The helper `record` does
# what the engine's `Function.apply` does when it records: it finds the edges to the inputs'
# nodes (chapter 02's `edges_for`), makes the node, and wraps the output array in a tensor
# whose `grad_fn` is that node. (The edges come first because they may create a leaf's
# `AccumulateGrad`, and the engine runs newer nodes first: a node must be newer than the nodes
# it sends gradients to.) `tanh` keeps its output, as the engine's own does.

# %%
def record(node_class, inputs, output):
    """A new node of `node_class` above `inputs`, and `output` (an array) as its tensor."""
    edges = tuple(
        ((t.grad_fn, t.output_nr) if t.grad_fn is not None else (accumulator_of(t), 0))
        if t.requires_grad else (None, 0)
        for t in inputs)
    node = node_class()
    node._edges = edges
    return node, make_tensor(output, requires_grad=True, grad_fn=node)


# %% tags=["uses-your-code"]
class TanhBackward(SavingNode):
    def apply(self, grad):
        (y,) = self.saved_tensors
        return (grad * (1 - y * y),)


def tanh(x):
    """tanh(x), recorded with your node."""
    node, y = record(TanhBackward, [x], np.tanh(x.detach().numpy()))
    node.save_for_backward(y)
    return y


x = engine.tensor([0.5, -1.0, 2.0], dtype=engine.float64, requires_grad=True)
y = tanh(x * 2)
loss = y.sum()
engine.viz.draw(loss)

# %% [markdown]
# The engine's backward runs your node, frees it, and your `saved_tensors` gives the second
# pass the engine's own error:

# %% tags=["uses-your-code"]
loss.backward()
print("x.grad:          ", x.grad)
x.grad = None
(x * 2).tanh().sum().backward()
print("the engine's tanh:", x.grad)
try:
    loss.backward()
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# ## Practice quiz
#
# Pick an answer and press **Check**. These are not graded.

# %%
quiz.practice([
    {
        "q": "When is the graph that backward() walks built?",
        "choices": [
            "Once, when the model is defined",
            "While the forward pass runs: each operation is recorded as it happens",
            "When backward() is called",
            "The first time the model runs; later runs reuse it",
        ],
        "answer": 1,
        "explain": "Define-by-run: the engine records each operation as Python executes it. "
                   "Each forward pass records a new graph, holding whatever path the code "
                   "took.",
    },
    {
        "q": "y = (x ** 2).sum(); y.backward(); y.backward(). What happens on the second call?",
        "choices": [
            "x.grad doubles",
            "Nothing: the graph is still there",
            "A RuntimeError: the first backward freed the value x that PowBackward0 saved",
            "x.grad is reset to zero first",
        ],
        "answer": 2,
        "explain": "After a node runs, the engine frees what it saved (here x, for the "
                   "derivative 2x). The second pass needs it and raises 'Trying to backward "
                   "through the graph a second time'.",
    },
    {
        "q": "In a training loop you write total = total + loss to report the mean loss. "
             "What goes wrong?",
        "choices": [
            "Nothing",
            "total is a tensor whose graph takes in every step's graph: memory grows each step",
            "The loss is counted twice in the gradients",
            "total cannot be printed",
        ],
        "answer": 1,
        "explain": "Adding tensors is recorded, so total's graph keeps every loss's graph "
                   "alive. Keep a number instead: total += loss.item().",
    },
    {
        "q": "Two losses share a trunk. Which gives the same gradients as (loss1 + "
             "loss2).backward()?",
        "choices": [
            "loss1.backward(); loss2.backward()",
            "loss1.backward(retain_graph=True); loss2.backward()",
            "loss2.backward(retain_graph=True) alone",
            "None of these",
        ],
        "answer": 1,
        "explain": "Gradients accumulate, so two passes add up to the pass of the sum. The "
                   "first call must keep the graph, or the second one finds the trunk's "
                   "saved values freed.",
    },
])

# %% [markdown]
# ## Graded quiz
#
# Record your answers in the cell below, as letters. They are graded when you hand in the
# notebook; nothing here tells you whether they are right.
#
# **q1.** With `g` from section 1 (`y = x * 2`, then `y * 3` if `y.sum() > 0`, else
# `y - 100`), `x = engine.tensor([-1.0, -2.0], requires_grad=True)` and
# `g(x).sum().backward()`, what is `x.grad`?
# a) `[6., 6.]`  b) `[2., 2.]`  c) `[0., 0.]`  d) a RuntimeError: the graph depends on the data
#
# **q2.** For `f` of section 2, why does `a.grad == d / a` hold for every `a` tried?
# a) along the path that ran, `f(a)` is `a` times a constant, so its derivative is that
# constant  b) the engine divides by `a` in backward  c) `while` loops are not recorded
# d) it is a coincidence of the inputs chosen
#
# **q3.** `x = engine.tensor([1.0], requires_grad=True)`, `y = (x + 1).sum()`, `y.backward()`,
# `y.backward()`. What is `x.grad`?
# a) a RuntimeError  b) `[1.]`  c) `[2.]`  d) `[0.]`
#
# **q4.** A node was released after a backward pass without `retain_graph`. What raises the
# error "Trying to backward through the graph a second time"?
# a) `_release` itself  b) creating a new graph from the same leaves
# c) calling `loss.item()`  d) reading the node's saved values afterwards, in a second backward
# or directly
#
# **q5.** `loss1` and `loss2` share a trunk. After `loss1.backward(retain_graph=True)` and
# `loss2.backward()`, compared with `(loss1 + loss2).backward()`:
# a) the gradients differ  b) the same gradients, but the trunk's backward ran twice
# c) the second call raises  d) the gradients are doubled

# %% nbgrader={"grade_id": "quiz-answers", "solution": true} gradbook={"quiz": "answers", "stub": ""}
# Put the letter of your choice ("a", "b", "c" or "d") in place of each None.
answers = {"q1": None, "q2": None, "q3": None, "q4": None, "q5": None}
### BEGIN SOLUTION
answers = {"q1": "b", "q2": "a", "q3": "c", "q4": "d", "q5": "b"}
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
assert str(answers["q3"]).strip().lower() == "c", "q3"
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "quiz-q4", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 4: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q4"]).strip().lower() == "d", "q4"
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "quiz-q5", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 5: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q5"]).strip().lower() == "b", "q5"
### END HIDDEN TESTS

# %% [markdown]
# ## Your engine
#
# Your `SavingNode` under a whole network. A ten-layer network on 100,000 numbers, each layer
# `tanh(1.5 * x)` with the `tanh` of section 6, whose node is yours: watch the engine's
# backward free your nodes' saved values, and keep them when asked to.

# %% tags=["uses-your-code"]
def deep(x, layers=10):
    """`layers` times tanh(1.5 * x), on your node; weak references to each saved output."""
    refs = []
    for _ in range(layers):
        x = tanh(x * 1.5)
        refs.append(weakref.ref(x.detach().numpy()))
    return x, refs


engine.manual_seed(0)
x = engine.randn(100_000, dtype=engine.float64, requires_grad=True)
out, refs = deep(x)
loss = out.sum()
print("saved outputs alive before backward:", sum(r() is not None for r in refs))
loss.backward(retain_graph=True)
print("after backward(retain_graph=True):  ", sum(r() is not None for r in refs))
loss.backward()
print("after a second backward:            ", sum(r() is not None for r in refs))
try:
    loss.backward()
except RuntimeError as err:
    print("a third backward: RuntimeError:", str(err).split(" (")[0])

# %% [markdown]
# The same network with the engine's own `tanh` gives the same gradients (twice the gradient
# of one pass, since two passes went through):

# %% tags=["uses-your-code"]
yours = x.grad.numpy().copy()
x.grad = None
y = x
for _ in range(10):
    y = (y * 1.5).tanh()
y.sum().backward()
print("the same gradients as the engine's tanh, doubled:",
      np.allclose(yours, 2 * x.grad.numpy(), rtol=1e-12, atol=1e-15))

# %% [markdown]
# And a small model trained on your nodes: fit $y = \tanh(w x)$ to points of
# $\tanh(1.5 x)$, starting from $w = 0.2$. Each step records a fresh graph with a node of yours
# in it, and each `backward()` frees it.

# %% tags=["uses-your-code"]
inputs = engine.tensor(np.linspace(-2.0, 2.0, 9))
targets = (inputs * 1.5).tanh()


def fit(activation, steps=61, lr=0.5):
    w = engine.tensor(0.2, dtype=engine.float64, requires_grad=True)
    lines = []
    for step in range(steps):
        loss = ((activation(inputs * w) - targets) ** 2).mean()
        loss.backward()
        with engine.no_grad():
            w -= lr * w.grad
        w.grad = None
        if step % 20 == 0:
            lines.append(f"step={step:2d} loss={loss.item():.6f} w={w.item():.4f}")
    return lines


with_yours = fit(tanh)
print("\n".join(with_yours))
print("the same lines as with the engine's tanh:", with_yours == fit(engine.Tensor.tanh))

# %% [markdown]
# `SavingNode` is not swapped into the engine's own nodes (theirs also check the version of
# every saved tensor, chapter 11's subject), so `gradbook my-engine` runs its check only:
#
# ```
# gradbook my-engine course/07-dynamic-graphs.ipynb
# ```
