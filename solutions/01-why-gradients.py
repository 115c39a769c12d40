# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Why gradients
#
# Training a model means adjusting numbers. Behind every adjustment is one question:
# **if this number changes a little, does the loss go up or down, and how quickly?** The answer
# is the *gradient*, and working it out for you is the whole job of an autograd engine, the
# thing you are going to build in this course.
#
# In this chapter you will:
#
# - run gradient descent on a single parameter, with the engine doing the calculus;
# - estimate a derivative yourself from two evaluations of a function (**exercise 1**,
#   `central_difference`);
# - extend that to a gradient with many entries (**exercise 2**, `numerical_gradient`) and
#   compare it with the engine's;
# - see how the learning rate decides whether training crawls, converges or blows up.
#
# **How this notebook works.** Run the cells from top to bottom (<kbd>Shift</kbd>+<kbd>Enter</kbd>).
# An exercise cell contains `# YOUR CODE HERE`: replace `raise NotImplementedError()` with
# your code, run the cell, then run the check right below it. A check prints ✓ when your code
# passes all its cases; otherwise it tells you which case failed, its input, the expected
# value, what your code returned, and a hint. From a terminal,
# `gradbook check course/01-why-gradients.ipynb` runs every check and prints a table.

# %%
import matplotlib.pyplot as plt
import numpy as np

import engine
import engine.viz
from graders import quiz
from graders.checks import ch01 as check

# %% [markdown]
# ## 1. Learning is nudging numbers
#
# Take the smallest model there is: a single parameter $w$. We would like $3w$ to equal $10$,
# and we measure how far off we are with a squared error, the **loss**:
#
# $$L(w) = (3w - 10)^2 .$$
#
# The best value is $w = 10/3 \approx 3.333$, where the loss is $0$. We start from $w = 2$,
# where $3w = 6$ and the loss is $(6 - 10)^2 = 16$.
#
# Which way should $w$ move? The derivative $L'(w)$, the slope of the loss at $w$, answers
# that. By the chain rule $L'(w) = 2\,(3w - 10) \cdot 3$, which at $w = 2$ is
# $6 \cdot (-4) = -24$. The sign says the loss goes **down** when $w$ goes **up**; the size
# says the loss is very sensitive to $w$ here.
#
# With the engine we write only the loss. Marking `w` with `requires_grad=True` asks the
# engine to record every operation that uses it.

# %%
w = engine.tensor(2.0, requires_grad=True)
loss = (w * 3 - 10) ** 2
print("loss:", loss.item())

# %% [markdown]
# The engine kept a record of how `loss` was computed from `w`: multiply by 3, subtract 10,
# square. Here it is, drawn by the engine, from the loss at the top down to `w`:

# %%
engine.viz.draw(loss)

# %% [markdown]
# `backward()` walks that record in reverse, applies the chain rule at each step, and stores
# the slope in `w.grad`:

# %%
loss.backward()
print("w.grad:", w.grad.item())

# %% [markdown]
# ## 2. Gradient descent: step against the slope
#
# Knowing the slope, the update rule moves $w$ a small multiple of it, the opposite way:
#
# $$w \leftarrow w - \eta\, L'(w),$$
#
# where $\eta$ ("eta") is the **learning rate**. With $\eta = 0.1$ the first step takes $w$
# from $2$ to $2 - 0.1 \cdot (-24) = 4.4$.
#
# Three details of the loop below will come back in later chapters:
#
# - `backward()` only *computes* the gradient. Changing `w` is our own line of code.
# - The update runs inside `with engine.no_grad():`. Changing `w` is not part of the
#   computation we differentiate, so the engine must not record it.
# - The engine *adds* each new gradient into `w.grad`, so we reset it after every step.

# %%
w = engine.tensor(2.0, requires_grad=True)
lr = 0.1

print("single_parameter_training")
for step in range(1, 6):
    loss = (w * 3 - 10) ** 2
    loss.backward()

    with engine.no_grad():
        w -= lr * w.grad

    print(f"step={step} w={w.item():.4f} loss={loss.item():.4f} grad={w.grad.item():.4f}")
    w.grad.zero_()

# %% [markdown]
# The loss (measured before each step) falls steadily, $16 \to 10.24 \to 6.5536 \to \dots$,
# yet $w$ zigzags around $3.333$: $4.4$, $2.48$, $4.016$, ... The step is too big for this
# loss, so every update overshoots; it still gets closer each time. Section 5 explains
# exactly why, and what happens with other learning rates.

# %% [markdown]
# ## 3. A derivative from two evaluations
#
# The engine found $-24$ by applying derivative rules. There is a cruder way that needs
# nothing but the function: evaluate it at two nearby points and divide the rise by the run.
#
# Taylor's formula says what such estimates are worth. For a small step $h$,
#
# $$f(x \pm h) = f(x) \pm h f'(x) + \tfrac{h^2}{2} f''(x) \pm \tfrac{h^3}{6} f'''(x) + \dots$$
#
# - The **forward difference** $\dfrac{f(x+h) - f(x)}{h} = f'(x) + \tfrac{h}{2} f''(x) + \dots$
#   is off by an amount proportional to $h$.
# - The **central difference** $\dfrac{f(x+h) - f(x-h)}{2h} = f'(x) + \tfrac{h^2}{6} f'''(x) + \dots$
#   looks both ways: in the difference $f(x+h) - f(x-h)$ the $f(x)$ and $h^2$ terms cancel,
#   and the error is proportional to $h^2$. Halve $h$ and the error drops to a quarter.
#
# For our quadratic loss $f''' = 0$, so the central difference gives $-24$ for any $h$ (up to
# rounding).

# %% [markdown]
# ### Exercise 1: `central_difference`
#
# Engine piece: `central_difference`
#
# Write `central_difference(f, x, h=1e-5)`, which returns the central-difference estimate of
# $f'(x)$. `f` takes a number and returns a number.

# %% nbgrader={"grade_id": "central-difference", "solution": true} gradbook={"piece": "central_difference"}
def central_difference(f, x, h=1e-5):
    """Estimate the derivative of f at x from f(x + h) and f(x - h)."""
    ### BEGIN SOLUTION
    return (f(x + h) - f(x - h)) / (2 * h)
    ### END SOLUTION


# %% nbgrader={"grade_id": "central-difference-check", "grade": true, "points": 2} gradbook={"checks": "central_difference"}
check.central_difference(central_difference)
### BEGIN HIDDEN TESTS
import math

from engine.testing import numerical_grad

for _f, _x, _h in [(math.exp, 0.5, 1e-6), (lambda t: t**4 - 2 * t, -1.3, 1e-4), (math.cos, 2.0, 0.25)]:
    (_want,) = numerical_grad(lambda a, f=_f: f(float(a)), np.array(_x), eps=_h)
    _got = central_difference(_f, _x, _h)
    assert abs(_got - float(_want)) <= 1e-9 * max(1.0, abs(float(_want))), (_x, _h, _got)
### END HIDDEN TESTS

# %% [markdown]
# **How small should $h$ be?** Smaller steps shrink the Taylor error, but computers round:
# a float64 holds about 16 significant digits. $f(x+h)$ and $f(x-h)$ agree in more and
# more of their leading digits as $h$ shrinks, their difference keeps only the few digits
# that differ, and dividing by a tiny $2h$ magnifies the rounding error, roughly like
# $10^{-16}/h$. The plot compares both estimates for $f(x) = \sin x$ at $x = 1$ with the true
# slope from the engine's autograd. It uses your `central_difference`, so it works once the
# check above passes.

# %% tags=["uses-your-code"]
x = engine.tensor(1.0, dtype=engine.float64, requires_grad=True)
x.sin().backward()
true_slope = x.grad.item()

steps = np.logspace(-13, -1, 49)
forward_error = [abs((np.sin(1.0 + h) - np.sin(1.0)) / h - true_slope) for h in steps]
central_error = [abs(central_difference(np.sin, 1.0, h) - true_slope) for h in steps]

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.loglog(steps, forward_error, "o-", ms=3, label="forward difference")
ax.loglog(steps, central_error, "o-", ms=3, label="your central_difference")
ax.set(xlabel="step h", ylabel="error", title="estimating the slope of sin(x) at x = 1")
ax.legend()
plt.show()

# %% [markdown]
# Going right to left, both errors first fall (the Taylor error shrinks: in proportion to $h$
# for the forward difference, to $h^2$ for the central one) and then rise again as rounding
# takes over. The central difference does best near $h \approx 10^{-5}$, with errors far below
# $10^{-9}$; the forward difference never gets much below $10^{-8}$. That is why `h=1e-5` is
# the default.

# %% [markdown]
# ## 4. Many parameters: the gradient
#
# Real models have many parameters. For a loss of several numbers $p = (p_0, p_1, \dots)$, the
# **partial derivative** $\partial L / \partial p_i$ is the slope along $p_i$ with every other
# entry held fixed, and the **gradient** $\nabla L$ collects them into one vector, shaped
# like $p$.
#
# Here is a two-parameter model, a line $\hat y = w x + b$ fitted to four points that lie on
# $y = 2x + 1$, with the mean squared error as the loss. At $w = b = 0$ the loss is
# $(9 + 25 + 49 + 81) / 4 = 41$. The engine gives both partial derivatives from one
# `backward()`, and the same loop as before fits the line:

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
# The first gradient was $(\partial L/\partial w, \partial L/\partial b) = (-35, -12)$, so the
# first step took $w$ to $0.05 \cdot 35 = 1.75$ and $b$ to $0.05 \cdot 12 = 0.6$. After 200
# steps the line is close to $w = 2$, $b = 1$.
#
# ### Exercise 2: `numerical_gradient`
#
# Engine piece: `numerical_gradient`
#
# Write `numerical_gradient(f, x, h=1e-5)`. `x` is a one-dimensional NumPy array of floats and
# `f(x)` returns a number. Return an array shaped like `x` whose entry `i` is the central
# difference along `x[i]`: nudge only entry `i`, by $+h$ and by $-h$. Leave `x` itself as you
# found it.

# %% nbgrader={"grade_id": "numerical-gradient", "solution": true} gradbook={"piece": "numerical_gradient"}
def numerical_gradient(f, x, h=1e-5):
    """Estimate the gradient of f at x: one central difference per entry of x."""
    grad = np.zeros_like(x, dtype=float)
    ### BEGIN SOLUTION
    for i in range(x.size):
        step = np.zeros_like(x, dtype=float)
        step[i] = h
        grad[i] = (f(x + step) - f(x - step)) / (2 * h)
    ### END SOLUTION
    return grad


# %% nbgrader={"grade_id": "numerical-gradient-check", "grade": true, "points": 3} gradbook={"checks": "numerical_gradient"}
check.numerical_gradient(numerical_gradient)
### BEGIN HIDDEN TESTS
from engine.testing import numerical_grad

_rng = np.random.default_rng(2024)
_p = _rng.uniform(-2.0, 2.0, size=5)
_t = engine.tensor(_p.copy(), requires_grad=True)
((_t.tanh() * _t).sum() + _t[0] * _t[4]).backward()
_kept = _p.copy()
_got = numerical_gradient(lambda v: float(np.sum(np.tanh(v) * v) + v[0] * v[4]), _p)
assert np.array_equal(_p, _kept), "x was changed"
assert np.allclose(_got, _t.grad.numpy(), rtol=1e-6, atol=1e-6), (_got, _t.grad.numpy())
(_big,) = numerical_grad(lambda v: float(np.sum(np.exp(v))), _p, eps=0.3)
assert np.allclose(numerical_gradient(lambda v: float(np.sum(np.exp(v))), _p, 0.3), _big, rtol=1e-9)
### END HIDDEN TESTS

# %% [markdown]
# **The catch.** Your function calls `f` twice per entry of `x`. Count the calls on a vector
# of 1,000 parameters:

# %% tags=["uses-your-code"]
calls = 0


def counted_loss(p):
    global calls
    calls += 1
    return float(np.sum(np.tanh(p)))


numerical_gradient(counted_loss, np.ones(1000))
print("evaluations of the loss:", calls)

# %% [markdown]
# Each evaluation is a whole forward pass. A network with a million parameters would need two
# million forward passes for one gradient. Autograd gets the same gradient, exactly instead of
# approximately, from one forward and one backward pass, at a cost of a few forward passes.
# That is why training uses `backward()`, and why numerical gradients have a different job:
# **checking** that a backward pass is right, on small inputs.

# %% [markdown]
# ## 5. The learning rate
#
# Back to $L(w) = (3w - 10)^2$. Write the error as $e = 3w - 10$. One step changes $w$ by
# $-\eta \cdot 6e$, so it changes $e$ by $3 \cdot (-\eta \cdot 6e)$:
#
# $$e \leftarrow (1 - 18\eta)\, e .$$
#
# Every step multiplies the error by the same factor $1 - 18\eta$ (and the loss $e^2$ by its
# square):
#
# | learning rate $\eta$ | factor $1 - 18\eta$ | what you see |
# |---|---|---|
# | 0.005 | 0.91 | slow, steady progress |
# | 0.05 | 0.10 | fast: most of the error is gone after one step |
# | 0.1 | −0.80 | overshoots, zigzags, converges (section 2) |
# | 0.12 | −1.16 | each overshoot is bigger than the last: it diverges |
#
# Descent converges only while $|1 - 18\eta| < 1$, that is for $0 < \eta < 1/9 \approx 0.111$.
# Real losses are not this simple, but the lesson carries over: too small and training
# crawls, too large and it oscillates or blows up.

# %%
def descend(lr, steps=20, w0=2.0):
    """Gradient descent on (3w - 10)**2: the loss before each step, and w after it."""
    w = engine.tensor(w0, requires_grad=True)
    losses, ws = [], []
    for _ in range(steps):
        loss = (w * 3 - 10) ** 2
        loss.backward()
        with engine.no_grad():
            w -= lr * w.grad
        w.grad = None
        losses.append(loss.item())
        ws.append(w.item())
    return losses, ws


fig, ax = plt.subplots(figsize=(6, 3.5))
for rate in [0.005, 0.05, 0.1, 0.12]:
    losses, _ = descend(rate)
    ax.semilogy(range(1, len(losses) + 1), losses, "o-", ms=3, label=f"lr = {rate}")
ax.set(xlabel="step", ylabel="loss (log scale)", title="one parameter, four learning rates",
       ylim=(1e-8, 1e5))
ax.legend()
plt.show()

# %% [markdown]
# Try it yourself: move the slider and watch the loss and the path of $w$ (the dashed line is
# the best value, $10/3$).

# %%
try:
    import ipywidgets as widgets
except ImportError:
    widgets = None
    print("The slider needs ipywidgets (`make lab` installs it); the plot above tells the story.")

if widgets is not None:
    slider = widgets.FloatSlider(value=0.1, min=0.005, max=0.125, step=0.005,
                                 readout_format=".3f", description="learning rate")

    @widgets.interact(lr=slider)
    def explore(lr):
        losses, ws = descend(lr)
        fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3))
        left.semilogy(losses, "o-", ms=3)
        left.set(xlabel="step", ylabel="loss", title=f"loss, lr = {lr:.3f}")
        right.plot([2.0] + ws, "o-", ms=3)
        right.axhline(10 / 3, ls="--", c="grey")
        right.set(xlabel="step", ylabel="w", title="the path of w")
        plt.show()

# %% [markdown]
# ## Practice quiz
#
# Pick an answer and press **Check**. These are not graded.

# %%
quiz.practice([
    {
        "q": "At w = 2 the loss (3w - 10)**2 has gradient -24. What does gradient descent do to w?",
        "choices": [
            "Decreases w, because the gradient is negative",
            "Increases w: it steps against the gradient, and -(-24) is positive",
            "Leaves w alone until the gradient is zero",
            "Sets w to -24",
        ],
        "answer": 1,
        "explain": "The update is w - lr * grad. A negative gradient means the loss falls as w "
                   "grows, so w moves up: with lr = 0.1, from 2 to 4.4.",
    },
    {
        "q": "You halve the step h of a central difference (well above the rounding limit). "
             "Roughly what happens to its error?",
        "choices": ["It halves", "It drops to about a quarter", "It stays the same", "It doubles"],
        "answer": 1,
        "explain": "The central difference is off by about h**2 * f'''(x) / 6, so halving h "
                   "quarters the error. A forward difference is off by about h * f''(x) / 2: "
                   "its error only halves.",
    },
    {
        "q": "A model has 1,000,000 parameters. How many evaluations of the loss does one "
             "central-difference gradient take?",
        "choices": ["1", "2", "1,000,000", "2,000,000"],
        "answer": 3,
        "explain": "Two per parameter, each a full forward pass. Autograd gets the whole "
                   "gradient from one forward and one backward pass.",
    },
])

# %% [markdown]
# ## Graded quiz
#
# Record your answers in the cell below, as letters. They are graded when you hand in the
# notebook; nothing here tells you whether they are right.
#
# **q1.** Starting from $w = 2$ with learning rate $0.05$ on $L(w) = (3w - 10)^2$, what is $w$
# after one step of gradient descent?
#
# - a) 0.8
# - b) 3.2
# - c) 4.4
# - d) 2.05
#
# **q2.** For the same loss, which learning rate makes gradient descent diverge?
#
# - a) 0.01
# - b) 0.05
# - c) 0.1
# - d) 0.12
#
# **q3.** Why not take $h = 10^{-15}$ in a central difference?
#
# - a) $f(x+h)$ and $f(x-h)$ then agree in almost all their digits, and dividing their
#   difference by a tiny $2h$ magnifies the rounding error
# - b) Python cannot represent $10^{-15}$
# - c) a smaller $h$ is always more accurate, so $10^{-15}$ would be fine
# - d) central differences need $h > 1$

# %% nbgrader={"grade_id": "quiz-answers", "solution": true} gradbook={"quiz": "answers", "stub": ""}
# Put the letter of your choice ("a", "b", "c" or "d") in place of each None.
answers = {"q1": None, "q2": None, "q3": None}
### BEGIN SOLUTION
answers = {"q1": "b", "q2": "d", "q3": "a"}
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
assert str(answers["q2"]).strip().lower() == "d", "q2"
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "quiz-q3", "grade": true, "points": 1} gradbook={"quiz": "key"}
# Graded quiz, question 3: checked when your notebook is graded.
### BEGIN HIDDEN TESTS
assert str(answers["q3"]).strip().lower() == "a", "q3"
### END HIDDEN TESTS

# %% [markdown]
# ## Your engine
#
# The engine checks its own backward passes the way you have just learned: its test suite
# compares the gradient of every op with central differences. Your `numerical_gradient` can do
# that job. Here it checks three of the engine's ops; the differences should be tiny, around
# $10^{-10}$ or less.

# %% tags=["uses-your-code"]
x0 = np.array([-1.5, -0.2, 0.4, 2.0])

for op in ["sigmoid", "tanh", "exp"]:
    x = engine.tensor(x0, requires_grad=True)
    getattr(x, op)().sum().backward()

    def f(v, op=op):
        with engine.no_grad():
            return getattr(engine.tensor(v), op)().sum().item()

    yours = numerical_gradient(f, x0)
    difference = np.max(np.abs(yours - x.grad.numpy()))
    print(f"{op:8s} largest difference from the engine's backward: {difference:.1e}")

# %% [markdown]
# Your function can also take the place of the engine's own finite-difference oracle,
# `engine.testing.numerical_grad`. Save this notebook, then run in a terminal:
#
# ```
# gradbook my-engine course/01-why-gradients.ipynb
# ```
#
# It runs your checks, then the engine's finite-difference tests with your `numerical_gradient`
# as the oracle: every op's backward is compared with your estimates. The pieces you build in
# the next chapters (ops, the backward loop) join in the same way, until the engine that trains
# a model is largely yours.
