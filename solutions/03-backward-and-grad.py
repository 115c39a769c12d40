# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · backward and .grad
#
# Chapter 02 ended with a complete record: while the forward pass runs, each operation leaves
# a node that knows its own derivative and where its gradients must go. This chapter is about
# what `backward()` does with that record. It walks the graph from the loss down to the
# leaves, applying the chain rule one node at a time, adds up gradients where paths meet,
# and stores the result in `.grad`.
#
# In this chapter you will:
#
# - follow the chain rule node by node on the one-parameter lab, with numbers;
# - see why gradients that meet at a node must be added up before the node runs;
# - write the order in which the nodes run (**exercise 1**, `topological_order`);
# - write the backward loop itself (**exercise 2**, `run_backward`);
# - see that a gradient is not an update, and what happens to the graph after `backward()`;
# - train the line fit on your own operations, your order and your loop.
#
# Run the cells from top to bottom; each exercise is followed by its check, as before.
# `gradbook check course/03-backward-and-grad.ipynb` runs every check from a terminal.

# %%
import numpy as np

import engine
import engine.viz
from engine.autograd.engine_loop import sum_to_shape
from engine.autograd.graph import AccumulateGrad
from graders import quiz
from graders.checks import ch03 as check

# %% [markdown]
# ## 1. One parameter, one gradient
#
# The lab from chapter 01: the loss $L(w) = (3w - 10)^2$ at $w = 2$.

# %%
w = engine.tensor(2.0, requires_grad=True)
loss = (w * 3 - 10) ** 2
print("loss:", loss.item())
loss.backward()
print("w.grad:", w.grad.item())

# %% [markdown]
# ### Gradients are not the update
#
# `backward()` computed $\partial L / \partial w = -24$ and stored it in `w.grad`. It did not
# touch `w`:

# %%
print("w after backward:", w.item())

# %% [markdown]
# Changing `w` is a separate step, yours to write (later, an optimizer's): here one step of
# gradient descent with learning rate $0.1$, taking $w$ from $2$ to $2 - 0.1 \cdot (-24) = 4.4$.
# It runs under `engine.no_grad()` because the update is not part of any computation we want
# to differentiate.

# %%
with engine.no_grad():
    w -= 0.1 * w.grad
print("w after the update:", round(w.item(), 4))

# %% [markdown]
# Keeping the two apart is what lets the same gradient serve many purposes: plain gradient
# descent, an optimizer with momentum, clipping the gradient first, or just inspecting it.
# It also means `backward()` has exactly one job, and the rest of this chapter is that job.

# %% [markdown]
# ## 2. The chain rule, node by node
#
# The forward pass of the lab computed three intermediate values, each by one recorded
# operation (one node):
#
# $$v = 3w = 6, \qquad u = v - 10 = -4, \qquad L = u^2 = 16.$$
#
# The chain rule says $\dfrac{\partial L}{\partial w} = \dfrac{\partial L}{\partial u} \cdot
# \dfrac{\partial u}{\partial v} \cdot \dfrac{\partial v}{\partial w}$. Backward evaluates
# this product from the left, one factor per node. It starts at the loss with
# $\partial L / \partial L = 1$, and every node does the same small thing: it receives the
# gradient of the loss with respect to its **output**, multiplies it by the derivative of its
# output with respect to each **input** (its local derivative), and passes the result on.
#
# | node | forward | local derivative | receives | passes on |
# |---|---|---|---|---|
# | `PowBackward0` | $L = u^2$ | $\partial L/\partial u = 2u = -8$ | $1$ | $1 \cdot (-8) = -8$ |
# | `SubBackward0` | $u = v - 10$ | $\partial u/\partial v = 1$ | $-8$ | $-8 \cdot 1 = -8$ |
# | `MulBackward0` | $v = 3w$ | $\partial v/\partial w = 3$ | $-8$ | $-8 \cdot 3 = -24$ |
# | `AccumulateGrad` | | | $-24$ | adds $-24$ into `w.grad` |
#
# No node needs to know anything about the rest of the graph: its saved inputs and the
# gradient that arrives are enough. The engine can show each step as it happens;
# `engine.viz.backward_steps` records a real backward pass without touching `.grad`:

# %%
w = engine.tensor(2.0, requires_grad=True)
loss = (w * 3 - 10) ** 2


def numbers(arrays):
    """A tuple of gradient arrays as a short list of numbers (None where nothing flows)."""
    return [None if g is None else g.tolist() for g in arrays]


for picture in engine.viz.backward_steps(loss):
    step = picture.step
    print(f"{step.node.name():15} receives {numbers(step.grad_outputs)}, "
          f"passes on {numbers(step.grad_inputs)}")

# %% [markdown]
# Each `None` is the `(None, 0)` edge of a constant (the `10` and the `3`): nothing is sent
# there. The same steps as pictures; move the slider to step through the pass (the node that
# runs has a red border, and the edges are labelled with what it passes on):

# %%
engine.viz.show_steps(loss)

# %% [markdown]
# ## 3. Where paths meet, gradients add up
#
# A value used twice gets gradient from both uses. Take $y = 2x$ and $z = y \cdot y + y$ at
# $x = 1$, so $y = 2$ and $z = 6$. The value $y$ feeds three places: both operands of
# $y \cdot y$ and the $+\,y$. Its gradient is the sum of what comes back from each:
#
# $$\frac{\partial z}{\partial y} = \underbrace{y}_{\text{first operand}} +
# \underbrace{y}_{\text{second operand}} + \underbrace{1}_{+\,y} = 2 + 2 + 1 = 5, \qquad
# \frac{\partial z}{\partial x} = 5 \cdot 2 = 10.$$
#
# In the graph, the node of $y$ (the `MulBackward0` of $y = 2x$) receives three gradients,
# and must **add them up before it runs**. If it ran as soon as the first one arrived, it
# would pass on $2 \cdot 2 = 4$ instead of $10$, and the rest would come too late.

# %%
x = engine.tensor(1.0, requires_grad=True)
y = x * 2
z = y * y + y
z.backward()
print("x.grad:", x.grad.item())
engine.viz.draw(z)

# %% [markdown]
# The steps of that pass, on a freshly recorded copy of the graph (a backward pass frees the
# graph it walked, as section 6 explains). Step 3 is the node of $y$: it receives the sum
# $5$ (written `grad in`) and passes $10$ on.

# %%
x = engine.tensor(1.0, requires_grad=True)
y = x * 2
z = y * y + y
engine.viz.show_steps(z)

# %% [markdown]
# ## 4. The order: topological order
#
# So the nodes must run in an order where **each node comes after every node that sends it a
# gradient**: after every node whose `next_functions` list it. Such an order is a
# *topological order* of the graph. The output's node comes first, the `AccumulateGrad` nodes
# come late, and a node shared by several paths waits for all of them.
#
# A classic way to build it (Kahn's algorithm; PyTorch's engine works the same way, with
# "dependency counts"):
#
# 1. **Count.** Walk the graph from the roots, following `next_functions` (skipping the
#    `(None, 0)` edges), and count for every node how many edges point to it: how many
#    gradients it will receive. Visit each node once, even if several edges lead to it, but
#    count every edge.
# 2. **Release.** The roots receive nothing from inside the graph, so they are ready. Take a
#    ready node, append it to the order, and subtract one from the count of each node its
#    edges point to. A node whose count drops to zero has now heard from everyone: it is
#    ready.
#
# Two details matter. A node can appear in `next_functions` several times (`y * y` lists
# `y`'s node twice), and each appearance is one gradient, so it counts each time. And write
# loops, not recursion: a training loop can record a graph 100,000 operations deep, while
# Python gives up on a function that calls itself about 1,000 levels deep. A list you push to
# and pop from does the job of the recursion.
#
# ### Exercise 1: `topological_order`
#
# Engine piece: `topological_order`
#
# Write `topological_order(roots)`: `roots` is a list of nodes (usually one,
# `[loss.grad_fn]`). Return a list of every node reachable from them, each exactly once,
# each after every node that sends it a gradient. Nodes can be dictionary keys and set
# members. Any order with that property is right; the check shows the engine's for
# comparison.

# %% nbgrader={"grade_id": "topological-order", "solution": true} gradbook={"piece": "topological_order"}
def topological_order(roots):
    """Every node reachable from `roots`, each after all the nodes that send it a gradient."""
    ### BEGIN SOLUTION
    incoming = {}  # node -> how many edges point to it
    stack, seen = list(roots), set(roots)
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            incoming[child] = incoming.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    order = []
    ready = [node for node in dict.fromkeys(roots) if incoming.get(node, 0) == 0]
    while ready:
        node = ready.pop()
        order.append(node)
        for child, _ in node.next_functions:
            if child is None:
                continue
            incoming[child] -= 1
            if incoming[child] == 0:
                ready.append(child)
    return order
    ### END SOLUTION


# %% nbgrader={"grade_id": "topological-order-check", "grade": true, "points": 3} gradbook={"checks": "topological_order"}
check.topological_order(topological_order)
### BEGIN HIDDEN TESTS
def _random_values(seed, dtype=engine.float64):
    _rng = np.random.default_rng(seed)
    _values = [engine.tensor(_rng.standard_normal(3), dtype=dtype, requires_grad=True)
               for _ in range(3)]
    _values.append(engine.tensor(_rng.standard_normal(3), dtype=dtype))
    for _ in range(30):
        _p, _q = (_values[int(_rng.integers(len(_values)))] for _ in range(2))
        _kind = int(_rng.integers(5))
        _values.append([_p * _q, _p + _q, _p - _q, (_p * 0.5).tanh(), _p.exp() * 0.1][_kind])
    return [_v for _v in _values if _v.requires_grad]


def _reachable(_roots):
    _seen, _stack = set(_roots), list(_roots)
    while _stack:
        for _child, _ in _stack.pop().next_functions:
            if _child is not None and _child not in _seen:
                _seen.add(_child)
                _stack.append(_child)
    return _seen


for _seed in range(6):
    _vals = _random_values(_seed)
    _roots = [_v.sum().grad_fn for _v in _vals[-1 - _seed % 3:]]
    _order = list(topological_order(list(_roots)))
    assert len(_order) == len(set(_order)) and set(_order) == _reachable(_roots), _seed
    _pos = {_n: _i for _i, _n in enumerate(_order)}
    assert all(_pos[_c] > _pos[_n] for _n in _order for _c, _ in _n.next_functions
               if _c is not None), _seed
_y = engine.tensor(1.0, requires_grad=True)
for _ in range(20000):
    _y = _y * 1.0
assert len(topological_order([_y.grad_fn])) == 20001
del _y
### END HIDDEN TESTS

# %% [markdown]
# Your order next to the engine's on the graph of section 3 (the engine's own order is
# `engine.viz.execution_order`). They may differ where two nodes do not depend on each other;
# both are valid.

# %% tags=["uses-your-code"]
x = engine.tensor(1.0, requires_grad=True)
y = x * 2
z = y * y + y
print("yours:       ", [node.name() for node in topological_order([z.grad_fn])])
print("the engine's:", [node.name() for node in engine.viz.execution_order(z)])

# %% [markdown]
# ## 5. The backward loop
#
# With the order, the whole backward pass is one loop over the nodes. The loop keeps, for
# every node, the **sum** of the gradients it has received so far (a dictionary from node to
# array). Because of the order, a node's sum is complete when its turn comes.
#
# 1. The loss's node receives $\partial L / \partial L = 1$: an array of ones shaped like the
#    loss (`np.ones_like(loss.detach().numpy())`).
# 2. For each node, in topological order, take its sum out of the dictionary (a node that
#    received nothing is skipped). Then:
#    - an `AccumulateGrad` node adds the sum into its leaf's gradient: `node.variable` is the
#      leaf; if its `.grad` is `None`, set it to `engine.tensor(sum)`, otherwise add the sum
#      into it (a leaf may hold a gradient already: gradients **accumulate**);
#    - any other node runs its operation's backward, `node.apply(sum)`. That returns the
#      gradients for the node's inputs in the order of `node.next_functions`: a single array
#      for some one-input operations, otherwise a tuple, which may end with extra `None`s for
#      arguments that are not inputs (an exponent, a shape; `zip` ignores them). Each is
#      shaped like the operation's output, or `None` for an input that needs no gradient.
#      For each entry `(child, _)` with a gradient `g`: sum `g` back to the input's shape
#      (chapter 02: the engine undoes broadcasting, and here you are the engine) and add it
#      into `child`'s sum.
# 3. Run the whole loop inside `with engine.no_grad():`. Then the nodes' backward formulas
#    work on raw arrays, as the engine's do, and nothing the loop computes is recorded.
#
# Two helpers are given. `sum_to_shape(g, shape)` (imported at the top) sums `g` over
# broadcast dimensions down to `shape`. `input_shapes(node)` returns the shapes the engine
# noted for a node's inputs when it recorded the operation, one per entry of
# `next_functions`; it reads the engine's private bookkeeping, which is why it is given.
#
# The real engine adds a few things to this loop (hooks, several outputs per node,
# `create_graph`, freeing saved tensors), but the loop you write is its core.
#
# What the loop meets on the lab's graph, node by node, and what `sum_to_shape` does to a
# gradient of shape $(2, 3)$:

# %%
w = engine.tensor(2.0, requires_grad=True)
loss = (w * 3 - 10) ** 2
for node in engine.viz.execution_order(loss):
    if isinstance(node, AccumulateGrad):
        print(f"{node.name():15} adds the sum it received into the .grad of {node.variable}")
    else:
        print(f"{node.name():15} runs node.apply(sum) and passes the results on")

g = np.ones((2, 3))
print("sum_to_shape(g, (3,)):  ", sum_to_shape(g, (3,)))
print("sum_to_shape(g, (2, 1)):", sum_to_shape(g, (2, 1)).tolist())
print("sum_to_shape(g, ()):    ", sum_to_shape(g, ()))

# %% [markdown]
# ### Exercise 2: `run_backward`
#
# Engine piece: `run_backward`
#
# Write `run_backward(loss)`: `loss` is a one-element tensor computed from leaves that
# require grad (it has a `grad_fn`). Add $\partial\,\text{loss} / \partial\,\text{leaf}$ into
# the `.grad` of every leaf it depends on, using your `topological_order`. Do not call
# `loss.backward()`: while the check runs, the engine's own backward is switched off.

# %% nbgrader={"grade_id": "run-backward", "solution": true} gradbook={"piece": "run_backward"}
def input_shapes(node):
    """The shapes of `node`'s inputs, one per entry of node.next_functions (given)."""
    return [meta[0] if meta is not None else None
            for meta, edge in zip(node._input_meta, node._edges) if edge is not None]


def run_backward(loss):
    """Add the gradient of `loss` into the .grad of every leaf it depends on."""
    ### BEGIN SOLUTION
    grads = {loss.grad_fn: np.ones_like(loss.detach().numpy())}
    with engine.no_grad():
        for node in topological_order([loss.grad_fn]):
            grad = grads.pop(node, None)
            if grad is None:
                continue
            if isinstance(node, AccumulateGrad):
                leaf = node.variable
                if leaf.grad is None:
                    leaf.grad = engine.tensor(grad)
                else:
                    leaf.grad += grad
                continue
            outputs = node.apply(grad)
            if not isinstance(outputs, tuple):
                outputs = (outputs,)
            for (child, _), g, shape in zip(node.next_functions, outputs, input_shapes(node)):
                if child is None or g is None:
                    continue
                g = sum_to_shape(g, shape)
                grads[child] = grads[child] + g if child in grads else g
    ### END SOLUTION


# %% nbgrader={"grade_id": "run-backward-check", "grade": true, "points": 4} gradbook={"checks": "run_backward"}
check.run_backward(run_backward)
### BEGIN HIDDEN TESTS
def _random_loss(seed):
    _rng = np.random.default_rng(100 + seed)
    _leaves = [engine.tensor(_rng.standard_normal(3), dtype=engine.float64, requires_grad=True)
               for _ in range(2)]
    _leaves.append(engine.tensor(_rng.standard_normal(), dtype=engine.float64,
                                 requires_grad=True))
    _values = list(_leaves) + [engine.tensor(_rng.standard_normal((2, 1)),
                                             dtype=engine.float64)]
    for _ in range(25):
        _p, _q = (_values[int(_rng.integers(len(_values)))] for _ in range(2))
        _kind = int(_rng.integers(5))
        _values.append([_p * _q, _p + _q, _p - _q, (_p * 0.5).tanh(), _p.exp() * 0.1][_kind])
    _loss = sum(_v.sum() for _v in _values[-5:] if _v.requires_grad) + _leaves[2] * 0.0
    return _loss, _leaves


for _seed in range(6):
    _want_loss, _want = _random_loss(_seed)
    _want_loss.backward()
    _got_loss, _got = _random_loss(_seed)
    run_backward(_got_loss)
    for _w, _g in zip(_want, _got):
        assert (_w.grad is None) == (_g.grad is None), _seed
        if _w.grad is not None:
            assert _g.grad.shape == _w.grad.shape and not _g.grad.requires_grad, _seed
            assert np.allclose(_g.grad.numpy(), _w.grad.numpy(), rtol=1e-10, atol=1e-12), _seed
_m = engine.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
_loss = (_m.sum(0) * engine.tensor([[1.0], [2.0]])).mean()
run_backward(_loss)
assert np.allclose(_m.grad.numpy(), [[0.75, 0.75], [0.75, 0.75]])
### END HIDDEN TESTS

# %% [markdown]
# Your loop on the two examples of this chapter, next to the engine's answers ($-24$ and
# $10$):

# %% tags=["uses-your-code"]
w = engine.tensor(2.0, requires_grad=True)
run_backward((w * 3 - 10) ** 2)
print("w.grad:", w.grad.item())

x = engine.tensor(1.0, requires_grad=True)
y = x * 2
run_backward(y * y + y)
print("x.grad:", x.grad.item())

# %% [markdown]
# ## 6. After backward, the graph is freed
#
# Some nodes keep values for their backward: `PowBackward0` in the lab saved its input
# $u = -4$, since its derivative is $2u$. The picture shows saved values in orange:

# %%
w = engine.tensor(2.0, requires_grad=True)
loss = (w * 3 - 10) ** 2
engine.viz.draw(loss, show_saved=True)

# %% [markdown]
# In a real network those saved values (the activations of every layer) take most of the
# memory of training. So as soon as a node has run, the engine frees what it saved.
# A second `backward()` through the same graph then cannot work, and says so, in PyTorch's
# words:

# %%
loss.backward()
try:
    loss.backward()
except RuntimeError as err:
    print("RuntimeError:", err)
engine.viz.draw(loss, show_saved=True)

# %% [markdown]
# Normally that is no loss at all: each training step runs a fresh forward pass, which
# records a fresh graph. When you do need to go through one graph twice, ask the first
# `backward()` to keep it with `retain_graph=True`. The second pass then adds its gradient
# to the first (they accumulate): $-24 + (-24) = -48$.

# %%
w = engine.tensor(2.0, requires_grad=True)
loss = (w * 3 - 10) ** 2
loss.backward(retain_graph=True)
print("after the first backward: ", w.grad.item())
loss.backward()
print("after the second backward:", w.grad.item())

# %% [markdown]
# Only saved values are freed, so a graph whose nodes saved nothing at all, such as
# `(x + 1).sum()` (the derivative of an addition needs no values), can in fact be walked
# twice without `retain_graph`, in PyTorch too. Do not rely on it: write `retain_graph=True`
# whenever you mean to go back through a graph.

# %% [markdown]
# ## Practice quiz
#
# Pick an answer and press **Check**. These are not graded.

# %%
quiz.practice([
    {
        "q": "L = (2w + 1)**2 at w = 1. The gradient arriving at the MulBackward0 node of 2w "
             "is 6. What does that node pass to w's AccumulateGrad?",
        "choices": ["6", "12", "3", "36"],
        "answer": 1,
        "explain": "It multiplies what arrives by its local derivative, d(2w)/dw = 2: "
                   "6 * 2 = 12, which is dL/dw = 2(2w + 1) * 2 at w = 1.",
    },
    {
        "q": "Why does a node wait until every gradient meant for it has arrived?",
        "choices": [
            "To save memory",
            "Its backward must get the total gradient of its output; running on a partial sum "
            "passes a wrong gradient on",
            "Because nodes can only run once per second",
            "It does not wait: each gradient is passed on as soon as it arrives",
        ],
        "answer": 1,
        "explain": "A node's backward multiplies the gradient of its output by its local "
                   "derivative. The gradient of its output is the sum over every use, so the "
                   "sum must be complete: that is what the topological order guarantees.",
    },
    {
        "q": "Right after loss.backward(), what has changed?",
        "choices": ["The parameters moved against their gradients",
                    "The leaves' .grad hold the gradients; the parameters are unchanged",
                    "The loss is now smaller", "Nothing, until an optimizer runs"],
        "answer": 1,
        "explain": "backward only computes gradients and adds them into .grad. Moving the "
                   "parameters is a separate step: your update, or an optimizer's.",
    },
    {
        "q": "Why does a second loss.backward() through the same graph raise an error?",
        "choices": [
            "Gradients may only be computed once per tensor",
            "The values the nodes saved for backward were freed by the first backward",
            "The loss was set to zero",
            "The leaves' .grad must be zeroed first",
        ],
        "answer": 1,
        "explain": "To save memory the engine frees each node's saved values once it has "
                   "run. Recompute the forward pass, or pass retain_graph=True to the first "
                   "backward if you really need the graph twice.",
    },
])

# %% [markdown]
# ## Graded quiz
#
# Record your answers in the cell below, as letters. They are graded when you hand in the
# notebook; nothing here tells you whether they are right.
#
# **q1.** `x = engine.tensor(3.0, requires_grad=True)`, `y = x * x + x`, `y.backward()`.
# What is `x.grad`?
# a) 6  b) 7  c) 9  d) 1
#
# **q2.** With `a = x * 2` and `d = a.exp().exp() + a`, the backward graph of `d` has the
# nodes A (`AddBackward0`), E2 (the outer `exp`), E1 (the inner `exp`), M (`MulBackward0` of
# `a`) and G (`x`'s `AccumulateGrad`). Which is a valid order for backward?
# a) A, M, E2, E1, G  b) A, E2, E1, M, G  c) G, M, E1, E2, A  d) A, E2, M, E1, G
#
# **q3.** `w = engine.tensor(2.0, requires_grad=True)`, `loss = (w * 3 - 10) ** 2`,
# `loss.backward()`. What are `w` and `w.grad` now?
# a) 4.4 and -24  b) 2.0 and -24  c) 2.0 and None  d) -22.0 and -24
#
# **q4.** With a fresh `w = engine.tensor(2.0, requires_grad=True)` and
# `loss = (w * 3 - 10) ** 2`, you call `loss.backward(retain_graph=True)` and then
# `loss.backward()`. What is `w.grad` after both?
# a) -24  b) -48  c) 0  d) a RuntimeError is raised by the second call

# %% nbgrader={"grade_id": "quiz-answers", "solution": true} gradbook={"quiz": "answers", "stub": ""}
# Put the letter of your choice ("a", "b", "c" or "d") in place of each None.
answers = {"q1": None, "q2": None, "q3": None, "q4": None}
### BEGIN SOLUTION
answers = {"q1": "b", "q2": "b", "q3": "b", "q4": "b"}
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
# Time to put the pieces together. The operations come from your chapter 02 notebook (as
# last saved, next to this one): where your `Mul` or `Add` is written and passes its check it
# is used, otherwise the engine's own stands in, and the next cell says which.

# %%
ops = check.ops_from_chapter_02()

# %% [markdown]
# Chapter 01's line fit once more, with a choice of backward pass:

# %%
xs = engine.tensor([1.0, 2.0, 3.0, 4.0])
ys = engine.tensor([3.0, 5.0, 7.0, 9.0])


def two_parameter_fit(backward=None, epochs=201, lr=0.05):
    """Chapter 01's line fit, with `backward(loss)` in place of loss.backward() if given."""
    w = engine.tensor(0.0, requires_grad=True)
    b = engine.tensor(0.0, requires_grad=True)
    lines = ["two_parameter_fit"]
    for epoch in range(epochs):
        loss = ((w * xs + b - ys) ** 2).mean()
        if backward is None:
            loss.backward()
        else:
            backward(loss)
        with engine.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        if epoch % 50 == 0:
            lines.append(f"epoch={epoch:3d} loss={loss.item():.4f} "
                         f"w={w.item():.4f} b={b.item():.4f}")
        w.grad.zero_()
        b.grad.zero_()
    return lines


engines_own = two_parameter_fit()

# %% [markdown]
# First, the engine's backward loop running on your operations and **your order**: inside
# `engine.substitute(...)`, every `loss.backward()` asks your `topological_order` which node
# to run next.

# %% tags=["uses-your-code"]
with engine.substitute(topological_order=topological_order, **ops):
    yours = two_parameter_fit()
print("\n".join(yours))
print()
print("the same lines as the engine's own:", yours == engines_own)

# %% [markdown]
# Then with **your loop** as well: `run_backward` replaces `loss.backward()` altogether. Now
# the forward pass runs your `Mul` and `Add`, and the backward pass is your loop, walking
# your order and calling your operations' `backward`.

# %% tags=["uses-your-code"]
with engine.substitute(**ops):
    all_yours = two_parameter_fit(backward=run_backward)
print("\n".join(all_yours))
print()
print("the same lines as the engine's own:", all_yours == engines_own)

# %% [markdown]
# And the step-through pictures of one loss of that loop, in the order your
# `topological_order` gives:

# %% tags=["uses-your-code"]
with engine.substitute(topological_order=topological_order, **ops):
    w = engine.tensor(0.0, requires_grad=True)
    b = engine.tensor(0.0, requires_grad=True)
    loss = ((w * xs + b - ys) ** 2).mean()
    engine.viz.show_steps(loss)

# %% [markdown]
# To run the engine's own tests of the backward pass (gradients that accumulate, graphs used
# twice, a 100,000-operation chain, training a small network and comparing with PyTorch)
# with your `topological_order` deciding the order, save this notebook and run in a terminal:
#
# ```
# gradbook my-engine course/03-backward-and-grad.ipynb
# ```
#
# `gradbook my-engine` with no argument goes through every chapter's notebook in `course/`
# and reports how much of the engine is yours, and whether it passes.
