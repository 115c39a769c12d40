# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · requires_grad and the recorded graph
#
# In chapter 01 a single call, `loss.backward()`, produced the slope $-24$. It could do that
# because the engine had been taking notes all along: while the forward pass ran, every
# operation on a tensor marked `requires_grad=True` left an entry in a record. That record is
# the **backward graph**, and this chapter is about it: what it contains, how to read it, and
# how an operation writes itself into it.
#
# In this chapter you will:
#
# - switch recording on with `requires_grad`, and see why only floating-point tensors can
#   ask for it;
# - read the record: leaves, `grad_fn`, `next_functions`, `AccumulateGrad`, and draw it;
# - write multiplication the way the engine writes its own operations (**exercise 1**, `Mul`)
#   and then addition (**exercise 2**, `Add`);
# - write the rule that connects a new node to the graph (**exercise 3**, `edges_for`);
# - train chapter 01's line fit on your own `Mul` and `Add`.
#
# **How this notebook works** (as in chapter 01): run the cells from top to bottom. In an
# exercise cell, replace `raise NotImplementedError()` with your code and run it; the check
# right below prints ✓, or tells you which case failed, its input, the expected value, what
# your code gave and a hint. `gradbook check course/02-the-recorded-graph.ipynb` runs every
# check from a terminal.

# %%
import numpy as np

import engine
import engine.viz
from engine import Tensor
from engine.autograd import ArrayFunction
from engine.autograd.graph import AccumulateGrad, accumulator_of
from graders import quiz
from graders.checks import ch02 as check

# %% [markdown]
# ## 1. Switching the recording on
#
# A tensor is created with `requires_grad=False`: the engine computes with it and remembers
# nothing. Passing `requires_grad=True` says "I will want gradients with respect to this
# tensor", and from then on every result computed from it carries a note of how it was made.

# %%
x = engine.tensor(3.0, requires_grad=True)
y = x**2 + 1
print(x)
print(y)

# %% [markdown]
# The value of `y` is $3^2 + 1 = 10$, and its printout ends in `grad_fn=<AddBackward0>`:
# `y` came out of an addition, and `grad_fn` is the node of the backward graph that knows how
# to send a gradient back through that addition. (The names are PyTorch's; the `0` tells
# apart variants of an operation.)
#
# The flag spreads: a result requires grad as soon as **one** of its inputs does. Without it,
# the same arithmetic records nothing:

# %%
c = engine.tensor(3.0)
d = c**2 + 1
print(d, "| requires_grad:", d.requires_grad, "| grad_fn:", d.grad_fn)

# %% [markdown]
# **Only floating-point tensors can require gradients.** A derivative asks what happens when
# a value moves by a tiny amount, and an integer cannot move by a tiny amount: there is
# nothing between 3 and 4. The engine refuses with PyTorch's own message:

# %%
try:
    engine.tensor(3, requires_grad=True)
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# `3` is an integer, so the tensor gets an integer dtype. Write `3.0` (or pass
# `dtype=engine.float32`) and it works. Turning the flag on later with `requires_grad_()` meets
# the same rule, in slightly different words, as in PyTorch:

# %%
try:
    engine.tensor([1, 2, 3]).requires_grad_()
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# ## 2. Leaves and `grad_fn`
#
# Tensors come in two kinds:
#
# - a **leaf** is a tensor you made yourself (with `engine.tensor`, `engine.zeros`, ...).
#   It was not computed by a recorded operation, so its `grad_fn` is `None`. Parameters are
#   leaves; so are inputs and constants.
# - a **non-leaf** is the result of a recorded operation. Its `grad_fn` is the node that
#   operation left in the graph.
#
# After `backward()`, gradients are stored in `.grad` only for leaves that require grad:
# those are the numbers training adjusts. Gradients pass *through* non-leaves on their way
# down, without being kept.

# %%
for name, t in [("x", x), ("c", c), ("y", y)]:
    print(f"{name}: requires_grad={t.requires_grad!s:5}  is_leaf={t.is_leaf!s:5}  "
          f"grad_fn={t.grad_fn}")

# %% [markdown]
# | tensor | requires_grad | is_leaf | grad_fn | `.grad` after backward |
# |---|---|---|---|---|
# | `x = engine.tensor(3.0, requires_grad=True)` | True | True | None | the gradient |
# | `c = engine.tensor(3.0)` | False | True | None | stays None |
# | `y = x**2 + 1` | True | False | `AddBackward0` | not kept |

# %% [markdown]
# ## 3. Following `next_functions`
#
# A node knows where the gradients it computes must go next. `node.next_functions` holds one
# pair `(node, output_nr)` per input of the operation:
#
# - for an input that was itself computed, the pair points to that input's `grad_fn`;
#   `output_nr` says which output of that node the input was (nearly always `0`: most
#   operations have one output);
# - for a leaf that requires grad, it points to an **`AccumulateGrad`** node, whose only job
#   is to add the gradient that arrives into the leaf's `.grad` (`node.variable` is the leaf);
# - for an input that needs no gradient (a constant tensor, a plain number), it is
#   `(None, 0)`: the gradient stops there.

# %%
print("y.grad_fn:               ", y.grad_fn)
print("y.grad_fn.next_functions:", y.grad_fn.next_functions)

power = y.grad_fn.next_functions[0][0]
print("power.next_functions:    ", power.next_functions)

accumulate = power.next_functions[0][0]
print("accumulate.variable is x:", accumulate.variable is x)
print("accumulator_of(x) is the same node:", accumulator_of(x) is accumulate)

# %% [markdown]
# `AddBackward0` has two entries: the result of `x**2` (a `PowBackward0` node) and the
# constant `1`, which gets `(None, 0)`. `PowBackward0` has a single entry: the exponent `2`
# is part of the operation, not an input that could receive a gradient (PyTorch lists it the
# same way). Below it sits `x`'s `AccumulateGrad`, which `accumulator_of(x)` also returns
# (section 6 comes back to it).
#
# Following `next_functions` from a node down to the leaves visits the whole graph. A few
# lines print it:

# %%
def print_graph(node, indent=""):
    """Print the backward graph below `node`, one node per line."""
    if isinstance(node, AccumulateGrad):
        shape = tuple(node.variable.shape)
        print(f"{indent}AccumulateGrad  (adds into the .grad of a leaf of shape {shape})")
        return
    print(indent + node.name())
    for child, _output_nr in node.next_functions:
        if child is None:
            print(indent + "    (None, 0)  no gradient goes here")
        else:
            print_graph(child, indent + "    ")


print_graph(y.grad_fn)

# %% [markdown]
# ### The graph of the code that ran
#
# The record is made as the code runs, so it follows the path the code actually took, `if`
# statements and loops included. In the function below, a positive input takes the first
# branch, and the graph recorded is the chain $x \to \times 2 \to \times 3 \to \text{sum}$:

# %%
def f(x):
    y = x * 2
    if y.sum() > 0:
        y = y * 3
    else:
        y = y - 100
    return y.sum()


x = engine.tensor([1.0, 2.0], requires_grad=True)
s = f(x)
print(s)
print_graph(s.grad_fn)

# %% [markdown]
# The engine draws the same graph. Read it from the output at the top down to the leaf at the
# bottom: each grey box is a node, each arrow an entry of its `next_functions`, and a dashed
# "no grad" arrow a `(None, 0)` entry (here the constants `2` and `3`).

# %%
engine.viz.draw(s)

# %% [markdown]
# A negative input takes the other branch, and a different graph is recorded:

# %%
print_graph(f(engine.tensor([-1.0, -2.0], requires_grad=True)).grad_fn)

# %% [markdown]
# Here is the first chain again, written out line by line so that every tensor in it has a
# name. Each factor multiplies the slope, so $\partial s / \partial x_i = 2 \cdot 3 = 6$ for
# both entries, and `backward()` agrees. The "values" picture (micrograd's style) shows each
# tensor with its data and its gradient: only the leaf `x` keeps one, the others say
# "not retained" (section 2).

# %%
x = engine.tensor([1.0, 2.0], requires_grad=True)
y = x * 2
z = y * 3
s = z.sum()
s.backward()
print("x.grad:", x.grad)
engine.viz.draw(s, view="values")

# %% [markdown]
# **One leaf, one accumulator.** A leaf used twice still has a single `AccumulateGrad`: both
# entries of `next_functions` below are the same object. Gradients from every use of a leaf
# meet there and are added up (chapter 03 looks at that sum closely).

# %%
a = engine.tensor(2.0, requires_grad=True)
p = a * a
first, second = p.grad_fn.next_functions
print(p.grad_fn.next_functions)
print("the same node:", first[0] is second[0])

# %% [markdown]
# ## 4. How an operation writes itself into the graph
#
# Every operation of the engine is a small class with two static methods, PyTorch's
# `autograd.Function` pattern:
#
# - `forward(ctx, *inputs)` computes the result. An engine op receives **raw NumPy arrays**
#   (not tensors) and returns an array.
# - `backward(ctx, grad_output)` receives the gradient of the loss with respect to the output
#   ($\partial L / \partial \text{out}$, shaped like the output) and returns one gradient per
#   input ($\partial L / \partial \text{input}$). By the chain rule, each is `grad_output`
#   times the derivative of the output with respect to that input.
# - `ctx` is the node itself. In `forward`, `ctx.save_for_backward(...)` keeps what `backward`
#   will need; in `backward`, `ctx.saved_tensors` gives it back.
#
# You never call `forward` yourself: `Op.apply(...)` does. `apply` first looks at the inputs.
# If none requires grad, it runs `forward` and wraps the result, and that is all: nothing is
# recorded. Otherwise it also makes the node, runs `forward(node, ...)`, links the node to
# the nodes of its inputs (the `next_functions` you just read), and gives the result that
# node as its `grad_fn`.
#
# Here is the exponential written that way. Its derivative is itself, $\frac{d}{da} e^a =
# e^a$, so `forward` saves its own result for `backward`:

# %%
class MyExp(ArrayFunction):
    """e ** a, recorded."""

    @staticmethod
    def forward(ctx, a):
        result = np.exp(a)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        (result,) = ctx.saved_tensors
        return grad_output * result


x = engine.tensor([0.0, 1.0, 2.0], requires_grad=True)
y = MyExp.apply(x)
print(y)
print(y.grad_fn.next_functions)

y.sum().backward()
print("x.grad:", x.grad, "(equal to e ** x)")

# %% [markdown]
# The node is named after the class: `MyExpBackward`. (The engine's built-in operations carry
# PyTorch's exact names, such as `ExpBackward0`.)
#
# **Why `backward` uses only Python operators.** Normally `backward` runs on raw arrays. But
# the backward pass can itself be recorded, to differentiate a gradient (a second
# derivative): pass `create_graph=True`, and the engine calls the very same `backward` on
# tensors. `grad_output * result` works on both; `np.multiply(grad_output, result)` would
# work on arrays only. With operators, higher derivatives come for free:

# %%
x = engine.tensor(1.0, requires_grad=True)
(first,) = engine.autograd.grad(MyExp.apply(x), x, create_graph=True)
(second,) = engine.autograd.grad(first, x)
print("first derivative: ", first)
print("second derivative:", second)

# %% [markdown]
# Both are $e^1 \approx 2.7183$. The first derivative has a `grad_fn`: the multiplication
# inside `MyExp.backward` was recorded, so it could be differentiated again.
#
# ### Exercise 1: `Mul`
#
# Engine piece: `Mul`
#
# Write multiplication the engine's way. `forward(ctx, a, b)` receives two raw arrays (or an
# array and a Python number, as in `x * 2.5`) and returns their product; save what
# `backward` needs with `ctx.save_for_backward(...)`. `backward(ctx, grad_output)` returns a
# tuple of two gradients, for `a` and for `b` in that order. The derivatives are
# $\partial (ab) / \partial a = b$ and $\partial (ab) / \partial b = a$; multiply each by
# `grad_output`. Use Python operators only.
#
# The check puts your class into the engine in place of its own `Mul`
# (`with engine.substitute(Mul=Mul): ...`, so that `a * b` runs your code) and compares the
# result and both gradients with the engine's built-in `Mul` on several shapes.

# %% nbgrader={"grade_id": "mul", "solution": true} gradbook={"piece": "Mul"}
class Mul(ArrayFunction):
    """a * b, recorded: the engine's multiplication."""

    @staticmethod
    def forward(ctx, a, b):
        ### BEGIN SOLUTION
        ctx.save_for_backward(a, b)
        return a * b
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad_output):
        ### BEGIN SOLUTION
        a, b = ctx.saved_tensors
        return grad_output * b, grad_output * a
        ### END SOLUTION


# %% nbgrader={"grade_id": "mul-check", "grade": true, "points": 3} gradbook={"checks": "Mul"}
check.Mul(Mul)
### BEGIN HIDDEN TESTS
from engine.ops import binary as _binary

_rng = np.random.default_rng(2)
for _sa, _sb in [((2, 1, 3), (4, 1)), ((5,), (3, 1)), ((), (2, 2)), ((3, 4), ())]:
    _a0, _b0 = _rng.standard_normal(_sa), _rng.standard_normal(_sb)
    _g0 = _rng.standard_normal(np.broadcast_shapes(_sa, _sb))
    _runs = []
    for _op in (Mul, _binary.Mul):
        _a = engine.tensor(_a0, requires_grad=True)
        _b = engine.tensor(_b0, requires_grad=True)
        with engine.substitute(Mul=_op):
            _out = _a * _b
            _out.backward(engine.tensor(_g0))
        _runs.append([_out.detach().numpy(), _a.grad.numpy(), _b.grad.numpy()])
    for _got, _want in zip(*_runs):
        assert _got.shape == _want.shape and np.allclose(_got, _want, rtol=1e-12, atol=1e-12)
_x = engine.tensor([1.0, -2.0], requires_grad=True)
with engine.substitute(Mul=Mul):
    _y = _x * _x * 0.5
assert _y.dtype == engine.float32 and type(_y.grad_fn).__name__ == "MulBackward"
_y.sum().backward()
assert _x.grad.tolist() == [1.0, -2.0]
### END HIDDEN TESTS

# %% [markdown]
# Your `Mul` inside the engine: the chain from section 3, run on your class. The picture
# shows your nodes, named `MulBackward` after your class.

# %% tags=["uses-your-code"]
with engine.substitute(Mul=Mul):
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    s = f(x)
    s.backward()
print("x.grad:", x.grad)
engine.viz.draw(s)

# %% [markdown]
# ## 5. Broadcasting is undone by the engine
#
# Multiply a $2 \times 3$ matrix `a` by a vector `b` of 3 numbers and NumPy *broadcasts*:
# `b` is reused for both rows, and the output is $2 \times 3$. Your `backward` returned
# `grad_output * a` for `b`, a $2 \times 3$ array. Yet `b.grad` must have `b`'s shape, 3
# numbers: each `b[j]` was used once per row, so its gradient is the **sum** of that column.
#
# Your `backward` did not have to do that sum, and should not: the engine does it. When
# `apply` records an operation, it notes the shape of every input; when a `backward` returns
# a gradient shaped like the output, the engine sums it over the broadcast dimensions, back
# to the input's shape. Doing it in one place means
#
# - every operation's `backward` stays the plain derivative, the same formula whatever the
#   shapes;
# - the rule is written, and tested, once, not in every operation (where a single forgotten
#   sum would be a silent bug);
# - operations written later, including your own custom ones, get it for free.
#
# Here is your `Mul` on broadcast shapes; `b.grad` is the column sums of `a`:

# %% tags=["uses-your-code"]
a = engine.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
b = engine.tensor([10.0, 20.0, 30.0], requires_grad=True)
with engine.substitute(Mul=Mul):
    (a * b).sum().backward()
print("a.grad:\n", a.grad)
print("b.grad:", b.grad)

# %% [markdown]
# The engine's helper for this is `sum_to_shape(gradient, shape)`, in
# `engine.autograd.engine_loop`; chapter 03's backward loop uses it.

# %% [markdown]
# ### Exercise 2: `Add`
#
# Engine piece: `Add`
#
# Write addition the same way. The derivatives of $a + b$ are $1$ with respect to both
# inputs, so the gradient that arrives passes on unchanged to each. Nothing needs saving.
# As before, return gradients shaped like the output and let the engine undo broadcasting.

# %% nbgrader={"grade_id": "add", "solution": true} gradbook={"piece": "Add"}
class Add(ArrayFunction):
    """a + b, recorded: the engine's addition."""

    @staticmethod
    def forward(ctx, a, b):
        ### BEGIN SOLUTION
        return a + b
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad_output):
        ### BEGIN SOLUTION
        return grad_output, grad_output
        ### END SOLUTION


# %% nbgrader={"grade_id": "add-check", "grade": true, "points": 2} gradbook={"checks": "Add"}
check.Add(Add)
### BEGIN HIDDEN TESTS
from engine.ops import binary as _binary

_rng = np.random.default_rng(3)
for _sa, _sb in [((2, 1, 3), (4, 1)), ((1,), (3, 2)), ((), (2, 2))]:
    _a0, _b0 = _rng.standard_normal(_sa), _rng.standard_normal(_sb)
    _g0 = _rng.standard_normal(np.broadcast_shapes(_sa, _sb))
    _runs = []
    for _op in (Add, _binary.Add):
        _a = engine.tensor(_a0, requires_grad=True)
        _b = engine.tensor(_b0, requires_grad=True)
        with engine.substitute(Add=_op):
            _out = _a + _b
            _out.backward(engine.tensor(_g0))
        _runs.append([_out.detach().numpy(), _a.grad.numpy(), _b.grad.numpy()])
    for _got, _want in zip(*_runs):
        assert _got.shape == _want.shape and np.allclose(_got, _want, rtol=1e-12, atol=1e-12)
_x = engine.tensor([1.0, -2.0], requires_grad=True)
with engine.substitute(Add=Add):
    _y = 1.5 + _x + _x
assert _y.tolist() == [3.5, -2.5] and type(_y.grad_fn).__name__ == "AddBackward"
_y.sum().backward()
assert _x.grad.tolist() == [2.0, 2.0]
### END HIDDEN TESTS

# %% [markdown]
# ## 6. How `apply` links a new node
#
# One step of recording is left: giving the new node its `next_functions`, the edges along
# which its gradients will travel. `apply` makes one edge per argument of the operation,
# following the three cases of section 3:
#
# | the argument | its edge |
# |---|---|
# | a tensor that requires grad and has a `grad_fn` (a computed result) | `(t.grad_fn, t.output_nr)` |
# | a leaf tensor that requires grad | `(accumulator_of(t), 0)` |
# | anything else: a tensor that does not require grad, a Python number | `(None, 0)` |
#
# `t.output_nr` is the position of `t` among the outputs of the node that made it: `0` for a
# one-output operation, `1` for the second output of a node with two, and so on.
#
# `accumulator_of(t)` returns the leaf's `AccumulateGrad` node, creating it the first time.
# There must be exactly one per leaf, shared by every operation that uses the leaf (that is
# where their gradients are added up), so do not create `AccumulateGrad(t)` yourself:
# `accumulator_of` finds the one that already exists.
#
# ### Exercise 3: `edges_for`
#
# Engine piece: `edges_for`
#
# Write `edges_for(args)`: given the arguments of an operation, as `apply` receives them (a
# tuple of tensors and numbers), return a list with one `(node, output_nr)` pair per
# argument, in order. The check compares your list with the `next_functions` of the node the
# engine records for `Mul.apply(*args)`: the very same node objects, and the same numbers.
# `Tensor` and `accumulator_of` are imported at the top of the notebook; here is what they
# tell you:

# %%
x = engine.tensor([1.0, 2.0], requires_grad=True)
y = x * 2
print("y is a Tensor:", isinstance(y, Tensor), "| 3.0 is a Tensor:", isinstance(3.0, Tensor))
print("y.requires_grad:", y.requires_grad, "| y.output_nr:", y.output_nr)
print("accumulator_of(x) is the node y's edge leads to:",
      accumulator_of(x) is y.grad_fn.next_functions[0][0])

# %% nbgrader={"grade_id": "edges-for", "solution": true} gradbook={"piece": "edges_for"}
def edges_for(args):
    """One (node, output_nr) pair per argument: where its gradient goes."""
    edges = []
    ### BEGIN SOLUTION
    for arg in args:
        if isinstance(arg, Tensor) and arg.requires_grad:
            if arg.grad_fn is not None:
                edges.append((arg.grad_fn, arg.output_nr))
            else:
                edges.append((accumulator_of(arg), 0))
        else:
            edges.append((None, 0))
    ### END SOLUTION
    return edges


# %% nbgrader={"grade_id": "edges-for-check", "grade": true, "points": 3} gradbook={"checks": "edges_for"}
check.edges_for(edges_for)
### BEGIN HIDDEN TESTS
import itertools

from engine.ops import binary as _binary


class _Pair(engine.autograd.Function):
    @staticmethod
    def forward(ctx, t):
        return t + 1, t - 1

    @staticmethod
    def backward(ctx, g0, g1):
        return g0 + g1


_leaf = engine.tensor([1.0, 2.0], requires_grad=True)
_other = engine.tensor([3.0, 4.0], requires_grad=True)
_kinds = {
    "leaf": _leaf,
    "other leaf": _other,
    "result": _leaf * _other,
    "second output": _Pair.apply(_other)[1],
    "constant": engine.tensor([5.0, 6.0]),
    "number": 7.0,
    "integer": 2,
}
for (_n1, _p), (_n2, _q) in itertools.product(_kinds.items(), repeat=2):
    if not any(isinstance(_t, Tensor) and _t.requires_grad for _t in (_p, _q)):
        continue
    _want = _binary.Mul.apply(_p, _q).grad_fn.next_functions
    _got = edges_for((_p, _q))
    assert len(_got) == 2, (_n1, _n2)
    for (_wn, _wk), (_gn, _gk) in zip(_want, _got):
        assert _gn is _wn and _gk == _wk, (_n1, _n2)
_three = edges_for((_leaf, 1.0, _kinds["second output"]))
assert [_k for _, _k in _three] == [0, 0, 1] and _three[1][0] is None
### END HIDDEN TESTS

# %% [markdown]
# Your rule next to the engine's, on the result of an operation and a number:

# %% tags=["uses-your-code"]
x = engine.tensor([1.0, 2.0], requires_grad=True)
y = x * 2
print("edges_for((y, 3.0)):       ", edges_for((y, 3.0)))
print("(y * 3.0) next_functions:  ", (y * 3.0).grad_fn.next_functions)

# %% [markdown]
# Recording is now complete: `apply` runs your `forward` on raw arrays, keeps what it saved,
# and links the new node with edges like yours. Everything `backward()` will need is in the
# graph; chapter 03 walks it.

# %% [markdown]
# ## Practice quiz
#
# Pick an answer and press **Check**. These are not graded.

# %%
quiz.practice([
    {
        "q": "c = engine.tensor([1.0, 2.0]) and d = c * 2. What is d.grad_fn?",
        "choices": ["MulBackward0", "AccumulateGrad", "None", "An error: c must require grad"],
        "answer": 2,
        "explain": "No input of the multiplication requires grad, so apply runs forward and "
                   "records nothing: d has no grad_fn and does not require grad either.",
    },
    {
        "q": "a is a leaf that requires grad, and p = a * a. How many AccumulateGrad nodes "
             "does p's graph contain?",
        "choices": ["None", "One, listed twice in p.grad_fn.next_functions", "Two, one per use",
                    "One per element of a"],
        "answer": 1,
        "explain": "A leaf has a single AccumulateGrad (accumulator_of returns the same one "
                   "every time). Both edges of MulBackward0 point to it, and the two "
                   "gradients are added there.",
    },
    {
        "q": "Why should an op's backward be written with Python operators rather than NumPy "
             "functions such as np.multiply?",
        "choices": [
            "Operators are faster",
            "With create_graph=True the same backward runs on tensors, and operators work "
            "on both arrays and tensors",
            "NumPy functions cannot handle broadcasting",
            "The engine forbids importing NumPy in a notebook",
        ],
        "answer": 1,
        "explain": "Normally backward gets raw arrays; when the backward pass is recorded (for "
                   "a second derivative) it gets tensors. Operators dispatch to the engine's "
                   "ops on tensors, so the backward itself is recorded.",
    },
    {
        "q": "In a * b, a has shape (2, 3) and b has shape (3,). What shape should Mul's "
             "backward return for b?",
        "choices": ["(3,): backward sums over the rows", "(2, 3), the output's shape: the "
                    "engine sums it back to (3,)", "(1, 3)", "(2,)"],
        "answer": 1,
        "explain": "backward returns grad_output * a, shaped like the output. The engine noted "
                   "b's shape when it recorded the op, and sums the gradient back to it.",
    },
])

# %% [markdown]
# ## Graded quiz
#
# Record your answers in the cell below, as letters. They are graded when you hand in the
# notebook; nothing here tells you whether they are right.
#
# **q1.** `x = engine.tensor(2.0, requires_grad=True)`, `y = x * 3`, `z = y + 1`. What is
# `z.grad_fn.next_functions`?
# a) `((<AccumulateGrad>, 0), (None, 0))`  b) `((<MulBackward0>, 0), (None, 0))`
# c) `((<MulBackward0>, 0), (<AccumulateGrad>, 0))`  d) `()`
#
# **q2.** `w = engine.tensor([1.0, 2.0], requires_grad=True)` and `v = w * 2`. Which statement
# is true?
# a) `v.is_leaf` is True  b) `w.grad_fn` is an `AccumulateGrad` node
# c) `w.is_leaf` is True and `v.grad_fn` is a `MulBackward0` node  d) `v.requires_grad` is False
#
# **q3.** What happens on `engine.tensor([1, 2, 3], requires_grad=True)`?
# a) a RuntimeError: only tensors of a floating-point (or complex) dtype can require gradients
# b) it works, and gradients will be rounded to integers
# c) the values are converted to floats silently  d) it works until `backward()` is called
#
# **q4.** `a = engine.tensor([1.0, 2.0], requires_grad=True)` and
# `c = engine.tensor([3.0, 4.0])`. What is `(c * a).grad_fn.next_functions`?
# a) `((None, 0), (<AccumulateGrad>, 0))`  b) `((<AccumulateGrad>, 0),)`
# c) `((<AccumulateGrad>, 0), (None, 0))`  d) `((None, 0), (None, 0))`

# %% nbgrader={"grade_id": "quiz-answers", "solution": true} gradbook={"quiz": "answers", "stub": ""}
# Put the letter of your choice ("a", "b", "c" or "d") in place of each None.
answers = {"q1": None, "q2": None, "q3": None, "q4": None}
### BEGIN SOLUTION
answers = {"q1": "b", "q2": "c", "q3": "a", "q4": "a"}
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
assert str(answers["q2"]).strip().lower() == "c", "q2"
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "quiz-q3", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 3: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q3"]).strip().lower() == "a", "q3"
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "quiz-q4", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 4: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q4"]).strip().lower() == "a", "q4"
### END HIDDEN TESTS

# %% [markdown]
# ## Your engine
#
# Chapter 01 fitted a line $\hat y = w x + b$ to four points. Its forward pass multiplies
# (`w * xs`) and adds (`+ b`), so it runs on exactly the two operations you wrote. Here is
# the same training loop as a function that returns the lines it prints:

# %%
xs = engine.tensor([1.0, 2.0, 3.0, 4.0])
ys = engine.tensor([3.0, 5.0, 7.0, 9.0])


def two_parameter_fit(epochs=201, lr=0.05):
    """Chapter 01's line fit: the lines it prints, as a list."""
    w = engine.tensor(0.0, requires_grad=True)
    b = engine.tensor(0.0, requires_grad=True)
    lines = ["two_parameter_fit"]
    for epoch in range(epochs):
        loss = ((w * xs + b - ys) ** 2).mean()
        loss.backward()
        with engine.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        if epoch % 50 == 0:
            lines.append(f"epoch={epoch:3d} loss={loss.item():.4f} "
                         f"w={w.item():.4f} b={b.item():.4f}")
        w.grad.zero_()
        b.grad.zero_()
    return lines


# %% [markdown]
# Now with your `Mul` and `Add` standing in for the engine's own. Every multiplication and
# addition of the 201 forward passes runs your `forward`, and every backward pass your
# `backward`:

# %% tags=["uses-your-code"]
with engine.substitute(Mul=Mul, Add=Add):
    yours = two_parameter_fit()
print("\n".join(yours))
print()
print("the same lines as with the engine's own Mul and Add:", yours == two_parameter_fit())

# %% [markdown]
# `w` heads for 2 and `b` for 1, exactly as in chapter 01. One loss of that loop, recorded
# with your operations, shows your nodes (`MulBackward`, `AddBackward`) in the graph:

# %% tags=["uses-your-code"]
with engine.substitute(Mul=Mul, Add=Add):
    w = engine.tensor(0.0, requires_grad=True)
    b = engine.tensor(0.0, requires_grad=True)
    loss = ((w * xs + b - ys) ** 2).mean()
engine.viz.draw(loss)

# %% [markdown]
# To test your operations the way the engine tests its own, save this notebook and run in a
# terminal:
#
# ```
# gradbook my-engine course/02-the-recorded-graph.ipynb
# ```
#
# It runs your checks, then the engine's own tests for multiplication and addition with
# your classes in the engine: values and gradients on many shapes, compared with finite
# differences (and with PyTorch, where it is installed), and the backward and training tests
# that lean on them. In chapter 03 you write the backward pass that walks this graph, and
# your engine trains the line on your operations and your backward loop.
