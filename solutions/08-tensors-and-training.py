# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 08 · Tensors and a training loop
#
# Until now most of our examples multiplied numbers entry by entry, and a gradient had the
# shape of the tensor it belonged to without any effort. Real models are built from three
# more kinds of operation, and each one has something to say about gradients:
#
# - **broadcasting**, which reuses a small tensor across a bigger one (a bias added to every
#   row of a batch). A value used many times gets the **sum** of the gradients of its uses;
# - **matrix products**, the workhorse of every layer. Their gradients are matrix products
#   too;
# - **reductions** (sum, mean, max), which collapse a tensor into fewer numbers. Their
#   gradients spread back out.
#
# Then we put everything together into a training loop with an optimizer, and train a small
# neural network to read handwritten digits.
#
# In this chapter you will:
#
# - see how broadcasting lines shapes up, and write the rule that sums a gradient back to
#   an input's shape (**exercise 1**, `unbroadcast`);
# - derive the gradient of a matrix product and write the op (**exercise 2**, `MatMul`);
# - see what the gradients of sum, mean and max look like;
# - rerun the two-parameter fit, then write it as a matrix product;
# - write an optimizer with momentum and weight decay (**exercise 3**, `SGD`);
# - train a two-layer network on 8×8 images of digits, and then train it again on your own
#   `MatMul`, `unbroadcast` and `SGD`.
#
# Run the cells from top to bottom; each exercise is followed by its check, as before.
# `gradbook check course/08-tensors-and-training.ipynb` runs every check from a terminal.

# %%
import matplotlib.pyplot as plt
import numpy as np

import engine
import engine.viz
from engine.autograd import ArrayFunction
from engine.nn import functional as F
from graders import quiz
from graders.checks import ch08 as check

# %% [markdown]
# ## 1. Broadcasting: one value, many uses
#
# Adding a matrix of shape $(2, 3)$ and a vector of shape $(3,)$ works: the vector is added
# to **each row**. No copy of it is made; the engine (NumPy, underneath) simply reads the
# same three numbers for both rows. This is **broadcasting**, and its rules fit in three
# lines:
#
# 1. Line the two shapes up **from the right**.
# 2. Where one shape is shorter, pretend it has extra dimensions of size 1 in front.
# 3. In every position the sizes must be equal, or one of them must be 1; a size-1
#    dimension is stretched to match the other.
#
# ```
# a        (2, 3)          a        (2, 3)          a        (4, 2, 3)
# b           (3,)  ->     b        (1, 3)          b           (2, 1)  ->  (1, 2, 1)
# result   (2, 3)                                   result   (4, 2, 3)
# ```

# %%
a = engine.ones(2, 3)
for shape in [(3,), (2, 1), (1, 3), (), (4, 2, 3)]:
    b = engine.ones(*shape)
    print(f"{tuple(a.shape)} with {shape!s:9} -> {tuple((a + b).shape)}")

try:
    a + engine.ones(2)
except RuntimeError as err:
    print("(2, 3) with (2,)      -> RuntimeError:", err)

# %% [markdown]
# The last one fails: lined up from the right, $3$ meets $2$. (A column of two numbers is
# written with shape $(2, 1)$, which does broadcast.)
#
# ### The gradient of a value used many times
#
# Broadcasting uses each entry of the small tensor several times. Chapter 03 told us what
# happens to a value used several times: the gradients from all its uses **add up**. So if a
# vector `b` of shape $(3,)$ is added to both rows of a $(2, 3)$ matrix, `b[j]` is used once
# per row, and its gradient is the sum of column `j` of the gradient of the output.
#
# Take `out = a * b` with `a` of shape $(2, 3)$ and `b` of shape $(3,)$, and
# `loss = out.sum()`. The gradient of `out` is all ones. Multiplication passes
# `grad_output * a` to `b`, an array of shape $(2, 3)$, one entry per *use* of `b`; the
# gradient of `b` is its column sums: $(1 + 4, 2 + 5, 3 + 6) = (5, 7, 9)$.

# %%
a = engine.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
b = engine.tensor([10.0, 20.0, 30.0], requires_grad=True)
loss = (a * b).sum()
loss.backward()
print("b.grad:", b.grad)
engine.viz.draw(loss, view="values")

# %% [markdown]
# The picture shows every tensor with its value and gradient: `b.grad` has `b`'s shape,
# three numbers, while the gradient that came out of the multiplication had six.
#
# **The line fit again.** In chapter 01 we fitted $\hat y = w x + b$ to four points, with a
# single number `w` multiplied by the vector `xs` of four inputs. That is broadcasting too:
# `w` is used four times, once per point. At $w = b = 0$ the gradient of the mean squared
# error with respect to each prediction is $2(\hat y_i - y_i)/4$, and each use of `w`
# contributes that times $x_i$. The four contributions add up to the $-35$ of chapter 01:

# %%
xs = engine.tensor([1.0, 2.0, 3.0, 4.0])
ys = engine.tensor([3.0, 5.0, 7.0, 9.0])
w = engine.tensor(0.0, requires_grad=True)
b = engine.tensor(0.0, requires_grad=True)
loss = ((w * xs + b - ys) ** 2).mean()
loss.backward()

with engine.no_grad():
    per_point = 2 * (w * xs + b - ys) / 4
print("gradient of each prediction:     ", per_point)
print("what each use of w contributes:  ", per_point * xs)
print("their sum:", (per_point * xs).sum().item(), "  w.grad:", w.grad.item())
print("b's four contributions sum to:", per_point.sum().item(), "  b.grad:", b.grad.item())

# %% [markdown]
# ### Summing a gradient back to a shape
#
# Every operation's `backward` returns gradients shaped like its **output**; the engine then
# reduces each one to the shape of its **input**. Lining the two shapes up from the right,
# as broadcasting does, there are two kinds of dimension to sum over:
#
# 1. the **leading** dimensions that broadcasting added in front (the output has
#    `grad.ndim - len(shape)` more dimensions than the input): sum them away;
# 2. every dimension where the input has size **1** but the output is bigger (it was
#    stretched): sum over it, and keep it as a dimension of size 1.
#
# For an input of shape $(2, 1)$ under an output of shape $(4, 2, 3)$: dimension 0 was
# added, so it is summed away; then $2$ meets $2$ (nothing to do) and $1$ meets $3$ (summed,
# kept as 1). Everything else passes through unchanged.
#
# The engine does this in one place, for every operation, with a helper you met in
# chapters 02 and 03 as `sum_to_shape`; its home is `engine.ops.dual.sum_to`:

# %%
from engine.ops import dual

g = np.arange(1.0, 25.0).reshape(4, 2, 3)
print("g has shape", g.shape)
print("sum_to(g, (2, 1)):", dual.sum_to(g, (2, 1)).tolist())
print("sum_to(g, (3,)):  ", dual.sum_to(g, (3,)).tolist())
print("sum_to(g, ()):    ", dual.sum_to(g, ()))

# %% [markdown]
# ### Exercise 1: `unbroadcast`
#
# Engine piece: `unbroadcast`
#
# Write `unbroadcast(grad, shape)`: `grad` is the gradient of an output, `shape` (a tuple)
# the shape of an input that was broadcast to make that output. Return `grad` summed back to
# `shape`, following the two steps above.
#
# `grad` is usually a NumPy array, but when the backward pass is itself recorded
# (`create_graph=True`, chapter 02) it is an engine tensor. So that your function works on
# both, use only what both have: `grad.ndim`, `grad.shape`, `grad.sum(axes)` with a
# **tuple** of axes and no keywords (NumPy spells the keywords `axis`/`keepdims`, tensors
# `dim`/`keepdim`), and `grad.reshape(shape)`. Summing without keeping dimensions and then
# reshaping to `shape` puts the size-1 dimensions back. Careful with an empty tuple of
# axes: NumPy's `sum(())` sums nothing, but a tensor's sums everything (as in PyTorch), so
# call `sum` only when there is something to sum.
#
# The check compares your function with the engine's `sum_to`, then puts it inside the
# engine, `engine.substitute(sum_to=unbroadcast)`, where every gradient of a broadcast
# operation goes through it.

# %% nbgrader={"grade_id": "unbroadcast", "solution": true} gradbook={"piece": "unbroadcast"}
def unbroadcast(grad, shape):
    """Sum `grad` (shaped like an output) back to `shape`, the shape of a broadcast input."""
    ### BEGIN SOLUTION
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    if axes:
        grad = grad.sum(axes)
    return grad.reshape(shape)
    ### END SOLUTION


# %% nbgrader={"grade_id": "unbroadcast-check", "grade": true, "points": 3} gradbook={"checks": "unbroadcast"}
check.unbroadcast(unbroadcast)
### BEGIN HIDDEN TESTS
from engine.ops import dual as _dual

_rng = np.random.default_rng(8)
for _big, _small in [((3, 4), (4,)), ((3, 4), (3, 1)), ((2, 3, 4), (1, 4)), ((2, 3, 4), (3, 1)),
                     ((5,), ()), ((2, 1, 3), (2, 1, 3)), ((1, 3), (1, 3)), ((2, 2, 2, 2), (2, 1, 1))]:
    _g = _rng.standard_normal(_big)
    _want = _dual.sum_to(_g.copy(), _small)
    _got = np.asarray(unbroadcast(_g.copy(), _small))
    assert _got.shape == np.shape(_want) and np.allclose(_got, _want), (_big, _small)
    _t = unbroadcast(engine.tensor(_g), _small)
    assert isinstance(_t, engine.Tensor) and np.allclose(_t.numpy(), _want), (_big, _small)
_x0, _y0 = _rng.standard_normal((3, 1)), _rng.standard_normal(4)
_grads = []
for _fn in (unbroadcast, _dual.sum_to):
    _x = engine.tensor(_x0, requires_grad=True)
    _y = engine.tensor(_y0, requires_grad=True)
    with engine.substitute(sum_to=_fn):
        (_x * _y).exp().sum().backward()
    _grads.append((_x.grad.numpy(), _y.grad.numpy()))
for _p, _q in zip(*_grads):
    assert _p.shape == _q.shape and np.allclose(_p, _q)
### END HIDDEN TESTS

# %% [markdown]
# Your function inside the engine: the example from the start of the section, with every
# gradient summed by your code.

# %% tags=["uses-your-code"]
a = engine.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
b = engine.tensor([10.0, 20.0, 30.0], requires_grad=True)
with engine.substitute(sum_to=unbroadcast):
    (a * b).sum().backward()
print("b.grad:", b.grad)

# %% [markdown]
# ## 2. Matrix products
#
# A layer of a neural network multiplies a batch of inputs $X$, one row per example, by a
# matrix of weights $W$. For $Y = A B$ with $A$ of shape $(n, k)$ and $B$ of shape
# $(k, m)$, the output has shape $(n, m)$ and
#
# $$Y_{ij} = \sum_{l} A_{il} B_{lj} .$$
#
# Let $G = \partial L / \partial Y$, the gradient that arrives, shaped like $Y$. Entry
# $A_{il}$ appears in every $Y_{ij}$ of row $i$, multiplied by $B_{lj}$; adding up those
# uses (the chain rule, once more),
#
# $$\frac{\partial L}{\partial A_{il}} = \sum_j G_{ij} B_{lj} = (G B^\top)_{il},
# \qquad
# \frac{\partial L}{\partial B_{lj}} = \sum_i A_{il} G_{ij} = (A^\top G)_{lj}.$$
#
# So the gradient of a matrix product is two matrix products: $G B^\top$ for $A$ and
# $A^\top G$ for $B$. There is a quick way to remember which is which: **the shapes allow
# only one arrangement**. $\partial L / \partial A$ must have $A$'s shape $(n, k)$, and $G$ is
# $(n, m)$; the only product of $G$ with $B$ or $B^\top$ that gives $(n, k)$ is
# $G B^\top$, $(n, m) \times (m, k)$.
#
# The engine agrees; the check below compares its gradients with the two formulas computed
# directly in NumPy:

# %%
rng = np.random.default_rng(0)
A = engine.tensor(rng.standard_normal((2, 3)), requires_grad=True)
B = engine.tensor(rng.standard_normal((3, 4)), requires_grad=True)
G = rng.standard_normal((2, 4))

Y = A @ B
Y.backward(engine.tensor(G))
print("Y:", tuple(Y.shape), "  A.grad:", tuple(A.grad.shape), "  B.grad:", tuple(B.grad.shape))
print("A.grad equals G @ B.T:", np.allclose(A.grad.numpy(), G @ B.detach().numpy().T))
print("B.grad equals A.T @ G:", np.allclose(B.grad.numpy(), A.detach().numpy().T @ G))

# %% [markdown]
# A vector times itself is the smallest matrix product: $\mathbf{x}^\top \mathbf{x}$, the sum
# of squares. Here is $y = 2\,\mathbf{x}^\top\mathbf{x}$ for $\mathbf{x} = (0, 1, 2, 3)$,
# whose gradient is $4\mathbf{x}$ ($\mathbf{x}$ is used on both sides, and both uses
# contribute $2\mathbf{x}$):

# %%
x = engine.arange(4.0, requires_grad=True)
y = 2 * engine.dot(x, x)
print(y)
y.backward()
print(x.grad)

# %% [markdown]
# **What a matrix product saves.** To compute $G B^\top$ the node needs $B$, and to compute
# $A^\top G$ it needs $A$. The engine saves only what will be needed: below, `X` is data
# (it does not require grad) and `W` is a parameter, so the node keeps `X` (for `W`'s
# gradient $X^\top G$) and not `W`. The orange box is what `MmBackward0` saved:

# %%
X = engine.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
W = engine.tensor([[0.5, -1.0, 0.0], [1.0, 0.5, 2.0]], requires_grad=True)
bias = engine.tensor([0.1, 0.2, 0.3], requires_grad=True)
loss = (X @ W + bias).sum()
engine.viz.draw(loss, show_saved=True)

# %% [markdown]
# Notice the other pieces of a layer in the picture: the bias of shape $(3,)$ is broadcast
# over the three rows, so its gradient is a column sum (section 1).
#
# ### Exercise 2: `MatMul`
#
# Engine piece: `MatMul`
#
# Write the product of two matrices the way the engine writes its ops (as in chapter 02's
# `Mul`): an `ArrayFunction` whose `forward(ctx, a, b)` receives two 2-D arrays, saves what
# `backward` needs with `ctx.save_for_backward(...)` and returns `a @ b`, and whose
# `backward(ctx, grad_output)` returns the two gradients, for `a` and for `b`, in that
# order. Use the operators `@` and `.T` only: with `create_graph=True` your `backward` runs
# on tensors, and those work on arrays and tensors alike.
#
# The check puts your class in the engine in place of its own 2-D product `Mm`
# (`engine.substitute(Mm=MatMul)`, so `a @ b` on two matrices runs your code) and compares
# values and gradients with the engine's.

# %% nbgrader={"grade_id": "matmul", "solution": true} gradbook={"piece": "MatMul"}
class MatMul(ArrayFunction):
    """a @ b for two matrices, recorded: the engine's Mm."""

    @staticmethod
    def forward(ctx, a, b):
        ### BEGIN SOLUTION
        ctx.save_for_backward(a, b)
        return a @ b
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad_output):
        ### BEGIN SOLUTION
        a, b = ctx.saved_tensors
        return grad_output @ b.T, a.T @ grad_output
        ### END SOLUTION


# %% nbgrader={"grade_id": "matmul-check", "grade": true, "points": 3} gradbook={"checks": "MatMul"}
check.MatMul(MatMul)
### BEGIN HIDDEN TESTS
from engine.ops import linalg as _linalg

_rng = np.random.default_rng(88)
for _sa, _sb in [((4, 2), (2, 5)), ((1, 1), (1, 3)), ((3, 3), (3, 3)), ((5, 1), (1, 1))]:
    _a0, _b0 = _rng.standard_normal(_sa), _rng.standard_normal(_sb)
    _g0 = _rng.standard_normal((_sa[0], _sb[1]))
    _runs = []
    for _op in (MatMul, _linalg.Mm):
        _a = engine.tensor(_a0, requires_grad=True)
        _b = engine.tensor(_b0, requires_grad=True)
        with engine.substitute(Mm=_op):
            _out = _a @ _b
            _out.backward(engine.tensor(_g0))
        _runs.append([_out.detach().numpy(), _a.grad.numpy(), _b.grad.numpy()])
    for _got, _want in zip(*_runs):
        assert _got.shape == _want.shape and np.allclose(_got, _want, rtol=1e-12, atol=1e-12)
_x = engine.tensor(_rng.standard_normal((3, 2)), requires_grad=True)
with engine.substitute(Mm=MatMul):
    _y = _x @ _x.t()
    assert type(_y.grad_fn).__name__ == "MatMulBackward"
    (_gx,) = engine.autograd.grad((_y ** 2).sum(), _x, create_graph=True)
_want = 4 * (_x @ _x.t() @ _x).detach().numpy()  # y = x x.T is symmetric
assert np.allclose(_gx.detach().numpy(), _want) and _gx.grad_fn is not None
### END HIDDEN TESTS

# %% [markdown]
# The layer from above, on your `MatMul`: the picture shows your node, `MatMulBackward`, and
# the gradients agree with the engine's own.

# %% tags=["uses-your-code"]
with engine.substitute(Mm=MatMul):
    loss = (X @ W + bias).sum()
    loss.backward()
print("W.grad with your MatMul:\n", W.grad)
print("equal to X.T @ ones:", np.allclose(W.grad.numpy(), X.numpy().T @ np.ones((3, 3))))
engine.viz.draw(loss)

# %% [markdown]
# ## 3. Reductions
#
# A reduction turns many numbers into fewer: `sum`, `mean`, `max`, over the whole tensor or
# along a dimension. Its backward does the opposite of broadcasting, and is just as short:
#
# - **sum**: every entry contributes with slope 1, so each receives the gradient of the
#   output it went into. The gradient is *broadcast* back to the input's shape. (The
#   backward of a broadcast is a sum, and the backward of a sum is a broadcast.)
# - **mean** over $n$ entries: the same, divided by $n$.
# - **max**: only the entry that won contributes; the others could move a little without
#   changing the result, so their gradient is 0. When several entries tie for the maximum
#   of a whole tensor, they share the gradient equally; `max` along a dimension sends it to
#   the index it returns (the first of the tied ones).

# %%
m = engine.tensor([[1.0, 5.0, 2.0], [4.0, 3.0, 4.0]], requires_grad=True)
reductions = {
    "m.sum()": lambda: m.sum(),
    "m.mean()": lambda: m.mean(),
    "m.sum(dim=1)": lambda: m.sum(dim=1).sum(),
    "m.max()": lambda: m.max(),
    "m.max(dim=1)": lambda: m.max(dim=1).values.sum(),
}
for name, reduce in reductions.items():
    m.grad = None
    reduce().backward()
    print(f"{name:13} m.grad = {np.round(m.grad.numpy().astype(float), 4).tolist()}")

t = engine.tensor([2.0, 2.0, 1.0], requires_grad=True)
t.max().backward()
print("a tie, t = [2, 2, 1]: t.grad =", t.grad)

# %% [markdown]
# In the second row of `m`, `4` appears twice: `m.max(dim=1)` returned index 0 for that row
# and sent the whole gradient there.
#
# A loss is almost always a reduction at the end (the *mean* squared error, the *mean*
# cross-entropy). Because the mean divides by the number of examples, the size of the
# gradient does not grow with the batch size, and the same learning rate works for a batch
# of 10 or of 1000.

# %% [markdown]
# ## 4. The training loop
#
# Here is the two-parameter fit once more, with the numbers it printed in chapter 01:

# %%
xs = engine.tensor([1.0, 2.0, 3.0, 4.0])
ys = engine.tensor([3.0, 5.0, 7.0, 9.0])

w = engine.tensor(0.0, requires_grad=True)
b = engine.tensor(0.0, requires_grad=True)
lr = 0.05

print("two_parameter_fit")
for epoch in range(201):
    loss = ((w * xs + b - ys) ** 2).mean()
    loss.backward()

    with engine.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad

    if epoch % 50 == 0:
        print(f"epoch={epoch:3d} loss={loss.item():.4f} w={w.item():.4f} b={b.item():.4f}")

    w.grad.zero_()
    b.grad.zero_()

# %% [markdown]
# ### The same model as a matrix product
#
# Put the inputs in a matrix $X$ with a column of ones next to them, and the two parameters
# in one column $\theta = (w, b)^\top$. Then $X\theta$ computes $w x_i + b$ for every point
# at once: one matrix product instead of a broadcast multiply and a broadcast add. Every
# linear layer is this, with more columns. The loop prints the same lines:

# %%
X = engine.stack([xs, engine.ones(4)], dim=1)  # shape (4, 2): [x_i, 1] per row
Y = ys.reshape(4, 1)
print("X =", X.tolist())


def matrix_fit(epochs=201, lr=0.05):
    """The line fit with the parameters in a (2, 1) matrix; the lines it prints."""
    theta = engine.zeros(2, 1, requires_grad=True)
    lines = ["two_parameter_fit"]
    for epoch in range(epochs):
        loss = ((X @ theta - Y) ** 2).mean()
        loss.backward()
        with engine.no_grad():
            theta -= lr * theta.grad
        if epoch % 50 == 0:
            w_, b_ = theta.detach().numpy().ravel()
            lines.append(f"epoch={epoch:3d} loss={loss.item():.4f} w={w_:.4f} b={b_:.4f}")
        theta.grad.zero_()
    return lines


print("\n".join(matrix_fit()))

# %% [markdown]
# ### An optimizer
#
# Every training loop has the same four steps: clear the old gradients, compute the loss
# (the forward pass), `backward()`, and update the parameters. The update is always "for
# each parameter, move it using its gradient", so it is packaged as an **optimizer**, an
# object that holds the list of parameters and has two methods:
#
# - `zero_grad()` clears the gradients (remember, `backward()` *adds* into `.grad`).
#   PyTorch's default, and the engine's, is to set them to `None` rather than fill them with
#   zeros: the next `backward()` then stores a fresh gradient, and no memory is held in
#   between.
# - `step()` updates every parameter that has a gradient, under `no_grad`.
#
# `engine.optim.SGD` ("stochastic gradient descent") does exactly our update,
# $p \leftarrow p - \eta\, \nabla p$:

# %%
def line_fit(make_optimizer, epochs=201):
    """The line fit with an optimizer; the lines it prints."""
    w = engine.tensor(0.0, requires_grad=True)
    b = engine.tensor(0.0, requires_grad=True)
    optimizer = make_optimizer([w, b])
    lines = ["two_parameter_fit"]
    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = ((w * xs + b - ys) ** 2).mean()
        loss.backward()
        optimizer.step()
        if epoch % 50 == 0:
            lines.append(f"epoch={epoch:3d} loss={loss.item():.4f} "
                         f"w={w.item():.4f} b={b.item():.4f}")
    return lines


with_sgd = line_fit(lambda params: engine.optim.SGD(params, lr=0.05))
print("\n".join(with_sgd))
print("the same lines as the hand-written loop:", with_sgd == matrix_fit())

# %% [markdown]
# ## 5. Momentum and weight decay
#
# Plain gradient descent struggles in a long, narrow valley: a loss that is steep in one
# direction and nearly flat in another. The learning rate must be small enough for the
# steep direction (or every step overshoots, as in chapter 01), and then progress along
# the flat direction is painfully slow.
#
# **Momentum** keeps a running *velocity* $v$ for each parameter, and steps along it instead
# of along the gradient $g$:
#
# $$v \leftarrow \mu\, v + g, \qquad p \leftarrow p - \eta\, v ,$$
#
# with $v = g$ on the first step. In the flat direction the gradients point the same way
# step after step and the velocity builds up (up to $1 / (1 - \mu)$ times the gradient,
# 10 times for $\mu = 0.9$); in the steep direction they alternate in sign and mostly cancel.
#
# **Weight decay** adds $\lambda p$ to the gradient before anything else,
# $g \leftarrow g + \lambda p$. It is the gradient of an extra term $\frac{\lambda}{2}\|p\|^2$
# in the loss, and pulls every weight a little toward zero at each step, which discourages
# large weights.
#
# This is PyTorch's rule, and `engine.optim.SGD(params, lr, momentum=..., weight_decay=...)`
# follows it. Below, the valley $L(p) = \tfrac12 (0.2\, p_0^2 + 20\, p_1^2)$, starting from
# $(-8, 1)$, with the same learning rate $0.09$ with and without momentum:

# %%
valley_scale = engine.tensor([0.2, 20.0])


def descend_valley(momentum, steps=100, lr=0.09):
    """SGD on the valley: the path of p and the loss before each step."""
    p = engine.tensor([-8.0, 1.0], requires_grad=True)
    optimizer = engine.optim.SGD([p], lr=lr, momentum=momentum)
    path, losses = [p.detach().numpy().copy()], []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = 0.5 * (valley_scale * p * p).sum()
        loss.backward()
        optimizer.step()
        path.append(p.detach().numpy().copy())
        losses.append(loss.item())
    return np.array(path), losses


u, v = np.meshgrid(np.linspace(-9, 3, 200), np.linspace(-1.5, 1.5, 200))
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
left.contour(u, v, 0.5 * (0.2 * u**2 + 20 * v**2), levels=np.geomspace(0.01, 30, 12),
             colors="lightgrey")
for mu in (0.0, 0.8):
    path, losses = descend_valley(mu)
    left.plot(path[:40, 0], path[:40, 1], "o-", ms=2, label=f"momentum {mu}")
    right.semilogy(losses, label=f"momentum {mu}")
left.set(title="the first 40 steps", xlabel="p[0] (flat)", ylabel="p[1] (steep)")
right.set(title="loss", xlabel="step", ylim=(1e-8, 1e2))
left.legend()
right.legend()
plt.show()

# %% [markdown]
# Without momentum the path crawls along the flat direction (after 100 steps the loss is
# still about $0.18$); with momentum $0.8$ it overshoots a little and reaches the bottom far
# sooner. Try other values: too much momentum makes the path swing back and forth.

# %%
try:
    import ipywidgets as widgets
except ImportError:
    widgets = None
    print("The slider needs ipywidgets (`make lab` installs it); the plot above tells the story.")

if widgets is not None:
    slider = widgets.FloatSlider(value=0.8, min=0.0, max=0.98, step=0.02,
                                 description="momentum")

    @widgets.interact(momentum=slider)
    def explore(momentum):
        path, losses = descend_valley(momentum)
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3))
        left.contour(u, v, 0.5 * (0.2 * u**2 + 20 * v**2),
                     levels=np.geomspace(0.01, 30, 12), colors="lightgrey")
        left.plot(path[:40, 0], path[:40, 1], "o-", ms=2)
        left.set(title="the first 40 steps", xlabel="p[0]", ylabel="p[1]")
        right.semilogy(losses)
        right.set(title=f"loss, momentum {momentum:.2f}", xlabel="step", ylim=(1e-8, 1e2))
        plt.show()

# %% [markdown]
# ### Exercise 3: `SGD`
#
# Engine piece: `SGD`
#
# Write the optimizer. `SGD(params, lr=1e-3, momentum=0.0, weight_decay=0.0)` keeps the
# parameters (any iterable of tensors: make a list of it, since a generator such as
# `model.parameters()` can be read only once) and the settings.
#
# - `zero_grad(set_to_none=True)`: set each parameter's `.grad` to `None`, or, with
#   `set_to_none=False`, fill an existing gradient with zeros (`p.grad.zero_()`).
# - `step()`: inside `with engine.no_grad():`, for each parameter `p` whose `.grad` is not
#   `None` (a parameter that took no part in the loss has none; skip it):
#   1. `g = p.grad`, plus `weight_decay * p` if weight decay is on;
#   2. with momentum: the parameter's velocity is a **copy** of `g` on its first step
#      (`g.clone()`), and `momentum * velocity + g` afterwards; then `g` is the velocity.
#      Each parameter has its own velocity, kept from step to step;
#   3. `p -= lr * g`, which changes the tensor in place: the model holds these very tensor
#      objects.
#
# The check steps your optimizer and `engine.optim.SGD` side by side on the same losses and
# compares the parameters after every step.

# %% nbgrader={"grade_id": "sgd", "solution": true} gradbook={"piece": "SGD"}
class SGD:
    """Stochastic gradient descent with optional momentum and weight decay (PyTorch's rule)."""

    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0):
        ### BEGIN SOLUTION
        self.params = list(params)
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.velocity = [None] * len(self.params)
        ### END SOLUTION

    def zero_grad(self, set_to_none=True):
        ### BEGIN SOLUTION
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()
        ### END SOLUTION

    def step(self):
        ### BEGIN SOLUTION
        with engine.no_grad():
            for i, p in enumerate(self.params):
                if p.grad is None:
                    continue
                g = p.grad
                if self.weight_decay != 0:
                    g = g + self.weight_decay * p
                if self.momentum != 0:
                    if self.velocity[i] is None:
                        self.velocity[i] = g.clone()
                    else:
                        self.velocity[i] = self.momentum * self.velocity[i] + g
                    g = self.velocity[i]
                p -= self.lr * g
        ### END SOLUTION


# %% nbgrader={"grade_id": "sgd-check", "grade": true, "points": 3} gradbook={"checks": "SGD"}
check.SGD(SGD)
### BEGIN HIDDEN TESTS
from engine.optim.sgd import SGD as _EngineSGD

_rng = np.random.default_rng(808)
_init = [_rng.standard_normal((2, 3)), _rng.standard_normal(3), _rng.standard_normal(2)]
_x = engine.tensor(_rng.standard_normal((5, 2)))
for _config in [{"lr": 0.2}, {"lr": 0.1, "momentum": 0.9}, {"lr": 0.1, "weight_decay": 0.3},
                {"lr": 0.05, "momentum": 0.7, "weight_decay": 0.05}]:
    _finals = []
    for _cls in (SGD, _EngineSGD):
        _ps = [engine.tensor(_v, dtype=engine.float64, requires_grad=True) for _v in _init]
        _opt = _cls(iter(_ps), **_config)
        for _step in range(5):
            _opt.zero_grad(set_to_none=_step % 2 == 0)
            (((_x @ _ps[0] + _ps[1]).tanh() ** 2).sum()).backward()
            _opt.step()
        _finals.append([_p.detach().numpy().copy() for _p in _ps])
        assert all(_p.is_leaf and _p.grad_fn is None for _p in _ps)
    for _got, _want in zip(*_finals):
        assert np.allclose(_got, _want, rtol=1e-10, atol=1e-12), _config
### END HIDDEN TESTS

# %% [markdown]
# Your optimizer on the line fit:

# %% tags=["uses-your-code"]
yours = line_fit(lambda params: SGD(params, lr=0.05))
print("\n".join(yours))
print("the same lines as engine.optim.SGD:", yours == with_sgd)

# %% [markdown]
# ## 6. A network that reads digits
#
# Time for a real task. scikit-learn ships 1,797 small pictures of handwritten digits,
# 8×8 pixels each with values from 0 to 16. We scale them to $[0, 1]$, flatten each to 64
# numbers, shuffle them with a fixed seed, and keep 1,400 for training and 397 to measure
# accuracy on pictures the network never trained on.

# %%
from sklearn.datasets import load_digits

images, labels = load_digits(return_X_y=True)
order = np.random.default_rng(0).permutation(len(images))
images = (images[order] / 16.0).astype(np.float32)
labels = labels[order]
train_x, train_y = images[:1400], labels[:1400]
test_x, test_y = images[1400:], labels[1400:]
print("training:", train_x.shape, "  held out:", test_x.shape)

fig, axes = plt.subplots(1, 8, figsize=(8, 1.3))
for ax, picture, label in zip(axes, train_x, train_y):
    ax.imshow(picture.reshape(8, 8), cmap="gray_r")
    ax.set(title=str(label), xticks=[], yticks=[])
plt.show()

# %% [markdown]
# **The model**: two layers. The first multiplies a batch $X$ of shape $(B, 64)$ by weights
# $W_1$ of shape $(64, 32)$ and adds a bias $b_1$ of shape $(32,)$, broadcast over the
# batch; `relu` ($\max(0, z)$, entry by entry) keeps the positive part. The second layer
# maps the 32 numbers to 10 scores, one per digit:
#
# $$\text{scores} = \operatorname{relu}(X W_1 + b_1)\, W_2 + b_2 .$$
#
# **The loss** is the cross-entropy: turn the scores into probabilities with a softmax
# ($e^{s_c} / \sum_{c'} e^{s_{c'}}$) and take the mean, over the batch, of $-\log$ of the
# probability given to the right digit. `F.cross_entropy` computes it, built from the ops
# of this chapter (a reduction over the classes, an index, a mean over the batch), as the
# graph of one batch shows. Everything in this chapter is in it: matrix products, broadcast
# biases, reductions.

# %%
def init_params():
    """The four parameters of the network, with small random weights (a fixed seed)."""
    engine.manual_seed(0)
    return {
        "W1": (engine.randn(64, 32) * 64**-0.5).requires_grad_(),
        "b1": engine.zeros(32, requires_grad=True),
        "W2": (engine.randn(32, 10) * 32**-0.5).requires_grad_(),
        "b2": engine.zeros(10, requires_grad=True),
    }


def scores(params, x):
    hidden = (x @ params["W1"] + params["b1"]).relu()
    return hidden @ params["W2"] + params["b2"]


params = init_params()
batch_loss = F.cross_entropy(scores(params, engine.tensor(train_x[:50])),
                             engine.tensor(train_y[:50]))
print("loss of the untrained network on 50 pictures:", round(batch_loss.item(), 4),
      " (a blind guess among 10 digits gives -log(1/10) = 2.3026)")
engine.viz.draw(batch_loss, params=params)

# %% [markdown]
# **Training**: minibatches of 50 pictures, 10 passes over the training set (epochs), SGD
# with momentum 0.9 and learning rate 0.1. After each epoch we measure the accuracy on the
# held-out pictures, under `no_grad` (no graph is needed to evaluate).

# %%
def train_mlp(make_optimizer, epochs=10, batch_size=50):
    """Train a fresh network; the loss of every step and the held-out accuracy per epoch."""
    params = init_params()
    optimizer = make_optimizer(list(params.values()))
    shuffle = np.random.default_rng(1)
    losses, accuracies = [], []
    for _ in range(epochs):
        order = shuffle.permutation(len(train_x))
        for start in range(0, len(train_x), batch_size):
            rows = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = F.cross_entropy(scores(params, engine.tensor(train_x[rows])),
                                   engine.tensor(train_y[rows]))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with engine.no_grad():
            predicted = scores(params, engine.tensor(test_x)).argmax(dim=1).numpy()
        accuracies.append(float((predicted == test_y).mean()))
    return losses, accuracies


def show_training(losses, accuracies, label=""):
    steps_per_epoch = len(losses) // len(accuracies)
    for epoch, accuracy in enumerate(accuracies, 1):
        recent = np.mean(losses[(epoch - 1) * steps_per_epoch:epoch * steps_per_epoch])
        print(f"epoch {epoch:2d}  mean loss {recent:.4f}  held-out accuracy {accuracy:.3f}")


engine_losses, engine_accuracies = train_mlp(
    lambda p: engine.optim.SGD(p, lr=0.1, momentum=0.9))
show_training(engine_losses, engine_accuracies)

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2))
left.plot(engine_losses, lw=0.8)
left.set(title="training loss, every step", xlabel="step", ylabel="cross-entropy")
right.plot(range(1, len(engine_accuracies) + 1), engine_accuracies, "o-")
right.set(title="held-out accuracy", xlabel="epoch", ylim=(0.8, 1.0))
plt.show()

# %% [markdown]
# The loss falls from about $2.3$ (a blind guess) to a few hundredths, and the network
# recognises about 98% of digits it has never seen. Each step's loss is measured on a
# different minibatch, which is why the curve is noisy: that noise is the "stochastic" in
# stochastic gradient descent.

# %% [markdown]
# ## Practice quiz
#
# Pick an answer and press **Check**. These are not graded.

# %%
quiz.practice([
    {
        "q": "a has shape (4, 3) and b has shape (3,). loss = (a + b).sum(). What is b.grad?",
        "choices": ["A (4, 3) array of ones", "A (3,) vector of fours",
                    "A (3,) vector of ones", "The number 12"],
        "answer": 1,
        "explain": "Each b[j] is added to all 4 rows, so it is used 4 times, each with slope "
                   "1: its gradient is the sum over the rows, 4, and has b's shape (3,).",
    },
    {
        "q": "A has shape (2, 5), B has shape (5, 3), G = dL/d(A @ B). Which gives dL/dA?",
        "choices": ["B.T @ G", "G @ B.T", "G @ B", "A.T @ G"],
        "answer": 1,
        "explain": "dL/dA must be (2, 5). G is (2, 3) and B.T is (3, 5): G @ B.T is the only "
                   "arrangement with that shape. A.T @ G is dL/dB.",
    },
    {
        "q": "m has shape (2, 5) and loss = m.mean(). What is every entry of m.grad?",
        "choices": ["1", "0.2", "0.1", "10"],
        "answer": 2,
        "explain": "The mean divides the sum of 10 entries by 10, so each entry's slope is "
                   "1/10.",
    },
    {
        "q": "SGD with momentum 0.9: what is the first step, compared with plain SGD?",
        "choices": ["The same: the velocity starts as the first gradient",
                    "Ten times larger", "A tenth as large", "Zero: the velocity starts at 0"],
        "answer": 0,
        "explain": "PyTorch's rule sets v = g on the first step, so the first update is "
                   "p - lr * g, as without momentum. The velocity builds up over later steps.",
    },
])

# %% [markdown]
# ## Graded quiz
#
# Record your answers in the cell below, as letters. They are graded when you hand in the
# notebook; nothing here tells you whether they are right.
#
# **q1.** `x` has shape $(3, 1)$ and `y` has shape $(4,)$. What is the shape of `x * y`?
# a) $(3, 4)$  b) $(4, 3)$  c) $(3, 1)$  d) an error: the shapes do not broadcast
#
# **q2.** A bias `b` of shape $(1, 4)$ is added to an output of shape $(5, 4)$ and
# `loss = out.sum()`. What is `b.grad`?
# a) shape $(5, 4)$, all ones  b) shape $(4,)$, all fives  c) shape $(1, 4)$, all fives
# d) shape $(1, 4)$, all ones
#
# **q3.** For `Y = A @ B` with `A` of shape $(3, 2)$ and `B` of shape $(2, 4)$, and
# `G` the gradient of the loss with respect to `Y`, the gradient with respect to `B` is:
# a) `G @ A`  b) `A.T @ G`  c) `G.T @ A`  d) `G @ B.T`
#
# **q4.** `t = engine.tensor([2.0, 2.0, 1.0], requires_grad=True)` and `t.max().backward()`.
# What is `t.grad`?
# a) `[1, 0, 0]`  b) `[1, 1, 0]`  c) `[0.5, 0.5, 0]`  d) `[0, 0, 1]`
#
# **q5.** A parameter starts at $0$ and its gradient is always $1$. After two steps of SGD
# with learning rate $0.1$ and momentum $0.9$, where is it?
# a) $-0.2$  b) $-0.29$  c) $-0.19$  d) $-0.1$

# %% nbgrader={"grade_id": "quiz-answers", "solution": true} gradbook={"quiz": "answers", "stub": ""}
# Put the letter of your choice ("a", "b", "c" or "d") in place of each None.
answers = {"q1": None, "q2": None, "q3": None, "q4": None, "q5": None}
### BEGIN SOLUTION
answers = {"q1": "a", "q2": "c", "q3": "b", "q4": "c", "q5": "b"}
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
assert str(answers["q2"]).strip().lower() == "c", "q2"
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "quiz-q3", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 3: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q3"]).strip().lower() == "b", "q3"
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "quiz-q4", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 4: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q4"]).strip().lower() == "c", "q4"
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "quiz-q5", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 5: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q5"]).strip().lower() == "b", "q5"
### END HIDDEN TESTS

# %% [markdown]
# ## Your engine
#
# The digit reader once more, from the same starting weights and the same minibatches, but
# now every matrix product of the forward pass runs your `MatMul`, every broadcast bias has
# its gradient summed by your `unbroadcast`, and your `SGD` moves the weights:

# %% tags=["uses-your-code"]
with engine.substitute(Mm=MatMul, sum_to=unbroadcast):
    your_losses, your_accuracies = train_mlp(lambda p: SGD(p, lr=0.1, momentum=0.9))
show_training(your_losses, your_accuracies)
print()
print("largest difference from the engine's own run, over all",
      len(your_losses), "losses:", f"{np.max(np.abs(np.subtract(your_losses, engine_losses))):.1e}")

fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(engine_losses, lw=2.5, alpha=0.4, label="the engine's Mm, sum_to and SGD")
ax.plot(your_losses, lw=0.8, label="your MatMul, unbroadcast and SGD")
ax.set(title="the same training, two engines", xlabel="step", ylabel="loss")
ax.legend()
plt.show()

# %% [markdown]
# The two curves lie on top of each other: your pieces compute the same numbers as the
# engine's. To run the engine's own tests with your pieces in place (its broadcasting
# tests with your `unbroadcast`, its matrix-product tests with your `MatMul`, and its
# optimizer tests, including a comparison with PyTorch's SGD and the same digits network
# trained in both libraries, with your `SGD` as `engine.optim.SGD`), save this notebook and
# run in a terminal:
#
# ```
# gradbook my-engine course/08-tensors-and-training.ipynb
# ```
