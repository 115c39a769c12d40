# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 09 · Custom Functions and gradcheck
#
# Every operation of the engine is a small class with a `forward` and a `backward`: you
# wrote `Mul`, `Add` and `MatMul` that way. The same mechanism is open to you for operations
# of your own. You write one when
#
# - the engine has no such operation, or it has to call code the engine cannot see (a plain
#   NumPy routine, a library written in C);
# - you know a better backward than the one autograd would assemble: cheaper, more stable,
#   or keeping less memory;
# - you want a gradient different from the true one on purpose (a surrogate gradient for a
#   step function, say).
#
# A hand-written backward is also a new place for bugs, and they are quiet: a wrong gradient
# does not crash, training just goes worse. So the second half of this chapter is about
# checking a backward against the forward it belongs to, with `gradcheck`.
#
# In this chapter you will:
#
# - write a Function with `engine.autograd.Function`, and use its `ctx`: `save_for_backward`,
#   `saved_tensors`, `needs_input_grad`;
# - trade memory for compute by recomputing in `backward`, and see why that also gets
#   second derivatives right (and what `once_differentiable` is for);
# - write softplus as a Function with a number argument (**exercise 1**, `Softplus`);
# - compare Jacobians, and write the checker itself (**exercise 2**, `gradcheck`);
# - check your own Function, and a second derivative, with your own `gradcheck`.
#
# Run the cells from top to bottom; each exercise is followed by its check, as before.
# `gradbook check course/09-custom-functions.ipynb` runs every check from a terminal.

# %%
import matplotlib.pyplot as plt
import numpy as np

import engine
import engine.viz
from engine.autograd import Function, GradcheckError, once_differentiable
from graders import quiz
from graders.checks import ch09 as check

# %% [markdown]
# ## 1. A Function of your own
#
# The engine's own operations are `ArrayFunction`s: their `forward` works on raw arrays,
# because writing it with tensor operations would call the operation itself. A Function of
# your own is an `engine.autograd.Function` (PyTorch's `torch.autograd.Function`), and it is
# written with tensors:
#
# - `forward(ctx, *args)` receives tensors (and any other arguments you pass) and returns a
#   tensor. It may use any engine operation; the engine runs it **without recording**, so
#   the whole forward becomes a single node of the graph.
# - `backward(ctx, grad_output)` receives the gradient of the loss with respect to the
#   output and returns **one gradient per argument of `forward`**, each shaped like its
#   argument (`None` for an argument that has no gradient, such as a number).
# - You call it as `MySiLU.apply(x)`, never `MySiLU.forward(...)` (that would compute
#   without recording anything) and never `MySiLU()`: a Function is not instantiated.
#
# Our example is the SiLU activation (also called swish), $\operatorname{silu}(x) =
# x\,\sigma(x)$ with $\sigma(x) = 1 / (1 + e^{-x})$. Since $\sigma'(x) = \sigma(x)(1 -
# \sigma(x))$, the product rule gives
#
# $$\operatorname{silu}'(x) = \sigma(x) + x\,\sigma(x)\,(1 - \sigma(x))
# = \sigma(x)\,\bigl(1 + x\,(1 - \sigma(x))\bigr).$$
#
# Its `forward` computes $\sigma(x)$ anyway, so it saves it along with $x$:

# %%
class MySiLU(Function):
    """x * sigmoid(x), saving x and sigmoid(x) for backward."""

    @staticmethod
    def forward(ctx, x):
        s = engine.sigmoid(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, grad_output):
        x, s = ctx.saved_tensors
        return grad_output * s * (1 + x * (1 - s))


x = engine.tensor([-2.0, -0.5, 0.0, 1.0, 3.0], requires_grad=True)
y = MySiLU.apply(x)
print(y)
y.sum().backward()
print("x.grad:              ", x.grad)

x2 = engine.tensor([-2.0, -0.5, 0.0, 1.0, 3.0], requires_grad=True)
(x2 * x2.sigmoid()).sum().backward()
print("the same, autograd'd:", x2.grad)

try:
    MySiLU()
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# The node is named after the class, `MySiLUBackward`. In the graph it is a single node,
# with the two tensors it saved (orange):

# %%
engine.viz.draw(MySiLU.apply(x), show_saved=True)

# %% [markdown]
# Written with the engine's operations instead, the same function is two nodes, which
# between them keep the same two tensors ($x$ for the multiplication, $\sigma(x)$ for both):

# %%
engine.viz.draw(x * x.sigmoid(), show_saved=True)

# %% [markdown]
# ## 2. The `ctx` toolbox
#
# `ctx` is the node itself, and it carries what `forward` wants to tell `backward`:
#
# | in `forward` | in `backward` | for |
# |---|---|---|
# | `ctx.save_for_backward(a, b)` | `a, b = ctx.saved_tensors` | tensors: inputs, outputs or values computed on the way |
# | `ctx.k = k` | `ctx.k` | anything else: numbers, shapes, flags |
# | `ctx.needs_input_grad` | `ctx.needs_input_grad` | one boolean per argument of `forward`: which gradients are wanted |
#
# Why `save_for_backward` rather than `ctx.x = x` for tensors? The engine manages what is
# saved that way. It frees it as soon as `backward` has run (so a second backward says so,
# as in chapter 03, instead of silently reusing the tensors), and it remembers each tensor's
# version, so if you modify a saved tensor in place before `backward`, you get an error
# instead of a wrong gradient.
#
# `needs_input_grad` lets `backward` skip work: here a scaled product whose second factor is
# data, not a parameter. The backward returns three values, one per argument of `forward`,
# the last `None` for the number `k`:

# %%
class ScaledProduct(Function):
    """a * b * k for tensors a, b and a number k."""

    @staticmethod
    def forward(ctx, a, b, k):
        print("needs_input_grad:", ctx.needs_input_grad)
        ctx.save_for_backward(a, b)
        ctx.k = k
        return a * b * k

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        grad_a = grad_output * b * ctx.k if ctx.needs_input_grad[0] else None
        grad_b = grad_output * a * ctx.k if ctx.needs_input_grad[1] else None
        return grad_a, grad_b, None


w = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
data = engine.tensor([0.5, -1.0, 2.0])
out = ScaledProduct.apply(w, data, 10)
out.sum().backward()
print("w.grad:", w.grad)
print("next_functions:", out.grad_fn.next_functions)

# %% [markdown]
# Only tensors become edges of the graph: the number `10` has no entry in
# `next_functions`, and the data tensor, which does not require grad, gets `(None, 0)`.
#
# The two mistakes the engine catches for you, with PyTorch's messages: the wrong number of
# gradients, and a saved tensor modified in place before `backward`:

# %%
class ForgetsTheNumber(Function):
    @staticmethod
    def forward(ctx, a, k):
        return a * k

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output  # one gradient, but forward had two arguments


try:
    ForgetsTheNumber.apply(w, 2.0).sum().backward()
except RuntimeError as err:
    print("RuntimeError:", err)

h = w * 1  # a tensor in the graph
y = MySiLU.apply(h)  # saves h
with engine.no_grad():
    h += 1  # changes h in place before backward
try:
    y.sum().backward()
except RuntimeError as err:
    print("RuntimeError:", str(err).split(" Hint:")[0])

# %% [markdown]
# Two more methods exist for rarer cases: `ctx.mark_non_differentiable(t)` for an output
# that has no gradient (indices returned next to values), and `ctx.mark_dirty(t)` for a
# Function that modifies an input in place.

# %% [markdown]
# ## 3. Memory against compute
#
# Every tensor saved for backward stays in memory from the forward pass until the backward
# pass has used it. In a deep network those saved activations are most of the memory
# training takes. `MySiLU` keeps two tensors per call, $x$ and $\sigma(x)$. But $\sigma(x)$
# is cheap to compute again from $x$: save only $x$, and recompute $\sigma(x)$ in `backward`.
# One tensor kept instead of two, for one extra sigmoid per backward pass:

# %%
class LeanSiLU(Function):
    """x * sigmoid(x), saving only x: sigmoid(x) is recomputed in backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * engine.sigmoid(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = engine.sigmoid(x)
        return grad_output * s * (1 + x * (1 - s))


big = engine.randn(1_000_000, requires_grad=True)
for name, silu in [("MySiLU", MySiLU), ("LeanSiLU", LeanSiLU)]:
    saved = silu.apply(big).grad_fn.saved_tensors
    megabytes = sum(t.numel() * t.dtype.itemsize for t in saved) / 1e6
    print(f"{name:9} keeps {len(saved)} tensor{'s' if len(saved) > 1 else ' '} "
          f"for backward: {megabytes:.1f} MB")

# %% [markdown]
# Half the memory for this activation. Chapter 10 applies the same trade to whole blocks of
# a network: keep only a block's input, run the block again during backward.
#
# ### A bonus: second derivatives
#
# Recomputing has a second benefit. `forward` runs without recording, so for the engine the
# $\sigma(x)$ that `MySiLU` computed there is a **constant**: it has no history. When
# `backward` is itself recorded (`create_graph=True`, for a second derivative), the engine
# can differentiate `backward`'s formula through $x$, but not through that constant.
# `LeanSiLU` computes $\sigma(x)$ inside `backward`, from the saved input, where it is
# recorded. Compare the second derivatives with those of the plain composition
# `x * x.sigmoid()`, which autograd gets right:

# %%
def second_derivative(f, values):
    x = engine.tensor(values, dtype=engine.float64, requires_grad=True)
    (first,) = engine.autograd.grad(f(x).sum(), x, create_graph=True)
    (second,) = engine.autograd.grad(first.sum(), x)
    return np.round(second.numpy(), 4).tolist()


points = [-1.0, 0.0, 2.0]
print("x * x.sigmoid():", second_derivative(lambda t: t * t.sigmoid(), points))
print("LeanSiLU:       ", second_derivative(LeanSiLU.apply, points))
print("MySiLU:         ", second_derivative(MySiLU.apply, points))

# %% [markdown]
# `MySiLU`'s second derivative is wrong (0.25 instead of 0.5 at $x = 0$), and nothing warned
# us. Two rules follow. Save inputs (or outputs), and recompute from them what `backward`
# needs, when you want a backward that can itself be differentiated. And when a backward
# cannot be differentiated correctly (it calls NumPy, or uses values from `forward`), say so
# by decorating it with `@once_differentiable`: the engine then runs it without recording,
# so the first derivative comes back as a plain tensor, and differentiating it again is an
# error instead of a wrong number.

# %%
class OnceSiLU(Function):
    @staticmethod
    def forward(ctx, x):
        s = engine.sigmoid(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        x, s = ctx.saved_tensors
        return grad_output * s * (1 + x * (1 - s))


x = engine.tensor(points, dtype=engine.float64, requires_grad=True)
(first,) = engine.autograd.grad(OnceSiLU.apply(x).sum(), x, create_graph=True)
print("first derivative:", first)
try:
    engine.autograd.grad(first.sum(), x)
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# ## 4. Softplus
#
# The softplus function is a smooth version of relu:
#
# $$\operatorname{softplus}_\beta(x) = \frac{1}{\beta}\,\log\bigl(1 + e^{\beta x}\bigr),
# \qquad \frac{d}{dx}\operatorname{softplus}_\beta(x) = \sigma(\beta x).$$
#
# Far to the left it is close to 0, far to the right close to $x$, and a larger $\beta$
# makes the bend sharper. (Its derivative is the sigmoid: the $\beta$ that the chain rule
# brings out of $e^{\beta x}$ cancels the $1/\beta$ in front.)
#
# Written as it stands, it breaks on large inputs: $e^{100}$ does not fit in a float32 and
# becomes `inf`, and so does the result, although the right answer is simply about $100$.
# The same value can be written so that `exp` only ever sees numbers $\le 0$: with
# $z = \beta x$,
#
# $$\log(1 + e^{z}) = \max(z, 0) + \log\bigl(1 + e^{-|z|}\bigr).$$

# %%
z = engine.tensor([-100.0, 0.0, 30.0, 100.0])
print("log(1 + e^z), as written:  ", (1 + z.exp()).log())
print("max(z, 0) + log(1 + e^-|z|):", z.relu() + (1 + (-z.abs()).exp()).log())

# %% [markdown]
# ### Exercise 1: `Softplus`
#
# Engine piece: `Softplus`
#
# Write softplus as a Function with a number argument: `Softplus.apply(x, beta)`, with
# `beta` defaulting to 1.
#
# - `forward(ctx, x, beta=1.0)`: save **only** `x` with `ctx.save_for_backward(x)`, keep
#   `beta` on `ctx`, and return $(\max(z, 0) + \log(1 + e^{-|z|})) / \beta$ with
#   $z = \beta x$ (`z.relu()`, `z.abs()`, `.exp()`, `.log()`).
# - `backward(ctx, grad_output)`: recompute $\sigma(\beta x)$ from the saved `x` and return
#   two values, the gradient for `x` and `None` for `beta`.
#
# Use tensor operations only, so that, like `LeanSiLU`, your backward can be differentiated
# again. The check compares values and gradients with the formulas above, tries large
# inputs in float32, looks at what you saved, and runs the engine's `gradcheck` on it.

# %% nbgrader={"grade_id": "softplus", "solution": true} gradbook={"piece": "Softplus"}
class Softplus(Function):
    """log(1 + exp(beta * x)) / beta, saving only x (sigmoid is recomputed in backward)."""

    @staticmethod
    def forward(ctx, x, beta=1.0):
        ### BEGIN SOLUTION
        ctx.save_for_backward(x)
        ctx.beta = beta
        z = x * beta
        return (z.relu() + (1 + (-z.abs()).exp()).log()) / beta
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad_output):
        ### BEGIN SOLUTION
        (x,) = ctx.saved_tensors
        return grad_output * (x * ctx.beta).sigmoid(), None
        ### END SOLUTION


# %% nbgrader={"grade_id": "softplus-check", "grade": true, "points": 3} gradbook={"checks": "Softplus"}
check.Softplus(Softplus)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(9)
for _beta in (0.25, 1.0, 3.0):
    _x0 = _rng.standard_normal((3, 4)) * 4
    _x = engine.tensor(_x0, dtype=engine.float64, requires_grad=True)
    _y = Softplus.apply(_x, _beta)
    _g = _rng.standard_normal((3, 4))
    _y.backward(engine.tensor(_g))
    assert np.allclose(_y.detach().numpy(), np.logaddexp(0, _beta * _x0) / _beta, rtol=1e-10)
    assert np.allclose(_x.grad.numpy(), _g / (1 + np.exp(-_beta * _x0)), rtol=1e-10)
    _t = engine.tensor(_x0, dtype=engine.float64, requires_grad=True)
    assert engine.autograd.gradcheck(lambda _v, _b=_beta: Softplus.apply(_v, _b), (_t,))
    assert engine.autograd.gradgradcheck(lambda _v, _b=_beta: Softplus.apply(_v, _b), (_t,))
_big = Softplus.apply(engine.tensor([500.0, -500.0], requires_grad=True), 2.0)
assert _big.tolist() == [500.0, 0.0] and len(_big.grad_fn.saved_tensors) == 1
### END HIDDEN TESTS

# %% [markdown]
# Your softplus for three values of $\beta$, next to relu, with its derivative (your
# backward, through `x.grad`) on the right:

# %% tags=["uses-your-code"]
grid = np.linspace(-4, 4, 161)
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2))
left.plot(grid, np.maximum(grid, 0), "k--", lw=1, label="relu")
for beta in (0.5, 1.0, 4.0):
    x = engine.tensor(grid, requires_grad=True)
    y = Softplus.apply(x, beta)
    y.sum().backward()
    left.plot(grid, y.detach().numpy(), label=f"softplus, beta = {beta}")
    right.plot(grid, x.grad.numpy(), label=f"beta = {beta}")
left.set(title="your Softplus", xlabel="x")
right.set(title="its gradient (your backward)", xlabel="x")
left.legend()
right.legend()
plt.show()

# %% [markdown]
# ## 5. Checking a backward: Jacobians and gradcheck
#
# A function $f$ from $n$ numbers to $m$ numbers has an $m \times n$ **Jacobian**:
# $J_{rk} = \partial f_r / \partial x_k$, how output $r$ moves when input $k$ moves. Your
# backward never builds it; it computes $v^\top J$ for the $v$ it receives
# (`grad_output`). But we can get $J$ two independent ways and compare:
#
# - **analytically, one row at a time**: a backward pass with $v = e_r$ (a one-hot vector:
#   1 at output entry $r$, 0 elsewhere) gives row $r$ of $J$. That uses your backward.
# - **numerically, one column at a time**: move input entry $k$ by $\pm\varepsilon$, run the
#   forward, and take the central difference of the outputs (chapter 01): that is column
#   $k$. It uses only the forward.
#
# If the backward is right, the two agree up to the error of the central difference. Here
# is a softmax, $s_i = e^{x_i} / \sum_j e^{x_j}$, whose backward has a classic bug: it uses
# only $\partial s_i / \partial x_i = s_i(1 - s_i)$, the diagonal of the Jacobian, and
# forgets that every output depends on every input ($\partial s_i / \partial x_j = -s_i
# s_j$). The pictures use the two Jacobians that the engine's `gradcheck` builds:

# %%
class DiagonalSoftmax(Function):
    """softmax, with a backward that keeps only the diagonal of the Jacobian (a bug)."""

    @staticmethod
    def forward(ctx, x):
        e = (x - x.max()).exp()
        s = e / e.sum()
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, grad_output):
        (s,) = ctx.saved_tensors
        return grad_output * s * (1 - s)


from engine.autograd.gradcheck import _analytical_jacobians, _numerical_jacobians

x = engine.tensor([0.5, -1.0, 2.0, 0.0, 1.0], dtype=engine.float64, requires_grad=True)
numerical = _numerical_jacobians(DiagonalSoftmax.apply, (x,), 1e-6)[0][0]
analytical = _analytical_jacobians(DiagonalSoftmax.apply, (x,))[0][0]

fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
limit = np.abs(numerical).max()
for ax, matrix, title in zip(axes, [numerical, analytical, analytical - numerical],
                             ["numerical, from forward", "analytical, from backward",
                              "their difference"]):
    image = ax.imshow(matrix, cmap="RdBu", vmin=-limit, vmax=limit)
    ax.set(title=title, xlabel="input k", ylabel="output r", xticks=range(5), yticks=range(5))
fig.colorbar(image, ax=axes, shrink=0.8)
plt.show()

# %% [markdown]
# The diagonals agree; everything off the diagonal is missing from the analytical Jacobian.
# A test that looked only at the diagonal, or at the gradient of one particular loss, could
# miss a bug like this one. Comparing every entry of the Jacobian cannot.
#
# `engine.autograd.gradcheck(func, inputs)` (PyTorch's `torch.autograd.gradcheck`) does
# exactly this comparison. Entry by entry, with $a$ from the backward and $n$ from the
# central differences, it requires
#
# $$|a - n| \le \text{atol} + \text{rtol} \cdot |n|, \qquad \text{eps} = 10^{-6},\
# \text{atol} = 10^{-5},\ \text{rtol} = 10^{-3} \text{ by default},$$
#
# and returns `True`, or raises a `GradcheckError` showing both Jacobians:

# %%
print("LeanSiLU:", engine.autograd.gradcheck(LeanSiLU.apply, (x,)))
try:
    engine.autograd.gradcheck(DiagonalSoftmax.apply, (x,))
except GradcheckError as err:
    print("GradcheckError:", err)

# %% [markdown]
# **Always in float64.** With $\varepsilon = 10^{-6}$, the central difference divides a
# difference of two outputs by $2 \times 10^{-6}$. A float32 holds about 7 significant
# digits, so each output carries a rounding error around $10^{-7}$ of its size, and after
# the division the estimate can be off by a few hundredths: hopeless against a tolerance
# of $10^{-3}$. A float64 holds about 16 digits, and the same estimate is good to about
# $10^{-10}$. The plot
# shows the error of the central difference of $\sin$ at 1 in both precisions (compare
# chapter 01's plot):

# %%
steps = np.logspace(-9, -1, 33)
fig, ax = plt.subplots(figsize=(6, 3.5))
for dtype in (engine.float32, engine.float64):
    errors = []
    for eps in steps:
        xs = engine.tensor([1.0 + eps, 1.0 - eps], dtype=dtype)
        up, down = xs.sin().tolist()
        errors.append(abs((up - down) / (2 * eps) - np.cos(1.0)))
    ax.loglog(steps, errors, "o-", ms=3, label=str(dtype))
ax.axvline(1e-6, ls="--", c="grey")
ax.set(xlabel="eps", ylabel="error of the central difference", title="d/dx sin(x) at x = 1")
ax.legend()
plt.show()

# %% [markdown]
# At the default $\varepsilon = 10^{-6}$ (dashed), float32 is off by a few thousandths, float64
# by less than $10^{-10}$: seven orders of magnitude apart. The engine warns when an input that requires grad is not float64, and
# indeed a perfectly good backward fails in float32:

# %%
import warnings

x32 = engine.tensor([0.3, -1.2, 2.0, 0.7], requires_grad=True)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        engine.autograd.gradcheck(LeanSiLU.apply, (x32,))
    except GradcheckError as err:
        print("float32: GradcheckError:", str(err).splitlines()[0])
print("  and the warning:", caught[0].message)
print("float64:", engine.autograd.gradcheck(LeanSiLU.apply, (x32.detach().double()
                                                             .requires_grad_(),)))

# %% [markdown]
# ### Exercise 2: `gradcheck`
#
# Engine piece: `gradcheck`
#
# Write `gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)`. `inputs` is a tuple of
# arguments for `func`; the ones that are tensors requiring grad are checked, and they are
# numbered 0, 1, ... **among themselves**, as PyTorch numbers them (an argument that does
# not require grad is not counted). `func(*inputs)` returns one tensor, `out`.
#
# 1. **Analytical Jacobians.** For each entry `r` of `out` (`out.numel()` of them): make a
#    one-hot tensor shaped like `out`, in its dtype, and call
#    `engine.autograd.grad(out, checked, grad_outputs=onehot, retain_graph=True,
#    allow_unused=True)`, with `checked` the list of checked inputs. It returns one gradient
#    per checked input (`None`: zeros), and gradient `j`, flattened, is row `r` of Jacobian
#    `j`, an array of shape `(out.numel(), inputs[j].numel())`. (`autograd.grad`, unlike
#    `backward()`, leaves `.grad` alone; `retain_graph=True` keeps the graph for the next
#    row.)
# 2. **Numerical Jacobians.** For each checked input and each entry `k` of it: take its
#    values as a NumPy array (`t.detach().numpy().copy()`), move entry `k` by `+eps`
#    (`a.flat[k] += eps`), make a tensor of it (`engine.tensor(a, dtype=t.dtype)`), and
#    evaluate `func` with it in place of the input, inside `with engine.no_grad():`; the
#    same with `-eps`. Column `k` is the difference of the two flattened outputs divided by
#    `2 * eps`.
# 3. **Compare.** If `|a - n| <= atol + rtol * |n|` holds for every entry of every pair,
#    return `True`. Otherwise raise, for the first checked input `j` that disagrees,
#    `GradcheckError(f"Jacobian mismatch for output 0 with respect to input {j},\n"
#    f"numerical:{engine.tensor(n)}\nanalytical:{engine.tensor(a)}\n")`.

# %% nbgrader={"grade_id": "gradcheck", "solution": true} gradbook={"piece": "gradcheck"}
def gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """True when func's backward agrees with central differences at `inputs`; otherwise
    raise GradcheckError naming the first input whose Jacobians differ."""
    ### BEGIN SOLUTION
    inputs = tuple(inputs)
    positions = [j for j, t in enumerate(inputs)
                 if isinstance(t, engine.Tensor) and t.requires_grad]
    checked = [inputs[j] for j in positions]
    out = func(*inputs)
    rows = out.numel()

    analytical = [np.zeros((rows, t.numel())) for t in checked]
    if out.requires_grad:
        for r in range(rows):
            onehot = np.zeros(rows)
            onehot[r] = 1.0
            onehot = engine.tensor(onehot.reshape(tuple(out.shape)), dtype=out.dtype)
            grads = engine.autograd.grad(out, checked, grad_outputs=onehot, retain_graph=True,
                                         allow_unused=True)
            for jacobian, g in zip(analytical, grads):
                if g is not None:
                    jacobian[r] = g.detach().numpy().ravel()

    numerical = []
    for j, t in zip(positions, checked):
        values = t.detach().numpy()
        jacobian = np.zeros((rows, values.size))
        for k in range(values.size):
            results = []
            for step in (eps, -eps):
                moved = values.copy()
                moved.flat[k] += step
                args = list(inputs)
                args[j] = engine.tensor(moved, dtype=t.dtype)
                with engine.no_grad():
                    results.append(func(*args).detach().numpy().astype(np.float64).ravel())
            jacobian[:, k] = (results[0] - results[1]) / (2 * eps)
        numerical.append(jacobian)

    for j, (n, a) in enumerate(zip(numerical, analytical)):
        if not np.all(np.abs(a - n) <= atol + rtol * np.abs(n)):
            raise GradcheckError(
                f"Jacobian mismatch for output 0 with respect to input {j},\n"
                f"numerical:{engine.tensor(n)}\nanalytical:{engine.tensor(a)}\n")
    return True
    ### END SOLUTION


# %% nbgrader={"grade_id": "gradcheck-check", "grade": true, "points": 4} gradbook={"checks": "gradcheck"}
check.gradcheck(gradcheck)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(99)
_cases = [
    (lambda _a: (_a.tanh() * _a).sum(dim=0), 1),
    (lambda _a, _b: _a @ _b.exp(), 2),
    (DiagonalSoftmax.apply, 1),
    (MySiLU.apply, 1),
    (lambda _a, _b: _a * _b + _a.sin(), 2),
]
for _func, _n in _cases:
    for _constant_first in (False, True):
        _ins = [engine.tensor(_rng.standard_normal((3, 3)),
                              requires_grad=not (_constant_first and _i == 0 and _n > 1))
                for _i in range(_n)]
        try:
            _want = engine.autograd.gradcheck(_func, tuple(_ins))
        except GradcheckError as _err:
            _want = str(_err).splitlines()[0]
        try:
            _got = gradcheck(_func, tuple(_ins))
        except GradcheckError as _err:
            _got = str(_err).splitlines()[0]
        assert _got == _want, (_got, _want)
        assert all(_t.grad is None for _t in _ins)
### END HIDDEN TESTS

# %% [markdown]
# ## Practice quiz
#
# Pick an answer and press **Check**. These are not graded.

# %%
quiz.practice([
    {
        "q": "A Function's forward is forward(ctx, x, k), with k a Python number. What does "
             "its backward return?",
        "choices": ["The gradient for x only", "Two values: the gradient for x, and None for k",
                    "A gradient for x and a gradient for k", "Nothing: it sets x.grad"],
        "answer": 1,
        "explain": "One value per argument of forward, in order; a number has no gradient, so "
                   "None. Returning only one raises 'returned an incorrect number of "
                   "gradients (expected 2, got 1)'.",
    },
    {
        "q": "Why save tensors with ctx.save_for_backward(x) rather than ctx.x = x?",
        "choices": [
            "It is faster to type",
            "The engine frees them after backward and notices if they were modified in place",
            "ctx.x = x raises an error",
            "Only save_for_backward tensors are moved to the GPU",
        ],
        "answer": 1,
        "explain": "Saved tensors are managed: freed once backward has run, and checked "
                   "against in-place changes (their version) so a stale value raises an "
                   "error instead of giving a wrong gradient.",
    },
    {
        "q": "gradcheck on float32 inputs with eps = 1e-6 fails although the backward is "
             "right. Why?",
        "choices": [
            "float32 cannot hold 1e-6",
            "float32 rounding (about 1e-7) divided by 2e-6 makes the numerical Jacobian "
            "off by up to a few hundredths",
            "gradcheck only supports one dtype",
            "The analytical Jacobian is wrong in float32",
        ],
        "answer": 1,
        "explain": "The central difference divides a tiny difference of outputs by 2 eps; "
                   "the outputs' rounding errors are magnified with it. In float64 the same "
                   "estimate is good to about 1e-10.",
    },
    {
        "q": "For a function from 3 numbers to 2 numbers, how many backward passes does "
             "gradcheck need for the analytical Jacobian?",
        "choices": ["1", "2", "3", "6"],
        "answer": 1,
        "explain": "One backward per output entry, each with a one-hot grad_output, gives one "
                   "row. (The numerical Jacobian takes 2 forward passes per input entry: 6.)",
    },
])

# %% [markdown]
# ## Graded quiz
#
# Record your answers in the cell below, as letters. They are graded when you hand in the
# notebook; nothing here tells you whether they are right.
#
# **q1.** `F.apply(a, b, 3)` where `a` requires grad and `b` is a tensor that does not. What
# is `ctx.needs_input_grad` inside `F.forward`?
# a) `(True,)`  b) `(True, False)`  c) `(True, False, False)`  d) `(True, True, False)`
#
# **q2.** `MySiLU` computes $\sigma(x)$ in `forward` and saves it. What happens when you take
# a second derivative through it with `create_graph=True`?
# a) the engine raises an error  b) it is correct, since $\sigma(x)$ was saved
# c) it is silently wrong: $\sigma(x)$ has no history, so it is treated as a constant
# d) the saved $\sigma(x)$ is recomputed automatically
#
# **q3.** gradcheck compares an analytical entry $a$ with a numerical entry $n$. With the
# defaults, which condition must hold?
# a) $a = n$ exactly  b) $|a - n| \le 10^{-5} + 10^{-3}|n|$  c) $|a - n| \le 10^{-6}$
# d) $|a - n| \le 10^{-3}$
#
# **q4.** What does `@once_differentiable` on a `backward` do?
# a) runs backward only once per training step  b) makes the first derivative exact
# c) runs backward without recording, so differentiating its result again raises an error
# instead of giving a wrong number  d) frees the saved tensors twice as fast
#
# **q5.** A Function's backward needs $\tanh(x)$. You save only $x$ and compute $\tanh(x)$
# again in backward. What do you trade?
# a) less memory between forward and backward, for one more tanh in backward
# b) more memory, for less compute  c) nothing changes  d) accuracy, for speed

# %% nbgrader={"grade_id": "quiz-answers", "solution": true} gradbook={"quiz": "answers", "stub": ""}
# Put the letter of your choice ("a", "b", "c" or "d") in place of each None.
answers = {"q1": None, "q2": None, "q3": None, "q4": None, "q5": None}
### BEGIN SOLUTION
answers = {"q1": "c", "q2": "c", "q3": "b", "q4": "c", "q5": "a"}
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
assert str(answers["q5"]).strip().lower() == "a", "q5"
### END HIDDEN TESTS

# %% [markdown]
# ## Your engine
#
# Your `gradcheck` at work: on your `Softplus`, on the SiLUs of this chapter, on the buggy
# softmax, and on **second derivatives**. A second derivative is checked by running
# gradcheck on a function that returns a first derivative computed with
# `create_graph=True`: its backward is then the backward of a backward.

# %% tags=["uses-your-code"]
def first_derivative(f):
    """x -> the gradient of f(x).sum(), recorded so that it can be differentiated again."""
    def derivative(x):
        with engine.enable_grad():  # also when gradcheck evaluates it under no_grad
            if not x.requires_grad:  # gradcheck's moved copies do not require grad
                x = x.detach().requires_grad_()
            (g,) = engine.autograd.grad(f(x).sum(), x, create_graph=True)
        return g
    return derivative


rng = np.random.default_rng(0)
candidates = {
    "your Softplus, beta = 1.5": (lambda t: Softplus.apply(t, 1.5), rng.standard_normal(5)),
    "LeanSiLU": (LeanSiLU.apply, rng.standard_normal(5)),
    "MySiLU": (MySiLU.apply, rng.standard_normal(5)),
    "DiagonalSoftmax": (DiagonalSoftmax.apply, rng.standard_normal(5)),
    "a matrix product": (lambda t: t @ t.t(), rng.standard_normal((3, 2))),
    "your Softplus, second derivative": (first_derivative(lambda t: Softplus.apply(t, 1.5)),
                                         rng.standard_normal(5)),
    "LeanSiLU, second derivative": (first_derivative(LeanSiLU.apply), rng.standard_normal(5)),
    "MySiLU, second derivative": (first_derivative(MySiLU.apply), rng.standard_normal(5)),
}
for name, (func, values) in candidates.items():
    x = engine.tensor(values, dtype=engine.float64, requires_grad=True)
    try:
        verdict = "passes" if gradcheck(func, (x,)) is True else "?"
    except GradcheckError as err:
        verdict = "GradcheckError: " + str(err).splitlines()[0]
    print(f"{name:34} {verdict}")

# %% [markdown]
# Your checker finds both bugs of this chapter: the softmax's missing off-diagonal terms,
# and `MySiLU`'s silently wrong second derivative, while your `Softplus` passes twice.
#
# The engine's own tests use its `gradcheck` on built-in operations and on the SiLU of the
# lessons. To run them with **your** `gradcheck` standing in for
# `engine.autograd.gradcheck`, save this notebook and run in a terminal:
#
# ```
# gradbook my-engine course/09-custom-functions.ipynb
# ```
#
# It checks that your gradcheck accepts every correct backward it is shown (several built-in
# operations, including second derivatives through `gradgradcheck`), that it rejects a wrong
# one with PyTorch's message, and that it numbers the inputs as PyTorch does.
