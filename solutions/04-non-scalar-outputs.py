# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · Non-scalar outputs
#
# Every `backward()` so far started from a loss: one number. But most values in a network are
# not one number. A layer's output is a vector or a matrix, and so is every intermediate
# result on the way to the loss. This chapter asks what "the gradient" of such an output
# means, and finds the answer in the `gradient` argument of `backward`. That answer is also
# what every node of the graph computes: a **vector-Jacobian product**.
#
# In this chapter you will:
#
# - differentiate $y = 2\,\mathbf{x}^\top\mathbf{x}$ and compare the result with $4\mathbf{x}$;
# - see why `backward()` refuses a vector, and what the `gradient` argument tells it;
# - see why `y.sum().backward()` gives the same gradients as `y.backward(ones)`;
# - build a whole Jacobian from backward passes, and see why backward never builds one;
# - write the backward of a sum (**exercise 1**, `Sum`) and of a power (**exercise 2**, `Pow`);
# - run this chapter's examples and chapter 01's line fit on your `Sum` and `Pow`.
#
# Run the cells from top to bottom; each exercise is followed by its check, as before.
# `gradbook check course/04-non-scalar-outputs.ipynb` runs every check from a terminal.

# %%
import matplotlib.pyplot as plt
import numpy as np

import engine
import engine.viz
from engine.autograd import ArrayFunction
from engine.ops.dual import expand
from graders import quiz
from graders.checks import ch04 as check

# %% [markdown]
# ## 1. A scalar output: $y = 2\,\mathbf{x}^\top\mathbf{x}$
#
# A warm-up with one output. Take the vector $\mathbf{x} = (0, 1, 2, 3)$ and
# $y = 2\,\mathbf{x}^\top\mathbf{x} = 2 \sum_j x_j^2$. Each partial derivative is
# $\partial y / \partial x_j = 4 x_j$, so the gradient is $4\mathbf{x}$: a target to check
# the engine against. `requires_grad_(True)` switches recording on for a tensor that already
# exists; until a backward pass has run, its `.grad` is `None`.

# %%
x = engine.arange(4.0)
print(x)
x.requires_grad_(True)
print(x.grad)

# %%
y = 2 * engine.dot(x, x)
print(y)
y.backward()
print(x.grad)
print(x.grad == 4 * x)

# %% [markdown]
# $y = 2(0 + 1 + 4 + 9) = 28$, and `x.grad` is $4\mathbf{x}$ entry for entry. The graph is a
# dot product (`DotBackward0`) followed by a multiplication by the constant 2. `x` is both
# operands of the dot product, so both of that node's edges lead to its one `AccumulateGrad`:

# %%
x = engine.arange(4.0, requires_grad=True)
y = 2 * engine.dot(x, x)
engine.viz.draw(y)

# %% [markdown]
# ## 2. Many outputs: which gradient?
#
# Now an output with four numbers: $y = \mathbf{x} \odot \mathbf{x}$, the square of each entry.
# Calling `backward()` on it fails:

# %%
x = engine.arange(4.0, requires_grad=True)
y = x * x
print(y)
try:
    y.backward()
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# The message is PyTorch's, and the reason is a matter of shapes. `x.grad` has the shape of
# `x`: one number per entry $x_j$, saying how fast **one** number changes when $x_j$ moves.
# With four outputs there are sixteen such rates, $\partial y_i / \partial x_j$ for every
# output $i$ and input $j$: a $4 \times 4$ matrix, the **Jacobian**
#
# $$J = \begin{pmatrix} \partial y_0/\partial x_0 & \cdots & \partial y_0/\partial x_3 \\
# \vdots & \ddots & \vdots \\ \partial y_3/\partial x_0 & \cdots & \partial y_3/\partial x_3
# \end{pmatrix}.$$
#
# That does not fit in `x.grad`. So `backward` needs to be told which single number to
# differentiate. For a loss there is no question: it *is* one number (any tensor with one
# element counts, whatever its shape). For anything else, you say which number with the
# `gradient` argument.

# %% [markdown]
# ## 3. The `gradient` argument
#
# `y.backward(gradient=v)` takes a tensor $\mathbf{v}$ of the same shape as $y$, and
# differentiates the single number
#
# $$\mathbf{v} \cdot \mathbf{y} = \sum_i v_i\, y_i ,$$
#
# with $\mathbf{v}$ held constant. Its derivative with respect to $x_j$ is
# $\sum_i v_i\, \partial y_i / \partial x_j$: the vector $\mathbf{v}$ times the Jacobian,
# $\mathbf{v}^\top J$. It has the shape of `x`, so it fits in `x.grad`.
#
# With $\mathbf{v}$ all ones, $\mathbf{v} \cdot \mathbf{y}$ is just $\sum_i y_i$: the gradient
# of `y.sum()`. For $y = \mathbf{x} \odot \mathbf{x}$ that is $2\mathbf{x}$:

# %%
x.grad = None
y = x * x
y.backward(gradient=engine.ones(len(y)))
print(x.grad)

# %% [markdown]
# The same on a matrix: `y = x ** 2` for a $2 \times 2$ `x`, with a gradient of ones shaped
# like `y` (`engine.ones_like(y)`). Each entry of `x.grad` is $2x$:

# %%
x = engine.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
y = x**2
y.backward(engine.ones_like(y))
print(x.grad)

# %% [markdown]
# And the two ways of asking for the same thing, side by side: reduce to one number with
# `.sum()` and call `backward()`, or keep the vector and pass ones. Both give $[2, 4, 6]$:

# %%
x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
(x**2).sum().backward()
print("(x ** 2).sum().backward():         ", x.grad)

x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x**2
y.backward(engine.ones_like(y))
print("(x ** 2).backward(ones_like(y)):   ", x.grad)

# %% [markdown]
# Other weights ask other questions. A one-hot $\mathbf{v}$, all zeros but a 1 at position
# $i$, gives the derivatives of $y_i$ alone: row $i$ of the Jacobian. Any $\mathbf{v}$ gives
# the same gradients as `(y * v).sum().backward()`, as the definition says:

# %%
x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
(x**2).backward(engine.tensor([0.0, 1.0, 0.0]))
print("v = [0, 1, 0]:", x.grad, " (row 1 of the Jacobian: only y_1 = x_1 ** 2 depends on x_1)")

v = engine.tensor([0.5, -1.0, 2.0])
x.grad = None
(x**2).backward(v)
through_gradient = x.grad
x.grad = None
((x**2) * v).sum().backward()
print("backward(v):         ", through_gradient)
print("(y * v).sum().backward():", x.grad)

# %% [markdown]
# `gradient` must have exactly the shape of `y`; anything else is refused, again in
# PyTorch's words:

# %%
try:
    (x**2).backward(engine.ones(2))
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# ### Where $\mathbf{v}$ comes from: the rest of the graph
#
# The `gradient` argument is not just a trick for vectors. Suppose $y$ is an intermediate
# value, and a loss $L$ is computed from it. Then the right $\mathbf{v}$ is
# $\partial L / \partial \mathbf{y}$, and `y.backward(v)` finishes the backward pass from $y$
# down: the chain rule, cut in two. Below, `engine.autograd.grad(loss, h)` runs the top half
# and returns $\partial L / \partial h$ without touching any `.grad`; `h.backward(v)` runs the
# bottom half. The result is what a single `loss.backward()` gives.

# %%
x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
h = x**2                        # an intermediate vector: [1, 4, 9]
loss = ((h - 5) ** 2).sum()     # one number computed from it
(v,) = engine.autograd.grad(loss, h)
print("v = dL/dh:               ", v, " (that is 2 (h - 5))")
h.backward(v)
print("x.grad from h.backward(v):", x.grad)

x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
((x**2 - 5) ** 2).sum().backward()
print("x.grad from loss.backward():", x.grad)

# %% [markdown]
# This is exactly what happens inside every backward pass. Each node receives the gradient
# of the loss with respect to its output (a $\mathbf{v}$ shaped like its output, the
# `grad_output` of chapter 02) and passes on $\mathbf{v}^\top J$ for each input, where $J$ is
# that node's own Jacobian. Starting `backward()` from a scalar loss just means starting with
# $\mathbf{v} = 1$.

# %% [markdown]
# ## 4. Vector-Jacobian products
#
# Since a one-hot $\mathbf{v}$ gives one row of the Jacobian, $m$ backward passes (one per
# output) give all of it. A small function does that; `retain_graph=True` keeps the graph for
# the next pass:

# %%
def jacobian(f, x):
    """The Jacobian of f at x: row i is the gradient of output i, from one backward pass."""
    x = x.detach().requires_grad_(True)
    y = f(x)
    rows = []
    for i in range(y.numel()):
        one_hot = engine.zeros(y.numel())
        one_hot[i] = 1.0
        (row,) = engine.autograd.grad(y, x, grad_outputs=one_hot.reshape(y.shape),
                                      retain_graph=True)
        rows.append(row.reshape(-1))
    return engine.stack(rows)


print(jacobian(lambda x: x * x, engine.arange(4.0)))

# %% [markdown]
# For $y = \mathbf{x} \odot \mathbf{x}$ the Jacobian is diagonal, with $2x_j$ on the
# diagonal: $y_i$ depends on $x_i$ alone. Here are three Jacobians side by side, each as a
# picture of its entries: an elementwise square, the row sums of a $3 \times 4$ matrix
# (inputs numbered row by row), and a product $W\mathbf{x}$ with a $4 \times 6$ matrix $W$:

# %%
rng = np.random.default_rng(0)
W = engine.tensor(rng.standard_normal((4, 6)))
examples = [
    ("y = x ** 2, x of 6 numbers", lambda x: x**2, engine.linspace(-1.0, 1.0, 6)),
    ("y = x.sum(1), x of shape (3, 4)", lambda x: x.sum(1), engine.ones(3, 4)),
    ("y = W @ x, W of shape (4, 6)", lambda x: W @ x, engine.ones(6, dtype=engine.float64)),
]
fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
for ax, (title, f, x0) in zip(axes, examples):
    J = jacobian(f, x0).numpy()
    top = max(np.abs(J).max(), 1e-12)
    ax.imshow(J, cmap="coolwarm", vmin=-top, vmax=top)
    ax.set_title(f"{title}\nJacobian {J.shape[0]} × {J.shape[1]}", fontsize=9)
    ax.set_xlabel("input j")
    ax.set_ylabel("output i")
plt.tight_layout()
plt.show()

# %% [markdown]
# (Red is positive, blue negative, grey zero.) Only the last one is a full matrix. The other
# two are mostly zeros: a square touches each entry once, and a sum gives each input to
# exactly one output, with weight 1. So a node never builds its Jacobian and multiplies by
# it. It computes the product $\mathbf{v}^\top J$ directly, by a formula that knows the
# structure:
#
# | operation | Jacobian | `backward` returns $\mathbf{v}^\top J$ as |
# |---|---|---|
# | $y = x^c$, entry by entry | diagonal, $c\,x_j^{c-1}$ | `grad_output * c * x ** (c - 1)`: $n$ products |
# | $y$ = sums over some dimensions | a 1 where $x_j$ goes into $y_i$ | `grad_output` copied back over the summed dimensions |
# | $y = W\mathbf{x}$ | $W$ | `grad_output @ W` (chapter 08) |
#
# For a million inputs, the diagonal Jacobian of a square would have $10^{12}$ entries; the
# formula does a million multiplications.
#
# The same count tells why training uses backward passes. One backward pass gives one
# $\mathbf{v}^\top J$: one row's worth of information. A loss has one output, so **one**
# backward pass gives its gradient with respect to every parameter, however many there are.
# The full Jacobian of a function with $m$ outputs costs $m$ passes (`jacobian` above did
# $m$ of them).

# %% [markdown]
# ## 5. The backward of a sum
#
# `x.sum(dim)` adds up `x` along some dimensions. Take the row sums of a $2 \times 3$ matrix:
# $y_i = \sum_j x_{ij}$, so $y = (6, 15)$ below. Each $x_{ij}$ goes into exactly one output,
# $y_i$, with weight 1, so
#
# $$\frac{\partial L}{\partial x_{ij}} = \frac{\partial L}{\partial y_i} :$$
#
# each entry receives the gradient of the sum it went into. Backward **copies** `grad_output`
# back along the summed dimension. With $\mathbf{v} = (1, 10)$, row 0 of `x.grad` is all 1 and
# row 1 all 10:

# %%
x = engine.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
y = x.sum(1)
print(y)
y.backward(engine.tensor([1.0, 10.0]))
print(x.grad)
engine.viz.draw(y, view="values")

# %% [markdown]
# **The ones come from here.** `x.sum()` with no dimension sums everything (the engine
# records it as `SumBackward0`). Its `grad_output` is a single number, copied to every entry.
# When you call `y.sum().backward()`, backward starts the sum's node with $1$, and that node
# turns it into ones shaped like `y`, which it passes to `y`'s node. `y.backward(ones)` hands
# the very same ones to `y`'s node directly. The steps of both passes, printed:

# %%
def print_steps(steps):
    """One line per node of a backward pass: what arrives, what goes on."""
    for picture in steps:
        step = picture.step
        arriving = step.grad_outputs[0].tolist()
        passed = [None if g is None else g.tolist() for g in step.grad_inputs]
        print(f"  {step.node.name():15} receives {arriving}, passes on {passed}")


x = engine.arange(4.0, requires_grad=True)
y = x * x
print("y.sum().backward():")
print_steps(engine.viz.backward_steps(y.sum()))
print("y.backward(ones):")
print_steps(engine.viz.backward_steps(y, gradient=engine.ones(4)))

# %% [markdown]
# From `MulBackward0` down the two passes are identical. That is why the two always give the
# same `.grad`.
#
# ### Exercise 1: `Sum`
#
# Engine piece: `Sum`
#
# The engine records `x.sum(dim, keepdim=...)` with its op `Sum`. Its `forward` is given:
# the engine passes the dimensions to sum as `dims`, a sorted tuple of non-negative numbers
# (`x.sum(-1)` on a matrix arrives as `dims=(1,)`), then `keepdim` and an optional `dtype`.
# Write `backward`: given `grad_output`, shaped like the output, return the gradient for `a`,
# shaped like `a`, followed by `None` for each of `dims`, `keepdim` and `dtype` (they are not
# tensors: four values in all).
#
# Two steps, using what `forward` kept in `ctx.shape` and `ctx.dims`:
#
# 1. **Put the summed dimensions back, with size 1.** For the row sums of a $(2, 3)$ matrix,
#    `grad_output` has shape $(2,)$; reshape it to $(2, 1)$. (With `keepdim=True` it already
#    has that shape, and the reshape changes nothing.)
# 2. **Copy it along them** to the input's shape $(2, 3)$: `expand(g, shape)`, imported at the
#    top, does that.
#
# Why step 1? Broadcasting lines shapes up from the **right**: a vector of 2 numbers against
# $(2, 3)$ would be matched with the 3 columns, which fails; and on a square matrix it would
# silently copy along the wrong dimension. Use `reshape` and `expand` (not NumPy functions):
# both work on arrays and on tensors, so your backward also runs when it is recorded
# (`create_graph=True`, chapter 02).
#
# The check puts your class in the engine (`engine.substitute(Sum=Sum)`) and compares values
# and gradients with the engine's own `Sum`.

# %% nbgrader={"grade_id": "sum", "solution": true} gradbook={"piece": "Sum"}
class Sum(ArrayFunction):
    """x.sum(dims, keepdim), recorded: the engine's sum over some dimensions."""

    @staticmethod
    def forward(ctx, a, dims, keepdim, dtype=None):
        ctx.shape, ctx.dims = a.shape, dims
        return a.sum(axis=dims, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, grad_output):
        ### BEGIN SOLUTION
        kept = tuple(1 if d in ctx.dims else n for d, n in enumerate(ctx.shape))
        return expand(grad_output.reshape(kept), ctx.shape), None, None, None
        ### END SOLUTION


# %% nbgrader={"grade_id": "sum-check", "grade": true, "points": 3} gradbook={"checks": "Sum"}
check.Sum(Sum)
### BEGIN HIDDEN TESTS
from engine.ops import reduce as _reduce

_rng = np.random.default_rng(4)
for _shape, _dim, _keep in [((3, 3), 1, False), ((2, 3, 4), (0, 2), False), ((4, 2), -1, True),
                            ((2, 3, 2), 1, True), ((5,), 0, False), ((2, 2), (0, 1), False)]:
    _x0 = _rng.standard_normal(_shape)
    _g0 = _rng.standard_normal(np.sum(_x0, axis=_dim, keepdims=_keep).shape)
    _runs = []
    for _op in (Sum, _reduce.Sum):
        _x = engine.tensor(_x0, requires_grad=True)
        with engine.substitute(Sum=_op):
            _out = _x.sum(_dim, keepdim=_keep)
            _out.backward(engine.tensor(_g0))
        _runs.append([_out.detach().numpy(), _x.grad.numpy()])
    for _got, _want in zip(*_runs):
        assert _got.shape == _want.shape and np.allclose(_got, _want, rtol=1e-12, atol=1e-12)
_x = engine.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
with engine.substitute(Sum=Sum):
    _y = _x.sum(0)
    assert type(_y.grad_fn).__name__ == "SumBackward" and _y.dtype == engine.float32
    (_first,) = engine.autograd.grad((_x.sum(1) ** 3).sum(), _x, create_graph=True)
    (_second,) = engine.autograd.grad(_first.sum(), _x)
assert _first.tolist() == [[27.0, 27.0], [147.0, 147.0]]
assert _second.tolist() == [[36.0, 36.0], [84.0, 84.0]]
### END HIDDEN TESTS

# %% [markdown]
# Your `Sum` in the engine, on the row sums above: `x.grad` should again be 1s in row 0 and
# 10s in row 1, and the node is now named after your class, `SumBackward`.

# %% tags=["uses-your-code"]
x = engine.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
with engine.substitute(Sum=Sum):
    y = x.sum(1)
    y.backward(engine.tensor([1.0, 10.0]))
print(y)
print(x.grad)

# %% [markdown]
# ## 6. The backward of a power
#
# `x ** c` with a number $c$ works entry by entry: $y_i = x_i^{\,c}$. Its Jacobian is diagonal,
# with $c\,x_i^{\,c-1}$ on the diagonal, so $\mathbf{v}^\top J$ is an entry-by-entry product:
#
# $$\frac{\partial L}{\partial x_i} = \frac{\partial L}{\partial y_i} \cdot c\,x_i^{\,c-1} .$$
#
# One exponent needs care: $c = 0$. Then $y = x^0 = 1$ is a constant, and its derivative is
# $0$ everywhere. But the formula gives $0 \cdot x^{-1}$, which at $x = 0$ is
# $0 \cdot \infty$: not a number (`nan`). PyTorch, and the engine, return $0$ there:

# %%
x = engine.tensor([0.0, 2.0], requires_grad=True)
(x**0).sum().backward()
print("the engine's gradient of x ** 0 at [0, 2]:", x.grad)
with np.errstate(divide="ignore", invalid="ignore"):
    print("the formula 0 * x ** -1 at [0, 2]:       ", 0 * np.array([0.0, 2.0]) ** -1)

# %% [markdown]
# ### Exercise 2: `Pow`
#
# Engine piece: `Pow`
#
# The engine records `x ** c`, for a Python number `c`, with its op `PowScalar` (its op named
# `Pow` is for a tensor exponent, `x ** y`, whose backward also needs a logarithm). Write
# that op's backward; your class is called `Pow`, and the check puts it in the engine with
# `engine.substitute(PowScalar=Pow)`. `forward` is given: it saves `x` with
# `ctx.save_for_backward` and keeps the exponent in `ctx.exponent`.
#
# `backward(ctx, grad_output)` returns two values: the gradient for `x`, which is
# `grad_output` times $c\,x^{c-1}$, and `None` for the exponent, a number rather than a
# tensor. When $c = 0$, return zeros instead (`grad_output * 0`). Use Python operators only,
# as in chapter 02, so that the same formula runs on tensors when the pass is recorded.

# %% nbgrader={"grade_id": "pow", "solution": true} gradbook={"piece": "Pow"}
class Pow(ArrayFunction):
    """x ** c for a Python number c, recorded: the engine's PowScalar."""

    @staticmethod
    def forward(ctx, a, exponent):
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        return a**exponent

    @staticmethod
    def backward(ctx, grad_output):
        ### BEGIN SOLUTION
        (x,) = ctx.saved_tensors
        c = ctx.exponent
        if c == 0:
            return grad_output * 0, None
        return grad_output * c * x ** (c - 1), None
        ### END SOLUTION


# %% nbgrader={"grade_id": "pow-check", "grade": true, "points": 3} gradbook={"checks": "Pow"}
check.Pow(Pow)
### BEGIN HIDDEN TESTS
from engine.ops import unary as _unary

_rng = np.random.default_rng(5)
for _shape, _c in [((3,), 2), ((2, 3), 3), ((4,), 0.5), ((2, 2), -2), ((3,), 1), ((3,), 0)]:
    _x0 = np.abs(_rng.standard_normal(_shape)) + 0.5
    _g0 = _rng.standard_normal(_shape)
    _runs = []
    for _op in (Pow, _unary.PowScalar):
        _x = engine.tensor(_x0, requires_grad=True)
        with engine.substitute(PowScalar=_op):
            _out = _x**_c
            _out.backward(engine.tensor(_g0))
        _runs.append([_out.detach().numpy(), _x.grad.numpy()])
    for _got, _want in zip(*_runs):
        assert _got.shape == _want.shape and np.allclose(_got, _want, rtol=1e-12, atol=1e-12)
_x = engine.tensor([0.0, -1.0, 3.0], requires_grad=True)
with engine.substitute(PowScalar=Pow):
    _y = _x**0
    _y.sum().backward()
    assert type(_y.grad_fn).__name__ == "PowBackward"
    assert _x.grad.tolist() == [0.0, 0.0, 0.0]
    _z = engine.tensor(2.0, requires_grad=True)
    (_first,) = engine.autograd.grad(_z**4, _z, create_graph=True)
    (_second,) = engine.autograd.grad(_first, _z)
assert _first.item() == 32.0 and _second.item() == 48.0
### END HIDDEN TESTS

# %% [markdown]
# Your `Pow` on this chapter's two examples: $2\mathbf{x}$ for $\mathbf{x} = (0, 1, 2, 3)$,
# and for the $2 \times 2$ matrix.

# %% tags=["uses-your-code"]
with engine.substitute(PowScalar=Pow):
    x = engine.arange(4.0, requires_grad=True)
    y = x**2
    y.backward(engine.ones_like(y))
    print(x.grad)
    x = engine.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x**2
    y.backward(engine.ones_like(y))
    print(x.grad)

# %% [markdown]
# ## Practice quiz
#
# Pick an answer and press **Check**. These are not graded.

# %%
quiz.practice([
    {
        "q": "x has 3 entries and y = x * 2 has 3 entries. Why does y.backward() raise an "
             "error?",
        "choices": [
            "x must be a leaf created with requires_grad=True",
            "x.grad has room for the derivative of one number; y is three numbers, so the "
            "engine must be told which combination of them to differentiate",
            "Multiplication by a constant cannot be differentiated",
            "backward() only works inside engine.no_grad()",
        ],
        "answer": 1,
        "explain": "The derivatives of three outputs with respect to three inputs form a "
                   "3 × 3 Jacobian, which does not fit in x.grad. Pass gradient=v to "
                   "differentiate v · y, or reduce y to one number first (y.sum()).",
    },
    {
        "q": "x = engine.tensor([1., 2., 3., 4.], requires_grad=True), y = x * 3, and "
             "y.backward(engine.tensor([1., 0., 0., 0.])). What is x.grad?",
        "choices": ["[3., 3., 3., 3.]", "[3., 0., 0., 0.]", "[1., 0., 0., 0.]",
                    "[3., 6., 9., 12.]"],
        "answer": 1,
        "explain": "A one-hot v picks one output: this is the gradient of y[0] = 3 * x[0] "
                   "alone, row 0 of the Jacobian.",
    },
    {
        "q": "Why do y.sum().backward() and y.backward(engine.ones_like(y)) give the same "
             "gradients?",
        "choices": [
            "They do not: the first one divides by the number of entries",
            "The engine replaces one call by the other",
            "The backward of the sum turns its starting 1 into ones shaped like y and passes "
            "them to y's node, which is what y.backward(ones) does directly",
            "Both compute the full Jacobian and add up its rows",
        ],
        "answer": 2,
        "explain": "Every entry of y goes into the sum with weight 1, so the sum's backward "
                   "copies the incoming 1 to every entry. From y's node down, both passes are "
                   "the same.",
    },
    {
        "q": "How does the backward of an elementwise op such as x ** 3 compute v^T J?",
        "choices": [
            "It builds the n × n Jacobian and multiplies v by it",
            "It multiplies v entry by entry by the derivative 3 x ** 2: the Jacobian is "
            "diagonal, so nothing else is needed",
            "It runs one backward pass per entry of the output",
            "It estimates the derivative with finite differences",
        ],
        "answer": 1,
        "explain": "Output i depends on input i alone, so all the Jacobian's off-diagonal "
                   "entries are zero and v^T J is the entry-by-entry product: n "
                   "multiplications instead of n².",
    },
])

# %% [markdown]
# ## Graded quiz
#
# Record your answers in the cell below, as letters. They are graded when you hand in the
# notebook; nothing here tells you whether they are right.
#
# **q1.** `x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)`, `y = x ** 2`,
# `y.backward(engine.tensor([1.0, 0.0, 2.0]))`. What is `x.grad`?
# a) `[2., 4., 6.]`  b) `[2., 0., 12.]`  c) `[1., 0., 2.]`  d) a RuntimeError
#
# **q2.** For a tensor `y` with several entries, which call gives the same `.grad` as
# `y.backward(engine.ones_like(y))`?
# a) `y.mean().backward()`  b) `y.sum().backward()`  c) `y[0].backward()`
# d) `y.backward(engine.tensor(1.0))`
#
# **q3.** `x = engine.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)`,
# `y = x.sum(0)`, `y.backward(engine.tensor([1.0, 2.0, 3.0]))`. What is `x.grad`?
# a) `[[1., 2., 3.], [1., 2., 3.]]`  b) `[[1., 1., 1.], [2., 2., 2.]]`
# c) `[[1., 1., 1.], [1., 1., 1.]]`  d) `[[5., 7., 9.], [5., 7., 9.]]`
#
# **q4.** A function takes 1000 numbers and returns 10. How many backward passes does it take
# to compute its whole Jacobian, one row per pass, as `jacobian` in section 4 does?
# a) 1  b) 10  c) 1000  d) 10000

# %% nbgrader={"grade_id": "quiz-answers", "solution": true} gradbook={"quiz": "answers", "stub": ""}
# Put the letter of your choice ("a", "b", "c" or "d") in place of each None.
answers = {"q1": None, "q2": None, "q3": None, "q4": None}
### BEGIN SOLUTION
answers = {"q1": "b", "q2": "b", "q3": "a", "q4": "b"}
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
assert str(answers["q3"]).strip().lower() == "a", "q3"
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "quiz-q4", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 4: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q4"]).strip().lower() == "b", "q4"
### END HIDDEN TESTS

# %% [markdown]
# ## Your engine
#
# Your `Sum` and `Pow` now stand in for the engine's own. First, the Jacobian of
# $y = \mathbf{x}^3$ at $\mathbf{x} = (1, 2, 3)$, built row by row by your `Pow`'s backward:
# the diagonal should read $3x^2 = 3, 12, 27$.

# %% tags=["uses-your-code"]
with engine.substitute(PowScalar=Pow):
    print(jacobian(lambda x: x**3, engine.tensor([1.0, 2.0, 3.0])))

# %% [markdown]
# Then chapter 01's line fit, with its loss written as a sum over dimension 0 divided by 4
# (the mean, spelled out) so that the loss's last two operations are yours: `** 2` runs your
# `Pow`, `.sum(0)` your `Sum`, forward and backward, in each of the 201 steps.

# %%
xs = engine.tensor([1.0, 2.0, 3.0, 4.0])
ys = engine.tensor([3.0, 5.0, 7.0, 9.0])


def two_parameter_fit(epochs=201, lr=0.05):
    """Chapter 01's line fit, with the mean written as .sum(0) / 4: the lines it prints."""
    w = engine.tensor(0.0, requires_grad=True)
    b = engine.tensor(0.0, requires_grad=True)
    lines = ["two_parameter_fit"]
    for epoch in range(epochs):
        loss = ((w * xs + b - ys) ** 2).sum(0) / 4
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


# %% tags=["uses-your-code"]
with engine.substitute(Sum=Sum, PowScalar=Pow):
    yours = two_parameter_fit()
print("\n".join(yours))
print()
print("the same lines as with the engine's own Sum and Pow:", yours == two_parameter_fit())

# %% [markdown]
# The same numbers as chapter 01: $w$ heads for 2 and $b$ for 1. One loss of that loop, with
# your nodes (`SumBackward`, `PowBackward`) in its graph:

# %% tags=["uses-your-code"]
with engine.substitute(Sum=Sum, PowScalar=Pow):
    w = engine.tensor(0.0, requires_grad=True)
    b = engine.tensor(0.0, requires_grad=True)
    loss = ((w * xs + b - ys) ** 2).sum(0) / 4
engine.viz.draw(loss)

# %% [markdown]
# To test your classes the way the engine tests its own, save this notebook and run in a
# terminal:
#
# ```
# gradbook my-engine course/04-non-scalar-outputs.ipynb
# ```
#
# It runs your checks, then the engine's own tests of sums over dimensions and of powers
# with your classes in the engine: values and gradients compared with finite differences
# and with PyTorch, in float32 and float64, including the awkward points ($x^0$ and
# $x^{1/2}$ at $0$). Chapter 05 looks at what happens to `.grad` when backward runs more
# than once.
